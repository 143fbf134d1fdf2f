#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# nestioctl exec hands a program an iommufd and edu's VFIO cdev (unbound)
# on the fd numbers asked for, as libvirt hands them to QEMU: each fd is
# what it should be and not close-on-exec, nothing else above 2 reaches
# the program (not even an fd this shell leaves open), the program can
# bind the cdev to the iommufd, and bad requests fail with a message.
. /share/cli-lib.sh

bdf=$NESTIO_EDU_BDF
[ -n "$bdf" ] || { echo "FAIL: no edu device"; exit 1; }
sys=/sys/bus/pci/devices/$bdf
cdev=/dev/vfio/devices/$(ls "$sys/vfio-dev")
[ -c "$cdev" ] || { echo "FAIL: no cdev for $bdf ($cdev)"; exit 1; }

# The program (sh -c, so no script file is open in it): for each fd
# number given, what it is and its flags (the shell's own, /proc/$$), then
# every fd it holds above 2. A glob's directory fd is closed before the -e
# test, so it is not listed.
probe=$(cat <<'END'
for n in "$@"; do
	echo "fd $n -> $(readlink /proc/$$/fd/$n)"
	fl=$(sed -n 's/^flags:[[:space:]]*//p' /proc/$$/fdinfo/$n)
	echo "fd $n flags $fl cloexec $(( 0$fl & 02000000 ))"
done
cd /proc/$$/fd || exit 1
for f in *; do
	[ -e "$f" ] && [ "$f" -gt 2 ] && echo "open $f"
done
exit 0
END
)

# exactly these fds above 2 were open in the program
opens() {
	_got=$(sed -n 's/^open //p' "$tmp/out" | sort -n | tr '\n' ' ')
	[ "$_got" = "$* " ] || err "the program had fds '$_got' open above 2, not '$* '"
}

# the iommufd on 5 and the cdev on 9, named by PCI address; fd 7 is left
# open (not close-on-exec) by this shell
expect 0 nestioctl exec --iommufd 5 --device "$bdf=9" -- sh -c "$probe" probe 5 9 7</dev/null
has out '^fd 5 -> /dev/iommu$'
has out "^fd 9 -> $cdev\$"
has out '^fd 5 flags [0-7]* cloexec 0$'
has out '^fd 9 flags [0-7]* cloexec 0$'
opens 5 9
hasnt out '^open 7$'

# the numbers nestioctl's own fds land on first (3 and 4) requested the
# other way round, and every form of DEVICE: the cdev, the sysfs directory
for dev in "$cdev" "$sys" "$bdf"; do
	expect 0 nestioctl exec --device "$dev=3" --iommufd 4 -- sh -c "$probe" probe 3 4
	has out "^fd 3 -> $cdev\$"
	has out '^fd 4 -> /dev/iommu$'
	has out '^fd 3 flags [0-7]* cloexec 0$'
	has out '^fd 4 flags [0-7]* cloexec 0$'
	opens 3 4
done

# a device alone, without an iommufd; high numbers
expect 0 nestioctl exec --device "$bdf=200" -- sh -c "$probe" probe 200
has out "^fd 200 -> $cdev\$"
opens 200

# what a VMM does with them: the cdev arrives unbound and binds to the
# iommufd it came with (twice: the first program's exit let it go)
for i in 1 2; do
	expect 0 nestioctl exec --iommufd 3 --device "$cdev=4" -- fd-check --bind 3 4
	has out '^fd-check: unexpected fds: 0$'
	has out '^fd-check: iommufd 3: ioas [0-9][0-9]*$'
	has out '^fd-check: cdev 4: bound as dev_id [0-9][0-9]*$'
	has out '^fd-check: cdev 4: [0-9][0-9]* regions, pci yes$'
done

# arguments after -- are the program's, options included
expect 0 nestioctl exec --iommufd 3 -- sh -c 'echo "args: $*"' sh -v --help
has out '^args: -v --help$'

# errors: usage (2) or failure (1), always with a message, never the program
for bad in "--iommufd 5 --device $bdf=5" "--device $bdf=4 --device $cdev=4"; do
	# shellcheck disable=SC2086
	expect 2 nestioctl exec $bad -- sh -c 'echo ran'
	has err 'fd [0-9]* is requested twice'
	hasnt out ran
done
for n in 0 1 2 -1 x 3x ""; do
	expect 2 nestioctl exec --device "$bdf=$n" -- sh -c 'echo ran'
	has err "not an fd number of 3 or more"
	hasnt out ran
	expect 2 nestioctl exec --iommufd "$n" -- sh -c 'echo ran'
	has err "not an fd number of 3 or more"
done
expect 2 nestioctl exec --device "$bdf" -- true
has err 'is not DEVICE=FD'
expect 2 nestioctl exec --iommufd 3
has err 'no program given'
expect 1 nestioctl exec --iommufd 3 --device 0000:00:1f.6=4 -- sh -c 'echo ran'
has err '0000:00:1f.6: no VFIO device cdev'
hasnt out ran
expect 1 nestioctl exec --device /dev/vfio/devices/vfio-none=4 -- sh -c 'echo ran'
has err 'vfio-none: No such file or directory'
expect 1 nestioctl exec --iommufd 3 -- /nonexistent/program
has err '/nonexistent/program: No such file or directory'
finish
