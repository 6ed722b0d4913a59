#!/usr/bin/env bash
# Random SQL against crm with sqlsmith: a throwaway cluster with the
# extension and demo data, then sqlsmith generates and runs queries (by
# default 10,000) as an ordinary role that may read and call everything in
# crm.  The run fails when the server crashed: the server log is searched for
# "terminated by signal" and "was terminated", and the crashing queries
# (from the log) are printed.
#
#   bash scripts/sqlsmith.sh
#   CRM_SQLSMITH_QUERIES=50000 CRM_SQLSMITH_SEED=7 bash scripts/sqlsmith.sh
#
# Installs sqlsmith (Debian package) when run as root and it is missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

queries=${CRM_SQLSMITH_QUERIES:-10000}
seed=${CRM_SQLSMITH_SEED:-42}
customers=${CRM_SQLSMITH_CUSTOMERS:-2000}

if ! command -v sqlsmith >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "sqlsmith is not installed; run as root or: sudo apt-get install -y sqlsmith" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlsmith >/dev/null
fi

crm_require_packages
crm_build_install
crm_start_cluster
trap crm_stop_cluster EXIT

createdb crm_smith
psql -X -q -v ON_ERROR_STOP=1 -d crm_smith <<SQL
CREATE EXTENSION crm;
SELECT sum(row_count) AS demo_rows FROM crm.generate_demo_data($customers, 11);
SELECT count(*) AS graded FROM crm.refresh_grades('2025-12-31');
CREATE ROLE crm_smith LOGIN;
ALTER ROLE crm_smith SET statement_timeout = '5s';
GRANT USAGE ON SCHEMA crm TO crm_smith;
GRANT SELECT ON ALL TABLES IN SCHEMA crm TO crm_smith;
REVOKE SELECT ON crm.audit_log FROM crm_smith;
SQL

crm_say "sqlsmith: $queries queries, seed $seed"
log=$CRM_CLUSTER_DIR/sqlsmith.log
start=$(date +%s)
sqlsmith --target="host=$PGHOST port=$PGPORT dbname=crm_smith user=crm_smith" \
	--seed="$seed" --max-queries="$queries" --exclude-catalog --verbose >"$log" 2>&1 || true
# progress dots, then "queries: N" and the most frequent errors
tr '\r' '\n' <"$log" | grep -aE '^queries:|^AST stats' || true
echo "most frequent errors (count, message):"
tr '\r' '\n' <"$log" | grep -aE '^[0-9]+[[:space:]]+ERROR' | head -12 || true
echo "sqlsmith ran $(($(date +%s) - start)) s"

server_log=$CRM_CLUSTER_DIR/server.log
crashes=$(grep -cE 'terminated by signal|was terminated by' "$server_log" || true)
echo "server crashes: $crashes"
if [ "$crashes" -gt 0 ]; then
	grep -E -B2 -A4 'terminated by signal|was terminated by' "$server_log" | head -60
	exit 1
fi
# the extension still answers
psql -X -q -At -d crm_smith -c "SELECT 'server alive, ' || count(*) || ' customers' FROM crm.customers"
