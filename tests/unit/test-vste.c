// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: SMMUv3 guest STEs. nestio_smmuv3_ste_canon() on real
 * STE bit patterns (the Arm SMMUv3 architecture's layout, as a Linux guest
 * driver writes them), and the shared abort and bypass nested hwpts of a
 * vIOMMU through the fake kernel: the exact vSTE each HWPT_ALLOC carries,
 * one of each per vIOMMU, shared across lookups and devices, gone with its
 * last reference.
 */
#include <endian.h>
#include <string.h>

#include "fakekernel.h"

/* STE fields (Arm SMMUv3, "Stream Table Entry"), words 0 and 1 */
#define V		(1ull << 0)
#define CFG(n)		((uint64_t)(n) << 1)	/* 3:1 */
#define S1FMT(n)	((uint64_t)(n) << 4)	/* 5:4 */
#define S1CDMAX(n)	((uint64_t)(n) << 59)	/* 63:59 */
#define S1DSS(n)	((uint64_t)(n) << 0)
#define S1CIR(n)	((uint64_t)(n) << 2)
#define S1COR(n)	((uint64_t)(n) << 4)
#define S1CSH(n)	((uint64_t)(n) << 6)
#define S2HWU		(0xfull << 8)		/* 11:8 */
#define DRE		(1ull << 12)
#define CONT(n)		((uint64_t)(n) << 13)	/* 16:13 */
#define DCP		(1ull << 17)
#define PPAR		(1ull << 18)
#define MEV		(1ull << 19)
#define S2FWB		(1ull << 25)
#define S1MPAM		(1ull << 26)
#define S1STALLD	(1ull << 27)
#define EATS(n)		((uint64_t)(n) << 28)	/* 29:28 */
#define STRW(n)		((uint64_t)(n) << 30)	/* 31:30: 0 NS-EL1, 2 EL2 */
#define MEMATTR(n)	((uint64_t)(n) << 32)	/* 35:32 */
#define MTCFG		(1ull << 36)
#define ALLOCCFG(n)	((uint64_t)(n) << 37)	/* 40:37 */
#define SHCFG(n)	((uint64_t)(n) << 44)	/* 45:44: 1 incoming */
#define NSCFG(n)	((uint64_t)(n) << 46)
#define PRIVCFG(n)	((uint64_t)(n) << 48)
#define INSTCFG(n)	((uint64_t)(n) << 50)
#define CTXPTR		0x40001000ull		/* a CD table's IPA */

struct canon_case {
	const char *what;
	uint64_t in[2];
	int kind;
	uint64_t out[2];
};

