// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: the invalidation queue against the fake kernel, through
 * the batch recorder of invq-rec.h: payloads, a full queue, partial
 * completion and impossible counts, bad input, what a queue pins, and
 * concurrent pushers. The coalescing rules are test-invq-rules.c.
 */
#include <pthread.h>
#include <string.h>

#include "invq-rec.h"

/* ============================================================ payloads */

START_TEST(test_vtd_payload)
{
	static const struct nestio_inv_vtd e[] = {
		VTD(0x1000, 1, 0), VTD(0x200000, 512, LEAF), VTD(0, ALL, 0),
	};
	struct nestio_invq *q = vtd_q(0, 0);

	for (size_t i = 0; i < 2; i++)
		EXPECT_NOIO(nestio_invq_push(q, &e[i], sizeof(e[i])), 0);
	EXPECT_NOIO(nestio_invq_push_vtd(q, 0, ALL, 0), 0);
	ck_assert_int_eq(nestio_invq_pending(q), 3);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 3);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_uint_eq(tu_calls[0].request, KABI_IOMMU_HWPT_INVALIDATE);
	ck_assert_int_eq(tu_calls[0].fd, nestio_ctx_get_fd(ctx));
	ck_assert_uint_eq(tu_calls[0].len, sizeof(struct kabi_hwpt_invalidate));
	ck_assert_int_eq(nbatch, 1);
	expect_vtd_batch(0, e, 3);
	ck_assert_int_eq(nestio_invq_pending(q), 0);
	EXPECT_INVQ_STATS(q,
			  .pushed = WANT(3), .sent = WANT(3), .ioctls = WANT(1),
			  .merged = WANT(0), .failures = WANT(0));
	/* nothing pending: no ioctl, 0 */
	EXPECT_NOIO(nestio_invq_flush(q, NULL), 0);
	nestio_invq_unref(q);
}
END_TEST

START_TEST(test_smmuv3_payload)
{
	static const struct nestio_inv_smmuv3 e[] = {
		SMMU(0x12 | 5ull << 48, 0xabc000), SMMU(0x40 | 3ull << 32, 0x1fff),
		SMMU(0x10, 0),
	};
	struct nestio_invq *q = smmu_q(0, 0);

	EXPECT_NOIO(nestio_invq_push(q, &e[0], sizeof(e[0])), 0);
	EXPECT_NOIO(nestio_invq_push_smmuv3(q, e[1].cmd[0], e[1].cmd[1]), 0);
	EXPECT_NOIO(nestio_invq_push(q, &e[2], sizeof(e[2])), 0);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 3);
	ck_assert_int_eq(nbatch, 1);
	expect_smmu_batch(0, e, 3);
	nestio_invq_unref(q);
}
END_TEST

START_TEST(test_raw_payload)
{
	struct nestio_invq_opts o = { .sz = sizeof(o), .raw_type = 0xdeadbeef,
				      .raw_entry_len = 12 };
	uint8_t e[3][12];
	struct nestio_invq *q = NULL;

	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 12; j++)
			e[i][j] = (uint8_t)(i * 16 + j);
	for (int v = 0; v < 2; v++) {
		rec_reset();
		ck_assert_int_eq(v ? nestio_invq_new_viommu(viommu, NESTIO_INV_RAW, &o, &q)
				   : nestio_invq_new(nested, NESTIO_INV_RAW, &o, &q), 0);
		for (int i = 0; i < 3; i++)
			EXPECT_NOIO(nestio_invq_push(q, e[i], 12), 0);
		EXPECT_NOIO(nestio_invq_push(q, e[0], 8), -EINVAL);
		ck_assert_int_eq(nestio_invq_flush(q, NULL), 3);
		ck_assert_int_eq(nbatch, 1);
		ck_assert_uint_eq(batches[0].hwpt_id, v ? viommu_id : nested_id);
		ck_assert_uint_eq(batches[0].data_type, 0xdeadbeef);
		ck_assert_uint_eq(batches[0].entry_len, 12);
		ck_assert_uint_eq(batches[0].entry_num, 3);
		ck_assert(!memcmp(bent(0, 0), e, sizeof(e)));
		q = nestio_invq_unref(q);
	}
	/* RAW takes COALESCE and merges nothing: duplicates all go out */
	o.flags = NESTIO_INVQ_COALESCE;
	o.raw_entry_len = 64;
	ck_assert_int_eq(nestio_invq_new(nested, NESTIO_INV_RAW, &o, &q), 0);
	rec_reset();
	for (int i = 0; i < 3; i++) {
		uint8_t big[64] = { 1, 2, 3 };

		ck_assert_int_eq(nestio_invq_push(q, big, sizeof(big)), 0);
	}
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 3);
	ck_assert_uint_eq(batches[0].entry_num, 3);
	EXPECT_INVQ_STATS(q, .merged = WANT(0));
	nestio_invq_unref(q);
}
END_TEST

