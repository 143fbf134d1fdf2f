// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vtd-nesting: the VT-d first-stage nesting flow of a VMM whose vIOMMU
 * (QEMU's intel_iommu with x-flts=on, say) lets the guest own stage 1:
 *
 *   1. check the host IOMMU can back what the vIOMMU advertises
 *   2. make the device's stage 2 (guest RAM) a nest parent
 *   3. on a guest PASID-entry update: bind the guest stage-1 table there
 *   4. forward the guest's PASID-based IOTLB invalidations, batched
 *   5. on a PASID-entry change: update the binding (replace, no DMA gap)
 *   6. after a context-cache invalidation or device reset: replay
 *   7. on a PASID-entry removal: unbind
 *
 *   vtd-nesting 0000:00:03.0    a device behind a nest-capable VT-d
 *   vtd-nesting                 the kernel's IOMMUFD_TEST mock stands in
 *
 * Steps 2-7 are the function nesting_flow(); everything about where the
 * device and the stage-1 payloads come from is in struct backend.
 * Exit status: 0 when the whole flow ran; 1 when a call failed, with a line
 * on stderr naming it and the errno in words (a kernel without iommufd:
 * "vtd-nesting: /dev/iommu: No such file or directory").
 * Build: cc vtd-nesting.c $(pkg-config --cflags --libs libnestio)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libnestio.h>

#define GUEST_RAM (4u << 20)
#define PASID 1

struct backend {
	const char *name;
	struct nestio_device *dev;
	/* the stage-1 config for a guest page table at gpa (a version, so
	 * two calls can describe two different tables) */
	void (*stage1)(struct backend *b, uint64_t gpa, struct nestio_stage1 *s1);
	/* queue one guest invalidation of npages at addr */
	int (*invalidate)(struct nestio_invq *q, uint64_t addr, uint64_t npages);
	uint32_t inv_type;
	struct nestio_invq_opts inv_opts;
	uint32_t scratch[2];	/* backend payload storage */
	struct nestio_ioas *home;	/* what the mock device was created on */
};

static int fail(const char *what, int r)
{
	fprintf(stderr, "vtd-nesting: %s: %s\n", what, strerror(-r));
	return r;
}

static int nesting_flow(struct nestio_ctx *ctx, struct backend *b)
{
	struct nestio_hwpt_paging_opts po = {
		.sz = sizeof(po),
		.flags = NESTIO_HWPT_NEST_PARENT,
	};
	struct nestio_invq_stats st = { .sz = sizeof(st) };
	struct nestio_invq_fail why = { .sz = sizeof(why) };
	struct nestio_pasid_table *table = NULL;
	struct nestio_hwpt *parent = NULL;
	struct nestio_ioas *ioas = NULL;
	struct nestio_invq *q = NULL;
	struct nestio_stage1 s1;
	uint64_t gpa = 0;
	void *ram;
	int r;

	/* 2. stage 2: guest RAM in an IOAS, under a nest-parent hwpt */
	ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return fail("mmap", -errno);
	if ((r = nestio_ioas_new(ctx, &ioas)) < 0 ||
	    (r = nestio_hwpt_new_paging(b->dev, ioas, &po, &parent)) < 0) {
		fail("nest parent", r);
		goto out;
	}
	r = nestio_ioas_map(ioas, ram, GUEST_RAM, &gpa,
			    NESTIO_MAP_READ | NESTIO_MAP_WRITE);
	if (r < 0) {
		fail("mapping guest RAM", r);
		goto out;
	}
	printf("stage 2: %u MiB of guest RAM at IOVA %#" PRIx64
	       " under nest parent hwpt %" PRIu32 "\n",
	       GUEST_RAM >> 20, gpa, nestio_hwpt_get_id(parent));

	/* 3. the guest's PASID entries point at stage-1 tables: bind them.
	 * The RID (PASID 0 in scalable mode) first, then PASID 1. */
	if ((r = nestio_pasid_table_new(parent, &table)) < 0) {
		fail("PASID table", r);
		goto out;
	}
	b->stage1(b, gpa + 0x1000, &s1);
	if ((r = nestio_pasid_bind(table, b->dev, NESTIO_NO_PASID, &s1, 0)) < 0 ||
	    (r = nestio_pasid_bind(table, b->dev, PASID, &s1, 0)) < 0) {
		fail("bind", r);
		goto out;
	}
	printf("bound: RID -> hwpt %" PRIu32 ", PASID %d -> hwpt %" PRIu32
	       " (identical tables share one hwpt)\n",
	       nestio_hwpt_get_id(nestio_pasid_lookup(table, b->dev, NESTIO_NO_PASID)),
	       PASID, nestio_hwpt_get_id(nestio_pasid_lookup(table, b->dev, PASID)));

	/* 4. the guest invalidates: queue it, send one batch */
	r = nestio_invq_new(nestio_pasid_lookup(table, b->dev, PASID), b->inv_type,
			    &b->inv_opts, &q);
	if (r < 0) {
		fail("invalidation queue", r);
		goto out;
	}
	for (uint64_t page = 0; page < 8 && r >= 0; page++)
		r = b->invalidate(q, page * 4096, 1);
	if (r >= 0)
		r = nestio_invq_flush(q, &why);
	if (r < 0) {
		fail("invalidate", r);
		goto out;
	}
	nestio_invq_get_stats(q, &st);
	printf("invalidated: %" PRIu64 " entries pushed, %" PRIu64
	       " sent in %" PRIu64 " ioctl(s)\n", st.pushed, st.sent, st.ioctls);
	q = nestio_invq_unref(q);

	/* 5. the guest points PASID 1 at another table: replace */
	b->stage1(b, gpa + 0x2000, &s1);
	if ((r = nestio_pasid_bind(table, b->dev, PASID, &s1, 0)) < 0) {
		fail("update", r);
		goto out;
	}
	printf("updated: PASID %d -> hwpt %" PRIu32 " (replaced, no abort window)\n",
	       PASID, nestio_hwpt_get_id(nestio_pasid_lookup(table, b->dev, PASID)));

	/* 6. the guest invalidated its context cache: replay every binding */
	r = nestio_pasid_replay(table, b->dev);
	if (r < 0) {
		fail("replay", r);
		goto out;
	}
	printf("replayed: %d binding(s)\n", r);

	/* 7. the guest cleared the PASID entry */
	if ((r = nestio_pasid_unbind(table, b->dev, PASID)) < 0) {
		fail("unbind", r);
		goto out;
	}
	printf("unbound: PASID %d\n", PASID);
	r = 0;
out:
	/* any order: every object pins what it needs */
	nestio_invq_unref(q);
	nestio_pasid_table_unref(table);
	nestio_hwpt_unref(parent);
	nestio_ioas_unref(ioas);
	munmap(ram, GUEST_RAM);
	return r;
}

/* ---- a real device behind a nest-capable VT-d ---- */

static void vtd_stage1(struct backend *b, uint64_t gpa, struct nestio_stage1 *s1)
{
	(void)b;
	memset(s1, 0, sizeof(*s1));
	s1->type = NESTIO_STAGE1_VTD;
	s1->u.vtd.pgtbl_addr = gpa;	/* the guest's first-stage root */
	s1->u.vtd.addr_width = 48;
}

static int vtd_invalidate(struct nestio_invq *q, uint64_t addr, uint64_t npages)
{
	return nestio_invq_push_vtd(q, addr, npages, NESTIO_INV_VTD_LEAF);
}

static int vtd_backend(struct nestio_ctx *ctx, const char *name,
		       struct backend *b)
{
	struct nestio_compat want = {
		.sz = sizeof(want),
		.stage1_format = NESTIO_STAGE1_VTD,
		.stage1_ia_bits = 48,
		.stage2_ia_bits = 39,
	};
	char reason[160];
	int r;

	r = nestio_device_open(ctx, name, &b->dev);
	if (r < 0)
		return fail(name, r);
	/* 1. can this host IOMMU back a VT-d vIOMMU with first-stage tables? */
	r = nestio_device_check_compat(b->dev, &want, reason, sizeof(reason));
	if (r <= 0) {
		printf("compat: %s\n", r < 0 ? strerror(-r) : reason);
		return r < 0 ? r : -EOPNOTSUPP;
	}
	printf("compat: the host IOMMU can back the vIOMMU\n");
	b->name = "intel-vtd";
	b->stage1 = vtd_stage1;
	b->invalidate = vtd_invalidate;
	b->inv_type = NESTIO_INV_VTD_S1;
	b->inv_opts = (struct nestio_invq_opts){ .sz = sizeof(b->inv_opts),
						 .flags = NESTIO_INVQ_COALESCE };
	return 0;
}

/* ---- the stand-in: the kernel's IOMMUFD_TEST mock (CONFIG_IOMMUFD_TEST) ----
 * Not uAPI: these few declarations mirror the kernel-internal
 * drivers/iommu/iommufd/iommufd_test.h of the kernel the tests run on. */

#define MOCK_CMD _IO(';', 0x80 + 32)
enum { MOCK_OP_MOCK_DOMAIN_FLAGS = 12, MOCK_OP_MOCK_DOMAIN_REPLACE = 10,
       MOCK_OP_PASID_ATTACH = 18, MOCK_OP_PASID_REPLACE = 19,
       MOCK_OP_PASID_DETACH = 20 };
#define MOCK_FLAGS_DEVICE_PASID (1u << 2)
#define MOCK_HWPT_DATA_SELFTEST 0xdeadu
#define MOCK_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeefu

struct mock_cmd {
	uint32_t size, op, id, reserved;
	union {
		struct { uint32_t out_stdev_id, out_hwpt_id, out_idev_id, dev_flags; } dom;
		struct { uint32_t pasid, pt_id; } pasid;
		uint8_t pad[48];
	};
	uint32_t last;
};

static int mock_ioctl(struct nestio_device *dev, uint32_t op, uint32_t pasid,
		      uint32_t pt_id)
{
	struct mock_cmd c = { .size = sizeof(c), .op = op };
	uint32_t *stdev = nestio_device_get_userdata(dev);

	c.id = stdev[0];
	if (op == MOCK_OP_MOCK_DOMAIN_REPLACE) {
		c.pasid.pasid = pt_id;	/* mock_domain_replace.pt_id */
	} else {
		c.pasid.pasid = pasid;
		c.pasid.pt_id = pt_id;
	}
	return ioctl(nestio_ctx_get_fd(nestio_device_get_ctx(dev)), MOCK_CMD,
		     &c) < 0 ? -errno : 0;
}

static int mock_attach(struct nestio_device *d, uint32_t pasid, uint32_t pt,
		       void *u)
{
	(void)u;
	return pasid == NESTIO_NO_PASID ?
		mock_ioctl(d, MOCK_OP_MOCK_DOMAIN_REPLACE, 0, pt) :
		mock_ioctl(d, MOCK_OP_PASID_ATTACH, pasid, pt);
}

static int mock_replace(struct nestio_device *d, uint32_t pasid, uint32_t pt,
			void *u)
{
	(void)u;
	return pasid == NESTIO_NO_PASID ?
		mock_ioctl(d, MOCK_OP_MOCK_DOMAIN_REPLACE, 0, pt) :
		mock_ioctl(d, MOCK_OP_PASID_REPLACE, pasid, pt);
}

static int mock_detach(struct nestio_device *d, uint32_t pasid, void *u)
{
	(void)u;
	return pasid == NESTIO_NO_PASID ? -EOPNOTSUPP :
		mock_ioctl(d, MOCK_OP_PASID_DETACH, pasid, 0);
}

static void mock_release(struct nestio_device *d, void *u)
{
	struct { uint32_t size, id; } destroy = { 8, ((uint32_t *)u)[0] };

	ioctl(nestio_ctx_get_fd(nestio_device_get_ctx(d)), _IO(';', 0x80),
	      &destroy);
}

static void mock_stage1(struct backend *b, uint64_t gpa, struct nestio_stage1 *s1)
{
	/* the mock's stage-1 "table" is a value it copies into its IOTLB */
	b->scratch[1] = (uint32_t)gpa;
	memset(s1, 0, sizeof(*s1));
	s1->type = NESTIO_STAGE1_RAW;
	s1->raw_type = MOCK_HWPT_DATA_SELFTEST;
	s1->u.raw.data = &b->scratch[1];
	s1->u.raw.len = sizeof(b->scratch[1]);
}

static int mock_invalidate(struct nestio_invq *q, uint64_t addr, uint64_t npages)
{
	/* the mock has four IOTLB entries; invalidate the one addr selects */
	uint32_t entry[2] = { 0, (uint32_t)((addr >> 12) % 4) };

	(void)npages;
	return nestio_invq_push(q, entry, sizeof(entry));
}

static int mock_backend(struct nestio_ctx *ctx, struct backend *b)
{
	static const struct nestio_device_ops ops = {
		.sz = sizeof(ops), .attach = mock_attach, .replace = mock_replace,
		.detach = mock_detach, .release = mock_release,
	};
	struct mock_cmd c = { .size = sizeof(c), .op = MOCK_OP_MOCK_DOMAIN_FLAGS };
	int r;

	/* a mock device is born attached to an IOAS: keep it until the end */
	r = nestio_ioas_new(ctx, &b->home);
	if (r < 0)
		return fail("ioas", r);
	c.id = nestio_ioas_get_id(b->home);
	c.dom.dev_flags = MOCK_FLAGS_DEVICE_PASID;
	r = ioctl(nestio_ctx_get_fd(ctx), MOCK_CMD, &c) < 0 ? -errno : 0;
	if (r == 0) {
		b->scratch[0] = c.dom.out_stdev_id;
		r = nestio_device_new_from_id(ctx, c.dom.out_idev_id, &ops,
					      b->scratch, &b->dev);
	}
	if (r < 0)
		return fail("mock device (CONFIG_IOMMUFD_TEST?)", r);
	printf("compat: the IOMMUFD_TEST mock stands in for a nest-capable VT-d\n");
	b->name = "iommufd-mock";
	b->stage1 = mock_stage1;
	b->invalidate = mock_invalidate;
	b->inv_type = NESTIO_INV_RAW;
	b->inv_opts = (struct nestio_invq_opts){
		.sz = sizeof(b->inv_opts),
		.raw_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
		.raw_entry_len = 8,
	};
	return 0;
}

int main(int argc, char **argv)
{
	struct backend b = { 0 };
	struct nestio_ctx *ctx;
	int r;

	r = nestio_ctx_new(&ctx);
	if (r < 0)
		return fail("/dev/iommu", r), 1;
	r = argc > 1 ? vtd_backend(ctx, argv[1], &b) : mock_backend(ctx, &b);
	if (r == 0) {
		printf("device: dev_id %" PRIu32 " (%s)\n",
		       nestio_device_get_id(b.dev), b.name);
		r = nesting_flow(ctx, &b);
	}
	nestio_device_unref(b.dev);
	nestio_ioas_unref(b.home);
	nestio_ctx_unref(ctx);
	return r < 0 ? 1 : 0;
}
