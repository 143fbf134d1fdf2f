// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: hw info decode (lib/hwcaps.c) through the public API:
 * nestio_device_get_hw_caps() on a device whose IOMMU_GET_HW_INFO the
 * input answers (type, length, capabilities, PASID width, vendor block),
 * with a caller struct of a size the input picks (older, newer, exact).
 *
 * The oracle: the vendor block is decoded when it is long enough for its
 * type and refused (-EINVAL) when it is not; the result is what
 * nestio_hw_caps_decode() gives for the same bytes; the type follows the
 * kernel's type; only known bits are set, each with a name; nesting comes
 * with exactly one stage-1 format, the vendor's; the kernel's own bits win
 * (dirty tracking, PASID exec/priv, no ATS); widths are ones the registers
 * can mean; nothing is written past the caller's struct, and a newer
 * caller's non-zero tail is refused (-E2BIG) before the kernel is asked.
 * The Tegra241 CMDQV block, asked for by type, decodes field by field when
 * the kernel answers with one long enough, and is refused otherwise.
 */
#include <errno.h>
#include <string.h>

#include "fakekernel.h"
#include "fuzz.h"

static uint32_t hw_type, hw_len;
static uint64_t hw_caps;
static uint8_t hw_pasid;
static uint8_t hw_data[512];
static int nasked;
static uint64_t ndecoded;

static int answer(int fd, unsigned long request, void *arg)
{
	struct kabi_hw_info *c = arg;
	uint32_t n;

	if (request != KABI_IOMMU_GET_HW_INFO)
		return fake_kernel(fd, request, arg);
	nasked++;
	n = c->data_len < hw_len ? c->data_len : hw_len;
	if (n)
		memcpy((void *)(uintptr_t)c->data_uptr, hw_data, n);
	c->data_len = hw_len;
	c->data_type = hw_type;
	c->out_capabilities = hw_caps;
	c->out_max_pasid_log2 = hw_pasid;
	return 0;
}

static size_t need(uint32_t type)
{
	switch (type) {
	case KABI_HW_INFO_TYPE_INTEL_VTD: return sizeof(struct kabi_hw_info_vtd);
	case KABI_HW_INFO_TYPE_ARM_SMMUV3: return sizeof(struct kabi_hw_info_arm_smmuv3);
	case KABI_HW_INFO_TYPE_AMD: return sizeof(struct kabi_hw_info_amd);
	case KABI_HW_INFO_TYPE_TEGRA241_CMDQV: return sizeof(struct kabi_hw_info_tegra241_cmdqv);
	default: return 0;
	}
}

static uint32_t want_type(uint32_t type)
{
	switch (type) {
	case KABI_HW_INFO_TYPE_NONE: return NESTIO_IOMMU_NONE;
	case KABI_HW_INFO_TYPE_INTEL_VTD: return NESTIO_IOMMU_INTEL_VTD;
	case KABI_HW_INFO_TYPE_ARM_SMMUV3: return NESTIO_IOMMU_ARM_SMMUV3;
	case KABI_HW_INFO_TYPE_AMD: return NESTIO_IOMMU_AMD;
	case KABI_HW_INFO_TYPE_TEGRA241_CMDQV: return NESTIO_IOMMU_TEGRA241_CMDQV;
	default: return NESTIO_IOMMU_UNKNOWN;
	}
}

static uint32_t vendor_format(uint32_t type)
{
	switch (type) {
	case NESTIO_IOMMU_INTEL_VTD: return NESTIO_STAGE1_VTD;
	case NESTIO_IOMMU_ARM_SMMUV3: return NESTIO_STAGE1_ARM_SMMUV3;
	case NESTIO_IOMMU_AMD: return NESTIO_STAGE1_AMD;
	default: return 0;
	}
}

