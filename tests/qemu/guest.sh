#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The QEMU tier, in the x86_64 test VM (installed as /late/qemu-port.sh,
# which /init runs after every other test, with the ported QEMU in
# /opt/qemu): QEMU 10.0 with its iommufd backend
# ported onto libnestio runs with the qtest accelerator, the VM's edu
# (bound to vfio-pci) passed through with -object iommufd, and our qtest
# client (tests/qemu/qtest-edu.c) plays the guest: edu DMA through QEMU's
# mappings, then through an intel-iommu in that QEMU whose second-level
# tables the client builds and churns (caching mode: QEMU maps and unmaps
# each change through the backend). Every script runs twice on the same
# binary, QEMU's own code (NESTIO_QEMU_STOCK=1) and the port, and the two
# transcripts must be identical; the port must really have gone through
# libnestio (its debug log names the ioctls) and stock must not have.
# After each run no process may hold /dev/iommu or the cdev, and the
# device binds again. Two pairs end by ejecting the device (QEMU's
# teardown through the backend); the last gets its iommufd and cdev from
# `nestioctl exec`, as management software hands them over.
set -u
. /share/cli-lib.sh

q=/opt/qemu/bin/qemu-system-x86_64
bdf=${NESTIO_EDU_BDF:-}
[ -n "$bdf" ] || { echo "FAIL: no edu device bound to vfio-pci"; exit 1; }
[ -x "$q" ] || { echo "FAIL: no $q in this VM"; exit 1; }
cdev=/dev/vfio/devices/$(ls "/sys/bus/pci/devices/$bdf/vfio-dev")
base="-accel qtest -M q35 -nodefaults -display none -m 128M -L /opt/qemu/share"
viommu="-device intel-iommu,caching-mode=on"
pass="-object iommufd,id=io0 -device vfio-pci,host=$bdf,iommufd=io0,id=edu"
# behind a PCIe root port, which the client ejects edu from (ACPI hotplug,
# as a guest's _EJ0 does): QEMU unrealizes the device, and the backend's
# teardown runs (detach, the hwpt's and IOAS's ids freed, unbind,
# disconnect); the client then counts what QEMU still holds
rp="-device pcie-root-port,id=rp0,chassis=1,slot=1"
pass_rp="-object iommufd,id=io0 -device vfio-pci,host=$bdf,iommufd=io0,id=edu,bus=rp0"
handed_rp="-object iommufd,id=io0,fd=10 -device vfio-pci,fd=11,iommufd=io0,id=edu,bus=rp0"

