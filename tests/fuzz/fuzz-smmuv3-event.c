// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the SMMUv3 event record decoder
 * (nestio_vevent_decode_smmuv3(), lib/veventq.c) on any record bytes and
 * any length.
 *
 * The oracle: a record shorter than four words is refused (-EINVAL) and
 * the output left alone; otherwise every field is put back where the Arm
 * SMMUv3 architecture keeps it and must give back exactly those bits of
 * the record (nothing lost, nothing from a neighbouring field): word 0
 * type, SSV, SubstreamID, StreamID; word 1 STAG, Stall, PnU, InD, RnW,
 * S2, class; word 2 the input address; word 3 the IPA and fetch address.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "libnestio.h"

#define BIT(n) (1ull << (n))
#define MASK(hi, lo) ((~0ull >> (63 - (hi))) & ~(BIT(lo) - 1))

static uint64_t ndecoded;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool counted;
	struct fz in = fz_init(data, size);
	struct nestio_vevent ev = { 0 };
	struct nestio_smmuv3_event out, before;
	uint64_t w[4], back;
	int r;

	if (!counted) {
		counted = true;
		fz_count_at_exit("smmuv3-event", "decoded", &ndecoded);
	}
	ev.len = fz_u8(&in) % 72;
	fz_bytes(&in, ev.data, sizeof(ev.data));
	memset(&out, 0x5a, sizeof(out));
	before = out;
	FZ_CHECK(nestio_vevent_decode_smmuv3(NULL, &out) == -EINVAL);
	FZ_CHECK(nestio_vevent_decode_smmuv3(&ev, NULL) == -EINVAL);
	r = nestio_vevent_decode_smmuv3(&ev, &out);
	if (ev.len < 32) {
		FZ_CHECK(r == -EINVAL && !memcmp(&out, &before, sizeof(out)));
		return 0;
	}
	FZ_CHECK(r == 0);
	ndecoded++;
	for (int i = 0; i < 4; i++)
		w[i] = le64toh(ev.data[i]);

	back = out.id | (out.flags & NESTIO_SMMUV3_EVF_SSV ? BIT(11) : 0) |
	       (uint64_t)out.ssid << 12 | (uint64_t)out.sid << 32;
	FZ_CHECK(back == (w[0] & (MASK(7, 0) | BIT(11) | MASK(31, 12) | MASK(63, 32))));
	FZ_CHECK(!(out.ssid >> 20));
	back = out.stag | (out.flags & NESTIO_SMMUV3_EVF_STALL ? BIT(31) : 0) |
	       (out.flags & NESTIO_SMMUV3_EVF_PRIV ? BIT(33) : 0) |
	       (out.flags & NESTIO_SMMUV3_EVF_INSTR ? BIT(34) : 0) |
	       (out.flags & NESTIO_SMMUV3_EVF_READ ? BIT(35) : 0) |
	       (out.flags & NESTIO_SMMUV3_EVF_S2 ? BIT(39) : 0) |
	       (uint64_t)out.fault_class << 40;
	FZ_CHECK(back == (w[1] & (MASK(15, 0) | BIT(31) | BIT(33) | BIT(34) |
				  BIT(35) | BIT(39) | MASK(41, 40))));
	FZ_CHECK(!(out.flags & ~(uint32_t)(NESTIO_SMMUV3_EVF_SSV |
		NESTIO_SMMUV3_EVF_STALL | NESTIO_SMMUV3_EVF_PRIV |
		NESTIO_SMMUV3_EVF_INSTR | NESTIO_SMMUV3_EVF_READ |
		NESTIO_SMMUV3_EVF_S2)));
	FZ_CHECK(out.addr == w[2]);
	FZ_CHECK(out.ipa == (w[3] & MASK(51, 12)));
	FZ_CHECK(out.fetch_addr == (w[3] & MASK(51, 3)));
	return 0;
}
