// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the invalidation queue (lib/invq.c, lib/invq-rules.c,
 * lib/invalidate.c) through the public API, with the kernel's answers to
 * IOMMU_HWPT_INVALIDATE taken from the input, against an oracle.
 *
 * Input: the queue (VT-d on a nested hwpt or SMMUv3 on a vIOMMU; coalescing
 * or not; ATC_INV batches of their own or not; a small capacity, so that
 * pushes flush), then steps: push one entry, push several, flush, discard.
 * Entries come from small values so that they overlap and repeat. Each
 * IOMMU_HWPT_INVALIDATE is answered from the input too: all done, a failure
 * at entry k with an errno (EINTR: retried), or a count that cannot be
 * right (all of them on an error, fewer on a success).
 *
 * The fake kernel records what it carried out: on a failure at k, VT-d
 * (which carries out each entry before counting it) did [0, k); an SMMUv3
 * driver, which may count commands it never issued, did nothing.
 *
 * The oracle: the counters balance (pushed = sent + merged + pending +
 * discarded, the ioctls and failures are the calls the kernel saw and
 * failed, sent never exceeds what the kernel carried out); every call is
 * well formed (target id, data type, entry size, 1..capacity entries); and
 * once an honest kernel has flushed the queue empty, with nothing
 * discarded, coalescing dropped nothing: every VT-d page pushed was
 * invalidated after its push by an entry as strong (a non-leaf one, or a
 * leaf one for a leaf entry), every SMMUv3 command pushed was issued after
 * its push, a scoped TLB invalidation possibly as a full one.
 */
#include <errno.h>
#include <string.h>

#include "fakekernel.h"
#include "fuzz.h"

#define MAXE 1024
#define PG 12

struct inv_rec {
	uint8_t e[24];		/* a nestio_inv_vtd or nestio_inv_smmuv3 */
	uint32_t when;		/* the ioctl it was pushed before / done in */
};

static struct fz in;
static bool smmu, honest;
static uint32_t target_id, capacity, elen;
static struct inv_rec pushed[MAXE], done[4 * MAXE];
static uint32_t npushed, ndone, nioctls, nfailed;
static uint64_t ncovered, nflushes;

