// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The invalidation queue under ThreadSanitizer (`make check-tsan`, built
 * with clang -fsanitize=thread): threads push to a VT-d queue (one entry
 * at a time and in bursts) and to an SMMUv3 queue, others flush both and
 * read their counters, others send direct batches (nestio_hwpt_invalidate,
 * nestio_viommu_invalidate) to the same nested hwpt and vIOMMU, all at
 * once, against the tier-1 fake kernel behind the ioctl seam. Every 7th
 * VT-d call fails halfway (EIO). TSan reports any data race or lock-order
 * problem; at the end every entry must have been confirmed by the
 * "kernel" exactly once, in its thread's order, and each queue's counters
 * must balance with what the kernel saw.
 *
 * The kernel's answer keeps its books with relaxed atomics only: it adds
 * no happens-before edge between the threads that TSan could take for the
 * library's own synchronisation.
 */
#include <endian.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "fakekernel.h"

#define PUSHERS 4		/* VT-d queue: 0, 1 one by one; 2, 3 in bursts */
#define SPUSHERS 2		/* SMMUv3 queue */
#define FLUSHERS 2
#define DIRECTS 2		/* each: VT-d batches, then SMMUv3 batches */
#define THREADS (PUSHERS + SPUSHERS + FLUSHERS + DIRECTS)
#define PER 3000		/* entries per pushing or direct thread */
#define BURST 8
#define DIRECT_BATCH 16
#define FAIL_EVERY 7		/* every Nth VT-d call: half done, EIO */

/* Entry ids: thread t, sequence s. VT-d: addr = t << 32 | s << 12;
 * SMMUv3: TLBI_NH_VA with ASID t, VA s << 12. Queue threads are 0..5,
 * direct threads 8, 9. */
#define NT 10
#define VTD_ADDR(t, s) ((uint64_t)(t) << 32 | (uint64_t)(s) << 12)
#define SMMU_CMD0(t) (0x12ull | (uint64_t)(t) << 48)
#define SMMU_CMD1(s) ((uint64_t)(s) << 12 | 1)

static struct nestio_hwpt *parent, *nested;
static struct nestio_viommu *viommu;
static struct nestio_invq *vq, *sq;

/* the kernel's books: relaxed atomics, read after the threads joined */
static uint8_t confirmed[NT][PER];	/* times each entry was confirmed */
static uint32_t next_seq[NT];		/* per thread: the next in order */
static unsigned vtd_calls, q_calls[2], q_failures[2];
static unsigned bad;			/* malformed, out of order, unknown */
static unsigned pushers_left;
static char bad_what[128];

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)

static void kernel_bad(const char *what, uint32_t t, uint32_t s)
{
	if (ADD(&bad, 1) == 0)	/* the first only: one writer */
		snprintf(bad_what, sizeof(bad_what), "%s: thread %u entry %u",
			 what, t, s);
}

static void kernel_confirm(uint32_t t, uint32_t s)
{
	if (t >= NT || s >= PER) {
		kernel_bad("unknown entry", t, s);
		return;
	}
	ADD(&confirmed[t][s], 1);
	/* one queue's flushes are serialised by its mutex, one direct
	 * thread's calls by program order: each thread's entries in order */
	if (LOAD(&next_seq[t]) != s)
		kernel_bad("out of order", t, s);
	STORE(&next_seq[t], s + 1);
}

