// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl run: the steps that make objects (devices, mock devices, IOASes,
 * hwpts, vIOMMUs, vDEVICEs, queues, PASID tables, memory, mappings) and
 * act on them (attach, bind, invalidate).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "mockdev.h"
#include "script-run.h"

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

int do_device(struct run *R)
{
	struct nestio_device *dev = NULL;
	int r;

	if (R->cmd->verb == SV_MOCK) {
		uint32_t id = (uint32_t)obj_id(R, (unsigned int)R->cmd->pos[0].u);

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

int do_hwpt(struct run *R)
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

int do_viommu(struct run *R)
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

int do_vdevice(struct run *R)
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

int do_queue(struct run *R)
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

int do_invq(struct run *R)
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

int do_pasids(struct run *R)
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

int do_mem(struct run *R)
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

int do_map(struct run *R)
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

int do_ioas(struct run *R)
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

int do_release(struct run *R)
{
	for (unsigned int i = 0; i < R->cmd->npos; i++) {
		unsigned int slot = (unsigned int)R->cmd->pos[i].u;

		obj_release(&R->objs[slot]);
		out_begin(R, slot_name(R, slot));
		out_end(R);
	}
	return 0;
}

int do_attach(struct run *R)
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

int do_bind(struct run *R)
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

int do_push(struct run *R)
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

int do_flush(struct run *R)
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

