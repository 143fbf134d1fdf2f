/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to lib/: shared by the object files, never installed. */
#ifndef NESTIO_INTERNAL_H
#define NESTIO_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <syslog.h>

#include "libnestio.h"

#define NESTIO_EXPORT __attribute__((visibility("default")))

/* Every object starts with a magic so a wrong or freed pointer gives -EINVAL. */
enum nio_magic {
	NIO_MAGIC_CTX = 0x4e435458,	/* "NCTX" */
	NIO_MAGIC_IOAS = 0x4e494f41,	/* "NIOA" */
	NIO_MAGIC_DEVICE = 0x4e444556,	/* "NDEV" */
	NIO_MAGIC_HWPT = 0x4e485750,	/* "NHWP" */
	NIO_MAGIC_VIOMMU = 0x4e56494f,	/* "NVIO" */
	NIO_MAGIC_VDEVICE = 0x4e564456,	/* "NVDV" */
	NIO_MAGIC_PASID_TABLE = 0x4e505442,	/* "NPTB" */
	NIO_MAGIC_INVQ = 0x4e494e51,	/* "NINQ" */
	NIO_MAGIC_VEVENTQ = 0x4e564551,	/* "NVEQ" */
	NIO_MAGIC_FAULT = 0x4e464c54,	/* "NFLT" */
	NIO_MAGIC_MONITOR = 0x4e4d4f4e,	/* "NMON" */
	NIO_MAGIC_HW_QUEUE = 0x4e485751,	/* "NHWQ" */
};

/*
 * ---- the object header, and the one refcount policy ----
 *
 * Every refcounted object begins with a struct nio_obj: the ctx, ioas,
 * device, hwpt, vIOMMU, vDEVICE, pasid table, invq, vEVENTQ, fault queue,
 * HW queue and monitor. Each public nestio_<object>_ref()/_unref() is
 * nio_obj_ref()/nio_obj_unref() on nio_obj_of(p, magic): a NULL pointer,
 * an object of another kind or a freed one (magic 0) gives NULL and
 * changes nothing, and every other call checks the magic the same way
 * (-EINVAL).
 *
 * Who pins what: a new object holds one reference, its creator's
 * (nio_obj_init). It pins its ctx (obj.ctx; the ctx itself pins nothing:
 * its obj.ctx is NULL, its id 0) and everything it is built on: a hwpt its
 * IOAS, nest parent or vIOMMU, and its fault queue; a vIOMMU its nest
 * parent; a vDEVICE its vIOMMU and device; a vEVENTQ its vIOMMU; a HW
 * queue its vIOMMU and the queue before it; an invq its hwpt or vIOMMU; a
 * pasid table its base, each device it binds and the hwpts it made. A
 * device pins what each of its slots is attached to. So an object outlives
 * everything built on it, and no unref order can make the kernel answer
 * EBUSY.
 *
 * When release runs: at the unref that takes the count to 0, once.
 * release(obj) undoes the object's own work (its kernel object destroyed,
 * its fds closed, its pins dropped); then nio_obj_unref() clears the magic,
 * frees the object and drops its pin on the ctx, last. While release runs
 * the count is 0: the object's getters still answer (a device's detach
 * operation may ask for its id), but a ref gives NULL and an unref does
 * nothing, so a call back into it cannot free it twice. An object that
 * must refuse every call then also checks nio_obj_refcount() > 0 (the
 * pasid table: a device it releases may call back into it). The count is
 * atomic: an invq is shared between threads and drops its pins from any of
 * them; nothing else about the other objects is thread-safe.
 */
struct nio_obj {
	uint32_t magic;
	int refcount;		/* atomic; 0 while release runs */
	struct nestio_ctx *ctx;	/* pinned; NULL in the ctx itself */
	uint32_t id;		/* the kernel's object id, or 0 */
	uint32_t flags;		/* NIO_OBJ_*, set when it is made */
	struct nio_obj *reg_next;	/* its ctx's registry bucket */
};

/* NIO_OBJ_NESTED: a nested hwpt (on a nest parent or a vIOMMU);
 * NIO_OBJ_REGISTERED: in its ctx's registry (nio_obj_register);
 * NIO_OBJ_KEEP: adopted with NESTIO_ADOPT_KEEP, release leaves the kernel
 * object alone */
