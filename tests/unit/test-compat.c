// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: the compatibility check against capabilities decoded
 * from real register values, every reason and their order, the errata
 * table, and nestio_device_check_compat() through the fake kernel. The
 * ERRATA_772415_SPR17 enforcement is test-errata.c; the check against the
 * kernel's mock is in tests/kernel/test-device-mock.c.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fakekernel.h"
#include "hwregs.h"

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

START_TEST(test_device_check)
{
	struct nestio_compat w = { .sz = sizeof(w), .stage1_format = NESTIO_STAGE1_VTD };
	struct nestio_hw_caps c = { .sz = sizeof(c) };

	/* what QEMU's VT-d answers */
	fk_hw_vtd(QEMU_VTD_CAP, QEMU_VTD_ECAP, true, 0);
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
	fk_hw_vtd(NEST_VTD_CAP, NEST_VTD_ECAP, true, 20);
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

/* ====================================== the fields QEMU's checks read */

static void smmu_part(struct nestio_hw_caps *c, uint32_t idr0, uint32_t idr1,
		      uint32_t idr3, uint32_t idr5)
{
	struct kabi_hw_info_arm_smmuv3 s = { .idr = { idr0, idr1, 0, idr3, 0, idr5 } };

	decode(KABI_HW_INFO_TYPE_ARM_SMMUV3, &s, sizeof(s), 0, 0, c);
}

START_TEST(test_smmu_fields)
{
	struct nestio_compat w = {
		.sz = sizeof(w), .stage1_format = NESTIO_STAGE1_ARM_SMMUV3,
		.caps = NESTIO_CAP_NESTING | NESTIO_CAP_TT_LE | NESTIO_CAP_TTF_AARCH64,
		.pgsize_bitmap = (1u << 12) | (1u << 21) | (1u << 30),
		.sid_bits = 16,
	};
	struct nestio_hw_caps small, server;

	smmu_part(&small, SMALL_SMMU_IDR0, SMALL_SMMU_IDR1, SMALL_SMMU_IDR3,
		  SMALL_SMMU_IDR5);
	smmu_part(&server, SERVER_SMMU_IDR0, SERVER_SMMU_IDR1, SERVER_SMMU_IDR3,
		  SERVER_SMMU_IDR5);
	/* what QEMU's vSMMU advertises by default, less RIL and 16K/64K */
	CHECK(&small, &w, 1, "");
	CHECK(&server, &w, 1, "");
	/* 6. page sizes, named with the granule bit that would grant them */
	w.pgsize_bitmap |= 1u << 14;
	CHECK(&small, &w, 0, "vIOMMU wants stage-1 page sizes the host "
			     "(arm-smmuv3) lacks: 16K (SMMU_IDR5.GRAN16K is clear)");
	CHECK(&server, &w, 0, "vIOMMU wants stage-1 page sizes the host "
			      "(arm-smmuv3) lacks: 16K (SMMU_IDR5.GRAN16K is clear)");
	w.pgsize_bitmap = (1u << 16) | (1u << 14);
	CHECK(&small, &w, 0, "vIOMMU wants stage-1 page sizes the host "
			     "(arm-smmuv3) lacks: 16K 64K (SMMU_IDR5.GRAN* is clear)");
	w.pgsize_bitmap = 1u << 16;
	CHECK(&server, &w, 1, "");
	w.pgsize_bitmap = 1u << 12;
	/* 7.-8. IDR1.SIDSIZE and SSIDSIZE */
	w.sid_bits = 17;
	CHECK(&small, &w, 0, "vIOMMU wants 17-bit stream IDs, host (arm-smmuv3) has 16");
	CHECK(&server, &w, 1, "");
	w.ssid_bits = 20;
	CHECK(&server, &w, 1, "");
	w.ssid_bits = 21;
	CHECK(&server, &w, 0, "vIOMMU wants 21-bit substream IDs, host (arm-smmuv3) has 20");
	w.sid_bits = w.ssid_bits = 0;
	/* 9. IDR0.ST_LEVEL, TTENDIAN, TTF, IDR3.RIL, ATS by name */
	w.caps |= NESTIO_CAP_STE_2LVL | NESTIO_CAP_RANGE_INV | NESTIO_CAP_ATS |
		  NESTIO_CAP_TT_BE | NESTIO_CAP_TTF_AARCH32;
	CHECK(&server, &w, 1, "");
	CHECK(&small, &w, 0, "vIOMMU needs capabilities the host (arm-smmuv3) lacks: "
			     "ats, 2-level-stream-table, tt-big-endian, ttf-aarch32, "
			     "range-invalidation");
	/* the order: page sizes before IDs before capabilities */
	w.pgsize_bitmap = 1u << 14;
	w.sid_bits = 20;
	CHECK(&small, &w, 0, "vIOMMU wants stage-1 page sizes the host "
			     "(arm-smmuv3) lacks: 16K (SMMU_IDR5.GRAN16K is clear)");
	w.pgsize_bitmap = 0;
	CHECK(&small, &w, 0, "vIOMMU wants 20-bit stream IDs, host (arm-smmuv3) has 16");
}
END_TEST

START_TEST(test_vtd_fields)
{
	/* QEMU's vtd_check_hiod for x-flts: first-stage, 1 GiB pages (fs1gp) */
	struct nestio_compat w = {
		.sz = sizeof(w), .stage1_format = NESTIO_STAGE1_VTD,
		.caps = NESTIO_CAP_NESTING | NESTIO_CAP_FIRST_STAGE,
		.pgsize_bitmap = (1u << 12) | (1u << 21) | (1u << 30),
		.stage2_ia_bits = 48, .sid_bits = 16,
		.errata_ok = SPR17,
	};
	struct kabi_hw_info_vtd v = { .cap_reg = V6_VTD_CAP, .ecap_reg = V6_VTD_ECAP };
	struct nestio_hw_caps c;

	decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v), 0, 0, &c);
	CHECK(&c, &w, 1, "");
	v.cap_reg &= ~(1ull << 56);		/* CAP.FS1GP */
	decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v), 0, 0, &c);
	CHECK(&c, &w, 0, "vIOMMU wants stage-1 page sizes the host (intel-vtd) "
			 "lacks: 1G (CAP.FS1GP is clear)");
	w.pgsize_bitmap &= ~(1u << 30);
	v.ecap_reg &= ~(1ull << 47);		/* ECAP.FSTS */
	decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v), 0, 0, &c);
	CHECK(&c, &w, 0, "vIOMMU needs capabilities the host (intel-vtd) lacks: "
			 "first-stage");
	/* the v6 part reports PSS but not ECAP.PASID: no substream IDs */
	w.caps = NESTIO_CAP_NESTING;
	w.ssid_bits = 1;
	CHECK(&c, &w, 0, "vIOMMU wants 1-bit substream IDs, host (intel-vtd) has 0");
}
END_TEST

