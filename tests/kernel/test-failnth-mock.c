// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2 under kernel fault injection (fail-nth, tests/lib/failnth.h): every
 * flow a VMM runs, on the kernel's IOMMUFD_TEST mock, swept over each fault
 * injection point. A flow starts from what an earlier flow already swept
 * (made with injection off) and injects only in its own steps. The vEVENTQ,
 * fault queue, PASID and release flows are in test-failnth-events.c.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "failnth.h"
#include "failnth-mock.h"

/* -------------------------------------------------------- ctx, IOAS, map */

static int flow_ioas(struct fn_run *run)
{
	struct nestio_ioas *a, *b;
	struct nestio_iova_range *r;
	struct nestio_iova_range allow = { MOCK_APERTURE_START, MOCK_APERTURE_LAST };
	struct nestio_ctx *c;
	uint64_t iova, fixed = MOCK_APERTURE_START, copied, unmapped, v;
	uint64_t align;
	size_t nr;

	FN_NEW(run, FN_CTX, c, nestio_ctx_new(&c));
	FN_NEW(run, FN_IOAS, a, nestio_ioas_new(c, &a));
	FN_NEW(run, FN_IOAS, b, nestio_ioas_new(c, &b));
	/* the kernel picks the IOVA */
	iova = 0;
	FN_STEP(run, nestio_ioas_map(a, fm_buf, 4 * FM_PAGE, &iova,
				     NESTIO_MAP_READ | NESTIO_MAP_WRITE));
	FN_CHECK(run, iova % FM_PAGE == 0);
	/* at a fixed IOVA, and from a file */
	FN_STEP(run, nestio_ioas_map(a, fm_buf + 4 * FM_PAGE, 2 * FM_PAGE, &fixed,
				     NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA));
	FN_CHECK(run, fixed == MOCK_APERTURE_START);
	v = MOCK_APERTURE_START + 0x100000;
	FN_STEP(run, nestio_ioas_map_file(a, fm_memfd, 0, 2 * FM_PAGE, &v,
					  NESTIO_MAP_READ | NESTIO_MAP_WRITE |
					  NESTIO_MAP_FIXED_IOVA));
	nr = 0;
	FN_NEW(run, FN_NONE, r, nestio_ioas_get_iova_ranges(a, &r, &nr, &align));
	FN_CHECK(run, nr >= 1 && align >= 1);
	nestio_iova_ranges_free(r);
	/* copy into the second IOAS, then unmap in both */
	copied = MOCK_APERTURE_START + 0x200000;
	FN_STEP(run, nestio_ioas_copy(b, &copied, a, fixed, 2 * FM_PAGE,
				      NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA));
	FN_CHECK(run, copied == MOCK_APERTURE_START + 0x200000);
	FN_STEP(run, nestio_ioas_set_option(b, NESTIO_OPTION_HUGE_PAGES, 0));
	FN_STEP(run, nestio_ioas_get_option(b, NESTIO_OPTION_HUGE_PAGES, &v));
	FN_CHECK(run, v == 0);
	FN_STEP(run, nestio_ioas_allow_iovas(b, &allow, 1));
	unmapped = 0;
	FN_STEP(run, nestio_ioas_unmap(a, fixed, 2 * FM_PAGE, &unmapped));
	FN_CHECK(run, unmapped == 2 * FM_PAGE);
	FN_EXPECT(run, nestio_ioas_unmap(a, fixed, 2 * FM_PAGE, NULL), -ENOENT);
	unmapped = 0;
	FN_STEP(run, nestio_ioas_unmap_all(a, &unmapped));
	FN_CHECK(run, unmapped == 6 * FM_PAGE);
	unmapped = 0;
	FN_STEP(run, nestio_ioas_unmap_all(b, &unmapped));
	FN_CHECK(run, unmapped == 2 * FM_PAGE);
	return 0;
}

/* ------------------------------------------------ device, attach, replace */

