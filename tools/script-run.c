// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl run: the script interpreter. The kernel destroys every iommufd
 * object when its fd closes, so a manual bind lives in this one process:
 * the script's objects stay until it ends (or `release`), then go in
 * reverse creation order. The parser (script-parse.c) checks the whole
 * script before anything runs; this file makes the library calls and
 * prints what each step did.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "nestioctl.h"
#include "mockdev.h"
#include "script.h"

#ifdef HAVE_LIBEDIT
#include <histedit.h>
#endif

/* ------------------------------------------------------------ objects */

struct mem {
	void *va;
	uint64_t size;
	int fd;			/* file or memfd; -1: anonymous */
};

struct mapping {
	struct nestio_ioas *ioas;
	uint64_t iova, length;
};

#define MAX_PENDING_GROUPS 64

struct obj {
	unsigned int kind;	/* SK_*; 0: not live */
	bool mock;		/* a mock device */
	unsigned int inv;	/* invq: the entry type, NESTIO_INV_* */
	unsigned int inv_target; /* invq: SK_HWPT or SK_VIOMMU */
	uint32_t evq_type;	/* veventq: the type */
	unsigned int ngroups;	/* fault: groups read, not answered */
	uint32_t groups[MAX_PENDING_GROUPS];
	union {
		void *p;
		struct nestio_device *dev;
		struct nestio_ioas *ioas;
		struct nestio_hwpt *hwpt;
		struct nestio_viommu *viommu;
		struct nestio_vdevice *vdev;
		struct nestio_fault *fault;
		struct nestio_veventq *evq;
		struct nestio_invq *invq;
		struct nestio_pasid_table *pasids;
		struct mem *mem;
		struct mapping *map;
	};
};

