// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestio_invq: the invalidation queue. Entries are copied in from any
 * thread; a flush sends them with as few IOMMU_HWPT_INVALIDATE calls as the
 * rules allow, keeps exactly what the kernel did not confirm, and never
 * trusts a count that cannot be right.
 *
 * Everything that differs between entry types (sizes, the kernel's data
 * type, validation, conversion, the coalescing rules and the batch rule)
 * lives in one table (lib/invq.h, lib/invq-rules.c); the queue only walks it.
 *
 * The direct calls (nestio_hwpt_invalidate, nestio_viommu_invalidate) send
 * a batch the caller holds at once: their common case is a short path of
 * its own, but every failure goes through the queue's (inv_failed), so they
 * follow the same rules on the kernel's count.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"
#include "invq.h"
#include "kabi.h"

#define INVQ_DEFAULT_CAPACITY	256u
#define INVQ_MAX_CAPACITY	4096u	/* well below the kernel's 1 << 19 */
#define INVQ_MAX_ENTRY		64u	/* sizeof(struct nestio_invq_fail.entry) */

struct nestio_invq {
	struct nio_obj obj;		/* first: magic, refcount, ctx (no id) */
	const struct invq_type *t;
	/* what it invalidates, pinned: exactly one is set */
	struct nestio_hwpt *hwpt;
	struct nestio_viommu *viommu;
	uint32_t target_id;		/* the hwpt's or the vIOMMU's id */
	uint32_t data_type;		/* the kernel's invalidation data type */
	uint32_t entry_len;		/* bytes of one entry as pushed */
	uint32_t kabi_len;		/* bytes of one entry as the kernel takes it */
	uint32_t capacity;
	unsigned int flags;		/* NESTIO_INVQ_* */

	pthread_mutex_t lock;		/* everything below */
	uint32_t n;			/* pending entries */
	uint8_t *ents;			/* capacity entries as pushed, in order */
	uint8_t *kbuf;			/* one batch in the kernel's form,
					 * if that is not how it is pushed */
	void *scratch;			/* the coalescer's working space */
	struct nestio_invq_stats st;
};

_Static_assert(sizeof(((struct nestio_invq_fail *)0)->entry) == INVQ_MAX_ENTRY,
	       "fail entry");

/* ----------------------------------------------------------------- queue */

static bool invq_ok(const struct nestio_invq *q)
{
	return nio_obj_of(q, NIO_MAGIC_INVQ);
}

static uint8_t *ent(const struct nestio_invq *q, uint32_t i)
{
	return q->ents + (size_t)i * q->entry_len;
}

static void invq_free_bufs(struct nestio_invq *q)
{
	free(q->ents);
	free(q->kbuf);
	free(q->scratch);
}

static int invq_new(struct nestio_ctx *ctx, unsigned int on, uint32_t target_id,
		    uint32_t type, const struct nestio_invq_opts *opts,
		    struct nestio_invq **qp)
{
	const struct invq_type *t = nio_invq_type_find(type, on);
	struct nestio_invq *q;
	uint32_t capacity;
	int r;

	if (!t)
		return -EINVAL;
	r = NIO_OPTS_CHECK(opts, struct nestio_invq_opts);
	if (r < 0)
		return r;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->t = t;
	q->flags = NIO_OPTS_GET(opts, flags, 0u);
	capacity = NIO_OPTS_GET(opts, capacity, 0u);
	q->capacity = capacity ? capacity : INVQ_DEFAULT_CAPACITY;
	if (t->raw) {
		if (!NIO_OPTS_HAS(opts, raw_entry_len))
			goto inval;
		q->data_type = opts->raw_type;
		q->entry_len = opts->raw_entry_len;
		q->kabi_len = opts->raw_entry_len;
		if (!q->entry_len || q->entry_len > INVQ_MAX_ENTRY)
			goto inval;
	} else {
		if (NIO_OPTS_GET(opts, raw_type, 0u) ||
		    NIO_OPTS_GET(opts, raw_entry_len, 0u))
			goto inval;
		q->data_type = t->data_type;
		q->entry_len = t->entry_len;
		q->kabi_len = t->kabi_len;
	}
	if (q->flags & ~t->flags || q->capacity > INVQ_MAX_CAPACITY)
		goto inval;
	q->ents = malloc((size_t)q->capacity * q->entry_len);
	if (t->to_kabi)
		q->kbuf = malloc((size_t)q->capacity * q->kabi_len);
	if (q->flags & NESTIO_INVQ_COALESCE && t->coalesce)
		q->scratch = malloc(((size_t)q->capacity + 1) * t->scratch);
	if (!q->ents || (t->to_kabi && !q->kbuf) ||
	    (q->flags & NESTIO_INVQ_COALESCE && t->coalesce && !q->scratch)) {
		invq_free_bufs(q);
		free(q);
		return -ENOMEM;
	}
	r = pthread_mutex_init(&q->lock, NULL);
	if (r) {
		invq_free_bufs(q);
		free(q);
		return -r;
	}
	nio_obj_init(&q->obj, NIO_MAGIC_INVQ, ctx, 0);
	q->target_id = target_id;
	q->st.sz = sizeof(q->st);
	dbg(ctx, "invq %p: %s on %s %u, capacity %u, flags %#x", (void *)q,
	    t->name, on == INVQ_ON_HWPT ? "hwpt" : "viommu", target_id,
	    q->capacity, q->flags);
	*qp = q;
	return 0;
inval:
	free(q);
	return -EINVAL;
}

