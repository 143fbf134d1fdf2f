// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: fault groups (lib/fault.c) through the public API,
 * with every read(2) and write(2) of the fault queue's fd answered from
 * the input.
 *
 * Input: a list of steps: nestio_fault_read_group() (max from the input),
 * nestio_ctx_dispatch() with a handler, or nestio_fault_respond() to a
 * cookie (one handed out, or any). The reads they make are answered in
 * order: EAGAIN, EINVAL (a group of up to 256 records is next: EINVAL
 * until a read can hold it), up to 8 page-request
 * records built from the input (small kernel cookies, so that they repeat,
 * but as a kernel hands them out: see cookie_free(); each record's addr is
 * its serial number, so that the target knows which record came back
 * where), or 1 to 31 raw bytes (not whole records). A record read with a
 * kernel cookie ends the old token of that cookie. A write
 * succeeds or fails with EINVAL or EIO, as the input says.
 *
 * The oracle: a group is whole consecutive records of one kernel cookie,
 * in order, closed by LAST_PAGE or by the next cookie, fields carried
 * over, in the order read, none skipped; never more than max; its token
 * is not one still outstanding; an answer writes exactly the group's
 * kernel cookie and the right code, and a token is answered at most once.
 * EIO (bytes that are no records) is the only error. Groups over the
 * library's limits (-ENOBUFS, -EMSGSIZE) are tests/unit/test-fault.c's:
 * each makes the library grow its buffer to some 100 MiB, seconds per
 * input under ASan, which would leave the fuzzer no time for the rest.
 */
#include <errno.h>
#include <string.h>

#include "fakekernel.h"
#include "fuzz.h"

#define NREC 512
#define REC sizeof(struct kabi_hwpt_pgfault)

static struct fz in;
static int qfd = -1;
static struct kabi_hwpt_pgfault fed[NREC];	/* by serial (addr) */
static uint32_t nfed;
static struct kabi_hwpt_page_response written;
static int nwritten;

/* tokens handed out and not answered, and the kernel cookie of each */
static struct out { uint32_t token, kcookie; } outs[NREC];
static int nouts;
static uint64_t ngroups, nanswers;

/* The kernel handed kcookie out again (it answered the old group itself):
 * the token of the old group is no longer outstanding. */
static void forget(uint32_t kcookie)
{
	for (int i = 0; i < nouts; i++)
		if (outs[i].kcookie == kcookie)
			outs[i--] = outs[--nouts];
}

/*
 * The kernel hands a cookie to one group at a time: a new group's cookie
 * is none of those of the records the library read and has not returned
 * yet (it may be one the library still holds a token for: the kernel
 * answered that group itself). A record goes on the last one's group when
 * it has its cookie and that one has no LAST_PAGE.
 */
static uint32_t returned_upto;	/* records below this serial were returned */

static bool cookie_free(uint32_t c)
{
	if (nfed && fed[nfed - 1].cookie == c &&
	    !(fed[nfed - 1].flags & KABI_PGFAULT_FLAGS_LAST_PAGE))
		return true;		/* the same group goes on */
	for (uint32_t i = returned_upto; i < nfed; i++)
		if (fed[i].cookie == c)
			return false;
	return true;
}

/* one record from the input, fed as record serial nfed */
static struct kabi_hwpt_pgfault next_record(void)
{
	struct kabi_hwpt_pgfault r = {
		.flags = fz_u8(&in) & 3,	/* PASID_VALID, LAST_PAGE */
		.dev_id = fz_u8(&in),
		.pasid = fz_u8(&in),
		.grpid = fz_u8(&in),
		.perm = fz_u8(&in) & 0xf,
		.addr = nfed,
		.length = 4096,
	};
	uint32_t c = fz_u8(&in) % 4, k;

	/* small cookies, so that they are reused, but never two groups' */
	for (k = 0; k < 4 && !cookie_free((c + k) % 4); k++)
		;
	r.cookie = k < 4 ? (c + k) % 4 : 4 + nfed;
	fed[nfed++] = r;
	forget(r.cookie);
	return r;
}

/* n records into buf: what a read returns */
static ssize_t feed(void *buf, size_t n)
{
	size_t k;

	for (k = 0; k < n && nfed < NREC; k++) {
		struct kabi_hwpt_pgfault r = next_record();

		memcpy((uint8_t *)buf + k * REC, &r, REC);
	}
	return (ssize_t)(k * REC);
}

static size_t big_next;		/* records of a big group the kernel holds */

static ssize_t answer_read(int fd, void *buf, size_t len)
{
	uint8_t op;

	if (fd != qfd || fz_empty(&in)) {
		errno = EAGAIN;
		return -1;
	}
	/* a big group is next: EINVAL until the read can hold it all */
	if (big_next) {
		size_t n = big_next;

		if (len < n * REC) {
			errno = EINVAL;
			return -1;
		}
		big_next = 0;
		return feed(buf, n);
	}
	op = fz_u8(&in);
	switch (op & 3) {
	case 0:
		errno = EAGAIN;
		return -1;
	case 1:
		/* 1 to 256 records */
		big_next = (size_t)fz_u8(&in) + 1;
		return answer_read(fd, buf, len);
	case 2: {
		size_t n = 1 + (op >> 2) % 8;

		return feed(buf, n < len / REC ? n : len / REC);
	}
	default: {
		size_t n = 1 + fz_u8(&in) % (REC - 1);

		if (n > len)
			n = len;
		/* bytes that are no records: their addr never names one */
		memset(buf, 0xff, n);
		return (ssize_t)n;
	}
	}
}

