// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ABI hygiene: libnestio's own declarations of the kernel ABI (lib/kabi.h,
 * and the tests' mock ABI in tests/lib/mock.h) against the kernel's uapi
 * headers (configure --with-kernel-headers, --with-iommufd-test-header).
 *
 * One table of {name, what, ours, theirs}: every struct's size and
 * alignment, every field's offset, size and signedness, every enum or flag
 * value and every ioctl number. Each row is its own (loop) test, so one run
 * lists every difference by name. A second test parses lib/kabi.h (and
 * tests/lib/mock.h, with tests/lib/hdrscan.c) and fails for any declared
 * name the table does not check.
 */
#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* also take a kernel tree's raw include/uapi, not only `make headers` output */
#define __EXPORTED_HEADERS__ 1
#define __user
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "hdrscan.h"
#include "kabi.h"

#ifdef IOMMUFD_TEST_HEADER
/*
 * The kernel's iommufd_test.h and our mock.h both declare these names: read
 * the kernel's under other ones, so both headers fit in one file.
 */
#define MOCK_APERTURE_START K_MOCK_APERTURE_START
#define MOCK_APERTURE_LAST K_MOCK_APERTURE_LAST
#define MOCK_FLAGS_DEVICE_NO_DIRTY K_MOCK_FLAGS_DEVICE_NO_DIRTY
#define MOCK_FLAGS_DEVICE_PASID K_MOCK_FLAGS_DEVICE_PASID
#include IOMMUFD_TEST_HEADER
#undef MOCK_APERTURE_START
#undef MOCK_APERTURE_LAST
#undef MOCK_FLAGS_DEVICE_NO_DIRTY
#undef MOCK_FLAGS_DEVICE_PASID
enum { K_MOCK_PASID_WIDTH = MOCK_PASID_WIDTH };
#undef MOCK_PASID_WIDTH
#include "mock.h"
#endif

struct row {
	const char *name;	/* our identifier: KABI_X, kabi_x, kabi_x.field */
	const char *what;	/* value, size, alignment, offset, ... */
	size_t ours, theirs;
};

#define ROW(name, what, o, t) { name, what, (size_t)(o), (size_t)(t) }
#define MSIZE(t, f) sizeof(((struct t *)0)->f)
#define SIGNED(t, f) ((__typeof__(((struct t *)0)->f))-1 < (__typeof__(((struct t *)0)->f))1)
#define OFFSETOFEND(t, f) (offsetof(struct t, f) + MSIZE(t, f))

