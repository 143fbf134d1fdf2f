// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: the invalidation queue against the fake kernel. A
 * recorder answers IOMMU_HWPT_INVALIDATE: it keeps every batch (header and
 * the entries as the kernel would read them) and answers from a script, so
 * a test can make the "kernel" confirm k of n entries and fail, or write
 * back a count that cannot be right.
 */
#include <endian.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakekernel.h"

#define TOP_PAGE ((1ull << 52) - 1)		/* the last 4 KiB page of 2^64 */
#define PG(p) ((uint64_t)(p) << 12)

/* ------------------------------------------------------------ recorder */

struct batch {
	uint32_t size, hwpt_id, data_type, entry_len, entry_num, reserved;
	uint32_t handled;		/* what the recorder confirmed */
	size_t off;			/* the entries, in elog */
};

static struct batch batches[32768];
static int nbatch;
static uint8_t elog[4u << 20];
static size_t elog_len;

/* answers: fk_answers(); past the script all handled, success */
static int fail_every;			/* > 0: every Nth call confirms half, EIO */

static void rec_reset(void)
{
	nbatch = 0;
	elog_len = 0;
	fk_answers(0, NULL);
	fail_every = 0;
	tu_ncalls = 0;
}

static int inv_answer(int fd, unsigned long request, void *arg)
{
	struct kabi_hwpt_invalidate *c = arg;
	struct fk_answer dflt = { .all = true };
	struct batch *b;
	size_t bytes;

	if (request == KABI_IOMMU_VIOMMU_ALLOC) {
		((struct kabi_viommu_alloc *)arg)->out_viommu_id = fk_next_id++;
		return 0;
	}
	if (request != KABI_IOMMU_HWPT_INVALIDATE)
		return fake_kernel(fd, request, arg);
	ck_assert_int_lt(nbatch, (int)ARRAY_SIZE(batches));
	b = &batches[nbatch++];
	*b = (struct batch){ c->size, c->hwpt_id, c->data_type, c->entry_len,
			     c->entry_num, c->reserved, 0, elog_len };
	bytes = (size_t)c->entry_num * c->entry_len;
	ck_assert_uint_le(elog_len + bytes, sizeof(elog));
	memcpy(elog + elog_len, (void *)(uintptr_t)c->data_uptr, bytes);
	elog_len += bytes;
	if (fail_every && nbatch % fail_every == 0)
		dflt = (struct fk_answer){ .err = EIO, .handled = c->entry_num / 2 };
	return fk_answer_invalidate(c, &dflt, &b->handled);
}

static const uint8_t *bent(int b, uint32_t i)
{
	return elog + batches[b].off + (size_t)i * batches[b].entry_len;
}

/* ------------------------------------------------------------- fixture */

static struct nestio_hwpt *parent, *nested;
static struct nestio_viommu *viommu;
static uint32_t nested_id, viommu_id;

static void setup(void)
{
	setup_objs();
	tu_seam_answer = inv_answer;
	new_nest_objs(&parent, &nested, &viommu);
	nested_id = nestio_hwpt_get_id(nested);
	viommu_id = nestio_viommu_get_id(viommu);
	ck_assert_uint_ne(viommu_id, 0);
	rec_reset();
	fk_nev = 0;
}

static void teardown(void)
{
	nested = nestio_hwpt_unref(nested);
	viommu = nestio_viommu_unref(viommu);
	parent = nestio_hwpt_unref(parent);
	teardown_objs();
}

static struct nestio_invq *new_q(bool on_viommu, uint32_t type,
				 unsigned int flags, uint32_t capacity)
{
	struct nestio_invq_opts o = { .sz = sizeof(o), .capacity = capacity,
				      .flags = flags };
	struct nestio_invq *q = NULL;
	int r;

	r = on_viommu ? nestio_invq_new_viommu(viommu, type, &o, &q)
		      : nestio_invq_new(nested, type, &o, &q);
	ck_assert_int_eq(r, 0);
	ck_assert_ptr_nonnull(q);
	return q;
}

static struct nestio_invq *vtd_q(unsigned int flags, uint32_t capacity)
{
	return new_q(false, NESTIO_INV_VTD_S1, flags, capacity);
}

