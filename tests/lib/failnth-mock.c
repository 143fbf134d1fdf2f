// SPDX-License-Identifier: LGPL-2.1-or-later
/* The mock flows' shared state and checks: failnth-mock.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "failnth-mock.h"

struct fm_state fm;
unsigned char *fm_buf;
int fm_memfd = -1;
static int fm_ifd = -1;

/* ---- the starting points ---- */

int fm_setup_none(struct fn_run *run)
{
	(void)run;
	memset(&fm, 0, sizeof(fm));
	fm_ifd = -1;
	return 0;
}

int fm_setup_ioas(struct fn_run *run)
{
	struct nestio_ctx *c;

	fm_setup_none(run);
	FN_NEW(run, FN_CTX, c, nestio_ctx_new(&c));
	fm_ifd = nestio_ctx_get_fd(c);
	FN_NEW(run, FN_IOAS, fm.ioas, nestio_ioas_new(c, &fm.ioas));
	return 0;
}

int fm_setup_dev(struct fn_run *run)
{
	int r = fm_setup_ioas(run);

	if (r)
		return r;
	FN_NEW(run, FN_DEV, fm.dev, tu_mock_device(run->ctx, nestio_ioas_get_id(fm.ioas),
						   MOCK_FLAGS_DEVICE_PASID, &fm.dev));
	/* one page per map: every leaf of the mock's table is one page
	 * (dirty bits are kept per leaf) */
	for (unsigned int i = 0; i < FM_MAPPED; i++) {
		uint64_t iova = MOCK_APERTURE_START + i * FM_PAGE;

		FN_STEP(run, nestio_ioas_map(fm.ioas, fm_buf + i * FM_PAGE, FM_PAGE,
					     &iova, NESTIO_MAP_READ | NESTIO_MAP_WRITE |
					     NESTIO_MAP_FIXED_IOVA));
	}
	return 0;
}

int fm_setup_parent(struct fn_run *run)
{
	struct nestio_hwpt_paging_opts np = { .sz = sizeof(np),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	int r = fm_setup_dev(run);

	if (r)
		return r;
	FN_NEW(run, FN_HWPT, fm.parent, nestio_hwpt_new_paging(fm.dev, fm.ioas, &np,
								&fm.parent));
	return 0;
}

int fm_setup_viommu(struct fn_run *run)
{
	int r = fm_setup_parent(run);

	if (r)
		return r;
	FN_NEW(run, FN_VIOMMU, fm.viommu,
	       nestio_viommu_new(fm.dev, fm.parent, MOCK_VIOMMU_TYPE_SELFTEST, NULL,
				 &fm.viommu));
	return 0;
}

int fm_setup_vdev(struct fn_run *run)
{
	int r = fm_setup_viommu(run);

	if (r)
		return r;
	FN_NEW(run, FN_VDEV, fm.vdev, nestio_vdevice_new(fm.viommu, fm.dev, FM_VIRT_ID,
							 &fm.vdev));
	FN_NEW(run, FN_HWPT, fm.nested, nestio_hwpt_new_nested(fm.dev, fm.parent,
							       &tu_mock_s1, NULL,
							       &fm.nested));
	return 0;
}

int fm_setup_events(struct fn_run *run)
{
	int r = fm_setup_vdev(run);

	if (r)
		return r;
	FN_NEW(run, FN_HWPT, fm.nested_v,
	       nestio_hwpt_new_nested_viommu(fm.dev, fm.viommu, &tu_mock_s1, NULL,
					     &fm.nested_v));
	FN_STEP(run, nestio_device_attach_hwpt(fm.dev, NESTIO_NO_PASID, fm.nested_v));
	return 0;
}

/* ---- the mock's checks and triggers ---- */

uint32_t fm_auto_hwpt(struct nestio_device *d)
{
	struct tu_mock_dev *md = nestio_device_get_userdata(d);

	return md->hwpt_id;
}

static int mock_cmd(struct mock_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fm_ifd, MOCK_IOMMU_TEST_CMD, cmd) < 0 ? -errno : 0;
}

static int paused_cmd(struct mock_cmd *cmd)
{
	unsigned int left = fn_pause();
	int r = mock_cmd(cmd);

	fn_resume(left);
	return r;
}

