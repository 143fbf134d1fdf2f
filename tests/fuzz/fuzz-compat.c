// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the compatibility check (nestio_hw_caps_check(),
 * caps_meet_want in lib/hwcaps.c) on any host capabilities and any
 * vIOMMU wishes, each in a caller struct of a size the input picks, with a
 * reason buffer of any size.
 *
 * The oracle is the check as nestio_compat(3) states it, written out
 * again: bad sizes and bad wishes are refused (-EINVAL, -E2BIG: a newer
 * caller's non-zero tail); a field past an older caller's struct is
 * "nothing"; the check passes exactly when the host can nest, takes the
 * wanted stage-1 format, is at least as wide in stage-1 input, stage-2
 * input and PASID bits, has every wanted capability and no erratum that
 * is not accepted. A pass leaves an empty reason; a failure a non-empty
 * one about the first check that failed, cut to the buffer (a prefix of
 * the whole reason), NUL-terminated, and nothing written past it.
 * Page sizes, stream and substream ID widths are checked after the widths
 * and PASID bits, before the capabilities, and a set reserved2 is -EINVAL.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "fuzz.h"
#include "libnestio.h"

#define HAS(sz, type, field) \
	((sz) >= offsetof(type, field) + sizeof(((type *)0)->field))

static uint64_t npass, nfail;

/* a struct of sz bytes (sz from the input) around the real one's bytes */
struct sized {
	uint8_t b[112];
	size_t sz;
};

static void make_sized(struct fz *in, struct sized *s, const void *real, size_t len)
{
	uint8_t sel = fz_u8(in);

	memset(s->b, 0, sizeof(s->b));
	memcpy(s->b, real, len);
	if (sel < 0xc0)
		s->sz = len;			/* the usual case */
	else
		s->sz = (sel & 0x3f) % (sizeof(s->b) + 1);
	if (s->sz > len && sel & 1)
		s->b[s->sz - 1] = 1;		/* a newer field we lack */
	memcpy(s->b, &s->sz, sizeof(s->sz));
}

static int sized_ok(const struct sized *s, size_t len)
{
	if (s->sz < sizeof(size_t))
		return -EINVAL;
	for (size_t i = len; i < s->sz; i++)
		if (s->b[i])
			return -E2BIG;
	return 0;
}

/* what the check must answer, and the start of its reason */
static int expect(const struct sized *cs, const struct sized *ws,
		  const char **why)
{
	struct nestio_hw_caps c;
	struct nestio_compat w;
	size_t csz = cs->sz, wsz = ws->sz;
	int r;

	if ((r = sized_ok(cs, sizeof(c))) < 0 || (r = sized_ok(ws, sizeof(w))) < 0)
		return r;
	memcpy(&c, cs->b, sizeof(c));
	memcpy(&w, ws->b, sizeof(w));
	/* what an older caller's struct lacks */
	if (!HAS(csz, struct nestio_hw_caps, type)) c.type = NESTIO_IOMMU_UNKNOWN;
	if (!HAS(csz, struct nestio_hw_caps, caps)) c.caps = 0;
	if (!HAS(csz, struct nestio_hw_caps, stage1_formats)) c.stage1_formats = 0;
	if (!HAS(csz, struct nestio_hw_caps, errata)) c.errata = 0;
	if (!HAS(csz, struct nestio_hw_caps, max_pasid_log2)) c.max_pasid_log2 = 0;
	if (!HAS(csz, struct nestio_hw_caps, stage1_ia_bits)) c.stage1_ia_bits = 0;
	if (!HAS(csz, struct nestio_hw_caps, stage2_ia_bits)) c.stage2_ia_bits = 0;
	if (!HAS(csz, struct nestio_hw_caps, pgsize_bitmap)) c.pgsize_bitmap = 0;
	if (!HAS(csz, struct nestio_hw_caps, sid_bits)) c.sid_bits = 0;
	if (!HAS(csz, struct nestio_hw_caps, ssid_bits)) c.ssid_bits = 0;
	if (!HAS(wsz, struct nestio_compat, stage1_format)) w.stage1_format = 0;
	if (!HAS(wsz, struct nestio_compat, stage1_ia_bits)) w.stage1_ia_bits = 0;
	if (!HAS(wsz, struct nestio_compat, stage2_ia_bits)) w.stage2_ia_bits = 0;
	if (!HAS(wsz, struct nestio_compat, pasid_bits)) w.pasid_bits = 0;
	if (!HAS(wsz, struct nestio_compat, reserved)) w.reserved = 0;
	if (!HAS(wsz, struct nestio_compat, caps)) w.caps = 0;
	if (!HAS(wsz, struct nestio_compat, errata_ok)) w.errata_ok = 0;
	if (!HAS(wsz, struct nestio_compat, pgsize_bitmap)) w.pgsize_bitmap = 0;
	if (!HAS(wsz, struct nestio_compat, sid_bits)) w.sid_bits = 0;
	if (!HAS(wsz, struct nestio_compat, ssid_bits)) w.ssid_bits = 0;
	if (!HAS(wsz, struct nestio_compat, reserved2)) w.reserved2[0] = w.reserved2[1] = 0;
	/* one format, not RAW, reserved and reserved2 0 (reserved1 ignored) */
	if ((w.stage1_format & (w.stage1_format - 1)) ||
	    w.stage1_format == NESTIO_STAGE1_RAW || w.reserved ||
	    w.reserved2[0] || w.reserved2[1])
		return -EINVAL;
	if (!(c.caps & NESTIO_CAP_NESTING))
		*why = "host IOMMU (";
	else if (w.stage1_format && !(w.stage1_format & c.stage1_formats))
		*why = "vIOMMU wants the ";
	else if (w.stage1_ia_bits > c.stage1_ia_bits ||
		 w.stage2_ia_bits > c.stage2_ia_bits || w.pasid_bits > c.max_pasid_log2)
		*why = "vIOMMU wants ";
	else if (w.pgsize_bitmap & ~c.pgsize_bitmap)
		*why = "vIOMMU wants stage-1 page sizes";
	else if (w.sid_bits > c.sid_bits || w.ssid_bits > c.ssid_bits)
		*why = "vIOMMU wants ";
	else if (w.caps & ~c.caps)
		*why = "vIOMMU needs capabilities";
	else if (c.errata & ~w.errata_ok)
		*why = (c.errata & ~w.errata_ok) & NESTIO_ERRATA_772415_SPR17 ?
			       "erratum 772415-spr17" : "unknown errata";
	else
		return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool counted;
	struct fz in = fz_init(data, size);
	struct nestio_hw_caps c = { .sz = sizeof(c) };
	struct nestio_compat w = { .sz = sizeof(w) };
	struct sized cs, ws;
	char whole[300], cut[300];
	const char *why = NULL;
	size_t cutlen;
	int want, r;

	if (!counted) {
		counted = true;
		fz_count_at_exit("compat", "pass", &npass);
		fz_count_at_exit("compat", "fail", &nfail);
	}
	/* small values, so that they often meet */
	c.type = fz_u8(&in) % 7;
	c.caps = fz_u8(&in) | (fz_u8(&in) == 0xff ? fz_u64(&in) : 0);
	c.stage1_formats = fz_u8(&in) % 8;
	c.errata = fz_u8(&in) % 4;
	c.max_pasid_log2 = fz_u8(&in) % 24;
	c.stage1_ia_bits = fz_u8(&in) % 70;
	c.stage2_ia_bits = fz_u8(&in) % 70;
	w.stage1_format = fz_u8(&in) == 0xff ? fz_u32(&in) : fz_u8(&in) % 8;
	w.stage1_ia_bits = fz_u8(&in) % 70;
	w.stage2_ia_bits = fz_u8(&in) % 70;
	w.pasid_bits = fz_u8(&in) % 24;
	w.reserved = fz_u8(&in) == 0xff;
	w.caps = fz_u8(&in);
	w.errata_ok = fz_u8(&in) % 4;
	c.pgsize_bitmap = fz_u8(&in) % 8 << 12;	/* 4K, 8K, 16K */
	c.sid_bits = fz_u8(&in) % 34;
	c.ssid_bits = fz_u8(&in) % 22;
	w.reserved1 = fz_u8(&in);
	w.pgsize_bitmap = fz_u8(&in) % 8 << 12;
	w.sid_bits = fz_u8(&in) % 34;
	w.ssid_bits = fz_u8(&in) % 22;
	w.reserved2[1] = fz_u8(&in) == 0xff;
	make_sized(&in, &cs, &c, sizeof(c));
	make_sized(&in, &ws, &w, sizeof(w));
	cutlen = fz_u8(&in) % 80;

	want = expect(&cs, &ws, &why);
	memset(whole, 0x5a, sizeof(whole));
	r = nestio_hw_caps_check((const struct nestio_hw_caps *)cs.b,
				 (const struct nestio_compat *)ws.b, whole, 256);
	FZ_CHECK(r == want);
	if (r < 0)
		return 0;
	FZ_CHECK(memchr(whole, '\0', 256));
	FZ_CHECK(whole[256] == 0x5a);
	if (r == 1) {
		npass++;
		FZ_CHECK(whole[0] == '\0');
	} else {
		nfail++;
		FZ_CHECK(!strncmp(whole, why, strlen(why)));
	}
	/* a short buffer: the reason's start, terminated, nothing past it */
	memset(cut, 0x5a, sizeof(cut));
	FZ_CHECK(nestio_hw_caps_check((const struct nestio_hw_caps *)cs.b,
				      (const struct nestio_compat *)ws.b, cut,
				      cutlen) == r);
	for (size_t i = cutlen; i < sizeof(cut); i++)
		FZ_CHECK(cut[i] == 0x5a);
	if (cutlen) {
		size_t k = strnlen(cut, cutlen);

		FZ_CHECK(k < cutlen && k == strnlen(whole, cutlen - 1));
		FZ_CHECK(!memcmp(cut, whole, k));
	}
	/* no reason wanted */
	FZ_CHECK(nestio_hw_caps_check((const struct nestio_hw_caps *)cs.b,
				      (const struct nestio_compat *)ws.b, NULL,
				      0) == r);
	return 0;
}