static struct nestio_invq *smmu_q(unsigned int flags, uint32_t capacity)
{
	return new_q(true, NESTIO_INV_ARM_SMMUV3, flags, capacity);
}

#define VTD(a, n, f) ((struct nestio_inv_vtd){ .addr = (a), .npages = (n), .flags = (f) })
#define LEAF NESTIO_INV_VTD_LEAF
#define ALL NESTIO_INV_VTD_ALL

static void push_vtds(struct nestio_invq *q, const struct nestio_inv_vtd *e,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(nestio_invq_push(q, &e[i], sizeof(e[i])), 0);
}

/* batch b carries exactly these VT-d entries, in the kernel's form */
static void expect_vtd_batch(int b, const struct nestio_inv_vtd *want, uint32_t n)
{
	ck_assert_int_lt(b, nbatch);
	ck_assert_uint_eq(batches[b].size, sizeof(struct kabi_hwpt_invalidate));
	ck_assert_uint_eq(batches[b].hwpt_id, nested_id);
	ck_assert_uint_eq(batches[b].data_type, KABI_HWPT_INVALIDATE_DATA_VTD_S1);
	ck_assert_uint_eq(batches[b].entry_len,
			  sizeof(struct kabi_hwpt_vtd_s1_invalidate));
	ck_assert_uint_eq(batches[b].entry_num, n);
	ck_assert_uint_eq(batches[b].reserved, 0);
	for (uint32_t i = 0; i < n; i++) {
		struct kabi_hwpt_vtd_s1_invalidate k = {
			.addr = want[i].addr,
			.npages = want[i].npages,
			.flags = want[i].flags & LEAF ? KABI_VTD_INV_FLAGS_LEAF : 0,
		};

		ck_assert_msg(!memcmp(bent(b, i), &k, sizeof(k)),
			      "batch %d entry %u differs", b, i);
	}
}

#define SMMU(c0, c1) ((struct nestio_inv_smmuv3){ .cmd = { (c0), (c1) } })

static void expect_smmu_batch(int b, const struct nestio_inv_smmuv3 *want,
			      uint32_t n)
{
	ck_assert_int_lt(b, nbatch);
	ck_assert_uint_eq(batches[b].hwpt_id, viommu_id);
	ck_assert_uint_eq(batches[b].data_type, KABI_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3);
	ck_assert_uint_eq(batches[b].entry_len,
			  sizeof(struct kabi_viommu_arm_smmuv3_invalidate));
	ck_assert_uint_eq(batches[b].entry_num, n);
	ck_assert_uint_eq(batches[b].reserved, 0);
	for (uint32_t i = 0; i < n; i++) {
		struct kabi_viommu_arm_smmuv3_invalidate k = {
			.cmd = { htole64(want[i].cmd[0]), htole64(want[i].cmd[1]) },
		};

		ck_assert_msg(!memcmp(bent(b, i), &k, sizeof(k)),
			      "batch %d entry %u differs: %#llx %#llx", b, i,
			      (unsigned long long)le64toh(((const uint64_t *)(const void *)bent(b, i))[0]),
			      (unsigned long long)want[i].cmd[0]);
	}
}

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
END_TEST

/* ========================================================= VT-d coalescing */

struct vtd_case {
	const char *name;
	struct nestio_inv_vtd in[6], out[6];
	uint32_t nin, nout;
};

