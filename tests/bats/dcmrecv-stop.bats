#!/usr/bin/env bats
# How dcmrecv ends an association it aborts: PS3.8 Sta13 (the A-ABORT
# written, the write side shut, the peer read until it closes: never a
# reset that would make the peer's kernel drop the responses it had
# received), and --grace that really aborts a peer that keeps sending.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
CLS=1.2.840.10008.5.1.4.1.1.7
INST=2.25.314159265358979323846264338327950

setup() {
	DS=$BATS_TEST_TMPDIR/ds
	ds_file "$FIX" "$DS"
}

# bats test_tags=serial
@test "dcmrecv: after its A-ABORT it reads on until the peer closes; the peer gets every response, the abort, an orderly end" {
	local first="" rest="" ds i rc=0
	# 8 requests: the 1st answered, the 2nd aborted; the 6 after it
	# written later, as a pipelining sender still writes when the
	# abort comes (one instance: only the first is stored)
	ds=$(pdata 02 "$(od -An -tx1 -v "$DS" | tr -d ' \n')")
	for i in 1 2; do first+=$(pdata 03 "$(cstore_rq "$CLS" "$INST" "$i")")$ds; done
	for i in 3 4 5 6 7 8; do rest+=$(pdata 03 "$(cstore_rq "$CLS" "$INST" "$i")")$ds; done
	start_dcmrecv -t 20 --abort-after 2
	RAW_ASYNC="8 1" raw_associate "$RECV_PORT" "$CLS"
	raw_send "$first"
	# a receiver that closes after its abort resets what comes now
	sleep 1.5
	kill -0 "$RECV_PID"
	raw_send "$rest"
	# still writing: a receiver that has closed answers with a reset,
	# and this write fails (EPIPE)
	sleep 0.5
	raw_send "$rest"
	# everything it sent, up to its end of the stream (FIN, not RST)
	timeout 10 cat <&7 >"$BATS_TEST_TMPDIR/got" || rc=$?
	raw_close
	[ "$rc" -eq 0 ] || { echo "reading the receiver's output: status $rc (a reset?)" >&2; return 1; }
	od -An -tx1 -v "$BATS_TEST_TMPDIR/got" | tr -d ' \n' >"$BATS_TEST_TMPDIR/got.hex"
	[ "$(status_of "$(cat "$BATS_TEST_TMPDIR/got.hex")")" = 0000 ]
	[ "$(msgid_of "$(cat "$BATS_TEST_TMPDIR/got.hex")")" = 1 ]
	# the A-ABORT is the last PDU (type 07, length 4)
	[ "$(tail -c 10 "$BATS_TEST_TMPDIR/got" | head -c 6 | od -An -tx1 | tr -d ' \n')" = 070000000004 ]
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR")" = "$INST.dcm" ]
}

# bats test_tags=serial
@test "dcmrecv: after rejecting an association it waits for the peer to close, the peer reads the RJ and an orderly end" {
	local rc=0
	start_dcmrecv -t 20 --reject permanent
	raw_connect "$RECV_PORT"
	raw_send "$(assoc_rq ANY-SCP RAWSCU "$CLS" 1.2.840.10008.1.2.1)"
	sleep 1.5
	kill -0 "$RECV_PID"
	timeout 10 cat <&7 >"$BATS_TEST_TMPDIR/got" || rc=$?
	raw_close
	[ "$rc" -eq 0 ]
	[ "$(head -c 1 "$BATS_TEST_TMPDIR/got" | od -An -tx1 | tr -d ' ')" = 03 ]
	stop_dcmrecv
}

# bats test_tags=serial
@test "dcmrecv --grace: a peer that keeps sending is aborted when the grace time is over, the lines match the disk" {
	local i n src=0 out=$BATS_TEST_TMPDIR/send.out
	mkdir -p "$BATS_TEST_TMPDIR/in"
	require_cmd dcmodify
	for i in $(seq 40); do
		cp "$FIX" "$BATS_TEST_TMPDIR/in/f$i.dcm"
		dcmodify -nb -q -m "SOPInstanceUID=2.25.161803398874989484820458683436.$i" \
			"$BATS_TEST_TMPDIR/in/f$i.dcm"
	done
	start_dcmrecv -v --grace 1 --delay 200
	"$CSTORE_BIN/dcmsend" --async 1 127.0.0.1 "$RECV_PORT" "$BATS_TEST_TMPDIR"/in/f*.dcm \
		>"$out" 2>"$BATS_TEST_TMPDIR/send.err" &
	SEND_PID=$!
	track_pid "$SEND_PID"
	# stop only once a file is stored: the association is then mid-stream
	# whatever the load (a fixed sleep could stop it before it began)
	wait_for_line "$RECV_STDERR" "association 1: stored " 30
	SECONDS=0
	stop_dcmrecv
	# grace 1 s, then the abort and a short wait for the peer's close;
	# the bound only tells it from the default --grace of 10 s
	[ "$SECONDS" -lt 9 ]
	[ "$RECV_STATUS" -eq 0 ]
	grep -q "grace time over: aborting 1 association" "$RECV_STDERR"
	grep -q "aborted: the receiver is stopping" "$RECV_STDERR"
	wait "$SEND_PID" || src=$?
	[ "$src" -eq 5 ] || { echo "dcmsend exited $src, not 5 (aborted)" >&2; return 1; }
	n=$(ls "$RECV_DIR" | wc -l)
	[ "$n" -lt 40 ]
	[ "$(awk -F'\t' '$1 == "0000" { print $4 }' "$out" | sort)" = "$(ls "$RECV_DIR" | sed 's/\.dcm$//' | sort)" ]
	no_temporaries "$RECV_DIR"
}

