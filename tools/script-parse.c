// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl run: the script parser. Text in, commands out; no I/O and no
 * libnestio call (script.h has the grammar). Every error names its line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

/* ------------------------------------------------------------ the verbs */

static const char *const w_hwpt_flags[] = { "nest-parent", "dirty", "pasid", NULL };
static const char *const w_nested_flags[] = { "pasid", NULL };
static const char *const w_s1[] = { "vtd", "smmuv3", "mock", "raw", NULL };
static const char *const w_s1_flags[] = { "sre", "eafe", "wpe", NULL };
static const char *const w_types[] = { "smmuv3", "tegra241", "mock", NULL };
static const char *const w_inv_types[] = { "vtd", "smmuv3", "mock", NULL };
static const char *const w_prot[] = { "read", "write", NULL };
static const char *const w_perm[] = { "read", "write", "exec", "priv", NULL };
static const char *const w_events[] = { "vevent", "iopf", NULL };
static const char *const w_codes[] = { "success", "invalid", NULL };
static const char *const w_width[] = { "1", "2", "4", "8", NULL };

#define U32 0xffffffffull
#define U64 UINT64_MAX
#define PASID_MAX ((1ull << 20) - 1)

#define OBJ(n, k) { .name = n, .type = ST_OBJ, .kinds = (k) }
#define NUM(n, lo, hi) { .name = n, .type = ST_NUM, .min = (lo), .max = (hi) }
#define WORD(n, w) { .name = n, .type = ST_WORD, .words = (w) }
#define WORDNUM(n, w) { .name = n, .type = ST_WORD, .words = (w), .max = U32 }
#define FLAGS(n, w) { .name = n, .type = ST_FLAGS, .words = (w) }
#define BOOL(n) { .name = n, .type = ST_BOOL }
#define STR(n) { .name = n, .type = ST_STR }
#define HEX(n) { .name = n, .type = ST_HEX }

#define COUNT(a) (unsigned int)(sizeof(a) / sizeof((a)[0]))

/* the stage-1 options (nested, bind) come first in both verbs' tables */
#define S1_OPTS \
	WORD("s1", w_s1), NUM("pgtbl", 0, U64), NUM("aw", 0, 64), \
	FLAGS("s1-flags", w_s1_flags), NUM("ste0", 0, U64), NUM("ste1", 0, U64), \
	NUM("iotlb", 0, U32), NUM("raw-type", 0, U32), HEX("data")

