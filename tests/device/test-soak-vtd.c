// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Soak on real hardware emulation: NESTIO_SOAK_VTD_OPS (default 100,000)
 * operations through the library on QEMU's emulated VT-d with the edu
 * device bound to vfio-pci: IOAS map and unmap of 1 to 256 pages, RID
 * attach / replace / detach between the IOAS and two paging hwpts, and
 * hwpt churn (new, replace to it, back, unref). The emulated VT-d does not
 * nest, so there is nothing to invalidate here: the mock soak
 * (tests/kernel/test-soak.c) covers that. Every operation must succeed.
 *
 * At each sample (every NESTIO_SOAK_EVERY operations, default a twentieth)
 * the edu engine copies a page through the IOMMU and back, so the
 * translations still work, and then nothing is mapped: the same metrics
 * and bounds as the mock soak (tests/lib/soak.c), as soak.vtd.*.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "edu.h"
#include "soak.h"
#include "testutil.h"

#define PAGE 4096u
#define BUF_PAGES 256u
#define NSLOTS 16u
#define SLOT_SPAN (2ull << 20)
/* below the edu's default 28-bit DMA mask, after the slots */
#define IOVA_BASE 0x1000000ull
#define IOVA_SRC 0x400000ull
#define IOVA_DST 0x500000ull

enum { OP_MAP, OP_UNMAP, OP_ATTACH, OP_REPLACE, OP_DETACH, OP_HWPT_NEW,
       OP_HWPT_UNREF, OP_NUM };
static const char *const op_name[OP_NUM] = {
	"map", "unmap", "attach", "replace", "detach", "hwpt-new", "hwpt-unref",
};

/* where the RID is attached */
enum { AT_NONE, AT_IOAS, AT_H0, AT_H1 };

