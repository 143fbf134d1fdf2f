// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2 (issue 16.5), against the kernel's IOMMUFD_TEST mock driver: what
 * IOMMU_IOAS_UNMAP answers for ranges that are not (wholly) mapped, and
 * NESTIO_UNMAP_ABSENT_OK on each; the VFIO compat IOAS (IOMMU_VFIO_IOAS),
 * checked through the type1 map the compat layer serves; the per-device
 * type probe (nestio_device_supports) against the mock's own types.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

static uint64_t pg;

/* a fixed-IOVA read-write map of pages [first, first + n) of tu_buf at iova */
static void map_at(struct nestio_ioas *ioas, uint64_t iova, unsigned int first,
		   unsigned int n)
{
	uint64_t at = iova;

	ck_assert_int_eq(nestio_ioas_map(ioas, tu_buf + first * pg, n * pg, &at,
					 NESTIO_MAP_READ | NESTIO_MAP_WRITE |
					 NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_uint_eq(at, iova);
}

START_TEST(test_unmap_absent)
{
	struct nestio_ioas *ioas = NULL;
	struct tu_mock_dev md;
	uint64_t x, n = 77;

	pg = (uint64_t)sysconf(_SC_PAGESIZE);
	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &ioas), 0);
	ck_assert_int_eq(tu_mock_domain(tu_ifd, nestio_ioas_get_id(ioas), 0, &md), 0);
	x = MOCK_APERTURE_START + 0x100000;
	map_at(ioas, x, 0, 4);			/* A: pages 0..3 */
	map_at(ioas, x + 8 * pg, 4, 2);		/* B: pages 8..9 */
	map_at(ioas, x + 32 * pg, 6, 2);	/* C: pages 32..33 */
	map_at(ioas, x + 34 * pg, 8, 4);	/* D: pages 34..37, right after C */

	/* nothing mapped in the range: ENOENT; with the flag 0, 0 bytes */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, x + 16 * pg, 4 * pg, &n), -ENOENT);
	ck_assert_uint_eq(n, 77);
	ck_assert_int_eq(nestio_ioas_unmap_ext(ioas, x + 16 * pg, 4 * pg, 0, &n), -ENOENT);
	ck_assert_int_eq(nestio_ioas_unmap_ext(ioas, x + 16 * pg, 4 * pg,
					       NESTIO_UNMAP_ABSENT_OK, &n), 0);
	ck_assert_uint_eq(n, 0);

	/* a range inside A cuts it: ENOENT too, and A stays whole */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, x + pg, pg, &n), -ENOENT);
	ck_assert_int_eq(nestio_ioas_unmap(ioas, x, 2 * pg, &n), -ENOENT);
	ck_assert_int_eq(nestio_ioas_unmap(ioas, x + 2 * pg, 4 * pg, &n), -ENOENT);
	ck_assert_int_eq(tu_mock_check_map(tu_ifd, md.hwpt_id, x, 4 * pg, tu_buf), 0);
	/* the flag cannot tell a cut from nothing: 0 bytes, A untouched */
	n = 77;
	ck_assert_int_eq(nestio_ioas_unmap_ext(ioas, x + pg, pg,
					       NESTIO_UNMAP_ABSENT_OK, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(tu_mock_check_map(tu_ifd, md.hwpt_id, x, 4 * pg, tu_buf), 0);

	/* C whole, then a cut into D: ENOENT, but C is gone by then */
	n = 77;
	ck_assert_int_eq(nestio_ioas_unmap(ioas, x + 32 * pg, 4 * pg, &n), -ENOENT);
	ck_assert_uint_eq(n, 77);
	ck_assert_int_ne(tu_mock_check_map(tu_ifd, md.hwpt_id, x + 32 * pg, pg,
					   tu_buf + 6 * pg), 0);
	ck_assert_int_eq(tu_mock_check_map(tu_ifd, md.hwpt_id, x + 34 * pg, 4 * pg,
					   tu_buf + 8 * pg), 0);
	/* ...so C's range is now "nothing there" */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, x + 32 * pg, 2 * pg, &n), -ENOENT);

	/* partly mapped: whole mappings and holes: 0, the mappings' bytes */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, x, 16 * pg, &n), 0);
	ck_assert_uint_eq(n, 6 * pg);		/* A and B */
	ck_assert_int_ne(tu_mock_check_map(tu_ifd, md.hwpt_id, x, pg, tu_buf), 0);
	ck_assert_int_eq(tu_mock_check_map(tu_ifd, md.hwpt_id, x + 34 * pg, 4 * pg,
					   tu_buf + 8 * pg), 0);
	/* the flag changes nothing about a success */
	ck_assert_int_eq(nestio_ioas_unmap_ext(ioas, x + 30 * pg, 10 * pg,
					       NESTIO_UNMAP_ABSENT_OK, &n), 0);
	ck_assert_uint_eq(n, 4 * pg);		/* D */
	/* an empty IOAS: unmap_all is a success, a range ENOENT */
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(nestio_ioas_unmap(ioas, x, pg, &n), -ENOENT);
	tu_mock_destroy(&md);
	nestio_ioas_unref(ioas);
}
END_TEST