static int answer(int fd, unsigned long request, void *arg)
{
	struct kabi_hwpt_invalidate *c = arg;
	const uint8_t *e;
	uint32_t num, k = 0;
	uint8_t op;
	int err = 0;

	if (request != KABI_IOMMU_HWPT_INVALIDATE)
		return fake_kernel(fd, request, arg);
	num = c->entry_num;
	FZ_CHECK(c->hwpt_id == target_id);
	FZ_CHECK(c->data_type == (smmu ? KABI_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3
				       : KABI_HWPT_INVALIDATE_DATA_VTD_S1));
	FZ_CHECK(c->entry_len == elen && num >= 1 && num <= capacity);
	op = honest ? 0 : fz_u8(&in);
	switch (op % 8) {
	case 4:		/* a failure at k */
	case 5: {
		static const int errs[] = { EIO, EINVAL, ETIMEDOUT, ENOMEM };

		k = fz_u8(&in) % num;
		err = errs[(op >> 3) % 4];
		c->entry_num = k;
		break;
	}
	case 6:		/* EINTR: nothing done, the library asks again */
		errno = EINTR;
		c->entry_num = 0;
		return -1;
	case 7:		/* a count that cannot be right */
		if (op & 0x80) {
			err = EIO;
			c->entry_num = num + (op >> 3) % 2;
		} else {
			c->entry_num = num - 1;	/* "success": the kernel's bug */
			k = 0;
		}
		break;
	default:	/* all done */
		k = num;
		break;
	}
	nioctls++;
	if (err || c->entry_num != num)
		nfailed++;
	/* what was carried out */
	if (err && smmu)
		k = 0;
	e = (const uint8_t *)(uintptr_t)c->data_uptr;
	for (uint32_t i = 0; i < k && ndone < 4 * MAXE; i++) {
		memcpy(done[ndone].e, e + (size_t)i * elen, elen);
		done[ndone++].when = nioctls;
	}
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* ---- entries from small values ---- */

static void vtd_entry(struct nestio_inv_vtd *v)
{
	uint8_t a = fz_u8(&in), n = fz_u8(&in);

	memset(v, 0, sizeof(*v));
	v->addr = (uint64_t)(a % 64) << PG;
	v->npages = 1 + n % 16;
	v->flags = a & 0x40 ? NESTIO_INV_VTD_LEAF : 0;
	if (n == 0xff) {
		v->addr = 0;
		v->npages = NESTIO_INV_VTD_ALL;
	} else if (n == 0xfe) {
		v->npages = 0;		/* malformed: refused at push */
	} else if (a == 0xff) {
		v->addr |= 0x800;	/* unaligned: refused */
	}
}

static void smmu_entry(struct nestio_inv_smmuv3 *s)
{
	/* TLBI_NH_ALL, _ASID, _VA, _VAA, S12_VMALL, S2_IPA, NSNH_ALL,
	 * ATC_INV, CFGI_STE, CFGI_CD, and an opcode nobody knows */
	static const uint8_t ops[] = { 0x10, 0x11, 0x12, 0x13, 0x28, 0x2a,
				       0x30, 0x40, 0x03, 0x05, 0x7f };
	uint8_t o = fz_u8(&in), a = fz_u8(&in);

	s->cmd[0] = ops[o % sizeof(ops)] | (uint64_t)(a % 4) << 32;
	s->cmd[1] = (uint64_t)(a >> 2 & 3) << PG;
}

static bool vtd_ok(const struct nestio_inv_vtd *v)
{
	return v->npages && !(v->addr & 0xfff);
}

/* ---- the coverage oracle ---- */

static bool vtd_covered(const struct inv_rec *p)
{
	struct nestio_inv_vtd e, h;
	uint64_t first, last, next;
	bool progress = true;

	memcpy(&e, p->e, sizeof(e));
	if (e.npages == NESTIO_INV_VTD_ALL) {
		first = 0;
		last = UINT64_MAX >> PG;
	} else {
		first = e.addr >> PG;
		last = first + e.npages - 1;
	}
	/* walk up from first, taking any range as strong that starts at or
	 * before the next page not covered yet */
	next = first;
	while (progress) {
		progress = false;
		for (uint32_t i = 0; i < ndone; i++) {
			uint64_t hf, hl;

			if (done[i].when <= p->when)
				continue;
			memcpy(&h, done[i].e, sizeof(h));
			if (h.flags & ~e.flags)
				continue;	/* leaf does not cover non-leaf */
			if (h.npages == NESTIO_INV_VTD_ALL)
				return true;
			hf = h.addr >> PG;
			hl = hf + h.npages - 1;
			if (hf <= next && hl >= next) {
				if (hl >= last)
					return true;
				next = hl + 1;
				progress = true;
			}
		}
	}
	return false;
}

static bool smmu_covered(const struct inv_rec *p)
{
	struct nestio_inv_smmuv3 e, h;
	uint8_t op;

	memcpy(&e, p->e, sizeof(e));
	op = e.cmd[0] & 0xff;
	for (uint32_t i = 0; i < ndone; i++) {
		uint8_t hop;

		if (done[i].when <= p->when)
			continue;
		memcpy(&h, done[i].e, sizeof(h));
		hop = h.cmd[0] & 0xff;
		if (!memcmp(&h, &e, sizeof(e)))
			return true;
		if (op >= 0x11 && op <= 0x13 && (hop == 0x10 || hop == 0x30))
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool counted;
	struct nestio_invq_opts o = { .sz = sizeof(o) };
	struct nestio_hwpt *parent, *nested;
	struct nestio_viommu *viommu;
	struct nestio_invq_stats st = { .sz = sizeof(st) };
	struct nestio_invq *q = NULL;
	uint64_t discarded = 0;
	uint8_t cfg;
	int steps = 200, r;

	if (!counted) {
		counted = true;
		fz_count_at_exit("invq", "entries-covered", &ncovered);
		fz_count_at_exit("invq", "flushes", &nflushes);
	}
	in = fz_init(data, size);
	cfg = fz_u8(&in);
	smmu = cfg & 1;
	honest = false;
	capacity = 1 + fz_u8(&in) % 16;
	elen = smmu ? sizeof(struct nestio_inv_smmuv3) : sizeof(struct nestio_inv_vtd);
	o.capacity = capacity;
	o.flags = (cfg & 2 ? NESTIO_INVQ_COALESCE : 0) |
		  (smmu && cfg & 4 ? NESTIO_INVQ_ATC_SEPARATE : 0);
	npushed = ndone = nioctls = nfailed = 0;

	fz_fixture_up();
	fz_nest_objs(&parent, &nested, &viommu);
	tu_seam_answer = answer;
	if (smmu) {
		target_id = nestio_viommu_get_id(viommu);
		FZ_CHECK(nestio_invq_new_viommu(viommu, NESTIO_INV_ARM_SMMUV3, &o, &q) == 0);
	} else {
		target_id = nestio_hwpt_get_id(nested);
		FZ_CHECK(nestio_invq_new(nested, NESTIO_INV_VTD_S1, &o, &q) == 0);
	}

	while (!fz_empty(&in) && steps--) {
		uint8_t step = fz_u8(&in);
		uint64_t ents[8][3];	/* entries, aligned as the structs */
		struct nestio_invq_fail fail = { .sz = sizeof(fail) };
		uint32_t n = 1, when = nioctls, all_ok = 1;

		switch (step % 8) {
		case 4:
			n = 1 + (step >> 3) % 8;
			/* fall through */
		case 0: case 1: case 2: case 3:
			for (uint32_t i = 0; i < n; i++) {
				if (smmu) {
					smmu_entry((struct nestio_inv_smmuv3 *)ents[i]);
				} else {
					vtd_entry((struct nestio_inv_vtd *)ents[i]);
					all_ok &= vtd_ok((struct nestio_inv_vtd *)ents[i]);
				}
			}
			{
				uint8_t flat[8 * 24];

				for (uint32_t i = 0; i < n; i++)
					memcpy(flat + i * elen, ents[i], elen);
				r = nestio_invq_push_many(q, flat, elen, n);
			}
			if (!all_ok) {
				FZ_CHECK(r == -EINVAL);
				break;
			}
			FZ_CHECK(r <= (int)n);
			for (int i = 0; i < r && npushed < MAXE; i++) {
				memcpy(pushed[npushed].e, ents[i], elen);
				pushed[npushed++].when = when;
			}
			break;
		case 5:
		case 7:
			nflushes++;
			r = nestio_invq_flush(q, step % 8 == 5 ? &fail : NULL);
			if (r < 0 && step % 8 == 5)
				FZ_CHECK(fail.error == r && fail.entry_len == elen);
			break;
		default:
			r = nestio_invq_discard(q, (step >> 3) % 4);
			FZ_CHECK(r >= 0);
			discarded += (uint64_t)r;
			break;
		}
		FZ_CHECK(nestio_invq_get_stats(q, &st) == 0);
		FZ_CHECK(st.pushed == npushed);
		FZ_CHECK(st.pushed == st.sent + st.merged +
			 (uint64_t)nestio_invq_pending(q) + discarded);
		FZ_CHECK(st.ioctls == nioctls && st.failures == nfailed);
		FZ_CHECK(st.sent <= ndone);
	}

	/* an honest kernel empties it */
	honest = true;
	nflushes++;
	FZ_CHECK(nestio_invq_flush(q, NULL) >= 0);
	FZ_CHECK(nestio_invq_pending(q) == 0);
	FZ_CHECK(nestio_invq_get_stats(q, &st) == 0);
	FZ_CHECK(st.pushed == st.sent + st.merged + discarded);
	FZ_CHECK(st.ioctls == nioctls && st.failures == nfailed);
	if (!discarded && npushed < MAXE && ndone < 4 * MAXE) {
		for (uint32_t i = 0; i < npushed; i++) {
			FZ_CHECK(smmu ? smmu_covered(&pushed[i]) : vtd_covered(&pushed[i]));
			ncovered++;
		}
	}
	nestio_invq_unref(q);
	nestio_viommu_unref(viommu);
	nestio_hwpt_unref(nested);
	nestio_hwpt_unref(parent);
	fz_fixture_down();
	return 0;
}
