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
	struct viommu_map *maps;	/* unmapped before the destroy */
};


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
	dbg(ctx, "viommu %u (type %#x) on hwpt %u", v->obj.id, type, cmd.hwpt_id);
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
