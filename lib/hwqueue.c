// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestio_hw_queue: a guest queue (for example a Tegra241 CMDQV virtual
 * command queue) that the IOMMU reads directly from guest memory, on a
 * vIOMMU. The kernel pins the queue's memory in the nest parent's IOAS
 * while the queue lives.
 *
 * Destroy order. The drivers that implement HW queues (tegra241-cmdqv and
 * the IOMMUFD_TEST mock) take them in index order on one vIOMMU and make
 * queue i depend on queue i - 1 (iommufd_hw_queue_depend): destroying i - 1
 * first is -EBUSY. So a queue also pins the library's queue at index - 1 on
 * the same vIOMMU, when there is one, and no unref order can hit EBUSY. To
 * find it, the live queues are kept on a list here, under a lock since
 * queues of different contexts may be made on different threads.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"
#include "kabi.h"

/* file-local: nothing outside this file looks at a HW queue's head */

struct nestio_hw_queue {
	struct nio_obj obj;	/* first: magic, refcount, ctx, id */
	uint32_t type;
	uint32_t index;
	struct nestio_viommu *viommu;	/* pinned */
	struct nestio_hw_queue *prev;	/* index - 1 on viommu, pinned, or NULL */
	struct nestio_hw_queue *next_live;
};

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nestio_hw_queue *live;

static bool hw_queue_ok(const struct nestio_hw_queue *hq)
{
	return nio_obj_of(hq, NIO_MAGIC_HW_QUEUE);
}

/* Registers hq and returns the live queue at hq's index - 1 on its
 * vIOMMU, if any (not yet pinned). */
static struct nestio_hw_queue *live_add(struct nestio_hw_queue *hq)
{
	struct nestio_hw_queue *p, *prev = NULL;

	pthread_mutex_lock(&live_lock);
	for (p = live; p && hq->index; p = p->next_live)
		if (p->viommu == hq->viommu && p->index == hq->index - 1) {
			prev = p;
			break;
		}
	hq->next_live = live;
	live = hq;
	pthread_mutex_unlock(&live_lock);
	return prev;
}

static void live_del(struct nestio_hw_queue *hq)
{
	struct nestio_hw_queue **pp;

	pthread_mutex_lock(&live_lock);
	for (pp = &live; *pp; pp = &(*pp)->next_live)
		if (*pp == hq) {
			*pp = hq->next_live;
			break;
		}
	pthread_mutex_unlock(&live_lock);
}

NESTIO_EXPORT int nestio_hw_queue_new(struct nestio_viommu *viommu, uint32_t type,
				      uint32_t index, uint64_t base_iova,
				      uint64_t length, struct nestio_hw_queue **out)
{
	struct kabi_hw_queue_alloc cmd = { .size = sizeof(cmd) };
	struct nestio_hw_queue *hq, *prev;
	struct nestio_ctx *ctx;
	int r;

	/*
	 * The kernel's own rules: a length, and a range that does not wrap.
	 * It pins the pages under [base_iova, base_iova + length) whatever
	 * their alignment; a driver may ask more (tegra241: a power-of-two
	 * length of at least 32, base aligned to it) and answers for itself.
	 * Type 0 (the kernel's DEFAULT) is passed through: today's kernel
	 * refuses it with EOPNOTSUPP, a later one may define it.
	 */
	if (!nio_viommu_ok(viommu) || !out || !length ||
	    base_iova + (length - 1) < base_iova)
		return -EINVAL;
	ctx = nio_obj_ctx(viommu);
	hq = calloc(1, sizeof(*hq));
	if (!hq)
		return -ENOMEM;
	cmd.viommu_id = nestio_viommu_get_id(viommu);
	cmd.type = type;
	cmd.index = index;
	cmd.nesting_parent_iova = base_iova;
	cmd.length = length;
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_HW_QUEUE_ALLOC, &cmd);
	if (r < 0) {
		free(hq);
		return r;
	}
	nio_obj_init(&hq->obj, NIO_MAGIC_HW_QUEUE, ctx, cmd.out_hw_queue_id);
	hq->type = type;
	hq->index = index;
	hq->viommu = nestio_viommu_ref(viommu);
	prev = live_add(hq);
	hq->prev = nestio_hw_queue_ref(prev);
	dbg(ctx, "hw queue %u: type %#x index %u at %#llx+%#llx on viommu %u%s",
	    hq->obj.id, type, index, (unsigned long long)base_iova,
	    (unsigned long long)length, cmd.viommu_id,
	    prev ? " (pins the previous)" : "");
	*out = hq;
	return 0;
}

static void hw_queue_release(void *obj)
{
	struct nestio_hw_queue *hq = obj;

	live_del(hq);
	nio_destroy_id(hq->obj.ctx, hq->obj.id);
	nestio_hw_queue_unref(hq->prev);
	nestio_viommu_unref(hq->viommu);
}

/* nestio_hw_queue_ref(), nestio_hw_queue_unref() */
NIO_DEFINE_REF_UNREF(hw_queue, NIO_MAGIC_HW_QUEUE, hw_queue_release)

NESTIO_EXPORT uint32_t nestio_hw_queue_get_id(const struct nestio_hw_queue *hq)
{
	return hw_queue_ok(hq) ? hq->obj.id : 0;
}
