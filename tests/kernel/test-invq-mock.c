// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: the invalidation queue against the kernel's IOMMUFD_TEST mock.
 * The mock's nested hwpt has four IOTLB entries and its device four cache
 * entries; an invalidation zeroes the ones it names, and the mock reports
 * how many entries of a batch it handled before one it rejects. The test
 * asks the mock (MD_CHECK_IOTLB, DEV_CHECK_CACHE) what was really done
 * rather than trusting the queue's own count.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

static struct nestio_ctx *ctx;
static struct nestio_ioas *ioas;
static struct nestio_device *dev;
static struct nestio_hwpt *parent, *nested;
static uint32_t nested_id;
static int ifd;


static void setup(void)
{
	tu_mock_nest_setup(0, &ctx, &ioas, &dev, &parent);
	ifd = nestio_ctx_get_fd(ctx);
	ck_assert_int_eq(nestio_hwpt_new_nested(dev, parent, &tu_mock_s1, NULL, &nested), 0);
	nested_id = nestio_hwpt_get_id(nested);
}

static void teardown(void)
{
	nested = nestio_hwpt_unref(nested);
	dev = nestio_device_unref(dev);
	parent = nestio_hwpt_unref(parent);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
}


static int mock_check(uint32_t op, uint32_t id, uint32_t i, uint32_t value)
{
	struct mock_cmd cmd = { .size = sizeof(cmd), .op = op, .id = id };

	cmd.check_cache.id = i;
	cmd.check_cache.value = value;
	return ioctl(ifd, MOCK_IOMMU_TEST_CMD, &cmd) < 0 ? -errno : 0;
}

/* the nested hwpt's mock IOTLB entries hold these values */
static void expect_iotlb(uint32_t hwpt_id, const uint32_t want[MOCK_IOTLB_NUM])
{
	for (uint32_t i = 0; i < MOCK_IOTLB_NUM; i++)
		ck_assert_msg(!mock_check(MOCK_OP_MD_CHECK_IOTLB, hwpt_id, i, want[i]),
			      "iotlb %u is not %#x", i, want[i]);
}

/* the mock device's cache entries hold these values */
static void expect_cache(uint32_t dev_id, const uint32_t want[MOCK_CACHE_NUM])
{
	for (uint32_t i = 0; i < MOCK_CACHE_NUM; i++)
		ck_assert_msg(!mock_check(MOCK_OP_DEV_CHECK_CACHE, dev_id, i, want[i]),
			      "cache %u is not %#x", i, want[i]);
}

#define DEF MOCK_IOTLB_DEFAULT
#define CDEF MOCK_DEV_CACHE_DEFAULT

static struct nestio_invq *hwpt_raw_q(uint32_t capacity)
{
	struct nestio_invq_opts o = {
		.sz = sizeof(o),
		.capacity = capacity,
		.raw_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
		.raw_entry_len = sizeof(struct mock_hwpt_invalidate_selftest),
	};
	struct nestio_invq *q = NULL;

	ck_assert_int_eq(nestio_invq_new(nested, NESTIO_INV_RAW, &o, &q), 0);
	return q;
}

static void push_iotlb(struct nestio_invq *q, uint32_t flags, uint32_t id)
{
	struct mock_hwpt_invalidate_selftest e = { .flags = flags, .iotlb_id = id };

	ck_assert_int_eq(nestio_invq_push(q, &e, sizeof(e)), 0);
}

/* ---------------------------------------------------------- nested hwpt */

START_TEST(test_hwpt_invalidate)
{
	struct nestio_invq *q = hwpt_raw_q(0);

	expect_iotlb(nested_id, (const uint32_t[]){ DEF, DEF, DEF, DEF });
	push_iotlb(q, 0, 1);
	push_iotlb(q, 0, 3);
	/* pushing sends nothing */
	expect_iotlb(nested_id, (const uint32_t[]){ DEF, DEF, DEF, DEF });
	ck_assert_int_eq(nestio_invq_pending(q), 2);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 2);
	expect_iotlb(nested_id, (const uint32_t[]){ DEF, 0, DEF, 0 });
	ck_assert_int_eq(nestio_invq_pending(q), 0);
	EXPECT_INVQ_STATS(q,
			  .pushed = WANT(2), .sent = WANT(2), .ioctls = WANT(1),
			  .failures = WANT(0));
	/* an empty flush is no call */
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 0);
	EXPECT_INVQ_STATS(q, .ioctls = WANT(1));
	/* FLAG_ALL clears every entry (its id is ignored) */
	push_iotlb(q, MOCK_INVALIDATE_FLAG_ALL, 0);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 1);
	expect_iotlb(nested_id, (const uint32_t[]){ 0, 0, 0, 0 });
	EXPECT_INVQ_STATS(q, .ioctls = WANT(2));
	nestio_invq_unref(q);
}
END_TEST

