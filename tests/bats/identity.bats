#!/usr/bin/env bats
# User Identity Negotiation (PS3.7 D.3.3.7), ours to ours: dcmsend --user
# with --password-file/--password-stdin/--identity-response, dcmrecv
# --users/--require-identity/--hash-password.  Every test checks what is
# in the output directory, and the passcode is looked for in every -d
# trace and message.  DCMTK storescu --user/--password to us is in
# tests/interop/identity-dcmtk.bats.

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
INST=2.25.314159265358979323846264338327950
PASS='Tr0ub4dor&3-horse'

setup() {
	umask 077
	printf '%s\n' "$PASS" >"$BATS_TEST_TMPDIR/pass"
	printf 'not-it\n' >"$BATS_TEST_TMPDIR/wrong"
	local h
	h=$(printf '%s\n' "$PASS" | "$CSTORE_BIN/dcmrecv" --hash-password)
	printf '# users\nalice:%s\nbob:\n' "$h" >"$BATS_TEST_TMPDIR/users"
	USERS=$BATS_TEST_TMPDIR/users
}

# send [dcmsend options...]: the fixture to our receiver; sets status,
# output, stderr.
send() {
	run --separate-stderr "$CSTORE_BIN/dcmsend" "$@" 127.0.0.1 "$RECV_PORT" "$FIX"
}

no_passcode_in() {
	local f
	for f in "$@"; do
		if grep -F -- "$PASS" "$f" >/dev/null; then
			echo "the passcode is in $f" >&2
			return 1
		fi
	done
}

