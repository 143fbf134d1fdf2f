// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: nestio_hw_caps_intersect() over real and constructed
 * host IOMMUs (tests/lib/hwregs.h says where each value comes from): what
 * it keeps, every reason it gives for what it drops, and that the check
 * accepts its result for each of its hosts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakekernel.h"
#include "hwregs.h"

#define PG(s) (1u << (s))
#define SMMU_PG4K (PG(12) | PG(21) | PG(30))
#define SMMU_PG16K (PG(14) | PG(25))
#define SMMU_PG64K (PG(16) | PG(29))

static void vtd(struct nestio_hw_caps *c, uint64_t cap, uint64_t ecap, uint32_t flags)
{
	struct kabi_hw_info_vtd v = { .flags = flags, .cap_reg = cap, .ecap_reg = ecap };

	memset(c, 0, sizeof(*c));
	c->sz = sizeof(*c);
	ck_assert_int_eq(nestio_hw_caps_decode(KABI_HW_INFO_TYPE_INTEL_VTD, &v,
					       sizeof(v), 0, 0, c), 0);
}

static void smmu(struct nestio_hw_caps *c, uint32_t idr0, uint32_t idr1,
		 uint32_t idr3, uint32_t idr5)
{
	struct kabi_hw_info_arm_smmuv3 s = { .idr = { idr0, idr1, 0, idr3, 0, idr5 } };

	memset(c, 0, sizeof(*c));
	c->sz = sizeof(*c);
	ck_assert_int_eq(nestio_hw_caps_decode(KABI_HW_INFO_TYPE_ARM_SMMUV3, &s,
					       sizeof(s), 0, 0, c), 0);
}

/* every reason, one line each: "host field: reason" */
static char log_buf[4096];

static void collect(void *userdata, size_t host, const char *field,
		    const char *reason)
{
	size_t len = strlen(log_buf);

	ck_assert_ptr_eq(userdata, log_buf);
	snprintf(log_buf + len, sizeof(log_buf) - len, "%zu %s: %s\n", host, field,
		 reason);
}

static int intersect(const struct nestio_hw_caps *const *hosts, size_t n,
		     const struct nestio_compat *model, struct nestio_compat *out)
{
	log_buf[0] = '\0';
	memset(out, 0xa5, sizeof(*out));
	out->sz = sizeof(*out);
	return nestio_hw_caps_intersect(hosts, n, model, out, collect, log_buf);
}

/* the check accepts the result for each host (errata aside) */
static void accepted_by_all(const struct nestio_hw_caps *const *hosts, size_t n,
			    struct nestio_compat out)
{
	char reason[256];

	out.errata_ok = ~0u;
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(nestio_hw_caps_check(hosts[i], &out, reason,
						   sizeof(reason)) == 1,
			      "host %zu refuses the intersection: %s", i, reason);
}

START_TEST(test_one_host_is_itself)
{
	struct nestio_hw_caps v6;
	const struct nestio_hw_caps *hosts[] = { &v6 };
	struct nestio_compat out;

	vtd(&v6, V6_VTD_CAP, V6_VTD_ECAP, KABI_HW_INFO_VTD_ERRATA_772415_SPR17);
	/* no model: everything the host has, nothing to report */
	ck_assert_int_eq(intersect(hosts, 1, NULL, &out), 0);
	ck_assert_str_eq(log_buf, "");
	ck_assert_uint_eq(out.stage1_format, NESTIO_STAGE1_VTD);
	ck_assert_uint_eq(out.caps, v6.caps);
	ck_assert_uint_eq(out.stage1_ia_bits, 48);
	ck_assert_uint_eq(out.stage2_ia_bits, 57);
	ck_assert_uint_eq(out.pasid_bits, 0);
	ck_assert_uint_eq(out.pgsize_bitmap, PG(12) | PG(21) | PG(30));
	ck_assert_uint_eq(out.sid_bits, 16);
	ck_assert_uint_eq(out.ssid_bits, 0);
	ck_assert_uint_eq(out.errata_ok, 0);	/* the VMM's own decision */
	ck_assert_uint_eq(out.reserved, 0);
	ck_assert_uint_eq(out.reserved1, 0);
	accepted_by_all(hosts, 1, out);
}
END_TEST