/* ================================================== full queue, failures */

START_TEST(test_full_queue_flushes)
{
	struct nestio_inv_vtd e[6];
	struct nestio_invq *q = vtd_q(0, 4);

	for (int i = 0; i < 6; i++)
		e[i] = VTD(PG(i * 2), 1, 0);
	for (int i = 0; i < 4; i++)
		EXPECT_NOIO(nestio_invq_push(q, &e[i], sizeof(e[i])), 0);
	ck_assert_int_eq(nestio_invq_pending(q), 4);
	/* the fifth push sends the four first, in one ioctl */
	ck_assert_int_eq(nestio_invq_push(q, &e[4], sizeof(e[4])), 0);
	ck_assert_int_eq(nbatch, 1);
	expect_vtd_batch(0, e, 4);
	ck_assert_int_eq(nestio_invq_pending(q), 1);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 1);
	expect_vtd_batch(1, &e[4], 1);

	nestio_invq_unref(q);

	/* the default capacity is 256, and 4096 is allowed */
	rec_reset();
	q = vtd_q(0, 0);
	for (int i = 0; i < 256; i++)
		push_vtds(q, &e[i % 6], 1);
	ck_assert_int_eq(nbatch, 0);
	push_vtds(q, &e[0], 1);
	ck_assert_int_eq(nbatch, 1);
	ck_assert_uint_eq(batches[0].entry_num, 256);
	nestio_invq_unref(q);
	rec_reset();
	q = vtd_q(NESTIO_INVQ_COALESCE, 4096);
	for (int i = 0; i < 4097; i++)
		push_vtds(q, &VTD(PG(2 * i), 1, i & 1 ? LEAF : 0), 1);
	ck_assert_int_eq(nbatch, 1);
	ck_assert_uint_eq(batches[0].entry_num, 4096);	/* nothing to merge */
	ck_assert_int_eq(nestio_invq_pending(q), 1);
	nestio_invq_unref(q);
	rec_reset();
	q = vtd_q(0, 4);

	/* a full queue whose flush fails: the push fails with the flush's
	 * error and its entry is not queued; the confirmed one is gone */
	rec_reset();
	push_vtds(q, e, 4);
	fk_answers(1, &(struct fk_answer){ .err = EINVAL, .handled = 1 });
	ck_assert_int_eq(nestio_invq_push(q, &e[5], sizeof(e[5])), -EINVAL);
	ck_assert_int_eq(nestio_invq_pending(q), 3);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 3);
	expect_vtd_batch(1, &e[1], 3);		/* not e[5] */
	nestio_invq_unref(q);
}
END_TEST

