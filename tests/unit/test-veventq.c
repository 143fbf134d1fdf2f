// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1: the vEVENTQ and the fault queue against a fake kernel. The ioctl
 * seam answers the allocations with a pipe's read end (neither
 * close-on-exec nor non-blocking, so the library has to make it so), and
 * nio_read_hook / nio_write_hook stand in for the queues' read(2) and
 * write(2) with models of drivers/iommu/iommufd/eventq.c: the same
 * whole-event / whole-group read rules, the same lost-events header, the
 * same sequence numbers, cookies handed out at read time.
 */
#include <endian.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakekernel.h"

#define SMMU NESTIO_VEVENTQ_ARM_SMMUV3	/* 32-byte records, known */
#define RAW_TYPE 0xbeefbeefu		/* a type the library must learn */
#define LOST KABI_VEVENTQ_FLAG_LOST_EVENTS
#define HDR 8u

/* ------------------------------------------------ the fake vEVENTQ file */

struct fv_ent {
	uint32_t flags, seq, len;
	uint8_t data[128];
};
static struct fv_ent fv_q[64];
static int fv_n;		/* entries in the list */
static int fv_fd = -1;
static int fv_reads;
static uint32_t fv_depth = 1000, fv_num, fv_seq;	/* the kernel model */
static uint32_t fv_len = 32;	/* record length the "driver" reports */

static void fv_append(uint32_t flags, uint32_t seq, uint32_t len)
{
	struct fv_ent *e;

	ck_assert_int_lt(fv_n, (int)ARRAY_SIZE(fv_q));
	e = &fv_q[fv_n++];
	memset(e, 0, sizeof(*e));
	e->flags = flags;
	e->seq = seq;
	e->len = flags & LOST ? 0 : len;
	for (uint32_t i = 0; i < e->len; i++)
		e->data[i] = (uint8_t)(seq * 7 + i);
}

/* raw injection: exactly this header (and a record of fv_len bytes) */
static void fv_push(uint32_t flags, uint32_t seq)
{
	fv_append(flags, seq, fv_len);
}

/* iommufd_viommu_report_event() + iommufd_vevent_handler() */
static void fv_report(void)
{
	bool full = fv_num == fv_depth;

	if (fv_n && (fv_q[fv_n - 1].flags & LOST))
		fv_n--;		/* the header moves, or gives way */
	fv_append(full ? LOST : 0, fv_seq, fv_len);
	if (!full)
		fv_num++;
	fv_seq = (fv_seq + 1) & INT_MAX;
}

/* iommufd_veventq_fops_read() */
static ssize_t fv_read(void *buf, size_t count)
{
	size_t done = 0;

	fv_reads++;
	if (count < HDR) {
		errno = EINVAL;
		return -1;
	}
	while (fv_n) {
		struct fv_ent *e = &fv_q[0];
		struct kabi_vevent_header h = { e->flags, e->seq };

		if (done >= count || HDR > count - done)
			break;
		if (!(e->flags & LOST) && HDR + e->len > count - done) {
			if (!done) {
				errno = EINVAL;
				return -1;
			}
			break;
		}
		memcpy((uint8_t *)buf + done, &h, HDR);
		memcpy((uint8_t *)buf + done + HDR, e->data, e->len);
		done += HDR + e->len;
		if (!(e->flags & LOST) && fv_num)
			fv_num--;
		memmove(fv_q, fv_q + 1, --fv_n * sizeof(*fv_q));
	}
	return (ssize_t)done;
}

/* --------------------------------------------- the fake fault queue file */

#define REC sizeof(struct kabi_hwpt_pgfault)

struct ff_group {
	int n;
	struct kabi_hwpt_pgfault rec[160];
};
static struct ff_group ff_g[8];
static int ff_ng;
static int ff_fd = -1;
static int ff_reads, ff_writes;
static uint32_t ff_next_cookie;
static uint32_t ff_live[64];	/* cookies read and not answered */
static int ff_nlive;
static struct kabi_hwpt_page_response ff_last;	/* what was written */
static int ff_write_errno;	/* fail writes with this */
/* script mode: read(2) returns these byte strings, one per call */
static uint8_t ff_chunk[4][8 * REC];
static size_t ff_chunk_len[4];
static int ff_nchunks, ff_chunk_next;

static struct kabi_hwpt_pgfault pf(uint32_t grpid, uint64_t addr, bool last)
{
	return (struct kabi_hwpt_pgfault){
		.flags = KABI_PGFAULT_FLAGS_PASID_VALID |
			 (last ? KABI_PGFAULT_FLAGS_LAST_PAGE : 0),
		.dev_id = 7, .pasid = 5, .grpid = grpid,
		.perm = KABI_PGFAULT_PERM_READ | KABI_PGFAULT_PERM_WRITE,
		.addr = addr,
	};
}

/* a group of n page requests from the "IOMMU" (the last one closes it) */
static void ff_group(int n, uint32_t grpid)
{
	struct ff_group *g = &ff_g[ff_ng++];

	ck_assert_int_le(n, (int)ARRAY_SIZE(g->rec));
	g->n = n;
	for (int i = 0; i < n; i++)
		g->rec[i] = pf(grpid, 0x10000 * grpid + 0x1000 * (uint64_t)i,
			       i == n - 1);
}

