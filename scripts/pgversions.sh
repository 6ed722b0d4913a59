# scripts/pgversions.sh: the suite on the newer PostgreSQL versions, each in
# a Debian root file system of its own (sourced by scripts/test.sh after
# scripts/lib.sh, not run).  Debian 12 ships PostgreSQL 15 only; Debian 13
# (trixie) ships 17 and Debian testing (forky) 18, with their -dev and pgTAP
# packages.  A root file system made with debootstrap from Debian's archive
# runs them without touching the host's packages.
#
#   crm_pgversions                the versions tested beside 15: $CRM_PG_VERSIONS,
#                                 by default "17 18" ("" tests 15 only)
#   crm_rootfs_ensure VERSION     the root file system of that version, made
#                                 once and cached in $CRM_ROOTFS_CACHE (a
#                                 second run reuses it)
#   crm_rootfs_run VERSION CMD... copy this working tree into it and run a
#                                 command there (CRM_IN_ROOTFS=1), from the
#                                 tree's root; its output goes to stdout
#   crm_rootfs_suite VERSION      crm_rootfs_run VERSION scripts/test.sh: the
#                                 pg_regress, isolation, pgTAP, dump round trip
#                                 and load steps (scikit-learn, Citus and the
#                                 documentation run on 15 only)

CRM_PG_VERSIONS=${CRM_PG_VERSIONS-17 18}
CRM_ROOTFS_CACHE=${CRM_ROOTFS_CACHE:-/var/cache/crm/rootfs}
CRM_DEBIAN_MIRROR=${CRM_DEBIAN_MIRROR:-http://deb.debian.org/debian}

crm_pgversions() { echo "$CRM_PG_VERSIONS"; }

# The root file systems, by name: a PostgreSQL version (17, 18), or what
# scripts/package.sh builds and tests the Debian package in (deb-build,
# deb-test: Debian 12 with only what that needs).  Each gives its Debian
# suite and the debootstrap script for it (Debian 12's debootstrap knows
# trixie; testing is made with sid's script).
crm_rootfs_debian() {
	case $1 in
	17) echo "trixie trixie" ;;
	18) echo "forky sid" ;;
	deb-build | deb-test) echo "bookworm bookworm" ;;
	*) echo "no Debian root file system is set up for PostgreSQL $1 (17 and 18 are)" >&2; return 1 ;;
	esac
}

crm_rootfs_dir() {
	local suite
	suite=$(crm_rootfs_debian "$1" | cut -d' ' -f1)
	case $1 in
	deb-*) echo "$CRM_ROOTFS_CACHE/$suite-$1" ;;
	*) echo "$CRM_ROOTFS_CACHE/$suite-pg$1" ;;
	esac
}

# Its packages: for a version, what scripts/lib.sh names for 15; for the
# package build, pg_buildext's build dependencies and lintian; for the
# package test, the server and what runs pg_regress (make, pg_regress of
# postgresql-server-dev-15), not crm's build dependencies.
crm_rootfs_packages() {
	case $1 in
	deb-build) echo "build-essential debhelper dpkg-dev postgresql-server-dev-all postgresql-common lintian" ;;
	deb-test) echo "postgresql-15 postgresql-server-dev-15 make" ;;
	*) echo "build-essential postgresql-$1 postgresql-server-dev-$1 postgresql-$1-pgtap libtap-parser-sourcehandler-pgtap-perl postgresql-common" ;;
	esac
}

