#!/usr/bin/env bats
# The tests' own servers that cannot bind port 0 (DCMTK storescp and
# dcmrecv, Orthanc) survive a port taken between free_port and their
# bind: they start again on another port, and the tests talk to them,
# not to whoever took the port.  Here free_port's first answer is a port
# that our dcmrecv already listens on.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

# free_port answers TAKEN once, then as the helpers' does.
eval "real_$(declare -f free_port)"
setup() {
	require_netns
	start_dcmrecv
	TAKEN=$RECV_PORT
	rm -f "$BATS_TEST_TMPDIR/taken.given"
}
free_port() {
	if [ ! -e "$BATS_TEST_TMPDIR/taken.given" ]; then
		: >"$BATS_TEST_TMPDIR/taken.given"
		echo "$TAKEN"
		return 0
	fi
	real_free_port
}

@test "start_storescp: a port taken meanwhile makes it start again on another, and it is storescp that answers" {
	start_storescp "$BATS_TEST_TMPDIR/in" 2>"$BATS_TEST_TMPDIR/start.err"
	[ -e "$BATS_TEST_TMPDIR/taken.given" ]
	[ "$SCP_PORT" != "$TAKEN" ]
	listens "$SCP_PORT" "$SCP_PID"
	grep -q "port $TAKEN was taken" "$BATS_TEST_TMPDIR/start.err"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -v 127.0.0.1 "$SCP_PORT"
	assert_output --regexp $'^0000\tSuccess'
	# DCMTK's implementation class UID root, not ours
	[[ $stderr == *"implementation class UID 1.2.276.0.7230010."* ]]
}

@test "start_on_free_port: DCMTK dcmrecv too" {
	require_cmd /usr/bin/dcmrecv
	mkdir -p "$BATS_TEST_TMPDIR/in"
	start_on_free_port "$BATS_TEST_TMPDIR/dcmrecv.log" 2>"$BATS_TEST_TMPDIR/start.err" \
		/usr/bin/dcmrecv -od "$BATS_TEST_TMPDIR/in" "{PORT}"
	[ "$SERVER_PORT" != "$TAKEN" ]
	listens "$SERVER_PORT" "$SERVER_PID"
	grep -q "port $TAKEN was taken" "$BATS_TEST_TMPDIR/start.err"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$SERVER_PORT"
}

@test "start_on_free_port: a server that fails for another reason is not retried, its log is shown" {
	run -1 start_on_free_port "$BATS_TEST_TMPDIR/x.log" /usr/bin/storescp --no-such-option "{PORT}"
	[[ $output == *"did not listen"* ]]
	[ "$(grep -c 'was taken' <<<"$output")" -le 1 ]
}

@test "start_orthanc: a DICOM port taken meanwhile makes it start again on other ports" {
	start_orthanc 2>"$BATS_TEST_TMPDIR/start.err"
	[ "$ORTHANC_DICOM" != "$TAKEN" ]
	listens "$ORTHANC_DICOM" "$ORTHANC_PID"
	listens "$ORTHANC_HTTP" "$ORTHANC_PID"
	grep -q "was taken" "$BATS_TEST_TMPDIR/start.err"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM"
	assert_output --regexp $'^0000\tSuccess'
}