/* a type1 VFIO_IOMMU_MAP_DMA on the iommufd: lands in the compat IOAS */
static int type1_map(uint64_t iova, uint64_t size, void *va)
{
	struct kabi_vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = KABI_VFIO_DMA_MAP_FLAG_READ | KABI_VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return ioctl(tu_ifd, KABI_VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

START_TEST(test_vfio_compat)
{
	struct nestio_ioas *a = NULL, *b = NULL;
	struct tu_mock_dev ma, mb;
	uint64_t iova = MOCK_APERTURE_START + 0x200000;
	uint32_t id = 77;

	pg = (uint64_t)sysconf(_SC_PAGESIZE);
	ck_assert_int_eq(nestio_ctx_has_feature(tu_ctx, NESTIO_FEATURE_VFIO_COMPAT), 1);
	/* before any SET: ENODEV, and a type1 map has nowhere to go */
	ck_assert_int_eq(nestio_ctx_get_vfio_compat_ioas(tu_ctx, &id), -ENODEV);
	ck_assert_uint_eq(id, 77);
	ck_assert_int_eq(type1_map(iova, pg, tu_buf), -ENODEV);

	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &a), 0);
	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &b), 0);
	ck_assert_int_eq(tu_mock_domain(tu_ifd, nestio_ioas_get_id(a), 0, &ma), 0);
	ck_assert_int_eq(tu_mock_domain(tu_ifd, nestio_ioas_get_id(b), 0, &mb), 0);
	ck_assert_int_eq(nestio_ioas_set_vfio_compat(a), 0);
	ck_assert_int_eq(nestio_ctx_get_vfio_compat_ioas(tu_ctx, &id), 0);
	ck_assert_uint_eq(id, nestio_ioas_get_id(a));
	/* the container's map lands in a, not in b */
	ck_assert_int_eq(type1_map(iova, 2 * pg, tu_buf), 0);
	ck_assert_int_eq(tu_mock_check_map(tu_ifd, ma.hwpt_id, iova, 2 * pg, tu_buf), 0);
	ck_assert_int_ne(tu_mock_check_map(tu_ifd, mb.hwpt_id, iova, pg, tu_buf), 0);
	/* SET again moves it */
	ck_assert_int_eq(nestio_ioas_set_vfio_compat(b), 0);
	ck_assert_int_eq(nestio_ctx_get_vfio_compat_ioas(tu_ctx, &id), 0);
	ck_assert_uint_eq(id, nestio_ioas_get_id(b));
	ck_assert_int_eq(type1_map(iova, pg, tu_buf + 4 * pg), 0);
	ck_assert_int_eq(tu_mock_check_map(tu_ifd, mb.hwpt_id, iova, pg, tu_buf + 4 * pg), 0);
	/* CLEAR: none again */
	ck_assert_int_eq(nestio_ctx_clear_vfio_compat(tu_ctx), 0);
	ck_assert_int_eq(nestio_ctx_get_vfio_compat_ioas(tu_ctx, &id), -ENODEV);
	ck_assert_int_eq(nestio_ctx_clear_vfio_compat(tu_ctx), 0);	/* twice: fine */
	/* destroying the compat IOAS clears it too */
	ck_assert_int_eq(nestio_ioas_set_vfio_compat(a), 0);
	tu_mock_destroy(&ma);
	a = nestio_ioas_unref(a);
	ck_assert_int_eq(nestio_ctx_get_vfio_compat_ioas(tu_ctx, &id), -ENODEV);
	tu_mock_destroy(&mb);
	nestio_ioas_unref(b);
}
END_TEST

