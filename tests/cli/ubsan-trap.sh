#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The guests' binaries (test programs, nestioctl, helpers) are built with
# UBSan in trap mode (tests/vm/run, --enable-sanitizers=undefined-trap), so
# undefined behaviour kills a test instead of passing unnoticed. Proof that
# the build really is so (both VMs): ub-trap 0 is defined and prints
# INT_MAX; ub-trap 1 overflows a signed int and must die of SIGILL
# (x86_64: ud2) or SIGTRAP (arm64: brk) before it prints anything.
. /share/cli-lib.sh

case "$(uname -m)" in
x86_64) sig=4 ;;	# SIGILL
aarch64) sig=5 ;;	# SIGTRAP
*) err "no trap signal known for $(uname -m)"; sig=0 ;;
esac
expect 0 ub-trap 0
has out '^2147483647$'
expect $((128 + sig)) ub-trap 1
hasnt out .
finish
