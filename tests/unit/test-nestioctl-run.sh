#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# nestioctl run, hermetically (no /dev/iommu needed: a script of memory
# steps opens none): the interpreter's memory steps and their output in
# text and --json, script errors naming line, command and errno, the
# exit statuses, and the hand-off's fds: a child given one memfd by name
# has exactly 0, 1, 2 and that fd (this script leaves fd 7 open, without
# close-on-exec, to nestioctl: it must not reach the child).
#
# Run by `make check` with top_builddir exported. Exit 0 pass, 1 fail.
top_builddir=${top_builddir:-.}
T=$top_builddir/tools/nestioctl
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
err() { echo "FAIL: $*" >&2; fail=1; }
has() { grep -qE -- "$1" "$tmp/out" || err "no line /$1/ in: $(cat "$tmp/out")"; }
errhas() { grep -qF -- "$1" "$tmp/err" || err "stderr lacks '$1': $(cat "$tmp/err")"; }

cat >"$tmp/s" <<'END'
b = mem 8K memfd=on
fill b 0 4K 0x10 step=3
check b 0 4K 0x10 step=3
poke b 0x1000 0x1122334455667788 0xab width=8
expect b 0x1000 0x1122334455667788 0xab
peek b 0x1000 count=2 width=4
compare b 0x1000 b 0x1000 16
! expect b 0x1000 0x88 width=2
exec sh -c "ls /proc/self/fd > $TMPD/fds; exit 0" {b}
echo done {b} {{}}
release b
END
TMPD=$tmp; export TMPD
"$T" run "$tmp/s" 7</dev/null >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 0 ] || err "the memory script exited $rc: $(cat "$tmp/err")"
has '^mem b size=0x2000 backing=memfd fd=[0-9]+$'
has '^fill b offset=0x0 length=0x1000$'
has '^check b offset=0x0 length=0x1000$'
has '^poke b offset=0x1000 width=8 count=2$'
has '^peek b offset=0x1000 width=4 values=0x55667788,0x11223344$'
has '^compare b with=b length=0x10 result=equal$'
has '^expect failed as expected: at 0x1000: 0x7788, expected 0x88$'
has '^exec program=sh argv="sh -c ls /proc/self/fd > .* exit 0 [0-9]+" pid=[0-9]+ status=0$'
has '^release b$'
fd=$(sed -n 's/^mem b .* fd=\([0-9]*\)$/\1/p' "$tmp/out")
has "^done $fd \\{\\}\$"
# the child's fds: 0, 1, 2, the memfd, and the one ls reads /proc/self/fd with
grep -qx 7 "$tmp/fds" && err "fd 7 reached the child"
[ "$(grep -c . "$tmp/fds")" = 5 ] || err "the child had fds $(tr '\n' ' ' <"$tmp/fds")"
for f in 0 1 2 "$fd"; do grep -qx "$f" "$tmp/fds" || err "fd $f did not reach the child"; done

"$T" --json run "$tmp/s" >"$tmp/out" 2>"$tmp/err" || err "--json exited $?"
has '^\{"line":1,"verb":"mem","name":"b","size":"0x2000","backing":"memfd","fd":[0-9]+\}$'
has '^\{"line":6,"verb":"peek","name":"b","offset":"0x1000","width":4,"values":\["0x55667788","0x11223344"\]\}$'
has '^\{"line":8,"verb":"expect","expected_failure":true,"error":"at 0x1000: 0x7788, expected 0x88","errno":5\}$'
has '^\{"line":10,"verb":"echo","text":"done [0-9]+ \{\}"\}$'

# errors: the line, the command, the errno in words; exit 1
printf 'b = mem 4K\ncheck b 4K 1 0\n' >"$tmp/s"
"$T" run "$tmp/s" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] || err "out of range: exit $rc"
errhas "$tmp/s: line 2: check: [0x1000, +0x1) is outside b (0x1000 bytes)"
printf 'b = mem 4K file=%s/no/such/dir\n' "$tmp" >"$tmp/s"
"$T" run "$tmp/s" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] || err "no such file: exit $rc"
errhas "line 1: mem: $tmp/no/such/dir: No such file or directory"
printf 'b = mem 4K\nexec sh -c "exit 4"\necho after\n' >"$tmp/s"
"$T" run "$tmp/s" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] || err "a failing child: exit $rc"
errhas "line 2: exec: sh exited with status 4"
grep -q after "$tmp/out" && err "the script went on after an error"
printf 'b = mem 4K\nfrob b\n' >"$tmp/s"
"$T" run "$tmp/s" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] || err "unknown verb: exit $rc"
[ -s "$tmp/out" ] && err "a script that does not parse ran"
errhas "$tmp/s: line 2: unknown verb 'frob'"
# standard input, checked as it runs
printf 'b = mem 4K\nfill b 0 1 1\nfrob\n' | "$T" run - >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] || err "stdin: exit $rc"
has '^fill b offset=0x0 length=0x1$'
errhas "stdin: line 3: unknown verb 'frob'"
# usage
"$T" run a b >/dev/null 2>&1; [ $? = 2 ] || err "two scripts: not exit 2"
"$T" run --help >"$tmp/out" 2>&1 || err "run --help failed"
exit $fail
