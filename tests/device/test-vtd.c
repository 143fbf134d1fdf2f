// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 3: QEMU's emulated Intel VT-d (scalable mode) with an `edu` DMA
 * device bound to vfio-pci, through the library API. The IOMMU side goes
 * only through libnestio; the edu registers through tests/lib/edu.c.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "edu.h"
#include "hwregs.h"
#include "kabi.h"
#include "mock.h"
#include "mockdev.h"
#include "seam.h"

/* below the edu's default 28-bit DMA mask */
#define IOVA_SRC 0x100000ull
#define IOVA_DST 0x200000ull
#define PAGE 4096u

static struct nestio_ctx *ctx;
static struct nestio_device *dev;
static struct nestio_ioas *ioas;
static struct edu edu;
static unsigned char *src, *dst;

static void *page_alloc(void)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

static void setup(void)
{
	ck_assert_int_eq(nestio_ctx_new(&ctx), 0);
	ck_assert_int_eq(nestio_device_open(ctx, edu_bdf(), &dev), 0);
	ck_assert_int_eq(edu_init(&edu, nestio_device_get_fd(dev)), 0);
	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	src = page_alloc();
	dst = page_alloc();
}

static void teardown(void)
{
	dev = nestio_device_unref(dev);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
	munmap(src, PAGE);
	munmap(dst, PAGE);
}