START_TEST(test_push_many)
{
	struct nestio_inv_vtd e[10];
	struct nestio_invq *q = vtd_q(0, 4);

	for (int i = 0; i < 10; i++)
		e[i] = VTD(PG(i * 2), 1, 0);
	/* ten into a queue of four: two full batches on the way, two left */
	ck_assert_int_eq(nestio_invq_push_many(q, e, sizeof(e[0]), 10), 10);
	ck_assert_int_eq(nbatch, 2);
	expect_vtd_batch(0, e, 4);
	expect_vtd_batch(1, &e[4], 4);
	ck_assert_int_eq(nestio_invq_pending(q), 2);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 2);
	expect_vtd_batch(2, &e[8], 2);
	EXPECT_INVQ_STATS(q, .pushed = WANT(10));

	/* one malformed entry: nothing is queued, no ioctl */
	e[5].addr |= 1;
	EXPECT_NOIO(nestio_invq_push_many(q, e, sizeof(e[0]), 10), -EINVAL);
	ck_assert_int_eq(nestio_invq_pending(q), 0);
	e[5].addr &= ~1ull;
	EXPECT_NOIO(nestio_invq_push_many(q, e, sizeof(e[0]) + 1, 1), -EINVAL);
	EXPECT_NOIO(nestio_invq_push_many(q, NULL, sizeof(e[0]), 1), -EINVAL);
	EXPECT_NOIO(nestio_invq_push_many(q, NULL, sizeof(e[0]), 0), 0);

	/* a flush on the way fails: a short count, like write(2); what was
	 * queued stays, less what the kernel confirmed */
	rec_reset();
	fk_answers(1, &(struct fk_answer){ .err = EINVAL, .handled = 1 });
	ck_assert_int_eq(nestio_invq_push_many(q, e, sizeof(e[0]), 10), 4);
	ck_assert_int_eq(nestio_invq_pending(q), 3);
	/* the queue is full and its flush fails at once: nothing queued, the
	 * error comes back */
	ck_assert_int_eq(nestio_invq_push(q, &e[9], sizeof(e[9])), 0);
	fk_answers(1, &(struct fk_answer){ .err = EIO, .handled = 0 });
	ck_assert_int_eq(nestio_invq_push_many(q, &e[4], sizeof(e[0]), 6), -EIO);
	ck_assert_int_eq(nestio_invq_pending(q), 4);
	nestio_invq_unref(q);
}
END_TEST

START_TEST(test_partial_completion)
{
	struct nestio_inv_vtd e[5];
	struct nestio_invq_fail fail;
	struct nestio_invq *q = vtd_q(0, 0);

	for (int i = 0; i < 5; i++)
		e[i] = VTD(PG(0x100 * i), i + 1, i & 1 ? LEAF : 0);
	push_vtds(q, e, 5);
	/* the kernel handles 2, then fails on the third */
	fk_answers(1, &(struct fk_answer){ .err = EINVAL, .handled = 2 });
	memset(&fail, 0xa5, sizeof(fail));
	fail.sz = sizeof(fail);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EINVAL);
	ck_assert_int_eq(fail.error, -EINVAL);
	ck_assert_uint_eq(fail.index, 2);
	ck_assert_uint_eq(fail.entry_len, sizeof(struct nestio_inv_vtd));
	ck_assert(!memcmp(fail.entry, &e[2], sizeof(e[2])));	/* the user's form */
	for (size_t i = sizeof(e[2]); i < sizeof(fail.entry); i++)
		ck_assert_uint_eq(fail.entry[i], 0);
	ck_assert_int_eq(nestio_invq_pending(q), 3);
	EXPECT_INVQ_STATS(q, .sent = WANT(2), .ioctls = WANT(1), .failures = WANT(1));
	/* a resend carries the failed one first and the rest, in order */
	fk_answers(1, &(struct fk_answer){ .err = EOPNOTSUPP, .handled = 0 });
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EOPNOTSUPP);
	expect_vtd_batch(1, &e[2], 3);
	ck_assert_uint_eq(fail.index, 0);
	ck_assert_int_eq(fail.error, -EOPNOTSUPP);
	ck_assert(!memcmp(fail.entry, &e[2], sizeof(e[2])));
	ck_assert_int_eq(nestio_invq_pending(q), 3);
	/* skip the bad one; the rest goes */
	ck_assert_int_eq(nestio_invq_discard(q, 1), 1);
	ck_assert_int_eq(nestio_invq_pending(q), 2);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 2);
	expect_vtd_batch(2, &e[3], 2);
	ck_assert_int_eq(nestio_invq_pending(q), 0);
	EXPECT_INVQ_STATS(q,
			  .pushed = WANT(5), .sent = WANT(4), .ioctls = WANT(3),
			  .failures = WANT(2));
	/* discard bounds */
	ck_assert_int_eq(nestio_invq_discard(q, 3), 0);
	push_vtds(q, e, 2);
	ck_assert_int_eq(nestio_invq_discard(q, 0), 0);
	ck_assert_int_eq(nestio_invq_discard(q, 99), 2);
	ck_assert_int_eq(nestio_invq_pending(q), 0);
	nestio_invq_unref(q);
}
END_TEST

