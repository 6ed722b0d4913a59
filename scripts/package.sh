#!/usr/bin/env bash
# The Debian package (`bash scripts/package.sh`, also `make deb`, and a step
# of scripts/test.sh): builds postgresql-15-crm with Debian's pg_buildext
# (debian/) in a clean Debian 12 root file system that has only the build
# dependencies (deb-build), runs lintian on it, then installs the .deb into a
# fresh copy of a Debian 12 root file system that has only postgresql-15 and
# what runs pg_regress (deb-test), and runs the regression suite (make
# installcheck) against the installed files.  Both root file systems are
# made once with debootstrap and cached (scripts/pgversions.sh).  Prints
# TAP; the packages are left in $CRM_DEB_DIR (default /var/cache/crm/debs).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CRM_ROOT/scripts/pgversions.sh"

CRM_DEB_DIR=${CRM_DEB_DIR:-/var/cache/crm/debs}

crm_rootfs_ensure deb-build >&2
crm_rootfs_ensure deb-test >&2
build=$(crm_rootfs_dir deb-build)
rm -f "$build"/build/*.deb "$build"/build/*.changes "$build"/build/*.buildinfo

# build: pg_buildext writes debian/control for the versions the build
# machine supports, dpkg-buildpackage makes the binary package (the tests
# run below, against the installed package, not at build time)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if crm_rootfs_run deb-build bash -c 'pg_buildext updatecontrol && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b -Pnocheck' >"$log" 2>&1; then
	debs=$(cd "$build/build" && ls ./*.deb 2>/dev/null | sed 's|^\./||')
	crm_tap ok "dpkg-buildpackage in a clean Debian 12 root file system: $(echo $debs)"
else
	crm_tap not "dpkg-buildpackage in a clean Debian 12 root file system" "$(tail -n 30 "$log")"
	crm_tap_end
	exit 1
fi
mkdir -p "$CRM_DEB_DIR"
cp "$build"/build/*.deb "$CRM_DEB_DIR/"

# lintian: errors fail; what it still reports is printed
crm_rootfs_run deb-build bash -c 'lintian --tag-display-limit 0 ../*.deb' >"$log" 2>&1 || true
errors=$(grep -c '^E: ' "$log" || true)
warnings=$(grep -c '^[WIP]: ' "$log" || true)
if [ "$errors" -eq 0 ]; then
	crm_tap ok "lintian: no errors ($warnings warnings, notes and pedantic tags, listed below)"
	sed 's/^/# lintian: /' "$log"
else
	crm_tap not "lintian: $errors errors" "$(cat "$log")"
fi

# install into a fresh copy of the test root file system and run the
# regression suite against the installed files
base=$(crm_rootfs_dir deb-test)
fresh=$CRM_ROOTFS_CACHE/deb-test-run
rm -rf "$fresh"
cp -a "$base" "$fresh"
mkdir -p "$fresh/debs"
cp "$CRM_DEB_DIR"/postgresql-15-crm_*.deb "$fresh/debs/"
if crm_rootfs_chroot "$fresh" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /debs/*.deb' >"$log" 2>&1; then
	crm_tap ok "apt-get install of the package into Debian 12 with only postgresql-15"
else
	crm_tap not "apt-get install of the package into Debian 12 with only postgresql-15" "$(tail -n 20 "$log")"
fi
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$CRM_ROOT/crm.control")
owned=$(crm_rootfs_chroot "$fresh" sh -c "dpkg -S /usr/lib/postgresql/15/lib/crm.so /usr/share/postgresql/15/extension/crm.control /usr/share/postgresql/15/extension/crm--$version.sql 2>&1 | cut -d: -f1 | sort -u" 2>&1 || true)
[ "$owned" = postgresql-15-crm ] && crm_tap ok "crm.so, crm.control and crm--$version.sql are the package's files" ||
	crm_tap not "crm.so, crm.control and crm--$version.sql are the package's files" "$owned"

# the source tree's tests (sql/, expected/, test/specs/, Makefile), no build
crm_rootfs_copy_tree "$fresh/build/crm" Makefile crm.control sql expected test scripts
CRM_ROOTFS_SHARED=$(cd "$CRM_ROOT/.." && pwd)/shared \
	crm_rootfs_chroot "$fresh" bash -c '
		source /build/crm/scripts/lib.sh
		crm_start_cluster >/dev/null
		trap crm_stop_cluster EXIT
		make -C /build/crm -s installcheck PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config 2>&1 || true' >"$log" 2>&1 || true
while IFS= read -r line; do
	name=$(echo "$line" | sed -E 's/^(test|ok [0-9]+ +-|not ok [0-9]+ +-) *([a-z_0-9]+).*/\2/')
	case $line in
	*"... ok"* | "ok "*) crm_tap ok "installcheck against the installed package: $name" ;;
	*) crm_tap not "installcheck against the installed package: $name" ;;
	esac
done < <(grep -E '\.\.\. (ok|FAILED)|^(not )?ok [0-9]+ +- ' "$log")
grep -qE '\.\.\. ok|^ok [0-9]+ +- ' "$log" || crm_tap not "installcheck against the installed package ran" "$(tail -n 30 "$log")"
[ -f "$fresh/build/crm/regression.diffs" ] && sed 's/^/#   /' "$fresh/build/crm/regression.diffs" | head -n 80
rm -rf "$fresh"

crm_tap_end
