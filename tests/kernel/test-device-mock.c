// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: every ctx / ioas / device / hwpt call against the kernel's
 * IOMMUFD_TEST mock driver. Where the mock can report the kernel's view
 * (MD_CHECK_MAP, PASID_CHECK_HWPT), the test asks it rather than trusting
 * the library's own bookkeeping.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

#define PAGE 4096u
#define BUF (16 * PAGE)

static struct nestio_ctx *ctx;
static int ifd;
static unsigned char *buf;

static void setup(void)
{
	ck_assert_int_eq(nestio_ctx_new(&ctx), 0);
	ifd = nestio_ctx_get_fd(ctx);
	buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(buf, MAP_FAILED);
	memset(buf, 0x11, BUF);
}

static void teardown(void)
{
	ctx = nestio_ctx_unref(ctx);
	munmap(buf, BUF);
}


/* ------------------------------------------------------------------ ctx */

START_TEST(test_ctx)
{
	struct nestio_ctx *c2 = NULL;
	uint64_t v = 99;

	ck_assert(tu_fd_is_cloexec(ifd));
	/* 7.2 has every command the library knows */
	for (int f = 0; f < NESTIO_FEATURE_MAX; f++)
		ck_assert_msg(nestio_ctx_has_feature(ctx, f) == 1, "feature %s",
			      nestio_feature_name(f));
	ck_assert_int_eq(nestio_ctx_new_from_fd(ifd, &c2), 0);
	ck_assert_int_ne(nestio_ctx_get_fd(c2), ifd);
	ck_assert(tu_fd_is_cloexec(nestio_ctx_get_fd(c2)));
	ck_assert_ptr_eq(nestio_ctx_ref(c2), c2);
	ck_assert_ptr_null(nestio_ctx_unref(c2));
	ck_assert_ptr_null(nestio_ctx_unref(c2));

	ck_assert_int_eq(nestio_ctx_get_option(ctx, NESTIO_OPTION_RLIMIT_MODE, &v), 0);
	ck_assert_uint_eq(v, 0);	/* per user by default */
	ck_assert_int_eq(nestio_ctx_set_option(ctx, NESTIO_OPTION_RLIMIT_MODE, 1), 0);
	ck_assert_int_eq(nestio_ctx_get_option(ctx, NESTIO_OPTION_RLIMIT_MODE, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(nestio_ctx_get_option(ctx, NESTIO_OPTION_HUGE_PAGES, &v), -EINVAL);
	ck_assert_int_eq(nestio_ctx_change_process(ctx), 0);
}
END_TEST

/* ----------------------------------------------------------------- ioas */

START_TEST(test_ioas_map_unmap)
{
	struct nestio_ioas *ioas = NULL;
	struct tu_mock_dev md;
	uint64_t iova = 0, fixed, unmapped = 0;
	uint32_t id;

	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	id = nestio_ioas_get_id(ioas);
	ck_assert_uint_ne(id, 0);
	ck_assert_ptr_eq(nestio_ioas_get_ctx(ioas), ctx);

	/* a mock device on the IOAS gives a mock domain we can inspect */
	ck_assert_int_eq(tu_mock_domain(ifd, id, 0, &md), 0);

	ck_assert_int_eq(nestio_ioas_map(ioas, buf, 4 * PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_WRITE), 0);
	ck_assert_uint_ge(iova, MOCK_APERTURE_START);
	ck_assert_int_eq(tu_mock_check_map(ifd, md.hwpt_id, iova, 4 * PAGE, buf), 0);
	/* the kernel's view must be exact: a wrong page is caught */
	ck_assert_int_ne(tu_mock_check_map(ifd, md.hwpt_id, iova, PAGE, buf + PAGE), 0);

	fixed = MOCK_APERTURE_START + 0x100000;
	ck_assert_int_eq(nestio_ioas_map(ioas, buf + 8 * PAGE, 2 * PAGE, &fixed,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_uint_eq(fixed, MOCK_APERTURE_START + 0x100000);
	ck_assert_int_eq(tu_mock_check_map(ifd, md.hwpt_id, fixed, 2 * PAGE,
					   buf + 8 * PAGE), 0);
	/* the same fixed IOVA again is taken */
	ck_assert_int_eq(nestio_ioas_map(ioas, buf, PAGE, &fixed,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), -EEXIST);

	ck_assert_int_eq(nestio_ioas_unmap(ioas, fixed, 2 * PAGE, &unmapped), 0);
	ck_assert_uint_eq(unmapped, 2 * PAGE);
	ck_assert_int_ne(tu_mock_check_map(ifd, md.hwpt_id, fixed, PAGE, buf + 8 * PAGE), 0);
	ck_assert_int_eq(nestio_ioas_unmap(ioas, fixed, 2 * PAGE, NULL), -ENOENT);
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, &unmapped), 0);
	ck_assert_uint_eq(unmapped, 4 * PAGE);

	tu_mock_destroy(&md);
	ck_assert(tu_kernel_has(ifd, id));
	nestio_ioas_unref(ioas);
	ck_assert(!tu_kernel_has(ifd, id));
}
END_TEST

START_TEST(test_ioas_map_file)
{
	struct nestio_ioas *ioas = NULL;
	struct tu_mock_dev md;
	uint64_t iova = 0;
	unsigned char *p;
	int mfd;

	mfd = memfd_create("nestio-test", MFD_CLOEXEC);
	ck_assert_int_ge(mfd, 0);
	ck_assert_int_eq(ftruncate(mfd, 4 * PAGE), 0);
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, 0x42, 4 * PAGE);

	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	ck_assert_int_eq(tu_mock_domain(ifd, nestio_ioas_get_id(ioas), 0, &md), 0);
	ck_assert_int_eq(nestio_ioas_map_file(ioas, mfd, PAGE, 2 * PAGE, &iova,
					      NESTIO_MAP_READ | NESTIO_MAP_WRITE), 0);
	/* the file's page 1 is the memory the mapping of page 1 shows */
	ck_assert_int_eq(tu_mock_check_map(ifd, md.hwpt_id, iova, 2 * PAGE, p + PAGE), 0);
	ck_assert_int_eq(nestio_ioas_map_file(ioas, mfd, 1, PAGE, &iova,
					      NESTIO_MAP_READ), -EINVAL);
	munmap(p, 4 * PAGE);
	close(mfd);
	tu_mock_destroy(&md);
	nestio_ioas_unref(ioas);
}
END_TEST

START_TEST(test_ioas_copy)
{
	struct nestio_ioas *a = NULL, *b = NULL;
	struct tu_mock_dev ma, mb;
	uint64_t ia = 0, ib = MOCK_APERTURE_START + 0x200000;

	ck_assert_int_eq(nestio_ioas_new(ctx, &a), 0);
	ck_assert_int_eq(nestio_ioas_new(ctx, &b), 0);
	ck_assert_int_eq(tu_mock_domain(ifd, nestio_ioas_get_id(a), 0, &ma), 0);
	ck_assert_int_eq(tu_mock_domain(ifd, nestio_ioas_get_id(b), 0, &mb), 0);
	ck_assert_int_eq(nestio_ioas_map(a, buf, 4 * PAGE, &ia,
					 NESTIO_MAP_READ | NESTIO_MAP_WRITE), 0);
	/* copy the middle two pages of a's mapping into b at a fixed IOVA */
	ck_assert_int_eq(nestio_ioas_copy(b, &ib, a, ia + PAGE, 2 * PAGE,
					  NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_uint_eq(ib, MOCK_APERTURE_START + 0x200000);
	ck_assert_int_eq(tu_mock_check_map(ifd, mb.hwpt_id, ib, 2 * PAGE, buf + PAGE), 0);
	/* copying from nothing fails */
	ib = 0;
	ck_assert_int_eq(nestio_ioas_copy(b, &ib, a, ia + 8 * PAGE, PAGE,
					  NESTIO_MAP_READ), -ENOENT);
	tu_mock_destroy(&ma);
	tu_mock_destroy(&mb);
	nestio_ioas_unref(a);
	nestio_ioas_unref(b);
}
END_TEST

START_TEST(test_ioas_ranges_allow)
{
	struct nestio_iova_range *r = NULL, allow[2];
	struct nestio_ioas *ioas = NULL;
	struct tu_mock_dev md;
	uint64_t align = 0, iova;
	size_t nr = 0;

	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	/* an empty IOAS allows everything */
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, &align), 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_uint_eq(r[0].start, 0);
	nestio_iova_ranges_free(r);

	/* a mock device narrows it to the mock's aperture */
	ck_assert_int_eq(tu_mock_domain(ifd, nestio_ioas_get_id(ioas), 0, &md), 0);
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, &align), 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_uint_eq(r[0].start, MOCK_APERTURE_START);
	ck_assert_uint_eq(r[0].last, MOCK_APERTURE_LAST);
	ck_assert_uint_ne(align, 0);
	nestio_iova_ranges_free(r);

	/* allow only two windows: kernel-chosen IOVAs land inside them */
	allow[0].start = MOCK_APERTURE_START + 0x400000;
	allow[0].last = allow[0].start + 4 * PAGE - 1;
	allow[1].start = MOCK_APERTURE_START + 0x800000;
	allow[1].last = allow[1].start + 4 * PAGE - 1;
	ck_assert_int_eq(nestio_ioas_allow_iovas(ioas, allow, 2), 0);
	/* the reported ranges are what is not reserved: allowing does not
	 * change them (the kernel restricts its own IOVA choice instead) */
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, NULL), 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_uint_eq(r[0].start, MOCK_APERTURE_START);
	nestio_iova_ranges_free(r);
	iova = 0;
	ck_assert_int_eq(nestio_ioas_map(ioas, buf, 4 * PAGE, &iova, NESTIO_MAP_READ), 0);
	ck_assert(iova == allow[0].start || iova == allow[1].start);
	/* allowed windows are a promise: a device whose aperture does not
	 * cover them can no longer attach to this IOAS */
	{
		struct nestio_ioas *low = NULL;
		struct nestio_iova_range below = { 0x1000, 0x1fff };
		struct tu_mock_dev m2;

		ck_assert_int_eq(nestio_ioas_new(ctx, &low), 0);
		ck_assert_int_eq(nestio_ioas_allow_iovas(low, &below, 1), 0);
		ck_assert_int_lt(tu_mock_domain(ifd, nestio_ioas_get_id(low), 0, &m2), 0);
		/* a reversed range is refused before any ioctl */
		below.start = 0x2000;
		ck_assert_int_eq(nestio_ioas_allow_iovas(low, &below, 1), -EINVAL);
		nestio_ioas_unref(low);
	}
	tu_mock_destroy(&md);
	nestio_ioas_unref(ioas);
}
END_TEST

