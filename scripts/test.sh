#!/usr/bin/env bash
# The whole test suite (README: `bash scripts/test.sh`, also `make test`):
# installs what is missing, builds and installs crm, starts a throwaway
# PostgreSQL 15 cluster, then runs
#   1. the pg_regress suite (sql/, expected/), one count per test file;
#   2. the pgTAP suite (test/*.sql, with pg_prove), one count per assertion;
#   2b. the documentation (test/docs.sh): every SQL example of README.md and
#      docs/*.md run in order and its output compared with the document, and
#      docs/reference.md checked against the catalog; one count per example
#      and per kind of object;
#   3. the scikit-learn exchange (test/sklearn_exchange.sh), one count per check;
#   4. the pg_dump round trip (test/dump_roundtrip.sh), one count per table;
#   5. a concurrent pgbench load under row security (test/load.sh), one
#      count per check;
#   6. the distributed suite (test/distributed.sh) on a three-node Citus
#      cluster of its own, Citus built once from ../shared/vendor and cached
#      (scripts/citus.sh), one count per check;
# prints the regression diffs on failure, and ends with `N passed, N failed`.
# Exits non-zero when anything failed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CRM_ROOT/scripts/citus.sh"

crm_require_packages
crm_build_install
crm_start_cluster
trap crm_stop_cluster EXIT

passed=0
failed=0
log=$CRM_CLUSTER_DIR/test.log

# Count TAP lines ("ok ..." / "not ok ...") of a run; a run that failed
# without any "not ok" line (a crash, a bad plan) counts as one failure.
count_tap() {
	local status=$1 file=$2 ok not_ok
	ok=$(grep -cE '^[[:space:]]*ok [0-9]+' "$file" || true)
	not_ok=$(grep -cE '^[[:space:]]*not ok [0-9]+' "$file" || true)
	[ "$status" -ne 0 ] && [ "$not_ok" -eq 0 ] && not_ok=1
	passed=$((passed + ok))
	failed=$((failed + not_ok))
}

crm_say "pg_regress suite"
[ -f "$CRM_ROOT/../shared/data/cdnow_sample.csv" ] ||
	echo "skipped: cdnow, clv_cdnow (the CDNOW reference tests need ../shared/data/cdnow_sample.csv beside the repository)"
[ -f "$CRM_ROOT/../shared/data/mlc_churn.csv" ] ||
	echo "skipped: tree_churn (the churn holdout test needs ../shared/data/mlc_churn.csv beside the repository)"
status=0
make -C "$CRM_ROOT" -s installcheck PG_CONFIG="$PG_BIN/pg_config" >"$log" 2>&1 || status=$?
grep -E '\.\.\. |tests (passed|failed)' "$log" || true
ok=$(grep -cE '\.\.\. ok' "$log" || true)
bad=$(grep -cE '\.\.\. FAILED' "$log" || true)
[ "$status" -ne 0 ] && [ "$bad" -eq 0 ] && { cat "$log"; bad=1; }
passed=$((passed + ok))
failed=$((failed + bad))
if [ "$bad" -ne 0 ] && [ -f "$CRM_ROOT/regression.diffs" ]; then
	crm_say "regression diffs"
	cat "$CRM_ROOT/regression.diffs"
fi

crm_say "pgTAP suite"
createdb crm_tap
psql -X -q -v ON_ERROR_STOP=1 -d crm_tap -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION crm'
status=0
pg_prove --verbose -d crm_tap "$CRM_ROOT"/test/*.sql >"$log" 2>&1 || status=$?
grep -vE '^[[:space:]]*ok [0-9]+' "$log" || true
count_tap "$status" "$log"

crm_say "documentation examples and reference (test/docs.sh)"
status=0
bash "$CRM_ROOT/test/docs.sh" >"$log" 2>&1 || status=$?
grep -vE '^[[:space:]]*ok [0-9]+' "$log" || true
count_tap "$status" "$log"

crm_say "scikit-learn exchange"
status=0
bash "$CRM_ROOT/test/sklearn_exchange.sh" >"$log" 2>&1 || status=$?
cat "$log"
count_tap "$status" "$log"

crm_say "pg_dump round trip"
status=0
bash "$CRM_ROOT/test/dump_roundtrip.sh" >"$log" 2>&1 || status=$?
cat "$log"
count_tap "$status" "$log"

crm_say "concurrent load under row security (pgbench)"
status=0
bash "$CRM_ROOT/test/load.sh" >"$log" 2>&1 || status=$?
cat "$log"
count_tap "$status" "$log"

crm_say "distributed suite (Citus)"
if crm_citus_available; then
	status=0
	bash "$CRM_ROOT/test/distributed.sh" >"$log" 2>&1 || status=$?
	cat "$log"
	count_tap "$status" "$log"
else
	echo "skipped: $CRM_CITUS_SKIPPED"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
