// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestio_pasid_table: which guest stage-1 table each (device, PASID) of a
 * vIOMMU is bound to, over one nest parent or vIOMMU. Bindings with an
 * identical stage-1 configuration share one nested hwpt; an update is a
 * replace (no window where DMA aborts); replay puts a device's bindings back
 * into the kernel after the guest invalidated its context cache or reset
 * the device.
 *
 * A pass-through entry (NESTIO_STAGE1_PASSTHROUGH: VT-d PGTT=PT) is a
 * binding like any other, on the nest parent itself instead of a nested
 * hwpt: one entry for the table's nest parent, shared by every such
 * binding whatever its flags, so replay, unbind and foreach treat it the
 * same. Binding a PASID to it needs a PASID-compatible nest parent
 * (NESTIO_HWPT_PASID); the kernel says so when it is not.
 *
 * The table is a layer over the device's own attach bookkeeping: it only
 * ever calls nestio_device_attach_hwpt/replace_hwpt/detach, so the device
 * keeps pinning what it is attached to and its last unref still detaches
 * everything. The table pins each device it binds and holds one reference
 * on each hwpt it allocated, for as long as a binding uses it.
 */
#include <stdlib.h>

#include "internal.h"

/* a nested hwpt the table allocated, and the bindings that use it */
struct hwpt_ent {
	struct hwpt_ent *next;
	struct nestio_hwpt *hwpt;	/* the table's reference */
	struct nestio_stage1 s1;	/* the table's copy (owns raw bytes) */
	unsigned int flags;		/* NESTIO_HWPT_PASID or 0 */
	bool private;			/* NESTIO_BIND_NO_SHARE: never shared */
	unsigned int users;		/* bindings on it */
};

struct binding {
	struct nestio_device *dev;	/* pinned */
	uint32_t pasid;			/* NESTIO_NO_PASID: the RID */
	struct hwpt_ent *ent;
};

struct nestio_pasid_table {
	struct nio_obj obj;	/* first: magic, refcount, ctx (no id) */
	/* what nested hwpts are allocated on, pinned: exactly one is set */
	struct nestio_hwpt *parent;
	struct nestio_viommu *viommu;
	/* sorted by device (dev_id, then address), then PASID, RID first */
	struct binding *b;
	size_t nb, cap;
	struct hwpt_ent *ents;
	/* the kernel refused NESTIO_HWPT_PASID on a RID binding's hwpt (an
	 * SMMUv3 vSTE takes no flags): RID bindings are allocated without */
	bool rid_plain;
	int busy;		/* in foreach, or in a modifying call */
};

/* a table, and not one being released: a device's release may call back
 * into the table that drops it, and finds it gone (-EINVAL) */
static bool table_ok(const struct nestio_pasid_table *t)
{
	const struct nio_obj *o = nio_obj_of(t, NIO_MAGIC_PASID_TABLE);

	return o && nio_obj_refcount(o) > 0;
}

static bool pasid_ok(uint32_t pasid)
{
	return pasid == NESTIO_NO_PASID || pasid < NESTIO_PASID_LIMIT;
}

static bool dev_ok(const struct nestio_pasid_table *t,
		   const struct nestio_device *dev)
{
	return nio_device_ok(dev) && nestio_device_get_ctx(dev) == t->obj.ctx;
}

static int pasid_log(uint32_t pasid)
{
	return pasid == NESTIO_NO_PASID ? -1 : (int)pasid;
}

/* ---- the sorted binding array ---- */

/* <0, 0, >0 as (dev, pasid) sorts before, with, after binding b */
static int key_cmp(const struct nestio_device *dev, uint32_t pasid,
		   const struct binding *b)
{
	uint32_t id = nestio_device_get_id(dev), bid = nestio_device_get_id(b->dev);
	uint32_t k = pasid + 1u, bk = b->pasid + 1u;	/* the RID wraps to 0 */

	if (id != bid)
		return id < bid ? -1 : 1;
	if (dev != b->dev)
		return (uintptr_t)dev < (uintptr_t)b->dev ? -1 : 1;
	if (k != bk)
		return k < bk ? -1 : 1;
	return 0;
}

