// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: the exact bytes of every ioctl the library sends.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakekernel.h"

/* ============================================================= payloads */

START_TEST(test_io_ioas_new_destroy)
{
	struct nestio_ioas *i = new_ioas(ctx);

	EXPECT_IOMMU(0, KABI_IOMMU_IOAS_ALLOC, kabi_ioas_alloc);
	ck_assert_uint_eq(nestio_ioas_get_id(i), 101);	/* the fixture's is 100 */
	ck_assert_ptr_eq(nestio_ioas_get_ctx(i), ctx);
	ck_assert_ptr_eq(nestio_ioas_ref(i), i);
	ck_assert_ptr_null(nestio_ioas_unref(i));
	ck_assert_int_eq(tu_ncalls, 1);			/* still referenced */
	i = nestio_ioas_unref(i);
	EXPECT_IOMMU(1, KABI_IOMMU_DESTROY, kabi_destroy, .id = 101);
	ck_assert_int_eq(tu_ncalls, 2);
}
END_TEST

START_TEST(test_io_map)
{
	static const struct { unsigned int flags; uint32_t kflags; } cases[] = {
		{ NESTIO_MAP_READ, KABI_IOAS_MAP_READABLE },
		{ NESTIO_MAP_WRITE, KABI_IOAS_MAP_WRITEABLE },
		{ RW, KABI_IOAS_MAP_READABLE | KABI_IOAS_MAP_WRITEABLE },
	};
	char *va = aligned_alloc(PAGE, 4 * PAGE);
	int fd = open_null();

	for (int n = 0; n < 12; n++) {
		bool file = n / 6, fixed = n / 3 % 2;
		unsigned int flags = cases[n % 3].flags | (fixed ? NESTIO_MAP_FIXED_IOVA : 0);
		uint32_t kflags = cases[n % 3].kflags | (fixed ? KABI_IOAS_MAP_FIXED_IOVA : 0);
		uint64_t iova = fixed ? 0x200000 : 0xdead000;

		tu_ncalls = 0;
		if (file) {
			ck_assert_int_eq(nestio_ioas_map_file(ioas, fd, 2 * PAGE, 3 * PAGE,
							      &iova, flags), 0);
			EXPECT_IOMMU(0, KABI_IOMMU_IOAS_MAP_FILE, kabi_ioas_map_file,
				     .flags = kflags, .ioas_id = 100, .fd = fd,
				     .start = 2 * PAGE, .length = 3 * PAGE,
				     .iova = fixed ? 0x200000 : 0);
		} else {
			ck_assert_int_eq(nestio_ioas_map(ioas, va, 4 * PAGE, &iova, flags), 0);
			EXPECT_IOMMU(0, KABI_IOMMU_IOAS_MAP, kabi_ioas_map,
				     .flags = kflags, .ioas_id = 100,
				     .user_va = (uintptr_t)va, .length = 4 * PAGE,
				     .iova = fixed ? 0x200000 : 0);
		}
		ck_assert_int_eq(tu_ncalls, 1);
		ck_assert_uint_eq(iova, fixed ? 0x200000 : FK_IOVA);
	}
	close(fd);
	free(va);
}
END_TEST

START_TEST(test_io_unmap_copy)
{
	struct nestio_ioas *src = new_ioas(ctx);	/* id 101 */
	uint64_t n = 0, iova = 0x300000;

	tu_ncalls = 0;
	ck_assert_int_eq(nestio_ioas_unmap(ioas, 0x10000000, 8 * PAGE, &n), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_IOAS_UNMAP, kabi_ioas_unmap, .ioas_id = 100,
		     .iova = 0x10000000, .length = 8 * PAGE);
	ck_assert_uint_eq(n, FK_UNMAPPED);
	ck_assert_int_eq(nestio_ioas_unmap(ioas, 0, PAGE, NULL), 0);
	n = 0;
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, &n), 0);
	EXPECT_IOMMU(2, KABI_IOMMU_IOAS_UNMAP, kabi_ioas_unmap, .ioas_id = 100,
		     .iova = 0, .length = UINT64_MAX);
	ck_assert_uint_eq(n, FK_UNMAPPED);
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), 0);
	/* copy, fixed and kernel-chosen */
	ck_assert_int_eq(nestio_ioas_copy(ioas, &iova, src, 0x500000, 2 * PAGE,
					  NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	EXPECT_IOMMU(4, KABI_IOMMU_IOAS_COPY, kabi_ioas_copy,
		     .flags = KABI_IOAS_MAP_READABLE | KABI_IOAS_MAP_FIXED_IOVA,
		     .dst_ioas_id = 100, .src_ioas_id = 101, .length = 2 * PAGE,
		     .dst_iova = 0x300000, .src_iova = 0x500000);
	ck_assert_uint_eq(iova, 0x300000);
	iova = 0xbad000;
	ck_assert_int_eq(nestio_ioas_copy(src, &iova, ioas, 0, PAGE, RW), 0);
	EXPECT_IOMMU(5, KABI_IOMMU_IOAS_COPY, kabi_ioas_copy,
		     .flags = KABI_IOAS_MAP_READABLE | KABI_IOAS_MAP_WRITEABLE,
		     .dst_ioas_id = 101, .src_ioas_id = 100, .length = PAGE);
	ck_assert_uint_eq(iova, FK_IOVA);
	src = nestio_ioas_unref(src);
}
END_TEST

static const struct nestio_iova_range want_ranges[6] = {
	{ 0x0, 0xfedfffff }, { 0xfef00000, 0xffffffff },
	{ 0x100000000, 0x1ffffffff }, { 0x300000000, 0x3ffffffff },
	{ 0x500000000, 0x5ffffffff }, { 0x700000000, 0xffffffffffff },
};

/* fills what fits; EMSGSIZE with the real count when it did not all fit */
static int ranges_answer(int fd, unsigned long request, void *arg)
{
	struct kabi_ioas_iova_ranges *c = arg;
	struct kabi_iova_range *out = (void *)(uintptr_t)c->allowed_iovas;
	uint32_t room = c->num_iovas, n = ARRAY_SIZE(want_ranges);

	if (request != KABI_IOMMU_IOAS_IOVA_RANGES)
		return fake_kernel(fd, request, arg);
	for (uint32_t i = 0; i < room && i < n; i++)
		out[i] = (struct kabi_iova_range){ want_ranges[i].start,
						   want_ranges[i].last };
	c->num_iovas = n;
	c->out_iova_alignment = 0x1000;
	errno = EMSGSIZE;
	return room < n ? -1 : 0;
}

static int growing_answer(int fd, unsigned long request, void *arg)
{
	struct kabi_ioas_iova_ranges *c = arg;

	(void)fd; (void)request;
	c->num_iovas++;
	errno = EMSGSIZE;
	return -1;
}

START_TEST(test_io_iova_ranges)
{
	struct nestio_iova_range *r = NULL;
	uint64_t al = 0;
	size_t nr = 0;
	uint32_t first;

	tu_seam_answer = ranges_answer;
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, &al), 0);
	ck_assert_int_eq(tu_ncalls, 2);		/* EMSGSIZE, then all of them */
	memcpy(&first, tu_calls[0].arg + offsetof(struct kabi_ioas_iova_ranges,
						  num_iovas), sizeof(first));
	ck_assert_uint_lt(first, 6);
	/* out_iova_alignment is output only: the kernel ignores what is there */
	memset(tu_calls[1].arg + offsetof(struct kabi_ioas_iova_ranges,
					  out_iova_alignment), 0, sizeof(uint64_t));
	EXPECT_IOMMU(1, KABI_IOMMU_IOAS_IOVA_RANGES, kabi_ioas_iova_ranges,
		     .ioas_id = 100, .num_iovas = 6, .allowed_iovas = (uintptr_t)r);
	ck_assert_uint_eq(nr, 6);
	ck_assert_uint_eq(al, 0x1000);
	ck_assert_mem_eq(r, want_ranges, sizeof(want_ranges));
	nestio_iova_ranges_free(r);
	/* a set that keeps growing: the kernel's -EMSGSIZE, after a few tries */
	tu_ncalls = 0;
	tu_seam_answer = growing_answer;
	r = NULL;
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, &al), -EMSGSIZE);
	ck_assert_ptr_null(r);
	ck_assert_int_gt(tu_ncalls, 1);
	/* alignment is optional; an error other than EMSGSIZE comes back */
	tu_seam_answer = fake_kernel;
	fk_fail(KABI_IOMMU_IOAS_IOVA_RANGES, ENOENT, 1);
	r = NULL;
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, NULL), -ENOENT);
	ck_assert_ptr_null(r);
	/* allow_iovas */
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_ioas_allow_iovas(ioas, want_ranges, 6), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_IOAS_ALLOW_IOVAS, kabi_ioas_allow_iovas,
		     .ioas_id = 100, .num_iovas = 6,
		     .allowed_iovas = (uintptr_t)want_ranges);
	ck_assert_int_eq(nestio_ioas_allow_iovas(ioas, NULL, 0), 0);
	EXPECT_IOMMU(1, KABI_IOMMU_IOAS_ALLOW_IOVAS, kabi_ioas_allow_iovas,
		     .ioas_id = 100);
}
END_TEST

