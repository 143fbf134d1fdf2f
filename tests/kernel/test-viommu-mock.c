// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2, against the kernel's IOMMUFD_TEST mock: hw info asked for by type
 * (IOMMU_HW_INFO_FLAG_INPUT_TYPE; the mock has its own type and the
 * default, nothing else), and the page the mock's vIOMMU offers for mmap
 * (IOMMU_VIOMMU_TYPE_SELFTEST: two pages, the first u32 of which is the
 * vIOMMU's in_data), mapped through nestio_viommu_mmap(), read, written,
 * and unmapped at the vIOMMU's last unref: the generic path a Tegra241
 * CMDQV VINTF page takes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

#define IN_DATA 0xc0ffee42u

static struct nestio_ctx *ctx;
static struct nestio_ioas *ioas;
static struct nestio_device *dev;
static struct nestio_hwpt *parent;
static int ifd, fds_before;
static long page;

static void setup(void)
{
	fds_before = tu_count_open_fds();
	page = sysconf(_SC_PAGESIZE);
	tu_mock_nest_setup(0, &ctx, &ioas, &dev, &parent);
	ifd = nestio_ctx_get_fd(ctx);
}

static void teardown(void)
{
	nestio_hwpt_unref(parent);
	nestio_device_unref(dev);
	nestio_ioas_unref(ioas);
	nestio_ctx_unref(ctx);
	ck_assert_int_eq(tu_count_open_fds(), fds_before);
}

static bool mapped(const void *addr, size_t len)
{
	unsigned char vec[2];

	return len <= 2 * (size_t)page && mincore((void *)(uintptr_t)addr, len, vec) == 0;
}

/* mappings of the iommufd in this process (/proc/self/maps names the file) */
static int iommu_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " /dev/iommu"))
			n++;
	fclose(f);
	return n;
}

/* an older kernel took no flag at all: what it answers for
 * IOMMU_HW_INFO_FLAG_INPUT_TYPE is what this one answers for a flag it
 * does not know */
static int raw_hw_info(uint32_t flags, uint32_t type)
{
	struct mock_hw_info info;
	struct kabi_hw_info cmd = {
		.size = sizeof(cmd), .flags = flags,
		.dev_id = nestio_device_get_id(dev),
		.data_len = sizeof(info), .data_uptr = (uintptr_t)&info,
		.data_type = type,
	};

	return ioctl(ifd, KABI_IOMMU_GET_HW_INFO, &cmd) < 0 ? -errno : 0;
}

