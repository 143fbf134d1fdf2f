// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * qtest-edu's --viommu script: program the q35 Intel VT-d in legacy mode
 * (root table, one context entry, second-level page tables, all in guest
 * RAM), enable translation and DMA through IOVAs. Register-based
 * invalidation after every change of the tables, present or not: with
 * caching-mode=on that is what makes the VMM shadow the mappings (for a
 * vfio-pci device, map and unmap through its IOMMU backend).
 *
 * Written from the Intel VT-d specification (chapters 9 and 10).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "qtest-edu.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#define VTD 0xfed90000u		/* q35's DMAR unit */
#define R_VER 0x00
#define R_CAP 0x08
#define R_ECAP 0x10
#define R_GCMD 0x18
#define R_GSTS 0x1c
#define R_RTADDR 0x20
#define R_CCMD 0x28
#define R_FSTS 0x34

#define GCMD_TE (1u << 31)
#define GCMD_SRTP (1u << 30)
#define GSTS_ONESHOT 0x96ffffffu	/* status bits a GCMD write keeps */

#define CCMD_ICC (1ull << 63)
#define CCMD_GLOBAL (1ull << 61)
#define CCMD_CAIG (3ull << 59)

#define IOTLB_IVT (1ull << 63)
#define IOTLB_GLOBAL (1ull << 60)
#define IOTLB_DOMAIN (2ull << 60)
#define IOTLB_PAGE (3ull << 60)
#define IOTLB_IAIG (3ull << 57)

#define CAP_PSI (1ull << 39)
#define CAP_CM (1ull << 7)

#define PTE_RW 3ull		/* read | write */
#define PTE_ADDR 0x000ffffffffff000ull

/* guest RAM layout (-m 128M) */
#define ROOT 0x1000000u
#define CTX 0x1001000u
#define PT_POOL 0x1002000u
#define PT_POOL_END 0x1100000u
#define GPA_X 0x2000000u
#define GPA_Y 0x3000000u
/* IOVAs: below edu's 28-bit DMA mask, none equal to its GPA */
#define IOVA_A 0xa000000u
#define IOVA_B 0xb000000u
#define IOVA_NEVER 0x5000000u	/* also a GPA, so a leak would show */
#define DOMAIN 1u		/* caching mode reserves domain 0 */

static unsigned levels;
static uint64_t iotlb_reg;	/* ECAP.IRO * 16: IVA, +8: IOTLB */
static int psi;
static uint64_t next_pt = PT_POOL;
static uint64_t top_pt;

static uint64_t pt_alloc(void)
{
	uint64_t pa = next_pt;

	if (pa >= PT_POOL_END)
		fail("page-table pool exhausted");
	next_pt += PAGE_SIZE;
	q_ram_zero(pa, PAGE_SIZE);
	return pa;
}

