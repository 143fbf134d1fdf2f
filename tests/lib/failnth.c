// SPDX-License-Identifier: LGPL-2.1-or-later
/* Kernel fault injection (fail-nth) over the library's flows: failnth.h. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "failnth.h"
#include "mock.h"
#include "mockdev.h"

#if defined(__x86_64__)
#define FN_ARCH "x86_64"
#elif defined(__aarch64__)
#define FN_ARCH "arm64"
#else
#define FN_ARCH "other"
#endif

#define DEBUGFS "/sys/kernel/debug"

char fn_sentinel[1];

static int nth_fd = -1;
/* touched before any injection: reading the counter must not fault */
static char nth_buf[32];

static int write_knob(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

bool fn_init(void)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc",
					     "fail_iommufd" };
	char path[128];

	if (nth_fd >= 0)
		return true;
	/* GFP_KERNEL allocations are injectable only with these off */
	if (write_knob(DEBUGFS "/failslab/ignore-gfp-wait", "N") < 0 ||
	    write_knob(DEBUGFS "/fail_page_alloc/ignore-gfp-wait", "N") < 0 ||
	    write_knob(DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", "N") < 0)
		return false;
	/* an injected fault is no news in the kernel log (but
	 * NESTIO_FAILNTH_VERBOSE=1 logs each one with its stack) */
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		snprintf(path, sizeof(path), DEBUGFS "/%s/verbose", attrs[i]);
		write_knob(path, getenv("NESTIO_FAILNTH_VERBOSE") ? "2" : "0");
	}
	/* opening it allocates: once, before any injection */
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	memset(nth_buf, 0, sizeof(nth_buf));
	return nth_fd >= 0;
}

void fn_require(void)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		tu_skip("no /dev/iommu");
	close(fd);
	if (access("/proc/thread-self/fail-nth", F_OK))
		tu_skip("kernel without fault injection (no /proc/thread-self/fail-nth)");
	if (!fn_init())
		tu_skip("cannot set up fault injection (debugfs fail* knobs)");
	/* Check runs each test in a child: it opens its own */
	close(nth_fd);
	nth_fd = -1;
}

static void nth_write(unsigned int n)
{
	int len = snprintf(nth_buf, sizeof(nth_buf), "%u", n);

	/* no ck_assert while injecting: see FN_CHECK */
	if (pwrite(nth_fd, nth_buf, (size_t)len, 0) != len)
		ck_abort_msg("cannot write fail-nth: %s", strerror(errno));
}

void fn_arm(unsigned int n)
{
	nth_write(n);
}

unsigned int fn_left(void)
{
	ssize_t n = pread(nth_fd, nth_buf, sizeof(nth_buf) - 1, 0);

	if (n <= 0) {
		/* the read itself met the fault (a page fault): read again */
		n = pread(nth_fd, nth_buf, sizeof(nth_buf) - 1, 0);
		if (n <= 0)
			ck_abort_msg("cannot read fail-nth: %s", strerror(errno));
	}
	nth_buf[n] = '\0';
	return (unsigned int)strtoul(nth_buf, NULL, 10);
}

unsigned int fn_pause(void)
{
	unsigned int left = fn_left();

	if (left)
		nth_write(0);
	return left;
}

void fn_resume(unsigned int left)
{
	if (left)
		nth_write(left);
}

void *fn_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, 0x3c, 4096);
	return p;
}

/* ---- steps ---- */

/* what an injected fault can make a call return: a failed allocation
 * (ENOMEM; EFAULT from a user copy whose page could not be faulted in;
 * ENOSPC from an ID allocator), or what iommufd's own test points
 * (fail_iommufd) return: ENOENT from an object lookup, EINVAL and EFAULT
 * from the page pinning paths */
static bool injectable(long r)
{
	return r == -ENOMEM || r == -EFAULT || r == -ENOSPC || r == -ENOENT ||
	       r == -EINVAL;
}

