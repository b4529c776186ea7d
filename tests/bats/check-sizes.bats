#!/usr/bin/env bats
# check-sizes: scripts/check-sizes fails on a tool over 350 lines and a
# function over 120, on a small tree of its own.
# bats file_tags=parallel

load helpers

# tree DIR: an empty lib/ and cmd/ beside a copy of the script
tree() {
	mkdir -p "$1/scripts" "$1/lib/x" "$1/cmd"
	cp "$CSTORE_ROOT/scripts/check-sizes" "$1/scripts/"
}

# func NAME N: a C function whose closing brace is N lines below its name
func() {
	printf 'int\n%s(void)\n{\n' "$1"
	local k
	for ((k = 0; k < $2 - 3; k++)); do printf '\t(void)0;\n'; done
	printf '\treturn 0;\n}\n'
}

@test "check-sizes: the tree as it is passes" {
	run -0 "$CSTORE_ROOT/scripts/check-sizes"
	[ -z "$output" ]
}

@test "check-sizes: a function 121 lines long fails, 120 passes" {
	require_cmd ctags
	ctags --version | grep -q '^Universal Ctags' || skip "ctags is not Universal Ctags"
	local t=$BATS_TEST_TMPDIR/t
	tree "$t"
	{ func fits 120; func too_long 121; } >"$t/lib/x/a.c"
	run -1 "$t/scripts/check-sizes"
	[ "$output" = "check-sizes: lib/x/a.c:124: too_long: 121 lines (at most 120)" ]
	func fits 120 >"$t/lib/x/a.c"
	run -0 "$t/scripts/check-sizes"
	[ -z "$output" ]
}

@test "check-sizes: a tool of 351 lines fails, 350 passes" {
	local t=$BATS_TEST_TMPDIR/t
	tree "$t"
	yes '/* */' | head -n 351 >"$t/cmd/tool.c"
	run -1 "$t/scripts/check-sizes"
	[ "${lines[0]}" = "check-sizes: cmd/tool.c: 351 lines (at most 350)" ]
	yes '/* */' | head -n 350 >"$t/cmd/tool.c"
	run -0 "$t/scripts/check-sizes"
}
