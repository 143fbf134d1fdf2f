// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier 1: the vEVENTQ against the fake queue file of fake-eventq.h: typed
 * non-blocking reads, sequence gaps and the lost-events header counted
 * exactly, across the wrap from INT_MAX to 0, short reads, learning a
 * record length, and SMMUv3 and Tegra241 CMDQV records decoded.
 */
#include <endian.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "fake-eventq.h"

/* ---------------------------------------------------------- vEVENTQ */

START_TEST(test_veventq_new)
{
	struct nestio_veventq *q = NULL, *sentinel = (void *)&fv_n;
	uint32_t id;
	int fd;

	q = sentinel;
	EXPECT_NOIO(nestio_veventq_new(viommu, SMMU, 0, &q), -EINVAL);
	EXPECT_NOIO(nestio_veventq_new(NULL, SMMU, 4, &q), -EINVAL);
	EXPECT_NOIO(nestio_veventq_new((void *)ctx, SMMU, 4, &q), -EINVAL);
	EXPECT_NOIO(nestio_veventq_new((void *)parent, SMMU, 4, &q), -EINVAL);
	EXPECT_NOIO(nestio_veventq_new(viommu, SMMU, 4, NULL), -EINVAL);
	ck_assert_ptr_eq(q, sentinel);
	/* the kernel refuses: its errno, *out untouched */
	fk_fail(KABI_IOMMU_VEVENTQ_ALLOC, EEXIST, 1);
	ck_assert_int_eq(nestio_veventq_new(viommu, SMMU, 4, &q), -EEXIST);
	ck_assert_ptr_eq(q, sentinel);
	tu_ncalls = 0;

	ck_assert_int_eq(nestio_veventq_new(viommu, SMMU, 4, &q), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_VEVENTQ_ALLOC, kabi_veventq_alloc,
		     .viommu_id = nestio_viommu_get_id(viommu), .type = SMMU,
		     .veventq_depth = 4);
	fd = nestio_veventq_get_fd(q);
	id = nestio_veventq_get_id(q);
	ck_assert_int_eq(fd, fv_fd);
	ck_assert_uint_eq(id, fk_next_id - 1);
	ck_assert(tu_fd_is_cloexec(fd));
	ck_assert(nonblocking(fd));
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 0);
	ck_assert_ptr_eq(nestio_veventq_ref(q), q);
	nestio_veventq_unref(q);
	ck_assert_int_eq(find_ev('D', id), -1);

	/* it pins the vIOMMU: the queue goes first, its fd closed before */
	fk_watch_fd = fd;
	viommu = nestio_viommu_unref(viommu);
	ck_assert_int_eq(fk_nev, 0);
	ck_assert_ptr_null(nestio_veventq_unref(q));
	ck_assert_int_eq(find_ev('D', id), 0);
	ck_assert(!fk_ev[0].watch_open);
	ck_assert(!fd_open(fd));
	ck_assert_int_gt(find_ev('D', 102), 0);

	/* a freed or wrong object */
	ck_assert_ptr_null(nestio_veventq_ref(NULL));
	ck_assert_ptr_null(nestio_veventq_unref(NULL));
	ck_assert_int_eq(nestio_veventq_get_fd(NULL), -EINVAL);
	ck_assert_uint_eq(nestio_veventq_get_id((void *)ctx), 0);
	ck_assert_int_eq(nestio_veventq_set_handler(NULL, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(fv_reads, 0);
}
END_TEST

START_TEST(test_veventq_bad_read)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[2];

	fv_push(0, 0);
	ck_assert_int_eq(nestio_veventq_read(NULL, ev, 2), -EINVAL);
	ck_assert_int_eq(nestio_veventq_read(q, NULL, 2), -EINVAL);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 0), -EINVAL);
	ck_assert_int_eq(nestio_veventq_read((void *)viommu, ev, 2), -EINVAL);
	ck_assert_int_eq(fv_reads, 0);
	/* nothing there: 0, not -EAGAIN */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 2), 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 2), 0);
	nestio_veventq_unref(q);
}
END_TEST

START_TEST(test_seq_no_loss)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];

	for (int i = 0; i < 5; i++)
		fv_report();
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 5);
	for (uint32_t i = 0; i < 5; i++)
		expect_ev(&ev[i], i, 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 0);
	/* 5 events fit in the first read, which had room for 8: no second */
	ck_assert_int_eq(fv_reads, 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 0);
	nestio_veventq_unref(q);
}
END_TEST

