// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: the ERRATA_772415_SPR17 enforcement through the fake
 * kernel. Where a nest parent's IOMMU has the erratum, read-only map,
 * map_file and copy into its IOAS are refused (and counted, and logged),
 * a nest parent on an IOAS that already holds a read-only mapping is
 * refused, and without the erratum nothing changes.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakekernel.h"
#include "hwregs.h"

/* ====================================== ERRATA_772415_SPR17 enforcement */

static char logged[512];

static void log_capture(struct nestio_ctx *c, int priority, const char *file,
			int line, const char *fn, const char *format, va_list args)
{
	size_t n = strlen(logged);

	(void)c; (void)file; (void)line; (void)fn;
	if (priority == LOG_INFO && n < sizeof(logged) - 2) {
		vsnprintf(logged + n, sizeof(logged) - n - 1, format, args);
		strcat(logged, "\n");
	}
}

static void setup_erratum(void)
{
	setup_objs();
	fk_hw_vtd(NEST_VTD_CAP, NEST_VTD_ECAP, true, 20);
	logged[0] = '\0';
	ck_assert_int_eq(nestio_ctx_set_log_fn(ctx, log_capture), 0);
	ck_assert_int_eq(nestio_ctx_set_log_priority(ctx, LOG_INFO), 0);
}

static struct nestio_hwpt *nest_parent(struct nestio_ioas *i)
{
	return new_hwpt(dev, i, NESTIO_HWPT_NEST_PARENT);
}

/* read-only map, map_file and copy into i: all give want */
static void ro_all(struct nestio_ioas *i, struct nestio_ioas *src, int want,
		   bool noio)
{
	static const unsigned int ro[] = { NESTIO_MAP_READ,
					   NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA };
	void *va = aligned_alloc(PAGE, PAGE);
	int fd = open_null();

	for (size_t k = 0; k < ARRAY_SIZE(ro); k++) {
		uint64_t iova = 0x100000;
		int n = tu_ncalls;

		ck_assert_int_eq(nestio_ioas_map(i, va, PAGE, &iova, ro[k]), want);
		ck_assert_int_eq(nestio_ioas_map_file(i, fd, 0, PAGE, &iova, ro[k]), want);
		ck_assert_int_eq(nestio_ioas_copy(i, &iova, src, 0, PAGE, ro[k]), want);
		ck_assert_int_eq(tu_ncalls - n, noio ? 0 : 3);
	}
	close(fd);
	free(va);
}

