// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 3 under kernel fault injection (fail-nth, tests/lib/failnth.h): a
 * VMM's flow on QEMU's emulated VT-d with the `edu` DMA engine bound to
 * vfio-pci, swept over each fault injection point: from a ctx and the
 * device bound to it (see setup_vtd), capabilities, IOAS, maps, attach, a DMA round trip, a paging hwpt and a
 * replace to it, another round trip, back to the IOAS, detach. The bytes
 * the edu moves are checked in every run that gets that far.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "edu.h"
#include "failnth.h"
#include "kabi.h"

#define IOVA_SRC 0x100000ull
#define IOVA_DST 0x200000ull
#define PAGE 4096u

static unsigned char *src, *dst;
static struct edu edu;

/* RAM(src) -> edu -> RAM(dst) through the IOMMU */
static int round_trip(struct fn_run *run, unsigned char seed)
{
	for (unsigned int i = 0; i < PAGE; i++)
		src[i] = (unsigned char)(i * 7 + seed);
	memset(dst, 0, PAGE);
	FN_STEP(run, edu_dma_to_device(&edu, IOVA_SRC, PAGE));
	FN_STEP(run, edu_dma_from_device(&edu, IOVA_DST, PAGE));
	FN_CHECK(run, memcmp(src, dst, PAGE) == 0);
	return 0;
}

/*
 * The device is opened (bound to the iommufd) with injection off: its bind
 * enables the PCI device, which evaluates the ACPI _PRT method, and Linux
 * 7.2's ACPICA does not survive an allocation failing there: after
 * "ACPI Error: AE_NO_MEMORY, Could not update object reference count
 * (utdelete-651)" the next _PRT evaluation (the device's close) oopses in
 * acpi_ut_update_object_reference. That is no iommufd path; sweeping it
 * would only crash the VM.
 */
static int setup_vtd(struct fn_run *run)
{
	struct nestio_ctx *c;
	struct nestio_device *d;

	FN_NEW(run, FN_CTX, c, nestio_ctx_new(&c));
	FN_NEW(run, FN_DEV, d, nestio_device_open(c, edu_bdf(), &d));
	FN_STEP(run, edu_init(&edu, nestio_device_get_fd(d)));
	return 0;
}

static int flow_vtd(struct fn_run *run)
{
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o) };
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_iova_range *r;
	struct nestio_ctx *c;
	struct nestio_device *d;
	struct nestio_ioas *a;
	struct nestio_hwpt *h;
	uint64_t iova, align, unmapped;
	size_t nr;
	int rc;

	c = run->ctx;
	d = run->objs[0].p;
	FN_STEP(run, nestio_device_get_hw_caps(d, &caps));
	FN_CHECK(run, caps.type == NESTIO_IOMMU_INTEL_VTD);
	FN_NEW(run, FN_IOAS, a, nestio_ioas_new(c, &a));
	iova = IOVA_SRC;
	FN_STEP(run, nestio_ioas_map(a, src, PAGE, &iova,
				     NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA));
	iova = IOVA_DST;
	FN_STEP(run, nestio_ioas_map(a, dst, PAGE, &iova, NESTIO_MAP_READ |
				     NESTIO_MAP_WRITE | NESTIO_MAP_FIXED_IOVA));
	FN_STEP(run, nestio_device_attach_ioas(d, NESTIO_NO_PASID, a));
	nr = 0;
	FN_NEW(run, FN_NONE, r, nestio_ioas_get_iova_ranges(a, &r, &nr, &align));
	FN_CHECK(run, nr >= 1 && align >= PAGE);
	nestio_iova_ranges_free(r);
	rc = round_trip(run, 1);
	if (rc)
		return rc;
	/* a paging hwpt of our own, replacing the automatic domain */
	FN_NEW(run, FN_HWPT, h, nestio_hwpt_new_paging(d, a, &o, &h));
	FN_STEP(run, nestio_device_replace_hwpt(d, NESTIO_NO_PASID, h));
	rc = round_trip(run, 2);
	if (rc)
		return rc;
	/* back to the IOAS; unmap and map the destination again */
	FN_STEP(run, nestio_device_replace_ioas(d, NESTIO_NO_PASID, a));
	unmapped = 0;
	FN_STEP(run, nestio_ioas_unmap(a, IOVA_DST, PAGE, &unmapped));
	FN_CHECK(run, unmapped == PAGE);
	iova = IOVA_DST;
	FN_STEP(run, nestio_ioas_map(a, dst, PAGE, &iova, NESTIO_MAP_READ |
				     NESTIO_MAP_WRITE | NESTIO_MAP_FIXED_IOVA));
	rc = round_trip(run, 3);
	if (rc)
		return rc;
	FN_STEP(run, nestio_device_detach(d, NESTIO_NO_PASID));
	return 0;
}

/* the device still moves bytes after whatever the fault did: attached to
 * a fresh IOAS with the two pages, one round trip (injection off) */
static void probe_vtd(struct fn_run *run)
{
	struct nestio_device *d = NULL;
	struct nestio_ioas *a = NULL;
	uint64_t iova;

	for (unsigned int i = 0; i < run->nobj; i++)
		if (run->objs[i].kind == FN_DEV)
			d = run->objs[i].p;
	if (!d)
		return;
	FN_CHECK(run, nestio_ioas_new(run->ctx, &a) == 0);
	iova = IOVA_SRC;
	FN_CHECK(run, nestio_ioas_map(a, src, PAGE, &iova, NESTIO_MAP_READ |
				      NESTIO_MAP_FIXED_IOVA) == 0);
	iova = IOVA_DST;
	FN_CHECK(run, nestio_ioas_map(a, dst, PAGE, &iova, NESTIO_MAP_READ |
				      NESTIO_MAP_WRITE | NESTIO_MAP_FIXED_IOVA) == 0);
	/* attached or not, after the fault: a replace or an attach moves it */
	if (nestio_device_replace_ioas(d, NESTIO_NO_PASID, a) < 0)
		FN_CHECK(run, nestio_device_attach_ioas(d, NESTIO_NO_PASID, a) == 0);
	FN_CHECK(run, edu_init(&edu, nestio_device_get_fd(d)) == 0);
	FN_CHECK(run, round_trip(run, 9) == 0);
	FN_CHECK(run, nestio_device_detach(d, NESTIO_NO_PASID) == 0);
	nestio_ioas_unref(a);
}

static const struct fn_flow flow = {
	.name = "vtd-edu", .setup = setup_vtd, .run = flow_vtd, .probe = probe_vtd,
};

START_TEST(test_vtd)
{
	src = fn_page();
	dst = fn_page();
	fn_sweep(&flow);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("failnth-vtd");
	TCase *tc = tcase_create("vtd-edu");
	int r;

	if (!edu_bdf())
		tu_skip("no edu device bound to vfio-pci (NESTIO_EDU_BDF unset)");
	fn_require();
	fn_totals_begin();
	tcase_set_timeout(tc, 1200);
	tcase_add_test(tc, test_vtd);
	suite_add_tcase(s, tc);
	r = tu_run(s);
	fn_totals_end("vtd");
	return r;
}
