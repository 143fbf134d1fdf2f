#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The public surface is one list, three ways:
#  (a) the dynamic symbols lib/.libs/libnestio.so exports == the global
#      symbols of lib/libnestio.sym;
#  (b) the functions include/libnestio.h declares == lib/libnestio.sym;
#  (c) lib/.libs/libnestio.a defines no global symbol outside the nestio_
#      (public) and nio_ (internal) prefixes;
#  (d) debian/libnestio0.symbols lists the same symbols (when debian/ is
#      there: not in a release tarball).
# In a sanitized build (./configure --enable-sanitizers) the objects also
# define the sanitizers' symbols: san_symbols (symbols.sh) maps each
# instrumented global's ODR indicator to the variable's own name and drops
# the run-time interface, so (a) and (c) check the same lists as in a plain
# build; a self-check below proves that mapping still reports a leak.
#
# Run by `make check` with top_srcdir, top_builddir and NM exported.
# Exit 0 pass, 1 mismatch, 77 skip (no shared library, e.g. --disable-shared;
# (b) and (c) still run and still fail).

top_srcdir=${top_srcdir:-$(dirname "$0")/../..}
top_builddir=${top_builddir:-.}
NM=${NM:-nm}
sym=$top_srcdir/lib/libnestio.sym
header=$top_srcdir/include/libnestio.h
so=$top_builddir/lib/.libs/libnestio.so
ar=$top_builddir/lib/.libs/libnestio.a
fail=0
skip=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-symbols.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

for f in "$sym" "$header"; do
	if [ ! -f "$f" ]; then
		echo "FAIL: $f not found" >&2
		exit 1
	fi
done

# sym_globals FILE: the global symbols of a version script
. "$top_srcdir/tests/hygiene/symbols.sh"

# san_symbols must not hide a leak: a made-up listing with a leaked function,
# a leaked variable known only by its ODR indicator, and the sanitizers'
# own names gives exactly the two leaks.
printf '%s\n' nestio_ok __odr_asan.nio_ok __odr_asan.leaked_var \
	__odr_asan_gen_leaked_var2 leaked_fn __asan_init __ubsan_handle_x_abort \
	__sanitizer_cov ___asan_gen_1 __lsan_ignore_object __tsan_read4 |
	san_symbols | grep -v -e '^nestio_' -e '^nio_' | LC_ALL=C sort -u > "$tmp/selfcheck"
printf '%s\n' leaked_fn leaked_var leaked_var2 > "$tmp/selfcheck.want"
if ! cmp -s "$tmp/selfcheck" "$tmp/selfcheck.want"; then
	echo "FAIL: san_symbols hides or invents a leak:" >&2
	diff "$tmp/selfcheck.want" "$tmp/selfcheck" >&2
	exit 1
fi
nsan=0	# sanitizer symbols understood, for the PASS line

