// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: nestio_ctx_lookup_{ioas,hwpt,device}() find each kind
 * of object by its kernel id with a new reference, and nothing else (another
 * kind, another ctx, a released object, one being released);
 * nestio_device_open_cdev() resolves names as nestio_device_open() does,
 * without binding.
 */
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakekernel.h"

/* ============================================================== lookups */

/* id is found as the IOAS io, and as nothing else */
static void expect_only_ioas(struct nestio_ctx *c, uint32_t id,
			     struct nestio_ioas *io)
{
	struct nestio_ioas *i = NULL;
	struct nestio_hwpt *h = (void *)&rec;
	struct nestio_device *d = (void *)&rec;

	ck_assert_int_eq(nestio_ctx_lookup_ioas(c, id, &i), 0);
	ck_assert_ptr_eq(i, io);
	nestio_ioas_unref(i);
	ck_assert_int_eq(nestio_ctx_lookup_hwpt(c, id, &h), -ENOENT);
	ck_assert_int_eq(nestio_ctx_lookup_device(c, id, &d), -ENOENT);
	ck_assert_ptr_eq(h, (void *)&rec);	/* untouched on failure */
	ck_assert_ptr_eq(d, (void *)&rec);
}

static void expect_only_hwpt(struct nestio_ctx *c, uint32_t id,
			     struct nestio_hwpt *hw)
{
	struct nestio_ioas *i = (void *)&rec;
	struct nestio_hwpt *h = NULL;
	struct nestio_device *d = (void *)&rec;

	ck_assert_int_eq(nestio_ctx_lookup_hwpt(c, id, &h), 0);
	ck_assert_ptr_eq(h, hw);
	nestio_hwpt_unref(h);
	ck_assert_int_eq(nestio_ctx_lookup_ioas(c, id, &i), -ENOENT);
	ck_assert_int_eq(nestio_ctx_lookup_device(c, id, &d), -ENOENT);
	ck_assert_ptr_eq(i, (void *)&rec);
	ck_assert_ptr_eq(d, (void *)&rec);
}

static void expect_only_device(struct nestio_ctx *c, uint32_t id,
			       struct nestio_device *dv)
{
	struct nestio_ioas *i = (void *)&rec;
	struct nestio_hwpt *h = (void *)&rec;
	struct nestio_device *d = NULL;

	ck_assert_int_eq(nestio_ctx_lookup_device(c, id, &d), 0);
	ck_assert_ptr_eq(d, dv);
	nestio_device_unref(d);
	ck_assert_int_eq(nestio_ctx_lookup_ioas(c, id, &i), -ENOENT);
	ck_assert_int_eq(nestio_ctx_lookup_hwpt(c, id, &h), -ENOENT);
	ck_assert_ptr_eq(i, (void *)&rec);
	ck_assert_ptr_eq(h, (void *)&rec);
}

/* every kind the library makes, found by its id and only as that kind */
START_TEST(test_lookup_each_kind)
{
	static const struct nestio_stage1 smmu_s1 = {
		.type = NESTIO_STAGE1_ARM_SMMUV3,
		.u.smmuv3 = { .ste = { 0x2000000b, 0xd4 } },
	};
	struct nestio_hwpt *paging, *parent, *nested, *vnested;
	struct nestio_viommu *viommu;
	struct nestio_device *vfio = new_vfio(ctx);
	struct nestio_device *d = NULL;

	paging = new_hwpt(dev, ioas, 0);
	new_nest_objs(&parent, &nested, &viommu);
	ck_assert_int_eq(nestio_hwpt_new_nested_viommu(dev, viommu, &smmu_s1,
						       NULL, &vnested), 0);

	expect_only_ioas(ctx, nestio_ioas_get_id(ioas), ioas);
	expect_only_device(ctx, 7, dev);	/* new_from_id */
	expect_only_device(ctx, nestio_device_get_id(vfio), vfio);
	expect_only_hwpt(ctx, nestio_hwpt_get_id(paging), paging);
	expect_only_hwpt(ctx, nestio_hwpt_get_id(parent), parent);
	expect_only_hwpt(ctx, nestio_hwpt_get_id(nested), nested);
	expect_only_hwpt(ctx, nestio_hwpt_get_id(vnested), vnested);
	/* a vIOMMU is none of the three kinds */
	ck_assert_int_eq(nestio_ctx_lookup_hwpt(ctx, nestio_viommu_get_id(viommu),
						&paging), -ENOENT);
	ck_assert_int_eq(nestio_ctx_lookup_ioas(ctx, 9999, &ioas), -ENOENT);
	/* lookups make no ioctl */
	{
		int n = tu_ncalls;

		ck_assert_int_eq(nestio_ctx_lookup_device(ctx, 7, &d), 0);
		nestio_device_unref(d);
		ck_assert_int_eq(tu_ncalls, n);
	}

	nestio_hwpt_unref(vnested);
	nestio_hwpt_unref(nested);
	nestio_viommu_unref(viommu);
	nestio_hwpt_unref(parent);
	nestio_hwpt_unref(paging);
	nestio_device_unref(vfio);
}
END_TEST