static const struct canon_case canon_cases[] = {
	/* the vSTE tests/device/test-smmuv3.c has QEMU's SMMU translate */
	{ "s1 minimal", { 0x2000000b, 0xd4 }, NESTIO_SMMUV3_STE_S1,
	  { 0x2000000b, 0xd4 } },
	/* a Linux guest's CD-table STE: 2-level CD table, SSID0 for no-PASID
	 * traffic, WBRA inner shareable, stall disabled, full ATS; in an EL2
	 * (VHE) guest with MEV and incoming shareability, which are the host's */
	{ "s1 linux guest",
	  { V | CFG(5) | S1FMT(1) | CTXPTR | S1CDMAX(4),
	    S1DSS(2) | S1CIR(1) | S1COR(1) | S1CSH(3) | MEV | S1STALLD |
	    EATS(1) | STRW(2) | SHCFG(1) },
	  NESTIO_SMMUV3_STE_S1,
	  { V | CFG(5) | S1FMT(1) | CTXPTR | S1CDMAX(4),
	    S1DSS(2) | S1CIR(1) | S1COR(1) | S1CSH(3) | S1STALLD | EATS(1) } },
	/* every host-owned word-1 field set at once */
	{ "s1 host fields",
	  { V | CFG(5) | CTXPTR,
	    S1CSH(3) | S2HWU | DRE | CONT(0xf) | DCP | PPAR | MEV | S2FWB |
	    S1MPAM | STRW(3) | MEMATTR(0xf) | MTCFG | ALLOCCFG(0xf) |
	    SHCFG(3) | NSCFG(3) | PRIVCFG(3) | INSTCFG(3) | (0xfffull << 52) },
	  NESTIO_SMMUV3_STE_S1, { V | CFG(5) | CTXPTR, S1CSH(3) } },
	/* reserved bits 58:52 of word 0 */
	{ "s1 word-0 reserved", { V | CFG(5) | CTXPTR | (0x7full << 52), 0 },
	  NESTIO_SMMUV3_STE_S1, { V | CFG(5) | CTXPTR, 0 } },
	/* split-stage ATS (a stage-2 feature) and the reserved EATS */
	{ "s1 eats split", { V | CFG(5) | CTXPTR, EATS(2) | S1CIR(1) },
	  NESTIO_SMMUV3_STE_S1, { V | CFG(5) | CTXPTR, S1CIR(1) } },
	{ "s1 eats reserved", { V | CFG(5) | CTXPTR, EATS(3) },
	  NESTIO_SMMUV3_STE_S1, { V | CFG(5) | CTXPTR, 0 } },
	/* nested (S1 + S2): the stage 2 is the host's */
	{ "nested", { V | CFG(7) | CTXPTR, S1CSH(3) },
	  NESTIO_SMMUV3_STE_S1, { V | CFG(5) | CTXPTR, S1CSH(3) } },
	/* Linux's bypass STE: Config bypass, SHCFG incoming */
	{ "bypass linux", { V | CFG(4), SHCFG(1) }, NESTIO_SMMUV3_STE_BYPASS,
	  { 0x9, 0 } },
	/* bypass keeps no stage-1 field */
	{ "bypass with s1 fields", { V | CFG(4) | CTXPTR | S1CDMAX(2),
				     S1CSH(3) | EATS(1) },
	  NESTIO_SMMUV3_STE_BYPASS, { 0x9, 0 } },
	/* stage 2 only: the host's stage 2 is all there is */
	{ "s2 only", { V | CFG(6), STRW(0) | SHCFG(1) }, NESTIO_SMMUV3_STE_BYPASS,
	  { 0x9, 0 } },
	/* Linux's abort STE, and the reserved configs 0b001..0b011 */
	{ "abort linux", { V, 0 }, NESTIO_SMMUV3_STE_ABORT, { 0x1, 0 } },
	{ "abort with fields", { V | CFG(0) | CTXPTR, S1CSH(3) | SHCFG(1) },
	  NESTIO_SMMUV3_STE_ABORT, { 0x1, 0 } },
	{ "reserved 1", { V | CFG(1), 0 }, NESTIO_SMMUV3_STE_ABORT, { 0x1, 0 } },
	{ "reserved 2", { V | CFG(2), 0 }, NESTIO_SMMUV3_STE_ABORT, { 0x1, 0 } },
	{ "reserved 3", { V | CFG(3) | CTXPTR, 0 }, NESTIO_SMMUV3_STE_ABORT,
	  { 0x1, 0 } },
	/* not valid: nothing of it stays */
	{ "invalid", { 0, 0 }, NESTIO_SMMUV3_STE_INVALID, { 0, 0 } },
	{ "invalid s1", { CFG(5) | CTXPTR, 0xd4 }, NESTIO_SMMUV3_STE_INVALID,
	  { 0, 0 } },
};

