// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: capability decoding from known register values.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakekernel.h"
#include "hwregs.h"

/* ================================================================= caps */

#define PG(s) (1u << (s))

static int decode(uint32_t type, const void *data, size_t len, uint64_t kcaps,
		  uint8_t pasid, struct nestio_hw_caps *c)
{
	memset(c, 0xa5, sizeof(*c));
	c->sz = sizeof(*c);
	return nestio_hw_caps_decode(type, data, len, kcaps, pasid, c);
}

START_TEST(test_caps_vtd)
{
	struct kabi_hw_info_vtd v = { .cap_reg = QEMU_VTD_CAP, .ecap_reg = QEMU_VTD_ECAP };
	struct nestio_hw_caps c;

	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v), 0, 0, &c), 0);
	ck_assert_uint_eq(c.type, NESTIO_IOMMU_INTEL_VTD);
	ck_assert_uint_eq(c.raw_type, KABI_HW_INFO_TYPE_INTEL_VTD);
	ck_assert_uint_eq(c.caps, 0);
	ck_assert_uint_eq(c.stage1_formats, 0);
	ck_assert_uint_eq(c.errata, 0);
	ck_assert_uint_eq(c.max_pasid_log2, 0);
	ck_assert_uint_eq(c.stage1_ia_bits, 48);
	ck_assert_uint_eq(c.stage2_ia_bits, 48);
	ck_assert_uint_eq(c.pgsize_bitmap, PG(12) | PG(21));
	v.ecap_reg |= 1ull << 26;			/* ECAP.NEST */
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v), 0, 20, &c), 0);
	ck_assert_uint_eq(c.caps, NESTIO_CAP_NESTING | NESTIO_CAP_PASID);
	ck_assert_uint_eq(c.stage1_formats, NESTIO_STAGE1_VTD);
	ck_assert_uint_eq(c.max_pasid_log2, 20);
	v.cap_reg |= (1ull << 60) | (1ull << 56);	/* FL5LP, FL1GP */
	v.flags = KABI_HW_INFO_VTD_ERRATA_772415_SPR17;
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v), 0, 0, &c), 0);
	ck_assert_uint_eq(c.stage1_ia_bits, 57);
	ck_assert_uint_eq(c.pgsize_bitmap, PG(12) | PG(21) | PG(30));
	ck_assert_uint_eq(c.errata, NESTIO_ERRATA_772415_SPR17);
	v.ecap_reg |= (1ull << 2) | (1ull << 29);	/* DT (ATS), PRS */
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v), 0, 0, &c), 0);
	ck_assert_uint_eq(c.caps, NESTIO_CAP_NESTING | NESTIO_CAP_ATS | NESTIO_CAP_PRI);
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v),
				KABI_HW_CAP_PCI_ATS_NOT_SUPPORTED, 0, &c), 0);
	ck_assert_uint_eq(c.caps, NESTIO_CAP_NESTING | NESTIO_CAP_PRI);
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v) - 1, 0, 0, &c),
			 -EINVAL);
	ck_assert_uint_eq(c.type, 0xa5a5a5a5);		/* untouched */
}
END_TEST

