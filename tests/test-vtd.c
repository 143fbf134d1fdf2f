// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 3: QEMU's emulated Intel VT-d (scalable mode) with an `edu` DMA
 * device bound to vfio-pci, through the library API. The IOMMU side goes
 * only through libnestio; the edu registers through tests/edu.c.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "edu.h"
#include "kabi.h"
#include "testutil.h"

/* below the edu's default 28-bit DMA mask */
#define IOVA_SRC 0x100000ull
#define IOVA_DST 0x200000ull
#define PAGE 4096u

static struct nestio_ctx *ctx;
static struct nestio_device *dev;
static struct nestio_ioas *ioas;
static struct edu edu;
static unsigned char *src, *dst;

static void *page_alloc(void)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

static void setup(void)
{
	ck_assert_int_eq(nestio_ctx_new(&ctx), 0);
	ck_assert_int_eq(nestio_device_open(ctx, edu_bdf(), &dev), 0);
	ck_assert_int_eq(edu_init(&edu, nestio_device_get_fd(dev)), 0);
	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	src = page_alloc();
	dst = page_alloc();
}

static void teardown(void)
{
	dev = nestio_device_unref(dev);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
	munmap(src, PAGE);
	munmap(dst, PAGE);
}

static void map_both(struct nestio_ioas *as)
{
	uint64_t iova = IOVA_SRC;

	ck_assert_int_eq(nestio_ioas_map(as, src, PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_uint_eq(iova, IOVA_SRC);
	iova = IOVA_DST;
	ck_assert_int_eq(nestio_ioas_map(as, dst, PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_WRITE |
					 NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_uint_eq(iova, IOVA_DST);
}

/* RAM(src) -> edu -> RAM(dst) through the IOMMU; the bytes must match */
static void round_trip(unsigned char seed)
{
	for (unsigned int i = 0; i < PAGE; i++)
		src[i] = (unsigned char)(i * 7 + seed);
	memset(dst, 0, PAGE);
	ck_assert_int_eq(edu_dma_to_device(&edu, IOVA_SRC, PAGE), 0);
	ck_assert_int_eq(edu_dma_from_device(&edu, IOVA_DST, PAGE), 0);
	ck_assert_mem_eq(src, dst, PAGE);
}

START_TEST(test_open_forms)
{
	char path[PATH_MAX], sysfs[PATH_MAX];
	struct nestio_device *d2 = NULL;
	int fd;

	/* the fixture opened it by BDF; a cdev binds once at a time */
	snprintf(sysfs, sizeof(sysfs), "/sys/bus/pci/devices/%s", edu_bdf());
	ck_assert_int_lt(nestio_device_open(ctx, sysfs, &d2), 0);
	ck_assert_ptr_null(d2);
	/* once it is released, the sysfs path and the cdev path work too */
	dev = nestio_device_unref(dev);
	ck_assert_int_eq(nestio_device_open(ctx, sysfs, &d2), 0);
	ck_assert_uint_ne(nestio_device_get_id(d2), 0);
	ck_assert(tu_fd_is_cloexec(nestio_device_get_fd(d2)));
	d2 = nestio_device_unref(d2);

	/* the cdev name from sysfs: .../vfio-dev/vfioN */
	{
		char sub[PATH_MAX + 16];
		struct dirent *de;
		DIR *d;

		snprintf(sub, sizeof(sub), "%s/vfio-dev", sysfs);
		d = opendir(sub);
		ck_assert_ptr_nonnull(d);
		path[0] = '\0';
		while ((de = readdir(d)))
			if (!strncmp(de->d_name, "vfio", 4))
				snprintf(path, sizeof(path),
					 "/dev/vfio/devices/%s", de->d_name);
		closedir(d);
		ck_assert_str_ne(path, "");
	}
	ck_assert_int_eq(nestio_device_open(ctx, path, &d2), 0);
	d2 = nestio_device_unref(d2);

	fd = open(path, O_RDWR);	/* deliberately not O_CLOEXEC */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(nestio_device_new_from_fd(ctx, fd, &dev), 0);
	ck_assert_int_ne(nestio_device_get_fd(dev), fd);
	ck_assert(tu_fd_is_cloexec(nestio_device_get_fd(dev)));
	close(fd);
	ck_assert_int_eq(edu_init(&edu, nestio_device_get_fd(dev)), 0);
}
END_TEST

START_TEST(test_caps_agree)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct kabi_hw_info_vtd vtd;
	size_t len = sizeof(vtd);
	uint32_t type = 0;

	ck_assert_int_eq(nestio_device_get_hw_info(dev, &type, &vtd, &len), 0);
	ck_assert_uint_eq(type, KABI_HW_INFO_TYPE_INTEL_VTD);
	ck_assert_uint_ge(len, sizeof(vtd));
	ck_assert_int_eq(nestio_device_get_hw_caps(dev, &caps), 0);
	ck_assert_uint_eq(caps.type, NESTIO_IOMMU_INTEL_VTD);
	ck_assert_str_eq(nestio_iommu_type_name(caps.type), "intel-vtd");
	/* the decoded view agrees with the raw registers */
	ck_assert_uint_eq(!!(caps.caps & NESTIO_CAP_NESTING),
			  (vtd.ecap_reg >> 26) & 1);
	ck_assert_uint_eq(caps.stage2_ia_bits, ((vtd.cap_reg >> 16) & 0x3f) + 1);
	ck_assert_uint_eq(!!(caps.errata & NESTIO_ERRATA_772415_SPR17),
			  vtd.flags & KABI_HW_INFO_VTD_ERRATA_772415_SPR17);
	/* QEMU 10's scalable-mode VT-d has no nesting (no ECAP.NEST) */
	ck_assert(!(caps.caps & NESTIO_CAP_NESTING));
	ck_assert_uint_eq(caps.stage1_formats, 0);
}
END_TEST

START_TEST(test_dma_round_trip)
{
	struct nestio_iova_range *r = NULL;
	uint64_t align = 0;
	size_t nr = 0;
	bool covered = false;

	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, &align), 0);
	ck_assert_uint_ge(nr, 1);
	ck_assert_uint_ge(align, PAGE);
	for (size_t i = 0; i < nr; i++)
		covered |= r[i].start <= IOVA_SRC && r[i].last >= IOVA_DST + PAGE - 1;
	nestio_iova_ranges_free(r);
	ck_assert(covered);
	map_both(ioas);
	round_trip(1);
	round_trip(2);
}
END_TEST

START_TEST(test_unmapped_dma_blocked)
{
	uint64_t unmapped = 0;

	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	map_both(ioas);
	round_trip(3);
	/* take the destination away: the write must not reach the page */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, IOVA_DST, PAGE, &unmapped), 0);
	ck_assert_uint_eq(unmapped, PAGE);
	memset(dst, 0xa5, PAGE);
	ck_assert_int_eq(edu_dma_from_device(&edu, IOVA_DST, PAGE), 0);
	for (unsigned int i = 0; i < PAGE; i++)
		ck_assert_uint_eq(dst[i], 0xa5);
	/* unmapping again finds nothing */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, IOVA_DST, PAGE, NULL), -ENOENT);
}
END_TEST

