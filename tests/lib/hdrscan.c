// SPDX-License-Identifier: LGPL-2.1-or-later
/* The ABI test's header scanner (hdrscan.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrscan.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* blank out comments, keeping the line structure */
static void strip_comments(char *s)
{
	for (char *p = s; *p; p++) {
		if (p[0] == '/' && p[1] == '*') {
			for (; *p && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p != '\n')
					*p = ' ';
			if (*p)
				p[0] = p[1] = ' ';
		} else if (p[0] == '/' && p[1] == '/') {
			for (; *p && *p != '\n'; p++)
				*p = ' ';
		}
	}
}

static size_t ident(const char *s)
{
	size_t n = 0;

	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

struct scan {
	const char *upper, *lower;	/* "KABI_" and "kabi_", or MOCK_ ones */
	bool (*checked)(const char *name);
	char missing[4096];
	int nmissing, nnames;
};

static void need(struct scan *sc, const char *name)
{
	static const char *const helpers[] = { "KABI_ALIGNED_U64", "KABI_IOMMUFD_IO" };

	for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
		if (!strcmp(name, helpers[i]))
			return;
	sc->nnames++;
	if (sc->checked(name))
		return;
	sc->nmissing++;
	if (strlen(sc->missing) + strlen(name) + 3 < sizeof(sc->missing)) {
		strcat(sc->missing, " ");
		strcat(sc->missing, name);
	}
}

/*
 * Names the header declares: #define and enumerator constants with the
 * upper prefix, structs with the lower one and their fields, nested
 * struct/union members as a.b (anonymous unions add no component).
 */
static void scan_header(struct scan *sc, char *text)
{
	char strct[128] = "";
	int depth = 0, in_enum = 0;
	size_t first[8];	/* where each nesting level's names start */
	char names[128][192];
	size_t nnames = 0;

	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *p = line + strspn(line, " \t");
		size_t n, start, end;

		if (!strncmp(p, "#define ", 8)) {
			p += 8;
			n = ident(p);
			if (!strncmp(p, sc->upper, strlen(sc->upper))) {
				char name[128];

				snprintf(name, sizeof(name), "%.*s", (int)n, p);
				need(sc, name);
			}
			continue;
		}
		if (!depth && !strncmp(p, "enum", 4) && strchr(p, '{')) {
			in_enum = 1;
			continue;
		}
		if (in_enum) {
			n = ident(p);
			if (*p == '}')
				in_enum = 0;
			else if (n && !strncmp(p, sc->upper, strlen(sc->upper))) {
				char name[128];

				snprintf(name, sizeof(name), "%.*s", (int)n, p);
				need(sc, name);
			}
			continue;
		}
		if (!depth && !strncmp(p, "struct ", 7) && strchr(p, '{')) {
			p += 7;
			n = ident(p);
			if (strncmp(p, sc->lower, strlen(sc->lower)))
				continue;
			snprintf(strct, sizeof(strct), "%.*s", (int)n, p);
			need(sc, strct);
			depth = 1;
			first[0] = nnames = 0;
			continue;
		}
		if (!depth)
			continue;
		if (strchr(p, '{')) {		/* a nested struct or union */
			ck_assert_int_lt(depth, 8);
			first[depth++] = nnames;
			continue;
		}
		if (*p == '}') {		/* "} name;", "};" */
			char *nm = p + 1 + strspn(p + 1, " \t");

			n = ident(nm);
			depth--;
			if (!depth) {
				for (size_t i = 0; i < nnames; i++) {
					char full[sizeof(strct) + sizeof(names[0]) + 1];

					snprintf(full, sizeof(full), "%s.%s", strct, names[i]);
					need(sc, full);
				}
				continue;
			}
			for (size_t i = first[depth]; n && i < nnames; i++) {
				char tmp[sizeof(names[0])];
				size_t len = strlen(names[i]);

				if (n + 1 + len >= sizeof(tmp))
					continue;	/* cannot happen in our headers */
				memcpy(tmp, nm, n);
				tmp[n] = '.';
				memcpy(tmp + n + 1, names[i], len + 1);
				memcpy(names[i], tmp, sizeof(tmp));
			}
			continue;
		}
		if (!strchr(p, ';') || nnames >= sizeof(names) / sizeof(names[0]))
			continue;
		/* a field: its name is the last identifier before [ or ; */
		end = strcspn(p, "[;");
		while (end && isspace((unsigned char)p[end - 1]))
			end--;
		for (start = end; start && (isalnum((unsigned char)p[start - 1]) ||
					    p[start - 1] == '_'); start--)
			;
		snprintf(names[nnames++], sizeof(names[0]), "%.*s",
			 (int)(end - start), p + start);
	}
}

void hdrscan_check(const char *rel, const char *upper, const char *lower,
		   int min_names, bool (*checked)(const char *name))
{
	const char *top = getenv("top_srcdir");
	char path[4096], *text;
	struct scan sc = { .upper = upper, .lower = lower, .checked = checked };

	if (top)
		snprintf(path, sizeof(path), "%s/%s", top, rel);
	else	/* run by hand: next to this source file */
		snprintf(path, sizeof(path), "%.*s/../../%s",
			 (int)(strrchr(__FILE__, '/') ? strrchr(__FILE__, '/') - __FILE__ : 1),
			 strrchr(__FILE__, '/') ? __FILE__ : ".", rel);
	text = slurp(path);
	ck_assert_msg(text, "cannot read %s (is top_srcdir set?)", path);
	strip_comments(text);
	scan_header(&sc, text);
	free(text);
	ck_assert_msg(sc.nnames >= min_names, "%s: only %d names found: parser broken?",
		      path, sc.nnames);
	ck_assert_msg(sc.nmissing == 0, "%s: %d of %d names not checked against the kernel:%s",
		      rel, sc.nmissing, sc.nnames, sc.missing);
}
