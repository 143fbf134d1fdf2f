// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2 under kernel fault injection (fail-nth, tests/lib/failnth.h), the
 * second half: vEVENTQ, fault queue, the PASID binding table, and the
 * release of a whole chain in several orders, on the kernel's IOMMUFD_TEST
 * mock. The first half is test-failnth-mock.c.
 */
#include <stdlib.h>
#include <string.h>

#include "failnth.h"
#include "failnth-mock.h"

/* ------------------------------------------------------------- vEVENTQ */

/*
 * The mock raises each vEVENT with an atomic allocation; when that fails
 * the kernel queues its lost-events header instead. So every trigger shows
 * as an event read or an event counted lost, exactly.
 */
static int flow_veventq(struct fn_run *run)
{
	struct nestio_veventq *q;
	struct nestio_vevent ev[8];
	unsigned int raised = 0, seen = 0;
	int n;

	FN_NEW(run, FN_VEVENTQ, q, nestio_veventq_new(fm.viommu, MOCK_VEVENTQ_TYPE_SELFTEST,
						      2, &q));
	for (int i = 0; i < 2; i++) {
		FN_STEP(run, fm_trigger_vevent());
		raised++;
	}
	FN_VAL(run, n, nestio_veventq_read(q, ev, 8));
	seen += (unsigned int)n;
	for (int i = 0; i < n; i++) {
		struct mock_viommu_event_selftest rec;

		FN_CHECK(run, ev[i].len == sizeof(rec));
		memcpy(&rec, ev[i].data, sizeof(rec));
		FN_CHECK(run, rec.virt_id == FM_VIRT_ID);
	}
	/* five into a queue of two: three lost */
	for (int i = 0; i < 5; i++) {
		FN_STEP(run, fm_trigger_vevent());
		raised++;
	}
	FN_VAL(run, n, nestio_veventq_read(q, ev, 8));
	seen += (unsigned int)n;
	FN_VAL(run, n, nestio_veventq_read(q, ev, 8));
	seen += (unsigned int)n;
	FN_CHECK(run, n == 0);
	/* the lost count is known once an event follows the header */
	FN_STEP(run, fm_trigger_vevent());
	raised++;
	FN_VAL(run, n, nestio_veventq_read(q, ev, 8));
	seen += (unsigned int)n;
	FN_CHECK(run, seen + nestio_veventq_get_lost(q) == raised);
	FN_CHECK(run, nestio_veventq_get_lost(q) >= 3);
	return 0;
}

/* --------------------------------------------------------- fault queue */

static int flow_fault(struct fn_run *run)
{
	struct nestio_hwpt_nested_opts o = { .sz = sizeof(o) };
	struct nestio_page_request req[4];
	struct nestio_fault *f;
	struct nestio_hwpt *n;
	int got;

	FN_NEW(run, FN_FAULT, f, nestio_fault_new(run->ctx, &f));
	o.fault_id = nestio_fault_get_id(f);
	FN_NEW(run, FN_HWPT, n, nestio_hwpt_new_nested_viommu(fm.dev, fm.viommu,
							     &tu_mock_s1, &o, &n));
	FN_STEP(run, nestio_device_attach_hwpt(fm.dev, NESTIO_NO_PASID, n));
	for (uint32_t i = 1; i <= 2; i++) {
		bool dropped;

		FN_STEP(run, fm_trigger_iopf(i, i, 0x1000 * (uint64_t)i));
		/* a fault the kernel could not queue is answered by it */
		dropped = FN_LAST_RECOVERED(run);
		FN_VAL(run, got, nestio_fault_read_group(f, req, 4));
		FN_CHECK(run, got == 1 || (got == 0 && dropped));
		if (!got)
			continue;
		FN_CHECK(run, req[0].addr == 0x1000 * (uint64_t)i);
		FN_CHECK(run, req[0].grpid == i);
		FN_CHECK(run, req[0].dev_id == nestio_device_get_id(fm.dev));
		FN_STEP(run, nestio_fault_respond(f, req[0].cookie, NESTIO_PAGE_RESP_SUCCESS));
		FN_EXPECT(run, nestio_fault_respond(f, req[0].cookie,
						    NESTIO_PAGE_RESP_SUCCESS), -ENOENT);
	}
	FN_VAL(run, got, nestio_fault_read_group(f, req, 4));
	FN_CHECK(run, got == 0);
	return 0;
}

