// SPDX-License-Identifier: LGPL-2.1-or-later
/* The vEVENTQ and fault-queue tests' fake queue files and fixture
 * (fake-eventq.h). */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "fake-eventq.h"

/* ------------------------------------------------ the fake vEVENTQ file */

struct fv_ent fv_q[64];
int fv_n;		/* entries in the list */
int fv_fd = -1;
int fv_reads;
uint32_t fv_depth = 1000, fv_num, fv_seq;	/* the kernel model */
uint32_t fv_len = 32;	/* record length the "driver" reports */

void fv_append(uint32_t flags, uint32_t seq, uint32_t len)
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
void fv_push(uint32_t flags, uint32_t seq)
{
	fv_append(flags, seq, fv_len);
}

/* iommufd_viommu_report_event() + iommufd_vevent_handler() */
void fv_report(void)
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


struct ff_group ff_g[8];
int ff_ng;
int ff_fd = -1;
int ff_reads, ff_writes;
uint32_t ff_next_cookie;
uint32_t ff_live[64];	/* cookies read and not answered */
int ff_nlive;
struct kabi_hwpt_page_response ff_last;	/* what was written */
int ff_write_errno;	/* fail writes with this */
/* script mode: read(2) returns these byte strings, one per call */
uint8_t ff_chunk[4][8 * REC];
size_t ff_chunk_len[4];
int ff_nchunks, ff_chunk_next;

struct kabi_hwpt_pgfault pf(uint32_t grpid, uint64_t addr, bool last)
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
void ff_group(int n, uint32_t grpid)
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

int other_reads;

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

struct nestio_hwpt *parent;
struct nestio_viommu *viommu;	/* id 102 */

void eventq_setup(void)
{
	setup_objs();
	tu_seam_answer = fk_events;
	tu_read_hook = fake_read;
	tu_write_hook = fake_write;
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

void eventq_teardown(void)
{
	viommu = nestio_viommu_unref(viommu);
	parent = nestio_hwpt_unref(parent);
	tu_read_hook = NULL;
	tu_write_hook = NULL;
	ck_assert_int_eq(other_reads, 0);
	teardown_objs();
}

struct nestio_veventq *new_q(uint32_t type)
{
	struct nestio_veventq *q = NULL;

	ck_assert_int_eq(nestio_veventq_new(viommu, type, 16, &q), 0);
	ck_assert_int_eq(nestio_veventq_get_fd(q), fv_fd);
	return q;
}

struct nestio_fault *new_f(void)
{
	struct nestio_fault *f = NULL;

	ck_assert_int_eq(nestio_fault_new(ctx, &f), 0);
	ck_assert_int_eq(nestio_fault_get_fd(f), ff_fd);
	return f;
}

bool nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_NONBLOCK);
}

/* one event, as read: its sequence, lost count, and the fake's record */
void expect_ev(const struct nestio_vevent *e, uint32_t seq, uint32_t lost)
{
	ck_assert_uint_eq(e->sequence, seq);
	ck_assert_uint_eq(e->lost, lost);
	ck_assert_uint_eq(e->len, fv_len);
	for (uint32_t i = 0; i < fv_len; i++)
		ck_assert_uint_eq(((const uint8_t *)e->data)[i], (uint8_t)(seq * 7 + i));
	for (uint32_t i = fv_len; i < sizeof(e->data); i++)
		ck_assert_uint_eq(((const uint8_t *)e->data)[i], 0);
}
