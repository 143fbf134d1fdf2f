/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnestio's port of QEMU's backends/iommufd.c: our bodies for the
 * functions that issue iommufd ioctls. tests/qemu/place-port.py puts each
 * function below in place of QEMU's function of the same name (kept,
 * renamed stock_<name>, for the run-time switch) and the prelude after
 * the file's last #include.
 */

/* @@prelude */
#include <libnestio.h>

/*
 * The port's two pieces of state. NESTIO_QEMU_STOCK=1 in the environment
 * runs QEMU's own functions instead (the same binary, so that stock and
 * port are compared with everything else equal). Each backend's libnestio
 * context, made when its first user connects and dropped with its last.
 */
bool nestio_port_stock(void);
struct nestio_ctx *nestio_port_ctx(IOMMUFDBackend *be);

static GHashTable *nestio_port_ctxs;	/* IOMMUFDBackend * -> nestio_ctx * */

bool nestio_port_stock(void)
{
    static int stock = -1;

    if (stock < 0) {
        const char *v = getenv("NESTIO_QEMU_STOCK");

        stock = v && !strcmp(v, "1");
    }
    return stock;
}

struct nestio_ctx *nestio_port_ctx(IOMMUFDBackend *be)
{
    return nestio_port_ctxs ? g_hash_table_lookup(nestio_port_ctxs, be) : NULL;
}

/* @@function iommufd_backend_connect */
bool iommufd_backend_connect(IOMMUFDBackend *be, Error **errp)
{
    struct nestio_ctx *ctx;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_backend_connect(be, errp);
    }
    if (!be->users) {
        /* an fd handed over (-object iommufd,fd=N) stays the caller's */
        r = be->owned ? nestio_ctx_new(&ctx) : nestio_ctx_new_from_fd(be->fd, &ctx);
        if (r < 0 && be->owned) {
            error_setg_errno(errp, -r, "Could not open '/dev/iommu'");
            return false;
        } else if (r < 0) {
            error_setg_errno(errp, -r, "iommufd fd %d", be->fd);
            return false;
        }
        if (!nestio_port_ctxs) {
            nestio_port_ctxs = g_hash_table_new(NULL, NULL);
        }
        g_hash_table_insert(nestio_port_ctxs, be, ctx);
        if (be->owned) {
            be->fd = nestio_ctx_get_fd(ctx);
        }
    }
    be->users++;

    trace_iommufd_backend_connect(be->fd, be->owned, be->users);
    return true;
}

/* @@function iommufd_backend_disconnect */
void iommufd_backend_disconnect(IOMMUFDBackend *be)
{
    if (nestio_port_stock()) {
        stock_iommufd_backend_disconnect(be);
        return;
    }
    if (be->users && !--be->users) {
        /* the ctx owns an fd it opened; objects still alive keep it open */
        nestio_ctx_unref(nestio_port_ctx(be));
        g_hash_table_remove(nestio_port_ctxs, be);
        if (be->owned) {
            be->fd = -1;
        }
    }
    trace_iommufd_backend_disconnect(be->fd, be->users);
}

/* @@function iommufd_backend_alloc_ioas */
bool iommufd_backend_alloc_ioas(IOMMUFDBackend *be, uint32_t *ioas_id,
                                Error **errp)
{
    struct nestio_ioas *ioas;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_backend_alloc_ioas(be, ioas_id, errp);
    }
    r = nestio_ioas_new(nestio_port_ctx(be), &ioas);
    if (r < 0) {
        error_setg_errno(errp, -r, "Failed to allocate ioas");
        return false;
    }
    /* QEMU keeps the id; the reference goes with it to free_id */
    *ioas_id = nestio_ioas_get_id(ioas);
    trace_iommufd_backend_alloc_ioas(be->fd, *ioas_id);
    return true;
}

/* @@function iommufd_backend_free_id */
void iommufd_backend_free_id(IOMMUFDBackend *be, uint32_t id)
{
    struct nestio_ctx *ctx = nestio_port_ctx(be);
    struct nestio_hwpt *hwpt;
    struct nestio_ioas *ioas;
    int r;

    if (nestio_port_stock()) {
        stock_iommufd_backend_free_id(be, id);
        return;
    }
    /* drop the lookup's reference and the one alloc_hwpt/alloc_ioas kept */
    r = nestio_ctx_lookup_hwpt(ctx, id, &hwpt);
    if (!r) {
        nestio_hwpt_unref(hwpt);
        nestio_hwpt_unref(hwpt);
    } else {
        r = nestio_ctx_lookup_ioas(ctx, id, &ioas);
        if (!r) {
            nestio_ioas_unref(ioas);
            nestio_ioas_unref(ioas);
        }
    }
    trace_iommufd_backend_free_id(be->fd, id, r);
    if (r) {
        error_report("Failed to free id: %u %s", id, strerror(-r));
    }
}

