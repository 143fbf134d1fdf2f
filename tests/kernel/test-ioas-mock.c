// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 2: every ctx and ioas call against the kernel's IOMMUFD_TEST mock
 * driver. Where the mock can report the kernel's view (MD_CHECK_MAP), the
 * test asks it rather than trusting the library's own bookkeeping.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kabi.h"
#include "mock.h"
#include "mockdev.h"

#define PAGE 4096u

/* ------------------------------------------------------------------ ctx */

START_TEST(test_ctx)
{
	struct nestio_ctx *c2 = NULL;
	uint64_t v = 99;

	ck_assert(tu_fd_is_cloexec(tu_ifd));
	/* 7.2 has every command the library knows */
	for (int f = 0; f < NESTIO_FEATURE_MAX; f++)
		ck_assert_msg(nestio_ctx_has_feature(tu_ctx, f) == 1, "feature %s",
			      nestio_feature_name(f));
	ck_assert_int_eq(nestio_ctx_new_from_fd(tu_ifd, &c2), 0);
	ck_assert_int_ne(nestio_ctx_get_fd(c2), tu_ifd);
	ck_assert(tu_fd_is_cloexec(nestio_ctx_get_fd(c2)));
	ck_assert_ptr_eq(nestio_ctx_ref(c2), c2);
	ck_assert_ptr_null(nestio_ctx_unref(c2));
	ck_assert_ptr_null(nestio_ctx_unref(c2));

	ck_assert_int_eq(nestio_ctx_get_option(tu_ctx, NESTIO_OPTION_RLIMIT_MODE, &v), 0);
	ck_assert_uint_eq(v, 0);	/* per user by default */
	ck_assert_int_eq(nestio_ctx_set_option(tu_ctx, NESTIO_OPTION_RLIMIT_MODE, 1), 0);
	ck_assert_int_eq(nestio_ctx_get_option(tu_ctx, NESTIO_OPTION_RLIMIT_MODE, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(nestio_ctx_get_option(tu_ctx, NESTIO_OPTION_HUGE_PAGES, &v), -EINVAL);
	ck_assert_int_eq(nestio_ctx_change_process(tu_ctx), 0);
}
END_TEST

/* ----------------------------------------------------------------- ioas */

START_TEST(test_ioas_map_unmap)
{
	struct nestio_ioas *ioas = NULL;
	struct tu_mock_dev md;
	uint64_t iova = 0, fixed, unmapped = 0;
	uint32_t id;

	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &ioas), 0);
	id = nestio_ioas_get_id(ioas);
	ck_assert_uint_ne(id, 0);
	ck_assert_ptr_eq(nestio_ioas_get_ctx(ioas), tu_ctx);

	/* a mock device on the IOAS gives a mock domain we can inspect */
	ck_assert_int_eq(tu_mock_domain(tu_ifd, id, 0, &md), 0);

	ck_assert_int_eq(nestio_ioas_map(ioas, tu_buf, 4 * PAGE, &iova,
					 NESTIO_MAP_READ | NESTIO_MAP_WRITE), 0);
	ck_assert_uint_ge(iova, MOCK_APERTURE_START);
	ck_assert_int_eq(tu_mock_check_map(tu_ifd, md.hwpt_id, iova, 4 * PAGE, tu_buf), 0);
	/* the kernel's view must be exact: a wrong page is caught */
	ck_assert_int_ne(tu_mock_check_map(tu_ifd, md.hwpt_id, iova, PAGE, tu_buf + PAGE), 0);

	fixed = MOCK_APERTURE_START + 0x100000;
	ck_assert_int_eq(nestio_ioas_map(ioas, tu_buf + 8 * PAGE, 2 * PAGE, &fixed,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_uint_eq(fixed, MOCK_APERTURE_START + 0x100000);
	ck_assert_int_eq(tu_mock_check_map(tu_ifd, md.hwpt_id, fixed, 2 * PAGE,
					   tu_buf + 8 * PAGE), 0);
	/* the same fixed IOVA again is taken */
	ck_assert_int_eq(nestio_ioas_map(ioas, tu_buf, PAGE, &fixed,
					 NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), -EEXIST);

	ck_assert_int_eq(nestio_ioas_unmap(ioas, fixed, 2 * PAGE, &unmapped), 0);
	ck_assert_uint_eq(unmapped, 2 * PAGE);
	ck_assert_int_ne(tu_mock_check_map(tu_ifd, md.hwpt_id, fixed, PAGE, tu_buf + 8 * PAGE), 0);
	ck_assert_int_eq(nestio_ioas_unmap(ioas, fixed, 2 * PAGE, NULL), -ENOENT);
	ck_assert_int_eq(nestio_ioas_unmap_all(ioas, &unmapped), 0);
	ck_assert_uint_eq(unmapped, 4 * PAGE);

	tu_mock_destroy(&md);
	ck_assert(tu_kernel_has(tu_ifd, id));
	nestio_ioas_unref(ioas);
	ck_assert(!tu_kernel_has(tu_ifd, id));
}
END_TEST

START_TEST(test_ioas_map_file)
{
	struct nestio_ioas *ioas = NULL;
	struct tu_mock_dev md;
	uint64_t iova = 0;
	unsigned char *p;
	int mfd;

	mfd = memfd_create("nestio-test", MFD_CLOEXEC);
	ck_assert_int_ge(mfd, 0);
	ck_assert_int_eq(ftruncate(mfd, 4 * PAGE), 0);
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, 0x42, 4 * PAGE);

	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &ioas), 0);
	ck_assert_int_eq(tu_mock_domain(tu_ifd, nestio_ioas_get_id(ioas), 0, &md), 0);
	ck_assert_int_eq(nestio_ioas_map_file(ioas, mfd, PAGE, 2 * PAGE, &iova,
					      NESTIO_MAP_READ | NESTIO_MAP_WRITE), 0);
	/* the file's page 1 is the memory the mapping of page 1 shows */
	ck_assert_int_eq(tu_mock_check_map(tu_ifd, md.hwpt_id, iova, 2 * PAGE, p + PAGE), 0);
	ck_assert_int_eq(nestio_ioas_map_file(ioas, mfd, 1, PAGE, &iova,
					      NESTIO_MAP_READ), -EINVAL);
	munmap(p, 4 * PAGE);
	close(mfd);
	tu_mock_destroy(&md);
	nestio_ioas_unref(ioas);
}
END_TEST