static const struct script_param p_path[] = { STR("PATH") };
static const struct script_param p_pt[] = { OBJ("IOAS|HWPT", SK_IOAS | SK_HWPT) };
static const struct script_param o_mock[] = { BOOL("pasid") };
static const struct script_param p_dev_ioas[] = { OBJ("DEVICE", SK_DEVICE), OBJ("IOAS", SK_IOAS) };
static const struct script_param o_hwpt[] = {
	FLAGS("flags", w_hwpt_flags), OBJ("fault", SK_FAULT),
};
static const struct script_param p_nested[] = {
	OBJ("DEVICE", SK_DEVICE), OBJ("HWPT|VIOMMU", SK_HWPT | SK_VIOMMU),
};
static const struct script_param o_nested[] = {
	S1_OPTS, FLAGS("flags", w_nested_flags), OBJ("fault", SK_FAULT),
};
static const struct script_param p_viommu[] = { OBJ("DEVICE", SK_DEVICE), OBJ("HWPT", SK_HWPT) };
static const struct script_param o_type[] = { WORDNUM("type", w_types) };
static const struct script_param p_vdevice[] = {
	OBJ("VIOMMU", SK_VIOMMU), OBJ("DEVICE", SK_DEVICE), NUM("VIRT_ID", 0, U64),
};
static const struct script_param p_viommu1[] = { OBJ("VIOMMU", SK_VIOMMU) };
static const struct script_param o_veventq[] = {
	WORDNUM("type", w_types), NUM("depth", 1, 0x7fffffff),
};
static const struct script_param p_hwpt_viommu[] = { OBJ("HWPT|VIOMMU", SK_HWPT | SK_VIOMMU) };
static const struct script_param o_invq[] = {
	WORD("type", w_inv_types), NUM("capacity", 1, 1u << 20),
	BOOL("coalesce"), BOOL("atc-separate"),
};
static const struct script_param p_size[] = { NUM("SIZE", 1, 1ull << 40) };
static const struct script_param o_mem[] = { BOOL("hugetlb"), STR("file"), BOOL("memfd") };
static const struct script_param p_map[] = { OBJ("IOAS", SK_IOAS), OBJ("MEM", SK_MEM) };
static const struct script_param o_map[] = {
	NUM("iova", 0, U64), NUM("offset", 0, 1ull << 40), NUM("length", 1, 1ull << 40),
	FLAGS("prot", w_prot), BOOL("by-fd"),
};
static const struct script_param p_release[] = { OBJ("NAME", SK_ANY & ~SK_CTX) };
static const struct script_param p_attach[] = {
	OBJ("DEVICE", SK_DEVICE), OBJ("IOAS|HWPT", SK_IOAS | SK_HWPT),
};
static const struct script_param o_pasid[] = { NUM("pasid", 0, PASID_MAX) };
static const struct script_param p_dev[] = { OBJ("DEVICE", SK_DEVICE) };
static const struct script_param p_table_dev[] = { OBJ("PASIDS", SK_PASIDS), OBJ("DEVICE", SK_DEVICE) };
static const struct script_param o_bind[] = { S1_OPTS, NUM("pasid", 0, PASID_MAX), BOOL("share") };
static const struct script_param p_invq[] = { OBJ("INVQ", SK_INVQ) };
static const struct script_param o_push[] = {
	NUM("addr", 0, U64), NUM("npages", 0, U64), BOOL("leaf"),
	NUM("cmd0", 0, U64), NUM("cmd1", 0, U64),
	NUM("iotlb", 0, U32), NUM("vdev", 0, U32), NUM("cache", 0, U32),
	BOOL("all"), HEX("data"),
};
static const struct script_param o_discard[] = { NUM("count", 1, U32) };
static const struct script_param p_queue[] = { OBJ("VEVENTQ|FAULT", SK_VEVENTQ | SK_FAULT) };
static const struct script_param o_wait[] = { NUM("count", 1, 1024), NUM("timeout", 0, 86400000) };
static const struct script_param p_fault[] = { OBJ("FAULT", SK_FAULT) };
static const struct script_param o_respond[] = { NUM("cookie", 0, U32), WORD("code", w_codes) };
static const struct script_param p_raise[] = { OBJ("DEVICE", SK_DEVICE), WORD("EVENT", w_events) };
static const struct script_param o_raise[] = {
	NUM("pasid", 0, PASID_MAX), NUM("grpid", 0, 511), FLAGS("perm", w_perm), NUM("addr", 0, U64),
};
static const struct script_param p_poke[] = {
	OBJ("MEM", SK_MEM), NUM("OFFSET", 0, 1ull << 40), NUM("VALUE", 0, U64),
};
static const struct script_param o_width[] = { WORD("width", w_width) };
static const struct script_param o_peek[] = { WORD("width", w_width), NUM("count", 1, 512) };
static const struct script_param p_fill[] = {
	OBJ("MEM", SK_MEM), NUM("OFFSET", 0, 1ull << 40), NUM("LENGTH", 1, 1ull << 40),
	NUM("BYTE", 0, 255),
};
static const struct script_param o_fill[] = { NUM("step", 0, 255) };
static const struct script_param p_compare[] = {
	OBJ("MEM", SK_MEM), NUM("OFFSET", 0, 1ull << 40),
	OBJ("MEM", SK_MEM), NUM("OFFSET", 0, 1ull << 40), NUM("LENGTH", 1, 1ull << 40),
};
static const struct script_param p_ioas[] = { OBJ("IOAS", SK_IOAS) };

#define POS(p) .pos = (p), .npos = COUNT(p)
#define OPT(o) .opt = (o), .nopt = COUNT(o)

