// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 4 under kernel fault injection (fail-nth, tests/lib/failnth.h): the
 * nested flow on QEMU's emulated SMMUv3 with the `edu` DMA engine, swept
 * over each fault injection point: from a ctx and the device bound to it,
 * IOAS with the guest's RAM
 * (its CD and stage-1 tables: tests/lib/smmuv3-guest.c), nest parent,
 * vIOMMU, vDEVICE, nested hwpt from a vSTE, attach, DMA at stage-1 VAs, a
 * stage-1 change made visible by an invalidation through the queue, and a
 * translation fault read from the vEVENTQ.
 */
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "edu.h"
#include "failnth.h"
#include "kabi.h"
#include "smmuv3-guest.h"

#define PAGE		S3G_PAGE
#define GUEST_IPA	UINT64_C(0x20000000)
#define GUEST_PAGES	16u
#define VSID		0x42u
#define ASID		1u
#define VA_SRC		UINT64_C(0x00007ffc12340000)
#define VA_DST		(VA_SRC + PAGE)
#define VA_HOLE		(VA_SRC + 5 * PAGE)

static struct edu edu;
static struct s3g g;

/* the edu buffer := pattern seed (from p_src at VA_SRC), then stored at
 * VA_DST: it must land in want */
static int dma_lands(struct fn_run *run, uint64_t p_src, uint64_t want, uint8_t seed)
{
	FN_CHECK(run, s3g_fill(&g, p_src, seed) == 0);
	FN_CHECK(run, s3g_fill(&g, want, S3G_ZERO) == 0);
	FN_STEP(run, edu_dma_to_device(&edu, VA_SRC, PAGE));
	FN_STEP(run, edu_dma_from_device(&edu, VA_DST, PAGE));
	FN_CHECK(run, s3g_page_state(&g, want, seed) == 1);
	return 0;
}

/* the device is bound with injection off: see setup_vtd in
 * test-failnth-vtd.c (ACPICA's _PRT evaluation at PCI enable does not
 * survive an allocation failure) */
static int setup_smmuv3(struct fn_run *run)
{
	struct nestio_ctx *c;
	struct nestio_device *d;

	FN_NEW(run, FN_CTX, c, nestio_ctx_new(&c));
	FN_NEW(run, FN_DEV, d, nestio_device_open(c, edu_bdf(), &d));
	FN_STEP(run, edu_init(&edu, nestio_device_get_fd(d)));
	return 0;
}

