/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A test-only driver for QEMU's `edu` PCI device (1234:11e8), a DMA engine:
 * BAR0 registers 0x80 source, 0x88 destination, 0x90 count, 0x98 command
 * (bit 0 start/busy, bit 1 direction: 1 = edu buffer -> RAM), and a 4 KiB
 * buffer at device address 0x40000. Driven through its VFIO cdev's regions.
 */
#ifndef NESTIO_TESTS_EDU_H
#define NESTIO_TESTS_EDU_H

#include <stdint.h>

#define EDU_BUF_ADDR 0x40000u
#define EDU_BUF_SIZE 4096u

struct edu {
	int fd;			/* the VFIO device cdev (borrowed) */
	uint64_t bar0;		/* region offsets in the cdev */
	uint64_t config;
};

/* Finds the regions and turns on memory space + bus mastering. */
int edu_init(struct edu *e, int vfio_fd);
/* DMA count bytes: RAM (iova) -> edu buffer, or edu buffer -> RAM (iova).
 * Returns 0 when the engine finished, -ETIMEDOUT if it never did. */
int edu_dma_to_device(struct edu *e, uint64_t iova, uint32_t count);
int edu_dma_from_device(struct edu *e, uint64_t iova, uint32_t count);
/* the edu BDF the VM's /init bound to vfio-pci (NESTIO_EDU_BDF), or NULL */
const char *edu_bdf(void);

#endif