START_TEST(test_ioas_option)
{
	struct nestio_ioas *ioas = NULL;
	uint64_t v = 0;

	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	ck_assert_int_eq(nestio_ioas_get_option(ioas, NESTIO_OPTION_HUGE_PAGES, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(nestio_ioas_set_option(ioas, NESTIO_OPTION_HUGE_PAGES, 0), 0);
	ck_assert_int_eq(nestio_ioas_get_option(ioas, NESTIO_OPTION_HUGE_PAGES, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(nestio_ioas_set_option(ioas, NESTIO_OPTION_RLIMIT_MODE, 0), -EINVAL);
	nestio_ioas_unref(ioas);
}
END_TEST

/* --------------------------------------------------------- device, hwpt */

START_TEST(test_device_hw_info)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_device *dev = NULL;
	struct nestio_ioas *ioas = NULL;
	struct mock_hw_info hi = { 0 };
	size_t len = sizeof(hi);
	uint32_t type = 0;

	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	ck_assert_int_eq(tu_mock_device(ctx, nestio_ioas_get_id(ioas),
					MOCK_FLAGS_DEVICE_PASID, &dev), 0);
	ck_assert_uint_ne(nestio_device_get_id(dev), 0);
	ck_assert_int_eq(nestio_device_get_fd(dev), -EBADF);
	ck_assert_ptr_eq(nestio_device_get_ctx(dev), ctx);
	ck_assert_int_eq(nestio_device_get_hw_info(dev, &type, &hi, &len), 0);
	ck_assert_uint_eq(type, MOCK_HW_INFO_TYPE_SELFTEST);
	ck_assert_uint_eq(hi.test_reg, MOCK_HW_INFO_SELFTEST_REGVAL);
	ck_assert_uint_eq(len, sizeof(hi));
	ck_assert_int_eq(nestio_device_get_hw_caps(dev, &caps), 0);
	ck_assert_uint_eq(caps.type, NESTIO_IOMMU_UNKNOWN);
	ck_assert_uint_eq(caps.raw_type, MOCK_HW_INFO_TYPE_SELFTEST);
	ck_assert(caps.caps & NESTIO_CAP_DIRTY_TRACKING);
	ck_assert_uint_eq(caps.max_pasid_log2, MOCK_PASID_WIDTH);
	ck_assert(caps.caps & NESTIO_CAP_PASID);
	nestio_device_unref(dev);
	nestio_ioas_unref(ioas);
}
END_TEST

START_TEST(test_hwpt_flags)
{
	const unsigned int flags[] = {
		0, NESTIO_HWPT_NEST_PARENT, NESTIO_HWPT_DIRTY_TRACKING,
		NESTIO_HWPT_PASID, NESTIO_HWPT_NEST_PARENT | NESTIO_HWPT_PASID,
	};
	struct nestio_device *dev = NULL;
	struct nestio_ioas *ioas = NULL;

	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	ck_assert_int_eq(tu_mock_device(ctx, nestio_ioas_get_id(ioas),
					MOCK_FLAGS_DEVICE_PASID, &dev), 0);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct nestio_hwpt_paging_opts o = { .sz = sizeof(o), .flags = flags[i] };
		struct nestio_hwpt *h = NULL;
		uint32_t id;

		ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), 0);
		id = nestio_hwpt_get_id(h);
		ck_assert_uint_ne(id, 0);
		ck_assert_uint_eq(nestio_hwpt_get_flags(h), flags[i]);
		ck_assert_ptr_eq(nestio_hwpt_get_ctx(h), ctx);
		ck_assert(tu_kernel_has(ifd, id));
		nestio_hwpt_unref(h);
		ck_assert(!tu_kernel_has(ifd, id));
	}
	/* NULL opts: defaults */
	{
		struct nestio_hwpt *h = NULL;

		ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, NULL, &h), 0);
		nestio_hwpt_unref(h);
	}
	/* a real fault queue (allocated raw: its object comes later) */
	{
		struct kabi_fault_alloc fa = { .size = sizeof(fa) };
		struct nestio_hwpt_paging_opts o = { .sz = sizeof(o) };
		struct nestio_hwpt *h = NULL;

		ck_assert_int_eq(ioctl(ifd, KABI_IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
		ck_assert(tu_fd_is_cloexec((int)fa.out_fault_fd));
		o.fault_id = fa.out_fault_id;
		ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), 0);
		ck_assert(tu_kernel_has(ifd, fa.out_fault_id));
		nestio_hwpt_unref(h);
		close((int)fa.out_fault_fd);
	}
	/* a fault id that names no fault queue */
	{
		struct nestio_hwpt_paging_opts o = { .sz = sizeof(o), .fault_id = 0x7fffff };
		struct nestio_hwpt *h = NULL;

		ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), -ENOENT);
		ck_assert_ptr_null(h);
	}
	nestio_device_unref(dev);
	nestio_ioas_unref(ioas);
}
END_TEST

