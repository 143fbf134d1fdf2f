/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nestioctl run: the script language. The parser (script-parse.c) turns
 * text into commands and nothing else: no I/O, no libnestio call, so it is
 * unit-tested and fuzzed on its own. The interpreter (script-run.c) runs
 * the commands. The grammar (nestioctl(1), SCRIPT GRAMMAR):
 *
 *	# a comment, to the end of the line
 *	NAME = VERB ARG... key=value...		creates an object called NAME
 *	VERB ARG... key=value...		acts on objects
 *	! COMMAND				the command must fail
 *
 * Words are separated by blanks; "double quotes" keep blanks and take \"
 * and \\; ${VAR} is replaced by a variable's value (the environment) before
 * the line is split. Numbers are decimal or 0x hex, with an optional K, M or
 * G (x 1024^n), each checked against its argument's range. Every verb's
 * arguments are in one table (script_verbs), so the parser checks argument
 * counts, option names, number ranges and what kind of object each name is,
 * and that a name is neither unknown, taken, nor released, before anything
 * runs.
 */
#ifndef NESTIOCTL_SCRIPT_H
#define NESTIOCTL_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRIPT_MAX_LINE		4096	/* bytes, without the newline */
#define SCRIPT_MAX_WORDS	64
#define SCRIPT_MAX_NAME		31
#define SCRIPT_MAX_OBJECTS	1024	/* objects a script can create */
#define SCRIPT_MAX_OPTS		16	/* options one verb takes */
#define SCRIPT_MAX_REFS		16	/* {name} references in one line */

/* what a name stands for: one bit each, so a parameter takes a set */
enum script_kind {
	SK_CTX = 1u << 0,	/* the iommufd itself: the reserved name "ctx" */
	SK_DEVICE = 1u << 1,
	SK_IOAS = 1u << 2,
	SK_HWPT = 1u << 3,
	SK_VIOMMU = 1u << 4,
	SK_VDEVICE = 1u << 5,
	SK_FAULT = 1u << 6,
	SK_VEVENTQ = 1u << 7,
	SK_INVQ = 1u << 8,
	SK_PASIDS = 1u << 9,
	SK_MEM = 1u << 10,
	SK_MAP = 1u << 11,
};
#define SK_ANY 0xfffu

enum script_verb {
	/* create an object */
	SV_IOAS, SV_DEVICE, SV_MOCK, SV_HWPT, SV_NESTED, SV_VIOMMU, SV_VDEVICE,
	SV_FAULT, SV_VEVENTQ, SV_INVQ, SV_PASIDS, SV_MEM, SV_MAP,
	/* act */
	SV_RELEASE, SV_ATTACH, SV_REPLACE, SV_DETACH, SV_BIND, SV_UNBIND,
	SV_REPLAY, SV_PUSH, SV_FLUSH, SV_DISCARD, SV_WAIT, SV_RESPOND,
	SV_MONITOR, SV_RAISE, SV_POKE, SV_PEEK, SV_EXPECT, SV_FILL, SV_CHECK,
	SV_COMPARE, SV_RANGES, SV_EXEC, SV_ECHO,
	SV_COUNT
};

enum script_type {
	ST_OBJ,		/* a name of one of .kinds */
	ST_NUM,		/* a number in [.min, .max] */
	ST_WORD,	/* one of .words (value: its index), or with .max a
			 * number up to .max instead (value: the number, and
			 * word_set false) */
	ST_FLAGS,	/* a comma list of .words (value: a bit per word) */
	ST_BOOL,	/* on/off, yes/no, 1/0 */
	ST_STR,		/* any word */
	ST_HEX,		/* bytes as hex digits, "de:ad:be:ef" or "deadbeef" */
};

struct script_param {
	const char *name;
	enum script_type type;
	unsigned int kinds;		/* ST_OBJ */
	uint64_t min, max;		/* ST_NUM; ST_WORD's numbers */
	const char *const *words;	/* ST_WORD, ST_FLAGS */
};

