#!/usr/bin/env bats
# dcmrecv as Storage Commitment SCP (PS3.4 Annex J) with our own
# requester, tests/tools/commit-rq: the report on the same association
# and on a new one (--commit-peer), checked instance by instance against
# what was stored; the index across a restart and any --layout; the
# debugging options.  Orthanc as requester: tests/interop/dcmrecv-orthanc.bats.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
CLS=1.2.840.10008.5.1.4.1.1.7
CT=1.2.840.10008.5.1.4.1.1.2

setup() {
	require_cmd /usr/bin/dcmodify
	RQ=$CSTORE_TOOLS/commit-rq
	IN=$BATS_TEST_TMPDIR/in
	mkdir -p "$IN"
	# three instances of one object, each its own SOP Instance UID
	for i in 1 2 3; do
		cp "$FIX" "$IN/$i.dcm"
		/usr/bin/dcmodify -nb -q -i "(0008,0018)=1.2.826.0.1.3680043.10.1.$i" \
			-i "(0010,0020)=P$i" "$IN/$i.dcm"
	done
}

send() {
	"$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$@" >"$BATS_TEST_TMPDIR/send.out"
}

U=1.2.826.0.1.3680043.10.1

# bats test_tags=serial
@test "dcmrecv commitment: held instances committed, one never received and one of another class failed, on the same association" {
	start_dcmrecv --commit -v
	send "$IN/1.dcm" "$IN/2.dcm"
	run -0 --separate-stderr "$RQ" -t 2.25.4242 "$RECV_PORT" \
		$CLS:$U.1 $CLS:$U.9 $CT:$U.2 $CLS:$U.2
	stop_dcmrecv
	assert_output "action 0000
event 2
failed $CLS $U.9 0112
failed $CT $U.2 0119
ok $CLS $U.1
ok $CLS $U.2
transaction 2.25.4242"
	grep -q "storage commitment report '2.25.4242' sent on this association: 2 committed, 2 failed" "$RECV_STDERR"
}

