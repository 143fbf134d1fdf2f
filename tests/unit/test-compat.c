// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: the compatibility check against capabilities decoded
 * from real register values, every reason and their order, the errata
 * table, and the ERRATA_772415_SPR17 enforcement through the fake kernel.
 * One case runs against the kernel's IOMMUFD_TEST mock where there is one
 * (the test VM): its nest parent reports no erratum.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakekernel.h"
#include "mock.h"
#include "mockdev.h"

/* QEMU 10 intel-iommu, scalable mode, aw-bits=48 (what the test VM reports) */
#define QEMU_VTD_CAP 0x0012008c222f0686ull
#define QEMU_VTD_ECAP 0x480080f00f4aull		/* SMTS, SLTS; no NEST */
/* a VT-d that nests: the same with ECAP.NEST, DT, PRS; CAP.FL5LP, FL1GP */
#define NEST_VTD_CAP (QEMU_VTD_CAP | (1ull << 60) | (1ull << 56))
#define NEST_VTD_ECAP (QEMU_VTD_ECAP | (1ull << 26) | (1ull << 2) | (1ull << 29))
/* QEMU virt's arm-smmuv3: S1P, S2P, no stall; IDR5 OAS 44 bits, 4K/16K/64K */
#define SMMU_IDR0 0x0d44101bu
#define SMMU_IDR5 0x74u
/* AMD: GTSup, GIoSup, PPRSup; GATS 5 levels, HATS 4 levels */
#define AMD_EFR ((1ull << 4) | (1ull << 48) | (1ull << 1) | (1ull << 12))

#define SPR17 NESTIO_ERRATA_772415_SPR17
#define SPR17_REASON \
	"erratum 772415-spr17 (no read-only mappings in a nest parent) is " \
	"present and not accepted"

static void decode(uint32_t type, const void *data, size_t len, uint64_t kcaps,
		   uint8_t pasid, struct nestio_hw_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->sz = sizeof(*c);
	ck_assert_int_eq(nestio_hw_caps_decode(type, data, len, kcaps, pasid, c), 0);
}

static void qemu_vtd(struct nestio_hw_caps *c)
{
	struct kabi_hw_info_vtd v = {
		.flags = KABI_HW_INFO_VTD_ERRATA_772415_SPR17,
		.cap_reg = QEMU_VTD_CAP, .ecap_reg = QEMU_VTD_ECAP,
	};

	decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v), 0, 0, c);
}

static void nest_vtd(struct nestio_hw_caps *c, bool erratum)
{
	struct kabi_hw_info_vtd v = {
		.flags = erratum ? KABI_HW_INFO_VTD_ERRATA_772415_SPR17 : 0,
		.cap_reg = NEST_VTD_CAP, .ecap_reg = NEST_VTD_ECAP,
	};

	decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v), 0, 20, c);
}

static void qemu_smmu(struct nestio_hw_caps *c, uint32_t idr0)
{
	struct kabi_hw_info_arm_smmuv3 s = { .idr = { idr0, 0, 0, 0, 0, SMMU_IDR5 } };

	decode(KABI_HW_INFO_TYPE_ARM_SMMUV3, &s, sizeof(s), 0, 0, c);
}

static void amd(struct nestio_hw_caps *c, uint64_t efr)
{
	struct kabi_hw_info_amd a = { .efr = efr };

	decode(KABI_HW_INFO_TYPE_AMD, &a, sizeof(a), 0, 16, c);
}

static char reason[256];

/* the check answers want_r, and its reason is exactly want_reason */
#define CHECK(caps, want, want_r, want_reason)                                 \
	do {                                                                   \
		memset(reason, 'x', sizeof(reason));                           \
		ck_assert_int_eq(nestio_hw_caps_check((caps), (want), reason,  \
						      sizeof(reason)), (want_r)); \
		ck_assert_str_eq(reason, (want_reason));                       \
	} while (0)

/* ================================================ real register values */

START_TEST(test_qemu_vtd)
{
	struct nestio_compat w = { .sz = sizeof(w), .stage1_format = NESTIO_STAGE1_VTD };
	struct nestio_hw_caps c;

	qemu_vtd(&c);
	ck_assert_uint_eq(c.errata, SPR17);
	CHECK(&c, &w, 0, "host IOMMU (intel-vtd) cannot nest: ECAP.NEST is clear");
	/* nesting is what the check is about: asking for nothing still needs it */
	w = (struct nestio_compat){ .sz = sizeof(w) };
	CHECK(&c, &w, 0, "host IOMMU (intel-vtd) cannot nest: ECAP.NEST is clear");
	/* and it comes first, whatever else is wrong and whatever is accepted */
	w = (struct nestio_compat){ .sz = sizeof(w), .stage1_format = NESTIO_STAGE1_AMD,
				    .stage1_ia_bits = 64, .pasid_bits = 20,
				    .caps = NESTIO_CAP_PRI, .errata_ok = SPR17 };
	CHECK(&c, &w, 0, "host IOMMU (intel-vtd) cannot nest: ECAP.NEST is clear");
}
END_TEST

