// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestio_viommu: the host side of a guest's virtual IOMMU, on a nest parent.
 *
 * Some vIOMMU types give the VMM an MMIO page to hand to its guest (Tegra241
 * CMDQV: the VINTF's page 0), mmapped through the iommufd at an offset the
 * kernel writes into the driver data. The vIOMMU owns those mappings and
 * unmaps them at its last unref, before destroying the kernel object: a
 * mapping keeps the kernel's vIOMMU busy (EBUSY), so the order matters.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "kabi.h"

/* our typed driver data is the kernel's layout, passed as it is */
_Static_assert(sizeof(struct nestio_viommu_tegra241_cmdqv) ==
	       sizeof(struct kabi_viommu_tegra241_cmdqv), "CMDQV vIOMMU data");
_Static_assert(offsetof(struct nestio_viommu_tegra241_cmdqv, vintf_mmap_length) ==
	       offsetof(struct kabi_viommu_tegra241_cmdqv, out_vintf_mmap_length),
	       "CMDQV vIOMMU data");

/* one mmap of a page the kernel offers through the vIOMMU */
struct viommu_map {
	uint64_t offset;	/* the kernel's mmap offset */
	size_t length;
	void *addr;
	struct viommu_map *next;
};

struct nestio_viommu {
	struct nio_obj obj;	/* first: magic, refcount, ctx, id */
	uint32_t type;
	struct nestio_hwpt *parent;	/* the nest parent, pinned */
	/* the shared abort and bypass nested hwpts (SMMUv3), not pinned:
	 * each pins us, and its release forgets it here */
	struct nestio_hwpt *shared[2];
	struct viommu_map *maps;	/* unmapped before the destroy */
};

enum { SHARED_ABORT, SHARED_BYPASS };


NESTIO_EXPORT int nestio_viommu_new(struct nestio_device *dev,
				    struct nestio_hwpt *parent, uint32_t type,
				    const struct nestio_viommu_opts *opts,
				    struct nestio_viommu **out)
{
	struct kabi_viommu_alloc cmd = { .size = sizeof(cmd) };
	struct nestio_ctx *ctx = nestio_device_get_ctx(dev);
	struct nestio_viommu *v;
	void *data;
	size_t len;
	int r;

	if (!ctx || !nio_hwpt_ok(parent) || nestio_hwpt_get_ctx(parent) != ctx ||
	    !(nestio_hwpt_get_flags(parent) & NESTIO_HWPT_NEST_PARENT) ||
	    nestio_hwpt_is_nested(parent) || !out)
		return -EINVAL;
	r = NIO_OPTS_CHECK(opts, struct nestio_viommu_opts);
	if (r < 0)
		return r;
	data = NIO_OPTS_GET(opts, data, NULL);
	len = NIO_OPTS_GET(opts, data_len, (size_t)0);
	if ((len && !data) || len > UINT32_MAX)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	cmd.type = type;
	cmd.dev_id = nestio_device_get_id(dev);
	cmd.hwpt_id = nestio_hwpt_get_id(parent);
	cmd.data_len = (uint32_t)len;
	cmd.data_uptr = (uintptr_t)data;
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_VIOMMU_ALLOC, &cmd);
	if (r < 0) {
		free(v);
		return r;
	}
	nio_obj_init(&v->obj, NIO_MAGIC_VIOMMU, ctx, cmd.out_viommu_id);
	v->type = type;
	v->parent = nestio_hwpt_ref(parent);
	nio_obj_register(&v->obj);
	dbg(ctx, "viommu %u (type %#x) on hwpt %u", v->obj.id, type, cmd.hwpt_id);
	*out = v;
	return 0;
}

/*
 * Live update (nestio_adopt(3)): a vIOMMU the kernel already holds, on
 * parent (the adopted nest parent it was made on: the kernel cannot say,
 * so it is taken as told), of the type the caller says (0: unknown).
 */
