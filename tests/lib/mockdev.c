// SPDX-License-Identifier: LGPL-2.1-or-later
/* Tier 2: mock devices of the kernel's IOMMUFD_TEST driver (see mockdev.h). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

static int mock_ioctl(int fd, struct mock_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, MOCK_IOMMU_TEST_CMD, cmd) < 0 ? -errno : 0;
}

bool tu_have_mock(int iommufd)
{
	struct mock_cmd cmd = { .op = MOCK_OP_MD_CHECK_MAP, .id = 0 };
	int r = mock_ioctl(iommufd, &cmd);

	return r != -ENOTTY;
}

void tu_require_mock(void)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	bool mock;

	if (fd < 0)
		tu_skip("no /dev/iommu");
	mock = tu_have_mock(fd);
	close(fd);
	if (!mock)
		tu_skip("kernel without CONFIG_IOMMUFD_TEST");
}

bool tu_kernel_has(int iommufd, uint32_t id)
{
	struct kabi_hwpt_invalidate inv = { .size = sizeof(inv), .hwpt_id = id };
	int r = ioctl(iommufd, KABI_IOMMU_HWPT_INVALIDATE, &inv);

	return !(r < 0 && errno == ENOENT);
}

static const struct mock_hwpt_selftest mock_s1_data = { .iotlb = MOCK_IOTLB_DEFAULT };
const struct nestio_stage1 tu_mock_s1 = {
	.type = NESTIO_STAGE1_RAW,
	.raw_type = MOCK_HWPT_DATA_SELFTEST,
	.u.raw = { &mock_s1_data, sizeof(mock_s1_data) },
};

int tu_mock_domain(int iommufd, uint32_t pt_id, uint32_t dev_flags,
		   struct tu_mock_dev *md)
{
	struct mock_cmd cmd = {
		.op = dev_flags ? MOCK_OP_MOCK_DOMAIN_FLAGS : MOCK_OP_MOCK_DOMAIN,
		.id = pt_id,
	};
	int r;

	cmd.mock_domain.dev_flags = dev_flags;
	r = mock_ioctl(iommufd, &cmd);
	if (r < 0)
		return r;
	md->iommufd = iommufd;
	md->stdev_id = cmd.mock_domain.out_stdev_id;
	md->hwpt_id = cmd.mock_domain.out_hwpt_id;
	md->dev_id = cmd.mock_domain.out_idev_id;
	return 0;
}

void tu_mock_destroy(struct tu_mock_dev *md)
{
	struct kabi_destroy d = { .size = sizeof(d), .id = md->stdev_id };

	ck_assert_int_eq(ioctl(md->iommufd, KABI_IOMMU_DESTROY, &d), 0);
}

int tu_mock_check_map(int iommufd, uint32_t hwpt_id, uint64_t iova,
		      uint64_t length, const void *uptr)
{
	struct mock_cmd cmd = { .op = MOCK_OP_MD_CHECK_MAP, .id = hwpt_id };

	cmd.check_map.iova = iova;
	cmd.check_map.length = length;
	cmd.check_map.uptr = (uintptr_t)uptr;
	return mock_ioctl(iommufd, &cmd);
}

int tu_mock_pasid_check(int iommufd, uint32_t stdev_id, uint32_t pasid,
			uint32_t hwpt_id)
{
	struct mock_cmd cmd = { .op = MOCK_OP_PASID_CHECK_HWPT, .id = stdev_id };

	cmd.pasid.pasid = pasid;
	cmd.pasid.pt_id = hwpt_id;
	return mock_ioctl(iommufd, &cmd);
}

/* nestio_device_ops over the mock's test ops; userdata is a tu_mock_dev */
static int mock_attach(struct nestio_device *dev, uint32_t pasid,
		       uint32_t pt_id, void *userdata)
{
	struct tu_mock_dev *md = userdata;
	struct mock_cmd cmd = { .id = md->stdev_id };

	(void)dev;
	if (pasid == NESTIO_NO_PASID) {
		/* the mock device is always attached: attach is a replace */
		cmd.op = MOCK_OP_MOCK_DOMAIN_REPLACE;
		cmd.mock_domain_replace.pt_id = pt_id;
	} else {
		cmd.op = MOCK_OP_PASID_ATTACH;
		cmd.pasid.pasid = pasid;
		cmd.pasid.pt_id = pt_id;
	}
	return mock_ioctl(md->iommufd, &cmd);
}

static int mock_replace(struct nestio_device *dev, uint32_t pasid,
			uint32_t pt_id, void *userdata)
{
	struct tu_mock_dev *md = userdata;
	struct mock_cmd cmd = { .id = md->stdev_id };

	if (pasid == NESTIO_NO_PASID)
		return mock_attach(dev, pasid, pt_id, userdata);
	cmd.op = MOCK_OP_PASID_REPLACE;
	cmd.pasid.pasid = pasid;
	cmd.pasid.pt_id = pt_id;
	return mock_ioctl(md->iommufd, &cmd);
}

static int mock_detach(struct nestio_device *dev, uint32_t pasid,
		       void *userdata)
{
	struct tu_mock_dev *md = userdata;
	struct mock_cmd cmd = { .op = MOCK_OP_PASID_DETACH, .id = md->stdev_id };

	(void)dev;
	if (pasid == NESTIO_NO_PASID)
		return -EOPNOTSUPP;	/* the mock has no RID detach */
	cmd.pasid.pasid = pasid;
	return mock_ioctl(md->iommufd, &cmd);
}

