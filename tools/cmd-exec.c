// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl exec: hand an iommufd and unbound VFIO device cdevs to a
 * program on fd numbers of the caller's choosing, the way a management
 * tool starts a VMM (QEMU's -object iommufd,fd=N -device vfio-pci,fd=M).
 *
 * Every fd is first opened close-on-exec and moved above the highest
 * requested number, so that no fd of ours sits on a number another one is
 * about to be put on; then each goes to its number with dup2() (which
 * leaves the new fd without close-on-exec); every other fd above 2 is made
 * close-on-exec, so the program gets exactly stdin, stdout, stderr and
 * what was asked for.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "nestioctl.h"

struct handoff {
	const char *name;	/* the device; NULL: the iommufd */
	int target;		/* the fd number the program gets */
	int fd;			/* ours, above every target; -1 if not open */
};

/* "N" for N in 3..INT_MAX, decimal digits only: N, or -1 */
static int parse_fd(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 3 || v > INT_MAX)
		return -1;
	return (int)v;
}

/* Adds an entry; EXIT_USAGE after the message if fdstr is no good. */
static int add(struct handoff *h, int *n, const char *name, const char *fdstr)
{
	int fd = parse_fd(fdstr);

	if (fd < 0)
		return usage_error("exec", "'%s' is not an fd number of 3 or more",
				   fdstr);
	for (int i = 0; i < *n; i++)
		if (h[i].target == fd)
			return usage_error("exec", "fd %d is requested twice", fd);
	h[*n] = (struct handoff){ .name = name, .target = fd, .fd = -1 };
	(*n)++;
	return -1;
}

/* Moves fd to a close-on-exec fd at or above min; closes fd. */
static int move_above(int fd, int min)
{
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, min);
	int err = errno;

	close(fd);
	return nfd < 0 ? -err : nfd;
}

/* Opens what h names: the iommufd or the device, above min. */
static int open_one(struct handoff *h, int min)
{
	struct nestio_ctx *ctx = NULL;
	int fd, r;

	if (h->name) {
		fd = nestio_device_open_cdev(h->name);
		if (fd == -ENODEV)
			errmsgf("%s: no VFIO device cdev (is the device bound to vfio-pci? see '%s vfio-bind')",
				h->name, prog);
		else if (fd < 0)
			errmsg(h->name, fd);
	} else {
		r = tool_open_ctx(&ctx);
		if (r < 0)
			return r;
		/* our own copy: the ctx closes its fd with its last unref */
		fd = fcntl(nestio_ctx_get_fd(ctx), F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			fd = -errno;
			errmsg("duplicating the iommufd", fd);
		}
		nestio_ctx_unref(ctx);
	}
	if (fd < 0)
		return fd;
	r = move_above(fd, min);
	if (r < 0)
		errmsgf("fd %d: cannot move above fd %d: %s", fd, min - 1,
			strerror(-r));
	h->fd = r;
	return r;
}

static bool is_target(const struct handoff *h, int n, int fd)
{
	for (int i = 0; i < n; i++)
		if (h[i].target == fd)
			return true;
	return false;
}

/*
 * Every fd above 2 but the targets close-on-exec: what the caller of
 * nestioctl left open must not reach the program either. /proc/self/fd
 * lists them (the DIR's own fd is close-on-exec already).
 */
static int cloexec_others(const struct handoff *h, int n)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		int fl;

		if (*end || end == de->d_name || fd < 3 || fd == dirfd(d) ||
		    is_target(h, n, (int)fd))
			continue;
		fl = fcntl((int)fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
	}
	closedir(d);
	return 0;
}

int cmd_exec(int argc, char **argv)
{
	static const struct option options[] = {
		{ "iommufd", required_argument, NULL, 'i' },
		{ "device", required_argument, NULL, 'd' },
		CMD_COMMON_OPTIONS
	};
	struct handoff *h;
	int c, r, n = 0, max = 2;

	h = calloc((size_t)argc, sizeof(*h));
	if (!h) {
		errmsg("exec", -ENOMEM);
		return EXIT_FAILURE;
	}
	/* "+": PROGRAM's own options are not ours */
	while ((c = getopt_long(argc, argv, "+:hvi:d:", options, NULL)) != -1) {
		r = -1;
		if (c == 'i') {
			r = add(h, &n, NULL, optarg);
		} else if (c == 'd') {
			char *eq = strrchr(optarg, '=');

			if (!eq || eq == optarg)
				r = usage_error(argv[0], "'%s' is not DEVICE=FD",
						optarg);
			else {
				*eq = '\0';
				r = add(h, &n, optarg, eq + 1);
			}
		} else {
			r = cmd_options(c, argc, argv);
		}
		if (r >= 0) {
			free(h);
			return r;
		}
	}
	if (optind >= argc) {
		free(h);
		return usage_error(argv[0], "no program given");
	}
	for (int i = 0; i < n; i++)
		if (h[i].target > max)
			max = h[i].target;
	if (max == INT_MAX) {
		free(h);
		return usage_error(argv[0], "fd %d is too high", max);
	}

	for (int i = 0; i < n; i++)
		if (open_one(&h[i], max + 1) < 0)
			goto fail;
	/* every fd of ours is above max now: no dup2() can hit another */
	for (int i = 0; i < n; i++) {
		if (dup2(h[i].fd, h[i].target) < 0 ||
		    fcntl(h[i].target, F_SETFD, 0) < 0) {
			errmsg("dup2", -errno);
			goto fail;
		}
	}
	r = cloexec_others(h, n);
	if (r < 0) {
		errmsg("/proc/self/fd", r);
		goto fail;
	}
	execvp(argv[optind], &argv[optind]);
	errmsg(argv[optind], -errno);
fail:
	/* nothing to undo: the process exits and closes everything */
	free(h);
	return EXIT_FAILURE;
}
