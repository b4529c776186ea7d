#!/usr/bin/env bats
# dcmsend --follow, --idle, --retry-for, --remove-sent, --limit-rate with
# our dcmrecv as the peer: option errors, a stream sent as it comes,
# idle release, giving up after --retry-for, what --remove-sent removes.
# The router with DCMTK on both ends is tests/interop/router.bats.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

setup_file() {
	local c src i
	c=$(corpus_dir)
	src=$c/$(awk -F'\t' 'NR > 1 && $3 == "1.2.840.10008.1.2.1" && $1 ~ /^sop\// { print $1; exit }' "$c/MANIFEST.tsv")
	mkdir -p "$BATS_FILE_TMPDIR/in"
	for i in $(seq 6); do
		cp "$src" "$BATS_FILE_TMPDIR/in/f$i.dcm"
		dcmodify -nb -m "(0008,0018)=1.2.826.0.1.3680043.10.99.$i" "$BATS_FILE_TMPDIR/in/f$i.dcm" 2>/dev/null
	done
}

setup() {
	IN=$BATS_FILE_TMPDIR/in
	W=$BATS_TEST_TMPDIR
	cp -r "$IN" "$W/spool"
}

usage_error() {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" "$@"
	[ -z "$output" ]
}

# bats test_tags=serial
@test "dcmsend --follow: option errors exit 2 with the reason" {
	usage_error --follow --echo 127.0.0.1 104
	[[ $stderr == *"--follow and --echo exclude each other"* ]]
	usage_error --follow --dry-run 127.0.0.1 104 -
	[[ $stderr == *"--follow and --dry-run exclude each other"* ]]
	usage_error --follow -j 2 127.0.0.1 104 -
	[[ $stderr == *"--follow sends over one association: no -j"* ]]
	usage_error --follow --per-assoc 5 127.0.0.1 104 -
	[[ $stderr == *"--follow sends over one association: no --per-assoc"* ]]
	usage_error --retry-for 10s 127.0.0.1 104 a.dcm
	[[ $stderr == *"--retry-for needs --follow"* ]]
	usage_error --follow --retry-for 10x 127.0.0.1 104 -
	[[ $stderr == *"duration '10x': a number of seconds"* ]]
	usage_error --follow --idle 0 127.0.0.1 104 -
	[[ $stderr == *"idle time"* ]]
	usage_error --remove-sent --dry-run 127.0.0.1 104 a.dcm
	[[ $stderr == *"--remove-sent sends: not with --dry-run"* ]]
	usage_error --limit-rate 20Mb/s 127.0.0.1 104 a.dcm
	[[ $stderr == *"rate '20Mb/s': bytes per second"* ]]
	usage_error --limit-rate 999 127.0.0.1 104 a.dcm
	# K is 1024 as for every size (0.97K = 993.28 bytes: no whole size, and below the floor)
	usage_error --limit-rate 0.97K 127.0.0.1 104 a.dcm
	[[ $stderr == *"rate '0.97K': bytes per second, 1000 to 100G, optionally with K, M, G (powers of 1024; KB, MB, GB powers of 1000)"* ]]
	usage_error --limit-rate 1M --echo 127.0.0.1 104
	[[ $stderr == *"--limit-rate sends: not with --echo"* ]]
	# stdin a terminal is no stream
	if [ -e /dev/tty ] && : </dev/tty 2>/dev/null; then
		usage_error --follow 127.0.0.1 104 </dev/tty
	fi
}

# bats test_tags=serial
@test "dcmsend --help names the routing options" {
	run -0 "$CSTORE_BIN/dcmsend" --help
	for o in --follow --idle --retry-for --remove-sent --limit-rate; do
		[[ $output == *"$o"* ]]
	done
}

# bats test_tags=serial
@test "dcmsend --follow: the first file goes before the input ends; released after --idle, opened again for the next" {
	require_netns
	start_dcmrecv
	exec 4> >(exec "$CSTORE_BIN/dcmsend" --follow -v --idle 1 127.0.0.1 "$RECV_PORT" - \
		>"$W/res" 2>"$W/err")
	printf '%s\n' "$IN/f1.dcm" >&4
	wait_for_line "$W/res" $'^0000\t.*/f1\\.dcm' 10
	wait_for_line "$W/err" 'association 1 released: idle' 10
	printf '%s\n%s\n' "$IN/f2.dcm" "$IN/f3.dcm" >&4
	exec 4>&-
	wait_for_line "$W/err" 'stored, 0 with warning' 10
	[ "$(grep -c $'^0000\t' "$W/res")" -eq 3 ]
	grep -q 'association 2 released: the input ended' "$W/err"
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 3 ]
}

