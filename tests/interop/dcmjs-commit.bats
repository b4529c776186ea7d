#!/usr/bin/env bats
# dcmsend --commit against an archive on another DIMSE stack:
# dcmjs-dimse's Server (tests/js/commit-scp.js) storing everything and
# reporting on the same association, its report bent: instances nobody
# asked for, one missing, one in both lists, the report before the
# N-ACTION's response, no report.  Only what the report says of our own
# instances counts; anything else is uncommitted (exit 7).
# And dcmrecv --commit as the archive of dcmjs-dimse's Client
# (tests/js/commit-scu.js): the report on its association, or on a new
# one to its Server once it released, instance by instance.
# Runs beside other files (scripts/run-check).
# bats file_tags=parallel

load dcmsend-helpers
load ../bats/dcmrecv-helpers

JS=$BATS_TEST_DIRNAME/../js

setup() {
	require_netns
	require_cmd node
	[ -d "$JS/node_modules/dcmjs-dimse" ] ||
		skip "tests/js/node_modules missing: run scripts/install-deps (npm ci in tests/js)"
	C=$(corpus_dir)
	FILES=("$C/ts/explicit-le.dcm" "$C/ts/implicit-le.dcm" "$C/ts/rle.dcm")
}

# send MODE [dcmsend options]: the three files to commit-scp.js MODE.
send() {
	local mode=$1
	shift
	start_on_free_port "$BATS_TEST_TMPDIR/scp.$mode" node "$JS/commit-scp.js" "{PORT}" "$mode"
	run --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --commit "$@" 127.0.0.1 "$SERVER_PORT" "${FILES[@]}"
	kill "$SERVER_PID"
	wait "$SERVER_PID" || true
	grep -qx $'action\t3' "$BATS_TEST_TMPDIR/scp.$mode"
}

committed() {
	[ "$(grep -c $'^0000\t.*\tcommitted' <<<"$output")" -eq "$1" ]
}

@test "dcmjs-commit: every instance committed, also with the report before the N-ACTION's response, and with strangers named beside ours: exit 0" {
	local mode
	for mode in ok early extra; do
		send "$mode"
		[ "$status" -eq 0 ]
		committed 3
	done
	# with a listener too: the report before the N-ACTION's answer is
	# kept until the answer, then printed
	send early --commit-listen "127.0.0.1:$(free_port)"
	[ "$status" -eq 0 ]
	committed 3
}

@test "dcmjs-commit: a report that leaves one out, or names one in both lists, or none at all: those uncommitted or failed, exit 7" {
	send missing
	[ "$status" -eq 7 ]
	committed 2
	assert_line --regexp $'^0000\t.*/rle\\.dcm\t.*\tuncommitted; .*the commitment report does not name it$'
	send both
	[ "$status" -eq 7 ]
	committed 2
	assert_line --regexp $'^0000\t.*/explicit-le\\.dcm\t.*\tcommitfailed; commitment failed: processing failure \\(0110\\)$'
	send never --commit-timeout 2
	[ "$status" -eq 7 ]
	[ "$(grep -c $'\tuncommitted; no commitment report within 2 s$' <<<"$output")" -eq 3 ]
}

@test "dcmjs-commit: an archive that reports later on an association of its own, proposing no role selection: every input committed through --commit-listen, exit 0" {
	local lport
	lport=$(free_port)
	send "new:$lport" --commit-listen "127.0.0.1:$lport" --commit-timeout 30
	[ "$status" -eq 0 ]
	committed 3
	grep -qx $'report-rsp\t0000' "$BATS_TEST_TMPDIR/scp.new:$lport"
}

@test "dcmjs-commit: a report committing one of ours under another SOP class, or failing one without a reason: that one commitfailed, saying which, exit 7" {
	send class
	[ "$status" -eq 7 ]
	committed 2
	assert_line --regexp $'^0000\t.*/explicit-le\\.dcm\t.*\tcommitfailed; commitment failed: the archive committed it as SOP class 1\\.2\\.840\\.10008\\.5\\.1\\.4\\.1\\.1\\.2, not as the class it was sent as$'
	send noreason --json
	[ "$status" -eq 7 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 2 ]
	[ "$(jq -r 'select(.commit == "commitfailed") | .path' <<<"$output")" = "${FILES[2]}" ]
	[ "$(jq -r 'select(.commit == "commitfailed") | .commit_reason' <<<"$output")" = 0 ]
	jq -r 'select(.commit == "commitfailed") | .detail' <<<"$output" | grep -qx 'commitment failed: the archive gave no reason'
}

