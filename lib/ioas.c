// SPDX-License-Identifier: LGPL-2.1-or-later
/* nestio_ioas: an I/O address space, and the mappings in it. */
#include <stdlib.h>

#include "internal.h"
#include "kabi.h"

struct nestio_ioas {
	struct nio_obj obj;	/* first: magic, refcount, ctx, id */
	/* an erratum (lib/hwcaps.c) bans read-only mappings while ro_bans nest
	 * parents live on this IOAS; ro_mapped: one may be here (since the
	 * last unmap_all), so such a nest parent is refused */
	int ro_bans;
	const char *ro_ban_erratum;
	bool ro_mapped;
};


NESTIO_EXPORT int nestio_ioas_new(struct nestio_ctx *ctx,
				  struct nestio_ioas **out)
{
	struct kabi_ioas_alloc cmd = { .size = sizeof(cmd) };
	struct nestio_ioas *ioas;
	int r;

	if (!nio_ctx_ok(ctx) || !out)
		return -EINVAL;
	ioas = calloc(1, sizeof(*ioas));
	if (!ioas)
		return -ENOMEM;
	r = nio_ioctl(ctx, ctx->fd, KABI_IOMMU_IOAS_ALLOC, &cmd);
	if (r < 0) {
		free(ioas);
		return r;
	}
	nio_obj_init(&ioas->obj, NIO_MAGIC_IOAS, ctx, cmd.out_ioas_id);
	nio_obj_register(&ioas->obj);
	dbg(ctx, "ioas %u", ioas->obj.id);
	*out = ioas;
	return 0;
}

/*
 * Live update (nestio_adopt(3)): an IOAS the kernel already holds. Its
 * mappings are unknown here, so it may hold read-only ones: a nest parent
 * with a read-only erratum is refused on it until nestio_ioas_unmap_all().
 */
NESTIO_EXPORT int nestio_ioas_new_from_id(struct nestio_ctx *ctx, uint32_t id,
					  unsigned int flags,
					  struct nestio_ioas **out)
{
	struct nestio_ioas *ioas;
	int r;

	if (!nio_ctx_ok(ctx) || !id || (flags & ~NESTIO_ADOPT_KEEP) || !out)
		return -EINVAL;
	r = nio_adopt_check(ctx, id, NIO_MAGIC_IOAS, NIO_ADOPT_IOAS, 0);
	if (r < 0)
		return r;
	ioas = calloc(1, sizeof(*ioas));
	if (!ioas)
		return -ENOMEM;
	nio_obj_init(&ioas->obj, NIO_MAGIC_IOAS, ctx, id);
	if (flags & NESTIO_ADOPT_KEEP)
		ioas->obj.flags |= NIO_OBJ_KEEP;
	ioas->ro_mapped = true;
	nio_obj_register(&ioas->obj);
	dbg(ctx, "ioas %u adopted", id);
	*out = ioas;
	return 0;
}

static void ioas_release(void *obj)
{
	struct nestio_ioas *ioas = obj;

	if (!(ioas->obj.flags & NIO_OBJ_KEEP))
		nio_destroy_id(ioas->obj.ctx, ioas->obj.id);
}

/* nestio_ioas_ref(), nestio_ioas_unref() */
NIO_DEFINE_REF_UNREF(ioas, NIO_MAGIC_IOAS, ioas_release)

NESTIO_EXPORT uint32_t nestio_ioas_get_id(const struct nestio_ioas *ioas)
{
	return nio_ioas_ok(ioas) ? ioas->obj.id : 0;
}

NESTIO_EXPORT struct nestio_ctx *nestio_ioas_get_ctx(const struct nestio_ioas *ioas)
{
	return nio_ioas_ok(ioas) ? ioas->obj.ctx : NULL;
}

int nio_ioas_forbid_ro(struct nestio_ioas *ioas, const char *erratum)
{
	if (ioas->ro_mapped) {
		info(ioas->obj.ctx, "ioas %u may hold read-only mappings: no nest "
		     "parent with erratum %s on it until nestio_ioas_unmap_all()",
		     ioas->obj.id, erratum);
		return -EINVAL;
	}
	if (!ioas->ro_bans++)
		ioas->ro_ban_erratum = erratum;
	info(ioas->obj.ctx, "ioas %u: erratum %s: read-only mappings refused while "
	     "the nest parent lives", ioas->obj.id, erratum);
	return 0;
}

