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
	# before: "cannot open the users file '...': cannot open: No such file..."
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --users "$BATS_TEST_TMPDIR/none" 0
	[ "${stderr%%$'\n'*}" = "dcmrecv: --users: the users file '$BATS_TEST_TMPDIR/none': cannot open: No such file or directory" ]
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
	# a directory is no passcode file: one error line, not a warning about
	# its mode first (before: "open to other users (mode 0755...)" too)
	mkdir -m 755 "$BATS_TEST_TMPDIR/pdir"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --user alice --password-file "$BATS_TEST_TMPDIR/pdir" \
		127.0.0.1 104 "$FIX"
	[ "${stderr_lines[0]}" = "dcmsend: --password-file: cannot read '$BATS_TEST_TMPDIR/pdir': Is a directory" ]
	[[ $stderr != *"open to other users"* ]]
}

# --identity-hook: a JWT, a Kerberos ticket and a user name and passcode
# sent raw (dcmsend sends types 1 and 2 only), judged by a script that
# reads them on its standard input.
CLS=1.2.840.10008.5.1.4.1.1.7
TOKEN='eyJhbGciOiJIUzI1NiJ9.good-token.c2lnbmF0dXJl'

# hook_script: accepts "*good-token*" (name carol, a server response)
# and "long-N" (carol, N bytes of response),
# hangs on "hang" (its PID in hook.pid), rejects the rest; logs its
# environment and arguments.
hook_script() {
	HOOK=$BATS_TEST_TMPDIR/hook
	cat >"$HOOK" <<'EOS'
#!/bin/sh
d=$(dirname "$0")
tok=$(head -c "$CSTORE_IDENTITY_PRIMARY_LENGTH")
pw=$(head -c "$CSTORE_IDENTITY_SECONDARY_LENGTH")
{ env; echo "args: $*"; } >>"$d/hook.env"
echo "$CSTORE_IDENTITY_TYPE $CSTORE_IDENTITY_RESPONSE $CSTORE_CALLING_AE $CSTORE_PEER" >>"$d/hook.log"
case $tok in
*good-token*) printf 'carol\nSERVER-RESPONSE'; exit 0 ;;
long-*) printf 'carol\n'; head -c "${tok#long-}" /dev/zero | tr '\0' R; exit 0 ;;
dave) [ "$pw" = "$(cat "$d/wanted")" ] && exit 0 ;;
hang) echo $$ >"$d/hook.pid"; sleep 60 ;;
esac
echo "hook: no" >&2
exit 3
EOS
	chmod +x "$HOOK"
}

# one_store TYPE PRIMARY [SECONDARY]: an RQ with that identity (response
# asked for), then a C-STORE of the fixture when accepted.
one_store() {
	RAW_IDENTITY=$(identity_hex "$1" 1 "$2" "${3:-}")
	ds_file "$FIX" "$BATS_TEST_TMPDIR/ds"
	if raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2.1 ANY-SCP IDSCU; then
		AC=$RAW_REPLY
		raw_cstore "$CLS" "$INST" "$BATS_TEST_TMPDIR/ds"
		raw_release
		return 0
	fi
	raw_close
	return 1
}

@test "identity hook: a JWT and a Kerberos ticket accepted are stored, the response in the AC, the token nowhere else" {
	hook_script
	start_dcmrecv -v --json --identity-hook "$HOOK" --from-test ';' --require-identity
	one_store 5 "$TOKEN"
	[ "$RAW_STATUS" = 0000 ]
	# the AC's user identity sub-item (59) carries the hook's response
	[[ $AC == *59000011000f$(str_hex SERVER-RESPONSE)* ]]
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
	rm "$RECV_DIR/$INST.dcm"
	one_store 3 "krb-good-token-bytes"
	[ "$RAW_STATUS" = 0000 ]
	stop_dcmrecv
	[ "$(jq -r .user "$RECV_STDOUT" | tr '\n' ' ')" = "jwt:carol kerberos:carol " ]
	# type, response asked, calling AE and peer in the environment
	grep -q '^5 1 IDSCU 127.0.0.1:[0-9]*$' "$BATS_TEST_TMPDIR/hook.log"
	grep -q '^3 1 IDSCU ' "$BATS_TEST_TMPDIR/hook.log"
	grep -q '^args: --from-test$' "$BATS_TEST_TMPDIR/hook.env"
	# the token in neither environment nor arguments nor our messages
	refute grep -F good-token "$BATS_TEST_TMPDIR/hook.env" "$RECV_STDOUT" "$RECV_STDERR"
}