static int flow_attach(struct fn_run *run)
{
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o) };
	struct nestio_device *d;
	struct nestio_hwpt *h;
	uint64_t iova = MOCK_APERTURE_START, unmapped = 0;

	FN_NEW(run, FN_DEV, d, tu_mock_device(run->ctx, nestio_ioas_get_id(fm.ioas),
					      0, &d));
	FN_STEP(run, nestio_ioas_map(fm.ioas, fm_buf, 4 * FM_PAGE, &iova,
				     NESTIO_MAP_READ | NESTIO_MAP_WRITE |
				     NESTIO_MAP_FIXED_IOVA));
	FN_CHECK(run, fm_check_map(fm_auto_hwpt(d), iova, 4 * FM_PAGE,
				   fm_buf) == 0);
	FN_NEW(run, FN_HWPT, h, nestio_hwpt_new_paging(d, fm.ioas, &o, &h));
	FN_CHECK(run, fm_check_map(nestio_hwpt_get_id(h), iova, 4 * FM_PAGE,
				   fm_buf) == 0);
	FN_STEP(run, nestio_device_attach_hwpt(d, NESTIO_NO_PASID, h));
	/* a map now reaches the new domain */
	iova = MOCK_APERTURE_START + 0x100000;
	FN_STEP(run, nestio_ioas_map(fm.ioas, fm_buf + 4 * FM_PAGE, FM_PAGE, &iova,
				     NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA));
	FN_CHECK(run, fm_check_map(nestio_hwpt_get_id(h), iova, FM_PAGE,
				   fm_buf + 4 * FM_PAGE) == 0);
	FN_STEP(run, nestio_device_replace_ioas(d, NESTIO_NO_PASID, fm.ioas));
	FN_STEP(run, nestio_device_replace_hwpt(d, NESTIO_NO_PASID, h));
	FN_STEP(run, nestio_ioas_unmap(fm.ioas, iova, FM_PAGE, &unmapped));
	FN_CHECK(run, unmapped == FM_PAGE);
	FN_CHECK(run, fm_check_map(nestio_hwpt_get_id(h), iova, FM_PAGE,
				   fm_buf + 4 * FM_PAGE) != 0);
	return 0;
}

/* ------------------------- nest parent, nested hwpt, vIOMMU, vDEVICE */