/* iommufd_fault_fops_read(), or the script */
static ssize_t ff_read(void *buf, size_t count)
{
	size_t done = 0;

	ff_reads++;
	if (ff_nchunks) {
		size_t n;

		if (ff_chunk_next == ff_nchunks)
			return 0;
		n = ff_chunk_len[ff_chunk_next];
		ck_assert_uint_ge(count, n);
		memcpy(buf, ff_chunk[ff_chunk_next++], n);
		return (ssize_t)n;
	}
	if (count % REC) {
		errno = ESPIPE;
		return -1;
	}
	while (ff_ng) {
		struct ff_group *g = &ff_g[0];

		if (done >= count || g->n * REC > count - done) {
			if (!done) {
				errno = EINVAL;
				return -1;
			}
			break;
		}
		ff_live[ff_nlive++] = ff_next_cookie;
		for (int i = 0; i < g->n; i++) {
			g->rec[i].cookie = ff_next_cookie;
			memcpy((uint8_t *)buf + done, &g->rec[i], REC);
			done += REC;
		}
		ff_next_cookie++;
		memmove(ff_g, ff_g + 1, --ff_ng * sizeof(*ff_g));
	}
	return (ssize_t)done;
}

/* iommufd_fault_fops_write() */
static ssize_t ff_write(const void *buf, size_t len)
{
	ff_writes++;
	ck_assert_uint_eq(len, sizeof(ff_last));
	memcpy(&ff_last, buf, len);
	if (ff_write_errno) {
		errno = ff_write_errno;
		return -1;
	}
	for (int i = 0; i < ff_nlive; i++)
		if (ff_live[i] == ff_last.cookie) {
			ff_live[i] = ff_live[--ff_nlive];
			return (ssize_t)len;
		}
	errno = EINVAL;
	return -1;
}

static int other_reads;

static ssize_t fake_read(int fd, void *buf, size_t len)
{
	if (fd == fv_fd)
		return fv_read(buf, len);
	if (fd == ff_fd)
		return ff_read(buf, len);
	other_reads++;
	errno = EBADF;
	return -1;
}

static ssize_t fake_write(int fd, const void *buf, size_t len)
{
	if (fd == ff_fd)
		return ff_write(buf, len);
	errno = EBADF;
	return -1;
}

/* the allocations: a pipe's read end, the id, as the kernel would */
static int fk_events(int fd, unsigned long request, void *arg)
{
	int p[2];

	if (request != KABI_IOMMU_VEVENTQ_ALLOC &&
	    request != KABI_IOMMU_FAULT_QUEUE_ALLOC)
		return fake_kernel(fd, request, arg);
	if (fk_fail_left && (!fk_fail_req || fk_fail_req == request)) {
		fk_fail_left--;
		errno = fk_fail_errno;
		return -1;
	}
	ck_assert_int_eq(pipe(p), 0);
	close(p[1]);
	if (request == KABI_IOMMU_VEVENTQ_ALLOC) {
		struct kabi_veventq_alloc *c = arg;

		c->out_veventq_id = fk_next_id++;
		c->out_veventq_fd = (uint32_t)p[0];
		fv_fd = p[0];
	} else {
		struct kabi_fault_alloc *c = arg;

		c->out_fault_id = fk_next_id++;
		c->out_fault_fd = (uint32_t)p[0];
		ff_fd = p[0];
	}
	return 0;
}

/* ------------------------------------------------------------- fixtures */

static ssize_t (*saved_read)(int, void *, size_t);
static ssize_t (*saved_write)(int, const void *, size_t);
static struct nestio_hwpt *parent;
static struct nestio_viommu *viommu;	/* id 102 */

static void setup(void)
{
	setup_objs();
	tu_seam_answer = fk_events;
	saved_read = nio_read_hook;
	saved_write = nio_write_hook;
	nio_read_hook = fake_read;
	nio_write_hook = fake_write;
	fv_n = 0; fv_fd = -1; fv_reads = 0;
	fv_depth = 1000; fv_num = 0; fv_seq = 0; fv_len = 32;
	ff_ng = 0; ff_fd = -1; ff_reads = 0; ff_writes = 0;
	ff_next_cookie = 1; ff_nlive = 0; ff_write_errno = 0;
	ff_nchunks = 0; ff_chunk_next = 0;
	memset(&ff_last, 0, sizeof(ff_last));
	other_reads = 0;
	parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	ck_assert_int_eq(nestio_viommu_new(dev, parent, NESTIO_VIOMMU_ARM_SMMUV3,
					   NULL, &viommu), 0);
	tu_ncalls = 0;
	fk_nev = 0;
}

static void teardown(void)
{
	viommu = nestio_viommu_unref(viommu);
	parent = nestio_hwpt_unref(parent);
	nio_read_hook = saved_read;
	nio_write_hook = saved_write;
	ck_assert_int_eq(other_reads, 0);
	teardown_objs();
}

static struct nestio_veventq *new_q(uint32_t type)
{
	struct nestio_veventq *q = NULL;

	ck_assert_int_eq(nestio_veventq_new(viommu, type, 16, &q), 0);
	ck_assert_int_eq(nestio_veventq_get_fd(q), fv_fd);
	return q;
}

static struct nestio_fault *new_f(void)
{
	struct nestio_fault *f = NULL;

	ck_assert_int_eq(nestio_fault_new(ctx, &f), 0);
	ck_assert_int_eq(nestio_fault_get_fd(f), ff_fd);
	return f;
}

static bool nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_NONBLOCK);
}

/* one event, as read: its sequence, lost count, and the fake's record */
static void expect_ev(const struct nestio_vevent *e, uint32_t seq, uint32_t lost)
{
	ck_assert_uint_eq(e->sequence, seq);
	ck_assert_uint_eq(e->lost, lost);
	ck_assert_uint_eq(e->len, fv_len);
	for (uint32_t i = 0; i < fv_len; i++)
		ck_assert_uint_eq(((const uint8_t *)e->data)[i], (uint8_t)(seq * 7 + i));
	for (uint32_t i = fv_len; i < sizeof(e->data); i++)
		ck_assert_uint_eq(((const uint8_t *)e->data)[i], 0);
}

