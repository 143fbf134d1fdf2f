// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestio_device: anything bound to the iommufd with a dev_id that can
 * attach, replace and detach at its RID or at a PASID. The built-in kind is
 * a VFIO device cdev; any other kind brings its own operations table.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "kabi.h"

/* what a (pasid or RID) slot of the device is attached to; one is set */
struct attachment {
	uint32_t pasid;
	struct nestio_ioas *ioas;
	struct nestio_hwpt *hwpt;
};

struct nestio_device {
	struct nio_obj obj;	/* first: magic, refcount, ctx, id (dev_id) */
	int fd;			/* the VFIO cdev, or -1 for an adopted dev_id */
	struct nestio_device_ops ops;
	void *userdata;
	struct attachment *att;
	size_t natt;
	struct nio_probe_cache probes;	/* nestio_device_supports() */
};

/* the slot is attached to t, which is ioas or hwpt (the other is NULL),
 * and pins it */
static void slot_set(struct attachment *slot, struct nio_obj *t,
		     struct nestio_ioas *ioas, struct nestio_hwpt *hwpt)
{
	nio_obj_ref(t);
	slot->ioas = ioas;
	slot->hwpt = hwpt;
}

/* drops the slot's pin on what it was attached to */
static void slot_unpin(struct attachment *slot)
{
	if (slot->ioas)
		nestio_ioas_unref(slot->ioas);
	else
		nestio_hwpt_unref(slot->hwpt);
}

/* ---- the VFIO cdev operations ---- */

static int vfio_attach(struct nestio_device *dev, uint32_t pasid,
		       uint32_t pt_id, void *userdata)
{
	struct kabi_vfio_device_attach_iommufd_pt cmd = {
		.argsz = sizeof(cmd),
		.pt_id = pt_id,
	};

	(void)userdata;
	if (pasid != NESTIO_NO_PASID) {
		cmd.flags = KABI_VFIO_DEVICE_ATTACH_PASID;
		cmd.pasid = pasid;
	}
	return nio_ioctl(dev->obj.ctx, dev->fd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT,
			 &cmd);
}

static int vfio_detach(struct nestio_device *dev, uint32_t pasid,
		       void *userdata)
{
	struct kabi_vfio_device_detach_iommufd_pt cmd = { .argsz = sizeof(cmd) };

	(void)userdata;
	if (pasid != NESTIO_NO_PASID) {
		cmd.flags = KABI_VFIO_DEVICE_DETACH_PASID;
		cmd.pasid = pasid;
	}
	return nio_ioctl(dev->obj.ctx, dev->fd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT,
			 &cmd);
}

/* VFIO's attach replaces an existing attachment atomically. */
static const struct nestio_device_ops vfio_ops = {
	.sz = sizeof(struct nestio_device_ops),
	.attach = vfio_attach,
	.replace = vfio_attach,
	.detach = vfio_detach,
};

static struct nestio_device *device_alloc(struct nestio_ctx *ctx,
					  uint32_t dev_id)
{
	struct nestio_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	nio_obj_init(&dev->obj, NIO_MAGIC_DEVICE, ctx, dev_id);
	dev->fd = -1;
	return dev;
}

/*
 * While this runs the device stays valid for its own operations (they may
 * ask for its id), but its count is 0 (see lib/internal.h): a ref/unref
 * pair from an operation does not start a second release.
 */
static void device_release(void *obj)
{
	struct nestio_device *dev = obj;

	/*
	 * Detach every slot we attached (PASIDs first, the RID last), then
	 * unbind, then drop what the device was attached to: nothing is busy
	 * any more. The explicit detach matters even for a cdev we opened:
	 * our fd may be a dup of one the caller keeps open, and then closing
	 * ours neither unbinds nor detaches.
	 */
	for (int rid = 0; rid < 2 && dev->ops.detach; rid++) {
		for (size_t i = 0; i < dev->natt; i++) {
			uint32_t pasid = dev->att[i].pasid;
			int r;

			if ((pasid == NESTIO_NO_PASID) != rid)
				continue;
			r = dev->ops.detach(dev, pasid, dev->userdata);
			/* a device kind without RID detach unbinds instead */
			if (r < 0 && r != -EOPNOTSUPP)
				err(dev->obj.ctx, "dev_id %u: detaching %s%d: %s",
				    dev->obj.id, rid ? "RID" : "PASID ",
				    rid ? 0 : (int)pasid, strerror(-r));
		}
	}
	if (dev->fd >= 0)
		close(dev->fd);
	else if (dev->ops.release)
		dev->ops.release(dev, dev->userdata);
	for (size_t i = 0; i < dev->natt; i++)
		slot_unpin(&dev->att[i]);
	free(dev->att);
}

