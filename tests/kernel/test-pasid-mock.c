// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: the PASID binding table against the kernel's IOMMUFD_TEST mock.
 * The mock reports what each PASID of a device is attached to
 * (MOCK_OP_PASID_CHECK_HWPT; PASID 0 asks about the RID), so every test
 * checks the kernel's view, not only the table's.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

#define RID_CHECK 0u	/* the mock's PASID for "the RID" */
#define P1 1u
#define P2 2u
#define P3 3u

static struct nestio_ctx *ctx;
static struct nestio_ioas *ioas;
static struct nestio_device *dev;
static struct nestio_hwpt *parent;
static struct nestio_pasid_table *tbl;
static uint32_t sd;		/* dev's mock stdev id */
static int ifd;

/* stage-1 configs: the mock copies .iotlb into its IOTLB entries */
static struct mock_hwpt_selftest data[4] = {
	{ .iotlb = 0x1000 }, { .iotlb = 0x2000 }, { .iotlb = 0x3000 },
	{ .iotlb = 0x4000 },
};

static struct nestio_stage1 cfg(int k)
{
	struct nestio_stage1 s1;

	memset(&s1, 0, sizeof(s1));
	s1.type = NESTIO_STAGE1_RAW;
	s1.raw_type = MOCK_HWPT_DATA_SELFTEST;
	s1.u.raw.data = &data[k];
	s1.u.raw.len = sizeof(data[k]);
	return s1;
}

static void setup(void)
{
	tu_mock_nest_setup(MOCK_FLAGS_DEVICE_PASID, &ctx, &ioas, &dev, &parent);
	ifd = nestio_ctx_get_fd(ctx);
	sd = tu_mock_stdev_id(dev);
	ck_assert_int_eq(nestio_pasid_table_new(parent, &tbl), 0);
}

static void teardown(void)
{
	tbl = nestio_pasid_table_unref(tbl);
	dev = nestio_device_unref(dev);
	parent = nestio_hwpt_unref(parent);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
}


/* the mock's IOTLB entry 0 of a nested hwpt holds value */
static int iotlb_is(uint32_t hwpt_id, uint32_t value)
{
	struct mock_cmd cmd = { .size = sizeof(cmd), .op = MOCK_OP_MD_CHECK_IOTLB,
				.id = hwpt_id };

	cmd.check_cache.id = 0;
	cmd.check_cache.value = value;
	return ioctl(ifd, MOCK_IOMMU_TEST_CMD, &cmd) < 0 ? -errno : 0;
}

/* detach a PASID in the kernel, behind the library's back */
static void mock_pasid_detach(uint32_t stdev, uint32_t pasid)
{
	struct mock_cmd cmd = { .size = sizeof(cmd), .op = MOCK_OP_PASID_DETACH,
				.id = stdev };

	cmd.pasid.pasid = pasid;
	ck_assert_int_eq(ioctl(ifd, MOCK_IOMMU_TEST_CMD, &cmd), 0);
}

static uint32_t bound(struct nestio_pasid_table *t, struct nestio_device *d,
		      uint32_t pasid)
{
	return nestio_hwpt_get_id(nestio_pasid_lookup(t, d, pasid));
}

static int count_fn(struct nestio_device *d, uint32_t pasid,
		    const struct nestio_stage1 *s1, struct nestio_hwpt *hwpt,
		    void *n)
{
	(void)d, (void)pasid, (void)s1, (void)hwpt;
	++*(int *)n;
	return 0;
}

static int count_bindings(struct nestio_pasid_table *t)
{
	int n = 0;

	ck_assert_int_eq(nestio_pasid_table_foreach(t, count_fn, &n), 0);
	return n;
}

/*
 * The kernel attaches a PASID only while the RID is on a PASID-compatible
 * hwpt; a mock device is born on an automatic domain that is not. The
 * failed bind leaves nothing behind. Binding the RID through the table
 * (its hwpts are PASID-compatible) lets the PASIDs follow.
 */