/* ---------------------------------------------------------- vEVENTQ */

START_TEST(test_veventq_new)
{
	struct nestio_veventq *q = NULL, *sentinel = (void *)&fv_n;
	uint32_t id;
	int fd;

	q = sentinel;
	EXPECT_NOIO(nestio_veventq_new(viommu, SMMU, 0, &q), -EINVAL);
	EXPECT_NOIO(nestio_veventq_new(NULL, SMMU, 4, &q), -EINVAL);
	EXPECT_NOIO(nestio_veventq_new((void *)ctx, SMMU, 4, &q), -EINVAL);
	EXPECT_NOIO(nestio_veventq_new((void *)parent, SMMU, 4, &q), -EINVAL);
	EXPECT_NOIO(nestio_veventq_new(viommu, SMMU, 4, NULL), -EINVAL);
	ck_assert_ptr_eq(q, sentinel);
	/* the kernel refuses: its errno, *out untouched */
	fk_fail(KABI_IOMMU_VEVENTQ_ALLOC, EEXIST, 1);
	ck_assert_int_eq(nestio_veventq_new(viommu, SMMU, 4, &q), -EEXIST);
	ck_assert_ptr_eq(q, sentinel);
	tu_ncalls = 0;

	ck_assert_int_eq(nestio_veventq_new(viommu, SMMU, 4, &q), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_VEVENTQ_ALLOC, kabi_veventq_alloc,
		     .viommu_id = nestio_viommu_get_id(viommu), .type = SMMU,
		     .veventq_depth = 4);
	fd = nestio_veventq_get_fd(q);
	id = nestio_veventq_get_id(q);
	ck_assert_int_eq(fd, fv_fd);
	ck_assert_uint_eq(id, fk_next_id - 1);
	ck_assert(tu_fd_is_cloexec(fd));
	ck_assert(nonblocking(fd));
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 0);
	ck_assert_ptr_eq(nestio_veventq_ref(q), q);
	nestio_veventq_unref(q);
	ck_assert_int_eq(find_ev('D', id), -1);

	/* it pins the vIOMMU: the queue goes first, its fd closed before */
	fk_watch_fd = fd;
	viommu = nestio_viommu_unref(viommu);
	ck_assert_int_eq(fk_nev, 0);
	ck_assert_ptr_null(nestio_veventq_unref(q));
	ck_assert_int_eq(find_ev('D', id), 0);
	ck_assert(!fk_ev[0].watch_open);
	ck_assert(!fd_open(fd));
	ck_assert_int_gt(find_ev('D', 102), 0);

	/* a freed or wrong object */
	ck_assert_ptr_null(nestio_veventq_ref(NULL));
	ck_assert_ptr_null(nestio_veventq_unref(NULL));
	ck_assert_int_eq(nestio_veventq_get_fd(NULL), -EINVAL);
	ck_assert_uint_eq(nestio_veventq_get_id((void *)ctx), 0);
	ck_assert_int_eq(nestio_veventq_set_handler(NULL, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(fv_reads, 0);
}
END_TEST

START_TEST(test_veventq_bad_read)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[2];

	fv_push(0, 0);
	ck_assert_int_eq(nestio_veventq_read(NULL, ev, 2), -EINVAL);
	ck_assert_int_eq(nestio_veventq_read(q, NULL, 2), -EINVAL);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 0), -EINVAL);
	ck_assert_int_eq(nestio_veventq_read((void *)viommu, ev, 2), -EINVAL);
	ck_assert_int_eq(fv_reads, 0);
	/* nothing there: 0, not -EAGAIN */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 2), 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 2), 0);
	nestio_veventq_unref(q);
}
END_TEST

START_TEST(test_seq_no_loss)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];

	for (int i = 0; i < 5; i++)
		fv_report();
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 5);
	for (uint32_t i = 0; i < 5; i++)
		expect_ev(&ev[i], i, 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 0);
	/* 5 events fit in the first read, which had room for 8: no second */
	ck_assert_int_eq(fv_reads, 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 0);
	nestio_veventq_unref(q);
}
END_TEST

START_TEST(test_seq_gaps)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];

	/* a gap with no header: the header gave way to a later event */
	fv_push(0, 0);
	fv_push(0, 3);
	fv_push(0, 4);
	fv_push(0, 10);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 4);
	expect_ev(&ev[0], 0, 0);
	expect_ev(&ev[1], 3, 2);
	expect_ev(&ev[2], 4, 0);
	expect_ev(&ev[3], 10, 5);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 7);
	nestio_veventq_unref(q);
}
END_TEST

/* the kernel's overflow: depth 2, five events, nothing read in between */
START_TEST(test_seq_lost_tail)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];

	fv_depth = 2;
	for (int i = 0; i < 5; i++)
		fv_report();
	/* 0, 1, then the header that moved along with 2, 3 and 4 */
	ck_assert_int_eq(fv_n, 3);
	ck_assert_uint_eq(fv_q[2].flags, LOST);
	ck_assert_uint_eq(fv_q[2].seq, 4);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], 0, 0);
	expect_ev(&ev[1], 1, 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 3);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 0);
	/* the next event carries the loss */
	fv_report();
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 5, 3);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 3);

	/* full again; the header is read, then an event replaces nothing */
	fv_report();
	fv_report();
	fv_report();	/* lost: 8 */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], 6, 0);
	expect_ev(&ev[1], 7, 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 4);
	/* full, a loss, then room and an event that replaces the header */
	fv_report();
	fv_report();
	fv_report();	/* 11 lost, header at the tail */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 1), 1);
	expect_ev(&ev[0], 9, 1);	/* 8 */
	fv_report();	/* 12: room for one, the header gives way */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], 10, 0);
	expect_ev(&ev[1], 12, 1);	/* 11, from the gap alone */
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 5);
	nestio_veventq_unref(q);
}
END_TEST

