// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A host IOMMU's capabilities, in one place: decoded from the vendor
 * hardware-information block (IOMMU_GET_HW_INFO) into vendor-neutral
 * nestio_hw_caps and the one errata table. The compatibility check and
 * the intersection that read them are in lib/compat.c.
 *
 * Register fields follow the vendors' public specifications: the Intel
 * VT-d Architecture Specification (CAP_REG, ECAP_REG), the Arm SMMUv3
 * Architecture Specification (SMMU_IDR0..5) and the AMD I/O Virtualization
 * Technology Specification (Extended Feature Register). Each vendor is one
 * function over the raw registers: no I/O.
 *
 * Every erratum the library knows is one row of errata_table: its
 * NESTIO_ERRATA_* bit, a short name, a one-line description and what the
 * library does about it. nestio_errata_name(), nestio_errata_describe(), the
 * check and the enforcement in lib/hwpt.c + lib/ioas.c all read that row;
 * a new erratum is a new row, not a new branch.
 */
#include <stdio.h>

#include "internal.h"
#include "kabi.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ decoding */

#define BIT64(n) (1ull << (n))
#define FIELD(v, hi, lo) (((v) >> (lo)) & ((1ull << ((hi) - (lo) + 1)) - 1))

#define PG_4K (1u << 12)
#define PG_16K (1u << 14)
#define PG_64K (1u << 16)
#define PG_2M (1u << 21)
#define PG_32M (1u << 25)
#define PG_512M (1u << 29)
#define PG_1G (1u << 30)

static void decode_vtd(const struct kabi_hw_info_vtd *v, struct nestio_hw_caps *c)
{
	uint64_t cap = v->cap_reg, ecap = v->ecap_reg;

	c->type = NESTIO_IOMMU_INTEL_VTD;
	/* ECAP.NEST (26): nested translation, first stage over second */
	if (ecap & BIT64(26)) {
		c->caps |= NESTIO_CAP_NESTING;
		c->stage1_formats |= NESTIO_STAGE1_VTD;
	}
	if (ecap & BIT64(2))		/* ECAP.DT: device-TLB (ATS) */
		c->caps |= NESTIO_CAP_ATS;
	if (ecap & BIT64(29))		/* ECAP.PRS: page requests */
		c->caps |= NESTIO_CAP_PRI;
	if (ecap & BIT64(47))		/* ECAP.FSTS: first-stage translation */
		c->caps |= NESTIO_CAP_FIRST_STAGE;
	/* ECAP.PASID (40) with ECAP.PSS (39:35) + 1 PASID bits; the source
	 * ID is the 16-bit PCI requester ID */
	c->sid_bits = 16;
	if (ecap & BIT64(40))
		c->ssid_bits = (uint8_t)(FIELD(ecap, 39, 35) + 1);
	if (v->flags & KABI_HW_INFO_VTD_ERRATA_772415_SPR17)
		c->errata |= NESTIO_ERRATA_772415_SPR17;
	/* CAP.FL5LP (60): 5-level first-stage tables, 57-bit input */
	c->stage1_ia_bits = cap & BIT64(60) ? 57 : 48;
	/* CAP.MGAW (21:16) + 1: the guest (second-stage input) address width.
	 * VT-d reports no host address width (it is the CPU's), so the output
	 * width is given as MGAW too: what the remapping hardware can walk. */
	c->stage2_ia_bits = (uint8_t)(FIELD(cap, 21, 16) + 1);
	c->oa_bits = c->stage2_ia_bits;
	/* first-stage pages: 4K and 2M always, 1G with CAP.FS1GP (56) */
	c->pgsize_bitmap = PG_4K | PG_2M | (cap & BIT64(56) ? PG_1G : 0);
}

static uint8_t smmu_oas_bits(uint32_t oas)
{
	static const uint8_t bits[] = { 32, 36, 40, 42, 44, 48, 52 };

	return oas < sizeof(bits) ? bits[oas] : 52;
}

/*
 * The SMMU's registers as IOMMU_GET_HW_INFO gives them. The kernel (7.2)
 * does not mask them: it copies SMMU_IDR0..5, IIDR and AIDR as read, and its
 * uapi says that only these fields are meant for userspace: IDR0 ST_LEVEL,
 * TERM_MODEL, STALL_MODEL, TTENDIAN, CD2L, ASID16, TTF; IDR1 SIDSIZE,
 * SSIDSIZE; IDR3 BBML, RIL; IDR5 VAX, GRAN64K, GRAN16K, GRAN4K. Outside
 * that list: S1P is to be assumed when a nested hwpt can be made, COHACC is
 * assumed, and ATS is a per-device property (the kernel's
 * IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED answers it, see below), so the library
 * decodes S1P/S2P, ATS, PRI and OAS as the hardware's own word, no more.
 */