/* the reference is the caller's own: the object outlives the maker's */
START_TEST(test_lookup_new_reference)
{
	struct nestio_hwpt *h = new_hwpt(dev, ioas, 0), *found = NULL;
	uint32_t id = nestio_hwpt_get_id(h);

	ck_assert_int_eq(nestio_ctx_lookup_hwpt(ctx, id, &found), 0);
	ck_assert_ptr_eq(found, h);
	ck_assert_ptr_null(nestio_hwpt_unref(h));	/* the maker's reference */
	ck_assert_int_eq(find_ev('D', id), -1);		/* not destroyed */
	ck_assert_uint_eq(nestio_hwpt_get_id(found), id);	/* still valid */
	h = NULL;
	ck_assert_int_eq(nestio_ctx_lookup_hwpt(ctx, id, &h), 0);
	ck_assert_ptr_eq(h, found);
	nestio_hwpt_unref(h);
	nestio_hwpt_unref(found);			/* the last one */
	ck_assert_int_ge(find_ev('D', id), 0);
	ck_assert_int_eq(nestio_ctx_lookup_hwpt(ctx, id, &h), -ENOENT);
}
END_TEST

/* after the last unref of each kind: -ENOENT */
START_TEST(test_lookup_after_release)
{
	struct nestio_ioas *i = new_ioas(ctx), *io = NULL;
	struct nestio_device *v = new_vfio(ctx), *d = NULL;
	struct nestio_hwpt *h = new_hwpt(v, i, NESTIO_HWPT_NEST_PARENT), *hw = NULL;
	uint32_t iid = nestio_ioas_get_id(i), did = nestio_device_get_id(v);
	uint32_t hid = nestio_hwpt_get_id(h);

	nestio_ioas_unref(i);	/* h still pins it */
	ck_assert_int_eq(nestio_ctx_lookup_ioas(ctx, iid, &io), 0);
	io = nestio_ioas_unref(io);
	nestio_hwpt_unref(h);	/* and the IOAS with it */
	nestio_device_unref(v);
	ck_assert_int_eq(nestio_ctx_lookup_hwpt(ctx, hid, &hw), -ENOENT);
	ck_assert_int_eq(nestio_ctx_lookup_ioas(ctx, iid, &io), -ENOENT);
	ck_assert_int_eq(nestio_ctx_lookup_device(ctx, did, &d), -ENOENT);
	ck_assert_ptr_null(hw);
	ck_assert_ptr_null(io);
	ck_assert_ptr_null(d);
	/* the fixture's objects are still there */
	expect_only_ioas(ctx, nestio_ioas_get_id(ioas), ioas);
	expect_only_device(ctx, 7, dev);
}
END_TEST

