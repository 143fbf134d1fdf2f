// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: unref in every order (destroy once, children first,
 * release before destroy), pins, logging, and device-name resolution.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fakekernel.h"

/* ============================================================= lifetime */

enum { O_CTX, O_IOAS, O_HWPT, O_DEV };

/*
 * ctx, ioas, hwpt on the ioas, device attached to the hwpt at its RID and to
 * the ioas at PASID 3; unref the four in the given order.
 */
static void lifetime_run(const int order[4], bool vfio)
{
	struct nestio_ctx *c = new_ctx();
	struct nestio_ioas *i = new_ioas(c);
	struct nestio_device *d = NULL;
	struct nestio_hwpt *h;
	uint32_t ioas_id = nestio_ioas_get_id(i), hwpt_id;
	int cfd = nestio_ctx_get_fd(c), ih, ii;

	memset(&rec, 0, sizeof(rec));
	if (vfio)
		d = new_vfio(c);
	else
		ck_assert_int_eq(nestio_device_new_from_id(c, 5, &rec_ops, &rec, &d), 0);
	h = new_hwpt(d, i, NESTIO_HWPT_NEST_PARENT);
	hwpt_id = nestio_hwpt_get_id(h);
	ck_assert_int_eq(nestio_device_attach_hwpt(d, NESTIO_NO_PASID, h), 0);
	ck_assert_int_eq(nestio_device_attach_ioas(d, 3, i), 0);
	fk_watch_fd = vfio ? nestio_device_get_fd(d) : -1;
	tu_ncalls = 0;
	fk_nev = 0;
	for (int k = 0; k < 4; k++) {
		switch (order[k]) {
		case O_CTX: c = nestio_ctx_unref(c); break;
		case O_IOAS: i = nestio_ioas_unref(i); break;
		case O_HWPT: h = nestio_hwpt_unref(h); break;
		case O_DEV: d = nestio_device_unref(d); break;
		}
	}
	/* every slot detached, PASIDs first, while the device is bound */
	ck_assert_int_eq(find_ev('X', 3), 0);
	ck_assert_int_eq(find_ev('X', NESTIO_NO_PASID), 1);
	ck_assert_int_eq(count_ev('X'), 2);
	if (vfio) {
		ck_assert(fk_ev[0].watch_open && fk_ev[1].watch_open);
		EXPECT_VFIO(0, fk_watch_fd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT,
			    kabi_vfio_device_detach_iommufd_pt,
			    .flags = KABI_VFIO_DEVICE_DETACH_PASID, .pasid = 3);
		EXPECT_VFIO(1, fk_watch_fd, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT,
			    kabi_vfio_device_detach_iommufd_pt);
	} else {
		/* then release, once, before any destroy */
		ck_assert_int_eq(rec.detach, 2);
		ck_assert_int_eq(rec.release, 1);
		ck_assert_int_eq(find_ev('R', 5), 2);
	}
	/* the two destroys, once each, hwpt first (it pins the ioas) */
	ck_assert_int_eq(tu_ncalls, vfio ? 4 : 2);
	ck_assert_int_eq(count_ev('D'), 2);
	ih = find_ev('D', hwpt_id);
	ii = find_ev('D', ioas_id);
	ck_assert_int_ge(ih, 0);
	ck_assert_int_gt(ii, ih);
	for (int k = 0; k < fk_nev; k++) {
		if (fk_ev[k].what != 'D')
			continue;
		ck_assert(fk_ev[k].fd_ok);		/* the ctx fd was open */
		ck_assert(!fk_ev[k].watch_open);	/* the cdev was closed */
	}
	ck_assert(!fd_open(cfd));		/* the ctx went last */
	fk_watch_fd = -1;
}

START_TEST(test_lifetime_orders)
{
	int n0 = tu_count_open_fds(), perms = 0;

	for (int n = 0; n < 256; n++) {		/* all 24 orders */
		int order[4] = { n & 3, n >> 2 & 3, n >> 4 & 3, n >> 6 & 3 };
		unsigned int mask = 1u << order[0] | 1u << order[1] |
				    1u << order[2] | 1u << order[3];

		if (mask != 0xf)
			continue;
		lifetime_run(order, false);
		lifetime_run(order, true);
		perms++;
	}
	ck_assert_int_eq(perms, 24);
	ck_assert_int_eq(tu_count_open_fds(), n0);
}
END_TEST

