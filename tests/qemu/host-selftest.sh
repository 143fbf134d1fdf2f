#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Host self-test of qtest-edu against a QEMU built with qtest, q35,
# intel-iommu and an emulated edu device: the plain script, the --viommu
# script (twice: its transcript must be identical, it is meant to be
# compared across QEMU builds; with domain-selective invalidation; with
# 3-level tables), and deliberately wrong scripts that must end FAILED.
# When the QEMU has pcie-root-port: both scripts again with edu behind a
# root port, ejected afterwards through ACPI PCI hotplug (--root-port
# --eject; the script part of the transcript must not change), and
# --iommufd-fd on an fd that is not an iommufd, which must end FAILED.
#
#   tests/qemu/host-selftest.sh QEMU-BINARY
#
# QTEST_EDU names the client (default tests/qemu/qtest-edu, relative to the
# build directory), SEABIOS_DIR the firmware directory (/usr/share/seabios).
# Exits 77 when no QEMU binary is given or it cannot be run.

qemu=$1
client=${QTEST_EDU:-tests/qemu/qtest-edu}
bios=${SEABIOS_DIR:-/usr/share/seabios}

if [ -z "$qemu" ] || [ ! -x "$qemu" ]; then
	echo "host-selftest: no QEMU binary given, skipping"
	exit 77
fi
if [ ! -x "$client" ]; then
	echo "host-selftest: $client not built" >&2
	exit 1
fi
if [ ! -f "$bios/bios.bin" ]; then
	echo "host-selftest: no $bios/bios.bin, skipping"
	exit 77
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
base="-accel qtest -M q35 -nodefaults -display none -m 128M -L $bios"
fails=0
checks=8

# run NAME EXPECTED-STATUS CLIENT-ARGS... -- QEMU-ARGS...
run() {
	name=$1 want=$2
	shift 2
	"$client" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	got=$?
	last=$(tail -n 1 "$tmp/$name.out")
	case $want in
	0) expect="qtest-edu: ok" ;;
	*) expect="qtest-edu: FAILED*" ;;
	esac
	# shellcheck disable=SC2254
	case $last in
	$expect) match=1 ;;
	*) match=0 ;;
	esac
	if [ "$got" = "$want" ] && [ $match = 1 ]; then
		echo "PASS: $name (exit $got: $last)"
	else
		echo "FAIL: $name: exit $got (want $want), last line '$last'"
		sed 's/^/  stdout: /' "$tmp/$name.out"
		sed 's/^/  stderr: /' "$tmp/$name.err"
		fails=$((fails + 1))
	fi
}

# shellcheck disable=SC2086
{
run plain 0 -- "$qemu" $base -device edu
run viommu 0 --viommu -- "$qemu" $base \
	-device intel-iommu,caching-mode=on -device edu
run viommu-again 0 --viommu -- "$qemu" $base \
	-device intel-iommu,caching-mode=on -device edu
run viommu-dsi 0 --viommu --dsi --churn 8 -- "$qemu" $base \
	-device intel-iommu,caching-mode=on -device edu
run viommu-3level 0 --viommu --seed 7 -- "$qemu" $base \
	-device intel-iommu,caching-mode=on,aw-bits=39 -device edu
run break-byte 1 --break byte -- "$qemu" $base -device edu
run break-unmap-inval 1 --viommu --churn 2 --break unmap-inval -- "$qemu" \
	$base -device intel-iommu,caching-mode=on -device edu
}

# the script lines of a transcript: without the header, the topology
# (pci:, the VT-d context line), the eject's lines and the result
script_lines() {
	grep -v -e '^qtest-edu: ' -e '^pci: ' -e '^vtd: root table set' \
		-e '^acpi-hotplug: ' -e '^held: ' -e '^iommufd: ' "$1"
}

# expect NAME PATTERN WHAT: NAME's transcript has a line matching PATTERN
expect() {
	if grep -q "$2" "$tmp/$1.out"; then
		echo "PASS: $1: $3"
	else
		echo "FAIL: $1: no line '$2' ($3)"
		fails=$((fails + 1))
	fi
}