START_TEST(test_seq_lost_then_events)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];

	fv_push(LOST, 2);	/* 0, 1, 2 lost */
	fv_push(0, 3);
	fv_push(0, 4);
	fv_push(0, 6);		/* 5 lost */
	fv_push(LOST, 9);	/* 7, 8, 9 */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 3);
	expect_ev(&ev[0], 3, 3);
	expect_ev(&ev[1], 4, 0);
	expect_ev(&ev[2], 6, 1);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 7);
	/* two headers in a row before the next event add up on it */
	fv_push(LOST, 10);
	fv_push(0, 11);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 11, 4);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 8);
	nestio_veventq_unref(q);
}
END_TEST

START_TEST(test_seq_wrap)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];
	const uint32_t M = INT_MAX;
	uint64_t total;

	/* first event at INT_MAX - 1: everything before it was lost */
	fv_push(0, M - 1);
	fv_push(0, M);
	fv_push(0, 0);
	fv_push(0, 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 4);
	expect_ev(&ev[0], M - 1, M - 1);
	expect_ev(&ev[1], M, 0);
	expect_ev(&ev[2], 0, 0);	/* the wrap is no loss */
	expect_ev(&ev[3], 1, 0);
	total = nestio_veventq_get_lost(q);
	ck_assert_uint_eq(total, M - 1);

	/* gaps up to the wrap and across it */
	fv_push(0, M - 1);	/* 2 .. M-2 lost: M - 3 */
	fv_push(0, 3);		/* M, 0, 1, 2 lost: 4 */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], M - 1, M - 3);
	expect_ev(&ev[1], 3, 4);
	total += (uint64_t)(M - 3) + 4;
	ck_assert_uint_eq(nestio_veventq_get_lost(q), total);
	nestio_veventq_unref(q);
}
END_TEST

START_TEST(test_seq_lost_across_wrap)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];
	const uint32_t M = INT_MAX;

	/* the kernel model from INT_MAX - 2, depth 2 */
	fv_seq = M - 2;
	fv_push(0, M - 3);	/* sync: M - 3 lost before it */
	fv_depth = 2;
	fv_num = 1;
	fv_report();		/* M - 2 */
	fv_report();		/* M - 1: lost, header */
	fv_report();		/* M: lost */
	fv_report();		/* 0: lost */
	fv_report();		/* 1: lost, header seq 1 */
	ck_assert_uint_eq(fv_q[fv_n - 1].seq, 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], M - 3, M - 3);
	expect_ev(&ev[1], M - 2, 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), (uint64_t)(M - 3) + 4);
	fv_report();		/* 2 */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 2, 4);

	/* a header at INT_MAX exactly, then 0 */
	fv_push(LOST, M);	/* 3 .. M lost */
	fv_push(0, 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 0, M - 2);
	ck_assert_uint_eq(nestio_veventq_get_lost(q),
			  (uint64_t)(M - 3) + 4 + (M - 2));
	nestio_veventq_unref(q);
}
END_TEST

/* reads with room for fewer events than there are; whole events always */
START_TEST(test_short_reads)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[40];

	for (uint32_t s = 0; s < 3; s++)
		fv_push(0, s);
	fv_push(LOST, 5);
	for (uint32_t i = 0; i < 3; i++) {
		ck_assert_int_eq(nestio_veventq_read(q, ev, 1), 1);
		expect_ev(&ev[0], i, 0);
	}
	/* only the header is left: no event, but 3, 4, 5 are counted */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 1), 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 3);
	/* more than one read(2) holds: 37 events, 16 a read */
	fv_reads = 0;
	for (uint32_t s = 6; s < 43; s++)
		fv_push(0, s);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 40), 37);
	expect_ev(&ev[0], 6, 3);
	for (uint32_t i = 1; i < 37; i++)
		expect_ev(&ev[i], 6 + i, 0);
	ck_assert_int_eq(fv_reads, 3);
	/* max 20 of 25: 20, then 5 */
	for (uint32_t s = 43; s < 68; s++)
		fv_push(0, s);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 20), 20);
	expect_ev(&ev[19], 62, 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 20), 5);
	expect_ev(&ev[4], 67, 0);
	nestio_veventq_unref(q);
}
END_TEST

/* a type the library does not know: the record length is learned */
START_TEST(test_learn_len)
{
	struct nestio_veventq *q;
	struct nestio_vevent ev[8];

	fv_len = 4;
	q = new_q(RAW_TYPE);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 0);	/* empty */
	fv_push(LOST, 1);
	fv_push(0, 2);
	fv_push(0, 3);
	fv_push(0, 4);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 3);
	expect_ev(&ev[0], 2, 2);
	expect_ev(&ev[1], 3, 0);
	expect_ev(&ev[2], 4, 0);
	nestio_veventq_unref(q);

	/* 40 bytes: the reads for 8, 16, 24, 32 are refused, 48 takes it */
	fv_len = 40;
	fv_n = 0;
	q = new_q(RAW_TYPE);
	fv_push(0, 0);
	fv_push(0, 1);
	fv_reads = 0;
	ck_assert_int_eq(nestio_veventq_read(q, ev, 1), 1);
	expect_ev(&ev[0], 0, 0);
	ck_assert_int_eq(fv_reads, 5);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 1, 0);
	nestio_veventq_unref(q);

	/* 64 fits, 72 does not: -E2BIG, and the event stays */
	fv_len = 64;
	fv_n = 0;
	q = new_q(RAW_TYPE);
	fv_push(0, 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 0, 0);
	nestio_veventq_unref(q);
	fv_len = 72;
	fv_n = 0;
	q = new_q(RAW_TYPE);
	fv_push(0, 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), -E2BIG);
	ck_assert_int_eq(fv_n, 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), -E2BIG);
	nestio_veventq_unref(q);

	/* a known type whose records are not what the library knows */
	fv_len = 40;
	fv_n = 0;
	q = new_q(SMMU);
	fv_push(0, 0);
	fv_push(0, 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 1), -EIO);
	nestio_veventq_unref(q);
}
END_TEST

