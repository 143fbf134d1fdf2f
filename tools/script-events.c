// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl run: the steps that wait for events and answer them, read and
 * write the script's memory, and hand the iommufd and devices to another
 * program.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "mockdev.h"
#include "script-run.h"

/* ------------------------------------------------------------ events */

static void print_vevent(struct run *R, unsigned int slot, const struct nestio_vevent *ev)
{
	struct obj *o = &R->objs[slot];
	const char *verb = script_verbs[R->cmd->verb].name;

	if (opt_json) {
		json_object_begin(&R->j, NULL);
		json_u64(&R->j, "line", R->cmd->line);
		json_string(&R->j, "verb", verb);
		json_string(&R->j, "event", "vevent");
		json_string(&R->j, "queue", slot_name(R, slot));
	} else {
		R->tlen = (size_t)snprintf(R->text, sizeof(R->text), "vevent %s",
					   slot_name(R, slot));
	}
	out_u64(R, "seq", ev->sequence);
	out_u64(R, "lost", ev->lost);
	out_u64(R, "len", ev->len);
	if (o->evq_type == NESTIO_VEVENTQ_ARM_SMMUV3) {
		struct nestio_smmuv3_event e;

		if (nestio_vevent_decode_smmuv3(ev, &e) == 0) {
			out_hex(R, "id", e.id);
			out_str(R, "type", e.id == NESTIO_SMMUV3_EVT_TRANSLATION ? "translation" :
				e.id == NESTIO_SMMUV3_EVT_PERMISSION ? "permission" :
				e.id == NESTIO_SMMUV3_EVT_ACCESS ? "access" :
				e.id == NESTIO_SMMUV3_EVT_ADDR_SIZE ? "addr-size" :
				e.id == NESTIO_SMMUV3_EVT_BAD_CD ? "bad-cd" :
				e.id == NESTIO_SMMUV3_EVT_BAD_STE ? "bad-ste" : "other");
			out_hex(R, "sid", e.sid);
			if (e.flags & NESTIO_SMMUV3_EVF_SSV)
				out_hex(R, "ssid", e.ssid);
			out_hex(R, "addr", e.addr);
			out_str(R, "access", e.flags & NESTIO_SMMUV3_EVF_READ ? "read" : "write");
		}
	} else if (o->evq_type == MOCKDEV_VEVENTQ_TYPE && ev->len >= 4) {
		out_hex(R, "virt_id", (uint32_t)ev->data[0]);
	}
	if (opt_json) {
		json_array_begin(&R->j, "data");
		for (unsigned int i = 0; i < (ev->len + 7) / 8 && i < 8; i++)
			json_hex(&R->j, NULL, ev->data[i]);
		json_array_end(&R->j);
	} else {
		for (unsigned int i = 0; i < (ev->len + 7) / 8 && i < 8; i++) {
			char key[8];

			snprintf(key, sizeof(key), "data%u", i);
			out_hex(R, key, ev->data[i]);
		}
	}
	out_end(R);
}

static void print_request(struct run *R, unsigned int slot,
			  const struct nestio_page_request *q)
{
	if (opt_json) {
		json_object_begin(&R->j, NULL);
		json_u64(&R->j, "line", R->cmd->line);
		json_string(&R->j, "verb", script_verbs[R->cmd->verb].name);
		json_string(&R->j, "event", "fault");
		json_string(&R->j, "queue", slot_name(R, slot));
	} else {
		R->tlen = (size_t)snprintf(R->text, sizeof(R->text), "fault %s",
					   slot_name(R, slot));
	}
	out_u64(R, "dev_id", q->dev_id);
	if (q->flags & NESTIO_PRQ_PASID_VALID)
		out_u64(R, "pasid", q->pasid);
	out_u64(R, "grpid", q->grpid);
	out_hex(R, "addr", q->addr);
	out_str(R, "perm", q->perm == (NESTIO_PERM_READ | NESTIO_PERM_WRITE) ? "read,write" :
		q->perm & NESTIO_PERM_WRITE ? "write" : q->perm & NESTIO_PERM_READ ? "read" :
		q->perm & NESTIO_PERM_EXEC ? "exec" : "none");
	out_u64(R, "cookie", q->cookie);
	out_str(R, "last", q->flags & NESTIO_PRQ_LAST_PAGE ? "yes" : "no");
	out_end(R);
}