START_TEST(test_nest_vtd)
{
	struct nestio_compat w = {
		.sz = sizeof(w), .stage1_format = NESTIO_STAGE1_VTD,
		.stage1_ia_bits = 57, .stage2_ia_bits = 48, .pasid_bits = 20,
		.caps = NESTIO_CAP_ATS | NESTIO_CAP_PRI | NESTIO_CAP_PASID,
		.errata_ok = SPR17,
	};
	struct nestio_hw_caps c;

	nest_vtd(&c, true);
	CHECK(&c, &w, 1, "");
	/* the erratum, not accepted */
	w.errata_ok = 0;
	CHECK(&c, &w, 0, SPR17_REASON);
	/* the same IOMMU without it */
	nest_vtd(&c, false);
	CHECK(&c, &w, 1, "");
	nest_vtd(&c, true);
	w.errata_ok = SPR17;
	/* the format of another vendor */
	w.stage1_format = NESTIO_STAGE1_ARM_SMMUV3;
	CHECK(&c, &w, 0, "vIOMMU wants the arm-smmuv3 stage-1 format, host "
			 "(intel-vtd) takes intel-vtd");
	w.stage1_format = NESTIO_STAGE1_VTD;
	/* 4-level first stage only (no CAP.FL5LP) */
	c.stage1_ia_bits = 48;
	CHECK(&c, &w, 0, "vIOMMU wants 57-bit stage-1 input, host has 48");
	w.stage1_ia_bits = 48;
	CHECK(&c, &w, 1, "");
	/* aw-bits */
	w.stage2_ia_bits = 52;
	CHECK(&c, &w, 0, "vIOMMU wants 52-bit stage-2 input, host has 48");
	w.stage2_ia_bits = 39;
	CHECK(&c, &w, 1, "");
	/* a device without PASID (max_pasid_log2 0, as the edu reports) */
	c.max_pasid_log2 = 0;
	c.caps &= ~NESTIO_CAP_PASID;
	CHECK(&c, &w, 0, "vIOMMU wants 20-bit PASIDs, host has 0");
	w.pasid_bits = 0;
	CHECK(&c, &w, 0, "vIOMMU needs capabilities the host (intel-vtd) lacks: pasid");
	w.caps &= ~NESTIO_CAP_PASID;
	CHECK(&c, &w, 1, "");
	/* the kernel says the device has no ATS: every missing one is named */
	{
		struct kabi_hw_info_vtd v = {
			.cap_reg = NEST_VTD_CAP,
			.ecap_reg = NEST_VTD_ECAP & ~(1ull << 29),	/* no PRS */
		};

		decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v),
		       KABI_HW_CAP_PCI_ATS_NOT_SUPPORTED, 20, &c);
	}
	w.caps |= NESTIO_CAP_DIRTY_TRACKING | NESTIO_CAP_STALL;
	CHECK(&c, &w, 0, "vIOMMU needs capabilities the host (intel-vtd) lacks: "
			 "dirty-tracking, ats, pri, stall");
	/* a bit this library has no name for */
	w.caps = 1ull << 40;
	CHECK(&c, &w, 0, "vIOMMU needs capabilities the host (intel-vtd) lacks: "
			 "0x10000000000");
}
END_TEST

START_TEST(test_qemu_smmuv3)
{
	struct nestio_compat w = {
		.sz = sizeof(w), .stage1_format = NESTIO_STAGE1_ARM_SMMUV3,
		.stage1_ia_bits = 48, .stage2_ia_bits = 44,
	};
	struct nestio_hw_caps c;

	qemu_smmu(&c, SMMU_IDR0);
	ck_assert_uint_eq(c.errata, 0);
	CHECK(&c, &w, 1, "");
	w.errata_ok = ~0u;		/* accepting what is not there changes nothing */
	CHECK(&c, &w, 1, "");
	w.stage1_ia_bits = 52;		/* no IDR5.VAX */
	CHECK(&c, &w, 0, "vIOMMU wants 52-bit stage-1 input, host has 48");
	w.stage1_ia_bits = 0;
	w.stage2_ia_bits = 48;		/* IDR5.OAS is 44 bits */
	CHECK(&c, &w, 0, "vIOMMU wants 48-bit stage-2 input, host has 44");
	w.stage2_ia_bits = 0;
	w.pasid_bits = 1;		/* QEMU's SMMU has no substreams */
	CHECK(&c, &w, 0, "vIOMMU wants 1-bit PASIDs, host has 0");
	w.pasid_bits = 0;
	w.caps = NESTIO_CAP_STALL | NESTIO_CAP_ATS;
	CHECK(&c, &w, 0, "vIOMMU needs capabilities the host (arm-smmuv3) lacks: "
			 "ats, stall");
	w.caps = NESTIO_CAP_NESTING;
	CHECK(&c, &w, 1, "");
	w.stage1_format = NESTIO_STAGE1_VTD;
	CHECK(&c, &w, 0, "vIOMMU wants the intel-vtd stage-1 format, host "
			 "(arm-smmuv3) takes arm-smmuv3");
	/* an SMMU without stage 1 cannot nest */
	qemu_smmu(&c, SMMU_IDR0 & ~2u);
	CHECK(&c, &w, 0, "host IOMMU (arm-smmuv3) cannot nest: SMMU_IDR0.S1P "
			 "and S2P are not both set");
}
END_TEST

