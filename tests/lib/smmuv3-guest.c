// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guest side of an SMMUv3 nested setup, for tests: guest RAM in an
 * IOAS, a CD and stage-1 tables in it, vSTEs and CMDQ commands. See
 * smmuv3-guest.h.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "smmuv3-guest.h"
#include "testutil.h"

#define VA_BITS		48
#define LEVELS		4
#define IDX_BITS	9		/* 512 eight-byte entries per table */
#define PAGE_SHIFT	12

/* ---- guest RAM ---- */

int s3g_init(struct s3g *g, struct nestio_ioas *ioas, uint64_t ipa,
	     uint32_t npages, uint8_t ips)
{
	size_t len = (size_t)npages * S3G_PAGE;
	uint64_t iova = ipa;
	void *p;
	int r;

	if (!g || !ioas || !npages || ipa % S3G_PAGE)
		return -EINVAL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* fault every page in as our own before it is pinned: the IOMMU and
	 * this process must see the same pages */
	memset(p, 0, len);
	r = nestio_ioas_map(ioas, p, len, &iova, NESTIO_MAP_READ |
			    NESTIO_MAP_WRITE | NESTIO_MAP_FIXED_IOVA);
	if (r == 0 && iova != ipa)
		r = -EFAULT;
	if (r < 0) {
		munmap(p, len);
		return r;
	}
	*g = (struct s3g){ .mem = p, .ipa = ipa, .npages = npages, .ips = ips };
	return 0;
}

void s3g_fini(struct s3g *g)
{
	if (g && g->mem)
		munmap(g->mem, (size_t)g->npages * S3G_PAGE);
	if (g)
		*g = (struct s3g){ 0 };
}

void *s3g_host(const struct s3g *g, uint64_t ipa)
{
	if (!g->mem || ipa < g->ipa ||
	    ipa - g->ipa >= (uint64_t)g->npages * S3G_PAGE)
		return NULL;
	return g->mem + (ipa - g->ipa);
}

uint64_t s3g_page_alloc(struct s3g *g)
{
	uint64_t ipa;

	if (g->used == g->npages)
		return 0;
	ipa = g->ipa + (uint64_t)g->used++ * S3G_PAGE;
	memset(s3g_host(g, ipa), 0, S3G_PAGE);
	return ipa;
}

/*
 * One descriptor or CD word: a single little-endian 64-bit store (never
 * torn), released after everything written before it. s3g_publish() is the
 * guest's barrier before it tells the SMMU (a command, a DMA).
 */
static void put64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, htole64(v), __ATOMIC_RELEASE);
}