enum { NIO_OBJ_NESTED = 1u << 0, NIO_OBJ_REGISTERED = 1u << 1,
       NIO_OBJ_KEEP = 1u << 2 };

/* p's header if p is an object with this magic, else NULL (not const:
 * the header's count changes on a ref of a const object's pointer) */
static inline struct nio_obj *nio_obj_of(const void *p, uint32_t magic)
{
	struct nio_obj *o = (struct nio_obj *)(uintptr_t)p;

	return o && o->magic == magic ? o : NULL;
}

/* a new object's header: one reference, a pin on ctx (NULL for the ctx) */
void nio_obj_init(struct nio_obj *o, uint32_t magic, struct nestio_ctx *ctx,
		  uint32_t id);
/* o (NULL for NULL, or while o is released) with one more reference */
void *nio_obj_ref(struct nio_obj *o);
/* drops a reference; the last takes o out of its ctx's registry, runs
 * release(o) and frees o. Always NULL. */
void *nio_obj_unref(struct nio_obj *o, void (*release)(void *obj));

/*
 * ---- the registry: a ctx's live IOAS, hwpts and devices by kernel id ----
 *
 * A VMM's layers pass raw ids between them (a pt_id that is an IOAS or a
 * hwpt, a dev_id); nestio_ctx_lookup_*() turns one back into the object.
 * A constructor registers its object once it is complete (so a lookup
 * never sees a half-made one); nio_obj_unref() takes it out at the last
 * unref, before release() destroys the kernel object (whose id the kernel
 * may then hand out again). The registry has its own mutex: an object's
 * last unref may run on any thread (an invq drops its pins where it is
 * flushed). A lookup takes its reference only from a count that is still
 * above 0, under that mutex, so an object whose last unref has started is
 * never revived, and it cannot be freed while the lookup looks at it: its
 * unref waits for the mutex to take it out.
 */
#define NIO_REG_BUCKETS 64
void nio_obj_register(struct nio_obj *o);
/* a new reference to ctx's live object with this magic and id, or NULL */
void *nio_obj_lookup(struct nestio_ctx *ctx, uint32_t magic, uint32_t id);
/* ctx has a live or dying object with this magic and id (no reference) */
bool nio_obj_registered(struct nestio_ctx *ctx, uint32_t magic, uint32_t id);
/* the references held: >1 means someone besides the caller holds one */
static inline int nio_obj_refcount(const struct nio_obj *o)
{
	return __atomic_load_n(&o->refcount, __ATOMIC_ACQUIRE);
}

/*
 * An object's public ref and unref, nestio_<name>_ref() and
 * nestio_<name>_unref(): the one pair above, on nio_obj_of(p, magic).
 */
#define NIO_DEFINE_REF_UNREF(name, magic, release)                             \
	NESTIO_EXPORT struct nestio_##name *nestio_##name##_ref(               \
		struct nestio_##name *p)                                       \
	{                                                                      \
		return nio_obj_ref(nio_obj_of(p, magic));                      \
	}                                                                      \
	NESTIO_EXPORT struct nestio_##name *nestio_##name##_unref(             \
		struct nestio_##name *p)                                       \
	{                                                                      \
		return nio_obj_unref(nio_obj_of(p, magic), release);           \
	}

/* the ctx and the kernel id of a checked object (any kind) */
static inline struct nestio_ctx *nio_obj_ctx(const void *p)
{
	return ((const struct nio_obj *)p)->ctx;
}

static inline uint32_t nio_obj_id(const void *p)
{
	return ((const struct nio_obj *)p)->id;
}

struct nio_source;

struct nestio_ctx {
	struct nio_obj obj;	/* first; obj.ctx is NULL */
	int fd;
	int log_priority;
	void (*log_fn)(struct nestio_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args);
	void *userdata;
	bool features_probed;
	uint32_t features;	/* bit per enum nestio_feature */
	struct nio_source *sources;	/* registered pollable fds */
	size_t nsources;
	pthread_mutex_t reg_lock;	/* reg, and each object's reg_next */
	struct nio_obj *reg[NIO_REG_BUCKETS];	/* by id % NIO_REG_BUCKETS */
};

