// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: HW queues against the kernel's IOMMUFD_TEST mock: its
 * IOMMU_HW_QUEUE_TYPE_SELFTEST on a mock vIOMMU, in the nest parent's IOAS
 * (the pages tu_mock_mapped_setup maps, mockdev.h).
 */
#include <stdlib.h>
#include <string.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

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

	ck_assert_int_eq(nestio_hwpt_new_paging(tu_dev, tu_ioas, &o, &parent), 0);
	ck_assert_int_eq(nestio_viommu_new(tu_dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &v), 0);
	pid = nestio_hwpt_get_id(parent);
	vid = nestio_viommu_get_id(v);

	r = nestio_hw_queue_new(v, T, 0, tu_iova0, tu_page, &q0);
	if (tu_is_feature_missing(r)) {
		const char *req = getenv("NESTIO_REQUIRE_KERNEL");

		/* an older kernel: no IOMMU_HW_QUEUE_ALLOC; the test VM's has it */
		ck_assert_msg(!req || strcmp(req, "1"), "no HW queue: %d", r);
		ck_assert(!nestio_ctx_has_feature(tu_ctx, NESTIO_FEATURE_HW_QUEUE));
		nestio_viommu_unref(v);
		nestio_hwpt_unref(parent);
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(nestio_hw_queue_new(v, T, 1, tu_iova0 + tu_page, tu_page, &q1), 0);
	q_ids[0] = nestio_hw_queue_get_id(q0);
	q_ids[1] = nestio_hw_queue_get_id(q1);
	ck_assert_uint_ne(q_ids[0], 0);
	ck_assert_uint_ne(q_ids[0], q_ids[1]);
	ck_assert(tu_kernel_has(tu_ifd, q_ids[0]));
	ck_assert(tu_kernel_has(tu_ifd, q_ids[1]));

	/* the mock's rules: an index taken, an index past its two, a type
	 * it does not know */
	ck_assert_int_eq(nestio_hw_queue_new(v, T, 1, tu_iova0 + 2 * tu_page, tu_page, &x), -EEXIST);
	ck_assert_int_eq(nestio_hw_queue_new(v, T, MOCK_HW_QUEUE_MAX, tu_iova0 + 2 * tu_page,
					     tu_page, &x), -EINVAL);
	ck_assert_int_eq(nestio_hw_queue_new(v, 0x1234, 0, tu_iova0 + 2 * tu_page, tu_page, &x),
			 -EOPNOTSUPP);
	/* the core's: type 0 is no type */
	ck_assert_int_eq(nestio_hw_queue_new(v, 0, 0, tu_iova0 + 2 * tu_page, tu_page, &x),
			 -EOPNOTSUPP);
	/* the queue's memory is pinned: it cannot be unmapped under it */
	ck_assert_int_eq(nestio_ioas_unmap(tu_ioas, tu_iova0, TU_MOCK_NPAGES * tu_page, &unmapped),
			 -EBUSY);

	/* on a second vIOMMU: the base must be mapped in the nest parent's
	 * IOAS, and queues come in index order (index 1 needs index 0) */
	ck_assert_int_eq(nestio_viommu_new(tu_dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &v2), 0);
	v2id = nestio_viommu_get_id(v2);
	ck_assert_int_eq(nestio_hw_queue_new(v2, T, 0, tu_iova0 + TU_MOCK_NPAGES * tu_page, tu_page, &x),
			 -ENOENT);
	ck_assert_int_eq(nestio_hw_queue_new(v2, T, 1, tu_iova0 + 2 * tu_page, tu_page, &x), -EIO);
	/* a base that is not page-aligned is the kernel's to take */
	ck_assert_int_eq(nestio_hw_queue_new(v2, T, 0, tu_iova0 + 2 * tu_page + 64, 128, &x), 0);
	q_ids[2] = nestio_hw_queue_get_id(x);
	v2 = nestio_viommu_unref(v2);
	ck_assert(tu_kernel_has(tu_ifd, v2id));		/* x pins it */
	x = nestio_hw_queue_unref(x);
	ck_assert(!tu_kernel_has(tu_ifd, q_ids[2]));
	ck_assert(!tu_kernel_has(tu_ifd, v2id));

	/* drop every handle, queue 0 first: queue 1 pins queue 0 (the kernel
	 * would refuse to destroy it first), and its vIOMMU and parent */
	nestio_hwpt_unref(parent);
	nestio_viommu_unref(v);
	q0 = nestio_hw_queue_unref(q0);
	ck_assert(tu_kernel_has(tu_ifd, q_ids[0]));
	ck_assert(tu_kernel_has(tu_ifd, vid));
	q1 = nestio_hw_queue_unref(q1);
	for (int k = 0; k < 2; k++)
		ck_assert(!tu_kernel_has(tu_ifd, q_ids[k]));
	ck_assert(!tu_kernel_has(tu_ifd, vid));
	ck_assert(!tu_kernel_has(tu_ifd, pid));
	/* and the memory is free to unmap */
	ck_assert_int_eq(nestio_ioas_unmap(tu_ioas, tu_iova0, TU_MOCK_NPAGES * tu_page, &unmapped), 0);
	ck_assert_uint_eq(unmapped, TU_MOCK_NPAGES * tu_page);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hwqueue-mock");
	TCase *tc = tcase_create("hwqueue-mock");

	tu_require_mock();
	tcase_add_checked_fixture(tc, tu_mock_mapped_setup, tu_mock_mapped_teardown);
	tcase_add_test(tc, test_hw_queue);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