static int flow_nest(struct fn_run *run)
{
	struct nestio_hwpt_paging_opts np = { .sz = sizeof(np),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	struct mock_viommu_selftest data = { .in_data = 0xcafe };
	struct nestio_viommu_opts vo = { .sz = sizeof(vo), .data = &data,
					 .data_len = sizeof(data) };
	struct nestio_hwpt *p, *n, *n2;
	struct nestio_viommu *v;
	struct nestio_vdevice *vd, *vd2;

	FN_NEW(run, FN_HWPT, p, nestio_hwpt_new_paging(fm.dev, fm.ioas, &np, &p));
	FN_CHECK(run, nestio_hwpt_get_flags(p) == NESTIO_HWPT_NEST_PARENT);
	FN_NEW(run, FN_HWPT, n, nestio_hwpt_new_nested(fm.dev, p, &tu_mock_s1, NULL, &n));
	FN_CHECK(run, fm_iotlb_is(nestio_hwpt_get_id(n), 0, MOCK_IOTLB_DEFAULT) == 0);
	FN_STEP(run, nestio_device_attach_hwpt(fm.dev, NESTIO_NO_PASID, n));
	FN_NEW(run, FN_VIOMMU, v, nestio_viommu_new(fm.dev, p, MOCK_VIOMMU_TYPE_SELFTEST,
						    &vo, &v));
	FN_CHECK(run, data.out_data == 0xcafe);
	FN_NEW(run, FN_VDEV, vd, nestio_vdevice_new(v, fm.dev, FM_VIRT_ID, &vd));
	FN_CHECK(run, nestio_vdevice_get_virt_id(vd) == FM_VIRT_ID);
	vd2 = (void *)fn_sentinel;
	FN_EXPECT(run, nestio_vdevice_new(v, fm.dev, FM_VIRT_ID + 1, &vd2), -EEXIST);
	FN_CHECK(run, vd2 == (void *)fn_sentinel);
	FN_NEW(run, FN_HWPT, n2, nestio_hwpt_new_nested_viommu(fm.dev, v, &tu_mock_s1,
							      NULL, &n2));
	FN_CHECK(run, nestio_hwpt_get_viommu(n2) == v);
	FN_STEP(run, nestio_device_replace_hwpt(fm.dev, NESTIO_NO_PASID, n2));
	FN_CHECK(run, fm_iotlb_is(nestio_hwpt_get_id(n2), 3, MOCK_IOTLB_DEFAULT) == 0);
	return 0;
}

/* ---------------------------------------- invalidation: queue and direct */

static int flow_invq(struct fn_run *run)
{
	struct nestio_invq_opts ho = {
		.sz = sizeof(ho),
		.raw_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
		.raw_entry_len = sizeof(struct mock_hwpt_invalidate_selftest),
	};
	struct nestio_invq_opts vo = {
		.sz = sizeof(vo),
		.raw_type = MOCK_VIOMMU_INVALIDATE_DATA_SELFTEST,
		.raw_entry_len = sizeof(struct mock_viommu_invalidate_selftest),
	};
	struct mock_hwpt_invalidate_selftest he = { 0 };
	struct mock_viommu_invalidate_selftest ve[2] = {
		{ .vdev_id = FM_VIRT_ID, .cache_id = 1 },
		{ .vdev_id = FM_VIRT_ID, .cache_id = 3 },
	};
	struct nestio_invq_fail fail = { .sz = sizeof(fail) };
	uint32_t nid = nestio_hwpt_get_id(fm.nested), did = nestio_device_get_id(fm.dev);
	struct nestio_invq *q, *vq;
	uint32_t n;
	int sent;

	FN_NEW(run, FN_INVQ, q, nestio_invq_new(fm.nested, NESTIO_INV_RAW, &ho, &q));
	for (uint32_t i = 0; i < 3; i++) {
		he.iotlb_id = i;
		FN_STEP(run, nestio_invq_push(q, &he, sizeof(he)));
	}
	FN_VAL(run, sent, nestio_invq_flush(q, &fail));
	FN_CHECK(run, sent == 3);
	FN_CHECK(run, nestio_invq_pending(q) == 0);
	for (uint32_t i = 0; i < 3; i++)
		FN_CHECK(run, fm_iotlb_is(nid, i, 0) == 0);
	FN_CHECK(run, fm_iotlb_is(nid, 3, MOCK_IOTLB_DEFAULT) == 0);
	/* the direct call */
	he.iotlb_id = 3;
	n = 1;
	FN_STEP(run, nestio_hwpt_invalidate(fm.nested, NESTIO_INV_RAW,
					    MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
					    &he, sizeof(he), &n));
	FN_CHECK(run, n == 1);
	FN_CHECK(run, fm_iotlb_is(nid, 3, 0) == 0);
	/* on the vIOMMU: the device's cache */
	FN_NEW(run, FN_INVQ, vq, nestio_invq_new_viommu(fm.viommu, NESTIO_INV_RAW,
							&vo, &vq));
	FN_STEP(run, nestio_invq_push_many(vq, ve, sizeof(ve[0]), 2));
	FN_VAL(run, sent, nestio_invq_flush(vq, &fail));
	FN_CHECK(run, sent == 2);
	FN_CHECK(run, fm_cache_is(did, 1, 0) == 0);
	FN_CHECK(run, fm_cache_is(did, 3, 0) == 0);
	FN_CHECK(run, fm_cache_is(did, 0, MOCK_DEV_CACHE_DEFAULT) == 0);
	n = 1;
	ve[0].cache_id = 0;
	FN_STEP(run, nestio_viommu_invalidate(fm.viommu, NESTIO_INV_RAW,
					      MOCK_VIOMMU_INVALIDATE_DATA_SELFTEST,
					      ve, sizeof(ve[0]), &n));
	FN_CHECK(run, n == 1);
	FN_CHECK(run, fm_cache_is(did, 0, 0) == 0);
	return 0;
}

/* ------------------------------------------------------ dirty tracking */

static int flow_dirty(struct fn_run *run)
{
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o),
					     .flags = NESTIO_HWPT_DIRTY_TRACKING };
	const uint64_t mask = 1u << 0 | 1u << 3 | 1u << 6;
	const uint64_t len = FM_MAPPED * FM_PAGE;
	struct nestio_hwpt *h;
	uint64_t bm;
	int marked;

	FN_NEW(run, FN_HWPT, h, nestio_hwpt_new_paging(fm.dev, fm.ioas, &o, &h));
	FN_STEP(run, nestio_device_attach_hwpt(fm.dev, NESTIO_NO_PASID, h));
	FN_STEP(run, nestio_hwpt_set_dirty_tracking(h, 1));
	bm = ~0ull;
	FN_STEP(run, nestio_hwpt_get_dirty_bitmap(h, MOCK_APERTURE_START, len, FM_PAGE,
						  &bm, 0));
	FN_CHECK(run, bm == 0);
	FN_VAL(run, marked, fm_mock_dirty(nestio_hwpt_get_id(h), mask));
	FN_CHECK(run, marked == 3);
	bm = 0;
	FN_STEP(run, nestio_hwpt_get_dirty_bitmap(h, MOCK_APERTURE_START, len, FM_PAGE,
						  &bm, NESTIO_DIRTY_NO_CLEAR));
	FN_CHECK(run, bm == mask);
	bm = 0;
	FN_STEP(run, nestio_hwpt_get_dirty_bitmap(h, MOCK_APERTURE_START, len, FM_PAGE,
						  &bm, 0));
	FN_CHECK(run, bm == mask);
	bm = ~0ull;
	FN_STEP(run, nestio_hwpt_get_dirty_bitmap(h, MOCK_APERTURE_START, len, FM_PAGE,
						  &bm, 0));
	FN_CHECK(run, bm == 0);
	FN_STEP(run, nestio_hwpt_set_dirty_tracking(h, 0));
	FN_EXPECT(run, fm_mock_dirty(nestio_hwpt_get_id(h), mask), -EINVAL);
	return 0;
}

