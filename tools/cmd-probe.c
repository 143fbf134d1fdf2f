// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestioctl probe (old name: features) and ranges. */
#include <inttypes.h>

#include "nestioctl.h"

int cmd_probe(int argc, char **argv)
{
	struct nestio_ctx *ctx = NULL;
	struct json j;
	int r, f;

	if ((r = cmd_simple_args(argc, argv, 0)) >= 0)
		return r;
	if (tool_open_ctx(&ctx) < 0)
		return EXIT_FAILURE;
	tool_json(&j);
	if (opt_json) {
		json_object_begin(&j, NULL);
		json_object_begin(&j, "features");
	}
	for (f = 0; f < NESTIO_FEATURE_MAX; f++) {
		const char *name = nestio_feature_name((enum nestio_feature)f);

		r = nestio_ctx_has_feature(ctx, (enum nestio_feature)f);
		if (r < 0) {
			errmsg("probing features", r);
			nestio_ctx_unref(ctx);
			return EXIT_FAILURE;
		}
		if (opt_json)
			json_bool(&j, name, r);
		else
			printf("%-20s %s\n", name, r ? "yes" : "no");
	}
	if (opt_json) {
		json_object_end(&j);
		json_object_end(&j);
	}
	nestio_ctx_unref(ctx);
	return EXIT_SUCCESS;
}

int cmd_ranges(int argc, char **argv)
{
	struct nestio_ctx *ctx = NULL;
	struct nestio_ioas *ioas = NULL;
	struct nestio_device *dev = NULL;
	struct nestio_iova_range *ranges = NULL;
	uint64_t alignment = 0;
	const char *name;
	struct json j;
	size_t nr = 0;
	int r, ret = EXIT_FAILURE;

	if ((r = cmd_simple_args(argc, argv, 1)) >= 0)
		return r;
	name = argv[optind];
	if (tool_open_ctx(&ctx) < 0)
		return EXIT_FAILURE;
	r = nestio_ioas_new(ctx, &ioas);
	if (r < 0) {
		errmsg("allocating an IOAS", r);
		goto out;
	}
	if (tool_open_device(ctx, name, &dev) < 0)
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
	if (opt_json) {
		tool_json(&j);
		json_object_begin(&j, NULL);
		json_string(&j, "device", name);
		json_u64(&j, "dev_id", nestio_device_get_id(dev));
		json_hex(&j, "iova_alignment", alignment);
		json_array_begin(&j, "ranges");
		for (size_t i = 0; i < nr; i++) {
			json_object_begin(&j, NULL);
			json_hex(&j, "start", ranges[i].start);
			json_hex(&j, "last", ranges[i].last);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
	} else {
		printf("%-18s %s\n", "device:", name);
		printf("%-18s %" PRIu32 "\n", "dev_id:", nestio_device_get_id(dev));
		printf("%-18s 0x%" PRIx64 "\n", "iova alignment:", alignment);
		printf("%-18s %zu\n", "usable ranges:", nr);
		for (size_t i = 0; i < nr; i++)
			printf("  0x%016" PRIx64 " - 0x%016" PRIx64 "\n",
			       ranges[i].start, ranges[i].last);
	}
	ret = EXIT_SUCCESS;
out:
	nestio_iova_ranges_free(ranges);
	nestio_device_unref(dev);
	nestio_ioas_unref(ioas);
	nestio_ctx_unref(ctx);
	return ret;
}
