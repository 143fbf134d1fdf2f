#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Put libnestio's port of QEMU's iommufd backend in place, by function name.

place-port.py QEMU_SRC_DIR PORT_DIR        places the port in the tree
place-port.py --count QEMU_SRC_DIR PORT_DIR  prints the line table only

Each PORT_DIR/<file>.c names its target in TARGETS below and holds a
"@@prelude" block, inserted after the target's last #include, and
"@@function NAME" blocks. For each, QEMU's function NAME is kept, renamed
stock_NAME and made static, and ours follows it: our function calls
stock_NAME when NESTIO_QEMU_STOCK=1, so one binary runs either. Nothing of
QEMU's is copied into this repository: the script edits the tree it is
given. It refuses a tree it has already placed into, or a function it
cannot find exactly once.
"""
import re
import sys

TARGETS = {
    "backends-iommufd.c": "backends/iommufd.c",
    "hw-vfio-iommufd.c": "hw/vfio/iommufd.c",
}


def blocks(text):
    """The port file's (kind, name, lines) blocks, in order."""
    out = []
    cur = None
    for line in text.splitlines():
        m = re.match(r"/\* @@(prelude|function) ?(\w*) \*/$", line)
        if m:
            cur = (m.group(1), m.group(2), [])
            out.append(cur)
        elif cur:
            cur[2].append(line)
    for _, _, lines in out:
        while lines and not lines[-1].strip():
            lines.pop()
    return out


def find_function(lines, name, path):
    """(first, last) line index of NAME's definition in LINES."""
    hits = []
    for i, line in enumerate(lines):
        if re.match(r"^(\w[\w\s\*]*[\s\*])?%s\(" % name, line) and \
                not line.rstrip().endswith(";"):
            first = i
            # the return type on a line of its own, above the name
            if line.startswith(name + "(") and i and lines[i - 1].strip():
                first = i - 1
            hits.append(first)
    if len(hits) != 1:
        sys.exit("place-port: %s: %d definitions of %s" % (path, len(hits), name))
    first = hits[0]
    brace = next(i for i in range(first, len(lines)) if lines[i] == "{")
    last = next(i for i in range(brace, len(lines)) if lines[i] == "}")
    return first, last


def code_lines(lines):
    """Lines that are code: not blank, not only a comment."""
    n = 0
    in_comment = False
    for line in lines:
        s = line.strip()
        if in_comment:
            if "*/" in s:
                in_comment = False
            continue
        if not s or s.startswith("//"):
            continue
        if s.startswith("/*"):
            if "*/" not in s:
                in_comment = True
            continue
        n += 1
    return n


def ours_without_switch(lines):
    """Our function minus its NESTIO_QEMU_STOCK dispatch block."""
    out = []
    skip = False
    depth = 0
    for line in lines:
        if "if (nestio_port_stock())" in line:
            skip = True
            depth = 0
        if skip:
            depth += line.count("{") - line.count("}")
            if depth <= 0 and "}" in line:
                skip = False
            continue
        out.append(line)
    return out


def place(src, port, count_only):
    rows = []
    for pfile, target in TARGETS.items():
        path = "%s/%s" % (src, target)
        with open(path) as f:
            lines = f.read().split("\n")
        if any("nestio_port_stock" in line for line in lines):
            sys.exit("place-port: %s already has the port" % path)
        with open("%s/%s" % (port, pfile)) as f:
            bl = blocks(f.read())
        prelude = [b for b in bl if b[0] == "prelude"]
        funcs = [b for b in bl if b[0] == "function"]
        rows.append((target, "(prelude)",
                     None, 0, code_lines(prelude[0][2]) if prelude else 0))
        for _, name, ours in funcs:
            first, last = find_function(lines, name, path)
            stock = lines[first:last + 1]
            ioctls = sum(len(re.findall(r"\bioctl\(|qemu_open\(|\bclose\(|\bopen_cdev\(", l))
                         for l in stock)
            rows.append((target, name, ioctls, code_lines(stock),
                         code_lines(ours_without_switch(ours))))
            if count_only:
                continue
            head = "\n".join(lines[first:last + 1])
            head = head.replace(name + "(", "stock_" + name + "(", 1)
            if not head.startswith("static"):
                head = "static " + head
            lines[first:last + 1] = head.split("\n") + [""] + ours
        if count_only:
            continue
        inc = max(i for i, l in enumerate(lines) if l.startswith("#include"))
        lines[inc + 1:inc + 1] = [""] + (prelude[0][2] if prelude else [])
        with open(path, "w") as f:
            f.write("\n".join(lines))
    return rows


def main():
    args = sys.argv[1:]
    count_only = args[:1] == ["--count"]
    if count_only:
        args = args[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    rows = place(args[0], args[1], count_only)
    print("| file | function | ioctl, open, close sites | QEMU's lines | ours |")
    print("|---|---|---:|---:|---:|")
    tq = to = 0
    for target, name, ioctls, q, o in rows:
        tq += q
        to += o
        print("| %s | %s | %s | %d | %d |" % (
            target, name if ioctls is None else "`%s`" % name,
            "" if ioctls is None else ioctls, q, o))
    print("| | **total** | | **%d** | **%d** |" % (tq, to))


if __name__ == "__main__":
    main()
