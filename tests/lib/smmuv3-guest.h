/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A test-only stand-in for a guest kernel driving an Arm SMMUv3: it owns a
 * piece of "guest RAM" (host memory mapped into a nestio IOAS at a fixed
 * IOVA, which is the guest physical address, the IPA) and builds in it what
 * a guest's SMMUv3 driver builds: a context descriptor (CD) and VMSAv8-64
 * stage-1 translation tables (4 KiB granule, T0SZ 16: 48-bit VAs, four
 * levels L0..L3). It also makes the words the guest would hand its vSMMU:
 * the vSTE (as a struct nestio_stage1) and CMDQ commands.
 *
 * The emulated SMMU reads the CD and the tables from guest RAM, that is from
 * this memory through stage 2, whenever it misses its caches: every update
 * is a single 64-bit little-endian store, ordered (release, then a full
 * fence before the function returns) the way a guest orders its writes
 * before it issues commands or DMA.
 *
 * Field positions: Arm SMMUv3 architecture (STE, CD, commands) and Arm ARM
 * VMSAv8-64 (descriptors).
 */
#ifndef NESTIO_TESTS_SMMUV3_GUEST_H
#define NESTIO_TESTS_SMMUV3_GUEST_H

#include <stdint.h>

#include "libnestio.h"

#define S3G_PAGE		4096u

/* ---- stage-1 descriptors (4 KiB granule) ---- */
#define S3G_DESC_VALID		(1ull << 0)
#define S3G_DESC_TABLE		(1ull << 1)	/* L0-L2: table; L3: page */
#define S3G_DESC_ATTRIDX(n)	((uint64_t)(n) << 2)	/* MAIR index */
#define S3G_DESC_AP_EL0		(1ull << 6)	/* AP[1]: unprivileged access */
#define S3G_DESC_SH_INNER	(3ull << 8)
#define S3G_DESC_AF		(1ull << 10)	/* access flag */
#define S3G_DESC_NG		(1ull << 11)	/* not global: ASID-tagged */
#define S3G_DESC_ADDR		0x0000fffffffff000ull	/* bits 47:12 */
/* a next-level table: its IPA | 3 */
#define S3G_TABLE_DESC		(S3G_DESC_VALID | S3G_DESC_TABLE)
/* a 4 KiB page of normal write-back memory (MAIR index 1), RW for DMA:
 * IPA | 0xf47 */
#define S3G_PAGE_DESC		(S3G_DESC_VALID | S3G_DESC_TABLE |		\
				 S3G_DESC_ATTRIDX(1) | S3G_DESC_AP_EL0 |	\
				 S3G_DESC_SH_INNER | S3G_DESC_AF | S3G_DESC_NG)

/* ---- context descriptor: 8 little-endian words ---- */
#define S3G_CD_WORDS		8
#define S3G_CD0_T0SZ(n)		((uint64_t)(n) << 0)	/* 5:0 */
#define S3G_CD0_TG0_4K		(0ull << 6)		/* 7:6 */
#define S3G_CD0_IRGN0(n)	((uint64_t)(n) << 8)	/* 9:8 */
#define S3G_CD0_ORGN0(n)	((uint64_t)(n) << 10)	/* 11:10 */
#define S3G_CD0_SH0(n)		((uint64_t)(n) << 12)	/* 13:12 */
#define S3G_CD0_EPD1		(1ull << 30)	/* no TTB1 walks */
#define S3G_CD0_V		(1ull << 31)
#define S3G_CD0_IPS(n)		((uint64_t)((n) & 7) << 32)	/* 34:32 */
#define S3G_CD0_AA64		(1ull << 41)
#define S3G_CD0_R		(1ull << 45)	/* record faults: events */
#define S3G_CD0_A		(1ull << 46)	/* abort faulting accesses */
#define S3G_CD0_ASET		(1ull << 47)	/* ASID not shared with CPUs */
#define S3G_CD0_ASID(n)		((uint64_t)(n) << 48)	/* 63:48 */
#define S3G_CD1_TTB0		0x000ffffffffffff0ull	/* bits 51:4 */
#define S3G_MAIR		0xf404ff44ull	/* attr 1: normal WB */

/* ---- STE words 0 and 1 ---- */
#define S3G_STE0_V		(1ull << 0)
#define S3G_STE0_CFG(n)		((uint64_t)(n) << 1)	/* 3:1 */
#define S3G_STE_CFG_ABORT	0u
#define S3G_STE_CFG_BYPASS	4u
#define S3G_STE_CFG_S1		5u
#define S3G_STE0_S1CTXPTR	0x000fffffffffffc0ull	/* bits 51:6 */
#define S3G_STE1_S1CIR(n)	((uint64_t)(n) << 2)	/* 3:2 */
#define S3G_STE1_S1COR(n)	((uint64_t)(n) << 4)	/* 5:4 */
#define S3G_STE1_S1CSH(n)	((uint64_t)(n) << 6)	/* 7:6 */

/* ---- CMDQ opcodes ---- */
#define S3G_OP_CFGI_CD		0x05u
#define S3G_OP_TLBI_NH_ASID	0x11u
#define S3G_OP_TLBI_NH_VA	0x12u

