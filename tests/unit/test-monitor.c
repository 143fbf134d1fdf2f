// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The hotplug monitor.
 *
 * Tier 1 (always): the uevent parser on crafted datagrams (VFIO cdev
 * add/remove, every other subsystem and action, malformed, truncated and
 * overlong messages, random corruption); the real netlink socket (close-on-
 * exec, non-blocking, argument checks, ctx pinning); dispatch into the
 * handler through the receive seam (sender check, truncation, -ENOBUFS, a
 * handler that drops the last reference).
 *
 * With a real device (edu in the test VMs): tests/device/test-monitor-edu.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "internal.h"
#include "seam.h"


#define EDU_DEVPATH "/devices/pci0000:00/0000:00:02.0/vfio-dev/vfio0"

/* ---- building datagrams: fields joined with NULs, one at the end ---- */

struct msg {
	char buf[12288];
	size_t len;
};

static void msg_build(struct msg *m, const char *const *fields)
{
	m->len = 0;
	for (; *fields; fields++) {
		size_t l = strlen(*fields) + 1;

		ck_assert_uint_le(m->len + l, sizeof(m->buf));
		memcpy(m->buf + m->len, *fields, l);
		m->len += l;
	}
}

/* what Linux 7.2.13 sent in the test VM for the edu cdev (SEQNUM aside) */
static void msg_vfio(struct msg *m, const char *action, const char *devpath,
		     const char *devname)
{
	char hdr[4096], act[64], path[4096], name[4096];

	snprintf(hdr, sizeof(hdr), "%s@%s", action, devpath);
	snprintf(act, sizeof(act), "ACTION=%s", action);
	snprintf(path, sizeof(path), "DEVPATH=%s", devpath);
	snprintf(name, sizeof(name), "DEVNAME=%s", devname);
	msg_build(m, (const char *const[]){ hdr, act, path,
		  "SUBSYSTEM=vfio-dev", "MAJOR=252", "MINOR=0", name,
		  "SEQNUM=1234", NULL });
}

/* parse, and check that an ignored message leaves *ev alone */
static int parse(const struct msg *m, struct nestio_hotplug *ev)
{
	struct nestio_hotplug before;
	int r;

	memset(ev, 0xa5, sizeof(*ev));
	before = *ev;
	r = nio_uevent_parse(m->buf, m->len, ev);
	ck_assert(r == 0 || r == 1);
	if (!r)
		ck_assert_mem_eq(ev, &before, sizeof(before));
	return r;
}

START_TEST(test_parse_add_remove)
{
	struct nestio_hotplug ev;
	struct msg m;

	msg_vfio(&m, "add", EDU_DEVPATH, "vfio/devices/vfio0");
	ck_assert_int_eq(parse(&m, &ev), 1);
	ck_assert_uint_eq(ev.action, NESTIO_HOTPLUG_ADD);
	ck_assert_uint_eq(ev.reserved, 0);
	ck_assert_str_eq(ev.bdf, "0000:00:02.0");
	ck_assert_str_eq(ev.cdev, "/dev/vfio/devices/vfio0");

	msg_vfio(&m, "remove", "/devices/pci0000:80/0000:80:01.0/0000:81:1f.7/vfio-dev/vfio12",
		 "vfio/devices/vfio12");
	ck_assert_int_eq(parse(&m, &ev), 1);
	ck_assert_uint_eq(ev.action, NESTIO_HOTPLUG_REMOVE);
	ck_assert_str_eq(ev.bdf, "0000:81:1f.7");	/* behind a bridge */
	ck_assert_str_eq(ev.cdev, "/dev/vfio/devices/vfio12");

	/* a cdev not on PCI (an mdev): reported, with an empty bdf */
	msg_vfio(&m, "add",
		 "/devices/virtual/mtty/mtty/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001/vfio-dev/vfio3",
		 "vfio/devices/vfio3");
	ck_assert_int_eq(parse(&m, &ev), 1);
	ck_assert_str_eq(ev.bdf, "");
	ck_assert_str_eq(ev.cdev, "/dev/vfio/devices/vfio3");

	/* the parent is not a well-formed PCI address: empty bdf */
	static const char *const odd[] = {
		"/devices/pci0000:00/0000:00:2.0/vfio-dev/vfio0",
		"/devices/pci0000:00/0000:00:20.0/vfio-dev/vfio0",	/* dev > 0x1f */
		"/devices/pci0000:00/0000:00:02.8/vfio-dev/vfio0",	/* fn > 7 */
		"/devices/pci0000:00/0000:00:0A.0/vfio-dev/vfio0",	/* not the kernel's case */
		"/devices/pci10000:00/10000:00:02.0/vfio-dev/vfio0",	/* does not fit */
		"/devices/pci0000:00/00000000000000000000:00:02.0/vfio-dev/vfio0",
		"/vfio-dev/vfio0",
		"/devices/vfio0",
	};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		msg_vfio(&m, "add", odd[i], "vfio/devices/vfio0");
		ck_assert_int_eq(parse(&m, &ev), 1);
		ck_assert_msg(ev.bdf[0] == '\0', "%s gave bdf %s", odd[i], ev.bdf);
	}
}
END_TEST

