/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel fault injection (fail-nth) over the library's flows.
 *
 * Writing N to /proc/thread-self/fail-nth makes the Nth fault-injection
 * check the kernel does in this thread fail: a slab or page allocation
 * (failslab, fail_page_alloc) or one of iommufd's own test points
 * (fail_iommufd, CONFIG_IOMMUFD_TEST). Reading it back says how many
 * checks were still to go: 0 once the fault was injected.
 *
 * A flow is a sequence of steps a VMM runs. A sweep runs the flow with
 * fail-nth = 1, 2, ... until a run completes with no fault injected; each
 * run then checks, with injection off:
 *  - the step that met the fault (the counter read back after each step
 *    reached 0 in it) returned an error an injected fault can give, and a
 *    failed constructor left its out-parameter untouched; or it returned 0
 *    (the kernel or the library recovered) and the flow went on and passed
 *    every one of its checks; no step failed without the fault in it;
 *  - every object made before the fault still works (a probe per kind:
 *    a map and unmap on an IOAS, a query, a flush, a read);
 *  - once every object is released the kernel holds none of them (no id
 *    up to past the highest seen answers, and a new IOAS on the same ctx
 *    gets id 1, the lowest), and no fd is left open.
 */
#ifndef NESTIO_TESTS_FAILNTH_H
#define NESTIO_TESTS_FAILNTH_H

#include "testutil.h"

/* ---- injection control ---- */

/*
 * Sets the debugfs knobs (GFP_KERNEL allocations injectable, quiet) and
 * opens this thread's fail-nth. false when this kernel cannot inject.
 */
bool fn_init(void);
/* skips the program unless /dev/iommu and fail-nth are there */
void fn_require(void);
void fn_arm(unsigned int n);
/* the checks still to go before the fault: 0 once it was injected (or
 * when not armed) */
unsigned int fn_left(void);

/* ---- a run of a flow ---- */

enum fn_kind {
	FN_IOAS, FN_DEV, FN_HWPT, FN_VIOMMU, FN_VDEV, FN_VEVENTQ, FN_FAULT,
	FN_INVQ, FN_PASID_TABLE, FN_HWQ,
	FN_CTX,		/* kept in run->ctx, released last */
	FN_NONE,	/* FN_NEW of a plain out-parameter: not kept */
	FN_KINDS
};

#define FN_MAX_OBJS 24

struct fn_obj {
	enum fn_kind kind;
	void *p;		/* our reference, released by the harness */
	uint32_t id;		/* its kernel object id (0: none) */
};

struct fn_run {
	unsigned int n;		/* this run's fail-nth */
	unsigned int left;	/* the counter after the last step */
	bool armed;
	const char *fired_at;	/* the step the fault met, or NULL */
	int fired_line;
	int fired_r;		/* what that step returned */
	bool recovered;		/* that step returned success all the same */
	bool last_hit;		/* the last step met the fault */
	struct nestio_ctx *ctx;	/* the flow's ctx (the harness's reference) */
	uint64_t probe_iova;	/* where an IOAS probe maps its page */
	struct fn_obj objs[FN_MAX_OBJS];
	unsigned int nobj;
	uint32_t max_id;
	void *data;		/* the flow's own */
};

/*
 * A flow. setup (may be NULL) makes, with injection off, what the flow
 * starts from (already swept by an earlier flow); run is swept. Both
 * return 0, or a step's error when the fault stopped the flow. probe (may
 * be NULL) adds the flow's own checks of what stayed, injection off.
 * release (may be NULL: newest first) orders the releases.
 */
struct fn_flow {
	const char *name;
	int (*setup)(struct fn_run *run);
	int (*run)(struct fn_run *run);
	void (*probe)(struct fn_run *run);
	void (*release)(struct fn_run *run);
	unsigned int (*max_points)(void);	/* NULL: NESTIO_FAILNTH_MAX */
};

/*
 * Sweeps the flow: runs it with n = 1, 2, ... (up to NESTIO_FAILNTH_MAX,
 * default 5000) until a run injects nothing, checking each run; prints
 * NESTIO-REL failnth.<arch>.<flow> points <N> runs <R> and appends the
 * same to the totals (fn_totals).
 */
void fn_sweep(const struct fn_flow *flow);
/* opens the totals file for the Check children; prints their total as
 * NESTIO-REL failnth.<arch>.<prog>.total points <N> runs <R> */
