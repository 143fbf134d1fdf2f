/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nestioctl run's interpreter, shared by its files: script-run.c (the
 * command, printing, the objects' lifetime), script-steps.c (steps that
 * make objects and act on them) and script-events.c (events, memory,
 * the hand-off to a program). Built on the public <libnestio.h> only.
 */
#ifndef NESTIOCTL_SCRIPT_RUN_H
#define NESTIOCTL_SCRIPT_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "nestioctl.h"
#include "script.h"

/* ---- the script's objects ---- */

struct mem {
	void *va;
	uint64_t size;
	int fd;			/* file or memfd; -1: anonymous */
};

struct mapping {
	struct nestio_ioas *ioas;
	uint64_t iova, length;
};

#define MAX_PENDING_GROUPS 64

struct obj {
	unsigned int kind;	/* SK_*; 0: not live */
	bool mock;		/* a mock device */
	unsigned int inv;	/* invq: the entry type, NESTIO_INV_* */
	unsigned int inv_target; /* invq: SK_HWPT or SK_VIOMMU */
	uint32_t evq_type;	/* veventq: the type */
	unsigned int ngroups;	/* fault: groups read, not answered */
	uint32_t groups[MAX_PENDING_GROUPS];
	union {
		void *p;
		struct nestio_device *dev;
		struct nestio_ioas *ioas;
		struct nestio_hwpt *hwpt;
		struct nestio_viommu *viommu;
		struct nestio_vdevice *vdev;
		struct nestio_fault *fault;
		struct nestio_veventq *evq;
		struct nestio_invq *invq;
		struct nestio_pasid_table *pasids;
		struct mem *mem;
		struct mapping *map;
	};
};

struct run {
	struct nestio_ctx *ctx;
	struct script *s;
	const char *file;		/* for messages */
	struct obj objs[SCRIPT_MAX_OBJECTS + 1];
	unsigned int order[SCRIPT_MAX_OBJECTS + 1];	/* creation order */
	unsigned int norder;
	struct json j;
	const struct script_cmd *cmd;	/* the step being run */
	/* one step's text line */
	char text[2048];
	size_t tlen;
	sigset_t oldmask;		/* the mask before run blocked signals */
	bool interactive;
	/* a "! COMMAND" step: its error is kept, not printed */
	bool expect_fail;
	int fail_errno;
	char fail_msg[512];
};

/* the signal that stops the script (SIGINT, SIGTERM), or 0 */
extern volatile sig_atomic_t stop_signal;

/* ---- one step's output: text, or one JSON object with --json ---- */
void out_begin(struct run *R, const char *name);
void out_text(struct run *R, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void out_u64(struct run *R, const char *key, uint64_t v);
void out_i64(struct run *R, const char *key, int64_t v);
void out_hex(struct run *R, const char *key, uint64_t v);
void out_str(struct run *R, const char *key, const char *s);
void out_end(struct run *R);
/* the step's error (line, command, errno in words); returns -1 */
int step_fail(struct run *R, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int call_fail(struct run *R, int r, const char *what);

/* ---- the step's arguments and objects ---- */
struct obj *pos_obj(struct run *R, unsigned int i);
const struct script_val *opt(struct run *R, const char *name);
bool has(struct run *R, const char *name);
uint64_t optu(struct run *R, const char *name, uint64_t dflt);
uint32_t opt_pasid(struct run *R);
const char *slot_name(struct run *R, unsigned int slot);
int obj_fd(struct run *R, unsigned int slot);
uint64_t obj_id(struct run *R, unsigned int slot);
void created(struct run *R, unsigned int kind, void *p);
void obj_release(struct obj *o);

/* ---- the steps: 0, or -1 after step_fail() ---- */
int do_device(struct run *R);
int do_hwpt(struct run *R);
int do_viommu(struct run *R);
int do_vdevice(struct run *R);
int do_queue(struct run *R);
int do_invq(struct run *R);
int do_pasids(struct run *R);
int do_mem(struct run *R);
int do_map(struct run *R);
int do_ioas(struct run *R);
int do_release(struct run *R);
int do_attach(struct run *R);
int do_bind(struct run *R);
int do_push(struct run *R);
int do_flush(struct run *R);
int do_wait(struct run *R);
int do_respond(struct run *R);
int do_raise(struct run *R);
int do_poke(struct run *R);
int do_fill(struct run *R);
int do_compare(struct run *R);
int do_ranges(struct run *R);
int do_echo(struct run *R);
int do_exec(struct run *R);

#endif
