// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: every device and hwpt call against the kernel's IOMMUFD_TEST
 * mock driver: hw info, paging hwpt flags, attach / replace at the RID and
 * at a PASID, every unref order, the errata the mock reports. Where the mock can report the kernel's
 * view (MD_CHECK_MAP, PASID_CHECK_HWPT), the test asks it rather than
 * trusting the library's own bookkeeping.
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

/* --------------------------------------------------------- device, hwpt */

START_TEST(test_device_hw_info)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_device *dev = NULL;
	struct nestio_ioas *ioas = NULL;
	struct mock_hw_info hi = { 0 };
	size_t len = sizeof(hi);
	uint32_t type = 0;
	uint64_t kcaps = 0;
	uint8_t pasid_log2 = 0;

	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &ioas), 0);
	ck_assert_int_eq(tu_mock_device(tu_ctx, nestio_ioas_get_id(ioas),
					MOCK_FLAGS_DEVICE_PASID, &dev), 0);
	ck_assert_uint_ne(nestio_device_get_id(dev), 0);
	ck_assert_int_eq(nestio_device_get_fd(dev), -EBADF);
	ck_assert_ptr_eq(nestio_device_get_ctx(dev), tu_ctx);
	ck_assert_int_eq(nestio_device_get_hw_info(dev, &type, &hi, &len), 0);
	ck_assert_uint_eq(type, MOCK_HW_INFO_TYPE_SELFTEST);
	ck_assert_uint_eq(hi.test_reg, MOCK_HW_INFO_SELFTEST_REGVAL);
	ck_assert_uint_eq(len, sizeof(hi));
	/* the _ext call: the same block, plus the kernel's words as they are */
	memset(&hi, 0, sizeof(hi));
	type = 0;
	ck_assert_int_eq(nestio_device_get_hw_info_ext(dev, &type, &hi, &len,
						       &kcaps, &pasid_log2), 0);
	ck_assert_uint_eq(type, MOCK_HW_INFO_TYPE_SELFTEST);
	ck_assert_uint_eq(hi.test_reg, MOCK_HW_INFO_SELFTEST_REGVAL);
	ck_assert(kcaps & 1);	/* IOMMU_HW_CAP_DIRTY_TRACKING */
	ck_assert_uint_eq(pasid_log2, MOCK_PASID_WIDTH);
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

	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &ioas), 0);
	ck_assert_int_eq(tu_mock_device(tu_ctx, nestio_ioas_get_id(ioas),
					MOCK_FLAGS_DEVICE_PASID, &dev), 0);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct nestio_hwpt_paging_opts o = { .sz = sizeof(o), .flags = flags[i] };
		struct nestio_hwpt *h = NULL;
		uint32_t id;

		ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), 0);
		id = nestio_hwpt_get_id(h);
		ck_assert_uint_ne(id, 0);
		ck_assert_uint_eq(nestio_hwpt_get_flags(h), flags[i]);
		ck_assert_ptr_eq(nestio_hwpt_get_ctx(h), tu_ctx);
		ck_assert(tu_kernel_has(tu_ifd, id));
		nestio_hwpt_unref(h);
		ck_assert(!tu_kernel_has(tu_ifd, id));
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

		ck_assert_int_eq(ioctl(tu_ifd, KABI_IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
		ck_assert(tu_fd_is_cloexec((int)fa.out_fault_fd));
		o.fault_id = fa.out_fault_id;
		ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &h), 0);
		ck_assert(tu_kernel_has(tu_ifd, fa.out_fault_id));
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

	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &ioas), 0);
	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &other), 0);
	ck_assert_int_eq(tu_mock_device(tu_ctx, nestio_ioas_get_id(ioas), 0, &dev), 0);
	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, other), -EBUSY);

	ck_assert_int_eq(nestio_hwpt_new_paging(dev, other, NULL, &h), 0);
	hid = nestio_hwpt_get_id(h);
	ck_assert_int_eq(nestio_device_replace_hwpt(dev, NESTIO_NO_PASID, h), 0);
	/* the kernel really moved it: a map in `other` shows in the hwpt */
	ck_assert_int_eq(nestio_ioas_map(other, tu_buf, PAGE, &iova, NESTIO_MAP_READ), 0);
	ck_assert_int_eq(tu_mock_check_map(tu_ifd, hid, iova, PAGE, tu_buf), 0);
	/* the device pins the hwpt: dropping our reference keeps it alive */
	h = nestio_hwpt_unref(h);
	ck_assert(tu_kernel_has(tu_ifd, hid));
	ck_assert_int_eq(nestio_device_replace_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	ck_assert(!tu_kernel_has(tu_ifd, hid));
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

	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &ioas), 0);
	ck_assert_int_eq(tu_mock_device(tu_ctx, nestio_ioas_get_id(ioas),
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

	ck_assert_int_eq(tu_mock_pasid_check(tu_ifd, sd, 100, 0), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, 100, h1), 0);
	ck_assert_int_eq(tu_mock_pasid_check(tu_ifd, sd, 100, id1), 0);
	ck_assert_int_ne(tu_mock_pasid_check(tu_ifd, sd, 100, id2), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, 200, h2), 0);
	ck_assert_int_eq(tu_mock_pasid_check(tu_ifd, sd, 200, id2), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, 100, h2), -EBUSY);

	ck_assert_int_eq(nestio_device_replace_hwpt(dev, 100, h2), 0);
	ck_assert_int_eq(tu_mock_pasid_check(tu_ifd, sd, 100, id2), 0);
	ck_assert_int_eq(nestio_device_replace_hwpt(dev, 300, h2), -ENOENT);

	ck_assert_int_eq(nestio_device_detach(dev, 100), 0);
	ck_assert_int_eq(tu_mock_pasid_check(tu_ifd, sd, 100, 0), 0);
	ck_assert_int_eq(nestio_device_detach(dev, 100), -ENOENT);
	/* PASID 200 stays attached; unref'ing the hwpts keeps h2 alive */
	h1 = nestio_hwpt_unref(h1);
	h2 = nestio_hwpt_unref(h2);
	ck_assert(!tu_kernel_has(tu_ifd, id1));
	ck_assert(tu_kernel_has(tu_ifd, id2));
	ck_assert_int_eq(tu_mock_pasid_check(tu_ifd, sd, 200, id2), 0);
	nestio_device_unref(dev);
	ck_assert(!tu_kernel_has(tu_ifd, id2));
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

	ck_assert_int_eq(nestio_ctx_new_from_fd(tu_ifd, &c), 0);
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
	/* c's fd is a dup of tu_ifd (one open file, one id space): the objects
	 * are gone only because the library destroyed each one */
	ck_assert(!tu_kernel_has(tu_ifd, hid));
	ck_assert(!tu_kernel_has(tu_ifd, ioas_id));
}