static ssize_t answer_write(int fd, const void *buf, size_t len)
{
	uint8_t op = fz_u8(&in);

	FZ_CHECK(fd == qfd && len == sizeof(written));
	memcpy(&written, buf, sizeof(written));
	nwritten++;
	if (op % 4 == 1) {
		errno = EINVAL;
		return -1;
	}
	if (op % 4 == 2) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)len;
}

static int out_find(uint32_t token)
{
	for (int i = 0; i < nouts; i++)
		if (outs[i].token == token)
			return i;
	return -1;
}

static void check_group(const struct nestio_page_request *req, unsigned int n)
{
	uint32_t first, kcookie;

	ngroups++;
	FZ_CHECK(n > 0);
	FZ_CHECK(req[0].addr < nfed);
	first = (uint32_t)req[0].addr;
	kcookie = fed[first].cookie;
	for (unsigned int i = 0; i < n; i++) {
		const struct kabi_hwpt_pgfault *k;

		FZ_CHECK(req[i].addr == first + i && first + i < nfed);
		k = &fed[first + i];
		FZ_CHECK(k->cookie == kcookie);
		FZ_CHECK(req[i].cookie == req[0].cookie);
		FZ_CHECK(req[i].dev_id == k->dev_id && req[i].grpid == k->grpid &&
			 req[i].pasid == k->pasid && req[i].length == k->length);
		FZ_CHECK(!!(req[i].flags & NESTIO_PRQ_LAST_PAGE) ==
			 !!(k->flags & KABI_PGFAULT_FLAGS_LAST_PAGE));
		FZ_CHECK(!!(req[i].flags & NESTIO_PRQ_PASID_VALID) ==
			 !!(k->flags & KABI_PGFAULT_FLAGS_PASID_VALID));
		FZ_CHECK(!!(req[i].perm & NESTIO_PERM_WRITE) ==
			 !!(k->perm & KABI_PGFAULT_PERM_WRITE));
		/* only the last record closes the group */
		FZ_CHECK(i + 1 == n || !(k->flags & KABI_PGFAULT_FLAGS_LAST_PAGE));
	}
	/* closed: by its LAST_PAGE, or by a record of another cookie after it */
	FZ_CHECK((fed[first + n - 1].flags & KABI_PGFAULT_FLAGS_LAST_PAGE) ||
		 (first + n < nfed && fed[first + n].cookie != kcookie));
	FZ_CHECK(req[0].cookie != 0 && out_find(req[0].cookie) < 0);
	FZ_CHECK(first == returned_upto);	/* in order, none skipped */
	returned_upto = first + n;
	if (nouts < NREC)
		outs[nouts++] = (struct out){ req[0].cookie, kcookie };
}

static void handler(struct nestio_fault *f, const struct nestio_page_request *g,
		    unsigned int n, void *data)
{
	(void)f;
	(void)data;
	check_group(g, n);
}

static void respond(struct nestio_fault *f, uint32_t token, bool success)
{
	int i = out_find(token), before = nwritten, r;

	r = nestio_fault_respond(f, token, success ? NESTIO_PAGE_RESP_SUCCESS
						   : NESTIO_PAGE_RESP_INVALID);
	if (i < 0) {
		/* not outstanding: nothing reaches the kernel */
		FZ_CHECK(r == -ENOENT && nwritten == before);
		return;
	}
	FZ_CHECK(nwritten == before + 1);
	FZ_CHECK(written.cookie == outs[i].kcookie);
	FZ_CHECK(written.code == (success ? KABI_PAGE_RESP_SUCCESS
					  : KABI_PAGE_RESP_INVALID));
	FZ_CHECK(r == 0 || r == -EINVAL || r == -EIO);
	nanswers++;
	if (r != -EIO)		/* answered, or the kernel forgot it */
		outs[i] = outs[--nouts];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nestio_page_request req[16];
	static bool counted;
	struct nestio_fault *f;
	int steps = 64, r;

	if (!counted) {
		counted = true;
		fz_count_at_exit("fault", "groups", &ngroups);
		fz_count_at_exit("fault", "answers", &nanswers);
	}
	in = fz_init(data, size);
	fz_fixture_up();
	FZ_CHECK(nestio_fault_new(ctx, &f) == 0);
	qfd = nestio_fault_get_fd(f);
	tu_read_hook = answer_read;
	tu_write_hook = answer_write;
	nfed = 0;
	returned_upto = 0;
	big_next = 0;
	nouts = 0;
	nwritten = 0;
	while (!fz_empty(&in) && steps--) {
		uint8_t step = fz_u8(&in);

		switch (step % 4) {
		case 0: {
			unsigned int max = 1 + (step >> 2) % 16;

			r = nestio_fault_read_group(f, req, max);
			FZ_CHECK(r <= (int)max);
			FZ_CHECK(r >= 0 || r == -ENOSPC || r == -EIO);
			if (r > 0)
				check_group(req, (unsigned int)r);
			break;
		}
		case 1:
			nestio_fault_set_handler(f, handler, NULL);
			r = nestio_ctx_dispatch(ctx, qfd);
			FZ_CHECK(r >= 0 || r == -EIO);
			nestio_fault_set_handler(f, NULL, NULL);
			break;
		case 2:
			if (nouts)
				respond(f, outs[(step >> 2) % nouts].token, step & 0x40);
			break;
		default:
			respond(f, fz_u8(&in), step & 0x40);
			break;
		}
	}
	tu_read_hook = NULL;
	tu_write_hook = NULL;
	qfd = -1;
	nestio_fault_unref(f);
	fz_fixture_down();
	return 0;
}
