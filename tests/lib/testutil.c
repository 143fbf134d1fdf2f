// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "testutil.h"

bool tu_is_feature_missing(int r)
{
	return r == -ENOTTY || r == -E2BIG || r == -EOPNOTSUPP;
}

void tu_skip(const char *why)
{
	const char *req = getenv("NESTIO_REQUIRE_KERNEL");

	if (req && !strcmp(req, "1")) {
		fprintf(stderr, "FAIL: tier cannot run (%s) but NESTIO_REQUIRE_KERNEL=1\n",
			why);
		exit(1);
	}
	fprintf(stderr, "SKIP: %s\n", why);
	exit(TU_SKIP);
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

int tu_nlog_err;

void tu_log_count_errors(struct nestio_ctx *ctx, int priority, const char *file,
			 int line, const char *fn, const char *format,
			 va_list args)
{
	if (priority <= LOG_ERR)
		tu_nlog_err++;
}

bool tu_fd_is_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags >= 0 && (flags & FD_CLOEXEC);
}

int tu_count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own fd */
}

struct nestio_invq_stats tu_invq_stats(struct nestio_invq *q)
{
	struct nestio_invq_stats st = { .sz = sizeof(st) };

	ck_assert_int_eq(nestio_invq_get_stats(q, &st), 0);
	return st;
}

void tu_expect_invq_stats(struct nestio_invq *q, const struct tu_invq_want *w,
			  const char *file, int line)
{
	struct nestio_invq_stats st = tu_invq_stats(q);
	const struct {
		const char *name;
		uint64_t got;
		struct tu_want want;
	} c[] = {
		{ "pushed", st.pushed, w->pushed },
		{ "merged", st.merged, w->merged },
		{ "sent", st.sent, w->sent },
		{ "ioctls", st.ioctls, w->ioctls },
		{ "failures", st.failures, w->failures },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (c[i].want.check)
			ck_assert_msg(c[i].got == c[i].want.value,
				      "%s:%d: invq stats: %s = %" PRIu64
				      ", want %" PRIu64, file, line, c[i].name,
				      c[i].got, c[i].want.value);
}
