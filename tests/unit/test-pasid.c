// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: the PASID binding table's bind, update and unbind,
 * hwpt sharing, bad input, and each kernel or device call failing, with
 * the logging devices of pasid-dev.h. Replay, iteration and lifetime are
 * test-pasid-replay.c.
 */
#include <stdlib.h>
#include <string.h>

#include "pasid-dev.h"

/* ---------------------------------------------- bind, update, unbind */

START_TEST(test_bind_update_unbind)
{
	struct nestio_stage1 s1 = vtd(0x1000), same = vtd(0x1000), s2 = vtd(0x2000);

	/* first bind: one allocation on the parent, PASID-compatible, for
	 * this device; then an attach, nothing else */
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	ck_assert_int_eq(tu_ncalls, 1);
	expect_alloc(0, KABI_HWPT_ALLOC_PASID, DEV_A, ID_PARENT);
	ck_assert_int_eq(nop, 1);
	expect_op(0, &A, 'A', P1, ID_N1);
	ck_assert_uint_eq(kpt(&A, P1), ID_N1);
	ck_assert_uint_eq(bound_id(&A, P1), ID_N1);
	ck_assert_ptr_eq(nestio_hwpt_get_parent(nestio_pasid_lookup(tbl, A.dev, P1)),
			 parent);
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, A.dev, P2));
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, A.dev, NESTIO_NO_PASID));
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, B.dev, P1));

	/* an identical config (another struct, same values): nothing done */
	reset_logs();
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P1, &same, 0), 0);
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P1, &s1, NESTIO_BIND_NO_SHARE), 0);
	ck_assert_int_eq(nop, 0);

	/* the table copied the config: changing ours changes nothing */
	s1.u.vtd.pgtbl_addr = 0x5000;
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P1, &same, 0), 0);
	s1.u.vtd.pgtbl_addr = 0x1000;

	/* update: allocate, replace (never detach + attach), then the old
	 * hwpt goes, after the replace */
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s2, 0), 0);
	ck_assert_int_eq(count_req(KABI_IOMMU_HWPT_ALLOC), 1);
	expect_alloc(0, KABI_HWPT_ALLOC_PASID, DEV_A, ID_PARENT);
	ck_assert_int_eq(nop, 1);
	expect_op(0, &A, 'P', P1, ID_N1 + 1);
	ck_assert_uint_eq(kpt(&A, P1), ID_N1 + 1);
	ck_assert_uint_eq(bound_id(&A, P1), ID_N1 + 1);
	ck_assert_int_eq(count_destroy(ID_N1), 1);
	ck_assert_uint_eq(tu_calls[1].request, KABI_IOMMU_DESTROY);
	ck_assert_int_eq(oplog[0].ncalls, 1);	/* the replace came first */
	ck_assert_int_eq(tu_ncalls, 2);

	/* back to the first config: a new hwpt again (the old one is gone) */
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	ck_assert_uint_eq(bound_id(&A, P1), ID_N1 + 2);
	expect_op(0, &A, 'P', P1, ID_N1 + 2);
	ck_assert_int_eq(count_destroy(ID_N1 + 1), 1);

	/* unbind: a detach, then the hwpt goes */
	reset_logs();
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, P1), 0);
	ck_assert_int_eq(nop, 1);
	expect_op(0, &A, 'X', P1, 0);
	ck_assert_uint_eq(kpt(&A, P1), 0);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_int_eq(count_destroy(ID_N1 + 2), 1);
	ck_assert_int_lt(find_ev('X', P1), find_ev('D', ID_N1 + 2));
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, A.dev, P1));

	/* not bound any more */
	reset_logs();
	EXPECT_NOIO(nestio_pasid_unbind(tbl, A.dev, P1), -ENOENT);
	EXPECT_NOIO(nestio_pasid_unbind(tbl, B.dev, NESTIO_NO_PASID), -ENOENT);
	ck_assert_int_eq(nop, 0);
}
END_TEST

