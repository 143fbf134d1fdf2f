// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "bench.h"
#include "mock.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_compare(const struct bench_pair *p)
{
	double *ra = calloc((size_t)p->rounds, sizeof(double));
	double *rb = calloc((size_t)p->rounds, sizeof(double));
	double *ratio = calloc((size_t)p->rounds, sizeof(double));
	double med;

	if (!ra || !rb || !ratio)
		abort();
	/* warm up both */
	for (int k = 0; k < 2; k++) {
		if (p->before)
			p->before(p->ctx, p->ops);
		(k ? p->b : p->a)(p->ctx, p->ops);
		if (p->after)
			p->after(p->ctx, p->ops);
	}
	for (int r = 0; r < p->rounds; r++) {
		for (int k = 0; k < 2; k++) {
			bool a_first = (r % 2 == 0);
			bool do_a = (k == 0) == a_first;
			uint64_t t0;

			if (p->before)
				p->before(p->ctx, p->ops);
			t0 = bench_now_ns();
			if (do_a)
				p->a(p->ctx, p->ops);
			else
				p->b(p->ctx, p->ops);
			(do_a ? ra : rb)[r] = (double)(bench_now_ns() - t0) / p->ops;
			if (p->after)
				p->after(p->ctx, p->ops);
		}
		ratio[r] = rb[r] / ra[r];
	}
	med = median(ratio, p->rounds);
	printf("NESTIO-BENCH %s.%s_ns %.0f\n", p->name, p->a_name, median(ra, p->rounds));
	printf("NESTIO-BENCH %s.%s_ns %.0f\n", p->name, p->b_name, median(rb, p->rounds));
	printf("NESTIO-BENCH %s.ratio %.3f\n", p->name, med);
	free(ra);
	free(rb);
	free(ratio);
	return med;
}

/* ---- the mock device, adopted with an ops table ---- */

static int mock_cmd(int fd, struct mock_cmd *c)
{
	c->size = sizeof(*c);
	return ioctl(fd, MOCK_IOMMU_TEST_CMD, c) < 0 ? -errno : 0;
}

static int op_attach(struct nestio_device *d, uint32_t pasid, uint32_t pt,
		     void *u)
{
	struct bench_mock *m = u;
	struct mock_cmd c = { .op = MOCK_OP_MOCK_DOMAIN_REPLACE, .id = m->stdev_id };

	(void)d;
	if (pasid != NESTIO_NO_PASID)
		return -EOPNOTSUPP;
	c.mock_domain_replace.pt_id = pt;
	return mock_cmd(m->fd, &c);
}

static void op_release(struct nestio_device *d, void *u)
{
	struct bench_mock *m = u;
	struct kabi_destroy x = { .size = sizeof(x), .id = m->stdev_id };

	(void)d;
	ioctl(m->fd, KABI_IOMMU_DESTROY, &x);
}

static const struct nestio_device_ops mock_ops = {
	.sz = sizeof(mock_ops),
	.attach = op_attach,
	.replace = op_attach,
	.release = op_release,
};

int bench_mock_setup(struct bench_mock *m)
{
	struct mock_cmd c = { .op = MOCK_OP_MOCK_DOMAIN };
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = nestio_ctx_new(&m->ctx)) < 0 ||
	    (r = nestio_ioas_new(m->ctx, &m->ioas)) < 0)
		return r;
	m->fd = nestio_ctx_get_fd(m->ctx);
	c.id = nestio_ioas_get_id(m->ioas);
	if ((r = mock_cmd(m->fd, &c)) < 0)
		return r;
	m->stdev_id = c.mock_domain.out_stdev_id;
	return nestio_device_new_from_id(m->ctx, c.mock_domain.out_idev_id,
					 &mock_ops, m, &m->dev);
}

void bench_mock_teardown(struct bench_mock *m)
{
	nestio_device_unref(m->dev);
	nestio_ioas_unref(m->ioas);
	nestio_ctx_unref(m->ctx);
}

int bench_mock_nested(struct bench_mock *m, struct nestio_hwpt **parent,
		      struct nestio_hwpt **nested)
{
	static const struct mock_hwpt_selftest data = { .iotlb = MOCK_IOTLB_DEFAULT };
	struct nestio_hwpt_paging_opts po = { .sz = sizeof(po),
					      .flags = NESTIO_HWPT_NEST_PARENT };
	struct nestio_stage1 s1 = { .type = NESTIO_STAGE1_RAW,
				    .raw_type = MOCK_HWPT_DATA_SELFTEST };
	int r;

	s1.u.raw.data = &data;
	s1.u.raw.len = sizeof(data);
	r = nestio_hwpt_new_paging(m->dev, m->ioas, &po, parent);
	if (r == 0)
		r = nestio_hwpt_new_nested(m->dev, *parent, &s1, NULL, nested);
	return r;
}
