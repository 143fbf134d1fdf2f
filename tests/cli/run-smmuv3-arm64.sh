#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# nestioctl run on the emulated SMMUv3 (real nesting): nest parent,
# vIOMMU, vDEVICE with a virtual stream ID, a guest CD written into guest
# RAM by the script, a nested hwpt from a vSTE, and a 4-byte edu DMA to a
# stage-1 VA the guest never mapped (started through the hand-off): one
# translation-fault vEVENT carrying the virtual SID. Text and --json.
set -u
out=/tmp/run-smmuv3.out err=/tmp/run-smmuv3.err s=/tmp/smmuv3.nestio
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1; }
has() { grep -qE -- "$1" "$out" || fail "no line matching: $1"; }
[ -n "${NESTIO_EDU_BDF:-}" ] || { echo "no edu device"; exit 1; }

# The guest's CD (8 words) at IPA 0x20000000: 48-bit VAs, 4 KiB granule,
# IPS 44 bits, record faults, ASID 1, TTB0 = an empty L0 table at IPA
# 0x20001000, MAIR 0xf404ff44. Every stage-1 VA faults.
cat >"$s" <<'END'
dev = device ${NESTIO_EDU_BDF}
io = ioas
parent = hwpt dev io flags=nest-parent
vi = viommu dev parent type=smmuv3
vdev = vdevice vi dev 0x42
events = veventq vi type=smmuv3 depth=64
ram = mem 64K
g = map io ram iova=0x20000000
poke ram 0 0x1e204c0003510 0x20001000 0 0xf404ff44 0 0 0 0
s1 = nested dev vi s1=smmuv3 ste0=0x2000000b ste1=0xd4
attach dev s1
exec edu-dma {dev} from-device 0x7ffc12345000 4
wait events count=1 timeout=5000
END
nestioctl run "$s" >"$out" 2>"$err"
rc=$?
cat "$out"
[ "$rc" = 0 ] || fail "exit status $rc"
has '^hwpt parent id=[0-9]+ type=paging flags=0x1$'
has '^viommu vi id=[0-9]+ type=0x1$'
has '^vdevice vdev id=[0-9]+ virt_id=0x42$'
has '^veventq events id=[0-9]+ fd=[0-9]+$'
has '^map g iova=0x20000000 length=0x10000$'
has '^poke ram offset=0x0 width=8 count=8$'
has '^nested s1 id=[0-9]+ type=nested flags=0x0$'
has '^attach dev to=s1 pt_id=[0-9]+ at=rid$'
has '^exec program=edu-dma argv="edu-dma [0-9]+ from-device 0x7ffc12345000 4" pid=[0-9]+ status=0$'
has '^vevent events seq=0 lost=0 len=32 id=0x10 type=translation sid=0x42 addr=0x7ffc12345000 access=write data0=0x[0-9a-f]+ '
has '^wait events events=1$'
[ "$(grep -c '^vevent ' "$out")" = 1 ] || fail "not exactly one vEVENT"

nestioctl --json run "$s" >"$out" 2>"$err"
rc=$?
[ "$rc" = 0 ] || fail "--json: exit status $rc"
has '^\{"line":4,"verb":"viommu","name":"vi","id":[0-9]+,"type":"0x1"\}$'
has '^\{"line":5,"verb":"vdevice","name":"vdev","id":[0-9]+,"virt_id":"0x42"\}$'
has '^\{"line":10,"verb":"nested","name":"s1","id":[0-9]+,"type":"nested","flags":"0x0"\}$'
has '^\{"line":13,"verb":"wait","event":"vevent","queue":"events","seq":0,"lost":0,"len":32,"id":"0x10","type":"translation","sid":"0x42","addr":"0x7ffc12345000","access":"write","data":\["0x[0-9a-f]+","0x[0-9a-f]+","0x[0-9a-f]+","0x[0-9a-f]+"\]\}$'
has '^\{"line":13,"verb":"wait","name":"events","events":1\}$'
echo "PASS"
