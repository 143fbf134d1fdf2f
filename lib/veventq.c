// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestio_veventq: a vIOMMU's event queue (IOMMU_VEVENTQ_ALLOC), read as
 * struct nestio_vevent with exact lost-event accounting.
 *
 * The kernel's read(2) format: each vEVENT is a struct iommufd_vevent_header
 * {flags, sequence} followed by its record, whose length the header does not
 * carry: it is fixed by the queue's type. Every vEVENT, delivered or lost,
 * takes one sequence number, 0..INT_MAX then 0 again. When the queue is full
 * the kernel drops the event and puts (or moves) a LOST_EVENTS header, with
 * no record, at the tail, carrying the last lost event's sequence; a later
 * event that finds that header last in the queue replaces it, so a loss may
 * also show as nothing but a gap in the sequence. A read that cannot hold
 * the first whole event fails with EINVAL; an empty queue reads 0 bytes.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <endian.h>

#include "internal.h"
#include "kabi.h"

#define SEQ_MASK 0x7fffffffu		/* sequences are 0..INT_MAX */
#define HDR_LEN ((uint32_t)sizeof(struct kabi_vevent_header))
#define REC_MAX ((uint32_t)sizeof(((struct nestio_vevent *)0)->data))
#define CHUNK 16			/* events per read(2) at most */

struct nestio_veventq {
	struct nio_obj obj;	/* first: magic, refcount, ctx, id */
	int fd;
	uint32_t type;
	uint32_t rec_len;	/* bytes per record; 0 until learned */
	uint32_t expected;	/* the next sequence we expect */
	uint32_t pending_lost;	/* lost since the last event returned */
	uint64_t lost;		/* lost in all */
	int err;		/* for the next read: an error met after events */
	struct nestio_viommu *viommu;	/* pinned */
	void (*fn)(struct nestio_veventq *q, const struct nestio_vevent *ev,
		   void *data);
	void *data;
};

static bool veventq_ok(const struct nestio_veventq *q)
{
	return nio_obj_of(q, NIO_MAGIC_VEVENTQ);
}

/* The record length of the types whose layout the library knows; the others
 * are learned from the first event (see learn_rec_len). */
static uint32_t type_rec_len(uint32_t type)
{
	switch (type) {
	case KABI_VEVENTQ_TYPE_ARM_SMMUV3:
		return sizeof(struct kabi_vevent_arm_smmuv3);
	case KABI_VEVENTQ_TYPE_TEGRA241_CMDQV:
		return sizeof(struct kabi_vevent_tegra241_cmdqv);
	default:
		return 0;
	}
}

static int veventq_drain(void *obj);

NESTIO_EXPORT int nestio_veventq_new(struct nestio_viommu *viommu,
				     uint32_t type, uint32_t depth,
				     struct nestio_veventq **out)
{
	struct kabi_veventq_alloc cmd = { .size = sizeof(cmd) };
	struct nestio_veventq *q;
	struct nestio_ctx *ctx;
	int r, fl;

	if (!nio_viommu_ok(viommu) || !out || depth == 0)
		return -EINVAL;
	ctx = nio_obj_ctx(viommu);
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	cmd.viommu_id = nestio_viommu_get_id(viommu);
	cmd.type = type;
	cmd.veventq_depth = depth;
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_VEVENTQ_ALLOC, &cmd);
	if (r < 0) {
		free(q);
		return r;
	}
	q->fd = (int)cmd.out_veventq_fd;
	/* the kernel makes it close-on-exec; make sure, and never block */
	fl = fcntl(q->fd, F_GETFD);
	if (fl < 0 || (!(fl & FD_CLOEXEC) &&
		       fcntl(q->fd, F_SETFD, fl | FD_CLOEXEC) < 0))
		r = -errno;
	fl = r < 0 ? -1 : fcntl(q->fd, F_GETFL);
	if (r == 0 && (fl < 0 || fcntl(q->fd, F_SETFL, fl | O_NONBLOCK) < 0))
		r = -errno;
	if (r == 0)
		r = nio_dispatch_add(ctx, q->fd, q, veventq_drain);
	if (r < 0) {
		close(q->fd);
		nio_destroy_id(ctx, cmd.out_veventq_id);
		free(q);
		return r;
	}
	nio_obj_init(&q->obj, NIO_MAGIC_VEVENTQ, ctx, cmd.out_veventq_id);
	q->type = type;
	q->rec_len = type_rec_len(type);
	q->viommu = nestio_viommu_ref(viommu);
	dbg(ctx, "veventq %u (type %#x, depth %u) on viommu %u: fd %d",
	    q->obj.id, type, depth, cmd.viommu_id, q->fd);
	*out = q;
	return 0;
}

