#!/usr/bin/env bash
# Fuzz the parsing code of crm outside the server with libFuzzer
# (clang -fsanitize=fuzzer,address,undefined): the harnesses in test/fuzz/.
#
#   bash scripts/fuzz.sh                     60 s per harness
#   CRM_FUZZ_SECONDS=600 bash scripts/fuzz.sh
#
# Installs clang and libFuzzer (Debian clang, libfuzzer-14-dev) when run as
# root and they are missing.  Each harness starts from its seed corpus in
# test/fuzz/corpus/<name>/ and keeps what it finds in a scratch copy; a crash
# leaves crash-* reproducer files in test/fuzz/findings/ and makes the script
# fail.  Prints the executions and the coverage of each run.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${CRM_FUZZ_SECONDS:-60}
work=$(mktemp -d "${TMPDIR:-/tmp}/crm-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

need=()
command -v clang >/dev/null || need+=(clang)
dpkg-query -W -f='${Status}' libfuzzer-14-dev 2>/dev/null | grep -q 'install ok installed' || need+=(libfuzzer-14-dev)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "fuzzing needs: ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

mkdir -p "$root/test/fuzz/findings"
status=0
for harness in "$root"/test/fuzz/*_fuzz.c; do
	name=$(basename "$harness" _fuzz.c)
	echo "== $name: building"
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I "$root/src" -o "$work/$name" "$harness" -lm
	mkdir -p "$work/corpus-$name"
	cp "$root/test/fuzz/corpus/$name"/* "$work/corpus-$name/" 2>/dev/null || true
	echo "== $name: fuzzing for $seconds s"
	if ! "$work/$name" -max_total_time="$seconds" -max_len=8192 -timeout=10 -print_final_stats=1 \
			-artifact_prefix="$root/test/fuzz/findings/$name-" "$work/corpus-$name" >"$work/$name.log" 2>&1; then
		status=1
		echo "== $name: FAILED, reproducers in test/fuzz/findings/"
		grep -E 'ERROR|SUMMARY|crash-|==[0-9]+==' "$work/$name.log" | head -20
	fi
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^#[0-9]+.*DONE' "$work/$name.log" || tail -5 "$work/$name.log"
	echo "== $name: corpus grew to $(ls "$work/corpus-$name" | wc -l) inputs"
done
[ "$status" -eq 0 ] && echo "fuzzing: no crash"
exit "$status"
