// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestio_monitor: VFIO device cdevs appearing and going, from the kernel's
 * uevents.
 *
 * A NETLINK_KOBJECT_UEVENT socket (made and configured through libnl-3)
 * joined to group 1, where the kernel multicasts every uevent itself; udev
 * is not needed (and its group 2 re-broadcasts are never seen). Each
 * datagram is "ACTION@DEVPATH\0KEY=VALUE\0...\0"; only SUBSYSTEM=vfio-dev
 * add/remove become nestio_hotplug events. Datagrams are received with
 * recvmsg(2) on the socket's fd so that the buffer is ours (no allocation
 * per uevent) and the sender is checked: only the kernel (port 0) counts.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>

#include "internal.h"

/* the kernel's uevent multicast group (udev re-broadcasts on group 2) */
#define NIO_UEVENT_GROUP_KERNEL 1
/* receive queue asked for: a burst of probes must not overflow it */
#define NIO_UEVENT_RCVBUF (1024 * 1024)
/* a kernel uevent is at most UEVENT_BUFFER_SIZE (2048) bytes of variables
 * plus its "ACTION@DEVPATH" header (DEVPATH < PATH_MAX): larger is
 * truncated and dropped */
#define NIO_UEVENT_MAX 8192

struct nestio_monitor {
	struct nio_obj obj;	/* first: magic, refcount, ctx (no id) */
	struct nl_sock *sk;
	int fd;			/* the socket's, owned by sk */
	bool overflow;		/* -ENOBUFS seen with events in hand: next */
	void (*fn)(struct nestio_monitor *m, const struct nestio_hotplug *ev,
		   void *data);
	void *data;
};

static bool monitor_ok(const struct nestio_monitor *m)
{
	return nio_obj_of(m, NIO_MAGIC_MONITOR);
}

/* ---- the parser: pure, bounded, no allocation ---- */

/* "dddd:bb:dd.f" in the kernel's lowercase hex: the form
 * nestio_device_open() takes. Writes it to bdf (16 bytes) or returns false. */
static bool pci_addr(const char *s, size_t len, char *bdf)
{
	static const char form[] = "hhhh:hh:hh.h";

	if (len != sizeof(form) - 1)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (form[i] == 'h' ? !isxdigit(c) || isupper(c) : c != form[i])
			return false;
	}
	/* device 0..0x1f, function 0..7 */
	if (s[8] > '1' || s[11] > '7')
		return false;
	memcpy(bdf, s, len);
	bdf[len] = '\0';
	return true;
}

/* a cdev name under /dev/vfio/devices: one path component, nothing odd */
static bool cdev_name_ok(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

/*
 * One raw uevent datagram of len bytes (not NUL-terminated by the caller:
 * the kernel ends every field with a NUL, and one without is malformed).
 * Returns 1 and fills *ev for a VFIO device cdev add/remove, 0 for anything
 * else: other subsystems and actions, and every malformed message (no NUL
 * at the end, no "@" header, a header that disagrees with ACTION/DEVPATH, a
 * key given twice, a DEVNAME outside vfio/devices/, a name that does not
 * fit). Never reads outside buf.
 */
int nio_uevent_parse(const void *buf, size_t len, struct nestio_hotplug *ev)
{
	const char *p = buf, *end = p + len, *at;
	const char *action = NULL, *devpath = NULL, *subsystem = NULL;
	const char *devname = NULL, *vfio, *name, *comp;
	static const char dev_prefix[] = "vfio/devices/";
	struct nestio_hotplug e = { 0 };
	size_t hlen;

	if (!buf || !ev || len < 2 || end[-1] != '\0')
		return 0;
	/* the header: ACTION@DEVPATH */
	hlen = strlen(p);
	at = memchr(p, '@', hlen);
	if (!at || at == p || at + 1 == p + hlen)
		return 0;
	for (const char *f = p + hlen + 1; f < end; f += strlen(f) + 1) {
		static const char *const keys[] = {
			"ACTION=", "DEVPATH=", "SUBSYSTEM=", "DEVNAME=",
		};
		const char **val[] = { &action, &devpath, &subsystem, &devname };

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k]);

			if (strncmp(f, keys[k], kl))
				continue;
			if (*val[k])
				return 0;	/* a key given twice */
			*val[k] = f + kl;
		}
	}
	if (!action || !devpath || !subsystem || !devname)
		return 0;
	if (strcmp(subsystem, "vfio-dev"))
		return 0;
	/* the header says the same as the variables */
	if (strlen(action) != (size_t)(at - p) || strncmp(p, action, at - p) ||
	    strcmp(at + 1, devpath))
		return 0;
	if (!strcmp(action, "add"))
		e.action = NESTIO_HOTPLUG_ADD;
	else if (!strcmp(action, "remove"))
		e.action = NESTIO_HOTPLUG_REMOVE;
	else
		return 0;	/* bind, unbind, change, move, ... */

	/* cdev: "/dev/" + DEVNAME, DEVNAME = "vfio/devices/<name>" */
	if (strncmp(devname, dev_prefix, sizeof(dev_prefix) - 1))
		return 0;
	name = devname + sizeof(dev_prefix) - 1;
	if (!cdev_name_ok(name))
		return 0;
	if (snprintf(e.cdev, sizeof(e.cdev), "/dev/%s", devname) >=
	    (int)sizeof(e.cdev))
		return 0;	/* would not fit: never report a cut path */

	/* bdf: the component before "/vfio-dev/<name>" if it is a PCI
	 * address; empty for a cdev on another bus (mdev, platform) */
	vfio = strstr(devpath, "/vfio-dev/");
	if (vfio && vfio > devpath) {
		comp = vfio;
		while (comp > devpath && comp[-1] != '/')
			comp--;
		pci_addr(comp, (size_t)(vfio - comp), e.bdf);
	}
	*ev = e;
	return 1;
}

