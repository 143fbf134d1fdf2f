// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: dirty tracking and HW queues through the fake kernel.
 * The exact bytes of IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP
 * and IOMMU_HW_QUEUE_ALLOC; every argument the library refuses without an
 * ioctl; the bitmap as the kernel writes it; who pins whom.
 */
#include <limits.h>
#include <string.h>

#include "fakekernel.h"
#include "mockdev.h"

#define QTYPE 0xdeadbeefu	/* any type: the fake kernel takes them all */
#define QBASE 0x10000ull
#define QLEN 0x1000ull

/* the pages the fake kernel reports dirty, by index in the range read */
static const uint64_t dirty_pages[] = { 0, 5, 63, 64, 99 };
static int bitmap_calls;
static bool whole_page;		/* answer like a driver that records a whole
				 * leaf: every bit of the buffer's page */

/* fake_kernel, plus what it lacks: a HW queue id, and a dirty bitmap
 * written the way the kernel writes it (it only ever sets bits) */
static int answer(int fd, unsigned long request, void *arg)
{
	int r = fake_kernel(fd, request, arg);

	if (r < 0)
		return r;
	if (request == KABI_IOMMU_HW_QUEUE_ALLOC) {
		struct kabi_hw_queue_alloc *c = arg;

		if (!c->out_hw_queue_id)	/* unless fake_kernel() did */
			c->out_hw_queue_id = fk_next_id++;
	} else if (request == KABI_IOMMU_HWPT_GET_DIRTY_BITMAP) {
		struct kabi_hwpt_get_dirty_bitmap *c = arg;
		uint64_t *bm = (uint64_t *)(uintptr_t)c->data;
		uint64_t n = c->length / c->page_size;

		bitmap_calls++;
		if (whole_page)
			memset(bm, 0xff, 4096);
		for (size_t i = 0; i < ARRAY_SIZE(dirty_pages); i++)
			if (dirty_pages[i] < n)
				bm[dirty_pages[i] / 64] |= 1ull << (dirty_pages[i] % 64);
	}
	return 0;
}

static struct nestio_hwpt *dirty_hwpt;	/* paging, with dirty tracking */

/* call i read the bitmap with these arguments into the library's own
 * page-aligned buffer (the kernel may write whole pages there), not into
 * the caller's */
static void expect_bitmap_call(int i, uint32_t flags, uint64_t iova,
			       uint64_t len, uint64_t psz, const void *caller)
{
	struct kabi_hwpt_get_dirty_bitmap c;

	ck_assert_int_lt(i, tu_ncalls);
	ck_assert_uint_eq(tu_calls[i].request, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP);
	ck_assert_uint_eq(tu_calls[i].len, sizeof(c));
	memcpy(&c, tu_calls[i].arg, sizeof(c));
	ck_assert_uint_eq(c.hwpt_id, 101);
	ck_assert_uint_eq(c.flags, flags);
	ck_assert_uint_eq(c.reserved, 0);
	ck_assert_uint_eq(c.iova, iova);
	ck_assert_uint_eq(c.length, len);
	ck_assert_uint_eq(c.page_size, psz);
	ck_assert(c.data && c.data != (uintptr_t)caller);
	ck_assert_uint_eq(c.data & 4095, 0);
}


static void setup(void)
{
	setup_objs();
	tu_seam_answer = answer;
	bitmap_calls = 0;
	whole_page = false;
	dirty_hwpt = new_hwpt(dev, ioas, NESTIO_HWPT_DIRTY_TRACKING);	/* 101 */
	tu_ncalls = 0;
	fk_nev = 0;
}

static void teardown(void)
{
	dirty_hwpt = nestio_hwpt_unref(dirty_hwpt);
	teardown_objs();
}

/* ============================================================ dirty */

