#!/usr/bin/env bats
# status-explain: every option and exit status, and the codes the
# reference gets wrong, checked against PS3.4 Table B.2-1 / PS3.7 Annex C.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
bats_require_minimum_version 1.5.0

SE() { "$CSTORE_BIN/status-explain" "$@"; }

@test "a code prints code, category, meaning with its range, and service" {
	run -1 --separate-stderr SE 0xA700
	assert_output "$(printf '0xA700\tFailure\tRefused: out of resources (A700\xe2\x80\x93A7FF)\tC-STORE')"
	[ -z "$stderr" ]
}

@test "no meaning repeats its category (FE00, FF00, FF01, 0000): the category is the field before it" {
	# before: "0xFE00	Cancel	Cancel: the operation was ...", "Pending	Pending: ..."
	run -0 --separate-stderr SE -l
	[ "${#lines[@]}" -gt 60 ]
	run -0 awk -F '\t' 'index($3, $2) == 1' <<<"$output"
	assert_output ''
	run -1 --separate-stderr SE FE00 FF00 0000
	assert_line --index 0 "$(printf '0xFE00\tCancel\tthe operation was terminated by a C-CANCEL\tgeneral (PS3.7 Annex C)')"
	assert_line --index 1 "$(printf '0xFF00\tPending\tmatches or sub-operations are continuing\tgeneral (PS3.7 Annex C)')"
	assert_line --index 2 "$(printf '0x0000\tSuccess\tthe SOP Instance was stored\tC-STORE')"
}

@test "0xA700, A700, a700 and 42752 are the same code" {
	for c in 0xA700 A700 a700 42752; do
		run -1 --separate-stderr SE "$c"
		assert_output --partial "$(printf '0xA700\tFailure\t')"
	done
}

@test "four digits are hex, other digit strings decimal" {
	run -1 --separate-stderr SE -c 0110 272
	assert_output "$(printf 'Failure\nFailure')"
	run -1 --separate-stderr SE 272
	assert_output --partial "0x0110"
}

@test "short hex without 0x (a7) is refused as ambiguous, naming A700 and 0x00A7; 0xa7 is 0x00A7" {
	# before: read as 0x00A7, 'Unknown', where the user meant the A7xx
	# of 'Refused: out of resources' as likely
	run -2 --separate-stderr SE a7
	[ -z "$output" ]
	[ "$stderr" = "status-explain: 'a7': ambiguous: a status has four hex digits: A700, or 0x00A7?" ]
	run -2 --separate-stderr SE c
	[ "$stderr" = "status-explain: 'c': ambiguous: a status has four hex digits: C000, or 0x000C?" ]
	run -2 --separate-stderr bash -c "printf 'b00\tx\n' | '$CSTORE_BIN/status-explain' -F 1"
	[ "$stderr" = "status-explain: line 1: 'b00': ambiguous: a status has four hex digits: B000, or 0x0B00?" ]
	run -1 --separate-stderr SE 0xa7
	assert_output "$(printf '0x00A7\tUnknown\tnot a status defined by PS3.7 Annex C\t-')"
	# dcmrecv's status options read codes the same way: no 0x00A7
	# answered, and the message names both readings as status-explain's
	# does (before: "expected a code such as A700 or 0xB000", which a7
	# looked like to whoever wrote it)
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmrecv" --respond-every 3:a7 127.0.0.1:0
	[ "${stderr_lines[0]}" = "dcmrecv: status 'a7': ambiguous: a status has four hex digits: A700, or 0x00A7?" ]
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmrecv" --respond b 127.0.0.1:0
	[ "${stderr_lines[0]}" = "dcmrecv: status 'b': ambiguous: a status has four hex digits: B000, or 0x000B?" ]
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmrecv" --commit-respond a7 127.0.0.1:0
	[ "${stderr_lines[0]}" = "dcmrecv: --commit-respond: status 'a7': ambiguous: a status has four hex digits: A700, or 0x00A7?" ]
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmrecv" --respond zz 127.0.0.1:0
	[ "${stderr_lines[0]}" = "dcmrecv: status 'zz': expected a code such as A700 or 0xB000" ]
}

