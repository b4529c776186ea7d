#!/usr/bin/env bats
# dcmsend --commit against our dcmrecv (its Storage Commitment SCP): the
# report on the same association and on one dcmrecv opens to our
# --commit-listen port, failures it is told to report (--commit-fail),
# a report that comes too late, a peer without the commitment class,
# and what the options refuse.  What each line says is checked against
# what arrived in dcmrecv's output directory.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

teardown() {
	[ -z "${NB_TMP:-}" ] || rm -rf "$NB_TMP"
	stop_tracked
}

setup() {
	require_netns
	C=$(corpus_dir)
	mapfile -t FILES < <(awk -F'\t' 'NR > 1 && $3 == "1.2.840.10008.1.2.1" { print $1 }' \
		"$C/MANIFEST.tsv" | head -6 | sed "s|^|$C/|")
	[ "${#FILES[@]}" -eq 6 ]
}

# all_stored_anyway: every input's instance is a file dcmrecv wrote.
all_stored_anyway() {
	local uid
	for uid in $(jq -r .sop_instance_uid <<<"$output"); do
		awk -F'\t' -v u="$uid" '$3 == u { f = 1 } END { exit !f }' "$RECV_STDOUT"
	done
}

# all_held: every committed line's instance is a file dcmrecv wrote.
all_held() {
	local uid
	for uid in $(jq -r 'select(.commit == "committed") | .sop_instance_uid' <<<"$output"); do
		awk -F'\t' -v u="$uid" '$3 == u { f = 1 } END { exit !f }' "$RECV_STDOUT"
	done
}

@test "dcmsend --commit to dcmrecv: the report on the same association, every input committed, exit 0" {
	start_dcmrecv --commit
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit -d --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 6 ]
	[ "$(jq -r .transaction_uid <<<"$output" | sort -u | wc -l)" -eq 1 ]
	# one N-ACTION for the six, the report on the same association
	[ "$(grep -c ': N-ACTION-RQ ' <<<"$stderr")" -eq 1 ]
	[ "$(grep -c ': N-EVENT-REPORT-RQ ' <<<"$stderr")" -eq 1 ]
	[ "$(grep -c 'sent A-ASSOCIATE-RQ' <<<"$stderr")" -eq 1 ]
	[[ $stderr != *"received A-ASSOCIATE-RQ"* ]]
	all_held
}

@test "dcmsend --commit: one N-ACTION per association (--per-assoc 2: three)" {
	start_dcmrecv --commit
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --per-assoc 2 -d --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(grep -c ': N-ACTION-RQ ' <<<"$stderr")" -eq 3 ]
	[ "$(jq -r .transaction_uid <<<"$output" | sort -u | wc -l)" -eq 3 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 6 ]
}

@test "dcmsend --commit: instances dcmrecv reports failed (--commit-fail 2) say so, exit 7" {
	start_dcmrecv --commit-fail 2
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(jq -r .status <<<"$output" | grep -c '^0000$')" -eq 6 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^commitfailed$')" -eq 3 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 3 ]
	jq -r 'select(.commit == "commitfailed") | .detail' <<<"$output" | grep -q '^commitment failed: .*(0110)$'
	all_held
}

# bats test_tags=serial
@test "dcmsend --commit: an archive that refuses the N-ACTION (dcmrecv --commit-respond 0110): every line says so, exit 7 at once" {
	start_dcmrecv --commit-respond 0110
	SECONDS=0
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --per-assoc 4 --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	# refused, not waited for: the default --commit-timeout is 300 s
	[ "$SECONDS" -le 10 ]
	[ "$(jq -r .status <<<"$output" | grep -c '^0000$')" -eq 6 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^commitfailed$')" -eq 6 ]
	[ "$(jq -r .detail <<<"$output" | grep -c 'the archive refused the commitment request: N-ACTION status 0110 (Failure): refused as --commit-respond says')" -eq 6 ]
	all_stored_anyway
	stop_dcmrecv
	# both associations' requests refused, no report owed
	[ "$(grep -c 'storage commitment request refused (0110): refused as --commit-respond says' "$RECV_STDERR")" -eq 2 ]
	refute grep -q 'storage commitment report' "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmsend --commit --commit-listen --commit-state: a refused N-ACTION is not waited for on the listener nor kept, exit 7" {
	LPORT=$(free_port)
	start_dcmrecv --commit-respond C000 --commit-peer "DCMSEND=127.0.0.1:$LPORT"
	SECONDS=0
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-listen "127.0.0.1:$LPORT" \
		--commit-state "$BATS_TEST_TMPDIR/state" 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$SECONDS" -le 10 ]
	[ "$(cut -f1 <<<"$output" | grep -c '^0000$')" -eq 6 ]
	[ "$(cut -f5 <<<"$output" | grep -c '^commitfailed; .*N-ACTION status C000')" -eq 6 ]
	# nothing was asked for: nothing pending
	[ "$(wc -l <"$BATS_TEST_TMPDIR/state")" -eq 1 ]
}

@test "dcmsend --commit --commit-listen: dcmrecv's report on a new association (--commit-peer, --commit-delay)" {
	LPORT=$(free_port)
	start_dcmrecv --commit-peer "DCMSEND=127.0.0.1:$LPORT" --commit-delay 300
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-listen "127.0.0.1:$LPORT" -d --json \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 6 ]
	# ours released first, then dcmrecv's association came to the listener
	[[ $stderr == *"received A-RELEASE-RP"*"received A-ASSOCIATE-RQ"*"N-EVENT-REPORT-RQ"*"sent A-RELEASE-RP"* ]]
	all_held
}

@test "dcmsend --commit --commit-listen --per-assoc 1 to dcmrecv --max-associations 3 --commit-delay: an association waiting to deliver its report no longer holds a slot, all six stored and committed" {
	# found by scripts/soak --paths commit-ours: with one association
	# open at a time, the fourth was rejected "local limit exceeded (3
	# associations at once)" while three ended ones waited out their
	# --commit-delay to report on a new association
	LPORT=$(free_port)
	start_dcmrecv -v --max-associations 3 --commit-peer "DCMSEND=127.0.0.1:$LPORT" --commit-delay 3000
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-listen "127.0.0.1:$LPORT" --per-assoc 1 \
		--json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 6 ]
	[ "$(jq -r .association <<<"$output" | sort -u | wc -l)" -eq 6 ]
	all_held
	stop_dcmrecv
	run grep -c "rejected: local limit exceeded" "$RECV_STDERR"
	assert_output 0
}