START_TEST(test_parse_ignores_others)
{
	struct nestio_hotplug ev;
	struct msg m;
	const char *const *const others[] = {
		/* the PCI device itself, and vfio-pci binding it */
		(const char *const[]){ "add@/devices/pci0000:00/0000:00:02.0",
			"ACTION=add", "DEVPATH=/devices/pci0000:00/0000:00:02.0",
			"SUBSYSTEM=pci", "PCI_SLOT_NAME=0000:00:02.0", "SEQNUM=1", NULL },
		(const char *const[]){ "bind@/devices/pci0000:00/0000:00:02.0",
			"ACTION=bind", "DEVPATH=/devices/pci0000:00/0000:00:02.0",
			"SUBSYSTEM=pci", "DRIVER=vfio-pci", "PCI_SLOT_NAME=0000:00:02.0",
			"SEQNUM=2", NULL },
		(const char *const[]){ "unbind@/devices/pci0000:00/0000:00:02.0",
			"ACTION=unbind", "DEVPATH=/devices/pci0000:00/0000:00:02.0",
			"SUBSYSTEM=pci", "SEQNUM=3", NULL },
		/* other buses binding to VFIO drivers */
		(const char *const[]){ "bind@/devices/platform/9000000.ethernet",
			"ACTION=bind", "DEVPATH=/devices/platform/9000000.ethernet",
			"SUBSYSTEM=platform", "DRIVER=vfio-platform", "SEQNUM=4", NULL },
		(const char *const[]){ "bind@/devices/fsl-mc/dprc.1",
			"ACTION=bind", "DEVPATH=/devices/fsl-mc/dprc.1",
			"SUBSYSTEM=fsl-mc", "DRIVER=vfio-fsl-mc", "SEQNUM=5", NULL },
		/* the legacy group cdev and iommufd's own misc device */
		(const char *const[]){ "add@/devices/virtual/vfio/5", "ACTION=add",
			"DEVPATH=/devices/virtual/vfio/5", "SUBSYSTEM=vfio",
			"DEVNAME=vfio/5", "SEQNUM=6", NULL },
		(const char *const[]){ "add@/devices/virtual/misc/iommu", "ACTION=add",
			"DEVPATH=/devices/virtual/misc/iommu", "SUBSYSTEM=misc",
			"DEVNAME=iommu", "SEQNUM=7", NULL },
		/* a subsystem whose name starts like ours */
		(const char *const[]){ "add@" EDU_DEVPATH, "ACTION=add",
			"DEVPATH=" EDU_DEVPATH, "SUBSYSTEM=vfio-devx",
			"DEVNAME=vfio/devices/vfio0", NULL },
		/* udev's re-broadcast format (group 2): never a kernel header */
		(const char *const[]){ "libudev", "ACTION=add",
			"DEVPATH=" EDU_DEVPATH, "SUBSYSTEM=vfio-dev",
			"DEVNAME=vfio/devices/vfio0", NULL },
	};

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		msg_build(&m, others[i]);
		ck_assert_msg(parse(&m, &ev) == 0, "message %zu not ignored", i);
	}
	/* vfio-dev, but actions other than add/remove */
	static const char *const actions[] = { "change", "move", "bind",
		"unbind", "online", "offline", "ADD", "added", "" };
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		msg_vfio(&m, actions[i], EDU_DEVPATH, "vfio/devices/vfio0");
		ck_assert_msg(parse(&m, &ev) == 0, "action '%s' not ignored",
			      actions[i]);
	}
}
END_TEST

