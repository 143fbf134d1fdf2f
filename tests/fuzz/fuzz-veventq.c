// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: vEVENTQ records (lib/veventq.c) through the public
 * API, with every read(2) of the queue's fd answered from the input.
 *
 * Input: one byte picks the queue's type (SMMUv3, Tegra241 CMDQV: lengths
 * the library knows; another: learned from the first event), then a list
 * of steps. A step is a nestio_veventq_read() (its max from the input) or
 * a nestio_ctx_dispatch(); the reads they make are answered in order:
 * EAGAIN, EINVAL (a record longer than the read), or up to 255 bytes of
 * the input (a whole number of events or not: the kernel is not trusted).
 *
 * The oracle: no read returns more than max events; every event has the
 * queue's record length, a 31-bit sequence, and a lost count equal to the
 * sequence gap since the previous event (both mod 2^31), and the lost counts
 * never add up to more than nestio_veventq_get_lost() (also never going
 * down), also across a read that was not whole events: the events decoded
 * before its bad bytes are delivered (corpus/veventq/malformed-read-*,
 * once a bug). An SMMUv3 event decodes, and so does a Tegra241 CMDQV
 * one, word for word.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "fakekernel.h"
#include "fuzz.h"

#define SEQ_MASK 0x7fffffffu

#define HDR_LEN 8u
#define LOST KABI_VEVENTQ_FLAG_LOST_EVENTS
#define RAW_TYPE 0xbeefbeefu		/* a type the library must learn */

static struct fz in;
static int qfd = -1;

static ssize_t answer_read(int fd, void *buf, size_t len)
{
	uint8_t op, n;

	if (fd != qfd || fz_empty(&in)) {
		errno = EAGAIN;
		return -1;
	}
	op = fz_u8(&in);
	switch (op & 3) {
	case 0:
		errno = EAGAIN;
		return -1;
	case 1:
		errno = EINVAL;
		return -1;
	default: {
		size_t got;

		n = fz_u8(&in);
		if (n > len)
			n = (uint8_t)len;
		got = fz_bytes(&in, buf, n);
		return (ssize_t)got;
	}
	}
}

struct seen {
	struct nestio_veventq *q;
	bool have_prev;
	uint32_t prev, rec_len;
	uint64_t lost_sum, lost_seen;
};
static struct seen seen;
static uint64_t nevents, nlost_checked;

static void check_event(const struct nestio_vevent *e)
{
	struct nestio_smmuv3_event d;
	struct nestio_tegra241_cmdqv_event t;
	uint64_t lost;
	int r;

	nevents++;
	FZ_CHECK(e->sequence <= SEQ_MASK);
	FZ_CHECK(e->len > 0 && e->len <= sizeof(e->data));
	if (!seen.rec_len)
		seen.rec_len = e->len;
	FZ_CHECK(e->len == seen.rec_len);
	if (seen.have_prev) {
		/* mod 2^31: a gap may also span whole wraps of the sequence */
		FZ_CHECK((e->lost & SEQ_MASK) ==
			 ((e->sequence - seen.prev - 1) & SEQ_MASK));
		nlost_checked++;
	}
	seen.have_prev = true;
	seen.prev = e->sequence;
	seen.lost_sum += e->lost;
	lost = nestio_veventq_get_lost(seen.q);
	FZ_CHECK(lost >= seen.lost_seen);
	seen.lost_seen = lost;
	FZ_CHECK(seen.lost_sum <= lost);
	FZ_CHECK(nestio_vevent_decode_smmuv3(e, &d) ==
		 (e->len >= 32 ? 0 : -EINVAL));
	/* a CMDQV record: its first two little-endian words, or refused */
	memset(&t, 0xa5, sizeof(t));
	r = nestio_vevent_decode_tegra241_cmdqv(e, &t);
	FZ_CHECK(r == (e->len >= 16 ? 0 : -EINVAL));
	if (r == 0)
		FZ_CHECK(t.lvcmdq_err_map[0] == le64toh(e->data[0]) &&
			 t.lvcmdq_err_map[1] == le64toh(e->data[1]));
	else
		FZ_CHECK(t.lvcmdq_err_map[0] == 0xa5a5a5a5a5a5a5a5ull);
}

static void handler(struct nestio_veventq *q, const struct nestio_vevent *ev,
		    void *data)
{
	(void)data;
	FZ_CHECK(q == seen.q);
	check_event(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t types[] = {
		NESTIO_VEVENTQ_ARM_SMMUV3, NESTIO_VEVENTQ_TEGRA241_CMDQV, RAW_TYPE,
	};
	static bool counted;
	struct nestio_vevent ev[20];
	struct nestio_hwpt *parent, *nested;
	struct nestio_viommu *viommu;
	struct nestio_veventq *q;
	int r, steps_left = 64;
	uint32_t type;

	if (!counted) {
		counted = true;
		fz_count_at_exit("veventq", "events", &nevents);
		fz_count_at_exit("veventq", "lost-checked", &nlost_checked);
	}
	in = fz_init(data, size);
	fz_fixture_up();
	fz_nest_objs(&parent, &nested, &viommu);
	type = types[fz_u8(&in) % 3];
	FZ_CHECK(nestio_veventq_new(viommu, type, 16, &q) == 0);
	qfd = nestio_veventq_get_fd(q);
	tu_read_hook = answer_read;
	seen = (struct seen){ .q = q };
	while (!fz_empty(&in) && steps_left--) {
		uint8_t step = fz_u8(&in);
		unsigned int max = 1 + step % 20;

		if (step & 0x80) {
			nestio_veventq_set_handler(q, handler, NULL);
			r = nestio_ctx_dispatch(ctx, qfd);
			FZ_CHECK(r >= 0 || r == -EIO || r == -E2BIG);
			nestio_veventq_set_handler(q, NULL, NULL);
			continue;
		}
		r = nestio_veventq_read(q, ev, max);
		FZ_CHECK(r <= (int)max);
		FZ_CHECK(r >= 0 || r == -EIO || r == -E2BIG);
		for (int i = 0; i < r; i++)
			check_event(&ev[i]);
	}
	tu_read_hook = NULL;
	qfd = -1;
	nestio_veventq_unref(q);
	nestio_viommu_unref(viommu);
	nestio_hwpt_unref(nested);
	nestio_hwpt_unref(parent);
	fz_fixture_down();
	return 0;
}