/* --------------------------------------------------------- fault queue */

START_TEST(test_fault_new)
{
	struct nestio_fault *f = NULL, *sentinel = (void *)&ff_ng;
	struct nestio_page_request req[2];
	uint32_t id;
	int fd;

	f = sentinel;
	EXPECT_NOIO(nestio_fault_new(NULL, &f), -EINVAL);
	EXPECT_NOIO(nestio_fault_new((void *)ioas, &f), -EINVAL);
	EXPECT_NOIO(nestio_fault_new(ctx, NULL), -EINVAL);
	fk_fail(KABI_IOMMU_FAULT_QUEUE_ALLOC, EOPNOTSUPP, 1);
	ck_assert_int_eq(nestio_fault_new(ctx, &f), -EOPNOTSUPP);
	ck_assert_ptr_eq(f, sentinel);
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_fault_new(ctx, &f), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_FAULT_QUEUE_ALLOC, kabi_fault_alloc, .flags = 0);
	fd = nestio_fault_get_fd(f);
	id = nestio_fault_get_id(f);
	ck_assert_uint_eq(id, fk_next_id - 1);
	ck_assert(tu_fd_is_cloexec(fd));
	ck_assert(nonblocking(fd));

	EXPECT_NOIO(nestio_fault_read_group(NULL, req, 2), -EINVAL);
	EXPECT_NOIO(nestio_fault_read_group(f, NULL, 2), -EINVAL);
	EXPECT_NOIO(nestio_fault_read_group(f, req, 0), -EINVAL);
	EXPECT_NOIO(nestio_fault_respond(NULL, 1, NESTIO_PAGE_RESP_SUCCESS), -EINVAL);
	EXPECT_NOIO(nestio_fault_respond(f, 1, 2), -EINVAL);
	EXPECT_NOIO(nestio_fault_set_handler((void *)ctx, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ff_reads + ff_writes, 0);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 2), 0);	/* empty */

	fk_watch_fd = fd;
	ck_assert_ptr_eq(nestio_fault_ref(f), f);
	ck_assert_ptr_null(nestio_fault_unref(f));
	ck_assert_int_eq(fk_nev, 0);
	ck_assert_ptr_null(nestio_fault_unref(f));
	ck_assert_int_eq(find_ev('D', id), 0);
	ck_assert(!fk_ev[0].watch_open);
}
END_TEST

START_TEST(test_fault_group_respond)
{
	struct nestio_fault *f = new_f();
	struct nestio_page_request req[4];
	uint32_t cookie;

	ff_group(1, 3);
	ff_g[0].rec[0].perm = KABI_PGFAULT_PERM_READ | KABI_PGFAULT_PERM_EXEC |
			      KABI_PGFAULT_PERM_PRIV;
	ck_assert_int_eq(nestio_fault_read_group(f, req, 4), 1);
	ck_assert_uint_eq(req[0].flags, NESTIO_PRQ_PASID_VALID | NESTIO_PRQ_LAST_PAGE);
	ck_assert_uint_eq(req[0].dev_id, 7);
	ck_assert_uint_eq(req[0].pasid, 5);
	ck_assert_uint_eq(req[0].grpid, 3);
	ck_assert_uint_eq(req[0].perm, NESTIO_PERM_READ | NESTIO_PERM_EXEC |
				       NESTIO_PERM_PRIV);
	ck_assert_uint_eq(req[0].addr, 0x30000);
	ck_assert_uint_eq(req[0].length, 0);
	ck_assert_uint_eq(req[0].reserved, 0);
	cookie = req[0].cookie;
	ck_assert_uint_eq(cookie, 1);

	/* unknown cookies never reach the kernel */
	ck_assert_int_eq(nestio_fault_respond(f, cookie + 1, NESTIO_PAGE_RESP_SUCCESS),
			 -ENOENT);
	ck_assert_int_eq(nestio_fault_respond(f, 0, NESTIO_PAGE_RESP_SUCCESS), -ENOENT);
	ck_assert_int_eq(ff_writes, 0);
	ck_assert_int_eq(nestio_fault_respond(f, cookie, NESTIO_PAGE_RESP_INVALID), 0);
	ck_assert_int_eq(ff_writes, 1);
	ck_assert_uint_eq(ff_last.cookie, cookie);
	ck_assert_uint_eq(ff_last.code, KABI_PAGE_RESP_INVALID);
	/* answered: a second answer is ours to refuse */
	ck_assert_int_eq(nestio_fault_respond(f, cookie, NESTIO_PAGE_RESP_SUCCESS),
			 -ENOENT);
	ck_assert_int_eq(ff_writes, 1);

	/* a write that fails keeps the cookie, unless the kernel forgot it */
	ff_group(1, 4);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 4), 1);
	cookie = req[0].cookie;
	ff_write_errno = EFAULT;
	ck_assert_int_eq(nestio_fault_respond(f, cookie, NESTIO_PAGE_RESP_SUCCESS),
			 -EFAULT);
	ff_write_errno = 0;
	ck_assert_int_eq(nestio_fault_respond(f, cookie, NESTIO_PAGE_RESP_SUCCESS), 0);
	ck_assert_uint_eq(ff_last.cookie, cookie);
	ck_assert_uint_eq(ff_last.code, KABI_PAGE_RESP_SUCCESS);
	ff_group(1, 5);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 4), 1);
	cookie = req[0].cookie;
	ff_nlive = 0;	/* the kernel answered it itself (detach) */
	ck_assert_int_eq(nestio_fault_respond(f, cookie, NESTIO_PAGE_RESP_SUCCESS),
			 -EINVAL);
	ck_assert_int_eq(nestio_fault_respond(f, cookie, NESTIO_PAGE_RESP_SUCCESS),
			 -ENOENT);
	nestio_fault_unref(f);
}
END_TEST

