// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * iort-override LOG OUT — derive the arm64 test VM's IORT override.
 *
 * QEMU's virt machine describes its SMMUv3 in an ACPI IORT whose root
 * complex nodes do not claim CANWBS (the device's DMA is always cache
 * coherent, write-back, so the guest may skip cache maintenance), and its
 * SMMU has no S2FWB either: without one of the two, Linux refuses a vIOMMU
 * (IOMMU_VIOMMU_ALLOC -> EOPNOTSUPP). The guest kernel can load a
 * replacement table from the initrd (CONFIG_ACPI_TABLE_UPGRADE), so:
 *
 *   1. tests/vm/run boots the VM once with NESTIO_MODE=dump-iort; its /init
 *      prints /sys/firmware/acpi/tables/IORT as "NESTIO-IORT <hex bytes>"
 *      lines on the console (LOG);
 *   2. this tool reads them back, checks the table (signature, length,
 *      checksum), ORs CANWBS (0x4) into the memory access flags of every
 *      root complex node, raises the OEM revision (the kernel only takes an
 *      override with a higher one), fixes the checksum and writes OUT;
 *   3. tests/vm/run puts OUT at kernel/firmware/acpi/iort.aml in an
 *      uncompressed cpio in front of the initramfs.
 *
 * The table depends on QEMU's version and machine options: the harness keys
 * its cache on both. Layout (Arm DEN 0049, IO Remapping Table): a 36-byte ACPI header
 * (length at 4, checksum at 9, OEM revision at 24), then the number of nodes
 * at 36 and the offset of the first node at 40; a node starts with its type
 * (u8, 2 = root complex) and length (u16 at 1); a root complex node holds
 * its memory access properties at 16: cache coherency (u32), allocation
 * hints (u8), reserved (u16), memory access flags (u8 at 23).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IORT_MAX		65536
#define IORT_NODE_RC		2
#define IORT_RC_MEMFLAGS	23
#define IORT_MF_CANWBS		0x4

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* the bytes of every "NESTIO-IORT xx xx ..." line of the console log */
static size_t read_dump(FILE *f, uint8_t *t)
{
	static const char tag[] = "NESTIO-IORT ";
	char line[1024];
	size_t n = 0;

	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, tag), *end;

		if (!p)
			continue;
		for (p += sizeof(tag) - 1;; p = end) {
			unsigned long b = strtoul(p, &end, 16);

			if (end == p)
				break;
			if (b > 0xff || n == IORT_MAX)
				return 0;
			t[n++] = (uint8_t)b;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	static uint8_t t[IORT_MAX];
	uint32_t len, nodes, off, rev;
	unsigned int patched = 0;
	FILE *f;
	size_t n;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CONSOLE-LOG OUT.aml\n", argv[0]);
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		fprintf(stderr, "iort-override: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	n = read_dump(f, t);
	fclose(f);
	if (n < 48 || memcmp(t, "IORT", 4)) {
		fprintf(stderr, "iort-override: no IORT dump in %s\n", argv[1]);
		return 1;
	}
	len = le32(t + 4);
	if (len != n || sum(t, len)) {
		fprintf(stderr, "iort-override: dump is %zu bytes, table says %u, checksum %s\n",
			n, len, sum(t, n) ? "bad" : "ok");
		return 1;
	}
	nodes = le32(t + 36);
	off = le32(t + 40);
	for (uint32_t i = 0; i < nodes; i++) {
		uint16_t nlen;

		if (off + 3 > len)
			break;
		nlen = (uint16_t)(t[off + 1] | t[off + 2] << 8);
		if (nlen < 3 || off + nlen > len) {
			fprintf(stderr, "iort-override: node %u at 0x%x: bad length %u\n",
				i, off, nlen);
			return 1;
		}
		if (t[off] == IORT_NODE_RC && nlen > IORT_RC_MEMFLAGS) {
			uint8_t *mf = t + off + IORT_RC_MEMFLAGS;

			printf("iort-override: root complex node at 0x%x: memory flags 0x%02x -> 0x%02x (byte 0x%x)\n",
			       off, *mf, *mf | IORT_MF_CANWBS, off + IORT_RC_MEMFLAGS);
			*mf |= IORT_MF_CANWBS;
			patched++;
		}
		off += nlen;
	}
	if (!patched) {
		fprintf(stderr, "iort-override: no root complex node in the IORT\n");
		return 1;
	}
	rev = le32(t + 24);
	put_le32(t + 24, rev + 1);
	t[9] = 0;
	t[9] = (uint8_t)(0x100 - sum(t, len));
	printf("iort-override: OEM revision %u -> %u, checksum 0x%02x\n",
	       rev, rev + 1, t[9]);

	f = fopen(argv[2], "wb");
	if (!f || fwrite(t, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "iort-override: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	return 0;
}
