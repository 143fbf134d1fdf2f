/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tier 1: the ioctl seam, where the hermetic tests see every ioctl. */
#ifndef NESTIO_TESTS_SEAM_H
#define NESTIO_TESTS_SEAM_H

#include <stddef.h>

#include "testutil.h"

/*
 * tu_seam_install() routes every library ioctl to a recorder that keeps a
 * copy of each request's payload and answers with tu_seam_answer (a
 * callback, default: succeed and leave the payload alone).
 */
struct tu_call {
	int fd;
	unsigned long request;
	unsigned char arg[256];
	size_t len;		/* bytes captured (the struct's size field) */
};
extern struct tu_call tu_calls[64];
extern int tu_ncalls;
extern int (*tu_seam_answer)(int fd, unsigned long request, void *arg);
void tu_seam_install(void);
void tu_seam_remove(void);

#endif
