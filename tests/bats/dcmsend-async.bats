#!/usr/bin/env bats
# dcmsend's asynchronous operations window (--async, PS3.7 D.3.3.3)
# against our dcmrecv: how many C-STOREs are outstanding at once, what
# is proposed and granted, results in the order of the files, and the
# bytes that arrived.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

setup() {
	require_netns
	C=$(corpus_dir)
	# a dozen small Explicit VR LE files, each its own SOP Instance UID
	mapfile -t FILES < <(awk -F'\t' 'NR > 1 && $3 == "1.2.840.10008.1.2.1" { print $1 }' \
		"$C/MANIFEST.tsv" | head -12 | sed "s|^|$C/|")
	[ "${#FILES[@]}" -eq 12 ]
}

# max_outstanding < dcmsend -d trace: the most C-STORE requests sent
# and not yet answered at any point of the trace.
max_outstanding() {
	awk '/: C-STORE-RQ /{ n++; if (n > m) m = n } /: C-STORE-RSP /{ n-- } END { print m + 0 }'
}

# all_arrived: every input has a Success line, in input order, and the
# data set dcmrecv wrote for it is byte for byte the one sent.
all_arrived() {
	local i uid got
	[ "$(jq -r .path <<<"$output" | tr '\n' ' ')" = "${FILES[*]} " ]
	[ "$(jq -r .status <<<"$output" | sort -u)" = 0000 ]
	for i in "${!FILES[@]}"; do
		uid=$(jq -r "select(.path == \"${FILES[$i]}\") | .sop_instance_uid" <<<"$output")
		got=$(awk -F'\t' -v u="$uid" '$3 == u { print $1 }' "$RECV_STDOUT")
		[ -n "$got" ] || { echo "nothing arrived for ${FILES[$i]}" >&2; return 1; }
		same_dataset "${FILES[$i]}" "$got"
	done
}

@test "dcmsend: the window the peer grants bounds the requests in flight (dcmrecv --async 3)" {
	start_dcmrecv --async 3
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -d --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	# proposed 16, granted 3
	[[ $stderr == *"sent A-ASSOCIATE-RQ"*"asynchronous operations window: invoked 16, performed 1"*"received A-ASSOCIATE-AC"*"asynchronous operations window: invoked 3, performed 1"* ]]
	[ "$(max_outstanding <<<"$stderr")" -eq 3 ]
	all_arrived
}

@test "dcmsend: by default 12 small files go out before the first response is read (dcmrecv)" {
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -d -v --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[[ $stderr == *"window 16"* ]]
	[ "$(max_outstanding <<<"$stderr")" -eq 12 ]
	all_arrived
}

@test "dcmsend --async 1: nothing proposed, one request at a time (dcmrecv)" {
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --async 1 -d -v --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[[ $stderr != *"asynchronous operations window"* ]]
	[[ $stderr == *"window 1"* ]]
	[ "$(max_outstanding <<<"$stderr")" -eq 1 ]
	all_arrived
}

@test "dcmsend: a peer that answers synchronous (dcmrecv --async 1) gets one request at a time" {
	start_dcmrecv --async 1
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -d --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[[ $stderr == *"received A-ASSOCIATE-AC"*"asynchronous operations window: invoked 1, performed 1"* ]]
	[ "$(max_outstanding <<<"$stderr")" -eq 1 ]
	all_arrived
}

@test "dcmsend: failures inside the window keep their own lines, in file order (dcmrecv --respond-every)" {
	start_dcmrecv --respond-every 3:A700
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	[ "$(jq -r .path <<<"$output" | tr '\n' ' ')" = "${FILES[*]} " ]
	[ "$(jq -r .status <<<"$output" | tr '\n' ' ')" = "0000 0000 A700 0000 0000 A700 0000 0000 A700 0000 0000 A700 " ]
}

