// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "edu.h"
#include "kabi.h"

static int region(int fd, uint32_t index, uint64_t *offset)
{
	struct kabi_vfio_region_info ri = { .argsz = sizeof(ri), .index = index };

	if (ioctl(fd, KABI_VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		return -errno;
	*offset = ri.offset;
	return 0;
}

static int wr64(struct edu *e, uint32_t reg, uint64_t v)
{
	return pwrite(e->fd, &v, 8, (off_t)(e->bar0 + reg)) == 8 ? 0 : -EIO;
}

static int rd64(struct edu *e, uint32_t reg, uint64_t *v)
{
	return pread(e->fd, v, 8, (off_t)(e->bar0 + reg)) == 8 ? 0 : -EIO;
}

int edu_init(struct edu *e, int vfio_fd)
{
	uint16_t cmd;
	int r;

	e->fd = vfio_fd;
	r = region(vfio_fd, KABI_VFIO_PCI_BAR0_REGION_INDEX, &e->bar0);
	if (r == 0)
		r = region(vfio_fd, KABI_VFIO_PCI_CONFIG_REGION_INDEX, &e->config);
	if (r < 0)
		return r;
	/* PCI_COMMAND: memory space (bit 1) and bus master (bit 2); vfio-pci
	 * leaves bus mastering off and QEMU then drops the DMA silently */
	if (pread(vfio_fd, &cmd, 2, (off_t)(e->config + 4)) != 2)
		return -EIO;
	cmd |= 0x6;
	if (pwrite(vfio_fd, &cmd, 2, (off_t)(e->config + 4)) != 2)
		return -EIO;
	return 0;
}

static int dma(struct edu *e, uint64_t src, uint64_t dst, uint32_t count,
	       uint64_t cmd)
{
	uint64_t status = 1;
	int r;

	if ((r = wr64(e, 0x80, src)) || (r = wr64(e, 0x88, dst)) ||
	    (r = wr64(e, 0x90, count)) || (r = wr64(e, 0x98, cmd)))
		return r;
	/* the engine finishes ~100 ms of virtual time later */
	for (int i = 0; i < 500; i++) {
		if ((r = rd64(e, 0x98, &status)))
			return r;
		if (!(status & 1))
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return -ETIMEDOUT;
}

int edu_dma_to_device(struct edu *e, uint64_t iova, uint32_t count)
{
	return dma(e, iova, EDU_BUF_ADDR, count, 1);
}

int edu_dma_from_device(struct edu *e, uint64_t iova, uint32_t count)
{
	return dma(e, EDU_BUF_ADDR, iova, count, 1 | 2);
}

const char *edu_bdf(void)
{
	const char *s = getenv("NESTIO_EDU_BDF");

	return s && *s ? s : NULL;
}
