// SPDX-License-Identifier: LGPL-2.1-or-later
/* The one place every ioctl goes through, the queues' read and write, and
 * the mmap of a vIOMMU's page. */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "kabi.h"

const char *nio_ioctl_name(unsigned long request)
{
	switch (request) {
	case KABI_IOMMU_DESTROY: return "IOMMU_DESTROY";
	case KABI_IOMMU_IOAS_ALLOC: return "IOMMU_IOAS_ALLOC";
	case KABI_IOMMU_IOAS_ALLOW_IOVAS: return "IOMMU_IOAS_ALLOW_IOVAS";
	case KABI_IOMMU_IOAS_COPY: return "IOMMU_IOAS_COPY";
	case KABI_IOMMU_IOAS_IOVA_RANGES: return "IOMMU_IOAS_IOVA_RANGES";
	case KABI_IOMMU_IOAS_MAP: return "IOMMU_IOAS_MAP";
	case KABI_IOMMU_IOAS_UNMAP: return "IOMMU_IOAS_UNMAP";
	case KABI_IOMMU_OPTION: return "IOMMU_OPTION";
	case KABI_IOMMU_VFIO_IOAS: return "IOMMU_VFIO_IOAS";
	case KABI_IOMMU_HWPT_ALLOC: return "IOMMU_HWPT_ALLOC";
	case KABI_IOMMU_GET_HW_INFO: return "IOMMU_GET_HW_INFO";
	case KABI_IOMMU_HWPT_SET_DIRTY_TRACKING: return "IOMMU_HWPT_SET_DIRTY_TRACKING";
	case KABI_IOMMU_HWPT_GET_DIRTY_BITMAP: return "IOMMU_HWPT_GET_DIRTY_BITMAP";
	case KABI_IOMMU_HWPT_INVALIDATE: return "IOMMU_HWPT_INVALIDATE";
	case KABI_IOMMU_FAULT_QUEUE_ALLOC: return "IOMMU_FAULT_QUEUE_ALLOC";
	case KABI_IOMMU_IOAS_MAP_FILE: return "IOMMU_IOAS_MAP_FILE";
	case KABI_IOMMU_VIOMMU_ALLOC: return "IOMMU_VIOMMU_ALLOC";
	case KABI_IOMMU_VDEVICE_ALLOC: return "IOMMU_VDEVICE_ALLOC";
	case KABI_IOMMU_IOAS_CHANGE_PROCESS: return "IOMMU_IOAS_CHANGE_PROCESS";
	case KABI_IOMMU_VEVENTQ_ALLOC: return "IOMMU_VEVENTQ_ALLOC";
	case KABI_IOMMU_HW_QUEUE_ALLOC: return "IOMMU_HW_QUEUE_ALLOC";
	case KABI_VFIO_DEVICE_GET_INFO: return "VFIO_DEVICE_GET_INFO";
	case KABI_VFIO_DEVICE_GET_REGION_INFO: return "VFIO_DEVICE_GET_REGION_INFO";
	case KABI_VFIO_DEVICE_RESET: return "VFIO_DEVICE_RESET";
	case KABI_VFIO_DEVICE_BIND_IOMMUFD: return "VFIO_DEVICE_BIND_IOMMUFD";
	case KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT: return "VFIO_DEVICE_ATTACH_IOMMUFD_PT";
	case KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT: return "VFIO_DEVICE_DETACH_IOMMUFD_PT";
	case KABI_VFIO_DEVICE_FEATURE: return "VFIO_DEVICE_FEATURE";
	default: return "ioctl";
	}
}

/*
 * The chokepoint: the one place in lib/ that makes a system call on an
 * object's fd. EINTR is retried; count (NULL: none) is a field of arg that
 * the kernel writes back even when the call fails (IOMMU_HWPT_INVALIDATE's
 * entry_num), put back before each retry.
 */
int nio_ioctl_count(struct nestio_ctx *ctx, int fd, unsigned long request,
		    void *arg, uint32_t *count)
{
	uint32_t saved = count ? *count : 0;
	int r;

	for (;;) {
		r = ioctl(fd, request, arg);
		if (r >= 0 || errno != EINTR)
			break;
		if (count)
			*count = saved;
	}
	if (r < 0)
		r = -errno;
	dbg(ctx, "%s (fd %d): %s", nio_ioctl_name(request), fd,
	    r < 0 ? strerror(-r) : "ok");
	return r;
}

int nio_ioctl(struct nestio_ctx *ctx, int fd, unsigned long request, void *arg)
{
	return nio_ioctl_count(ctx, fd, request, arg, NULL);
}

ssize_t nio_read(struct nestio_ctx *ctx, int fd, void *buf, size_t len)
{
	ssize_t r;

	do
		r = read(fd, buf, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		r = -errno;
	if (r != -EAGAIN)
		dbg(ctx, "read (fd %d): %zd", fd, r);
	return r;
}

ssize_t nio_write(struct nestio_ctx *ctx, int fd, const void *buf, size_t len)
{
	ssize_t r;

	do
		r = write(fd, buf, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		r = -errno;
	dbg(ctx, "write (fd %d): %zd", fd, r);
	return r;
}

int nio_mmap(struct nestio_ctx *ctx, int fd, uint64_t offset, size_t length,
	     void **addr)
{
	void *p;
	int r = 0;

	/* the kernel refuses an executable mapping and a private one */
	p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)offset);
	if (p == MAP_FAILED)
		r = -errno;
	else
		*addr = p;
	dbg(ctx, "mmap (fd %d) %#llx+%#zx: %s", fd, (unsigned long long)offset,
	    length, r < 0 ? strerror(-r) : "ok");
	return r;
}

void nio_munmap(struct nestio_ctx *ctx, void *addr, size_t length)
{
	if (munmap(addr, length) < 0)
		err(ctx, "munmap %p+%#zx: %s", addr, length, strerror(errno));
}

int nio_destroy_id(struct nestio_ctx *ctx, uint32_t id)
{
	struct kabi_destroy cmd = { .size = sizeof(cmd), .id = id };
	int r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_DESTROY, &cmd);

	if (r < 0)
		err(ctx, "destroying object %u: %s", id, strerror(-r));
	return r;
}

int nio_opts_check(const void *opts, size_t user_sz, size_t our_sz)
{
	const unsigned char *p = opts;

	if (user_sz < sizeof(size_t))
		return -EINVAL;
	for (size_t i = our_sz; i < user_sz; i++)
		if (p[i])
			return -E2BIG;
	return 0;
}
