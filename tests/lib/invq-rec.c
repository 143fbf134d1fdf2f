// SPDX-License-Identifier: LGPL-2.1-or-later
/* The invalidation-queue tests' batch recorder and fixture (invq-rec.h). */
#include <endian.h>
#include <string.h>

#include "invq-rec.h"

/* ------------------------------------------------------------ recorder */

struct batch batches[32768];
int nbatch;
static uint8_t elog[4u << 20];
static size_t elog_len;

int fail_every;			/* > 0: every Nth call confirms half, EIO */

void rec_reset(void)
{
	nbatch = 0;
	elog_len = 0;
	fk_answers(0, NULL);
	fail_every = 0;
	tu_ncalls = 0;
}

static int inv_answer(int fd, unsigned long request, void *arg)
{
	struct kabi_hwpt_invalidate *c = arg;
	struct fk_answer dflt = { .all = true };
	struct batch *b;
	size_t bytes;

	if (request == KABI_IOMMU_VIOMMU_ALLOC) {
		((struct kabi_viommu_alloc *)arg)->out_viommu_id = fk_next_id++;
		return 0;
	}
	if (request != KABI_IOMMU_HWPT_INVALIDATE)
		return fake_kernel(fd, request, arg);
	ck_assert_int_lt(nbatch, (int)ARRAY_SIZE(batches));
	b = &batches[nbatch++];
	*b = (struct batch){ c->size, c->hwpt_id, c->data_type, c->entry_len,
			     c->entry_num, c->reserved, 0, elog_len };
	bytes = (size_t)c->entry_num * c->entry_len;
	ck_assert_uint_le(elog_len + bytes, sizeof(elog));
	memcpy(elog + elog_len, (void *)(uintptr_t)c->data_uptr, bytes);
	elog_len += bytes;
	if (fail_every && nbatch % fail_every == 0)
		dflt = (struct fk_answer){ .err = EIO, .handled = c->entry_num / 2 };
	return fk_answer_invalidate(c, &dflt, &b->handled);
}

const uint8_t *bent(int b, uint32_t i)
{
	return elog + batches[b].off + (size_t)i * batches[b].entry_len;
}

/* ------------------------------------------------------------- fixture */

struct nestio_hwpt *parent, *nested;
struct nestio_viommu *viommu;
uint32_t nested_id, viommu_id;

void rec_setup(void)
{
	setup_objs();
	tu_seam_answer = inv_answer;
	new_nest_objs(&parent, &nested, &viommu);
	nested_id = nestio_hwpt_get_id(nested);
	viommu_id = nestio_viommu_get_id(viommu);
	ck_assert_uint_ne(viommu_id, 0);
	rec_reset();
	fk_nev = 0;
}

void rec_teardown(void)
{
	nested = nestio_hwpt_unref(nested);
	viommu = nestio_viommu_unref(viommu);
	parent = nestio_hwpt_unref(parent);
	teardown_objs();
}

struct nestio_invq *new_q(bool on_viommu, uint32_t type,
				 unsigned int flags, uint32_t capacity)
{
	struct nestio_invq_opts o = { .sz = sizeof(o), .capacity = capacity,
				      .flags = flags };
	struct nestio_invq *q = NULL;
	int r;

	r = on_viommu ? nestio_invq_new_viommu(viommu, type, &o, &q)
		      : nestio_invq_new(nested, type, &o, &q);
	ck_assert_int_eq(r, 0);
	ck_assert_ptr_nonnull(q);
	return q;
}

struct nestio_invq *vtd_q(unsigned int flags, uint32_t capacity)
{
	return new_q(false, NESTIO_INV_VTD_S1, flags, capacity);
}

struct nestio_invq *smmu_q(unsigned int flags, uint32_t capacity)
{
	return new_q(true, NESTIO_INV_ARM_SMMUV3, flags, capacity);
}

void push_vtds(struct nestio_invq *q, const struct nestio_inv_vtd *e,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(nestio_invq_push(q, &e[i], sizeof(e[i])), 0);
}

/* batch b carries exactly these VT-d entries, in the kernel's form */
void expect_vtd_batch(int b, const struct nestio_inv_vtd *want, uint32_t n)
{
	ck_assert_int_lt(b, nbatch);
	ck_assert_uint_eq(batches[b].size, sizeof(struct kabi_hwpt_invalidate));
	ck_assert_uint_eq(batches[b].hwpt_id, nested_id);
	ck_assert_uint_eq(batches[b].data_type, KABI_HWPT_INVALIDATE_DATA_VTD_S1);
	ck_assert_uint_eq(batches[b].entry_len,
			  sizeof(struct kabi_hwpt_vtd_s1_invalidate));
	ck_assert_uint_eq(batches[b].entry_num, n);
	ck_assert_uint_eq(batches[b].reserved, 0);
	for (uint32_t i = 0; i < n; i++) {
		struct kabi_hwpt_vtd_s1_invalidate k = {
			.addr = want[i].addr,
			.npages = want[i].npages,
			.flags = want[i].flags & LEAF ? KABI_VTD_INV_FLAGS_LEAF : 0,
		};

		ck_assert_msg(!memcmp(bent(b, i), &k, sizeof(k)),
			      "batch %d entry %u differs", b, i);
	}
}

void expect_smmu_batch(int b, const struct nestio_inv_smmuv3 *want,
			      uint32_t n)
{
	ck_assert_int_lt(b, nbatch);
	ck_assert_uint_eq(batches[b].hwpt_id, viommu_id);
	ck_assert_uint_eq(batches[b].data_type, KABI_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3);
	ck_assert_uint_eq(batches[b].entry_len,
			  sizeof(struct kabi_viommu_arm_smmuv3_invalidate));
	ck_assert_uint_eq(batches[b].entry_num, n);
	ck_assert_uint_eq(batches[b].reserved, 0);
	for (uint32_t i = 0; i < n; i++) {
		struct kabi_viommu_arm_smmuv3_invalidate k = {
			.cmd = { htole64(want[i].cmd[0]), htole64(want[i].cmd[1]) },
		};

		ck_assert_msg(!memcmp(bent(b, i), &k, sizeof(k)),
			      "batch %d entry %u differs: %#llx %#llx", b, i,
			      (unsigned long long)le64toh(((const uint64_t *)(const void *)bent(b, i))[0]),
			      (unsigned long long)want[i].cmd[0]);
	}
}
