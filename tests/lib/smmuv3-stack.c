// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 4: the SMMUv3 nesting stack and edu DMA helpers the arm64 VM's
 * test-smmuv3 and test-smmuv3-ste share (see smmuv3-stack.h). Everything on
 * the IOMMU side goes through libnestio; smmuv3-guest.c plays the guest
 * kernel and edu.c drives the DMA.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "smmuv3-stack.h"

struct stack st;
struct nestio_vevent evs[BURST + 64];

uint32_t phys_sid(void)
{
	int rid = s3g_rid(edu_bdf());

	ck_assert_int_ge(rid, 0);
	return (uint32_t)rid;
}

/* ctx, device, IOAS, and the guest's CD + stage-1 tables (VA_SRC, VA_DST) */
void stack_base(struct stack *s)
{
	size_t len = sizeof(s->info);
	uint32_t type = 0;

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(nestio_ctx_new(&s->ctx), 0);
	ck_assert_int_eq(nestio_device_open(s->ctx, edu_bdf(), &s->dev), 0);
	ck_assert_int_eq(edu_init(&s->edu, nestio_device_get_fd(s->dev)), 0);
	ck_assert_int_eq(nestio_device_get_hw_info(s->dev, &type, &s->info, &len), 0);
	ck_assert_uint_eq(type, KABI_HW_INFO_TYPE_ARM_SMMUV3);
	ck_assert_uint_eq(len, sizeof(s->info));
	ck_assert_int_eq(nestio_ioas_new(s->ctx, &s->ioas), 0);
	ck_assert_int_eq(s3g_init(&s->g, s->ioas, GUEST_IPA, GUEST_PAGES,
				  (uint8_t)(s->info.idr[5] & 7)), 0);
	s->cd = s3g_page_alloc(&s->g);
	s->l0 = s3g_s1_new(&s->g);
	s->p_src = s3g_page_alloc(&s->g);
	s->p_dst = s3g_page_alloc(&s->g);
	ck_assert_uint_eq(s->cd, GUEST_IPA);
	ck_assert(s->l0 && s->p_src && s->p_dst);
	ck_assert_int_eq(s3g_s1_map(&s->g, s->l0, VA_SRC, s->p_src), 0);
	ck_assert_int_eq(s3g_s1_map(&s->g, s->l0, VA_DST, s->p_dst), 0);
	ck_assert_int_eq(s3g_cd_write(&s->g, s->cd, ASID, s->l0), 0);
}

/* nest parent -> vIOMMU -> vDEVICE (VSID) -> nested hwpt (vSTE) -> attach */
void nest_up(struct stack *s)
{
	struct nestio_hwpt_paging_opts np = { .sz = sizeof(np),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_stage1 s1 = s3g_ste_s1(s->cd);

	ck_assert_int_eq(nestio_hwpt_new_paging(s->dev, s->ioas, &np, &s->parent), 0);
	ck_assert_int_eq(nestio_viommu_new(s->dev, s->parent, NESTIO_VIOMMU_ARM_SMMUV3,
					   NULL, &s->viommu), 0);
	ck_assert_int_eq(nestio_vdevice_new(s->viommu, s->dev, VSID, &s->vdev), 0);
	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(s->dev, s->viommu, &s1, NULL,
						       &s->nested), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(s->dev, NESTIO_NO_PASID, s->nested), 0);
}

void stack_drop(struct stack *s)
{
	s->evq = nestio_veventq_unref(s->evq);
	s->invq = nestio_invq_unref(s->invq);
	s->dev = nestio_device_unref(s->dev);
	s->bypass = nestio_hwpt_unref(s->bypass);
	s->nested = nestio_hwpt_unref(s->nested);
	s->vdev = nestio_vdevice_unref(s->vdev);
	s->viommu = nestio_viommu_unref(s->viommu);
	s->parent = nestio_hwpt_unref(s->parent);
	s->ioas = nestio_ioas_unref(s->ioas);
	s->ctx = nestio_ctx_unref(s->ctx);
	s3g_fini(&s->g);
}

static void setup(void)
{
	stack_base(&st);
}

static void teardown(void)
{
	stack_drop(&st);
}

/* the edu buffer := pattern seed, read by DMA from addr (which must lead
 * to p_src) */
void edu_load(uint64_t addr, uint8_t seed)
{
	ck_assert_int_eq(s3g_fill(&st.g, st.p_src, seed), 0);
	ck_assert_int_eq(edu_dma_to_device(&st.edu, addr, PAGE), 0);
}

/* edu buffer -> addr: the engine must finish, wherever the bytes go */
void edu_store(uint64_t addr, uint32_t len)
{
	ck_assert_int_eq(edu_dma_from_device(&st.edu, addr, len), 0);
}

void page_zero(uint64_t ipa)
{
	ck_assert_int_eq(s3g_fill(&st.g, ipa, S3G_ZERO), 0);
}

int page_state(uint64_t ipa, uint8_t seed)
{
	return s3g_page_state(&st.g, ipa, seed);
}

void push(struct nestio_invq *q, struct s3g_cmd c)
{
	ck_assert_int_eq(nestio_invq_push_smmuv3(q, c.w[0], c.w[1]), 0);
}

/* every event the queue will give within ms of quiet */
unsigned int drain(struct nestio_veventq *q, unsigned int max, int ms)
{
	struct pollfd p = { .fd = nestio_veventq_get_fd(q), .events = POLLIN };
	unsigned int n = 0;

	while (n < max) {
		int r = nestio_veventq_read(q, evs + n, max - n);

		ck_assert_int_ge(r, 0);
		n += (unsigned int)r;
		if (r == 0 && poll(&p, 1, ms) <= 0)
			break;
	}
	return n;
}

void add(Suite *s, const char *name, const TTest *t, bool fixture)
{
	TCase *tc = tcase_create(name);

	if (fixture)
		tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, t);
	suite_add_tcase(s, tc);
}

Suite *stack_suite(const char *name)
{
	Suite *s = suite_create(name);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access("/dev/iommu", F_OK))
		tu_skip("no /dev/iommu");
	if (!edu_bdf())
		tu_skip("no edu device bound to vfio-pci (NESTIO_EDU_BDF unset)");
	s3g_require_nesting(edu_bdf());
	return s;
}