START_TEST(test_seq_gaps)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];

	/* a gap with no header: the header gave way to a later event */
	fv_push(0, 0);
	fv_push(0, 3);
	fv_push(0, 4);
	fv_push(0, 10);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 4);
	expect_ev(&ev[0], 0, 0);
	expect_ev(&ev[1], 3, 2);
	expect_ev(&ev[2], 4, 0);
	expect_ev(&ev[3], 10, 5);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 7);
	nestio_veventq_unref(q);
}
END_TEST

/* the kernel's overflow: depth 2, five events, nothing read in between */
START_TEST(test_seq_lost_tail)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];

	fv_depth = 2;
	for (int i = 0; i < 5; i++)
		fv_report();
	/* 0, 1, then the header that moved along with 2, 3 and 4 */
	ck_assert_int_eq(fv_n, 3);
	ck_assert_uint_eq(fv_q[2].flags, LOST);
	ck_assert_uint_eq(fv_q[2].seq, 4);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], 0, 0);
	expect_ev(&ev[1], 1, 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 3);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 0);
	/* the next event carries the loss */
	fv_report();
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 5, 3);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 3);

	/* full again; the header is read, then an event replaces nothing */
	fv_report();
	fv_report();
	fv_report();	/* lost: 8 */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], 6, 0);
	expect_ev(&ev[1], 7, 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 4);
	/* full, a loss, then room and an event that replaces the header */
	fv_report();
	fv_report();
	fv_report();	/* 11 lost, header at the tail */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 1), 1);
	expect_ev(&ev[0], 9, 1);	/* 8 */
	fv_report();	/* 12: room for one, the header gives way */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], 10, 0);
	expect_ev(&ev[1], 12, 1);	/* 11, from the gap alone */
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 5);
	nestio_veventq_unref(q);
}
END_TEST

START_TEST(test_seq_lost_then_events)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];

	fv_push(LOST, 2);	/* 0, 1, 2 lost */
	fv_push(0, 3);
	fv_push(0, 4);
	fv_push(0, 6);		/* 5 lost */
	fv_push(LOST, 9);	/* 7, 8, 9 */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 3);
	expect_ev(&ev[0], 3, 3);
	expect_ev(&ev[1], 4, 0);
	expect_ev(&ev[2], 6, 1);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 7);
	/* two headers in a row before the next event add up on it */
	fv_push(LOST, 10);
	fv_push(0, 11);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 11, 4);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 8);
	nestio_veventq_unref(q);
}
END_TEST

START_TEST(test_seq_wrap)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];
	const uint32_t M = INT_MAX;
	uint64_t total;

	/* first event at INT_MAX - 1: everything before it was lost */
	fv_push(0, M - 1);
	fv_push(0, M);
	fv_push(0, 0);
	fv_push(0, 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 4);
	expect_ev(&ev[0], M - 1, M - 1);
	expect_ev(&ev[1], M, 0);
	expect_ev(&ev[2], 0, 0);	/* the wrap is no loss */
	expect_ev(&ev[3], 1, 0);
	total = nestio_veventq_get_lost(q);
	ck_assert_uint_eq(total, M - 1);

	/* gaps up to the wrap and across it */
	fv_push(0, M - 1);	/* 2 .. M-2 lost: M - 3 */
	fv_push(0, 3);		/* M, 0, 1, 2 lost: 4 */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], M - 1, M - 3);
	expect_ev(&ev[1], 3, 4);
	total += (uint64_t)(M - 3) + 4;
	ck_assert_uint_eq(nestio_veventq_get_lost(q), total);
	nestio_veventq_unref(q);
}
END_TEST

START_TEST(test_seq_lost_across_wrap)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];
	const uint32_t M = INT_MAX;

	/* the kernel model from INT_MAX - 2, depth 2 */
	fv_seq = M - 2;
	fv_push(0, M - 3);	/* sync: M - 3 lost before it */
	fv_depth = 2;
	fv_num = 1;
	fv_report();		/* M - 2 */
	fv_report();		/* M - 1: lost, header */
	fv_report();		/* M: lost */
	fv_report();		/* 0: lost */
	fv_report();		/* 1: lost, header seq 1 */
	ck_assert_uint_eq(fv_q[fv_n - 1].seq, 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], M - 3, M - 3);
	expect_ev(&ev[1], M - 2, 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), (uint64_t)(M - 3) + 4);
	fv_report();		/* 2 */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 2, 4);

	/* a header at INT_MAX exactly, then 0 */
	fv_push(LOST, M);	/* 3 .. M lost */
	fv_push(0, 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 0, M - 2);
	ck_assert_uint_eq(nestio_veventq_get_lost(q),
			  (uint64_t)(M - 3) + 4 + (M - 2));
	nestio_veventq_unref(q);
}
END_TEST