NESTIO_EXPORT int nestio_viommu_new_from_id(struct nestio_hwpt *parent,
					    uint32_t id, uint32_t type,
					    unsigned int flags,
					    struct nestio_viommu **out)
{
	struct nestio_ctx *ctx = nestio_hwpt_get_ctx(parent);
	struct nestio_viommu *v;
	int r;

	if (!ctx || !(nestio_hwpt_get_flags(parent) & NESTIO_HWPT_NEST_PARENT) ||
	    nestio_hwpt_is_nested(parent) || !id ||
	    (flags & ~NESTIO_ADOPT_KEEP) || !out)
		return -EINVAL;
	r = nio_adopt_check(ctx, id, NIO_MAGIC_VIOMMU, NIO_ADOPT_VIOMMU, 0);
	if (r < 0)
		return r;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	nio_obj_init(&v->obj, NIO_MAGIC_VIOMMU, ctx, id);
	if (flags & NESTIO_ADOPT_KEEP)
		v->obj.flags |= NIO_OBJ_KEEP;
	v->type = type;
	v->parent = nestio_hwpt_ref(parent);
	nio_obj_register(&v->obj);
	dbg(ctx, "viommu %u (type %#x) adopted on hwpt %u", id, type,
	    nestio_hwpt_get_id(parent));
	*out = v;
	return 0;
}

static void viommu_release(void *obj)
{
	struct nestio_viommu *viommu = obj;

	while (viommu->maps) {
		struct viommu_map *m = viommu->maps;

		viommu->maps = m->next;
		nio_munmap(viommu->obj.ctx, m->addr, m->length);
		free(m);
	}
	if (!(viommu->obj.flags & NIO_OBJ_KEEP))
		nio_destroy_id(viommu->obj.ctx, viommu->obj.id);
	nestio_hwpt_unref(viommu->parent);
}

/* nestio_viommu_ref(), nestio_viommu_unref() */
NIO_DEFINE_REF_UNREF(viommu, NIO_MAGIC_VIOMMU, viommu_release)

NESTIO_EXPORT uint32_t nestio_viommu_get_id(const struct nestio_viommu *viommu)
{
	return nio_viommu_ok(viommu) ? viommu->obj.id : 0;
}

NESTIO_EXPORT uint32_t nestio_viommu_get_type(const struct nestio_viommu *viommu)
{
	return nio_viommu_ok(viommu) ? viommu->type : 0;
}

NESTIO_EXPORT struct nestio_hwpt *nestio_viommu_get_parent(const struct nestio_viommu *viommu)
{
	return nio_viommu_ok(viommu) ? viommu->parent : NULL;
}

/* ---- SMMUv3: a guest STE or GBPA to a nested hwpt ---- */

void nio_viommu_forget_hwpt(struct nestio_viommu *viommu,
			    const struct nestio_hwpt *hwpt)
{
	for (int i = 0; i < 2; i++)
		if (viommu->shared[i] == hwpt)
			viommu->shared[i] = NULL;
}

static bool smmuv3_args_ok(struct nestio_viommu *viommu,
			   struct nestio_device *dev, struct nestio_hwpt **out)
{
	return nio_viommu_ok(viommu) && nio_device_ok(dev) && out &&
	       nestio_device_get_ctx(dev) == viommu->obj.ctx &&
	       (viommu->type == NESTIO_VIOMMU_ARM_SMMUV3 ||
		viommu->type == NESTIO_VIOMMU_TEGRA241_CMDQV);
}

