#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# nestioctl's read-only commands in the x86_64 VM, against the emulated
# VT-d and edu (bound to vfio-pci by /init): list, caps, probe, check,
# ranges and the old names, each in text and --json, field by field.
. /share/cli-lib.sh

bdf=$NESTIO_EDU_BDF
[ -n "$bdf" ] || { echo "FAIL: no edu device"; exit 1; }
sys=/sys/bus/pci/devices/$bdf
cdev=/dev/vfio/devices/$(ls "$sys/vfio-dev")
group=$(basename "$(readlink "$sys/iommu_group")")

# ---- list ----
expect 0 nestioctl list
has out '^BDF  *ID  *DRIVER  *GROUP  *IOMMU  *CDEV$'
has out "^$bdf  *1234:11e8  *vfio-pci  *$group  *dmar[0-9][0-9]*  *$cdev\$"
expect 0 nestioctl list --all
has out "^$bdf  *1234:11e8  *vfio-pci "
# the host bridge is there too, with no driver and no cdev
has out '^0000:00:00.0  *8086:29c0  *-  .*-$'
expect 0 nestioctl --json list
json_lines
grep -o '"bdf":"[^"]*","vendor":"1234","device":"11e8"[^}]*}' "$tmp/out" >"$tmp/edu"
jeq bdf "\"$bdf\"" "$tmp/edu"
jeq vendor '"1234"' "$tmp/edu"
jeq device '"11e8"' "$tmp/edu"
jeq driver '"vfio-pci"' "$tmp/edu"
jeq iommu_group "\"$group\"" "$tmp/edu"
jmatch iommu '^"dmar[0-9][0-9]*"$' "$tmp/edu"
jeq cdev "\"$cdev\"" "$tmp/edu"

# ---- probe, and its old name ----
expect 0 nestioctl probe
has out '^ioas  *yes$'
has out '^hwpt-alloc  *yes$'
has out '^hw-info  *yes$'
has out '^viommu  *yes$'
[ "$(wc -l <"$tmp/out")" = 14 ] || err "probe does not list 14 features"
cp "$tmp/out" "$tmp/probe"
expect 0 nestioctl features
cmp -s "$tmp/out" "$tmp/probe" || err "features differs from probe"
expect 0 nestioctl probe --json
json_lines
jeq ioas true
jeq hwpt-alloc true
jeq viommu true
jeq veventq true

# ---- caps: VT-d without nesting (ecap: SMTS, SLTS; no NEST) ----
for dev in "$bdf" "$cdev" "$sys"; do
	expect 0 nestioctl caps "$dev"
	has out "^device:  *$dev\$"
done
has out '^iommu:  *intel-vtd (hw-info type 1)$'
has out '^  nesting  *no$'
has out '^  dirty-tracking  *no$'
has out '^registers:$'
has out '^  cap_reg  *0x[0-9a-f]\{16\}$'
has out '^  ecap_reg  *0x0000480080f00f4a$'
has out '^hw-info:  *type 1, 24 bytes$'
cp "$tmp/out" "$tmp/caps"
expect 0 nestioctl info "$sys"
cmp -s "$tmp/out" "$tmp/caps" || err "info differs from caps"
expect 0 nestioctl caps --json "$bdf"
json_lines
jeq device "\"$bdf\""
jmatch dev_id '^[0-9][0-9]*$'
jeq iommu '"intel-vtd"'
jeq hw_info_type 1
jeq nesting false
jeq dirty-tracking false
jeq ecap_reg '"0x480080f00f4a"'
jmatch cap_reg '^"0x[0-9a-f]*"$'
jeq type 1
jeq length 24
jmatch data '^"[0-9a-f]\{48\}"$'

# ---- -v: the library's debug log, every ioctl on stderr ----
hasnt err '^libnestio: '
expect 0 nestioctl -v caps "$bdf"
has err '^libnestio: .*HW_INFO.*: ok$'
expect 0 nestioctl caps "$bdf" --verbose
has err '^libnestio: .*HW_INFO.*: ok$'

# ---- check: the emulated VT-d cannot nest ----
expect 1 nestioctl check "$bdf" --model vtd
has out "^$bdf: not compatible with a vtd vIOMMU: host IOMMU (intel-vtd) cannot nest: ECAP.NEST is clear\$"
expect 1 nestioctl check --json --model vtd --want pasid "$bdf"
json_lines
jeq device "\"$bdf\""
jeq model '"vtd"'
jeq want '["nesting","pasid"]'
jeq compatible false
jeq reason '"host IOMMU (intel-vtd) cannot nest: ECAP.NEST is clear"'
expect 1 nestioctl check "$bdf" --model smmuv3
has out 'not compatible with a smmuv3 vIOMMU: '

# ---- ranges ----
expect 0 nestioctl ranges "$bdf"
has out "^device:  *$bdf\$"
has out '^usable ranges:  *[1-9]'
has out '^  0x0000000000000000 - 0x'
expect 0 nestioctl ranges --json "$bdf"
json_lines
jeq start '"0x0"'
jmatch last '^"0x[0-9a-f]*"$'

# ---- failures are 1, with the reason ----
expect 1 nestioctl caps 0000:00:00.0
has err 'no VFIO device cdev'
expect 1 nestioctl caps /dev/vfio/devices/nosuch
finish
