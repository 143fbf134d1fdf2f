/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnestio - nested IOMMU translation control for virtual machine monitors.
 *
 * The one public header. See libnestio(7) for the overview: objects, the
 * error contract (0 or a count on success, -errno on failure), fd ownership,
 * threading and logging.
 */
#ifndef LIBNESTIO_H
#define LIBNESTIO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nestio_ctx;
struct nestio_ioas;
struct nestio_device;
struct nestio_hwpt;
struct nestio_viommu;
struct nestio_vdevice;
struct nestio_pasid_table;
struct nestio_invq;
struct nestio_veventq;
struct nestio_fault;
struct nestio_hw_queue;
struct nestio_monitor;

/* ------------------------------------------------------------------ ctx */

int nestio_ctx_new(struct nestio_ctx **out);
int nestio_ctx_new_from_fd(int fd, struct nestio_ctx **out);
struct nestio_ctx *nestio_ctx_ref(struct nestio_ctx *ctx);
struct nestio_ctx *nestio_ctx_unref(struct nestio_ctx *ctx);
int nestio_ctx_get_fd(const struct nestio_ctx *ctx);

/* The ctx's live object with this kernel id, with a new reference. */
int nestio_ctx_lookup_ioas(struct nestio_ctx *ctx, uint32_t id,
			   struct nestio_ioas **out);
int nestio_ctx_lookup_hwpt(struct nestio_ctx *ctx, uint32_t id,
			   struct nestio_hwpt **out);
int nestio_ctx_lookup_device(struct nestio_ctx *ctx, uint32_t id,
			     struct nestio_device **out);

/* Log priorities are syslog(3)'s: LOG_ERR (3) .. LOG_DEBUG (7). */
int nestio_ctx_set_log_fn(struct nestio_ctx *ctx,
			  void (*log_fn)(struct nestio_ctx *ctx, int priority,
					 const char *file, int line,
					 const char *fn, const char *format,
					 va_list args));
int nestio_ctx_get_log_priority(const struct nestio_ctx *ctx);
int nestio_ctx_set_log_priority(struct nestio_ctx *ctx, int priority);
void *nestio_ctx_get_userdata(const struct nestio_ctx *ctx);
int nestio_ctx_set_userdata(struct nestio_ctx *ctx, void *userdata);

/* What the kernel behind a ctx offers: one entry per iommufd command. */
enum nestio_feature {
	NESTIO_FEATURE_IOAS = 0,	/* IOAS alloc/map/unmap/copy/ranges */
	NESTIO_FEATURE_OPTION,		/* IOMMU_OPTION */
	NESTIO_FEATURE_VFIO_COMPAT,	/* IOMMU_VFIO_IOAS */
	NESTIO_FEATURE_HWPT_ALLOC,
	NESTIO_FEATURE_HW_INFO,
	NESTIO_FEATURE_DIRTY_TRACKING,
	NESTIO_FEATURE_HWPT_INVALIDATE,
	NESTIO_FEATURE_FAULT_QUEUE,
	NESTIO_FEATURE_IOAS_MAP_FILE,
	NESTIO_FEATURE_VIOMMU,
	NESTIO_FEATURE_VDEVICE,
	NESTIO_FEATURE_IOAS_CHANGE_PROCESS,
	NESTIO_FEATURE_VEVENTQ,
	NESTIO_FEATURE_HW_QUEUE,
	NESTIO_FEATURE_MAX
};

int nestio_ctx_has_feature(struct nestio_ctx *ctx, enum nestio_feature feature);
const char *nestio_feature_name(enum nestio_feature feature);

enum nestio_option {
	NESTIO_OPTION_RLIMIT_MODE = 0,	/* ctx: 0 per user, 1 per process */
	NESTIO_OPTION_HUGE_PAGES = 1,	/* ioas: 1 allow huge pages (default) */
};

int nestio_ctx_get_option(struct nestio_ctx *ctx, enum nestio_option option,
			  uint64_t *value);
int nestio_ctx_set_option(struct nestio_ctx *ctx, enum nestio_option option,
			  uint64_t value);
int nestio_ctx_change_process(struct nestio_ctx *ctx);

/* ----------------------------------------------------------------- ioas */

#define NESTIO_MAP_READ		(1u << 0)
#define NESTIO_MAP_WRITE	(1u << 1)
#define NESTIO_MAP_FIXED_IOVA	(1u << 2)

struct nestio_iova_range {
	uint64_t start;
	uint64_t last;	/* inclusive */
};

int nestio_ioas_new(struct nestio_ctx *ctx, struct nestio_ioas **out);
struct nestio_ioas *nestio_ioas_ref(struct nestio_ioas *ioas);
struct nestio_ioas *nestio_ioas_unref(struct nestio_ioas *ioas);
uint32_t nestio_ioas_get_id(const struct nestio_ioas *ioas);
struct nestio_ctx *nestio_ioas_get_ctx(const struct nestio_ioas *ioas);

int nestio_ioas_map(struct nestio_ioas *ioas, void *va, uint64_t length,
		    uint64_t *iova, unsigned int flags);
int nestio_ioas_map_file(struct nestio_ioas *ioas, int fd, uint64_t offset,
			 uint64_t length, uint64_t *iova, unsigned int flags);
int nestio_ioas_unmap(struct nestio_ioas *ioas, uint64_t iova, uint64_t length,
		      uint64_t *unmapped);
int nestio_ioas_unmap_all(struct nestio_ioas *ioas, uint64_t *unmapped);
int nestio_ioas_copy(struct nestio_ioas *dst, uint64_t *dst_iova,
		     struct nestio_ioas *src, uint64_t src_iova,
		     uint64_t length, unsigned int flags);
