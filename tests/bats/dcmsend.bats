#!/usr/bin/env bats
# dcmsend sending files without a real archive: usage, local outcomes,
# dry runs, unreachable / rejecting / aborting peers (tcp-stub), and our
# own dcmrecv's fault modes when it is built.  Real peers (DCMTK,
# Orthanc) are in tests/interop/dcmsend-*.bats.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers

D=$CSTORE_ROOT/tests/data
UID_EVRLE=2.25.314159265358979323846264338327950

@test "dcmsend: --probe without --dry-run is a usage error" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --probe 127.0.0.1 104 "$D/p10-evrle.dcm"
	assert_output ""
	[[ $stderr == *"--probe needs --dry-run"* ]]
	[[ $stderr == *"Try 'dcmsend --help'."* ]]
}

@test "dcmsend: -j 0 and --no-transcode with --lossy are usage errors" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" -j 0 127.0.0.1 104 "$D/p10-evrle.dcm"
	[[ $stderr == *"jobs '0': out of range (1-256)"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --no-transcode --lossy 127.0.0.1 104 "$D/p10-evrle.dcm"
	[[ $stderr == *"exclude each other"* ]]
}

@test "dcmsend: --echo with --dry-run, --idle without --follow and an empty host are usage errors, nothing connected" {
	# before: the C-ECHO went although a dry run promises no connection
	# (exit 3 here), --idle was ignored, and '' was taken for the
	# loopback address by getaddrinfo
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --dry-run 127.0.0.1 9
	assert_output ""
	[ "${stderr_lines[0]}" = "dcmsend: --echo and --dry-run exclude each other" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --idle 5 127.0.0.1 9 "$D/p10-evrle.dcm"
	assert_output ""
	[ "${stderr_lines[0]}" = "dcmsend: --idle needs --follow" ]
	for a in --echo --dry-run; do
		run -2 --separate-stderr "$CSTORE_BIN/dcmsend" $a "" 9 "$D/p10-evrle.dcm"
		assert_output ""
		[ "${stderr_lines[0]}" = "dcmsend: host '': empty" ]
		[ "${stderr_lines[1]}" = "Try 'dcmsend --help'." ]
	done
}

@test "dcmsend: an unreadable resume log is a usage error" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --resume "$BATS_TEST_TMPDIR/none" 127.0.0.1 104 "$D/p10-evrle.dcm"
	assert_output ""
	[[ $stderr == *"cannot read the resume log"* ]]
	[[ $stderr != *"stored,"* ]]
}

@test "dcmsend: unreadable, non-DICOM and truncated inputs get their lines, exit 1 (dry run)" {
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 \
		"$D/p10-evrle.dcm" "$BATS_TEST_TMPDIR/missing.dcm" "$D/not-dicom.txt" "$D/p10-truncated-element.dcm"
	[[ $output == *$'unreadable\t'"$BATS_TEST_TMPDIR/missing.dcm"$'\t\t\t'*"No such file"* ]]
	[[ $output == *$'notdicom\t'"$D/not-dicom.txt"$'\t'* ]]
	[[ $output == *$'truncated\t'"$D/p10-truncated-element.dcm"$'\t'* ]]
	[[ $output == *$'planned\t'"$D/p10-evrle.dcm"$'\t'*$'\tassociation 1'* ]]
	[ "$(grep -c $'^\(planned\|unreadable\|notdicom\|truncated\)\t' <<<"$output")" -eq 4 ]
}

@test "dcmsend --dry-run: the plan lists associations and contexts, sends nothing" {
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 1 "$D/p10-evrle.dcm" "$D/img16-j2k.dcm"
	assert_line --regexp $'^association\t1\tlane 1, 2 files, [0-9]+ bytes, [0-9]+ contexts$'
	assert_line --regexp $'^context\t1\t1\t1\\.2\\.840\\.[0-9.]+\t'
	assert_line --partial "1.2.840.10008.1.2.4.90"
	[ "$(grep -c $'^planned\t' <<<"$output")" -eq 2 ]
}

@test "dcmsend --dry-run --json: one object per association, then per file" {
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --json 127.0.0.1 1 "$D/p10-evrle.dcm"
	[ "$(head -1 <<<"$output" | jq -r '.association')" = 1 ]
	[ "$(head -1 <<<"$output" | jq -r '.contexts[0].transfer_syntaxes | length')" -ge 1 ]
	[ "$(tail -1 <<<"$output" | jq -r '.status')" = planned ]
}

@test "dcmsend --dry-run -j 2 --per-assoc 1: one association per file, in two lanes" {
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run -j 2 --per-assoc 1 127.0.0.1 1 \
		"$D/p10-evrle.dcm" "$D/p10-ivrle.dcm" "$D/img16-rle.dcm" "$D/img16-evrle.dcm"
	[ "$(grep -c $'^association\t' <<<"$output")" -eq 4 ]
	assert_line --regexp $'^association\t[0-9]\tlane 2, 1 files'
}

@test "dcmsend: stdin lists paths, NUL-separated with -0" {
	run -0 --separate-stderr bash -c "printf '%s\0' '$D/p10-evrle.dcm' '$D/p10-ivrle.dcm' | '$CSTORE_BIN/dcmsend' -0 --dry-run 127.0.0.1 1"
	[ "$(grep -c $'^planned\t' <<<"$output")" -eq 2 ]
	run -0 --separate-stderr bash -c "printf '%s\n' '$D/p10-evrle.dcm' | '$CSTORE_BIN/dcmsend' --dry-run 127.0.0.1 1 -"
	[ "$(grep -c $'^planned\t' <<<"$output")" -eq 1 ]
}

@test "dcmsend --resume: inputs stored in the log are skipped as resumed" {
	# the log's instance is the file's: a log names what it stored
	printf '0000\t%s\t1.2.840.10008.5.1.4.1.1.7\t%s\t\n' "$D/p10-evrle.dcm" "$UID_EVRLE" >"$BATS_TEST_TMPDIR/log"
	printf 'aborted\t%s\t1.2\t1.4\t\n' "$D/p10-ivrle.dcm" >>"$BATS_TEST_TMPDIR/log"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --resume "$BATS_TEST_TMPDIR/log" 127.0.0.1 1 \
		"$D/p10-evrle.dcm" "$D/p10-ivrle.dcm"
	assert_line --regexp $'^resumed\t'"$D/p10-evrle.dcm"
	assert_line --regexp $'^planned\t'"$D/p10-ivrle.dcm"
}

@test "dcmsend: nobody listening exits 3, every input gets a line" {
	port=$(free_port)
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$port" "$D/p10-evrle.dcm" "$D/p10-ivrle.dcm" "$D/not-dicom.txt"
	[ "${#lines[@]}" -eq 3 ]
	[ "$(grep -c $'^notsent\t.*Connection refused' <<<"$output")" -eq 2 ]
	assert_line --regexp $'^notdicom\t'
	[[ $stderr == *"0 stored, 0 with warning, 2 failed, 1 skipped"* ]]
}

# bats test_tags=serial
@test "dcmsend --retry: a refused connection is tried again with backoff, still exit 3" {
	port=$(free_port)
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" -v --retry 2 --retry-delay 10 127.0.0.1 "$port" "$D/p10-evrle.dcm"
	[[ $stderr == *"attempt 2 of 3"* ]]
	[[ $stderr == *"attempt 3 of 3"* ]]
	assert_output --regexp $'^notsent\t'
}

@test "dcmsend: a rejection exits 4, the files are not sent" {
	printf '\x03\x00\x00\x00\x00\x04\x00\x01\x01\x07' >"$BATS_TEST_TMPDIR/rj"
	start_stub send "$BATS_TEST_TMPDIR/rj"
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" -c ARCHIVE 127.0.0.1 "$STUB_PORT" "$D/p10-evrle.dcm"
	assert_output --regexp $'^notsent\t'"$D/p10-evrle.dcm"$'\t.*rejected by .ARCHIVE.'
	[[ $stderr == *"rejected by 'ARCHIVE'"* ]]
}

@test "dcmsend: an A-ABORT instead of an answer exits 5" {
	printf '\x07\x00\x00\x00\x00\x04\x00\x00\x02\x01' >"$BATS_TEST_TMPDIR/abort"
	start_stub send "$BATS_TEST_TMPDIR/abort"
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$STUB_PORT" "$D/p10-evrle.dcm"
	assert_output --regexp $'^notsent\t.*aborted'
}

# Our own receiver, when it is built: its fault modes.
start_dcmrecv() {
	DCMRECV=${CSTORE_DCMRECV:-$CSTORE_BIN/dcmrecv}
	[ -x "$DCMRECV" ] || skip "dcmrecv not built"
	local pf=$BATS_TEST_TMPDIR/recv.port
	mkdir -p "$BATS_TEST_TMPDIR/recv"
	"$DCMRECV" -q -o "$BATS_TEST_TMPDIR/recv" --port-file "$pf" "$@" 127.0.0.1:0 \
		>"$BATS_TEST_TMPDIR/recv.out" 2>"$BATS_TEST_TMPDIR/recv.err" &
	RECV_PID=$!
	track_pid "$RECV_PID"
	local i
	for i in $(seq 100); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	RECV_PORT=$(cat "$pf")
	[ -n "$RECV_PORT" ]
}

# bats test_tags=serial
@test "dcmsend --retry: A700 answers are sent again, stored files never twice (dcmrecv)" {
	start_dcmrecv --respond-every 2:A700
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --json --retry 3 --retry-delay 10 127.0.0.1 "$RECV_PORT" \
		"$D/p10-evrle.dcm" "$D/p10-ivrle.dcm" "$D/img16-evrle.dcm" "$D/img16-rle.dcm"
	[ "$(jq -r .status <<<"$output" | sort -u)" = 0000 ]
	[ "$(jq -s 'map(.attempts) | max' <<<"$output")" -ge 2 ]
	# the receiver printed one line per stored file: 4, none twice
	[ "$(wc -l <"$BATS_TEST_TMPDIR/recv.out")" -eq 4 ]
}

@test "dcmsend: without --retry an A700 is a failure line, exit 1 (dcmrecv)" {
	start_dcmrecv --respond A700
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	assert_output --regexp $'^A700\t'"$D/p10-evrle.dcm"$'\t.*Failure'
}

# bats test_tags=serial
@test "dcmsend --retry: a transient rejection is retried, then exit 4 (dcmrecv)" {
	start_dcmrecv --reject transient
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" -v --retry 1 --retry-delay 10 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	[[ $stderr == *"attempt 2 of 2"* ]]
	assert_output --regexp $'^notsent\t'
}

@test "dcmsend: ours to ours, every data set arrives byte for byte (dcmrecv)" {
	start_dcmrecv
	local p
	# the fixtures share one SOP Instance UID: one at a time
	for p in "$D/p10-evrle.dcm" "$D/img16-j2k.dcm" "$D/img16-rle.dcm" "$D/bare-evrle.dcm"; do
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$p"
		[[ $output != *transcoded* ]]
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$p" | cut -f2)
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$p") <("$CSTORE_TOOLS/dcm-dataset" "$BATS_TEST_TMPDIR/recv/$uid.dcm")
	done
}

@test "dcmsend: standard output that cannot be written exits 6" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -6 --separate-stderr bash -c "'$CSTORE_BIN/dcmsend' --dry-run 127.0.0.1 1 '$D/p10-evrle.dcm' >/dev/full"
	[[ $stderr == *"cannot write the results"* ]]
}