static void decode_smmuv3(const struct kabi_hw_info_arm_smmuv3 *s,
			  struct nestio_hw_caps *c)
{
	uint32_t idr0 = s->idr[0], idr1 = s->idr[1], idr3 = s->idr[3];
	uint32_t idr5 = s->idr[5];

	c->type = NESTIO_IOMMU_ARM_SMMUV3;
	/* IDR0.S1P (1) and S2P (0): both stages, so they can nest */
	if ((idr0 & 3) == 3) {
		c->caps |= NESTIO_CAP_NESTING;
		c->stage1_formats |= NESTIO_STAGE1_ARM_SMMUV3;
	}
	if (idr0 & (1u << 10))		/* IDR0.ATS */
		c->caps |= NESTIO_CAP_ATS;
	if (idr0 & (1u << 16))		/* IDR0.PRI */
		c->caps |= NESTIO_CAP_PRI;
	if (FIELD(idr0, 25, 24) != 1)	/* IDR0.STALL_MODEL 0b01: no stall */
		c->caps |= NESTIO_CAP_STALL;
	if (idr0 & (1u << 1))		/* IDR0.S1P */
		c->caps |= NESTIO_CAP_FIRST_STAGE;
	if (FIELD(idr0, 28, 27) == 1)	/* IDR0.ST_LEVEL 0b01: 2-level */
		c->caps |= NESTIO_CAP_STE_2LVL;
	/* IDR0.TTENDIAN (22:21): 0b00 mixed, 0b10 little, 0b11 big */
	switch (FIELD(idr0, 22, 21)) {
	case 0: c->caps |= NESTIO_CAP_TT_LE | NESTIO_CAP_TT_BE; break;
	case 2: c->caps |= NESTIO_CAP_TT_LE; break;
	case 3: c->caps |= NESTIO_CAP_TT_BE; break;
	default: break;		/* 0b01 is reserved */
	}
	if (idr0 & (1u << 2))		/* IDR0.TTF (3:2) bit 0: AArch32 LPAE */
		c->caps |= NESTIO_CAP_TTF_AARCH32;
	if (idr0 & (1u << 3))		/* IDR0.TTF bit 1: AArch64 */
		c->caps |= NESTIO_CAP_TTF_AARCH64;
	if (idr3 & (1u << 10))		/* IDR3.RIL: range invalidation */
		c->caps |= NESTIO_CAP_RANGE_INV;
	c->sid_bits = (uint8_t)FIELD(idr1, 5, 0);	/* IDR1.SIDSIZE */
	c->ssid_bits = (uint8_t)FIELD(idr1, 10, 6);	/* IDR1.SSIDSIZE */
	/* IDR5.VAX (11:10): 0b01 is 52-bit VA */
	c->stage1_ia_bits = FIELD(idr5, 11, 10) == 1 ? 52 : 48;
	c->oa_bits = smmu_oas_bits(FIELD(idr5, 2, 0));	/* IDR5.OAS */
	c->stage2_ia_bits = c->oa_bits;
	if (idr5 & (1u << 4))		/* IDR5.GRAN4K */
		c->pgsize_bitmap |= PG_4K | PG_2M | PG_1G;
	if (idr5 & (1u << 5))		/* IDR5.GRAN16K */
		c->pgsize_bitmap |= PG_16K | PG_32M;
	if (idr5 & (1u << 6))		/* IDR5.GRAN64K */
		c->pgsize_bitmap |= PG_64K | PG_512M;
}

/* EFR.HATS/GATS: 0b00 4 levels (48 bits), 0b01 5 levels (57), 0b10 6
 * levels (64, HATS only); the reserved 0b11 is read as the widest. */
static uint8_t amd_levels_bits(uint64_t field)
{
	return field == 0 ? 48 : field == 1 ? 57 : 64;
}