/*
 * EINVAL to a bind with a VF token has three causes: a kernel before 6.17
 * (every bind flag is EINVAL there), a device whose driver takes no token,
 * or vfio-pci refusing this one (vfio_pci_core_match_token_uuid(): not a
 * VF and not a PF with SR-IOV, or a VF whose PF is not bound to vfio-pci).
 * The same bind with a NULL token pointer tells them apart and binds
 * nothing: a kernel and driver that read the token fail the copy (EFAULT),
 * so the EINVAL was the driver's answer to the token; otherwise the token
 * is not taken here at all: -EOPNOTSUPP.
 */
static int token_einval(struct nestio_ctx *ctx, int fd,
			const struct kabi_vfio_device_bind_iommufd *sent)
{
	struct kabi_vfio_device_bind_iommufd cmd = *sent;
	int r;

	cmd.token_uuid_ptr = 0;
	r = nio_ioctl(ctx, fd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &cmd);
	if (r == -EFAULT) {
		info(ctx, "device fd %d: the driver refused the VF token "
		     "(not a VF, nor a PF with VFs?)", fd);
		return -EINVAL;
	}
	info(ctx, "device fd %d: this kernel or device takes no VF token", fd);
	return -EOPNOTSUPP;
}

/* Bind an open VFIO cdev fd (owned by us from here on) to the ctx, with
 * the 16-byte VF token if token is not NULL. */
static int device_bind_fd(struct nestio_ctx *ctx, int fd, const void *token,
			  struct nestio_device **out)
{
	struct kabi_vfio_device_bind_iommufd cmd = {
		.argsz = sizeof(cmd),
		.iommufd = ctx->fd,
	};
	struct nestio_device *dev;
	int r;

	if (token) {
		cmd.flags = KABI_VFIO_DEVICE_BIND_FLAG_TOKEN;
		cmd.token_uuid_ptr = (uintptr_t)token;
	}
	r = nio_ioctl(ctx, fd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &cmd);
	if (r == -EINVAL && token)
		r = token_einval(ctx, fd, &cmd);
	if (r < 0) {
		close(fd);
		return r;
	}
	dev = device_alloc(ctx, cmd.out_devid);
	if (!dev) {
		close(fd);
		return -ENOMEM;
	}
	dev->fd = fd;
	dev->ops = vfio_ops;
	nio_obj_register(&dev->obj);
	dbg(ctx, "device fd %d bound as dev_id %u", fd, cmd.out_devid);
	*out = dev;
	return 0;
}

