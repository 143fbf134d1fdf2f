// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 4: guest STEs on QEMU's emulated Arm SMMUv3 (arm64 test VM), with an
 * `edu` DMA engine bound to vfio-pci, on the stack tests/lib/smmuv3-stack.c
 * builds (nest parent, vIOMMU, vDEVICE, a nested hwpt translating through
 * the guest's stage 1): replace to bypass and abort STEs and back; STEs as
 * a Linux guest writes them through nestio_viommu_hwpt_for_ste(), one
 * shared abort and one shared bypass hwpt per vIOMMU; a pass-through
 * PASID-table binding of the RID. Capabilities, DMA through stage 1,
 * invalidation, vEVENTs and unref orders are test-smmuv3.
 */
#include <stdio.h>

#include "smmuv3-stack.h"

/* -------------------------------------------------------------- case 7 */

START_TEST(test_replace_bypass_abort)
{
	struct nestio_stage1 bp = s3g_ste_bypass(), ab = s3g_ste_abort();
	struct nestio_hwpt *abort_hwpt = NULL;

	nest_up(&st);
	edu_load(VA_SRC, 8);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 8), 1);
	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(st.dev, st.viommu, &bp, NULL,
						       &st.bypass), 0);
	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(st.dev, st.viommu, &ab, NULL,
						       &abort_hwpt), 0);

	/* bypass: stage 2 only, DMA at IPAs */
	ck_assert_int_eq(nestio_device_replace_hwpt(st.dev, NESTIO_NO_PASID, st.bypass), 0);
	page_zero(st.p_dst);
	edu_load(st.p_src, 9);
	edu_store(st.p_dst, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 9), 1);
	page_zero(st.p_dst);
	edu_store(VA_DST, PAGE);	/* no stage 1: past the IPA space */
	ck_assert_int_eq(page_state(st.p_dst, 9), 0);

	/* abort: nothing gets through either way */
	ck_assert_int_eq(nestio_device_replace_hwpt(st.dev, NESTIO_NO_PASID, abort_hwpt), 0);
	edu_store(st.p_dst, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 9), 0);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 9), 0);
	edu_load(st.p_src, 10);		/* a blocked read */

	/* and back to translating */
	ck_assert_int_eq(nestio_device_replace_hwpt(st.dev, NESTIO_NO_PASID, st.nested), 0);
	edu_store(VA_DST, PAGE);
	/* pattern 10 never reached edu (what an aborted read leaves in its
	 * buffer is QEMU's business); that this store lands is checked next */
	ck_assert_int_ne(page_state(st.p_dst, 10), 1);
	edu_load(VA_SRC, 11);
	page_zero(st.p_dst);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 11), 1);
	page_zero(st.p_dst);
	edu_store(st.p_dst, PAGE);	/* an IPA is no VA again */
	ck_assert_int_eq(page_state(st.p_dst, 11), 0);
	/* the device pins what it is attached to; the others can go */
	abort_hwpt = nestio_hwpt_unref(abort_hwpt);
	st.bypass = nestio_hwpt_unref(st.bypass);
	st.nested = nestio_hwpt_unref(st.nested);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 11), 1);
}
END_TEST

/* -------------------------------------------------------------- case 9 */

/*
 * Guest STEs as a Linux guest writes them, host-owned bits and all, through
 * nestio_viommu_hwpt_for_ste(): the raw entry is refused (EIO), the reduced
 * one is not; abort and bypass are one object per vIOMMU, whoever asks.
 */
#define STE1_HOST	((1ull << 44) | (2ull << 30) | (1ull << 19))	/* SHCFG, STRW EL2, MEV */

