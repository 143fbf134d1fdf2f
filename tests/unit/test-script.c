// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1: the nestioctl script parser (tools/script-parse.c), good and bad
 * input. Every error must name its line; the commands it gives are what
 * the interpreter runs, so their values are checked one by one.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

static const char *vars(const char *name, void *data)
{
	(void)data;
	if (!strcmp(name, "BDF"))
		return "0000:00:03.0";
	if (!strcmp(name, "TWO"))
		return "a b";
	return NULL;
}

static struct script *s;
static struct script_cmd *cmd;
static char err[512];

static void setup(void)
{
	s = script_new(vars, NULL);
	cmd = malloc(sizeof(*cmd));
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(cmd);
	err[0] = '\0';
}

static void teardown(void)
{
	script_free(s);
	free(cmd);
}

static unsigned int lineno;

/* parses one line; 1, 0 or -1 */
static int line(const char *text)
{
	return script_parse_line(s, text, strlen(text), ++lineno, cmd, err, sizeof(err));
}

static void ok(const char *text)
{
	int r = line(text);

	ck_assert_msg(r == 1, "'%s': %d %s", text, r, err);
}

/* the line is an error whose message starts "line N: " and holds want */
static void bad(const char *text, const char *want)
{
	char prefix[32];

	ck_assert_msg(line(text) == -1, "'%s' parsed", text);
	snprintf(prefix, sizeof(prefix), "line %u: ", lineno);
	ck_assert_msg(!strncmp(err, prefix, strlen(prefix)), "'%s' does not name its line", err);
	ck_assert_msg(strstr(err, want), "'%s': error '%s' lacks '%s'", text, err, want);
}

static int opt_index(const char *name)
{
	int k = script_opt_index(cmd->verb, name);

	ck_assert_int_ge(k, 0);
	return k;
}

static const struct script_val *o(const char *name)
{
	return &cmd->opt[opt_index(name)];
}

START_TEST(test_blank_and_comments)
{
	lineno = 0;
	ck_assert_int_eq(line(""), 0);
	ck_assert_int_eq(line("   \t  "), 0);
	ck_assert_int_eq(line("# a comment"), 0);
	ck_assert_int_eq(line("   # indented comment"), 0);
	ok("io = ioas   # after a command");
	ck_assert_int_eq(cmd->line, 5);
	ck_assert_int_eq(cmd->verb, SV_IOAS);
	ck_assert_str_eq(cmd->name, "io");
	ck_assert_int_eq(cmd->creates, 1);
	ck_assert_str_eq(script_slot_name(s, 1), "io");
	ck_assert_uint_eq(script_slot_kind(s, 1), SK_IOAS);
}
END_TEST