void fn_totals_begin(void);
void fn_totals_end(const char *prog);

/* ---- steps ---- */

/* the sentinel constructors' out-parameters hold before the call */
extern char fn_sentinel[1];

void fn_before(struct fn_run *run);
/*
 * After a step that returned r (>= 0: success): attributes the fault.
 * Returns r when the flow must stop (the step failed on the fault), else
 * 0; fails the test on an error with no fault in the step, or an errno an
 * injected fault cannot give.
 */
int fn_after(struct fn_run *run, const char *what, int line, long r);

/* a step: a call returning 0 / a count or -errno; stops the flow on the
 * injected error */
#define FN_STEP(run, expr)                                                     \
	do {                                                                   \
		long r_;                                                       \
		fn_before(run);                                                \
		r_ = (long)(expr);                                             \
		if (fn_after((run), #expr, __LINE__, r_) < 0)                  \
			return (int)r_;                                        \
	} while (0)
/* the same, keeping the result in var */
#define FN_VAL(run, var, expr)                                                 \
	do {                                                                   \
		fn_before(run);                                                \
		(var) = (expr);                                                \
		if (fn_after((run), #expr, __LINE__, (long)(var)) < 0)         \
			return (int)(var);                                     \
	} while (0)
/*
 * A constructor step: ptr is set to the sentinel first; on the injected
 * error it must still hold it (then it is set to NULL); on success the
 * harness takes the new reference (kind: what to probe and release).
 */
#define FN_NEW(run, kind, ptr, expr)                                           \
	do {                                                                   \
		long r_;                                                       \
		(ptr) = (void *)fn_sentinel;                                   \
		fn_before(run);                                                \
		r_ = (long)(expr);                                             \
		if (fn_after((run), #expr, __LINE__, r_) < 0) {                \
			if ((void *)(ptr) != (void *)fn_sentinel)              \
				FN_FAIL("n=%u: %s failed (%ld) and wrote its " \
					"out-parameter", (run)->n, #expr, r_); \
			(ptr) = NULL;                                          \
			return (int)r_;                                        \
		}                                                              \
		if (!(ptr) || (void *)(ptr) == (void *)fn_sentinel)            \
			FN_FAIL("n=%u: %s succeeded with no object", (run)->n, \
				#expr);                                        \
		fn_add((run), (kind), (ptr));                                  \
	} while (0)
/*
 * A check of the flow, with the run's n in its message. Not ck_assert:
 * Check writes a record to its own file at each assertion that holds, and
 * that write must not meet (nor count) an injected fault.
 */
#define FN_CHECK(run, cond)                                                    \
	do {                                                                   \
		if (!(cond))                                                   \
			FN_FAIL("n=%u (fault in %s, line %d): %s", (run)->n,   \
				(run)->fired_at ? (run)->fired_at :            \
				"none yet", (run)->fired_line, #cond);         \
	} while (0)
/* fails the test, injection off first */
#define FN_FAIL(...)                                                           \
	do {                                                                   \
		fn_pause();                                                    \
		ck_abort_msg(__VA_ARGS__);                                     \
	} while (0)

/*
 * A step whose success is the error want (a refusal the flow checks):
 * any other result fails the test unless it is the injected fault's.
 */
#define FN_EXPECT(run, expr, want)                                             \
	do {                                                                   \
		long r_;                                                       \
		fn_before(run);                                                \
		r_ = (long)(expr);                                             \
		if (fn_expect((run), #expr, __LINE__, r_, (want)) < 0)         \
			return (int)r_;                                        \
	} while (0)
int fn_expect(struct fn_run *run, const char *what, int line, long r, long want);

/* the last step met the fault and returned success (the kernel may have
 * dropped what the step asked for, as it does with an event it could not
 * queue) */
#define FN_LAST_RECOVERED(run) ((run)->last_hit && (run)->recovered)

/* the harness takes this reference (released after the run) */
void fn_add(struct fn_run *run, enum fn_kind kind, void *p);
/* releases one the harness holds now (a step of the flow) */
void fn_release(struct fn_run *run, void *p);
/* injection off for a check of the test's own, and on again */
unsigned int fn_pause(void);
void fn_resume(unsigned int left);

/* a page of anonymous memory, touched (no fault while injecting) */
void *fn_page(void);

#endif
