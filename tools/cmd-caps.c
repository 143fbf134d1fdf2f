// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestioctl caps (old name: info) and check: what a device's IOMMU offers. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "nestioctl.h"

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

/*
 * The vendor registers inside the hw-info block, by name, as the kernel's
 * iommufd documentation lays each type's block out (little-endian).
 */
struct reg {
	const char *name;
	size_t offset;
	size_t size;	/* 4 or 8 */
};

static const struct reg vtd_regs[] = {
	{ "flags", 0, 4 }, { "cap_reg", 8, 8 }, { "ecap_reg", 16, 8 },
};
static const struct reg smmuv3_regs[] = {
	{ "flags", 0, 4 }, { "idr0", 8, 4 }, { "idr1", 12, 4 },
	{ "idr2", 16, 4 }, { "idr3", 20, 4 }, { "idr4", 24, 4 },
	{ "idr5", 28, 4 }, { "iidr", 32, 4 }, { "aidr", 36, 4 },
};
static const struct reg amd_regs[] = {
	{ "efr", 0, 8 }, { "efr2", 8, 8 },
};

static const struct reg *regs_of(uint32_t type, size_t *n)
{
	switch (type) {
	case NESTIO_IOMMU_INTEL_VTD:
		*n = ARRAY_LEN(vtd_regs);
		return vtd_regs;
	case NESTIO_IOMMU_ARM_SMMUV3:
		*n = ARRAY_LEN(smmuv3_regs);
		return smmuv3_regs;
	case NESTIO_IOMMU_AMD:
		*n = ARRAY_LEN(amd_regs);
		return amd_regs;
	default:
		*n = 0;
		return NULL;
	}
}