/* The RID and the highest PASID are valid slots too. */
START_TEST(test_bind_rid_and_limits)
{
	struct nestio_stage1 s1 = vtd(0x1000);
	const uint32_t top = NESTIO_PASID_LIMIT - 1;

	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, NESTIO_NO_PASID, &s1, 0), 0);
	/* the RID's hwpt is PASID-compatible too: the kernel wants it so
	 * for PASIDs to attach next to it */
	expect_alloc(0, KABI_HWPT_ALLOC_PASID, DEV_A, ID_PARENT);
	expect_op(0, &A, 'A', NESTIO_NO_PASID, ID_N1);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, top, &s1, 0), 0);
	expect_op(1, &A, 'A', top, ID_N1);
	ck_assert_int_eq(tu_ncalls, 1);		/* shared with the RID */
	ck_assert_uint_eq(kpt(&A, top), ID_N1);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, 0, &s1, 0), 0);
	ck_assert_uint_eq(kpt(&A, 0), ID_N1);
	ck_assert_uint_eq(bound_id(&A, NESTIO_NO_PASID), ID_N1);
}
END_TEST

/* A slot the device is already attached at (to the parent, here) is taken
 * over with a replace: no window where DMA aborts. */
START_TEST(test_bind_attached_slot)
{
	struct nestio_stage1 s1 = vtd(0x1000);

	ck_assert_int_eq(nestio_device_attach_hwpt(A.dev, NESTIO_NO_PASID, parent), 0);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, NESTIO_NO_PASID, &s1, 0), 0);
	ck_assert_int_eq(nop, 1);
	expect_op(0, &A, 'P', NESTIO_NO_PASID, ID_N1);
	ck_assert_uint_eq(kpt(&A, NESTIO_NO_PASID), ID_N1);
	/* the kernel refuses a PASID attach (EBUSY) the library did not see
	 * coming: that error comes back, not a misleading ENOENT */
	A.k[A.nk].pasid = P2;
	A.k[A.nk++].pt = 55;
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P2, &s1, 0), -EBUSY);
	ck_assert_int_eq(nop, 1);
	expect_op(0, &A, 'A', P2, ID_N1);
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, A.dev, P2));
	ck_assert_int_eq(tu_ncalls, 0);		/* the hwpt was shared */
}
END_TEST

/* ------------------------------------------------------------ sharing */

START_TEST(test_share)
{
	struct nestio_stage1 s1 = vtd(0x1000), s2 = vtd(0x2000);
	uint32_t shared, priv;

	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P2, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, NESTIO_NO_PASID, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, B.dev, P1, &s1, 0), 0);
	/* identical configs: one hwpt, allocated for the first device */
	ck_assert_int_eq(tu_ncalls, 1);
	expect_alloc(0, KABI_HWPT_ALLOC_PASID, DEV_A, ID_PARENT);
	shared = bound_id(&A, P1);
	ck_assert_uint_eq(bound_id(&A, P2), shared);
	ck_assert_uint_eq(bound_id(&A, NESTIO_NO_PASID), shared);
	ck_assert_uint_eq(bound_id(&B, P1), shared);
	ck_assert_uint_eq(kpt(&B, P1), shared);

	/* NO_SHARE: its own hwpt, which nobody else joins */
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, 3, &s1, NESTIO_BIND_NO_SHARE), 0);
	ck_assert_int_eq(tu_ncalls, 2);
	priv = bound_id(&A, 3);
	ck_assert_uint_ne(priv, shared);
	ck_assert_int_eq(nestio_pasid_bind(tbl, B.dev, 3, &s1, 0), 0);
	ck_assert_uint_eq(bound_id(&B, 3), shared);
	ck_assert_int_eq(nestio_pasid_bind(tbl, B.dev, 4, &s1, NESTIO_BIND_NO_SHARE), 0);
	ck_assert_uint_ne(bound_id(&B, 4), priv);
	ck_assert_uint_ne(bound_id(&B, 4), shared);
	/* a different config: a different hwpt, for the binding's device */
	ck_assert_int_eq(nestio_pasid_bind(tbl, B.dev, 5, &s2, 0), 0);
	ck_assert_int_eq(tu_ncalls, 4);
	expect_alloc(3, KABI_HWPT_ALLOC_PASID, DEV_B, ID_PARENT);

	/* the shared hwpt goes with its last binding, not before */
	reset_logs();
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, P1), 0);
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, NESTIO_NO_PASID), 0);
	ck_assert_int_eq(nestio_pasid_unbind(tbl, B.dev, P1), 0);
	/* moving one away is a use less too */
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P2, &s2, 0), 0);
	ck_assert_uint_eq(kpt(&A, P2), bound_id(&B, 5));
	ck_assert_int_eq(count_destroy(shared), 0);
	ck_assert_int_eq(tu_ncalls, 0);		/* s2's hwpt was shared */
	ck_assert_int_eq(nestio_pasid_unbind(tbl, B.dev, 3), 0);
	ck_assert_int_eq(count_destroy(shared), 1);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, 3), 0);
	ck_assert_int_eq(count_destroy(priv), 1);
}
END_TEST