@test "identity hook: a rejection is an RJ (permanent, service user, no reason), nothing written; types 1-2 without --users too" {
	hook_script
	printf '%s' "$PASS" >"$BATS_TEST_TMPDIR/wanted"
	start_dcmrecv --identity-hook "$HOOK" ';'
	refute one_store 5 "bad-token"
	[ "$RAW_REPLY" = 03000000000400010101 ]
	refute one_store 2 dave wrong
	[ "$RAW_REPLY" = 03000000000400010101 ]
	[ -z "$(ls "$RECV_DIR")" ]
	one_store 2 dave "$PASS"
	[ "$RAW_STATUS" = 0000 ]
	stop_dcmrecv
	[ "$(cut -f7 "$RECV_STDOUT")" = dave ]
	grep -q "rejected: the --identity-hook rejected it (exit status 3)" "$RECV_STDERR"
	grep -q "hook: no" "$RECV_STDERR"
	refute grep -F -- "$PASS" "$RECV_STDERR" "$BATS_TEST_TMPDIR/hook.env"
}

@test "identity hook: a server response too long for the AC is an RJ (permanent), not an empty response" {
	hook_script
	start_dcmrecv --identity-hook "$HOOK" ';'
	refute one_store 5 long-65536
	[ "$RAW_REPLY" = 03000000000400010101 ]
	[ -z "$(ls "$RECV_DIR")" ]
	# within the room, but the AC's user information item (16-bit
	# length) cannot hold it with the other sub-items
	refute one_store 5 long-65535
	[ "$RAW_REPLY" = 03000000000400010101 ]
	one_store 5 long-4000
	[ "$RAW_STATUS" = 0000 ]
	[[ $AC == *59000fa20fa0$(printf '52%.0s' $(seq 4000))* ]]
	stop_dcmrecv
	grep -q "rejected: the --identity-hook printed a server response of 65536 bytes (at most 65535)" "$RECV_STDERR"
	grep -q "rejected: cannot accept with a server response of 65535 bytes: cannot encode a-associate-ac" "$RECV_STDERR"
	[ "$(ls "$RECV_DIR")" = "$INST.dcm" ]
}

@test "identity hook: a hook that hangs is killed at -t and the RQ rejected transiently" {
	hook_script
	local rq t0 ms
	start_dcmrecv -t 2 --identity-hook "$HOOK" ';'
	# the RQ is made before the clock starts, and the clock is read in
	# ms (not SECONDS): making it in bash took a loaded machine seconds
	rq=$(RAW_IDENTITY=$(identity_hex 5 1 hang) assoc_rq ANY-SCP IDSCU "$CLS" 1.2.840.10008.1.2.1)
	raw_connect "$RECV_PORT"
	t0=$(now_ms)
	raw_send "$rq"
	RAW_REPLY=$(raw_read_pdu 20)
	ms=$(($(now_ms) - t0))
	raw_close
	[ "$RAW_REPLY" = 03000000000400020101 ]
	# killed at -t (2 s), not at the default 30 s or the hook's own 60
	[ "$ms" -lt 10000 ] || { echo "the rejection came after $ms ms" >&2; false; }
	[ -z "$(ls "$RECV_DIR")" ]
	refute kill -0 "$(cat "$BATS_TEST_TMPDIR/hook.pid")"
	stop_dcmrecv
	grep -q "did not answer within 2 s: killed" "$RECV_STDERR"
}