START_TEST(test_caps_smmuv3)
{
	struct kabi_hw_info_arm_smmuv3 s = { .idr = { SMMU_IDR0, 0, 0, 0, 0, SMMU_IDR5 } };
	struct nestio_hw_caps c;

	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_ARM_SMMUV3, &s, sizeof(s), 0, 0, &c), 0);
	ck_assert_uint_eq(c.type, NESTIO_IOMMU_ARM_SMMUV3);
	/* no STALL, ATS, PRI; S1P, ST_LEVEL 2-level, TTENDIAN LE, TTF AArch64 */
	ck_assert_uint_eq(c.caps, NESTIO_CAP_NESTING | NESTIO_CAP_FIRST_STAGE |
				  NESTIO_CAP_STE_2LVL | NESTIO_CAP_TT_LE |
				  NESTIO_CAP_TTF_AARCH64);
	ck_assert_uint_eq(c.sid_bits, 0);		/* IDR1 is 0 here */
	ck_assert_uint_eq(c.ssid_bits, 0);
	ck_assert_uint_eq(c.stage1_formats, NESTIO_STAGE1_ARM_SMMUV3);
	ck_assert_uint_eq(c.oa_bits, 44);
	ck_assert_uint_eq(c.stage1_ia_bits, 48);
	ck_assert_uint_eq(c.pgsize_bitmap, PG(12) | PG(21) | PG(30) | PG(14) |
					   PG(25) | PG(16) | PG(29));
	s.idr[5] = (1u << 4) | (1u << 10) | 5;	/* GRAN4K, VAX 52-bit, OAS 48 */
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_ARM_SMMUV3, &s, sizeof(s), 0, 0, &c), 0);
	ck_assert_uint_eq(c.pgsize_bitmap, PG(12) | PG(21) | PG(30));
	ck_assert_uint_eq(c.stage1_ia_bits, 52);
	ck_assert_uint_eq(c.oa_bits, 48);
	/* STALL_MODEL 0b00, ATS, PRI; no S1P: no nesting */
	s.idr[0] = (SMMU_IDR0 & ~(3u << 24) & ~2u) | (1u << 10) | (1u << 16);
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_ARM_SMMUV3, &s, sizeof(s), 0, 0, &c), 0);
	ck_assert_uint_eq(c.caps, NESTIO_CAP_STALL | NESTIO_CAP_ATS | NESTIO_CAP_PRI |
				  NESTIO_CAP_STE_2LVL | NESTIO_CAP_TT_LE |
				  NESTIO_CAP_TTF_AARCH64);
	ck_assert_uint_eq(c.stage1_formats, 0);
	/* TTENDIAN 0b11 big, 0b01 reserved; TTF 0b01 AArch32 only; RIL */
	s.idr[0] = (SMMU_IDR0 & ~(3u << 21) & ~(3u << 2)) | (3u << 21) | (1u << 2);
	s.idr[1] = (7u << 6) | 12;	/* SSIDSIZE 7, SIDSIZE 12 */
	s.idr[3] = 1u << 10;
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_ARM_SMMUV3, &s, sizeof(s), 0, 0, &c), 0);
	ck_assert_uint_eq(c.caps & (NESTIO_CAP_TT_LE | NESTIO_CAP_TT_BE |
				    NESTIO_CAP_TTF_AARCH32 | NESTIO_CAP_TTF_AARCH64 |
				    NESTIO_CAP_RANGE_INV),
			  NESTIO_CAP_TT_BE | NESTIO_CAP_TTF_AARCH32 | NESTIO_CAP_RANGE_INV);
	ck_assert_uint_eq(c.sid_bits, 12);
	ck_assert_uint_eq(c.ssid_bits, 7);
	s.idr[0] = (SMMU_IDR0 & ~(3u << 21)) | (1u << 21);
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_ARM_SMMUV3, &s, sizeof(s), 0, 0, &c), 0);
	ck_assert_uint_eq(c.caps & (NESTIO_CAP_TT_LE | NESTIO_CAP_TT_BE), 0);
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_ARM_SMMUV3, &s, sizeof(s) - 4, 0, 0, &c),
			 -EINVAL);
}
END_TEST