START_TEST(test_lifetime_pins)
{
	struct nestio_hwpt *h1 = new_hwpt(dev, ioas, 0), *h2 = new_hwpt(dev, ioas, 0);
	uint32_t id1 = nestio_hwpt_get_id(h1), id2 = nestio_hwpt_get_id(h2);

	/* unref while attached: no destroy until the device lets go */
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, h1), 0);
	nestio_hwpt_unref(h1);
	ck_assert_int_eq(count_ev('D'), 0);
	/* replace drops the old pin, once the replace went through */
	ck_assert_int_eq(nestio_device_replace_hwpt(dev, NESTIO_NO_PASID, h2), 0);
	ck_assert_int_eq(first_ev('D'), find_ev('D', id1));
	ck_assert_int_eq(count_ev('D'), 1);
	nestio_hwpt_unref(h2);
	/* a failed detach or replace keeps the pin and the slot */
	rec.fail = -EIO;
	ck_assert_int_eq(nestio_device_detach(dev, NESTIO_NO_PASID), -EIO);
	ck_assert_int_eq(nestio_device_replace_ioas(dev, NESTIO_NO_PASID, ioas), -EIO);
	ck_assert_int_eq(count_ev('D'), 1);
	EXPECT_NOIO(nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas), -EBUSY);
	rec.fail = 0;
	ck_assert_int_eq(nestio_device_detach(dev, NESTIO_NO_PASID), 0);
	ck_assert_int_eq(count_ev('D'), 2);
	ck_assert_int_ge(find_ev('D', id2), 0);
	/* a failed attach takes no reference and no slot */
	h1 = new_hwpt(dev, ioas, 0);
	id1 = nestio_hwpt_get_id(h1);
	rec.fail = -ENODEV;
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, 4, h1), -ENODEV);
	rec.fail = 0;
	EXPECT_NOIO(nestio_device_detach(dev, 4), -ENOENT);
	nestio_hwpt_unref(h1);
	ck_assert_int_ge(find_ev('D', id1), 0);
	ck_assert_int_eq(count_ev('D'), 3);
	/* replace a slot with what it holds, when it holds the only ref */
	h1 = new_hwpt(dev, ioas, 0);
	id1 = nestio_hwpt_get_id(h1);
	ck_assert_int_eq(nestio_device_attach_hwpt(dev, 6, h1), 0);
	nestio_hwpt_unref(h1);
	ck_assert_int_eq(nestio_device_replace_hwpt(dev, 6, h1), 0);
	ck_assert_int_eq(find_ev('D', id1), -1);
	ck_assert_uint_eq(nestio_hwpt_get_id(h1), id1);
	ck_assert_int_eq(nestio_device_detach(dev, 6), 0);
	ck_assert_int_ge(find_ev('D', id1), 0);
	ck_assert_int_eq(count_ev('D'), 4);
	/* the device pins its ctx and what it is attached to */
	ck_assert_int_eq(nestio_device_attach_ioas(dev, 9, ioas), 0);
	ioas = nestio_ioas_unref(ioas);
	ctx = nestio_ctx_unref(ctx);
	ck_assert_int_eq(count_ev('D'), 4);
	fk_nev = 0;
	dev = nestio_device_unref(dev);
	ck_assert_int_eq(fk_nev, 3);
	ck_assert_int_eq(find_ev('X', 9), 0);
	ck_assert_int_eq(find_ev('R', 7), 1);
	ck_assert_int_eq(find_ev('D', 100), 2);
	ck_assert(fk_ev[2].fd_ok);
}
END_TEST

START_TEST(test_lifetime_refcounts)
{
	struct nestio_device *d = new_vfio(ctx);
	int fd = nestio_device_get_fd(d);

	ck_assert_ptr_eq(nestio_device_ref(d), d);
	ck_assert_ptr_eq(nestio_device_ref(d), d);
	ck_assert_ptr_null(nestio_device_unref(d));
	ck_assert_ptr_null(nestio_device_unref(d));
	ck_assert(fd_open(fd));
	ck_assert_ptr_null(nestio_device_unref(d));
	ck_assert(!fd_open(fd));
	ck_assert_ptr_eq(nestio_ioas_ref(ioas), ioas);
	ck_assert_ptr_null(nestio_ioas_unref(ioas));
	ck_assert_int_eq(fk_nev, 0);
	ioas = nestio_ioas_unref(ioas);		/* the last one destroys */
	ck_assert_int_eq(fk_nev, 1);
	ck_assert_int_eq(find_ev('D', 100), 0);
}
END_TEST