@test "dcmsend: results past the file size limit (ulimit -f) exit 6 with a message, not killed by SIGXFSZ" {
	# standard error through a pipe: the limit is for regular files
	run -6 --separate-stderr bash -c '(ulimit -f 0 && exec "$0" --dry-run 127.0.0.1 1 "$1" >"$2") 2>&1 | cat >&2; exit "${PIPESTATUS[0]}"' \
		"$CSTORE_BIN/dcmsend" "$D/p10-evrle.dcm" "$BATS_TEST_TMPDIR/out"
	[[ $stderr == *"cannot write the results: File too large"* ]]
}

@test "dcmsend --progress: a progress line on stderr even when not a terminal; none by default" {
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --progress 127.0.0.1 1 "$D/p10-evrle.dcm" "$D/p10-ivrle.dcm"
	[[ $stderr == *"2/2 files,"*" MB/s, ETA "* ]]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 1 "$D/p10-evrle.dcm"
	[[ $stderr != *"files,"* ]]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --progress --no-progress 127.0.0.1 1 "$D/p10-evrle.dcm"
	[[ $stderr != *"files,"* ]]
}

@test "dcmsend -q: no summary on stderr, but the error that ended the run (errors are still printed)" {
	port=$(free_port)
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" -q 127.0.0.1 "$port" "$D/p10-evrle.dcm"
	[[ $stderr != *"stored,"* ]]
	assert_output --regexp $'^notsent\t'
	# before: nothing on stderr, though dcmsend.1 says errors are still
	# printed under -q (and --echo -q prints its own)
	[ "$stderr" = "dcmsend: cannot connect to '127.0.0.1' port $port: Connection refused" ]
}