START_TEST(test_caps_amd_and_kernel)
{
	struct kabi_hw_info_amd a = { .efr = (1ull << 4) | (1ull << 48) };
	struct kabi_hw_info_tegra241_cmdqv t = { 0 };
	uint8_t junk[8] = { 1, 2, 3 };
	struct nestio_hw_caps c;

	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_AMD, &a, sizeof(a), 0, 0, &c), 0);
	ck_assert_uint_eq(c.type, NESTIO_IOMMU_AMD);
	ck_assert(c.caps & NESTIO_CAP_NESTING);
	ck_assert_uint_eq(c.stage1_formats, NESTIO_STAGE1_AMD);
	a.efr = 1ull << 4;		/* GTSup without GIoSup */
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_AMD, &a, sizeof(a),
				KABI_HW_CAP_PCI_ATS_NOT_SUPPORTED, 0, &c), 0);
	ck_assert_uint_eq(c.caps & (NESTIO_CAP_NESTING | NESTIO_CAP_ATS), 0);
	ck_assert_uint_eq(c.stage1_formats, 0);
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_AMD, &a, 8, 0, 0, &c), -EINVAL);
	/* the kernel's capability bits, no vendor data */
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_NONE, NULL, 0,
				KABI_HW_CAP_DIRTY_TRACKING | KABI_HW_CAP_PCI_PASID_EXEC |
				KABI_HW_CAP_PCI_PASID_PRIV, 16, &c), 0);
	ck_assert_uint_eq(c.type, NESTIO_IOMMU_NONE);
	ck_assert_uint_eq(c.caps, NESTIO_CAP_DIRTY_TRACKING | NESTIO_CAP_PASID_EXEC |
				  NESTIO_CAP_PASID_PRIV | NESTIO_CAP_PASID);
	ck_assert_uint_eq(c.max_pasid_log2, 16);
	ck_assert_uint_eq(c.stage1_formats, 0);
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_TEGRA241_CMDQV, &t, sizeof(t), 0, 0, &c), 0);
	ck_assert_uint_eq(c.type, NESTIO_IOMMU_TEGRA241_CMDQV);
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_TEGRA241_CMDQV, &t, 4, 0, 0, &c), -EINVAL);
	ck_assert_int_eq(decode(0x1234, junk, sizeof(junk), 0, 0, &c), 0);
	ck_assert_uint_eq(c.type, NESTIO_IOMMU_UNKNOWN);
	ck_assert_uint_eq(c.raw_type, 0x1234);
	ck_assert_uint_eq(c.caps, 0);
}
END_TEST

START_TEST(test_caps_sized)
{
	struct kabi_hw_info_vtd v = { .cap_reg = QEMU_VTD_CAP, .ecap_reg = QEMU_VTD_ECAP };
	const size_t cut = offsetof(struct nestio_hw_caps, pgsize_bitmap);
	struct {
		struct nestio_hw_caps c;
		uint64_t tail;
	} big = { { .sz = sizeof(big) }, 0 };
	struct nestio_hw_caps c;
	const uint8_t *p = (const uint8_t *)&c;

	memset(&c, 0xa5, sizeof(c));
	c.sz = sizeof(c);
	ck_assert_int_eq(nestio_hw_caps_decode(0, NULL, 0, 0, 0, NULL), -EINVAL);
	ck_assert_int_eq(nestio_hw_caps_decode(1, NULL, sizeof(v), 0, 0, &c), -EINVAL);
	ck_assert_uint_eq(c.type, 0xa5a5a5a5);
	/* an older, shorter caller struct is filled only up to its sz */
	c.sz = cut;
	ck_assert_int_eq(nestio_hw_caps_decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v,
					       sizeof(v), 0, 0, &c), 0);
	ck_assert_uint_eq(c.sz, cut);
	ck_assert_uint_eq(c.type, NESTIO_IOMMU_INTEL_VTD);
	ck_assert_uint_eq(c.oa_bits, 48);
	for (size_t i = cut; i < sizeof(c); i++)
		ck_assert_msg(p[i] == 0xa5, "byte %zu written past sz", i);
	c.sz = sizeof(size_t) - 1;	/* too small for its own size field */
	ck_assert_int_eq(nestio_hw_caps_decode(0, NULL, 0, 0, 0, &c), -EINVAL);
	/* a newer, longer one: a zero tail is fine, a non-zero one -E2BIG */
	ck_assert_int_eq(nestio_hw_caps_decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v,
					       sizeof(v), 0, 0, &big.c), 0);
	ck_assert_uint_eq(big.c.type, NESTIO_IOMMU_INTEL_VTD);
	big.tail = 1;
	big.c.type = 0;
	ck_assert_int_eq(nestio_hw_caps_decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v,
					       sizeof(v), 0, 0, &big.c), -E2BIG);
	ck_assert_uint_eq(big.c.type, 0);
}
END_TEST

