// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The invalidation queue against one IOMMU_HWPT_INVALIDATE per entry, for
 * bursts of 1, 16, 64 and 256 entries, on a nested hwpt of the kernel's
 * IOMMUFD_TEST mock (in the test VM). The mock's entries are 8 bytes, the
 * size class of VT-d's; coalescing is off, so both sides send every entry
 * and the difference is batching alone. The queue is fed two ways: one
 * nestio_invq_push() per entry, and the burst as one array
 * (nestio_invq_push_many()); a prebuilt array in one raw ioctl is the
 * ceiling this kernel allows. Targets at 256: push_many >= 10x one ioctl
 * per entry, and >= 0.90 of the raw batch's speed (compared side by side:
 * invq_vs_raw_N.fraction, raw time over queue time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "bench.h"
#include "mock.h"

struct ctx {
	int fd;
	uint32_t hwpt_id;
	struct nestio_invq *q;
	int burst;
};

static void per_entry(void *p, int ops)
{
	struct ctx *c = p;

	for (int i = 0; i < ops; i++)
		for (int k = 0; k < c->burst; k++) {
			struct mock_hwpt_invalidate_selftest e = { .iotlb_id = (uint32_t)k % 4 };
			struct kabi_hwpt_invalidate cmd = {
				.size = sizeof(cmd), .hwpt_id = c->hwpt_id,
				.data_uptr = (uintptr_t)&e,
				.data_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
				.entry_len = sizeof(e), .entry_num = 1,
			};

			if (ioctl(c->fd, KABI_IOMMU_HWPT_INVALIDATE, &cmd) < 0)
				abort();
		}
}

/* the burst handed over as an array, as a VMM holds a guest's ring */
static void queued_many(void *p, int ops)
{
	static struct mock_hwpt_invalidate_selftest e[256];
	struct ctx *c = p;

	for (int i = 0; i < ops; i++) {
		for (int k = 0; k < c->burst; k++)
			e[k].iotlb_id = (uint32_t)k % 4;
		if (nestio_invq_push_many(c->q, e, sizeof(e[0]), (uint32_t)c->burst) != c->burst ||
		    nestio_invq_flush(c->q, NULL) != c->burst)
			abort();
	}
}

/* the ceiling: the whole burst prebuilt, one ioctl, no library at all */
static void raw_batch(void *p, int ops)
{
	static struct mock_hwpt_invalidate_selftest e[256];
	struct ctx *c = p;

	for (int k = 0; k < c->burst; k++)
		e[k].iotlb_id = (uint32_t)k % 4;
	for (int i = 0; i < ops; i++) {
		struct kabi_hwpt_invalidate cmd = {
			.size = sizeof(cmd), .hwpt_id = c->hwpt_id,
			.data_uptr = (uintptr_t)e,
			.data_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
			.entry_len = sizeof(e[0]), .entry_num = (uint32_t)c->burst,
		};

		if (ioctl(c->fd, KABI_IOMMU_HWPT_INVALIDATE, &cmd) < 0)
			abort();
	}
}

static void queued(void *p, int ops)
{
	struct ctx *c = p;

	for (int i = 0; i < ops; i++) {
		for (int k = 0; k < c->burst; k++) {
			struct mock_hwpt_invalidate_selftest e = { .iotlb_id = (uint32_t)k % 4 };

			if (nestio_invq_push(c->q, &e, sizeof(e)) < 0)
				abort();
		}
		if (nestio_invq_flush(c->q, NULL) != c->burst)
			abort();
	}
}

int main(void)
{
	static const int bursts[] = { 1, 16, 64, 256 };
	struct nestio_invq_opts o = {
		.sz = sizeof(o), .capacity = 256,
		.raw_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
		.raw_entry_len = sizeof(struct mock_hwpt_invalidate_selftest),
	};
	struct nestio_hwpt *parent = NULL, *nested = NULL;
	struct bench_mock m;
	struct ctx c;
	int r;

	r = bench_mock_setup(&m);
	if (r == 0)
		r = bench_mock_nested(&m, &parent, &nested);
	if (r < 0) {
		fprintf(stderr, "bench-invq: mock set-up failed: %d\n", r);
		return 1;
	}
	c.fd = m.fd;
	c.hwpt_id = nestio_hwpt_get_id(nested);
	if (nestio_invq_new(nested, NESTIO_INV_RAW, &o, &c.q) < 0)
		return 1;
	for (size_t i = 0; i < sizeof(bursts) / sizeof(bursts[0]); i++) {
		char name[32];
		struct bench_pair p = {
			.name = name, .a_name = "per_entry", .b_name = "queue",
			.a = per_entry, .b = queued, .ctx = &c,
			.ops = bursts[i] >= 64 ? 20 : 200, .rounds = 21,
		};

		c.burst = bursts[i];
		snprintf(name, sizeof(name), "invq_burst_%d", bursts[i]);
		/* report speed-up: per-entry time over queue time */
		printf("NESTIO-BENCH %s.speedup %.2f\n", name, 1.0 / bench_compare(&p));
		/* the same burst pushed as one array */
		snprintf(name, sizeof(name), "invq_many_%d", bursts[i]);
		p.b_name = "queue_many";
		p.b = queued_many;
		printf("NESTIO-BENCH %s.speedup %.2f\n", name, 1.0 / bench_compare(&p));
		/* and what batching alone can give on this kernel: the ceiling */
		snprintf(name, sizeof(name), "invq_ceiling_%d", bursts[i]);
		p.b_name = "raw_batch";
		p.b = raw_batch;
		printf("NESTIO-BENCH %s.speedup %.2f\n", name, 1.0 / bench_compare(&p));
		/* the queue against that ceiling, directly */
		snprintf(name, sizeof(name), "invq_vs_raw_%d", bursts[i]);
		p.a_name = "raw_batch";
		p.a = raw_batch;
		p.b_name = "queue_many";
		p.b = queued_many;
		printf("NESTIO-BENCH %s.fraction %.3f\n", name, 1.0 / bench_compare(&p));
	}
	nestio_invq_unref(c.q);
	nestio_hwpt_unref(nested);
	nestio_hwpt_unref(parent);
	bench_mock_teardown(&m);
	return 0;
}