/* QEMU's accelerated vSMMU, with ats, ril and ssidsize "auto" */
static const struct nestio_compat qemu_vsmmu = {
	.sz = sizeof(struct nestio_compat),
	.stage1_format = NESTIO_STAGE1_ARM_SMMUV3,
	.stage1_ia_bits = 48, .stage2_ia_bits = 44,	/* VAX 0, OAS 44 */
	.caps = NESTIO_CAP_NESTING | NESTIO_CAP_FIRST_STAGE | NESTIO_CAP_STE_2LVL |
		NESTIO_CAP_TT_LE | NESTIO_CAP_TTF_AARCH64 | NESTIO_CAP_RANGE_INV |
		NESTIO_CAP_ATS,
	.pgsize_bitmap = SMMU_PG4K | SMMU_PG16K | SMMU_PG64K,
	.sid_bits = 16, .ssid_bits = 0xff,
};

START_TEST(test_smmu_auto)
{
	struct nestio_hw_caps server, small;
	const struct nestio_hw_caps *hosts[] = { &server, &small };
	struct nestio_compat out;

	smmu(&server, SERVER_SMMU_IDR0, SERVER_SMMU_IDR1, SERVER_SMMU_IDR3,
	     SERVER_SMMU_IDR5);
	smmu(&small, SMALL_SMMU_IDR0, SMALL_SMMU_IDR1, SMALL_SMMU_IDR3,
	     SMALL_SMMU_IDR5);
	/* the server part alone: only 16K pages go; SSIDSIZE auto is 20 */
	ck_assert_int_eq(intersect(hosts, 1, &qemu_vsmmu, &out), 1);
	ck_assert_str_eq(log_buf, "0 pgsize_bitmap: dropped 16K 32M: host 0 "
				  "(arm-smmuv3) lacks them (SMMU_IDR5.GRAN16K is clear)\n");
	ck_assert_uint_eq(out.pgsize_bitmap, SMMU_PG4K | SMMU_PG64K);
	ck_assert_uint_eq(out.ssid_bits, 20);
	ck_assert_uint_eq(out.caps, qemu_vsmmu.caps);
	accepted_by_all(hosts, 1, out);
	/* both: the small part takes away what it lacks, each with its field */
	ck_assert_int_eq(intersect(hosts, 2, &qemu_vsmmu, &out), 7);
	ck_assert_str_eq(log_buf,
		"0 pgsize_bitmap: dropped 16K 32M: host 0 (arm-smmuv3) lacks them "
		"(SMMU_IDR5.GRAN16K is clear)\n"
		"1 stage2_ia_bits: lowered from 44 to 40 bits of stage-2 input: "
		"host 1 (arm-smmuv3) has 40\n"
		"1 pgsize_bitmap: dropped 64K 512M: host 1 (arm-smmuv3) lacks them "
		"(SMMU_IDR5.GRAN64K is clear)\n"
		"1 ssid_bits: lowered from 20 to 0 substream ID bits: host 1 "
		"(arm-smmuv3) has 0\n"
		"1 ats: dropped: host 1 (arm-smmuv3) lacks it (SMMU_IDR0.ATS is clear)\n"
		"1 2-level-stream-table: dropped: host 1 (arm-smmuv3) lacks it "
		"(SMMU_IDR0.ST_LEVEL is clear)\n"
		"1 range-invalidation: dropped: host 1 (arm-smmuv3) lacks it "
		"(SMMU_IDR3.RIL is clear)\n");
	ck_assert_uint_eq(out.stage1_format, NESTIO_STAGE1_ARM_SMMUV3);
	ck_assert_uint_eq(out.stage1_ia_bits, 48);
	ck_assert_uint_eq(out.stage2_ia_bits, 40);
	ck_assert_uint_eq(out.pgsize_bitmap, SMMU_PG4K);
	ck_assert_uint_eq(out.sid_bits, 16);
	ck_assert_uint_eq(out.ssid_bits, 0);
	ck_assert_uint_eq(out.caps, NESTIO_CAP_NESTING | NESTIO_CAP_FIRST_STAGE |
				    NESTIO_CAP_TT_LE | NESTIO_CAP_TTF_AARCH64);
	accepted_by_all(hosts, 2, out);
	/* no callback: the same result and count */
	memset(&out, 0, sizeof(out));
	out.sz = sizeof(out);
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 2, &qemu_vsmmu, &out,
						  NULL, NULL), 7);
	ck_assert_uint_eq(out.pgsize_bitmap, SMMU_PG4K);
}
END_TEST