START_TEST(test_shared_for_ste)
{
	const uint64_t ab_ste[2] = { 0x1, STE1_HOST }, inval[2] = { 0x2000000a, 0xd4 };
	const uint64_t bp_ste[2] = { 0x9 | st.cd /* stale S1ContextPtr */, STE1_HOST };
	const uint64_t s1_ste[2] = { 0x2000000b | 0x4 /* Config nested */,
				     0xd4 | STE1_HOST };
	struct nestio_stage1 raw = { .type = NESTIO_STAGE1_ARM_SMMUV3,
				     .u.smmuv3.ste = { 0x9, STE1_HOST } };
	struct nestio_hwpt *ab, *ab2, *ab3, *bp, *bp2, *s1, *h = NULL;
	unsigned int nev;

	nest_up(&st);
	ck_assert_int_eq(nestio_veventq_new(st.viommu, NESTIO_VEVENTQ_ARM_SMMUV3,
					    EVQ_DEPTH, &st.evq), 0);
	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(st.dev, st.viommu, &raw, NULL,
						       &h), -EIO);
	ck_assert_ptr_null(h);

	/* abort: an abort STE, an invalid one, GBPA.ABORT: one object */
	ck_assert_int_eq(nestio_viommu_hwpt_for_ste(st.viommu, st.dev, ab_ste, &ab), 0);
	ck_assert_int_eq(nestio_viommu_hwpt_for_ste(st.viommu, st.dev, inval, &ab2), 0);
	ck_assert_int_eq(nestio_viommu_hwpt_for_gbpa(st.viommu, st.dev,
						     NESTIO_SMMUV3_GBPA_ABORT, &ab3), 0);
	ck_assert(ab2 == ab && ab3 == ab);
	ck_assert_uint_eq(nestio_hwpt_get_id(ab3), nestio_hwpt_get_id(ab));
	/* bypass: a Linux bypass STE and GBPA without ABORT: another one */
	ck_assert_int_eq(nestio_viommu_hwpt_for_ste(st.viommu, st.dev, bp_ste, &bp), 0);
	ck_assert_int_eq(nestio_viommu_hwpt_for_gbpa(st.viommu, st.dev, 0, &bp2), 0);
	ck_assert(bp2 == bp && bp != ab);

	/* on abort nothing lands, at an IPA or a VA */
	edu_load(VA_SRC, 12);		/* still translating */
	ck_assert_int_eq(nestio_device_replace_hwpt(st.dev, NESTIO_NO_PASID, ab), 0);
	ck_assert_int_eq(nestio_device_replace_hwpt(st.dev, NESTIO_NO_PASID, ab2), 0);
	page_zero(st.p_dst);
	edu_store(st.p_dst, 4);
	edu_store(VA_DST, 4);
	ck_assert_int_eq(page_state(st.p_dst, 12), 0);
	nev = drain(st.evq, 16, 500);
	printf("NESTIO-REL smmuv3.abort-hwpt.events %u vEVENTs for 2 blocked "
	       "4-byte DMAs\n", nev);

	/* on bypass: stage 2 only */
	ck_assert_int_eq(nestio_device_replace_hwpt(st.dev, NESTIO_NO_PASID, bp), 0);
	edu_store(st.p_dst, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 12), 1);
	page_zero(st.p_dst);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 12), 0);

	/* a stage-1 STE as the guest wrote it translates again */
	ck_assert_int_eq(nestio_viommu_hwpt_for_ste(st.viommu, st.dev, s1_ste, &s1), 0);
	ck_assert(s1 != ab && s1 != bp);
	ck_assert_int_eq(nestio_device_replace_hwpt(st.dev, NESTIO_NO_PASID, s1), 0);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 12), 1);

	/* every reference but the device's goes: the device keeps s1 */
	nestio_hwpt_unref(ab);
	nestio_hwpt_unref(ab2);
	nestio_hwpt_unref(ab3);
	nestio_hwpt_unref(bp);
	nestio_hwpt_unref(bp2);
	nestio_hwpt_unref(s1);
	page_zero(st.p_dst);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 12), 1);
	/* and a new abort hwpt comes when asked for */
	ck_assert_int_eq(nestio_viommu_hwpt_for_gbpa(st.viommu, st.dev,
						     NESTIO_SMMUV3_GBPA_ABORT, &ab), 0);
	ck_assert_int_eq(nestio_device_replace_hwpt(st.dev, NESTIO_NO_PASID, ab), 0);
	page_zero(st.p_dst);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 12), 0);
	nestio_hwpt_unref(ab);
}
END_TEST

/* ------------------------------------------------------------- case 10 */

/* A pass-through binding in a PASID table on the vIOMMU: the RID on the
 * nest parent itself (stage 2 only), kept, replayed and replaced. */
START_TEST(test_table_passthrough)
{
	struct nestio_stage1 pt = { .type = NESTIO_STAGE1_PASSTHROUGH };
	struct nestio_stage1 s1 = s3g_ste_s1(st.cd);
	struct nestio_pasid_table *t = NULL;

	nest_up(&st);
	edu_load(VA_SRC, 13);
	ck_assert_int_eq(nestio_pasid_table_new_viommu(st.viommu, &t), 0);
	ck_assert_int_eq(nestio_pasid_bind(t, st.dev, NESTIO_NO_PASID, &pt, 0), 0);
	ck_assert_ptr_eq(nestio_pasid_lookup(t, st.dev, NESTIO_NO_PASID), st.parent);
	page_zero(st.p_dst);
	edu_store(st.p_dst, PAGE);		/* at the IPA: stage 2 only */
	ck_assert_int_eq(page_state(st.p_dst, 13), 1);
	page_zero(st.p_dst);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 13), 0);
	ck_assert_int_eq(nestio_pasid_replay(t, st.dev), 1);
	edu_store(st.p_dst, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 13), 1);

	/* to the guest's stage 1 and back, by replace */
	ck_assert_int_eq(nestio_pasid_bind(t, st.dev, NESTIO_NO_PASID, &s1, 0), 0);
	page_zero(st.p_dst);
	edu_store(VA_DST, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 13), 1);
	ck_assert_int_eq(nestio_pasid_bind(t, st.dev, NESTIO_NO_PASID, &pt, 0), 0);
	page_zero(st.p_dst);
	edu_store(st.p_dst, PAGE);
	ck_assert_int_eq(page_state(st.p_dst, 13), 1);
	ck_assert_int_eq(nestio_pasid_unbind(t, st.dev, NESTIO_NO_PASID), 0);
	ck_assert_ptr_null(nestio_pasid_lookup(t, st.dev, NESTIO_NO_PASID));
	nestio_pasid_table_unref(t);
}
END_TEST

/* ---------------------------------------------------------------- main */

int main(void)
{
	Suite *s = stack_suite("smmuv3-ste");

	add(s, "replace", test_replace_bypass_abort, true);
	add(s, "shared", test_shared_for_ste, true);
	add(s, "passthrough", test_table_passthrough, true);
	return tu_run(s);
}
