// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: the vEVENTQ against the kernel's IOMMUFD_TEST mock (fixture and
 * triggers: mock-eventq.h): vEVENTs read back exactly, an overflowed
 * queue's exact lost count, and every unref order of the chain around a
 * vEVENTQ.
 */
#include <fcntl.h>
#include <unistd.h>

#include "mock-eventq.h"

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

/* any unref order of the chain around a vEVENTQ leaves nothing behind, and
 * no fd */
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
	Suite *s = suite_create("veventq-mock");
	TCase *tc = tcase_create("veventq-mock");

	tu_require_mock();
	tcase_add_checked_fixture(tc, eventq_mock_setup, eventq_mock_teardown);
	tcase_add_test(tc, test_vevents);
	tcase_add_test(tc, test_overflow);
	tcase_add_loop_test(tc, test_orders, 0, 7);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