/* Reads what one queue holds; the number of events (records or requests). */
static int drain(struct run *R, unsigned int slot, unsigned int max)
{
	struct obj *o = &R->objs[slot];
	int r, n = 0;

	if (o->kind == SK_VEVENTQ) {
		struct nestio_vevent ev[16];

		while ((unsigned int)n < max) {
			unsigned int want = max - (unsigned int)n < 16 ? max - (unsigned int)n : 16;

			r = nestio_veventq_read(o->evq, ev, want);
			if (r < 0)
				return r == -EAGAIN ? n : r;
			if (r == 0)
				break;
			for (int i = 0; i < r; i++)
				print_vevent(R, slot, &ev[i]);
			n += r;
		}
		return n;
	}
	while ((unsigned int)n < max) {
		struct nestio_page_request req[32];

		r = nestio_fault_read_group(o->fault, req, 32);
		if (r < 0)
			return r == -EAGAIN ? n : r;
		if (r == 0)
			break;
		for (int i = 0; i < r; i++)
			print_request(R, slot, &req[i]);
		if (o->ngroups < MAX_PENDING_GROUPS)
			o->groups[o->ngroups++] = req[0].cookie;
		n++;
	}
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * wait: events of one queue; monitor: of every live queue, as they come.
 * count (0: no limit) and timeout (ms, -1: none). A signal ends it.
 */
int do_wait(struct run *R)
{
	bool monitor = R->cmd->verb == SV_MONITOR;
	unsigned int want = (unsigned int)optu(R, "count", monitor ? 0 : 1);
	int64_t timeout = has(R, "timeout") ? (int64_t)optu(R, "timeout", 0)
					    : monitor ? -1 : 10000;
	int64_t deadline = timeout < 0 ? -1 : now_ms() + timeout;
	unsigned int got = 0;

	for (;;) {
		struct pollfd p[64];
		unsigned int slots[64], n = 0;
		struct timespec ts, *tsp = NULL;
		int r;

		if (monitor) {
			for (unsigned int i = 0; i < R->norder && n < 64; i++) {
				unsigned int s = R->order[i];

				if (R->objs[s].kind == SK_VEVENTQ || R->objs[s].kind == SK_FAULT)
					slots[n++] = s;
			}
			if (!n)
				return step_fail(R, ENOENT, "the script has no veventq or fault queue");
		} else {
			slots[n++] = (unsigned int)R->cmd->pos[0].u;
		}
		for (unsigned int i = 0; i < n; i++) {
			r = drain(R, slots[i], want ? want - got : UINT32_MAX);
			if (r < 0)
				return call_fail(R, r, slot_name(R, slots[i]));
			got += (unsigned int)r;
			p[i] = (struct pollfd){ .fd = obj_fd(R, slots[i]), .events = POLLIN };
		}
		if (want && got >= want)
			break;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				if (monitor)
					break;
				return step_fail(R, ETIMEDOUT, "%s after %" PRId64 " ms: %u of %u",
						 strerror(ETIMEDOUT), timeout, got, want);
			}
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000;
			tsp = &ts;
		}
		r = ppoll(p, n, tsp, &R->oldmask);
		if (r < 0 && errno != EINTR)
			return call_fail(R, -errno, "poll");
		if (stop_signal)
			return step_fail(R, EINTR, "stopped by %s", strsignal(stop_signal));
	}
	out_begin(R, monitor ? NULL : slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_u64(R, "events", got);
	out_end(R);
	return 0;
}

int do_respond(struct run *R)
{
	struct obj *o = pos_obj(R, 0);
	uint32_t cookie, code = optu(R, "code", 0) ? NESTIO_PAGE_RESP_INVALID
						   : NESTIO_PAGE_RESP_SUCCESS;
	int r;

	if (has(R, "cookie")) {
		cookie = (uint32_t)optu(R, "cookie", 0);
	} else {
		if (!o->ngroups)
			return step_fail(R, ENOENT, "no page request group read and unanswered (wait first)");
		cookie = o->groups[0];
	}
	r = nestio_fault_respond(o->fault, cookie, code);
	if (r < 0)
		return call_fail(R, r, NULL);
	for (unsigned int i = 0; i < o->ngroups; i++) {
		if (o->groups[i] == cookie) {
			memmove(&o->groups[i], &o->groups[i + 1],
				(o->ngroups - i - 1) * sizeof(o->groups[0]));
			o->ngroups--;
			break;
		}
	}
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_u64(R, "cookie", cookie);
	out_str(R, "code", code == NESTIO_PAGE_RESP_SUCCESS ? "success" : "invalid");
	out_end(R);
	return 0;
}

