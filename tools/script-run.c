// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl run: the script interpreter. The kernel destroys every iommufd
 * object when its fd closes, so a manual bind lives in this one process:
 * the script's objects stay until it ends (or `release`), then go in
 * reverse creation order. The parser (script-parse.c) checks the whole
 * script before anything runs. This file: the command, the input, how a
 * step prints and fails, the objects' lifetime; the steps themselves are
 * in script-steps.c and script-events.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "script-run.h"

#ifdef HAVE_LIBEDIT
#include <histedit.h>
#endif

volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_child(int sig)
{
	(void)sig;
}

/* ------------------------------------------------------------ printing */

void out_begin(struct run *R, const char *name)
{
	const struct script_cmd *cmd = R->cmd;
	const char *verb = script_verbs[cmd->verb].name;

	if (opt_json) {
		json_object_begin(&R->j, NULL);
		json_u64(&R->j, "line", cmd->line);
		json_string(&R->j, "verb", verb);
		if (name)
			json_string(&R->j, "name", name);
		return;
	}
	R->tlen = (size_t)snprintf(R->text, sizeof(R->text), "%s%s%s", verb,
				   name ? " " : "", name ? name : "");
}

void out_text(struct run *R, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (R->tlen >= sizeof(R->text) - 1)
		return;
	R->tlen += (size_t)snprintf(R->text + R->tlen, sizeof(R->text) - R->tlen,
				    " %s=", key);
	if (R->tlen >= sizeof(R->text) - 1)
		return;
	va_start(ap, fmt);
	R->tlen += (size_t)vsnprintf(R->text + R->tlen, sizeof(R->text) - R->tlen,
				     fmt, ap);
	va_end(ap);
}

void out_u64(struct run *R, const char *key, uint64_t v)
{
	if (opt_json)
		json_u64(&R->j, key, v);
	else
		out_text(R, key, "%" PRIu64, v);
}

void out_i64(struct run *R, const char *key, int64_t v)
{
	if (opt_json)
		json_i64(&R->j, key, v);
	else
		out_text(R, key, "%" PRId64, v);
}

void out_hex(struct run *R, const char *key, uint64_t v)
{
	if (opt_json)
		json_hex(&R->j, key, v);
	else
		out_text(R, key, "0x%" PRIx64, v);
}

void out_str(struct run *R, const char *key, const char *s)
{
	if (opt_json)
		json_string(&R->j, key, s);
	else if (strpbrk(s, " \t\"") || !*s)
		out_text(R, key, "\"%s\"", s);
	else
		out_text(R, key, "%s", s);
}

void out_end(struct run *R)
{
	if (opt_json) {
		json_object_end(&R->j);
	} else {
		if (R->tlen > sizeof(R->text) - 1)
			R->tlen = sizeof(R->text) - 1;
		printf("%.*s\n", (int)R->tlen, R->text);
		fflush(stdout);
	}
}

/* A step's error: "prog: FILE: line N: VERB: message", and with --json an
 * object {"line", "verb", "error", "errno"} on stdout. Returns -1. */
int step_fail(struct run *R, int err, const char *fmt, ...)
{
	const struct script_cmd *cmd = R->cmd;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (R->expect_fail) {
		R->fail_errno = err;
		snprintf(R->fail_msg, sizeof(R->fail_msg), "%s", msg);
		return -1;
	}
	fprintf(stderr, "%s: %s: line %u: %s: %s\n", prog, R->file, cmd->line,
		script_verbs[cmd->verb].name, msg);
	if (opt_json) {
		json_object_begin(&R->j, NULL);
		json_u64(&R->j, "line", cmd->line);
		json_string(&R->j, "verb", script_verbs[cmd->verb].name);
		json_string(&R->j, "error", msg);
		if (err)
			json_i64(&R->j, "errno", err);
		json_object_end(&R->j);
	}
	return -1;
}

