// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: the PASID binding table. The fake kernel answers
 * HWPT_ALLOC with ids and logs destroys; the devices here bring their own
 * operations, which keep a fake kernel view of their slots (what is attached
 * at each PASID) and log every call, so a test sees the exact sequence of
 * attach / replace / detach the table makes, and can make any one fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakekernel.h"

/* ------------------------------------------------ devices with a log */

struct tdev {
	struct nestio_device *dev;
	/* the fake kernel's view: what each attached slot is on */
	struct {
		uint32_t pasid, pt;
	} k[32];
	int nk;
	bool rid_no_detach;	/* like the mock: no RID detach */
	/* make the next fail_times calls of fail_op ('A', 'P', 'X') at
	 * fail_pasid (or any PASID if fail_any) return fail_err */
	char fail_op;
	bool fail_any;
	void (*hook)(struct tdev *td);	/* called in attach */
	uint32_t fail_pasid;
	int fail_err, fail_times;
};

struct opev {
	struct tdev *td;
	char op;		/* 'A' attach, 'P' replace, 'X' detach */
	uint32_t pasid, pt;
	int r;
	int ncalls;		/* ioctls made before it */
};

static struct opev oplog[128];
static int nop;

static int kslot(struct tdev *td, uint32_t pasid)
{
	for (int i = 0; i < td->nk; i++)
		if (td->k[i].pasid == pasid)
			return i;
	return -1;
}

/* what the fake kernel has at a slot: a pt id, or 0 */
static uint32_t kpt(struct tdev *td, uint32_t pasid)
{
	int i = kslot(td, pasid);

	return i < 0 ? 0 : td->k[i].pt;
}

/* the fake kernel forgets a slot behind everyone's back (a reset) */
static void kforget(struct tdev *td, uint32_t pasid)
{
	int i = kslot(td, pasid);

	ck_assert_int_ge(i, 0);
	td->k[i] = td->k[--td->nk];
}

static int injected(struct tdev *td, char op, uint32_t pasid)
{
	if (td->fail_times && td->fail_op == op &&
	    (td->fail_any || td->fail_pasid == pasid)) {
		td->fail_times--;
		return td->fail_err;
	}
	return 0;
}

static int logged(struct tdev *td, char op, uint32_t pasid, uint32_t pt, int r)
{
	if (nop < (int)ARRAY_SIZE(oplog))
		oplog[nop++] = (struct opev){ td, op, pasid, pt, r, tu_ncalls };
	return r;
}

static int t_attach(struct nestio_device *d, uint32_t pasid, uint32_t pt,
		    void *userdata)
{
	struct tdev *td = userdata;
	int r = injected(td, 'A', pasid);

	(void)d;
	if (td->hook)
		td->hook(td);
	if (!r && kslot(td, pasid) >= 0)
		r = -EBUSY;
	if (!r) {
		ck_assert_int_lt(td->nk, (int)ARRAY_SIZE(td->k));
		td->k[td->nk].pasid = pasid;
		td->k[td->nk++].pt = pt;
	}
	return logged(td, 'A', pasid, pt, r);
}

static int t_replace(struct nestio_device *d, uint32_t pasid, uint32_t pt,
		     void *userdata)
{
	struct tdev *td = userdata;
	int r = injected(td, 'P', pasid), i = kslot(td, pasid);

	(void)d;
	if (!r && i < 0)
		r = -EINVAL;	/* the kernel: nothing attached there */
	if (!r)
		td->k[i].pt = pt;
	return logged(td, 'P', pasid, pt, r);
}

static int t_detach(struct nestio_device *d, uint32_t pasid, void *userdata)
{
	struct tdev *td = userdata;
	int r = injected(td, 'X', pasid), i = kslot(td, pasid);

	(void)d;
	if (!r && pasid == NESTIO_NO_PASID && td->rid_no_detach)
		r = -EOPNOTSUPP;
	if (!r && i >= 0)	/* the kernel: nothing attached is a no-op */
		td->k[i] = td->k[--td->nk];
	if (!r)
		fk_event('X', pasid, -1);
	return logged(td, 'X', pasid, 0, r);
}

static void t_release(struct nestio_device *d, void *userdata)
{
	(void)userdata;
	fk_event('R', nestio_device_get_id(d), -1);
}

static const struct nestio_device_ops t_ops = {
	.sz = sizeof(t_ops),
	.attach = t_attach,
	.replace = t_replace,
	.detach = t_detach,
	.release = t_release,
};

static void tdev_new(struct nestio_ctx *c, uint32_t dev_id, struct tdev *td)
{
	memset(td, 0, sizeof(*td));
	ck_assert_int_eq(nestio_device_new_from_id(c, dev_id, &t_ops, td,
						   &td->dev), 0);
}