static void map_both(struct nestio_ioas *as)
{
	uint64_t iova = IOVA_SRC;

	ck_assert_int_eq(nestio_ioas_map(as, src, PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_uint_eq(iova, IOVA_SRC);
	iova = IOVA_DST;
	ck_assert_int_eq(nestio_ioas_map(as, dst, PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_WRITE |
					 NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_uint_eq(iova, IOVA_DST);
}

/* RAM(src) -> edu -> RAM(dst) through the IOMMU; the bytes must match */
static void round_trip(unsigned char seed)
{
	for (unsigned int i = 0; i < PAGE; i++)
		src[i] = (unsigned char)(i * 7 + seed);
	memset(dst, 0, PAGE);
	ck_assert_int_eq(edu_dma_to_device(&edu, IOVA_SRC, PAGE), 0);
	ck_assert_int_eq(edu_dma_from_device(&edu, IOVA_DST, PAGE), 0);
	ck_assert_mem_eq(src, dst, PAGE);
}

START_TEST(test_open_forms)
{
	char path[PATH_MAX], sysfs[PATH_MAX];
	struct nestio_device *d2 = NULL;
	int fd;

	/* the fixture opened it by BDF; a cdev binds once at a time */
	snprintf(sysfs, sizeof(sysfs), "/sys/bus/pci/devices/%s", edu_bdf());
	ck_assert_int_lt(nestio_device_open(ctx, sysfs, &d2), 0);
	ck_assert_ptr_null(d2);
	/* once it is released, the sysfs path and the cdev path work too */
	dev = nestio_device_unref(dev);
	ck_assert_int_eq(nestio_device_open(ctx, sysfs, &d2), 0);
	ck_assert_uint_ne(nestio_device_get_id(d2), 0);
	ck_assert(tu_fd_is_cloexec(nestio_device_get_fd(d2)));
	d2 = nestio_device_unref(d2);

	/* the cdev name from sysfs: .../vfio-dev/vfioN */
	{
		char sub[PATH_MAX + 16];
		struct dirent *de;
		DIR *d;

		snprintf(sub, sizeof(sub), "%s/vfio-dev", sysfs);
		d = opendir(sub);
		ck_assert_ptr_nonnull(d);
		path[0] = '\0';
		while ((de = readdir(d)))
			if (!strncmp(de->d_name, "vfio", 4))
				snprintf(path, sizeof(path),
					 "/dev/vfio/devices/%s", de->d_name);
		closedir(d);
		ck_assert_str_ne(path, "");
	}
	ck_assert_int_eq(nestio_device_open(ctx, path, &d2), 0);
	d2 = nestio_device_unref(d2);

	fd = open(path, O_RDWR);	/* deliberately not O_CLOEXEC */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(nestio_device_new_from_fd(ctx, fd, &dev), 0);
	ck_assert_int_ne(nestio_device_get_fd(dev), fd);
	ck_assert(tu_fd_is_cloexec(nestio_device_get_fd(dev)));
	close(fd);
	ck_assert_int_eq(edu_init(&edu, nestio_device_get_fd(dev)), 0);
}
END_TEST

START_TEST(test_caps_agree)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct kabi_hw_info_vtd vtd;
	size_t len = sizeof(vtd);
	uint32_t type = 0;

	ck_assert_int_eq(nestio_device_get_hw_info(dev, &type, &vtd, &len), 0);
	ck_assert_uint_eq(type, KABI_HW_INFO_TYPE_INTEL_VTD);
	ck_assert_uint_ge(len, sizeof(vtd));
	ck_assert_int_eq(nestio_device_get_hw_caps(dev, &caps), 0);
	ck_assert_uint_eq(caps.type, NESTIO_IOMMU_INTEL_VTD);
	ck_assert_str_eq(nestio_iommu_type_name(caps.type), "intel-vtd");
	/* the decoded view agrees with the raw registers */
	ck_assert_uint_eq(!!(caps.caps & NESTIO_CAP_NESTING),
			  (vtd.ecap_reg >> 26) & 1);
	ck_assert_uint_eq(caps.stage2_ia_bits, ((vtd.cap_reg >> 16) & 0x3f) + 1);
	ck_assert_uint_eq(!!(caps.errata & NESTIO_ERRATA_772415_SPR17),
			  vtd.flags & KABI_HW_INFO_VTD_ERRATA_772415_SPR17);
	/* QEMU 10's scalable-mode VT-d has no nesting (no ECAP.NEST) */
	ck_assert(!(caps.caps & NESTIO_CAP_NESTING));
	ck_assert_uint_eq(caps.stage1_formats, 0);
}
END_TEST

START_TEST(test_dma_round_trip)
{
	struct nestio_iova_range *r = NULL;
	uint64_t align = 0;
	size_t nr = 0;
	bool covered = false;

	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, &align), 0);
	ck_assert_uint_ge(nr, 1);
	ck_assert_uint_ge(align, PAGE);
	for (size_t i = 0; i < nr; i++)
		covered |= r[i].start <= IOVA_SRC && r[i].last >= IOVA_DST + PAGE - 1;
	nestio_iova_ranges_free(r);
	ck_assert(covered);
	map_both(ioas);
	round_trip(1);
	round_trip(2);
}
END_TEST

START_TEST(test_unmapped_dma_blocked)
{
	uint64_t unmapped = 0;

	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	map_both(ioas);
	round_trip(3);
	/* take the destination away: the write must not reach the page */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, IOVA_DST, PAGE, &unmapped), 0);
	ck_assert_uint_eq(unmapped, PAGE);
	memset(dst, 0xa5, PAGE);
	ck_assert_int_eq(edu_dma_from_device(&edu, IOVA_DST, PAGE), 0);
	for (unsigned int i = 0; i < PAGE; i++)
		ck_assert_uint_eq(dst[i], 0xa5);
	/* unmapping again finds nothing */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, IOVA_DST, PAGE, NULL), -ENOENT);
}
END_TEST

START_TEST(test_replace_with_hwpt)
{
	struct nestio_hwpt_paging_opts opts = { .sz = sizeof(opts) };
	struct nestio_ioas *other = NULL;
	struct nestio_hwpt *hwpt = NULL;

	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	map_both(ioas);
	round_trip(4);

	/* an explicit paging hwpt on a second IOAS with the same layout */
	ck_assert_int_eq(nestio_ioas_new(ctx, &other), 0);
	map_both(other);
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, other, &opts, &hwpt), 0);
	ck_assert_uint_ne(nestio_hwpt_get_id(hwpt), 0);
	ck_assert_ptr_eq(nestio_hwpt_get_ioas(hwpt), other);
	ck_assert_int_eq(nestio_device_replace_hwpt(dev, NESTIO_NO_PASID, hwpt), 0);
	/* the device pins the hwpt (and the hwpt its IOAS) */
	hwpt = nestio_hwpt_unref(hwpt);
	other = nestio_ioas_unref(other);
	round_trip(5);

	/* unmap the first IOAS entirely: the device no longer uses it */
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, NULL), 0);
	round_trip(6);

	/* and back to the IOAS: blocked until it is mapped again */
	ck_assert_int_eq(nestio_device_replace_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	memset(dst, 0x5a, PAGE);
	ck_assert_int_eq(edu_dma_from_device(&edu, IOVA_DST, PAGE), 0);
	ck_assert_uint_eq(dst[0], 0x5a);
	ck_assert_uint_eq(dst[PAGE - 1], 0x5a);
	map_both(ioas);
	round_trip(7);
	ck_assert_int_eq(nestio_device_detach(dev, NESTIO_NO_PASID), 0);
	ck_assert_int_eq(nestio_device_detach(dev, NESTIO_NO_PASID), -ENOENT);
}
END_TEST

