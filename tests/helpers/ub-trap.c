// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A helper for tests/cli/ubsan-trap.sh: proof that the test VMs' binaries
 * run with UBSan's checks on.
 *
 *	ub-trap N
 *
 * prints INT_MAX + N: defined for N <= 0, a signed overflow (undefined
 * behaviour) for N > 0. Built as tests/vm/run builds the guests' binaries
 * (--enable-sanitizers=undefined-trap) the overflow kills it with SIGILL
 * (x86_64) or SIGTRAP (arm64) before it prints; built without, it prints
 * whatever the compiler made of it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: ub-trap N\n");
		return 2;
	}
	n = atoi(argv[1]);	/* unknown to the compiler */
	printf("%d\n", INT_MAX + n);
	return 0;
}