START_TEST(test_replace_with_hwpt)
{
	struct nestio_hwpt_paging_opts opts = { .sz = sizeof(opts) };
	struct nestio_ioas *other = NULL;
	struct nestio_hwpt *hwpt = NULL;

	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	map_both(ioas);
	round_trip(4);

	/* an explicit paging hwpt on a second IOAS with the same layout */
	ck_assert_int_eq(nestio_ioas_new(ctx, &other), 0);
	map_both(other);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, other, &opts, &hwpt), 0);
	ck_assert_uint_ne(nestio_hwpt_get_id(hwpt), 0);
	ck_assert_ptr_eq(nestio_hwpt_get_ioas(hwpt), other);
	ck_assert_int_eq(nestio_device_replace_hwpt(dev, NESTIO_NO_PASID, hwpt), 0);
	/* the device pins the hwpt (and the hwpt its IOAS) */
	hwpt = nestio_hwpt_unref(hwpt);
	other = nestio_ioas_unref(other);
	round_trip(5);

	/* unmap the first IOAS entirely: the device no longer uses it */
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), 0);
	round_trip(6);

	/* and back to the IOAS: blocked until it is mapped again */
	ck_assert_int_eq(nestio_device_replace_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	memset(dst, 0x5a, PAGE);
	ck_assert_int_eq(edu_dma_from_device(&edu, IOVA_DST, PAGE), 0);
	ck_assert_uint_eq(dst[0], 0x5a);
	ck_assert_uint_eq(dst[PAGE - 1], 0x5a);
	map_both(ioas);
	round_trip(7);
	ck_assert_int_eq(nestio_device_detach(dev, NESTIO_NO_PASID), 0);
	ck_assert_int_eq(nestio_device_detach(dev, NESTIO_NO_PASID), -ENOENT);
}
END_TEST

START_TEST(test_nest_parent_refused)
{
	struct nestio_hwpt_paging_opts opts = { .sz = sizeof(opts) };
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_hwpt *hwpt = NULL, *sentinel = (struct nestio_hwpt *)&opts;

	ck_assert_int_eq(nestio_device_get_hw_caps(dev, &caps), 0);
	ck_assert(!(caps.caps & NESTIO_CAP_NESTING));
	opts.flags = NESTIO_HWPT_NEST_PARENT;
	hwpt = sentinel;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &opts, &hwpt),
			 -EOPNOTSUPP);
	ck_assert_ptr_eq(hwpt, sentinel);	/* *out untouched */
	/* no dirty tracking on this IOMMU either, and caps say so */
	ck_assert(!(caps.caps & NESTIO_CAP_DIRTY_TRACKING));
	opts.flags = NESTIO_HWPT_DIRTY_TRACKING;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &opts, &hwpt),
			 -EOPNOTSUPP);
	/* a plain paging hwpt is fine */
	opts.flags = 0;
	hwpt = NULL;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &opts, &hwpt), 0);
	nestio_hwpt_unref(hwpt);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtd-edu");
	TCase *tc = tcase_create("edu");
	int fd;

	if (!edu_bdf())
		tu_skip("no edu device bound to vfio-pci (NESTIO_EDU_BDF unset)");
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		tu_skip("no /dev/iommu");
	close(fd);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_caps_agree);
	tcase_add_test(tc, test_open_forms);
	tcase_add_test(tc, test_dma_round_trip);
	tcase_add_test(tc, test_unmapped_dma_blocked);
	tcase_add_test(tc, test_replace_with_hwpt);
	tcase_add_test(tc, test_nest_parent_refused);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
