// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl: inspect what libnestio sees on this host.
 *
 * Built only on the public API (<libnestio.h>) and libc, like any other
 * consumer of the library. PACKAGE_VERSION comes from config.h, which the
 * build force-includes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnestio.h>

#define EXIT_USAGE 2

static const char *prog = "nestioctl";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Inspect IOMMUFD and VFIO devices through libnestio.\n"
		"\n"
		"Commands:\n"
		"  features        probe which iommufd features the kernel offers\n"
		"  info DEVICE     show a device's dev_id and IOMMU capabilities\n"
		"  ranges DEVICE   attach a device to a new IOAS and show the\n"
		"                  usable IOVA ranges\n"
		"\n"
		"DEVICE is a VFIO device cdev (/dev/vfio/devices/vfioN), a sysfs\n"
		"device directory, or a PCI address (0000:00:03.0 or 00:03.0).\n"
		"\n"
		"Options:\n"
		"  -h, --help      show this help and exit\n"
		"  -V, --version   show the version and exit\n"
		"\n"
		"NESTIO_LOG=debug in the environment logs every ioctl to stderr.\n",
		prog);
}

static void errmsg(const char *what, int r)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(-r));
}

static int open_ctx(struct nestio_ctx **ctx)
{
	int r = nestio_ctx_new(ctx);

	if (r < 0)
		errmsg("/dev/iommu", r);
	return r;
}

static int open_device(struct nestio_ctx *ctx, const char *name,
		       struct nestio_device **dev)
{
	int r = nestio_device_open(ctx, name, dev);

	if (r == -ENODEV)
		fprintf(stderr,
			"%s: %s: no VFIO device cdev (is the device bound to vfio-pci?)\n",
			prog, name);
	else if (r < 0)
		errmsg(name, r);
	return r;
}

/* ---- features ---- */

static int cmd_features(void)
{
	struct nestio_ctx *ctx = NULL;
	int r, f;

	r = open_ctx(&ctx);
	if (r < 0)
		return EXIT_FAILURE;
	for (f = 0; f < NESTIO_FEATURE_MAX; f++) {
		r = nestio_ctx_has_feature(ctx, (enum nestio_feature)f);
		if (r < 0) {
			errmsg("probing features", r);
			nestio_ctx_unref(ctx);
			return EXIT_FAILURE;
		}
		printf("%-20s %s\n",
		       nestio_feature_name((enum nestio_feature)f),
		       r ? "yes" : "no");
	}
	nestio_ctx_unref(ctx);
	return EXIT_SUCCESS;
}

/* ---- info ---- */


/* stage-1 formats have no name function in the library */
static const char *stage1_name(uint64_t bit)
{
	return bit == NESTIO_STAGE1_VTD ? "vtd" :
	       bit == NESTIO_STAGE1_ARM_SMMUV3 ? "arm-smmuv3" :
	       bit == NESTIO_STAGE1_AMD ? "amd" : NULL;
}

static const char *erratum_name(uint64_t bit)
{
	return bit > UINT32_MAX ? NULL : nestio_errata_name((uint32_t)bit);
}

/* The names of the set bits of v, and any bits without a name, in hex. */
static void print_bits(uint64_t v, const char *(*name_of)(uint64_t bit))
{
	bool any = false;

	for (int b = 0; b < 64; b++) {
		const char *name = name_of(1ull << b);

		if (v & (1ull << b) && name) {
			printf("%s%s", any ? " " : "", name);
			v &= ~(1ull << b);
			any = true;
		}
	}
	if (v) {
		printf("%s0x%" PRIx64, any ? " " : "", v);
		any = true;
	}
	printf("%s\n", any ? "" : "none");
}

static void print_width(const char *label, unsigned int bits)
{
	if (bits)
		printf("%-18s %u bits\n", label, bits);
	else
		printf("%-18s unknown\n", label);
}