START_TEST(test_ioas_copy)
{
	struct nestio_ioas *a = NULL, *b = NULL;
	struct tu_mock_dev ma, mb;
	uint64_t ia = 0, ib = MOCK_APERTURE_START + 0x200000;

	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &a), 0);
	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &b), 0);
	ck_assert_int_eq(tu_mock_domain(tu_ifd, nestio_ioas_get_id(a), 0, &ma), 0);
	ck_assert_int_eq(tu_mock_domain(tu_ifd, nestio_ioas_get_id(b), 0, &mb), 0);
	ck_assert_int_eq(nestio_ioas_map(a, tu_buf, 4 * PAGE, &ia,
					 NESTIO_MAP_READ | NESTIO_MAP_WRITE), 0);
	/* copy the middle two pages of a's mapping into b at a fixed IOVA */
	ck_assert_int_eq(nestio_ioas_copy(b, &ib, a, ia + PAGE, 2 * PAGE,
					  NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA), 0);
	ck_assert_uint_eq(ib, MOCK_APERTURE_START + 0x200000);
	ck_assert_int_eq(tu_mock_check_map(tu_ifd, mb.hwpt_id, ib, 2 * PAGE, tu_buf + PAGE), 0);
	/* copying from nothing fails */
	ib = 0;
	ck_assert_int_eq(nestio_ioas_copy(b, &ib, a, ia + 8 * PAGE, PAGE,
					  NESTIO_MAP_READ), -ENOENT);
	tu_mock_destroy(&ma);
	tu_mock_destroy(&mb);
	nestio_ioas_unref(a);
	nestio_ioas_unref(b);
}
END_TEST

