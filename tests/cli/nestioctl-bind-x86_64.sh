#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A manual bind in the x86_64 VM: vfio-unbind and vfio-bind of edu, with
# sysfs checked after each step (the driver link, driver_override, the
# cdev, the state file), and `nestioctl monitor` watching the cdev go and
# come back. edu has no kernel driver of its own, so "back to the driver
# it came from" is no driver at all. edu ends bound to vfio-pci, as /init
# left it, whatever happens.
. /share/cli-lib.sh

bdf=$NESTIO_EDU_BDF
[ -n "$bdf" ] || { echo "FAIL: no edu device"; exit 1; }
sys=/sys/bus/pci/devices/$bdf
state=/run/nestioctl/$bdf

driver() {	# the driver's name, or "none"
	if [ -e "$sys/driver" ]; then basename "$(readlink "$sys/driver")"; else echo none; fi
}
restore() {	# as /init binds it
	if [ "$(driver)" != vfio-pci ]; then
		echo vfio-pci >"$sys/driver_override"
		echo "$bdf" >/sys/bus/pci/drivers_probe
	fi
}
trap 'restore; rm -rf "$tmp"' EXIT

# sysfs_is DRIVER OVERRIDE CDEV(yes|no)
sysfs_is() {
	[ "$(driver)" = "$1" ] || err "driver is $(driver), not $1"
	[ "$(cat "$sys/driver_override")" = "$2" ] ||
		err "driver_override is '$(cat "$sys/driver_override")', not '$2'"
	if [ "$3" = yes ]; then
		[ -d "$sys/vfio-dev" ] || err "no vfio-dev in sysfs"
	else
		[ ! -e "$sys/vfio-dev" ] || err "vfio-dev still in sysfs"
	fi
}

# /init bound it by hand: vfio-pci, no state file
sysfs_is vfio-pci vfio-pci yes
rm -f "$state"

# 1. unbind with nothing remembered: the kernel may pick a driver; edu
#    has none
expect 0 nestioctl vfio-unbind "$bdf"
has out "^$bdf: driver none (was vfio-pci)\$"
has err 'no record of its driver before vfio-bind'
sysfs_is none '(null)' no

# the monitor watches the rest; it says on stderr when it listens
nestioctl monitor --json >"$tmp/mon" 2>"$tmp/mon-err" &
mon=$!
for _ in $(seq 1 300); do
	grep -q 'monitoring VFIO device cdevs' "$tmp/mon-err" && break
	sleep 0.1
done
grep -q 'monitoring VFIO device cdevs' "$tmp/mon-err" || err "monitor did not start: $(cat "$tmp/mon-err")"

# 2. bind: remembers "no driver", waits for the cdev
expect 0 nestioctl --json vfio-bind "$bdf"
json_lines
jeq bdf "\"$bdf\""
jeq driver '"vfio-pci"'
jeq previous_driver null
jeq changed true
cdev=$(jget cdev | tr -d '"')
echo "$cdev" | grep -q '^/dev/vfio/devices/vfio[0-9][0-9]*$' || err "cdev is '$cdev'"
[ -c "$cdev" ] || err "$cdev is not a character device"
[ "$cdev" = "/dev/vfio/devices/$(ls "$sys/vfio-dev")" ] || err "cdev differs from sysfs"
sysfs_is vfio-pci vfio-pci yes
[ -f "$state" ] && [ "$(cat "$state")" = "" ] || err "state file: $(cat "$state" 2>&1)"
# the device works through the new cdev
expect 0 nestioctl caps "$cdev"
has out '^iommu:  *intel-vtd'

# 3. bind again: nothing to do
expect 0 nestioctl vfio-bind "$bdf"
has out "^$bdf: driver vfio-pci (was vfio-pci), cdev $cdev, unchanged\$"

# 4. unbind: back to no driver, as remembered, no probe
expect 0 nestioctl vfio-unbind --json "$bdf"
json_lines
jeq driver null
jeq previous_driver '"vfio-pci"'
jeq cdev null
hasnt err 'no record'
sysfs_is none '(null)' no
[ ! -e "$state" ] || err "state file left after vfio-unbind"
[ ! -e "$cdev" ] || err "$cdev still exists"
expect 1 nestioctl vfio-unbind "$bdf"
has err "$bdf: not bound to vfio-pci (driver: none)"

# 5. bind in text, with a timeout given
expect 0 nestioctl vfio-bind --timeout 30 "${bdf#0000:}"
has out "^$bdf: driver vfio-pci (was none), cdev /dev/vfio/devices/vfio[0-9]*\$"
sysfs_is vfio-pci vfio-pci yes
cdev2=$(sed -n 's/.*cdev \([^,]*\)$/\1/p' "$tmp/out")

# the monitor saw the cdev come (2), go (4) and come back (5), in order
kill -TERM "$mon"
wait "$mon"
rc=$?
[ "$rc" = 0 ] || err "monitor exited $rc after SIGTERM"
json_lines "$tmp/mon"
cat "$tmp/mon"
grep "\"bdf\":\"$bdf\"" "$tmp/mon" >"$tmp/mon-edu"
[ "$(wc -l <"$tmp/mon-edu")" = 3 ] || err "monitor: not 3 events for edu"
sed -n 1p "$tmp/mon-edu" >"$tmp/ev"; jeq event '"add"' "$tmp/ev"; jeq cdev "\"$cdev\"" "$tmp/ev"
sed -n 2p "$tmp/mon-edu" >"$tmp/ev"; jeq event '"remove"' "$tmp/ev"; jeq cdev "\"$cdev\"" "$tmp/ev"
sed -n 3p "$tmp/mon-edu" >"$tmp/ev"; jeq event '"add"' "$tmp/ev"; jeq cdev "\"$cdev2\"" "$tmp/ev"

# text mode: one line per event
nestioctl monitor >"$tmp/mon" 2>"$tmp/mon-err" &
mon=$!
for _ in $(seq 1 300); do
	grep -q 'monitoring VFIO device cdevs' "$tmp/mon-err" && break
	sleep 0.1
done
expect 0 nestioctl vfio-unbind "$bdf"
expect 0 nestioctl vfio-bind "$bdf"
kill -INT "$mon"
wait "$mon" || err "monitor exited $? after SIGINT"
cat "$tmp/mon"
grep -q "^remove $bdf  */dev/vfio/devices/vfio[0-9]*\$" "$tmp/mon" || err "monitor text: no remove line"
grep -q "^add  *$bdf  */dev/vfio/devices/vfio[0-9]*\$" "$tmp/mon" || err "monitor text: no add line"
sysfs_is vfio-pci vfio-pci yes
finish
