/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Register values of the IOMMUs the test VMs emulate (QEMU 10), as
 * IOMMU_GET_HW_INFO reports them, and variants the decoders must also read.
 */
#ifndef NESTIO_TESTS_HWREGS_H
#define NESTIO_TESTS_HWREGS_H

/* QEMU intel-iommu, scalable mode, aw-bits=48: CAP.MGAW (21:16) = 47 */
#define QEMU_VTD_CAP 0x0012008c222f0686ull
#define QEMU_VTD_ECAP 0x480080f00f4aull		/* SMTS, SLTS; no NEST, DT, PRS */
/* a VT-d that nests: the same with ECAP.NEST, DT, PRS; CAP.FL5LP, FL1GP */
#define NEST_VTD_CAP (QEMU_VTD_CAP | (1ull << 60) | (1ull << 56))
#define NEST_VTD_ECAP (QEMU_VTD_ECAP | (1ull << 26) | (1ull << 2) | (1ull << 29))
/* QEMU virt's arm-smmuv3: S1P, S2P, STALL_MODEL 0b01, no ATS, no PRI */
#define SMMU_IDR0 0x0d44101bu
#define SMMU_IDR5 0x74u			/* OAS 0b100 (44 bits), GRAN4K/16K/64K */
/* AMD: GTSup, GIoSup, PPRSup; GATS 5 levels, HATS 4 levels */
#define AMD_EFR ((1ull << 4) | (1ull << 48) | (1ull << 1) | (1ull << 12))

#endif
