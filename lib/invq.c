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
 * A flush sends each batch with nio_inv_submit() (lib/invalidate.c), the
 * send path the direct calls use too.
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
	struct nio_inv_target to;	/* the kernel's id and entry form */
	/* what it invalidates, pinned: exactly one is set */
	struct nestio_hwpt *hwpt;
	struct nestio_viommu *viommu;
	uint32_t capacity;
	unsigned int flags;		/* NESTIO_INVQ_* */

	pthread_mutex_t lock;		/* everything below */
	uint32_t n;			/* pending entries */
	uint8_t *ents;			/* capacity entries as pushed, in order */
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
	return q->ents + (size_t)i * q->to.entry_len;
}

static void invq_free_bufs(struct nestio_invq *q)
{
	free(q->ents);
	free(q->to.kbuf);
	free(q->scratch);
}

static int invq_new(struct nestio_ctx *ctx, unsigned int on, uint32_t target_id,
		    uint32_t type, const struct nestio_invq_opts *opts,
		    struct nestio_invq **qp)
{
	const struct invq_type *t = nio_invq_type_find(type, on);
	uint32_t raw_len = NIO_OPTS_GET(opts, raw_entry_len, 0u);
	struct nestio_invq *q;
	int r;

	if (!t)
		return -EINVAL;
	r = NIO_OPTS_CHECK(opts, struct nestio_invq_opts);
	if (r < 0)
		return r;
	/* a typed queue takes its type's entries, a raw one says how long */
	if (t->raw ? raw_len > INVQ_MAX_ENTRY : raw_len != 0)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	r = nio_inv_target_init(&q->to, on, target_id, type,
				NIO_OPTS_GET(opts, raw_type, 0u),
				t->raw ? raw_len : t->entry_len);
	q->flags = NIO_OPTS_GET(opts, flags, 0u);
	q->capacity = NIO_OPTS_GET(opts, capacity, 0u);
	if (!q->capacity)
		q->capacity = INVQ_DEFAULT_CAPACITY;
	if (r < 0 || q->flags & ~t->flags || q->capacity > INVQ_MAX_CAPACITY) {
		free(q);
		return -EINVAL;
	}
	q->to.check = NULL;	/* each entry is checked when it is pushed */
	q->ents = malloc((size_t)q->capacity * q->to.entry_len);
	if (t->to_kabi)
		q->to.kbuf = malloc((size_t)q->capacity * q->to.kabi_len);
	if (q->flags & NESTIO_INVQ_COALESCE && t->coalesce)
		q->scratch = malloc(((size_t)q->capacity + 1) * t->scratch);
	if (!q->ents || (t->to_kabi && !q->to.kbuf) ||
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
	q->st.sz = sizeof(q->st);
	dbg(ctx, "invq %p: %s on %s %u, capacity %u, flags %#x", (void *)q,
	    t->name, on == INVQ_ON_HWPT ? "hwpt" : "viommu", target_id,
	    q->capacity, q->flags);
	*qp = q;
	return 0;
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
	const struct invq_type *t = q->to.t;
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
			memmove(ent(q, out), ent(q, in), (size_t)kept * q->to.entry_len);
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

	const struct invq_type *t = q->to.t;

	if (!t->batch_class)
		return q->n - pos;
	while (end < q->n && t->batch_class(q->flags, ent(q, end)) ==
			     t->batch_class(q->flags, ent(q, pos)))
		end++;
	return end - pos;
}

/* ------------------------------------------------- the queue: flushing */

static void invq_drop(struct nestio_invq *q, uint32_t k)
{
	if (k < q->n)
		memmove(q->ents, ent(q, k), (size_t)(q->n - k) * q->to.entry_len);
	q->n -= k;
}

static int invq_flush_locked(struct nestio_invq *q,
			     struct nestio_invq_fail *fail)
{
	uint32_t pos = 0, done = 0, sent = 0;
	int r = 0;

	if (q->flags & NESTIO_INVQ_COALESCE && q->to.t->coalesce && q->n > 1)
		invq_coalesce(q);
	while (pos < q->n) {
		uint32_t num = invq_batch_len(q, pos);

		r = nio_inv_submit(q->obj.ctx, &q->to, ent(q, pos), num, &q->st,
				   &done);
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
			.entry_len = q->to.entry_len,
		};

		memcpy(f.entry, ent(q, pos), q->to.entry_len);
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

	if (!invq_ok(q) || (n && !entries) || len != q->to.entry_len ||
	    n > INT32_MAX)
		return -EINVAL;
	for (uint32_t i = 0; q->to.t->check && i < n; i++) {
		r = q->to.t->check(p + (size_t)i * len);
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

	if (!invq_ok(q) || q->to.t->type != NESTIO_INV_VTD_S1)
		return -EINVAL;
	return nestio_invq_push(q, &e, sizeof(e));
}

NESTIO_EXPORT int nestio_invq_push_smmuv3(struct nestio_invq *q, uint64_t cmd0,
					  uint64_t cmd1)
{
	struct nestio_inv_smmuv3 e = { .cmd = { cmd0, cmd1 } };

	if (!invq_ok(q) || q->to.t->type != NESTIO_INV_ARM_SMMUV3)
		return -EINVAL;
	return nestio_invq_push(q, &e, sizeof(e));
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
