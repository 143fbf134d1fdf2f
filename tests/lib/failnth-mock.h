/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mock flows' shared state (tests/kernel/test-failnth-*.c): what each
 * flow starts from, made with injection off, the memory it maps, and the
 * mock's checks (each with injection paused: they are the test's, not the
 * flow's).
 */
#ifndef NESTIO_TESTS_FAILNTH_MOCK_H
#define NESTIO_TESTS_FAILNTH_MOCK_H

#include "failnth.h"
#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

#define FM_PAGE		4096u
#define FM_PAGES	16u	/* fm_buf */
#define FM_MAPPED	8u	/* pages fm_setup_dev maps at MOCK_APERTURE_START */
#define FM_VIRT_ID	0x42u

/* borrowed: the harness holds the references */
struct fm_state {
	struct nestio_ioas *ioas;
	struct nestio_device *dev;
	struct nestio_hwpt *parent;	/* nest parent */
	struct nestio_hwpt *nested;	/* on the parent, not attached */
	struct nestio_viommu *viommu;
	struct nestio_vdevice *vdev;
	struct nestio_hwpt *nested_v;	/* on the vIOMMU, attached at the RID */
};
extern struct fm_state fm;
/* FM_PAGES touched pages, and a memfd of two pages (made once per test) */
extern unsigned char *fm_buf;
extern int fm_memfd;

/* the starting points, each one more than the one before */
int fm_setup_none(struct fn_run *run);	/* nothing: the flow makes its ctx */
int fm_setup_ioas(struct fn_run *run);	/* ctx, IOAS */
int fm_setup_dev(struct fn_run *run);	/* + a mock device with PASIDs and
					 * FM_MAPPED pages mapped, one each */
int fm_setup_parent(struct fn_run *run);	/* + nest parent */
int fm_setup_viommu(struct fn_run *run);	/* + vIOMMU */
int fm_setup_vdev(struct fn_run *run);	/* + vDEVICE, nested on the parent */
int fm_setup_events(struct fn_run *run);	/* + nested on the vIOMMU, attached */

/* the mock device's automatic domain (made with it) */
uint32_t fm_auto_hwpt(struct nestio_device *d);
/* the mock's checks, injection paused: 0 when they hold */
int fm_check_map(uint32_t hwpt_id, uint64_t iova, uint64_t len, const void *p);
int fm_iotlb_is(uint32_t hwpt_id, uint32_t i, uint32_t value);
int fm_cache_is(uint32_t dev_id, uint32_t i, uint32_t value);
/* the mock's triggers (steps of a flow: injection on) */
int fm_mock_dirty(uint32_t hwpt_id, uint64_t mask);
int fm_trigger_vevent(void);
int fm_trigger_iopf(uint32_t pasid, uint32_t grpid, uint64_t addr);
int fm_pasid_detach(uint32_t pasid);

/* A test program's main(): one Check case per flow (CK_RUN_CASE=<flow
 * name> runs one), each swept; the totals under prog. */
int fm_main(const char *prog, const struct fn_flow *flows, size_t n);

#endif
