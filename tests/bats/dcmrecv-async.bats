#!/usr/bin/env bats
# dcmrecv and the asynchronous operations window (PS3.7 D.3.3.3): what
# the A-ASSOCIATE-AC answers, and senders that do not wait for each
# response: requests written back to back in one write, responses read
# afterwards (the raw client of dcmrecv-helpers.bash), and a sender that
# does not read its responses at all (tests/tools/flood).
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
CLS=1.2.840.10008.5.1.4.1.1.7
INST=2.25.314159265358979323846264338327950
ECHO_CLS=1.2.840.10008.1.1

setup() {
	DS=$BATS_TEST_TMPDIR/ds
	ds_file "$FIX" "$DS"
}

# inst N: the fixture's SOP Instance UID with its last digit replaced by N
inst() { echo "${INST%?}$1"; }

# variant N: the fixture's data set holding instance $(inst N), same
# length, into $BATS_TEST_TMPDIR/dsN
variant() {
	od -An -tx1 -v "$DS" | tr -d ' \n' |
		sed "s/$(str_hex "$INST")/$(str_hex "$(inst "$1")")/" |
		xxd -r -p >"$BATS_TEST_TMPDIR/ds$1"
	cmp -s "$DS" "$BATS_TEST_TMPDIR/ds$1" && { echo "variant $1: UID not replaced" >&2; return 1; }
	return 0
}

# store_hex INSTANCE FILE MSGID: one C-STORE-RQ, command and data set
# PDUs, as hex (the data sets here fit one PDV)
store_hex() {
	echo "$(pdata 03 "$(cstore_rq "$CLS" "$1" "$3")")$(pdata 02 "$(od -An -tx1 -v "$2" | tr -d ' \n')")"
}

# requests N: C-STOREs of variants 1..N (message IDs 1..N), as hex
requests() {
	local i all=""
	for i in $(seq "$1"); do
		variant "$i" || return 1
		all+=$(store_hex "$(inst "$i")" "$BATS_TEST_TMPDIR/ds$i" "$i")
	done
	echo "$all"
}

# stored_in_order N: variants 1..N stored byte for byte, reported in
# that order
stored_in_order() {
	local i want=""
	for i in $(seq "$1"); do
		cmp <(dataset_of "$RECV_DIR/$(inst "$i").dcm") "$BATS_TEST_TMPDIR/ds$i" || return 1
		want+="$(inst "$i") "
	done
	[ "$(cut -f3 "$RECV_STDOUT" | tr '\n' ' ')" = "$want" ]
}

# ms_since T0: milliseconds since T0 (date +%s%N)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# responses N [T0]: reads N C-STORE-RSPs: Success, message IDs 1..N in
# that order.  With T0, RESP_MS[i] is when the i-th came (ms since T0).
responses() {
	local i
	RESP_MS=()
	for i in $(seq "$1"); do
		RAW_REPLY=$(raw_read_pdu 10)
		[ -z "${2:-}" ] || RESP_MS[i]=$(ms_since "$2")
		[ "${RAW_REPLY:0:2}" = 04 ] || return 1
		[ "$(status_of "$RAW_REPLY")" = 0000 ] || return 1
		[ "$(msgid_of "$RAW_REPLY")" = "$i" ] || return 1
	done
}

# window PROPOSAL: associate proposing PROPOSAL ("INVOKED PERFORMED", or
# "" for none), release, and print the window answered ("" for none)
window() {
	RAW_ASYNC=$1 raw_associate "$RECV_PORT" "$CLS" || return 1
	async_of "$RAW_REPLY"
	raw_release
}

@test "dcmrecv: the async helpers see the window of an RQ, and none when it has none" {
	[ "$(async_of "$(RAW_ASYNC="4 2" assoc_rq A B "$CLS" 1.2.840.10008.1.2)")" = "4 2" ]
	[ -z "$(async_of "$(assoc_rq A B "$CLS" 1.2.840.10008.1.2)")" ]
}

