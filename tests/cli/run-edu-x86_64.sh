#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# nestioctl run on the emulated VT-d with edu: the example script
# (examples/edu-dma.nestio) maps a /dev/shm file at two IOVAs, hands the
# edu cdev to a program (edu-dma) that copies page one through the device
# into page two, and checks the bytes; text and --json, field by field.
# The file itself is checked here too, from outside the script.
set -u
script=${NESTIO_EXAMPLES:-/examples}/edu-dma.nestio
out=/tmp/run-edu.out err=/tmp/run-edu.err shm=/dev/shm/nestio-edu-dma
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1; }
has() { grep -qE -- "$1" "$out" || fail "no line matching: $1"; }
[ -n "${NESTIO_EDU_BDF:-}" ] || { echo "no edu device"; exit 1; }
export DEVICE=$NESTIO_EDU_BDF

rm -f "$shm"
nestioctl run "$script" >"$out" 2>"$err"
rc=$?
cat "$out"
[ "$rc" = 0 ] || fail "exit status $rc"
has '^device dev dev_id=[0-9]+ fd=[0-9]+$'
has '^ioas io id=[0-9]+$'
has '^attach dev to=io pt_id=[0-9]+ at=rid$'
has '^ranges io alignment=0x[0-9a-f]+ range=0x'
has '^mem ram size=0x2000 backing=file fd=[0-9]+$'
has '^map src iova=0x100000 length=0x1000$'
has '^map dst iova=0x200000 length=0x1000$'
has '^fill ram offset=0x0 length=0x1000$'
has '^fill ram offset=0x1000 length=0x1000$'
fd=$(sed -n 's/^device dev dev_id=[0-9]* fd=\([0-9]*\)$/\1/p' "$out")
has "^edu-dma: copy of 4096 bytes done\$"
has "^exec program=edu-dma argv=\"edu-dma $fd copy 0x100000 0x200000 4096\" pid=[0-9]+ status=0\$"
has '^check ram offset=0x1000 length=0x1000$'
has '^compare ram with=ram length=0x1000 result=equal$'
# the file holds what the DMA wrote: page two = page one = 0, 7, 14, ...
[ -f "$shm" ] || fail "$shm is gone"
a=$(od -An -v -tx1 -j 4096 -N 8 "$shm" | tr -d ' \n')
[ "$a" = 00070e151c232a31 ] || fail "page two of $shm starts $a"
p1=$(od -An -v -tx1 -N 4096 "$shm" | md5sum)
p2=$(od -An -v -tx1 -j 4096 -N 4096 "$shm" | md5sum)
[ "$p1" = "$p2" ] || fail "the two pages of $shm differ"

# again with --json, from a fresh file
rm -f "$shm"
nestioctl --json run "$script" >"$out" 2>"$err"
rc=$?
[ "$rc" = 0 ] || fail "--json: exit status $rc"
has '^\{"line":10,"verb":"device","name":"dev","dev_id":[0-9]+,"fd":[0-9]+\}$'
has '^\{"line":16,"verb":"map","name":"src","iova":"0x100000","length":"0x1000"\}$'
has '^\{"line":17,"verb":"map","name":"dst","iova":"0x200000","length":"0x1000"\}$'
has '^\{"line":22,"verb":"exec","program":"edu-dma","argv":\["edu-dma","[0-9]+","copy","0x100000","0x200000","4096"\],"pid":[0-9]+,"status":0\}$'
has '^\{"line":23,"verb":"check","name":"ram","offset":"0x1000","length":"0x1000"\}$'
has '^\{"line":24,"verb":"compare","name":"ram","with":"ram","length":"0x1000","result":"equal"\}$'

# a DMA to an IOVA the script did not map fails, and the script with it
rm -f "$shm"
sed 's/{dst.iova}/0x300000/' "$script" >/tmp/edu-unmapped.nestio
nestioctl run /tmp/edu-unmapped.nestio >"$out" 2>"$err"
rc=$?
[ "$rc" = 1 ] || fail "DMA to an unmapped IOVA: exit status $rc"
grep -q '^nestioctl: /tmp/edu-unmapped.nestio: line 23: check: at 0x1000: 0xee, expected 0x00$' "$err" ||
	fail "DMA to an unmapped IOVA: no error naming line 23"
rm -f "$shm"
echo "PASS"