START_TEST(test_canon_patterns)
{
	for (size_t i = 0; i < ARRAY_SIZE(canon_cases); i++) {
		const struct canon_case *c = &canon_cases[i];
		uint64_t out[2] = { ~0ull, ~0ull }, cl[2] = { ~0ull, ~0ull };
		uint64_t inplace[2] = { c->in[0], c->in[1] };

		ck_assert_msg(nestio_smmuv3_ste_canon(c->in, out, cl) == c->kind,
			      "%s: kind", c->what);
		ck_assert_msg(out[0] == c->out[0] && out[1] == c->out[1],
			      "%s: out %#llx %#llx, want %#llx %#llx", c->what,
			      (unsigned long long)out[0], (unsigned long long)out[1],
			      (unsigned long long)c->out[0],
			      (unsigned long long)c->out[1]);
		/* cleared: exactly the input bits the output lost */
		for (int w = 0; w < 2; w++) {
			ck_assert_msg(cl[w] == (c->in[w] & ~c->out[w]),
				      "%s: cleared[%d]", c->what, w);
			ck_assert_msg(!(out[w] & ~c->in[w]), "%s: set a bit", c->what);
		}
		/* in place, without cleared; and idempotent */
		ck_assert_int_eq(nestio_smmuv3_ste_canon(inplace, inplace, NULL), c->kind);
		ck_assert(inplace[0] == out[0] && inplace[1] == out[1]);
		ck_assert_int_eq(nestio_smmuv3_ste_canon(out, out, cl), c->kind);
		ck_assert(out[0] == c->out[0] && out[1] == c->out[1]);
		ck_assert(!cl[0] && !cl[1]);
	}
	{
		uint64_t out[2] = { 7, 7 };

		EXPECT_NOIO(nestio_smmuv3_ste_canon(NULL, out, NULL), -EINVAL);
		EXPECT_NOIO(nestio_smmuv3_ste_canon(canon_cases[0].in, NULL, out),
			    -EINVAL);
		ck_assert(out[0] == 7 && out[1] == 7);
	}
}
END_TEST

/* ------------------------------------------- shared abort / bypass hwpts */

/* the vSTE of each HWPT_ALLOC, read while the call is in the kernel */
static uint64_t vste[16][2];
static int nvste;

static int capture(int fd, unsigned long request, void *arg)
{
	if (request == KABI_IOMMU_HWPT_ALLOC) {
		const struct kabi_hwpt_alloc *c = arg;
		const uint64_t *d = (const void *)(uintptr_t)c->data_uptr;

		ck_assert_uint_eq(c->data_type, KABI_HWPT_DATA_ARM_SMMUV3);
		ck_assert_uint_eq(c->data_len, 16);
		ck_assert_uint_eq(c->flags, 0);
		ck_assert_int_lt(nvste, (int)ARRAY_SIZE(vste));
		vste[nvste][0] = le64toh(d[0]);
		vste[nvste][1] = le64toh(d[1]);
		nvste++;
	}
	return fake_kernel(fd, request, arg);
}

static struct nestio_hwpt *parent;
static struct nestio_viommu *viommu;

static void vsetup(void)
{
	setup_objs();
	parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	ck_assert_int_eq(nestio_viommu_new(dev, parent, NESTIO_VIOMMU_ARM_SMMUV3,
					   NULL, &viommu), 0);
	nvste = 0;
	tu_seam_answer = capture;
}

static void vteardown(void)
{
	viommu = nestio_viommu_unref(viommu);
	parent = nestio_hwpt_unref(parent);
	teardown_objs();
}

static struct nestio_hwpt *for_ste(struct nestio_device *d, uint64_t w0,
				   uint64_t w1)
{
	const uint64_t ste[2] = { w0, w1 };
	struct nestio_hwpt *h = NULL;

	ck_assert_int_eq(nestio_viommu_hwpt_for_ste(viommu, d, ste, &h), 0);
	ck_assert_ptr_nonnull(h);
	return h;
}

static struct nestio_hwpt *for_gbpa(struct nestio_device *d, uint32_t gbpa)
{
	struct nestio_hwpt *h = NULL;

	ck_assert_int_eq(nestio_viommu_hwpt_for_gbpa(viommu, d, gbpa, &h), 0);
	return h;
}

