// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: the invalidation queue's coalescing rules
 * (lib/invq-rules.c) through the batch recorder of invq-rec.h: VT-d ranges
 * and SMMUv3 commands from tables, ATC commands in batches of their own,
 * and on random input the coalesced batch is checked to be equivalent to
 * what was pushed.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "invq-rec.h"

/* ========================================================= VT-d coalescing */

struct vtd_case {
	const char *name;
	struct nestio_inv_vtd in[6], out[6];
	uint32_t nin, nout;
};

#define TOP PG(TOP_PAGE)
static const struct vtd_case vtd_cases[] = {
	{ "overlap", { VTD(0x1000, 4, 0), VTD(0x3000, 4, 0) }, { VTD(0x1000, 6, 0) }, 2, 1 },
	{ "adjacent", { VTD(0x1000, 2, 0), VTD(0x3000, 2, 0) }, { VTD(0x1000, 4, 0) }, 2, 1 },
	{ "adjacent below", { VTD(0x3000, 2, LEAF), VTD(0x1000, 2, LEAF) },
	  { VTD(0x1000, 4, LEAF) }, 2, 1 },
	{ "gap", { VTD(0x1000, 1, 0), VTD(0x3000, 1, 0) },
	  { VTD(0x1000, 1, 0), VTD(0x3000, 1, 0) }, 2, 2 },
	{ "duplicate", { VTD(0x5000, 3, LEAF), VTD(0x5000, 3, LEAF), VTD(0x5000, 3, LEAF) },
	  { VTD(0x5000, 3, LEAF) }, 3, 1 },
	{ "contained", { VTD(0, 16, 0), VTD(0x4000, 1, 0) }, { VTD(0, 16, 0) }, 2, 1 },
	{ "flags differ", { VTD(0x1000, 2, LEAF), VTD(0x1000, 2, 0), VTD(0x3000, 1, LEAF) },
	  { VTD(0x1000, 3, LEAF), VTD(0x1000, 2, 0) }, 3, 2 },
	{ "order kept", { VTD(0x9000, 1, 0), VTD(0x5000, 1, 0), VTD(0x1000, 1, LEAF) },
	  { VTD(0x9000, 1, 0), VTD(0x5000, 1, 0), VTD(0x1000, 1, LEAF) }, 3, 3 },
	{ "first position", { VTD(0x5000, 1, 0), VTD(0x1000, 1, 0), VTD(0x6000, 1, 0) },
	  { VTD(0x5000, 2, 0), VTD(0x1000, 1, 0) }, 3, 2 },
	{ "a merge takes its earliest position", { VTD(0x3000, 1, 0), VTD(0x9000, 1, 0),
	  VTD(0x2000, 1, 0) }, { VTD(0x2000, 2, 0), VTD(0x9000, 1, 0) }, 3, 2 },
	{ "chain", { VTD(0x1000, 1, 0), VTD(0x5000, 1, 0), VTD(0x3000, 2, 0), VTD(0x2000, 1, 0) },
	  { VTD(0x1000, 5, 0) }, 4, 1 },
	{ "full flush covers all", { VTD(0x1000, 1, LEAF), VTD(0, ALL, 0), VTD(0x8000, 9, 0) },
	  { VTD(0, ALL, 0) }, 3, 1 },
	{ "leaf full flush covers leaf", { VTD(0x1000, 1, LEAF), VTD(0x2000, 1, 0),
	  VTD(0, ALL, LEAF), VTD(0x7000, 1, LEAF) },
	  { VTD(0x2000, 1, 0), VTD(0, ALL, LEAF) }, 4, 2 },
	{ "leaf full flush under a full flush", { VTD(0, ALL, LEAF), VTD(0x1000, 1, 0),
	  VTD(0, ALL, 0), VTD(0, ALL, LEAF) },
	  { VTD(0, ALL, 0) }, 4, 1 },
	{ "full flushes twice", { VTD(0, ALL, 0), VTD(0, ALL, 0) }, { VTD(0, ALL, 0) }, 2, 1 },
	{ "leaf full flush keeps non-leaf", { VTD(0x3000, 1, 0), VTD(0, ALL, LEAF), VTD(0x4000, 1, 0) },
	  { VTD(0x3000, 2, 0), VTD(0, ALL, LEAF) }, 3, 2 },
	{ "top of the space", { VTD(TOP, 1, 0), VTD(TOP - 0x1000, 1, 0) },
	  { VTD(TOP - 0x1000, 2, 0) }, 2, 1 },
	{ "top overlap", { VTD(TOP - 0x3000, 4, LEAF), VTD(TOP - 0x1000, 2, LEAF) },
	  { VTD(TOP - 0x3000, 4, LEAF) }, 2, 1 },
	{ "whole space as a range", { VTD(0, 1ull << 51, 0), VTD(PG(1ull << 51), 1ull << 51, 0) },
	  { VTD(0, 1ull << 52, 0) }, 2, 1 },
	{ "whole range is not a full flush", { VTD(0, 1ull << 52, 0), VTD(0x1000, 1, LEAF) },
	  { VTD(0, 1ull << 52, 0), VTD(0x1000, 1, LEAF) }, 2, 2 },
	{ "full flush and top", { VTD(TOP, 1, 0), VTD(0, ALL, 0) }, { VTD(0, ALL, 0) }, 2, 1 },
};

