#!/usr/bin/env bash
# Upgrades from every release.  The released versions are frozen in
# releases/crm--V.sql (never edited after the release) and each later
# change of the extension's SQL ships as releases/crm--A--B.sql.  For every
# released version with an update path to the current one: install it, load
# demo data and a user's edits, run ALTER EXTENSION crm UPDATE, and check
# that the result is the current version, that its catalog equals a fresh
# install's object by object (test/upgrade/catalog.sql: definitions,
# privileges, comments, constraints, indexes, triggers, policies), and that
# every row of every table is kept.  Also: the release of the current
# version, when there is one, is exactly what src/ generates.  Prints TAP;
# expects PGHOST, PGPORT, PGUSER of a running server where crm is installed.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$CRM_ROOT/crm.control")
if [ -f "$CRM_ROOT/releases/crm--$current.sql" ]; then
	make -C "$CRM_ROOT" -s "crm--$current.sql" >/dev/null
	cmp -s "$CRM_ROOT/releases/crm--$current.sql" "$CRM_ROOT/crm--$current.sql" &&
		crm_tap ok "releases/crm--$current.sql, the release of the current version, is what src/ generates" ||
		crm_tap not "releases/crm--$current.sql, the release of the current version, is what src/ generates" \
			"src/ changed after $current was released: bump EXTVERSION and crm.control, and ship the change as releases/crm--$current--NEXT.sql"
fi

# one row digest per table of crm, on the columns the table has in database $1
# (but the state machines: a release may add states to them, so they are
# compared with a fresh install's instead)
digests() {
	# (one line per table, sorted: the branches of a UNION ALL may come in
	# any order, under a parallel append for one)
	q -d "$1" -c "SELECT 'SELECT d FROM (' || string_agg(format('SELECT %L || ''|'' || count(*) || ''|'' || coalesce(md5(string_agg((%s)::text, '','' ORDER BY (%s)::text)), ''-'') FROM %s',
								c.relname, cols, cols, c.oid::regclass), ' UNION ALL ' ORDER BY c.relname) || ') t(d) ORDER BY d'
				   FROM pg_class c
				   CROSS JOIN LATERAL (SELECT 'ROW(' || string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) || ')' AS cols
										 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) k
				  WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r'
					AND c.relname <> 'status_transitions'" >"$work/digest.sql"
	q -d "$1" -f "$work/digest.sql"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dropdb --if-exists crm_upgrade_fresh 2>/dev/null
createdb crm_upgrade_fresh
q -d crm_upgrade_fresh -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION crm'
q -d crm_upgrade_fresh -f "$CRM_ROOT/test/upgrade/catalog.sql" >"$work/fresh.txt"

paths=$(q -d crm_upgrade_fresh -c "SELECT source || ' ' || path FROM pg_extension_update_paths('crm')
									WHERE target = '$current' AND path IS NOT NULL ORDER BY source")
if [ -z "$paths" ]; then
	crm_tap ok "no earlier release of crm to update from (current: $current)"
fi
while read -r from path; do
	[ -n "$from" ] || continue
	db=crm_upgrade_from_${from//./_}
	dropdb --if-exists "$db" 2>/dev/null
	createdb "$db"
	q -d "$db" -c 'SET client_min_messages = warning' -c "CREATE EXTENSION crm VERSION '$from'" \
		-c 'SELECT count(*) FROM crm.generate_demo_data(2000, 7)' >/dev/null
	# a user's edits: their own pipeline, a moved deal, a new customer, grades, a model
	q -d "$db" >/dev/null <<'SQL'
SET client_min_messages = warning;
INSERT INTO crm.pipeline_stages (pipeline, stage, position, conversion_rate, mean_days, visits_per_week)
VALUES ('retail', 'lead', 1, 0.3, 14, 0.5), ('retail', 'demo', 2, 0.6, 7, 1);
INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final) VALUES ('retail', 'order', 3, true);
UPDATE crm.opportunities SET stage = 'bid' WHERE id = (SELECT min(id) FROM crm.opportunities WHERE status = 'open' AND stage = 'potential');
INSERT INTO crm.customers (name, kind) VALUES ('Customer entered before the update', 'company');
SELECT count(*) FROM crm.refresh_grades('2025-12-31');
SELECT crm.tree_train_model('credit', 'SELECT kind, industry, region, channel, satisfaction, credit_status FROM crm.customers', 'credit_status');
SQL
	digests "$db" >"$work/before.txt"
	q -d "$db" -c "ALTER EXTENSION crm UPDATE" >/dev/null 2>"$work/update.err" || true
	version=$(q -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'crm'")
	[ "$version" = "$current" ] &&
		crm_tap ok "ALTER EXTENSION crm UPDATE from $from ($path) gives $current" ||
		crm_tap not "ALTER EXTENSION crm UPDATE from $from ($path) gives $current" "version $version; $(cat "$work/update.err")"
	q -d "$db" -f "$CRM_ROOT/test/upgrade/catalog.sql" >"$work/updated.txt"
	if diff -u "$work/fresh.txt" "$work/updated.txt" >"$work/catalog.diff"; then
		crm_tap ok "updated from $from: the catalog equals a fresh install of $current ($(wc -l <"$work/fresh.txt") objects)"
	else
		crm_tap not "updated from $from: the catalog equals a fresh install of $current" "$(grep '^[-+][^-+]' "$work/catalog.diff" | head -n 40)"
	fi
	# the rows, on the columns they had before the update
	before_sql=$(cat "$work/digest.sql")
	q -d "$db" -c "$before_sql" >"$work/after.txt"
	if diff -u "$work/before.txt" "$work/after.txt" >"$work/rows.diff"; then
		crm_tap ok "updated from $from: every row of the $(wc -l <"$work/before.txt") tables kept"
	else
		crm_tap not "updated from $from: every row kept" "$(grep '^[-+][^-+]' "$work/rows.diff" | head -n 20)"
	fi
	transitions="SELECT object, from_status, allowed FROM crm.status_transitions ORDER BY object, from_status"
	if diff -u <(q -d crm_upgrade_fresh -c "$transitions") <(q -d "$db" -c "$transitions") >"$work/transitions.diff"; then
		crm_tap ok "updated from $from: the state machines equal a fresh install's"
	else
		crm_tap not "updated from $from: the state machines equal a fresh install's" "$(grep '^[-+][^-+]' "$work/transitions.diff" | head -n 20)"
	fi
	dropdb "$db"
done <<<"$paths"
dropdb crm_upgrade_fresh

crm_tap_end