/* A kernel that lies: success with a count over the room it was given. */
static uint32_t lie_times, lie_count;

static int lying_answer(int fd, unsigned long request, void *arg)
{
	struct kabi_ioas_iova_ranges *c = arg;	/* only for IOVA_RANGES */
	struct kabi_iova_range *out;
	uint32_t room;

	if (request != KABI_IOMMU_IOAS_IOVA_RANGES)
		return fake_kernel(fd, request, arg);
	if (!lie_times)
		return ranges_answer(fd, request, arg);
	lie_times--;
	out = (void *)(uintptr_t)c->allowed_iovas;
	room = c->num_iovas;
	for (uint32_t i = 0; i < room && i < ARRAY_SIZE(want_ranges); i++)
		out[i] = (struct kabi_iova_range){ want_ranges[i].start,
						   want_ranges[i].last };
	c->num_iovas = lie_count ? lie_count : room + 1;
	c->out_iova_alignment = 0x1000;
	return 0;
}

/*
 * The count the kernel writes back is never believed past the room the
 * library gave it: more than fit means "ask again with more room"; a count
 * no IOAS has is refused before anything is allocated for it.
 */
START_TEST(test_io_iova_ranges_lying_count)
{
	struct nestio_iova_range *r = NULL;
	uint32_t room;
	size_t nr = 0;

	tu_seam_answer = lying_answer;
	/* once: "success, 6" into a smaller buffer; then the honest answer */
	lie_times = 1;
	lie_count = 6;
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, NULL), 0);
	memcpy(&room, tu_calls[0].arg + offsetof(struct kabi_ioas_iova_ranges,
						 num_iovas), sizeof(room));
	ck_assert_uint_lt(room, 6);
	ck_assert_int_eq(tu_ncalls, 2);		/* asked again, with room */
	ck_assert_uint_eq(nr, 6);
	ck_assert_mem_eq(r, want_ranges, sizeof(want_ranges));
	nestio_iova_ranges_free(r);
	/* always one more than fits: it gives up, it reports nothing */
	tu_ncalls = 0;
	lie_times = 1000;
	lie_count = 0;
	r = NULL;
	nr = 77;
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, NULL), -EMSGSIZE);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(nr, 77);
	ck_assert_int_gt(tu_ncalls, 1);
	/* a count no IOAS has: refused, no buffer of 64 GiB asked for */
	tu_ncalls = 0;
	lie_times = 1;
	lie_count = UINT32_MAX;
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, NULL), -EOVERFLOW);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(nr, 77);
	ck_assert_int_eq(tu_ncalls, 1);
	lie_times = 0;
}
END_TEST

START_TEST(test_io_options)
{
	uint64_t v = 0;

	fk_option_val = 1;
	ck_assert_int_eq(nestio_ctx_get_option(ctx, NESTIO_OPTION_RLIMIT_MODE, &v), 0);
	ck_assert_uint_eq(v, 1);
	EXPECT_IOMMU(0, KABI_IOMMU_OPTION, kabi_option,
		     .option_id = KABI_OPTION_RLIMIT_MODE, .op = KABI_OPTION_OP_GET);
	ck_assert_int_eq(nestio_ctx_set_option(ctx, NESTIO_OPTION_RLIMIT_MODE, 1), 0);
	EXPECT_IOMMU(1, KABI_IOMMU_OPTION, kabi_option,
		     .option_id = KABI_OPTION_RLIMIT_MODE, .op = KABI_OPTION_OP_SET,
		     .val64 = 1);
	fk_option_val = 0;
	v = 9;
	ck_assert_int_eq(nestio_ioas_get_option(ioas, NESTIO_OPTION_HUGE_PAGES, &v), 0);
	ck_assert_uint_eq(v, 0);
	EXPECT_IOMMU(2, KABI_IOMMU_OPTION, kabi_option,
		     .option_id = KABI_OPTION_HUGE_PAGES, .op = KABI_OPTION_OP_GET,
		     .object_id = 100);
	ck_assert_int_eq(nestio_ioas_set_option(ioas, NESTIO_OPTION_HUGE_PAGES, 1), 0);
	EXPECT_IOMMU(3, KABI_IOMMU_OPTION, kabi_option,
		     .option_id = KABI_OPTION_HUGE_PAGES, .op = KABI_OPTION_OP_SET,
		     .object_id = 100, .val64 = 1);
	ck_assert_int_eq(nestio_ctx_change_process(ctx), 0);
	EXPECT_IOMMU(4, KABI_IOMMU_IOAS_CHANGE_PROCESS, kabi_ioas_change_process);
}
END_TEST

START_TEST(test_io_hwpt)
{
	static const struct { unsigned int flags; uint32_t fault, kflags; } cases[] = {
		{ 0, 0, 0 },
		{ NESTIO_HWPT_NEST_PARENT, 0, KABI_HWPT_ALLOC_NEST_PARENT },
		{ NESTIO_HWPT_DIRTY_TRACKING, 0, KABI_HWPT_ALLOC_DIRTY_TRACKING },
		{ NESTIO_HWPT_PASID, 0, KABI_HWPT_ALLOC_PASID },
		{ 0, 7, KABI_HWPT_FAULT_ID_VALID },
		{ NESTIO_HWPT_NEST_PARENT | NESTIO_HWPT_DIRTY_TRACKING | NESTIO_HWPT_PASID, 9,
		  KABI_HWPT_ALLOC_NEST_PARENT | KABI_HWPT_ALLOC_DIRTY_TRACKING |
		  KABI_HWPT_ALLOC_PASID | KABI_HWPT_FAULT_ID_VALID },
	};
	struct nestio_hwpt *h = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct nestio_hwpt_paging_opts o = {
			.sz = sizeof(o), .flags = cases[i].flags,
			.fault_id = cases[i].fault,
		};
		uint32_t id = fk_next_id;
		/* a nest parent also reads its IOMMU's errata: GET_HW_INFO */
		int np = !!(cases[i].flags & NESTIO_HWPT_NEST_PARENT);

		tu_ncalls = 0;
		ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), 0);
		EXPECT_IOMMU(0, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc,
			     .flags = cases[i].kflags, .dev_id = 7, .pt_id = 100,
			     .data_type = KABI_HWPT_DATA_NONE,
			     .fault_id = cases[i].fault);
		ck_assert_uint_eq(nestio_hwpt_get_id(h), id);
		ck_assert_uint_eq(nestio_hwpt_get_flags(h), cases[i].flags);
		ck_assert_ptr_eq(nestio_hwpt_get_ctx(h), ctx);
		ck_assert_ptr_eq(nestio_hwpt_get_ioas(h), ioas);
		ck_assert_ptr_eq(nestio_hwpt_ref(h), h);
		ck_assert_ptr_null(nestio_hwpt_unref(h));
		h = nestio_hwpt_unref(h);
		ck_assert_int_eq(tu_ncalls, 2 + np);	/* the ioas lives on */
		EXPECT_IOMMU(1 + np, KABI_IOMMU_DESTROY, kabi_destroy, .id = id);
	}
	tu_ncalls = 0;		/* NULL opts: defaults */
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, NULL, &h), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc, .dev_id = 7,
		     .pt_id = 100);
	h = nestio_hwpt_unref(h);
}
END_TEST