/* ------------------------------------------------------------ HW queue */

static int flow_hwqueue(struct fn_run *run)
{
	const uint32_t T = MOCK_HW_QUEUE_TYPE_SELFTEST;
	struct nestio_hw_queue *q0, *q1;
	uint64_t unmapped = 0;

	FN_NEW(run, FN_HWQ, q0, nestio_hw_queue_new(fm.viommu, T, 0, MOCK_APERTURE_START,
						    FM_PAGE, &q0));
	FN_NEW(run, FN_HWQ, q1, nestio_hw_queue_new(fm.viommu, T, 1,
						    MOCK_APERTURE_START + FM_PAGE,
						    FM_PAGE, &q1));
	FN_CHECK(run, nestio_hw_queue_get_id(q0) != nestio_hw_queue_get_id(q1));
	/* the queues pin their memory */
	FN_EXPECT(run, nestio_ioas_unmap(fm.ioas, MOCK_APERTURE_START, FM_PAGE, &unmapped),
		  -EBUSY);
	/* queue 0 first: queue 1 pins it */
	FN_STEP(run, (fn_release(run, q0), 0));
	FN_STEP(run, (fn_release(run, q1), 0));
	FN_STEP(run, nestio_ioas_unmap(fm.ioas, MOCK_APERTURE_START, 2 * FM_PAGE,
				       &unmapped));
	FN_CHECK(run, unmapped == 2 * FM_PAGE);
	return 0;
}

/* ---------------------------------------------------------------- main */

static const struct fn_flow flows[] = {
	{ .name = "ioas", .setup = fm_setup_none, .run = flow_ioas },
	{ .name = "attach", .setup = fm_setup_ioas, .run = flow_attach },
	{ .name = "nest", .setup = fm_setup_dev, .run = flow_nest },
	{ .name = "invq", .setup = fm_setup_vdev, .run = flow_invq },
	{ .name = "dirty", .setup = fm_setup_dev, .run = flow_dirty },
	{ .name = "hwqueue", .setup = fm_setup_viommu, .run = flow_hwqueue },
};

int main(void)
{
	return fm_main("mock", flows, sizeof(flows) / sizeof(flows[0]));
}
