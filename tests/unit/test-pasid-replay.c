// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: the PASID binding table's replay, iteration, re-entry
 * from device operations, references and pins, release callbacks, a table
 * on a vIOMMU, every unref order, and VFIO cdev devices, with the logging
 * devices of pasid-dev.h.
 */
#include <string.h>

#include "pasid-dev.h"

/* -------------------------------------------------------------- replay */

START_TEST(test_replay)
{
	struct nestio_stage1 s1 = vtd(0x1000), s2 = vtd(0x2000);

	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, 5, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, B.dev, P1, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s2, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, NESTIO_NO_PASID, &s1, 0), 0);

	/* one replace per binding of that device, RID first, no ioctl */
	reset_logs();
	ck_assert_int_eq(nestio_pasid_replay(tbl, A.dev), 3);
	ck_assert_int_eq(tu_ncalls, 0);
	ck_assert_int_eq(nop, 3);
	expect_op(0, &A, 'P', NESTIO_NO_PASID, ID_N1);
	expect_op(1, &A, 'P', P1, ID_N1 + 1);
	expect_op(2, &A, 'P', 5, ID_N1);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_replay(tbl, B.dev), 1);
	ck_assert_int_eq(nop, 1);
	expect_op(0, &B, 'P', P1, ID_N1);

	/* a slot detached through the device is attached again */
	ck_assert_int_eq(nestio_device_detach(A.dev, 5), 0);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_replay(tbl, A.dev), 3);
	ck_assert_int_eq(nop, 3);
	expect_op(2, &A, 'A', 5, ID_N1);
	ck_assert_uint_eq(kpt(&A, 5), ID_N1);

	/* a slot the kernel lost (a reset): the replace is refused (EINVAL),
	 * so it is detached in the bookkeeping (a no-op in the kernel) and
	 * attached again */
	kforget(&A, P1);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_replay(tbl, A.dev), 3);
	ck_assert_int_eq(nop, 5);
	expect_op(1, &A, 'P', P1, ID_N1 + 1);
	expect_op(2, &A, 'X', P1, 0);
	expect_op(3, &A, 'A', P1, ID_N1 + 1);
	ck_assert_uint_eq(kpt(&A, P1), ID_N1 + 1);
	ck_assert_int_eq(tu_ncalls, 0);		/* no hwpt lost or made */

	/* a failure does not stop the others; the first error comes back */
	A.fail_op = 'P', A.fail_any = true, A.fail_err = -EIO, A.fail_times = 2;
	reset_logs();
	ck_assert_int_eq(nestio_pasid_replay(tbl, A.dev), -EIO);
	ck_assert_int_eq(nop, 3);
	ck_assert_int_eq(oplog[0].r, -EIO);
	ck_assert_int_eq(oplog[1].r, -EIO);
	ck_assert_int_eq(oplog[2].r, 0);
	expect_op(2, &A, 'P', 5, ID_N1);
	/* the bindings are all still there */
	ck_assert_uint_eq(bound_id(&A, NESTIO_NO_PASID), ID_N1);
	ck_assert_uint_eq(bound_id(&A, P1), ID_N1 + 1);

	/* a slot the kernel lost, whose detach in the bookkeeping meets an
	 * -ENOENT of the kernel (a failed lookup: fail-nth shows it): that
	 * error comes back, not an -EBUSY of a retried attach, and the slot
	 * stays tracked; the next replay puts it back */
	kforget(&A, P1);
	A.fail_op = 'X', A.fail_pasid = P1, A.fail_any = false;
	A.fail_err = -ENOENT, A.fail_times = 1;
	reset_logs();
	ck_assert_int_eq(nestio_pasid_replay(tbl, A.dev), -ENOENT);
	ck_assert_int_eq(nop, 4);
	expect_op(2, &A, 'X', P1, 0);
	ck_assert_int_eq(oplog[2].r, -ENOENT);
	ck_assert_int_eq(nestio_pasid_replay(tbl, A.dev), 3);
	ck_assert_uint_eq(kpt(&A, P1), ID_N1 + 1);

	/* a device with no binding: nothing to do */
	ck_assert_int_eq(nestio_pasid_unbind(tbl, B.dev, P1), 0);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_replay(tbl, B.dev), 0);
	ck_assert_int_eq(nop, 0);
}
END_TEST

