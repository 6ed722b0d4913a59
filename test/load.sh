#!/usr/bin/env bash
# Concurrent load under row-level security, with the role model: two reps
# insert orders and move their deals while a manager refreshes the grades
# over and over in REPEATABLE READ (pgbench --max-tries retries the
# serialization failures, as an application would) and another in READ
# COMMITTED.  Then nothing may be lost: every order a rep's transaction
# committed is there, every deal move wrote exactly one history row with no
# duplicate id, every refresh finished, and every customer has one grade.
# Prints TAP; expects PGHOST, PGPORT, PGUSER of a running server where crm
# is installed, and PG_BIN (scripts/lib.sh).
set -euo pipefail

db=crm_load
seconds=${CRM_LOAD_SECONDS:-15}
work=$(mktemp -d "${TMPDIR:-/tmp}/crm-load.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
pgbench=${PG_BIN:-/usr/lib/postgresql/15/bin}/pgbench

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
q <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION crm;
SELECT crm.generate_demo_data(2000, 5);
SELECT count(*) FROM crm.enable_row_security();
DROP ROLE IF EXISTS rep_01, rep_02, crm_load_manager;
CREATE ROLE rep_01 LOGIN IN ROLE crm_rep;
CREATE ROLE rep_02 LOGIN IN ROLE crm_rep;
CREATE ROLE crm_load_manager LOGIN IN ROLE crm_manager;
SQL
q -c "SELECT crm.refresh_grades('2025-12-31')" >/dev/null

# The reps' scripts: an order at one of their own customers (product
# 'load', so that they can be counted), and +1 on the amount of one of
# their own open deals (each writes a history row).
cat >"$work/orders.sql" <<'SQL'
INSERT INTO crm.orders (customer_id, ordered_at, amount, product)
SELECT id, '2025-12-30', 10, 'load' FROM crm.customers WHERE owner = current_user ORDER BY random() LIMIT 1;
SQL
cat >"$work/moves.sql" <<'SQL'
UPDATE crm.opportunities SET amount = amount + 1
 WHERE id = (SELECT id FROM crm.opportunities WHERE owner = current_user AND status = 'open' ORDER BY random() LIMIT 1);
SQL
cat >"$work/refresh_rr.sql" <<'SQL'
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM crm.refresh_grades('2025-12-31');
END;
SQL
cat >"$work/refresh_rc.sql" <<'SQL'
SELECT * FROM crm.refresh_grades('2025-12-31');
SQL
before_history=$(q -c "SELECT count(*) FROM crm.opportunity_history")
before_amounts=$(q -c "SELECT sum(amount) FROM crm.opportunities")

run() {
	local name=$1 user=$2 clients=$3
	shift 3
	"$pgbench" -n -U "$user" -c "$clients" -T "$seconds" --max-tries=100 "$@" "$db" >"$work/$name.log" 2>&1 || true
}
run orders rep_01 2 -f "$work/orders.sql" -f "$work/moves.sql" &
run reps2 rep_02 2 -f "$work/orders.sql" -f "$work/moves.sql" &
run refresh_rr crm_load_manager 3 -f "$work/refresh_rr.sql" &
run refresh_rc crm_load_manager 1 -f "$work/refresh_rc.sql" &
wait

# per script: transactions done, and failed (after retries)
done_of() { awk -v s="$2" '$0 ~ "^SQL script [0-9]+: .*"s {f=1} f && /- [0-9]+ transactions/ {print $2; exit}' "$work/$1.log"; }
failed_of() { awk '/^number of failed transactions:/ {print $5; exit}' "$work/$1.log"; }
retried_of() { awk '/^number of transactions retried:/ {print $5; exit}' "$work/$1.log"; }
total_of() { awk '/^number of transactions actually processed:/ {print $6; exit}' "$work/$1.log" | cut -d/ -f1; }

orders_done=$(( $(done_of orders orders.sql) + $(done_of reps2 orders.sql) ))
moves_done=$(( $(done_of orders moves.sql) + $(done_of reps2 moves.sql) ))
refresh_rr=$(total_of refresh_rr)
refresh_rc=$(total_of refresh_rc)
failed=$(( $(failed_of orders) + $(failed_of reps2) + $(failed_of refresh_rr) + $(failed_of refresh_rc) ))
retried=$(retried_of refresh_rr)

orders_found=$(q -c "SELECT count(*) FROM crm.orders WHERE product = 'load'")
history_added=$(( $(q -c "SELECT count(*) FROM crm.opportunity_history") - before_history ))
amount_added=$(q -c "SELECT (sum(amount) - $before_amounts)::bigint FROM crm.opportunities")
duplicate_ids=$(q -c "SELECT count(*) - count(DISTINCT id) FROM crm.opportunity_history")
ungraded=$(q -c "SELECT count(*) FROM crm.customers c WHERE NOT EXISTS (SELECT FROM crm.customer_grades g WHERE g.customer_id = c.id)")
first_twice=$(q -c "SELECT count(*) FROM (SELECT customer_id FROM crm.grade_history WHERE reason = 'first grading' GROUP BY 1 HAVING count(*) > 1) d")

n=0
fails=0
check() {
	n=$((n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $n - $3"
	else
		echo "not ok $n - $3: got $1, expected $2"
		fails=$((fails + 1))
	fi
}
echo "1..8"
echo "# ${seconds} s: $orders_done orders, $moves_done deal moves, $refresh_rr REPEATABLE READ refreshes ($retried retried), $refresh_rc READ COMMITTED refreshes"
check "$failed" 0 "no transaction failed (serialization failures retried by pgbench)"
check "$([ "$refresh_rr" -gt 1 ] && [ "$refresh_rc" -gt 0 ] && echo yes || echo no)" yes "refreshes ran in both isolation levels ($refresh_rr REPEATABLE READ, $refresh_rc READ COMMITTED)"
check "$([ "$orders_done" -gt 0 ] && [ "$moves_done" -gt 0 ] && echo yes || echo no)" yes "the reps' orders and moves ran ($orders_done, $moves_done)"
check "$orders_found" "$orders_done" "every committed order is there"
check "$history_added" "$moves_done" "every deal move wrote one history row"
check "$amount_added" "$moves_done" "every deal move changed its amount once"
check "$duplicate_ids" 0 "no duplicate history id"
check "$ungraded/$first_twice" "0/0" "every customer has one grade, graded for the first time once"

dropdb "$db"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
q -c 'DROP ROLE rep_01, rep_02, crm_load_manager' >/dev/null
[ "$fails" -eq 0 ]