START_TEST(test_unref_orders)
{
	unref_order(_i);
}
END_TEST

/* ------------------------------------------------------------ errata */

/* the mock's nest parent reports no ERRATA_772415_SPR17: read-only maps
 * stay allowed, and the compatibility check says why it cannot nest */
START_TEST(test_mock_no_erratum)
{
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o),
					     .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_compat w = { .sz = sizeof(w) };
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_device *mdev = NULL;
	struct nestio_ioas *mioas = NULL;
	struct nestio_hwpt *parent = NULL;
	void *va = aligned_alloc(PAGE, PAGE);
	uint64_t iova = MOCK_APERTURE_START;
	char reason[256];

	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &mioas), 0);
	ck_assert_int_eq(tu_mock_device(tu_ctx, nestio_ioas_get_id(mioas), 0, &mdev), 0);
	ck_assert_int_eq(nestio_device_get_hw_caps(mdev, &caps), 0);
	ck_assert_uint_eq(caps.errata, 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(mdev, mioas, &o, &parent), 0);
	/* a read-only mapping under a nest parent is fine here */
	ck_assert_int_eq(nestio_ioas_map(mioas, va, PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_int_eq(tu_mock_check_map(nestio_ctx_get_fd(tu_ctx),
					   nestio_hwpt_get_id(parent), iova, PAGE, va), 0);
	ck_assert_int_eq(nestio_ioas_unmap(mioas, iova, PAGE, NULL), 0);
	/* and one made before the nest parent does not stop a second one */
	ck_assert_int_eq(nestio_ioas_map(mioas, va, PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	{
		struct nestio_hwpt *p2 = NULL;

		ck_assert_int_eq(nestio_hwpt_new_paging(mdev, mioas, &o, &p2), 0);
		nestio_hwpt_unref(p2);
	}
	/* the library cannot decode the mock's registers: no nesting to offer */
	ck_assert_int_eq(nestio_device_check_compat(mdev, &w, reason, sizeof(reason)), 0);
	ck_assert_str_eq(reason, "host IOMMU (unknown) cannot nest: this library "
				 "cannot decode its registers");
	nestio_hwpt_unref(parent);
	nestio_device_unref(mdev);
	nestio_ioas_unref(mioas);
	free(va);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("device-mock");
	TCase *tc = tcase_create("device-mock");

	tu_require_mock();
	tcase_add_checked_fixture(tc, tu_mock_setup, tu_mock_teardown);
	tcase_add_test(tc, test_device_hw_info);
	tcase_add_test(tc, test_hwpt_flags);
	tcase_add_test(tc, test_attach_replace_rid);
	tcase_add_test(tc, test_attach_pasid);
	tcase_add_loop_test(tc, test_unref_orders, 0, 4);
	tcase_add_test(tc, test_mock_no_erratum);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
