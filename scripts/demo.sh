#!/usr/bin/env bash
# The main job (README: `bash scripts/demo.sh`, also `make demo`): installs
# what is missing, builds and installs crm, starts a throwaway PostgreSQL 15
# cluster, creates database crm with the extension and deterministic demo
# data, prints the analytics, writes them as charts into one HTML file
# (scripts/report.py), and leaves the cluster running with the
# commands to connect to it and to stop it.
#
#   CRM_DEMO_CUSTOMERS   how many customers to generate (default 20000)
#   CRM_DEMO_SEED        generator seed (default 42)
#   CRM_REPORT           where to write the visual report (default
#                        crm-report.html in the checkout; scripts/report.py)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

customers=${CRM_DEMO_CUSTOMERS:-20000}
seed=${CRM_DEMO_SEED:-42}

crm_require_packages
crm_build_install
crm_start_cluster
trap 'crm_stop_cluster' ERR

createdb crm
psql -X -q -v ON_ERROR_STOP=1 -d crm -c 'CREATE EXTENSION crm'
crm_say "generating demo data: $customers customers, seed $seed"
psql -X -v ON_ERROR_STOP=1 -d crm -c "SELECT * FROM crm.generate_demo_data($customers, $seed)"
psql -X -v ON_ERROR_STOP=1 -d crm -f "$CRM_ROOT/scripts/demo.sql"
report=${CRM_REPORT:-$CRM_ROOT/crm-report.html}
crm_say "drawing the visual report"
/usr/bin/python3 "$CRM_ROOT/scripts/report.py" --dbname crm --output "$report"

trap - ERR
owner_prefix=""
[ "$(id -u)" -eq 0 ] && owner_prefix="runuser -u postgres -- "
cat <<MSG

== the visual report (open it in a browser): $report

== the cluster is still running
connect:  psql -h $PGHOST -p $PGPORT -U postgres crm
     or:  psql "host=127.0.0.1 port=$PGPORT user=postgres dbname=crm"   (Metabase, Grafana, ...)
stop:     ${owner_prefix}$PG_BIN/pg_ctl -D $CRM_CLUSTER_DIR/data stop && rm -rf $CRM_CLUSTER_DIR
MSG