static uint64_t le_get(const unsigned char *p, size_t size)
{
	uint64_t v = 0;

	for (size_t i = size; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

static const char *erratum_name(uint64_t bit)
{
	return bit > UINT32_MAX ? NULL : nestio_errata_name((uint32_t)bit);
}

static const char *stage1_name(uint64_t bit)
{
	return bit > UINT32_MAX ? NULL : nestio_stage1_format_name((uint32_t)bit);
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

/* The same as a JSON array of names (unnamed bits as "0x..." strings). */
static void json_bits(struct json *j, const char *key, uint64_t v,
		      const char *(*name_of)(uint64_t bit))
{
	json_array_begin(j, key);
	for (int b = 0; b < 64; b++) {
		const char *name = name_of(1ull << b);

		if (!(v & (1ull << b)))
			continue;
		if (name)
			json_string(j, NULL, name);
		else
			json_hex(j, NULL, 1ull << b);
	}
	json_array_end(j);
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

static void caps_text(const char *name, struct nestio_device *dev,
		      const struct nestio_hw_caps *caps, uint32_t type,
		      const unsigned char *data, size_t len)
{
	const char *tname = nestio_iommu_type_name((enum nestio_iommu_type)caps->type);
	struct nestio_tegra241_cmdqv_info ci;
	uint64_t other = caps->caps;
	const struct reg *regs;
	size_t nregs;

	printf("%-18s %s\n", "device:", name);
	printf("%-18s %" PRIu32 "\n", "dev_id:", nestio_device_get_id(dev));
	printf("%-18s %s (hw-info type %" PRIu32 ")\n", "iommu:",
	       tname ? tname : "unknown", caps->raw_type);
	printf("capabilities:\n");
	for (int b = 0; b < 64; b++) {
		const char *cap = nestio_cap_name(1ull << b);

		if (!cap)
			continue;
		printf("  %-16s %s\n", cap, caps->caps & (1ull << b) ? "yes" : "no");
		other &= ~(1ull << b);
	}
	if (other)
		printf("  %-16s 0x%" PRIx64 "\n", "other", other);
	printf("%-18s ", "stage-1 formats:");
	print_bits(caps->stage1_formats, stage1_name);
	printf("%-18s ", "errata:");
	print_bits(caps->errata, erratum_name);
	print_width("stage-1 input:", caps->stage1_ia_bits);
	print_width("stage-2 input:", caps->stage2_ia_bits);
	print_width("output address:", caps->oa_bits);
	printf("%-18s %u\n", "max PASID bits:", (unsigned int)caps->max_pasid_log2);
	print_page_sizes(caps->pgsize_bitmap);
	printf("%-18s %u\n", "stream ID bits:", (unsigned int)caps->sid_bits);
	printf("%-18s %u\n", "substream bits:", (unsigned int)caps->ssid_bits);
	regs = regs_of(caps->type, &nregs);
	printf("registers:%s\n", nregs ? "" : " (not decoded for this type)");
	for (size_t i = 0; i < nregs; i++)
		if (regs[i].offset + regs[i].size <= len)
			printf("  %-16s 0x%0*" PRIx64 "\n", regs[i].name,
			       (int)regs[i].size * 2,
			       le_get(data + regs[i].offset, regs[i].size));
	printf("%-18s type %" PRIu32 ", %zu bytes\n", "hw-info:", type, len);
	hexdump(data, len);
	/* a Tegra241 host gives its CMDQV block only when asked for it */
	if (nestio_device_get_tegra241_cmdqv_info(dev, &ci) == 0)
		printf("%-18s version %u, %u VCMDQs and %u SIDs per VINTF (log2 %u, %u)\n",
		       "tegra241-cmdqv:", ci.version, 1u << (ci.log2vcmdqs & 31),
		       1u << (ci.log2vsids & 31), ci.log2vcmdqs, ci.log2vsids);
}

static void caps_json(const char *name, struct nestio_device *dev,
		      const struct nestio_hw_caps *caps, uint32_t type,
		      const unsigned char *data, size_t len)
{
	struct nestio_tegra241_cmdqv_info ci;
	const struct reg *regs;
	struct json j;
	size_t nregs;
	char *hex;

	tool_json(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "device", name);
	json_u64(&j, "dev_id", nestio_device_get_id(dev));
	json_string(&j, "iommu",
		    nestio_iommu_type_name((enum nestio_iommu_type)caps->type));
	json_u64(&j, "hw_info_type", caps->raw_type);
	json_object_begin(&j, "caps");
	for (int b = 0; b < 64; b++) {
		const char *cap = nestio_cap_name(1ull << b);

		if (cap)
			json_bool(&j, cap, caps->caps & (1ull << b));
	}
	json_object_end(&j);
	json_bits(&j, "stage1_formats", caps->stage1_formats, stage1_name);
	json_bits(&j, "errata", caps->errata, erratum_name);
	json_u64(&j, "stage1_ia_bits", caps->stage1_ia_bits);
	json_u64(&j, "stage2_ia_bits", caps->stage2_ia_bits);
	json_u64(&j, "oa_bits", caps->oa_bits);
	json_u64(&j, "max_pasid_log2", caps->max_pasid_log2);
	json_u64(&j, "sid_bits", caps->sid_bits);
	json_u64(&j, "ssid_bits", caps->ssid_bits);
	json_array_begin(&j, "page_sizes");
	for (unsigned int shift = 0; shift < 32; shift++)
		if (caps->pgsize_bitmap & (1u << shift))
			json_u64(&j, NULL, 1ull << shift);
	json_array_end(&j);
	json_object_begin(&j, "registers");
	regs = regs_of(caps->type, &nregs);
	for (size_t i = 0; i < nregs; i++)
		if (regs[i].offset + regs[i].size <= len)
			json_hex(&j, regs[i].name,
				 le_get(data + regs[i].offset, regs[i].size));
	json_object_end(&j);
	json_object_begin(&j, "hw_info");
	json_u64(&j, "type", type);
	json_u64(&j, "length", len);
	hex = malloc(len * 2 + 1);
	if (hex) {
		for (size_t i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", data[i]);
		hex[len * 2] = '\0';
	}
	json_string(&j, "data", hex);	/* null if out of memory */
	free(hex);
	json_object_end(&j);
	/* only on a host that has one (Tegra241): asked for by type */
	if (nestio_device_get_tegra241_cmdqv_info(dev, &ci) == 0) {
		json_object_begin(&j, "tegra241_cmdqv");
		json_u64(&j, "version", ci.version);
		json_u64(&j, "log2vcmdqs", ci.log2vcmdqs);
		json_u64(&j, "log2vsids", ci.log2vsids);
		json_u64(&j, "flags", ci.flags);
		json_object_end(&j);
	}
	json_object_end(&j);
}

int cmd_caps(int argc, char **argv)
{
	struct nestio_hw_caps caps = { .sz = sizeof(caps) };
	struct nestio_ctx *ctx = NULL;
	struct nestio_device *dev = NULL;
	unsigned char *data = NULL;
	const char *name;
	uint32_t type;
	size_t len = 0;
	int r, ret = EXIT_FAILURE;

	if ((r = cmd_simple_args(argc, argv, 1)) >= 0)
		return r;
	name = argv[optind];
	if (tool_open_ctx(&ctx) < 0)
		return EXIT_FAILURE;
	if (tool_open_device(ctx, name, &dev) < 0)
		goto out;
	r = nestio_device_get_hw_caps(dev, &caps);
	if (r >= 0)
		r = read_hw_info(dev, &type, &data, &len);
	if (r < 0) {
		errmsg("reading hardware information", r);
		goto out;
	}
	if (opt_json)
		caps_json(name, dev, &caps, type, data, len);
	else
		caps_text(name, dev, &caps, type, data, len);
	ret = EXIT_SUCCESS;
out:
	free(data);
	nestio_device_unref(dev);
	nestio_ctx_unref(ctx);
	return ret;
}

/* ---- check ---- */

static const struct {
	const char *name;
	uint32_t stage1_format;
} models[] = {
	{ "vtd", NESTIO_STAGE1_VTD },
	{ "smmuv3", NESTIO_STAGE1_ARM_SMMUV3 },
	{ "amd", NESTIO_STAGE1_AMD },
};

/* a capability by its nestio_cap_name(), or 0 */
static uint64_t cap_by_name(const char *s)
{
	for (int b = 0; b < 64; b++) {
		const char *name = nestio_cap_name(1ull << b);

		if (name && !strcmp(name, s))
			return 1ull << b;
	}
	return 0;
}

/* a width in bits, 1..64; -1 if s is not one */
static int parse_bits(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 64 || s[0] == '-')
		return -1;
	return (int)v;
}

int cmd_check(int argc, char **argv)
{
	static const struct option options[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "want", required_argument, NULL, 'w' },
		{ "pasid-bits", required_argument, NULL, 'p' },
		{ "stage1-bits", required_argument, NULL, 's' },
		CMD_COMMON_OPTIONS
	};
	struct nestio_compat want = { .sz = sizeof(want), .caps = NESTIO_CAP_NESTING };
	struct nestio_ctx *ctx = NULL;
	struct nestio_device *dev = NULL;
	const char *name, *model = NULL;
	char reason[256] = "";
	uint64_t cap;
	struct json j;
	int c, r, bits, ret = EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, CMD_COMMON_SHORT "m:w:p:s:", options,
				NULL)) != -1) {
		switch (c) {
		case 'm':
			model = NULL;
			for (size_t i = 0; i < ARRAY_LEN(models); i++)
				if (!strcmp(optarg, models[i].name)) {
					model = models[i].name;
					want.stage1_format = models[i].stage1_format;
				}
			if (!model)
				return usage_error(argv[0], "unknown model '%s' (vtd, smmuv3 or amd)",
						   optarg);
			break;
		case 'w':
			cap = cap_by_name(optarg);
			if (!cap)
				return usage_error(argv[0], "unknown capability '%s'",
						   optarg);
			want.caps |= cap;
			break;
		case 'p':
		case 's':
			bits = parse_bits(optarg);
			if (bits < 0)
				return usage_error(argv[0], "'%s' is not a width in bits (1 to 64)",
						   optarg);
			if (c == 'p')
				want.pasid_bits = (uint8_t)bits;
			else
				want.stage1_ia_bits = (uint8_t)bits;
			break;
		default:
			if ((r = cmd_options(c, argc, argv)) >= 0)
				return r;
		}
	}
	if (need_args(argc, argv, 1) < 0)
		return EXIT_USAGE;
	if (!model)
		return usage_error(argv[0], "--model is required (vtd, smmuv3 or amd)");
	name = argv[optind];
	if (tool_open_ctx(&ctx) < 0)
		return EXIT_FAILURE;
	if (tool_open_device(ctx, name, &dev) < 0)
		goto out;
	r = nestio_device_check_compat(dev, &want, reason, sizeof(reason));
	if (r < 0) {
		errmsg("checking compatibility", r);
		goto out;
	}
	if (opt_json) {
		tool_json(&j);
		json_object_begin(&j, NULL);
		json_string(&j, "device", name);
		json_string(&j, "model", model);
		json_bits(&j, "want", want.caps, nestio_cap_name);
		json_bool(&j, "compatible", r == 1);
		json_string(&j, "reason", r == 1 ? NULL : reason);
		json_object_end(&j);
	} else if (r == 1) {
		printf("%s: compatible with a %s vIOMMU\n", name, model);
	} else {
		printf("%s: not compatible with a %s vIOMMU: %s\n", name, model,
		       reason);
	}
	ret = r == 1 ? EXIT_SUCCESS : EXIT_FAILURE;
out:
	nestio_device_unref(dev);
	nestio_ctx_unref(ctx);
	return ret;
}
