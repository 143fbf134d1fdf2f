# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by test-symbols.sh and test-man.sh (sourced, not run).

# The global symbols of a version script: names inside a node's braces,
# outside any "local:" part.
sym_globals() {
	sed -e 's:/\*.*\*/::g' -e 's/#.*//' -e 's/[{};]/ & /g' \
	    -e 's/global:/ global: /g' -e 's/local:/ local: /g' "$1" |
	tr -s '[:blank:]' '[\n*]' |
	awk '
		$0 == "{" { depth = 1; g = 1; next }
		$0 == "}" { depth = 0; g = 0; next }
		$0 == "global:" { g = 1; next }
		$0 == "local:" { g = 0; next }
		depth && g && /^[A-Za-z_][A-Za-z0-9_]*$/ { print }
	' | LC_ALL=C sort -u
}

# Symbol names on stdin, as a sanitized build (--enable-sanitizers, or any
# -fsanitize build) makes them, back to what the source defines: an
# instrumented global's ODR indicator (gcc: __odr_asan.NAME, clang:
# __odr_asan_gen_NAME) becomes NAME, so a variable that leaks is still
# reported under its own name; the sanitizers' run-time interface
# (__asan_*, __ubsan_*, __lsan_*, __tsan_*, __msan_*, __sanitizer_*, and
# the instrumentation's tables ___asan_gen_*) is dropped. Anything else
# passes unchanged: a plain build's list is untouched.
san_symbols() {
	sed -e 's/^__odr_asan_gen_//' -e 's/^__odr_asan\.//' |
	grep -v -E '^_{2,3}(asan|ubsan|lsan|tsan|msan|sanitizer)_' || true
}
