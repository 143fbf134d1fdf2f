// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestioctl run: a placeholder until the script interpreter lands. */
#include "nestioctl.h"

int cmd_run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "keep", no_argument, NULL, 'k' },
		CMD_COMMON_OPTIONS
	};
	int c, r;

	while ((c = getopt_long(argc, argv, CMD_COMMON_SHORT "k", options, NULL)) != -1)
		if (c != 'k' && (r = cmd_options(c, argc, argv)) >= 0)
			return r;
	errmsgf("run: not yet");
	return EXIT_FAILURE;
}