START_TEST(test_io_vfio)
{
	struct nestio_device *d = new_vfio(ctx);		/* dev_id 101 */
	struct nestio_hwpt *h = new_hwpt(d, ioas, NESTIO_HWPT_PASID);	/* 102 */
	int fd = nestio_device_get_fd(d);

	EXPECT_VFIO(0, fd, KABI_VFIO_DEVICE_BIND_IOMMUFD,
		    kabi_vfio_device_bind_iommufd, .iommufd = nestio_ctx_get_fd(ctx));
	EXPECT_IOMMU(1, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc, .dev_id = 101,
		     .pt_id = 100, .flags = KABI_HWPT_ALLOC_PASID);
	ck_assert_uint_eq(nestio_device_get_id(d), 101);
	tu_ncalls = 0;
	/* RID: attach the ioas, replace with the hwpt, detach */
	ck_assert_int_eq(nestio_device_attach_ioas(d, NESTIO_NO_PASID, ioas), 0);
	ck_assert_int_eq(nestio_device_replace_hwpt(d, NESTIO_NO_PASID, h), 0);
	ck_assert_int_eq(nestio_device_detach(d, NESTIO_NO_PASID), 0);
	EXPECT_VFIO(0, fd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		    kabi_vfio_device_attach_iommufd_pt, .pt_id = 100);
	EXPECT_VFIO(1, fd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		    kabi_vfio_device_attach_iommufd_pt, .pt_id = 102);
	EXPECT_VFIO(2, fd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT,
		    kabi_vfio_device_detach_iommufd_pt);
	/* PASID 5: attach the hwpt, replace with the ioas, detach */
	ck_assert_int_eq(nestio_device_attach_hwpt(d, 5, h), 0);
	ck_assert_int_eq(nestio_device_replace_ioas(d, 5, ioas), 0);
	ck_assert_int_eq(nestio_device_detach(d, 5), 0);
	EXPECT_VFIO(3, fd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		    kabi_vfio_device_attach_iommufd_pt,
		    .flags = KABI_VFIO_DEVICE_ATTACH_PASID, .pt_id = 102, .pasid = 5);
	EXPECT_VFIO(4, fd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		    kabi_vfio_device_attach_iommufd_pt,
		    .flags = KABI_VFIO_DEVICE_ATTACH_PASID, .pt_id = 100, .pasid = 5);
	EXPECT_VFIO(5, fd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT,
		    kabi_vfio_device_detach_iommufd_pt,
		    .flags = KABI_VFIO_DEVICE_DETACH_PASID, .pasid = 5);
	ck_assert_int_eq(tu_ncalls, 6);
	h = nestio_hwpt_unref(h);
	d = nestio_device_unref(d);
}
END_TEST

/* the fake kernel, and a "dma-buf" (a /dev/null fd) for VFIO_DEVICE_FEATURE */
static int dmabuf_answer(int fd, unsigned long request, void *arg)
{
	if (request == KABI_VFIO_DEVICE_FEATURE && !fk_fail_left)
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	return fake_kernel(fd, request, arg);
}

START_TEST(test_io_export_dmabuf)
{
	const struct nestio_dmabuf_range r[2] = {
		{ .offset = 0, .length = PAGE },
		{ .offset = 16 * PAGE, .length = 2 * PAGE },
	};
	struct nestio_device *d = new_vfio(ctx);
	int vfd = nestio_device_get_fd(d), n0, got;
	struct {
		struct kabi_vfio_device_feature h;
		struct kabi_vfio_device_feature_dma_buf db;
		struct kabi_vfio_region_dma_range r[2];
	} want;
	const char *m;

	tu_seam_answer = dmabuf_answer;
	for (int nr = 1; nr <= 2; nr++) {
		size_t len = sizeof(want.h) + sizeof(want.db) + nr * sizeof(want.r[0]);

		memset(&want, 0, sizeof(want));
		want.h.argsz = (uint32_t)len;
		want.h.flags = KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_DMA_BUF;
		want.db.region_index = 2;
		want.db.open_flags = O_RDWR | O_CLOEXEC;
		want.db.nr_ranges = (uint32_t)nr;
		for (int i = 0; i < nr; i++) {
			want.r[i].offset = r[i].offset;
			want.r[i].length = r[i].length;
		}
		tu_ncalls = 0;
		n0 = tu_count_open_fds();
		got = nestio_device_export_dmabuf(d, 2, r, (size_t)nr, 0);
		ck_assert_int_ge(got, 0);
		ck_assert_int_eq(tu_ncalls, 1);
		m = payload_diff(0, vfd, KABI_VFIO_DEVICE_FEATURE, &want, len,
				 "vfio_device_feature_dma_buf");
		ck_assert_msg(!m, "%s", m);
		/* the caller owns the fd the kernel returned */
		ck_assert_int_eq(tu_count_open_fds(), n0 + 1);
		close(got);
	}
	/* a kernel without the feature: its errno, nothing left open */
	n0 = tu_count_open_fds();
	fk_fail(KABI_VFIO_DEVICE_FEATURE, ENOTTY, 1);
	ck_assert_int_eq(nestio_device_export_dmabuf(d, 0, r, 1, 0), -ENOTTY);
	ck_assert_int_eq(tu_count_open_fds(), n0);
	d = nestio_device_unref(d);
}
END_TEST

START_TEST(test_io_ops_device)
{
	struct nestio_hwpt *h = new_hwpt(dev, ioas, 0);

	ck_assert_int_eq(nestio_device_attach_hwpt(dev, 3, h), 0);
	ck_assert_int_eq(rec.attach, 1);
	ck_assert_ptr_eq(rec.dev, dev);
	ck_assert_uint_eq(rec.pasid, 3);
	ck_assert_uint_eq(rec.pt_id, nestio_hwpt_get_id(h));
	ck_assert_int_eq(nestio_device_replace_ioas(dev, 3, ioas), 0);
	ck_assert_int_eq(rec.replace, 1);
	ck_assert_uint_eq(rec.pt_id, 100);
	ck_assert_int_eq(nestio_device_detach(dev, 3), 0);
	ck_assert_int_eq(rec.detach, 1);
	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	ck_assert_uint_eq(rec.pasid, NESTIO_NO_PASID);
	ck_assert_int_eq(tu_ncalls, 1);		/* only the hwpt alloc */
	h = nestio_hwpt_unref(h);
}
END_TEST

