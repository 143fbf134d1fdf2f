// SPDX-License-Identifier: LGPL-2.1-or-later
/* STUB: being written. */
#include "fakekernel.h"
int main(void) { return 77; }
