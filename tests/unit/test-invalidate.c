// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: what the kernel really did against what the library
 * takes as done, for the queue's flushes and the direct calls
 * (nestio_hwpt_invalidate, nestio_viommu_invalidate).
 *
 * The SMMUv3 answers come from a fake that behaves like the kernel's
 * arm_vsmmu_cache_invalidate() (drivers/iommu/arm/arm-smmu-v3/
 * arm-smmu-v3-iommufd.c, Linux 7.2): it converts the commands one by one
 * (a CFGI_CD or ATC_INV naming an unknown vSID, or an opcode it does not
 * take, fails with EIO), issues them only in blocks of CMDQ_BATCH_ENTRIES
 * - 1 or at the end, and on a failure writes back a count that includes
 * converted commands it never issued. It records every command it really
 * issued, so a test can ask whether an entry the library took as done was
 * done. Other types get scripted answers (a count and an error).
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakekernel.h"

/* ------------------------------------------------------ the fake SMMUv3 */

#define CMDQ_BATCH_ENTRIES 64		/* BITS_PER_LONG */
#define NCMD 100			/* commands in most tests: two blocks */

static struct nestio_inv_smmuv3 issued[4096];	/* what the "SMMU" ran */
static int nissued;
static uint64_t known_vsids;		/* bit v: vSID v has a vDEVICE */
static int smmu_calls;
/* per call of the fake SMMU: the block whose issue fails (-1: none), and
 * the vSIDs known from that call on (0: unchanged) */
static struct smmu_script {
	int fail_block;
	uint64_t vsids;
} smmu_script[8];
static int smmu_nscript;

static int smmu_convert(const struct nestio_inv_smmuv3 *c)
{
	uint32_t vsid = (uint32_t)(c->cmd[0] >> 32);

	switch (c->cmd[0] & 0xff) {
	case 0x10: case 0x11: case 0x12: case 0x13: case 0x30:
		return 0;
	case 0x05: case 0x06: case 0x40:	/* CFGI_CD, CFGI_CD_ALL, ATC_INV */
		return vsid < 64 && known_vsids >> vsid & 1 ? 0 : -EIO;
	default:
		return -EIO;
	}
}

