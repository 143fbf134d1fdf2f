// SPDX-License-Identifier: LGPL-2.1-or-later
/* The tier-1 tests' fake kernel and fixtures: see fakekernel.h. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "fakekernel.h"

/* ------------------------------------------------------ the fake kernel */

uint32_t fk_next_id;
int fk_fail_left;		/* fail the next N matching requests */
unsigned long fk_fail_req;	/* 0: any request */
int fk_fail_errno;
uint64_t fk_option_val;
int fk_watch_fd;			/* its state is logged at each destroy */
struct fk_hw fk_hw;

struct fk_event fk_ev[64];
int fk_nev;

bool fd_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

void fk_event(char what, uint32_t id, int fd)
{
	if (fk_nev < (int)ARRAY_SIZE(fk_ev))
		fk_ev[fk_nev++] = (struct fk_event){ what, id, fd_open(fd),
						     fd_open(fk_watch_fd) };
}

/* index of the first event of a kind (and id, if any), or -1 */
int find_ev_id(char what, bool any, uint32_t id)
{
	for (int k = 0; k < fk_nev; k++)
		if (fk_ev[k].what == what && (any || fk_ev[k].id == id))
			return k;
	return -1;
}

int count_ev(char what)
{
	int n = 0;

	for (int k = 0; k < fk_nev; k++)
		n += fk_ev[k].what == what;
	return n;
}

void fk_fail(unsigned long request, int e, int times)
{
	fk_fail_req = request;
	fk_fail_errno = e;
	fk_fail_left = times;
}

void fk_hw_vtd(uint64_t cap, uint64_t ecap, bool erratum, uint8_t pasid_log2)
{
	struct kabi_hw_info_vtd v = {
		.flags = erratum ? KABI_HW_INFO_VTD_ERRATA_772415_SPR17 : 0,
		.cap_reg = cap, .ecap_reg = ecap,
	};

	fk_hw.type = KABI_HW_INFO_TYPE_INTEL_VTD;
	fk_hw.len = sizeof(v);
	memcpy(fk_hw.data, &v, sizeof(v));
	fk_hw.caps = 0;
	fk_hw.pasid_log2 = pasid_log2;
}

int fake_kernel(int fd, unsigned long request, void *arg)
{
	if (fk_fail_left && (!fk_fail_req || fk_fail_req == request)) {
		fk_fail_left--;
		errno = fk_fail_errno;
		return -1;
	}
	switch (request) {
	case KABI_IOMMU_DESTROY:
		fk_event('D', ((struct kabi_destroy *)arg)->id, fd);
		break;
	case KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT: {
		struct kabi_vfio_device_detach_iommufd_pt *c = arg;

		fk_event('X', c->flags & KABI_VFIO_DEVICE_DETACH_PASID ? c->pasid
								      : NESTIO_NO_PASID, fd);
		break;
	}
	case KABI_IOMMU_IOAS_ALLOC:
		((struct kabi_ioas_alloc *)arg)->out_ioas_id = fk_next_id++;
		break;
	case KABI_IOMMU_HWPT_ALLOC:
		((struct kabi_hwpt_alloc *)arg)->out_hwpt_id = fk_next_id++;
		break;
	case KABI_IOMMU_VIOMMU_ALLOC:
		((struct kabi_viommu_alloc *)arg)->out_viommu_id = fk_next_id++;
		break;
	case KABI_IOMMU_VDEVICE_ALLOC:
		((struct kabi_vdevice_alloc *)arg)->out_vdevice_id = fk_next_id++;
		break;
	case KABI_IOMMU_HW_QUEUE_ALLOC:
		((struct kabi_hw_queue_alloc *)arg)->out_hw_queue_id = fk_next_id++;
		break;
	case KABI_VFIO_DEVICE_BIND_IOMMUFD:
		((struct kabi_vfio_device_bind_iommufd *)arg)->out_devid = fk_next_id++;
		break;
	case KABI_IOMMU_IOAS_MAP: {
		struct kabi_ioas_map *c = arg;

		if (!(c->flags & KABI_IOAS_MAP_FIXED_IOVA))
			c->iova = FK_IOVA;
		break;
	}
	case KABI_IOMMU_IOAS_MAP_FILE: {
		struct kabi_ioas_map_file *c = arg;

		if (!(c->flags & KABI_IOAS_MAP_FIXED_IOVA))
			c->iova = FK_IOVA;
		break;
	}
	case KABI_IOMMU_IOAS_COPY: {
		struct kabi_ioas_copy *c = arg;

		if (!(c->flags & KABI_IOAS_MAP_FIXED_IOVA))
			c->dst_iova = FK_IOVA;
		break;
	}
	case KABI_IOMMU_IOAS_UNMAP:
		((struct kabi_ioas_unmap *)arg)->length = FK_UNMAPPED;
		break;
	case KABI_IOMMU_OPTION:
		if (((struct kabi_option *)arg)->op == KABI_OPTION_OP_GET)
			((struct kabi_option *)arg)->val64 = fk_option_val;
		break;
	case KABI_IOMMU_GET_HW_INFO: {
		struct kabi_hw_info *c = arg;
		uint32_t n = c->data_len < fk_hw.len ? c->data_len : fk_hw.len;

		if (n)
			memcpy((void *)(uintptr_t)c->data_uptr, fk_hw.data, n);
		c->data_len = fk_hw.len;	/* what the kernel has */
		c->data_type = fk_hw.type;
		c->out_capabilities = fk_hw.caps;
		c->out_max_pasid_log2 = fk_hw.pasid_log2;
		break;
	}
	}
	return 0;
}