START_TEST(test_enforce_nest_parent)
{
	struct nestio_ioas *other = new_ioas(ctx);	/* id 101 */
	struct nestio_hwpt *h, *sentinel = (struct nestio_hwpt *)&rec;
	void *va = aligned_alloc(PAGE, PAGE);
	uint64_t iova = 0;
	int fd = open_null();

	tu_ncalls = 0;
	h = nest_parent(ioas);
	/* the hwpt, then one GET_HW_INFO for the device's errata */
	ck_assert_int_eq(tu_ncalls, 2);
	EXPECT_IOMMU(0, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc,
		     .flags = KABI_HWPT_ALLOC_NEST_PARENT, .dev_id = 7, .pt_id = 100);
	ck_assert_uint_eq(tu_calls[1].request, KABI_IOMMU_GET_HW_INFO);
	ck_assert_ptr_nonnull(strstr(logged, "772415-spr17"));
	/* read-only into the nest parent's IOAS: -EINVAL, no ioctl, logged */
	logged[0] = '\0';
	ro_all(ioas, other, -EINVAL, true);
	ck_assert_ptr_nonnull(strstr(logged, "read-only mapping refused"));
	ck_assert_ptr_nonnull(strstr(logged, "772415-spr17"));
	/* the other checks still come first: bad flags are bad flags */
	EXPECT_NOIO(nestio_ioas_map(ioas, va, PAGE, &iova, 0), -EINVAL);
	/* writable mappings work: read-write and write-only */
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &iova, RW), 0);
	ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &iova, NESTIO_MAP_WRITE), 0);
	ck_assert_int_eq(nestio_ioas_map_file(ioas, fd, 0, PAGE, &iova, RW), 0);
	ck_assert_int_eq(nestio_ioas_copy(ioas, &iova, other, 0, PAGE, RW), 0);
	ck_assert_int_eq(tu_ncalls, 4);
	EXPECT_IOMMU(0, KABI_IOMMU_IOAS_MAP, kabi_ioas_map,
		     .flags = KABI_IOAS_MAP_READABLE | KABI_IOAS_MAP_WRITEABLE,
		     .ioas_id = 100, .user_va = (uintptr_t)va, .length = PAGE);
	/* an IOAS without a nest parent still takes read-only mappings, also
	 * copied out of the banned one */
	tu_ncalls = 0;
	ro_all(other, ioas, 0, false);
	/* the ban lasts as long as the nest parent */
	h = nestio_hwpt_unref(h);
	tu_ncalls = 0;
	ro_all(ioas, other, 0, false);
	/* a refused nest parent (QEMU's VT-d: EOPNOTSUPP) asks nothing more and
	 * bans nothing; neither does a paging hwpt that is no nest parent */
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), 0);
	fk_fail(KABI_IOMMU_HWPT_ALLOC, EOPNOTSUPP, 1);
	tu_ncalls = 0;
	h = sentinel;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas,
		&(struct nestio_hwpt_paging_opts){ .sz = sizeof(struct nestio_hwpt_paging_opts),
						   .flags = NESTIO_HWPT_NEST_PARENT },
		&h), -EOPNOTSUPP);
	ck_assert_ptr_eq(h, sentinel);
	ck_assert_int_eq(tu_ncalls, 1);
	h = new_hwpt(dev, ioas, NESTIO_HWPT_PASID);
	ck_assert_uint_eq(tu_calls[tu_ncalls - 1].request, KABI_IOMMU_HWPT_ALLOC);
	ro_all(ioas, other, 0, false);
	h = nestio_hwpt_unref(h);
	other = nestio_ioas_unref(other);
	close(fd);
	free(va);
}
END_TEST

START_TEST(test_enforce_counted)
{
	struct nestio_ioas *other = new_ioas(ctx);
	struct nestio_hwpt *a = nest_parent(ioas), *b = nest_parent(ioas);
	struct nestio_hwpt *c = nest_parent(other);

	/* two nest parents on one IOAS: the ban lasts until both are gone */
	ro_all(ioas, other, -EINVAL, true);
	a = nestio_hwpt_unref(a);
	ro_all(ioas, other, -EINVAL, true);
	/* a reference elsewhere (a device attached to it) keeps it alive */
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, b), 0);
	b = nestio_hwpt_unref(b);
	ro_all(ioas, other, -EINVAL, true);
	ck_assert_int_eq(nestio_device_detach(dev, NESTIO_NO_PASID), 0);
	ro_all(ioas, other, 0, false);
	/* and one IOAS's ban is not another's */
	ro_all(other, ioas, -EINVAL, true);
	c = nestio_hwpt_unref(c);
	ro_all(other, ioas, 0, false);
	other = nestio_ioas_unref(other);
}
END_TEST