@test "122, no status as decimal, gets a note naming 0x0122; 272 (0x0110 in decimal) none" {
	# before: 0x007A 'Unknown' alone, where 0x0122 was as likely meant
	run -1 --separate-stderr SE 122
	assert_output "$(printf '0x007A\tUnknown\tnot a status defined by PS3.7 Annex C\t-')"
	[ "$stderr" = "status-explain: note: '122' is decimal (0x007A); 0x0122 is 'Refused: SOP Class not supported'" ]
	run -1 --separate-stderr SE 272
	assert_output --partial "$(printf '0x0110\tFailure\t')"
	[ -z "$stderr" ]
}

# dcmrecv answers the status it is given: 122 would be 0x007A, no
# status, where 0x0122 was as likely meant.  Refused with both readings
# (before: 0x007A answered to every C-STORE); 272 (0x0110) is taken.
@test "dcmrecv --respond 122 is refused naming 0x007A and 0x0122; 272 (0x0110 in decimal) is taken" {
	require_netns
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmrecv" --respond 122 -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[ "${stderr_lines[0]}" = "dcmrecv: status '122' is decimal (0x007A); 0x0122 is 'Refused: SOP Class not supported': write 0x007A or 0122" ]
	run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmrecv" --respond-every 2:272 --idle-timeout 1 \
		-o "$BATS_TEST_TMPDIR" 127.0.0.1:0
}

@test "a range as the standard writes it (A7xx, Cxxx) is explained by its entry or its category; one of several categories (01xx) is refused" {
	# before: "'A7xx': not a 16-bit status code", exit 2
	run -1 --separate-stderr "$CSTORE_BIN/status-explain" A7xx
	assert_output $'0xA7xx\tFailure\tRefused: out of resources (A700\u2013A7FF)\tC-STORE'
	run -1 --separate-stderr "$CSTORE_BIN/status-explain" 0xa9XX Cxxx C0xx
	assert_line --index 0 --partial $'0xA9xx\tFailure\tError: data set does not match SOP Class'
	assert_line --index 1 --partial $'0xCxxx\tFailure\tError: cannot understand'
	assert_line --index 2 --partial $'0xC0xx\tFailure\tError: cannot understand (C000\u2013CFFF)'
	# no entry holds Bxxx whole: its category, which is stored (exit 0)
	run -0 --separate-stderr "$CSTORE_BIN/status-explain" Bxxx
	assert_output --partial $'0xBxxx\tWarning\t'
	run -0 --separate-stderr "$CSTORE_BIN/status-explain" -c Bxxx
	assert_output Warning
	run -1 --separate-stderr "$CSTORE_BIN/status-explain" --json A7xx
	[ "$(jq -r '[.code, .category, (.value == null)] | @tsv' <<<"$output")" = $'0xA7xx\tFailure\ttrue' ]
	# 01xx holds Failures and the Warnings 0107 and 0116
	run -2 --separate-stderr "$CSTORE_BIN/status-explain" 01xx
	assert_output ""
	[ "$stderr" = "status-explain: '01xx': a range of codes of several categories (see -l)" ]
	# an x before a digit, or all x, is no code
	run -2 --separate-stderr "$CSTORE_BIN/status-explain" A7x0
	run -2 --separate-stderr "$CSTORE_BIN/status-explain" xxxx
}

