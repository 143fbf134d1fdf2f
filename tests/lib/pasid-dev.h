/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tier 1: what the PASID binding table tests (test-pasid, test-pasid-replay)
 * share. The fake kernel answers HWPT_ALLOC with ids and logs destroys; the
 * devices here bring their own operations, which keep a fake kernel view of
 * their slots (what is attached at each PASID) and log every call, so a
 * test sees the exact sequence of attach / replace / detach the table
 * makes, and can make any one fail. The fixture: an IOAS, devices A and B,
 * a nest parent and a table on it.
 */
#ifndef NESTIO_TESTS_PASID_DEV_H
#define NESTIO_TESTS_PASID_DEV_H

#include "fakekernel.h"

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

extern struct opev oplog[128];
extern int nop;

/* what the fake kernel has at a slot: a pt id, or 0 */
uint32_t kpt(struct tdev *td, uint32_t pasid);
/* the fake kernel forgets a slot behind everyone's back (a reset) */
void kforget(struct tdev *td, uint32_t pasid);
void tdev_new(struct nestio_ctx *c, uint32_t dev_id, struct tdev *td);
/* oplog[i] is op at pasid on pt (pt 0: any) of td */
void expect_op(int i, struct tdev *td, char op, uint32_t pasid, uint32_t pt);

/* the fixture's ids */
#define ID_IOAS 100u
#define ID_PARENT 101u
#define ID_N1 102u		/* the first nested hwpt the table allocates */
#define DEV_A 7u
#define DEV_B 3u		/* sorts before A */
#define P1 1u
#define P2 2u

extern struct tdev A, B;
extern struct nestio_hwpt *parent;
extern struct nestio_pasid_table *tbl;
extern bool refuse_pasid_flag;	/* HWPT_ALLOC with the PASID flag: EOPNOTSUPP */
void pasid_setup(void);
void pasid_teardown(void);
void reset_logs(void);

/* a VT-d stage 1 at this table address */
struct nestio_stage1 vtd(uint64_t pgtbl);
const struct kabi_hwpt_alloc *call_alloc(int i);
/* call i is a HWPT_ALLOC of a VT-d stage 1 on pt_id for dev_id */
void expect_alloc(int i, uint32_t flags, uint32_t dev_id, uint32_t pt_id);
int count_req(unsigned long request);
int count_destroy(uint32_t id);
uint32_t bound_id(struct tdev *td, uint32_t pasid);

#endif