@test "dcmsend --commit --commit-listen -j 4 --per-assoc 2: a burst of reports on new associations (150 files, 75 reports) is taken whole, every input committed" {
	# found by scripts/soak --paths commit-ours: reports beyond the
	# listener's connections at once (and its backlog of 8) were reset,
	# dcmrecv said "not delivered" and those inputs came out uncommitted
	LPORT=$(free_port)
	start_dcmrecv -v --commit-peer "DCMSEND=127.0.0.1:$LPORT" --commit-delay 300
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-listen "127.0.0.1:$LPORT" -j 4 --per-assoc 2 \
		--commit-timeout 60 --json 127.0.0.1 "$RECV_PORT" $(ls "$C"/sop/*.dcm | head -150)
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 150 ]
	all_held
	stop_dcmrecv
	run grep -c "not delivered" "$RECV_STDERR"
	assert_output 0
}

# bats test_tags=serial
@test "dcmsend --commit --commit-listen: an archive slow to release after its report gets its A-RELEASE-RP, its connection not cut" {
	LPORT=$(free_port)
	"$CSTORE_ROOT/tests/tools/late-release" "$BATS_TEST_TMPDIR/relay.port" "$LPORT" 800 &
	track_pid $!
	for i in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/relay.port" ] && break
		sleep 0.05
	done
	start_dcmrecv -v --commit-peer "DCMSEND=127.0.0.1:$(cat "$BATS_TEST_TMPDIR/relay.port")" --commit-delay 300
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-listen "127.0.0.1:$LPORT" -d --json \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 6 ]
	[[ $stderr == *"N-EVENT-REPORT-RQ"*"received A-RELEASE-RQ"*"sent A-RELEASE-RP"* ]]
	# what came back to the archive: associate, report answer, release
	for i in $(seq 100); do
		[ "$(tail -n 1 "$BATS_TEST_TMPDIR/relay.port.rsp")" = 06 ] && break
		sleep 0.05
	done
	[ "$(tr '\n' ' ' <"$BATS_TEST_TMPDIR/relay.port.rsp")" = "02 04 06 " ]
}

@test "dcmsend --commit -v: the association line counts the storage contexts and says whether Storage Commitment was accepted" {
	start_dcmrecv --commit
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit -v 127.0.0.1 "$RECV_PORT" "${FILES[0]}"
	[[ $stderr =~ accepted\ ([0-9]+)\ of\ ([0-9]+)\ presentation\ contexts\ and\ Storage\ Commitment,\ max\ PDU ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	stop_dcmrecv
	start_dcmrecv
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit -v 127.0.0.1 "$RECV_PORT" "${FILES[0]}"
	[[ $stderr =~ accepted\ ([0-9]+)\ of\ ([0-9]+)\ presentation\ contexts\ but\ not\ Storage\ Commitment,\ max\ PDU ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
}

# bats test_tags=serial
@test "dcmsend --commit --commit-listen: an association's lines come out when its report is in, not at the end of the run" {
	LPORT=$(free_port)
	start_dcmrecv --commit-peer "DCMSEND=127.0.0.1:$LPORT"
	# one file an association, each request 2 s after its stores: the
	# first report is in some 4 s before the run ends
	DCMSEND_COMMIT_DELAY_MS=2000 "$CSTORE_BIN/dcmsend" -j 1 --per-assoc 1 --commit \
		--commit-listen "127.0.0.1:$LPORT" --commit-timeout 30 --json \
		127.0.0.1 "$RECV_PORT" "${FILES[@]:0:3}" \
		>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	local pid=$! rc=0 alive=0 i
	track_pid "$pid"
	for i in $(seq 600); do
		if [ -s "$BATS_TEST_TMPDIR/send.out" ]; then
			kill -0 "$pid" 2>/dev/null && alive=1
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	# the first line was out while dcmsend still ran
	[ "$alive" -eq 1 ]
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 3 ]
	[ "$(jq -r .path <<<"$output" | head -1)" = "${FILES[0]}" ]
	all_held
}

# bats test_tags=serial
@test "dcmsend --commit --commit-listen: a reader that takes no lines for 10 s (stdout stalled) holds up neither the archive's reports nor the lanes: every file stored and committed, exit 0" {
	LPORT=$(free_port)
	start_dcmrecv --commit --commit-peer "DCMSEND=127.0.0.1:$LPORT" --timeout 3
	local -a all=("$C"/sop/*.dcm)
	local rc
	# some 110 KB of lines: the pipe fills while the reports come; an
	# answer or a lane waiting on the lines for longer than dcmrecv's
	# --timeout fails the association
	"$CSTORE_BIN/dcmsend" -j 2 --per-assoc 20 --commit --commit-listen "127.0.0.1:$LPORT" \
		--commit-timeout 60 --json 127.0.0.1 "$RECV_PORT" "${all[@]}" \
		2>"$BATS_TEST_TMPDIR/send.err" | { sleep 10; cat >"$BATS_TEST_TMPDIR/send.out"; }
	rc=${PIPESTATUS[0]}
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	[ "$rc" -eq 0 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq "${#all[@]}" ]
	all_held
	stop_dcmrecv
	refute grep -q 'not delivered' "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmsend --commit: a reader that takes no lines for 10 s (stdout stalled) does not keep the answer to a report on the same association from the archive" {
	start_dcmrecv --commit --timeout 3
	local -a all=("$C"/sop/*.dcm)
	local rc
	"$CSTORE_BIN/dcmsend" -j 2 --per-assoc 20 --commit --json 127.0.0.1 "$RECV_PORT" "${all[@]}" \
		2>"$BATS_TEST_TMPDIR/send.err" | { sleep 10; cat >"$BATS_TEST_TMPDIR/send.out"; }
	rc=${PIPESTATUS[0]}
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	[ "$rc" -eq 0 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq "${#all[@]}" ]
	all_held
	stop_dcmrecv
	# every report answered: none owed when an association ended
	refute grep -q 'no answer to the storage commitment report' "$RECV_STDERR"
	refute grep -q 'not delivered' "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmsend --commit --commit-listen: a transaction whose report never comes is reported uncommitted at its --commit-timeout, while the lanes still send, not at the end of the run" {
	LPORT=$(free_port)
	start_dcmrecv --commit-peer "DCMSEND=127.0.0.1:$LPORT" --commit-delay 60000
	# one file an association, each request 1.5 s after its stores:
	# the first transaction is given up some 2.5 s in, the sixth file
	# stored some 7.5 s in
	DCMSEND_COMMIT_DELAY_MS=1500 "$CSTORE_BIN/dcmsend" -j 1 --per-assoc 1 --commit \
		--commit-listen "127.0.0.1:$LPORT" --commit-timeout 1 --json \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}" \
		>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	local pid=$! rc=0 stored=-1 i
	track_pid "$pid"
	for i in $(seq 1500); do
		if [ -s "$BATS_TEST_TMPDIR/send.out" ]; then
			stored=$(wc -l <"$RECV_STDOUT")
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	wait "$pid" || rc=$?
	[ "$rc" -eq 7 ]
	# the first line was out before dcmrecv had the last file
	[ "$stored" -ge 0 ]
	[ "$stored" -lt 6 ]
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	[ "$(jq -r .detail <<<"$output" | grep -c 'no commitment report within 1 s$')" -eq 6 ]
	[ "$(jq -r .path <<<"$output" | head -1)" = "${FILES[0]}" ]
	all_stored_anyway
}

# bats test_tags=serial
@test "dcmsend --commit --commit-listen: with every connection slot taken (8 silent ones) the archive's report waits to be accepted, not cut: committed, exit 0" {
	LPORT=$(free_port)
	start_dcmrecv --commit-peer "DCMSEND=127.0.0.1:$LPORT" --commit-delay 1500 -v
	# --acse-timeout 5: the silent ones are still there when the report
	# is due, also on a loaded machine
	"$CSTORE_BIN/dcmsend" --commit --commit-listen "127.0.0.1:$LPORT" --commit-timeout 20 \
		--acse-timeout 5 --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}" \
		>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	local pid=$! rc=0 fd i
	local -a fds=()
	track_pid "$pid"
	wait_for_port "$LPORT" "$pid" 10
	# as many connections as are served at once, each saying nothing
	# (a burst of archives' associations does the same): the report
	# comes 1.5 s after the request, behind them
	for i in 1 2 3 4 5 6 7 8; do
		exec {fd}<>"/dev/tcp/127.0.0.1/$LPORT"
		fds+=("$fd")
	done
	wait "$pid" || rc=$?
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	[ "$rc" -eq 0 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 6 ]
	all_held
	stop_dcmrecv
	grep -q "report '.*' sent to 'DCMSEND' at 127.0.0.1 port $LPORT: 6 committed, 0 failed; answered 0000" "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmsend --commit --commit-listen: a silent connection to the listener (a scanner, a health check) holds up neither the report nor the end of the wait" {
	LPORT=$(free_port)
	start_dcmrecv --commit-peer "DCMSEND=127.0.0.1:$LPORT" --commit-delay 1500
	"$CSTORE_BIN/dcmsend" --commit --commit-listen "127.0.0.1:$LPORT" --commit-timeout 20 --json \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}" >"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	local pid=$! rc=0
	track_pid "$pid"
	wait_for_port "$LPORT" "$pid" 10
	exec 5<>"/dev/tcp/127.0.0.1/$LPORT" # connects, then says nothing
	SECONDS=0
	wait "$pid" || rc=$?
	exec 5>&-
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	[ "$rc" -eq 0 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 6 ]
	[ "$SECONDS" -le 10 ]
	all_held
	# no report at all: the wait ends at --commit-timeout, connection or not
	stop_dcmrecv
	start_dcmrecv --commit-peer "DCMSEND=127.0.0.1:$LPORT" --commit-delay 60000
	"$CSTORE_BIN/dcmsend" --commit --commit-listen "127.0.0.1:$LPORT" --commit-timeout 2 \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}" >"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	pid=$! rc=0
	track_pid "$pid"
	wait_for_port "$LPORT" "$pid" 10
	exec 5<>"/dev/tcp/127.0.0.1/$LPORT"
	SECONDS=0
	wait "$pid" || rc=$?
	exec 5>&-
	[ "$rc" -eq 7 ]
	[ "$SECONDS" -le 8 ]
	[ "$(cut -f5 "$BATS_TEST_TMPDIR/send.out" | grep -c '^uncommitted; .*no commitment report within 2 s$')" -eq 6 ]
}

# bats test_tags=serial
@test "dcmsend --commit: a report later than --commit-timeout gives uncommitted lines in time, exit 7" {
	start_dcmrecv --commit-delay 8000
	SECONDS=0
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-timeout 1 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$SECONDS" -le 6 ]
	[ "$(cut -f1 <<<"$output" | grep -c '^0000$')" -eq 6 ]
	[ "$(cut -f5 <<<"$output" | grep -c '^uncommitted; .*no commitment report within 1 s$')" -eq 6 ]
}

@test "dcmsend --commit to a peer without Storage Commitment (DCMTK storescp): stored, uncommitted, exit 7" {
	require_cmd /usr/bin/storescp
	start_storescp "$BATS_TEST_TMPDIR/scp"
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit 127.0.0.1 "$SCP_PORT" "${FILES[@]}"
	[ "$(cut -f1 <<<"$output" | grep -c '^0000$')" -eq 6 ]
	[ "$(cut -f5 <<<"$output" | grep -c '^uncommitted; .*the archive did not accept the Storage Commitment Push Model class$')" -eq 6 ]
}

@test "dcmsend --commit: a failed store is not asked for, exit 1 wins over 7" {
	start_dcmrecv --commit
	printf 'not dicom' >"$BATS_TEST_TMPDIR/junk.dcm"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --commit 127.0.0.1 "$RECV_PORT" "${FILES[0]}" "$BATS_TEST_TMPDIR/junk.dcm"
	[ "$(grep -c $'^0000\t.*\tcommitted$' <<<"$output")" -eq 1 ]
	[ "$(grep -c $'^notdicom\t' <<<"$output")" -eq 1 ]
}

# bats test_tags=serial
@test "dcmsend: --commit-listen and --commit-timeout need --commit; --commit not with --dry-run" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-timeout 5 127.0.0.1 104 "${FILES[0]}"
	[[ $stderr == *"--commit-listen, --commit-timeout and --commit-state need --commit"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait x 127.0.0.1 104
	[[ $stderr == *"--commit-wait needs --commit-listen"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait x --commit-listen 0 127.0.0.1
	[[ $stderr == *"--commit-wait takes no operands"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --dry-run 127.0.0.1 104 "${FILES[0]}"
	[[ $stderr == *"--commit sends"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-timeout 0 127.0.0.1 104 "${FILES[0]}"
	[ -z "$output" ]
}

@test "dcmsend --commit --resume: only what a log has committed is skipped; a plain log counts for nothing" {
	start_dcmrecv --commit-fail 2
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/log"
	[ "$(cut -f5 "$BATS_TEST_TMPDIR/log" | grep -Ec '^committed(;|$)')" -eq 3 ]
	stop_dcmrecv
	start_dcmrecv --commit
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --resume "$BATS_TEST_TMPDIR/log" -d 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(grep -c $'^resumed\t.*\tcommitted; stored and committed according to the resume log$' <<<"$output")" -eq 3 ]
	[ "$(cut -f1,5 <<<"$output" | grep -Ec $'^0000\tcommitted(;|$)')" -eq 3 ]
	[ "$(grep -c ': C-STORE-RQ ' <<<"$stderr")" -eq 3 ]
	# the ones that failed were sent again, and only they
	diff <(grep -Ev $'\tcommitted(;|$)' "$BATS_TEST_TMPDIR/log" | cut -f2 | sort) \
		<(grep $'^0000\t' <<<"$output" | cut -f2 | sort)
	# its own log resumes everything
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/log2"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --resume "$BATS_TEST_TMPDIR/log2" 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(grep -c $'^resumed\t' <<<"$output")" -eq 6 ]
	# a log without --commit: stored, never committed, so all go again
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/plain"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --resume "$BATS_TEST_TMPDIR/plain" 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(cut -f1,5 <<<"$output" | grep -Ec $'^0000\tcommitted(;|$)')" -eq 6 ]
}

# bats test_tags=serial
@test "dcmsend --commit-state: what was asked for and not reported stays in the file; nothing once all is committed" {
	start_dcmrecv --commit-delay 8000
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-timeout 1 --json \
		--commit-state "$BATS_TEST_TMPDIR/state" 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(head -n 1 "$BATS_TEST_TMPDIR/state")" = "# dcmsend commit state 2" ]
	[ "$(tail -n +2 "$BATS_TEST_TMPDIR/state" | wc -l)" -eq 6 ]
	# the transaction of the lines, each input with its instance and path
	[ "$(tail -n +2 "$BATS_TEST_TMPDIR/state" | cut -f1 | sort -u)" = "$(jq -r .transaction_uid <<<"$output" | sort -u)" ]
	diff <(tail -n +2 "$BATS_TEST_TMPDIR/state" | cut -f4,5 | sort) \
		<(jq -r '[.sop_instance_uid, .path] | @tsv' <<<"$output" | sort)
	stop_dcmrecv
	start_dcmrecv --commit
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-state "$BATS_TEST_TMPDIR/state" \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(cat "$BATS_TEST_TMPDIR/state")" = "# dcmsend commit state 2" ]
}

# bats test_tags=serial
@test "dcmsend --commit-state naming a symbolic link writes the file it points to (relative, not yet there), the link stays" {
	local t=$BATS_TEST_TMPDIR
	mkdir "$t/var" "$t/etc"
	ln -s ../var/state "$t/etc/state"
	start_dcmrecv --commit-delay 8000
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-timeout 1 \
		--commit-state "$t/etc/state" 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	# before: the link replaced by the state file, ../var/state never
	# written
	[ -L "$t/etc/state" ]
	[ "$(readlink "$t/etc/state")" = ../var/state ]
	[ "$(head -n 1 "$t/var/state")" = "# dcmsend commit state 2" ]
	[ "$(tail -n +2 "$t/var/state" | wc -l)" -eq 6 ]
	[ "$(ls "$t/etc")" = state ]
	stop_dcmrecv
	start_dcmrecv --commit
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-state "$t/etc/state" \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ -L "$t/etc/state" ]
	[ "$(cat "$t/var/state")" = "# dcmsend commit state 2" ]
}

# bats test_tags=serial
@test "dcmsend --commit-state: the temporary of a rewrite is a new file, never a planted symbolic link at FILE.tmp" {
	local t=$BATS_TEST_TMPDIR
	mkdir "$t/var" "$t/etc"
	ln -s ../var/state "$t/etc/state"
	echo precious >"$t/victim"
	# another local user's link where the rewrite used to write
	ln -s ../victim "$t/var/state.tmp"
	start_dcmrecv --commit
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-state "$t/etc/state" \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	# before: the victim truncated and written through the link
	[ "$(cat "$t/victim")" = precious ]
	[ -L "$t/var/state.tmp" ]
	[ "$(cat "$t/var/state")" = "# dcmsend commit state 2" ]
	[ ! -L "$t/var/state" ]
	[ -L "$t/etc/state" ]
	# no temporary left behind
	[ "$(ls "$t/var" | sort | tr '\n' ' ')" = "state state.tmp " ]
}

@test "dcmsend --commit-state: a symbolic link whose target cannot be followed exits 6 before anything is sent, the link left as it is" {
	local t=$BATS_TEST_TMPDIR target
	mkdir "$t/etc"
	# a relative target of 4095 bytes ("./" repeated, then "target"):
	# the kernel follows it, the path it makes is 4096 bytes or more
	target=$(printf './%.0s' $(seq 2044))target.
	[ "${#target}" -eq 4095 ]
	ln -s "$target" "$t/etc/state"
	start_dcmrecv --commit
	# before: the link replaced by the state file, exit 0
	run -6 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-state "$t/etc/state" \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	assert_output ""
	[ "$stderr" = "dcmsend: cannot write the commitment state '$t/etc/state': cannot follow its symbolic link: File name too long" ]
	[ -L "$t/etc/state" ]
	[ "$(readlink "$t/etc/state")" = "$target" ]
	[ "$(ls "$t/etc")" = state ]
	[ ! -s "$RECV_STDOUT" ]
}

@test "dcmsend --commit-state: a file that cannot be written (no such directory, a directory, read-only) exits 6 before anything is sent; a new file in the current directory and an existing one are written as before" {
	start_dcmrecv --commit
	local t=$BATS_TEST_TMPDIR
	# before: every file sent, stored and committed, then exit 6
	# "cannot write the commitment state" at the end of the run
	run -6 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-state "$t/no/such/dir/state" \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	assert_output ""
	[ "$stderr" = "dcmsend: cannot write the commitment state '$t/no/such/dir/state': No such file or directory" ]
	mkdir "$t/adir"
	run -6 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-state "$t/adir" \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$stderr" = "dcmsend: cannot write the commitment state '$t/adir': Is a directory" ]
	run -6 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait /dev/null --commit-listen 0 \
		--commit-state "$t/no/such/dir/state"
	# nothing reached the receiver
	[ ! -s "$RECV_STDOUT" ]
	# read-only (root writes anywhere but on a read-only mount)
	if unshare -m true 2>/dev/null; then
		mkdir "$t/ro"
		run -6 --separate-stderr unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
			exec "$0" --commit --commit-state "$1/state" 127.0.0.1 "$2" "$3"' \
			"$CSTORE_BIN/dcmsend" "$t/ro" "$RECV_PORT" "${FILES[0]}"
		[[ $stderr == *"cannot write the commitment state '$t/ro/state': Read-only file system" ]]
	fi
	[ ! -s "$RECV_STDOUT" ]
	# a state file of an earlier run, and a new one in the current
	# directory: written as before
	printf '# dcmsend commit state 1\n' >"$t/old"
	chmod 600 "$t/old"
	cd "$t"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-state new \
		127.0.0.1 "$RECV_PORT" "${FILES[0]}"
	[ "$(cat "$t/new")" = "# dcmsend commit state 2" ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-state "$t/old" \
		127.0.0.1 "$RECV_PORT" "${FILES[0]}"
	stop_dcmrecv
}

@test "dcmsend --commit-state: what must be writable is the directory (the file is replaced by a rename), never the file itself" {
	require_cmd setpriv
	local t u
	u=$(id -u nobody) || skip "no user nobody"
	start_dcmrecv --commit
	NB_TMP=$(mktemp -d /tmp/cstore-commitstate.XXXXXX)
	t=$NB_TMP
	mkdir "$t/rootdir" "$t/own"
	cp "${FILES[0]}" "$t/a.dcm"
	chmod 755 "$t" "$t/rootdir" "$t/own"
	chmod 644 "$t/a.dcm"
	chown "$u:$u" "$t/own"
	printf '# dcmsend commit state 1\n' >"$t/rootdir/state"
	printf '# dcmsend commit state 1\n' >"$t/own/state"
	chown "$u:$u" "$t/rootdir/state" "$t/own/state"
	chmod 644 "$t/rootdir/state"
	chmod 444 "$t/own/state"
	setpriv --reuid="$u" --regid="$u" --clear-groups test -r "$t/a.dcm" ||
		skip "user nobody cannot reach $t"
	# a state file nobody owns, in a directory nobody cannot write: it
	# cannot be replaced, so exit 6 before anything is sent (it was
	# sent, stored and committed, then exit 6 at the end)
	run -6 --separate-stderr setpriv --reuid="$u" --regid="$u" --clear-groups \
		"$CSTORE_BIN/dcmsend" --commit --commit-state "$t/rootdir/state" \
		127.0.0.1 "$RECV_PORT" "$t/a.dcm"
	assert_output ""
	[ "$stderr" = "dcmsend: cannot write the commitment state '$t/rootdir/state': Permission denied" ]
	[ ! -s "$RECV_STDOUT" ]
	# a read-only state file in a directory nobody can write: replaced
	# by the rename as always, exit 0 (it was refused, exit 6)
	run -0 --separate-stderr setpriv --reuid="$u" --regid="$u" --clear-groups \
		"$CSTORE_BIN/dcmsend" --commit --commit-state "$t/own/state" \
		127.0.0.1 "$RECV_PORT" "$t/a.dcm"
	[ "$(cat "$t/own/state")" = "# dcmsend commit state 2" ]
	[[ $(cut -f1,5 <<<"$output") == $'0000\tcommitted'* ]]
	# a state path that is not a regular file (a FIFO of our own: the
	# rename would replace whatever it is, /dev/null too)
	mkfifo "$t/fifo"
	run -6 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --commit --commit-state "$t/fifo" \
		127.0.0.1 "$RECV_PORT" "$t/a.dcm"
	[ "$stderr" = "dcmsend: cannot write the commitment state '$t/fifo': not a regular file" ]
	[ -p "$t/fifo" ]
	stop_dcmrecv
}

# bats test_tags=serial
@test "dcmsend --commit-wait: a report that comes after the sender ended is collected on the listener" {
	LPORT=$(free_port)
	start_dcmrecv --commit-peer "COMMITRQ=127.0.0.1:$LPORT" --commit-delay 1500
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${FILES[@]:0:3}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/stored"
	# the state a killed dcmsend --commit would leave: two transactions,
	# one asked of dcmrecv (by commit-rq, which leaves at once), one never
	tx=1.2.826.0.1.3680043.9.7777.$RANDOM
	{
		echo "# dcmsend commit state 1"
		awk -F'\t' -v t="$tx" '{ printf "%s\t%s\t%s\t%s\t%s\n", t, $1, $3, $4, $2 }' <<<"$output"
		printf '1.2.826.0.1.3680043.9.7777.0\t0000\t1.2.3\t1.2.3.4\tgone.dcm\n'
	} >"$BATS_TEST_TMPDIR/state"
	# the listener first: dcmrecv reports as soon as commit-rq releases
	SECONDS=0
	"$CSTORE_BIN/dcmsend" --commit-wait "$BATS_TEST_TMPDIR/state" \
		--commit-listen "127.0.0.1:$LPORT" --commit-timeout 5 --json --commit-state "$BATS_TEST_TMPDIR/left" \
		>"$BATS_TEST_TMPDIR/wait.out" 2>"$BATS_TEST_TMPDIR/wait.err" &
	local pid=$! rc=0 i
	track_pid "$pid"
	for i in $(seq 100); do listens "$LPORT" "$pid" && break; sleep 0.05; done
	run -0 "$CSTORE_TOOLS/commit-rq" -r -t "$tx" "$RECV_PORT" \
		$(awk -F'\t' '{ printf "%s:%s ", $3, $4 }' "$BATS_TEST_TMPDIR/stored")
	[ "$output" = "action 0000" ]
	wait "$pid" || rc=$?
	[ "$rc" -eq 7 ]
	[ "$SECONDS" -le 9 ]
	output=$(cat "$BATS_TEST_TMPDIR/wait.out")
	[ "$(jq -r 'select(.transaction_uid == "'"$tx"'") | .commit' <<<"$output" | grep -c '^committed$')" -eq 3 ]
	[ "$(jq -r 'select(.path == "gone.dcm") | .commit' <<<"$output")" = uncommitted ]
	[[ "$(jq -r 'select(.path == "gone.dcm") | .detail' <<<"$output")" == *"no commitment report within 5 s" ]]
	[ "$(jq -r .status <<<"$output" | sort -u)" = 0000 ]
	# what is still pending: the one nobody reported
	[ "$(tail -n +2 "$BATS_TEST_TMPDIR/left")" = "$(printf '1.2.826.0.1.3680043.9.7777.0\t0000\t1.2.3\t1.2.3.4\tgone.dcm')" ]
}

# bats test_tags=serial
@test "dcmsend --commit-wait: a journal a killed run left ('-' lines, a torn last append) gives only what is still pending; the state left is compact" {
	{
		echo "# dcmsend commit state 1"
		printf '1.2.826.0.1.3680043.9.7777.1\t0000\t1.2.3\t1.2.3.1\ta.dcm\n'
		printf '1.2.826.0.1.3680043.9.7777.1\t0000\t1.2.3\t1.2.3.2\tb.dcm\n'
		printf '1.2.826.0.1.3680043.9.7777.2\t0000\t1.2.3\t1.2.3.3\tc.dcm\n'
		printf -- '-\t1.2.826.0.1.3680043.9.7777.1\t1.2.3.1\n'
		printf '1.2.826.0.1.3680043.9.7777.3\t0000\t1.2.3\t1.2.3.4\td.d'
	} >"$BATS_TEST_TMPDIR/journal"
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait "$BATS_TEST_TMPDIR/journal" \
		--commit-listen 127.0.0.1:0 --commit-timeout 1 --commit-state "$BATS_TEST_TMPDIR/left"
	[ "$(cut -f2 <<<"$output" | sort | tr '\n' ' ')" = "b.dcm c.dcm " ]
	[ "$(cut -f5 <<<"$output" | cut -d';' -f1 | sort -u)" = uncommitted ]
	diff "$BATS_TEST_TMPDIR/left" - <<-EOF
	# dcmsend commit state 2
	1.2.826.0.1.3680043.9.7777.1	0000	1.2.3	1.2.3.2	b.dcm
	1.2.826.0.1.3680043.9.7777.2	0000	1.2.3	1.2.3.3	c.dcm
	EOF
	# a '-' line that is not one is malformed
	printf '# dcmsend commit state 1\n-\t1.2.3\n' >"$BATS_TEST_TMPDIR/x"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait "$BATS_TEST_TMPDIR/x" --commit-listen 0
	[[ $stderr == *"line 2: malformed"* ]]
}

# A power cut can leave zeros where appended lines were not written yet;
# the reader stopped at the first zero byte and silently dropped every
# later line (inputs never waited for again)
# bats test_tags=serial
@test "dcmsend --commit-wait: zero bytes in the middle of a state file are skipped with a note, the lines after them read" {
	{
		echo "# dcmsend commit state 1"
		printf '1.2.826.0.1.3680043.9.7777.1\t0000\t1.2.3\t1.2.3.1\ta.dcm\n'
		printf '1.2.826.0.1.3680043.9.7777.1\t0000\t1.2.3\t1.2.3.2\tb.'
		head -c 512 /dev/zero
		printf '1.2.826.0.1.3680043.9.7777.2\t0000\t1.2.3\t1.2.3.3\tc.dcm\n'
	} >"$BATS_TEST_TMPDIR/journal"
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait "$BATS_TEST_TMPDIR/journal" \
		--commit-listen 127.0.0.1:0 --commit-timeout 1
	[ "$(cut -f2 <<<"$output" | sort | tr '\n' ' ')" = "a.dcm c.dcm " ]
	[[ $stderr == *"'$BATS_TEST_TMPDIR/journal' line 3: zero bytes (a write a power cut lost?); 1 damaged line skipped, the rest read"* ]]
}

@test "dcmsend --commit-wait: zero bytes that end mid-line (a write resumed at a block): the line's tail is skipped, not the whole file refused" {
	{
		echo "# dcmsend commit state 2"
		printf '1.2.826.0.1.3680043.9.7777.1\t0000\t1.2.3\t1.2.3.1\ta.dcm\n'
		printf '1.2.826.0.1.3680043.9.7777.1\t0000\t1.2.3\t1.2.3.2\tb.'
		head -c 512 /dev/zero
		printf '3.4\td.dcm\n'
		printf '1.2.826.0.1.3680043.9.7777.2\t0000\t1.2.3\t1.2.3.3\tc.dcm\n'
	} >"$BATS_TEST_TMPDIR/journal"
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait "$BATS_TEST_TMPDIR/journal" \
		--commit-listen 127.0.0.1:0 --commit-timeout 1
	[ "$(cut -f2 <<<"$output" | sort | tr '\n' ' ')" = "a.dcm c.dcm " ]
	[[ $stderr == *"'$BATS_TEST_TMPDIR/journal' line 3: zero bytes (a write a power cut lost?); 1 damaged line skipped, the rest read"* ]]
}

# A version 2 file (a line carries the file sent) was headed "state 1":
# dcmsend before it read its lines' last field into the path
@test "dcmsend --commit-state writes version 2; --commit-wait reads 1 and 2 and refuses a later version clearly" {
	printf '# dcmsend commit state 3\n' >"$BATS_TEST_TMPDIR/x"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait "$BATS_TEST_TMPDIR/x" --commit-listen 0
	[[ $stderr == *"'$BATS_TEST_TMPDIR/x': a --commit-state file of a later dcmsend (not version 1 or 2): use that version"* ]]
	for v in 1 2; do
		printf '# dcmsend commit state %s\n1.2.3\t0000\t1.2\t1.3\ta.dcm\t1:2:3:4:5\n' "$v" >"$BATS_TEST_TMPDIR/x"
		run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait "$BATS_TEST_TMPDIR/x" \
			--commit-listen 127.0.0.1:0 --commit-timeout 1
		[ "$(cut -f2 <<<"$output")" = a.dcm ]
	done
}

@test "dcmsend --commit-wait: a file that is not a state file is a usage error" {
	printf 'hello\n' >"$BATS_TEST_TMPDIR/x"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait "$BATS_TEST_TMPDIR/x" --commit-listen 0
	[[ $stderr == *"not a dcmsend --commit-state file"* ]]
	printf '# dcmsend commit state 1\n1.2.3\tzz\t1.2\t1.3\ta.dcm\n' >"$BATS_TEST_TMPDIR/x"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait "$BATS_TEST_TMPDIR/x" --commit-listen 0
	[[ $stderr == *"line 2: malformed"* ]]
}

@test "dcmsend --commit: more than 1000 objects on one association go in two requests (1000 + 1)" {
	start_dcmrecv --commit
	mkdir -p "$BATS_TEST_TMPDIR/many"
	for i in $(seq 1001); do cp "${FILES[0]}" "$BATS_TEST_TMPDIR/many/$i.dcm"; done
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit -d --json 127.0.0.1 "$RECV_PORT" "$BATS_TEST_TMPDIR/many"
	[ "$(grep -c ': N-ACTION-RQ ' <<<"$stderr")" -eq 2 ]
	[ "$(grep -c 'sent A-ASSOCIATE-RQ' <<<"$stderr")" -eq 1 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 1001 ]
	[ "$(jq -r .transaction_uid <<<"$output" | sort | uniq -c | awk '{ print $1 }' | sort -n | tr '\n' ' ')" = "1 1000 " ]
}

# bats test_tags=serial
@test "dcmsend --commit --retry: what a dying association stored is asked for on the next one" {
	# each association is aborted at its 4th C-STORE: the first stores
	# three, the second the other three
	start_dcmrecv --commit --abort-after 4
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --retry 1 --retry-delay 0 -d --json \
		127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(grep -c 'sent A-ASSOCIATE-RQ' <<<"$stderr")" -eq 2 ]
	# one request, on the second association, for all six
	[ "$(grep -c ': N-ACTION-RQ ' <<<"$stderr")" -eq 1 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 6 ]
	[ "$(jq -r .transaction_uid <<<"$output" | sort -u | wc -l)" -eq 1 ]
	all_held
}

# Without --retry what an aborted association stored was never asked
# for, though the lane opened another association right after: its
# lines said "no commitment request".  Now the lane's next association
# asks for it; after the last one it stays uncommitted, saying so.
# bats test_tags=serial
@test "dcmsend --commit: what an aborted association stored is asked for on the lane's next association, without --retry; after the lane's last it is uncommitted, no request made" {
	# the 1st association stores two and is aborted at its 3rd C-STORE;
	# the 2nd stores the other two and asks for four
	start_dcmrecv --commit -v --abort-after 3
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --per-assoc 3 -j 1 --json \
		127.0.0.1 "$RECV_PORT" "${FILES[@]:0:5}"
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 4 ]
	[ "$(jq -r .path <<<"$output" | sed -n 1p)" = "${FILES[2]}" ]
	[ "$(jq -r .outcome <<<"$output" | sed -n 1p)" = aborted ]
	[ "$(jq -r .transaction_uid <<<"$output" | grep -v '^null$' | sort -u | wc -l)" -eq 1 ]
	grep -q "association 2: storage commitment request '.*': 4 instances" "$RECV_STDERR"
	all_held
	stop_dcmrecv
	# the last association aborted: no association left to ask on
	start_dcmrecv --commit --abort-after 2
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --per-assoc 2 -j 1 \
		127.0.0.1 "$RECV_PORT" "${FILES[@]:0:4}"
	[ "$(grep -c $'^0000\t.*\tuncommitted; no commitment request: the association ended: association aborted by the peer' <<<"$output")" -eq 2 ]
	[ "$(grep -c $'^aborted\t' <<<"$output")" -eq 2 ]
	refute grep -q 'storage commitment request' "$RECV_STDERR"
}

# An association we aborted ourselves (a file that shrank while it was
# sent) left what it stored before "uncommitted; no commitment request:
# ... no association left", though the lane's next association asked
# for others: only a death the peer caused carried the files over.
# bats test_tags=serial
@test "dcmsend --commit: what an association stored before we aborted it (a file shrank while sent) is asked for on the lane's next association" {
	local big=$BATS_TEST_TMPDIR/big.dcm rc=0 pid
	/usr/bin/python3 "$CSTORE_ROOT/tests/tools/mkbig" "$big" 4
	start_dcmrecv --commit -v
	# 4 MB at 200 kB/s: 20 s to cut it once the first file is stored
	"$CSTORE_BIN/dcmsend" --commit --async 1 --limit-rate 200k -j 1 --per-assoc 2 --json \
		127.0.0.1 "$RECV_PORT" "${FILES[0]}" "$big" "${FILES[1]}" \
		>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	pid=$!
	track_pid "$pid"
	for _ in $(seq 400); do
		[ "$(wc -l <"$RECV_STDOUT")" -ge 1 ] && break
		sleep 0.05
	done
	truncate -s 1000 "$big"
	wait "$pid" || rc=$?
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	echo "$output"
	[ "$rc" -eq 1 ]
	[ "$(jq -r 'select(.path == "'"$big"'") | .outcome' <<<"$output")" = truncated ]
	[ "$(jq -r 'select(.path != "'"$big"'") | .commit' <<<"$output" | tr '\n' ' ')" = "committed committed " ]
	grep -q "association 2: storage commitment request '.*': 2 instances" "$RECV_STDERR"
	all_held
	# the lane's last association: uncommitted, saying it was ours
	/usr/bin/python3 "$CSTORE_ROOT/tests/tools/mkbig" "$big" 4
	"$CSTORE_BIN/dcmsend" --commit --async 1 --limit-rate 200k -j 1 --json \
		127.0.0.1 "$RECV_PORT" "${FILES[2]}" "$big" \
		>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	pid=$!
	track_pid "$pid"
	for _ in $(seq 400); do
		[ "$(wc -l <"$RECV_STDOUT")" -ge 3 ] && break
		sleep 0.05
	done
	truncate -s 1000 "$big"
	rc=0
	wait "$pid" || rc=$?
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	echo "$output"
	[ "$rc" -eq 1 ]
	[ "$(jq -r 'select(.path != "'"$big"'") | .commit + " " + .detail' <<<"$output")" = "uncommitted no commitment request: the association ended: we aborted the association: '$big': file ended before its dataset was sent" ]
}

@test "dcmsend --commit --remove-sent: only committed files are removed; those reported failed stay" {
	start_dcmrecv --commit-fail 2
	mkdir -p "$BATS_TEST_TMPDIR/spool"
	cp "${FILES[@]}" "$BATS_TEST_TMPDIR/spool/"
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --remove-sent --json 127.0.0.1 "$RECV_PORT" \
		"$BATS_TEST_TMPDIR/spool"
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 3 ]
	# what is left is exactly what the archive did not commit
	diff <(jq -r 'select(.commit != "committed") | .path' <<<"$output" | sort) \
		<(find "$BATS_TEST_TMPDIR/spool" -type f | sort)
	[ "$(find "$BATS_TEST_TMPDIR/spool" -type f | wc -l)" -eq 3 ]
}

@test "dcmsend: --follow with --commit-listen is refused (not supported yet), exit 2" {
	run -2 "$CSTORE_BIN/dcmsend" --follow --commit --commit-listen 0 127.0.0.1 104 - </dev/null
	[[ $output == *"--follow and --commit-listen cannot be combined yet"* ]]
}

# spool: copies of the first five files, of one SOP class and transfer
# syntax (one association however they come), in $BATS_TEST_TMPDIR/spool.
spool() {
	mkdir -p "$BATS_TEST_TMPDIR/spool"
	cp "${FILES[@]:0:5}" "$BATS_TEST_TMPDIR/spool/"
}

@test "dcmsend --follow --commit --remove-sent: every input committed on the open association, the spool emptied, exit 0" {
	start_dcmrecv --commit
	spool
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --follow --commit --remove-sent -d --json \
		127.0.0.1 "$RECV_PORT" - < <(find "$BATS_TEST_TMPDIR/spool" -type f)
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 5 ]
	[ "$(grep -c 'sent A-ASSOCIATE-RQ' <<<"$stderr")" -eq 1 ]
	[ "$(grep -c ': N-ACTION-RQ ' <<<"$stderr")" -ge 1 ]
	[ "$(grep -c ': N-EVENT-REPORT-RQ ' <<<"$stderr")" -eq "$(grep -c ': N-ACTION-RQ ' <<<"$stderr")" ]
	all_held
	[ -z "$(find "$BATS_TEST_TMPDIR/spool" -type f)" ]
}

# A handful whose last association died (the peer aborts on f2 each
# time) gave up what it stored before ("no commitment request"), though
# the stream's next input opened a new association right after.  Now
# that handful opens one to ask.
# bats test_tags=serial
@test "dcmsend --follow --commit: what a handful stored before its last association died is asked for on a new one" {
	local uid
	uid=$("$CSTORE_TOOLS/dcm-dataset" -u "${FILES[1]}" | cut -f2)
	start_dcmrecv --commit -v --abort-on "$uid"
	run -5 --separate-stderr timeout 60 "$CSTORE_BIN/dcmsend" --follow --commit --async 1 --retry-delay 10 --json \
		127.0.0.1 "$RECV_PORT" "${FILES[0]}" "${FILES[1]}" - < <(sleep 1; echo "${FILES[2]}")
	[ "$(jq -r 'select(.path == "'"${FILES[1]}"'") | .outcome' <<<"$output")" = aborted ]
	[ "$(jq -r 'select(.path != "'"${FILES[1]}"'") | .commit' <<<"$output" | tr '\n' ' ')" = "committed committed " ]
	all_held
}

@test "dcmsend --follow --commit: a stream that pauses gets one request per handful, all on one association" {
	start_dcmrecv --commit -v
	# the last two paths come once the first three were reported on
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --follow --commit -d --json 127.0.0.1 "$RECV_PORT" - \
		< <(printf '%s\n' "${FILES[@]:0:3}"
		for i in $(seq 400); do
			grep -q 'storage commitment report .* sent on this association' "$RECV_STDERR" &&
				touch "$BATS_TEST_TMPDIR/first-reported" && break
			sleep 0.05
		done
		printf '%s\n' "${FILES[@]:3:2}")
	[ -e "$BATS_TEST_TMPDIR/first-reported" ]
	# (the first five are of one class and syntax: no new association)
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 5 ]
	[ "$(grep -c 'sent A-ASSOCIATE-RQ' <<<"$stderr")" -eq 1 ]
	[ "$(grep -c ': N-ACTION-RQ ' <<<"$stderr")" -ge 2 ]
	[ "$(jq -r .transaction_uid <<<"$output" | sort -u | wc -l)" -ge 2 ]
	all_held
}

@test "dcmsend --follow --commit --remove-sent: the spool keeps exactly what dcmrecv reported failed (--commit-fail 2), exit 7" {
	start_dcmrecv --commit-fail 2
	spool
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --follow --commit --remove-sent --json \
		127.0.0.1 "$RECV_PORT" - < <(find "$BATS_TEST_TMPDIR/spool" -type f | sort)
	[ "$(jq -r .status <<<"$output" | grep -c '^0000$')" -eq 5 ]
	# every second instance of each request (how the stream was cut
	# into requests depends on when the paths were read)
	[ "$(jq -r .commit <<<"$output" | grep -c '^commitfailed$')" -ge 1 ]
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -ge 1 ]
	[ "$(jq -r .commit <<<"$output" | grep -cE '^(committed|commitfailed)$')" -eq 5 ]
	jq -r 'select(.commit == "commitfailed") | .detail' <<<"$output" | grep -q 'commitment failed: .*(0110)$'
	# what is left is exactly what the archive did not commit
	diff <(jq -r 'select(.commit != "committed") | .path' <<<"$output" | sort) \
		<(find "$BATS_TEST_TMPDIR/spool" -type f | sort)
	all_held
}

# bats test_tags=serial
@test "dcmsend --follow --commit --commit-state: a report later than --commit-timeout leaves the inputs uncommitted, in the spool and in the state file" {
	start_dcmrecv --commit-delay 8000
	spool
	SECONDS=0
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --follow --commit --commit-timeout 1 --remove-sent \
		--commit-state "$BATS_TEST_TMPDIR/state" 127.0.0.1 "$RECV_PORT" - \
		< <(find "$BATS_TEST_TMPDIR/spool" -type f)
	[ "$SECONDS" -le 8 ]
	[ "$(cut -f5 <<<"$output" | grep -c '^uncommitted; .*no commitment report within 1 s$')" -eq 5 ]
	[ "$(find "$BATS_TEST_TMPDIR/spool" -type f | wc -l)" -eq 5 ]
	[ "$(head -1 "$BATS_TEST_TMPDIR/state")" = "# dcmsend commit state 2" ]
	[ "$(tail -n +2 "$BATS_TEST_TMPDIR/state" | wc -l)" -eq 5 ]
}

# --commit-wait --remove-sent unlinked each committed path whatever was
# there by then: a file put under its name since the run (the spool got
# the instance again) or written to in place was lost, never sent.  The
# state now keeps which file was sent (after the path).
# bats test_tags=serial
@test "dcmsend --commit-wait --remove-sent: a committed path that holds another file now, or one written to since, is kept; the file sent is removed" {
	local t=$BATS_TEST_TMPDIR pid rc=0 i
	mkdir "$t/spool"
	cp "${FILES[0]}" "$t/spool/a.dcm"
	cp "${FILES[1]}" "$t/spool/b.dcm"
	cp "${FILES[2]}" "$t/spool/c.dcm"
	LPORT=$(free_port)
	# the report comes 5 s after the request, on a new association
	start_dcmrecv --commit-peer "DCMSEND=127.0.0.1:$LPORT" --commit-delay 5000
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-timeout 1 --remove-sent \
		--commit-state "$t/state" 127.0.0.1 "$RECV_PORT" "$t"/spool/*.dcm
	[ "$(tail -n +2 "$t/state" | wc -l)" -eq 3 ]
	[ "$(find "$t/spool" -type f | wc -l)" -eq 3 ]
	# meanwhile: a.dcm written to in place, b.dcm another file now
	printf 'x' | dd of="$t/spool/a.dcm" bs=1 seek=200 conv=notrunc status=none
	cp "$t/spool/a.dcm" "$t/a.now"
	cp "${FILES[3]}" "$t/b.new"
	mv "$t/b.new" "$t/spool/b.dcm"
	"$CSTORE_BIN/dcmsend" --commit-wait "$t/state" --commit-listen "127.0.0.1:$LPORT" --commit-timeout 20 \
		--remove-sent --json >"$t/wait.out" 2>"$t/wait.err" &
	pid=$!
	track_pid "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(jq -r .commit "$t/wait.out" | sort -u)" = committed ]
	cmp "$t/a.now" "$t/spool/a.dcm"
	cmp "${FILES[3]}" "$t/spool/b.dcm"
	[ ! -e "$t/spool/c.dcm" ]
	grep -qxF "dcmsend: sent, but not removed: '$t/spool/a.dcm' was written to after it was read to be sent" "$t/wait.err"
	grep -qxF "dcmsend: sent, but not removed: '$t/spool/b.dcm' is no longer the file that was sent" "$t/wait.err"
}

# The state's device number was compared at --commit-wait (a reboot, a
# remount or another host changes it: every file kept), and so was the
# change time (chmod, ln, touch -a move it: no byte changed)
# bats test_tags=serial
@test "dcmsend --commit-wait --remove-sent: a file chmod'ed, linked or touched -a since, or under another device number, is removed" {
	local t=$BATS_TEST_TMPDIR pid rc=0
	mkdir "$t/spool"
	cp "${FILES[0]}" "$t/spool/a.dcm"
	cp "${FILES[1]}" "$t/spool/b.dcm"
	cp "${FILES[2]}" "$t/spool/c.dcm"
	cp "${FILES[3]}" "$t/spool/d.dcm"
	LPORT=$(free_port)
	start_dcmrecv --commit-peer "DCMSEND=127.0.0.1:$LPORT" --commit-delay 5000
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-timeout 1 --remove-sent \
		--commit-state "$t/state" 127.0.0.1 "$RECV_PORT" "$t"/spool/*.dcm
	[ "$(tail -n +2 "$t/state" | wc -l)" -eq 4 ]
	sleep 0.05
	chmod 600 "$t/spool/a.dcm"
	ln "$t/spool/b.dcm" "$t/b.link"
	touch -a "$t/spool/c.dcm"
	# d.dcm: the state written on another device number
	awk -F'\t' -v OFS='\t' '$5 ~ /d[.]dcm$/ { sub(/^[0-9]+:/, "999999:", $6) } 1' "$t/state" >"$t/state.new"
	grep -q $'d.dcm\t999999:' "$t/state.new"
	mv "$t/state.new" "$t/state"
	"$CSTORE_BIN/dcmsend" --commit-wait "$t/state" --commit-listen "127.0.0.1:$LPORT" --commit-timeout 20 \
		--remove-sent --json >"$t/wait.out" 2>"$t/wait.err" &
	pid=$!
	track_pid "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$t/wait.err" >&2; return 1; }
	[ "$(jq -r .commit "$t/wait.out" | sort -u)" = committed ]
	[ "$(jq -r .path "$t/wait.out" | wc -l)" -eq 4 ]
	run grep -c "not removed" "$t/wait.err"
	assert_output 0
	[ "$(find "$t/spool" -type f | wc -l)" -eq 0 ]
	cmp "${FILES[1]}" "$t/b.link"
}

# bats test_tags=serial
@test "dcmsend --commit-wait --remove-sent: an input whose report never came is not removed" {
	cp "${FILES[0]}" "$BATS_TEST_TMPDIR/keep.dcm"
	{
		echo "# dcmsend commit state 1"
		printf '1.2.826.0.1.3680043.9.7777.1\t0000\t1.2.3\t1.2.3.4\t%s\n' "$BATS_TEST_TMPDIR/keep.dcm"
	} >"$BATS_TEST_TMPDIR/state"
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit-wait "$BATS_TEST_TMPDIR/state" \
		--commit-listen 127.0.0.1:0 --commit-timeout 1 --remove-sent --json
	[ "$(jq -r .commit <<<"$output")" = uncommitted ]
	[ -f "$BATS_TEST_TMPDIR/keep.dcm" ]
}