/* @@function iommufd_backend_map_dma */
int iommufd_backend_map_dma(IOMMUFDBackend *be, uint32_t ioas_id, hwaddr iova,
                            ram_addr_t size, void *vaddr, bool readonly)
{
    unsigned int flags = NESTIO_MAP_READ | NESTIO_MAP_FIXED_IOVA;
    struct nestio_ioas *ioas;
    uint64_t at = iova;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_backend_map_dma(be, ioas_id, iova, size, vaddr,
                                             readonly);
    }
    if (!readonly) {
        flags |= NESTIO_MAP_WRITE;
    }
    r = nestio_ctx_lookup_ioas(nestio_port_ctx(be), ioas_id, &ioas);
    if (!r) {
        r = nestio_ioas_map(ioas, vaddr, size, &at, flags);
        nestio_ioas_unref(ioas);
    }
    trace_iommufd_backend_map_dma(be->fd, ioas_id, iova, size,
                                  vaddr, readonly, r);
    /* TODO (QEMU's): mapping a PCI BAR region is not supported yet */
    if (r == -EFAULT) {
        warn_report("IOMMU_IOAS_MAP failed: %s, PCI BAR?", strerror(EFAULT));
    }
    return r;
}

/* @@function iommufd_backend_unmap_dma */
int iommufd_backend_unmap_dma(IOMMUFDBackend *be, uint32_t ioas_id,
                              hwaddr iova, ram_addr_t size)
{
    struct nestio_ioas *ioas;
    uint64_t unmapped;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_backend_unmap_dma(be, ioas_id, iova, size);
    }
    r = nestio_ctx_lookup_ioas(nestio_port_ctx(be), ioas_id, &ioas);
    if (!r) {
        r = nestio_ioas_unmap(ioas, iova, size, &unmapped);
        nestio_ioas_unref(ioas);
    }
    /* as QEMU does: a vIOMMU's redundant unmaps of nothing succeed */
    if (r == -ENOENT) {
        trace_iommufd_backend_unmap_dma_non_exist(be->fd, ioas_id, iova, size, r);
        return 0;
    }
    trace_iommufd_backend_unmap_dma(be->fd, ioas_id, iova, size, r);
    return r;
}

/* @@function iommufd_backend_alloc_hwpt */
bool iommufd_backend_alloc_hwpt(IOMMUFDBackend *be, uint32_t dev_id,
                                uint32_t pt_id, uint32_t flags,
                                uint32_t data_type, uint32_t data_len,
                                void *data_ptr, uint32_t *out_hwpt,
                                Error **errp)
{
    struct nestio_ctx *ctx = nestio_port_ctx(be);
    struct nestio_hwpt_paging_opts opts = { .sz = sizeof(opts) };
    struct nestio_hwpt_nested_opts nopts = { .sz = sizeof(nopts) };
    const uint32_t known = IOMMU_HWPT_ALLOC_NEST_PARENT |
                           IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
                           IOMMU_HWPT_ALLOC_PASID;
    struct nestio_stage1 s1 = {
        .type = NESTIO_STAGE1_RAW,
        .raw_type = data_type,
        .u.raw = { .data = data_ptr, .len = data_len },
    };
    struct nestio_device *dev;
    struct nestio_hwpt *hwpt = NULL, *parent;
    struct nestio_ioas *ioas;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_backend_alloc_hwpt(be, dev_id, pt_id, flags,
                                                data_type, data_len, data_ptr,
                                                out_hwpt, errp);
    }
    /* the kernel's flags in the library's words; QEMU's call has no
     * fault queue id, so IOMMU_HWPT_FAULT_ID_VALID has no meaning here */
    if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT) {
        opts.flags |= NESTIO_HWPT_NEST_PARENT;
    }
    if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) {
        opts.flags |= NESTIO_HWPT_DIRTY_TRACKING;
    }
    if (flags & IOMMU_HWPT_ALLOC_PASID) {
        opts.flags |= NESTIO_HWPT_PASID;
        nopts.flags |= NESTIO_HWPT_PASID;
    }
    r = flags & ~known ? -EOPNOTSUPP
                       : nestio_ctx_lookup_device(ctx, dev_id, &dev);
    if (!r && data_type == IOMMU_HWPT_DATA_NONE) {
        /* a paging hwpt on an IOAS */
        r = nestio_ctx_lookup_ioas(ctx, pt_id, &ioas);
        if (!r) {
            r = nestio_hwpt_new_paging(dev, ioas, &opts, &hwpt);
            nestio_ioas_unref(ioas);
        }
        nestio_device_unref(dev);
    } else if (!r) {
        /* a nested hwpt on a nest parent, its stage-1 data as QEMU has it */
        r = nestio_ctx_lookup_hwpt(ctx, pt_id, &parent);
        if (!r) {
            r = nestio_hwpt_new_nested(dev, parent, &s1, &nopts, &hwpt);
            nestio_hwpt_unref(parent);
        }
        nestio_device_unref(dev);
    }
    trace_iommufd_backend_alloc_hwpt(be->fd, dev_id, pt_id, flags, data_type,
                                     data_len, (uintptr_t)data_ptr,
                                     hwpt ? nestio_hwpt_get_id(hwpt) : 0, r);
    if (r < 0) {
        error_setg_errno(errp, -r, "Failed to allocate hwpt");
        return false;
    }
    /* the reference goes with the id to free_id */
    *out_hwpt = nestio_hwpt_get_id(hwpt);
    return true;
}

