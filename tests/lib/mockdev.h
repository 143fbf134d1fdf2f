/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tier 2: devices of the kernel's IOMMUFD_TEST mock driver, adopted as
 * nestio_devices, and the mock's check ops. */
#ifndef NESTIO_TESTS_MOCKDEV_H
#define NESTIO_TESTS_MOCKDEV_H

#include "testutil.h"

struct tu_mock_dev {
	int iommufd;
	uint32_t stdev_id;
	uint32_t hwpt_id;	/* the auto domain it was created on */
	uint32_t dev_id;
};
/* Creates a mock device attached to pt_id (an ioas or hwpt). */
int tu_mock_domain(int iommufd, uint32_t pt_id, uint32_t dev_flags,
		   struct tu_mock_dev *md);
/* Destroys a mock device made by tu_mock_domain(). */
void tu_mock_destroy(struct tu_mock_dev *md);
/* Adopts a mock device as a nestio_device (ops: replace, PASID, release). */
int tu_mock_device(struct nestio_ctx *ctx, uint32_t pt_id, uint32_t dev_flags,
		   struct nestio_device **out);
int tu_mock_check_map(int iommufd, uint32_t hwpt_id, uint64_t iova,
		      uint64_t length, const void *uptr);
int tu_mock_pasid_check(int iommufd, uint32_t stdev_id, uint32_t pasid,
			uint32_t hwpt_id);
/* The tier-2 base: a ctx, an IOAS, a mock device on it (dev_flags), and a
 * nest-parent paging hwpt on the IOAS. */
void tu_mock_nest_setup(uint32_t dev_flags, struct nestio_ctx **ctx,
			struct nestio_ioas **ioas, struct nestio_device **dev,
			struct nestio_hwpt **parent);
/* Adopts a mock device another process made (live update), with the same
 * ops: its release destroys the mock device. */
int tu_mock_device_adopt(struct nestio_ctx *ctx, uint32_t stdev_id,
			 uint32_t dev_id, struct nestio_device **out);
/* the stdev id of a device made by tu_mock_device() */
uint32_t tu_mock_stdev_id(struct nestio_device *dev);
/* true when this kernel has the mock (IOMMU_TEST_CMD) */
bool tu_have_mock(int iommufd);
/* skips the whole program unless /dev/iommu and the mock are there */
void tu_require_mock(void);
/*
 * Does the kernel still hold an object with this id? HWPT_INVALIDATE with
 * no entries looks the id up as any type before anything else, so it
 * answers ENOENT exactly when the object is gone, and changes nothing.
 */
bool tu_kernel_has(int iommufd, uint32_t id);
/* a stage-1 config the mock takes (IOMMU_HWPT_DATA_SELFTEST, its IOTLB
 * entries set to MOCK_IOTLB_DEFAULT) */
extern const struct nestio_stage1 tu_mock_s1;

/* The plain tier-2 fixture: a fresh ctx (tu_ctx), its iommufd (tu_ifd),
 * and TU_MOCK_BUF bytes of anonymous memory filled with 0x11 (tu_buf). */
#define TU_MOCK_BUF (16 * 4096u)
extern struct nestio_ctx *tu_ctx;
extern int tu_ifd;
extern unsigned char *tu_buf;
void tu_mock_setup(void);
void tu_mock_teardown(void);

/* The mapped tier-2 fixture: a fresh ctx (tu_ctx, its iommufd tu_ifd), an
 * IOAS (tu_ioas) with a mock device on it (tu_dev), and TU_MOCK_NPAGES
 * pages of tu_page bytes (tu_buf, filled with 1) mapped read-write at
 * tu_iova0, one page per map call. */
#define TU_MOCK_NPAGES 64
extern struct nestio_ioas *tu_ioas;
extern struct nestio_device *tu_dev;
extern uint64_t tu_page, tu_iova0;
void tu_mock_mapped_setup(void);
void tu_mock_mapped_teardown(void);

#endif
