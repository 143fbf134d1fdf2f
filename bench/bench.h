/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the benchmarks: a clock, side-by-side rounds and the mock set-up.
 * Each comparison alternates its two variants round by round in one run and
 * reports the median of the per-round ratios, so drift and noise (TCG, other
 * load) hit both sides alike. Output lines: "NESTIO-BENCH key value".
 */
#ifndef NESTIO_BENCH_H
#define NESTIO_BENCH_H

#include <stdint.h>

#include "libnestio.h"

uint64_t bench_now_ns(void);

/* Runs a and b `rounds` times each, alternating (a, b, b, a, ...), each
 * call doing `ops` operations; prints ns/op of each and the median b/a.
 * before and after (NULL: none) run untimed around every call of a or b:
 * what one needs ready (pages mapped, for an unmap) and what it leaves. */
struct bench_pair {
	const char *name;	/* e.g. "map" */
	const char *a_name, *b_name;
	void (*a)(void *ctx, int ops);
	void (*b)(void *ctx, int ops);
	void *ctx;
	int ops, rounds;
	void (*before)(void *ctx, int ops);
	void (*after)(void *ctx, int ops);
};
double bench_compare(const struct bench_pair *p);

/* the mock: a ctx, an IOAS, a mock device adopted with ops, its stdev id */
struct bench_mock {
	struct nestio_ctx *ctx;
	struct nestio_ioas *ioas;
	struct nestio_device *dev;
	uint32_t stdev_id;
	int fd;
};
int bench_mock_setup(struct bench_mock *m);
void bench_mock_teardown(struct bench_mock *m);
/* a nested hwpt on a nest parent of m's IOAS (the mock's selftest data) */
int bench_mock_nested(struct bench_mock *m, struct nestio_hwpt **parent,
		      struct nestio_hwpt **nested);

#endif
