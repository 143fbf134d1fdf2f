// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestioctl monitor. */
#include "nestioctl.h"

int cmd_monitor(int argc, char **argv)
{
	errmsgf("monitor: not yet");
	return EXIT_FAILURE;
}
