#!/usr/bin/env bats
# dcmrecv --delay under the asynchronous operations window: the delay
# is a timer of the association (the engine pauses, the I/O loop waits),
# not a sleep inside a callback.  Several requests in flight on one
# association are each delayed and answered in order, all stored; and
# an association waiting out its delay holds up no other one.  Timing
# is asserted only from below (at least N x delay) or as an order of
# events, never as a tight upper bound.

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
CLS=1.2.840.10008.5.1.4.1.1.7
INST=2.25.314159265358979323846264338327950

setup() {
	DS=$BATS_TEST_TMPDIR/ds
	ds_file "$FIX" "$DS"
}

inst() { echo "${INST%?}$1"; }

# variant N: the fixture's data set holding instance $(inst N), same
# length, into $BATS_TEST_TMPDIR/dsN
variant() {
	od -An -tx1 -v "$DS" | tr -d ' \n' |
		sed "s/$(str_hex "$INST")/$(str_hex "$(inst "$1")")/" |
		xxd -r -p >"$BATS_TEST_TMPDIR/ds$1"
	! cmp -s "$DS" "$BATS_TEST_TMPDIR/ds$1"
}

store_hex() {
	echo "$(pdata 03 "$(cstore_rq "$CLS" "$1" "$3")")$(pdata 02 "$(od -An -tx1 -v "$2" | tr -d ' \n')")"
}

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

@test "dcmrecv: --delay under the window: four requests in flight are each delayed, answered in order, all stored" {
	local all="" i t0 t=()
	start_dcmrecv --delay 300
	RAW_ASYNC="4 1" raw_associate "$RECV_PORT" "$CLS"
	[ "$(async_of "$RAW_REPLY")" = "4 1" ]
	for i in 1 2 3 4; do
		variant "$i"
		all+=$(store_hex "$(inst "$i")" "$BATS_TEST_TMPDIR/ds$i" "$i")
	done
	t0=$(date +%s%N)
	raw_send "$all" # one write: all four are in flight at once
	for i in 1 2 3 4; do
		RAW_REPLY=$(raw_read_pdu 10)
		t[i]=$(ms_since "$t0")
		[ "${RAW_REPLY:0:2}" = 04 ]
		[ "$(status_of "$RAW_REPLY")" = 0000 ]
		[ "$(msgid_of "$RAW_REPLY")" = "$i" ]
	done
	raw_release
	[ "${RAW_REPLY:0:2}" = 06 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	echo "responses after ${t[1]} ${t[2]} ${t[3]} ${t[4]} ms" >&2
	# each response waited its own delay after the one before
	[ "${t[4]}" -ge 1200 ]
	for i in 1 2 3 4; do
		cmp <(dataset_of "$RECV_DIR/$(inst "$i").dcm") "$BATS_TEST_TMPDIR/ds$i"
	done
	[ "$(cut -f3 "$RECV_STDOUT" | tr '\n' ' ')" = "$(inst 1) $(inst 2) $(inst 3) $(inst 4) " ]
	no_temporaries "$RECV_DIR"
}

@test "dcmrecv: --delay with dcmsend --async 4: every file answered 0000 and stored, in at least 4 x delay" {
	local i f t0 ms
	mkdir -p "$BATS_TEST_TMPDIR/in"
	for i in 1 2 3 4; do
		cp "$FIX" "$BATS_TEST_TMPDIR/in/f$i.dcm"
	done
	start_dcmrecv -v --delay 300 --on-duplicate rename
	t0=$(date +%s%N)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --async 4 127.0.0.1 "$RECV_PORT" \
		"$BATS_TEST_TMPDIR"/in/f1.dcm "$BATS_TEST_TMPDIR"/in/f2.dcm \
		"$BATS_TEST_TMPDIR"/in/f3.dcm "$BATS_TEST_TMPDIR"/in/f4.dcm
	ms=$(ms_since "$t0")
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	echo "dcmsend took $ms ms" >&2
	[ "$ms" -ge 1200 ]
	[ "$(printf '%s\n' "$output" | cut -f1 | tr '\n' ' ')" = "0000 0000 0000 0000 " ]
	grep -q "accepted 1 of .* presentation contexts, async window 4$" "$RECV_STDERR"
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 4 ]
	for f in "$RECV_DIR"/*; do
		cmp <(dataset_of "$f") "$DS"
	done
	no_temporaries "$RECV_DIR"
}

@test "dcmrecv: an association waiting out --delay does not hold up another one" {
	local all="" i t0 t3 pid echo_ms=$BATS_TEST_TMPDIR/echo.ms
	start_dcmrecv --delay 1000
	RAW_ASYNC="3 1" raw_associate "$RECV_PORT" "$CLS"
	for i in 1 2 3; do
		variant "$i"
		all+=$(store_hex "$(inst "$i")" "$BATS_TEST_TMPDIR/ds$i" "$i")
	done
	t0=$(date +%s%N)
	raw_send "$all" # this association is busy for 3 x 1000 ms
	# a second association meanwhile: its C-ECHO waits only its own delay
	( "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT" >/dev/null 2>&1 &&
		ms_since "$t0" >"$echo_ms" ) &
	pid=$!
	track_pid "$pid"
	for i in 1 2 3; do
		RAW_REPLY=$(raw_read_pdu 10)
		[ "$(status_of "$RAW_REPLY")" = 0000 ]
		[ "$(msgid_of "$RAW_REPLY")" = "$i" ]
	done
	t3=$(ms_since "$t0")
	raw_release
	wait "$pid"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	echo "C-ECHO answered after $(cat "$echo_ms") ms, third C-STORE after $t3 ms" >&2
	[ "$t3" -ge 3000 ]
	# the echo came back before the first association was done
	[ -s "$echo_ms" ]
	[ "$(cat "$echo_ms")" -lt "$t3" ]
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 3 ]
}