/* reads with room for fewer events than there are; whole events always */
START_TEST(test_short_reads)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[40];

	for (uint32_t s = 0; s < 3; s++)
		fv_push(0, s);
	fv_push(LOST, 5);
	for (uint32_t i = 0; i < 3; i++) {
		ck_assert_int_eq(nestio_veventq_read(q, ev, 1), 1);
		expect_ev(&ev[0], i, 0);
	}
	/* only the header is left: no event, but 3, 4, 5 are counted */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 1), 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 3);
	/* more than one read(2) holds: 37 events, 16 a read */
	fv_reads = 0;
	for (uint32_t s = 6; s < 43; s++)
		fv_push(0, s);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 40), 37);
	expect_ev(&ev[0], 6, 3);
	for (uint32_t i = 1; i < 37; i++)
		expect_ev(&ev[i], 6 + i, 0);
	ck_assert_int_eq(fv_reads, 3);
	/* max 20 of 25: 20, then 5 */
	for (uint32_t s = 43; s < 68; s++)
		fv_push(0, s);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 20), 20);
	expect_ev(&ev[19], 62, 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 20), 5);
	expect_ev(&ev[4], 67, 0);
	nestio_veventq_unref(q);
}
END_TEST

/* a type the library does not know: the record length is learned */
START_TEST(test_learn_len)
{
	struct nestio_veventq *q;
	struct nestio_vevent ev[8];

	fv_len = 4;
	q = new_q(RAW_TYPE);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 0);	/* empty */
	fv_push(LOST, 1);
	fv_push(0, 2);
	fv_push(0, 3);
	fv_push(0, 4);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 3);
	expect_ev(&ev[0], 2, 2);
	expect_ev(&ev[1], 3, 0);
	expect_ev(&ev[2], 4, 0);
	nestio_veventq_unref(q);

	/* 40 bytes: the reads for 8, 16, 24, 32 are refused, 48 takes it */
	fv_len = 40;
	fv_n = 0;
	q = new_q(RAW_TYPE);
	fv_push(0, 0);
	fv_push(0, 1);
	fv_reads = 0;
	ck_assert_int_eq(nestio_veventq_read(q, ev, 1), 1);
	expect_ev(&ev[0], 0, 0);
	ck_assert_int_eq(fv_reads, 5);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 1, 0);
	nestio_veventq_unref(q);

	/* 64 fits, 72 does not: -E2BIG, and the event stays */
	fv_len = 64;
	fv_n = 0;
	q = new_q(RAW_TYPE);
	fv_push(0, 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 0, 0);
	nestio_veventq_unref(q);
	fv_len = 72;
	fv_n = 0;
	q = new_q(RAW_TYPE);
	fv_push(0, 0);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), -E2BIG);
	ck_assert_int_eq(fv_n, 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), -E2BIG);
	nestio_veventq_unref(q);

	/* a known type whose records are not what the library knows */
	fv_len = 40;
	fv_n = 0;
	q = new_q(SMMU);
	fv_push(0, 0);
	fv_push(0, 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 1), -EIO);
	nestio_veventq_unref(q);
}
END_TEST

/*
 * A read that meets a malformed event (a record shorter than the type's)
 * returns the events decoded before it, reports -EIO once, on the next
 * call, and counts the bad event as lost: every sequence is accounted and
 * nothing decoded is dropped. The same through dispatch.
 */
static int bad_seen;
static uint32_t bad_seq[8];

static void on_bad(struct nestio_veventq *q, const struct nestio_vevent *ev,
		   void *data)
{
	(void)q; (void)data;
	if (bad_seen < (int)ARRAY_SIZE(bad_seq))
		bad_seq[bad_seen] = ev->sequence;
	bad_seen++;
}