START_TEST(test_vtd_coalesce)
{
	const struct vtd_case *c = &vtd_cases[_i];
	struct nestio_invq *q = vtd_q(NESTIO_INVQ_COALESCE, 0);

	push_vtds(q, c->in, c->nin);
	ck_assert_msg(nestio_invq_flush(q, NULL) == (int)c->nout, "%s", c->name);
	ck_assert_int_eq(nbatch, 1);
	expect_vtd_batch(0, c->out, c->nout);
	EXPECT_INVQ_STATS(q,
			  .pushed = WANT(c->nin), .merged = WANT(c->nin - c->nout),
			  .sent = WANT(c->nout));
	nestio_invq_unref(q);

	/* without COALESCE the same input goes out as it is */
	rec_reset();
	q = vtd_q(0, 0);
	push_vtds(q, c->in, c->nin);
	ck_assert_int_eq(nestio_invq_flush(q, NULL), (int)c->nin);
	expect_vtd_batch(0, c->in, c->nin);
	EXPECT_INVQ_STATS(q, .merged = WANT(0));
	nestio_invq_unref(q);
}
END_TEST

/* a failure after coalescing keeps the coalesced entries, in order */
START_TEST(test_vtd_coalesce_failure)
{
	struct nestio_invq *q = vtd_q(NESTIO_INVQ_COALESCE, 0);
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	static const struct nestio_inv_vtd in[] = {
		VTD(0x1000, 1, 0), VTD(0x9000, 1, 0), VTD(0x2000, 1, 0), VTD(0x20000, 1, LEAF),
	};
	static const struct nestio_inv_vtd out[] = {
		VTD(0x1000, 2, 0), VTD(0x9000, 1, 0), VTD(0x20000, 1, LEAF),
	};

	push_vtds(q, in, 4);
	fk_answers(1, &(struct fk_answer){ .err = EINVAL, .handled = 1 });
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EINVAL);
	expect_vtd_batch(0, out, 3);
	ck_assert_uint_eq(fail.index, 1);
	ck_assert(!memcmp(fail.entry, &out[1], sizeof(out[1])));
	ck_assert_int_eq(nestio_invq_pending(q), 2);
	EXPECT_INVQ_STATS(q, .merged = WANT(1));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 2);
	expect_vtd_batch(1, &out[1], 2);
	EXPECT_INVQ_STATS(q, .merged = WANT(1));
	nestio_invq_unref(q);
}
END_TEST

/* --------------------------------------------- VT-d: randomized property */

/* the model: per page, 0 nothing, 1 leaf, 2 non-leaf (which covers leaf) */
static int vtd_level(const struct nestio_inv_vtd *e, size_t n, uint64_t page)
{
	int lvl = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t first = e[i].addr >> 12;
		bool in = e[i].npages == ALL ||
			  (page >= first && page - first < e[i].npages);
		int l = e[i].flags & LEAF ? 1 : 2;

		if (in && l > lvl)
			lvl = l;
	}
	return lvl;
}

static uint32_t rnd(unsigned int *seed, uint32_t n)
{
	return (uint32_t)(rand_r(seed) % n);
}

