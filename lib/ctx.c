// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestio_ctx: an open iommufd, its log hook (lib/log.c) and its cached
 * feature probe. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "kabi.h"

static int ctx_new_fd(int fd, struct nestio_ctx **out)
{
	struct nestio_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	if (pthread_mutex_init(&ctx->reg_lock, NULL)) {
		free(ctx);
		return -ENOMEM;
	}
	nio_obj_init(&ctx->obj, NIO_MAGIC_CTX, NULL, 0);
	ctx->fd = fd;
	nio_log_init(ctx);
	info(ctx, "ctx %p on iommufd %d", (void *)ctx, fd);
	*out = ctx;
	return 0;
}

NESTIO_EXPORT int nestio_ctx_new(struct nestio_ctx **out)
{
	int fd, r;

	if (!out)
		return -EINVAL;
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ctx_new_fd(fd, out);
	if (r < 0)
		close(fd);
	return r;
}

NESTIO_EXPORT int nestio_ctx_new_from_fd(int fd, struct nestio_ctx **out)
{
	int dupfd, r;

	if (fd < 0 || !out)
		return -EINVAL;
	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		return -errno;
	r = ctx_new_fd(dupfd, out);
	if (r < 0)
		close(dupfd);
	return r;
}

/* the fd is closed here; the ctx is freed by nio_obj_unref() */
static void ctx_release(void *obj)
{
	struct nestio_ctx *ctx = obj;

	info(ctx, "ctx %p released", (void *)ctx);
	free(ctx->sources);	/* empty: every source pins its ctx */
	pthread_mutex_destroy(&ctx->reg_lock);	/* empty: so does every object */
	close(ctx->fd);
}

/* nestio_ctx_ref(), nestio_ctx_unref() */
NIO_DEFINE_REF_UNREF(ctx, NIO_MAGIC_CTX, ctx_release)

NESTIO_EXPORT int nestio_ctx_get_fd(const struct nestio_ctx *ctx)
{
	return nio_ctx_ok(ctx) ? ctx->fd : -EINVAL;
}

NESTIO_EXPORT void *nestio_ctx_get_userdata(const struct nestio_ctx *ctx)
{
	return nio_ctx_ok(ctx) ? ctx->userdata : NULL;
}

NESTIO_EXPORT int nestio_ctx_set_userdata(struct nestio_ctx *ctx,
					  void *userdata)
{
	if (!nio_ctx_ok(ctx))
		return -EINVAL;
	ctx->userdata = userdata;
	return 0;
}

/* ---- lookup by kernel id (the registry is in lib/obj.c) ---- */

static int lookup(struct nestio_ctx *ctx, uint32_t magic, uint32_t id,
		  bool out_ok, void **obj)
{
	if (!nio_ctx_ok(ctx) || !id || !out_ok)
		return -EINVAL;
	*obj = nio_obj_lookup(ctx, magic, id);
	return *obj ? 0 : -ENOENT;
}

NESTIO_EXPORT int nestio_ctx_lookup_ioas(struct nestio_ctx *ctx, uint32_t id,
					 struct nestio_ioas **out)
{
	void *obj;
	int r = lookup(ctx, NIO_MAGIC_IOAS, id, out, &obj);

	if (r == 0)
		*out = obj;
	return r;
}

NESTIO_EXPORT int nestio_ctx_lookup_hwpt(struct nestio_ctx *ctx, uint32_t id,
					 struct nestio_hwpt **out)
{
	void *obj;
	int r = lookup(ctx, NIO_MAGIC_HWPT, id, out, &obj);

	if (r == 0)
		*out = obj;
	return r;
}

NESTIO_EXPORT int nestio_ctx_lookup_device(struct nestio_ctx *ctx, uint32_t id,
					   struct nestio_device **out)
{
	void *obj;
	int r = lookup(ctx, NIO_MAGIC_DEVICE, id, out, &obj);

	if (r == 0)
		*out = obj;
	return r;
}

NESTIO_EXPORT int nestio_ctx_lookup_viommu(struct nestio_ctx *ctx, uint32_t id,
					   struct nestio_viommu **out)
{
	void *obj;
	int r = lookup(ctx, NIO_MAGIC_VIOMMU, id, out, &obj);

	if (r == 0)
		*out = obj;
	return r;
}

/* ---- feature probe ---- */

