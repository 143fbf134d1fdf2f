// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The compatibility check (can the host IOMMU behind a device back what a
 * vIOMMU model wants to advertise?) and the one errata table.
 *
 * Every erratum the library knows is one row of errata_table: its
 * NESTIO_ERRATA_* bit, a short name, a one-line description and what the
 * library does about it. nestio_errata_name(), nestio_errata_describe(), the
 * check and the enforcement in lib/hwpt.c + lib/ioas.c all read that row;
 * a new erratum is a new row, not a new branch.
 */
#include <stdio.h>

#include "internal.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

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

/* ------------------------------------------------------------- the check */

/* why an IOMMU of a type cannot nest, as its registers say */
static const struct {
	uint32_t type;
	const char *why;
} no_nest_why[] = {
	{ NESTIO_IOMMU_NONE, "the kernel reported no vendor data" },
	{ NESTIO_IOMMU_INTEL_VTD, "ECAP.NEST is clear" },
	{ NESTIO_IOMMU_ARM_SMMUV3, "SMMU_IDR0.S1P and S2P are not both set" },
	{ NESTIO_IOMMU_AMD, "EFR.GTSup and EFR.GIoSup are not both set" },
	{ NESTIO_IOMMU_TEGRA241_CMDQV, "its block describes no page tables" },
	{ NESTIO_IOMMU_UNKNOWN, "this library cannot decode its registers" },
};


/* A reason under construction: appends stop quietly when it is full. */
struct msg {
	char buf[256];
	size_t len;
};

