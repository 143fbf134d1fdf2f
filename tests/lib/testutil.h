/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the Check suites: skip rules, fd checks, the ioctl seam, mocks. */
#ifndef NESTIO_TESTUTIL_H
#define NESTIO_TESTUTIL_H

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libnestio.h"

#define TU_SKIP 77

/* -ENOTTY, -E2BIG, -EOPNOTSUPP: the kernel or IOMMU lacks the feature. */
bool tu_is_feature_missing(int r);

/*
 * Run the suite; exit status for automake: 0 pass, 1 fail. A binary whose
 * tier cannot run here (no /dev/iommu, no mock, no edu) calls tu_skip()
 * before, which exits 77 — unless NESTIO_REQUIRE_KERNEL=1 (set by the test
 * VM, whose kernel has everything), where a missing tier is a failure.
 */
int tu_run(Suite *s);
void tu_skip(const char *why) __attribute__((noreturn));

bool tu_fd_is_cloexec(int fd);

/* a ctx log function that counts what is logged at LOG_ERR or worse */
extern int tu_nlog_err;
void tu_log_count_errors(struct nestio_ctx *ctx, int priority, const char *file,
			 int line, const char *fn, const char *format,
			 va_list args);
int tu_count_open_fds(void);

/* ---- tier 1: the ioctl seam ----
 * tu_seam_install() routes every library ioctl to a recorder that keeps a
 * copy of each request's payload and answers with tu_seam_answer (a
 * callback, default: succeed and leave the payload alone).
 */
struct tu_call {
	int fd;
	unsigned long request;
	unsigned char arg[256];
	size_t len;		/* bytes captured (the struct's size field) */
};
extern struct tu_call tu_calls[64];
extern int tu_ncalls;
extern int (*tu_seam_answer)(int fd, unsigned long request, void *arg);
void tu_seam_install(void);
void tu_seam_remove(void);

/* ---- tier 2: the IOMMUFD_TEST mock ---- */
struct tu_mock_dev {
	int iommufd;
	uint32_t stdev_id;
	uint32_t hwpt_id;	/* the auto domain it was created on */
	uint32_t dev_id;
};
/* Creates a mock device attached to pt_id (an ioas or hwpt). */
int tu_mock_domain(int iommufd, uint32_t pt_id, uint32_t dev_flags,
		   struct tu_mock_dev *md);
/* Destroys a mock device made by tu_mock_domain(). */
void tu_mock_destroy(struct tu_mock_dev *md);
/* Adopts a mock device as a nestio_device (ops: replace, PASID, release). */
int tu_mock_device(struct nestio_ctx *ctx, uint32_t pt_id, uint32_t dev_flags,
		   struct nestio_device **out);
int tu_mock_check_map(int iommufd, uint32_t hwpt_id, uint64_t iova,
		      uint64_t length, const void *uptr);
int tu_mock_pasid_check(int iommufd, uint32_t stdev_id, uint32_t pasid,
			uint32_t hwpt_id);
/* The tier-2 base: a ctx, an IOAS, a mock device on it (dev_flags), and a
 * nest-parent paging hwpt on the IOAS. */
void tu_mock_nest_setup(uint32_t dev_flags, struct nestio_ctx **ctx,
			struct nestio_ioas **ioas, struct nestio_device **dev,
			struct nestio_hwpt **parent);
/* the stdev id of a device made by tu_mock_device() */
uint32_t tu_mock_stdev_id(struct nestio_device *dev);
/* true when this kernel has the mock (IOMMU_TEST_CMD) */
bool tu_have_mock(int iommufd);
/* skips the whole program unless /dev/iommu and the mock are there */
void tu_require_mock(void);
/*
 * Does the kernel still hold an object with this id? HWPT_INVALIDATE with
 * no entries looks the id up as any type before anything else, so it
 * answers ENOENT exactly when the object is gone, and changes nothing.
 */
bool tu_kernel_has(int iommufd, uint32_t id);
/* a stage-1 config the mock takes (IOMMU_HWPT_DATA_SELFTEST, its IOTLB
 * entries set to MOCK_IOTLB_DEFAULT) */
extern const struct nestio_stage1 tu_mock_s1;

#endif
