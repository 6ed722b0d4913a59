#!/usr/bin/env bash
# The whole test suite (README: `bash scripts/test.sh`, also `make test`):
# installs what is missing, builds and installs crm, starts a throwaway
# PostgreSQL 15 cluster, then runs
#   1. the pg_regress suite (sql/, expected/) and the isolation tests
#      (test/specs/), one count per test file;
#   2. the pgTAP suite (test/*.sql, with pg_prove), one count per assertion;
#   2b. the documentation (test/docs.sh): every SQL example of README.md and
#      docs/*.md run in order and its output compared with the document, and
#      docs/reference.md checked against the catalog; one count per example
#      and per kind of object;
#   3. the META.json check (test/meta.sh), the scikit-learn exchange
#      (test/sklearn_exchange.sh) and crm.tree_to_dot rendered by Graphviz
#      (test/graphviz.sh), one count per check; the demo's visual report
#      (scripts/report.py) rendered in headless Chromium (test/report.sh),
#      one count per check;
#   4. the pg_dump round trip (test/dump_roundtrip.sh), one count per table;
#   4b. the upgrades from every release (test/upgrade.sh), one count per check;
#   5. a concurrent pgbench load under row security (test/load.sh), one
#      count per check;
#   5b. the Debian package (scripts/package.sh): built in a clean Debian 12
#      root file system, lintian, installed into a fresh one with only
#      postgresql-15, and the regression suite run against it;
#   6. the distributed suite (test/distributed.sh) on a three-node Citus
#      cluster of its own, Citus built once from ../shared/vendor and cached
#      (scripts/citus.sh), one count per check;
# then steps 1, 2, 4, 4b and 5 again on PostgreSQL 17 and 18, each inside a
# Debian root file system made once with debootstrap and cached
# (scripts/pgversions.sh; CRM_PG_VERSIONS="17" or "" to choose);
# prints the regression diffs on failure, each version's counts, and ends
# with `N passed, N failed` for all versions together.  Exits non-zero when
# anything failed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CRM_ROOT/scripts/citus.sh"
source "$CRM_ROOT/scripts/pgversions.sh"

# the browser that renders the demo's report (test/report.sh), on the host
[ -n "${CRM_IN_ROOTFS:-}" ] || CRM_PACKAGES="$CRM_PACKAGES chromium chromium-driver python3-selenium"
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

# Run a TAP script (bash with its arguments), show its output (--quiet: all
# but the "ok" lines) and count it.
tap_step() {
	local quiet=false status=0
	[ "$1" = --quiet ] && { quiet=true; shift; }
	bash "$@" >"$log" 2>&1 || status=$?
	if $quiet; then
		grep -vE '^[[:space:]]*ok [0-9]+' "$log" || true
	else
		cat "$log"
	fi
	count_tap "$status" "$log"
}

# Whether a step that runs on the host only runs here: inside a version's
# root file system it says why it is skipped.
on_host() {
	[ -z "${CRM_IN_ROOTFS:-}" ] && return 0
	echo "skipped: $1"
	return 1
}

crm_say "pg_regress suite"
[ -f "$CRM_ROOT/../shared/data/cdnow_sample.csv" ] ||
	echo "skipped: cdnow, clv_cdnow (the CDNOW reference tests need ../shared/data/cdnow_sample.csv beside the repository)"
[ -f "$CRM_ROOT/../shared/data/mlc_churn.csv" ] ||
	echo "skipped: tree_churn (the churn holdout test needs ../shared/data/mlc_churn.csv beside the repository)"
status=0
make -C "$CRM_ROOT" -s installcheck PG_CONFIG="$PG_BIN/pg_config" >"$log" 2>&1 || status=$?
# pg_regress prints "test x ... ok" up to 15 and TAP ("ok 1 - x") from 16
grep -E '\.\.\. |tests (passed|failed)|^(not )?ok [0-9]+ +- ' "$log" || true
ok=$(grep -cE '\.\.\. ok|^ok [0-9]+ +- ' "$log" || true)
bad=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+ +- ' "$log" || true)
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
on_host "documentation examples (run on PostgreSQL 15, whose output the documents show)" && tap_step --quiet "$CRM_ROOT/test/docs.sh"

crm_say "META.json (PGXN Meta Spec 1.0.0)"
on_host "META.json (checked on the host)" && tap_step "$CRM_ROOT/test/meta.sh"

crm_say "scikit-learn exchange"
on_host "scikit-learn exchange (run on PostgreSQL 15)" && tap_step "$CRM_ROOT/test/sklearn_exchange.sh"

crm_say "tree diagrams rendered by Graphviz (test/graphviz.sh)"
on_host "Graphviz rendering (run on PostgreSQL 15)" && tap_step "$CRM_ROOT/test/graphviz.sh"

crm_say "the demo's visual report in headless Chromium (test/report.sh)"
on_host "visual report (rendered on PostgreSQL 15)" && tap_step "$CRM_ROOT/test/report.sh"

crm_say "pg_dump round trip"
tap_step "$CRM_ROOT/test/dump_roundtrip.sh"

crm_say "upgrades from every release (test/upgrade.sh)"
tap_step "$CRM_ROOT/test/upgrade.sh"

crm_say "concurrent load under row security (pgbench)"
tap_step "$CRM_ROOT/test/load.sh"

crm_say "Debian package (scripts/package.sh)"
on_host "Debian package (built and tested from the host)" && tap_step --quiet "$CRM_ROOT/scripts/package.sh"

crm_say "distributed suite (Citus)"
if on_host "distributed suite (run on PostgreSQL 15)"; then
	if crm_citus_available; then
		tap_step "$CRM_ROOT/test/distributed.sh"
	else
		echo "skipped: $CRM_CITUS_SKIPPED"
	fi
fi

echo "PostgreSQL $CRM_PG_VERSION: $passed passed, $failed failed"

# The newer versions, each in its root file system (not from inside one).
summary="PostgreSQL $CRM_PG_VERSION: $passed passed, $failed failed"
for version in $(crm_pgversions); do
	crm_say "PostgreSQL $version"
	status=0
	{ crm_rootfs_ensure "$version" && crm_rootfs_suite "$version"; } >"$log" 2>&1 || status=$?
	cat "$log"
	counts=$(grep -E "^PostgreSQL $version: [0-9]+ passed, [0-9]+ failed$" "$log" | tail -n 1 || true)
	if [ -n "$counts" ]; then
		read -r ok bad <<<"$(echo "$counts" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1 \2/')"
	else
		ok=0 bad=1
		counts="PostgreSQL $version: 0 passed, 1 failed (the run did not finish)"
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	summary+=$'\n'"$counts"
done
[ -n "$(crm_pgversions)" ] && printf '%s\n' "$summary"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
