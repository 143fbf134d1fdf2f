// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 4: real nested translation on QEMU's emulated Arm SMMUv3 (arm64 test
 * VM), with an `edu` DMA engine bound to vfio-pci. Everything on the IOMMU
 * side goes through libnestio; tests/lib/smmuv3-guest.c plays the guest kernel
 * (CD and stage-1 tables in IOAS memory, vSTEs, CMDQ commands) and
 * tests/lib/edu.c drives the DMA. A DMA "lands" in a page when the page holds
 * exactly what the edu's buffer held, every other candidate page still
 * being zero.
 *
 * This program: capabilities and compatibility, the nesting objects, DMA
 * through stage 1, invalidation, vEVENTs and every unref order. Guest STEs
 * (bypass, abort, shared hwpts, pass-through bindings) are test-smmuv3-ste;
 * the stack both build is tests/lib/smmuv3-stack.c.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hwregs.h"
#include "mockdev.h"
#include "smmuv3-stack.h"

/* -------------------------------------------------------------- case 0 */

START_TEST(test_iort_has_canwbs)
{
	unsigned int rc, bad;
	uint8_t sum;
	int r = s3g_iort_scan(&rc, &bad, &sum);

	ck_assert_msg(r == 0, "cannot read %s: %s", S3G_IORT_PATH, strerror(-r));
	ck_assert_msg(rc >= 1, "the IORT has no root-complex node");
	ck_assert_msg(bad == 0, "the IORT override was not applied: %u of %u "
		      "root-complex nodes lack CANWBS (memory_flags 0x4), so "
		      "VIOMMU_ALLOC refuses (QEMU has no S2FWB either)", bad, rc);
	ck_assert_msg(sum == 0, "the overridden IORT's checksum is wrong");
}
END_TEST

/* -------------------------------------------------------------- case 1 */

#define FIELD(v, hi, lo) (((v) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))

START_TEST(test_caps_agree_with_idr)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_compat want = { .sz = sizeof(want),
				      .stage1_format = NESTIO_STAGE1_ARM_SMMUV3,
				      .stage1_ia_bits = 48,
				      .caps = NESTIO_CAP_NESTING };
	static const uint8_t oas_bits[] = { 32, 36, 40, 42, 44, 48, 52 };
	uint32_t idr0 = st.info.idr[0], idr1 = st.info.idr[1], idr5 = st.info.idr[5];
	char reason[256] = "x";

	ck_assert_int_eq(nestio_device_get_hw_caps(st.dev, &caps), 0);
	ck_assert_uint_eq(caps.type, NESTIO_IOMMU_ARM_SMMUV3);
	ck_assert_uint_eq(caps.raw_type, KABI_HW_INFO_TYPE_ARM_SMMUV3);
	ck_assert_str_eq(nestio_iommu_type_name(caps.type), "arm-smmuv3");
	/* QEMU's SMMU: both stages, no substreams, 44-bit output */
	ck_assert(caps.caps & NESTIO_CAP_NESTING);
	ck_assert(caps.stage1_formats & NESTIO_STAGE1_ARM_SMMUV3);
	ck_assert_uint_eq(caps.max_pasid_log2, 0);
	ck_assert_uint_eq(caps.oa_bits, 44);
	/* ... which is what the registers say: IDR0.S1P (1) and S2P (0) */
	ck_assert_uint_eq(FIELD(idr0, 1, 1), 1);
	ck_assert_uint_eq(FIELD(idr0, 0, 0), 1);
	/* IDR1.SSIDSIZE: no substream bits, so no PASID */
	ck_assert_uint_eq(FIELD(idr1, 10, 6), caps.max_pasid_log2);
	/* IDR5.OAS 0b100 is 44 bits */
	ck_assert_uint_eq(FIELD(idr5, 2, 0), 4);
	ck_assert_uint_eq(oas_bits[FIELD(idr5, 2, 0)], caps.oa_bits);
	/* IDR5.VAX 0: 48-bit stage-1 input; IDR5.GRAN4K: 4 KiB pages */
	ck_assert_uint_eq(caps.stage1_ia_bits, FIELD(idr5, 11, 10) == 1 ? 52 : 48);
	ck_assert_uint_eq(FIELD(idr5, 4, 4), 1);
	ck_assert(caps.pgsize_bitmap & PAGE);
	/* IDR0.ATS (10) and PRI (16) as decoded */
	ck_assert_uint_eq(!!(caps.caps & NESTIO_CAP_ATS), FIELD(idr0, 10, 10));
	ck_assert_uint_eq(!!(caps.caps & NESTIO_CAP_PRI), FIELD(idr0, 16, 16));
	/* so the host can back a vSMMU of 48-bit stage 1 */
	ck_assert_int_eq(nestio_device_check_compat(st.dev, &want, reason,
						    sizeof(reason)), 1);
	ck_assert_str_eq(reason, "");
}
END_TEST

