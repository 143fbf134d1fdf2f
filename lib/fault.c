// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestio_fault: an IOMMUFD fault queue (IOMMU_FAULT_QUEUE_ALLOC), read as
 * page-request groups and answered by cookie.
 *
 * The kernel's read(2) gives struct iommu_hwpt_pgfault records, whole groups
 * only: a group's records come one after the other, the one with LAST_PAGE
 * last, all with the cookie the kernel gave the group when it was read (a
 * read that cannot hold the first whole group fails with EINVAL; the count
 * must be a multiple of the record size; an empty queue reads 0 bytes).
 * write(2) takes struct iommu_hwpt_page_response {cookie, code}, one per
 * group. The library keeps what it read but has not returned yet, and the
 * cookies it returned and that are not answered yet.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "kabi.h"

#define REC_LEN sizeof(struct kabi_hwpt_pgfault)
#define BUF_MIN 64u			/* records read at once, to start */
#define BUF_MAX (1u << 16)		/* the largest group we return */
/*
 * The largest group we read at all. The kernel hands out whole groups only:
 * a group we never read would make every later read fail. So a group over
 * BUF_MAX is still read (the buffer grows for it, up to this), answered
 * INVALID and dropped, and reported as -ENOBUFS once. The kernel holds more
 * memory for the group than the 40 bytes a request takes here.
 */
#define READ_MAX (1u << 22)
#define STACK_GROUP 16u

struct nestio_fault {
	struct nio_obj obj;	/* first: magic, refcount, ctx, id */
	int fd;
	struct kabi_hwpt_pgfault *buf;	/* read, not returned yet */
	size_t nbuf, capbuf;
	/* returned, not answered yet: the token the caller got, and the
	 * kernel's cookie it stands for (the kernel reuses cookies at once) */
	struct nio_cookie { uint32_t token, kcookie; } *cookies;
	size_t ncookies, capcookies;
	uint32_t next_token;
	void (*fn)(struct nestio_fault *f, const struct nestio_page_request *group,
		   unsigned int n, void *data);
	void *data;
};

static bool fault_ok(const struct nestio_fault *f)
{
	return nio_obj_of(f, NIO_MAGIC_FAULT);
}

static int fault_drain(void *obj);

NESTIO_EXPORT int nestio_fault_new(struct nestio_ctx *ctx,
				   struct nestio_fault **out)
{
	struct kabi_fault_alloc cmd = { .size = sizeof(cmd) };
	struct nestio_fault *f;
	int r, fl;

	if (!nio_ctx_ok(ctx) || !out)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->capbuf = BUF_MIN;
	f->buf = calloc(f->capbuf, REC_LEN);
	if (!f->buf) {
		free(f);
		return -ENOMEM;
	}
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_FAULT_QUEUE_ALLOC, &cmd);
	if (r < 0) {
		free(f->buf);
		free(f);
		return r;
	}
	f->fd = (int)cmd.out_fault_fd;
	/* the kernel makes it close-on-exec; make sure, and never block */
	fl = fcntl(f->fd, F_GETFD);
	if (fl < 0 || (!(fl & FD_CLOEXEC) &&
		       fcntl(f->fd, F_SETFD, fl | FD_CLOEXEC) < 0))
		r = -errno;
	fl = r < 0 ? -1 : fcntl(f->fd, F_GETFL);
	if (r == 0 && (fl < 0 || fcntl(f->fd, F_SETFL, fl | O_NONBLOCK) < 0))
		r = -errno;
	if (r == 0)
		r = nio_dispatch_add(ctx, f->fd, f, fault_drain);
	if (r < 0) {
		close(f->fd);
		nio_destroy_id(ctx, cmd.out_fault_id);
		free(f->buf);
		free(f);
		return r;
	}
	nio_obj_init(&f->obj, NIO_MAGIC_FAULT, ctx, cmd.out_fault_id);
	dbg(ctx, "fault queue %u: fd %d", f->obj.id, f->fd);
	*out = f;
	return 0;
}

