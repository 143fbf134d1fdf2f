// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1: nestio_ctx_dispatch() over a vEVENTQ and a fault queue (the fake
 * queue files of fake-eventq.h): each fd to its handler, and a handler
 * that drops the last reference.
 */
#include <fcntl.h>
#include <string.h>

#include "fake-eventq.h"

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
	Suite *s = suite_create("dispatch");
	TCase *tc = fk_tcase(s, "dispatch", eventq_setup, eventq_teardown);

	tcase_add_test(tc, test_dispatch);
	tcase_add_test(tc, test_dispatch_unref_in_handler);
	return tu_run(s);
}