@test "a range no code of which PS3.7 defines (Dxxx) is Unknown as its codes are; 0xxx is the range 0000-0FFF, not 0x and xx" {
	# before: "'Dxxx': a range of codes of several categories", exit 2,
	# though D000 and every other D code is Unknown
	run -1 --separate-stderr "$CSTORE_BIN/status-explain" D000
	assert_output $'0xD000\tUnknown\tnot a status defined by PS3.7 Annex C\t-'
	run -1 --separate-stderr "$CSTORE_BIN/status-explain" Dxxx 0xExxx d0XX
	assert_output $'0xDxxx\tUnknown\tnot a status defined by PS3.7 Annex C\t-\n0xExxx\tUnknown\tnot a status defined by PS3.7 Annex C\t-\n0xD0xx\tUnknown\tnot a status defined by PS3.7 Annex C\t-'
	assert [ -z "$stderr" ]
	run -1 --separate-stderr "$CSTORE_BIN/status-explain" --json Dxxx
	[ "$(jq -r '[.code, .category] | @tsv' <<<"$output")" = $'0xDxxx\tUnknown' ]
	# before: "'0xxx': not a 16-bit status code" (its 0x taken as a
	# prefix); it is 0000-0FFF: Success, Warnings and Failures
	run -2 --separate-stderr "$CSTORE_BIN/status-explain" 0xxx
	assert_output ""
	[ "$stderr" = "status-explain: '0xxx': a range of codes of several categories (see -l)" ]
	run -2 --separate-stderr "$CSTORE_BIN/status-explain" 0x0xxx
	[ "$stderr" = "status-explain: '0x0xxx': a range of codes of several categories (see -l)" ]
	# a prefix before four characters still is one
	run -1 --separate-stderr "$CSTORE_BIN/status-explain" 0xDxxx
	assert_output --partial $'0xDxxx\tUnknown\t'
}

@test "success and warnings exit 0" {
	run -0 --separate-stderr SE 0x0000 0xB000 0xB006 0xB007 0x0001 0x0107 0x0116 0xBF42
	[ "${#lines[@]}" -eq 8 ]
	assert_line --index 0 --partial "$(printf '0x0000\tSuccess\t')"
	assert_line --index 2 "$(printf '0xB006\tWarning\tElements discarded\tC-STORE')"
	assert_line --index 3 "$(printf '0xB007\tWarning\tData set does not match SOP Class\tC-STORE')"
}

# PS3.7 Annex C gives 0001 no meaning beyond Warning; PS3.4 uses it
# (requested optional Attributes are not supported) in DIMSE-N
# responses of some services (procedure steps, media creation).  The
# row is general (*), so it names no one service, and its meaning does
# not say the category again.  Before: "Warning<TAB>Warning: no meaning
# of its own for C-STORE (... only for some N-GET and N-SET of
# procedure steps ...)", shown in N-ACTION contexts too.
@test "0x0001 is a Warning with no meaning of its own, PS3.4's DIMSE-N meaning named, the category not repeated" {
	run -0 --separate-stderr SE 0001
	assert_output "$(printf '0x0001\tWarning\tNo meaning of its own (PS3.7 Annex C); in DIMSE-N responses of some PS3.4 services (N-GET, N-SET): requested optional Attributes are not supported\tgeneral (PS3.7 Annex C)')"
}

@test "SOP Class not supported is 0x0122, and 0x0112 is something else" {
	run -1 --separate-stderr SE 0x0122 0x0112
	assert_line --index 0 "$(printf '0x0122\tFailure\tRefused: SOP Class not supported\tC-STORE')"
	assert_line --index 1 "$(printf '0x0112\tFailure\tNo such SOP Instance\tgeneral (PS3.7 Annex C)')"
}

@test "every general status C-STORE allows is named for C-STORE" {
	for c in 0117 0122 0124 0210 0211 0212; do
		run -1 --separate-stderr SE "$c"
		assert_output --regexp $'\tC-STORE$'
	done
}

@test "a pynetdicom code is explained and marked as pynetdicom's" {
	run -1 --separate-stderr SE 0xC210
	assert_output --partial "failed to decode the data set received from the peer"
	assert_output --partial "Error: cannot understand (C000"
	assert_output --regexp $'\tC-STORE, pynetdicom$'
	run -1 --separate-stderr SE -j 0xC211
	assert_output --partial '"implementation":"pynetdicom"'
}

@test "failure, cancel, pending and unknown codes exit 1" {
	for c in 0xA900 0xC000 0xFE00 0xFF00 0xFF01 0x1234; do
		run -1 --separate-stderr SE "$c"
	done
	run -1 --separate-stderr SE -c 0xFE00 0xFF01 0x1234
	assert_output "$(printf 'Cancel\nPending\nUnknown')"
}