/* a library call's -errno as a step error */
int call_fail(struct run *R, int r, const char *what)
{
	if (what)
		return step_fail(R, -r, "%s: %s", what, strerror(-r));
	return step_fail(R, -r, "%s", strerror(-r));
}

/* ------------------------------------------------------------ lookups */

struct obj *pos_obj(struct run *R, unsigned int i)
{
	return &R->objs[R->cmd->pos[i].u];
}

/* an option of the step's verb (one it does not take: never set) */
const struct script_val *opt(struct run *R, const char *name)
{
	static const struct script_val unset;
	int k = script_opt_index(R->cmd->verb, name);

	return k < 0 ? &unset : &R->cmd->opt[k];
}

bool has(struct run *R, const char *name)
{
	return opt(R, name)->set;
}

uint64_t optu(struct run *R, const char *name, uint64_t dflt)
{
	const struct script_val *v = opt(R, name);

	return v->set ? v->u : dflt;
}

uint32_t opt_pasid(struct run *R)
{
	return has(R, "pasid") ? (uint32_t)optu(R, "pasid", 0) : NESTIO_NO_PASID;
}

const char *slot_name(struct run *R, unsigned int slot)
{
	return script_slot_name(R->s, slot);
}

int obj_fd(struct run *R, unsigned int slot)
{
	struct obj *o = &R->objs[slot];

	switch (o->kind) {
	case SK_CTX: return nestio_ctx_get_fd(R->ctx);
	case SK_DEVICE: return nestio_device_get_fd(o->dev);
	case SK_MEM: return o->mem->fd;
	case SK_FAULT: return nestio_fault_get_fd(o->fault);
	case SK_VEVENTQ: return nestio_veventq_get_fd(o->evq);
	}
	return -1;
}

uint64_t obj_id(struct run *R, unsigned int slot)
{
	struct obj *o = &R->objs[slot];

	switch (o->kind) {
	case SK_DEVICE: return nestio_device_get_id(o->dev);
	case SK_IOAS: return nestio_ioas_get_id(o->ioas);
	case SK_HWPT: return nestio_hwpt_get_id(o->hwpt);
	case SK_VIOMMU: return nestio_viommu_get_id(o->viommu);
	case SK_VDEVICE: return nestio_vdevice_get_id(o->vdev);
	case SK_FAULT: return nestio_fault_get_id(o->fault);
	case SK_VEVENTQ: return nestio_veventq_get_id(o->evq);
	}
	return 0;
}

/* ------------------------------------------------------------ release */

void obj_release(struct obj *o)
{
	uint64_t unmapped;

	switch (o->kind) {
	case SK_DEVICE: nestio_device_unref(o->dev); break;
	case SK_IOAS: nestio_ioas_unref(o->ioas); break;
	case SK_HWPT: nestio_hwpt_unref(o->hwpt); break;
	case SK_VIOMMU: nestio_viommu_unref(o->viommu); break;
	case SK_VDEVICE: nestio_vdevice_unref(o->vdev); break;
	case SK_FAULT: nestio_fault_unref(o->fault); break;
	case SK_VEVENTQ: nestio_veventq_unref(o->evq); break;
	case SK_INVQ: nestio_invq_unref(o->invq); break;
	case SK_PASIDS: nestio_pasid_table_unref(o->pasids); break;
	case SK_MEM:
		munmap(o->mem->va, o->mem->size);
		if (o->mem->fd >= 0)
			close(o->mem->fd);
		free(o->mem);
		break;
	case SK_MAP:
		nestio_ioas_unmap(o->map->ioas, o->map->iova, o->map->length, &unmapped);
		nestio_ioas_unref(o->map->ioas);
		free(o->map);
		break;
	}
	memset(o, 0, sizeof(*o));
}

static void release_all(struct run *R)
{
	for (unsigned int i = R->norder; i-- > 0;) {
		struct obj *o = &R->objs[R->order[i]];

		if (o->kind && o->kind != SK_CTX)
			obj_release(o);
	}
	R->norder = 0;
}