int do_raise(struct run *R)
{
	struct obj *d = pos_obj(R, 0);
	bool iopf = R->cmd->pos[1].u == 1;
	int r;

	if (!d->mock)
		return step_fail(R, EINVAL, "'%s' is not a mock device",
				 slot_name(R, (unsigned int)R->cmd->pos[0].u));
	if (iopf) {
		uint64_t perm = optu(R, "perm", 1);

		r = mockdev_raise_iopf(d->dev, (uint32_t)optu(R, "pasid", 0),
				       (uint32_t)optu(R, "grpid", 0),
				       (uint32_t)perm, optu(R, "addr", 0));
	} else {
		r = mockdev_raise_vevent(d->dev);
	}
	if (r < 0)
		return call_fail(R, r, NULL);
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_str(R, "event", iopf ? "iopf" : "vevent");
	out_end(R);
	return 0;
}

/* ------------------------------------------------------------ memory */

/* bytes [off, off + len) of a mem, or NULL after the step's error */
static uint8_t *span(struct run *R, unsigned int posi, uint64_t off, uint64_t len)
{
	struct mem *m = pos_obj(R, posi)->mem;

	if (off > m->size || len > m->size - off) {
		step_fail(R, ERANGE, "[0x%" PRIx64 ", +0x%" PRIx64 ") is outside %s (0x%" PRIx64 " bytes)",
			  off, len, slot_name(R, (unsigned int)R->cmd->pos[posi].u), m->size);
		return NULL;
	}
	return (uint8_t *)m->va + off;
}

static unsigned int width(struct run *R)
{
	return 1u << optu(R, "width", 3);
}

