// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The invalidation queue's rules, one table entry per type (lib/invq.h):
 * how entries are checked and converted, and what coalescing may do. The
 * invariant of every coalescer: the batch it leaves has exactly the effect
 * of the batch it was given (tests/unit/test-invq-rules.c checks it on
 * random input).
 */
#include <endian.h>
#include <stdlib.h>

#include "internal.h"
#include "invq.h"
#include "kabi.h"

#define VTD_PAGE_SHIFT		12
#define VTD_PAGE_MASK		((1ull << VTD_PAGE_SHIFT) - 1)
#define VTD_SPACE_PAGES		(1ull << (64 - VTD_PAGE_SHIFT))

/* ------------------------------------------------------------------ VT-d */

/*
 * What a full flush (addr 0, npages NESTIO_INV_VTD_ALL) with these flags
 * covers, as a set of flags values (bit 1 << flags): a non-leaf one covers
 * every entry, a leaf one only leaf entries. Strongest first: a class
 * covered by a stronger full flush keeps no full flush of its own.
 */
static const struct vtd_class {
	uint32_t flags;
	uint32_t covers;
} vtd_classes[] = {
	{ 0, (1u << 0) | (1u << NESTIO_INV_VTD_LEAF) },
	{ NESTIO_INV_VTD_LEAF, 1u << NESTIO_INV_VTD_LEAF },
};
#define VTD_NCLASSES (sizeof(vtd_classes) / sizeof(vtd_classes[0]))

static bool vtd_is_all(const struct nestio_inv_vtd *e)
{
	return e->npages == NESTIO_INV_VTD_ALL;
}

static int vtd_check(const void *p)
{
	struct nestio_inv_vtd e;

	memcpy(&e, p, sizeof(e));
	if (e.addr & VTD_PAGE_MASK || !e.npages ||
	    e.flags & ~NESTIO_INV_VTD_LEAF || e.reserved)
		return -EINVAL;
	if (vtd_is_all(&e))
		return e.addr ? -EINVAL : 0;
	/* the range must end inside the 64-bit space: no wrap-around */
	if (e.npages > VTD_SPACE_PAGES - (e.addr >> VTD_PAGE_SHIFT))
		return -EINVAL;
	return 0;
}

/*
 * A checked VT-d entry (flags only LEAF, reserved 0) is byte for byte the
 * kernel's struct: the queue sends it as it is, no conversion per entry.
 */
_Static_assert(sizeof(struct nestio_inv_vtd) ==
		       sizeof(struct kabi_hwpt_vtd_s1_invalidate) &&
	       offsetof(struct nestio_inv_vtd, npages) ==
		       offsetof(struct kabi_hwpt_vtd_s1_invalidate, npages) &&
	       offsetof(struct nestio_inv_vtd, flags) ==
		       offsetof(struct kabi_hwpt_vtd_s1_invalidate, flags) &&
	       NESTIO_INV_VTD_LEAF == KABI_VTD_INV_FLAGS_LEAF,
	       "struct nestio_inv_vtd is the kernel's layout");

/* one entry, or a merged run of them, in pages (last inclusive) */
struct vtd_item {
	uint64_t first, last;
	uint32_t flags;
	uint32_t pos;			/* first occurrence in the segment */
	bool all;
};