rp_runs=0
if "$qemu" -M q35 -device help 2>/dev/null | grep -q '"pcie-root-port"'; then
	rp_runs=1
	checks=$((checks + 10))
	rp="-device pcie-root-port,id=rp0,chassis=1,slot=1"
	# shellcheck disable=SC2086
	{
	run eject 0 --root-port --eject -- "$qemu" $base $rp -device edu,bus=rp0
	run viommu-eject 0 --viommu --root-port --eject -- "$qemu" $base \
		-device intel-iommu,caching-mode=on $rp -device edu,bus=rp0
	# fd 9 of QEMU (inherited through the client) is /dev/null; dash
	# redirects only one-digit fds
	run eject-not-iommufd 1 --root-port --eject --iommufd-fd 9 -- \
		"$qemu" $base $rp -device edu,bus=rp0
	} 9</dev/null
	gone='^acpi-hotplug: ejected slot 0; 01:00.0 now reads 0xffffffff: gone$'
	held='^held: QEMU has 0 fds open on /dev/iommu, 0 on /dev/vfio/devices/\* (expected 0 and 0)$'
	expect eject "$gone" "edu is gone from bus 1"
	expect eject "$held" "QEMU holds nothing"
	expect viommu-eject "$gone" "edu is gone from bus 1"
	expect viommu-eject '^vtd: root table set, context of 01:00.0 ' \
		"the VT-d context entry is bus 1's"
	expect eject-not-iommufd '^iommufd: QEMU.s fd 9: IOAS allocation FAILED (Inappropriate ioctl for device), it is not /dev/iommu$' \
		"the IOAS allocation on a non-iommufd fails clearly"
	for pair in plain:eject viommu:viommu-eject; do
		a=${pair%:*} b=${pair#*:}
		script_lines "$tmp/$a.out" >"$tmp/$a.script"
		script_lines "$tmp/$b.out" >"$tmp/$b.script"
		if cmp -s "$tmp/$a.script" "$tmp/$b.script"; then
			echo "PASS: $b: the script's lines are $a's"
		else
			echo "FAIL: $b: the script's lines differ from $a's"
			diff "$tmp/$a.script" "$tmp/$b.script" | head -20
			fails=$((fails + 1))
		fi
	done
else
	echo "SKIP: the --root-port --eject runs: $qemu has no pcie-root-port" \
		"(CONFIG_PCIE_PORT)"
fi

if cmp -s "$tmp/viommu.out" "$tmp/viommu-again.out"; then
	echo "PASS: the --viommu transcript is reproducible"
else
	echo "FAIL: two --viommu runs gave different transcripts"
	diff "$tmp/viommu.out" "$tmp/viommu-again.out" | head -20
	fails=$((fails + 1))
fi

if [ $rp_runs = 1 ]; then
	echo "NESTIO-REL qtest-edu.host.checks passed $((checks - fails)) of $checks (plain, viommu x2, dsi, 3-level, 2 wrong scripts, reproducible; root port + eject: plain, viommu, not-an-iommufd, 5 transcript lines, 2 unchanged scripts)"
else
	echo "NESTIO-REL qtest-edu.host.checks passed $((checks - fails)) of $checks (plain, viommu x2, dsi, 3-level, 2 wrong scripts, reproducible; no pcie-root-port: eject runs skipped)"
fi
neg=0 negs=2
grep -q '^qtest-edu: FAILED' "$tmp/break-byte.out" && neg=$((neg + 1))
grep -q '^qtest-edu: FAILED' "$tmp/break-unmap-inval.out" && neg=$((neg + 1))
if [ $rp_runs = 1 ]; then
	negs=3
	grep -q '^qtest-edu: FAILED' "$tmp/eject-not-iommufd.out" && neg=$((neg + 1))
fi
echo "NESTIO-REL qtest-edu.host.negative caught $neg of $negs (corrupted byte, skipped unmap invalidation$([ $negs = 3 ] && echo ', IOAS on a non-iommufd fd'))"

echo "--- plain transcript"
cat "$tmp/plain.out"
echo "--- viommu transcript"
cat "$tmp/viommu.out"
echo "--- break-unmap-inval transcript (tail)"
tail -n 4 "$tmp/break-unmap-inval.out"
if [ $rp_runs = 1 ]; then
	for t in eject viommu-eject eject-not-iommufd; do
		echo "--- $t transcript (its own lines)"
		grep -e '^qtest-edu: ' -e '^pci: ' -e '^vtd: root table set' \
			-e '^acpi-hotplug: ' -e '^held: ' -e '^iommufd: ' "$tmp/$t.out"
	done
fi
[ $fails = 0 ]