START_TEST(test_vtd_parts)
{
	struct nestio_hw_caps v6, xeon, client, qemu;
	const struct nestio_hw_caps *hosts[] = { &v6, &xeon };
	const struct nestio_hw_caps *q[] = { &v6, &qemu };
	/* QEMU's intel-iommu with x-flts=on,fs1gp=on,aw-bits=48 */
	const struct nestio_compat flts = {
		.sz = sizeof(flts), .stage1_format = NESTIO_STAGE1_VTD,
		.stage1_ia_bits = 48, .stage2_ia_bits = 48,
		.caps = NESTIO_CAP_NESTING | NESTIO_CAP_FIRST_STAGE,
		.pgsize_bitmap = PG(12) | PG(21) | PG(30), .sid_bits = 16,
	};
	struct nestio_compat out;

	vtd(&v6, V6_VTD_CAP, V6_VTD_ECAP, 0);
	vtd(&xeon, XEON_VTD_CAP, XEON_VTD_ECAP, 0);
	vtd(&client, CLIENT_VTD_CAP, CLIENT_VTD_ECAP, 0);
	vtd(&qemu, QEMU_VTD_CAP, QEMU_VTD_ECAP, 0);
	ck_assert_int_eq(intersect(hosts, 1, &flts, &out), 0);
	ck_assert_str_eq(log_buf, "");
	accepted_by_all(hosts, 1, out);
	/* the legacy Xeon cannot back first-stage translation at all */
	ck_assert_int_eq(intersect(hosts, 2, &flts, &out), 4);
	ck_assert_str_eq(log_buf,
		"1 stage1_format: dropped intel-vtd: host 1 (intel-vtd) takes none\n"
		"1 pgsize_bitmap: dropped 1G: host 1 (intel-vtd) lacks them "
		"(CAP.FS1GP is clear)\n"
		"1 nesting: dropped: host 1 (intel-vtd) cannot nest: ECAP.NEST is clear\n"
		"1 first-stage: dropped: host 1 (intel-vtd) lacks it "
		"(ECAP.FSTS is clear)\n");
	ck_assert_uint_eq(out.stage1_format, 0);
	ck_assert_uint_eq(out.caps, 0);
	ck_assert_uint_eq(out.pgsize_bitmap, PG(12) | PG(21));
	/* no model, QEMU's own VT-d as the second host: its MGAW is 48, and
	 * it has no ECAP.NEST (QEMU 10) */
	ck_assert_int_eq(intersect(q, 2, NULL, &out), 6);
	ck_assert_str_eq(log_buf,
		"1 stage1_format: dropped intel-vtd: host 1 (intel-vtd) takes none\n"
		"1 stage2_ia_bits: lowered from 57 to 48 bits of stage-2 input: "
		"host 1 (intel-vtd) has 48\n"
		"1 pgsize_bitmap: dropped 1G: host 1 (intel-vtd) lacks them "
		"(CAP.FS1GP is clear)\n"
		"1 nesting: dropped: host 1 (intel-vtd) cannot nest: ECAP.NEST is clear\n"
		"1 ats: dropped: host 1 (intel-vtd) lacks it (ECAP.DT is clear)\n"
		"1 first-stage: dropped: host 1 (intel-vtd) lacks it "
		"(ECAP.FSTS is clear)\n");
	ck_assert_uint_eq(out.stage2_ia_bits, 48);
	/* the client part narrows the guest address width to its MGAW 39 */
	hosts[1] = &client;
	ck_assert_int_eq(intersect(hosts, 2, NULL, &out), 6);
	ck_assert_uint_eq(out.stage2_ia_bits, 39);
	ck_assert_ptr_nonnull(strstr(log_buf, "1 stage2_ia_bits: lowered from 57 to 39 "));
}
END_TEST

START_TEST(test_mixed_vendors)
{
	struct nestio_hw_caps v6, server;
	const struct nestio_hw_caps *hosts[] = { &v6, &server };
	struct nestio_compat out;

	vtd(&v6, V6_VTD_CAP, V6_VTD_ECAP, 0);
	smmu(&server, SERVER_SMMU_IDR0, SERVER_SMMU_IDR1, SERVER_SMMU_IDR3,
	     SERVER_SMMU_IDR5);
	/* both nest, but no guest page-table format is common to them */
	ck_assert_int_eq(intersect(hosts, 2, NULL, &out), 2);
	ck_assert_str_eq(log_buf, "1 stage1_format: dropped intel-vtd: host 1 "
				  "(arm-smmuv3) takes arm-smmuv3\n"
				  "1 stage2_ia_bits: lowered from 57 to 48 bits of "
				  "stage-2 input: host 1 (arm-smmuv3) has 48\n");
	ck_assert_uint_eq(out.stage1_format, 0);
	ck_assert_uint_eq(out.caps, NESTIO_CAP_NESTING | NESTIO_CAP_ATS |
				    NESTIO_CAP_FIRST_STAGE);
	ck_assert_uint_eq(out.stage2_ia_bits, 48);
	ck_assert_uint_eq(out.pgsize_bitmap, PG(12) | PG(21) | PG(30));
	accepted_by_all(hosts, 2, out);
}
END_TEST

/* every pair of nesting parts, either order: the check accepts the result
 * for both, and nothing in it exceeds either host */