/* The fields QEMU's accelerated vSMMU checks, as QEMU 10's arm-smmuv3
 * advertises them (tests/vm/run: -M virt,iommu=smmuv3), and intersections
 * of this host with itself and with the tier-1 parts of tests/lib/hwregs.h */
static void collect(void *userdata, size_t host, const char *field,
		    const char *reason)
{
	char *log = userdata;
	size_t len = strlen(log);

	snprintf(log + len, 1024 - len, "%zu %s: %s\n", host, field, reason);
}

START_TEST(test_intersect_parts)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) }, part = { .sz = sizeof(part) };
	const struct nestio_hw_caps *hosts[] = { &caps, &part };
	struct nestio_compat out = { .sz = sizeof(out) };
	struct kabi_hw_info_arm_smmuv3 small = {
		.idr = { SMALL_SMMU_IDR0, SMALL_SMMU_IDR1, 0, SMALL_SMMU_IDR3, 0,
			 SMALL_SMMU_IDR5 } };
	uint32_t idr0 = st.info.idr[0], idr1 = st.info.idr[1], idr3 = st.info.idr[3];
	char log[1024] = "";

	ck_assert_int_eq(nestio_device_get_hw_caps(st.dev, &caps), 0);
	/* decoded as the registers say ... */
	ck_assert_uint_eq(caps.sid_bits, FIELD(idr1, 5, 0));
	ck_assert_uint_eq(caps.ssid_bits, FIELD(idr1, 10, 6));
	ck_assert_uint_eq(!!(caps.caps & NESTIO_CAP_RANGE_INV), FIELD(idr3, 10, 10));
	ck_assert_uint_eq(!!(caps.caps & NESTIO_CAP_STE_2LVL), FIELD(idr0, 28, 27) == 1);
	ck_assert_uint_eq(!!(caps.caps & NESTIO_CAP_TTF_AARCH64), FIELD(idr0, 3, 3));
	/* ... and as QEMU 10's model sets them: SIDSIZE 16, no SSIDSIZE, RIL,
	 * 2-level stream table, little-endian AArch64 tables, 4K/16K/64K */
	ck_assert_uint_eq(caps.sid_bits, SMMU_IDR1_SIDSIZE);
	ck_assert_uint_eq(caps.ssid_bits, 0);
	ck_assert_uint_eq(caps.caps & ~(uint64_t)NESTIO_CAP_ATS,
			  NESTIO_CAP_NESTING | NESTIO_CAP_FIRST_STAGE |
			  NESTIO_CAP_STE_2LVL | NESTIO_CAP_TT_LE |
			  NESTIO_CAP_TTF_AARCH64 | NESTIO_CAP_RANGE_INV);
	ck_assert_uint_eq(caps.pgsize_bitmap, (1u << 12) | (1u << 21) | (1u << 30) |
			  (1u << 14) | (1u << 25) | (1u << 16) | (1u << 29));
	/* with itself: nothing dropped, and the device accepts the result */
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 1, NULL, &out, collect, log), 0);
	hosts[1] = &caps;
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 2, NULL, &out, collect, log), 0);
	ck_assert_str_eq(log, "");
	ck_assert_uint_eq(out.caps, caps.caps);
	ck_assert_uint_eq(out.stage2_ia_bits, 44);
	ck_assert_uint_eq(out.sid_bits, 16);
	ck_assert_int_eq(nestio_device_check_compat(st.dev, &out, log, sizeof(log)), 1);
	/* with the small constructed SMMU: four narrowings, each with its field */
	ck_assert_int_eq(nestio_hw_caps_decode(KABI_HW_INFO_TYPE_ARM_SMMUV3, &small,
					       sizeof(small), 0, 0, &part), 0);
	hosts[1] = &part;
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 2, NULL, &out, collect, log), 4);
	ck_assert_str_eq(log,
		"1 stage2_ia_bits: lowered from 44 to 40 bits of stage-2 input: "
		"host 1 (arm-smmuv3) has 40\n"
		"1 pgsize_bitmap: dropped 16K 64K 32M 512M: host 1 (arm-smmuv3) "
		"lacks them (SMMU_IDR5.GRAN* is clear)\n"
		"1 2-level-stream-table: dropped: host 1 (arm-smmuv3) lacks it "
		"(SMMU_IDR0.ST_LEVEL is clear)\n"
		"1 range-invalidation: dropped: host 1 (arm-smmuv3) lacks it "
		"(SMMU_IDR3.RIL is clear)\n");
	/* the narrower vSMMU still runs on this host */
	ck_assert_int_eq(nestio_device_check_compat(st.dev, &out, log, sizeof(log)), 1);
	ck_assert_str_eq(log, "");
}
END_TEST

