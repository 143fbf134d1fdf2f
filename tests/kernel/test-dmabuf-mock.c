// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: dma-buf mappings against the kernel's IOMMUFD_TEST mock. The mock
 * does not export a device's BAR (nestio_device_export_dmabuf needs a VFIO
 * device: tests/device/test-dmabuf-edu.c), but it makes dma-bufs of its own
 * (IOMMU_TEST_OP_DMABUF_GET) that iommufd maps exactly as it maps a
 * vfio-pci one, and revokes them on request (IOMMU_TEST_OP_DMABUF_REVOKE),
 * so nestio_ioas_map_file() and the revocation rules of
 * nestio_device_export_dmabuf(3) run in both VMs. Fixture:
 * tu_mock_mapped_setup (mockdev.h): an IOAS with a mock device on it.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

#define BUF_PAGES 4u
/* well past the fixture's own mappings at tu_iova0 */
#define IOVA_A (MOCK_APERTURE_START + 0x1000000ull)
#define IOVA_B (MOCK_APERTURE_START + 0x2000000ull)

static const unsigned int rw = NESTIO_MAP_READ | NESTIO_MAP_WRITE | NESTIO_MAP_FIXED_IOVA;

/* a mock dma-buf of BUF_PAGES pages (close-on-exec), or -errno */
static int mock_dmabuf(void)
{
	struct mock_cmd cmd = { .size = sizeof(cmd), .op = MOCK_OP_DMABUF_GET };
	int fd;

	cmd.dmabuf_get.length = BUF_PAGES * (uint32_t)tu_page;
	cmd.dmabuf_get.open_flags = O_RDWR | O_CLOEXEC;
	fd = ioctl(tu_ifd, MOCK_IOMMU_TEST_CMD, &cmd);
	return fd < 0 ? -errno : fd;
}

static void mock_revoke(int fd, bool revoked)
{
	struct mock_cmd cmd = { .size = sizeof(cmd), .op = MOCK_OP_DMABUF_REVOKE };

	cmd.dmabuf_revoke.dmabuf_fd = fd;
	cmd.dmabuf_revoke.revoked = revoked;
	ck_assert_int_eq(ioctl(tu_ifd, MOCK_IOMMU_TEST_CMD, &cmd), 0);
}

static int map_at(int fd, uint64_t offset, uint64_t length, uint64_t at)
{
	uint64_t iova = at;
	int r = nestio_ioas_map_file(tu_ioas, fd, offset, length, &iova, rw);

	if (r == 0)
		ck_assert_uint_eq(iova, at);
	return r;
}

static int new_dmabuf(void)
{
	int fd = mock_dmabuf();

	ck_assert_int_ge(fd, 0);
	ck_assert(tu_fd_is_cloexec(fd));
	return fd;
}

START_TEST(test_map_dmabuf)
{
	uint64_t iova = 0, unmapped = 0;
	int fd = new_dmabuf();

	/* the kernel picks the IOVA, or takes ours; a slice of it too */
	ck_assert_int_eq(nestio_ioas_map_file(tu_ioas, fd, 0, BUF_PAGES * tu_page,
					      &iova, NESTIO_MAP_READ), 0);
	ck_assert_uint_ne(iova, 0);
	ck_assert_int_eq(map_at(fd, tu_page, 2 * tu_page, IOVA_A), 0);
	/* the mappings hold the dma-buf, not the caller's fd */
	close(fd);
	/* a mapping must lie inside the dma-buf */
	fd = new_dmabuf();
	ck_assert_int_eq(map_at(fd, tu_page, BUF_PAGES * tu_page, IOVA_B), -EINVAL);
	ck_assert_int_eq(map_at(fd, BUF_PAGES * tu_page, tu_page, IOVA_B), -EINVAL);
	/* a dma-buf area is never split */
	ck_assert_int_eq(nestio_ioas_unmap(tu_ioas, IOVA_A, tu_page, NULL), -ENOENT);
	ck_assert_int_eq(nestio_ioas_unmap(tu_ioas, IOVA_A, 2 * tu_page, &unmapped), 0);
	ck_assert_uint_eq(unmapped, 2 * tu_page);
	ck_assert_int_eq(nestio_ioas_unmap(tu_ioas, iova, BUF_PAGES * tu_page, &unmapped), 0);
	ck_assert_uint_eq(unmapped, BUF_PAGES * tu_page);
	close(fd);
}
END_TEST