@test "dcmsend --async: out of range is a usage error" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --async 65 127.0.0.1 104 "${FILES[0]}"
	[[ $stderr == *"out of range (1-64)"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --async 0 127.0.0.1 104 "${FILES[0]}"
}

# bats test_tags=serial
@test "dcmsend: a file that shrinks mid-send aborts the association (its own failure: truncated, exit 1), but the files before it keep their answers (dcmrecv --delay)" {
	local big=$BATS_TEST_TMPDIR/big.dcm
	python3 "$CSTORE_ROOT/tests/tools/mkbig" "$big" 40
	# the receiver sleeps 1 s before each response and reads nothing
	# meanwhile: the three small files are out, the big one is stuck in
	# the socket buffers when it is cut
	start_dcmrecv --delay 1000
	"$CSTORE_BIN/dcmsend" -d --json 127.0.0.1 "$RECV_PORT" "${FILES[@]:0:3}" "$big" \
		>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	local pid=$!
	track_pid "$pid"
	# cut once the big one's data set is going out (-d), 20 s at most:
	# cut before dcmsend took it, it is reported truncated otherwise
	for _ in $(seq 400); do
		awk '/C-STORE-RQ msg-id=4 / { f = 1 } f && /PDV: .*, data set, / { n = 1 } END { exit !n }' \
			"$BATS_TEST_TMPDIR/send.err" && break
		sleep 0.05
	done
	truncate -s 1000000 "$big"
	local rc=0
	wait "$pid" || rc=$?
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	echo "$output"
	[ "$rc" -eq 1 ]
	[ "$(jq -r .status <<<"$output" | tr '\n' ' ')" = "0000 0000 0000 truncated " ]
	[[ $(jq -r 'select(.path == "'"$big"'") | .detail' <<<"$output") == *"not sent in full"*"file ended before its dataset was sent"* ]]
	# the three answered files are there, nothing else, no temporary left
	[ "$(wc -l <"$RECV_STDOUT")" -eq 3 ]
	no_temporaries "$RECV_DIR"
}

# opens_reads < strace -f -e trace=openat,pread64,preadv2,read,close:
# "PATH OPENS READS BYTES" for every file opened, reads (and the bytes
# they returned) counted on its descriptor from its openat to its close.
# A preadv2 that does not wait for the disk (RWF_NOWAIT) counts when it
# read all it asked for; else the pread after it reads the bytes.
opens_reads() {
	awk '{ sub(/^[0-9]+ +/, "") }
	/^openat\(/ && match($0, /"[^"]*"/) {
		p = substr($0, RSTART + 1, RLENGTH - 2); fd = $NF
		if (fd ~ /^[0-9]+$/) { path[fd] = p; opens[p]++ }
		next
	}
	/^preadv2\(.*RWF_NOWAIT/ { want = $0; sub(/.*iov_len=/, "", want); sub(/[^0-9].*/, "", want)
		if ($NF != want) next }
	/^(pread64|preadv2|read)\([0-9]+,/ { fd = $0; sub(/^[a-z0-9]+\(/, "", fd); sub(/,.*/, "", fd)
		if (fd in path) { reads[path[fd]]++; bytes[path[fd]] += $NF } }
	/^close\([0-9]+\)/ { fd = $0; sub(/^close\(/, "", fd); sub(/\).*/, "", fd); delete path[fd] }
	END { for (p in opens) print p, opens[p], reads[p] + 0, bytes[p] + 0 }'
}

@test "dcmsend --async 1 and the window: each input opened once and each byte of it read once, planning and sending together (strace)" {
	command -v strace >/dev/null || skip "strace not installed"
	local d=$BATS_TEST_TMPDIR/in mode asan=${ASAN_OPTIONS:-}
	local gen
	gen=$(cd "${CSTORE_TOOLS:-$CSTORE_ROOT/build/tests/tools}/../.." && pwd)/bench/gencorpus
	[ -x "$gen" ] || skip "bench tools not built (make test-tools)"
	mkdir -p "$d" "$BATS_TEST_TMPDIR/gen"
	cp "${FILES[@]}" "$d/"
	# and files whose data set goes past planning's first read (4 KiB):
	# 8 KiB, 131 KiB (the benchmark's small files), 2 MiB (not read
	# into memory whole: sent from the file)
	"$gen" "$BATS_TEST_TMPDIR/gen" 2 64 64 1 31
	for f in "$BATS_TEST_TMPDIR"/gen/*; do cp "$f" "$d/g64-${f##*/}"; done
	"$gen" "$BATS_TEST_TMPDIR/gen" 2 256 256 1 32
	for f in "$BATS_TEST_TMPDIR"/gen/*; do cp "$f" "$d/g256-${f##*/}"; done
	"$gen" "$BATS_TEST_TMPDIR/gen" 1 1024 1024 1 33
	cp "$BATS_TEST_TMPDIR"/gen/000001.dcm "$d/g1024.dcm"
	# written a minute ago: files changed just before planning are
	# read again when sent (a change in the same tick would not show)
	age_files "$d"/*
	mapfile -t FILES < <(ls -d "$d"/* | sort)
	for mode in 1 16; do
		start_dcmrecv
		# LeakSanitizer does not run under ptrace (a sanitizer build)
		ASAN_OPTIONS=${asan:+$asan:}detect_leaks=0 \
			run -0 --separate-stderr strace -f -e trace=openat,pread64,preadv2,read,close \
			-o "$BATS_TEST_TMPDIR/trace.$mode" \
			"$CSTORE_BIN/dcmsend" --async "$mode" --json 127.0.0.1 "$RECV_PORT" \
			"${FILES[@]}"
		all_arrived
		opens_reads <"$BATS_TEST_TMPDIR/trace.$mode" | grep -F "$d/" | sort >"$BATS_TEST_TMPDIR/or.$mode"
		cat "$BATS_TEST_TMPDIR/or.$mode"
		[ "$(wc -l <"$BATS_TEST_TMPDIR/or.$mode")" -eq "${#FILES[@]}" ]
		# one open each; planning reads the header (and what follows
		# of the data set, up to 4 KiB) and keeps the data set's part
		# with the descriptor; sending reads only the rest, in one
		# read when the file is small (read into memory whole, sent
		# with its PDV header in one write): each byte read once
		while read -r p o r n; do
			echo "$p $o $r $n $(stat -c %s "$p")"
		done <"$BATS_TEST_TMPDIR/or.$mode" >"$BATS_TEST_TMPDIR/ors.$mode"
		# (a large one goes from the file, not read: its header only)
		[ "$(awk '$2 != 1 || $3 < 1 || ($5 <= 1048576 && ($4 != $5 || $3 > 2)) ||
			($5 > 1048576 && ($3 != 1 || $4 != 4096))' "$BATS_TEST_TMPDIR/ors.$mode")" = "" ]
		# the files past 4 KiB: the header's read and the rest's
		[ "$(awk '$5 > 4096 && $5 <= 1048576 && $3 == 2' "$BATS_TEST_TMPDIR/ors.$mode" | wc -l)" -eq 4 ]
		stop_dcmrecv
	done
}

@test "dcmsend --async 1 and the window: a file the peer refuses (nocontext) is opened once, as one sent (strace)" {
	command -v strace >/dev/null || skip "strace not installed"
	local d=$BATS_TEST_TMPDIR/in mode asan=${ASAN_OPTIONS:-} sc=1.2.840.10008.5.1.4.1.1.7
	mkdir -p "$d"
	cp "${FILES[@]}" "$d/"
	# planning keeps their descriptors and first bytes; before, the
	# refused ones were taken as planned, closed and opened again by
	# name to be refused once more (3 opens with --async 1, 2 without)
	age_files "$d"/*
	mapfile -t FILES < <(ls -d "$d"/* | sort)
	for mode in 1 16; do
		start_dcmrecv --reject-sop-class "$sc"
		ASAN_OPTIONS=${asan:+$asan:}detect_leaks=0 \
			run -1 --separate-stderr strace -f -e trace=openat,close \
			-o "$BATS_TEST_TMPDIR/trace.$mode" \
			"$CSTORE_BIN/dcmsend" --async "$mode" --json 127.0.0.1 "$RECV_PORT" \
			"${FILES[@]}"
		# the Secondary Capture ones refused, the others stored
		[ "$(jq -r 'select(.sop_class_uid == "'"$sc"'") | .status' <<<"$output" | sort | uniq -c | awk '{ print $1, $2 }')" = "5 nocontext" ]
		[ "$(jq -r 'select(.sop_class_uid != "'"$sc"'") | .status' <<<"$output" | sort | uniq -c | awk '{ print $1, $2 }')" = "7 0000" ]
		[ "$(wc -l <"$RECV_STDOUT")" -eq 7 ]
		opens_reads <"$BATS_TEST_TMPDIR/trace.$mode" | grep -F "$d/" | sort >"$BATS_TEST_TMPDIR/or.$mode"
		cat "$BATS_TEST_TMPDIR/or.$mode"
		[ "$(wc -l <"$BATS_TEST_TMPDIR/or.$mode")" -eq "${#FILES[@]}" ]
		[ "$(awk '$2 != 1' "$BATS_TEST_TMPDIR/or.$mode")" = "" ]
		stop_dcmrecv
	done
}

@test "dcmsend --async 1: the next file is read while the response is awaited, none between a response and the next request (strace)" {
	command -v strace >/dev/null || skip "strace not installed"
	local d=$BATS_TEST_TMPDIR/in t=$BATS_TEST_TMPDIR/trace asan=${ASAN_OPTIONS:-}
	mkdir -p "$d"
	cp "${FILES[@]}" "$d/"
	age_files "$d"/*
	mapfile -t FILES < <(ls -d "$d"/* | sort)
	start_dcmrecv
	ASAN_OPTIONS=${asan:+$asan:}detect_leaks=0 \
		run -0 --separate-stderr strace -f -e trace=recvfrom,sendmsg,pread64,preadv2 -o "$t" \
		"$CSTORE_BIN/dcmsend" --async 1 --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	all_arrived
	# per response: the reads made before the next request went out
	awk '{ sub(/^[0-9]+ +/, ""); n = $0; sub(/\(.*/, "", n) }
		n == "recvfrom" && $NF > 0 { on = 1; k = 0; next }
		on && n == "sendmsg" { print k; on = 0; next }
		on && n ~ /^pread/ { k++ }' "$t" >"$t.between"
	cat "$t.between"
	# the A-ASSOCIATE-AC before the first request (the first file is
	# read then), a response before each of the others: no read
	[ "$(grep -c . "$t.between")" -eq "${#FILES[@]}" ]
	[ "$(tail -n +2 "$t.between" | sort -u)" = 0 ]
	stop_dcmrecv
}