int nestio_ioas_get_iova_ranges(struct nestio_ioas *ioas,
				struct nestio_iova_range **ranges, size_t *nr,
				uint64_t *alignment);
void nestio_iova_ranges_free(struct nestio_iova_range *ranges);
int nestio_ioas_allow_iovas(struct nestio_ioas *ioas,
			    const struct nestio_iova_range *ranges, size_t nr);
int nestio_ioas_get_option(struct nestio_ioas *ioas, enum nestio_option option,
			   uint64_t *value);
int nestio_ioas_set_option(struct nestio_ioas *ioas, enum nestio_option option,
			   uint64_t value);

/* --------------------------------------------------------------- device */

/* The PASID argument that means "the device's RID" (no PASID). */
#define NESTIO_NO_PASID UINT32_MAX
/* PASIDs are below this (20 bits); larger values give -EINVAL. */
#define NESTIO_PASID_LIMIT (1u << 20)

/*
 * Attach operations for a device the library did not open (another iommufd
 * client, or the kernel's mock device). Each returns 0 or -errno; a NULL
 * operation makes the matching call fail with -EOPNOTSUPP. On the last
 * unref the library detaches every slot it attached through detach() (the
 * PASIDs, then the RID), then calls release() once, before it drops its
 * references to what the device was attached to: release() must unbind the
 * device (or destroy it) so that nothing it was attached to is still busy.
 * An operation must not attach, replace or detach its own device.
 */
struct nestio_device_ops {
	size_t sz;	/* sizeof(struct nestio_device_ops) */
	int (*attach)(struct nestio_device *dev, uint32_t pasid, uint32_t pt_id,
		      void *userdata);
	int (*replace)(struct nestio_device *dev, uint32_t pasid,
		       uint32_t pt_id, void *userdata);
	int (*detach)(struct nestio_device *dev, uint32_t pasid,
		      void *userdata);
	void (*release)(struct nestio_device *dev, void *userdata);
};

int nestio_device_open(struct nestio_ctx *ctx, const char *name,
		       struct nestio_device **out);
int nestio_device_new_from_fd(struct nestio_ctx *ctx, int fd,
			      struct nestio_device **out);
/* The VFIO cdev that name stands for, opened but not bound: an fd or -errno. */
int nestio_device_open_cdev(const char *name);
int nestio_device_new_from_id(struct nestio_ctx *ctx, uint32_t dev_id,
			      const struct nestio_device_ops *ops,
			      void *userdata, struct nestio_device **out);
struct nestio_device *nestio_device_ref(struct nestio_device *dev);
struct nestio_device *nestio_device_unref(struct nestio_device *dev);
uint32_t nestio_device_get_id(const struct nestio_device *dev);
int nestio_device_get_fd(const struct nestio_device *dev);
struct nestio_ctx *nestio_device_get_ctx(const struct nestio_device *dev);
void *nestio_device_get_userdata(const struct nestio_device *dev);

int nestio_device_attach_ioas(struct nestio_device *dev, uint32_t pasid,
			      struct nestio_ioas *ioas);
int nestio_device_attach_hwpt(struct nestio_device *dev, uint32_t pasid,
			      struct nestio_hwpt *hwpt);
int nestio_device_replace_ioas(struct nestio_device *dev, uint32_t pasid,
			       struct nestio_ioas *ioas);
int nestio_device_replace_hwpt(struct nestio_device *dev, uint32_t pasid,
			       struct nestio_hwpt *hwpt);
int nestio_device_detach(struct nestio_device *dev, uint32_t pasid);

/*
 * Peer-to-peer DMA to a device's MMIO: slices of a VFIO region (PCI: a BAR)
 * exported as one dma-buf, which nestio_ioas_map_file() maps into an IOAS.
 * Offsets and lengths are page-aligned and lengths non-zero. The result is
 * a close-on-exec dma-buf fd (the caller owns it) or -errno; flags must be
 * 0. An IOAS maps a dma-buf of exactly one range.
 */
struct nestio_dmabuf_range {
	uint64_t offset;	/* into the region */
	uint64_t length;
};

int nestio_device_export_dmabuf(struct nestio_device *dev, uint32_t region,
				const struct nestio_dmabuf_range *ranges,
				size_t nr, unsigned int flags);

/* --------------------------------------------- hw info and capabilities */

enum nestio_iommu_type {
	NESTIO_IOMMU_NONE = 0,		/* the kernel reported no vendor data */
	NESTIO_IOMMU_INTEL_VTD,
	NESTIO_IOMMU_ARM_SMMUV3,
	NESTIO_IOMMU_AMD,
	NESTIO_IOMMU_TEGRA241_CMDQV,
	NESTIO_IOMMU_UNKNOWN,		/* a type this library cannot decode */
};

/* capability bits (struct nestio_hw_caps.caps) */
#define NESTIO_CAP_NESTING		(1ull << 0)
#define NESTIO_CAP_DIRTY_TRACKING	(1ull << 1)
#define NESTIO_CAP_PASID		(1ull << 2)
#define NESTIO_CAP_PASID_EXEC		(1ull << 3)
#define NESTIO_CAP_PASID_PRIV		(1ull << 4)
#define NESTIO_CAP_ATS			(1ull << 5)
#define NESTIO_CAP_PRI			(1ull << 6)
#define NESTIO_CAP_STALL		(1ull << 7)
/* table and invalidation features a vIOMMU model mirrors (appended) */
#define NESTIO_CAP_FIRST_STAGE		(1ull << 8)  /* VT-d ECAP.FSTS, SMMU S1P */
#define NESTIO_CAP_STE_2LVL		(1ull << 9)  /* SMMU IDR0.ST_LEVEL 0b01 */
#define NESTIO_CAP_TT_LE		(1ull << 10) /* SMMU IDR0.TTENDIAN */
#define NESTIO_CAP_TT_BE		(1ull << 11)
#define NESTIO_CAP_TTF_AARCH32		(1ull << 12) /* SMMU IDR0.TTF */
#define NESTIO_CAP_TTF_AARCH64		(1ull << 13)
#define NESTIO_CAP_RANGE_INV		(1ull << 14) /* SMMU IDR3.RIL */