@test "a code without a C-STORE meaning gets its category from its range" {
	run -1 --separate-stderr SE 0xA801
	assert_output --partial "$(printf '0xA801\tFailure\t')"
	assert_output --partial "by its range"
	run -0 --separate-stderr SE -c 0xB123
	assert_output Warning
}

@test "one failure among successes exits 1" {
	run -1 --separate-stderr SE 0x0000 0xA700 0xB000
	[ "${#lines[@]}" -eq 3 ]
}

@test "a code that is not a 16-bit number exits 2 with a clear message" {
	run -2 --separate-stderr SE 0x1FFFF
	[ -z "$output" ]
	[[ $stderr == *"'0x1FFFF': not a 16-bit status code"* ]]
	run -2 --separate-stderr SE zz
	[[ $stderr == *"'zz': not a 16-bit status code"* ]]
	run -2 --separate-stderr SE 65536
	run -2 --separate-stderr SE -- -1
}

@test "a bad code among good ones still explains the good ones and exits 2" {
	run -2 --separate-stderr SE 0x0000 zz 0xA700
	[ "${#lines[@]}" -eq 2 ]
}

@test "--category prints only the category" {
	run -0 --separate-stderr SE --category 0
	assert_output Success
}

@test "--json writes one object per code" {
	run -1 --separate-stderr SE --json 0xA700
	assert_output '{"code":"0xA700","value":42752,"category":"Failure","meaning":"Refused: out of resources (A700–A7FF)","context":"C-STORE","implementation":null}'
	run -2 --separate-stderr SE -j -c 0
}

@test "--list prints every entry of the table" {
	run -0 --separate-stderr SE --list
	[ "${#lines[@]}" -ge 40 ]
	assert_line "$(printf '0xA700-0xA7FF\tFailure\tRefused: out of resources (A700\xe2\x80\x93A7FF)\tC-STORE')"
	assert_line --partial "$(printf '0xC210\tFailure\t')"
	run -0 --separate-stderr SE -l -j
	assert_line --partial '"code":"0xFE00","category":"Cancel"'
	run -2 --separate-stderr SE -l 0
}

@test "blanks around an operand are ignored as on stdin lines" {
	run -1 --separate-stderr SE -c " 0x0122 " "0000	"
	assert_output "$(printf 'Failure\nSuccess')"
	[ -z "$stderr" ]
}

@test "with no code each stdin line is one code" {
	run -1 --separate-stderr bash -c "printf '0x0000\n\n a700 \n' | '$CSTORE_BIN/status-explain' -c"
	assert_output "$(printf 'Success\nFailure')"
}

@test "empty stdin with no code is a usage error" {
	run -2 --separate-stderr SE </dev/null
	[ -z "$output" ]
	[[ $stderr == *"no code given and none on standard input"* ]]
}

@test "--field appends category and meaning of field N" {
	run -1 --separate-stderr bash -c "printf 'a.dcm\t0x0000\nb.dcm\t0xA700\n' | '$CSTORE_BIN/status-explain' --field 2"
	assert_line --index 0 "$(printf 'a.dcm\t0x0000\tSuccess\tthe SOP Instance was stored')"
	assert_line --index 1 --partial "$(printf 'b.dcm\t0xA700\tFailure\tRefused: out of resources')"
	run -0 --separate-stderr bash -c "printf '0xB000\tx\n' | '$CSTORE_BIN/status-explain' -F 1"
	assert_output "$(printf '0xB000\tx\tWarning\tCoercion of data elements')"
}

@test "--field: a line with fewer fields or a bad code exits 2" {
	run -2 --separate-stderr bash -c "printf 'a\t0x0000\nonly\n' | '$CSTORE_BIN/status-explain' -F 2"
	assert_line --index 0 --partial "Success"
	assert_line --index 1 "$(printf 'only\t\t')"
	[[ $stderr == *"line 2: no field 2 (1 fields)"* ]]
	run -2 --separate-stderr bash -c "printf 'a\tzz\n' | '$CSTORE_BIN/status-explain' -F 2"
	[[ $stderr == *"line 1: 'zz': not a 16-bit status code"* ]]
}

