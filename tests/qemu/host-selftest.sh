#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Host self-test of qtest-edu against a QEMU built with qtest, q35,
# intel-iommu and an emulated edu device: the plain script, the --viommu
# script (twice: its transcript must be identical, it is meant to be
# compared across QEMU builds; with domain-selective invalidation; with
# 3-level tables), and deliberately wrong scripts that must end FAILED.
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

if cmp -s "$tmp/viommu.out" "$tmp/viommu-again.out"; then
	echo "PASS: the --viommu transcript is reproducible"
else
	echo "FAIL: two --viommu runs gave different transcripts"
	diff "$tmp/viommu.out" "$tmp/viommu-again.out" | head -20
	fails=$((fails + 1))
fi

echo "NESTIO-REL qtest-edu.host.checks passed $((8 - fails)) of 8 (plain, viommu x2, dsi, 3-level, 2 wrong scripts, reproducible)"
neg=0
grep -q '^qtest-edu: FAILED' "$tmp/break-byte.out" && neg=$((neg + 1))
grep -q '^qtest-edu: FAILED' "$tmp/break-unmap-inval.out" && neg=$((neg + 1))
echo "NESTIO-REL qtest-edu.host.negative caught $neg of 2 (corrupted byte, skipped unmap invalidation)"

echo "--- plain transcript"
cat "$tmp/plain.out"
echo "--- viommu transcript"
cat "$tmp/viommu.out"
echo "--- break-unmap-inval transcript (tail)"
tail -n 4 "$tmp/break-unmap-inval.out"
[ $fails = 0 ]
