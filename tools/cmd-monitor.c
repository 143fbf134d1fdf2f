// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl monitor: VFIO cdevs appearing and going, as the library's
 * hotplug monitor reports them, until SIGINT or SIGTERM. The signals arrive
 * through a signalfd polled next to the monitor's socket, so an event and
 * a signal never race.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "nestioctl.h"

static void print_event(const struct nestio_hotplug *ev)
{
	const char *action = ev->action == NESTIO_HOTPLUG_ADD ? "add" :
			     ev->action == NESTIO_HOTPLUG_REMOVE ? "remove" :
								   "unknown";

	if (opt_json) {
		struct json j;

		tool_json(&j);	/* flushes at the end of each object */
		json_object_begin(&j, NULL);
		json_string(&j, "event", action);
		json_string(&j, "bdf", ev->bdf[0] ? ev->bdf : NULL);
		json_string(&j, "cdev", ev->cdev);
		json_object_end(&j);
	} else {
		printf("%-6s %-13s %s\n", action, ev->bdf[0] ? ev->bdf : "-",
		       ev->cdev);
		fflush(stdout);
	}
}

int cmd_monitor(int argc, char **argv)
{
	struct nestio_ctx *ctx = NULL;
	struct nestio_monitor *mon = NULL;
	struct nestio_hotplug ev[16];
	struct pollfd pfd[2];
	sigset_t mask;
	int r, sfd = -1, ret = EXIT_FAILURE;

	if ((r = cmd_simple_args(argc, argv, 0)) >= 0)
		return r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		errmsg("blocking signals", -errno);
		return EXIT_FAILURE;
	}
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		errmsg("signalfd", -errno);
		goto out;
	}
	if (tool_open_ctx(&ctx) < 0)
		goto out;
	r = nestio_monitor_new(ctx, &mon);
	if (r < 0) {
		errmsg("opening the hotplug monitor", r);
		goto out;
	}
	/* on stderr, so that stdout stays data: a script may wait for it */
	fprintf(stderr, "%s: monitoring VFIO device cdevs (interrupt to stop)\n",
		prog);
	pfd[0] = (struct pollfd){ .fd = nestio_monitor_get_fd(mon), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			errmsg("poll", -errno);
			goto out;
		}
		/* events first: what was queued before the signal is shown */
		do {
			r = nestio_monitor_read(mon, ev, ARRAY_LEN(ev));
			for (int i = 0; i < r; i++)
				print_event(&ev[i]);
		} while (r == (int)ARRAY_LEN(ev));
		if (r == -ENOBUFS) {
			fprintf(stderr, "%s: the kernel dropped events (queue full); "
				"'%s list' shows the devices now\n", prog, prog);
		} else if (r < 0) {
			errmsg("reading events", r);
			goto out;
		}
		if (ferror(stdout)) {
			ret = EXIT_FAILURE;	/* main reports the write error */
			goto out;
		}
		if (pfd[1].revents) {
			struct signalfd_siginfo si;

			/* taken, so that unblocking does not deliver it */
			if (read(sfd, &si, sizeof(si)) < 0 && errno != EAGAIN)
				errmsg("signalfd", -errno);
			break;		/* SIGINT or SIGTERM: a normal end */
		}
	}
	ret = EXIT_SUCCESS;
out:
	nestio_monitor_unref(mon);
	nestio_ctx_unref(ctx);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	return ret;
}