/* stage-1 (guest page table) formats a nested hwpt can take */
#define NESTIO_STAGE1_VTD		(1u << 0)
#define NESTIO_STAGE1_ARM_SMMUV3	(1u << 1)
#define NESTIO_STAGE1_AMD		(1u << 2)

/* errata the host IOMMU reports */
#define NESTIO_ERRATA_772415_SPR17	(1u << 0) /* no read-only maps in a nest parent */

struct nestio_hw_caps {
	size_t sz;			/* sizeof(struct nestio_hw_caps) */
	uint32_t type;			/* enum nestio_iommu_type */
	uint32_t raw_type;		/* the kernel's hw-info type */
	uint64_t caps;			/* NESTIO_CAP_* */
	uint32_t stage1_formats;	/* NESTIO_STAGE1_* */
	uint32_t errata;		/* NESTIO_ERRATA_* */
	uint8_t max_pasid_log2;		/* 0: no PASID */
	uint8_t stage1_ia_bits;		/* stage-1 input (guest VA) width */
	uint8_t stage2_ia_bits;		/* stage-2 input (guest PA) width */
	uint8_t oa_bits;		/* output (host PA) width */
	uint32_t pgsize_bitmap;		/* stage-1 page sizes, 1 << shift each */
	/* appended: a caller's older, shorter sz is still taken */
	uint8_t sid_bits;		/* stream/requester ID width */
	uint8_t ssid_bits;		/* substream ID (PASID) width of the IOMMU */
	uint8_t reserved[6];
};

int nestio_device_get_hw_info(struct nestio_device *dev, uint32_t *type,
			      void *data, size_t *len);
int nestio_device_get_hw_info_ext(struct nestio_device *dev, uint32_t *type,
				  void *data, size_t *len,
				  uint64_t *kernel_caps,
				  uint8_t *max_pasid_log2);
int nestio_device_get_hw_caps(struct nestio_device *dev,
			      struct nestio_hw_caps *caps);
int nestio_hw_caps_decode(uint32_t type, const void *data, size_t len,
			  uint64_t kernel_caps, uint8_t max_pasid_log2,
			  struct nestio_hw_caps *caps);
const char *nestio_iommu_type_name(enum nestio_iommu_type type);
const char *nestio_cap_name(uint64_t cap);
const char *nestio_stage1_format_name(uint32_t format);

/* ----------------------------------------------------------------- hwpt */

#define NESTIO_HWPT_NEST_PARENT		(1u << 0)
#define NESTIO_HWPT_DIRTY_TRACKING	(1u << 1)
#define NESTIO_HWPT_PASID		(1u << 2)

struct nestio_hwpt_paging_opts {
	size_t sz;		/* sizeof(struct nestio_hwpt_paging_opts) */
	unsigned int flags;	/* NESTIO_HWPT_* */
	uint32_t fault_id;	/* a fault queue's id; 0: none */
};

int nestio_hwpt_new_paging(struct nestio_device *dev, struct nestio_ioas *ioas,
			   const struct nestio_hwpt_paging_opts *opts,
			   struct nestio_hwpt **out);
struct nestio_hwpt *nestio_hwpt_ref(struct nestio_hwpt *hwpt);
struct nestio_hwpt *nestio_hwpt_unref(struct nestio_hwpt *hwpt);
uint32_t nestio_hwpt_get_id(const struct nestio_hwpt *hwpt);
unsigned int nestio_hwpt_get_flags(const struct nestio_hwpt *hwpt);
struct nestio_ctx *nestio_hwpt_get_ctx(const struct nestio_hwpt *hwpt);
struct nestio_ioas *nestio_hwpt_get_ioas(const struct nestio_hwpt *hwpt);

/* ------------------------------------------------- stage-1 (guest) tables */

/*
 * A guest stage-1 configuration, as a nested hwpt takes it. type is one of
 * the NESTIO_STAGE1_* bits (the same values nestio_hw_caps.stage1_formats
 * reports) or NESTIO_STAGE1_RAW for a kernel data type this library does not
 * know: then raw_type is the kernel's IOMMU_HWPT_DATA_* number and u.raw the
 * bytes the kernel takes for it.
 */
#define NESTIO_STAGE1_RAW		(1u << 31)
/*
 * No stage 1 at all (VT-d PGTT=PT, a pass-through PASID entry): only the
 * PASID binding table takes it, and binds its nest parent itself (stage 2
 * only) at that PASID or RID. The union is not looked at.
 */
#define NESTIO_STAGE1_PASSTHROUGH	(1u << 30)

#define NESTIO_VTD_S1_SRE		(1u << 0) /* supervisor requests */
#define NESTIO_VTD_S1_EAFE		(1u << 1) /* extended access flag */
#define NESTIO_VTD_S1_WPE		(1u << 2) /* write protect */