/* a kernel id handed out again (the old object is gone) finds the new one */
START_TEST(test_lookup_id_reused)
{
	struct nestio_ioas *a = new_ioas(ctx), *b, *found = NULL;
	uint32_t id = nestio_ioas_get_id(a);

	nestio_ioas_unref(a);
	fk_next_id = id;
	b = new_ioas(ctx);
	ck_assert_uint_eq(nestio_ioas_get_id(b), id);
	ck_assert_int_eq(nestio_ctx_lookup_ioas(ctx, id, &found), 0);
	ck_assert_ptr_eq(found, b);
	nestio_ioas_unref(found);
	nestio_ioas_unref(b);
}
END_TEST

/* the same ids in two ctxs: each finds its own object only */
START_TEST(test_lookup_two_ctxs)
{
	struct nestio_ctx *c2 = new_ctx();
	struct nestio_ioas *i2, *found = NULL;
	struct nestio_device *d2 = NULL, *fd2 = NULL;
	uint32_t id = nestio_ioas_get_id(ioas);

	fk_next_id = id;	/* the fake kernel gives c2 the same id */
	i2 = new_ioas(c2);
	ck_assert_uint_eq(nestio_ioas_get_id(i2), id);
	ck_assert_int_eq(nestio_device_new_from_id(c2, 7, &rec_ops, &rec, &d2), 0);

	expect_only_ioas(ctx, id, ioas);
	expect_only_ioas(c2, id, i2);
	expect_only_device(ctx, 7, dev);
	expect_only_device(c2, 7, d2);

	/* one ctx's objects gone: the other's are still found */
	nestio_ioas_unref(i2);
	nestio_device_unref(d2);
	ck_assert_int_eq(nestio_ctx_lookup_ioas(c2, id, &found), -ENOENT);
	ck_assert_int_eq(nestio_ctx_lookup_device(c2, 7, &fd2), -ENOENT);
	expect_only_ioas(ctx, id, ioas);
	expect_only_device(ctx, 7, dev);
	nestio_ctx_unref(c2);
}
END_TEST

/* ---- an object whose last unref is running is not found any more ---- */

static int release_lookup = 1;
static struct nestio_device *release_found;

static void lookup_release(struct nestio_device *d, void *userdata)
{
	(void)userdata;
	release_lookup = nestio_ctx_lookup_device(nestio_device_get_ctx(d),
						  nestio_device_get_id(d),
						  &release_found);
}

START_TEST(test_lookup_during_release)
{
	static const struct nestio_device_ops ops = {
		.sz = sizeof(ops),
		.release = lookup_release,
	};
	struct nestio_device *d = NULL;

	ck_assert_int_eq(nestio_device_new_from_id(ctx, 42, &ops, NULL, &d), 0);
	release_lookup = 1;
	release_found = NULL;
	nestio_device_unref(d);
	ck_assert_int_eq(release_lookup, -ENOENT);
	ck_assert_ptr_null(release_found);
}
END_TEST

/*
 * Lookups racing with the last unrefs, on other threads: a lookup either
 * finds the object whole (its id) or nothing, and never revives one whose
 * last unref has begun (each device is released exactly once). Devices
 * adopted by id with no detach: their release makes no ioctl, so the
 * threads share nothing of the test's own seam.
 */
#define RACE_DEVS 64
#define RACE_THREADS 4
#define RACE_ROUNDS 200

static int race_released;
static unsigned race_bad;

static void race_release(struct nestio_device *d, void *userdata)
{
	(void)d; (void)userdata;
	__atomic_fetch_add(&race_released, 1, __ATOMIC_RELAXED);
}

static void *race_lookups(void *arg)
{
	uint32_t base = (uint32_t)(uintptr_t)arg;

	for (int round = 0; round < RACE_ROUNDS; round++)
		for (uint32_t k = 0; k < RACE_DEVS; k++) {
			struct nestio_device *d = NULL;
			int r = nestio_ctx_lookup_device(ctx, base + k, &d);

			if (r == 0 && nestio_device_get_id(d) == base + k)
				nestio_device_unref(d);
			else if (r != -ENOENT)
				__atomic_fetch_add(&race_bad, 1, __ATOMIC_RELAXED);
		}
	return NULL;
}

