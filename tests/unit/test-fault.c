// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1: the fault queue against the fake queue file of fake-eventq.h:
 * page-request groups read whole (the last-page flag closes a group),
 * buffered and partial groups, answers by cookie.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-eventq.h"

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

/*
 * A group over the library's limit (65536 requests) would wedge the queue:
 * the kernel hands out whole groups only, so every later read would fail.
 * The library reads it anyway, answers it INVALID, reports -ENOBUFS once,
 * and the groups behind it come next. The kernel here: one group of
 * GIANT requests (cookie 500), then one of two (cookie 501).
 */
#define GIANT 70000u
static bool giant_left, small_left;
static int giant_reads, giant_answers;
static struct kabi_hwpt_page_response giant_resp;
static ssize_t (*fake_rd)(int, void *, size_t);
static ssize_t (*fake_wr)(int, const void *, size_t);

static void put_rec(uint8_t *buf, size_t i, uint32_t cookie, bool last)
{
	struct kabi_hwpt_pgfault r = pf(cookie, 0x1000 * (uint64_t)i, last);

	r.cookie = cookie;
	memcpy(buf + i * REC, &r, REC);
}

static ssize_t giant_read(int fd, void *buf, size_t count)
{
	size_t done = 0;

	if (fd != ff_fd)
		return fake_rd(fd, buf, count);
	giant_reads++;
	if (giant_left) {
		if (count < GIANT * REC) {
			errno = EINVAL;
			return -1;
		}
		for (size_t i = 0; i < GIANT; i++)
			put_rec(buf, i, 500, i == GIANT - 1);
		done = GIANT * REC;
		giant_left = false;
	}
	if (small_left && count - done >= 2 * REC) {
		put_rec((uint8_t *)buf + done, 0, 501, false);
		put_rec((uint8_t *)buf + done, 1, 501, true);
		done += 2 * REC;
		small_left = false;
	}
	return (ssize_t)done;
}

static ssize_t giant_write(int fd, const void *buf, size_t len)
{
	if (fd != ff_fd)
		return fake_wr(fd, buf, len);
	ck_assert_uint_eq(len, sizeof(giant_resp));
	memcpy(&giant_resp, buf, len);
	giant_answers++;
	return (ssize_t)len;
}

static ssize_t always_einval(int fd, void *buf, size_t count)
{
	if (fd != ff_fd)
		return fake_rd(fd, buf, count);
	giant_reads++;
	errno = EINVAL;
	return -1;
}

static int giant_groups;
static unsigned int giant_n;

static void on_giant(struct nestio_fault *f, const struct nestio_page_request *g,
		     unsigned int n, void *data)
{
	(void)f; (void)g; (void)data;
	giant_groups++;
	giant_n = n;
}

START_TEST(test_fault_group_over_limit)
{
	struct nestio_fault *f = new_f();
	struct nestio_page_request req[4];

	fake_rd = tu_read_hook;
	fake_wr = tu_write_hook;
	tu_read_hook = giant_read;
	tu_write_hook = giant_write;
	giant_left = small_left = true;
	giant_answers = 0;
	ck_assert_int_eq(nestio_fault_read_group(f, req, 4), -ENOBUFS);
	ck_assert(!giant_left);
	ck_assert_int_eq(giant_answers, 1);
	ck_assert_uint_eq(giant_resp.cookie, 500);
	ck_assert_uint_eq(giant_resp.code, KABI_PAGE_RESP_INVALID);
	/* the group behind it (read with it, or next): not lost */
	ck_assert_int_eq(nestio_fault_read_group(f, req, 4), 2);
	ck_assert_uint_eq(req[0].grpid, 501);
	ck_assert(req[1].flags & NESTIO_PRQ_LAST_PAGE);
	ck_assert_int_eq(nestio_fault_respond(f, req[0].cookie,
					      NESTIO_PAGE_RESP_SUCCESS), 0);
	ck_assert_int_eq(giant_answers, 2);
	ck_assert_uint_eq(giant_resp.cookie, 501);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 4), 0);

	/* dispatch: the other group is handled, then -ENOBUFS; then quiet */
	ck_assert_int_eq(nestio_fault_set_handler(f, on_giant, NULL), 0);
	giant_left = small_left = true;
	giant_groups = 0;
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, nestio_fault_get_fd(f)), -ENOBUFS);
	ck_assert_int_eq(giant_groups, 1);
	ck_assert_uint_eq(giant_n, 2);
	ck_assert_int_eq(giant_answers, 3);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, nestio_fault_get_fd(f)), 0);

	/* a group too big to read at all: -EMSGSIZE, every time, and the
	 * dispatch does not spin on it */
	tu_read_hook = always_einval;
	giant_reads = 0;
	ck_assert_int_eq(nestio_fault_read_group(f, req, 4), -EMSGSIZE);
	ck_assert_int_gt(giant_reads, 1);
	ck_assert_int_lt(giant_reads, 32);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, nestio_fault_get_fd(f)), -EMSGSIZE);
	ck_assert_int_eq(giant_answers, 3);
	tu_read_hook = fake_rd;
	tu_write_hook = fake_wr;
	nestio_fault_unref(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = fk_tcase(s, "fault", eventq_setup, eventq_teardown);

	tcase_add_test(tc, test_fault_new);
	tcase_add_test(tc, test_fault_group_respond);
	tcase_add_test(tc, test_fault_groups_buffered);
	tcase_add_test(tc, test_fault_partial_groups);
	tcase_add_test(tc, test_fault_group_over_limit);
	return tu_run(s);
}
