// SPDX-License-Identifier: LGPL-2.1-or-later
/* STUB: being written. */
#include "internal.h"

NESTIO_EXPORT int nestio_veventq_new(struct nestio_viommu *viommu, uint32_t type,
		       uint32_t depth, struct nestio_veventq **out)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT struct nestio_veventq *nestio_veventq_ref(struct nestio_veventq *q)
{
	return NULL;
}

NESTIO_EXPORT struct nestio_veventq *nestio_veventq_unref(struct nestio_veventq *q)
{
	return NULL;
}

NESTIO_EXPORT int nestio_veventq_get_fd(const struct nestio_veventq *q)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT uint32_t nestio_veventq_get_id(const struct nestio_veventq *q)
{
	return 0;
}

NESTIO_EXPORT int nestio_veventq_read(struct nestio_veventq *q, struct nestio_vevent *ev,
			unsigned int max)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT uint64_t nestio_veventq_get_lost(const struct nestio_veventq *q)
{
	return 0;
}

NESTIO_EXPORT int nestio_veventq_set_handler(struct nestio_veventq *q,
			       void (*fn)(struct nestio_veventq *q,
					  const struct nestio_vevent *ev,
					  void *data),
			       void *data)
{
	return -EOPNOTSUPP;
}