START_TEST(test_vtd_coalesce_random)
{
	unsigned int seed = 0x5eed0000u + (unsigned int)_i;
	struct nestio_inv_vtd in[64], out[64];
	uint32_t n = 1 + rnd(&seed, 63), nout;
	struct nestio_invq *q = vtd_q(NESTIO_INVQ_COALESCE, 64);
	int r;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t kind = rnd(&seed, 20);
		uint32_t flags = rnd(&seed, 2) ? LEAF : 0;

		if (kind == 0) {
			in[i] = VTD(0, ALL, flags);
		} else if (kind == 1) {		/* near the top of the space */
			uint64_t back = rnd(&seed, 8);

			in[i] = VTD(PG(TOP_PAGE - back), 1 + rnd(&seed, (uint32_t)back + 1), flags);
		} else {
			in[i] = VTD(PG(rnd(&seed, 64)), 1 + rnd(&seed, 8), flags);
		}
	}
	push_vtds(q, in, n);
	r = nestio_invq_flush(q, NULL);
	ck_assert_int_gt(r, 0);
	ck_assert_int_le(r, (int)n);
	nout = (uint32_t)r;
	ck_assert_int_eq(nbatch, 1);
	ck_assert_uint_eq(batches[0].entry_num, nout);
	for (uint32_t i = 0; i < nout; i++) {
		struct kabi_hwpt_vtd_s1_invalidate k;

		memcpy(&k, bent(0, i), sizeof(k));
		ck_assert_uint_eq(k.reserved, 0);
		out[i] = VTD(k.addr, k.npages, k.flags ? LEAF : 0);
		/* a valid entry */
		ck_assert_uint_eq(k.addr & 0xfff, 0);
		ck_assert_uint_ne(k.npages, 0);
		ck_assert(k.npages == ALL ? k.addr == 0
					  : k.npages <= (1ull << 52) - (k.addr >> 12));
	}
	EXPECT_INVQ_STATS(q, .merged = WANT(n - nout));
	/* the same (page, level) everywhere it could differ */
	for (uint64_t p = 0; p < 80; p++)
		ck_assert_msg(vtd_level(in, n, p) == vtd_level(out, nout, p),
			      "seed %d page %llu", _i, (unsigned long long)p);
	for (uint64_t p = TOP_PAGE - 12; p <= TOP_PAGE; p++)
		ck_assert_int_eq(vtd_level(in, n, p), vtd_level(out, nout, p));
	ck_assert_int_eq(vtd_level(in, n, 1ull << 40), vtd_level(out, nout, 1ull << 40));
	/* and nothing left to merge: a non-leaf full flush stands alone,
	 * same flags never overlap or touch */
	for (uint32_t i = 0; i < nout; i++)
		if (out[i].npages == ALL && !out[i].flags)
			ck_assert_uint_eq(nout, 1);
	for (uint32_t i = 0; i < nout; i++)
		for (uint32_t j = 0; j < nout; j++) {
			uint64_t fi = out[i].addr >> 12, fj = out[j].addr >> 12;

			if (i == j || out[i].flags != out[j].flags)
				continue;
			ck_assert(out[i].npages != ALL);
			ck_assert_msg(fj > fi + out[i].npages || fj < fi,
				      "seed %d: %u and %u could merge", _i, i, j);
		}
	nestio_invq_unref(q);
}
END_TEST

/* ====================================================== SMMUv3 coalescing */

#define NH_VA(asid, va) SMMU(0x12 | (uint64_t)(asid) << 48, (uint64_t)(va) << 12)
#define NH_VAA(va) SMMU(0x13, (uint64_t)(va) << 12)
#define NH_ASID(asid) SMMU(0x11 | (uint64_t)(asid) << 48, 0)
#define NH_ALL SMMU(0x10, 0)
#define NSNH_ALL SMMU(0x30, 0)
#define S12_VMALL SMMU(0x28, 0)
#define ATC(sid, a) SMMU(0x40 | (uint64_t)(sid) << 32, (uint64_t)(a) << 12)
#define CFGI_STE(sid) SMMU(0x03 | (uint64_t)(sid) << 32, 0)
#define CFGI_CD(sid) SMMU(0x05 | (uint64_t)(sid) << 32, 0)
#define CMD_SYNC SMMU(0x46, 0)
#define OP(op) SMMU((op), 0)

struct smmu_case {
	const char *name;
	struct nestio_inv_smmuv3 in[6], out[6];
	uint32_t nin, nout;
};