/* hw info asked for by type: an SMMUv3 answers its own type with the same
 * registers as the default, and has no CMDQV block (a Tegra241 host would
 * give both: its SMMUv3 registers by default, its CMDQV block when asked) */
START_TEST(test_hw_info_of_type)
{
	struct kabi_hw_info_arm_smmuv3 info;
	struct nestio_tegra241_cmdqv_info ci = { .version = 0x5a };
	uint8_t blk[64];
	size_t len = sizeof(info);
	uint32_t type = 0;

	memset(&info, 0xee, sizeof(info));
	ck_assert_int_eq(nestio_device_get_hw_info_of_type(st.dev, NESTIO_HW_INFO_ARM_SMMUV3,
							   &type, &info, &len, NULL, NULL), 0);
	ck_assert_uint_eq(type, KABI_HW_INFO_TYPE_ARM_SMMUV3);
	ck_assert_uint_eq(len, sizeof(info));
	ck_assert_mem_eq(&info, &st.info, sizeof(info));
	len = sizeof(blk);
	type = 77;
	ck_assert_int_eq(nestio_device_get_hw_info_of_type(st.dev, NESTIO_HW_INFO_TEGRA241_CMDQV,
							   &type, blk, &len, NULL, NULL),
			 -EOPNOTSUPP);
	ck_assert_uint_eq(type, 77);
	ck_assert_int_eq(nestio_device_get_tegra241_cmdqv_info(st.dev, &ci), -EOPNOTSUPP);
	ck_assert_uint_eq(ci.version, 0x5a);
	len = sizeof(blk);
	ck_assert_int_eq(nestio_device_get_hw_info_of_type(st.dev, NESTIO_HW_INFO_INTEL_VTD,
							   &type, blk, &len, NULL, NULL),
			 -EOPNOTSUPP);
}
END_TEST

/* -------------------------------------------------------------- case 2 */

START_TEST(test_nest_objects)
{
	struct nestio_stage1 s1 = s3g_ste_s1(st.cd), bad = s1;
	struct nestio_vdevice *vd, *vds = (struct nestio_vdevice *)&s1;
	struct nestio_hwpt *h, *hs = (struct nestio_hwpt *)&s1;
	struct nestio_iova_range *r = NULL;
	uint64_t align = 0;
	size_t nr = 0;
	bool guest = false, msi = false;

	/* the vSTE a guest writes for one CD at GUEST_IPA */
	ck_assert_uint_eq(s1.u.smmuv3.ste[0], 0x2000000bull);
	ck_assert_uint_eq(s1.u.smmuv3.ste[1], 0xd4);
	ck_assert_uint_ne(phys_sid(), VSID);
	nest_up(&st);
	ck_assert_uint_eq(nestio_hwpt_get_flags(st.parent), NESTIO_HWPT_NEST_PARENT);
	ck_assert_ptr_eq(nestio_viommu_get_parent(st.viommu), st.parent);
	ck_assert_uint_eq(nestio_viommu_get_type(st.viommu), NESTIO_VIOMMU_ARM_SMMUV3);
	ck_assert_uint_ne(nestio_viommu_get_id(st.viommu), 0);
	ck_assert_uint_eq(nestio_vdevice_get_virt_id(st.vdev), VSID);
	ck_assert_ptr_eq(nestio_vdevice_get_device(st.vdev), st.dev);
	ck_assert_ptr_eq(nestio_vdevice_get_viommu(st.vdev), st.viommu);
	ck_assert_int_eq(nestio_hwpt_is_nested(st.nested), 1);
	ck_assert_ptr_eq(nestio_hwpt_get_viommu(st.nested), st.viommu);
	ck_assert_ptr_eq(nestio_hwpt_get_ioas(st.nested), st.ioas);

	/* one vDEVICE per device */
	vd = vds;
	ck_assert_int_eq(nestio_vdevice_new(st.viommu, st.dev, VSID + 1, &vd), -EEXIST);
	ck_assert_ptr_eq(vd, vds);
	/* a vSTE field the kernel does not let the guest own: EIO */
	bad.u.smmuv3.ste[1] |= 1ull << 63;
	h = hs;
	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(st.dev, st.viommu, &bad, NULL, &h),
			 -EIO);
	ck_assert_ptr_eq(h, hs);
	/* attached once (a move is a replace); attached, the device takes
	 * the ITS doorbell window out of the IOAS */
	ck_assert_int_eq(nestio_device_attach_hwpt(st.dev, NESTIO_NO_PASID, st.nested),
			 -EBUSY);
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(st.ioas, &r, &nr, &align), 0);
	ck_assert_uint_eq(align, PAGE);
	for (size_t i = 0; i < nr; i++) {
		guest |= r[i].start <= GUEST_IPA &&
			 r[i].last >= GUEST_IPA + GUEST_PAGES * PAGE - 1;
		msi |= r[i].start <= MSI_IPA && r[i].last >= MSI_IPA;
		ck_assert_uint_le(r[i].last, 0xfffffffffffull);
	}
	nestio_iova_ranges_free(r);
	ck_assert(guest);
	ck_assert(!msi);
}
END_TEST

