// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: the fault queue against the kernel's IOMMUFD_TEST mock (fixture
 * and triggers: mock-eventq.h): page requests answered (a second answer
 * fails cleanly), a fault queue pinned by its hwpt, and dispatch of both
 * queues from poll(2).
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>

#include "mock-eventq.h"

static struct {
	int vcalls, fcalls;
	uint32_t seq[8];
	struct nestio_page_request req;
	unsigned int n;
} seen;

static void on_vevent(struct nestio_veventq *q, const struct nestio_vevent *ev,
		      void *data)
{
	(void)q;
	ck_assert_ptr_eq(data, &seen);
	expect_ev(ev, ev->sequence, 0);
	seen.seq[seen.vcalls++] = ev->sequence;
}

static void on_group(struct nestio_fault *f, const struct nestio_page_request *g,
		     unsigned int n, void *data)
{
	(void)data;
	seen.req = g[0];
	seen.n = n;
	seen.fcalls++;
	ck_assert_int_eq(nestio_fault_respond(f, g[0].cookie, NESTIO_PAGE_RESP_SUCCESS), 0);
}

START_TEST(test_dispatch_poll)
{
	struct nestio_fault *f = NULL;
	struct nestio_hwpt *n;
	struct nestio_veventq *q;
	struct pollfd p[2];
	uint32_t fid;

	ck_assert_int_eq(nestio_fault_new(ctx, &f), 0);
	n = attach_nested(f);
	q = new_q(8);
	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(nestio_veventq_set_handler(q, on_vevent, &seen), 0);
	ck_assert_int_eq(nestio_fault_set_handler(f, on_group, NULL), 0);
	p[0] = (struct pollfd){ .fd = nestio_veventq_get_fd(q), .events = POLLIN };
	p[1] = (struct pollfd){ .fd = nestio_fault_get_fd(f), .events = POLLIN };
	ck_assert_int_eq(poll(p, 2, 0), 0);

	ck_assert_int_eq(trigger_vevent(), 0);
	ck_assert_int_eq(trigger_vevent(), 0);
	ck_assert_int_eq(poll(p, 2, 1000), 1);
	ck_assert(p[0].revents & POLLIN);
	ck_assert_int_eq(p[1].revents, 0);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, p[0].fd), 2);
	ck_assert_int_eq(seen.vcalls, 2);
	ck_assert_uint_eq(seen.seq[0], 0);
	ck_assert_uint_eq(seen.seq[1], 1);
	ck_assert_int_eq(seen.fcalls, 0);
	ck_assert(!readable(p[0].fd));

	ck_assert_int_eq(trigger_iopf(3, 1, KABI_PGFAULT_PERM_READ, 0x7000), 0);
	ck_assert(readable(p[1].fd));
	ck_assert(!readable(p[0].fd));
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, p[1].fd), 1);
	ck_assert_int_eq(seen.fcalls, 1);
	ck_assert_uint_eq(seen.n, 1);
	ck_assert_uint_eq(seen.req.addr, 0x7000);
	ck_assert_uint_eq(seen.req.pasid, 3);
	ck_assert(!readable(p[1].fd));
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, p[1].fd), 0);
	ck_assert_int_eq(seen.vcalls, 2);

	/* the HWPT holds the fault queue in the kernel: it goes first (with
	 * the device, which pins it, and which its vDEVICE pins) */
	nestio_veventq_unref(q);
	nestio_hwpt_unref(n);
	vdev = nestio_vdevice_unref(vdev);
	dev = nestio_device_unref(dev);
	fid = nestio_fault_get_id(f);
	ck_assert(tu_kernel_has(ifd, fid));
	nestio_fault_unref(f);
	ck_assert(!tu_kernel_has(ifd, fid));
}
END_TEST

