// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestioctl: PCI devices in sysfs (sysfs.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfs.h"

const char *sysfs_root(void)
{
	const char *root = getenv("NESTIOCTL_SYSFS_ROOT");

	return root && *root ? root : "/sys";
}

/* h hex digits of s into v; false if they are not all there */
static bool hex_field(const char *s, int n, unsigned int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		*v = *v << 4 |
		     (unsigned int)(isdigit((unsigned char)s[i]) ?
					    s[i] - '0' :
					    tolower((unsigned char)s[i]) - 'a' + 10);
	}
	return true;
}

bool pci_bdf_parse(const char *s, char bdf[BDF_LEN])
{
	unsigned int dom = 0, bus, dev, fn;
	size_t len = strlen(s);

	if (len == 12) {		/* dddd:bb:dd.f */
		if (!hex_field(s, 4, &dom) || s[4] != ':')
			return false;
		s += 5;
	} else if (len != 7) {		/* bb:dd.f */
		return false;
	}
	if (!hex_field(s, 2, &bus) || s[2] != ':' || !hex_field(s + 3, 2, &dev) ||
	    s[5] != '.' || !hex_field(s + 6, 1, &fn) || dev > 0x1f || fn > 7)
		return false;
	snprintf(bdf, BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return true;
}

static int dev_path(char *buf, size_t len, const char *bdf, const char *what)
{
	int n = snprintf(buf, len, "%s/bus/pci/devices/%s%s%s", sysfs_root(),
			 bdf, what ? "/" : "", what ? what : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool pci_exists(const char *bdf)
{
	char path[PATH_MAX];
	struct stat st;

	return dev_path(path, sizeof(path), bdf, NULL) == 0 &&
	       stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int pci_attr(const char *bdf, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	int r;

	r = dev_path(path, sizeof(path), bdf, attr);
	if (r < 0)
		return r;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		r = ferror(f) ? -EIO : -ENODATA;
		fclose(f);
		return r;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int pci_link(const char *bdf, const char *link, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int r;

	r = dev_path(path, sizeof(path), bdf, link);
	if (r < 0)
		return r;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

int pci_cdev(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int r = -ENOENT, n;

	r = dev_path(path, sizeof(path), bdf, "vfio-dev");
	if (r < 0)
		return r;
	dir = opendir(path);
	if (!dir)
		return -errno;
	r = -ENOENT;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		n = snprintf(buf, len, "/dev/vfio/devices/%s", d->d_name);
		r = n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
		break;
	}
	closedir(dir);
	return r;
}

int sysfs_write(const char *rel, const char *s)
{
	char path[PATH_MAX];
	size_t len = strlen(s);
	ssize_t n;
	int fd, r = 0;

	n = snprintf(path, sizeof(path), "%s/%s", sysfs_root(), rel);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}