START_TEST(test_rid_first)
{
	struct nestio_stage1 s0 = cfg(0), s1 = cfg(1);
	uint32_t rid, id;

	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P1, &s1, 0), -EINVAL);
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, dev, P1));
	ck_assert_int_eq(count_bindings(tbl), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, 0), 0);

	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, NESTIO_NO_PASID, &s0, 0), 0);
	rid = bound(tbl, dev, NESTIO_NO_PASID);
	ck_assert_uint_ne(rid, 0);
	ck_assert_uint_eq(nestio_hwpt_get_flags(nestio_pasid_lookup(tbl, dev,
								     NESTIO_NO_PASID)),
			  NESTIO_HWPT_PASID);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, RID_CHECK, rid), 0);
	ck_assert_int_eq(iotlb_is(rid, 0x1000), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P1, &s1, 0), 0);
	id = bound(tbl, dev, P1);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id), 0);
	ck_assert_int_eq(iotlb_is(id, 0x2000), 0);
	ck_assert_int_eq(count_bindings(tbl), 2);
	/* the RID cannot move to a hwpt that is not PASID-compatible while
	 * a PASID is attached: why the table makes every hwpt compatible */
	{
		struct nestio_hwpt *plain = NULL;

		ck_assert_int_eq(nestio_hwpt_new_nested(dev, parent, &s0, NULL,
							&plain), 0);
		ck_assert_int_eq(nestio_device_replace_hwpt(dev, NESTIO_NO_PASID,
							    plain), -EINVAL);
		ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, RID_CHECK, rid), 0);
		nestio_hwpt_unref(plain);
	}
}
END_TEST

START_TEST(test_share_update_unbind)
{
	struct nestio_stage1 s0 = cfg(0), s1 = cfg(1), s1b = cfg(1), s2 = cfg(2);
	uint32_t rid, old, neu;

	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, NESTIO_NO_PASID, &s0, 0), 0);
	rid = bound(tbl, dev, NESTIO_NO_PASID);
	/* identical configs: one hwpt, at both PASIDs, in the kernel */
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P1, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P2, &s1b, 0), 0);
	old = bound(tbl, dev, P1);
	ck_assert_uint_ne(old, rid);
	ck_assert_uint_eq(bound(tbl, dev, P2), old);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, old), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, old), 0);
	/* the RID's config at a PASID shares the RID's hwpt */
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P3, &s0, 0), 0);
	ck_assert_uint_eq(bound(tbl, dev, P3), rid);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P3, rid), 0);
	/* NO_SHARE: a hwpt of its own */
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, 4, &s1, NESTIO_BIND_NO_SHARE), 0);
	ck_assert_uint_ne(bound(tbl, dev, 4), old);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, 4, bound(tbl, dev, 4)), 0);

	/* an identical rebind changes nothing */
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P1, &s1b, 0), 0);
	ck_assert_uint_eq(bound(tbl, dev, P1), old);

	/* update PASID 1: replaced in the kernel, PASID 2 stays */
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P1, &s2, 0), 0);
	neu = bound(tbl, dev, P1);
	ck_assert_uint_ne(neu, old);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, neu), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, old), 0);
	ck_assert_int_eq(iotlb_is(neu, 0x3000), 0);
	ck_assert(tu_kernel_has(ifd, old));
	/* PASID 2 follows: the old hwpt had its last binding go */
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P2, &s2, 0), 0);
	ck_assert_uint_eq(bound(tbl, dev, P2), neu);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, neu), 0);
	ck_assert(!tu_kernel_has(ifd, old));

	/* unbind: detached in the kernel; the hwpt goes with its last user */
	ck_assert_int_eq(nestio_pasid_unbind(tbl, dev, P1), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, 0), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, neu), 0);
	ck_assert(tu_kernel_has(ifd, neu));
	ck_assert_int_eq(nestio_pasid_unbind(tbl, dev, P1), -ENOENT);
	ck_assert_int_eq(nestio_pasid_unbind(tbl, dev, P2), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, 0), 0);
	ck_assert(!tu_kernel_has(ifd, neu));

	/* the mock cannot detach a RID: the binding stays, and so does the
	 * kernel's attachment */
	ck_assert_int_eq(nestio_pasid_unbind(tbl, dev, NESTIO_NO_PASID), -EOPNOTSUPP);
	ck_assert_uint_eq(bound(tbl, dev, NESTIO_NO_PASID), rid);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, RID_CHECK, rid), 0);
	/* but it can be moved */
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, NESTIO_NO_PASID, &s2, 0), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, RID_CHECK,
					     bound(tbl, dev, NESTIO_NO_PASID)), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P3, rid), 0);
	ck_assert(tu_kernel_has(ifd, rid));		/* PASID 3 still uses it */
	ck_assert_int_eq(count_bindings(tbl), 3);
}
END_TEST