/* ------------------------------------------------ PASID bind / replay */

static struct mock_hwpt_selftest pd[3] = {
	{ .iotlb = 0x1000 }, { .iotlb = 0x2000 }, { .iotlb = 0x3000 },
};

static struct nestio_stage1 cfg(int k)
{
	struct nestio_stage1 s1;

	memset(&s1, 0, sizeof(s1));
	s1.type = NESTIO_STAGE1_RAW;
	s1.raw_type = MOCK_HWPT_DATA_SELFTEST;
	s1.u.raw.data = &pd[k];
	s1.u.raw.len = sizeof(pd[k]);
	return s1;
}

static struct nestio_pasid_table *tbl;

static uint32_t bound(uint32_t pasid)
{
	return nestio_hwpt_get_id(nestio_pasid_lookup(tbl, fm.dev, pasid));
}

/* the mock says pasid (0: the RID) is attached to hwpt id (0: nothing) */
static int attached(uint32_t pasid, uint32_t id)
{
	unsigned int left = fn_pause();
	int r = tu_mock_pasid_check(nestio_ctx_get_fd(nestio_device_get_ctx(fm.dev)),
				    tu_mock_stdev_id(fm.dev), pasid, id);

	fn_resume(left);
	return r;
}

static int flow_pasid(struct fn_run *run)
{
	struct nestio_stage1 s0 = cfg(0), s1 = cfg(1), s2 = cfg(2);
	uint32_t id1;
	int n;

	FN_NEW(run, FN_PASID_TABLE, tbl, nestio_pasid_table_new(fm.parent, &tbl));
	FN_STEP(run, nestio_pasid_bind(tbl, fm.dev, NESTIO_NO_PASID, &s0, 0));
	FN_CHECK(run, attached(0, bound(NESTIO_NO_PASID)) == 0);
	FN_STEP(run, nestio_pasid_bind(tbl, fm.dev, 1, &s1, 0));
	FN_STEP(run, nestio_pasid_bind(tbl, fm.dev, 2, &s1, 0));
	id1 = bound(1);
	FN_CHECK(run, bound(2) == id1);
	FN_CHECK(run, attached(1, id1) == 0 && attached(2, id1) == 0);
	/* update PASID 1: replaced, PASID 2 keeps the old hwpt */
	FN_STEP(run, nestio_pasid_bind(tbl, fm.dev, 1, &s2, 0));
	FN_CHECK(run, bound(1) != id1 && attached(1, bound(1)) == 0);
	FN_CHECK(run, attached(2, id1) == 0);
	/* the kernel loses PASID 1 (a reset); replay puts it back */
	FN_STEP(run, fm_pasid_detach(1));
	FN_VAL(run, n, nestio_pasid_replay(tbl, fm.dev));
	FN_CHECK(run, n == 3);
	FN_CHECK(run, attached(1, bound(1)) == 0);
	FN_STEP(run, nestio_pasid_unbind(tbl, fm.dev, 2));
	FN_CHECK(run, attached(2, 0) == 0);
	FN_CHECK(run, nestio_pasid_lookup(tbl, fm.dev, 2) == NULL);
	return 0;
}

static int check_binding(struct nestio_device *d, uint32_t pasid,
			 const struct nestio_stage1 *s1, struct nestio_hwpt *h,
			 void *data)
{
	struct fn_run *run = data;

	(void)s1;
	FN_CHECK(run, d == fm.dev);
	FN_CHECK(run, attached(pasid == NESTIO_NO_PASID ? 0 : pasid,
			       nestio_hwpt_get_id(h)) == 0);
	return 0;
}