START_TEST(test_hwpt_partial)
{
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	const struct mock_hwpt_invalidate_selftest bad = {
		.iotlb_id = MOCK_IOTLB_ID_MAX + 1,
	};
	struct nestio_invq *q = hwpt_raw_q(0);

	push_iotlb(q, 0, 0);
	push_iotlb(q, 0, 1);
	ck_assert_int_eq(nestio_invq_push(q, &bad, sizeof(bad)), 0);
	push_iotlb(q, 0, 2);
	push_iotlb(q, 0, 3);
	/* the mock handles two, rejects the third */
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EINVAL);
	ck_assert_int_eq(fail.error, -EINVAL);
	ck_assert_uint_eq(fail.index, 2);
	ck_assert_uint_eq(fail.entry_len, sizeof(bad));
	ck_assert(!memcmp(fail.entry, &bad, sizeof(bad)));
	ck_assert_int_eq(nestio_invq_pending(q), 3);
	expect_iotlb(nested_id, (const uint32_t[]){ 0, 0, DEF, DEF });
	EXPECT_INVQ_STATS(q, .sent = WANT(2), .ioctls = WANT(1), .failures = WANT(1));
	/* resending fails on it again, now at index 0, and does nothing else */
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EINVAL);
	ck_assert_uint_eq(fail.index, 0);
	ck_assert(!memcmp(fail.entry, &bad, sizeof(bad)));
	ck_assert_int_eq(nestio_invq_pending(q), 3);
	expect_iotlb(nested_id, (const uint32_t[]){ 0, 0, DEF, DEF });
	/* skip it: the two after it go */
	ck_assert_int_eq(nestio_invq_discard(q, 1), 1);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), 2);
	expect_iotlb(nested_id, (const uint32_t[]){ 0, 0, 0, 0 });
	ck_assert_int_eq(nestio_invq_pending(q), 0);
	EXPECT_INVQ_STATS(q,
			  .pushed = WANT(5), .sent = WANT(4), .ioctls = WANT(3),
			  .failures = WANT(2));
	nestio_invq_unref(q);
}
END_TEST

/* flags the mock does not know: EOPNOTSUPP, with the same partial count */
START_TEST(test_hwpt_unknown_flags)
{
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_invq *q = hwpt_raw_q(0);

	push_iotlb(q, 0, 2);
	push_iotlb(q, 1u << 5, 1);
	push_iotlb(q, 0, 0);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EOPNOTSUPP);
	ck_assert_uint_eq(fail.index, 1);
	ck_assert_int_eq(nestio_invq_pending(q), 2);
	expect_iotlb(nested_id, (const uint32_t[]){ DEF, DEF, 0, DEF });
	nestio_invq_unref(q);
}
END_TEST

/* a full queue flushes itself, one ioctl per capacity */
START_TEST(test_hwpt_capacity)
{
	struct nestio_invq *q = hwpt_raw_q(64);

	for (uint32_t i = 0; i < 200; i++)
		push_iotlb(q, 0, i % MOCK_IOTLB_NUM);
	/* ioctls at pushes 65, 129 and 193 */
	EXPECT_INVQ_STATS(q, .ioctls = WANT(3), .sent = WANT(192));
	ck_assert_int_eq(nestio_invq_pending(q), 8);
	expect_iotlb(nested_id, (const uint32_t[]){ 0, 0, 0, 0 });
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 8);
	EXPECT_INVQ_STATS(q,
			  .ioctls = WANT(4), .sent = WANT(200), .pushed = WANT(200),
			  .failures = WANT(0));
	nestio_invq_unref(q);
}
END_TEST