static const struct smmu_case smmu_cases[] = {
	{ "duplicate", { NH_VA(1, 5), NH_VA(1, 5) }, { NH_VA(1, 5) }, 2, 1 },
	{ "not a duplicate", { NH_VA(1, 5), NH_VA(2, 5), NH_VA(1, 6) },
	  { NH_VA(1, 5), NH_VA(2, 5), NH_VA(1, 6) }, 3, 3 },
	{ "duplicate keeps the first", { NH_VA(1, 5), ATC(1, 0), NH_VA(1, 5) },
	  { NH_VA(1, 5), ATC(1, 0) }, 3, 2 },
	{ "nothing crosses a CFGI", { NH_VA(1, 5), CFGI_STE(1), NH_VA(1, 5) },
	  { NH_VA(1, 5), CFGI_STE(1), NH_VA(1, 5) }, 3, 3 },
	{ "CFGI twice stays twice", { CFGI_CD(2), CFGI_CD(2) },
	  { CFGI_CD(2), CFGI_CD(2) }, 2, 2 },
	{ "NH_ALL covers later", { NH_ALL, NH_VA(1, 5), NH_VAA(3), NH_ASID(2) },
	  { NH_ALL }, 4, 1 },
	{ "NH_ALL covers earlier", { NH_VA(1, 5), NH_ASID(2), NH_ALL }, { NH_ALL }, 3, 1 },
	{ "not across an ATC_INV", { NH_VA(1, 5), ATC(1, 0), NH_ALL },
	  { NH_VA(1, 5), ATC(1, 0), NH_ALL }, 3, 3 },
	{ "NH_ALL in its segment only", { NH_ALL, CFGI_STE(1), NH_VA(1, 5) },
	  { NH_ALL, CFGI_STE(1), NH_VA(1, 5) }, 3, 3 },
	{ "NH_ALL in its segment only (before)", { NH_VA(1, 5), CFGI_CD(1), NH_ALL, NH_VA(1, 6) },
	  { NH_VA(1, 5), CFGI_CD(1), NH_ALL }, 4, 3 },
	{ "NSNH_ALL covers", { NSNH_ALL, NH_ASID(4), NH_VA(4, 1) }, { NSNH_ALL }, 3, 1 },
	{ "NH_ALL twice", { NH_ALL, ATC(1, 0), NH_ALL }, { NH_ALL, ATC(1, 0) }, 3, 2 },
	{ "S12_VMALL is not covered", { NH_ALL, S12_VMALL, S12_VMALL },
	  { NH_ALL, S12_VMALL }, 3, 2 },
	{ "ATC duplicate", { ATC(1, 0), ATC(2, 0), ATC(1, 0) }, { ATC(1, 0), ATC(2, 0) }, 3, 2 },
	{ "ATC duplicate after a TLBI", { ATC(1, 0), NH_VA(1, 5), ATC(1, 0) },
	  { ATC(1, 0), NH_VA(1, 5), ATC(1, 0) }, 3, 3 },
	{ "CMD_SYNC is a barrier", { NH_VA(1, 5), CMD_SYNC, NH_VA(1, 5), NH_ALL },
	  { NH_VA(1, 5), CMD_SYNC, NH_ALL }, 4, 3 },
};

static void push_smmus(struct nestio_invq *q, const struct nestio_inv_smmuv3 *e,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(nestio_invq_push(q, &e[i], sizeof(e[i])), 0);
}

START_TEST(test_smmu_coalesce)
{
	const struct smmu_case *c = &smmu_cases[_i];
	struct nestio_invq *q = smmu_q(NESTIO_INVQ_COALESCE, 0);

	push_smmus(q, c->in, c->nin);
	ck_assert_msg(nestio_invq_flush(q, NULL) == (int)c->nout, "%s", c->name);
	ck_assert_int_eq(nbatch, 1);
	expect_smmu_batch(0, c->out, c->nout);
	EXPECT_INVQ_STATS(q, .merged = WANT(c->nin - c->nout));
	nestio_invq_unref(q);
}
END_TEST

/* every configuration opcode is a barrier */
START_TEST(test_smmu_barriers)
{
	for (uint64_t op = 0x01; op <= 0x0f; op++) {
		const struct nestio_inv_smmuv3 in[] = {
			NH_VA(1, 5), OP(op | 7ull << 32), NH_VA(1, 5), NH_ALL, OP(op),
			NH_ASID(1),
		};
		struct nestio_invq *q = smmu_q(NESTIO_INVQ_COALESCE, 0);

		rec_reset();
		push_smmus(q, in, ARRAY_SIZE(in));
		/* only the VA under the NH_ALL of the middle segment goes */
		ck_assert_int_eq(nestio_invq_flush(q, NULL), 5);
		expect_smmu_batch(0, (const struct nestio_inv_smmuv3[]){
			in[0], in[1], in[3], in[4], in[5] }, 5);
		nestio_invq_unref(q);
	}
}
END_TEST