/* ---------------------------------------------------------- foreach */

struct seen {
	int n, stop_at, ret;
	struct nestio_device *dev[16];
	uint32_t pasid[16];
	uint32_t hwpt[16];
	uint64_t pgtbl[16];
	int reentry[4];
	bool unref_table;
};

static int collect(struct nestio_device *d, uint32_t pasid,
		   const struct nestio_stage1 *s1, struct nestio_hwpt *hwpt,
		   void *data)
{
	struct seen *s = data;
	struct nestio_stage1 x = vtd(0x9000);

	s->dev[s->n] = d;
	s->pasid[s->n] = pasid;
	s->hwpt[s->n] = nestio_hwpt_get_id(hwpt);
	s->pgtbl[s->n] = s1->u.vtd.pgtbl_addr;
	if (s->n == 0) {
		/* modifying the table from here is refused */
		s->reentry[0] = nestio_pasid_bind(tbl, d, 77, &x, 0);
		s->reentry[1] = nestio_pasid_bind(tbl, d, pasid, &x, 0);
		s->reentry[2] = nestio_pasid_unbind(tbl, d, pasid);
		s->reentry[3] = nestio_pasid_replay(tbl, d);
		if (s->unref_table)
			nestio_pasid_table_unref(tbl);
	}
	return ++s->n == s->stop_at ? s->ret : 0;
}

START_TEST(test_foreach)
{
	struct nestio_stage1 s1 = vtd(0x1000), s2 = vtd(0x2000);
	struct seen s = { .stop_at = -1 };

	/* bound out of order: A sorts after B (dev_id 7 > 3) */
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, 9, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, B.dev, P2, &s2, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, NESTIO_NO_PASID, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s2, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, B.dev, NESTIO_NO_PASID, &s1, 0), 0);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_table_foreach(tbl, collect, &s), 0);
	ck_assert_int_eq(s.n, 5);
	ck_assert_ptr_eq(s.dev[0], B.dev);
	ck_assert_uint_eq(s.pasid[0], NESTIO_NO_PASID);
	ck_assert_ptr_eq(s.dev[1], B.dev);
	ck_assert_uint_eq(s.pasid[1], P2);
	ck_assert_ptr_eq(s.dev[2], A.dev);
	ck_assert_uint_eq(s.pasid[2], NESTIO_NO_PASID);
	ck_assert_ptr_eq(s.dev[3], A.dev);
	ck_assert_uint_eq(s.pasid[3], P1);
	ck_assert_ptr_eq(s.dev[4], A.dev);
	ck_assert_uint_eq(s.pasid[4], 9);
	/* each with its config and hwpt */
	ck_assert_uint_eq(s.pgtbl[1], 0x2000);
	ck_assert_uint_eq(s.pgtbl[4], 0x1000);
	ck_assert_uint_eq(s.hwpt[4], ID_N1);
	ck_assert_uint_eq(s.hwpt[3], ID_N1 + 1);
	/* re-entrant modification: refused, nothing done */
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(s.reentry[i], -EBUSY);
	ck_assert_int_eq(tu_ncalls, 0);
	ck_assert_int_eq(nop, 0);
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, B.dev, 77));
	/* and it works again afterwards */
	ck_assert_int_eq(nestio_pasid_replay(tbl, B.dev), 2);

	/* early stop: fn's value comes back */
	memset(&s, 0, sizeof(s));
	s.stop_at = 3;
	s.ret = 42;
	ck_assert_int_eq(nestio_pasid_table_foreach(tbl, collect, &s), 42);
	ck_assert_int_eq(s.n, 3);
	s = (struct seen){ .stop_at = 1, .ret = -5 };
	ck_assert_int_eq(nestio_pasid_table_foreach(tbl, collect, &s), -5);
	ck_assert_int_eq(s.n, 1);

	/* an empty table: fn is never called */
	{
		struct nestio_pasid_table *t2 = NULL;

		ck_assert_int_eq(nestio_pasid_table_new(parent, &t2), 0);
		s = (struct seen){ .stop_at = 1, .ret = 9 };
		ck_assert_int_eq(nestio_pasid_table_foreach(t2, collect, &s), 0);
		ck_assert_int_eq(s.n, 0);
		nestio_pasid_table_unref(t2);
	}
}
END_TEST

