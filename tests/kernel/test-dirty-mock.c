// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: dirty tracking and HW queues against the kernel's IOMMUFD_TEST
 * mock. The mock marks pages dirty in its domain on request
 * (IOMMU_TEST_OP_DIRTY, only while tracking is on); the library reads them
 * back through IOMMU_HWPT_GET_DIRTY_BITMAP. HW queues are the mock's
 * IOMMU_HW_QUEUE_TYPE_SELFTEST on a mock vIOMMU, in the nest parent's IOAS.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

#define NPAGES 64

static struct nestio_ctx *ctx;
static struct nestio_ioas *ioas;
static struct nestio_device *dev;
static int ifd;
static uint64_t page;
static void *buf;
static uint64_t iova0;		/* buf is mapped here, NPAGES pages */

static void setup(void)
{
	ck_assert_int_eq(nestio_ctx_new(&ctx), 0);
	ifd = nestio_ctx_get_fd(ctx);
	page = (uint64_t)sysconf(_SC_PAGESIZE);
	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	ck_assert_int_eq(tu_mock_device(ctx, nestio_ioas_get_id(ioas), 0, &dev), 0);
	buf = mmap(NULL, NPAGES * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(buf, MAP_FAILED);
	memset(buf, 1, NPAGES * page);
	iova0 = MOCK_APERTURE_START;
	/*
	 * One page per map call: the mock's page table (generic_pt AMDV1)
	 * maps physically contiguous, aligned runs with one larger leaf, and
	 * dirty bits are kept per leaf, so a page marked dirty would read back
	 * as its whole leaf whenever the allocator happened to hand out
	 * contiguous pages. Single-page areas keep every leaf one page.
	 */
	for (unsigned int i = 0; i < NPAGES; i++) {
		uint64_t iova = iova0 + i * page;

		ck_assert_int_eq(nestio_ioas_map(ioas, (char *)buf + i * page,
						 page, &iova,
						 NESTIO_MAP_READ | NESTIO_MAP_WRITE |
						 NESTIO_MAP_FIXED_IOVA), 0);
	}
}

static void teardown(void)
{
	dev = nestio_device_unref(dev);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
	munmap(buf, NPAGES * page);
}

static struct nestio_hwpt *new_paging(struct nestio_device *d, unsigned int flags)
{
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o), .flags = flags };
	struct nestio_hwpt *h = NULL;

	ck_assert_int_eq(nestio_hwpt_new_paging(d, ioas, &o, &h), 0);
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
	cmd.dirty.length = npages * page;
	cmd.dirty.page_size = page;
	cmd.dirty.uptr = (uintptr_t)&mask;
	if (ioctl(ifd, MOCK_IOMMU_TEST_CMD, &cmd) < 0)
		return -errno;
	return (int)cmd.dirty.out_nr_dirty;
}

/* the dirty bits of the whole mapping (one word: NPAGES is 64) */
static uint64_t read_all(struct nestio_hwpt *h, unsigned int flags)
{
	uint64_t bm = 0x5a5a5a5a5a5a5a5aull;

	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(h, iova0, NPAGES * page, page,
						      &bm, flags), 0);
	return bm;
}

