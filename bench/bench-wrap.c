// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the library costs over the raw ioctl sequence, side by side in one
 * run, on the kernel's IOMMUFD_TEST mock in the test VM: map and unmap
 * (timed apart), attach (replace the RID between two hwpts), a one-entry
 * invalidate with the direct call (nestio_hwpt_invalidate) and the same
 * through the queue (push + flush). Target: library / raw <= 1.03. The raw side holds the
 * kernel's object ids in variables, as a VMM writing raw ioctls would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "bench.h"
#include "mock.h"

#define PAGE 4096u
#define NPAGES 64
#define IOVA0 (MOCK_APERTURE_START + 0x100000ull)

static struct bench_mock m;
static unsigned char *buf;
static struct nestio_hwpt *h[2], *parent, *nested;
static struct nestio_invq *q;
static uint32_t ioas_id, h_id[2], nested_id;	/* for the raw side */
static int flip;

/* map: ops (<= NPAGES) single pages at fixed IOVAs, one call each; the
 * pages are unmapped afterwards, untimed (unmap_all). unmap: the same
 * pages, mapped beforehand, untimed (map_all), unmapped one call each. */
static struct kabi_ioas_map map_cmd(int i)
{
	return (struct kabi_ioas_map){
		.size = sizeof(struct kabi_ioas_map),
		.flags = KABI_IOAS_MAP_FIXED_IOVA | KABI_IOAS_MAP_READABLE |
			 KABI_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)(buf + (size_t)i * PAGE),
		.length = PAGE, .iova = IOVA0 + (uint64_t)i * PAGE,
	};
}

static void raw_map(void *p, int ops)
{
	(void)p;
	for (int i = 0; i < ops; i++) {
		struct kabi_ioas_map c = map_cmd(i);

		if (ioctl(m.fd, KABI_IOMMU_IOAS_MAP, &c) < 0)
			abort();
	}
}

static void lib_map(void *p, int ops)
{
	(void)p;
	for (int i = 0; i < ops; i++) {
		uint64_t iova = IOVA0 + (uint64_t)i * PAGE;

		if (nestio_ioas_map(m.ioas, buf + (size_t)i * PAGE, PAGE, &iova,
				    NESTIO_MAP_READ | NESTIO_MAP_WRITE |
				    NESTIO_MAP_FIXED_IOVA) < 0)
			abort();
	}
}

static void raw_unmap(void *p, int ops)
{
	(void)p;
	for (int i = 0; i < ops; i++) {
		struct kabi_ioas_unmap u = {
			.size = sizeof(u), .ioas_id = ioas_id,
			.iova = IOVA0 + (uint64_t)i * PAGE, .length = PAGE,
		};

		if (ioctl(m.fd, KABI_IOMMU_IOAS_UNMAP, &u) < 0)
			abort();
	}
}

static void lib_unmap(void *p, int ops)
{
	(void)p;
	for (int i = 0; i < ops; i++)
		if (nestio_ioas_unmap(m.ioas, IOVA0 + (uint64_t)i * PAGE, PAGE,
				      NULL) < 0)
			abort();
}

static void map_all(void *p, int ops)
{
	raw_map(p, ops);
}

static void unmap_all(void *p, int ops)
{
	struct kabi_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas_id,
		.iova = IOVA0, .length = (uint64_t)ops * PAGE,
	};

	(void)p;
	if (ioctl(m.fd, KABI_IOMMU_IOAS_UNMAP, &u) < 0 ||
	    u.length != (uint64_t)ops * PAGE)
		abort();
}

static void raw_attach(void *p, int ops)
{
	(void)p;
	for (int i = 0; i < ops; i++) {
		struct mock_cmd c = { .size = sizeof(c),
				      .op = MOCK_OP_MOCK_DOMAIN_REPLACE,
				      .id = m.stdev_id };

		c.mock_domain_replace.pt_id = h_id[flip ^= 1];
		if (ioctl(m.fd, MOCK_IOMMU_TEST_CMD, &c) < 0)
			abort();
	}
}

