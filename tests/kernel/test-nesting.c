// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: nested hwpts (on a nest parent and on a vIOMMU), vIOMMU and
 * vDEVICE against the kernel's IOMMUFD_TEST mock, with the mock's own view
 * (its nested IOTLB entries, its PASID attachments, the object table).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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


/* the mock's IOTLB entry i of a nested hwpt holds value */
static int iotlb_is(uint32_t hwpt_id, uint32_t i, uint32_t value)
{
	struct mock_cmd cmd = { .size = sizeof(cmd), .op = MOCK_OP_MD_CHECK_IOTLB,
				.id = hwpt_id };

	cmd.check_cache.id = i;
	cmd.check_cache.value = value;
	return ioctl(ifd, MOCK_IOMMU_TEST_CMD, &cmd) < 0 ? -errno : 0;
}

START_TEST(test_nested_on_parent)
{
	struct nestio_hwpt *n = NULL, *plain = NULL;
	struct mock_hwpt_selftest bad = { .iotlb = 1 };
	struct nestio_stage1 other = tu_mock_s1;
	uint32_t id;

	ck_assert_int_eq(nestio_hwpt_new_nested(dev, parent, &tu_mock_s1, NULL, &n), 0);
	id = nestio_hwpt_get_id(n);
	ck_assert_int_eq(nestio_hwpt_is_nested(n), 1);
	ck_assert_int_eq(nestio_hwpt_is_nested(parent), 0);
	ck_assert_ptr_eq(nestio_hwpt_get_parent(n), parent);
	ck_assert_ptr_eq(nestio_hwpt_get_ioas(n), ioas);	/* stage 2's */
	/* the mock took our stage-1 data: every IOTLB entry holds its value */
	for (uint32_t i = 0; i < MOCK_IOTLB_NUM; i++)
		ck_assert_int_eq(iotlb_is(id, i, MOCK_IOTLB_DEFAULT), 0);
	ck_assert_int_ne(iotlb_is(id, 0, 0), 0);
	/* the data is passed through byte for byte */
	other.u.raw.data = &bad;
	{
		struct nestio_hwpt *n2 = NULL;

		ck_assert_int_eq(nestio_hwpt_new_nested(dev, parent, &other, NULL, &n2), 0);
		ck_assert_int_eq(iotlb_is(nestio_hwpt_get_id(n2), 3, 1), 0);
		nestio_hwpt_unref(n2);
	}
	/* attach the device to it, at the RID; the nested hwpt pins its parent */
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, n), 0);
	n = nestio_hwpt_unref(n);
	ck_assert(tu_kernel_has(ifd, id));
	/* a paging hwpt that is no nest parent cannot carry one */
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, NULL, &plain), 0);
	ck_assert_int_eq(nestio_hwpt_new_nested(dev, plain, &tu_mock_s1, NULL, &n), -EINVAL);
	nestio_hwpt_unref(plain);
	/* a type the mock does not know */
	other = tu_mock_s1;
	other.raw_type = 0x1234;
	ck_assert_int_eq(nestio_hwpt_new_nested(dev, parent, &other, NULL, &n), -EOPNOTSUPP);
	/* a PASID-capable nested hwpt */
	{
		struct nestio_hwpt_nested_opts o = { .sz = sizeof(o), .flags = NESTIO_HWPT_PASID };

		ck_assert_int_eq(nestio_hwpt_new_nested(dev, parent, &tu_mock_s1, &o, &n), 0);
		ck_assert_uint_eq(nestio_hwpt_get_flags(n), NESTIO_HWPT_PASID);
		nestio_hwpt_unref(n);
	}
	dev = nestio_device_unref(dev);
	ck_assert(!tu_kernel_has(ifd, id));
}
END_TEST

