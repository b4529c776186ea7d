#!/usr/bin/env bats
# build: what the README promises of the Makefile.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers

@test "make: with no target it builds every tool of cmd/ (not a fragment's target)" {
	require_cmd make
	# -n: print the commands, run none; a build directory of our own
	run -0 make -n -C "$CSTORE_ROOT" BUILD="$BATS_TEST_TMPDIR/b" BIN="$BATS_TEST_TMPDIR/bin"
	local c
	for c in "$CSTORE_ROOT"/cmd/*.c; do
		[[ $output == *"-o $BATS_TEST_TMPDIR/bin/$(basename "$c" .c) "* ]] ||
			{ echo "plain make does not link $(basename "$c" .c)"; return 1; }
	done
	[[ $output == *"$BATS_TEST_TMPDIR/b/cstore-gdcm.so"* ]]
	run -0 "$CSTORE_ROOT/scripts/check-make-default"
}