/* several groups in one read(2): each is returned alone, from the buffer */
START_TEST(test_fault_groups_buffered)
{
	struct nestio_fault *f = new_f();
	struct nestio_page_request req[8];
	uint32_t c1, c2;

	ff_group(3, 1);
	ff_group(2, 2);
	ff_group(1, 3);
	/* too small for the first group: -ENOSPC, and it is kept */
	ck_assert_int_eq(nestio_fault_read_group(f, req, 2), -ENOSPC);
	ck_assert_int_eq(ff_reads, 1);
	ck_assert_int_eq(ff_ng, 0);	/* all three were read */
	ck_assert_int_eq(nestio_fault_read_group(f, req, 8), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(req[i].grpid, 1);
		ck_assert_uint_eq(req[i].addr, 0x10000 + 0x1000 * (uint64_t)i);
		ck_assert_uint_eq(req[i].flags & NESTIO_PRQ_LAST_PAGE,
				  i == 2 ? NESTIO_PRQ_LAST_PAGE : 0);
	}
	c1 = req[0].cookie;
	ck_assert_int_eq(nestio_fault_read_group(f, req, 2), 2);
	c2 = req[0].cookie;
	ck_assert_uint_ne(c1, c2);
	ck_assert_uint_eq(req[1].cookie, c2);
	ck_assert_uint_eq(req[1].grpid, 2);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 1), 1);
	ck_assert_uint_eq(req[0].grpid, 3);
	ck_assert_int_eq(ff_reads, 1);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 1), 0);
	ck_assert_int_eq(ff_reads, 2);
	/* answered in any order */
	ck_assert_int_eq(nestio_fault_respond(f, c2, NESTIO_PAGE_RESP_SUCCESS), 0);
	ck_assert_int_eq(nestio_fault_respond(f, c1, NESTIO_PAGE_RESP_SUCCESS), 0);
	ck_assert_int_eq(nestio_fault_respond(f, req[0].cookie, NESTIO_PAGE_RESP_SUCCESS), 0);
	ck_assert_int_eq(ff_nlive, 0);

	/* a group larger than the library's first buffer (64 records) */
	ff_group(150, 9);
	{
		struct nestio_page_request *big = calloc(150, sizeof(*big));

		ck_assert_ptr_nonnull(big);
		ck_assert_int_eq(nestio_fault_read_group(f, big, 150), 150);
		ck_assert_uint_eq(big[149].addr, 0x90000 + 0x1000 * 149ull);
		ck_assert_uint_eq(big[149].flags & NESTIO_PRQ_LAST_PAGE,
				  NESTIO_PRQ_LAST_PAGE);
		free(big);
	}
	nestio_fault_unref(f);
}
END_TEST