START_TEST(test_nest_parent_refused)
{
	struct nestio_hwpt_paging_opts opts = { .sz = sizeof(opts) };
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_hwpt *hwpt = NULL, *sentinel = (struct nestio_hwpt *)&opts;

	ck_assert_int_eq(nestio_device_get_hw_caps(dev, &caps), 0);
	ck_assert(!(caps.caps & NESTIO_CAP_NESTING));
	opts.flags = NESTIO_HWPT_NEST_PARENT;
	hwpt = sentinel;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &opts, &hwpt),
			 -EOPNOTSUPP);
	ck_assert_ptr_eq(hwpt, sentinel);	/* *out untouched */
	/* no dirty tracking on this IOMMU either, and caps say so */
	ck_assert(!(caps.caps & NESTIO_CAP_DIRTY_TRACKING));
	opts.flags = NESTIO_HWPT_DIRTY_TRACKING;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &opts, &hwpt),
			 -EOPNOTSUPP);
	/* a plain paging hwpt is fine */
	opts.flags = 0;
	hwpt = NULL;
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &opts, &hwpt), 0);
	nestio_hwpt_unref(hwpt);
}
END_TEST

/* ---- compatibility check, nesting and vIOMMU on a VT-d without NEST ---- */

START_TEST(test_compat_vtd)
{
	struct nestio_compat want = { .sz = sizeof(want),
				      .stage1_format = NESTIO_STAGE1_VTD };
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	char reason[256], again[256], expect[256];

	ck_assert_int_eq(nestio_device_get_hw_caps(dev, &caps), 0);
	memset(reason, 'x', sizeof(reason));
	ck_assert_int_eq(nestio_device_check_compat(dev, &want, reason,
						    sizeof(reason)), 0);
	ck_assert_str_eq(reason, "host IOMMU (intel-vtd) cannot nest: ECAP.NEST is clear");
	/* the device's answer is the check over its decoded capabilities */
	ck_assert_int_eq(nestio_hw_caps_check(&caps, &want, again, sizeof(again)), 0);
	ck_assert_str_eq(reason, again);

	/* Past nesting, the same capabilities lead through the other reasons
	 * as the registers say (ECAP.NEST pretended): widths, PASID, errata. */
	caps.caps |= NESTIO_CAP_NESTING;
	caps.stage1_formats |= NESTIO_STAGE1_VTD;
	ck_assert_uint_eq(caps.stage1_ia_bits, 48);	/* no CAP.FL5LP */
	want.stage1_ia_bits = 57;
	ck_assert_int_eq(nestio_hw_caps_check(&caps, &want, reason, sizeof(reason)), 0);
	ck_assert_str_eq(reason, "vIOMMU wants 57-bit stage-1 input, host has 48");
	want.stage1_ia_bits = 48;
	want.stage2_ia_bits = (uint8_t)(caps.stage2_ia_bits + 1);
	snprintf(expect, sizeof(expect), "vIOMMU wants %u-bit stage-2 input, host has %u",
		 caps.stage2_ia_bits + 1u, caps.stage2_ia_bits);
	ck_assert_int_eq(nestio_hw_caps_check(&caps, &want, reason, sizeof(reason)), 0);
	ck_assert_str_eq(reason, expect);
	want.stage2_ia_bits = caps.stage2_ia_bits;
	ck_assert_uint_eq(caps.max_pasid_log2, 0);	/* the edu has no PASID */
	want.pasid_bits = 20;
	ck_assert_int_eq(nestio_hw_caps_check(&caps, &want, reason, sizeof(reason)), 0);
	ck_assert_str_eq(reason, "vIOMMU wants 20-bit PASIDs, host has 0");
	want.pasid_bits = 0;
	/* Linux 7.2 reports ERRATA_772415_SPR17 for every VT-d */
	ck_assert_uint_eq(caps.errata, NESTIO_ERRATA_772415_SPR17);
	snprintf(expect, sizeof(expect), "erratum %s (%s) is present and not accepted",
		 nestio_errata_name(caps.errata), nestio_errata_describe(caps.errata));
	ck_assert_int_eq(nestio_hw_caps_check(&caps, &want, reason, sizeof(reason)), 0);
	ck_assert_str_eq(reason, expect);
	ck_assert_str_eq(expect, "erratum 772415-spr17 (no read-only mappings in a "
				 "nest parent) is present and not accepted");
	want.errata_ok = caps.errata;
	ck_assert_int_eq(nestio_hw_caps_check(&caps, &want, reason, sizeof(reason)), 1);
	ck_assert_str_eq(reason, "");
	/* the real device still cannot nest, whatever is accepted */
	ck_assert_int_eq(nestio_device_check_compat(dev, &want, NULL, 0), 0);
}
END_TEST