@test "identity: --hash-password prints a yescrypt hash, or SHA-512 when asked" {
	run -0 --separate-stderr "$CSTORE_BIN/dcmrecv" --hash-password <<<"$PASS"
	[[ $output == '$y$'* ]]
	local y=$output
	run -0 --separate-stderr "$CSTORE_BIN/dcmrecv" --hash-password=sha512 <<<"$PASS"
	[[ $output == '$6$'* ]]
	# salted: the same passcode twice gives two hashes
	run -0 --separate-stderr "$CSTORE_BIN/dcmrecv" --hash-password <<<"$PASS"
	[ "$output" != "$y" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --hash-password=md5 <<<"$PASS"
	[[ $stderr == *"hash method 'md5': expected yescrypt or sha512"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --hash-password </dev/null
	[[ $stderr == *"empty passcode"* ]]
}

@test "identity: the right passcode is stored, the user in the line and the JSON" {
	start_dcmrecv -v --users "$USERS" --require-identity
	send --user alice --password-file "$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 0 ]
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
	stop_dcmrecv
	[ "$(cut -f7 "$RECV_STDOUT")" = alice ]
	[ "$(cut -f6 "$RECV_STDOUT")" = "" ]
	grep -q "as user 'alice': accepted" "$RECV_STDERR"

	RECV_DIR=$BATS_TEST_TMPDIR/json
	start_dcmrecv --json --users "$USERS"
	send --user alice --password-stdin <"$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 0 ]
	stop_dcmrecv
	[ "$(jq -r .user "$RECV_STDOUT")" = alice ]
	# without an identity (not required): stored, the user empty
	rm -f "$RECV_DIR/$INST.dcm"
	start_dcmrecv --json --users "$USERS"
	send
	[ "$status" -eq 0 ]
	stop_dcmrecv
	[ "$(jq -r .user "$RECV_STDOUT")" = "" ]
	[ -f "$RECV_DIR/$INST.dcm" ]
}

@test "identity: a wrong, missing or passcode-less identity is rejected permanent, service user, reason 1; nothing written" {
	start_dcmrecv --users "$USERS" --require-identity
	send --user alice --password-file "$BATS_TEST_TMPDIR/wrong"
	[ "$status" -eq 4 ]
	[[ $output == notsent* ]]
	[[ $stderr == *"(result 1, source 1, reason 1); was the user identity refused?"* ]]
	send
	[ "$status" -eq 4 ]
	send --user alice
	[ "$status" -eq 4 ]
	send --user carol --password-file "$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 4 ]
	# permanent: --retry does not try again with the same credentials
	send --retry 3 --retry-delay 0 --user alice --password-file "$BATS_TEST_TMPDIR/wrong"
	[ "$status" -eq 4 ]
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	[ ! -s "$RECV_STDOUT" ]
	grep -q "rejected: user 'alice': wrong passcode (result 1, source 1, reason 1)" "$RECV_STDERR"
	grep -q "rejected: no user identity (one is required)" "$RECV_STDERR"
	grep -q "rejected: user 'alice' sent no passcode" "$RECV_STDERR"
	grep -q "rejected: unknown user 'carol'" "$RECV_STDERR"
	[ "$(grep -c rejected "$RECV_STDERR")" -eq 5 ]
}

@test "identity: a name-only user (NAME: line) passes with the name alone" {
	start_dcmrecv --users "$USERS" --require-identity
	send --user bob
	[ "$status" -eq 0 ]
	stop_dcmrecv
	[ -f "$RECV_DIR/$INST.dcm" ]
	[ "$(cut -f7 "$RECV_STDOUT")" = bob ]
}

@test "identity: --identity-response is confirmed by a receiver with --users, refused without one" {
	start_dcmrecv --users "$USERS"
	send -v --user alice --password-file "$BATS_TEST_TMPDIR/pass" --identity-response
	[ "$status" -eq 0 ]
	[[ $stderr == *"user identity 'alice' confirmed by the peer"* ]]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -v --echo --user alice \
		--password-file "$BATS_TEST_TMPDIR/pass" --identity-response 127.0.0.1 "$RECV_PORT"
	[[ $stderr == *"user identity 'alice' confirmed by the peer"* ]]
	stop_dcmrecv
	[ -f "$RECV_DIR/$INST.dcm" ]

	# a receiver that ignores identities accepts but does not confirm
	RECV_DIR=$BATS_TEST_TMPDIR/plain
	start_dcmrecv
	send --user alice --password-file "$BATS_TEST_TMPDIR/pass" --identity-response
	[ "$status" -eq 4 ]
	[[ $output == notsent* ]]
	[[ $stderr == *"'ANY-SCP' did not confirm user identity 'alice' (a positive response was requested): nothing sent"* ]]
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	# without --identity-response the same receiver takes it
	start_dcmrecv
	send --user alice --password-file "$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 0 ]
	stop_dcmrecv
	[ -f "$RECV_DIR/$INST.dcm" ]
	# without --users the line is as before: five fields
	[ "$(awk -F'\t' '{ print NF }' "$RECV_STDOUT")" = 5 ]
}

@test "identity: the passcode is in no -d trace or message of either side" {
	start_dcmrecv -d --users "$USERS"
	send -d -v --user alice --password-file "$BATS_TEST_TMPDIR/pass" --identity-response
	[ "$status" -eq 0 ]
	printf '%s\n' "$stderr" >"$BATS_TEST_TMPDIR/send.err"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/send.out"
	send -d --user alice --password-file "$BATS_TEST_TMPDIR/wrong"
	[ "$status" -eq 4 ]
	printf '%s\n' "$stderr" >>"$BATS_TEST_TMPDIR/send.err"
	send -d --user alice --password-stdin <"$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 0 ]
	printf '%s\n' "$stderr" >>"$BATS_TEST_TMPDIR/send.err"
	stop_dcmrecv
	# the trace did show the identity: the name and the lengths
	grep -q "user identity: type 2 (user name and passcode), user 'alice', 5-byte primary field, ${#PASS}-byte secondary field, response requested" \
		"$BATS_TEST_TMPDIR/send.err"
	grep -q "user identity: type 2 (user name and passcode), user 'alice'" "$RECV_STDERR"
	grep -q "user identity response: 0 bytes" "$RECV_STDERR"
	no_passcode_in "$BATS_TEST_TMPDIR/send.err" "$BATS_TEST_TMPDIR/send.out" \
		"$RECV_STDERR" "$RECV_STDOUT"
}

@test "identity: usage errors (exit 2): --password, lone options, bad users files" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --user a --password "$PASS" 127.0.0.1 104 "$FIX"
	[[ $stderr == *"--password: a passcode on the command line is seen by every local user"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --password-file "$BATS_TEST_TMPDIR/pass" 127.0.0.1 104 "$FIX"
	[[ $stderr == *"--password-file needs --user"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --identity-response 127.0.0.1 104 "$FIX"
	[[ $stderr == *"--identity-response needs --user"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --user a --password-file "$BATS_TEST_TMPDIR/pass" --password-stdin 127.0.0.1 104 "$FIX"
	[[ $stderr == *"exclude each other"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --user a --password-stdin 127.0.0.1 104 - <"$BATS_TEST_TMPDIR/pass"
	[[ $stderr == *"standard input holds the passcode"* ]]
	: >"$BATS_TEST_TMPDIR/empty"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --user a --password-file "$BATS_TEST_TMPDIR/empty" 127.0.0.1 104 "$FIX"
	[[ $stderr == *"empty passcode"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --require-identity 0
	[[ $stderr == *"--require-identity needs --users"* ]]
	printf 'alice:plaintext\n' >"$BATS_TEST_TMPDIR/bad"
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --users "$BATS_TEST_TMPDIR/bad" 0
	[[ $stderr == *"line 1: user 'alice': the hash is not a crypt(3) hash"* ]]
	[[ $stderr != *plaintext* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --users "$BATS_TEST_TMPDIR/none" 0
	[[ $stderr == *"cannot open the users file"* ]]
}

@test "identity: a passcode file open to other users is warned about, not refused" {
	start_dcmrecv --users "$USERS"
	send --user alice --password-file "$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 0 ]
	[[ $stderr != *"open to other users"* ]]
	chmod 644 "$BATS_TEST_TMPDIR/pass"
	send --user alice --password-file "$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 0 ]
	[[ $stderr == *"warning: the passcode file '$BATS_TEST_TMPDIR/pass' is open to other users (mode 0644; chmod 600 it)"* ]]
	stop_dcmrecv
	[ "$(wc -l <"$RECV_STDOUT")" -eq 2 ]
}
