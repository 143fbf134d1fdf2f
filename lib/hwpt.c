// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestio_hwpt: a hardware page table. Paging (on an IOAS, optionally a nest
 * parent) or nested (a guest stage-1 table over a nest parent or a vIOMMU).
 */
#include <stdlib.h>

#include "internal.h"
#include "kabi.h"

struct nestio_hwpt {
	struct nio_obj obj;	/* first: magic, refcount, ctx, id */
	unsigned int flags;		/* NESTIO_HWPT_* */
	/* what it is built on, pinned: exactly one is set */
	struct nestio_ioas *ioas;	/* paging */
	struct nestio_hwpt *parent;	/* nested on a nest parent */
	struct nestio_viommu *viommu;	/* nested on a vIOMMU */
	struct nestio_fault *fault;	/* its fault queue, if it is ours */
	bool bans_ro;			/* bans read-only maps from ioas */
};


static uint32_t hwpt_flags_to_uapi(unsigned int flags)
{
	return (flags & NESTIO_HWPT_NEST_PARENT ? KABI_HWPT_ALLOC_NEST_PARENT : 0) |
	       (flags & NESTIO_HWPT_DIRTY_TRACKING ? KABI_HWPT_ALLOC_DIRTY_TRACKING : 0) |
	       (flags & NESTIO_HWPT_PASID ? KABI_HWPT_ALLOC_PASID : 0);
}

/* IOMMU_HWPT_ALLOC and the object around it; the caller pins the base. */
static int hwpt_alloc(struct nestio_device *dev, uint32_t pt_id,
		      unsigned int flags, uint32_t fault_id,
		      const struct nio_stage1_uapi *s1, struct nestio_hwpt **out)
{
	struct kabi_hwpt_alloc cmd = { .size = sizeof(cmd) };
	struct nestio_ctx *ctx = nestio_device_get_ctx(dev);
	struct nestio_hwpt *hwpt = calloc(1, sizeof(*hwpt));
	int r;

	if (!hwpt)
		return -ENOMEM;
	cmd.flags = hwpt_flags_to_uapi(flags);
	if (fault_id) {
		cmd.flags |= KABI_HWPT_FAULT_ID_VALID;
		cmd.fault_id = fault_id;
	}
	cmd.dev_id = nestio_device_get_id(dev);
	cmd.pt_id = pt_id;
	if (s1) {
		cmd.data_type = s1->type;
		cmd.data_len = s1->len;
		cmd.data_uptr = (uintptr_t)s1->data;
	}
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_HWPT_ALLOC, &cmd);
	if (r < 0) {
		free(hwpt);
		return r;
	}
	nio_obj_init(&hwpt->obj, NIO_MAGIC_HWPT, ctx, cmd.out_hwpt_id);
	hwpt->flags = flags;
	/* the kernel pins the fault queue for the hwpt: so do we, or its
	 * last unref would find it busy (a raw id we do not know stays raw) */
	if (fault_id)
		hwpt->fault = nestio_fault_ref(nio_dispatch_find(ctx, NIO_MAGIC_FAULT,
								 fault_id));
	dbg(ctx, "hwpt %u on pt %u (flags %#x, data type %u)", hwpt->obj.id, pt_id,
	    flags, cmd.data_type);
	*out = hwpt;
	return 0;
}

/*
 * A nest parent on an IOMMU with an erratum against read-only stage-2
 * mappings (ERRATA_772415_SPR17: the kernel maps them writable) bans them
 * from its IOAS while it lives. One GET_HW_INFO, after the kernel has
 * taken the nest parent: a refused one costs nothing.
 */
static int nest_parent_errata(struct nestio_device *dev, struct nestio_hwpt *hwpt)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	const char *erratum;
	int r;

	r = nestio_device_get_hw_caps(dev, &caps);
	if (r < 0)
		return r;
	erratum = nio_errata_forbid_ro(caps.errata);
	if (!erratum)
		return 0;
	r = nio_ioas_forbid_ro(hwpt->ioas, erratum);
	if (r < 0)
		return r;
	hwpt->bans_ro = true;
	return 0;
}

NESTIO_EXPORT int nestio_hwpt_new_paging(struct nestio_device *dev,
					 struct nestio_ioas *ioas,
					 const struct nestio_hwpt_paging_opts *opts,
					 struct nestio_hwpt **out)
{
	const unsigned int known = NESTIO_HWPT_NEST_PARENT |
				   NESTIO_HWPT_DIRTY_TRACKING |
				   NESTIO_HWPT_PASID;
	struct nestio_ctx *ctx = nestio_device_get_ctx(dev);
	struct nestio_hwpt *hwpt;
	unsigned int flags;
	int r;

