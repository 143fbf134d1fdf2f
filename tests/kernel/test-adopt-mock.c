// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: live update against the kernel's IOMMUFD_TEST mock. A builder
 * process makes a nested chain with the library (IOAS with file-backed
 * mappings, mock device, nest parent, plain paging hwpt, vIOMMU, vDEVICE,
 * a nested hwpt on the parent and one on the vIOMMU), then re-executes
 * this binary with the iommufd (a dup with close-on-exec cleared) and the
 * memfd, as a VMM does for a live update: its library objects vanish with
 * the exec, the kernel objects stay. The new image wraps the iommufd
 * (nestio_ctx_new_from_fd), moves the accounting
 * (nestio_ctx_change_process), adopts every object by id, checks that ids of
 * the wrong kind are refused, keeps invalidating and unmapping (checked with
 * the mock's own view), and releases. The test process, which holds the
 * same iommufd, then checks that the kernel holds no object: no id answers
 * and a new IOAS gets id 1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

enum { ID_IOAS, ID_STDEV, ID_DEV, ID_PARENT, ID_PLAIN, ID_VIOMMU, ID_VDEV,
       ID_N1, ID_N2, ID_NUM };
#define NPAGES 4
#define VIRT_ID 0x42u
#define CHILD_ARG "--adopt-child"

/* outside Check (the builder and the re-executed image): say what failed
 * and exit with a status the test process reports */
#define CK(cond)                                                               \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "adopt: line %d: %s\n", __LINE__,      \
				#cond);                                        \
			_exit(1);                                              \
		}                                                              \
	} while (0)
