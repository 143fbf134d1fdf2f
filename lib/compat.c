// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Can a host IOMMU back what a vIOMMU model advertises, and what may a
 * vIOMMU model advertise over one or more host IOMMUs? Both read the
 * vendor-neutral nestio_hw_caps that lib/hwcaps.c decodes, and both name
 * the register field behind each answer so a person can act on it.
 *
 * The check (nestio_hw_caps_check, nestio_device_check_compat) says yes or
 * gives the first reason it cannot. The intersection
 * (nestio_hw_caps_intersect) narrows a model's wishes to what every host
 * has, reporting each field or bit it lowers or drops, so that a VMM can
 * set its vIOMMU's registers from the result (the "auto" of QEMU's
 * accelerated SMMUv3). Whatever the intersection returns, the check accepts
 * for each of its hosts: both apply the same rules, field by field.
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

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

/* the register field behind a capability bit, per IOMMU type */
static const struct {
	uint32_t type;
	uint64_t cap;
	const char *field;
} cap_fields[] = {
	{ NESTIO_IOMMU_INTEL_VTD, NESTIO_CAP_ATS, "ECAP.DT" },
	{ NESTIO_IOMMU_INTEL_VTD, NESTIO_CAP_PRI, "ECAP.PRS" },
	{ NESTIO_IOMMU_INTEL_VTD, NESTIO_CAP_FIRST_STAGE, "ECAP.FSTS" },
	{ NESTIO_IOMMU_ARM_SMMUV3, NESTIO_CAP_ATS, "SMMU_IDR0.ATS" },
	{ NESTIO_IOMMU_ARM_SMMUV3, NESTIO_CAP_PRI, "SMMU_IDR0.PRI" },
	{ NESTIO_IOMMU_ARM_SMMUV3, NESTIO_CAP_STALL, "SMMU_IDR0.STALL_MODEL" },
	{ NESTIO_IOMMU_ARM_SMMUV3, NESTIO_CAP_FIRST_STAGE, "SMMU_IDR0.S1P" },
	{ NESTIO_IOMMU_ARM_SMMUV3, NESTIO_CAP_STE_2LVL, "SMMU_IDR0.ST_LEVEL" },
	{ NESTIO_IOMMU_ARM_SMMUV3, NESTIO_CAP_TT_LE, "SMMU_IDR0.TTENDIAN" },
	{ NESTIO_IOMMU_ARM_SMMUV3, NESTIO_CAP_TT_BE, "SMMU_IDR0.TTENDIAN" },
	{ NESTIO_IOMMU_ARM_SMMUV3, NESTIO_CAP_TTF_AARCH32, "SMMU_IDR0.TTF" },
	{ NESTIO_IOMMU_ARM_SMMUV3, NESTIO_CAP_TTF_AARCH64, "SMMU_IDR0.TTF" },
	{ NESTIO_IOMMU_ARM_SMMUV3, NESTIO_CAP_RANGE_INV, "SMMU_IDR3.RIL" },
	{ NESTIO_IOMMU_AMD, NESTIO_CAP_PRI, "EFR.PPRSup" },
	{ NESTIO_IOMMU_AMD, NESTIO_CAP_FIRST_STAGE, "EFR.GTSup" },
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

/* a set of page sizes: "4K 2M 1G" */
static void add_pgsizes(struct msg *m, uint32_t bitmap)
{
	static const char units[] = "KMG";
	const char *sep = "";

	for (unsigned int shift = 0; shift < 32; shift++) {
		unsigned long long size = 1ull << shift;
		int u = -1;

		if (!(bitmap & (1u << shift)))
			continue;
		while (u < 2 && size >= 1024 && size % 1024 == 0) {
			size /= 1024;
			u++;
		}
		if (u < 0)
			msg_add(m, "%s%llu", sep, size);
		else
			msg_add(m, "%s%llu%c", sep, size, units[u]);
		sep = " ";
	}
}

/* the register field that grants page sizes on a type, or NULL */
static const char *pgsize_field(uint32_t type, uint32_t missing)
{
	if (type == NESTIO_IOMMU_INTEL_VTD && missing == (1u << 30))
		return "CAP.FS1GP";
	if (type != NESTIO_IOMMU_ARM_SMMUV3)
		return NULL;
	/* each granule brings its block sizes: 4K 2M 1G, 16K 32M, 64K 512M */
	if (!(missing & ~((1u << 12) | (1u << 21) | (1u << 30))))
		return "SMMU_IDR5.GRAN4K";
	if (!(missing & ~((1u << 14) | (1u << 25))))
		return "SMMU_IDR5.GRAN16K";
	if (!(missing & ~((1u << 16) | (1u << 29))))
		return "SMMU_IDR5.GRAN64K";
	return "SMMU_IDR5.GRAN*";
}

static const char *cap_field(uint32_t type, uint64_t cap)
{
	for (size_t i = 0; i < ARRAY_LEN(cap_fields); i++)
		if (cap_fields[i].type == type && cap_fields[i].cap == cap)
			return cap_fields[i].field;
	return NULL;
}

/* the caller's view of the two structures, sized-struct rules applied */
struct want_view {
	uint32_t stage1_format;
	uint8_t stage1_ia_bits, stage2_ia_bits, pasid_bits;
	uint64_t caps;
	uint32_t errata_ok;
	uint32_t pgsize_bitmap;
	uint8_t sid_bits, ssid_bits;
};

struct caps_view {
	uint32_t type;
	uint64_t caps;
	uint32_t stage1_formats, errata;
	uint8_t max_pasid_log2, stage1_ia_bits, stage2_ia_bits;
	uint32_t pgsize_bitmap;
	uint8_t sid_bits, ssid_bits;
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
		/* reserved1 was padding in the first layout: never read */
		.pgsize_bitmap = NIO_OPTS_GET(want, pgsize_bitmap, 0u),
		.sid_bits = NIO_OPTS_GET(want, sid_bits, 0),
		.ssid_bits = NIO_OPTS_GET(want, ssid_bits, 0),
	};
	/* one format; RAW is an escape hatch for payloads, not a format */
	if (w->stage1_format & (w->stage1_format - 1) ||
	    w->stage1_format == NESTIO_STAGE1_RAW ||
	    NIO_OPTS_GET(want, reserved, 0))
		return -EINVAL;
	if (NIO_OPTS_HAS(want, reserved2) &&
	    (want->reserved2[0] || want->reserved2[1]))
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
		.pgsize_bitmap = NIO_OPTS_GET(caps, pgsize_bitmap, 0u),
		.sid_bits = NIO_OPTS_GET(caps, sid_bits, 0),
		.ssid_bits = NIO_OPTS_GET(caps, ssid_bits, 0),
	};
	return 0;
}