START_TEST(test_enforce_existing_ro)
{
	struct nestio_hwpt *h = NULL, *sentinel = (struct nestio_hwpt *)&rec;
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o),
					     .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_ioas *other = new_ioas(ctx);
	void *va = aligned_alloc(PAGE, PAGE);
	uint64_t iova = 0;
	uint32_t id;

	/* a read-only mapping made before: the kernel would make it writable
	 * in the nest parent, so the nest parent is refused (and destroyed) */
	ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &iova, NESTIO_MAP_READ), 0);
	tu_ncalls = 0;
	fk_nev = 0;
	id = fk_next_id;
	h = sentinel;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), -EINVAL);
	ck_assert_ptr_eq(h, sentinel);
	ck_assert_int_eq(tu_ncalls, 3);		/* alloc, hw info, destroy */
	EXPECT_IOMMU(2, KABI_IOMMU_DESTROY, kabi_destroy, .id = id);
	ck_assert_ptr_nonnull(strstr(logged, "may hold read-only mappings"));
	/* nothing is banned by the refused one */
	ro_all(ioas, other, 0, false);
	/* unmapping a part is not enough to know; unmapping all is */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, iova, PAGE, NULL), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), -EINVAL);
	fk_fail(KABI_IOMMU_IOAS_UNMAP, EBUSY, 1);
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), -EBUSY);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), -EINVAL);
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), 0);
	ro_all(ioas, other, -EINVAL, true);
	h = nestio_hwpt_unref(h);
	/* a read-only copy into it counts as a read-only mapping too */
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), 0);
	ck_assert_int_eq(nestio_ioas_copy(ioas, &iova, other, 0, PAGE, NESTIO_MAP_READ), 0);
	h = sentinel;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), -EINVAL);
	ck_assert_ptr_eq(h, sentinel);
	/* a failed read-only map does not */
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), 0);
	fk_fail(KABI_IOMMU_IOAS_MAP, ENOMEM, 1);
	ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &iova, NESTIO_MAP_READ), -ENOMEM);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), 0);
	h = nestio_hwpt_unref(h);
	other = nestio_ioas_unref(other);
	free(va);
}
END_TEST

START_TEST(test_enforce_hw_info_fails)
{
	struct nestio_hwpt *h = NULL, *sentinel = (struct nestio_hwpt *)&rec;
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o),
					     .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_ioas *other = new_ioas(ctx);
	uint32_t id = fk_next_id;

	/* the errata cannot be read: no nest parent (fail closed), nothing left */
	fk_fail(KABI_IOMMU_GET_HW_INFO, ENOMEM, 1);
	tu_ncalls = 0;
	fk_nev = 0;
	h = sentinel;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), -ENOMEM);
	ck_assert_ptr_eq(h, sentinel);
	ck_assert_int_eq(tu_ncalls, 3);
	ck_assert_int_eq(find_ev('D', id), 0);
	ro_all(ioas, other, 0, false);
	other = nestio_ioas_unref(other);
}
END_TEST

START_TEST(test_no_erratum_no_change)
{
	struct nestio_ioas *other = new_ioas(ctx);
	struct nestio_hwpt *h;

	/* the same VT-d without the erratum flag */
	fk_hw_vtd(NEST_VTD_CAP, NEST_VTD_ECAP, false, 20);
	h = nest_parent(ioas);
	ro_all(ioas, other, 0, false);
	h = nestio_hwpt_unref(h);
	/* an SMMUv3 (no such erratum) */
	{
		struct kabi_hw_info_arm_smmuv3 s = { .idr = { SMMU_IDR0, 0, 0, 0, 0, SMMU_IDR5 } };

		fk_hw.type = KABI_HW_INFO_TYPE_ARM_SMMUV3;
		fk_hw.len = sizeof(s);
		memcpy(fk_hw.data, &s, sizeof(s));
	}
	h = nest_parent(ioas);
	ro_all(ioas, other, 0, false);
	h = nestio_hwpt_unref(h);
	/* no vendor data at all */
	memset(&fk_hw, 0, sizeof(fk_hw));
	h = nest_parent(ioas);
	ro_all(ioas, other, 0, false);
	h = nestio_hwpt_unref(h);
	ck_assert_ptr_null(strstr(logged, "772415"));
	other = nestio_ioas_unref(other);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("errata");
	TCase *tc = fk_tcase(s, "enforce", setup_erratum, teardown_objs);

	tcase_add_test(tc, test_enforce_nest_parent);
	tcase_add_test(tc, test_enforce_counted);
	tcase_add_test(tc, test_enforce_existing_ro);
	tcase_add_test(tc, test_enforce_hw_info_fails);
	tcase_add_test(tc, test_no_erratum_no_change);
	return tu_run(s);
}
