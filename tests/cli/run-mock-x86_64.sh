#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# nestioctl run: the example script of the whole nested flow on the
# IOMMUFD_TEST mock (examples/mock-nested.nestio), text and --json, field
# by field: nest parent, vIOMMU, vDEVICE, nested at the RID and at a PASID,
# a binding, an invalidation batch with a bad entry in the middle reported
# with the rest kept, a vEVENT, a page request answered.
set -u
script=${NESTIO_EXAMPLES:-/examples}/mock-nested.nestio
out=/tmp/run-mock.out err=/tmp/run-mock.err
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1; }
# a line of the output matching an extended regular expression
has() { grep -qE -- "$1" "$out" || fail "no line matching: $1"; }

nestioctl run "$script" >"$out" 2>"$err"
rc=$?
cat "$out"
[ "$rc" = 0 ] || fail "exit status $rc"
[ -s "$err" ] && fail "stderr is not empty"
has '^ioas io id=[0-9]+$'
has '^mock dev dev_id=[0-9]+$'
has '^hwpt parent id=[0-9]+ type=paging flags=0x1$'
has '^viommu vi id=[0-9]+ type=0xdeadbeef$'
has '^vdevice vdev id=[0-9]+ virt_id=0x42$'
has '^fault faults id=[0-9]+ fd=[0-9]+$'
has '^nested rid id=[0-9]+ type=nested flags=0x4$'
has '^attach dev to=rid pt_id=[0-9]+ at=rid$'
has '^nested pasid1 id=[0-9]+ type=nested flags=0x4$'
has '^attach dev to=pasid1 pt_id=[0-9]+ pasid=1$'
has '^bind table device=dev pasid=2 hwpt_id=[0-9]+$'
has '^push q pending=3$'
# the bad entry in the middle: one sent, entry 1 failed, two kept
has '^flush q sent=1 ioctls=1 failed=1 error="Invalid argument" kept=2$'
has '^flush failed as expected: entry 1 failed: Invalid argument; 2 kept$'
has '^discard q discarded=1 kept=1$'
has '^flush q sent=1 ioctls=1$'
has '^flush vq sent=1 ioctls=1$'
has '^vevent events seq=0 lost=0 len=4 virt_id=0x42 data0=0x42$'
has '^wait events events=1$'
has '^fault faults dev_id=[0-9]+ pasid=1 grpid=3 addr=0x7000 perm=read,write cookie=[0-9]+ last=yes$'
has '^wait faults events=1$'
has '^respond faults cookie=[0-9]+ code=success$'
has '^vevent events seq=1 lost=0 len=4 virt_id=0x42 data0=0x42$'
has '^monitor events=1$'
has '^unbind table device=dev pasid=2$'
# the ids agree: the pasid1 hwpt is what PASID 1 was attached to
id=$(sed -n 's/^nested pasid1 id=\([0-9]*\) .*/\1/p' "$out")
has "^attach dev to=pasid1 pt_id=$id pasid=1\$"
# the page request's cookie is the one answered
c=$(sed -n 's/^fault faults .* cookie=\([0-9]*\) .*/\1/p' "$out")
has "^respond faults cookie=$c code=success\$"

nestioctl --json run "$script" >"$out" 2>"$err"
rc=$?
[ "$rc" = 0 ] || fail "--json: exit status $rc"
# every line is one JSON object
grep -vqE '^\{.*\}$' "$out" && fail "--json: a line that is not an object"
has '^\{"line":10,"verb":"mock","name":"dev","dev_id":[0-9]+\}$'
has '^\{"line":11,"verb":"hwpt","name":"parent","id":[0-9]+,"type":"paging","flags":"0x1"\}$'
has '^\{"line":13,"verb":"vdevice","name":"vdev","id":[0-9]+,"virt_id":"0x42"\}$'
has '^\{"line":21,"verb":"attach","name":"dev","to":"pasid1","pt_id":[0-9]+,"pasid":1\}$'
has '^\{"line":32,"verb":"flush","name":"q","sent":1,"ioctls":1,"failed":1,"error":"Invalid argument","kept":2\}$'
has '^\{"line":32,"verb":"flush","expected_failure":true,"error":"entry 1 failed: Invalid argument; 2 kept","errno":22\}$'
has '^\{"line":33,"verb":"discard","name":"q","discarded":1,"kept":1\}$'
has '^\{"line":34,"verb":"flush","name":"q","sent":1,"ioctls":1\}$'
has '^\{"line":45,"verb":"wait","event":"vevent","queue":"events","seq":0,"lost":0,"len":4,"virt_id":"0x42","data":\["0x42"\]\}$'
has '^\{"line":47,"verb":"wait","event":"fault","queue":"faults","dev_id":[0-9]+,"pasid":1,"grpid":3,"addr":"0x7000","perm":"read,write","cookie":[0-9]+,"last":"yes"\}$'
has '^\{"line":48,"verb":"respond","name":"faults","cookie":[0-9]+,"code":"success"\}$'
has '^\{"line":51,"verb":"monitor","event":"vevent","queue":"events","seq":1,"lost":0,"len":4,"virt_id":"0x42","data":\["0x42"\]\}$'
has '^\{"line":51,"verb":"monitor","events":1\}$'
echo "PASS"