static void wait_reg(uint64_t reg, int quad, uint64_t mask, uint64_t want,
		     const char *what)
{
	int i;

	for (i = 0; i < 1000; i++) {
		uint64_t v = quad ? q_readq(VTD + reg) : q_readl(VTD + reg);

		if ((v & mask) == want)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	fail("VT-d: %s did not complete", what);
}

static void gcmd(uint32_t bit, const char *what)
{
	uint32_t sts = q_readl(VTD + R_GSTS);

	q_writel(VTD + R_GCMD, (sts & GSTS_ONESHOT) | bit);
	wait_reg(R_GSTS, 0, bit, bit, what);
}

static void inval_context(void)
{
	uint64_t v;

	q_writeq(VTD + R_CCMD, CCMD_ICC | CCMD_GLOBAL);
	wait_reg(R_CCMD, 1, CCMD_ICC, 0, "context-cache invalidation");
	v = q_readq(VTD + R_CCMD);
	if (!(v & CCMD_CAIG))
		fail("VT-d: context-cache invalidation refused (0x%" PRIx64 ")",
		     v);
}

static void inval_iotlb(uint64_t granularity, uint64_t iova)
{
	uint64_t v;

	if (granularity == IOTLB_PAGE)
		q_writeq(VTD + iotlb_reg, iova);	/* address mask 0 */
	q_writeq(VTD + iotlb_reg + 8,
		 IOTLB_IVT | granularity | (uint64_t)DOMAIN << 32);
	wait_reg(iotlb_reg + 8, 1, IOTLB_IVT, 0, "IOTLB invalidation");
	v = q_readq(VTD + iotlb_reg + 8);
	if (!(v & IOTLB_IAIG))
		fail("VT-d: IOTLB invalidation refused (0x%" PRIx64 ")", v);
}

/* after a change of the mapping of one page */
static void inval_page(uint64_t iova)
{
	inval_iotlb(psi ? IOTLB_PAGE : IOTLB_DOMAIN, iova);
}

/* the leaf entry's address for iova, building tables if build */
static uint64_t leaf(uint64_t iova, int build)
{
	uint64_t table = top_pt;
	unsigned l;

	for (l = levels; l > 1; l--) {
		uint64_t e_pa = table + ((iova >> (12 + 9 * (l - 1))) & 511) * 8;
		uint64_t e = q_readq(e_pa);

		if (!(e & PTE_RW)) {
			if (!build)
				fail("VT-d: unmapping iova 0x%" PRIx64
				     " that has no table", iova);
			e = pt_alloc() | PTE_RW;
			q_writeq(e_pa, e);
		}
		table = e & PTE_ADDR;
	}
	return table + ((iova >> 12) & 511) * 8;
}

static void map(uint64_t iova, uint64_t gpa, int invalidate)
{
	q_writeq(leaf(iova, 1), gpa | PTE_RW);
	if (invalidate)
		inval_page(iova);
}

static void unmap(uint64_t iova, int invalidate)
{
	q_writeq(leaf(iova, 0), 0);
	if (invalidate)
		inval_page(iova);
}

static void setup_vtd(void)
{
	uint32_t ver = q_readl(VTD + R_VER);
	uint64_t cap = q_readq(VTD + R_CAP), ecap = q_readq(VTD + R_ECAP);
	unsigned sagaw = (unsigned)(cap >> 8) & 0x1f, aw;

	if (ver == 0 || ver == 0xffffffffu)
		fail("no VT-d at 0x%x (add -device intel-iommu)", VTD);
	if (sagaw & 4) {
		levels = 4;
		aw = 2;
	} else if (sagaw & 2) {
		levels = 3;
		aw = 1;
	} else {
		fail("VT-d SAGAW 0x%x offers neither 3- nor 4-level tables",
		     sagaw);
	}
	iotlb_reg = ((ecap >> 8) & 0x3ff) * 16;
	psi = (cap & CAP_PSI) && !opt.dsi;
	say("vtd: version %u.%u, sagaw 0x%x -> %u-level tables, caching mode %s,"
	    " iotlb invalidation %s", ver >> 4 & 15, ver & 15, sagaw,
	    levels, cap & CAP_CM ? "on" : "off",
	    psi ? "page-selective" : "domain-selective");

	/* root entry of edu's bus -> context table; edu's context entry
	 * (the source-id is edu's own bus/devfn, also behind a PCIe root
	 * port, which does not take over requests as a PCI bridge would) */
	q_ram_zero(ROOT, PAGE_SIZE);
	q_ram_zero(CTX, PAGE_SIZE);
	top_pt = pt_alloc();
	q_writeq(ROOT + edu_bus * 16, CTX | 1);
	q_writeq(CTX + edu_devfn * 16 + 8, aw | DOMAIN << 8);
	q_writeq(CTX + edu_devfn * 16, top_pt | 1);	/* TT 0: untranslated */

	q_writeq(VTD + R_RTADDR, ROOT);			/* legacy mode */
	gcmd(GCMD_SRTP, "set root table pointer");
	inval_context();
	inval_iotlb(IOTLB_GLOBAL, 0);
	gcmd(GCMD_TE, "translation enable");
	say("vtd: root table set, context of %02x:%02x.%u in domain %u,"
	    " translation enabled", edu_bus, edu_devfn >> 3, edu_devfn & 7,
	    DOMAIN);
}

void script_viommu(void)
{
	uint8_t p[PAGE_SIZE], canary[PAGE_SIZE], zero[PAGE_SIZE] = { 0 };
	uint64_t rng = opt.seed * 2654435761u + 11;
	unsigned k, churn_ok = 0;
	char what[120];

	setup_vtd();
	map(IOVA_A, GPA_X, opt.brk != BREAK_MAP_INVAL);
	say("vtd: map iova 0x%x -> gpa 0x%x", IOVA_A, GPA_X);
	map(IOVA_B, GPA_Y, 1);
	say("vtd: map iova 0x%x -> gpa 0x%x", IOVA_B, GPA_Y);

	pattern(p, sizeof(p), 1);
	q_ram_write(GPA_X, p, sizeof(p));
	q_ram_zero(GPA_Y, PAGE_SIZE);
	edu_dma(0, IOVA_A);
	say("dma: ram->edu from iova 0x%x: done", IOVA_A);
	edu_dma(1, IOVA_B);
	say("dma: edu->ram to iova 0x%x: done", IOVA_B);
	if (opt.brk == BREAK_BYTE)
		q_ram_write(GPA_Y + 321, (const uint8_t[]){ (uint8_t)~p[321] }, 1);
	check_ram("gpa 0x3000000 holds what gpa 0x2000000 held", GPA_Y, p);

	for (k = 0; k < opt.churn; k++) {
		uint64_t iova = 0xc000000u + (rng_next(&rng) % 0x4000u) * PAGE_SIZE;
		uint64_t gpa = 0x4000000u + (rng_next(&rng) % 0x4000u) * PAGE_SIZE;
		uint8_t q[PAGE_SIZE];
		int bad;

		pattern(q, sizeof(q), 100 + k);
		map(iova, gpa, 1);
		q_ram_write(gpa, q, sizeof(q));
		edu_dma(0, iova);
		q_ram_zero(gpa, PAGE_SIZE);
		edu_dma(1, iova);
		snprintf(what, sizeof(what), "churn %u: iova 0x%07" PRIx64
			 " -> gpa 0x%07" PRIx64 " round trip", k, iova, gpa);
		bad = check_ram(what, gpa, q);
		/* unmapped again: the same DMA must not reach the page */
		unmap(iova, 1);
		q_ram_zero(gpa, PAGE_SIZE);
		edu_dma(1, iova);
		snprintf(what, sizeof(what), "churn %u: after unmap, gpa 0x%07"
			 PRIx64 " not written", k, gpa);
		bad |= check_ram(what, gpa, zero);
		churn_ok += !bad;
	}
	if (opt.churn)
		say("churn: %u of %u rounds ok", churn_ok, opt.churn);

	/* the churn left A and B alone (and B is in the IOTLB again) */
	pattern(p, sizeof(p), 5);
	q_ram_write(GPA_X, p, sizeof(p));
	q_ram_zero(GPA_Y, PAGE_SIZE);
	edu_dma(0, IOVA_A);
	edu_dma(1, IOVA_B);
	check_ram("after the churn, iova 0xa000000 -> 0xb000000 still copies",
		  GPA_Y, p);

	/* unmap B: a DMA to it must leave GPA Y alone */
	unmap(IOVA_B, opt.brk != BREAK_UNMAP_INVAL);
	say("vtd: unmap iova 0x%x", IOVA_B);
	pattern(canary, sizeof(canary), 3);
	q_ram_write(GPA_Y, canary, sizeof(canary));
	pattern(p, sizeof(p), 4);
	q_ram_write(GPA_X, p, sizeof(p));
	edu_dma(0, IOVA_A);
	edu_dma(1, IOVA_B);
	say("dma: edu->ram to unmapped iova 0x%x: done", IOVA_B);
	check_ram("gpa 0x3000000 not written (blocked)", GPA_Y, canary);

	/* an IOVA that was never mapped, in both directions */
	q_ram_write(IOVA_NEVER, canary, sizeof(canary));
	edu_dma(1, IOVA_NEVER);
	say("dma: edu->ram to never-mapped iova 0x%x: done", IOVA_NEVER);
	check_ram("gpa 0x5000000 not written (blocked)", IOVA_NEVER, canary);
	edu_dma(0, IOVA_NEVER);
	say("dma: ram->edu from never-mapped iova 0x%x: done", IOVA_NEVER);
	q_ram_write(GPA_X, canary, sizeof(canary));
	edu_dma(1, IOVA_A);
	check_ram("edu buffer after the blocked read is all zero", GPA_X, zero);
	fprintf(stderr, "qtest-edu: VT-d fault status 0x%x\n",
		q_readl(VTD + R_FSTS));

	/*
	 * Translation off: the device is on guest physical addresses again.
	 * QEMU takes the IOMMU region out of vfio's memory listener with one
	 * unmap of [0, 2^63) and one of [2^63, 2^64) -- the second covers
	 * nothing mapped, which the kernel answers with ENOENT and QEMU takes
	 * as success -- and maps guest RAM again.
	 */
	q_writel(VTD + R_GCMD, q_readl(VTD + R_GSTS) & GSTS_ONESHOT & ~GCMD_TE);
	wait_reg(R_GSTS, 0, GCMD_TE, 0, "translation disable");
	say("vtd: translation disabled");
	pattern(p, sizeof(p), 6);
	q_ram_write(GPA_X, p, sizeof(p));
	q_ram_zero(GPA_Y, PAGE_SIZE);
	edu_dma(0, GPA_X);
	edu_dma(1, GPA_Y);
	say("dma: ram->edu from gpa 0x%x, edu->ram to gpa 0x%x: done", GPA_X,
	    GPA_Y);
	check_ram("untranslated, gpa 0x3000000 holds what gpa 0x2000000 held",
		  GPA_Y, p);
}
