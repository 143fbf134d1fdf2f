#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/vm/package.sh TARBALL DEBIAN-DIR [LOGDIR]
#
# The Debian packages as users get them, from a release tarball (what
# `make distcheck` leaves; it has no debian/, as upstream tarballs should
# not): unpack it in a temporary directory next to its copy as the .orig
# tarball, add a copy of DEBIAN-DIR, build source and binary packages with
# dpkg-buildpackage, check them with `lintian --pedantic`, then run the
# package's autopkgtests (debian/tests) with the built packages installed in
# a throwaway overlay of this machine's root, in a private mount namespace:
# nothing is installed on the machine itself, and the source tree is never
# touched. Fails on any lintian error or warning other than
# initial-upload-closes-no-bugs (an initial upload's changelog closes its
# ITP bug, which is filed only when the package goes to an archive), on any
# failed test, and on a test that writes to stderr (autopkgtest's rule
# without allow-stderr). The packages, the build log, lintian's output and
# the tests' output stay in LOGDIR (default: the current directory).
set -eu

[ $# -ge 2 ] && [ -f "$1" ] && [ -f "$2/control" ] ||
	{ echo "usage: $0 TARBALL DEBIAN-DIR [LOGDIR]" >&2; exit 2; }
tarball=$(readlink -f "$1")
debian=$(readlink -f "$2")
logdir=$(mkdir -p "${3:-.}" && cd "${3:-.}" && pwd)
name=$(basename "$tarball")
case "$name" in
libnestio-*.tar.xz) version=${name#libnestio-}; version=${version%.tar.xz} ;;
*) echo "package: $name is not a libnestio release tarball" >&2; exit 2 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/libnestio-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cp "$tarball" "$tmp/libnestio_$version.orig.tar.xz"
tar -xJf "$tarball" -C "$tmp"
src=$tmp/libnestio-$version
[ ! -e "$src/debian" ] || { echo "package: the tarball has a debian/ of its own" >&2; exit 1; }
cp -r "$debian" "$src/debian"

# ---- build: source package and binary packages, unsigned ----
t=$(date +%s)
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" \
	dpkg-buildpackage -us -uc >"$logdir/package-build.log" 2>&1); then
	tail -n 60 "$logdir/package-build.log"
	echo "package: dpkg-buildpackage failed (log: $logdir/package-build.log)"
	exit 1
fi
changes=$(ls "$tmp"/libnestio_*_"$(dpkg-architecture -qDEB_HOST_ARCH)".changes)
echo "built in $(( $(date +%s) - t ))s (kept in $logdir):"
sed -n '/^Files:/,$p' "$changes" | sed -n 's/^ [0-9a-f]* *[0-9]* [^ ]* [^ ]* /  /p'
rm -f "$logdir"/*.deb "$logdir"/*.changes "$logdir"/*.buildinfo "$logdir"/*.dsc \
	"$logdir"/*.tar.xz
cp "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$tmp"/*.dsc "$tmp"/*.tar.xz "$logdir/"

# ---- lintian: everything it says is shown; errors and warnings fail ----
lrc=0
lintian --pedantic --display-info --display-experimental "$changes" \
	>"$logdir/lintian.out" 2>&1 || lrc=$?
grep -v '^running with root privileges is not recommended!$' "$logdir/lintian.out" \
	>"$tmp/lintian.out" || true
echo "lintian --pedantic --display-info --display-experimental:"
sed 's/^/  /' "$tmp/lintian.out"
bad=$(grep -E '^[EW]: ' "$tmp/lintian.out" | grep -v ' initial-upload-closes-no-bugs ' || true)
# lintian's own failure (exit status 1, or a line that is no tag) must not
# pass: 2 only says it found errors, which the grep above has
if { [ "$lrc" != 0 ] && [ "$lrc" != 2 ]; } || grep -qvE '^[EWIPXNO]: |^$' "$tmp/lintian.out"; then
	echo "package: lintian did not run cleanly"; exit 1
fi
if [ -n "$bad" ]; then
	echo "package: lintian errors or warnings:"; echo "$bad"; exit 1
fi

# ---- autopkgtest: debian/tests with the packages installed ----
# an overlay of / (its upper layer on a tmpfs) is the test bed: dpkg
# installs there, the machine's own root and package database stay as
# they are; the test runs as nobody, as autopkgtest runs a test without
# needs-root, and the namespace goes when the shell in it exits
tests=$(sed -n 's/^Tests:[[:space:]]*//p' "$src/debian/tests/control" | tr ',' ' ')
[ -n "$tests" ] || { echo "package: debian/tests/control names no test"; exit 1; }
mkdir -p "$tmp/debs"
for d in "$tmp"/*.deb; do
	case "$d" in *-dbgsym_*) ;; *) cp "$d" "$tmp/debs/" ;; esac
done
cp -r "$src/debian/tests" "$tmp/tests"
cat >"$tmp/testbed.sh" <<'EOF'
set -eu
tmp=$1; shift
r=$tmp/ns/root
mount -t tmpfs tmpfs "$tmp/ns"
mkdir -p "$tmp/ns/upper" "$tmp/ns/work" "$r"
mount -t overlay overlay -o "lowerdir=/,upperdir=$tmp/ns/upper,workdir=$tmp/ns/work" "$r"
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/tmp"
mkdir -p "$r/tmp/debs" "$r/tmp/tests"
cp "$tmp"/debs/*.deb "$r/tmp/debs/"
cp "$tmp"/tests/* "$r/tmp/tests/"
chroot "$r" sh -c 'dpkg -i /tmp/debs/*.deb' >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; exit 1; }
sed -n 's/^Setting up \([^ ]*\) .*/  installed \1/p' "$tmp/dpkg.log"
rc=0
for t in "$@"; do
	mkdir -p "$r/tmp/work-$t"
	chown nobody:nogroup "$r/tmp/work-$t"
	trc=0
	chroot "$r" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp/work-$t \
		AUTOPKGTEST_TMP=/tmp/work-$t sh -c "cd / && /tmp/tests/$t" \
		>"$tmp/$t.stdout" 2>"$tmp/$t.stderr" || trc=$?
	sed 's/^/    /' "$tmp/$t.stdout"
	if [ "$trc" != 0 ]; then
		echo "  $t: FAIL (exit status $trc)"; rc=1
	elif [ -s "$tmp/$t.stderr" ]; then
		echo "  $t: FAIL (stderr: $(head -n 3 "$tmp/$t.stderr"))"; rc=1
	else
		echo "  $t: PASS"
	fi
	sed 's/^/    stderr: /' "$tmp/$t.stderr"
done
exit $rc
EOF
echo "autopkgtest (debian/tests) in a throwaway overlay of /:"
mkdir -p "$tmp/ns"
rc=0
unshare --mount --propagation private sh "$tmp/testbed.sh" "$tmp" $tests \
	>"$logdir/autopkgtest.log" 2>&1 || rc=$?
cat "$logdir/autopkgtest.log"
[ "$rc" = 0 ] || { echo "package: autopkgtest failed"; exit 1; }
echo "Debian packages: built, lintian: no error or warning but initial-upload-closes-no-bugs, $(echo $tests | wc -w) autopkgtests passed"