/* fn drops the last reference: the walk finishes, then the table goes */
START_TEST(test_foreach_unref)
{
	struct nestio_stage1 s1 = vtd(0x1000);
	struct seen s = { .stop_at = -1, .unref_table = true };

	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P2, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_table_foreach(tbl, collect, &s), 0);
	ck_assert_int_eq(s.n, 2);
	tbl = NULL;
	/* the bindings stay with the device; its unref takes them down */
	ck_assert_uint_eq(kpt(&A, P1), ID_N1);
	reset_logs();
	A.dev = nestio_device_unref(A.dev);
	ck_assert_int_eq(count_ev('X'), 2);
	ck_assert_int_eq(count_destroy(ID_N1), 1);
}
END_TEST

/* A device's operations calling back into the table: modifying calls are
 * refused; dropping the table's last reference is safe. */
static int hook_r[3];

static void reenter(struct tdev *td)
{
	struct nestio_stage1 x = vtd(0x8000);

	hook_r[0] = nestio_pasid_bind(tbl, td->dev, 9, &x, 0);
	hook_r[1] = nestio_pasid_unbind(tbl, td->dev, P1);
	hook_r[2] = nestio_pasid_replay(tbl, td->dev);
	tbl = nestio_pasid_table_unref(tbl);	/* the only reference */
}

START_TEST(test_reentrant_ops)
{
	struct nestio_stage1 s1 = vtd(0x1000);

	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	A.hook = reenter;
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P2, &s1, 0), 0);
	A.hook = NULL;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(hook_r[i], -EBUSY);
	ck_assert_ptr_null(tbl);
	/* only the outer attach happened; the table is gone and left both
	 * bindings in place */
	ck_assert_int_eq(nop, 1);
	expect_op(0, &A, 'A', P2, ID_N1);
	ck_assert_uint_eq(kpt(&A, P1), ID_N1);
	ck_assert_uint_eq(kpt(&A, P2), ID_N1);
	ck_assert_int_eq(fk_nev, 0);
	A.dev = nestio_device_unref(A.dev);
	ck_assert_int_eq(count_ev('X'), 2);
	ck_assert_int_eq(count_destroy(ID_N1), 1);
}
END_TEST

/* ---------------------------------------------------------- lifetime */

START_TEST(test_refs_and_pins)
{
	struct nestio_stage1 s1 = vtd(0x1000);
	struct nestio_device *d;

	ck_assert_ptr_eq(nestio_pasid_table_ref(tbl), tbl);
	ck_assert_ptr_null(nestio_pasid_table_unref(tbl));
	/* still usable: one reference left */
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	/* the table pins its parent and the devices it binds */
	parent = nestio_hwpt_unref(parent);
	d = A.dev;
	A.dev = nestio_device_unref(A.dev);
	ck_assert_int_eq(fk_nev, 0);
	ck_assert_ptr_nonnull(nestio_pasid_lookup(tbl, d, P1));
	ck_assert_int_eq(nestio_pasid_replay(tbl, d), 1);
	ck_assert_uint_eq(kpt(&A, P1), ID_N1);
	reset_logs();
	tbl = nestio_pasid_table_unref(tbl);
	/* the table's last unref dropped the device's last reference: the
	 * device detached, then released, then the hwpts went, nested first */
	ck_assert_int_eq(find_ev('X', P1), 0);
	ck_assert_int_eq(find_ev('R', DEV_A), 1);
	ck_assert_int_eq(find_ev('D', ID_N1), 2);
	ck_assert_int_eq(find_ev('D', ID_PARENT), 3);
	ck_assert_int_eq(fk_nev, 4);
}
END_TEST

