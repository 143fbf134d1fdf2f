// SPDX-License-Identifier: LGPL-2.1-or-later
/* The soaks' samples and bounds (see soak.h). */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soak.h"
#include "testutil.h"

/*
 * What "flat" means, metric by metric: the most the last sample may be
 * worse than the first one after the warm-up (worse is higher, or lower for
 * MemAvailable). The samples are taken in one fixed state (nothing mapped),
 * so what the process holds is exact. The kernel-wide figures move with
 * everything else the guest does (its shell, the console, per-CPU slab
 * caches), so they get a bound above that noise and below what a leak in
 * the soak would add: over 100,000 operations, one leaked 64-byte kernel
 * object every 50 operations is 128 KiB, one leaked page every 200
 * operations 2 MiB. A bound marked "scales" is per 100,000 operations and
 * grows with a longer soak (NESTIO_SOAK_OPS): what it allows is a slow
 * drift measured in runs of 100,000, not a leak.
 */
static const struct metric {
	const char *key;	/* NESTIO-REL <prefix>.<key> */
	const char *src;	/* where it is read */
	const char *unit;
	long slack;		/* allowed worsening, in unit */
	bool lower_is_worse;
	bool scales;		/* slack is per 100,000 operations */
} metrics[SOAK_NUM] = {
	/* any fd the library or the test fails to close */
	[SOAK_FDS] = { "fds", "/proc/self/fd", "fds", 0, false },
	/* blocks malloc'ed and not freed, by anyone in the process (the
	 * wrappers below): exact in one state. (Not mallinfo2's bytes in
	 * use: they count the chunks glibc keeps in its per-thread cache.) */
	[SOAK_ALLOCS] = { "allocs", "live malloc blocks", "blocks", 0, false },
	/*
	 * Leaks of the heap are caught exactly above. On the mock, RssAnon
	 * creeps by a page every ~10,000 operations (seen: +40..48 KiB per
	 * 100,000) while the live blocks and glibc's arena stay exactly
	 * flat, and not at all on the VT-d soak: not a heap leak; the bound
	 * holds it, and a leaked 4 KiB page every 1,000 operations breaks it.
	 */
	[SOAK_RSS] = { "rss", "VmRSS", "kib", 128, false, true },
	/* iommufd adds every page it pins to mm->pinned_vm whatever its
	 * accounting mode; nothing is mapped at a sample */
	[SOAK_VMPIN] = { "vmpin", "VmPin", "kib", 0, false },
	[SOAK_VMLCK] = { "vmlck", "VmLck", "kib", 0, false },
	/* reclaimable slab (dentries of the /proc files read) drifts up by
	 * 30..70 KiB per 100,000 (seen); SUnreclaim, where iommufd's objects
	 * live, has been exactly flat */
	[SOAK_SLAB] = { "slab", "Slab", "kib", 512, false, true },
	[SOAK_SUNRECLAIM] = { "sunreclaim", "SUnreclaim", "kib", 256, false },
	[SOAK_MEMAVAIL] = { "memavailable", "MemAvailable", "kib", 2048, true, true },
	/*
	 * IOMMU page-table pages (every domain's, the guest's own too). A
	 * short-lived domain is gone at a sample, but a long-lived one keeps
	 * a table an unmap did not cover whole, so what it holds depends on
	 * the last maps; the soaks keep each slot in its own 2 MiB (one
	 * last-level table), which bounds that. 64 pages is 256 KiB: one
	 * leaked table in every tenth of the ~500 hwpts a soak churns. (Seen:
	 * flat, and +9 at the last sample of one VT-d run.)
	 */
	[SOAK_IOMMUPAGES] = { "iommupages", "nr_iommu_pages", "pages", 64, false },
};

/*
 * The soak binaries link with --wrap for malloc, calloc, realloc and free
 * (Makefile.am SOAK_LINKFLAGS): every call of them in the static link —
 * the library's, Check's, libc's own stdio — comes here and is counted.
 */
static long live_blocks;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static void count(long d)
{
	__atomic_add_fetch(&live_blocks, d, __ATOMIC_RELAXED);
}

