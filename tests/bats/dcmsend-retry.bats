#!/usr/bin/env bats
# dcmsend against peers that abort: the result lines say exactly what the
# peer stored (PS3.8 Sta13 on both sides: no reset ever drops a response
# already sent), and --retry N gives each file N + 1 requests over as
# many associations as it takes.  The peer is our dcmrecv with
# --abort-after 10 (an abort at every 10th C-STORE: each association
# counts from 1) or --abort-on UID (an abort whenever that object comes).
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

N=50

setup_file() {
	local c src i
	c=$(corpus_dir)
	src=$c/$(awk -F'\t' 'NR > 1 && $3 == "1.2.840.10008.1.2.1" && $1 ~ /^sop\// { print $1; exit }' "$c/MANIFEST.tsv")
	mkdir -p "$BATS_FILE_TMPDIR/in"
	for i in $(seq "$N"); do
		cp "$src" "$BATS_FILE_TMPDIR/in/f$i.dcm"
		dcmodify -nb -q -m "SOPInstanceUID=2.25.27182818284590452353602874713.$i" \
			"$BATS_FILE_TMPDIR/in/f$i.dcm"
	done
}

setup() {
	require_netns
	require_cmd dcmodify
	FILES=()
	for i in $(seq "$N"); do FILES+=("$BATS_FILE_TMPDIR/in/f$i.dcm"); done
}

uid() { echo "2.25.27182818284590452353602874713.$1"; }

# send_once ASYNC [dcmsend options...]: a fresh dcmrecv (RECV_FAULTS),
# all the files, the receiver stopped; SEND_RC, SEND_OUT.
send_once() {
	local a=$1 pf
	shift
	RECV_DIR=$BATS_TEST_TMPDIR/out.$RANDOM$RANDOM
	start_dcmrecv $RECV_FAULTS
	SEND_OUT=$BATS_TEST_TMPDIR/send.out
	SEND_RC=0
	"$CSTORE_BIN/dcmsend" --async "$a" "$@" 127.0.0.1 "$RECV_PORT" "${FILES[@]}" \
		>"$SEND_OUT" 2>"$BATS_TEST_TMPDIR/send.err" || SEND_RC=$?
	stop_dcmrecv
}

# lines_match_disk: one line per file, each SOP instance once; the
# instances reported stored are exactly the files dcmrecv has written
# (and printed), nothing more, nothing less.
lines_match_disk() {
	local reported disk printed
	[ "$(wc -l <"$SEND_OUT")" -eq "$N" ] || { echo "$(wc -l <"$SEND_OUT") lines" >&2; return 1; }
	[ "$(cut -f2 "$SEND_OUT" | sort -u | wc -l)" -eq "$N" ]
	reported=$(awk -F'\t' '$1 == "0000" { print $4 }' "$SEND_OUT" | sort)
	disk=$(ls "$RECV_DIR" | sed 's/\.dcm$//' | sort)
	printed=$(cut -f3 "$RECV_STDOUT" | sort)
	if [ "$reported" != "$disk" ] || [ "$printed" != "$disk" ]; then
		echo "reported $(grep -c . <<<"$reported"), on disk $(grep -c . <<<"$disk"), printed $(grep -c . <<<"$printed")" >&2
		diff <(echo "$reported") <(echo "$disk") >&2
		return 1
	fi
	no_temporaries "$RECV_DIR"
}

# load_on: two busy loops, stopped by load_off (by PID)
load_on() { yes >/dev/null & LOAD1=$!; track_pid $LOAD1; yes >/dev/null & LOAD2=$!; track_pid $LOAD2; }
load_off() { kill "$LOAD1" "$LOAD2"; wait "$LOAD1" "$LOAD2" 2>/dev/null || true; }