START_TEST(test_lookup_threads)
{
	static const struct nestio_device_ops ops = {
		.sz = sizeof(ops),
		.release = race_release,
	};
	const uint32_t base = 1000;
	struct nestio_device *devs[RACE_DEVS];
	pthread_t th[RACE_THREADS];

	race_released = 0;
	race_bad = 0;
	for (uint32_t k = 0; k < RACE_DEVS; k++)
		ck_assert_int_eq(nestio_device_new_from_id(ctx, base + k, &ops,
							   NULL, &devs[k]), 0);
	for (int t = 0; t < RACE_THREADS; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, race_lookups,
						(void *)(uintptr_t)base), 0);
	for (uint32_t k = 0; k < RACE_DEVS; k++)
		nestio_device_unref(devs[k]);
	for (int t = 0; t < RACE_THREADS; t++)
		ck_assert_int_eq(pthread_join(th[t], NULL), 0);
	ck_assert_uint_eq(race_bad, 0);
	ck_assert_int_eq(race_released, RACE_DEVS);
	for (uint32_t k = 0; k < RACE_DEVS; k++) {
		struct nestio_device *d = NULL;

		ck_assert_int_eq(nestio_ctx_lookup_device(ctx, base + k, &d), -ENOENT);
	}
}
END_TEST

START_TEST(test_lookup_args)
{
	struct nestio_ioas *i = (void *)&rec;
	struct nestio_hwpt *h = (void *)&rec;
	struct nestio_device *d = (void *)&rec;
	uint32_t id = nestio_ioas_get_id(ioas);

	ck_assert_int_eq(nestio_ctx_lookup_ioas(NULL, id, &i), -EINVAL);
	ck_assert_int_eq(nestio_ctx_lookup_ioas(ctx, 0, &i), -EINVAL);
	ck_assert_int_eq(nestio_ctx_lookup_ioas(ctx, id, NULL), -EINVAL);
	ck_assert_int_eq(nestio_ctx_lookup_ioas((void *)ioas, id, &i), -EINVAL);
	ck_assert_int_eq(nestio_ctx_lookup_hwpt(NULL, id, &h), -EINVAL);
	ck_assert_int_eq(nestio_ctx_lookup_hwpt(ctx, 0, &h), -EINVAL);
	ck_assert_int_eq(nestio_ctx_lookup_hwpt(ctx, id, NULL), -EINVAL);
	ck_assert_int_eq(nestio_ctx_lookup_device(NULL, 7, &d), -EINVAL);
	ck_assert_int_eq(nestio_ctx_lookup_device(ctx, 0, &d), -EINVAL);
	ck_assert_int_eq(nestio_ctx_lookup_device(ctx, 7, NULL), -EINVAL);
	ck_assert_int_eq(nestio_ctx_lookup_device((void *)dev, 7, &d), -EINVAL);
	ck_assert_ptr_eq(i, (void *)&rec);
	ck_assert_ptr_eq(h, (void *)&rec);
	ck_assert_ptr_eq(d, (void *)&rec);
	/* nothing about the objects changed: the right call still works */
	expect_only_ioas(ctx, id, ioas);
}
END_TEST

/* ============================================================ open_cdev */

static const char *sysroot;

static void setup_sysfs(void)
{
	setup_seam();
	sysroot = tu_fake_sysfs_new();	/* /sys/... is looked up in there */
	/* a vfio-dev entry whose node does not exist, none, a bad one */
	tu_fake_sysfs_mkdir("bus/pci/devices/0000:00:03.0/vfio-dev/vfio97");
	tu_fake_sysfs_mkdir("bus/pci/devices/0000:00:04.0");
	tu_fake_sysfs_mkdir("bus/pci/devices/0000:00:05.0/vfio-dev/vfio");
}

static void teardown_sysfs(void)
{
	tu_fake_sysfs_free();
	teardown_seam();
}

/*
 * Every name nestio_device_open() refuses, nestio_device_open_cdev()
 * refuses with the same error, and neither makes an ioctl.
 */
