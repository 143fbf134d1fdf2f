// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: uevents (lib/monitor.c) through the public API:
 * nestio_monitor_read() on a monitor whose recvmsg(2) calls the input
 * answers, datagram by datagram.
 *
 * Input: datagrams, each a flags byte (bit 0: from a user port, not the
 * kernel; bit 1: the call fails with ENOBUFS instead; bit 2: a datagram
 * longer than any uevent, truncated), a 16-bit length and the bytes; then
 * the monitor is read with a max the first byte picks until it is empty.
 *
 * The oracle is the uevent format written out again (a reference reader
 * below, separate from the library's): a datagram from the kernel, not
 * truncated, that is "ACTION@DEVPATH\0" and NUL-ended KEY=VALUE fields,
 * with ACTION, DEVPATH, SUBSYSTEM and DEVNAME once each, the header
 * agreeing, SUBSYSTEM vfio-dev, ACTION add or remove, DEVNAME
 * vfio/devices/<a plain name> that fits, is reported, in order, as exactly
 * that event (its PCI address when DEVPATH has one before /vfio-dev/);
 * nothing else is. The events reported are counted at exit. Where no
 * uevent socket can be made (a sandbox), the parser the monitor uses,
 * nio_uevent_parse(), is checked against the reference on its own.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include "fuzz.h"
#include "internal.h"
#include "seam.h"

#define MAXD 32
#define BIG 8192		/* the library's buffer: longer is truncated */

struct dgram {
	uint8_t flags;
	const uint8_t *p;
	size_t len;
};
static struct dgram dg[MAXD];
static int nd, next_d;
static struct nestio_hotplug want[MAXD];
static int nwant;
static uint64_t nreported, ndgrams;

static ssize_t answer_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct sockaddr_nl *sa = msg->msg_name;
	struct dgram *d;
	size_t len;

	(void)fd;
	FZ_CHECK(msg->msg_iovlen == 1 && (flags & MSG_TRUNC));
	if (next_d >= nd) {
		errno = EAGAIN;
		return -1;
	}
	d = &dg[next_d++];
	if (d->flags & 2) {
		errno = ENOBUFS;
		return -1;
	}
	len = d->len < msg->msg_iov[0].iov_len ? d->len : msg->msg_iov[0].iov_len;
	memcpy(msg->msg_iov[0].iov_base, d->p, len);
	if (sa && msg->msg_namelen >= sizeof(*sa))
		sa->nl_pid = d->flags & 1 ? 4242 : 0;
	/* the real length, as MSG_TRUNC gives it */
	return (ssize_t)(d->flags & 4 ? BIG + 1 + d->len : d->len);
}

/* ---- the reference reader ---- */

static const char *field(const char *const *f, int n, const char *key, int *count)
{
	const char *v = NULL;
	size_t kl = strlen(key);

	*count = 0;
	for (int i = 1; i < n; i++)		/* fields after the header */
		if (!strncmp(f[i], key, kl) && f[i][kl] == '=') {
			v = f[i] + kl + 1;
			(*count)++;
		}
	return v;
}

