// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Dispatch: the VMM owns the loop. Every pollable object (vEVENTQ, fault
 * queue, hotplug monitor) registers its fd with its ctx and a function that
 * drains it into the handler the VMM set; when the VMM's poll says an fd is
 * readable it calls nestio_ctx_dispatch(ctx, fd). No thread, no loop here.
 */
#include <stdlib.h>

#include "internal.h"

struct nio_source {
	int fd;
	void *obj;
	int (*drain)(void *obj);
};

int nio_dispatch_add(struct nestio_ctx *ctx, int fd, void *obj,
		     int (*drain)(void *obj))
{
	struct nio_source *s;

	s = realloc(ctx->sources, (ctx->nsources + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	ctx->sources = s;
	s[ctx->nsources++] = (struct nio_source){ fd, obj, drain };
	return 0;
}

void nio_dispatch_del(struct nestio_ctx *ctx, int fd)
{
	for (size_t i = 0; i < ctx->nsources; i++)
		if (ctx->sources[i].fd == fd) {
			ctx->sources[i] = ctx->sources[--ctx->nsources];
			return;
		}
}

/* Drains fd's object into its handler: the number of events handled. */
NESTIO_EXPORT int nestio_ctx_dispatch(struct nestio_ctx *ctx, int fd)
{
	if (!nio_ctx_ok(ctx) || fd < 0)
		return -EINVAL;
	for (size_t i = 0; i < ctx->nsources; i++)
		if (ctx->sources[i].fd == fd)
			return ctx->sources[i].drain(ctx->sources[i].obj);
	return -ENOENT;
}

/*
 * Objects that are built on a kernel object by id alone (an hwpt on a fault
 * queue's fault_id) find the library object behind it here, to pin it.
 */
void *nio_dispatch_find(struct nestio_ctx *ctx, uint32_t magic, uint32_t id)
{
	for (size_t i = 0; i < ctx->nsources; i++) {
		const struct nio_obj *o = nio_obj_of(ctx->sources[i].obj, magic);

		if (o && nio_obj_id(o) == id)
			return ctx->sources[i].obj;
	}
	return NULL;
}
