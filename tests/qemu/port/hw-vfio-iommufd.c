/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnestio's port of QEMU's hw/vfio/iommufd.c: our bodies for the
 * functions that open a VFIO cdev or issue iommufd or VFIO-cdev ioctls
 * (bind, attach, detach, IOVA ranges). Placed by tests/qemu/place-port.py, as
 * backends-iommufd.c is. The VFIO device ioctls of this file
 * (VFIO_DEVICE_GET_INFO, the PCI hot reset) are not iommufd's and stay
 * QEMU's: libnestio has no API for a device's regions or resets.
 */

/* @@prelude */
#include <libnestio.h>

/* from the port of backends/iommufd.c */
bool nestio_port_stock(void);
struct nestio_ctx *nestio_port_ctx(IOMMUFDBackend *be);

/* @@function iommufd_cdev_connect_and_bind */
static bool iommufd_cdev_connect_and_bind(VFIODevice *vbasedev, Error **errp)
{
    IOMMUFDBackend *iommufd = vbasedev->iommufd;
    struct nestio_device *dev;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_cdev_connect_and_bind(vbasedev, errp);
    }
    if (!iommufd_backend_connect(iommufd, errp)) {
        return false;
    }

    /*
     * Add device to kvm-vfio to be prepared for the tracking
     * in KVM. Especially for some emulated devices, it requires
     * to have kvm information in the device open.
     */
    if (!iommufd_cdev_kvm_device_add(vbasedev, errp)) {
        goto err_kvm_device_add;
    }

    /* bind: the library keeps a duplicate of the fd, and the reference
     * goes with devid to iommufd_cdev_unbind_and_disconnect() */
    r = nestio_device_new_from_fd(nestio_port_ctx(iommufd), vbasedev->fd, &dev);
    if (r < 0) {
        error_setg_errno(errp, -r, "error bind device fd=%d to iommufd=%d",
                         vbasedev->fd, iommufd->fd);
        goto err_bind;
    }

    vbasedev->devid = nestio_device_get_id(dev);
    trace_iommufd_cdev_connect_and_bind(iommufd->fd, vbasedev->name,
                                        vbasedev->fd, vbasedev->devid);
    return true;
err_bind:
    iommufd_cdev_kvm_device_del(vbasedev);
err_kvm_device_add:
    iommufd_backend_disconnect(iommufd);
    return false;
}

/* @@function iommufd_cdev_unbind_and_disconnect */
static void iommufd_cdev_unbind_and_disconnect(VFIODevice *vbasedev)
{
    struct nestio_device *dev;

    if (nestio_port_stock()) {
        stock_iommufd_cdev_unbind_and_disconnect(vbasedev);
        return;
    }
    /* the unbind is done when QEMU closes its fd (the library's duplicate
     * goes here, with the lookup's reference and the bind's) */
    if (!nestio_ctx_lookup_device(nestio_port_ctx(vbasedev->iommufd),
                                  vbasedev->devid, &dev)) {
        nestio_device_unref(dev);
        nestio_device_unref(dev);
    }
    iommufd_cdev_kvm_device_del(vbasedev);
    iommufd_backend_disconnect(vbasedev->iommufd);
}

/* @@function iommufd_cdev_getfd */
static int iommufd_cdev_getfd(const char *sysfs_path, Error **errp)
{
    int fd;

    if (nestio_port_stock()) {
        return stock_iommufd_cdev_getfd(sysfs_path, errp);
    }
    /* <sysfs_path>/vfio-dev/vfioN -> /dev/vfio/devices/vfioN, a character
     * device, opened close-on-exec and not bound */
    fd = nestio_device_open_cdev(sysfs_path);
    trace_iommufd_cdev_getfd(sysfs_path, fd);
    if (fd < 0) {
        error_setg_errno(errp, -fd, VFIO_MSG_PREFIX "no VFIO device cdev",
                         sysfs_path);
    }
    return fd;
}

/* @@function iommufd_cdev_attach_ioas_hwpt */
static int iommufd_cdev_attach_ioas_hwpt(VFIODevice *vbasedev, uint32_t id,
                                         Error **errp)
{
    struct nestio_ctx *ctx = nestio_port_ctx(vbasedev->iommufd);
    struct nestio_device *dev;
    struct nestio_hwpt *hwpt;
    struct nestio_ioas *ioas;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_cdev_attach_ioas_hwpt(vbasedev, id, errp);
    }
    /* id is an IOAS or a hwpt */
    r = nestio_ctx_lookup_device(ctx, vbasedev->devid, &dev);
    if (!r) {
        if (!nestio_ctx_lookup_hwpt(ctx, id, &hwpt)) {
            r = nestio_device_attach_hwpt(dev, NESTIO_NO_PASID, hwpt);
            nestio_hwpt_unref(hwpt);
        } else {
            r = nestio_ctx_lookup_ioas(ctx, id, &ioas);
            if (!r) {
                r = nestio_device_attach_ioas(dev, NESTIO_NO_PASID, ioas);
                nestio_ioas_unref(ioas);
            }
        }
        nestio_device_unref(dev);
    }
    if (r < 0) {
        error_setg_errno(errp, -r,
                         "[iommufd=%d] error attach %s (%d) to id=%d",
                         vbasedev->iommufd->fd, vbasedev->name, vbasedev->fd,
                         id);
        return r;
    }

    trace_iommufd_cdev_attach_ioas_hwpt(vbasedev->iommufd->fd, vbasedev->name,
                                        vbasedev->fd, id);
    return 0;
}

/* @@function iommufd_cdev_detach_ioas_hwpt */
static bool iommufd_cdev_detach_ioas_hwpt(VFIODevice *vbasedev, Error **errp)
{
    struct nestio_device *dev;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_cdev_detach_ioas_hwpt(vbasedev, errp);
    }
    r = nestio_ctx_lookup_device(nestio_port_ctx(vbasedev->iommufd),
                                 vbasedev->devid, &dev);
    if (!r) {
        r = nestio_device_detach(dev, NESTIO_NO_PASID);
        nestio_device_unref(dev);
    }
    if (r < 0) {
        error_setg_errno(errp, -r, "detach %s failed", vbasedev->name);
        return false;
    }

    trace_iommufd_cdev_detach_ioas_hwpt(vbasedev->iommufd->fd, vbasedev->name);
    return true;
}

/* @@function iommufd_cdev_get_info_iova_range */
static bool iommufd_cdev_get_info_iova_range(VFIOIOMMUFDContainer *container,
                                             uint32_t ioas_id, Error **errp)
{
    VFIOContainerBase *bcontainer = &container->bcontainer;
    struct nestio_iova_range *ranges = NULL;
    struct nestio_ioas *ioas;
    uint64_t alignment;
    size_t nr;
    int r;

    if (nestio_port_stock()) {
        return stock_iommufd_cdev_get_info_iova_range(container, ioas_id, errp);
    }
    r = nestio_ctx_lookup_ioas(nestio_port_ctx(container->be), ioas_id, &ioas);
    if (!r) {
        r = nestio_ioas_get_iova_ranges(ioas, &ranges, &nr, &alignment);
        nestio_ioas_unref(ioas);
    }
    if (r < 0) {
        error_setg_errno(errp, -r, "Cannot get IOVA ranges");
        return false;
    }

    for (size_t i = 0; i < nr; i++) {
        Range *range = g_new(Range, 1);

        range_set_bounds(range, ranges[i].start, ranges[i].last);
        bcontainer->iova_ranges =
            range_list_insert(bcontainer->iova_ranges, range);
    }
    bcontainer->pgsizes = alignment;
    nestio_iova_ranges_free(ranges);
    return true;
}