/* The guest RAM: npages pages at IPA ipa, mapped in an IOAS. */
struct s3g {
	uint8_t *mem;		/* host memory backing it */
	uint64_t ipa;		/* IPA (IOVA) of mem[0] */
	uint32_t npages;
	uint32_t used;		/* pages handed out by s3g_page_alloc */
	uint8_t ips;		/* CD IPS: the SMMU's IDR5.OAS encoding */
};

/*
 * Allocates npages of zeroed, page-aligned memory and maps it read-write
 * into ioas at IOVA ipa (NESTIO_MAP_FIXED_IOVA). ips is what CDs get in
 * their IPS field (IDR5.OAS of the physical SMMU). 0 or -errno.
 * The mapping lives as long as the IOAS (or until the caller unmaps it);
 * s3g_fini() only frees the memory.
 */
int s3g_init(struct s3g *g, struct nestio_ioas *ioas, uint64_t ipa,
	     uint32_t npages, uint8_t ips);
void s3g_fini(struct s3g *g);

/* A zeroed page of guest RAM: its IPA, or 0 when none is left. */
uint64_t s3g_page_alloc(struct s3g *g);
/* The host address of an IPA in guest RAM, or NULL outside it. */
void *s3g_host(const struct s3g *g, uint64_t ipa);

/* Fills the page at ipa with the byte pattern seed (S3G_ZERO: zeroes),
 * then fences: ready for a DMA. 0 or -EFAULT outside guest RAM. */
#define S3G_ZERO	(-1)
int s3g_fill(struct s3g *g, uint64_t ipa, int seed);
uint8_t s3g_pattern(unsigned int i, uint8_t seed);	/* byte i of a pattern */
/* What the page at ipa holds (read after a fence, as a DMA left it): 1 the
 * pattern seed, 0 only zeroes, -1 anything else; -EFAULT outside RAM. */
int s3g_page_state(const struct s3g *g, uint64_t ipa, uint8_t seed);

/* ---- stage 1 ---- */

/* A new, empty L0 table (a TTB0 value): its IPA, or 0. */
uint64_t s3g_s1_new(struct s3g *g);
/* Maps the 4 KiB page at va to ipa under the L0 table at l0, making the
 * missing L1..L3 tables; replaces a leaf that is there. 0 or -errno. */
int s3g_s1_map(struct s3g *g, uint64_t l0, uint64_t va, uint64_t ipa);
/* Clears the leaf of va: -ENOENT if there was no valid one. */
int s3g_s1_unmap(struct s3g *g, uint64_t l0, uint64_t va);
/* Walks the tables the way the SMMU does: the IPA va maps to in *ipa,
 * 0, or -ENOENT (a translation fault). */
int s3g_s1_lookup(const struct s3g *g, uint64_t l0, uint64_t va,
		  uint64_t *ipa);

/* ---- context descriptor ---- */

/* The 8 words (host order) of a CD for a 48-bit, 4 KiB-granule stage 1. */
void s3g_cd_words(uint8_t ips, uint16_t asid, uint64_t ttb0,
		  uint64_t w[S3G_CD_WORDS]);
/* Writes (or rewrites in place) the CD at cd: words 7..1, then word 0,
 * which holds V and the ASID. 0 or -EINVAL (cd not 64-byte aligned guest
 * RAM). */
int s3g_cd_write(struct s3g *g, uint64_t cd, uint16_t asid, uint64_t ttb0);

/* ---- vSTE ---- */

/* stage-1 translation with the single CD at IPA cd (S1CDMax 0, linear) */
struct nestio_stage1 s3g_ste_s1(uint64_t cd);
struct nestio_stage1 s3g_ste_bypass(void);	/* stage 2 only */
struct nestio_stage1 s3g_ste_abort(void);	/* every access aborts */

/* ---- CMDQ commands ----
 * Words 0 and 1 as values (host byte order): the kernel takes them little
 * endian, nestio_invq_push_smmuv3() converts. */
struct s3g_cmd {
	uint64_t w[2];
};

/* the leaf entry of one 4 KiB page of va under asid */
struct s3g_cmd s3g_cmd_tlbi_nh_va(uint16_t asid, uint64_t va);
/* everything cached under asid */
struct s3g_cmd s3g_cmd_tlbi_nh_asid(uint16_t asid);
/* the cached CD of a stream (the VIRTUAL stream ID, as the guest sees it) */
struct s3g_cmd s3g_cmd_cfgi_cd(uint32_t sid, uint32_t ssid);

/* ---- what the guest's firmware and bus say ---- */

#define S3G_IORT_PATH	"/sys/firmware/acpi/tables/IORT"
/*
 * Reads the IORT the guest booted with: how many root-complex nodes it has
 * (*rc), how many of them lack CANWBS in their memory access flags (*bad),
 * and the table's byte sum (*sum: 0 when the checksum holds). 0 or -errno.
 */
int s3g_iort_scan(unsigned int *rc, unsigned int *bad, uint8_t *sum);
/* The PCI requester ID (the physical stream ID) of "DDDD:BB:DD.F", or
 * -EINVAL. */
int s3g_rid(const char *bdf);

/*
 * Can this machine run the SMMUv3 nesting tier at all? Skips the program
 * (tu_skip: exit 77, a failure under NESTIO_REQUIRE_KERNEL=1) only when
 * the IOMMU behind the device at bdf is no SMMUv3 or reports nesting
 * missing (saying whether the IORT override was applied); any other error
 * is left to the tests to show.
 */
void s3g_require_nesting(const char *bdf);

#endif