START_TEST(test_malformed_keeps_events)
{
	struct nestio_veventq *q = new_q(SMMU);
	struct nestio_vevent ev[8];

	fv_push(0, 0);
	fv_push(0, 1);
	fv_append(0, 2, 16);		/* half a record, last in the read */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 2);
	expect_ev(&ev[0], 0, 0);
	expect_ev(&ev[1], 1, 0);
	ck_assert_int_eq(fv_reads, 1);
	/* the error, once, without a read */
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), -EIO);
	ck_assert_int_eq(fv_reads, 1);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 0);
	/* the bad event's number is a gap: one lost */
	fv_push(0, 3);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 1);
	expect_ev(&ev[0], 3, 1);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 1);
	/* alone in a read: the error at once */
	fv_append(0, 4, 8);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), -EIO);
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), 0);

	/* dispatch: the handler gets the good events, then the error */
	ck_assert_int_eq(nestio_veventq_set_handler(q, on_bad, NULL), 0);
	fv_push(0, 5);
	fv_push(0, 6);
	fv_append(0, 7, 4);
	bad_seen = 0;
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, nestio_veventq_get_fd(q)), -EIO);
	ck_assert_int_eq(bad_seen, 2);
	ck_assert_uint_eq(bad_seq[0], 5);
	ck_assert_uint_eq(bad_seq[1], 6);
	ck_assert_int_eq(nestio_ctx_dispatch(ctx, nestio_veventq_get_fd(q)), 0);
	ck_assert_uint_eq(nestio_veventq_get_lost(q), 2);	/* 2 and 4; 7 next */
	nestio_veventq_unref(q);
}
END_TEST

/* ---------------------------------------------------- SMMUv3 records */

START_TEST(test_decode_smmuv3)
{
	/* F_TRANSLATION for virtual SID 0x42, SSID 5, a privileged read of
	 * 0x7f0000401000, table-walk class, stage 1 */
	struct nestio_vevent ev = { .len = 32 };
	struct nestio_smmuv3_event e;

	ev.data[0] = htole64(0x10 | 1ull << 11 | 5ull << 12 | 0x42ull << 32);
	ev.data[1] = htole64(0x1234 | 1ull << 33 | 1ull << 35 | 1ull << 40);
	ev.data[2] = htole64(0x7f0000401000ull);
	ev.data[3] = htole64(0x000fffffffffffffull);
	ck_assert_int_eq(nestio_vevent_decode_smmuv3(&ev, &e), 0);
	ck_assert_uint_eq(e.id, NESTIO_SMMUV3_EVT_TRANSLATION);
	ck_assert_uint_eq(e.sid, 0x42);
	ck_assert_uint_eq(e.ssid, 5);
	ck_assert_uint_eq(e.flags, NESTIO_SMMUV3_EVF_SSV | NESTIO_SMMUV3_EVF_PRIV |
				   NESTIO_SMMUV3_EVF_READ);
	ck_assert_uint_eq(e.stag, 0x1234);
	ck_assert_uint_eq(e.fault_class, 1);
	ck_assert_uint_eq(e.addr, 0x7f0000401000ull);
	ck_assert_uint_eq(e.ipa, 0x000ffffffffff000ull);
	ck_assert_uint_eq(e.fetch_addr, 0x000ffffffffffff8ull);
	/* every flag bit, each on its own */
	ev.data[0] = htole64(0x13);
	ev.data[1] = htole64(1ull << 31 | 1ull << 34 | 1ull << 39);
	ck_assert_int_eq(nestio_vevent_decode_smmuv3(&ev, &e), 0);
	ck_assert_uint_eq(e.id, NESTIO_SMMUV3_EVT_PERMISSION);
	ck_assert_uint_eq(e.flags, NESTIO_SMMUV3_EVF_STALL | NESTIO_SMMUV3_EVF_INSTR |
				   NESTIO_SMMUV3_EVF_S2);
	ck_assert_uint_eq(e.sid, 0);
	/* a record shorter than SMMUv3's, and NULLs */
	ev.len = 4;
	ck_assert_int_eq(nestio_vevent_decode_smmuv3(&ev, &e), -EINVAL);
	ck_assert_int_eq(nestio_vevent_decode_smmuv3(NULL, &e), -EINVAL);
	ev.len = 32;
	ck_assert_int_eq(nestio_vevent_decode_smmuv3(&ev, NULL), -EINVAL);
}
END_TEST

/* ------------------------------------------- Tegra241 CMDQV records */

/* records as the kernel writes them (two little-endian words of the
 * LVCMDQ_ERR_MAP registers), byte for byte, and what they decode to */