START_TEST(test_dirty_read_clear)
{
	const uint64_t mask = 1ull << 0 | 1ull << 3 | 1ull << 17 | 1ull << 63;
	struct nestio_hwpt *h = new_paging(dev, NESTIO_HWPT_DIRTY_TRACKING);
	uint32_t id = nestio_hwpt_get_id(h);
	uint64_t bm[2];

	/* the mock marks nothing while tracking is off */
	ck_assert_int_eq(mock_dirty(id, iova0, NPAGES, mask), -EINVAL);
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(h, 1), 0);
	ck_assert_uint_eq(read_all(h, 0), 0);		/* a clean start */
	ck_assert_int_eq(mock_dirty(id, iova0, NPAGES, mask), 4);

	/* NO_CLEAR reads and leaves the bits: the next read sees them again */
	ck_assert_uint_eq(read_all(h, NESTIO_DIRTY_NO_CLEAR), mask);
	ck_assert_uint_eq(read_all(h, NESTIO_DIRTY_NO_CLEAR), mask);
	/* a plain read reads and clears: the one after it is empty */
	ck_assert_uint_eq(read_all(h, 0), mask);
	ck_assert_uint_eq(read_all(h, 0), 0);

	/* a read of part of the range: bit n is page n of that part, and it
	 * clears only that part */
	ck_assert_int_eq(mock_dirty(id, iova0, NPAGES, mask), 4);
	memset(bm, 0xff, sizeof(bm));
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(h, iova0 + 16 * page,
						      16 * page, page, bm, 0), 0);
	ck_assert_uint_eq(bm[0], 1ull << 1);		/* page 17 */
	ck_assert_uint_eq(bm[1], ~0ull);		/* past the bitmap */
	ck_assert_uint_eq(read_all(h, 0), mask & ~(1ull << 17));

	/* a bigger page_size: one bit for each 2 pages dirty in it */
	ck_assert_int_eq(mock_dirty(id, iova0, NPAGES, mask), 4);
	bm[0] = ~0ull;
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(h, iova0, NPAGES * page,
						      2 * page, bm, 0), 0);
	ck_assert_uint_eq(bm[0], 1ull << 0 | 1ull << 1 | 1ull << 8 | 1ull << 31);

	/* enabling again starts from a clean snapshot */
	ck_assert_int_eq(mock_dirty(id, iova0, NPAGES, mask), 4);
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(h, 0), 0);
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(h, 1), 0);
	ck_assert_uint_eq(read_all(h, 0), 0);

	/* off: the mock refuses to mark again */
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(h, 0), 0);
	ck_assert_int_eq(mock_dirty(id, iova0, NPAGES, mask), -EINVAL);
	nestio_hwpt_unref(h);
	ck_assert(!tu_kernel_has(ifd, id));
}
END_TEST

