/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The soaks' samples (tests/kernel/test-soak.c, tests/device/test-soak-vtd.c):
 * what the process and the guest kernel hold, read from /proc, and the
 * bound within which each must stay flat after the warm-up.
 */
#ifndef NESTIO_TESTS_SOAK_H
#define NESTIO_TESTS_SOAK_H

#include <stdbool.h>
#include <stdint.h>

enum { SOAK_FDS, SOAK_ALLOCS, SOAK_RSS, SOAK_VMPIN, SOAK_VMLCK, SOAK_SLAB, SOAK_SUNRECLAIM,
       SOAK_MEMAVAIL, SOAK_IOMMUPAGES, SOAK_NUM };

struct soak_samples {
	const char *prefix;	/* NESTIO-REL <prefix>.<metric> */
	long first[SOAK_NUM], last[SOAK_NUM], max[SOAK_NUM];
	int n;			/* samples after the warm-up */
};

/* Samples now and prints the sample; warm: the warm-up is over (the
 * sample counts towards first / last / max). */
void soak_take(struct soak_samples *s, uint64_t ops, bool warm);
/* Prints the NESTIO-REL lines, then asserts every metric's bound (some
 * scale with ops, the length of the soak). */
void soak_judge(const struct soak_samples *s, uint64_t ops);

/* VmPin of this process, in KiB (-1 when absent) */
long soak_vmpin_kib(void);
/* an unsigned environment variable, or def */
uint64_t soak_env(const char *name, uint64_t def);
/* the next of a seeded xorshift64 sequence (the same run every time), mod n */
uint32_t soak_rnd(uint64_t *state, uint32_t n);
/* CLOCK_MONOTONIC in seconds */
double soak_now(void);

#endif
