/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The invalidation queue's type table, private to lib/: everything that
 * differs between entry types (sizes, the kernel's data type, validation,
 * conversion, the coalescing rules, the batch rule). lib/invq-rules.c holds
 * the rules and the table; lib/invq.c the queue, which only walks it;
 * lib/invalidate.c the one send path, used by the queue's flush and by the
 * direct calls (nestio_hwpt_invalidate, nestio_viommu_invalidate).
 */
#ifndef NESTIO_INVQ_H
#define NESTIO_INVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libnestio.h"

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
	int (*batch_class)(unsigned int qflags, const void *e);
	/*
	 * The kernel's driver for this data type may count as handled, on a
	 * failure, entries it never carried out: a failure with a count k > 0
	 * re-sends entries [0, k) on their own before they are taken as done
	 * (lib/invq-rules.c says why for each type that sets it). The rule
	 * goes with the kernel's data type on that target, so a raw type with
	 * the same data type follows it too.
	 */
	bool count_overstates;
};

/* The table, indexed by type - 1 (NESTIO_INV_VTD_S1 .. NESTIO_INV_RAW). */
#define INVQ_NTYPES 3u
extern const struct invq_type nio_invq_types[INVQ_NTYPES]
	__attribute__((visibility("hidden")));

/* the table's entry for a type allowed on what is invalidated (INVQ_ON_*) */
static inline const struct invq_type *nio_invq_type_find(uint32_t type,
							 unsigned int on)
{
	const struct invq_type *t;

	if (type - 1 >= INVQ_NTYPES)
		return NULL;
	t = &nio_invq_types[type - 1];
	return t->on & on ? t : NULL;
}

/* Does the kernel's driver for data_type on on (INVQ_ON_*) overstate its
 * count on a failure (a typed entry with count_overstates says so)? */
bool nio_invq_count_overstated(unsigned int on, uint32_t data_type);

/* ---- the send path (lib/invalidate.c) ---- */

/* What a batch of invalidations goes to, and in which form. */
struct nio_inv_target {
	const struct invq_type *t;
	unsigned int on;		/* INVQ_ON_*: what id is */
	uint32_t id;			/* the nested hwpt's or the vIOMMU's */
	uint32_t data_type;		/* the kernel's invalidation data type */
	uint32_t entry_len;		/* bytes of one entry as given */
	uint32_t kabi_len;		/* bytes of one entry as the kernel takes it */
	/* each entry's check before it is sent: the type's, NULL where the
	 * type has none or the entries were checked already (a queue's, when
	 * they were pushed) */
	int (*check)(const void *e);
	/* where entries go in the kernel's layout, if the type converts them:
	 * room for as many as are sent at once */
	void *kbuf;
};

/* The target for entries of a type (NESTIO_INV_*) on id, what on says
 * (INVQ_ON_*): a typed entry is entry_len == the type's bytes, raw_type 0;
 * a raw one is entry_len (1 to UINT32_MAX) bytes of the kernel's raw_type.
 * -EINVAL if they do not fit. */
int nio_inv_target_init(struct nio_inv_target *to, unsigned int on,
			uint32_t id, uint32_t type, uint32_t raw_type,
			size_t entry_len);

/*
 * Sends num (> 0) entries at entries to the target in one
 * IOMMU_HWPT_INVALIDATE: each checked first if the target says so (the
 * first malformed one, k, is a failure at k: entries [0, k) are sent as if
 * the kernel had refused entry k), converted to the kernel's layout into
 * to->kbuf if the type says so, and the kernel's count taken only as far
 * as it can be trusted. 0 with *done = num, or -errno with *done = how
 * many are done, entry *done being the failed one. st (NULL: none) counts
 * the ioctls and the failures.
 */
int nio_inv_submit(struct nestio_ctx *ctx, const struct nio_inv_target *to,
		   const void *entries, uint32_t num,
		   struct nestio_invq_stats *st, uint32_t *done);

#endif