static int fake_smmu(struct kabi_hwpt_invalidate *c)
{
	const uint64_t *u = (const uint64_t *)(uintptr_t)c->data_uptr;
	uint32_t num = c->entry_num, cur = 0, last = 0;
	int call = smmu_calls++, block = 0, ret = 0;
	struct smmu_script s = { -1, 0 };

	if (call < smmu_nscript)
		s = smmu_script[call];
	if (s.vsids)
		known_vsids = s.vsids;
	if (c->entry_len != sizeof(struct kabi_viommu_arm_smmuv3_invalidate)) {
		c->entry_num = 0;
		errno = EINVAL;
		return -1;
	}
	while (cur != num) {
		struct nestio_inv_smmuv3 cmd = {
			.cmd = { le64toh(u[2 * cur]), le64toh(u[2 * cur + 1]) },
		};

		ret = smmu_convert(&cmd);
		if (ret)
			goto out;
		cur++;
		if (cur != num && cur - last != CMDQ_BATCH_ENTRIES - 1)
			continue;
		if (block++ == s.fail_block) {	/* issuing this block fails */
			cur--;
			ret = -ETIMEDOUT;
			goto out;
		}
		for (uint32_t i = last; i < cur; i++) {
			ck_assert_int_lt(nissued, (int)ARRAY_SIZE(issued));
			issued[nissued++] = (struct nestio_inv_smmuv3){
				.cmd = { le64toh(u[2 * i]), le64toh(u[2 * i + 1]) },
			};
		}
		last = cur;
	}
out:
	c->entry_num = cur;
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/* ---------------------------------------- everything else: a script */

static struct nestio_hwpt *parent, *nested;
static struct nestio_viommu *viommu;
static uint32_t nested_id, viommu_id;

static int other_calls;
static struct kabi_hwpt_invalidate last_cmd;	/* as sent */
static uint8_t last_data[2048];

/* the SMMUv3 driver answers for the vIOMMU's SMMUv3 commands */
static int answer(int fd, unsigned long request, void *arg)
{
	struct kabi_hwpt_invalidate *c = arg;
	size_t bytes;

	if (request != KABI_IOMMU_HWPT_INVALIDATE || fk_fail_left)
		return fake_kernel(fd, request, arg);
	if (c->hwpt_id == viommu_id &&
	    c->data_type == KABI_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3)
		return fake_smmu(c);
	other_calls++;
	last_cmd = *c;
	bytes = (size_t)c->entry_num * c->entry_len;
	ck_assert_uint_le(bytes, sizeof(last_data));
	memcpy(last_data, (void *)(uintptr_t)c->data_uptr, bytes);
	return fk_answer_invalidate(c, &(struct fk_answer){ .all = true }, NULL);
}

/* ------------------------------------------------------------- fixture */

static void setup(void)
{
	setup_objs();
	tu_seam_answer = answer;
	new_nest_objs(&parent, &nested, &viommu);
	nested_id = nestio_hwpt_get_id(nested);
	viommu_id = nestio_viommu_get_id(viommu);
	nissued = smmu_calls = smmu_nscript = 0;
	known_vsids = 1ull << 1 | 1ull << 2;
	other_calls = 0;
	fk_answers(0, NULL);
	memset(&last_cmd, 0, sizeof(last_cmd));
	tu_ncalls = 0;
}

static void teardown(void)
{
	nested = nestio_hwpt_unref(nested);
	viommu = nestio_viommu_unref(viommu);
	parent = nestio_hwpt_unref(parent);
	teardown_objs();
}

#define SMMU(c0, c1) ((struct nestio_inv_smmuv3){ .cmd = { (c0), (c1) } })
/* TLBI_NH_VA, ASID 1, one per i: every command of a batch is different */
#define NH_VA(i) SMMU(0x12 | 1ull << 48, (uint64_t)(i) << 12)
#define CFGI_CD(vsid) SMMU(0x05 | (uint64_t)(vsid) << 32, 0)
#define ATC_INV(vsid, a) SMMU(0x40 | (uint64_t)(vsid) << 32, (uint64_t)(a) << 12)
#define BAD_VSID 9			/* no vDEVICE */

/* n NH_VA commands, with bad (a CFGI_CD for an unknown vSID) at k, if k < n */
static void smmu_batch(struct nestio_inv_smmuv3 *e, uint32_t n, uint32_t k)
{
	for (uint32_t i = 0; i < n; i++)
		e[i] = i == k ? CFGI_CD(BAD_VSID) : NH_VA(i);
}

/* how many times the fake SMMU really issued e */
static int times_issued(const struct nestio_inv_smmuv3 *e)
{
	int t = 0;

	for (int i = 0; i < nissued; i++)
		t += !memcmp(&issued[i], e, sizeof(*e));
	return t;
}

/* every entry of e[from, to) was really issued, at least once */
static void expect_issued(const struct nestio_inv_smmuv3 *e, uint32_t from,
			  uint32_t to)
{
	for (uint32_t i = from; i < to; i++)
		ck_assert_msg(times_issued(&e[i]) > 0,
			      "entry %u was taken as done but never issued", i);
}

static void expect_not_issued(const struct nestio_inv_smmuv3 *e, uint32_t from,
			      uint32_t to)
{
	for (uint32_t i = from; i < to; i++)
		ck_assert_msg(times_issued(&e[i]) == 0, "entry %u was issued", i);
}

static struct nestio_invq *smmu_q(void)
{
	struct nestio_invq_opts o = { .sz = sizeof(o), .capacity = 1024 };
	struct nestio_invq *q = NULL;

	ck_assert_int_eq(nestio_invq_new_viommu(viommu, NESTIO_INV_ARM_SMMUV3, &o, &q), 0);
	return q;
}

/* =========================================== the fake itself, as a check */

/* Raw ioctls, no library: the fake drops what the real kernel drops. */
START_TEST(test_fake_smmu_loses_the_block)
{
	struct nestio_inv_smmuv3 e[NCMD];
	struct kabi_hwpt_invalidate c = {
		.size = sizeof(c), .hwpt_id = viommu_id,
		.data_uptr = (uintptr_t)e,
		.data_type = KABI_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = sizeof(e[0]), .entry_num = NCMD,
	};

	smmu_batch(e, NCMD, 80);
	ck_assert_int_eq(fake_smmu(&c), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_uint_eq(c.entry_num, 80);	/* "80 handled" */
	expect_issued(e, 0, CMDQ_BATCH_ENTRIES - 1);
	expect_not_issued(e, CMDQ_BATCH_ENTRIES - 1, NCMD);	/* 63..79 too */
	/* a failure in the first block: nothing was issued at all */
	nissued = 0;
	c.entry_num = 5;
	smmu_batch(e, 5, 2);
	ck_assert_int_eq(fake_smmu(&c), -1);
	ck_assert_uint_eq(c.entry_num, 2);
	ck_assert_int_eq(nissued, 0);
}
END_TEST

/* ================================================ SMMUv3 through the queue */

/* a command the kernel cannot convert at 80: 63..79 were converted, never
 * issued, and counted; the library sends 0..79 again before it drops them */
START_TEST(test_queue_convert_failure)
{
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_inv_smmuv3 e[NCMD];
	struct nestio_invq *q = smmu_q();

	smmu_batch(e, NCMD, 80);
	ck_assert_int_eq(nestio_invq_push_many(q, e, sizeof(e[0]), NCMD), NCMD);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EIO);
	expect_issued(e, 0, 80);
	expect_not_issued(e, 80, NCMD);
	ck_assert_int_eq(fail.error, -EIO);
	ck_assert_uint_eq(fail.index, 80);
	ck_assert_uint_eq(fail.entry_len, sizeof(e[0]));
	ck_assert(!memcmp(fail.entry, &e[80], sizeof(e[0])));
	ck_assert_int_eq(nestio_invq_pending(q), NCMD - 80);
	/* ioctls: the batch, the re-send */
	EXPECT_INVQ_STATS(q, .sent = WANT(80), .ioctls = WANT(2), .failures = WANT(1));
	ck_assert_int_eq(smmu_calls, 2);
	/* the failed entry first, the rest after it, in order */
	ck_assert_int_eq(nestio_invq_discard(q, 1), 1);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), NCMD - 81);
	expect_issued(e, 81, NCMD);
	ck_assert_int_eq(times_issued(&e[80]), 0);
	for (uint32_t i = 81; i < NCMD; i++)	/* in order, after the rest */
		ck_assert(!memcmp(&issued[nissued - NCMD + i], &e[i], sizeof(e[i])));
	nestio_invq_unref(q);
}
END_TEST