@test "dcmsend --remove-sent: files answered Success go, failed ones stay" {
	require_netns
	start_dcmrecv --respond-every 2:C000
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --follow --remove-sent 127.0.0.1 "$RECV_PORT" \
		"$W/spool"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 3 ]
	[ "$(grep -c $'^C000\t' <<<"$output")" -eq 3 ]
	# exactly the failed ones are left
	diff <(grep $'^C000\t' <<<"$output" | cut -f2 | sort) <(find "$W/spool" -type f | sort)
	# without --follow too
	stop_dcmrecv
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --remove-sent 127.0.0.1 "$RECV_PORT" "$W/spool"
	[ "$(find "$W/spool" -type f | wc -l)" -eq 0 ]
}

@test "dcmsend --follow --remove-sent: a name that comes again after its file was sent and removed is resumed (sent already), not unreadable, exit 0" {
	require_netns
	start_dcmrecv
	mkfifo "$W/paths"
	"$CSTORE_BIN/dcmsend" --follow --remove-sent 127.0.0.1 "$RECV_PORT" - <"$W/paths" >"$W/res" 2>"$W/err" &
	local pid=$! rc=0
	track_pid "$pid"
	exec 4>"$W/paths"
	# the spool got the instance twice while it was in flight: the pipe
	# names the file twice, the first send took the newer file and removed it
	printf '%s\n' "$W/spool/f1.dcm" >&4
	wait_for_line "$W/res" $'^0000\t.*/f1\\.dcm' 10
	[ ! -e "$W/spool/f1.dcm" ]
	printf '%s\n%s\n' "$W/spool/f1.dcm" "$W/spool/f2.dcm" >&4
	exec 4>&-
	wait "$pid" || rc=$?
	cat "$W/res" "$W/err"
	[ "$rc" -eq 0 ]
	grep -q $'^resumed\t.*/f1\\.dcm\t.*\tsent already: stored and removed (--remove-sent) since its name came again$' "$W/res"
	grep -q $'^0000\t.*/f2\\.dcm\t' "$W/res"
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 2 ]
	# a missing name this run never sent is unreadable still
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --follow --remove-sent 127.0.0.1 "$RECV_PORT" - <<<"$W/spool/f9.dcm"
	assert_output --regexp $'^unreadable\t.*/f9\\.dcm\t.*No such file or directory'
}

# bats test_tags=serial
@test "dcmsend --follow --retry-for: an unreachable peer is said once, given up after the time, exit 3, nothing removed" {
	require_netns
	port=$(free_port)
	t0=$(date +%s%N)
	run -3 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow --retry-for 2s --retry-delay 100 \
		--remove-sent 127.0.0.1 "$port" - < <(printf '%s\n' "$W"/spool/f*.dcm)
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -ge 2000 ] && [ "$ms" -lt 20000 ]
	[ "$(grep -c 'unreachable (.*): retrying for up to 2 s' <<<"$stderr")" -eq 1 ]
	assert_line --regexp $'^notsent\t.*/f1\\.dcm\t.*association failed: .*refused'
	[ "$(find "$W/spool" -type f | wc -l)" -eq 6 ]
}

# no-socket.so: socket(2) fails with EMFILE.  Retried as an unreachable
# peer is (descriptors may come back), but said as ours and exit 6, a
# local failure (before: "unreachable", exit 3).
# bats test_tags=serial
@test "dcmsend --follow --retry-for: no socket for want of descriptors is retried, said as ours, and exit 6 once given up" {
	run -6 --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/no-socket.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		timeout 30 "$CSTORE_BIN/dcmsend" --follow --retry-for 1 --retry-delay 100 \
		127.0.0.1 9 - <<<"$W/spool/f1.dcm"
	[ "$(grep -c "^dcmsend: no connection to 127.0.0.1 port 9 (cannot open a socket to connect to '127.0.0.1' port 9: Too many open files): retrying for up to 1 s$" <<<"$stderr")" -eq 1 ]
	assert_line --regexp $'^notsent\t.*/f1\\.dcm\t.*Too many open files$'
}