/* the step's new object */
void created(struct run *R, unsigned int kind, void *p)
{
	struct obj *o = &R->objs[R->cmd->creates];

	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->p = p;
	R->order[R->norder++] = (unsigned int)R->cmd->creates;
}

/* ------------------------------------------------------------ a step */

/* /dev/iommu is opened for the first step that needs it, so a script of
 * memory steps alone runs anywhere */
static int need_ctx(struct run *R, const struct script_cmd *cmd)
{
	bool need = cmd->verb == SV_IOAS || cmd->verb == SV_DEVICE ||
		    cmd->verb == SV_FAULT;
	int r;

	for (unsigned int i = 0; i < cmd->nrefs; i++)
		if (cmd->refs[i].field == SR_FD && cmd->refs[i].slot == 0)
			need = true;
	if (!need || R->ctx)
		return 0;
	r = nestio_ctx_new(&R->ctx);
	if (r < 0)
		return step_fail(R, -r, "/dev/iommu: %s%s", strerror(-r),
				 r == -ENOENT ? " (this kernel has no iommufd)" : "");
	if (opt_verbose)
		nestio_ctx_set_log_priority(R->ctx, LOG_DEBUG);
	return 0;
}

static int step(struct run *R, const struct script_cmd *cmd)
{
	R->cmd = cmd;
	if (need_ctx(R, cmd) < 0)
		return -1;
	switch (cmd->verb) {
	case SV_IOAS: return do_ioas(R);
	case SV_DEVICE:
	case SV_MOCK: return do_device(R);
	case SV_HWPT:
	case SV_NESTED: return do_hwpt(R);
	case SV_VIOMMU: return do_viommu(R);
	case SV_VDEVICE: return do_vdevice(R);
	case SV_FAULT:
	case SV_VEVENTQ: return do_queue(R);
	case SV_INVQ: return do_invq(R);
	case SV_PASIDS: return do_pasids(R);
	case SV_MEM: return do_mem(R);
	case SV_MAP: return do_map(R);
	case SV_RELEASE: return do_release(R);
	case SV_ATTACH:
	case SV_REPLACE:
	case SV_DETACH: return do_attach(R);
	case SV_BIND:
	case SV_UNBIND:
	case SV_REPLAY: return do_bind(R);
	case SV_PUSH: return do_push(R);
	case SV_FLUSH:
	case SV_DISCARD: return do_flush(R);
	case SV_WAIT:
	case SV_MONITOR: return do_wait(R);
	case SV_RESPOND: return do_respond(R);
	case SV_RAISE: return do_raise(R);
	case SV_POKE:
	case SV_PEEK:
	case SV_EXPECT: return do_poke(R);
	case SV_FILL:
	case SV_CHECK: return do_fill(R);
	case SV_COMPARE: return do_compare(R);
	case SV_RANGES: return do_ranges(R);
	case SV_EXEC: return do_exec(R);
	case SV_ECHO: return do_echo(R);
	case SV_COUNT: break;
	}
	return step_fail(R, EINVAL, "not implemented");
}

/* A step, with "! COMMAND" turned around. 0 or -1 (an error printed). */
static int run_cmd(struct run *R, struct script_cmd *cmd)
{
	int r;

	if (!cmd->must_fail)
		return step(R, cmd);
	/* a creation that must fail binds no name; if it succeeds anyway,
	 * its object is released at once */
	if (script_verbs[cmd->verb].creates)
		cmd->creates = SCRIPT_MAX_OBJECTS;
	R->expect_fail = true;
	R->fail_msg[0] = '\0';
	R->fail_errno = 0;
	r = step(R, cmd);
	R->expect_fail = false;
	if (r == 0) {
		if (cmd->creates == SCRIPT_MAX_OBJECTS) {
			obj_release(&R->objs[SCRIPT_MAX_OBJECTS]);
			R->norder--;
		}
		R->cmd = cmd;
		return step_fail(R, 0, "succeeded, but '!' says it must fail");
	}
	if (opt_json) {
		json_object_begin(&R->j, NULL);
		json_u64(&R->j, "line", cmd->line);
		json_string(&R->j, "verb", script_verbs[cmd->verb].name);
		json_bool(&R->j, "expected_failure", true);
		json_string(&R->j, "error", R->fail_msg);
		if (R->fail_errno)
			json_i64(&R->j, "errno", R->fail_errno);
		json_object_end(&R->j);
	} else {
		printf("%s failed as expected: %s\n", script_verbs[cmd->verb].name,
		       R->fail_msg);
		fflush(stdout);
	}
	return 0;
}

