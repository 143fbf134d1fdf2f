// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 4 (issue 16.5): nestio_device_supports() on the emulated SMMUv3 with
 * edu bound to vfio-pci. SMMUv3 takes its stage-1 data only through a
 * vIOMMU: no nested-hwpt data type on a plain nest parent, the ARM_SMMUV3
 * vIOMMU type yes (and one is really made), Tegra241 CMDQV no.
 */
#include <fcntl.h>
#include <unistd.h>

#include "edu.h"
#include "kabi.h"
#include "mockdev.h"

START_TEST(test_supports_smmuv3)
{
	struct nestio_hwpt_paging_opts np = { .sz = sizeof(np),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_ctx *ctx = NULL;
	struct nestio_device *dev = NULL;
	struct nestio_ioas *ioas = NULL;
	struct nestio_hwpt *parent = NULL;
	struct nestio_viommu *v = NULL;

	ck_assert_int_eq(nestio_ctx_new(&ctx), 0);
	ck_assert_int_eq(nestio_device_open(ctx, edu_bdf(), &dev), 0);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU,
						NESTIO_VIOMMU_ARM_SMMUV3), 1);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU,
						NESTIO_VIOMMU_TEGRA241_CMDQV), 0);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA,
						KABI_HWPT_DATA_ARM_SMMUV3), 0);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA,
						KABI_HWPT_DATA_VTD_S1), 0);
	/* the yes is real: a nest parent and an SMMUv3 vIOMMU on it */
	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &np, &parent), 0);
	ck_assert_int_eq(nestio_viommu_new(dev, parent, NESTIO_VIOMMU_ARM_SMMUV3,
					   NULL, &v), 0);
	nestio_viommu_unref(v);
	nestio_hwpt_unref(parent);
	nestio_ioas_unref(ioas);
	nestio_device_unref(dev);
	nestio_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("probe-smmuv3");
	TCase *tc = tcase_create("probe-smmuv3");

	if (access("/dev/iommu", F_OK))
		tu_skip("no /dev/iommu");
	if (!edu_bdf())
		tu_skip("no edu device bound to vfio-pci (NESTIO_EDU_BDF unset)");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_supports_smmuv3);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