const struct script_verb_spec script_verbs[SV_COUNT] = {
	[SV_IOAS] = { "ioas", SK_IOAS, .help = "" },
	[SV_DEVICE] = { "device", SK_DEVICE, POS(p_path), .help = "PATH|BDF" },
	[SV_MOCK] = { "mock", SK_DEVICE, POS(p_pt), OPT(o_mock), .help = "IOAS|HWPT [pasid=on]" },
	[SV_HWPT] = { "hwpt", SK_HWPT, POS(p_dev_ioas), OPT(o_hwpt),
		.help = "DEVICE IOAS [flags=nest-parent,dirty,pasid] [fault=FAULT]" },
	[SV_NESTED] = { "nested", SK_HWPT, POS(p_nested), OPT(o_nested), .required = 1,
		.help = "DEVICE HWPT|VIOMMU s1=vtd|smmuv3|mock|raw ... [flags=pasid] [fault=FAULT]" },
	[SV_VIOMMU] = { "viommu", SK_VIOMMU, POS(p_viommu), OPT(o_type), .required = 1,
		.help = "DEVICE HWPT type=smmuv3|tegra241|mock|N" },
	[SV_VDEVICE] = { "vdevice", SK_VDEVICE, POS(p_vdevice), .help = "VIOMMU DEVICE VIRT_ID" },
	[SV_FAULT] = { "fault", SK_FAULT, .help = "" },
	[SV_VEVENTQ] = { "veventq", SK_VEVENTQ, POS(p_viommu1), OPT(o_veventq), .required = 1,
		.help = "VIOMMU type=smmuv3|tegra241|mock|N [depth=N]" },
	[SV_INVQ] = { "invq", SK_INVQ, POS(p_hwpt_viommu), OPT(o_invq), .required = 1,
		.help = "HWPT|VIOMMU type=vtd|smmuv3|mock [capacity=N] [coalesce=on] [atc-separate=on]" },
	[SV_PASIDS] = { "pasids", SK_PASIDS, POS(p_hwpt_viommu), .help = "HWPT|VIOMMU" },
	[SV_MEM] = { "mem", SK_MEM, POS(p_size), OPT(o_mem),
		.help = "SIZE [hugetlb=on] [file=PATH] [memfd=on]" },
	[SV_MAP] = { "map", SK_MAP, POS(p_map), OPT(o_map),
		.help = "IOAS MEM [iova=N] [offset=N] [length=N] [prot=read,write] [by-fd=on]" },
	[SV_RELEASE] = { "release", 0, POS(p_release), .repeat_last = true, .help = "NAME..." },
	[SV_ATTACH] = { "attach", 0, POS(p_attach), OPT(o_pasid), .help = "DEVICE IOAS|HWPT [pasid=N]" },
	[SV_REPLACE] = { "replace", 0, POS(p_attach), OPT(o_pasid), .help = "DEVICE IOAS|HWPT [pasid=N]" },
	[SV_DETACH] = { "detach", 0, POS(p_dev), OPT(o_pasid), .help = "DEVICE [pasid=N]" },
	[SV_BIND] = { "bind", 0, POS(p_table_dev), OPT(o_bind), .required = 1,
		.help = "PASIDS DEVICE [pasid=N] s1=... [share=off]" },
	[SV_UNBIND] = { "unbind", 0, POS(p_table_dev), OPT(o_pasid), .help = "PASIDS DEVICE [pasid=N]" },
	[SV_REPLAY] = { "replay", 0, POS(p_table_dev), .help = "PASIDS DEVICE" },
	[SV_PUSH] = { "push", 0, POS(p_invq), OPT(o_push),
		.help = "INVQ addr=N npages=N [leaf=on] | cmd0=N cmd1=N | iotlb=N | vdev=N cache=N | all=on | data=HEX" },
	[SV_FLUSH] = { "flush", 0, POS(p_invq), .help = "INVQ" },
	[SV_DISCARD] = { "discard", 0, POS(p_invq), OPT(o_discard), .help = "INVQ [count=N]" },
	[SV_WAIT] = { "wait", 0, POS(p_queue), OPT(o_wait), .help = "VEVENTQ|FAULT [count=N] [timeout=MS]" },
	[SV_RESPOND] = { "respond", 0, POS(p_fault), OPT(o_respond),
		.help = "FAULT [cookie=N] [code=success|invalid]" },
	[SV_MONITOR] = { "monitor", 0, OPT(o_wait), .help = "[count=N] [timeout=MS]" },
	[SV_RAISE] = { "raise", 0, POS(p_raise), OPT(o_raise),
		.help = "MOCKDEV vevent | iopf [pasid=N] [grpid=N] [perm=read,write] [addr=N]" },
	[SV_POKE] = { "poke", 0, POS(p_poke), .repeat_last = true, OPT(o_width),
		.help = "MEM OFFSET VALUE... [width=1|2|4|8]" },
	[SV_PEEK] = { "peek", 0, .pos = p_poke, .npos = 2, OPT(o_peek),
		.help = "MEM OFFSET [count=N] [width=1|2|4|8]" },
	[SV_EXPECT] = { "expect", 0, POS(p_poke), .repeat_last = true, OPT(o_width),
		.help = "MEM OFFSET VALUE... [width=1|2|4|8]" },
	[SV_FILL] = { "fill", 0, POS(p_fill), OPT(o_fill), .help = "MEM OFFSET LENGTH BYTE [step=N]" },
	[SV_CHECK] = { "check", 0, POS(p_fill), OPT(o_fill), .help = "MEM OFFSET LENGTH BYTE [step=N]" },
	[SV_COMPARE] = { "compare", 0, POS(p_compare), .help = "MEM OFFSET MEM OFFSET LENGTH" },
	[SV_RANGES] = { "ranges", 0, POS(p_ioas), .help = "IOAS" },
	[SV_EXEC] = { "exec", 0, .rest = true, .help = "PROGRAM ARG... ({ctx}, {DEVICE}, {MEM}: fds)" },
	[SV_ECHO] = { "echo", 0, .rest = true, .help = "TEXT..." },
};

