// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Soak: NESTIO_SOAK_OPS (default 100,000) operations through the library
 * against the kernel's IOMMUFD_TEST mock, mixed from a seeded generator:
 * IOAS map (anonymous memory and a memfd, 1 to 512 pages) and unmap, RID
 * replace between paging, nested and IOAS, PASID attach / replace / detach,
 * invalidation-queue pushes and flushes, direct invalidations, and hwpt and
 * queue churn (new, use, unref). Every operation must succeed.
 *
 * Every NESTIO_SOAK_EVERY operations (default: a twentieth of the run) the
 * objects are brought to one fixed state (nothing mapped, no PASID
 * attached, the RID on the first paging hwpt) and the process and the
 * kernel are sampled: open fds, live malloc blocks, VmRSS, VmPin (iommufd
 * adds every page it pins to mm->pinned_vm, whatever its accounting mode),
 * VmLck, Slab, SUnreclaim and MemAvailable from /proc/meminfo, and
 * nr_iommu_pages from /proc/vmstat (IOMMU page-table pages, the mock's
 * among them). The first interval is the warm-up; from the sample after
 * it to the last one each metric must stay within the bound
 * tests/lib/soak.c gives it.
 *
 * In the x86_64 VM only (Makefile.am SOAK_TESTS): one soak is enough, and
 * its figures go to docs/RELIABILITY.md as NESTIO-REL lines.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"
#include "soak.h"

#define PAGE 4096u
#define BUF_PAGES 512u			/* 2 MiB of each kind of memory */
#define NSLOTS 64u			/* live mappings at most */
#define SLOT_SPAN (2ull << 20)		/* IOVA window of one slot: one table */
#define NPASID 4u			/* PASIDs 1..NPASID */
#define QCAP 8u				/* the queue flushes itself when full */

/* ------------------------------------------------------------ the soak */

enum { OP_MAP, OP_MAP_FILE, OP_UNMAP, OP_RID, OP_PASID_ATTACH,
       OP_PASID_REPLACE, OP_PASID_DETACH, OP_FLUSH, OP_INVALIDATE,
       OP_HWPT_NEW, OP_HWPT_UNREF, OP_INVQ_NEW, OP_NUM };
static const char *const op_name[OP_NUM] = {
	"map", "map-file", "unmap", "rid-replace", "pasid-attach",
	"pasid-replace", "pasid-detach", "invq-flush", "invalidate",
	"hwpt-new", "hwpt-unref", "invq-new",
};

/* where the RID or a PASID is attached */
enum { AT_NONE, AT_RID0, AT_RID1, AT_NESTED, AT_IOAS, AT_PASIDHW };

static struct {
	struct nestio_ctx *ctx;
	struct nestio_ioas *ioas;
	struct nestio_device *dev;
	struct nestio_hwpt *parent, *rid[2], *nested, *pasidhw;
	struct nestio_invq *q;
	unsigned char *anon, *file;	/* the memfd's pages, mapped */
	int memfd, ifd;
	struct { uint64_t iova, len; unsigned char *uptr; } slot[NSLOTS];
	int rid_at, pasid_at[NPASID + 1];
	long max_pin;
	uint64_t rng, ops, count[OP_NUM], inv_entries;
} S;

static uint32_t rnd(uint32_t n)
{
	return soak_rnd(&S.rng, n);
}

static void done(int op, int r)
{
	S.count[op]++;
	S.ops++;
	ck_assert_msg(r == 0, "operation %" PRIu64 " (%s) failed: %d %s",
		      S.ops, op_name[op], r, strerror(r < 0 ? -r : r));
}

static struct nestio_hwpt *at_hwpt(int at)
{
	switch (at) {
	case AT_RID0: return S.rid[0];
	case AT_RID1: return S.rid[1];
	case AT_NESTED: return S.nested;
	case AT_PASIDHW: return S.pasidhw;
	default: return NULL;
	}
}

static bool any_pasid(void)
{
	for (uint32_t p = 1; p <= NPASID; p++)
		if (S.pasid_at[p] != AT_NONE)
			return true;
	return false;
}

