// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The object header's one ref/unref pair: every refcounted object's public
 * ref and unref are these (the policy is in lib/internal.h), and the ctx's
 * registry of live objects by kernel id that the lookups read.
 */
#include <stdlib.h>

#include "internal.h"

void nio_obj_init(struct nio_obj *o, uint32_t magic, struct nestio_ctx *ctx,
		  uint32_t id)
{
	o->magic = magic;
	o->refcount = 1;
	o->ctx = ctx ? nio_obj_ref(&ctx->obj) : NULL;
	o->id = id;
}

void *nio_obj_ref(struct nio_obj *o)
{
	if (!o || nio_obj_refcount(o) <= 0)
		return NULL;
	__atomic_add_fetch(&o->refcount, 1, __ATOMIC_RELAXED);
	return o;
}

/* ---- the registry ---- */

static struct nio_obj **bucket(struct nestio_ctx *ctx, uint32_t id)
{
	return &ctx->reg[id % NIO_REG_BUCKETS];
}

void nio_obj_register(struct nio_obj *o)
{
	struct nestio_ctx *ctx = o->ctx;
	struct nio_obj **b = bucket(ctx, o->id);

	pthread_mutex_lock(&ctx->reg_lock);
	o->reg_next = *b;
	*b = o;
	o->flags |= NIO_OBJ_REGISTERED;
	pthread_mutex_unlock(&ctx->reg_lock);
}

static void unregister(struct nio_obj *o)
{
	struct nestio_ctx *ctx = o->ctx;
	struct nio_obj **p;

	pthread_mutex_lock(&ctx->reg_lock);
	for (p = bucket(ctx, o->id); *p; p = &(*p)->reg_next)
		if (*p == o) {
			*p = o->reg_next;
			break;
		}
	pthread_mutex_unlock(&ctx->reg_lock);
}

/* one more reference, unless the last unref has already begun */
static bool ref_if_live(struct nio_obj *o)
{
	int n = __atomic_load_n(&o->refcount, __ATOMIC_RELAXED);

	while (n > 0)
		if (__atomic_compare_exchange_n(&o->refcount, &n, n + 1, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

void *nio_obj_lookup(struct nestio_ctx *ctx, uint32_t magic, uint32_t id)
{
	struct nio_obj *o;

	pthread_mutex_lock(&ctx->reg_lock);
	for (o = *bucket(ctx, id); o; o = o->reg_next)
		if (o->magic == magic && o->id == id && ref_if_live(o))
			break;
	pthread_mutex_unlock(&ctx->reg_lock);
	return o;
}

bool nio_obj_registered(struct nestio_ctx *ctx, uint32_t magic, uint32_t id)
{
	struct nio_obj *o;

	pthread_mutex_lock(&ctx->reg_lock);
	for (o = *bucket(ctx, id); o; o = o->reg_next)
		if (o->magic == magic && o->id == id)
			break;
	pthread_mutex_unlock(&ctx->reg_lock);
	return o;
}

void *nio_obj_unref(struct nio_obj *o, void (*release)(void *obj))
{
	struct nestio_ctx *ctx;

	if (!o || nio_obj_refcount(o) <= 0 ||
	    __atomic_sub_fetch(&o->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return NULL;
	if (o->flags & NIO_OBJ_REGISTERED)
		unregister(o);
	release(o);
	ctx = o->ctx;
	o->magic = 0;
	free(o);
	nestio_ctx_unref(ctx);
	return NULL;
}