START_TEST(test_amd_and_others)
{
	struct nestio_compat w = {
		.sz = sizeof(w), .stage1_format = NESTIO_STAGE1_AMD,
		.stage1_ia_bits = 57, .stage2_ia_bits = 48, .pasid_bits = 16,
		.caps = NESTIO_CAP_PRI,
	};
	struct nestio_hw_caps c;
	uint8_t junk[8] = { 0 };

	amd(&c, AMD_EFR);
	CHECK(&c, &w, 1, "");
	w.stage2_ia_bits = 57;		/* HATS: 4 levels */
	CHECK(&c, &w, 0, "vIOMMU wants 57-bit stage-2 input, host has 48");
	w.stage2_ia_bits = 0;
	w.pasid_bits = 20;
	CHECK(&c, &w, 0, "vIOMMU wants 20-bit PASIDs, host has 16");
	amd(&c, AMD_EFR & ~(1ull << 48));	/* GTSup without GIoSup */
	CHECK(&c, &w, 0, "host IOMMU (amd) cannot nest: EFR.GTSup and EFR.GIoSup "
			 "are not both set");
	/* no vendor data, a type the library cannot decode, CMDQV */
	decode(KABI_HW_INFO_TYPE_NONE, NULL, 0, KABI_HW_CAP_DIRTY_TRACKING, 0, &c);
	CHECK(&c, &w, 0, "host IOMMU (none) cannot nest: the kernel reported no "
			 "vendor data");
	decode(0x1234, junk, sizeof(junk), 0, 0, &c);
	CHECK(&c, &w, 0, "host IOMMU (unknown) cannot nest: this library cannot "
			 "decode its registers");
	decode(KABI_HW_INFO_TYPE_TEGRA241_CMDQV, junk, sizeof(junk), 0, 0, &c);
	CHECK(&c, &w, 0, "host IOMMU (tegra241-cmdqv) cannot nest: its block "
			 "describes no page tables");
	/* a caller's own caps with a type this library never made */
	c = (struct nestio_hw_caps){ .sz = sizeof(c), .type = 99 };
	CHECK(&c, &w, 0, "host IOMMU (unknown) cannot nest: its registers do not "
			 "offer it");
	/* several formats offered: all are named */
	c = (struct nestio_hw_caps){ .sz = sizeof(c), .type = NESTIO_IOMMU_UNKNOWN,
				     .caps = NESTIO_CAP_NESTING,
				     .stage1_formats = NESTIO_STAGE1_VTD |
						       NESTIO_STAGE1_ARM_SMMUV3 | (1u << 9) };
	w = (struct nestio_compat){ .sz = sizeof(w), .stage1_format = NESTIO_STAGE1_AMD };
	CHECK(&c, &w, 0, "vIOMMU wants the amd stage-1 format, host (unknown) "
			 "takes intel-vtd, arm-smmuv3, 0x200");
	c.stage1_formats = 0;
	w.stage1_format = 1u << 7;	/* one bit, unknown to us: not offered */
	CHECK(&c, &w, 0, "vIOMMU wants the 0x80 stage-1 format, host (unknown) "
			 "takes none");
}
END_TEST

/* ============================================= order, reason, sizes */

/*
 * Caps that fail every check; each step fixes the one the reason named,
 * and the next reason is the next in the documented order.
 */
START_TEST(test_fixed_order)
{
	static const char *const order[] = {
		"host IOMMU (intel-vtd) cannot nest: ECAP.NEST is clear",
		"vIOMMU wants the intel-vtd stage-1 format, host (intel-vtd) takes none",
		"vIOMMU wants 57-bit stage-1 input, host has 48",
		"vIOMMU wants 48-bit stage-2 input, host has 39",
		"vIOMMU wants 20-bit PASIDs, host has 0",
		"vIOMMU needs capabilities the host (intel-vtd) lacks: pri",
		SPR17_REASON,
		"unknown errata 0x40000000 are present and not accepted",
		"",
	};
	struct nestio_compat w = {
		.sz = sizeof(w), .stage1_format = NESTIO_STAGE1_VTD,
		.stage1_ia_bits = 57, .stage2_ia_bits = 48, .pasid_bits = 20,
		.caps = NESTIO_CAP_PRI,
	};
	struct nestio_hw_caps c = {
		.sz = sizeof(c), .type = NESTIO_IOMMU_INTEL_VTD,
		.stage1_ia_bits = 48, .stage2_ia_bits = 39,
		.errata = SPR17 | (1u << 30),
	};

	for (size_t step = 0; step < ARRAY_SIZE(order); step++) {
		CHECK(&c, &w, step + 1 == ARRAY_SIZE(order), order[step]);
		switch (step) {
		case 0: c.caps |= NESTIO_CAP_NESTING; break;
		case 1: c.stage1_formats = NESTIO_STAGE1_VTD; break;
		case 2: c.stage1_ia_bits = 57; break;
		case 3: c.stage2_ia_bits = 48; break;
		case 4: c.max_pasid_log2 = 20; break;
		case 5: c.caps |= NESTIO_CAP_PRI; break;
		case 6: w.errata_ok |= SPR17; break;
		case 7: w.errata_ok |= 1u << 30; break;
		}
	}
}
END_TEST