/* "0000:00:03.0" or "00:03.0" (domain 0): hex digits, nothing else. */
static int parse_bdf(const char *s, char *bdf, size_t len)
{
	static const char full[] = "hhhh:hh:hh.h", shrt[] = "hh:hh.h";
	const char *form = strlen(s) == strlen(full) ? full : shrt;
	unsigned int dom = 0, bus, devn, fn;

	if (strlen(s) != strlen(form))
		return -EINVAL;
	for (size_t i = 0; form[i]; i++)
		if (form[i] == 'h' ? !isxdigit((unsigned char)s[i]) : s[i] != form[i])
			return -EINVAL;
	if (form == full)
		sscanf(s, "%x:%x:%x.%x", &dom, &bus, &devn, &fn);
	else
		sscanf(s, "%x:%x.%x", &bus, &devn, &fn);
	if (devn > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(bdf, len, "%04x:%02x:%02x.%x", dom, bus, devn, fn);
	return 0;
}

/* The cdev of a sysfs device directory: <dir>/vfio-dev/vfioN. */
static int cdev_from_sysfs(const char *dir, char *path, size_t len)
{
	char sub[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int r = -ENODEV;

	if ((size_t)snprintf(sub, sizeof(sub), "%s/vfio-dev", dir) >= sizeof(sub))
		return -ENAMETOOLONG;
	d = opendir(sub);
	if (!d)
		return errno == ENOENT ? -ENODEV : -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "vfio", 4) || !de->d_name[4])
			continue;
		if ((size_t)snprintf(path, len, "/dev/vfio/devices/%s",
				     de->d_name) >= len)
			r = -ENAMETOOLONG;
		else
			r = 0;
		break;
	}
	closedir(d);
	return r;
}

/*
 * Opens the cdev at path, read-write, close-on-exec, never as a controlling
 * terminal, and without waiting in open() (a tty would wait for carrier;
 * the flag is cleared again). Only a character device is kept, as fstat()
 * of the open file says, so nothing can be swapped in between the check
 * and the open: anything else is -ENODEV. The fd, or -errno.
 */
static int open_cdev(const char *path)
{
	struct stat st;
	int fd, fl, r = -ENODEV;

	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == EISDIR ? -ENODEV : -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISCHR(st.st_mode)) {
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) >= 0)
			return fd;
		r = -errno;
	}
	close(fd);
	return r;
}

/*
 * The cdev path that name stands for (see nestio_device_open(3)): a cdev
 * under /dev, or any character device (a node bind-mounted into a
 * container, say); other absolute paths are sysfs dirs; anything else a
 * PCI address. ctx, for the hints in the log, may be NULL.
 */
static int resolve_name(struct nestio_ctx *ctx, const char *name, char *path,
			size_t len)
{
	char dir[PATH_MAX], bdf[16], real[PATH_MAX];
	struct stat st;
	int r;

	if (!name || !*name)
		return -EINVAL;
	if (name[0] == '/' && (strlen(name) >= len || strlen(name) >= sizeof(dir)))
		return -ENAMETOOLONG;
	if (!strncmp(name, "/dev/", 5)) {
		/* resolved ("..", symlinks), it must still be under /dev/ */
		if (!realpath(name, real))
			return -errno;
		if (strncmp(real, "/dev/", 5)) {
			if (ctx)
				info(ctx, "%s is %s, not under /dev/", name, real);
			return -EINVAL;
		}
		if (strlen(real) >= len)
			return -ENAMETOOLONG;
		strcpy(path, real);
		return 0;
	}
	if (name[0] == '/' && !stat(name, &st) && S_ISCHR(st.st_mode)) {
		strcpy(path, name);
		return 0;
	}
	if (name[0] == '/') {
		strcpy(dir, name);
	} else {
		r = parse_bdf(name, bdf, sizeof(bdf));
		if (r < 0)
			return r;
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
	}
	r = cdev_from_sysfs(dir, path, len);
	if (r < 0 && ctx)
		info(ctx, "%s: no VFIO device cdev (bound to vfio-pci?)", name);
	return r;
}

/* The open cdev that name stands for, or -errno. */
static int open_name(struct nestio_ctx *ctx, const char *name)
{
	char path[PATH_MAX];
	int r;

	r = resolve_name(ctx, name, path, sizeof(path));
	if (r < 0)
		return r;
	return open_cdev(path);
}

NESTIO_EXPORT int nestio_device_open(struct nestio_ctx *ctx, const char *name,
				     struct nestio_device **out)
{
	int fd;

	if (!nio_ctx_ok(ctx) || !name || !*name || !out)
		return -EINVAL;
	fd = open_name(ctx, name);
	if (fd < 0)
		return fd;
	return device_bind_fd(ctx, fd, NULL, out);
}

/* The same cdev, not bound: for a process the caller hands it to. */
NESTIO_EXPORT int nestio_device_open_cdev(const char *name)
{
	return open_name(NULL, name);
}

