// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: vEVENTQ and fault queue against the kernel's IOMMUFD_TEST mock.
 *
 * The mock raises a vEVENT (type SELFTEST, record: the vDEVICE's virtual id)
 * for a device attached to a nested hwpt on its vIOMMU, once a vDEVICE
 * names it; and a page fault (always one page, LAST_PAGE, so every group
 * has one request) for a device attached to an hwpt that has a fault
 * queue. Its vIOMMU keeps a user PASID table, so a fault on any PASID goes
 * to the nested hwpt at the RID.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

#define VIRT_ID 0x42

static struct nestio_ctx *ctx;
static struct nestio_ioas *ioas;
static struct nestio_device *dev;
static struct nestio_hwpt *parent;
static struct nestio_viommu *viommu;
static struct nestio_vdevice *vdev;
static int ifd;

static void setup(void)
{
	tu_mock_nest_setup(MOCK_FLAGS_DEVICE_PASID, &ctx, &ioas, &dev, &parent);
	ifd = nestio_ctx_get_fd(ctx);
	ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &viommu), 0);
	ck_assert_int_eq(nestio_vdevice_new(viommu, dev, VIRT_ID, &vdev), 0);
}

static void teardown(void)
{
	vdev = nestio_vdevice_unref(vdev);
	viommu = nestio_viommu_unref(viommu);
	dev = nestio_device_unref(dev);
	parent = nestio_hwpt_unref(parent);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
}

/* a nested hwpt on the vIOMMU (with a fault queue, if f), at the RID */
static struct nestio_hwpt *attach_nested(struct nestio_fault *f)
{
	struct nestio_hwpt_nested_opts o = {
		.sz = sizeof(o),
		.fault_id = nestio_fault_get_id(f),
	};
	struct nestio_hwpt *n = NULL;

	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(dev, viommu, &tu_mock_s1,
						       &o, &n), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, n), 0);
	return n;
}

static int trigger_vevent(void)
{
	struct mock_cmd c = { .size = sizeof(c), .op = MOCK_OP_TRIGGER_VEVENT };

	c.trigger_vevent.dev_id = nestio_device_get_id(dev);
	return ioctl(ifd, MOCK_IOMMU_TEST_CMD, &c) < 0 ? -errno : 0;
}

static int trigger_iopf(uint32_t pasid, uint32_t grpid, uint32_t perm,
			uint64_t addr)
{
	struct mock_cmd c = { .size = sizeof(c), .op = MOCK_OP_TRIGGER_IOPF };

	c.trigger_iopf.dev_id = nestio_device_get_id(dev);
	c.trigger_iopf.pasid = pasid;
	c.trigger_iopf.grpid = grpid;
	c.trigger_iopf.perm = perm;
	c.trigger_iopf.addr = addr;
	return ioctl(ifd, MOCK_IOMMU_TEST_CMD, &c) < 0 ? -errno : 0;
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static struct nestio_veventq *new_q(uint32_t depth)
{
	struct nestio_veventq *q = NULL;
	int r = nestio_veventq_new(viommu, MOCK_VEVENTQ_TYPE_SELFTEST, depth, &q);

	if (tu_is_feature_missing(r))
		tu_skip("no vEVENTQ in this kernel");
	ck_assert_int_eq(r, 0);
	return q;
}

static void expect_ev(const struct nestio_vevent *e, uint32_t seq, uint32_t lost)
{
	struct mock_viommu_event_selftest rec;

	ck_assert_uint_eq(e->sequence, seq);
	ck_assert_uint_eq(e->lost, lost);
	ck_assert_uint_eq(e->len, sizeof(rec));
	memcpy(&rec, e->data, sizeof(rec));
	ck_assert_uint_eq(rec.virt_id, VIRT_ID);
}

START_TEST(test_vevents)
{
	struct nestio_hwpt *n = attach_nested(NULL);
	struct nestio_veventq *q = new_q(16), *q2 = NULL;
	struct nestio_vevent ev[8];
	int fd = nestio_veventq_get_fd(q);

	ck_assert(tu_fd_is_cloexec(fd));
	ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	ck_assert(tu_kernel_has(ifd, nestio_veventq_get_id(q)));
	/* one queue per type on a vIOMMU */
	ck_assert_int_eq(nestio_veventq_new(viommu, MOCK_VEVENTQ_TYPE_SELFTEST, 4, &q2),
			 -EEXIST);
	ck_assert_ptr_null(q2);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 0);
	ck_assert(!readable(fd));
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(trigger_vevent(), 0);
	ck_assert(readable(fd));
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 3);
	for (uint32_t i = 0; i < 3; i++)
		expect_ev(&ev[i], i, 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 0);
	ck_assert(!readable(fd));
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 0);
	/* one at a time */
	ck_assert_int_eq(trigger_vevent(), 0);
	ck_assert_int_eq(trigger_vevent(), 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 1), 1);
	expect_ev(&ev[0], 3, 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 1), 1);
	expect_ev(&ev[0], 4, 0);
	nestio_veventq_unref(q);
	nestio_hwpt_unref(n);
}
END_TEST