static struct {
	struct nestio_ctx *ctx;
	struct nestio_ioas *ioas;
	struct nestio_device *dev;
	struct nestio_hwpt *h[2];
	struct edu edu;
	unsigned char *buf, *src, *dst;
	struct { uint64_t iova, len; } slot[NSLOTS];
	int at;
	long max_pin;
	uint64_t rng, ops, count[OP_NUM];
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

static void op_map_or_unmap(void)
{
	static const uint32_t sizes[] = { 1, 1, 2, 3, 4, 8, 16, 64, 256 };
	uint32_t s = rnd(NSLOTS), npages, off;
	uint64_t iova, got = 0;
	unsigned int flags = NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA;

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
	iova = IOVA_BASE + s * SLOT_SPAN + (uint64_t)off * PAGE;
	S.slot[s].iova = iova;
	S.slot[s].len = (uint64_t)npages * PAGE;
	done(OP_MAP, nestio_ioas_map(S.ioas, S.buf + (size_t)off * PAGE,
				     S.slot[s].len, &iova, flags));
	ck_assert_uint_eq(iova, S.slot[s].iova);
}

static int attach_to(int op, int at)
{
	bool replace = op == OP_REPLACE;

	if (at == AT_IOAS)
		return replace ? nestio_device_replace_ioas(S.dev, NESTIO_NO_PASID, S.ioas)
			       : nestio_device_attach_ioas(S.dev, NESTIO_NO_PASID, S.ioas);
	return replace ? nestio_device_replace_hwpt(S.dev, NESTIO_NO_PASID, S.h[at - AT_H0])
		       : nestio_device_attach_hwpt(S.dev, NESTIO_NO_PASID, S.h[at - AT_H0]);
}

static void move_to(int at)
{
	int op = S.at == AT_NONE ? OP_ATTACH : OP_REPLACE;

	done(op, attach_to(op, at));
	S.at = at;
}

static void op_rid(void)
{
	int at = AT_IOAS + (int)rnd(3);

	if (S.at != AT_NONE && rnd(4) == 0) {
		done(OP_DETACH, nestio_device_detach(S.dev, NESTIO_NO_PASID));
		S.at = AT_NONE;
		return;
	}
	if (at == S.at)
		at = at == AT_H0 ? AT_H1 : AT_H0;
	move_to(at);
}

static void op_churn(void)
{
	struct nestio_hwpt *h = NULL;
	int back = S.at;

	done(OP_HWPT_NEW, nestio_hwpt_new_paging(S.dev, S.ioas, NULL, &h));
	if (S.at == AT_NONE)
		done(OP_ATTACH, nestio_device_attach_hwpt(S.dev, NESTIO_NO_PASID, h));
	else
		done(OP_REPLACE, nestio_device_replace_hwpt(S.dev, NESTIO_NO_PASID, h));
	if (back == AT_NONE) {
		done(OP_DETACH, nestio_device_detach(S.dev, NESTIO_NO_PASID));
	} else {
		done(OP_REPLACE, attach_to(OP_REPLACE, back));
	}
	nestio_hwpt_unref(h);
	done(OP_HWPT_UNREF, 0);
}

/* a page through the IOMMU into the edu and back: the bytes must match */
static void round_trip(unsigned char seed)
{
	uint64_t iova = IOVA_SRC;

	done(OP_MAP, nestio_ioas_map(S.ioas, S.src, PAGE, &iova,
				     NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA));
	iova = IOVA_DST;
	done(OP_MAP, nestio_ioas_map(S.ioas, S.dst, PAGE, &iova,
				     NESTIO_MAP_READ | NESTIO_MAP_WRITE |
				     NESTIO_MAP_FIXED_IOVA));
	for (unsigned int i = 0; i < PAGE; i++)
		S.src[i] = (unsigned char)(i * 13 + seed);
	memset(S.dst, 0, PAGE);
	ck_assert_int_eq(edu_dma_to_device(&S.edu, IOVA_SRC, PAGE), 0);
	ck_assert_int_eq(edu_dma_from_device(&S.edu, IOVA_DST, PAGE), 0);
	ck_assert_mem_eq(S.src, S.dst, PAGE);
}

/* the fixed state of a sample: the RID on the first hwpt, DMA works,
 * then nothing is mapped */
static void settle(unsigned char seed)
{
	uint64_t got = 0, want = 2 * PAGE;
	long pin;

	if (S.at != AT_H0)
		move_to(AT_H0);
	round_trip(seed);
	for (uint32_t s = 0; s < NSLOTS; s++) {
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

static unsigned char *pages(size_t n)
{
	unsigned char *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, 0x5a, n * PAGE);
	return p;
}

START_TEST(test_soak_vtd)
{
	uint64_t total = soak_env("NESTIO_SOAK_VTD_OPS", 100000);
	uint64_t every = soak_env("NESTIO_SOAK_EVERY", total / 20);
	struct soak_samples smp = { .prefix = "soak.vtd" };
	int fds0 = tu_count_open_fds();
	unsigned char seed = 0;
	uint64_t next;
	double t0;

	if (every < 100)
		every = 100;
	S.rng = soak_env("NESTIO_SOAK_SEED", 0x9e3779b97f4a7c15ull) | 1;
	S.buf = pages(BUF_PAGES);
	S.src = pages(1);
	S.dst = pages(1);
	ck_assert_int_eq(nestio_ctx_new(&S.ctx), 0);
	ck_assert_int_eq(nestio_device_open(S.ctx, edu_bdf(), &S.dev), 0);
	ck_assert_int_eq(edu_init(&S.edu, nestio_device_get_fd(S.dev)), 0);
	ck_assert_int_eq(nestio_ioas_new(S.ctx, &S.ioas), 0);
	move_to(AT_IOAS);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(nestio_hwpt_new_paging(S.dev, S.ioas, NULL, &S.h[i]), 0);

	printf("soak.vtd: %" PRIu64 " operations on edu behind the emulated VT-d,"
	       " a sample every %" PRIu64 " (the first interval is the warm-up)\n",
	       total, every);
	t0 = soak_now();
	settle(seed++);
	soak_take(&smp, S.ops, false);
	next = every;
	while (S.ops < total) {
		uint32_t w = rnd(100);

		if (w < 75)
			op_map_or_unmap();
		else if (w < 97)
			op_rid();
		else
			op_churn();
		if (S.ops >= next || S.ops >= total) {
			settle(seed++);
			soak_take(&smp, S.ops, true);
			next += every;
		}
	}
	if (smp.n < 2) {
		settle(seed++);
		soak_take(&smp, S.ops, true);
	}
	printf("NESTIO-REL soak.vtd.ops %" PRIu64 " seconds %.1f\n", S.ops,
	       soak_now() - t0);
	printf("NESTIO-REL soak.vtd.mix");
	for (int i = 0; i < OP_NUM; i++)
		printf(" %s %" PRIu64, op_name[i], S.count[i]);
	printf("\n");
	printf("NESTIO-REL soak.vtd.pinned max %ld kib at a sample, before the unmap\n",
	       S.max_pin);
	soak_judge(&smp, S.ops);

	nestio_hwpt_unref(S.h[0]);
	nestio_hwpt_unref(S.h[1]);
	nestio_device_unref(S.dev);
	nestio_ioas_unref(S.ioas);
	ck_assert_ptr_null(nestio_ctx_unref(S.ctx));
	munmap(S.buf, BUF_PAGES * PAGE);
	munmap(S.src, PAGE);
	munmap(S.dst, PAGE);
	ck_assert_int_eq(tu_count_open_fds(), fds0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("soak-vtd");
	TCase *tc = tcase_create("soak-vtd");

	if (!edu_bdf())
		tu_skip("no edu device bound to vfio-pci (NESTIO_EDU_BDF)");
	/* no timeout: the length is NESTIO_SOAK_VTD_OPS; the VM's bounds the run */
	tcase_set_timeout(tc, 0);
	tcase_add_test(tc, test_soak_vtd);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