/* ---- receiving ---- */

/*
 * One datagram into buf: its length (> len when it was truncated), -EAGAIN
 * when nothing is queued, another -errno on failure (-ENOBUFS: the kernel
 * dropped uevents because the receive queue was full). *sender gets the
 * sending port (0: the kernel).
 */
static ssize_t uevent_recv(int fd, void *buf, size_t len, uint32_t *sender)
{
	struct sockaddr_nl sa;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &sa,
		.msg_namelen = sizeof(sa),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	do {
		memset(&sa, 0, sizeof(sa));
		n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	*sender = sa.nl_pid;
	return n;
}

NESTIO_EXPORT int nestio_monitor_read(struct nestio_monitor *m,
				      struct nestio_hotplug *ev,
				      unsigned int max)
{
	unsigned char buf[NIO_UEVENT_MAX];
	unsigned int n = 0;

	if (!monitor_ok(m) || !ev || !max)
		return -EINVAL;
	if (m->overflow) {
		m->overflow = false;
		return -ENOBUFS;
	}
	while (n < max) {
		uint32_t sender = UINT32_MAX;
		ssize_t r = uevent_recv(m->fd, buf, sizeof(buf), &sender);

		if (r == -EAGAIN)
			break;
		if (r < 0) {
			if (r == -ENOBUFS)
				info(m->obj.ctx, "monitor fd %d: uevents lost (receive queue full)",
				     m->fd);
			else
				err(m->obj.ctx, "monitor fd %d: recvmsg: %s", m->fd,
				    strerror((int)-r));
			if (n && r == -ENOBUFS) {
				m->overflow = true;	/* report it next */
				break;
			}
			return n ? (int)n : (int)r;
		}
		if (sender != 0) {
			dbg(m->obj.ctx, "monitor: ignored a datagram from port %u", sender);
			continue;
		}
		if ((size_t)r > sizeof(buf)) {
			dbg(m->obj.ctx, "monitor: ignored a truncated uevent (%zd bytes)", r);
			continue;
		}
		if (!nio_uevent_parse(buf, (size_t)r, &ev[n]))
			continue;
		dbg(m->obj.ctx, "monitor: %s %s (%s)",
		    ev[n].action == NESTIO_HOTPLUG_ADD ? "add" : "remove",
		    ev[n].cdev, ev[n].bdf[0] ? ev[n].bdf : "not PCI");
		n++;
	}
	return (int)n;
}

/* dispatch: everything queued, into the handler; the number handled */
static int monitor_drain(void *obj)
{
	struct nestio_monitor *m = obj;
	struct nestio_hotplug ev[16];
	int handled = 0, r;

	nestio_monitor_ref(m);	/* the handler may drop the last user reference */
	for (;;) {
		r = nestio_monitor_read(m, ev, sizeof(ev) / sizeof(ev[0]));
		if (r <= 0)
			break;
		for (int i = 0; i < r && nio_obj_refcount(&m->obj) > 1; i++, handled++)
			if (m->fn)
				m->fn(m, &ev[i], m->data);
		if (nio_obj_refcount(&m->obj) == 1)
			break;	/* nobody wants the rest */
	}
	if (!m->fn && handled)
		dbg(m->obj.ctx, "monitor: %d events dropped: no handler", handled);
	nestio_monitor_unref(m);
	return r < 0 ? r : handled;
}

/* ---- the object ---- */

static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PROTO_MISMATCH:
	case NLE_OPNOTSUPP:
		return -EPROTONOSUPPORT;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_EXIST:
		return -EADDRINUSE;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

NESTIO_EXPORT int nestio_monitor_new(struct nestio_ctx *ctx,
				     struct nestio_monitor **out)
{
	struct nestio_monitor *m;
	int r, fl;

	if (!nio_ctx_ok(ctx) || !out)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->sk = nl_socket_alloc();
	if (!m->sk) {
		free(m);
		return -ENOMEM;
	}
	/* raw datagrams: no sequence numbers, no acks */
	nl_socket_disable_seq_check(m->sk);
	nl_socket_disable_auto_ack(m->sk);
	r = nl_connect(m->sk, NETLINK_KOBJECT_UEVENT);
	if (r < 0) {
		r = nl_to_errno(r);
		goto fail_sk;
	}
	m->fd = nl_socket_get_fd(m->sk);
	/* libnl opens with SOCK_CLOEXEC since 3.2.25; make sure */
	fl = fcntl(m->fd, F_GETFD);
	if (fl < 0 || (!(fl & FD_CLOEXEC) &&
		       fcntl(m->fd, F_SETFD, fl | FD_CLOEXEC) < 0)) {
		r = -errno;
		goto fail_close;
	}
	r = nl_socket_add_membership(m->sk, NIO_UEVENT_GROUP_KERNEL);
	if (r < 0) {
		r = nl_to_errno(r);
		goto fail_close;
	}
	r = nl_socket_set_nonblocking(m->sk);
	if (r < 0) {
		r = nl_to_errno(r);
		goto fail_close;
	}
	/* libnl set a 32 KiB queue on connect: ask for more (the kernel caps
	 * it at net.core.rmem_max; a failure only means a smaller queue) */
	if (nl_socket_set_buffer_size(m->sk, NIO_UEVENT_RCVBUF, 0) < 0)
		info(ctx, "monitor: cannot enlarge the receive queue");
	r = nio_dispatch_add(ctx, m->fd, m, monitor_drain);
	if (r < 0)
		goto fail_close;
	nio_obj_init(&m->obj, NIO_MAGIC_MONITOR, ctx, 0);
	dbg(ctx, "monitor on netlink fd %d", m->fd);
	*out = m;
	return 0;

fail_close:
	nl_close(m->sk);
fail_sk:
	nl_socket_free(m->sk);
	free(m);
	err(ctx, "monitor: uevent socket: %s", strerror(-r));
	return r;
}

static void monitor_release(void *obj)
{
	struct nestio_monitor *m = obj;

	nio_dispatch_del(m->obj.ctx, m->fd);	/* before the fd is closed */
	nl_socket_free(m->sk);			/* closes the fd */
}

/* nestio_monitor_ref(), nestio_monitor_unref() */
NIO_DEFINE_REF_UNREF(monitor, NIO_MAGIC_MONITOR, monitor_release)

NESTIO_EXPORT int nestio_monitor_get_fd(const struct nestio_monitor *m)
{
	return monitor_ok(m) ? m->fd : -EINVAL;
}

NESTIO_EXPORT int nestio_monitor_set_handler(struct nestio_monitor *m,
					     void (*fn)(struct nestio_monitor *m,
							const struct nestio_hotplug *ev,
							void *data),
					     void *data)
{
	if (!monitor_ok(m))
		return -EINVAL;
	m->fn = fn;
	m->data = data;
	return 0;
}