/* the mock takes only its own type: a VT-d queue keeps every entry */
START_TEST(test_hwpt_vtd_refused)
{
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_invq *q = NULL;
	int r;

	ck_assert_int_eq(nestio_invq_new(nested, NESTIO_INV_VTD_S1, NULL, &q), 0);
	ck_assert_int_eq(nestio_invq_push_vtd(q, 0x1000, 1, 0), 0);
	ck_assert_int_eq(nestio_invq_push_vtd(q, 0x8000, 4, NESTIO_INV_VTD_LEAF), 0);
	ck_assert_int_eq(nestio_invq_push_vtd(q, 0, NESTIO_INV_VTD_ALL, 0), 0);
	r = nestio_invq_flush(q, &fail);
	ck_assert_msg(r == -EINVAL || r == -EOPNOTSUPP, "flush = %d", r);
	ck_assert_int_eq(fail.error, r);
	ck_assert_uint_eq(fail.index, 0);
	ck_assert_uint_eq(fail.entry_len, sizeof(struct nestio_inv_vtd));
	ck_assert(!memcmp(fail.entry, &(struct nestio_inv_vtd){ .addr = 0x1000, .npages = 1 },
			  sizeof(struct nestio_inv_vtd)));
	ck_assert_int_eq(nestio_invq_pending(q), 3);
	expect_iotlb(nested_id, (const uint32_t[]){ DEF, DEF, DEF, DEF });
	EXPECT_INVQ_STATS(q, .sent = WANT(0), .ioctls = WANT(1), .failures = WANT(1));
	nestio_invq_unref(q);
}
END_TEST

/* the queue pins its hwpt: the kernel object outlives our reference */
START_TEST(test_hwpt_pinned)
{
	struct nestio_invq *q = hwpt_raw_q(0);

	nested = nestio_hwpt_unref(nested);
	ck_assert(tu_kernel_has(ifd, nested_id));
	push_iotlb(q, 0, 2);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 1);
	expect_iotlb(nested_id, (const uint32_t[]){ DEF, DEF, 0, DEF });
	nestio_invq_unref(q);
	ck_assert(!tu_kernel_has(ifd, nested_id));
}
END_TEST

/* --------------------------------------------------------------- vIOMMU */