START_TEST(test_hw_info_of_type)
{
	struct mock_hw_info info, dflt;
	struct nestio_tegra241_cmdqv_info ci = { .version = 0x5a };
	size_t len = sizeof(info);
	uint64_t kcaps = 0, kcaps_dflt = 0;
	uint8_t pasid = 0xff, pasid_dflt = 0xff;
	uint32_t type = 0;
	int r;

	/* the default: the mock's own block */
	memset(&dflt, 0, sizeof(dflt));
	ck_assert_int_eq(nestio_device_get_hw_info_ext(dev, &type, &dflt, &len,
						       &kcaps_dflt, &pasid_dflt), 0);
	ck_assert_uint_eq(type, MOCK_HW_INFO_TYPE_SELFTEST);
	ck_assert_uint_eq(dflt.test_reg, MOCK_HW_INFO_SELFTEST_REGVAL);

	/* asked for by its type */
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	type = 0;
	r = nestio_device_get_hw_info_of_type(dev, MOCK_HW_INFO_TYPE_SELFTEST, &type,
					      &info, &len, &kcaps, &pasid);
	if (r == -EOPNOTSUPP && raw_hw_info(KABI_HW_INFO_FLAG_INPUT_TYPE, 0) == -EOPNOTSUPP) {
		const char *req = getenv("NESTIO_REQUIRE_KERNEL");

		/* a kernel from before the flag: every typed request is
		 * "not here", the default still works; the VM's has it */
		ck_assert_msg(!req || strcmp(req, "1"), "no INPUT_TYPE: %d", r);
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(type, MOCK_HW_INFO_TYPE_SELFTEST);
	ck_assert_uint_eq(len, sizeof(info));
	ck_assert_uint_eq(info.test_reg, MOCK_HW_INFO_SELFTEST_REGVAL);
	ck_assert_uint_eq(kcaps, kcaps_dflt);
	ck_assert_uint_eq(pasid, pasid_dflt);

	/* types the mock does not report: EOPNOTSUPP, results untouched */
	static const uint32_t absent[] = {
		NESTIO_HW_INFO_INTEL_VTD, NESTIO_HW_INFO_ARM_SMMUV3,
		NESTIO_HW_INFO_TEGRA241_CMDQV, NESTIO_HW_INFO_AMD,
		MOCK_HW_INFO_TYPE_SELFTEST + 1,
	};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		type = 77;
		len = sizeof(info);
		ck_assert_int_eq(nestio_device_get_hw_info_of_type(dev, absent[i], &type,
								   &info, &len, NULL, NULL),
				 -EOPNOTSUPP);
		ck_assert_uint_eq(type, 77);
		ck_assert_uint_eq(len, sizeof(info));
	}
	ck_assert_int_eq(nestio_device_get_tegra241_cmdqv_info(dev, &ci), -EOPNOTSUPP);
	ck_assert_uint_eq(ci.version, 0x5a);
	ck_assert(tu_is_feature_missing(-EOPNOTSUPP));

	/* the default type through the new call: no flag, the same block */
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	ck_assert_int_eq(nestio_device_get_hw_info_of_type(dev, NESTIO_HW_INFO_DEFAULT,
							   &type, &info, &len, NULL, NULL), 0);
	ck_assert_uint_eq(type, MOCK_HW_INFO_TYPE_SELFTEST);
	ck_assert_mem_eq(&info, &dflt, sizeof(info));

	/* the flag with type 0 is the default too; a flag the kernel does
	 * not know is EOPNOTSUPP, which is what a kernel from before
	 * INPUT_TYPE answers for it */
	ck_assert_int_eq(raw_hw_info(KABI_HW_INFO_FLAG_INPUT_TYPE, 0), 0);
	ck_assert_int_eq(raw_hw_info(1u << 1, 0), -EOPNOTSUPP);
	ck_assert_int_eq(raw_hw_info(KABI_HW_INFO_FLAG_INPUT_TYPE | 1u << 1,
				     MOCK_HW_INFO_TYPE_SELFTEST), -EOPNOTSUPP);
}
END_TEST

static struct nestio_viommu *new_mock_viommu(struct mock_viommu_selftest *data)
{
	struct nestio_viommu_opts o = { .sz = sizeof(o), .data = data,
					.data_len = sizeof(*data) };
	struct nestio_viommu *v = NULL;

	memset(data, 0, sizeof(*data));
	data->in_data = IN_DATA;
	ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   &o, &v), 0);
	ck_assert_uint_eq(data->out_data, IN_DATA);
	return v;
}