static void __attribute__((format(printf, 2, 3)))
msg_add(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->len >= sizeof(m->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->len, sizeof(m->buf) - m->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->len += (size_t)n < sizeof(m->buf) - m->len ?
				  (size_t)n : sizeof(m->buf) - m->len - 1;
}

static const char *type_name(uint32_t type)
{
	const char *n = nestio_iommu_type_name((enum nestio_iommu_type)type);

	return n ? n : "unknown";
}

/* a set of stage-1 format bits: "intel-vtd, amd", or "none" */
static void add_formats(struct msg *m, uint32_t formats)
{
	const char *sep = "";

	if (!formats) {
		msg_add(m, "none");
		return;
	}
	for (int b = 0; b < 32; b++) {
		const char *name = nestio_stage1_format_name(1u << b);

		if (!(formats & (1u << b)) || !name)
			continue;
		msg_add(m, "%s%s", sep, name);
		formats &= ~(1u << b);
		sep = ", ";
	}
	if (formats)
		msg_add(m, "%s%#x", sep, formats);
}

/* the caller's view of the two structures, sized-struct rules applied */
struct want_view {
	uint32_t stage1_format;
	uint8_t stage1_ia_bits, stage2_ia_bits, pasid_bits;
	uint64_t caps;
	uint32_t errata_ok;
};

struct caps_view {
	uint32_t type;
	uint64_t caps;
	uint32_t stage1_formats, errata;
	uint8_t max_pasid_log2, stage1_ia_bits, stage2_ia_bits;
};

static int want_get(const struct nestio_compat *want, struct want_view *w)
{
	int r;

	if (!want)
		return -EINVAL;
	r = NIO_OPTS_CHECK(want, struct nestio_compat);
	if (r < 0)
		return r;
	*w = (struct want_view){
		.stage1_format = NIO_OPTS_GET(want, stage1_format, 0u),
		.stage1_ia_bits = NIO_OPTS_GET(want, stage1_ia_bits, 0),
		.stage2_ia_bits = NIO_OPTS_GET(want, stage2_ia_bits, 0),
		.pasid_bits = NIO_OPTS_GET(want, pasid_bits, 0),
		.caps = NIO_OPTS_GET(want, caps, 0ull),
		.errata_ok = NIO_OPTS_GET(want, errata_ok, 0u),
	};
	/* one format; RAW is an escape hatch for payloads, not a format */
	if (w->stage1_format & (w->stage1_format - 1) ||
	    w->stage1_format == NESTIO_STAGE1_RAW ||
	    NIO_OPTS_GET(want, reserved, 0))
		return -EINVAL;
	return 0;
}

static int caps_get(const struct nestio_hw_caps *caps, struct caps_view *c)
{
	int r;

	if (!caps)
		return -EINVAL;
	r = NIO_OPTS_CHECK(caps, struct nestio_hw_caps);
	if (r < 0)
		return r;
	/* an older caller's shorter struct: what it lacks is "nothing" */
	*c = (struct caps_view){
		.type = NIO_OPTS_GET(caps, type, (uint32_t)NESTIO_IOMMU_UNKNOWN),
		.caps = NIO_OPTS_GET(caps, caps, 0ull),
		.stage1_formats = NIO_OPTS_GET(caps, stage1_formats, 0u),
		.errata = NIO_OPTS_GET(caps, errata, 0u),
		.max_pasid_log2 = NIO_OPTS_GET(caps, max_pasid_log2, 0),
		.stage1_ia_bits = NIO_OPTS_GET(caps, stage1_ia_bits, 0),
		.stage2_ia_bits = NIO_OPTS_GET(caps, stage2_ia_bits, 0),
	};
	return 0;
}

/*
 * The checks, in the documented order (nestio_compat(3)): the hard
 * mismatches first, from the most fundamental, then the errata, which a
 * VMM may choose to live with. 1 if all pass, else 0 and the first reason.
 */
static int check(const struct caps_view *c, const struct want_view *w,
		 struct msg *m)
{
	uint64_t missing = w->caps & ~c->caps;
	uint32_t errata = c->errata & ~w->errata_ok;

	/* 1. nesting at all */
	if (!(c->caps & NESTIO_CAP_NESTING)) {
		const char *why = "its registers do not offer it";

		for (size_t i = 0; i < ARRAY_LEN(no_nest_why); i++)
			if (no_nest_why[i].type == c->type)
				why = no_nest_why[i].why;
		msg_add(m, "host IOMMU (%s) cannot nest: %s", type_name(c->type), why);
		return 0;
	}
	/* 2. the guest's page-table format */
	if (w->stage1_format && !(w->stage1_format & c->stage1_formats)) {
		msg_add(m, "vIOMMU wants the ");
		add_formats(m, w->stage1_format);
		msg_add(m, " stage-1 format, host (%s) takes ", type_name(c->type));
		add_formats(m, c->stage1_formats);
		return 0;
	}
	/* 3.-5. widths */
	if (w->stage1_ia_bits > c->stage1_ia_bits) {
		msg_add(m, "vIOMMU wants %u-bit stage-1 input, host has %u",
			w->stage1_ia_bits, c->stage1_ia_bits);
		return 0;
	}
	if (w->stage2_ia_bits > c->stage2_ia_bits) {
		msg_add(m, "vIOMMU wants %u-bit stage-2 input, host has %u",
			w->stage2_ia_bits, c->stage2_ia_bits);
		return 0;
	}
	if (w->pasid_bits > c->max_pasid_log2) {
		msg_add(m, "vIOMMU wants %u-bit PASIDs, host has %u",
			w->pasid_bits, c->max_pasid_log2);
		return 0;
	}
	/* 6. capabilities: every one that is missing */
	if (missing) {
		const char *sep = "";

		msg_add(m, "vIOMMU needs capabilities the host (%s) lacks: ",
			type_name(c->type));
		for (int b = 0; b < 64; b++) {
			const char *name = nestio_cap_name(1ull << b);

			if (!(missing & (1ull << b)) || !name)
				continue;
			msg_add(m, "%s%s", sep, name);
			missing &= ~(1ull << b);
			sep = ", ";
		}
		if (missing)
			msg_add(m, "%s%#llx", sep, (unsigned long long)missing);
		return 0;
	}
	/* 7. errata not accepted: the first in table order, then unknown bits */
	for (size_t i = 0; i < ARRAY_LEN(errata_table); i++) {
		if (errata & errata_table[i].bit) {
			msg_add(m, "erratum %s (%s) is present and not accepted",
				errata_table[i].name, errata_table[i].description);
			return 0;
		}
	}
	if (errata) {
		msg_add(m, "unknown errata %#x are present and not accepted", errata);
		return 0;
	}
	return 1;
}

/* the check, with its reason (or "" when it passes) written to reason */
static int check_and_report(const struct caps_view *c, const struct want_view *w,
			    char *reason, size_t reason_len, struct msg *m)
{
	int ok = check(c, w, m);

	m->buf[m->len] = '\0';
	if (reason && reason_len)
		snprintf(reason, reason_len, "%s", m->buf);
	return ok;
}

NESTIO_EXPORT int nestio_hw_caps_check(const struct nestio_hw_caps *caps,
				       const struct nestio_compat *want,
				       char *reason, size_t reason_len)
{
	struct msg m = { .len = 0 };
	struct caps_view c;
	struct want_view w;
	int r;

	r = caps_get(caps, &c);
	if (r < 0)
		return r;
	r = want_get(want, &w);
	if (r < 0)
		return r;
	return check_and_report(&c, &w, reason, reason_len, &m);
}

NESTIO_EXPORT int nestio_device_check_compat(struct nestio_device *dev,
					     const struct nestio_compat *want,
					     char *reason, size_t reason_len)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct msg m = { .len = 0 };
	struct caps_view c;
	struct want_view w;
	int r;

	/* bad input is refused before the kernel is asked */
	if (!nio_device_ok(dev))
		return -EINVAL;
	r = want_get(want, &w);
	if (r < 0)
		return r;
	r = nestio_device_get_hw_caps(dev, &caps);
	if (r < 0)
		return r;
	r = caps_get(&caps, &c);
	if (r < 0)
		return r;
	r = check_and_report(&c, &w, reason, reason_len, &m);
	if (!r)
		info(nestio_device_get_ctx(dev), "dev_id %u: %s",
		     nestio_device_get_id(dev), m.buf);
	return r;
}
