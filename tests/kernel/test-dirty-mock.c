// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: dirty tracking against the kernel's IOMMUFD_TEST mock. The mock
 * marks pages dirty in its domain on request (IOMMU_TEST_OP_DIRTY, only
 * while tracking is on); the library reads them back through
 * IOMMU_HWPT_GET_DIRTY_BITMAP. Fixture: tu_mock_mapped_setup (mockdev.h).
 */
#include <string.h>
#include <sys/ioctl.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

static struct nestio_hwpt *new_paging(struct nestio_device *d, unsigned int flags)
{
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o), .flags = flags };
	struct nestio_hwpt *h = NULL;

	ck_assert_int_eq(nestio_hwpt_new_paging(d, tu_ioas, &o, &h), 0);
	return h;
}

/* IOMMU_TEST_OP_DIRTY: the mock marks dirty the pages of [iova, iova +
 * npages * page) whose bit is set in mask; -errno, or how many it marked */
static int mock_dirty(uint32_t hwpt_id, uint64_t iova, unsigned int npages,
		      uint64_t mask)
{
	struct mock_cmd cmd = { .size = sizeof(cmd), .op = MOCK_OP_DIRTY,
				.id = hwpt_id };

	cmd.dirty.iova = iova;
	cmd.dirty.length = npages * tu_page;
	cmd.dirty.page_size = tu_page;
	cmd.dirty.uptr = (uintptr_t)&mask;
	if (ioctl(tu_ifd, MOCK_IOMMU_TEST_CMD, &cmd) < 0)
		return -errno;
	return (int)cmd.dirty.out_nr_dirty;
}

/* the dirty bits of the whole mapping (one word: NPAGES is 64) */
static uint64_t read_all(struct nestio_hwpt *h, unsigned int flags)
{
	uint64_t bm = 0x5a5a5a5a5a5a5a5aull;

	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(h, tu_iova0, TU_MOCK_NPAGES * tu_page, tu_page,
						      &bm, flags), 0);
	return bm;
}

START_TEST(test_dirty_read_clear)
{
	const uint64_t mask = 1ull << 0 | 1ull << 3 | 1ull << 17 | 1ull << 63;
	struct nestio_hwpt *h = new_paging(tu_dev, NESTIO_HWPT_DIRTY_TRACKING);
	uint32_t id = nestio_hwpt_get_id(h);
	uint64_t bm[2];

	/* the mock marks nothing while tracking is off */
	ck_assert_int_eq(mock_dirty(id, tu_iova0, TU_MOCK_NPAGES, mask), -EINVAL);
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(h, 1), 0);
	ck_assert_uint_eq(read_all(h, 0), 0);		/* a clean start */
	ck_assert_int_eq(mock_dirty(id, tu_iova0, TU_MOCK_NPAGES, mask), 4);

	/* NO_CLEAR reads and leaves the bits: the next read sees them again */
	ck_assert_uint_eq(read_all(h, NESTIO_DIRTY_NO_CLEAR), mask);
	ck_assert_uint_eq(read_all(h, NESTIO_DIRTY_NO_CLEAR), mask);
	/* a plain read reads and clears: the one after it is empty */
	ck_assert_uint_eq(read_all(h, 0), mask);
	ck_assert_uint_eq(read_all(h, 0), 0);

	/* a read of part of the range: bit n is page n of that part, and it
	 * clears only that part */
	ck_assert_int_eq(mock_dirty(id, tu_iova0, TU_MOCK_NPAGES, mask), 4);
	memset(bm, 0xff, sizeof(bm));
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(h, tu_iova0 + 16 * tu_page,
						      16 * tu_page, tu_page, bm, 0), 0);
	ck_assert_uint_eq(bm[0], 1ull << 1);		/* page 17 */
	ck_assert_uint_eq(bm[1], ~0ull);		/* past the bitmap */
	ck_assert_uint_eq(read_all(h, 0), mask & ~(1ull << 17));

	/* a bigger page_size: one bit for each 2 pages dirty in it */
	ck_assert_int_eq(mock_dirty(id, tu_iova0, TU_MOCK_NPAGES, mask), 4);
	bm[0] = ~0ull;
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(h, tu_iova0, TU_MOCK_NPAGES * tu_page,
						      2 * tu_page, bm, 0), 0);
	ck_assert_uint_eq(bm[0], 1ull << 0 | 1ull << 1 | 1ull << 8 | 1ull << 31);

	/* enabling again starts from a clean snapshot */
	ck_assert_int_eq(mock_dirty(id, tu_iova0, TU_MOCK_NPAGES, mask), 4);
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(h, 0), 0);
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(h, 1), 0);
	ck_assert_uint_eq(read_all(h, 0), 0);

	/* off: the mock refuses to mark again */
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(h, 0), 0);
	ck_assert_int_eq(mock_dirty(id, tu_iova0, TU_MOCK_NPAGES, mask), -EINVAL);
	nestio_hwpt_unref(h);
	ck_assert(!tu_kernel_has(tu_ifd, id));
}
END_TEST

