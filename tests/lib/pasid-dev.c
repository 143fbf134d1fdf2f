// SPDX-License-Identifier: LGPL-2.1-or-later
/* The PASID-table tests' logging devices and fixture (pasid-dev.h). */
#include <string.h>

#include "pasid-dev.h"

/* ------------------------------------------------ devices with a log */

struct opev oplog[128];
int nop;

static int kslot(struct tdev *td, uint32_t pasid)
{
	for (int i = 0; i < td->nk; i++)
		if (td->k[i].pasid == pasid)
			return i;
	return -1;
}

/* what the fake kernel has at a slot: a pt id, or 0 */
uint32_t kpt(struct tdev *td, uint32_t pasid)
{
	int i = kslot(td, pasid);

	return i < 0 ? 0 : td->k[i].pt;
}

/* the fake kernel forgets a slot behind everyone's back (a reset) */
void kforget(struct tdev *td, uint32_t pasid)
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

void tdev_new(struct nestio_ctx *c, uint32_t dev_id, struct tdev *td)
{
	memset(td, 0, sizeof(*td));
	ck_assert_int_eq(nestio_device_new_from_id(c, dev_id, &t_ops, td,
						   &td->dev), 0);
}

/* oplog[i] is op at pasid on pt (pt 0: any) of td */
void expect_op(int i, struct tdev *td, char op, uint32_t pasid, uint32_t pt)
{
	ck_assert_msg(i < nop, "no device call %d (%d made)", i, nop);
	ck_assert_msg(oplog[i].td == td && oplog[i].op == op &&
		      oplog[i].pasid == pasid && (!pt || oplog[i].pt == pt),
		      "device call %d: %c pasid %d pt %u, want %c pasid %d pt %u",
		      i, oplog[i].op, (int)oplog[i].pasid, oplog[i].pt, op,
		      (int)pasid, pt);
}

/* ----------------------------------------------------------- fixture */

struct tdev A, B;
struct nestio_hwpt *parent;
struct nestio_pasid_table *tbl;
bool refuse_pasid_flag;	/* HWPT_ALLOC with the PASID flag: EOPNOTSUPP */

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

void reset_logs(void)
{
	tu_ncalls = 0;
	fk_nev = 0;
	nop = 0;
}

void pasid_setup(void)
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

void pasid_teardown(void)
{
	tbl = nestio_pasid_table_unref(tbl);
	A.dev = nestio_device_unref(A.dev);
	B.dev = nestio_device_unref(B.dev);
	parent = nestio_hwpt_unref(parent);
	ioas = nestio_ioas_unref(ioas);
	teardown_seam();
}

struct nestio_stage1 vtd(uint64_t pgtbl)
{
	struct nestio_stage1 s1;

	memset(&s1, 0, sizeof(s1));
	s1.type = NESTIO_STAGE1_VTD;
	s1.u.vtd.pgtbl_addr = pgtbl;
	s1.u.vtd.addr_width = 48;
	return s1;
}

const struct kabi_hwpt_alloc *call_alloc(int i)
{
	ck_assert_msg(i < tu_ncalls, "no call %d (%d made)", i, tu_ncalls);
	ck_assert_msg(tu_calls[i].request == KABI_IOMMU_HWPT_ALLOC,
		      "call %d: %s, want IOMMU_HWPT_ALLOC", i,
		      nio_ioctl_name(tu_calls[i].request));
	return (const struct kabi_hwpt_alloc *)tu_calls[i].arg;
}

/* call i is a HWPT_ALLOC of a VT-d stage 1 on pt_id for dev_id */
void expect_alloc(int i, uint32_t flags, uint32_t dev_id, uint32_t pt_id)
{
	const struct kabi_hwpt_alloc *c = call_alloc(i);

	ck_assert_uint_eq(c->flags, flags);
	ck_assert_uint_eq(c->dev_id, dev_id);
	ck_assert_uint_eq(c->pt_id, pt_id);
	ck_assert_uint_eq(c->data_type, KABI_HWPT_DATA_VTD_S1);
	ck_assert_uint_eq(c->data_len, sizeof(struct kabi_hwpt_vtd_s1));
	ck_assert_uint_eq(c->fault_id, 0);
}

int count_req(unsigned long request)
{
	int n = 0;

	for (int i = 0; i < tu_ncalls; i++)
		n += tu_calls[i].request == request;
	return n;
}

int count_destroy(uint32_t id)
{
	int n = 0;

	for (int k = 0; k < fk_nev; k++)
		n += fk_ev[k].what == 'D' && fk_ev[k].id == id;
	return n;
}

uint32_t bound_id(struct tdev *td, uint32_t pasid)
{
	return nestio_hwpt_get_id(nestio_pasid_lookup(tbl, td->dev, pasid));
}
