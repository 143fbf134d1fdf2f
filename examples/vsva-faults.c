// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vsva-faults: the event side of virtual SVA in a VMM. The guest owns the
 * stage-1 tables of its device (nested translation on a vIOMMU), so when
 * the device touches a page the guest has not mapped yet, the page request
 * has to travel to the guest and its answer back; and what the physical
 * IOMMU reports about the device (vEVENTs) goes to the guest's vIOMMU.
 *
 *   1. stage 2 (guest RAM) in a nest-parent HWPT; a vIOMMU on it; a vDEVICE
 *      for the device (its ID as the guest's vIOMMU knows it)
 *   2. a fault queue, and the guest's stage 1 as a nested HWPT on the
 *      vIOMMU that reports its page faults there; the device attached
 *   3. a vEVENTQ on the vIOMMU
 *   4. one poll(2) loop over both fds, each readable fd handed to
 *      nestio_ctx_dispatch(): page-request groups go to the guest and are
 *      answered, vEVENTs are forwarded
 *
 * The kernel's IOMMUFD_TEST mock (CONFIG_IOMMUFD_TEST) stands in for the
 * IOMMU and the device, and also plays the device and the guest: it raises
 * the page request and the event. Everything else is the public API.
 * Exit status: 0 when the whole flow ran; 1 when a call failed, with a line
 * on stderr naming it and the errno in words (a kernel without iommufd:
 * "vsva-faults: /dev/iommu: No such file or directory").
 * Build: cc vsva-faults.c $(pkg-config --cflags --libs libnestio)
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <libnestio.h>

#define GUEST_RAM (2u << 20)
#define VIRT_ID 0x42		/* the device's ID in the guest's vIOMMU */
#define GUEST_PASID 1		/* the guest process the device works for */

/* ---- the stand-in: the kernel's IOMMUFD_TEST mock ----
 * Not uAPI: these few declarations mirror the kernel-internal
 * drivers/iommu/iommufd/iommufd_test.h of the kernel the tests run on. */
#define MOCK_CMD _IO(';', 0x80 + 32)
enum { MOCK_OP_MOCK_DOMAIN_REPLACE = 10, MOCK_OP_MOCK_DOMAIN_FLAGS = 12,
       MOCK_OP_TRIGGER_IOPF = 15, MOCK_OP_TRIGGER_VEVENT = 17 };
#define MOCK_FLAGS_DEVICE_PASID (1u << 2)
#define MOCK_HWPT_DATA_SELFTEST 0xdeadu
#define MOCK_IOTLB_DEFAULT 0xbadbeefu
#define MOCK_VIOMMU_TYPE_SELFTEST 0xdeadbeefu
#define MOCK_VEVENTQ_TYPE_SELFTEST 0xbeefbeefu

struct mock_cmd {
	uint32_t size, op, id, reserved;
	union {
		struct { uint32_t out_stdev_id, out_hwpt_id, out_idev_id, dev_flags; } dom;
		struct { uint32_t pt_id; } replace;
		struct {
			uint32_t dev_id, pasid, grpid, perm;
			uint64_t addr __attribute__((aligned(8)));
		} iopf;
		struct { uint32_t dev_id; } vevent;
		uint8_t pad[48];
	};
	uint32_t last;
};

struct vmm {
	struct nestio_ctx *ctx;
	struct nestio_device *dev;
	uint32_t stdev_id;	/* the mock's handle on the device */
	int faults, events;	/* what the loop handled */
};

static int fail(const char *what, int r)
{
	fprintf(stderr, "vsva-faults: %s: %s\n", what, strerror(-r));
	return r;
}

static int mock(struct nestio_ctx *ctx, struct mock_cmd *c)
{
	c->size = sizeof(*c);
	return ioctl(nestio_ctx_get_fd(ctx), MOCK_CMD, c) < 0 ? -errno : 0;
}

/* the mock device is always attached somewhere: attach is a replace */
static int mock_attach(struct nestio_device *d, uint32_t pasid, uint32_t pt,
		       void *u)
{
	struct mock_cmd c = { .op = MOCK_OP_MOCK_DOMAIN_REPLACE,
			      .id = ((struct vmm *)u)->stdev_id };

	if (pasid != NESTIO_NO_PASID)
		return -EOPNOTSUPP;	/* not needed here */
	c.replace.pt_id = pt;
	return mock(nestio_device_get_ctx(d), &c);
}

static void mock_release(struct nestio_device *d, void *u)
{
	struct { uint32_t size, id; } destroy = { 8, ((struct vmm *)u)->stdev_id };

	ioctl(nestio_ctx_get_fd(nestio_device_get_ctx(d)), _IO(';', 0x80), &destroy);
}

static int mock_device(struct vmm *v, struct nestio_ioas *home)
{
	static const struct nestio_device_ops ops = {
		.sz = sizeof(ops), .attach = mock_attach, .replace = mock_attach,
		.release = mock_release,
	};
	struct mock_cmd c = { .op = MOCK_OP_MOCK_DOMAIN_FLAGS,
			      .id = nestio_ioas_get_id(home) };
	int r;

	c.dom.dev_flags = MOCK_FLAGS_DEVICE_PASID;
	r = mock(v->ctx, &c);
	if (r < 0)
		return r;
	v->stdev_id = c.dom.out_stdev_id;
	return nestio_device_new_from_id(v->ctx, c.dom.out_idev_id, &ops, v,
					 &v->dev);
}

/* the device touches a guest page that is not present at GUEST_PASID */
static int device_faults(struct vmm *v, uint64_t addr)
{
	struct mock_cmd c = { .op = MOCK_OP_TRIGGER_IOPF };

	c.iopf.dev_id = nestio_device_get_id(v->dev);
	c.iopf.pasid = GUEST_PASID;
	c.iopf.grpid = 1;
	c.iopf.perm = NESTIO_PERM_READ | NESTIO_PERM_WRITE; /* = the kernel's */
	c.iopf.addr = addr;
	return mock(v->ctx, &c);
}

/* the physical IOMMU reports something about the device */
static int iommu_reports(struct vmm *v)
{
	struct mock_cmd c = { .op = MOCK_OP_TRIGGER_VEVENT };

	c.vevent.dev_id = nestio_device_get_id(v->dev);
	return mock(v->ctx, &c);
}

/* ---- the VMM's handlers ---- */

/* A page-request group: a real VMM injects it into the guest's vIOMMU
 * (a PRQ entry, an SMMUv3 PRI event) and answers when the guest does;
 * here the "guest" maps the page at once and says yes. */
static void on_page_requests(struct nestio_fault *f,
			     const struct nestio_page_request *group,
			     unsigned int n, void *data)
{
	struct vmm *v = data;
	int r;

	for (unsigned int i = 0; i < n; i++)
		printf("page request: dev_id %" PRIu32 " pasid %" PRIu32
		       " addr %#" PRIx64 " %s%s%s group %" PRIu32 "%s\n",
		       group[i].dev_id, group[i].pasid, group[i].addr,
		       group[i].perm & NESTIO_PERM_READ ? "r" : "-",
		       group[i].perm & NESTIO_PERM_WRITE ? "w" : "-",
		       group[i].perm & NESTIO_PERM_EXEC ? "x" : "-",
		       group[i].grpid,
		       group[i].flags & NESTIO_PRQ_LAST_PAGE ? " (last)" : "");
	r = nestio_fault_respond(f, group[0].cookie, NESTIO_PAGE_RESP_SUCCESS);
	if (r < 0) {
		fail("respond", r);
		return;
	}
	printf("answered: group cookie %" PRIu32 ", success\n", group[0].cookie);
	v->faults++;
}

/* A vEVENT: a real VMM writes it into the guest vIOMMU's event queue. */
static void on_vevent(struct nestio_veventq *q, const struct nestio_vevent *ev,
		      void *data)
{
	struct vmm *v = data;
	uint32_t virt_id;

	memcpy(&virt_id, ev->data, sizeof(virt_id));	/* the mock's record */
	printf("vEVENT %" PRIu32 " on vEVENTQ %" PRIu32 ": %" PRIu32
	       " bytes, virtual device %#" PRIx32 ", %" PRIu32 " lost before it\n",
	       ev->sequence, nestio_veventq_get_id(q), ev->len, virt_id, ev->lost);
	v->events++;
}

/* the VMM's main loop: until the wanted number of each was handled */
static int event_loop(struct vmm *v, struct nestio_fault *f,
		      struct nestio_veventq *q, int faults, int events)
{
	struct pollfd p[2] = {
		{ .fd = nestio_fault_get_fd(f), .events = POLLIN },
		{ .fd = nestio_veventq_get_fd(q), .events = POLLIN },
	};

	while (v->faults < faults || v->events < events) {
		int r = poll(p, 2, 2000);

		if (r < 0)
			return fail("poll", -errno);
		if (r == 0)
			return fail("waiting for events", -ETIMEDOUT);
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			r = nestio_ctx_dispatch(v->ctx, p[i].fd);
			if (r < 0)
				return fail("dispatch", r);
		}
	}
	return 0;
}

