#!/usr/bin/env bash
# The demo's visual report, rendered in a real browser (run by
# scripts/test.sh on the host's PostgreSQL 15; prints TAP): a database as
# the demo makes it (crm.generate_demo_data, then scripts/demo.sql), the
# report written by scripts/report.py, then test/report.py opens it in
# headless Chromium and checks every chart (present, loaded, of its size,
# drawn), no script or console error, nothing fetched, and a screenshot of
# the whole page.  Expects PGHOST, PGPORT, PGUSER of a running cluster
# with crm installed in its library; needs /usr/bin/python3 with
# python3-matplotlib, python3-psycopg2, python3-selenium, and chromium,
# chromium-driver, graphviz.  CRM_REPORT_KEEP=DIR keeps the report and the
# screenshot there.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/crm-report.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"; dropdb --if-exists crm_report >/dev/null 2>&1 || true' EXIT
dropdb --if-exists crm_report >/dev/null 2>&1 || true
createdb crm_report
psql -X -q -v ON_ERROR_STOP=1 -d crm_report -c 'CREATE EXTENSION crm' \
	-c 'SET client_min_messages = warning' -c 'SELECT count(*) FROM crm.generate_demo_data(3000, 42)' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d crm_report -f "$root/scripts/demo.sql" >/dev/null
/usr/bin/python3 "$root/scripts/report.py" --dbname crm_report --output "$work/report.html"
status=0
/usr/bin/python3 "$root/test/report.py" "$work/report.html" "$work/screenshot.png" || status=$?
if [ -n "${CRM_REPORT_KEEP:-}" ]; then
	cp "$work/report.html" "$work/screenshot.png" "$CRM_REPORT_KEEP/"
fi
exit $status