START_TEST(test_caps_none)
{
	struct nestio_hw_caps c = { .sz = sizeof(c) };

	/* no vendor block at all: nothing to read, the kernel's bits still count */
	ck_assert_int_eq(nestio_hw_caps_decode(0, NULL, 0, KABI_HW_CAP_DIRTY_TRACKING,
					       0, &c), 0);
	ck_assert_uint_eq(c.type, NESTIO_IOMMU_NONE);
	ck_assert_uint_eq(c.caps, NESTIO_CAP_DIRTY_TRACKING);
	ck_assert_uint_eq(c.stage1_formats, 0);
	/* a vendor type with no data is malformed */
	ck_assert_int_eq(nestio_hw_caps_decode(KABI_HW_INFO_TYPE_INTEL_VTD, NULL, 0,
					       0, 0, &c), -EINVAL);
}
END_TEST

START_TEST(test_cap_name)
{
	static const struct { uint64_t bit; const char *name; } want[] = {
		{ NESTIO_CAP_NESTING, "nesting" },
		{ NESTIO_CAP_DIRTY_TRACKING, "dirty-tracking" },
		{ NESTIO_CAP_PASID, "pasid" },
		{ NESTIO_CAP_PASID_EXEC, "pasid-exec" },
		{ NESTIO_CAP_PASID_PRIV, "pasid-priv" },
		{ NESTIO_CAP_ATS, "ats" },
		{ NESTIO_CAP_PRI, "pri" },
		{ NESTIO_CAP_STALL, "stall" },
		{ NESTIO_CAP_FIRST_STAGE, "first-stage" },
		{ NESTIO_CAP_STE_2LVL, "2-level-stream-table" },
		{ NESTIO_CAP_TT_LE, "tt-little-endian" },
		{ NESTIO_CAP_TT_BE, "tt-big-endian" },
		{ NESTIO_CAP_TTF_AARCH32, "ttf-aarch32" },
		{ NESTIO_CAP_TTF_AARCH64, "ttf-aarch64" },
		{ NESTIO_CAP_RANGE_INV, "range-invalidation" },
	};
	int named = 0;

	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		ck_assert_str_eq(nestio_cap_name(want[i].bit), want[i].name);
	/* exactly those bits have names: not 0, not two at once */
	for (int b = 0; b < 64; b++)
		named += nestio_cap_name(1ull << b) != NULL;
	ck_assert_int_eq(named, (int)ARRAY_SIZE(want));
	ck_assert_ptr_null(nestio_cap_name(0));
	ck_assert_ptr_null(nestio_cap_name(NESTIO_CAP_NESTING | NESTIO_CAP_ATS));
}
END_TEST

START_TEST(test_stage1_format_name)
{
	int named = 0;

	ck_assert_str_eq(nestio_stage1_format_name(NESTIO_STAGE1_VTD), "intel-vtd");
	ck_assert_str_eq(nestio_stage1_format_name(NESTIO_STAGE1_ARM_SMMUV3), "arm-smmuv3");
	ck_assert_str_eq(nestio_stage1_format_name(NESTIO_STAGE1_AMD), "amd");
	/* exactly those three: not 0, not two at once, not the RAW escape */
	for (int b = 0; b < 32; b++)
		named += nestio_stage1_format_name(1u << b) != NULL;
	ck_assert_int_eq(named, 3);
	ck_assert_ptr_null(nestio_stage1_format_name(0));
	ck_assert_ptr_null(nestio_stage1_format_name(NESTIO_STAGE1_RAW));
	ck_assert_ptr_null(nestio_stage1_format_name(NESTIO_STAGE1_VTD | NESTIO_STAGE1_AMD));
}
END_TEST