/* A failed update (a config the mock refuses) keeps the old binding. */
START_TEST(test_update_fails)
{
	struct nestio_stage1 s0 = cfg(0), s1 = cfg(1), bad = cfg(2);
	uint32_t id;

	bad.raw_type = 0x1234;		/* a type the mock does not know */
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, NESTIO_NO_PASID, &s0, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P1, &s1, 0), 0);
	id = bound(tbl, dev, P1);
	ck_assert_int_lt(nestio_pasid_bind(tbl, dev, P1, &bad, 0), 0);
	ck_assert_uint_eq(bound(tbl, dev, P1), id);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P1, &s1, 0), 0);
	ck_assert_int_eq(count_bindings(tbl), 2);
}
END_TEST

START_TEST(test_replay)
{
	struct nestio_stage1 s0 = cfg(0), s1 = cfg(1), s2 = cfg(2);
	uint32_t rid, id1, id2;

	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, NESTIO_NO_PASID, &s0, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P1, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P2, &s2, 0), 0);
	rid = bound(tbl, dev, NESTIO_NO_PASID);
	id1 = bound(tbl, dev, P1);
	id2 = bound(tbl, dev, P2);
	/* with everything in place: a no-op for the kernel */
	ck_assert_int_eq(nestio_pasid_replay(tbl, dev), 3);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id1), 0);

	/* the kernel loses PASID 1 (as after a reset); replay restores it */
	mock_pasid_detach(sd, P1);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, 0), 0);
	ck_assert_int_eq(nestio_pasid_replay(tbl, dev), 3);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id1), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, id2), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, RID_CHECK, rid), 0);
	/* both PASIDs lost */
	mock_pasid_detach(sd, P1);
	mock_pasid_detach(sd, P2);
	ck_assert_int_eq(nestio_pasid_replay(tbl, dev), 3);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id1), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, id2), 0);
	/* and the table still updates and unbinds as usual after it */
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P1, &s2, 0), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id2), 0);
	ck_assert(!tu_kernel_has(ifd, id1));
	ck_assert_int_eq(nestio_pasid_unbind(tbl, dev, P2), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, 0), 0);
}
END_TEST

START_TEST(test_two_devices)
{
	struct nestio_stage1 s0 = cfg(0), s1 = cfg(1);
	struct nestio_device *dev2 = NULL;
	uint32_t sd2, id;

	ck_assert_int_eq(tu_mock_device(ctx, nestio_ioas_get_id(ioas),
					MOCK_FLAGS_DEVICE_PASID, &dev2), 0);
	sd2 = tu_mock_stdev_id(dev2);
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, NESTIO_NO_PASID, &s0, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev2, NESTIO_NO_PASID, &s0, 0), 0);
	ck_assert_uint_eq(bound(tbl, dev2, NESTIO_NO_PASID),
			  bound(tbl, dev, NESTIO_NO_PASID));
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P1, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev2, P1, &s1, 0), 0);
	id = bound(tbl, dev, P1);
	ck_assert_uint_eq(bound(tbl, dev2, P1), id);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd2, P1, id), 0);
	/* replay touches one device only */
	mock_pasid_detach(sd, P1);
	mock_pasid_detach(sd2, P1);
	ck_assert_int_eq(nestio_pasid_replay(tbl, dev2), 2);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd2, P1, id), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, 0), 0);
	ck_assert_int_eq(nestio_pasid_replay(tbl, dev), 2);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id), 0);

	/* the shared hwpt outlives the first device's binding */
	ck_assert_int_eq(nestio_pasid_unbind(tbl, dev, P1), 0);
	ck_assert(tu_kernel_has(ifd, id));
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd2, P1, id), 0);
	/* the table pins dev2: our unref leaves it (and its binding) there */
	dev2 = nestio_device_unref(dev2);
	ck_assert(tu_kernel_has(ifd, sd2));
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd2, P1, id), 0);
	/* the table's last unref lets the device go, and the hwpt with it */
	tbl = nestio_pasid_table_unref(tbl);
	ck_assert(!tu_kernel_has(ifd, sd2));
	ck_assert(!tu_kernel_has(ifd, id));
}
END_TEST

/*
 * A table on a vIOMMU: its hwpts are allocated on the vIOMMU. The kernel
 * attaches a device to such a hwpt only once the device has a vDEVICE on
 * that vIOMMU (ENOENT before); a failed bind leaves nothing behind.
 */