/* the type probe on the mock: its own types only, nothing left behind */
START_TEST(test_supports)
{
	struct nestio_ctx *ctx = NULL;
	struct nestio_ioas *ioas = NULL, *tmp = NULL;
	struct nestio_device *dev = NULL;
	struct nestio_hwpt *parent = NULL;
	struct nestio_viommu *v = NULL;
	struct nestio_veventq *q = NULL;
	uint32_t k;
	int ifd;

	tu_mock_nest_setup(0, &ctx, &ioas, &dev, &parent);
	ifd = nestio_ctx_get_fd(ctx);
	ck_assert_int_eq(nestio_ioas_new(ctx, &tmp), 0);
	k = nestio_ioas_get_id(tmp);
	nestio_ioas_unref(tmp);		/* k is the lowest free id again */

	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA,
						MOCK_HWPT_DATA_SELFTEST), 1);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA, 1), 0);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA, 2), 0);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA, 3), 0);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU,
						MOCK_VIOMMU_TYPE_SELFTEST), 1);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU,
						NESTIO_VIOMMU_ARM_SMMUV3), 0);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU,
						NESTIO_VIOMMU_TEGRA241_CMDQV), 0);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU, 0), 0);
	/* cached answers agree */
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA,
						MOCK_HWPT_DATA_SELFTEST), 1);
	/* the probes made objects k, k + 1, ... and destroyed them all */
	for (uint32_t id = k; id < k + 4; id++)
		ck_assert_msg(!tu_kernel_has(ifd, id), "object %u left", id);
	ck_assert_int_eq(nestio_ioas_new(ctx, &tmp), 0);
	ck_assert_uint_eq(nestio_ioas_get_id(tmp), k);
	nestio_ioas_unref(tmp);

	/* a yes is a yes: the probed types make real objects */
	{
		struct nestio_hwpt *nested = NULL;

		ck_assert_int_eq(nestio_hwpt_new_nested(dev, parent, &tu_mock_s1,
							NULL, &nested), 0);
		nestio_hwpt_unref(nested);
	}
	ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &v), 0);
	/* vEVENTQ types are not probed: the kernel takes any type but 0 on
	 * any vIOMMU, SMMUv3's on the mock's included */
	ck_assert_int_eq(nestio_veventq_new(v, NESTIO_VEVENTQ_ARM_SMMUV3, 4, &q), 0);
	nestio_veventq_unref(q);
	nestio_viommu_unref(v);
	nestio_hwpt_unref(parent);
	nestio_device_unref(dev);
	nestio_ioas_unref(ioas);
	nestio_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("misc-mock");
	TCase *tc = tcase_create("misc-mock");

	tu_require_mock();
	tcase_add_checked_fixture(tc, tu_mock_setup, tu_mock_teardown);
	tcase_add_test(tc, test_unmap_absent);
	tcase_add_test(tc, test_vfio_compat);
	tcase_add_test(tc, test_supports);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