/* what the kernel says where the library does not stop the call first */
START_TEST(test_dirty_kernel_rules)
{
	struct nestio_hwpt *h = new_paging(tu_dev, NESTIO_HWPT_DIRTY_TRACKING);
	struct nestio_hwpt *plain = new_paging(tu_dev, 0);
	struct kabi_hwpt_set_dirty_tracking set = {
		.size = sizeof(set), .flags = KABI_HWPT_DIRTY_TRACKING_ENABLE,
		.hwpt_id = nestio_hwpt_get_id(plain),
	};
	struct kabi_hwpt_get_dirty_bitmap get = {
		.size = sizeof(get), .hwpt_id = nestio_hwpt_get_id(plain),
		.iova = tu_iova0, .length = tu_page, .page_size = tu_page,
	};
	struct nestio_device *nodirty = NULL;
	struct nestio_hwpt *x = NULL;
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o),
					     .flags = NESTIO_HWPT_DIRTY_TRACKING };
	uint64_t bm = 0;

	get.data = (uintptr_t)&bm;
	/* a hwpt allocated without dirty tracking: the library refuses it
	 * before the kernel; the kernel's own answer is EOPNOTSUPP (the
	 * domain has no dirty ops) */
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(plain, 1), -EINVAL);
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(plain, tu_iova0, tu_page, tu_page, &bm, 0),
			 -EINVAL);
	ck_assert_int_lt(ioctl(tu_ifd, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &set), 0);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	ck_assert_int_lt(ioctl(tu_ifd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &get), 0);
	ck_assert_int_eq(errno, EOPNOTSUPP);

	/* an IOMMU without dirty tracking has no such hwpt to give */
	ck_assert_int_eq(tu_mock_device(tu_ctx, nestio_ioas_get_id(tu_ioas),
					MOCK_FLAGS_DEVICE_NO_DIRTY, &nodirty), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(nodirty, tu_ioas, &o, &x), -EOPNOTSUPP);
	ck_assert_ptr_null(x);
	nestio_device_unref(nodirty);

	/* on the dirty hwpt: an id that is no hwpt */
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(h, 1), 0);
	set.hwpt_id = nestio_ioas_get_id(tu_ioas);
	ck_assert_int_lt(ioctl(tu_ifd, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &set), 0);
	ck_assert_int_eq(errno, ENOENT);
	nestio_hwpt_unref(plain);
	nestio_hwpt_unref(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dirty-mock");
	TCase *tc = tcase_create("dirty-mock");

	tu_require_mock();
	tcase_add_checked_fixture(tc, tu_mock_mapped_setup, tu_mock_mapped_teardown);
	tcase_add_test(tc, test_dirty_read_clear);
	tcase_add_test(tc, test_dirty_kernel_rules);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
