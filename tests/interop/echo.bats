#!/usr/bin/env bats
# dcmsend --echo against real peers: DCMTK storescp and Orthanc.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load ../bats/helpers

@test "dcmsend --echo: DCMTK storescp answers Success" {
	start_storescp "$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -v 127.0.0.1 "$SCP_PORT"
	assert_output --regexp $'^0000\tSuccess\t127\\.0\\.0\\.1:[0-9]+\tassociation [0-9.]+ ms\techo [0-9.]+ ms$'
	[[ $stderr == *"OFFIS_DCMTK"* ]]
	[[ $stderr == *"peer max PDU length"* ]]
}

@test "dcmsend --echo --json: one JSON object with the status" {
	start_storescp "$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --json 127.0.0.1 "$SCP_PORT"
	[ "$(jq -r .status <<<"$output")" = 0000 ]
	[ "$(jq -r .category <<<"$output")" = Success ]
	[ "$(jq -r .peer_max_pdu <<<"$output")" -gt 0 ]
}

@test "dcmsend --echo -d: the trace shows every PDU in words" {
	start_storescp "$BATS_TEST_TMPDIR/in" -pdu 8192
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -d -a TRACER -c STORESCP 127.0.0.1 "$SCP_PORT"
	[[ $stderr == *"sent A-ASSOCIATE-RQ"* ]]
	[[ $stderr == *"calling AE 'TRACER'"* ]]
	[[ $stderr == *"received A-ASSOCIATE-AC"* ]]
	[[ $stderr == *"presentation context 1: acceptance - 1.2.840.10008.1.1 (Verification)"* ]]
	[[ $stderr == *"max PDU length: 8192"* ]]
	[[ $stderr == *"C-ECHO-RQ msg-id=1"* ]]
	[[ $stderr == *"C-ECHO-RSP"* ]]
	[[ $stderr == *"received A-RELEASE-RP"* ]]
}

@test "dcmsend --echo: Orthanc answers Success" {
	start_orthanc
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM"
	assert_output --regexp $'^0000\tSuccess\t'
}

@test "dcmsend --echo: Orthanc checking the called AE title rejects a wrong one, exit 4" {
	start_orthanc '"DicomCheckCalledAet": true'
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -c WRONG 127.0.0.1 "$ORTHANC_DICOM"
	assert_output ""
	[[ $stderr == *"rejected by 'WRONG'"* ]]
	[[ $stderr == *"called AE title not recogni"* ]]
	[[ $stderr == *"source 1, reason 7"* ]]
}

@test "dcmsend --echo: valgrind finds no error or leak, against storescp and when refused" {
	require_cmd valgrind
	[ -z "${CSTORE_SANITIZE:-}" ] || skip "valgrind cannot run a sanitizer build"
	start_storescp "$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		"$CSTORE_BIN/dcmsend" --echo -d 127.0.0.1 "$SCP_PORT"
	assert_output --regexp $'^0000\tSuccess'
	port=$(free_port)
	run -3 --separate-stderr valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		"$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$port"
}