struct script_verb_spec {
	const char *name;
	unsigned int creates;		/* the kind it makes, or 0 */
	const struct script_param *pos;	/* positional arguments */
	unsigned int npos;		/* required */
	unsigned int nopt_pos;		/* optional, after the required ones */
	bool repeat_last;		/* the last positional repeats */
	bool rest;			/* every word after the verb is text */
	const struct script_param *opt;	/* key=value options */
	unsigned int nopt;
	const char *help;		/* one line: the arguments */
	unsigned int required;		/* options that must be given: bits */
};

extern const struct script_verb_spec script_verbs[SV_COUNT];

struct script_val {
	bool set;
	bool word_set;		/* ST_WORD: a word, not a number */
	uint64_t u;		/* number, word index, flag bits, bool, object slot */
	const char *s;		/* the word as written (ST_STR, ST_HEX: the text) */
	size_t len;		/* ST_HEX: bytes */
	const uint8_t *hex;	/* ST_HEX: the bytes (in the command) */
};

/* a {NAME}, {NAME.id} or {NAME.iova} inside an exec or echo word */
enum script_ref_field { SR_FD, SR_ID, SR_IOVA, SR_LBRACE, SR_RBRACE };
struct script_ref {
	unsigned int word;		/* cmd->words[word] */
	unsigned int start, end;	/* the braces, [start, end) */
	unsigned int slot;		/* SR_FD, SR_ID, SR_IOVA */
	enum script_ref_field field;	/* SR_[LR]BRACE: "{{" or "}}" */
};

struct script_cmd {
	unsigned int line;
	enum script_verb verb;
	bool must_fail;			/* "! COMMAND" */
	int creates;			/* the new object's slot, or -1 */
	const char *name;		/* the name it creates, or NULL */
	unsigned int npos;
	struct script_val pos[SCRIPT_MAX_WORDS];
	struct script_val opt[SCRIPT_MAX_OPTS];	/* by the verb's option index */
	unsigned int nwords;		/* exec, echo: the text words */
	const char *words[SCRIPT_MAX_WORDS];
	unsigned int nrefs;
	struct script_ref refs[SCRIPT_MAX_REFS];
	char text[SCRIPT_MAX_LINE * 2];	/* the words, NUL-separated */
	uint8_t bytes[SCRIPT_MAX_LINE];	/* ST_HEX values */
	char src[SCRIPT_MAX_LINE + 1];	/* the line as written, for messages */
};

/* the parser's state: the names bound so far */
struct script;

/* variable lookup for ${VAR}: the value, or NULL when it is not set */
typedef const char *(*script_getvar_fn)(const char *name, void *data);

struct script *script_new(script_getvar_fn getvar, void *data);
void script_free(struct script *s);

/*
 * Parses one line (len bytes, no newline; it may hold NUL bytes, which are
 * an error). 1: *cmd holds a command; 0: blank or comment; -1: an error,
 * written to err as "line N: ...". A command that creates binds its name at
 * once; the runner calls script_forget() if the creation then fails.
 */
int script_parse_line(struct script *s, const char *line, size_t len,
		      unsigned int lineno, struct script_cmd *cmd, char *err,
		      size_t errlen);
/* Undoes the binding a command made (its creation failed at run time). */
void script_forget(struct script *s, const struct script_cmd *cmd);

/* the name of a slot, its kind, whether it is released */
const char *script_slot_name(const struct script *s, unsigned int slot);
unsigned int script_slot_kind(const struct script *s, unsigned int slot);
unsigned int script_nslots(const struct script *s);
const char *script_kind_name(unsigned int kind);

/*
 * A whole text: each line parsed in turn (lines end in \n; a last line
 * without one counts). fn, if not NULL, gets every command. The number of
 * commands, or -1 with the first error in err.
 */
int script_parse_text(struct script *s, const char *text, size_t len,
		      int (*fn)(const struct script_cmd *cmd, void *data),
		      void *data, char *err, size_t errlen);

/* the option's index in a verb's table, or -1 (for the interpreter) */
int script_opt_index(enum script_verb verb, const char *name);

#endif