void nio_ioas_allow_ro(struct nestio_ioas *ioas)
{
	ioas->ro_bans--;
}

/*
 * One rule for every range the IOAS calls send (an IOVA, a VA, a file
 * offset): non-empty, page-aligned at both ends, and not wrapping past
 * 2^64 (its last byte, start + length - 1, fits). The kernel refuses such
 * a range on unmap only; for map, map_file and copy we refuse it here,
 * before any ioctl, so the answer does not depend on the kernel's checks.
 */
static bool range_ok(uint64_t start, uint64_t length)
{
	return length && nio_page_aligned(start) && nio_page_aligned(length) &&
	       start + (length - 1) >= start;
}

static int map_flags_to_uapi(const struct nestio_ioas *ioas, unsigned int flags,
			     const uint64_t *iova, uint64_t length, uint32_t *out)
{
	const unsigned int perms = NESTIO_MAP_READ | NESTIO_MAP_WRITE;

	if (flags & ~(perms | NESTIO_MAP_FIXED_IOVA) || !(flags & perms) ||
	    !iova)
		return -EINVAL;
	if ((flags & NESTIO_MAP_FIXED_IOVA) && !range_ok(*iova, length))
		return -EINVAL;
	if (ioas->ro_bans && !(flags & NESTIO_MAP_WRITE)) {
		info(ioas->obj.ctx, "ioas %u: read-only mapping refused: a nest parent "
		     "on it has erratum %s (see nestio_compat(3))", ioas->obj.id,
		     ioas->ro_ban_erratum);
		return -EINVAL;
	}
	*out = (flags & NESTIO_MAP_READ ? KABI_IOAS_MAP_READABLE : 0) |
	       (flags & NESTIO_MAP_WRITE ? KABI_IOAS_MAP_WRITEABLE : 0) |
	       (flags & NESTIO_MAP_FIXED_IOVA ? KABI_IOAS_MAP_FIXED_IOVA : 0);
	return 0;
}

NESTIO_EXPORT int nestio_ioas_map(struct nestio_ioas *ioas, void *va,
				  uint64_t length, uint64_t *iova,
				  unsigned int flags)
{
	struct kabi_ioas_map cmd = { .size = sizeof(cmd) };
	int r;

	if (!nio_ioas_ok(ioas) || !va || !range_ok((uintptr_t)va, length))
		return -EINVAL;
	r = map_flags_to_uapi(ioas, flags, iova, length, &cmd.flags);
	if (r < 0)
		return r;
	cmd.ioas_id = ioas->obj.id;
	cmd.user_va = (uintptr_t)va;
	cmd.length = length;
	cmd.iova = flags & NESTIO_MAP_FIXED_IOVA ? *iova : 0;
	r = nio_ioctl(ioas->obj.ctx, ioas->obj.ctx->fd, KABI_IOMMU_IOAS_MAP, &cmd);
	if (r < 0)
		return r;
	ioas->ro_mapped |= !(flags & NESTIO_MAP_WRITE);
	*iova = cmd.iova;
	return 0;
}

NESTIO_EXPORT int nestio_ioas_map_file(struct nestio_ioas *ioas, int fd,
				       uint64_t offset, uint64_t length,
				       uint64_t *iova, unsigned int flags)
{
	struct kabi_ioas_map_file cmd = { .size = sizeof(cmd) };
	int r;

	if (!nio_ioas_ok(ioas) || fd < 0 || !range_ok(offset, length))
		return -EINVAL;
	r = map_flags_to_uapi(ioas, flags, iova, length, &cmd.flags);
	if (r < 0)
		return r;
	cmd.ioas_id = ioas->obj.id;
	cmd.fd = fd;
	cmd.start = offset;
	cmd.length = length;
	cmd.iova = flags & NESTIO_MAP_FIXED_IOVA ? *iova : 0;
	r = nio_ioctl(ioas->obj.ctx, ioas->obj.ctx->fd, KABI_IOMMU_IOAS_MAP_FILE, &cmd);
	if (r < 0)
		return r;
	ioas->ro_mapped |= !(flags & NESTIO_MAP_WRITE);
	*iova = cmd.iova;
	return 0;
}

static int unmap(struct nestio_ioas *ioas, uint64_t iova, uint64_t length,
		 uint64_t *unmapped)
{
	struct kabi_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas->obj.id,
		.iova = iova,
		.length = length,
	};
	int r = nio_ioctl(ioas->obj.ctx, ioas->obj.ctx->fd, KABI_IOMMU_IOAS_UNMAP, &cmd);

	if (r < 0)
		return r;
	if (unmapped)
		*unmapped = cmd.length;
	return 0;
}