START_TEST(test_fault)
{
	struct nestio_page_request req[4];
	struct nestio_fault *f = NULL;
	struct nestio_hwpt *n;
	uint32_t fid, nid, cookie[3];
	int r;

	r = nestio_fault_new(ctx, &f);
	if (tu_is_feature_missing(r))
		tu_skip("no fault queue in this kernel");
	ck_assert_int_eq(r, 0);
	fid = nestio_fault_get_id(f);
	ck_assert_uint_ne(fid, 0);
	ck_assert(tu_kernel_has(ifd, fid));
	ck_assert(tu_fd_is_cloexec(nestio_fault_get_fd(f)));
	ck_assert(fcntl(nestio_fault_get_fd(f), F_GETFL) & O_NONBLOCK);
	n = attach_nested(f);
	nid = nestio_hwpt_get_id(n);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 4), 0);

	/* a page request with a PASID */
	ck_assert_int_eq(trigger_iopf(5, 2, KABI_PGFAULT_PERM_READ |
					   KABI_PGFAULT_PERM_WRITE, 0xdeadb000), 0);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 4), 1);
	ck_assert_uint_eq(req[0].flags, NESTIO_PRQ_PASID_VALID | NESTIO_PRQ_LAST_PAGE);
	ck_assert_uint_eq(req[0].dev_id, nestio_device_get_id(dev));
	ck_assert_uint_eq(req[0].pasid, 5);
	ck_assert_uint_eq(req[0].grpid, 2);
	ck_assert_uint_eq(req[0].perm, NESTIO_PERM_READ | NESTIO_PERM_WRITE);
	ck_assert_uint_eq(req[0].addr, 0xdeadb000);
	ck_assert_uint_ne(req[0].cookie, 0);
	cookie[0] = req[0].cookie;
	ck_assert_int_eq(nestio_fault_respond(f, cookie[0] + 100, NESTIO_PAGE_RESP_SUCCESS),
			 -ENOENT);
	ck_assert_int_eq(nestio_fault_respond(f, cookie[0], 7), -EINVAL);
	ck_assert_int_eq(nestio_fault_respond(f, cookie[0], NESTIO_PAGE_RESP_SUCCESS), 0);
	ck_assert_int_eq(nestio_fault_respond(f, cookie[0], NESTIO_PAGE_RESP_SUCCESS),
			 -ENOENT);

	/* three groups (two at the RID, one with a PASID), read one by one */
	ck_assert_int_eq(trigger_iopf(0, 1, KABI_PGFAULT_PERM_EXEC, 0x1000), 0);
	ck_assert_int_eq(trigger_iopf(0, 2, KABI_PGFAULT_PERM_READ |
					   KABI_PGFAULT_PERM_PRIV, 0x2000), 0);
	ck_assert_int_eq(trigger_iopf(7, 3, KABI_PGFAULT_PERM_WRITE, 0x3000), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(nestio_fault_read_group(f, req, 1), 1);
		ck_assert_uint_eq(req[0].addr, 0x1000 * (uint64_t)(i + 1));
		ck_assert_uint_eq(req[0].grpid, (uint32_t)i + 1);
		cookie[i] = req[0].cookie;
	}
	ck_assert_uint_eq(req[0].flags, NESTIO_PRQ_PASID_VALID | NESTIO_PRQ_LAST_PAGE);
	ck_assert_uint_ne(cookie[0], cookie[1]);
	ck_assert_uint_ne(cookie[1], cookie[2]);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 1), 0);
	/* answered out of order, one INVALID */
	ck_assert_int_eq(nestio_fault_respond(f, cookie[1], NESTIO_PAGE_RESP_INVALID), 0);
	ck_assert_int_eq(nestio_fault_respond(f, cookie[2], NESTIO_PAGE_RESP_SUCCESS), 0);
	ck_assert_int_eq(nestio_fault_respond(f, cookie[0], NESTIO_PAGE_RESP_SUCCESS), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(nestio_fault_respond(f, cookie[i], NESTIO_PAGE_RESP_SUCCESS),
				 -ENOENT);

	/* an unanswered group when everything goes: the kernel answers it */
	ck_assert_int_eq(trigger_iopf(0, 4, KABI_PGFAULT_PERM_READ, 0x4000), 0);
	ck_assert_int_eq(nestio_fault_read_group(f, req, 1), 1);
	ck_assert_uint_eq(req[0].flags, NESTIO_PRQ_LAST_PAGE);
	ck_assert_uint_eq(req[0].perm, NESTIO_PERM_READ);
	/* the HWPT holds the fault queue in the kernel: it goes first (with
	 * the device, which pins it, and which its vDEVICE pins) */
	nestio_hwpt_unref(n);
	ck_assert(tu_kernel_has(ifd, nid));
	vdev = nestio_vdevice_unref(vdev);
	ck_assert(tu_kernel_has(ifd, nid));
	dev = nestio_device_unref(dev);
	ck_assert(!tu_kernel_has(ifd, nid));
	ck_assert(tu_kernel_has(ifd, fid));
	nestio_fault_unref(f);
	ck_assert(!tu_kernel_has(ifd, fid));
}
END_TEST

/* An hwpt reporting into a fault queue pins it: the queue can go first. */
START_TEST(test_fault_pinned)
{
	struct nestio_hwpt_nested_opts o = { .sz = sizeof(o) };
	struct nestio_fault *f = NULL;
	struct nestio_hwpt *n = NULL;
	uint32_t fid, nid;

	ck_assert_int_eq(nestio_fault_new(ctx, &f), 0);
	fid = nestio_fault_get_id(f);
	o.fault_id = fid;
	ck_assert_int_eq(nestio_hwpt_new_nested(dev, parent, &tu_mock_s1, &o, &n), 0);
	nid = nestio_hwpt_get_id(n);
	f = nestio_fault_unref(f);
	ck_assert(tu_kernel_has(ifd, fid));	/* pinned, not busy-failed */
	n = nestio_hwpt_unref(n);
	ck_assert(!tu_kernel_has(ifd, nid));
	ck_assert(!tu_kernel_has(ifd, fid));	/* gone with the hwpt */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fault-mock");
	TCase *tc = tcase_create("fault-mock");

	tu_require_mock();
	tcase_add_checked_fixture(tc, eventq_mock_setup, eventq_mock_teardown);
	tcase_add_test(tc, test_dispatch_poll);
	tcase_add_test(tc, test_fault);
	tcase_add_test(tc, test_fault_pinned);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