START_TEST(test_viommu)
{
	struct nestio_stage1 s0 = cfg(0), s1 = cfg(1), s2 = cfg(2);
	struct nestio_pasid_table *t = NULL;
	struct nestio_vdevice *vd = NULL;
	struct nestio_viommu *v = NULL;
	uint32_t vid, vdid, rid, id1, id2;

	ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &v), 0);
	vid = nestio_viommu_get_id(v);
	ck_assert_int_eq(nestio_pasid_table_new_viommu(v, &t), 0);
	ck_assert_int_eq(nestio_pasid_bind(t, dev, NESTIO_NO_PASID, &s0, 0), -ENOENT);
	ck_assert_int_eq(count_bindings(t), 0);
	ck_assert_int_eq(nestio_vdevice_new(v, dev, 0x42, &vd), 0);
	vdid = nestio_vdevice_get_id(vd);
	v = nestio_viommu_unref(v);
	ck_assert(tu_kernel_has(ifd, vid));		/* the table pins it */
	ck_assert_int_eq(nestio_pasid_bind(t, dev, NESTIO_NO_PASID, &s0, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(t, dev, P1, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(t, dev, P2, &s1, 0), 0);
	rid = bound(t, dev, NESTIO_NO_PASID);
	id1 = bound(t, dev, P1);
	ck_assert_uint_eq(bound(t, dev, P2), id1);
	ck_assert_uint_eq(nestio_viommu_get_id(nestio_hwpt_get_viommu(
				nestio_pasid_lookup(t, dev, P1))), vid);
	ck_assert_ptr_null(nestio_hwpt_get_parent(nestio_pasid_lookup(t, dev, P1)));
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, RID_CHECK, rid), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id1), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, id1), 0);
	ck_assert_int_eq(iotlb_is(id1, 0x2000), 0);
	/* update, replay, unbind */
	ck_assert_int_eq(nestio_pasid_bind(t, dev, P1, &s2, 0), 0);
	id2 = bound(t, dev, P1);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id2), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, id1), 0);
	mock_pasid_detach(sd, P2);
	ck_assert_int_eq(nestio_pasid_replay(t, dev), 3);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, id1), 0);
	ck_assert_int_eq(nestio_pasid_unbind(t, dev, P2), 0);
	ck_assert(!tu_kernel_has(ifd, id1));
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P2, 0), 0);
	/* the table goes first: the bindings stay with the device */
	t = nestio_pasid_table_unref(t);
	ck_assert(tu_kernel_has(ifd, vid));
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id2), 0);
	vd = nestio_vdevice_unref(vd);
	dev = nestio_device_unref(dev);
	ck_assert(!tu_kernel_has(ifd, id2));
	ck_assert(!tu_kernel_has(ifd, rid));
	ck_assert(!tu_kernel_has(ifd, vdid));
	ck_assert(!tu_kernel_has(ifd, vid));
}
END_TEST

/*
 * Every unref order of table, device, parent, IOAS (and vIOMMU, vDEVICE)
 * leaves no object in the kernel: bindings at the RID and two PASIDs, on
 * two hwpts. Rotations of the list, forwards and backwards.
 */
enum { O_TABLE, O_DEV, O_PARENT, O_IOAS, O_VIOMMU, O_VDEV, O_N };

