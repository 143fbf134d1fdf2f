/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnestio's own declarations of the kernel ABI it speaks: the iommufd
 * ioctls (/dev/iommu) and the VFIO device-cdev ioctls that bind a device to
 * an iommufd and attach it. Written from the kernel's uAPI documentation
 * (Documentation/userspace-api/iommufd.rst and the kernel-doc of the iommufd
 * and vfio uAPI); every name carries a kabi_/KABI_ prefix so that
 * tests/hygiene/test-abi.c can include these next to the kernel's own headers and
 * compare every size, offset, flag and ioctl number.
 *
 * Private to lib/ (and the tests): nothing here is part of the public API.
 * Every struct is extensible the iommufd way: `size` (or VFIO's `argsz`)
 * first; the kernel accepts a shorter struct from an older userspace and
 * rejects unknown non-zero trailing bytes with E2BIG.
 */
#ifndef NESTIO_KABI_H
#define NESTIO_KABI_H

#include <stdint.h>
#include <sys/ioctl.h>

#define KABI_ALIGNED_U64 uint64_t __attribute__((aligned(8)))

/* ---- iommufd: ioctl numbers (_IO(';', 0x80 + n); size travels in-band) ---- */
#define KABI_IOMMUFD_TYPE ';'
enum {
	KABI_IOMMUFD_CMD_BASE = 0x80,
	KABI_IOMMUFD_CMD_DESTROY = 0x80,
	KABI_IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	KABI_IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	KABI_IOMMUFD_CMD_IOAS_COPY = 0x83,
	KABI_IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	KABI_IOMMUFD_CMD_IOAS_MAP = 0x85,
	KABI_IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	KABI_IOMMUFD_CMD_OPTION = 0x87,
	KABI_IOMMUFD_CMD_VFIO_IOAS = 0x88,
	KABI_IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	KABI_IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	KABI_IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	KABI_IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	KABI_IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	KABI_IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	KABI_IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	KABI_IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	KABI_IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	KABI_IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	KABI_IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	KABI_IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,
	KABI_IOMMUFD_CMD_LAST = 0x94,
};
#define KABI_IOMMUFD_IO(cmd) _IO(KABI_IOMMUFD_TYPE, (cmd))

#define KABI_IOMMU_DESTROY KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_DESTROY)
#define KABI_IOMMU_IOAS_ALLOC KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_IOAS_ALLOC)
#define KABI_IOMMU_IOAS_ALLOW_IOVAS KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_IOAS_ALLOW_IOVAS)
#define KABI_IOMMU_IOAS_COPY KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_IOAS_COPY)
#define KABI_IOMMU_IOAS_IOVA_RANGES KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_IOAS_IOVA_RANGES)
#define KABI_IOMMU_IOAS_MAP KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_IOAS_MAP)
#define KABI_IOMMU_IOAS_UNMAP KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_IOAS_UNMAP)
#define KABI_IOMMU_OPTION KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_OPTION)
#define KABI_IOMMU_VFIO_IOAS KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_VFIO_IOAS)
#define KABI_IOMMU_HWPT_ALLOC KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_HWPT_ALLOC)
#define KABI_IOMMU_GET_HW_INFO KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_GET_HW_INFO)
#define KABI_IOMMU_HWPT_SET_DIRTY_TRACKING KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)
#define KABI_IOMMU_HWPT_GET_DIRTY_BITMAP KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)
#define KABI_IOMMU_HWPT_INVALIDATE KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_HWPT_INVALIDATE)
#define KABI_IOMMU_FAULT_QUEUE_ALLOC KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_FAULT_QUEUE_ALLOC)
#define KABI_IOMMU_IOAS_MAP_FILE KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_IOAS_MAP_FILE)
#define KABI_IOMMU_VIOMMU_ALLOC KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_VIOMMU_ALLOC)
#define KABI_IOMMU_VDEVICE_ALLOC KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_VDEVICE_ALLOC)
#define KABI_IOMMU_IOAS_CHANGE_PROCESS KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_IOAS_CHANGE_PROCESS)
#define KABI_IOMMU_VEVENTQ_ALLOC KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_VEVENTQ_ALLOC)
#define KABI_IOMMU_HW_QUEUE_ALLOC KABI_IOMMUFD_IO(KABI_IOMMUFD_CMD_HW_QUEUE_ALLOC)

/* ---- objects and IOAS ---- */
struct kabi_destroy {
	uint32_t size;
	uint32_t id;
};

struct kabi_ioas_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_ioas_id;
};