/* ================================================================== log */

static int log_n, log_prio;
static struct nestio_ctx *log_ctx;
static char log_text[1024];

static void log_to_buf(struct nestio_ctx *c, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	size_t len = strlen(log_text);

	log_n++;
	log_prio = priority;
	log_ctx = c;
	ck_assert(file && line > 0 && fn);
	if (len < sizeof(log_text) - 2) {
		vsnprintf(log_text + len, sizeof(log_text) - len - 1, format, args);
		strcat(log_text, "\n");
	}
}

START_TEST(test_log_fn)
{
	struct nestio_ioas *i;

	log_n = 0;
	ck_assert_int_eq(nestio_ctx_set_log_fn(ctx, log_to_buf), 0);
	ck_assert_int_eq(nestio_ctx_set_log_priority(ctx, LOG_ERR), 0);
	i = new_ioas(ctx);
	ck_assert_int_eq(log_n, 0);		/* debug is filtered out */
	fk_fail(KABI_IOMMU_DESTROY, EBUSY, 1);	/* an error is logged */
	i = nestio_ioas_unref(i);
	ck_assert_int_eq(log_n, 1);
	ck_assert_int_eq(log_prio, LOG_ERR);
	ck_assert_ptr_eq(log_ctx, ctx);
	/* debug: every ioctl, by name */
	ck_assert_int_eq(nestio_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
	ck_assert_int_eq(nestio_ctx_get_log_priority(ctx), LOG_DEBUG);
	log_n = 0;
	log_text[0] = '\0';
	i = new_ioas(ctx);
	ck_assert_int_gt(log_n, 0);
	ck_assert_int_eq(log_prio, LOG_DEBUG);
	ck_assert_msg(strstr(log_text, "IOMMU_IOAS_ALLOC"), "log: %s", log_text);
	/* back to the default sink (stderr): ours is no longer called */
	ck_assert_int_eq(nestio_ctx_set_log_fn(ctx, NULL), 0);
	log_n = 0;
	i = nestio_ioas_unref(i);
	ck_assert_int_eq(log_n, 0);
}
END_TEST

START_TEST(test_log_env)
{
	static const struct { const char *val; int prio; } cases[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "err", LOG_ERR },
		{ "7", LOG_DEBUG }, { "4", LOG_WARNING }, { "0", 0 },
		{ "99", LOG_ERR }, { "bogus", LOG_ERR }, { "debugx", LOG_ERR },
		{ NULL, LOG_ERR },
	};
	const char *old = getenv("NESTIO_LOG");
	char *saved = old ? strdup(old) : NULL;

	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		struct nestio_ctx *c;

		if (cases[k].val)
			setenv("NESTIO_LOG", cases[k].val, 1);
		else
			unsetenv("NESTIO_LOG");
		c = new_ctx();
		ck_assert_msg(nestio_ctx_get_log_priority(c) == cases[k].prio,
			      "NESTIO_LOG=%s: %d", cases[k].val ? cases[k].val : "",
			      nestio_ctx_get_log_priority(c));
		c = nestio_ctx_unref(c);
	}
	if (saved)
		setenv("NESTIO_LOG", saved, 1);
	else
		unsetenv("NESTIO_LOG");
	free(saved);
}
END_TEST

/* ================================================================= open */

static const char *sysroot;

static void setup_sysfs(void)
{
	setup_seam();
	sysroot = tu_fake_sysfs_new();	/* /sys/... is looked up in there */
	tu_fake_sysfs_mkdir("bus/pci/devices/0000:00:03.0/vfio-dev/vfio97");
	tu_fake_sysfs_mkdir("bus/pci/devices/0000:00:0a.0/vfio-dev/vfio98");
	tu_fake_sysfs_mkdir("bus/pci/devices/0000:00:04.0");		/* not vfio-pci */
	tu_fake_sysfs_mkdir("bus/pci/devices/0000:00:05.0/vfio-dev/vfio");	/* no number */
	tu_fake_sysfs_mkdir("bus/pci/devices/0000:00:05.0/vfio-dev/other");
}