@test "dcmsend --json: a local outcome has a null category and the reason" {
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --json --dry-run 127.0.0.1 1 "$D/not-dicom.txt"
	[ "$(jq -r .status <<<"$output")" = notdicom ]
	[ "$(jq -r .category <<<"$output")" = null ]
	[ -n "$(jq -r .detail <<<"$output")" ]
	[ "$(jq -r .association <<<"$output")" = 0 ]
}

# bats test_tags=serial
@test "dcmsend --async 1: no response within the DIMSE timeout: aborted line, the rest not sent, exit 5 (dcmrecv)" {
	start_dcmrecv --delay 3000
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" --async 1 --dimse-timeout 1 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm" "$D/p10-ivrle.dcm"
	assert_line --regexp $'^aborted\t'"$D/p10-evrle.dcm"$'\t.*no response.*DIMSE timeout'
	assert_line --regexp $'^notsent\t'"$D/p10-ivrle.dcm"$'\t'
}

# bats test_tags=serial
@test "dcmsend: no response within the DIMSE timeout: every outstanding request is aborted, exit 5 (dcmrecv)" {
	start_dcmrecv --delay 3000
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" --dimse-timeout 1 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm" "$D/p10-ivrle.dcm"
	# both went out in the window before the first response was due
	assert_line -n 0 --regexp $'^aborted\t'"$D/p10-evrle.dcm"$'\t.*no response.*DIMSE timeout'
	assert_line -n 1 --regexp $'^aborted\t'"$D/p10-ivrle.dcm"$'\t.*no response'
}