START_TEST(test_set_dirty_tracking)
{
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(dirty_hwpt, 1), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING,
		     kabi_hwpt_set_dirty_tracking,
		     .flags = KABI_HWPT_DIRTY_TRACKING_ENABLE, .hwpt_id = 101);
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(dirty_hwpt, 0), 0);
	EXPECT_IOMMU(1, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING,
		     kabi_hwpt_set_dirty_tracking, .flags = 0, .hwpt_id = 101);
	/* any non-zero enable is "on" */
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(dirty_hwpt, -7), 0);
	EXPECT_IOMMU(2, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING,
		     kabi_hwpt_set_dirty_tracking,
		     .flags = KABI_HWPT_DIRTY_TRACKING_ENABLE, .hwpt_id = 101);
	/* the kernel's errno comes back as it is */
	fk_fail(KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, EOPNOTSUPP, 1);
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(dirty_hwpt, 1), -EOPNOTSUPP);
	ck_assert_int_eq(tu_ncalls, 4);
}
END_TEST

START_TEST(test_get_dirty_bitmap)
{
	/* 100 pages: two words; a third one after them must stay untouched */
	uint64_t bm[3];
	const uint64_t iova = 0x200000, len = 100 * 4096;

	memset(bm, 0xa5, sizeof(bm));	/* garbage: the library clears it */
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(dirty_hwpt, iova, len, 4096,
						      bm, 0), 0);
	expect_bitmap_call(0, 0, iova, len, 4096, bm);
	/* page n is bit n % 64 of word n / 64, nothing else is set */
	ck_assert_uint_eq(bm[0], 1ull << 0 | 1ull << 5 | 1ull << 63);
	ck_assert_uint_eq(bm[1], 1ull << 0 | 1ull << 35);
	ck_assert_uint_eq(bm[2], 0xa5a5a5a5a5a5a5a5ull);

	/* NO_CLEAR is the kernel's IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR */
	memset(bm, 0xff, sizeof(bm));
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(dirty_hwpt, iova, len, 4096,
						      bm, NESTIO_DIRTY_NO_CLEAR), 0);
	expect_bitmap_call(1, KABI_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, iova, len,
			   4096, bm);
	ck_assert_uint_eq(bm[1], 1ull << 0 | 1ull << 35);
	ck_assert_uint_eq(bm[2], ~0ull);

	/* one page of 2 MiB: one word, bit 0 only */
	bm[0] = ~0ull;
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(dirty_hwpt, 0x40000000, 0x200000,
						      0x200000, bm, 0), 0);
	expect_bitmap_call(2, 0, 0x40000000, 0x200000, 0x200000, bm);
	ck_assert_uint_eq(bm[0], 1);

	/* the last page of the address space: no wrap, taken */
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(dirty_hwpt, 0ull - 4096, 4096,
						      4096, bm, 0), 0);

	/* the kernel records whole leaves and does not clamp to the range:
	 * nothing past the caller's words is written, and no bit past its
	 * pages is set (100 pages: two words, the second 36 bits) */
	whole_page = true;
	memset(bm, 0x5a, sizeof(bm));
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(dirty_hwpt, iova, len, 4096,
						      bm, 0), 0);
	ck_assert_uint_eq(bm[0], ~0ull);
	ck_assert_uint_eq(bm[1], (1ull << 36) - 1);
	ck_assert_uint_eq(bm[2], 0x5a5a5a5a5a5a5a5aull);
	whole_page = false;

	fk_fail(KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, EOVERFLOW, 1);
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(dirty_hwpt, iova, len, 4096,
						      bm, 0), -EOVERFLOW);
	ck_assert_int_eq(tu_ncalls, 6);
	ck_assert_int_eq(bitmap_calls, 5);
}
END_TEST