static int kernel_invalidate(struct kabi_hwpt_invalidate *c)
{
	const uint8_t *e = (const void *)(uintptr_t)c->data_uptr;
	uint32_t n = c->entry_num, done = n, t = NT;
	bool vtd = c->data_type == KABI_HWPT_INVALIDATE_DATA_VTD_S1;
	int err = 0;

	if (vtd && c->entry_len != sizeof(struct kabi_hwpt_vtd_s1_invalidate))
		kernel_bad("VT-d entry_len", c->entry_len, 0);
	if (!vtd && c->entry_len != sizeof(struct kabi_viommu_arm_smmuv3_invalidate))
		kernel_bad("SMMUv3 entry_len", c->entry_len, 0);
	if (vtd && (ADD(&vtd_calls, 1) + 1) % FAIL_EVERY == 0) {
		done = n / 2;
		err = EIO;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t et, s;

		if (vtd) {
			struct kabi_hwpt_vtd_s1_invalidate k;

			memcpy(&k, e + (size_t)i * c->entry_len, sizeof(k));
			et = (uint32_t)(k.addr >> 32);
			s = (uint32_t)(k.addr >> 12) & 0xfffff;
			if (k.npages != 1 || k.flags)
				kernel_bad("VT-d entry", et, s);
		} else {
			struct kabi_viommu_arm_smmuv3_invalidate k;

			memcpy(&k, e + (size_t)i * c->entry_len, sizeof(k));
			et = (uint32_t)(le64toh(k.cmd[0]) >> 48);
			s = (uint32_t)(le64toh(k.cmd[1]) >> 12);
			if ((le64toh(k.cmd[0]) & 0xff) != 0x12)
				kernel_bad("SMMUv3 command", et, s);
		}
		if (i == 0)
			t = et;
		else if ((et < PUSHERS + SPUSHERS) != (t < PUSHERS + SPUSHERS))
			kernel_bad("a queue's and a direct entry in one call", et, s);
		if (i < done)
			kernel_confirm(et, s);
	}
	if (t < PUSHERS + SPUSHERS) {	/* a queue's call: its counters */
		ADD(&q_calls[!vtd], 1);
		if (err)
			ADD(&q_failures[!vtd], 1);
	}
	c->entry_num = done;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static int answer(int fd, unsigned long request, void *arg)
{
	if (request == KABI_IOMMU_HWPT_INVALIDATE)
		return kernel_invalidate(arg);
	return fake_kernel(fd, request, arg);	/* set-up and teardown only */
}

/* ------------------------------------------------------------- threads */

struct worker {
	uint32_t id;
	uint64_t ops;		/* library calls made */
	int error;		/* an unexpected return, or 0 */
};

static void *vtd_pusher(void *arg)
{
	struct worker *w = arg;
	uint32_t s = 0;

	while (s < PER && !w->error) {
		int r;

		w->ops++;
		if (w->id < 2) {
			r = nestio_invq_push_vtd(vq, VTD_ADDR(w->id, s), 1, 0);
			if (!r)
				s++;
		} else {
			struct nestio_inv_vtd e[BURST];
			uint32_t n = PER - s < BURST ? PER - s : BURST;

			for (uint32_t i = 0; i < n; i++)
				e[i] = (struct nestio_inv_vtd){
					.addr = VTD_ADDR(w->id, s + i), .npages = 1 };
			r = nestio_invq_push_many(vq, e, sizeof(e[0]), n);
			if (r > 0)	/* short: the rest again */
				s += (uint32_t)r;
		}
		/* -EIO: a flush to make room failed; nothing of it queued */
		if (r < 0 && r != -EIO)
			w->error = r;
	}
	ADD(&pushers_left, -1u);
	return NULL;
}

static void *smmu_pusher(void *arg)
{
	struct worker *w = arg;

	for (uint32_t s = 0; s < PER && !w->error; s++) {
		w->ops++;
		w->error = nestio_invq_push_smmuv3(sq, SMMU_CMD0(w->id), SMMU_CMD1(s));
	}
	ADD(&pushers_left, -1u);
	return NULL;
}

static void *flusher(void *arg)
{
	struct worker *w = arg;

	while (LOAD(&pushers_left) && !w->error) {
		struct nestio_invq *q = w->ops & 1 ? sq : vq;
		struct nestio_invq_stats st = { .sz = sizeof(st) };
		int r = nestio_invq_flush(q, NULL);

		if (r < 0 && !(q == vq && r == -EIO))
			w->error = r;
		if (nestio_invq_pending(q) < 0 || nestio_invq_get_stats(q, &st))
			w->error = -1;
		if (st.sent > st.pushed)
			w->error = -2;
		w->ops += 3;
	}
	return NULL;
}

static void *direct(void *arg)
{
	struct worker *w = arg;

	for (uint32_t s = 0; s < PER && !w->error;) {
		struct nestio_inv_vtd e[DIRECT_BATCH];
		uint32_t n = PER - s < DIRECT_BATCH ? PER - s : DIRECT_BATCH;
		int r;

		for (uint32_t i = 0; i < n; i++)
			e[i] = (struct nestio_inv_vtd){
				.addr = VTD_ADDR(w->id, s + i), .npages = 1 };
		w->ops++;
		r = nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, e,
					   sizeof(e[0]), &n);
		if (r < 0 && r != -EIO)
			w->error = r;
		s += n;		/* done; from the failed one again */
	}
	/* then SMMUv3 commands to the vIOMMU, under a thread id of its own */
	for (uint32_t s = 0; s < PER && !w->error;) {
		struct nestio_inv_smmuv3 e[DIRECT_BATCH];
		uint32_t n = PER - s < DIRECT_BATCH ? PER - s : DIRECT_BATCH;

		for (uint32_t i = 0; i < n; i++)
			e[i] = (struct nestio_inv_smmuv3){
				.cmd = { SMMU_CMD0(w->id - 2), SMMU_CMD1(s + i) } };
		w->ops++;
		w->error = nestio_viommu_invalidate(viommu, NESTIO_INV_ARM_SMMUV3,
						    0, e, sizeof(e[0]), &n);
		s += n;
	}
	return NULL;
}