NESTIO_EXPORT int nestio_device_new_from_fd(struct nestio_ctx *ctx, int fd,
					    struct nestio_device **out)
{
	int dupfd;

	if (!nio_ctx_ok(ctx) || fd < 0 || !out)
		return -EINVAL;
	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		return -errno;
	return device_bind_fd(ctx, dupfd, NULL, out);
}

/* the VF token of opts (NULL: none), after the usual opts checks */
static int bind_opts_token(const struct nestio_device_bind_opts *opts,
			   const void **token)
{
	int r = NIO_OPTS_CHECK(opts, struct nestio_device_bind_opts);

	if (r < 0)
		return r;
	*token = NIO_OPTS_GET(opts, vf_token, NULL);
	return 0;
}

NESTIO_EXPORT int nestio_device_open_ext(struct nestio_ctx *ctx,
					 const char *name,
					 const struct nestio_device_bind_opts *opts,
					 struct nestio_device **out)
{
	const void *token;
	int fd, r;

	if (!nio_ctx_ok(ctx) || !name || !*name || !out)
		return -EINVAL;
	r = bind_opts_token(opts, &token);
	if (r < 0)
		return r;
	fd = open_name(ctx, name);
	if (fd < 0)
		return fd;
	return device_bind_fd(ctx, fd, token, out);
}

NESTIO_EXPORT int nestio_device_new_from_fd_ext(struct nestio_ctx *ctx, int fd,
						const struct nestio_device_bind_opts *opts,
						struct nestio_device **out)
{
	const void *token;
	int dupfd, r;

	if (!nio_ctx_ok(ctx) || fd < 0 || !out)
		return -EINVAL;
	r = bind_opts_token(opts, &token);
	if (r < 0)
		return r;
	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		return -errno;
	return device_bind_fd(ctx, dupfd, token, out);
}

NESTIO_EXPORT int nestio_device_new_from_id(struct nestio_ctx *ctx,
					    uint32_t dev_id,
					    const struct nestio_device_ops *ops,
					    void *userdata,
					    struct nestio_device **out)
{
	struct nestio_device *dev;
	int r;

	if (!nio_ctx_ok(ctx) || !dev_id || !ops || !out)
		return -EINVAL;
	r = NIO_OPTS_CHECK(ops, struct nestio_device_ops);
	if (r < 0)
		return r;
	dev = device_alloc(ctx, dev_id);
	if (!dev)
		return -ENOMEM;
	dev->userdata = userdata;
	dev->ops.sz = sizeof(dev->ops);
	dev->ops.attach = NIO_OPTS_GET(ops, attach, NULL);
	dev->ops.replace = NIO_OPTS_GET(ops, replace, NULL);
	dev->ops.detach = NIO_OPTS_GET(ops, detach, NULL);
	dev->ops.release = NIO_OPTS_GET(ops, release, NULL);
	nio_obj_register(&dev->obj);
	*out = dev;
	return 0;
}

/* nestio_device_ref(), nestio_device_unref() */
NIO_DEFINE_REF_UNREF(device, NIO_MAGIC_DEVICE, device_release)

NESTIO_EXPORT uint32_t nestio_device_get_id(const struct nestio_device *dev)
{
	return nio_device_ok(dev) ? dev->obj.id : 0;
}

NESTIO_EXPORT int nestio_device_get_fd(const struct nestio_device *dev)
{
	if (!nio_device_ok(dev))
		return -EINVAL;
	return dev->fd >= 0 ? dev->fd : -EBADF;
}

NESTIO_EXPORT struct nestio_ctx *nestio_device_get_ctx(const struct nestio_device *dev)
{
	return nio_device_ok(dev) ? dev->obj.ctx : NULL;
}

NESTIO_EXPORT void *nestio_device_get_userdata(const struct nestio_device *dev)
{
	return nio_device_ok(dev) ? dev->userdata : NULL;
}

/* ---- attach / replace / detach ---- */