@test "identity hook: without one a JWT is refused as before, with --users" {
	start_dcmrecv --users "$USERS"
	refute one_store 5 "$TOKEN"
	[ "$RAW_REPLY" = 03000000000400010101 ]
	stop_dcmrecv
	grep -q "user identity type 5 (JSON web token) not supported" "$RECV_STDERR"
	[ -z "$(ls "$RECV_DIR")" ]
}

@test "identity: SIGHUP reads --users again; a bad file keeps the old users" {
	start_dcmrecv -v --users "$USERS" --require-identity
	send --user alice --password-file "$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 0 ]
	# a bad file: one line, the old users kept
	printf 'no colon here\n' >"$USERS.new" && mv "$USERS.new" "$USERS"
	kill -HUP "$RECV_PID"
	wait_for_line "$RECV_STDERR" "users: line 1: .*keeping the users read before"
	rm -f "$RECV_DIR/$INST.dcm"
	send --user alice --password-file "$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 0 ]
	# a new passcode for alice
	printf 'n3w-pass\n' >"$BATS_TEST_TMPDIR/new"
	printf 'alice:%s\n' "$("$CSTORE_BIN/dcmrecv" --hash-password <"$BATS_TEST_TMPDIR/new")" >"$USERS.new"
	mv "$USERS.new" "$USERS"
	kill -HUP "$RECV_PID"
	wait_for_line "$RECV_STDERR" "users: '.*' read again"
	rm -f "$RECV_DIR/$INST.dcm"
	send --user alice --password-file "$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 4 ]
	[ ! -e "$RECV_DIR/$INST.dcm" ]
	send --user alice --password-file "$BATS_TEST_TMPDIR/new"
	[ "$status" -eq 0 ]
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
	stop_dcmrecv
	[ "$(grep -c 'keeping the users read before' "$RECV_STDERR")" -eq 1 ]
}

@test "identity: a --users that is a FIFO or a device is refused, at start and on SIGHUP, never waited for" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	run -2 --separate-stderr timeout 5 "$CSTORE_BIN/dcmrecv" --users "$BATS_TEST_TMPDIR/fifo" 0
	[[ $stderr == *"users file '$BATS_TEST_TMPDIR/fifo': not a regular file but a FIFO"* ]]
	run -2 --separate-stderr timeout 5 "$CSTORE_BIN/dcmrecv" --users /dev/zero 0
	[[ $stderr == *"not a regular file but a character device"* ]]
	start_dcmrecv --users "$USERS" --require-identity
	mv "$USERS" "$USERS.old" && mkfifo "$USERS"
	kill -HUP "$RECV_PID"
	wait_for_line "$RECV_STDERR" "not a regular file but a FIFO.*keeping the users read before"
	send --user alice --password-file "$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 0 ]
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "identity: --password-file from process substitution, a FIFO whose writer comes late, and one with no writer (exit 2 after 5 s, no hang)" {
	start_dcmrecv --users "$USERS" --require-identity
	# bash's <(...): a pipe whose writer is slow to write
	send --user alice --password-file <(sleep 1; printf '%s\n' "$PASS")
	[ "$status" -eq 0 ]
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
	rm "$RECV_DIR/$INST.dcm"
	# a named FIFO whose writer opens it a second after dcmsend
	mkfifo "$BATS_TEST_TMPDIR/late"
	(sleep 1; printf '%s\n' "$PASS" >"$BATS_TEST_TMPDIR/late") &
	track_pid $!
	send --user alice --password-file "$BATS_TEST_TMPDIR/late"
	[ "$status" -eq 0 ]
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
	# a writer that opens and leaves without a word: an empty passcode
	(: >"$BATS_TEST_TMPDIR/late") &
	track_pid $!
	send --user alice --password-file "$BATS_TEST_TMPDIR/late"
	[ "$status" -eq 2 ]
	[[ $stderr == *"--password-file: empty passcode in '$BATS_TEST_TMPDIR/late'"* ]]
	# nobody ever writes: it used to block in open(2) forever
	mkfifo "$BATS_TEST_TMPDIR/none"
	local t0=$SECONDS
	run -2 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --user alice --password-file "$BATS_TEST_TMPDIR/none" 127.0.0.1 "$RECV_PORT" "$FIX"
	[[ $stderr == *"dcmsend: --password-file: '$BATS_TEST_TMPDIR/none' is a FIFO no process opened for writing within 5 s"* ]]
	[ $((SECONDS - t0)) -ge 4 ] && [ $((SECONDS - t0)) -le 15 ]
	stop_dcmrecv
	[ "$(wc -l <"$RECV_STDOUT")" -eq 2 ]
}

