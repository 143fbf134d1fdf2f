// SPDX-License-Identifier: LGPL-2.1-or-later
/* STUB: being written (the invalidation queue). */
#include "internal.h"

NESTIO_EXPORT int nestio_invq_new(struct nestio_hwpt *nested, uint32_t type,
				  const struct nestio_invq_opts *opts,
				  struct nestio_invq **out)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_invq_new_viommu(struct nestio_viommu *viommu,
					 uint32_t type,
					 const struct nestio_invq_opts *opts,
					 struct nestio_invq **out)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT struct nestio_invq *nestio_invq_ref(struct nestio_invq *q)
{
	return NULL;
}

NESTIO_EXPORT struct nestio_invq *nestio_invq_unref(struct nestio_invq *q)
{
	return NULL;
}

NESTIO_EXPORT int nestio_invq_push(struct nestio_invq *q, const void *entry,
				   size_t len)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_invq_push_vtd(struct nestio_invq *q, uint64_t addr,
				       uint64_t npages, uint32_t flags)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_invq_push_smmuv3(struct nestio_invq *q, uint64_t cmd0,
					  uint64_t cmd1)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_invq_flush(struct nestio_invq *q,
				    struct nestio_invq_fail *fail)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_invq_discard(struct nestio_invq *q, uint32_t n)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_invq_pending(struct nestio_invq *q)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_invq_get_stats(struct nestio_invq *q,
					struct nestio_invq_stats *st)
{
	return -EOPNOTSUPP;
}