START_TEST(test_viommu_mmap)
{
	struct mock_viommu_selftest data;
	struct nestio_viommu *v = new_mock_viommu(&data);
	uint32_t vid = nestio_viommu_get_id(v);
	struct kabi_destroy destroy = { .size = sizeof(destroy), .id = vid };
	volatile uint32_t *pg;
	void *p = NULL, *again = NULL, *bad = NULL;

	ck_assert_uint_eq(data.out_mmap_length, 2 * (uint64_t)page);
	ck_assert_uint_eq(data.out_mmap_offset % (uint64_t)page, 0);
	ck_assert_int_eq(nestio_viommu_mmap(v, data.out_mmap_offset,
					    data.out_mmap_length, &p), 0);
	pg = p;
	ck_assert(mapped(p, data.out_mmap_length));
	/* the mock put in_data in the first word of its page */
	ck_assert_uint_eq(pg[0], IN_DATA);
	ck_assert_uint_eq(pg[1], 0);
	/* the page is the kernel's memory, shared: a write stays */
	pg[1] = 0x5eed;
	ck_assert_uint_eq(pg[1], 0x5eed);
	ck_assert_uint_eq(pg[page / 4], 0);	/* second page, zeroed */
	/* the same again: the same mapping */
	ck_assert_int_eq(nestio_viommu_mmap(v, data.out_mmap_offset,
					    data.out_mmap_length, &again), 0);
	ck_assert_ptr_eq(again, p);
	/* the kernel maps exactly what it gave: not a part, not inside */
	ck_assert_int_eq(nestio_viommu_mmap(v, data.out_mmap_offset + (uint64_t)page,
					    (uint64_t)page, &bad), -ENXIO);
	ck_assert_int_eq(nestio_viommu_mmap(v, data.out_mmap_offset + 64 * (uint64_t)page,
					    (uint64_t)page, &bad), -ENXIO);
	ck_assert_ptr_null(bad);
	ck_assert_int_eq(nestio_viommu_mmap(v, data.out_mmap_offset, (uint64_t)page, &bad),
			 -EEXIST);

	/* why the order matters: while mapped, the kernel will not destroy it */
	ck_assert_int_eq(ioctl(ifd, KABI_IOMMU_DESTROY, &destroy), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert(tu_kernel_has(ifd, vid));

	/* the last unref unmaps, then destroys: nothing is left */
	ck_assert_ptr_null(nestio_viommu_unref(v));
	ck_assert(!mapped(p, data.out_mmap_length));
	ck_assert(!tu_kernel_has(ifd, vid));
}
END_TEST

/* a vDEVICE pins the vIOMMU, and so its mapping, past the caller's unref;
 * its own unref then takes both */
START_TEST(test_viommu_mmap_pinned)
{
	struct mock_viommu_selftest data, data2;
	struct nestio_viommu *v = new_mock_viommu(&data);
	struct nestio_viommu *v2 = new_mock_viommu(&data2);
	uint32_t vid = nestio_viommu_get_id(v), vid2 = nestio_viommu_get_id(v2);
	struct nestio_vdevice *vd = NULL;
	volatile uint32_t *pg, *pg2;
	void *p = NULL, *p2 = NULL;

	/* each vIOMMU has its own page at its own offset */
	ck_assert_uint_ne(data.out_mmap_offset, data2.out_mmap_offset);
	ck_assert_int_eq(nestio_viommu_mmap(v, data.out_mmap_offset,
					    data.out_mmap_length, &p), 0);
	ck_assert_int_eq(nestio_viommu_mmap(v2, data2.out_mmap_offset,
					    data2.out_mmap_length, &p2), 0);
	pg = p;
	pg2 = p2;
	pg[1] = 1;
	pg2[1] = 2;
	ck_assert_uint_eq(pg[1], 1);
	ck_assert_uint_eq(pg2[0], IN_DATA);
	ck_assert_int_eq(nestio_vdevice_new(v, dev, 0x99, &vd), 0);
	v = nestio_viommu_unref(v);
	ck_assert(mapped(p, data.out_mmap_length));
	ck_assert_uint_eq(pg[0], IN_DATA);
	ck_assert(tu_kernel_has(ifd, vid));
	nestio_vdevice_unref(vd);
	ck_assert(!mapped(p, data.out_mmap_length));
	ck_assert(!tu_kernel_has(ifd, vid));
	/* the other vIOMMU and its page are untouched */
	ck_assert(mapped(p2, data2.out_mmap_length));
	ck_assert_uint_eq(pg2[1], 2);
	nestio_viommu_unref(v2);
	ck_assert(!mapped(p2, data2.out_mmap_length));
	ck_assert(!tu_kernel_has(ifd, vid2));
}
END_TEST

/* map and release over and over: each unref leaves no mapping of the
 * iommufd and no kernel object behind */
START_TEST(test_viommu_mmap_no_leak)
{
	struct mock_viommu_selftest data;
	struct nestio_viommu *v;
	const int n = 32;
	int leaks = 0;
	void *p;

	ck_assert_int_eq(iommu_maps(), 0);
	for (int i = 0; i < n; i++) {
		uint32_t vid;

		v = new_mock_viommu(&data);
		vid = nestio_viommu_get_id(v);
		ck_assert_int_eq(nestio_viommu_mmap(v, data.out_mmap_offset,
						    data.out_mmap_length, &p), 0);
		ck_assert_uint_eq(*(volatile uint32_t *)p, IN_DATA);
		ck_assert_int_eq(iommu_maps(), 1);
		nestio_viommu_unref(v);
		leaks += iommu_maps() + tu_kernel_has(ifd, vid);
	}
	ck_assert_int_eq(leaks, 0);
	printf("NESTIO-REL viommu.mock.mmap cycles %d leaks %d\n", n, leaks);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("viommu-mock");
	TCase *tc = tcase_create("viommu-mock");

	tu_require_mock();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hw_info_of_type);
	tcase_add_test(tc, test_viommu_mmap);
	tcase_add_test(tc, test_viommu_mmap_pinned);
	tcase_add_test(tc, test_viommu_mmap_no_leak);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