/* records that do not come as whole groups are held until the group is */
START_TEST(test_fault_partial_groups)
{
	struct nestio_fault *f = new_f();
	struct nestio_page_request req[8];
	struct kabi_hwpt_pgfault a[3] = { pf(1, 0x1000, false), pf(1, 0x2000, false),
					  pf(1, 0x3000, true) };
	uint32_t ta, t21;
	struct kabi_hwpt_pgfault b[2] = { pf(2, 0x5000, false), pf(2, 0x6000, true) };

	for (int i = 0; i < 3; i++)
		a[i].cookie = 11;
	for (int i = 0; i < 2; i++)
		b[i].cookie = 12;
	memcpy(ff_chunk[0], a, 2 * REC);		/* a0 a1 */
	ff_chunk_len[0] = 2 * REC;
	memcpy(ff_chunk[1], &a[2], REC);		/* a2 b0 */
	memcpy(ff_chunk[1] + REC, b, REC);
	ff_chunk_len[1] = 2 * REC;
	memcpy(ff_chunk[2], &b[1], REC);		/* b1 */
	ff_chunk_len[2] = REC;
	ff_nchunks = 3;
	ff_chunk_next = 0;

	/* a0 a1, then nothing: no complete group */
	ff_chunk_next = 0;
	ff_nchunks = 1;
	ck_assert_int_eq(nestio_fault_read_group(f, req, 8), 0);
	ff_nchunks = 3;
	ck_assert_int_eq(nestio_fault_read_group(f, req, 8), 3);
	ck_assert_uint_eq(req[0].addr, 0x1000);
	ck_assert_uint_eq(req[2].addr, 0x3000);
	/* a group's requests share one token (not the kernel's cookie,
	 * which the kernel reuses as soon as a group is answered) */
	ta = req[0].cookie;
	ck_assert_uint_ne(ta, 0);
	ck_assert_uint_eq(req[2].cookie, ta);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 8), 2);
	ck_assert_uint_eq(req[0].addr, 0x5000);
	ck_assert_uint_eq(req[1].cookie, req[0].cookie);
	ck_assert_uint_ne(req[0].cookie, ta);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 8), 0);

	/* a cookie that changes also ends a group (the cookie names it) */
	a[0].cookie = a[1].cookie = 21;
	b[1].cookie = 22;
	memcpy(ff_chunk[0], a, 2 * REC);
	memcpy(ff_chunk[0] + 2 * REC, &b[1], REC);
	ff_chunk_len[0] = 3 * REC;
	ff_nchunks = 1;
	ff_chunk_next = 0;
	ck_assert_int_eq(nestio_fault_read_group(f, req, 8), 2);
	t21 = req[1].cookie;
	ck_assert_uint_eq(req[1].flags & NESTIO_PRQ_LAST_PAGE, 0);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 8), 1);
	ck_assert_uint_ne(req[0].cookie, t21);
	ck_assert_int_eq(nestio_fault_respond(f, t21, NESTIO_PAGE_RESP_SUCCESS), -EINVAL);
	ck_assert_int_eq(ff_writes, 1);	/* 21 was ours to answer; the fake
					 * kernel never gave it */
	ck_assert_uint_eq(ff_last.cookie, 21);	/* the kernel's cookie went out */

	/* the kernel answered a group itself (its device left the hwpt) and
	 * hands the same cookie to a new group: the stale token must not
	 * answer the new group, and the new token must */
	a[0] = pf(3, 0x7000, true);
	a[0].cookie = 31;
	memcpy(ff_chunk[0], a, REC);
	ff_chunk_len[0] = REC;
	ff_nchunks = 1;
	ff_chunk_next = 0;
	ck_assert_int_eq(nestio_fault_read_group(f, req, 8), 1);
	ta = req[0].cookie;
	b[0] = pf(4, 0x8000, true);
	b[0].cookie = 31;		/* reused by the kernel */
	memcpy(ff_chunk[0], b, REC);
	ff_chunk_next = 0;
	ck_assert_int_eq(nestio_fault_read_group(f, req, 8), 1);
	ck_assert_uint_eq(req[0].addr, 0x8000);
	ck_assert_uint_ne(req[0].cookie, ta);
	ck_assert_int_eq(nestio_fault_respond(f, ta, NESTIO_PAGE_RESP_INVALID), -ENOENT);
	ck_assert_int_eq(ff_writes, 1);		/* nothing written for it */
	nestio_fault_respond(f, req[0].cookie, NESTIO_PAGE_RESP_SUCCESS);
	ck_assert_int_eq(ff_writes, 2);
	ck_assert_uint_eq(ff_last.cookie, 31);
	ck_assert_uint_eq(ff_last.code, KABI_PAGE_RESP_SUCCESS);
	nestio_fault_unref(f);
}
END_TEST

/* ---------------------------------------------------- SMMUv3 records */