@test "dcmsend --async 1: a file changed in place after planning (same size) is sent as it is then, not as planning read it (dcmrecv --delay)" {
	local d=$BATS_TEST_TMPDIR/in pid got uid
	mkdir -p "$d"
	cp "${FILES[0]}" "$d/a.dcm"
	cp "${FILES[1]}" "$d/b.dcm"
	# not racy: planning trusts its header while the file's times hold
	age_files "$d"/*
	# a.dcm's answer waits 0.5 s; b.dcm, planned, is changed meanwhile
	start_dcmrecv --delay 500
	"$CSTORE_BIN/dcmsend" --async 1 --json 127.0.0.1 "$RECV_PORT" "$d/a.dcm" "$d/b.dcm" \
		>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	pid=$!
	track_pid "$pid"
	wait_for_line "$RECV_STDOUT" . 10
	# its last two bytes (Pixel Data), in place
	printf '\x5a\xa5' | dd of="$d/b.dcm" bs=1 seek=$(($(stat -c %s "$d/b.dcm") - 2)) conv=notrunc status=none
	wait "$pid"
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	echo "$output"
	[ "$(jq -r .status <<<"$output" | tr '\n' ' ')" = "0000 0000 " ]
	uid=$(jq -r 'select(.path == "'"$d/b.dcm"'") | .sop_instance_uid' <<<"$output")
	got=$(awk -F'\t' -v u="$uid" '$3 == u { print $1 }' "$RECV_STDOUT")
	[ "$(tail -c 2 "$got" | od -An -tx1 | tr -d ' ')" = 5aa5 ]
	same_dataset "$d/b.dcm" "$got"
	stop_dcmrecv
}

@test "dcmsend --async 1 and 2: a file changed in place after planning, its modification time put back, goes as it is then, not from the bytes planning kept of it (dcmrecv --delay)" {
	local d=$BATS_TEST_TMPDIR/in mode pid got uid mtime
	for mode in 1 2; do
		rm -rf "$d" && mkdir -p "$d"
		cp "${FILES[0]}" "$d/a.dcm"
		cp "${FILES[1]}" "$d/b.dcm"
		cp "${FILES[2]}" "$d/c.dcm"
		age_files "$d"/*
		# planning keeps the whole data set of these (under 4 KiB);
		# --async 1: c.dcm is read ahead while b.dcm's answer is
		# awaited; 2: c.dcm goes once a.dcm's answer is in
		RECV_DIR=$BATS_TEST_TMPDIR/recv.$mode start_dcmrecv --async "$mode" --delay 1000
		"$CSTORE_BIN/dcmsend" --async "$mode" --json 127.0.0.1 "$RECV_PORT" \
			"$d/a.dcm" "$d/b.dcm" "$d/c.dcm" \
			>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
		pid=$!
		track_pid "$pid"
		wait_for_line "$RECV_STDOUT" . 10
		# its last two bytes (Pixel Data), in place, and its
		# modification time as it was: only the change time tells
		mtime=$(stat -c %y "$d/c.dcm")
		printf '\x5a\xa5' | dd of="$d/c.dcm" bs=1 seek=$(($(stat -c %s "$d/c.dcm") - 2)) conv=notrunc status=none
		touch -d "$mtime" "$d/c.dcm"
		[ "$(stat -c %y "$d/c.dcm")" = "$mtime" ]
		wait "$pid"
		output=$(cat "$BATS_TEST_TMPDIR/send.out")
		echo "$output"
		[ "$(jq -r .status <<<"$output" | tr '\n' ' ')" = "0000 0000 0000 " ]
		uid=$(jq -r 'select(.path == "'"$d/c.dcm"'") | .sop_instance_uid' <<<"$output")
		got=$(awk -F'\t' -v u="$uid" '$3 == u { print $1 }' "$RECV_STDOUT")
		[ "$(tail -c 2 "$got" | od -An -tx1 | tr -d ' ')" = 5aa5 ]
		same_dataset "$d/c.dcm" "$got"
		stop_dcmrecv
	done
}

# fd_stats < strace -f -e trace=openat,close,%fstat,statx: "PATH N" for
# every file opened, N the fstat calls on its descriptor (newfstatat or
# statx with an empty path) from its openat to its close.
fd_stats() {
	awk '{ sub(/^[0-9]+ +/, "") }
	/^openat\(/ && match($0, /"[^"]*"/) {
		p = substr($0, RSTART + 1, RLENGTH - 2); fd = $NF
		if (fd ~ /^[0-9]+$/) { path[fd] = p; n[p] += 0 }
		next
	}
	/^(fstat|newfstatat|fstatat64|statx)\([0-9]+,/ && (/^fstat\(/ || /AT_EMPTY_PATH/) {
		fd = $0; sub(/^[a-z0-9]+\(/, "", fd); sub(/,.*/, "", fd)
		if (fd in path) n[path[fd]]++ }
	/^close\([0-9]+\)/ { fd = $0; sub(/^close\(/, "", fd); sub(/\).*/, "", fd); delete path[fd] }
	END { for (p in n) print p, n[p] }'
}

