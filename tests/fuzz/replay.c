// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The committed corpus as a regression test (`make check`, no clang
 * needed): feeds every file of tests/fuzz/corpus/FUZZ_TARGET/ (or of the
 * files and directories named on the command line) to the target's
 * LLVMFuzzerTestOneInput(), built with the normal compiler. A wrong answer
 * aborts, as it does under libFuzzer; a target that needs something this
 * machine lacks skips (77).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
/* a target may define it; a weak one stands in when it does not */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int nfiles;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *b = realloc(buf, cap = cap ? 2 * cap : 4096);

			if (!b) {
				fclose(f);
				free(buf);
				return -1;
			}
			buf = b;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);
	/* exactly the bytes, in a buffer of their own size (ASan, valgrind) */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	nfiles++;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path)
{
	struct stat st;
	struct dirent *d;
	char **names = NULL;
	size_t n = 0;
	int r = 0;
	DIR *dir;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		char **nn;

		if (d->d_name[0] == '.')
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn)
			break;
		names = nn;
		names[n] = malloc(strlen(path) + strlen(d->d_name) + 2);
		if (!names[n])
			break;
		sprintf(names[n++], "%s/%s", path, d->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), cmp);	/* the same order everywhere */
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	char dflt[PATH_MAX];
	const char *top = getenv("top_srcdir");
	int r = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		snprintf(dflt, sizeof(dflt), "%s/tests/fuzz/corpus/%s",
			 top ? top : ".", FUZZ_TARGET);
		r = run_path(dflt);
	}
	for (int i = 1; i < argc && r == 0; i++)
		r = run_path(argv[i]);
	if (r == 0 && nfiles == 0) {
		fprintf(stderr, "replay %s: no corpus files\n", FUZZ_TARGET);
		return 1;
	}
	if (r)
		return 1;
	printf("replay %s: %d inputs, no wrong answer\n", FUZZ_TARGET, nfiles);
	printf("NESTIO-REL replay.%s inputs %d wrong 0\n", FUZZ_TARGET, nfiles);
	return 0;
}