/* The fields QEMU's vtd_check_hiod reads, as QEMU 10's intel-iommu
 * (tests/vm/run: x-scalable-mode=on, no x-flts, no x-pasid-mode) sets them,
 * and intersections with this host as first and as second host */
static char drops[1024];

static void collect(void *userdata, size_t host, const char *field,
		    const char *reason)
{
	size_t len = strlen(drops);

	ck_assert_ptr_eq(userdata, drops);
	snprintf(drops + len, sizeof(drops) - len, "%zu %s: %s\n", host, field, reason);
}

START_TEST(test_intersect_vtd)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) }, v6 = { .sz = sizeof(v6) };
	struct kabi_hw_info_vtd raw, part = { .cap_reg = V6_VTD_CAP, .ecap_reg = V6_VTD_ECAP };
	const struct nestio_hw_caps *hosts[2] = { &caps, &caps };
	struct nestio_compat out = { .sz = sizeof(out) };
	size_t len = sizeof(raw);
	uint32_t type;

	ck_assert_int_eq(nestio_device_get_hw_info(dev, &type, &raw, &len), 0);
	ck_assert_int_eq(nestio_device_get_hw_caps(dev, &caps), 0);
	/* as the registers say: ECAP.FSTS (47), CAP.FS1GP (56), ECAP.PASID (40) */
	ck_assert_uint_eq(!!(caps.caps & NESTIO_CAP_FIRST_STAGE), (raw.ecap_reg >> 47) & 1);
	ck_assert_uint_eq(!!(caps.pgsize_bitmap & (1u << 30)), (raw.cap_reg >> 56) & 1);
	/* and as QEMU 10 sets them without x-flts: no first stage, no 1G
	 * first-stage pages, no PASIDs; 16-bit requester IDs */
	ck_assert(!(caps.caps & NESTIO_CAP_FIRST_STAGE));
	ck_assert_uint_eq(caps.pgsize_bitmap, (1u << 12) | (1u << 21));
	ck_assert_uint_eq(caps.sid_bits, 16);
	ck_assert_uint_eq(caps.ssid_bits, 0);
	/* with itself: nothing to drop */
	drops[0] = '\0';
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 2, NULL, &out, collect, drops), 0);
	ck_assert_str_eq(drops, "");
	ck_assert_uint_eq(out.caps, caps.caps);
	ck_assert_uint_eq(out.stage2_ia_bits, caps.stage2_ia_bits);
	/* under the VT-d 6.0 part: it loses everything QEMU's VT-d lacks */
	ck_assert_int_eq(nestio_hw_caps_decode(KABI_HW_INFO_TYPE_INTEL_VTD, &part,
					       sizeof(part), 0, 0, &v6), 0);
	hosts[0] = &v6;
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 2, NULL, &out, collect, drops), 6);
	ck_assert_str_eq(drops,
		"1 stage1_format: dropped intel-vtd: host 1 (intel-vtd) takes none\n"
		"1 stage2_ia_bits: lowered from 57 to 48 bits of stage-2 input: "
		"host 1 (intel-vtd) has 48\n"
		"1 pgsize_bitmap: dropped 1G: host 1 (intel-vtd) lacks them "
		"(CAP.FS1GP is clear)\n"
		"1 nesting: dropped: host 1 (intel-vtd) cannot nest: ECAP.NEST is clear\n"
		"1 ats: dropped: host 1 (intel-vtd) lacks it (ECAP.DT is clear)\n"
		"1 first-stage: dropped: host 1 (intel-vtd) lacks it "
		"(ECAP.FSTS is clear)\n");
	ck_assert_uint_eq(out.caps, 0);
	/* over it, as the first host: the part has all this one has */
	hosts[0] = &caps;
	hosts[1] = &v6;
	drops[0] = '\0';
	ck_assert_int_eq(nestio_hw_caps_intersect(hosts, 2, NULL, &out, collect, drops), 0);
	ck_assert_str_eq(drops, "");
}
END_TEST

