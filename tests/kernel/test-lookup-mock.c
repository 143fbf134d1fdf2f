// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: nestio_ctx_lookup_{ioas,hwpt,device}() on real kernel objects of
 * the IOMMUFD_TEST mock: an IOAS, a paging hwpt, a nest parent, nested
 * hwpts on it and on a vIOMMU, and a mock device; each id is found as its
 * own kind only, with a reference the caller owns, and not after release.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

static struct nestio_ctx *ctx;
static struct nestio_ioas *ioas;
static struct nestio_device *dev;
static struct nestio_hwpt *parent;
static int ifd;

static void setup(void)
{
	tu_mock_nest_setup(MOCK_FLAGS_DEVICE_PASID, &ctx, &ioas, &dev, &parent);
	ifd = nestio_ctx_get_fd(ctx);
}

static void teardown(void)
{
	dev = nestio_device_unref(dev);
	parent = nestio_hwpt_unref(parent);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
}

/* the number of kinds (of ioas, hwpt, device) id is found as, in ctx;
 * *obj is what it was found as */
static int found_as(uint32_t id, void **obj)
{
	struct nestio_ioas *i = NULL;
	struct nestio_hwpt *h = NULL;
	struct nestio_device *d = NULL;
	int n = 0, r;

	r = nestio_ctx_lookup_ioas(ctx, id, &i);
	ck_assert(r == 0 || r == -ENOENT);
	if (r == 0) {
		n++;
		*obj = i;
		nestio_ioas_unref(i);
	}
	r = nestio_ctx_lookup_hwpt(ctx, id, &h);
	ck_assert(r == 0 || r == -ENOENT);
	if (r == 0) {
		n++;
		*obj = h;
		nestio_hwpt_unref(h);
	}
	r = nestio_ctx_lookup_device(ctx, id, &d);
	ck_assert(r == 0 || r == -ENOENT);
	if (r == 0) {
		n++;
		*obj = d;
		nestio_device_unref(d);
	}
	return n;
}

static void expect_found(uint32_t id, void *want)
{
	void *got = NULL;

	ck_assert_uint_ne(id, 0);
	ck_assert(tu_kernel_has(ifd, id));
	ck_assert_int_eq(found_as(id, &got), 1);
	ck_assert_ptr_eq(got, want);
}

START_TEST(test_lookup_real_objects)
{
	struct mock_viommu_selftest data = { .in_data = 1 };
	struct nestio_viommu_opts vo = { .sz = sizeof(vo), .data = &data,
					 .data_len = sizeof(data) };
	struct nestio_hwpt *paging = NULL, *nested = NULL, *vnested = NULL;
	struct nestio_viommu *v = NULL;
	uint32_t ids[5];
	void *got = NULL;
	int r;

	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, NULL, &paging), 0);
	ck_assert_int_eq(nestio_hwpt_new_nested(dev, parent, &tu_mock_s1, NULL,
						&nested), 0);
	r = nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST, &vo, &v);
	if (r == 0)
		ck_assert_int_eq(nestio_hwpt_new_nested_viommu(dev, v, &tu_mock_s1,
							       NULL, &vnested), 0);
	else
		ck_assert_msg(tu_is_feature_missing(r), "viommu: %d", r);

	expect_found(nestio_ioas_get_id(ioas), ioas);
	expect_found(nestio_device_get_id(dev), dev);
	expect_found(nestio_hwpt_get_id(paging), paging);
	expect_found(nestio_hwpt_get_id(parent), parent);
	expect_found(nestio_hwpt_get_id(nested), nested);
	if (v) {
		expect_found(nestio_hwpt_get_id(vnested), vnested);
		/* a vIOMMU id is a kernel object, but none of the three kinds */
		ck_assert(tu_kernel_has(ifd, nestio_viommu_get_id(v)));
		ck_assert_int_eq(found_as(nestio_viommu_get_id(v), &got), 0);
	}
	/* the mock's selftest device object is a kernel id we did not make */
	ck_assert_int_eq(found_as(tu_mock_stdev_id(dev), &got), 0);

	/* the caller's reference keeps a found object alive in the kernel */
	{
		struct nestio_hwpt *h = NULL;
		uint32_t id = nestio_hwpt_get_id(paging);

		ck_assert_int_eq(nestio_ctx_lookup_hwpt(ctx, id, &h), 0);
		paging = nestio_hwpt_unref(paging);
		ck_assert(tu_kernel_has(ifd, id));
		expect_found(id, h);
		nestio_hwpt_unref(h);
		ck_assert(!tu_kernel_has(ifd, id));
		ck_assert_int_eq(found_as(id, &got), 0);
	}

	/* released: gone from the kernel and from the lookups */
	ids[0] = nestio_hwpt_get_id(nested);
	ids[1] = v ? nestio_hwpt_get_id(vnested) : 0;
	nestio_hwpt_unref(nested);
	nestio_hwpt_unref(vnested);
	nestio_viommu_unref(v);
	for (int k = 0; k < 2; k++) {
		if (!ids[k])
			continue;
		ck_assert(!tu_kernel_has(ifd, ids[k]));
		ck_assert_int_eq(found_as(ids[k], &got), 0);
	}
	ids[2] = nestio_device_get_id(dev);
	ids[3] = nestio_hwpt_get_id(parent);
	ids[4] = nestio_ioas_get_id(ioas);
	dev = nestio_device_unref(dev);
	parent = nestio_hwpt_unref(parent);
	ioas = nestio_ioas_unref(ioas);
	for (int k = 2; k < 5; k++)
		ck_assert_int_eq(found_as(ids[k], &got), 0);
	ck_assert(!tu_kernel_has(ifd, ids[3]));
	ck_assert(!tu_kernel_has(ifd, ids[4]));
}
END_TEST

/* a second ctx (its own iommufd) sees none of the first one's objects,
 * even where the kernel gives it the same ids */
START_TEST(test_lookup_other_ctx)
{
	struct nestio_ctx *c2 = NULL;
	struct nestio_ioas *i2 = NULL, *found = NULL;
	struct nestio_hwpt *h = NULL;

	ck_assert_int_eq(nestio_ctx_new(&c2), 0);
	ck_assert_int_eq(nestio_ctx_lookup_ioas(c2, nestio_ioas_get_id(ioas),
						&found), -ENOENT);
	ck_assert_int_eq(nestio_ctx_lookup_hwpt(c2, nestio_hwpt_get_id(parent),
						&h), -ENOENT);
	ck_assert_int_eq(nestio_ioas_new(c2, &i2), 0);
	ck_assert_int_eq(nestio_ctx_lookup_ioas(c2, nestio_ioas_get_id(i2),
						&found), 0);
	ck_assert_ptr_eq(found, i2);
	nestio_ioas_unref(found);
	if (nestio_ioas_get_id(i2) == nestio_ioas_get_id(ioas)) {
		ck_assert_int_eq(nestio_ctx_lookup_ioas(ctx, nestio_ioas_get_id(ioas),
							&found), 0);
		ck_assert_ptr_eq(found, ioas);
		nestio_ioas_unref(found);
	}
	nestio_ioas_unref(i2);
	nestio_ctx_unref(c2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lookup-mock");
	TCase *tc = tcase_create("lookup-mock");

	tu_require_mock();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lookup_real_objects);
	tcase_add_test(tc, test_lookup_other_ctx);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