static void veventq_release(void *obj)
{
	struct nestio_veventq *q = obj;

	nio_dispatch_del(q->obj.ctx, q->fd);
	/* the open file holds the object: close it first, then destroy */
	close(q->fd);
	nio_destroy_id(q->obj.ctx, q->obj.id);
	nestio_viommu_unref(q->viommu);
}

/* nestio_veventq_ref(), nestio_veventq_unref() */
NIO_DEFINE_REF_UNREF(veventq, NIO_MAGIC_VEVENTQ, veventq_release)

NESTIO_EXPORT int nestio_veventq_get_fd(const struct nestio_veventq *q)
{
	return veventq_ok(q) ? q->fd : -EINVAL;
}

NESTIO_EXPORT uint32_t nestio_veventq_get_id(const struct nestio_veventq *q)
{
	return veventq_ok(q) ? q->obj.id : 0;
}

NESTIO_EXPORT uint64_t nestio_veventq_get_lost(const struct nestio_veventq *q)
{
	return veventq_ok(q) ? q->lost : 0;
}

/* how far s is past the sequence we expected, modulo 2^31 */
static uint32_t seq_gap(uint32_t s, uint32_t expected)
{
	return (s - expected) & SEQ_MASK;
}

static void count_lost(struct nestio_veventq *q, uint32_t n)
{
	q->pending_lost += n;
	q->lost += n;
}

/*
 * Parses len bytes of events into ev (room for at most max), accounting
 * every sequence: the number of events filled. Bytes that are no whole
 * event of q->rec_len (a record length the library got wrong, a kernel it
 * does not know) end the parse with *bad set: the events before them are
 * filled and accounted, the bad one is not (its number shows as a gap in
 * the next event's, so it is counted lost).
 */
static unsigned int parse(struct nestio_veventq *q, const uint8_t *buf,
			  size_t len, struct nestio_vevent *ev, unsigned int max,
			  bool *bad)
{
	unsigned int n = 0;
	size_t off = 0;

	*bad = false;
	while (off < len) {
		struct kabi_vevent_header h;
		struct nestio_vevent *e;
		uint32_t s;

		if (len - off < HDR_LEN) {
			*bad = true;
			break;
		}
		memcpy(&h, buf + off, HDR_LEN);
		off += HDR_LEN;
		s = h.sequence & SEQ_MASK;
		if (h.flags & KABI_VEVENTQ_FLAG_LOST_EVENTS) {
			/* every event up to and including s was lost */
			count_lost(q, seq_gap(s, q->expected) + 1);
			q->expected = (s + 1) & SEQ_MASK;
			continue;
		}
		if (len - off < q->rec_len || n == max) {
			*bad = true;
			break;
		}
		count_lost(q, seq_gap(s, q->expected));
		q->expected = (s + 1) & SEQ_MASK;
		e = &ev[n++];
		memset(e, 0, sizeof(*e));
		e->sequence = s;
		e->lost = q->pending_lost;
		e->len = q->rec_len;
		memcpy(e->data, buf + off, q->rec_len);
		off += q->rec_len;
		q->pending_lost = 0;
	}
	return n;
}

