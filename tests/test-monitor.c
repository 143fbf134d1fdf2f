// SPDX-License-Identifier: LGPL-2.1-or-later
/* STUB: being written. */
#include "testutil.h"
int main(void) { return 77; }
