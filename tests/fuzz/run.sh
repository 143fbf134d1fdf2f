#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs libFuzzer targets (built by `make fuzz` / `make fuzz-smoke`) for a
# while each, from the committed corpus and dictionary, and prints per
# target: NESTIO-REL fuzz.<target> execs <N> seconds <S>, and the target's
# own counters. New inputs go to tests/fuzz/work/<target>/ in the build
# tree, a crash to tests/fuzz/artifacts/; a crash, a leak or a wrong answer
# fails the run (the log's tail is shown).
#   usage: run.sh SRCDIR SECONDS TARGET...
# To keep what a run found (only inputs that pass on the tree; a crash
# that the library gets wrong goes to tests/fuzz/crashers/, see its README):
#   tests/fuzz/fuzz-T -merge=1 SRCDIR/tests/fuzz/corpus/T tests/fuzz/work/T
set -u
src=$1 secs=$2
shift 2
status=0
mkdir -p tests/fuzz/work tests/fuzz/artifacts
for t in "$@"; do
	mkdir -p "tests/fuzz/work/$t"
	dict=
	[ -f "$src/tests/fuzz/$t.dict" ] && dict="-dict=$src/tests/fuzz/$t.dict"
	log=tests/fuzz/$t.log
	start=$(date +%s)
	# shellcheck disable=SC2086
	"tests/fuzz/fuzz-$t" -max_total_time="$secs" -timeout=10 -max_len=4096 \
		-print_final_stats=1 -artifact_prefix="tests/fuzz/artifacts/$t-" \
		$dict "tests/fuzz/work/$t" "$src/tests/fuzz/corpus/$t" \
		>"tests/fuzz/$t.out" 2>"$log"
	rc=$?
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "NESTIO-REL fuzz.$t execs ${execs:-0} seconds $((end - start))"
	grep '^NESTIO-REL ' "tests/fuzz/$t.out"
	if [ "$rc" -ne 0 ]; then
		echo "fuzz.$t: FAILED (exit $rc); the end of $log:"
		tail -n 40 "$log"
		status=1
	fi
done
exit $status