static void fault_release(void *obj)
{
	struct nestio_fault *f = obj;

	nio_dispatch_del(f->obj.ctx, f->fd);
	/* the open file holds the object: close it first, then destroy (the
	 * kernel answers what is unanswered with INVALID). EBUSY while an
	 * HWPT still uses the queue: it goes with the ctx then. */
	close(f->fd);
	nio_destroy_id(f->obj.ctx, f->obj.id);
	free(f->buf);
	free(f->cookies);
}

/* nestio_fault_ref(), nestio_fault_unref() */
NIO_DEFINE_REF_UNREF(fault, NIO_MAGIC_FAULT, fault_release)

NESTIO_EXPORT int nestio_fault_get_fd(const struct nestio_fault *f)
{
	return fault_ok(f) ? f->fd : -EINVAL;
}

NESTIO_EXPORT uint32_t nestio_fault_get_id(const struct nestio_fault *f)
{
	return fault_ok(f) ? f->obj.id : 0;
}

/* ---- cookies handed out and not answered ---- */

static ssize_t cookie_find(const struct nestio_fault *f, uint32_t cookie)
{
	for (size_t i = 0; i < f->ncookies; i++)
		if (f->cookies[i].token == cookie)
			return (ssize_t)i;
	return -1;
}

/* The kernel handed kcookie out again: the group we returned under it was
 * answered by the kernel (its device left the HWPT). Forget it, so that a
 * late answer to it cannot answer the new group. */
static void cookie_reused(struct nestio_fault *f, uint32_t kcookie)
{
	for (size_t i = 0; i < f->ncookies; i++)
		if (f->cookies[i].kcookie == kcookie) {
			f->cookies[i] = f->cookies[--f->ncookies];
			return;
		}
}