static void print_page_sizes(uint32_t bitmap)
{
	static const char units[] = "KMG";
	bool any = false;

	printf("%-18s", "page sizes:");
	for (unsigned int shift = 0; shift < 32; shift++) {
		uint64_t size = 1ull << shift;
		int u = -1;

		if (!(bitmap & (1u << shift)))
			continue;
		while (u < 2 && size >= 1024 && size % 1024 == 0) {
			size /= 1024;
			u++;
		}
		if (u < 0)
			printf(" %" PRIu64, size);
		else
			printf(" %" PRIu64 "%c", size, units[u]);
		any = true;
	}
	printf("%s\n", any ? "" : " none");
}

static void hexdump(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 16) {
		printf("  %04zx:", i);
		for (size_t j = i; j < i + 16 && j < len; j++)
			printf(" %02x", p[j]);
		printf("\n");
	}
}

/* The raw hw-info block, whatever its size: ask for the size, then read. */
static int read_hw_info(struct nestio_device *dev, uint32_t *type,
			unsigned char **data, size_t *len)
{
	unsigned char *buf = NULL, *tmp;
	size_t cap = 0, n;
	int r;

	for (int tries = 0; tries < 4; tries++) {
		n = cap;
		r = nestio_device_get_hw_info(dev, type, buf, &n);
		if (r < 0)
			break;
		if (n <= cap) {
			*data = buf;
			*len = n;
			return 0;
		}
		tmp = realloc(buf, n);
		if (!tmp) {
			r = -ENOMEM;
			break;
		}
		buf = tmp;
		cap = n;
	}
	free(buf);
	return r < 0 ? r : -EAGAIN;
}

static int cmd_info(const char *name)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_ctx *ctx = NULL;
	struct nestio_device *dev = NULL;
	unsigned char *data = NULL;
	const char *tname;
	uint64_t other;
	uint32_t type;
	size_t len = 0;
	int r, ret = EXIT_FAILURE;

	if (open_ctx(&ctx) < 0)
		return EXIT_FAILURE;
	if (open_device(ctx, name, &dev) < 0)
		goto out;
	r = nestio_device_get_hw_caps(dev, &caps);
	if (r < 0) {
		errmsg("reading hardware information", r);
		goto out;
	}
	r = read_hw_info(dev, &type, &data, &len);
	if (r < 0) {
		errmsg("reading hardware information", r);
		goto out;
	}

	tname = nestio_iommu_type_name((enum nestio_iommu_type)caps.type);
	other = caps.caps;
	printf("%-18s %s\n", "device:", name);
	printf("%-18s %" PRIu32 "\n", "dev_id:", nestio_device_get_id(dev));
	printf("%-18s %s (hw-info type %" PRIu32 ")\n",
	       "iommu:", tname ? tname : "unknown", caps.raw_type);
	printf("capabilities:\n");
	for (int b = 0; b < 64; b++) {
		const char *cap = nestio_cap_name(1ull << b);

		if (!cap)
			continue;
		printf("  %-16s %s\n", cap, caps.caps & (1ull << b) ? "yes" : "no");
		other &= ~(1ull << b);
	}
	if (other)
		printf("  %-16s 0x%" PRIx64 "\n", "other", other);
	printf("%-18s ", "stage-1 formats:");
	print_bits(caps.stage1_formats, stage1_name);
	printf("%-18s ", "errata:");
	print_bits(caps.errata, erratum_name);
	print_width("stage-1 input:", caps.stage1_ia_bits);
	print_width("stage-2 input:", caps.stage2_ia_bits);
	print_width("output address:", caps.oa_bits);
	printf("%-18s %u\n",
	       "max PASID bits:", (unsigned int)caps.max_pasid_log2);
	print_page_sizes(caps.pgsize_bitmap);
	printf("%-18s type %" PRIu32 ", %zu bytes\n", "hw-info:", type, len);
	hexdump(data, len);
	ret = EXIT_SUCCESS;