static inline bool nio_ctx_ok(const struct nestio_ctx *ctx)
{
	return nio_obj_of(ctx, NIO_MAGIC_CTX);
}

/* ---- logging (lib/log.c; libkmod style: cheap when the priority filters
 * it out) ---- */
/* a new ctx's log function and priority (NESTIO_LOG) */
void nio_log_init(struct nestio_ctx *ctx);
void nio_log(struct nestio_ctx *ctx, int priority, const char *file, int line,
	     const char *fn, const char *format, ...)
	__attribute__((format(printf, 6, 7)));

#define nio_log_cond(ctx, prio, ...)                                          \
	do {                                                                   \
		if ((ctx)->log_priority >= (prio))                             \
			nio_log((ctx), (prio), __FILE__, __LINE__, __func__,   \
				__VA_ARGS__);                                  \
	} while (0)
#define dbg(ctx, ...) nio_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)
#define info(ctx, ...) nio_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define err(ctx, ...) nio_log_cond(ctx, LOG_ERR, __VA_ARGS__)

/* ---- the one ioctl chokepoint (lib/ioctl.c) ----
 * nio_ioctl(): libc's ioctl(), EINTR retried, 0 (or the ioctl's
 * non-negative result) or -errno, the request's name logged at debug
 * level. nio_ioctl_count(): the same for a request with a count the kernel
 * writes back even when it fails (IOMMU_HWPT_INVALIDATE's entry_num): the
 * count is put back before a retry. Hermetic tests see every call by
 * linking with -Wl,--wrap=ioctl (tests/testutil.c): nothing in the library
 * is there for them.
 */
int nio_ioctl(struct nestio_ctx *ctx, int fd, unsigned long request, void *arg);
int nio_ioctl_count(struct nestio_ctx *ctx, int fd, unsigned long request,
		    void *arg, uint32_t *count);
const char *nio_ioctl_name(unsigned long request);

/* read(2)/write(2) on a queue fd: EINTR retried, -errno on failure
 * (-EAGAIN when a non-blocking fd has nothing) */
ssize_t nio_read(struct nestio_ctx *ctx, int fd, void *buf, size_t len);
ssize_t nio_write(struct nestio_ctx *ctx, int fd, const void *buf, size_t len);
/* a shared read-write mapping of fd at offset (the kernel's mmap offset of
 * a vIOMMU page), logged like an ioctl; and its undoing */
int nio_mmap(struct nestio_ctx *ctx, int fd, uint64_t offset, size_t length,
	     void **addr);
void nio_munmap(struct nestio_ctx *ctx, void *addr, size_t length);

/* ---- dispatch (lib/dispatch.c): the pollable fds of a ctx ----
 * A queue registers its fd with the function that drains it and calls its
 * handler; nestio_ctx_dispatch() finds it by fd. Unregister before the fd
 * is closed. */
int nio_dispatch_add(struct nestio_ctx *ctx, int fd, void *obj,
		     int (*drain)(void *obj));
void nio_dispatch_del(struct nestio_ctx *ctx, int fd);
/* ---- hotplug monitor (lib/monitor.c): its parser ---- */
int nio_uevent_parse(const void *buf, size_t len, struct nestio_hotplug *ev);

/* the registered object of ctx with this magic (a struct nio_obj) and id */
void *nio_dispatch_find(struct nestio_ctx *ctx, uint32_t magic, uint32_t id);

/* ---- adopting objects by id (lib/adopt.c) ----
 * 0 when the kernel says id is an object of this kind (data_type: the
 * invalidation data type a nested hwpt takes), -EEXIST when ctx already
 * has an object with this magic and id, -ENOENT when it is not, or the
 * kernel's -errno. */
enum nio_adopt_kind {
	NIO_ADOPT_IOAS, NIO_ADOPT_PAGING, NIO_ADOPT_NESTED, NIO_ADOPT_VIOMMU,
};
int nio_adopt_check(struct nestio_ctx *ctx, uint32_t id, uint32_t magic,
		    enum nio_adopt_kind kind, uint32_t data_type);

/* IOMMU_DESTROY for an object id; logs on failure, returns -errno. */
int nio_destroy_id(struct nestio_ctx *ctx, uint32_t id);