# The MR file comes alone: its association accepts nothing.  The CT
# file then comes and is stored: the MR file's failure is its own, exit 1
# as when both come together, not 4 (nothing acceptable at all).
# bats test_tags=serial
@test "dcmsend --follow: a class the peer lacks, alone in its association before one that stores, is nocontext and exit 1; nothing accepted at all is 4" {
	require_netns
	c=$(corpus_dir)
	start_dcmrecv --sop-class CTImageStorage
	mkfifo "$W/paths"
	"$CSTORE_BIN/dcmsend" --follow --idle 1 127.0.0.1 "$RECV_PORT" - <"$W/paths" >"$W/res" 2>"$W/err" &
	local pid=$! rc=0
	track_pid "$pid"
	exec 4>"$W/paths"
	printf '%s\n' "$c/sop/MRImageStorage.dcm" >&4
	wait_for_line "$W/res" $'MRImageStorage\\.dcm' 10
	printf '%s\n' "$c/sop/CTImageStorage.dcm" >&4
	exec 4>&-
	wait "$pid" || rc=$?
	cat "$W/res" "$W/err"
	[ "$rc" -eq 1 ]
	grep -q $'^nocontext\t.*/MRImageStorage\\.dcm\t.*\tthe peer accepted none of the 3 presentation contexts proposed$' "$W/res"
	grep -q $'^0000\t.*/CTImageStorage\\.dcm\t' "$W/res"
	run -4 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow 127.0.0.1 "$RECV_PORT" "$c/sop/MRImageStorage.dcm"
	assert_output --regexp $'^nocontext\t.*/MRImageStorage\\.dcm\t.*accepted none'
}

# The sender takes 64 paths at a time: the 8 read past those when it
# gave up were never handed to it, and get their lines from dcmsend.
# bats test_tags=serial
@test "dcmsend --follow --retry-for: giving up, every path read from stdin has its notsent line, not only those in hand" {
	require_netns
	port=$(free_port)
	for i in $(seq 12); do printf '%s\n' "$W"/spool/f*.dcm; done >"$W/list"
	run -3 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow --retry-for 1 --retry-delay 100 \
		127.0.0.1 "$port" - <"$W/list"
	[ "${#lines[@]}" -eq 72 ]
	[ "$(grep -c $'^notsent\t' <<<"$output")" -eq 72 ]
	assert_line --regexp $'^notsent\t.*/f6\\.dcm\t\t\tnot sent: the run gave up: .*refused'
	[[ $stderr == *"0 stored, 0 with warning, 72 failed"* ]]
	[ "$(find "$W/spool" -type f | wc -l)" -eq 6 ]
}

# As above, with a --resume log that has every file but f1 stored: the
# paths given up on are resumed, as the sender says for those it took,
# not notsent (before: notsent, counted failed).
# bats test_tags=serial
@test "dcmsend --follow --retry-for --resume: giving up, the paths read but not taken that the log has stored are resumed, not notsent" {
	require_netns
	port=$(free_port)
	for i in 2 3 4 5 6; do
		printf '0000\t%s\t1.2.840.10008.5.1.4.1.1.88.71\t1.2.826.0.1.3680043.10.99.%s\t\n' "$W/spool/f$i.dcm" "$i"
	done >"$W/log"
	{
		printf '%s\n' "$W/spool/f1.dcm"
		for i in $(seq 20); do printf '%s\n' "$W"/spool/f[2-6].dcm; done
	} >"$W/list"
	run -3 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow --retry-for 1 --retry-delay 100 \
		--resume "$W/log" 127.0.0.1 "$port" - <"$W/list"
	[ "${#lines[@]}" -eq 101 ]
	assert_line --regexp $'^notsent\t.*/f1\\.dcm\t.*association failed: .*refused'
	[ "$(grep -c $'^resumed\t.*/f[2-6]\\.dcm\t\t\tstored according to the resume log$' <<<"$output")" -eq 100 ]
	[[ $stderr == *"0 stored, 0 with warning, 1 failed, 100 skipped"* ]]
}

# bats test_tags=serial
@test "dcmsend --follow: a stream on stdin that cannot be read exits 2 with the reason, as a list without --follow does" {
	# before: exit 1, as if a file had not been stored
	run -2 --separate-stderr bash -c '"$0" --follow 127.0.0.1 9 - <"$1"' "$CSTORE_BIN/dcmsend" "$W"
	assert_output ""
	[[ $stderr == "dcmsend: cannot read the list of inputs: Is a directory"* ]]
	run -2 --separate-stderr bash -c '"$0" --follow 127.0.0.1 9 - <&-' "$CSTORE_BIN/dcmsend"
	[[ $stderr == "dcmsend: cannot read the list of inputs: Bad file descriptor"* ]]
}