#define TOP PG(TOP_PAGE)
static const struct vtd_case vtd_cases[] = {
	{ "overlap", { VTD(0x1000, 4, 0), VTD(0x3000, 4, 0) }, { VTD(0x1000, 6, 0) }, 2, 1 },
	{ "adjacent", { VTD(0x1000, 2, 0), VTD(0x3000, 2, 0) }, { VTD(0x1000, 4, 0) }, 2, 1 },
	{ "adjacent below", { VTD(0x3000, 2, LEAF), VTD(0x1000, 2, LEAF) },
	  { VTD(0x1000, 4, LEAF) }, 2, 1 },
	{ "gap", { VTD(0x1000, 1, 0), VTD(0x3000, 1, 0) },
	  { VTD(0x1000, 1, 0), VTD(0x3000, 1, 0) }, 2, 2 },
	{ "duplicate", { VTD(0x5000, 3, LEAF), VTD(0x5000, 3, LEAF), VTD(0x5000, 3, LEAF) },
	  { VTD(0x5000, 3, LEAF) }, 3, 1 },
	{ "contained", { VTD(0, 16, 0), VTD(0x4000, 1, 0) }, { VTD(0, 16, 0) }, 2, 1 },
	{ "flags differ", { VTD(0x1000, 2, LEAF), VTD(0x1000, 2, 0), VTD(0x3000, 1, LEAF) },
	  { VTD(0x1000, 3, LEAF), VTD(0x1000, 2, 0) }, 3, 2 },
	{ "order kept", { VTD(0x9000, 1, 0), VTD(0x5000, 1, 0), VTD(0x1000, 1, LEAF) },
	  { VTD(0x9000, 1, 0), VTD(0x5000, 1, 0), VTD(0x1000, 1, LEAF) }, 3, 3 },
	{ "first position", { VTD(0x5000, 1, 0), VTD(0x1000, 1, 0), VTD(0x6000, 1, 0) },
	  { VTD(0x5000, 2, 0), VTD(0x1000, 1, 0) }, 3, 2 },
	{ "a merge takes its earliest position", { VTD(0x3000, 1, 0), VTD(0x9000, 1, 0),
	  VTD(0x2000, 1, 0) }, { VTD(0x2000, 2, 0), VTD(0x9000, 1, 0) }, 3, 2 },
	{ "chain", { VTD(0x1000, 1, 0), VTD(0x5000, 1, 0), VTD(0x3000, 2, 0), VTD(0x2000, 1, 0) },
	  { VTD(0x1000, 5, 0) }, 4, 1 },
	{ "full flush covers all", { VTD(0x1000, 1, LEAF), VTD(0, ALL, 0), VTD(0x8000, 9, 0) },
	  { VTD(0, ALL, 0) }, 3, 1 },
	{ "leaf full flush covers leaf", { VTD(0x1000, 1, LEAF), VTD(0x2000, 1, 0),
	  VTD(0, ALL, LEAF), VTD(0x7000, 1, LEAF) },
	  { VTD(0x2000, 1, 0), VTD(0, ALL, LEAF) }, 4, 2 },
	{ "leaf full flush under a full flush", { VTD(0, ALL, LEAF), VTD(0x1000, 1, 0),
	  VTD(0, ALL, 0), VTD(0, ALL, LEAF) },
	  { VTD(0, ALL, 0) }, 4, 1 },
	{ "full flushes twice", { VTD(0, ALL, 0), VTD(0, ALL, 0) }, { VTD(0, ALL, 0) }, 2, 1 },
	{ "leaf full flush keeps non-leaf", { VTD(0x3000, 1, 0), VTD(0, ALL, LEAF), VTD(0x4000, 1, 0) },
	  { VTD(0x3000, 2, 0), VTD(0, ALL, LEAF) }, 3, 2 },
	{ "top of the space", { VTD(TOP, 1, 0), VTD(TOP - 0x1000, 1, 0) },
	  { VTD(TOP - 0x1000, 2, 0) }, 2, 1 },
	{ "top overlap", { VTD(TOP - 0x3000, 4, LEAF), VTD(TOP - 0x1000, 2, LEAF) },
	  { VTD(TOP - 0x3000, 4, LEAF) }, 2, 1 },
	{ "whole space as a range", { VTD(0, 1ull << 51, 0), VTD(PG(1ull << 51), 1ull << 51, 0) },
	  { VTD(0, 1ull << 52, 0) }, 2, 1 },
	{ "whole range is not a full flush", { VTD(0, 1ull << 52, 0), VTD(0x1000, 1, LEAF) },
	  { VTD(0, 1ull << 52, 0), VTD(0x1000, 1, LEAF) }, 2, 2 },
	{ "full flush and top", { VTD(TOP, 1, 0), VTD(0, ALL, 0) }, { VTD(0, ALL, 0) }, 2, 1 },
};