crm_rootfs_ensure() {
	local version=$1 suite script dir tmp start=$SECONDS label=$1
	read -r suite script <<<"$(crm_rootfs_debian "$version")"
	[[ $version == deb-* ]] || label="PostgreSQL $version"
	dir=$(crm_rootfs_dir "$version")
	if [ -f "$dir/.crm-ready" ] && [ "$(cat "$dir/.crm-ready")" = "$(crm_rootfs_packages "$version")" ]; then
		crm_say "$label: Debian $suite root file system from the cache $dir"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "Making the Debian $suite root file system for PostgreSQL $version needs root (debootstrap, chroot)." >&2
		return 1
	fi
	command -v debootstrap >/dev/null || {
		crm_say "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
	}
	crm_say "$label: making a Debian $suite root file system in $dir (once; cached)"
	mkdir -p "$CRM_ROOTFS_CACHE"
	tmp=$dir.tmp
	rm -rf "$tmp" "$dir"
	debootstrap --variant=minbase "$suite" "$tmp" "$CRM_DEBIAN_MIRROR" "/usr/share/debootstrap/scripts/$script" \
		>"$CRM_ROOTFS_CACHE/debootstrap-$suite.log" 2>&1 || {
		tail -n 20 "$CRM_ROOTFS_CACHE/debootstrap-$suite.log"
		return 1
	}
	# no service starts inside, and no default cluster: the suite makes its own
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	mkdir -p "$tmp/etc/postgresql-common/createcluster.d"
	echo "create_main_cluster = false" >"$tmp/etc/postgresql-common/createcluster.d/crm.conf"
	# a mirror may serve a frozen snapshot whose Release files are past
	# their Valid-Until (testing's expire within a week): their signatures
	# are still checked
	echo 'Acquire::Check-Valid-Until "false";' >"$tmp/etc/apt/apt.conf.d/99crm-snapshot"
	# shellcheck disable=SC2046
	crm_rootfs_chroot "$tmp" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(crm_rootfs_packages "$version")" \
		>"$CRM_ROOTFS_CACHE/apt-$suite.log" 2>&1 || {
		tail -n 20 "$CRM_ROOTFS_CACHE/apt-$suite.log"
		return 1
	}
	crm_rootfs_chroot "$tmp" apt-get clean
	crm_rootfs_packages "$version" >"$tmp/.crm-ready"
	mv "$tmp" "$dir"
	crm_say "$label: root file system ready ($((SECONDS - start)) s)"
}

# Run a command in a root file system, in a mount namespace of its own (its
# /proc, /dev and the shared folder vanish with it, whatever happens).
crm_rootfs_chroot() {
	local root=$1
	shift
	unshare --mount --propagation private -- /bin/bash -c '
		set -e
		root=$1 shared=$2
		shift 2
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		if [ -n "$shared" ] && [ -d "$shared" ]; then
			mkdir -p "$root/build/shared"
			mount --bind "$shared" "$root/build/shared"
		fi
		exec chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root LANG=C.UTF-8 \
			CRM_IN_ROOTFS=1 ${CRM_PG_VERSION:+CRM_PG_VERSION=$CRM_PG_VERSION} CRM_PG_VERSIONS= "$@"
	' crm-rootfs "$root" "${CRM_ROOTFS_SHARED:-}" "$@"
}

# Copy this working tree (or the named parts of it) to a fresh directory
# $1, as it is (uncommitted changes too) but without builds.
crm_rootfs_copy_tree() {
	local dest=$1
	shift
	rm -rf "$dest"
	mkdir -p "$dest"
	tar -C "$CRM_ROOT" --exclude=.git --exclude='*.o' --exclude='*.bc' --exclude='*.so' --exclude='./crm--*.sql' \
		--exclude=results --exclude=output_iso --exclude=regression.diffs --exclude=regression.out \
		-cf - "${@:-.}" | tar -C "$dest" -xf -
}

# Copy this working tree into the root file system of a version (as it is,
# uncommitted changes too, without builds) and run a command of it there,
# from /build/crm; CRM_BENCH_* settings go along.
crm_rootfs_run() {
	local version=$1 dir var
	local -a pass=()
	shift
	dir=$(crm_rootfs_dir "$version")
	crm_rootfs_copy_tree "$dir/build/crm"
	for var in $(compgen -v CRM_BENCH_ || true); do
		pass+=("$var=${!var}")
	done
	CRM_ROOTFS_SHARED=$(cd "$CRM_ROOT/.." && pwd)/shared CRM_PG_VERSION=$version \
		crm_rootfs_chroot "$dir" "${pass[@]}" bash -c 'cd /build/crm && exec "$@"' crm "$@"
}

crm_rootfs_suite() { crm_rootfs_run "$1" bash scripts/test.sh; }
