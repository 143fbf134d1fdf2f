/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the libFuzzer targets in tests/fuzz share (fuzz-glue.c): reading
 * the input as a stream of small values, the oracle's failure, the fake
 * kernel's objects, counters printed at exit. Every target is one file
 * with LLVMFuzzerTestOneInput(); it is built twice: with clang's libFuzzer
 * (`make fuzz`, `make fuzz-smoke`) and with the normal compiler and
 * replay.c, which feeds it the committed corpus in `make check`.
 */
#ifndef NESTIO_TESTS_FUZZ_H
#define NESTIO_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the input, consumed from the front; past its end every value is 0 */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline struct fz fz_init(const uint8_t *data, size_t size)
{
	return (struct fz){ data, size };
}

bool fz_empty(const struct fz *f);
uint8_t fz_u8(struct fz *f);
uint16_t fz_u16(struct fz *f);
uint32_t fz_u32(struct fz *f);
uint64_t fz_u64(struct fz *f);
/* up to len bytes into out (the rest zeroed): how many came from the input */
size_t fz_bytes(struct fz *f, void *out, size_t len);

/* the oracle: a wrong answer is a crash, with where and what */
#define FZ_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond))                                                   \
			fz_fail(__FILE__, __LINE__, #cond);                    \
	} while (0)
void fz_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));

/* The library's log silenced on a ctx (a fuzzer makes it say a lot). */
struct nestio_ctx;
void fz_quiet(struct nestio_ctx *c);

/*
 * The tier-1 fake kernel behind the ioctl seam (tests/lib/fakekernel.c),
 * with its objects in fakekernel.h's globals: ctx (quiet), ioas and the
 * ops device dev (dev_id 7). fakekernel.c's own fixtures assert with
 * Check, which works only inside a Check runner: these are the same
 * without it. fz_answer() is fake_kernel() plus the two queue
 * allocations, each answered with a fresh pipe's read end (the target
 * answers its reads); the targets put it, or their own answer, in
 * tu_seam_answer.
 */
void fz_fixture_up(void);
void fz_fixture_down(void);
int fz_answer(int fd, unsigned long request, void *arg);
struct nestio_hwpt;
struct nestio_viommu;
/* a nest parent on ioas, a VT-d nested hwpt on it, an SMMUv3 vIOMMU */
void fz_nest_objs(struct nestio_hwpt **parent, struct nestio_hwpt **nested,
		  struct nestio_viommu **viommu);


/* "NESTIO-REL fuzz.<target>.<what> <n>" printed at exit */
void fz_count_at_exit(const char *target, const char *what, const uint64_t *n);

#endif