# bats test_tags=serial
@test "dcmrecv stopping (SIGTERM): connections the kernel already accepted are served within --grace, not reset" {
	local i spid upid st
	require_cmd /usr/bin/storescu
	mkdir -p "$BATS_TEST_TMPDIR/in"
	cp "$FIX" "$BATS_TEST_TMPDIR/in/a.dcm"
	cp "$FIX" "$BATS_TEST_TMPDIR/in/b.dcm"
	dcmodify -nb -q -m "SOPInstanceUID=$INST.2" "$BATS_TEST_TMPDIR/in/b.dcm"
	start_dcmrecv -v --grace 10
	# stopped, it accepts nothing: both connections wait in its backlog,
	# their A-ASSOCIATE-RQs sent (as when a stop meets a busy moment,
	# or a rolling restart of --reuse-port receivers)
	kill -STOP "$RECV_PID"
	"$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$BATS_TEST_TMPDIR/in/a.dcm" \
		>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	spid=$!
	track_pid "$spid"
	TCP_NODELAY=1 timeout 60 /usr/bin/storescu 127.0.0.1 "$RECV_PORT" "$BATS_TEST_TMPDIR/in/b.dcm" \
		>"$BATS_TEST_TMPDIR/scu.log" 2>&1 &
	upid=$!
	track_pid "$upid"
	wait_established 2
	kill -TERM "$RECV_PID"
	kill -CONT "$RECV_PID"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	st=0
	wait "$spid" || st=$?
	[ "$st" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/send.err" "$RECV_STDERR" >&2; false; }
	st=0
	wait "$upid" || st=$?
	[ "$st" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/scu.log" >&2; false; }
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
	[ -s "$RECV_DIR/$INST.2.dcm" ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 2 ]
}

# bats test_tags=serial
@test "dcmrecv stopping: a connection whose A-ASSOCIATE-RQ has not come by the end of --grace gets the transient rejection, not a silent close" {
	start_dcmrecv --grace 1
	raw_connect "$RECV_PORT"
	sleep 0.3
	kill -TERM "$RECV_PID"
	# A-ASSOCIATE-RJ: rejected-transient, service provider
	# (presentation), local limit exceeded, as a sender over the limits
	# hears; a sender that retries comes back.  raw_read_hex's 10 is a
	# bound in seconds: it reads until the receiver closes.
	[ "$(raw_read_hex 10)" = 03000000000400020302 ]
	raw_close
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	grep -q "1 connection not yet associated closed: the receiver is stopping" "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmrecv stopping with the default --grace: connections from its backlog that never send an A-ASSOCIATE-RQ get the transient rejection, not a silent close" {
	local i fds=() hex
	# -t 1: an RQ window (1 s) shorter than the default grace (10 s),
	# so that these connections are late long before the grace ends;
	# with the default -t both are 10 s, and each is late at the end
	start_dcmrecv -t 1
	# stopped: the 5 connections wait in the kernel's backlog, idle (as
	# a balancer's TCP health checks), and are taken in at SIGTERM
	kill -STOP "$RECV_PID"
	for i in 1 2 3 4 5; do
		exec {fd}<>"/dev/tcp/127.0.0.1/$RECV_PORT"
		fds+=("$fd")
	done
	wait_established 5
	kill -TERM "$RECV_PID"
	kill -CONT "$RECV_PID"
	for fd in "${fds[@]}"; do
		# until the receiver closes, at most 10 s
		hex=$(timeout 10 cat <&"$fd" | od -An -tx1 -v | tr -d ' \n' || true)
		exec {fd}<&-
		[ "$hex" = 03000000000400020302 ] || { echo "connection $fd read '$hex'" >&2; cat "$RECV_STDERR" >&2; false; }
	done
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(grep -c "rejected: no whole A-ASSOCIATE-RQ within 1 s, the receiver is stopping" "$RECV_STDERR")" -eq 5 ]
}

# bats test_tags=serial
@test "dcmrecv stopping: in the last second of --grace no association starts; a connection still waiting then gets the transient rejection, not an A-ASSOCIATE-AC and an abort" {
	local i hex
	start_dcmrecv --grace 4
	kill -STOP "$RECV_PID"
	raw_connect "$RECV_PORT"
	wait_established 1
	kill -TERM "$RECV_PID"
	kill -CONT "$RECV_PID"
	# the stop begins when the port closes (the connection taken in
	# before); bounded
	for i in $(seq 100); do
		[ -z "$(ss -Htln "sport = :$RECV_PORT")" ] && break
		sleep 0.1
	done
	[ -z "$(ss -Htln "sport = :$RECV_PORT")" ]
	# 3.3 s into the 4 s: past the start of its last second; the RQ
	# goes only if nothing was answered yet (after a rejection the
	# receiver has closed, and the RQ would meet a reset)
	sleep 3.3
	hex=$(timeout 0.3 head -c 10 <&7 | od -An -tx1 -v | tr -d ' \n' || true)
	if [ -z "$hex" ]; then
		raw_send "$(assoc_rq ANY-SCP RAWSCU "$CLS" 1.2.840.10008.1.2.1)"
		hex=$(timeout 10 head -c 10 <&7 | od -An -tx1 -v | tr -d ' \n' || true)
	fi
	raw_close
	[ "$hex" = 03000000000400020302 ] || { echo "read '$hex'" >&2; cat "$RECV_STDERR" >&2; false; }
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	grep -q "1 connection not yet associated closed: the receiver is stopping" "$RECV_STDERR"
}
