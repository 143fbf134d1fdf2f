/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nestioctl's mock device (the kernel's IOMMUFD_TEST driver), adopted
 * through the public nestio_device_new_from_id(). See mockdev.c.
 */
#ifndef NESTIOCTL_MOCKDEV_H
#define NESTIOCTL_MOCKDEV_H

#include <stdbool.h>
#include <stdint.h>

#include <libnestio.h>

/* the mock's own data types (not uAPI: the kernel's iommufd_test.h) */
#define MOCKDEV_FLAG_PASID		(1u << 2)
#define MOCKDEV_HWPT_DATA		0xdeadu		/* nested hwpt */
#define MOCKDEV_IOTLB_DEFAULT		0xbadbeefu
#define MOCKDEV_HWPT_INVALIDATE		0xdeadbeefu
#define MOCKDEV_VIOMMU_INVALIDATE	0xdeadbeefu
#define MOCKDEV_INVALIDATE_ALL		(1u << 0)
#define MOCKDEV_VIOMMU_TYPE		0xdeadbeefu
#define MOCKDEV_VEVENTQ_TYPE		0xbeefbeefu

struct mockdev_hwpt_data {
	uint32_t iotlb;
	uint32_t pagetable_type;
};

struct mockdev_hwpt_inv {
	uint32_t flags;
	uint32_t iotlb_id;
};

struct mockdev_viommu_inv {
	uint32_t flags;
	uint32_t vdev_id;
	uint32_t cache_id;
};

/* A mock device made on pt_id (an IOAS or hwpt); pasid: it takes PASIDs. */
int mockdev_new(struct nestio_ctx *ctx, uint32_t pt_id, bool pasid,
		struct nestio_device **out);
/* Make the mock raise a vEVENT (its record: the vDEVICE's virtual id). */
int mockdev_raise_vevent(struct nestio_device *dev);
/* Make the mock raise a page request (perm: NESTIO_PERM_* bits). */
int mockdev_raise_iopf(struct nestio_device *dev, uint32_t pasid,
		       uint32_t grpid, uint32_t perm, uint64_t addr);

#endif