START_TEST(test_caps_names)
{
	const char *seen[NESTIO_FEATURE_MAX] = { 0 };

	for (int t = NESTIO_IOMMU_NONE; t <= NESTIO_IOMMU_UNKNOWN; t++)
		ck_assert_ptr_nonnull(nestio_iommu_type_name((enum nestio_iommu_type)t));
	ck_assert_str_eq(nestio_iommu_type_name(NESTIO_IOMMU_INTEL_VTD), "intel-vtd");
	ck_assert_ptr_null(nestio_iommu_type_name((enum nestio_iommu_type)(NESTIO_IOMMU_UNKNOWN + 1)));
	ck_assert_ptr_null(nestio_iommu_type_name((enum nestio_iommu_type)-1));
	for (int f = 0; f < NESTIO_FEATURE_MAX; f++) {
		seen[f] = nestio_feature_name((enum nestio_feature)f);
		ck_assert_ptr_nonnull(seen[f]);
		for (int g = 0; g < f; g++)
			ck_assert_str_ne(seen[f], seen[g]);
	}
}
END_TEST

/*
 * Real parts and constructed ones (tests/lib/hwregs.h says which is which
 * and where each value comes from), decoded field by field.
 */
#define VTD_PG (PG(12) | PG(21))
#define SMMU_PG4K (PG(12) | PG(21) | PG(30))
#define SMMU_PG64K (PG(16) | PG(29))

static const struct part {
	const char *name;
	uint32_t type;
	uint64_t r[4];		/* VT-d: cap, ecap; SMMU: idr0, idr1, idr3, idr5 */
	uint64_t caps;
	uint8_t s1_bits, s2_bits, sid_bits, ssid_bits;
	uint32_t pgsizes;
} parts[] = {
	{ "vt-d 6.0", NESTIO_IOMMU_INTEL_VTD, { V6_VTD_CAP, V6_VTD_ECAP },
	  NESTIO_CAP_NESTING | NESTIO_CAP_ATS | NESTIO_CAP_FIRST_STAGE,
	  48, 57, 16, 0, VTD_PG | PG(30) },
	{ "xeon vt-d 1.0", NESTIO_IOMMU_INTEL_VTD, { XEON_VTD_CAP, XEON_VTD_ECAP },
	  NESTIO_CAP_ATS, 48, 48, 16, 0, VTD_PG },
	{ "client vt-d", NESTIO_IOMMU_INTEL_VTD, { CLIENT_VTD_CAP, CLIENT_VTD_ECAP },
	  0, 48, 39, 16, 0, VTD_PG },
	{ "qemu vt-d", NESTIO_IOMMU_INTEL_VTD, { QEMU_VTD_CAP, QEMU_VTD_ECAP },
	  0, 48, 48, 16, 0, VTD_PG },
	{ "server smmu", NESTIO_IOMMU_ARM_SMMUV3,
	  { SERVER_SMMU_IDR0, SERVER_SMMU_IDR1, SERVER_SMMU_IDR3, SERVER_SMMU_IDR5 },
	  NESTIO_CAP_NESTING | NESTIO_CAP_FIRST_STAGE | NESTIO_CAP_ATS |
	  NESTIO_CAP_PRI | NESTIO_CAP_STALL | NESTIO_CAP_STE_2LVL |
	  NESTIO_CAP_TT_LE | NESTIO_CAP_TT_BE | NESTIO_CAP_TTF_AARCH32 |
	  NESTIO_CAP_TTF_AARCH64 | NESTIO_CAP_RANGE_INV,
	  52, 48, 32, 20, SMMU_PG4K | SMMU_PG64K },
	{ "small smmu", NESTIO_IOMMU_ARM_SMMUV3,
	  { SMALL_SMMU_IDR0, SMALL_SMMU_IDR1, SMALL_SMMU_IDR3, SMALL_SMMU_IDR5 },
	  NESTIO_CAP_NESTING | NESTIO_CAP_FIRST_STAGE | NESTIO_CAP_TT_LE |
	  NESTIO_CAP_TTF_AARCH64, 48, 40, 16, 0, SMMU_PG4K },
	{ "qemu smmu", NESTIO_IOMMU_ARM_SMMUV3,
	  { SMMU_IDR0, SMMU_IDR1_SIDSIZE, SMMU_IDR3_RIL, SMMU_IDR5 },
	  NESTIO_CAP_NESTING | NESTIO_CAP_FIRST_STAGE | NESTIO_CAP_STE_2LVL |
	  NESTIO_CAP_TT_LE | NESTIO_CAP_TTF_AARCH64 | NESTIO_CAP_RANGE_INV,
	  48, 44, 16, 0, SMMU_PG4K | SMMU_PG64K | PG(14) | PG(25) },
};

