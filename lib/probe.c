// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestio_device_supports(): which nested-hwpt data types and vIOMMU types
 * the IOMMU driver behind a device takes, asked of the kernel with calls
 * that leave nothing behind, and cached in the device (its driver does not
 * change while it is bound).
 *
 * The probes rest on the order of the kernel's checks (Linux 7.2,
 * drivers/iommu/iommufd/ and the drivers' alloc functions):
 *
 * - hwpt data: IOMMU_HWPT_ALLOC of a nested hwpt on a nest parent, with
 *   one byte of data. A driver that does not take the type answers
 *   EOPNOTSUPP (so does one without nesting: the core, VT-d, the mock)
 *   before it reads the data; one that takes it reads the byte and
 *   answers EINVAL (shorter than any stage-1 struct). The nest parent and
 *   its IOAS are made for the probe and destroyed after it; an IOMMU that
 *   cannot make a nest parent (EOPNOTSUPP) takes no type.
 * - vIOMMU: IOMMU_VIOMMU_ALLOC with hwpt_id 0. The type is checked
 *   (EOPNOTSUPP: the driver has no vIOMMU of it) before the hwpt is looked
 *   up (ENOENT: there is none with id 0). The device is looked up first of
 *   all, so an ENOENT is only a yes when the device still exists: a
 *   GET_HW_INFO on it tells.
 *
 * vEVENTQ types cannot be probed: IOMMU_VEVENTQ_ALLOC refuses type 0 only
 * and takes any other on any vIOMMU (drivers/iommu/iommufd/eventq.c); a
 * driver posts events of its own type only.
 */
#include "internal.h"
#include "kabi.h"

/* 1: taken, 0: not, or -errno */
static int probe_hwpt_data(struct nestio_device *dev, uint32_t type)
{
	struct nestio_ctx *ctx = nio_obj_ctx(dev);
	struct kabi_ioas_alloc ia = { .size = sizeof(ia) };
	struct kabi_hwpt_alloc cmd = { .size = sizeof(cmd) };
	uint8_t byte = 0;
	uint32_t parent;
	int r;

	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_IOAS_ALLOC, &ia);
	if (r < 0)
		return r;
	cmd.flags = KABI_HWPT_ALLOC_NEST_PARENT;
	cmd.dev_id = nio_obj_id(dev);
	cmd.pt_id = ia.out_ioas_id;
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_HWPT_ALLOC, &cmd);
	if (r < 0) {
		nio_destroy_id(ctx, ia.out_ioas_id);
		return r == -EOPNOTSUPP ? 0 : r;
	}
	parent = cmd.out_hwpt_id;
	cmd = (struct kabi_hwpt_alloc){
		.size = sizeof(cmd),
		.dev_id = nio_obj_id(dev),
		.pt_id = parent,
		.data_type = type,
		.data_len = 1,
		.data_uptr = (uintptr_t)&byte,
	};
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_HWPT_ALLOC, &cmd);
	if (r == 0) {		/* a driver content with one byte */
		nio_destroy_id(ctx, cmd.out_hwpt_id);
		r = 1;
	} else if (r == -EINVAL) {
		r = 1;
	} else if (r == -EOPNOTSUPP) {
		r = 0;
	}
	nio_destroy_id(ctx, parent);
	nio_destroy_id(ctx, ia.out_ioas_id);
	return r;
}

static int probe_viommu(struct nestio_device *dev, uint32_t type)
{
	struct nestio_ctx *ctx = nio_obj_ctx(dev);
	struct kabi_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = type,
		.dev_id = nio_obj_id(dev),
	};
	struct kabi_hw_info hw = { .size = sizeof(hw), .dev_id = nio_obj_id(dev) };
	int r;

	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_VIOMMU_ALLOC, &cmd);
	if (r == 0) {		/* cannot be: hwpt 0 does not exist */
		nio_destroy_id(ctx, cmd.out_viommu_id);
		return -EPROTO;
	}
	if (r == -EOPNOTSUPP)
		return 0;
	if (r != -ENOENT)
		return r;
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_GET_HW_INFO, &hw);
	return r == -ENOENT ? r : 1;
}

NESTIO_EXPORT int nestio_device_supports(struct nestio_device *dev,
					 enum nestio_probe what, uint32_t type)
{
	struct nio_probe_cache *c;
	int r;

	if (!nio_device_ok(dev) || (what != NESTIO_PROBE_HWPT_DATA &&
				    what != NESTIO_PROBE_VIOMMU) ||
	    (what == NESTIO_PROBE_HWPT_DATA && type == KABI_HWPT_DATA_NONE))
		return -EINVAL;
	c = nio_device_probe_cache(dev);
	for (unsigned int i = 0; i < c->n; i++)
		if (c->a[i].what == (uint32_t)what && c->a[i].type == type)
			return c->a[i].answer;
	r = what == NESTIO_PROBE_HWPT_DATA ? probe_hwpt_data(dev, type)
					   : probe_viommu(dev, type);
	if (r < 0)
		return r;
	dbg(nio_obj_ctx(dev), "dev_id %u: %s type %#x: %s", nio_obj_id(dev),
	    what == NESTIO_PROBE_HWPT_DATA ? "hwpt data" : "vIOMMU", type,
	    r ? "yes" : "no");
	/* a full cache keeps its answers; later ones are asked again */
	if (c->n < NIO_PROBE_CACHE)
		c->a[c->n++] = (struct nio_probe_answer){ what, type, r };
	return r;
}