static void op_map_or_unmap(void)
{
	static const uint32_t sizes[] = { 1, 1, 2, 3, 4, 8, 15, 16, 64, 100, 256, 512 };
	uint32_t s = rnd(NSLOTS);
	uint64_t iova, got = 0;
	uint32_t npages, off;
	unsigned int flags = NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA;
	bool file = rnd(3) == 0;

	if (S.slot[s].len) {
		done(OP_UNMAP, nestio_ioas_unmap(S.ioas, S.slot[s].iova,
						 S.slot[s].len, &got));
		ck_assert_uint_eq(got, S.slot[s].len);
		S.slot[s].len = 0;
		return;
	}
	npages = sizes[rnd(sizeof(sizes) / sizeof(sizes[0]))];
	off = rnd(BUF_PAGES - npages + 1);
	if (rnd(4))
		flags |= NESTIO_MAP_WRITE;
	/* the IOVA mirrors the offset: a slot stays in its own 2 MiB */
	iova = MOCK_APERTURE_START + s * SLOT_SPAN + (uint64_t)off * PAGE;
	S.slot[s].iova = iova;
	S.slot[s].len = (uint64_t)npages * PAGE;
	if (file) {
		S.slot[s].uptr = S.file + (size_t)off * PAGE;
		done(OP_MAP_FILE, nestio_ioas_map_file(S.ioas, S.memfd,
						       (uint64_t)off * PAGE,
						       S.slot[s].len, &iova, flags));
	} else {
		S.slot[s].uptr = S.anon + (size_t)off * PAGE;
		done(OP_MAP, nestio_ioas_map(S.ioas, S.slot[s].uptr,
					     S.slot[s].len, &iova, flags));
	}
	ck_assert_uint_eq(iova, S.slot[s].iova);
}

static void rid_to(int at)
{
	int r;

	if (at == AT_IOAS)
		r = nestio_device_replace_ioas(S.dev, NESTIO_NO_PASID, S.ioas);
	else
		r = nestio_device_replace_hwpt(S.dev, NESTIO_NO_PASID, at_hwpt(at));
	done(OP_RID, r);
	S.rid_at = at;
}

/* the RID moves between two paging hwpts, the nested one and the IOAS
 * (the last only while no PASID is attached: its domain is not asked for
 * PASID support) */
static void op_rid(void)
{
	int at = AT_RID0 + (int)rnd(any_pasid() ? 3 : 4);

	if (at == S.rid_at)
		at = at == AT_RID0 ? AT_RID1 : AT_RID0;
	rid_to(at);
}

static void op_pasid(void)
{
	uint32_t p = 1 + rnd(NPASID);
	int other;

	/* PASIDs attach only while the RID is on a PASID-capable hwpt */
	if (S.rid_at == AT_IOAS) {
		rid_to(AT_RID0);
		return;
	}
	if (S.pasid_at[p] == AT_NONE) {
		int at = rnd(2) ? AT_PASIDHW : AT_NESTED;

		done(OP_PASID_ATTACH,
		     nestio_device_attach_hwpt(S.dev, p, at_hwpt(at)));
		S.pasid_at[p] = at;
	} else if (rnd(2)) {
		other = S.pasid_at[p] == AT_PASIDHW ? AT_NESTED : AT_PASIDHW;
		done(OP_PASID_REPLACE,
		     nestio_device_replace_hwpt(S.dev, p, at_hwpt(other)));
		S.pasid_at[p] = other;
	} else {
		done(OP_PASID_DETACH, nestio_device_detach(S.dev, p));
		S.pasid_at[p] = AT_NONE;
	}
}

static struct mock_hwpt_invalidate_selftest inv_entry(void)
{
	struct mock_hwpt_invalidate_selftest e = {
		.flags = rnd(32) ? 0 : MOCK_INVALIDATE_FLAG_ALL,
		.iotlb_id = rnd(MOCK_IOTLB_NUM),
	};
	return e;
}

/* 1..16 pushes (the queue sends a full batch itself), then a flush */
static void op_flush(void)
{
	uint32_t k = 1 + rnd(16);
	int r;

	for (uint32_t i = 0; i < k; i++) {
		struct mock_hwpt_invalidate_selftest e = inv_entry();

		ck_assert_int_eq(nestio_invq_push(S.q, &e, sizeof(e)), 0);
	}
	S.inv_entries += k;
	r = nestio_invq_flush(S.q, NULL);
	done(OP_FLUSH, r < 0 ? r : 0);
	ck_assert_int_eq(nestio_invq_pending(S.q), 0);
}