START_TEST(test_parse_malformed)
{
	struct nestio_hotplug ev;
	struct msg m, good;
	char big[6000];

	msg_vfio(&good, "add", EDU_DEVPATH, "vfio/devices/vfio0");
	ck_assert_int_eq(parse(&good, &ev), 1);

	/* no NUL at the end */
	m = good;
	m.len--;
	ck_assert_int_eq(parse(&m, &ev), 0);
	m = good;
	m.buf[m.len - 1] = 'x';
	ck_assert_int_eq(parse(&m, &ev), 0);
	/* nothing, or NULs only */
	ck_assert_int_eq(nio_uevent_parse(NULL, 10, &ev), 0);
	ck_assert_int_eq(nio_uevent_parse(good.buf, good.len, NULL), 0);
	m.len = 0;
	ck_assert_int_eq(parse(&m, &ev), 0);
	memset(m.buf, 0, 64);
	for (m.len = 1; m.len < 64; m.len++)
		ck_assert_int_eq(parse(&m, &ev), 0);
	/* every truncation: only a cut after all the needed keys can pass,
	 * and then it is the same event */
	for (size_t l = 0; l < good.len; l++) {
		m = good;
		m.len = l;
		if (parse(&m, &ev)) {
			ck_assert_ptr_nonnull(memmem(good.buf, l, "DEVNAME=", 8));
			ck_assert_str_eq(ev.cdev, "/dev/vfio/devices/vfio0");
		}
	}

	const char *const *const bad[] = {
		/* no header */
		(const char *const[]){ "ACTION=add", "DEVPATH=" EDU_DEVPATH,
			"SUBSYSTEM=vfio-dev", "DEVNAME=vfio/devices/vfio0", NULL },
		/* a header with an empty action or devpath */
		(const char *const[]){ "@" EDU_DEVPATH, "ACTION=add",
			"DEVPATH=" EDU_DEVPATH, "SUBSYSTEM=vfio-dev",
			"DEVNAME=vfio/devices/vfio0", NULL },
		(const char *const[]){ "add@", "ACTION=add",
			"DEVPATH=" EDU_DEVPATH, "SUBSYSTEM=vfio-dev",
			"DEVNAME=vfio/devices/vfio0", NULL },
		/* each needed key missing */
		(const char *const[]){ "add@" EDU_DEVPATH,
			"DEVPATH=" EDU_DEVPATH, "SUBSYSTEM=vfio-dev",
			"DEVNAME=vfio/devices/vfio0", NULL },
		(const char *const[]){ "add@" EDU_DEVPATH, "ACTION=add",
			"SUBSYSTEM=vfio-dev", "DEVNAME=vfio/devices/vfio0", NULL },
		(const char *const[]){ "add@" EDU_DEVPATH, "ACTION=add",
			"DEVPATH=" EDU_DEVPATH, "DEVNAME=vfio/devices/vfio0", NULL },
		(const char *const[]){ "add@" EDU_DEVPATH, "ACTION=add",
			"DEVPATH=" EDU_DEVPATH, "SUBSYSTEM=vfio-dev", NULL },
		/* the header disagrees with the variables */
		(const char *const[]){ "remove@" EDU_DEVPATH, "ACTION=add",
			"DEVPATH=" EDU_DEVPATH, "SUBSYSTEM=vfio-dev",
			"DEVNAME=vfio/devices/vfio0", NULL },
		(const char *const[]){ "add@/devices/x/vfio-dev/vfio0", "ACTION=add",
			"DEVPATH=" EDU_DEVPATH, "SUBSYSTEM=vfio-dev",
			"DEVNAME=vfio/devices/vfio0", NULL },
		/* a key twice */
		(const char *const[]){ "add@" EDU_DEVPATH, "ACTION=add",
			"DEVPATH=" EDU_DEVPATH, "SUBSYSTEM=vfio-dev",
			"DEVNAME=vfio/devices/vfio0", "DEVNAME=vfio/devices/vfio1", NULL },
		(const char *const[]){ "add@" EDU_DEVPATH, "ACTION=add",
			"DEVPATH=" EDU_DEVPATH, "SUBSYSTEM=misc", "SUBSYSTEM=vfio-dev",
			"DEVNAME=vfio/devices/vfio0", NULL },
		/* an empty field in the middle is fine for the kernel's format,
		 * but a key without '=' is not one of ours: still needs DEVNAME */
		(const char *const[]){ "add@" EDU_DEVPATH, "ACTION=add", "",
			"DEVPATH=" EDU_DEVPATH, "SUBSYSTEM=vfio-dev", "DEVNAME", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg_build(&m, bad[i]);
		ck_assert_msg(parse(&m, &ev) == 0, "bad message %zu accepted", i);
	}

	/* DEVNAMEs that are not a plain name under vfio/devices/ */
	static const char *const names[] = {
		"vfio/devices/", "vfio/devices/..", "vfio/devices/.",
		"vfio/devices/../../sda", "vfio/devices/a/b", "vfio/0",
		"/vfio/devices/vfio0", "vfio/devices/vfio 0", "vfio/devices/vfio\n0",
		"sda", "",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		msg_vfio(&m, "add", EDU_DEVPATH, names[i]);
		ck_assert_msg(parse(&m, &ev) == 0, "DEVNAME '%s' accepted", names[i]);
	}

	/* overlong: the longest cdev that fits (63 characters) passes, one
	 * more is dropped, never cut */
	memset(big, 'a', sizeof(big));
	memcpy(big, "vfio/devices/", 13);
	big[63 - 5] = '\0';		/* "/dev/" + 58 = 63 */
	msg_vfio(&m, "add", EDU_DEVPATH, big);
	ck_assert_int_eq(parse(&m, &ev), 1);
	ck_assert_uint_eq(strlen(ev.cdev), 63);
	big[63 - 5] = 'a';
	big[64 - 5] = '\0';
	msg_vfio(&m, "add", EDU_DEVPATH, big);
	ck_assert_int_eq(parse(&m, &ev), 0);
	big[sizeof(big) - 1] = '\0';
	msg_vfio(&m, "add", EDU_DEVPATH, big);
	ck_assert_int_eq(parse(&m, &ev), 0);
	/* an overlong devpath: still the event, no bdf from it */
	memset(big, 'b', sizeof(big));
	memcpy(big, "/devices/", 9);
	strcpy(big + 4000, "/vfio-dev/vfio0");
	msg_vfio(&m, "add", big, "vfio/devices/vfio0");
	ck_assert_int_eq(parse(&m, &ev), 1);
	ck_assert_str_eq(ev.bdf, "");
}
END_TEST

/* random corruption of a good message: never a crash, never garbage out */
START_TEST(test_parse_fuzz)
{
	struct nestio_hotplug ev;
	struct msg good, m;
	unsigned int seed = 12345, accepted = 0;

	msg_vfio(&good, "remove", EDU_DEVPATH, "vfio/devices/vfio7");
	for (int it = 0; it < 20000; it++) {
		m = good;
		for (int k = 1 + rand_r(&seed) % 4; k > 0; k--) {
			size_t pos = (size_t)rand_r(&seed) % m.len;
			static const char set[] = { 0, '@', '=', '/', '.', ':', 'a', '0', '\n', (char)0xff };

			m.buf[pos] = set[rand_r(&seed) % sizeof(set)];
		}
		if (rand_r(&seed) % 4 == 0)
			m.len = (size_t)rand_r(&seed) % (m.len + 1);
		if (parse(&m, &ev)) {
			accepted++;
			ck_assert(ev.action == NESTIO_HOTPLUG_ADD ||
				  ev.action == NESTIO_HOTPLUG_REMOVE);
			ck_assert_ptr_nonnull(memchr(ev.cdev, 0, sizeof(ev.cdev)));
			ck_assert_ptr_nonnull(memchr(ev.bdf, 0, sizeof(ev.bdf)));
			ck_assert_int_eq(strncmp(ev.cdev, "/dev/vfio/devices/", 18), 0);
			ck_assert_ptr_null(strchr(ev.cdev + 18, '/'));
			ck_assert(strlen(ev.bdf) == 0 || strlen(ev.bdf) == 12);
		}
	}
	/* corruption outside the fields we read keeps the event */
	ck_assert_uint_gt(accepted, 0);
}
END_TEST

/* ---- the real socket ---- */

static struct nestio_ctx *ctx;
static struct nestio_monitor *mon;

/* a ctx with no kernel behind it: the monitor needs none */
static void ctx_setup(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(nestio_ctx_new_from_fd(fd, &ctx), 0);
	close(fd);
}

static void ctx_teardown(void)
{
	mon = nestio_monitor_unref(mon);
	ctx = nestio_ctx_unref(ctx);
}

/* 0, or skip the test when this sandbox has no uevent netlink (and that
 * is allowed: outside the VM) */
static bool monitor_open(void)
{
	const char *req = getenv("NESTIO_REQUIRE_KERNEL");
	int r = nestio_monitor_new(ctx, &mon);

	if (r == 0)
		return true;
	if ((r == -EPROTONOSUPPORT || r == -EAFNOSUPPORT || r == -EPERM ||
	     r == -EACCES) && !(req && !strcmp(req, "1"))) {
		fprintf(stderr, "note: no uevent netlink socket here (%s)\n",
			strerror(-r));
		return false;
	}
	ck_abort_msg("nestio_monitor_new: %s", strerror(-r));
	return false;
}

START_TEST(test_socket)
{
	static uint64_t not_a_ctx[16];
	struct nestio_hotplug ev[4];
	int fd = -1, fl, before;
	struct nestio_monitor *out = (void *)&fd;

	ck_assert_int_eq(nestio_monitor_new(NULL, &mon), -EINVAL);
	ck_assert_int_eq(nestio_monitor_new(ctx, NULL), -EINVAL);
	/* not a ctx: the library reads its magic, so it must be aligned
	 * and large like one (an int's address is not: UBSan traps) */
	ck_assert_int_eq(nestio_monitor_new((void *)not_a_ctx, &out), -EINVAL);
	ck_assert_ptr_eq(out, (void *)&fd);	/* untouched */
	ck_assert_int_eq(nestio_monitor_get_fd(NULL), -EINVAL);
	ck_assert_int_eq(nestio_monitor_read(NULL, ev, 4), -EINVAL);
	ck_assert_int_eq(nestio_monitor_set_handler(NULL, NULL, NULL), -EINVAL);
	ck_assert_ptr_null(nestio_monitor_ref(NULL));
	ck_assert_ptr_null(nestio_monitor_unref(NULL));
	ck_assert_ptr_null(nestio_monitor_ref((void *)ctx));	/* wrong object */

	before = tu_count_open_fds();
	if (!monitor_open())
		return;
	fd = nestio_monitor_get_fd(mon);
	ck_assert_int_ge(fd, 0);
	ck_assert(tu_fd_is_cloexec(fd));
	fl = fcntl(fd, F_GETFL);
	ck_assert(fl >= 0 && (fl & O_NONBLOCK));
	ck_assert_int_eq(tu_count_open_fds(), before + 1);
	ck_assert_int_eq(nestio_monitor_read(mon, NULL, 4), -EINVAL);
	ck_assert_int_eq(nestio_monitor_read(mon, ev, 0), -EINVAL);
	/* non-blocking, and a host's own uevents are seldom VFIO cdevs */
	ck_assert_int_ge(nestio_monitor_read(mon, ev, 4), 0);
	ck_assert_int_ge(nestio_ctx_dispatch(ctx, fd), 0);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd + 100), -ENOENT);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, -1), -EINVAL);
	ck_assert_int_eq(nestio_ctx_dispatch(NULL, fd), -EINVAL);

	/* ref/unref; the monitor pins the ctx */
	ck_assert_ptr_eq(nestio_monitor_ref(mon), mon);
	ck_assert_ptr_null(nestio_monitor_unref(mon));
	ck_assert_int_eq(nestio_monitor_get_fd(mon), fd);
	ck_assert_ptr_null(nestio_ctx_unref(ctx));
	ck_assert_int_ge(nestio_ctx_dispatch(ctx, fd), 0);	/* still alive */
	ck_assert_ptr_null(nestio_monitor_unref(mon));	/* frees both */
	mon = NULL;
	ctx = NULL;
	ck_assert_int_eq(tu_count_open_fds(), before - 1);	/* ctx's fd too */
}
END_TEST