START_TEST(test_viommu_invalidate)
{
	struct nestio_invq_opts o = {
		.sz = sizeof(o),
		.raw_type = MOCK_VIOMMU_INVALIDATE_DATA_SELFTEST,
		.raw_entry_len = sizeof(struct mock_viommu_invalidate_selftest),
	};
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_viommu *v = NULL;
	struct nestio_vdevice *vd = NULL;
	struct nestio_invq *q = NULL, *s = NULL;
	uint32_t dev_id = nestio_device_get_id(dev), vid;
	const uint32_t vdev = 0x42;
	struct mock_viommu_invalidate_selftest e[] = {
		{ .vdev_id = vdev, .cache_id = 0 },
		{ .vdev_id = vdev, .cache_id = 2 },
		{ .vdev_id = vdev, .cache_id = 1 },
		{ .vdev_id = 0x99, .cache_id = 0 },	/* no such vDEVICE */
		{ .vdev_id = vdev, .cache_id = 3 },
		{ .flags = MOCK_INVALIDATE_FLAG_ALL, .vdev_id = vdev },
	};

	ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &v), 0);
	vid = nestio_viommu_get_id(v);
	ck_assert_int_eq(nestio_vdevice_new(v, dev, vdev, &vd), 0);
	ck_assert_int_eq(nestio_invq_new_viommu(v, NESTIO_INV_RAW, &o, &q), 0);
	expect_cache(dev_id, (const uint32_t[]){ CDEF, CDEF, CDEF, CDEF });

	/* two entries, one ioctl */
	ck_assert_int_eq(nestio_invq_push(q, &e[0], sizeof(e[0])), 0);
	ck_assert_int_eq(nestio_invq_push(q, &e[1], sizeof(e[1])), 0);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 2);
	expect_cache(dev_id, (const uint32_t[]){ 0, CDEF, 0, CDEF });

	/* an unknown vdev_id in the middle: the one before is done, the
	 * bad one and the one after stay, in order */
	for (int i = 2; i < 5; i++)
		ck_assert_int_eq(nestio_invq_push(q, &e[i], sizeof(e[i])), 0);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EINVAL);
	ck_assert_int_eq(fail.error, -EINVAL);
	ck_assert_uint_eq(fail.index, 1);
	ck_assert_uint_eq(fail.entry_len, sizeof(e[3]));
	ck_assert(!memcmp(fail.entry, &e[3], sizeof(e[3])));
	ck_assert_int_eq(nestio_invq_pending(q), 2);
	expect_cache(dev_id, (const uint32_t[]){ 0, 0, 0, CDEF });
	ck_assert_int_eq(nestio_invq_discard(q, 1), 1);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 1);
	expect_cache(dev_id, (const uint32_t[]){ 0, 0, 0, 0 });
	EXPECT_INVQ_STATS(q,
			  .pushed = WANT(5), .sent = WANT(4), .ioctls = WANT(3),
			  .failures = WANT(1));

	/* an SMMUv3 queue on the mock vIOMMU: refused, nothing lost */
	ck_assert_int_eq(nestio_invq_new_viommu(v, NESTIO_INV_ARM_SMMUV3, NULL, &s), 0);
	ck_assert_int_eq(nestio_invq_push_smmuv3(s, 0x10, 0), 0);
	ck_assert_int_eq(nestio_invq_push_smmuv3(s, 0x12 | 1ull << 48, 0x1000), 0);
	ck_assert_int_lt(nestio_invq_flush(s, NULL), 0);
	ck_assert_int_eq(nestio_invq_pending(s), 2);
	s = nestio_invq_unref(s);

	/* FLAG_ALL is taken too */
	ck_assert_int_eq(nestio_invq_push(q, &e[5], sizeof(e[5])), 0);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 1);

	/* the queue pins the vIOMMU: with the vDEVICE and our reference gone
	 * it is still there and still answers (no such vDEVICE now) */
	vd = nestio_vdevice_unref(vd);
	v = nestio_viommu_unref(v);
	ck_assert(tu_kernel_has(ifd, vid));
	ck_assert_int_eq(nestio_invq_push(q, &e[0], sizeof(e[0])), 0);
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EINVAL);
	ck_assert_uint_eq(fail.index, 0);
	ck_assert_int_eq(nestio_invq_pending(q), 1);
	q = nestio_invq_unref(q);
	ck_assert(!tu_kernel_has(ifd, vid));
}
END_TEST

/* ------------------------------------------------------ the direct calls */

static int hwpt_inv(struct nestio_hwpt *h, const struct mock_hwpt_invalidate_selftest *e,
		    uint32_t *n)
{
	return nestio_hwpt_invalidate(h, NESTIO_INV_RAW, MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
				      e, sizeof(*e), n);
}

START_TEST(test_direct_hwpt)
{
	const struct mock_hwpt_invalidate_selftest e[] = {
		{ .iotlb_id = 1 }, { .iotlb_id = 3 },
		{ .iotlb_id = 0 }, { .iotlb_id = MOCK_IOTLB_ID_MAX + 1 }, { .iotlb_id = 2 },
		{ .flags = MOCK_INVALIDATE_FLAG_ALL },
	};
	uint32_t n = 2;

	expect_iotlb(nested_id, (const uint32_t[]){ DEF, DEF, DEF, DEF });
	ck_assert_int_eq(hwpt_inv(nested, e, &n), 0);
	ck_assert_uint_eq(n, 2);
	expect_iotlb(nested_id, (const uint32_t[]){ DEF, 0, DEF, 0 });
	/* the mock rejects the second entry: the first is done, the last not */
	n = 3;
	ck_assert_int_eq(hwpt_inv(nested, &e[2], &n), -EINVAL);
	ck_assert_uint_eq(n, 1);
	expect_iotlb(nested_id, (const uint32_t[]){ 0, 0, DEF, 0 });
	/* from the failed one on: fails at once, nothing else happens */
	n = 2;
	ck_assert_int_eq(hwpt_inv(nested, &e[3], &n), -EINVAL);
	ck_assert_uint_eq(n, 0);
	expect_iotlb(nested_id, (const uint32_t[]){ 0, 0, DEF, 0 });
	/* skip it */
	n = 1;
	ck_assert_int_eq(hwpt_inv(nested, &e[4], &n), 0);
	expect_iotlb(nested_id, (const uint32_t[]){ 0, 0, 0, 0 });
	ck_assert_int_eq(hwpt_inv(nested, &e[5], &n), 0);
}
END_TEST

