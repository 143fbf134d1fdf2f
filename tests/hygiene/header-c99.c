/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public header must compile alone as strict C99 (-pedantic-errors). */
#include <libnestio.h>

int main(void)
{
	struct nestio_hw_caps caps;

	caps.sz = sizeof(caps);
	return (int)(caps.sz != sizeof(caps)) + (NESTIO_NO_PASID == 0);
}
