#!/usr/bin/env bash
# crm.tree_to_dot against Graphviz's own parser (run by scripts/test.sh on
# the host's PostgreSQL 15; prints TAP): the DOT of several trees is
# rendered with `dot -Tsvg` (Debian's graphviz), which must succeed without
# a warning and draw one node per tree node and one edge per child; the
# names of the odd tree must come out as written.  Trees: the demo's offer
# model (as in the README), the same with options, a multi-class tree, and a
# categorical tree whose column, levels and classes need escaping (quotes,
# backslashes, &, <, >, a newline, non-ASCII).
# Expects PGHOST, PGPORT, PGUSER of a running cluster with crm installed in
# its library; needs /usr/bin/dot.
set -euo pipefail
work=$(mktemp -d "${TMPDIR:-/tmp}/crm-graphviz.XXXXXX")
trap 'rm -rf "$work"; dropdb --if-exists crm_graphviz >/dev/null 2>&1 || true' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 -d crm_graphviz "$@"; }

echo "1..13"
dropdb --if-exists crm_graphviz >/dev/null 2>&1 || true
createdb -E UTF8 -T template0 crm_graphviz
q -c 'CREATE EXTENSION crm' -c 'SELECT count(*) FROM crm.generate_demo_data(2000, 42)' >/dev/null
q <<'SQL'
CREATE TABLE models (name text PRIMARY KEY, model crm.tree, options jsonb);
CREATE VIEW offer_customers AS
SELECT id AS customer_id, (attributes->>'age')::integer AS age, attributes->>'occupation' AS occupation,
       (attributes->>'income')::numeric AS income, attributes->>'marital_status' AS marital_status,
       (attributes->>'monthly_bill')::numeric AS monthly_bill, (attributes->>'uses_offer')::boolean AS uses_offer
  FROM crm.customers WHERE kind = 'person';
INSERT INTO models
SELECT 'offer', crm.tree_train('SELECT age, occupation, income, marital_status, monthly_bill, uses_offer
                                  FROM offer_customers WHERE customer_id % 10 < 7', 'uses_offer',
                               '{"max_depth": 4, "cp": 0.005}'), '{}';
INSERT INTO models SELECT 'offer, options', model, '{"rankdir": "LR", "edge_labels": "yes/no", "color": "#2060c0"}'
  FROM models WHERE name = 'offer';
-- three classes by two numbers
CREATE TABLE three AS
SELECT (g * 37) % 100 AS x, (g * 61) % 100 AS y,
       CASE WHEN (g * 37) % 100 < 30 THEN 'low' WHEN (g * 61) % 100 < 50 THEN 'mid' ELSE 'high' END AS band
  FROM generate_series(1, 600) g;
INSERT INTO models SELECT 'three classes', crm.tree_train('three', 'band', '{"max_depth": 3}'), '{}';
-- a categorical tree with names that need escaping
CREATE TABLE odd ("Größe ""x""\y" text, "a&b <c>" integer, "won ""big""\?" text);
INSERT INTO odd
SELECT (ARRAY['Zürich "HQ"', E'back\\slash', 'R&D <lab>', E'two\nlines', '日本'])[1 + g % 5], g % 7,
       CASE WHEN g % 5 IN (1, 4) OR g % 7 = 1 THEN 'Ja "sicher"' ELSE E'nein\\nie' END
  FROM generate_series(1, 400) g;
INSERT INTO models SELECT 'odd names', crm.tree_train('odd', 'won "big"\?', '{"min_samples_split": 2, "min_samples_leaf": 1, "cp": 0}'), '{}';
SQL

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
for name in 'offer' 'offer, options' 'three classes' 'odd names'; do
	echo "SELECT crm.tree_to_dot(model, options) FROM models WHERE name = :'name'" | q -At -v name="$name" >"$work/tree.dot"
	nodes=$(echo "SELECT crm.tree_info(model)->>'nodes' FROM models WHERE name = :'name'" | q -At -v name="$name")
	if dot -Tsvg "$work/tree.dot" >"$work/tree.svg" 2>"$work/err" && [ ! -s "$work/err" ]; then
		ok "$name: dot -Tsvg renders the DOT ($(wc -c <"$work/tree.svg") bytes of SVG)"
	else
		not_ok "$name: dot -Tsvg failed or warned: $(cat "$work/err")"
		sed 's/^/# /' "$work/tree.dot"
	fi
	drawn=$(grep -c '<g id="node[0-9]*" class="node">' "$work/tree.svg" || true)
	edges=$(grep -c '<g id="edge[0-9]*" class="edge">' "$work/tree.svg" || true)
	if [ "$drawn" = "$nodes" ]; then ok "$name: $drawn nodes drawn, as the tree has"
	else not_ok "$name: $drawn nodes drawn, the tree has $nodes"; fi
	if [ "$edges" = "$((nodes - 1))" ]; then ok "$name: $edges edges drawn"
	else not_ok "$name: $edges edges drawn, expected $((nodes - 1))"; fi
done
# the SVG text of the odd tree (XML-escaped by Graphviz) names the columns,
# the levels of the root split and the classes exactly (the root splits
# {back\slash, 日本} from the other levels, all of them "Ja")
missing=""
for text in 'Größe &quot;x&quot;\y in {back\slash, 日本}' 'a&amp;b &lt;c&gt; &lt;= 1.5' \
	'won &quot;big&quot;\? (fill: share of nein\nie)' 'Ja &quot;sicher&quot;: 160 (100.0%)'; do
	grep -qF -- "$text" "$work/tree.svg" || missing="$missing [$text]"
done
if [ -z "$missing" ]; then ok "odd names: column, levels and classes drawn as written"
else not_ok "odd names: not found in the SVG:$missing"; fi
