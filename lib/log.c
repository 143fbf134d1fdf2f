// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A ctx's logging: its log function (stderr unless the caller sets one),
 * its priority (NESTIO_LOG, then nestio_ctx_set_log_priority()) and
 * nio_log(), which every file's dbg()/info()/err() calls.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static void log_stderr(struct nestio_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	(void)ctx; (void)priority; (void)file; (void)line;
	fprintf(stderr, "libnestio: %s: ", fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

void nio_log(struct nestio_ctx *ctx, int priority, const char *file, int line,
	     const char *fn, const char *format, ...)
{
	va_list args;
	int saved = errno;

	va_start(args, format);
	ctx->log_fn(ctx, priority, file, line, fn, format, args);
	va_end(args);
	errno = saved;
}

/* NESTIO_LOG: a number (syslog priority) or err / info / debug. */
static int log_priority_from_env(void)
{
	const char *s = secure_getenv("NESTIO_LOG");
	char *end;
	long v;

	if (!s || !*s)
		return LOG_ERR;
	if (isdigit((unsigned char)s[0])) {
		v = strtol(s, &end, 10);
		if (*end == '\0' && v >= 0 && v <= LOG_DEBUG)
			return (int)v;
		return LOG_ERR;
	}
	if (!strcmp(s, "err"))
		return LOG_ERR;
	if (!strcmp(s, "info"))
		return LOG_INFO;
	if (!strcmp(s, "debug"))
		return LOG_DEBUG;
	return LOG_ERR;
}

void nio_log_init(struct nestio_ctx *ctx)
{
	ctx->log_fn = log_stderr;
	ctx->log_priority = log_priority_from_env();
}

NESTIO_EXPORT int nestio_ctx_set_log_fn(struct nestio_ctx *ctx,
					void (*log_fn)(struct nestio_ctx *ctx,
						       int priority,
						       const char *file,
						       int line, const char *fn,
						       const char *format,
						       va_list args))
{
	if (!nio_ctx_ok(ctx))
		return -EINVAL;
	ctx->log_fn = log_fn ? log_fn : log_stderr;
	return 0;
}

NESTIO_EXPORT int nestio_ctx_get_log_priority(const struct nestio_ctx *ctx)
{
	return nio_ctx_ok(ctx) ? ctx->log_priority : -EINVAL;
}

NESTIO_EXPORT int nestio_ctx_set_log_priority(struct nestio_ctx *ctx,
					      int priority)
{
	if (!nio_ctx_ok(ctx) || priority < 0 || priority > LOG_DEBUG)
		return -EINVAL;
	ctx->log_priority = priority;
	return 0;
}
