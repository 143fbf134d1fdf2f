// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestio_viommu: the host side of a guest's virtual IOMMU, on a nest parent. */
#include <stdlib.h>

#include "internal.h"
#include "kabi.h"

struct nestio_viommu {
	struct nio_obj obj;	/* first: magic, refcount, ctx, id */
	uint32_t type;
	struct nestio_hwpt *parent;	/* the nest parent, pinned */
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
