#!/usr/bin/env bash
# The main benchmark ratios on two PostgreSQL versions in one run, with the
# same demo data (`make bench-versions`): bench/run.sh on each version
# (15 on this machine, 17 and 18 in their Debian root file systems, see
# scripts/pgversions.sh), then one table of every crm / baseline ratio side
# by side, with the newer version's ratio over the older's, to catch a
# version where a plan or an API makes the extension slower.
#
#   CRM_BENCH_VERSIONS   the versions, oldest first (default "15 18")
#   CRM_BENCH_CUSTOMERS  demo data scale (default 100000, the quick run)
#   CRM_BENCH_ONLY       the bench/*.sql to run (default: purchase_stats value
#                        funnel duplicates, those without a Python baseline)
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

versions=${CRM_BENCH_VERSIONS:-15 18}
export CRM_BENCH_CUSTOMERS=${CRM_BENCH_CUSTOMERS:-100000}
export CRM_BENCH_ONLY=${CRM_BENCH_ONLY:-purchase_stats value funnel duplicates}
work=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench-versions.XXXXXX")
trap 'rm -rf "$work"' EXIT

for version in $versions; do
	crm_say "PostgreSQL $version: bench/run.sh ($CRM_BENCH_ONLY, $CRM_BENCH_CUSTOMERS customers)"
	CRM_PG_VERSION=$version bash "$CRM_ROOT/bench/run.sh" | tee "$work/$version.log"
done

# the rows of bench.compare: benchmark | workers | crm ms | baseline ms | ratio
ratios() {
	awk -F'|' 'NF == 5 && $5 ~ /^ *[0-9.]+ *$/ && $2 ~ /^ *[0-9]+ *$/ {
		gsub(/^ +| +$/, "", $1); gsub(/ /, "", $2); gsub(/ /, "", $5)
		print $1 "|" $2 "|" $5 }' "$1"
}
set -- $versions
old=$1
shift
for new in "$@"; do
	echo
	echo "| benchmark | workers | ratio on $old | ratio on $new | $new / $old |"
	echo "|---|---|---|---|---|"
	join -t'|' -j1 <(ratios "$work/$old.log" | awk -F'|' '{print $1 " @" $2 "|" $3}' | sort) \
		<(ratios "$work/$new.log" | awk -F'|' '{print $1 " @" $2 "|" $3}' | sort) |
		awk -F'|' '{ split($1, k, " @"); printf "| %s | %s | %s | %s | %.2f |\n", k[1], k[2], $2, $3, ($2 > 0 ? $3 / $2 : 0) }'
done
