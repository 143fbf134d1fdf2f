# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Shared by the guest shell tests of nestioctl (tests/cli/*.sh), which run
# under busybox sh in the test VMs; tests/vm/run installs this file as
# /share/cli-lib.sh. Source it, check, and end with `finish`.
#
#	. /share/cli-lib.sh
#	expect 0 nestioctl --json list
#	json_lines out
#	jeq driver '"vfio-pci"'
#	finish

fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

err() {
	echo "FAIL: $*" >&2
	fail=1
}

# expect STATUS CMD...: run it with stdout in $tmp/out and stderr in
# $tmp/err (both shown on failure) and check its exit status
expect() {
	_want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	_got=$?
	echo "\$ $* -> $_got"
	[ "$_got" = "$_want" ] ||
		err "'$*' exited $_got, not $_want; stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err")"
}

# has out|err REGEX: a line of the last command's output matches
has() {
	grep -q -e "$2" "$tmp/$1" || err "$1 lacks /$2/: $(cat "$tmp/$1")"
}

# hasnt out|err REGEX
hasnt() {
	! grep -q -e "$2" "$tmp/$1" || err "$1 has /$2/: $(cat "$tmp/$1")"
}

# json_lines [FILE]: every line of the last command's stdout (or of FILE)
# is one complete JSON document: brackets balanced outside strings,
# nothing after the top-level value closes, no raw control characters
json_lines() {
	awk '
	{
		depth = 0; instr = 0; esc = 0; closed = 0
		if ($0 !~ /^[{[]/) { bad = "does not start with { or ["; exit 1 }
		for (i = 1; i <= length($0); i++) {
			c = substr($0, i, 1)
			if (closed) { bad = "text after the document"; exit 1 }
			if (instr) {
				if (esc) esc = 0
				else if (c == "\\") esc = 1
				else if (c == "\"") instr = 0
				continue
			}
			if (c == "\"") instr = 1
			else if (c == "{" || c == "[") depth++
			else if (c == "}" || c == "]") { if (--depth == 0) closed = 1 }
		}
		if (instr || depth) { bad = "unbalanced"; exit 1 }
		n++
	}
	END { if (bad != "" || n == 0) { print "line " NR ": " (bad != "" ? bad : "no output"); exit 1 } }
	' "${1:-$tmp/out}" >"$tmp/json-why" ||
		err "not JSON lines ($(cat "$tmp/json-why")): $(cat "${1:-$tmp/out}")"
}

# jget KEY [FILE]: the value of the first "KEY": in the last command's
# stdout (or FILE), as written: strings keep their quotes; an array is
# whole if it holds no array or object
jget() {
	awk -v k="\"$1\":" '
	{
		i = index($0, k)
		if (!i) next
		s = substr($0, i + length(k))
		if (substr(s, 1, 1) == "\"")
			match(s, /^"([^"\\]|\\.)*"/)
		else if (substr(s, 1, 1) == "[")
			match(s, /^\[[^]]*\]/)	# a flat array
		else
			match(s, /^[^],}]*/)
		print substr(s, 1, RLENGTH)
		exit
	}' "${2:-$tmp/out}"
}

# jeq KEY VALUE [FILE]: jget KEY is exactly VALUE ('"text"', 3, true, null)
jeq() {
	_v=$(jget "$1" "$3")
	[ "$_v" = "$2" ] || err "json \"$1\" is '$_v', not '$2': $(cat "${3:-$tmp/out}")"
}

# jmatch KEY REGEX [FILE]
jmatch() {
	_v=$(jget "$1" "$3")
	echo "$_v" | grep -q -e "$2" || err "json \"$1\" is '$_v', not /$2/"
}

finish() {
	[ "$fail" = 0 ] && echo "PASS" || echo "FAILED"
	exit "$fail"
}
