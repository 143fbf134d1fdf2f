/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nestioctl's view of PCI devices in sysfs: what `list` shows and what
 * `vfio-bind` / `vfio-unbind` change. Operator logic, not library API.
 *
 * Every path is under sysfs_root(): /sys, or $NESTIOCTL_SYSFS_ROOT (a
 * copy of the tree, for tests).
 */
#ifndef NESTIOCTL_SYSFS_H
#define NESTIOCTL_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

#define BDF_LEN 16	/* "dddd:bb:dd.f" and a NUL, as struct nestio_hotplug */

const char *sysfs_root(void);

/* "0000:00:03.0" or "00:03.0" (any case) -> "0000:00:03.0"; false if s is
 * not a PCI address */
bool pci_bdf_parse(const char *s, char bdf[BDF_LEN]);

/* Does /sys/bus/pci/devices/BDF exist? */
bool pci_exists(const char *bdf);

/* The first line of /sys/bus/pci/devices/BDF/ATTR, without its newline:
 * 0, or -errno. */
int pci_attr(const char *bdf, const char *attr, char *buf, size_t len);

/* The last component of the symlink /sys/bus/pci/devices/BDF/LINK (driver,
 * iommu_group, iommu): 0, -ENOENT if there is none, or -errno. */
int pci_link(const char *bdf, const char *link, char *buf, size_t len);

/* /dev/vfio/devices/NAME from /sys/bus/pci/devices/BDF/vfio-dev/NAME:
 * 0, -ENOENT if it has no cdev, or -errno. */
int pci_cdev(const char *bdf, char *buf, size_t len);

/* Write s to the sysfs file PATH (relative to the root): 0 or -errno. */
int sysfs_write(const char *path, const char *s);

/* A name for "no driver" in text output */
#define NO_DRIVER "-"

#endif