/* counts the kernel cannot have meant: none of the batch is taken as done */
START_TEST(test_impossible_counts)
{
	static const struct {
		struct fk_answer a;
		int want;
	} cases[] = {
		{ { .err = EINVAL, .all = true }, -EINVAL },		/* all, yet an error */
		{ { .err = EINVAL, .handled = 4 }, -EINVAL },		/* more than sent */
		{ { .err = ENOTTY, .untouched = true }, -ENOTTY },	/* count never written */
		{ { .err = 0, .handled = 1 }, -EIO },			/* success, not all */
		{ { .err = 0, .handled = 7 }, -EIO },			/* success, too many */
		{ { .err = 0, .handled = 0 }, -EIO },			/* success, none */
	};
	struct nestio_inv_vtd e[3] = { VTD(0x1000, 1, 0), VTD(0x9000, 1, 0),
				       VTD(0x20000, 2, LEAF) };

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		struct nestio_invq_fail fail = { .sz = sizeof(fail) };
		struct nestio_invq *q = vtd_q(0, 0);

		rec_reset();
		push_vtds(q, e, 3);
		fk_answers(1, &cases[c].a);
		ck_assert_int_eq(nestio_ctx_set_log_fn(ctx, tu_log_count_errors), 0);
		tu_nlog_err = 0;
		ck_assert_int_eq(nestio_invq_flush(q, &fail), cases[c].want);
		/* a success with a wrong count is the kernel's bug: logged */
		ck_assert_int_eq(tu_nlog_err, cases[c].a.err ? 0 : 1);
		ck_assert_int_eq(fail.error, cases[c].want);
		ck_assert_uint_eq(fail.index, 0);
		ck_assert(!memcmp(fail.entry, &e[0], sizeof(e[0])));
		ck_assert_int_eq(nestio_invq_pending(q), 3);
		EXPECT_INVQ_STATS(q, .sent = WANT(0), .failures = WANT(1));
		/* all three are re-sent, in order */
		ck_assert_int_eq(nestio_invq_flush(q, NULL), 3);
		expect_vtd_batch(1, e, 3);
		nestio_invq_unref(q);
	}
}
END_TEST

START_TEST(test_fail_struct_sizes)
{
	struct {
		struct nestio_invq_fail f;
		uint64_t tail;
	} big = { .f.sz = sizeof(big) };
	struct nestio_invq_fail small;
	struct nestio_invq *q = vtd_q(0, 0);

	push_vtds(q, &VTD(0x1000, 1, 0), 1);
	/* bad sizes: -EINVAL / -E2BIG before any ioctl */
	small.sz = 3;
	EXPECT_NOIO(nestio_invq_flush(q, &small), -EINVAL);
	big.tail = 1;
	EXPECT_NOIO(nestio_invq_flush(q, &big.f), -E2BIG);
	ck_assert_int_eq(nestio_invq_pending(q), 1);
	/* an older, shorter struct gets what fits */
	memset(&small, 0x5a, sizeof(small));
	small.sz = offsetof(struct nestio_invq_fail, index);
	fk_answers(1, &(struct fk_answer){ .err = EBUSY });
	ck_assert_int_eq(nestio_invq_flush(q, &small), -EBUSY);
	ck_assert_int_eq(small.error, -EBUSY);
	ck_assert_uint_eq(small.index, 0x5a5a5a5a);	/* beyond its size */
	/* a longer one with a zero tail is fine; success leaves it alone */
	big.tail = 0;
	big.f.error = 42;
	ck_assert_int_eq(nestio_invq_flush(q, &big.f), 1);
	ck_assert_int_eq(big.f.error, 42);
	nestio_invq_unref(q);
}
END_TEST

