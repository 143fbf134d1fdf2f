/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tier 1: what the invalidation-queue tests (test-invq, test-invq-rules)
 * share. A recorder answers IOMMU_HWPT_INVALIDATE behind the fake kernel:
 * it keeps every batch (header and the entries as the kernel would read
 * them) and answers from a script (fk_answers(); past the script every
 * entry is handled), so a test can make the "kernel" confirm k of n
 * entries and fail, or write back a count that cannot be right. The
 * fixture is the fake kernel's objects plus a nest parent, a VT-d nested
 * hwpt and an SMMUv3 vIOMMU to put queues on.
 */
#ifndef NESTIO_TESTS_INVQ_REC_H
#define NESTIO_TESTS_INVQ_REC_H

#include "fakekernel.h"

#define TOP_PAGE ((1ull << 52) - 1)		/* the last 4 KiB page of 2^64 */
#define PG(p) ((uint64_t)(p) << 12)
#define VTD(a, n, f) ((struct nestio_inv_vtd){ .addr = (a), .npages = (n), .flags = (f) })
#define LEAF NESTIO_INV_VTD_LEAF
#define ALL NESTIO_INV_VTD_ALL
#define SMMU(c0, c1) ((struct nestio_inv_smmuv3){ .cmd = { (c0), (c1) } })

struct batch {
	uint32_t size, hwpt_id, data_type, entry_len, entry_num, reserved;
	uint32_t handled;		/* what the recorder confirmed */
	size_t off;			/* the entries, in the recorder's log */
};
extern struct batch batches[32768];
extern int nbatch;
extern int fail_every;		/* > 0: every Nth call confirms half, EIO */
/* entry i of batch b, as the kernel read it */
const uint8_t *bent(int b, uint32_t i);
void rec_reset(void);

extern struct nestio_hwpt *parent, *nested;
extern struct nestio_viommu *viommu;
extern uint32_t nested_id, viommu_id;
void rec_setup(void);
void rec_teardown(void);

struct nestio_invq *new_q(bool on_viommu, uint32_t type, unsigned int flags,
			  uint32_t capacity);
struct nestio_invq *vtd_q(unsigned int flags, uint32_t capacity);
struct nestio_invq *smmu_q(unsigned int flags, uint32_t capacity);
void push_vtds(struct nestio_invq *q, const struct nestio_inv_vtd *e, size_t n);
/* batch b carries exactly these entries, in the kernel's form */
void expect_vtd_batch(int b, const struct nestio_inv_vtd *want, uint32_t n);
void expect_smmu_batch(int b, const struct nestio_inv_smmuv3 *want, uint32_t n);

#endif