START_TEST(test_attach_replace_rid)
{
	struct nestio_device *dev = NULL;
	struct nestio_ioas *ioas = NULL, *other = NULL;
	struct nestio_hwpt *h = NULL;
	uint64_t iova = 0;
	uint32_t hid;

	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	ck_assert_int_eq(nestio_ioas_new(ctx, &other), 0);
	ck_assert_int_eq(tu_mock_device(ctx, nestio_ioas_get_id(ioas), 0, &dev), 0);
	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, other), -EBUSY);

	ck_assert_int_eq(nestio_hwpt_new_paging(dev, other, NULL, &h), 0);
	hid = nestio_hwpt_get_id(h);
	ck_assert_int_eq(nestio_device_replace_hwpt(dev, NESTIO_NO_PASID, h), 0);
	/* the kernel really moved it: a map in `other` shows in the hwpt */
	ck_assert_int_eq(nestio_ioas_map(other, buf, PAGE, &iova, NESTIO_MAP_READ), 0);
	ck_assert_int_eq(tu_mock_check_map(ifd, hid, iova, PAGE, buf), 0);
	/* the device pins the hwpt: dropping our reference keeps it alive */
	h = nestio_hwpt_unref(h);
	ck_assert(tu_kernel_has(ifd, hid));
	ck_assert_int_eq(nestio_device_replace_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	ck_assert(!tu_kernel_has(ifd, hid));
	/* the mock has no RID detach: the ops table says so */
	ck_assert_int_eq(nestio_device_detach(dev, NESTIO_NO_PASID), -EOPNOTSUPP);
	nestio_device_unref(dev);
	nestio_ioas_unref(ioas);
	nestio_ioas_unref(other);
}
END_TEST