START_TEST(test_ioas_ranges_allow)
{
	struct nestio_iova_range *r = NULL, allow[2];
	struct nestio_ioas *ioas = NULL;
	struct tu_mock_dev md;
	uint64_t align = 0, iova;
	size_t nr = 0;

	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &ioas), 0);
	/* an empty IOAS allows everything */
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, &align), 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_uint_eq(r[0].start, 0);
	nestio_iova_ranges_free(r);

	/* a mock device narrows it to the mock's aperture */
	ck_assert_int_eq(tu_mock_domain(tu_ifd, nestio_ioas_get_id(ioas), 0, &md), 0);
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, &align), 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_uint_eq(r[0].start, MOCK_APERTURE_START);
	ck_assert_uint_eq(r[0].last, MOCK_APERTURE_LAST);
	ck_assert_uint_ne(align, 0);
	nestio_iova_ranges_free(r);

	/* allow only two windows: kernel-chosen IOVAs land inside them */
	allow[0].start = MOCK_APERTURE_START + 0x400000;
	allow[0].last = allow[0].start + 4 * PAGE - 1;
	allow[1].start = MOCK_APERTURE_START + 0x800000;
	allow[1].last = allow[1].start + 4 * PAGE - 1;
	ck_assert_int_eq(nestio_ioas_allow_iovas(ioas, allow, 2), 0);
	/* the reported ranges are what is not reserved: allowing does not
	 * change them (the kernel restricts its own IOVA choice instead) */
	ck_assert_int_eq(nestio_ioas_get_iova_ranges(ioas, &r, &nr, NULL), 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_uint_eq(r[0].start, MOCK_APERTURE_START);
	nestio_iova_ranges_free(r);
	iova = 0;
	ck_assert_int_eq(nestio_ioas_map(ioas, tu_buf, 4 * PAGE, &iova, NESTIO_MAP_READ), 0);
	ck_assert(iova == allow[0].start || iova == allow[1].start);
	/* allowed windows are a promise: a device whose aperture does not
	 * cover them can no longer attach to this IOAS */
	{
		struct nestio_ioas *low = NULL;
		struct nestio_iova_range below = { 0x1000, 0x1fff };
		struct tu_mock_dev m2;

		ck_assert_int_eq(nestio_ioas_new(tu_ctx, &low), 0);
		ck_assert_int_eq(nestio_ioas_allow_iovas(low, &below, 1), 0);
		ck_assert_int_lt(tu_mock_domain(tu_ifd, nestio_ioas_get_id(low), 0, &m2), 0);
		/* a reversed range is refused before any ioctl */
		below.start = 0x2000;
		ck_assert_int_eq(nestio_ioas_allow_iovas(low, &below, 1), -EINVAL);
		nestio_ioas_unref(low);
	}
	tu_mock_destroy(&md);
	nestio_ioas_unref(ioas);
}
END_TEST

START_TEST(test_ioas_option)
{
	struct nestio_ioas *ioas = NULL;
	uint64_t v = 0;

	ck_assert_int_eq(nestio_ioas_new(tu_ctx, &ioas), 0);
	ck_assert_int_eq(nestio_ioas_get_option(ioas, NESTIO_OPTION_HUGE_PAGES, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(nestio_ioas_set_option(ioas, NESTIO_OPTION_HUGE_PAGES, 0), 0);
	ck_assert_int_eq(nestio_ioas_get_option(ioas, NESTIO_OPTION_HUGE_PAGES, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(nestio_ioas_set_option(ioas, NESTIO_OPTION_RLIMIT_MODE, 0), -EINVAL);
	nestio_ioas_unref(ioas);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ioas-mock");
	TCase *tc = tcase_create("ioas-mock");

	tu_require_mock();
	tcase_add_checked_fixture(tc, tu_mock_setup, tu_mock_teardown);
	tcase_add_test(tc, test_ctx);
	tcase_add_test(tc, test_ioas_map_unmap);
	tcase_add_test(tc, test_ioas_map_file);
	tcase_add_test(tc, test_ioas_copy);
	tcase_add_test(tc, test_ioas_ranges_allow);
	tcase_add_test(tc, test_ioas_option);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
