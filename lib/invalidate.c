// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Invalidations to the kernel: the one send path, nio_inv_submit(), used by
 * the queue's flush (lib/invq.c) and by the direct calls below, which send
 * a batch the caller holds at once. Both follow the same rules on what the
 * kernel's count is worth.
 */
#include <stdlib.h>

#include "internal.h"
#include "invq.h"
#include "kabi.h"

int nio_inv_target_init(struct nio_inv_target *to, unsigned int on,
			uint32_t id, uint32_t type, uint32_t raw_type,
			size_t entry_len)
{
	const struct invq_type *t = nio_invq_type_find(type, on);

	if (!t)
		return -EINVAL;
	*to = (struct nio_inv_target){ .t = t, .on = on, .id = id,
				       .check = t->check };
	if (t->raw) {
		if (!entry_len || entry_len > UINT32_MAX)
			return -EINVAL;
		to->data_type = raw_type;
		to->entry_len = (uint32_t)entry_len;
		to->kabi_len = (uint32_t)entry_len;
	} else {
		if (raw_type || entry_len != t->entry_len)
			return -EINVAL;
		to->data_type = t->data_type;
		to->entry_len = t->entry_len;
		to->kabi_len = t->kabi_len;
	}
	return 0;
}

/*
 * num entries in the kernel's layout, in one call, and what the kernel's
 * count is worth. The kernel writes back how many it handled. A count that
 * is all of them (or more) on an error, or not all of them on a success,
 * cannot be right: nothing is taken as done (a success with a wrong count
 * is the kernel's bug: -EIO, logged). A driver that overstates its count
 * (count_overstates in lib/invq-rules.c) gets entries [0, k) again in a
 * call of their own before they are taken as done, when entry k was refused
 * with -EIO (the driver would not convert it, so nothing waited on the
 * hardware); a re-send refused at j makes j the failed entry by the same
 * rule, and each round sends fewer entries. Any other error from such a
 * driver (a command queue that timed out, say) confirms nothing: 0 done,
 * and no re-send that could wait on a wedged queue again.
 */
static int inv_send(struct nestio_ctx *ctx, const struct nio_inv_target *to,
		    const void *entries, uint32_t num,
		    struct nestio_invq_stats *st, uint32_t *done)
{
	struct kabi_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = to->id,
		.data_uptr = (uintptr_t)entries,
		.data_type = to->data_type,
		.entry_len = to->kabi_len,
		.entry_num = num,
	};
	int failed = 0;		/* the error of the entry after a re-sent prefix */

	for (;;) {
		int r = nio_ioctl_count(ctx, ctx->fd, KABI_IOMMU_HWPT_INVALIDATE,
					&cmd, &cmd.entry_num);
		uint32_t k;

		if (st)
			st->ioctls++;
		if (r >= 0 && cmd.entry_num == num) {
			*done = num;
			return failed;
		}
		if (st)
			st->failures++;
		if (r >= 0) {
			err(ctx, "invalidate %u: the kernel succeeded but handled %u of %u entries; none taken as done",
			    to->id, cmd.entry_num, num);
			return -EIO;
		}
		k = cmd.entry_num < num ? cmd.entry_num : 0;
		dbg(ctx, "invalidate %u: entry %u of %u failed: %s", to->id, k,
		    num, strerror(-r));
		if (!k || !nio_invq_count_overstated(to->on, to->data_type)) {
			*done = k;
			return r;
		}
		if (r != -EIO)
			return r;
		dbg(ctx, "invalidate %u: re-sending the %u entries before it",
		    to->id, k);
		failed = r;
		num = k;
		cmd.entry_num = k;
	}
}

int nio_inv_submit(struct nestio_ctx *ctx, const struct nio_inv_target *to,
		   const void *entries, uint32_t num,
		   struct nestio_invq_stats *st, uint32_t *done)
{
	const struct invq_type *t = to->t;
	const uint8_t *e = entries;
	uint32_t k = num;
	int r = 0;

	if (to->check)
		for (k = 0; k < num; k++)
			if (to->check(e + (size_t)k * to->entry_len) < 0)
				break;
	if (t->to_kabi) {
		for (uint32_t i = 0; i < k; i++)
			t->to_kabi((uint8_t *)to->kbuf + (size_t)i * to->kabi_len,
				   e + (size_t)i * to->entry_len, to->entry_len);
		e = to->kbuf;
	}
	*done = 0;
	if (k)
		r = inv_send(ctx, to, e, k, st, done);
	if (r == 0 && k < num) {
		dbg(ctx, "invalidate %u: entry %u of %u is malformed", to->id, k,
		    num);
		r = -EINVAL;
	}
	return r;
}

/* A direct call on o (an object with this magic and these NIO_OBJ_*
 * flags), what on says: arguments checked, nothing sent for no entries. */
static int inv_direct(const void *p, uint32_t magic, uint32_t flags,
		      unsigned int on, uint32_t type, uint32_t raw_type,
		      const void *entries, size_t entry_len, uint32_t *n)
{
	const struct nio_obj *o = nio_obj_of(p, magic);
	struct nio_inv_target to;
	int r;

	if (!o || (o->flags & flags) != flags || !entries || !n)
		return -EINVAL;
	r = nio_inv_target_init(&to, on, o->id, type, raw_type, entry_len);
	if (r < 0 || !*n)
		return r;
	if (to.t->to_kabi) {
		to.kbuf = malloc((size_t)*n * to.kabi_len);
		if (!to.kbuf)
			return -ENOMEM;
	}
	r = nio_inv_submit(o->ctx, &to, entries, *n, NULL, n);
	free(to.kbuf);
	return r;
}

NESTIO_EXPORT int nestio_hwpt_invalidate(struct nestio_hwpt *nested,
					 uint32_t type, uint32_t raw_type,
					 const void *entries, size_t entry_len,
					 uint32_t *n)
{
	return inv_direct(nested, NIO_MAGIC_HWPT, NIO_OBJ_NESTED, INVQ_ON_HWPT,
			  type, raw_type, entries, entry_len, n);
}

NESTIO_EXPORT int nestio_viommu_invalidate(struct nestio_viommu *viommu,
					   uint32_t type, uint32_t raw_type,
					   const void *entries, size_t entry_len,
					   uint32_t *n)
{
	return inv_direct(viommu, NIO_MAGIC_VIOMMU, 0, INVQ_ON_VIOMMU, type,
			  raw_type, entries, entry_len, n);
}