# bats test_tags=serial
@test "dcmsend --follow: a peer out of resources (A700) is tried again until --retry-for, then the status is final" {
	require_netns
	start_dcmrecv --respond A700
	run -1 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow --retry-for 1 --retry-delay 100 \
		127.0.0.1 "$RECV_PORT" "$W/spool/f1.dcm"
	assert_output --regexp $'^A700\t.*/f1\\.dcm\t.*answered A700 on attempt [0-9]+; not sent again: still out of resources after --retry-for'
	[[ $output =~ attempt\ ([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" -ge 3 ]
}

# A file the peer refuses A7xx every time (Orthanc: A700 for a data set
# without its Study or Series Instance UID) held the stream behind it for
# --retry-for, forever by default: now at most 8 attempts, and on.
@test "dcmsend --follow: a file answered A700 every time is given up after 8 attempts; the others are sent, exit 1" {
	require_netns
	cp "$(corpus_dir)/ts/explicit-le.dcm" "$W/big.dcm"
	start_dcmrecv --max-object-size 4K
	run -1 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow --retry-delay 10 \
		127.0.0.1 "$RECV_PORT" - < <(printf '%s\n' "$W/spool/f1.dcm" "$W/big.dcm" "$W/spool/f2.dcm")
	[ "${#lines[@]}" -eq 3 ]
	assert_line --regexp $'^0000\t.*/f1\\.dcm\t'
	assert_line --regexp $'^A700\t.*/big\\.dcm\t.*Failure: Refused: out of resources; answered A700 on attempt 8; not sent again: 8 attempts at most$'
	assert_line --regexp $'^0000\t.*/f2\\.dcm\t'
	[[ $stderr == *"2 stored, 0 with warning, 1 failed"* ]]
	[ "$(grep -c 'answered A700 for' "$RECV_STDERR")" -eq 8 ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 2 ]
	# --retry sets the bound: 2 attempts
	run -1 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow --retry 1 --retry-delay 10 \
		127.0.0.1 "$RECV_PORT" - < <(printf '%s\n' "$W/big.dcm")
	assert_output --regexp $'^A700\t.*/big\\.dcm\t.*answered A700 on attempt 2; not sent again: 2 attempts at most$'
	# --retry 0 too: one attempt (it was taken for no --retry: 8)
	local n0
	n0=$(grep -c 'answered A700 for' "$RECV_STDERR")
	run -1 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow --retry 0 --retry-delay 10 \
		127.0.0.1 "$RECV_PORT" - < <(printf '%s\n' "$W/big.dcm")
	assert_output --regexp $'^A700\t.*/big\\.dcm\t'
	refute_output --partial 'attempt'
	[ "$(grep -c 'answered A700 for' "$RECV_STDERR")" -eq $((n0 + 1)) ]
}

# An archive short of room (every 2nd C-STORE answered A700) that stores
# other files between a file's A7xx answers is not refusing that file:
# it failed anyway once its requests reached the bound (--retry 2: 3;
# ~90 s by default).  Now only A7xx answers with nothing stored since
# the attempt before count.  f4 here: A700, A700 (f2 stored before it
# in that attempt), A700 (alone), then stored.
@test "dcmsend --follow: a file answered A700 while the archive stores others in between is sent until it is stored, its bound counting only answers with nothing stored in between" {
	require_netns
	start_dcmrecv --respond-every 2:A700
	run -0 --separate-stderr timeout 60 "$CSTORE_BIN/dcmsend" --follow --retry 2 --async 1 --retry-delay 10 \
		127.0.0.1 "$RECV_PORT" "$W"/spool/f{1,2,3,4,5,6}.dcm - </dev/null
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 6 ]
	[ "$(find "$RECV_DIR" -type f | wc -l)" -eq 6 ]
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$W/spool/f4.dcm") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/1.2.826.0.1.3680043.10.99.4.dcm")
	# 11 requests: 6 stored, 5 answered A700 (f4 three times)
	[ "$(grep -c 'answered A700 for' "$RECV_STDERR")" -eq 5 ]
	# with nothing stored in between the bound holds: A700 every time
	stop_dcmrecv
	start_dcmrecv --respond A700
	run -1 --separate-stderr timeout 60 "$CSTORE_BIN/dcmsend" --follow --retry 2 --async 1 --retry-delay 10 \
		127.0.0.1 "$RECV_PORT" "$W"/spool/f{1,2}.dcm - </dev/null
	[ "$(grep -c $'^A700\t.*answered A700 on attempt 3; not sent again: 3 attempts at most$' <<<"$output")" -eq 2 ]
}

# An association death compared a file's requests with the bound,
# A7xx answers with others stored in between included, which the bound
# does not count: f8 here is answered A700 three times (every 2nd
# C-STORE), others stored before each, and the association dies on its
# 4th request (the 15th C-STORE): one death and one counted A700 of
# --retry 2's three, so it is sent again, not aborted.
# bats test_tags=serial
@test "dcmsend --follow --retry 2: a death counts against a file's bound with only the A7xx answers that count, not those with others stored in between" {
	require_netns
	local i
	for i in 7 8; do
		cp "$W/spool/f1.dcm" "$W/spool/f$i.dcm"
		dcmodify -nb -m "(0008,0018)=1.2.826.0.1.3680043.10.99.$i" "$W/spool/f$i.dcm" 2>/dev/null
	done
	start_dcmrecv --respond-every 2:A700 --abort-after 15
	run -0 --separate-stderr timeout 60 "$CSTORE_BIN/dcmsend" --follow --retry 2 --async 1 --retry-delay 10 \
		127.0.0.1 "$RECV_PORT" "$W"/spool/f{1,2,3,4,5,6,7,8}.dcm - </dev/null
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 8 ]
	[ "$(find "$RECV_DIR" -type f | wc -l)" -eq 8 ]
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$W/spool/f8.dcm") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/1.2.826.0.1.3680043.10.99.8.dcm")
	# the death happened, once
	[ "$(grep -c 'association 1 ended (association aborted by the peer' <<<"$stderr")" -eq 1 ]
}