/* ------------------------------------------------------------ input */

struct input {
	FILE *f;
	char *buf;
	size_t cap;
#ifdef HAVE_LIBEDIT
	EditLine *el;
	History *hist;
#endif
};

static const char *prompt_fn(void)
{
	return "nestioctl> ";
}

#ifdef HAVE_LIBEDIT
static char *el_prompt(EditLine *el)
{
	(void)el;
	return (char *)prompt_fn();
}
#endif

/* the next line (without its newline) and its length; -1 at the end */
static ssize_t next_line(struct input *in, bool interactive, const char **line)
{
	ssize_t n;

#ifdef HAVE_LIBEDIT
	if (interactive && in->el) {
		int count = 0;
		const char *l = el_gets(in->el, &count);

		if (!l || count <= 0)
			return -1;
		n = count;
		if (n > 0 && l[n - 1] == '\n')
			n--;
		if (n > 0) {
			HistEvent ev;

			history(in->hist, &ev, H_ENTER, l);
		}
		*line = l;
		return n;
	}
#endif
	if (interactive) {
		fputs(prompt_fn(), stderr);
		fflush(stderr);
	}
	n = getline(&in->buf, &in->cap, in->f);
	if (n < 0)
		return -1;
	if (n > 0 && in->buf[n - 1] == '\n')
		n--;
	*line = in->buf;
	return n;
}

static const char *getvar(const char *name, void *data)
{
	(void)data;
	return getenv(name);
}

/* ------------------------------------------------------------ the command */

static int parse_all(FILE *f, char *err, size_t errlen)
{
	struct script *s = script_new(getvar, NULL);
	struct script_cmd *cmd = malloc(sizeof(*cmd));
	struct input in = { .f = f };
	unsigned int lineno = 0;
	const char *line;
	ssize_t n;
	int r = 0;

	if (!s || !cmd) {
		snprintf(err, errlen, "out of memory");
		r = -1;
	}
	while (r == 0 && (n = next_line(&in, false, &line)) >= 0)
		if (script_parse_line(s, line, (size_t)n, ++lineno, cmd, err, errlen) < 0)
			r = -1;
	if (r == 0 && ferror(f)) {
		snprintf(err, errlen, "%s", strerror(errno));
		r = -1;
	}
	free(in.buf);
	free(cmd);
	script_free(s);
	return r;
}

int cmd_run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "keep", no_argument, NULL, 'k' },
		CMD_COMMON_OPTIONS
	};
	struct run *R = NULL;
	struct script_cmd *cmd = NULL;
	struct input in = { 0 };
	const char *file = "-", *line;
	struct sigaction sa = { .sa_handler = on_signal }, sc = { .sa_handler = on_child };
	sigset_t block;
	unsigned int lineno = 0;
	bool keep = false, failed = false;
	char err[512];
	ssize_t n;
	int c, r, status = EXIT_FAILURE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+k" CMD_COMMON_SHORT, options, NULL)) != -1) {
		if (c == 'k') {
			keep = true;
			continue;
		}
		r = cmd_options(c, argc, argv);
		if (r >= 0)
			return r;
	}
	if (argc - optind > 1)
		return usage_error(argv[0], "one SCRIPT at most");
	if (argc - optind == 1)
		file = argv[optind];

	R = calloc(1, sizeof(*R));
	cmd = malloc(sizeof(*cmd));
	if (!R || !cmd) {
		errmsg("run", -ENOMEM);
		goto out;
	}
	R->file = strcmp(file, "-") ? file : "stdin";
	if (strcmp(file, "-")) {
		in.f = fopen(file, "re");
		if (!in.f) {
			errmsg(file, -errno);
			goto out;
		}
	} else {
		in.f = stdin;
		R->interactive = isatty(STDIN_FILENO);
	}
	/* a script is checked whole before anything runs; what it reads
	 * from a pipe cannot be read twice, so standard input is checked
	 * line by line as it runs */
	if (in.f != stdin) {
		if (parse_all(in.f, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, R->file, err);
			status = EXIT_FAILURE;
			goto out;
		}
		rewind(in.f);
	}
	R->s = script_new(getvar, NULL);
	if (!R->s) {
		errmsg("run", -ENOMEM);
		goto out;
	}
	R->objs[0].kind = SK_CTX;
	tool_json(&R->j);

	/* signals: blocked except while waiting (ppoll, sigsuspend) */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &R->oldmask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sc, NULL);

