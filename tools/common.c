// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestioctl: the helpers every command shares (nestioctl.h). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <syslog.h>

#include "nestioctl.h"

const char *prog = "nestioctl";
bool opt_json;
int opt_verbose;

void errmsg(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err < 0 ? -err : err));
}

void errmsgf(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s%s", prog, cmd ? cmd : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s%s%s --help'.\n", prog, cmd ? " " : "",
		cmd ? cmd : "");
	return EXIT_USAGE;
}

int cmd_options(int c, int argc, char **argv)
{
	switch (c) {
	case 'h':
		cmd_help(stdout, argv[0]);
		return EXIT_SUCCESS;
	case 'v':
		opt_verbose++;
		return -1;
	case CMD_OPT_JSON:
		opt_json = true;
		return -1;
	case ':':
		return usage_error(argv[0], "option '%s' needs an argument",
				   argv[optind - 1]);
	default:
		/* optopt: an unknown short option; else the word */
		if (optopt)
			return usage_error(argv[0], "invalid option '-%c'",
					   optopt);
		return usage_error(argv[0], "invalid option '%s'",
				   argv[optind - 1]);
	}
}

int need_args(int argc, char **argv, int want)
{
	int have = argc - optind;

	if (have == want)
		return 0;
	if (have < want)
		usage_error(argv[0], "missing argument (expected %d, got %d)",
			    want, have);
	else
		usage_error(argv[0], "unexpected argument '%s'",
			    argv[optind + want]);
	return -1;
}

int cmd_simple_args(int argc, char **argv, int want)
{
	static const struct option options[] = { CMD_COMMON_OPTIONS };
	int c, r;

	while ((c = getopt_long(argc, argv, CMD_COMMON_SHORT, options, NULL)) != -1)
		if ((r = cmd_options(c, argc, argv)) >= 0)
			return r;
	return need_args(argc, argv, want) < 0 ? EXIT_USAGE : -1;
}

int tool_open_ctx(struct nestio_ctx **ctx)
{
	int r = nestio_ctx_new(ctx);

	if (r < 0) {
		errmsg("/dev/iommu", r);
		if (r == -ENOENT)
			errmsgf("this kernel has no iommufd (CONFIG_IOMMUFD)");
		return r;
	}
	/* the library logs with its own default function, on stderr */
	if (opt_verbose)
		nestio_ctx_set_log_priority(*ctx, LOG_DEBUG);
	return 0;
}

int tool_open_device(struct nestio_ctx *ctx, const char *name,
		     struct nestio_device **dev)
{
	int r = nestio_device_open(ctx, name, dev);

	if (r == -ENODEV)
		errmsgf("%s: no VFIO device cdev (is the device bound to vfio-pci? see '%s vfio-bind')",
			name, prog);
	else if (r < 0)
		errmsg(name, r);
	return r;
}

void tool_json(struct json *j)
{
	json_init(j, stdout);
}

bool tool_stdout_ok(void)
{
	int err;

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return true;
	err = errno ? errno : EIO;
	errmsg("standard output", -err);
	return false;
}