static void decode_amd(const struct kabi_hw_info_amd *a, struct nestio_hw_caps *c)
{
	c->type = NESTIO_IOMMU_AMD;
	/* EFR.GTSup (4) with EFR.GIoSup (48): guest translation for I/O */
	if ((a->efr & BIT64(4)) && (a->efr & BIT64(48))) {
		c->caps |= NESTIO_CAP_NESTING;
		c->stage1_formats |= NESTIO_STAGE1_AMD;
	}
	if (a->efr & BIT64(1))		/* EFR.PPRSup */
		c->caps |= NESTIO_CAP_PRI;
	if (a->efr & BIT64(4))		/* EFR.GTSup: guest (first-stage) tables */
		c->caps |= NESTIO_CAP_FIRST_STAGE;
	/* the 16-bit device ID; EFR.PASmax (36:32) + 1 PASID bits */
	c->sid_bits = 16;
	if (a->efr & BIT64(4))
		c->ssid_bits = (uint8_t)(FIELD(a->efr, 36, 32) + 1);
	c->caps |= NESTIO_CAP_ATS;	/* the kernel says when it is not */
	c->stage1_ia_bits = amd_levels_bits(FIELD(a->efr, 13, 12)); /* GATS */
	c->stage2_ia_bits = amd_levels_bits(FIELD(a->efr, 11, 10)); /* HATS */
	c->oa_bits = c->stage2_ia_bits;
	c->pgsize_bitmap = PG_4K | PG_2M | PG_1G;
}

NESTIO_EXPORT int nestio_hw_caps_decode(uint32_t type, const void *data,
					size_t len, uint64_t kernel_caps,
					uint8_t max_pasid_log2,
					struct nestio_hw_caps *caps)
{
	struct nestio_hw_caps c = { .sz = sizeof(c) };
	union {
		struct kabi_hw_info_vtd vtd;
		struct kabi_hw_info_arm_smmuv3 smmu;
		struct kabi_hw_info_amd amd;
		struct kabi_hw_info_tegra241_cmdqv cmdqv;
	} u = { 0 };
	size_t need;
	int r;

	if (!caps || (len && !data))
		return -EINVAL;
	r = NIO_OPTS_CHECK(caps, struct nestio_hw_caps);
	if (r < 0)
		return r;
	switch (type) {
	case KABI_HW_INFO_TYPE_INTEL_VTD: need = sizeof(u.vtd); break;
	case KABI_HW_INFO_TYPE_ARM_SMMUV3: need = sizeof(u.smmu); break;
	case KABI_HW_INFO_TYPE_AMD: need = sizeof(u.amd); break;
	case KABI_HW_INFO_TYPE_TEGRA241_CMDQV: need = sizeof(u.cmdqv); break;
	default: need = 0; break;
	}
	/* a block shorter than the layout we decode is malformed */
	if (len < need)
		return -EINVAL;
	if (need)
		memcpy(&u, data, need);

	c.raw_type = type;
	switch (type) {
	case KABI_HW_INFO_TYPE_NONE: c.type = NESTIO_IOMMU_NONE; break;
	case KABI_HW_INFO_TYPE_INTEL_VTD: decode_vtd(&u.vtd, &c); break;
	case KABI_HW_INFO_TYPE_ARM_SMMUV3: decode_smmuv3(&u.smmu, &c); break;
	case KABI_HW_INFO_TYPE_AMD: decode_amd(&u.amd, &c); break;
	case KABI_HW_INFO_TYPE_TEGRA241_CMDQV:
		/* the CMDQV block carries no page-table registers */
		c.type = NESTIO_IOMMU_TEGRA241_CMDQV;
		break;
	default: c.type = NESTIO_IOMMU_UNKNOWN; break;
	}

	/* what the kernel itself reports wins over register decoding */
	if (kernel_caps & KABI_HW_CAP_DIRTY_TRACKING)
		c.caps |= NESTIO_CAP_DIRTY_TRACKING;
	if (kernel_caps & KABI_HW_CAP_PCI_PASID_EXEC)
		c.caps |= NESTIO_CAP_PASID_EXEC;
	if (kernel_caps & KABI_HW_CAP_PCI_PASID_PRIV)
		c.caps |= NESTIO_CAP_PASID_PRIV;
	if (kernel_caps & KABI_HW_CAP_PCI_ATS_NOT_SUPPORTED)
		c.caps &= ~NESTIO_CAP_ATS;
	c.max_pasid_log2 = max_pasid_log2;
	if (max_pasid_log2)
		c.caps |= NESTIO_CAP_PASID;

	/* copy what the caller's struct has room for (it may be older) */
	memcpy((char *)caps + sizeof(size_t), (char *)&c + sizeof(size_t),
	       (caps->sz < sizeof(c) ? caps->sz : sizeof(c)) - sizeof(size_t));
	return 0;
}

