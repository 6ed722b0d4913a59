# scripts/lib.sh: what the README's two commands share (sourced, not run).
#
#   crm_require_packages   install the Debian packages crm needs (as root), or
#                          stop with the exact apt command (as anyone else)
#   crm_build_install      make && make install
#   crm_start_cluster      a throwaway PostgreSQL cluster in a temp dir, on a
#                          free port, run as an unprivileged user; sets
#                          PGHOST PGPORT PGUSER and CRM_CLUSTER_DIR
#   crm_stop_cluster       stop it and remove its directory
#   crm_tap, crm_tap_end   TAP lines of a check script and its plan

set -euo pipefail

CRM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# CRM_PG_VERSION: the PostgreSQL major version (15, Debian 12's; 17 and 18
# run in root file systems of their own, scripts/pgversions.sh).
# CRM_PG_BIN: the bin directory of another installation of it (a relocated
# copy, say, so that two checkouts can build, install and test at once
# without replacing each other's crm library)
CRM_PG_VERSION=${CRM_PG_VERSION:-15}
PG_BIN=${CRM_PG_BIN:-/usr/lib/postgresql/$CRM_PG_VERSION/bin}
export PG_BIN
CRM_PACKAGES="build-essential postgresql-$CRM_PG_VERSION postgresql-server-dev-$CRM_PG_VERSION postgresql-$CRM_PG_VERSION-pgtap libtap-parser-sourcehandler-pgtap-perl"
# the scikit-learn exchange, the Graphviz check, the META.json check and the
# demo's visual report (matplotlib, psycopg2) run on the host's PostgreSQL 15
# only
[ -n "${CRM_IN_ROOTFS:-}" ] || CRM_PACKAGES="$CRM_PACKAGES python3-sklearn graphviz python3-jsonschema python3-matplotlib python3-psycopg2"

crm_say() { printf '== %s\n' "$*"; }

# TAP of a check script: crm_tap ok|not DESCRIPTION [DETAILS] prints one
# check (the details as comments under a failure); crm_tap_end prints the
# plan and fails when a check failed.
crm_tap_n=0
crm_tap_failed=0
crm_tap() {
	crm_tap_n=$((crm_tap_n + 1))
	if [ "$1" = ok ]; then
		echo "ok $crm_tap_n - $2"
	else
		echo "not ok $crm_tap_n - $2"
		crm_tap_failed=$((crm_tap_failed + 1))
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
	fi
	return 0
}
crm_tap_end() {
	echo "1..$crm_tap_n"
	[ "$crm_tap_failed" -eq 0 ]
}

crm_require_packages() {
	local missing=() p
	for p in $CRM_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "crm needs these Debian packages: ${missing[*]}" >&2
		echo "Install them as root, then run this command again:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	crm_say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

crm_build_install() {
	crm_say "building and installing crm"
	make -C "$CRM_ROOT" -s PG_CONFIG="$PG_BIN/pg_config"
	local libdir
	libdir=$("$PG_BIN/pg_config" --pkglibdir)
	if [ -w "$libdir" ]; then
		make -C "$CRM_ROOT" -s install PG_CONFIG="$PG_BIN/pg_config" >/dev/null
	elif sudo -n true 2>/dev/null; then
		sudo make -C "$CRM_ROOT" -s install PG_CONFIG="$PG_BIN/pg_config" >/dev/null
	else
		echo "Installing crm into $libdir needs root. Run:" >&2
		echo "  sudo make -C $CRM_ROOT install" >&2
		exit 1
	fi
}

# Run a command as the cluster's owner: postgres when we are root (PostgreSQL
# refuses to run as root), ourselves otherwise.
crm_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

crm_free_port() {
	local port
	for port in $(seq 54321 54999); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "no free TCP port between 54321 and 54999" >&2
	exit 1
}

crm_start_cluster() {
	CRM_CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crm-cluster.XXXXXX")
	chmod 755 "$CRM_CLUSTER_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$CRM_CLUSTER_DIR"
	local port
	port=$(crm_free_port)
	crm_say "starting a throwaway PostgreSQL $CRM_PG_VERSION cluster in $CRM_CLUSTER_DIR on port $port"
	crm_as_owner "$PG_BIN/initdb" -D "$CRM_CLUSTER_DIR/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
	crm_as_owner "$PG_BIN/pg_ctl" -D "$CRM_CLUSTER_DIR/data" -l "$CRM_CLUSTER_DIR/server.log" -w \
		-o "-p $port -k $CRM_CLUSTER_DIR -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c work_mem=64MB -c maintenance_work_mem=256MB -c max_wal_size=4GB -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null
	export PGHOST=$CRM_CLUSTER_DIR PGPORT=$port PGUSER=postgres
	unset PGDATABASE PGPASSWORD PGSERVICE
}

crm_stop_cluster() {
	[ -n "${CRM_CLUSTER_DIR:-}" ] && [ -d "$CRM_CLUSTER_DIR" ] || return 0
	crm_as_owner "$PG_BIN/pg_ctl" -D "$CRM_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$CRM_CLUSTER_DIR"
}