# The functions a header declares: every nestio_*( outside comments and
# preprocessor lines.
header_functions() {
	awk '
	{
		line = $0; out = ""
		while (line != "") {
			if (incomment) {
				i = index(line, "*/")
				if (!i) { line = ""; break }
				line = substr(line, i + 2); incomment = 0
				continue
			}
			i = index(line, "/*"); j = index(line, "//")
			if (j && (!i || j < i)) {
				out = out substr(line, 1, j - 1); line = ""; break
			}
			if (i) {
				out = out substr(line, 1, i - 1) " "
				line = substr(line, i + 2); incomment = 1
				continue
			}
			out = out line; line = ""
		}
		if (out ~ /^[ \t]*#/)
			next
		while (match(out, /nestio_[a-z0-9_]*[ \t]*\(/)) {
			name = substr(out, RSTART, RLENGTH)
			before = RSTART > 1 ? substr(out, RSTART - 1, 1) : ""
			out = substr(out, RSTART + RLENGTH)
			if (before ~ /[A-Za-z0-9_]/)
				continue
			sub(/[ \t]*\($/, "", name)
			print name
		}
	}' "$1" | LC_ALL=C sort -u
}

# Print the lines of $2 missing from $3, under the heading $1.
report_missing() {
	LC_ALL=C comm -23 "$2" "$3" > "$tmp/missing"
	if [ -s "$tmp/missing" ]; then
		echo "FAIL: $1:" >&2
		sed 's/^/	/' "$tmp/missing" >&2
		fail=1
	fi
}

sym_globals "$sym" > "$tmp/sym"
if [ ! -s "$tmp/sym" ]; then
	echo "FAIL: no global symbols found in $sym" >&2
	exit 1
fi

# (b) header <-> .sym
header_functions "$header" > "$tmp/header"
report_missing "declared in include/libnestio.h but not in lib/libnestio.sym" \
	"$tmp/header" "$tmp/sym"
report_missing "in lib/libnestio.sym but not declared in include/libnestio.h" \
	"$tmp/sym" "$tmp/header"

# (d) .sym <-> the Debian symbols file, where the tree has debian/ (a
# release tarball does not): a symbol missing there fails dpkg-gensymbols
# only when the packages are built, long after the change
debsym=$top_srcdir/debian/libnestio0.symbols
if [ -f "$debsym" ]; then
	sed -n 's/^ \(nestio_[a-z0-9_]*\)@LIBNESTIO_[0-9.]* .*/\1/p' "$debsym" |
		LC_ALL=C sort -u > "$tmp/debian"
	report_missing "in lib/libnestio.sym but not in debian/libnestio0.symbols" \
		"$tmp/sym" "$tmp/debian"
	report_missing "in debian/libnestio0.symbols but not in lib/libnestio.sym" \
		"$tmp/debian" "$tmp/sym"
fi

# (c) no global symbol of the static library outside nestio_ / nio_
if [ -f "$ar" ]; then
	# shellcheck disable=SC2086 # NM may carry options ("nm -B")
	if ! $NM --defined-only -g "$ar" > "$tmp/ar.nm"; then
		echo "FAIL: $NM $ar failed" >&2
		exit 1
	fi
	awk 'NF >= 3 && $(NF - 1) ~ /^[A-Z]$/ { print $NF }' "$tmp/ar.nm" > "$tmp/ar"
	nsan=$(grep -c -E '^(__odr_asan|_{2,3}(asan|ubsan|lsan|tsan|msan|sanitizer)_)' "$tmp/ar")
	san_symbols < "$tmp/ar" |
		grep -v -e '^nestio_' -e '^nio_' -e '^__x86\.get_pc_thunk\.' |
		LC_ALL=C sort -u > "$tmp/leaks"
	if [ -s "$tmp/leaks" ]; then
		echo "FAIL: global symbols in $ar outside the nestio_/nio_ prefixes:" >&2
		sed 's/^/	/' "$tmp/leaks" >&2
		fail=1
	fi
else
	echo "SKIP: (c) $ar not built (--disable-static?)"
fi

# (a) exported dynamic symbols <-> .sym
if [ -f "$so" ]; then
	# shellcheck disable=SC2086
	if ! $NM -D --defined-only "$so" > "$tmp/so.nm"; then
		echo "FAIL: $NM -D $so failed" >&2
		exit 1
	fi
	awk 'NF >= 3 { print $NF }' "$tmp/so.nm" | sed 's/@.*//' | san_symbols |
		grep -v '^LIBNESTIO_' | LC_ALL=C sort -u > "$tmp/so"
	report_missing "exported by libnestio.so but not in lib/libnestio.sym" \
		"$tmp/so" "$tmp/sym"
	report_missing "in lib/libnestio.sym but not exported by libnestio.so" \
		"$tmp/sym" "$tmp/so"
else
	echo "SKIP: (a) $so not built (--disable-shared?)"
	skip=1
fi

if [ "$fail" -ne 0 ]; then
	exit 1
fi
if [ "$skip" -ne 0 ]; then
	exit 77
fi
san=
[ "$nsan" -eq 0 ] || san=" (instrumented: $nsan sanitizer symbols of libnestio.a understood)"
echo "PASS: $(wc -l < "$tmp/sym" | tr -d ' ') symbols: libnestio.so == libnestio.sym == libnestio.h; libnestio.a clean$san"
exit 0
