// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: HW queues through the fake kernel. The exact bytes of
 * IOMMU_HW_QUEUE_ALLOC; every argument the library refuses without an
 * ioctl; who pins whom, and that the ctx goes last.
 */
#include <limits.h>

#include "fakekernel.h"

#define QTYPE 0xdeadbeefu	/* any type: the fake kernel takes them all */
#define QBASE 0x10000ull
#define QLEN 0x1000ull

static struct nestio_viommu *new_viommu(struct nestio_hwpt *parent)
{
	struct nestio_viommu *v = NULL;

	ck_assert_int_eq(nestio_viommu_new(dev, parent, 0x1234, NULL, &v), 0);
	return v;
}

START_TEST(test_hw_queue_payload)
{
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_viommu *v = new_viommu(parent);		/* 102 */
	struct nestio_hw_queue *q = NULL;
	uint32_t vid = nestio_viommu_get_id(v);

	tu_ncalls = 0;
	ck_assert_int_eq(nestio_hw_queue_new(v, NESTIO_HW_QUEUE_TEGRA241_CMDQV, 3,
					     QBASE, QLEN, &q), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_HW_QUEUE_ALLOC, kabi_hw_queue_alloc,
		     .flags = 0, .viommu_id = vid, .type = KABI_HW_QUEUE_TYPE_TEGRA241_CMDQV,
		     .index = 3, .nesting_parent_iova = QBASE, .length = QLEN);
	ck_assert_uint_eq(nestio_hw_queue_get_id(q), vid + 1);
	ck_assert_ptr_eq(nestio_hw_queue_ref(q), q);
	ck_assert_ptr_null(nestio_hw_queue_unref(q));
	ck_assert_int_eq(tu_ncalls, 1);				/* still referenced */
	ck_assert_ptr_null(nestio_hw_queue_unref(q));
	EXPECT_IOMMU(1, KABI_IOMMU_DESTROY, kabi_destroy, .id = vid + 1);

	/* unaligned base and length are the kernel's (and driver's) to judge;
	 * type 0 is passed through too */
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_hw_queue_new(v, 0, 0, 0x10001, 3, &q), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_HW_QUEUE_ALLOC, kabi_hw_queue_alloc,
		     .viommu_id = vid, .type = 0, .index = 0,
		     .nesting_parent_iova = 0x10001, .length = 3);
	nestio_hw_queue_unref(q);
	/* the range may end at the top of the address space */
	ck_assert_int_eq(nestio_hw_queue_new(v, QTYPE, 0, 0ull - QLEN, QLEN, &q), 0);
	nestio_hw_queue_unref(q);

	/* the kernel's errno comes back, *out untouched, nothing pinned */
	q = (struct nestio_hw_queue *)&q;
	fk_fail(KABI_IOMMU_HW_QUEUE_ALLOC, ENOENT, 1);
	ck_assert_int_eq(nestio_hw_queue_new(v, QTYPE, 0, QBASE, QLEN, &q), -ENOENT);
	ck_assert_ptr_eq(q, (struct nestio_hw_queue *)&q);
	fk_nev = 0;
	nestio_hwpt_unref(parent);
	nestio_viommu_unref(v);
	ck_assert_int_eq(find_ev('D', vid), 0);		/* it went at once */
	ck_assert_int_eq(find_ev('D', vid - 1), 1);	/* then its parent */
}
END_TEST

START_TEST(test_hw_queue_einval)
{
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_viommu *v = new_viommu(parent);
	struct nestio_hw_queue *q = NULL, *sentinel = (struct nestio_hw_queue *)&q;

	tu_ncalls = 0;
	q = sentinel;
	EXPECT_NOIO(nestio_hw_queue_new(NULL, QTYPE, 0, QBASE, QLEN, &q), -EINVAL);
	EXPECT_NOIO(nestio_hw_queue_new((struct nestio_viommu *)parent, QTYPE, 0,
					QBASE, QLEN, &q), -EINVAL);
	EXPECT_NOIO(nestio_hw_queue_new(v, QTYPE, 0, QBASE, QLEN, NULL), -EINVAL);
	EXPECT_NOIO(nestio_hw_queue_new(v, QTYPE, 0, QBASE, 0, &q), -EINVAL);
	EXPECT_NOIO(nestio_hw_queue_new(v, QTYPE, 0, 0ull - QLEN, QLEN + 1, &q), -EINVAL);
	EXPECT_NOIO(nestio_hw_queue_new(v, QTYPE, 0, 2, UINT64_MAX, &q), -EINVAL);
	ck_assert_ptr_eq(q, sentinel);

	/* the accessors on what is not a HW queue */
	ck_assert_ptr_null(nestio_hw_queue_ref(NULL));
	ck_assert_ptr_null(nestio_hw_queue_unref(NULL));
	ck_assert_uint_eq(nestio_hw_queue_get_id(NULL), 0);
	ck_assert_ptr_null(nestio_hw_queue_ref((struct nestio_hw_queue *)v));
	ck_assert_ptr_null(nestio_hw_queue_unref((struct nestio_hw_queue *)v));
	ck_assert_uint_eq(nestio_hw_queue_get_id((struct nestio_hw_queue *)v), 0);
	ck_assert_int_eq(tu_ncalls, 0);
	ck_assert_uint_ne(nestio_viommu_get_id(v), 0);	/* v is unharmed */

	nestio_viommu_unref(v);
	nestio_hwpt_unref(parent);
}
END_TEST