/* -------------------------------------------------------------- case 3 */

START_TEST(test_dma_at_stage1_va)
{
	const uint8_t *d = s3g_host(&st.g, st.p_dst);
	uint64_t ipa = 0;

	/* the guest's tables say what the SMMU will find */
	ck_assert_int_eq(s3g_s1_lookup(&st.g, st.l0, VA_DST, &ipa), 0);
	ck_assert_uint_eq(ipa, st.p_dst);
	ck_assert_int_eq(s3g_s1_lookup(&st.g, st.l0, VA_HOLE, &ipa), -ENOENT);
	nest_up(&st);

	/* RAM -> edu from one VA, edu -> RAM at another */
	edu_load(VA_SRC, 1);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 1), 1);
	ck_assert_int_eq(page_state(st.p_src, 1), 1);
	edu_load(VA_SRC, 2);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 2), 1);

	/* 64 bytes at an offset land there and nowhere else in the page */
	page_zero(st.p_dst);
	edu_store(VA_DST + 0x100, 64);
	for (unsigned int i = 0; i < PAGE; i++)
		ck_assert_uint_eq(d[i], i >= 0x100 && i < 0x140 ? s3g_pattern(i - 0x100, 2) : 0);

	/* the IPA is no VA: stage 1 faults, the page stays as it was */
	page_zero(st.p_dst);
	edu_store(st.p_dst, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 2), 0);
}
END_TEST

/* -------------------------------------------------------------- case 4 */

static uint64_t pg[3];		/* pages A, B, C */

/* Zeroes A, B and C, stores the edu buffer (pattern seed) at va, and names
 * the page it landed in: 'A'..'C', '-' for none, '?' for a mess. */
static char land(uint64_t va, uint8_t seed)
{
	char at = '-';

	for (int i = 0; i < 3; i++)
		page_zero(pg[i]);
	edu_store(va, PAGE);
	for (int i = 0; i < 3; i++) {
		int s = page_state(pg[i], seed);

		if (s < 0 || (s == 1 && at != '-'))
			return '?';
		if (s == 1)
			at = (char)('A' + i);
	}
	return at;
}

static void pages_abc(void)
{
	for (int i = 0; i < 3; i++) {
		pg[i] = s3g_page_alloc(&st.g);
		ck_assert_uint_ne(pg[i], 0);
	}
}