/* the common case, a batch smaller than a block: before the fix, nothing
 * before the failed command was ever issued */
START_TEST(test_queue_small_batch)
{
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_inv_smmuv3 e[5];
	struct nestio_invq *q = smmu_q();

	smmu_batch(e, 5, 2);
	e[1] = ATC_INV(2, 7);			/* a known vSID */
	ck_assert_int_eq(nestio_invq_push_many(q, e, sizeof(e[0]), 5), 5);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EIO);
	expect_issued(e, 0, 2);
	ck_assert_uint_eq(fail.index, 2);
	ck_assert(!memcmp(fail.entry, &e[2], sizeof(e[2])));
	ck_assert_int_eq(nestio_invq_pending(q), 3);
	EXPECT_INVQ_STATS(q, .sent = WANT(2));
	nestio_invq_unref(q);
}
END_TEST

/* issuing the second block fails (a command queue that timed out): its
 * count covers a block that was not issued, and a re-send could wait on
 * the wedged queue again; nothing is confirmed, nothing is sent again */
START_TEST(test_queue_issue_failure)
{
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_inv_smmuv3 e[NCMD];
	struct nestio_invq *q = smmu_q();

	smmu_batch(e, NCMD, NCMD);		/* all good */
	smmu_script[0] = (struct smmu_script){ .fail_block = 1 };
	smmu_nscript = 1;
	ck_assert_int_eq(nestio_invq_push_many(q, e, sizeof(e[0]), NCMD), NCMD);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -ETIMEDOUT);
	ck_assert_int_eq(smmu_calls, 1);	/* no re-send */
	ck_assert_uint_eq(fail.index, 0);
	ck_assert_int_eq(fail.error, -ETIMEDOUT);
	ck_assert(!memcmp(fail.entry, &e[0], sizeof(e[0])));
	ck_assert_int_eq(nestio_invq_pending(q), NCMD);
	EXPECT_INVQ_STATS(q, .sent = WANT(0));
	/* the queue recovered: everything goes, in order */
	ck_assert_int_eq(nestio_invq_flush(q, NULL), NCMD);
	expect_issued(e, 0, NCMD);
	nestio_invq_unref(q);
}
END_TEST

/* the re-send fails too: its failure (j, its error) is the one reported,
 * by the same rule, and only what a successful call covers is dropped */