/* The vIOMMU's abort or bypass hwpt, a new reference; made on first use. */
static int shared_hwpt(struct nestio_viommu *viommu, struct nestio_device *dev,
		       int which, struct nestio_hwpt **out)
{
	struct nestio_stage1 s1 = { .type = NESTIO_STAGE1_ARM_SMMUV3 };
	struct nestio_hwpt *hwpt;
	int r;

	if (viommu->shared[which]) {
		*out = nestio_hwpt_ref(viommu->shared[which]);
		return 0;
	}
	/* V, and Config abort (0b000) or bypass (0b100) */
	s1.u.smmuv3.ste[0] = which == SHARED_ABORT ? 0x1 : 0x9;
	r = nestio_hwpt_new_nested_viommu(dev, viommu, &s1, NULL, &hwpt);
	if (r < 0)
		return r;
	viommu->shared[which] = hwpt;
	dbg(viommu->obj.ctx, "viommu %u: shared %s hwpt %u", viommu->obj.id,
	    which == SHARED_ABORT ? "abort" : "bypass", nestio_hwpt_get_id(hwpt));
	*out = hwpt;
	return 0;
}

NESTIO_EXPORT int nestio_viommu_hwpt_for_ste(struct nestio_viommu *viommu,
					     struct nestio_device *dev,
					     const uint64_t ste[2],
					     struct nestio_hwpt **out)
{
	struct nestio_stage1 s1 = { .type = NESTIO_STAGE1_ARM_SMMUV3 };
	uint64_t cleared[2];
	int kind;

	if (!smmuv3_args_ok(viommu, dev, out) || !ste)
		return -EINVAL;
	kind = nestio_smmuv3_ste_canon(ste, s1.u.smmuv3.ste, cleared);
	if (kind < 0)
		return kind;
	if (cleared[0] || cleared[1])
		dbg(viommu->obj.ctx, "viommu %u: vSTE bits %#" PRIx64 " %#" PRIx64
		    " cleared", viommu->obj.id, cleared[0], cleared[1]);
	switch (kind) {
	case NESTIO_SMMUV3_STE_INVALID:
	case NESTIO_SMMUV3_STE_ABORT:
		return shared_hwpt(viommu, dev, SHARED_ABORT, out);
	case NESTIO_SMMUV3_STE_BYPASS:
		return shared_hwpt(viommu, dev, SHARED_BYPASS, out);
	default:
		return nestio_hwpt_new_nested_viommu(dev, viommu, &s1, NULL, out);
	}
}

NESTIO_EXPORT int nestio_viommu_hwpt_for_gbpa(struct nestio_viommu *viommu,
					      struct nestio_device *dev,
					      uint32_t gbpa,
					      struct nestio_hwpt **out)
{
	if (!smmuv3_args_ok(viommu, dev, out))
		return -EINVAL;
	return shared_hwpt(viommu, dev, gbpa & NESTIO_SMMUV3_GBPA_ABORT ?
			   SHARED_ABORT : SHARED_BYPASS, out);
}
NESTIO_EXPORT int nestio_viommu_mmap(struct nestio_viommu *viommu, uint64_t offset,
				     uint64_t length, void **addr)
{
	long page = sysconf(_SC_PAGESIZE);
	struct viommu_map *m;
	int r;

	/* the kernel maps exactly the page (or pages) it gave the offset of,
	 * whole; an offset beyond off_t cannot be one it gave */
	if (!nio_viommu_ok(viommu) || !addr || !length || page <= 0 ||
	    length % (uint64_t)page || offset % (uint64_t)page ||
	    length > SIZE_MAX || (off_t)offset < 0 ||
	    (uint64_t)(off_t)offset != offset)
		return -EINVAL;
	for (m = viommu->maps; m; m = m->next) {
		if (m->offset != offset)
			continue;
		if (m->length != length)
			return -EEXIST;
		*addr = m->addr;	/* already mapped: the same mapping */
		return 0;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	r = nio_mmap(viommu->obj.ctx, viommu->obj.ctx->fd, offset,
		     (size_t)length, &m->addr);
	if (r < 0) {
		free(m);
		return r;
	}
	m->offset = offset;
	m->length = (size_t)length;
	m->next = viommu->maps;
	viommu->maps = m;
	*addr = m->addr;
	return 0;
}
