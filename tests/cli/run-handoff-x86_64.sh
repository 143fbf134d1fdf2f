#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# nestioctl run's hand-off to a VMM: `exec` starts a program with the
# iommufd and the edu cdev inherited and their numbers in its arguments.
# The child (fd-check) proves both work (an IOAS on the iommufd,
# VFIO_DEVICE_GET_INFO on the cdev) and that no other fd reached it, while
# the script holds more: a memfd, a file, a fault queue, and an fd this
# shell leaves open without close-on-exec.
set -u
out=/tmp/run-handoff.out err=/tmp/run-handoff.err s=/tmp/handoff.nestio
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1; }
has() { grep -qE -- "$1" "$out" || fail "no line matching: $1"; }
[ -n "${NESTIO_EDU_BDF:-}" ] || { echo "no edu device"; exit 1; }

cat >"$s" <<'END'
dev = device ${NESTIO_EDU_BDF}
io = ioas
attach dev io
buf = mem 64K memfd=on
file = mem 4K file=/tmp/handoff.mem
faults = fault
echo iommufd={ctx} cdev={dev} memfd={buf} file={file} faultfd={faults}
exec fd-check {ctx} {dev}
END
# fd 7: open here, inherited by nestioctl, not named by the script
nestioctl run "$s" >"$out" 2>"$err" 7</dev/null
rc=$?
cat "$out"
[ "$rc" = 0 ] || fail "exit status $rc"
ifd=$(sed -n 's/^iommufd=\([0-9]*\) .*/\1/p' "$out")
dfd=$(sed -n 's/^.* cdev=\([0-9]*\) .*/\1/p' "$out")
[ -n "$ifd" ] && [ -n "$dfd" ] && [ "$ifd" != "$dfd" ] || fail "no fd numbers"
has "^exec program=fd-check argv=\"fd-check $ifd $dfd\" pid=[0-9]+ status=0\$"
has "^fd-check: unexpected fds: 0\$"
has "^fd-check: iommufd $ifd: ioas [0-9]+\$"
has "^fd-check: cdev $dfd: [0-9]+ regions, pci yes\$"
# exactly 0, 1, 2 and the two named fds
n=$(sed -n 's/^fd-check: open fds://p' "$out" | wc -w)
[ "$n" = 5 ] || fail "the child had $n fds open"
for fd in 0 1 2 "$ifd" "$dfd"; do
	sed -n 's/^fd-check: open fds://p' "$out" | grep -qw "$fd" || fail "fd $fd was not open"
done

# --json: the hand-off step, field by field
nestioctl --json run "$s" >"$out" 2>"$err" 7</dev/null
rc=$?
[ "$rc" = 0 ] || fail "--json: exit status $rc"
has '^\{"line":7,"verb":"echo","text":"iommufd=[0-9]+ cdev=[0-9]+ memfd=[0-9]+ file=[0-9]+ faultfd=[0-9]+"\}$'
has '^\{"line":8,"verb":"exec","program":"fd-check","argv":\["fd-check","[0-9]+","[0-9]+"\],"pid":[0-9]+,"status":0\}$'

# a child's failure is the script's: exit status named, objects released
printf 'dev = device ${NESTIO_EDU_BDF}\nexec sh -c "exit 3"\n' >"$s"
nestioctl run "$s" >"$out" 2>"$err"
rc=$?
[ "$rc" = 1 ] || fail "a failing child: exit status $rc"
grep -q "^nestioctl: $s: line 2: exec: sh exited with status 3\$" "$err" ||
	fail "a failing child: no error naming line 2"
has '^exec program=sh argv="sh -c exit 3" pid=[0-9]+ status=3$'
# the device was released: it opens again
printf 'dev = device ${NESTIO_EDU_BDF}\n' >"$s"
nestioctl run "$s" >"$out" 2>"$err" || fail "the device did not open again"
rm -f /tmp/handoff.mem
echo "PASS"
