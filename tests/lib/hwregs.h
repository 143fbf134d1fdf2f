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

/*
 * Real parts, as their kernels printed them at boot ("DMAR: dmarN:
 * reg_base_addr ... ver X:Y cap C ecap E"): the same CAP_REG and ECAP_REG
 * IOMMU_GET_HW_INFO returns. Decoded by hand from the VT-d specification.
 *
 * VT-d 6.0 unit: "ver 6:0 cap 9ed008c40780466 ecap 3ee9e86f050df", a public
 * dmesg quoted in the README of a GitHub module that prints the x86
 * interrupt remapping table (the CPU is not named there; VT-d 6.0 is the
 * Sapphire Rapids generation). MGAW 57, CAP.FS1GP, no CAP.FS5LP; ECAP.NEST,
 * FSTS, SSTS, SMTS, DT; ECAP.PASID clear although PSS reads 19.
 */
#define V6_VTD_CAP 0x09ed008c40780466ull
#define V6_VTD_ECAP 0x0003ee9e86f050dfull
/*
 * Multi-socket Xeon server, VT-d 1.0, 8 units: "ver 1:0 cap 8d2078c106f0466
 * ecap f020df" (github.com/utcs-scea/LAKE issue #10, its dmesg). MGAW 48,
 * ECAP.DT; legacy mode only: no NEST, FSTS, SMTS.
 */
#define XEON_VTD_CAP 0x08d2078c106f0466ull
#define XEON_VTD_ECAP 0x0000000000f020dfull
/*
 * Intel client platform, the unit at fed91000: "ver 1:0 cap d2008c40660462
 * ecap f050da", printed in many public Linux and Proxmox boot logs (the
 * second of two units; the first serves the integrated graphics). MGAW 39.
 */
#define CLIENT_VTD_CAP 0x00d2008c40660462ull
#define CLIENT_VTD_ECAP 0x0000000000f050daull

/*
 * SMMUv3: no public boot log prints the IDRs (the kernel prints only "ias
 * N-bit, oas N-bit (features 0x...)"), so these two are CONSTRUCTED from
 * the SMMUv3 architecture's field layout, to span what the decoder reads:
 *
 * SERVER_SMMU, a server-class SMMU with every option:
 *   IDR0 = S2P(0) S1P(1) TTF=0b11(3:2) COHACC(4) ASID16(12) ATS(10) PRI(16)
 *          VMID16(18) CD2L(19) TTENDIAN=0b00 mixed(22:21)
 *          STALL_MODEL=0b00(25:24) TERM_MODEL(26) ST_LEVEL=0b01(28:27)
 *   IDR1 = SIDSIZE=32(5:0) SSIDSIZE=20(10:6)
 *   IDR3 = RIL(10)
 *   IDR5 = OAS=0b101 48 bits(2:0) GRAN4K(4) GRAN64K(6) VAX=0b01(11:10)
 * SMALL_SMMU, an SoC SMMU with the least a nesting SMMU may have:
 *   IDR0 = S2P S1P TTF=0b10 COHACC ASID16 VMID16 TTENDIAN=0b10 little
 *          STALL_MODEL=0b01 (no stall) ST_LEVEL=0b00 linear
 *   IDR1 = SIDSIZE=16 SSIDSIZE=0; IDR3 = 0 (no RIL)
 *   IDR5 = OAS=0b010 40 bits, GRAN4K only
 */
#define SERVER_SMMU_IDR0 0x0c0d141fu
#define SERVER_SMMU_IDR1 0x00000520u
#define SERVER_SMMU_IDR3 0x00000400u
#define SERVER_SMMU_IDR5 0x00000455u
#define SMALL_SMMU_IDR0 0x0144101bu
#define SMALL_SMMU_IDR1 0x00000010u
#define SMALL_SMMU_IDR3 0x0u
#define SMALL_SMMU_IDR5 0x00000012u

/* QEMU 10's arm-smmuv3 beyond IDR0 and IDR5 (smmuv3_init_regs): IDR1
 * SIDSIZE 16, no SSIDSIZE; IDR3 RIL with HAD, XNX and BBML 0b10 */
#define SMMU_IDR1_SIDSIZE 16u
#define SMMU_IDR3_RIL (1u << 10)

#endif