struct run {
	struct nestio_ctx *ctx;
	struct script *s;
	const char *file;		/* for messages */
	struct obj objs[SCRIPT_MAX_OBJECTS + 1];
	unsigned int order[SCRIPT_MAX_OBJECTS + 1];	/* creation order */
	unsigned int norder;
	struct json j;
	const struct script_cmd *cmd;	/* the step being run */
	/* one step's text line */
	char text[2048];
	size_t tlen;
	sigset_t oldmask;		/* the mask before run blocked signals */
	bool interactive;
	/* a "! COMMAND" step: its error is kept, not printed */
	bool expect_fail;
	int fail_errno;
	char fail_msg[512];
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_child(int sig)
{
	(void)sig;
}

/* ------------------------------------------------------------ printing */

static void out_begin(struct run *R, const char *name)
{
	const struct script_cmd *cmd = R->cmd;
	const char *verb = script_verbs[cmd->verb].name;

	if (opt_json) {
		json_object_begin(&R->j, NULL);
		json_u64(&R->j, "line", cmd->line);
		json_string(&R->j, "verb", verb);
		if (name)
			json_string(&R->j, "name", name);
		return;
	}
	R->tlen = (size_t)snprintf(R->text, sizeof(R->text), "%s%s%s", verb,
				   name ? " " : "", name ? name : "");
}

__attribute__((format(printf, 3, 4)))
static void out_text(struct run *R, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (R->tlen >= sizeof(R->text) - 1)
		return;
	R->tlen += (size_t)snprintf(R->text + R->tlen, sizeof(R->text) - R->tlen,
				    " %s=", key);
	if (R->tlen >= sizeof(R->text) - 1)
		return;
	va_start(ap, fmt);
	R->tlen += (size_t)vsnprintf(R->text + R->tlen, sizeof(R->text) - R->tlen,
				     fmt, ap);
	va_end(ap);
}

static void out_u64(struct run *R, const char *key, uint64_t v)
{
	if (opt_json)
		json_u64(&R->j, key, v);
	else
		out_text(R, key, "%" PRIu64, v);
}

static void out_i64(struct run *R, const char *key, int64_t v)
{
	if (opt_json)
		json_i64(&R->j, key, v);
	else
		out_text(R, key, "%" PRId64, v);
}

static void out_hex(struct run *R, const char *key, uint64_t v)
{
	if (opt_json)
		json_hex(&R->j, key, v);
	else
		out_text(R, key, "0x%" PRIx64, v);
}

static void out_str(struct run *R, const char *key, const char *s)
{
	if (opt_json)
		json_string(&R->j, key, s);
	else if (strpbrk(s, " \t\"") || !*s)
		out_text(R, key, "\"%s\"", s);
	else
		out_text(R, key, "%s", s);
}

static void out_end(struct run *R)
{
	if (opt_json) {
		json_object_end(&R->j);
	} else {
		if (R->tlen > sizeof(R->text) - 1)
			R->tlen = sizeof(R->text) - 1;
		printf("%.*s\n", (int)R->tlen, R->text);
		fflush(stdout);
	}
}

/* A step's error: "prog: FILE: line N: VERB: message", and with --json an
 * object {"line", "verb", "error", "errno"} on stdout. Returns -1. */
__attribute__((format(printf, 3, 4)))
static int step_fail(struct run *R, int err, const char *fmt, ...)
{
	const struct script_cmd *cmd = R->cmd;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (R->expect_fail) {
		R->fail_errno = err;
		snprintf(R->fail_msg, sizeof(R->fail_msg), "%s", msg);
		return -1;
	}
	fprintf(stderr, "%s: %s: line %u: %s: %s\n", prog, R->file, cmd->line,
		script_verbs[cmd->verb].name, msg);
	if (opt_json) {
		json_object_begin(&R->j, NULL);
		json_u64(&R->j, "line", cmd->line);
		json_string(&R->j, "verb", script_verbs[cmd->verb].name);
		json_string(&R->j, "error", msg);
		if (err)
			json_i64(&R->j, "errno", err);
		json_object_end(&R->j);
	}
	return -1;
}

/* a library call's -errno as a step error */
static int call_fail(struct run *R, int r, const char *what)
{
	if (what)
		return step_fail(R, -r, "%s: %s", what, strerror(-r));
	return step_fail(R, -r, "%s", strerror(-r));
}

/* ------------------------------------------------------------ lookups */

static struct obj *pos_obj(struct run *R, unsigned int i)
{
	return &R->objs[R->cmd->pos[i].u];
}

/* an option of the step's verb (one it does not take: never set) */
static const struct script_val *opt(struct run *R, const char *name)
{
	static const struct script_val unset;
	int k = script_opt_index(R->cmd->verb, name);

	return k < 0 ? &unset : &R->cmd->opt[k];
}

static bool has(struct run *R, const char *name)
{
	return opt(R, name)->set;
}

static uint64_t optu(struct run *R, const char *name, uint64_t dflt)
{
	const struct script_val *v = opt(R, name);

	return v->set ? v->u : dflt;
}

static uint32_t opt_pasid(struct run *R)
{
	return has(R, "pasid") ? (uint32_t)optu(R, "pasid", 0) : NESTIO_NO_PASID;
}

static const char *slot_name(struct run *R, unsigned int slot)
{
	return script_slot_name(R->s, slot);
}

static int obj_fd(struct run *R, unsigned int slot)
{
	struct obj *o = &R->objs[slot];

	switch (o->kind) {
	case SK_CTX: return nestio_ctx_get_fd(R->ctx);
	case SK_DEVICE: return nestio_device_get_fd(o->dev);
	case SK_MEM: return o->mem->fd;
	case SK_FAULT: return nestio_fault_get_fd(o->fault);
	case SK_VEVENTQ: return nestio_veventq_get_fd(o->evq);
	}
	return -1;
}

static uint64_t obj_id(struct run *R, unsigned int slot)
{
	struct obj *o = &R->objs[slot];

	switch (o->kind) {
	case SK_DEVICE: return nestio_device_get_id(o->dev);
	case SK_IOAS: return nestio_ioas_get_id(o->ioas);
	case SK_HWPT: return nestio_hwpt_get_id(o->hwpt);
	case SK_VIOMMU: return nestio_viommu_get_id(o->viommu);
	case SK_VDEVICE: return nestio_vdevice_get_id(o->vdev);
	case SK_FAULT: return nestio_fault_get_id(o->fault);
	case SK_VEVENTQ: return nestio_veventq_get_id(o->evq);
	}
	return 0;
}

/* ------------------------------------------------------------ release */

static void obj_release(struct obj *o)
{
	uint64_t unmapped;

	switch (o->kind) {
	case SK_DEVICE: nestio_device_unref(o->dev); break;
	case SK_IOAS: nestio_ioas_unref(o->ioas); break;
	case SK_HWPT: nestio_hwpt_unref(o->hwpt); break;
	case SK_VIOMMU: nestio_viommu_unref(o->viommu); break;
	case SK_VDEVICE: nestio_vdevice_unref(o->vdev); break;
	case SK_FAULT: nestio_fault_unref(o->fault); break;
	case SK_VEVENTQ: nestio_veventq_unref(o->evq); break;
	case SK_INVQ: nestio_invq_unref(o->invq); break;
	case SK_PASIDS: nestio_pasid_table_unref(o->pasids); break;
	case SK_MEM:
		munmap(o->mem->va, o->mem->size);
		if (o->mem->fd >= 0)
			close(o->mem->fd);
		free(o->mem);
		break;
	case SK_MAP:
		nestio_ioas_unmap(o->map->ioas, o->map->iova, o->map->length, &unmapped);
		nestio_ioas_unref(o->map->ioas);
		free(o->map);
		break;
	}
	memset(o, 0, sizeof(*o));
}

static void release_all(struct run *R)
{
	for (unsigned int i = R->norder; i-- > 0;) {
		struct obj *o = &R->objs[R->order[i]];

		if (o->kind && o->kind != SK_CTX)
			obj_release(o);
	}
	R->norder = 0;
}

/* the step's new object */
static void created(struct run *R, unsigned int kind, void *p)
{
	struct obj *o = &R->objs[R->cmd->creates];

	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->p = p;
	R->order[R->norder++] = (unsigned int)R->cmd->creates;
}

/* ------------------------------------------------------------ stage 1 */

struct s1buf {
	struct nestio_stage1 s1;
	struct mockdev_hwpt_data mock;
};

static int stage1(struct run *R, struct s1buf *b)
{
	const struct script_val *v = opt(R, "s1"), *data = opt(R, "data");

	memset(b, 0, sizeof(*b));
	switch (v->u) {
	case 0:	/* vtd */
		if (!has(R, "pgtbl"))
			return step_fail(R, EINVAL, "s1=vtd needs pgtbl=");
		b->s1.type = NESTIO_STAGE1_VTD;
		b->s1.u.vtd.pgtbl_addr = optu(R, "pgtbl", 0);
		b->s1.u.vtd.addr_width = (uint32_t)optu(R, "aw", 48);
		{
			uint64_t f = optu(R, "s1-flags", 0);

			b->s1.u.vtd.flags = (f & 1 ? NESTIO_VTD_S1_SRE : 0) |
					    (f & 2 ? NESTIO_VTD_S1_EAFE : 0) |
					    (f & 4 ? NESTIO_VTD_S1_WPE : 0);
		}
		return 0;
	case 1:	/* smmuv3 */
		b->s1.type = NESTIO_STAGE1_ARM_SMMUV3;
		b->s1.u.smmuv3.ste[0] = optu(R, "ste0", 0);
		b->s1.u.smmuv3.ste[1] = optu(R, "ste1", 0);
		return 0;
	case 2:	/* mock */
		b->mock.iotlb = (uint32_t)optu(R, "iotlb", MOCKDEV_IOTLB_DEFAULT);
		b->s1.type = NESTIO_STAGE1_RAW;
		b->s1.raw_type = MOCKDEV_HWPT_DATA;
		b->s1.u.raw.data = &b->mock;
		b->s1.u.raw.len = sizeof(b->mock);
		return 0;
	default: /* raw */
		if (!has(R, "raw-type") || !data->set)
			return step_fail(R, EINVAL, "s1=raw needs raw-type= and data=");
		b->s1.type = NESTIO_STAGE1_RAW;
		b->s1.raw_type = (uint32_t)optu(R, "raw-type", 0);
		b->s1.u.raw.data = data->hex;
		b->s1.u.raw.len = data->len;
		return 0;
	}
}

/* ------------------------------------------------------------ creating */

static int do_device(struct run *R)
{
	struct nestio_device *dev = NULL;
	int r;

	if (R->cmd->verb == SV_MOCK) {
		struct obj *pt = pos_obj(R, 0);
		uint32_t id = (uint32_t)obj_id(R, (unsigned int)R->cmd->pos[0].u);

		(void)pt;
		r = mockdev_new(R->ctx, id, optu(R, "pasid", 0), &dev);
		if (r == -ENOTTY)
			return step_fail(R, -r, "%s (this kernel has no IOMMUFD_TEST mock)",
					 strerror(-r));
	} else {
		r = nestio_device_open(R->ctx, R->cmd->pos[0].s, &dev);
		if (r == -ENODEV)
			return step_fail(R, -r, "%s: %s (is it bound to vfio-pci?)",
					 R->cmd->pos[0].s, strerror(-r));
	}
	if (r < 0)
		return call_fail(R, r, R->cmd->verb == SV_MOCK ? NULL : R->cmd->pos[0].s);
	created(R, SK_DEVICE, dev);
	R->objs[R->cmd->creates].mock = R->cmd->verb == SV_MOCK;
	out_begin(R, R->cmd->name);
	out_u64(R, "dev_id", nestio_device_get_id(dev));
	if (R->cmd->verb == SV_DEVICE)
		out_i64(R, "fd", nestio_device_get_fd(dev));
	out_end(R);
	return 0;
}

static int do_hwpt(struct run *R)
{
	struct nestio_hwpt *h = NULL;
	const struct script_val *f = opt(R, "fault");
	struct s1buf b;
	int r;

	if (R->cmd->verb == SV_HWPT) {
		uint64_t fl = optu(R, "flags", 0);
		struct nestio_hwpt_paging_opts o = {
			.sz = sizeof(o),
			.flags = (fl & 1 ? NESTIO_HWPT_NEST_PARENT : 0) |
				 (fl & 2 ? NESTIO_HWPT_DIRTY_TRACKING : 0) |
				 (fl & 4 ? NESTIO_HWPT_PASID : 0),
			.fault_id = f->set ? (uint32_t)obj_id(R, (unsigned int)f->u) : 0,
		};

		r = nestio_hwpt_new_paging(pos_obj(R, 0)->dev, pos_obj(R, 1)->ioas, &o, &h);
	} else {
		struct nestio_hwpt_nested_opts o = {
			.sz = sizeof(o),
			.flags = optu(R, "flags", 0) ? NESTIO_HWPT_PASID : 0,
			.fault_id = f->set ? (uint32_t)obj_id(R, (unsigned int)f->u) : 0,
		};
		struct obj *parent = pos_obj(R, 1);

		if (stage1(R, &b) < 0)
			return -1;
		if (parent->kind == SK_HWPT)
			r = nestio_hwpt_new_nested(pos_obj(R, 0)->dev, parent->hwpt, &b.s1, &o, &h);
		else
			r = nestio_hwpt_new_nested_viommu(pos_obj(R, 0)->dev, parent->viommu,
							  &b.s1, &o, &h);
	}
	if (r < 0)
		return call_fail(R, r, NULL);
	created(R, SK_HWPT, h);
	out_begin(R, R->cmd->name);
	out_u64(R, "id", nestio_hwpt_get_id(h));
	out_str(R, "type", nestio_hwpt_is_nested(h) ? "nested" : "paging");
	out_hex(R, "flags", nestio_hwpt_get_flags(h));
	out_end(R);
	return 0;
}

static uint32_t type_of(const struct script_val *v, uint32_t smmuv3,
			uint32_t tegra, uint32_t mock)
{
	if (!v->word_set)
		return (uint32_t)v->u;
	return v->u == 0 ? smmuv3 : v->u == 1 ? tegra : mock;
}

static int do_viommu(struct run *R)
{
	struct nestio_viommu *v = NULL;
	uint32_t type = type_of(opt(R, "type"), NESTIO_VIOMMU_ARM_SMMUV3,
				NESTIO_VIOMMU_TEGRA241_CMDQV, MOCKDEV_VIOMMU_TYPE);
	int r = nestio_viommu_new(pos_obj(R, 0)->dev, pos_obj(R, 1)->hwpt, type, NULL, &v);

	if (r < 0)
		return call_fail(R, r, NULL);
	created(R, SK_VIOMMU, v);
	out_begin(R, R->cmd->name);
	out_u64(R, "id", nestio_viommu_get_id(v));
	out_hex(R, "type", type);
	out_end(R);
	return 0;
}

static int do_vdevice(struct run *R)
{
	struct nestio_vdevice *vd = NULL;
	int r = nestio_vdevice_new(pos_obj(R, 0)->viommu, pos_obj(R, 1)->dev,
				   R->cmd->pos[2].u, &vd);

	if (r < 0)
		return call_fail(R, r, NULL);
	created(R, SK_VDEVICE, vd);
	out_begin(R, R->cmd->name);
	out_u64(R, "id", nestio_vdevice_get_id(vd));
	out_hex(R, "virt_id", nestio_vdevice_get_virt_id(vd));
	out_end(R);
	return 0;
}

static int do_queue(struct run *R)
{
	int r;

	if (R->cmd->verb == SV_FAULT) {
		struct nestio_fault *f = NULL;

		r = nestio_fault_new(R->ctx, &f);
		if (r < 0)
			return call_fail(R, r, NULL);
		created(R, SK_FAULT, f);
		out_begin(R, R->cmd->name);
		out_u64(R, "id", nestio_fault_get_id(f));
		out_i64(R, "fd", nestio_fault_get_fd(f));
	} else {
		struct nestio_veventq *q = NULL;
		uint32_t type = type_of(opt(R, "type"), NESTIO_VEVENTQ_ARM_SMMUV3,
					NESTIO_VEVENTQ_TEGRA241_CMDQV, MOCKDEV_VEVENTQ_TYPE);

		r = nestio_veventq_new(pos_obj(R, 0)->viommu, type,
				       (uint32_t)optu(R, "depth", 64), &q);
		if (r < 0)
			return call_fail(R, r, NULL);
		created(R, SK_VEVENTQ, q);
		R->objs[R->cmd->creates].evq_type = type;
		out_begin(R, R->cmd->name);
		out_u64(R, "id", nestio_veventq_get_id(q));
		out_i64(R, "fd", nestio_veventq_get_fd(q));
	}
	out_end(R);
	return 0;
}

static int do_invq(struct run *R)
{
	struct obj *t = pos_obj(R, 0);
	uint64_t type = optu(R, "type", 0);
	struct nestio_invq_opts o = {
		.sz = sizeof(o),
		.capacity = (uint32_t)optu(R, "capacity", 0),
		.flags = (optu(R, "coalesce", 0) ? NESTIO_INVQ_COALESCE : 0) |
			 (optu(R, "atc-separate", 0) ? NESTIO_INVQ_ATC_SEPARATE : 0),
	};
	struct nestio_invq *q = NULL;
	unsigned int inv;
	int r;

	if (type == 0)
		inv = NESTIO_INV_VTD_S1;
	else if (type == 1)
		inv = NESTIO_INV_ARM_SMMUV3;
	else {
		inv = NESTIO_INV_RAW;
		o.raw_type = t->kind == SK_HWPT ? MOCKDEV_HWPT_INVALIDATE : MOCKDEV_VIOMMU_INVALIDATE;
		o.raw_entry_len = t->kind == SK_HWPT ? sizeof(struct mockdev_hwpt_inv)
						     : sizeof(struct mockdev_viommu_inv);
	}
	if (t->kind == SK_HWPT)
		r = nestio_invq_new(t->hwpt, inv, &o, &q);
	else
		r = nestio_invq_new_viommu(t->viommu, inv, &o, &q);
	if (r < 0)
		return call_fail(R, r, NULL);
	created(R, SK_INVQ, q);
	R->objs[R->cmd->creates].inv = inv;
	R->objs[R->cmd->creates].inv_target = t->kind;
	out_begin(R, R->cmd->name);
	out_str(R, "on", slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_end(R);
	return 0;
}

static int do_pasids(struct run *R)
{
	struct obj *t = pos_obj(R, 0);
	struct nestio_pasid_table *tb = NULL;
	int r;

	if (t->kind == SK_HWPT)
		r = nestio_pasid_table_new(t->hwpt, &tb);
	else
		r = nestio_pasid_table_new_viommu(t->viommu, &tb);
	if (r < 0)
		return call_fail(R, r, NULL);
	created(R, SK_PASIDS, tb);
	out_begin(R, R->cmd->name);
	out_str(R, "on", slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_end(R);
	return 0;
}

static int do_mem(struct run *R)
{
	const struct script_val *file = opt(R, "file");
	bool huge = optu(R, "hugetlb", 0), memfd = optu(R, "memfd", 0);
	uint64_t size = R->cmd->pos[0].u;
	struct mem *m;
	int flags = MAP_SHARED;

	if (file->set && memfd)
		return step_fail(R, EINVAL, "file= and memfd=on exclude each other");
	m = calloc(1, sizeof(*m));
	if (!m)
		return call_fail(R, -ENOMEM, NULL);
	m->fd = -1;
	m->size = size;
	if (file->set) {
		m->fd = open(file->s, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (m->fd < 0) {
			free(m);
			return call_fail(R, -errno, file->s);
		}
	} else if (memfd) {
		m->fd = memfd_create("nestioctl", MFD_CLOEXEC | (huge ? MFD_HUGETLB : 0));
		if (m->fd < 0) {
			free(m);
			return call_fail(R, -errno, "memfd_create");
		}
	} else {
		flags = MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0);
	}
	if (m->fd >= 0 && ftruncate(m->fd, (off_t)size) < 0) {
		int e = errno;

		close(m->fd);
		free(m);
		return call_fail(R, -e, "ftruncate");
	}
	m->va = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, m->fd, 0);
	if (m->va == MAP_FAILED) {
		int e = errno;

		if (m->fd >= 0)
			close(m->fd);
		free(m);
		return call_fail(R, -e, "mmap");
	}
	/* anonymous pages: made this process's own before a map pins them,
	 * so the IOMMU and the script see the same pages */
	if (m->fd < 0)
		memset(m->va, 0, size);
	created(R, SK_MEM, m);
	out_begin(R, R->cmd->name);
	out_hex(R, "size", size);
	out_str(R, "backing", file->set ? "file" : memfd ? "memfd" : "anonymous");
	if (huge)
		out_str(R, "pages", "hugetlb");
	if (m->fd >= 0)
		out_i64(R, "fd", m->fd);
	out_end(R);
	return 0;
}

static int do_map(struct run *R)
{
	struct nestio_ioas *ioas = pos_obj(R, 0)->ioas;
	struct mem *m = pos_obj(R, 1)->mem;
	uint64_t off = optu(R, "offset", 0), len, iova = optu(R, "iova", 0);
	uint64_t prot = optu(R, "prot", 3);
	unsigned int flags = (prot & 1 ? NESTIO_MAP_READ : 0) |
			     (prot & 2 ? NESTIO_MAP_WRITE : 0) |
			     (has(R, "iova") ? NESTIO_MAP_FIXED_IOVA : 0);
	struct mapping *mp;
	int r;

	if (off >= m->size)
		return step_fail(R, EINVAL, "offset 0x%" PRIx64 " is past the end of %s (0x%" PRIx64 ")",
				 off, slot_name(R, (unsigned int)R->cmd->pos[1].u), m->size);
	len = optu(R, "length", m->size - off);
	if (len > m->size - off)
		return step_fail(R, EINVAL, "length 0x%" PRIx64 " runs past the end of %s",
				 len, slot_name(R, (unsigned int)R->cmd->pos[1].u));
	if (optu(R, "by-fd", 0)) {
		if (m->fd < 0)
			return step_fail(R, EINVAL, "by-fd=on needs a mem with file= or memfd=on");
		r = nestio_ioas_map_file(ioas, m->fd, off, len, &iova, flags);
	} else {
		r = nestio_ioas_map(ioas, (char *)m->va + off, len, &iova, flags);
	}
	if (r < 0)
		return call_fail(R, r, NULL);
	mp = calloc(1, sizeof(*mp));
	if (!mp) {
		uint64_t unmapped;

		nestio_ioas_unmap(ioas, iova, len, &unmapped);
		return call_fail(R, -ENOMEM, NULL);
	}
	mp->ioas = nestio_ioas_ref(ioas);
	mp->iova = iova;
	mp->length = len;
	created(R, SK_MAP, mp);
	out_begin(R, R->cmd->name);
	out_hex(R, "iova", iova);
	out_hex(R, "length", len);
	out_end(R);
	return 0;
}

static int do_ioas(struct run *R)
{
	struct nestio_ioas *ioas = NULL;
	int r = nestio_ioas_new(R->ctx, &ioas);

	if (r < 0)
		return call_fail(R, r, NULL);
	created(R, SK_IOAS, ioas);
	out_begin(R, R->cmd->name);
	out_u64(R, "id", nestio_ioas_get_id(ioas));
	out_end(R);
	return 0;
}

/* ------------------------------------------------------------ acting */

static int do_release(struct run *R)
{
	for (unsigned int i = 0; i < R->cmd->npos; i++) {
		unsigned int slot = (unsigned int)R->cmd->pos[i].u;

		obj_release(&R->objs[slot]);
		out_begin(R, slot_name(R, slot));
		out_end(R);
	}
	return 0;
}

static int do_attach(struct run *R)
{
	struct nestio_device *dev = pos_obj(R, 0)->dev;
	uint32_t pasid = opt_pasid(R);
	struct obj *pt = R->cmd->npos > 1 ? pos_obj(R, 1) : NULL;
	int r;

	switch (R->cmd->verb) {
	case SV_ATTACH:
		r = pt->kind == SK_IOAS ? nestio_device_attach_ioas(dev, pasid, pt->ioas)
					: nestio_device_attach_hwpt(dev, pasid, pt->hwpt);
		break;
	case SV_REPLACE:
		r = pt->kind == SK_IOAS ? nestio_device_replace_ioas(dev, pasid, pt->ioas)
					: nestio_device_replace_hwpt(dev, pasid, pt->hwpt);
		break;
	default:
		r = nestio_device_detach(dev, pasid);
		break;
	}
	if (r < 0)
		return call_fail(R, r, NULL);
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	if (pt) {
		out_str(R, "to", slot_name(R, (unsigned int)R->cmd->pos[1].u));
		out_u64(R, "pt_id", obj_id(R, (unsigned int)R->cmd->pos[1].u));
	}
	if (pasid == NESTIO_NO_PASID)
		out_str(R, "at", "rid");
	else
		out_u64(R, "pasid", pasid);
	out_end(R);
	return 0;
}

static int do_bind(struct run *R)
{
	struct nestio_pasid_table *t = pos_obj(R, 0)->pasids;
	struct nestio_device *dev = pos_obj(R, 1)->dev;
	uint32_t pasid = opt_pasid(R);
	struct nestio_hwpt *h;
	struct s1buf b;
	int r;

	switch (R->cmd->verb) {
	case SV_BIND:
		if (stage1(R, &b) < 0)
			return -1;
		r = nestio_pasid_bind(t, dev, pasid, &b.s1,
				      optu(R, "share", 1) ? 0 : NESTIO_BIND_NO_SHARE);
		break;
	case SV_UNBIND:
		r = nestio_pasid_unbind(t, dev, pasid);
		break;
	default:
		r = nestio_pasid_replay(t, dev);
		break;
	}
	if (r < 0)
		return call_fail(R, r, NULL);
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_str(R, "device", slot_name(R, (unsigned int)R->cmd->pos[1].u));
	if (R->cmd->verb == SV_REPLAY) {
		out_u64(R, "bindings", (uint64_t)r);
	} else {
		if (pasid == NESTIO_NO_PASID)
			out_str(R, "at", "rid");
		else
			out_u64(R, "pasid", pasid);
		h = R->cmd->verb == SV_BIND ? nestio_pasid_lookup(t, dev, pasid) : NULL;
		if (h)
			out_u64(R, "hwpt_id", nestio_hwpt_get_id(h));
	}
	out_end(R);
	return 0;
}

static int do_push(struct run *R)
{
	struct obj *q = pos_obj(R, 0);
	const struct script_val *data = opt(R, "data");
	int r;

	if (data->set) {
		r = nestio_invq_push(q->invq, data->hex, data->len);
	} else if (q->inv == NESTIO_INV_VTD_S1) {
		r = nestio_invq_push_vtd(q->invq, optu(R, "addr", 0),
					 optu(R, "npages", 1),
					 optu(R, "leaf", 0) ? NESTIO_INV_VTD_LEAF : 0);
	} else if (q->inv == NESTIO_INV_ARM_SMMUV3) {
		r = nestio_invq_push_smmuv3(q->invq, optu(R, "cmd0", 0), optu(R, "cmd1", 0));
	} else if (q->inv_target == SK_HWPT) {
		struct mockdev_hwpt_inv e = {
			.flags = optu(R, "all", 0) ? MOCKDEV_INVALIDATE_ALL : 0,
			.iotlb_id = (uint32_t)optu(R, "iotlb", 0),
		};

		r = nestio_invq_push(q->invq, &e, sizeof(e));
	} else {
		struct mockdev_viommu_inv e = {
			.flags = optu(R, "all", 0) ? MOCKDEV_INVALIDATE_ALL : 0,
			.vdev_id = (uint32_t)optu(R, "vdev", 0),
			.cache_id = (uint32_t)optu(R, "cache", 0),
		};

		r = nestio_invq_push(q->invq, &e, sizeof(e));
	}
	if (r < 0)
		return call_fail(R, r, NULL);
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_u64(R, "pending", (uint64_t)nestio_invq_pending(q->invq));
	out_end(R);
	return 0;
}

static int do_flush(struct run *R)
{
	struct nestio_invq *q = pos_obj(R, 0)->invq;
	struct nestio_invq_stats a = { .sz = sizeof(a) }, b = { .sz = sizeof(b) };
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	int r;

	nestio_invq_get_stats(q, &a);
	if (R->cmd->verb == SV_DISCARD) {
		uint32_t n = (uint32_t)optu(R, "count", 1);

		r = nestio_invq_discard(q, n);
		if (r < 0)
			return call_fail(R, r, NULL);
		out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
		out_u64(R, "discarded", (uint64_t)r);
		out_u64(R, "kept", (uint64_t)nestio_invq_pending(q));
		out_end(R);
		return 0;
	}
	r = nestio_invq_flush(q, &fail);
	nestio_invq_get_stats(q, &b);
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_u64(R, "sent", b.sent - a.sent);
	out_u64(R, "ioctls", b.ioctls - a.ioctls);
	if (r < 0) {
		/* the failed entry: the first the kernel did not confirm */
		out_u64(R, "failed", b.sent - a.sent);
		out_str(R, "error", strerror(-fail.error));
		out_u64(R, "kept", (uint64_t)nestio_invq_pending(q));
	}
	out_end(R);
	if (r < 0)
		return step_fail(R, -r, "entry %" PRIu64 " failed: %s; %d kept",
				 b.sent - a.sent, strerror(-r), nestio_invq_pending(q));
	return 0;
}

/* ------------------------------------------------------------ events */

static void print_vevent(struct run *R, unsigned int slot, const struct nestio_vevent *ev)
{
	struct obj *o = &R->objs[slot];
	const char *verb = script_verbs[R->cmd->verb].name;

	if (opt_json) {
		json_object_begin(&R->j, NULL);
		json_u64(&R->j, "line", R->cmd->line);
		json_string(&R->j, "verb", verb);
		json_string(&R->j, "event", "vevent");
		json_string(&R->j, "queue", slot_name(R, slot));
	} else {
		R->tlen = (size_t)snprintf(R->text, sizeof(R->text), "vevent %s",
					   slot_name(R, slot));
	}
	out_u64(R, "seq", ev->sequence);
	out_u64(R, "lost", ev->lost);
	out_u64(R, "len", ev->len);
	if (o->evq_type == NESTIO_VEVENTQ_ARM_SMMUV3) {
		struct nestio_smmuv3_event e;

		if (nestio_vevent_decode_smmuv3(ev, &e) == 0) {
			out_hex(R, "id", e.id);
			out_str(R, "type", e.id == NESTIO_SMMUV3_EVT_TRANSLATION ? "translation" :
				e.id == NESTIO_SMMUV3_EVT_PERMISSION ? "permission" :
				e.id == NESTIO_SMMUV3_EVT_ACCESS ? "access" :
				e.id == NESTIO_SMMUV3_EVT_ADDR_SIZE ? "addr-size" :
				e.id == NESTIO_SMMUV3_EVT_BAD_CD ? "bad-cd" :
				e.id == NESTIO_SMMUV3_EVT_BAD_STE ? "bad-ste" : "other");
			out_hex(R, "sid", e.sid);
			if (e.flags & NESTIO_SMMUV3_EVF_SSV)
				out_hex(R, "ssid", e.ssid);
			out_hex(R, "addr", e.addr);
			out_str(R, "access", e.flags & NESTIO_SMMUV3_EVF_READ ? "read" : "write");
		}
	} else if (o->evq_type == MOCKDEV_VEVENTQ_TYPE && ev->len >= 4) {
		out_hex(R, "virt_id", (uint32_t)ev->data[0]);
	}
	if (opt_json) {
		json_array_begin(&R->j, "data");
		for (unsigned int i = 0; i < (ev->len + 7) / 8 && i < 8; i++)
			json_hex(&R->j, NULL, ev->data[i]);
		json_array_end(&R->j);
	} else {
		for (unsigned int i = 0; i < (ev->len + 7) / 8 && i < 8; i++) {
			char key[8];

			snprintf(key, sizeof(key), "data%u", i);
			out_hex(R, key, ev->data[i]);
		}
	}
	out_end(R);
}

static void print_request(struct run *R, unsigned int slot,
			  const struct nestio_page_request *q)
{
	if (opt_json) {
		json_object_begin(&R->j, NULL);
		json_u64(&R->j, "line", R->cmd->line);
		json_string(&R->j, "verb", script_verbs[R->cmd->verb].name);
		json_string(&R->j, "event", "fault");
		json_string(&R->j, "queue", slot_name(R, slot));
	} else {
		R->tlen = (size_t)snprintf(R->text, sizeof(R->text), "fault %s",
					   slot_name(R, slot));
	}
	out_u64(R, "dev_id", q->dev_id);
	if (q->flags & NESTIO_PRQ_PASID_VALID)
		out_u64(R, "pasid", q->pasid);
	out_u64(R, "grpid", q->grpid);
	out_hex(R, "addr", q->addr);
	out_str(R, "perm", q->perm == (NESTIO_PERM_READ | NESTIO_PERM_WRITE) ? "read,write" :
		q->perm & NESTIO_PERM_WRITE ? "write" : q->perm & NESTIO_PERM_READ ? "read" :
		q->perm & NESTIO_PERM_EXEC ? "exec" : "none");
	out_u64(R, "cookie", q->cookie);
	out_str(R, "last", q->flags & NESTIO_PRQ_LAST_PAGE ? "yes" : "no");
	out_end(R);
}

/* Reads what one queue holds; the number of events (records or requests). */
static int drain(struct run *R, unsigned int slot, unsigned int max)
{
	struct obj *o = &R->objs[slot];
	int r, n = 0;

	if (o->kind == SK_VEVENTQ) {
		struct nestio_vevent ev[16];

		while ((unsigned int)n < max) {
			unsigned int want = max - (unsigned int)n < 16 ? max - (unsigned int)n : 16;

			r = nestio_veventq_read(o->evq, ev, want);
			if (r < 0)
				return r == -EAGAIN ? n : r;
			if (r == 0)
				break;
			for (int i = 0; i < r; i++)
				print_vevent(R, slot, &ev[i]);
			n += r;
		}
		return n;
	}
	while ((unsigned int)n < max) {
		struct nestio_page_request req[32];

		r = nestio_fault_read_group(o->fault, req, 32);
		if (r < 0)
			return r == -EAGAIN ? n : r;
		if (r == 0)
			break;
		for (int i = 0; i < r; i++)
			print_request(R, slot, &req[i]);
		if (o->ngroups < MAX_PENDING_GROUPS)
			o->groups[o->ngroups++] = req[0].cookie;
		n++;
	}
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * wait: events of one queue; monitor: of every live queue, as they come.
 * count (0: no limit) and timeout (ms, -1: none). A signal ends it.
 */
static int do_wait(struct run *R)
{
	bool monitor = R->cmd->verb == SV_MONITOR;
	unsigned int want = (unsigned int)optu(R, "count", monitor ? 0 : 1);
	int64_t timeout = has(R, "timeout") ? (int64_t)optu(R, "timeout", 0)
					    : monitor ? -1 : 10000;
	int64_t deadline = timeout < 0 ? -1 : now_ms() + timeout;
	unsigned int got = 0;

	for (;;) {
		struct pollfd p[64];
		unsigned int slots[64], n = 0;
		struct timespec ts, *tsp = NULL;
		int r;

		if (monitor) {
			for (unsigned int i = 0; i < R->norder && n < 64; i++) {
				unsigned int s = R->order[i];

				if (R->objs[s].kind == SK_VEVENTQ || R->objs[s].kind == SK_FAULT)
					slots[n++] = s;
			}
			if (!n)
				return step_fail(R, ENOENT, "the script has no veventq or fault queue");
		} else {
			slots[n++] = (unsigned int)R->cmd->pos[0].u;
		}
		for (unsigned int i = 0; i < n; i++) {
			r = drain(R, slots[i], want ? want - got : UINT32_MAX);
			if (r < 0)
				return call_fail(R, r, slot_name(R, slots[i]));
			got += (unsigned int)r;
			p[i] = (struct pollfd){ .fd = obj_fd(R, slots[i]), .events = POLLIN };
		}
		if (want && got >= want)
			break;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				if (monitor)
					break;
				return step_fail(R, ETIMEDOUT, "%s after %" PRId64 " ms: %u of %u",
						 strerror(ETIMEDOUT), timeout, got, want);
			}
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000;
			tsp = &ts;
		}
		r = ppoll(p, n, tsp, &R->oldmask);
		if (r < 0 && errno != EINTR)
			return call_fail(R, -errno, "poll");
		if (stop_signal)
			return step_fail(R, EINTR, "stopped by %s", strsignal(stop_signal));
	}
	out_begin(R, monitor ? NULL : slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_u64(R, "events", got);
	out_end(R);
	return 0;
}

static int do_respond(struct run *R)
{
	struct obj *o = pos_obj(R, 0);
	uint32_t cookie, code = optu(R, "code", 0) ? NESTIO_PAGE_RESP_INVALID
						   : NESTIO_PAGE_RESP_SUCCESS;
	int r;

	if (has(R, "cookie")) {
		cookie = (uint32_t)optu(R, "cookie", 0);
	} else {
		if (!o->ngroups)
			return step_fail(R, ENOENT, "no page request group read and unanswered (wait first)");
		cookie = o->groups[0];
	}
	r = nestio_fault_respond(o->fault, cookie, code);
	if (r < 0)
		return call_fail(R, r, NULL);
	for (unsigned int i = 0; i < o->ngroups; i++) {
		if (o->groups[i] == cookie) {
			memmove(&o->groups[i], &o->groups[i + 1],
				(o->ngroups - i - 1) * sizeof(o->groups[0]));
			o->ngroups--;
			break;
		}
	}
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_u64(R, "cookie", cookie);
	out_str(R, "code", code == NESTIO_PAGE_RESP_SUCCESS ? "success" : "invalid");
	out_end(R);
	return 0;
}

static int do_raise(struct run *R)
{
	struct obj *d = pos_obj(R, 0);
	bool iopf = R->cmd->pos[1].u == 1;
	int r;

	if (!d->mock)
		return step_fail(R, EINVAL, "'%s' is not a mock device",
				 slot_name(R, (unsigned int)R->cmd->pos[0].u));
	if (iopf) {
		uint64_t perm = optu(R, "perm", 1);

		r = mockdev_raise_iopf(d->dev, (uint32_t)optu(R, "pasid", 0),
				       (uint32_t)optu(R, "grpid", 0),
				       (uint32_t)perm, optu(R, "addr", 0));
	} else {
		r = mockdev_raise_vevent(d->dev);
	}
	if (r < 0)
		return call_fail(R, r, NULL);
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_str(R, "event", iopf ? "iopf" : "vevent");
	out_end(R);
	return 0;
}

/* ------------------------------------------------------------ memory */

/* bytes [off, off + len) of a mem, or NULL after the step's error */
static uint8_t *span(struct run *R, unsigned int posi, uint64_t off, uint64_t len)
{
	struct mem *m = pos_obj(R, posi)->mem;

	if (off > m->size || len > m->size - off) {
		step_fail(R, ERANGE, "[0x%" PRIx64 ", +0x%" PRIx64 ") is outside %s (0x%" PRIx64 " bytes)",
			  off, len, slot_name(R, (unsigned int)R->cmd->pos[posi].u), m->size);
		return NULL;
	}
	return (uint8_t *)m->va + off;
}

static unsigned int width(struct run *R)
{
	return 1u << optu(R, "width", 3);
}

static uint64_t get_le(const uint8_t *p, unsigned int w)
{
	uint64_t v = 0;

	for (unsigned int i = w; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, unsigned int w, uint64_t v)
{
	for (unsigned int i = 0; i < w; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static int do_poke(struct run *R)
{
	unsigned int w = width(R), nval = R->cmd->npos - 2;
	uint64_t off = R->cmd->pos[1].u, count = R->cmd->verb == SV_PEEK ? optu(R, "count", 1) : nval;
	uint8_t *p = span(R, 0, off, count * w);

	if (!p)
		return -1;
	if (R->cmd->verb != SV_PEEK) {
		for (unsigned int i = 0; i < nval; i++) {
			uint64_t v = R->cmd->pos[2 + i].u;

			if (w < 8 && v >> (w * 8))
				return step_fail(R, ERANGE, "%s does not fit in %u bytes",
						 R->cmd->pos[2 + i].s, w);
		}
	}
	if (R->cmd->verb == SV_EXPECT) {
		for (unsigned int i = 0; i < nval; i++) {
			uint64_t have = get_le(p + (size_t)i * w, w);

			if (have != R->cmd->pos[2 + i].u)
				return step_fail(R, EIO, "at 0x%" PRIx64 ": 0x%" PRIx64 ", expected 0x%" PRIx64,
						 off + (uint64_t)i * w, have, R->cmd->pos[2 + i].u);
		}
	} else if (R->cmd->verb == SV_POKE) {
		for (unsigned int i = 0; i < nval; i++)
			put_le(p + (size_t)i * w, w, R->cmd->pos[2 + i].u);
	}
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_hex(R, "offset", off);
	out_u64(R, "width", w);
	if (R->cmd->verb == SV_PEEK) {
		if (opt_json) {
			json_array_begin(&R->j, "values");
			for (uint64_t i = 0; i < count; i++)
				json_hex(&R->j, NULL, get_le(p + i * w, w));
			json_array_end(&R->j);
		} else {
			out_text(R, "values", "0x%" PRIx64, get_le(p, w));
			for (uint64_t i = 1; i < count && R->tlen < sizeof(R->text) - 24; i++)
				R->tlen += (size_t)snprintf(R->text + R->tlen, sizeof(R->text) - R->tlen,
							    ",0x%" PRIx64, get_le(p + i * w, w));
		}
	} else {
		out_u64(R, "count", nval);
	}
	out_end(R);
	return 0;
}

static int do_fill(struct run *R)
{
	uint64_t off = R->cmd->pos[1].u, len = R->cmd->pos[2].u;
	uint8_t b = (uint8_t)R->cmd->pos[3].u, step = (uint8_t)optu(R, "step", 0);
	uint8_t *p = span(R, 0, off, len);

	if (!p)
		return -1;
	for (uint64_t i = 0; i < len; i++) {
		uint8_t want = (uint8_t)(b + step * i);

		if (R->cmd->verb == SV_FILL)
			p[i] = want;
		else if (p[i] != want)
			return step_fail(R, EIO, "at 0x%" PRIx64 ": 0x%02x, expected 0x%02x",
					 off + i, p[i], want);
	}
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_hex(R, "offset", off);
	out_hex(R, "length", len);
	out_end(R);
	return 0;
}

static int do_compare(struct run *R)
{
	uint64_t len = R->cmd->pos[4].u;
	uint8_t *a = span(R, 0, R->cmd->pos[1].u, len), *b;

	if (!a)
		return -1;
	b = span(R, 2, R->cmd->pos[3].u, len);
	if (!b)
		return -1;
	for (uint64_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return step_fail(R, EIO, "they differ at +0x%" PRIx64 ": 0x%02x and 0x%02x",
					 i, a[i], b[i]);
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_str(R, "with", slot_name(R, (unsigned int)R->cmd->pos[2].u));
	out_hex(R, "length", len);
	out_str(R, "result", "equal");
	out_end(R);
	return 0;
}

static int do_ranges(struct run *R)
{
	struct nestio_iova_range *rg = NULL;
	uint64_t align = 0;
	size_t n = 0;
	int r = nestio_ioas_get_iova_ranges(pos_obj(R, 0)->ioas, &rg, &n, &align);

	if (r < 0)
		return call_fail(R, r, NULL);
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_hex(R, "alignment", align);
	if (opt_json) {
		json_array_begin(&R->j, "ranges");
		for (size_t i = 0; i < n; i++) {
			json_object_begin(&R->j, NULL);
			json_hex(&R->j, "start", rg[i].start);
			json_hex(&R->j, "last", rg[i].last);
			json_object_end(&R->j);
		}
		json_array_end(&R->j);
	} else {
		for (size_t i = 0; i < n; i++)
			out_text(R, "range", "0x%" PRIx64 "-0x%" PRIx64, rg[i].start, rg[i].last);
	}
	out_end(R);
	nestio_iova_ranges_free(rg);
	return 0;
}

/* ------------------------------------------------------------ exec, echo */

/* word i of an exec/echo command with its {} references filled in */
static char *expand(struct run *R, unsigned int wi, int *fds, unsigned int *nfds)
{
	const struct script_cmd *cmd = R->cmd;
	const char *w = cmd->words[wi];
	size_t cap = strlen(w) + 1, len = 0;
	unsigned int at = 0;
	char *out;

	for (unsigned int k = 0; k < cmd->nrefs; k++)
		if (cmd->refs[k].word == wi)
			cap += 24;
	out = malloc(cap);
	if (!out)
		return NULL;
	for (unsigned int k = 0; k < cmd->nrefs; k++) {
		const struct script_ref *ref = &cmd->refs[k];
		char num[24];

		if (ref->word != wi)
			continue;
		memcpy(out + len, w + at, ref->start - at);
		len += ref->start - at;
		at = ref->end;
		switch (ref->field) {
		case SR_LBRACE: strcpy(num, "{"); break;
		case SR_RBRACE: strcpy(num, "}"); break;
		case SR_ID: snprintf(num, sizeof(num), "%" PRIu64, obj_id(R, ref->slot)); break;
		case SR_IOVA:
			snprintf(num, sizeof(num), "0x%" PRIx64, R->objs[ref->slot].map->iova);
			break;
		case SR_FD: {
			int fd = obj_fd(R, ref->slot);

			snprintf(num, sizeof(num), "%d", fd);
			if (fds && fd >= 0)
				fds[(*nfds)++] = fd;
			break;
		}
		}
		memcpy(out + len, num, strlen(num));
		len += strlen(num);
	}
	strcpy(out + len, w + at);
	return out;
}

static int do_echo(struct run *R)
{
	char line[SCRIPT_MAX_LINE * 2];
	size_t len = 0;

	line[0] = '\0';
	for (unsigned int i = 0; i < R->cmd->nwords; i++) {
		char *w = expand(R, i, NULL, NULL);

		if (!w)
			return call_fail(R, -ENOMEM, NULL);
		len += (size_t)snprintf(line + len, len < sizeof(line) ? sizeof(line) - len : 0,
					"%s%s", i ? " " : "", w);
		free(w);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
	}
	if (opt_json) {
		out_begin(R, NULL);
		json_string(&R->j, "text", line);
		out_end(R);
	} else {
		printf("%s\n", line);
		fflush(stdout);
	}
	return 0;
}

/* every fd past stderr close-on-exec (in a child, before it execs) */
static void cloexec_all(void)
{
	long max = sysconf(_SC_OPEN_MAX);

#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) == 0)
		return;
#endif
	/* an older kernel: one by one, as far as the fd limit goes */
	for (int fd = 3; fd < (max > 0 && max < 1048576 ? max : 1048576); fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int do_exec(struct run *R)
{
	unsigned int n = R->cmd->nwords, nfds = 0;
	int fds[SCRIPT_MAX_REFS], status, r = 0;
	char **argv = calloc(n + 1, sizeof(*argv));
	bool killed = false;
	pid_t pid;

	if (!argv)
		return call_fail(R, -ENOMEM, NULL);
	for (unsigned int i = 0; i < n; i++) {
		argv[i] = expand(R, i, fds, &nfds);
		if (!argv[i]) {
			r = call_fail(R, -ENOMEM, NULL);
			goto out;
		}
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		r = call_fail(R, -errno, "fork");
		goto out;
	}
	if (pid == 0) {
		/* the named fds, and only they, survive the exec: every fd
		 * past stderr is made close-on-exec (also any this process
		 * was given without the flag), then the flag is cleared on
		 * the named ones, here, in the child's own table */
		cloexec_all();
		for (unsigned int i = 0; i < nfds; i++)
			if (fcntl(fds[i], F_SETFD, 0) < 0)
				_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, &R->oldmask, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: exec %s: %s\n", prog, argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			r = call_fail(R, -errno, "waitpid");
			goto out;
		}
		if (stop_signal && !killed) {
			kill(pid, SIGTERM);
			killed = true;
		}
		if (w == 0)
			sigsuspend(&R->oldmask);
	}
	out_begin(R, NULL);
	out_str(R, "program", argv[0]);
	if (opt_json) {
		json_array_begin(&R->j, "argv");
		for (unsigned int i = 0; i < n; i++)
			json_string(&R->j, NULL, argv[i]);
		json_array_end(&R->j);
	} else {
		char all[1024];
		size_t len = 0;

		all[0] = '\0';
		for (unsigned int i = 0; i < n && len < sizeof(all); i++)
			len += (size_t)snprintf(all + len, sizeof(all) - len, "%s%s",
						i ? " " : "", argv[i]);
		out_str(R, "argv", all);
	}
	out_i64(R, "pid", pid);
	if (WIFEXITED(status))
		out_i64(R, "status", WEXITSTATUS(status));
	else
		out_str(R, "signal", strsignal(WTERMSIG(status)));
	out_end(R);
	if (killed)
		r = step_fail(R, EINTR, "stopped by %s", strsignal(stop_signal));
	else if (!WIFEXITED(status))
		r = step_fail(R, ECHILD, "%s was killed by %s", argv[0], strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status))
		r = step_fail(R, ECHILD, "%s exited with status %d", argv[0], WEXITSTATUS(status));
out:
	for (unsigned int i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	return r;
}

/* ------------------------------------------------------------ a step */

/* /dev/iommu is opened for the first step that needs it, so a script of
 * memory steps alone runs anywhere */
static int need_ctx(struct run *R, const struct script_cmd *cmd)
{
	bool need = cmd->verb == SV_IOAS || cmd->verb == SV_DEVICE ||
		    cmd->verb == SV_FAULT;
	int r;

	for (unsigned int i = 0; i < cmd->nrefs; i++)
		if (cmd->refs[i].field == SR_FD && cmd->refs[i].slot == 0)
			need = true;
	if (!need || R->ctx)
		return 0;
	r = nestio_ctx_new(&R->ctx);
	if (r < 0)
		return step_fail(R, -r, "/dev/iommu: %s%s", strerror(-r),
				 r == -ENOENT ? " (this kernel has no iommufd)" : "");
	if (opt_verbose)
		nestio_ctx_set_log_priority(R->ctx, LOG_DEBUG);
	return 0;
}

static int step(struct run *R, const struct script_cmd *cmd)
{
	R->cmd = cmd;
	if (need_ctx(R, cmd) < 0)
		return -1;
	switch (cmd->verb) {
	case SV_IOAS: return do_ioas(R);
	case SV_DEVICE:
	case SV_MOCK: return do_device(R);
	case SV_HWPT:
	case SV_NESTED: return do_hwpt(R);
	case SV_VIOMMU: return do_viommu(R);
	case SV_VDEVICE: return do_vdevice(R);
	case SV_FAULT:
	case SV_VEVENTQ: return do_queue(R);
	case SV_INVQ: return do_invq(R);
	case SV_PASIDS: return do_pasids(R);
	case SV_MEM: return do_mem(R);
	case SV_MAP: return do_map(R);
	case SV_RELEASE: return do_release(R);
	case SV_ATTACH:
	case SV_REPLACE:
	case SV_DETACH: return do_attach(R);
	case SV_BIND:
	case SV_UNBIND:
	case SV_REPLAY: return do_bind(R);
	case SV_PUSH: return do_push(R);
	case SV_FLUSH:
	case SV_DISCARD: return do_flush(R);
	case SV_WAIT:
	case SV_MONITOR: return do_wait(R);
	case SV_RESPOND: return do_respond(R);
	case SV_RAISE: return do_raise(R);
	case SV_POKE:
	case SV_PEEK:
	case SV_EXPECT: return do_poke(R);
	case SV_FILL:
	case SV_CHECK: return do_fill(R);
	case SV_COMPARE: return do_compare(R);
	case SV_RANGES: return do_ranges(R);
	case SV_EXEC: return do_exec(R);
	case SV_ECHO: return do_echo(R);
	case SV_COUNT: break;
	}
	return step_fail(R, EINVAL, "not implemented");
}

/* A step, with "! COMMAND" turned around. 0 or -1 (an error printed). */
static int run_cmd(struct run *R, struct script_cmd *cmd)
{
	int r;

	if (!cmd->must_fail)
		return step(R, cmd);
	/* a creation that must fail binds no name; if it succeeds anyway,
	 * its object is released at once */
	if (script_verbs[cmd->verb].creates)
		cmd->creates = SCRIPT_MAX_OBJECTS;
	R->expect_fail = true;
	R->fail_msg[0] = '\0';
	R->fail_errno = 0;
	r = step(R, cmd);
	R->expect_fail = false;
	if (r == 0) {
		if (cmd->creates == SCRIPT_MAX_OBJECTS) {
			obj_release(&R->objs[SCRIPT_MAX_OBJECTS]);
			R->norder--;
		}
		R->cmd = cmd;
		return step_fail(R, 0, "succeeded, but '!' says it must fail");
	}
	if (opt_json) {
		json_object_begin(&R->j, NULL);
		json_u64(&R->j, "line", cmd->line);
		json_string(&R->j, "verb", script_verbs[cmd->verb].name);
		json_bool(&R->j, "expected_failure", true);
		json_string(&R->j, "error", R->fail_msg);
		if (R->fail_errno)
			json_i64(&R->j, "errno", R->fail_errno);
		json_object_end(&R->j);
	} else {
		printf("%s failed as expected: %s\n", script_verbs[cmd->verb].name,
		       R->fail_msg);
		fflush(stdout);
	}
	return 0;
}

/* ------------------------------------------------------------ input */

struct input {
	FILE *f;
	char *buf;
	size_t cap;
#ifdef HAVE_LIBEDIT
	EditLine *el;
	History *hist;
#endif
};

static const char *prompt_fn(void)
{
	return "nestioctl> ";
}

#ifdef HAVE_LIBEDIT
static char *el_prompt(EditLine *el)
{
	(void)el;
	return (char *)prompt_fn();
}
#endif

/* the next line (without its newline) and its length; -1 at the end */
static ssize_t next_line(struct input *in, bool interactive, const char **line)
{
	ssize_t n;

#ifdef HAVE_LIBEDIT
	if (interactive && in->el) {
		int count = 0;
		const char *l = el_gets(in->el, &count);

		if (!l || count <= 0)
			return -1;
		n = count;
		if (n > 0 && l[n - 1] == '\n')
			n--;
		if (n > 0) {
			HistEvent ev;

			history(in->hist, &ev, H_ENTER, l);
		}
		*line = l;
		return n;
	}
#endif
	if (interactive) {
		fputs(prompt_fn(), stderr);
		fflush(stderr);
	}
	n = getline(&in->buf, &in->cap, in->f);
	if (n < 0)
		return -1;
	if (n > 0 && in->buf[n - 1] == '\n')
		n--;
	*line = in->buf;
	return n;
}

static const char *getvar(const char *name, void *data)
{
	(void)data;
	return getenv(name);
}

/* ------------------------------------------------------------ the command */

static int parse_all(const char *file, FILE *f, char *err, size_t errlen)
{
	struct script *s = script_new(getvar, NULL);
	struct script_cmd *cmd = malloc(sizeof(*cmd));
	struct input in = { .f = f };
	unsigned int lineno = 0;
	const char *line;
	ssize_t n;
	int r = 0;

	(void)file;
	if (!s || !cmd) {
		snprintf(err, errlen, "out of memory");
		r = -1;
	}
	while (r == 0 && (n = next_line(&in, false, &line)) >= 0)
		if (script_parse_line(s, line, (size_t)n, ++lineno, cmd, err, errlen) < 0)
			r = -1;
	if (r == 0 && ferror(f)) {
		snprintf(err, errlen, "%s", strerror(errno));
		r = -1;
	}
	free(in.buf);
	free(cmd);
	script_free(s);
	return r;
}

static void run_usage(FILE *f)
{
	cmd_help(f, "run");
}

int cmd_run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "keep", no_argument, NULL, 'k' },
		CMD_COMMON_OPTIONS
	};
	struct run *R = NULL;
	struct script_cmd *cmd = NULL;
	struct input in = { 0 };
	const char *file = "-", *line;
	struct sigaction sa = { .sa_handler = on_signal }, sc = { .sa_handler = on_child };
	sigset_t block;
	unsigned int lineno = 0;
	bool keep = false, failed = false;
	char err[512];
	ssize_t n;
	int c, r, status = EXIT_FAILURE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+k" CMD_COMMON_SHORT, options, NULL)) != -1) {
		if (c == 'k') {
			keep = true;
			continue;
		}
		r = cmd_options(c, argc, argv);
		if (r >= 0)
			return r;
	}
	if (argc - optind > 1)
		return usage_error(argv[0], "one SCRIPT at most");
	if (argc - optind == 1)
		file = argv[optind];
	(void)run_usage;

	R = calloc(1, sizeof(*R));
	cmd = malloc(sizeof(*cmd));
	if (!R || !cmd) {
		errmsg("run", -ENOMEM);
		goto out;
	}
	R->file = strcmp(file, "-") ? file : "stdin";
	if (strcmp(file, "-")) {
		in.f = fopen(file, "re");
		if (!in.f) {
			errmsg(file, -errno);
			goto out;
		}
	} else {
		in.f = stdin;
		R->interactive = isatty(STDIN_FILENO);
	}
	/* a script is checked whole before anything runs; what it reads
	 * from a pipe cannot be read twice, so standard input is checked
	 * line by line as it runs */
	if (in.f != stdin) {
		if (parse_all(file, in.f, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, R->file, err);
			status = EXIT_FAILURE;
			goto out;
		}
		rewind(in.f);
	}
	R->s = script_new(getvar, NULL);
	if (!R->s) {
		errmsg("run", -ENOMEM);
		goto out;
	}
	R->objs[0].kind = SK_CTX;
	tool_json(&R->j);

	/* signals: blocked except while waiting (ppoll, sigsuspend) */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &R->oldmask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sc, NULL);

#ifdef HAVE_LIBEDIT
	if (R->interactive) {
		HistEvent ev;

		in.el = el_init(prog, stdin, stdout, stderr);
		in.hist = history_init();
		if (in.el && in.hist) {
			history(in.hist, &ev, H_SETSIZE, 500);
			el_set(in.el, EL_PROMPT, el_prompt);
			el_set(in.el, EL_EDITOR, "emacs");
			el_set(in.el, EL_HIST, history, in.hist);
		}
	}
#endif
	for (;;) {
		if (R->interactive)	/* ^C at the prompt ends the session */
			sigprocmask(SIG_SETMASK, &R->oldmask, NULL);
		n = next_line(&in, R->interactive, &line);
		if (R->interactive)
			sigprocmask(SIG_BLOCK, &block, NULL);
		if (n < 0 || stop_signal)
			break;
		r = script_parse_line(R->s, line, (size_t)n, ++lineno, cmd, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, R->file, err);
			failed = true;
			if (R->interactive)
				continue;
			break;
		}
		if (r == 0)
			continue;
		if (run_cmd(R, cmd) < 0) {
			failed = true;
			if (cmd->creates > 0 && cmd->creates < SCRIPT_MAX_OBJECTS &&
			    !R->objs[cmd->creates].kind)
				script_forget(R->s, cmd);
			if (R->interactive)
				continue;
			break;
		}
		if (stop_signal)
			break;
	}
	if (!R->interactive && in.f && ferror(in.f)) {
		errmsg(R->file, -EIO);
		failed = true;
	}
	if (stop_signal) {
		/* unless a step said so already */
		if (!failed)
			fprintf(stderr, "%s: %s: stopped by %s\n", prog, R->file,
				strsignal(stop_signal));
		failed = true;
	}
	if (keep && !failed) {
		unsigned int live = 0;

		for (unsigned int i = 0; i < R->norder; i++)
			live += R->objs[R->order[i]].kind != 0;
		fprintf(stderr, "%s: keeping %u objects until SIGINT or SIGTERM (pid %d)\n",
			prog, live, (int)getpid());
		while (!stop_signal)
			sigsuspend(&R->oldmask);
	}
	status = failed && !R->interactive ? EXIT_FAILURE : EXIT_SUCCESS;
	if (R->interactive && stop_signal && !keep)
		status = EXIT_FAILURE;
out:
	if (R) {
		release_all(R);
		nestio_ctx_unref(R->ctx);
		script_free(R->s);
		sigprocmask(SIG_SETMASK, &R->oldmask, NULL);
	}
#ifdef HAVE_LIBEDIT
	if (in.el)
		el_end(in.el);
	if (in.hist)
		history_end(in.hist);
#endif
	if (in.f && in.f != stdin)
		fclose(in.f);
	free(in.buf);
	free(cmd);
	free(R);
	if (status == EXIT_SUCCESS && !tool_stdout_ok())
		status = EXIT_FAILURE;
	return status;
}