START_TEST(test_queue_resend_fails)
{
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_inv_smmuv3 e[NCMD];
	struct nestio_invq *q = smmu_q();

	/* the batch fails at 80; the re-send of 0..79 times out issuing its
	 * second block: nothing is confirmed, and no third call is made */
	smmu_batch(e, NCMD, 80);
	smmu_script[0] = (struct smmu_script){ .fail_block = -1 };
	smmu_script[1] = (struct smmu_script){ .fail_block = 1 };
	smmu_nscript = 2;
	ck_assert_int_eq(nestio_invq_push_many(q, e, sizeof(e[0]), NCMD), NCMD);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -ETIMEDOUT);
	ck_assert_int_eq(smmu_calls, 2);
	ck_assert_uint_eq(fail.index, 0);
	ck_assert_int_eq(fail.error, -ETIMEDOUT);
	ck_assert(!memcmp(fail.entry, &e[0], sizeof(e[0])));
	ck_assert_int_eq(nestio_invq_pending(q), NCMD);
	EXPECT_INVQ_STATS(q, .sent = WANT(0), .ioctls = WANT(2), .failures = WANT(2));
	nestio_invq_unref(q);

	/* the re-send fails at its first entry (the vDEVICE went away in
	 * between): nothing is confirmed, entry 0 failed with EIO */
	nissued = smmu_calls = 0;
	q = smmu_q();
	smmu_batch(e, 10, 6);
	e[0] = ATC_INV(2, 0);
	smmu_script[0] = (struct smmu_script){ .fail_block = -1 };
	smmu_script[1] = (struct smmu_script){ .fail_block = -1, .vsids = 1ull << 1 };
	smmu_nscript = 2;
	known_vsids = 1ull << 1 | 1ull << 2;
	ck_assert_int_eq(nestio_invq_push_many(q, e, sizeof(e[0]), 10), 10);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EIO);
	ck_assert_int_eq(smmu_calls, 2);
	ck_assert_uint_eq(fail.index, 0);
	ck_assert(!memcmp(fail.entry, &e[0], sizeof(e[0])));
	ck_assert_int_eq(nestio_invq_pending(q), 10);
	EXPECT_INVQ_STATS(q, .sent = WANT(0));
	ck_assert_int_eq(nissued, 0);
	nestio_invq_unref(q);
}
END_TEST

/* the count of a VT-d or raw driver is trusted: no second call */
START_TEST(test_trusted_types)
{
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_invq_opts ro = { .sz = sizeof(ro), .raw_type = 0xdeadbeef,
				       .raw_entry_len = 8 };
	struct nestio_invq *q = NULL;
	uint64_t raw[5] = { 1, 2, 3, 4, 5 };

	ck_assert_int_eq(nestio_invq_new(nested, NESTIO_INV_VTD_S1, NULL, &q), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(nestio_invq_push_vtd(q, (uint64_t)(i + 1) << 12, 1, 0), 0);
	fk_answers(1, &(struct fk_answer){ .err = EINVAL, .handled = 2 });
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EINVAL);
	ck_assert_int_eq(other_calls, 1);
	ck_assert_uint_eq(fail.index, 2);
	ck_assert_int_eq(nestio_invq_pending(q), 3);
	EXPECT_INVQ_STATS(q, .ioctls = WANT(1));
	q = nestio_invq_unref(q);

	/* raw, another data type, on the vIOMMU and on the hwpt */
	for (int v = 0; v < 2; v++) {
		other_calls = 0;
		ck_assert_int_eq(v ? nestio_invq_new_viommu(viommu, NESTIO_INV_RAW, &ro, &q)
				   : nestio_invq_new(nested, NESTIO_INV_RAW, &ro, &q), 0);
		ck_assert_int_eq(nestio_invq_push_many(q, raw, 8, 5), 5);
		fk_answers(1, &(struct fk_answer){ .err = EIO, .handled = 3 });
		ck_assert_int_eq(nestio_invq_flush(q, &fail), -EIO);
		ck_assert_int_eq(other_calls, 1);
		ck_assert_uint_eq(fail.index, 3);
		ck_assert_int_eq(nestio_invq_pending(q), 2);
		q = nestio_invq_unref(q);
	}
	ck_assert_int_eq(smmu_calls, 0);
}
END_TEST

/* a raw queue with SMMUv3's data type reaches the same kernel function,
 * so it gets the same rule */
START_TEST(test_raw_smmu_data_type)
{
	struct nestio_invq_opts ro = {
		.sz = sizeof(ro), .raw_type = KABI_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.raw_entry_len = sizeof(struct kabi_viommu_arm_smmuv3_invalidate),
	};
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_inv_smmuv3 e[NCMD];
	uint64_t le[NCMD][2];
	struct nestio_invq *q = NULL;

	smmu_batch(e, NCMD, 70);
	for (int i = 0; i < NCMD; i++) {
		le[i][0] = htole64(e[i].cmd[0]);
		le[i][1] = htole64(e[i].cmd[1]);
	}
	ck_assert_int_eq(nestio_invq_new_viommu(viommu, NESTIO_INV_RAW, &ro, &q), 0);
	ck_assert_int_eq(nestio_invq_push_many(q, le, sizeof(le[0]), NCMD), NCMD);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EIO);
	ck_assert_int_eq(smmu_calls, 2);
	expect_issued(e, 0, 70);
	ck_assert_uint_eq(fail.index, 70);
	ck_assert_int_eq(nestio_invq_pending(q), NCMD - 70);
	nestio_invq_unref(q);
}
END_TEST