static void check_caps(const struct nestio_hw_caps *c)
{
	uint32_t t = want_type(hw_type);

	FZ_CHECK(c->sz == sizeof(*c));
	FZ_CHECK(c->raw_type == hw_type && c->type == t);
	FZ_CHECK(nestio_iommu_type_name((enum nestio_iommu_type)c->type));
	for (int b = 0; b < 64; b++)
		if (c->caps & (1ull << b))
			FZ_CHECK(nestio_cap_name(1ull << b));
	FZ_CHECK(!!(c->caps & NESTIO_CAP_NESTING) == !!c->stage1_formats);
	FZ_CHECK(!c->stage1_formats || c->stage1_formats == vendor_format(t));
	FZ_CHECK(!!(c->caps & NESTIO_CAP_DIRTY_TRACKING) ==
		 !!(hw_caps & KABI_HW_CAP_DIRTY_TRACKING));
	FZ_CHECK(!!(c->caps & NESTIO_CAP_PASID_EXEC) ==
		 !!(hw_caps & KABI_HW_CAP_PCI_PASID_EXEC));
	FZ_CHECK(!!(c->caps & NESTIO_CAP_PASID_PRIV) ==
		 !!(hw_caps & KABI_HW_CAP_PCI_PASID_PRIV));
	if (hw_caps & KABI_HW_CAP_PCI_ATS_NOT_SUPPORTED)
		FZ_CHECK(!(c->caps & NESTIO_CAP_ATS));
	FZ_CHECK(c->max_pasid_log2 == hw_pasid);
	FZ_CHECK(!!(c->caps & NESTIO_CAP_PASID) == !!hw_pasid);
	FZ_CHECK(!(c->errata & ~NESTIO_ERRATA_772415_SPR17));
	FZ_CHECK(!c->errata || t == NESTIO_IOMMU_INTEL_VTD);
	if (vendor_format(t)) {
		FZ_CHECK(c->stage1_ia_bits == 48 || c->stage1_ia_bits == 52 ||
			 c->stage1_ia_bits == 57 || c->stage1_ia_bits == 64);
		FZ_CHECK(c->stage2_ia_bits >= 1 && c->stage2_ia_bits <= 64);
		FZ_CHECK(c->oa_bits >= 1 && c->oa_bits <= 64);
		/* no page size over the input width */
		FZ_CHECK(!(c->pgsize_bitmap >> 31));
		/* SIDSIZE is 6 bits; a PASID is at most 32 */
		FZ_CHECK(c->sid_bits <= 63 && c->ssid_bits <= 32);
	} else {
		/* no registers: only what the kernel itself says */
		FZ_CHECK(!c->stage1_ia_bits && !c->stage2_ia_bits && !c->oa_bits &&
			 !c->pgsize_bitmap && !c->sid_bits && !c->ssid_bits);
		FZ_CHECK(!(c->caps & ~(NESTIO_CAP_DIRTY_TRACKING | NESTIO_CAP_PASID |
				       NESTIO_CAP_PASID_EXEC | NESTIO_CAP_PASID_PRIV)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t types[] = { 0, 1, 2, 3, 4 };
	static bool counted;
	struct fz in = fz_init(data, size);
	struct nestio_hw_caps full = { .sz = sizeof(full) }, dec = { .sz = sizeof(dec) };
	/* a caller's struct of any size, aligned as the real one */
	union {
		struct nestio_hw_caps c;
		uint8_t b[sizeof(struct nestio_hw_caps) + 16];
	} u;
	uint8_t *raw = u.b, canary[sizeof(u.b)];
	uint8_t t = fz_u8(&in), szsel = fz_u8(&in);
	size_t sz, len = fz_u16(&in) % 300;
	uint32_t rtype = 0;
	int r, before;

	if (!counted) {
		counted = true;
		fz_count_at_exit("hwinfo", "decoded", &ndecoded);
	}
	hw_type = t < 0xf0 ? types[t % 5] : fz_u32(&in);
	hw_len = (uint32_t)len;
	hw_caps = fz_u64(&in);
	hw_pasid = fz_u8(&in);
	memset(hw_data, 0, sizeof(hw_data));
	fz_bytes(&in, hw_data, len < sizeof(hw_data) ? len : sizeof(hw_data));

	fz_fixture_up();
	tu_seam_answer = answer;
	nasked = 0;

	/* the whole struct */
	r = nestio_device_get_hw_caps(dev, &full);
	FZ_CHECK(nasked == 1);
	FZ_CHECK(r == (hw_len >= need(hw_type) ? 0 : -EINVAL));
	if (r == 0) {
		ndecoded++;
		check_caps(&full);
		FZ_CHECK(nestio_hw_caps_decode(hw_type, hw_data, hw_len, hw_caps,
					       hw_pasid, &dec) == 0);
		FZ_CHECK(!memcmp(&dec, &full, sizeof(full)));
	}
	/* the raw block, as the kernel gave it */
	{
		uint8_t blk[256];
		size_t blen = sizeof(blk);

		FZ_CHECK(nestio_device_get_hw_info(dev, &rtype, blk, &blen) == 0);
		FZ_CHECK(rtype == hw_type && blen == hw_len);
		FZ_CHECK(!memcmp(blk, hw_data, hw_len < sizeof(blk) ? hw_len : sizeof(blk)));
	}

	/* the CMDQV block, asked for by type: the flag and the type sent,
	 * decoded field by field when it is one, refused when it is not */
	{
		struct nestio_tegra241_cmdqv_info ci;
		const struct kabi_hw_info *sent;

		int ncalls = tu_ncalls;

		memset(&ci, 0xa5, sizeof(ci));
		before = nasked;
		r = nestio_device_get_tegra241_cmdqv_info(dev, &ci);
		FZ_CHECK(nasked == before + 1);
		if (ncalls < (int)(sizeof(tu_calls) / sizeof(tu_calls[0]))) {
			sent = (const struct kabi_hw_info *)tu_calls[ncalls].arg;
			FZ_CHECK(sent->flags == KABI_HW_INFO_FLAG_INPUT_TYPE &&
				 sent->data_type == KABI_HW_INFO_TYPE_TEGRA241_CMDQV);
		}
		if (hw_type != KABI_HW_INFO_TYPE_TEGRA241_CMDQV) {
			FZ_CHECK(r == -EPROTO);
		} else if (hw_len < 8) {
			FZ_CHECK(r == -EINVAL);
		} else {
			uint32_t flags;

			memcpy(&flags, hw_data, sizeof(flags));
			FZ_CHECK(r == 0 && ci.flags == flags && ci.version == hw_data[4] &&
				 ci.log2vcmdqs == hw_data[5] && ci.log2vsids == hw_data[6] &&
				 ci.reserved == 0);
		}
		if (r < 0)
			FZ_CHECK(ci.version == 0xa5 && ci.flags == 0xa5a5a5a5u);
	}

	/* a caller's struct of another size: older (shorter) or newer */
	sz = sizeof(size_t) + szsel % (sizeof(u.b) - sizeof(size_t) + 1);
	memset(raw, 0xa5, sizeof(u.b));
	memset(raw + sizeof(full), 0, sizeof(u.b) - sizeof(full));
	if (szsel & 0x80 && sz > sizeof(full))
		raw[sz - 1] = 1;		/* a newer field this library lacks */
	memcpy(raw, &sz, sizeof(sz));
	memcpy(canary, raw, sizeof(u.b));
	before = nasked;
	r = nestio_device_get_hw_caps(dev, &u.c);
	if (sz > sizeof(full) && raw[sz - 1]) {
		FZ_CHECK(r == -E2BIG && nasked == before);
	} else if (hw_len < need(hw_type)) {
		FZ_CHECK(r == -EINVAL);
	} else {
		size_t k = sz < sizeof(full) ? sz : sizeof(full);

		FZ_CHECK(r == 0);
		FZ_CHECK(!memcmp(raw + sizeof(size_t), (uint8_t *)&full + sizeof(size_t),
				 k - sizeof(size_t)));
	}
	/* never past what the caller said it has */
	FZ_CHECK(!memcmp(raw + sz, canary + sz, sizeof(u.b) - sz));
	fz_fixture_down();
	return 0;
}