START_TEST(test_attach_pasid)
{
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o), .flags = NESTIO_HWPT_PASID };
	struct nestio_device *dev = NULL;
	struct nestio_ioas *ioas = NULL;
	struct nestio_hwpt *h1 = NULL, *h2 = NULL;
	uint32_t sd, id1, id2;

	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	ck_assert_int_eq(tu_mock_device(ctx, nestio_ioas_get_id(ioas),
					MOCK_FLAGS_DEVICE_PASID, &dev), 0);
	sd = tu_mock_stdev_id(dev);
	/* PASIDs attach only while the RID sits on a PASID-compatible domain */
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, NULL, &h1), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, h1), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h2), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, 100, h2), -EINVAL);
	ck_assert_int_eq(nestio_device_replace_hwpt(dev, NESTIO_NO_PASID, h2), 0);
	h1 = nestio_hwpt_unref(h1);
	h2 = nestio_hwpt_unref(h2);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h1), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h2), 0);
	id1 = nestio_hwpt_get_id(h1);
	id2 = nestio_hwpt_get_id(h2);

	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, 100, 0), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, 100, h1), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, 100, id1), 0);
	ck_assert_int_ne(tu_mock_pasid_check(ifd, sd, 100, id2), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, 200, h2), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, 200, id2), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, 100, h2), -EBUSY);

	ck_assert_int_eq(nestio_device_replace_hwpt(dev, 100, h2), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, 100, id2), 0);
	ck_assert_int_eq(nestio_device_replace_hwpt(dev, 300, h2), -ENOENT);

	ck_assert_int_eq(nestio_device_detach(dev, 100), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, 100, 0), 0);
	ck_assert_int_eq(nestio_device_detach(dev, 100), -ENOENT);
	/* PASID 200 stays attached; unref'ing the hwpts keeps h2 alive */
	h1 = nestio_hwpt_unref(h1);
	h2 = nestio_hwpt_unref(h2);
	ck_assert(!tu_kernel_has(ifd, id1));
	ck_assert(tu_kernel_has(ifd, id2));
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, 200, id2), 0);
	nestio_device_unref(dev);
	ck_assert(!tu_kernel_has(ifd, id2));
	nestio_ioas_unref(ioas);
}
END_TEST