/* PCIe PASIDs and SMMUv3 substream IDs are at most 20 bits wide. */
static bool pasid_ok(uint32_t pasid)
{
	return pasid == NESTIO_NO_PASID || pasid < NESTIO_PASID_LIMIT;
}

static struct attachment *find_slot(struct nestio_device *dev, uint32_t pasid)
{
	for (size_t i = 0; i < dev->natt; i++)
		if (dev->att[i].pasid == pasid)
			return &dev->att[i];
	return NULL;
}

bool nio_device_has_slot(struct nestio_device *dev, uint32_t pasid)
{
	return find_slot(dev, pasid) != NULL;
}

struct nio_probe_cache *nio_device_probe_cache(struct nestio_device *dev)
{
	return &dev->probes;
}

enum attach_op { OP_ATTACH, OP_REPLACE };

/* A first attachment of a slot: the device's attach operation, then the pin. */
static int attach_new(struct nestio_device *dev, uint32_t pasid,
		      struct nio_obj *t, struct nestio_ioas *ioas,
		      struct nestio_hwpt *hwpt)
{
	struct attachment *tmp, *slot;
	int r;

	if (!dev->ops.attach)
		return -EOPNOTSUPP;
	/* grow first, so a failed allocation leaves nothing attached */
	tmp = realloc(dev->att, (dev->natt + 1) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	dev->att = tmp;
	r = dev->ops.attach(dev, pasid, nio_obj_id(t), dev->userdata);
	if (r < 0)
		return r;
	slot = &dev->att[dev->natt++];
	slot->pasid = pasid;
	slot_set(slot, t, ioas, hwpt);
	return 0;
}

/* The device's replace operation, then the new pin and the old one dropped. */
static int replace(struct nestio_device *dev, struct attachment *slot,
		   struct nio_obj *t, struct nestio_ioas *ioas,
		   struct nestio_hwpt *hwpt)
{
	struct attachment old = *slot;
	int r;

	if (!dev->ops.replace)
		return -EOPNOTSUPP;
	r = dev->ops.replace(dev, slot->pasid, nio_obj_id(t), dev->userdata);
	if (r < 0)
		return r;
	/* pin the new target before unpinning the old: they may be one */
	slot_set(slot, t, ioas, hwpt);
	slot_unpin(&old);
	return 0;
}

/*
 * One path for the four attach/replace calls: check, call the device's
 * operation, then pin the new target (and unpin the old one). On failure
 * the device's bookkeeping is exactly as before.
 */
static int attach_common(struct nestio_device *dev, uint32_t pasid,
			 struct nestio_ioas *ioas, struct nestio_hwpt *hwpt,
			 enum attach_op op)
{
	struct nio_obj *t = ioas ? nio_obj_of(ioas, NIO_MAGIC_IOAS)
				 : nio_obj_of(hwpt, NIO_MAGIC_HWPT);
	struct attachment *slot;
	int r;

