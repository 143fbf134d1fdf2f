// SPDX-License-Identifier: LGPL-2.1-or-later
/* STUB: being written. */
#include "internal.h"

NESTIO_EXPORT int nestio_fault_new(struct nestio_ctx *ctx, struct nestio_fault **out)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT struct nestio_fault *nestio_fault_ref(struct nestio_fault *f)
{
	return NULL;
}

NESTIO_EXPORT struct nestio_fault *nestio_fault_unref(struct nestio_fault *f)
{
	return NULL;
}

NESTIO_EXPORT int nestio_fault_get_fd(const struct nestio_fault *f)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT uint32_t nestio_fault_get_id(const struct nestio_fault *f)
{
	return 0;
}

NESTIO_EXPORT int nestio_fault_read_group(struct nestio_fault *f,
			    struct nestio_page_request *req, unsigned int max)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_fault_respond(struct nestio_fault *f, uint32_t cookie,
			 uint32_t code)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_fault_set_handler(struct nestio_fault *f,
			     void (*fn)(struct nestio_fault *f,
					const struct nestio_page_request *group,
					unsigned int n, void *data),
			     void *data)
{
	return -EOPNOTSUPP;
}