/* ---- dispatch through the receive seam ---- */

struct fake_dgram {
	struct msg m;
	uint32_t sender;
	int err;	/* return -err instead */
};
static struct fake_dgram fake[16];
static int nfake, fake_pos;

/* recvmsg(2) of a netlink socket, the datagrams from fake[] */
static ssize_t fake_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct sockaddr_nl *sa = msg->msg_name;
	struct iovec *iov = msg->msg_iov;
	struct fake_dgram *d;

	(void)fd;
	ck_assert_int_eq(msg->msg_iovlen, 1);
	ck_assert(flags & MSG_TRUNC);	/* the real length, when truncated */
	if (fake_pos >= nfake) {
		errno = EAGAIN;
		return -1;
	}
	d = &fake[fake_pos++];
	if (d->err) {
		errno = d->err;
		return -1;
	}
	memcpy(iov->iov_base, d->m.buf,
	       d->m.len < iov->iov_len ? d->m.len : iov->iov_len);
	if (sa && msg->msg_namelen >= sizeof(*sa))
		sa->nl_pid = d->sender;
	return (ssize_t)d->m.len;
}

static void fake_vfio(const char *action, const char *bdf, int n, uint32_t sender)
{
	char path[256], name[64];

	snprintf(path, sizeof(path), "/devices/pci0000:00/%s/vfio-dev/vfio%d", bdf, n);
	snprintf(name, sizeof(name), "vfio/devices/vfio%d", n);
	fake[nfake].sender = sender;
	fake[nfake].err = 0;
	msg_vfio(&fake[nfake++].m, action, path, name);
}

