// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench-insn OP N: call OP N times with the kernel replaced by a no-op, so
 * that `valgrind --tool=callgrind` counts only the library's own user-space
 * instructions. tests/vm/run bench runs it for two values of N and divides
 * the difference, which cancels start-up.
 * OP: map, unmap, attach (VFIO replace), attach_ops (replace on a device
 * with its own operations, a no-op here), push (one VT-d entry, no flush),
 * push_flush (one entry pushed and flushed: two calls), invalidate (one
 * VT-d entry through nestio_hwpt_invalidate()), invalidate_raw (one 8-byte
 * raw entry through it, as the VM benchmark sends to the mock).
 *
 * The no-op kernel: before anything is made, a seccomp filter answers
 * every IOMMUFD and VFIO ioctl(2) (both of type ';') with 0 before the
 * kernel's handler would run. The library runs exactly as it does for a
 * VMM, through libc's ioctl(), and what is counted is its instructions,
 * libc's wrapper's and the benchmark's loop. Every object gets id 0.
 */
#include <endian.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libnestio.h"

static int ops_replace(struct nestio_device *d, uint32_t pasid, uint32_t pt,
		       void *u)
{
	(void)d; (void)pasid; (void)pt; (void)u;
	return 0;
}

static const struct nestio_device_ops noop_ops = {
	.sz = sizeof(noop_ops),
	.attach = ops_replace,
	.replace = ops_replace,
};

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define ARG1_LOW offsetof(struct seccomp_data, args[1])
#else
#define ARG1_LOW (offsetof(struct seccomp_data, args[1]) + 4)
#endif

/* from here on every IOMMUFD or VFIO ioctl(2) (the request's type byte is
 * ';' for both) returns 0 and does nothing; other system calls, and other
 * ioctls (valgrind's own), are left alone */
static int noop_kernel(void)
{
	struct sock_filter f[] = {
#ifdef NATIVE_ARCH
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#endif
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG1_LOW),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff00),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ';' << 8, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("bench-insn: seccomp");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct nestio_hwpt_paging_opts po = { .sz = sizeof(po),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_stage1 s1 = { .type = NESTIO_STAGE1_VTD };
	struct nestio_invq_opts qo = { .sz = sizeof(qo), .capacity = 4096 };
	struct nestio_hwpt *h[2], *parent, *nested;
	struct nestio_device *dev;
	struct nestio_ioas *ioas;
	struct nestio_ctx *ctx;
	struct nestio_invq *q;
	static char page[4096] __attribute__((aligned(4096)));
	const char *op;
	long n;
	int fd;

	if (argc != 3)
		return 2;
	op = argv[1];
	n = atol(argv[2]);
	if (n <= 0 || n >= 4096)
		return 2;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	s1.u.vtd.addr_width = 48;
	if (noop_kernel() || nestio_ctx_new_from_fd(fd, &ctx) || nestio_ioas_new(ctx, &ioas) ||
	    nestio_device_new_from_fd(ctx, fd, &dev) ||
	    nestio_hwpt_new_paging(dev, ioas, NULL, &h[0]) ||
	    nestio_hwpt_new_paging(dev, ioas, NULL, &h[1]) ||
	    nestio_hwpt_new_paging(dev, ioas, &po, &parent) ||
	    nestio_hwpt_new_nested(dev, parent, &s1, NULL, &nested) ||
	    nestio_invq_new(nested, NESTIO_INV_VTD_S1, &qo, &q) ||
	    nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, h[0]))
		return 1;
	/* the op is decided once: the loop holds nothing but the calls */
	if (!strcmp(op, "map")) {
		for (long i = 0; i < n; i++) {
			uint64_t iova = 0x100000;

			nestio_ioas_map(ioas, page, sizeof(page), &iova,
					NESTIO_MAP_READ | NESTIO_MAP_WRITE |
					NESTIO_MAP_FIXED_IOVA);
		}
	} else if (!strcmp(op, "unmap")) {
		for (long i = 0; i < n; i++)
			nestio_ioas_unmap(ioas, 0x100000, sizeof(page), NULL);
	} else if (!strcmp(op, "attach")) {
		for (long i = 0; i < n; i++)
			nestio_device_replace_hwpt(dev, NESTIO_NO_PASID, h[i & 1]);
	} else if (!strcmp(op, "attach_ops")) {
		/* a device with its own attach operations (a no-op here) */
		struct nestio_device *od;

		if (nestio_device_new_from_id(ctx, 9, &noop_ops, NULL, &od) ||
		    nestio_device_attach_hwpt(od, NESTIO_NO_PASID, h[0]))
			return 1;
		for (long i = 0; i < n; i++)
			nestio_device_replace_hwpt(od, NESTIO_NO_PASID, h[i & 1]);
		nestio_device_unref(od);
	} else if (!strcmp(op, "push")) {
		/* n < the capacity: no flush happens */
		for (long i = 0; i < n; i++)
			nestio_invq_push_vtd(q, 0x1000, 1, 0);
	} else if (!strcmp(op, "push_flush")) {
		for (long i = 0; i < n; i++) {
			nestio_invq_push_vtd(q, 0x1000, 1, 0);
			nestio_invq_flush(q, NULL);
		}
	} else if (!strcmp(op, "invalidate")) {
		const struct nestio_inv_vtd e = { .addr = 0x1000, .npages = 1 };

		for (long i = 0; i < n; i++) {
			uint32_t k = 1;

			nestio_hwpt_invalidate(nested, NESTIO_INV_VTD_S1, 0, &e,
					       sizeof(e), &k);
		}
	} else if (!strcmp(op, "invalidate_raw")) {
		const uint32_t e[2] = { 0, 1 };

		for (long i = 0; i < n; i++) {
			uint32_t k = 1;

			nestio_hwpt_invalidate(nested, NESTIO_INV_RAW, 0xdeadbeef,
					       e, sizeof(e), &k);
		}
	} else {
		return 2;
	}
	nestio_invq_unref(q);
	nestio_hwpt_unref(nested);
	nestio_hwpt_unref(parent);
	nestio_hwpt_unref(h[0]);
	nestio_hwpt_unref(h[1]);
	nestio_device_unref(dev);
	nestio_ioas_unref(ioas);
	nestio_ctx_unref(ctx);
	close(fd);
	return 0;
}