void fn_before(struct fn_run *run)
{
	unsigned int now;

	if (!run->armed || !run->left)
		return;
	now = fn_left();
	if (!now) {
		/* met between two steps: in the test's own code (a page fault,
		 * retried by the kernel) */
		run->fired_at = "between steps";
		run->fired_line = 0;
		run->recovered = true;
	}
	run->left = now;
}

int fn_after(struct fn_run *run, const char *what, int line, long r)
{
	bool here = false;

	if (!run->armed) {
		if (r < 0)
			ck_abort_msg("n=%u: setup step %s (line %d) failed: %ld (%s)",
				     run->n, what, line, r, strerror((int)-r));
		return 0;
	}
	if (run->left) {
		run->left = fn_left();
		here = run->left == 0;
	}
	run->last_hit = here;
	if (here) {
		run->fired_at = what;
		run->fired_line = line;
		run->fired_r = (int)r;
		run->recovered = r >= 0;
	}
	if (r >= 0)
		return 0;
	if (!here)
		FN_FAIL("n=%u: %s (line %d) returned %ld (%s) with no fault "
			"injected in it (the fault: %s, line %d)", run->n, what, line,
			r, strerror((int)-r), run->fired_at ? run->fired_at : "none yet",
			run->fired_line);
	if (!injectable(r))
		FN_FAIL("n=%u: %s (line %d) met the injected fault and returned "
			"%ld (%s): no error a failed allocation gives",
			run->n, what, line, r, strerror((int)-r));
	return -1;
}

int fn_expect(struct fn_run *run, const char *what, int line, long r, long want)
{
	if (r == want)
		return fn_after(run, what, line, 0);
	if (fn_after(run, what, line, r < 0 ? r : 0) < 0)
		return -1;
	FN_FAIL("n=%u: %s (line %d) returned %ld, want %ld (the fault: %s)",
		run->n, what, line, r, want,
		run->fired_at ? run->fired_at : "none yet");
	return -1;
}

/* ---- objects ---- */

static uint32_t obj_id(enum fn_kind kind, void *p)
{
	switch (kind) {
	case FN_IOAS: return nestio_ioas_get_id(p);
	case FN_DEV: return nestio_device_get_id(p);
	case FN_HWPT: return nestio_hwpt_get_id(p);
	case FN_VIOMMU: return nestio_viommu_get_id(p);
	case FN_VDEV: return nestio_vdevice_get_id(p);
	case FN_VEVENTQ: return nestio_veventq_get_id(p);
	case FN_FAULT: return nestio_fault_get_id(p);
	case FN_HWQ: return nestio_hw_queue_get_id(p);
	default: return 0;
	}
}

static void obj_unref(enum fn_kind kind, void *p)
{
	switch (kind) {
	case FN_IOAS: nestio_ioas_unref(p); break;
	case FN_DEV: nestio_device_unref(p); break;
	case FN_HWPT: nestio_hwpt_unref(p); break;
	case FN_VIOMMU: nestio_viommu_unref(p); break;
	case FN_VDEV: nestio_vdevice_unref(p); break;
	case FN_VEVENTQ: nestio_veventq_unref(p); break;
	case FN_FAULT: nestio_fault_unref(p); break;
	case FN_INVQ: nestio_invq_unref(p); break;
	case FN_PASID_TABLE: nestio_pasid_table_unref(p); break;
	case FN_HWQ: nestio_hw_queue_unref(p); break;
	case FN_CTX: nestio_ctx_unref(p); break;
	case FN_NONE:
	case FN_KINDS: break;
	}
}

void fn_add(struct fn_run *run, enum fn_kind kind, void *p)
{
	uint32_t id = obj_id(kind, p);

	if (kind == FN_NONE)
		return;
	if (kind == FN_CTX) {
		if (run->ctx)
			FN_FAIL("n=%u: a second ctx", run->n);
		run->ctx = p;
		return;
	}
	if (run->nobj == FN_MAX_OBJS)
		FN_FAIL("n=%u: more than FN_MAX_OBJS objects", run->n);
	run->objs[run->nobj++] = (struct fn_obj){ .kind = kind, .p = p, .id = id };
	if (id > run->max_id)
		run->max_id = id;
}