/* Updating to a config another binding has shares that binding's hwpt. */
START_TEST(test_update_to_shared)
{
	struct nestio_stage1 s1 = vtd(0x1000), s2 = vtd(0x2000);

	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P2, &s2, 0), 0);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s2, 0), 0);
	ck_assert_int_eq(nop, 1);
	expect_op(0, &A, 'P', P1, ID_N1 + 1);
	ck_assert_int_eq(tu_ncalls, 1);		/* no alloc, one destroy */
	ck_assert_int_eq(count_destroy(ID_N1), 1);
	ck_assert_uint_eq(bound_id(&A, P1), bound_id(&A, P2));
}
END_TEST

/* --------------------------------------------------------- bad input */

START_TEST(test_bad_input)
{
	struct nestio_stage1 s1 = vtd(0x1000), bad;
	struct nestio_pasid_table *t = (void *)&rec, *wrong = (void *)A.dev;
	struct nestio_ctx *c2 = new_ctx();
	struct nestio_hwpt *plain, *nested;
	unsigned char raw[4] = { 1, 2, 3, 4 };
	struct nestio_device *other;
	struct tdev O;

	tdev_new(c2, 12, &O);
	other = O.dev;
	plain = new_hwpt(A.dev, ioas, 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	nested = nestio_pasid_lookup(tbl, A.dev, P1);
	reset_logs();

	/* constructors */
	EXPECT_NOIO(nestio_pasid_table_new(NULL, &t), -EINVAL);
	EXPECT_NOIO(nestio_pasid_table_new(parent, NULL), -EINVAL);
	EXPECT_NOIO(nestio_pasid_table_new(plain, &t), -EINVAL);	/* no nest parent */
	EXPECT_NOIO(nestio_pasid_table_new(nested, &t), -EINVAL);
	EXPECT_NOIO(nestio_pasid_table_new((void *)A.dev, &t), -EINVAL);
	EXPECT_NOIO(nestio_pasid_table_new_viommu(NULL, &t), -EINVAL);
	EXPECT_NOIO(nestio_pasid_table_new_viommu((void *)parent, &t), -EINVAL);
	ck_assert_ptr_eq(t, (void *)&rec);	/* *out untouched */

	/* bind */
	EXPECT_NOIO(nestio_pasid_bind(NULL, A.dev, P2, &s1, 0), -EINVAL);
	EXPECT_NOIO(nestio_pasid_bind(wrong, A.dev, P2, &s1, 0), -EINVAL);
	EXPECT_NOIO(nestio_pasid_bind(tbl, NULL, P2, &s1, 0), -EINVAL);
	EXPECT_NOIO(nestio_pasid_bind(tbl, (void *)parent, P2, &s1, 0), -EINVAL);
	EXPECT_NOIO(nestio_pasid_bind(tbl, other, P2, &s1, 0), -EINVAL);	/* other ctx */
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, NESTIO_PASID_LIMIT, &s1, 0), -EINVAL);
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, UINT32_MAX - 1, &s1, 0), -EINVAL);
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P2, NULL, 0), -EINVAL);
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P2, &s1, 1u << 1), -EINVAL);
	bad = vtd(0x1234);			/* unaligned table */
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P2, &bad, 0), -EINVAL);
	bad = vtd(0x1000);
	bad.u.vtd.addr_width = 39;
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P2, &bad, 0), -EINVAL);
	bad.u.vtd.addr_width = 57;
	bad.u.vtd.flags = 1u << 7;
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P2, &bad, 0), -EINVAL);
	bad = s1;
	bad.type = 0;
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P2, &bad, 0), -EINVAL);
	memset(&bad, 0, sizeof(bad));
	bad.type = NESTIO_STAGE1_RAW;
	bad.raw_type = 0xdead;
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P2, &bad, 0), -EINVAL);	/* no data */
	bad.u.raw.data = raw;
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P2, &bad, 0), -EINVAL);	/* len 0 */
	/* a malformed update leaves the binding as it was */
	bad = vtd(0x1008);
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P1, &bad, 0), -EINVAL);
	ck_assert_ptr_eq(nestio_pasid_lookup(tbl, A.dev, P1), nested);

	/* unbind, replay, lookup, foreach */
	EXPECT_NOIO(nestio_pasid_unbind(NULL, A.dev, P1), -EINVAL);
	EXPECT_NOIO(nestio_pasid_unbind(wrong, A.dev, P1), -EINVAL);
	EXPECT_NOIO(nestio_pasid_unbind(tbl, NULL, P1), -EINVAL);
	EXPECT_NOIO(nestio_pasid_unbind(tbl, other, P1), -EINVAL);
	EXPECT_NOIO(nestio_pasid_unbind(tbl, A.dev, NESTIO_PASID_LIMIT), -EINVAL);
	EXPECT_NOIO(nestio_pasid_replay(NULL, A.dev), -EINVAL);
	EXPECT_NOIO(nestio_pasid_replay(wrong, A.dev), -EINVAL);
	EXPECT_NOIO(nestio_pasid_replay(tbl, NULL), -EINVAL);
	EXPECT_NOIO(nestio_pasid_replay(tbl, other), -EINVAL);
	EXPECT_NOIO(nestio_pasid_table_foreach(NULL, NULL, NULL), -EINVAL);
	EXPECT_NOIO(nestio_pasid_table_foreach(tbl, NULL, NULL), -EINVAL);
	ck_assert_ptr_null(nestio_pasid_lookup(NULL, A.dev, P1));
	ck_assert_ptr_null(nestio_pasid_lookup(wrong, A.dev, P1));
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, NULL, P1));
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, other, P1));
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, A.dev, NESTIO_PASID_LIMIT + P1));
	ck_assert_ptr_null(nestio_pasid_table_ref(NULL));
	ck_assert_ptr_null(nestio_pasid_table_ref(wrong));
	ck_assert_ptr_null(nestio_pasid_table_unref(NULL));
	ck_assert_ptr_null(nestio_pasid_table_unref(wrong));
	ck_assert_int_eq(nop, 0);
	ck_assert_uint_eq(kpt(&A, P1), nestio_hwpt_get_id(nested));

	nestio_device_unref(other);
	nestio_hwpt_unref(plain);
	nestio_ctx_unref(c2);
}
END_TEST