/* oplog[i] is op at pasid on pt (pt 0: any) of td */
static void expect_op(int i, struct tdev *td, char op, uint32_t pasid, uint32_t pt)
{
	ck_assert_msg(i < nop, "no device call %d (%d made)", i, nop);
	ck_assert_msg(oplog[i].td == td && oplog[i].op == op &&
		      oplog[i].pasid == pasid && (!pt || oplog[i].pt == pt),
		      "device call %d: %c pasid %d pt %u, want %c pasid %d pt %u",
		      i, oplog[i].op, (int)oplog[i].pasid, oplog[i].pt, op,
		      (int)pasid, pt);
}

/* ----------------------------------------------------------- fixture */

#define ID_IOAS 100u
#define ID_PARENT 101u
#define ID_N1 102u		/* the first nested hwpt the table allocates */
#define DEV_A 7u
#define DEV_B 3u		/* sorts before A */
#define P1 1u
#define P2 2u

static struct tdev A, B;
static struct nestio_hwpt *parent;
static struct nestio_pasid_table *tbl;
static bool refuse_pasid_flag;	/* HWPT_ALLOC with the PASID flag: EOPNOTSUPP */

static int answer(int fd, unsigned long request, void *arg)
{
	if (request == KABI_IOMMU_VIOMMU_ALLOC && !fk_fail_left) {
		((struct kabi_viommu_alloc *)arg)->out_viommu_id = fk_next_id++;
		return 0;
	}
	if (request == KABI_IOMMU_HWPT_ALLOC && refuse_pasid_flag &&
	    ((struct kabi_hwpt_alloc *)arg)->flags & KABI_HWPT_ALLOC_PASID) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return fake_kernel(fd, request, arg);
}

static void reset_logs(void)
{
	tu_ncalls = 0;
	fk_nev = 0;
	nop = 0;
}

static void setup(void)
{
	setup_seam();
	tu_seam_answer = answer;
	refuse_pasid_flag = false;
	ioas = new_ioas(ctx);
	tdev_new(ctx, DEV_A, &A);
	tdev_new(ctx, DEV_B, &B);
	parent = new_hwpt(A.dev, ioas, NESTIO_HWPT_NEST_PARENT);
	ck_assert_uint_eq(nestio_hwpt_get_id(parent), ID_PARENT);
	ck_assert_int_eq(nestio_pasid_table_new(parent, &tbl), 0);
	reset_logs();
}

static void teardown(void)
{
	tbl = nestio_pasid_table_unref(tbl);
	A.dev = nestio_device_unref(A.dev);
	B.dev = nestio_device_unref(B.dev);
	parent = nestio_hwpt_unref(parent);
	ioas = nestio_ioas_unref(ioas);
	teardown_seam();
}

static struct nestio_stage1 vtd(uint64_t pgtbl)
{
	struct nestio_stage1 s1;

	memset(&s1, 0, sizeof(s1));
	s1.type = NESTIO_STAGE1_VTD;
	s1.u.vtd.pgtbl_addr = pgtbl;
	s1.u.vtd.addr_width = 48;
	return s1;
}

static const struct kabi_hwpt_alloc *call_alloc(int i)
{
	ck_assert_msg(i < tu_ncalls, "no call %d (%d made)", i, tu_ncalls);
	ck_assert_msg(tu_calls[i].request == KABI_IOMMU_HWPT_ALLOC,
		      "call %d: %s, want IOMMU_HWPT_ALLOC", i,
		      nio_ioctl_name(tu_calls[i].request));
	return (const struct kabi_hwpt_alloc *)tu_calls[i].arg;
}

/* call i is a HWPT_ALLOC of a VT-d stage 1 on pt_id for dev_id */
static void expect_alloc(int i, uint32_t flags, uint32_t dev_id, uint32_t pt_id)
{
	const struct kabi_hwpt_alloc *c = call_alloc(i);

	ck_assert_uint_eq(c->flags, flags);
	ck_assert_uint_eq(c->dev_id, dev_id);
	ck_assert_uint_eq(c->pt_id, pt_id);
	ck_assert_uint_eq(c->data_type, KABI_HWPT_DATA_VTD_S1);
	ck_assert_uint_eq(c->data_len, sizeof(struct kabi_hwpt_vtd_s1));
	ck_assert_uint_eq(c->fault_id, 0);
}

static int count_req(unsigned long request)
{
	int n = 0;

	for (int i = 0; i < tu_ncalls; i++)
		n += tu_calls[i].request == request;
	return n;
}

static int count_destroy(uint32_t id)
{
	int n = 0;

	for (int k = 0; k < fk_nev; k++)
		n += fk_ev[k].what == 'D' && fk_ev[k].id == id;
	return n;
}

static uint32_t bound_id(struct tdev *td, uint32_t pasid)
{
	return nestio_hwpt_get_id(nestio_pasid_lookup(tbl, td->dev, pasid));
}

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
	Suite *s = suite_create("pasid");
	TCase *tc = fk_tcase(s, "pasid", setup, teardown);

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
	tcase_add_test(tc, test_rid_without_pasid_flag);
	tcase_add_test(tc, test_rid_fallback_fails);
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
