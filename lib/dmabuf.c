// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A device's MMIO as a dma-buf: vfio-pci exports slices of a BAR
 * (VFIO_DEVICE_FEATURE_DMA_BUF, Linux 6.19+, a kernel with PCI P2PDMA), and
 * nestio_ioas_map_file() maps that dma-buf into an IOAS, so another device
 * attached there can reach the BAR by DMA (peer to peer). What happens when
 * the exporter revokes it is in nestio_device_export_dmabuf(3).
 */
#include <fcntl.h>
#include <stdlib.h>

#include "internal.h"
#include "kabi.h"

/* the ranges the kernel takes: non-empty, page-aligned, no wrap-around */
static bool ranges_ok(const struct nestio_dmabuf_range *ranges, size_t nr)
{
	uint64_t total = 0;

	for (size_t i = 0; i < nr; i++) {
		uint64_t off = ranges[i].offset, len = ranges[i].length;

		if (!len || !nio_page_aligned(off) || !nio_page_aligned(len) ||
		    off + len < off || total + len < total)
			return false;
		total += len;
	}
	return true;
}

/* the most ranges whose payload still has a 32-bit argsz */
#define MAX_RANGES                                                             \
	((UINT32_MAX - sizeof(struct kabi_vfio_device_feature) -               \
	  sizeof(struct kabi_vfio_device_feature_dma_buf)) /                   \
	 sizeof(struct kabi_vfio_region_dma_range))

NESTIO_EXPORT int
nestio_device_export_dmabuf(struct nestio_device *dev, uint32_t region,
			    const struct nestio_dmabuf_range *ranges, size_t nr,
			    unsigned int flags)
{
	struct kabi_vfio_device_feature *hdr;
	struct kabi_vfio_device_feature_dma_buf *db;
	size_t len;
	int fd, r;

	if (!nio_device_ok(dev) || !ranges || !nr || nr > MAX_RANGES || flags ||
	    !ranges_ok(ranges, nr))
		return -EINVAL;
	fd = nestio_device_get_fd(dev);
	if (fd < 0)		/* a dev_id bound elsewhere: no VFIO cdev here */
		return -EINVAL;
	len = sizeof(*hdr) + sizeof(*db) + nr * sizeof(db->dma_ranges[0]);
	hdr = calloc(1, len);
	if (!hdr)
		return -ENOMEM;
	hdr->argsz = (uint32_t)len;
	hdr->flags = KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_DMA_BUF;
	db = (struct kabi_vfio_device_feature_dma_buf *)(hdr + 1);
	db->region_index = region;
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->nr_ranges = (uint32_t)nr;
	for (size_t i = 0; i < nr; i++) {
		db->dma_ranges[i].offset = ranges[i].offset;
		db->dma_ranges[i].length = ranges[i].length;
	}
	r = nio_ioctl(nestio_device_get_ctx(dev), fd, KABI_VFIO_DEVICE_FEATURE, hdr);
	free(hdr);
	return r;
}