# A peer that aborts whenever one object comes: that file held the
# stream for --retry-for (forever by default), without a line.
@test "dcmsend --follow: a file the peer aborts on every time is aborted after 8 attempts; the others are sent, exit 5" {
	require_netns
	local uid
	uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$W/spool/f2.dcm" | cut -f2)
	start_dcmrecv --abort-on "$uid"
	run -5 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow --retry-delay 10 \
		127.0.0.1 "$RECV_PORT" - < <(printf '%s\n' "$W/spool/f1.dcm" "$W/spool/f2.dcm" "$W/spool/f3.dcm")
	[ "${#lines[@]}" -eq 3 ]
	assert_line --regexp $'^0000\t.*/f1\\.dcm\t'
	assert_line --regexp $'^aborted\t.*/f2\\.dcm\t.*\tno response after 8 attempts: association aborted by the peer'
	assert_line --regexp $'^0000\t.*/f3\\.dcm\t'
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 2 ]
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$W/spool/f3.dcm") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/1.2.826.0.1.3680043.10.99.3.dcm")
}

# A file given up after its last attempt is no answer: it does not
# start --retry-for's clock again for the files after it (each of which
# would then get its own attempts from a peer that answers nothing).
@test "dcmsend --follow --retry-for: a peer aborting everything is given up after the time even when a file reaches its 8 attempts first, exit 5" {
	require_netns
	start_dcmrecv --abort-after 1
	# operands: queued before the stream is read, so taken in one
	# handful (each handful has its own --retry-for: paths read from the
	# stream may come one by one, and a file alone gets its 8 attempts,
	# ~1.3 s, within it)
	run -5 --separate-stderr timeout 60 "$CSTORE_BIN/dcmsend" --follow --async 1 --retry-for 2s --retry-delay 10 \
		127.0.0.1 "$RECV_PORT" "$W/spool/f1.dcm" "$W/spool/f2.dcm" "$W/spool/f3.dcm" "$W/spool/f4.dcm" - </dev/null
	[ "${#lines[@]}" -eq 4 ]
	# f1's 8 attempts take ~1.3 s of backoff: within the 2 s unless
	# the machine is slow
	assert_line --regexp $'^aborted\t.*/f1\\.dcm\t.*(no response after 8 attempts: |the association still died after --retry-for$)'
	assert_line --regexp $'^(notsent|aborted)\t.*/f4\\.dcm\t.*the association still died after --retry-for$'
	[ "$(grep -c 'no response after 8 attempts' <<<"$output")" -le 1 ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 0 ]
}

