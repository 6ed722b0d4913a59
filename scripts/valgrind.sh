#!/usr/bin/env bash
# The pg_regress suite against a PostgreSQL server running under valgrind
# memcheck, then the valgrind logs searched for invalid reads and writes
# (and other errors) whose stack passes through crm.so.  Logs that hold an
# error are kept in $CRM_VALGRIND_LOGS (default /tmp/crm-valgrind-logs).
#
#   bash scripts/valgrind.sh                         crm's own test files
#   CRM_VALGRIND_TESTS="setup duplicates" bash scripts/valgrind.sh
#   CRM_VALGRIND_TESTS=all bash scripts/valgrind.sh  the whole suite (hours)
#
# Valgrind makes the server 20-50 times slower.  The default list runs the
# files of the governance capabilities and random_input, which calls every C
# function of crm with random arguments.  Suppressions for server false
# positives: test/valgrind.supp.  Installs valgrind when run as root.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tests=${CRM_VALGRIND_TESTS:-setup tree tree_errors aggregate_states audit security duplicates import injection random_input}
[ "$tests" = all ] && tests=$(sed -n 's/^REGRESS = //p' "$CRM_ROOT/Makefile")

if ! command -v valgrind >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "valgrind is not installed; run as root or: sudo apt-get install -y valgrind" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi

crm_require_packages
crm_build_install
crm_start_cluster
trap crm_stop_cluster EXIT

# restart the cluster's server under valgrind
crm_as_owner "$PG_BIN/pg_ctl" -D "$CRM_CLUSTER_DIR/data" -m fast -w stop >/dev/null
vg=$CRM_CLUSTER_DIR/valgrind
mkdir -p "$vg"
[ "$(id -u)" -eq 0 ] && chown postgres: "$vg"
crm_say "starting postgres under valgrind (logs in $vg)"
crm_as_owner valgrind --quiet --tool=memcheck --trace-children=yes --leak-check=no --track-origins=no \
	--read-var-info=no --error-limit=no --num-callers=30 \
	--suppressions="$CRM_ROOT/test/valgrind.supp" --log-file="$vg/%p.log" \
	"$PG_BIN/postgres" -D "$CRM_CLUSTER_DIR/data" -p "$PGPORT" -k "$CRM_CLUSTER_DIR" \
	-c listen_addresses= -c shared_buffers=128MB -c fsync=off -c max_parallel_workers_per_gather=0 \
	-c statement_timeout=0 >"$CRM_CLUSTER_DIR/server.log" 2>&1 &
for i in $(seq 1 300); do
	pg_isready -q -h "$PGHOST" -p "$PGPORT" && break
	sleep 1
done
if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
	echo "postgres did not start under valgrind:" >&2
	cat "$vg"/*.log "$CRM_CLUSTER_DIR/server.log" >&2
	exit 1
fi

crm_say "pg_regress under valgrind: $tests"
start=$(date +%s)
status=0
make -C "$CRM_ROOT" -s installcheck PG_CONFIG="$PG_BIN/pg_config" REGRESS="$tests" \
	EXTRA_REGRESS_OPTS="--max-connections=1" >"$CRM_CLUSTER_DIR/regress.log" 2>&1 || status=$?
grep -E '\.\.\. |tests (passed|failed)' "$CRM_CLUSTER_DIR/regress.log" || cat "$CRM_CLUSTER_DIR/regress.log"
[ -f "$CRM_ROOT/regression.diffs" ] && head -40 "$CRM_ROOT/regression.diffs"
echo "pg_regress under valgrind: $(($(date +%s) - start)) s"
crm_as_owner "$PG_BIN/pg_ctl" -D "$CRM_CLUSTER_DIR/data" -m fast -w -t 300 stop >/dev/null || true

# keep the logs that hold an error record (the cluster directory goes away)
keep=${CRM_VALGRIND_LOGS:-${TMPDIR:-/tmp}/crm-valgrind-logs}
rm -rf "$keep"
mkdir -p "$keep"
{ grep -lE '^==[0-9]+== [A-Z]' "$vg"/*.log || true; } | xargs -r cp -t "$keep"
echo "valgrind logs with errors kept in $keep: $(ls "$keep" | wc -l)"

# every valgrind error record, and those whose stack passes through crm:
# frames "(in .../crm.so)", or "(tree.c:1499)" where crm.so has debug info
crm_frame="crm\\.so|\\(($(cd "$CRM_ROOT/src" && ls *.c | sed 's/\\.c$//' | paste -sd'|'))\\.c:[0-9]+\\)"
errors=$(cat "$vg"/*.log | grep -cE '^==[0-9]+== (Invalid (read|write)|Conditional jump|Use of uninitialised|Syscall param|Invalid free|Mismatched free|Source and destination overlap)' || true)
crm_errors=$(frame=$crm_frame awk '/^==[0-9]+== [A-Z]/ { rec = $0; inrec = 1; next }
				  inrec && $0 ~ ENVIRON["frame"] { print rec; inrec = 0 }
				  /^==[0-9]+== $/ { inrec = 0 }' "$vg"/*.log | sort | uniq -c)
invalid=$(cat "$vg"/*.log | grep -cE 'Invalid (read|write)' || true)
echo "valgrind logs: $(ls "$vg" | wc -l) processes, $errors error records, $invalid invalid reads/writes in all code"
if [ -n "$crm_errors" ]; then
	echo "errors with crm.so on the stack:"
	echo "$crm_errors"
	{ grep -lE "$crm_frame" "$vg"/*.log || true; } | head -3 | xargs -r cat | head -80
	status=1
else
	echo "errors with crm.so on the stack: none"
fi
exit "$status"