static bool is_atc(const uint8_t *k)
{
	uint64_t c0;

	memcpy(&c0, k, sizeof(c0));
	return (le64toh(c0) & 0xff) == 0x40;
}

START_TEST(test_atc_separate)
{
	const struct nestio_inv_smmuv3 in[] = {
		NH_VA(1, 1), NH_VA(1, 2), ATC(1, 0), ATC(2, 0), NH_ASID(3),
		CFGI_STE(1), ATC(1, 1),
	};
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	struct nestio_invq *q = smmu_q(NESTIO_INVQ_ATC_SEPARATE, 0);

	push_smmus(q, in, ARRAY_SIZE(in));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 7);
	ck_assert_int_eq(nbatch, 4);
	expect_smmu_batch(0, &in[0], 2);
	expect_smmu_batch(1, &in[2], 2);
	expect_smmu_batch(2, &in[4], 2);
	expect_smmu_batch(3, &in[6], 1);
	EXPECT_INVQ_STATS(q, .ioctls = WANT(4));

	/* the second batch fails after one: the first stays sent; the one
	 * before the failed entry is sent again on its own (SMMUv3's count
	 * may cover commands the kernel never issued) */
	rec_reset();
	push_smmus(q, in, ARRAY_SIZE(in));
	fk_answers(2, (const struct fk_answer[]){ { .all = true },
					    { .err = EIO, .handled = 1 } });
	ck_assert_int_eq(nestio_invq_flush(q, &fail), -EIO);
	ck_assert_int_eq(nbatch, 3);
	expect_smmu_batch(2, &in[2], 1);		/* the re-send */
	ck_assert_uint_eq(fail.index, 1);		/* within its batch */
	ck_assert(!memcmp(fail.entry, &in[3], sizeof(in[3])));
	ck_assert_int_eq(nestio_invq_pending(q), 4);
	EXPECT_INVQ_STATS(q,
			  .sent = WANT(7 + 3), .failures = WANT(1),
			  .ioctls = WANT(4 + 3));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 4);
	expect_smmu_batch(3, &in[3], 1);
	expect_smmu_batch(4, &in[4], 2);
	expect_smmu_batch(5, &in[6], 1);
	nestio_invq_unref(q);

	/* without the quirk: one ioctl */
	rec_reset();
	q = smmu_q(0, 0);
	push_smmus(q, in, ARRAY_SIZE(in));
	ck_assert_int_eq(nestio_invq_flush(q, NULL), 7);
	ck_assert_int_eq(nbatch, 1);
	expect_smmu_batch(0, in, 7);
	nestio_invq_unref(q);
}
END_TEST

/* ------------------------------------------- SMMUv3: randomized property */

/*
 * The model: 6 TLB entries (ASID 1..2 x VA 0..2) and 4 ATC entries (SID
 * 1..2 x address 0..1), all stale at the start of a segment. A TLB
 * invalidation cleans what it names. An ATC_INV cleans its entry, but the
 * device may refill it at once from the TLB: the entry ends as stale as
 * the TLB was at the last ATC_INV that named it. Two segment runs are
 * equivalent when they leave the same state.
 */
struct smmu_state {
	uint32_t tlb;		/* stale bits, (asid - 1) * 3 + va */
	uint32_t atc[4];	/* (sid - 1) * 2 + addr: TLB bits it may hold */
};

static bool smmu_is_barrier(const struct nestio_inv_smmuv3 *e)
{
	switch (e->cmd[0] & 0xff) {
	case 0x10: case 0x11: case 0x12: case 0x13: case 0x28: case 0x30: case 0x40:
		return false;
	}
	return true;
}

static void smmu_run(struct smmu_state *s, const struct nestio_inv_smmuv3 *e)
{
	uint32_t asid = (uint32_t)(e->cmd[0] >> 48), va = (uint32_t)(e->cmd[1] >> 12);
	uint32_t sid = (uint32_t)(e->cmd[0] >> 32) & 0xffff;

	switch (e->cmd[0] & 0xff) {
	case 0x12: s->tlb &= ~(1u << ((asid - 1) * 3 + va)); break;
	case 0x13: s->tlb &= ~(1u << va | 1u << (3 + va)); break;
	case 0x11: s->tlb &= ~(7u << ((asid - 1) * 3)); break;
	case 0x10: case 0x30: case 0x28: s->tlb = 0; break;
	case 0x40: s->atc[(sid - 1) * 2 + va] = s->tlb; break;
	}
}