static void op_invalidate(void)
{
	struct mock_hwpt_invalidate_selftest e[8];
	uint32_t n = 1 + rnd(8), want = n;

	for (uint32_t i = 0; i < n; i++)
		e[i] = inv_entry();
	done(OP_INVALIDATE, nestio_hwpt_invalidate(S.nested, NESTIO_INV_RAW,
						   MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
						   e, sizeof(e[0]), &n));
	ck_assert_uint_eq(n, want);
	S.inv_entries += n;
}

static struct nestio_invq *new_queue(void)
{
	struct nestio_invq_opts o = {
		.sz = sizeof(o),
		.capacity = QCAP,
		.raw_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
		.raw_entry_len = sizeof(struct mock_hwpt_invalidate_selftest),
	};
	struct nestio_invq *q = NULL;

	done(OP_INVQ_NEW, nestio_invq_new(S.nested, NESTIO_INV_RAW, &o, &q));
	return q;
}

/* a short-lived paging hwpt the RID visits, or a fresh queue */
static void op_churn(void)
{
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o), .flags = NESTIO_HWPT_PASID };
	struct nestio_hwpt *h = NULL;
	int back = S.rid_at;
	uint32_t id;

	if (rnd(4) == 0) {
		nestio_invq_unref(S.q);
		S.q = new_queue();
		return;
	}
	done(OP_HWPT_NEW, nestio_hwpt_new_paging(S.dev, S.ioas, &o, &h));
	done(OP_RID, nestio_device_replace_hwpt(S.dev, NESTIO_NO_PASID, h));
	rid_to(back);
	id = nestio_hwpt_get_id(h);
	nestio_hwpt_unref(h);
	done(OP_HWPT_UNREF, 0);
	ck_assert(!tu_kernel_has(S.ifd, id));
}

static void one_op(void)
{
	uint32_t w = rnd(100);

	if (w < 60)
		op_map_or_unmap();
	else if (w < 68)
		op_rid();
	else if (w < 78)
		op_pasid();
	else if (w < 88)
		op_flush();
	else if (w < 97)
		op_invalidate();
	else
		op_churn();
}

/* the fixed state of a sample: every live mapping is really in the RID's
 * domain (the mock compares each page), then nothing is mapped, no PASID
 * attached, the RID on the first paging hwpt */
static void settle(void)
{
	uint64_t got = 0, want = 0;
	long pin;

	for (uint32_t p = 1; p <= NPASID; p++) {
		if (S.pasid_at[p] == AT_NONE)
			continue;
		done(OP_PASID_DETACH, nestio_device_detach(S.dev, p));
		S.pasid_at[p] = AT_NONE;
	}
	if (S.rid_at != AT_RID0)
		rid_to(AT_RID0);
	for (uint32_t s = 0; s < NSLOTS; s++) {
		if (!S.slot[s].len)
			continue;
		ck_assert_int_eq(tu_mock_check_map(S.ifd, nestio_hwpt_get_id(S.rid[0]),
						   S.slot[s].iova, S.slot[s].len,
						   S.slot[s].uptr), 0);
		want += S.slot[s].len;
		S.slot[s].len = 0;
	}
	/* VmPin sees iommufd's pins: what makes its flat 0 at a sample mean
	 * something */
	pin = soak_vmpin_kib();
	ck_assert_int_ge(pin, (long)(want / 1024));
	if (pin > S.max_pin)
		S.max_pin = pin;
	done(OP_UNMAP, nestio_ioas_unmap_all(S.ioas, &got));
	ck_assert_uint_eq(got, want);
}

static unsigned char *buffer(int fd)
{
	unsigned char *p = mmap(NULL, BUF_PAGES * PAGE, PROT_READ | PROT_WRITE,
				fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED,
				fd, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, 0x5a, BUF_PAGES * PAGE);
	return p;
}