/*
 * Call i was request on fd, with exactly these bytes (the expected struct is
 * built with designated initializers, so every other field, reserved ones
 * included, must be 0). NULL if so, else what differs.
 */
const char *payload_diff(int i, int fd, unsigned long request,
				const void *want, size_t len, const char *type)
{
	static char msg[160];
	const uint8_t *w = want;

	if (i >= tu_ncalls)
		snprintf(msg, sizeof(msg), "no call %d (%d made)", i, tu_ncalls);
	else if (tu_calls[i].request != request)
		snprintf(msg, sizeof(msg), "call %d: %s, want %s", i,
			 nio_ioctl_name(tu_calls[i].request), nio_ioctl_name(request));
	else if (tu_calls[i].fd != fd)
		snprintf(msg, sizeof(msg), "call %d: fd %d, want %d", i,
			 tu_calls[i].fd, fd);
	else if (tu_calls[i].len != len)
		snprintf(msg, sizeof(msg), "call %d: size %zu, want %zu", i,
			 tu_calls[i].len, len);
	else if (memcmp(tu_calls[i].arg, w, len)) {
		size_t k = 0;

		while (tu_calls[i].arg[k] == w[k])
			k++;
		snprintf(msg, sizeof(msg), "call %d: struct %s byte %zu is %#x, want %#x",
			 i, type, k, tu_calls[i].arg[k], w[k]);
	} else
		return NULL;
	return msg;
}
/* ----------------------------------------------- a device with our ops */

static int rec_attach(struct nestio_device *d, uint32_t pasid, uint32_t pt_id,
		      void *userdata)
{
	struct rec *r = userdata;

	*r = (struct rec){ r->attach + 1, r->replace, r->detach, r->release,
			   d, pasid, pt_id, r->fail };
	return r->fail;
}

static int rec_replace(struct nestio_device *d, uint32_t pasid, uint32_t pt_id,
		       void *userdata)
{
	struct rec *r = userdata;

	*r = (struct rec){ r->attach, r->replace + 1, r->detach, r->release,
			   d, pasid, pt_id, r->fail };
	return r->fail;
}

static int rec_detach(struct nestio_device *d, uint32_t pasid, void *userdata)
{
	struct rec *r = userdata;

	*r = (struct rec){ r->attach, r->replace, r->detach + 1, r->release,
			   d, pasid, r->pt_id, r->fail };
	fk_event('X', pasid, -1);
	return r->fail;
}

static void rec_release(struct nestio_device *d, void *userdata)
{
	((struct rec *)userdata)->release++;
	fk_event('R', nestio_device_get_id(d), -1);
}

const struct nestio_device_ops rec_ops = {
	.sz = sizeof(struct nestio_device_ops),
	.attach = rec_attach,
	.replace = rec_replace,
	.detach = rec_detach,
	.release = rec_release,
};
/* ------------------------------------------------------------- fixtures */