static int flow_smmuv3(struct fn_run *run)
{
	struct nestio_hwpt_paging_opts np = { .sz = sizeof(np),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	struct kabi_hw_info_arm_smmuv3 info;
	struct nestio_stage1 s1;
	struct nestio_ctx *c;
	struct nestio_device *d;
	struct nestio_ioas *a;
	struct nestio_hwpt *parent, *nested;
	struct nestio_viommu *v;
	struct nestio_vdevice *vd;
	struct nestio_invq *q;
	struct nestio_veventq *evq;
	struct nestio_vevent ev[4];
	struct nestio_smmuv3_event e;
	struct pollfd p;
	uint64_t cd, l0, p_src, p_dst, p_dst2;
	size_t len = sizeof(info);
	uint32_t type = 0;
	int n, rc;

	c = run->ctx;
	d = run->objs[0].p;
	FN_STEP(run, nestio_device_get_hw_info(d, &type, &info, &len));
	FN_CHECK(run, type == KABI_HW_INFO_TYPE_ARM_SMMUV3);
	FN_NEW(run, FN_IOAS, a, nestio_ioas_new(c, &a));
	FN_STEP(run, s3g_init(&g, a, GUEST_IPA, GUEST_PAGES, (uint8_t)(info.idr[5] & 7)));
	cd = s3g_page_alloc(&g);
	l0 = s3g_s1_new(&g);
	p_src = s3g_page_alloc(&g);
	p_dst = s3g_page_alloc(&g);
	p_dst2 = s3g_page_alloc(&g);
	FN_CHECK(run, cd && l0 && p_src && p_dst && p_dst2);
	FN_CHECK(run, s3g_s1_map(&g, l0, VA_SRC, p_src) == 0);
	FN_CHECK(run, s3g_s1_map(&g, l0, VA_DST, p_dst) == 0);
	FN_CHECK(run, s3g_cd_write(&g, cd, ASID, l0) == 0);

	FN_NEW(run, FN_HWPT, parent, nestio_hwpt_new_paging(d, a, &np, &parent));
	FN_NEW(run, FN_VIOMMU, v, nestio_viommu_new(d, parent, NESTIO_VIOMMU_ARM_SMMUV3,
						    NULL, &v));
	FN_NEW(run, FN_VDEV, vd, nestio_vdevice_new(v, d, VSID, &vd));
	s1 = s3g_ste_s1(cd);
	FN_NEW(run, FN_HWPT, nested, nestio_hwpt_new_nested_viommu(d, v, &s1, NULL,
								  &nested));
	FN_STEP(run, nestio_device_attach_hwpt(d, NESTIO_NO_PASID, nested));
	rc = dma_lands(run, p_src, p_dst, 1);
	if (rc)
		return rc;

	/* a leaf change: cached until TLBI_NH_VA goes through the queue */
	FN_NEW(run, FN_INVQ, q, nestio_invq_new_viommu(v, NESTIO_INV_ARM_SMMUV3, NULL, &q));
	FN_CHECK(run, s3g_s1_map(&g, l0, VA_DST, p_dst2) == 0);
	{
		struct s3g_cmd cmd = s3g_cmd_tlbi_nh_va(ASID, VA_DST);

		FN_STEP(run, nestio_invq_push_smmuv3(q, cmd.w[0], cmd.w[1]));
	}
	FN_VAL(run, n, nestio_invq_flush(q, NULL));
	FN_CHECK(run, n == 1);
	rc = dma_lands(run, p_src, p_dst2, 2);
	if (rc)
		return rc;

	/* four bytes to a hole: one translation fault, on the vEVENTQ */
	FN_NEW(run, FN_VEVENTQ, evq, nestio_veventq_new(v, NESTIO_VEVENTQ_ARM_SMMUV3, 4,
							&evq));
	FN_STEP(run, edu_dma_from_device(&edu, VA_HOLE, 4));
	p = (struct pollfd){ .fd = nestio_veventq_get_fd(evq), .events = POLLIN };
	FN_CHECK(run, poll(&p, 1, 5000) == 1);
	FN_VAL(run, n, nestio_veventq_read(evq, ev, 4));
	FN_CHECK(run, n == 1);
	FN_CHECK(run, nestio_vevent_decode_smmuv3(&ev[0], &e) == 0);
	FN_CHECK(run, e.id == NESTIO_SMMUV3_EVT_TRANSLATION);
	FN_CHECK(run, e.sid == VSID);
	FN_CHECK(run, e.addr == VA_HOLE);
	return 0;
}

static void release_smmuv3(struct fn_run *run)
{
	(void)run;
	s3g_fini(&g);
}

static const struct fn_flow flow = {
	.name = "smmuv3-edu", .setup = setup_smmuv3, .run = flow_smmuv3, .release = release_smmuv3,
};

/*
 * The shared abort and bypass hwpts (nestio_viommu_hwpt_for_gbpa/_for_ste):
 * a guest SMMU that is off with GBPA.ABORT, then a bypass STE as a Linux
 * guest writes it (DMA at IPAs through stage 2), then an abort STE: the
 * same object as the first. A failed allocation must leave nothing that
 * a later call would hand out.
 */
static int flow_shared(struct fn_run *run)
{
	struct nestio_hwpt_paging_opts np = { .sz = sizeof(np),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	const uint64_t bp_ste[2] = { 0x9, (1ull << 44) | (2ull << 30) };
	const uint64_t ab_ste[2] = { 0x1, 0 };
	struct kabi_hw_info_arm_smmuv3 info;
	struct nestio_ctx *c = run->ctx;
	struct nestio_device *d = run->objs[0].p;
	struct nestio_hwpt *parent, *ab, *ab2, *bp;
	struct nestio_viommu *v;
	struct nestio_ioas *a;
	uint64_t p_src, p_dst;
	size_t len = sizeof(info);
	uint32_t type = 0;

	FN_STEP(run, nestio_device_get_hw_info(d, &type, &info, &len));
	FN_NEW(run, FN_IOAS, a, nestio_ioas_new(c, &a));
	FN_STEP(run, s3g_init(&g, a, GUEST_IPA, GUEST_PAGES, (uint8_t)(info.idr[5] & 7)));
	p_src = s3g_page_alloc(&g);
	p_dst = s3g_page_alloc(&g);
	FN_CHECK(run, p_src && p_dst);
	FN_NEW(run, FN_HWPT, parent, nestio_hwpt_new_paging(d, a, &np, &parent));
	FN_NEW(run, FN_VIOMMU, v, nestio_viommu_new(d, parent, NESTIO_VIOMMU_ARM_SMMUV3,
						    NULL, &v));
	FN_NEW(run, FN_HWPT, ab, nestio_viommu_hwpt_for_gbpa(v, d, NESTIO_SMMUV3_GBPA_ABORT,
							     &ab));
	FN_STEP(run, nestio_device_attach_hwpt(d, NESTIO_NO_PASID, ab));
	FN_NEW(run, FN_HWPT, bp, nestio_viommu_hwpt_for_ste(v, d, bp_ste, &bp));
	FN_CHECK(run, bp != ab);
	FN_STEP(run, nestio_device_replace_hwpt(d, NESTIO_NO_PASID, bp));
	FN_CHECK(run, s3g_fill(&g, p_src, 5) == 0);
	FN_CHECK(run, s3g_fill(&g, p_dst, S3G_ZERO) == 0);
	FN_STEP(run, edu_dma_to_device(&edu, p_src, PAGE));
	FN_STEP(run, edu_dma_from_device(&edu, p_dst, PAGE));
	FN_CHECK(run, s3g_page_state(&g, p_dst, 5) == 1);
	FN_NEW(run, FN_HWPT, ab2, nestio_viommu_hwpt_for_ste(v, d, ab_ste, &ab2));
	FN_CHECK(run, ab2 == ab);
	FN_STEP(run, nestio_device_replace_hwpt(d, NESTIO_NO_PASID, ab2));
	FN_CHECK(run, s3g_fill(&g, p_dst, S3G_ZERO) == 0);
	FN_STEP(run, edu_dma_from_device(&edu, p_dst, PAGE));
	FN_CHECK(run, s3g_page_state(&g, p_dst, 5) == 0);
	return 0;
}

static const struct fn_flow flow2 = {
	.name = "smmuv3-shared", .setup = setup_smmuv3, .run = flow_shared,
	.release = release_smmuv3,
};

START_TEST(test_smmuv3)
{
	fn_sweep(&flow);
}
END_TEST

START_TEST(test_smmuv3_shared)
{
	fn_sweep(&flow2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("failnth-smmuv3");
	TCase *tc = tcase_create("smmuv3-edu");
	int r;

	if (access("/dev/iommu", F_OK))
		tu_skip("no /dev/iommu");
	if (!edu_bdf())
		tu_skip("no edu device bound to vfio-pci (NESTIO_EDU_BDF unset)");
	s3g_require_nesting(edu_bdf());
	fn_require();
	fn_totals_begin();
	tcase_set_timeout(tc, 1200);
	tcase_add_test(tc, test_smmuv3);
	tcase_add_test(tc, test_smmuv3_shared);
	suite_add_tcase(s, tc);
	r = tu_run(s);
	fn_totals_end("smmuv3");
	return r;
}
