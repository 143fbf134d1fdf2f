// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl's mock device: the kernel's IOMMUFD_TEST driver (a kernel built
 * with CONFIG_IOMMUFD_TEST) makes a device that is bound to the iommufd
 * and attaches through test operations. The tool adopts it through the
 * public nestio_device_new_from_id() with an operations table, as any
 * other iommufd client would plug its device in.
 *
 * The mock's control ioctl is not uAPI: these are the tool's own
 * declarations of the few operations it uses, pinned by the kernel's
 * drivers/iommu/iommufd/iommufd_test.h (tests/mock.h holds the tests' copy,
 * checked against that header by tests/test-abi).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "mockdev.h"

#define IOMMUFD_TYPE ';'
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, 0x80)
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, 0x80 + 32)

enum {
	TEST_OP_MOCK_DOMAIN = 2,
	TEST_OP_MOCK_DOMAIN_REPLACE = 10,
	TEST_OP_MOCK_DOMAIN_FLAGS = 12,
	TEST_OP_TRIGGER_IOPF = 15,
	TEST_OP_TRIGGER_VEVENT = 17,
	TEST_OP_PASID_ATTACH = 18,
	TEST_OP_PASID_REPLACE = 19,
	TEST_OP_PASID_DETACH = 20,
};

#define U64A uint64_t __attribute__((aligned(8)))

struct test_cmd {
	uint32_t size;
	uint32_t op;
	uint32_t id;
	uint32_t reserved;
	union {
		struct {
			uint32_t out_stdev_id;
			uint32_t out_hwpt_id;
			uint32_t out_idev_id;
			uint32_t dev_flags;
		} mock_domain;
		struct {
			uint32_t pt_id;
		} replace;
		struct {
			uint32_t pasid;
			uint32_t pt_id;
		} pasid;
		struct {
			uint32_t dev_id;
			uint32_t pasid;
			uint32_t grpid;
			uint32_t perm;
			U64A addr;
		} iopf;
		struct {
			uint32_t dev_id;
		} vevent;
		uint8_t pad[48];	/* the kernel's union is this large */
	};
	uint32_t last;
};

struct iommu_destroy {
	uint32_t size;
	uint32_t id;
};

struct mockdev {
	int iommufd;
	uint32_t stdev_id;
};

static int test_cmd(int iommufd, struct test_cmd *c)
{
	c->size = sizeof(*c);
	return ioctl(iommufd, IOMMU_TEST_CMD, c) < 0 ? -errno : 0;
}

static int md_attach(struct nestio_device *dev, uint32_t pasid, uint32_t pt_id,
		     void *userdata)
{
	struct mockdev *md = userdata;
	struct test_cmd c = { .id = md->stdev_id };

	(void)dev;
	if (pasid == NESTIO_NO_PASID) {
		/* a mock device is always attached: attaching is replacing */
		c.op = TEST_OP_MOCK_DOMAIN_REPLACE;
		c.replace.pt_id = pt_id;
	} else {
		c.op = TEST_OP_PASID_ATTACH;
		c.pasid.pasid = pasid;
		c.pasid.pt_id = pt_id;
	}
	return test_cmd(md->iommufd, &c);
}

static int md_replace(struct nestio_device *dev, uint32_t pasid,
		      uint32_t pt_id, void *userdata)
{
	struct mockdev *md = userdata;
	struct test_cmd c = { .op = TEST_OP_PASID_REPLACE, .id = md->stdev_id };

	if (pasid == NESTIO_NO_PASID)
		return md_attach(dev, pasid, pt_id, userdata);
	c.pasid.pasid = pasid;
	c.pasid.pt_id = pt_id;
	return test_cmd(md->iommufd, &c);
}

static int md_detach(struct nestio_device *dev, uint32_t pasid, void *userdata)
{
	struct mockdev *md = userdata;
	struct test_cmd c = { .op = TEST_OP_PASID_DETACH, .id = md->stdev_id };

	(void)dev;
	if (pasid == NESTIO_NO_PASID)
		return -EOPNOTSUPP;	/* the mock cannot leave its RID bare */
	c.pasid.pasid = pasid;
	return test_cmd(md->iommufd, &c);
}

static void md_release(struct nestio_device *dev, void *userdata)
{
	struct mockdev *md = userdata;
	struct iommu_destroy d = { .size = sizeof(d), .id = md->stdev_id };

	(void)dev;
	ioctl(md->iommufd, IOMMU_DESTROY, &d);
	free(md);
}

static const struct nestio_device_ops md_ops = {
	.sz = sizeof(md_ops),
	.attach = md_attach,
	.replace = md_replace,
	.detach = md_detach,
	.release = md_release,
};

int mockdev_new(struct nestio_ctx *ctx, uint32_t pt_id, bool pasid,
		struct nestio_device **out)
{
	struct mockdev *md = calloc(1, sizeof(*md));
	struct test_cmd c = {
		.op = pasid ? TEST_OP_MOCK_DOMAIN_FLAGS : TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
	};
	int r;

	if (!md)
		return -ENOMEM;
	md->iommufd = nestio_ctx_get_fd(ctx);
	c.mock_domain.dev_flags = pasid ? MOCKDEV_FLAG_PASID : 0;
	r = test_cmd(md->iommufd, &c);
	if (r < 0) {
		free(md);
		return r;
	}
	md->stdev_id = c.mock_domain.out_stdev_id;
	r = nestio_device_new_from_id(ctx, c.mock_domain.out_idev_id, &md_ops, md, out);
	if (r < 0)
		md_release(NULL, md);
	return r;
}

int mockdev_raise_vevent(struct nestio_device *dev)
{
	struct mockdev *md = nestio_device_get_userdata(dev);
	struct test_cmd c = { .op = TEST_OP_TRIGGER_VEVENT };

	c.vevent.dev_id = nestio_device_get_id(dev);
	return test_cmd(md->iommufd, &c);
}

int mockdev_raise_iopf(struct nestio_device *dev, uint32_t pasid,
		       uint32_t grpid, uint32_t perm, uint64_t addr)
{
	struct mockdev *md = nestio_device_get_userdata(dev);
	struct test_cmd c = { .op = TEST_OP_TRIGGER_IOPF };

	c.iopf.dev_id = nestio_device_get_id(dev);
	c.iopf.pasid = pasid;
	c.iopf.grpid = grpid;
	c.iopf.perm = perm;
	c.iopf.addr = addr;
	return test_cmd(md->iommufd, &c);
}
