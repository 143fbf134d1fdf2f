// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A helper the nestioctl shell tests start through a script's `exec`: it
 * drives QEMU's edu DMA engine through a VFIO cdev fd it inherited (the
 * script names it as {DEVICE}), as a VMM given the fd would.
 *
 *	edu-dma FD to-device IOVA COUNT		RAM (IOVA) -> edu's buffer
 *	edu-dma FD from-device IOVA COUNT	edu's buffer -> RAM (IOVA)
 *	edu-dma FD copy SRC DST COUNT		RAM -> edu -> RAM
 *
 * Exit 0 when the engine finished every transfer, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edu.h"

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "edu-dma: '%s' is not a number\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct edu e;
	uint64_t count;
	int r;

	if (argc < 5 || (!strcmp(argv[2], "copy") && argc != 6)) {
		fprintf(stderr, "usage: edu-dma FD to-device|from-device IOVA COUNT\n"
				"       edu-dma FD copy SRC DST COUNT\n");
		return 2;
	}
	r = edu_init(&e, (int)num(argv[1]));
	if (r < 0) {
		fprintf(stderr, "edu-dma: fd %s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	count = num(argv[argc - 1]);
	if (!count || count > EDU_BUF_SIZE) {
		fprintf(stderr, "edu-dma: COUNT is 1 to %u\n", EDU_BUF_SIZE);
		return 2;
	}
	if (!strcmp(argv[2], "to-device")) {
		r = edu_dma_to_device(&e, num(argv[3]), (uint32_t)count);
	} else if (!strcmp(argv[2], "from-device")) {
		r = edu_dma_from_device(&e, num(argv[3]), (uint32_t)count);
	} else if (!strcmp(argv[2], "copy")) {
		r = edu_dma_to_device(&e, num(argv[3]), (uint32_t)count);
		if (r == 0)
			r = edu_dma_from_device(&e, num(argv[4]), (uint32_t)count);
	} else {
		fprintf(stderr, "edu-dma: '%s': to-device, from-device or copy\n", argv[2]);
		return 2;
	}
	if (r < 0) {
		fprintf(stderr, "edu-dma: %s: %s\n", argv[2], strerror(-r));
		return 1;
	}
	printf("edu-dma: %s of %llu bytes done\n", argv[2], (unsigned long long)count);
	return 0;
}