struct nestio_stage1 {
	uint32_t type;			/* NESTIO_STAGE1_VTD, ... or _RAW */
	uint32_t raw_type;		/* NESTIO_STAGE1_RAW only */
	union {
		struct {
			uint64_t pgtbl_addr;	/* guest physical */
			uint32_t addr_width;	/* 48 or 57 */
			uint32_t flags;		/* NESTIO_VTD_S1_* */
		} vtd;
		struct {
			uint64_t ste[2];	/* guest STE words 0 and 1 */
		} smmuv3;
		struct {
			uint64_t dte[4];	/* guest DTE */
		} amd;
		struct {
			const void *data;
			size_t len;
		} raw;
		uint64_t reserved[8];	/* room for formats to come */
	} u;
};

/* ------------------------------------------------------ nested hwpt, vIOMMU */

struct nestio_hwpt_nested_opts {
	size_t sz;		/* sizeof(struct nestio_hwpt_nested_opts) */
	unsigned int flags;	/* NESTIO_HWPT_PASID */
	uint32_t fault_id;	/* a fault queue's id; 0: none */
};

int nestio_hwpt_new_nested(struct nestio_device *dev, struct nestio_hwpt *parent,
			   const struct nestio_stage1 *s1,
			   const struct nestio_hwpt_nested_opts *opts,
			   struct nestio_hwpt **out);
int nestio_hwpt_new_nested_viommu(struct nestio_device *dev,
				  struct nestio_viommu *viommu,
				  const struct nestio_stage1 *s1,
				  const struct nestio_hwpt_nested_opts *opts,
				  struct nestio_hwpt **out);
struct nestio_hwpt *nestio_hwpt_get_parent(const struct nestio_hwpt *hwpt);
struct nestio_viommu *nestio_hwpt_get_viommu(const struct nestio_hwpt *hwpt);
int nestio_hwpt_is_nested(const struct nestio_hwpt *hwpt);

/* vIOMMU types: the kernel's numbers; others pass through as raw types */
#define NESTIO_VIOMMU_ARM_SMMUV3	1u
#define NESTIO_VIOMMU_TEGRA241_CMDQV	2u

struct nestio_viommu_opts {
	size_t sz;		/* sizeof(struct nestio_viommu_opts) */
	void *data;		/* driver data, in and out (may be NULL) */
	size_t data_len;
};

int nestio_viommu_new(struct nestio_device *dev, struct nestio_hwpt *parent,
		      uint32_t type, const struct nestio_viommu_opts *opts,
		      struct nestio_viommu **out);
struct nestio_viommu *nestio_viommu_ref(struct nestio_viommu *viommu);
struct nestio_viommu *nestio_viommu_unref(struct nestio_viommu *viommu);
uint32_t nestio_viommu_get_id(const struct nestio_viommu *viommu);
uint32_t nestio_viommu_get_type(const struct nestio_viommu *viommu);
struct nestio_hwpt *nestio_viommu_get_parent(const struct nestio_viommu *viommu);

int nestio_vdevice_new(struct nestio_viommu *viommu, struct nestio_device *dev,
		       uint64_t virt_id, struct nestio_vdevice **out);
struct nestio_vdevice *nestio_vdevice_ref(struct nestio_vdevice *vdev);
struct nestio_vdevice *nestio_vdevice_unref(struct nestio_vdevice *vdev);
uint32_t nestio_vdevice_get_id(const struct nestio_vdevice *vdev);
uint64_t nestio_vdevice_get_virt_id(const struct nestio_vdevice *vdev);
struct nestio_viommu *nestio_vdevice_get_viommu(const struct nestio_vdevice *vdev);
struct nestio_device *nestio_vdevice_get_device(const struct nestio_vdevice *vdev);

/*
 * SMMUv3 guest STEs (words 0 and 1, host byte order). A guest STE reduced
 * to the fields a nested hwpt may carry: what nestio_smmuv3_ste_canon()
 * answers, the kind of configuration it asks for.
 */
#define NESTIO_SMMUV3_STE_INVALID	0	/* V = 0 */
#define NESTIO_SMMUV3_STE_ABORT		1	/* Config abort (or reserved) */
#define NESTIO_SMMUV3_STE_BYPASS	2	/* stage 2 only */
#define NESTIO_SMMUV3_STE_S1		3	/* the guest's CD table */
#define NESTIO_SMMUV3_GBPA_ABORT	(1u << 20)	/* GBPA.ABORT */

int nestio_smmuv3_ste_canon(const uint64_t ste[2], uint64_t out[2],
			    uint64_t cleared[2]);
int nestio_viommu_hwpt_for_ste(struct nestio_viommu *viommu,
			       struct nestio_device *dev, const uint64_t ste[2],
			       struct nestio_hwpt **out);
int nestio_viommu_hwpt_for_gbpa(struct nestio_viommu *viommu,
				struct nestio_device *dev, uint32_t gbpa,
				struct nestio_hwpt **out);
/* ------------------------------------------ adopting objects by kernel id */

/*
 * Live update: wrap an IOAS, hwpt or vIOMMU that already exists in the
 * ctx's iommufd (made by the process that handed the iommufd over), by its
 * kernel id. The kernel is asked that id is an object of that kind (else
 * -ENOENT); what it cannot tell (flags, what it is built on, the vIOMMU
 * type) the caller says. See nestio_adopt(3).
 */
#define NESTIO_ADOPT_KEEP	(1u << 0)	/* last unref leaves the kernel object */

int nestio_ioas_new_from_id(struct nestio_ctx *ctx, uint32_t id,
			    unsigned int flags, struct nestio_ioas **out);