static uint64_t get64(const uint64_t *p)
{
	return le64toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

static void s3g_publish(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

uint8_t s3g_pattern(unsigned int i, uint8_t seed)
{
	return (uint8_t)(i * 13u + seed * 31u + 1u);
}

int s3g_fill(struct s3g *g, uint64_t ipa, int seed)
{
	uint8_t *p = s3g_host(g, ipa & ~(uint64_t)(S3G_PAGE - 1));

	if (!p)
		return -EFAULT;
	for (unsigned int i = 0; i < S3G_PAGE; i++)
		p[i] = seed < 0 ? 0 : s3g_pattern(i, (uint8_t)seed);
	s3g_publish();
	return 0;
}

int s3g_page_state(const struct s3g *g, uint64_t ipa, uint8_t seed)
{
	const volatile uint8_t *p = s3g_host(g, ipa & ~(uint64_t)(S3G_PAGE - 1));
	bool zero = true, pat = true;

	if (!p)
		return -EFAULT;
	s3g_publish();		/* everything the DMA wrote before */
	for (unsigned int i = 0; i < S3G_PAGE; i++) {
		zero &= p[i] == 0;
		pat &= p[i] == s3g_pattern(i, seed);
	}
	return pat ? 1 : zero ? 0 : -1;
}

/* ---- stage 1 ---- */

static unsigned int va_index(uint64_t va, int level)
{
	int shift = PAGE_SHIFT + IDX_BITS * (LEVELS - 1 - level);

	return (unsigned int)(va >> shift) & ((1u << IDX_BITS) - 1);
}

static bool va_ok(uint64_t va)
{
	return va % S3G_PAGE == 0 && va < (1ull << VA_BITS);
}

/* the entry of va in the table at IPA table, or NULL if that is not RAM */
static uint64_t *entry(const struct s3g *g, uint64_t table, uint64_t va,
		       int level)
{
	uint64_t *t = s3g_host(g, table);

	return t ? &t[va_index(va, level)] : NULL;
}

/*
 * The L3 entry of va, walking from l0; with alloc, missing tables are made
 * (zeroed, then linked: the SMMU never sees a table before its contents).
 */
static uint64_t *leaf(struct s3g *g, uint64_t l0, uint64_t va, bool alloc)
{
	uint64_t table = l0;

	for (int level = 0; level < LEVELS - 1; level++) {
		uint64_t *e = entry(g, table, va, level);
		uint64_t d, next;

		if (!e)
			return NULL;
		d = get64(e);
		if (!(d & S3G_DESC_VALID)) {
			if (!alloc || !(next = s3g_page_alloc(g)))
				return NULL;
			d = next | S3G_TABLE_DESC;
			put64(e, d);
		} else if (!(d & S3G_DESC_TABLE)) {
			return NULL;	/* a block mapping: not made here */
		}
		table = d & S3G_DESC_ADDR;
	}
	return entry(g, table, va, LEVELS - 1);
}

uint64_t s3g_s1_new(struct s3g *g)
{
	return s3g_page_alloc(g);
}

int s3g_s1_map(struct s3g *g, uint64_t l0, uint64_t va, uint64_t ipa)
{
	uint64_t *e;

	if (!va_ok(va) || ipa % S3G_PAGE || ipa & ~S3G_DESC_ADDR)
		return -EINVAL;
	e = leaf(g, l0, va, true);
	if (!e)
		return -ENOMEM;
	put64(e, ipa | S3G_PAGE_DESC);
	s3g_publish();
	return 0;
}

int s3g_s1_unmap(struct s3g *g, uint64_t l0, uint64_t va)
{
	uint64_t *e;

	if (!va_ok(va))
		return -EINVAL;
	e = leaf(g, l0, va, false);
	if (!e || !(get64(e) & S3G_DESC_VALID))
		return -ENOENT;
	put64(e, 0);
	s3g_publish();
	return 0;
}

int s3g_s1_lookup(const struct s3g *g, uint64_t l0, uint64_t va,
		  uint64_t *ipa)
{
	uint64_t table = l0, d = 0;

	if (!va_ok(va))
		return -EINVAL;
	for (int level = 0; level < LEVELS; level++) {
		uint64_t *e = entry(g, table, va, level);

		if (!e)
			return -ENOENT;
		d = get64(e);
		/* a valid entry at every level has bit 1 set: table or page */
		if ((d & S3G_TABLE_DESC) != S3G_TABLE_DESC)
			return -ENOENT;
		table = d & S3G_DESC_ADDR;
	}
	*ipa = d & S3G_DESC_ADDR;
	return 0;
}

/* ---- context descriptor ---- */

void s3g_cd_words(uint8_t ips, uint16_t asid, uint64_t ttb0,
		  uint64_t w[S3G_CD_WORDS])
{
	memset(w, 0, S3G_CD_WORDS * sizeof(*w));
	/* TCR: 48-bit VA (T0SZ 16), 4 KiB granule, write-back walks
	 * (IRGN0/ORGN0 1), inner shareable tables, no TTB1 */
	w[0] = S3G_CD0_T0SZ(64 - VA_BITS) | S3G_CD0_TG0_4K |
	       S3G_CD0_IRGN0(1) | S3G_CD0_ORGN0(1) | S3G_CD0_SH0(3) |
	       S3G_CD0_EPD1 | S3G_CD0_V | S3G_CD0_IPS(ips) | S3G_CD0_AA64 |
	       S3G_CD0_R | S3G_CD0_A | S3G_CD0_ASET | S3G_CD0_ASID(asid);
	w[1] = ttb0 & S3G_CD1_TTB0;
	w[3] = S3G_MAIR;
}

int s3g_cd_write(struct s3g *g, uint64_t cd, uint16_t asid, uint64_t ttb0)
{
	uint64_t w[S3G_CD_WORDS], *p = s3g_host(g, cd);

	if (!p || cd % (S3G_CD_WORDS * 8) || ttb0 % S3G_PAGE)
		return -EINVAL;
	s3g_cd_words(g->ips, asid, ttb0, w);
	for (int i = S3G_CD_WORDS - 1; i >= 0; i--)
		put64(&p[i], w[i]);
	s3g_publish();
	return 0;
}

/* ---- vSTE ---- */

struct nestio_stage1 s3g_ste_s1(uint64_t cd)
{
	struct nestio_stage1 s1 = { .type = NESTIO_STAGE1_ARM_SMMUV3 };

	/* linear CD table (S1Fmt 0) of one CD (S1CDMax 0) */
	s1.u.smmuv3.ste[0] = S3G_STE0_V | S3G_STE0_CFG(S3G_STE_CFG_S1) |
			     (cd & S3G_STE0_S1CTXPTR);
	/* CD fetches write-back cacheable, inner shareable */
	s1.u.smmuv3.ste[1] = S3G_STE1_S1CIR(1) | S3G_STE1_S1COR(1) |
			     S3G_STE1_S1CSH(3);
	return s1;
}

struct nestio_stage1 s3g_ste_bypass(void)
{
	struct nestio_stage1 s1 = { .type = NESTIO_STAGE1_ARM_SMMUV3 };

	s1.u.smmuv3.ste[0] = S3G_STE0_V | S3G_STE0_CFG(S3G_STE_CFG_BYPASS);
	return s1;
}

struct nestio_stage1 s3g_ste_abort(void)
{
	struct nestio_stage1 s1 = { .type = NESTIO_STAGE1_ARM_SMMUV3 };

	s1.u.smmuv3.ste[0] = S3G_STE0_V | S3G_STE0_CFG(S3G_STE_CFG_ABORT);
	return s1;
}

/* ---- CMDQ commands ---- */

#define CMD_TLBI_ASID(n)	((uint64_t)(n) << 48)	/* word 0, 63:48 */
#define CMD_TLBI_LEAF		(1ull << 0)		/* word 1 */
#define CMD_TLBI_ADDR		0xfffffffffffff000ull	/* word 1, 63:12 */
#define CMD_CFGI_SSID(n)	((uint64_t)((n) & 0xfffff) << 12) /* 31:12 */
#define CMD_CFGI_SID(n)		((uint64_t)(n) << 32)	/* word 0, 63:32 */
#define CMD_CFGI_LEAF		(1ull << 0)		/* word 1 */

struct s3g_cmd s3g_cmd_tlbi_nh_va(uint16_t asid, uint64_t va)
{
	/* no range (NUM/SCALE 0), TTL and TG 0: one entry, any level */
	return (struct s3g_cmd){ { S3G_OP_TLBI_NH_VA | CMD_TLBI_ASID(asid),
				   (va & CMD_TLBI_ADDR) | CMD_TLBI_LEAF } };
}

struct s3g_cmd s3g_cmd_tlbi_nh_asid(uint16_t asid)
{
	return (struct s3g_cmd){ { S3G_OP_TLBI_NH_ASID | CMD_TLBI_ASID(asid), 0 } };
}

struct s3g_cmd s3g_cmd_cfgi_cd(uint32_t sid, uint32_t ssid)
{
	/* Leaf: only the CD itself changed, not a CD table's L1 */
	return (struct s3g_cmd){ { S3G_OP_CFGI_CD | CMD_CFGI_SSID(ssid) |
				   CMD_CFGI_SID(sid), CMD_CFGI_LEAF } };
}

/* ---- firmware and bus ---- */

#define IORT_NODE_RC	2	/* a PCI root complex */
#define IORT_CANWBS	0x4	/* memory access flags: cacheable, no snoop ban */

static uint32_t le(const uint8_t *p, int n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

int s3g_iort_scan(unsigned int *rc, unsigned int *bad, uint8_t *sum)
{
	static uint8_t t[1 << 16];
	uint32_t len, off, nodes;
	size_t n = 0;
	ssize_t got;
	int fd = open(S3G_IORT_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (n < sizeof(t) && (got = read(fd, t + n, sizeof(t) - n)) > 0)
		n += (size_t)got;
	close(fd);
	*rc = *bad = 0;
	*sum = 0;
	/* ACPI header (36 bytes): length at 4; IORT: node count at 36, offset
	 * of the first node at 40 */
	if (n < 48 || (len = le(t + 4, 4)) != n)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		*sum = (uint8_t)(*sum + t[i]);
	nodes = le(t + 36, 4);
	off = le(t + 40, 4);
	for (uint32_t i = 0; i < nodes; i++) {
		uint32_t nlen;

		/* node header: type (1), length (2), ..., 16 bytes */
		if (off + 16 > len || (nlen = le(t + off + 1, 2)) < 16 ||
		    off + nlen > len)
			return -EIO;
		if (t[off] == IORT_NODE_RC) {
			if (nlen < 24)
				return -EIO;
			++*rc;
			/* memory access properties at 16: CCA (4), AH (1),
			 * reserved (2), memory access flags (1) */
			*bad += !(t[off + 16 + 7] & IORT_CANWBS);
		}
		off += nlen;
	}
	return 0;
}

int s3g_rid(const char *bdf)
{
	unsigned int dom, bus, slot, fn;
	char end;

	if (!bdf || sscanf(bdf, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn, &end) != 4 ||
	    bus > 0xff || slot > 0x1f || fn > 7)
		return -EINVAL;
	return (int)(bus << 8 | slot << 3 | fn);
}

void s3g_require_nesting(const char *bdf)
{
	struct nestio_hwpt_paging_opts np = { .sz = sizeof(np),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_ctx *ctx = NULL;
	struct nestio_device *dev = NULL;
	struct nestio_ioas *ioas = NULL;
	struct nestio_hwpt *parent = NULL;
	struct nestio_viommu *viommu = NULL;
	char why[256] = "";
	unsigned int rc, bad = 0;
	uint8_t sum;
	int r;

	if (nestio_ctx_new(&ctx) || nestio_device_open(ctx, bdf, &dev) ||
	    nestio_ioas_new(ctx, &ioas))
		goto out;
	r = nestio_device_get_hw_caps(dev, &caps);
	if (r == 0 && caps.type != NESTIO_IOMMU_ARM_SMMUV3) {
		snprintf(why, sizeof(why), "the device's IOMMU is %s, not an SMMUv3",
			 nestio_iommu_type_name(caps.type));
		goto out;
	}
	r = nestio_hwpt_new_paging(dev, ioas, &np, &parent);
	if (tu_is_feature_missing(r)) {
		snprintf(why, sizeof(why), "no nest parent: %s", strerror(-r));
		goto out;
	}
	r = r ? r : nestio_viommu_new(dev, parent, NESTIO_VIOMMU_ARM_SMMUV3, NULL,
				      &viommu);
	if (tu_is_feature_missing(r)) {
		if (s3g_iort_scan(&rc, &bad, &sum) == 0 && bad)
			snprintf(why, sizeof(why), "no SMMUv3 vIOMMU (%s): the IORT "
				 "override was not applied (no CANWBS)", strerror(-r));
		else
			snprintf(why, sizeof(why), "no SMMUv3 vIOMMU: %s", strerror(-r));
	}
out:
	nestio_viommu_unref(viommu);
	nestio_hwpt_unref(parent);
	nestio_ioas_unref(ioas);
	nestio_device_unref(dev);
	nestio_ctx_unref(ctx);
	if (why[0])
		tu_skip(why);
}