# A peer aborting every association, or answering A700: --follow went on
# retrying (forever by default) with nothing on stderr but -v's notes,
# where an unreachable peer is said at once.  Now one line when it
# begins, while the retries go on, and one when something is stored.
@test "dcmsend --follow: a peer aborting every association is said on stderr once, while the retries go on" {
	require_netns
	start_dcmrecv --abort-after 1
	"$CSTORE_BIN/dcmsend" --follow --retry-for 60s --retry-delay 100 \
		127.0.0.1 "$RECV_PORT" "$W/spool/f1.dcm" - </dev/null >"$W/send.out" 2>"$W/send.err" &
	local pid=$! i seen=0 alive=0
	track_pid "$pid"
	for i in $(seq 1500); do
		if grep -qs 'association 1 ended' "$W/send.err"; then
			seen=1
			break
		fi
		sleep 0.02
	done
	# some retries more: the line is not repeated for each
	sleep 1
	kill -0 "$pid" 2>/dev/null && alive=1
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	[ "$seen" -eq 1 ]
	[ "$alive" -eq 1 ]
	[ "$(grep -c "^dcmsend: 127.0.0.1 port $RECV_PORT: association 1 ended (association aborted by the peer.*): sending again for up to 60 s, a file at most 8 times$" "$W/send.err")" -eq 1 ]
	[ "$(grep -c 'ended\|out of resources' "$W/send.err")" -eq 1 ]
	[ ! -s "$W/send.out" ]
}

@test "dcmsend --follow: a file the peer aborts on is said once when the aborts begin, once when a file is stored again; A700 said once; -q says neither" {
	require_netns
	local uid
	uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$W/spool/f2.dcm" | cut -f2)
	start_dcmrecv --abort-on "$uid"
	run -5 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow --async 1 --retry-delay 10 \
		127.0.0.1 "$RECV_PORT" "$W/spool/f1.dcm" "$W/spool/f2.dcm" "$W/spool/f3.dcm" - </dev/null
	assert_line --regexp $'^aborted\t.*/f2\\.dcm\t.*\tno response after 8 attempts: '
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	grep -E ': association [0-9]+ ended \(association aborted by the peer|storing again' <<<"$stderr" >"$W/states"
	[ "$(wc -l <"$W/states")" -eq 2 ]
	grep -qE "^dcmsend: 127.0.0.1 port $RECV_PORT: association [0-9]+ ended \(association aborted by the peer.*\): sending again, a file at most 8 times$" <(sed -n 1p "$W/states")
	grep -qE "^dcmsend: 127.0.0.1 port $RECV_PORT: storing again after [0-9]+ s$" <(sed -n 2p "$W/states")
	run -5 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" -q --follow --async 1 --retry-delay 10 \
		127.0.0.1 "$RECV_PORT" "$W/spool/f1.dcm" "$W/spool/f2.dcm" "$W/spool/f3.dcm" - </dev/null
	[[ $stderr != *"ended"* ]] && [[ $stderr != *"storing again"* ]]
	stop_dcmrecv
	start_dcmrecv --respond A700
	run -1 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow --retry-for 1 --retry-delay 100 \
		127.0.0.1 "$RECV_PORT" "$W/spool/f1.dcm" - </dev/null
	assert_output --regexp $'^A700\t.*/f1\\.dcm\t.*still out of resources after --retry-for'
	[ "$(grep -c "^dcmsend: 127.0.0.1 port $RECV_PORT: out of resources (status A700): sending again for up to 1 s, a file at most 8 times with nothing else stored in between$" <<<"$stderr")" -eq 1 ]
}

# The trouble line took its status from the first file ever answered
# A7xx, though stored since: f3 here is answered A701 (every 3rd
# C-STORE), then stored; big.dcm is answered A700 (--max-object-size)
# and A701, and its A700 with nothing stored is the trouble said.
@test "dcmsend --follow: the out-of-resources line says the status of a file still waiting, not of one stored since" {
	require_netns
	cp "$(corpus_dir)/ts/explicit-le.dcm" "$W/big.dcm"
	start_dcmrecv --max-object-size 4K --respond-every 3:A701
	run -1 --separate-stderr timeout 60 "$CSTORE_BIN/dcmsend" --follow --async 1 --retry 3 --retry-delay 10 \
		127.0.0.1 "$RECV_PORT" "$W"/spool/f{1,2,3}.dcm "$W/big.dcm" - </dev/null
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 3 ]
	grep -q "^dcmsend: 127.0.0.1 port $RECV_PORT: out of resources (status A700): sending again" <<<"$stderr"
	[[ $stderr != *"status A701): sending"* ]]
}