/*
 * A device's release may call back into the table (and into itself) while
 * the table's last unref is dropping it: the table is gone for it then, and
 * neither a ref/unref pair on the table nor on the device frees anything a
 * second time (both did, before: a double free).
 */
static struct nestio_pasid_table *dying;
static int cb_calls, rel_foreach, rel_ref_ok, rel_dev_ref_ok;

static int count_cb(struct nestio_device *d, uint32_t pasid,
		    const struct nestio_stage1 *s1, struct nestio_hwpt *h, void *x)
{
	(void)d; (void)pasid; (void)s1; (void)h; (void)x;
	return ++cb_calls, 0;
}

static int cb_attach(struct nestio_device *d, uint32_t pasid, uint32_t pt, void *u)
{
	(void)d; (void)pasid; (void)pt; (void)u;
	return 0;
}

static void cb_release(struct nestio_device *d, void *u)
{
	(void)u;
	rel_foreach = nestio_pasid_table_foreach(dying, count_cb, NULL);
	rel_ref_ok = nestio_pasid_table_ref(dying) != NULL;
	nestio_pasid_table_unref(dying);
	rel_dev_ref_ok = nestio_device_ref(d) != NULL;
	nestio_device_unref(d);
}

START_TEST(test_release_calls_back)
{
	static const struct nestio_device_ops ops = {
		.sz = sizeof(ops), .attach = cb_attach, .replace = cb_attach,
		.detach = NULL, .release = cb_release,
	};
	struct nestio_stage1 s1 = vtd(0x1000);
	struct nestio_device *c = NULL;

	ck_assert_int_eq(nestio_device_new_from_id(ctx, 42, &ops, NULL, &c), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, c, NESTIO_NO_PASID, &s1, 0), 0);
	c = nestio_device_unref(c);	/* the table holds the last reference */
	dying = tbl;
	tbl = nestio_pasid_table_unref(tbl);
	ck_assert_int_eq(rel_foreach, -EINVAL);
	ck_assert_int_eq(cb_calls, 0);
	ck_assert_int_eq(rel_ref_ok, 0);
	ck_assert_int_eq(rel_dev_ref_ok, 0);
}
END_TEST

/* A table on a vIOMMU allocates its hwpts there. */
START_TEST(test_viommu_table)
{
	struct nestio_stage1 s1 = vtd(0x1000);
	struct nestio_pasid_table *t = NULL;
	struct nestio_viommu *v = NULL, *vp;
	uint32_t vid;

	ck_assert_int_eq(nestio_viommu_new(A.dev, parent, NESTIO_VIOMMU_ARM_SMMUV3,
					   NULL, &v), 0);
	vid = nestio_viommu_get_id(v);
	ck_assert_uint_eq(vid, ID_N1);
	ck_assert_int_eq(nestio_pasid_table_new_viommu(v, &t), 0);
	vp = v;
	v = nestio_viommu_unref(v);		/* pinned by the table */
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(t, B.dev, P1, &s1, 0), 0);
	ck_assert_int_eq(tu_ncalls, 1);
	expect_alloc(0, KABI_HWPT_ALLOC_PASID, DEV_B, vid);
	ck_assert_ptr_eq(nestio_hwpt_get_viommu(nestio_pasid_lookup(t, B.dev, P1)), vp);
	ck_assert_ptr_null(nestio_hwpt_get_parent(nestio_pasid_lookup(t, B.dev, P1)));
	ck_assert_int_eq(nestio_pasid_unbind(t, B.dev, P1), 0);
	ck_assert_int_eq(count_destroy(ID_N1 + 1), 1);
	ck_assert_int_eq(count_destroy(vid), 0);
	t = nestio_pasid_table_unref(t);
	ck_assert_int_eq(count_destroy(vid), 1);
}
END_TEST