START_TEST(test_sized_layouts)
{
	/* the first layout ended at errata_ok (sz 32, with 4 bytes of padding
	 * where reserved1 is now): whatever is there, and anything after sz,
	 * is not read */
	const size_t old = offsetof(struct nestio_compat, reserved1) + sizeof(uint32_t);
	struct nestio_compat w;
	struct nestio_hw_caps c;

	ck_assert_uint_eq(old, 32);
	ck_assert_uint_eq(offsetof(struct nestio_compat, pgsize_bitmap), 32);
	ck_assert_uint_eq(offsetof(struct nestio_hw_caps, sid_bits), 40);
	smmu_part(&c, SMALL_SMMU_IDR0, SMALL_SMMU_IDR1, 0, SMALL_SMMU_IDR5);
	memset(&w, 0xa5, sizeof(w));
	w.sz = old;
	w.stage1_format = NESTIO_STAGE1_ARM_SMMUV3;
	w.stage1_ia_bits = w.stage2_ia_bits = w.pasid_bits = w.reserved = 0;
	w.caps = NESTIO_CAP_NESTING;
	w.errata_ok = 0;
	CHECK(&c, &w, 1, "");
	w.sz = sizeof(w);
	w.reserved1 = 0xffffffff;		/* ignored in any layout */
	w.pgsize_bitmap = w.sid_bits = w.ssid_bits = 0;
	w.reserved2[0] = w.reserved2[1] = 0;
	CHECK(&c, &w, 1, "");
	w.reserved2[1] = 1;
	ck_assert_int_eq(nestio_hw_caps_check(&c, &w, NULL, 0), -EINVAL);
	/* an older caps struct (sz 40) has no IDs: the check sees 0 */
	w.reserved2[1] = 0;
	w.sid_bits = 1;
	CHECK(&c, &w, 1, "");
	c.sz = offsetof(struct nestio_hw_caps, sid_bits);
	CHECK(&c, &w, 0, "vIOMMU wants 1-bit stream IDs, host (arm-smmuv3) has 0");
}
END_TEST

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
	tcase_add_test(tc, test_smmu_fields);
	tcase_add_test(tc, test_vtd_fields);
	tcase_add_test(tc, test_sized_layouts);
	tc = fk_tcase(s, "device", setup_objs, teardown_objs);
	tcase_add_test(tc, test_device_check);
	return tu_run(s);
}