START_TEST(test_io_hw_info)
{
	const struct kabi_hw_info_vtd vtd = {
		.cap_reg = 0x0012008c222f0686ull,
		.ecap_reg = 0x480080f00f4aull | (1ull << 26),
	};
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	uint8_t buf[64] = { 0 };
	size_t len = sizeof(buf);
	uint32_t type = 0;

	fk_hw.type = KABI_HW_INFO_TYPE_INTEL_VTD;
	fk_hw.len = sizeof(vtd);
	memcpy(fk_hw.data, &vtd, sizeof(vtd));
	fk_hw.caps = KABI_HW_CAP_DIRTY_TRACKING;
	fk_hw.pasid_log2 = 20;
	ck_assert_int_eq(nestio_device_get_hw_info(dev, &type, buf, &len), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_GET_HW_INFO, kabi_hw_info, .dev_id = 7,
		     .data_len = sizeof(buf), .data_uptr = (uintptr_t)buf);
	ck_assert_uint_eq(type, KABI_HW_INFO_TYPE_INTEL_VTD);
	ck_assert_uint_eq(len, sizeof(vtd));
	ck_assert_mem_eq(buf, &vtd, sizeof(vtd));
	len = 0;		/* a size query: no buffer */
	ck_assert_int_eq(nestio_device_get_hw_info(dev, &type, NULL, &len), 0);
	EXPECT_IOMMU(1, KABI_IOMMU_GET_HW_INFO, kabi_hw_info, .dev_id = 7);
	ck_assert_uint_eq(len, sizeof(vtd));
	ck_assert_int_eq(nestio_device_get_hw_caps(dev, &caps), 0);
	ck_assert_uint_eq(tu_calls[2].request, KABI_IOMMU_GET_HW_INFO);
	ck_assert_uint_eq(caps.type, NESTIO_IOMMU_INTEL_VTD);
	ck_assert_uint_eq(caps.caps, NESTIO_CAP_NESTING | NESTIO_CAP_DIRTY_TRACKING |
				     NESTIO_CAP_PASID);
	ck_assert_uint_eq(caps.stage1_formats, NESTIO_STAGE1_VTD);
	ck_assert_uint_eq(caps.max_pasid_log2, 20);
	ck_assert_uint_eq(caps.stage2_ia_bits, 48);
	fk_fail(KABI_IOMMU_GET_HW_INFO, ENODEV, 1);
	ck_assert_int_eq(nestio_device_get_hw_caps(dev, &caps), -ENODEV);
}
END_TEST

/* GET_HW_INFO for one type: the flag and the type in, exactly; the default
 * type sends no flag, as nestio_device_get_hw_info_ext() does */
START_TEST(test_io_hw_info_of_type)
{
	const uint8_t cmdqv[8] = { 0, 0, 0, 0, 0x01, 0x01, 0x04, 0 };
	struct nestio_tegra241_cmdqv_info info;
	uint8_t buf[64] = { 0 };
	size_t len = sizeof(buf);
	uint64_t kcaps = 0;
	uint8_t pasid = 0;
	uint32_t type = 0;

	fk_hw.type = KABI_HW_INFO_TYPE_TEGRA241_CMDQV;
	fk_hw.len = sizeof(cmdqv);
	memcpy(fk_hw.data, cmdqv, sizeof(cmdqv));
	fk_hw.caps = KABI_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	fk_hw.pasid_log2 = 0;
	ck_assert_int_eq(nestio_device_get_hw_info_of_type(dev, NESTIO_HW_INFO_TEGRA241_CMDQV,
							   &type, buf, &len, &kcaps,
							   &pasid), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_GET_HW_INFO, kabi_hw_info,
		     .flags = KABI_HW_INFO_FLAG_INPUT_TYPE, .dev_id = 7,
		     .data_len = sizeof(buf), .data_uptr = (uintptr_t)buf,
		     .data_type = KABI_HW_INFO_TYPE_TEGRA241_CMDQV);
	ck_assert_uint_eq(type, KABI_HW_INFO_TYPE_TEGRA241_CMDQV);
	ck_assert_uint_eq(len, sizeof(cmdqv));
	ck_assert_mem_eq(buf, cmdqv, sizeof(cmdqv));
	ck_assert_uint_eq(kcaps, KABI_HW_CAP_PCI_ATS_NOT_SUPPORTED);
	/* a type the library has no name for is passed through */
	len = 0;
	ck_assert_int_eq(nestio_device_get_hw_info_of_type(dev, 0xfeedbeef, &type, NULL,
							   &len, NULL, NULL), 0);
	EXPECT_IOMMU(1, KABI_IOMMU_GET_HW_INFO, kabi_hw_info,
		     .flags = KABI_HW_INFO_FLAG_INPUT_TYPE, .dev_id = 7,
		     .data_type = 0xfeedbeef);
	/* the default type: no flag, no type, the same bytes as _ext */
	len = sizeof(buf);
	ck_assert_int_eq(nestio_device_get_hw_info_of_type(dev, NESTIO_HW_INFO_DEFAULT,
							   &type, buf, &len, NULL, NULL), 0);
	EXPECT_IOMMU(2, KABI_IOMMU_GET_HW_INFO, kabi_hw_info, .dev_id = 7,
		     .data_len = sizeof(buf), .data_uptr = (uintptr_t)buf);
	len = sizeof(buf);
	ck_assert_int_eq(nestio_device_get_hw_info_ext(dev, &type, buf, &len, NULL, NULL), 0);
	EXPECT_IOMMU(3, KABI_IOMMU_GET_HW_INFO, kabi_hw_info, .dev_id = 7,
		     .data_len = sizeof(buf), .data_uptr = (uintptr_t)buf);

	/* the CMDQV block, asked for and decoded */
	ck_assert_int_eq(nestio_device_get_tegra241_cmdqv_info(dev, &info), 0);
	ck_assert_uint_eq(tu_calls[4].request, KABI_IOMMU_GET_HW_INFO);
	ck_assert_uint_eq(((struct kabi_hw_info *)tu_calls[4].arg)->flags,
			  KABI_HW_INFO_FLAG_INPUT_TYPE);
	ck_assert_uint_eq(((struct kabi_hw_info *)tu_calls[4].arg)->data_type,
			  KABI_HW_INFO_TYPE_TEGRA241_CMDQV);
	ck_assert_uint_eq(info.version, 1);
	ck_assert_uint_eq(info.log2vcmdqs, 1);
	ck_assert_uint_eq(info.log2vsids, 4);
	/* an older kernel (the flag refused) or no CMDQV: EOPNOTSUPP, as it
	 * came; *out and the results untouched */
	memset(&info, 0xa5, sizeof(info));
	type = 77;
	len = sizeof(buf);
	fk_fail(KABI_IOMMU_GET_HW_INFO, EOPNOTSUPP, 2);
	ck_assert_int_eq(nestio_device_get_tegra241_cmdqv_info(dev, &info), -EOPNOTSUPP);
	ck_assert_int_eq(nestio_device_get_hw_info_of_type(dev, NESTIO_HW_INFO_TEGRA241_CMDQV,
							   &type, buf, &len, NULL, NULL),
			 -EOPNOTSUPP);
	ck_assert_uint_eq(info.version, 0xa5);
	ck_assert_uint_eq(type, 77);
	ck_assert_uint_eq(len, sizeof(buf));
	/* a kernel answering another type than asked: not decoded as CMDQV */
	fk_hw.type = KABI_HW_INFO_TYPE_ARM_SMMUV3;
	ck_assert_int_eq(nestio_device_get_tegra241_cmdqv_info(dev, &info), -EPROTO);
	ck_assert_uint_eq(info.version, 0xa5);
	/* a block too short for the layout */
	fk_hw.type = KABI_HW_INFO_TYPE_TEGRA241_CMDQV;
	fk_hw.len = 4;
	ck_assert_int_eq(nestio_device_get_tegra241_cmdqv_info(dev, &info), -EINVAL);
	ck_assert_uint_eq(info.version, 0xa5);
	memset(&fk_hw, 0, sizeof(fk_hw));	/* for a run without fork */
}
END_TEST