# holders: the pids that have /dev/iommu or the cdev open
holders() {
	for f in /proc/[0-9]*/fd/*; do
		case "$(readlink "$f" 2>/dev/null)" in
		/dev/iommu|"$cdev") p=${f#/proc/}; echo "${p%%/*}" ;;
		esac
	done | sort -u | tr '\n' ' '
}

# pair NAME CLIENT-ARGS -- QEMU-ARGS: the script on stock QEMU, then on
# the port; [handed] before NAME runs both under nestioctl exec
pair() {
	wrap=
	[ "$1" = handed ] && { wrap="nestioctl exec --iommufd 10 --device $bdf=11 --"; shift; }
	name=$1; shift
	for mode in stock port; do
		stock=0; [ $mode = stock ] && stock=1
		echo "--- $name ($mode)"
		NESTIO_QEMU_STOCK=$stock NESTIO_LOG=debug $wrap qtest-edu "$@" \
			>"$tmp/$name.$mode" 2>"$tmp/$name.$mode.err"
		rc=$?
		cat "$tmp/$name.$mode"
		[ "$rc" = 0 ] || err "$name ($mode): qtest-edu exited $rc: $(grep -v "IOAS_MAP\|IOAS_UNMAP" "$tmp/$name.$mode.err" | tail -n 40)"
		grep -qx 'qtest-edu: ok' "$tmp/$name.$mode" || err "$name ($mode): the script did not end ok"
		# the library's debug log: each ioctl it made, by name
		maps=$(grep -c 'libnestio: .*IOMMU_IOAS_MAP ' "$tmp/$name.$mode.err")
		unmaps=$(grep -c 'libnestio: .*IOMMU_IOAS_UNMAP ' "$tmp/$name.$mode.err")
		binds=$(grep -c 'libnestio: .*VFIO_DEVICE_BIND_IOMMUFD' "$tmp/$name.$mode.err")
		destroys=$(grep -c 'libnestio: .*IOMMU_DESTROY .*: ok' "$tmp/$name.$mode.err")
		# QEMU's own complaint about a failed unmap (vfio's listener)
		! grep -q 'vfio_container_dma_unmap' "$tmp/$name.$mode.err" ||
			err "$name ($mode): QEMU reported a failed unmap: $(grep vfio_container_dma_unmap "$tmp/$name.$mode.err")"
		if [ $mode = port ]; then
			[ "$binds" -ge 1 ] && [ "$maps" -ge 1 ] ||
				err "$name (port): libnestio made no bind or no map (binds $binds, maps $maps)"
			# the vIOMMU scripts end with translation off: QEMU unmaps
			# [2^63, 2^64), where nothing is mapped; the kernel says
			# ENOENT, and QEMU's rule (success) must hold in the port
			enoent=$(grep -c 'libnestio: .*IOMMU_IOAS_UNMAP .*No such file' "$tmp/$name.$mode.err")
			case "$name" in viommu*)
				[ "$enoent" -ge 1 ] ||
					err "$name (port): no unmap of an unmapped range reached the kernel" ;;
			esac
			# ejected: the hwpt and the IOAS destroyed through the library
			# (the client's own IOAS on a handed-over fd is one more)
			case "$name" in *eject*)
				[ "$destroys" -ge 2 ] ||
					err "$name (port): the teardown destroyed $destroys objects, not the hwpt and the IOAS" ;;
			esac
			echo "NESTIO-REL qemu.$name.port maps $maps unmaps $unmaps (of nothing mapped: $enoent) binds $binds destroys $destroys"
		else
			[ "$binds$maps$unmaps" = 000 ] ||
				err "$name (stock): libnestio was called ($binds binds, $maps maps)"
		fi
		# the cdev's release (the unbind) lags QEMU's close() a little:
		# how many tries the client needed to see the iommufd empty
		grep 'IOAS id 1 at try' "$tmp/$name.$mode.err" || true
		h=$(holders)
		[ -z "$h" ] || err "$name ($mode): still open after QEMU ended, by pids $h"
		expect 0 nestioctl caps "$bdf"
	done
	if cmp -s "$tmp/$name.stock" "$tmp/$name.port"; then
		echo "$name: stock and port transcripts identical ($(wc -l <"$tmp/$name.port") lines)"
	else
		err "$name: stock and port differ: $(diff "$tmp/$name.stock" "$tmp/$name.port")"
	fi
}

t0=$(date +%s)
# 1. on the root bus, no vIOMMU: QEMU maps guest RAM, the client DMAs
pair dma -- "$q" $base $pass
# 2. vIOMMU, behind a root port, ejected at the end: QEMU closes the cdev
#    and its own /dev/iommu (the client checks: 0 and 0)
pair viommu-eject --viommu --root-port --eject -- "$q" $base $viommu $rp $pass_rp
# 3. the same with the iommufd and the cdev from nestioctl exec: after the
#    eject QEMU still holds the iommufd it was given (not its own) and the
#    client, taking it from QEMU (pidfd_getfd), finds no object left in it
#    (a new IOAS gets id 1)
pair handed viommu-eject-handed --viommu --churn 8 --root-port --eject --iommufd-fd 10 -- \
	"$q" $base $viommu $rp $handed_rp

# and the check can fail: a script that skips the invalidation after a map
# leaves caching-mode QEMU without that mapping, so its DMA must not land
echo "--- viommu, no invalidation after a map (port): must fail"
NESTIO_QEMU_STOCK=0 qtest-edu --viommu --churn 0 --break map-inval -- "$q" $base $viommu $pass \
	>"$tmp/negative" 2>"$tmp/negative.err"
rc=$?
cat "$tmp/negative"
[ "$rc" = 1 ] && grep -q '^qtest-edu: FAILED' "$tmp/negative" ||
	err "a DMA through a mapping QEMU was never told of did not fail (exit $rc)"
[ -z "$(holders)" ] || err "still open after the failed script: $(holders)"
echo "NESTIO-REL qemu.tier seconds $(( $(date +%s) - t0 )) (7 QEMU runs)"
finish