static int vtd_cmp_range(const void *a, const void *b)
{
	const struct vtd_item *x = a, *y = b;

	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int vtd_cmp_pos(const void *a, const void *b)
{
	const struct vtd_item *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * VT-d entries of one hwpt are independent, so order does not matter.
 * Full flushes first: the strongest one present stays (its first
 * occurrence) and removes every entry whose flags it covers. The rest
 * merge per flags value: overlapping or adjacent ranges become one (an
 * exact duplicate is the overlap of a range with itself).
 */
static uint32_t vtd_coalesce(void *scratch, uint8_t *seg, uint32_t n)
{
	struct vtd_item *it = scratch, *out = it + n;
	uint32_t covered = 0, m = 0, k = 0, all_pos[VTD_NCLASSES];

	for (size_t c = 0; c < VTD_NCLASSES; c++)
		all_pos[c] = UINT32_MAX;
	for (uint32_t i = 0; i < n; i++) {
		struct nestio_inv_vtd e;

		memcpy(&e, seg + i * sizeof(e), sizeof(e));
		it[i] = (struct vtd_item){
			.first = e.addr >> VTD_PAGE_SHIFT,
			.last = vtd_is_all(&e) ? VTD_SPACE_PAGES - 1
					       : (e.addr >> VTD_PAGE_SHIFT) + e.npages - 1,
			.flags = e.flags,
			.pos = i,
			.all = vtd_is_all(&e),
		};
		for (size_t c = 0; c < VTD_NCLASSES; c++)
			if (it[i].all && e.flags == vtd_classes[c].flags &&
			    all_pos[c] == UINT32_MAX)
				all_pos[c] = i;
	}
	/* the full flushes that stay, strongest first */
	for (size_t c = 0; c < VTD_NCLASSES; c++) {
		if (covered & (1u << vtd_classes[c].flags) || all_pos[c] == UINT32_MAX)
			continue;
		out[k++] = it[all_pos[c]];
		covered |= vtd_classes[c].covers;
	}
	/* what they do not cover merges by ranges */
	for (uint32_t i = 0; i < n; i++)
		if (!(covered & (1u << it[i].flags)))
			it[m++] = it[i];
	qsort(it, m, sizeof(*it), vtd_cmp_range);
	for (uint32_t i = 0; i < m; i++) {
		struct vtd_item *o = k ? &out[k - 1] : NULL;

		if (o && !o->all && o->flags == it[i].flags &&
		    it[i].first <= o->last + 1) {
			if (it[i].last > o->last)
				o->last = it[i].last;
			if (it[i].pos < o->pos)
				o->pos = it[i].pos;
		} else {
			out[k++] = it[i];
		}
	}
	qsort(out, k, sizeof(*out), vtd_cmp_pos);
	for (uint32_t i = 0; i < k; i++) {
		struct nestio_inv_vtd e = {
			.addr = out[i].first << VTD_PAGE_SHIFT,
			.npages = out[i].all ? NESTIO_INV_VTD_ALL
					     : out[i].last - out[i].first + 1,
			.flags = out[i].flags,
		};

		memcpy(seg + i * sizeof(e), &e, sizeof(e));
	}
	return k;
}

/* ---------------------------------------------------------------- SMMUv3 */

/*
 * What each CMDQ opcode is to the coalescer. Everything the table does
 * not name is a barrier: the configuration commands (CFGI_*, 0x01..0x0f
 * with PREFETCH_*), CMD_SYNC, PRI_RESP, RESUME and any opcode to come.
 */
enum smmu_kind {
	SMMU_BARRIER = 0,
	SMMU_TLBI,		/* other TLB invalidations: duplicates only */
	SMMU_TLBI_SCOPED,	/* TLBI_NH_VA, _VAA, _ASID */
	SMMU_TLBI_ALL,		/* TLBI_NH_ALL, TLBI_NSNH_ALL */
	SMMU_ATC,		/* ATC_INV */
};

static const uint8_t smmu_opcode_kind[256] = {
	[0x10] = SMMU_TLBI_ALL,		/* TLBI_NH_ALL */
	[0x11] = SMMU_TLBI_SCOPED,	/* TLBI_NH_ASID */
	[0x12] = SMMU_TLBI_SCOPED,	/* TLBI_NH_VA */
	[0x13] = SMMU_TLBI_SCOPED,	/* TLBI_NH_VAA */
	[0x28] = SMMU_TLBI,		/* TLBI_S12_VMALL */
	[0x2a] = SMMU_TLBI,		/* TLBI_S2_IPA */
	[0x30] = SMMU_TLBI_ALL,		/* TLBI_NSNH_ALL */
	[0x40] = SMMU_ATC,		/* ATC_INV */
};

#define SMMU_OP_ATC_INV 0x40

/*
 * The rules per kind. An ATC is refilled from the SMMU's TLB, so a TLB
 * invalidation must stay before the ATC_INVs that follow it, and an
 * ATC_INV after a TLB invalidation still has work to do.
 */
static const struct smmu_rule {
	bool barrier;		/* nothing moves or merges across it */
	bool tlbi;		/* a TLB invalidation */
	/* a later exact duplicate goes: always (0) or only when no TLB
	 * invalidation lies between the two (1) */
	bool dup_unless_tlbi_between;
	bool covered;		/* covered by an SMMU_TLBI_ALL of its segment */
	bool covers;		/* covers every `covered' entry of its segment */
} smmu_rules[] = {
	[SMMU_BARRIER] = { .barrier = true },
	[SMMU_TLBI] = { .tlbi = true },
	[SMMU_TLBI_SCOPED] = { .tlbi = true, .covered = true },
	[SMMU_TLBI_ALL] = { .tlbi = true, .covers = true },
	[SMMU_ATC] = { .dup_unless_tlbi_between = true },
};

static const struct smmu_rule *smmu_rule(const void *p)
{
	struct nestio_inv_smmuv3 e;

	memcpy(&e, p, sizeof(e));
	return &smmu_rules[smmu_opcode_kind[e.cmd[0] & 0xff]];
}

/* host-order words to the kernel's little-endian ones (a copy on LE hosts,
 * where the type table sends entries as they are) */
static void __attribute__((unused)) smmu_to_kabi(void *k, const void *p, size_t len)
{
	struct kabi_viommu_arm_smmuv3_invalidate out;
	struct nestio_inv_smmuv3 e;

	memcpy(&e, p, sizeof(e));
	out.cmd[0] = htole64(e.cmd[0]);
	out.cmd[1] = htole64(e.cmd[1]);
	memcpy(k, &out, sizeof(out));
}

static bool smmu_barrier(const void *e)
{
	return smmu_rule(e)->barrier;
}

static int smmu_batch_class(unsigned int qflags, const void *p)
{
	struct nestio_inv_smmuv3 e;

	if (!(qflags & NESTIO_INVQ_ATC_SEPARATE))
		return 0;
	memcpy(&e, p, sizeof(e));
	return (e.cmd[0] & 0xff) == SMMU_OP_ATC_INV;
}

struct smmu_key {
	uint64_t cmd[2];
	uint32_t pos;
};

static int smmu_cmp(const void *a, const void *b)
{
	const struct smmu_key *x = a, *y = b;

	for (int w = 0; w < 2; w++)
		if (x->cmd[w] != y->cmd[w])
			return x->cmd[w] < y->cmd[w] ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* per entry: its rule, TLBI and ATC_INV counts before it, the next full
 * TLB invalidation after it, a drop mark; then the sort keys */
struct smmu_scratch {
	const struct smmu_rule *rule;
	uint32_t tlbi_before, atc_before, next_all;
	bool drop;
};

static bool smmu_same(const struct smmu_key *a, const struct smmu_key *b)
{
	return a->cmd[0] == b->cmd[0] && a->cmd[1] == b->cmd[1];
}

/*
 * One segment (no barrier inside). Only removals, never moves: a later
 * exact duplicate of a TLB invalidation goes; a later duplicate of an
 * ATC_INV goes unless a TLB invalidation lies between the two; a scoped
 * TLB invalidation goes when a TLBI_NH_ALL / TLBI_NSNH_ALL precedes it in
 * the segment, or follows it with no ATC_INV in between (so every ATC_INV
 * still runs after a TLB invalidation covering what the original did).
 */
static uint32_t smmu_coalesce(void *scratch, uint8_t *seg, uint32_t n)
{
	const size_t len = sizeof(struct nestio_inv_smmuv3);
	struct smmu_scratch *s = scratch;
	struct smmu_key *keys = (struct smmu_key *)(s + n + 1);
	uint32_t tlbi = 0, atc = 0, first_all = UINT32_MAX, next = UINT32_MAX;
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		s[i] = (struct smmu_scratch){
			.rule = smmu_rule(seg + i * len),
			.tlbi_before = tlbi,
			.atc_before = atc,
		};
		tlbi += s[i].rule->tlbi;
		atc += s[i].rule == &smmu_rules[SMMU_ATC];
		if (s[i].rule->covers && first_all == UINT32_MAX)
			first_all = i;
		memcpy(keys[i].cmd, seg + i * len, len);
		keys[i].pos = i;
	}
	s[n].tlbi_before = tlbi;
	s[n].atc_before = atc;
	for (uint32_t i = n; i-- > 0;) {
		s[i].next_all = next;
		if (s[i].rule->covers)
			next = i;
	}
	/* duplicates: equal commands sort next to each other, in order;
	 * ref is the last one of a run that stays */
	qsort(keys, n, sizeof(*keys), smmu_cmp);
	for (uint32_t i = 1, ref = 0; i < n; i++) {
		uint32_t pos = keys[i].pos, ref_pos = keys[ref].pos;

		if (!smmu_same(&keys[i], &keys[ref]) ||
		    (s[pos].rule->dup_unless_tlbi_between &&
		     s[pos].tlbi_before != s[ref_pos + 1].tlbi_before)) {
			ref = i;	/* another command, or still work to do */
			continue;
		}
		s[pos].drop = true;
	}
	/* scoped TLB invalidations under a full one */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = s[i].next_all;

		if (s[i].rule->covered &&
		    (first_all < i ||
		     (a != UINT32_MAX && s[a].atc_before == s[i + 1].atc_before)))
			s[i].drop = true;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (s[i].drop)
			continue;
		if (k != i)
			memcpy(seg + k * len, seg + i * len, len);
		k++;
	}
	return k;
}

/* ----------------------------------------------------------------- table */

/*
 * Why the SMMUv3 entry sets count_overstates. The kernel's
 * arm_vsmmu_cache_invalidate() (drivers/iommu/arm/arm-smmu-v3/
 * arm-smmu-v3-iommufd.c, as of Linux 7.2) converts the user's
 * commands one by one but issues them to the command queue only in blocks
 * (CMDQ_BATCH_ENTRIES - 1 commands, or at the end of the array). When it
 * cannot convert command k (a CFGI_CD or ATC_INV naming a vSID with no
 * vDEVICE, an opcode it does not take: -EIO) it reports k handled, yet the
 * commands of the block being built, from its start to k, were converted
 * and never issued; when issuing a block fails, its count also covers
 * commands of that block. Taking such a count as done would silently lose a
 * guest's invalidation. Invalidations are idempotent, so the library sends
 * [0, k) again on their own: a success proves they were carried out, and a
 * failure of that re-send at j makes j the failed entry (by the same rule).
 * The Tegra241 CMDQV vIOMMU uses the same function and data type. VT-d's
 * intel_nested_cache_invalidate_user() carries out each entry before it
 * counts it, and the mock's handlers do the same: their counts are trusted.
 */
const struct invq_type nio_invq_types[INVQ_NTYPES] = {
	[NESTIO_INV_VTD_S1 - 1] = {
		.type = NESTIO_INV_VTD_S1,
		.name = "vtd-s1",
		.on = INVQ_ON_HWPT,
		.flags = NESTIO_INVQ_COALESCE,
		.entry_len = sizeof(struct nestio_inv_vtd),
		.kabi_len = sizeof(struct kabi_hwpt_vtd_s1_invalidate),
		.data_type = KABI_HWPT_INVALIDATE_DATA_VTD_S1,
		.check = vtd_check,
		.to_kabi = NULL,	/* the kernel's layout */
		.coalesce = vtd_coalesce,
		.scratch = 2 * sizeof(struct vtd_item),
	},
	[NESTIO_INV_ARM_SMMUV3 - 1] = {
		.type = NESTIO_INV_ARM_SMMUV3,
		.name = "arm-smmuv3",
		.on = INVQ_ON_VIOMMU,
		.flags = NESTIO_INVQ_COALESCE | NESTIO_INVQ_ATC_SEPARATE,
		.entry_len = sizeof(struct nestio_inv_smmuv3),
		.kabi_len = sizeof(struct kabi_viommu_arm_smmuv3_invalidate),
		.data_type = KABI_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
#if __BYTE_ORDER == __LITTLE_ENDIAN
		.to_kabi = NULL,	/* the kernel's layout */
#else
		.to_kabi = smmu_to_kabi,
#endif
		.barrier = smmu_barrier,
		.coalesce = smmu_coalesce,
		.scratch = sizeof(struct smmu_scratch) + sizeof(struct smmu_key),
		.batch_class = smmu_batch_class,
		.count_overstates = true,	/* see above */
	},
	[NESTIO_INV_RAW - 1] = {
		.type = NESTIO_INV_RAW,
		.name = "raw",
		.on = INVQ_ON_HWPT | INVQ_ON_VIOMMU,
		.flags = NESTIO_INVQ_COALESCE,	/* accepted; nothing to merge */
		.raw = true,
		.to_kabi = NULL,	/* the caller's bytes are the kernel's */
		/* count_overstates: from the kernel's data type, at a failure */
	},
};

_Static_assert(NESTIO_INV_VTD_S1 == 1 && NESTIO_INV_ARM_SMMUV3 == 2 &&
	       NESTIO_INV_RAW == INVQ_NTYPES, "the table is indexed by type - 1");

_Static_assert(sizeof(struct nestio_inv_vtd) ==
	       sizeof(struct kabi_hwpt_vtd_s1_invalidate), "vtd entry");
_Static_assert(sizeof(struct nestio_inv_smmuv3) ==
	       sizeof(struct kabi_viommu_arm_smmuv3_invalidate), "smmuv3 entry");

bool nio_invq_count_overstated(unsigned int on, uint32_t data_type)
{
	for (size_t i = 0; i < INVQ_NTYPES; i++) {
		const struct invq_type *t = &nio_invq_types[i];

		if (!t->raw && t->on & on && t->data_type == data_type)
			return t->count_overstates;
	}
	return false;
}
