// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl vfio-bind and vfio-unbind: the manual bind operators do by
 * hand, through sysfs.
 *
 * Bind: remember the current driver in /run/nestioctl/BDF, write vfio-pci
 * to the device's driver_override (so that no other driver grabs it on the
 * next probe), unbind it from its driver, ask the bus to probe it, and wait
 * for its cdev's uevent through the library's hotplug monitor (opened
 * before anything changes, so the event cannot be missed). Unbind: the
 * reverse, back to the remembered driver (driver_override set to it for
 * one probe, then cleared) or to none.
 *
 * The kernel refuses to let a VFIO user open a device while another device
 * of its IOMMU group is used by a host driver (the group shares one DMA
 * address space), so binding such a device would only give a cdev that
 * cannot be opened: it is refused up front, naming the devices in the way.
 */
#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nestioctl.h"
#include "sysfs.h"

#define STATE_DIR "/run/nestioctl"
#define DEFAULT_TIMEOUT_S 10

/* Drivers that leave a group's DMA to VFIO: vfio-pci and its variant
 * drivers (names with "vfio"), pci-stub, and PCIe port services, which
 * the kernel lets share a group with a VFIO user. */
static bool driver_is_harmless(const char *drv)
{
	return !*drv || strstr(drv, "vfio") || !strcmp(drv, "pci-stub") ||
	       !strcmp(drv, "pcieport");
}

/*
 * The other devices in group `group` that are on host drivers, as
 * "BDF (driver)" joined by ", " into buf. Returns how many, or -errno.
 */
static int group_blockers(const char *group, const char *bdf, char *buf,
			  size_t len)
{
	char path[PATH_MAX], link[PATH_MAX + 300], target[PATH_MAX];
	struct dirent *d;
	size_t used = 0;
	int count = 0;
	DIR *dir;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%s/devices",
		 sysfs_root(), group);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		const char *drv = "";
		ssize_t n;

		if (d->d_name[0] == '.' || !strcmp(d->d_name, bdf))
			continue;
		snprintf(link, sizeof(link), "%s/%s/driver", path, d->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n >= 0) {
			target[n] = '\0';
			drv = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
		}
		if (driver_is_harmless(drv))
			continue;
		if (used < len) {
			int w = snprintf(buf + used, len - used, "%s%s (%s)",
					 count ? ", " : "", d->d_name, drv);

			used += w > 0 ? (size_t)w : 0;
		}
		count++;
	}
	closedir(dir);
	return count;
}

/* ---- the state file: the driver a device had before vfio-bind ---- */

static void state_path(char *buf, size_t len, const char *bdf)
{
	snprintf(buf, len, "%s/%s", STATE_DIR, bdf);
}