#ifdef HAVE_LIBEDIT
	if (R->interactive) {
		HistEvent ev;

		in.el = el_init(prog, stdin, stdout, stderr);
		in.hist = history_init();
		if (in.el && in.hist) {
			history(in.hist, &ev, H_SETSIZE, 500);
			el_set(in.el, EL_PROMPT, el_prompt);
			el_set(in.el, EL_EDITOR, "emacs");
			el_set(in.el, EL_HIST, history, in.hist);
		}
	}
#endif
	for (;;) {
		if (R->interactive)	/* ^C at the prompt ends the session */
			sigprocmask(SIG_SETMASK, &R->oldmask, NULL);
		n = next_line(&in, R->interactive, &line);
		if (R->interactive)
			sigprocmask(SIG_BLOCK, &block, NULL);
		if (n < 0 || stop_signal)
			break;
		r = script_parse_line(R->s, line, (size_t)n, ++lineno, cmd, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, R->file, err);
			failed = true;
			if (R->interactive)
				continue;
			break;
		}
		if (r == 0)
			continue;
		if (run_cmd(R, cmd) < 0) {
			failed = true;
			if (cmd->creates > 0 && cmd->creates < SCRIPT_MAX_OBJECTS &&
			    !R->objs[cmd->creates].kind)
				script_forget(R->s, cmd);
			if (R->interactive)
				continue;
			break;
		}
		if (stop_signal)
			break;
	}
	if (!R->interactive && in.f && ferror(in.f)) {
		errmsg(R->file, -EIO);
		failed = true;
	}
	if (stop_signal) {
		/* unless a step said so already */
		if (!failed)
			fprintf(stderr, "%s: %s: stopped by %s\n", prog, R->file,
				strsignal(stop_signal));
		failed = true;
	}
	if (keep && !failed) {
		unsigned int live = 0;

		for (unsigned int i = 0; i < R->norder; i++)
			live += R->objs[R->order[i]].kind != 0;
		fprintf(stderr, "%s: keeping %u objects until SIGINT or SIGTERM (pid %d)\n",
			prog, live, (int)getpid());
		while (!stop_signal)
			sigsuspend(&R->oldmask);
	}
	status = failed && !R->interactive ? EXIT_FAILURE : EXIT_SUCCESS;
	if (R->interactive && stop_signal && !keep)
		status = EXIT_FAILURE;
out:
	if (R) {
		release_all(R);
		nestio_ctx_unref(R->ctx);
		script_free(R->s);
		sigprocmask(SIG_SETMASK, &R->oldmask, NULL);
	}
#ifdef HAVE_LIBEDIT
	if (in.el)
		el_end(in.el);
	if (in.hist)
		history_end(in.hist);
#endif
	if (in.f && in.f != stdin)
		fclose(in.f);
	free(in.buf);
	free(cmd);
	free(R);
	if (status == EXIT_SUCCESS && !tool_stdout_ok())
		status = EXIT_FAILURE;
	return status;
}