/* Every unref order leaves nothing behind and never hits EBUSY. */
static void unref_order(int order)
{
	struct nestio_device *dev = NULL;
	struct nestio_ioas *ioas = NULL;
	struct nestio_hwpt *h = NULL;
	struct nestio_ctx *c = NULL;
	uint32_t ioas_id, hid;

	ck_assert_int_eq(nestio_ctx_new_from_fd(ifd, &c), 0);
	ck_assert_int_eq(nestio_ioas_new(c, &ioas), 0);
	ck_assert_int_eq(tu_mock_device(c, nestio_ioas_get_id(ioas), 0, &dev), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, NULL, &h), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, h), 0);
	ioas_id = nestio_ioas_get_id(ioas);
	hid = nestio_hwpt_get_id(h);
	switch (order) {
	case 0: /* children first */
		nestio_device_unref(dev); nestio_hwpt_unref(h);
		nestio_ioas_unref(ioas); nestio_ctx_unref(c);
		break;
	case 1: /* parents first */
		nestio_ctx_unref(c); nestio_ioas_unref(ioas);
		nestio_hwpt_unref(h); nestio_device_unref(dev);
		break;
	case 2:
		nestio_hwpt_unref(h); nestio_ctx_unref(c);
		nestio_device_unref(dev); nestio_ioas_unref(ioas);
		break;
	default:
		nestio_ioas_unref(ioas); nestio_device_unref(dev);
		nestio_ctx_unref(c); nestio_hwpt_unref(h);
		break;
	}
	/* c's fd is a dup of ifd (one open file, one id space): the objects
	 * are gone only because the library destroyed each one */
	ck_assert(!tu_kernel_has(ifd, hid));
	ck_assert(!tu_kernel_has(ifd, ioas_id));
}

START_TEST(test_unref_orders)
{
	unref_order(_i);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mock");
	TCase *tc = tcase_create("mock");
	tu_require_mock();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ctx);
	tcase_add_test(tc, test_ioas_map_unmap);
	tcase_add_test(tc, test_ioas_map_file);
	tcase_add_test(tc, test_ioas_copy);
	tcase_add_test(tc, test_ioas_ranges_allow);
	tcase_add_test(tc, test_ioas_option);
	tcase_add_test(tc, test_device_hw_info);
	tcase_add_test(tc, test_hwpt_flags);
	tcase_add_test(tc, test_attach_replace_rid);
	tcase_add_test(tc, test_attach_pasid);
	tcase_add_loop_test(tc, test_unref_orders, 0, 4);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