enum { U_TABLE, U_DEV, U_PARENT };

static struct tdev C;

/*
 * A table over its own parent (on its own IOAS), with the RID and two
 * PASIDs of one device bound to two hwpts; unref table, device and parent
 * in the given order, then the IOAS. Whatever the order: nothing happens
 * to the device until both the table and the device are gone (the table
 * leaves its bindings attached; the device's last unref detaches them);
 * every slot is detached, PASIDs first, while the device is bound; each
 * object is destroyed once, after the detaches, nested hwpts before the
 * parent before the IOAS.
 */
static void unref_run(const int order[3], bool vfio)
{
	struct nestio_stage1 s1 = vtd(0x1000), s2 = vtd(0x2000);
	struct nestio_pasid_table *t = NULL;
	struct nestio_ioas *i = new_ioas(ctx);
	struct nestio_device *d;
	struct nestio_hwpt *p;
	int x1, x2, xr, dn1, dn2, dp, di;
	uint32_t n1, n2, pid, iid = nestio_ioas_get_id(i);

	if (vfio) {
		d = new_vfio(ctx);
	} else {
		tdev_new(ctx, 21, &C);
		d = C.dev;
	}
	p = new_hwpt(d, i, NESTIO_HWPT_NEST_PARENT);
	pid = nestio_hwpt_get_id(p);
	ck_assert_int_eq(nestio_pasid_table_new(p, &t), 0);
	ck_assert_int_eq(nestio_pasid_bind(t, d, NESTIO_NO_PASID, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(t, d, P1, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(t, d, P2, &s2, 0), 0);
	n1 = nestio_hwpt_get_id(nestio_pasid_lookup(t, d, P1));
	n2 = nestio_hwpt_get_id(nestio_pasid_lookup(t, d, P2));
	ck_assert_uint_ne(n1, n2);
	fk_watch_fd = vfio ? nestio_device_get_fd(d) : -1;
	reset_logs();
	for (int k = 0; k < 3; k++) {
		bool pending = false;

		for (int j = k + 1; j < 3; j++)
			pending |= order[j] == U_DEV || order[j] == U_TABLE;
		switch (order[k]) {
		case U_TABLE: t = nestio_pasid_table_unref(t); break;
		case U_DEV: d = nestio_device_unref(d); break;
		case U_PARENT: p = nestio_hwpt_unref(p); break;
		}
		if (pending)
			ck_assert_msg(fk_nev == 0, "step %d: %d event(s) early", k,
				      fk_nev);
	}
	x1 = find_ev('X', P1);
	x2 = find_ev('X', P2);
	xr = find_ev('X', NESTIO_NO_PASID);
	dn1 = find_ev('D', n1);
	dn2 = find_ev('D', n2);
	dp = find_ev('D', pid);
	ck_assert_int_eq(count_ev('X'), 3);
	ck_assert_int_ge(x1, 0);
	ck_assert_int_ge(x2, 0);
	ck_assert_int_gt(xr, x1);
	ck_assert_int_gt(xr, x2);
	ck_assert_int_eq(count_destroy(n1), 1);
	ck_assert_int_eq(count_destroy(n2), 1);
	ck_assert_int_eq(count_destroy(pid), 1);
	ck_assert_int_eq(count_ev('D'), 3);
	ck_assert_int_gt(dn1, xr);
	ck_assert_int_gt(dn2, xr);
	ck_assert_int_gt(dp, dn1);
	ck_assert_int_gt(dp, dn2);
	if (vfio) {
		/* the detaches went to the device while it was still open */
		ck_assert(fk_ev[x1].watch_open && fk_ev[x2].watch_open &&
			  fk_ev[xr].watch_open);
		ck_assert(!fk_ev[dn1].watch_open);
	} else {
		ck_assert_int_gt(find_ev('R', 21), xr);
		ck_assert_int_lt(find_ev('R', 21), dn1);
		ck_assert_int_lt(find_ev('R', 21), dn2);
		ck_assert_int_eq(count_ev('R'), 1);
	}
	i = nestio_ioas_unref(i);
	di = find_ev('D', iid);
	ck_assert_int_gt(di, dp);
	ck_assert_int_eq(count_destroy(iid), 1);
}

static const int orders[6][3] = {
	{ U_TABLE, U_DEV, U_PARENT }, { U_TABLE, U_PARENT, U_DEV },
	{ U_DEV, U_TABLE, U_PARENT }, { U_DEV, U_PARENT, U_TABLE },
	{ U_PARENT, U_TABLE, U_DEV }, { U_PARENT, U_DEV, U_TABLE },
};

START_TEST(test_unref_orders_ops)
{
	unref_run(orders[_i], false);
}
END_TEST

START_TEST(test_unref_orders_vfio)
{
	unref_run(orders[_i], true);
}
END_TEST

/* A VFIO device: the table's calls become the cdev's ioctls (VFIO's attach
 * replaces an attached slot atomically). */
START_TEST(test_vfio_ioctls)
{
	struct nestio_stage1 s1 = vtd(0x1000), s2 = vtd(0x2000);
	struct nestio_device *d = new_vfio(ctx);
	int fd = nestio_device_get_fd(d);
	uint32_t id = nestio_device_get_id(d);

	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, d, 3, &s1, 0), 0);
	ck_assert_int_eq(tu_ncalls, 2);
	expect_alloc(0, KABI_HWPT_ALLOC_PASID, id, ID_PARENT);
	EXPECT_VFIO(1, fd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		    kabi_vfio_device_attach_iommufd_pt,
		    .flags = KABI_VFIO_DEVICE_ATTACH_PASID, .pt_id = ID_N1 + 1,
		    .pasid = 3);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, d, 3, &s2, 0), 0);
	ck_assert_int_eq(tu_ncalls, 3);
	EXPECT_VFIO(1, fd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		    kabi_vfio_device_attach_iommufd_pt,
		    .flags = KABI_VFIO_DEVICE_ATTACH_PASID, .pt_id = ID_N1 + 2,
		    .pasid = 3);
	EXPECT_IOMMU(2, KABI_IOMMU_DESTROY, kabi_destroy, .id = ID_N1 + 1);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_replay(tbl, d), 1);
	ck_assert_int_eq(tu_ncalls, 1);
	EXPECT_VFIO(0, fd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		    kabi_vfio_device_attach_iommufd_pt,
		    .flags = KABI_VFIO_DEVICE_ATTACH_PASID, .pt_id = ID_N1 + 2,
		    .pasid = 3);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_unbind(tbl, d, 3), 0);
	ck_assert_int_eq(tu_ncalls, 2);
	EXPECT_VFIO(0, fd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT,
		    kabi_vfio_device_detach_iommufd_pt,
		    .flags = KABI_VFIO_DEVICE_DETACH_PASID, .pasid = 3);
	EXPECT_IOMMU(1, KABI_IOMMU_DESTROY, kabi_destroy, .id = ID_N1 + 2);
	nestio_device_unref(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pasid-replay");
	TCase *tc = fk_tcase(s, "pasid-replay", pasid_setup, pasid_teardown);

	tcase_add_test(tc, test_replay);
	tcase_add_test(tc, test_foreach);
	tcase_add_test(tc, test_foreach_unref);
	tcase_add_test(tc, test_reentrant_ops);
	tcase_add_test(tc, test_refs_and_pins);
	tcase_add_test(tc, test_release_calls_back);
	tcase_add_test(tc, test_viommu_table);
	tcase_add_loop_test(tc, test_unref_orders_ops, 0, 6);
	tcase_add_loop_test(tc, test_unref_orders_vfio, 0, 6);
	tcase_add_test(tc, test_vfio_ioctls);
	return tu_run(s);
}