/* known commands answer EINVAL (size 0 is too short), unknown ENOTTY */
static int probe_answer(int fd, unsigned long request, void *arg)
{
	unsigned int nr = _IOC_NR(request);
	uint32_t size;

	(void)fd;
	memcpy(&size, arg, sizeof(size));
	if (size != 0 || _IOC_TYPE(request) != ';' || _IOC_SIZE(request) ||
	    _IOC_DIR(request) != _IOC_NONE)
		errno = EFAULT;		/* not a harmless probe */
	else if (nr == KABI_IOMMUFD_CMD_VIOMMU_ALLOC ||
		 nr == KABI_IOMMUFD_CMD_VDEVICE_ALLOC ||
		 nr == KABI_IOMMUFD_CMD_VEVENTQ_ALLOC ||
		 nr == KABI_IOMMUFD_CMD_HW_QUEUE_ALLOC)
		errno = ENOTTY;
	else if (nr == KABI_IOMMUFD_CMD_IOAS_CHANGE_PROCESS)
		errno = EOPNOTSUPP;
	else
		errno = EINVAL;
	return -1;
}

START_TEST(test_io_feature_probe)
{
	static const unsigned int missing =
		1u << NESTIO_FEATURE_VIOMMU | 1u << NESTIO_FEATURE_VDEVICE |
		1u << NESTIO_FEATURE_VEVENTQ | 1u << NESTIO_FEATURE_HW_QUEUE |
		1u << NESTIO_FEATURE_IOAS_CHANGE_PROCESS;
	uint32_t seen = 0;

	tu_seam_answer = probe_answer;
	for (int f = 0; f < NESTIO_FEATURE_MAX; f++) {
		int r = nestio_ctx_has_feature(ctx, (enum nestio_feature)f);

		ck_assert_msg(r == !(missing & (1u << f)), "%s: %d",
			      nestio_feature_name((enum nestio_feature)f), r);
		ck_assert_int_eq(tu_ncalls, NESTIO_FEATURE_MAX); /* probed once */
	}
	for (int i = 0; i < tu_ncalls; i++) {
		unsigned int nr = _IOC_NR(tu_calls[i].request);

		ck_assert_int_eq(tu_calls[i].fd, nestio_ctx_get_fd(ctx));
		ck_assert_uint_eq(tu_calls[i].request, KABI_IOMMUFD_IO(nr));
		ck_assert_uint_gt(nr, KABI_IOMMUFD_CMD_DESTROY);
		ck_assert_uint_le(nr, KABI_IOMMUFD_CMD_LAST);
		ck_assert_msg(!(seen & (1u << (nr - 0x80))), "probed %#x twice", nr);
		seen |= 1u << (nr - 0x80);
	}
	ck_assert(seen & (1u << (KABI_IOMMUFD_CMD_IOAS_ALLOC - 0x80)));
	ck_assert(seen & (1u << (KABI_IOMMUFD_CMD_VIOMMU_ALLOC - 0x80)));
	/* an unexpected answer is an error, and nothing is cached */
	nestio_ctx_unref(ctx);
	ctx = new_ctx();
	tu_ncalls = 0;
	tu_seam_answer = fake_kernel;
	fk_fail(0, EIO, 1);
	ck_assert_int_eq(nestio_ctx_has_feature(ctx, NESTIO_FEATURE_IOAS), -EIO);
	ck_assert_int_eq(tu_ncalls, 1);
	tu_seam_answer = probe_answer;
	ck_assert_int_eq(nestio_ctx_has_feature(ctx, NESTIO_FEATURE_HW_QUEUE), 0);
	ck_assert_int_eq(tu_ncalls, 1 + NESTIO_FEATURE_MAX);
}
END_TEST


/* the shared abort and bypass hwpts: a nested HWPT_ALLOC on the vIOMMU */
START_TEST(test_io_viommu_shared)
{
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_viommu *v = NULL;
	struct nestio_hwpt *ab = NULL, *bp = NULL;
	const struct kabi_hwpt_alloc *c;
	uint32_t vid;

	ck_assert_int_eq(nestio_viommu_new(dev, parent, NESTIO_VIOMMU_ARM_SMMUV3,
					   NULL, &v), 0);
	vid = nestio_viommu_get_id(v);
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_viommu_hwpt_for_gbpa(v, dev, NESTIO_SMMUV3_GBPA_ABORT,
						     &ab), 0);
	ck_assert_int_eq(nestio_viommu_hwpt_for_ste(v, dev, (uint64_t[2]){ 0x9, 0 },
						    &bp), 0);
	ck_assert_int_eq(tu_ncalls, 2);
	for (int i = 0; i < 2; i++) {
		c = (const struct kabi_hwpt_alloc *)tu_calls[i].arg;
		EXPECT_IOMMU(i, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc, .dev_id = 7,
			     .pt_id = vid, .data_type = KABI_HWPT_DATA_ARM_SMMUV3,
			     .data_len = 16, .data_uptr = c->data_uptr);
	}
	nestio_hwpt_unref(ab);
	nestio_hwpt_unref(bp);
	EXPECT_IOMMU(2, KABI_IOMMU_DESTROY, kabi_destroy, .id = vid + 1);
	EXPECT_IOMMU(3, KABI_IOMMU_DESTROY, kabi_destroy, .id = vid + 2);
	nestio_viommu_unref(v);
	nestio_hwpt_unref(parent);
}
END_TEST

/* ---- adopting by id: the checks the kernel is asked, exactly ---- */

static unsigned long adopt_req[4];	/* these requests fail ... */
static int adopt_err[4];		/* ... with these errnos */

static int adopt_answer(int fd, unsigned long request, void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(adopt_req); i++)
		if (adopt_req[i] == request) {
			errno = adopt_err[i];
			return -1;
		}
	return fake_kernel(fd, request, arg);
}

static void adopt_script(unsigned long r0, int e0, unsigned long r1, int e1,
			 unsigned long r2, int e2)
{
	adopt_req[0] = r0, adopt_err[0] = e0;
	adopt_req[1] = r1, adopt_err[1] = e1;
	adopt_req[2] = r2, adopt_err[2] = e2;
	tu_seam_answer = adopt_answer;
	tu_ncalls = 0;
}

