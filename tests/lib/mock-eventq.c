// SPDX-License-Identifier: LGPL-2.1-or-later
/* The mock tier's vEVENTQ and fault-queue fixture (mock-eventq.h). */
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>

#include "mock-eventq.h"

struct nestio_ctx *ctx;
struct nestio_ioas *ioas;
struct nestio_device *dev;
struct nestio_hwpt *parent;
struct nestio_viommu *viommu;
struct nestio_vdevice *vdev;
int ifd;

void eventq_mock_setup(void)
{
	tu_mock_nest_setup(MOCK_FLAGS_DEVICE_PASID, &ctx, &ioas, &dev, &parent);
	ifd = nestio_ctx_get_fd(ctx);
	ck_assert_int_eq(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
					   NULL, &viommu), 0);
	ck_assert_int_eq(nestio_vdevice_new(viommu, dev, VIRT_ID, &vdev), 0);
}

void eventq_mock_teardown(void)
{
	vdev = nestio_vdevice_unref(vdev);
	viommu = nestio_viommu_unref(viommu);
	dev = nestio_device_unref(dev);
	parent = nestio_hwpt_unref(parent);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
}

/* a nested hwpt on the vIOMMU (with a fault queue, if f), at the RID */
struct nestio_hwpt *attach_nested(struct nestio_fault *f)
{
	struct nestio_hwpt_nested_opts o = {
		.sz = sizeof(o),
		.fault_id = nestio_fault_get_id(f),
	};
	struct nestio_hwpt *n = NULL;

	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(dev, viommu, &tu_mock_s1,
						       &o, &n), 0);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, n), 0);
	return n;
}

int trigger_vevent(void)
{
	struct mock_cmd c = { .size = sizeof(c), .op = MOCK_OP_TRIGGER_VEVENT };

	c.trigger_vevent.dev_id = nestio_device_get_id(dev);
	return ioctl(ifd, MOCK_IOMMU_TEST_CMD, &c) < 0 ? -errno : 0;
}

int trigger_iopf(uint32_t pasid, uint32_t grpid, uint32_t perm,
			uint64_t addr)
{
	struct mock_cmd c = { .size = sizeof(c), .op = MOCK_OP_TRIGGER_IOPF };

	c.trigger_iopf.dev_id = nestio_device_get_id(dev);
	c.trigger_iopf.pasid = pasid;
	c.trigger_iopf.grpid = grpid;
	c.trigger_iopf.perm = perm;
	c.trigger_iopf.addr = addr;
	return ioctl(ifd, MOCK_IOMMU_TEST_CMD, &c) < 0 ? -errno : 0;
}

bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

struct nestio_veventq *new_q(uint32_t depth)
{
	struct nestio_veventq *q = NULL;
	int r = nestio_veventq_new(viommu, MOCK_VEVENTQ_TYPE_SELFTEST, depth, &q);

	if (tu_is_feature_missing(r))
		tu_skip("no vEVENTQ in this kernel");
	ck_assert_int_eq(r, 0);
	return q;
}

void expect_ev(const struct nestio_vevent *e, uint32_t seq, uint32_t lost)
{
	struct mock_viommu_event_selftest rec;

	ck_assert_uint_eq(e->sequence, seq);
	ck_assert_uint_eq(e->lost, lost);
	ck_assert_uint_eq(e->len, sizeof(rec));
	memcpy(&rec, e->data, sizeof(rec));
	ck_assert_uint_eq(rec.virt_id, VIRT_ID);
}
