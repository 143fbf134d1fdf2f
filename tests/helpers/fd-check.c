// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A helper the hand-off test starts through a script's `exec`: it proves
 * it was given a working iommufd and VFIO cdev and nothing else.
 *
 *	fd-check [--bind] IOMMUFD DEVFD
 *
 * Lists /proc/self/fd first (before it opens anything): only 0, 1, 2 and
 * the two fds it was given may be open. Then makes a call on each: an
 * IOAS allocated on the iommufd (through the library, on a duplicate) and
 * VFIO_DEVICE_GET_INFO on the cdev. With --bind the cdev came unbound
 * (nestioctl exec) and is first bound to the iommufd, as a VMM given both
 * does. Prints one line per finding; exit 0 when all hold, 1 otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kabi.h"
#include "libnestio.h"

int main(int argc, char **argv)
{
	struct kabi_vfio_device_info info = { .argsz = sizeof(info) };
	struct nestio_ctx *ctx = NULL;
	struct nestio_ioas *ioas = NULL;
	struct nestio_device *dev = NULL;
	bool bind = argc > 1 && !strcmp(argv[1], "--bind");
	int ifd, dfd, bad = 0, r;
	struct dirent *de;
	DIR *d;

	if (bind) {
		argc--;
		argv++;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: fd-check [--bind] IOMMUFD DEVFD\n");
		return 2;
	}
	ifd = atoi(argv[1]);
	dfd = atoi(argv[2]);
	d = opendir("/proc/self/fd");
	if (!d) {
		perror("fd-check: /proc/self/fd");
		return 1;
	}
	printf("fd-check: open fds:");
	while ((de = readdir(d))) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		printf(" %d", fd);
		if (fd > 2 && fd != ifd && fd != dfd)
			bad++;
	}
	closedir(d);
	printf("\nfd-check: unexpected fds: %d\n", bad);

	r = nestio_ctx_new_from_fd(ifd, &ctx);
	if (r == 0)
		r = nestio_ioas_new(ctx, &ioas);
	if (r < 0) {
		printf("fd-check: iommufd %d: %s\n", ifd, strerror(-r));
		bad++;
	} else {
		printf("fd-check: iommufd %d: ioas %u\n", ifd, nestio_ioas_get_id(ioas));
	}
	if (bind && ctx) {
		r = nestio_device_new_from_fd(ctx, dfd, &dev);
		if (r < 0) {
			printf("fd-check: cdev %d: bind: %s\n", dfd, strerror(-r));
			bad++;
		} else {
			printf("fd-check: cdev %d: bound as dev_id %u\n", dfd,
			       nestio_device_get_id(dev));
		}
	}
	if (ioctl(dfd, KABI_VFIO_DEVICE_GET_INFO, &info) < 0) {
		printf("fd-check: cdev %d: %s\n", dfd, strerror(errno));
		bad++;
	} else {
		printf("fd-check: cdev %d: %u regions, pci %s\n", dfd, info.num_regions,
		       info.flags & KABI_VFIO_DEVICE_FLAGS_PCI ? "yes" : "no");
	}
	nestio_device_unref(dev);
	nestio_ioas_unref(ioas);
	nestio_ctx_unref(ctx);
	return bad ? 1 : 0;
}