static void fake_err(int e)
{
	fake[nfake].err = e;
	fake[nfake++].m.len = 0;
}

static struct nestio_hotplug got[16];
static int ngot;
static bool unref_in_handler;

static void handler(struct nestio_monitor *m, const struct nestio_hotplug *ev,
		    void *data)
{
	ck_assert_ptr_eq(m, mon);
	ck_assert_ptr_eq(data, &ngot);
	if (ngot < (int)(sizeof(got) / sizeof(got[0])))
		got[ngot] = *ev;
	ngot++;
	if (unref_in_handler)
		mon = nestio_monitor_unref(mon);
}

static void seam_setup(void)
{
	ctx_setup();
	memset(fake, 0, sizeof(fake));
	nfake = fake_pos = ngot = 0;
	unref_in_handler = false;
	tu_recvmsg_hook = fake_recvmsg;
}

static void seam_teardown(void)
{
	ctx_teardown();
	tu_recvmsg_hook = NULL;	/* for CK_FORK=no */
}

START_TEST(test_dispatch_handler)
{
	struct msg *m;
	int fd;

	if (!monitor_open())
		return;
	fd = nestio_monitor_get_fd(mon);
	ck_assert_int_eq(nestio_monitor_set_handler(mon, handler, &ngot), 0);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd), 0);	/* nothing */
	ck_assert_int_eq(ngot, 0);

	fake_vfio("add", "0000:00:03.0", 1, 0);
	/* the PCI bind that comes with it: ignored */
	m = &fake[nfake++].m;
	msg_build(m, (const char *const[]){ "bind@/devices/pci0000:00/0000:00:03.0",
		  "ACTION=bind", "DEVPATH=/devices/pci0000:00/0000:00:03.0",
		  "SUBSYSTEM=pci", "DRIVER=vfio-pci", NULL });
	fake_vfio("remove", "0000:00:09.0", 2, 4242);	/* not from the kernel */
	fake_vfio("remove", "0000:00:04.0", 3, 0);
	/* a datagram larger than any uevent: truncated, ignored */
	m = &fake[nfake].m;
	memset(m->buf, 'x', sizeof(m->buf));
	m->len = sizeof(m->buf);
	fake[nfake++].sender = 0;
	fake_vfio("add", "0000:00:05.0", 4, 0);

	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd), 3);
	ck_assert_int_eq(ngot, 3);
	ck_assert_uint_eq(got[0].action, NESTIO_HOTPLUG_ADD);
	ck_assert_str_eq(got[0].bdf, "0000:00:03.0");
	ck_assert_str_eq(got[0].cdev, "/dev/vfio/devices/vfio1");
	ck_assert_uint_eq(got[1].action, NESTIO_HOTPLUG_REMOVE);
	ck_assert_str_eq(got[1].bdf, "0000:00:04.0");
	ck_assert_str_eq(got[1].cdev, "/dev/vfio/devices/vfio3");
	ck_assert_str_eq(got[2].bdf, "0000:00:05.0");
	ck_assert_int_eq(fake_pos, nfake);	/* drained */
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd), 0);

	/* without a handler, dispatch still drains (and counts) */
	ck_assert_int_eq(nestio_monitor_set_handler(mon, NULL, NULL), 0);
	nfake = fake_pos = 0;
	fake_vfio("add", "0000:00:06.0", 5, 0);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd), 1);
	ck_assert_int_eq(ngot, 3);
	ck_assert_int_eq(nestio_monitor_read(mon, got, 16), 0);
}
END_TEST