# in_memory PID TEXT: how many times TEXT is in the readable anonymous
# memory of PID and of its children (the helper processes)
in_memory() {
	local p n=0 c
	for p in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		c=$(python3 - "$p" "$2" <<'PY'
import sys
pid, needle, n = int(sys.argv[1]), sys.argv[2].encode(), 0
with open("/proc/%d/maps" % pid) as m, open("/proc/%d/mem" % pid, "rb", 0) as mem:
    for line in m:
        f = line.split()
        # anonymous memory only: heap, stacks, buffers (not files)
        if not f[1].startswith("r") or (len(f) > 5 and not f[5].startswith("[")):
            continue
        a, b = (int(x, 16) for x in f[0].split("-"))
        # in slices overlapping by the needle; a sanitizer's shadow
        # (terabytes reserved) holds no program data: skipped
        if b - a > 1 << 30:
            continue
        tail = b""
        while a < b:
            try:
                mem.seek(a)
                chunk = tail + mem.read(min(b - a, 1 << 20))
            except (OSError, ValueError, OverflowError):
                break
            n += chunk.count(needle)
            tail = chunk[-(len(needle) - 1):] if len(needle) > 1 else b""
            a += min(b - a, 1 << 20)
print(n)
PY
)
		n=$((n + c))
	done
	echo "$n"
}

@test "identity: once judged, the passcode and the token are wiped from the receiver's memory" {
	[ -r /proc/self/mem ] && [ "$(id -u)" = 0 ] || skip "needs to read another process's memory"
	hook_script
	start_dcmrecv --users "$USERS" --identity-hook "$HOOK" ';'
	send --user alice --password-file "$BATS_TEST_TMPDIR/pass"
	[ "$status" -eq 0 ]
	one_store 5 "$TOKEN"
	[ "$RAW_STATUS" = 0000 ]
	[ "$(in_memory "$RECV_PID" "$PASS")" -eq 0 ]
	[ "$(in_memory "$RECV_PID" "$TOKEN")" -eq 0 ]
	# the scan can see: alice's hash, which the receiver keeps, is found
	[ "$(in_memory "$RECV_PID" "$(grep '^alice:' "$USERS" | cut -d: -f2)")" -gt 0 ]
	stop_dcmrecv
}

# A handler that runs on a thread outliving the server touches freed
# memory at stop: every thread but the main one blocks HUP, INT and TERM.
@test "identity: the --users reloader and the association threads block the stop and reload signals" {
	start_dcmrecv --users "$USERS"
	raw_associate "$RECV_PORT" 1.2.840.10008.1.1
	local t n=0 blk
	for t in /proc/"$RECV_PID"/task/*; do
		[ "${t##*/}" = "$RECV_PID" ] && continue
		blk=$(awk '/^SigBlk:/ { print $2 }' "$t/status")
		# SIGHUP 1, SIGINT 2, SIGTERM 15: bits 0x1, 0x2, 0x4000
		[ $((0x$blk & 0x4003)) -eq $((0x4003)) ] ||
			{ echo "thread ${t##*/} blocks only $blk" >&2; return 1; }
		n=$((n + 1))
	done
	# the reloader and the association's worker at least
	[ "$n" -ge 2 ]
	raw_release
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}