void fn_release(struct fn_run *run, void *p)
{
	for (unsigned int i = 0; i < run->nobj; i++) {
		if (run->objs[i].p != p)
			continue;
		obj_unref(run->objs[i].kind, p);
		memmove(&run->objs[i], &run->objs[i + 1],
			(run->nobj - i - 1) * sizeof(run->objs[0]));
		run->nobj--;
		return;
	}
	ck_abort_msg("fn_release: the harness holds no %p", p);
}

/* does what stayed still work? (injection off) */
static void probe(struct fn_run *run, void *page)
{
	int ifd = run->ctx ? nestio_ctx_get_fd(run->ctx) : -1;

	for (unsigned int i = 0; i < run->nobj; i++) {
		struct fn_obj *o = &run->objs[i];

		if (o->id)
			FN_CHECK(run, tu_kernel_has(ifd, o->id));
		switch (o->kind) {
		case FN_IOAS: {
			uint64_t iova = run->probe_iova, unmapped = 0;

			FN_CHECK(run, nestio_ioas_map(o->p, page, 4096, &iova,
						      NESTIO_MAP_READ | NESTIO_MAP_WRITE |
						      NESTIO_MAP_FIXED_IOVA) == 0);
			FN_CHECK(run, nestio_ioas_unmap(o->p, run->probe_iova, 4096,
							&unmapped) == 0);
			FN_CHECK(run, unmapped == 4096);
			break;
		}
		case FN_DEV: {
			uint8_t info[256];
			size_t len = sizeof(info);
			uint32_t type = 0;

			FN_CHECK(run, nestio_device_get_hw_info(o->p, &type, info, &len) == 0);
			FN_CHECK(run, type != 0);
			break;
		}
		case FN_VEVENTQ: {
			struct nestio_vevent ev[4];

			FN_CHECK(run, nestio_veventq_read(o->p, ev, 4) >= 0);
			break;
		}
		case FN_FAULT: {
			struct nestio_page_request req[4];
			int n = nestio_fault_read_group(o->p, req, 4);

			FN_CHECK(run, n >= 0);
			if (n > 0)
				FN_CHECK(run, nestio_fault_respond(o->p, req[0].cookie,
								   NESTIO_PAGE_RESP_SUCCESS) == 0);
			break;
		}
		case FN_INVQ: {
			struct nestio_invq_fail f = { .sz = sizeof(f) };

			/* every entry not confirmed is still queued, and
			 * sends now */
			FN_CHECK(run, nestio_invq_flush(o->p, &f) >= 0);
			FN_CHECK(run, nestio_invq_pending(o->p) == 0);
			break;
		}
		default:
			break;
		}
	}
}

static void release_all(struct fn_run *run)
{
	while (run->nobj)
		fn_release(run, run->objs[run->nobj - 1].p);
}

/* ---- the sweep ---- */

static int totals_fd = -1;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned int env_uint(const char *name, unsigned int dflt)
{
	const char *s = getenv(name);

	return s && *s ? (unsigned int)strtoul(s, NULL, 10) : dflt;
}

