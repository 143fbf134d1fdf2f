// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestio_vdevice: a device as the guest's vIOMMU names it (its virtual ID). */
#include <stdlib.h>

#include "internal.h"
#include "kabi.h"

struct nestio_vdevice {
	struct nio_obj obj;	/* first: magic, refcount, ctx, id */
	uint64_t virt_id;
	struct nestio_viommu *viommu;	/* pinned */
	struct nestio_device *dev;	/* pinned */
};


NESTIO_EXPORT int nestio_vdevice_new(struct nestio_viommu *viommu,
				     struct nestio_device *dev,
				     uint64_t virt_id,
				     struct nestio_vdevice **out)
{
	struct kabi_vdevice_alloc cmd = { .size = sizeof(cmd) };
	struct nestio_ctx *ctx = nestio_device_get_ctx(dev);
	struct nestio_vdevice *v;
	int r;

	if (!ctx || !nio_viommu_ok(viommu) || nio_obj_ctx(viommu) != ctx || !out)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	cmd.viommu_id = nestio_viommu_get_id(viommu);
	cmd.dev_id = nestio_device_get_id(dev);
	cmd.virt_id = virt_id;
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_VDEVICE_ALLOC, &cmd);
	if (r < 0) {
		free(v);
		return r;
	}
	nio_obj_init(&v->obj, NIO_MAGIC_VDEVICE, ctx, cmd.out_vdevice_id);
	v->virt_id = virt_id;
	v->viommu = nestio_viommu_ref(viommu);
	v->dev = nestio_device_ref(dev);
	dbg(ctx, "vdevice %u: dev_id %u is %#llx on viommu %u", v->obj.id,
	    cmd.dev_id, (unsigned long long)virt_id, cmd.viommu_id);
	*out = v;
	return 0;
}

static void vdevice_release(void *obj)
{
	struct nestio_vdevice *vdev = obj;

	nio_destroy_id(vdev->obj.ctx, vdev->obj.id);
	nestio_viommu_unref(vdev->viommu);
	nestio_device_unref(vdev->dev);
}

/* nestio_vdevice_ref(), nestio_vdevice_unref() */
NIO_DEFINE_REF_UNREF(vdevice, NIO_MAGIC_VDEVICE, vdevice_release)

NESTIO_EXPORT uint32_t nestio_vdevice_get_id(const struct nestio_vdevice *vdev)
{
	return nio_vdevice_ok(vdev) ? vdev->obj.id : 0;
}

NESTIO_EXPORT uint64_t nestio_vdevice_get_virt_id(const struct nestio_vdevice *vdev)
{
	return nio_vdevice_ok(vdev) ? vdev->virt_id : 0;
}

NESTIO_EXPORT struct nestio_viommu *nestio_vdevice_get_viommu(const struct nestio_vdevice *vdev)
{
	return nio_vdevice_ok(vdev) ? vdev->viommu : NULL;
}

NESTIO_EXPORT struct nestio_device *nestio_vdevice_get_device(const struct nestio_vdevice *vdev)
{
	return nio_vdevice_ok(vdev) ? vdev->dev : NULL;
}