#define CK_EQ(expr, want)                                                      \
	do {                                                                   \
		long long v_ = (long long)(expr), w_ = (long long)(want);      \
		if (v_ != w_) {                                                \
			fprintf(stderr, "adopt: line %d: %s = %lld, want %lld\n", \
				__LINE__, #expr, v_, w_);                      \
			_exit(1);                                              \
		}                                                              \
	} while (0)

static int mock_check(int fd, uint32_t op, uint32_t id, uint32_t i,
		      uint32_t value)
{
	struct mock_cmd cmd = { .size = sizeof(cmd), .op = op, .id = id };

	cmd.check_cache.id = i;
	cmd.check_cache.value = value;
	return ioctl(fd, MOCK_IOMMU_TEST_CMD, &cmd) < 0 ? -errno : 0;
}

static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* ------------------------------------------------------------ the builder */

/* Runs in a child of the test: builds the chain on ifd, writes the ids to
 * idpipe, re-executes this binary with the iommufd and the memfd. */
static void builder(int ifd, int idpipe, bool keep)
{
	struct nestio_hwpt_paging_opts np = { .sz = sizeof(np),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_ctx *ctx = NULL;
	struct nestio_ioas *ioas = NULL;
	struct nestio_device *dev = NULL;
	struct nestio_hwpt *parent = NULL, *plain = NULL, *n1 = NULL, *n2 = NULL;
	struct nestio_viommu *v = NULL;
	struct nestio_vdevice *vd = NULL;
	uint32_t id[ID_NUM];
	char args[ID_NUM + 5][24];
	char *argv[ID_NUM + 6];
	int memfd, hfd, hmem, k = 0;
	unsigned char *buf;

	CK_EQ(nestio_ctx_new_from_fd(ifd, &ctx), 0);
	memfd = memfd_create("nestio-adopt", MFD_CLOEXEC);
	CK(memfd >= 0);
	CK_EQ(ftruncate(memfd, NPAGES * page()), 0);
	buf = mmap(NULL, NPAGES * page(), PROT_READ | PROT_WRITE, MAP_SHARED,
		   memfd, 0);
	CK(buf != MAP_FAILED);
	for (unsigned int i = 0; i < NPAGES * page(); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	CK_EQ(nestio_ioas_new(ctx, &ioas), 0);
	/* file-backed, one page per area (an unmap takes whole areas), so
	 * the accounting can move to the next process */
	for (unsigned int i = 0; i < NPAGES; i++) {
		uint64_t iova = MOCK_APERTURE_START + i * page();

		CK_EQ(nestio_ioas_map_file(ioas, memfd, i * page(), page(), &iova,
					   NESTIO_MAP_READ | NESTIO_MAP_WRITE |
					   NESTIO_MAP_FIXED_IOVA), 0);
	}
	CK_EQ(tu_mock_device(ctx, nestio_ioas_get_id(ioas), 0, &dev), 0);
	CK_EQ(nestio_hwpt_new_paging(dev, ioas, &np, &parent), 0);
	CK_EQ(nestio_hwpt_new_paging(dev, ioas, NULL, &plain), 0);
	CK_EQ(nestio_viommu_new(dev, parent, MOCK_VIOMMU_TYPE_SELFTEST, NULL, &v), 0);
	CK_EQ(nestio_vdevice_new(v, dev, VIRT_ID, &vd), 0);
	CK_EQ(nestio_hwpt_new_nested(dev, parent, &tu_mock_s1, NULL, &n1), 0);
	CK_EQ(nestio_hwpt_new_nested_viommu(dev, v, &tu_mock_s1, NULL, &n2), 0);
	CK_EQ(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, n2), 0);
	id[ID_IOAS] = nestio_ioas_get_id(ioas);
	id[ID_STDEV] = tu_mock_stdev_id(dev);
	id[ID_DEV] = nestio_device_get_id(dev);
	id[ID_PARENT] = nestio_hwpt_get_id(parent);
	id[ID_PLAIN] = nestio_hwpt_get_id(plain);
	id[ID_VIOMMU] = nestio_viommu_get_id(v);
	id[ID_VDEV] = nestio_vdevice_get_id(vd);
	id[ID_N1] = nestio_hwpt_get_id(n1);
	id[ID_N2] = nestio_hwpt_get_id(n2);
	CK_EQ(write(idpipe, id, sizeof(id)), (long long)sizeof(id));

	/* the hand-over: dups that survive the exec, on purpose */
	hfd = fcntl(nestio_ctx_get_fd(ctx), F_DUPFD, 3);
	hmem = fcntl(memfd, F_DUPFD, 3);
	CK(hfd >= 0 && hmem >= 0);
	CK(!(fcntl(hfd, F_GETFD) & FD_CLOEXEC));
	CK(fcntl(nestio_ctx_get_fd(ctx), F_GETFD) & FD_CLOEXEC);
	snprintf(args[0], sizeof(args[0]), "test-adopt-mock");
	snprintf(args[1], sizeof(args[1]), CHILD_ARG);
	snprintf(args[2], sizeof(args[2]), "%d", hfd);
	snprintf(args[3], sizeof(args[3]), "%d", hmem);
	snprintf(args[4], sizeof(args[4]), "%d", keep);
	for (int i = 0; i < ID_NUM; i++)
		snprintf(args[i + 5], sizeof(args[i + 5]), "%u", id[i]);
	for (int i = 0; i < ID_NUM + 5; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	/* the library's objects end here, as a re-executing VMM's do */
	execv("/proc/self/exe", argv);
	fprintf(stderr, "adopt: exec: %s\n", strerror(errno));
	_exit(3);
}

/* ------------------------------------------- the re-executed new process */

struct adopted {
	struct nestio_ctx *ctx;
	struct nestio_ioas *ioas;
	struct nestio_device *dev;
	struct nestio_hwpt *parent, *plain, *n1, *n2;
	struct nestio_viommu *v;
};

/* a second ctx on the same iommufd (empty registry): every id of the
 * wrong kind is refused with -ENOENT, nothing is made or destroyed;
 * returns the number of refusals checked */
static int wrong_kinds(int fd, const uint32_t *id)
{
	struct nestio_ctx *c2 = NULL;
	struct nestio_ioas *i2 = NULL, *ix = NULL;
	struct nestio_hwpt *p2 = NULL, *hx = NULL;
	struct nestio_viommu *vx = NULL;
	struct nestio_hwpt_adopt_opts o = { .sz = sizeof(o),
					    .adopt_flags = NESTIO_ADOPT_KEEP };
	const uint32_t not_ioas[] = { id[ID_PARENT], id[ID_PLAIN], id[ID_VIOMMU],
				      id[ID_VDEV], id[ID_N1], id[ID_DEV], 999 };
	const uint32_t not_paging[] = { id[ID_IOAS], id[ID_VIOMMU], id[ID_VDEV],
					id[ID_N1], id[ID_N2], id[ID_DEV], 999 };
	const uint32_t not_nested[] = { id[ID_IOAS], id[ID_PLAIN], id[ID_VIOMMU],
					id[ID_VDEV], id[ID_DEV], 999 };
	const uint32_t not_viommu[] = { id[ID_IOAS], id[ID_PARENT], id[ID_PLAIN],
					id[ID_VDEV], id[ID_N1], id[ID_N2], 999 };
	int n = 0;

	CK_EQ(nestio_ctx_new_from_fd(fd, &c2), 0);
	CK_EQ(nestio_ioas_new_from_id(c2, id[ID_IOAS], NESTIO_ADOPT_KEEP, &i2), 0);
	CK_EQ(nestio_ioas_new_from_id(c2, id[ID_IOAS], 0, &ix), -EEXIST);
	for (size_t k = 0; k < sizeof(not_ioas) / sizeof(*not_ioas); k++, n++)
		CK_EQ(nestio_ioas_new_from_id(c2, not_ioas[k], 0, &ix), -ENOENT);
	o.ioas = i2;
	o.flags = NESTIO_HWPT_NEST_PARENT;
	for (size_t k = 0; k < sizeof(not_paging) / sizeof(*not_paging); k++, n++)
		CK_EQ(nestio_hwpt_new_from_id(c2, not_paging[k], &o, &hx), -ENOENT);
	CK_EQ(nestio_hwpt_new_from_id(c2, id[ID_PARENT], &o, &p2), 0);
	CK_EQ(nestio_hwpt_new_from_id(c2, id[ID_PARENT], &o, &hx), -EEXIST);
	o.ioas = NULL;
	o.flags = 0;
	o.parent = p2;
	o.inv_data_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST;
	for (size_t k = 0; k < sizeof(not_nested) / sizeof(*not_nested); k++, n++)
		CK_EQ(nestio_hwpt_new_from_id(c2, not_nested[k], &o, &hx), -ENOENT);
	/* a nested hwpt whose driver refuses the data type is not adopted */
	o.inv_data_type = KABI_HWPT_INVALIDATE_DATA_VTD_S1;
	CK_EQ(nestio_hwpt_new_from_id(c2, id[ID_N1], &o, &hx), -ENOENT);
	n++;
	for (size_t k = 0; k < sizeof(not_viommu) / sizeof(*not_viommu); k++, n++)
		CK_EQ(nestio_viommu_new_from_id(p2, not_viommu[k], 0, 0, &vx), -ENOENT);
	CK(ix == NULL && hx == NULL && vx == NULL);
	/* kept: their unrefs leave the kernel objects alone */
	nestio_hwpt_unref(p2);
	nestio_ioas_unref(i2);
	nestio_ctx_unref(c2);
	CK(tu_kernel_has(fd, id[ID_IOAS]) && tu_kernel_has(fd, id[ID_PARENT]));
	return n;
}

static void adopt_all(struct adopted *a, const uint32_t *id, unsigned int keep)
{
	struct nestio_hwpt_adopt_opts o = { .sz = sizeof(o), .adopt_flags = keep };
	struct nestio_ioas *li = NULL;
	struct nestio_hwpt *lh = NULL;
	struct nestio_viommu *lv = NULL;

	CK_EQ(nestio_ioas_new_from_id(a->ctx, id[ID_IOAS], keep, &a->ioas), 0);
	if (!keep)	/* its release destroys the mock device */
		CK_EQ(tu_mock_device_adopt(a->ctx, id[ID_STDEV], id[ID_DEV], &a->dev), 0);
	o.ioas = a->ioas;
	o.flags = NESTIO_HWPT_NEST_PARENT;
	CK_EQ(nestio_hwpt_new_from_id(a->ctx, id[ID_PARENT], &o, &a->parent), 0);
	o.flags = 0;
	CK_EQ(nestio_hwpt_new_from_id(a->ctx, id[ID_PLAIN], &o, &a->plain), 0);
	CK_EQ(nestio_viommu_new_from_id(a->parent, id[ID_VIOMMU],
					MOCK_VIOMMU_TYPE_SELFTEST, keep, &a->v), 0);
	o.ioas = NULL;
	o.parent = a->parent;
	o.inv_data_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST;
	CK_EQ(nestio_hwpt_new_from_id(a->ctx, id[ID_N1], &o, &a->n1), 0);
	o.parent = NULL;
	o.viommu = a->v;
	CK_EQ(nestio_hwpt_new_from_id(a->ctx, id[ID_N2], &o, &a->n2), 0);

	/* what the caller said comes back; the lookups find them */
	CK(nestio_hwpt_get_flags(a->parent) == NESTIO_HWPT_NEST_PARENT);
	CK(nestio_hwpt_get_ioas(a->plain) == a->ioas);
	CK(nestio_hwpt_get_parent(a->n1) == a->parent);
	CK(nestio_hwpt_get_ioas(a->n1) == a->ioas);
	CK(nestio_hwpt_get_viommu(a->n2) == a->v);
	CK(nestio_hwpt_get_ioas(a->n2) == a->ioas);
	CK_EQ(nestio_hwpt_is_nested(a->n1), 1);
	CK_EQ(nestio_hwpt_is_nested(a->n2), 1);
	CK_EQ(nestio_hwpt_is_nested(a->parent), 0);
	CK(nestio_viommu_get_parent(a->v) == a->parent);
	CK_EQ(nestio_viommu_get_type(a->v), MOCK_VIOMMU_TYPE_SELFTEST);
	CK_EQ(nestio_ctx_lookup_ioas(a->ctx, id[ID_IOAS], &li), 0);
	CK_EQ(nestio_ctx_lookup_hwpt(a->ctx, id[ID_N1], &lh), 0);
	CK_EQ(nestio_ctx_lookup_viommu(a->ctx, id[ID_VIOMMU], &lv), 0);
	CK(li == a->ioas && lh == a->n1 && lv == a->v);
	nestio_ioas_unref(li);
	nestio_hwpt_unref(lh);
	nestio_viommu_unref(lv);
}

/* invalidations on the adopted nested hwpt and vIOMMU, direct and queued,
 * as the mock sees them */
static void invalidate(struct adopted *a, int fd, const uint32_t *id)
{
	struct mock_hwpt_invalidate_selftest he = { .iotlb_id = 1 };
	struct mock_viommu_invalidate_selftest ve = { .vdev_id = VIRT_ID,
						      .cache_id = 2 };
	struct nestio_invq_opts ho = {
		.sz = sizeof(ho),
		.raw_type = MOCK_HWPT_INVALIDATE_DATA_SELFTEST,
		.raw_entry_len = sizeof(he),
	};
	struct nestio_invq_opts vo = {
		.sz = sizeof(vo),
		.raw_type = MOCK_VIOMMU_INVALIDATE_DATA_SELFTEST,
		.raw_entry_len = sizeof(ve),
	};
	struct nestio_invq *q = NULL;
	uint32_t n = 1;

	CK_EQ(mock_check(fd, MOCK_OP_MD_CHECK_IOTLB, id[ID_N1], 1, MOCK_IOTLB_DEFAULT), 0);
	CK_EQ(nestio_hwpt_invalidate(a->n1, NESTIO_INV_RAW,
				     MOCK_HWPT_INVALIDATE_DATA_SELFTEST, &he,
				     sizeof(he), &n), 0);
	CK_EQ(n, 1);
	CK_EQ(mock_check(fd, MOCK_OP_MD_CHECK_IOTLB, id[ID_N1], 1, 0), 0);
	CK_EQ(mock_check(fd, MOCK_OP_MD_CHECK_IOTLB, id[ID_N1], 3, MOCK_IOTLB_DEFAULT), 0);
	CK_EQ(nestio_invq_new(a->n1, NESTIO_INV_RAW, &ho, &q), 0);
	he.iotlb_id = 3;
	CK_EQ(nestio_invq_push(q, &he, sizeof(he)), 0);
	CK_EQ(nestio_invq_flush(q, NULL), 1);	/* entries sent */
	q = nestio_invq_unref(q);
	CK_EQ(mock_check(fd, MOCK_OP_MD_CHECK_IOTLB, id[ID_N1], 3, 0), 0);
	CK_EQ(mock_check(fd, MOCK_OP_MD_CHECK_IOTLB, id[ID_N1], 0, MOCK_IOTLB_DEFAULT), 0);

	CK_EQ(mock_check(fd, MOCK_OP_DEV_CHECK_CACHE, id[ID_DEV], 2, MOCK_DEV_CACHE_DEFAULT), 0);
	n = 1;
	CK_EQ(nestio_viommu_invalidate(a->v, NESTIO_INV_RAW,
				       MOCK_VIOMMU_INVALIDATE_DATA_SELFTEST, &ve,
				       sizeof(ve), &n), 0);
	CK_EQ(n, 1);
	CK_EQ(mock_check(fd, MOCK_OP_DEV_CHECK_CACHE, id[ID_DEV], 2, 0), 0);
	CK_EQ(nestio_invq_new_viommu(a->v, NESTIO_INV_RAW, &vo, &q), 0);
	ve.cache_id = 0;
	CK_EQ(nestio_invq_push(q, &ve, sizeof(ve)), 0);
	CK_EQ(nestio_invq_flush(q, NULL), 1);	/* entries sent */
	nestio_invq_unref(q);
	CK_EQ(mock_check(fd, MOCK_OP_DEV_CHECK_CACHE, id[ID_DEV], 0, 0), 0);
	CK_EQ(mock_check(fd, MOCK_OP_DEV_CHECK_CACHE, id[ID_DEV], 1, MOCK_DEV_CACHE_DEFAULT), 0);
}

/* the old process's mappings, unmapped and mapped again through the
 * adopted IOAS, as the nest parent's mock page table sees them */
static void remap(struct adopted *a, int fd, int memfd, const uint32_t *id)
{
	const uint64_t start = MOCK_APERTURE_START, pg = page();
	uint64_t unmapped = 0, iova = start + pg;
	unsigned char *buf = mmap(NULL, NPAGES * pg, PROT_READ | PROT_WRITE,
				  MAP_SHARED, memfd, 0);

	CK(buf != MAP_FAILED);
	CK_EQ(tu_mock_check_map(fd, id[ID_PARENT], start, NPAGES * pg, buf), 0);
	CK_EQ(nestio_ioas_unmap(a->ioas, start + pg, pg, &unmapped), 0);
	CK_EQ(unmapped, pg);
	CK(tu_mock_check_map(fd, id[ID_PARENT], start + pg, pg, buf + pg) != 0);
	CK_EQ(tu_mock_check_map(fd, id[ID_PARENT], start + 2 * pg, 2 * pg,
				buf + 2 * pg), 0);
	/* file-backed again, so the next hand-over can move it too */
	CK_EQ(nestio_ioas_map_file(a->ioas, memfd, 3 * pg, pg, &iova,
				   NESTIO_MAP_READ | NESTIO_MAP_WRITE |
				   NESTIO_MAP_FIXED_IOVA), 0);
	CK_EQ(tu_mock_check_map(fd, id[ID_PARENT], start + pg, pg, buf + 3 * pg), 0);
	munmap(buf, NPAGES * pg);
}

static int adopt_child(int argc, char **argv)
{
	struct adopted a = { 0 };
	uint32_t id[ID_NUM];
	int ifd, memfd, fd, r, refused;
	unsigned int keep;

	CK_EQ(argc, ID_NUM + 5);
	ifd = atoi(argv[2]);
	memfd = atoi(argv[3]);
	keep = atoi(argv[4]) ? NESTIO_ADOPT_KEEP : 0;
	for (int i = 0; i < ID_NUM; i++)
		id[i] = (uint32_t)strtoul(argv[i + 5], NULL, 0);

	CK_EQ(nestio_ctx_new_from_fd(ifd, &a.ctx), 0);
	CK_EQ(close(ifd), 0);
	fd = nestio_ctx_get_fd(a.ctx);
	CK(tu_fd_is_cloexec(fd));
	r = nestio_ctx_change_process(a.ctx);
	if (tu_is_feature_missing(r))
		printf("adopt: IOMMU_IOAS_CHANGE_PROCESS not here (%d): step skipped\n", r);
	else {
		CK_EQ(r, 0);
		printf("adopt: IOMMU_IOAS_CHANGE_PROCESS moved the accounting\n");
	}

	refused = wrong_kinds(fd, id);
	adopt_all(&a, id, keep);
	if (!keep) {
		invalidate(&a, fd, id);
		remap(&a, fd, memfd, id);
		/* the adopted device attaches to an adopted hwpt */
		CK_EQ(nestio_device_attach_hwpt(a.dev, NESTIO_NO_PASID, a.n1), 0);
		/* vDEVICEs are not adopted: destroy it by id */
		{
			struct kabi_destroy d = { .size = sizeof(d), .id = id[ID_VDEV] };

			CK_EQ(ioctl(fd, KABI_IOMMU_DESTROY, &d), 0);
		}
	}
	printf("NESTIO-REL adopt.mock.wrong-kind-refused %d ids of the wrong kind "
	       "refused with ENOENT\n", refused);
	/* any order: each pins what it is built on */
	nestio_ioas_unref(a.ioas);
	nestio_hwpt_unref(a.parent);
	nestio_viommu_unref(a.v);
	nestio_hwpt_unref(a.n2);
	nestio_hwpt_unref(a.plain);
	nestio_hwpt_unref(a.n1);
	nestio_device_unref(a.dev);
	nestio_ctx_unref(a.ctx);
	close(memfd);
	return 0;
}

/* ------------------------------------------------------ the test process */

/* builds, hands over, waits; the ids the builder made */
static void live_update(int ifd, bool keep, uint32_t *id)
{
	int p[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		builder(ifd, p[1], keep);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], id, ID_NUM * sizeof(*id)),
			 (ssize_t)(ID_NUM * sizeof(*id)));
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the adopting process failed (status %#x)", status);
}

START_TEST(test_live_update)
{
	struct kabi_ioas_alloc alloc = { .size = sizeof(alloc) };
	int ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	uint32_t id[ID_NUM];
	int left = 0;

	ck_assert_int_ge(ifd, 0);
	live_update(ifd, false, id);
	for (int i = 0; i < ID_NUM; i++)
		if (tu_kernel_has(ifd, id[i])) {
			fprintf(stderr, "object %u (%d) left\n", id[i], i);
			left++;
		}
	ck_assert_int_eq(left, 0);
	/* nothing at all left: the first id is free again */
	ck_assert_int_eq(ioctl(ifd, KABI_IOMMU_IOAS_ALLOC, &alloc), 0);
	ck_assert_uint_eq(alloc.out_ioas_id, 1);
	printf("NESTIO-REL adopt.mock.objects-left %d kernel objects after the "
	       "adopting process released %d\n", left, ID_NUM);
	close(ifd);
}
END_TEST

/* NESTIO_ADOPT_KEEP: the adopting process's release leaves them all */
START_TEST(test_live_update_keep)
{
	uint32_t id[ID_NUM];
	int ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	ck_assert_int_ge(ifd, 0);
	live_update(ifd, true, id);
	for (int i = 0; i < ID_NUM; i++)
		ck_assert_msg(tu_kernel_has(ifd, id[i]), "object %u (%d) gone",
			      id[i], i);
	close(ifd);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;

	if (argc > 1 && !strcmp(argv[1], CHILD_ARG))
		return adopt_child(argc, argv);
	tu_require_mock();
	s = suite_create("adopt");
	tc = tcase_create("adopt");
	tcase_add_test(tc, test_live_update);
	tcase_add_test(tc, test_live_update_keep);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