START_TEST(test_invalidation_needed)
{
	struct nestio_invq_stats stats = { .sz = sizeof(stats) };
	struct nestio_invq *q = NULL;
	uint64_t l0b;
	char at;

	pages_abc();
	ck_assert_int_eq(s3g_s1_map(&st.g, st.l0, VA_X, pg[0]), 0);
	nest_up(&st);
	ck_assert_int_eq(nestio_invq_new_viommu(st.viommu, NESTIO_INV_ARM_SMMUV3, NULL, &q), 0);
	edu_load(VA_SRC, 5);
	printf("pages A, B, C at IPA %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
	       "; vSID %#x, pSID %#x\n", pg[0], pg[1], pg[2], VSID, phys_sid());

	/* a leaf change needs TLBI_NH_VA */
	ck_assert_int_eq(land(VA_X, 5), 'A');
	ck_assert_int_eq(s3g_s1_map(&st.g, st.l0, VA_X, pg[1]), 0);
	at = land(VA_X, 5);
	ck_assert_msg(at == 'A', "PTE changed, no invalidation: landed in %c, not in "
		      "the cached page A", at);
	push(q, s3g_cmd_tlbi_nh_va(ASID, VA_X));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 1);
	ck_assert_int_eq(land(VA_X, 5), 'B');
	printf("DMA to VA %#" PRIx64 " landed in page A before invalidation, "
	       "page B after TLBI_NH_VA (ASID %u)\n", VA_X, ASID);

	/* a CD rewrite with a new TTB0 needs CFGI_CD (vSID) + TLBI_NH_ASID */
	l0b = s3g_s1_new(&st.g);
	ck_assert_uint_ne(l0b, 0);
	ck_assert_int_eq(s3g_s1_map(&st.g, l0b, VA_SRC, st.p_src), 0);
	ck_assert_int_eq(s3g_s1_map(&st.g, l0b, VA_X, pg[2]), 0);
	ck_assert_int_eq(s3g_cd_write(&st.g, st.cd, ASID, l0b), 0);
	at = land(VA_X, 5);
	ck_assert_msg(at == 'B', "CD rewritten, no invalidation: landed in %c, not B", at);
	push(q, s3g_cmd_cfgi_cd(VSID, 0));
	push(q, s3g_cmd_tlbi_nh_asid(ASID));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 2);
	ck_assert_int_eq(land(VA_X, 5), 'C');
	printf("CD TTB0 %#" PRIx64 " -> %#" PRIx64 ": DMA to VA %#" PRIx64
	       " landed in page B before invalidation, page C after CFGI_CD "
	       "(vSID %#x) + TLBI_NH_ASID\n", st.l0, l0b, VA_X, VSID);

	/* a new ASID over the first tables: the same two commands */
	ck_assert_int_eq(s3g_cd_write(&st.g, st.cd, ASID2, st.l0), 0);
	at = land(VA_X, 5);
	ck_assert_msg(at == 'C', "CD rewritten, no invalidation: landed in %c, not C", at);
	push(q, s3g_cmd_cfgi_cd(VSID, 0));
	push(q, s3g_cmd_tlbi_nh_asid(ASID));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 2);
	ck_assert_int_eq(land(VA_X, 5), 'B');
	printf("CD ASID %u -> %u: DMA to VA %#" PRIx64 " landed in page C before "
	       "invalidation, page B after CFGI_CD + TLBI_NH_ASID\n", ASID, ASID2, VA_X);

	/* a cleared leaf: cached until TLBI_NH_VA, then a fault */
	ck_assert_int_eq(s3g_s1_unmap(&st.g, st.l0, VA_X), 0);
	ck_assert_int_eq(land(VA_X, 5), 'B');
	push(q, s3g_cmd_tlbi_nh_va(ASID2, VA_X));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 1);
	ck_assert_int_eq(land(VA_X, 5), '-');
	printf("leaf cleared: DMA to VA %#" PRIx64 " landed in page B before "
	       "invalidation, nowhere after TLBI_NH_VA (ASID %u)\n", VA_X, ASID2);

	EXPECT_INVQ_STATS(q,
			  .pushed = WANT(6), .sent = WANT(6), .ioctls = WANT(4),
			  .failures = WANT(0));
	nestio_invq_unref(q);
}
END_TEST

/* -------------------------------------------------------------- case 5 */