# A Warning (B000 here; 0001, 0107, 0116, Bxxx in PS3.7 C) answering the
# N-ACTION means the request was taken: its lines said "refused ...
# (Warning)", exit 7, and the report that came was never waited for.
@test "dcmjs-commit: an N-ACTION answered B000 (Warning) is a request taken: the report waited for, every input committed with the warning in DETAIL, exit 0" {
	send warn --commit-timeout 20
	[ "$status" -eq 0 ]
	committed 3
	[ "$(grep -c $'\tcommitted; the archive took the commitment request with a warning: N-ACTION status B000: queued behind a migration$' <<<"$output")" -eq 3 ]
	refute_output --partial refused
	grep -qx report "$BATS_TEST_TMPDIR/scp.warn"
}

# A report for a Transaction UID we never asked (or was reported
# already) is answered 0115 Invalid Argument Value (PS3.7 10.1.1.1.8: the
# event information out of place), not 0110 Processing Failure, and
# says why; the transaction of ours after it is still applied.
@test "dcmjs-commit: a report for a Transaction UID nobody asked is answered 0115 with an Error Comment saying so; ours after it committed, exit 0" {
	send stray
	[ "$status" -eq 0 ]
	committed 3
	grep -qx $'stray-rsp\t0115\tno report awaited for this Transaction UID' "$BATS_TEST_TMPDIR/scp.stray"
}

