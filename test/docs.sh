#!/usr/bin/env bash
# The documentation's examples cannot rot: runs every ```sql block of
# README.md and docs/*.md, in order, one psql session per document in a
# fresh database, compares what psql prints with the ```text block that
# follows it (pg_regress style), and checks that docs/reference.md names
# every function (each overload), aggregate, type, table (each column), view
# and crm.* setting of the extension.  Prints TAP ("ok N - README.md:120");
# a difference prints the example and a diff.  The runner is test/docs.py.
#
#   bash test/docs.sh                    check (a step of scripts/test.sh)
#   bash test/docs.sh --accept           rewrite the documents' output blocks
#                                        from a real run, after an intended change
#   bash test/docs.sh README.md          one document only
#
# Expects PGHOST, PGPORT, PGUSER of a running server where crm is installed
# (CRM_PG_BIN: the bin directory of the PostgreSQL to use, as for
# scripts/test.sh).  Sessions run with TimeZone UTC and lc_messages C.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/docs.py" "$@"
