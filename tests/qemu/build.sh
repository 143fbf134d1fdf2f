#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/qemu/build.sh TOP BUILD CACHE -> prints the directory that holds
# the ported qemu-system-x86_64 (and build-seconds, version).
#
# Builds QEMU from Debian's source of the version this machine installs
# (bookworm-backports' qemu, fetched through apt's deb-src line that
# tests/vm/host-setup.sh writes), with libnestio's port of its iommufd
# backend placed by tests/qemu/place-port.py, linked against the
# libnestio.so built here from TOP ($BUILD/qemu-lib). Minimal: x86_64-softmmu
# with the qtest accelerator, q35, intel-iommu, vfio-pci, the iommufd
# object, PCIe root ports (the client unplugs the device from one, through
# ACPI, to make QEMU tear it down) and the emulated edu (for the client's self-test on the host);
# everything optional off. The binary is cached in
# CACHE/qemu/<version>-<key>, the key hashing the source's SHA256, the port,
# this script and include/libnestio.h (the ABI the binary links against):
# the library itself is taken fresh at run time. Callers hold
# CACHE/qemu.lock. The same binary runs QEMU's own code with
# NESTIO_QEMU_STOCK=1 (docs/QEMU.md says why one build and not two).
set -eu

top=$1 build=$2 cache=$3
log() { printf 'qemu-build: %s\n' "$*" >&2; }

# ---- libnestio.so for QEMU to link and the guest to load ----
lib=$build/qemu-lib
mkdir -p "$lib"
if [ ! -f "$lib/Makefile" ]; then
	(cd "$lib" && "$top/configure" --enable-werror --disable-static \
		--without-libedit >configure.out) || { cat "$lib/configure.out" >&2; exit 1; }
fi
make -s -C "$lib" -j"$(nproc)" lib/libnestio.la >"$lib/make.out" 2>&1 ||
	{ cat "$lib/make.out" >&2; exit 1; }

# ---- the source: Debian's, of the installed qemu-system-x86's version ----
ver=$(dpkg-query -W -f='${Version}' qemu-system-x86)
uris=$(apt-get source --print-uris "qemu=$ver" 2>/dev/null | grep "orig\.tar\.xz'") ||
	{ log "no deb-src for qemu $ver (tests/vm/host-setup.sh adds it)"; exit 1; }
set -- $uris
url=$(echo "$1" | tr -d "'") tarball=$2 sum=${4#SHA256:}
src=$cache/qemu-src
mkdir -p "$src"
# (stdout is this script's answer: sha256sum's "FAILED" line must not reach it)
if ! echo "$sum  $src/$tarball" | sha256sum -c --quiet - >/dev/null 2>&1; then
	log "downloading $tarball"
	rm -f "$src/$tarball"
	/usr/lib/apt/apt-helper -qq download-file "$url" "$src/$tarball" "SHA256:$sum" >&2 2>/dev/null ||
		/usr/lib/apt/apt-helper download-file "$url" "$src/$tarball" "SHA256:$sum" >&2
fi

# ---- configure options: what the binary has ----
devices='CONFIG_Q35=y
CONFIG_VFIO_PCI=y
CONFIG_VTD=y
CONFIG_IOMMUFD=y
CONFIG_PCIE_PORT=y
CONFIG_EDU=y'
opts="--target-list=x86_64-softmmu --without-default-features --without-default-devices
      --with-devices-x86_64=nestio --disable-docs --disable-pixman --enable-tcg
      --disable-install-blobs --disable-werror"
key=$( (echo "$sum $opts $devices"; cat "$top"/tests/qemu/port/*.c "$top/tests/qemu/place-port.py" \
	"$0" "$top/include/libnestio.h") | sha256sum | cut -c1-16)
out=$cache/qemu/${ver#*:}-$key
if [ -x "$out/qemu-system-x86_64" ]; then
	echo "$out"; exit 0
fi

t0=$(date +%s)
obj=$cache/qemu/obj-$key
rm -rf "$obj"; mkdir -p "$obj"
log "unpacking $tarball"
tar -C "$obj" -xJf "$src/$tarball"
tree=$(echo "$obj"/qemu-*)
printf '%s\n' "$devices" >"$tree/configs/devices/x86_64-softmmu/nestio.mak"
# pc-bios/meson.build lists edk2 images the +ds tarball leaves out (their
# sources are not in it): empty stand-ins, never installed (no blobs)
for f in $(grep -o 'edk2-[a-z0-9_-]*\.fd' "$tree/pc-bios/meson.build" | sort -u); do
	[ -f "$tree/pc-bios/$f.bz2" ] || : | bzip2 >"$tree/pc-bios/$f.bz2"
done
log "placing the port"
python3 "$top/tests/qemu/place-port.py" "$tree" "$top/tests/qemu/port" >"$obj/port-lines.md"
mkdir "$tree/b"
log "configuring"
# Debian's python3 (meson is Debian's); a user's python earlier on PATH may
# lack it. libnestio: the fresh build's, linked even though meson's
# --as-needed comes first on the line, and found by meson's sanity checks
# through LD_LIBRARY_PATH (no rpath into this build tree).
export LD_LIBRARY_PATH="$lib/lib/.libs"
(cd "$tree/b" && PATH=/usr/bin:/bin:/usr/sbin:/sbin ../configure --python=/usr/bin/python3 $opts \
	--extra-cflags="-I$top/include" \
	--extra-ldflags="-L$lib/lib/.libs -Wl,--no-as-needed -lnestio -Wl,--as-needed" \
	>"$obj/configure.out" 2>&1) || { tail -n 30 "$obj/configure.out" >&2; exit 1; }
log "building (ninja, $(nproc) jobs)"
(cd "$tree/b" && PATH=/usr/bin:/bin:/usr/sbin:/sbin ninja -j"$(nproc)" qemu-system-x86_64 \
	>"$obj/build.out" 2>&1) || { tail -n 40 "$obj/build.out" >&2; exit 1; }
readelf -d "$tree/b/qemu-system-x86_64" | grep -q 'NEEDED.*libnestio' ||
	{ log "the binary does not link libnestio"; exit 1; }
tmp=$out.tmp.$$
rm -rf "$tmp"; mkdir -p "$tmp"
cp "$tree/b/qemu-system-x86_64" "$obj/port-lines.md" "$tmp/"
echo "$(( $(date +%s) - t0 ))" >"$tmp/build-seconds"
echo "${ver#*:}" >"$tmp/version"
rm -rf "$out"; mv "$tmp" "$out"
rm -rf "$obj"
log "built in $(cat "$out/build-seconds")s: $out"
echo "$out"