START_TEST(test_viommu_vdevice)
{
	struct mock_viommu_selftest data = { .in_data = 0xcafe };
	struct nestio_viommu_opts vo = { .sz = sizeof(vo), .data = &data,
					 .data_len = sizeof(data) };
	struct nestio_viommu *v = NULL;
	struct nestio_vdevice *vd = NULL, *vd2 = NULL;
	struct nestio_hwpt *n = NULL;
	uint32_t vid, vdid, nid;

	ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   &vo, &v), 0);
	vid = nestio_viommu_get_id(v);
	ck_assert_uint_ne(vid, 0);
	ck_assert_uint_eq(nestio_viommu_get_type(v), MOCK_VIOMMU_TYPE_SELFTEST);
	ck_assert_ptr_eq(nestio_viommu_get_parent(v), parent);
	ck_assert_uint_eq(data.out_data, 0xcafe);	/* driver data came back */
	ck_assert_uint_ne(data.out_mmap_length, 0);

	ck_assert_int_eq(nestio_vdevice_new(v, dev, 0x42, &vd), 0);
	vdid = nestio_vdevice_get_id(vd);
	ck_assert_uint_eq(nestio_vdevice_get_virt_id(vd), 0x42);
	ck_assert_ptr_eq(nestio_vdevice_get_viommu(vd), v);
	ck_assert_ptr_eq(nestio_vdevice_get_device(vd), dev);
	/* one vDEVICE per device */
	ck_assert_int_eq(nestio_vdevice_new(v, dev, 0x43, &vd2), -EEXIST);
	ck_assert_ptr_null(vd2);

	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(dev, v, &tu_mock_s1, NULL, &n), 0);
	nid = nestio_hwpt_get_id(n);
	ck_assert_ptr_eq(nestio_hwpt_get_viommu(n), v);
	ck_assert_ptr_null(nestio_hwpt_get_parent(n));
	ck_assert_ptr_eq(nestio_hwpt_get_ioas(n), ioas);
	ck_assert_int_eq(iotlb_is(nid, 0, MOCK_IOTLB_DEFAULT), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, n), 0);

	/* drop every reference we hold: the objects pin each other, and the
	 * device's last unref takes the chain down with no EBUSY */
	n = nestio_hwpt_unref(n);
	v = nestio_viommu_unref(v);
	ck_assert(tu_kernel_has(ifd, vid));
	vd = nestio_vdevice_unref(vd);
	ck_assert(!tu_kernel_has(ifd, vdid));
	ck_assert(tu_kernel_has(ifd, vid));
	dev = nestio_device_unref(dev);
	ck_assert(!tu_kernel_has(ifd, nid));
	ck_assert(!tu_kernel_has(ifd, vid));
}
END_TEST

START_TEST(test_viommu_args)
{
	struct nestio_hwpt *plain = NULL;
	struct nestio_viommu *v = NULL, *sentinel = (void *)&ifd;

	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, NULL, &plain), 0);
	v = sentinel;
	ck_assert_int_eq(nestio_viommu_new(dev, plain, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &v), -EINVAL);
	ck_assert_ptr_eq(v, sentinel);
	/* a type the mock does not take */
	ck_assert_int_lt(nestio_viommu_new(dev, parent, 0x77, NULL, &v), 0);
	ck_assert_ptr_eq(v, sentinel);
	nestio_hwpt_unref(plain);
}
END_TEST

/* any unref order of the whole chain leaves nothing behind */
START_TEST(test_chain_orders)
{
	struct nestio_viommu *v = NULL;
	struct nestio_vdevice *vd = NULL;
	struct nestio_hwpt *n = NULL;
	uint32_t ids[5];
	void *objs[6];

	ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &v), 0);
	ck_assert_int_eq(nestio_vdevice_new(v, dev, 7, &vd), 0);
	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(dev, v, &tu_mock_s1, NULL, &n), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, n), 0);
	ids[0] = nestio_ioas_get_id(ioas);
	ids[1] = nestio_hwpt_get_id(parent);
	ids[2] = nestio_viommu_get_id(v);
	ids[3] = nestio_vdevice_get_id(vd);
	ids[4] = nestio_hwpt_get_id(n);
	objs[0] = ioas; objs[1] = parent; objs[2] = v; objs[3] = vd;
	objs[4] = n; objs[5] = dev;
	/* a different rotation each loop iteration */
	for (int k = 0; k < 6; k++) {
		int i = (k + _i) % 6;

		switch (i) {
		case 0: nestio_ioas_unref(objs[0]); break;
		case 1: nestio_hwpt_unref(objs[1]); break;
		case 2: nestio_viommu_unref(objs[2]); break;
		case 3: nestio_vdevice_unref(objs[3]); break;
		case 4: nestio_hwpt_unref(objs[4]); break;
		case 5: nestio_device_unref(objs[5]); break;
		}
	}
	ioas = NULL; parent = NULL; dev = NULL;
	for (int k = 0; k < 5; k++)
		ck_assert_msg(!tu_kernel_has(ifd, ids[k]), "object %u left (order %d)",
			      ids[k], _i);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nesting");
	TCase *tc = tcase_create("nesting");
	tu_require_mock();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nested_on_parent);
	tcase_add_test(tc, test_viommu_vdevice);
	tcase_add_test(tc, test_viommu_args);
	tcase_add_loop_test(tc, test_chain_orders, 0, 6);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
