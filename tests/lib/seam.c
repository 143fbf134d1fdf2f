// SPDX-License-Identifier: LGPL-2.1-or-later
/* Tier 1: the seam (see seam.h). */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "seam.h"

/*
 * The tests that use the seam link the library's static convenience copy with
 * -Wl,--wrap=ioctl,--wrap=read,--wrap=write,--wrap=recvmsg,--wrap=opendir
 * (TEST_LINKFLAGS in Makefile.am): every call to these, the library's
 * included, comes here first, and goes on to libc's (__real_*) unless a
 * test has put something in the way. The library has no test hooks of its
 * own, so what runs here is what a VMM runs.
 */
int __real_ioctl(int fd, unsigned long request, ...);
ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __real_write(int fd, const void *buf, size_t len);
ssize_t __real_recvmsg(int fd, struct msghdr *msg, int flags);
DIR *__real_opendir(const char *name);
int __wrap_ioctl(int fd, unsigned long request, ...);
ssize_t __wrap_read(int fd, void *buf, size_t len);
ssize_t __wrap_write(int fd, const void *buf, size_t len);
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags);
DIR *__wrap_opendir(const char *name);

struct tu_call tu_calls[64];
int tu_ncalls;
int (*tu_seam_answer)(int fd, unsigned long request, void *arg);
ssize_t (*tu_read_hook)(int fd, void *buf, size_t len);
ssize_t (*tu_write_hook)(int fd, const void *buf, size_t len);
ssize_t (*tu_recvmsg_hook)(int fd, struct msghdr *msg, int flags);
const char *tu_sysfs_root;
static bool seam_on;

static int seam(int fd, unsigned long request, void *arg)
{
	if (tu_ncalls < (int)(sizeof(tu_calls) / sizeof(tu_calls[0]))) {
		struct tu_call *c = &tu_calls[tu_ncalls++];
		uint32_t sz = 0;

		c->fd = fd;
		c->request = request;
		if (arg)
			memcpy(&sz, arg, sizeof(sz));	/* size / argsz first */
		c->len = sz && sz <= sizeof(c->arg) ? sz : 0;
		if (c->len)
			memcpy(c->arg, arg, c->len);
	}
	if (tu_seam_answer)
		return tu_seam_answer(fd, request, arg);
	return 0;
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (seam_on)
		return seam(fd, request, arg);
	return __real_ioctl(fd, request, arg);
}

int tu_real_ioctl(int fd, unsigned long request, void *arg)
{
	return __real_ioctl(fd, request, arg);
}

ssize_t __wrap_read(int fd, void *buf, size_t len)
{
	if (tu_read_hook)
		return tu_read_hook(fd, buf, len);
	return __real_read(fd, buf, len);
}

ssize_t __wrap_write(int fd, const void *buf, size_t len)
{
	if (tu_write_hook)
		return tu_write_hook(fd, buf, len);
	return __real_write(fd, buf, len);
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
	if (tu_recvmsg_hook)
		return tu_recvmsg_hook(fd, msg, flags);
	return __real_recvmsg(fd, msg, flags);
}

/* /sys/... is looked up under tu_sysfs_root, when a test set one */
DIR *__wrap_opendir(const char *name)
{
	char path[PATH_MAX];

	if (tu_sysfs_root && !strncmp(name, "/sys/", 5)) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s", tu_sysfs_root,
				     name + 4) >= sizeof(path)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		name = path;
	}
	return __real_opendir(name);
}

void tu_seam_install(void)
{
	tu_ncalls = 0;
	tu_seam_answer = NULL;
	seam_on = true;
}

void tu_seam_remove(void)
{
	seam_on = false;
	tu_seam_answer = NULL;
}

/* ---- a made-up sysfs tree (tu_sysfs_root) ---- */

static char fake_sysfs[64];

const char *tu_fake_sysfs_new(void)
{
	strcpy(fake_sysfs, "/tmp/nestio-sysfs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_sysfs));
	tu_sysfs_root = fake_sysfs;
	return fake_sysfs;
}

void tu_fake_sysfs_mkdir(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fake_sysfs, rel);
	for (char *s = path + strlen(fake_sysfs) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(path, 0755);
			*s = '/';
		}
	}
	ck_assert_msg(mkdir(path, 0755) == 0, "mkdir %s: %s", path,
		      strerror(errno));
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

void tu_fake_sysfs_free(void)
{
	tu_sysfs_root = NULL;
	nftw(fake_sysfs, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
