#!/usr/bin/env bats
# dcmsend --echo against misbehaving peers (our own tcp-stub): exit codes
# and one-line reasons.  Real peers are in tests/interop/echo.bats.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

@test "dcmsend --echo: nobody listening exits 3 with the reason" {
	port=$(free_port)
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$port"
	assert_output ""
	[[ $stderr == *"Connection refused"* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}

@test "dcmsend --echo: an unknown host exits 3" {
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --echo no-such-host.invalid 104
	[[ $stderr == *"cannot resolve 'no-such-host.invalid'"* ]]
}

@test "dcmsend --echo: a peer that accepts and closes at once exits 5" {
	start_stub close
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$STUB_PORT"
	assert_output ""
	[[ $stderr == *"closed the connection"* ]]
	# not only TLS closes so (before: the hint named TLS alone)
	[[ $stderr == *"without answering the association request"*"; a TLS port (--tls), a balancer with no server up, or a peer refusing this address?" ]]
}

@test "dcmsend: a web server on the port (an HTTP answer to the A-ASSOCIATE-RQ) is said so, exit 3, not retried" {
	printf 'HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n' >"$BATS_TEST_TMPDIR/http"
	start_stub send "$BATS_TEST_TMPDIR/http"
	# before: "unrecognized pdu type 0x48 in Sta5 ...", exit 5
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$STUB_PORT"
	[ "$stderr" = "dcmsend: echo to '127.0.0.1' port $STUB_PORT failed: the peer answered in HTTP: a web server, not a DICOM port (\"HTTP/1.1 400 Bad Request\")" ]
	wait "$STUB_PID" || true
	start_stub send "$BATS_TEST_TMPDIR/http"
	# not retried: a retry would wait 10 s first
	SECONDS=0
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --retry 3 --retry-delay 10 127.0.0.1 "$STUB_PORT" "$CSTORE_ROOT/tests/data/p10-evrle.dcm"
	[ "$SECONDS" -lt 5 ]
	assert_output --regexp $'^notsent\t.*\tassociation 1 failed: the peer answered in HTTP: a web server, not a DICOM port \\("HTTP/1.1 400 Bad Request"\\)$'
}

@test "dcmsend: a web server whose answer comes in pieces (\"HTT\", a pause, the rest) is said so too, exit 3" {
	local pf=$BATS_TEST_TMPDIR/http.port pid i
	/usr/bin/python3 - "$pf" <<-'PY' &
		import socket, sys, time
		s = socket.socket()
		s.bind(("127.0.0.1", 0))
		s.listen(1)
		s.settimeout(20)
		with open(sys.argv[1] + ".tmp", "w") as f:
		    f.write(str(s.getsockname()[1]))
		import os
		os.rename(sys.argv[1] + ".tmp", sys.argv[1])
		c, _ = s.accept()
		c.settimeout(20)
		c.recv(65536)
		c.sendall(b"HTT")
		time.sleep(0.3)
		c.sendall(b"P/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		time.sleep(1)
		c.close()
	PY
	pid=$!
	track_pid "$pid"
	for i in $(seq 200); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	# before: "unrecognized pdu type 0x48 in Sta5", exit 5
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$(cat "$pf")"
	# the rest of the line is waited for a while, only to be shown
	[[ $stderr == "dcmsend: echo to '127.0.0.1' port $(cat "$pf") failed: the peer answered in HTTP: a web server, not a DICOM port (\"HTT"*'")' ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	wait "$pid" || true
}

@test "dcmsend --echo: a web server silent until our A-ABORT, then answering in HTTP (a 408), is no answer: exit 3, never a crash" {
	local pf=$BATS_TEST_TMPDIR/http.port pid i
	/usr/bin/python3 - "$pf" <<-'PY' &
		import os, socket, sys
		s = socket.socket()
		s.bind(("127.0.0.1", 0))
		s.listen(1)
		s.settimeout(30)
		with open(sys.argv[1] + ".tmp", "w") as f:
		    f.write(str(s.getsockname()[1]))
		os.rename(sys.argv[1] + ".tmp", sys.argv[1])
		c, _ = s.accept()
		c.settimeout(30)
		def pdu():
		    b = b""
		    while len(b) < 6 or len(b) < 6 + int.from_bytes(b[2:6], "big"):
		        more = c.recv(65536)
		        if not more:
		            sys.exit(1)
		        b += more
		    return b
		pdu()  # the A-ASSOCIATE-RQ, left unanswered
		if pdu()[0] != 7:  # the A-ABORT at the ACSE timeout
		    sys.exit(1)
		try:
		    c.sendall(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n")
		    c.recv(1)
		except OSError:
		    pass
		c.close()
	PY
	pid=$!
	track_pid "$pid"
	for i in $(seq 200); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	# before: SIGSEGV (exit 139), the HTTP answer read while lingering
	# after the abort, where no error is kept
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --acse-timeout 1 127.0.0.1 "$(cat "$pf")"
	[ "$stderr" = "dcmsend: echo to '127.0.0.1' port $(cat "$pf") failed: no answer to the association request from '127.0.0.1' port $(cat "$pf") within 1000 ms" ]
	wait "$pid"
}

# bats test_tags=serial
@test "dcmsend --echo: a peer that never answers gives up within the ACSE timeout" {
	start_stub silent
	SECONDS=0
	# exit 3, as dcmsend(1) says: the peer was not reached at the DICOM
	# level (the test took 3 or 5 before the page said which)
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --acse-timeout 1 127.0.0.1 "$STUB_PORT"
	[ "$SECONDS" -lt 10 ]
	[[ $stderr == *"no answer to the association request"* ]]
}

@test "dcmsend --echo: a peer answering garbage gets an abort, exit 5" {
	# an SSH server's greeting (an HTTP answer has a line of its own:
	# "a web server on the port" below)
	printf 'SSH-2.0-OpenSSH_9.6\r\n' >"$BATS_TEST_TMPDIR/garbage"
	start_stub send "$BATS_TEST_TMPDIR/garbage"
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$STUB_PORT"
	[[ $stderr == *"echo to '127.0.0.1'"* ]]
}

@test "dcmsend --echo: a rejection is exit 4 with the reason in words" {
	# A-ASSOCIATE-RJ: permanent (1), service user (1), called AE title not recognised (7)
	printf '\x03\x00\x00\x00\x00\x04\x00\x01\x01\x07' >"$BATS_TEST_TMPDIR/rj"
	start_stub send "$BATS_TEST_TMPDIR/rj"
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -c ARCHIVE 127.0.0.1 "$STUB_PORT"
	assert_output ""
	[[ $stderr == *"rejected by 'ARCHIVE'"* ]]
	[[ $stderr == *"called AE title not recognized"* || $stderr == *"called AE title not recognised"* ]]
	[[ $stderr == *"result 1, source 1, reason 7"* ]]
}

@test "dcmsend --echo: a peer accepting with a maximum PDU length no fragment fits (1, 7) is aborted at once, exit 4, the reason in words" {
	local max ac body
	for max in 1 7; do
		# A-ASSOCIATE-AC: context 1 accepted with Implicit VR LE, Maximum Length $max
		body="00010000$(str_hex "$(printf '%-16s' ANY-SCP)")$(str_hex "$(printf '%-16s' DCMSEND)")$(printf '%064d' 0)"
		body+=$(item 10 "$(str_hex 1.2.840.10008.3.1.1.1)")
		body+=$(item 21 "01000000$(item 40 "$(str_hex 1.2.840.10008.1.2)")")
		body+=$(item 50 "$(item 51 "$(be32 "$max")")$(item 52 "$(str_hex 1.2.3)")")
		ac="0200$(be32 $((${#body} / 2)))$body"
		xxd -r -p <<<"$ac" >"$BATS_TEST_TMPDIR/ac"
		start_stub send "$BATS_TEST_TMPDIR/ac"
		run -4 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$STUB_PORT"
		assert_output ""
		[[ $stderr == *"the peer's maximum pdu length $max leaves no room for data (a pdv header and an even fragment need at least 8, PS3.8 9.3.5, E.1)"* ]]
		wait "$STUB_PID" 2>/dev/null || true
	done
}

@test "dcmsend --echo: an A-ABORT answer exits 5 naming the abort" {
	printf '\x07\x00\x00\x00\x00\x04\x00\x00\x02\x01' >"$BATS_TEST_TMPDIR/abort"
	start_stub send "$BATS_TEST_TMPDIR/abort"
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$STUB_PORT"
	[[ $stderr == *"aborted"* ]]
}

@test "dcmsend --echo: a port out of range is a usage error" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 70000
	assert_output ""
	[[ $stderr == *"port '70000': out of range (1-65535)"* ]]
	[[ $stderr == *"Try 'dcmsend --help'."* ]]
}

@test "dcmsend --echo: files with --echo are a usage error" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 104 a.dcm
	[[ $stderr == *"--echo takes no files"* ]]
}

@test "dcmsend: a missing port is a usage error" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1
	[[ $stderr == *"missing port"* ]]
}

# Before: "missing port" for HOST:PORT alone, and "port 'x.dcm': not a
# number" with a file after it: neither said what to type instead.
@test "dcmsend: HOST:PORT in one operand (dcm4che's way) is a usage error naming the two operands" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1:11112
	assert_output ""
	[ "${stderr%%$'\n'*}" = "dcmsend: host '127.0.0.1:11112' holds a port: host and port are two operands ('127.0.0.1 11112')" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" pacs.example:104 "$BATS_TEST_TMPDIR/a.dcm"
	[[ $stderr == *"host 'pacs.example:104' holds a port: host and port are two operands ('pacs.example 104')"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" '[::1]:104' "$BATS_TEST_TMPDIR/a.dcm"
	[[ $stderr == *"host '[::1]:104' holds a port"*"('[::1] 104')"* ]]
	# an IPv6 address without brackets is a host, its last group no port
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo ::1
	[[ $stderr == *"missing port"* ]]
}

# Before: 'pacs:1 +104' refused as HOST:PORT (the port parser takes
# '+104'), and 'pacs:99999' told to type 'pacs 99999', no port either.
@test "dcmsend: HOST:PORT is told apart by the port parser's rule; a port out of range is not suggested" {
	run --separate-stderr "$CSTORE_BIN/dcmsend" --echo pacs.invalid:1 +104
	[[ $stderr != *"holds a port"* ]] || { echo "$stderr" >&2; return 1; }
	[[ $stderr == *"pacs.invalid:1"* ]]
	run --separate-stderr "$CSTORE_BIN/dcmsend" --echo pacs.invalid:1 ' 104'
	[[ $stderr != *"holds a port"* ]] || { echo "$stderr" >&2; return 1; }
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo pacs:99999
	assert_output ""
	[ "$stderr" = "dcmsend: host 'pacs:99999' holds a port, '99999' out of range (1-65535): host and port are two operands"$'\n'"Try 'dcmsend --help'." ] ||
		{ echo "$stderr" >&2; return 1; }
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo pacs:0104
	[[ $stderr == *"('pacs 104')"* ]]
}

# Before: the port was printed as typed: '127.0.0.1:+PORT', "port":"0PORT".
@test "dcmsend --echo: the port is printed as a number, whatever the digits typed ('+PORT', '0PORT')" {
	start_dcmrecv
	local p
	for p in "+$RECV_PORT" "0$RECV_PORT"; do
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$p"
		[[ $output == $'0000\tSuccess\t127.0.0.1:'"$RECV_PORT"$'\t'* ]]
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --json 127.0.0.1 "$p"
		[[ $output == *'"port":"'"$RECV_PORT"'"'* ]]
	done
	stop_dcmrecv
}

@test "dcmsend --echo: --max-pdu sets the Maximum Length we advertise; 0 is no limit, the default 262144" {
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -d 127.0.0.1 "$RECV_PORT"
	# the A-ASSOCIATE-RQ is traced first, the peer's AC second
	[ "$(printf '%s\n' "$stderr" | grep 'max PDU length' | head -n1)" = "dcmsend:     max PDU length: 262144" ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -d --max-pdu 0 127.0.0.1 "$RECV_PORT"
	[ "$(printf '%s\n' "$stderr" | grep 'max PDU length' | head -n1)" = "dcmsend:     max PDU length: 0 (no limit)" ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -d --max-pdu 8192 127.0.0.1 "$RECV_PORT"
	[ "$(printf '%s\n' "$stderr" | grep 'max PDU length' | head -n1)" = "dcmsend:     max PDU length: 8192" ]
}

@test "dcmsend --echo: a result line that cannot be written (/dev/full) exits 6, not 0" {
	[ -w /dev/full ] || skip "no /dev/full"
	start_dcmrecv
	run -6 --separate-stderr bash -c '"$0" --echo 127.0.0.1 "$1" >/dev/full' \
		"$CSTORE_BIN/dcmsend" "$RECV_PORT"
	[ "$stderr" = "dcmsend: cannot write the result: No space left on device" ]
	# the same echo to a writable output: its line, 0
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT"
	assert_output --regexp $'^0000\tSuccess\t127\\.0\\.0\\.1:'
}