static void teardown_sysfs(void)
{
	tu_fake_sysfs_free();
	teardown_seam();
}

START_TEST(test_open_names)
{
	static const char *bad[] = {
		"vfio7", "0000:00:03", "00:03", "zz:03.0", "00:20.0", "00:03.8",
		"0000:00:03.0x", "00:03.0 ", "00000:00:03.0", "00:003.0",
		"devices/vfio7", " 000:00:03.0", "-001:00:03.0", "+0:03.0",
		"0x:03.0", "00:03.0\n",
	};
	struct nestio_device *d = (void *)&rec;
	char name[PATH_MAX + 16];

	for (size_t k = 0; k < ARRAY_SIZE(bad); k++)
		EXPECT_NOIO(nestio_device_open(ctx, bad[k], &d), -EINVAL);
	memset(name, 'a', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	memcpy(name, "/dev/", 5);
	EXPECT_NOIO(nestio_device_open(ctx, name, &d), -ENAMETOOLONG);
	name[1] = 's';		/* a sysfs path */
	EXPECT_NOIO(nestio_device_open(ctx, name, &d), -ENAMETOOLONG);
	ck_assert_ptr_eq(d, (void *)&rec);
}
END_TEST

START_TEST(test_open_sysfs)
{
	static const char *found[] = { "0000:00:03.0", "00:03.0", "00:0A.0",
				       "0000:00:0a.0" };
	static const char *none[] = { "0000:00:04.0", "00:05.0", "0000:00:06.0" };
	struct nestio_device *d = (void *)&rec;
	char path[PATH_MAX];
	bool nodes = !access("/dev/vfio/devices/vfio97", F_OK) ||
		     !access("/dev/vfio/devices/vfio98", F_OK);

	/* resolved to /dev/vfio/devices/vfio97 (98), which is not there */
	for (size_t k = 0; k < ARRAY_SIZE(found) && !nodes; k++)
		EXPECT_NOIO(nestio_device_open(ctx, found[k], &d), -ENOENT);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:00:03.0", sysroot);
	if (!nodes)
		EXPECT_NOIO(nestio_device_open(ctx, path, &d), -ENOENT);
	/* no vfio-dev, or nothing usable in it, or no such device */
	for (size_t k = 0; k < ARRAY_SIZE(none); k++)
		EXPECT_NOIO(nestio_device_open(ctx, none[k], &d), -ENODEV);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:00:04.0", sysroot);
	EXPECT_NOIO(nestio_device_open(ctx, path, &d), -ENODEV);
	EXPECT_NOIO(nestio_device_open(ctx, "/dev/vfio/devices/vfio-none", &d), -ENOENT);
	ck_assert_ptr_eq(d, (void *)&rec);

	/* a character device outside /dev (a cdev bind-mounted into a
	 * container) is opened as the cdev, not read as a sysfs directory */
	snprintf(path, sizeof(path), "%s/node", sysroot);
	if (mknod(path, S_IFCHR | 0600, makedev(1, 3)) == 0) {	/* like /dev/null */
		ck_assert_int_eq(nestio_device_open(ctx, path, &d), 0);
		ck_assert_int_eq(tu_ncalls, 1);
		ck_assert_uint_eq(tu_calls[0].request, KABI_VFIO_DEVICE_BIND_IOMMUFD);
		ck_assert(tu_fd_is_cloexec(nestio_device_get_fd(d)));
		d = nestio_device_unref(d);
	} else {
		ck_assert_int_eq(errno, EPERM);	/* not root: nothing to show */
	}
}
END_TEST


int main(void)
{
	Suite *s = suite_create("lifetime");
	TCase *tc;

	tc = fk_tcase(s, "lifetime", setup_objs, teardown_objs);
	tcase_add_test(tc, test_lifetime_orders);
	tcase_add_test(tc, test_lifetime_pins);
	tcase_add_test(tc, test_lifetime_refcounts);
	tc = fk_tcase(s, "log", setup_seam, teardown_seam);
	tcase_add_test(tc, test_log_fn);
	tcase_add_test(tc, test_log_env);
	tc = fk_tcase(s, "open", setup_sysfs, teardown_sysfs);
	tcase_add_test(tc, test_open_names);
	tcase_add_test(tc, test_open_sysfs);
	return tu_run(s);
}
