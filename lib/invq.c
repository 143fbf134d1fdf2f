// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestio_invq: the invalidation queue. Entries are copied in from any
 * thread; a flush sends them with as few IOMMU_HWPT_INVALIDATE calls as the
 * rules allow, keeps exactly what the kernel did not confirm, and never
 * trusts a count that cannot be right.
 *
 * Everything that differs between entry types (sizes, the kernel's data
 * type, validation, conversion, the coalescing rules and the batch rule)
 * lives in one table, invq_types[]; the queue itself only walks it.
 */
#include <endian.h>
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"
#include "kabi.h"

#define INVQ_DEFAULT_CAPACITY	256u
#define INVQ_MAX_CAPACITY	4096u	/* well below the kernel's 1 << 19 */
#define INVQ_MAX_ENTRY		64u	/* sizeof(struct nestio_invq_fail.entry) */

#define VTD_PAGE_SHIFT		12
#define VTD_PAGE_MASK		((1ull << VTD_PAGE_SHIFT) - 1)
#define VTD_SPACE_PAGES		(1ull << (64 - VTD_PAGE_SHIFT))

struct invq_type;

struct nestio_invq {
	uint32_t magic;
	int refcount;			/* atomic */
	struct nestio_ctx *ctx;
	const struct invq_type *t;
	/* what it invalidates, pinned: exactly one is set */
	struct nestio_hwpt *hwpt;
	struct nestio_viommu *viommu;
	uint32_t target_id;		/* the hwpt's or the vIOMMU's id */
	uint32_t data_type;		/* the kernel's invalidation data type */
	uint32_t entry_len;		/* bytes of one entry as pushed */
	uint32_t kabi_len;		/* bytes of one entry as the kernel takes it */
	uint32_t capacity;
	unsigned int flags;		/* NESTIO_INVQ_* */

	pthread_mutex_t lock;		/* everything below */
	uint32_t n;			/* pending entries */
	uint8_t *ents;			/* capacity entries as pushed, in order */
	uint8_t *kbuf;			/* one batch in the kernel's form,
					 * if that is not how it is pushed */
	void *scratch;			/* the coalescer's working space */
	struct nestio_invq_stats st;
};

/* ------------------------------------------------------------ type table */

#define INVQ_ON_HWPT	(1u << 0)	/* a nested hwpt */
#define INVQ_ON_VIOMMU	(1u << 1)	/* a vIOMMU */

struct invq_type {
	uint32_t type;			/* NESTIO_INV_* */
	const char *name;
	unsigned int on;		/* INVQ_ON_*: what it may invalidate */
	unsigned int flags;		/* NESTIO_INVQ_* it accepts */
	uint32_t entry_len;		/* as pushed; 0: opts->raw_entry_len */
	uint32_t kabi_len;		/* as sent; 0: the same as entry_len */
	bool raw;			/* data type and sizes come from opts */
	uint32_t data_type;		/* the kernel's data type (not raw) */
	/* a pushed entry: 0 or -EINVAL (NULL: anything goes) */
	int (*check)(const void *e);
	/* one entry to the kernel's layout; NULL: it is the kernel's layout,
	 * and a batch goes to the kernel straight from the queue */
	void (*to_kabi)(void *k, const void *e, size_t len);
	/*
	 * Coalescing (NULL: none). barrier(): nothing moves or merges across
	 * this entry; the queue cuts the pending entries into the segments
	 * between barriers and coalesce() rewrites one segment in place,
	 * keeping the first-occurrence order of what stays, and returns how
	 * many entries stay. scratch: bytes of working space per entry.
	 */
	bool (*barrier)(const void *e);
	uint32_t (*coalesce)(void *scratch, uint8_t *seg, uint32_t n);
	size_t scratch;
	/* a batch (one ioctl) ends where this changes (NULL: never) */
	int (*batch_class)(const struct nestio_invq *q, const void *e);
};

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