/* ----------------------------------------------------- failure paths */

START_TEST(test_fail_alloc)
{
	struct nestio_stage1 s1 = vtd(0x1000), s2 = vtd(0x2000);

	fk_fail(KABI_IOMMU_HWPT_ALLOC, ENOSPC, 1);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), -ENOSPC);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_int_eq(nop, 0);
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, A.dev, P1));
	/* and then it works */
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	ck_assert_uint_eq(bound_id(&A, P1), ID_N1);

	/* an update whose allocation fails keeps the old binding */
	reset_logs();
	fk_fail(KABI_IOMMU_HWPT_ALLOC, ENOMEM, 1);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s2, 0), -ENOMEM);
	ck_assert_int_eq(nop, 0);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_uint_eq(bound_id(&A, P1), ID_N1);
	ck_assert_uint_eq(kpt(&A, P1), ID_N1);
	/* the kept binding still counts as s1: an identical bind is a no-op */
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
}
END_TEST

START_TEST(test_fail_attach)
{
	struct nestio_stage1 s1 = vtd(0x1000);

	/* a fresh hwpt whose attach fails is destroyed again */
	A.fail_op = 'A', A.fail_pasid = P1, A.fail_err = -EIO, A.fail_times = 1;
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), -EIO);
	ck_assert_int_eq(tu_ncalls, 2);
	expect_alloc(0, KABI_HWPT_ALLOC_PASID, DEV_A, ID_PARENT);
	ck_assert_int_eq(count_destroy(ID_N1), 1);
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, A.dev, P1));
	ck_assert_uint_eq(kpt(&A, P1), 0);

	/* a shared hwpt whose attach fails for a second binding stays, and
	 * counts no use for it: it goes with the first binding */
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	B.fail_op = 'A', B.fail_any = true, B.fail_err = -EINVAL, B.fail_times = 1;
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, B.dev, P2, &s1, 0), -EINVAL);
	ck_assert_int_eq(tu_ncalls, 0);
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, B.dev, P2));
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, P1), 0);
	ck_assert_int_eq(count_destroy(ID_N1 + 1), 1);
}
END_TEST

