#!/usr/bin/env bats
# dcmrecv in a server room: --proxy-protocol and --proxy-from with raw
# PROXY headers (HAProxy itself: tests/interop/haproxy.bats),
# --reuse-port with two receivers on one port, and systemd socket
# activation (systemd-socket-activate, alone and with the socket and
# service units of contrib/systemd; systemd-analyze verify of the units).
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
CLS=1.2.840.10008.5.1.4.1.1.7
INST=2.25.314159265358979323846264338327950
V2SIG=0d0a0d0a000d0a515549540a

setup() {
	DS=$BATS_TEST_TMPDIR/ds
	ds_file "$FIX" "$DS"
}

# proxied_store HEADER_HEX [PAUSE]: connect, send the PROXY header (in
# two pieces PAUSE seconds apart when PAUSE is given), associate, store
# the fixture and release.
proxied_store() {
	raw_connect "$RECV_PORT"
	if [ -n "${2:-}" ]; then
		raw_send "${1:0:10}"
		sleep "$2"
		raw_send "${1:10}"
	else
		raw_send "$1"
	fi
	raw_send "$(assoc_rq ANY-SCP RAWSCU "$CLS" 1.2.840.10008.1.2.1)"
	RAW_REPLY=$(raw_read_pdu)
	[ "${RAW_REPLY:0:2}" = 02 ] || { echo "no A-ASSOCIATE-AC: '${RAW_REPLY:0:20}'" >&2; return 1; }
	raw_cstore "$CLS" "$INST" "$DS"
	[ "$RAW_STATUS" = 0000 ]
	raw_release
}

# --- PROXY protocol --------------------------------------------------------

@test "dcmrecv --proxy-protocol: a v1 header's client is the peer of the output line and the log" {
	start_dcmrecv -v --proxy-protocol
	proxied_store "$(str_hex 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 104')0d0a"
	wait_for_line "$RECV_STDOUT" "$INST"
	run cut -f5 "$RECV_STDOUT"
	assert_output "192.0.2.7:5555"
	grep -q "PROXY v1 header from 127.0.0.1:[0-9]*: the client is 192.0.2.7:5555" "$RECV_STDERR"
	grep -q "from 'RAWSCU' at 192.0.2.7:5555" "$RECV_STDERR"
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
}

@test "dcmrecv --proxy-protocol: a v2 header arriving in pieces, IPv6 client, JSON" {
	start_dcmrecv -v --proxy-protocol --json
	# PROXY, TCP over IPv6, 36 bytes: 2001:db8::5 -> ::1, ports 4242 -> 104,
	# then a 5-byte TLV that is skipped
	hdr="${V2SIG}2121$(be16 41)20010db8000000000000000000000005$(printf '%030d' 0)01$(be16 4242)$(be16 104)ea0002abcd"
	proxied_store "$hdr" 0.3
	wait_for_line "$RECV_STDOUT" "$INST"
	[ "$(jq -r .peer "$RECV_STDOUT")" = "[2001:db8::5]:4242" ]
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
}

