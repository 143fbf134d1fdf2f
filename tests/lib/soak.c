// SPDX-License-Identifier: LGPL-2.1-or-later
/* The soaks' samples and bounds (see soak.h). */
#include <inttypes.h>
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
 * operations 2 MiB.
 */
static const struct metric {
	const char *key;	/* NESTIO-REL <prefix>.<key> */
	const char *src;	/* where it is read */
	const char *unit;
	long slack;		/* allowed worsening, in unit */
	bool lower_is_worse;
} metrics[SOAK_NUM] = {
	/* any fd the library or the test fails to close */
	[SOAK_FDS] = { "fds", "/proc/self/fd", "fds", 0, false },
	/* glibc keeps freed chunks; after the warm-up the heap is at its
	 * high-water mark, and 64 KiB is one leaked 32-byte chunk every 50
	 * operations of 100,000 */
	[SOAK_RSS] = { "rss", "VmRSS", "kib", 64, false },
	/* iommufd adds every page it pins to mm->pinned_vm whatever its
	 * accounting mode; nothing is mapped at a sample */
	[SOAK_VMPIN] = { "vmpin", "VmPin", "kib", 0, false },
	[SOAK_VMLCK] = { "vmlck", "VmLck", "kib", 0, false },
	[SOAK_SLAB] = { "slab", "Slab", "kib", 512, false },
	[SOAK_SUNRECLAIM] = { "sunreclaim", "SUnreclaim", "kib", 256, false },
	[SOAK_MEMAVAIL] = { "memavailable", "MemAvailable", "kib", 2048, true },
	/* IOMMU page-table pages: the long-lived domains' tables reach their
	 * size in the warm-up, short-lived domains are gone at a sample */
	[SOAK_IOMMUPAGES] = { "iommupages", "nr_iommu_pages", "pages", 0, false },
};

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

static void sample(long m[SOAK_NUM])
{
	m[SOAK_FDS] = tu_count_open_fds();
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
	printf("\n");
	fflush(stdout);
	if (!warm)
		return;
	for (int i = 0; i < SOAK_NUM; i++) {
		ck_assert_msg(m[i] >= 0, "%s unreadable", metrics[i].src);
		if (s->n == 0)
			s->first[i] = s->max[i] = m[i];
		if (m[i] > s->max[i])
			s->max[i] = m[i];
		s->last[i] = m[i];
	}
	s->n++;
}

void soak_judge(const struct soak_samples *s)
{
	ck_assert_int_ge(s->n, 2);
	for (int i = 0; i < SOAK_NUM; i++)
		printf("NESTIO-REL %s.%s first %ld last %ld max %ld %s\n",
		       s->prefix, metrics[i].key, s->first[i], s->last[i],
		       s->max[i], metrics[i].unit);
	fflush(stdout);
	for (int i = 0; i < SOAK_NUM; i++) {
		const struct metric *mt = &metrics[i];
		long worse = s->last[i] - s->first[i];

		if (mt->lower_is_worse)
			worse = -worse;
		ck_assert_msg(worse <= mt->slack,
			      "%s.%s (%s) not flat: first %ld last %ld (bound %ld %s)",
			      s->prefix, mt->key, mt->src, s->first[i], s->last[i],
			      mt->slack, mt->unit);
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