@test "stdin: a line holding a NUL byte is no code (exit 2); the text before the NUL is not taken for it" {
	run -2 --separate-stderr bash -c "printf '0000\nA700\000zz\n' | '$CSTORE_BIN/status-explain'"
	assert_output "$(printf '0x0000\tSuccess\tthe SOP Instance was stored\tC-STORE')"
	[[ $stderr == *"line 2: a NUL byte at column "*": not a text line"* ]]
}

@test "--field writes each line back byte for byte, NUL bytes included; a NUL in field N is no code" {
	local o=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr bash -c "printf 'a\tb\000c\t0000\td\n' | '$CSTORE_BIN/status-explain' -F 3 >'$o'"
	printf 'a\tb\000c\t0000\td\tSuccess\tthe SOP Instance was stored\n' | cmp - "$o"
	run -2 --separate-stderr bash -c "printf 'x\tA700\000z\ty\n' | '$CSTORE_BIN/status-explain' -F 2 >'$o'"
	printf 'x\tA700\000z\ty\t\t\n' | cmp - "$o"
	[[ $stderr == *"line 1: field 2 holds a NUL byte"* ]]
}

@test "--field ignores blanks around the code, as stdin lines and sopclass-lookup --field do" {
	run -0 --separate-stderr bash -c "printf 'a\t  0xb000 \tz\n' | '$CSTORE_BIN/status-explain' -F 2"
	assert_output "$(printf 'a\t  0xb000 \tz\tWarning\tCoercion of data elements')"
	[ -z "$stderr" ]
}

@test "standard input that cannot be read (a directory) exits 2 with the reason, never 0, with --field too" {
	run -2 --separate-stderr SE -F 1 <"$BATS_TEST_TMPDIR"
	[ -z "$output" ]
	[[ $stderr == *"cannot read standard input: Is a directory"* ]]
	run -2 --separate-stderr SE <"$BATS_TEST_TMPDIR"
	[[ $stderr == *"cannot read standard input: Is a directory"* ]]
}

@test "a UTF-8 byte order mark opening standard input (a Windows editor's) is not part of the first code" {
	run -0 --separate-stderr bash -c "printf '\xef\xbb\xbf0xB000\n' | '$CSTORE_BIN/status-explain'"
	assert_output "$(printf '0xB000\tWarning\tCoercion of data elements\tC-STORE')"
	local o=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr bash -c "printf '\xef\xbb\xbf0000\tx\n' | '$CSTORE_BIN/status-explain' -F 1 >'$o'"
	printf '\xef\xbb\xbf0000\tx\tSuccess\tthe SOP Instance was stored\n' | cmp - "$o"
}

@test "a stdin line with a NUL byte in it is named and exits 2, never cut at the NUL (code or --field)" {
	# A700 before the NUL was explained as if the line ended there
	run -2 --separate-stderr bash -c "printf 'A700\\0junk\n0000\n' | '$CSTORE_BIN/status-explain'"
	assert_output "$(printf '0x0000\tSuccess\tthe SOP Instance was stored\tC-STORE')"
	[ "$stderr" = "status-explain: line 1: a NUL byte at column 5: not a text line" ]
	# --field writes the line back whole (the bytes after the NUL too), its fields empty
	run -2 --separate-stderr bash -c "printf 'x\tA700\\0junk\nb\t0000\n' | '$CSTORE_BIN/status-explain' -F 2 >'$BATS_TEST_TMPDIR/out'"
	[ "$stderr" = "status-explain: line 1: field 2 holds a NUL byte" ]
	printf 'x\tA700\0junk\t\t\nb\t0000\tSuccess\tthe SOP Instance was stored\n' >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/want"
}

@test "--field: empty input is an empty output" {
	run -0 --separate-stderr SE -F 3 </dev/null
	[ -z "$output" ]
}

@test "--field rejects a bad N and conflicting options" {
	run -2 --separate-stderr SE -F 65
	[[ $stderr == *"out of range (1-64)"* ]]
	run -2 --separate-stderr SE -F 1 0x0000
	run -2 --separate-stderr SE -F 1 -c
}

