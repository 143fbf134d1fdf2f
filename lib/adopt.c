// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Adopting kernel objects by id (live update): what the kernel can be asked
 * about an id before the library wraps it. The constructors are with their
 * objects (nestio_ioas_new_from_id() in lib/ioas.c, nestio_hwpt_new_from_id()
 * in lib/hwpt.c, nestio_viommu_new_from_id() in lib/viommu.c); the contract
 * is in nestio_adopt(3).
 *
 * iommufd has no "what kind is object N" call, but every command looks its
 * ids up by kind first and answers ENOENT for an id that is no object of
 * that kind. So one command per kind, with arguments it refuses right after
 * that look-up (or none at all), tells the kind and changes nothing:
 *  - IOAS: IOMMU_IOAS_IOVA_RANGES with room for no range (0, or EMSGSIZE);
 *  - paging hwpt (nest parent or not): IOMMU_HWPT_GET_DIRTY_BITMAP with
 *    page_size 0, which the kernel refuses (EINVAL) only after it found a
 *    paging hwpt, before it reads or clears a bit;
 *  - vIOMMU: IOMMU_HW_QUEUE_ALLOC of type UINT32_MAX, which no driver
 *    takes: EOPNOTSUPP once the vIOMMU is found (its driver has no queue
 *    of that type). A kernel without HW queues (ENOTTY) gets the weaker
 *    check below instead;
 *  - nested hwpt: IOMMU_HWPT_INVALIDATE with no entries looks the id up as
 *    any kind and sends an empty batch to a nested hwpt's or a vIOMMU's
 *    driver (which accepts it for its own data type, or has no user
 *    invalidation at all: EOPNOTSUPP), and refuses every other kind with
 *    EINVAL; so it is a nested hwpt when it is none of the above.
 */
#include "internal.h"
#include "kabi.h"

/* the kernel's answer to one probe, as "is of that kind" (1), "is not" (0)
 * or -errno when it cannot tell */
static int probe_ioas(struct nestio_ctx *ctx, uint32_t id)
{
	struct kabi_ioas_iova_ranges cmd = { .size = sizeof(cmd), .ioas_id = id };
	int r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_IOAS_IOVA_RANGES, &cmd);

	if (r == 0 || r == -EMSGSIZE)
		return 1;
	return r == -ENOENT ? 0 : r;
}

static int probe_paging(struct nestio_ctx *ctx, uint32_t id)
{
	struct kabi_hwpt_get_dirty_bitmap cmd = { .size = sizeof(cmd),
						  .hwpt_id = id };
	int r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);

	if (r == -ENOENT)
		return 0;
	if (r == -ENOTTY)
		return r;
	return 1;	/* EINVAL (page_size 0), EOVERFLOW, or anything after the look-up */
}

/* 1 or 0; -ENOTTY on a kernel without HW queues */
static int probe_viommu(struct nestio_ctx *ctx, uint32_t id)
{
	struct kabi_hw_queue_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = id,
		.type = UINT32_MAX,
		.length = nio_page_mask + 1,
	};
	int r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_HW_QUEUE_ALLOC, &cmd);

	if (r == 0) {
		/* a driver took the type after all: undo it, it is a vIOMMU */
		nio_destroy_id(ctx, cmd.out_hw_queue_id);
		return 1;
	}
	if (r == -ENOENT)
		return 0;
	return r == -ENOTTY ? r : 1;
}

/* 2: a nested hwpt or a vIOMMU whose driver takes an empty batch of
 * data_type (or has no user invalidation at all); 1: some object (EINVAL:
 * another kind, or a driver that refuses data_type); 0: no object */
static int probe_invalidate(struct nestio_ctx *ctx, uint32_t id,
			    uint32_t data_type)
{
	struct kabi_hwpt_invalidate cmd = { .size = sizeof(cmd), .hwpt_id = id,
					    .data_type = data_type };
	int r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_HWPT_INVALIDATE, &cmd);

	if (r == 0 || r == -EOPNOTSUPP)
		return 2;
	if (r == -EINVAL)
		return 1;
	return r == -ENOENT ? 0 : r;
}

static int check_kind(struct nestio_ctx *ctx, uint32_t id,
		      enum nio_adopt_kind kind, uint32_t data_type)
{
	int r;

	switch (kind) {
	case NIO_ADOPT_IOAS:
		return probe_ioas(ctx, id);
	case NIO_ADOPT_PAGING:
		return probe_paging(ctx, id);
	case NIO_ADOPT_NESTED:
		r = probe_paging(ctx, id);
		if (r != 0)
			return r < 0 ? r : 0;
		r = probe_viommu(ctx, id);
		if (r == 1)
			return 0;
		if (r < 0 && r != -ENOTTY)
			return r;
		r = probe_invalidate(ctx, id, data_type);
		return r < 0 ? r : r == 2;
	case NIO_ADOPT_VIOMMU:
		r = probe_viommu(ctx, id);
		if (r != -ENOTTY)
			return r;
		/* no HW queues (before Linux 6.17): only "an object that is
		 * no IOAS and no paging hwpt" can be checked */
		r = probe_paging(ctx, id);
		if (r == 0)
			r = probe_ioas(ctx, id);
		if (r != 0)
			return r < 0 ? r : 0;
		r = probe_invalidate(ctx, id, data_type);
		return r < 0 ? r : r > 0;
	}
	return -EINVAL;
}

static const char *const kind_name[] = {
	[NIO_ADOPT_IOAS] = "IOAS",
	[NIO_ADOPT_PAGING] = "paging hwpt",
	[NIO_ADOPT_NESTED] = "nested hwpt",
	[NIO_ADOPT_VIOMMU] = "vIOMMU",
};

int nio_adopt_check(struct nestio_ctx *ctx, uint32_t id, uint32_t magic,
		    enum nio_adopt_kind kind, uint32_t data_type)
{
	int r;

	if (nio_obj_registered(ctx, magic, id)) {
		/* two objects for one kernel object would destroy it twice */
		info(ctx, "adopt %u: this ctx already has an object for it", id);
		return -EEXIST;
	}
	r = check_kind(ctx, id, kind, data_type);
	if (r == 0) {
		info(ctx, "adopt %u: the kernel has no %s with this id", id,
		     kind_name[kind]);
		return -ENOENT;
	}
	if (r < 0)
		return r;
	dbg(ctx, "adopt %u: a %s", id, kind_name[kind]);
	return 0;
}
