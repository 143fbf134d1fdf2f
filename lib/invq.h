/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The invalidation queue's type table, private to lib/: everything that
 * differs between entry types (sizes, the kernel's data type, validation,
 * conversion, the coalescing rules, the batch rule). lib/invq-rules.c holds
 * the rules and the table; lib/invq.c the queue, which only walks it.
 */
#ifndef NESTIO_INVQ_H
#define NESTIO_INVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