# The listener wrote the lines of a transaction past its deadline itself,
# between two accepts: with stdout stalled it accepted nothing more, and
# an archive's report for a transaction still awaited waited in the
# backlog until that one had expired too.  The first association's 200
# files are never reported (their lines, ~100 KB, fill the pipe when its
# transaction expires).  Each N-ACTION waits 9 s (DCMSEND_COMMIT_DELAY_MS)
# and a transaction expires 7 s after its N-ACTION; the second's report
# comes 1 s after its release, on a new association.  With t0 the first
# N-ACTION: stdout stalls at t0+7, the report comes at t0+10 and later
# (3 s after the stall, so a listener stalled on stdout misses it), the
# second transaction expires at t0+16 and later (6 s to spare with the
# fix), and the reader sleeps 35 s: past the second's expiry (about 25 s
# after dcmsend started) however slow the first association was.
@test "dcmjs-commit: the lines of an expired transaction, stalled on stdout, hold up no report: the next association's report still commits its files" {
	local lport rc n i
	lport=$(free_port)
	# one class, one syntax: one context, so two associations
	mkdir "$BATS_TEST_TMPDIR/in"
	for i in $(seq 210); do
		cp "${FILES[0]}" "$BATS_TEST_TMPDIR/in/file-number-$i-of-an-examination.dcm"
	done
	local -a all=("$BATS_TEST_TMPDIR"/in/*.dcm)
	start_on_free_port "$BATS_TEST_TMPDIR/scp.late" node "$JS/commit-scp.js" "{PORT}" "skipfirst:$lport:1000"
	DCMSEND_COMMIT_DELAY_MS=9000 "$CSTORE_BIN/dcmsend" -j 1 --per-assoc 200 --commit \
		--commit-listen "127.0.0.1:$lport" --commit-timeout 7 --json 127.0.0.1 "$SERVER_PORT" "${all[@]}" \
		2>"$BATS_TEST_TMPDIR/send.err" | { sleep 35; cat >"$BATS_TEST_TMPDIR/send.out"; }
	rc=${PIPESTATUS[0]}
	kill "$SERVER_PID"
	wait "$SERVER_PID" || true
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	[ "$rc" -eq 7 ]
	n=${#all[@]}
	[ "$(wc -l <<<"$output")" -eq "$n" ]
	[ "$(jq -r .detail <<<"$output" | grep -c '^no commitment report within 7 s$')" -eq 200 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq $((n - 200)) ]
	grep -qx $'report-rsp\t0000' "$BATS_TEST_TMPDIR/scp.late"
}

# recv_commit [dcmrecv options] -- [commit-scu.js arguments]: dcmrecv
# --commit, then commit-scu.js against it; its lines in $output.
recv_commit() {
	local -a ropts=()
	while [ "$1" != -- ]; do
		ropts+=("$1")
		shift
	done
	shift
	start_dcmrecv --commit -v "${ropts[@]}"
	run --separate-stderr timeout 60 node "$JS/commit-scu.js" 127.0.0.1 "$RECV_PORT" "$@"
	stop_dcmrecv
}

uid_of() {
	/usr/bin/dcmdump +P 0008,0018 "$1" | sed 's/.*\[\(.*\)\].*/\1/'
}

SC=1.2.840.10008.5.1.4.1.1.7
CT=1.2.840.10008.5.1.4.1.1.2

@test "dcmjs-commit: dcmjs-dimse asks dcmrecv on its association: what was stored committed, the rest failed with its reason (0112, 0119, 0122)" {
	require_cmd /usr/bin/dcmdump
	local a b
	a=$(uid_of "${FILES[1]}")
	b=$(uid_of "${FILES[2]}")
	recv_commit -- --linger 30000 --reports 1 "${FILES[1]}" "${FILES[2]}" -- \
		$SC:$a $SC:$b $SC:1.2.3.9 $CT:$a 1.2.3.4.5:1.2.3.10
	[ "$status" -eq 0 ]
	[ "$(grep -c $'^store\t0000$' <<<"$output")" -eq 2 ]
	assert_line $'action\t0000'
	assert_line --regexp $'^report\tsame\t2\t2\\.25\\.[0-9]+$'
	[ "$(grep -c $'^ok\t' <<<"$output")" -eq 2 ]
	assert_line $'ok\t'"$SC"$'\t'"$a"
	assert_line $'ok\t'"$SC"$'\t'"$b"
	assert_line $'failed\t'"$SC"$'\t1.2.3.9\t0112'
	assert_line $'failed\t'"$CT"$'\t'"$a"$'\t0119'
	assert_line $'failed\t1.2.3.4.5\t1.2.3.10\t0122'
	# what was reported committed is what is on disk, byte for byte
	/usr/bin/dcmdump +P 0008,0018 "$RECV_DIR/$a.dcm" | grep -q "$a"
	/usr/bin/dcmdump +P 0008,0018 "$RECV_DIR/$b.dcm" | grep -q "$b"
}

@test "dcmjs-commit: dcmjs-dimse released before the report: it comes on a new association to its Server, the SCP role proposed" {
	require_cmd /usr/bin/dcmdump
	local lport a b
	lport=$(free_port)
	a=$(uid_of "${FILES[1]}")
	b=$(uid_of "${FILES[2]}")
	recv_commit --commit-delay 1000 --commit-peer "DCMJS=127.0.0.1:$lport" -- \
		--listen "$lport" --wait 30000 "${FILES[1]}" "${FILES[2]}" -- \
		$SC:$a $SC:$b $SC:1.2.3.9
	[ "$status" -eq 0 ]
	assert_line $'released'
	assert_line $'role\t0\t1'
	assert_line --regexp $'^report\tnew\t2\t'
	assert_line $'ok\t'"$SC"$'\t'"$a"
	assert_line $'ok\t'"$SC"$'\t'"$b"
	assert_line $'failed\t'"$SC"$'\t1.2.3.9\t0112'
	# the report came after the release, not on the association
	[ "$(grep -n $'^released' <<<"$output" | cut -d: -f1)" -lt \
		"$(grep -n $'^report' <<<"$output" | cut -d: -f1)" ]
	grep -q "report '.*' sent to 'DCMJS' at 127.0.0.1 port $lport: 2 committed, 1 failed; answered 0000" "$RECV_STDERR"
}

@test "dcmjs-commit: dcmjs-dimse sends the same Transaction UID twice while its report is owed: the second request's instances fail (0131)" {
	require_cmd /usr/bin/dcmdump
	recv_commit --commit-delay 2000 -- --linger 30000 --reports 2 --twice "${FILES[1]}"
	[ "$status" -eq 0 ]
	[ "$(grep -c $'^action\t0000$' <<<"$output")" -eq 2 ]
	[ "$(grep -c $'^report\tsame' <<<"$output")" -eq 2 ]
	# the first report commits it, the second fails it as a duplicate
	assert_line --regexp $'^report\tsame\t1\t'
	assert_line --regexp $'^report\tsame\t2\t'
	assert_line $'ok\t'"$SC"$'\t'"$(uid_of "${FILES[1]}")"
	assert_line $'failed\t'"$SC"$'\t'"$(uid_of "${FILES[1]}")"$'\t0131'
}