NESTIO_EXPORT const char *nestio_iommu_type_name(enum nestio_iommu_type type)
{
	switch (type) {
	case NESTIO_IOMMU_NONE: return "none";
	case NESTIO_IOMMU_INTEL_VTD: return "intel-vtd";
	case NESTIO_IOMMU_ARM_SMMUV3: return "arm-smmuv3";
	case NESTIO_IOMMU_AMD: return "amd";
	case NESTIO_IOMMU_TEGRA241_CMDQV: return "tegra241-cmdqv";
	case NESTIO_IOMMU_UNKNOWN: return "unknown";
	}
	return NULL;
}

/* One name per NESTIO_CAP_* bit: nestioctl and the compatibility check's
 * reasons both read it. */
static const struct {
	uint64_t bit;
	const char *name;
} cap_names[] = {
	{ NESTIO_CAP_NESTING, "nesting" },
	{ NESTIO_CAP_DIRTY_TRACKING, "dirty-tracking" },
	{ NESTIO_CAP_PASID, "pasid" },
	{ NESTIO_CAP_PASID_EXEC, "pasid-exec" },
	{ NESTIO_CAP_PASID_PRIV, "pasid-priv" },
	{ NESTIO_CAP_ATS, "ats" },
	{ NESTIO_CAP_PRI, "pri" },
	{ NESTIO_CAP_STALL, "stall" },
	{ NESTIO_CAP_FIRST_STAGE, "first-stage" },
	{ NESTIO_CAP_STE_2LVL, "2-level-stream-table" },
	{ NESTIO_CAP_TT_LE, "tt-little-endian" },
	{ NESTIO_CAP_TT_BE, "tt-big-endian" },
	{ NESTIO_CAP_TTF_AARCH32, "ttf-aarch32" },
	{ NESTIO_CAP_TTF_AARCH64, "ttf-aarch64" },
	{ NESTIO_CAP_RANGE_INV, "range-invalidation" },
};

NESTIO_EXPORT const char *nestio_cap_name(uint64_t cap)
{
	for (size_t i = 0; i < ARRAY_LEN(cap_names); i++)
		if (cap_names[i].bit == cap)
			return cap_names[i].name;
	return NULL;
}

/* One name per NESTIO_STAGE1_* format: nestioctl and the compatibility
 * check's reasons both read it. */
static const struct {
	uint32_t bit;
	const char *name;
} stage1_names[] = {
	{ NESTIO_STAGE1_VTD, "intel-vtd" },
	{ NESTIO_STAGE1_ARM_SMMUV3, "arm-smmuv3" },
	{ NESTIO_STAGE1_AMD, "amd" },
};

NESTIO_EXPORT const char *nestio_stage1_format_name(uint32_t format)
{
	for (size_t i = 0; i < ARRAY_LEN(stage1_names); i++)
		if (stage1_names[i].bit == format)
			return stage1_names[i].name;
	return NULL;
}

NESTIO_EXPORT int nestio_device_get_hw_caps(struct nestio_device *dev,
					    struct nestio_hw_caps *caps)
{
	struct kabi_hw_info cmd = { .size = sizeof(cmd) };
	uint64_t data[32] = { 0 };
	struct nestio_ctx *ctx;
	int r;

	if (!nio_device_ok(dev) || !caps)
		return -EINVAL;
	r = NIO_OPTS_CHECK(caps, struct nestio_hw_caps);
	if (r < 0)
		return r;
	ctx = nestio_device_get_ctx(dev);
	cmd.dev_id = nestio_device_get_id(dev);
	cmd.data_len = sizeof(data);
	cmd.data_uptr = (uintptr_t)data;
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_GET_HW_INFO, &cmd);
	if (r < 0)
		return r;
	return nestio_hw_caps_decode(cmd.data_type, data,
				     cmd.data_len < sizeof(data) ? cmd.data_len : sizeof(data),
				     cmd.out_capabilities,
				     cmd.out_max_pasid_log2, caps);
}

/* ------------------------------------------------------ Tegra241 CMDQV */

/* the public hw-info type numbers are the kernel's (kabi.h, checked
 * against the kernel's header by tests/hygiene/test-abi.c) */
