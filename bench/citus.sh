#!/usr/bin/env bash
# The benchmarks on a three-node Citus cluster beside single node (run by
# bench/run.sh, or alone): a coordinator and two workers on loopback
# (scripts/citus.sh), and in the coordinator two databases with the same demo
# data, crm_single (plain) and crm_dist (after crm.distribute()).  A driver
# database on the coordinator times each operation in both through dblink,
# interleaved (single, cluster, single, cluster, ...), and prints per
# operation the median of each side and the ratio cluster / single node
# (bench/citus/driver.sql).  Both sides run in the same server with the same
# settings; the cluster's shards live in the two workers.
#
#   CRM_BENCH_CITUS_CUSTOMERS  demo data scale (default 20000)
#   CRM_BENCH_CITUS_ROUNDS     timed rounds per operation and side (default 7)
#   CRM_BENCH_INSTALLED        set by bench/run.sh: crm is built and installed
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$CRM_ROOT/scripts/citus.sh"

customers=${CRM_BENCH_CITUS_CUSTOMERS:-20000}
rounds=${CRM_BENCH_CITUS_ROUNDS:-7}
if ! crm_citus_available; then
	crm_say "bench/citus.sh skipped: $CRM_CITUS_SKIPPED"
	exit 0
fi
started=$SECONDS
[ -n "${CRM_BENCH_INSTALLED:-}" ] || { crm_require_packages; crm_build_install; }
crm_citus_install
trap crm_citus_stop_cluster EXIT
crm_citus_start_cluster
export PGOPTIONS='-c client_min_messages=warning'
# the memory settings of the single-node benchmarks (scripts/lib.sh) on
# every node
for port in "$CRM_CITUS_COORD_PORT" "$CRM_CITUS_WORKER1_PORT" "$CRM_CITUS_WORKER2_PORT"; do
	crm_citus_psql_node "$port" -q -d postgres -c "ALTER SYSTEM SET work_mem = '64MB'" \
		-c "ALTER SYSTEM SET maintenance_work_mem = '256MB'" -c 'SELECT pg_reload_conf()' >/dev/null
done

crm_citus_psql -q -d postgres -c 'CREATE DATABASE crm_single' -c 'CREATE DATABASE crm_bench_driver'
crm_say "citus: demo data, $customers customers, in crm_single and in crm_dist (then crm.distribute())"
crm_citus_psql -q -d crm_single -c 'CREATE EXTENSION crm' \
	-c "SELECT sum(row_count) AS rows FROM crm.generate_demo_data($customers, 42)" -c 'VACUUM ANALYZE'
crm_citus_psql -q -c 'CREATE EXTENSION crm' \
	-c "SELECT sum(row_count) AS rows FROM crm.generate_demo_data($customers, 42)" \
	-c "SELECT kind, count(*) AS tables FROM crm.distribute() GROUP BY kind ORDER BY kind" -c 'VACUUM ANALYZE'
for db in crm_single crm_dist; do
	crm_citus_psql -q -d "$db" -f "$CRM_ROOT/bench/citus/node.sql" >/dev/null
done
crm_say "citus: data ready ($((SECONDS - started)) s); $rounds interleaved rounds per operation"
conn="host=$CRM_CITUS_DIR port=$CRM_CITUS_COORD_PORT user=postgres"
crm_citus_psql -q -d crm_bench_driver -v rounds="$rounds" \
	-v single="$conn dbname=crm_single" -v cluster="$conn dbname=crm_dist" \
	-f "$CRM_ROOT/bench/citus/driver.sql"
crm_say "bench/citus.sh: $((SECONDS - started)) s"