int script_opt_index(enum script_verb verb, const char *name)
{
	const struct script_verb_spec *v;

	if ((unsigned int)verb >= SV_COUNT)
		return -1;
	v = &script_verbs[verb];
	for (unsigned int i = 0; i < v->nopt; i++)
		if (!strcmp(v->opt[i].name, name))
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------ the names */

struct slot {
	char name[SCRIPT_MAX_NAME + 1];
	unsigned int kind;
	unsigned int line;		/* created at */
	unsigned int released;		/* line, or 0 while live */
	bool forgotten;
};

struct script {
	script_getvar_fn getvar;
	void *data;
	unsigned int n;
	struct slot slots[SCRIPT_MAX_OBJECTS + 1];	/* 0: ctx */
};

static const char *const kind_names[] = {
	"ctx", "device", "ioas", "hwpt", "viommu", "vdevice", "fault",
	"veventq", "invq", "pasids", "mem", "map",
};

const char *script_kind_name(unsigned int kind)
{
	for (unsigned int i = 0; i < COUNT(kind_names); i++)
		if (kind == 1u << i)
			return kind_names[i];
	return "object";
}

struct script *script_new(script_getvar_fn getvar, void *data)
{
	struct script *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->getvar = getvar;
	s->data = data;
	strcpy(s->slots[0].name, "ctx");
	s->slots[0].kind = SK_CTX;
	s->n = 1;
	return s;
}

void script_free(struct script *s)
{
	free(s);
}

const char *script_slot_name(const struct script *s, unsigned int slot)
{
	return slot < s->n ? s->slots[slot].name : "?";
}

unsigned int script_slot_kind(const struct script *s, unsigned int slot)
{
	return slot < s->n ? s->slots[slot].kind : 0;
}

unsigned int script_nslots(const struct script *s)
{
	return s->n;
}

void script_forget(struct script *s, const struct script_cmd *cmd)
{
	if (cmd->creates > 0 && (unsigned int)cmd->creates < s->n)
		s->slots[cmd->creates].forgotten = true;
}

/* the newest slot with this name, or -1 */
static int lookup(const struct script *s, const char *name)
{
	for (unsigned int i = s->n; i-- > 0;)
		if (!s->slots[i].forgotten && !strcmp(s->slots[i].name, name))
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------ errors */

struct pstate {
	struct script *s;
	struct script_cmd *cmd;
	char *err;
	size_t errlen;
	const char *verb;	/* for messages, once known */
};

__attribute__((format(printf, 2, 3)))
static int fail(struct pstate *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen) {
		if (p->verb)
			snprintf(p->err, p->errlen, "line %u: %s: %s", p->cmd->line,
				 p->verb, msg);
		else
			snprintf(p->err, p->errlen, "line %u: %s", p->cmd->line, msg);
	}
	return -1;
}

/* ------------------------------------------------------------ words */

struct word {
	char *s;
	bool quoted;
};

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

/* Splits the line into words in cmd->text, expanding ${VAR}. */
static int split(struct pstate *p, const char *line, size_t len,
		 struct word *w, unsigned int *nw)
{
	char *out = p->cmd->text, *end = p->cmd->text + sizeof(p->cmd->text) - 1;
	size_t i = 0;

	*nw = 0;
	while (i < len) {
		bool quoted = false, inq = false;
		char *start;

		while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		if (i == len || line[i] == '#')
			break;
		if (*nw == SCRIPT_MAX_WORDS)
			return fail(p, "more than %d words", SCRIPT_MAX_WORDS);
		start = out;
		while (i < len && (inq || (line[i] != ' ' && line[i] != '\t' &&
					   line[i] != '\r'))) {
			char c = line[i];

			if (c == '"') {
				inq = !inq;
				quoted = true;
				i++;
				continue;
			}
			if (inq && c == '\\' && i + 1 < len &&
			    (line[i + 1] == '"' || line[i + 1] == '\\')) {
				c = line[i + 1];
				i += 2;
			} else if (c == '$' && i + 1 < len && line[i + 1] == '{') {
				char var[64];
				const char *val;
				size_t k = i + 2, n = 0;

				while (k < len && line[k] != '}' && n < sizeof(var) - 1)
					var[n++] = line[k++];
				var[n] = '\0';
				if (k >= len || line[k] != '}')
					return fail(p, "unterminated ${");
				if (!n || !is_name_start(var[0]))
					return fail(p, "bad variable name '%s'", var);
				for (size_t m = 0; m < n; m++)
					if (!is_name_char(var[m]) || var[m] == '-')
						return fail(p, "bad variable name '%s'", var);
				val = p->s->getvar ? p->s->getvar(var, p->s->data) : NULL;
				if (!val)
					return fail(p, "${%s} is not set", var);
				for (; *val; val++) {
					if (out == end)
						return fail(p, "line too long after ${%s}", var);
					*out++ = *val;
				}
				i = k + 1;
				continue;
			} else {
				i++;
			}
			if (out == end)
				return fail(p, "line too long");
			*out++ = c;
		}
		if (inq)
			return fail(p, "unterminated quote");
		if (out == end)
			return fail(p, "line too long");
		*out++ = '\0';
		w[*nw].s = start;
		w[*nw].quoted = quoted;
		(*nw)++;
	}
	return 0;
}

/* ------------------------------------------------------------ values */

/* A number: decimal or 0x hex, with an optional K, M or G; -1 on error. */
static int parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0, base = 10, mult = 1;
	const char *q = s;

	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
		base = 16;
		q += 2;
	}
	if (!*q)
		return -1;
	for (; *q; q++) {
		unsigned int d;

		if (*q >= '0' && *q <= '9')
			d = (unsigned int)(*q - '0');
		else if (base == 16 && *q >= 'a' && *q <= 'f')
			d = (unsigned int)(*q - 'a' + 10);
		else if (base == 16 && *q >= 'A' && *q <= 'F')
			d = (unsigned int)(*q - 'A' + 10);
		else
			break;
		if (x > (UINT64_MAX - d) / base)
			return -2;
		x = x * base + d;
	}
	if (q == s || (base == 16 && q == s + 2))
		return -1;
	if (*q) {
		if (q[1])
			return -1;
		switch (*q) {
		case 'K': case 'k': mult = 1ull << 10; break;
		case 'M': case 'm': mult = 1ull << 20; break;
		case 'G': case 'g': mult = 1ull << 30; break;
		default: return -1;
		}
		if (x > UINT64_MAX / mult)
			return -2;
		x *= mult;
	}
	*v = x;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int word_index(const char *const *words, const char *s, size_t len)
{
	for (int i = 0; words[i]; i++)
		if (strlen(words[i]) == len && !strncmp(words[i], s, len))
			return i;
	return -1;
}