static void lib_attach(void *p, int ops)
{
	(void)p;
	for (int i = 0; i < ops; i++)
		if (nestio_device_replace_hwpt(m.dev, NESTIO_NO_PASID, h[flip ^= 1]) < 0)
			abort();
}

static void raw_inv(void *p, int ops)
{
	(void)p;
	for (int i = 0; i < ops; i++) {
		struct mock_hwpt_invalidate_selftest e = { .iotlb_id = (uint32_t)i % 4 };
		struct kabi_hwpt_invalidate c = {
			.size = sizeof(c), .hwpt_id = nested_id,
			.data_uptr = (uintptr_t)&e,
			.data_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
			.entry_len = sizeof(e), .entry_num = 1,
		};

		if (ioctl(m.fd, KABI_IOMMU_HWPT_INVALIDATE, &c) < 0)
			abort();
	}
}

/* the direct call: the caller holds the batch (here of one) */
static void lib_inv(void *p, int ops)
{
	(void)p;
	for (int i = 0; i < ops; i++) {
		struct mock_hwpt_invalidate_selftest e = { .iotlb_id = (uint32_t)i % 4 };
		uint32_t n = 1;

		if (nestio_hwpt_invalidate(nested, NESTIO_INV_RAW,
					   MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
					   &e, sizeof(e), &n) < 0)
			abort();
	}
}

/* the queue: one push and one flush */
static void lib_invq(void *p, int ops)
{
	(void)p;
	for (int i = 0; i < ops; i++) {
		struct mock_hwpt_invalidate_selftest e = { .iotlb_id = (uint32_t)i % 4 };

		if (nestio_invq_push(q, &e, sizeof(e)) < 0 ||
		    nestio_invq_flush(q, NULL) != 1)
			abort();
	}
}

int main(void)
{
	struct nestio_invq_opts o = {
		.sz = sizeof(o),
		.raw_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
		.raw_entry_len = sizeof(struct mock_hwpt_invalidate_selftest),
	};
#define PAIR(n, ra, li, k, ...)                                                \
	{ .name = (n), .a_name = "raw", .b_name = "lib", .a = (ra), .b = (li), \
	  .ops = (k), .rounds = 401, __VA_ARGS__ }
	const struct bench_pair pairs[] = {
		PAIR("map", raw_map, lib_map, NPAGES, .after = unmap_all),
		PAIR("unmap", raw_unmap, lib_unmap, NPAGES, .before = map_all),
		PAIR("attach", raw_attach, lib_attach, 200),
		PAIR("invalidate", raw_inv, lib_inv, 200),
		PAIR("invalidate_queue", raw_inv, lib_invq, 200),
	};
#undef PAIR

	buf = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || bench_mock_setup(&m) < 0 ||
	    nestio_hwpt_new_paging(m.dev, m.ioas, NULL, &h[0]) < 0 ||
	    nestio_hwpt_new_paging(m.dev, m.ioas, NULL, &h[1]) < 0 ||
	    bench_mock_nested(&m, &parent, &nested) < 0 ||
	    nestio_invq_new(nested, NESTIO_INV_RAW, &o, &q) < 0 ||
	    nestio_device_attach_hwpt(m.dev, NESTIO_NO_PASID, h[0]) < 0) {
		fprintf(stderr, "bench-wrap: set-up failed\n");
		return 1;
	}
	ioas_id = nestio_ioas_get_id(m.ioas);
	h_id[0] = nestio_hwpt_get_id(h[0]);
	h_id[1] = nestio_hwpt_get_id(h[1]);
	nested_id = nestio_hwpt_get_id(nested);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		bench_compare(&pairs[i]);
	nestio_invq_unref(q);
	nestio_hwpt_unref(nested);
	nestio_hwpt_unref(parent);
	nestio_hwpt_unref(h[0]);
	nestio_hwpt_unref(h[1]);
	bench_mock_teardown(&m);
	return 0;
}