# bats test_tags=serial
@test "dcmsend --follow --retry 1: files lost to aborted associations are aborted lines and exit 5, as without --follow" {
	require_netns
	start_dcmrecv --abort-after 1
	for o in --follow ""; do
		run -5 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" $o --retry 1 --retry-delay 10 \
			127.0.0.1 "$RECV_PORT" - < <(printf '%s\n' "$W/spool/f1.dcm" "$W/spool/f2.dcm")
		assert_line --regexp $'^aborted\t.*/f1\\.dcm\t.*\tno response after 2 attempts: association aborted by the peer'
		assert_line --regexp $'^aborted\t.*/f2\\.dcm\t'
		[ "${#lines[@]}" -eq 2 ]
	done
}

# A peer that aborts every association, as one that cannot be reached:
# tried again with the backoff doubled, given up after --retry-for.
# bats test_tags=serial
@test "dcmsend --follow --retry-for: a peer aborting every association is given up after the time, exit 5" {
	require_netns
	start_dcmrecv --abort-after 1
	t0=$(date +%s%N)
	run -5 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --follow --async 1 --retry-for 2s --retry-delay 100 \
		127.0.0.1 "$RECV_PORT" - < <(printf '%s\n' "$W/spool/f1.dcm" "$W/spool/f2.dcm")
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -ge 2000 ] && [ "$ms" -lt 20000 ]
	[ "${#lines[@]}" -eq 2 ]
	assert_line --regexp $'^aborted\t.*/f1\\.dcm\t.*; not sent again: the association still died after --retry-for$'
	# f2 waited behind f1 (notsent), or came in the stream's next handful
	# and had its own --retry-for (aborted)
	assert_line --regexp $'^(notsent|aborted)\t.*/f2\\.dcm\t.*the association still died after --retry-for$'
	# 100, 200, 400, 800 ms: 4 or 5 associations in 2 s, not one every 100 ms
	[[ $output =~ after\ ([0-9]+)\ attempts ]]
	[ "${BASH_REMATCH[1]}" -ge 2 ] && [ "${BASH_REMATCH[1]}" -le 6 ]
	[ "$(find "$RECV_DIR" -type f | wc -l)" -eq 0 ]
}

# bats test_tags=serial
@test "dcmsend --limit-rate: 2 MB at 1MB takes two seconds at least" {
	require_netns
	start_dcmrecv
	c=$(corpus_dir)
	big=$(awk -F'\t' 'NR > 1 && $3 == "1.2.840.10008.1.2.1" { print $1 }' "$c/MANIFEST.tsv" |
		while read -r f; do echo "$(stat -c %s "$c/$f") $c/$f"; done | sort -n | tail -1 | cut -d' ' -f2)
	size=$(stat -c %s "$big")
	n=$(((2000000 + size - 1) / size))
	files=()
	for i in $(seq "$n"); do files+=("$big"); done
	t0=$(date +%s%N)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --limit-rate 1MB 127.0.0.1 "$RECV_PORT" "${files[@]}"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "$((n * size)) bytes in $ms ms" >&3
	[ "$ms" -ge $((n * size * 9 / 10 / 1000)) ]
}