struct nestio_hwpt_adopt_opts {
	size_t sz;		/* sizeof(struct nestio_hwpt_adopt_opts) */
	unsigned int adopt_flags;	/* NESTIO_ADOPT_* */
	unsigned int flags;	/* the NESTIO_HWPT_* it was made with */
	/* what it is built on, pinned: exactly one */
	struct nestio_ioas *ioas;	/* a paging hwpt: its IOAS */
	struct nestio_hwpt *parent;	/* a nested hwpt: its nest parent */
	struct nestio_viommu *viommu;	/* a nested hwpt: its vIOMMU */
	uint32_t inv_data_type;	/* nested: the kernel's invalidation data
				 * type it takes (0: VT-d stage 1) */
};

int nestio_hwpt_new_from_id(struct nestio_ctx *ctx, uint32_t id,
			    const struct nestio_hwpt_adopt_opts *opts,
			    struct nestio_hwpt **out);
int nestio_viommu_new_from_id(struct nestio_hwpt *parent, uint32_t id,
			      uint32_t type, unsigned int flags,
			      struct nestio_viommu **out);
int nestio_ctx_lookup_viommu(struct nestio_ctx *ctx, uint32_t id,
			     struct nestio_viommu **out);

/* --------------------------------------------------- compatibility check */

/*
 * What a vIOMMU model wants to advertise to its guest; a zero field asks
 * for nothing. nestio_hw_caps_check() answers 1 (the host can back it) or 0
 * with a reason a person can read, written to reason (may be NULL).
 */
struct nestio_compat {
	size_t sz;			/* sizeof(struct nestio_compat) */
	uint32_t stage1_format;		/* one NESTIO_STAGE1_* bit */
	uint8_t stage1_ia_bits;		/* guest VA width the vIOMMU offers */
	uint8_t stage2_ia_bits;		/* guest PA width (VT-d aw-bits) */
	uint8_t pasid_bits;		/* PASID width the vIOMMU offers */
	uint8_t reserved;
	uint64_t caps;			/* NESTIO_CAP_* the vIOMMU needs */
	uint32_t errata_ok;		/* NESTIO_ERRATA_* the VMM can live with */
	uint32_t reserved1;		/* ignored (was padding) */
	/* appended: a caller's older, shorter sz is still taken */
	uint32_t pgsize_bitmap;		/* stage-1 page sizes the vIOMMU offers */
	uint8_t sid_bits;		/* stream ID width (SMMU SIDSIZE) */
	uint8_t ssid_bits;		/* substream ID width (SMMU SSIDSIZE) */
	uint8_t reserved2[2];
};

int nestio_hw_caps_check(const struct nestio_hw_caps *caps,
			 const struct nestio_compat *want, char *reason,
			 size_t reason_len);
int nestio_device_check_compat(struct nestio_device *dev,
			       const struct nestio_compat *want, char *reason,
			       size_t reason_len);
const char *nestio_errata_name(uint32_t erratum);
const char *nestio_errata_describe(uint32_t erratum);
int nestio_hw_caps_intersect(const struct nestio_hw_caps *const *hosts,
			     size_t n, const struct nestio_compat *model,
			     struct nestio_compat *out,
			     void (*dropped)(void *userdata, size_t host,
					     const char *field,
					     const char *reason),
			     void *userdata);

/* ------------------------------------------------- PASID binding table */

/* flags for nestio_pasid_bind() */
#define NESTIO_BIND_NO_SHARE	(1u << 0) /* never share an identical hwpt */

int nestio_pasid_table_new(struct nestio_hwpt *parent,
			   struct nestio_pasid_table **out);
int nestio_pasid_table_new_viommu(struct nestio_viommu *viommu,
				  struct nestio_pasid_table **out);
struct nestio_pasid_table *nestio_pasid_table_ref(struct nestio_pasid_table *t);
struct nestio_pasid_table *nestio_pasid_table_unref(struct nestio_pasid_table *t);
int nestio_pasid_bind(struct nestio_pasid_table *t, struct nestio_device *dev,
		      uint32_t pasid, const struct nestio_stage1 *s1,
		      unsigned int flags);
int nestio_pasid_unbind(struct nestio_pasid_table *t, struct nestio_device *dev,
			uint32_t pasid);
int nestio_pasid_replay(struct nestio_pasid_table *t, struct nestio_device *dev);
struct nestio_hwpt *nestio_pasid_lookup(struct nestio_pasid_table *t,
					struct nestio_device *dev,
					uint32_t pasid);
int nestio_pasid_table_foreach(struct nestio_pasid_table *t,
			       int (*fn)(struct nestio_device *dev,
					 uint32_t pasid,
					 const struct nestio_stage1 *s1,
					 struct nestio_hwpt *hwpt,
					 void *data),
			       void *data);

/* ------------------------------------------------- invalidation queue */

/* entry types: what one queued entry is */
#define NESTIO_INV_VTD_S1	1u	/* struct nestio_inv_vtd, on a nested hwpt */
#define NESTIO_INV_ARM_SMMUV3	2u	/* struct nestio_inv_smmuv3, on a vIOMMU */
#define NESTIO_INV_RAW		3u	/* opts.raw_type / raw_entry_len bytes */

#define NESTIO_INV_VTD_LEAF	(1u << 0)	/* only leaf entries changed */
#define NESTIO_INV_VTD_ALL	UINT64_MAX	/* npages: the whole space */

struct nestio_inv_vtd {
	uint64_t addr;		/* 4 KiB aligned */
	uint64_t npages;	/* NESTIO_INV_VTD_ALL with addr 0: everything */
	uint32_t flags;		/* NESTIO_INV_VTD_LEAF */
	uint32_t reserved;
};

struct nestio_inv_smmuv3 {
	uint64_t cmd[2];	/* one CMDQ command: words 0 and 1, host byte order */
};

/* queue flags */
#define NESTIO_INVQ_COALESCE		(1u << 0) /* merge provably redundant entries */
#define NESTIO_INVQ_ATC_SEPARATE	(1u << 1) /* SMMUv3 ATC_INV in batches of their own */