@test "dcmsend --async 1 and the window: two fstat calls on each input, the one of its open and the one that checks it before it goes (strace)" {
	command -v strace >/dev/null || skip "strace not installed"
	local d=$BATS_TEST_TMPDIR/in mode asan=${ASAN_OPTIONS:-}
	mkdir -p "$d"
	cp "${FILES[@]}" "$d/"
	# not racy: a file changed just before planning is probed again
	age_files "$d"/*
	mapfile -t FILES < <(ls -d "$d"/* | sort)
	for mode in 1 16; do
		start_dcmrecv
		ASAN_OPTIONS=${asan:+$asan:}detect_leaks=0 \
			run -0 --separate-stderr strace -f -e trace=openat,close,%fstat,statx \
			-o "$BATS_TEST_TMPDIR/trace.$mode" \
			"$CSTORE_BIN/dcmsend" --async "$mode" --json 127.0.0.1 "$RECV_PORT" \
			"${FILES[@]}"
		all_arrived
		fd_stats <"$BATS_TEST_TMPDIR/trace.$mode" | grep -F "$d/" | sort >"$BATS_TEST_TMPDIR/st.$mode"
		cat "$BATS_TEST_TMPDIR/st.$mode"
		[ "$(wc -l <"$BATS_TEST_TMPDIR/st.$mode")" -eq "${#FILES[@]}" ]
		# the next file, read while the last one's response is awaited
		# (--async 1), is checked once, after that read, not also before
		[ "$(awk '$2 != 2' "$BATS_TEST_TMPDIR/st.$mode")" = "" ]
		stop_dcmrecv
	done
}

@test "dcmsend --async 1 (guard): a file rewritten in place with another object after planning, before it is read ahead, goes as the new object (dcmrecv --delay)" {
	local d=$BATS_TEST_TMPDIR/in pid got uid
	mkdir -p "$d"
	cp "${FILES[1]}" "$d/a.dcm"
	cp "${FILES[2]}" "$d/b.dcm"
	cp "${FILES[3]}" "$d/c.dcm"
	age_files "$d"/*
	# each answer waits 1.5 s: c.dcm is read ahead while b.dcm's is
	# awaited, well after it changes (once a.dcm is stored), even on a
	# loaded machine
	start_dcmrecv --delay 1500
	"$CSTORE_BIN/dcmsend" --async 1 --json 127.0.0.1 "$RECV_PORT" "$d/a.dcm" "$d/b.dcm" "$d/c.dcm" \
		>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	pid=$!
	track_pid "$pid"
	wait_for_line "$RECV_STDOUT" . 10
	# the same inode, the same SOP class, another SOP Instance UID and
	# size, a bare data set (at offset 0): what planning read of it
	# (where its data set lies, how long, its UIDs) is stale
	cat "${FILES[0]}" >"$d/c.dcm"
	local st=0
	wait "$pid" || st=$?
	output=$(cat "$BATS_TEST_TMPDIR/send.out")
	echo "$output"
	cat "$BATS_TEST_TMPDIR/send.err"
	[ "$st" -eq 0 ]
	[ "$(jq -r .status <<<"$output" | tr '\n' ' ')" = "0000 0000 0000 " ]
	uid=$(jq -r 'select(.path == "'"$d/c.dcm"'") | .sop_instance_uid' <<<"$output")
	[ "$uid" != "$(jq -r 'select(.path == "'"$d/b.dcm"'") | .sop_instance_uid' <<<"$output")" ]
	got=$(awk -F'\t' -v u="$uid" '$3 == u { print $1 }' "$RECV_STDOUT")
	[ -n "$got" ]
	same_dataset "$d/c.dcm" "$got"
	same_dataset "${FILES[0]}" "$got"
	stop_dcmrecv
}

@test "dcmsend --async 1: files the page cache holds whole are not read ahead again (strace)" {
	command -v strace >/dev/null || skip "strace not installed"
	local d=$BATS_TEST_TMPDIR/in t=$BATS_TEST_TMPDIR/trace asan=${ASAN_OPTIONS:-} n
	mkdir -p "$d"
	# just written: in the page cache whole
	cp "${FILES[@]}" "$d/"
	mapfile -t FILES < <(ls -d "$d"/* | sort)
	start_dcmrecv
	ASAN_OPTIONS=${asan:+$asan:}detect_leaks=0 \
		run -0 --separate-stderr strace -f -e trace=preadv2,fadvise64 -o "$t" \
		"$CSTORE_BIN/dcmsend" --async 1 --json 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	all_arrived
	cat "$t"
	grep -q 'RWF_NOWAIT) = -1 EOPNOTSUPP' "$t" && skip "this file system cannot tell (tmpfs)"
	# each data set read once without waiting for a disk, all of it ...
	n=$(grep -c 'RWF_NOWAIT) = ' "$t")
	[ "$n" -eq "${#FILES[@]}" ]
	[ "$(awk '/RWF_NOWAIT\) = / { want = $0; sub(/.*iov_len=/, "", want)
		sub(/[^0-9].*/, "", want); if ($NF != want) print }' "$t")" = "" ]
	# ... so the next was never read ahead
	refute grep -q fadvise64 "$t"
	stop_dcmrecv
}