@test "dcmrecv: a proposed window is answered: invoked min(proposal, 16), performed 1; none unless proposed" {
	start_dcmrecv -v
	[ -z "$(window "")" ]
	[ "$(window "0 0")" = "16 1" ]
	[ "$(window "4 4")" = "4 1" ]
	[ "$(window "100 0")" = "16 1" ]
	[ "$(window "20 3")" = "16 1" ]
	[ "$(window "1 1")" = "1 1" ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# -v says the window of each association that has one
	grep -q "association 1 from .*: accepted 1 of 1 presentation contexts$" "$RECV_STDERR"
	grep -q "association 2 from .*: accepted 1 of 1 presentation contexts, async window 16$" "$RECV_STDERR"
	grep -q "association 3 from .*, async window 4$" "$RECV_STDERR"
	grep -q "association 6 from .*, async window 1$" "$RECV_STDERR"
}

@test "dcmrecv: --async N caps the window; --async 1 answers synchronous (1, 1)" {
	start_dcmrecv --async 8
	[ "$(window "100 1")" = "8 1" ]
	[ "$(window "0 0")" = "8 1" ]
	[ "$(window "5 2")" = "5 1" ]
	[ -z "$(window "")" ]
	stop_dcmrecv
	start_dcmrecv --async 1
	[ "$(window "100 1")" = "1 1" ]
	[ "$(window "0 0")" = "1 1" ]
	[ -z "$(window "")" ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv: -d traces the window proposed and the one answered" {
	start_dcmrecv -d
	[ "$(window "0 0")" = "16 1" ]
	stop_dcmrecv
	grep -q "asynchronous operations window: invoked 0, performed 0" "$RECV_STDERR"
	grep -q "asynchronous operations window: invoked 16, performed 1" "$RECV_STDERR"
}

@test "dcmrecv: --async outside 1-65535 is a usage error (exit 2) naming the value" {
	for v in 0 65536 -1 x; do
		run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --async "$v" 127.0.0.1:0
		assert_output ""
		[[ $stderr == *"--async '$v'"* ]]
	done
}

@test "dcmrecv: three C-STOREs sent back to back are answered in order (1, 2, 3), each stored byte for byte" {
	local all="" i
	start_dcmrecv
	RAW_ASYNC="3 1" raw_associate "$RECV_PORT" "$CLS"
	[ "$(async_of "$RAW_REPLY")" = "3 1" ]
	all=$(requests 3)
	raw_send "$all" # one write: the receiver reads the three together
	responses 3
	raw_release
	[ "${RAW_REPLY:0:2}" = 06 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	stored_in_order 3
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 3 ]
	no_temporaries "$RECV_DIR"
}

# bats test_tags=serial
@test "dcmrecv: of requests read together, each response leaves when ready, not after the last (--delay)" {
	local all="" i t=() got
	start_dcmrecv --delay 500 --on-duplicate rename
	RAW_ASYNC="3 1" raw_associate "$RECV_PORT" "$CLS"
	for i in 1 2 3; do
		all+=$(store_hex "$INST" "$DS" "$i")
	done
	# timed by one process that writes and reads (raw_send_timed): the
	# test's own reads took 400 ms apiece on a loaded machine
	printf '%s' "$all" | raw_send_timed 3 >"$BATS_TEST_TMPDIR/got"
	mapfile -t got <"$BATS_TEST_TMPDIR/got"
	for i in 1 2 3; do
		t[i]=${got[i - 1]%% *}
		RAW_REPLY=${got[i - 1]#* }
		[ "$(status_of "$RAW_REPLY")" = 0000 ]
		[ "$(msgid_of "$RAW_REPLY")" = "$i" ]
	done
	raw_release
	stop_dcmrecv
	echo "responses after ${t[1]}, ${t[2]}, ${t[3]} ms" >&2
	# 500 ms apart: the first did not wait for the other two.
	[ "${t[1]}" -lt 900 ]
	[ "${t[3]}" -ge 1400 ]
	[ $((t[3] - t[1])) -ge 800 ]
}

# bats test_tags=serial
@test "dcmrecv: requests read together under --respond-every 2:A700 and --abort-after 3" {
	local all="" i
	start_dcmrecv --respond-every 2:A700 --abort-after 3
	RAW_ASYNC="4 1" raw_associate "$RECV_PORT" "$CLS"
	all=$(requests 4)
	raw_send "$all"
	RAW_REPLY=$(raw_read_pdu)
	[ "$(status_of "$RAW_REPLY")" = 0000 ] && [ "$(msgid_of "$RAW_REPLY")" = 1 ]
	RAW_REPLY=$(raw_read_pdu)
	[ "$(status_of "$RAW_REPLY")" = A700 ] && [ "$(msgid_of "$RAW_REPLY")" = 2 ]
	RAW_REPLY=$(raw_read_pdu)
	[ "${RAW_REPLY:0:2}" = 07 ] # the third is answered with an A-ABORT
	raw_close
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR")" = "$(inst 1).dcm" ]
	cmp <(dataset_of "$RECV_DIR/$(inst 1).dcm") "$BATS_TEST_TMPDIR/ds1"
}

# bats test_tags=serial
@test "dcmrecv: a sender that does not read its responses is waited for, not aborted" {
	local wmem n
	[ -x "$CSTORE_TOOLS/flood" ] || skip "tests/tools/flood not built"
	# Enough C-ECHO responses (90 bytes each) to fill, twice over, the
	# 2 MiB output queue of an association and the largest socket send
	# buffer the kernel may grow to.
	wmem=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_wmem 2>/dev/null) || wmem=4194304
	n=$(((${wmem:-4194304} + 2097152) * 2 / 90))
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_TOOLS/flood" "$RECV_PORT" \
		"$(assoc_rq ANY-SCP RAWSCU "$ECHO_CLS" 1.2.840.10008.1.2)" \
		"$(pdata 03 "$(cecho_rq 7)")" "$n"
	assert_output "$n responses"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# nothing but the listening line: no "cannot send the response"
	[ "$(grep -vc 'listening on' "$RECV_STDERR")" -eq 0 ]
}

# --delay under the window: the delay is a timer of the association (the
# engine pauses, the I/O loop waits), not a sleep inside a callback.
# Timing is asserted only from below (at least N x delay) or as an order
# of events, never as a tight upper bound.

# bats test_tags=serial
@test "dcmrecv: --delay under the window: four requests in flight are each delayed, answered in order, all stored" {
	local all t0
	start_dcmrecv --delay 300
	RAW_ASYNC="4 1" raw_associate "$RECV_PORT" "$CLS"
	[ "$(async_of "$RAW_REPLY")" = "4 1" ]
	all=$(requests 4)
	t0=$(date +%s%N)
	raw_send "$all" # one write: all four are in flight at once
	responses 4 "$t0"
	raw_release
	[ "${RAW_REPLY:0:2}" = 06 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	echo "responses after ${RESP_MS[*]} ms" >&2
	# each response waited its own delay after the one before
	[ "${RESP_MS[4]}" -ge 1200 ]
	stored_in_order 4
	no_temporaries "$RECV_DIR"
}

# bats test_tags=serial
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
	# dcmsend proposes the uncompressed context, Deflated alone and
	# Explicit VR Big Endian alone
	grep -q "accepted 3 of 3 presentation contexts, async window 4$" "$RECV_STDERR"
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 4 ]
	for f in "$RECV_DIR"/*; do
		cmp <(dataset_of "$f") "$DS"
	done
	no_temporaries "$RECV_DIR"
}

# bats test_tags=serial
@test "dcmrecv: an association waiting out --delay does not hold up another one" {
	local all t0 t3 pid echo_ms=$BATS_TEST_TMPDIR/echo.ms
	start_dcmrecv --delay 1000
	RAW_ASYNC="3 1" raw_associate "$RECV_PORT" "$CLS"
	all=$(requests 3)
	t0=$(date +%s%N)
	raw_send "$all" # this association is busy for 3 x 1000 ms
	# a second association meanwhile: its C-ECHO waits only its own delay
	( "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT" >/dev/null 2>&1 &&
		ms_since "$t0" >"$echo_ms" ) &
	pid=$!
	track_pid "$pid"
	responses 3
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
