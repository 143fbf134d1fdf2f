/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tier 2: what the vEVENTQ and fault-queue tests against the kernel's
 * IOMMUFD_TEST mock share (test-veventq-mock, test-fault-mock).
 *
 * The mock raises a vEVENT (type SELFTEST, record: the vDEVICE's virtual id)
 * for a device attached to a nested hwpt on its vIOMMU, once a vDEVICE
 * names it; and a page fault (always one page, LAST_PAGE, so every group
 * has one request) for a device attached to an hwpt that has a fault
 * queue. Its vIOMMU keeps a user PASID table, so a fault on any PASID goes
 * to the nested hwpt at the RID.
 *
 * The fixture: a mock device with PASIDs on an IOAS, a nest parent, a
 * SELFTEST vIOMMU and a vDEVICE (VIRT_ID) for the device.
 */
#ifndef NESTIO_TESTS_MOCK_EVENTQ_H
#define NESTIO_TESTS_MOCK_EVENTQ_H

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

#define VIRT_ID 0x42

extern struct nestio_ctx *ctx;
extern struct nestio_ioas *ioas;
extern struct nestio_device *dev;
extern struct nestio_hwpt *parent;
extern struct nestio_viommu *viommu;
extern struct nestio_vdevice *vdev;
extern int ifd;
void eventq_mock_setup(void);
void eventq_mock_teardown(void);

/* a nested hwpt on the vIOMMU (with a fault queue, if f), at the RID */
struct nestio_hwpt *attach_nested(struct nestio_fault *f);
/* the mock raises a vEVENT for the device; a page fault at pasid */
int trigger_vevent(void);
int trigger_iopf(uint32_t pasid, uint32_t grpid, uint32_t perm, uint64_t addr);
/* poll(2) says fd is readable, now */
bool readable(int fd);
/* a SELFTEST vEVENTQ on the vIOMMU (skips where the kernel has none) */
struct nestio_veventq *new_q(uint32_t depth);
/* one event, as read: its sequence, lost count, and the mock's record */
void expect_ev(const struct nestio_vevent *e, uint32_t seq, uint32_t lost);

#endif