@test "an unknown option exits 2 with the hint and no output" {
	run -2 --separate-stderr SE -Z
	[ -z "$output" ]
	[[ $stderr == *"Try 'status-explain --help'."* ]]
}

@test "--field passes dcmsend's own outcome words through as local outcomes (exit 1, not 2)" {
	D=$CSTORE_ROOT/tests/data
	port=$(free_port)
	# real dcmsend lines: notsent (nobody listens) and notdicom
	"$CSTORE_BIN/dcmsend" -q 127.0.0.1 "$port" "$D/p10-evrle.dcm" "$D/not-dicom.txt" \
		>"$BATS_TEST_TMPDIR/log" || true
	[ "$(wc -l <"$BATS_TEST_TMPDIR/log")" -eq 2 ]
	run -1 --separate-stderr SE -F 1 <"$BATS_TEST_TMPDIR/log"
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 "$(sed -n 1p "$BATS_TEST_TMPDIR/log")"$'\tLocal\tnot sent: not a DICOM file or data set'
	assert_line --index 1 "$(sed -n 2p "$BATS_TEST_TMPDIR/log")"$'\tLocal\tnot sent: its association could not be opened, or ended before its turn'
	# resumed is on the peer: exit 0
	run -0 --separate-stderr SE -F 1 <<<$'resumed\ta.dcm\t\t\tstored according to the resume log'
	assert_output $'resumed\ta.dcm\t\t\tstored according to the resume log\tLocal\tnot sent again: the --resume log has it stored'
}

@test "failed is explained as dcmsend writes it over DIMSE and over STOW-RS (an HTTP error, an answer not naming the file)" {
	# a line dcmsend writes for a file a STOW-RS service refused
	run -1 --separate-stderr SE -F 1 <<<$'failed\ta.dcm\t1.2\t1.2.3\tHTTP 400: the service refused the file (bad request)'
	[[ $output == *$'\tLocal\tno status for it: the response names another SOP instance or class (its fate is unknown), or the file was written to while its last PDU went (the status is for bytes that may be mixed), or over STOW-RS the request failed (HTTP error) or the answer does not name it' ]]
}

@test "every outcome word man/status-explain.1 lists is explained as Local, as a code and with --field" {
	words=$(awk '/^\.It Li failed$/ { on = 1 } on && /^\.El/ { exit } on && /^\.It Li / { print $3 }' \
		"$CSTORE_ROOT/man/status-explain.1")
	[ "$(wc -w <<<"$words")" -ge 10 ]
	for w in $words; do
		run --separate-stderr SE "$w"
		[[ $output == "$w"$'\tLocal\t'*$'\tdcmsend local outcome' ]] || { echo "$w: $output"; return 1; }
		run --separate-stderr SE -c "$w"
		[ "$output" = Local ]
		run --separate-stderr SE -F 2 <<<"x.dcm	$w"
		[[ $output == "x.dcm	$w	Local	"* ]] || { echo "$w: $output"; return 1; }
		[ "$status" -le 1 ]
	done
	# not every word: the ones that always come with a status are codes
	run -2 --separate-stderr SE warning
	run -2 --separate-stderr SE -F 1 <<<$'stored\tx'
}

@test "Storage Commitment Failure Reasons and N-ACTION statuses C-STORE does not name are explained from their service's rows" {
	run -1 --separate-stderr SE 0131
	assert_output $'0x0131\tFailure\tas a Storage Commitment Failure Reason (0008,1197): duplicate Transaction UID\tN-EVENT-REPORT'
	# a code C-STORE or Annex C names keeps that meaning
	run -1 --separate-stderr SE 0112
	assert_output $'0x0112\tFailure\tNo such SOP Instance\tgeneral (PS3.7 Annex C)'
	run -0 --separate-stderr SE -l
	[[ $output == *$'0x0119\tFailure\tClass-instance conflict; as a Storage Commitment Failure Reason (0008,1197): the archive holds the instance under another SOP Class\tN-EVENT-REPORT'* ]]
	[[ $output == *$'\tN-ACTION'* ]]
}
