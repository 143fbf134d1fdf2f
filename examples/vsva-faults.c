// SPDX-License-Identifier: LGPL-2.1-or-later
/* STUB: being written. */
#include <libnestio.h>
int main(void) { return 0; }