START_TEST(test_vtd_coalesce)
{
	const struct vtd_case *c = &vtd_cases[_i];
	struct nestio_invq *q = vtd_q(NESTIO_INVQ_COALESCE, 0);

	push_vtds(q, c->in, c->nin);
	ck_assert_msg(nestio_invq_flush(q, NULL) == (int)c->nout, "%s", c->name);
	ck_assert_int_eq(nbatch, 1);
	expect_vtd_batch(0, c->out, c->nout);
	EXPECT_INVQ_STATS(q,
			  .pushed = WANT(c->nin), .merged = WANT(c->nin - c->nout),
			  .sent = WANT(c->nout));
	nestio_invq_unref(q);

	/* without COALESCE the same input goes out as it is */
	rec_reset();
	q = vtd_q(0, 0);
	push_vtds(q, c->in, c->nin);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), (int)c->nin);
	expect_vtd_batch(0, c->in, c->nin);
	EXPECT_INVQ_STATS(q, .merged = WANT(0));
	nestio_invq_unref(q);
}
END_TEST

/* a failure after coalescing keeps the coalesced entries, in order */
START_TEST(test_vtd_coalesce_failure)
{
	struct nestio_invq *q = vtd_q(NESTIO_INVQ_COALESCE, 0);
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	static const struct nestio_inv_vtd in[] = {
		VTD(0x1000, 1, 0), VTD(0x9000, 1, 0), VTD(0x2000, 1, 0), VTD(0x20000, 1, LEAF),
	};
	static const struct nestio_inv_vtd out[] = {
		VTD(0x1000, 2, 0), VTD(0x9000, 1, 0), VTD(0x20000, 1, LEAF),
	};

	push_vtds(q, in, 4);
	fk_answers(1, &(struct fk_answer){ .err = EINVAL, .handled = 1 });
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EINVAL);
	expect_vtd_batch(0, out, 3);
	ck_assert_uint_eq(fail.index, 1);
	ck_assert(!memcmp(fail.entry, &out[1], sizeof(out[1])));
	ck_assert_int_eq(nestio_invq_pending(q), 2);
	EXPECT_INVQ_STATS(q, .merged = WANT(1));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 2);
	expect_vtd_batch(1, &out[1], 2);
	EXPECT_INVQ_STATS(q, .merged = WANT(1));
	nestio_invq_unref(q);
}
END_TEST

/* --------------------------------------------- VT-d: randomized property */

/* the model: per page, 0 nothing, 1 leaf, 2 non-leaf (which covers leaf) */
static int vtd_level(const struct nestio_inv_vtd *e, size_t n, uint64_t page)
{
	int lvl = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t first = e[i].addr >> 12;
		bool in = e[i].npages == ALL ||
			  (page >= first && page - first < e[i].npages);
		int l = e[i].flags & LEAF ? 1 : 2;

		if (in && l > lvl)
			lvl = l;
	}
	return lvl;
}

static uint32_t rnd(unsigned int *seed, uint32_t n)
{
	return (uint32_t)(rand_r(seed) % n);
}

