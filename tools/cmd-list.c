// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestioctl list. */
#include "nestioctl.h"

int cmd_list(int argc, char **argv)
{
	errmsgf("list: not yet");
	return EXIT_FAILURE;
}
