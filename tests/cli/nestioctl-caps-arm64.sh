#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# nestioctl against the arm64 VM's emulated SMMUv3, which nests for real:
# caps decodes it (IDR0 0x0d44101b: S1P, S2P, COHACC; no PASID), check
# --model smmuv3 says compatible, and a VT-d vIOMMU is told why not.
. /share/cli-lib.sh

bdf=$NESTIO_EDU_BDF
[ -n "$bdf" ] || { echo "FAIL: no edu device"; exit 1; }

expect 0 nestioctl list
has out "^$bdf  *1234:11e8  *vfio-pci  *[0-9][0-9]*  *[^ -][^ ]*  */dev/vfio/devices/vfio[0-9]*\$"

expect 0 nestioctl caps "$bdf"
has out '^iommu:  *arm-smmuv3 (hw-info type 2)$'
has out '^  nesting  *yes$'
has out '^  pasid  *no$'
has out '^  stall  *no$'
has out '^stage-1 formats:  *arm-smmuv3$'
has out '^max PASID bits:  *0$'
# QEMU 10's SMMU: IDR0.ST_LEVEL 2-level, TTENDIAN little, TTF AArch64;
# IDR3.RIL; IDR1.SIDSIZE 16, SSIDSIZE 0; IDR5 granules 4K 16K 64K
has out '^  first-stage  *yes$'
has out '^  2-level-stream-table  *yes$'
has out '^  tt-little-endian  *yes$'
has out '^  tt-big-endian  *no$'
has out '^  ttf-aarch64  *yes$'
has out '^  range-invalidation  *yes$'
has out '^stream ID bits:  *16$'
has out '^substream bits:  *0$'
has out '^  idr0  *0x0d44101b$'
has out '^  idr5  *0x[0-9a-f]\{8\}$'
has out '^  aidr  *0x[0-9a-f]\{8\}$'
has out '^hw-info:  *type 2, 40 bytes$'
expect 0 nestioctl --json caps "$bdf"
json_lines
jeq iommu '"arm-smmuv3"'
jeq hw_info_type 2
jeq nesting true
jeq pasid false
jeq stage1_formats '["arm-smmuv3"]'
jeq errata '[]'
jeq max_pasid_log2 0
jeq sid_bits 16
jeq ssid_bits 0
jeq idr0 '"0xd44101b"'
jeq length 40

expect 0 nestioctl check "$bdf" --model smmuv3
has out "^$bdf: compatible with a smmuv3 vIOMMU\$"
expect 0 nestioctl check --json "$bdf" --model smmuv3
json_lines
jeq compatible true
jeq reason null
jeq model '"smmuv3"'
expect 0 nestioctl check "$bdf" --model smmuv3 --want range-invalidation --want ttf-aarch64
has out "^$bdf: compatible with a smmuv3 vIOMMU\$"
expect 1 nestioctl check "$bdf" --model smmuv3 --want tt-big-endian
has out "^$bdf: not compatible with a smmuv3 vIOMMU: vIOMMU needs capabilities the host (arm-smmuv3) lacks: tt-big-endian\$"
# no PASIDs behind this SMMU
expect 1 nestioctl check "$bdf" --model smmuv3 --want pasid
has out "^$bdf: not compatible with a smmuv3 vIOMMU: "
expect 1 nestioctl check --json "$bdf" --model vtd
jeq compatible false
jeq reason '"vIOMMU wants the intel-vtd stage-1 format, host (arm-smmuv3) takes arm-smmuv3"'
finish
