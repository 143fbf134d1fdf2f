// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * qtest-edu's --root-port and --eject: put edu behind a PCIe root port
 * (there is no firmware under qtest, so the client configures the bridge
 * itself), and unplug it afterwards the way a guest's ACPI _EJ0 does, so
 * that QEMU unrealizes it and its VFIO/iommufd teardown runs. Then report
 * what QEMU still holds and, for an iommufd QEMU was handed, show that it
 * holds no object any more.
 *
 * The hotplug registers are QEMU's ACPI PCI hotplug interface (its
 * docs/specs/acpi_pci_hotplug.rst); on q35 the ICH9 LPC has them at
 * 0x0cc0. QEMU numbers the hotpluggable buses (BSEL) at machine reset,
 * depth first from bus 0; q35's bus 0 is not hotpluggable through ACPI,
 * so the secondary bus of the only root port is BSEL 0. Ejecting needs
 * nothing else first: select the bus, write the slot's bit (32-bit
 * accesses only), and QEMU unplugs the device before the write returns.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "qtest-edu.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libnestio.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* type 1 (bridge) configuration header */
#define PCI_COMMAND 0x04
#define PCI_CLASS_REV 0x08
#define PCI_HEADER 0x0c		/* header type in bits 16..22 */
#define PCI_BUSES 0x18		/* primary, secondary, subordinate, latency */
#define PCI_IO_WINDOW 0x1c	/* I/O base, I/O limit (16 bits) */
#define PCI_MEM_WINDOW 0x20	/* memory base, memory limit */
#define PCI_PREF_WINDOW 0x24	/* prefetchable base, limit */
#define PCI_PREF_BASE_HI 0x28
#define PCI_PREF_LIMIT_HI 0x2c
#define CMD_MEMORY 0x2u
#define CMD_MASTER 0x4u
#define CLASS_PCI_BRIDGE 0x0604u
#define SEC_BUS 1u

/* ACPI PCI hotplug registers of q35's ICH9 */
#define PCIHP 0x0cc0u
#define PCIHP_EJ 0x08u		/* write: eject the slots in this bitmask */
#define PCIHP_RMV 0x0cu		/* read: the slots that can be removed */
#define PCIHP_SEL 0x10u		/* bus select (BSEL) */
#define BSEL_ROOT_PORT 0u

void setup_root_port(void)
{
	unsigned devfn, win_base, win_limit;
	uint32_t buses, win, cls = 0, hdr = 0, id = 0;
	uint16_t cmd;

	for (devfn = 0; devfn < 256; devfn++) {
		id = cfg_read32(0, devfn, 0);
		if (id == 0xffffffffu)
			continue;
		hdr = cfg_read32(0, devfn, PCI_HEADER) >> 16 & 0x7f;
		cls = cfg_read32(0, devfn, PCI_CLASS_REV) >> 16;
		if (hdr == 1 && cls == CLASS_PCI_BRIDGE)
			break;
	}
	if (devfn == 256)
		fail("no PCI-to-PCI bridge (root port) on bus 0 "
		     "(add -device pcie-root-port,id=rp0,... and bus=rp0)");

	/* bus numbers: primary 0, secondary and subordinate 1 */
	buses = cfg_read32(0, devfn, PCI_BUSES);
	cfg_write32(0, devfn, PCI_BUSES,
		    (buses & 0xff000000u) | SEC_BUS << 16 | SEC_BUS << 8);
	/* no I/O window (base above limit), no prefetchable window */
	cfg_write16(0, devfn, PCI_IO_WINDOW, 0x00f0);
	cfg_write32(0, devfn, PCI_PREF_WINDOW, 0x0000fff0u);
	cfg_write32(0, devfn, PCI_PREF_BASE_HI, 0);
	cfg_write32(0, devfn, PCI_PREF_LIMIT_HI, 0);
	/* the memory window, in 1 MiB units: exactly edu's BAR0 */
	win_base = BAR0_ADDR >> 16 & 0xfff0;
	win_limit = (BAR0_ADDR + BAR0_SIZE - 1) >> 16 & 0xfff0;
	cfg_write32(0, devfn, PCI_MEM_WINDOW, win_limit << 16 | win_base);
	/* memory forwarding, and bus master as firmware sets it (a real
	 * bridge forwards DMA upstream only then; QEMU 10.0 does not gate
	 * on it: its DMA address space skips the bridge, tried and read) */
	cmd = cfg_read16(0, devfn, PCI_COMMAND);
	cfg_write16(0, devfn, PCI_COMMAND, (uint16_t)(cmd | CMD_MEMORY | CMD_MASTER));

	buses = cfg_read32(0, devfn, PCI_BUSES);
	win = cfg_read32(0, devfn, PCI_MEM_WINDOW);
	cmd = cfg_read16(0, devfn, PCI_COMMAND);
	say("pci: root port %04x:%04x at 00:%02x.%u, buses %u/%u/%u, memory window"
	    " 0x%08x-0x%08x, memory %s, bus master %s", id & 0xffff, id >> 16,
	    devfn >> 3, devfn & 7, buses & 0xff, buses >> 8 & 0xff,
	    buses >> 16 & 0xff, (win & 0xfff0) << 16,
	    (win >> 16 & 0xfff0) << 16 | 0xfffff, cmd & CMD_MEMORY ? "on" : "OFF",
	    cmd & CMD_MASTER ? "on" : "OFF");
	if ((buses & 0xffffff) != (SEC_BUS << 16 | SEC_BUS << 8))
		fail("the root port did not take bus numbers 0/%u/%u", SEC_BUS,
		     SEC_BUS);
	if (win != (win_limit << 16 | win_base))
		fail("the root port did not take the memory window (0x%08x)", win);
	if ((cmd & (CMD_MEMORY | CMD_MASTER)) != (CMD_MEMORY | CMD_MASTER))
		fail("the root port's PCI_COMMAND did not take memory + bus master");
	edu_bus = SEC_BUS;
}

