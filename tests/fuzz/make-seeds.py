#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Writes the hand-made seeds of tests/fuzz/corpus/<target>/ (seed-*), in
# each target's input format (see the comment at the top of
# tests/fuzz/fuzz-<target>.c). Run from tests/fuzz/ after changing a format;
# inputs the fuzzers found are committed next to them as they are.
import os
import struct


def put(target, name, data):
    d = os.path.join("corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)


# ---- veventq: type byte, then steps; reads answered op (2: bytes) ----
def vev(seq, rec_len, lost=False):
    h = u32(1 if lost else 0) + u32(seq)
    return h if lost else h + bytes((seq + i) & 0xff for i in range(rec_len))


def chunk(b):
    return u8(2) + u8(len(b)) + b


smmu = b"".join(vev(s, 32) for s in (0, 1, 2))
put("veventq", "smmuv3-three", u8(0) + u8(5) + chunk(smmu) + u8(0))
put("veventq", "smmuv3-lost", u8(0) + u8(5) + chunk(vev(0, 32) + vev(4, 0, True) + vev(5, 32)) + u8(0))
put("veventq", "smmuv3-wrap", u8(0) + u8(5) + chunk(vev(0x7ffffffe, 32) + vev(0x7fffffff, 32) + vev(1, 32)) + u8(0))
put("veventq", "cmdqv-dispatch", u8(1) + u8(0x85) + chunk(vev(7, 16) + vev(8, 16)) + u8(0))
# an unknown type: learned from a 24-byte record (reads of 16 bytes refused)
put("veventq", "raw-learn", u8(2) + u8(3) + u8(1) + chunk(vev(3, 24)) + chunk(vev(4, 24) + vev(6, 24)) + u8(0))
put("veventq", "malformed", u8(0) + u8(4) + chunk(vev(0, 32) + b"\x00" * 9) + u8(0))


# ---- fault: steps; reads answered op 2 + records ----
def rec(flags, dev, pasid, grp, perm, cookie):
    return bytes([flags, dev, pasid, grp, perm, cookie])


def records(*rs):
    return u8(2 | (len(rs) - 1) << 2) + b"".join(rs)


LAST, PV = 2, 1
put("fault", "one-group-answered",
    u8(0 | 3 << 2) + records(rec(PV, 1, 5, 9, 3, 1), rec(PV, 1, 5, 9, 3, 1), rec(PV | LAST, 1, 5, 9, 3, 1))
    + u8(2) + u8(0))
put("fault", "two-groups-dispatch",
    u8(1) + records(rec(0, 2, 0, 1, 1, 0), rec(LAST, 2, 0, 1, 1, 0), rec(LAST, 3, 0, 2, 2, 1)) + u8(0)
    + u8(2) + u8(0) + u8(2 | 0x40) + u8(1))
put("fault", "cookie-reused",
    u8(0 | 3 << 2) + records(rec(LAST, 1, 0, 1, 1, 2)) + u8(0 | 3 << 2) + records(rec(LAST, 1, 0, 2, 1, 2))
    + u8(3) + u8(1) + u8(2) + u8(0))
put("fault", "partial-records", u8(0) + u8(3) + u8(7))
put("fault", "grow", u8(0 | 15 << 2) + u8(1) + records(rec(0, 1, 0, 1, 1, 3), rec(LAST, 1, 0, 1, 1, 3)))

# ---- hwinfo: type sel, size sel, len, caps, pasid, block ----
vtd = u32(1) + u32(0) + u64((1 << 60) | (47 << 16) | (1 << 56)) + u64((1 << 26) | (1 << 2) | (1 << 29))
put("hwinfo", "vtd", u8(1) + u8(0) + u16(len(vtd)) + u64(1) + u8(20) + vtd)
smmu_idr = u32(0) + u32(0) + u32(3 | 1 << 10 | 1 << 16) + u32(0) * 4 + u32(1 << 10 | 1 << 4 | 1 << 6 | 5) + u32(0) + u32(0)
put("hwinfo", "smmuv3", u8(2) + u8(0x90) + u16(len(smmu_idr)) + u64(8) + u8(0) + smmu_idr)
amd = u64((1 << 4) | (1 << 48) | (1 << 1) | (1 << 12) | (2 << 10)) + u64(0)
put("hwinfo", "amd", u8(4) + u8(3) + u16(len(amd)) + u64(6) + u8(16) + amd)
put("hwinfo", "cmdqv", u8(3) + u8(0xc0) + u16(8) + u64(0) + u8(0) + u32(0) + bytes([1, 2, 3, 0]))
put("hwinfo", "short-vtd", u8(1) + u8(0) + u16(12) + u64(0) + u8(0) + vtd[:12])
put("hwinfo", "unknown", u8(0xf5) + u8(0) + u16(4) + u32(99) + u64(0) + u8(0) + b"abcd")

# ---- smmuv3-event: len, four words ----
put("smmuv3-event", "translation", u8(32) + u64(0x10 | 1 << 11 | 5 << 12 | 0x42 << 32) + u64(7 | 1 << 31 | 1 << 35 | 1 << 39 | 2 << 40) + u64(0xdead000) + u64(0xbeef000))
put("smmuv3-event", "short", u8(16) + u64(0x10) + u64(0))
put("smmuv3-event", "all-ones", u8(64) + b"\xff" * 64)

# ---- uevent: max, then datagrams (flags, len, bytes) ----
def uevent(action, devpath, fields):
    s = action + "@" + devpath + "\0" + "".join(f + "\0" for f in fields)
    return s.encode()


def dg(b, flags=0):
    return u8(flags) + u16(len(b)) + b


def vfio(action, bdf, n):
    path = "/devices/pci0000:00/%s/vfio-dev/vfio%d" % (bdf, n)
    return uevent(action, path, ["ACTION=" + action, "DEVPATH=" + path, "SUBSYSTEM=vfio-dev",
                                 "MAJOR=511", "MINOR=%d" % n, "DEVNAME=vfio/devices/vfio%d" % n, "SEQNUM=%d" % (4000 + n)])


put("uevent", "add", u8(3) + dg(vfio("add", "0000:00:03.0", 0)))
put("uevent", "remove", u8(3) + dg(vfio("remove", "0000:01:1f.7", 12)))
put("uevent", "add-bind-remove", u8(0) + dg(vfio("add", "0000:00:04.0", 1))
    + dg(uevent("bind", "/devices/pci0000:00/0000:00:04.0", ["ACTION=bind", "DEVPATH=/devices/pci0000:00/0000:00:04.0",
                                                              "SUBSYSTEM=pci", "DRIVER=vfio-pci"]))
    + dg(vfio("remove", "0000:00:09.0", 2), 1) + dg(b"", 2) + dg(vfio("remove", "0000:00:04.0", 1)))
mdev = "/devices/virtual/mdev/abc/vfio-dev/vfio7"
put("uevent", "mdev", u8(1) + dg(uevent("add", mdev, ["ACTION=add", "DEVPATH=" + mdev, "SUBSYSTEM=vfio-dev",
                                                     "DEVNAME=vfio/devices/vfio7"])))
put("uevent", "truncated", u8(1) + dg(vfio("add", "0000:00:05.0", 3), 4) + dg(vfio("add", "0000:00:06.0", 4)))

# ---- compat: caps fields, wish fields, size sels, reason length ----
def compat(ctype, caps, fmts, errata, pasid, s1, s2, wf, ws1, ws2, wp, wcaps, wok, csel=0, wsel=0, cut=40):
    return (u8(ctype) + u8(caps) + u8(0) + u8(fmts) + u8(errata) + u8(pasid) + u8(s1) + u8(s2)
            + u8(0) + u8(wf) + u8(ws1) + u8(ws2) + u8(wp) + u8(0) + u8(wcaps) + u8(wok)
            + u8(csel) + u8(wsel) + u8(cut))


put("compat", "vtd-pass", compat(1, 0x27, 1, 0, 20, 57, 48, 1, 48, 48, 20, 0x05, 0))
put("compat", "vtd-erratum", compat(1, 0x27, 1, 1, 20, 57, 48, 1, 48, 48, 20, 0x05, 0))
put("compat", "vtd-erratum-ok", compat(1, 0x27, 1, 1, 20, 57, 48, 1, 48, 48, 20, 0x05, 1, cut=5))
put("compat", "no-nest", compat(2, 0x20, 0, 0, 0, 48, 48, 2, 48, 48, 0, 0, 0))
put("compat", "format", compat(2, 0x21, 2, 0, 0, 48, 48, 1, 48, 48, 0, 0, 0))
put("compat", "widths", compat(3, 0x21, 4, 0, 16, 48, 48, 4, 57, 48, 0, 0, 0, cut=10))
put("compat", "caps-missing", compat(1, 0x01, 1, 0, 0, 48, 48, 1, 48, 48, 0, 0xc6, 0, cut=79))
put("compat", "old-structs", compat(1, 0x27, 1, 0, 20, 57, 48, 1, 48, 48, 20, 0x05, 0, csel=0xc0 | 20, wsel=0xc0 | 16))
put("compat", "new-tail", compat(1, 0x27, 1, 0, 20, 57, 48, 1, 48, 48, 20, 0x05, 0, csel=0xc0 | 49, wsel=0xc0 | 40))


# ---- invq: cfg, capacity, steps ----
def vpush(a, n):
    return u8(0) + u8(a) + u8(n)


put("invq", "vtd-coalesce", u8(2) + u8(7) + vpush(1, 3) + vpush(2, 3) + vpush(1, 0) + vpush(0x41, 1) + vpush(9, 0xff)
    + vpush(20, 4) + u8(5) + u8(0))
put("invq", "vtd-fail-at-k", u8(2) + u8(15) + vpush(1, 3) + vpush(8, 3) + vpush(16, 3) + u8(5) + u8(4) + u8(1)
    + u8(5) + u8(0x86) + u8(0))
put("invq", "vtd-full-queue", u8(0) + u8(1) + vpush(3, 1) + u8(4 | 2 << 3) + u8(3) + u8(1) + u8(4) + u8(1) + u8(7) + u8(0) + u8(7))
put("invq", "vtd-discard", u8(2) + u8(9) + vpush(3, 1) + vpush(5, 1) + u8(6 | 1 << 3) + u8(5) + u8(0))
put("invq", "vtd-malformed", u8(2) + u8(9) + vpush(3, 0xfe) + vpush(0xff, 2) + u8(5) + u8(0))


def spush(o, a):
    return u8(0) + u8(o) + u8(a)


put("invq", "smmu-coalesce", u8(3) + u8(15) + spush(1, 0) + spush(2, 1) + spush(0, 0) + spush(1, 0) + spush(7, 0)
    + spush(7, 0) + spush(8, 0) + spush(2, 1) + u8(5) + u8(0))
put("invq", "smmu-overstated", u8(7) + u8(15) + spush(1, 0) + spush(2, 0) + spush(7, 1) + spush(10, 0)
    + u8(5) + u8(4) + u8(3) + u8(0) + u8(5) + u8(5 | 1 << 3) + u8(2) + u8(0))
put("invq", "smmu-atc-separate", u8(5) + u8(15) + spush(7, 0) + spush(2, 0) + spush(7, 0) + spush(6, 0) + u8(5) + u8(0) + u8(0) + u8(0))