static const struct {
	uint8_t bytes[16];
	uint64_t map[2];
} cmdqv_recs[] = {
	/* logical VCMDQ 0 in error */
	{ { 0x01 }, { 1, 0 } },
	/* VCMDQs 1 and 63: the low word's byte order */
	{ { 0x02, 0, 0, 0, 0, 0, 0, 0x80 }, { 0x8000000000000002ull, 0 } },
	/* VCMDQ 64 and 127: the high word */
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0x80 },
	  { 0, 0x8000000000000001ull } },
	/* every byte distinct: no word or byte swapped */
	{ { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
	    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef },
	  { 0xfedcba9876543210ull, 0xefcdab8967452301ull } },
};

START_TEST(test_decode_tegra241_cmdqv)
{
	struct nestio_veventq *q = NULL;
	struct nestio_vevent ev[8];
	struct nestio_tegra241_cmdqv_event e;
	const int n = (int)ARRAY_SIZE(cmdqv_recs);

	/* a CMDQV queue knows its 16-byte records from the start */
	fv_len = 16;
	ck_assert_int_eq(nestio_veventq_new(viommu, NESTIO_VEVENTQ_TEGRA241_CMDQV,
					    8, &q), 0);
	EXPECT_IOMMU(0, KABI_IOMMU_VEVENTQ_ALLOC, kabi_veventq_alloc,
		     .viommu_id = nestio_viommu_get_id(viommu),
		     .type = KABI_VEVENTQ_TYPE_TEGRA241_CMDQV, .veventq_depth = 8);
	for (int i = 0; i < n; i++) {
		fv_push(0, (uint32_t)i);
		memcpy(fv_q[fv_n - 1].data, cmdqv_recs[i].bytes, 16);
	}
	ck_assert_int_eq(nestio_veventq_read(q, ev, 8), n);
	ck_assert_int_eq(fv_reads, 1);
	for (int i = 0; i < n; i++) {
		ck_assert_uint_eq(ev[i].sequence, (uint32_t)i);
		ck_assert_uint_eq(ev[i].len, 16);
		memset(&e, 0xa5, sizeof(e));
		ck_assert_int_eq(nestio_vevent_decode_tegra241_cmdqv(&ev[i], &e), 0);
		ck_assert_msg(e.lvcmdq_err_map[0] == cmdqv_recs[i].map[0] &&
			      e.lvcmdq_err_map[1] == cmdqv_recs[i].map[1],
			      "record %d: %#llx %#llx", i,
			      (unsigned long long)e.lvcmdq_err_map[0],
			      (unsigned long long)e.lvcmdq_err_map[1]);
	}
	/* a record shorter than CMDQV's, and NULLs: *out untouched */
	memset(&e, 0xa5, sizeof(e));
	ev[0].len = 15;
	ck_assert_int_eq(nestio_vevent_decode_tegra241_cmdqv(&ev[0], &e), -EINVAL);
	ck_assert_uint_eq(e.lvcmdq_err_map[0], 0xa5a5a5a5a5a5a5a5ull);
	ck_assert_int_eq(nestio_vevent_decode_tegra241_cmdqv(NULL, &e), -EINVAL);
	ev[0].len = 16;
	ck_assert_int_eq(nestio_vevent_decode_tegra241_cmdqv(&ev[0], NULL), -EINVAL);
	/* a longer record (a later kernel's) decodes its first 16 bytes */
	ev[3].len = 24;
	ck_assert_int_eq(nestio_vevent_decode_tegra241_cmdqv(&ev[3], &e), 0);
	ck_assert_uint_eq(e.lvcmdq_err_map[1], cmdqv_recs[3].map[1]);
	nestio_veventq_unref(q);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("veventq");
	TCase *tc = fk_tcase(s, "veventq", eventq_setup, eventq_teardown);

	tcase_add_test(tc, test_veventq_new);
	tcase_add_test(tc, test_veventq_bad_read);
	tcase_add_test(tc, test_seq_no_loss);
	tcase_add_test(tc, test_seq_gaps);
	tcase_add_test(tc, test_decode_smmuv3);
	tcase_add_test(tc, test_decode_tegra241_cmdqv);
	tcase_add_test(tc, test_seq_lost_tail);
	tcase_add_test(tc, test_seq_lost_then_events);
	tcase_add_test(tc, test_seq_wrap);
	tcase_add_test(tc, test_seq_lost_across_wrap);
	tcase_add_test(tc, test_short_reads);
	tcase_add_test(tc, test_learn_len);
	tcase_add_test(tc, test_malformed_keeps_events);
	return tu_run(s);
}
