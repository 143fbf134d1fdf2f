/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What nestioctl's files share: the global options, the command
 * signature, and the helpers every command uses to open things and to
 * report errors. Built only on the public header <libnestio.h>.
 *
 * A command is `int cmd_NAME(int argc, char **argv)`: argv[0] is the
 * command's name, its options and arguments follow (parse them with
 * getopt_long from optind = 1; cmd_options() handles the ones every command
 * takes). It returns the exit status: EXIT_SUCCESS, EXIT_FAILURE or
 * EXIT_USAGE.
 */
#ifndef NESTIOCTL_H
#define NESTIOCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <libnestio.h>

#include "json.h"

#define EXIT_USAGE 2

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* the program's name as invoked, for messages */
extern const char *prog;
/* --json: print data as JSON, one object per line */
extern bool opt_json;
/* -v (repeatable): the library's debug log on stderr */
extern int opt_verbose;

/* ---- commands (tools/cmd-*.c, tools/run.c) ---- */
int cmd_list(int argc, char **argv);
int cmd_vfio_bind(int argc, char **argv);
int cmd_vfio_unbind(int argc, char **argv);
int cmd_caps(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_ranges(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_exec(int argc, char **argv);

/*
 * Options every command takes, to put at the end of its struct option
 * array: -h/--help, -v/--verbose, --json. cmd_options() handles what
 * getopt_long returned for them; for anything else a command's switch
 * does not know, it prints the usage error.
 */
#define CMD_OPT_JSON 0x100
#define CMD_COMMON_OPTIONS                                   \
	{ "help", no_argument, NULL, 'h' },                  \
	{ "verbose", no_argument, NULL, 'v' },               \
	{ "json", no_argument, NULL, CMD_OPT_JSON },         \
	{ NULL, 0, NULL, 0 }
/* options may follow the arguments (`check DEV --model vtd`); a command
 * that passes words through (a script's arguments) puts "+" first */
#define CMD_COMMON_SHORT ":hv"

/*
 * For the default case of a command's getopt_long loop: c as returned.
 * Returns -1 if the command goes on (a common option was applied),
 * EXIT_SUCCESS after printing the command's help for -h, EXIT_USAGE after
 * a usage error message.
 */
int cmd_options(int c, int argc, char **argv);

/* The command's help (from the command table) on f. */
void cmd_help(FILE *f, const char *cmd);

/* "prog: cmd: <message>" and "Try 'prog cmd --help'." on stderr;
 * returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A command that takes exactly `want` arguments after its options: 0, or
 * -1 after the usage error message. */
int need_args(int argc, char **argv, int want);

/* All of the option parsing of a command that has only the common options
 * and takes exactly `want` arguments (from argv[optind]): -1 if it goes
 * on, else the exit status to return (help shown, usage error). */
int cmd_simple_args(int argc, char **argv, int want);

/* ---- errors: on stderr, prefixed with prog ---- */

/* "prog: what: <strerror(-err)>" (err is a -errno) */
void errmsg(const char *what, int err);
/* "prog: <message>" */
void errmsgf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- opening things, errors printed ---- */

/* A ctx on /dev/iommu with -v applied; -errno after printing why. */
int tool_open_ctx(struct nestio_ctx **ctx);
/* A device by cdev path, sysfs directory or PCI address; -errno after
 * printing why (with a hint when it has no VFIO cdev). */
int tool_open_device(struct nestio_ctx *ctx, const char *name,
		     struct nestio_device **dev);

/* A JSON writer on stdout (for --json). */
void tool_json(struct json *j);

/* stdout ended well (no write error); else prints why and false */
bool tool_stdout_ok(void);

#endif
