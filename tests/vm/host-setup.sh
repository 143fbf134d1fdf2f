#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Install everything the build, the tests and the test VM need on a Debian
# bookworm host (run as root). Idempotent: a second run only checks.
#
# bookworm lacks QEMU 10 and any 7.x kernel source, so bookworm-backports and
# sid are added in a separate sources file, with a preferences pin that keeps
# sid at priority 50: nothing is ever installed from sid (its libc6 would
# break the host); the kernel source tarball is only downloaded and unpacked.
# The mirror URI and the keyring are read from the machine's existing Debian
# source, so no host name is written down here. arm64 is added as a foreign
# architecture only so that tests/vm/sysroot.sh can download (never install)
# the arm64 .debs the cross-built test binaries link against. bookworm-backports
# also has a deb-src line: tests/qemu/build.sh fetches the source of the QEMU
# installed here (and meson 1.7 and python3-pycotap, which that QEMU's build
# needs, come from backports).
set -eu

SRC=/etc/apt/sources.list.d/libnestio-extra.sources
PIN=/etc/apt/preferences.d/libnestio-pin
STAMP=/var/lib/libnestio-host-setup.stamp

PKGS="build-essential autoconf automake libtool pkg-config check libsubunit-dev
      libnl-3-dev valgrind flex bison bc libelf-dev libssl-dev cpio
      busybox-static xz-utils ca-certificates python3 rsync
      qemu-system-x86 qemu-utils gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      qemu-system-arm qemu-efi-aarch64 libedit-dev clang libclang-rt-14-dev
      meson python3-pycotap python3-venv ninja-build libglib2.0-dev libfdt-dev
      bzip2 seabios"

log() { printf 'host-setup: %s\n' "$*" >&2; }

# building the Debian packages and checking them (tests/vm/package.sh): taken
# from bookworm itself (-t bookworm), not backports, so that debhelper and
# lintian judge the packages as bookworm's do (Standards-Version 4.6.2);
# with what debian/control's Build-Depends adds to the list above
PKGS_DEB="dpkg-dev debhelper fakeroot lintian libedit-dev"

if [ "$(id -u)" != 0 ]; then
	log "must run as root (it installs packages)"; exit 1
fi

# --- find the existing Debian mirror and keyring ----------------------------
uri= keyring=
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	# deb822: take the stanza whose Suites include plain "bookworm"
	eval "$(awk '
		/^[[:space:]]*$/ { if (s ~ /(^| )bookworm( |$)/ && u != "") { print "uri=" u; print "keyring=" k; exit }
				   s = ""; u = ""; k = ""; next }
		/^URIs:/      { u = $2 }
		/^Suites:/    { $1 = ""; s = $0 }
		/^Signed-By:/ { k = $2 }
		END { if (s ~ /(^| )bookworm( |$)/ && u != "") { print "uri=" u; print "keyring=" k } }
	' /etc/apt/sources.list.d/debian.sources)"
fi
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
	uri=$(awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
fi
[ -n "$uri" ] || { log "no Debian bookworm source found in /etc/apt"; exit 1; }
[ -n "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg

want_src=$(printf 'Types: deb deb-src\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n\nTypes: deb\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: %s\n' \
	"$uri" "$keyring" "$uri" "$keyring")
want_pin='# libnestio: bookworm stays the base; backports ties with it so the newer
# version (QEMU 10) wins; sid and trixie are only for downloading sources.
Package: *
Pin: release n=bookworm
Pin-Priority: 900

Package: *
Pin: release n=bookworm-updates
Pin-Priority: 900

Package: *
Pin: release n=bookworm-security
Pin-Priority: 900

Package: *
Pin: release n=bookworm-backports
Pin-Priority: 900

Package: *
Pin: release n=sid
Pin-Priority: 50

Package: *
Pin: release n=trixie
Pin-Priority: 50

Package: *
Pin: release a=experimental
Pin-Priority: 1'

changed=0
if [ "$(cat "$PIN" 2>/dev/null)" != "$want_pin" ]; then
	printf '%s\n' "$want_pin" > "$PIN"; changed=1
fi
if [ "$(cat "$SRC" 2>/dev/null)" != "$want_src" ]; then
	printf '%s\n' "$want_src" > "$SRC"; changed=1
fi

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	log "adding the arm64 foreign architecture (downloads only)"
	dpkg --add-architecture arm64; changed=1
fi

not_installed() {	# packages... -> those of them not installed
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf ' %s' "$p"
	done
}
missing=$(not_installed $PKGS)
missing_deb=$(not_installed $PKGS_DEB)
if [ "$changed" = 1 ] || [ -n "$missing$missing_deb" ] || [ ! -f "$STAMP" ]; then
	log "apt-get update"
	apt-get -o DPkg::Lock::Timeout=600 update -qq
fi
if [ -n "$missing$missing_deb" ]; then
	libc_before=$(dpkg-query -W -f='${Version}' libc6)
	if [ -n "$missing" ]; then
		log "installing:$missing"
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
	fi
	if [ -n "$missing_deb" ]; then
		log "installing from bookworm:$missing_deb"
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
			-t bookworm $missing_deb >/dev/null
	fi
	libc_after=$(dpkg-query -W -f='${Version}' libc6)
	if [ "$libc_before" != "$libc_after" ]; then
		log "libc6 changed ($libc_before -> $libc_after): the pin did not hold"; exit 1
	fi
fi
qv=$(qemu-system-x86_64 --version | head -n1)
case "$qv" in
*"version "[1-9][0-9].*) ;;
*) log "need QEMU >= 10, have: $qv"; exit 1 ;;
esac
touch "$STAMP"
log "ok ($qv)"