	if (!nio_device_ok(dev) || !pasid_ok(pasid) || !t ||
	    nio_obj_ctx(t) != dev->obj.ctx)
		return -EINVAL;
	slot = find_slot(dev, pasid);
	if (op == OP_ATTACH)
		r = slot ? -EBUSY : attach_new(dev, pasid, t, ioas, hwpt);
	else
		r = slot ? replace(dev, slot, t, ioas, hwpt) : -ENOENT;
	if (r == 0)
		dbg(dev->obj.ctx, "dev_id %u pasid %d -> pt %u", dev->obj.id,
		    pasid == NESTIO_NO_PASID ? -1 : (int)pasid, nio_obj_id(t));
	return r;
}

NESTIO_EXPORT int nestio_device_attach_ioas(struct nestio_device *dev,
					    uint32_t pasid,
					    struct nestio_ioas *ioas)
{
	return attach_common(dev, pasid, ioas, NULL, OP_ATTACH);
}

NESTIO_EXPORT int nestio_device_attach_hwpt(struct nestio_device *dev,
					    uint32_t pasid,
					    struct nestio_hwpt *hwpt)
{
	return attach_common(dev, pasid, NULL, hwpt, OP_ATTACH);
}

NESTIO_EXPORT int nestio_device_replace_ioas(struct nestio_device *dev,
					     uint32_t pasid,
					     struct nestio_ioas *ioas)
{
	return attach_common(dev, pasid, ioas, NULL, OP_REPLACE);
}

NESTIO_EXPORT int nestio_device_replace_hwpt(struct nestio_device *dev,
					     uint32_t pasid,
					     struct nestio_hwpt *hwpt)
{
	return attach_common(dev, pasid, NULL, hwpt, OP_REPLACE);
}

NESTIO_EXPORT int nestio_device_detach(struct nestio_device *dev,
				       uint32_t pasid)
{
	struct attachment *slot;
	int r;

	if (!nio_device_ok(dev) || !pasid_ok(pasid))
		return -EINVAL;
	slot = find_slot(dev, pasid);
	if (!slot)
		return -ENOENT;
	if (!dev->ops.detach)
		return -EOPNOTSUPP;
	r = dev->ops.detach(dev, pasid, dev->userdata);
	if (r < 0)
		return r;
	slot_unpin(slot);
	*slot = dev->att[--dev->natt];
	return 0;
}

/* ---- hardware information ---- */

NESTIO_EXPORT int nestio_device_get_hw_info(struct nestio_device *dev,
					    uint32_t *type, void *data,
					    size_t *len)
{
	return nestio_device_get_hw_info_ext(dev, type, data, len, NULL, NULL);
}

/* GET_HW_INFO, of the IOMMU's default type (want_type 0: no flag, which
 * every kernel takes) or of want_type (IOMMU_HW_INFO_FLAG_INPUT_TYPE) */
static int get_hw_info(struct nestio_device *dev, uint32_t want_type,
		       uint32_t *type, void *data, size_t *len,
		       uint64_t *kernel_caps, uint8_t *max_pasid_log2)
{
	struct kabi_hw_info cmd = { .size = sizeof(cmd) };
	int r;

	if (!nio_device_ok(dev) || !type || !len || (*len && !data) ||
	    *len > UINT32_MAX)
		return -EINVAL;
	cmd.dev_id = dev->obj.id;
	cmd.data_len = (uint32_t)*len;
	cmd.data_uptr = (uintptr_t)data;
	if (want_type != KABI_HW_INFO_TYPE_DEFAULT) {
		cmd.flags = KABI_HW_INFO_FLAG_INPUT_TYPE;
		cmd.data_type = want_type;
	}
	r = nio_ioctl(dev->obj.ctx, dev->obj.ctx->fd, KABI_IOMMU_GET_HW_INFO, &cmd);
	if (r < 0)
		return r;
	*type = cmd.data_type;
	*len = cmd.data_len;
	if (kernel_caps)
		*kernel_caps = cmd.out_capabilities;
	if (max_pasid_log2)
		*max_pasid_log2 = cmd.out_max_pasid_log2;
	return 0;
}

NESTIO_EXPORT int nestio_device_get_hw_info_ext(struct nestio_device *dev,
						uint32_t *type, void *data,
						size_t *len,
						uint64_t *kernel_caps,
						uint8_t *max_pasid_log2)
{
	return get_hw_info(dev, KABI_HW_INFO_TYPE_DEFAULT, type, data, len,
			   kernel_caps, max_pasid_log2);
}

/*
 * A kernel from before IOMMU_HW_INFO_FLAG_INPUT_TYPE refuses every flag
 * with EOPNOTSUPP, and a kernel that has it answers EOPNOTSUPP for a type
 * the IOMMU does not report: the same "not here" either way, which is what
 * the caller needs to know.
 */
NESTIO_EXPORT int nestio_device_get_hw_info_of_type(struct nestio_device *dev,
						    uint32_t want_type,
						    uint32_t *type, void *data,
						    size_t *len,
						    uint64_t *kernel_caps,
						    uint8_t *max_pasid_log2)
{
	return get_hw_info(dev, want_type, type, data, len, kernel_caps,
			   max_pasid_log2);
}