static bool ref_parse(const uint8_t *b, size_t len, struct nestio_hotplug *ev)
{
	const char *f[BIG], *action, *devpath, *subsys, *devname, *at, *name, *v;
	int n = 0, c1, c2, c3, c4;
	size_t i;

	memset(ev, 0, sizeof(*ev));
	if (len < 2 || len > BIG || b[len - 1])
		return false;
	for (i = 0; i < len; i += strlen((const char *)b + i) + 1)
		f[n++] = (const char *)b + i;
	at = strchr(f[0], '@');
	if (!at || at == f[0] || !at[1])
		return false;
	action = field(f, n, "ACTION", &c1);
	devpath = field(f, n, "DEVPATH", &c2);
	subsys = field(f, n, "SUBSYSTEM", &c3);
	devname = field(f, n, "DEVNAME", &c4);
	if (c1 != 1 || c2 != 1 || c3 != 1 || c4 != 1)
		return false;
	if (strcmp(subsys, "vfio-dev") || strcmp(at + 1, devpath) ||
	    strlen(action) != (size_t)(at - f[0]) || strncmp(f[0], action, strlen(action)))
		return false;
	if (!strcmp(action, "add"))
		ev->action = NESTIO_HOTPLUG_ADD;
	else if (!strcmp(action, "remove"))
		ev->action = NESTIO_HOTPLUG_REMOVE;
	else
		return false;
	if (strncmp(devname, "vfio/devices/", 13))
		return false;
	name = devname + 13;
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *s = name; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return false;
	if (strlen("/dev/") + strlen(devname) >= sizeof(ev->cdev))
		return false;
	sprintf(ev->cdev, "/dev/%s", devname);
	/* the PCI address: the path component before the first /vfio-dev/ */
	v = strstr(devpath, "/vfio-dev/");
	if (v && v > devpath) {
		const char *comp = v;
		unsigned int dom, bus, slot, fn;
		char tail;

		while (comp > devpath && comp[-1] != '/')
			comp--;
		if (v - comp == 12 && sscanf(comp, "%4x:%2x:%2x.%1x%c", &dom, &bus,
					     &slot, &fn, &tail) == 5 && tail == '/' &&
		    slot < 0x20 && fn < 8) {
			bool plain = true;

			for (const char *s = comp; s < v; s++)
				plain &= (isxdigit((unsigned char)*s) &&
					  !isupper((unsigned char)*s)) ||
					 *s == ':' || *s == '.';
			plain &= comp[4] == ':' && comp[7] == ':' && comp[10] == '.';
			if (plain)
				memcpy(ev->bdf, comp, 12);
		}
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nestio_monitor *mon;
	static struct nestio_ctx *c;
	static bool counted, nomon;
	struct fz in = fz_init(data, size);
	struct nestio_hotplug ev[16];
	unsigned int max;
	int got = 0, r, rounds = 0;

	if (!counted) {
		counted = true;
		fz_count_at_exit("uevent", "datagrams", &ndgrams);
		fz_count_at_exit("uevent", "events", &nreported);
	}
	/* one monitor (a real uevent socket) for the whole run */
	if (!mon && !nomon) {
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (fd < 0 || nestio_ctx_new_from_fd(fd, &c) < 0 ||
		    nestio_monitor_new(c, &mon) < 0) {
			fprintf(stderr, "fuzz-uevent: no uevent socket here: the parser alone\n");
			nomon = true;
		} else {
			fz_quiet(c);
		}
		if (fd >= 0)
			close(fd);
	}
	max = 1 + fz_u8(&in) % 16;
	nd = next_d = nwant = 0;
	while (!fz_empty(&in) && nd < MAXD) {
		struct dgram *d = &dg[nd++];

		d->flags = fz_u8(&in);
		d->len = fz_u16(&in);
		if (d->len > in.n)
			d->len = in.n;
		d->p = in.p;
		in.p += d->len;
		in.n -= d->len;
		ndgrams++;
		if (!(d->flags & 7) && ref_parse(d->p, d->len, &want[nwant]))
			nwant++;
	}
	if (nomon) {
		/* the parser alone, on what the kernel would have sent */
		for (int i = 0; i < nd; i++) {
			struct nestio_hotplug e;

			if (dg[i].flags & 7 || dg[i].len > BIG)
				continue;
			r = nio_uevent_parse(dg[i].p, dg[i].len, &e);
			FZ_CHECK(r == 0 || r == 1);
			if (!r)
				continue;
			FZ_CHECK(got < nwant);
			FZ_CHECK(e.action == want[got].action);
			FZ_CHECK(!strcmp(e.cdev, want[got].cdev));
			FZ_CHECK(!strcmp(e.bdf, want[got].bdf));
			nreported++;
			got++;
		}
		FZ_CHECK(got == nwant);
		return 0;
	}
	tu_recvmsg_hook = answer_recvmsg;
	do {
		r = nestio_monitor_read(mon, ev, max);
		FZ_CHECK(r <= (int)max && (r >= 0 || r == -ENOBUFS));
		for (int i = 0; i < r; i++, got++) {
			FZ_CHECK(got < nwant);
			FZ_CHECK(ev[i].action == want[got].action);
			FZ_CHECK(!strcmp(ev[i].cdev, want[got].cdev));
			FZ_CHECK(!strcmp(ev[i].bdf, want[got].bdf));
			nreported++;
		}
	} while ((r != 0 || next_d < nd) && ++rounds < 4 * MAXD);
	tu_recvmsg_hook = NULL;
	FZ_CHECK(got == nwant);
	return 0;
}