/*
 * A queue pins its vIOMMU (which pins its nest parent) and the queue before
 * it on the same vIOMMU: dropping every handle in the worst order still
 * destroys queue 1, queue 0, the vIOMMU and the parent in that order.
 */
START_TEST(test_hw_queue_pins)
{
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_viommu *v = new_viommu(parent), *v2 = new_viommu(parent);
	struct nestio_hw_queue *q0 = NULL, *q1 = NULL, *o1 = NULL;
	uint32_t pid = nestio_hwpt_get_id(parent), vid = nestio_viommu_get_id(v);
	uint32_t v2id = nestio_viommu_get_id(v2), id0, id1, o1id;

	ck_assert_int_eq(nestio_hw_queue_new(v, QTYPE, 0, QBASE, QLEN, &q0), 0);
	ck_assert_int_eq(nestio_hw_queue_new(v, QTYPE, 1, QBASE + QLEN, QLEN, &q1), 0);
	id0 = nestio_hw_queue_get_id(q0);
	id1 = nestio_hw_queue_get_id(q1);
	fk_nev = 0;

	/* index 1 on another vIOMMU pins nothing of v's */
	ck_assert_int_eq(nestio_hw_queue_new(v2, QTYPE, 1, QBASE, QLEN, &o1), 0);
	o1id = nestio_hw_queue_get_id(o1);
	nestio_viommu_unref(v2);
	ck_assert_int_eq(fk_nev, 0);			/* o1 pins v2 */
	nestio_hw_queue_unref(o1);
	ck_assert_int_eq(fk_nev, 2);
	ck_assert_int_eq(find_ev('D', o1id), 0);
	ck_assert_int_eq(find_ev('D', v2id), 1);
	fk_nev = 0;

	nestio_hwpt_unref(parent);
	nestio_viommu_unref(v);
	nestio_hw_queue_unref(q0);
	ck_assert_int_eq(fk_nev, 0);		/* all pinned by q1 */
	nestio_hw_queue_unref(q1);
	ck_assert_int_eq(fk_nev, 4);
	ck_assert_int_eq(find_ev('D', id1), 0);
	ck_assert_int_eq(find_ev('D', id0), 1);
	ck_assert_int_eq(find_ev('D', vid), 2);
	ck_assert_int_eq(find_ev('D', pid), 3);
	for (int k = 0; k < fk_nev; k++)
		ck_assert(fk_ev[k].fd_ok);
}
END_TEST

/* Queues outlive their ctx handle: the ctx goes last. */
START_TEST(test_hw_queue_pins_ctx)
{
	struct nestio_hwpt *parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	struct nestio_viommu *v = new_viommu(parent);
	struct nestio_hw_queue *q = NULL;
	int fd = nestio_ctx_get_fd(ctx);
	uint32_t id;

	ck_assert_int_eq(nestio_hw_queue_new(v, QTYPE, 0, QBASE, QLEN, &q), 0);
	id = nestio_hw_queue_get_id(q);
	nestio_viommu_unref(v);
	nestio_hwpt_unref(parent);
	dev = nestio_device_unref(dev);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
	fk_nev = 0;
	ck_assert(fd_open(fd));			/* q holds the ctx */
	nestio_hw_queue_unref(q);
	ck_assert_int_eq(find_ev('D', id), 0);
	ck_assert(fk_ev[0].fd_ok);		/* the iommufd was still open */
	ck_assert_int_eq(count_ev('D'), 4);	/* queue, vIOMMU, parent, ioas */
	ck_assert(!fd_open(fd));		/* and closed after all that */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hw_queue");
	TCase *tc = fk_tcase(s, "hw_queue", setup_objs, teardown_objs);

	tcase_add_test(tc, test_hw_queue_payload);
	tcase_add_test(tc, test_hw_queue_einval);
	tcase_add_test(tc, test_hw_queue_pins);
	tcase_add_test(tc, test_hw_queue_pins_ctx);
	return tu_run(s);
}