NESTIO_EXPORT int nestio_ioas_unmap(struct nestio_ioas *ioas, uint64_t iova,
				    uint64_t length, uint64_t *unmapped)
{
	if (!nio_ioas_ok(ioas) || !range_ok(iova, length))
		return -EINVAL;
	return unmap(ioas, iova, length, unmapped);
}

NESTIO_EXPORT int nestio_ioas_unmap_all(struct nestio_ioas *ioas,
					uint64_t *unmapped)
{
	int r;

	if (!nio_ioas_ok(ioas))
		return -EINVAL;
	/* iova 0, length U64_MAX: the uAPI's "everything" */
	r = unmap(ioas, 0, UINT64_MAX, unmapped);
	if (r == 0)
		ioas->ro_mapped = false;
	return r;
}

/*
 * What IOMMU_IOAS_UNMAP answers (drivers/iommu/iommufd/io_pagetable.c):
 * it removes whole mappings only, those inside [iova, iova + length). The
 * range holds some whole mappings (and holes, or nothing else): 0, their
 * bytes. It holds none: ENOENT. It cuts a mapping (starts or ends inside
 * one): ENOENT too, once the kernel reaches that mapping; the whole
 * mappings before it in the range are gone by then and their count is
 * not reported. A mapping pinned by an access or a HW queue: EBUSY.
 * There is no call that tells "nothing there" from "cuts a mapping", so
 * NESTIO_UNMAP_ABSENT_OK turns every ENOENT into 0 with 0 bytes: for a
 * VMM that mirrors a guest's unmaps, which are redundant at times (the
 * guest unmaps what it never mapped, or unmaps twice) and never cut what
 * it mapped, as QEMU's iommufd backend does by comparing errno.
 */
NESTIO_EXPORT int nestio_ioas_unmap_ext(struct nestio_ioas *ioas, uint64_t iova,
					uint64_t length, unsigned int flags,
					uint64_t *unmapped)
{
	int r;

	if (!nio_ioas_ok(ioas) || !range_ok(iova, length) ||
	    flags & ~NESTIO_UNMAP_ABSENT_OK)
		return -EINVAL;
	r = unmap(ioas, iova, length, unmapped);
	if (r == -ENOENT && (flags & NESTIO_UNMAP_ABSENT_OK)) {
		dbg(ioas->obj.ctx, "ioas %u: nothing to unmap at %#llx+%#llx",
		    ioas->obj.id, (unsigned long long)iova,
		    (unsigned long long)length);
		if (unmapped)
			*unmapped = 0;
		r = 0;
	}
	return r;
}

NESTIO_EXPORT int nestio_ioas_copy(struct nestio_ioas *dst, uint64_t *dst_iova,
				   struct nestio_ioas *src, uint64_t src_iova,
				   uint64_t length, unsigned int flags)
{
	struct kabi_ioas_copy cmd = { .size = sizeof(cmd) };
	int r;

	if (!nio_ioas_ok(dst) || !nio_ioas_ok(src) || dst->obj.ctx != src->obj.ctx ||
	    !range_ok(src_iova, length))
		return -EINVAL;
	r = map_flags_to_uapi(dst, flags, dst_iova, length, &cmd.flags);
	if (r < 0)
		return r;
	cmd.dst_ioas_id = dst->obj.id;
	cmd.src_ioas_id = src->obj.id;
	cmd.length = length;
	cmd.dst_iova = flags & NESTIO_MAP_FIXED_IOVA ? *dst_iova : 0;
	cmd.src_iova = src_iova;
	r = nio_ioctl(dst->obj.ctx, dst->obj.ctx->fd, KABI_IOMMU_IOAS_COPY, &cmd);
	if (r < 0)
		return r;
	dst->ro_mapped |= !(flags & NESTIO_MAP_WRITE);
	*dst_iova = cmd.dst_iova;
	return 0;
}

/* More ranges than any IOAS has (each device and HWPT adds a few reserved
 * regions): a count past this is refused, not allocated for. */
#define IOVA_RANGES_MAX (1u << 16)

