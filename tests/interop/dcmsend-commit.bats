#!/usr/bin/env bats
# dcmsend --commit against Orthanc (Storage Commitment SCP since 1.6):
# Orthanc answers the N-ACTION, then opens an association to our
# --commit-listen port (it knows us from DicomModalities) with the
# N-EVENT-REPORT.  What each line says is checked against what Orthanc
# holds; the exit status is 0 only when everything is committed.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load dcmsend-helpers

setup_file() {
	corpus_setup
}

setup() {
	require_netns
	require_cmd /usr/sbin/Orthanc
}

# start_committing_orthanc: Orthanc knowing us as DCMSEND at $LPORT.
start_committing_orthanc() {
	LPORT=$(free_port)
	start_orthanc "\"DicomModalities\": { \"snd\": [ \"DCMSEND\", \"127.0.0.1\", $LPORT ] }"
}

# Five small files Orthanc takes.
pick_inputs() {
	mkdir -p "$BATS_TEST_TMPDIR/five"
	local f n=0
	for f in "$CORPUS"/ts/*; do
		"$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$f" >/dev/null 2>&1 || continue
		cp "$f" "$BATS_TEST_TMPDIR/five/"
		n=$((n + 1))
		[ "$n" -eq 5 ] && break
	done
	[ "$n" -eq 5 ]
}

# bats test_tags=serial
@test "dcmsend --commit to Orthanc: the report comes on Orthanc's association, every input committed, exit 0" {
	pick_inputs
	start_committing_orthanc
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-listen "127.0.0.1:$LPORT" \
		--commit-timeout 30 --json -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "$BATS_TEST_TMPDIR/five"
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 5 ]
	# one transaction, a real UID, and the instances are the ones Orthanc holds
	[ "$(jq -r .transaction_uid <<<"$output" | sort -u | grep -c '^2\.25\.[0-9]*$')" -eq 1 ]
	jq -r .sop_instance_uid <<<"$output" | sort >"$BATS_TEST_TMPDIR/sent"
	curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances?expand" |
		jq -r '.[].MainDicomTags.SOPInstanceUID' | sort >"$BATS_TEST_TMPDIR/held"
	diff "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/held"
}

# bats test_tags=serial
@test "dcmsend --commit -j 2 --per-assoc 2 to Orthanc: three requests, three reports on the listener" {
	pick_inputs
	start_committing_orthanc
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -j 2 --per-assoc 2 --commit --commit-listen "$LPORT" \
		--commit-timeout 30 --json -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "$BATS_TEST_TMPDIR/five"
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 5 ]
	[ "$(jq -r .transaction_uid <<<"$output" | sort -u | wc -l)" -eq 3 ]
	[ "$(jq -r .association <<<"$output" | sort -u | wc -l)" -eq 3 ]
}

@test "dcmsend --commit TSV: the DETAIL column begins with committed" {
	pick_inputs
	start_committing_orthanc
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-listen "$LPORT" \
		-c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "$BATS_TEST_TMPDIR/five"
	[ "$(cut -f1 <<<"$output" | grep -c '^0000$')" -eq 5 ]
	[ "$(cut -f5 <<<"$output" | grep -c '^committed')" -eq 5 ]
}

# bats test_tags=serial
@test "dcmsend --commit: an instance deleted from Orthanc before the request comes back failed (0112), exit 7" {
	pick_inputs
	start_committing_orthanc
	DCMSEND_COMMIT_DELAY_MS=4000 "$CSTORE_BIN/dcmsend" --commit --commit-listen "$LPORT" \
		--commit-timeout 30 --json -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "$BATS_TEST_TMPDIR/five" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$! i
	track_pid "$pid"
	# once Orthanc holds all five (the N-ACTION waits 4 s), one goes
	for i in $(seq 60); do
		[ "$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/statistics" | jq .CountInstances)" = 5 ] && break
		sleep 0.05
	done
	id=$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances" | jq -r '.[0]')
	gone=$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances/$id" | jq -r .MainDicomTags.SOPInstanceUID)
	curl -sf -X DELETE "http://127.0.0.1:$ORTHANC_HTTP/instances/$id" >/dev/null
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 7 ]
	output=$(cat "$BATS_TEST_TMPDIR/out")
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 4 ]
	[ "$(jq -r 'select(.commit == "commitfailed") | .sop_instance_uid' <<<"$output")" = "$gone" ]
	[ "$(jq -r 'select(.commit == "commitfailed") | .commit_reason' <<<"$output")" -eq $((0x0112)) ]
	jq -r 'select(.commit == "commitfailed") | .detail' <<<"$output" | grep -q 'no such object instance'
}

# bats test_tags=serial
@test "dcmsend --commit: no report within --commit-timeout gives uncommitted lines in time, exit 7" {
	pick_inputs
	# Orthanc sends its report to a port where nobody listens
	start_committing_orthanc
	mine=$(free_port)
	while [ "$mine" = "$LPORT" ]; do mine=$(free_port); done
	SECONDS=0
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-listen "$mine" \
		--commit-timeout 2 -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "$BATS_TEST_TMPDIR/five"
	[ "$SECONDS" -le 10 ]
	[ "$(cut -f1 <<<"$output" | grep -c '^0000$')" -eq 5 ]
	[ "$(cut -f5 <<<"$output" | grep -c '^uncommitted; no commitment report within 2 s$')" -eq 5 ]
	[[ "$stderr" == *"5 stored"* ]]
}

# bats test_tags=serial
@test "dcmsend --commit: an archive that refuses the request (Orthanc aborts for an unknown AE) gives uncommitted lines, exit 7" {
	pick_inputs
	start_orthanc
	LPORT=$(free_port)
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-listen "$LPORT" \
		--commit-timeout 30 -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "$BATS_TEST_TMPDIR/five"
	[ "$(cut -f1 <<<"$output" | grep -c '^0000$')" -eq 5 ]
	[ "$(cut -f5 <<<"$output" | grep -c '^uncommitted; the commitment request failed: association aborted by the peer')" -eq 5 ]
	# stored all the same
	[ "$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/statistics" | jq .CountInstances)" -eq 5 ]
}

@test "dcmsend --commit-listen on a busy port: one line, exit 6, nothing sent" {
	pick_inputs
	start_orthanc
	run -6 --separate-stderr "$CSTORE_BIN/dcmsend" --commit --commit-listen "127.0.0.1:$ORTHANC_DICOM" \
		-c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "$BATS_TEST_TMPDIR/five"
	[ -z "$output" ]
	[[ "$stderr" == *"cannot listen for commitment reports on '127.0.0.1:$ORTHANC_DICOM'"* ]]
	[ "$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/statistics" | jq .CountInstances)" -eq 0 ]
}