static struct nestio_inv_smmuv3 smmu_random(unsigned int *seed)
{
	uint32_t a = 1 + rnd(seed, 2), v = rnd(seed, 3);

	switch (rnd(seed, 14)) {
	case 0: case 1: case 2: return NH_VA(a, v);
	case 3: return NH_VAA(v);
	case 4: return NH_ASID(a);
	case 5: return NH_ALL;
	case 6: return NSNH_ALL;
	case 7: return S12_VMALL;
	case 8: case 9: case 10: return ATC(a, v & 1);
	case 11: return CFGI_STE(a);
	case 12: return CFGI_CD(a);
	default: return CMD_SYNC;
	}
}

START_TEST(test_smmu_coalesce_random)
{
	unsigned int seed = 0xc0ffee00u + (unsigned int)_i;
	unsigned int flags = NESTIO_INVQ_COALESCE |
			     (_i & 1 ? NESTIO_INVQ_ATC_SEPARATE : 0);
	struct nestio_inv_smmuv3 in[64], out[64];
	uint32_t n = 1 + rnd(&seed, 63), nout = 0, j = 0;
	struct nestio_invq *q = smmu_q(flags, 64);
	struct smmu_state si = { 0x3f, { 0x3f, 0x3f, 0x3f, 0x3f } }, so = si;
	int r;

	for (uint32_t i = 0; i < n; i++)
		in[i] = smmu_random(&seed);
	push_smmus(q, in, n);
	r = nestio_invq_flush(q, NULL);
	ck_assert_int_gt(r, 0);
	for (int b = 0; b < nbatch; b++) {
		for (uint32_t i = 0; i < batches[b].entry_num; i++) {
			uint64_t w[2];

			memcpy(w, bent(b, i), sizeof(w));
			out[nout++] = SMMU(le64toh(w[0]), le64toh(w[1]));
			/* ATC_SEPARATE: a batch is all ATC_INV or none */
			if (flags & NESTIO_INVQ_ATC_SEPARATE)
				ck_assert_int_eq(is_atc(bent(b, i)), is_atc(bent(b, 0)));
		}
		if (b && flags & NESTIO_INVQ_ATC_SEPARATE)
			ck_assert_int_ne(is_atc(bent(b, 0)), is_atc(bent(b - 1, 0)));
	}
	if (!(flags & NESTIO_INVQ_ATC_SEPARATE))
		ck_assert_int_eq(nbatch, 1);
	ck_assert_int_eq(r, (int)nout);
	EXPECT_INVQ_STATS(q, .merged = WANT(n - nout));
	/* a subsequence, with every barrier kept, and per segment the same
	 * end state */
	for (uint32_t i = 0; i < n; i++) {
		bool kept = j < nout && !memcmp(&in[i], &out[j], sizeof(in[i]));

		if (smmu_is_barrier(&in[i])) {
			ck_assert_msg(kept, "seed %d: barrier %u dropped or moved", _i, i);
			ck_assert_msg(si.tlb == so.tlb && !memcmp(si.atc, so.atc, sizeof(si.atc)),
				      "seed %d: segment before %u differs", _i, i);
			si = so = (struct smmu_state){ 0x3f, { 0x3f, 0x3f, 0x3f, 0x3f } };
			j++;
			continue;
		}
		smmu_run(&si, &in[i]);
		if (kept)
			smmu_run(&so, &out[j++]);
	}
	ck_assert_msg(j == nout, "seed %d: not a subsequence", _i);
	ck_assert_msg(si.tlb == so.tlb && !memcmp(si.atc, so.atc, sizeof(si.atc)),
		      "seed %d: last segment differs", _i);
	nestio_invq_unref(q);
}

int main(void)
{
	Suite *s = suite_create("invq-rules");
	TCase *tc;

	tc = fk_tcase(s, "coalesce", rec_setup, rec_teardown);
	tcase_add_loop_test(tc, test_vtd_coalesce, 0, ARRAY_SIZE(vtd_cases));
	tcase_add_test(tc, test_vtd_coalesce_failure);
	tcase_add_loop_test(tc, test_vtd_coalesce_random, 0, 300);
	tcase_add_loop_test(tc, test_smmu_coalesce, 0, ARRAY_SIZE(smmu_cases));
	tcase_add_test(tc, test_smmu_barriers);
	tcase_add_test(tc, test_atc_separate);
	tcase_add_loop_test(tc, test_smmu_coalesce_random, 0, 300);
	return tu_run(s);
}