START_TEST(test_partial_batch)
{
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_inv_smmuv3 e;
	struct s3g_cmd bad = s3g_cmd_cfgi_cd(phys_sid(), 0);
	struct nestio_invq *q = NULL;
	char at;
	int r;

	pages_abc();
	ck_assert_int_eq(s3g_s1_map(&st.g, st.l0, VA_X, pg[0]), 0);
	nest_up(&st);
	ck_assert_int_eq(nestio_invq_new_viommu(st.viommu, NESTIO_INV_ARM_SMMUV3, NULL, &q), 0);
	edu_load(VA_SRC, 6);
	ck_assert_int_eq(land(VA_X, 6), 'A');	/* now cached */
	ck_assert_int_eq(s3g_s1_map(&st.g, st.l0, VA_X, pg[1]), 0);

	/* the physical SID is no vSID of this vIOMMU: CFGI_CD fails */
	ck_assert_uint_ne(phys_sid(), VSID);
	push(q, s3g_cmd_tlbi_nh_va(ASID, VA_X));
	push(q, bad);
	push(q, s3g_cmd_tlbi_nh_asid(ASID));
	ck_assert_int_eq(nestio_invq_pending(q), 3);
	r = nestio_invq_flush(q, &fail);
	ck_assert_int_eq(r, -EIO);
	ck_assert_int_eq(fail.error, r);
	ck_assert_uint_eq(fail.index, 1);
	ck_assert_uint_eq(fail.entry_len, sizeof(e));
	memcpy(&e, fail.entry, sizeof(e));
	ck_assert_uint_eq(e.cmd[0], bad.w[0]);
	ck_assert_uint_eq(e.cmd[1], bad.w[1]);
	/* the failed entry and the one after it stay, in order */
	ck_assert_int_eq(nestio_invq_pending(q), 2);

	/* did the entry before the failed one take effect? */
	at = land(VA_X, 6);
	printf("batch [TLBI_NH_VA, CFGI_CD(unknown vSID %#x), TLBI_NH_ASID] failed at "
	       "index %u (%s); DMA to VA %#" PRIx64 " then landed in page %c (%s)\n",
	       phys_sid(), fail.index, strerror(-fail.error), VA_X, at,
	       at == 'B' ? "new: the TLBI_NH_VA was issued" :
	       "old: the TLBI_NH_VA reported done was never issued");

	/* drop the bad one; the rest goes */
	ck_assert_int_eq(nestio_invq_discard(q, 1), 1);
	ck_assert_int_eq(nestio_invq_pending(q), 1);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), 1);
	ck_assert_int_eq(nestio_invq_pending(q), 0);
	ck_assert_int_eq(land(VA_X, 6), 'B');
	ck_assert_msg(at == 'B', "the TLBI_NH_VA before the failed CFGI_CD was "
		      "counted as done (index 1) but never issued: DMA landed in "
		      "page %c, not the new page B", at);
	nestio_invq_unref(q);
}
END_TEST

/* -------------------------------------------------------------- case 6 */

static void wait_event(struct nestio_veventq *q)
{
	struct pollfd p = { .fd = nestio_veventq_get_fd(q), .events = POLLIN };

	ck_assert_msg(poll(&p, 1, 5000) == 1, "no vEVENT within 5 s");
	/* let the host's event thread finish the burst */
	nanosleep(&(struct timespec){ .tv_nsec = 500 * 1000 * 1000 }, NULL);
}

static void assert_fault(const struct nestio_vevent *ev, uint64_t va, bool read)
{
	struct nestio_smmuv3_event e;

	ck_assert_int_eq(nestio_vevent_decode_smmuv3(ev, &e), 0);
	ck_assert_uint_eq(e.id, NESTIO_SMMUV3_EVT_TRANSLATION);
	ck_assert_uint_eq(e.sid, VSID);
	ck_assert_uint_eq(e.addr, va);
	ck_assert(!(e.flags & (NESTIO_SMMUV3_EVF_S2 | NESTIO_SMMUV3_EVF_SSV)));
	ck_assert_uint_eq(!!(e.flags & NESTIO_SMMUV3_EVF_READ), read);
}