START_TEST(test_stats_sizes)
{
	struct nestio_invq *q = vtd_q(0, 0);
	struct {
		struct nestio_invq_stats s;
		uint64_t tail;
	} big = { .s.sz = sizeof(big) };
	struct nestio_invq_stats small;

	push_vtds(q, &VTD(0x1000, 1, 0), 1);
	memset(&small, 0xff, sizeof(small));
	small.sz = offsetof(struct nestio_invq_stats, merged);
	ck_assert_int_eq(nestio_invq_get_stats(q, &small), 0);
	ck_assert_uint_eq(small.pushed, 1);
	ck_assert_uint_eq(small.merged, UINT64_MAX);	/* not written */
	ck_assert_int_eq(nestio_invq_get_stats(q, &big.s), 0);
	ck_assert_uint_eq(big.s.pushed, 1);
	big.tail = 9;
	ck_assert_int_eq(nestio_invq_get_stats(q, &big.s), -E2BIG);
	small.sz = 1;
	ck_assert_int_eq(nestio_invq_get_stats(q, &small), -EINVAL);
	nestio_invq_unref(q);
}
END_TEST

/* ============================================================ bad input */

START_TEST(test_bad_input)
{
	struct nestio_invq *q = NULL, *sentinel = (void *)&q, *vq, *sq;
	struct nestio_invq_opts o = { .sz = sizeof(o) };
	struct nestio_hwpt *plain = new_hwpt(dev, ioas, 0);
	struct nestio_inv_vtd v = VTD(0x1000, 1, 0);
	struct nestio_invq_stats st = { .sz = sizeof(st) };
	struct {
		struct nestio_invq_opts o;
		uint32_t tail;
	} big = { .o.sz = sizeof(big), .tail = 1 };

	tu_ncalls = 0;
	q = sentinel;
	/* constructors */
	EXPECT_NOIO(nestio_invq_new(NULL, NESTIO_INV_VTD_S1, NULL, &q), -EINVAL);
	EXPECT_NOIO(nestio_invq_new(plain, NESTIO_INV_VTD_S1, NULL, &q), -EINVAL);
	EXPECT_NOIO(nestio_invq_new(parent, NESTIO_INV_VTD_S1, NULL, &q), -EINVAL);
	EXPECT_NOIO(nestio_invq_new((void *)viommu, NESTIO_INV_VTD_S1, NULL, &q), -EINVAL);
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_VTD_S1, NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_ARM_SMMUV3, NULL, &q), -EINVAL);
	EXPECT_NOIO(nestio_invq_new(nested, 0, NULL, &q), -EINVAL);
	EXPECT_NOIO(nestio_invq_new(nested, 99, NULL, &q), -EINVAL);
	EXPECT_NOIO(nestio_invq_new_viommu(NULL, NESTIO_INV_ARM_SMMUV3, NULL, &q), -EINVAL);
	EXPECT_NOIO(nestio_invq_new_viommu((void *)nested, NESTIO_INV_ARM_SMMUV3, NULL, &q), -EINVAL);
	EXPECT_NOIO(nestio_invq_new_viommu(viommu, NESTIO_INV_VTD_S1, NULL, &q), -EINVAL);
	EXPECT_NOIO(nestio_invq_new_viommu(viommu, NESTIO_INV_ARM_SMMUV3, NULL, NULL), -EINVAL);
	/* options */
	o.capacity = 4097;
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_VTD_S1, &o, &q), -EINVAL);
	o.capacity = 4096;
	o.flags = 1u << 7;
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_VTD_S1, &o, &q), -EINVAL);
	o.flags = NESTIO_INVQ_ATC_SEPARATE;	/* SMMUv3 only */
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_VTD_S1, &o, &q), -EINVAL);
	o.flags = 0;
	o.raw_entry_len = 8;			/* RAW only */
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_VTD_S1, &o, &q), -EINVAL);
	o.raw_entry_len = 0;
	o.raw_type = 5;
	EXPECT_NOIO(nestio_invq_new_viommu(viommu, NESTIO_INV_ARM_SMMUV3, &o, &q), -EINVAL);
	o.sz = 2;
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_VTD_S1, &o, &q), -EINVAL);
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_VTD_S1, &big.o, &q), -E2BIG);
	/* RAW needs its entry length, 1..64 */
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_RAW, NULL, &q), -EINVAL);
	o = (struct nestio_invq_opts){ .sz = offsetof(struct nestio_invq_opts, raw_entry_len),
				       .raw_type = 1 };
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_RAW, &o, &q), -EINVAL);
	o = (struct nestio_invq_opts){ .sz = sizeof(o), .raw_type = 1 };
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_RAW, &o, &q), -EINVAL);
	o.raw_entry_len = 65;
	EXPECT_NOIO(nestio_invq_new_viommu(viommu, NESTIO_INV_RAW, &o, &q), -EINVAL);
	ck_assert_ptr_eq(q, sentinel);		/* *out untouched */
	/* a shorter opts struct gets defaults for what it lacks */
	o = (struct nestio_invq_opts){ .sz = offsetof(struct nestio_invq_opts, flags),
				       .capacity = 2 };
	EXPECT_NOIO(nestio_invq_new(nested, NESTIO_INV_VTD_S1, &o, &vq), 0);
	EXPECT_NOIO(nestio_invq_new_viommu(viommu, NESTIO_INV_ARM_SMMUV3, NULL, &sq), 0);

	/* entries */
	EXPECT_NOIO(nestio_invq_push(NULL, &v, sizeof(v)), -EINVAL);
	EXPECT_NOIO(nestio_invq_push((void *)nested, &v, sizeof(v)), -EINVAL);
	EXPECT_NOIO(nestio_invq_push(vq, NULL, sizeof(v)), -EINVAL);
	EXPECT_NOIO(nestio_invq_push(vq, &v, sizeof(v) - 1), -EINVAL);
	EXPECT_NOIO(nestio_invq_push(vq, &v, sizeof(v) + 1), -EINVAL);
	EXPECT_NOIO(nestio_invq_push(sq, &v, sizeof(v)), -EINVAL);
	EXPECT_NOIO(nestio_invq_push_vtd(vq, 0x1800, 1, 0), -EINVAL);	/* unaligned */
	EXPECT_NOIO(nestio_invq_push_vtd(vq, 0x1000, 0, 0), -EINVAL);	/* no pages */
	EXPECT_NOIO(nestio_invq_push_vtd(vq, 0x1000, 1, 2), -EINVAL);	/* flags */
	EXPECT_NOIO(nestio_invq_push_vtd(vq, 0x1000, ALL, 0), -EINVAL);	/* ALL at 0 only */
	EXPECT_NOIO(nestio_invq_push_vtd(vq, PG(TOP_PAGE), 2, 0), -EINVAL);	/* wraps */
	EXPECT_NOIO(nestio_invq_push_vtd(vq, 0, (1ull << 52) + 1, 0), -EINVAL);
	EXPECT_NOIO(nestio_invq_push_vtd(vq, PG(1), 1ull << 52, LEAF), -EINVAL);
	v.reserved = 1;
	EXPECT_NOIO(nestio_invq_push(vq, &v, sizeof(v)), -EINVAL);
	EXPECT_NOIO(nestio_invq_push_vtd(sq, 0x1000, 1, 0), -EINVAL);
	EXPECT_NOIO(nestio_invq_push_smmuv3(vq, 0x10, 0), -EINVAL);
	EXPECT_NOIO(nestio_invq_push_smmuv3(NULL, 0x10, 0), -EINVAL);
	EXPECT_NOIO(nestio_invq_push_vtd(NULL, 0x1000, 1, 0), -EINVAL);
	ck_assert_int_eq(nestio_invq_pending(vq), 0);
	/* the edges that are fine */
	EXPECT_NOIO(nestio_invq_push_vtd(vq, PG(TOP_PAGE), 1, 0), 0);
	EXPECT_NOIO(nestio_invq_push_vtd(vq, 0, 1ull << 52, LEAF), 0);
	ck_assert_int_eq(nestio_invq_pending(vq), 2);

	/* the other calls */
	EXPECT_NOIO(nestio_invq_flush(NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_invq_flush((void *)ctx, NULL), -EINVAL);
	EXPECT_NOIO(nestio_invq_discard(NULL, 1), -EINVAL);
	EXPECT_NOIO(nestio_invq_pending(NULL), -EINVAL);
	EXPECT_NOIO(nestio_invq_get_stats(NULL, &st), -EINVAL);
	EXPECT_NOIO(nestio_invq_get_stats(vq, NULL), -EINVAL);
	ck_assert_ptr_null(nestio_invq_ref(NULL));
	ck_assert_ptr_null(nestio_invq_ref((void *)nested));
	ck_assert_ptr_null(nestio_invq_unref(NULL));
	ck_assert_ptr_null(nestio_invq_unref((void *)nested));
	ck_assert_int_eq(nestio_hwpt_is_nested(nested), 1);	/* untouched */

	nestio_invq_unref(vq);
	nestio_invq_unref(sq);
	nestio_hwpt_unref(plain);
}
END_TEST