# bats test_tags=serial
@test "dcmrecv --proxy-protocol --allow: the client's address decides, not the balancer's" {
	start_dcmrecv -v --proxy-protocol --allow RAWSCU@192.0.2.7
	proxied_store "${V2SIG}2111$(be16 12)c00002077f000001$(be16 5555)$(be16 104)"
	wait_for_line "$RECV_STDOUT" "$INST"
	rm -f "$RECV_DIR/$INST.dcm"
	raw_connect "$RECV_PORT"
	raw_send "${V2SIG}2111$(be16 12)c00002087f000001$(be16 5555)$(be16 104)"
	raw_send "$(assoc_rq ANY-SCP RAWSCU "$CLS" 1.2.840.10008.1.2.1)"
	RAW_REPLY=$(raw_read_pdu)
	[ "${RAW_REPLY:0:2}" = 03 ] # A-ASSOCIATE-RJ
	raw_close
	[ ! -e "$RECV_DIR/$INST.dcm" ]
	grep -q "from 'RAWSCU' at 192.0.2.8:5555.*calling AE title" "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmrecv --proxy-protocol: the TLS fields of send-proxy-v2-ssl-cn (a balancer ending TLS) are skipped: subject= admits no one through them, the address still counts" {
	local ssl
	# PP2_TYPE_SSL: a verified client certificate (client 0x07, verify
	# 0), version TLSv1.3, common name modality-1
	ssl="20$(be16 28)0700000000"
	ssl+="21$(be16 7)$(str_hex TLSv1.3)22$(be16 10)$(str_hex modality-1)"
	start_dcmrecv -v --proxy-protocol --allow subject=CN=modality-1
	raw_connect "$RECV_PORT"
	raw_send "${V2SIG}2111$(be16 43)c00002077f000001$(be16 5555)$(be16 104)$ssl"
	raw_send "$(assoc_rq ANY-SCP RAWSCU "$CLS" 1.2.840.10008.1.2.1)"
	RAW_REPLY=$(raw_read_pdu)
	[ "${RAW_REPLY:0:2}" = 03 ] # A-ASSOCIATE-RJ
	raw_close
	stop_dcmrecv
	grep -q "from 'RAWSCU' at 192.0.2.7:5555.*calling AE title" "$RECV_STDERR"
	start_dcmrecv -v --proxy-protocol --allow RAWSCU@192.0.2.7
	proxied_store "${V2SIG}2111$(be16 43)c00002077f000001$(be16 5555)$(be16 104)$ssl"
	wait_for_line "$RECV_STDOUT" "$INST"
	run cut -f5- "$RECV_STDOUT"
	assert_output "192.0.2.7:5555"
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
}

@test "dcmrecv --proxy-protocol: a v2 LOCAL header (a health check) keeps the connection's address" {
	start_dcmrecv -v --proxy-protocol
	proxied_store "${V2SIG}2000$(be16 0)"
	wait_for_line "$RECV_STDOUT" "$INST"
	run cut -f5 "$RECV_STDOUT"
	assert_output --regexp '^127\.0\.0\.1:[0-9]+$'
	grep -q "PROXY v2 header without a client address" "$RECV_STDERR"
}

# health_check: what contrib/haproxy/dicom-check.cfg does behind
# send-proxy-v2 (a v2 LOCAL header): associate for Verification, release
health_check() {
	raw_connect "$RECV_PORT"
	raw_send "${V2SIG}2000$(be16 0)"
	raw_send "$(assoc_rq DCMRECV HAPROXY 1.2.840.10008.1.1 1.2.840.10008.1.2)"
	RAW_REPLY=$(raw_read_pdu)
	[ "${RAW_REPLY:0:2}" = 02 ] || { echo "no A-ASSOCIATE-AC: '${RAW_REPLY:0:20}'" >&2; return 1; }
	raw_release
	[ "${RAW_REPLY:0:2}" = 06 ]
}

# bats test_tags=serial
@test "dcmrecv --proxy-protocol: the balancer's own associations (v2 LOCAL: its health checks) count toward neither --max-assocs nor --idle-timeout" {
	local i
	# before: --max-assocs 2 exited after two health checks, no client
	# served
	start_dcmrecv --proxy-protocol --max-assocs 2
	for i in 1 2 3; do health_check; done
	sleep 0.3
	kill -0 "$RECV_PID"
	proxied_store "$(str_hex 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 104')0d0a"
	proxied_store "$(str_hex 'PROXY TCP4 192.0.2.8 127.0.0.1 5555 104')0d0a"
	wait_dcmrecv_exit 10
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 2 ]
	# before: a check every 0.3 s kept --idle-timeout 2 from ever firing
	RECV_DIR=$BATS_TEST_TMPDIR/out2 start_dcmrecv --proxy-protocol --idle-timeout 2
	SECONDS=0
	for i in $(seq 40); do
		kill -0 "$RECV_PID" 2>/dev/null || break
		health_check || break
		sleep 0.3
	done
	wait_dcmrecv_exit 10
	[ "$RECV_STATUS" -eq 0 ]
	[ "$SECONDS" -lt 10 ]
}

# bats test_tags=serial
@test "dcmrecv --proxy-protocol: a v2 LOCAL association that stores a file counts toward --max-assocs" {
	# before: only health checks were meant, but every LOCAL association
	# was left out: three stored and dcmrecv --max-assocs 1 ran on
	start_dcmrecv --proxy-protocol --max-assocs 1
	proxied_store "${V2SIG}2000$(be16 0)"
	wait_dcmrecv_exit 10
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
	grep -q "$INST" "$RECV_STDOUT"
}