struct kabi_iova_range {
	KABI_ALIGNED_U64 start;
	KABI_ALIGNED_U64 last;
};

struct kabi_ioas_iova_ranges {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t reserved;
	KABI_ALIGNED_U64 allowed_iovas; /* user pointer to kabi_iova_range[] */
	KABI_ALIGNED_U64 out_iova_alignment;
};

struct kabi_ioas_allow_iovas {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t reserved;
	KABI_ALIGNED_U64 allowed_iovas;
};

enum {
	KABI_IOAS_MAP_FIXED_IOVA = 1 << 0,
	KABI_IOAS_MAP_WRITEABLE = 1 << 1,
	KABI_IOAS_MAP_READABLE = 1 << 2,
};

struct kabi_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t reserved;
	KABI_ALIGNED_U64 user_va;
	KABI_ALIGNED_U64 length;
	KABI_ALIGNED_U64 iova;
};

struct kabi_ioas_map_file {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	int32_t fd;
	KABI_ALIGNED_U64 start;
	KABI_ALIGNED_U64 length;
	KABI_ALIGNED_U64 iova;
};

struct kabi_ioas_copy {
	uint32_t size;
	uint32_t flags;
	uint32_t dst_ioas_id;
	uint32_t src_ioas_id;
	KABI_ALIGNED_U64 length;
	KABI_ALIGNED_U64 dst_iova;
	KABI_ALIGNED_U64 src_iova;
};

struct kabi_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	KABI_ALIGNED_U64 iova;
	KABI_ALIGNED_U64 length; /* in: length; out: bytes unmapped */
};

enum {
	KABI_OPTION_RLIMIT_MODE = 0,
	KABI_OPTION_HUGE_PAGES = 1,
};
enum {
	KABI_OPTION_OP_SET = 0,
	KABI_OPTION_OP_GET = 1,
};
struct kabi_option {
	uint32_t size;
	uint32_t option_id;
	uint16_t op;
	uint16_t reserved;
	uint32_t object_id;
	KABI_ALIGNED_U64 val64;
};

enum {
	KABI_VFIO_IOAS_GET = 0,
	KABI_VFIO_IOAS_SET = 1,
	KABI_VFIO_IOAS_CLEAR = 2,
};
struct kabi_vfio_ioas {
	uint32_t size;
	uint32_t ioas_id;
	uint16_t op;
	uint16_t reserved;
};

struct kabi_ioas_change_process {
	uint32_t size;
	uint32_t reserved;
};

/* ---- HW page tables ---- */
enum {
	KABI_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	KABI_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	KABI_HWPT_FAULT_ID_VALID = 1 << 2,
	KABI_HWPT_ALLOC_PASID = 1 << 3,
};

enum {
	KABI_HWPT_DATA_NONE = 0,
	KABI_HWPT_DATA_VTD_S1 = 1,
	KABI_HWPT_DATA_ARM_SMMUV3 = 2,
	KABI_HWPT_DATA_AMD_GUEST = 3,
};

enum {
	KABI_VTD_S1_SRE = 1 << 0,
	KABI_VTD_S1_EAFE = 1 << 1,
	KABI_VTD_S1_WPE = 1 << 2,
};
struct kabi_hwpt_vtd_s1 {
	KABI_ALIGNED_U64 flags;
	KABI_ALIGNED_U64 pgtbl_addr;
	uint32_t addr_width;
	uint32_t reserved;
};