START_TEST(test_reason_buffer)
{
	const char *full = "host IOMMU (intel-vtd) cannot nest: ECAP.NEST is clear";
	struct nestio_compat w = { .sz = sizeof(w) };
	struct nestio_hw_caps c, ok;
	char small[10];

	qemu_vtd(&c);
	/* a short buffer: truncated, always terminated */
	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, small, sizeof(small)), 0);
	ck_assert_str_eq(small, "host IOMM");
	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, small, 1), 0);
	ck_assert_int_eq(small[0], '\0');
	ck_assert_int_eq(small[1], 'x');
	/* length 0: nothing written */
	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, small, 0), 0);
	ck_assert_int_eq(small[0], 'x');
	/* NULL reason: the answer alone, any length */
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, NULL, 100), 0);
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, NULL, 0), 0);
	/* exactly the reason's length + 1 fits it all */
	{
		char *exact = malloc(strlen(full) + 1);

		ck_assert_int_eq(nestio_hw_caps_check(&c, &w, exact, strlen(full) + 1), 0);
		ck_assert_str_eq(exact, full);
		free(exact);
	}
	/* a pass empties a buffer that held an old reason */
	nest_vtd(&ok, false);
	strcpy(reason, "stale");
	ck_assert_int_eq(nestio_hw_caps_check(&ok, &w, reason, sizeof(reason)), 1);
	ck_assert_str_eq(reason, "");
	ck_assert_int_eq(nestio_hw_caps_check(&ok, &w, NULL, 0), 1);
}
END_TEST

START_TEST(test_bad_input)
{
	struct nestio_compat w = { .sz = sizeof(w) };
	struct nestio_hw_caps c;
	struct {
		struct nestio_compat w;
		uint64_t tail;
	} big = { { .sz = sizeof(big) }, 1 };
	struct {
		struct nestio_hw_caps c;
		uint64_t tail;
	} bigc;

	nest_vtd(&c, false);
	strcpy(reason, "untouched");
	ck_assert_int_eq(nestio_hw_caps_check(NULL, &w, reason, sizeof(reason)), -EINVAL);
	ck_assert_int_eq(nestio_hw_caps_check(&c, NULL, reason, sizeof(reason)), -EINVAL);
	ck_assert_int_eq(nestio_hw_caps_check(NULL, NULL, NULL, 0), -EINVAL);
	/* more than one format, the RAW escape hatch, reserved */
	w.stage1_format = NESTIO_STAGE1_VTD | NESTIO_STAGE1_ARM_SMMUV3;
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, reason, sizeof(reason)), -EINVAL);
	w.stage1_format = NESTIO_STAGE1_RAW;
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, reason, sizeof(reason)), -EINVAL);
	w.stage1_format = 0;
	w.reserved = 1;
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, reason, sizeof(reason)), -EINVAL);
	w.reserved = 0;
	/* sized: too small for its own size, longer with a non-zero tail */
	w.sz = 0;
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, reason, sizeof(reason)), -EINVAL);
	w.sz = sizeof(size_t) - 1;
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, reason, sizeof(reason)), -EINVAL);
	ck_assert_int_eq(nestio_hw_caps_check(&c, &big.w, reason, sizeof(reason)), -E2BIG);
	ck_assert_str_eq(reason, "untouched");
	big.tail = 0;		/* a zero tail is fine */
	ck_assert_int_eq(nestio_hw_caps_check(&c, &big.w, reason, sizeof(reason)), 1);
	/* the same rules for caps */
	c.sz = sizeof(size_t) - 1;
	ck_assert_int_eq(nestio_hw_caps_check(&c, &big.w, NULL, 0), -EINVAL);
	memset(&bigc, 0, sizeof(bigc));
	nest_vtd(&bigc.c, false);
	bigc.c.sz = sizeof(bigc);
	ck_assert_int_eq(nestio_hw_caps_check(&bigc.c, &big.w, NULL, 0), 1);
	bigc.tail = 1;
	ck_assert_int_eq(nestio_hw_caps_check(&bigc.c, &big.w, NULL, 0), -E2BIG);
}
END_TEST

START_TEST(test_sized_shorter)
{
	struct nestio_compat w = {
		.sz = offsetof(struct nestio_compat, errata_ok),
		.stage1_format = NESTIO_STAGE1_VTD,
		.errata_ok = SPR17,	/* beyond sz: not read */
	};
	struct nestio_hw_caps c;

	nest_vtd(&c, true);
	CHECK(&c, &w, 0, SPR17_REASON);
	w.sz = sizeof(w);
	CHECK(&c, &w, 1, "");
	/* a want that ends before caps asks for no capability */
	w = (struct nestio_compat){ .sz = offsetof(struct nestio_compat, caps),
				    .caps = NESTIO_CAP_STALL, .errata_ok = SPR17 };
	CHECK(&c, &w, 0, SPR17_REASON);
	/* an older caps that ends before errata reports none */
	w = (struct nestio_compat){ .sz = sizeof(w), .stage1_format = NESTIO_STAGE1_VTD };
	c.sz = offsetof(struct nestio_hw_caps, errata);
	CHECK(&c, &w, 1, "");
	/* ... and one that ends before stage1_formats offers none */
	c.sz = offsetof(struct nestio_hw_caps, stage1_formats);
	CHECK(&c, &w, 0, "vIOMMU wants the intel-vtd stage-1 format, host "
			 "(intel-vtd) takes none");
}
END_TEST