# router_cmd: the ExecStart of contrib/systemd/dcmrouter.service as argv
# (ROUTER), with our programs for the installed ones.
router_cmd() {
	local line
	line=$(sed -n 's/^ExecStart=//p' "$CSTORE_ROOT/contrib/systemd/dcmrouter.service")
	line=${line//\$\$/\$}
	line=${line//\/usr\/bin\/cstore-/$CSTORE_BIN/}
	eval "ROUTER=($line)"
}

# router_spool_first [filter]: the router's command under socket
# activation (with filter: under the service's SystemCallFilter=, as
# systemd applies it) sends the spool it finds first, then what arrives.
router_spool_first() {
	require_netns
	require_cmd systemd-socket-activate
	SYSCALL_FILTER=()
	[ "${1:-}" != filter ] || unit_syscall_filter "$CSTORE_ROOT/contrib/systemd/dcmrouter.service"
	start_dcmrecv
	router_cmd
	# two files an earlier run left in the spool; beside them dcmrecv's
	# own: a commitment index, and the named temporary file (no
	# O_TMPFILE: NFS) of an object a killed receiver was receiving, cut
	# where no parser can tell (here: whole f5), last written in 2000
	mkdir -p "$W/rs"
	cp "$IN/f1.dcm" "$IN/f2.dcm" "$W/rs/"
	printf 'x\n' >"$W/rs/.cstore-index"
	cp "$IN/f5.dcm" "$W/rs/.cstore-tmp-00000000.4026531836.4242.4242.abcdefghijkl"
	touch -d 2000-01-01 "$W/rs/.cstore-tmp-00000000.4026531836.4242.4242.abcdefghijkl"
	start_on_free_port "$W/router.log" systemd-socket-activate -l "127.0.0.1:{PORT}" \
		-E ARCHIVE_AET=ANY -E ARCHIVE_HOST=127.0.0.1 -E ARCHIVE_PORT="$RECV_PORT" -E SPOOL="$W/rs" \
		"${SYSCALL_FILTER[@]}" "${ROUTER[@]}"
	"$CSTORE_BIN/dcmsend" -q 127.0.0.1 "$SERVER_PORT" "$IN/f3.dcm" "$IN/f4.dcm"
	for _ in $(seq 100); do
		[ "$(ls "$RECV_DIR" | wc -l)" -eq 4 ] && [ -z "$(ls "$W/rs")" ] && break
		sleep 0.1
	done
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 4 ]
	[ -z "$(ls "$W/rs")" ]
	# dcmrecv's own files were never sent (nor tried): its sweep took
	# the dead receiver's temporary file, the index stays
	[ ! -e "$RECV_DIR/1.2.826.0.1.3680043.10.99.5.dcm" ]
	run grep -F '/.cstore-' "$W/router.log"
	assert_output ''
	[ "$(ls -A "$W/rs")" = .cstore-index ]
	# the socket's owner is dcmrecv itself (LISTEN_PID), and the log has a line per file
	listens "$SERVER_PORT" "$SERVER_PID"
	[ "$(grep -c $'^0000\t' "$W/router.log")" -eq 4 ]
	[ "$(grep $'^0000\t' "$W/router.log" | head -2 | cut -f2 | xargs -n1 basename | sort | tr '\n' ' ')" = "f1.dcm f2.dcm " ]
}

@test "contrib/systemd/dcmrouter.service: its command under socket activation sends the spool first, then what arrives" {
	router_spool_first
}

# dcmrecv confines itself (Landlock, seccomp: calls outside
# @system-service); under the unit's filter as it was, systemd killed it
# at its start (SIGSYS) and restarted the router for ever
@test "contrib/systemd/dcmrouter.service: the same under the service's SystemCallFilter=" {
	router_spool_first filter
	run grep -i -e sandbox -e 'bad system call' "$W/router.log"
	assert_output ''
}

@test "contrib/systemd dcmrouter units: systemd-analyze verify is clean" {
	require_cmd systemd-analyze
	local root=$BATS_TEST_TMPDIR/root
	[ -d /lib/systemd/system ] || skip "no systemd unit directory to verify against"
	mkdir -p "$root/usr/bin" "$root/etc/systemd/system" "$root/lib/systemd" "$root/man/man1" "$root/bin"
	cp -r /lib/systemd/system "$root/lib/systemd/"
	cp "$CSTORE_BIN/dcmrecv" "$root/usr/bin/cstore-dcmrecv"
	cp "$CSTORE_BIN/dcmsend" "$root/usr/bin/cstore-dcmsend"
	cp /bin/bash "$root/bin/bash"
	cp "$CSTORE_ROOT/man/dcmrecv.1" "$root/man/man1/cstore-dcmrecv.1"
	cp "$CSTORE_ROOT/man/dcmsend.1" "$root/man/man1/cstore-dcmsend.1"
	cp "$CSTORE_ROOT"/contrib/systemd/dcmrouter.s* "$root/etc/systemd/system/"
	cd "$root/etc/systemd/system"
	MANPATH=$root/man run -0 --separate-stderr systemd-analyze verify --root="$root" \
		dcmrouter.socket dcmrouter.service
	if [[ $stderr == *"Failed to"*"connect"* || $stderr == *"Permission denied"* ]]; then
		skip "systemd-analyze cannot run here: $stderr"
	fi
	[ -z "$stderr" ] || { echo "$stderr" >&2; false; }
	grep -qx 'KillMode=mixed' dcmrouter.service
	grep -qx 'ProtectSystem=strict' dcmrouter.service
}
