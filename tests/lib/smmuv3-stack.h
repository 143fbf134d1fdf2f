/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tier 4: what the SMMUv3 nesting tests (test-smmuv3, test-smmuv3-ste)
 * share on the arm64 VM: the stack of objects a VMM builds for one device
 * behind QEMU's emulated SMMUv3 (ctx, the edu device, an IOAS holding the
 * guest's RAM with a CD and stage-1 tables, then nest parent, vIOMMU,
 * vDEVICE and a nested hwpt from the guest's vSTE), the edu DMA helpers
 * that say where a DMA landed, and the program's start (skips, fixture).
 * Everything asserts with Check: it is for START_TEST bodies only.
 *
 * A DMA "lands" in a page when the page holds exactly what the edu's
 * buffer held, every other candidate page still being zero.
 */
#ifndef NESTIO_TESTS_SMMUV3_STACK_H
#define NESTIO_TESTS_SMMUV3_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "edu.h"
#include "kabi.h"
#include "smmuv3-guest.h"
#include "testutil.h"

#define PAGE		S3G_PAGE
/* guest RAM; its first page holds the CD (so the vSTE is 0x2000000b) */
#define GUEST_IPA	UINT64_C(0x20000000)
#define GUEST_PAGES	64u
#define MSI_IPA		UINT64_C(0x8000000)	/* the ITS doorbell window, 1 MiB */
#define VSID		0x42u		/* the stream ID the guest sees */
#define ASID		1u
#define ASID2		2u
/* stage-1 VAs, all above the 44-bit IPA space: only stage 1 makes sense
 * of them. SRC, DST, HOLE and HOLE2 share one L3 table; the HOLEs are
 * never mapped. */
#define VA_SRC		UINT64_C(0x00007ffc12340000)
#define VA_DST		(VA_SRC + PAGE)
#define VA_HOLE		(VA_SRC + 5 * PAGE)
#define VA_HOLE2	(VA_SRC + 0x10000)
#define VA_X		UINT64_C(0x0000512300005000)
#define EVQ_DEPTH	64u
#define BURST		(PAGE / 4)	/* QEMU faults a DMA 4 bytes at a time */

struct stack {
	struct nestio_ctx *ctx;
	struct nestio_device *dev;
	struct nestio_ioas *ioas;
	struct nestio_hwpt *parent, *nested, *bypass;
	struct nestio_viommu *viommu;
	struct nestio_vdevice *vdev;
	struct nestio_invq *invq;
	struct nestio_veventq *evq;
	struct kabi_hw_info_arm_smmuv3 info;
	struct edu edu;
	struct s3g g;
	uint64_t cd, l0, p_src, p_dst;	/* IPAs */
};

/* the fixture's stack: stack_base() before each case added with a
 * fixture, stack_drop() after it */
extern struct stack st;

/* the physical stream ID of the edu (its RID) */
uint32_t phys_sid(void);

/* ctx, device, IOAS, and the guest's CD + stage-1 tables (VA_SRC, VA_DST) */
void stack_base(struct stack *s);
/* nest parent -> vIOMMU -> vDEVICE (VSID) -> nested hwpt (vSTE) -> attach */
void nest_up(struct stack *s);
/* drops every object s holds (NULL ones too) and frees the guest RAM */
void stack_drop(struct stack *s);

/* the edu buffer := pattern seed, read by DMA from addr (which must lead
 * to st.p_src) */
void edu_load(uint64_t addr, uint8_t seed);
/* edu buffer -> addr: the engine must finish, wherever the bytes go */
void edu_store(uint64_t addr, uint32_t len);
void page_zero(uint64_t ipa);
/* s3g_page_state() of st's guest RAM */
int page_state(uint64_t ipa, uint8_t seed);
/* one CMDQ command onto q */
void push(struct nestio_invq *q, struct s3g_cmd c);

/* every event the queue will give within ms of quiet, read into evs */
extern struct nestio_vevent evs[BURST + 64];
unsigned int drain(struct nestio_veventq *q, unsigned int max, int ms);

/* A suite for an SMMUv3 nesting program: stdout line-buffered; skips the
 * program unless /dev/iommu, a vfio-bound edu and a nesting SMMUv3 are
 * there. */
Suite *stack_suite(const char *name);
/* a case of its own with a 180 s timeout, with the st fixture or not */
void add(Suite *s, const char *name, const TTest *t, bool fixture);

#endif
