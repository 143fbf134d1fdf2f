/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by every Check suite: skip rules, fd checks, log counting. The
 * tier-1 ioctl seam is seam.h, the tier-2 mock devices mockdev.h. */
#ifndef NESTIO_TESTUTIL_H
#define NESTIO_TESTUTIL_H

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libnestio.h"

#define TU_SKIP 77

/* -ENOTTY, -E2BIG, -EOPNOTSUPP: the kernel or IOMMU lacks the feature. */
bool tu_is_feature_missing(int r);

/*
 * Run the suite; exit status for automake: 0 pass, 1 fail. A binary whose
 * tier cannot run here (no /dev/iommu, no mock, no edu) calls tu_skip()
 * before, which exits 77 — unless NESTIO_REQUIRE_KERNEL=1 (set by the test
 * VM, whose kernel has everything), where a missing tier is a failure.
 */
int tu_run(Suite *s);
void tu_skip(const char *why) __attribute__((noreturn));

bool tu_fd_is_cloexec(int fd);

/* a ctx log function that counts what is logged at LOG_ERR or worse */
extern int tu_nlog_err;
void tu_log_count_errors(struct nestio_ctx *ctx, int priority, const char *file,
			 int line, const char *fn, const char *format,
			 va_list args);
int tu_count_open_fds(void);

/*
 * The invalidation queue's counters, checked by name:
 *	EXPECT_INVQ_STATS(q, .pushed = WANT(3), .failures = WANT(0));
 * asserts each counter named (the others are not looked at); a mismatch
 * names the counter, what it is, what it should be, and the caller's line.
 */
struct tu_want {
	bool check;
	uint64_t value;
};
#define WANT(v) { true, (v) }
struct tu_invq_want {
	struct tu_want pushed, merged, sent, ioctls, failures;
};
#define EXPECT_INVQ_STATS(q, ...)                                              \
	tu_expect_invq_stats((q), &(struct tu_invq_want){ __VA_ARGS__ },       \
			     __FILE__, __LINE__)
void tu_expect_invq_stats(struct nestio_invq *q, const struct tu_invq_want *w,
			  const char *file, int line);
/* the counters, for the checks that are not equalities */
struct nestio_invq_stats tu_invq_stats(struct nestio_invq *q);

#endif
