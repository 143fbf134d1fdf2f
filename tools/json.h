/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nestioctl's JSON writer: one value at a time onto a FILE, always valid
 * JSON (strings escaped, invalid UTF-8 replaced by U+FFFD, nesting
 * checked). `--json` prints one top-level object per line.
 *
 *	struct json j;
 *	json_init(&j, stdout);
 *	json_object_begin(&j, NULL);
 *	json_string(&j, "bdf", "0000:00:03.0");
 *	json_u64(&j, "dev_id", 3);
 *	json_array_begin(&j, "caps");
 *	json_string(&j, NULL, "nesting");
 *	json_array_end(&j);
 *	json_object_end(&j);	(top level closed: prints a newline, flushes)
 *
 * Inside an object every value has a key; inside an array and at the top
 * level the key is NULL. A misuse (a key where none belongs, more ends than
 * begins, deeper than JSON_MAX_DEPTH) sets j->error and writes nothing.
 */
#ifndef NESTIOCTL_JSON_H
#define NESTIOCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;			/* open objects and arrays */
	bool in_object[JSON_MAX_DEPTH];	/* else in an array */
	bool has_member[JSON_MAX_DEPTH];	/* a comma is due */
	bool error;
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
/* s == NULL writes null */
void json_string(struct json *j, const char *key, const char *s);
/* len bytes of s, which may hold NUL bytes (written as \u0000) */
void json_string_len(struct json *j, const char *key, const char *s, size_t len);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* a string "0x..." (JSON numbers lose precision past 2^53) */
void json_hex(struct json *j, const char *key, uint64_t v);

#endif