START_TEST(test_whole_flow)
{
	lineno = 0;
	ok("io = ioas");
	ok("d = mock io pasid=on");
	ck_assert_int_eq(cmd->verb, SV_MOCK);
	ck_assert_uint_eq(cmd->pos[0].u, 1);
	ck_assert(o("pasid")->set);
	ck_assert_uint_eq(o("pasid")->u, 1);
	ok("p = hwpt d io flags=nest-parent,pasid");
	ck_assert_uint_eq(o("flags")->u, 1 | 4);
	ck_assert(!o("fault")->set);
	ok("v = viommu d p type=mock");
	ck_assert(o("type")->word_set);
	ck_assert_uint_eq(o("type")->u, 2);
	ok("v2 = viommu d p type=0x10");
	ck_assert(!o("type")->word_set);
	ck_assert_uint_eq(o("type")->u, 0x10);
	ok("vd = vdevice v d 0x42");
	ck_assert_uint_eq(cmd->pos[2].u, 0x42);
	ok("fq = fault");
	ok("n = nested d v s1=mock iotlb=0x1000 flags=pasid fault=fq");
	ck_assert_uint_eq(o("s1")->u, 2);
	ck_assert_uint_eq(o("iotlb")->u, 0x1000);
	ck_assert_uint_eq(o("fault")->u, 7);
	ok("attach d n pasid=1");
	ck_assert_int_eq(cmd->creates, -1);
	ck_assert_uint_eq(o("pasid")->u, 1);
	ok("q = invq n type=mock capacity=8");
	ok("push q iotlb=1");
	ok("! flush q");
	ck_assert(cmd->must_fail);
	ck_assert_int_eq(cmd->verb, SV_FLUSH);
	ok("wait fq count=2 timeout=500");
	ok("respond fq code=invalid");
	ck_assert_uint_eq(o("code")->u, 1);
	ok("raise d iopf pasid=1 grpid=3 perm=read,write addr=0x7000");
	ck_assert_uint_eq(cmd->pos[1].u, 1);
	ck_assert_uint_eq(o("perm")->u, 3);
	ok("buf = mem 2M hugetlb=off");
	ck_assert_uint_eq(cmd->pos[0].u, 2u << 20);
	ok("m = map io buf iova=0x100000 length=4K prot=read");
	ck_assert_uint_eq(o("length")->u, 4096);
	ck_assert_uint_eq(o("prot")->u, 1);
	ok("poke buf 0x10 1 2 0xffffffffffffffff width=8");
	ck_assert_uint_eq(cmd->npos, 5);
	ck_assert_uint_eq(cmd->pos[4].u, UINT64_MAX);
	ck_assert_uint_eq(o("width")->u, 3);
	ok("fill buf 0 4K 0x5a step=1");
	ok("compare buf 0 buf 4K 4K");
	ok("release m buf");
	ck_assert_uint_eq(cmd->npos, 2);
}
END_TEST

START_TEST(test_numbers)
{
	lineno = 0;
	ok("b = mem 1G");
	ck_assert_uint_eq(cmd->pos[0].u, 1ull << 30);
	ok("b2 = mem 0x1000");
	ck_assert_uint_eq(cmd->pos[0].u, 0x1000);
	ok("b3 = mem 12k");
	ck_assert_uint_eq(cmd->pos[0].u, 12288);
	bad("b4 = mem 0", "out of range");
	bad("b4 = mem 2048G", "out of range");
	bad("b4 = mem 12Q", "not a number");
	bad("b4 = mem 0x", "not a number");
	bad("b4 = mem -1", "not a number");
	bad("b4 = mem 99999999999999999999999", "out of range");
	bad("b4 = mem 0x1ffffffffffffffff", "out of range");
	bad("b4 = mem 0xffffffffffffffffG", "out of range");
	ok("io = ioas");
	ok("d = device /dev/vfio/devices/vfio0");
	bad("attach d io pasid=0x100000", "pasid: 0x100000 is out of range");
	ok("attach d io pasid=0xfffff");
	bad("poke b 0 1 width=3", "width: '3' is none of 1, 2, 4, 8");
	bad("fill b 0 16 256", "BYTE: 256 is out of range");
	bad("p = hwpt d io flags=nest-parent,bogus", "'bogus' is none of nest-parent, dirty, pasid");
	bad("m = mock io pasid=maybe", "not on or off");
	ok("p = hwpt d io");
	bad("v = viommu d p type=0x1ffffffff", "not a number up to");
}
END_TEST

START_TEST(test_names)
{
	lineno = 0;
	ok("io = ioas");
	bad("io = ioas", "'io' already names a ioas (line 1)");
	bad("attach nosuch io", "unknown name 'nosuch'");
	bad("ctx = ioas", "'ctx' is the iommufd's own name");
	bad("1x = ioas", "'1x' is not a name");
	bad("a.b = ioas", "is not a name");
	bad("averyveryveryveryveryverylongname = ioas", "longer than 31");
	ok("d = device ${BDF}");
	ck_assert_str_eq(cmd->pos[0].s, "0000:00:03.0");
	bad("attach io d", "'io' is a ioas, not a DEVICE");
	bad("release ctx", "'ctx' is a ctx, not a NAME");
	ok("release io");
	bad("attach d io", "'io' was released at line 11");
	bad("release io", "'io' was released at line 11");
	bad("echo {io.id}", "'io' was released at line 11");
	/* a released name may name something new */
	ok("io = ioas");
	ck_assert_int_eq(cmd->creates, 3);
	ok("attach d io");
	ck_assert_uint_eq(cmd->pos[1].u, 3);
	bad("release d d", "'d' named twice");
	/* a creation undone at run time frees its name */
	ok("x = ioas");
	script_forget(s, cmd);
	bad("attach d x", "unknown name 'x'");
	ok("x = ioas");
	/* "! NAME = ..." binds nothing */
	ok("! y = ioas");
	ck_assert(cmd->must_fail);
	ck_assert_int_eq(cmd->creates, -1);
	bad("attach d y", "unknown name 'y'");
}
END_TEST