# bats test_tags=serial
@test "dcmsend --async 1 --retry: after aborts, only the files not yet stored are sent again (dcmrecv)" {
	start_dcmrecv --abort-after 2
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --async 1 --json --retry 3 --retry-delay 10 127.0.0.1 "$RECV_PORT" \
		"$D/p10-evrle.dcm" "$D/img16-evrle.dcm" "$D/img16-rle.dcm"
	[ "$(jq -r .status <<<"$output" | sort -u)" = 0000 ]
	[ "$(jq -r .attempts <<<"$output" | tr '\n' ' ')" = "1 2 2 " ]
	# every file stored exactly once
	[ "$(wc -l <"$BATS_TEST_TMPDIR/recv.out")" -eq 3 ]
}

# bats test_tags=serial
@test "dcmsend --retry: pipelined, a file answered just before the abort is not sent again (dcmrecv)" {
	# --abort-after 2: each association stores one file, then aborts at
	# the next request, with later ones outstanding behind it
	start_dcmrecv --abort-after 2
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --json --retry 3 --retry-delay 10 127.0.0.1 "$RECV_PORT" \
		"$D/p10-evrle.dcm" "$D/img16-evrle.dcm" "$D/img16-rle.dcm"
	[ "$(jq -r .status <<<"$output" | sort -u)" = 0000 ]
	# the first was answered in association 1, the second in 2; the third
	# went out in 1 too unless the abort came first
	[[ "$(jq -r .attempts <<<"$output" | tr '\n' ' ')" =~ ^"1 2 "[23]" "$ ]]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/recv.out")" -eq 3 ]
	# results in the order of the files
	[ "$(jq -r .path <<<"$output" | tr '\n' ' ')" = "$D/p10-evrle.dcm $D/img16-evrle.dcm $D/img16-rle.dcm " ]
}