/* ======================================================= the direct calls */

#define VTD(a, n, f) ((struct nestio_inv_vtd){ .addr = (a), .npages = (n), .flags = (f) })

START_TEST(test_direct_payloads)
{
	const struct nestio_inv_vtd v[3] = { VTD(0x1000, 1, 0), VTD(0x8000, 4, 1),
					     VTD(0, NESTIO_INV_VTD_ALL, 0) };
	const uint8_t raw[2][12] = { { 1, 2, 3 }, { 4, 5, 6 } };
	struct nestio_inv_smmuv3 s[3];
	uint32_t n = 3;

	/* VT-d on the nested hwpt: one call, the entries as they are */
	ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v,
						sizeof(v[0]), &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(tu_ncalls, 1);
	EXPECT_IOMMU(0, KABI_IOMMU_HWPT_INVALIDATE, kabi_hwpt_invalidate,
		     .hwpt_id = nested_id, .data_uptr = (uintptr_t)v,
		     .data_type = KABI_HWPT_INVALIDATE_DATA_VTD_S1,
		     .entry_len = sizeof(struct kabi_hwpt_vtd_s1_invalidate),
		     .entry_num = 3);
	ck_assert(!memcmp(last_data, v, sizeof(v)));
	/* SMMUv3 on the vIOMMU: the SMMU ran them */
	smmu_batch(s, 3, 3);
	n = 3;
	ck_assert_int_eq(nestio_viommu_invalidate(viommu, NESTIO_INV_ARM_SMMUV3, 0,
						  s, sizeof(s[0]), &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(tu_ncalls, 2);
	EXPECT_IOMMU(1, KABI_IOMMU_HWPT_INVALIDATE, kabi_hwpt_invalidate,
		     .hwpt_id = viommu_id, .data_uptr = (uintptr_t)s,
		     .data_type = KABI_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		     .entry_len = sizeof(struct kabi_viommu_arm_smmuv3_invalidate),
		     .entry_num = 3);
	expect_issued(s, 0, 3);
	/* raw on both: the caller's type and length */
	n = 2;
	ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_RAW, 0xdeadbeef,
						raw, 12, &n), 0);
	EXPECT_IOMMU(2, KABI_IOMMU_HWPT_INVALIDATE, kabi_hwpt_invalidate,
		     .hwpt_id = nested_id, .data_uptr = (uintptr_t)raw,
		     .data_type = 0xdeadbeef, .entry_len = 12, .entry_num = 2);
	ck_assert(!memcmp(last_data, raw, sizeof(raw)));
	ck_assert_int_eq(nestio_viommu_invalidate(viommu, NESTIO_INV_RAW, 0xbeef,
						  raw, 12, &n), 0);
	ck_assert_uint_eq(n, 2);
	EXPECT_IOMMU(3, KABI_IOMMU_HWPT_INVALIDATE, kabi_hwpt_invalidate,
		     .hwpt_id = viommu_id, .data_uptr = (uintptr_t)raw,
		     .data_type = 0xbeef, .entry_len = 12, .entry_num = 2);
	ck_assert_int_eq(tu_ncalls, 4);
}
END_TEST

