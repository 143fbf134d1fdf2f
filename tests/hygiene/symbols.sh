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