START_TEST(test_dirty_einval)
{
	struct nestio_hwpt *plain = new_hwpt(dev, ioas, 0);
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT |
						   NESTIO_HWPT_DIRTY_TRACKING);
	struct nestio_hwpt *nested = NULL;
	struct nestio_hwpt *h = dirty_hwpt;
	uint64_t bm[4];

	ck_assert_int_eq(nestio_hwpt_new_nested(dev, parent, &tu_mock_s1, NULL,
						&nested), 0);
	tu_ncalls = 0;

	/* not a hwpt */
	EXPECT_NOIO(nestio_hwpt_set_dirty_tracking(NULL, 1), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_set_dirty_tracking((struct nestio_hwpt *)ioas, 1),
		    -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(NULL, 0, 4096, 4096, bm, 0), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap((struct nestio_hwpt *)ioas, 0, 4096,
						 4096, bm, 0), -EINVAL);
	/* a paging hwpt allocated without NESTIO_HWPT_DIRTY_TRACKING */
	EXPECT_NOIO(nestio_hwpt_set_dirty_tracking(plain, 1), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_set_dirty_tracking(plain, 0), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(plain, 0, 4096, 4096, bm, 0), -EINVAL);
	/* a nested hwpt: dirty tracking lives on its stage 2 */
	EXPECT_NOIO(nestio_hwpt_set_dirty_tracking(nested, 1), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(nested, 0, 4096, 4096, bm, 0), -EINVAL);
	/* ... which has it */
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(parent, 1), 0);
	tu_ncalls = 0;

	/* the range and the bitmap */
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0, 4096, 4096, NULL, 0), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0, 0, 4096, bm, 0), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0, 4096, 0, bm, 0), -EINVAL);
	/* page sizes that are not powers of two */
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0, 12288, 12288, bm, 0), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0, 6144, 6144, bm, 0), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0x1800, 8192, 4096, bm, 0), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0x1000, 4096, 8192, bm, 0), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0, 4096 + 512, 4096, bm, 0), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0, 8192, 8192 * 2, bm, 0), -EINVAL);
	/* iova + length wraps around */
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0ull - 4096, 8192, 4096, bm, 0),
		    -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0ull - 0x100000, 0ull - 0x100000,
						 4096, bm, 0), -EINVAL);
	/* unknown flags */
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0, 4096, 4096, bm, 2), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0, 4096, 4096, bm,
						 NESTIO_DIRTY_NO_CLEAR | 1u << 31),
		    -EINVAL);
	/* a refused call leaves the caller's buffer alone */
	memset(bm, 0x5a, sizeof(bm));
	EXPECT_NOIO(nestio_hwpt_get_dirty_bitmap(h, 0, 4096, 4096, bm, 4), -EINVAL);
	ck_assert_uint_eq(bm[0], 0x5a5a5a5a5a5a5a5aull);

	nestio_hwpt_unref(nested);
	nestio_hwpt_unref(parent);
	nestio_hwpt_unref(plain);
}
END_TEST

/* ========================================================== HW queue */

static struct nestio_viommu *new_viommu(struct nestio_hwpt *parent)
{
	struct nestio_viommu *v = NULL;

	ck_assert_int_eq(nestio_viommu_new(dev, parent, 0x1234, NULL, &v), 0);
	return v;
}