START_TEST(test_fail_replace)
{
	struct nestio_stage1 s1 = vtd(0x1000), s2 = vtd(0x2000);

	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	reset_logs();
	A.fail_op = 'P', A.fail_pasid = P1, A.fail_err = -EIO, A.fail_times = 1;
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s2, 0), -EIO);
	/* alloc, the failed replace, destroy of the fresh one; no detach */
	ck_assert_int_eq(tu_ncalls, 2);
	ck_assert_int_eq(count_destroy(ID_N1 + 1), 1);
	ck_assert_int_eq(nop, 1);
	expect_op(0, &A, 'P', P1, ID_N1 + 1);
	/* the old binding holds, in the table and in the kernel */
	ck_assert_uint_eq(bound_id(&A, P1), ID_N1);
	ck_assert_uint_eq(kpt(&A, P1), ID_N1);
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	/* and the update works the next time */
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s2, 0), 0);
	ck_assert_uint_eq(kpt(&A, P1), ID_N1 + 2);
	ck_assert_int_eq(count_destroy(ID_N1), 1);
}
END_TEST

/* The RID of a device that cannot detach it (the kernel mock's): unbind
 * fails and keeps the binding; a slot detached behind the table's back
 * unbinds without another detach. */
START_TEST(test_unbind_fail)
{
	struct nestio_stage1 s1 = vtd(0x1000);

	A.rid_no_detach = true;
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, NESTIO_NO_PASID, &s1, 0), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, NESTIO_NO_PASID), -EOPNOTSUPP);
	ck_assert_uint_eq(bound_id(&A, NESTIO_NO_PASID), ID_N1);
	ck_assert_uint_eq(kpt(&A, NESTIO_NO_PASID), ID_N1);
	ck_assert_int_eq(tu_ncalls, 0);
	/* a failing PASID detach: the same */
	A.fail_op = 'X', A.fail_pasid = P1, A.fail_err = -EIO, A.fail_times = 1;
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, P1), -EIO);
	ck_assert_uint_eq(bound_id(&A, P1), ID_N1);

	/* detached through the device, behind the table's back */
	ck_assert_int_eq(nestio_device_detach(A.dev, P1), 0);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, P1), 0);
	ck_assert_int_eq(nop, 0);
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, A.dev, P1));
	ck_assert_int_eq(tu_ncalls, 0);		/* the RID still uses it */
}
END_TEST

/* On a kernel that refuses NESTIO_HWPT_PASID on a nested hwpt (SMMUv3),
 * RID bindings fall back to hwpts without it, once, for the table. */
/*
 * An -ENOENT from the kernel (an object lookup that failed, as fail-nth
 * shows in tests/kernel/test-failnth-events.c) means neither "detached
 * already" nor "not attached": it comes back as is, and the binding stays,
 * in the table and in the kernel.
 */