struct kabi_hwpt_arm_smmuv3 {
	KABI_ALIGNED_U64 ste[2]; /* little endian */
};

struct kabi_hwpt_amd_guest {
	KABI_ALIGNED_U64 dte[4];
};

struct kabi_hwpt_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pt_id;
	uint32_t out_hwpt_id;
	uint32_t reserved;
	uint32_t data_type;
	uint32_t data_len;
	KABI_ALIGNED_U64 data_uptr;
	uint32_t fault_id;
	uint32_t reserved2;
};

/* ---- hardware information ---- */
enum {
	KABI_HW_INFO_TYPE_NONE = 0,
	KABI_HW_INFO_TYPE_DEFAULT = 0,
	KABI_HW_INFO_TYPE_INTEL_VTD = 1,
	KABI_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	KABI_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
	KABI_HW_INFO_TYPE_AMD = 4,
};

enum {
	KABI_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};
struct kabi_hw_info_vtd {
	uint32_t flags;
	uint32_t reserved;
	KABI_ALIGNED_U64 cap_reg;
	KABI_ALIGNED_U64 ecap_reg;
};

struct kabi_hw_info_arm_smmuv3 {
	uint32_t flags;
	uint32_t reserved;
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
};

struct kabi_hw_info_tegra241_cmdqv {
	uint32_t flags;
	uint8_t version;
	uint8_t log2vcmdqs;
	uint8_t log2vsids;
	uint8_t reserved;
};

struct kabi_hw_info_amd {
	KABI_ALIGNED_U64 efr;
	KABI_ALIGNED_U64 efr2;
};

enum {
	KABI_HW_CAP_DIRTY_TRACKING = 1 << 0,
	KABI_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	KABI_HW_CAP_PCI_PASID_PRIV = 1 << 2,
	KABI_HW_CAP_PCI_ATS_NOT_SUPPORTED = 1 << 3,
};