/* one run with fail-nth = n: true when the fault was injected */
static bool one_run(const struct fn_flow *flow, unsigned int n, void *page,
		    unsigned int *recovered)
{
	struct fn_run run = { .n = n, .probe_iova = 0x5000000 };
	int fds = tu_count_open_fds(), r;
	unsigned int left;
	bool fired;

	if (flow->setup)
		ck_assert_int_eq(flow->setup(&run), 0);
	run.armed = true;
	run.left = n;
	fn_arm(n);
	r = flow->run(&run);
	left = fn_pause();
	run.armed = false;
	fired = run.fired_at != NULL || left == 0;
	if (!fired)
		ck_assert_msg(r == 0, "n=%u: the flow failed (%d) with no fault", n, r);
	else if (!run.fired_at)
		run.fired_at = "outside the steps";
	if (r < 0)
		ck_assert_msg(run.fired_at, "n=%u: stopped with no fault", n);
	if (run.recovered)
		++*recovered;
	if (env_uint("NESTIO_FAILNTH_TRACE", 0))
		printf("failnth %s n=%u: %s (line %d) returned %d\n", flow->name, n,
		       run.fired_at ? run.fired_at : "no fault", run.fired_line,
		       run.fired_r);

	probe(&run, page);
	if (flow->probe)
		flow->probe(&run);
	if (flow->release)
		flow->release(&run);
	release_all(&run);
	if (run.ctx) {
		int ifd = nestio_ctx_get_fd(run.ctx);
		struct nestio_ioas *ioas = NULL;

		for (uint32_t id = 1; id <= run.max_id + 16; id++)
			ck_assert_msg(!tu_kernel_has(ifd, id), "n=%u (fault in %s, "
				      "line %d, returned %d): the kernel still holds "
				      "object %u after every release", n, run.fired_at,
				      run.fired_line, run.fired_r, id);
		ck_assert_int_eq(nestio_ioas_new(run.ctx, &ioas), 0);
		ck_assert_msg(nestio_ioas_get_id(ioas) == 1, "n=%u (fault in %s): "
			      "a new IOAS got id %u: an object is left", n,
			      run.fired_at, nestio_ioas_get_id(ioas));
		nestio_ioas_unref(ioas);
		run.ctx = nestio_ctx_unref(run.ctx);
	}
	ck_assert_msg(tu_count_open_fds() == fds, "n=%u (fault in %s, line %d): "
		      "%d fds open, %d before the run", n, run.fired_at,
		      run.fired_line, tu_count_open_fds(), fds);
	return fired;
}

void fn_sweep(const struct fn_flow *flow)
{
	unsigned int max = flow->max_points ? flow->max_points() :
			   env_uint("NESTIO_FAILNTH_MAX", 5000);
	unsigned int first = env_uint("NESTIO_FAILNTH_START", 1);
	unsigned int n, recovered = 0;
	double t0 = now_s();
	void *page;
	char line[160];
	int len;
	bool complete = false;

	ck_assert_msg(fn_init(), "fault injection went away");
	page = fn_page();
	for (n = first ? first : 1; n <= max + 1; n++) {
		if (!one_run(flow, n, page, &recovered)) {
			complete = true;
			break;
		}
	}
	munmap(page, 4096);
	if (!complete)
		n = max + 1;
	/* points: the runs that injected a fault; the last run injected none */
	len = snprintf(line, sizeof(line), "NESTIO-REL failnth.%s.%s points %u runs %u "
		       "recovered %u%s (%.1f s)\n", FN_ARCH, flow->name, n - 1,
		       complete ? n : n - 1, recovered,
		       complete ? "" : " partial: NESTIO_FAILNTH_MAX reached",
		       now_s() - t0);
	fputs(line, stdout);
	fflush(stdout);
	if (totals_fd >= 0 && write(totals_fd, line, (size_t)len) != len)
		ck_abort_msg("cannot write the totals");
}

void fn_totals_begin(void)
{
	char path[] = "/tmp/nestio-failnth-XXXXXX";

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* each Check child appends its line; the parent reads them */
	totals_fd = mkstemp(path);
	if (totals_fd < 0)
		return;
	unlink(path);
	if (fcntl(totals_fd, F_SETFL, O_APPEND) < 0 ||
	    fcntl(totals_fd, F_SETFD, FD_CLOEXEC) < 0) {
		close(totals_fd);
		totals_fd = -1;
	}
}

void fn_totals_end(const char *prog)
{
	unsigned long points = 0, runs = 0, flows = 0;
	char buf[8192];
	ssize_t n;

	if (totals_fd < 0)
		return;
	n = pread(totals_fd, buf, sizeof(buf) - 1, 0);
	close(totals_fd);
	totals_fd = -1;
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *l = buf; (l = strstr(l, " points ")); l++) {
		unsigned long p = 0, r = 0;

		if (sscanf(l, " points %lu runs %lu", &p, &r) == 2) {
			points += p;
			runs += r;
			flows++;
		}
	}
	printf("NESTIO-REL failnth.%s.%s.total points %lu runs %lu flows %lu\n",
	       FN_ARCH, prog, points, runs, flows);
}