START_TEST(test_hw_queue_payload)
{
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_viommu *v = new_viommu(parent);		/* 103 */
	struct nestio_hw_queue *q = NULL;
	uint32_t vid = nestio_viommu_get_id(v);

	tu_ncalls = 0;
	ck_assert_int_eq(nestio_hw_queue_new(v, NESTIO_HW_QUEUE_TEGRA241_CMDQV, 3,
					     QBASE, QLEN, &q), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_HW_QUEUE_ALLOC, kabi_hw_queue_alloc,
		     .flags = 0, .viommu_id = vid, .type = KABI_HW_QUEUE_TYPE_TEGRA241_CMDQV,
		     .index = 3, .nesting_parent_iova = QBASE, .length = QLEN);
	ck_assert_uint_eq(nestio_hw_queue_get_id(q), vid + 1);
	ck_assert_ptr_eq(nestio_hw_queue_ref(q), q);
	ck_assert_ptr_null(nestio_hw_queue_unref(q));
	ck_assert_int_eq(tu_ncalls, 1);				/* still referenced */
	ck_assert_ptr_null(nestio_hw_queue_unref(q));
	EXPECT_IOMMU(1, KABI_IOMMU_DESTROY, kabi_destroy, .id = vid + 1);

	/* unaligned base and length are the kernel's (and driver's) to judge;
	 * type 0 is passed through too */
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_hw_queue_new(v, 0, 0, 0x10001, 3, &q), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_HW_QUEUE_ALLOC, kabi_hw_queue_alloc,
		     .viommu_id = vid, .type = 0, .index = 0,
		     .nesting_parent_iova = 0x10001, .length = 3);
	nestio_hw_queue_unref(q);
	/* the range may end at the top of the address space */
	ck_assert_int_eq(nestio_hw_queue_new(v, QTYPE, 0, 0ull - QLEN, QLEN, &q), 0);
	nestio_hw_queue_unref(q);

	/* the kernel's errno comes back, *out untouched, nothing pinned */
	q = (struct nestio_hw_queue *)&q;
	fk_fail(KABI_IOMMU_HW_QUEUE_ALLOC, ENOENT, 1);
	ck_assert_int_eq(nestio_hw_queue_new(v, QTYPE, 0, QBASE, QLEN, &q), -ENOENT);
	ck_assert_ptr_eq(q, (struct nestio_hw_queue *)&q);
	fk_nev = 0;
	nestio_hwpt_unref(parent);
	nestio_viommu_unref(v);
	ck_assert_int_eq(find_ev('D', vid), 0);		/* it went at once */
	ck_assert_int_eq(find_ev('D', vid - 1), 1);	/* then its parent */
}
END_TEST

START_TEST(test_hw_queue_einval)
{
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_viommu *v = new_viommu(parent);
	struct nestio_hw_queue *q = NULL, *sentinel = (struct nestio_hw_queue *)&q;

	tu_ncalls = 0;
	q = sentinel;
	EXPECT_NOIO(nestio_hw_queue_new(NULL, QTYPE, 0, QBASE, QLEN, &q), -EINVAL);
	EXPECT_NOIO(nestio_hw_queue_new((struct nestio_viommu *)parent, QTYPE, 0,
					QBASE, QLEN, &q), -EINVAL);
	EXPECT_NOIO(nestio_hw_queue_new(v, QTYPE, 0, QBASE, QLEN, NULL), -EINVAL);
	EXPECT_NOIO(nestio_hw_queue_new(v, QTYPE, 0, QBASE, 0, &q), -EINVAL);
	EXPECT_NOIO(nestio_hw_queue_new(v, QTYPE, 0, 0ull - QLEN, QLEN + 1, &q), -EINVAL);
	EXPECT_NOIO(nestio_hw_queue_new(v, QTYPE, 0, 2, UINT64_MAX, &q), -EINVAL);
	ck_assert_ptr_eq(q, sentinel);

	/* the accessors on what is not a HW queue */
	ck_assert_ptr_null(nestio_hw_queue_ref(NULL));
	ck_assert_ptr_null(nestio_hw_queue_unref(NULL));
	ck_assert_uint_eq(nestio_hw_queue_get_id(NULL), 0);
	ck_assert_ptr_null(nestio_hw_queue_ref((struct nestio_hw_queue *)v));
	ck_assert_ptr_null(nestio_hw_queue_unref((struct nestio_hw_queue *)v));
	ck_assert_uint_eq(nestio_hw_queue_get_id((struct nestio_hw_queue *)v), 0);
	ck_assert_int_eq(tu_ncalls, 0);
	ck_assert_uint_ne(nestio_viommu_get_id(v), 0);	/* v is unharmed */

	nestio_viommu_unref(v);
	nestio_hwpt_unref(parent);
}
END_TEST

/*
 * A queue pins its vIOMMU (which pins its nest parent) and the queue before
 * it on the same vIOMMU: dropping every handle in the worst order still
 * destroys queue 1, queue 0, the vIOMMU and the parent in that order.
 */
