// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * viommu-auto: what an accelerated vSMMUv3 may advertise over the host
 * IOMMUs of the devices given, and the ID registers a VMM would set from
 * that. Each capability the model wanted and some host lacks is printed
 * with the host register that decided it.
 *
 *   viommu-auto 0000:00:03.0 [0000:01:00.0 ...]   (devices bound to vfio-pci)
 *
 * The model is QEMU's accelerated SMMUv3 with ats, ril and ssidsize "auto":
 * AArch64 little-endian tables, 2-level stream tables, 16-bit stream IDs,
 * a 44-bit output size, and page sizes and substream IDs as the hosts have.
 *
 * Exit status: 0 when the answer was printed (whether or not the vSMMU can
 * nest on these hosts), 1 when a call failed (named on stderr), 2 on a
 * usage error.
 *
 * Build: cc viommu-auto.c $(pkg-config --cflags --libs libnestio)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnestio.h>

#define MAX_DEVICES 16

static void dropped(void *userdata, size_t host, const char *field,
		    const char *reason)
{
	char **names = userdata;

	printf("dropped %s (%s): %s\n", field, names[host], reason);
}

/* SMMU_IDR5.OAS from an output width: 32, 36, 40, 42, 44, 48, 52 bits */
static uint32_t oas_field(unsigned int bits)
{
	static const unsigned int widths[] = { 32, 36, 40, 42, 44, 48, 52 };
	uint32_t oas = 0;

	for (uint32_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
		if (widths[i] <= bits)
			oas = i;
	return oas;
}

/* the vSMMU's ID registers from the intersection */
static void print_idrs(const struct nestio_compat *v)
{
	uint64_t c = v->caps;
	uint32_t idr0 = 0, idr1, idr3, idr5;

	idr0 |= 1u << 1;				/* S1P: the guest's stage */
	idr0 |= c & NESTIO_CAP_TTF_AARCH32 ? 1u << 2 : 0;
	idr0 |= c & NESTIO_CAP_TTF_AARCH64 ? 1u << 3 : 0;
	idr0 |= c & NESTIO_CAP_ATS ? 1u << 10 : 0;
	idr0 |= c & NESTIO_CAP_PRI ? 1u << 16 : 0;
	if ((c & NESTIO_CAP_TT_LE) && (c & NESTIO_CAP_TT_BE))
		idr0 |= 0u << 21;			/* TTENDIAN mixed */
	else if (c & NESTIO_CAP_TT_BE)
		idr0 |= 3u << 21;
	else
		idr0 |= 2u << 21;			/* little-endian */
	idr0 |= 1u << 24;				/* STALL_MODEL: no stall */
	idr0 |= c & NESTIO_CAP_STE_2LVL ? 1u << 27 : 0;
	idr1 = (uint32_t)v->sid_bits | (uint32_t)v->ssid_bits << 6;
	idr3 = c & NESTIO_CAP_RANGE_INV ? 1u << 10 : 0;
	idr5 = oas_field(v->stage2_ia_bits);
	idr5 |= v->pgsize_bitmap & (1u << 12) ? 1u << 4 : 0;	/* GRAN4K */
	idr5 |= v->pgsize_bitmap & (1u << 14) ? 1u << 5 : 0;	/* GRAN16K */
	idr5 |= v->pgsize_bitmap & (1u << 16) ? 1u << 6 : 0;	/* GRAN64K */
	idr5 |= v->stage1_ia_bits >= 52 ? 1u << 10 : 0;		/* VAX */
	printf("IDR0 0x%08x IDR1 0x%08x IDR3 0x%08x IDR5 0x%08x\n", idr0, idr1,
	       idr3, idr5);
}

int main(int argc, char **argv)
{
	struct nestio_hw_caps caps[MAX_DEVICES];
	const struct nestio_hw_caps *hosts[MAX_DEVICES];
	struct nestio_compat model = {
		.sz = sizeof(model),
		.stage1_format = NESTIO_STAGE1_ARM_SMMUV3,
		.stage1_ia_bits = 48, .stage2_ia_bits = 44,
		.caps = NESTIO_CAP_NESTING | NESTIO_CAP_FIRST_STAGE |
			NESTIO_CAP_STE_2LVL | NESTIO_CAP_TT_LE |
			NESTIO_CAP_TTF_AARCH64 | NESTIO_CAP_ATS |
			NESTIO_CAP_RANGE_INV,
		.pgsize_bitmap = UINT32_MAX, .sid_bits = 16, .ssid_bits = 0xff,
	};
	struct nestio_compat out = { .sz = sizeof(out) };
	struct nestio_ctx *ctx = NULL;
	int n = argc - 1, r, ret = 1;

	if (n < 1 || n > MAX_DEVICES) {
		fprintf(stderr, "usage: viommu-auto DEVICE... (1 to %d)\n", MAX_DEVICES);
		return 2;
	}
	r = nestio_ctx_new(&ctx);
	if (r < 0) {
		fprintf(stderr, "viommu-auto: /dev/iommu: %s\n", strerror(-r));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct nestio_device *dev = NULL;

		caps[i] = (struct nestio_hw_caps){ .sz = sizeof(caps[i]) };
		hosts[i] = &caps[i];
		r = nestio_device_open(ctx, argv[i + 1], &dev);
		if (r >= 0)
			r = nestio_device_get_hw_caps(dev, &caps[i]);
		nestio_device_unref(dev);
		if (r < 0) {
			fprintf(stderr, "viommu-auto: %s: %s\n", argv[i + 1], strerror(-r));
			goto out;
		}
	}
	r = nestio_hw_caps_intersect(hosts, (size_t)n, &model, &out, dropped,
				     argv + 1);
	if (r < 0) {
		fprintf(stderr, "viommu-auto: intersect: %s\n", strerror(-r));
		goto out;
	}
	printf("%d narrowed; the vSMMU %s\n", r,
	       out.caps & NESTIO_CAP_NESTING && out.stage1_format ?
		       "can nest" : "cannot nest on these hosts");
	print_idrs(&out);
	ret = 0;
out:
	nestio_ctx_unref(ctx);
	return ret;
}
