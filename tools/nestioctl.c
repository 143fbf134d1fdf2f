// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl: the operator's tool for inspection, manual binds and live
 * events, built only on the public API (<libnestio.h>) and libc, like any
 * other consumer of the library. This file is the frame: the global
 * options, the command table and the dispatch. Each command group lives in
 * its own tools/cmd-*.c; PACKAGE_VERSION comes from config.h, which the
 * build force-includes.
 */
#include <string.h>

#include "nestioctl.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;	/* the synopsis after the name */
	const char *summary;	/* one line for the tool's --help */
	const char *help;	/* the rest of `nestioctl NAME --help` */
	const char *alias_of;	/* an old name: listed under it, not here */
};

/* The options every command takes, at the end of each command's help. */
#define COMMON_HELP                                                      \
	"  -h, --help        show this help and exit\n"                     \
	"  -v, --verbose     log every library call to stderr\n"            \
	"      --json        print JSON instead of text\n"

static const struct command commands[] = {
	{ "list", cmd_list, "[--all]",
	  "PCI devices with a VFIO cdev, their driver and IOMMU",
	  "List PCI devices bound to vfio-pci (with --all, every PCI device\n"
	  "behind an IOMMU): PCI address, vendor:device, driver, IOMMU group,\n"
	  "VFIO cdev and the IOMMU instance, all read from sysfs.\n"
	  "\n"
	  "Options:\n"
	  "  -a, --all         include devices not bound to vfio-pci\n"
	  COMMON_HELP, NULL },
	{ "vfio-bind", cmd_vfio_bind, "[--timeout SECONDS] BDF",
	  "bind a PCI device to vfio-pci and wait for its cdev",
	  "Bind the PCI device BDF (0000:00:03.0 or 00:03.0) to vfio-pci:\n"
	  "remember its current driver in " "/run/nestioctl/BDF" ", set\n"
	  "driver_override, unbind it from that driver, probe it, and wait\n"
	  "until its VFIO cdev (/dev/vfio/devices/vfioN) appears.\n"
	  "Refused if another device in its IOMMU group is on a host driver\n"
	  "(anything but vfio-pci or pci-stub): those are named; bind them\n"
	  "first or unbind them from their drivers.\n"
	  "\n"
	  "Options:\n"
	  "  -t, --timeout S   wait at most S seconds for the cdev (default 10)\n"
	  COMMON_HELP, NULL },
	{ "vfio-unbind", cmd_vfio_unbind, "BDF",
	  "give a device back to the driver it had before vfio-bind",
	  "Unbind the PCI device BDF from vfio-pci, clear driver_override and\n"
	  "probe it again so that the driver it had before 'vfio-bind' (as\n"
	  "remembered in /run/nestioctl/BDF) takes it back; a device that had\n"
	  "no driver is left without one.\n"
	  "\n"
	  "Options:\n"
	  COMMON_HELP, NULL },
	{ "caps", cmd_caps, "DEVICE",
	  "a device's IOMMU: decoded capabilities and raw registers",
	  "Show what the IOMMU behind DEVICE offers: its type, the decoded\n"
	  "capabilities, stage-1 formats, errata, address widths, PASID width,\n"
	  "page sizes, and the raw vendor registers the kernel reported.\n"
	  "DEVICE is a VFIO cdev (/dev/vfio/devices/vfioN), a sysfs device\n"
	  "directory, or a PCI address; the device must be bound to vfio-pci.\n"
	  "\n"
	  "Options:\n"
	  COMMON_HELP, NULL },
	{ "check", cmd_check, "DEVICE --model vtd|smmuv3|amd [--want CAP]...",
	  "can this device's IOMMU back a vIOMMU model's nesting?",
	  "Check whether the IOMMU behind DEVICE can back nested translation for\n"
	  "a guest vIOMMU of the given model, and say why not. Exit status 0:\n"
	  "compatible; 1: not compatible (or an error).\n"
	  "\n"
	  "Options:\n"
	  "  -m, --model M     the vIOMMU model: vtd, smmuv3 or amd (required)\n"
	  "  -w, --want CAP    a capability the vIOMMU also needs (repeatable):\n"
	  "                    dirty-tracking, pasid, pasid-exec, pasid-priv,\n"
	  "                    ats, pri, stall\n"
	  "  -p, --pasid-bits N  the PASID width the vIOMMU advertises\n"
	  "  -s, --stage1-bits N the guest VA width the vIOMMU advertises\n"
	  COMMON_HELP, NULL },
	{ "probe", cmd_probe, "",
	  "which iommufd features the running kernel offers",
	  "Probe the running kernel's iommufd (/dev/iommu) for each feature\n"
	  "the library knows and print yes or no for each.\n"
	  "\n"
	  "Options:\n"
	  COMMON_HELP, NULL },
	{ "ranges", cmd_ranges, "DEVICE",
	  "attach a device to a new IOAS and show the usable IOVA ranges",
	  "Attach DEVICE to a new, empty IOAS and print the IOVA ranges the\n"
	  "kernel allows there (reserved regions such as an MSI window\n"
	  "removed). Nothing stays attached when it exits.\n"
	  "\n"
	  "Options:\n"
	  COMMON_HELP, NULL },
	{ "monitor", cmd_monitor, "",
	  "VFIO cdevs appearing and going, until interrupted",
	  "Print each VFIO device cdev as it appears (add) or goes (remove),\n"
	  "with its PCI address, until SIGINT or SIGTERM. With --json, one\n"
	  "object per line.\n"
	  "\n"
	  "Options:\n"
	  COMMON_HELP, NULL },
	{ "run", cmd_run, "[--keep] SCRIPT|-",
	  "run a manual-bind script (see nestioctl(1))",
	  "Run the nestioctl script SCRIPT ('-': standard input). Every object\n"
	  "the script makes lives until it ends. The grammar is in nestioctl(1).\n"
	  "\n"
	  "Options:\n"
	  "  -k, --keep        wait for SIGINT or SIGTERM before releasing\n"
	  COMMON_HELP, NULL },
	{ "exec", cmd_exec, "[--iommufd FD] [--device DEVICE=FD]... -- PROGRAM [ARG]...",
	  "run a program with an iommufd and VFIO cdevs on given fds",
	  "Open /dev/iommu (--iommufd) and each DEVICE's VFIO cdev, without\n"
	  "binding it to any iommufd, put each on the fd number given, and\n"
	  "execute PROGRAM with them, as a management tool starts a VMM:\n"
	  "  nestioctl exec --iommufd 3 --device 0000:00:03.0=4 -- \\\n"
	  "      qemu-system-x86_64 -object iommufd,id=iommufd0,fd=3 \\\n"
	  "      -device vfio-pci,iommufd=iommufd0,fd=4 ...\n"
	  "PROGRAM gets stdin, stdout, stderr and these fds, nothing else: every\n"
	  "other fd is closed on exec. FD numbers are 3 or more, each used once.\n"
	  "\n"
	  "Options:\n"
	  "  -i, --iommufd FD        put an iommufd (/dev/iommu) on FD\n"
	  "  -d, --device DEVICE=FD  put DEVICE's VFIO cdev on FD (repeatable)\n"
	  COMMON_HELP, NULL },
	/* the names of 0.1 */
	{ "features", cmd_probe, "", NULL, NULL, "probe" },
	{ "info", cmd_caps, "DEVICE", NULL, NULL, "caps" },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

void cmd_help(FILE *f, const char *name)
{
	const struct command *c = find_command(name);

	if (c && c->alias_of)
		c = find_command(c->alias_of);
	if (!c)
		return;
	fprintf(f, "Usage: %s %s%s%s\n\n%s", prog, c->name, *c->args ? " " : "",
		c->args, c->help);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Inspect IOMMUFD and VFIO devices, bind them by hand, and watch\n"
		"them come and go, through libnestio.\n"
		"\n"
		"Commands:\n", prog);
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (!commands[i].alias_of)
			fprintf(f, "  %-12s %s\n", commands[i].name,
				commands[i].summary);
	fprintf(f, "\nOld names:");
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (commands[i].alias_of)
			fprintf(f, " %s (= %s)", commands[i].name,
				commands[i].alias_of);
	fprintf(f,
		"\n"
		"\n"
		"DEVICE is a VFIO device cdev (/dev/vfio/devices/vfioN), a sysfs\n"
		"device directory, or a PCI address (0000:00:03.0 or 00:03.0).\n"
		"\n"
		"Options:\n"
		"  -h, --help        show this help (or a command's) and exit\n"
		"  -V, --version     show the version and exit\n"
		"  -v, --verbose     log every library call to stderr\n"
		"      --json        print JSON, one object per line\n"
		"\n"
		"A manual bind, by hand:\n"
		"  %s list --all                  find the device and its group\n"
		"  %s vfio-bind 0000:00:03.0      bind it to vfio-pci\n"
		"  %s caps 0000:00:03.0           what its IOMMU offers\n"
		"  %s vfio-unbind 0000:00:03.0    give it back to its driver\n"
		"\n"
		"'%s COMMAND --help' describes a command; nestioctl(1) has the rest.\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n",
		prog, prog, prog, prog, prog);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, CMD_OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd;
	int c;

	if (argc > 0 && argv[0] && argv[0][0]) {
		const char *slash = strrchr(argv[0], '/');

		prog = slash ? slash + 1 : argv[0];
	}
	opterr = 0; /* our own messages, with our name */
	/* "+": stop at the command, so its arguments are not ours */
	while ((c = getopt_long(argc, argv, "+hVv", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return tool_stdout_ok() ? EXIT_SUCCESS : EXIT_FAILURE;
		case 'V':
			printf("%s %s\n", prog, PACKAGE_VERSION);
			return tool_stdout_ok() ? EXIT_SUCCESS : EXIT_FAILURE;
		case 'v':
			opt_verbose++;
			break;
		case CMD_OPT_JSON:
			opt_json = true;
			break;
		default:
			if (optopt)
				return usage_error(NULL, "invalid option '-%c'",
						   optopt);
			return usage_error(NULL, "invalid option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error(NULL, "no command given");
	cmd = find_command(argv[optind]);
	if (!cmd)
		return usage_error(NULL, "unknown command '%s'", argv[optind]);
	argc -= optind;
	argv += optind;
	optind = 0;	/* getopt_long starts afresh on the command's words */
	c = cmd->fn(argc, argv);
	if (!tool_stdout_ok() && c == EXIT_SUCCESS)
		c = EXIT_FAILURE;
	return c;
}