struct nestio_invq_opts {
	size_t sz;		/* sizeof(struct nestio_invq_opts) */
	uint32_t capacity;	/* entries before a push flushes; 0: 256 */
	unsigned int flags;	/* NESTIO_INVQ_* */
	uint32_t raw_type;	/* NESTIO_INV_RAW: the kernel's data type */
	uint32_t raw_entry_len;	/* NESTIO_INV_RAW: bytes per entry */
};

/* why the last flush stopped (nestio_invq_flush's fail argument) */
struct nestio_invq_fail {
	size_t sz;		/* sizeof(struct nestio_invq_fail) */
	int error;		/* -errno the kernel gave */
	uint32_t index;		/* the failed entry: now first in the queue */
	uint32_t entry_len;
	uint8_t entry[64];	/* a copy of the failed entry */
};

struct nestio_invq_stats {
	size_t sz;		/* sizeof(struct nestio_invq_stats) */
	uint64_t pushed;	/* entries pushed */
	uint64_t merged;	/* entries coalesced away */
	uint64_t sent;		/* entries the kernel confirmed */
	uint64_t ioctls;	/* IOMMU_HWPT_INVALIDATE calls */
	uint64_t failures;	/* calls that failed */
};

int nestio_invq_new(struct nestio_hwpt *nested, uint32_t type,
		    const struct nestio_invq_opts *opts, struct nestio_invq **out);
int nestio_invq_new_viommu(struct nestio_viommu *viommu, uint32_t type,
			   const struct nestio_invq_opts *opts,
			   struct nestio_invq **out);
struct nestio_invq *nestio_invq_ref(struct nestio_invq *q);
struct nestio_invq *nestio_invq_unref(struct nestio_invq *q);
int nestio_invq_push(struct nestio_invq *q, const void *entry, size_t len);
int nestio_invq_push_many(struct nestio_invq *q, const void *entries,
			  size_t len, uint32_t n);
int nestio_invq_push_vtd(struct nestio_invq *q, uint64_t addr,
			 uint64_t npages, uint32_t flags);
int nestio_invq_push_smmuv3(struct nestio_invq *q, uint64_t cmd0, uint64_t cmd1);
int nestio_invq_flush(struct nestio_invq *q, struct nestio_invq_fail *fail);
int nestio_invq_discard(struct nestio_invq *q, uint32_t n);
int nestio_invq_pending(struct nestio_invq *q);
int nestio_invq_get_stats(struct nestio_invq *q, struct nestio_invq_stats *st);

/*
 * Direct, synchronous invalidation, for a caller that already holds a whole
 * batch (a guest's ring forwarded at once): the *n entries at entries, each
 * entry_len bytes of a NESTIO_INV_* type (raw_type: the kernel's data type
 * for NESTIO_INV_RAW, else 0), in one IOMMU_HWPT_INVALIDATE. 0 when all are
 * done; else -errno and *n = the entries done, entries[*n] the failed one.
 */
int nestio_hwpt_invalidate(struct nestio_hwpt *nested, uint32_t type,
			   uint32_t raw_type, const void *entries,
			   size_t entry_len, uint32_t *n);
int nestio_viommu_invalidate(struct nestio_viommu *viommu, uint32_t type,
			     uint32_t raw_type, const void *entries,
			     size_t entry_len, uint32_t *n);

/* --------------------------------------------------------------- vEVENTQ */

/* vEVENTQ types: the kernel's numbers; others pass through as raw types */
#define NESTIO_VEVENTQ_ARM_SMMUV3	1u
#define NESTIO_VEVENTQ_TEGRA241_CMDQV	2u

/* One vEVENT as nestio_veventq_read() returns it. */
struct nestio_vevent {
	uint32_t sequence;	/* the kernel's index, 0..INT32_MAX, wrapping */
	uint32_t lost;		/* events lost between the previous one and this */
	uint32_t len;		/* bytes of data */
	uint32_t reserved;
	uint64_t data[8];	/* the record as the kernel gives it (SMMUv3:
				 * four little-endian words) */
};

int nestio_veventq_new(struct nestio_viommu *viommu, uint32_t type,
		       uint32_t depth, struct nestio_veventq **out);
struct nestio_veventq *nestio_veventq_ref(struct nestio_veventq *q);
struct nestio_veventq *nestio_veventq_unref(struct nestio_veventq *q);
int nestio_veventq_get_fd(const struct nestio_veventq *q);
uint32_t nestio_veventq_get_id(const struct nestio_veventq *q);
int nestio_veventq_read(struct nestio_veventq *q, struct nestio_vevent *ev,
			unsigned int max);
uint64_t nestio_veventq_get_lost(const struct nestio_veventq *q);
/* An SMMUv3 event record, decoded (the Arm SMMUv3 architecture's layout). */
#define NESTIO_SMMUV3_EVT_STE_FETCH	0x03u
#define NESTIO_SMMUV3_EVT_BAD_STE	0x04u
#define NESTIO_SMMUV3_EVT_CD_FETCH	0x09u
#define NESTIO_SMMUV3_EVT_BAD_CD	0x0au
#define NESTIO_SMMUV3_EVT_TRANSLATION	0x10u
#define NESTIO_SMMUV3_EVT_ADDR_SIZE	0x11u
#define NESTIO_SMMUV3_EVT_ACCESS	0x12u
#define NESTIO_SMMUV3_EVT_PERMISSION	0x13u