START_TEST(test_syntax)
{
	lineno = 0;
	bad("frobnicate x", "unknown verb 'frobnicate'");
	bad("io=ioas", "write NAME = VERB");
	bad("io =", "without a verb");
	bad("!", "without a command");
	bad("io = attach", "creates nothing");
	bad("ioas", "makes a ioas: write NAME = ioas");
	ok("io = ioas");
	bad("x = mock io bogus=1", "unknown option 'bogus'");
	bad("x = mock io pasid=on pasid=off", "given twice");
	bad("x = mock io pasid=", "without a value");
	bad("x = mock", "missing IOAS|HWPT");
	bad("x = mock io io", "too many arguments");
	bad("x = viommu", "missing DEVICE");
	ok("d = device /dev/vfio/devices/vfio0");
	ok("p = hwpt d io");
	bad("v = viommu d p", "needs type=");
	bad("n = nested d p", "needs s1=");
	bad("n = nested d p s1=vtd data=zz", "not hex bytes");
	ok("n = nested d p s1=raw raw-type=7 data=de:ad:be:ef");
	ck_assert_uint_eq(o("data")->len, 4);
	ck_assert_uint_eq(o("data")->hex[0], 0xde);
	ck_assert_uint_eq(o("data")->hex[3], 0xef);
	bad("echo \"unterminated", "unterminated quote");
	bad("echo ${NOPE}", "${NOPE} is not set");
	bad("echo ${BDF", "unterminated ${");
	bad("echo ${1x}", "bad variable name");
	bad("exec", "no program");
	bad("echo a}", "a lone '}'");
	bad("echo {d", "unterminated '{'");
	bad("echo {d.bogus}", "not .id or .iova");
	bad("exec prog {io}", "a ioas has no fd");
	bad("exec prog {nobody}", "unknown name 'nobody'");
	bad("echo {io.iova}", "a ioas has no iova");
	bad("echo a\001b", "a control character (0x01) at column 7");
	/* a quoted "=" or verb is a word, not syntax */
	bad("x \"=\" ioas", "unknown verb 'x'");
	bad("\"ioas\"", "unknown verb 'ioas'");
}
END_TEST

START_TEST(test_words_and_refs)
{
	lineno = 0;
	ok("d = device /dev/vfio/devices/vfio0");
	ok("io = ioas");
	ok("b = mem 4K memfd=on");
	ok("m = map io b");
	ok("exec /usr/bin/qemu -object iommufd,id=i0,fd={ctx} -device \"vfio-pci,fd={d}\" {{x}} {m.iova} {d.id} {b}");
	ck_assert_int_eq(cmd->verb, SV_EXEC);
	ck_assert_uint_eq(cmd->nwords, 9);
	ck_assert_str_eq(cmd->words[0], "/usr/bin/qemu");
	ck_assert_str_eq(cmd->words[2], "iommufd,id=i0,fd={ctx}");
	ck_assert_str_eq(cmd->words[4], "vfio-pci,fd={d}");
	ck_assert_uint_eq(cmd->nrefs, 7);
	ck_assert_uint_eq(cmd->refs[0].word, 2);
	ck_assert_uint_eq(cmd->refs[0].slot, 0);
	ck_assert_int_eq(cmd->refs[0].field, SR_FD);
	ck_assert_uint_eq(cmd->refs[0].start, 17);
	ck_assert_uint_eq(cmd->refs[0].end, 22);
	ck_assert_uint_eq(cmd->refs[1].slot, 1);
	ck_assert_int_eq(cmd->refs[2].field, SR_LBRACE);
	ck_assert_int_eq(cmd->refs[3].field, SR_RBRACE);
	ck_assert_int_eq(cmd->refs[4].field, SR_IOVA);
	ck_assert_uint_eq(cmd->refs[4].slot, 4);
	ck_assert_int_eq(cmd->refs[5].field, SR_ID);
	ck_assert_int_eq(cmd->refs[6].field, SR_FD);
	ck_assert_uint_eq(cmd->refs[6].slot, 3);
	/* variables expand inside words, never split them */
	ok("echo x${TWO}y \"q\\\"uote\" back\\slash");
	ck_assert_uint_eq(cmd->nwords, 3);
	ck_assert_str_eq(cmd->words[0], "xa by");
	ck_assert_str_eq(cmd->words[1], "q\"uote");
	ck_assert_str_eq(cmd->words[2], "back\\slash");
	ok("echo \"# not a comment\" # a comment");
	ck_assert_uint_eq(cmd->nwords, 1);
	ck_assert_str_eq(cmd->words[0], "# not a comment");
}
END_TEST