# bats test_tags=serial
@test "dcmrecv --proxy-protocol: a connection without the header is closed unanswered, nothing stored" {
	start_dcmrecv --proxy-protocol
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	[ -z "$(ls "$RECV_DIR")" ]
	wait_for_line "$RECV_STDERR" "closed: no PROXY protocol header"
	# a header with a bad field is refused the same way
	raw_connect "$RECV_PORT"
	raw_send "$(str_hex 'PROXY TCP4 192.0.2.7 127.0.0.1 05555 104')0d0a"
	[ -z "$(raw_read_hex 2)" ]
	raw_close
	wait_for_line "$RECV_STDERR" "closed: PROXY v1: bad port"
	# the receiver goes on serving
	proxied_store "$(str_hex 'PROXY UNKNOWN')0d0a"
	wait_for_line "$RECV_STDOUT" "$INST"
}

# bats test_tags=serial
@test "dcmrecv --proxy-protocol: the header and the A-ASSOCIATE-RQ have a -t window each" {
	local hdr rq
	# all made before the clock starts: on a loaded machine making the
	# RQ alone took 0.9 s of the window
	hdr=$(str_hex 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 104')0d0a
	rq=$(assoc_rq ANY-SCP RAWSCU "$CLS" 1.2.840.10008.1.2.1)
	raw_cstore_pdus "$CLS" "$INST" "$DS"
	start_dcmrecv -t 4 --proxy-protocol
	raw_connect "$RECV_PORT"
	sleep 2.5
	raw_send "$hdr"
	sleep 2.5
	# 5 s after the connection, 2.5 s after the header: in time
	raw_send "$rq"
	RAW_REPLY=$(raw_read_pdu)
	[ "${RAW_REPLY:0:2}" = 02 ]
	raw_cstore_send
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
}

# bats test_tags=serial
@test "dcmrecv --proxy-protocol: the header must come within -t; a silent connection is closed" {
	start_dcmrecv -t 1 --proxy-protocol
	raw_connect "$RECV_PORT"
	raw_send "$(str_hex 'PROXY TCP4 192.0')"
	SECONDS=0
	[ -z "$(raw_read_hex 5)" ]
	[ "$SECONDS" -le 4 ]
	raw_close
	grep -q "closed: no PROXY protocol header within 1 s" "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmrecv --proxy-protocol: a connection still waiting for its header does not outlast --grace" {
	start_dcmrecv -t 60 --grace 1 --proxy-protocol
	raw_connect "$RECV_PORT"
	raw_send "$(str_hex 'PROXY TCP4')"
	sleep 0.3
	SECONDS=0
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$SECONDS" -le 4 ]
	raw_close
	grep -q "closed: the receiver is stopping" "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmrecv --proxy-from: other balancers are closed unanswered; a prefix admits" {
	start_dcmrecv --proxy-protocol --proxy-from 10.0.0.0/8 --proxy-from 2001:db8::/32
	raw_connect "$RECV_PORT"
	raw_send "$(str_hex 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 104')0d0a"
	[ -z "$(raw_read_hex 2)" ]
	raw_close
	grep -q "connection from 127.0.0.1:[0-9]* closed: not a --proxy-from address" "$RECV_STDERR"
	stop_dcmrecv
	start_dcmrecv --proxy-protocol --proxy-from 10.0.0.0/8 --proxy-from 127.0.0.0/30
	proxied_store "$(str_hex 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 104')0d0a"
	wait_for_line "$RECV_STDOUT" "192.0.2.7:5555"
}

# bats test_tags=serial
@test "dcmrecv: without --proxy-protocol a PROXY header is a bad PDU, as any other" {
	start_dcmrecv
	raw_connect "$RECV_PORT"
	raw_send "$(str_hex 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 104')0d0a"
	raw_send "$(assoc_rq ANY-SCP RAWSCU "$CLS" 1.2.840.10008.1.2.1)"
	RAW_REPLY=$(raw_read_pdu 3)
	[ "${RAW_REPLY:0:2}" != 02 ]
	raw_close
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	wait_for_line "$RECV_STDOUT" "$INST"
	run cut -f5 "$RECV_STDOUT"
	assert_output --regexp '^127\.0\.0\.1:[0-9]+$'
}

# bats test_tags=serial
@test "dcmrecv --proxy-protocol --max-per-host: counts the clients the headers name, not the balancer" {
	local h7 h8 rq
	h7=$(str_hex 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 104')0d0a
	h8=$(str_hex 'PROXY TCP4 192.0.2.8 127.0.0.1 5556 104')0d0a
	rq=$(assoc_rq ANY-SCP RAWSCU "$CLS" 1.2.840.10008.1.2.1)
	start_dcmrecv -v --proxy-protocol --max-per-host 1
	# 192.0.2.7's association, held open on fd 8
	exec 8<>"/dev/tcp/127.0.0.1/$RECV_PORT"
	printf '%s' "$h7$rq" | xxd -r -p >&8
	[ "$(timeout 5 head -c 1 <&8 | od -An -tx1 | tr -d ' ')" = 02 ]
	# another client through the same balancer: its first association
	raw_connect "$RECV_PORT"
	raw_send "$h8$rq"
	RAW_REPLY=$(raw_read_pdu)
	raw_close
	[ "${RAW_REPLY:0:2}" = 02 ] || { cat "$RECV_STDERR" >&2; false; }
	# 192.0.2.7's second one: over its limit, and the log names it
	raw_connect "$RECV_PORT"
	raw_send "$h7$rq"
	RAW_REPLY=$(raw_read_pdu)
	raw_close
	exec 8<&- 8>&-
	[ "${RAW_REPLY:0:2}" = 03 ]
	wait_for_line "$RECV_STDERR" "from 'RAWSCU' at 192\.0\.2\.7:5555 .*rejected: local limit exceeded \(1 associations from 192\.0\.2\.7 at once, --max-per-host\)"
	[ "$(grep -c 'rejected' "$RECV_STDERR")" -eq 1 ]
}

@test "dcmrecv --proxy-from: needs --proxy-protocol, and numeric prefixes (exit 2)" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --proxy-from 10.0.0.1 0
	[[ $stderr == *"--proxy-from needs --proxy-protocol"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR" \
		--proxy-protocol --proxy-from balancer.example 127.0.0.1:0
	[[ $stderr == *"--proxy-from 'balancer.example': expected ADDR or ADDR/BITS"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR" \
		--proxy-protocol --proxy-from 10.0.0.0/33 127.0.0.1:0
	[[ $stderr == *"'10.0.0.0/33'"* ]]
}

# --- several processes on one port -------------------------------------------

# bats test_tags=serial
@test "dcmrecv --reuse-port: two receivers share a port; 20 files land in their union, byte-identical" {
	c=${CSTORE_CORPUS:-}
	[ -f "$c/MANIFEST.tsv" ] || skip "needs the corpus (CSTORE_CORPUS)"
	mapfile -t files < <(awk -F'\t' 'NR > 1 && $1 ~ /^sop\// { print $1 }' "$c/MANIFEST.tsv" | head -20)
	[ "${#files[@]}" -eq 20 ]
	start_dcmrecv --reuse-port
	first=$RECV_PID
	mkdir -p "$BATS_TEST_TMPDIR/out2"
	# without --reuse-port the port is taken
	run -6 --separate-stderr "$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR/out2" "127.0.0.1:$RECV_PORT"
	"$CSTORE_BIN/dcmrecv" --reuse-port -o "$BATS_TEST_TMPDIR/out2" "127.0.0.1:$RECV_PORT" \
		>"$BATS_TEST_TMPDIR/recv2.out" 2>"$BATS_TEST_TMPDIR/recv2.err" &
	second=$!
	track_pid "$second"
	wait_for_port "$RECV_PORT" "$second"
	# one association per file: the kernel spreads them
	for f in "${files[@]}"; do
		"$CSTORE_BIN/dcmsend" -q 127.0.0.1 "$RECV_PORT" "$c/$f" >/dev/null
	done
	for i in $(seq 100); do
		[ $(($(wc -l <"$RECV_STDOUT") + $(wc -l <"$BATS_TEST_TMPDIR/recv2.out"))) -ge 20 ] && break
		sleep 0.05
	done
	n1=$(wc -l <"$RECV_STDOUT") n2=$(wc -l <"$BATS_TEST_TMPDIR/recv2.out")
	echo "first $n1, second $n2" >&3
	[ $((n1 + n2)) -eq 20 ]
	# both took associations (all 20 to one: odds 2 in a million)
	[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ]
	for f in "${files[@]}"; do
		iuid=$(/usr/bin/dcmdump -q +P 0008,0018 "$c/$f" | sed -n 's/.*\[\(.*\)\].*/\1/p' | tr -d '\0')
		got=$(find "$RECV_DIR" "$BATS_TEST_TMPDIR/out2" -name "$iuid.dcm")
		[ "$(echo "$got" | wc -l)" -eq 1 ] && [ -n "$got" ] || { echo "$f: '$got'" >&2; false; }
		same_dataset "$c/$f" "$got"
	done
	kill -0 "$first" && kill -0 "$second"
}

# --- systemd socket activation --------------------------------------------------

@test "dcmrecv under systemd-socket-activate: serves the inherited socket, no address operand" {
	require_cmd systemd-socket-activate
	require_netns
	mkdir -p "$BATS_TEST_TMPDIR/in"
	start_on_free_port "$BATS_TEST_TMPDIR/sa.log" systemd-socket-activate \
		-l "127.0.0.1:{PORT}" "$CSTORE_BIN/dcmrecv" -v -o "$BATS_TEST_TMPDIR/in" \
		--port-file "$BATS_TEST_TMPDIR/sa.port"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SERVER_PORT" "$FIX"
	wait_for_line "$BATS_TEST_TMPDIR/sa.log" "$INST"
	same_dataset "$FIX" "$BATS_TEST_TMPDIR/in/$INST.dcm"
	grep -q "listening on 127.0.0.1:$SERVER_PORT" "$BATS_TEST_TMPDIR/sa.log"
	[ "$(cat "$BATS_TEST_TMPDIR/sa.port")" = "$SERVER_PORT" ]
	# the same process (systemd-socket-activate execs dcmrecv) serves on
	listens "$SERVER_PORT" "$SERVER_PID"
}

# unit_activate SOCKET SERVICE INSTANCE [filter]: the socket unit's
# ListenStream and the service's ExecStart (the installed name and
# /var/lib/dcmrecv replaced by ours and a test folder, %i by INSTANCE)
# under systemd-socket-activate, as systemd would start them (with
# filter: under the service's SystemCallFilter=, as systemd applies
# it); stores the fixture through it and checks the file, then stops it.
unit_activate() {
	local d=$CSTORE_ROOT/contrib/systemd out=$BATS_TEST_TMPDIR/lib log=$BATS_TEST_TMPDIR/unit.log
	local listen exec pid got i nf
	local -a argv
	SYSCALL_FILTER=()
	[ "${4:-}" != filter ] || unit_syscall_filter "$d/$2"
	listen=$(sed -n 's/^ListenStream=//p' "$d/$1" | sed "s/%i/$3/g")
	exec=$(sed -n 's/^ExecStart=//p' "$d/$2" | sed -e "s/%i/$3/g" \
		-e "s|^/usr/bin/cstore-dcmrecv |$CSTORE_BIN/dcmrecv |" -e "s|/var/lib/dcmrecv|$out|g")
	[ -n "$listen" ] && [[ $exec == "$CSTORE_BIN/dcmrecv "* ]]
	grep -qx 'Accept=no' "$d/$1" # one dcmrecv for every connection
	read -r -a argv <<<"$exec"
	mkdir -p "$out/$3"
	systemd-socket-activate -l "$listen" "${SYSCALL_FILTER[@]}" "${argv[@]}" >"$log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_for_port "${listen##*:}" "$pid" 10 || { cat "$log" >&2; return 1; }
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -c DCMRECV 127.0.0.1 "${listen##*:}" "$FIX"
	for i in $(seq 100); do
		got=$(find "$out" -name "$INST.dcm")
		[ -n "$got" ] && break
		sleep 0.05
	done
	same_dataset "$FIX" "$got"
	UNIT_FILE=$got
	# the service took the socket and serves it itself
	listens "${listen##*:}" "$pid"
	# and, under the filter, confined itself: its own seccomp filter
	# on top of the unit's (Seccomp_filters: Linux 5.9)
	if [ "${4:-}" = filter ]; then
		nf=$(sed -n 's/^Seccomp_filters:[[:space:]]*//p' "/proc/$pid/status")
		[ -n "$nf" ] || skip "no Seccomp_filters: in /proc/PID/status (Linux < 5.9)"
		[ "$nf" -ge 2 ] || fail "dcmrecv did not confine itself: Seccomp_filters: $nf"
	fi
	kill -TERM "$pid"
	wait "$pid" || true
}

@test "contrib/systemd dcmrecv.socket + dcmrecv.service under systemd-socket-activate: port 104, the unit's layout" {
	require_cmd systemd-socket-activate
	require_netns
	unit_activate dcmrecv.socket dcmrecv.service ""
	# --layout {StudyInstanceUID}/{SOPInstanceUID}.dcm, as ExecStart says
	study=$(/usr/bin/dcmdump -q +P 0020,000d "$FIX" | sed -n 's/.*\[\(.*\)\].*/\1/p' | tr -d '\0')
	[ "$UNIT_FILE" = "$BATS_TEST_TMPDIR/lib/$study/$INST.dcm" ]
}

@test "contrib/systemd dcmrecv@11112.socket + dcmrecv@11112.service under systemd-socket-activate" {
	require_cmd systemd-socket-activate
	require_netns
	unit_activate dcmrecv@.socket dcmrecv@.service 11112
	[ "$UNIT_FILE" = "$BATS_TEST_TMPDIR/lib/11112/$INST.dcm" ]
}

# What the units' hardening lets through is what dcmrecv calls: it
# confines itself with Landlock and a seccomp filter of its own, calls
# outside @system-service, and systemd kills a service making a call its
# SystemCallFilter= does not allow (SIGSYS): dcmrecv died at its start.
@test "contrib/systemd dcmrecv.socket + dcmrecv.service under the service's SystemCallFilter=: dcmrecv confines itself and stores" {
	require_cmd systemd-socket-activate
	require_netns
	unit_activate dcmrecv.socket dcmrecv.service "" filter
	# and confined itself: no word of a sandbox it could not set up
	run grep -i -e sandbox -e 'bad system call' "$BATS_TEST_TMPDIR/unit.log"
	assert_output ''
}

@test "contrib/systemd dcmrecv@11112.socket + dcmrecv@11112.service under the service's SystemCallFilter=" {
	require_cmd systemd-socket-activate
	require_netns
	unit_activate dcmrecv@.socket dcmrecv@.service 11112 filter
	[ "$UNIT_FILE" = "$BATS_TEST_TMPDIR/lib/11112/$INST.dcm" ]
}

# A unit without an allow-list (or with a deny list) cannot stand for
# the units' filter: the filter tests must fail on it, not skip.
@test "unit_syscall_filter: a unit without SystemCallFilter=, or with a deny list, fails" {
	require_cmd systemd-analyze
	printf '[Service]\nExecStart=/bin/true\n' >"$BATS_TEST_TMPDIR/none.service"
	run unit_syscall_filter "$BATS_TEST_TMPDIR/none.service"
	assert_failure
	assert_output --partial "no SystemCallFilter= in $BATS_TEST_TMPDIR/none.service"
	printf '[Service]\nSystemCallFilter=~@mount\n' >"$BATS_TEST_TMPDIR/deny.service"
	run unit_syscall_filter "$BATS_TEST_TMPDIR/deny.service"
	assert_failure
	assert_output --partial "SystemCallFilter=~ in $BATS_TEST_TMPDIR/deny.service"
}

# An operator's own unit: SystemCallFilter=@system-service (none of
# Landlock's calls nor seccomp in it) with SystemCallErrorNumber=EPERM,
# which refuses the calls rather than killing.  dcmrecv took the EPERM
# for a kernel without Landlock, then failed on seccomp ("Operation not
# supported") and exited 70: under Restart=, a loop.  It now says once
# for each that an outer filter refused it, and serves.
@test "dcmrecv under SystemCallFilter=@system-service with SystemCallErrorNumber=EPERM: says the sandbox was refused and stores" {
	require_cmd systemd-analyze
	require_netns
	local d=$BATS_TEST_TMPDIR/eperm out=$BATS_TEST_TMPDIR/in log=$BATS_TEST_TMPDIR/eperm.log
	mkdir -p "$d" "$out"
	syscall_names @system-service | sort -u >"$d/allowed"
	syscall_names @known | sort -u >"$d/known"
	grep -qx execve "$d/allowed" && grep -qx seccomp "$d/known" ||
		skip "systemd-analyze cannot expand @system-service"
	run grep -x -e seccomp -e landlock_create_ruleset "$d/allowed"
	assert_output ''
	start_on_free_port "$log" "$CSTORE_TOOLS/syscall-filter" -e "$d/allowed" "$d/known" \
		"$CSTORE_BIN/dcmrecv" -v -o "$out" "127.0.0.1:{PORT}"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SERVER_PORT" "$FIX"
	wait_for_line "$log" "$INST"
	same_dataset "$FIX" "$out/$INST.dcm"
	kill -0 "$SERVER_PID"
	run grep sandbox "$log"
	assert_line --partial 'sandbox: Landlock refused by an outer filter (systemd SystemCallFilter=?): going on without it'
	assert_line --partial 'sandbox: seccomp refused by an outer filter (systemd SystemCallFilter=?): going on without it'
	assert_equal "${#lines[@]}" 2
	grep -q 'confined: no_new_privs, Landlock off, seccomp off' "$log"
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID"
}

@test "dcmrecv: LISTEN_FDS for another process, or a descriptor that does not listen, is not taken" {
	run -2 --separate-stderr env LISTEN_PID=1 LISTEN_FDS=1 "$CSTORE_BIN/dcmrecv"
	[[ $stderr == *"missing port"* ]]
	run -6 --separate-stderr bash -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -o "$1" 3</dev/null' \
		"$CSTORE_BIN/dcmrecv" "$BATS_TEST_TMPDIR"
	[[ $stderr == *"inherited descriptor 3: not a socket"* ]]
}

# bats test_tags=serial
@test "contrib/systemd units: systemd-analyze verify is clean, and the service is hardened" {
	require_cmd systemd-analyze
	local root=$BATS_TEST_TMPDIR/root u
	[ -d /lib/systemd/system ] || skip "no systemd unit directory to verify against"
	mkdir -p "$root/usr/bin" "$root/etc/systemd/system" "$root/lib/systemd" "$root/man/man1"
	cp -r /lib/systemd/system "$root/lib/systemd/"
	# installed as the Debian package names it (debian/rules)
	cp "$CSTORE_BIN/dcmrecv" "$root/usr/bin/cstore-dcmrecv"
	cp "$CSTORE_ROOT/man/dcmrecv.1" "$root/man/man1/cstore-dcmrecv.1"
	cp "$CSTORE_ROOT"/contrib/systemd/dcmrecv*.s* "$root/etc/systemd/system/"
	cd "$root/etc/systemd/system"
	MANPATH=$root/man run -0 --separate-stderr systemd-analyze verify --root="$root" \
		dcmrecv.socket dcmrecv.service dcmrecv@11112.socket dcmrecv@11112.service
	if [[ $stderr == *"Failed to"*"connect"* || $stderr == *"Permission denied"* ]]; then
		skip "systemd-analyze cannot run here: $stderr"
	fi
	assert_output ""
	[ -z "$stderr" ] || { echo "$stderr" >&2; false; }
	# a misspelt key is reported: the check can fail
	sed 's/^ProtectSystem=/ProtectSystm=/' dcmrecv.service >bad.service
	MANPATH=$root/man run --separate-stderr systemd-analyze verify --root="$root" bad.service
	[[ $stderr == *"Unknown key 'ProtectSystm'"* ]]
	for u in dcmrecv.service dcmrecv@.service; do
		for k in ProtectSystem=strict NoNewPrivileges=yes DynamicUser=yes; do
			grep -qx "$k" "$u" || { echo "$u: no $k" >&2; false; }
		done
		# writable: the output directory only
		[ "$(grep -c '^ReadWritePaths=' "$u")" -eq 1 ]
		grep -q "^ReadWritePaths=/var/lib/dcmrecv" "$u"
		grep -q "^ExecStart=.* -o /var/lib/dcmrecv" "$u"
	done
	# the socket unit hands over one listening socket (no per-connection services)
	grep -qx 'Accept=no' dcmrecv.socket
}