START_TEST(test_shared_abort_bypass)
{
	struct rec rec2 = { 0 };
	struct nestio_device *d2 = NULL;
	struct nestio_hwpt *ab, *ab2, *ab3, *ab4, *bp, *bp2, *bp3;
	uint32_t vid = nestio_viommu_get_id(viommu), abid, bpid;

	ck_assert_int_eq(nestio_device_new_from_id(ctx, 8, &rec_ops, &rec2, &d2), 0);

	/* the first abort: one HWPT_ALLOC on the vIOMMU, vSTE {V, 0} */
	tu_ncalls = 0;
	ab = for_ste(dev, V | CFG(0), SHCFG(1));
	ck_assert_int_eq(tu_ncalls, 1);
	EXPECT_IOMMU(0, KABI_IOMMU_HWPT_ALLOC, kabi_hwpt_alloc, .dev_id = 7,
		     .pt_id = vid, .data_type = KABI_HWPT_DATA_ARM_SMMUV3,
		     .data_len = 16,
		     .data_uptr = ((const struct kabi_hwpt_alloc *)tu_calls[0].arg)->data_uptr);
	ck_assert_int_eq(nvste, 1);
	ck_assert(vste[0][0] == 0x1 && vste[0][1] == 0);
	abid = nestio_hwpt_get_id(ab);
	ck_assert_ptr_eq(nestio_hwpt_get_viommu(ab), viommu);
	ck_assert_int_eq(nestio_hwpt_is_nested(ab), 1);

	/* V = 0, a reserved config, GBPA.ABORT, another device: the same */
	ab2 = for_ste(dev, CFG(5) | CTXPTR, 0xd4);
	ab3 = for_gbpa(dev, NESTIO_SMMUV3_GBPA_ABORT | 1u << 12);	/* SHCFG */
	ab4 = for_ste(d2, V | CFG(2), 0);
	ck_assert(ab2 == ab && ab3 == ab && ab4 == ab);
	ck_assert_int_eq(tu_ncalls, 1);

	/* bypass: its own, vSTE {V | Config 0b100, 0}; GBPA without ABORT
	 * and a stage-2-only STE are the same */
	bp = for_gbpa(d2, 0);
	ck_assert_int_eq(tu_ncalls, 2);
	ck_assert_uint_eq(((const struct kabi_hwpt_alloc *)tu_calls[1].arg)->dev_id, 8);
	ck_assert(vste[1][0] == 0x9 && vste[1][1] == 0);
	bpid = nestio_hwpt_get_id(bp);
	ck_assert_uint_ne(bpid, abid);
	bp2 = for_ste(dev, V | CFG(4), SHCFG(1));
	bp3 = for_ste(dev, V | CFG(6), 0);
	ck_assert(bp2 == bp && bp3 == bp);
	ck_assert_int_eq(tu_ncalls, 2);

	/* a stage-1 STE: a nested hwpt of its own each time, from the
	 * reduced vSTE */
	{
		struct nestio_hwpt *s1 = for_ste(dev, V | CFG(7) | CTXPTR,
						 S1CSH(3) | STRW(2) | EATS(1));
		struct nestio_hwpt *s1b = for_ste(dev, V | CFG(5) | CTXPTR, S1CSH(3));

		ck_assert_int_eq(tu_ncalls, 4);
		ck_assert(vste[2][0] == (V | CFG(5) | CTXPTR) &&
			  vste[2][1] == (S1CSH(3) | EATS(1)));
		ck_assert(vste[3][0] == (V | CFG(5) | CTXPTR) && vste[3][1] == S1CSH(3));
		ck_assert_ptr_ne(s1, s1b);
		ck_assert_ptr_ne(s1, ab);
		nestio_hwpt_unref(s1);
		nestio_hwpt_unref(s1b);
	}

	/* an attachment is a user too: the caller's references go, the
	 * abort hwpt stays while d2 is attached to it */
	ck_assert_int_eq(nestio_device_attach_hwpt(d2, NESTIO_NO_PASID, ab), 0);
	ck_assert_uint_eq(rec2.pt_id, abid);
	fk_nev = 0;
	for (int i = 0; i < 4; i++)
		nestio_hwpt_unref(ab);
	ck_assert_int_eq(count_ev('D'), 0);
	tu_ncalls = 0;
	ab = for_gbpa(dev, NESTIO_SMMUV3_GBPA_ABORT);
	ck_assert_int_eq(tu_ncalls, 0);
	ck_assert_uint_eq(nestio_hwpt_get_id(ab), abid);
	nestio_hwpt_unref(ab);
	/* the last user goes: it is destroyed, and the next is a new one */
	ck_assert_int_eq(nestio_device_detach(d2, NESTIO_NO_PASID), 0);
	ck_assert_int_eq(find_ev('D', abid), 1);	/* after the detach */
	tu_ncalls = 0;
	ab = for_ste(d2, 0, 0);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_uint_ne(nestio_hwpt_get_id(ab), abid);
	nestio_hwpt_unref(ab);

	/* the bypass hwpt went its own way meanwhile, and goes last */
	nestio_hwpt_unref(bp3);
	nestio_hwpt_unref(bp2);
	fk_nev = 0;
	nestio_hwpt_unref(bp);
	ck_assert_int_eq(find_ev('D', bpid), 0);
	nestio_device_unref(d2);
}
END_TEST