void drop_inherited_fds(int keep)
{
	int fds[256], n = 0, i;
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		fail("/proc/self/fd: %s", strerror(errno));
	while ((de = readdir(d)) && n < 256) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd > 2 && fd != keep &&
		    fd != dirfd(d))
			fds[n++] = fd;
	}
	closedir(d);
	for (i = 0; i < n; i++) {
		fprintf(stderr, "qtest-edu: closing inherited fd %d (QEMU has"
			" it)\n", fds[i]);
		close(fds[i]);
	}
}

/* QEMU's fds on /dev/iommu and on VFIO device cdevs */
static void count_fds(unsigned *iommu, unsigned *vfio)
{
	char dpath[64], link[PATH_MAX];
	struct dirent *de;
	DIR *d;

	*iommu = *vfio = 0;
	snprintf(dpath, sizeof(dpath), "/proc/%d/fd", (int)qemu);
	d = opendir(dpath);
	if (!d)
		fail("%s: %s", dpath, strerror(errno));
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue;	/* closed meanwhile */
		link[n] = 0;
		if (strcmp(link, "/dev/iommu") == 0)
			(*iommu)++;
		else if (strncmp(link, "/dev/vfio/devices/", 18) == 0)
			(*vfio)++;
	}
	closedir(d);
}


/* what QEMU still holds; its last references may go a little later than
 * the unplug (RCU), so wait (bounded) while it holds more than expected */