/* the seam as a recorder in front of the real kernel: counts the ioctls */
static int passthrough(int fd, unsigned long request, void *arg)
{
	return tu_real_ioctl(fd, request, arg);
}

static void record_ioctls(void)
{
	tu_seam_install();
	tu_seam_answer = passthrough;
}

static const struct nestio_stage1 vtd_s1 = {
	.type = NESTIO_STAGE1_VTD,
	.u.vtd = { .pgtbl_addr = 0x300000, .addr_width = 48 },
};

START_TEST(test_nested_refused)
{
	struct nestio_hwpt_paging_opts np = { .sz = sizeof(np),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_hwpt *plain = NULL, *h, *hs = (struct nestio_hwpt *)&np;
	struct nestio_viommu *v, *vs = (struct nestio_viommu *)&np;
	uint64_t iova = IOVA_SRC;

	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, NULL, &plain), 0);
	record_ioctls();
	/* refused by the library before the kernel: plain is no nest parent */
	h = hs;
	ck_assert_int_eq(nestio_hwpt_new_nested(dev, plain, &vtd_s1, NULL, &h), -EINVAL);
	ck_assert_ptr_eq(h, hs);
	v = vs;
	ck_assert_int_eq(nestio_viommu_new(dev, plain, NESTIO_VIOMMU_ARM_SMMUV3,
					   NULL, &v), -EINVAL);
	ck_assert_ptr_eq(v, vs);
	ck_assert_int_eq(tu_ncalls, 0);
	/* and no nest parent can exist here: the kernel refuses it, and a
	 * refused one asks for no errata (one ioctl) */
	ck_assert_int_eq(nestio_hwpt_new_paging(dev, ioas, &np, &h), -EOPNOTSUPP);
	ck_assert_ptr_eq(h, hs);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_uint_eq(tu_calls[0].request, KABI_IOMMU_HWPT_ALLOC);
	/* so the erratum the device reports bans nothing: read-only maps work */
	ck_assert_int_eq(nestio_ioas_map(ioas, src, PAGE, &iova, NESTIO_MAP_READ |
					 NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_int_eq(tu_ncalls, 2);
	tu_seam_remove();
	nestio_hwpt_unref(plain);
}
END_TEST

/*
 * What the kernel itself answers the VT-d device when the library lets the
 * call through: with a nest parent made for the kernel's mock device on the
 * same IOAS (the mock nests), VIOMMU_ALLOC for the VT-d device reaches the
 * intel driver, which has no vIOMMU in 7.2: EOPNOTSUPP. Nested hwpts and
 * vDEVICEs across IOMMU instances are EINVAL from the kernel.
 */
START_TEST(test_viommu_kernel_refuses)
{
	struct nestio_hwpt_paging_opts np = { .sz = sizeof(np),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	static const uint32_t types[] = { NESTIO_VIOMMU_ARM_SMMUV3,
					  NESTIO_VIOMMU_TEGRA241_CMDQV,
					  MOCK_VIOMMU_TYPE_SELFTEST };
	struct nestio_device *mdev = NULL;
	struct nestio_hwpt *mparent = NULL, *h, *hs = (struct nestio_hwpt *)&np;
	struct nestio_viommu *mv = NULL, *v, *vs = (struct nestio_viommu *)&np;
	struct nestio_vdevice *vd, *vds = (struct nestio_vdevice *)&np;
	uint64_t iova = MOCK_APERTURE_START;	/* the mock narrows the IOAS */

	ck_assert_msg(tu_have_mock(nestio_ctx_get_fd(ctx)),
		      "the test VM's kernel has CONFIG_IOMMUFD_TEST");
	ck_assert_int_eq(tu_mock_device(ctx, nestio_ioas_get_id(ioas), 0, &mdev), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(mdev, ioas, &np, &mparent), 0);
	ck_assert_int_eq(nestio_viommu_new(mdev, mparent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &mv), 0);
	/* the mock reports no erratum: its nest parent bans no read-only map */
	ck_assert_int_eq(nestio_ioas_map(ioas, src, PAGE, &iova, NESTIO_MAP_READ |
					 NESTIO_MAP_FIXED_IOVA), 0);

	record_ioctls();
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		tu_ncalls = 0;
		v = vs;
		ck_assert_int_eq(nestio_viommu_new(dev, mparent, types[i], NULL, &v),
				 -EOPNOTSUPP);
		ck_assert_ptr_eq(v, vs);
		ck_assert_int_eq(tu_ncalls, 1);
		ck_assert_uint_eq(tu_calls[0].request, KABI_IOMMU_VIOMMU_ALLOC);
	}
	/* a VT-d stage 1 over another driver's nest parent */
	tu_ncalls = 0;
	h = hs;
	ck_assert_int_eq(nestio_hwpt_new_nested(dev, mparent, &vtd_s1, NULL, &h), -EINVAL);
	ck_assert_ptr_eq(h, hs);
	ck_assert_int_eq(tu_ncalls, 1);
	ck_assert_uint_eq(tu_calls[0].request, KABI_IOMMU_HWPT_ALLOC);
	/* the mock's vIOMMU is not the VT-d device's IOMMU */
	tu_ncalls = 0;
	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(dev, mv, &vtd_s1, NULL, &h),
			 -EINVAL);
	ck_assert_ptr_eq(h, hs);
	vd = vds;
	ck_assert_int_eq(nestio_vdevice_new(mv, dev, 1, &vd), -EINVAL);
	ck_assert_ptr_eq(vd, vds);
	ck_assert_int_eq(tu_ncalls, 2);
	ck_assert_uint_eq(tu_calls[0].request, KABI_IOMMU_HWPT_ALLOC);
	ck_assert_uint_eq(tu_calls[1].request, KABI_IOMMU_VDEVICE_ALLOC);
	tu_seam_remove();
	/* the mock's own device is fine on it */
	ck_assert_int_eq(nestio_vdevice_new(mv, mdev, 1, &vd), 0);
	nestio_vdevice_unref(vd);
	nestio_viommu_unref(mv);
	nestio_hwpt_unref(mparent);
	nestio_device_unref(mdev);
}
END_TEST