int fm_check_map(uint32_t hwpt_id, uint64_t iova, uint64_t len, const void *p)
{
	struct mock_cmd cmd = { .op = MOCK_OP_MD_CHECK_MAP, .id = hwpt_id };

	cmd.check_map.iova = iova;
	cmd.check_map.length = len;
	cmd.check_map.uptr = (uintptr_t)p;
	return paused_cmd(&cmd);
}

int fm_iotlb_is(uint32_t hwpt_id, uint32_t i, uint32_t value)
{
	struct mock_cmd cmd = { .op = MOCK_OP_MD_CHECK_IOTLB, .id = hwpt_id };

	cmd.check_cache.id = i;
	cmd.check_cache.value = value;
	return paused_cmd(&cmd);
}

int fm_cache_is(uint32_t dev_id, uint32_t i, uint32_t value)
{
	struct mock_cmd cmd = { .op = MOCK_OP_DEV_CHECK_CACHE, .id = dev_id };

	cmd.check_cache.id = i;
	cmd.check_cache.value = value;
	return paused_cmd(&cmd);
}

int fm_mock_dirty(uint32_t hwpt_id, uint64_t mask)
{
	static uint64_t bits;	/* not on a stack page the kernel may fault in */
	struct mock_cmd cmd = { .op = MOCK_OP_DIRTY, .id = hwpt_id };
	int r;

	bits = mask;
	cmd.dirty.iova = MOCK_APERTURE_START;
	cmd.dirty.length = FM_MAPPED * FM_PAGE;
	cmd.dirty.page_size = FM_PAGE;
	cmd.dirty.uptr = (uintptr_t)&bits;
	r = mock_cmd(&cmd);
	return r < 0 ? r : (int)cmd.dirty.out_nr_dirty;
}

int fm_trigger_vevent(void)
{
	struct mock_cmd cmd = { .op = MOCK_OP_TRIGGER_VEVENT };

	cmd.trigger_vevent.dev_id = nestio_device_get_id(fm.dev);
	return mock_cmd(&cmd);
}

int fm_trigger_iopf(uint32_t pasid, uint32_t grpid, uint64_t addr)
{
	struct mock_cmd cmd = { .op = MOCK_OP_TRIGGER_IOPF };

	cmd.trigger_iopf.dev_id = nestio_device_get_id(fm.dev);
	cmd.trigger_iopf.pasid = pasid;
	cmd.trigger_iopf.grpid = grpid;
	cmd.trigger_iopf.perm = KABI_PGFAULT_PERM_READ;
	cmd.trigger_iopf.addr = addr;
	return mock_cmd(&cmd);
}

int fm_pasid_detach(uint32_t pasid)
{
	struct mock_cmd cmd = { .op = MOCK_OP_PASID_DETACH,
				.id = tu_mock_stdev_id(fm.dev) };

	cmd.pasid.pasid = pasid;
	return mock_cmd(&cmd);
}

/* ---- Check ---- */

static void fixture(void)
{
	char *p;

	fm_buf = mmap(NULL, FM_PAGES * FM_PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(fm_buf, MAP_FAILED);
	memset(fm_buf, 0x11, FM_PAGES * FM_PAGE);
	fm_memfd = memfd_create("failnth", MFD_CLOEXEC);
	ck_assert_int_ge(fm_memfd, 0);
	ck_assert_int_eq(ftruncate(fm_memfd, 2 * FM_PAGE), 0);
	/* its pages exist before any injection */
	p = mmap(NULL, 2 * FM_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fm_memfd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, 0x22, 2 * FM_PAGE);
	munmap(p, 2 * FM_PAGE);
}

static const struct fn_flow *run_flows;

START_TEST(test_flow)
{
	fn_sweep(&run_flows[_i]);
}
END_TEST

int fm_main(const char *prog, const struct fn_flow *flows, size_t n)
{
	char name[64];
	Suite *s;
	int r;

	snprintf(name, sizeof(name), "failnth-%s", prog);
	s = suite_create(name);
	tu_require_mock();
	fn_require();
	fn_totals_begin();
	run_flows = flows;
	for (size_t i = 0; i < n; i++) {
		TCase *tc = tcase_create(flows[i].name);

		tcase_add_checked_fixture(tc, fixture, NULL);
		tcase_set_timeout(tc, 1200);
		tcase_add_loop_test(tc, test_flow, (int)i, (int)i + 1);
		suite_add_tcase(s, tc);
	}
	r = tu_run(s);
	fn_totals_end(prog);
	return r;
}