/* a value: enum constant, flag, ioctl number */
#define VAL(o, t) ROW(#o, "value", o, t)
/* a struct, ours o and theirs t */
#define STRUCT(o, t)                                                           \
	ROW(#o, "size", sizeof(struct o), sizeof(struct t)),                   \
	ROW(#o, "alignment", _Alignof(struct o), _Alignof(struct t))
/* a scalar field, named of in ours and tf in theirs */
#define FIELD2(o, of, t, tf)                                                   \
	ROW(#o "." #of, "offset", offsetof(struct o, of), offsetof(struct t, tf)), \
	ROW(#o "." #of, "size", MSIZE(o, of), MSIZE(t, tf)),                   \
	ROW(#o "." #of, "signedness", SIGNED(o, of), SIGNED(t, tf))
#define FIELD(o, t, f) FIELD2(o, f, t, f)
#define RESERVED(o, t) FIELD2(o, reserved, t, __reserved)
/* an array field */
#define ARRAY2(o, of, t, tf)                                                   \
	ROW(#o "." #of, "offset", offsetof(struct o, of), offsetof(struct t, tf)), \
	ROW(#o "." #of, "size", MSIZE(o, of), MSIZE(t, tf)),                   \
	ROW(#o "." #of, "element size", MSIZE(o, of[0]), MSIZE(t, tf[0]))
#define ARRAY(o, t, f) ARRAY2(o, f, t, f)

static const struct row rows[] = {
	/* ---- ioctl numbers ---- */
	VAL(KABI_IOMMUFD_TYPE, IOMMUFD_TYPE),
	VAL(KABI_IOMMUFD_CMD_BASE, IOMMUFD_CMD_BASE),
	VAL(KABI_IOMMUFD_CMD_DESTROY, IOMMUFD_CMD_DESTROY),
	VAL(KABI_IOMMUFD_CMD_IOAS_ALLOC, IOMMUFD_CMD_IOAS_ALLOC),
	VAL(KABI_IOMMUFD_CMD_IOAS_ALLOW_IOVAS, IOMMUFD_CMD_IOAS_ALLOW_IOVAS),
	VAL(KABI_IOMMUFD_CMD_IOAS_COPY, IOMMUFD_CMD_IOAS_COPY),
	VAL(KABI_IOMMUFD_CMD_IOAS_IOVA_RANGES, IOMMUFD_CMD_IOAS_IOVA_RANGES),
	VAL(KABI_IOMMUFD_CMD_IOAS_MAP, IOMMUFD_CMD_IOAS_MAP),
	VAL(KABI_IOMMUFD_CMD_IOAS_UNMAP, IOMMUFD_CMD_IOAS_UNMAP),
	VAL(KABI_IOMMUFD_CMD_OPTION, IOMMUFD_CMD_OPTION),
	VAL(KABI_IOMMUFD_CMD_VFIO_IOAS, IOMMUFD_CMD_VFIO_IOAS),
	VAL(KABI_IOMMUFD_CMD_HWPT_ALLOC, IOMMUFD_CMD_HWPT_ALLOC),
	VAL(KABI_IOMMUFD_CMD_GET_HW_INFO, IOMMUFD_CMD_GET_HW_INFO),
	VAL(KABI_IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING),
	VAL(KABI_IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP),
	VAL(KABI_IOMMUFD_CMD_HWPT_INVALIDATE, IOMMUFD_CMD_HWPT_INVALIDATE),
	VAL(KABI_IOMMUFD_CMD_FAULT_QUEUE_ALLOC, IOMMUFD_CMD_FAULT_QUEUE_ALLOC),
	VAL(KABI_IOMMUFD_CMD_IOAS_MAP_FILE, IOMMUFD_CMD_IOAS_MAP_FILE),
	VAL(KABI_IOMMUFD_CMD_VIOMMU_ALLOC, IOMMUFD_CMD_VIOMMU_ALLOC),
	VAL(KABI_IOMMUFD_CMD_VDEVICE_ALLOC, IOMMUFD_CMD_VDEVICE_ALLOC),
	VAL(KABI_IOMMUFD_CMD_IOAS_CHANGE_PROCESS, IOMMUFD_CMD_IOAS_CHANGE_PROCESS),
	VAL(KABI_IOMMUFD_CMD_VEVENTQ_ALLOC, IOMMUFD_CMD_VEVENTQ_ALLOC),
	VAL(KABI_IOMMUFD_CMD_HW_QUEUE_ALLOC, IOMMUFD_CMD_HW_QUEUE_ALLOC),
	/* ours is the last command we know; the kernel has no such name */
	VAL(KABI_IOMMUFD_CMD_LAST, IOMMUFD_CMD_HW_QUEUE_ALLOC),
	VAL(KABI_IOMMU_DESTROY, IOMMU_DESTROY),
	VAL(KABI_IOMMU_IOAS_ALLOC, IOMMU_IOAS_ALLOC),
	VAL(KABI_IOMMU_IOAS_ALLOW_IOVAS, IOMMU_IOAS_ALLOW_IOVAS),
	VAL(KABI_IOMMU_IOAS_COPY, IOMMU_IOAS_COPY),
	VAL(KABI_IOMMU_IOAS_IOVA_RANGES, IOMMU_IOAS_IOVA_RANGES),
	VAL(KABI_IOMMU_IOAS_MAP, IOMMU_IOAS_MAP),
	VAL(KABI_IOMMU_IOAS_UNMAP, IOMMU_IOAS_UNMAP),
	VAL(KABI_IOMMU_OPTION, IOMMU_OPTION),
	VAL(KABI_IOMMU_VFIO_IOAS, IOMMU_VFIO_IOAS),
	VAL(KABI_IOMMU_HWPT_ALLOC, IOMMU_HWPT_ALLOC),
	VAL(KABI_IOMMU_GET_HW_INFO, IOMMU_GET_HW_INFO),
	VAL(KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_SET_DIRTY_TRACKING),
	VAL(KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, IOMMU_HWPT_GET_DIRTY_BITMAP),
	VAL(KABI_IOMMU_HWPT_INVALIDATE, IOMMU_HWPT_INVALIDATE),
	VAL(KABI_IOMMU_FAULT_QUEUE_ALLOC, IOMMU_FAULT_QUEUE_ALLOC),
	VAL(KABI_IOMMU_IOAS_MAP_FILE, IOMMU_IOAS_MAP_FILE),
	VAL(KABI_IOMMU_VIOMMU_ALLOC, IOMMU_VIOMMU_ALLOC),
	VAL(KABI_IOMMU_VDEVICE_ALLOC, IOMMU_VDEVICE_ALLOC),
	VAL(KABI_IOMMU_IOAS_CHANGE_PROCESS, IOMMU_IOAS_CHANGE_PROCESS),
	VAL(KABI_IOMMU_VEVENTQ_ALLOC, IOMMU_VEVENTQ_ALLOC),
	VAL(KABI_IOMMU_HW_QUEUE_ALLOC, IOMMU_HW_QUEUE_ALLOC),

	/* ---- objects and IOAS ---- */
	STRUCT(kabi_destroy, iommu_destroy),
	FIELD(kabi_destroy, iommu_destroy, size),
	FIELD(kabi_destroy, iommu_destroy, id),
	STRUCT(kabi_ioas_alloc, iommu_ioas_alloc),
	FIELD(kabi_ioas_alloc, iommu_ioas_alloc, size),
	FIELD(kabi_ioas_alloc, iommu_ioas_alloc, flags),
	FIELD(kabi_ioas_alloc, iommu_ioas_alloc, out_ioas_id),
	STRUCT(kabi_iova_range, iommu_iova_range),
	FIELD(kabi_iova_range, iommu_iova_range, start),
	FIELD(kabi_iova_range, iommu_iova_range, last),
	STRUCT(kabi_ioas_iova_ranges, iommu_ioas_iova_ranges),
	FIELD(kabi_ioas_iova_ranges, iommu_ioas_iova_ranges, size),
	FIELD(kabi_ioas_iova_ranges, iommu_ioas_iova_ranges, ioas_id),
	FIELD(kabi_ioas_iova_ranges, iommu_ioas_iova_ranges, num_iovas),
	RESERVED(kabi_ioas_iova_ranges, iommu_ioas_iova_ranges),
	FIELD(kabi_ioas_iova_ranges, iommu_ioas_iova_ranges, allowed_iovas),
	FIELD(kabi_ioas_iova_ranges, iommu_ioas_iova_ranges, out_iova_alignment),
	STRUCT(kabi_ioas_allow_iovas, iommu_ioas_allow_iovas),
	FIELD(kabi_ioas_allow_iovas, iommu_ioas_allow_iovas, size),
	FIELD(kabi_ioas_allow_iovas, iommu_ioas_allow_iovas, ioas_id),
	FIELD(kabi_ioas_allow_iovas, iommu_ioas_allow_iovas, num_iovas),
	RESERVED(kabi_ioas_allow_iovas, iommu_ioas_allow_iovas),
	FIELD(kabi_ioas_allow_iovas, iommu_ioas_allow_iovas, allowed_iovas),
	VAL(KABI_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_FIXED_IOVA),
	VAL(KABI_IOAS_MAP_WRITEABLE, IOMMU_IOAS_MAP_WRITEABLE),
	VAL(KABI_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_READABLE),
	STRUCT(kabi_ioas_map, iommu_ioas_map),
	FIELD(kabi_ioas_map, iommu_ioas_map, size),
	FIELD(kabi_ioas_map, iommu_ioas_map, flags),
	FIELD(kabi_ioas_map, iommu_ioas_map, ioas_id),
	RESERVED(kabi_ioas_map, iommu_ioas_map),
	FIELD(kabi_ioas_map, iommu_ioas_map, user_va),
	FIELD(kabi_ioas_map, iommu_ioas_map, length),
	FIELD(kabi_ioas_map, iommu_ioas_map, iova),
	STRUCT(kabi_ioas_map_file, iommu_ioas_map_file),
	FIELD(kabi_ioas_map_file, iommu_ioas_map_file, size),
	FIELD(kabi_ioas_map_file, iommu_ioas_map_file, flags),
	FIELD(kabi_ioas_map_file, iommu_ioas_map_file, ioas_id),
	FIELD(kabi_ioas_map_file, iommu_ioas_map_file, fd),
	FIELD(kabi_ioas_map_file, iommu_ioas_map_file, start),
	FIELD(kabi_ioas_map_file, iommu_ioas_map_file, length),
	FIELD(kabi_ioas_map_file, iommu_ioas_map_file, iova),
	STRUCT(kabi_ioas_copy, iommu_ioas_copy),
	FIELD(kabi_ioas_copy, iommu_ioas_copy, size),
	FIELD(kabi_ioas_copy, iommu_ioas_copy, flags),
	FIELD(kabi_ioas_copy, iommu_ioas_copy, dst_ioas_id),
	FIELD(kabi_ioas_copy, iommu_ioas_copy, src_ioas_id),
	FIELD(kabi_ioas_copy, iommu_ioas_copy, length),
	FIELD(kabi_ioas_copy, iommu_ioas_copy, dst_iova),
	FIELD(kabi_ioas_copy, iommu_ioas_copy, src_iova),
	STRUCT(kabi_ioas_unmap, iommu_ioas_unmap),
	FIELD(kabi_ioas_unmap, iommu_ioas_unmap, size),
	FIELD(kabi_ioas_unmap, iommu_ioas_unmap, ioas_id),
	FIELD(kabi_ioas_unmap, iommu_ioas_unmap, iova),
	FIELD(kabi_ioas_unmap, iommu_ioas_unmap, length),
	VAL(KABI_OPTION_RLIMIT_MODE, IOMMU_OPTION_RLIMIT_MODE),
	VAL(KABI_OPTION_HUGE_PAGES, IOMMU_OPTION_HUGE_PAGES),
	VAL(KABI_OPTION_OP_SET, IOMMU_OPTION_OP_SET),
	VAL(KABI_OPTION_OP_GET, IOMMU_OPTION_OP_GET),
	STRUCT(kabi_option, iommu_option),
	FIELD(kabi_option, iommu_option, size),
	FIELD(kabi_option, iommu_option, option_id),
	FIELD(kabi_option, iommu_option, op),
	RESERVED(kabi_option, iommu_option),
	FIELD(kabi_option, iommu_option, object_id),
	FIELD(kabi_option, iommu_option, val64),
	VAL(KABI_VFIO_IOAS_GET, IOMMU_VFIO_IOAS_GET),
	VAL(KABI_VFIO_IOAS_SET, IOMMU_VFIO_IOAS_SET),
	VAL(KABI_VFIO_IOAS_CLEAR, IOMMU_VFIO_IOAS_CLEAR),
	STRUCT(kabi_vfio_ioas, iommu_vfio_ioas),
	FIELD(kabi_vfio_ioas, iommu_vfio_ioas, size),
	FIELD(kabi_vfio_ioas, iommu_vfio_ioas, ioas_id),
	FIELD(kabi_vfio_ioas, iommu_vfio_ioas, op),
	RESERVED(kabi_vfio_ioas, iommu_vfio_ioas),
	STRUCT(kabi_ioas_change_process, iommu_ioas_change_process),
	FIELD(kabi_ioas_change_process, iommu_ioas_change_process, size),
	RESERVED(kabi_ioas_change_process, iommu_ioas_change_process),

	/* ---- HW page tables ---- */
	VAL(KABI_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_NEST_PARENT),
	VAL(KABI_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_DIRTY_TRACKING),
	VAL(KABI_HWPT_FAULT_ID_VALID, IOMMU_HWPT_FAULT_ID_VALID),
	VAL(KABI_HWPT_ALLOC_PASID, IOMMU_HWPT_ALLOC_PASID),
	VAL(KABI_HWPT_DATA_NONE, IOMMU_HWPT_DATA_NONE),
	VAL(KABI_HWPT_DATA_VTD_S1, IOMMU_HWPT_DATA_VTD_S1),
	VAL(KABI_HWPT_DATA_ARM_SMMUV3, IOMMU_HWPT_DATA_ARM_SMMUV3),
	VAL(KABI_HWPT_DATA_AMD_GUEST, IOMMU_HWPT_DATA_AMD_GUEST),
	VAL(KABI_VTD_S1_SRE, IOMMU_VTD_S1_SRE),
	VAL(KABI_VTD_S1_EAFE, IOMMU_VTD_S1_EAFE),
	VAL(KABI_VTD_S1_WPE, IOMMU_VTD_S1_WPE),
	STRUCT(kabi_hwpt_vtd_s1, iommu_hwpt_vtd_s1),
	FIELD(kabi_hwpt_vtd_s1, iommu_hwpt_vtd_s1, flags),
	FIELD(kabi_hwpt_vtd_s1, iommu_hwpt_vtd_s1, pgtbl_addr),
	FIELD(kabi_hwpt_vtd_s1, iommu_hwpt_vtd_s1, addr_width),
	RESERVED(kabi_hwpt_vtd_s1, iommu_hwpt_vtd_s1),
	STRUCT(kabi_hwpt_arm_smmuv3, iommu_hwpt_arm_smmuv3),
	ARRAY(kabi_hwpt_arm_smmuv3, iommu_hwpt_arm_smmuv3, ste),
	STRUCT(kabi_hwpt_amd_guest, iommu_hwpt_amd_guest),
	ARRAY(kabi_hwpt_amd_guest, iommu_hwpt_amd_guest, dte),
	STRUCT(kabi_hwpt_alloc, iommu_hwpt_alloc),
	FIELD(kabi_hwpt_alloc, iommu_hwpt_alloc, size),
	FIELD(kabi_hwpt_alloc, iommu_hwpt_alloc, flags),
	FIELD(kabi_hwpt_alloc, iommu_hwpt_alloc, dev_id),
	FIELD(kabi_hwpt_alloc, iommu_hwpt_alloc, pt_id),
	FIELD(kabi_hwpt_alloc, iommu_hwpt_alloc, out_hwpt_id),
	RESERVED(kabi_hwpt_alloc, iommu_hwpt_alloc),
	FIELD(kabi_hwpt_alloc, iommu_hwpt_alloc, data_type),
	FIELD(kabi_hwpt_alloc, iommu_hwpt_alloc, data_len),
	FIELD(kabi_hwpt_alloc, iommu_hwpt_alloc, data_uptr),
	FIELD(kabi_hwpt_alloc, iommu_hwpt_alloc, fault_id),
	FIELD2(kabi_hwpt_alloc, reserved2, iommu_hwpt_alloc, __reserved2),

	/* ---- hardware information ---- */
	VAL(KABI_HW_INFO_TYPE_NONE, IOMMU_HW_INFO_TYPE_NONE),
	VAL(KABI_HW_INFO_TYPE_DEFAULT, IOMMU_HW_INFO_TYPE_DEFAULT),
	VAL(KABI_HW_INFO_TYPE_INTEL_VTD, IOMMU_HW_INFO_TYPE_INTEL_VTD),
	VAL(KABI_HW_INFO_TYPE_ARM_SMMUV3, IOMMU_HW_INFO_TYPE_ARM_SMMUV3),
	VAL(KABI_HW_INFO_TYPE_TEGRA241_CMDQV, IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV),
	VAL(KABI_HW_INFO_TYPE_AMD, IOMMU_HW_INFO_TYPE_AMD),
	VAL(KABI_HW_INFO_VTD_ERRATA_772415_SPR17, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17),
	STRUCT(kabi_hw_info_vtd, iommu_hw_info_vtd),
	FIELD(kabi_hw_info_vtd, iommu_hw_info_vtd, flags),
	RESERVED(kabi_hw_info_vtd, iommu_hw_info_vtd),
	FIELD(kabi_hw_info_vtd, iommu_hw_info_vtd, cap_reg),
	FIELD(kabi_hw_info_vtd, iommu_hw_info_vtd, ecap_reg),
	STRUCT(kabi_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3),
	FIELD(kabi_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, flags),
	RESERVED(kabi_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3),
	ARRAY(kabi_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, idr),
	FIELD(kabi_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, iidr),
	FIELD(kabi_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, aidr),
	STRUCT(kabi_hw_info_tegra241_cmdqv, iommu_hw_info_tegra241_cmdqv),
	FIELD(kabi_hw_info_tegra241_cmdqv, iommu_hw_info_tegra241_cmdqv, flags),
	FIELD(kabi_hw_info_tegra241_cmdqv, iommu_hw_info_tegra241_cmdqv, version),
	FIELD(kabi_hw_info_tegra241_cmdqv, iommu_hw_info_tegra241_cmdqv, log2vcmdqs),
	FIELD(kabi_hw_info_tegra241_cmdqv, iommu_hw_info_tegra241_cmdqv, log2vsids),
	RESERVED(kabi_hw_info_tegra241_cmdqv, iommu_hw_info_tegra241_cmdqv),
	STRUCT(kabi_hw_info_amd, iommu_hw_info_amd),
	FIELD(kabi_hw_info_amd, iommu_hw_info_amd, efr),
	FIELD(kabi_hw_info_amd, iommu_hw_info_amd, efr2),
	VAL(KABI_HW_CAP_DIRTY_TRACKING, IOMMU_HW_CAP_DIRTY_TRACKING),
	VAL(KABI_HW_CAP_PCI_PASID_EXEC, IOMMU_HW_CAP_PCI_PASID_EXEC),
	VAL(KABI_HW_CAP_PCI_PASID_PRIV, IOMMU_HW_CAP_PCI_PASID_PRIV),
	VAL(KABI_HW_CAP_PCI_ATS_NOT_SUPPORTED, IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED),
	VAL(KABI_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HW_INFO_FLAG_INPUT_TYPE),
	STRUCT(kabi_hw_info, iommu_hw_info),
	FIELD(kabi_hw_info, iommu_hw_info, size),
	FIELD(kabi_hw_info, iommu_hw_info, flags),
	FIELD(kabi_hw_info, iommu_hw_info, dev_id),
	FIELD(kabi_hw_info, iommu_hw_info, data_len),
	FIELD(kabi_hw_info, iommu_hw_info, data_uptr),
	/* the kernel's is a union of in_data_type and out_data_type */
	FIELD2(kabi_hw_info, data_type, iommu_hw_info, in_data_type),
	FIELD2(kabi_hw_info, data_type, iommu_hw_info, out_data_type),
	FIELD(kabi_hw_info, iommu_hw_info, out_max_pasid_log2),
	ARRAY2(kabi_hw_info, reserved, iommu_hw_info, __reserved),
	FIELD(kabi_hw_info, iommu_hw_info, out_capabilities),

	/* ---- dirty tracking ---- */
	VAL(KABI_HWPT_DIRTY_TRACKING_ENABLE, IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
	STRUCT(kabi_hwpt_set_dirty_tracking, iommu_hwpt_set_dirty_tracking),
	FIELD(kabi_hwpt_set_dirty_tracking, iommu_hwpt_set_dirty_tracking, size),
	FIELD(kabi_hwpt_set_dirty_tracking, iommu_hwpt_set_dirty_tracking, flags),
	FIELD(kabi_hwpt_set_dirty_tracking, iommu_hwpt_set_dirty_tracking, hwpt_id),
	RESERVED(kabi_hwpt_set_dirty_tracking, iommu_hwpt_set_dirty_tracking),
	VAL(KABI_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
	STRUCT(kabi_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap),
	FIELD(kabi_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, size),
	FIELD(kabi_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, hwpt_id),
	FIELD(kabi_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, flags),
	RESERVED(kabi_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap),
	FIELD(kabi_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, iova),
	FIELD(kabi_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, length),
	FIELD(kabi_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, page_size),
	FIELD(kabi_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, data),

	/* ---- cache invalidation ---- */
	VAL(KABI_HWPT_INVALIDATE_DATA_VTD_S1, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1),
	VAL(KABI_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3),
	VAL(KABI_VTD_INV_FLAGS_LEAF, IOMMU_VTD_INV_FLAGS_LEAF),
	STRUCT(kabi_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate),
	FIELD(kabi_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate, addr),
	FIELD(kabi_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate, npages),
	FIELD(kabi_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate, flags),
	RESERVED(kabi_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate),
	STRUCT(kabi_viommu_arm_smmuv3_invalidate, iommu_viommu_arm_smmuv3_invalidate),
	ARRAY(kabi_viommu_arm_smmuv3_invalidate, iommu_viommu_arm_smmuv3_invalidate, cmd),
	STRUCT(kabi_hwpt_invalidate, iommu_hwpt_invalidate),
	FIELD(kabi_hwpt_invalidate, iommu_hwpt_invalidate, size),
	FIELD(kabi_hwpt_invalidate, iommu_hwpt_invalidate, hwpt_id),
	FIELD(kabi_hwpt_invalidate, iommu_hwpt_invalidate, data_uptr),
	FIELD(kabi_hwpt_invalidate, iommu_hwpt_invalidate, data_type),
	FIELD(kabi_hwpt_invalidate, iommu_hwpt_invalidate, entry_len),
	FIELD(kabi_hwpt_invalidate, iommu_hwpt_invalidate, entry_num),
	RESERVED(kabi_hwpt_invalidate, iommu_hwpt_invalidate),

	/* ---- I/O page faults ---- */
	VAL(KABI_PGFAULT_FLAGS_PASID_VALID, IOMMU_PGFAULT_FLAGS_PASID_VALID),
	VAL(KABI_PGFAULT_FLAGS_LAST_PAGE, IOMMU_PGFAULT_FLAGS_LAST_PAGE),
	VAL(KABI_PGFAULT_PERM_READ, IOMMU_PGFAULT_PERM_READ),
	VAL(KABI_PGFAULT_PERM_WRITE, IOMMU_PGFAULT_PERM_WRITE),
	VAL(KABI_PGFAULT_PERM_EXEC, IOMMU_PGFAULT_PERM_EXEC),
	VAL(KABI_PGFAULT_PERM_PRIV, IOMMU_PGFAULT_PERM_PRIV),
	STRUCT(kabi_hwpt_pgfault, iommu_hwpt_pgfault),
	FIELD(kabi_hwpt_pgfault, iommu_hwpt_pgfault, flags),
	FIELD(kabi_hwpt_pgfault, iommu_hwpt_pgfault, dev_id),
	FIELD(kabi_hwpt_pgfault, iommu_hwpt_pgfault, pasid),
	FIELD(kabi_hwpt_pgfault, iommu_hwpt_pgfault, grpid),
	FIELD(kabi_hwpt_pgfault, iommu_hwpt_pgfault, perm),
	RESERVED(kabi_hwpt_pgfault, iommu_hwpt_pgfault),
	FIELD(kabi_hwpt_pgfault, iommu_hwpt_pgfault, addr),
	FIELD(kabi_hwpt_pgfault, iommu_hwpt_pgfault, length),
	FIELD(kabi_hwpt_pgfault, iommu_hwpt_pgfault, cookie),
	VAL(KABI_PAGE_RESP_SUCCESS, IOMMUFD_PAGE_RESP_SUCCESS),
	VAL(KABI_PAGE_RESP_INVALID, IOMMUFD_PAGE_RESP_INVALID),
	STRUCT(kabi_hwpt_page_response, iommu_hwpt_page_response),
	FIELD(kabi_hwpt_page_response, iommu_hwpt_page_response, cookie),
	FIELD(kabi_hwpt_page_response, iommu_hwpt_page_response, code),
	STRUCT(kabi_fault_alloc, iommu_fault_alloc),
	FIELD(kabi_fault_alloc, iommu_fault_alloc, size),
	FIELD(kabi_fault_alloc, iommu_fault_alloc, flags),
	FIELD(kabi_fault_alloc, iommu_fault_alloc, out_fault_id),
	FIELD(kabi_fault_alloc, iommu_fault_alloc, out_fault_fd),

	/* ---- vIOMMU, vDEVICE, vEVENTQ, HW queue ---- */
	VAL(KABI_VIOMMU_TYPE_DEFAULT, IOMMU_VIOMMU_TYPE_DEFAULT),
	VAL(KABI_VIOMMU_TYPE_ARM_SMMUV3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3),
	VAL(KABI_VIOMMU_TYPE_TEGRA241_CMDQV, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV),
	STRUCT(kabi_viommu_tegra241_cmdqv, iommu_viommu_tegra241_cmdqv),
	FIELD(kabi_viommu_tegra241_cmdqv, iommu_viommu_tegra241_cmdqv, out_vintf_mmap_offset),
	FIELD(kabi_viommu_tegra241_cmdqv, iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length),
	STRUCT(kabi_viommu_alloc, iommu_viommu_alloc),
	FIELD(kabi_viommu_alloc, iommu_viommu_alloc, size),
	FIELD(kabi_viommu_alloc, iommu_viommu_alloc, flags),
	FIELD(kabi_viommu_alloc, iommu_viommu_alloc, type),
	FIELD(kabi_viommu_alloc, iommu_viommu_alloc, dev_id),
	FIELD(kabi_viommu_alloc, iommu_viommu_alloc, hwpt_id),
	FIELD(kabi_viommu_alloc, iommu_viommu_alloc, out_viommu_id),
	FIELD(kabi_viommu_alloc, iommu_viommu_alloc, data_len),
	RESERVED(kabi_viommu_alloc, iommu_viommu_alloc),
	FIELD(kabi_viommu_alloc, iommu_viommu_alloc, data_uptr),
	STRUCT(kabi_vdevice_alloc, iommu_vdevice_alloc),
	FIELD(kabi_vdevice_alloc, iommu_vdevice_alloc, size),
	FIELD(kabi_vdevice_alloc, iommu_vdevice_alloc, viommu_id),
	FIELD(kabi_vdevice_alloc, iommu_vdevice_alloc, dev_id),
	FIELD(kabi_vdevice_alloc, iommu_vdevice_alloc, out_vdevice_id),
	FIELD(kabi_vdevice_alloc, iommu_vdevice_alloc, virt_id),
	VAL(KABI_VEVENTQ_FLAG_LOST_EVENTS, IOMMU_VEVENTQ_FLAG_LOST_EVENTS),
	STRUCT(kabi_vevent_header, iommufd_vevent_header),
	FIELD(kabi_vevent_header, iommufd_vevent_header, flags),
	FIELD(kabi_vevent_header, iommufd_vevent_header, sequence),
	VAL(KABI_VEVENTQ_TYPE_DEFAULT, IOMMU_VEVENTQ_TYPE_DEFAULT),
	VAL(KABI_VEVENTQ_TYPE_ARM_SMMUV3, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3),
	VAL(KABI_VEVENTQ_TYPE_TEGRA241_CMDQV, IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV),
	STRUCT(kabi_vevent_arm_smmuv3, iommu_vevent_arm_smmuv3),
	ARRAY(kabi_vevent_arm_smmuv3, iommu_vevent_arm_smmuv3, evt),
	STRUCT(kabi_vevent_tegra241_cmdqv, iommu_vevent_tegra241_cmdqv),
	ARRAY(kabi_vevent_tegra241_cmdqv, iommu_vevent_tegra241_cmdqv, lvcmdq_err_map),
	STRUCT(kabi_veventq_alloc, iommu_veventq_alloc),
	FIELD(kabi_veventq_alloc, iommu_veventq_alloc, size),
	FIELD(kabi_veventq_alloc, iommu_veventq_alloc, flags),
	FIELD(kabi_veventq_alloc, iommu_veventq_alloc, viommu_id),
	FIELD(kabi_veventq_alloc, iommu_veventq_alloc, type),
	FIELD(kabi_veventq_alloc, iommu_veventq_alloc, veventq_depth),
	FIELD(kabi_veventq_alloc, iommu_veventq_alloc, out_veventq_id),
	FIELD(kabi_veventq_alloc, iommu_veventq_alloc, out_veventq_fd),
	RESERVED(kabi_veventq_alloc, iommu_veventq_alloc),
	VAL(KABI_HW_QUEUE_TYPE_DEFAULT, IOMMU_HW_QUEUE_TYPE_DEFAULT),
	VAL(KABI_HW_QUEUE_TYPE_TEGRA241_CMDQV, IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV),
	STRUCT(kabi_hw_queue_alloc, iommu_hw_queue_alloc),
	FIELD(kabi_hw_queue_alloc, iommu_hw_queue_alloc, size),
	FIELD(kabi_hw_queue_alloc, iommu_hw_queue_alloc, flags),
	FIELD(kabi_hw_queue_alloc, iommu_hw_queue_alloc, viommu_id),
	FIELD(kabi_hw_queue_alloc, iommu_hw_queue_alloc, type),
	FIELD(kabi_hw_queue_alloc, iommu_hw_queue_alloc, index),
	FIELD(kabi_hw_queue_alloc, iommu_hw_queue_alloc, out_hw_queue_id),
	FIELD(kabi_hw_queue_alloc, iommu_hw_queue_alloc, nesting_parent_iova),
	FIELD(kabi_hw_queue_alloc, iommu_hw_queue_alloc, length),

	/* ---- VFIO device cdev ---- */
	VAL(KABI_VFIO_TYPE, VFIO_TYPE),
	VAL(KABI_VFIO_BASE, VFIO_BASE),
	VAL(KABI_VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_INFO),
	VAL(KABI_VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_GET_REGION_INFO),
	VAL(KABI_VFIO_DEVICE_RESET, VFIO_DEVICE_RESET),
	VAL(KABI_VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_BIND_IOMMUFD),
	VAL(KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_ATTACH_IOMMUFD_PT),
	VAL(KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, VFIO_DEVICE_DETACH_IOMMUFD_PT),
	STRUCT(kabi_vfio_device_info, vfio_device_info),
	FIELD(kabi_vfio_device_info, vfio_device_info, argsz),
	FIELD(kabi_vfio_device_info, vfio_device_info, flags),
	FIELD(kabi_vfio_device_info, vfio_device_info, num_regions),
	FIELD(kabi_vfio_device_info, vfio_device_info, num_irqs),
	FIELD(kabi_vfio_device_info, vfio_device_info, cap_offset),
	FIELD(kabi_vfio_device_info, vfio_device_info, pad),
	VAL(KABI_VFIO_DEVICE_FLAGS_RESET, VFIO_DEVICE_FLAGS_RESET),
	VAL(KABI_VFIO_DEVICE_FLAGS_PCI, VFIO_DEVICE_FLAGS_PCI),
	STRUCT(kabi_vfio_region_info, vfio_region_info),
	FIELD(kabi_vfio_region_info, vfio_region_info, argsz),
	FIELD(kabi_vfio_region_info, vfio_region_info, flags),
	FIELD(kabi_vfio_region_info, vfio_region_info, index),
	FIELD(kabi_vfio_region_info, vfio_region_info, cap_offset),
	FIELD(kabi_vfio_region_info, vfio_region_info, size),
	FIELD(kabi_vfio_region_info, vfio_region_info, offset),
	VAL(KABI_VFIO_REGION_INFO_FLAG_READ, VFIO_REGION_INFO_FLAG_READ),
	VAL(KABI_VFIO_REGION_INFO_FLAG_WRITE, VFIO_REGION_INFO_FLAG_WRITE),
	VAL(KABI_VFIO_REGION_INFO_FLAG_MMAP, VFIO_REGION_INFO_FLAG_MMAP),
	VAL(KABI_VFIO_PCI_BAR0_REGION_INDEX, VFIO_PCI_BAR0_REGION_INDEX),
	VAL(KABI_VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_CONFIG_REGION_INDEX),
	VAL(KABI_VFIO_DEVICE_BIND_FLAG_TOKEN, VFIO_DEVICE_BIND_FLAG_TOKEN),
	STRUCT(kabi_vfio_device_bind_iommufd, vfio_device_bind_iommufd),
	FIELD(kabi_vfio_device_bind_iommufd, vfio_device_bind_iommufd, argsz),
	FIELD(kabi_vfio_device_bind_iommufd, vfio_device_bind_iommufd, flags),
	FIELD(kabi_vfio_device_bind_iommufd, vfio_device_bind_iommufd, iommufd),
	FIELD(kabi_vfio_device_bind_iommufd, vfio_device_bind_iommufd, out_devid),
	FIELD(kabi_vfio_device_bind_iommufd, vfio_device_bind_iommufd, token_uuid_ptr),
	/* the *_MINSZ: the struct as older kernels took it (VFIO's minsz) */
	VAL(KABI_VFIO_DEVICE_BIND_IOMMUFD_MINSZ,
	    OFFSETOFEND(vfio_device_bind_iommufd, out_devid)),
	VAL(KABI_VFIO_DEVICE_ATTACH_PASID, VFIO_DEVICE_ATTACH_PASID),
	STRUCT(kabi_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt),
	FIELD(kabi_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt, argsz),
	FIELD(kabi_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt, flags),
	FIELD(kabi_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt, pt_id),
	FIELD(kabi_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt, pasid),
	VAL(KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT_MINSZ,
	    OFFSETOFEND(vfio_device_attach_iommufd_pt, pt_id)),
	VAL(KABI_VFIO_DEVICE_DETACH_PASID, VFIO_DEVICE_DETACH_PASID),
	STRUCT(kabi_vfio_device_detach_iommufd_pt, vfio_device_detach_iommufd_pt),
	FIELD(kabi_vfio_device_detach_iommufd_pt, vfio_device_detach_iommufd_pt, argsz),
	FIELD(kabi_vfio_device_detach_iommufd_pt, vfio_device_detach_iommufd_pt, flags),
	FIELD(kabi_vfio_device_detach_iommufd_pt, vfio_device_detach_iommufd_pt, pasid),
	VAL(KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT_MINSZ,
	    OFFSETOFEND(vfio_device_detach_iommufd_pt, flags)),
	VAL(KABI_VFIO_DEVICE_FEATURE, VFIO_DEVICE_FEATURE),
	STRUCT(kabi_vfio_device_feature, vfio_device_feature),
	FIELD(kabi_vfio_device_feature, vfio_device_feature, argsz),
	FIELD(kabi_vfio_device_feature, vfio_device_feature, flags),
	VAL(KABI_VFIO_DEVICE_FEATURE_MASK, VFIO_DEVICE_FEATURE_MASK),
	VAL(KABI_VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_GET),
	VAL(KABI_VFIO_DEVICE_FEATURE_SET, VFIO_DEVICE_FEATURE_SET),
	VAL(KABI_VFIO_DEVICE_FEATURE_PROBE, VFIO_DEVICE_FEATURE_PROBE),
	VAL(KABI_VFIO_DEVICE_FEATURE_DMA_BUF, VFIO_DEVICE_FEATURE_DMA_BUF),
	STRUCT(kabi_vfio_region_dma_range, vfio_region_dma_range),
	FIELD(kabi_vfio_region_dma_range, vfio_region_dma_range, offset),
	FIELD(kabi_vfio_region_dma_range, vfio_region_dma_range, length),
	STRUCT(kabi_vfio_device_feature_dma_buf, vfio_device_feature_dma_buf),
	FIELD(kabi_vfio_device_feature_dma_buf, vfio_device_feature_dma_buf, region_index),
	FIELD(kabi_vfio_device_feature_dma_buf, vfio_device_feature_dma_buf, open_flags),
	FIELD(kabi_vfio_device_feature_dma_buf, vfio_device_feature_dma_buf, flags),
	FIELD(kabi_vfio_device_feature_dma_buf, vfio_device_feature_dma_buf, nr_ranges),
	ROW("kabi_vfio_device_feature_dma_buf.dma_ranges", "offset",
	    offsetof(struct kabi_vfio_device_feature_dma_buf, dma_ranges),
	    offsetof(struct vfio_device_feature_dma_buf, dma_ranges)),
	/* the type1 map the VFIO compat layer serves (issue 16.5 tests) */
	VAL(KABI_VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_MAP_DMA),
	VAL(KABI_VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_READ),
	VAL(KABI_VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_MAP_FLAG_WRITE),
	STRUCT(kabi_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map),
	FIELD(kabi_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map, argsz),
	FIELD(kabi_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map, flags),
	FIELD(kabi_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map, vaddr),
	FIELD(kabi_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map, iova),
	FIELD(kabi_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map, size),

#ifdef IOMMUFD_TEST_HEADER
	/* ---- the IOMMUFD_TEST mock (tests/lib/mock.h) ---- */
	VAL(MOCK_OP_ADD_RESERVED, IOMMU_TEST_OP_ADD_RESERVED),
	VAL(MOCK_OP_MOCK_DOMAIN, IOMMU_TEST_OP_MOCK_DOMAIN),
	VAL(MOCK_OP_MD_CHECK_MAP, IOMMU_TEST_OP_MD_CHECK_MAP),
	VAL(MOCK_OP_MOCK_DOMAIN_REPLACE, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE),
	VAL(MOCK_OP_MOCK_DOMAIN_FLAGS, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS),
	VAL(MOCK_OP_PASID_ATTACH, IOMMU_TEST_OP_PASID_ATTACH),
	VAL(MOCK_OP_PASID_REPLACE, IOMMU_TEST_OP_PASID_REPLACE),
	VAL(MOCK_OP_PASID_DETACH, IOMMU_TEST_OP_PASID_DETACH),
	VAL(MOCK_OP_PASID_CHECK_HWPT, IOMMU_TEST_OP_PASID_CHECK_HWPT),
	VAL(MOCK_OP_MD_CHECK_IOTLB, IOMMU_TEST_OP_MD_CHECK_IOTLB),
	VAL(MOCK_OP_DIRTY, IOMMU_TEST_OP_DIRTY),
	VAL(MOCK_OP_TRIGGER_IOPF, IOMMU_TEST_OP_TRIGGER_IOPF),
	VAL(MOCK_OP_TRIGGER_VEVENT, IOMMU_TEST_OP_TRIGGER_VEVENT),
	VAL(MOCK_VEVENTQ_TYPE_SELFTEST, IOMMU_VEVENTQ_TYPE_SELFTEST),
	STRUCT(mock_viommu_event_selftest, iommu_viommu_event_selftest),
	FIELD(mock_viommu_event_selftest, iommu_viommu_event_selftest, virt_id),
	VAL(MOCK_HW_QUEUE_TYPE_SELFTEST, IOMMU_HW_QUEUE_TYPE_SELFTEST),
	VAL(MOCK_HW_QUEUE_MAX, IOMMU_TEST_HW_QUEUE_MAX),
	FIELD(mock_cmd, iommu_test_cmd, dirty.flags),
	FIELD(mock_cmd, iommu_test_cmd, dirty.iova),
	FIELD(mock_cmd, iommu_test_cmd, dirty.length),
	FIELD(mock_cmd, iommu_test_cmd, dirty.page_size),
	FIELD(mock_cmd, iommu_test_cmd, dirty.uptr),
	FIELD(mock_cmd, iommu_test_cmd, dirty.out_nr_dirty),
	FIELD(mock_cmd, iommu_test_cmd, trigger_iopf.dev_id),
	FIELD(mock_cmd, iommu_test_cmd, trigger_iopf.pasid),
	FIELD(mock_cmd, iommu_test_cmd, trigger_iopf.grpid),
	FIELD(mock_cmd, iommu_test_cmd, trigger_iopf.perm),
	FIELD(mock_cmd, iommu_test_cmd, trigger_iopf.addr),
	FIELD(mock_cmd, iommu_test_cmd, trigger_vevent.dev_id),
	VAL(MOCK_OP_DMABUF_GET, IOMMU_TEST_OP_DMABUF_GET),
	VAL(MOCK_OP_DMABUF_REVOKE, IOMMU_TEST_OP_DMABUF_REVOKE),
	FIELD(mock_cmd, iommu_test_cmd, dmabuf_get.length),
	FIELD(mock_cmd, iommu_test_cmd, dmabuf_get.open_flags),
	FIELD(mock_cmd, iommu_test_cmd, dmabuf_revoke.dmabuf_fd),
	FIELD(mock_cmd, iommu_test_cmd, dmabuf_revoke.revoked),
	VAL(MOCK_OP_DEV_CHECK_CACHE, IOMMU_TEST_OP_DEV_CHECK_CACHE),
	VAL(MOCK_HWPT_DATA_SELFTEST, IOMMU_HWPT_DATA_SELFTEST),
	VAL(MOCK_IOTLB_DEFAULT, IOMMU_TEST_IOTLB_DEFAULT),
	VAL(MOCK_DEV_CACHE_DEFAULT, IOMMU_TEST_DEV_CACHE_DEFAULT),
	VAL(MOCK_IOTLB_ID_MAX, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX),
	VAL(MOCK_IOTLB_NUM, MOCK_NESTED_DOMAIN_IOTLB_NUM),
	VAL(MOCK_CACHE_ID_MAX, MOCK_DEV_CACHE_ID_MAX),
	VAL(MOCK_CACHE_NUM, MOCK_DEV_CACHE_NUM),
	STRUCT(mock_hwpt_selftest, iommu_hwpt_selftest),
	FIELD(mock_hwpt_selftest, iommu_hwpt_selftest, iotlb),
	FIELD(mock_hwpt_selftest, iommu_hwpt_selftest, pagetable_type),
	VAL(MOCK_HWPT_INVALIDATE_DATA_SELFTEST, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST),
	VAL(MOCK_VIOMMU_INVALIDATE_DATA_SELFTEST, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST),
	VAL(MOCK_INVALIDATE_FLAG_ALL, IOMMU_TEST_INVALIDATE_FLAG_ALL),
	STRUCT(mock_hwpt_invalidate_selftest, iommu_hwpt_invalidate_selftest),
	FIELD(mock_hwpt_invalidate_selftest, iommu_hwpt_invalidate_selftest, flags),
	FIELD(mock_hwpt_invalidate_selftest, iommu_hwpt_invalidate_selftest, iotlb_id),
	STRUCT(mock_viommu_invalidate_selftest, iommu_viommu_invalidate_selftest),
	FIELD(mock_viommu_invalidate_selftest, iommu_viommu_invalidate_selftest, flags),
	FIELD(mock_viommu_invalidate_selftest, iommu_viommu_invalidate_selftest, vdev_id),
	FIELD(mock_viommu_invalidate_selftest, iommu_viommu_invalidate_selftest, cache_id),
	VAL(MOCK_VIOMMU_TYPE_SELFTEST, IOMMU_VIOMMU_TYPE_SELFTEST),
	STRUCT(mock_viommu_selftest, iommu_viommu_selftest),
	FIELD(mock_viommu_selftest, iommu_viommu_selftest, in_data),
	FIELD(mock_viommu_selftest, iommu_viommu_selftest, out_data),
	FIELD(mock_viommu_selftest, iommu_viommu_selftest, out_mmap_offset),
	FIELD(mock_viommu_selftest, iommu_viommu_selftest, out_mmap_length),
	VAL(MOCK_APERTURE_START, K_MOCK_APERTURE_START),
	VAL(MOCK_APERTURE_LAST, K_MOCK_APERTURE_LAST),
	VAL(MOCK_FLAGS_DEVICE_NO_DIRTY, K_MOCK_FLAGS_DEVICE_NO_DIRTY),
	VAL(MOCK_FLAGS_DEVICE_PASID, K_MOCK_FLAGS_DEVICE_PASID),
	VAL(MOCK_PASID_WIDTH, K_MOCK_PASID_WIDTH),
	VAL(MOCK_HW_INFO_TYPE_SELFTEST, IOMMU_HW_INFO_TYPE_SELFTEST),
	VAL(MOCK_HW_INFO_SELFTEST_REGVAL, IOMMU_HW_INFO_SELFTEST_REGVAL),
	VAL(MOCK_IOMMU_TEST_CMD, IOMMU_TEST_CMD),
	STRUCT(mock_hw_info, iommu_test_hw_info),
	FIELD(mock_hw_info, iommu_test_hw_info, flags),
	FIELD(mock_hw_info, iommu_test_hw_info, test_reg),
	STRUCT(mock_cmd, iommu_test_cmd),
	FIELD(mock_cmd, iommu_test_cmd, size),
	FIELD(mock_cmd, iommu_test_cmd, op),
	FIELD(mock_cmd, iommu_test_cmd, id),
	RESERVED(mock_cmd, iommu_test_cmd),
	FIELD(mock_cmd, iommu_test_cmd, add_reserved.start),
	FIELD(mock_cmd, iommu_test_cmd, add_reserved.length),
	FIELD(mock_cmd, iommu_test_cmd, mock_domain.out_stdev_id),
	FIELD(mock_cmd, iommu_test_cmd, mock_domain.out_hwpt_id),
	FIELD(mock_cmd, iommu_test_cmd, mock_domain.out_idev_id),
	FIELD2(mock_cmd, mock_domain.dev_flags, iommu_test_cmd, mock_domain_flags.dev_flags),
	FIELD(mock_cmd, iommu_test_cmd, mock_domain_replace.pt_id),
	FIELD(mock_cmd, iommu_test_cmd, check_map.iova),
	FIELD(mock_cmd, iommu_test_cmd, check_map.length),
	FIELD(mock_cmd, iommu_test_cmd, check_map.uptr),
	FIELD2(mock_cmd, pasid.pasid, iommu_test_cmd, pasid_attach.pasid),
	FIELD2(mock_cmd, pasid.pt_id, iommu_test_cmd, pasid_attach.pt_id),
	FIELD2(mock_cmd, pasid.pasid, iommu_test_cmd, pasid_replace.pasid),
	FIELD2(mock_cmd, pasid.pt_id, iommu_test_cmd, pasid_replace.pt_id),
	FIELD2(mock_cmd, pasid.pasid, iommu_test_cmd, pasid_detach.pasid),
	FIELD2(mock_cmd, pasid.pasid, iommu_test_cmd, pasid_check.pasid),
	FIELD2(mock_cmd, pasid.pt_id, iommu_test_cmd, pasid_check.hwpt_id),
	FIELD2(mock_cmd, check_cache.id, iommu_test_cmd, check_iotlb.id),
	FIELD2(mock_cmd, check_cache.value, iommu_test_cmd, check_iotlb.iotlb),
	FIELD2(mock_cmd, check_cache.id, iommu_test_cmd, check_dev_cache.id),
	FIELD2(mock_cmd, check_cache.value, iommu_test_cmd, check_dev_cache.cache),
	/* our filler stands for the whole of the kernel's union */
	ROW("mock_cmd.pad", "size", MSIZE(mock_cmd, pad),
	    offsetof(struct iommu_test_cmd, last) -
	    offsetof(struct iommu_test_cmd, add_reserved)),
	FIELD(mock_cmd, iommu_test_cmd, last),
#endif
};

#define NROWS ((int)(sizeof(rows) / sizeof(rows[0])))

START_TEST(test_row)
{
	const struct row *r = &rows[_i];

	ck_assert_msg(r->ours == r->theirs, "%s: %s is %zu (%#zx), the kernel's %zu (%#zx)",
		      r->name, r->what, r->ours, r->ours, r->theirs, r->theirs);
}
END_TEST

/* ---- coverage: every name lib/kabi.h (tests/lib/mock.h) declares is checked ---- */

static bool checked(const char *name)
{
	for (int i = 0; i < NROWS; i++)
		if (!strcmp(rows[i].name, name))
			return true;
	return false;
}

START_TEST(test_coverage_kabi)
{
	hdrscan_check("lib/kabi.h", "KABI_", "kabi_", 300, checked);
}
END_TEST

#ifdef IOMMUFD_TEST_HEADER
START_TEST(test_coverage_mock)
{
	hdrscan_check("tests/lib/mock.h", "MOCK_", "mock_", 20, checked);
}
END_TEST
#endif

int main(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_row, 0, NROWS);
	suite_add_tcase(s, tc);
	tc = tcase_create("coverage");
	tcase_add_test(tc, test_coverage_kabi);
#ifdef IOMMUFD_TEST_HEADER
	tcase_add_test(tc, test_coverage_mock);
#endif
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