/* a fresh token for kcookie: what the caller answers with */
static int cookie_add(struct nestio_fault *f, uint32_t kcookie, uint32_t *token)
{
	if (f->ncookies == f->capcookies) {
		size_t cap = f->capcookies ? 2 * f->capcookies : 16;
		struct nio_cookie *c = realloc(f->cookies, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		f->cookies = c;
		f->capcookies = cap;
	}
	do
		*token = ++f->next_token;
	while (!*token || cookie_find(f, *token) >= 0);
	f->cookies[f->ncookies++] = (struct nio_cookie){ *token, kcookie };
	return 0;
}

static void cookie_del(struct nestio_fault *f, size_t i)
{
	f->cookies[i] = f->cookies[--f->ncookies];
}

/* ---- groups ---- */

/*
 * The number of records of the group at the head of the buffer if it is
 * complete (its LAST_PAGE record is there, or a record of another cookie
 * follows it), else 0.
 */
static size_t head_group(const struct nestio_fault *f)
{
	for (size_t i = 0; i < f->nbuf; i++) {
		if (f->buf[i].cookie != f->buf[0].cookie)
			return i;
		if (f->buf[i].flags & KABI_PGFAULT_FLAGS_LAST_PAGE)
			return i + 1;
	}
	return 0;
}

/* A buffer grown past BUF_MAX for a group over the limit goes back to
 * BUF_MAX once it holds no more than that. */
static void shrink(struct nestio_fault *f)
{
	struct kabi_hwpt_pgfault *b;

	if (f->capbuf <= BUF_MAX || f->nbuf > BUF_MAX)
		return;
	b = realloc(f->buf, BUF_MAX * REC_LEN);
	if (b) {
		f->buf = b;
		f->capbuf = BUF_MAX;
	}
}

/* Reads what the kernel has behind the buffer: >0 records added, 0 none,
 * -errno. Grows the buffer when the kernel's next group does not fit. */
static int fill(struct nestio_fault *f)
{
	for (;;) {
		size_t room = f->capbuf - f->nbuf;
		ssize_t got = 0;

		if (room)
			got = nio_read(f->obj.ctx, f->fd, f->buf + f->nbuf,
				       room * REC_LEN);
		if (got == -EAGAIN)
			return 0;
		if (room && got >= 0) {
			if (got % REC_LEN) {
				err(f->obj.ctx, "fault queue %u: read %zd bytes",
				    f->obj.id, got);
				return -EIO;
			}
			for (size_t i = f->nbuf; i < f->nbuf + (size_t)got / REC_LEN; i++)
				cookie_reused(f, f->buf[i].cookie);
			f->nbuf += (size_t)got / REC_LEN;
			return (int)((size_t)got / REC_LEN);
		}
		if (room && got != -EINVAL)
			return (int)got;
		/* the next group does not fit in what is left */
		if (f->capbuf >= READ_MAX) {
			err(f->obj.ctx, "fault queue %u: a group of over %u pages: "
			    "it cannot be read", f->obj.id, READ_MAX);
			shrink(f);
			return -EMSGSIZE;
		}
		{
			size_t cap = 2 * f->capbuf;
			struct kabi_hwpt_pgfault *b = realloc(f->buf, cap * REC_LEN);

			if (!b)
				return -ENOMEM;
			f->buf = b;
			f->capbuf = cap;
		}
	}
}

/* The head group of n records is over BUF_MAX: answer it INVALID (nobody
 * else will; the device waits) and drop it. */
static void drop_group(struct nestio_fault *f, size_t n)
{
	struct kabi_hwpt_page_response resp = {
		.cookie = f->buf[0].cookie,
		.code = KABI_PAGE_RESP_INVALID,
	};
	ssize_t r = nio_write(f->obj.ctx, f->fd, &resp, sizeof(resp));

	err(f->obj.ctx, "fault queue %u: a group of %zu pages, over %u: "
	    "answered INVALID%s", f->obj.id, n, BUF_MAX,
	    r == (ssize_t)sizeof(resp) ? "" : " (the answer failed)");
	f->nbuf -= n;
	memmove(f->buf, f->buf + n, f->nbuf * REC_LEN);
	shrink(f);
}

/* The size of the first complete group (read more if needed), 0 if there is
 * none yet, or -errno: -ENOBUFS once for a group over BUF_MAX, which is
 * answered and dropped (the next call goes on with the groups behind it). */
static ssize_t next_group(struct nestio_fault *f)
{
	size_t n;
	int r;

	while (!(n = head_group(f))) {
		r = fill(f);
		if (r <= 0)
			return r;
	}
	if (n > BUF_MAX) {
		drop_group(f, n);
		return -ENOBUFS;
	}
	return (ssize_t)n;
}

static void req_from_uapi(const struct kabi_hwpt_pgfault *k,
			  struct nestio_page_request *r)
{
	memset(r, 0, sizeof(*r));
	if (k->flags & KABI_PGFAULT_FLAGS_PASID_VALID)
		r->flags |= NESTIO_PRQ_PASID_VALID;
	if (k->flags & KABI_PGFAULT_FLAGS_LAST_PAGE)
		r->flags |= NESTIO_PRQ_LAST_PAGE;
	if (k->perm & KABI_PGFAULT_PERM_READ)
		r->perm |= NESTIO_PERM_READ;
	if (k->perm & KABI_PGFAULT_PERM_WRITE)
		r->perm |= NESTIO_PERM_WRITE;
	if (k->perm & KABI_PGFAULT_PERM_EXEC)
		r->perm |= NESTIO_PERM_EXEC;
	if (k->perm & KABI_PGFAULT_PERM_PRIV)
		r->perm |= NESTIO_PERM_PRIV;
	r->dev_id = k->dev_id;
	r->pasid = k->pasid;
	r->grpid = k->grpid;
	r->length = k->length;
	r->addr = k->addr;
	r->cookie = k->cookie;
}

/* Hands out the head group of n records into req: its cookie is now ours
 * to answer. */
static int take_group(struct nestio_fault *f, size_t n,
		      struct nestio_page_request *req)
{
	uint32_t token;
	int r = cookie_add(f, f->buf[0].cookie, &token);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		req_from_uapi(&f->buf[i], &req[i]);
		req[i].cookie = token;
	}
	f->nbuf -= n;
	memmove(f->buf, f->buf + n, f->nbuf * REC_LEN);
	shrink(f);
	return (int)n;
}