static void unref_run(int loop, bool on_viommu)
{
	struct nestio_stage1 s0 = cfg(0), s1 = cfg(1);
	struct nestio_viommu *v = NULL;
	struct nestio_vdevice *vd = NULL;
	uint32_t ids[9];
	int n = 0, nobj = on_viommu ? O_N : O_VIOMMU;
	int order[O_N];

	if (on_viommu) {
		ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
						   NULL, &v), 0);
		ck_assert_int_eq(nestio_vdevice_new(v, dev, 0x42, &vd), 0);
		tbl = nestio_pasid_table_unref(tbl);
		ck_assert_int_eq(nestio_pasid_table_new_viommu(v, &tbl), 0);
		ids[n++] = nestio_viommu_get_id(v);
		ids[n++] = nestio_vdevice_get_id(vd);
	}
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, NESTIO_NO_PASID, &s0, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P1, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, dev, P2, &s0, 0), 0);
	ids[n++] = bound(tbl, dev, NESTIO_NO_PASID);
	ids[n++] = bound(tbl, dev, P1);
	ids[n++] = nestio_hwpt_get_id(parent);
	ids[n++] = nestio_ioas_get_id(ioas);
	ids[n++] = sd;
	ids[n++] = nestio_device_get_id(dev);
	for (int k = 0; k < nobj; k++) {
		int r = (loop % nobj + k) % nobj;

		order[k] = loop / nobj ? nobj - 1 - r : r;
	}
	for (int k = 0; k < nobj; k++) {
		switch (order[k]) {
		case O_TABLE: tbl = nestio_pasid_table_unref(tbl); break;
		case O_DEV: dev = nestio_device_unref(dev); break;
		case O_PARENT: parent = nestio_hwpt_unref(parent); break;
		case O_IOAS: ioas = nestio_ioas_unref(ioas); break;
		case O_VIOMMU: v = nestio_viommu_unref(v); break;
		case O_VDEV: vd = nestio_vdevice_unref(vd); break;
		}
	}
	for (int k = 0; k < n; k++)
		ck_assert_msg(!tu_kernel_has(ifd, ids[k]), "object %u left (loop %d)",
			      ids[k], loop);
}

START_TEST(test_unref_orders)
{
	unref_run(_i, false);
}
END_TEST

START_TEST(test_unref_orders_viommu)
{
	unref_run(_i, true);
}
END_TEST

/* VT-d pass-through entries: the nest parent itself, in the kernel too */
START_TEST(test_passthrough)
{
	struct nestio_hwpt_paging_opts o = {
		.sz = sizeof(o), .flags = NESTIO_HWPT_NEST_PARENT | NESTIO_HWPT_PASID,
	};
	struct nestio_stage1 pt = { .type = NESTIO_STAGE1_PASSTHROUGH }, s1 = cfg(1);
	struct nestio_pasid_table *t = NULL;
	struct nestio_hwpt *np = NULL;
	uint32_t npid, id1;

	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &o, &np), 0);
	npid = nestio_hwpt_get_id(np);
	ck_assert_int_eq(nestio_pasid_table_new(np, &t), 0);
	ck_assert_int_eq(nestio_pasid_bind(t, dev, NESTIO_NO_PASID, &pt, 0), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, RID_CHECK, npid), 0);
	ck_assert_int_eq(nestio_pasid_bind(t, dev, P1, &pt, 0), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, npid), 0);
	ck_assert_uint_eq(bound(t, dev, P1), npid);
	ck_assert_int_eq(count_bindings(t), 2);
	/* the kernel loses it (a reset): replay restores it */
	mock_pasid_detach(sd, P1);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, 0), 0);
	ck_assert_int_eq(nestio_pasid_replay(t, dev), 2);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, npid), 0);
	/* pass-through -> stage 1 -> pass-through, by replace */
	ck_assert_int_eq(nestio_pasid_bind(t, dev, P1, &s1, 0), 0);
	id1 = bound(t, dev, P1);
	ck_assert_uint_ne(id1, npid);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, id1), 0);
	ck_assert_int_eq(iotlb_is(id1, 0x2000), 0);
	ck_assert_int_eq(nestio_pasid_bind(t, dev, P1, &pt, 0), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, npid), 0);
	ck_assert(!tu_kernel_has(ifd, id1));
	/* unbind takes it out of the kernel and the table */
	ck_assert_int_eq(nestio_pasid_unbind(t, dev, P1), 0);
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, P1, 0), 0);
	ck_assert_int_eq(count_bindings(t), 1);
	t = nestio_pasid_table_unref(t);
	np = nestio_hwpt_unref(np);
	/* the device's RID still holds the nest parent */
	ck_assert(tu_kernel_has(ifd, npid));
	ck_assert_int_eq(tu_mock_pasid_check(ifd, sd, RID_CHECK, npid), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pasid-mock");
	TCase *tc = tcase_create("pasid-mock");
	tu_require_mock();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rid_first);
	tcase_add_test(tc, test_share_update_unbind);
	tcase_add_test(tc, test_update_fails);
	tcase_add_test(tc, test_replay);
	tcase_add_test(tc, test_two_devices);
	tcase_add_test(tc, test_viommu);
	tcase_add_test(tc, test_passthrough);
	tcase_add_loop_test(tc, test_unref_orders, 0, 2 * O_VIOMMU);
	tcase_add_loop_test(tc, test_unref_orders_viommu, 0, 2 * O_N);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