/* ========================================================= errata table */

START_TEST(test_errata_table)
{
	struct nestio_compat w = { .sz = sizeof(w) };
	struct nestio_hw_caps c;

	ck_assert_str_eq(nestio_errata_name(SPR17), "772415-spr17");
	ck_assert_str_eq(nestio_errata_describe(SPR17),
			 "no read-only mappings in a nest parent");
	/* unknown, none, several: NULL */
	ck_assert_ptr_null(nestio_errata_name(0));
	ck_assert_ptr_null(nestio_errata_describe(0));
	ck_assert_ptr_null(nestio_errata_name(1u << 1));
	ck_assert_ptr_null(nestio_errata_describe(1u << 31));
	ck_assert_ptr_null(nestio_errata_name(SPR17 | (1u << 1)));
	ck_assert_ptr_null(nestio_errata_describe(SPR17 | (1u << 1)));
	ck_assert_ptr_null(nestio_errata_name(UINT32_MAX));
	/* every known bit has a name and a description, each different */
	for (int b = 0; b < 32; b++) {
		const char *n = nestio_errata_name(1u << b);

		ck_assert((n == NULL) == (nestio_errata_describe(1u << b) == NULL));
		for (int a = 0; n && a < b; a++)
			ck_assert(!nestio_errata_name(1u << a) ||
				  strcmp(n, nestio_errata_name(1u << a)));
	}
	/* a known erratum together with an unknown one: the known is named,
	 * and accepting it leaves the unknown one */
	nest_vtd(&c, true);
	c.errata |= 1u << 5;
	CHECK(&c, &w, 0, SPR17_REASON);
	w.errata_ok = SPR17;
	CHECK(&c, &w, 0, "unknown errata 0x20 are present and not accepted");
	w.errata_ok = ~0u;
	CHECK(&c, &w, 1, "");
}
END_TEST

/* ============================= nestio_device_check_compat, fake kernel */

static void fk_vtd(uint64_t cap, uint64_t ecap, bool erratum, uint8_t pasid)
{
	struct kabi_hw_info_vtd v = {
		.flags = erratum ? KABI_HW_INFO_VTD_ERRATA_772415_SPR17 : 0,
		.cap_reg = cap, .ecap_reg = ecap,
	};

	fk_hw.type = KABI_HW_INFO_TYPE_INTEL_VTD;
	fk_hw.len = sizeof(v);
	memcpy(fk_hw.data, &v, sizeof(v));
	fk_hw.caps = 0;
	fk_hw.pasid_log2 = pasid;
}

START_TEST(test_device_check)
{
	struct nestio_compat w = { .sz = sizeof(w), .stage1_format = NESTIO_STAGE1_VTD };
	struct nestio_hw_caps c = { .sz = sizeof(c) };

	/* what QEMU's VT-d answers */
	fk_vtd(QEMU_VTD_CAP, QEMU_VTD_ECAP, true, 0);
	memset(reason, 'x', sizeof(reason));
	ck_assert_int_eq(nestio_device_check_compat(dev, &w, reason, sizeof(reason)), 0);
	ck_assert_str_eq(reason, "host IOMMU (intel-vtd) cannot nest: ECAP.NEST is clear");
	ck_assert_int_eq(tu_ncalls, 1);		/* one GET_HW_INFO for dev_id 7 */
	ck_assert_uint_eq(tu_calls[0].request, KABI_IOMMU_GET_HW_INFO);
	ck_assert_uint_eq(((struct kabi_hw_info *)tu_calls[0].arg)->dev_id, 7);
	/* the same answer as get_hw_caps + the check */
	ck_assert_int_eq(nestio_device_get_hw_caps(dev, &c), 0);
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, NULL, 0), 0);
	/* a VT-d that nests, PASIDs and the erratum accepted */
	fk_vtd(NEST_VTD_CAP, NEST_VTD_ECAP, true, 20);
	w.pasid_bits = 20;
	ck_assert_int_eq(nestio_device_check_compat(dev, &w, reason, sizeof(reason)), 0);
	ck_assert_str_eq(reason, SPR17_REASON);
	w.errata_ok = SPR17;
	ck_assert_int_eq(nestio_device_check_compat(dev, &w, reason, sizeof(reason)), 1);
	ck_assert_str_eq(reason, "");
	ck_assert_int_eq(nestio_device_check_compat(dev, &w, NULL, 0), 1);
	/* bad input: refused before the kernel is asked, reason untouched */
	strcpy(reason, "untouched");
	EXPECT_NOIO(nestio_device_check_compat(NULL, &w, reason, sizeof(reason)), -EINVAL);
	EXPECT_NOIO(nestio_device_check_compat((struct nestio_device *)ioas, &w,
					       reason, sizeof(reason)), -EINVAL);
	EXPECT_NOIO(nestio_device_check_compat(dev, NULL, reason, sizeof(reason)), -EINVAL);
	w.stage1_format = NESTIO_STAGE1_VTD | NESTIO_STAGE1_AMD;
	EXPECT_NOIO(nestio_device_check_compat(dev, &w, reason, sizeof(reason)), -EINVAL);
	w.stage1_format = NESTIO_STAGE1_VTD;
	w.sz = 1;
	EXPECT_NOIO(nestio_device_check_compat(dev, &w, reason, sizeof(reason)), -EINVAL);
	w.sz = sizeof(w);
	/* the kernel's error passes through */
	fk_fail(KABI_IOMMU_GET_HW_INFO, ENOTTY, 1);
	ck_assert_int_eq(nestio_device_check_compat(dev, &w, reason, sizeof(reason)),
			 -ENOTTY);
	ck_assert_str_eq(reason, "untouched");
}
END_TEST

