// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The object header's one ref/unref pair: every refcounted object's public
 * ref and unref are these (the policy is in lib/internal.h).
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

void *nio_obj_unref(struct nio_obj *o, void (*release)(void *obj))
{
	struct nestio_ctx *ctx;

	if (!o || nio_obj_refcount(o) <= 0 ||
	    __atomic_sub_fetch(&o->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return NULL;
	release(o);
	ctx = o->ctx;
	o->magic = 0;
	free(o);
	nestio_ctx_unref(ctx);
	return NULL;
}