NESTIO_EXPORT int nestio_invq_new(struct nestio_hwpt *nested, uint32_t type,
				  const struct nestio_invq_opts *opts,
				  struct nestio_invq **out)
{
	struct nestio_invq *q;
	int r;

	if (!nio_hwpt_ok(nested) || nestio_hwpt_is_nested(nested) != 1 || !out)
		return -EINVAL;
	r = invq_new(nestio_hwpt_get_ctx(nested), INVQ_ON_HWPT,
		     nestio_hwpt_get_id(nested), type, opts, &q);
	if (r < 0)
		return r;
	q->hwpt = nestio_hwpt_ref(nested);
	*out = q;
	return 0;
}

NESTIO_EXPORT int nestio_invq_new_viommu(struct nestio_viommu *viommu,
					 uint32_t type,
					 const struct nestio_invq_opts *opts,
					 struct nestio_invq **out)
{
	struct nestio_invq *q;
	int r;

	if (!nio_viommu_ok(viommu) || !out)
		return -EINVAL;
	r = invq_new(nestio_hwpt_get_ctx(nestio_viommu_get_parent(viommu)),
		     INVQ_ON_VIOMMU, nestio_viommu_get_id(viommu), type, opts, &q);
	if (r < 0)
		return r;
	q->viommu = nestio_viommu_ref(viommu);
	*out = q;
	return 0;
}

static void invq_release(void *obj)
{
	struct nestio_invq *q = obj;

	if (q->n)
		info(q->obj.ctx, "invq %p: dropping %u unflushed entries",
		     (void *)q, q->n);
	pthread_mutex_destroy(&q->lock);
	nestio_hwpt_unref(q->hwpt);
	nestio_viommu_unref(q->viommu);
	invq_free_bufs(q);
}

/* nestio_invq_ref(), nestio_invq_unref() */
NIO_DEFINE_REF_UNREF(invq, NIO_MAGIC_INVQ, invq_release)

/* Coalesces the pending entries in place, segment by segment. */
static void invq_coalesce(struct nestio_invq *q)
{
	const struct invq_type *t = q->t;
	uint32_t in = 0, out = 0;

	while (in < q->n) {
		uint32_t end = in, kept;

		while (end < q->n && !(t->barrier && t->barrier(ent(q, end))))
			end++;
		if (end == in) {	/* a barrier stays as it is */
			end++;
			kept = 1;
		} else {
			kept = t->coalesce(q->scratch, ent(q, in), end - in);
		}
		if (out != in)
			memmove(ent(q, out), ent(q, in), (size_t)kept * q->entry_len);
		out += kept;
		in = end;
	}
	if (out != q->n)
		dbg(q->obj.ctx, "invq %p: coalesced %u entries into %u", (void *)q,
		    q->n, out);
	q->st.merged += q->n - out;
	q->n = out;
}

/* How many entries from pos go in one ioctl. */
static uint32_t invq_batch_len(const struct nestio_invq *q, uint32_t pos)
{
	uint32_t end = pos + 1;

	if (!q->t->batch_class)
		return q->n - pos;
	while (end < q->n && q->t->batch_class(q->flags, ent(q, end)) ==
			     q->t->batch_class(q->flags, ent(q, pos)))
		end++;
	return end - pos;
}

/* ------------------------------------------------------------- sending */

/* *c: an IOMMU_HWPT_INVALIDATE command for num entries of entry_len
 * bytes at entries, of the kernel's data_type, for the hwpt or vIOMMU id */