/*
 * The kernel fills as many ranges as the buffer holds and answers EMSGSIZE
 * with the real count when it was too small; the set can change between two
 * calls (an attach narrows it), so ask again until it fits. The count it
 * writes back is never believed past the room we gave it: more than that,
 * even with a success, is "ask again with more room" (we never report more
 * entries than the buffer holds), and a count over IOVA_RANGES_MAX is
 * -EOVERFLOW rather than a buffer the size the kernel names.
 */
NESTIO_EXPORT int nestio_ioas_get_iova_ranges(struct nestio_ioas *ioas,
					      struct nestio_iova_range **ranges,
					      size_t *nr, uint64_t *alignment)
{
	struct kabi_ioas_iova_ranges cmd = { .size = sizeof(cmd) };
	struct kabi_iova_range *buf = NULL, *tmp;
	uint32_t cap = 4;
	int r = -EMSGSIZE;

	_Static_assert(sizeof(struct kabi_iova_range) ==
			       sizeof(struct nestio_iova_range),
		       "iova range layouts differ");
	if (!nio_ioas_ok(ioas) || !ranges || !nr)
		return -EINVAL;
	for (int tries = 0; tries < 16; tries++) {
		tmp = realloc(buf, cap * sizeof(*buf));
		if (!tmp) {
			free(buf);
			return -ENOMEM;
		}
		buf = tmp;
		cmd = (struct kabi_ioas_iova_ranges){
			.size = sizeof(cmd),
			.ioas_id = ioas->obj.id,
			.num_iovas = cap,
			.allowed_iovas = (uintptr_t)buf,
		};
		r = nio_ioctl(ioas->obj.ctx, ioas->obj.ctx->fd,
			      KABI_IOMMU_IOAS_IOVA_RANGES, &cmd);
		if ((r == 0 || r == -EMSGSIZE) && cmd.num_iovas > cap) {
			if (cmd.num_iovas > IOVA_RANGES_MAX) {
				err(ioas->obj.ctx, "ioas %u: the kernel counts %u "
				    "IOVA ranges", ioas->obj.id, cmd.num_iovas);
				r = -EOVERFLOW;
				break;
			}
			if (r == 0)
				info(ioas->obj.ctx, "ioas %u: %u IOVA ranges for "
				     "room for %u: asking again", ioas->obj.id,
				     cmd.num_iovas, cap);
			cap = cmd.num_iovas;
			r = -EMSGSIZE;
			continue;
		}
		if (r < 0)
			break;
		*ranges = (struct nestio_iova_range *)buf;
		*nr = cmd.num_iovas;
		if (alignment)
			*alignment = cmd.out_iova_alignment;
		return 0;
	}
	free(buf);
	return r;
}

NESTIO_EXPORT void nestio_iova_ranges_free(struct nestio_iova_range *ranges)
{
	free(ranges);
}

NESTIO_EXPORT int nestio_ioas_allow_iovas(struct nestio_ioas *ioas,
					  const struct nestio_iova_range *ranges,
					  size_t nr)
{
	struct kabi_ioas_allow_iovas cmd = { .size = sizeof(cmd) };

	if (!nio_ioas_ok(ioas) || (nr && !ranges) || nr > UINT32_MAX)
		return -EINVAL;
	for (size_t i = 0; i < nr; i++)
		if (ranges[i].last < ranges[i].start)
			return -EINVAL;
	cmd.ioas_id = ioas->obj.id;
	cmd.num_iovas = (uint32_t)nr;
	cmd.allowed_iovas = (uintptr_t)ranges;
	return nio_ioctl(ioas->obj.ctx, ioas->obj.ctx->fd, KABI_IOMMU_IOAS_ALLOW_IOVAS,
			 &cmd);
}

NESTIO_EXPORT int nestio_ioas_get_option(struct nestio_ioas *ioas,
					 enum nestio_option option,
					 uint64_t *value)
{
	if (!nio_ioas_ok(ioas) || !value || option != NESTIO_OPTION_HUGE_PAGES)
		return -EINVAL;
	return nio_option(ioas->obj.ctx, ioas->obj.id, KABI_OPTION_HUGE_PAGES, false,
			  value);
}

NESTIO_EXPORT int nestio_ioas_set_option(struct nestio_ioas *ioas,
					 enum nestio_option option,
					 uint64_t value)
{
	if (!nio_ioas_ok(ioas) || option != NESTIO_OPTION_HUGE_PAGES ||
	    value > 1)
		return -EINVAL;
	return nio_option(ioas->obj.ctx, ioas->obj.id, KABI_OPTION_HUGE_PAGES, true,
			  &value);
}