START_TEST(test_vtd_coalesce_random)
{
	unsigned int seed = 0x5eed0000u + (unsigned int)_i;
	struct nestio_inv_vtd in[64], out[64];
	uint32_t n = 1 + rnd(&seed, 63), nout;
	struct nestio_invq *q = vtd_q(NESTIO_INVQ_COALESCE, 64);
	int r;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t kind = rnd(&seed, 20);
		uint32_t flags = rnd(&seed, 2) ? LEAF : 0;

		if (kind == 0) {
			in[i] = VTD(0, ALL, flags);
		} else if (kind == 1) {		/* near the top of the space */
			uint64_t back = rnd(&seed, 8);

			in[i] = VTD(PG(TOP_PAGE - back), 1 + rnd(&seed, (uint32_t)back + 1), flags);
		} else {
			in[i] = VTD(PG(rnd(&seed, 64)), 1 + rnd(&seed, 8), flags);
		}
	}
	push_vtds(q, in, n);
	r = nestio_invq_flush(q, NULL);
	ck_assert_int_gt(r, 0);
	ck_assert_int_le(r, (int)n);
	nout = (uint32_t)r;
	ck_assert_int_eq(nbatch, 1);
	ck_assert_uint_eq(batches[0].entry_num, nout);
	for (uint32_t i = 0; i < nout; i++) {
		struct kabi_hwpt_vtd_s1_invalidate k;

		memcpy(&k, bent(0, i), sizeof(k));
		ck_assert_uint_eq(k.reserved, 0);
		out[i] = VTD(k.addr, k.npages, k.flags ? LEAF : 0);
		/* a valid entry */
		ck_assert_uint_eq(k.addr & 0xfff, 0);
		ck_assert_uint_ne(k.npages, 0);
		ck_assert(k.npages == ALL ? k.addr == 0
					  : k.npages <= (1ull << 52) - (k.addr >> 12));
	}
	EXPECT_INVQ_STATS(q, .merged = WANT(n - nout));
	/* the same (page, level) everywhere it could differ */
	for (uint64_t p = 0; p < 80; p++)
		ck_assert_msg(vtd_level(in, n, p) == vtd_level(out, nout, p),
			      "seed %d page %llu", _i, (unsigned long long)p);
	for (uint64_t p = TOP_PAGE - 12; p <= TOP_PAGE; p++)
		ck_assert_int_eq(vtd_level(in, n, p), vtd_level(out, nout, p));
	ck_assert_int_eq(vtd_level(in, n, 1ull << 40), vtd_level(out, nout, 1ull << 40));
	/* and nothing left to merge: a non-leaf full flush stands alone,
	 * same flags never overlap or touch */
	for (uint32_t i = 0; i < nout; i++)
		if (out[i].npages == ALL && !out[i].flags)
			ck_assert_uint_eq(nout, 1);
	for (uint32_t i = 0; i < nout; i++)
		for (uint32_t j = 0; j < nout; j++) {
			uint64_t fi = out[i].addr >> 12, fj = out[j].addr >> 12;

			if (i == j || out[i].flags != out[j].flags)
				continue;
			ck_assert(out[i].npages != ALL);
			ck_assert_msg(fj > fi + out[i].npages || fj < fi,
				      "seed %d: %u and %u could merge", _i, i, j);
		}
	nestio_invq_unref(q);
}
END_TEST

/* ====================================================== SMMUv3 coalescing */

#define NH_VA(asid, va) SMMU(0x12 | (uint64_t)(asid) << 48, (uint64_t)(va) << 12)
#define NH_VAA(va) SMMU(0x13, (uint64_t)(va) << 12)
#define NH_ASID(asid) SMMU(0x11 | (uint64_t)(asid) << 48, 0)
#define NH_ALL SMMU(0x10, 0)
#define NSNH_ALL SMMU(0x30, 0)
#define S12_VMALL SMMU(0x28, 0)
#define ATC(sid, a) SMMU(0x40 | (uint64_t)(sid) << 32, (uint64_t)(a) << 12)
#define CFGI_STE(sid) SMMU(0x03 | (uint64_t)(sid) << 32, 0)
#define CFGI_CD(sid) SMMU(0x05 | (uint64_t)(sid) << 32, 0)
#define CMD_SYNC SMMU(0x46, 0)
#define OP(op) SMMU((op), 0)

struct smmu_case {
	const char *name;
	struct nestio_inv_smmuv3 in[6], out[6];
	uint32_t nin, nout;
};