	if (!ctx || !nio_ioas_ok(ioas) || nestio_ioas_get_ctx(ioas) != ctx ||
	    !out)
		return -EINVAL;
	r = NIO_OPTS_CHECK(opts, struct nestio_hwpt_paging_opts);
	if (r < 0)
		return r;
	flags = NIO_OPTS_GET(opts, flags, 0u);
	if (flags & ~known)
		return -EINVAL;
	r = hwpt_alloc(dev, nestio_ioas_get_id(ioas), flags,
		       NIO_OPTS_GET(opts, fault_id, 0u), NULL, &hwpt);
	if (r < 0)
		return r;
	hwpt->ioas = nestio_ioas_ref(ioas);
	if (flags & NESTIO_HWPT_NEST_PARENT) {
		r = nest_parent_errata(dev, hwpt);
		if (r < 0) {
			nestio_hwpt_unref(hwpt);
			return r;
		}
	}
	nio_obj_register(&hwpt->obj);
	*out = hwpt;
	return 0;
}

/* A nested hwpt on base_id (a nest parent's or a vIOMMU's id). */
static int new_nested(struct nestio_device *dev, uint32_t base_id,
		      const struct nestio_stage1 *s1,
		      const struct nestio_hwpt_nested_opts *opts,
		      struct nestio_hwpt **out)
{
	struct nio_stage1_uapi u;
	unsigned int flags;
	int r;

	r = NIO_OPTS_CHECK(opts, struct nestio_hwpt_nested_opts);
	if (r < 0)
		return r;
	flags = NIO_OPTS_GET(opts, flags, 0u);
	if (flags & ~NESTIO_HWPT_PASID)
		return -EINVAL;
	r = nio_stage1_to_uapi(s1, &u);
	if (r < 0)
		return r;
	return hwpt_alloc(dev, base_id, flags, NIO_OPTS_GET(opts, fault_id, 0u),
			  &u, out);
}

NESTIO_EXPORT int nestio_hwpt_new_nested(struct nestio_device *dev,
					 struct nestio_hwpt *parent,
					 const struct nestio_stage1 *s1,
					 const struct nestio_hwpt_nested_opts *opts,
					 struct nestio_hwpt **out)
{
	struct nestio_ctx *ctx = nestio_device_get_ctx(dev);
	struct nestio_hwpt *hwpt;
	int r;

	if (!ctx || !nio_hwpt_ok(parent) || parent->obj.ctx != ctx || !out ||
	    !(parent->flags & NESTIO_HWPT_NEST_PARENT))
		return -EINVAL;
	r = new_nested(dev, parent->obj.id, s1, opts, &hwpt);
	if (r < 0)
		return r;
	hwpt->parent = nestio_hwpt_ref(parent);
	hwpt->obj.flags |= NIO_OBJ_NESTED;
	nio_obj_register(&hwpt->obj);
	*out = hwpt;
	return 0;
}

NESTIO_EXPORT int nestio_hwpt_new_nested_viommu(struct nestio_device *dev,
						struct nestio_viommu *viommu,
						const struct nestio_stage1 *s1,
						const struct nestio_hwpt_nested_opts *opts,
						struct nestio_hwpt **out)
{
	struct nestio_ctx *ctx = nestio_device_get_ctx(dev);
	struct nestio_hwpt *hwpt;
	int r;

	if (!ctx || !nio_viommu_ok(viommu) || nio_obj_ctx(viommu) != ctx || !out)
		return -EINVAL;
	r = new_nested(dev, nestio_viommu_get_id(viommu), s1, opts, &hwpt);
	if (r < 0)
		return r;
	hwpt->viommu = nestio_viommu_ref(viommu);
	hwpt->obj.flags |= NIO_OBJ_NESTED;
	nio_obj_register(&hwpt->obj);
	*out = hwpt;
	return 0;
}

/*
 * Live update (nestio_adopt(3)): a hwpt the kernel already holds. The
 * kernel says whether id is a paging or a nested hwpt; the caller says
 * which of the two and what it is built on (exactly one base, pinned like
 * a new hwpt's), and the flags it was made with, which the kernel cannot
 * tell. An adopted nest parent bans no read-only mappings (no device here
 * to read the errata from), and the hwpt knows no fault queue.
 */
NESTIO_EXPORT int nestio_hwpt_new_from_id(struct nestio_ctx *ctx, uint32_t id,
					  const struct nestio_hwpt_adopt_opts *opts,
					  struct nestio_hwpt **out)
{
	const unsigned int paging_flags = NESTIO_HWPT_NEST_PARENT |
					  NESTIO_HWPT_DIRTY_TRACKING |
					  NESTIO_HWPT_PASID;
	struct nestio_ioas *ioas;
	struct nestio_hwpt *parent, *hwpt;
	struct nestio_viommu *viommu;
	unsigned int flags, adopt;
	int r;