@test "dcmsend --resume: a log with no result line (the wrong file) is a usage error naming its first line; junk beside results is a warning" {
	# a list of paths given as the log: it used to skip nothing and say nothing
	printf '%s\n' "$D/p10-evrle.dcm" "$D/p10-ivrle.dcm" >"$BATS_TEST_TMPDIR/list"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --resume "$BATS_TEST_TMPDIR/list" 127.0.0.1 1 "$D/p10-evrle.dcm"
	assert_output ""
	[ "$stderr" = "dcmsend: '$BATS_TEST_TMPDIR/list' is not a dcmsend output (TSV or JSON lines): line 1 is no result line" ]
	# a DICOM file given as the log
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --resume "$D/p10-ivrle.dcm" 127.0.0.1 1 "$D/p10-evrle.dcm"
	[[ $stderr == *"is not a dcmsend output (TSV or JSON lines): line "*" is no result line" ]]
	# a stray message beside a result line: warned, the result still counts
	{ printf '\n0000\t%s\t1.2.840.10008.5.1.4.1.1.7\t%s\t\n' "$D/p10-evrle.dcm" "$UID_EVRLE"; echo 'dcmsend: association aborted'; echo x; } >"$BATS_TEST_TMPDIR/log"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --resume "$BATS_TEST_TMPDIR/log" 127.0.0.1 1 "$D/p10-evrle.dcm"
	assert_line --regexp $'^resumed\t'"$D/p10-evrle.dcm"
	[[ $stderr == *"dcmsend: warning: the resume log '$BATS_TEST_TMPDIR/log': line 3 is no result line of dcmsend (2 such lines ignored)"* ]]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -q --dry-run --resume "$BATS_TEST_TMPDIR/log" 127.0.0.1 1 "$D/p10-evrle.dcm"
	[ -z "$stderr" ]
	# the error is said under -q too (errors are still printed)
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" -q --dry-run --resume "$BATS_TEST_TMPDIR/list" 127.0.0.1 1 "$D/p10-evrle.dcm"
	[[ $stderr == *"is not a dcmsend output (TSV or JSON lines): line 1 is no result line"* ]]
	# the cut last line of a killed run alone, or an empty log: no word
	printf '0000\t%s' "$D/p10-evrle.dcm" >"$BATS_TEST_TMPDIR/cut"
	: >"$BATS_TEST_TMPDIR/empty"
	for l in cut empty; do
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --resume "$BATS_TEST_TMPDIR/$l" 127.0.0.1 1 "$D/p10-evrle.dcm"
		assert_line --regexp $'^planned\t'
		[[ $stderr != *resume* ]]
	done
}

@test "dcmsend --resume: a log (2>&1) of a run killed before any result holds only dcmsend's own messages: no results yet, not the wrong file" {
	{ echo "dcmsend: cannot connect to 127.0.0.1 port 1: Connection refused"; echo "dcmsend: warning: something"; } >"$BATS_TEST_TMPDIR/log"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --resume "$BATS_TEST_TMPDIR/log" 127.0.0.1 1 "$D/p10-evrle.dcm"
	assert_line --regexp $'^planned\t'"$D/p10-evrle.dcm"
	[[ $stderr != *resume* ]]
	# anything else beside them is still the wrong file
	echo x >>"$BATS_TEST_TMPDIR/log"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --resume "$BATS_TEST_TMPDIR/log" 127.0.0.1 1 "$D/p10-evrle.dcm"
	[[ $stderr == *"is not a dcmsend output (TSV or JSON lines): line 3 is no result line"* ]]
}

@test "dcmsend --resume: a JSON log (--json output) works too" {
	printf '{"path":"%s","status":"0000"}\n{"path":"%s","status":"A700"}\n' \
		"$D/p10-evrle.dcm" "$D/p10-ivrle.dcm" >"$BATS_TEST_TMPDIR/log"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --resume "$BATS_TEST_TMPDIR/log" 127.0.0.1 1 \
		"$D/p10-evrle.dcm" "$D/p10-ivrle.dcm"
	assert_line --regexp $'^resumed\t'"$D/p10-evrle.dcm"
	assert_line --regexp $'^planned\t'"$D/p10-ivrle.dcm"
}

@test "dcmsend: on a terminal the progress line is drawn by default" {
	require_cmd script
	run -0 script -qec "'$CSTORE_BIN/dcmsend' --dry-run 127.0.0.1 1 '$D/p10-evrle.dcm' >/dev/null" /dev/null
	[[ $output == *"1/1 files,"*"ETA"* ]]
	run -0 script -qec "'$CSTORE_BIN/dcmsend' -q --dry-run 127.0.0.1 1 '$D/p10-evrle.dcm' >/dev/null" /dev/null
	[[ $output != *"files,"* ]]
}

@test "dcmsend --dry-run --probe: an unreachable peer exits 3, the plan is still printed, the file notsent as in a send" {
	port=$(free_port)
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --probe 127.0.0.1 "$port" "$D/p10-evrle.dcm"
	assert_line --regexp $'^association\t1\t.*Connection refused'
	assert_line --regexp $'^notsent\t'"$D/p10-evrle.dcm"$'\t.*\tassociation 1 failed: .*Connection refused$'
}