static const struct smmu_case smmu_cases[] = {
	{ "duplicate", { NH_VA(1, 5), NH_VA(1, 5) }, { NH_VA(1, 5) }, 2, 1 },
	{ "not a duplicate", { NH_VA(1, 5), NH_VA(2, 5), NH_VA(1, 6) },
	  { NH_VA(1, 5), NH_VA(2, 5), NH_VA(1, 6) }, 3, 3 },
	{ "duplicate keeps the first", { NH_VA(1, 5), ATC(1, 0), NH_VA(1, 5) },
	  { NH_VA(1, 5), ATC(1, 0) }, 3, 2 },
	{ "nothing crosses a CFGI", { NH_VA(1, 5), CFGI_STE(1), NH_VA(1, 5) },
	  { NH_VA(1, 5), CFGI_STE(1), NH_VA(1, 5) }, 3, 3 },
	{ "CFGI twice stays twice", { CFGI_CD(2), CFGI_CD(2) },
	  { CFGI_CD(2), CFGI_CD(2) }, 2, 2 },
	{ "NH_ALL covers later", { NH_ALL, NH_VA(1, 5), NH_VAA(3), NH_ASID(2) },
	  { NH_ALL }, 4, 1 },
	{ "NH_ALL covers earlier", { NH_VA(1, 5), NH_ASID(2), NH_ALL }, { NH_ALL }, 3, 1 },
	{ "not across an ATC_INV", { NH_VA(1, 5), ATC(1, 0), NH_ALL },
	  { NH_VA(1, 5), ATC(1, 0), NH_ALL }, 3, 3 },
	{ "NH_ALL in its segment only", { NH_ALL, CFGI_STE(1), NH_VA(1, 5) },
	  { NH_ALL, CFGI_STE(1), NH_VA(1, 5) }, 3, 3 },
	{ "NH_ALL in its segment only (before)", { NH_VA(1, 5), CFGI_CD(1), NH_ALL, NH_VA(1, 6) },
	  { NH_VA(1, 5), CFGI_CD(1), NH_ALL }, 4, 3 },
	{ "NSNH_ALL covers", { NSNH_ALL, NH_ASID(4), NH_VA(4, 1) }, { NSNH_ALL }, 3, 1 },
	{ "NH_ALL twice", { NH_ALL, ATC(1, 0), NH_ALL }, { NH_ALL, ATC(1, 0) }, 3, 2 },
	{ "S12_VMALL is not covered", { NH_ALL, S12_VMALL, S12_VMALL },
	  { NH_ALL, S12_VMALL }, 3, 2 },
	{ "ATC duplicate", { ATC(1, 0), ATC(2, 0), ATC(1, 0) }, { ATC(1, 0), ATC(2, 0) }, 3, 2 },
	{ "ATC duplicate after a TLBI", { ATC(1, 0), NH_VA(1, 5), ATC(1, 0) },
	  { ATC(1, 0), NH_VA(1, 5), ATC(1, 0) }, 3, 3 },
	{ "CMD_SYNC is a barrier", { NH_VA(1, 5), CMD_SYNC, NH_VA(1, 5), NH_ALL },
	  { NH_VA(1, 5), CMD_SYNC, NH_ALL }, 4, 3 },
};

static void push_smmus(struct nestio_invq *q, const struct nestio_inv_smmuv3 *e,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(nestio_invq_push(q, &e[i], sizeof(e[i])), 0);
}

START_TEST(test_smmu_coalesce)
{
	const struct smmu_case *c = &smmu_cases[_i];
	struct nestio_invq *q = smmu_q(NESTIO_INVQ_COALESCE, 0);

	push_smmus(q, c->in, c->nin);
	ck_assert_msg(nestio_invq_flush(q, NULL) == (int)c->nout, "%s", c->name);
	ck_assert_int_eq(nbatch, 1);
	expect_smmu_batch(0, c->out, c->nout);
	EXPECT_INVQ_STATS(q, .merged = WANT(c->nin - c->nout));
	nestio_invq_unref(q);
}
END_TEST

/* every configuration opcode is a barrier */
START_TEST(test_smmu_barriers)
{
	for (uint64_t op = 0x01; op <= 0x0f; op++) {
		const struct nestio_inv_smmuv3 in[] = {
			NH_VA(1, 5), OP(op | 7ull << 32), NH_VA(1, 5), NH_ALL, OP(op),
			NH_ASID(1),
		};
		struct nestio_invq *q = smmu_q(NESTIO_INVQ_COALESCE, 0);

		rec_reset();
		push_smmus(q, in, ARRAY_SIZE(in));
		/* only the VA under the NH_ALL of the middle segment goes */
		ck_assert_int_eq(nestio_invq_flush(q, NULL), 5);
		expect_smmu_batch(0, (const struct nestio_inv_smmuv3[]){
			in[0], in[1], in[3], in[4], in[5] }, 5);
		nestio_invq_unref(q);
	}
}
END_TEST

static bool is_atc(const uint8_t *k)
{
	uint64_t c0;

	memcpy(&c0, k, sizeof(c0));
	return (le64toh(c0) & 0xff) == 0x40;
}

