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

	/* no stage 1 has nothing else to compare */
	if (a->type == NESTIO_STAGE1_PASSTHROUGH ||
	    b->type == NESTIO_STAGE1_PASSTHROUGH)
		return a->type == b->type;
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

/*
 * SMMUv3 Stream Table Entry, words 0 and 1 (the Arm SMMUv3 architecture's
 * layout, section "Stream Table Entry"). A nested hwpt carries only the
 * stage-1 fields the guest owns; everything about stage 2, the stream's
 * world, attribute overrides and event merging is the host's, and the
 * kernel refuses a vSTE that sets any of it (-EIO).
 */
#define STE0_V			(1ull << 0)
#define STE0_CFG		(7ull << 1)		/* Config, 3:1 */
#define STE0_CFG_S1		(1ull << 1)		/* Config[0]: stage 1 */
#define STE0_CFG_S2		(1ull << 2)		/* Config[1]: stage 2 */
#define STE0_CFG_EN		(1ull << 3)		/* Config[2]: not abort */
#define STE0_S1FMT		(3ull << 4)		/* 5:4 */
#define STE0_S1CTXPTR		0x000fffffffffffc0ull	/* 51:6 */
#define STE0_S1CDMAX		(0x1full << 59)		/* 63:59 */
#define STE1_S1DSS		(3ull << 0)		/* 1:0 */
#define STE1_S1CIR		(3ull << 2)		/* 3:2 */
#define STE1_S1COR		(3ull << 4)		/* 5:4 */
#define STE1_S1CSH		(3ull << 6)		/* 7:6 */
#define STE1_S1STALLD		(1ull << 27)
#define STE1_EATS		(3ull << 28)		/* 29:28 */
#define STE1_EATS_TRANS		(1ull << 28)		/* full ATS */

#define STE0_GUEST	(STE0_V | STE0_CFG | STE0_S1FMT | STE0_S1CTXPTR | \
			 STE0_S1CDMAX)
#define STE1_GUEST	(STE1_S1DSS | STE1_S1CIR | STE1_S1COR | STE1_S1CSH | \
			 STE1_S1STALLD | STE1_EATS)

/*
 * Only ever clears bits, so cleared = input & ~output. V = 0: nothing is
 * valid, all zero. Config[1] (stage 2) is the host's: a guest "stage 2
 * only" becomes bypass (the host's stage 2 is all there is) and "nested"
 * becomes stage 1. Config[2] = 0 (abort and the reserved 0b001..0b011):
 * abort. Abort and bypass carry no stage-1 field at all, so that every
 * guest STE asking for either is the same vSTE. EATS other than "no ATS"
 * or "full ATS" (split-stage ATS is a stage-2 feature, 0b11 is reserved)
 * becomes no ATS.
 */
NESTIO_EXPORT int nestio_smmuv3_ste_canon(const uint64_t ste[2], uint64_t out[2],
					  uint64_t cleared[2])
{
	uint64_t w0, w1;
	int kind;

	if (!ste || !out)
		return -EINVAL;
	w0 = ste[0] & STE0_GUEST;
	w1 = ste[1] & STE1_GUEST;
	if (!(w0 & STE0_V)) {
		w0 = w1 = 0;
		kind = NESTIO_SMMUV3_STE_INVALID;
	} else if (!(w0 & STE0_CFG_EN)) {
		w0 = STE0_V;
		w1 = 0;
		kind = NESTIO_SMMUV3_STE_ABORT;
	} else if (!(w0 & STE0_CFG_S1)) {
		w0 = STE0_V | STE0_CFG_EN;
		w1 = 0;
		kind = NESTIO_SMMUV3_STE_BYPASS;
	} else {
		w0 &= ~STE0_CFG_S2;
		if ((w1 & STE1_EATS) != STE1_EATS_TRANS)
			w1 &= ~STE1_EATS;
		kind = NESTIO_SMMUV3_STE_S1;
	}
	if (cleared) {
		cleared[0] = ste[0] & ~w0;
		cleared[1] = ste[1] & ~w1;
	}
	out[0] = w0;
	out[1] = w1;
	return kind;
}
