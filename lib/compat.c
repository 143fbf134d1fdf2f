// SPDX-License-Identifier: LGPL-2.1-or-later
/* STUB: being written (compatibility check and the errata table). */
#include "internal.h"

NESTIO_EXPORT int nestio_hw_caps_check(const struct nestio_hw_caps *caps,
				       const struct nestio_compat *want,
				       char *reason, size_t reason_len)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT int nestio_device_check_compat(struct nestio_device *dev,
					     const struct nestio_compat *want,
					     char *reason, size_t reason_len)
{
	return -EOPNOTSUPP;
}

NESTIO_EXPORT const char *nestio_errata_name(uint32_t erratum)
{
	return NULL;
}

NESTIO_EXPORT const char *nestio_errata_describe(uint32_t erratum)
{
	return NULL;
}