START_TEST(test_decode_smmuv3)
{
	/* F_TRANSLATION for virtual SID 0x42, SSID 5, a privileged read of
	 * 0x7f0000401000, table-walk class, stage 1 */
	struct nestio_vevent ev = { .len = 32 };
	struct nestio_smmuv3_event e;

	ev.data[0] = htole64(0x10 | 1ull << 11 | 5ull << 12 | 0x42ull << 32);
	ev.data[1] = htole64(0x1234 | 1ull << 33 | 1ull << 35 | 1ull << 40);
	ev.data[2] = htole64(0x7f0000401000ull);
	ev.data[3] = htole64(0x000fffffffffffffull);
	ck_assert_int_eq(nestio_vevent_decode_smmuv3(&ev, &e), 0);
	ck_assert_uint_eq(e.id, NESTIO_SMMUV3_EVT_TRANSLATION);
	ck_assert_uint_eq(e.sid, 0x42);
	ck_assert_uint_eq(e.ssid, 5);
	ck_assert_uint_eq(e.flags, NESTIO_SMMUV3_EVF_SSV | NESTIO_SMMUV3_EVF_PRIV |
				   NESTIO_SMMUV3_EVF_READ);
	ck_assert_uint_eq(e.stag, 0x1234);
	ck_assert_uint_eq(e.fault_class, 1);
	ck_assert_uint_eq(e.addr, 0x7f0000401000ull);
	ck_assert_uint_eq(e.ipa, 0x000ffffffffff000ull);
	ck_assert_uint_eq(e.fetch_addr, 0x000ffffffffffff8ull);
	/* every flag bit, each on its own */
	ev.data[0] = htole64(0x13);
	ev.data[1] = htole64(1ull << 31 | 1ull << 34 | 1ull << 39);
	ck_assert_int_eq(nestio_vevent_decode_smmuv3(&ev, &e), 0);
	ck_assert_uint_eq(e.id, NESTIO_SMMUV3_EVT_PERMISSION);
	ck_assert_uint_eq(e.flags, NESTIO_SMMUV3_EVF_STALL | NESTIO_SMMUV3_EVF_INSTR |
				   NESTIO_SMMUV3_EVF_S2);
	ck_assert_uint_eq(e.sid, 0);
	/* a record shorter than SMMUv3's, and NULLs */
	ev.len = 4;
	ck_assert_int_eq(nestio_vevent_decode_smmuv3(&ev, &e), -EINVAL);
	ck_assert_int_eq(nestio_vevent_decode_smmuv3(NULL, &e), -EINVAL);
	ev.len = 32;
	ck_assert_int_eq(nestio_vevent_decode_smmuv3(&ev, NULL), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------ dispatch */

static struct {
	int vcalls, fcalls;
	struct nestio_vevent ev[64];
	struct nestio_page_request g[8];
	unsigned int gn[8];
	void *vdata, *fdata;
	struct nestio_veventq *q;
	struct nestio_fault *f;
} seen;

static void on_vevent(struct nestio_veventq *q, const struct nestio_vevent *ev,
		      void *data)
{
	ck_assert_ptr_eq(q, seen.q);
	seen.vdata = data;
	seen.ev[seen.vcalls++] = *ev;
}

static void on_group(struct nestio_fault *f, const struct nestio_page_request *g,
		     unsigned int n, void *data)
{
	ck_assert_ptr_eq(f, seen.f);
	seen.fdata = data;
	seen.gn[seen.fcalls] = n;
	seen.g[seen.fcalls++] = g[n - 1];
	/* the VMM answers from the handler */
	ck_assert_int_eq(nestio_fault_respond(f, g[0].cookie, NESTIO_PAGE_RESP_SUCCESS), 0);
}

START_TEST(test_dispatch)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_fault *f = new_f();
	int vfd = nestio_veventq_get_fd(q), ffd = nestio_fault_get_fd(f);
	int tag;

	memset(&seen, 0, sizeof(seen));
	seen.q = q;
	seen.f = f;
	ck_assert_int_ne(vfd, ffd);
	/* no handler yet: nothing read */
	fv_push(0, 0);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, vfd), -ENOENT);
	ck_assert_int_eq(fv_reads, 0);
	ck_assert_int_eq(nestio_veventq_set_handler(q, on_vevent, &tag), 0);
	ck_assert_int_eq(nestio_fault_set_handler(f, on_group, &seen), 0);

	fv_push(0, 1);
	fv_push(0, 3);
	ff_group(2, 1);
	ff_group(1, 2);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, vfd), 3);
	ck_assert_int_eq(seen.vcalls, 3);
	ck_assert_int_eq(seen.fcalls, 0);
	ck_assert_ptr_eq(seen.vdata, &tag);
	expect_ev(&seen.ev[0], 0, 0);
	expect_ev(&seen.ev[2], 3, 1);
	ck_assert_int_eq(ff_reads, 0);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, ffd), 2);
	ck_assert_int_eq(seen.fcalls, 2);
	ck_assert_uint_eq(seen.gn[0], 2);
	ck_assert_uint_eq(seen.g[0].grpid, 1);
	ck_assert_uint_eq(seen.gn[1], 1);
	ck_assert_uint_eq(seen.g[1].grpid, 2);
	ck_assert_ptr_eq(seen.fdata, &seen);
	ck_assert_int_eq(ff_writes, 2);
	ck_assert_int_eq(ff_nlive, 0);
	ck_assert_int_eq(seen.vcalls, 3);
	/* nothing there: 0 */
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, vfd), 0);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, ffd), 0);
	/* many events: all of them, in order */
	for (uint32_t s = 4; s < 44; s++)
		fv_push(0, s);
	seen.vcalls = 0;
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, vfd), 40);
	ck_assert_int_eq(seen.vcalls, 40);
	for (uint32_t i = 0; i < 40; i++)
		expect_ev(&seen.ev[i], 4 + i, 0);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, -1), -EINVAL);
	ck_assert_int_eq(nestio_ctx_dispatch(NULL, vfd), -EINVAL);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, 1000), -ENOENT);
	nestio_veventq_unref(q);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, vfd), -ENOENT);
	nestio_fault_unref(f);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, ffd), -ENOENT);
}
END_TEST

/* the handler may drop the last reference; the drain keeps its own */
static void unref_self(struct nestio_veventq *q, const struct nestio_vevent *ev,
		       void *data)
{
	int *n = data;

	(void)ev;
	if ((*n)++ == 0)
		nestio_veventq_unref(q);
}

START_TEST(test_dispatch_unref_in_handler)
{
	struct nestio_veventq *q = new_q(SMMU);
	int fd = nestio_veventq_get_fd(q), n = 0;
	uint32_t id = nestio_veventq_get_id(q);

	nestio_veventq_set_handler(q, unref_self, &n);
	fv_push(0, 0);
	fv_push(0, 1);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd), 2);
	ck_assert_int_eq(n, 2);
	ck_assert_int_ge(find_ev('D', id), 0);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, fd), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("events");
	TCase *tc;

	tc = fk_tcase(s, "veventq", setup, teardown);
	tcase_add_test(tc, test_veventq_new);
	tcase_add_test(tc, test_veventq_bad_read);
	tcase_add_test(tc, test_seq_no_loss);
	tcase_add_test(tc, test_seq_gaps);
	tcase_add_test(tc, test_decode_smmuv3);
	tcase_add_test(tc, test_seq_lost_tail);
	tcase_add_test(tc, test_seq_lost_then_events);
	tcase_add_test(tc, test_seq_wrap);
	tcase_add_test(tc, test_seq_lost_across_wrap);
	tcase_add_test(tc, test_short_reads);
	tcase_add_test(tc, test_learn_len);
	tc = fk_tcase(s, "fault", setup, teardown);
	tcase_add_test(tc, test_fault_new);
	tcase_add_test(tc, test_fault_group_respond);
	tcase_add_test(tc, test_fault_groups_buffered);
	tcase_add_test(tc, test_fault_partial_groups);
	tc = fk_tcase(s, "dispatch", setup, teardown);
	tcase_add_test(tc, test_dispatch);
	tcase_add_test(tc, test_dispatch_unref_in_handler);
	return tu_run(s);
}