/* ============================================================= lifetime */

START_TEST(test_pins_base)
{
	struct nestio_invq *q = vtd_q(0, 0), *s = smmu_q(0, 0);

	/* the queues keep what they invalidate alive after our unrefs */
	nested = nestio_hwpt_unref(nested);
	viommu = nestio_viommu_unref(viommu);
	ck_assert_int_eq(find_ev('D', nested_id), -1);
	ck_assert_int_eq(find_ev('D', viommu_id), -1);
	/* ... and still work on them */
	ck_assert_int_eq(nestio_invq_push_vtd(q, 0, ALL, 0), 0);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 1);
	ck_assert_uint_eq(batches[0].hwpt_id, nested_id);
	/* a second reference holds the queue */
	ck_assert_ptr_eq(nestio_invq_ref(q), q);
	ck_assert_ptr_null(nestio_invq_unref(q));
	ck_assert_int_eq(find_ev('D', nested_id), -1);
	ck_assert_int_eq(nestio_invq_pending(q), 0);	/* still valid */
	/* the last unref destroys the base, once; unflushed entries go */
	ck_assert_int_eq(nestio_invq_push_vtd(q, 0x1000, 1, 0), 0);
	ck_assert_int_eq(nbatch, 1);
	ck_assert_ptr_null(nestio_invq_unref(q));
	ck_assert_int_eq(nbatch, 1);			/* unref sends nothing */
	ck_assert_int_ge(find_ev('D', nested_id), 0);
	ck_assert_int_eq(find_ev('D', viommu_id), -1);
	ck_assert_ptr_null(nestio_invq_unref(s));
	ck_assert_int_gt(find_ev('D', viommu_id), find_ev('D', nested_id));
	ck_assert_int_eq(count_ev('D'), 2);
	/* the nest parent is still ours */
	ck_assert_int_eq(find_ev('D', nestio_hwpt_get_id(parent)), -1);
}