/* ====================================== ERRATA_772415_SPR17 enforcement */

static char logged[512];

static void log_capture(struct nestio_ctx *c, int priority, const char *file,
			int line, const char *fn, const char *format, va_list args)
{
	size_t n = strlen(logged);

	(void)c; (void)file; (void)line; (void)fn;
	if (priority == LOG_INFO && n < sizeof(logged) - 2) {
		vsnprintf(logged + n, sizeof(logged) - n - 1, format, args);
		strcat(logged, "\n");
	}
}

static void setup_erratum(void)
{
	setup_objs();
	fk_vtd(NEST_VTD_CAP, NEST_VTD_ECAP, true, 20);
	logged[0] = '\0';
	ck_assert_int_eq(nestio_ctx_set_log_fn(ctx, log_capture), 0);
	ck_assert_int_eq(nestio_ctx_set_log_priority(ctx, LOG_INFO), 0);
}

static struct nestio_hwpt *nest_parent(struct nestio_ioas *i)
{
	return new_hwpt(dev, i, NESTIO_HWPT_NEST_PARENT);
}

/* read-only map, map_file and copy into i: all give want */
static void ro_all(struct nestio_ioas *i, struct nestio_ioas *src, int want,
		   bool noio)
{
	static const unsigned int ro[] = { NESTIO_MAP_READ,
					   NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA };
	void *va = aligned_alloc(PAGE, PAGE);
	int fd = open_null();

	for (size_t k = 0; k < ARRAY_SIZE(ro); k++) {
		uint64_t iova = 0x100000;
		int n = tu_ncalls;

		ck_assert_int_eq(nestio_ioas_map(i, va, PAGE, &iova, ro[k]), want);
		ck_assert_int_eq(nestio_ioas_map_file(i, fd, 0, PAGE, &iova, ro[k]), want);
		ck_assert_int_eq(nestio_ioas_copy(i, &iova, src, 0, PAGE, ro[k]), want);
		ck_assert_int_eq(tu_ncalls - n, noio ? 0 : 3);
	}
	close(fd);
	free(va);
}

START_TEST(test_enforce_nest_parent)
{
	struct nestio_ioas *other = new_ioas(ctx);	/* id 101 */
	struct nestio_hwpt *h, *sentinel = (struct nestio_hwpt *)&rec;
	void *va = aligned_alloc(PAGE, PAGE);
	uint64_t iova = 0;
	int fd = open_null();

	tu_ncalls = 0;
	h = nest_parent(ioas);
	/* the hwpt, then one GET_HW_INFO for the device's errata */
	ck_assert_int_eq(tu_ncalls, 2);
	EXPECT_IOMMU(0, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc,
		     .flags = KABI_HWPT_ALLOC_NEST_PARENT, .dev_id = 7, .pt_id = 100);
	ck_assert_uint_eq(tu_calls[1].request, KABI_IOMMU_GET_HW_INFO);
	ck_assert_ptr_nonnull(strstr(logged, "772415-spr17"));
	/* read-only into the nest parent's IOAS: -EINVAL, no ioctl, logged */
	logged[0] = '\0';
	ro_all(ioas, other, -EINVAL, true);
	ck_assert_ptr_nonnull(strstr(logged, "read-only mapping refused"));
	ck_assert_ptr_nonnull(strstr(logged, "772415-spr17"));
	/* the other checks still come first: bad flags are bad flags */
	EXPECT_NOIO(nestio_ioas_map(ioas, va, PAGE, &iova, 0), -EINVAL);
	/* writable mappings work: read-write and write-only */
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &iova, RW), 0);
	ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &iova, NESTIO_MAP_WRITE), 0);
	ck_assert_int_eq(nestio_ioas_map_file(ioas, fd, 0, PAGE, &iova, RW), 0);
	ck_assert_int_eq(nestio_ioas_copy(ioas, &iova, other, 0, PAGE, RW), 0);
	ck_assert_int_eq(tu_ncalls, 4);
	EXPECT_IOMMU(0, KABI_IOMMU_IOAS_MAP, kabi_ioas_map,
		     .flags = KABI_IOAS_MAP_READABLE | KABI_IOAS_MAP_WRITEABLE,
		     .ioas_id = 100, .user_va = (uintptr_t)va, .length = PAGE);
	/* an IOAS without a nest parent still takes read-only mappings, also
	 * copied out of the banned one */
	tu_ncalls = 0;
	ro_all(other, ioas, 0, false);
	/* the ban lasts as long as the nest parent */
	h = nestio_hwpt_unref(h);
	tu_ncalls = 0;
	ro_all(ioas, other, 0, false);
	/* a refused nest parent (QEMU's VT-d: EOPNOTSUPP) asks nothing more and
	 * bans nothing; neither does a paging hwpt that is no nest parent */
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), 0);
	fk_fail(KABI_IOMMU_HWPT_ALLOC, EOPNOTSUPP, 1);
	tu_ncalls = 0;
	h = sentinel;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas,
		&(struct nestio_hwpt_paging_opts){ .sz = sizeof(struct nestio_hwpt_paging_opts),
						   .flags = NESTIO_HWPT_NEST_PARENT },
		&h), -EOPNOTSUPP);
	ck_assert_ptr_eq(h, sentinel);
	ck_assert_int_eq(tu_ncalls, 1);
	h = new_hwpt(dev, ioas, NESTIO_HWPT_PASID);
	ck_assert_uint_eq(tu_calls[tu_ncalls - 1].request, KABI_IOMMU_HWPT_ALLOC);
	ro_all(ioas, other, 0, false);
	h = nestio_hwpt_unref(h);
	other = nestio_ioas_unref(other);
	close(fd);
	free(va);
}
END_TEST

