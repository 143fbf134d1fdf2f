#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# nestioctl's frame, hermetically: exit status 0 / 1 / 2, --help and
# --version for the tool and every command, usage errors, and the sysfs
# commands (list, vfio-bind, vfio-unbind) against a made-up sysfs tree
# (NESTIOCTL_SYSFS_ROOT): an IOMMU group with devices on host drivers is
# refused before anything is written. --json output is checked with
# python3 where it is installed.
#
# Run by `make check` with top_srcdir and top_builddir exported. Exit 0
# pass, 1 fail.

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(dirname "$0")/../..}
T=$top_builddir/tools/nestioctl
# expect, has, err, json_lines, finish: shared with the guest shell tests
. "$top_srcdir/tests/cli/lib.sh"

json_ok() {	# stdout of the last command: every line one JSON document
	json_lines
	command -v python3 >/dev/null 2>&1 || return 0
	python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no output"
for l in lines:
    json.loads(l)
' "$tmp/out" || err "not JSON, one document per line: $(cat "$tmp/out")"
}

# json_eq PY-EXPR VALUE: the expression on the (single) document d
json_eq() {
	command -v python3 >/dev/null 2>&1 || return 0
	got=$(python3 -c 'import json, sys
d = json.loads(open(sys.argv[1]).read())
print(json.dumps(eval(sys.argv[2])))' "$tmp/out" "$1") || { err "json: $1"; return; }
	[ "$got" = "$2" ] || err "json $1 is $got, not $2"
}

# ---- the tool ----
expect 0 "$T" --help
has out '^Usage: nestioctl \[OPTIONS\] COMMAND'
has out 'vfio-bind'
has out 'Exit status: 0 success, 1 failure, 2 usage error'
expect 0 "$T" -h
expect 0 "$T" --version
has out '^nestioctl [0-9][0-9.]*$'
expect 0 "$T" -V
expect 2 "$T"
has err 'no command given'
has err "Try 'nestioctl --help'"
expect 2 "$T" no-such-command
has err "unknown command 'no-such-command'"
expect 2 "$T" --no-such-option list
has err "invalid option '--no-such-option'"
expect 2 "$T" -x list
has err "invalid option '-x'"

# ---- every command: --help, -h, a bad option, a wrong argument count ----
for c in list vfio-bind vfio-unbind caps check probe ranges monitor run exec features info; do
	expect 0 "$T" "$c" --help
	case $c in
	features) has out '^Usage: nestioctl probe' ;;
	info) has out '^Usage: nestioctl caps' ;;
	*) has out "^Usage: nestioctl $c" ;;
	esac
	has out '[-]-json'
	expect 0 "$T" "$c" -h
	expect 2 "$T" "$c" --no-such-option
	has err "nestioctl: $c: invalid option '--no-such-option'"
	has err "Try 'nestioctl $c --help'"
done
for c in list probe monitor features; do
	expect 2 "$T" "$c" extra
	has err "unexpected argument 'extra'"
done
for c in vfio-bind vfio-unbind caps ranges info; do
	expect 2 "$T" "$c"
	has err 'missing argument'
	expect 2 "$T" "$c" a b
done
expect 2 "$T" check 0000:00:03.0
has err '[-]-model is required'
expect 2 "$T" check 0000:00:03.0 --model nosuch
has err "unknown model 'nosuch'"
expect 2 "$T" check 0000:00:03.0 --model vtd --want nosuch
has err "unknown capability 'nosuch'"
expect 2 "$T" check 0000:00:03.0 --model vtd --pasid-bits 65
expect 2 "$T" check 0000:00:03.0 --model
has err "option '--model' needs an argument"
expect 2 "$T" vfio-bind --timeout 0 0000:00:03.0
expect 2 "$T" vfio-bind --timeout x 0000:00:03.0
expect 2 "$T" vfio-bind 00:20.0
has err "'00:20.0' is not a PCI address"
expect 2 "$T" vfio-unbind 0000:00:03.8

# ---- no /dev/iommu here: a failure, not a usage error ----
if [ ! -e /dev/iommu ]; then
	expect 1 "$T" probe
	has err '/dev/iommu'
	expect 1 "$T" features
	expect 1 "$T" caps 0000:00:03.0
	expect 1 "$T" check 0000:00:03.0 --model vtd
fi

# ---- exec: fds put where asked, nothing else inherited (character
# devices stand in for VFIO cdevs: the cdev is not bound, so any will do) ----
fds='for n in "$@"; do
	echo "fd $n -> $(readlink /proc/$$/fd/$n)"
	fl=$(sed -n "s/^flags:[[:space:]]*//p" /proc/$$/fdinfo/$n)
	[ "$(( 0$fl & 02000000 ))" = 0 ] && echo "fd $n inherited" || echo "fd $n cloexec"
done
cd /proc/$$/fd && for f in *; do [ -e "$f" ] && [ "$f" -gt 2 ] && echo "open $f"; done
exit 0'
expect 0 "$T" exec --device /dev/null=5 --device /dev/zero=3 -- sh -c "$fds" sh 5 3 7</dev/null
has out '^fd 5 -> /dev/null$'
has out '^fd 3 -> /dev/zero$'
has out '^fd 5 inherited$'
has out '^fd 3 inherited$'
[ "$(grep -c '^open ' "$tmp/out")" = 2 ] || err "fds other than 3 and 5: $(cat "$tmp/out")"
hasnt out '^open 7$'
expect 0 "$T" exec -- sh -c 'echo "args: $*"' sh -v --json
has out '^args: -v --json$'
expect 2 "$T" exec --device /dev/null=4 --device /dev/zero=4 -- true
has err 'fd 4 is requested twice'
for n in 0 1 2 -3 x 4x ""; do
	expect 2 "$T" exec --device "/dev/null=$n" -- true
	has err 'not an fd number of 3 or more'