START_TEST(test_io_adopt)
{
	struct nestio_hwpt_adopt_opts o = { .sz = sizeof(o), .ioas = ioas,
					    .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_ioas *i = NULL, *ik = NULL;
	struct nestio_hwpt *p = NULL, *n = NULL, *h = NULL;
	struct nestio_viommu *v = NULL, *v2 = NULL;

	/* IOAS: IOVA_RANGES with room for none (the kernel: 0 or EMSGSIZE) */
	adopt_script(KABI_IOMMU_IOAS_IOVA_RANGES, EMSGSIZE, 0, 0, 0, 0);
	ck_assert_int_eq(nestio_ioas_new_from_id(ctx, 55, 0, &i), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_IOAS_IOVA_RANGES, kabi_ioas_iova_ranges, .ioas_id = 55);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_uint_eq(nestio_ioas_get_id(i), 55);
	adopt_script(KABI_IOMMU_IOAS_IOVA_RANGES, ENOENT, 0, 0, 0, 0);
	ck_assert_int_eq(nestio_ioas_new_from_id(ctx, 56, 0, &ik), -ENOENT);
	ck_assert_ptr_null(ik);
	adopt_script(0, 0, 0, 0, 0, 0);
	ck_assert_int_eq(nestio_ioas_new_from_id(ctx, 56, NESTIO_ADOPT_KEEP, &ik), 0);

	/* paging: GET_DIRTY_BITMAP with page_size 0 (the kernel: EINVAL) */
	adopt_script(KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, EINVAL, 0, 0, 0, 0);
	o.ioas = i;
	ck_assert_int_eq(nestio_hwpt_new_from_id(ctx, 60, &o, &p), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, kabi_hwpt_get_dirty_bitmap,
		     .hwpt_id = 60);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_uint_eq(nestio_hwpt_get_flags(p), NESTIO_HWPT_NEST_PARENT);
	ck_assert_ptr_eq(nestio_hwpt_get_ioas(p), i);
	ck_assert_int_eq(nestio_hwpt_is_nested(p), 0);
	adopt_script(KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, ENOENT, 0, 0, 0, 0);
	ck_assert_int_eq(nestio_hwpt_new_from_id(ctx, 61, &o, &h), -ENOENT);

	/* vIOMMU: HW_QUEUE_ALLOC of a type no driver takes (EOPNOTSUPP) */
	adopt_script(KABI_IOMMU_HW_QUEUE_ALLOC, EOPNOTSUPP, 0, 0, 0, 0);
	ck_assert_int_eq(nestio_viommu_new_from_id(p, 70, 0x33, 0, &v), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_HW_QUEUE_ALLOC, kabi_hw_queue_alloc,
		     .viommu_id = 70, .type = UINT32_MAX, .length = PAGE);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_uint_eq(nestio_viommu_get_type(v), 0x33);
	ck_assert_ptr_eq(nestio_viommu_get_parent(v), p);
	adopt_script(KABI_IOMMU_HW_QUEUE_ALLOC, ENOENT, 0, 0, 0, 0);
	ck_assert_int_eq(nestio_viommu_new_from_id(p, 71, 0, 0, &v2), -ENOENT);
	/* no HW queues: no paging hwpt, no IOAS, some object */
	adopt_script(KABI_IOMMU_HW_QUEUE_ALLOC, ENOTTY,
		     KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, ENOENT,
		     KABI_IOMMU_IOAS_IOVA_RANGES, ENOENT);
	adopt_req[3] = KABI_IOMMU_HWPT_INVALIDATE, adopt_err[3] = EINVAL;
	ck_assert_int_eq(nestio_viommu_new_from_id(p, 72, 0, NESTIO_ADOPT_KEEP, &v2), 0);
	EXPECT_IOMMU(1, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, kabi_hwpt_get_dirty_bitmap,
		     .hwpt_id = 72);
	EXPECT_IOMMU(2, KABI_IOMMU_IOAS_IOVA_RANGES, kabi_ioas_iova_ranges, .ioas_id = 72);
	EXPECT_IOMMU(3, KABI_IOMMU_HWPT_INVALIDATE, kabi_hwpt_invalidate, .hwpt_id = 72);
	ck_assert_int_eq(tu_ncalls, 4);
	adopt_req[3] = 0;
	v2 = nestio_viommu_unref(v2);

	/* nested: no paging hwpt, no vIOMMU, an empty batch of its type */
	o.ioas = NULL;
	o.flags = NESTIO_HWPT_PASID;
	o.viommu = v;
	o.inv_data_type = 0xdeadbeef;
	adopt_script(KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, ENOENT,
		     KABI_IOMMU_HW_QUEUE_ALLOC, ENOENT, 0, 0);
	ck_assert_int_eq(nestio_hwpt_new_from_id(ctx, 80, &o, &n), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, kabi_hwpt_get_dirty_bitmap,
		     .hwpt_id = 80);
	EXPECT_IOMMU(1, KABI_IOMMU_HW_QUEUE_ALLOC, kabi_hw_queue_alloc,
		     .viommu_id = 80, .type = UINT32_MAX, .length = PAGE);
	EXPECT_IOMMU(2, KABI_IOMMU_HWPT_INVALIDATE, kabi_hwpt_invalidate,
		     .hwpt_id = 80, .data_type = 0xdeadbeef);
	ck_assert_int_eq(tu_ncalls, 3);
	ck_assert_int_eq(nestio_hwpt_is_nested(n), 1);
	ck_assert_ptr_eq(nestio_hwpt_get_viommu(n), v);
	ck_assert_ptr_eq(nestio_hwpt_get_ioas(n), i);
	/* a paging hwpt, a vIOMMU, a driver that refuses the type: ENOENT */
	adopt_script(KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, EINVAL, 0, 0, 0, 0);
	ck_assert_int_eq(nestio_hwpt_new_from_id(ctx, 81, &o, &h), -ENOENT);
	ck_assert_int_eq(tu_ncalls, 1);
	adopt_script(KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, ENOENT,
		     KABI_IOMMU_HW_QUEUE_ALLOC, EOPNOTSUPP, 0, 0);
	ck_assert_int_eq(nestio_hwpt_new_from_id(ctx, 81, &o, &h), -ENOENT);
	ck_assert_int_eq(tu_ncalls, 2);
	adopt_script(KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, ENOENT,
		     KABI_IOMMU_HW_QUEUE_ALLOC, ENOENT,
		     KABI_IOMMU_HWPT_INVALIDATE, EINVAL);
	ck_assert_int_eq(nestio_hwpt_new_from_id(ctx, 81, &o, &h), -ENOENT);
	ck_assert_ptr_null(h);
	/* a driver without user invalidation on the hwpt (SMMUv3) */
	adopt_script(KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, ENOENT,
		     KABI_IOMMU_HW_QUEUE_ALLOC, ENOENT,
		     KABI_IOMMU_HWPT_INVALIDATE, EOPNOTSUPP);
	ck_assert_int_eq(nestio_hwpt_new_from_id(ctx, 81, &o, &h), 0);

	/* registered: the lookups find them */
	adopt_script(0, 0, 0, 0, 0, 0);
	{
		struct nestio_hwpt *lh = NULL;
		struct nestio_viommu *lv = NULL;
		struct nestio_ioas *li = NULL;

		ck_assert_int_eq(nestio_ctx_lookup_hwpt(ctx, 80, &lh), 0);
		ck_assert_int_eq(nestio_ctx_lookup_viommu(ctx, 70, &lv), 0);
		ck_assert_int_eq(nestio_ctx_lookup_ioas(ctx, 55, &li), 0);
		ck_assert(lh == n && lv == v && li == i);
		nestio_hwpt_unref(lh);
		nestio_viommu_unref(lv);
		nestio_ioas_unref(li);
	}
	ck_assert_int_eq(tu_ncalls, 0);
	/* the last unref destroys what was adopted, in pin order; KEEP not */
	fk_nev = 0;
	nestio_hwpt_unref(h);
	nestio_ioas_unref(i);
	nestio_hwpt_unref(p);
	nestio_viommu_unref(v);
	ck_assert_int_eq(fk_nev, 1);	/* 81; n pins v, p, i */
	nestio_hwpt_unref(n);
	ck_assert_int_eq(fk_nev, 5);
	ck_assert_uint_eq(fk_ev[0].id, 81);
	ck_assert_uint_eq(fk_ev[1].id, 80);
	ck_assert_uint_eq(fk_ev[2].id, 70);
	ck_assert_uint_eq(fk_ev[3].id, 60);
	ck_assert_uint_eq(fk_ev[4].id, 55);
	nestio_ioas_unref(ik);
	ck_assert_int_eq(fk_nev, 5);
	ck_assert_int_eq(find_ev('D', 56), -1);
	ck_assert_int_eq(find_ev('D', 72), -1);
}
END_TEST

/* ------------------------------ issue 16.5: unmap flags, VFIO compat, token */

START_TEST(test_io_unmap_ext)
{
	uint64_t n = 77;

	ck_assert_int_eq(nestio_ioas_unmap_ext(ioas, 0x10000000, 8 * PAGE, 0, &n), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_IOAS_UNMAP, kabi_ioas_unmap, .ioas_id = 100,
		     .iova = 0x10000000, .length = 8 * PAGE);
	ck_assert_uint_eq(n, FK_UNMAPPED);
	ck_assert_int_eq(nestio_ioas_unmap_ext(ioas, 0x10000000, 8 * PAGE,
					       NESTIO_UNMAP_ABSENT_OK, &n), 0);
	EXPECT_IOMMU(1, KABI_IOMMU_IOAS_UNMAP, kabi_ioas_unmap, .ioas_id = 100,
		     .iova = 0x10000000, .length = 8 * PAGE);
	ck_assert_uint_eq(n, FK_UNMAPPED);
	/* ENOENT: an error without the flag, 0 bytes with it */
	n = 77;
	fk_fail(KABI_IOMMU_IOAS_UNMAP, ENOENT, 1);
	ck_assert_int_eq(nestio_ioas_unmap_ext(ioas, PAGE, PAGE, 0, &n), -ENOENT);
	ck_assert_uint_eq(n, 77);
	fk_fail(KABI_IOMMU_IOAS_UNMAP, ENOENT, 1);
	ck_assert_int_eq(nestio_ioas_unmap_ext(ioas, PAGE, PAGE,
					       NESTIO_UNMAP_ABSENT_OK, &n), 0);
	ck_assert_uint_eq(n, 0);
	EXPECT_IOMMU(3, KABI_IOMMU_IOAS_UNMAP, kabi_ioas_unmap, .ioas_id = 100,
		     .iova = PAGE, .length = PAGE);
	fk_fail(KABI_IOMMU_IOAS_UNMAP, ENOENT, 1);
	ck_assert_int_eq(nestio_ioas_unmap_ext(ioas, PAGE, PAGE,
					       NESTIO_UNMAP_ABSENT_OK, NULL), 0);
	/* every other error stays one */
	n = 77;
	fk_fail(KABI_IOMMU_IOAS_UNMAP, EBUSY, 1);
	ck_assert_int_eq(nestio_ioas_unmap_ext(ioas, PAGE, PAGE,
					       NESTIO_UNMAP_ABSENT_OK, &n), -EBUSY);
	ck_assert_uint_eq(n, 77);
	ck_assert_int_eq(tu_ncalls, 6);
}
END_TEST

/* the kernel's IOMMU_VFIO_IOAS: one compat IOAS per ctx, none at first */
static uint32_t compat_id;

static int vfio_ioas_answer(int fd, unsigned long request, void *arg)
{
	struct kabi_vfio_ioas *c = arg;

	if (request != KABI_IOMMU_VFIO_IOAS)
		return fake_kernel(fd, request, arg);
	if (c->op == KABI_VFIO_IOAS_SET)
		compat_id = c->ioas_id;
	else if (c->op == KABI_VFIO_IOAS_CLEAR)
		compat_id = 0;
	else if (compat_id)
		c->ioas_id = compat_id;
	else {
		errno = ENODEV;
		return -1;
	}
	return 0;
}

START_TEST(test_io_vfio_compat)
{
	uint32_t id = 77;

	compat_id = 0;
	tu_seam_answer = vfio_ioas_answer;
	ck_assert_int_eq(nestio_ctx_get_vfio_compat_ioas(ctx, &id), -ENODEV);
	ck_assert_uint_eq(id, 77);
	EXPECT_IOMMU(0, KABI_IOMMU_VFIO_IOAS, kabi_vfio_ioas, .op = KABI_VFIO_IOAS_GET);
	ck_assert_int_eq(nestio_ioas_set_vfio_compat(ioas), 0);
	EXPECT_IOMMU(1, KABI_IOMMU_VFIO_IOAS, kabi_vfio_ioas, .ioas_id = 100,
		     .op = KABI_VFIO_IOAS_SET);
	ck_assert_int_eq(nestio_ctx_get_vfio_compat_ioas(ctx, &id), 0);
	ck_assert_uint_eq(id, 100);
	ck_assert_int_eq(nestio_ctx_clear_vfio_compat(ctx), 0);
	EXPECT_IOMMU(3, KABI_IOMMU_VFIO_IOAS, kabi_vfio_ioas, .op = KABI_VFIO_IOAS_CLEAR);
	ck_assert_int_eq(nestio_ctx_get_vfio_compat_ioas(ctx, &id), -ENODEV);
	ck_assert_int_eq(tu_ncalls, 5);
}
END_TEST

/* VFIO_DEVICE_BIND_IOMMUFD with a token: how kernels answer (bind_kernel) */
enum { BIND_NEW_NOT_VF, BIND_OLD, BIND_NO_TOKEN_OP, BIND_WRONG_TOKEN };
static int bind_kernel;

static int bind_answer(int fd, unsigned long request, void *arg)
{
	struct kabi_vfio_device_bind_iommufd *c = arg;

	if (request != KABI_VFIO_DEVICE_BIND_IOMMUFD || !c->flags)
		return fake_kernel(fd, request, arg);
	if (bind_kernel == BIND_OLD || bind_kernel == BIND_NO_TOKEN_OP)
		errno = EINVAL;		/* the flag, or a token, is not known */
	else if (!c->token_uuid_ptr)
		errno = EFAULT;		/* the driver reads the token */
	else
		errno = bind_kernel == BIND_WRONG_TOKEN ? EACCES : EINVAL;
	return -1;
}

START_TEST(test_io_bind_token)
{
	static const uint8_t tok[16] = { 0xbd, 0x8d, 0x9d, 0x2b, 0x5a, 0x5f, 0x4f, 0x5a,
					 0xa2, 0x11, 0xf5, 0x91, 0x51, 0x4b, 0xa1, 0xf3 };
	struct nestio_device_bind_opts o = { .sz = sizeof(o), .vf_token = tok };
	static const struct { int kernel, want, calls; } cases[] = {
		{ BIND_NEW_NOT_VF, -EINVAL, 2 },	/* the driver refused it */
		{ BIND_OLD, -EOPNOTSUPP, 2 },		/* before 6.17 */
		{ BIND_NO_TOKEN_OP, -EOPNOTSUPP, 2 },	/* a driver without tokens */
		{ BIND_WRONG_TOKEN, -EACCES, 1 },
	};
	struct nestio_device *d = NULL;
	int fd = open_null();

	/* accepted: the flag and the pointer, nothing else */
	ck_assert_int_eq(nestio_device_new_from_fd_ext(ctx, fd, &o, &d), 0);
	EXPECT_VFIO(0, nestio_device_get_fd(d), KABI_VFIO_DEVICE_BIND_IOMMUFD,
		    kabi_vfio_device_bind_iommufd,
		    .flags = KABI_VFIO_DEVICE_BIND_FLAG_TOKEN,
		    .iommufd = nestio_ctx_get_fd(ctx), .token_uuid_ptr = (uintptr_t)tok);
	d = nestio_device_unref(d);
	/* no opts, or no token: the plain bind */
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_device_new_from_fd_ext(ctx, fd, NULL, &d), 0);
	EXPECT_VFIO(0, nestio_device_get_fd(d), KABI_VFIO_DEVICE_BIND_IOMMUFD,
		    kabi_vfio_device_bind_iommufd, .iommufd = nestio_ctx_get_fd(ctx));
	d = nestio_device_unref(d);
	o.vf_token = NULL;
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_device_new_from_fd_ext(ctx, fd, &o, &d), 0);
	EXPECT_VFIO(0, nestio_device_get_fd(d), KABI_VFIO_DEVICE_BIND_IOMMUFD,
		    kabi_vfio_device_bind_iommufd, .iommufd = nestio_ctx_get_fd(ctx));
	d = nestio_device_unref(d);
	/* refusals: an EINVAL is asked again with a NULL token pointer */
	o.vf_token = tok;
	tu_seam_answer = bind_answer;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bind_kernel = cases[i].kernel;
		tu_ncalls = 0;
		d = NULL;
		ck_assert_int_eq(nestio_device_new_from_fd_ext(ctx, fd, &o, &d),
				 cases[i].want);
		ck_assert_ptr_null(d);
		ck_assert_int_eq(tu_ncalls, cases[i].calls);
		EXPECT_VFIO(0, tu_calls[0].fd, KABI_VFIO_DEVICE_BIND_IOMMUFD,
			    kabi_vfio_device_bind_iommufd,
			    .flags = KABI_VFIO_DEVICE_BIND_FLAG_TOKEN,
			    .iommufd = nestio_ctx_get_fd(ctx),
			    .token_uuid_ptr = (uintptr_t)tok);
		if (cases[i].calls == 2)
			EXPECT_VFIO(1, tu_calls[0].fd, KABI_VFIO_DEVICE_BIND_IOMMUFD,
				    kabi_vfio_device_bind_iommufd,
				    .flags = KABI_VFIO_DEVICE_BIND_FLAG_TOKEN,
				    .iommufd = nestio_ctx_get_fd(ctx));
		ck_assert(!fd_open(tu_calls[0].fd));	/* the dup is closed */
	}
	close(fd);
}
END_TEST

