/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qtest-edu: plays the guest for a QEMU started with -accel qtest, drives
 * an edu DMA device (emulated, or passed through with vfio-pci) and,
 * optionally, the q35 Intel VT-d in front of it. Shared declarations of
 * qtest-edu.c (protocol, PCI, edu, plain script) and qtest-vtd.c (VT-d).
 */
#ifndef QTEST_EDU_H
#define QTEST_EDU_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#define PAGE_SIZE 4096u
#define EDU_BUF 0x40000u	/* the edu buffer, as a device-side DMA address */
#define BAR0_ADDR 0xe0000000u	/* in q35's PCI hole with -m 128M */
#define BAR0_SIZE 0x100000u
#define IO_TIMEOUT_S 20		/* one qtest answer, one DMA */

/* what a deliberately wrong script breaks (--break) */
enum qbreak {
	BREAK_NONE,
	BREAK_BYTE,		/* corrupt one byte of RAM after a DMA */
	BREAK_MAP_INVAL,	/* skip the invalidation after mapping A */
	BREAK_UNMAP_INVAL,	/* skip the invalidation after unmapping B */
};

struct opts {
	int viommu;
	int dsi;		/* domain-selective IOTLB invalidation only */
	unsigned churn;
	uint64_t seed;
	enum qbreak brk;
	int root_port;		/* edu behind a PCIe root port, on bus 1 */
	int eject;		/* unplug edu through ACPI PCI hotplug */
	int iommufd_fd;		/* QEMU's handed-over iommufd, or -1 */
};

extern struct opts opt;

/* QEMU's process (for /proc/PID/fd and pidfd_open) */
extern pid_t qemu;

/* failure: message on stderr, FAILED line on stdout, cleanup, exit 1 */
_Noreturn void fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* one canonical transcript line on stdout */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* a check failed: the script goes on, the result will be FAILED */
void note_failure(const char *what);
/* monotonic seconds */
double now(void);

/* qtest protocol: each call sends one command and checks the answer */
uint32_t q_readl(uint64_t addr);
uint64_t q_readq(uint64_t addr);
void q_writel(uint64_t addr, uint32_t val);
void q_writeq(uint64_t addr, uint64_t val);
void q_outl(uint16_t port, uint32_t v);
uint32_t q_inl(uint16_t port);
void q_ram_write(uint64_t addr, const uint8_t *buf, size_t len);
void q_ram_read(uint64_t addr, uint8_t *buf, size_t len);
void q_ram_zero(uint64_t addr, size_t len);

/* deterministic patterns */
uint64_t rng_next(uint64_t *state);
void pattern(uint8_t *buf, size_t len, uint64_t tag);

/* PCI configuration space through 0xcf8/0xcfc (type 1 for bus > 0) */
uint32_t cfg_read32(unsigned bus, unsigned devfn, unsigned reg);
void cfg_write32(unsigned bus, unsigned devfn, unsigned reg, uint32_t v);
uint16_t cfg_read16(unsigned bus, unsigned devfn, unsigned reg);
void cfg_write16(unsigned bus, unsigned devfn, unsigned reg, uint16_t v);

/* the edu device found: on bus 0, or on bus 1 behind the root port */
extern unsigned edu_bus, edu_devfn;

/* one DMA: to_ram = 1 is edu buffer -> RAM at iova, 0 is RAM -> edu */
void edu_dma(int to_ram, uint64_t iova);
/* compares 4 KiB of RAM at gpa with want and prints one line; 0 if equal */
int check_ram(const char *what, uint64_t gpa, const uint8_t *want);
/* RAM at gpa holds a uniform byte value? returns it, or -1 */
int ram_uniform(uint64_t gpa);

/* the --viommu script (qtest-vtd.c) */
void script_viommu(void);

/* qtest-eject.c: --root-port, before edu is looked for: configure the
 * root port on bus 0 (bus numbers 1/1, a memory window over BAR0, memory
 * and bus master on) so that edu answers on bus 1 */
void setup_root_port(void);
/* qtest-eject.c: with --eject, once QEMU runs: close the client's copies
 * of the fds it inherited (QEMU has them too), all but keep, so that
 * QEMU's close of a VFIO cdev or iommufd it was handed is the last one */
void drop_inherited_fds(int keep);
/* qtest-eject.c: --eject, after the script: unplug edu as a guest's _EJ0
 * does, prove it is gone, report what QEMU still holds and, with
 * --iommufd-fd, that the iommufd holds no object any more */
void eject_edu(void);

#endif
