/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For tests/hygiene/test-abi.c: is every name a header of ours declares
 * checked against the kernel? The names are #define and enumerator
 * constants with the upper prefix, structs with the lower one and their
 * fields, nested struct/union members as a.b (anonymous unions add no
 * component). hdrscan_check() reads the header at rel below $top_srcdir
 * (run by hand: relative to this source file) and asserts that it found at
 * least min_names names (else the parser is broken) and that checked()
 * knows every one; the failure lists those it does not.
 */
#ifndef NESTIO_TESTS_HDRSCAN_H
#define NESTIO_TESTS_HDRSCAN_H

#include <check.h>
#include <stdbool.h>

void hdrscan_check(const char *rel, const char *upper, const char *lower,
		   int min_names, bool (*checked)(const char *name));

#endif