#define NESTIO_SMMUV3_EVF_SSV	(1u << 0)	/* ssid is valid */
#define NESTIO_SMMUV3_EVF_STALL	(1u << 1)	/* the transaction stalled */
#define NESTIO_SMMUV3_EVF_PRIV	(1u << 2)	/* privileged (PnU) */
#define NESTIO_SMMUV3_EVF_INSTR	(1u << 3)	/* instruction fetch (InD) */
#define NESTIO_SMMUV3_EVF_READ	(1u << 4)	/* a read (RnW) */
#define NESTIO_SMMUV3_EVF_S2	(1u << 5)	/* raised by stage 2 */

struct nestio_smmuv3_event {
	uint8_t id;		/* NESTIO_SMMUV3_EVT_* or another event type */
	uint8_t fault_class;	/* 0 CD fetch, 1 table walk, 2 input address */
	uint16_t stag;
	uint32_t flags;		/* NESTIO_SMMUV3_EVF_* */
	uint32_t sid;		/* the stream ID: in a vEVENT, the virtual one */
	uint32_t ssid;		/* with NESTIO_SMMUV3_EVF_SSV */
	uint64_t addr;		/* the input address */
	uint64_t ipa;		/* the IPA (bits 51:12), for stage-2 faults */
	uint64_t fetch_addr;	/* the fetch address (bits 51:3), fetch faults */
};

int nestio_vevent_decode_smmuv3(const struct nestio_vevent *ev,
				struct nestio_smmuv3_event *out);
int nestio_veventq_set_handler(struct nestio_veventq *q,
			       void (*fn)(struct nestio_veventq *q,
					  const struct nestio_vevent *ev,
					  void *data),
			       void *data);

/* ------------------------------------------------------------ fault queue */

#define NESTIO_PRQ_PASID_VALID	(1u << 0)
#define NESTIO_PRQ_LAST_PAGE	(1u << 1)	/* closes the group */

#define NESTIO_PERM_READ	(1u << 0)
#define NESTIO_PERM_WRITE	(1u << 1)
#define NESTIO_PERM_EXEC	(1u << 2)
#define NESTIO_PERM_PRIV	(1u << 3)

#define NESTIO_PAGE_RESP_SUCCESS	0u
#define NESTIO_PAGE_RESP_INVALID	1u

/* One page request of a group, as nestio_fault_read_group() returns it. */
struct nestio_page_request {
	uint32_t flags;		/* NESTIO_PRQ_* */
	uint32_t dev_id;
	uint32_t pasid;		/* valid with NESTIO_PRQ_PASID_VALID */
	uint32_t grpid;
	uint32_t perm;		/* NESTIO_PERM_* */
	uint32_t length;
	uint64_t addr;
	uint32_t cookie;	/* answer the group with this */
	uint32_t reserved;
};

int nestio_fault_new(struct nestio_ctx *ctx, struct nestio_fault **out);
struct nestio_fault *nestio_fault_ref(struct nestio_fault *f);
struct nestio_fault *nestio_fault_unref(struct nestio_fault *f);
int nestio_fault_get_fd(const struct nestio_fault *f);
uint32_t nestio_fault_get_id(const struct nestio_fault *f);
int nestio_fault_read_group(struct nestio_fault *f,
			    struct nestio_page_request *req, unsigned int max);
int nestio_fault_respond(struct nestio_fault *f, uint32_t cookie,
			 uint32_t code);
int nestio_fault_set_handler(struct nestio_fault *f,
			     void (*fn)(struct nestio_fault *f,
					const struct nestio_page_request *group,
					unsigned int n, void *data),
			     void *data);

/* ----------------------------------------------------------- dirty pages */

#define NESTIO_DIRTY_NO_CLEAR	(1u << 0)	/* read, leave the bits set */

int nestio_hwpt_set_dirty_tracking(struct nestio_hwpt *hwpt, int enable);
int nestio_hwpt_get_dirty_bitmap(struct nestio_hwpt *hwpt, uint64_t iova,
				 uint64_t length, uint64_t page_size,
				 uint64_t *bitmap, unsigned int flags);

/* -------------------------------------------------------------- HW queue */

/* HW queue types: the kernel's numbers; others pass through as raw types */
#define NESTIO_HW_QUEUE_TEGRA241_CMDQV	1u

int nestio_hw_queue_new(struct nestio_viommu *viommu, uint32_t type,
			uint32_t index, uint64_t base_iova, uint64_t length,
			struct nestio_hw_queue **out);
struct nestio_hw_queue *nestio_hw_queue_ref(struct nestio_hw_queue *hq);
struct nestio_hw_queue *nestio_hw_queue_unref(struct nestio_hw_queue *hq);
uint32_t nestio_hw_queue_get_id(const struct nestio_hw_queue *hq);

/* ------------------------------------ hw info by type, Tegra241 CMDQV */

/* hw-info types: the kernel's numbers (nestio_device_get_hw_info's *type) */
#define NESTIO_HW_INFO_DEFAULT		0u
#define NESTIO_HW_INFO_INTEL_VTD	1u
#define NESTIO_HW_INFO_ARM_SMMUV3	2u
#define NESTIO_HW_INFO_TEGRA241_CMDQV	3u
#define NESTIO_HW_INFO_AMD		4u

/*
 * The hw info of one type (want_type; NESTIO_HW_INFO_DEFAULT is the same
 * call as nestio_device_get_hw_info_ext()): an IOMMU may report more than
 * one, e.g. a Tegra241 host its SMMUv3 registers by default and its CMDQV
 * block when asked. -EOPNOTSUPP: no such type here, or a kernel too old to
 * ask for one.
 */
int nestio_device_get_hw_info_of_type(struct nestio_device *dev,
				      uint32_t want_type, uint32_t *type,
				      void *data, size_t *len,
				      uint64_t *kernel_caps,
				      uint8_t *max_pasid_log2);