START_TEST(test_kernel_enoent)
{
	struct nestio_stage1 s1 = vtd(0x1000), s2 = vtd(0x2000);

	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	A.fail_op = 'P', A.fail_pasid = P1, A.fail_err = -ENOENT, A.fail_times = 1;
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s2, 0), -ENOENT);
	ck_assert_int_eq(nop, 1);		/* no attach tried after it */
	ck_assert_uint_eq(bound_id(&A, P1), ID_N1);
	ck_assert_uint_eq(kpt(&A, P1), ID_N1);
	A.fail_op = 'X', A.fail_pasid = P1, A.fail_err = -ENOENT, A.fail_times = 1;
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, P1), -ENOENT);
	ck_assert_uint_eq(bound_id(&A, P1), ID_N1);
	ck_assert_uint_eq(kpt(&A, P1), ID_N1);
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, P1), 0);
	ck_assert_uint_eq(kpt(&A, P1), 0);
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, A.dev, P1));
}
END_TEST

START_TEST(test_rid_without_pasid_flag)
{
	struct nestio_stage1 s1 = vtd(0x1000), s2 = vtd(0x2000);

	refuse_pasid_flag = true;
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, NESTIO_NO_PASID, &s1, 0), 0);
	ck_assert_int_eq(tu_ncalls, 2);
	expect_alloc(0, KABI_HWPT_ALLOC_PASID, DEV_A, ID_PARENT);
	expect_alloc(1, 0, DEV_A, ID_PARENT);
	ck_assert_uint_eq(kpt(&A, NESTIO_NO_PASID), ID_N1);
	/* from now on RID hwpts go without the flag straight away, and
	 * share among themselves */
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, B.dev, NESTIO_NO_PASID, &s1, 0), 0);
	ck_assert_int_eq(tu_ncalls, 0);
	ck_assert_uint_eq(kpt(&B, NESTIO_NO_PASID), ID_N1);
	ck_assert_int_eq(nestio_pasid_bind(tbl, B.dev, NESTIO_NO_PASID, &s2, 0), 0);
	ck_assert_int_eq(tu_ncalls, 1);
	expect_alloc(0, 0, DEV_B, ID_PARENT);
	/* a PASID binding needs the flag: the kernel's answer comes back */
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), -EOPNOTSUPP);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_int_eq(nop, 0);
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, A.dev, P1));
}
END_TEST

/* A RID fallback that fails too changes nothing: the next RID binding
 * asks for the flag again. */
START_TEST(test_rid_fallback_fails)
{
	struct nestio_stage1 s1 = vtd(0x1000);

	fk_fail(KABI_IOMMU_HWPT_ALLOC, EOPNOTSUPP, 2);
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, NESTIO_NO_PASID, &s1, 0),
			 -EOPNOTSUPP);
	ck_assert_int_eq(tu_ncalls, 2);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, NESTIO_NO_PASID, &s1, 0), 0);
	ck_assert_int_eq(tu_ncalls, 1);
	expect_alloc(0, KABI_HWPT_ALLOC_PASID, DEV_A, ID_PARENT);
}
END_TEST

/* ------------------------------------- pass-through (VT-d PGTT=PT) */

static int pt_seen;

static int pt_each(struct nestio_device *d, uint32_t pasid,
		   const struct nestio_stage1 *s1, struct nestio_hwpt *hwpt,
		   void *data)
{
	(void)data;
	if (d == A.dev && pasid == P1) {
		ck_assert_uint_eq(s1->type, NESTIO_STAGE1_PASSTHROUGH);
		ck_assert_ptr_eq(hwpt, parent);
		pt_seen++;
	}
	return 0;
}