NESTIO_EXPORT int nestio_fault_read_group(struct nestio_fault *f,
					  struct nestio_page_request *req,
					  unsigned int max)
{
	ssize_t n;

	if (!fault_ok(f) || !req || max == 0)
		return -EINVAL;
	n = next_group(f);
	if (n <= 0)
		return (int)n;
	if ((size_t)n > max)
		return -ENOSPC;
	return take_group(f, (size_t)n, req);
}

NESTIO_EXPORT int nestio_fault_respond(struct nestio_fault *f, uint32_t cookie,
				       uint32_t code)
{
	struct kabi_hwpt_page_response resp = { .cookie = cookie };
	ssize_t i, r;

	if (!fault_ok(f) ||
	    (code != NESTIO_PAGE_RESP_SUCCESS && code != NESTIO_PAGE_RESP_INVALID))
		return -EINVAL;
	i = cookie_find(f, cookie);
	if (i < 0)
		return -ENOENT;
	resp.cookie = f->cookies[i].kcookie;
	resp.code = code == NESTIO_PAGE_RESP_SUCCESS ? KABI_PAGE_RESP_SUCCESS
						     : KABI_PAGE_RESP_INVALID;
	r = nio_write(f->obj.ctx, f->fd, &resp, sizeof(resp));
	/* EINVAL: the kernel does not know the cookie (it answered the group
	 * itself when the device left the HWPT): nothing left to answer */
	if (r == (ssize_t)sizeof(resp) || r == -EINVAL)
		cookie_del(f, (size_t)i);
	if (r < 0)
		return (int)r;
	return r == (ssize_t)sizeof(resp) ? 0 : -EIO;
}

NESTIO_EXPORT int nestio_fault_set_handler(struct nestio_fault *f,
					   void (*fn)(struct nestio_fault *f,
						      const struct nestio_page_request *group,
						      unsigned int n, void *data),
					   void *data)
{
	if (!fault_ok(f))
		return -EINVAL;
	f->fn = fn;
	f->data = data;
	return 0;
}

/* nestio_ctx_dispatch(): every complete group, one handler call each */
static int fault_drain(void *obj)
{
	struct nestio_fault *f = obj;
	struct nestio_page_request small[STACK_GROUP];
	int total = 0, dropped = 0;
	ssize_t n = 0;

	if (!f->fn)
		return -ENOENT;
	nestio_fault_ref(f);	/* the handler may drop the caller's ref */
	/* stop once the handler dropped the last user reference */
	while (f->fn && nio_obj_refcount(&f->obj) > 1 &&
	       ((n = next_group(f)) > 0 || n == -ENOBUFS)) {
		void (*fn)(struct nestio_fault *, const struct nestio_page_request *,
			   unsigned int, void *) = f->fn;
		struct nestio_page_request *req = small;
		int r;

		/* a group over the limit was answered and dropped: the groups
		 * behind it may be in our buffer only, where poll does not see
		 * them, so go on, and report it at the end */
		if (n == -ENOBUFS) {
			dropped = -ENOBUFS;
			continue;
		}
		if ((size_t)n > STACK_GROUP) {
			req = calloc((size_t)n, sizeof(*req));
			if (!req) {
				n = -ENOMEM;
				break;
			}
		}
		r = take_group(f, (size_t)n, req);
		if (r > 0)
			fn(f, req, (unsigned int)r, f->data);
		if (req != small)
			free(req);
		if (r < 0) {
			n = r;
			break;
		}
		total++;
	}
	nestio_fault_unref(f);
	if (n < 0)
		return (int)n;
	return dropped ? dropped : total;
}