static inline void inv_cmd(struct kabi_hwpt_invalidate *c, uint32_t id,
			   const void *entries, uint32_t data_type,
			   uint32_t entry_len, uint32_t num)
{
	*c = (struct kabi_hwpt_invalidate){
		.size = sizeof(*c),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)entries,
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = num,
	};
}

/*
 * One IOMMU_HWPT_INVALIDATE through the chokepoint. The kernel writes the
 * count back on every return, errors included, so an interrupted call is
 * made again with the count put back: the chokepoint's own EINTR retry
 * would send whatever count the kernel left.
 */
static inline int inv_ioctl(struct nestio_ctx *ctx,
			    struct kabi_hwpt_invalidate *cmd)
{
	uint32_t num = cmd->entry_num;
	int r;

	for (;;) {
		if (nio_ioctl_fast(ctx))
			r = nio_sys_ioctl(ctx->fd, KABI_IOMMU_HWPT_INVALIDATE, cmd);
		else
			r = nio_ioctl_once(ctx, ctx->fd,
					   KABI_IOMMU_HWPT_INVALIDATE, cmd);
		if (__builtin_expect(r != -EINTR, 1))
			return r;
		cmd->entry_num = num;
	}
}

/*
 * The one place every invalidation is sent from, the queue's flushes and
 * the direct calls alike, so both follow the same rules on what the
 * kernel's count is worth. A call is its struct kabi_hwpt_invalidate (the
 * kernel writes back entry_num and nothing else), the ctx, and what the
 * target is (INVQ_ON_*). st (NULL: none) counts the calls and failures.
 *
 * inv_failed(): cmd, sent with num entries, failed (r < 0) or came back
 * with a count other than num (r >= 0): how many are done, as far as that
 * can be trusted. A count that is all of them (or more) on an error, or not all
 * of them on a success, is not (0; a success with a wrong count is the
 * kernel's bug: -EIO, logged). A driver that overstates its count
 * (count_overstates in lib/invq-rules.c) gets entries [0, k) again in a
 * call of their own before they are taken as done, when entry k was
 * refused (-EIO: the driver would not convert it, so nothing waited on the
 * hardware); a re-send refused at j makes j the failed entry and the same
 * rule applies to it (each round sends fewer entries, and none of them
 * waits on the hardware, so this ends soon). Any other error from such a
 * driver (a command queue that timed out, say) confirms nothing: 0 done,
 * and no re-send that could wait on a wedged queue again.
 */
static int __attribute__((noinline, cold))
inv_failed(struct nestio_ctx *ctx, unsigned int on,
	   struct kabi_hwpt_invalidate *cmd, uint32_t num, int r,
	   uint32_t *done, struct nestio_invq_stats *st)
{
	for (;;) {
		uint32_t count = cmd->entry_num, k;
		int r2;

		if (st)
			st->failures++;
		if (r >= 0) {
			err(ctx, "invalidate %u: the kernel succeeded but handled %u of %u entries; none taken as done",
			    cmd->hwpt_id, count, num);
			*done = 0;
			return -EIO;
		}
		k = count < num ? count : 0;
		dbg(ctx, "invalidate %u: entry %u of %u failed: %s",
		    cmd->hwpt_id, k, num, strerror(-r));
		if (!k || !nio_invq_count_overstated(on, cmd->data_type)) {
			*done = k;
			return r;
		}
		if (r != -EIO) {
			*done = 0;
			return r;
		}
		/* [0, k) again, on their own */
		cmd->entry_num = k;
		r2 = inv_ioctl(ctx, cmd);

		if (st)
			st->ioctls++;
		dbg(ctx, "invalidate %u: re-sending the %u entries before it: %s",
		    cmd->hwpt_id, k, r2 < 0 ? strerror(-r2) : "done");
		if (r2 >= 0 && cmd->entry_num == k) {
			*done = k;	/* done; entry k failed with r */
			return r;
		}
		r = r2;
		num = k;
	}
}

/*
 * Sends cmd (its entry_num entries, in the kernel's layout): 0 with *done
 * = all of them, or -errno with *done = the entries done, entry *done
 * being the failed one.
 */
static inline int inv_send(struct nestio_ctx *ctx, unsigned int on,
			   struct kabi_hwpt_invalidate *cmd, uint32_t *done,
			   struct nestio_invq_stats *st)
{
	uint32_t num = cmd->entry_num;
	int r = inv_ioctl(ctx, cmd);