START_TEST(test_pairs_property)
{
	struct nestio_hw_caps p[4];
	struct nestio_compat out;
	int pairs = 0;

	vtd(&p[0], V6_VTD_CAP, V6_VTD_ECAP, KABI_HW_INFO_VTD_ERRATA_772415_SPR17);
	smmu(&p[1], SERVER_SMMU_IDR0, SERVER_SMMU_IDR1, SERVER_SMMU_IDR3,
	     SERVER_SMMU_IDR5);
	smmu(&p[2], SMALL_SMMU_IDR0, SMALL_SMMU_IDR1, SMALL_SMMU_IDR3,
	     SMALL_SMMU_IDR5);
	smmu(&p[3], SMMU_IDR0, SMMU_IDR1_SIDSIZE, SMMU_IDR3_RIL, SMMU_IDR5);
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 4; j++) {
			const struct nestio_hw_caps *h[] = { &p[i], &p[j] };

			ck_assert_int_ge(intersect(h, 2, NULL, &out), 0);
			accepted_by_all(h, 2, out);
			for (int k = 0; k < 2; k++) {
				ck_assert_uint_eq(out.caps & ~h[k]->caps, 0);
				ck_assert_uint_eq(out.pgsize_bitmap & ~h[k]->pgsize_bitmap, 0);
				ck_assert_uint_le(out.stage2_ia_bits, h[k]->stage2_ia_bits);
				ck_assert_uint_le(out.ssid_bits, h[k]->ssid_bits);
			}
			if (i == j)	/* a host with itself drops nothing */
				ck_assert_str_eq(log_buf, "");
			pairs++;
		}
	}
	ck_assert_int_eq(pairs, 16);
	printf("NESTIO-REL intersect.pairs accepted %d of %d (every host accepts the result)\n",
	       pairs, pairs);
	fflush(stdout);
}
END_TEST

START_TEST(test_bad_input)
{
	struct nestio_hw_caps ok, bad;
	const struct nestio_hw_caps *hosts[] = { &ok, &bad };
	struct nestio_compat out = { .sz = sizeof(out) }, model = qemu_vsmmu;
	struct {
		struct nestio_compat c;
		uint64_t tail;
	} big = { { .sz = sizeof(big) }, 1 };
	const size_t old = offsetof(struct nestio_compat, reserved1) + sizeof(uint32_t);
	const unsigned char *p = (const unsigned char *)&out;

	smmu(&ok, SMMU_IDR0, SMMU_IDR1_SIDSIZE, SMMU_IDR3_RIL, SMMU_IDR5);
	bad = ok;
	bad.sz = 1;
	log_buf[0] = '\0';
	ck_assert_int_eq(nestio_hw_caps_intersect(NULL, 1, NULL, &out, collect, log_buf),
			 -EINVAL);
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 0, NULL, &out, collect, log_buf),
			 -EINVAL);
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 1, NULL, NULL, collect, log_buf),
			 -EINVAL);
	/* a bad host anywhere: refused before anything is reported */
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 2, &model, &out, collect,
						  log_buf), -EINVAL);
	hosts[1] = NULL;
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 2, &model, &out, collect,
						  log_buf), -EINVAL);
	ck_assert_str_eq(log_buf, "");
	model.reserved = 1;
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 1, &model, &out, NULL, NULL),
			 -EINVAL);
	model.reserved = 0;
	model.stage1_format |= NESTIO_STAGE1_VTD;
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 1, &model, &out, NULL, NULL),
			 -EINVAL);
	out.sz = 1;
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 1, NULL, &out, NULL, NULL),
			 -EINVAL);
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 1, NULL, &big.c, NULL, NULL),
			 -E2BIG);
	/* an older, shorter out is filled only up to its sz */
	memset(&out, 0xa5, sizeof(out));
	out.sz = old;
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 1, NULL, &out, NULL, NULL), 0);
	ck_assert_uint_eq(out.stage1_format, NESTIO_STAGE1_ARM_SMMUV3);
	ck_assert_uint_eq(out.stage2_ia_bits, 44);
	for (size_t i = old; i < sizeof(out); i++)
		ck_assert_msg(p[i] == 0xa5, "byte %zu written past sz", i);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("intersect");
	TCase *tc;

	tc = fk_tcase(s, "intersect", NULL, NULL);
	tcase_add_test(tc, test_one_host_is_itself);
	tcase_add_test(tc, test_smmu_auto);
	tcase_add_test(tc, test_vtd_parts);
	tcase_add_test(tc, test_mixed_vendors);
	tcase_add_test(tc, test_pairs_property);
	tcase_add_test(tc, test_bad_input);
	return tu_run(s);
}
