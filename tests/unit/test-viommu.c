// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1: a vIOMMU's typed Tegra241 CMDQV driver data and the mmap of the
 * page the kernel offers through it. The ctx here is a memfd, so the
 * mapping is a real one: the fake kernel hands out offsets into it, the
 * test reads and writes the bytes through the mapping and the file, and
 * checks that the vIOMMU unmaps every mapping at its last unref, before it
 * destroys the kernel object (a live mapping keeps that object busy).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fakekernel.h"

static int memfd = -1;
static uint32_t viommu_id;
static void *watch_addr[2];		/* mappings to look at a destroy */
static int watch_mapped;		/* how many were still mapped then */
static int destroys_seen;

static bool mapped(void *addr)
{
	unsigned char vec[1];

	return addr && mincore(addr, PAGE, vec) == 0;
}

/* the fake kernel, and: a CMDQV vIOMMU's data gets the VINTF page 0 at
 * page 1 of the memfd; a destroy of the vIOMMU looks at the mappings */
static int cmdqv_kernel(int fd, unsigned long request, void *arg)
{
	if (request == KABI_IOMMU_DESTROY &&
	    ((struct kabi_destroy *)arg)->id == viommu_id) {
		destroys_seen++;
		watch_mapped = mapped(watch_addr[0]) + mapped(watch_addr[1]);
	}
	if (request == KABI_IOMMU_VIOMMU_ALLOC) {
		struct kabi_viommu_alloc *c = arg;
		struct kabi_viommu_tegra241_cmdqv out = {
			.out_vintf_mmap_offset = PAGE,
			.out_vintf_mmap_length = PAGE,
		};

		if (c->type == KABI_VIOMMU_TYPE_TEGRA241_CMDQV &&
		    c->data_len >= sizeof(out))
			memcpy((void *)(uintptr_t)c->data_uptr, &out, sizeof(out));
	}
	return fake_kernel(fd, request, arg);
}

static void setup(void)
{
	struct nestio_ctx *c = NULL;
	unsigned char *fill = malloc(PAGE);

	setup_seam();
	tu_seam_answer = cmdqv_kernel;
	memfd = memfd_create("nestio-vintf", MFD_CLOEXEC);
	ck_assert_int_ge(memfd, 0);
	ck_assert_ptr_nonnull(fill);
	/* page n holds bytes 0x10 * n + i % 16 */
	for (uint64_t p = 0; p < 3; p++) {
		for (uint64_t i = 0; i < PAGE; i++)
			fill[i] = (unsigned char)(0x10 * p + i % 16);
		ck_assert_int_eq(pwrite(memfd, fill, PAGE, (off_t)(p * PAGE)),
				 (ssize_t)PAGE);
	}
	free(fill);
	/* the objects on a ctx over the memfd instead of /dev/null */
	ck_assert_int_eq(nestio_ctx_new_from_fd(memfd, &c), 0);
	nestio_ctx_unref(ctx);
	ctx = c;
	ioas = new_ioas(ctx);
	memset(&rec, 0, sizeof(rec));
	ck_assert_int_eq(nestio_device_new_from_id(ctx, 7, &rec_ops, &rec, &dev), 0);
	tu_ncalls = 0;
	watch_addr[0] = watch_addr[1] = NULL;
	watch_mapped = -1;
	destroys_seen = 0;
}

static void teardown(void)
{
	teardown_objs();
	close(memfd);
	memfd = -1;
}