	if (st)
		st->ioctls++;
	if (__builtin_expect(r >= 0 && cmd->entry_num == num, 1)) {
		*done = num;
		return 0;
	}
	return inv_failed(ctx, on, cmd, num, r, done, st);
}

/* ------------------------------------------------- the queue: flushing */

/* One batch of the queue: num entries from pos. */
static int invq_send(struct nestio_invq *q, uint32_t pos, uint32_t num,
		     uint32_t *done)
{
	struct kabi_hwpt_invalidate cmd;

	inv_cmd(&cmd, q->target_id, ent(q, pos), q->data_type, q->kabi_len, num);
	if (q->t->to_kabi) {
		for (uint32_t i = 0; i < num; i++)
			q->t->to_kabi(q->kbuf + (size_t)i * q->kabi_len,
				      ent(q, pos + i), q->entry_len);
		cmd.data_uptr = (uintptr_t)q->kbuf;
	}
	return inv_send(q->obj.ctx, q->hwpt ? INVQ_ON_HWPT : INVQ_ON_VIOMMU, &cmd,
			done, &q->st);
}

static void invq_drop(struct nestio_invq *q, uint32_t k)
{
	if (k < q->n)
		memmove(q->ents, ent(q, k), (size_t)(q->n - k) * q->entry_len);
	q->n -= k;
}

static int invq_flush_locked(struct nestio_invq *q,
			     struct nestio_invq_fail *fail)
{
	uint32_t pos = 0, done = 0, sent = 0;
	int r = 0;

	if (q->flags & NESTIO_INVQ_COALESCE && q->t->coalesce && q->n > 1)
		invq_coalesce(q);
	while (pos < q->n) {
		uint32_t num = invq_batch_len(q, pos);

		r = invq_send(q, pos, num, &done);
		sent += done;
		pos += done;
		if (r < 0)
			break;
	}
	if (r < 0 && fail) {
		struct nestio_invq_fail f = {
			.sz = sizeof(f),
			.error = r,
			.index = done,
			.entry_len = q->entry_len,
		};

		memcpy(f.entry, ent(q, pos), q->entry_len);
		memcpy((char *)fail + sizeof(size_t), (char *)&f + sizeof(size_t),
		       (fail->sz < sizeof(f) ? fail->sz : sizeof(f)) - sizeof(size_t));
	}
	invq_drop(q, pos);
	q->st.sent += sent;
	return r < 0 ? r : (int)sent;
}

NESTIO_EXPORT int nestio_invq_flush(struct nestio_invq *q,
				    struct nestio_invq_fail *fail)
{
	int r;