@test "dcmsend: its lanes and workers block the stop signals, as dcmrecv's threads do (dcmrecv --delay)" {
	start_dcmrecv --delay 200
	"$CSTORE_BIN/dcmsend" -j 3 127.0.0.1 "$RECV_PORT" "${FILES[@]}" \
		>"$BATS_TEST_TMPDIR/send.out" 2>&1 &
	local pid=$! t blk n=0 i
	track_pid "$pid"
	for i in $(seq 100); do
		[ "$(ls "/proc/$pid/task" 2>/dev/null | wc -l)" -ge 3 ] && break
		sleep 0.05
	done
	for t in /proc/"$pid"/task/*; do
		[ "${t##*/}" = "$pid" ] && continue
		# the one thread meant to take SIGTERM and SIGINT (sigwait
		# unblocks them while it waits: lib/cli/send_stop.c)
		[ "$(cat "$t/comm" 2>/dev/null)" != send-stop ] || continue
		blk=$(awk '/^SigBlk:/ { print $2 }' "$t/status" 2>/dev/null) || true
		[ -n "$blk" ] || continue # it ended meanwhile
		# SIGHUP 1, SIGINT 2, SIGTERM 15: bits 0x1, 0x2, 0x4000
		[ $((0x$blk & 0x4003)) -eq $((0x4003)) ] ||
			{ echo "thread ${t##*/} blocks only $blk" >&2; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 2 ]
	wait "$pid"
	stop_dcmrecv
	[ "$(grep -c '^0000' "$BATS_TEST_TMPDIR/send.out")" -eq 12 ]
}