START_TEST(test_cmdqv_data_and_mmap)
{
	struct nestio_viommu_tegra241_cmdqv data = { 0, 0 };
	struct nestio_viommu_opts o = { .sz = sizeof(o), .data = &data,
					.data_len = sizeof(data) };
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_viommu *v = NULL;
	unsigned char *page, *again = NULL, *other = NULL, back[16];
	void *p = NULL;

	tu_ncalls = 0;
	ck_assert_int_eq(nestio_viommu_new(dev, parent, NESTIO_VIOMMU_TEGRA241_CMDQV,
					   &o, &v), 0);
	/* the typed data is the kernel's bytes, in and out */
	EXPECT_IOMMU(0, KABI_IOMMU_VIOMMU_ALLOC, kabi_viommu_alloc,
		     .type = KABI_VIOMMU_TYPE_TEGRA241_CMDQV, .dev_id = 7,
		     .hwpt_id = nestio_hwpt_get_id(parent),
		     .data_len = sizeof(struct kabi_viommu_tegra241_cmdqv),
		     .data_uptr = (uintptr_t)&data);
	ck_assert_uint_eq(data.vintf_mmap_offset, PAGE);
	ck_assert_uint_eq(data.vintf_mmap_length, PAGE);
	viommu_id = nestio_viommu_get_id(v);

	/* the page at the kernel's offset, shared: what the file holds,
	 * and a write through the mapping lands in the file */
	ck_assert_int_eq(nestio_viommu_mmap(v, data.vintf_mmap_offset,
					    data.vintf_mmap_length, &p), 0);
	page = p;
	ck_assert(mapped(page));
	for (int i = 0; i < 32; i++)
		ck_assert_uint_eq(page[i], 0x10 + i % 16);
	page[5] = 0xab;
	ck_assert_int_eq(pread(memfd, back, sizeof(back), (off_t)PAGE), (ssize_t)sizeof(back));
	ck_assert_uint_eq(back[5], 0xab);
	ck_assert_uint_eq(back[6], 0x16);
	/* the same page again: the same mapping; with another length: no */
	ck_assert_int_eq(nestio_viommu_mmap(v, PAGE, PAGE, (void **)&again), 0);
	ck_assert_ptr_eq(again, page);
	ck_assert_int_eq(nestio_viommu_mmap(v, PAGE, 2 * PAGE, (void **)&other), -EEXIST);
	ck_assert_ptr_null(other);
	/* another offset: a second mapping, of page 2 */
	ck_assert_int_eq(nestio_viommu_mmap(v, 2 * PAGE, PAGE, (void **)&other), 0);
	ck_assert_ptr_ne(other, page);
	ck_assert_uint_eq(other[3], 0x23);
	ck_assert_int_eq(tu_ncalls, 1);		/* mapping makes no ioctl */

	/* a child pins the vIOMMU: the caller's unref keeps the mappings */
	{
		struct nestio_vdevice *vd = NULL;

		ck_assert_int_eq(nestio_vdevice_new(v, dev, 0x42, &vd), 0);
		watch_addr[0] = page;
		watch_addr[1] = other;
		v = nestio_viommu_unref(v);
		ck_assert(mapped(page));
		ck_assert(mapped(other));
		ck_assert_int_eq(destroys_seen, 0);
		/* the last unref: both unmapped, before the destroy */
		nestio_vdevice_unref(vd);
	}
	ck_assert_int_eq(destroys_seen, 1);
	ck_assert_int_eq(watch_mapped, 0);
	ck_assert(!mapped(page));
	ck_assert(!mapped(other));
	/* the file kept what was written through the mapping */
	ck_assert_int_eq(pread(memfd, back, sizeof(back), (off_t)PAGE), (ssize_t)sizeof(back));
	ck_assert_uint_eq(back[5], 0xab);
	nestio_hwpt_unref(parent);
}
END_TEST

/* mmap(2)'s errno passes through, *addr untouched, nothing kept */
START_TEST(test_mmap_error)
{
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_viommu *v = NULL;
	struct nestio_ctx *nullctx = new_ctx();
	struct nestio_device *d2 = NULL;
	struct nestio_ioas *i2 = new_ioas(nullctx);
	struct nestio_hwpt *p2;
	void *sentinel = &rec, *p = sentinel;

	/* on /dev/null, which has no mmap: ENODEV, and a later good call on
	 * a good vIOMMU still works */
	ck_assert_int_eq(nestio_device_new_from_id(nullctx, 8, &rec_ops, &rec, &d2), 0);
	p2 = new_hwpt(d2, i2, NESTIO_HWPT_NEST_PARENT);
	ck_assert_int_eq(nestio_viommu_new(d2, p2, NESTIO_VIOMMU_ARM_SMMUV3, NULL, &v), 0);
	ck_assert_int_eq(nestio_viommu_mmap(v, 0, PAGE, &p), -ENODEV);
	ck_assert_ptr_eq(p, sentinel);
	ck_assert_int_eq(nestio_viommu_mmap(v, 0, PAGE, &p), -ENODEV);	/* not kept */
	v = nestio_viommu_unref(v);
	nestio_hwpt_unref(p2);
	nestio_device_unref(d2);
	nestio_ioas_unref(i2);
	nestio_ctx_unref(nullctx);
	ck_assert_int_eq(nestio_viommu_new(dev, parent, NESTIO_VIOMMU_ARM_SMMUV3, NULL, &v), 0);
	ck_assert_int_eq(nestio_viommu_mmap(v, 0, PAGE, &p), 0);
	ck_assert_uint_eq(((unsigned char *)p)[1], 0x01);
	nestio_viommu_unref(v);
	ck_assert(!mapped(p));
	nestio_hwpt_unref(parent);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("viommu");
	TCase *tc = fk_tcase(s, "viommu", setup, teardown);

	tcase_add_test(tc, test_cmdqv_data_and_mmap);
	tcase_add_test(tc, test_mmap_error);
	return tu_run(s);
}
