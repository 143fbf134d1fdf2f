// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: dirty tracking through the fake kernel. The exact
 * bytes of IOMMU_HWPT_SET_DIRTY_TRACKING and IOMMU_HWPT_GET_DIRTY_BITMAP;
 * every argument the library refuses without an ioctl; the bitmap as the
 * kernel writes it. HW queues are test-hwqueue.c.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fakekernel.h"
#include "mockdev.h"

/* the pages the fake kernel reports dirty, by index in the range read */
static const uint64_t dirty_pages[] = { 0, 5, 63, 64, 99 };
static int bitmap_calls;
static bool whole_page;		/* answer like a driver that records a whole
				 * leaf: every bit of the buffer's page */

/* fake_kernel, plus what it lacks: a dirty bitmap written the way the
 * kernel writes it (it only ever sets bits) */
static int answer(int fd, unsigned long request, void *arg)
{
	int r = fake_kernel(fd, request, arg);

	if (r < 0)
		return r;
	if (request == KABI_IOMMU_HWPT_GET_DIRTY_BITMAP) {
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

/* absolute page numbers (iova / 4096) the chunked fake kernel reports
 * dirty; the last one is just past the range read */
#define PIECE (1ull << 19)		/* pages per ioctl: 64 KiB of bitmap */
static const uint64_t abs_dirty[] = {
	7, 70, PIECE - 1, PIECE, PIECE + 1, 2 * PIECE + 5, 3 * PIECE + 106,
	3 * PIECE + 107,
};

/* answers each read with the pages of abs_dirty its range holds */
static int chunk_answer(int fd, unsigned long request, void *arg)
{
	struct kabi_hwpt_get_dirty_bitmap *c = arg;
	int r = fake_kernel(fd, request, arg);
	uint64_t *bm;

	if (r < 0 || request != KABI_IOMMU_HWPT_GET_DIRTY_BITMAP)
		return r;
	bm = (uint64_t *)(uintptr_t)c->data;
	bitmap_calls++;
	for (size_t i = 0; i < ARRAY_SIZE(abs_dirty); i++) {
		uint64_t a = abs_dirty[i] * 4096;

		if (a >= c->iova && a - c->iova < c->length) {
			uint64_t n = (a - c->iova) / c->page_size;

			bm[n / 64] |= 1ull << (n % 64);
		}
	}
	return 0;
}

/*
 * A range of over 1.5 million pages is read in bounded pieces of at most
 * 2^19 pages (64 KiB of bitmap), split at IOVAs that are multiples of
 * 2^19 pages (so no IOMMU leaf up to that size straddles two reads), and
 * the pieces' bits land at their place in the caller's bitmap.
 */
START_TEST(test_get_dirty_bitmap_huge)
{
	const uint64_t first = 7, pages = 3 * PIECE + 100, iova = first * 4096;
	const size_t words = (pages + 63) / 64;
	uint64_t *bm = malloc((words + 1) * sizeof(*bm)), next = iova, set = 0;

	ck_assert_ptr_nonnull(bm);
	memset(bm, 0xa5, (words + 1) * sizeof(*bm));
	tu_seam_answer = chunk_answer;
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(dirty_hwpt, iova, pages * 4096,
						      4096, bm, 0), 0);
	/* [7, 2^19), [2^19, 2^20), [2^20, 3 * 2^19), [3 * 2^19, end) */
	ck_assert_int_eq(tu_ncalls, 4);
	ck_assert_int_eq(bitmap_calls, 4);
	for (int i = 0; i < tu_ncalls; i++) {
		struct kabi_hwpt_get_dirty_bitmap c;

		memcpy(&c, tu_calls[i].arg, sizeof(c));
		expect_bitmap_call(i, 0, next, c.length, 4096, bm);
		ck_assert_uint_le(c.length / 4096, PIECE);
		ck_assert_uint_eq((c.iova + c.length) / 4096 % PIECE,
				  i == tu_ncalls - 1 ? (first + pages) % PIECE : 0);
		next += c.length;
	}
	ck_assert_uint_eq(next, iova + pages * 4096);
	/* exactly the dirty pages inside the range, at their index */
	for (size_t i = 0; i < ARRAY_SIZE(abs_dirty); i++) {
		uint64_t n = abs_dirty[i] - first;

		if (n >= pages)
			continue;
		ck_assert_msg(bm[n / 64] & 1ull << (n % 64), "page %llu not dirty",
			      (unsigned long long)abs_dirty[i]);
		set++;
	}
	for (size_t w = 0; w < words; w++)
		set -= (uint64_t)__builtin_popcountll(bm[w]);
	ck_assert_uint_eq(set, 0);
	ck_assert_uint_eq(bm[words], 0xa5a5a5a5a5a5a5a5ull);
	free(bm);
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

int main(void)
{
	Suite *s = suite_create("dirty");
	TCase *tc = fk_tcase(s, "dirty", setup, teardown);

	tcase_add_test(tc, test_set_dirty_tracking);
	tcase_add_test(tc, test_get_dirty_bitmap);
	tcase_add_test(tc, test_get_dirty_bitmap_huge);
	tcase_add_test(tc, test_dirty_einval);
	return tu_run(s);
}