/* ---- sized options structs (libbpf style) ----
 * A NULL opts means defaults. opts->sz must be at least sizeof(size_t); a
 * shorter struct than ours gets defaults for the fields it lacks; a longer
 * one must be zero beyond what we know, else -E2BIG.
 */
int nio_opts_check(const void *opts, size_t user_sz, size_t our_sz);
#define NIO_OPTS_CHECK(opts, type)                                             \
	((opts) ? nio_opts_check((opts), (opts)->sz, sizeof(type)) : 0)
#define NIO_OPTS_HAS(opts, field)                                              \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +        \
				       sizeof((opts)->field))
#define NIO_OPTS_GET(opts, field, def)                                         \
	(NIO_OPTS_HAS(opts, field) ? (opts)->field : (def))

static inline bool nio_device_ok(const struct nestio_device *dev)
{
	return nio_obj_of(dev, NIO_MAGIC_DEVICE);
}

/* the device tracks an attachment at pasid (NESTIO_NO_PASID: its RID) */
bool nio_device_has_slot(struct nestio_device *dev, uint32_t pasid);

/* what nestio_device_supports() found out about a device (lib/probe.c) */
struct nio_probe_answer {
	uint32_t what;		/* enum nestio_probe */
	uint32_t type;
	int answer;		/* 1 or 0 */
};
#define NIO_PROBE_CACHE 16
struct nio_probe_cache {
	struct nio_probe_answer a[NIO_PROBE_CACHE];
	unsigned int n;
};
struct nio_probe_cache *nio_device_probe_cache(struct nestio_device *dev);

static inline bool nio_ioas_ok(const struct nestio_ioas *ioas)
{
	return nio_obj_of(ioas, NIO_MAGIC_IOAS);
}

static inline bool nio_hwpt_ok(const struct nestio_hwpt *hwpt)
{
	return nio_obj_of(hwpt, NIO_MAGIC_HWPT);
}

static inline bool nio_viommu_ok(const struct nestio_viommu *viommu)
{
	return nio_obj_of(viommu, NIO_MAGIC_VIOMMU);
}

static inline bool nio_vdevice_ok(const struct nestio_vdevice *vdev)
{
	return nio_obj_of(vdev, NIO_MAGIC_VDEVICE);
}

/* lib/viommu.c: a hwpt being released stops being the vIOMMU's shared
 * abort or bypass hwpt */
void nio_viommu_forget_hwpt(struct nestio_viommu *viommu,
			    const struct nestio_hwpt *hwpt);

/* ---- stage-1 configurations (lib/stage1.c) ---- */
/* The kernel's form of a stage-1 config: type, and len bytes at data
 * (pointing into buf, or at the caller's raw bytes). -EINVAL if malformed. */
struct nio_stage1_uapi {
	uint32_t type;
	uint32_t len;
	const void *data;
	uint64_t buf[8];
};
int nio_stage1_to_uapi(const struct nestio_stage1 *s1, struct nio_stage1_uapi *u);
/* the same configuration (raw: the same bytes) */
bool nio_stage1_equal(const struct nestio_stage1 *a, const struct nestio_stage1 *b);
/* a copy that owns its raw bytes (free with nio_stage1_release) */
int nio_stage1_copy(struct nestio_stage1 *dst, const struct nestio_stage1 *src);
void nio_stage1_release(struct nestio_stage1 *s1);
/* the page size less one, read once when the library is loaded */
extern uint64_t nio_page_mask;
static inline bool nio_page_aligned(uint64_t v)
{
	return (v & nio_page_mask) == 0;
}
int nio_option(struct nestio_ctx *ctx, uint32_t object_id, uint32_t option,
	       bool set, uint64_t *value);

/* ---- errata that ban read-only mappings from a nest parent's IOAS ----
 * lib/hwcaps.c: the name of the first erratum in errata with that effect
 * (the errata table), or NULL. lib/ioas.c: a nest parent takes a ban
 * (-EINVAL if the IOAS may already hold a read-only mapping) and drops it
 * when it is freed; lib/hwpt.c decides when. */
const char *nio_errata_forbid_ro(uint32_t errata);
int nio_ioas_forbid_ro(struct nestio_ioas *ioas, const char *erratum);
void nio_ioas_allow_ro(struct nestio_ioas *ioas);

#endif