@test "dcmsend --lossy: a peer taking only JPEG Baseline gets a lossy conversion only when asked (dcmrecv)" {
	start_dcmrecv --ts 1.2.840.10008.1.2.4.50
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$D/img8-jpeg-baseline.dcm" "$D/img8-jpeg-baseline-ref.dcm"
	assert_line --regexp $'^0000\t'"$D/img8-jpeg-baseline.dcm"$'\t'
	assert_line --regexp $'^nocontext\t'"$D/img8-jpeg-baseline-ref.dcm"$'\t.*only lossily \\(--lossy allows it\\)$'
	# (a syntax is proposed only when some input is in it: send both again)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --json --lossy 127.0.0.1 "$RECV_PORT" \
		"$D/img8-jpeg-baseline.dcm" "$D/img8-jpeg-baseline-ref.dcm"
	[ "$(jq -r .status <<<"$output" | sort -u)" = 0000 ]
	output=$(tail -1 <<<"$output")
	[ "$(jq -r .transcoded <<<"$output")" = true ]
	[ "$(jq -r .sent_transfer_syntax <<<"$output")" = 1.2.840.10008.1.2.4.50 ]
	[[ $(jq -r .detail <<<"$output") == *"(lossy)"* ]]
}

@test "dcmsend --lossy --resume: a file logged under its lossy copy's new UID is resumed, not sent again (dcmrecv)" {
	start_dcmrecv --ts 1.2.840.10008.1.2.4.50
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --lossy 127.0.0.1 "$RECV_PORT" \
		"$D/img8-jpeg-baseline.dcm" "$D/img8-jpeg-baseline-ref.dcm"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/log"
	assert_line --regexp $'^0000\t'"$D/img8-jpeg-baseline-ref.dcm"$'\t.*new SOP Instance UID'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --lossy --resume "$BATS_TEST_TMPDIR/log" 127.0.0.1 "$RECV_PORT" \
		"$D/img8-jpeg-baseline.dcm" "$D/img8-jpeg-baseline-ref.dcm"
	assert_line --regexp $'^resumed\t'"$D/img8-jpeg-baseline.dcm"$'\t'
	assert_line --regexp $'^resumed\t'"$D/img8-jpeg-baseline-ref.dcm"$'\t'
	[[ $stderr != *"is not what the resume log has stored"* ]]
	# a log naming another instance's copy still sends the file
	awk -F'\t' -v OFS='\t' '$2 ~ /-ref[.]dcm$/ { $4 = "2.25.99" } 1' "$BATS_TEST_TMPDIR/log" >"$BATS_TEST_TMPDIR/log2"
	# (its JPEG Baseline context is proposed only for a planned input:
	# alone, it gets nocontext; what counts here is that it is tried)
	run --separate-stderr "$CSTORE_BIN/dcmsend" --lossy --resume "$BATS_TEST_TMPDIR/log2" 127.0.0.1 "$RECV_PORT" \
		"$D/img8-jpeg-baseline.dcm" "$D/img8-jpeg-baseline-ref.dcm"
	assert_line --regexp $'^resumed\t'"$D/img8-jpeg-baseline.dcm"$'\t'
	refute_line --regexp $'^resumed\t'"$D/img8-jpeg-baseline-ref.dcm"$'\t'
	[[ $stderr == *"'$D/img8-jpeg-baseline-ref.dcm' is not what the resume log has stored"* ]]
}

@test "dcmsend: a Warning status counts as stored, exit 0 (dcmrecv)" {
	start_dcmrecv --respond B000
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	assert_output --regexp $'^B000\t'"$D/p10-evrle.dcm"$'\t.*\tWarning: '
	[[ $stderr == *"0 stored, 1 with warning, 0 failed, 0 skipped"* ]]
}

@test "dcmsend -j 20: the soft descriptor limit is raised to the hard one before -j is fitted (no note); a hard limit too low still lowers -j, with a note" {
	run -0 --separate-stderr bash -c 'ulimit -Sn 100 && ulimit -Hn 5000 && exec "$0" -j 20 --dry-run 127.0.0.1 104 "$1" "$1"' \
		"$CSTORE_BIN/dcmsend" "$D/p10-evrle.dcm"
	[ -z "$stderr" ] || { echo "$stderr" >&2; return 1; }
	run -0 --separate-stderr bash -c 'ulimit -n 100 && exec "$0" -j 20 --dry-run 127.0.0.1 104 "$1" "$1"' \
		"$CSTORE_BIN/dcmsend" "$D/p10-evrle.dcm"
	[[ $stderr == *"-j 20: the descriptor limit (ulimit -n 100) carries -j "*": using it"* ]]
}
