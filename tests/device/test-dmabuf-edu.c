// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 3: peer-to-peer DMA through a dma-buf, on QEMU's emulated VT-d with
 * an `edu` device bound to vfio-pci (x86_64 VM; its kernel has PCI P2PDMA,
 * so vfio-pci exports BARs as dma-bufs).
 *
 * edu's BAR0 is exported (nestio_device_export_dmabuf) and mapped into the
 * IOAS edu itself is attached to (nestio_ioas_map_file), at IOVA_BAR: edu's
 * DMA engine then reaches its own registers through the IOMMU, as a second
 * device would reach a peer's BAR. A 4-byte DMA from IOVA_BAR reads the
 * identification register (0x010000ed at BAR0 offset 0); a 4-byte DMA to
 * IOVA_BAR + 4 writes the liveness register, which then reads back
 * inverted. Then what the kernel does when vfio-pci revokes the dma-buf:
 * memory decode turned off, a device reset, the device closed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "edu.h"
#include "kabi.h"
#include "testutil.h"

/* below the edu's default 28-bit DMA mask */
#define IOVA_SRC 0x100000ull
#define IOVA_DST 0x200000ull
#define IOVA_BAR 0x400000ull
#define PAGE 4096u
#define EDU_ID 0x010000edu	/* BAR0 offset 0: the identification register */
#define EDU_LIVE 4u		/* BAR0 offset 4: reads back what was written, inverted */
#define SENTINEL 0x5a5aa5a5u
#define PCI_COMMAND 4u
#define PCI_COMMAND_MEMORY 0x2u

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