_Static_assert(NESTIO_HW_INFO_DEFAULT == KABI_HW_INFO_TYPE_DEFAULT &&
	       NESTIO_HW_INFO_INTEL_VTD == KABI_HW_INFO_TYPE_INTEL_VTD &&
	       NESTIO_HW_INFO_ARM_SMMUV3 == KABI_HW_INFO_TYPE_ARM_SMMUV3 &&
	       NESTIO_HW_INFO_TEGRA241_CMDQV == KABI_HW_INFO_TYPE_TEGRA241_CMDQV &&
	       NESTIO_HW_INFO_AMD == KABI_HW_INFO_TYPE_AMD, "hw-info types");

/*
 * The CMDQV block a Tegra241 host reports besides its SMMUv3 registers
 * (only when asked for that type): the values a VMM puts in its emulated
 * CMDQV PARAM register. The kernel's layout, read field by field.
 */
NESTIO_EXPORT int nestio_hw_info_decode_tegra241_cmdqv(const void *data, size_t len,
						       struct nestio_tegra241_cmdqv_info *out)
{
	struct kabi_hw_info_tegra241_cmdqv k;

	if (!data || !out || len < sizeof(k))
		return -EINVAL;
	memcpy(&k, data, sizeof(k));
	*out = (struct nestio_tegra241_cmdqv_info){
		.flags = k.flags,
		.version = k.version,
		.log2vcmdqs = k.log2vcmdqs,
		.log2vsids = k.log2vsids,
	};
	return 0;
}

NESTIO_EXPORT int nestio_device_get_tegra241_cmdqv_info(struct nestio_device *dev,
							struct nestio_tegra241_cmdqv_info *out)
{
	uint64_t data[4] = { 0 };
	size_t len = sizeof(data);
	uint32_t type;
	int r;

	if (!nio_device_ok(dev) || !out)
		return -EINVAL;
	r = nestio_device_get_hw_info_of_type(dev, KABI_HW_INFO_TYPE_TEGRA241_CMDQV,
					      &type, data, &len, NULL, NULL);
	if (r < 0)
		return r;
	/* the kernel answers with the type asked for, or not at all */
	if (type != KABI_HW_INFO_TYPE_TEGRA241_CMDQV)
		return -EPROTO;
	return nestio_hw_info_decode_tegra241_cmdqv(data, len < sizeof(data) ? len : sizeof(data),
						    out);
}

/* ---------------------------------------------------------- the errata */

/* what the library does about an erratum besides reporting it */
enum erratum_effect {
	EFFECT_REPORT_ONLY = 0,
	/* A nest parent on such an IOMMU bans read-only mappings from its
	 * IOAS: lib/hwpt.c asks nio_errata_forbid_ro(), lib/ioas.c refuses. */
	EFFECT_NO_RO_IN_NEST_PARENT,
};

static const struct erratum {
	uint32_t bit;			/* NESTIO_ERRATA_* */
	const char *name;
	const char *description;
	enum erratum_effect effect;
} errata_table[] = {
	/*
	 * Intel Sapphire Rapids erratum 772415 (SPR17): second-stage
	 * read-only mappings are unreliable under nesting. The kernel reports
	 * it for every VT-d IOMMU (IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17) and
	 * silently maps read-only pages writable in a nest parent
	 * (PT_FEAT_VTDSS_FORCE_WRITEABLE), so the library refuses them.
	 */
	{ NESTIO_ERRATA_772415_SPR17, "772415-spr17",
	  "no read-only mappings in a nest parent", EFFECT_NO_RO_IN_NEST_PARENT },
};

/* the row of exactly one erratum bit, or NULL */
static const struct erratum *erratum_find(uint32_t erratum)
{
	for (size_t i = 0; i < ARRAY_LEN(errata_table); i++)
		if (errata_table[i].bit == erratum)
			return &errata_table[i];
	return NULL;
}

NESTIO_EXPORT const char *nestio_errata_name(uint32_t erratum)
{
	const struct erratum *e = erratum_find(erratum);

	return e ? e->name : NULL;
}

NESTIO_EXPORT const char *nestio_errata_describe(uint32_t erratum)
{
	const struct erratum *e = erratum_find(erratum);

	return e ? e->description : NULL;
}

const char *nio_errata_forbid_ro(uint32_t errata)
{
	for (size_t i = 0; i < ARRAY_LEN(errata_table); i++)
		if ((errata & errata_table[i].bit) &&
		    errata_table[i].effect == EFFECT_NO_RO_IN_NEST_PARENT)
			return errata_table[i].name;
	return NULL;
}