/* ------------------------------------------------------------- the check */

/*
 * The checks, in the documented order (nestio_compat(3)): the hard
 * mismatches first, from the most fundamental, then the errata, which a
 * VMM may choose to live with. 1 if all pass, else 0 and the first reason.
 */
static int caps_meet_want(const struct caps_view *c, const struct want_view *w,
			  struct msg *m)
{
	uint64_t missing = w->caps & ~c->caps;
	uint32_t pg_missing = w->pgsize_bitmap & ~c->pgsize_bitmap;
	uint32_t errata = c->errata & ~w->errata_ok;
	const char *field;

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
	/* 6. page sizes */
	if (pg_missing) {
		field = pgsize_field(c->type, pg_missing);
		msg_add(m, "vIOMMU wants stage-1 page sizes the host (%s) lacks: ",
			type_name(c->type));
		add_pgsizes(m, pg_missing);
		if (field)
			msg_add(m, " (%s is clear)", field);
		return 0;
	}
	/* 7.-8. stream and substream ID widths */
	if (w->sid_bits > c->sid_bits) {
		msg_add(m, "vIOMMU wants %u-bit stream IDs, host (%s) has %u",
			w->sid_bits, type_name(c->type), c->sid_bits);
		return 0;
	}
	if (w->ssid_bits > c->ssid_bits) {
		msg_add(m, "vIOMMU wants %u-bit substream IDs, host (%s) has %u",
			w->ssid_bits, type_name(c->type), c->ssid_bits);
		return 0;
	}
	/* 9. capabilities: every one that is missing */
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
	/* 10. errata not accepted: the first known bit, then unknown bits */
	for (int b = 0; b < 32; b++) {
		const char *name = nestio_errata_name(1u << b);

		if ((errata & (1u << b)) && name) {
			msg_add(m, "erratum %s (%s) is present and not accepted",
				name, nestio_errata_describe(1u << b));
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
	int ok = caps_meet_want(c, w, m);

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

/* ------------------------------------------------------ the intersection */

/* A width, page-size set or ID width at its largest value in the model
 * means "whatever the hosts have": lowering it is not reported. */
#define AUTO_BITS 0xff

struct narrowing {
	void (*dropped)(void *userdata, size_t host, const char *field,
			const char *reason);
	void *userdata;
	size_t host;
	const char *host_type;
	int count;
};

static void __attribute__((format(printf, 3, 4)))
report(struct narrowing *nw, const char *field, const char *fmt, ...)
{
	struct msg m = { .len = 0 };
	va_list ap;
	int n;

	nw->count++;
	if (!nw->dropped)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m.buf, sizeof(m.buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		m.buf[0] = '\0';
	nw->dropped(nw->userdata, nw->host, field, m.buf);
}

/* lower *have to host's width; report it unless the model said "auto" */
static void narrow_bits(struct narrowing *nw, const char *field, uint8_t *have,
			uint8_t host, bool asked, const char *what)
{
	if (*have <= host)
		return;
	if (asked)
		report(nw, field, "lowered from %u to %u %s: host %zu (%s) has %u",
		       *have, host, what, nw->host, nw->host_type, host);
	*have = host;
}

static void narrow_pgsizes(struct narrowing *nw, struct want_view *w,
			   const struct caps_view *c, bool asked)
{
	uint32_t missing = w->pgsize_bitmap & ~c->pgsize_bitmap;
	const char *field;
	struct msg m = { .len = 0 };

	if (!missing)
		return;
	w->pgsize_bitmap &= c->pgsize_bitmap;
	if (!asked)
		return;
	add_pgsizes(&m, missing);
	field = pgsize_field(c->type, missing);
	report(nw, "pgsize_bitmap", "dropped %s: host %zu (%s) lacks them%s%s%s",
	       m.buf, nw->host, nw->host_type, field ? " (" : "",
	       field ? field : "", field ? " is clear)" : "");
}

static void narrow_caps(struct narrowing *nw, struct want_view *w,
			const struct caps_view *c)
{
	uint64_t missing = w->caps & ~c->caps;

	for (int b = 0; b < 64; b++) {
		uint64_t bit = 1ull << b;
		const char *name = nestio_cap_name(bit), *field;

		if (!(missing & bit))
			continue;
		field = cap_field(c->type, bit);
		if (bit == NESTIO_CAP_NESTING) {
			field = "its registers do not offer it";
			for (size_t i = 0; i < ARRAY_LEN(no_nest_why); i++)
				if (no_nest_why[i].type == c->type)
					field = no_nest_why[i].why;
			report(nw, name, "dropped: host %zu (%s) cannot nest: %s",
			       nw->host, nw->host_type, field);
		} else if (name) {
			report(nw, name, "dropped: host %zu (%s) lacks it%s%s%s",
			       nw->host, nw->host_type, field ? " (" : "",
			       field ? field : "", field ? " is clear)" : "");
		} else {
			report(nw, "caps", "dropped capability %#llx: host %zu (%s) lacks it",
			       (unsigned long long)bit, nw->host, nw->host_type);
		}
	}
	w->caps &= c->caps;
}

/* narrow w to what host c has, field by field, as caps_meet_want() asks */
static void narrow(struct narrowing *nw, struct want_view *w,
		   const struct caps_view *c, const struct want_view *asked)
{
	/* an "auto" field takes the first host's value silently; from then
	 * on it is fixed, and each later host that lowers it is reported */
	bool later = nw->host > 0;

	if (w->stage1_format && !(w->stage1_format & c->stage1_formats)) {
		struct msg have = { .len = 0 }, takes = { .len = 0 };

		add_formats(&have, w->stage1_format);
		add_formats(&takes, c->stage1_formats);
		report(nw, "stage1_format", "dropped %s: host %zu (%s) takes %s",
		       have.buf, nw->host, nw->host_type, takes.buf);
		w->stage1_format = 0;
	}
	narrow_bits(nw, "stage1_ia_bits", &w->stage1_ia_bits, c->stage1_ia_bits,
		    later || asked->stage1_ia_bits != AUTO_BITS, "bits of stage-1 input");
	narrow_bits(nw, "stage2_ia_bits", &w->stage2_ia_bits, c->stage2_ia_bits,
		    later || asked->stage2_ia_bits != AUTO_BITS, "bits of stage-2 input");
	narrow_bits(nw, "pasid_bits", &w->pasid_bits, c->max_pasid_log2,
		    later || asked->pasid_bits != AUTO_BITS, "PASID bits");
	narrow_pgsizes(nw, w, c, later || asked->pgsize_bitmap != UINT32_MAX);
	narrow_bits(nw, "sid_bits", &w->sid_bits, c->sid_bits,
		    later || asked->sid_bits != AUTO_BITS, "stream ID bits");
	narrow_bits(nw, "ssid_bits", &w->ssid_bits, c->ssid_bits,
		    later || asked->ssid_bits != AUTO_BITS, "substream ID bits");
	narrow_caps(nw, w, c);
}

/* everything a host offers, as a model would ask for it: "auto" */
static void want_from_host(const struct caps_view *c, struct want_view *w)
{
	uint32_t f = c->stage1_formats;

	*w = (struct want_view){
		.stage1_format = f & ~(f - 1) & ~NESTIO_STAGE1_RAW,
		.stage1_ia_bits = AUTO_BITS, .stage2_ia_bits = AUTO_BITS,
		.pasid_bits = AUTO_BITS, .pgsize_bitmap = UINT32_MAX,
		.sid_bits = AUTO_BITS, .ssid_bits = AUTO_BITS,
		.caps = c->caps,
	};
}

NESTIO_EXPORT int nestio_hw_caps_intersect(const struct nestio_hw_caps *const *hosts,
					   size_t n, const struct nestio_compat *model,
					   struct nestio_compat *out,
					   void (*dropped)(void *userdata, size_t host,
							   const char *field,
							   const char *reason),
					   void *userdata)
{
	struct narrowing nw = { .dropped = dropped, .userdata = userdata };
	struct nestio_compat res = { .sz = sizeof(res) };
	struct want_view w, asked;
	struct caps_view c;
	int r;

	if (!hosts || !n || !out)
		return -EINVAL;
	r = NIO_OPTS_CHECK(out, struct nestio_compat);
	if (r < 0)
		return r;
	/* every input is checked before anything is reported */
	for (size_t i = 0; i < n; i++) {
		r = caps_get(hosts[i], &c);
		if (r < 0)
			return r;
	}
	if (model) {
		r = want_get(model, &asked);
		if (r < 0)
			return r;
	} else {
		caps_get(hosts[0], &c);
		want_from_host(&c, &asked);
	}
	w = asked;
	for (size_t i = 0; i < n; i++) {
		caps_get(hosts[i], &c);
		nw.host = i;
		nw.host_type = type_name(c.type);
		narrow(&nw, &w, &c, &asked);
	}

	res.stage1_format = w.stage1_format;
	res.stage1_ia_bits = w.stage1_ia_bits;
	res.stage2_ia_bits = w.stage2_ia_bits;
	res.pasid_bits = w.pasid_bits;
	res.caps = w.caps;
	res.errata_ok = w.errata_ok;
	res.pgsize_bitmap = w.pgsize_bitmap;
	res.sid_bits = w.sid_bits;
	res.ssid_bits = w.ssid_bits;
	/* what the caller's struct has room for (it may be older) */
	memcpy((char *)out + sizeof(size_t), (char *)&res + sizeof(size_t),
	       (out->sz < sizeof(res) ? out->sz : sizeof(res)) - sizeof(size_t));
	return nw.count;
}