/* the type probe: hwpt data type 1 and odd vIOMMU types taken, nothing else */
static int probe_fail_errno;

static int supports_answer(int fd, unsigned long request, void *arg)
{
	int r = fake_kernel(fd, request, arg);

	if (request == KABI_IOMMU_HWPT_ALLOC &&
	    ((struct kabi_hwpt_alloc *)arg)->data_type) {
		errno = probe_fail_errno ? probe_fail_errno :
			((struct kabi_hwpt_alloc *)arg)->data_type == 1 ? EINVAL
									  : EOPNOTSUPP;
		return -1;
	}
	if (request == KABI_IOMMU_VIOMMU_ALLOC) {
		errno = ((struct kabi_viommu_alloc *)arg)->type % 2 ? ENOENT : EOPNOTSUPP;
		return -1;
	}
	return r;
}

START_TEST(test_io_device_supports)
{
	uint32_t ioas_id, parent;

	tu_seam_answer = supports_answer;
	ioas_id = fk_next_id;
	parent = ioas_id + 1;
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA, 1), 1);
	ck_assert_int_eq(tu_ncalls, 5);
	EXPECT_IOMMU(0, KABI_IOMMU_IOAS_ALLOC, kabi_ioas_alloc);
	EXPECT_IOMMU(1, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc,
		     .flags = KABI_HWPT_ALLOC_NEST_PARENT, .dev_id = 7, .pt_id = ioas_id);
	/* one byte of data: a taken type fails reading it (EINVAL) */
	ck_assert_uint_eq(tu_calls[2].request, KABI_IOMMU_HWPT_ALLOC);
	{
		struct kabi_hwpt_alloc c;

		memcpy(&c, tu_calls[2].arg, sizeof(c));
		ck_assert_ptr_nonnull((void *)(uintptr_t)c.data_uptr);
		EXPECT_IOMMU(2, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc, .dev_id = 7,
			     .pt_id = parent, .data_type = 1, .data_len = 1,
			     .data_uptr = c.data_uptr);
	}
	EXPECT_IOMMU(3, KABI_IOMMU_DESTROY, kabi_destroy, .id = parent);
	EXPECT_IOMMU(4, KABI_IOMMU_DESTROY, kabi_destroy, .id = ioas_id);
	/* cached: no ioctl */
	EXPECT_NOIO(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA, 1), 1);
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA, 2), 0);
	ck_assert_int_eq(tu_ncalls, 5);
	EXPECT_NOIO(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA, 2), 0);
	/* vIOMMU: hwpt 0; ENOENT is a yes once the device answers GET_HW_INFO */
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU, 1), 1);
	EXPECT_IOMMU(0, KABI_IOMMU_VIOMMU_ALLOC, kabi_viommu_alloc, .type = 1,
		     .dev_id = 7);
	EXPECT_IOMMU(1, KABI_IOMMU_GET_HW_INFO, kabi_hw_info, .dev_id = 7);
	ck_assert_int_eq(tu_ncalls, 2);
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU, 2), 0);
	ck_assert_int_eq(tu_ncalls, 1);
	EXPECT_NOIO(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU, 2), 0);
	EXPECT_NOIO(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU, 1), 1);
	/* the device is gone: ENOENT, and nothing cached */
	fk_fail(KABI_IOMMU_GET_HW_INFO, ENOENT, 1);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU, 3), -ENOENT);
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU, 3), 1);
	ck_assert_int_eq(tu_ncalls, 2);
	/* no nest parent on this IOMMU: no type; the IOAS is destroyed */
	tu_ncalls = 0;
	fk_fail(KABI_IOMMU_HWPT_ALLOC, EOPNOTSUPP, 1);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA, 3), 0);
	ck_assert_int_eq(tu_ncalls, 3);
	ck_assert_uint_eq(tu_calls[2].request, KABI_IOMMU_DESTROY);
	/* any other failure is reported, cleaned up, and not cached */
	tu_ncalls = 0;
	probe_fail_errno = ENOMEM;
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA, 4), -ENOMEM);
	ck_assert_int_eq(tu_ncalls, 5);
	ck_assert_uint_eq(tu_calls[3].request, KABI_IOMMU_DESTROY);
	ck_assert_uint_eq(tu_calls[4].request, KABI_IOMMU_DESTROY);
	probe_fail_errno = 0;
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA, 4), 0);
	ck_assert_int_eq(tu_ncalls, 5);
	/* each device has its own answers */
	{
		struct nestio_device *d = new_vfio(ctx);

		tu_ncalls = 0;
		ck_assert_int_eq(nestio_device_supports(d, NESTIO_PROBE_VIOMMU, 1), 1);
		ck_assert_int_eq(tu_ncalls, 2);
		nestio_device_unref(d);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("payloads");
	TCase *tc;

	tc = fk_tcase(s, "payloads", setup_objs, teardown_objs);
	tcase_add_test(tc, test_io_ioas_new_destroy);
	tcase_add_test(tc, test_io_map);
	tcase_add_test(tc, test_io_unmap_copy);
	tcase_add_test(tc, test_io_iova_ranges);
	tcase_add_test(tc, test_io_iova_ranges_lying_count);
	tcase_add_test(tc, test_io_options);
	tcase_add_test(tc, test_io_hwpt);
	tcase_add_test(tc, test_io_vfio);
	tcase_add_test(tc, test_io_ops_device);
	tcase_add_test(tc, test_io_export_dmabuf);
	tcase_add_test(tc, test_io_hw_info);
	tcase_add_test(tc, test_io_feature_probe);
	tcase_add_test(tc, test_io_viommu_shared);
	tcase_add_test(tc, test_io_adopt);
	tcase_add_test(tc, test_io_hw_info_of_type);
	tcase_add_test(tc, test_io_unmap_ext);
	tcase_add_test(tc, test_io_vfio_compat);
	tcase_add_test(tc, test_io_bind_token);
	tcase_add_test(tc, test_io_device_supports);
	return tu_run(s);
}