	if (!invq_ok(q))
		return -EINVAL;
	r = NIO_OPTS_CHECK(fail, struct nestio_invq_fail);
	if (r < 0)
		return r;
	pthread_mutex_lock(&q->lock);
	r = invq_flush_locked(q, fail);
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* -------------------------------------------------- the queue: pushing */

/*
 * Validate all n first (nothing is queued if one is bad), then copy in
 * under one lock, flushing whenever the queue is full. Like write(2): the
 * number queued, short if a flush failed after some were queued; the flush's
 * -errno if none were.
 */
NESTIO_EXPORT int nestio_invq_push_many(struct nestio_invq *q,
					const void *entries, size_t len,
					uint32_t n)
{
	const uint8_t *p = entries;
	uint32_t done = 0;
	int r = 0;

	if (!invq_ok(q) || (n && !entries) || len != q->entry_len ||
	    n > INT32_MAX)
		return -EINVAL;
	for (uint32_t i = 0; q->t->check && i < n; i++) {
		r = q->t->check(p + (size_t)i * len);
		if (r < 0)
			return r;
	}
	pthread_mutex_lock(&q->lock);
	while (done < n) {
		uint32_t k = q->capacity - q->n;

		if (!k) {
			r = invq_flush_locked(q, NULL);
			if (r < 0)
				break;
			continue;
		}
		if (k > n - done)
			k = n - done;
		memcpy(ent(q, q->n), p + (size_t)done * len, (size_t)k * len);
		q->n += k;
		q->st.pushed += k;
		done += k;
	}
	pthread_mutex_unlock(&q->lock);
	return done || r >= 0 ? (int)done : r;
}

NESTIO_EXPORT int nestio_invq_push(struct nestio_invq *q, const void *entry,
				   size_t len)
{
	int r = nestio_invq_push_many(q, entry, len, 1);

	return r < 0 ? r : 0;
}

NESTIO_EXPORT int nestio_invq_push_vtd(struct nestio_invq *q, uint64_t addr,
				       uint64_t npages, uint32_t flags)
{
	struct nestio_inv_vtd e = { .addr = addr, .npages = npages, .flags = flags };

	if (!invq_ok(q) || q->t->type != NESTIO_INV_VTD_S1)
		return -EINVAL;
	return nestio_invq_push(q, &e, sizeof(e));
}

NESTIO_EXPORT int nestio_invq_push_smmuv3(struct nestio_invq *q, uint64_t cmd0,
					  uint64_t cmd1)
{
	struct nestio_inv_smmuv3 e = { .cmd = { cmd0, cmd1 } };

	if (!invq_ok(q) || q->t->type != NESTIO_INV_ARM_SMMUV3)
		return -EINVAL;
	return nestio_invq_push(q, &e, sizeof(e));
}

/* ------------------------------------------------------ the direct calls */

/*
 * A direct call of a type whose entries are checked (VT-d) or converted to
 * the kernel's layout (SMMUv3 on a big-endian host), once it is known that
 * entry k is malformed (k < num) or that there is something to convert.
 * A malformed entry k is a failure at k: entries [0, k) are sent first, as
 * if the kernel had been the one to reject entry k, so the caller has one
 * rule for both.
 */
static int __attribute__((noinline, cold))
inv_direct_rare(struct nestio_ctx *ctx, unsigned int on,
		const struct invq_type *t, struct kabi_hwpt_invalidate *cmd,
		uint32_t k, uint32_t *n)
{
	const uint8_t *entries = (const uint8_t *)(uintptr_t)cmd->data_uptr;
	uint32_t num = cmd->entry_num, done = 0;
	uint8_t *kbuf = NULL;
	int r = 0;

	if (k && t->to_kabi) {
		kbuf = malloc((size_t)k * t->kabi_len);
		if (!kbuf) {
			*n = 0;		/* nothing sent */
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < k; i++)
			t->to_kabi(kbuf + (size_t)i * t->kabi_len,
				   entries + (size_t)i * t->entry_len, t->entry_len);
		cmd->data_uptr = (uintptr_t)kbuf;
	}
	cmd->entry_num = k;
	if (k)
		r = inv_send(ctx, on, cmd, &done, NULL);
	free(kbuf);
	if (r == 0 && k < num) {
		dbg(ctx, "invalidate %u: entry %u of %u is malformed",
		    cmd->hwpt_id, k, num);
		r = -EINVAL;
	}
	*n = done;
	return r;
}

/* how many of the num entries at e pass the type's check, from the first
 * (all of them if it has none) */
static inline uint32_t inv_checked(const struct invq_type *t, const void *e,
				   uint32_t num)
{
	uint32_t k = 0;

	if (!t->check)
		return num;
	while (k < num &&
	       t->check((const uint8_t *)e + (size_t)k * t->entry_len) == 0)
		k++;
	return k;
}

/* A direct call's command and what a failure needs, in one frame. */
struct inv_direct {
	struct kabi_hwpt_invalidate cmd;
	struct nestio_ctx *ctx;
	uint32_t *n;
	unsigned int on;
};

/*
 * d->cmd, of *d->n entries, through the chokepoint in full (tried: the
 * inline system call was made and gave r; it is made again, with the
 * count put back, only if it was interrupted), and what the answer means
 * (inv_failed) if it is not all of them done.
 */
static int __attribute__((noinline, cold))
inv_direct_slow(struct inv_direct *d, bool tried, int r)
{
	if (!tried || r == -EINTR) {
		d->cmd.entry_num = *d->n;
		r = inv_ioctl(d->ctx, &d->cmd);
	}
	if (r >= 0 && d->cmd.entry_num == *d->n)
		return 0;
	return inv_failed(d->ctx, d->on, &d->cmd, *d->n, r, d->n, NULL);
}

/*
 * num (> 0) entries at entries, checked, sent as they are in one command.
 * In the common case (no hook, no debug logging) that is the system call
 * itself: an instruction, not a call (nio_sys_ioctl), so nothing is kept
 * in a register a call could clobber. Anything else, a failure included,
 * goes to inv_direct_slow().
 */
static inline __attribute__((always_inline)) int
inv_direct_send(const struct nio_obj *o, unsigned int on, uint32_t data_type,
		uint32_t kabi_len, const void *entries, uint32_t num,
		uint32_t *n)
{
	struct inv_direct d;
	bool tried = false;
	int r = 0;

	inv_cmd(&d.cmd, o->id, entries, data_type, kabi_len, num);
	if (__builtin_expect(nio_ioctl_fast(o->ctx), 1)) {
		r = nio_sys_ioctl(o->ctx->fd, KABI_IOMMU_HWPT_INVALIDATE, &d.cmd);
		if (__builtin_expect(r >= 0 && d.cmd.entry_num == num, 1))
			return 0;
		tried = true;
	}
	d.ctx = o->ctx;
	d.n = n;
	d.on = on;
	return inv_direct_slow(&d, tried, r);
}

/* A direct call of a type in the table, o, entries and n checked: its
 * entries checked if the type says so, then sent as they are, or converted
 * first (and a malformed one handled) by inv_direct_rare(). */
static int __attribute__((noinline))
inv_direct_type(const struct nio_obj *o, unsigned int on, uint32_t type,
		uint32_t raw_type, const void *entries, size_t entry_len,
		uint32_t *n)
{
	const struct invq_type *t = nio_invq_type_find(type, on);
	struct kabi_hwpt_invalidate cmd;
	uint32_t num, k;

	if (!t || raw_type || entry_len != t->entry_len)
		return -EINVAL;
	num = *n;
	if (!num)
		return 0;	/* nothing to send */
	k = inv_checked(t, entries, num);
	if (__builtin_expect(k == num && !t->to_kabi, 1))
		return inv_direct_send(o, on, t->data_type, t->kabi_len,
				       entries, num, n);
	inv_cmd(&cmd, o->id, entries, t->data_type, t->kabi_len, num);
	return inv_direct_rare(o->ctx, on, t, &cmd, k, n);
}

/*
 * The direct calls: p must be an object with this magic and these
 * NIO_OBJ_* flags, on says what it is (INVQ_ON_*). Inlined into each, and
 * with it the common case of a raw batch: checks grouped so that each
 * group is one branch (under TCG each branch ends a translation block and
 * each call and return is a look-up: branches and calls are what a
 * wrapper costs most), then inv_direct_send(). A typed batch is a call to
 * inv_direct_type().
 */
static inline __attribute__((always_inline)) int
inv_direct(const void *p, uint32_t magic, uint32_t flags, unsigned int on,
	   uint32_t type, uint32_t raw_type, const void *entries,
	   size_t entry_len, uint32_t *n)
{
	const struct nio_obj *o = p;
	uint32_t num;
	bool bad_len;

	if (__builtin_expect((o == NULL) | (entries == NULL) | (n == NULL), 0))
		return -EINVAL;
	if (__builtin_expect(o->magic != magic ||
			     (o->flags & flags) != flags, 0))
		return -EINVAL;
	if (type != NESTIO_INV_RAW)
		return inv_direct_type(o, on, type, raw_type, entries,
				       entry_len, n);
	/* the caller's bytes as they are: 1 to UINT32_MAX each; none to
	 * send is done */
	num = *n;
	bad_len = entry_len - 1 >= UINT32_MAX;
	if (__builtin_expect(bad_len | (num == 0), 0))
		return bad_len ? -EINVAL : 0;
	return inv_direct_send(o, on, raw_type, (uint32_t)entry_len, entries,
			       num, n);
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

/* ------------------------------------------------- the queue: the rest */

NESTIO_EXPORT int nestio_invq_discard(struct nestio_invq *q, uint32_t n)
{
	uint32_t k;

	if (!invq_ok(q))
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	k = n < q->n ? n : q->n;
	invq_drop(q, k);
	pthread_mutex_unlock(&q->lock);
	return (int)k;
}

NESTIO_EXPORT int nestio_invq_pending(struct nestio_invq *q)
{
	int n;

	if (!invq_ok(q))
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	n = (int)q->n;
	pthread_mutex_unlock(&q->lock);
	return n;
}

NESTIO_EXPORT int nestio_invq_get_stats(struct nestio_invq *q,
					struct nestio_invq_stats *st)
{
	struct nestio_invq_stats s;
	int r;

	if (!invq_ok(q) || !st)
		return -EINVAL;
	r = NIO_OPTS_CHECK(st, struct nestio_invq_stats);
	if (r < 0)
		return r;
	pthread_mutex_lock(&q->lock);
	s = q->st;
	pthread_mutex_unlock(&q->lock);
	memcpy((char *)st + sizeof(size_t), (char *)&s + sizeof(size_t),
	       (st->sz < sizeof(s) ? st->sz : sizeof(s)) - sizeof(size_t));
	return 0;
}