static void report_held(void)
{
	unsigned want_iommu = opt.iommufd_fd >= 0 ? 1 : 0, iommu, vfio;
	double deadline = now() + IO_TIMEOUT_S;
	char what[120];

	for (;;) {
		count_fds(&iommu, &vfio);
		if ((iommu <= want_iommu && vfio == 0) || now() > deadline)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	say("held: QEMU has %u fd%s open on /dev/iommu, %u on /dev/vfio/devices/*"
	    " (expected %u and 0)", iommu, iommu == 1 ? "" : "s", vfio,
	    want_iommu);
	if (iommu != want_iommu || vfio != 0) {
		snprintf(what, sizeof(what), "QEMU holds %u fds on /dev/iommu and"
			 " %u on VFIO cdevs after the eject, expected %u and 0",
			 iommu, vfio, want_iommu);
		note_failure(what);
	}
}

/* the iommufd QEMU was handed: take it and allocate an IOAS, which gets
 * the lowest free object id: 1 if QEMU's teardown freed everything */
static void prove_iommufd_empty(void)
{
	struct nestio_ctx *ctx = NULL;
	struct nestio_ioas *ioas = NULL;
	int n = opt.iommufd_fd, pidfd, fd, r;
	double deadline = now() + IO_TIMEOUT_S;
	unsigned tries = 1;
	char what[120], lpath[64], link[PATH_MAX];
	ssize_t len;
	uint32_t id;

	pidfd = (int)syscall(SYS_pidfd_open, qemu, 0);
	if (pidfd < 0)
		fail("pidfd_open(QEMU): %s", strerror(errno));
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);	/* O_CLOEXEC */
	r = errno;
	close(pidfd);
	if (fd < 0)
		fail("pidfd_getfd(QEMU, %d): %s", n, strerror(r));
	snprintf(lpath, sizeof(lpath), "/proc/self/fd/%d", fd);
	len = readlink(lpath, link, sizeof(link) - 1);
	link[len < 0 ? 0 : len] = 0;
	fprintf(stderr, "qtest-edu: QEMU's fd %d is %s\n", n, link);

	r = nestio_ctx_new_from_fd(fd, &ctx);	/* takes a duplicate */
	close(fd);
	if (r == 0)
		r = nestio_ioas_new(ctx, &ioas);
	if (r < 0) {
		say("iommufd: QEMU's fd %d: IOAS allocation FAILED (%s)%s", n,
		    strerror(-r), strcmp(link, "/dev/iommu") ?
		    ", it is not /dev/iommu" : "");
		snprintf(what, sizeof(what), "no IOAS on QEMU's fd %d: %s", n,
			 strerror(-r));
		note_failure(what);
		nestio_ctx_unref(ctx);
		return;
	}
	/*
	 * QEMU's close() of the cdev takes the fd out of its table at once,
	 * but the file's release (the unbind, which destroys the device
	 * object) runs as that thread returns from the call: a moment after
	 * the fd counts above say 0. So ask again, bounded, while an object
	 * is left below the new IOAS (each try's IOAS is destroyed).
	 */
	id = nestio_ioas_get_id(ioas);
	while (id != 1 && now() < deadline) {
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
		ioas = nestio_ioas_unref(ioas);
		r = nestio_ioas_new(ctx, &ioas);
		if (r < 0)
			fail("IOAS allocation on QEMU's fd %d: %s", n, strerror(-r));
		id = nestio_ioas_get_id(ioas);
		tries++;
	}
	if (tries > 1)
		fprintf(stderr, "qtest-edu: IOAS id %u at try %u\n", id, tries);
	say("iommufd: a new IOAS on QEMU's fd %d gets id %u%s", n, id,
	    id == 1 ? ": ok, it held no object any more" : ": UNEXPECTED");
	if (id != 1) {
		/* which objects are left below it: a bound device answers
		 * IOMMU_GET_HW_INFO */
		static const struct nestio_device_ops none = { .sz = sizeof(none) };

		for (uint32_t o = 1; o < id; o++) {
			struct nestio_device *d = NULL;
			uint32_t t;
			size_t l = 0;

			r = nestio_device_new_from_id(ctx, o, &none, NULL, &d);
			if (!r)
				r = nestio_device_get_hw_info(d, &t, NULL, &l);
			fprintf(stderr, "qtest-edu: object %u left in QEMU's iommufd: %s\n",
				o, r == 0 ? "a bound device" : strerror(-r));
			nestio_device_unref(d);
		}
	}
	if (id != 1) {
		snprintf(what, sizeof(what), "the iommufd still holds objects"
			 " (a new IOAS got id %u)", id);
		note_failure(what);
	}
	nestio_ioas_unref(ioas);	/* destroys it */
	nestio_ctx_unref(ctx);
}

void eject_edu(void)
{
	unsigned slot = edu_devfn >> 3, bus = edu_bus, devfn = edu_devfn;
	uint32_t sel, rmv, id;
	uint16_t cmd;
	unsigned iommu, vfio;

	count_fds(&iommu, &vfio);	/* differs between VMMs: stderr only */
	fprintf(stderr, "qtest-edu: before the eject QEMU has %u fds on "
		"/dev/iommu, %u on /dev/vfio/devices/*\n", iommu, vfio);

	/* what a driver's remove leaves: no memory decoding, no DMA */
	cmd = cfg_read16(bus, devfn, PCI_COMMAND);
	cfg_write16(bus, devfn, PCI_COMMAND,
		    (uint16_t)(cmd & ~(CMD_MEMORY | CMD_MASTER)));

	/* _EJ0 of the slot: select the bus, eject the slot */
	q_outl(PCIHP + PCIHP_SEL, BSEL_ROOT_PORT);
	sel = q_inl(PCIHP + PCIHP_SEL);
	rmv = q_inl(PCIHP + PCIHP_RMV);
	say("acpi-hotplug: bus select %u, slot %u removable: %s", sel, slot,
	    rmv & 1u << slot ? "yes" : "NO");
	if (sel != BSEL_ROOT_PORT)
		fail("ACPI PCI hotplug bus select reads %u, not %u (no ACPI"
		     " PCI hotplug at 0x%x?)", sel, BSEL_ROOT_PORT, PCIHP);
	if (!(rmv & 1u << slot))
		fail("slot %u behind the root port is not removable", slot);
	q_outl(PCIHP + PCIHP_EJ, 1u << slot);

	id = cfg_read32(bus, devfn, 0);
	say("acpi-hotplug: ejected slot %u; %02x:%02x.%u now reads 0x%08x%s",
	    slot, bus, devfn >> 3, devfn & 7, id,
	    id == 0xffffffffu ? ": gone" : ": STILL THERE");
	if (id != 0xffffffffu)
		note_failure("edu still answers after the eject");

	report_held();
	if (opt.iommufd_fd >= 0)
		prove_iommufd_empty();
}