out:
	free(data);
	nestio_device_unref(dev);
	nestio_ctx_unref(ctx);
	return ret;
}

/* ---- ranges ---- */

static int cmd_ranges(const char *name)
{
	struct nestio_ctx *ctx = NULL;
	struct nestio_ioas *ioas = NULL;
	struct nestio_device *dev = NULL;
	struct nestio_iova_range *ranges = NULL;
	uint64_t alignment = 0;
	size_t nr = 0;
	int r, ret = EXIT_FAILURE;

	if (open_ctx(&ctx) < 0)
		return EXIT_FAILURE;
	r = nestio_ioas_new(ctx, &ioas);
	if (r < 0) {
		errmsg("allocating an IOAS", r);
		goto out;
	}
	if (open_device(ctx, name, &dev) < 0)
		goto out;
	r = nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas);
	if (r < 0) {
		errmsg("attaching to the IOAS", r);
		goto out;
	}
	r = nestio_ioas_get_iova_ranges(ioas, &ranges, &nr, &alignment);
	if (r < 0) {
		errmsg("reading the IOVA ranges", r);
		goto out;
	}
	printf("%-18s %s\n", "device:", name);
	printf("%-18s %" PRIu32 "\n", "dev_id:", nestio_device_get_id(dev));
	printf("%-18s 0x%" PRIx64 "\n", "iova alignment:", alignment);
	printf("%-18s %zu\n", "usable ranges:", nr);
	for (size_t i = 0; i < nr; i++)
		printf("  0x%016" PRIx64 " - 0x%016" PRIx64 "\n",
		       ranges[i].start, ranges[i].last);
	ret = EXIT_SUCCESS;
out:
	nestio_iova_ranges_free(ranges);
	nestio_device_unref(dev);
	nestio_ioas_unref(ioas);
	nestio_ctx_unref(ctx);
	return ret;
}

/* ---- main ---- */

static int need_args(const char *cmd, int have, int want)
{
	if (have == want)
		return 0;
	fprintf(stderr, "%s: %s: expected %d argument%s, got %d\n", prog, cmd,
		want, want == 1 ? "" : "s", have);
	fprintf(stderr, "Try '%s --help'.\n", prog);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int c, nargs;

	if (argc > 0 && argv[0] && argv[0][0]) {
		const char *slash = strrchr(argv[0], '/');

		prog = slash ? slash + 1 : argv[0];
	}
	opterr = 0; /* our own messages, with our name */
	/* "+": stop at the command, so its arguments are not options */
	while ((c = getopt_long(argc, argv, "+hV", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("%s %s\n", prog, PACKAGE_VERSION);
			return EXIT_SUCCESS;
		default:
			/* optopt: an unknown short option; else the word */
			if (optopt && optopt != 'h' && optopt != 'V')
				fprintf(stderr, "%s: invalid option '-%c'\n",
					prog, optopt);
			else
				fprintf(stderr, "%s: invalid option '%s'\n",
					prog, argv[optind - 1]);
			fprintf(stderr, "Try '%s --help'.\n", prog);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no command given\n", prog);
		fprintf(stderr, "Try '%s --help'.\n", prog);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	nargs = argc - optind - 1;
	if (!strcmp(cmd, "features")) {
		if (need_args(cmd, nargs, 0) < 0)
			return EXIT_USAGE;
		return cmd_features();
	}
	if (!strcmp(cmd, "info")) {
		if (need_args(cmd, nargs, 1) < 0)
			return EXIT_USAGE;
		return cmd_info(argv[optind + 1]);
	}
	if (!strcmp(cmd, "ranges")) {
		if (need_args(cmd, nargs, 1) < 0)
			return EXIT_USAGE;
		return cmd_ranges(argv[optind + 1]);
	}
	fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
	fprintf(stderr, "Try '%s --help'.\n", prog);
	return EXIT_USAGE;
}