	if (!nio_ctx_ok(ctx) || !id || !opts || !out)
		return -EINVAL;
	r = NIO_OPTS_CHECK(opts, struct nestio_hwpt_adopt_opts);
	if (r < 0)
		return r;
	adopt = NIO_OPTS_GET(opts, adopt_flags, 0u);
	flags = NIO_OPTS_GET(opts, flags, 0u);
	ioas = NIO_OPTS_GET(opts, ioas, NULL);
	parent = NIO_OPTS_GET(opts, parent, NULL);
	viommu = NIO_OPTS_GET(opts, viommu, NULL);
	if ((adopt & ~NESTIO_ADOPT_KEEP) || !!ioas + !!parent + !!viommu != 1)
		return -EINVAL;
	if (ioas && (!nio_ioas_ok(ioas) || nio_obj_ctx(ioas) != ctx ||
		     (flags & ~paging_flags)))
		return -EINVAL;
	if (parent && (!nio_hwpt_ok(parent) || parent->obj.ctx != ctx ||
		       !(parent->flags & NESTIO_HWPT_NEST_PARENT) ||
		       (parent->obj.flags & NIO_OBJ_NESTED)))
		return -EINVAL;
	if (viommu && (!nio_viommu_ok(viommu) || nio_obj_ctx(viommu) != ctx))
		return -EINVAL;
	if (!ioas && (flags & ~NESTIO_HWPT_PASID))
		return -EINVAL;
	r = nio_adopt_check(ctx, id, NIO_MAGIC_HWPT,
			    ioas ? NIO_ADOPT_PAGING : NIO_ADOPT_NESTED,
			    NIO_OPTS_GET(opts, inv_data_type, 0u));
	if (r < 0)
		return r;
	hwpt = calloc(1, sizeof(*hwpt));
	if (!hwpt)
		return -ENOMEM;
	nio_obj_init(&hwpt->obj, NIO_MAGIC_HWPT, ctx, id);
	if (adopt & NESTIO_ADOPT_KEEP)
		hwpt->obj.flags |= NIO_OBJ_KEEP;
	if (!ioas)
		hwpt->obj.flags |= NIO_OBJ_NESTED;
	hwpt->flags = flags;
	hwpt->ioas = nestio_ioas_ref(ioas);
	hwpt->parent = nestio_hwpt_ref(parent);
	hwpt->viommu = nestio_viommu_ref(viommu);
	nio_obj_register(&hwpt->obj);
	dbg(ctx, "hwpt %u adopted (%s, flags %#x)", id,
	    ioas ? "paging" : "nested", flags);
	*out = hwpt;
	return 0;
}

static void hwpt_release(void *obj)
{
	struct nestio_hwpt *hwpt = obj;

	if (hwpt->viommu)	/* first: nothing may hand it out any more */
		nio_viommu_forget_hwpt(hwpt->viommu, hwpt);
	if (!(hwpt->obj.flags & NIO_OBJ_KEEP))
		nio_destroy_id(hwpt->obj.ctx, hwpt->obj.id);
	if (hwpt->bans_ro)
		nio_ioas_allow_ro(hwpt->ioas);
	nestio_ioas_unref(hwpt->ioas);
	nestio_hwpt_unref(hwpt->parent);
	nestio_viommu_unref(hwpt->viommu);
	nestio_fault_unref(hwpt->fault);
}

/* nestio_hwpt_ref(), nestio_hwpt_unref() */
NIO_DEFINE_REF_UNREF(hwpt, NIO_MAGIC_HWPT, hwpt_release)

NESTIO_EXPORT uint32_t nestio_hwpt_get_id(const struct nestio_hwpt *hwpt)
{
	return nio_hwpt_ok(hwpt) ? hwpt->obj.id : 0;
}

NESTIO_EXPORT unsigned int nestio_hwpt_get_flags(const struct nestio_hwpt *hwpt)
{
	return nio_hwpt_ok(hwpt) ? hwpt->flags : 0;
}

NESTIO_EXPORT struct nestio_ctx *nestio_hwpt_get_ctx(const struct nestio_hwpt *hwpt)
{
	return nio_hwpt_ok(hwpt) ? hwpt->obj.ctx : NULL;
}

/* The IOAS behind the hwpt's stage 2: its own, or its parent's. */
NESTIO_EXPORT struct nestio_ioas *nestio_hwpt_get_ioas(const struct nestio_hwpt *hwpt)
{
	if (!nio_hwpt_ok(hwpt))
		return NULL;
	if (hwpt->ioas)
		return hwpt->ioas;
	if (hwpt->parent)
		return hwpt->parent->ioas;
	return nestio_hwpt_get_ioas(nestio_viommu_get_parent(hwpt->viommu));
}

NESTIO_EXPORT struct nestio_hwpt *nestio_hwpt_get_parent(const struct nestio_hwpt *hwpt)
{
	return nio_hwpt_ok(hwpt) ? hwpt->parent : NULL;
}

NESTIO_EXPORT struct nestio_viommu *nestio_hwpt_get_viommu(const struct nestio_hwpt *hwpt)
{
	return nio_hwpt_ok(hwpt) ? hwpt->viommu : NULL;
}

NESTIO_EXPORT int nestio_hwpt_is_nested(const struct nestio_hwpt *hwpt)
{
	if (!nio_hwpt_ok(hwpt))
		return -EINVAL;
	return !!(hwpt->obj.flags & NIO_OBJ_NESTED);
}
