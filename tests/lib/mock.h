/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tests' own declarations of the kernel's IOMMUFD_TEST mock driver
 * control ioctl (IOMMU_TEST_CMD). It is not uAPI: the kernel declares it in
 * the kernel-internal drivers/iommu/iommufd/iommufd_test.h, and the kernel
 * tree the test VM was built from pins it. tests/hygiene/test-abi.c checks these
 * against that header when configure is given --with-iommufd-test-header.
 * Only the operations the tests use are declared.
 */
#ifndef NESTIO_TESTS_MOCK_H
#define NESTIO_TESTS_MOCK_H

#include <stdint.h>

#include "kabi.h"

enum {
	MOCK_OP_ADD_RESERVED = 1,
	MOCK_OP_MOCK_DOMAIN = 2,
	MOCK_OP_MD_CHECK_MAP = 3,
	MOCK_OP_MOCK_DOMAIN_REPLACE = 10,
	MOCK_OP_MOCK_DOMAIN_FLAGS = 12,
	MOCK_OP_DIRTY = 13,
	MOCK_OP_MD_CHECK_IOTLB = 14,
	MOCK_OP_TRIGGER_IOPF = 15,
	MOCK_OP_DEV_CHECK_CACHE = 16,
	MOCK_OP_TRIGGER_VEVENT = 17,
	MOCK_OP_PASID_ATTACH = 18,
	MOCK_OP_PASID_REPLACE = 19,
	MOCK_OP_PASID_DETACH = 20,
	MOCK_OP_PASID_CHECK_HWPT = 21,
	MOCK_OP_DMABUF_GET = 22,	/* a dma-buf of kernel memory: its fd */
	MOCK_OP_DMABUF_REVOKE = 23,	/* revoke (or un-revoke) one */
};

enum {
	MOCK_APERTURE_START = 1u << 24,
	MOCK_APERTURE_LAST = (1u << 31) - 1,
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
	MOCK_PASID_WIDTH = 20,
};

#define MOCK_HW_INFO_TYPE_SELFTEST 0xfeedbeefu
#define MOCK_HW_INFO_SELFTEST_REGVAL 0xdeadbeefu

/* nested hwpts: IOMMU_HWPT_DATA_SELFTEST, each with four mock IOTLB entries */
#define MOCK_HWPT_DATA_SELFTEST 0xdeadu
#define MOCK_IOTLB_DEFAULT 0xbadbeefu
#define MOCK_DEV_CACHE_DEFAULT 0xbaddadu
enum {
	MOCK_IOTLB_ID_MAX = 3,		/* MOCK_NESTED_DOMAIN_IOTLB_ID_MAX */
	MOCK_IOTLB_NUM = 4,
	MOCK_CACHE_ID_MAX = 3,		/* MOCK_DEV_CACHE_ID_MAX */
	MOCK_CACHE_NUM = 4,
};
struct mock_hwpt_selftest {
	uint32_t iotlb;
	uint32_t pagetable_type;
};

/* invalidation of a nested hwpt (IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) and
 * of a vIOMMU (IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST) */
#define MOCK_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeefu
#define MOCK_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeefu
#define MOCK_INVALIDATE_FLAG_ALL (1u << 0)
struct mock_hwpt_invalidate_selftest {
	uint32_t flags;
	uint32_t iotlb_id;
};
struct mock_viommu_invalidate_selftest {
	uint32_t flags;
	uint32_t vdev_id;
	uint32_t cache_id;
};

#define MOCK_VIOMMU_TYPE_SELFTEST 0xdeadbeefu
struct mock_viommu_selftest {
	uint32_t in_data;
	uint32_t out_data;
	KABI_ALIGNED_U64 out_mmap_offset;
	KABI_ALIGNED_U64 out_mmap_length;
};

/* vEVENTs the mock raises (MOCK_OP_TRIGGER_VEVENT): its record is the
 * vDEVICE's virtual id */
#define MOCK_VEVENTQ_TYPE_SELFTEST 0xbeefbeefu
struct mock_viommu_event_selftest {
	uint32_t virt_id;
};

#define MOCK_HW_QUEUE_TYPE_SELFTEST 0xdeadbeefu
#define MOCK_HW_QUEUE_MAX 2

struct mock_hw_info {
	uint32_t flags;
	uint32_t test_reg;
};

struct mock_cmd {
	uint32_t size;
	uint32_t op;
	uint32_t id;
	uint32_t reserved;
	union {
		struct {
			KABI_ALIGNED_U64 start;
			KABI_ALIGNED_U64 length;
		} add_reserved;
		struct {
			uint32_t out_stdev_id;
			uint32_t out_hwpt_id;
			uint32_t out_idev_id;	/* the dev_id */
			uint32_t dev_flags;	/* MOCK_OP_MOCK_DOMAIN_FLAGS */
		} mock_domain;
		struct {
			uint32_t pt_id;
		} mock_domain_replace;
		struct {
			KABI_ALIGNED_U64 iova;
			KABI_ALIGNED_U64 length;
			KABI_ALIGNED_U64 uptr;
		} check_map;
		struct {
			uint32_t pasid;
			uint32_t pt_id;		/* hwpt_id for CHECK_HWPT */
		} pasid;
		struct {
			uint32_t id;		/* iotlb_id / cache_id */
			uint32_t value;		/* the expected entry */
		} check_cache;
		struct {
			uint32_t flags;
			KABI_ALIGNED_U64 iova;
			KABI_ALIGNED_U64 length;
			KABI_ALIGNED_U64 page_size;
			KABI_ALIGNED_U64 uptr;	/* a bitmap: 1 = mark dirty */
			KABI_ALIGNED_U64 out_nr_dirty;
		} dirty;
		struct {
			uint32_t dev_id;
			uint32_t pasid;
			uint32_t grpid;
			uint32_t perm;
			KABI_ALIGNED_U64 addr;
		} trigger_iopf;
		struct {
			uint32_t dev_id;
		} trigger_vevent;
		struct {
			uint32_t length;
			uint32_t open_flags;
		} dmabuf_get;
		struct {
			int32_t dmabuf_fd;
			uint32_t revoked;
		} dmabuf_revoke;
		/* the kernel's union is larger; keep the overall size right */
		uint8_t pad[48];
	};
	uint32_t last;
};

#define MOCK_IOMMU_TEST_CMD _IO(KABI_IOMMUFD_TYPE, KABI_IOMMUFD_CMD_BASE + 32)

#endif