struct nestio_ctx *ctx;
struct nestio_ioas *ioas;	/* id 100 */
struct nestio_device *dev;	/* ops device, dev_id 7 */
struct rec rec;

int open_null(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	return fd;
}

struct nestio_ctx *new_ctx(void)
{
	struct nestio_ctx *c = NULL;
	int fd = open_null();

	ck_assert_int_eq(nestio_ctx_new_from_fd(fd, &c), 0);
	close(fd);
	return c;
}

struct nestio_ioas *new_ioas(struct nestio_ctx *c)
{
	struct nestio_ioas *i = NULL;

	ck_assert_int_eq(nestio_ioas_new(c, &i), 0);
	return i;
}

struct nestio_hwpt *new_hwpt(struct nestio_device *d,
				    struct nestio_ioas *i, unsigned int flags)
{
	struct nestio_hwpt_paging_opts o = { .sz = sizeof(o), .flags = flags };
	struct nestio_hwpt *h = NULL;

	ck_assert_int_eq(nestio_hwpt_new_paging(d, i, &o, &h), 0);
	return h;
}

void new_nest_objs(struct nestio_hwpt **parent, struct nestio_hwpt **nested,
		   struct nestio_viommu **viommu)
{
	static const struct nestio_stage1 vtd_s1 = {
		.type = NESTIO_STAGE1_VTD,
		.u.vtd = { .pgtbl_addr = 0x1000, .addr_width = 48 },
	};

	*parent = new_hwpt(dev, ioas, NESTIO_HWPT_NEST_PARENT);
	ck_assert_int_eq(nestio_hwpt_new_nested(dev, *parent, &vtd_s1, NULL, nested), 0);
	ck_assert_int_eq(nestio_viommu_new(dev, *parent, NESTIO_VIOMMU_ARM_SMMUV3,
					   NULL, viommu), 0);
}

static struct fk_answer script[8];
static int nscript, script_pos;

void fk_answers(int n, const struct fk_answer *a)
{
	ck_assert_int_le(n, (int)ARRAY_SIZE(script));
	if (n)
		memcpy(script, a, (size_t)n * sizeof(*a));
	nscript = n;
	script_pos = 0;
}

int fk_answer_invalidate(struct kabi_hwpt_invalidate *c,
			 const struct fk_answer *dflt, uint32_t *handled)
{
	struct fk_answer a = script_pos < nscript ? script[script_pos++] : *dflt;
	uint32_t h = a.all ? c->entry_num : a.handled;

	if (handled)
		*handled = h;
	if (!a.untouched)
		c->entry_num = h;
	if (a.err) {
		errno = a.err;
		return -1;
	}
	return 0;
}

struct nestio_device *new_vfio(struct nestio_ctx *c)
{
	struct nestio_device *d = NULL;
	int fd = open_null();

	ck_assert_int_eq(nestio_device_new_from_fd(c, fd, &d), 0);
	close(fd);
	return d;
}

void setup_seam(void)
{
	tu_seam_install();
	tu_seam_answer = fake_kernel;
	fk_next_id = 100;
	fk_fail_left = 0;
	fk_option_val = 1;
	fk_watch_fd = -1;
	memset(&fk_hw, 0, sizeof(fk_hw));
	ctx = new_ctx();
	tu_ncalls = 0;
	fk_nev = 0;
}

void teardown_seam(void)
{
	ctx = nestio_ctx_unref(ctx);
	tu_seam_remove();
}

void setup_objs(void)
{
	setup_seam();
	ioas = new_ioas(ctx);
	memset(&rec, 0, sizeof(rec));
	ck_assert_int_eq(nestio_device_new_from_id(ctx, 7, &rec_ops, &rec, &dev), 0);
	tu_ncalls = 0;
}

void teardown_objs(void)
{
	dev = nestio_device_unref(dev);
	ioas = nestio_ioas_unref(ioas);
	teardown_seam();
}

TCase *fk_tcase(Suite *s, const char *name, void (*setup)(void),
		void (*teardown)(void))
{
	TCase *tc = tcase_create(name);

	if (setup)
		tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return tc;
}
