// SPDX-License-Identifier: LGPL-2.1-or-later
/* STUB: being written. */
#include "internal.h"

NESTIO_EXPORT int nestio_hw_queue_new(struct nestio_viommu *viommu, uint32_t type,
			uint32_t index, uint64_t base_iova, uint64_t length,
			struct nestio_hw_queue **out)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT struct nestio_hw_queue *nestio_hw_queue_ref(struct nestio_hw_queue *hq)
{
	return NULL;
}

NESTIO_EXPORT struct nestio_hw_queue *nestio_hw_queue_unref(struct nestio_hw_queue *hq)
{
	return NULL;
}

NESTIO_EXPORT uint32_t nestio_hw_queue_get_id(const struct nestio_hw_queue *hq)
{
	return 0;
}
