// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * qtest-edu: proves a VMM's DMA path by playing the guest over QEMU's qtest
 * protocol (a line protocol on a unix socket: "outl 0xcf8 0x..", "readl ..",
 * "write ADDR SIZE 0xHEX", "clock_step NS", each answered "OK [value]").
 *
 *   qtest-edu [--viommu [--dsi]] [--churn N] [--seed S] [--break WHAT]
 *             [--root-port [--eject [--iommufd-fd N]]]
 *             -- QEMU-BINARY [QEMU ARGS..]
 *
 * It finds the edu device (1234:11e8) on bus 0 (or, with --root-port, on
 * bus 1 behind a PCIe root port it configures itself), gives BAR0 an
 * address, turns on memory space and bus mastering, and moves 4 KiB
 * buffers between guest RAM and the edu buffer; with --viommu through
 * IOVAs it maps in the q35 Intel VT-d (qtest-vtd.c). With --eject it then
 * unplugs edu through ACPI PCI hotplug and reports what QEMU still holds
 * (qtest-eject.c). The transcript on stdout is canonical (no
 * pids, paths or timings) so that two QEMU builds can be compared byte for
 * byte; diagnostics go to stderr. Exit 0 ok, 1 failed, 2 usage.
 *
 * Written from QEMU's protocol description (system/qtest.c) and the edu
 * device's documentation; no code of QEMU's libqtest is used.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "qtest-edu.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_S 60	/* QEMU start-up until it connects */

#define EDU_VENDOR_DEVICE 0x11e81234u
#define EDU_ID 0x010000edu

/* plain script: guest-physical addresses, used as IOVAs (no vIOMMU) */
#define GPA_X 0x2000000u
#define GPA_Y 0x3000000u
#define IOVA_HOLE 0x9000000u	/* not guest RAM, below edu's 28-bit mask */

struct opts opt = { .churn = 32, .seed = 1, .iommufd_fd = -1 };
unsigned edu_bus, edu_devfn;
pid_t qemu = -1;

static int sock = -1;
static char dir[256];
static char path[300];
static uint64_t bar0;
static char first_failure[200];

static char *rbuf;		/* bytes received, not yet consumed */
static size_t rlen, rcap;
static char *cbuf;		/* the command being built */
static size_t ccap;

static void cleanup(void)
{
	if (qemu > 0) {
		kill(qemu, SIGKILL);
		waitpid(qemu, NULL, 0);
		qemu = -1;
	}
	if (sock >= 0)
		close(sock);
	sock = -1;
	if (path[0])
		unlink(path);
	if (dir[0])
		rmdir(dir);
	path[0] = dir[0] = 0;
}

_Noreturn void fail(const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "qtest-edu: error: %s\n", msg);
	cleanup();
	printf("qtest-edu: FAILED (%s)\n", msg);
	fflush(stdout);
	exit(1);
}