START_TEST(test_fault_events)
{
	uint64_t lost;
	uint32_t lost_in_events = 0;
	unsigned int n;

	nest_up(&st);
	ck_assert_int_eq(nestio_veventq_new(st.viommu, NESTIO_VEVENTQ_ARM_SMMUV3,
					    EVQ_DEPTH, &st.evq), 0);
	ck_assert(tu_fd_is_cloexec(nestio_veventq_get_fd(st.evq)));
	ck_assert_int_eq(nestio_veventq_read(st.evq, evs, 1), 0);

	/* 4 bytes written to an unmapped VA: one record, with the vSID */
	edu_store(VA_HOLE, 4);
	wait_event(st.evq);
	n = drain(st.evq, 16, 200);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(evs[0].sequence, 0);
	ck_assert_uint_eq(evs[0].lost, 0);
	ck_assert_uint_eq(evs[0].len, 32);
	assert_fault(&evs[0], VA_HOLE, false);
	/* and 4 bytes read from it */
	ck_assert_int_eq(edu_dma_to_device(&st.edu, VA_HOLE + 8, 4), 0);
	wait_event(st.evq);
	ck_assert_uint_eq(drain(st.evq, 16, 200), 1);
	ck_assert_uint_eq(evs[0].sequence, 1);
	assert_fault(&evs[0], VA_HOLE + 8, true);
	ck_assert_uint_eq(nestio_veventq_get_lost(st.evq), 0);

	/* 4 KiB: BURST faults into a queue of EVQ_DEPTH */
	edu_store(VA_HOLE, PAGE);
	wait_event(st.evq);
	n = drain(st.evq, BURST + 64, 300);
	lost = nestio_veventq_get_lost(st.evq);
	printf("4 KiB faulting DMA into a depth-%u vEVENTQ: %u records read, "
	       "%" PRIu64 " lost\n", EVQ_DEPTH, n, lost);
	ck_assert_uint_eq(n + lost, BURST);
	/* a real overflow: the queue filled before anything was read (if the
	 * kernel was still forwarding when the drain began, slots it freed
	 * took more records, after a gap the sequences show) */
	ck_assert_uint_ge(n, EVQ_DEPTH);
	ck_assert_uint_lt(n, BURST);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t seq = evs[i].sequence;

		if (i < EVQ_DEPTH)
			ck_assert_uint_eq(seq, 2 + i);
		else
			ck_assert_uint_gt(seq, evs[i - 1].sequence);
		ck_assert_uint_lt(seq, 2 + BURST);
		assert_fault(&evs[i], VA_HOLE + 4 * (uint64_t)(seq - 2), false);
		lost_in_events += evs[i].lost;
	}
	/* one more: it carries what the lost-events header counted */
	edu_store(VA_HOLE2, 4);
	wait_event(st.evq);
	ck_assert_uint_eq(drain(st.evq, 16, 200), 1);
	assert_fault(&evs[0], VA_HOLE2, false);
	ck_assert_uint_eq(evs[0].sequence, 2 + BURST);
	ck_assert_uint_eq(lost_in_events + evs[0].lost, lost);
	ck_assert_uint_eq(nestio_veventq_get_lost(st.evq), lost);
	ck_assert_uint_eq(drain(st.evq, 16, 200), 0);
}
END_TEST

/* -------------------------------------------------------------- case 8 */

enum { O_CTX, O_DEV, O_IOAS, O_PARENT, O_VIOMMU, O_VDEV, O_NESTED, O_BYPASS,
       O_INVQ, O_EVQ, O_N };
static const char *const obj_name[O_N] = {
	"ctx", "device", "ioas", "nest-parent", "viommu", "vdevice", "nested",
	"bypass", "invq", "veventq",
};

static void obj_unref(struct stack *s, int o)
{
	switch (o) {
	case O_CTX: s->ctx = nestio_ctx_unref(s->ctx); break;
	case O_DEV: s->dev = nestio_device_unref(s->dev); break;
	case O_IOAS: s->ioas = nestio_ioas_unref(s->ioas); break;
	case O_PARENT: s->parent = nestio_hwpt_unref(s->parent); break;
	case O_VIOMMU: s->viommu = nestio_viommu_unref(s->viommu); break;
	case O_VDEV: s->vdev = nestio_vdevice_unref(s->vdev); break;
	case O_NESTED: s->nested = nestio_hwpt_unref(s->nested); break;
	case O_BYPASS: s->bypass = nestio_hwpt_unref(s->bypass); break;
	case O_INVQ: s->invq = nestio_invq_unref(s->invq); break;
	case O_EVQ: s->evq = nestio_veventq_unref(s->evq); break;
	}
}

/* Builds every object, proves it works, drops them in order, and checks
 * that the kernel holds nothing and the device nests again. */