# twenty ASYNC: 20 runs without --retry against an abort at every 10th
# C-STORE, the last 10 under CPU load: the lines match the disk each time
twenty() {
	local run
	RECV_FAULTS="--abort-after 10"
	for run in $(seq 20); do
		[ "$run" -ne 11 ] || load_on
		send_once "$1"
		[ "$SEND_RC" -eq 5 ] || { echo "run $run: exit $SEND_RC" >&2; return 1; }
		lines_match_disk || { echo "run $run" >&2; return 1; }
		# the first 9 went in, the 10th was the one aborted
		[ "$(head -9 "$SEND_OUT" | cut -f1 | sort -u)" = 0000 ]
		[ "$(sed -n 10p "$SEND_OUT" | cut -f1)" = aborted ]
	done
	load_off
}

# bats test_tags=serial
@test "dcmsend: a peer aborting every 10th C-STORE, 20 runs (10 under load): lines match its disk" {
	twenty 16
}

# bats test_tags=serial
@test "dcmsend --async 1: a peer aborting every 10th C-STORE, 20 runs (10 under load): lines match its disk" {
	twenty 1
}

# all_once: exit 0, every file stored once and reported once
all_once() {
	[ "$SEND_RC" -eq 0 ] || { cut -f1,2,5 "$SEND_OUT" | grep -v ^0000 >&2; return 1; }
	lines_match_disk
	[ "$(cut -f1 "$SEND_OUT" | sort -u)" = 0000 ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq "$N" ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq "$N" ]
}

@test "dcmsend: a large object still being written when the peer aborts: the answers before it are heard, lines match its disk" {
	local run
	# 10 small files in the window, the 10th aborted while the big one
	# behind it is still being written (the old sender lost the 9
	# answers to the failed write; the old receiver reset the connection)
	python3 "$CSTORE_ROOT/tests/tools/mkbig" "$BATS_TEST_TMPDIR/big.dcm" 40
	FILES=("${FILES[@]:0:10}" "$BATS_TEST_TMPDIR/big.dcm")
	RECV_FAULTS="--abort-after 10"
	for run in 1 2 3; do
		send_once 16
		[ "$SEND_RC" -eq 5 ]
		N=11 lines_match_disk
		[ "$(awk -F'\t' '$1 == "0000"' "$SEND_OUT" | wc -l)" -eq 9 ]
	done
}

@test "dcmsend --retry 3: 50 files to a peer aborting every 10th C-STORE: each stored and reported once, exit 0" {
	RECV_FAULTS="--abort-after 10"
	send_once 16 --retry 3 --retry-delay 10 --json
	# JSON for the attempts; the same checks on the TSV run below
	[ "$SEND_RC" -eq 0 ]
	[ "$(jq -r .status "$SEND_OUT" | sort -u)" = 0000 ]
	[ "$(jq -s 'map(.attempts) | max' "$SEND_OUT")" -le 4 ]
	[ "$(jq -s 'map(.attempts) | max' "$SEND_OUT")" -ge 2 ]
	send_once 16 --retry 3 --retry-delay 10
	all_once
}

@test "dcmsend --async 1 --retry 3: 50 files to a peer aborting every 10th C-STORE: each stored and reported once, exit 0" {
	RECV_FAULTS="--abort-after 10"
	send_once 1 --retry 3 --retry-delay 10
	all_once
}

# one_poisoned ASYNC: --retry 2 against a peer that aborts whenever
# file 5 arrives: the 49 others stored, file 5 aborted after 3 attempts
one_poisoned() {
	local line
	RECV_FAULTS="-v --abort-on $(uid 5)"
	send_once "$1" --retry 2 --retry-delay 10
	[ "$SEND_RC" -eq 5 ]
	lines_match_disk
	[ "$(awk -F'\t' '$1 == "0000"' "$SEND_OUT" | wc -l)" -eq $((N - 1)) ]
	line=$(grep -F "/f5.dcm"$'\t' "$SEND_OUT")
	[[ $line == aborted$'\t'* ]]
	[[ $line == *"no response after 3 attempts"* ]]
	[ ! -e "$RECV_DIR/$(uid 5).dcm" ]
	# three times it came, three times the peer aborted
	[ "$(grep -c "aborting instead of answering for '$(uid 5)'" "$RECV_STDERR")" -eq 3 ]
}

@test "dcmsend --retry 2: a peer aborting whenever one object arrives: all others stored, that one aborted after 3 attempts" {
	one_poisoned 16
}

