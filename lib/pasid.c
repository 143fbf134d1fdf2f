// SPDX-License-Identifier: LGPL-2.1-or-later
/* STUB: being written (the PASID binding table). */
#include "internal.h"

NESTIO_EXPORT int nestio_pasid_table_new(struct nestio_hwpt *parent,
					 struct nestio_pasid_table **out)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_pasid_table_new_viommu(struct nestio_viommu *viommu,
						struct nestio_pasid_table **out)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT struct nestio_pasid_table *nestio_pasid_table_ref(struct nestio_pasid_table *t)
{
	return NULL;
}

NESTIO_EXPORT struct nestio_pasid_table *nestio_pasid_table_unref(struct nestio_pasid_table *t)
{
	return NULL;
}

NESTIO_EXPORT int nestio_pasid_bind(struct nestio_pasid_table *t,
				    struct nestio_device *dev, uint32_t pasid,
				    const struct nestio_stage1 *s1,
				    unsigned int flags)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_pasid_unbind(struct nestio_pasid_table *t,
				      struct nestio_device *dev, uint32_t pasid)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_pasid_replay(struct nestio_pasid_table *t,
				      struct nestio_device *dev)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT struct nestio_hwpt *nestio_pasid_lookup(struct nestio_pasid_table *t,
						      struct nestio_device *dev,
						      uint32_t pasid)
{
	return NULL;
}

NESTIO_EXPORT int nestio_pasid_table_foreach(struct nestio_pasid_table *t,
					     int (*fn)(struct nestio_device *dev,
						       uint32_t pasid,
						       const struct nestio_stage1 *s1,
						       struct nestio_hwpt *hwpt,
						       void *data),
					     void *data)
{
	return -EOPNOTSUPP;
}