static int list_words(const char *const *words, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; words[i] && off < n; i++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? ", " : "", words[i]);
	return 0;
}

static int object(struct pstate *p, const struct script_param *prm,
		  const char *s, struct script_val *v)
{
	const struct slot *sl;
	int i = lookup(p->s, s);

	if (i < 0)
		return fail(p, "%s: unknown name '%s'", prm->name, s);
	sl = &p->s->slots[i];
	if (sl->released)
		return fail(p, "'%s' was released at line %u", s, sl->released);
	if (!(sl->kind & prm->kinds))
		return fail(p, "'%s' is a %s, not a %s", s, script_kind_name(sl->kind),
			    prm->name);
	v->u = (uint64_t)i;
	return 0;
}

static int value(struct pstate *p, const struct script_param *prm,
		 const char *s, struct script_val *v)
{
	char list[160];
	int r, k;

	v->set = true;
	v->s = s;
	switch (prm->type) {
	case ST_OBJ:
		return object(p, prm, s, v);
	case ST_NUM:
		r = parse_u64(s, &v->u);
		if (r == -1)
			return fail(p, "%s: '%s' is not a number", prm->name, s);
		if (r < 0 || v->u < prm->min || v->u > prm->max)
			return fail(p, "%s: %s is out of range (0x%llx..0x%llx)", prm->name, s,
				    (unsigned long long)prm->min,
				    (unsigned long long)prm->max);
		return 0;
	case ST_WORD:
		k = word_index(prm->words, s, strlen(s));
		if (k >= 0) {
			v->word_set = true;
			v->u = (uint64_t)k;
			return 0;
		}
		if (prm->max && (s[0] >= '0' && s[0] <= '9')) {
			r = parse_u64(s, &v->u);
			if (r == 0 && v->u <= prm->max)
				return 0;
			return fail(p, "%s: %s is not a number up to 0x%llx", prm->name, s,
				    (unsigned long long)prm->max);
		}
		list_words(prm->words, list, sizeof(list));
		return fail(p, "%s: '%s' is none of %s%s", prm->name, s, list,
			    prm->max ? " or a number" : "");
	case ST_FLAGS:
		v->u = 0;
		for (const char *q = s; *q;) {
			size_t n = strcspn(q, ",");

			k = word_index(prm->words, q, n);
			if (k < 0) {
				list_words(prm->words, list, sizeof(list));
				return fail(p, "%s: '%.*s' is none of %s", prm->name,
					    (int)n, q, list);
			}
			v->u |= 1ull << k;
			q += n;
			if (*q)
				q++;
		}
		return 0;
	case ST_BOOL:
		if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "1"))
			v->u = 1;
		else if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "0"))
			v->u = 0;
		else
			return fail(p, "%s: '%s' is not on or off", prm->name, s);
		return 0;
	case ST_STR:
		return 0;
	case ST_HEX: {
		uint8_t *b = p->cmd->bytes;
		size_t n = 0, used = 0;

		/* the bytes of earlier hex values in this command */
		for (unsigned int i = 0; i < SCRIPT_MAX_OPTS; i++)
			if (p->cmd->opt[i].hex && p->cmd->opt[i].hex + p->cmd->opt[i].len > b + used)
				used = (size_t)(p->cmd->opt[i].hex + p->cmd->opt[i].len - b);
		b += used;
		for (const char *q = s; *q;) {
			int hi, lo;

			if (*q == ':') {
				q++;
				continue;
			}
			hi = hexval(q[0]);
			lo = hi < 0 ? -1 : hexval(q[1]);
			if (hi < 0 || lo < 0)
				return fail(p, "%s: '%s' is not hex bytes", prm->name, s);
			if (n == 256 || used + n == sizeof(p->cmd->bytes))
				return fail(p, "%s: more than 256 bytes", prm->name);
			b[n++] = (uint8_t)(hi << 4 | lo);
			q += 2;
		}
		if (!n)
			return fail(p, "%s: no bytes", prm->name);
		v->hex = b;
		v->len = n;
		return 0;
	}
	}
	return fail(p, "%s: bad parameter", prm->name);
}

