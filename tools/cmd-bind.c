// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestioctl vfio-bind and vfio-unbind. */
#include "nestioctl.h"

int cmd_vfio_bind(int argc, char **argv)
{
	errmsgf("vfio-bind: not yet");
	return EXIT_FAILURE;
}

int cmd_vfio_unbind(int argc, char **argv)
{
	errmsgf("vfio-unbind: not yet");
	return EXIT_FAILURE;
}