@test "dcmsend --async 1 --retry 2: a peer aborting whenever one object arrives: all others stored, that one aborted after 3 attempts" {
	one_poisoned 1
}

@test "dcmrecv --abort-on: a bad UID is a usage error" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --abort-on '' 127.0.0.1:0
	[[ $stderr == *"--abort-on '': expected a SOP Instance UID"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --abort-on "$(printf '1.%.0s' $(seq 40))1" 127.0.0.1:0
	[[ $stderr == *"expected a SOP Instance UID"* ]]
	"$CSTORE_BIN/dcmrecv" --help | grep -q -- "--abort-on UID"
}

# start_wrongrsp instance|class: tests/tools/wrongrsp; sets WR_PORT
start_wrongrsp() {
	local pf=$BATS_TEST_TMPDIR/wr.port i
	/usr/bin/python3 "$CSTORE_ROOT/tests/tools/wrongrsp" "$pf" "$1" &
	track_pid $!
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	WR_PORT=$(cat "$pf")
	[ -n "$WR_PORT" ]
}

@test "dcmsend: a response naming another SOP instance than the request is a failure that says so" {
	start_wrongrsp instance
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$WR_PORT" "${FILES[0]}"
	assert_output --regexp $'^failed\t'"${FILES[0]}"$'\t.*\t'"$(uid 1)"$'\t.*the response is for SOP instance .'"$(uid 1).999"'., not the one sent; answered 0000$'
	[[ $stderr == *"0 stored"*"1 failed"* ]]
}

@test "dcmsend: a response naming another SOP class than the request is a failure that says so" {
	start_wrongrsp class
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --json 127.0.0.1 "$WR_PORT" "${FILES[0]}"
	[ "$(jq -r .status <<<"$output")" = failed ]
	[ "$(jq -r .category <<<"$output")" = null ]
	[[ "$(jq -r .detail <<<"$output")" == *"the response is for SOP class '1.2.840.10008.5.1.4.1.1.2', not the one sent"* ]]
	[[ $stderr == *"0 stored"*"1 failed"* ]]
}

# bats test_tags=serial
@test "dcmsend: a file that shrinks while it is sent is its own failure (truncated, exit 1, nothing of it stored), not exit 5; the files after it go, with --retry or without" {
	local r big=$BATS_TEST_TMPDIR/big.dcm i
	for r in "" "--retry 2"; do
		python3 "$CSTORE_ROOT/tests/tools/mkbig" "$big" 4
		RECV_DIR=$BATS_TEST_TMPDIR/out$((${#r} > 0))
		start_dcmrecv
		# emptied first: the wait below must not see the first round's
		# lines before this dcmsend's redirection has truncated them
		: >"$BATS_TEST_TMPDIR/send.out"
		# one at a time (--async 1), slowly: f1 is answered before big starts
		"$CSTORE_BIN/dcmsend" --async 1 --limit-rate 200k $r 127.0.0.1 "$RECV_PORT" \
			"${FILES[0]}" "$big" "${FILES[1]}" >"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
		local spid=$!
		track_pid "$spid"
		for i in $(seq 200); do
			[ -s "$BATS_TEST_TMPDIR/send.out" ] && break
			sleep 0.05
		done
		# 4 MB at 200 kB/s: big is still going; cut it short of where it is
		truncate -s 1000 "$big"
		local rc=0
		wait "$spid" || rc=$?
		stop_dcmrecv
		cat "$BATS_TEST_TMPDIR/send.out" "$BATS_TEST_TMPDIR/send.err"
		[ "$rc" -eq 1 ]
		run cat "$BATS_TEST_TMPDIR/send.out"
		[ "${#lines[@]}" -eq 3 ]
		assert_line --index 0 --regexp $'^0000\t'"${FILES[0]}"$'\t'
		# cut while sent (the usual case), or before dcmsend read it
		# (the queue had not reached it): both a documented truncation
		[ "${lines[1]}" = $'truncated\t'"$big"$'\t1.2.840.10008.5.1.4.1.1.7.3\t2.25.1234567890123456789012345678901\tnot sent in full: file ended before its dataset was sent (it shrank while sent); the association was aborted, so the peer stores none of it' ] ||
			[ "${lines[1]}" = $'truncated\t'"$big"$'\t\t\ttruncated value of (7FE0,0010) at offset 208: 3670016 bytes announced' ]
		assert_line --index 2 --regexp $'^0000\t'"${FILES[1]}"$'\t'
		[ -s "$RECV_DIR/$(uid 1).dcm" ] && [ -s "$RECV_DIR/$(uid 2).dcm" ]
		[ "$(find "$RECV_DIR" -type f | wc -l)" -eq 2 ]
		refute grep -q 'aborted\|file ended' "$BATS_TEST_TMPDIR/send.err"
	done
}

# bats test_tags=serial
@test "dcmsend: a file written to while it is sent (in place, or appended to; also to a peer without a PDU limit; or the same size, its mtime set back by touch -r) is its own failure (unreadable, exit 1, nothing of it stored), never 0000 for mixed bytes; one renamed meanwhile is stored" {
	local how big=$BATS_TEST_TMPDIR/big.dcm i got
	for how in inplace append rename unlimited touchr; do
		python3 "$CSTORE_ROOT/tests/tools/mkbig" "$big" 4
		touch -r "$big" "$BATS_TEST_TMPDIR/stamp"
		RECV_DIR=$BATS_TEST_TMPDIR/out-$how
		if [ "$how" = unlimited ]; then
			# one PDV would do: dcmsend still checks every 256 KiB
			start_dcmrecv --max-pdu 0
		else
			start_dcmrecv
		fi
		# one at a time (--async 1), 4 MB at 1 MB/s, in PDUs of 256 KiB
		"$CSTORE_BIN/dcmsend" --async 1 --limit-rate 1M 127.0.0.1 "$RECV_PORT" \
			"${FILES[0]}" "$big" "${FILES[1]}" >"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
		local spid=$!
		track_pid "$spid"
		# big is being sent once the receiver holds 512 kB of it
		got=-1
		for i in $(seq 400); do
			got=$(open_temp_size "$RECV_PID" "$RECV_DIR")
			[ "$got" -ge 524288 ] && break
			sleep 0.05
		done
		[ "$got" -ge 524288 ]
		case $how in
		inplace | unlimited) printf 'XXXXXXXX' | dd of="$big" bs=1 seek=3000000 conv=notrunc status=none ;;
		touchr) # cp -p over it does the same: its change time moves
			printf 'XXXXXXXX' | dd of="$big" bs=1 seek=3000000 conv=notrunc status=none
			touch -r "$BATS_TEST_TMPDIR/stamp" "$big" ;;
		append) printf 'XXXXXXXX' >>"$big" ;;
		rename) mv "$big" "$big.moved" ;;
		esac
		local rc=0
		wait "$spid" || rc=$?
		stop_dcmrecv
		cat "$BATS_TEST_TMPDIR/send.out" "$BATS_TEST_TMPDIR/send.err"
		run cat "$BATS_TEST_TMPDIR/send.out"
		[ "${#lines[@]}" -eq 3 ]
		assert_line --index 0 --regexp $'^0000\t'"${FILES[0]}"$'\t'
		assert_line --index 2 --regexp $'^0000\t'"${FILES[1]}"$'\t'
		if [ "$how" = rename ]; then
			# a rename changes no byte: the object is stored, whole
			[ "$rc" -eq 0 ]
			assert_line --index 1 --regexp $'^0000\t'"$big"$'\t'
			same_dataset "$big.moved" "$RECV_DIR/2.25.1234567890123456789012345678901.dcm"
			rm "$big.moved"
			continue
		fi
		[ "$rc" -eq 1 ]
		[ "${lines[1]}" = $'unreadable\t'"$big"$'\t1.2.840.10008.5.1.4.1.1.7.3\t2.25.1234567890123456789012345678901\tnot sent in full: the file was written to while it was sent; the association was aborted, so the peer stores none of it' ]
		[ -s "$RECV_DIR/$(uid 1).dcm" ] && [ -s "$RECV_DIR/$(uid 2).dcm" ]
		[ "$(find "$RECV_DIR" -type f | wc -l)" -eq 2 ]
	done
}

