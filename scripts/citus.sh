# scripts/citus.sh: a three-node Citus cluster for the distributed suite
# (sourced after scripts/lib.sh, not run).
#
#   crm_citus_available      true when the Citus source is beside the repository
#                            ($CRM_CITUS_TARBALL); otherwise callers print
#                            "skipped: $CRM_CITUS_SKIPPED"
#   crm_citus_install        install its build dependencies (as root), build it
#                            once into a cache outside the repository (keyed by
#                            the tarball's sha256 and `pg_config --version`), and
#                            copy the build into the PostgreSQL of $PG_BIN
#   crm_citus_start_cluster  a coordinator and two workers in one temp dir, on
#                            loopback ports, with citus created in database
#                            crm_dist on each and the workers added; sets
#                            CRM_CITUS_DIR (also the sockets' directory),
#                            CRM_CITUS_COORD_PORT, CRM_CITUS_WORKER1_PORT and
#                            CRM_CITUS_WORKER2_PORT, and leaves PGHOST/PGPORT alone
#   crm_citus_create_database DB
#                            database DB on every node with citus created and the
#                            workers added (crm_dist is made this way)
#   crm_citus_psql           psql on the coordinator, database crm_dist (a later
#                            -d DB picks another database)
#   crm_citus_psql_node      the same on the node listening on port $1
#   crm_citus_stop_cluster   stop the three servers and remove their directory

set -euo pipefail

# The relative form (beside the repository) is what CI sees too.
CRM_CITUS_TARBALL=$CRM_ROOT/../shared/vendor/citus-13.2.2-src.tar.gz
CRM_CITUS_SKIPPED="distributed suite (needs ../shared/vendor/citus-13.2.2-src.tar.gz beside the repository)"
CRM_CITUS_CACHE=${CRM_CITUS_CACHE:-/var/cache/crm/citus}
CRM_CITUS_BUILD_PACKAGES="build-essential postgresql-server-dev-15 liblz4-dev libzstd-dev libkrb5-dev libssl-dev libicu-dev libreadline-dev libselinux1-dev libxslt1-dev libpam0g-dev zlib1g-dev"

crm_citus_available() {
	[ -f "$CRM_CITUS_TARBALL" ]
}

# Milliseconds since the epoch, and the seconds elapsed since such a stamp.
crm_citus_now() { echo $(($(date +%s%N) / 1000000)); }
crm_citus_since() {
	local ms=$(($(crm_citus_now) - $1))
	printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100))
}

# The cache entry of this tarball and this PostgreSQL: a DESTDIR staging of
# `make install` (stage/), and the pkglibdir and sharedir it was built for.
crm_citus_cache_entry() {
	local tar_sha pg_version
	tar_sha=$(sha256sum "$CRM_CITUS_TARBALL" | cut -d' ' -f1)
	pg_version=$("$PG_BIN/pg_config" --version)
	echo "$CRM_CITUS_CACHE/$(basename "$CRM_CITUS_TARBALL" .tar.gz)-$(printf '%s\n%s\n' "$tar_sha" "$pg_version" | sha256sum | cut -c1-16)"
}

# Build Citus into the cache entry $1 (called with the cache locked).
crm_citus_build() {
	local entry=$1 build
	build=$(mktemp -d "$CRM_CITUS_CACHE/build.XXXXXX")
	mkdir "$build/entry"
	{
		echo "tarball: $CRM_CITUS_TARBALL"
		echo "sha256: $(sha256sum "$CRM_CITUS_TARBALL" | cut -d' ' -f1)"
		echo "pg_config: $PG_BIN/pg_config ($("$PG_BIN/pg_config" --version))"
	} >"$build/entry/source"
	"$PG_BIN/pg_config" --pkglibdir >"$build/entry/pkglibdir"
	"$PG_BIN/pg_config" --sharedir >"$build/entry/sharedir"
	tar xzf "$CRM_CITUS_TARBALL" -C "$build" --strip-components=1
	# PostgreSQL 15.20 exports have_createdb_privilege(), which Citus 13.2.2
	# also defines as a static compat function: rename Citus' copy, so that its
	# one caller uses PostgreSQL's.
	if grep -q 'have_createdb_privilege' "$("$PG_BIN/pg_config" --includedir-server)/commands/dbcommands.h"; then
		sed -i 's/^have_createdb_privilege(void)/citus_compat_have_createdb_privilege(void)/' \
			"$build/src/include/pg_version_compat.h"
	fi
	if ! (
		cd "$build"
		./configure --without-libcurl PG_CONFIG="$PG_BIN/pg_config"
		make -j2
		make install DESTDIR="$build/entry/stage"
	) >"$build/entry/build.log" 2>&1; then
		tail -n 40 "$build/entry/build.log" >&2
		echo "building Citus failed; the whole log is $build/entry/build.log" >&2
		exit 1
	fi
	mv "$build/entry" "$entry"
	rm -rf "$build"
}