/* --------------------------------------------------------------- test */

static uint64_t queue_confirmed(uint32_t from, uint32_t to)
{
	uint64_t n = 0;

	for (uint32_t t = from; t < to; t++)
		for (uint32_t s = 0; s < PER; s++)
			n += confirmed[t][s];
	return n;
}

START_TEST(test_stress)
{
	void *(*fn[THREADS])(void *) = {
		vtd_pusher, vtd_pusher, vtd_pusher, vtd_pusher,
		smmu_pusher, smmu_pusher, flusher, flusher, direct, direct,
	};
	/* the ids the entries carry: direct threads 8, 9 (and 6, 7 for
	 * their SMMUv3 commands, ASIDs no queue thread uses) */
	const uint32_t id[THREADS] = { 0, 1, 2, 3, 4, 5, 0, 0, 8, 9 };
	struct nestio_invq_opts o = { .sz = sizeof(o), .capacity = 32 };
	struct worker w[THREADS];
	pthread_t th[THREADS];
	uint64_t ops = 0;
	uint32_t vpushed = PUSHERS * PER, spushed = SPUSHERS * PER;

	setup_objs();
	tu_seam_answer = answer;
	new_nest_objs(&parent, &nested, &viommu);
	ck_assert_int_eq(nestio_invq_new(nested, NESTIO_INV_VTD_S1, &o, &vq), 0);
	ck_assert_int_eq(nestio_invq_new_viommu(viommu, NESTIO_INV_ARM_SMMUV3, &o, &sq), 0);
	/* the seam's call log (one thread's) stays full: it only reads */
	tu_ncalls = (int)ARRAY_SIZE(tu_calls);
	pushers_left = PUSHERS + SPUSHERS;

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .id = id[i] };
		ck_assert_int_eq(pthread_create(&th[i], NULL, fn[i], &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_msg(!w[i].error, "thread %d: %d", i, w[i].error);
		ops += w[i].ops;
	}
	/* what is left: the VT-d queue may have failed last */
	while (nestio_invq_pending(vq) > 0)
		ck_assert_int_ge(nestio_invq_flush(vq, NULL), -EIO);
	ck_assert_int_ge(nestio_invq_flush(sq, NULL), 0);
	ck_assert_int_eq(nestio_invq_pending(vq), 0);
	ck_assert_int_eq(nestio_invq_pending(sq), 0);

	/* the kernel: everything once, in order, nothing it did not know */
	ck_assert_msg(!LOAD(&bad), "%u problems, first: %s", LOAD(&bad), bad_what);
	for (uint32_t t = 0; t < NT; t++)
		for (uint32_t s = 0; s < PER; s++)
			ck_assert_msg(confirmed[t][s] == 1,
				      "thread %u entry %u confirmed %u times", t, s,
				      confirmed[t][s]);
	/* the counters balance: pushed == confirmed by the kernel, nothing
	 * merged, pending or lost; calls and failures as the kernel saw them */
	ck_assert_uint_eq(queue_confirmed(0, PUSHERS), vpushed);
	ck_assert_uint_eq(queue_confirmed(PUSHERS, PUSHERS + SPUSHERS), spushed);
	EXPECT_INVQ_STATS(vq, .pushed = WANT(vpushed), .merged = WANT(0),
			  .sent = WANT(vpushed), .ioctls = WANT(q_calls[0]),
			  .failures = WANT(q_failures[0]));
	EXPECT_INVQ_STATS(sq, .pushed = WANT(spushed), .merged = WANT(0),
			  .sent = WANT(spushed), .ioctls = WANT(q_calls[1]),
			  .failures = WANT(0));
	ck_assert_uint_gt(q_failures[0], 0);	/* the failure path ran */

	printf("NESTIO-REL tsan.invq ops %" PRIu64 " threads %d\n", ops, THREADS);
	fflush(stdout);
	tu_ncalls = 0;
	vq = nestio_invq_unref(vq);
	sq = nestio_invq_unref(sq);
	nested = nestio_hwpt_unref(nested);
	viommu = nestio_viommu_unref(viommu);
	parent = nestio_hwpt_unref(parent);
	teardown_objs();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tsan-invq");
	TCase *tc = fk_tcase(s, "stress", NULL, NULL);

	tcase_set_timeout(tc, 0);	/* no clock: as long as TSan needs */
	tcase_add_test(tc, test_stress);
	return tu_run(s);
}
