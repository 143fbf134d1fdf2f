#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# kernel.sh ARCH — print the directory holding a test-VM kernel for ARCH
# (x86_64, or arm64 cross-built with gcc-aarch64-linux-gnu), building it
# first if the cache does not have it yet.
#
# Source: Debian's newest linux-source-7.x package, downloaded and unpacked
# (never installed). The built image is cached under
#   $NESTIO_CACHE/kernel/<arch>-<debian version>-<config hash>/
# together with the uapi headers (`make headers`) and the kernel-internal
# iommufd_test.h the tests cross-check against, so repeat runs skip the build.
set -eu

arch=${1:-x86_64}
here=$(cd "$(dirname "$0")" && pwd)
cache=${NESTIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/libnestio}
jobs=${NESTIO_JOBS:-$(nproc)}

log() { printf 'kernel.sh: %s\n' "$*" >&2; }

case "$arch" in
x86_64) karch=x86_64; image=arch/x86/boot/bzImage; target=bzImage; cross= ;;
arm64) karch=arm64; image=arch/arm64/boot/Image; target=Image
	cross=CROSS_COMPILE=aarch64-linux-gnu- ;;
*) log "unknown arch $arch"; exit 1 ;;
esac
frag=$here/config/$arch.fragment

# the newest 7.x kernel source Debian offers
pkg=$(apt-cache search --names-only '^linux-source-7\.[0-9]+$' | awk '{print $1}' | sort -V | tail -n1)
[ -n "$pkg" ] || { log "no linux-source-7.x package (run host-setup.sh)"; exit 1; }
ver=$(apt-cache show "$pkg" | awk '/^Version:/ {print $2}' | sort -V | tail -n1)
hash=$(cat "$frag" "$0" | sha256sum | cut -c1-16)
out=$cache/kernel/$arch-$ver-$hash
if [ -f "$out/done" ]; then
	echo "$out"; exit 0
fi

mkdir -p "$cache/src"
src=$cache/src/$pkg-$ver
if [ ! -f "$src/.unpacked" ]; then
	log "downloading $pkg $ver"
	rm -rf "$src" "$cache/src/dl"; mkdir -p "$cache/src/dl" "$src"
	(cd "$cache/src/dl" && apt-get download -qq "$pkg=$ver")
	dpkg -x "$cache/src/dl"/"$pkg"_*.deb "$cache/src/dl/x"
	tarball=$(find "$cache/src/dl/x/usr/src" -name 'linux-source-*.tar.*' | head -n1)
	tar -xf "$tarball" -C "$src" --strip-components=1
	rm -rf "$cache/src/dl"
	touch "$src/.unpacked"
fi

obj=$cache/obj/$arch-$ver-$hash
mkdir -p "$obj"
log "configuring $pkg $ver for $arch (config $hash)"
make -s -C "$src" O="$obj" ARCH="$karch" $cross allnoconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null
make -s -C "$src" O="$obj" ARCH="$karch" $cross olddefconfig >/dev/null
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qx "$line" "$obj/.config" || { log "option lost after olddefconfig: $line"; bad=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		if grep -q "^$opt=" "$obj/.config"; then log "option should be unset: $opt"; bad=1; fi ;;
	esac
done < "$frag"
[ "$bad" = 0 ] || exit 1

log "building $target with $jobs jobs (takes minutes; cached afterwards)"
make -s -C "$src" O="$obj" ARCH="$karch" $cross -j"$jobs" "$target" >"$obj/build.log" 2>&1 ||
	{ tail -n 40 "$obj/build.log" >&2; exit 1; }
make -s -C "$src" O="$obj" ARCH="$karch" $cross headers >/dev/null 2>&1

rm -rf "$out.tmp"; mkdir -p "$out.tmp/mock"
cp "$obj/$image" "$out.tmp/"
cp "$obj/.config" "$out.tmp/config"
cp -r "$obj/usr/include" "$out.tmp/include"
cp "$src/drivers/iommu/iommufd/iommufd_test.h" "$out.tmp/mock/"
echo "$pkg $ver" > "$out.tmp/version"
rm -rf "$out"; mv "$out.tmp" "$out"
touch "$out/done"
rm -rf "$obj"
log "cached in $out"
echo "$out"