START_TEST(test_enforce_counted)
{
	struct nestio_ioas *other = new_ioas(ctx);
	struct nestio_hwpt *a = nest_parent(ioas), *b = nest_parent(ioas);
	struct nestio_hwpt *c = nest_parent(other);

	/* two nest parents on one IOAS: the ban lasts until both are gone */
	ro_all(ioas, other, -EINVAL, true);
	a = nestio_hwpt_unref(a);
	ro_all(ioas, other, -EINVAL, true);
	/* a reference elsewhere (a device attached to it) keeps it alive */
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, b), 0);
	b = nestio_hwpt_unref(b);
	ro_all(ioas, other, -EINVAL, true);
	ck_assert_int_eq(nestio_device_detach(dev, NESTIO_NO_PASID), 0);
	ro_all(ioas, other, 0, false);
	/* and one IOAS's ban is not another's */
	ro_all(other, ioas, -EINVAL, true);
	c = nestio_hwpt_unref(c);
	ro_all(other, ioas, 0, false);
	other = nestio_ioas_unref(other);
}
END_TEST

START_TEST(test_enforce_existing_ro)
{
	struct nestio_hwpt *h = NULL, *sentinel = (struct nestio_hwpt *)&rec;
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o),
					     .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_ioas *other = new_ioas(ctx);
	void *va = aligned_alloc(PAGE, PAGE);
	uint64_t iova = 0;
	uint32_t id;

	/* a read-only mapping made before: the kernel would make it writable
	 * in the nest parent, so the nest parent is refused (and destroyed) */
	ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &iova, NESTIO_MAP_READ), 0);
	tu_ncalls = 0;
	fk_nev = 0;
	id = fk_next_id;
	h = sentinel;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), -EINVAL);
	ck_assert_ptr_eq(h, sentinel);
	ck_assert_int_eq(tu_ncalls, 3);		/* alloc, hw info, destroy */
	EXPECT_IOMMU(2, KABI_IOMMU_DESTROY, kabi_destroy, .id = id);
	ck_assert_ptr_nonnull(strstr(logged, "may hold read-only mappings"));
	/* nothing is banned by the refused one */
	ro_all(ioas, other, 0, false);
	/* unmapping a part is not enough to know; unmapping all is */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, iova, PAGE, NULL), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), -EINVAL);
	fk_fail(KABI_IOMMU_IOAS_UNMAP, EBUSY, 1);
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), -EBUSY);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), -EINVAL);
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), 0);
	ro_all(ioas, other, -EINVAL, true);
	h = nestio_hwpt_unref(h);
	/* a read-only copy into it counts as a read-only mapping too */
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), 0);
	ck_assert_int_eq(nestio_ioas_copy(ioas, &iova, other, 0, PAGE, NESTIO_MAP_READ), 0);
	h = sentinel;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), -EINVAL);
	ck_assert_ptr_eq(h, sentinel);
	/* a failed read-only map does not */
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), 0);
	fk_fail(KABI_IOMMU_IOAS_MAP, ENOMEM, 1);
	ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &iova, NESTIO_MAP_READ), -ENOMEM);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), 0);
	h = nestio_hwpt_unref(h);
	other = nestio_ioas_unref(other);
	free(va);
}
END_TEST

START_TEST(test_enforce_hw_info_fails)
{
	struct nestio_hwpt *h = NULL, *sentinel = (struct nestio_hwpt *)&rec;
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o),
					     .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_ioas *other = new_ioas(ctx);
	uint32_t id = fk_next_id;

	/* the errata cannot be read: no nest parent (fail closed), nothing left */
	fk_fail(KABI_IOMMU_GET_HW_INFO, ENOMEM, 1);
	tu_ncalls = 0;
	fk_nev = 0;
	h = sentinel;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), -ENOMEM);
	ck_assert_ptr_eq(h, sentinel);
	ck_assert_int_eq(tu_ncalls, 3);
	ck_assert_int_eq(find_ev('D', id), 0);
	ro_all(ioas, other, 0, false);
	other = nestio_ioas_unref(other);
}
END_TEST