START_TEST(test_passthrough)
{
	struct nestio_stage1 pt = { .type = NESTIO_STAGE1_PASSTHROUGH };
	struct nestio_stage1 pt2 = { .type = NESTIO_STAGE1_PASSTHROUGH,
				     .u.vtd.pgtbl_addr = 0x9000 };
	struct nestio_stage1 s1 = vtd(0x1000);
	struct nestio_hwpt *h = NULL;

	/* a PT binding attaches the nest parent itself: no allocation */
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &pt, 0), 0);
	ck_assert_int_eq(tu_ncalls, 0);
	ck_assert_int_eq(nop, 1);
	expect_op(0, &A, 'A', P1, ID_PARENT);
	ck_assert_uint_eq(kpt(&A, P1), ID_PARENT);
	ck_assert_ptr_eq(nestio_pasid_lookup(tbl, A.dev, P1), parent);
	/* the rest of s1 is not looked at: the same binding */
	reset_logs();
	EXPECT_NOIO(nestio_pasid_bind(tbl, A.dev, P1, &pt2, NESTIO_BIND_NO_SHARE), 0);
	ck_assert_int_eq(nop, 0);
	/* the RID and another device share it, NO_SHARE or not */
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, NESTIO_NO_PASID, &pt,
					   NESTIO_BIND_NO_SHARE), 0);
	ck_assert_int_eq(nestio_pasid_bind(tbl, B.dev, P2, &pt, 0), 0);
	ck_assert_int_eq(tu_ncalls, 0);
	ck_assert_uint_eq(kpt(&A, NESTIO_NO_PASID), ID_PARENT);
	ck_assert_uint_eq(kpt(&B, P2), ID_PARENT);

	/* foreach reports it with its type and the nest parent */
	ck_assert_int_eq(nestio_pasid_table_foreach(tbl, pt_each, NULL), 0);
	ck_assert_int_eq(pt_seen, 1);

	/* replay puts it back after a reset */
	kforget(&A, P1);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_replay(tbl, A.dev), 2);
	ck_assert_uint_eq(kpt(&A, P1), ID_PARENT);
	ck_assert_int_eq(tu_ncalls, 0);

	/* PT -> a stage 1: allocate and replace; and back: replace onto the
	 * parent, and the nested hwpt goes; the parent never does */
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &s1, 0), 0);
	expect_alloc(0, KABI_HWPT_ALLOC_PASID, DEV_A, ID_PARENT);
	expect_op(0, &A, 'P', P1, ID_N1);
	reset_logs();
	ck_assert_int_eq(nestio_pasid_bind(tbl, A.dev, P1, &pt, 0), 0);
	expect_op(0, &A, 'P', P1, ID_PARENT);
	ck_assert_int_eq(count_destroy(ID_N1), 1);
	ck_assert_int_eq(count_destroy(ID_PARENT), 0);

	/* unbind removes it; the other PT bindings stay */
	reset_logs();
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, P1), 0);
	expect_op(0, &A, 'X', P1, 0);
	ck_assert_uint_eq(kpt(&A, P1), 0);
	ck_assert_ptr_null(nestio_pasid_lookup(tbl, A.dev, P1));
	ck_assert_ptr_eq(nestio_pasid_lookup(tbl, B.dev, P2), parent);
	ck_assert_int_eq(nestio_pasid_unbind(tbl, B.dev, P2), 0);
	ck_assert_int_eq(nestio_pasid_unbind(tbl, A.dev, NESTIO_NO_PASID), 0);
	ck_assert_int_eq(count_destroy(ID_PARENT), 0);
	ck_assert_uint_eq(nestio_hwpt_get_id(parent), ID_PARENT);

	/* no nested hwpt takes it */
	EXPECT_NOIO(nestio_hwpt_new_nested(A.dev, parent, &pt, NULL, &h), -EINVAL);
	ck_assert_ptr_null(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pasid");
	TCase *tc = fk_tcase(s, "pasid", pasid_setup, pasid_teardown);

	tcase_add_test(tc, test_bind_update_unbind);
	tcase_add_test(tc, test_bind_rid_and_limits);
	tcase_add_test(tc, test_bind_attached_slot);
	tcase_add_test(tc, test_share);
	tcase_add_test(tc, test_update_to_shared);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_fail_alloc);
	tcase_add_test(tc, test_fail_attach);
	tcase_add_test(tc, test_fail_replace);
	tcase_add_test(tc, test_unbind_fail);
	tcase_add_test(tc, test_kernel_enoent);
	tcase_add_test(tc, test_rid_without_pasid_flag);
	tcase_add_test(tc, test_rid_fallback_fails);
	tcase_add_test(tc, test_passthrough);
	return tu_run(s);
}