/* whatever stayed bound, the table and the kernel agree once replayed */
static void probe_pasid(struct fn_run *run)
{
	int n;

	if (!tbl)
		return;
	n = nestio_pasid_replay(tbl, fm.dev);
	FN_CHECK(run, n >= 0);
	FN_CHECK(run, nestio_pasid_table_foreach(tbl, check_binding, run) == 0);
}

static int setup_pasid(struct fn_run *run)
{
	tbl = NULL;
	return fm_setup_parent(run);
}

/* ------------------------------------------------ release in orders */

/*
 * The whole chain, made with injection off: IOAS, device, nest parent,
 * nested hwpt, vIOMMU, vDEVICE, nested hwpt on it (attached), vEVENTQ,
 * fault queue with a nested hwpt reporting to it, invalidation queue, HW
 * queue. The flow is the releases, in an order.
 */
static int setup_chain(struct fn_run *run)
{
	struct nestio_hwpt_nested_opts o = { .sz = sizeof(o) };
	struct nestio_veventq *q;
	struct nestio_fault *f;
	struct nestio_hwpt *n;
	struct nestio_invq *iq;
	struct nestio_hw_queue *hq;
	int r = fm_setup_events(run);

	if (r)
		return r;
	FN_NEW(run, FN_VEVENTQ, q, nestio_veventq_new(fm.viommu, MOCK_VEVENTQ_TYPE_SELFTEST,
						      4, &q));
	FN_STEP(run, fm_trigger_vevent());	/* one left unread */
	FN_NEW(run, FN_FAULT, f, nestio_fault_new(run->ctx, &f));
	o.fault_id = nestio_fault_get_id(f);
	FN_NEW(run, FN_HWPT, n, nestio_hwpt_new_nested_viommu(fm.dev, fm.viommu,
							     &tu_mock_s1, &o, &n));
	FN_NEW(run, FN_INVQ, iq, nestio_invq_new(fm.nested, NESTIO_INV_RAW,
						 &(struct nestio_invq_opts){
							.sz = sizeof(struct nestio_invq_opts),
							.raw_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
							.raw_entry_len = sizeof(struct mock_hwpt_invalidate_selftest),
						 }, &iq));
	FN_NEW(run, FN_HWQ, hq, nestio_hw_queue_new(fm.viommu, MOCK_HW_QUEUE_TYPE_SELFTEST,
						    0, MOCK_APERTURE_START, FM_PAGE, &hq));
	return 0;
}

static int release_in(struct fn_run *run, const char *order)
{
	/* order: a letter per object, 'a' the first made */
	void *p[FN_MAX_OBJS];
	unsigned int n = run->nobj;

	for (unsigned int i = 0; i < n; i++)
		p[i] = run->objs[i].p;
	for (const char *c = order; *c; c++) {
		unsigned int i = (unsigned int)(*c - 'a');

		if (i < n)
			FN_STEP(run, (fn_release(run, p[i]), 0));
	}
	FN_CHECK(run, run->nobj == 0);
	return 0;
}

/* 12 objects: a..l */
static int flow_release_lifo(struct fn_run *run)
{
	return release_in(run, "lkjihgfedcba");
}

static int flow_release_fifo(struct fn_run *run)
{
	return release_in(run, "abcdefghijkl");
}

static int flow_release_mixed(struct fn_run *run)
{
	return release_in(run, "fdjbhlaceigk");
}

/* ---------------------------------------------------------------- main */

static const struct fn_flow flows[] = {
	{ .name = "veventq", .setup = fm_setup_events, .run = flow_veventq },
	{ .name = "fault", .setup = fm_setup_vdev, .run = flow_fault },
	{ .name = "pasid", .setup = setup_pasid, .run = flow_pasid,
	  .probe = probe_pasid },
	{ .name = "release-lifo", .setup = setup_chain, .run = flow_release_lifo },
	{ .name = "release-fifo", .setup = setup_chain, .run = flow_release_fifo },
	{ .name = "release-mixed", .setup = setup_chain, .run = flow_release_mixed },
};

int main(void)
{
	return fm_main("mock-events", flows, sizeof(flows) / sizeof(flows[0]));
}