void *__wrap_malloc(size_t n)
{
	void *p = __real_malloc(n);

	if (p)
		count(1);
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *p = __real_calloc(n, size);

	if (p)
		count(1);
	return p;
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q = __real_realloc(p, n);

	if (!p && q)
		count(1);		/* realloc(NULL, n) is malloc */
	else if (p && !n)
		count(-1);		/* realloc(p, 0) frees p */
	return q;
}

void __wrap_free(void *p)
{
	if (p)
		count(-1);
	__real_free(p);
}

/* "Key:   123 kB" or "key 123" in a /proc file; -1 when absent */
static long proc_value(const char *path, const char *key)
{
	size_t klen = strlen(key);
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) &&
		    (line[klen] == ':' || line[klen] == ' ')) {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

long soak_vmpin_kib(void)
{
	return proc_value("/proc/self/status", "VmPin");
}

static void sample(long m[SOAK_NUM])
{
	m[SOAK_FDS] = tu_count_open_fds();
	m[SOAK_ALLOCS] = __atomic_load_n(&live_blocks, __ATOMIC_RELAXED);
	m[SOAK_RSS] = proc_value("/proc/self/status", "VmRSS");
	m[SOAK_VMPIN] = proc_value("/proc/self/status", "VmPin");
	m[SOAK_VMLCK] = proc_value("/proc/self/status", "VmLck");
	m[SOAK_SLAB] = proc_value("/proc/meminfo", "Slab");
	m[SOAK_SUNRECLAIM] = proc_value("/proc/meminfo", "SUnreclaim");
	m[SOAK_MEMAVAIL] = proc_value("/proc/meminfo", "MemAvailable");
	m[SOAK_IOMMUPAGES] = proc_value("/proc/vmstat", "nr_iommu_pages");
}

void soak_take(struct soak_samples *s, uint64_t ops, bool warm)
{
	long m[SOAK_NUM];

	sample(m);
	printf("%s sample ops %" PRIu64 "%s:", s->prefix, ops,
	       warm ? "" : " (warm-up)");
	for (int i = 0; i < SOAK_NUM; i++)
		printf(" %s %ld", metrics[i].key, m[i]);
	/* for the reader: where the RSS is, and the heap glibc holds */
	printf(" (rssanon %ld rssfile %ld rssshmem %ld arena %zu)\n",
	       proc_value("/proc/self/status", "RssAnon"),
	       proc_value("/proc/self/status", "RssFile"),
	       proc_value("/proc/self/status", "RssShmem"), mallinfo2().arena);
	fflush(stdout);
	if (!warm)
		return;
	for (int i = 0; i < SOAK_NUM; i++) {
		ck_assert_msg(i == SOAK_ALLOCS || m[i] >= 0, "%s unreadable",
			      metrics[i].src);
		if (s->n == 0)
			s->first[i] = s->max[i] = m[i];
		if (m[i] > s->max[i])
			s->max[i] = m[i];
		s->last[i] = m[i];
	}
	s->n++;
}

/* how much worse than the first sample the last one may be */
static long bound_of(const struct metric *mt, uint64_t ops)
{
	if (mt->scales && ops > 100000)
		return (long)((double)mt->slack * ops / 100000);
	return mt->slack;
}

void soak_judge(const struct soak_samples *s, uint64_t ops)
{
	ck_assert_int_ge(s->n, 2);
	for (int i = 0; i < SOAK_NUM; i++)
		printf("NESTIO-REL %s.%s first %ld last %ld max %ld %s bound %s%ld\n",
		       s->prefix, metrics[i].key, s->first[i], s->last[i],
		       s->max[i], metrics[i].unit,
		       metrics[i].lower_is_worse ? "-" : "+",
		       bound_of(&metrics[i], ops));
	fflush(stdout);
	for (int i = 0; i < SOAK_NUM; i++) {
		const struct metric *mt = &metrics[i];
		long worse = s->last[i] - s->first[i];
		long bound = bound_of(mt, ops);

		if (mt->lower_is_worse)
			worse = -worse;
		ck_assert_msg(worse <= bound,
			      "%s.%s (%s) not flat: first %ld last %ld (bound %ld %s)",
			      s->prefix, mt->key, mt->src, s->first[i], s->last[i],
			      bound, mt->unit);
	}
}

uint64_t soak_env(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

double soak_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint32_t soak_rnd(uint64_t *state, uint32_t n)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state % n);
}