done
expect 2 "$T" exec --device /dev/null -- true
has err "'/dev/null' is not DEVICE=FD"
expect 2 "$T" exec --device /dev/null=4
has err 'no program given'
expect 1 "$T" exec --device /dev/nestio-no-such=4 -- sh -c 'echo ran'
has err '/dev/nestio-no-such: No such file or directory'
hasnt out ran
expect 1 "$T" exec --device /etc/passwd=4 -- true	# read as a sysfs dir
has err '/etc/passwd: Not a directory'
expect 1 "$T" exec --device /dev/null=4 -- /nonexistent/program
has err '/nonexistent/program: No such file or directory'
if [ ! -e /dev/iommu ]; then
	expect 1 "$T" exec --iommufd 3 -- sh -c 'echo ran'
	has err '/dev/iommu'
	hasnt out ran
fi

# ---- sysfs commands on a made-up tree ----
S=$tmp/sys
mkdev() {	# mkdev BDF VENDOR DEVICE DRIVER|- GROUP|- IOMMU|- CDEV|-
	d=$S/devices/pci0000:00/$1
	mkdir -p "$d" "$S/bus/pci/devices"
	ln -s "../../../devices/pci0000:00/$1" "$S/bus/pci/devices/$1"
	echo "$2" >"$d/vendor"
	echo "$3" >"$d/device"
	: >"$d/driver_override"
	if [ "$4" != - ]; then
		mkdir -p "$S/bus/pci/drivers/$4"
		ln -s "../../../bus/pci/drivers/$4" "$d/driver"
	fi
	if [ "$5" != - ]; then
		mkdir -p "$S/kernel/iommu_groups/$5/devices"
		ln -s "../../../../kernel/iommu_groups/$5" "$d/iommu_group"
		ln -s "../../../../devices/pci0000:00/$1" "$S/kernel/iommu_groups/$5/devices/$1"
	fi
	if [ "$6" != - ]; then
		mkdir -p "$S/devices/virtual/iommu/$6"
		ln -s "../../virtual/iommu/$6" "$d/iommu"
	fi
	[ "$7" = - ] || mkdir -p "$d/vfio-dev/$7"
}
mkdev 0000:00:00.0 0x8086 0x29c0 - - - -
mkdev 0000:00:03.0 0x1234 0x11e8 vfio-pci 3 dmar0 vfio0
mkdev 0000:00:1f.0 0x8086 0x2918 lpc_ich 7 dmar0 -
mkdev 0000:00:1f.2 0x8086 0x2922 ahci 7 dmar0 -
mkdev 0000:00:1f.3 0x8086 0x2930 - 7 dmar0 -
mkdir -p "$S/bus/pci/drivers/vfio-pci"
export NESTIOCTL_SYSFS_ROOT=$S

expect 0 "$T" list
has out '^BDF  *ID  *DRIVER  *GROUP  *IOMMU  *CDEV$'
has out '^0000:00:03.0  *1234:11e8  *vfio-pci  *3  *dmar0  */dev/vfio/devices/vfio0$'
[ "$(wc -l <"$tmp/out")" = 2 ] || err "list shows more than the vfio-pci device"
expect 0 "$T" list --all
[ "$(wc -l <"$tmp/out")" = 6 ] || err "list --all does not show all five devices"
has out '^0000:00:00.0  *8086:29c0  *-  *-  *-  *-$'
has out '^0000:00:1f.2  *8086:2922  *ahci  *7  *dmar0  *-$'
expect 0 "$T" --json list
json_ok
json_eq 'len(d["devices"])' 1
json_eq 'd["devices"][0]' '{"bdf": "0000:00:03.0", "vendor": "1234", "device": "11e8", "driver": "vfio-pci", "iommu_group": "3", "iommu": "dmar0", "cdev": "/dev/vfio/devices/vfio0"}'
expect 0 "$T" list --all --json
json_ok
json_eq '[x["bdf"] for x in d["devices"]]' '["0000:00:00.0", "0000:00:03.0", "0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3"]'
json_eq 'd["devices"][0]["driver"]' null

# the group of 00:1f.3 has two devices on host drivers: refused, named,
# and nothing written
expect 1 "$T" vfio-bind 00:1f.3
has err 'refused: IOMMU group 7 also holds devices on host drivers'
has err '0000:00:1f.0 (lpc_ich)'
has err '0000:00:1f.2 (ahci)'
[ ! -s "$S/devices/pci0000:00/0000:00:1f.3/driver_override" ] ||
	err "a refused vfio-bind wrote driver_override"
[ ! -e /run/nestioctl/0000:00:1f.3 ] || err "a refused vfio-bind left a state file"
# no IOMMU group: VFIO cannot take it
expect 1 "$T" vfio-bind 0000:00:00.0
has err 'not behind an IOMMU'
expect 1 "$T" vfio-bind 0000:00:04.0
has err '0000:00:04.0: no such PCI device'
# already on vfio-pci: nothing to do
expect 0 "$T" vfio-bind 0000:00:03.0
has out '^0000:00:03.0: driver vfio-pci (was vfio-pci), cdev /dev/vfio/devices/vfio0, unchanged$'
expect 0 "$T" --json vfio-bind 0000:00:03.0
json_ok
json_eq 'd' '{"bdf": "0000:00:03.0", "driver": "vfio-pci", "previous_driver": "vfio-pci", "cdev": "/dev/vfio/devices/vfio0", "changed": false}'
expect 1 "$T" vfio-unbind 0000:00:1f.2
has err '0000:00:1f.2: not bound to vfio-pci (driver: ahci)'

finish
