// SPDX-License-Identifier: LGPL-2.1-or-later
/* STUB: being written. */
#include "internal.h"

NESTIO_EXPORT int nestio_monitor_new(struct nestio_ctx *ctx, struct nestio_monitor **out)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT struct nestio_monitor *nestio_monitor_ref(struct nestio_monitor *m)
{
	return NULL;
}

NESTIO_EXPORT struct nestio_monitor *nestio_monitor_unref(struct nestio_monitor *m)
{
	return NULL;
}

NESTIO_EXPORT int nestio_monitor_get_fd(const struct nestio_monitor *m)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_monitor_read(struct nestio_monitor *m, struct nestio_hotplug *ev,
			unsigned int max)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_monitor_set_handler(struct nestio_monitor *m,
			       void (*fn)(struct nestio_monitor *m,
					  const struct nestio_hotplug *ev,
					  void *data),
			       void *data)
{
	return -EOPNOTSUPP;
}
