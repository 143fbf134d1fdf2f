// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: validation and NULL safety of every entry point (the
 * documented -errno and no ioctl), close-on-exec and fd hygiene, and the
 * ioctl chokepoint (EINTR retried, errno passed through).
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakekernel.h"

/* ================================================================= args */

START_TEST(test_args_ctx)
{
	struct nestio_ctx *sentinel = (void *)&rec, *c = sentinel;
	uint64_t v = 42;

	EXPECT_NOIO(nestio_ctx_new(NULL), -EINVAL);
	EXPECT_NOIO(nestio_ctx_new_from_fd(-1, &c), -EINVAL);
	EXPECT_NOIO(nestio_ctx_new_from_fd(0, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ctx_new_from_fd(INT_MAX, &c), -EBADF);
	ck_assert_ptr_eq(c, sentinel);
	ck_assert_ptr_null(nestio_ctx_ref(NULL));
	ck_assert_ptr_null(nestio_ctx_unref(NULL));
	EXPECT_NOIO(nestio_ctx_get_fd(NULL), -EINVAL);
	EXPECT_NOIO(nestio_ctx_set_log_fn(NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ctx_get_log_priority(NULL), -EINVAL);
	EXPECT_NOIO(nestio_ctx_set_log_priority(NULL, LOG_ERR), -EINVAL);
	EXPECT_NOIO(nestio_ctx_set_log_priority(ctx, 5), 0);
	EXPECT_NOIO(nestio_ctx_set_log_priority(ctx, -1), -EINVAL);
	EXPECT_NOIO(nestio_ctx_set_log_priority(ctx, LOG_DEBUG + 1), -EINVAL);
	ck_assert_int_eq(nestio_ctx_get_log_priority(ctx), 5);
	ck_assert_ptr_null(nestio_ctx_get_userdata(NULL));
	EXPECT_NOIO(nestio_ctx_set_userdata(NULL, &v), -EINVAL);
	EXPECT_NOIO(nestio_ctx_set_userdata(ctx, &v), 0);
	ck_assert_ptr_eq(nestio_ctx_get_userdata(ctx), &v);
	EXPECT_NOIO(nestio_ctx_has_feature(NULL, NESTIO_FEATURE_IOAS), -EINVAL);
	EXPECT_NOIO(nestio_ctx_has_feature(ctx, NESTIO_FEATURE_MAX), -EINVAL);
	EXPECT_NOIO(nestio_ctx_has_feature(ctx, (enum nestio_feature)-1), -EINVAL);
	EXPECT_NOIO(nestio_ctx_get_option(NULL, NESTIO_OPTION_RLIMIT_MODE, &v), -EINVAL);
	EXPECT_NOIO(nestio_ctx_get_option(ctx, NESTIO_OPTION_RLIMIT_MODE, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ctx_get_option(ctx, NESTIO_OPTION_HUGE_PAGES, &v), -EINVAL);
	EXPECT_NOIO(nestio_ctx_get_option(ctx, (enum nestio_option)99, &v), -EINVAL);
	EXPECT_NOIO(nestio_ctx_set_option(NULL, NESTIO_OPTION_RLIMIT_MODE, 0), -EINVAL);
	EXPECT_NOIO(nestio_ctx_set_option(ctx, NESTIO_OPTION_HUGE_PAGES, 1), -EINVAL);
	EXPECT_NOIO(nestio_ctx_set_option(ctx, NESTIO_OPTION_RLIMIT_MODE, 2), -EINVAL);
	EXPECT_NOIO(nestio_ctx_set_option(ctx, (enum nestio_option)99, 0), -EINVAL);
	ck_assert_uint_eq(v, 42);
	EXPECT_NOIO(nestio_ctx_change_process(NULL), -EINVAL);
	ck_assert_ptr_null(nestio_feature_name(NESTIO_FEATURE_MAX));
	ck_assert_ptr_null(nestio_feature_name((enum nestio_feature)-1));
	ck_assert_ptr_eq(nestio_ctx_ref(ctx), ctx);
	ck_assert_ptr_null(nestio_ctx_unref(ctx));
	ck_assert_int_ge(nestio_ctx_get_fd(ctx), 0);	/* still alive */
}
END_TEST

START_TEST(test_args_ioas)
{
	const struct nestio_iova_range bad[2] = { { 0x2000, 0x1fff }, { 0, 0 } };
	struct nestio_ioas *sentinel = (void *)&rec, *o = sentinel;
	struct nestio_ctx *other = new_ctx();
	struct nestio_ioas *foreign = new_ioas(other);
	struct nestio_iova_range *rp = NULL;
	uint64_t iova = 0x100000, val = 42, al;
	char *va = aligned_alloc(PAGE, 2 * PAGE);
	const unsigned int fixed = RW | NESTIO_MAP_FIXED_IOVA;
	int fd = open_null();
	size_t nr;

	tu_ncalls = 0;
	EXPECT_NOIO(nestio_ioas_new(NULL, &o), -EINVAL);
	EXPECT_NOIO(nestio_ioas_new(ctx, NULL), -EINVAL);
	ck_assert_ptr_eq(o, sentinel);
	ck_assert_ptr_null(nestio_ioas_ref(NULL));
	ck_assert_ptr_null(nestio_ioas_unref(NULL));
	ck_assert_uint_eq(nestio_ioas_get_id(NULL), 0);
	ck_assert_ptr_null(nestio_ioas_get_ctx(NULL));
	/* map */
	EXPECT_NOIO(nestio_ioas_map(NULL, va, PAGE, &iova, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map(ioas, NULL, PAGE, &iova, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map(ioas, va + 1, PAGE, &iova, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map(ioas, va, 0, &iova, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map(ioas, va, PAGE + 1, &iova, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map(ioas, va, PAGE, NULL, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map(ioas, va, PAGE, &iova, 0), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map(ioas, va, PAGE, &iova, NESTIO_MAP_FIXED_IOVA), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map(ioas, va, PAGE, &iova, RW | (1u << 3)), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map(ioas, va, PAGE, &iova, RW | (1u << 31)), -EINVAL);
	iova = 0x100001;
	EXPECT_NOIO(nestio_ioas_map(ioas, va, PAGE, &iova, fixed), -EINVAL);
	ck_assert_uint_eq(iova, 0x100001);
	/* map_file */
	EXPECT_NOIO(nestio_ioas_map_file(NULL, fd, 0, PAGE, &iova, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map_file(ioas, -1, 0, PAGE, &iova, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map_file(ioas, fd, 0, 0, &iova, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map_file(ioas, fd, 1, PAGE, &iova, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map_file(ioas, fd, 0, PAGE - 1, &iova, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map_file(ioas, fd, 0, PAGE, NULL, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map_file(ioas, fd, 0, PAGE, &iova, 0), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map_file(ioas, fd, 0, PAGE, &iova, RW | 8), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map_file(ioas, fd, 0, PAGE, &iova, fixed), -EINVAL);
	/* unmap */
	EXPECT_NOIO(nestio_ioas_unmap(NULL, 0, PAGE, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap(ioas, 0, 0, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap(ioas, 1, PAGE, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap(ioas, 0, PAGE + 1, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap(ioas, UINT64_MAX - PAGE + 1, 2 * PAGE, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap_all(NULL, NULL), -EINVAL);
	/* copy */
	iova = 0;
	EXPECT_NOIO(nestio_ioas_copy(NULL, &iova, ioas, 0, PAGE, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_copy(ioas, &iova, NULL, 0, PAGE, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_copy(ioas, &iova, foreign, 0, PAGE, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_copy(foreign, &iova, ioas, 0, PAGE, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_copy(ioas, NULL, ioas, 0, PAGE, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_copy(ioas, &iova, ioas, 0, 0, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_copy(ioas, &iova, ioas, 0, PAGE + 1, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_copy(ioas, &iova, ioas, 1, PAGE, RW), -EINVAL);
	EXPECT_NOIO(nestio_ioas_copy(ioas, &iova, ioas, 0, PAGE, 0), -EINVAL);
	EXPECT_NOIO(nestio_ioas_copy(ioas, &iova, ioas, 0, PAGE, RW | 16), -EINVAL);
	iova = 7;
	EXPECT_NOIO(nestio_ioas_copy(ioas, &iova, ioas, 0, PAGE, fixed), -EINVAL);
	/* iova ranges */
	EXPECT_NOIO(nestio_ioas_get_iova_ranges(NULL, &rp, &nr, &al), -EINVAL);
	EXPECT_NOIO(nestio_ioas_get_iova_ranges(ioas, NULL, &nr, &al), -EINVAL);
	EXPECT_NOIO(nestio_ioas_get_iova_ranges(ioas, &rp, NULL, &al), -EINVAL);
	ck_assert_ptr_null(rp);
	nestio_iova_ranges_free(NULL);
	EXPECT_NOIO(nestio_ioas_allow_iovas(NULL, bad, 0), -EINVAL);
	EXPECT_NOIO(nestio_ioas_allow_iovas(ioas, NULL, 1), -EINVAL);
	EXPECT_NOIO(nestio_ioas_allow_iovas(ioas, bad, 1), -EINVAL);
	EXPECT_NOIO(nestio_ioas_allow_iovas(ioas, bad, 2), -EINVAL);
	EXPECT_NOIO(nestio_ioas_allow_iovas(ioas, bad, (size_t)UINT32_MAX + 1), -EINVAL);
	/* options */
	EXPECT_NOIO(nestio_ioas_get_option(NULL, NESTIO_OPTION_HUGE_PAGES, &val), -EINVAL);
	EXPECT_NOIO(nestio_ioas_get_option(ioas, NESTIO_OPTION_HUGE_PAGES, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ioas_get_option(ioas, NESTIO_OPTION_RLIMIT_MODE, &val), -EINVAL);
	EXPECT_NOIO(nestio_ioas_set_option(NULL, NESTIO_OPTION_HUGE_PAGES, 1), -EINVAL);
	EXPECT_NOIO(nestio_ioas_set_option(ioas, NESTIO_OPTION_RLIMIT_MODE, 1), -EINVAL);
	EXPECT_NOIO(nestio_ioas_set_option(ioas, NESTIO_OPTION_HUGE_PAGES, 2), -EINVAL);
	ck_assert_uint_eq(val, 42);
	foreign = nestio_ioas_unref(foreign);
	other = nestio_ctx_unref(other);
	close(fd);
	free(va);
}
END_TEST

/*
 * A range that wraps past 2^64, as an IOVA, a VA or a file offset, is
 * refused by map, map_file, copy and unmap alike, before any ioctl.
 */
START_TEST(test_args_ioas_wrap)
{
	const uint64_t top = UINT64_MAX - PAGE + 1;	/* the last page */
	const unsigned int fixed = RW | NESTIO_MAP_FIXED_IOVA;
	char *va = aligned_alloc(PAGE, PAGE);
	uint64_t iova, huge = -(uint64_t)(uintptr_t)va;	/* va + huge == 2^64 */
	int fd = open_null();

	tu_ncalls = 0;
	/* map: the IOVA of a fixed mapping, and the VA */
	iova = top;
	EXPECT_NOIO(nestio_ioas_map(ioas, va, 2 * PAGE, &iova, fixed), -EINVAL);
	ck_assert_uint_eq(iova, top);
	EXPECT_NOIO(nestio_ioas_map(ioas, va, huge + PAGE, &iova, RW), -EINVAL);
	/* map_file: the IOVA of a fixed mapping, and the offset */
	EXPECT_NOIO(nestio_ioas_map_file(ioas, fd, 0, 2 * PAGE, &iova, fixed), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map_file(ioas, fd, top, 2 * PAGE, &iova, RW), -EINVAL);
	/* copy: the fixed destination IOVA, and the source */
	EXPECT_NOIO(nestio_ioas_copy(ioas, &iova, ioas, 0, 2 * PAGE, fixed), -EINVAL);
	iova = 0;
	EXPECT_NOIO(nestio_ioas_copy(ioas, &iova, ioas, top, 2 * PAGE, RW), -EINVAL);
	/* unmap, as before */
	EXPECT_NOIO(nestio_ioas_unmap(ioas, top, 2 * PAGE, NULL), -EINVAL);
	ck_assert_int_eq(tu_ncalls, 0);
	/* the last page itself is fine: up to 2^64 - 1, no wrap */
	iova = top;
	ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &iova, fixed), 0);
	ck_assert_int_eq(nestio_ioas_map_file(ioas, fd, top, PAGE, &iova, fixed), 0);
	ck_assert_int_eq(nestio_ioas_copy(ioas, &iova, ioas, top, PAGE, fixed), 0);
	ck_assert_int_eq(nestio_ioas_unmap(ioas, top, PAGE, NULL), 0);
	ck_assert_int_eq(tu_ncalls, 4);
	close(fd);
	free(va);
}
END_TEST

START_TEST(test_args_device)
{
	struct nestio_device *sentinel = (void *)&rec, *d = sentinel, *odev = NULL;
	struct nestio_hwpt *hsent = (void *)&rec, *h = hsent, *hwpt, *fhwpt;
	struct nestio_ctx *other = new_ctx();
	struct nestio_ioas *foreign = new_ioas(other);
	struct {
		struct nestio_device_ops ops;
		uint64_t tail;
	} big = { rec_ops, 1 };
	struct nestio_device_ops small = rec_ops;
	struct nestio_hw_caps caps = { .sz = 1 };
	uint8_t buf[32];
	size_t len = sizeof(buf);
	uint32_t type = 99;

	hwpt = new_hwpt(dev, ioas, 0);
	ck_assert_int_eq(nestio_device_new_from_id(other, 9, &rec_ops, &rec, &odev), 0);
	fhwpt = new_hwpt(odev, foreign, 0);
	tu_ncalls = 0;
	/* constructors */
	EXPECT_NOIO(nestio_device_open(NULL, "0000:00:03.0", &d), -EINVAL);
	EXPECT_NOIO(nestio_device_open(ctx, NULL, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_open(ctx, "", &d), -EINVAL);
	EXPECT_NOIO(nestio_device_open(ctx, "0000:00:03.0", NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_new_from_fd(NULL, 0, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_new_from_fd(ctx, -1, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_new_from_fd(ctx, 0, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_new_from_fd(ctx, INT_MAX, &d), -EBADF);
	EXPECT_NOIO(nestio_device_new_from_id(NULL, 1, &rec_ops, NULL, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_new_from_id(ctx, 0, &rec_ops, NULL, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_new_from_id(ctx, 1, NULL, NULL, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_new_from_id(ctx, 1, &rec_ops, NULL, NULL), -EINVAL);
	small.sz = sizeof(size_t) - 1;
	EXPECT_NOIO(nestio_device_new_from_id(ctx, 1, &small, NULL, &d), -EINVAL);
	big.ops.sz = sizeof(big);
	EXPECT_NOIO(nestio_device_new_from_id(ctx, 1, &big.ops, NULL, &d), -E2BIG);
	ck_assert_ptr_eq(d, sentinel);
	/* accessors */
	ck_assert_ptr_null(nestio_device_ref(NULL));
	ck_assert_ptr_null(nestio_device_unref(NULL));
	ck_assert_uint_eq(nestio_device_get_id(NULL), 0);
	ck_assert_int_eq(nestio_device_get_fd(NULL), -EINVAL);
	ck_assert_int_eq(nestio_device_get_fd(dev), -EBADF);	/* adopted */
	ck_assert_ptr_null(nestio_device_get_ctx(NULL));
	ck_assert_ptr_null(nestio_device_get_userdata(NULL));
	ck_assert_ptr_eq(nestio_device_get_userdata(dev), &rec);
	ck_assert_ptr_eq(nestio_device_get_ctx(dev), ctx);
	ck_assert_uint_eq(nestio_device_get_id(dev), 7);
	/* attach family: NULLs, another ctx's objects */
	EXPECT_NOIO(nestio_device_attach_ioas(NULL, NESTIO_NO_PASID, ioas), -EINVAL);
	EXPECT_NOIO(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, foreign), -EINVAL);
	EXPECT_NOIO(nestio_device_attach_hwpt(NULL, NESTIO_NO_PASID, hwpt), -EINVAL);
	EXPECT_NOIO(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_attach_hwpt(dev, 1, fhwpt), -EINVAL);
	EXPECT_NOIO(nestio_device_replace_ioas(NULL, NESTIO_NO_PASID, ioas), -EINVAL);
	EXPECT_NOIO(nestio_device_replace_ioas(dev, NESTIO_NO_PASID, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_replace_hwpt(NULL, NESTIO_NO_PASID, hwpt), -EINVAL);
	EXPECT_NOIO(nestio_device_replace_hwpt(dev, NESTIO_NO_PASID, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_detach(NULL, NESTIO_NO_PASID), -EINVAL);
	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	EXPECT_NOIO(nestio_device_replace_ioas(dev, NESTIO_NO_PASID, foreign), -EINVAL);
	EXPECT_NOIO(nestio_device_replace_hwpt(dev, NESTIO_NO_PASID, fhwpt), -EINVAL);
	ck_assert_int_eq(rec.attach + rec.replace + rec.detach, 1);
	/* hw info */
	EXPECT_NOIO(nestio_device_get_hw_info(NULL, &type, buf, &len), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_info(dev, NULL, buf, &len), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_info(dev, &type, buf, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_info(dev, &type, NULL, &len), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_info_ext(NULL, &type, buf, &len, NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_info_ext(dev, NULL, buf, &len, NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_info_ext(dev, &type, NULL, &len, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(type, 99);
	EXPECT_NOIO(nestio_device_get_hw_caps(NULL, &caps), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_caps(dev, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_caps(dev, &caps), -EINVAL);	/* sz */
	{
		const struct nestio_hw_caps *hosts[] = { &caps };
		struct nestio_compat out = { .sz = sizeof(out) };

		EXPECT_NOIO(nestio_hw_caps_intersect(NULL, 1, NULL, &out, NULL, NULL), -EINVAL);
		EXPECT_NOIO(nestio_hw_caps_intersect(hosts, 0, NULL, &out, NULL, NULL), -EINVAL);
		EXPECT_NOIO(nestio_hw_caps_intersect(hosts, 1, NULL, NULL, NULL, NULL), -EINVAL);
		EXPECT_NOIO(nestio_hw_caps_intersect(hosts, 1, NULL, &out, NULL, NULL), -EINVAL);
	}
	/* hwpt */
	EXPECT_NOIO(nestio_hwpt_new_paging(NULL, ioas, NULL, &h), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_new_paging(dev, NULL, NULL, &h), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_new_paging(dev, foreign, NULL, &h), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_new_paging(odev, ioas, NULL, &h), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_new_paging(dev, ioas, NULL, NULL), -EINVAL);
	ck_assert_ptr_eq(h, hsent);
	ck_assert_ptr_null(nestio_hwpt_ref(NULL));
	ck_assert_ptr_null(nestio_hwpt_unref(NULL));
	ck_assert_uint_eq(nestio_hwpt_get_id(NULL), 0);
	ck_assert_uint_eq(nestio_hwpt_get_flags(NULL), 0);
	ck_assert_ptr_null(nestio_hwpt_get_ctx(NULL));
	ck_assert_ptr_null(nestio_hwpt_get_ioas(NULL));
	fhwpt = nestio_hwpt_unref(fhwpt);
	odev = nestio_device_unref(odev);
	hwpt = nestio_hwpt_unref(hwpt);
	foreign = nestio_ioas_unref(foreign);
	other = nestio_ctx_unref(other);
}
END_TEST

/* nestio_device_export_dmabuf(): bad input is -EINVAL before any ioctl */
START_TEST(test_args_export_dmabuf)
{
	struct nestio_device *v = new_vfio(ctx);
	struct nestio_dmabuf_range one = { 0, PAGE }, two[2] = { { 0, PAGE }, { PAGE, PAGE } };
	struct nestio_dmabuf_range bad[] = {
		{ 0, 0 },			/* empty */
		{ 1, PAGE },			/* unaligned offset */
		{ 0, PAGE - 1 },		/* unaligned length */
		{ 0, PAGE + 1 },
		{ UINT64_MAX - PAGE + 1, PAGE },	/* wraps */
	};
	struct nestio_dmabuf_range huge[2] = {
		{ 0, UINT64_MAX - PAGE + 1 }, { 0, UINT64_MAX - PAGE + 1 },
	};
	void *as_ioas = ioas;

	tu_ncalls = 0;
	EXPECT_NOIO(nestio_device_export_dmabuf(NULL, 0, &one, 1, 0), -EINVAL);
	EXPECT_NOIO(nestio_device_export_dmabuf(as_ioas, 0, &one, 1, 0), -EINVAL);
	EXPECT_NOIO(nestio_device_export_dmabuf(v, 0, NULL, 1, 0), -EINVAL);
	EXPECT_NOIO(nestio_device_export_dmabuf(v, 0, &one, 0, 0), -EINVAL);
	EXPECT_NOIO(nestio_device_export_dmabuf(v, 0, &one, 1, 1), -EINVAL);
	EXPECT_NOIO(nestio_device_export_dmabuf(v, 0, &one, SIZE_MAX, 0), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_NOIO(nestio_device_export_dmabuf(v, 0, &bad[i], 1, 0), -EINVAL);
		/* a bad range after a good one */
		two[1] = bad[i];
		EXPECT_NOIO(nestio_device_export_dmabuf(v, 0, two, 2, 0), -EINVAL);
	}
	/* the total length overflows */
	EXPECT_NOIO(nestio_device_export_dmabuf(v, 0, huge, 2, 0), -EINVAL);
	/* an adopted device has no VFIO cdev to export from */
	EXPECT_NOIO(nestio_device_export_dmabuf(dev, 0, &one, 1, 0), -EINVAL);
	ck_assert_int_eq(tu_ncalls, 0);
	v = nestio_device_unref(v);
}
END_TEST

/* An object of the wrong type is caught by its magic, not dereferenced. */
START_TEST(test_args_wrong_type)
{
	void *as_ioas = ioas, *as_dev = dev, *as_ctx = ctx;
	uint64_t iova = 0;

	EXPECT_NOIO(nestio_ctx_get_fd(as_ioas), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap_all(as_ctx, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ioas_map(as_dev, as_ctx, PAGE, &iova, NESTIO_MAP_READ), -EINVAL);
	EXPECT_NOIO(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, as_ioas), -EINVAL);
	EXPECT_NOIO(nestio_device_attach_ioas(as_ioas, NESTIO_NO_PASID, ioas), -EINVAL);
	EXPECT_NOIO(nestio_device_detach(as_ctx, NESTIO_NO_PASID), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_new_paging(as_ioas, ioas, NULL, (void *)&iova), -EINVAL);
	ck_assert_uint_eq(nestio_hwpt_get_id(as_ioas), 0);
	ck_assert_ptr_null(nestio_ioas_ref(as_dev));
	ck_assert_ptr_null(nestio_hwpt_unref(as_ioas));
	ck_assert_uint_eq(nestio_ioas_get_id(ioas), 100);	/* still alive */
	ck_assert_int_eq(rec.attach, 0);
}
END_TEST

/* attach twice, replace / detach of an empty slot, missing operations */
START_TEST(test_args_slots)
{
	static const uint32_t slots[] = { NESTIO_NO_PASID, 0, 5, 0xfffff };
	const struct nestio_device_ops none = { .sz = sizeof(none) };
	struct nestio_device *bare = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(slots); i++) {
		EXPECT_NOIO(nestio_device_replace_ioas(dev, slots[i], ioas), -ENOENT);
		EXPECT_NOIO(nestio_device_detach(dev, slots[i]), -ENOENT);
		ck_assert_int_eq(nestio_device_attach_ioas(dev, slots[i], ioas), 0);
		ck_assert_uint_eq(rec.pasid, slots[i]);
		EXPECT_NOIO(nestio_device_attach_ioas(dev, slots[i], ioas), -EBUSY);
		ck_assert_int_eq(rec.attach, (int)i + 1);
	}
	ck_assert_int_eq(rec.replace + rec.detach, 0);
	/* slots are independent */
	ck_assert_int_eq(nestio_device_detach(dev, 5), 0);
	EXPECT_NOIO(nestio_device_detach(dev, 5), -ENOENT);
	EXPECT_NOIO(nestio_device_attach_ioas(dev, 0, ioas), -EBUSY);
	ck_assert_int_eq(nestio_device_replace_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	/* a NULL operation: -EOPNOTSUPP, after the slot rules */
	ck_assert_int_eq(nestio_device_new_from_id(ctx, 8, &none, NULL, &bare), 0);
	EXPECT_NOIO(nestio_device_attach_ioas(bare, 1, ioas), -EOPNOTSUPP);
	EXPECT_NOIO(nestio_device_replace_ioas(bare, 1, ioas), -ENOENT);
	EXPECT_NOIO(nestio_device_detach(bare, 1), -ENOENT);
	bare = nestio_device_unref(bare);
	ck_assert_int_eq(tu_ncalls, 0);
	/* PASIDs are 20 bits: anything wider is refused before any call */
	{
		static const uint32_t wide[] = { NESTIO_PASID_LIMIT, 0x100000 + 5,
						 UINT32_MAX - 1 };
		int calls = rec.attach + rec.replace + rec.detach;

		for (size_t i = 0; i < ARRAY_SIZE(wide); i++) {
			EXPECT_NOIO(nestio_device_attach_ioas(dev, wide[i], ioas), -EINVAL);
			EXPECT_NOIO(nestio_device_replace_ioas(dev, wide[i], ioas), -EINVAL);
			EXPECT_NOIO(nestio_device_detach(dev, wide[i]), -EINVAL);
		}
		ck_assert_int_eq(rec.attach + rec.replace + rec.detach, calls);
	}
}
END_TEST

/* sized structs: too small, unknown non-zero tail, shorter (defaults) */
START_TEST(test_args_sized_opts)
{
	struct {
		struct nestio_hwpt_paging_opts o;
		uint64_t tail;
	} big = { { .sz = sizeof(big), .flags = NESTIO_HWPT_NEST_PARENT }, 1 };
	struct nestio_hwpt_paging_opts o = { .flags = ~0u, .fault_id = 77 };
	struct nestio_device_ops ops = rec_ops;
	struct nestio_hwpt *h = NULL;
	struct nestio_device *d = NULL;

	o.sz = sizeof(size_t) - 1;
	EXPECT_NOIO(nestio_hwpt_new_paging(dev, ioas, &o, &h), -EINVAL);
	o.sz = 0;
	EXPECT_NOIO(nestio_hwpt_new_paging(dev, ioas, &o, &h), -EINVAL);
	o.sz = sizeof(o);
	EXPECT_NOIO(nestio_hwpt_new_paging(dev, ioas, &o, &h), -EINVAL); /* flags */
	EXPECT_NOIO(nestio_hwpt_new_paging(dev, ioas, &big.o, &h), -E2BIG);
	ck_assert_ptr_null(h);
	big.tail = 0;		/* a zero tail is fine */
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &big.o, &h), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc, .dev_id = 7,
		     .pt_id = 100, .flags = KABI_HWPT_ALLOC_NEST_PARENT);
	h = nestio_hwpt_unref(h);
	/* ends before fault_id: the garbage there is not read (call 1 was the
	 * nest parent's GET_HW_INFO, call 2 its destroy) */
	o.flags = NESTIO_HWPT_DIRTY_TRACKING;
	o.sz = offsetof(struct nestio_hwpt_paging_opts, fault_id);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), 0);
	EXPECT_IOMMU(3, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc, .dev_id = 7,
		     .pt_id = 100, .flags = KABI_HWPT_ALLOC_DIRTY_TRACKING);
	ck_assert_uint_eq(nestio_hwpt_get_flags(h), NESTIO_HWPT_DIRTY_TRACKING);
	h = nestio_hwpt_unref(h);
	/* ends before flags */
	o.flags = ~0u;
	o.sz = offsetof(struct nestio_hwpt_paging_opts, flags);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), 0);
	EXPECT_IOMMU(5, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc, .dev_id = 7,
		     .pt_id = 100);
	h = nestio_hwpt_unref(h);
	/* device ops that end before release: release is not called */
	ops.sz = offsetof(struct nestio_device_ops, release);
	ck_assert_int_eq(nestio_device_new_from_id(ctx, 3, &ops, &rec, &d), 0);
	ck_assert_int_eq(nestio_device_attach_ioas(d, 2, ioas), 0);
	d = nestio_device_unref(d);
	ck_assert_int_eq(rec.attach, 1);
	ck_assert_int_eq(rec.detach, 1);	/* its PASID, on unref */
	ck_assert_int_eq(rec.release, 0);
	/* ... before replace: replace and detach are -EOPNOTSUPP */
	memset(&rec, 0, sizeof(rec));
	ops.sz = offsetof(struct nestio_device_ops, replace);
	ck_assert_int_eq(nestio_device_new_from_id(ctx, 3, &ops, &rec, &d), 0);
	ck_assert_int_eq(nestio_device_attach_ioas(d, 2, ioas), 0);
	EXPECT_NOIO(nestio_device_replace_ioas(d, 2, ioas), -EOPNOTSUPP);
	EXPECT_NOIO(nestio_device_detach(d, 2), -EOPNOTSUPP);
	d = nestio_device_unref(d);
	ck_assert_int_eq(rec.attach, 1);
	ck_assert_int_eq(rec.replace + rec.detach + rec.release, 0);
}
END_TEST

/* ================================================================== fds */

START_TEST(test_fd_ctx_dup_cloexec)
{
	int src = open("/dev/null", O_RDWR), n0 = tu_count_open_fds(), fd;
	struct nestio_ctx *c = NULL;

	ck_assert_int_ge(src, 0);
	ck_assert(!tu_fd_is_cloexec(src));
	ck_assert_int_eq(nestio_ctx_new_from_fd(src, &c), 0);
	fd = nestio_ctx_get_fd(c);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fd, src);
	ck_assert(tu_fd_is_cloexec(fd));
	ck_assert(!tu_fd_is_cloexec(src));	/* the caller's fd is untouched */
	ck_assert_int_eq(tu_count_open_fds(), n0 + 1);
	c = nestio_ctx_unref(c);
	ck_assert_int_eq(tu_count_open_fds(), n0);
	ck_assert(fd_open(src));
	close(src);
}
END_TEST

START_TEST(test_fd_device_dup_cloexec)
{
	int src = open("/dev/null", O_RDWR), n0 = tu_count_open_fds(), fd;
	struct nestio_device *d = NULL, *sentinel = (void *)&rec;

	ck_assert_int_ge(src, 0);
	ck_assert(!tu_fd_is_cloexec(src));
	ck_assert_int_eq(nestio_device_new_from_fd(ctx, src, &d), 0);
	fd = nestio_device_get_fd(d);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fd, src);
	ck_assert_int_ne(fd, nestio_ctx_get_fd(ctx));
	ck_assert(tu_fd_is_cloexec(fd));
	ck_assert(!tu_fd_is_cloexec(src));
	ck_assert_int_eq(tu_calls[0].fd, fd);	/* bound through the dup */
	d = nestio_device_unref(d);
	ck_assert(!fd_open(fd));
	ck_assert_int_eq(tu_count_open_fds(), n0);
	/* a failed bind closes the dup and leaves *out alone */
	d = sentinel;
	fk_fail(KABI_VFIO_DEVICE_BIND_IOMMUFD, EPERM, 1);
	ck_assert_int_eq(nestio_device_new_from_fd(ctx, src, &d), -EPERM);
	ck_assert_ptr_eq(d, sentinel);
	ck_assert_int_eq(tu_count_open_fds(), n0);
	/* the open path, on a /dev node: cloexec too */
	ck_assert_int_eq(nestio_device_open(ctx, "/dev/null", &d), 0);
	ck_assert(tu_fd_is_cloexec(nestio_device_get_fd(d)));
	ck_assert_int_eq(tu_count_open_fds(), n0 + 1);
	d = nestio_device_unref(d);
	ck_assert_int_eq(tu_count_open_fds(), n0);
	close(src);
}
END_TEST

/* A path under /dev/ that is not a character device: a file made in
 * /dev/shm if it is there and writable, else a directory of /dev; NULL if
 * neither (name gets the path; *made: a file to unlink). */
static const char *dev_non_chr(char *name, size_t len, bool *made)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	snprintf(name, len, "/dev/shm/nestio-test-XXXXXX");
	fd = mkstemp(name);
	*made = fd >= 0;
	if (fd >= 0) {
		close(fd);
		return name;
	}
	d = opendir("/dev");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(name, len, "/dev/%s", de->d_name);
		if (!lstat(name, &st) && S_ISDIR(st.st_mode)) {
			closedir(d);
			return name;
		}
	}
	if (d)
		closedir(d);
	return NULL;
}

/*
 * nestio_device_open() of a /dev/ path opens only what resolves under
 * /dev/, and only a character device: a path that climbs out with ".."
 * is -EINVAL, a non-device -ENODEV; neither is
 * bound (no ioctl) and no fd is left open.
 */
START_TEST(test_fd_device_open_dev_only)
{
	struct nestio_device *sentinel = (void *)&rec, *d = sentinel;
	int n0 = tu_count_open_fds();
	char name[PATH_MAX], cwd[PATH_MAX - 32];
	const char *other;
	bool made;

	/* (paths that exist: it resolves them, in the VM guests too) */
	if (!access("/etc/passwd", F_OK))
		EXPECT_NOIO(nestio_device_open(ctx, "/dev/../etc/passwd", &d),
			    -EINVAL);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_lt(snprintf(name, sizeof(name), "/dev/./../dev/..%s", cwd),
			 (int)sizeof(name));
	EXPECT_NOIO(nestio_device_open(ctx, name, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_open(ctx, "/dev/..", &d), -EINVAL);
	EXPECT_NOIO(nestio_device_open(ctx, "/dev/nestio-no-such-node", &d), -ENOENT);
	ck_assert_ptr_eq(d, sentinel);
	ck_assert_int_eq(tu_count_open_fds(), n0);
	other = dev_non_chr(name, sizeof(name), &made);
	if (other) {
		EXPECT_NOIO(nestio_device_open(ctx, other, &d), -ENODEV);
		ck_assert_ptr_eq(d, sentinel);
		ck_assert_int_eq(tu_count_open_fds(), n0);
		if (made)
			unlink(name);
	}
	/* a character device under /dev, reached through "..", is taken */
	ck_assert_int_eq(nestio_device_open(ctx, "/dev/../dev/null", &d), 0);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert(tu_fd_is_cloexec(nestio_device_get_fd(d)));
	d = nestio_device_unref(d);
	ck_assert_int_eq(tu_count_open_fds(), n0);
}
END_TEST

START_TEST(test_fd_ctx_new)
{
	struct nestio_ctx *c = (void *)&rec;
	int n0 = tu_count_open_fds(), r = nestio_ctx_new(&c);

	if (access("/dev/iommu", F_OK) != 0) {
		ck_assert_int_eq(r, -ENOENT);
		ck_assert_ptr_eq(c, (void *)&rec);
	} else if (r == 0) {
		ck_assert(tu_fd_is_cloexec(nestio_ctx_get_fd(c)));
		c = nestio_ctx_unref(c);
	} else {
		ck_assert_msg(r == -EACCES || r == -EPERM, "ctx_new: %d", r);
	}
	ck_assert_int_eq(tu_count_open_fds(), n0);
}
END_TEST

/* =========================================================== chokepoint */

static int answer_five(int fd, unsigned long request, void *arg)
{
	(void)fd; (void)request; (void)arg;
	return 5;
}

START_TEST(test_chokepoint_eintr)
{
	struct nestio_ioas *i = NULL;
	char *va = aligned_alloc(PAGE, PAGE);
	uint64_t iova = 0;

	fk_fail(KABI_IOMMU_IOAS_ALLOC, EINTR, 1);
	ck_assert_int_eq(nestio_ioas_new(ctx, &i), 0);
	ck_assert_int_eq(tu_ncalls, 2);
	EXPECT_IOMMU(1, KABI_IOMMU_IOAS_ALLOC, kabi_ioas_alloc);
	ck_assert_uint_eq(nestio_ioas_get_id(i), 101);
	tu_ncalls = 0;
	fk_fail(KABI_IOMMU_IOAS_MAP, EINTR, 5);
	ck_assert_int_eq(nestio_ioas_map(i, va, PAGE, &iova, NESTIO_MAP_READ), 0);
	ck_assert_int_eq(tu_ncalls, 6);
	ck_assert_uint_eq(iova, FK_IOVA);
	i = nestio_ioas_unref(i);
	free(va);
}
END_TEST

START_TEST(test_chokepoint_errno)
{
	static const int errs[] = { EPERM, ENOENT, ENOMEM, EFAULT, EBUSY, EINVAL,
				    ENOTTY, E2BIG, EOPNOTSUPP, EAGAIN, EOVERFLOW,
				    ENOSPC, EMSGSIZE, EIO };
	struct nestio_ioas *sentinel = (void *)&rec, *i;
	char *va = aligned_alloc(PAGE, PAGE);
	uint64_t iova;

	for (size_t k = 0; k < ARRAY_SIZE(errs); k++) {
		tu_ncalls = 0;
		i = sentinel;
		fk_fail(0, errs[k], 1);
		ck_assert_int_eq(nestio_ioas_new(ctx, &i), -errs[k]);
		ck_assert_ptr_eq(i, sentinel);
		fk_fail(0, errs[k], 1);
		iova = 0x1234000;
		ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &iova, NESTIO_MAP_WRITE),
				 -errs[k]);
		ck_assert_uint_eq(iova, 0x1234000);
		fk_fail(0, errs[k], 1);
		ck_assert_int_eq(nestio_ctx_change_process(ctx), -errs[k]);
		ck_assert_int_eq(tu_ncalls, 3);		/* no retry */
	}
	/* the chokepoint itself: a non-negative result passes through */
	tu_seam_answer = answer_five;
	ck_assert_int_eq(nio_ioctl(ctx, nestio_ctx_get_fd(ctx), KABI_IOMMU_DESTROY,
				   &(struct kabi_destroy){ 8, 1 }), 5);
	ck_assert_str_eq(nio_ioctl_name(KABI_IOMMU_IOAS_MAP), "IOMMU_IOAS_MAP");
	free(va);
}
END_TEST

/* the chokepoint as a VMM runs it: the seam out of the way, libc's ioctl()
 * itself. The ctx's fd is /dev/null, which answers ENOTTY to everything:
 * the error comes back as -ENOTTY, and errno says libc's ioctl() made the
 * call. At debug priority the same call is logged. */
static char logged[256];

static void log_last(struct nestio_ctx *c, int priority, const char *file,
		     int line, const char *fn, const char *format, va_list args)
{
	(void)c; (void)priority; (void)file; (void)line; (void)fn;
	vsnprintf(logged, sizeof(logged), format, args);
}

START_TEST(test_chokepoint_system_call)
{
	struct kabi_destroy d = { .size = sizeof(d), .id = 1 };
	char *va = aligned_alloc(PAGE, PAGE);
	uint64_t iova = 0x5000;

	tu_seam_remove();
	errno = EBADMSG;
	ck_assert_int_eq(nio_ioctl(ctx, nestio_ctx_get_fd(ctx), KABI_IOMMU_DESTROY, &d),
			 -ENOTTY);
	ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), -ENOTTY);
	ck_assert_uint_eq(iova, 0x5000);
	ck_assert_int_eq(errno, ENOTTY);
	ck_assert_int_eq(nestio_ctx_set_log_fn(ctx, log_last), 0);
	ck_assert_int_eq(nestio_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
	logged[0] = 0;
	ck_assert_int_eq(nio_ioctl(ctx, nestio_ctx_get_fd(ctx), KABI_IOMMU_DESTROY, &d),
			 -ENOTTY);
	ck_assert_msg(strstr(logged, "IOMMU_DESTROY"), "logged: %s", logged);
	ck_assert_int_eq(nestio_ctx_set_log_priority(ctx, LOG_ERR), 0);
	tu_seam_install();
	tu_seam_answer = fake_kernel;
	free(va);
}
END_TEST

/* SMMUv3 guest STEs (tests/unit/test-vste.c has the rest) */
START_TEST(test_args_vste)
{
	const uint64_t ste[2] = { 0x1, 0 };
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_hwpt *sentinel = (void *)&rec, *h = sentinel;
	struct nestio_viommu *v = NULL, *raw = NULL;
	uint64_t out[2];
	void *as_viommu = ioas;

	ck_assert_int_eq(nestio_viommu_new(dev, parent, NESTIO_VIOMMU_ARM_SMMUV3,
					   NULL, &v), 0);
	ck_assert_int_eq(nestio_viommu_new(dev, parent, 0x77, NULL, &raw), 0);
	EXPECT_NOIO(nestio_smmuv3_ste_canon(NULL, out, NULL), -EINVAL);
	EXPECT_NOIO(nestio_smmuv3_ste_canon(ste, NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(NULL, dev, ste, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(as_viommu, dev, ste, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(raw, dev, ste, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(v, NULL, ste, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(v, dev, NULL, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(v, dev, ste, NULL), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_gbpa(NULL, dev, 0, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_gbpa(raw, dev, 0, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_gbpa(v, NULL, 0, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_gbpa(v, dev, 0, NULL), -EINVAL);
	ck_assert_ptr_eq(h, sentinel);
	nestio_viommu_unref(raw);
	nestio_viommu_unref(v);
	nestio_hwpt_unref(parent);
}
END_TEST

/* adopting by id (nestio_adopt(3)): bad input, a base of the wrong kind or
 * ctx, and an id this ctx already has, all before any ioctl */
START_TEST(test_args_adopt)
{
	struct nestio_ioas *isent = (void *)&rec, *io = isent;
	struct nestio_hwpt *hsent = (void *)&rec, *h = hsent, *parent, *nested, *plain;
	struct nestio_viommu *vsent = (void *)&rec, *v = vsent, *viommu;
	struct nestio_ctx *other = new_ctx();
	struct nestio_ioas *oioas = new_ioas(other);
	struct nestio_hwpt_adopt_opts o = { .sz = sizeof(o), .ioas = ioas };
	struct { struct nestio_hwpt_adopt_opts o; uint64_t tail; } big = {
		{ .sz = sizeof(big), .ioas = ioas }, 1 };

	new_nest_objs(&parent, &nested, &viommu);
	plain = new_hwpt(dev, ioas, 0);
	tu_ncalls = 0;
	EXPECT_NOIO(nestio_ioas_new_from_id(NULL, 5, 0, &io), -EINVAL);
	EXPECT_NOIO(nestio_ioas_new_from_id(ctx, 0, 0, &io), -EINVAL);
	EXPECT_NOIO(nestio_ioas_new_from_id(ctx, 5, 2, &io), -EINVAL);
	EXPECT_NOIO(nestio_ioas_new_from_id(ctx, 5, 0, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ioas_new_from_id((void *)ioas, 5, 0, &io), -EINVAL);
	EXPECT_NOIO(nestio_ioas_new_from_id(ctx, nestio_ioas_get_id(ioas), 0, &io), -EEXIST);
	ck_assert_ptr_eq(io, isent);

	EXPECT_NOIO(nestio_hwpt_new_from_id(NULL, 5, &o, &h), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 0, &o, &h), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, NULL, &h), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, NULL), -EINVAL);
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &big.o, &h), -E2BIG);
	o.adopt_flags = 2;
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, &h), -EINVAL);
	o.adopt_flags = NESTIO_ADOPT_KEEP;
	o.flags = 1u << 5;				/* unknown flag */
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, &h), -EINVAL);
	o.flags = 0;
	o.ioas = NULL;					/* no base */
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, &h), -EINVAL);
	o.ioas = ioas;					/* two bases */
	o.parent = parent;
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, &h), -EINVAL);
	o.ioas = oioas;					/* another ctx's */
	o.parent = NULL;
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, &h), -EINVAL);
	o.ioas = (void *)parent;			/* wrong kind */
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, &h), -EINVAL);
	o.ioas = NULL;
	o.parent = plain;				/* no nest parent */
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, &h), -EINVAL);
	o.parent = nested;
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, &h), -EINVAL);
	o.parent = parent;				/* nested: PASID only */
	o.flags = NESTIO_HWPT_NEST_PARENT;
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, &h), -EINVAL);
	o.flags = NESTIO_HWPT_DIRTY_TRACKING;
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, &h), -EINVAL);
	o.flags = 0;
	o.parent = NULL;
	o.viommu = (void *)parent;
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, 5, &o, &h), -EINVAL);
	o.viommu = viommu;				/* already this ctx's */
	EXPECT_NOIO(nestio_hwpt_new_from_id(ctx, nestio_hwpt_get_id(nested), &o, &h), -EEXIST);
	ck_assert_ptr_eq(h, hsent);

	EXPECT_NOIO(nestio_viommu_new_from_id(NULL, 5, 0, 0, &v), -EINVAL);
	EXPECT_NOIO(nestio_viommu_new_from_id(plain, 5, 0, 0, &v), -EINVAL);
	EXPECT_NOIO(nestio_viommu_new_from_id(nested, 5, 0, 0, &v), -EINVAL);
	EXPECT_NOIO(nestio_viommu_new_from_id((void *)ioas, 5, 0, 0, &v), -EINVAL);
	EXPECT_NOIO(nestio_viommu_new_from_id(parent, 0, 0, 0, &v), -EINVAL);
	EXPECT_NOIO(nestio_viommu_new_from_id(parent, 5, 0, 2, &v), -EINVAL);
	EXPECT_NOIO(nestio_viommu_new_from_id(parent, 5, 0, 0, NULL), -EINVAL);
	EXPECT_NOIO(nestio_viommu_new_from_id(parent, nestio_viommu_get_id(viommu),
					      0, 0, &v), -EEXIST);
	ck_assert_ptr_eq(v, vsent);

	EXPECT_NOIO(nestio_ctx_lookup_viommu(NULL, 5, &v), -EINVAL);
	EXPECT_NOIO(nestio_ctx_lookup_viommu(ctx, 0, &v), -EINVAL);
	EXPECT_NOIO(nestio_ctx_lookup_viommu(ctx, 5, NULL), -EINVAL);
	EXPECT_NOIO(nestio_ctx_lookup_viommu(ctx, 5, &v), -ENOENT);
	EXPECT_NOIO(nestio_ctx_lookup_viommu(other, nestio_viommu_get_id(viommu), &v), -ENOENT);
	ck_assert_ptr_eq(v, vsent);
	EXPECT_NOIO(nestio_ctx_lookup_viommu(ctx, nestio_viommu_get_id(viommu), &v), 0);
	ck_assert_ptr_eq(v, viommu);
	nestio_viommu_unref(v);
	nestio_hwpt_unref(plain);
	nestio_hwpt_unref(nested);
	nestio_viommu_unref(viommu);
	nestio_hwpt_unref(parent);
	nestio_ioas_unref(oioas);
	nestio_ctx_unref(other);
}
END_TEST

/* hw info by type, Tegra241 CMDQV decoding and the vIOMMU page mmap */
START_TEST(test_args_cmdqv)
{
	const uint64_t pg = PAGE;
	struct nestio_hwpt *parent = NULL, *nested = NULL;
	struct nestio_viommu *v = NULL;
	struct nestio_tegra241_cmdqv_info info = { .version = 9 };
	struct nestio_tegra241_cmdqv_event cev = { { 7, 7 } };
	struct nestio_vevent ev = { .len = 8 };
	void *sentinel = &rec, *addr = sentinel;
	uint8_t buf[16] = { 0 };
	size_t len = sizeof(buf), big = (size_t)UINT32_MAX + 1;
	uint32_t type = 99;

	new_nest_objs(&parent, &nested, &v);
	tu_ncalls = 0;
	EXPECT_NOIO(nestio_device_get_hw_info_of_type(NULL, 3, &type, buf, &len, NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_info_of_type((void *)ctx, 3, &type, buf, &len, NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_info_of_type(dev, 3, NULL, buf, &len, NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_info_of_type(dev, 3, &type, buf, NULL, NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_get_hw_info_of_type(dev, 3, &type, NULL, &len, NULL, NULL), -EINVAL);
	if (sizeof(size_t) > sizeof(uint32_t))
		EXPECT_NOIO(nestio_device_get_hw_info_of_type(dev, 3, &type, buf, &big, NULL, NULL),
			    -EINVAL);
	ck_assert_uint_eq(type, 99);
	ck_assert_uint_eq(len, sizeof(buf));
	EXPECT_NOIO(nestio_device_get_tegra241_cmdqv_info(NULL, &info), -EINVAL);
	EXPECT_NOIO(nestio_device_get_tegra241_cmdqv_info((void *)v, &info), -EINVAL);
	EXPECT_NOIO(nestio_device_get_tegra241_cmdqv_info(dev, NULL), -EINVAL);
	EXPECT_NOIO(nestio_hw_info_decode_tegra241_cmdqv(NULL, 8, &info), -EINVAL);
	EXPECT_NOIO(nestio_hw_info_decode_tegra241_cmdqv(buf, 7, &info), -EINVAL);
	EXPECT_NOIO(nestio_hw_info_decode_tegra241_cmdqv(buf, 8, NULL), -EINVAL);
	ck_assert_uint_eq(info.version, 9);
	EXPECT_NOIO(nestio_vevent_decode_tegra241_cmdqv(NULL, &cev), -EINVAL);
	EXPECT_NOIO(nestio_vevent_decode_tegra241_cmdqv(&ev, &cev), -EINVAL);	/* len 8 */
	ev.len = 16;
	EXPECT_NOIO(nestio_vevent_decode_tegra241_cmdqv(&ev, NULL), -EINVAL);
	ck_assert_uint_eq(cev.lvcmdq_err_map[0], 7);
	/* mmap: whole pages at a page-aligned offset, on a live vIOMMU. The
	 * ctx is /dev/null, which has no mmap: a call that reaches mmap(2)
	 * says ENODEV, so each -EINVAL below is the library's own. */
	EXPECT_NOIO(nestio_viommu_mmap(NULL, 0, pg, &addr), -EINVAL);
	EXPECT_NOIO(nestio_viommu_mmap((void *)nested, 0, pg, &addr), -EINVAL);
	EXPECT_NOIO(nestio_viommu_mmap(v, 0, pg, NULL), -EINVAL);
	EXPECT_NOIO(nestio_viommu_mmap(v, 0, 0, &addr), -EINVAL);
	EXPECT_NOIO(nestio_viommu_mmap(v, 0, pg + 1, &addr), -EINVAL);
	EXPECT_NOIO(nestio_viommu_mmap(v, 0, pg / 2, &addr), -EINVAL);
	EXPECT_NOIO(nestio_viommu_mmap(v, 8, pg, &addr), -EINVAL);
	EXPECT_NOIO(nestio_viommu_mmap(v, UINT64_MAX - pg + 1, pg, &addr), -EINVAL);
	EXPECT_NOIO(nestio_viommu_mmap(v, pg, pg, &addr), -ENODEV);
	ck_assert_ptr_eq(addr, sentinel);
	nested = nestio_hwpt_unref(nested);
	v = nestio_viommu_unref(v);
	parent = nestio_hwpt_unref(parent);
}
END_TEST

/* issue 16.5: unmap flags, the VFIO compat IOAS, the VF token bind */
START_TEST(test_args_misc16)
{
	static const uint8_t tok[16] = { 0xbd, 0x8d };
	struct nestio_device *sentinel = (void *)&rec, *d = sentinel;
	struct {
		struct nestio_device_bind_opts o;
		uint64_t tail;
	} big = { { .sz = sizeof(big), .vf_token = tok }, 1 };
	struct nestio_device_bind_opts o = { .sz = sizeof(size_t) - 1 };
	uint64_t n = 77;
	uint32_t id = 77;

	EXPECT_NOIO(nestio_ioas_unmap_ext(NULL, 0, PAGE, 0, &n), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap_ext((void *)ctx, 0, PAGE, 0, &n), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap_ext(ioas, 0, 0, 0, &n), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap_ext(ioas, 1, PAGE, 0, &n), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap_ext(ioas, 0, PAGE + 1, NESTIO_UNMAP_ABSENT_OK,
					  &n), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap_ext(ioas, UINT64_MAX - PAGE + 1, 2 * PAGE,
					  NESTIO_UNMAP_ABSENT_OK, &n), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap_ext(ioas, 0, PAGE, 1u << 1, &n), -EINVAL);
	EXPECT_NOIO(nestio_ioas_unmap_ext(ioas, 0, PAGE, ~0u, &n), -EINVAL);
	ck_assert_uint_eq(n, 77);
	EXPECT_NOIO(nestio_ioas_set_vfio_compat(NULL), -EINVAL);
	EXPECT_NOIO(nestio_ioas_set_vfio_compat((void *)ctx), -EINVAL);
	EXPECT_NOIO(nestio_ctx_get_vfio_compat_ioas(NULL, &id), -EINVAL);
	EXPECT_NOIO(nestio_ctx_get_vfio_compat_ioas((void *)ioas, &id), -EINVAL);
	EXPECT_NOIO(nestio_ctx_get_vfio_compat_ioas(ctx, NULL), -EINVAL);
	ck_assert_uint_eq(id, 77);
	EXPECT_NOIO(nestio_ctx_clear_vfio_compat(NULL), -EINVAL);
	EXPECT_NOIO(nestio_ctx_clear_vfio_compat((void *)ioas), -EINVAL);
	EXPECT_NOIO(nestio_device_open_ext(NULL, "0000:00:03.0", NULL, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_open_ext((void *)ioas, "0000:00:03.0", NULL, &d),
		    -EINVAL);
	EXPECT_NOIO(nestio_device_open_ext(ctx, NULL, NULL, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_open_ext(ctx, "", NULL, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_open_ext(ctx, "0000:00:03.0", NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_open_ext(ctx, "/dev/null", &o, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_open_ext(ctx, "/dev/null", &big.o, &d), -E2BIG);
	EXPECT_NOIO(nestio_device_new_from_fd_ext(NULL, 0, NULL, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_new_from_fd_ext(ctx, -1, NULL, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_new_from_fd_ext(ctx, 0, NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_device_new_from_fd_ext(ctx, 0, &o, &d), -EINVAL);
	EXPECT_NOIO(nestio_device_new_from_fd_ext(ctx, 0, &big.o, &d), -E2BIG);
	EXPECT_NOIO(nestio_device_new_from_fd_ext(ctx, INT_MAX, NULL, &d), -EBADF);
	ck_assert_ptr_eq(d, sentinel);
	EXPECT_NOIO(nestio_device_supports(NULL, NESTIO_PROBE_VIOMMU, 1), -EINVAL);
	EXPECT_NOIO(nestio_device_supports((void *)ioas, NESTIO_PROBE_VIOMMU, 1), -EINVAL);
	EXPECT_NOIO(nestio_device_supports(dev, (enum nestio_probe)2, 1), -EINVAL);
	EXPECT_NOIO(nestio_device_supports(dev, (enum nestio_probe)-1, 1), -EINVAL);
	EXPECT_NOIO(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA, 0), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("args");
	TCase *tc;

	tc = fk_tcase(s, "args", setup_objs, teardown_objs);
	tcase_add_test(tc, test_args_ctx);
	tcase_add_test(tc, test_args_ioas);
	tcase_add_test(tc, test_args_ioas_wrap);
	tcase_add_test(tc, test_args_device);
	tcase_add_test(tc, test_args_export_dmabuf);
	tcase_add_test(tc, test_args_wrong_type);
	tcase_add_test(tc, test_args_slots);
	tcase_add_test(tc, test_args_sized_opts);
	tcase_add_test(tc, test_args_vste);
	tcase_add_test(tc, test_args_adopt);
	tcase_add_test(tc, test_args_cmdqv);
	tcase_add_test(tc, test_args_misc16);
	tc = fk_tcase(s, "fds", setup_seam, teardown_seam);
	tcase_add_test(tc, test_fd_ctx_dup_cloexec);
	tcase_add_test(tc, test_fd_device_dup_cloexec);
	tcase_add_test(tc, test_fd_device_open_dev_only);
	tcase_add_test(tc, test_fd_ctx_new);
	tc = fk_tcase(s, "chokepoint", setup_objs, teardown_objs);
	tcase_add_test(tc, test_chokepoint_eintr);
	tcase_add_test(tc, test_chokepoint_errno);
	tcase_add_test(tc, test_chokepoint_system_call);
	return tu_run(s);
}