static int nerr_logged;

static void count_log(struct nestio_ctx *c, int priority, const char *file,
		      int line, const char *fn, const char *format, va_list args)
{
	(void)c; (void)file; (void)line; (void)fn; (void)format; (void)args;
	if (priority <= LOG_ERR)
		nerr_logged++;
}

START_TEST(test_read_batches_and_overflow)
{
	struct nestio_hotplug ev[2];
	int fd;

	if (!monitor_open())
		return;
	fd = nestio_monitor_get_fd(mon);
	/* more than max: in batches, then 0 (never -EAGAIN) */
	for (int i = 0; i < 5; i++)
		fake_vfio("add", "0000:00:07.0", i, 0);
	ck_assert_int_eq(nestio_monitor_read(mon, ev, 2), 2);
	ck_assert_str_eq(ev[1].cdev, "/dev/vfio/devices/vfio1");
	ck_assert_int_eq(nestio_monitor_read(mon, ev, 2), 2);
	ck_assert_int_eq(nestio_monitor_read(mon, ev, 2), 1);
	ck_assert_str_eq(ev[0].cdev, "/dev/vfio/devices/vfio4");
	ck_assert_int_eq(nestio_monitor_read(mon, ev, 2), 0);
	ck_assert_int_eq(nestio_monitor_read(mon, ev, 2), 0);

	/* lost uevents: the events before are returned, then -ENOBUFS once */
	nfake = fake_pos = 0;
	fake_vfio("add", "0000:00:07.0", 0, 0);
	fake_err(ENOBUFS);
	fake_vfio("remove", "0000:00:07.0", 0, 0);
	ck_assert_int_eq(nestio_monitor_read(mon, ev, 2), 1);
	ck_assert_int_eq(nestio_monitor_read(mon, ev, 2), -ENOBUFS);
	ck_assert_int_eq(nestio_monitor_read(mon, ev, 2), 1);
	ck_assert_uint_eq(ev[0].action, NESTIO_HOTPLUG_REMOVE);
	ck_assert_int_eq(nestio_monitor_read(mon, ev, 2), 0);

	/* through dispatch: the handler gets the first, dispatch says lost */
	nfake = fake_pos = 0;
	fake_vfio("add", "0000:00:07.0", 0, 0);
	fake_err(ENOBUFS);
	fake_vfio("remove", "0000:00:07.0", 0, 0);
	ck_assert_int_eq(nestio_monitor_set_handler(mon, handler, &ngot), 0);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd), -ENOBUFS);
	ck_assert_int_eq(ngot, 1);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd), 1);
	ck_assert_int_eq(ngot, 2);
	/* another error passes through, logged at LOG_ERR (to us, not stderr) */
	nfake = fake_pos = 0;
	fake_err(EIO);
	ck_assert_int_eq(nestio_ctx_set_log_fn(ctx, count_log), 0);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd), -EIO);
	ck_assert_int_eq(nerr_logged, 1);
}
END_TEST

