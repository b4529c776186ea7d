#!/usr/bin/env bats
# DCMTK storescu --user/--password (User Identity Negotiation, PS3.7
# D.3.3.7) to our dcmrecv --users: the right passcode stored byte for
# byte (the data set DCMTK's own bit-preserving storescp +B got from the
# same storescu), wrong and missing ones refused with nothing written,
# the passcode in none of dcmrecv's -d output.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/img16-evrle.dcm
PASS='s3cret-Passc0de'

setup() {
	require_cmd /usr/bin/storescu
	local h
	h=$(printf '%s\n' "$PASS" | "$CSTORE_BIN/dcmrecv" --hash-password)
	printf 'alice:%s\n' "$h" >"$BATS_TEST_TMPDIR/users"
	INST=$(meta_value "$FIX" 0008,0018)
	[ -n "$INST" ]
}

# scu PORT [storescu options...]: the fixture; log in scu.log, status in $scu_rc
scu() {
	local port=$1
	shift
	scu_rc=0
	TCP_NODELAY=1 /usr/bin/storescu "$@" 127.0.0.1 "$port" "$FIX" \
		>"$BATS_TEST_TMPDIR/scu.log" 2>&1 || scu_rc=$?
}

@test "identity-dcmtk: storescu --user --password stores byte for byte, the user in our line" {
	start_storescp "$BATS_TEST_TMPDIR/ref" +B
	start_dcmrecv -d --users "$BATS_TEST_TMPDIR/users" --require-identity
	scu "$SCP_PORT" --user alice --password "$PASS"
	[ "$scu_rc" -eq 0 ]
	scu "$RECV_PORT" --user alice --password "$PASS"
	[ "$scu_rc" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/scu.log" >&2; return 1; }
	stop_dcmrecv
	local ref
	ref=$(ls "$BATS_TEST_TMPDIR/ref"/*)
	same_dataset "$ref" "$RECV_DIR/$INST.dcm"
	[ "$(cut -f7 "$RECV_STDOUT")" = alice ]
	[ "$(cut -f4 "$RECV_STDOUT")" = STORESCU ]
	grep -q "user identity: type 2 (user name and passcode), user 'alice'" "$RECV_STDERR"
	refute grep -F -- "$PASS" "$RECV_STDERR" "$RECV_STDOUT"
}

@test "identity-dcmtk: storescu --pos-response gets the positive response it asks for" {
	start_dcmrecv -d --users "$BATS_TEST_TMPDIR/users"
	scu "$RECV_PORT" --user alice --password "$PASS" --pos-response -d
	[ "$scu_rc" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/scu.log" >&2; return 1; }
	stop_dcmrecv
	[ -f "$RECV_DIR/$INST.dcm" ]
	grep -q "user identity response: 0 bytes" "$RECV_STDERR"
	# storescu's own trace of our A-ASSOCIATE-AC shows the sub-item
	grep -qi "User Identity Negotiation Response" "$BATS_TEST_TMPDIR/scu.log"
}

@test "identity-dcmtk: a wrong, empty or missing passcode is refused (permanent, service user, no reason); nothing written" {
	start_dcmrecv -d --users "$BATS_TEST_TMPDIR/users" --require-identity
	scu "$RECV_PORT" --user alice --password wrong-one
	[ "$scu_rc" -ne 0 ]
	grep -q "Result: Rejected Permanent, Source: Service User" "$BATS_TEST_TMPDIR/scu.log"
	grep -q "Reason: No Reason" "$BATS_TEST_TMPDIR/scu.log"
	scu "$RECV_PORT" --user alice --empty-password
	[ "$scu_rc" -ne 0 ]
	scu "$RECV_PORT" --user mallory --password "$PASS"
	[ "$scu_rc" -ne 0 ]
	scu "$RECV_PORT"
	[ "$scu_rc" -ne 0 ]
	grep -q "Result: Rejected Permanent, Source: Service User" "$BATS_TEST_TMPDIR/scu.log"
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	[ ! -s "$RECV_STDOUT" ]
	[ "$(grep -c 'rejected: .*(result 1, source 1, reason 1)' "$RECV_STDERR")" -eq 4 ]
	grep -q "rejected: user 'alice': wrong passcode" "$RECV_STDERR"
	grep -q "rejected: unknown user 'mallory'" "$RECV_STDERR"
	grep -q "rejected: no user identity (one is required)" "$RECV_STDERR"
	refute grep -F -- "$PASS" "$RECV_STDERR"
	refute grep -F -- wrong-one "$RECV_STDERR"
}

@test "identity-dcmtk: Kerberos and SAML identities are refused with the reason" {
	printf 'ticket-bytes\n' >"$BATS_TEST_TMPDIR/ticket"
	printf '<saml:Assertion/>\n' >"$BATS_TEST_TMPDIR/saml"
	start_dcmrecv --users "$BATS_TEST_TMPDIR/users"
	scu "$RECV_PORT" --kerberos "$BATS_TEST_TMPDIR/ticket"
	[ "$scu_rc" -ne 0 ]
	scu "$RECV_PORT" --saml "$BATS_TEST_TMPDIR/saml"
	[ "$scu_rc" -ne 0 ]
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	grep -q "rejected: user identity type 3 (Kerberos ticket) not supported" "$RECV_STDERR"
	grep -q "rejected: user identity type 4 (SAML assertion) not supported" "$RECV_STDERR"
}
