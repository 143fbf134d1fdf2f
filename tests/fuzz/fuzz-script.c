// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the nestioctl script parser (tools/script-parse.c) on
 * any bytes. It must never crash, read or write out of bounds, leak, or
 * give an error without naming its line. Built by `make fuzz` and `make
 * fuzz-smoke` when configure finds a clang that takes -fsanitize=fuzzer;
 * its corpus (the example scripts) is replayed by `make check`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "script.h"

static const char *getvar(const char *name, void *d)
{
	(void)d;
	if (!strcmp(name, "BDF"))
		return "0000:00:03.0";
	if (!strcmp(name, "LONG"))
		return "a rather long value with blanks and \"quotes\" {ctx} ${BDF}";
	return NULL;
}

static int each(const struct script_cmd *cmd, void *d)
{
	unsigned int *n = d;

	/* what the interpreter relies on */
	if (cmd->verb >= SV_COUNT || cmd->npos > SCRIPT_MAX_WORDS ||
	    cmd->nwords > SCRIPT_MAX_WORDS || cmd->nrefs > SCRIPT_MAX_REFS)
		abort();
	for (unsigned int i = 0; i < cmd->nrefs; i++)
		if (cmd->refs[i].word >= cmd->nwords ||
		    cmd->refs[i].end > strlen(cmd->words[cmd->refs[i].word]))
			abort();
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script *s = script_new(getvar, NULL);
	unsigned int n = 0;
	char err[256];
	int r;

	if (!s)
		return 0;
	err[0] = '\0';
	r = script_parse_text(s, (const char *)data, size, each, &n, err, sizeof(err));
	if (r < 0 && strncmp(err, "line ", 5))
		abort();	/* every error names its line */
	if (r >= 0 && (unsigned int)r != n)
		abort();
	script_free(s);
	return 0;
}
