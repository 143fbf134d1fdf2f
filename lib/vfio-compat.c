// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IOMMU_VFIO_IOAS: which IOAS of a ctx the kernel's VFIO container
 * compatibility layer uses (drivers/iommu/iommufd/vfio_compat.c), for a
 * VMM that hands the same iommufd to code speaking the type1 container
 * ioctls. The kernel keeps a plain pointer, no reference: destroying that
 * IOAS clears it, so the library pins nothing either.
 */
#include "internal.h"
#include "kabi.h"

static int vfio_ioas(struct nestio_ctx *ctx, uint16_t op, uint32_t *id)
{
	struct kabi_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.ioas_id = op == KABI_VFIO_IOAS_SET ? *id : 0,
		.op = op,
	};
	int r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_VFIO_IOAS, &cmd);

	if (r == 0 && op == KABI_VFIO_IOAS_GET)
		*id = cmd.ioas_id;
	return r;
}

NESTIO_EXPORT int nestio_ioas_set_vfio_compat(struct nestio_ioas *ioas)
{
	uint32_t id;

	if (!nio_ioas_ok(ioas))
		return -EINVAL;
	id = nio_obj_id(ioas);
	return vfio_ioas(nio_obj_ctx(ioas), KABI_VFIO_IOAS_SET, &id);
}

/* ENODEV: none set (and none made yet by a container ioctl). */
NESTIO_EXPORT int nestio_ctx_get_vfio_compat_ioas(struct nestio_ctx *ctx,
						  uint32_t *id)
{
	uint32_t got = 0;
	int r;

	if (!nio_ctx_ok(ctx) || !id)
		return -EINVAL;
	r = vfio_ioas(ctx, KABI_VFIO_IOAS_GET, &got);
	if (r == 0)
		*id = got;
	return r;
}

NESTIO_EXPORT int nestio_ctx_clear_vfio_compat(struct nestio_ctx *ctx)
{
	if (!nio_ctx_ok(ctx))
		return -EINVAL;
	return vfio_ioas(ctx, KABI_VFIO_IOAS_CLEAR, NULL);
}
