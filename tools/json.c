// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestioctl's JSON writer (json.h). */
#include <inttypes.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* The length of the valid UTF-8 sequence at s (of at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* s[0..n) as a JSON string, quoted. */
static void write_escaped(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(s + i, n - i);

		if (len == 0) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		if (len > 1) {
			fwrite(s + i, 1, len, f);
		} else if (s[i] == '"' || s[i] == '\\') {
			fputc('\\', f);
			fputc(s[i], f);
		} else if (s[i] == '\n') {
			fputs("\\n", f);
		} else if (s[i] == '\t') {
			fputs("\\t", f);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			fprintf(f, "\\u%04x", s[i]);
		} else {
			fputc(s[i], f);
		}
		i += len;
	}
	fputc('"', f);
}

/* The separator and key before a value; false (and j->error) on misuse. */
static bool json_member(struct json *j, const char *key)
{
	bool want_key = j->depth > 0 && j->in_object[j->depth - 1];

	if (j->error || want_key != (key != NULL)) {
		j->error = true;
		return false;
	}
	if (j->depth > 0) {
		if (j->has_member[j->depth - 1])
			fputc(',', j->f);
		j->has_member[j->depth - 1] = true;
	}
	if (key) {
		write_escaped(j->f, key, strlen(key));
		fputc(':', j->f);
	}
	return true;
}

/* A top-level value is done: one per line. */
static void json_value_done(struct json *j)
{
	if (j->depth == 0) {
		fputc('\n', j->f);
		fflush(j->f);
	}
}

void json_string_len(struct json *j, const char *key, const char *s,
		     size_t n)
{
	if (!json_member(j, key))
		return;
	write_escaped(j->f, s, n);
	json_value_done(j);
}

void json_string(struct json *j, const char *key, const char *s)
{
	if (s)
		json_string_len(j, key, s, strlen(s));
	else
		json_null(j, key);
}

static void json_begin(struct json *j, const char *key, bool object)
{
	if (j->depth >= JSON_MAX_DEPTH) {
		j->error = true;
		return;
	}
	if (!json_member(j, key))
		return;
	fputc(object ? '{' : '[', j->f);
	j->in_object[j->depth] = object;
	j->has_member[j->depth] = false;
	j->depth++;
}

static void json_end(struct json *j, bool object)
{
	if (j->error || j->depth == 0 || j->in_object[j->depth - 1] != object) {
		j->error = true;
		return;
	}
	j->depth--;
	fputc(object ? '}' : ']', j->f);
	json_value_done(j);
}

void json_object_begin(struct json *j, const char *key)
{
	json_begin(j, key, true);
}

void json_object_end(struct json *j)
{
	json_end(j, true);
}

void json_array_begin(struct json *j, const char *key)
{
	json_begin(j, key, false);
}

void json_array_end(struct json *j)
{
	json_end(j, false);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	if (!json_member(j, key))
		return;
	fprintf(j->f, "%" PRIu64, v);
	json_value_done(j);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	if (!json_member(j, key))
		return;
	fprintf(j->f, "%" PRId64, v);
	json_value_done(j);
}

void json_bool(struct json *j, const char *key, bool v)
{
	if (!json_member(j, key))
		return;
	fputs(v ? "true" : "false", j->f);
	json_value_done(j);
}

void json_null(struct json *j, const char *key)
{
	if (!json_member(j, key))
		return;
	fputs("null", j->f);
	json_value_done(j);
}

void json_hex(struct json *j, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	json_string(j, key, buf);
}