START_TEST(test_atc_separate)
{
	const struct nestio_inv_smmuv3 in[] = {
		NH_VA(1, 1), NH_VA(1, 2), ATC(1, 0), ATC(2, 0), NH_ASID(3),
		CFGI_STE(1), ATC(1, 1),
	};
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_invq *q = smmu_q(NESTIO_INVQ_ATC_SEPARATE, 0);

	push_smmus(q, in, ARRAY_SIZE(in));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 7);
	ck_assert_int_eq(nbatch, 4);
	expect_smmu_batch(0, &in[0], 2);
	expect_smmu_batch(1, &in[2], 2);
	expect_smmu_batch(2, &in[4], 2);
	expect_smmu_batch(3, &in[6], 1);
	EXPECT_INVQ_STATS(q, .ioctls = WANT(4));

	/* the second batch fails after one: the first stays sent; the one
	 * before the failed entry is sent again on its own (SMMUv3's count
	 * may cover commands the kernel never issued) */
	rec_reset();
	push_smmus(q, in, ARRAY_SIZE(in));
	fk_answers(2, (const struct fk_answer[]){ { .all = true },
					    { .err = EIO, .handled = 1 } });
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EIO);
	ck_assert_int_eq(nbatch, 3);
	expect_smmu_batch(2, &in[2], 1);		/* the re-send */
	ck_assert_uint_eq(fail.index, 1);		/* within its batch */
	ck_assert(!memcmp(fail.entry, &in[3], sizeof(in[3])));
	ck_assert_int_eq(nestio_invq_pending(q), 4);
	EXPECT_INVQ_STATS(q,
			  .sent = WANT(7 + 3), .failures = WANT(1),
			  .ioctls = WANT(4 + 3));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 4);
	expect_smmu_batch(3, &in[3], 1);
	expect_smmu_batch(4, &in[4], 2);
	expect_smmu_batch(5, &in[6], 1);
	nestio_invq_unref(q);

	/* without the quirk: one ioctl */
	rec_reset();
	q = smmu_q(0, 0);
	push_smmus(q, in, ARRAY_SIZE(in));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 7);
	ck_assert_int_eq(nbatch, 1);
	expect_smmu_batch(0, in, 7);
	nestio_invq_unref(q);
}
END_TEST

/* ------------------------------------------- SMMUv3: randomized property */

/*
 * The model: 6 TLB entries (ASID 1..2 x VA 0..2) and 4 ATC entries (SID
 * 1..2 x address 0..1), all stale at the start of a segment. A TLB
 * invalidation cleans what it names. An ATC_INV cleans its entry, but the
 * device may refill it at once from the TLB: the entry ends as stale as
 * the TLB was at the last ATC_INV that named it. Two segment runs are
 * equivalent when they leave the same state.
 */
struct smmu_state {
	uint32_t tlb;		/* stale bits, (asid - 1) * 3 + va */
	uint32_t atc[4];	/* (sid - 1) * 2 + addr: TLB bits it may hold */
};

static bool smmu_is_barrier(const struct nestio_inv_smmuv3 *e)
{
	switch (e->cmd[0] & 0xff) {
	case 0x10: case 0x11: case 0x12: case 0x13: case 0x28: case 0x30: case 0x40:
		return false;
	}
	return true;
}

static void smmu_run(struct smmu_state *s, const struct nestio_inv_smmuv3 *e)
{
	uint32_t asid = (uint32_t)(e->cmd[0] >> 48), va = (uint32_t)(e->cmd[1] >> 12);
	uint32_t sid = (uint32_t)(e->cmd[0] >> 32) & 0xffff;

	switch (e->cmd[0] & 0xff) {
	case 0x12: s->tlb &= ~(1u << ((asid - 1) * 3 + va)); break;
	case 0x13: s->tlb &= ~(1u << va | 1u << (3 + va)); break;
	case 0x11: s->tlb &= ~(7u << ((asid - 1) * 3)); break;
	case 0x10: case 0x30: case 0x28: s->tlb = 0; break;
	case 0x40: s->atc[(sid - 1) * 2 + va] = s->tlb; break;
	}
}

static struct nestio_inv_smmuv3 smmu_random(unsigned int *seed)
{
	uint32_t a = 1 + rnd(seed, 2), v = rnd(seed, 3);

