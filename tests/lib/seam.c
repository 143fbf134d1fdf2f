// SPDX-License-Identifier: LGPL-2.1-or-later
/* Tier 1: the ioctl seam (see seam.h). */
#include <string.h>

#include "internal.h"
#include "seam.h"

struct tu_call tu_calls[64];
int tu_ncalls;
int (*tu_seam_answer)(int fd, unsigned long request, void *arg);

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

static int (*saved_hook)(int fd, unsigned long request, void *arg);

void tu_seam_install(void)
{
	if (!saved_hook)
		saved_hook = nio_ioctl_hook;
	tu_ncalls = 0;
	tu_seam_answer = NULL;
	nio_ioctl_hook = seam;
}

void tu_seam_remove(void)
{
	if (saved_hook)
		nio_ioctl_hook = saved_hook;
	tu_seam_answer = NULL;
}