void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void note_failure(const char *what)
{
	if (!first_failure[0])
		snprintf(first_failure, sizeof(first_failure), "%s", what);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the qtest protocol ---- */

/* the connection broke: say how QEMU ended, if it did */
static _Noreturn void qemu_gone(const char *why)
{
	double deadline = now() + 2;
	int status = 0;
	pid_t r;

	while ((r = waitpid(qemu, &status, WNOHANG)) == 0 && now() < deadline)
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	if (r == qemu) {
		qemu = -1;
		if (WIFSIGNALED(status))
			fail("qtest: QEMU died of signal %d", WTERMSIG(status));
		fail("qtest: QEMU exited with status %d", WEXITSTATUS(status));
	}
	fail("qtest: connection to QEMU lost (%s)", why);
}

static void send_all(const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(sock, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			fail("qtest: QEMU did not take a command within %d s",
			     IO_TIMEOUT_S);
		if (n < 0)
			qemu_gone(strerror(errno));
		s += n;
		len -= (size_t)n;
	}
}

/* the next line that is not an asynchronous "IRQ" message, NUL-terminated
 * in rbuf; returns its length (the caller consumes it) */
static size_t recv_line(void)
{
	for (;;) {
		char *nl = rlen ? memchr(rbuf, '\n', rlen) : NULL;

		if (nl) {
			size_t n = (size_t)(nl - rbuf);

			*nl = 0;
			if (strncmp(rbuf, "IRQ ", 4) != 0)
				return n;
			memmove(rbuf, nl + 1, rlen - n - 1);
			rlen -= n + 1;
			continue;
		}
		if (rcap - rlen < 4096) {
			rcap = rcap ? 2 * rcap : 65536;
			rbuf = realloc(rbuf, rcap);
			if (!rbuf)
				fail("out of memory");
		}
		ssize_t got = recv(sock, rbuf + rlen, rcap - rlen - 1, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			fail("qtest: no answer from QEMU within %d s",
			     IO_TIMEOUT_S);
		if (got <= 0)
			qemu_gone(got < 0 ? strerror(errno) : "end of file");
		rlen += (size_t)got;
	}
}

/* sends cbuf (without newline), returns the answer's value part ("" if
 * none), valid until the next command; anything but OK is a failure */
static const char *command(void)
{
	static char *ans;
	static size_t anscap;
	size_t clen = strlen(cbuf), n;

	cbuf[clen] = '\n';
	send_all(cbuf, clen + 1);
	cbuf[clen] = 0;
	n = recv_line();
	if (n + 1 > anscap) {
		anscap = n + 1;
		ans = realloc(ans, anscap);
		if (!ans)
			fail("out of memory");
	}
	memcpy(ans, rbuf, n + 1);
	memmove(rbuf, rbuf + n + 1, rlen - n - 1);
	rlen -= n + 1;
	if (strcmp(ans, "OK") == 0)
		return "";
	if (strncmp(ans, "OK ", 3) == 0)
		return ans + 3;
	fail("qtest: '%.60s' answered '%.80s'", cbuf, ans);
}

static void cbuf_need(size_t n)
{
	if (n > ccap) {
		ccap = n + 256;
		cbuf = realloc(cbuf, ccap);
		if (!cbuf)
			fail("out of memory");
	}
}

__attribute__((format(printf, 1, 2)))
static const char *cmdf(const char *fmt, ...)
{
	va_list ap;

	cbuf_need(128);
	va_start(ap, fmt);
	vsnprintf(cbuf, ccap - 1, fmt, ap);
	va_end(ap);
	return command();
}

static uint64_t number(const char *s)
{
	char *end;

	errno = 0;
	uint64_t v = strtoull(s, &end, 0);

	if (errno || end == s || *end)
		fail("qtest: expected a number in the answer to '%.60s', got '%.60s'",
		     cbuf, s);
	return v;
}

void q_outl(uint16_t port, uint32_t v)
{
	cmdf("outl 0x%x 0x%x", port, v);
}

static void q_outw(uint16_t port, uint16_t v)
{
	cmdf("outw 0x%x 0x%x", port, v);
}

uint32_t q_inl(uint16_t port)
{
	return (uint32_t)number(cmdf("inl 0x%x", port));
}

static uint16_t q_inw(uint16_t port)
{
	return (uint16_t)number(cmdf("inw 0x%x", port));
}

uint32_t q_readl(uint64_t addr)
{
	return (uint32_t)number(cmdf("readl 0x%" PRIx64, addr));
}

uint64_t q_readq(uint64_t addr)
{
	return number(cmdf("readq 0x%" PRIx64, addr));
}

void q_writel(uint64_t addr, uint32_t val)
{
	cmdf("writel 0x%" PRIx64 " 0x%x", addr, val);
}

void q_writeq(uint64_t addr, uint64_t val)
{
	cmdf("writeq 0x%" PRIx64 " 0x%" PRIx64, addr, val);
}

void q_ram_write(uint64_t addr, const uint8_t *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n;

	cbuf_need(64 + 2 * len);
	n = (size_t)snprintf(cbuf, 64, "write 0x%" PRIx64 " 0x%zx 0x",
			     addr, len);
	for (i = 0; i < len; i++) {
		cbuf[n++] = hex[buf[i] >> 4];
		cbuf[n++] = hex[buf[i] & 15];
	}
	cbuf[n] = 0;
	command();
}

void q_ram_zero(uint64_t addr, size_t len)
{
	uint8_t *z = calloc(1, len);

	if (!z)
		fail("out of memory");
	q_ram_write(addr, z, len);
	free(z);
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void q_ram_read(uint64_t addr, uint8_t *buf, size_t len)
{
	const char *a = cmdf("read 0x%" PRIx64 " 0x%zx", addr, len);
	size_t i;

	if (strncmp(a, "0x", 2) != 0 || strlen(a) != 2 + 2 * len)
		fail("qtest: 'read' answered %zu characters for %zu bytes",
		     strlen(a), len);
	for (i = 0; i < len; i++) {
		int hi = nibble(a[2 + 2 * i]), lo = nibble(a[3 + 2 * i]);

		if (hi < 0 || lo < 0)
			fail("qtest: 'read' answered a non-hex digit");
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
}

/* ---- patterns ---- */

uint64_t rng_next(uint64_t *s)
{
	/* xorshift64 */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void pattern(uint8_t *buf, size_t len, uint64_t tag)
{
	uint64_t s = (opt.seed + 1) * 0x9e3779b97f4a7c15ull ^ (tag << 32 | tag);
	size_t i;

	if (!s)
		s = 1;
	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			rng_next(&s);
		buf[i] = (uint8_t)(s >> (8 * (i % 8)));
	}
}

/* ---- PCI config space through 0xcf8/0xcfc ---- */

static uint32_t cfg_addr(unsigned bus, unsigned devfn, unsigned reg)
{
	return 0x80000000u | (bus & 0xff) << 16 | devfn << 8 | (reg & 0xfc);
}

uint32_t cfg_read32(unsigned bus, unsigned devfn, unsigned reg)
{
	q_outl(0xcf8, cfg_addr(bus, devfn, reg));
	return q_inl(0xcfc);
}

void cfg_write32(unsigned bus, unsigned devfn, unsigned reg, uint32_t v)
{
	q_outl(0xcf8, cfg_addr(bus, devfn, reg));
	q_outl(0xcfc, v);
}

uint16_t cfg_read16(unsigned bus, unsigned devfn, unsigned reg)
{
	q_outl(0xcf8, cfg_addr(bus, devfn, reg));
	return q_inw((uint16_t)(0xcfc + (reg & 2)));
}

void cfg_write16(unsigned bus, unsigned devfn, unsigned reg, uint16_t v)
{
	q_outl(0xcf8, cfg_addr(bus, devfn, reg));
	q_outw((uint16_t)(0xcfc + (reg & 2)), v);
}

static void setup_edu(void)
{
	unsigned bus = edu_bus, devfn;
	uint32_t bar, mask, size;
	uint16_t cmd;

	for (devfn = 0; devfn < 256; devfn++)
		if (cfg_read32(bus, devfn, 0) == EDU_VENDOR_DEVICE)
			break;
	if (devfn == 256)
		fail("no edu device (1234:11e8) on PCI bus %u", bus);
	edu_devfn = devfn;

	bar = cfg_read32(bus, devfn, 0x10);
	if (bar & 1)
		fail("edu BAR0 is an I/O BAR");
	cfg_write32(bus, devfn, 0x10, 0xffffffffu);
	mask = cfg_read32(bus, devfn, 0x10) & ~0xfu;
	size = ~mask + 1;
	cfg_write32(bus, devfn, 0x10, BAR0_ADDR);
	if ((bar & 6) == 4)	/* 64-bit BAR: upper half */
		cfg_write32(bus, devfn, 0x14, 0);
	if ((cfg_read32(bus, devfn, 0x10) & ~0xfu) != BAR0_ADDR)
		fail("edu BAR0 did not take address 0x%x", BAR0_ADDR);
	bar0 = BAR0_ADDR;
	say("pci: edu 1234:11e8 at %02x:%02x.%u, bar0 %s-bit memory, %u KiB, at 0x%x",
	    bus, devfn >> 3, devfn & 7, (bar & 6) == 4 ? "64" : "32", size / 1024,
	    BAR0_ADDR);
	if (size != BAR0_SIZE)
		fail("edu BAR0 is %u bytes, not 1 MiB", size);

	cmd = cfg_read16(bus, devfn, 0x04);
	cfg_write16(bus, devfn, 0x04, cmd | 0x6);	/* memory space, bus master */
	cmd = cfg_read16(bus, devfn, 0x04);
	say("pci: command memory %s, bus master %s", cmd & 2 ? "on" : "OFF",
	    cmd & 4 ? "on" : "OFF");
	if ((cmd & 6) != 6)
		fail("PCI_COMMAND did not take memory space + bus master");
}

/* ---- the edu device ---- */

static void edu_hello(void)
{
	uint32_t id = q_readl(bar0 + 0x00), inv;

	say("edu: identification 0x%08x", id);
	if (id != EDU_ID)
		fail("edu identification 0x%08x, expected 0x%08x", id, EDU_ID);
	/* the liveness register answers the complement of what was written */
	q_writel(bar0 + 0x04, 0x5a5a1234u);
	inv = q_readl(bar0 + 0x04);
	say("edu: liveness 0x5a5a1234 -> 0x%08x", inv);
	if (inv != ~0x5a5a1234u)
		fail("edu liveness register answered 0x%08x", inv);
}

void edu_dma(int to_ram, uint64_t iova)
{
	double deadline = now() + IO_TIMEOUT_S;
	uint32_t cmd;

	q_writeq(bar0 + 0x80, to_ram ? EDU_BUF : iova);
	q_writeq(bar0 + 0x88, to_ram ? iova : EDU_BUF);
	q_writel(bar0 + 0x90, PAGE_SIZE);
	q_writel(bar0 + 0x98, 1u | (to_ram ? 2u : 0u));
	for (;;) {
		/* the emulated edu finishes 100 ms of virtual time later;
		 * a passed-through one in its own (wall) time */
		cmdf("clock_step 100000000");
		cmd = q_readl(bar0 + 0x98);
		if (!(cmd & 1))
			return;
		if (now() > deadline)
			fail("edu DMA %s iova 0x%" PRIx64 " not done after %d s",
			     to_ram ? "edu->ram" : "ram->edu", iova,
			     IO_TIMEOUT_S);
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
}

int check_ram(const char *what, uint64_t gpa, const uint8_t *want)
{
	uint8_t got[PAGE_SIZE];
	size_t i;

	q_ram_read(gpa, got, sizeof(got));
	for (i = 0; i < sizeof(got); i++)
		if (got[i] != want[i])
			break;
	if (i == sizeof(got)) {
		say("check: %s: ok", what);
		return 0;
	}
	say("check: %s: MISMATCH at byte %zu (0x%02x, expected 0x%02x)",
	    what, i, got[i], want[i]);
	note_failure(what);
	return -1;
}

int ram_uniform(uint64_t gpa)
{
	uint8_t got[PAGE_SIZE];
	size_t i;

	q_ram_read(gpa, got, sizeof(got));
	for (i = 1; i < sizeof(got); i++)
		if (got[i] != got[0])
			return -1;
	return got[0];
}

/* ---- the plain script: IOVA = guest-physical address ---- */

static void script_plain(void)
{
	uint8_t p1[PAGE_SIZE], p2[PAGE_SIZE], zero[PAGE_SIZE] = { 0 };
	uint64_t rng = opt.seed * 2654435761u + 7;
	unsigned k;
	int u;

	pattern(p1, sizeof(p1), 1);
	q_ram_write(GPA_X, p1, sizeof(p1));
	q_ram_zero(GPA_Y, PAGE_SIZE);
	edu_dma(0, GPA_X);
	say("dma: ram->edu from 0x%x: done", GPA_X);
	edu_dma(1, GPA_Y);
	say("dma: edu->ram to 0x%x: done", GPA_Y);
	if (opt.brk == BREAK_BYTE)
		q_ram_write(GPA_Y + 123, (const uint8_t[]){ (uint8_t)~p1[123] }, 1);
	check_ram("gpa 0x3000000 holds the pattern written at 0x2000000", GPA_Y, p1);

	/* the edu buffer holds a second pattern; the other direction */
	pattern(p2, sizeof(p2), 2);
	q_ram_write(GPA_Y, p2, sizeof(p2));
	edu_dma(0, GPA_Y);
	q_ram_zero(GPA_X, PAGE_SIZE);
	edu_dma(1, GPA_X);
	check_ram("gpa 0x2000000 holds the pattern written at 0x3000000", GPA_X, p2);

	for (k = 0; k < opt.churn; k++) {
		uint64_t gpa = 0x4000000u + (rng_next(&rng) % 0x4000u) * PAGE_SIZE;
		uint8_t p[PAGE_SIZE];
		char what[80];

		pattern(p, sizeof(p), 100 + k);
		q_ram_write(gpa, p, sizeof(p));
		edu_dma(0, gpa);
		q_ram_zero(gpa, PAGE_SIZE);
		edu_dma(1, gpa);
		snprintf(what, sizeof(what), "churn %u: gpa 0x%07" PRIx64
			 " round trip", k, gpa);
		check_ram(what, gpa, p);
	}

	/* a DMA to and from an address that is not guest RAM: nothing
	 * answers there, so the write goes nowhere and the read fills zeros
	 * (what a blocking IOMMU does too) */
	edu_dma(1, IOVA_HOLE);
	say("dma: edu->ram to 0x%x (not guest RAM): done", IOVA_HOLE);
	u = ram_uniform(IOVA_HOLE);
	if (u < 0)
		say("check: 0x%x reads back as data: UNEXPECTED", IOVA_HOLE);
	else
		say("check: 0x%x reads back as all 0x%02x: ok, nothing was written",
		    IOVA_HOLE, u);
	if (u < 0)
		note_failure("the write to the hole landed somewhere");
	edu_dma(0, IOVA_HOLE);
	say("dma: ram->edu from 0x%x (not guest RAM): done", IOVA_HOLE);
	q_ram_write(GPA_Y, p1, sizeof(p1));
	edu_dma(1, GPA_Y);
	check_ram("edu buffer after the read from the hole is all zero", GPA_Y,
		  zero);
}

/* ---- QEMU's life ---- */

static void start_qemu(char **qargv, int qargc)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *tmp = getenv("TMPDIR");
	static char a_qtest[] = "-qtest", a_log[] = "-qtest-log",
		    a_null[] = "/dev/null";
	char qtest_arg[320];
	char **argv;
	pid_t parent;
	int lfd, i;
	double deadline;

	snprintf(dir, sizeof(dir), "%s/qtest-edu.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		dir[0] = 0;
		fail("mkdtemp: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/qtest.sock", dir);
	if (strlen(path) >= sizeof(sa.sun_path))
		fail("socket path too long; set TMPDIR to a shorter directory");
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1) < 0)
		fail("listening socket: %s", strerror(errno));

	argv = calloc((size_t)qargc + 5, sizeof(*argv));
	if (!argv)
		fail("out of memory");
	for (i = 0; i < qargc; i++)
		argv[i] = qargv[i];
	snprintf(qtest_arg, sizeof(qtest_arg), "unix:%s", path);
	argv[i++] = a_qtest;
	argv[i++] = qtest_arg;
	argv[i++] = a_log;
	argv[i++] = a_null;
	argv[i] = NULL;

	fflush(stdout);
	parent = getpid();
	qemu = fork();
	if (qemu < 0)
		fail("fork: %s", strerror(errno));
	if (qemu == 0) {
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* QEMU's own output must never reach the transcript; QEMU
		 * must not outlive us, however we end */
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(2, 1) < 0 ||
		    prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "qtest-edu: exec %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	free(argv);

	deadline = now() + START_TIMEOUT_S;
	for (;;) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		int status;

		if (poll(&pfd, 1, 100) > 0)
			break;
		if (waitpid(qemu, &status, WNOHANG) == qemu) {
			qemu = -1;
			close(lfd);
			fail("QEMU exited before connecting (%s %d)",
			     WIFEXITED(status) ? "status" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) :
						 WTERMSIG(status));
		}
		if (now() > deadline)
			fail("QEMU did not connect within %d s", START_TIMEOUT_S);
	}
	sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	if (sock < 0)
		fail("accept: %s", strerror(errno));
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	if (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		fail("setsockopt: %s", strerror(errno));
	if (opt.eject)
		drop_inherited_fds(sock);
	/* the socket file and its directory are no longer needed */
	unlink(path);
	rmdir(dir);
	path[0] = dir[0] = 0;
}

/* SIGTERM, wait (bounded), report; returns 0 if QEMU exited with 0 */
static int stop_qemu(void)
{
	double deadline = now() + IO_TIMEOUT_S;
	int status;
	pid_t r;

	kill(qemu, SIGTERM);
	while ((r = waitpid(qemu, &status, WNOHANG)) == 0) {
		if (now() > deadline) {
			fprintf(stderr, "qtest-edu: QEMU ignored SIGTERM\n");
			kill(qemu, SIGKILL);
			waitpid(qemu, &status, 0);
			qemu = -1;
			say("qemu: did not exit on SIGTERM");
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	qemu = -1;
	if (r < 0)
		fail("waitpid: %s", strerror(errno));
	if (WIFEXITED(status)) {
		say("qemu: exit status %d", WEXITSTATUS(status));
		return WEXITSTATUS(status) ? -1 : 0;
	}
	say("qemu: killed by signal %d", WTERMSIG(status));
	return -1;
}

static _Noreturn void usage(void)
{
	fprintf(stderr,
		"usage: qtest-edu [--viommu [--dsi]] [--churn N] [--seed S] [--break WHAT]\n"
		"                 [--root-port [--eject [--iommufd-fd N]]]"
		" -- QEMU-BINARY [QEMU ARGS...]\n"
		"  --viommu      program the q35 Intel VT-d and DMA through IOVAs\n"
		"  --dsi         invalidate the IOTLB domain-selectively, never per page\n"
		"  --churn N     map/DMA/unmap rounds (default 32)\n"
		"  --seed S      seed of the data patterns and addresses (default 1)\n"
		"  --break WHAT  a deliberately wrong script, must end FAILED:\n"
		"                byte (corrupt one byte of RAM after a DMA),\n"
		"                unmap-inval (skip the invalidation after unmapping B),\n"
		"                map-inval (skip it after mapping A; only a VMM that\n"
		"                shadows the tables, e.g. vfio, notices)\n"
		"  --root-port   edu is behind a PCIe root port (-device pcie-root-port,id=rp0,\n"
		"                ... -device edu,bus=rp0): configure the port, use bus 1\n"
		"  --eject       after the script, unplug edu through q35's ACPI PCI hotplug\n"
		"                registers and report the fds QEMU still holds on /dev/iommu\n"
		"                and /dev/vfio/devices/* (expected 0 and 0); the client\n"
		"                closes its copies of inherited fds, QEMU keeps its own\n"
		"  --iommufd-fd N  QEMU was given its iommufd as fd N (-object iommufd,fd=N):\n"
		"                expect it still open (1 and 0), take it with pidfd_getfd()\n"
		"                and allocate an IOAS on it, which must get id 1\n");
	exit(2);
}

static uint64_t arg_number(const char *s)
{
	char *end;

	errno = 0;
	uint64_t v = strtoull(s, &end, 0);

	if (errno || end == s || *end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static const char *const breaks[] = { "none", "byte", "map-inval",
					      "unmap-inval" };
	int i, j, qemu_bad;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--viommu") == 0) {
			opt.viommu = 1;
		} else if (strcmp(argv[i], "--dsi") == 0) {
			opt.dsi = 1;
		} else if (strcmp(argv[i], "--churn") == 0 && i + 1 < argc) {
			opt.churn = (unsigned)arg_number(argv[++i]);
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			opt.seed = arg_number(argv[++i]);
		} else if (strcmp(argv[i], "--break") == 0 && i + 1 < argc) {
			i++;
			for (j = 1; j < 4; j++)
				if (strcmp(argv[i], breaks[j]) == 0)
					opt.brk = (enum qbreak)j;
			if (opt.brk == BREAK_NONE)
				usage();
		} else if (strcmp(argv[i], "--root-port") == 0) {
			opt.root_port = 1;
		} else if (strcmp(argv[i], "--eject") == 0) {
			opt.eject = 1;
		} else if (strcmp(argv[i], "--iommufd-fd") == 0 && i + 1 < argc) {
			uint64_t fd = arg_number(argv[++i]);

			if (fd > 1u << 20)
				usage();
			opt.iommufd_fd = (int)fd;
		} else {
			usage();
		}
	}
	/* q35 offers ACPI hotplug only on buses behind bridges */
	if (i + 1 >= argc || (opt.eject && !opt.root_port) ||
	    (opt.iommufd_fd >= 0 && !opt.eject))
		usage();
	signal(SIGPIPE, SIG_IGN);

	say("qtest-edu: %s, seed %" PRIu64 ", churn %u%s%s%s%s",
	    opt.viommu ? "viommu" : "plain", opt.seed, opt.churn,
	    opt.brk ? ", break " : "", opt.brk ? breaks[opt.brk] : "",
	    opt.root_port ? ", behind a root port" : "",
	    opt.eject ? ", eject" : "");
	start_qemu(argv + i + 1, argc - i - 1);
	if (opt.root_port)
		setup_root_port();
	setup_edu();
	edu_hello();
	if (opt.viommu)
		script_viommu();
	else
		script_plain();
	if (opt.eject)
		eject_edu();
	qemu_bad = stop_qemu();
	cleanup();
	if (!first_failure[0] && qemu_bad)
		note_failure("QEMU did not exit cleanly");
	if (first_failure[0]) {
		printf("qtest-edu: FAILED (%s)\n", first_failure);
		return 1;
	}
	printf("qtest-edu: ok\n");
	return 0;
}
