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

# gen_row FILE ROW: scripts/gen-tables over data/ with ROW added to a
# copy of data/FILE (after its comments); output and status in run's.
gen_row() {
	local t=$BATS_TEST_TMPDIR/gt
	rm -rf "$t"
	mkdir -p "$t/out"
	cp -r "$CSTORE_ROOT/scripts" "$CSTORE_ROOT/data" "$t/"
	awk -v row="$2" '!/^#/ && !done { print row; done = 1 } { print }' \
		"$CSTORE_ROOT/data/$1" >"$t/data/$1"
	run --separate-stderr "$t/scripts/gen-tables" "$t/out"
}

# gen_elements ROW: gen_row for data/elements.tsv.
gen_elements() {
	gen_row elements.tsv "$1"
}

@test "gen-tables: a retired SOP class or UID without a keyword is refused, as any other" {
	gen_row sopclasses.tsv $'1.2.840.10008.99.1\t\tNo Keyword Storage\t\tR\t'
	assert_failure
	[[ $stderr == *'bad keyword ""'* ]]
	gen_row uids.tsv $'1.2.840.10008.99.2\t\tNo Keyword\tSOP Class\tR'
	assert_failure
	[[ $stderr == *'bad keyword ""'* ]]
}

@test "gen-tables: data/elements.tsv makes the committed element_table.c; a bad row stops it with its line and reason" {
	local t=$BATS_TEST_TMPDIR/gt
	mkdir -p "$t/ok"
	run -0 "$CSTORE_ROOT/scripts/gen-tables" "$t/ok"
	cmp "$t/ok/element_table.c" "$CSTORE_ROOT/lib/core/element_table.c"
	gen_elements $'(0010,00G0)\tLO\tBadHex\t'
	assert_failure
	[[ $stderr == *'elements.tsv:5: bad tag "(0010,00G0)"'* ]]
	gen_elements $'(0011,0010)\tLO\tPrivateOne\t'
	assert_failure
	[[ $stderr == *'elements.tsv:5: private (odd) group in (0011,0010)'* ]]
	gen_elements $'(0000,0000)\tXX\tNewOne\t'
	assert_failure
	[[ $stderr == *'unknown VR "XX"'* ]]
	gen_elements $'(0010,0010)\tPN\tPatientName\t'
	assert_failure
	[[ $stderr == *'is not after the tag before it'* ]]
	gen_elements $'(0000,0000)\tUL\tPatientName\tR'
	assert_failure
	[[ $stderr == *'keyword PatientName also names line 5'* ]]
	gen_elements $'(0000,0000)\tUL\t\t'
	assert_failure
	[[ $stderr == *'bad keyword ""'* ]]
	# one the generator takes: a pattern with "US or SS"
	gen_elements $'(00x0,1234)\tUS or SS\tNewPattern\t'
	assert_success
	grep -qF "{ 0xFF0FFFFF, { 0x00001234, { 'U', 'S' }, ELEMENT_US_SS, 0 } }, /* (00x0,1234) NewPattern */" \
		"$t/out/element_table.c"
}
