// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * map-dma: the smallest useful libnestio program. Open a VFIO device by its
 * PCI address, give it an I/O address space, map a buffer into it, and
 * leave the device ready to DMA into that buffer.
 *
 *   map-dma 0000:00:03.0      (the device must be bound to vfio-pci)
 *
 * Exit status: 0 when the buffer was mapped (and unmapped again); 1 when a
 * call failed, with a line on stderr naming it and the errno in words (a
 * kernel without iommufd: "map-dma: /dev/iommu: No such file or
 * directory"); 2 on a usage error.
 *
 * Build: cc map-dma.c $(pkg-config --cflags --libs libnestio)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <libnestio.h>

#define BUF_SIZE (2u << 20)

static int fail(const char *what, int r)
{
	fprintf(stderr, "map-dma: %s: %s\n", what, strerror(-r));
	return 1;
}

int main(int argc, char **argv)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_device *dev = NULL;
	struct nestio_ioas *ioas = NULL;
	struct nestio_ctx *ctx = NULL;
	struct nestio_iova_range *ranges;
	uint64_t iova = 0, align = 0;
	size_t nr;
	void *buf;
	int r, ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: map-dma PCI-ADDRESS|/dev/vfio/devices/vfioN\n");
		return 2;
	}

	/* 1. an iommufd context: opens /dev/iommu */
	r = nestio_ctx_new(&ctx);
	if (r < 0)
		return fail("/dev/iommu", r);

	/* 2. the device: resolves the BDF to its VFIO cdev and binds it */
	r = nestio_device_open(ctx, argv[1], &dev);
	if (r < 0) {
		ret = fail(argv[1], r);
		goto out;
	}
	if (nestio_device_get_hw_caps(dev, &caps) == 0)
		printf("device %s: dev_id %" PRIu32 ", IOMMU %s, nesting %s\n",
		       argv[1], nestio_device_get_id(dev),
		       nestio_iommu_type_name(caps.type),
		       caps.caps & NESTIO_CAP_NESTING ? "yes" : "no");

	/* 3. an I/O address space, and the device attached to it (its RID) */
	r = nestio_ioas_new(ctx, &ioas);
	if (r == 0)
		r = nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas);
	if (r < 0) {
		ret = fail("attach", r);
		goto out;
	}
	r = nestio_ioas_get_iova_ranges(ioas, &ranges, &nr, &align);
	if (r == 0) {
		for (size_t i = 0; i < nr; i++)
			printf("usable IOVA [%#" PRIx64 ", %#" PRIx64 "]\n",
			       ranges[i].start, ranges[i].last);
		nestio_iova_ranges_free(ranges);
	}

	/* 4. map a buffer; the kernel picks the IOVA */
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		ret = fail("mmap", -errno);
		goto out;
	}
	r = nestio_ioas_map(ioas, buf, BUF_SIZE, &iova,
			    NESTIO_MAP_READ | NESTIO_MAP_WRITE);
	if (r < 0) {
		ret = fail("map", r);
	} else {
		printf("DMA-ready: %u KiB at IOVA %#" PRIx64
		       " (IOVA alignment %#" PRIx64 ")\n",
		       BUF_SIZE >> 10, iova, align);
		/* ... program the device with `iova` here ... */
		r = nestio_ioas_unmap(ioas, iova, BUF_SIZE, NULL);
		ret = r < 0 ? fail("unmap", r) : 0;
	}
	munmap(buf, BUF_SIZE);
out:
	/* any order works: each object pins what it depends on */
	nestio_device_unref(dev);
	nestio_ioas_unref(ioas);
	nestio_ctx_unref(ctx);
	return ret;
}