/* The CMDQV block (NESTIO_HW_INFO_TEGRA241_CMDQV): what a VMM puts in its
 * emulated CMDQV PARAM register (one VINTF per VM). */
struct nestio_tegra241_cmdqv_info {
	uint32_t flags;		/* the kernel's; none defined yet */
	uint8_t version;	/* PARAM[3:0] */
	uint8_t log2vcmdqs;	/* PARAM[7:4]: VCMDQs of a VINTF, log2 */
	uint8_t log2vsids;	/* PARAM[15:12]: SID replacements, log2 */
	uint8_t reserved;
};

int nestio_hw_info_decode_tegra241_cmdqv(const void *data, size_t len,
					 struct nestio_tegra241_cmdqv_info *out);
int nestio_device_get_tegra241_cmdqv_info(struct nestio_device *dev,
					  struct nestio_tegra241_cmdqv_info *out);

/* NESTIO_VIOMMU_TEGRA241_CMDQV driver data (nestio_viommu_opts.data, the
 * kernel's layout): where the kernel lets the VINTF's page 0 be mapped. */
struct nestio_viommu_tegra241_cmdqv {
	uint64_t vintf_mmap_offset;	/* out: for nestio_viommu_mmap() */
	uint64_t vintf_mmap_length;	/* out */
};

/*
 * Maps the page(s) a vIOMMU offers at the kernel's mmap offset, shared and
 * read-write through the ctx's iommufd. The vIOMMU owns the mapping: the
 * same offset and length again give the same address, and the last unref
 * of the vIOMMU unmaps it. The caller must not munmap it, nor touch it once
 * it holds no reference to the vIOMMU.
 */
int nestio_viommu_mmap(struct nestio_viommu *viommu, uint64_t offset,
		       uint64_t length, void **addr);

/* A Tegra241 CMDQV vEVENT (NESTIO_VEVENTQ_TEGRA241_CMDQV), decoded. */
struct nestio_tegra241_cmdqv_event {
	uint64_t lvcmdq_err_map[2];	/* bit n of 128: logical VCMDQ n of
					 * the VINTF is in error */
};

int nestio_vevent_decode_tegra241_cmdqv(const struct nestio_vevent *ev,
					struct nestio_tegra241_cmdqv_event *out);

/* --------------------------------------------------- hotplug monitor */

#define NESTIO_HOTPLUG_ADD	1u
#define NESTIO_HOTPLUG_REMOVE	2u

/* A VFIO device cdev appearing or going (a kernel uevent). */
struct nestio_hotplug {
	uint32_t action;	/* NESTIO_HOTPLUG_* */
	uint32_t reserved;
	char bdf[16];		/* "0000:00:03.0"; empty if not PCI */
	char cdev[64];		/* "/dev/vfio/devices/vfio0" */
};

int nestio_monitor_new(struct nestio_ctx *ctx, struct nestio_monitor **out);
struct nestio_monitor *nestio_monitor_ref(struct nestio_monitor *m);
struct nestio_monitor *nestio_monitor_unref(struct nestio_monitor *m);
int nestio_monitor_get_fd(const struct nestio_monitor *m);
int nestio_monitor_read(struct nestio_monitor *m, struct nestio_hotplug *ev,
			unsigned int max);
int nestio_monitor_set_handler(struct nestio_monitor *m,
			       void (*fn)(struct nestio_monitor *m,
					  const struct nestio_hotplug *ev,
					  void *data),
			       void *data);

/* ------------------------------------------------------------ dispatch */

int nestio_ctx_dispatch(struct nestio_ctx *ctx, int fd);

/* ------------------------------------- unmap flags, VFIO compat, VF token */

/* nestio_ioas_unmap_ext() flags */
#define NESTIO_UNMAP_ABSENT_OK	(1u << 0) /* nothing to unmap: 0, *unmapped 0 */

int nestio_ioas_unmap_ext(struct nestio_ioas *ioas, uint64_t iova,
			  uint64_t length, unsigned int flags,
			  uint64_t *unmapped);

/* The IOAS the kernel's VFIO container compatibility layer uses. */
int nestio_ioas_set_vfio_compat(struct nestio_ioas *ioas);
int nestio_ctx_get_vfio_compat_ioas(struct nestio_ctx *ctx, uint32_t *id);
int nestio_ctx_clear_vfio_compat(struct nestio_ctx *ctx);

/* How a VFIO cdev is bound (nestio_device_open_ext and _new_from_fd_ext). */
struct nestio_device_bind_opts {
	size_t sz;		/* sizeof(struct nestio_device_bind_opts) */
	const void *vf_token;	/* 16 bytes: the SR-IOV VF token (a UUID), or NULL */
};

int nestio_device_open_ext(struct nestio_ctx *ctx, const char *name,
			   const struct nestio_device_bind_opts *opts,
			   struct nestio_device **out);
int nestio_device_new_from_fd_ext(struct nestio_ctx *ctx, int fd,
				  const struct nestio_device_bind_opts *opts,
				  struct nestio_device **out);

/* What the IOMMU driver behind a device takes: nestio_device_supports(). */
enum nestio_probe {
	NESTIO_PROBE_HWPT_DATA = 0,	/* nested hwpt data, kernel IOMMU_HWPT_DATA_* */
	NESTIO_PROBE_VIOMMU = 1,	/* vIOMMU type, NESTIO_VIOMMU_* */
};

int nestio_device_supports(struct nestio_device *dev, enum nestio_probe what,
			   uint32_t type);

#ifdef __cplusplus
}
#endif

#endif
