// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestioctl run: a placeholder until the script interpreter lands. */
#include "nestioctl.h"

int cmd_run(int argc, char **argv)
{
	errmsgf("run: not yet");
	return EXIT_FAILURE;
}
