// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 3, the hotplug monitor with a real device (NESTIO_EDU_BDF set, i.e.
 * in the test VMs): unbind edu from vfio-pci and read the kernel's REMOVE,
 * rebind it and get the ADD through nestio_ctx_dispatch(). edu is left
 * bound to vfio-pci with its cdev, also when a check fails (main()
 * restores it after the suite). Without edu the program skips. The
 * parser, the socket and dispatch are tests/unit/test-monitor.c.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "testutil.h"

static struct nestio_ctx *ctx;
static struct nestio_monitor *mon;
static struct nestio_hotplug got[16];
static int ngot;

static void ctx_teardown(void)
{
	mon = nestio_monitor_unref(mon);
	ctx = nestio_ctx_unref(ctx);
}

static void handler(struct nestio_monitor *m, const struct nestio_hotplug *ev,
		    void *data)
{
	ck_assert_ptr_eq(m, mon);
	ck_assert_ptr_eq(data, &ngot);
	if (ngot < (int)(sizeof(got) / sizeof(got[0])))
		got[ngot] = *ev;
	ngot++;
}

static const char *bdf;

static int write_sysfs(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

/* "/dev/vfio/devices/<name in BDF/vfio-dev/>", or "" when not bound */
static void sysfs_cdev(char *out, size_t len)
{
	char path[256];
	struct dirent *de;
	DIR *d;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(out, len, "/dev/vfio/devices/%s", de->d_name);
			break;
		}
	closedir(d);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* waits up to 5 s for an event of edu with this action, read directly
 * (via_dispatch false) or through nestio_ctx_dispatch and the handler */
static bool wait_edu(uint32_t action, bool via_dispatch, struct nestio_hotplug *out)
{
	long end = now_ms() + 5000;
	struct pollfd p = { .fd = nestio_monitor_get_fd(mon), .events = POLLIN };

	while (now_ms() < end) {
		struct nestio_hotplug ev[8];
		int n;

		if (poll(&p, 1, (int)(end - now_ms())) <= 0)
			continue;
		if (via_dispatch) {
			ngot = 0;
			n = nestio_ctx_dispatch(ctx, p.fd);
			ck_assert_int_ge(n, 0);
			ck_assert_int_eq(n, ngot);
			memcpy(ev, got, sizeof(ev));
		} else {
			n = nestio_monitor_read(mon, ev, 8);
			ck_assert_int_ge(n, 0);
		}
		for (int i = 0; i < n && i < 8; i++) {
			fprintf(stderr, "event: %s bdf '%s' cdev '%s'\n",
				ev[i].action == NESTIO_HOTPLUG_ADD ? "ADD" : "REMOVE",
				ev[i].bdf, ev[i].cdev);
			if (ev[i].action == action && !strcmp(ev[i].bdf, bdf)) {
				*out = ev[i];
				return true;
			}
		}
	}
	return false;
}

/* a raw listener of its own, to show what the kernel sent */
static int raw_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void raw_dump(int fd)
{
	char buf[8192];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = '|';
		buf[n] = '\0';
		fprintf(stderr, "uevent: %s\n", buf);
	}
	close(fd);
}

START_TEST(test_edu_unbind_rebind)
{
	struct nestio_hotplug ev[8], rm, add;
	char before[300], after[300];
	bool got_rm, got_add;
	int raw, r;

	ck_assert_int_eq(nestio_ctx_new(&ctx), 0);
	ck_assert_int_eq(nestio_monitor_new(ctx, &mon), 0);
	ck_assert(tu_fd_is_cloexec(nestio_monitor_get_fd(mon)));
	ck_assert_int_eq(nestio_monitor_set_handler(mon, handler, &ngot), 0);
	while (nestio_monitor_read(mon, ev, 8) > 0)
		;	/* anything from before */
	sysfs_cdev(before, sizeof(before));
	ck_assert_msg(before[0], "%s is not bound to vfio-pci", bdf);
	ck_assert_int_eq(access(before, F_OK), 0);
	raw = raw_open();

	r = write_sysfs("/sys/bus/pci/drivers/vfio-pci/unbind", bdf);
	ck_assert_int_eq(r, 0);
	got_rm = wait_edu(NESTIO_HOTPLUG_REMOVE, false, &rm);

	r = write_sysfs("/sys/bus/pci/drivers_probe", bdf);
	got_add = wait_edu(NESTIO_HOTPLUG_ADD, true, &add);
	sysfs_cdev(after, sizeof(after));
	if (raw >= 0)
		raw_dump(raw);

	ck_assert_int_eq(r, 0);
	ck_assert_msg(got_rm, "no REMOVE for %s within 5 s", bdf);
	ck_assert_str_eq(rm.cdev, before);
	ck_assert_msg(got_add, "no ADD for %s within 5 s", bdf);
	ck_assert_msg(after[0], "%s not bound to vfio-pci again", bdf);
	ck_assert_str_eq(add.cdev, after);
	/* devtmpfs made the node before the kernel sent the uevent */
	ck_assert_int_eq(access(add.cdev, F_OK), 0);
	fprintf(stderr, "edu %s: REMOVE %s, ADD %s\n", bdf, rm.cdev, add.cdev);
}
END_TEST

/* whatever happened in the suite, leave edu bound to vfio-pci */
static int edu_restore(void)
{
	char path[256], cdev[300];

	sysfs_cdev(cdev, sizeof(cdev));
	if (cdev[0])
		return 0;
	fprintf(stderr, "test-monitor: rebinding %s to vfio-pci\n", bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	write_sysfs(path, "vfio-pci");
	write_sysfs("/sys/bus/pci/drivers_probe", bdf);
	for (int i = 0; i < 25; i++) {
		sysfs_cdev(cdev, sizeof(cdev));
		if (cdev[0])
			return 0;
		usleep(200000);
	}
	fprintf(stderr, "FAIL: %s not bound to vfio-pci again\n", bdf);
	return 1;
}

int main(void)
{
	Suite *s = suite_create("monitor-edu");
	TCase *tc = tcase_create("edu");
	int r;

	bdf = getenv("NESTIO_EDU_BDF");
	if (!bdf || !*bdf)
		tu_skip("NESTIO_EDU_BDF unset: edu is bound to vfio-pci only in the test VM");
	tcase_add_checked_fixture(tc, NULL, ctx_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_edu_unbind_rebind);
	suite_add_tcase(s, tc);
	r = tu_run(s);
	if (edu_restore())
		r = 1;
	return r;
}