START_TEST(test_no_erratum_no_change)
{
	struct nestio_ioas *other = new_ioas(ctx);
	struct nestio_hwpt *h;

	/* the same VT-d without the erratum flag */
	fk_vtd(NEST_VTD_CAP, NEST_VTD_ECAP, false, 20);
	h = nest_parent(ioas);
	ro_all(ioas, other, 0, false);
	h = nestio_hwpt_unref(h);
	/* an SMMUv3 (no such erratum) */
	{
		struct kabi_hw_info_arm_smmuv3 s = { .idr = { SMMU_IDR0, 0, 0, 0, 0, SMMU_IDR5 } };

		fk_hw.type = KABI_HW_INFO_TYPE_ARM_SMMUV3;
		fk_hw.len = sizeof(s);
		memcpy(fk_hw.data, &s, sizeof(s));
	}
	h = nest_parent(ioas);
	ro_all(ioas, other, 0, false);
	h = nestio_hwpt_unref(h);
	/* no vendor data at all */
	memset(&fk_hw, 0, sizeof(fk_hw));
	h = nest_parent(ioas);
	ro_all(ioas, other, 0, false);
	h = nestio_hwpt_unref(h);
	ck_assert_ptr_null(strstr(logged, "772415"));
	other = nestio_ioas_unref(other);
}
END_TEST

/* ================================ the kernel's mock (in the test VM) */

static struct nestio_ctx *mctx;

static void setup_mock(void)
{
	ck_assert_int_eq(nestio_ctx_new(&mctx), 0);
}

static void teardown_mock(void)
{
	mctx = nestio_ctx_unref(mctx);
}

START_TEST(test_mock_no_erratum)
{
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o),
					     .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_compat w = { .sz = sizeof(w) };
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_device *mdev = NULL;
	struct nestio_ioas *mioas = NULL;
	struct nestio_hwpt *parent = NULL;
	void *va = aligned_alloc(PAGE, PAGE);
	uint64_t iova = MOCK_APERTURE_START;

	ck_assert_int_eq(nestio_ioas_new(mctx, &mioas), 0);
	ck_assert_int_eq(tu_mock_device(mctx, nestio_ioas_get_id(mioas), 0, &mdev), 0);
	ck_assert_int_eq(nestio_device_get_hw_caps(mdev, &caps), 0);
	ck_assert_uint_eq(caps.errata, 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(mdev, mioas, &o, &parent), 0);
	/* a read-only mapping under a nest parent is fine here */
	ck_assert_int_eq(nestio_ioas_map(mioas, va, PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_int_eq(tu_mock_check_map(nestio_ctx_get_fd(mctx),
					   nestio_hwpt_get_id(parent), iova, PAGE, va), 0);
	ck_assert_int_eq(nestio_ioas_unmap(mioas, iova, PAGE, NULL), 0);
	/* and one made before the nest parent does not stop a second one */
	ck_assert_int_eq(nestio_ioas_map(mioas, va, PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	{
		struct nestio_hwpt *p2 = NULL;

		ck_assert_int_eq(nestio_hwpt_new_paging(mdev, mioas, &o, &p2), 0);
		nestio_hwpt_unref(p2);
	}
	/* the library cannot decode the mock's registers: no nesting to offer */
	ck_assert_int_eq(nestio_device_check_compat(mdev, &w, reason, sizeof(reason)), 0);
	ck_assert_str_eq(reason, "host IOMMU (unknown) cannot nest: this library "
				 "cannot decode its registers");
	nestio_hwpt_unref(parent);
	nestio_device_unref(mdev);
	nestio_ioas_unref(mioas);
	free(va);
}
END_TEST

static bool have_mock(void)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	bool r = fd >= 0 && tu_have_mock(fd);

	if (fd >= 0)
		close(fd);
	return r;
}

int main(void)
{
	Suite *s = suite_create("compat");
	TCase *tc;

	tc = fk_tcase(s, "check", NULL, NULL);
	tcase_add_test(tc, test_qemu_vtd);
	tcase_add_test(tc, test_nest_vtd);
	tcase_add_test(tc, test_qemu_smmuv3);
	tcase_add_test(tc, test_amd_and_others);
	tcase_add_test(tc, test_fixed_order);
	tcase_add_test(tc, test_reason_buffer);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_sized_shorter);
	tcase_add_test(tc, test_errata_table);
	tc = fk_tcase(s, "device", setup_objs, teardown_objs);
	tcase_add_test(tc, test_device_check);
	tc = fk_tcase(s, "enforce", setup_erratum, teardown_objs);
	tcase_add_test(tc, test_enforce_nest_parent);
	tcase_add_test(tc, test_enforce_counted);
	tcase_add_test(tc, test_enforce_existing_ro);
	tcase_add_test(tc, test_enforce_hw_info_fails);
	tcase_add_test(tc, test_no_erratum_no_change);
	/* tier 2, where the kernel has the mock (the test VM); else not run */
	if (have_mock()) {
		tc = fk_tcase(s, "mock", setup_mock, teardown_mock);
		tcase_add_test(tc, test_mock_no_erratum);
	}
	return tu_run(s);
}