static void mock_release(struct nestio_device *dev, void *userdata)
{
	struct tu_mock_dev *md = userdata;
	struct kabi_destroy d = { .size = sizeof(d), .id = md->stdev_id };

	(void)dev;
	ioctl(md->iommufd, KABI_IOMMU_DESTROY, &d);
	free(md);
}

static const struct nestio_device_ops mock_ops = {
	.sz = sizeof(mock_ops),
	.attach = mock_attach,
	.replace = mock_replace,
	.detach = mock_detach,
	.release = mock_release,
};

int tu_mock_device(struct nestio_ctx *ctx, uint32_t pt_id, uint32_t dev_flags,
		   struct nestio_device **out)
{
	struct tu_mock_dev *md = calloc(1, sizeof(*md));
	int r;

	if (!md)
		return -ENOMEM;
	r = tu_mock_domain(nestio_ctx_get_fd(ctx), pt_id, dev_flags, md);
	if (r == 0)
		r = nestio_device_new_from_id(ctx, md->dev_id, &mock_ops, md, out);
	if (r < 0) {
		if (md->stdev_id)
			mock_release(NULL, md);
		else
			free(md);
	}
	return r;
}

int tu_mock_device_adopt(struct nestio_ctx *ctx, uint32_t stdev_id,
			 uint32_t dev_id, struct nestio_device **out)
{
	struct tu_mock_dev *md = calloc(1, sizeof(*md));
	int r;

	if (!md)
		return -ENOMEM;
	*md = (struct tu_mock_dev){ .iommufd = nestio_ctx_get_fd(ctx),
				    .stdev_id = stdev_id, .dev_id = dev_id };
	r = nestio_device_new_from_id(ctx, dev_id, &mock_ops, md, out);
	if (r < 0)
		free(md);
	return r;
}

uint32_t tu_mock_stdev_id(struct nestio_device *dev)
{
	struct tu_mock_dev *md = nestio_device_get_userdata(dev);

	return md ? md->stdev_id : 0;
}

void tu_mock_nest_setup(uint32_t dev_flags, struct nestio_ctx **ctx,
			struct nestio_ioas **ioas, struct nestio_device **dev,
			struct nestio_hwpt **parent)
{
	struct nestio_hwpt_paging_opts o = {
		.sz = sizeof(o),
		.flags = NESTIO_HWPT_NEST_PARENT,
	};

	ck_assert_int_eq(nestio_ctx_new(ctx), 0);
	ck_assert_int_eq(nestio_ioas_new(*ctx, ioas), 0);
	ck_assert_int_eq(tu_mock_device(*ctx, nestio_ioas_get_id(*ioas),
					dev_flags, dev), 0);
	ck_assert_int_eq(nestio_hwpt_new_paging(*dev, *ioas, &o, parent), 0);
}

struct nestio_ctx *tu_ctx;
int tu_ifd;
unsigned char *tu_buf;

void tu_mock_setup(void)
{
	ck_assert_int_eq(nestio_ctx_new(&tu_ctx), 0);
	tu_ifd = nestio_ctx_get_fd(tu_ctx);
	tu_buf = mmap(NULL, TU_MOCK_BUF, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(tu_buf, MAP_FAILED);
	memset(tu_buf, 0x11, TU_MOCK_BUF);
}

void tu_mock_teardown(void)
{
	tu_ctx = nestio_ctx_unref(tu_ctx);
	munmap(tu_buf, TU_MOCK_BUF);
}

struct nestio_ioas *tu_ioas;
struct nestio_device *tu_dev;
uint64_t tu_page, tu_iova0;

void tu_mock_mapped_setup(void)
{
	ck_assert_int_eq(nestio_ctx_new(&tu_ctx), 0);
	tu_ifd = nestio_ctx_get_fd(tu_ctx);
	tu_page = (uint64_t)sysconf(_SC_PAGESIZE);
	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &tu_ioas), 0);
	ck_assert_int_eq(tu_mock_device(tu_ctx, nestio_ioas_get_id(tu_ioas), 0,
					&tu_dev), 0);
	tu_buf = mmap(NULL, TU_MOCK_NPAGES * tu_page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(tu_buf, MAP_FAILED);
	memset(tu_buf, 1, TU_MOCK_NPAGES * tu_page);
	tu_iova0 = MOCK_APERTURE_START;
	/*
	 * One page per map call: the mock's page table (generic_pt AMDV1)
	 * maps physically contiguous, aligned runs with one larger leaf, and
	 * dirty bits are kept per leaf, so a page marked dirty would read back
	 * as its whole leaf whenever the allocator happened to hand out
	 * contiguous pages. Single-page areas keep every leaf one page.
	 */
	for (unsigned int i = 0; i < TU_MOCK_NPAGES; i++) {
		uint64_t iova = tu_iova0 + i * tu_page;

		ck_assert_int_eq(nestio_ioas_map(tu_ioas, tu_buf + i * tu_page,
						 tu_page, &iova,
						 NESTIO_MAP_READ | NESTIO_MAP_WRITE |
						 NESTIO_MAP_FIXED_IOVA), 0);
	}
}

void tu_mock_mapped_teardown(void)
{
	tu_dev = nestio_device_unref(tu_dev);
	tu_ioas = nestio_ioas_unref(tu_ioas);
	tu_ctx = nestio_ctx_unref(tu_ctx);
	munmap(tu_buf, TU_MOCK_NPAGES * tu_page);
}
