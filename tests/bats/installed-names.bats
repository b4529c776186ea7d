#!/usr/bin/env bats
# installed-names: a tool installed under another name (the Debian
# package's cstore-dcmsend, make install CLASH_PREFIX=) calls itself by
# that name in --help, --version, usage errors and messages.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
bats_require_minimum_version 1.5.0

# link TOOL: a symbolic link cstore-TOOL to $CSTORE_BIN/TOOL; prints it.
link() {
	ln -s "$CSTORE_BIN/$1" "$BATS_TEST_TMPDIR/cstore-$1"
	echo "$BATS_TEST_TMPDIR/cstore-$1"
}

@test "installed-names: every usage line of renamed dcmsend and dcmrecv names them so" {
	local t n
	for t in dcmsend dcmrecv; do
		n=$(link "$t")
		run -0 --separate-stderr "$n" --help
		[[ ${lines[0],,} == "usage: cstore-$t "* ]] || { echo "$t: ${lines[0]}"; return 1; }
		# Every line that starts a form of the command names it.
		if grep -E "^( +|[Uu]sage: )$t " <<<"$output"; then return 1; fi
		run -2 --separate-stderr "$n" --no-such-option
		[[ $stderr == *"Usage: cstore-$t "* || $stderr == *"usage: cstore-$t "* ]]
		[[ $stderr == *"Try 'cstore-$t --help'."* ]]
		run -0 "$n" --version
		[ "${lines[0]%% *}" = "cstore-$t" ]
		[[ ${lines[0]} == *"(cstore)"* ]]
	done
}

@test "installed-names: messages carry the invoked name" {
	local n
	n=$(link dcmsend)
	run -1 --separate-stderr "$n" 127.0.0.1 1 "$BATS_TEST_TMPDIR/missing.dcm"
	[[ $stderr == *"cstore-dcmsend: "* ]] || { echo "$stderr"; return 1; }
}