/* {NAME}, {NAME.id}, {NAME.iova}, {{ and }} in an exec or echo word */
static int refs(struct pstate *p, unsigned int wi, const char *w)
{
	struct script_cmd *cmd = p->cmd;

	for (unsigned int i = 0; w[i];) {
		struct script_ref *r;
		char name[SCRIPT_MAX_NAME + 8];
		const char *dot;
		size_t n;
		int slot;

		if (w[i] != '{' && w[i] != '}') {
			i++;
			continue;
		}
		if (cmd->nrefs == SCRIPT_MAX_REFS)
			return fail(p, "more than %d {} in one line", SCRIPT_MAX_REFS);
		r = &cmd->refs[cmd->nrefs];
		r->word = wi;
		r->start = i;
		if (w[i] == '}') {
			if (w[i + 1] != '}')
				return fail(p, "a lone '}' (write }} for one)");
			r->field = SR_RBRACE;
			r->end = i + 2;
			i += 2;
			cmd->nrefs++;
			continue;
		}
		if (w[i + 1] == '{') {
			r->field = SR_LBRACE;
			r->end = i + 2;
			i += 2;
			cmd->nrefs++;
			continue;
		}
		n = strcspn(w + i + 1, "}");
		if (!w[i + 1 + n])
			return fail(p, "unterminated '{' (write {{ for one)");
		if (n >= sizeof(name))
			return fail(p, "'{%.*s}' is too long", (int)n, w + i + 1);
		memcpy(name, w + i + 1, n);
		name[n] = '\0';
		r->field = SR_FD;
		dot = strchr(name, '.');
		if (dot) {
			if (!strcmp(dot, ".id"))
				r->field = SR_ID;
			else if (!strcmp(dot, ".iova"))
				r->field = SR_IOVA;
			else
				return fail(p, "'{%s}': not .id or .iova", name);
			name[dot - name] = '\0';
		}
		slot = lookup(p->s, name);
		if (slot < 0)
			return fail(p, "unknown name '%s' in {}", name);
		if (p->s->slots[slot].released)
			return fail(p, "'%s' was released at line %u", name,
				    p->s->slots[slot].released);
		{
			unsigned int k = p->s->slots[slot].kind;
			unsigned int ok = r->field == SR_FD ? SK_CTX | SK_DEVICE | SK_MEM | SK_FAULT | SK_VEVENTQ :
					  r->field == SR_IOVA ? SK_MAP :
					  SK_ANY & ~(SK_CTX | SK_MEM | SK_MAP | SK_INVQ | SK_PASIDS);

			if (!(k & ok))
				return fail(p, "'{%s%s}': a %s has no %s", name,
					    r->field == SR_ID ? ".id" : r->field == SR_IOVA ? ".iova" : "",
					    script_kind_name(k),
					    r->field == SR_FD ? "fd" : r->field == SR_ID ? "id" : "iova");
		}
		r->slot = (unsigned int)slot;
		r->end = (unsigned int)(i + 2 + n);
		i = r->end;
		cmd->nrefs++;
	}
	return 0;
}

