// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Guest stage-1 configurations: the library's typed form and the kernel's
 * IOMMU_HWPT_DATA_* payloads, converted at the boundary.
 */
#include <endian.h>
#include <stdlib.h>

#include "internal.h"
#include "kabi.h"

/* the largest raw payload we pass on (the kernel's own are <= 32 bytes) */
#define RAW_MAX 4096u

int nio_stage1_to_uapi(const struct nestio_stage1 *s1, struct nio_stage1_uapi *u)
{
	memset(u, 0, sizeof(*u));
	if (!s1)
		return -EINVAL;
	switch (s1->type) {
	case NESTIO_STAGE1_VTD: {
		struct kabi_hwpt_vtd_s1 *v = (void *)u->buf;
		const uint32_t known = NESTIO_VTD_S1_SRE | NESTIO_VTD_S1_EAFE |
				       NESTIO_VTD_S1_WPE;

		_Static_assert(sizeof(*v) <= sizeof(u->buf), "buf");
		if (s1->u.vtd.pgtbl_addr & 0xfff || s1->u.vtd.flags & ~known ||
		    (s1->u.vtd.addr_width != 48 && s1->u.vtd.addr_width != 57))
			return -EINVAL;
		v->flags = (s1->u.vtd.flags & NESTIO_VTD_S1_SRE ? KABI_VTD_S1_SRE : 0) |
			   (s1->u.vtd.flags & NESTIO_VTD_S1_EAFE ? KABI_VTD_S1_EAFE : 0) |
			   (s1->u.vtd.flags & NESTIO_VTD_S1_WPE ? KABI_VTD_S1_WPE : 0);
		v->pgtbl_addr = s1->u.vtd.pgtbl_addr;
		v->addr_width = s1->u.vtd.addr_width;
		u->type = KABI_HWPT_DATA_VTD_S1;
		u->len = sizeof(*v);
		break;
	}
	case NESTIO_STAGE1_ARM_SMMUV3: {
		struct kabi_hwpt_arm_smmuv3 *a = (void *)u->buf;

		a->ste[0] = htole64(s1->u.smmuv3.ste[0]);
		a->ste[1] = htole64(s1->u.smmuv3.ste[1]);
		u->type = KABI_HWPT_DATA_ARM_SMMUV3;
		u->len = sizeof(*a);
		break;
	}
	case NESTIO_STAGE1_AMD: {
		struct kabi_hwpt_amd_guest *a = (void *)u->buf;

		for (int i = 0; i < 4; i++)
			a->dte[i] = s1->u.amd.dte[i];
		u->type = KABI_HWPT_DATA_AMD_GUEST;
		u->len = sizeof(*a);
		break;
	}
	case NESTIO_STAGE1_RAW:
		if (s1->raw_type == KABI_HWPT_DATA_NONE || !s1->u.raw.data ||
		    !s1->u.raw.len || s1->u.raw.len > RAW_MAX)
			return -EINVAL;
		u->type = s1->raw_type;
		u->len = (uint32_t)s1->u.raw.len;
		u->data = s1->u.raw.data;
		return 0;
	default:
		return -EINVAL;
	}
	u->data = u->buf;
	return 0;
}

bool nio_stage1_equal(const struct nestio_stage1 *a, const struct nestio_stage1 *b)
{
	struct nio_stage1_uapi ua, ub;

	if (nio_stage1_to_uapi(a, &ua) < 0 || nio_stage1_to_uapi(b, &ub) < 0)
		return false;
	return ua.type == ub.type && ua.len == ub.len &&
	       !memcmp(ua.data, ub.data, ua.len);
}

int nio_stage1_copy(struct nestio_stage1 *dst, const struct nestio_stage1 *src)
{
	void *raw;

	*dst = *src;
	if (src->type != NESTIO_STAGE1_RAW)
		return 0;
	raw = malloc(src->u.raw.len);
	if (!raw)
		return -ENOMEM;
	memcpy(raw, src->u.raw.data, src->u.raw.len);
	dst->u.raw.data = raw;
	return 0;
}

void nio_stage1_release(struct nestio_stage1 *s1)
{
	if (s1->type == NESTIO_STAGE1_RAW)
		free((void *)(uintptr_t)s1->u.raw.data);
	s1->u.raw.data = NULL;
}