/* @@function iommufd_backend_set_dirty_tracking */
bool iommufd_backend_set_dirty_tracking(IOMMUFDBackend *be,
                                        uint32_t hwpt_id, bool start,
                                        Error **errp)
{
    struct nestio_hwpt *hwpt;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_backend_set_dirty_tracking(be, hwpt_id, start,
                                                        errp);
    }
    r = nestio_ctx_lookup_hwpt(nestio_port_ctx(be), hwpt_id, &hwpt);
    if (!r) {
        r = nestio_hwpt_set_dirty_tracking(hwpt, start);
        nestio_hwpt_unref(hwpt);
    }
    trace_iommufd_backend_set_dirty(be->fd, hwpt_id, start, -r);
    if (r < 0) {
        error_setg_errno(errp, -r,
                         "IOMMU_HWPT_SET_DIRTY_TRACKING(hwpt_id %u) failed",
                         hwpt_id);
        return false;
    }
    return true;
}

/* @@function iommufd_backend_get_dirty_bitmap */
bool iommufd_backend_get_dirty_bitmap(IOMMUFDBackend *be,
                                      uint32_t hwpt_id,
                                      uint64_t iova, ram_addr_t size,
                                      uint64_t page_size, uint64_t *data,
                                      Error **errp)
{
    struct nestio_hwpt *hwpt;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_backend_get_dirty_bitmap(be, hwpt_id, iova, size,
                                                      page_size, data, errp);
    }
    r = nestio_ctx_lookup_hwpt(nestio_port_ctx(be), hwpt_id, &hwpt);
    if (!r) {
        r = nestio_hwpt_get_dirty_bitmap(hwpt, iova, size, page_size, data, 0);
        nestio_hwpt_unref(hwpt);
    }
    trace_iommufd_backend_get_dirty_bitmap(be->fd, hwpt_id, iova, size,
                                           page_size, -r);
    if (r < 0) {
        error_setg_errno(errp, -r,
                         "IOMMU_HWPT_GET_DIRTY_BITMAP (iova: 0x%"HWADDR_PRIx
                         " size: 0x"RAM_ADDR_FMT") failed", iova, size);
        return false;
    }
    return true;
}

/* @@function iommufd_backend_get_device_info */
bool iommufd_backend_get_device_info(IOMMUFDBackend *be, uint32_t devid,
                                     uint32_t *type, void *data, uint32_t len,
                                     uint64_t *caps, Error **errp)
{
    struct nestio_device *dev;
    size_t n = len;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_backend_get_device_info(be, devid, type, data,
                                                     len, caps, errp);
    }
    g_assert(type);
    g_assert(caps);
    r = nestio_ctx_lookup_device(nestio_port_ctx(be), devid, &dev);
    if (!r) {
        r = nestio_device_get_hw_info_ext(dev, type, data, &n, caps, NULL);
        nestio_device_unref(dev);
    }
    if (r < 0) {
        error_setg_errno(errp, -r, "Failed to get hardware info");
        return false;
    }
    return true;
}