@test "dcmsend: a large file is checked for writes once per 2 MiB and before its last PDV, not before each 256 KiB PDV (strace: fstat calls), and arrives whole" {
	command -v strace >/dev/null || skip "strace not installed"
	local big=$BATS_TEST_TMPDIR/big.dcm asan=${ASAN_OPTIONS:-} n
	python3 "$CSTORE_ROOT/tests/tools/mkbig" "$big" 16
	start_dcmrecv
	# LeakSanitizer does not run under ptrace (a sanitizer build)
	ASAN_OPTIONS=${asan:+$asan:}detect_leaks=0 \
		run -0 --separate-stderr strace -f -e trace=fstat,newfstatat,statx \
		-o "$BATS_TEST_TMPDIR/trace" "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$big"
	assert_output --regexp $'^0000\t'"$big"$'\t'
	stop_dcmrecv
	same_dataset "$big" "$RECV_DIR/2.25.1234567890123456789012345678901.dcm"
	# of the file (its size in the answer): 60 PDVs of 256 KiB, 8
	# windows of 2 MiB mapped, a check per window and before the last
	# PDV, planning's few (22; each PDV checked: 75)
	n=$(grep -c "st_size=$(stat -c %s "$big")," "$BATS_TEST_TMPDIR/trace")
	echo "fstat calls on the file: $n"
	[ "$n" -ge 8 ] && [ "$n" -le 30 ]
}

