// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Dirty page tracking on a paging hwpt: IOMMU_HWPT_SET_DIRTY_TRACKING and
 * IOMMU_HWPT_GET_DIRTY_BITMAP. No object of its own: these act on a
 * nestio_hwpt, through its getters and the nio_obj helpers.
 *
 * Only a paging hwpt allocated with NESTIO_HWPT_DIRTY_TRACKING has dirty
 * tracking (the kernel gives its domain dirty ops only then). Any other
 * hwpt gets -EINVAL before the ioctl: the kernel would answer -EOPNOTSUPP,
 * which this library reserves for "the kernel or IOMMU lacks the feature",
 * and here the IOMMU has it: the caller asked the wrong hwpt.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kabi.h"

/* The hwpt's ctx if dirty tracking may be asked of it, else NULL. */
static struct nestio_ctx *dirty_hwpt(const struct nestio_hwpt *hwpt)
{
	if (!nio_hwpt_ok(hwpt) || nestio_hwpt_is_nested(hwpt) ||
	    !(nestio_hwpt_get_flags(hwpt) & NESTIO_HWPT_DIRTY_TRACKING))
		return NULL;
	return nio_obj_ctx(hwpt);
}

NESTIO_EXPORT int nestio_hwpt_set_dirty_tracking(struct nestio_hwpt *hwpt, int enable)
{
	struct kabi_hwpt_set_dirty_tracking cmd = { .size = sizeof(cmd) };
	struct nestio_ctx *ctx = dirty_hwpt(hwpt);
	int r;

	if (!ctx)
		return -EINVAL;
	cmd.flags = enable ? KABI_HWPT_DIRTY_TRACKING_ENABLE : 0;
	cmd.hwpt_id = nio_obj_id(hwpt);
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
	if (r < 0)
		return r;
	dbg(ctx, "hwpt %u: dirty tracking %s", cmd.hwpt_id, enable ? "on" : "off");
	return 0;
}

/*
 * A range is read in pieces of at most PIECE pages, 64 KiB of bitmap, so
 * that the buffer does not grow with the range (a 1 TiB range of 4 KiB
 * pages would otherwise ask for 32 MiB, a huge one for gigabytes). The
 * pieces are split at IOVAs that are multiples of PIECE pages, not at
 * offsets from iova: a driver records and clears a dirty leaf whole, and
 * the kernel drops the bits of a leaf past the end of the range read, so a
 * leaf that straddled two of our pieces would lose the pages in the second.
 * Naturally aligned leaves up to PIECE pages (1 GiB leaves with 2 KiB
 * pages or more) never straddle these boundaries.
 */
#define PIECE (UINT64_C(1) << 19)

/* ORs bits 0..nbits-1 of src (nothing set past them) into dst from bit off */
static void or_bits(uint64_t *dst, uint64_t off, const uint64_t *src,
		    uint64_t nbits)
{
	uint64_t d = off / 64, shift = off % 64, last = (off + nbits - 1) / 64;

	for (uint64_t i = 0; i < (nbits + 63) / 64; i++) {
		dst[d + i] |= src[i] << shift;
		if (shift && d + i + 1 <= last)
			dst[d + i + 1] |= src[i] >> (64 - shift);
	}
}

/*
 * The bitmap: page n of the range (at iova + n * page_size) is bit n % 64
 * of bitmap[n / 64]. The kernel only sets bits (bitmap_set() over the
 * caller's memory, native unsigned longs: this layout on every 64-bit and
 * every little-endian host), it never clears one, so we zero the words
 * first: the answer is exactly the dirty pages, not an OR with whatever the
 * buffer held.
 */
NESTIO_EXPORT int nestio_hwpt_get_dirty_bitmap(struct nestio_hwpt *hwpt, uint64_t iova,
					       uint64_t length, uint64_t page_size,
					       uint64_t *bitmap, unsigned int flags)
{
	struct kabi_hwpt_get_dirty_bitmap cmd;
	struct nestio_ctx *ctx = dirty_hwpt(hwpt);
	uint64_t pages, words, *buf, done, n;
	size_t bytes, pg = (size_t)nio_page_mask + 1;
	int r = 0;

	/*
	 * The kernel's rules (iommufd_check_iova_range): page_size non-zero,
	 * iova and iova + length multiples of it, iova + length - 1 must not
	 * wrap. Its bitmap walk takes log2(page_size) from the lowest set bit,
	 * so a page_size that is not a power of two would read garbage: we
	 * refuse it. The IOMMU's own IOVA alignment is the kernel's to check.
	 */
	if (!ctx || !bitmap || !length || !page_size ||
	    (page_size & (page_size - 1)) || (iova & (page_size - 1)) ||
	    (length & (page_size - 1)) || iova + (length - 1) < iova ||
	    (flags & ~NESTIO_DIRTY_NO_CLEAR))
		return -EINVAL;
	pages = length / page_size;
	words = pages / 64 + !!(pages % 64);
	if (words > SIZE_MAX / sizeof(*bitmap))
		return -EINVAL;
	/*
	 * The drivers record a dirty leaf whole (a 2 MiB IOPTE is 512 bits)
	 * and iova_bitmap_set() does not clamp it to the range: bits past the
	 * last page, up to the end of the last pinned page of the bitmap, get
	 * set. Let the kernel write to whole pages of ours, copy out what is
	 * asked, and drop the bits past each piece.
	 */
	n = pages < PIECE ? pages : PIECE;
	bytes = (size_t)((n + 63) / 64 * sizeof(*buf));
	buf = aligned_alloc(pg, (bytes + pg - 1) & ~(pg - 1));
	if (!buf)
		return -ENOMEM;
	memset(bitmap, 0, (size_t)words * sizeof(*bitmap));
	for (done = 0; done < pages; done += n) {
		uint64_t start = iova + done * page_size;
		uint64_t room = PIECE - (start / page_size) % PIECE;

		n = pages - done < room ? pages - done : room;
		memset(buf, 0, (size_t)((n + 63) / 64 * sizeof(*buf)));
		cmd = (struct kabi_hwpt_get_dirty_bitmap){
			.size = sizeof(cmd),
			.hwpt_id = nio_obj_id(hwpt),
			.flags = flags & NESTIO_DIRTY_NO_CLEAR ?
					 KABI_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0,
			.iova = start,
			.length = n * page_size,
			.page_size = page_size,
			.data = (uintptr_t)buf,
		};
		r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
		if (r < 0)
			break;
		if (n % 64)
			buf[n / 64] &= (UINT64_C(1) << (n % 64)) - 1;
		or_bits(bitmap, done, buf, n);
	}
	free(buf);
	return r < 0 ? r : 0;
}