static const struct {
	const char *name;
	uint8_t cmd;
} features[NESTIO_FEATURE_MAX] = {
	[NESTIO_FEATURE_IOAS] = { "ioas", KABI_IOMMUFD_CMD_IOAS_ALLOC },
	[NESTIO_FEATURE_OPTION] = { "option", KABI_IOMMUFD_CMD_OPTION },
	[NESTIO_FEATURE_VFIO_COMPAT] = { "vfio-compat", KABI_IOMMUFD_CMD_VFIO_IOAS },
	[NESTIO_FEATURE_HWPT_ALLOC] = { "hwpt-alloc", KABI_IOMMUFD_CMD_HWPT_ALLOC },
	[NESTIO_FEATURE_HW_INFO] = { "hw-info", KABI_IOMMUFD_CMD_GET_HW_INFO },
	[NESTIO_FEATURE_DIRTY_TRACKING] = { "dirty-tracking", KABI_IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP },
	[NESTIO_FEATURE_HWPT_INVALIDATE] = { "hwpt-invalidate", KABI_IOMMUFD_CMD_HWPT_INVALIDATE },
	[NESTIO_FEATURE_FAULT_QUEUE] = { "fault-queue", KABI_IOMMUFD_CMD_FAULT_QUEUE_ALLOC },
	[NESTIO_FEATURE_IOAS_MAP_FILE] = { "ioas-map-file", KABI_IOMMUFD_CMD_IOAS_MAP_FILE },
	[NESTIO_FEATURE_VIOMMU] = { "viommu", KABI_IOMMUFD_CMD_VIOMMU_ALLOC },
	[NESTIO_FEATURE_VDEVICE] = { "vdevice", KABI_IOMMUFD_CMD_VDEVICE_ALLOC },
	[NESTIO_FEATURE_IOAS_CHANGE_PROCESS] = { "ioas-change-process", KABI_IOMMUFD_CMD_IOAS_CHANGE_PROCESS },
	[NESTIO_FEATURE_VEVENTQ] = { "veventq", KABI_IOMMUFD_CMD_VEVENTQ_ALLOC },
	[NESTIO_FEATURE_HW_QUEUE] = { "hw-queue", KABI_IOMMUFD_CMD_HW_QUEUE_ALLOC },
};

/*
 * iommufd answers a command it knows with EINVAL when the struct is shorter
 * than the command's minimum (here: size 0), before looking at anything
 * else, and a command it does not know with ENOTTY. So one harmless ioctl
 * per command tells what this kernel offers.
 */
static int probe_features(struct nestio_ctx *ctx)
{
	uint32_t bits = 0;

	for (int f = 0; f < NESTIO_FEATURE_MAX; f++) {
		struct { uint32_t size; uint32_t pad[15]; } zero = { 0 };
		int r = nio_ioctl(ctx, ctx->fd, KABI_IOMMUFD_IO(features[f].cmd),
				  &zero);

		if (r == -EINVAL)
			bits |= 1u << f;
		else if (r != -ENOTTY && r != -EOPNOTSUPP)
			return r;
	}
	ctx->features = bits;
	ctx->features_probed = true;
	return 0;
}

NESTIO_EXPORT int nestio_ctx_has_feature(struct nestio_ctx *ctx,
					 enum nestio_feature feature)
{
	int r;

	if (!nio_ctx_ok(ctx) || (unsigned int)feature >= NESTIO_FEATURE_MAX)
		return -EINVAL;
	if (!ctx->features_probed) {
		r = probe_features(ctx);
		if (r < 0)
			return r;
	}
	return !!(ctx->features & (1u << feature));
}

NESTIO_EXPORT const char *nestio_feature_name(enum nestio_feature feature)
{
	if ((unsigned int)feature >= NESTIO_FEATURE_MAX)
		return NULL;
	return features[feature].name;
}

/* ---- IOMMU_OPTION (shared with ioas.c through nio_option) ---- */

int nio_option(struct nestio_ctx *ctx, uint32_t object_id, uint32_t option,
	       bool set, uint64_t *value)
{
	struct kabi_option cmd = {
		.size = sizeof(cmd),
		.option_id = option,
		.op = set ? KABI_OPTION_OP_SET : KABI_OPTION_OP_GET,
		.object_id = object_id,
		.val64 = set ? *value : 0,
	};
	int r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_OPTION, &cmd);

	if (r < 0)
		return r;
	if (!set)
		*value = cmd.val64;
	return 0;
}

NESTIO_EXPORT int nestio_ctx_get_option(struct nestio_ctx *ctx,
					enum nestio_option option,
					uint64_t *value)
{
	if (!nio_ctx_ok(ctx) || !value || option != NESTIO_OPTION_RLIMIT_MODE)
		return -EINVAL;
	return nio_option(ctx, 0, KABI_OPTION_RLIMIT_MODE, false, value);
}

NESTIO_EXPORT int nestio_ctx_set_option(struct nestio_ctx *ctx,
					enum nestio_option option,
					uint64_t value)
{
	if (!nio_ctx_ok(ctx) || option != NESTIO_OPTION_RLIMIT_MODE ||
	    value > 1)
		return -EINVAL;
	return nio_option(ctx, 0, KABI_OPTION_RLIMIT_MODE, true, &value);
}

NESTIO_EXPORT int nestio_ctx_change_process(struct nestio_ctx *ctx)
{
	struct kabi_ioas_change_process cmd = { .size = sizeof(cmd) };

	if (!nio_ctx_ok(ctx))
		return -EINVAL;
	return nio_ioctl(ctx, ctx->fd, KABI_IOMMU_IOAS_CHANGE_PROCESS, &cmd);
}

uint64_t nio_page_mask = 4095;

/* sysconf() once, at load: the alignment checks sit on every map's path */
__attribute__((constructor)) static void nio_init_page_mask(void)
{
	long page = sysconf(_SC_PAGESIZE);

	if (page > 0)
		nio_page_mask = (uint64_t)page - 1;
}
