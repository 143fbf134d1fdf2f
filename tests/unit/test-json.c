// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1, hermetic: nestioctl's JSON writer (tools/json.c). Escaping of
 * every kind of awkward byte, invalid UTF-8, nesting and its misuse; each
 * document written is compared byte for byte.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* a writer on a memory buffer; out() closes it and returns the text */
struct buf {
	char *text;
	size_t len;
	FILE *f;
	struct json j;
};

static void buf_open(struct buf *b)
{
	b->text = NULL;
	b->len = 0;
	b->f = open_memstream(&b->text, &b->len);
	ck_assert_ptr_nonnull(b->f);
	json_init(&b->j, b->f);
}

static const char *buf_out(struct buf *b)
{
	ck_assert_int_eq(fclose(b->f), 0);
	b->f = NULL;
	return b->text;
}

/* a top-level string value's document */
static void check_string(const char *in, size_t len, const char *want)
{
	struct buf b;

	buf_open(&b);
	json_string_len(&b.j, NULL, in, len);
	ck_assert(!b.j.error);
	ck_assert_str_eq(buf_out(&b), want);
	free(b.text);
}

START_TEST(test_escapes)
{
	check_string("plain", 5, "\"plain\"\n");
	check_string("", 0, "\"\"\n");
	check_string("a\"b\\c", 5, "\"a\\\"b\\\\c\"\n");
	check_string("l1\nl2\tx", 7, "\"l1\\nl2\\tx\"\n");
	/* other control bytes, DEL and a NUL in the middle: \u form */
	check_string("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"\n");
	check_string("a\0b", 3, "\"a\\u0000b\"\n");
	check_string("\r\b\f", 3, "\"\\u000d\\u0008\\u000c\"\n");
	/* '/' needs no escape */
	check_string("/dev/vfio/devices/vfio0", 23, "\"/dev/vfio/devices/vfio0\"\n");
}
END_TEST

START_TEST(test_utf8)
{
	/* valid UTF-8 passes through: 2, 3 and 4 byte forms */
	check_string("\xc3\xa9", 2, "\"\xc3\xa9\"\n");
	check_string("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"\n");
	check_string("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"\n");
	/* invalid: a stray continuation byte, a truncated sequence, an
	 * overlong '/', a surrogate, beyond U+10FFFF, 0xff: each bad byte
	 * becomes U+FFFD and the rest is kept */
	check_string("a\x80z", 3, "\"a\\ufffdz\"\n");
	check_string("\xe2\x82", 2, "\"\\ufffd\\ufffd\"\n");
	check_string("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"\n");
	check_string("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"\n");
	check_string("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"\n");
	check_string("\xff", 1, "\"\\ufffd\"\n");
	/* a 2-byte lead at the very end */
	check_string("ok\xc3", 3, "\"ok\\ufffd\"\n");
}
END_TEST

START_TEST(test_document)
{
	struct buf b;

	buf_open(&b);
	json_object_begin(&b.j, NULL);
	json_string(&b.j, "bdf", "0000:00:03.0");
	json_u64(&b.j, "dev_id", 18446744073709551615ull);
	json_i64(&b.j, "delta", -9223372036854775807ll - 1);
	json_bool(&b.j, "ok", true);
	json_bool(&b.j, "bad", false);
	json_null(&b.j, "none");
	json_string(&b.j, "null_string", NULL);
	json_hex(&b.j, "reg", 0x480080f00f4aull);
	json_array_begin(&b.j, "caps");
	json_string(&b.j, NULL, "nesting");
	json_object_begin(&b.j, NULL);
	json_array_begin(&b.j, "empty");
	json_array_end(&b.j);
	json_object_end(&b.j);
	json_array_end(&b.j);
	json_object_begin(&b.j, "k\"ey");
	json_object_end(&b.j);
	json_object_end(&b.j);
	ck_assert(!b.j.error);
	ck_assert_int_eq(b.j.depth, 0);
	ck_assert_str_eq(buf_out(&b),
			 "{\"bdf\":\"0000:00:03.0\",\"dev_id\":18446744073709551615,"
			 "\"delta\":-9223372036854775808,\"ok\":true,\"bad\":false,"
			 "\"none\":null,\"null_string\":null,\"reg\":\"0x480080f00f4a\","
			 "\"caps\":[\"nesting\",{\"empty\":[]}],\"k\\\"ey\":{}}\n");
	free(b.text);
}
END_TEST

START_TEST(test_stream)
{
	struct buf b;

	/* a stream: one object per line, each complete */
	buf_open(&b);
	for (int i = 0; i < 3; i++) {
		json_object_begin(&b.j, NULL);
		json_u64(&b.j, "n", (uint64_t)i);
		json_object_end(&b.j);
	}
	ck_assert(!b.j.error);
	ck_assert_str_eq(buf_out(&b), "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");
	free(b.text);
}
END_TEST

/* Each misuse sets error and writes nothing more from then on. */
START_TEST(test_misuse)
{
	struct buf b;

	/* a key at the top level */
	buf_open(&b);
	json_string(&b.j, "key", "v");
	ck_assert(b.j.error);
	ck_assert_str_eq(buf_out(&b), "");
	free(b.text);

	/* a value without a key inside an object */
	buf_open(&b);
	json_object_begin(&b.j, NULL);
	json_u64(&b.j, NULL, 1);
	ck_assert(b.j.error);
	json_object_end(&b.j);	/* ignored once in error */
	ck_assert_str_eq(buf_out(&b), "{");
	free(b.text);

	/* a key inside an array */
	buf_open(&b);
	json_array_begin(&b.j, NULL);
	json_bool(&b.j, "k", true);
	ck_assert(b.j.error);
	ck_assert_str_eq(buf_out(&b), "[");
	free(b.text);

	/* more ends than begins */
	buf_open(&b);
	json_object_end(&b.j);
	ck_assert(b.j.error);
	ck_assert_str_eq(buf_out(&b), "");
	free(b.text);

	/* an array closed as an object */
	buf_open(&b);
	json_array_begin(&b.j, NULL);
	json_object_end(&b.j);
	ck_assert(b.j.error);
	ck_assert_str_eq(buf_out(&b), "[");
	free(b.text);

	/* deeper than JSON_MAX_DEPTH */
	buf_open(&b);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_array_begin(&b.j, NULL);
	ck_assert(!b.j.error);
	json_array_begin(&b.j, NULL);
	ck_assert(b.j.error);
	ck_assert_int_eq(b.j.depth, JSON_MAX_DEPTH);
	ck_assert_uint_eq(strlen(buf_out(&b)), JSON_MAX_DEPTH);
	free(b.text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_escapes);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_document);
	tcase_add_test(tc, test_stream);
	tcase_add_test(tc, test_misuse);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
