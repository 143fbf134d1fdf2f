/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tier 1: what the vEVENTQ, fault-queue and dispatch tests (test-veventq,
 * test-fault, test-dispatch) share. The ioctl seam answers the allocations
 * with a pipe's read end (neither close-on-exec nor non-blocking, so the
 * library has to make it so), and tu_read_hook / tu_write_hook stand in
 * for the queues' read(2) and write(2) with models of
 * drivers/iommu/iommufd/eventq.c: the same whole-event / whole-group read
 * rules, the same lost-events header, the same sequence numbers, cookies
 * handed out at read time. The fixture adds a nest parent and an SMMUv3
 * vIOMMU (id 102) to the fake kernel's objects.
 */
#ifndef NESTIO_TESTS_FAKE_EVENTQ_H
#define NESTIO_TESTS_FAKE_EVENTQ_H

#include "fakekernel.h"

#define SMMU NESTIO_VEVENTQ_ARM_SMMUV3	/* 32-byte records, known */
#define RAW_TYPE 0xbeefbeefu		/* a type the library must learn */
#define LOST KABI_VEVENTQ_FLAG_LOST_EVENTS
#define HDR 8u
#define REC sizeof(struct kabi_hwpt_pgfault)

struct fv_ent {
	uint32_t flags, seq, len;
	uint8_t data[128];
};

struct ff_group {
	int n;
	struct kabi_hwpt_pgfault rec[160];
};

/* the fake vEVENTQ file */
extern struct fv_ent fv_q[64];
extern int fv_n;		/* entries in the list */
extern int fv_fd;
extern int fv_reads;
extern uint32_t fv_depth, fv_num, fv_seq;	/* the kernel model */
extern uint32_t fv_len;	/* record length the "driver" reports */
void fv_append(uint32_t flags, uint32_t seq, uint32_t len);
/* raw injection: exactly this header (and a record of fv_len bytes) */
void fv_push(uint32_t flags, uint32_t seq);
/* iommufd_viommu_report_event() + iommufd_vevent_handler() */
void fv_report(void);

/* the fake fault queue file */
extern struct ff_group ff_g[8];
extern int ff_ng;
extern int ff_fd;
extern int ff_reads, ff_writes;
extern uint32_t ff_next_cookie;
extern uint32_t ff_live[64];	/* cookies read and not answered */
extern int ff_nlive;
extern struct kabi_hwpt_page_response ff_last;	/* what was written */
extern int ff_write_errno;	/* fail writes with this */
/* script mode: read(2) returns these byte strings, one per call */
extern uint8_t ff_chunk[4][8 * REC];
extern size_t ff_chunk_len[4];
extern int ff_nchunks, ff_chunk_next;
struct kabi_hwpt_pgfault pf(uint32_t grpid, uint64_t addr, bool last);
/* a group of n page requests from the "IOMMU" (the last one closes it) */
void ff_group(int n, uint32_t grpid);

/* reads of any other fd (the fixture checks there are none) */
extern int other_reads;

/* the fixture */
extern struct nestio_hwpt *parent;
extern struct nestio_viommu *viommu;	/* id 102 */
void eventq_setup(void);
void eventq_teardown(void);
struct nestio_veventq *new_q(uint32_t type);
struct nestio_fault *new_f(void);
bool nonblocking(int fd);
/* one event, as read: its sequence, lost count, and the fake's record */
void expect_ev(const struct nestio_vevent *e, uint32_t seq, uint32_t lost);

#endif