crm_citus_install() {
	local start entry how lock sudo='' lib share
	start=$(crm_citus_now)
	CRM_PACKAGES=$CRM_CITUS_BUILD_PACKAGES crm_require_packages
	if ! mkdir -p "$CRM_CITUS_CACHE" 2>/dev/null || ! [ -w "$CRM_CITUS_CACHE" ]; then
		echo "The Citus build cache $CRM_CITUS_CACHE is not writable: set CRM_CITUS_CACHE to a directory of yours" >&2
		exit 1
	fi
	entry=$(crm_citus_cache_entry)
	# one build at a time (two checkouts testing at once share the cache)
	exec {lock}>"$CRM_CITUS_CACHE/.lock"
	flock "$lock"
	if [ -d "$entry" ]; then
		how="taken from the cache $entry"
	else
		crm_citus_build "$entry"
		how="built into the cache $entry"
	fi
	flock -u "$lock"
	exec {lock}>&-

	# Copy the staged libraries (with their bitcode) and extension files from
	# the directories Citus was built for to those of $PG_BIN/pg_config (a
	# relocated copy of the same build, say); the staged headers are not
	# needed.  Like make install, --remove-destination replaces each file
	# rather than writing into it, so a running server that has the old
	# library mapped is not disturbed.
	lib=$("$PG_BIN/pg_config" --pkglibdir)
	share=$("$PG_BIN/pg_config" --sharedir)
	if ! [ -w "$lib" ] || ! [ -w "$share/extension" ]; then
		if sudo -n true 2>/dev/null; then
			sudo=sudo
		else
			echo "Installing Citus into $lib needs root: run this command as root." >&2
			exit 1
		fi
	fi
	$sudo cp -R --remove-destination "$entry/stage$(cat "$entry/pkglibdir")/." "$lib/"
	$sudo cp -R --remove-destination "$entry/stage$(cat "$entry/sharedir")/." "$share/"
	crm_say "citus $how, installed into $lib ($(crm_citus_since "$start"))"
}

crm_citus_psql_node() {
	local port=$1
	shift
	"$PG_BIN/psql" -X -v ON_ERROR_STOP=1 -h "$CRM_CITUS_DIR" -p "$port" -U postgres -d crm_dist "$@"
}

crm_citus_psql() {
	crm_citus_psql_node "$CRM_CITUS_COORD_PORT" "$@"
}

# Start node $1 (its data directory under $CRM_CITUS_DIR) on a free port and
# set the variable named $2 to that port.  A port counts as free until its
# server listens, so the nodes are started one after the other.
crm_citus_start_node() {
	local data=$CRM_CITUS_DIR/$1 port
	port=$(crm_free_port)
	crm_as_owner "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
	cat >>"$data/postgresql.conf" <<-EOF
		# crm distributed suite
		port = $port
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$CRM_CITUS_DIR'
		shared_preload_libraries = 'citus'
		citus.enable_statistics_collection = off
		max_connections = 200
		shared_buffers = 128MB
		fsync = off
		synchronous_commit = off
		full_page_writes = off
	EOF
	crm_as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$data.log" -w start >/dev/null || {
		tail -n 20 "$data.log" >&2
		exit 1
	}
	printf -v "$2" %s "$port"
}

crm_citus_create_database() {
	local db=$1 port
	for port in "$CRM_CITUS_COORD_PORT" "$CRM_CITUS_WORKER1_PORT" "$CRM_CITUS_WORKER2_PORT"; do
		crm_citus_psql_node "$port" -q -d postgres -c "CREATE DATABASE $db"
		crm_citus_psql_node "$port" -q -d "$db" -c 'CREATE EXTENSION citus'
	done
	crm_citus_psql -q -At -d "$db" >/dev/null <<-EOF
		SELECT citus_set_coordinator_host('127.0.0.1', $CRM_CITUS_COORD_PORT);
		SELECT citus_add_node('127.0.0.1', $CRM_CITUS_WORKER1_PORT);
		SELECT citus_add_node('127.0.0.1', $CRM_CITUS_WORKER2_PORT);
	EOF
}

crm_citus_start_cluster() {
	local start port
	start=$(crm_citus_now)
	CRM_CITUS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crm-citus.XXXXXX")
	chmod 755 "$CRM_CITUS_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$CRM_CITUS_DIR"
	crm_citus_start_node coordinator CRM_CITUS_COORD_PORT
	crm_citus_start_node worker1 CRM_CITUS_WORKER1_PORT
	crm_citus_start_node worker2 CRM_CITUS_WORKER2_PORT
	export CRM_CITUS_DIR CRM_CITUS_COORD_PORT CRM_CITUS_WORKER1_PORT CRM_CITUS_WORKER2_PORT
	crm_citus_create_database crm_dist
	crm_say "Citus cluster in $CRM_CITUS_DIR: coordinator on port $CRM_CITUS_COORD_PORT, workers on $CRM_CITUS_WORKER1_PORT and $CRM_CITUS_WORKER2_PORT ($(crm_citus_since "$start"))"
}

crm_citus_stop_cluster() {
	[ -n "${CRM_CITUS_DIR:-}" ] && [ -d "$CRM_CITUS_DIR" ] || return 0
	local node
	for node in coordinator worker1 worker2; do
		[ -f "$CRM_CITUS_DIR/$node/postmaster.pid" ] || continue
		crm_as_owner "$PG_BIN/pg_ctl" -D "$CRM_CITUS_DIR/$node" -m fast -w stop >/dev/null 2>&1 || true
	done
	rm -rf "$CRM_CITUS_DIR"
}