START_TEST(test_direct_bad_args)
{
	const struct nestio_inv_vtd v[2] = { VTD(0x1000, 1, 0), VTD(0x2000, 1, 0) };
	const struct nestio_inv_smmuv3 s[1] = { NH_VA(1) };
	struct nestio_hwpt *plain = new_hwpt(dev, ioas, 0);
	const size_t vl = sizeof(v[0]), sl = sizeof(s[0]);
	uint32_t n = 2;

	tu_ncalls = 0;
	/* objects: NULL, another kind, a hwpt that is not nested, freed */
	EXPECT_NOIO(nestio_hwpt_invalidate(NULL, NESTIO_INV_VTD_S1, 0, v, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_invalidate((void *)viommu, NESTIO_INV_VTD_S1, 0, v, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_invalidate((void *)ioas, NESTIO_INV_VTD_S1, 0, v, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_invalidate(plain, NESTIO_INV_VTD_S1, 0, v, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_invalidate(parent, NESTIO_INV_RAW, 1, v, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_viommu_invalidate(NULL, NESTIO_INV_ARM_SMMUV3, 0, s, sl, &n), -EINVAL);
	EXPECT_NOIO(nestio_viommu_invalidate((void *)nested, NESTIO_INV_ARM_SMMUV3, 0, s, sl, &n), -EINVAL);
	EXPECT_NOIO(nestio_viommu_invalidate((void *)ctx, NESTIO_INV_RAW, 1, s, sl, &n), -EINVAL);
	/* types: unknown, or not taken by that object */
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, 0, 0, v, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, 4, 0, v, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, UINT32_MAX, 0, v, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, NESTIO_INV_ARM_SMMUV3, 0, s, sl, &n), -EINVAL);
	EXPECT_NOIO(nestio_viommu_invalidate(viommu, NESTIO_INV_VTD_S1, 0, v, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_viommu_invalidate(viommu, 0, 0, s, sl, &n), -EINVAL);
	/* raw_type only with NESTIO_INV_RAW */
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 1, v, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_viommu_invalidate(viommu, NESTIO_INV_ARM_SMMUV3, 1, s, sl, &n), -EINVAL);
	/* entry_len: the type's size; raw: 1 to UINT32_MAX */
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v, vl - 1, &n), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v, vl + 1, &n), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v, 0, &n), -EINVAL);
	EXPECT_NOIO(nestio_viommu_invalidate(viommu, NESTIO_INV_ARM_SMMUV3, 0, s, 8, &n), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, NESTIO_INV_RAW, 1, v, 0, &n), -EINVAL);
	EXPECT_NOIO(nestio_viommu_invalidate(viommu, NESTIO_INV_RAW, 1, s,
					     (size_t)UINT32_MAX + 1, &n), -EINVAL);
	/* entries and n: NULL */
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, NULL, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v, vl, NULL), -EINVAL);
	EXPECT_NOIO(nestio_viommu_invalidate(viommu, NESTIO_INV_RAW, 1, NULL, 8, &n), -EINVAL);
	EXPECT_NOIO(nestio_viommu_invalidate(viommu, NESTIO_INV_RAW, 1, s, 8, NULL), -EINVAL);
	ck_assert_uint_eq(n, 2);		/* untouched so far */
	/* nothing to send (a guest batch that was only a CMD_SYNC): done,
	 * without a call; bad arguments are still refused */
	n = 0;
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v, vl, &n), 0);
	EXPECT_NOIO(nestio_viommu_invalidate(viommu, NESTIO_INV_ARM_SMMUV3, 0, s, sl, &n), 0);
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, NESTIO_INV_RAW, 1, v, vl, &n), 0);
	EXPECT_NOIO(nestio_hwpt_invalidate(plain, NESTIO_INV_VTD_S1, 0, v, vl, &n), -EINVAL);
	EXPECT_NOIO(nestio_viommu_invalidate(viommu, NESTIO_INV_ARM_SMMUV3, 0, s, 8, &n), -EINVAL);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(smmu_calls + other_calls, 0);
	nestio_hwpt_unref(plain);
}
END_TEST

/* with the seam out of the way the call is libc's ioctl(), as a VMM runs
 * it; the ctx's fd is /dev/null, which refuses it (ENOTTY) before any
 * entry: nothing done, and errno says libc made the call */
START_TEST(test_direct_system_call)
{
	const uint8_t raw[2][8] = { { 1 }, { 2 } };
	const struct nestio_inv_smmuv3 s[1] = { NH_VA(1) };
	/* VT-d: checked on the way; the second is malformed (unaligned) */
	const struct nestio_inv_vtd v[2] = { VTD(0x1000, 1, 0), VTD(0x3800, 1, 0) };
	uint32_t n = 2;

	tu_seam_remove();
	errno = EBADMSG;
	ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_RAW, 1, raw, 8, &n),
			 -ENOTTY);
	ck_assert_uint_eq(n, 0);
	n = 1;
	ck_assert_int_eq(nestio_viommu_invalidate(viommu, NESTIO_INV_ARM_SMMUV3, 0, s,
						  sizeof(s[0]), &n), -ENOTTY);
	ck_assert_uint_eq(n, 0);
	n = 1;
	ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v,
						sizeof(v[0]), &n), -ENOTTY);
	ck_assert_uint_eq(n, 0);
	/* the good one is sent, and refused: that is the failure */
	n = 2;
	ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v,
						sizeof(v[0]), &n), -ENOTTY);
	ck_assert_uint_eq(n, 0);
	/* the malformed one alone: -EINVAL, not ENOTTY: no call was made */
	n = 1;
	ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, &v[1],
						sizeof(v[0]), &n), -EINVAL);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(errno, ENOTTY);
	tu_seam_install();
	tu_seam_answer = answer;
	ck_assert_int_eq(smmu_calls + other_calls, 0);
}
END_TEST