# bats test_tags=serial
@test "dcmsend: a file written to once its last PDU went, the peer slow to read it: never 0000 for bytes the write changed (3 MB: once sent by sendfile, the socket read the file late)" {
	local big=$BATS_TEST_TMPDIR/big.dcm out=$BATS_TEST_TMPDIR/fake i rc=0
	local pf=$BATS_TEST_TMPDIR/fake.port
	python3 "$CSTORE_ROOT/tests/tools/mkbig" "$big" 3
	# no PDU limit (one PDV would do), and 2 s before it reads the data set
	/usr/bin/python3 "$CSTORE_ROOT/tests/tools/fakescp" "$pf" "$out" maxpdu=0,stall=2000 &
	track_pid $!
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	[ -s "$pf" ]
	"$CSTORE_BIN/dcmsend" 127.0.0.1 "$(cat "$pf")" "$big" \
		>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	local spid=$!
	track_pid "$spid"
	for i in $(seq 200); do
		grep -q stall "$out/log" 2>/dev/null && break
		sleep 0.05
	done
	grep -q stall "$out/log"
	# what dcmsend could hand over is in the socket buffers by now
	sleep 0.5
	printf 'XXXXXXXX' | dd of="$big" bs=1 seek=2500000 conv=notrunc status=none
	wait "$spid" || rc=$?
	cat "$BATS_TEST_TMPDIR/send.out" "$BATS_TEST_TMPDIR/send.err" "$out/log"
	run cat "$BATS_TEST_TMPDIR/send.out"
	if [ "$rc" -eq 0 ]; then
		# stored: then with the bytes as they were before the write
		assert_output --regexp $'^0000\t'
		[ -s "$out/1.ds" ]
		run grep -c XXXXXXXX "$out/1.ds"
		assert_output 0
	else
		[ "$rc" -eq 1 ]
		refute_output --regexp $'^0000\t'
		assert_output --regexp 'written to while (it was sent|its last PDU went)'
	fi
}