enum {
	KABI_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

struct kabi_hw_info {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t data_len;
	KABI_ALIGNED_U64 data_uptr;
	uint32_t data_type; /* in with FLAG_INPUT_TYPE, out always */
	uint8_t out_max_pasid_log2;
	uint8_t reserved[3];
	KABI_ALIGNED_U64 out_capabilities;
};

/* ---- dirty tracking ---- */
enum {
	KABI_HWPT_DIRTY_TRACKING_ENABLE = 1,
};
struct kabi_hwpt_set_dirty_tracking {
	uint32_t size;
	uint32_t flags;
	uint32_t hwpt_id;
	uint32_t reserved;
};

enum {
	KABI_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};
struct kabi_hwpt_get_dirty_bitmap {
	uint32_t size;
	uint32_t hwpt_id;
	uint32_t flags;
	uint32_t reserved;
	KABI_ALIGNED_U64 iova;
	KABI_ALIGNED_U64 length;
	KABI_ALIGNED_U64 page_size;
	KABI_ALIGNED_U64 data;
};

/* ---- cache invalidation ---- */
enum {
	KABI_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	KABI_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

enum {
	KABI_VTD_INV_FLAGS_LEAF = 1 << 0,
};
struct kabi_hwpt_vtd_s1_invalidate {
	KABI_ALIGNED_U64 addr;
	KABI_ALIGNED_U64 npages;
	uint32_t flags;
	uint32_t reserved;
};

struct kabi_viommu_arm_smmuv3_invalidate {
	KABI_ALIGNED_U64 cmd[2]; /* little endian */
};

struct kabi_hwpt_invalidate {
	uint32_t size;
	uint32_t hwpt_id; /* a nested hwpt or a vIOMMU */
	KABI_ALIGNED_U64 data_uptr;
	uint32_t data_type;
	uint32_t entry_len;
	uint32_t entry_num; /* in: entries; out: entries handled */
	uint32_t reserved;
};

/* ---- I/O page faults ---- */
enum {
	KABI_PGFAULT_FLAGS_PASID_VALID = 1 << 0,
	KABI_PGFAULT_FLAGS_LAST_PAGE = 1 << 1,
};
enum {
	KABI_PGFAULT_PERM_READ = 1 << 0,
	KABI_PGFAULT_PERM_WRITE = 1 << 1,
	KABI_PGFAULT_PERM_EXEC = 1 << 2,
	KABI_PGFAULT_PERM_PRIV = 1 << 3,
};
struct kabi_hwpt_pgfault {
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	uint32_t reserved;
	KABI_ALIGNED_U64 addr;
	uint32_t length;
	uint32_t cookie;
};

enum {
	KABI_PAGE_RESP_SUCCESS = 0,
	KABI_PAGE_RESP_INVALID = 1,
};
struct kabi_hwpt_page_response {
	uint32_t cookie;
	uint32_t code;
};

struct kabi_fault_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_fault_id;
	uint32_t out_fault_fd;
};

/* ---- vIOMMU, vDEVICE, vEVENTQ, HW queue ---- */
enum {
	KABI_VIOMMU_TYPE_DEFAULT = 0,
	KABI_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	KABI_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

struct kabi_viommu_tegra241_cmdqv {
	KABI_ALIGNED_U64 out_vintf_mmap_offset;
	KABI_ALIGNED_U64 out_vintf_mmap_length;
};

struct kabi_viommu_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t type;
	uint32_t dev_id;
	uint32_t hwpt_id;
	uint32_t out_viommu_id;
	uint32_t data_len;
	uint32_t reserved;
	KABI_ALIGNED_U64 data_uptr;
};

struct kabi_vdevice_alloc {
	uint32_t size;
	uint32_t viommu_id;
	uint32_t dev_id;
	uint32_t out_vdevice_id;
	KABI_ALIGNED_U64 virt_id;
};

enum {
	KABI_VEVENTQ_FLAG_LOST_EVENTS = 1u << 0,
};
struct kabi_vevent_header {
	uint32_t flags;
	uint32_t sequence;
};

enum {
	KABI_VEVENTQ_TYPE_DEFAULT = 0,
	KABI_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	KABI_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
};

struct kabi_vevent_arm_smmuv3 {
	KABI_ALIGNED_U64 evt[4];
};

struct kabi_vevent_tegra241_cmdqv {
	KABI_ALIGNED_U64 lvcmdq_err_map[2];
};

struct kabi_veventq_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t veventq_depth;
	uint32_t out_veventq_id;
	uint32_t out_veventq_fd;
	uint32_t reserved;
};

enum {
	KABI_HW_QUEUE_TYPE_DEFAULT = 0,
	KABI_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
};
struct kabi_hw_queue_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t index;
	uint32_t out_hw_queue_id;
	KABI_ALIGNED_U64 nesting_parent_iova;
	KABI_ALIGNED_U64 length;
};

/* ---- VFIO device cdev (/dev/vfio/devices/vfioN) ---- */
#define KABI_VFIO_TYPE ';'
#define KABI_VFIO_BASE 100
#define KABI_VFIO_DEVICE_GET_INFO _IO(KABI_VFIO_TYPE, KABI_VFIO_BASE + 7)
#define KABI_VFIO_DEVICE_GET_REGION_INFO _IO(KABI_VFIO_TYPE, KABI_VFIO_BASE + 8)
#define KABI_VFIO_DEVICE_RESET _IO(KABI_VFIO_TYPE, KABI_VFIO_BASE + 11)
#define KABI_VFIO_DEVICE_BIND_IOMMUFD _IO(KABI_VFIO_TYPE, KABI_VFIO_BASE + 18)
#define KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(KABI_VFIO_TYPE, KABI_VFIO_BASE + 19)
#define KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(KABI_VFIO_TYPE, KABI_VFIO_BASE + 20)