static void map_ram(uint64_t iova, void *va)
{
	uint64_t at = iova;

	ck_assert_int_eq(nestio_ioas_map(ioas, va, PAGE, &at,
					 NESTIO_MAP_READ | NESTIO_MAP_WRITE |
					 NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_uint_eq(at, iova);
}

static void setup(void)
{
	ck_assert_int_eq(nestio_ctx_new(&ctx), 0);
	ck_assert_int_eq(nestio_device_open(ctx, edu_bdf(), &dev), 0);
	ck_assert_int_eq(edu_init(&edu, nestio_device_get_fd(dev)), 0);
	ck_assert_int_eq(nestio_ioas_new(ctx, &ioas), 0);
	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	src = page_alloc();
	dst = page_alloc();
	map_ram(IOVA_SRC, src);
	map_ram(IOVA_DST, dst);
}

static void teardown(void)
{
	dev = nestio_device_unref(dev);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
	munmap(src, PAGE);
	munmap(dst, PAGE);
}

/* BAR0 [0, PAGE) as a dma-buf */
static int export_bar0(void)
{
	const struct nestio_dmabuf_range r = { .offset = 0, .length = PAGE };
	int fd = nestio_device_export_dmabuf(dev, KABI_VFIO_PCI_BAR0_REGION_INDEX,
					     &r, 1, 0);

	ck_assert_msg(fd >= 0, "export: %s", strerror(-fd));
	ck_assert(tu_fd_is_cloexec(fd));
	return fd;
}

static int map_bar(int fd)
{
	uint64_t iova = IOVA_BAR;
	int r = nestio_ioas_map_file(ioas, fd, 0, PAGE, &iova,
				     NESTIO_MAP_READ | NESTIO_MAP_WRITE |
				     NESTIO_MAP_FIXED_IOVA);

	if (r == 0)
		ck_assert_uint_eq(iova, IOVA_BAR);
	return r;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/*
 * A 4-byte DMA read of IOVA_BAR into edu's buffer, copied out to RAM. The
 * buffer holds SENTINEL first, so a blocked read cannot pass for an old
 * value. (4 bytes: edu answers 4-byte reads of its low registers only.)
 */
static uint32_t p2p_read(void)
{
	put32(src, SENTINEL);
	ck_assert_int_eq(edu_dma_to_device(&edu, IOVA_SRC, 4), 0);
	ck_assert_int_eq(edu_dma_to_device(&edu, IOVA_BAR, 4), 0);
	put32(dst, 0);
	ck_assert_int_eq(edu_dma_from_device(&edu, IOVA_DST, 4), 0);
	return get32(dst);
}

/* edu's liveness register, through the VFIO region (not by DMA) */
static uint32_t live_reg(void)
{
	uint32_t v = 0;

	ck_assert_int_eq(pread(edu.fd, &v, 4, (off_t)(edu.bar0 + EDU_LIVE)), 4);
	return v;
}

static void set_live_reg(uint32_t v)
{
	ck_assert_int_eq(pwrite(edu.fd, &v, 4, (off_t)(edu.bar0 + EDU_LIVE)), 4);
}

/* A 4-byte DMA write of v to IOVA_BAR + EDU_LIVE (from RAM through edu's buffer). */
static void p2p_write_live(uint32_t v)
{
	put32(src, v);
	ck_assert_int_eq(edu_dma_to_device(&edu, IOVA_SRC, 4), 0);
	ck_assert_int_eq(edu_dma_from_device(&edu, IOVA_BAR + EDU_LIVE, 4), 0);
}

/* both directions reach BAR0 through the IOAS */
static void expect_p2p_works(uint32_t v)
{
	ck_assert_uint_eq(p2p_read(), EDU_ID);
	p2p_write_live(v);
	ck_assert_uint_eq(live_reg(), ~v);
}

/* neither direction does */
static void expect_p2p_blocked(uint32_t v)
{
	uint32_t got = p2p_read();

	ck_assert_msg(got != EDU_ID, "a DMA read through the IOVA still reached BAR0");
	set_live_reg(0);		/* reads back as ~0 */
	p2p_write_live(v);
	ck_assert_uint_eq(live_reg(), ~0u);
}

static void set_memory_decode(bool on)
{
	uint16_t cmd;

	ck_assert_int_eq(pread(edu.fd, &cmd, 2, (off_t)(edu.config + PCI_COMMAND)), 2);
	cmd = on ? (uint16_t)(cmd | PCI_COMMAND_MEMORY) : (uint16_t)(cmd & ~PCI_COMMAND_MEMORY);
	ck_assert_int_eq(pwrite(edu.fd, &cmd, 2, (off_t)(edu.config + PCI_COMMAND)), 2);
}

static uint32_t device_flags(void)
{
	struct kabi_vfio_device_info info = { .argsz = sizeof(info) };

	ck_assert_int_eq(ioctl(edu.fd, KABI_VFIO_DEVICE_GET_INFO, &info), 0);
	return info.flags;
}

/* ================================================================ tests */

START_TEST(test_p2p_read_write)
{
	uint64_t unmapped = 0;
	int fd = export_bar0();

	ck_assert_int_eq(map_bar(fd), 0);
	/* the mapping holds the dma-buf: the caller's fd may go */
	close(fd);
	expect_p2p_works(0x12345678);
	expect_p2p_works(0x0badf00d);
	/* RAM-to-RAM still works alongside */
	for (unsigned int i = 0; i < PAGE; i++)
		src[i] = (unsigned char)(i * 13 + 1);
	memset(dst, 0, PAGE);
	ck_assert_int_eq(edu_dma_to_device(&edu, IOVA_SRC, PAGE), 0);
	ck_assert_int_eq(edu_dma_from_device(&edu, IOVA_DST, PAGE), 0);
	ck_assert_mem_eq(src, dst, PAGE);
	/* unmapped: both directions are blocked */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, IOVA_BAR, PAGE, &unmapped), 0);
	ck_assert_uint_eq(unmapped, PAGE);
	expect_p2p_blocked(0x600dcafe);
	ck_assert_int_eq(nestio_ioas_unmap(ioas, IOVA_BAR, PAGE, NULL), -ENOENT);
}
END_TEST

/* what the kernel refuses, with the library's input checks passed */
START_TEST(test_export_refusals)
{
	struct kabi_vfio_region_info ri = { .argsz = sizeof(ri), .index = 0 };
	struct nestio_dmabuf_range r = { .offset = 0, .length = PAGE };
	struct nestio_dmabuf_range two[2] = {
		{ .offset = 0, .length = PAGE }, { .offset = 2 * PAGE, .length = PAGE },
	};
	uint64_t iova = IOVA_BAR;
	int fd;

	ck_assert_int_eq(ioctl(edu.fd, KABI_VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
	ck_assert_uint_eq(ri.size, 1u << 20);	/* edu's BAR0: 1 MiB */
	/* BAR1 is not implemented, 6 is the ROM, 7 the config space */
	ck_assert_int_eq(nestio_device_export_dmabuf(dev, 1, &r, 1, 0), -ENODEV);
	ck_assert_int_eq(nestio_device_export_dmabuf(dev, 6, &r, 1, 0), -ENODEV);
	ck_assert_int_eq(nestio_device_export_dmabuf(dev, 7, &r, 1, 0), -ENODEV);
	/* past the end of the BAR */
	r.offset = ri.size;
	ck_assert_int_eq(nestio_device_export_dmabuf(dev, 0, &r, 1, 0), -EINVAL);
	r.offset = ri.size - PAGE;
	r.length = 2 * PAGE;
	ck_assert_int_eq(nestio_device_export_dmabuf(dev, 0, &r, 1, 0), -EINVAL);
	/* the whole BAR is fine, and maps */
	r.offset = 0;
	r.length = ri.size;
	fd = nestio_device_export_dmabuf(dev, 0, &r, 1, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(nestio_ioas_map_file(ioas, fd, 0, ri.size, &iova,
					      NESTIO_MAP_READ | NESTIO_MAP_WRITE |
					      NESTIO_MAP_FIXED_IOVA), 0);
	/* a mapping must lie inside the dma-buf */
	iova = IOVA_BAR + 2 * ri.size;
	ck_assert_int_eq(nestio_ioas_map_file(ioas, fd, PAGE, ri.size, &iova,
					      NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA),
			 -EINVAL);
	ck_assert_uint_eq(p2p_read(), EDU_ID);
	/* a dma-buf area is not split: unmapping part of it fails */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, IOVA_BAR, PAGE, NULL), -ENOENT);
	ck_assert_int_eq(nestio_ioas_unmap(ioas, IOVA_BAR, ri.size, NULL), 0);
	close(fd);
	/* two ranges export, but an IOAS maps only a one-range dma-buf */
	fd = nestio_device_export_dmabuf(dev, 0, two, 2, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert(tu_fd_is_cloexec(fd));
	iova = IOVA_BAR;
	ck_assert_int_eq(nestio_ioas_map_file(ioas, fd, 0, PAGE, &iova,
					      NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA),
			 -EOPNOTSUPP);
	close(fd);
	/* no ioctl reached the kernel for bad input */
	ck_assert_int_eq(nestio_device_export_dmabuf(dev, 0, &r, 1, 1), -EINVAL);
}
END_TEST

/*
 * Memory decode off (PCI_COMMAND through the VFIO config region): vfio-pci
 * revokes the dma-buf, iommufd unmaps the area from every domain. Decode
 * on again: vfio-pci un-revokes the dma-buf, but the IOAS area stays
 * revoked (it still holds its IOVA range, DMA through it is blocked) until
 * it is unmapped; the same dma-buf then maps again.
 */
START_TEST(test_revoke_memory_decode)
{
	uint64_t unmapped = 0, iova;
	int fd = export_bar0(), late;

	ck_assert_int_eq(map_bar(fd), 0);
	expect_p2p_works(0x11111111);

	set_memory_decode(false);
	/* revoked: mapping it (again, elsewhere) is refused */
	iova = IOVA_BAR + 0x100000;
	ck_assert_int_eq(nestio_ioas_map_file(ioas, fd, 0, PAGE, &iova,
					      NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA),
			 -ENODEV);
	/* a dma-buf exported while decode is off is born revoked */
	late = export_bar0();
	ck_assert_int_eq(nestio_ioas_map_file(ioas, late, 0, PAGE, &iova,
					      NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA),
			 -ENODEV);
	set_memory_decode(true);

	/* the old area is not restored */
	expect_p2p_blocked(0x22222222);
	/* its IOVA range is still taken */
	iova = IOVA_BAR;
	ck_assert_int_eq(nestio_ioas_map(ioas, src, PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA),
			 -EEXIST);
	/* unmap removes it like any mapping and counts its length */
	ck_assert_int_eq(nestio_ioas_unmap(ioas, IOVA_BAR, PAGE, &unmapped), 0);
	ck_assert_uint_eq(unmapped, PAGE);
	/* both dma-bufs are live again: map them */
	ck_assert_int_eq(map_bar(fd), 0);
	expect_p2p_works(0x33333333);
	iova = IOVA_BAR + 0x100000;
	ck_assert_int_eq(nestio_ioas_map_file(ioas, late, 0, PAGE, &iova,
					      NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	close(late);
	close(fd);
}
END_TEST

/*
 * VFIO_DEVICE_RESET revokes around the reset, like decode off + on. A
 * device vfio-pci cannot reset (edu on QEMU's root bus has no reset
 * method: no FLR, no PM reset, no bus to reset) gets EINVAL before any
 * revoke, and the mapping keeps working.
 */
START_TEST(test_revoke_reset)
{
	uint64_t unmapped = 0;
	int fd = export_bar0(), r;

	ck_assert_int_eq(map_bar(fd), 0);
	expect_p2p_works(0x44444444);
	r = ioctl(edu.fd, KABI_VFIO_DEVICE_RESET) < 0 ? -errno : 0;
	printf("NESTIO-REL dmabuf.edu.reset %s errno %d (VFIO_DEVICE_FLAGS_RESET %s)\n",
	       r ? "refused" : "done", -r,
	       device_flags() & KABI_VFIO_DEVICE_FLAGS_RESET ? "set" : "clear");
	if (!(device_flags() & KABI_VFIO_DEVICE_FLAGS_RESET)) {
		ck_assert_int_eq(r, -EINVAL);
		expect_p2p_works(0x55555555);
	} else {
		ck_assert_int_eq(r, 0);
		ck_assert_int_eq(edu_init(&edu, edu.fd), 0);	/* bus master again */
		expect_p2p_blocked(0x55555555);
		ck_assert_int_eq(nestio_ioas_unmap(ioas, IOVA_BAR, PAGE, &unmapped), 0);
		ck_assert_uint_eq(unmapped, PAGE);
		ck_assert_int_eq(map_bar(fd), 0);
		expect_p2p_works(0x66666666);
	}
	close(fd);
}
END_TEST

/*
 * Closing the exporting device revokes its dma-bufs for good: the area in
 * the IOAS is unmapped from the domains (and still unmaps), and the
 * dma-buf never maps again, even once the device is open again.
 */
START_TEST(test_revoke_device_close)
{
	uint64_t unmapped = 0;
	int fd = export_bar0(), fresh;

	ck_assert_int_eq(map_bar(fd), 0);
	expect_p2p_works(0x77777777);
	dev = nestio_device_unref(dev);
	ck_assert_int_eq(nestio_ioas_unmap(ioas, IOVA_BAR, PAGE, &unmapped), 0);
	ck_assert_uint_eq(unmapped, PAGE);
	ck_assert_int_eq(map_bar(fd), -ENODEV);

	ck_assert_int_eq(nestio_device_open(ctx, edu_bdf(), &dev), 0);
	ck_assert_int_eq(edu_init(&edu, nestio_device_get_fd(dev)), 0);
	ck_assert_int_eq(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), 0);
	ck_assert_int_eq(map_bar(fd), -ENODEV);
	fresh = export_bar0();
	ck_assert_int_eq(map_bar(fresh), 0);
	expect_p2p_works(0x88888888);
	close(fresh);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dmabuf-edu");
	TCase *tc = tcase_create("edu");
	const struct nestio_dmabuf_range r = { .offset = 0, .length = PAGE };
	struct nestio_ctx *c = NULL;
	struct nestio_device *d = NULL;
	int fd;

	if (!edu_bdf())
		tu_skip("no edu device bound to vfio-pci (NESTIO_EDU_BDF unset)");
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		tu_skip("no /dev/iommu");
	close(fd);
	/* does this kernel export BARs as dma-bufs at all? */
	if (nestio_ctx_new(&c) || nestio_device_open(c, edu_bdf(), &d)) {
		fprintf(stderr, "FAIL: cannot open edu\n");
		return 1;
	}
	fd = nestio_device_export_dmabuf(d, 0, &r, 1, 0);
	nestio_device_unref(d);
	nestio_ctx_unref(c);
	if (tu_is_feature_missing(fd))
		tu_skip("vfio-pci cannot export dma-bufs (no CONFIG_PCI_P2PDMA?)");
	if (fd >= 0)
		close(fd);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_p2p_read_write);
	tcase_add_test(tc, test_export_refusals);
	tcase_add_test(tc, test_revoke_memory_decode);
	tcase_add_test(tc, test_revoke_reset);
	tcase_add_test(tc, test_revoke_device_close);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