# bats test_tags=serial
@test "dcmsend: a file written to while its last PDU goes is no success: failed, the peer's status in DETAIL (it got bytes that may be mixed), exit 1" {
	local big=$BATS_TEST_TMPDIR/big.dcm i got=-1 rc=0
	python3 "$CSTORE_ROOT/tests/tools/mkbig" "$big" 3
	# its data set (2621660 bytes) in PDVs of 202446: 12 whole, the last
	# 192308 (file offsets 2429632 on), ~1 s at 200 KiB/s
	RECV_DIR=$BATS_TEST_TMPDIR/out
	start_dcmrecv --max-pdu 202452
	"$CSTORE_BIN/dcmsend" --limit-rate 200K 127.0.0.1 "$RECV_PORT" "$big" \
		>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	local spid=$!
	track_pid "$spid"
	# the last PDU is going once the receiver holds 40 kB of it
	for i in $(seq 600); do
		got=$(open_temp_size "$RECV_PID" "$RECV_DIR")
		[ "$got" -ge 2470000 ] && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	[ "$got" -ge 2470000 ]
	printf 'XXXXXXXX' | dd of="$big" bs=1 seek=2600000 conv=notrunc status=none
	wait "$spid" || rc=$?
	stop_dcmrecv
	cat "$BATS_TEST_TMPDIR/send.out" "$BATS_TEST_TMPDIR/send.err"
	run cat "$BATS_TEST_TMPDIR/send.out"
	if [ "$rc" -eq 0 ]; then
		# all of it had gone before the write (a slow receiver): then
		# stored with the bytes as they were
		assert_output --regexp $'^0000\t'
		run grep -c XXXXXXXX "$RECV_DIR/2.25.1234567890123456789012345678901.dcm"
		assert_output 0
	else
		[ "$rc" -eq 1 ]
		assert_output --regexp $'^failed\t'"$big"$'\t.*\tthe file was written to while its last PDU went: the peer answered 0000 for bytes that may be mixed$'
	fi
}

# A peer that takes one association at a time (--max-associations 1 here;
# DCMTK's storescp without --fork; archives allowing one per AE title)
# answers -j's other lanes with a transient rejection or not at all.
# Those lanes failed, their files notsent, exit 4 (without --retry); now
# a lane whose association could not be opened while another of the run
# was open tries again once one ends.
@test "dcmsend -j 4 to a peer taking one association at a time: the lanes take turns, every file stored once, exit 0" {
	start_dcmrecv --max-associations 1 --delay 50
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -v -j 4 127.0.0.1 "$RECV_PORT" "${FILES[@]:0:16}"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 16 ]
	[ "$(grep -c '^dcmsend: association [0-9]*: .* accepted ' <<<"$stderr")" -eq 4 ]
	stop_dcmrecv
	[ "$(wc -l <"$RECV_STDOUT")" -eq 16 ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 16 ]
	local i
	for i in $(seq 16); do
		cmp <("$CSTORE_TOOLS/dcm-dataset" "${FILES[$((i - 1))]}") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/$(uid "$i").dcm")
	done
}

# A peer that never answers (--acse-timeout): a lane whose request timed
# out while the others' were pending waited until no association of the
# run was being requested, which other lanes' next requests kept from
# happening: the lanes ran one at a time (32 files -j 8 --per-assoc 1
# --acse-timeout 1: ~28 s, ~8 s before).  Now it waits only for the
# requests begun before its wait, and the note says none was open.
# bats test_tags=serial
@test "dcmsend -j 8 --per-assoc 1 to a peer that never answers: the lanes do not wait for each other's later requests; the note says no association was open" {
	require_netns
	local pf=$BATS_TEST_TMPDIR/mute.port i t0 t1 rc=0
	python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % s.getsockname()[1])
time.sleep(120)' "$pf" &
	local mpid=$!
	track_pid "$mpid"
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	[ -s "$pf" ]
	t0=$(date +%s)
	"$CSTORE_BIN/dcmsend" -v -j 8 --per-assoc 1 --acse-timeout 1 127.0.0.1 "$(cat "$pf")" "${FILES[@]:0:32}" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || rc=$?
	t1=$(date +%s)
	kill "$mpid"
	wait "$mpid" || true
	[ "$rc" -eq 3 ]
	[ "$(grep -c $'^notsent\t' "$BATS_TEST_TMPDIR/out")" -eq 32 ]
	# 4 rounds of 1 s when the lanes go together; 32 one after the other
	[ $((t1 - t0)) -lt 20 ]
	run grep -c 'another association to the peer is being requested' "$BATS_TEST_TMPDIR/err"
	refute_output 0
	run grep -c 'another association to the peer is open' "$BATS_TEST_TMPDIR/err"
	assert_output 0
}