START_TEST(test_shared_errors)
{
	const uint64_t ste[2] = { V, 0 };
	struct nestio_hwpt *h = (void *)&h, *sentinel = (void *)&h, *b = NULL;
	struct nestio_viommu *other = NULL;
	void *as_viommu = parent;

	/* bad input: -EINVAL before any ioctl, *out untouched */
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(NULL, dev, ste, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(viommu, NULL, ste, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(viommu, dev, NULL, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(viommu, dev, ste, NULL), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(as_viommu, dev, ste, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_gbpa(NULL, dev, 0, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_gbpa(viommu, NULL, 0, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_gbpa(viommu, dev, 0, NULL), -EINVAL);
	/* a vIOMMU of another kind has no STEs */
	ck_assert_int_eq(nestio_viommu_new(dev, parent, 0x1234, NULL, &other), 0);
	EXPECT_NOIO(nestio_viommu_hwpt_for_ste(other, dev, ste, &h), -EINVAL);
	EXPECT_NOIO(nestio_viommu_hwpt_for_gbpa(other, dev, 0, &h), -EINVAL);
	nestio_viommu_unref(other);
	ck_assert_ptr_eq(h, sentinel);

	/* the kernel refuses: its errno, nothing kept; the next call asks
	 * again and keeps what it gets */
	fk_fail(KABI_IOMMU_HWPT_ALLOC, EIO, 1);
	ck_assert_int_eq(nestio_viommu_hwpt_for_gbpa(viommu, dev, 0, &h), -EIO);
	ck_assert_ptr_eq(h, sentinel);
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_viommu_hwpt_for_gbpa(viommu, dev, 0, &h), 0);
	ck_assert_int_eq(nestio_viommu_hwpt_for_ste(viommu, dev,
						    (uint64_t[2]){ 0x9, 0 }, &b), 0);
	ck_assert_ptr_eq(b, h);
	ck_assert_int_eq(tu_ncalls, 1);
	nestio_hwpt_unref(b);
	nestio_hwpt_unref(h);
}
END_TEST

/* The vIOMMU outlives its shared hwpts, whatever the unref order. */
START_TEST(test_shared_pins_viommu)
{
	struct nestio_hwpt *ab = for_gbpa(dev, NESTIO_SMMUV3_GBPA_ABORT);
	uint32_t vid = nestio_viommu_get_id(viommu), abid = nestio_hwpt_get_id(ab);

	viommu = nestio_viommu_unref(viommu);
	parent = nestio_hwpt_unref(parent);
	fk_nev = 0;
	nestio_hwpt_unref(ab);
	ck_assert_int_eq(find_ev('D', abid), 0);
	ck_assert_int_eq(find_ev('D', vid), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vste");
	TCase *tc = fk_tcase(s, "canon", setup_objs, teardown_objs);

	tcase_add_test(tc, test_canon_patterns);
	tc = fk_tcase(s, "shared", vsetup, vteardown);
	tcase_add_test(tc, test_shared_abort_bypass);
	tcase_add_test(tc, test_shared_errors);
	tcase_add_test(tc, test_shared_pins_viommu);
	return tu_run(s);
}