/* ---- issue 16.5: the VF token on a device that is no VF, the type probe ---- */

static int raw_bind(int fd, int iommufd, const void *token)
{
	struct kabi_vfio_device_bind_iommufd b = {
		.argsz = sizeof(b),
		.flags = KABI_VFIO_DEVICE_BIND_FLAG_TOKEN,
		.iommufd = iommufd,
		.token_uuid_ptr = (uintptr_t)token,
	};

	return tu_real_ioctl(fd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b) ? -errno : 0;
}

/*
 * edu is neither a VF nor a PF with SR-IOV: vfio-pci reads a token and
 * refuses it (vfio_pci_core_match_token_uuid: "not a PF or VF", EINVAL).
 * That it reads it shows as EFAULT for a NULL token pointer, which is how
 * the library tells this kernel's refusal from a kernel without the flag.
 */
START_TEST(test_vf_token_not_vf)
{
	static const uint8_t tok[16] = { 0xbd, 0x8d, 0x9d, 0x2b, 0x5a, 0x5f, 0x4f, 0x5a,
					 0xa2, 0x11, 0xf5, 0x91, 0x51, 0x4b, 0xa1, 0xf3 };
	struct nestio_device_bind_opts o = { .sz = sizeof(o), .vf_token = tok };
	struct nestio_device *d = NULL;
	int fd;

	dev = nestio_device_unref(dev);		/* the fixture's bind */
	fd = nestio_device_open_cdev(edu_bdf());
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(raw_bind(fd, nestio_ctx_get_fd(ctx), NULL), -EFAULT);
	ck_assert_int_eq(raw_bind(fd, nestio_ctx_get_fd(ctx), tok), -EINVAL);
	close(fd);
	/* through the library: EINVAL, after one probe bind */
	record_ioctls();
	ck_assert_int_eq(nestio_device_open_ext(ctx, edu_bdf(), &o, &d), -EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(tu_ncalls, 2);
	ck_assert_uint_eq(tu_calls[0].request, KABI_VFIO_DEVICE_BIND_IOMMUFD);
	ck_assert_uint_eq(tu_calls[1].request, KABI_VFIO_DEVICE_BIND_IOMMUFD);
	tu_seam_remove();
	/* nothing is left bound: without a token it binds and does DMA */
	o.vf_token = NULL;
	ck_assert_int_eq(nestio_device_open_ext(ctx, edu_bdf(), &o, &dev), 0);
	ck_assert_int_eq(edu_init(&edu, nestio_device_get_fd(dev)), 0);
	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	map_both(ioas);
	round_trip(0x5a);
}
END_TEST

/* The probe agrees with the capabilities: this VT-d has no NEST (so no
 * nest parent and no nested data type), the intel driver no vIOMMU. */
START_TEST(test_supports_vtd)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_ioas *tmp = NULL;
	int nest, ifd = nestio_ctx_get_fd(ctx);
	uint32_t k;

	ck_assert_int_eq(nestio_device_get_hw_caps(dev, &caps), 0);
	nest = !!(caps.caps & NESTIO_CAP_NESTING);
	ck_assert_int_eq(nestio_ioas_new(ctx, &tmp), 0);
	k = nestio_ioas_get_id(tmp);
	nestio_ioas_unref(tmp);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA,
						KABI_HWPT_DATA_VTD_S1), nest);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA,
						KABI_HWPT_DATA_ARM_SMMUV3), 0);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_HWPT_DATA,
						KABI_HWPT_DATA_AMD_GUEST), 0);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU,
						NESTIO_VIOMMU_ARM_SMMUV3), 0);
	ck_assert_int_eq(nestio_device_supports(dev, NESTIO_PROBE_VIOMMU,
						NESTIO_VIOMMU_TEGRA241_CMDQV), 0);
	for (uint32_t id = k; id < k + 3; id++)
		ck_assert_msg(!tu_kernel_has(ifd, id), "object %u left", id);
	ck_assert_int_eq(nestio_ioas_new(ctx, &tmp), 0);
	ck_assert_uint_eq(nestio_ioas_get_id(tmp), k);
	nestio_ioas_unref(tmp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtd-edu");
	TCase *tc = tcase_create("edu");
	int fd;

	if (!edu_bdf())
		tu_skip("no edu device bound to vfio-pci (NESTIO_EDU_BDF unset)");
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		tu_skip("no /dev/iommu");
	close(fd);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_caps_agree);
	tcase_add_test(tc, test_open_forms);
	tcase_add_test(tc, test_dma_round_trip);
	tcase_add_test(tc, test_unmapped_dma_blocked);
	tcase_add_test(tc, test_replace_with_hwpt);
	tcase_add_test(tc, test_nest_parent_refused);
	tcase_add_test(tc, test_compat_vtd);
	tcase_add_test(tc, test_intersect_vtd);
	tcase_add_test(tc, test_nested_refused);
	tcase_add_test(tc, test_viommu_kernel_refuses);
	tcase_add_test(tc, test_vf_token_not_vf);
	tcase_add_test(tc, test_supports_vtd);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