/* ------------------------------------------------------------ a line */

static int find_verb(const char *s)
{
	for (int i = 0; i < SV_COUNT; i++)
		if (!strcmp(script_verbs[i].name, s))
			return i;
	return -1;
}

static int check_name(struct pstate *p, const char *name)
{
	int i;

	if (!is_name_start(name[0]))
		return fail(p, "'%s' is not a name (a letter or _, then letters, digits, _ or -)", name);
	for (const char *q = name; *q; q++)
		if (!is_name_char(*q))
			return fail(p, "'%s' is not a name (a letter or _, then letters, digits, _ or -)", name);
	if (strlen(name) > SCRIPT_MAX_NAME)
		return fail(p, "the name '%s' is longer than %d", name, SCRIPT_MAX_NAME);
	if (!strcmp(name, "ctx"))
		return fail(p, "'ctx' is the iommufd's own name");
	i = lookup(p->s, name);
	if (i >= 0 && !p->s->slots[i].released)
		return fail(p, "'%s' already names a %s (line %u)", name,
			    script_kind_name(p->s->slots[i].kind), p->s->slots[i].line);
	return 0;
}

int script_parse_line(struct script *s, const char *line, size_t len,
		      unsigned int lineno, struct script_cmd *cmd, char *err,
		      size_t errlen)
{
	struct pstate p = { .s = s, .cmd = cmd, .err = err, .errlen = errlen };
	struct word w[SCRIPT_MAX_WORDS];
	const struct script_verb_spec *v;
	unsigned int nw, i = 0, npos = 0;
	int verb;

	memset(cmd, 0, offsetof(struct script_cmd, text));
	cmd->line = lineno;
	cmd->creates = -1;
	cmd->src[0] = '\0';
	if (len > SCRIPT_MAX_LINE)
		return fail(&p, "longer than %d bytes", SCRIPT_MAX_LINE);
	if (memchr(line, '\0', len))
		return fail(&p, "a NUL byte at column %zu",
			    (size_t)((const char *)memchr(line, '\0', len) - line) + 1);
	for (size_t k = 0; k < len; k++)
		if ((unsigned char)line[k] < 0x20 && line[k] != '\t' && line[k] != '\r')
			return fail(&p, "a control character (0x%02x) at column %zu",
				    (unsigned int)(unsigned char)line[k], k + 1);
	memcpy(cmd->src, line, len);
	cmd->src[len] = '\0';
	if (split(&p, line, len, w, &nw) < 0)
		return -1;
	if (nw == 0)
		return 0;
	if (!w[0].quoted && !strcmp(w[0].s, "!")) {
		cmd->must_fail = true;
		i++;
	}
	if (i + 1 < nw && !w[i + 1].quoted && !strcmp(w[i + 1].s, "=")) {
		if (check_name(&p, w[i].s) < 0)
			return -1;
		cmd->name = w[i].s;
		i += 2;
	} else if (i < nw && !w[i].quoted && strchr(w[i].s, '=')) {
		return fail(&p, "'%s': write NAME = VERB, with blanks around '='", w[i].s);
	}
	if (i >= nw)
		return fail(&p, cmd->name ? "'%s =' without a verb" : "'!' without a command",
			    cmd->name);
	verb = find_verb(w[i].s);
	if (verb < 0 || w[i].quoted)
		return fail(&p, "unknown verb '%s'", w[i].s);
	v = &script_verbs[verb];
	p.verb = v->name;
	cmd->verb = (enum script_verb)verb;
	i++;
	if (cmd->name && !v->creates)
		return fail(&p, "creates nothing: drop '%s ='", cmd->name);
	if (!cmd->name && v->creates)
		return fail(&p, "makes a %s: write NAME = %s ...", script_kind_name(v->creates),
			    v->name);
	if (v->rest) {
		if (i >= nw && verb == SV_EXEC)
			return fail(&p, "no program");
		for (; i < nw; i++) {
			cmd->words[cmd->nwords] = w[i].s;
			if (refs(&p, cmd->nwords, w[i].s) < 0)
				return -1;
			cmd->nwords++;
		}
		return 1;
	}
	for (; i < nw; i++) {
		const char *eq = w[i].quoted ? NULL : strchr(w[i].s, '=');

		if (eq) {
			char key[32];
			size_t n = (size_t)(eq - w[i].s);
			int k;

			if (n >= sizeof(key))
				return fail(&p, "unknown option '%.*s' (%s)", (int)n, w[i].s,
					    v->help);
			memcpy(key, w[i].s, n);
			key[n] = '\0';
			k = script_opt_index(cmd->verb, key);
			if (k < 0)
				return fail(&p, "unknown option '%s' (%s)", key, v->help);
			if (cmd->opt[k].set)
				return fail(&p, "option '%s' given twice", key);
			if (!eq[1])
				return fail(&p, "option '%s' without a value", key);
			if (value(&p, &v->opt[k], eq + 1, &cmd->opt[k]) < 0)
				return -1;
			continue;
		}
		if (npos >= v->npos + v->nopt_pos && !(v->repeat_last && v->npos)) {
			return fail(&p, "too many arguments at '%s' (%s)", w[i].s, v->help);
		}
		{
			unsigned int pi = npos < v->npos ? npos : v->npos - 1;

			if (value(&p, &v->pos[pi], w[i].s, &cmd->pos[npos]) < 0)
				return -1;
		}
		npos++;
	}
	if (npos < v->npos)
		return fail(&p, "missing %s (%s)", v->pos[npos].name, v->help);
	cmd->npos = npos;
	for (unsigned int k = 0; k < v->nopt; k++)
		if ((v->required >> k) & 1 && !cmd->opt[k].set)
			return fail(&p, "needs %s= (%s)", v->opt[k].name, v->help);
	if (verb == SV_RELEASE) {
		for (unsigned int k = 0; k < npos; k++)
			for (unsigned int m = 0; m < k; m++)
				if (cmd->pos[k].u == cmd->pos[m].u)
					return fail(&p, "'%s' named twice", cmd->pos[k].s);
		for (unsigned int k = 0; k < npos; k++)
			s->slots[cmd->pos[k].u].released = lineno;
	}
	if (cmd->name && !cmd->must_fail) {
		struct slot *sl;

		if (s->n > SCRIPT_MAX_OBJECTS)
			return fail(&p, "more than %d objects", SCRIPT_MAX_OBJECTS);
		sl = &s->slots[s->n];
		memset(sl, 0, sizeof(*sl));
		strcpy(sl->name, cmd->name);
		sl->kind = v->creates;
		sl->line = lineno;
		cmd->creates = (int)s->n++;
	}
	return 1;
}

int script_parse_text(struct script *s, const char *text, size_t len,
		      int (*fn)(const struct script_cmd *cmd, void *data),
		      void *data, char *err, size_t errlen)
{
	struct script_cmd *cmd = malloc(sizeof(*cmd));
	unsigned int lineno = 0;
	int count = 0;
	size_t pos = 0;

	if (!cmd) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		int r;

		lineno++;
		r = script_parse_line(s, text + pos, n, lineno, cmd, err, errlen);
		if (r < 0) {
			count = -1;
			break;
		}
		if (r > 0) {
			count++;
			if (fn && fn(cmd, data) < 0) {
				count = -1;
				break;
			}
		}
		pos += n + (nl ? 1 : 0);
	}
	free(cmd);
	return count;
}
