#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# nestioctl run's errors and signals (both VMs): a script error names its
# file, line, command and the errno in words, and exits 1; a script that
# does not parse runs nothing; on an error or a signal every object is
# released (the iommufd's objects with the process); --keep holds the
# objects until SIGTERM; usage errors exit 2.
set -u
out=/tmp/run-err.out err=/tmp/run-err.err s=/tmp/err.nestio
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1; }
errhas() { grep -qF -- "$1" "$err" || fail "stderr lacks: $1"; }

# usage
nestioctl run a b >"$out" 2>"$err"; [ $? = 2 ] || fail "two scripts: not exit 2"
nestioctl run --bogus x >"$out" 2>"$err"; [ $? = 2 ] || fail "a bad option: not exit 2"
nestioctl run /nonexistent.nestio >"$out" 2>"$err"; [ $? = 1 ] || fail "no such script: not 1"
errhas "/nonexistent.nestio: No such file or directory"

# a parse error anywhere: nothing runs, the line is named
printf 'io = ioas\nb = mem 4K\nattach b io\n' >"$s"
nestioctl run "$s" >"$out" 2>"$err"; [ $? = 1 ] || fail "parse error: not exit 1"
[ -s "$out" ] && fail "a script that does not parse ran"
errhas "nestioctl: $s: line 3: attach: 'b' is a mem, not a DEVICE"
printf 'io = ioas\nrelease io\nr = map io io\n' >"$s"
nestioctl run "$s" >"$out" 2>"$err"; [ $? = 1 ] || fail "use after release: not 1"
errhas "line 3: map: 'io' was released at line 2"
printf 'b = mem 4K\npoke b 0 1 width=16\n' >"$s"
nestioctl run "$s" >"$out" 2>"$err"; [ $? = 1 ] || fail "bad width: not 1"
errhas "line 2: poke: width: '16' is none of 1, 2, 4, 8"
printf 'io = ioas\n\000\n' >"$s"
nestioctl run "$s" >"$out" 2>"$err"; [ $? = 1 ] || fail "NUL byte: not 1"
errhas "line 2: a NUL byte at column 1"

# a run-time error: line, command, errno in words; exit 1; what the
# script made is released (the same names work again in a new run)
cat >"$s" <<'END'
io = ioas
dev = mock io
p = hwpt dev io flags=nest-parent
attach dev p pasid=0x10
END
nestioctl run "$s" >"$out" 2>"$err"; rc=$?
cat "$out" "$err"
[ "$rc" = 1 ] || fail "run-time error: exit status $rc"
grep -qE '^hwpt p id=[0-9]+ type=paging flags=0x1$' "$out" || fail "no hwpt line"
# (the errno in words: what strerror gives, whichever the kernel chose)
grep -qE "^nestioctl: $s: line 4: attach: [A-Z][a-z]+( [a-z]+)*\$" "$err" ||
	fail "run-time error not named by line, command and errno"
nestioctl --json run "$s" >"$out" 2>"$err"
grep -qE '^\{"line":4,"verb":"attach","error":"[A-Za-z ]+","errno":[0-9]+\}$' "$out" ||
	fail "--json: no error object"
# exec hands over fds: a mock device has none, so naming it is an error
# (the program does not start with a "-1" for an fd)
printf 'io = ioas\ndev = mock io\nexec echo {dev}\n' >"$s"
nestioctl run "$s" >"$out" 2>"$err"; [ $? = 1 ] || fail "exec {mockdev}: not 1"
errhas "line 3: exec: dev has no fd to hand over"
grep -q -- '-1' "$out" && fail "exec {mockdev} started the program"
# a step that must fail and does not
printf 'b = mem 4K\n! fill b 0 4 1\n' >"$s"
nestioctl run "$s" >"$out" 2>"$err"; [ $? = 1 ] || fail "'!' on a success: not 1"
errhas "line 2: fill: succeeded, but '!' says it must fail"

# --keep: the objects live until SIGTERM, then go; exit 0
printf 'io = ioas\ndev = mock io\necho ready {io.id}\n' >"$s"
nestioctl run --keep "$s" >"$out" 2>"$err" &
pid=$!
i=0
while ! grep -q "keeping" "$err" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "--keep never said it keeps"; sleep 0.1
done
errhas "nestioctl: keeping 2 objects until SIGINT or SIGTERM (pid $pid)"
grep -qE '^ready [0-9]+$' "$out" || fail "--keep: the script did not run"
kill -TERM "$pid"
wait "$pid"; rc=$?
[ "$rc" = 0 ] || fail "--keep then SIGTERM: exit status $rc"

# a signal in the middle of a script: released, exit 1
printf 'io = ioas\ndev = mock io\nv = mem 4K\necho waiting\nexec sleep 30\necho never\n' >"$s"
nestioctl run "$s" >"$out" 2>"$err" &
pid=$!
i=0
while ! grep -q "waiting" "$out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the script never started"; sleep 0.1
done
sleep 0.3
kill -INT "$pid"
wait "$pid"; rc=$?
[ "$rc" = 1 ] || fail "SIGINT: exit status $rc"
grep -q never "$out" && fail "the script went on after SIGINT"
errhas "line 5: exec: stopped by Interrupt"
echo "PASS"
