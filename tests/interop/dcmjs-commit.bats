#!/usr/bin/env bats
# dcmsend --commit against an archive on another DIMSE stack:
# dcmjs-dimse's Server (tests/js/commit-scp.js) storing everything and
# reporting on the same association, its report bent: instances nobody
# asked for, one missing, one in both lists, the report before the
# N-ACTION's response, no report.  Only what the report says of our own
# instances counts; anything else is uncommitted (exit 7).
# Runs beside other files (scripts/run-check).
# bats file_tags=parallel

load dcmsend-helpers
load ../bats/dcmrecv-helpers

JS=$BATS_TEST_DIRNAME/../js

setup() {
	require_netns
	require_cmd node
	[ -d "$JS/node_modules/dcmjs-dimse" ] ||
		skip "tests/js/node_modules missing: run scripts/install-deps (npm ci in tests/js)"
	C=$(corpus_dir)
	FILES=("$C/ts/explicit-le.dcm" "$C/ts/implicit-le.dcm" "$C/ts/rle.dcm")
}

# send MODE [dcmsend options]: the three files to commit-scp.js MODE.
send() {
	local mode=$1
	shift
	start_on_free_port "$BATS_TEST_TMPDIR/scp.$mode" node "$JS/commit-scp.js" "{PORT}" "$mode"
	run --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --commit "$@" 127.0.0.1 "$SERVER_PORT" "${FILES[@]}"
	kill "$SERVER_PID"
	wait "$SERVER_PID" || true
	grep -qx $'action\t3' "$BATS_TEST_TMPDIR/scp.$mode"
}

committed() {
	[ "$(grep -c $'^0000\t.*\tcommitted' <<<"$output")" -eq "$1" ]
}

@test "dcmjs-commit: every instance committed, also with the report before the N-ACTION's response, and with strangers named beside ours: exit 0" {
	local mode
	for mode in ok early extra; do
		send "$mode"
		[ "$status" -eq 0 ]
		committed 3
	done
}

@test "dcmjs-commit: a report that leaves one out, or names one in both lists, or none at all: those uncommitted or failed, exit 7" {
	send missing
	[ "$status" -eq 7 ]
	committed 2
	assert_line --regexp $'^0000\t.*/rle\\.dcm\t.*\tuncommitted; .*the commitment report does not name it$'
	send both
	[ "$status" -eq 7 ]
	committed 2
	assert_line --regexp $'^0000\t.*/explicit-le\\.dcm\t.*\tcommitfailed; commitment failed: processing failure \\(0110\\)$'
	send never --commit-timeout 2
	[ "$status" -eq 7 ]
	[ "$(grep -c $'\tuncommitted; no commitment report within 2 s$' <<<"$output")" -eq 3 ]
}