static void unref_round(const int order[O_N], const char *how)
{
	struct nestio_stage1 bp = s3g_ste_bypass();
	struct nestio_hwpt_paging_opts np = { .sz = sizeof(np),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_hwpt *p2 = NULL;
	struct nestio_viommu *v2 = NULL;
	struct nestio_vdevice *vd2 = NULL;
	struct nestio_device *d2 = NULL;
	struct nestio_ioas *a2 = NULL;
	struct nestio_ctx *keep;
	uint32_t ids[O_N] = { 0 }, a2_id;
	int fds0 = tu_count_open_fds(), fd;

	stack_base(&st);
	nest_up(&st);
	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(st.dev, st.viommu, &bp, NULL,
						       &st.bypass), 0);
	ck_assert_int_eq(nestio_invq_new_viommu(st.viommu, NESTIO_INV_ARM_SMMUV3, NULL,
						&st.invq), 0);
	ck_assert_int_eq(nestio_veventq_new(st.viommu, NESTIO_VEVENTQ_ARM_SMMUV3, 8,
					    &st.evq), 0);
	edu_load(VA_SRC, 12);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 12), 1);
	push(st.invq, s3g_cmd_tlbi_nh_asid(ASID));
	ck_assert_int_eq(nestio_invq_flush(st.invq, NULL), 1);
	ck_assert_int_eq(nestio_veventq_read(st.evq, evs, 1), 0);

	ids[O_DEV] = nestio_device_get_id(st.dev);
	ids[O_IOAS] = nestio_ioas_get_id(st.ioas);
	ids[O_PARENT] = nestio_hwpt_get_id(st.parent);
	ids[O_VIOMMU] = nestio_viommu_get_id(st.viommu);
	ids[O_VDEV] = nestio_vdevice_get_id(st.vdev);
	ids[O_NESTED] = nestio_hwpt_get_id(st.nested);
	ids[O_BYPASS] = nestio_hwpt_get_id(st.bypass);
	ids[O_EVQ] = nestio_veventq_get_id(st.evq);
	keep = nestio_ctx_ref(st.ctx);	/* the iommufd outlives the objects */
	fd = nestio_ctx_get_fd(keep);

	printf("unref %s:", how);
	for (int i = 0; i < O_N; i++) {
		printf(" %s", obj_name[order[i]]);
		obj_unref(&st, order[i]);
	}
	printf("\n");
	for (int o = 0; o < O_N; o++)
		ck_assert_msg(!ids[o] || !tu_kernel_has(fd, ids[o]),
			      "%s %u is left in the kernel", obj_name[o], ids[o]);
	ck_assert_int_eq(tu_count_open_fds(), fds0 + 1);	/* the iommufd */

	/* the same device nests again from scratch: no vDEVICE left (EEXIST) */
	ck_assert_int_eq(nestio_device_open(keep, edu_bdf(), &d2), 0);
	ck_assert_int_eq(nestio_ioas_new(keep, &a2), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(d2, a2, &np, &p2), 0);
	ck_assert_int_eq(nestio_viommu_new(d2, p2, NESTIO_VIOMMU_ARM_SMMUV3, NULL, &v2), 0);
	ck_assert_int_eq(nestio_vdevice_new(v2, d2, VSID, &vd2), 0);
	a2_id = nestio_ioas_get_id(a2);
	nestio_vdevice_unref(vd2);
	nestio_viommu_unref(v2);
	nestio_hwpt_unref(p2);
	nestio_device_unref(d2);
	nestio_ioas_unref(a2);		/* nothing holds it: destroyed */
	ck_assert(!tu_kernel_has(fd, a2_id));
	nestio_ctx_unref(keep);
	ck_assert_int_eq(tu_count_open_fds(), fds0);
	s3g_fini(&st.g);
}

START_TEST(test_unref_orders)
{
	const char *env = getenv("NESTIO_SEED");
	struct timespec now;
	unsigned int seed, state;

	/* the guest has no RTC: its wall clock is the same on every boot */
	clock_gettime(CLOCK_MONOTONIC, &now);
	seed = env ? (unsigned int)strtoul(env, NULL, 0) :
		     (unsigned int)now.tv_nsec ^ (unsigned int)getpid();
	state = seed;
	int order[O_N];
	char how[64];

	for (int i = 0; i < O_N; i++)
		order[i] = O_N - 1 - i;
	unref_round(order, "in reverse");
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < O_N; i++)
			order[i] = i;
		for (int i = O_N - 1; i > 0; i--) {
			int j = rand_r(&state) % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		snprintf(how, sizeof(how), "at random (NESTIO_SEED=%u, round %d)",
			 seed, round);
		unref_round(order, how);
	}
}
END_TEST

/* ---------------------------------------------------------------- main */

int main(void)
{
	Suite *s = stack_suite("smmuv3-nested");

	add(s, "iort", test_iort_has_canwbs, false);
	add(s, "caps", test_caps_agree_with_idr, true);
	add(s, "intersect", test_intersect_parts, true);
	add(s, "hw-info-type", test_hw_info_of_type, true);
	add(s, "nest", test_nest_objects, true);
	add(s, "dma", test_dma_at_stage1_va, true);
	add(s, "invalidate", test_invalidation_needed, true);
	add(s, "partial", test_partial_batch, true);
	add(s, "events", test_fault_events, true);
	add(s, "unref", test_unref_orders, false);
	return tu_run(s);
}