# mklarge FILE BYTES UID: a Part 10 Secondary Capture object, Explicit VR
# LE, whose Pixel Data holds BYTES random bytes (BYTES even)
mklarge() {
	python3 - "$@" <<'PY'
import os, struct, sys
path, n, uid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def el(g, e, vr, v):
    if vr == "OB":
        return struct.pack("<HH2sHI", g, e, b"OB", 0, len(v)) + v
    return struct.pack("<HH2sH", g, e, vr.encode(), len(v)) + v
def ui(s):
    b = s.encode()
    return b + b"\0" if len(b) % 2 else b
cls = "1.2.840.10008.5.1.4.1.1.7"
ds = el(8, 0x16, "UI", ui(cls)) + el(8, 0x18, "UI", ui(uid)) + el(0x7FE0, 0x10, "OB", os.urandom(n))
meta = el(2, 1, "OB", b"\0\1") + el(2, 2, "UI", ui(cls)) + el(2, 3, "UI", ui(uid)) \
    + el(2, 0x10, "UI", ui("1.2.840.10008.1.2.1")) + el(2, 0x12, "UI", ui("2.25.1"))
with open(path, "wb") as f:
    f.write(b"\0" * 128 + b"DICM" + el(2, 0, "UL", struct.pack("<I", len(meta))) + meta + ds)
PY
}

