// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestio_hwpt: a hardware page table (for now: paging, on an IOAS). */
#include <stdlib.h>

#include "internal.h"
#include "kabi.h"

struct nestio_hwpt {
	uint32_t magic;
	int refcount;
	struct nestio_ctx *ctx;
	uint32_t id;
	unsigned int flags;		/* NESTIO_HWPT_* */
	struct nestio_ioas *ioas;	/* the parent, pinned */
};

bool nio_hwpt_ok(const struct nestio_hwpt *hwpt)
{
	return hwpt && hwpt->magic == NIO_MAGIC_HWPT;
}

static uint32_t hwpt_flags_to_uapi(unsigned int flags)
{
	return (flags & NESTIO_HWPT_NEST_PARENT ? KABI_HWPT_ALLOC_NEST_PARENT : 0) |
	       (flags & NESTIO_HWPT_DIRTY_TRACKING ? KABI_HWPT_ALLOC_DIRTY_TRACKING : 0) |
	       (flags & NESTIO_HWPT_PASID ? KABI_HWPT_ALLOC_PASID : 0);
}

NESTIO_EXPORT int nestio_hwpt_new_paging(struct nestio_device *dev,
					 struct nestio_ioas *ioas,
					 const struct nestio_hwpt_paging_opts *opts,
					 struct nestio_hwpt **out)
{
	const unsigned int known = NESTIO_HWPT_NEST_PARENT |
				   NESTIO_HWPT_DIRTY_TRACKING |
				   NESTIO_HWPT_PASID;
	struct kabi_hwpt_alloc cmd = { .size = sizeof(cmd) };
	struct nestio_ctx *ctx = nestio_device_get_ctx(dev);
	struct nestio_hwpt *hwpt;
	unsigned int flags;
	uint32_t fault_id;
	int r;

	if (!ctx || !nio_ioas_ok(ioas) || nestio_ioas_get_ctx(ioas) != ctx ||
	    !out)
		return -EINVAL;
	r = NIO_OPTS_CHECK(opts, struct nestio_hwpt_paging_opts);
	if (r < 0)
		return r;
	flags = NIO_OPTS_GET(opts, flags, 0u);
	fault_id = NIO_OPTS_GET(opts, fault_id, 0u);
	if (flags & ~known)
		return -EINVAL;
	hwpt = calloc(1, sizeof(*hwpt));
	if (!hwpt)
		return -ENOMEM;
	cmd.flags = hwpt_flags_to_uapi(flags);
	if (fault_id) {
		cmd.flags |= KABI_HWPT_FAULT_ID_VALID;
		cmd.fault_id = fault_id;
	}
	cmd.dev_id = nestio_device_get_id(dev);
	cmd.pt_id = nestio_ioas_get_id(ioas);
	cmd.data_type = KABI_HWPT_DATA_NONE;
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_HWPT_ALLOC, &cmd);
	if (r < 0) {
		free(hwpt);
		return r;
	}
	hwpt->magic = NIO_MAGIC_HWPT;
	hwpt->refcount = 1;
	hwpt->ctx = nio_ctx_get(ctx);
	hwpt->id = cmd.out_hwpt_id;
	hwpt->flags = flags;
	hwpt->ioas = nestio_ioas_ref(ioas);
	dbg(ctx, "hwpt %u on ioas %u (flags %#x)", hwpt->id, cmd.pt_id, flags);
	*out = hwpt;
	return 0;
}

NESTIO_EXPORT struct nestio_hwpt *nestio_hwpt_ref(struct nestio_hwpt *hwpt)
{
	if (!nio_hwpt_ok(hwpt))
		return NULL;
	hwpt->refcount++;
	return hwpt;
}

NESTIO_EXPORT struct nestio_hwpt *nestio_hwpt_unref(struct nestio_hwpt *hwpt)
{
	if (!nio_hwpt_ok(hwpt) || --hwpt->refcount > 0)
		return NULL;
	nio_destroy_id(hwpt->ctx, hwpt->id);
	nestio_ioas_unref(hwpt->ioas);
	nestio_ctx_unref(hwpt->ctx);
	hwpt->magic = 0;
	free(hwpt);
	return NULL;
}

NESTIO_EXPORT uint32_t nestio_hwpt_get_id(const struct nestio_hwpt *hwpt)
{
	return nio_hwpt_ok(hwpt) ? hwpt->id : 0;
}

NESTIO_EXPORT unsigned int nestio_hwpt_get_flags(const struct nestio_hwpt *hwpt)
{
	return nio_hwpt_ok(hwpt) ? hwpt->flags : 0;
}

NESTIO_EXPORT struct nestio_ctx *nestio_hwpt_get_ctx(const struct nestio_hwpt *hwpt)
{
	return nio_hwpt_ok(hwpt) ? hwpt->ctx : NULL;
}

NESTIO_EXPORT struct nestio_ioas *nestio_hwpt_get_ioas(const struct nestio_hwpt *hwpt)
{
	return nio_hwpt_ok(hwpt) ? hwpt->ioas : NULL;
}