START_TEST(test_soak_mock)
{
	struct nestio_hwpt_paging_opts po = { .sz = sizeof(po), .flags = NESTIO_HWPT_PASID };
	struct nestio_hwpt_nested_opts no = { .sz = sizeof(no), .flags = NESTIO_HWPT_PASID };
	uint64_t total = soak_env("NESTIO_SOAK_OPS", 100000);
	uint64_t every = soak_env("NESTIO_SOAK_EVERY", total / 20);
	uint64_t next;
	struct soak_samples smp = { .prefix = "soak" };
	struct nestio_invq_stats st = { .sz = sizeof(st) };
	int fds0 = tu_count_open_fds();
	double t0;

	if (every < 100)
		every = 100;
	S.rng = soak_env("NESTIO_SOAK_SEED", 0x9e3779b97f4a7c15ull) | 1;
	S.memfd = memfd_create("nestio-soak", MFD_CLOEXEC);
	ck_assert_int_ge(S.memfd, 0);
	ck_assert_int_eq(ftruncate(S.memfd, BUF_PAGES * PAGE), 0);
	S.anon = buffer(-1);
	S.file = buffer(S.memfd);

	tu_mock_nest_setup(MOCK_FLAGS_DEVICE_PASID, &S.ctx, &S.ioas, &S.dev, &S.parent);
	S.ifd = nestio_ctx_get_fd(S.ctx);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(nestio_hwpt_new_paging(S.dev, S.ioas, &po, &S.rid[i]), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(S.dev, S.ioas, &po, &S.pasidhw), 0);
	ck_assert_int_eq(nestio_hwpt_new_nested(S.dev, S.parent, &tu_mock_s1, &no,
						&S.nested), 0);
	S.q = new_queue();
	/* the library attaches what it knows of: the RID, then, not the IOAS */
	done(OP_RID, nestio_device_attach_hwpt(S.dev, NESTIO_NO_PASID, S.rid[0]));
	S.rid_at = AT_RID0;

	printf("soak: %" PRIu64 " operations on the mock, a sample every %" PRIu64
	       " (the first interval is the warm-up)\n", total, every);
	t0 = soak_now();
	settle();
	soak_take(&smp, S.ops, false);
	next = every;
	while (S.ops < total) {
		one_op();
		if (S.ops >= next || S.ops >= total) {
			settle();
			soak_take(&smp, S.ops, true);
			next += every;
		}
	}
	if (smp.n < 2) {	/* a run too short for two samples after warm-up */
		settle();
		soak_take(&smp, S.ops, true);
	}
	printf("NESTIO-REL soak.ops %" PRIu64 " seconds %.1f\n", S.ops, soak_now() - t0);
	printf("NESTIO-REL soak.mix");
	for (int i = 0; i < OP_NUM; i++)
		printf(" %s %" PRIu64, op_name[i], S.count[i]);
	printf("\n");
	printf("NESTIO-REL soak.pinned max %ld kib at a sample, before the unmap\n",
	       S.max_pin);
	ck_assert_int_eq(nestio_invq_get_stats(S.q, &st), 0);
	ck_assert_uint_eq(st.failures, 0);
	printf("NESTIO-REL soak.invalidations %" PRIu64 " entries\n", S.inv_entries);
	soak_judge(&smp, S.ops);

	/* and the whole tree goes away with its fds */
	nestio_invq_unref(S.q);
	nestio_hwpt_unref(S.nested);
	nestio_hwpt_unref(S.pasidhw);
	nestio_hwpt_unref(S.rid[0]);
	nestio_hwpt_unref(S.rid[1]);
	nestio_device_unref(S.dev);
	nestio_hwpt_unref(S.parent);
	nestio_ioas_unref(S.ioas);
	ck_assert_ptr_null(nestio_ctx_unref(S.ctx));
	munmap(S.anon, BUF_PAGES * PAGE);
	munmap(S.file, BUF_PAGES * PAGE);
	close(S.memfd);
	ck_assert_int_eq(tu_count_open_fds(), fds0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("soak");
	TCase *tc = tcase_create("soak");

	tu_require_mock();
	/* no timeout: the length is NESTIO_SOAK_OPS; the VM's bounds the run */
	tcase_set_timeout(tc, 0);
	tcase_add_test(tc, test_soak_mock);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