static uint64_t get_le(const uint8_t *p, unsigned int w)
{
	uint64_t v = 0;

	for (unsigned int i = w; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, unsigned int w, uint64_t v)
{
	for (unsigned int i = 0; i < w; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

int do_poke(struct run *R)
{
	unsigned int w = width(R), nval = R->cmd->npos - 2;
	uint64_t off = R->cmd->pos[1].u, count = R->cmd->verb == SV_PEEK ? optu(R, "count", 1) : nval;
	uint8_t *p = span(R, 0, off, count * w);

	if (!p)
		return -1;
	if (R->cmd->verb != SV_PEEK) {
		for (unsigned int i = 0; i < nval; i++) {
			uint64_t v = R->cmd->pos[2 + i].u;

			if (w < 8 && v >> (w * 8))
				return step_fail(R, ERANGE, "%s does not fit in %u bytes",
						 R->cmd->pos[2 + i].s, w);
		}
	}
	if (R->cmd->verb == SV_EXPECT) {
		for (unsigned int i = 0; i < nval; i++) {
			uint64_t have = get_le(p + (size_t)i * w, w);

			if (have != R->cmd->pos[2 + i].u)
				return step_fail(R, EIO, "at 0x%" PRIx64 ": 0x%" PRIx64 ", expected 0x%" PRIx64,
						 off + (uint64_t)i * w, have, R->cmd->pos[2 + i].u);
		}
	} else if (R->cmd->verb == SV_POKE) {
		for (unsigned int i = 0; i < nval; i++)
			put_le(p + (size_t)i * w, w, R->cmd->pos[2 + i].u);
	}
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_hex(R, "offset", off);
	out_u64(R, "width", w);
	if (R->cmd->verb == SV_PEEK) {
		if (opt_json) {
			json_array_begin(&R->j, "values");
			for (uint64_t i = 0; i < count; i++)
				json_hex(&R->j, NULL, get_le(p + i * w, w));
			json_array_end(&R->j);
		} else {
			out_text(R, "values", "0x%" PRIx64, get_le(p, w));
			for (uint64_t i = 1; i < count && R->tlen < sizeof(R->text) - 24; i++)
				R->tlen += (size_t)snprintf(R->text + R->tlen, sizeof(R->text) - R->tlen,
							    ",0x%" PRIx64, get_le(p + i * w, w));
		}
	} else {
		out_u64(R, "count", nval);
	}
	out_end(R);
	return 0;
}

int do_fill(struct run *R)
{
	uint64_t off = R->cmd->pos[1].u, len = R->cmd->pos[2].u;
	uint8_t b = (uint8_t)R->cmd->pos[3].u, step = (uint8_t)optu(R, "step", 0);
	uint8_t *p = span(R, 0, off, len);

	if (!p)
		return -1;
	for (uint64_t i = 0; i < len; i++) {
		uint8_t want = (uint8_t)(b + step * i);

		if (R->cmd->verb == SV_FILL)
			p[i] = want;
		else if (p[i] != want)
			return step_fail(R, EIO, "at 0x%" PRIx64 ": 0x%02x, expected 0x%02x",
					 off + i, p[i], want);
	}
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_hex(R, "offset", off);
	out_hex(R, "length", len);
	out_end(R);
	return 0;
}

int do_compare(struct run *R)
{
	uint64_t len = R->cmd->pos[4].u;
	uint8_t *a = span(R, 0, R->cmd->pos[1].u, len), *b;

	if (!a)
		return -1;
	b = span(R, 2, R->cmd->pos[3].u, len);
	if (!b)
		return -1;
	for (uint64_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return step_fail(R, EIO, "they differ at +0x%" PRIx64 ": 0x%02x and 0x%02x",
					 i, a[i], b[i]);
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_str(R, "with", slot_name(R, (unsigned int)R->cmd->pos[2].u));
	out_hex(R, "length", len);
	out_str(R, "result", "equal");
	out_end(R);
	return 0;
}

int do_ranges(struct run *R)
{
	struct nestio_iova_range *rg = NULL;
	uint64_t align = 0;
	size_t n = 0;
	int r = nestio_ioas_get_iova_ranges(pos_obj(R, 0)->ioas, &rg, &n, &align);

	if (r < 0)
		return call_fail(R, r, NULL);
	out_begin(R, slot_name(R, (unsigned int)R->cmd->pos[0].u));
	out_hex(R, "alignment", align);
	if (opt_json) {
		json_array_begin(&R->j, "ranges");
		for (size_t i = 0; i < n; i++) {
			json_object_begin(&R->j, NULL);
			json_hex(&R->j, "start", rg[i].start);
			json_hex(&R->j, "last", rg[i].last);
			json_object_end(&R->j);
		}
		json_array_end(&R->j);
	} else {
		for (size_t i = 0; i < n; i++)
			out_text(R, "range", "0x%" PRIx64 "-0x%" PRIx64, rg[i].start, rg[i].last);
	}
	out_end(R);
	nestio_iova_ranges_free(rg);
	return 0;
}

/* ------------------------------------------------------------ exec, echo */

/* word i of an exec/echo command with its {} references filled in */
static char *expand(struct run *R, unsigned int wi, int *fds, unsigned int *nfds)
{
	const struct script_cmd *cmd = R->cmd;
	const char *w = cmd->words[wi];
	size_t cap = strlen(w) + 1, len = 0;
	unsigned int at = 0;
	char *out;

	for (unsigned int k = 0; k < cmd->nrefs; k++)
		if (cmd->refs[k].word == wi)
			cap += 24;
	out = malloc(cap);
	if (!out)
		return NULL;
	for (unsigned int k = 0; k < cmd->nrefs; k++) {
		const struct script_ref *ref = &cmd->refs[k];
		char num[24];

		if (ref->word != wi)
			continue;
		memcpy(out + len, w + at, ref->start - at);
		len += ref->start - at;
		at = ref->end;
		switch (ref->field) {
		case SR_LBRACE: strcpy(num, "{"); break;
		case SR_RBRACE: strcpy(num, "}"); break;
		case SR_ID: snprintf(num, sizeof(num), "%" PRIu64, obj_id(R, ref->slot)); break;
		case SR_IOVA:
			snprintf(num, sizeof(num), "0x%" PRIx64, R->objs[ref->slot].map->iova);
			break;
		case SR_FD: {
			int fd = obj_fd(R, ref->slot);

			snprintf(num, sizeof(num), "%d", fd);
			if (fds && fd >= 0)
				fds[(*nfds)++] = fd;
			break;
		}
		}
		memcpy(out + len, num, strlen(num));
		len += strlen(num);
	}
	strcpy(out + len, w + at);
	return out;
}

int do_echo(struct run *R)
{
	char line[SCRIPT_MAX_LINE * 2];
	size_t len = 0;

	line[0] = '\0';
	for (unsigned int i = 0; i < R->cmd->nwords; i++) {
		char *w = expand(R, i, NULL, NULL);

		if (!w)
			return call_fail(R, -ENOMEM, NULL);
		len += (size_t)snprintf(line + len, len < sizeof(line) ? sizeof(line) - len : 0,
					"%s%s", i ? " " : "", w);
		free(w);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
	}
	if (opt_json) {
		out_begin(R, NULL);
		json_string(&R->j, "text", line);
		out_end(R);
	} else {
		printf("%s\n", line);
		fflush(stdout);
	}
	return 0;
}

/* every fd past stderr close-on-exec (in a child, before it execs) */
static void cloexec_all(void)
{
	long max = sysconf(_SC_OPEN_MAX);

#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) == 0)
		return;
#endif
	/* an older kernel: one by one, as far as the fd limit goes */
	for (int fd = 3; fd < (max > 0 && max < 1048576 ? max : 1048576); fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* every {NAME} of an exec stands for an fd to hand over: a mock device has
 * none (it is the kernel's test driver, not a cdev), so naming one is an
 * error, not a "-1" in the program's arguments */
static int check_fds(struct run *R)
{
	for (unsigned int k = 0; k < R->cmd->nrefs; k++) {
		const struct script_ref *ref = &R->cmd->refs[k];

		if (ref->field == SR_FD && obj_fd(R, ref->slot) < 0)
			return step_fail(R, EBADF, "%s has no fd to hand over",
					 slot_name(R, ref->slot));
	}
	return 0;
}

int do_exec(struct run *R)
{
	unsigned int n = R->cmd->nwords, nfds = 0;
	int fds[SCRIPT_MAX_REFS], status, r = 0;
	char **argv = calloc(n + 1, sizeof(*argv));
	bool killed = false;
	pid_t pid;

	if (!argv)
		return call_fail(R, -ENOMEM, NULL);
	r = check_fds(R);
	if (r < 0)
		goto out;
	for (unsigned int i = 0; i < n; i++) {
		argv[i] = expand(R, i, fds, &nfds);
		if (!argv[i]) {
			r = call_fail(R, -ENOMEM, NULL);
			goto out;
		}
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		r = call_fail(R, -errno, "fork");
		goto out;
	}
	if (pid == 0) {
		/* the named fds, and only they, survive the exec: every fd
		 * past stderr is made close-on-exec (also any this process
		 * was given without the flag), then the flag is cleared on
		 * the named ones, here, in the child's own table */
		cloexec_all();
		for (unsigned int i = 0; i < nfds; i++)
			if (fcntl(fds[i], F_SETFD, 0) < 0)
				_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, &R->oldmask, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: exec %s: %s\n", prog, argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			r = call_fail(R, -errno, "waitpid");
			goto out;
		}
		if (stop_signal && !killed) {
			kill(pid, SIGTERM);
			killed = true;
		}
		if (w == 0)
			sigsuspend(&R->oldmask);
	}
	out_begin(R, NULL);
	out_str(R, "program", argv[0]);
	if (opt_json) {
		json_array_begin(&R->j, "argv");
		for (unsigned int i = 0; i < n; i++)
			json_string(&R->j, NULL, argv[i]);
		json_array_end(&R->j);
	} else {
		char all[1024];
		size_t len = 0;

		all[0] = '\0';
		for (unsigned int i = 0; i < n && len < sizeof(all); i++)
			len += (size_t)snprintf(all + len, sizeof(all) - len, "%s%s",
						i ? " " : "", argv[i]);
		out_str(R, "argv", all);
	}
	out_i64(R, "pid", pid);
	if (WIFEXITED(status))
		out_i64(R, "status", WEXITSTATUS(status));
	else
		out_str(R, "signal", strsignal(WTERMSIG(status)));
	out_end(R);
	if (killed)
		r = step_fail(R, EINTR, "stopped by %s", strsignal(stop_signal));
	else if (!WIFEXITED(status))
		r = step_fail(R, ECHILD, "%s was killed by %s", argv[0], strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status))
		r = step_fail(R, ECHILD, "%s exited with status %d", argv[0], WEXITSTATUS(status));
out:
	for (unsigned int i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	return r;
}