START_TEST(test_hw_queue_pins)
{
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_viommu *v = new_viommu(parent), *v2 = new_viommu(parent);
	struct nestio_hw_queue *q0 = NULL, *q1 = NULL, *o1 = NULL;
	uint32_t pid = nestio_hwpt_get_id(parent), vid = nestio_viommu_get_id(v);
	uint32_t v2id = nestio_viommu_get_id(v2), id0, id1, o1id;

	ck_assert_int_eq(nestio_hw_queue_new(v, QTYPE, 0, QBASE, QLEN, &q0), 0);
	ck_assert_int_eq(nestio_hw_queue_new(v, QTYPE, 1, QBASE + QLEN, QLEN, &q1), 0);
	id0 = nestio_hw_queue_get_id(q0);
	id1 = nestio_hw_queue_get_id(q1);
	fk_nev = 0;

	/* index 1 on another vIOMMU pins nothing of v's */
	ck_assert_int_eq(nestio_hw_queue_new(v2, QTYPE, 1, QBASE, QLEN, &o1), 0);
	o1id = nestio_hw_queue_get_id(o1);
	nestio_viommu_unref(v2);
	ck_assert_int_eq(fk_nev, 0);			/* o1 pins v2 */
	nestio_hw_queue_unref(o1);
	ck_assert_int_eq(fk_nev, 2);
	ck_assert_int_eq(find_ev('D', o1id), 0);
	ck_assert_int_eq(find_ev('D', v2id), 1);
	fk_nev = 0;

	nestio_hwpt_unref(parent);
	nestio_viommu_unref(v);
	nestio_hw_queue_unref(q0);
	ck_assert_int_eq(fk_nev, 0);		/* all pinned by q1 */
	nestio_hw_queue_unref(q1);
	ck_assert_int_eq(fk_nev, 4);
	ck_assert_int_eq(find_ev('D', id1), 0);
	ck_assert_int_eq(find_ev('D', id0), 1);
	ck_assert_int_eq(find_ev('D', vid), 2);
	ck_assert_int_eq(find_ev('D', pid), 3);
	for (int k = 0; k < fk_nev; k++)
		ck_assert(fk_ev[k].fd_ok);
}
END_TEST

/* Queues outlive their ctx handle: the ctx goes last. */
START_TEST(test_hw_queue_pins_ctx)
{
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_viommu *v = new_viommu(parent);
	struct nestio_hw_queue *q = NULL;
	int fd = nestio_ctx_get_fd(ctx);
	uint32_t id;

	ck_assert_int_eq(nestio_hw_queue_new(v, QTYPE, 0, QBASE, QLEN, &q), 0);
	id = nestio_hw_queue_get_id(q);
	nestio_viommu_unref(v);
	nestio_hwpt_unref(parent);
	dirty_hwpt = nestio_hwpt_unref(dirty_hwpt);
	dev = nestio_device_unref(dev);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
	fk_nev = 0;
	ck_assert(fd_open(fd));			/* q holds the ctx */
	nestio_hw_queue_unref(q);
	ck_assert_int_eq(find_ev('D', id), 0);
	ck_assert(fk_ev[0].fd_ok);		/* the iommufd was still open */
	ck_assert_int_eq(count_ev('D'), 4);	/* queue, vIOMMU, parent, ioas */
	ck_assert(!fd_open(fd));		/* and closed after all that */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dirty");
	TCase *tc;

	tc = fk_tcase(s, "dirty", setup, teardown);
	tcase_add_test(tc, test_set_dirty_tracking);
	tcase_add_test(tc, test_get_dirty_bitmap);
	tcase_add_test(tc, test_dirty_einval);
	tc = fk_tcase(s, "hw_queue", setup, teardown);
	tcase_add_test(tc, test_hw_queue_payload);
	tcase_add_test(tc, test_hw_queue_einval);
	tcase_add_test(tc, test_hw_queue_pins);
	tcase_add_test(tc, test_hw_queue_pins_ctx);
	return tu_run(s);
}