static int smmu_batch_class(const struct nestio_invq *q, const void *p)
{
	struct nestio_inv_smmuv3 e;

	if (!(q->flags & NESTIO_INVQ_ATC_SEPARATE))
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

/* ------------------------------------------------------------------- raw */

static const struct invq_type invq_types[] = {
	{
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
	{
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
	},
	{
		.type = NESTIO_INV_RAW,
		.name = "raw",
		.on = INVQ_ON_HWPT | INVQ_ON_VIOMMU,
		.flags = NESTIO_INVQ_COALESCE,	/* accepted; nothing to merge */
		.raw = true,
		.to_kabi = NULL,	/* the caller's bytes are the kernel's */
	},
};

_Static_assert(sizeof(struct nestio_inv_vtd) ==
	       sizeof(struct kabi_hwpt_vtd_s1_invalidate), "vtd entry");
_Static_assert(sizeof(struct nestio_inv_smmuv3) ==
	       sizeof(struct kabi_viommu_arm_smmuv3_invalidate), "smmuv3 entry");
_Static_assert(sizeof(((struct nestio_invq_fail *)0)->entry) == INVQ_MAX_ENTRY,
	       "fail entry");

static const struct invq_type *invq_type_find(uint32_t type, unsigned int on)
{
	for (size_t i = 0; i < sizeof(invq_types) / sizeof(invq_types[0]); i++)
		if (invq_types[i].type == type && invq_types[i].on & on)
			return &invq_types[i];
	return NULL;
}

/* ----------------------------------------------------------------- queue */

static bool invq_ok(const struct nestio_invq *q)
{
	return q && q->magic == NIO_MAGIC_INVQ;
}

static uint8_t *ent(const struct nestio_invq *q, uint32_t i)
{
	return q->ents + (size_t)i * q->entry_len;
}

static void invq_free(struct nestio_invq *q)
{
	free(q->ents);
	free(q->kbuf);
	free(q->scratch);
	free(q);
}

static int invq_new(struct nestio_ctx *ctx, unsigned int on, uint32_t target_id,
		    uint32_t type, const struct nestio_invq_opts *opts,
		    struct nestio_invq **qp)
{
	const struct invq_type *t = invq_type_find(type, on);
	struct nestio_invq *q;
	uint32_t capacity;
	int r;

	if (!t)
		return -EINVAL;
	r = NIO_OPTS_CHECK(opts, struct nestio_invq_opts);
	if (r < 0)
		return r;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->t = t;
	q->flags = NIO_OPTS_GET(opts, flags, 0u);
	capacity = NIO_OPTS_GET(opts, capacity, 0u);
	q->capacity = capacity ? capacity : INVQ_DEFAULT_CAPACITY;
	if (t->raw) {
		if (!NIO_OPTS_HAS(opts, raw_entry_len))
			goto inval;
		q->data_type = opts->raw_type;
		q->entry_len = opts->raw_entry_len;
		q->kabi_len = opts->raw_entry_len;
		if (!q->entry_len || q->entry_len > INVQ_MAX_ENTRY)
			goto inval;
	} else {
		if (NIO_OPTS_GET(opts, raw_type, 0u) ||
		    NIO_OPTS_GET(opts, raw_entry_len, 0u))
			goto inval;
		q->data_type = t->data_type;
		q->entry_len = t->entry_len;
		q->kabi_len = t->kabi_len;
	}
	if (q->flags & ~t->flags || q->capacity > INVQ_MAX_CAPACITY)
		goto inval;
	q->ents = malloc((size_t)q->capacity * q->entry_len);
	if (t->to_kabi)
		q->kbuf = malloc((size_t)q->capacity * q->kabi_len);
	if (q->flags & NESTIO_INVQ_COALESCE && t->coalesce)
		q->scratch = malloc(((size_t)q->capacity + 1) * t->scratch);
	if (!q->ents || (t->to_kabi && !q->kbuf) ||
	    (q->flags & NESTIO_INVQ_COALESCE && t->coalesce && !q->scratch)) {
		invq_free(q);
		return -ENOMEM;
	}
	r = pthread_mutex_init(&q->lock, NULL);
	if (r) {
		invq_free(q);
		return -r;
	}
	q->magic = NIO_MAGIC_INVQ;
	q->refcount = 1;
	q->ctx = nio_ctx_get(ctx);
	q->target_id = target_id;
	q->st.sz = sizeof(q->st);
	dbg(ctx, "invq %p: %s on %s %u, capacity %u, flags %#x", (void *)q,
	    t->name, on == INVQ_ON_HWPT ? "hwpt" : "viommu", target_id,
	    q->capacity, q->flags);
	*qp = q;
	return 0;
inval:
	free(q);
	return -EINVAL;
}

NESTIO_EXPORT int nestio_invq_new(struct nestio_hwpt *nested, uint32_t type,
				  const struct nestio_invq_opts *opts,
				  struct nestio_invq **out)
{
	struct nestio_invq *q;
	int r;

	if (!nio_hwpt_ok(nested) || nestio_hwpt_is_nested(nested) != 1 || !out)
		return -EINVAL;
	r = invq_new(nestio_hwpt_get_ctx(nested), INVQ_ON_HWPT,
		     nestio_hwpt_get_id(nested), type, opts, &q);
	if (r < 0)
		return r;
	q->hwpt = nestio_hwpt_ref(nested);
	*out = q;
	return 0;
}

NESTIO_EXPORT int nestio_invq_new_viommu(struct nestio_viommu *viommu,
					 uint32_t type,
					 const struct nestio_invq_opts *opts,
					 struct nestio_invq **out)
{
	struct nestio_invq *q;
	int r;

	if (!nio_viommu_ok(viommu) || !out)
		return -EINVAL;
	r = invq_new(nestio_hwpt_get_ctx(nestio_viommu_get_parent(viommu)),
		     INVQ_ON_VIOMMU, nestio_viommu_get_id(viommu), type, opts, &q);
	if (r < 0)
		return r;
	q->viommu = nestio_viommu_ref(viommu);
	*out = q;
	return 0;
}

NESTIO_EXPORT struct nestio_invq *nestio_invq_ref(struct nestio_invq *q)
{
	if (!invq_ok(q))
		return NULL;
	__atomic_add_fetch(&q->refcount, 1, __ATOMIC_RELAXED);
	return q;
}

NESTIO_EXPORT struct nestio_invq *nestio_invq_unref(struct nestio_invq *q)
{
	struct nestio_ctx *ctx;

	if (!invq_ok(q) || __atomic_sub_fetch(&q->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return NULL;
	ctx = q->ctx;
	if (q->n)
		info(ctx, "invq %p: dropping %u unflushed entries", (void *)q, q->n);
	q->magic = 0;
	pthread_mutex_destroy(&q->lock);
	nestio_hwpt_unref(q->hwpt);
	nestio_viommu_unref(q->viommu);
	invq_free(q);
	nestio_ctx_unref(ctx);
	return NULL;
}

/* Coalesces the pending entries in place, segment by segment. */
static void invq_coalesce(struct nestio_invq *q)
{
	const struct invq_type *t = q->t;
	uint32_t in = 0, out = 0;

	while (in < q->n) {
		uint32_t end = in, kept;

		while (end < q->n && !(t->barrier && t->barrier(ent(q, end))))
			end++;
		if (end == in) {	/* a barrier stays as it is */
			end++;
			kept = 1;
		} else {
			kept = t->coalesce(q->scratch, ent(q, in), end - in);
		}
		if (out != in)
			memmove(ent(q, out), ent(q, in), (size_t)kept * q->entry_len);
		out += kept;
		in = end;
	}
	if (out != q->n)
		dbg(q->ctx, "invq %p: coalesced %u entries into %u", (void *)q,
		    q->n, out);
	q->st.merged += q->n - out;
	q->n = out;
}

/* How many entries from pos go in one ioctl. */
static uint32_t invq_batch_len(const struct nestio_invq *q, uint32_t pos)
{
	uint32_t end = pos + 1;

	if (!q->t->batch_class)
		return q->n - pos;
	while (end < q->n && q->t->batch_class(q, ent(q, end)) ==
			     q->t->batch_class(q, ent(q, pos)))
		end++;
	return end - pos;
}

/*
 * One IOMMU_HWPT_INVALIDATE with num entries from pos. *done: how many the
 * kernel handled, as far as that can be trusted: a count that is all of
 * them (or more) on an error, or not all of them on success, is not.
 */
static int invq_send(struct nestio_invq *q, uint32_t pos, uint32_t num,
		     uint32_t *done)
{
	struct kabi_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = q->target_id,
		.data_uptr = (uintptr_t)ent(q, pos),
		.data_type = q->data_type,
		.entry_len = q->kabi_len,
		.entry_num = num,
	};
	int r;

	if (q->t->to_kabi) {
		for (uint32_t i = 0; i < num; i++)
			q->t->to_kabi(q->kbuf + (size_t)i * q->kabi_len,
				      ent(q, pos + i), q->entry_len);
		cmd.data_uptr = (uintptr_t)q->kbuf;
	}
	r = nio_ioctl(q->ctx, q->ctx->fd, KABI_IOMMU_HWPT_INVALIDATE, &cmd);
	q->st.ioctls++;
	if (r >= 0 && cmd.entry_num == num) {
		*done = num;
		return 0;
	}
	q->st.failures++;
	if (r >= 0) {
		err(q->ctx, "invq %p: the kernel succeeded but handled %u of %u entries; none taken as done",
		    (void *)q, cmd.entry_num, num);
		*done = 0;
		return -EIO;
	}
	*done = cmd.entry_num < num ? cmd.entry_num : 0;
	dbg(q->ctx, "invq %p: entry %u of %u failed: %s", (void *)q, *done, num,
	    strerror(-r));
	return r;
}

static void invq_drop(struct nestio_invq *q, uint32_t k)
{
	if (k < q->n)
		memmove(q->ents, ent(q, k), (size_t)(q->n - k) * q->entry_len);
	q->n -= k;
}

static int invq_flush_locked(struct nestio_invq *q,
			     struct nestio_invq_fail *fail)
{
	uint32_t pos = 0, done = 0, sent = 0;
	int r = 0;

	if (q->flags & NESTIO_INVQ_COALESCE && q->t->coalesce && q->n > 1)
		invq_coalesce(q);
	while (pos < q->n) {
		uint32_t num = invq_batch_len(q, pos);

		r = invq_send(q, pos, num, &done);
		sent += done;
		pos += done;
		if (r < 0)
			break;
	}
	if (r < 0 && fail) {
		struct nestio_invq_fail f = {
			.sz = sizeof(f),
			.error = r,
			.index = done,
			.entry_len = q->entry_len,
		};

		memcpy(f.entry, ent(q, pos), q->entry_len);
		memcpy((char *)fail + sizeof(size_t), (char *)&f + sizeof(size_t),
		       (fail->sz < sizeof(f) ? fail->sz : sizeof(f)) - sizeof(size_t));
	}
	invq_drop(q, pos);
	q->st.sent += sent;
	return r < 0 ? r : (int)sent;
}

/*
 * Validate all n first (nothing is queued if one is bad), then copy in
 * under one lock, flushing whenever the queue is full. Like write(2): the
 * number queued, short if a flush failed after some were queued; the flush's
 * -errno if none were.
 */
NESTIO_EXPORT int nestio_invq_push_many(struct nestio_invq *q,
					const void *entries, size_t len,
					uint32_t n)
{
	const uint8_t *p = entries;
	uint32_t done = 0;
	int r = 0;

	if (!invq_ok(q) || (n && !entries) || len != q->entry_len ||
	    n > INT32_MAX)
		return -EINVAL;
	for (uint32_t i = 0; q->t->check && i < n; i++) {
		r = q->t->check(p + (size_t)i * len);
		if (r < 0)
			return r;
	}
	pthread_mutex_lock(&q->lock);
	while (done < n) {
		uint32_t k = q->capacity - q->n;

		if (!k) {
			r = invq_flush_locked(q, NULL);
			if (r < 0)
				break;
			continue;
		}
		if (k > n - done)
			k = n - done;
		memcpy(ent(q, q->n), p + (size_t)done * len, (size_t)k * len);
		q->n += k;
		q->st.pushed += k;
		done += k;
	}
	pthread_mutex_unlock(&q->lock);
	return done || r >= 0 ? (int)done : r;
}

NESTIO_EXPORT int nestio_invq_push(struct nestio_invq *q, const void *entry,
				   size_t len)
{
	int r = nestio_invq_push_many(q, entry, len, 1);

	return r < 0 ? r : 0;
}

NESTIO_EXPORT int nestio_invq_push_vtd(struct nestio_invq *q, uint64_t addr,
				       uint64_t npages, uint32_t flags)
{
	struct nestio_inv_vtd e = { .addr = addr, .npages = npages, .flags = flags };

	if (!invq_ok(q) || q->t->type != NESTIO_INV_VTD_S1)
		return -EINVAL;
	return nestio_invq_push(q, &e, sizeof(e));
}

NESTIO_EXPORT int nestio_invq_push_smmuv3(struct nestio_invq *q, uint64_t cmd0,
					  uint64_t cmd1)
{
	struct nestio_inv_smmuv3 e = { .cmd = { cmd0, cmd1 } };

	if (!invq_ok(q) || q->t->type != NESTIO_INV_ARM_SMMUV3)
		return -EINVAL;
	return nestio_invq_push(q, &e, sizeof(e));
}

NESTIO_EXPORT int nestio_invq_flush(struct nestio_invq *q,
				    struct nestio_invq_fail *fail)
{
	int r;

	if (!invq_ok(q))
		return -EINVAL;
	r = NIO_OPTS_CHECK(fail, struct nestio_invq_fail);
	if (r < 0)
		return r;
	pthread_mutex_lock(&q->lock);
	r = invq_flush_locked(q, fail);
	pthread_mutex_unlock(&q->lock);
	return r;
}

NESTIO_EXPORT int nestio_invq_discard(struct nestio_invq *q, uint32_t n)
{
	uint32_t k;

	if (!invq_ok(q))
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	k = n < q->n ? n : q->n;
	invq_drop(q, k);
	pthread_mutex_unlock(&q->lock);
	return (int)k;
}

NESTIO_EXPORT int nestio_invq_pending(struct nestio_invq *q)
{
	int n;

	if (!invq_ok(q))
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	n = (int)q->n;
	pthread_mutex_unlock(&q->lock);
	return n;
}

NESTIO_EXPORT int nestio_invq_get_stats(struct nestio_invq *q,
					struct nestio_invq_stats *st)
{
	struct nestio_invq_stats s;
	int r;

	if (!invq_ok(q) || !st)
		return -EINVAL;
	r = NIO_OPTS_CHECK(st, struct nestio_invq_stats);
	if (r < 0)
		return r;
	pthread_mutex_lock(&q->lock);
	s = q->st;
	pthread_mutex_unlock(&q->lock);
	memcpy((char *)st + sizeof(size_t), (char *)&s + sizeof(size_t),
	       (st->sz < sizeof(s) ? st->sz : sizeof(s)) - sizeof(size_t));
	return 0;
}
