#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# sysroot.sh ARCH — print a directory holding what the static test binaries
# for ARCH (arm64) link against and what the guest runs besides them: Check,
# libsubunit and libnl-3 (static libraries, headers, pkg-config files) and a
# static busybox, from Debian's arm64 packages. The .debs are downloaded
# and unpacked, never installed (host-setup.sh adds the arm64 architecture
# to apt for this). Cached under $NESTIO_CACHE/sysroot/<arch>-<hash of the
# package versions>/.
set -eu

arch=${1:-arm64}
cache=${NESTIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/libnestio}
PKGS="check libsubunit-dev libsubunit0 libnl-3-dev libnl-3-200 busybox-static"

log() { printf 'sysroot.sh: %s\n' "$*" >&2; }

dpkg --print-foreign-architectures | grep -qx "$arch" ||
	{ log "apt does not know $arch packages (run host-setup.sh)"; exit 1; }
# the candidate versions (bookworm's, by the pin), so a new version rebuilds
vers=
for p in $PKGS; do
	v=$(apt-cache policy "$p:$arch" | awk '/Candidate:/ {print $2}')
	[ -n "$v" ] && [ "$v" != "(none)" ] || { log "no candidate for $p:$arch"; exit 1; }
	vers="$vers $p=$v"
done
hash=$(echo "$vers" | sha256sum | cut -c1-16)
out=$cache/sysroot/$arch-$hash
# two runs at once (several worktrees share the cache): one downloads and
# unpacks, the other waits for it and takes the result; without the lock
# they shared $out.tmp and a configure could find the sysroot half-made
mkdir -p "$cache/sysroot"
exec 9>"$cache/sysroot/$arch.lock"
flock 9
if [ -f "$out/done" ]; then
	echo "$out"; exit 0
fi

log "downloading:$vers ($arch)"
rm -rf "$out.tmp"; mkdir -p "$out.tmp/dl"
for pv in $vers; do
	(cd "$out.tmp/dl" && apt-get download -qq -o APT::Sandbox::User=root "${pv%%=*}:$arch=${pv#*=}")
done
for d in "$out.tmp"/dl/*.deb; do
	dpkg -x "$d" "$out.tmp"
done
rm -rf "$out.tmp/dl"
# bookworm puts some libraries under /lib: keep one library directory
if [ -d "$out.tmp/lib" ]; then
	mkdir -p "$out.tmp/usr/lib"
	cp -a "$out.tmp/lib/." "$out.tmp/usr/lib/"
	rm -rf "$out.tmp/lib"
fi
[ -x "$out.tmp/bin/busybox" ] || { log "no busybox in busybox-static:$arch"; exit 1; }
rm -rf "$out"; mv "$out.tmp" "$out"
touch "$out/done"
log "cached in $out"
echo "$out"
