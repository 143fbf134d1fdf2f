/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tier-1 tests' fake kernel. Every library ioctl goes through the seam
 * (tu_seam_install), which records its payload and is answered by
 * fake_kernel(), so a test sees the exact bytes the library sends. It hands
 * out object ids from 100 and logs destroys, detaches and releases in order.
 * Objects live on a ctx over a dup of /dev/null. Shared by the tier-1
 * tests; tests with a seam of their own answer invalidations with the
 * scripted answers below.
 */
#ifndef NESTIO_TESTS_FAKEKERNEL_H
#define NESTIO_TESTS_FAKEKERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "internal.h"
#include "kabi.h"
#include "seam.h"
#include "testutil.h"

#define PAGE ((uint64_t)sysconf(_SC_PAGESIZE))
#define FK_IOVA 0x40000000ull		/* the IOVA the fake kernel picks */
#define FK_UNMAPPED 0x3000ull		/* what it says it unmapped */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RW (NESTIO_MAP_READ | NESTIO_MAP_WRITE)

/* expr gives want and makes no ioctl */
#define EXPECT_NOIO(expr, want)                                                \
	do {                                                                   \
		int n_ = tu_ncalls, r_ = (expr);                               \
		ck_assert_msg(r_ == (want), "%s = %d, want %d", #expr, r_,     \
			      (int)(want));                                    \
		ck_assert_msg(tu_ncalls == n_, "%s made %d ioctl(s)", #expr,   \
			      tu_ncalls - n_);                                 \
	} while (0)
#define find_ev(what, id) find_ev_id((what), false, (id))
#define first_ev(what) find_ev_id((what), true, 0)
#define EXPECT_CALL(i, fd, req, type, sizefield, ...)                          \
	do {                                                                   \
		const char *m_ = payload_diff((i), (fd), (req),                \
			&(struct type){ .sizefield = sizeof(struct type),      \
					__VA_ARGS__ },                         \
			sizeof(struct type), #type);                           \
		ck_assert_msg(!m_, "%s", m_);                                  \
	} while (0)
#define EXPECT_IOMMU(i, req, type, ...)                                        \
	EXPECT_CALL(i, nestio_ctx_get_fd(ctx), req, type, size, __VA_ARGS__)
#define EXPECT_VFIO(i, fd, req, type, ...)                                     \
	EXPECT_CALL(i, fd, req, type, argsz, __VA_ARGS__)

/* ---- the fake kernel's state ---- */
extern uint32_t fk_next_id;
extern int fk_fail_left;		/* fail the next N matching requests */
extern unsigned long fk_fail_req;	/* 0: any request */
extern int fk_fail_errno;
extern uint64_t fk_option_val;
extern int fk_watch_fd;			/* its state is logged at each destroy */
struct fk_hw {				/* what GET_HW_INFO answers */
	uint32_t type, len;
	uint8_t data[64];
	uint64_t caps;
	uint8_t pasid_log2;
};
extern struct fk_hw fk_hw;
/* GET_HW_INFO answers a VT-d with these registers, the ERRATA_772415_SPR17
 * flag if erratum, pasid_log2 PASID bits and no kernel capabilities */
void fk_hw_vtd(uint64_t cap, uint64_t ecap, bool erratum, uint8_t pasid_log2);

/* in order: 'D' destroy, 'X' detach (VFIO ioctl or ops), 'R' ops release */
struct fk_event {
	char what;
	uint32_t id;		/* D: object id; X: pasid; R: dev_id */
	bool fd_ok;		/* D: the ioctl's fd was open */
	bool watch_open;	/* fk_watch_fd was still open */
};
extern struct fk_event fk_ev[64];
extern int fk_nev;

bool fd_open(int fd);
void fk_event(char what, uint32_t id, int fd);
/* index of the first event of a kind (and id, if any), or -1 */
int find_ev_id(char what, bool any, uint32_t id);
int count_ev(char what);
void fk_fail(unsigned long request, int e, int times);
int fake_kernel(int fd, unsigned long request, void *arg);
const char *payload_diff(int i, int fd, unsigned long request,
			 const void *want, size_t len, const char *type);

/* ---- a device with our ops: records each call ---- */
struct rec {
	int attach, replace, detach, release;
	struct nestio_device *dev;
	uint32_t pasid, pt_id;
	int fail;		/* what attach/replace/detach return */
};
extern const struct nestio_device_ops rec_ops;

/* ---- fixtures ---- */
extern struct nestio_ctx *ctx;
extern struct nestio_ioas *ioas;	/* id 100 */
extern struct nestio_device *dev;	/* ops device, dev_id 7 */
extern struct rec rec;

int open_null(void);
struct nestio_ctx *new_ctx(void);
struct nestio_ioas *new_ioas(struct nestio_ctx *c);
struct nestio_hwpt *new_hwpt(struct nestio_device *d, struct nestio_ioas *i,
			     unsigned int flags);
struct nestio_device *new_vfio(struct nestio_ctx *c);
void setup_seam(void);
void teardown_seam(void);
void setup_objs(void);		/* setup_seam + ioas + ops device */
void teardown_objs(void);
/* on dev and ioas: a nest parent, a VT-d nested hwpt on it and an SMMUv3
 * vIOMMU (the fake kernel takes any stage-1 data) */
void new_nest_objs(struct nestio_hwpt **parent, struct nestio_hwpt **nested,
		   struct nestio_viommu **viommu);

/* ---- scripted answers to IOMMU_HWPT_INVALIDATE, for a test's own seam ---- */
struct fk_answer {
	int err;		/* errno to fail with; 0: succeed */
	uint32_t handled;	/* entry_num written back */
	bool all;		/* handled = all of them */
	bool untouched;		/* leave entry_num as it came */
};
/* the next n answers, in order (n 0: none) */
void fk_answers(int n, const struct fk_answer *a);
/* Answers c with the next scripted answer, past the script with *dflt:
 * entry_num written back (unless untouched), -1 with errno set or 0; the
 * count answered in *handled (NULL: not wanted). */
int fk_answer_invalidate(struct kabi_hwpt_invalidate *c,
			 const struct fk_answer *dflt, uint32_t *handled);
TCase *fk_tcase(Suite *s, const char *name, void (*setup)(void),
		void (*teardown)(void));

#endif