int main(void)
{
	static const uint32_t s1_data[2] = { MOCK_IOTLB_DEFAULT, 0 };
	const struct nestio_stage1 s1 = {	/* the guest's stage 1 */
		.type = NESTIO_STAGE1_RAW,
		.raw_type = MOCK_HWPT_DATA_SELFTEST,
		.u.raw = { s1_data, sizeof(s1_data) },
	};
	struct nestio_hwpt_paging_opts po = { .sz = sizeof(po),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_hwpt_nested_opts no = { .sz = sizeof(no) };
	struct nestio_ioas *home = NULL, *ioas = NULL;
	struct nestio_hwpt *parent = NULL, *nested = NULL;
	struct nestio_viommu *viommu = NULL;
	struct nestio_vdevice *vdev = NULL;
	struct nestio_fault *f = NULL;
	struct nestio_veventq *q = NULL;
	struct vmm v = { 0 };
	uint64_t gpa = 0;
	void *ram = MAP_FAILED;
	int r;

	r = nestio_ctx_new(&v.ctx);
	if (r < 0)
		return fail("/dev/iommu", r), 1;
	/* a mock device is born attached to an IOAS: keep it until the end */
	if ((r = nestio_ioas_new(v.ctx, &home)) < 0 ||
	    (r = mock_device(&v, home)) < 0) {
		fail("mock device (CONFIG_IOMMUFD_TEST?)", r);
		goto out;
	}
	printf("device: dev_id %" PRIu32 " (iommufd-mock)\n",
	       nestio_device_get_id(v.dev));

	/* 1. stage 2, the vIOMMU, the vDEVICE */
	ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED) {
		r = fail("mmap", -errno);
		goto out;
	}
	if ((r = nestio_ioas_new(v.ctx, &ioas)) < 0 ||
	    (r = nestio_hwpt_new_paging(v.dev, ioas, &po, &parent)) < 0 ||
	    (r = nestio_ioas_map(ioas, ram, GUEST_RAM, &gpa,
				 NESTIO_MAP_READ | NESTIO_MAP_WRITE)) < 0) {
		fail("stage 2", r);
		goto out;
	}
	if ((r = nestio_viommu_new(v.dev, parent, MOCK_VIOMMU_TYPE_SELFTEST,
				   NULL, &viommu)) < 0 ||
	    (r = nestio_vdevice_new(viommu, v.dev, VIRT_ID, &vdev)) < 0) {
		fail("vIOMMU", r);
		goto out;
	}
	printf("vIOMMU %" PRIu32 " on nest parent hwpt %" PRIu32
	       "; vDEVICE %" PRIu32 " is virtual device %#x\n",
	       nestio_viommu_get_id(viommu), nestio_hwpt_get_id(parent),
	       nestio_vdevice_get_id(vdev), VIRT_ID);

	/* 2. the fault queue, the guest's stage 1 reporting faults to it */
	if ((r = nestio_fault_new(v.ctx, &f)) < 0) {
		fail("fault queue", r);
		goto out;
	}
	no.fault_id = nestio_fault_get_id(f);
	if ((r = nestio_hwpt_new_nested_viommu(v.dev, viommu, &s1, &no,
					       &nested)) < 0 ||
	    (r = nestio_device_attach_hwpt(v.dev, NESTIO_NO_PASID, nested)) < 0) {
		fail("nested hwpt", r);
		goto out;
	}
	printf("fault queue %" PRIu32 " (fd %d) behind nested hwpt %" PRIu32
	       ", the device attached\n", nestio_fault_get_id(f),
	       nestio_fault_get_fd(f), nestio_hwpt_get_id(nested));

	/* 3. the vEVENTQ */
	if ((r = nestio_veventq_new(viommu, MOCK_VEVENTQ_TYPE_SELFTEST, 64,
				    &q)) < 0) {
		fail("vEVENTQ", r);
		goto out;
	}
	printf("vEVENTQ %" PRIu32 " (fd %d)\n", nestio_veventq_get_id(q),
	       nestio_veventq_get_fd(q));
	nestio_fault_set_handler(f, on_page_requests, &v);
	nestio_veventq_set_handler(q, on_vevent, &v);

	/* 4. the loop: a page request arrives and is answered ... */
	if ((r = device_faults(&v, 0x7f0000401000ull)) < 0) {
		fail("raising a page request", r);
		goto out;
	}
	if ((r = event_loop(&v, f, q, 1, 0)) < 0)
		goto out;
	/* ... then an event, and both at once */
	if ((r = iommu_reports(&v)) < 0) {
		fail("raising a vEVENT", r);
		goto out;
	}
	if ((r = event_loop(&v, f, q, 1, 1)) < 0)
		goto out;
	if ((r = device_faults(&v, 0x7f0000402000ull)) < 0 ||
	    (r = iommu_reports(&v)) < 0) {
		fail("raising more", r);
		goto out;
	}
	if ((r = event_loop(&v, f, q, 2, 2)) < 0)
		goto out;
	printf("handled: %d page request group(s), %d vEVENT(s), %" PRIu64
	       " lost\n", v.faults, v.events, nestio_veventq_get_lost(q));
	r = 0;
out:
	/* the device pins what it is attached to; the fault queue goes after
	 * the HWPT that reports to it */
	nestio_veventq_unref(q);
	nestio_hwpt_unref(nested);
	nestio_vdevice_unref(vdev);
	nestio_viommu_unref(viommu);
	nestio_hwpt_unref(parent);
	nestio_device_unref(v.dev);
	nestio_fault_unref(f);
	nestio_ioas_unref(ioas);
	nestio_ioas_unref(home);
	if (ram != MAP_FAILED)
		munmap(ram, GUEST_RAM);
	nestio_ctx_unref(v.ctx);
	return r < 0 ? 1 : 0;
}