static int state_save(const char *bdf, const char *driver)
{
	char path[PATH_MAX];
	FILE *f;
	int r = 0;

	/* /run exists on any systemd or sysvinit system; a bare initramfs
	 * may lack it */
	if (mkdir("/run", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(STATE_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	state_path(path, sizeof(path), bdf);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", driver);
	if (ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

/* 1 and the driver ("" for none) if remembered, 0 if not, or -errno */
static int state_load(const char *bdf, char *driver, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	state_path(path, sizeof(path), bdf);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (!fgets(driver, (int)len, f))
		driver[0] = '\0';
	fclose(f);
	driver[strcspn(driver, "\n")] = '\0';
	return 1;
}

static void state_forget(const char *bdf)
{
	char path[PATH_MAX];

	state_path(path, sizeof(path), bdf);
	unlink(path);
}

/* ---- sysfs steps, each reporting its own error ---- */

static int dev_write(const char *bdf, const char *attr, const char *s)
{
	char rel[PATH_MAX];
	int r;

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/%s", bdf, attr);
	r = sysfs_write(rel, s);
	if (r < 0) {
		char what[PATH_MAX + 16];

		snprintf(what, sizeof(what), "%s/%s", sysfs_root(), rel);
		errmsg(what, r);
	}
	return r;
}

static int probe(const char *bdf)
{
	int r = sysfs_write("bus/pci/drivers_probe", bdf);

	if (r < 0)
		errmsg("/sys/bus/pci/drivers_probe", r);
	return r;
}

static void current_driver(const char *bdf, char *buf, size_t len)
{
	if (pci_link(bdf, "driver", buf, len) < 0)
		buf[0] = '\0';
}

/* ---- waiting for the cdev ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Until BDF's cdev exists (its path into cdev) or timeout_ms pass. */
static int wait_cdev(struct nestio_monitor *mon, const char *bdf, char *cdev,
		     size_t len, int64_t timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct nestio_hotplug ev[8];
	struct pollfd pfd = { .fd = nestio_monitor_get_fd(mon), .events = POLLIN };

	for (;;) {
		bool named = false;
		int64_t left;
		int n;

		/* sysfs first: covers a uevent dropped in an overflow. sysfs
		 * names the cdev a moment before devtmpfs makes the node (and
		 * without devtmpfs, udev makes it after the uevent): the node
		 * itself is what counts, looked at again every 50 ms. */
		if (pci_cdev(bdf, cdev, len) == 0) {
			if (access(cdev, F_OK) == 0)
				return 0;
			named = true;
		}
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (named && left > 50)
			left = 50;
		n = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		do {
			n = nestio_monitor_read(mon, ev, ARRAY_LEN(ev));
			for (int i = 0; i < n; i++)
				if (ev[i].action == NESTIO_HOTPLUG_ADD &&
				    !strcmp(ev[i].bdf, bdf) &&
				    strlen(ev[i].cdev) < len &&
				    access(ev[i].cdev, F_OK) == 0) {
					strcpy(cdev, ev[i].cdev);
					return 0;
				}
		} while (n == (int)ARRAY_LEN(ev));
		if (n < 0 && n != -ENOBUFS)
			return n;
	}
}

/* ---- the commands ---- */

/* the PCI address argument (argv[optind]): -1 to go on, else the exit
 * status after the error message */
static int bdf_arg(char **argv, char bdf[BDF_LEN])
{
	if (!pci_bdf_parse(argv[optind], bdf))
		return usage_error(argv[0], "'%s' is not a PCI address (0000:00:03.0 or 00:03.0)",
				   argv[optind]);
	if (!pci_exists(bdf)) {
		errmsgf("%s: no such PCI device", bdf);
		return EXIT_FAILURE;
	}
	return -1;
}

static void print_result(const char *bdf, const char *driver,
			 const char *previous, const char *cdev, bool changed)
{
	if (opt_json) {
		struct json j;

		tool_json(&j);
		json_object_begin(&j, NULL);
		json_string(&j, "bdf", bdf);
		json_string(&j, "driver", *driver ? driver : NULL);
		json_string(&j, "previous_driver", *previous ? previous : NULL);
		json_string(&j, "cdev", cdev && *cdev ? cdev : NULL);
		json_bool(&j, "changed", changed);
		json_object_end(&j);
		return;
	}
	printf("%s: driver %s (was %s)%s%s%s\n", bdf, *driver ? driver : "none",
	       *previous ? previous : "none", cdev && *cdev ? ", cdev " : "",
	       cdev && *cdev ? cdev : "", changed ? "" : ", unchanged");
}

/* a timeout in whole seconds, 1..86400; -1 if s is not one */
static int parse_timeout(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 86400)
		return -1;
	return (int)v;
}

int cmd_vfio_bind(int argc, char **argv)
{
	static const struct option options[] = {
		{ "timeout", required_argument, NULL, 't' },
		CMD_COMMON_OPTIONS
	};
	char bdf[BDF_LEN], driver[64], group[16], cdev[PATH_MAX], path[PATH_MAX];
	char blockers[1024];
	struct nestio_ctx *ctx = NULL;
	struct nestio_monitor *mon = NULL;
	struct stat st;
	int c, r, timeout = DEFAULT_TIMEOUT_S, ret = EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, CMD_COMMON_SHORT "t:", options, NULL)) != -1) {
		if (c == 't') {
			timeout = parse_timeout(optarg);
			if (timeout < 0)
				return usage_error(argv[0], "'%s' is not a timeout in seconds (1 to 86400)",
						   optarg);
		} else if ((r = cmd_options(c, argc, argv)) >= 0) {
			return r;
		}
	}
	if (need_args(argc, argv, 1) < 0)
		return EXIT_USAGE;
	if ((r = bdf_arg(argv, bdf)) >= 0)
		return r;
	current_driver(bdf, driver, sizeof(driver));
	if (!strcmp(driver, "vfio-pci")) {
		if (pci_cdev(bdf, cdev, sizeof(cdev)) < 0)
			cdev[0] = '\0';
		print_result(bdf, driver, driver, cdev, false);
		return EXIT_SUCCESS;
	}
	if (pci_link(bdf, "iommu_group", group, sizeof(group)) < 0) {
		errmsgf("%s: not behind an IOMMU (no IOMMU group): VFIO cannot take it",
			bdf);
		return EXIT_FAILURE;
	}
	r = group_blockers(group, bdf, blockers, sizeof(blockers));
	if (r < 0) {
		errmsg("reading the IOMMU group", r);
		return EXIT_FAILURE;
	}
	if (r > 0) {
		errmsgf("%s: refused: IOMMU group %s also holds %s on host driver%s: %s; "
			"bind %s to vfio-pci or unbind %s first",
			bdf, group, r == 1 ? "a device" : "devices", r == 1 ? "" : "s",
			blockers, r == 1 ? "it" : "them", r == 1 ? "it" : "them");
		return EXIT_FAILURE;
	}
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci", sysfs_root());
	if (stat(path, &st) < 0) {
		errmsgf("the vfio-pci driver is not loaded (modprobe vfio-pci)");
		return EXIT_FAILURE;
	}
	/* the monitor before any change: the cdev's uevent cannot slip by */
	if (tool_open_ctx(&ctx) < 0)
		return EXIT_FAILURE;
	r = nestio_monitor_new(ctx, &mon);
	if (r < 0) {
		errmsg("opening the hotplug monitor", r);
		goto out;
	}
	r = state_save(bdf, driver);
	if (r < 0) {
		errmsg(STATE_DIR, r);
		goto out;
	}
	if (dev_write(bdf, "driver_override", "vfio-pci") < 0)
		goto undo;
	if (*driver && dev_write(bdf, "driver/unbind", bdf) < 0)
		goto undo;
	if (probe(bdf) < 0)
		goto undo;
	r = wait_cdev(mon, bdf, cdev, sizeof(cdev), (int64_t)timeout * 1000);
	if (r == -ETIMEDOUT) {
		errmsgf("%s: no VFIO cdev appeared within %d s (dmesg may say why)",
			bdf, timeout);
		goto undo;
	}
	if (r < 0) {
		errmsg("waiting for the cdev", r);
		goto undo;
	}
	print_result(bdf, "vfio-pci", driver, cdev, true);
	ret = EXIT_SUCCESS;
	goto out;
undo:
	/* back as it was: no override, and the old driver if it had one */
	{
		char now[64];

		current_driver(bdf, now, sizeof(now));
		if (!strcmp(now, "vfio-pci"))
			dev_write(bdf, "driver/unbind", bdf);
		dev_write(bdf, "driver_override", "\n");
		if (*driver)
			probe(bdf);
		state_forget(bdf);
	}
out:
	nestio_monitor_unref(mon);
	nestio_ctx_unref(ctx);
	return ret;
}

int cmd_vfio_unbind(int argc, char **argv)
{
	char bdf[BDF_LEN], driver[64], orig[64], now[64];
	int r, known;

	if ((r = cmd_simple_args(argc, argv, 1)) >= 0 ||
	    (r = bdf_arg(argv, bdf)) >= 0)
		return r;
	current_driver(bdf, driver, sizeof(driver));
	if (strcmp(driver, "vfio-pci") != 0) {
		errmsgf("%s: not bound to vfio-pci (driver: %s)", bdf,
			*driver ? driver : "none");
		return EXIT_FAILURE;
	}
	known = state_load(bdf, orig, sizeof(orig));
	if (known < 0) {
		errmsg(STATE_DIR, known);
		return EXIT_FAILURE;
	}
	if (dev_write(bdf, "driver/unbind", bdf) < 0)
		return EXIT_FAILURE;
	if (known && *orig) {
		/* exactly that driver, even if another would match first */
		if (dev_write(bdf, "driver_override", orig) < 0 || probe(bdf) < 0)
			return EXIT_FAILURE;
		if (dev_write(bdf, "driver_override", "\n") < 0)
			return EXIT_FAILURE;
	} else {
		if (dev_write(bdf, "driver_override", "\n") < 0)
			return EXIT_FAILURE;
		/* nothing remembered: whatever driver the kernel picks, as
		 * at boot */
		if (!known) {
			fprintf(stderr, "%s: %s: no record of its driver before vfio-bind; probing for one\n",
				prog, bdf);
			if (probe(bdf) < 0)
				return EXIT_FAILURE;
		}
	}
	current_driver(bdf, now, sizeof(now));
	if (known && strcmp(now, orig) != 0) {
		errmsgf("%s: driver %s did not take it back (driver now: %s)",
			bdf, orig, *now ? now : "none");
		return EXIT_FAILURE;
	}
	state_forget(bdf);
	print_result(bdf, now, driver, NULL, true);
	return EXIT_SUCCESS;
}