/* what the kernel says where the library does not stop the call first */
START_TEST(test_dirty_kernel_rules)
{
	struct nestio_hwpt *h = new_paging(dev, NESTIO_HWPT_DIRTY_TRACKING);
	struct nestio_hwpt *plain = new_paging(dev, 0);
	struct kabi_hwpt_set_dirty_tracking set = {
		.size = sizeof(set), .flags = KABI_HWPT_DIRTY_TRACKING_ENABLE,
		.hwpt_id = nestio_hwpt_get_id(plain),
	};
	struct kabi_hwpt_get_dirty_bitmap get = {
		.size = sizeof(get), .hwpt_id = nestio_hwpt_get_id(plain),
		.iova = iova0, .length = page, .page_size = page,
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
	ck_assert_int_eq(nestio_hwpt_get_dirty_bitmap(plain, iova0, page, page, &bm, 0),
			 -EINVAL);
	ck_assert_int_lt(ioctl(ifd, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &set), 0);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	ck_assert_int_lt(ioctl(ifd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &get), 0);
	ck_assert_int_eq(errno, EOPNOTSUPP);

	/* an IOMMU without dirty tracking has no such hwpt to give */
	ck_assert_int_eq(tu_mock_device(ctx, nestio_ioas_get_id(ioas),
					MOCK_FLAGS_DEVICE_NO_DIRTY, &nodirty), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(nodirty, ioas, &o, &x), -EOPNOTSUPP);
	ck_assert_ptr_null(x);
	nestio_device_unref(nodirty);

	/* on the dirty hwpt: an id that is no hwpt */
	ck_assert_int_eq(nestio_hwpt_set_dirty_tracking(h, 1), 0);
	set.hwpt_id = nestio_ioas_get_id(ioas);
	ck_assert_int_lt(ioctl(ifd, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &set), 0);
	ck_assert_int_eq(errno, ENOENT);
	nestio_hwpt_unref(plain);
	nestio_hwpt_unref(h);
}
END_TEST

/* ---------------------------------------------------------- HW queue */

START_TEST(test_hw_queue)
{
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o),
					     .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_hwpt *parent = NULL;
	struct nestio_viommu *v = NULL, *v2 = NULL;
	struct nestio_hw_queue *q0 = NULL, *q1 = NULL, *x = NULL;
	const uint32_t T = MOCK_HW_QUEUE_TYPE_SELFTEST;
	uint64_t unmapped = 0;
	uint32_t pid, vid, v2id, q_ids[3];
	int r;

	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &parent), 0);
	ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &v), 0);
	pid = nestio_hwpt_get_id(parent);
	vid = nestio_viommu_get_id(v);

	r = nestio_hw_queue_new(v, T, 0, iova0, page, &q0);
	if (tu_is_feature_missing(r)) {
		const char *req = getenv("NESTIO_REQUIRE_KERNEL");

		/* an older kernel: no IOMMU_HW_QUEUE_ALLOC; the test VM's has it */
		ck_assert_msg(!req || strcmp(req, "1"), "no HW queue: %d", r);
		ck_assert(!nestio_ctx_has_feature(ctx, NESTIO_FEATURE_HW_QUEUE));
		nestio_viommu_unref(v);
		nestio_hwpt_unref(parent);
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(nestio_hw_queue_new(v, T, 1, iova0 + page, page, &q1), 0);
	q_ids[0] = nestio_hw_queue_get_id(q0);
	q_ids[1] = nestio_hw_queue_get_id(q1);
	ck_assert_uint_ne(q_ids[0], 0);
	ck_assert_uint_ne(q_ids[0], q_ids[1]);
	ck_assert(tu_kernel_has(ifd, q_ids[0]));
	ck_assert(tu_kernel_has(ifd, q_ids[1]));

	/* the mock's rules: an index taken, an index past its two, a type
	 * it does not know */
	ck_assert_int_eq(nestio_hw_queue_new(v, T, 1, iova0 + 2 * page, page, &x), -EEXIST);
	ck_assert_int_eq(nestio_hw_queue_new(v, T, MOCK_HW_QUEUE_MAX, iova0 + 2 * page,
					     page, &x), -EINVAL);
	ck_assert_int_eq(nestio_hw_queue_new(v, 0x1234, 0, iova0 + 2 * page, page, &x),
			 -EOPNOTSUPP);
	/* the core's: type 0 is no type */
	ck_assert_int_eq(nestio_hw_queue_new(v, 0, 0, iova0 + 2 * page, page, &x),
			 -EOPNOTSUPP);
	/* the queue's memory is pinned: it cannot be unmapped under it */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, iova0, NPAGES * page, &unmapped),
			 -EBUSY);

	/* on a second vIOMMU: the base must be mapped in the nest parent's
	 * IOAS, and queues come in index order (index 1 needs index 0) */
	ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &v2), 0);
	v2id = nestio_viommu_get_id(v2);
	ck_assert_int_eq(nestio_hw_queue_new(v2, T, 0, iova0 + NPAGES * page, page, &x),
			 -ENOENT);
	ck_assert_int_eq(nestio_hw_queue_new(v2, T, 1, iova0 + 2 * page, page, &x), -EIO);
	/* a base that is not page-aligned is the kernel's to take */
	ck_assert_int_eq(nestio_hw_queue_new(v2, T, 0, iova0 + 2 * page + 64, 128, &x), 0);
	q_ids[2] = nestio_hw_queue_get_id(x);
	v2 = nestio_viommu_unref(v2);
	ck_assert(tu_kernel_has(ifd, v2id));		/* x pins it */
	x = nestio_hw_queue_unref(x);
	ck_assert(!tu_kernel_has(ifd, q_ids[2]));
	ck_assert(!tu_kernel_has(ifd, v2id));

	/* drop every handle, queue 0 first: queue 1 pins queue 0 (the kernel
	 * would refuse to destroy it first), and its vIOMMU and parent */
	nestio_hwpt_unref(parent);
	nestio_viommu_unref(v);
	q0 = nestio_hw_queue_unref(q0);
	ck_assert(tu_kernel_has(ifd, q_ids[0]));
	ck_assert(tu_kernel_has(ifd, vid));
	q1 = nestio_hw_queue_unref(q1);
	for (int k = 0; k < 2; k++)
		ck_assert(!tu_kernel_has(ifd, q_ids[k]));
	ck_assert(!tu_kernel_has(ifd, vid));
	ck_assert(!tu_kernel_has(ifd, pid));
	/* and the memory is free to unmap */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, iova0, NPAGES * page, &unmapped), 0);
	ck_assert_uint_eq(unmapped, NPAGES * page);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dirty-mock");
	TCase *tc = tcase_create("dirty-mock");

	tu_require_mock();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dirty_read_clear);
	tcase_add_test(tc, test_dirty_kernel_rules);
	tcase_add_test(tc, test_hw_queue);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