START_TEST(test_caps_parts)
{
	const struct part *p = &parts[_i];
	struct kabi_hw_info_vtd v = { .cap_reg = p->r[0], .ecap_reg = p->r[1] };
	struct kabi_hw_info_arm_smmuv3 s = {
		.idr = { (uint32_t)p->r[0], (uint32_t)p->r[1], 0,
			 (uint32_t)p->r[2], 0, (uint32_t)p->r[3] },
	};
	bool vtd = p->type == NESTIO_IOMMU_INTEL_VTD;
	struct nestio_hw_caps c;

	ck_assert_int_eq(decode(vtd ? KABI_HW_INFO_TYPE_INTEL_VTD :
				      KABI_HW_INFO_TYPE_ARM_SMMUV3,
				vtd ? (const void *)&v : (const void *)&s,
				vtd ? sizeof(v) : sizeof(s), 0, 0, &c), 0);
	ck_assert_msg(c.caps == p->caps, "%s: caps %#llx, want %#llx", p->name,
		      (unsigned long long)c.caps, (unsigned long long)p->caps);
	ck_assert_msg(c.stage1_ia_bits == p->s1_bits, "%s: stage-1 %u", p->name,
		      c.stage1_ia_bits);
	ck_assert_msg(c.stage2_ia_bits == p->s2_bits, "%s: stage-2 %u", p->name,
		      c.stage2_ia_bits);
	ck_assert_msg(c.sid_bits == p->sid_bits, "%s: sid %u", p->name, c.sid_bits);
	ck_assert_msg(c.ssid_bits == p->ssid_bits, "%s: ssid %u", p->name,
		      c.ssid_bits);
	ck_assert_msg(c.pgsize_bitmap == p->pgsizes, "%s: pages %#x", p->name,
		      c.pgsize_bitmap);
	ck_assert_uint_eq(c.stage1_formats, !(p->caps & NESTIO_CAP_NESTING) ? 0 :
			  vtd ? NESTIO_STAGE1_VTD : NESTIO_STAGE1_ARM_SMMUV3);
	for (size_t i = 0; i < sizeof(c.reserved); i++)
		ck_assert_uint_eq(c.reserved[i], 0);
}
END_TEST

START_TEST(test_caps_vtd_pasid)
{
	/* ECAP.PASID (40) with PSS (39:35) 19: 20-bit PASIDs */
	struct kabi_hw_info_vtd v = { .cap_reg = V6_VTD_CAP,
				      .ecap_reg = V6_VTD_ECAP | (1ull << 40) };
	struct kabi_hw_info_amd a = { .efr = (1ull << 4) | (1ull << 48) | (15ull << 32) };
	struct nestio_hw_caps c;

	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v), 0, 0, &c), 0);
	ck_assert_uint_eq(c.ssid_bits, 20);
	ck_assert_uint_eq(c.sid_bits, 16);
	/* AMD: EFR.PASmax (36:32) 15 is 16 PASID bits, with GTSup only */
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_AMD, &a, sizeof(a), 0, 0, &c), 0);
	ck_assert_uint_eq(c.ssid_bits, 16);
	ck_assert(c.caps & NESTIO_CAP_FIRST_STAGE);
	a.efr &= ~(1ull << 4);
	ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_AMD, &a, sizeof(a), 0, 0, &c), 0);
	ck_assert_uint_eq(c.ssid_bits, 0);
	ck_assert(!(c.caps & NESTIO_CAP_FIRST_STAGE));
}
END_TEST

/* ------------------------------------------------ Tegra241 CMDQV info */

/* CMDQV blocks as the kernel writes them (flags LE u32, then version,
 * log2vcmdqs, log2vsids, reserved), byte for byte */