	switch (rnd(seed, 14)) {
	case 0: case 1: case 2: return NH_VA(a, v);
	case 3: return NH_VAA(v);
	case 4: return NH_ASID(a);
	case 5: return NH_ALL;
	case 6: return NSNH_ALL;
	case 7: return S12_VMALL;
	case 8: case 9: case 10: return ATC(a, v & 1);
	case 11: return CFGI_STE(a);
	case 12: return CFGI_CD(a);
	default: return CMD_SYNC;
	}
}

START_TEST(test_smmu_coalesce_random)
{
	unsigned int seed = 0xc0ffee00u + (unsigned int)_i;
	unsigned int flags = NESTIO_INVQ_COALESCE |
			     (_i & 1 ? NESTIO_INVQ_ATC_SEPARATE : 0);
	struct nestio_inv_smmuv3 in[64], out[64];
	uint32_t n = 1 + rnd(&seed, 63), nout = 0, j = 0;
	struct nestio_invq *q = smmu_q(flags, 64);
	struct smmu_state si = { 0x3f, { 0x3f, 0x3f, 0x3f, 0x3f } }, so = si;
	int r;

	for (uint32_t i = 0; i < n; i++)
		in[i] = smmu_random(&seed);
	push_smmus(q, in, n);
	r = nestio_invq_flush(q, NULL);
	ck_assert_int_gt(r, 0);
	for (int b = 0; b < nbatch; b++) {
		for (uint32_t i = 0; i < batches[b].entry_num; i++) {
			uint64_t w[2];

			memcpy(w, bent(b, i), sizeof(w));
			out[nout++] = SMMU(le64toh(w[0]), le64toh(w[1]));
			/* ATC_SEPARATE: a batch is all ATC_INV or none */
			if (flags & NESTIO_INVQ_ATC_SEPARATE)
				ck_assert_int_eq(is_atc(bent(b, i)), is_atc(bent(b, 0)));
		}
		if (b && flags & NESTIO_INVQ_ATC_SEPARATE)
			ck_assert_int_ne(is_atc(bent(b, 0)), is_atc(bent(b - 1, 0)));
	}
	if (!(flags & NESTIO_INVQ_ATC_SEPARATE))
		ck_assert_int_eq(nbatch, 1);
	ck_assert_int_eq(r, (int)nout);
	EXPECT_INVQ_STATS(q, .merged = WANT(n - nout));
	/* a subsequence, with every barrier kept, and per segment the same
	 * end state */
	for (uint32_t i = 0; i < n; i++) {
		bool kept = j < nout && !memcmp(&in[i], &out[j], sizeof(in[i]));

		if (smmu_is_barrier(&in[i])) {
			ck_assert_msg(kept, "seed %d: barrier %u dropped or moved", _i, i);
			ck_assert_msg(si.tlb == so.tlb && !memcmp(si.atc, so.atc, sizeof(si.atc)),
				      "seed %d: segment before %u differs", _i, i);
			si = so = (struct smmu_state){ 0x3f, { 0x3f, 0x3f, 0x3f, 0x3f } };
			j++;
			continue;
		}
		smmu_run(&si, &in[i]);
		if (kept)
			smmu_run(&so, &out[j++]);
	}
	ck_assert_msg(j == nout, "seed %d: not a subsequence", _i);
	ck_assert_msg(si.tlb == so.tlb && !memcmp(si.atc, so.atc, sizeof(si.atc)),
		      "seed %d: last segment differs", _i);
	nestio_invq_unref(q);
}
END_TEST

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
END_TEST

int main(void)
{
	Suite *s = suite_create("invq");
	TCase *tc;

	tc = fk_tcase(s, "payloads", setup, teardown);
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

	tc = fk_tcase(s, "coalesce", setup, teardown);
	tcase_add_loop_test(tc, test_vtd_coalesce, 0, ARRAY_SIZE(vtd_cases));
	tcase_add_test(tc, test_vtd_coalesce_failure);
	tcase_add_loop_test(tc, test_vtd_coalesce_random, 0, 300);
	tcase_add_loop_test(tc, test_smmu_coalesce, 0, ARRAY_SIZE(smmu_cases));
	tcase_add_test(tc, test_smmu_barriers);
	tcase_add_test(tc, test_atc_separate);
	tcase_add_loop_test(tc, test_smmu_coalesce_random, 0, 300);

	tc = fk_tcase(s, "threads", setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_concurrent_pushers, 0, 2);
	return tu_run(s);
}
