// SPDX-License-Identifier: LGPL-2.1-or-later
/* STUB: being written. */
#include "internal.h"

NESTIO_EXPORT int nestio_hwpt_set_dirty_tracking(struct nestio_hwpt *hwpt, int enable)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_hwpt_get_dirty_bitmap(struct nestio_hwpt *hwpt, uint64_t iova,
				 uint64_t length, uint64_t page_size,
				 uint64_t *bitmap, unsigned int flags)
{
	return -EOPNOTSUPP;
}
