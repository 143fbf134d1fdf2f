/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tier 1: the seam, where the hermetic tests see every ioctl, read(2),
 * write(2), recvmsg(2) and opendir() the library makes. */
#ifndef NESTIO_TESTS_SEAM_H
#define NESTIO_TESTS_SEAM_H

#include <stddef.h>
#include <sys/types.h>

#include "testutil.h"

/*
 * A binary that links seam.c links with -Wl,--wrap (TEST_LINKFLAGS in
 * Makefile.am). tu_seam_install() routes every ioctl to a recorder that
 * keeps a copy of each request's payload and answers with tu_seam_answer
 * (a callback, default: succeed and leave the payload alone);
 * tu_seam_remove() lets them through to libc's ioctl() again.
 */
struct tu_call {
	int fd;
	unsigned long request;
	unsigned char arg[256];
	size_t len;		/* bytes captured (the struct's size field) */
};
extern struct tu_call tu_calls[64];
extern int tu_ncalls;
extern int (*tu_seam_answer)(int fd, unsigned long request, void *arg);
void tu_seam_install(void);
void tu_seam_remove(void);
/* libc's ioctl(), past the seam: for an answer that lets a call through
 * (a test's own ioctl() goes through the seam too) */
int tu_real_ioctl(int fd, unsigned long request, void *arg);
/* when set, read(2), write(2) and recvmsg(2) calls go to these instead */
extern ssize_t (*tu_read_hook)(int fd, void *buf, size_t len);
extern ssize_t (*tu_write_hook)(int fd, const void *buf, size_t len);
struct msghdr;
extern ssize_t (*tu_recvmsg_hook)(int fd, struct msghdr *msg, int flags);
/* when set, opendir() of a path under /sys/ opens it under this instead */
extern const char *tu_sysfs_root;
/*
 * A made-up sysfs tree: tu_fake_sysfs_new() makes an empty temporary
 * directory and points tu_sysfs_root at it (returned), tu_fake_sysfs_mkdir()
 * makes a directory under it with its parents ("bus/pci/devices/..."),
 * tu_fake_sysfs_free() removes the tree and clears tu_sysfs_root.
 */
const char *tu_fake_sysfs_new(void);
void tu_fake_sysfs_mkdir(const char *rel);
void tu_fake_sysfs_free(void);

#endif