START_TEST(test_limits)
{
	char *big = malloc(SCRIPT_MAX_LINE + 2);
	char words[SCRIPT_MAX_WORDS * 2 + 16];
	size_t n = 0;

	lineno = 0;
	memset(big, ' ', SCRIPT_MAX_LINE + 1);
	memcpy(big, "echo", 4);
	big[SCRIPT_MAX_LINE + 1] = '\0';
	bad(big, "longer than 4096 bytes");
	big[SCRIPT_MAX_LINE] = '\0';
	ok(big);
	/* a NUL byte inside a line */
	ck_assert_int_eq(script_parse_line(s, "io = \0ioas", 10, ++lineno, cmd, err,
					   sizeof(err)), -1);
	ck_assert_str_eq(err, "line 3: a NUL byte at column 6");
	/* too many words */
	n += (size_t)sprintf(words, "echo");
	for (int i = 0; i < SCRIPT_MAX_WORDS; i++)
		n += (size_t)sprintf(words + n, " x");
	bad(words, "more than 64 words");
	free(big);
}
END_TEST

static int count_cb(const struct script_cmd *c, void *data)
{
	unsigned int *lines = data;

	lines[c->line]++;
	return 0;
}

START_TEST(test_text)
{
	static const char good[] =
		"# a whole script\n"
		"io = ioas\n"
		"\n"
		"b = mem 8K\n"
		"m = map io b iova=0x10000\n"
		"release m";	/* no newline at the end */
	static const char broken[] = "io = ioas\nb = mem 8K\nattach b io\nio2 = ioas\n";
	unsigned int lines[8] = { 0 };

	ck_assert_int_eq(script_parse_text(s, good, strlen(good), count_cb, lines, err,
					   sizeof(err)), 4);
	ck_assert_uint_eq(lines[2], 1);
	ck_assert_uint_eq(lines[3], 0);
	ck_assert_uint_eq(lines[6], 1);
	script_free(s);
	s = script_new(vars, NULL);
	ck_assert_int_eq(script_parse_text(s, broken, strlen(broken), NULL, NULL, err,
					   sizeof(err)), -1);
	ck_assert_str_eq(err, "line 3: attach: 'b' is a mem, not a DEVICE");
}
END_TEST

START_TEST(test_every_verb_has_help)
{
	for (int v = 0; v < SV_COUNT; v++) {
		ck_assert_ptr_nonnull(script_verbs[v].name);
		ck_assert_ptr_nonnull(script_verbs[v].help);
		ck_assert_uint_le(script_verbs[v].nopt, SCRIPT_MAX_OPTS);
		for (int w = 0; w < v; w++)
			ck_assert_str_ne(script_verbs[v].name, script_verbs[w].name);
	}
}
END_TEST

int main(void)
{
	Suite *su = suite_create("script");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_blank_and_comments);
	tcase_add_test(tc, test_whole_flow);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_syntax);
	tcase_add_test(tc, test_words_and_refs);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_every_verb_has_help);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