/*
 * Revoked: a new mapping gives ENODEV; existing areas stay in the IOAS
 * (their IOVA stays taken) and unmap normally; un-revoking does not bring
 * them back, but the dma-buf maps again once they are gone.
 */
START_TEST(test_revoke)
{
	uint64_t unmapped = 0, iova;
	int fd = new_dmabuf();

	ck_assert_int_eq(map_at(fd, 0, BUF_PAGES * tu_page, IOVA_A), 0);
	mock_revoke(fd, true);
	ck_assert_int_eq(map_at(fd, 0, tu_page, IOVA_B), -ENODEV);
	mock_revoke(fd, false);
	/* the revoked area still holds its range */
	iova = IOVA_A;
	ck_assert_int_eq(nestio_ioas_map(tu_ioas, tu_buf, tu_page, &iova, rw), -EEXIST);
	ck_assert_int_eq(map_at(fd, 0, tu_page, IOVA_A + tu_page), -EEXIST);
	/* live again elsewhere */
	ck_assert_int_eq(map_at(fd, 0, tu_page, IOVA_B), 0);
	ck_assert_int_eq(nestio_ioas_unmap(tu_ioas, IOVA_A, BUF_PAGES * tu_page,
					   &unmapped), 0);
	ck_assert_uint_eq(unmapped, BUF_PAGES * tu_page);
	ck_assert_int_eq(map_at(fd, 0, BUF_PAGES * tu_page, IOVA_A), 0);
	/* revoked again: both areas still unmap, with their lengths */
	mock_revoke(fd, true);
	ck_assert_int_eq(nestio_ioas_unmap(tu_ioas, IOVA_B, tu_page, &unmapped), 0);
	ck_assert_uint_eq(unmapped, tu_page);
	ck_assert_int_eq(nestio_ioas_unmap(tu_ioas, IOVA_A, BUF_PAGES * tu_page,
					   &unmapped), 0);
	ck_assert_uint_eq(unmapped, BUF_PAGES * tu_page);
	close(fd);
}
END_TEST

/* A revoked area does not block a new domain: attaching a second device
 * to the IOAS skips it, and unmapping it afterwards still works. */
START_TEST(test_revoked_then_attach)
{
	struct nestio_device *d2 = NULL;
	uint64_t unmapped = 0;
	int fd = new_dmabuf();

	ck_assert_int_eq(map_at(fd, 0, BUF_PAGES * tu_page, IOVA_A), 0);
	mock_revoke(fd, true);
	ck_assert_int_eq(tu_mock_device(tu_ctx, nestio_ioas_get_id(tu_ioas),
					0, &d2), 0);
	ck_assert_int_eq(nestio_ioas_unmap(tu_ioas, IOVA_A, BUF_PAGES * tu_page,
					   &unmapped), 0);
	ck_assert_uint_eq(unmapped, BUF_PAGES * tu_page);
	nestio_device_unref(d2);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dmabuf-mock");
	TCase *tc = tcase_create("mock");
	struct nestio_ctx *c = NULL;
	struct mock_cmd cmd = { .size = sizeof(cmd), .op = MOCK_OP_DMABUF_GET };
	int fd;

	tu_require_mock();
	/* a mock from before dma-buf support answers EOPNOTSUPP */
	if (nestio_ctx_new(&c) == 0) {
		cmd.dmabuf_get.length = 4096;
		cmd.dmabuf_get.open_flags = O_RDWR | O_CLOEXEC;
		fd = ioctl(nestio_ctx_get_fd(c), MOCK_IOMMU_TEST_CMD, &cmd);
		if (fd < 0 && tu_is_feature_missing(-errno))
			tu_skip("the mock makes no dma-bufs");
		if (fd >= 0)
			close(fd);
		nestio_ctx_unref(c);
	}
	tcase_add_checked_fixture(tc, tu_mock_mapped_setup, tu_mock_mapped_teardown);
	tcase_add_test(tc, test_map_dmabuf);
	tcase_add_test(tc, test_revoke);
	tcase_add_test(tc, test_revoked_then_attach);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