/*
 * For a type whose record length the library does not know: read the head
 * event alone, with room for a header and 8, 16, ... 64 record bytes. The
 * kernel refuses (EINVAL) a read that cannot hold the head event, and a
 * read with less than a header to spare after it returns it alone, so the
 * first read it accepts returns exactly one event: its length is the
 * record's. A lost-events header at the head comes alone (a record needs
 * at least 1 byte, and there are 8 to spare at most), and is accounted.
 * 1: learned (the event is in *ev), 0: the queue is empty, -errno.
 */
static int learn_rec_len(struct nestio_veventq *q, struct nestio_vevent *ev)
{
	struct nestio_ctx *ctx = q->obj.ctx;
	uint8_t buf[HDR_LEN + REC_MAX];
	uint32_t room = 8;
	ssize_t got;
	bool bad;

	while (room <= REC_MAX) {
		got = nio_read(ctx, q->fd, buf, HDR_LEN + room);
		if (got == -EINVAL) {
			room += 8;
			continue;
		}
		if (got == -EAGAIN || got == 0)
			return 0;
		if (got < 0)
			return (int)got;
		if ((size_t)got < HDR_LEN || (size_t)got > HDR_LEN + room)
			return -EIO;
		if (((struct kabi_vevent_header *)buf)->flags &
		    KABI_VEVENTQ_FLAG_LOST_EVENTS) {
			if (got != HDR_LEN)
				return -EIO;
			parse(q, buf, HDR_LEN, ev, 0, &bad);
			continue;
		}
		if ((size_t)got == HDR_LEN)
			return -EIO;	/* an event with no record */
		q->rec_len = (uint32_t)got - HDR_LEN;
		dbg(ctx, "veventq %u: records of type %#x are %u bytes",
		    q->obj.id, q->type, q->rec_len);
		return parse(q, buf, (size_t)got, ev, 1, &bad) == 1 && !bad ? 1
									     : -EIO;
	}
	err(ctx, "veventq %u: a record of type %#x is over %u bytes",
	    q->obj.id, q->type, REC_MAX);
	return -E2BIG;
}

NESTIO_EXPORT int nestio_veventq_read(struct nestio_veventq *q,
				      struct nestio_vevent *ev,
				      unsigned int max)
{
	uint8_t buf[CHUNK * (HDR_LEN + REC_MAX)];
	unsigned int n = 0;
	bool bad;

	if (!veventq_ok(q) || !ev || max == 0 || max > INT32_MAX)
		return -EINVAL;
	/* an error met after events that were returned: its turn now */
	if (q->err) {
		int r = q->err;

		q->err = 0;
		return r;
	}
	if (!q->rec_len) {
		int r = learn_rec_len(q, ev);

		if (r <= 0)
			return r;
		n = 1;
	}
	while (n < max) {
		unsigned int want = max - n < CHUNK ? max - n : CHUNK;
		size_t len = want * (HDR_LEN + q->rec_len);
		ssize_t got = nio_read(q->obj.ctx, q->fd, buf, len);

		if (got == -EAGAIN || got == 0)
			break;
		if (got < 0) {
			/* EINVAL: a record longer than the type's (a kernel
			 * this library does not know) */
			if (got == -EINVAL)
				got = -EIO;
			if (!n)
				return (int)got;
			q->err = (int)got;
			break;
		}
		/* at most want events fit in len bytes; the ones parsed before
		 * a bad one are returned (the sequence has moved past them),
		 * the error comes with the next call */
		n += parse(q, buf, (size_t)got, ev + n, want, &bad);
		if (bad) {
			err(q->obj.ctx, "veventq %u: %zd bytes are no whole events",
			    q->obj.id, got);
			if (!n)
				return -EIO;
			q->err = -EIO;
			break;
		}
		/* room for one more event was left: the queue is empty */
		if ((size_t)got + HDR_LEN + q->rec_len <= len)
			break;
	}
	return (int)n;
}

NESTIO_EXPORT int nestio_veventq_set_handler(struct nestio_veventq *q,
					     void (*fn)(struct nestio_veventq *q,
							const struct nestio_vevent *ev,
							void *data),
					     void *data)
{
	if (!veventq_ok(q))
		return -EINVAL;
	q->fn = fn;
	q->data = data;
	return 0;
}

