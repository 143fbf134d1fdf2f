#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every export has a man page: for each global symbol of lib/libnestio.sym
# there is man/<symbol>.3, either the group page itself or a one-line
# ".so man3/<group>.3" alias; every alias points to a page that exists; the
# group page names the symbol in its NAME and SYNOPSIS sections; and
# man/Makefile.inc lists exactly the pages in man/.
#
# Run by `make check` with top_srcdir exported. Exit 0 pass, 1 fail.

top_srcdir=${top_srcdir:-$(dirname "$0")/../..}
man=$top_srcdir/man
sym=$top_srcdir/lib/libnestio.sym
inc=$man/Makefile.inc
fail=0

err() {
	echo "FAIL: $*" >&2
	fail=1
}

for f in "$sym" "$inc"; do
	if [ ! -f "$f" ]; then
		echo "FAIL: $f not found" >&2
		exit 1
	fi
done

# sym_globals FILE: the global symbols of a version script
. "$top_srcdir/tests/hygiene/symbols.sh"

# The text of one section of a page, with font escapes removed.
section() {
	awk -v name="$2" '
		/^\.SH/ {
			s = $0
			sub(/^\.SH[ \t]+/, "", s)
			gsub(/"/, "", s)
			insec = (s == name)
			next
		}
		insec
	' "$1" |
	sed -e 's/\\f[BIRP]//g' -e 's/\\f([A-Z][A-Z]//g' \
	    -e 's/\\f\[[^]]*\]//g' -e 's/\\&//g' -e 's/\\%//g'
}

# The target of an alias page ("man3/foo.3" -> "$man/foo.3"), or nothing.
alias_target() {
	sed -n 's/^\.so[[:blank:]][[:blank:]]*man[0-9]\/\([^[:blank:]]*\)[[:blank:]]*$/\1/p' "$1" |
	head -n 1
}

is_alias() {
	head -n 1 "$1" | grep -q '^\.so[[:blank:]]'
}

has_word() {
	grep -Eq "(^|[^A-Za-z0-9_])$1([^A-Za-z0-9_]|\$)"
}

symbols=$(sym_globals "$sym")
if [ -z "$symbols" ]; then
	err "no global symbols found in $sym"
fi

# 1. every alias page is exactly one .so line to a real, non-alias page
for page in "$man"/*.[0-9]; do
	[ -f "$page" ] || continue
	is_alias "$page" || continue
	t=$(alias_target "$page")
	if [ -z "$t" ]; then
		err "$page: malformed .so line (want \".so man3/<page>.3\")"
		continue
	fi
	if [ "$(wc -l < "$page" | tr -d ' ')" -ne 1 ]; then
		err "$page: an alias page must contain only its .so line"
	fi
	if [ ! -f "$man/$t" ]; then
		err "$page: points to $t, which does not exist"
	elif is_alias "$man/$t"; then
		err "$page: points to $t, which is itself an alias"
	fi
done

# 2. every export has a page that names it in NAME and SYNOPSIS
for s in $symbols; do
	page=$man/$s.3
	if [ ! -f "$page" ]; then
		err "$s: no man page man/$s.3"
		continue
	fi
	if is_alias "$page"; then
		t=$(alias_target "$page")
		if [ -z "$t" ] || [ ! -f "$man/$t" ]; then
			continue	# reported above
		fi
		page=$man/$t
	fi
	if ! section "$page" SYNOPSIS | has_word "$s"; then
		err "$s: not in the SYNOPSIS of $page"
	fi
	if ! section "$page" NAME | has_word "$s"; then
		err "$s: not in the NAME section of $page"
	fi
done

# 3. man/Makefile.inc lists every page in man/, and only those
listed=$(sed -n 's/.*\(man\/[A-Za-z0-9_.-]*\.[0-9]\).*/\1/p' "$inc" |
	 LC_ALL=C sort -u)
present=$(cd "$top_srcdir" && for p in man/*.[0-9]; do
		[ -f "$p" ] && echo "$p"
	  done | LC_ALL=C sort -u)
for p in $present; do
	echo "$listed" | grep -qx "$p" ||
		err "$p is not listed in man/Makefile.inc"
done
for p in $listed; do
	echo "$present" | grep -qx "$p" ||
		err "man/Makefile.inc lists $p, which does not exist"
done

if [ "$fail" -ne 0 ]; then
	exit 1
fi
n=$(echo "$symbols" | wc -w | tr -d ' ')
echo "PASS: $n exported symbols documented; aliases and man/Makefile.inc consistent"
exit 0