/* flags the mock does not know, a type it does not take, a hwpt that is
 * not nested: nothing is done and the count says so */
START_TEST(test_direct_hwpt_refused)
{
	const struct mock_hwpt_invalidate_selftest e[] = {
		{ .iotlb_id = 2 }, { .flags = 1u << 5, .iotlb_id = 1 }, { .iotlb_id = 0 },
	};
	const struct nestio_inv_vtd v = { .addr = 0x1000, .npages = 1 };
	uint32_t n = 3;
	int r;

	ck_assert_int_eq(hwpt_inv(nested, e, &n), -EOPNOTSUPP);
	ck_assert_uint_eq(n, 1);
	expect_iotlb(nested_id, (const uint32_t[]){ DEF, DEF, 0, DEF });
	n = 1;
	r = nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, &v, sizeof(v), &n);
	ck_assert_msg(r == -EINVAL || r == -EOPNOTSUPP, "r = %d", r);
	ck_assert_uint_eq(n, 0);
	n = 1;
	ck_assert_int_eq(hwpt_inv(parent, e, &n), -EINVAL);	/* no ioctl: a paging hwpt */
	ck_assert_uint_eq(n, 1);
	expect_iotlb(nested_id, (const uint32_t[]){ DEF, DEF, 0, DEF });
}
END_TEST

START_TEST(test_direct_viommu)
{
	struct nestio_viommu *v = NULL;
	struct nestio_vdevice *vd = NULL;
	uint32_t dev_id = nestio_device_get_id(dev), n;
	const uint32_t vdev = 0x42;
	const struct mock_viommu_invalidate_selftest e[] = {
		{ .vdev_id = vdev, .cache_id = 0 },
		{ .vdev_id = vdev, .cache_id = 2 },
		{ .vdev_id = 0x99, .cache_id = 1 },	/* no such vDEVICE */
		{ .vdev_id = vdev, .cache_id = 3 },
	};
	const struct nestio_inv_smmuv3 s = { .cmd = { 0x10, 0 } };

	ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &v), 0);
	ck_assert_int_eq(nestio_vdevice_new(v, dev, vdev, &vd), 0);
	expect_cache(dev_id, (const uint32_t[]){ CDEF, CDEF, CDEF, CDEF });
	n = 4;
	ck_assert_int_eq(nestio_viommu_invalidate(v, NESTIO_INV_RAW,
						  MOCK_VIOMMU_INVALIDATE_DATA_SELFTEST,
						  e, sizeof(e[0]), &n), -EINVAL);
	ck_assert_uint_eq(n, 2);
	expect_cache(dev_id, (const uint32_t[]){ 0, CDEF, 0, CDEF });
	n = 1;
	ck_assert_int_eq(nestio_viommu_invalidate(v, NESTIO_INV_RAW,
						  MOCK_VIOMMU_INVALIDATE_DATA_SELFTEST,
						  &e[3], sizeof(e[0]), &n), 0);
	ck_assert_uint_eq(n, 1);
	expect_cache(dev_id, (const uint32_t[]){ 0, CDEF, 0, 0 });
	/* SMMUv3 commands on the mock vIOMMU: refused, nothing done */
	n = 1;
	ck_assert_int_lt(nestio_viommu_invalidate(v, NESTIO_INV_ARM_SMMUV3, 0, &s,
						  sizeof(s), &n), 0);
	ck_assert_uint_eq(n, 0);
	expect_cache(dev_id, (const uint32_t[]){ 0, CDEF, 0, 0 });
	nestio_vdevice_unref(vd);
	nestio_viommu_unref(v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("invq-mock");
	TCase *tc = tcase_create("invq-mock");
	tu_require_mock();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hwpt_invalidate);
	tcase_add_test(tc, test_hwpt_partial);
	tcase_add_test(tc, test_hwpt_unknown_flags);
	tcase_add_test(tc, test_hwpt_capacity);
	tcase_add_test(tc, test_hwpt_vtd_refused);
	tcase_add_test(tc, test_hwpt_pinned);
	tcase_add_test(tc, test_viommu_invalidate);
	tcase_add_test(tc, test_direct_hwpt);
	tcase_add_test(tc, test_direct_hwpt_refused);
	tcase_add_test(tc, test_direct_viommu);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