/* a malformed VT-d entry k: what is before it goes, as if the kernel had
 * rejected entry k; the caller learns k */
START_TEST(test_direct_malformed_entry)
{
	struct nestio_inv_vtd v[4] = { VTD(0x1000, 1, 0), VTD(0x2000, 1, 0),
				       VTD(0x3800, 1, 0), VTD(0x4000, 1, 0) };
	uint32_t n = 4;

	ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v,
						sizeof(v[0]), &n), -EINVAL);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(other_calls, 1);
	ck_assert_uint_eq(last_cmd.entry_num, 2);
	ck_assert(!memcmp(last_data, v, 2 * sizeof(v[0])));
	/* the kernel fails the prefix at 1: that is the failure */
	n = 4;
	fk_answers(1, &(struct fk_answer){ .err = EOPNOTSUPP, .handled = 1 });
	ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v,
						sizeof(v[0]), &n), -EOPNOTSUPP);
	ck_assert_uint_eq(n, 1);
	/* malformed first: no call at all */
	n = 4;
	v[0].reserved = 1;
	EXPECT_NOIO(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v,
					   sizeof(v[0]), &n), -EINVAL);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(other_calls, 2);
}
END_TEST

/* An interrupted call comes back with whatever count the kernel wrote
 * (here 0, then 1): it is made again with the whole count, as often as it
 * takes, by the direct calls and the queue alike. Before, the chokepoint
 * re-sent the kernel's count and the success that followed read as the
 * kernel's bug (-EIO, nothing done). */
START_TEST(test_interrupted_count)
{
	const uint64_t raw[3] = { 7, 8, 9 };
	const struct fk_answer intr[3] = {
		{ .err = EINTR, .handled = 0 }, { .err = EINTR, .handled = 1 },
		{ .all = true },
	};
	struct nestio_invq_opts o = { .sz = sizeof(o), .raw_type = 0xbeef,
				      .raw_entry_len = sizeof(raw[0]) };
	struct nestio_invq *q = NULL;
	uint32_t n = 3;

	fk_answers(3, intr);
	ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_RAW, 0xbeef,
						raw, sizeof(raw[0]), &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(tu_ncalls, 3);
	for (int i = 0; i < 3; i++)
		EXPECT_IOMMU(i, KABI_IOMMU_HWPT_INVALIDATE, kabi_hwpt_invalidate,
			     .hwpt_id = nested_id, .data_uptr = (uintptr_t)raw,
			     .data_type = 0xbeef, .entry_len = sizeof(raw[0]),
			     .entry_num = 3);
	ck_assert_int_eq(nestio_invq_new(nested, NESTIO_INV_RAW, &o, &q), 0);
	ck_assert_int_eq(nestio_invq_push_many(q, raw, sizeof(raw[0]), 3), 3);
	tu_ncalls = 0;
	fk_answers(3, intr);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 3);
	ck_assert_int_eq(nestio_invq_pending(q), 0);
	ck_assert_int_eq(tu_ncalls, 3);
	for (int i = 0; i < 3; i++) {
		const struct kabi_hwpt_invalidate *c = (const void *)tu_calls[i].arg;

		ck_assert_uint_eq(tu_calls[i].request, KABI_IOMMU_HWPT_INVALIDATE);
		ck_assert_uint_eq(c->entry_num, 3);
	}
	ck_assert(!memcmp(last_data, raw, sizeof(raw)));
	nestio_invq_unref(q);
}
END_TEST

/* the kernel's count, trusted for VT-d and raw */
START_TEST(test_direct_partial)
{
	const struct nestio_inv_vtd v[5] = { VTD(0x1000, 1, 0), VTD(0x2000, 1, 0),
					     VTD(0x3000, 1, 0), VTD(0x4000, 1, 0),
					     VTD(0x5000, 1, 0) };
	const uint64_t raw[3] = { 7, 8, 9 };
	uint32_t n = 5;

	fk_answers(1, &(struct fk_answer){ .err = EINVAL, .handled = 3 });
	ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v,
						sizeof(v[0]), &n), -EINVAL);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(other_calls, 1);	/* not sent again */
	n = 3;
	fk_answers(1, &(struct fk_answer){ .err = ENOENT, .handled = 0 });
	ck_assert_int_eq(nestio_viommu_invalidate(viommu, NESTIO_INV_RAW, 0xbeef,
						  raw, sizeof(raw[0]), &n), -ENOENT);
	ck_assert_uint_eq(n, 0);
	n = 3;
	fk_answers(1, &(struct fk_answer){ .err = EIO, .handled = 2 });
	ck_assert_int_eq(nestio_viommu_invalidate(viommu, NESTIO_INV_RAW, 0xbeef,
						  raw, sizeof(raw[0]), &n), -EIO);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(other_calls, 3);
	/* EINTR is retried by the chokepoint */
	n = 3;
	fk_fail(KABI_IOMMU_HWPT_INVALIDATE, EINTR, 2);
	ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_RAW, 0xbeef,
						raw, sizeof(raw[0]), &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(other_calls, 4);
}
END_TEST

