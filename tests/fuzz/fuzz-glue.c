// SPDX-License-Identifier: LGPL-2.1-or-later
/* What the fuzz targets share: see fuzz.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "fakekernel.h"
#include "fuzz.h"

bool fz_empty(const struct fz *f)
{
	return f->n == 0;
}

size_t fz_bytes(struct fz *f, void *out, size_t len)
{
	size_t k = len < f->n ? len : f->n;

	if (k)
		memcpy(out, f->p, k);
	memset((uint8_t *)out + k, 0, len - k);
	f->p += k;
	f->n -= k;
	return k;
}

uint8_t fz_u8(struct fz *f)
{
	uint8_t v;

	fz_bytes(f, &v, sizeof(v));
	return v;
}

/* little-endian, whatever the host: the corpus means the same everywhere */
uint16_t fz_u16(struct fz *f)
{
	uint16_t v = fz_u8(f);

	return (uint16_t)(v | fz_u8(f) << 8);
}

uint32_t fz_u32(struct fz *f)
{
	uint32_t v = fz_u16(f);

	return v | (uint32_t)fz_u16(f) << 16;
}

uint64_t fz_u64(struct fz *f)
{
	uint64_t v = fz_u32(f);

	return v | (uint64_t)fz_u32(f) << 32;
}

void fz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "fuzz oracle: %s:%d: %s\n", file, line, what);
	abort();
}

static void quiet(struct nestio_ctx *c, int priority, const char *file,
		  int line, const char *fn, const char *format, va_list args)
{
	(void)c; (void)priority; (void)file; (void)line; (void)fn;
	(void)format; (void)args;
}

void fz_quiet(struct nestio_ctx *c)
{
	nestio_ctx_set_log_fn(c, quiet);
}

int fz_answer(int fd, unsigned long request, void *arg)
{
	int p[2];

	if (request != KABI_IOMMU_VEVENTQ_ALLOC &&
	    request != KABI_IOMMU_FAULT_QUEUE_ALLOC)
		return fake_kernel(fd, request, arg);
	if (pipe(p) < 0)
		return -1;
	close(p[1]);
	if (request == KABI_IOMMU_VEVENTQ_ALLOC) {
		((struct kabi_veventq_alloc *)arg)->out_veventq_id = fk_next_id++;
		((struct kabi_veventq_alloc *)arg)->out_veventq_fd = (uint32_t)p[0];
	} else {
		((struct kabi_fault_alloc *)arg)->out_fault_id = fk_next_id++;
		((struct kabi_fault_alloc *)arg)->out_fault_fd = (uint32_t)p[0];
	}
	return 0;
}

void fz_fixture_up(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	tu_seam_install();
	tu_seam_answer = fz_answer;
	fk_next_id = 100;
	fk_fail_left = 0;
	fk_option_val = 1;
	fk_watch_fd = -1;
	memset(&fk_hw, 0, sizeof(fk_hw));
	memset(&rec, 0, sizeof(rec));
	FZ_CHECK(fd >= 0 && nestio_ctx_new_from_fd(fd, &ctx) == 0);
	close(fd);
	fz_quiet(ctx);
	FZ_CHECK(nestio_ioas_new(ctx, &ioas) == 0);
	FZ_CHECK(nestio_device_new_from_id(ctx, 7, &rec_ops, &rec, &dev) == 0);
	tu_ncalls = 0;
	fk_nev = 0;
}

void fz_fixture_down(void)
{
	dev = nestio_device_unref(dev);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
	tu_read_hook = NULL;
	tu_write_hook = NULL;
	tu_seam_remove();
}

void fz_nest_objs(struct nestio_hwpt **parent, struct nestio_hwpt **nested,
		  struct nestio_viommu **viommu)
{
	static const struct nestio_stage1 vtd_s1 = {
		.type = NESTIO_STAGE1_VTD,
		.u.vtd = { .pgtbl_addr = 0x1000, .addr_width = 48 },
	};
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o),
					     .flags = NESTIO_HWPT_NEST_PARENT };

	FZ_CHECK(nestio_hwpt_new_paging(dev, ioas, &o, parent) == 0);
	FZ_CHECK(nestio_hwpt_new_nested(dev, *parent, &vtd_s1, NULL, nested) == 0);
	FZ_CHECK(nestio_viommu_new(dev, *parent, NESTIO_VIOMMU_ARM_SMMUV3, NULL,
				   viommu) == 0);
}

/* ---- counters at exit ---- */

struct counter {
	const char *target, *what;
	const uint64_t *n;
};
static struct counter counters[8];
static int ncounters;

/* The replay of the corpus (`make check`, built with FUZZ_TARGET defined)
 * counts under its own name: its figures are not fuzzing's. */
#ifdef FUZZ_TARGET
#define REL_PREFIX "replay"
#else
#define REL_PREFIX "fuzz"
#endif

static void print_counters(void)
{
	for (int i = 0; i < ncounters; i++)
		printf("NESTIO-REL " REL_PREFIX ".%s.%s %llu\n", counters[i].target,
		       counters[i].what, (unsigned long long)*counters[i].n);
	fflush(stdout);
}

void fz_count_at_exit(const char *target, const char *what, const uint64_t *n)
{
	if (ncounters == (int)(sizeof(counters) / sizeof(counters[0])))
		return;
	if (!ncounters)
		atexit(print_counters);
	counters[ncounters++] = (struct counter){ target, what, n };
}