/*
 * Depth 2, five events, none read: 0 and 1 are queued; 2 finds the queue
 * full and the lost-events header goes to the tail with sequence 2; 3 and 4
 * move it along, to sequence 4. The read gives 0, 1 and the header: two
 * events, three lost (2, 3, 4). The next event is 5 and carries them.
 */
START_TEST(test_overflow)
{
	struct nestio_hwpt *n = attach_nested(NULL);
	struct nestio_veventq *q = new_q(2);
	struct nestio_vevent ev[8];

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(trigger_vevent(), 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], 0, 0);
	expect_ev(&ev[1], 1, 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 3);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 0);
	ck_assert_int_eq(trigger_vevent(), 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 5, 3);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 3);

	/* read one, overflow again: the header at the tail is read with the
	 * next batch */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(trigger_vevent(), 0);	/* 6, 7; 8 lost */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 1), 1);
	expect_ev(&ev[0], 6, 0);
	ck_assert_int_eq(trigger_vevent(), 0);		/* 9: the header gives way */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], 7, 0);
	expect_ev(&ev[1], 9, 1);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 4);
	nestio_veventq_unref(q);
	nestio_hwpt_unref(n);
}
END_TEST

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

/* any unref order of the chain around a vEVENTQ leaves nothing behind, and
 * no fd */
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

START_TEST(test_orders)
{
	struct nestio_hwpt *n = attach_nested(NULL);
	struct nestio_veventq *q;
	uint32_t ids[7];
	void *objs[7];
	int fds = tu_count_open_fds();

	q = new_q(4);
	ck_assert_int_eq(trigger_vevent(), 0);	/* one left unread */
	ck_assert_int_eq(tu_count_open_fds(), fds + 1);
	ids[0] = nestio_ioas_get_id(ioas);
	ids[1] = nestio_hwpt_get_id(parent);
	ids[2] = nestio_viommu_get_id(viommu);
	ids[3] = nestio_vdevice_get_id(vdev);
	ids[4] = nestio_hwpt_get_id(n);
	ids[5] = nestio_veventq_get_id(q);
	ids[6] = nestio_device_get_id(dev);
	objs[0] = ioas; objs[1] = parent; objs[2] = viommu; objs[3] = vdev;
	objs[4] = n; objs[5] = q; objs[6] = dev;
	for (int k = 0; k < 7; k++) {
		int i = (k + _i) % 7;

		switch (i) {
		case 0: nestio_ioas_unref(objs[0]); break;
		case 1: nestio_hwpt_unref(objs[1]); break;
		case 2: nestio_viommu_unref(objs[2]); break;
		case 3: nestio_vdevice_unref(objs[3]); break;
		case 4: nestio_hwpt_unref(objs[4]); break;
		case 5: nestio_veventq_unref(objs[5]); break;
		case 6: nestio_device_unref(objs[6]); break;
		}
	}
	ioas = NULL; parent = NULL; viommu = NULL; vdev = NULL; dev = NULL;
	for (int k = 0; k < 7; k++)
		ck_assert_msg(!tu_kernel_has(ifd, ids[k]), "object %u left (order %d)",
			      ids[k], _i);
	ck_assert_int_eq(tu_count_open_fds(), fds);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("events-mock");
	TCase *tc = tcase_create("events-mock");

	tu_require_mock();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_vevents);
	tcase_add_test(tc, test_overflow);
	tcase_add_test(tc, test_dispatch_poll);
	tcase_add_test(tc, test_fault);
	tcase_add_test(tc, test_fault_pinned);
	tcase_add_loop_test(tc, test_orders, 0, 7);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