@test "dcmrecv commitment: every instance held gives event type 1 and no failed item" {
	start_dcmrecv --commit
	send "$IN"/*.dcm
	run -0 --separate-stderr "$RQ" "$RECV_PORT" $CLS:$U.1 $CLS:$U.2 $CLS:$U.3
	stop_dcmrecv
	[ "${lines[0]}" = "action 0000" ]
	[ "${lines[1]}" = "event 1" ]
	[ "$(grep -c '^ok ' <<<"$output")" = 3 ]
	refute grep -q '^failed' <<<"$output"
}

@test "dcmrecv commitment: an instance not held of a class the receiver does not store fails 0122, not 0112" {
	# Verification, a class unknown to PS3.4, and CT refused by option
	# are not stored here: Referenced SOP Class not supported (PS3.3
	# C.14.1.1); a storage class taken but not received: 0112
	start_dcmrecv --commit --reject-sop-class $CT
	send "$IN/1.dcm"
	run -0 --separate-stderr "$RQ" -t 2.25.4444 "$RECV_PORT" $CLS:$U.1 1.2.840.10008.1.1:$U.5 \
		1.2.3.4.5:$U.6 $CT:$U.7 $CLS:$U.8 $CT:$U.1
	stop_dcmrecv
	assert_output "action 0000
event 2
failed 1.2.840.10008.1.1 $U.5 0122
failed 1.2.3.4.5 $U.6 0122
failed $CT $U.7 0122
failed $CLS $U.8 0112
failed $CT $U.1 0119
ok $CLS $U.1
transaction 2.25.4444"
}

# bats test_tags=serial
@test "dcmrecv commitment: a request reusing the Transaction UID of a report still owed gets every instance failed (0131); the first is reported as it stands" {
	local i
	start_dcmrecv --commit -v
	send "$IN/1.dcm" "$IN/2.dcm"
	# the first requester holds its answer to the report: its
	# transaction stays owed (it might be sent again) meanwhile
	"$RQ" -d 30000 -t 2.25.4343 "$RECV_PORT" $CLS:$U.1 >"$BATS_TEST_TMPDIR/first.out" &
	local first=$!
	track_pid $first
	wait_for_line "$BATS_TEST_TMPDIR/first.out" "transaction 2.25.4343" 30
	run -0 --separate-stderr "$RQ" -t 2.25.4343 "$RECV_PORT" $CLS:$U.1 $CLS:$U.2
	assert_output "action 0000
event 2
failed $CLS $U.1 0131
failed $CLS $U.2 0131
transaction 2.25.4343"
	kill $first
	wait $first || true
	run cat "$BATS_TEST_TMPDIR/first.out"
	assert_output "action 0000
event 1
ok $CLS $U.1
transaction 2.25.4343"
	# once no report is owed for it (the first requester gone, its
	# report undeliverable), the UID is a new request's again
	wait_for_line "$RECV_STDERR" "report '2.25.4343' for 'COMMITRQ' not delivered" 30
	for i in $(seq 50); do
		run -0 --separate-stderr "$RQ" -t 2.25.4343 "$RECV_PORT" $CLS:$U.2
		[[ "$output" == *"failed $CLS $U.2 0131"* ]] || break
		sleep 0.1
	done
	assert_line "ok $CLS $U.2"
	stop_dcmrecv
	grep -q "request '2.25.4343' reuses the Transaction UID of a report still owed: its 2 instances failed (0131)" "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmrecv commitment: while a duplicate's 0131 report is owed its Transaction UID stays taken, also once the first report is gone: a third request with it gets 0131" {
	start_dcmrecv --commit -v
	send "$IN/1.dcm" "$IN/2.dcm"
	"$RQ" -d 30000 -t 2.25.4646 "$RECV_PORT" $CLS:$U.1 >"$BATS_TEST_TMPDIR/first.out" &
	local first=$!
	track_pid $first
	wait_for_line "$BATS_TEST_TMPDIR/first.out" "transaction 2.25.4646" 30
	# the duplicate holds its answer too: its 0131 report stays owed
	"$RQ" -d 30000 -t 2.25.4646 "$RECV_PORT" $CLS:$U.2 >"$BATS_TEST_TMPDIR/second.out" &
	local second=$!
	track_pid $second
	wait_for_line "$BATS_TEST_TMPDIR/second.out" "transaction 2.25.4646" 30
	grep -q "^failed $CLS $U.2 0131$" "$BATS_TEST_TMPDIR/second.out"
	# the first's report goes (undeliverable): the duplicate's is owed
	kill $first
	wait $first || true
	wait_for_line "$RECV_STDERR" "report '2.25.4646' for 'COMMITRQ' not delivered" 30
	run -0 --separate-stderr "$RQ" -t 2.25.4646 "$RECV_PORT" $CLS:$U.2
	assert_output "action 0000
event 2
failed $CLS $U.2 0131
transaction 2.25.4646"
	kill $second
	wait $second || true
	stop_dcmrecv
}

@test "dcmrecv commitment: the index answers after a restart, with a layout of subdirectories" {
	start_dcmrecv --commit --layout '{PatientID}/{SOPInstanceUID}.dcm'
	send "$IN"/*.dcm
	stop_dcmrecv
	[ -f "$RECV_DIR/P2/$U.2.dcm" ]
	[ "$(wc -l <"$RECV_DIR/.cstore-index")" = 3 ]
	rm "$RECV_DIR/P3/$U.3.dcm" # gone since: no longer held
	start_dcmrecv --commit --layout '{SOPInstanceUID}.dcm'
	run -0 --separate-stderr "$RQ" "$RECV_PORT" $CLS:$U.1 $CLS:$U.2 $CLS:$U.3
	stop_dcmrecv
	[ "${lines[1]}" = "event 2" ]
	grep -qx "ok $CLS $U.1" <<<"$output"
	grep -qx "ok $CLS $U.2" <<<"$output"
	grep -qx "failed $CLS $U.3 0112" <<<"$output"
}

@test "dcmrecv commitment: a torn last index line left by a crash is ignored" {
	mkdir -p "$BATS_TEST_TMPDIR/out"
	printf '%s\t%s\t814\tgone.d' $CLS $U.3 >"$BATS_TEST_TMPDIR/out/.cstore-index"
	start_dcmrecv --commit --fsync
	send "$IN/1.dcm"
	run -0 --separate-stderr "$RQ" "$RECV_PORT" $CLS:$U.1 $CLS:$U.3
	stop_dcmrecv
	grep -qx "ok $CLS $U.1" <<<"$output"
	grep -qx "failed $CLS $U.3 0112" <<<"$output"
	# the torn line ended by a newline, the new one whole after it
	[ "$(sed -n 2p "$RECV_DIR/.cstore-index" | cut -f2)" = $U.1 ]
}

@test "dcmrecv commitment: an index line cut short by a full disk does not take the next one with it: the file stored once space is back is committed" {
	unshare -m --propagation private true 2>/dev/null ||
		skip "no private mount namespace (unshare -m refused)"
	local t=$BATS_TEST_TMPDIR
	mkdir -p "$t/mnt"
	# in a mount namespace of its own: a tmpfs of 16 pages, its index
	# 4095 bytes long (the next line needs a page of its own), filled
	# but for one page, which the first object takes: its line is cut
	# at its first byte; the space back, the second object's line
	run -0 --separate-stderr timeout 60 unshare -m --propagation private bash -c '
		set -e
		t=$1 bin=$2 rq=$3 in=$4 u=$5 cls=$6
		mount -t tmpfs -o size=64k tmpfs "$t/mnt"
		{ head -c 4094 /dev/zero | tr "\0" x; echo; } >"$t/mnt/.cstore-index"
		"$bin/dcmrecv" --commit -o "$t/mnt" --port-file "$t/port" 127.0.0.1:0 \
			>"$t/recv.out" 2>"$t/recv.err" &
		rp=$!
		trap "kill $rp; wait $rp || true" EXIT
		for i in $(seq 100); do [ -s "$t/port" ] && break; sleep 0.05; done
		p=$(cat "$t/port")
		dd if=/dev/zero of="$t/mnt/filler" bs=4096 2>/dev/null || true
		truncate -s -4096 "$t/mnt/filler"
		"$bin/dcmsend" 127.0.0.1 "$p" "$in/1.dcm" >"$t/send1.out"
		rm "$t/mnt/filler"
		"$bin/dcmsend" 127.0.0.1 "$p" "$in/2.dcm" >"$t/send2.out"
		"$rq" "$p" "$cls:$u.1" "$cls:$u.2"
		cp "$t/mnt/.cstore-index" "$t/index"
	' _ "$t" "$CSTORE_BIN" "$RQ" "$IN" "$U" "$CLS"
	# both stored (0000), the first not indexed, which the log says
	[ "$(cut -f1 "$t/send1.out" "$t/send2.out")" = $'0000\n0000' ]
	grep -q "stored but not indexed: cannot write '.cstore-index': 1 of [0-9]* bytes written (file system full?)" "$t/recv.err"
	assert_line "failed $CLS $U.1 0112"
	assert_line "ok $CLS $U.2"
	# the second line stands alone after the cut one
	[ "$(tail -1 "$t/index" | cut -f1-2)" = "$CLS"$'\t'"$U.2" ]
}

# bats test_tags=serial
@test "dcmrecv commitment: a requester that released gets the report on a new association proposing the SCP role, after --commit-delay" {
	"$RQ" -l "$BATS_TEST_TMPDIR/lport" >"$BATS_TEST_TMPDIR/listen.out" &
	local lpid=$!
	track_pid $lpid
	for i in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/lport" ] && break; sleep 0.05; done
	start_dcmrecv --commit -v --commit-peer "COMMITRQ=127.0.0.1:$(cat "$BATS_TEST_TMPDIR/lport")" \
		--commit-delay 600
	send "$IN/1.dcm"
	local t0=$(date +%s%N)
	run -0 --separate-stderr "$RQ" -r -t 2.25.99 "$RECV_PORT" $CLS:$U.1 $CLS:$U.7
	assert_output "action 0000"
	wait $lpid
	# the delay holds on the new association too
	[ $((($(date +%s%N) - t0) / 1000000)) -ge 600 ]
	stop_dcmrecv
	run cat "$BATS_TEST_TMPDIR/listen.out"
	assert_output "role SCU 0 SCP 1 (1 items)
event 2
failed $CLS $U.7 0112
ok $CLS $U.1
transaction 2.25.99"
	grep -q "report '2.25.99' sent to 'COMMITRQ' at 127.0.0.1 port" "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmrecv commitment: a requester that answers the report with a failure status is logged" {
	"$RQ" -l "$BATS_TEST_TMPDIR/lport" -s 0110 >"$BATS_TEST_TMPDIR/listen.out" &
	local lpid=$!
	track_pid $lpid
	for i in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/lport" ] && break; sleep 0.05; done
	start_dcmrecv --commit-peer "COMMITRQ=127.0.0.1:$(cat "$BATS_TEST_TMPDIR/lport")"
	send "$IN/1.dcm"
	run -0 --separate-stderr "$RQ" -r -t 2.25.97 "$RECV_PORT" $CLS:$U.1
	wait $lpid
	stop_dcmrecv
	grep -q "report '2.25.97' sent to 'COMMITRQ' .*: 1 committed, 0 failed; answered 0110" "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmrecv commitment: a --commit-peer AE title with spaces around it names the requester (PS3.5: they are not significant)" {
	"$RQ" -l "$BATS_TEST_TMPDIR/lport" >"$BATS_TEST_TMPDIR/listen.out" &
	local lpid=$!
	track_pid $lpid
	for i in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/lport" ] && break; sleep 0.05; done
	# before: ' COMMITRQ ' never matched the calling AE title COMMITRQ
	# (the request's titles are compared without their spaces): the
	# report was "not delivered"
	start_dcmrecv -v --commit-peer " COMMITRQ =127.0.0.1:$(cat "$BATS_TEST_TMPDIR/lport")"
	send "$IN/1.dcm"
	run -0 --separate-stderr "$RQ" -r -t 2.25.96 "$RECV_PORT" $CLS:$U.1
	wait_for_line "$RECV_STDERR" "report '2.25.96' sent to 'COMMITRQ' at 127.0.0.1 port" 10
	stop_dcmrecv
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --commit-peer '  =host:104' 0
	[ "$stderr" = "dcmrecv: commitment peer '  =host:104': the AE title is all spaces" ]
}

@test "dcmrecv commitment: a --commit-peer AE title with a backslash or a control character is refused as --allow's is, exit 2, before listening" {
	# before: accepted, and dcmrecv listened (a title no request can carry)
	local t
	for t in 'A\B' $'A\tB' $'PACS\x01'; do
		# (timeout: that listening would otherwise never end)
		run -2 --separate-stderr timeout 20 "$CSTORE_BIN/dcmrecv" --port-file "$BATS_TEST_TMPDIR/pf" \
			--commit-peer "$t=127.0.0.1:104" 127.0.0.1:0
		assert_output ""
		[ "$stderr" = "dcmrecv: commitment peer '$t=127.0.0.1:104': AE title must be printable ASCII characters, no backslash" ]
		[ ! -e "$BATS_TEST_TMPDIR/pf" ]
	done
	# the same words as --allow's
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --allow 'A\B' 127.0.0.1:0
	[ "$stderr" = "dcmrecv: allowed peer 'A\B': AE title must be printable ASCII characters, no backslash" ]
}

# bats test_tags=serial
@test "dcmrecv commitment: without a --commit-peer for the requester the report is said undelivered" {
	start_dcmrecv --commit --commit-delay 200
	send "$IN/1.dcm"
	run -0 --separate-stderr "$RQ" -r -t 2.25.98 "$RECV_PORT" $CLS:$U.1
	wait_for_line "$RECV_STDERR" "report '2.25.98' for 'COMMITRQ' not delivered: .*no --commit-peer names 'COMMITRQ'"
	stop_dcmrecv
}

@test "dcmrecv commitment: --commit-fail 2 (which implies --commit) reports every second instance failed (0110)" {
	start_dcmrecv --commit-fail 2
	send "$IN"/*.dcm
	run -0 --separate-stderr "$RQ" "$RECV_PORT" $CLS:$U.1 $CLS:$U.2 $CLS:$U.3
	stop_dcmrecv
	grep -qx "ok $CLS $U.1" <<<"$output"
	grep -qx "failed $CLS $U.2 0110" <<<"$output"
	grep -qx "ok $CLS $U.3" <<<"$output"
}

# bats test_tags=serial
@test "dcmrecv commitment: --commit-delay holds the report on the open association" {
	start_dcmrecv --commit --commit-delay 700
	send "$IN/1.dcm"
	local t0=$(date +%s%N)
	run -0 --separate-stderr "$RQ" "$RECV_PORT" $CLS:$U.1
	local ms=$((($(date +%s%N) - t0) / 1000000))
	stop_dcmrecv
	[ "${lines[1]}" = "event 1" ]
	[ "$ms" -ge 700 ]
}

@test "dcmrecv commitment: an N-ACTION of another action type is refused with 0123 and no report follows" {
	start_dcmrecv --commit
	send "$IN/1.dcm"
	run -0 --separate-stderr "$RQ" -a 2 "$RECV_PORT" $CLS:$U.1
	stop_dcmrecv
	assert_output "action 0123"
	grep -q "storage commitment request refused (0123)" "$RECV_STDERR"
}

@test "dcmrecv commitment: without --commit the class is refused and nothing is indexed" {
	start_dcmrecv
	send "$IN/1.dcm"
	run -1 --separate-stderr "$RQ" "$RECV_PORT" $CLS:$U.1
	stop_dcmrecv
	assert_output "context refused"
	[ "$(ls -A "$RECV_DIR")" = "$U.1.dcm" ]
}

@test "dcmrecv commitment: bad --commit-peer, --commit-fail and --commit-delay values are usage errors" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --commit-peer NOPORT=host 0
	[[ $stderr == *"--commit-peer 'NOPORT=host': expected AETITLE=HOST:PORT"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --commit-peer =host:104 0
	[[ $stderr == *"expected AETITLE=HOST:PORT"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --commit-peer ABCDEFGHIJKLMNOPQ=h:104 0
	[[ $stderr == *"expected AETITLE=HOST:PORT"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --commit-fail 0 0
	[[ $stderr == *"--commit-fail"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --commit-delay -1 0
	[[ $stderr == *"--commit-delay"* ]]
}

@test "dcmrecv commitment: --commit-respond 0213 (which implies --commit) refuses a well-formed request with it, no report follows" {
	start_dcmrecv --commit-respond 0213
	send "$IN/1.dcm"
	run -0 --separate-stderr "$RQ" "$RECV_PORT" $CLS:$U.1
	assert_output "action 0213"
	# a malformed request still gets its own failure
	run -0 --separate-stderr "$RQ" -a 2 "$RECV_PORT" $CLS:$U.1
	assert_output "action 0123"
	stop_dcmrecv
	grep -q "storage commitment request refused (0213): refused as --commit-respond says" "$RECV_STDERR"
	refute grep -q "storage commitment report" "$RECV_STDERR"
}

@test "dcmrecv commitment: --commit-respond takes a status other than 0000" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --commit-respond 0000 0
	[[ $stderr == *"--commit-respond '0000': not a failure"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --commit-respond nope 0
	[[ $stderr == *"--commit-respond: status 'nope'"* ]]
}

# bats test_tags=serial
@test "dcmrecv commitment: a requester that aborts right after its N-ACTION gets the report on a new association, after --commit-delay" {
	"$RQ" -l "$BATS_TEST_TMPDIR/lport" >"$BATS_TEST_TMPDIR/listen.out" &
	local lpid=$!
	track_pid $lpid
	for i in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/lport" ] && break; sleep 0.05; done
	start_dcmrecv --commit -v --commit-peer "COMMITRQ=127.0.0.1:$(cat "$BATS_TEST_TMPDIR/lport")" \
		--commit-delay 1500
	send "$IN/1.dcm"
	local t0=$(date +%s%N)
	run -0 --separate-stderr "$RQ" -A -t 2.25.96 "$RECV_PORT" $CLS:$U.1
	assert_output "aborted"
	wait $lpid
	[ $((($(date +%s%N) - t0) / 1000000)) -ge 1500 ]
	stop_dcmrecv
	run cat "$BATS_TEST_TMPDIR/listen.out"
	assert_output "role SCU 0 SCP 1 (1 items)
event 1
ok $CLS $U.1
transaction 2.25.96"
	grep -q "association 2: aborted by the peer" "$RECV_STDERR"
	grep -q "report '2.25.96' sent to 'COMMITRQ' at 127.0.0.1 port" "$RECV_STDERR"
}

# The receiver remembers the Transaction UID of each report it owes (to
# tell a reused one, 0131); 256 at once at most, and a request beyond
# them is refused 0213 Resource Limitation, owing nothing, instead of
# a report whose duplicate could not be told.
@test "dcmrecv commitment: with 256 reports owed (requesters released, --commit-delay) the 257th request is refused 0213, no report owed for it" {
	# the longest delay (1 h): the 256 requesters took a loaded machine
	# over 2 min, and a report falling due frees its slot
	start_dcmrecv --commit --commit-delay 3600000
	local i
	for i in $(seq 256); do
		run -0 --separate-stderr "$RQ" -r -t "2.25.5$i" "$RECV_PORT" $CLS:$U.1
		assert_output "action 0000"
	done
	run -0 --separate-stderr "$RQ" -r -t 2.25.6 "$RECV_PORT" $CLS:$U.1
	assert_output "action 0213"
	stop_dcmrecv
	[ "$(grep -c "storage commitment request refused (0213): too many reports owed" "$RECV_STDERR")" -eq 1 ]
	refute grep -q "'2.25.6'" "$RECV_STDERR"
}