struct kabi_vfio_device_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t cap_offset;
	uint32_t pad;
};
enum {
	KABI_VFIO_DEVICE_FLAGS_RESET = 1 << 0,
	KABI_VFIO_DEVICE_FLAGS_PCI = 1 << 1,
};

struct kabi_vfio_region_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t cap_offset;
	KABI_ALIGNED_U64 size;
	KABI_ALIGNED_U64 offset;
};
enum {
	KABI_VFIO_REGION_INFO_FLAG_READ = 1 << 0,
	KABI_VFIO_REGION_INFO_FLAG_WRITE = 1 << 1,
	KABI_VFIO_REGION_INFO_FLAG_MMAP = 1 << 2,
};
enum {
	KABI_VFIO_PCI_BAR0_REGION_INDEX = 0,
	KABI_VFIO_PCI_CONFIG_REGION_INDEX = 7,
};

enum {
	KABI_VFIO_DEVICE_BIND_FLAG_TOKEN = 1 << 0,
};
struct kabi_vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
	KABI_ALIGNED_U64 token_uuid_ptr;
};
/* the struct as it was before the token field (Linux 6.6 .. 6.16) */
#define KABI_VFIO_DEVICE_BIND_IOMMUFD_MINSZ 16

enum {
	KABI_VFIO_DEVICE_ATTACH_PASID = 1 << 0,
};
struct kabi_vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
	uint32_t pasid;
};
/* the struct as it was before PASID attach (Linux 6.6 .. 6.13) */
#define KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT_MINSZ 12

enum {
	KABI_VFIO_DEVICE_DETACH_PASID = 1 << 0,
};
struct kabi_vfio_device_detach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pasid;
};
#define KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT_MINSZ 8

/*
 * VFIO_DEVICE_FEATURE: a feature index in the low 16 bits of flags, and GET,
 * SET or PROBE; the feature's data follows the 8-byte header.
 * VFIO_DEVICE_FEATURE_DMA_BUF (GET) exports slices of a region (PCI: a BAR)
 * as one dma-buf and returns its fd as the ioctl's result.
 */
#define KABI_VFIO_DEVICE_FEATURE _IO(KABI_VFIO_TYPE, KABI_VFIO_BASE + 17)
struct kabi_vfio_device_feature {
	uint32_t argsz;
	uint32_t flags;
};
enum {
	KABI_VFIO_DEVICE_FEATURE_MASK = 0xffff,
	KABI_VFIO_DEVICE_FEATURE_GET = 1 << 16,
	KABI_VFIO_DEVICE_FEATURE_SET = 1 << 17,
	KABI_VFIO_DEVICE_FEATURE_PROBE = 1 << 18,
	KABI_VFIO_DEVICE_FEATURE_DMA_BUF = 11,
};
struct kabi_vfio_region_dma_range {
	KABI_ALIGNED_U64 offset;
	KABI_ALIGNED_U64 length;
};
struct kabi_vfio_device_feature_dma_buf {
	uint32_t region_index;
	uint32_t open_flags;
	uint32_t flags;
	uint32_t nr_ranges;
	struct kabi_vfio_region_dma_range dma_ranges[];	/* nr_ranges */
};

/* ---- the type1 container map that iommufd's VFIO compat layer serves on
 * /dev/iommu, into the IOAS IOMMU_VFIO_IOAS set (tests use it to see that
 * IOAS) ---- */
#define KABI_VFIO_IOMMU_MAP_DMA _IO(KABI_VFIO_TYPE, KABI_VFIO_BASE + 13)
enum {
	KABI_VFIO_DMA_MAP_FLAG_READ = 1 << 0,
	KABI_VFIO_DMA_MAP_FLAG_WRITE = 1 << 1,
};
struct kabi_vfio_iommu_type1_dma_map {
	uint32_t argsz;
	uint32_t flags;
	KABI_ALIGNED_U64 vaddr;
	KABI_ALIGNED_U64 iova;
	KABI_ALIGNED_U64 size;
};

#endif