static const struct {
	uint8_t bytes[8];
	struct nestio_tegra241_cmdqv_info want;
} cmdqv_infos[] = {
	/* a Grace CMDQV: version 1, 2 VCMDQs and 16 SIDs per VINTF */
	{ { 0, 0, 0, 0, 0x01, 0x01, 0x04, 0 }, { 0, 1, 1, 4, 0 } },
	/* the widest fields: PARAM[3:0], [7:4], [15:12] are 4 bits each */
	{ { 0, 0, 0, 0, 0x0f, 0x0f, 0x0f, 0 }, { 0, 15, 15, 15, 0 } },
	/* a flag and a reserved byte a later kernel may set pass through */
	{ { 0x01, 0x02, 0x03, 0x04, 0x02, 0x06, 0x00, 0x00 },
	  { 0x04030201u, 2, 6, 0, 0 } },
};

START_TEST(test_tegra241_cmdqv_info)
{
	struct nestio_tegra241_cmdqv_info o;
	uint8_t longer[16];

	for (size_t i = 0; i < ARRAY_SIZE(cmdqv_infos); i++) {
		const struct nestio_tegra241_cmdqv_info *w = &cmdqv_infos[i].want;

		memset(&o, 0xa5, sizeof(o));
		ck_assert_int_eq(nestio_hw_info_decode_tegra241_cmdqv(
					 cmdqv_infos[i].bytes, 8, &o), 0);
		ck_assert_msg(o.flags == w->flags && o.version == w->version &&
			      o.log2vcmdqs == w->log2vcmdqs &&
			      o.log2vsids == w->log2vsids && o.reserved == 0,
			      "row %zu: %#x %u %u %u %u", i, o.flags, o.version,
			      o.log2vcmdqs, o.log2vsids, o.reserved);
	}
	/* a longer block (a later kernel's) decodes its first 8 bytes */
	memset(longer, 0xee, sizeof(longer));
	memcpy(longer, cmdqv_infos[0].bytes, 8);
	ck_assert_int_eq(nestio_hw_info_decode_tegra241_cmdqv(longer, sizeof(longer), &o), 0);
	ck_assert_uint_eq(o.log2vsids, 4);
	/* shorter than the layout, or NULLs: -EINVAL, *out untouched */
	memset(&o, 0xa5, sizeof(o));
	ck_assert_int_eq(nestio_hw_info_decode_tegra241_cmdqv(longer, 7, &o), -EINVAL);
	ck_assert_int_eq(nestio_hw_info_decode_tegra241_cmdqv(NULL, 8, &o), -EINVAL);
	ck_assert_int_eq(nestio_hw_info_decode_tegra241_cmdqv(longer, 8, NULL), -EINVAL);
	ck_assert_uint_eq(o.version, 0xa5);
	/* the vendor-neutral decoding still knows the type, and that its
	 * block describes no page tables */
	{
		struct nestio_hw_caps c;

		ck_assert_int_eq(decode(KABI_HW_INFO_TYPE_TEGRA241_CMDQV,
					cmdqv_infos[0].bytes, 8, 0, 0, &c), 0);
		ck_assert_uint_eq(c.type, NESTIO_IOMMU_TEGRA241_CMDQV);
		ck_assert_uint_eq(c.caps & NESTIO_CAP_NESTING, 0);
	}
}
END_TEST


int main(void)
{
	Suite *s = suite_create("caps");
	TCase *tc;

	tc = fk_tcase(s, "caps", NULL, NULL);
	tcase_add_test(tc, test_caps_vtd);
	tcase_add_test(tc, test_caps_smmuv3);
	tcase_add_test(tc, test_caps_amd_and_kernel);
	tcase_add_test(tc, test_caps_sized);
	tcase_add_test(tc, test_caps_none);
	tcase_add_test(tc, test_caps_names);
	tcase_add_test(tc, test_cap_name);
	tcase_add_test(tc, test_stage1_format_name);
	tcase_add_loop_test(tc, test_caps_parts, 0, (int)ARRAY_SIZE(parts));
	tcase_add_test(tc, test_caps_vtd_pasid);
	tcase_add_test(tc, test_tegra241_cmdqv_info);
	return tu_run(s);
}