START_TEST(test_open_cdev_errors)
{
	char sys3[PATH_MAX], sys4[PATH_MAX], lng[PATH_MAX + 16], lngsys[PATH_MAX + 16];
	const char *names[] = {
		"", "vfio7", "00:03", "zz:03.0", "00:20.0", "00:03.8", "00:03.0\n",
		"devices/vfio7", "/dev/../etc/passwd", "/dev/..",
		"/dev/nestio-no-such-node", "/dev/vfio/devices/vfio-none",
		"/etc/passwd", "0000:00:04.0", "00:05.0", "0000:00:06.0",
		sys3, sys4, lng, lngsys,
	};
	struct {
		const char *name;
		int want;
	} fixed[] = {
		{ "vfio7", -EINVAL }, { "/dev/..", -EINVAL },
		{ "/dev/nestio-no-such-node", -ENOENT }, { "0000:00:04.0", -ENODEV },
		{ "00:05.0", -ENODEV }, { lng, -ENAMETOOLONG },
	};
	bool nodes = !access("/dev/vfio/devices/vfio97", F_OK);

	snprintf(sys3, sizeof(sys3), "%s/bus/pci/devices/0000:00:03.0", sysroot);
	snprintf(sys4, sizeof(sys4), "%s/bus/pci/devices/0000:00:04.0", sysroot);
	memset(lng, 'a', sizeof(lng));
	lng[sizeof(lng) - 1] = '\0';
	memcpy(lng, "/dev/", 5);
	memcpy(lngsys, lng, sizeof(lng));
	lngsys[1] = 's';

	ck_assert_int_eq(nestio_device_open_cdev(NULL), -EINVAL);
	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		struct nestio_device *d = (void *)&rec;
		int want = nestio_device_open(ctx, names[k], &d);
		int n = tu_ncalls, got;

		if (nodes && !strcmp(names[k], sys3))
			continue;
		ck_assert_msg(want < 0, "%s opened", names[k]);
		got = nestio_device_open_cdev(names[k]);
		ck_assert_msg(got == want, "%s: open_cdev %d, open %d", names[k],
			      got, want);
		ck_assert_int_eq(tu_ncalls, n);
	}
	for (size_t k = 0; k < ARRAY_SIZE(fixed); k++)
		ck_assert_int_eq(nestio_device_open_cdev(fixed[k].name), fixed[k].want);
	ck_assert_int_eq(tu_ncalls, 0);
}
END_TEST

/* a character device: an fd, close-on-exec, blocking, not bound */
START_TEST(test_open_cdev_ok)
{
	const char *names[] = { "/dev/null", "/dev/../dev/null" };
	int before = tu_count_open_fds();

	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		struct stat st, null;
		int fd = nestio_device_open_cdev(names[k]);

		ck_assert_msg(fd >= 0, "%s: %d", names[k], fd);
		ck_assert(tu_fd_is_cloexec(fd));
		ck_assert_int_eq(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE), O_RDWR);
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_int_eq(stat("/dev/null", &null), 0);
		ck_assert(st.st_rdev == null.st_rdev);
		ck_assert_int_eq(close(fd), 0);
	}
	ck_assert_int_eq(tu_ncalls, 0);		/* no bind, nothing */
	ck_assert_int_eq(tu_count_open_fds(), before);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lookup");
	TCase *tc;

	tc = fk_tcase(s, "lookup", setup_objs, teardown_objs);
	tcase_add_test(tc, test_lookup_each_kind);
	tcase_add_test(tc, test_lookup_new_reference);
	tcase_add_test(tc, test_lookup_after_release);
	tcase_add_test(tc, test_lookup_id_reused);
	tcase_add_test(tc, test_lookup_two_ctxs);
	tcase_add_test(tc, test_lookup_during_release);
	tcase_add_test(tc, test_lookup_threads);
	tcase_add_test(tc, test_lookup_args);
	tc = fk_tcase(s, "open_cdev", setup_sysfs, teardown_sysfs);
	tcase_add_test(tc, test_open_cdev_errors);
	tcase_add_test(tc, test_open_cdev_ok);
	return tu_run(s);
}