/* The index of (dev, pasid), or where it would go; *found says which. */
static size_t find(const struct nestio_pasid_table *t,
		   const struct nestio_device *dev, uint32_t pasid, bool *found)
{
	size_t lo = 0, hi = t->nb;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(dev, pasid, &t->b[mid]);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

static int reserve(struct nestio_pasid_table *t)
{
	struct binding *b;
	size_t cap;

	if (t->nb < t->cap)
		return 0;
	cap = t->cap ? 2 * t->cap : 8;
	b = realloc(t->b, cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	t->b = b;
	t->cap = cap;
	return 0;
}

/* ---- hwpt entries ---- */

/* Destroy an entry no binding uses (a fresh one, or the last user gone). */
static void ent_free(struct nestio_pasid_table *t, struct hwpt_ent *ent)
{
	for (struct hwpt_ent **p = &t->ents; *p; p = &(*p)->next) {
		if (*p == ent) {
			*p = ent->next;
			break;
		}
	}
	nestio_hwpt_unref(ent->hwpt);
	nio_stage1_release(&ent->s1);
	free(ent);
}

static void ent_unuse(struct nestio_pasid_table *t, struct hwpt_ent *ent)
{
	if (--ent->users == 0)
		ent_free(t, ent);
}

static struct hwpt_ent *ent_find(struct nestio_pasid_table *t,
				 const struct nestio_stage1 *s1,
				 unsigned int flags)
{
	for (struct hwpt_ent *e = t->ents; e; e = e->next)
		if (!e->private && e->flags == flags && nio_stage1_equal(&e->s1, s1))
			return e;
	return NULL;
}

static struct nestio_hwpt *table_parent(const struct nestio_pasid_table *t)
{
	return t->parent ? t->parent : nestio_viommu_get_parent(t->viommu);
}

/* The pass-through entry: the table's nest parent, made on first use. */
static int ent_get_pt(struct nestio_pasid_table *t,
		      const struct nestio_stage1 *s1, struct hwpt_ent **out)
{
	struct hwpt_ent *ent;

	for (ent = t->ents; ent; ent = ent->next) {
		if (ent->s1.type == NESTIO_STAGE1_PASSTHROUGH) {
			*out = ent;
			return 0;
		}
	}
	ent = calloc(1, sizeof(*ent));
	if (!ent)
		return -ENOMEM;
	ent->s1 = (struct nestio_stage1){ .type = s1->type };
	ent->hwpt = nestio_hwpt_ref(table_parent(t));
	ent->next = t->ents;
	t->ents = ent;
	*out = ent;
	return 0;
}

static int alloc_nested(struct nestio_pasid_table *t, struct nestio_device *dev,
			const struct nestio_stage1 *s1, unsigned int flags,
			struct nestio_hwpt **out)
{
	struct nestio_hwpt_nested_opts o = { .sz = sizeof(o), .flags = flags };

	if (t->parent)
		return nestio_hwpt_new_nested(dev, t->parent, s1, &o, out);
	return nestio_hwpt_new_nested_viommu(dev, t->viommu, s1, &o, out);
}

/*
 * The hwpt entry a binding of (dev, pasid) to s1 goes on: a shared one with
 * the same configuration and PASID-compat flag, or a fresh one (users 0:
 * the caller frees it with ent_free if the binding does not happen).
 *
 * Every hwpt is PASID-compatible (NESTIO_HWPT_PASID): the kernel attaches a
 * PASID only while the RID's hwpt is PASID-compatible too, and refuses to
 * put a hwpt that is not on a RID whose PASIDs are attached. When the kernel
 * refuses the flag on a RID binding (-EOPNOTSUPP: SMMUv3 nested hwpts take
 * no flags, their PASIDs live in the guest's CD table), RID bindings are
 * allocated without it from then on.
 */
static int ent_get(struct nestio_pasid_table *t, struct nestio_device *dev,
		   uint32_t pasid, const struct nestio_stage1 *s1,
		   unsigned int bind_flags, struct hwpt_ent **out)
{
	bool share = !(bind_flags & NESTIO_BIND_NO_SHARE);
	unsigned int flags = pasid == NESTIO_NO_PASID && t->rid_plain ?
			     0 : NESTIO_HWPT_PASID;
	struct hwpt_ent *ent;
	int r;

	if (s1->type == NESTIO_STAGE1_PASSTHROUGH)
		return ent_get_pt(t, s1, out);
	if (share && (ent = ent_find(t, s1, flags))) {
		*out = ent;
		return 0;
	}
	ent = calloc(1, sizeof(*ent));
	if (!ent)
		return -ENOMEM;
	r = nio_stage1_copy(&ent->s1, s1);
	if (r < 0) {
		free(ent);
		return r;
	}
	r = alloc_nested(t, dev, s1, flags, &ent->hwpt);
	if (r == -EOPNOTSUPP && pasid == NESTIO_NO_PASID && flags) {
		struct hwpt_ent *plain = share ? ent_find(t, s1, 0) : NULL;

		if (plain) {
			nio_stage1_release(&ent->s1);
			free(ent);
			*out = plain;
			return 0;
		}
		flags = 0;
		r = alloc_nested(t, dev, s1, flags, &ent->hwpt);
		if (r == 0) {
			dbg(t->obj.ctx, "RID hwpts without NESTIO_HWPT_PASID from now on");
			t->rid_plain = true;
		}
	}
	if (r < 0) {
		nio_stage1_release(&ent->s1);
		free(ent);
		return r;
	}
	ent->flags = flags;
	ent->private = !share;
	ent->next = t->ents;
	t->ents = ent;
	*out = ent;
	return 0;
}

/* ---- construction and lifetime ---- */

static int table_new(struct nestio_ctx *ctx, struct nestio_hwpt *parent,
		     struct nestio_viommu *viommu,
		     struct nestio_pasid_table **out)
{
	struct nestio_pasid_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	nio_obj_init(&t->obj, NIO_MAGIC_PASID_TABLE, ctx, 0);
	t->parent = parent ? nestio_hwpt_ref(parent) : NULL;
	t->viommu = viommu ? nestio_viommu_ref(viommu) : NULL;
	*out = t;
	return 0;
}

NESTIO_EXPORT int nestio_pasid_table_new(struct nestio_hwpt *parent,
					 struct nestio_pasid_table **out)
{
	if (!nio_hwpt_ok(parent) || !out ||
	    !(nestio_hwpt_get_flags(parent) & NESTIO_HWPT_NEST_PARENT) ||
	    nestio_hwpt_is_nested(parent))
		return -EINVAL;
	return table_new(nestio_hwpt_get_ctx(parent), parent, NULL, out);
}

NESTIO_EXPORT int nestio_pasid_table_new_viommu(struct nestio_viommu *viommu,
						struct nestio_pasid_table **out)
{
	struct nestio_ctx *ctx;

	if (!nio_viommu_ok(viommu) || !out)
		return -EINVAL;
	ctx = nestio_hwpt_get_ctx(nestio_viommu_get_parent(viommu));
	if (!ctx)
		return -EINVAL;
	return table_new(ctx, NULL, viommu, out);
}

/*
 * The last unref leaves every binding attached, as any unref in this
 * library leaves what a device is attached to: the device pins the hwpts
 * and detaches them on its own last unref. Devices go first, so a device
 * whose last reference was ours detaches and is released while the hwpts
 * it was attached to still exist; then the hwpts, then the base.
 */
static void table_release(void *obj)
{
	struct nestio_pasid_table *t = obj;

	for (size_t i = 0; i < t->nb; i++)
		nestio_device_unref(t->b[i].dev);
	while (t->ents)
		ent_free(t, t->ents);
	free(t->b);
	nestio_hwpt_unref(t->parent);
	nestio_viommu_unref(t->viommu);
}

/* nestio_pasid_table_ref(), nestio_pasid_table_unref() */
NIO_DEFINE_REF_UNREF(pasid_table, NIO_MAGIC_PASID_TABLE, table_release)

/* ---- bind, update, unbind ---- */

/*
 * Around every call that changes the table, and around foreach: modifying
 * calls made meanwhile (from fn, or from a device's operations) get -EBUSY,
 * and our own reference keeps the table alive if one of them drops the
 * caller's last.
 */
static void enter(struct nestio_pasid_table *t)
{
	nestio_pasid_table_ref(t);
	t->busy++;
}

static void leave(struct nestio_pasid_table *t)
{
	t->busy--;
	nestio_pasid_table_unref(t);
}

/*
 * Put a slot on hwpt (a new binding's, or one the table moves). If the
 * device's slot is already attached (to the nest parent, say, or by a
 * table that was dropped), replace it: no window where DMA aborts. Which
 * call it is comes from the device's own bookkeeping, not from an error
 * code: an -ENOENT may be the kernel's (an object lookup that failed), an
 * -EBUSY the kernel's for a slot attached behind the library's back, and
 * either goes back to the caller as the kernel gave it.
 */
static int slot_take(struct nestio_device *dev, uint32_t pasid,
		     struct nestio_hwpt *hwpt)
{
	if (nio_device_has_slot(dev, pasid))
		return nestio_device_replace_hwpt(dev, pasid, hwpt);
	return nestio_device_attach_hwpt(dev, pasid, hwpt);
}

static int bind_new(struct nestio_pasid_table *t, size_t at,
		    struct nestio_device *dev, uint32_t pasid,
		    const struct nestio_stage1 *s1, unsigned int flags)
{
	struct hwpt_ent *ent;
	int r;

	r = reserve(t);		/* first: nothing can fail after the attach */
	if (r < 0)
		return r;
	r = ent_get(t, dev, pasid, s1, flags, &ent);
	if (r < 0)
		return r;
	r = slot_take(dev, pasid, ent->hwpt);
	if (r < 0) {
		if (!ent->users)
			ent_free(t, ent);
		return r;
	}
	memmove(&t->b[at + 1], &t->b[at], (t->nb - at) * sizeof(*t->b));
	t->b[at] = (struct binding){ nestio_device_ref(dev), pasid, ent };
	t->nb++;
	ent->users++;
	dbg(t->obj.ctx, "dev_id %u pasid %d bound to hwpt %u (%u user(s))",
	    nestio_device_get_id(dev), pasid_log(pasid),
	    nestio_hwpt_get_id(ent->hwpt), ent->users);
	return 0;
}

static int rebind(struct nestio_pasid_table *t, struct binding *b,
		  const struct nestio_stage1 *s1, unsigned int flags)
{
	struct hwpt_ent *ent, *old = b->ent;
	int r;

	r = ent_get(t, b->dev, b->pasid, s1, flags, &ent);
	if (r < 0)
		return r;
	if (ent == old)		/* cannot happen: the configs differ */
		return 0;
	r = slot_take(b->dev, b->pasid, ent->hwpt);
	if (r < 0) {
		if (!ent->users)
			ent_free(t, ent);
		return r;
	}
	b->ent = ent;
	ent->users++;
	dbg(t->obj.ctx, "dev_id %u pasid %d moved from hwpt %u to hwpt %u",
	    nestio_device_get_id(b->dev), pasid_log(b->pasid),
	    nestio_hwpt_get_id(old->hwpt), nestio_hwpt_get_id(ent->hwpt));
	ent_unuse(t, old);
	return 0;
}

NESTIO_EXPORT int nestio_pasid_bind(struct nestio_pasid_table *t,
				    struct nestio_device *dev, uint32_t pasid,
				    const struct nestio_stage1 *s1,
				    unsigned int flags)
{
	struct nio_stage1_uapi u;
	bool found;
	size_t at;
	int r;

	if (!table_ok(t) || !dev_ok(t, dev) || !pasid_ok(pasid) ||
	    flags & ~NESTIO_BIND_NO_SHARE || !s1 ||
	    (s1->type != NESTIO_STAGE1_PASSTHROUGH && nio_stage1_to_uapi(s1, &u) < 0))
		return -EINVAL;
	if (t->busy)
		return -EBUSY;
	at = find(t, dev, pasid, &found);
	if (found && nio_stage1_equal(&t->b[at].ent->s1, s1))
		return 0;
	enter(t);
	if (found)
		r = rebind(t, &t->b[at], s1, flags);
	else
		r = bind_new(t, at, dev, pasid, s1, flags);
	leave(t);
	return r;
}

NESTIO_EXPORT int nestio_pasid_unbind(struct nestio_pasid_table *t,
				      struct nestio_device *dev, uint32_t pasid)
{
	struct binding b;
	bool found;
	size_t at;
	int r;

	if (!table_ok(t) || !dev_ok(t, dev) || !pasid_ok(pasid))
		return -EINVAL;
	if (t->busy)
		return -EBUSY;
	at = find(t, dev, pasid, &found);
	if (!found)
		return -ENOENT;
	enter(t);
	/*
	 * A slot the device no longer tracks was detached behind our back
	 * (through the device): the unbind stands. Otherwise any error is the
	 * kernel's, -ENOENT included (an object lookup that failed): the slot
	 * is still attached, and so the binding stays.
	 */
	if (nio_device_has_slot(dev, pasid)) {
		r = nestio_device_detach(dev, pasid);
		if (r < 0) {
			leave(t);
			return r;
		}
	}
	b = t->b[at];
	memmove(&t->b[at], &t->b[at + 1], (t->nb - at - 1) * sizeof(*t->b));
	t->nb--;
	dbg(t->obj.ctx, "dev_id %u pasid %d unbound from hwpt %u",
	    nestio_device_get_id(dev), pasid_log(pasid),
	    nestio_hwpt_get_id(b.ent->hwpt));
	ent_unuse(t, b.ent);
	nestio_device_unref(b.dev);
	leave(t);
	return 0;
}

/*
 * Re-issue one binding. A replace with the hwpt the slot is already on is a
 * no-op in the kernel. If the kernel has nothing attached at the slot (a
 * reset, or a detach the library did not see) it refuses the replace with
 * -EINVAL: then the slot is detached in the device's bookkeeping (nothing
 * to detach in the kernel) and attached again.
 */
static int replay_one(struct binding *b)
{
	struct nestio_hwpt *hwpt = b->ent->hwpt;
	int r;

	if (!nio_device_has_slot(b->dev, b->pasid))
		return nestio_device_attach_hwpt(b->dev, b->pasid, hwpt);
	r = nestio_device_replace_hwpt(b->dev, b->pasid, hwpt);
	if (r != -EINVAL)
		return r;
	/* the device tracks the slot: any error here is the kernel's */
	r = nestio_device_detach(b->dev, b->pasid);
	if (r < 0)
		return r;
	return nestio_device_attach_hwpt(b->dev, b->pasid, hwpt);
}

/* Every binding of dev, RID first; past a failure too: return the first. */
NESTIO_EXPORT int nestio_pasid_replay(struct nestio_pasid_table *t,
				      struct nestio_device *dev)
{
	int n = 0, first = 0;
	bool found;
	size_t i;

	if (!table_ok(t) || !dev_ok(t, dev))
		return -EINVAL;
	if (t->busy)
		return -EBUSY;
	enter(t);
	i = find(t, dev, NESTIO_NO_PASID, &found);	/* the device's first */
	for (; i < t->nb && t->b[i].dev == dev; i++) {
		int r = replay_one(&t->b[i]);

		if (r < 0) {
			err(t->obj.ctx, "dev_id %u pasid %d: replay: %s",
			    nestio_device_get_id(dev), pasid_log(t->b[i].pasid),
			    strerror(-r));
			if (!first)
				first = r;
		} else {
			n++;
		}
	}
	leave(t);
	return first ? first : n;
}

/* ---- looking ---- */

NESTIO_EXPORT struct nestio_hwpt *nestio_pasid_lookup(struct nestio_pasid_table *t,
						      struct nestio_device *dev,
						      uint32_t pasid)
{
	bool found;
	size_t at;

	if (!table_ok(t) || !dev_ok(t, dev) || !pasid_ok(pasid))
		return NULL;
	at = find(t, dev, pasid, &found);
	return found ? t->b[at].ent->hwpt : NULL;
}

NESTIO_EXPORT int nestio_pasid_table_foreach(struct nestio_pasid_table *t,
					     int (*fn)(struct nestio_device *dev,
						       uint32_t pasid,
						       const struct nestio_stage1 *s1,
						       struct nestio_hwpt *hwpt,
						       void *data),
					     void *data)
{
	int r = 0;

	if (!table_ok(t) || !fn)
		return -EINVAL;
	enter(t);
	for (size_t i = 0; i < t->nb && !r; i++) {
		struct binding *b = &t->b[i];

		r = fn(b->dev, b->pasid, &b->ent->s1, b->ent->hwpt, data);
	}
	leave(t);
	return r;
}