@test "dcmsend: a data set sent from its file mapping goes one write a PDV, the PDV header with its payload, never a 12-byte header alone (strace)" {
	command -v strace >/dev/null || skip "strace not installed"
	local f=$BATS_TEST_TMPDIR/large.dcm t=$BATS_TEST_TMPDIR/trace asan=${ASAN_OPTIONS:-} got
	# 3 MB: over the 1 MiB read into memory, so mapped; a dozen PDVs
	mklarge "$f" 3000000 2.25.7101
	start_dcmrecv
	ASAN_OPTIONS=${asan:+$asan:}detect_leaks=0 \
		run -0 --separate-stderr strace -f -e trace=sendto,sendmsg -o "$t" \
		"$CSTORE_BIN/dcmsend" --json 127.0.0.1 "$RECV_PORT" "$f"
	[ "$(jq -r .status <<<"$output")" = 0000 ]
	got=$(awk -F'\t' '$3 == "2.25.7101" { print $1 }' "$RECV_STDOUT")
	same_dataset "$f" "$got"
	# the P-DATA-TF and PDV item headers (12 bytes) each went with the
	# payload after them: 2 calls a PDV before, 1 now
	run grep -E '^[0-9]+ +send(to|msg)\(.*= 12$' "$t"
	assert_failure
	[ "$(grep -cE '^[0-9]+ +sendmsg\(' "$t")" -ge 11 ]
	stop_dcmrecv
}

@test "dcmsend: its socket holds at most 512 KiB written and not yet sent (TCP_NOTSENT_LOWAT), and a large data set still arrives whole (strace)" {
	command -v strace >/dev/null || skip "strace not installed"
	local f=$BATS_TEST_TMPDIR/large.dcm t=$BATS_TEST_TMPDIR/trace asan=${ASAN_OPTIONS:-} got
	# 6 MB: more than the low-water mark, sent from the file mapping
	mklarge "$f" 6000000 2.25.7102
	start_dcmrecv
	ASAN_OPTIONS=${asan:+$asan:}detect_leaks=0 \
		run -0 --separate-stderr strace -f -e trace=setsockopt -o "$t" \
		"$CSTORE_BIN/dcmsend" --json 127.0.0.1 "$RECV_PORT" "$f"
	[ "$(jq -r .status <<<"$output")" = 0000 ]
	got=$(awk -F'\t' '$3 == "2.25.7102" { print $1 }' "$RECV_STDOUT")
	same_dataset "$f" "$got"
	# without it a receiver that falls behind leaves up to the whole
	# 4 MiB send buffer copied and waiting (docs/performance.md)
	grep -E 'setsockopt\([0-9]+, SOL_TCP, TCP_NOTSENT_LOWAT, \[524288\], 4\) = 0' "$t"
	stop_dcmrecv
}