/* counts that cannot be right: nothing is taken as done */
START_TEST(test_direct_impossible_counts)
{
	static const struct {
		struct fk_answer a;
		int want;
	} cases[] = {
		{ { .err = EINVAL, .all = true }, -EINVAL },	/* all, yet an error */
		{ { .err = EINVAL, .handled = 4 }, -EINVAL },	/* more than sent */
		{ { .err = 0, .handled = 1 }, -EIO },		/* success, not all */
		{ { .err = 0, .handled = 9 }, -EIO },		/* success, too many */
		{ { .err = 0, .handled = 0 }, -EIO },		/* success, none */
	};
	const struct nestio_inv_vtd v[3] = { VTD(0x1000, 1, 0), VTD(0x2000, 1, 0),
					     VTD(0x3000, 1, 0) };

	ck_assert_int_eq(nestio_ctx_set_log_fn(ctx, tu_log_count_errors), 0);
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		uint32_t n = 3;

		other_calls = 0;
		tu_nlog_err = 0;
		fk_answers(1, &cases[c].a);
		ck_assert_int_eq(nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, v,
							sizeof(v[0]), &n), cases[c].want);
		ck_assert_uint_eq(n, 0);
		ck_assert_int_eq(other_calls, 1);
		ck_assert_int_eq(tu_nlog_err, cases[c].a.err ? 0 : 1);
	}
}
END_TEST

/* SMMUv3 through the direct call: the same re-send as the queue */
START_TEST(test_direct_smmu_resend)
{
	struct nestio_inv_smmuv3 e[NCMD];
	uint32_t n = NCMD;

	smmu_batch(e, NCMD, 80);
	ck_assert_int_eq(nestio_viommu_invalidate(viommu, NESTIO_INV_ARM_SMMUV3, 0,
						  e, sizeof(e[0]), &n), -EIO);
	ck_assert_uint_eq(n, 80);
	ck_assert_int_eq(smmu_calls, 2);
	expect_issued(e, 0, 80);
	expect_not_issued(e, 80, NCMD);
	/* the re-send times out issuing its second block: nothing is taken
	 * as done, and nothing is sent a third time */
	nissued = smmu_calls = 0;
	smmu_script[0] = (struct smmu_script){ .fail_block = -1 };
	smmu_script[1] = (struct smmu_script){ .fail_block = 1 };
	smmu_nscript = 2;
	n = NCMD;
	ck_assert_int_eq(nestio_viommu_invalidate(viommu, NESTIO_INV_ARM_SMMUV3, 0,
						  e, sizeof(e[0]), &n), -ETIMEDOUT);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(smmu_calls, 2);
	/* all good: one call */
	nissued = smmu_calls = smmu_nscript = 0;
	smmu_batch(e, NCMD, NCMD);
	n = NCMD;
	ck_assert_int_eq(nestio_viommu_invalidate(viommu, NESTIO_INV_ARM_SMMUV3, 0,
						  e, sizeof(e[0]), &n), 0);
	ck_assert_uint_eq(n, NCMD);
	ck_assert_int_eq(smmu_calls, 1);
	expect_issued(e, 0, NCMD);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("invalidate");
	TCase *tc;

	tc = fk_tcase(s, "smmuv3-count", setup, teardown);
	tcase_add_test(tc, test_fake_smmu_loses_the_block);
	tcase_add_test(tc, test_queue_convert_failure);
	tcase_add_test(tc, test_queue_small_batch);
	tcase_add_test(tc, test_queue_issue_failure);
	tcase_add_test(tc, test_queue_resend_fails);
	tcase_add_test(tc, test_trusted_types);
	tcase_add_test(tc, test_raw_smmu_data_type);

	tc = fk_tcase(s, "direct", setup, teardown);
	tcase_add_test(tc, test_direct_payloads);
	tcase_add_test(tc, test_direct_bad_args);
	tcase_add_test(tc, test_direct_system_call);
	tcase_add_test(tc, test_direct_malformed_entry);
	tcase_add_test(tc, test_direct_partial);
	tcase_add_test(tc, test_interrupted_count);
	tcase_add_test(tc, test_direct_impossible_counts);
	tcase_add_test(tc, test_direct_smmu_resend);
	return tu_run(s);
}