/* ============================================================ threading */

#define THREADS 4
#define PER_THREAD 10000

struct pusher {
	struct nestio_invq *q;
	uint32_t id;
	int retries;
};

static void *push_thread(void *arg)
{
	struct pusher *p = arg;

	for (uint32_t k = 0; k < PER_THREAD; k++) {
		uint64_t addr = PG((uint64_t)p->id << 20 | k);
		int r;

		/* a push whose flush failed did not queue: push it again */
		while ((r = nestio_invq_push_vtd(p->q, addr, 1, 0)) == -EIO)
			p->retries++;
		if (r)
			return (void *)(intptr_t)r;
	}
	return NULL;
}

START_TEST(test_concurrent_pushers)
{
	struct nestio_invq *q = vtd_q(0, 8);
	struct pusher p[THREADS];
	pthread_t th[THREADS];
	uint32_t next[THREADS] = { 0 };
	static uint8_t seen[THREADS][PER_THREAD];
	struct nestio_invq_stats st;
	uint64_t handled = 0;
	int retries = 0;

	memset(seen, 0, sizeof(seen));
	fail_every = _i ? 7 : 0;	/* loop 1: every 7th call fails halfway */
	for (uint32_t t = 0; t < THREADS; t++) {
		p[t] = (struct pusher){ q, t, 0 };
		ck_assert_int_eq(pthread_create(&th[t], NULL, push_thread, &p[t]), 0);
	}
	for (uint32_t t = 0; t < THREADS; t++) {
		void *ret;

		ck_assert_int_eq(pthread_join(th[t], &ret), 0);
		ck_assert_ptr_null(ret);
		retries += p[t].retries;
	}
	while (nestio_invq_pending(q) > 0)
		ck_assert_int_ge(nestio_invq_flush(q, NULL), -EIO);
	/* what the kernel confirmed: each entry once, each thread in order */
	for (int b = 0; b < nbatch; b++) {
		for (uint32_t i = 0; i < batches[b].handled; i++) {
			struct kabi_hwpt_vtd_s1_invalidate k;
			uint32_t t, seq;

			memcpy(&k, bent(b, i), sizeof(k));
			ck_assert_uint_eq(k.npages, 1);
			t = (uint32_t)(k.addr >> 32);
			seq = (uint32_t)(k.addr >> 12) & 0xfffff;
			ck_assert_uint_lt(t, THREADS);
			ck_assert_uint_lt(seq, PER_THREAD);
			ck_assert_msg(!seen[t][seq], "thread %u entry %u twice", t, seq);
			ck_assert_msg(seq == next[t], "thread %u: %u before %u", t, seq, next[t]);
			seen[t][seq] = 1;
			next[t]++;
			handled++;
		}
	}
	for (uint32_t t = 0; t < THREADS; t++)
		ck_assert_uint_eq(next[t], PER_THREAD);
	ck_assert_uint_eq(handled, THREADS * PER_THREAD);
	EXPECT_INVQ_STATS(q,
			  .pushed = WANT(THREADS * PER_THREAD),
			  .sent = WANT(THREADS * PER_THREAD),
			  .ioctls = WANT((uint64_t)nbatch));
	st = tu_invq_stats(q);
	/* batches carried up to the capacity: they were flushed when full */
	ck_assert_uint_le(st.ioctls, THREADS * PER_THREAD / 8 * 2 + 16);
	if (_i) {
		ck_assert_uint_gt(st.failures, 0);
		ck_assert_int_gt(retries, 0);
	} else {
		ck_assert_uint_eq(st.failures, 0);
	}
	nestio_invq_unref(q);
}

int main(void)
{
	Suite *s = suite_create("invq");
	TCase *tc;

	tc = fk_tcase(s, "payloads", rec_setup, rec_teardown);
	tcase_add_test(tc, test_vtd_payload);
	tcase_add_test(tc, test_smmuv3_payload);
	tcase_add_test(tc, test_raw_payload);
	tcase_add_test(tc, test_full_queue_flushes);
	tcase_add_test(tc, test_push_many);
	tcase_add_test(tc, test_partial_completion);
	tcase_add_test(tc, test_impossible_counts);
	tcase_add_test(tc, test_fail_struct_sizes);
	tcase_add_test(tc, test_stats_sizes);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_pins_base);

	tc = fk_tcase(s, "threads", rec_setup, rec_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_concurrent_pushers, 0, 2);
	return tu_run(s);
}