/* nestio_ctx_dispatch(): everything there is, one handler call per event */
static int veventq_drain(void *obj)
{
	struct nestio_veventq *q = obj;
	struct nestio_vevent ev[CHUNK];
	int total = 0, r;

	if (!q->fn)
		return -ENOENT;
	nestio_veventq_ref(q);	/* the handler may drop the caller's ref */
	do {
		/* what was read is delivered, even if the handler changes */
		void (*fn)(struct nestio_veventq *, const struct nestio_vevent *,
			   void *) = q->fn;
		void *data = q->data;

		r = nestio_veventq_read(q, ev, CHUNK);
		for (int i = 0; i < r; i++)
			fn(q, &ev[i], data);
		if (r > 0)
			total += r;
		/* after a short read that met an error, one more: the error */
	} while ((r == CHUNK || (r > 0 && q->err)) && q->fn &&
		 nio_obj_refcount(&q->obj) > 1);
	nestio_veventq_unref(q);
	return r < 0 ? r : total;
}

/*
 * An SMMUv3 event record (four little-endian words) in fields, after the
 * Arm SMMUv3 architecture: word 0 the event type, SSV, SubstreamID and
 * StreamID; word 1 STAG, Stall, PnU, InD, RnW, S2 and the fault class;
 * word 2 the input address; word 3 the IPA or the fetch address.
 */
#define EVT_FIELD(v, hi, lo) (((v) >> (lo)) & ((1ull << ((hi) - (lo) + 1)) - 1))

NESTIO_EXPORT int nestio_vevent_decode_smmuv3(const struct nestio_vevent *ev,
					      struct nestio_smmuv3_event *out)
{
	uint64_t w[4];

	if (!ev || !out || ev->len < sizeof(w))
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		w[i] = le64toh(ev->data[i]);
	*out = (struct nestio_smmuv3_event){
		.id = (uint8_t)EVT_FIELD(w[0], 7, 0),
		.fault_class = (uint8_t)EVT_FIELD(w[1], 41, 40),
		.stag = (uint16_t)EVT_FIELD(w[1], 15, 0),
		.flags = (w[0] & (1ull << 11) ? NESTIO_SMMUV3_EVF_SSV : 0) |
			 (w[1] & (1ull << 31) ? NESTIO_SMMUV3_EVF_STALL : 0) |
			 (w[1] & (1ull << 33) ? NESTIO_SMMUV3_EVF_PRIV : 0) |
			 (w[1] & (1ull << 34) ? NESTIO_SMMUV3_EVF_INSTR : 0) |
			 (w[1] & (1ull << 35) ? NESTIO_SMMUV3_EVF_READ : 0) |
			 (w[1] & (1ull << 39) ? NESTIO_SMMUV3_EVF_S2 : 0),
		.sid = (uint32_t)EVT_FIELD(w[0], 63, 32),
		.ssid = (uint32_t)EVT_FIELD(w[0], 31, 12),
		.addr = w[2],
		.ipa = w[3] & (EVT_FIELD(~0ull, 51, 12) << 12),
		.fetch_addr = w[3] & (EVT_FIELD(~0ull, 51, 3) << 3),
	};
	return 0;
}

/*
 * A Tegra241 CMDQV vEVENT: the VINTF's 128-bit logical-VCMDQ error map, two
 * little-endian words as the hardware's LVCMDQ_ERR_MAP registers give it.
 */
NESTIO_EXPORT int nestio_vevent_decode_tegra241_cmdqv(const struct nestio_vevent *ev,
						      struct nestio_tegra241_cmdqv_event *out)
{
	if (!ev || !out || ev->len < sizeof(struct kabi_vevent_tegra241_cmdqv))
		return -EINVAL;
	*out = (struct nestio_tegra241_cmdqv_event){
		.lvcmdq_err_map = { le64toh(ev->data[0]), le64toh(ev->data[1]) },
	};
	return 0;
}