START_TEST(test_handler_drops_last_ref)
{
	int fd, before = tu_count_open_fds();

	if (!monitor_open())
		return;
	fd = nestio_monitor_get_fd(mon);
	for (int i = 0; i < 3; i++)
		fake_vfio("add", "0000:00:08.0", i, 0);
	nestio_monitor_set_handler(mon, handler, &ngot);
	unref_in_handler = true;
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd), 1);
	ck_assert_int_eq(ngot, 1);
	ck_assert_ptr_null(mon);
	/* gone from the ctx's sources, and its socket closed */
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd), -ENOENT);
	ck_assert_int_eq(tu_count_open_fds(), before);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("monitor");
	TCase *tc = tcase_create("parser");

	tcase_add_test(tc, test_parse_add_remove);
	tcase_add_test(tc, test_parse_ignores_others);
	tcase_add_test(tc, test_parse_malformed);
	tcase_add_test(tc, test_parse_fuzz);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket");
	tcase_add_checked_fixture(tc, ctx_setup, ctx_teardown);
	tcase_add_test(tc, test_socket);
	suite_add_tcase(s, tc);

	tc = tcase_create("dispatch");
	tcase_add_checked_fixture(tc, seam_setup, seam_teardown);
	tcase_add_test(tc, test_dispatch_handler);
	tcase_add_test(tc, test_read_batches_and_overflow);
	tcase_add_test(tc, test_handler_drops_last_ref);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
