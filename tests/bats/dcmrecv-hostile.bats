#!/usr/bin/env bats
# dcmrecv against hostile clients (tests/tools/hostile, from 127.0.0.1):
# idle connections, slow loris, huge lengths, PDV floods, connect/close
# churn, a never-ending data set, a descriptor limit.  In each case a
# legitimate C-ECHO and C-STORE from another loopback address
# (127.0.0.2) succeed within 2 s, the object arrives byte for byte, and
# the receiver's descriptors and threads come back to their start values
# (its resident size to within 8 MB: malloc keeps some of what it freed).

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
CLS=1.2.840.10008.5.1.4.1.1.7
INST=2.25.314159265358979323846264338327950
ECHO_CLS=1.2.840.10008.1.1
IVR=1.2.840.10008.1.2
EVR=1.2.840.10008.1.2.1

setup() {
	require_netns
	[ -x "$CSTORE_TOOLS/hostile" ] || skip "tests/tools/hostile not built"
	DS=$BATS_TEST_TMPDIR/ds
	ds_file "$FIX" "$DS"
	RQ=$(assoc_rq ANY-SCP HOSTILE "$CLS" "$IVR")
	CMD=$(pdata 03 "$(cstore_rq "$CLS" 2.25.1 1)")
}

# legit: a C-ECHO then a C-STORE from 127.0.0.2, each answered 0000,
# both within 2 s; the stored data set is the one sent.
legit() {
	local ms
	rm -f "$RECV_DIR/$INST.dcm"
	run -0 "$CSTORE_TOOLS/hostile" -b 127.0.0.2 "$RECV_PORT" legit \
		"$(assoc_rq ANY-SCP LEGIT "$ECHO_CLS" "$IVR")" "$(pdata 03 "$(cecho_rq 1)")" \
		"$(assoc_rq ANY-SCP LEGIT "$CLS" "$EVR")" \
		"$(pdata 03 "$(cstore_rq "$CLS" "$INST" 2)")$(pdata 02 "$(od -An -tx1 -v "$DS" | tr -d ' \n')")"
	[[ "$output" =~ ^echo\ 0000\ store\ 0000\ ([0-9]+)\ ms$ ]] || { echo "legit: $output" >&2; return 1; }
	ms=${BASH_REMATCH[1]}
	[ "$ms" -lt 2000 ] || { echo "legit took $ms ms" >&2; return 1; }
	cmp <(dataset_of "$RECV_DIR/$INST.dcm") "$DS"
}

# usage: fds threads rss_kb of the receiver
usage() {
	echo "$(ls /proc/"$RECV_PID"/fd | wc -l) $(awk '/^Threads:/ { print $2 }' /proc/"$RECV_PID"/status) $(awk '/^VmRSS:/ { print $2 }' /proc/"$RECV_PID"/status)"
}

# baseline: after one legitimate round (malloc's arenas warmed)
baseline() {
	legit
	sleep 0.3
	BASE=($(usage))
}

# accepted: the receiver has taken every connection made so far off its
# listening socket's queue (ss: a listener's Recv-Q), within 10 s
accepted() {
	local i q
	for i in $(seq 100); do
		q=$(ss -Hltn "sport = :$RECV_PORT" | awk '{ print $2; exit }')
		[ "$q" = 0 ] && return 0
		sleep 0.1
	done
	echo "accept queue of :$RECV_PORT: '$q'" >&2
	return 1
}

# back_to_baseline [SECONDS]: descriptors and threads as at the start
# within SECONDS (20), resident size within 8 MB of it
back_to_baseline() {
	local now i
	for i in $(seq $((${1:-20} * 10))); do
		now=($(usage))
		[ "${now[0]}" -eq "${BASE[0]}" ] && [ "${now[1]}" -eq "${BASE[1]}" ] && break
		sleep 0.1
	done
	echo "start ${BASE[*]}, end ${now[*]} (fds threads rss_kb)" >&3
	[ "${now[0]}" -eq "${BASE[0]}" ] || { echo "fds: ${BASE[0]} -> ${now[0]}" >&2; return 1; }
	[ "${now[1]}" -eq "${BASE[1]}" ] || { echo "threads: ${BASE[1]} -> ${now[1]}" >&2; return 1; }
	# AddressSanitizer keeps freed memory in quarantine: no bound there
	ldd "$CSTORE_BIN/dcmrecv" 2>/dev/null | grep -q libasan && return 0
	[ "${now[2]}" -le $((BASE[2] + 8192)) ] || { echo "rss: ${BASE[2]} -> ${now[2]} kB" >&2; return 1; }
}

# wait_line FILE TEXT: FILE has a line matching TEXT within 10 s
wait_line() {
	local i
	for i in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no '$2' in $1" >&2
	return 1
}

# hostile_bg OUT ARGS...: the hostile tool in the background (HPID)
hostile_bg() {
	local out=$1
	shift
	"$CSTORE_TOOLS/hostile" "$RECV_PORT" "$@" >"$out" 2>&1 &
	HPID=$!
	track_pid "$HPID"
}

# hostile_wait: its exit status, at most 60 s
hostile_wait() {
	local i
	for i in $(seq 600); do
		kill -0 "$HPID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$HPID"
}

@test "dcmrecv --help and the man page name --max-per-host" {
	run -0 "$CSTORE_BIN/dcmrecv" --help
	assert_output --partial "--max-per-host N"
	grep -q 'Fl -max-per-host' "$BATS_TEST_DIRNAME/../../man/dcmrecv.1"
	run -2 "$CSTORE_BIN/dcmrecv" --max-per-host 0 127.0.0.1:0
}

@test "dcmrecv hostile: 300 idle connections hold no slot; a legitimate peer is served, all 300 are closed" {
	start_dcmrecv
	baseline
	hostile_bg "$BATS_TEST_TMPDIR/h" idle 300 14
	wait_line "$BATS_TEST_TMPDIR/h" "300 open"
	legit
	sleep 1
	legit
	hostile_wait
	grep -q "^300 closed by the receiver, 0 still open" "$BATS_TEST_TMPDIR/h" || { cat "$BATS_TEST_TMPDIR/h" >&2; false; }
	back_to_baseline
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv hostile: 60 slow loris (before and after the RQ) are closed by their deadlines; --max-per-host keeps slots free" {
	start_dcmrecv -t 4 --max-per-host 8 -v
	baseline
	hostile_bg "$BATS_TEST_TMPDIR/h" loris 60 20 "$RQ"
	wait_line "$BATS_TEST_TMPDIR/h" "60 dribbling"
	legit
	hostile_wait
	grep -q "^60 closed by the receiver, 0 still open" "$BATS_TEST_TMPDIR/h" || { cat "$BATS_TEST_TMPDIR/h" >&2; false; }
	grep -q "too slow: .* aborting" "$RECV_STDERR" || { cat "$RECV_STDERR" >&2; false; }
	grep -q "rejected: local limit exceeded (8 associations from 127.0.0.1 at once, --max-per-host)" "$RECV_STDERR"
	back_to_baseline
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv hostile: a connection closed to make room hears a transient A-ASSOCIATE-RJ (local limit exceeded), not a bare close" {
	local got
	start_dcmrecv -v
	raw_connect "$RECV_PORT"
	# older than the young time of its address's share (1 s) by the
	# receiver's clock, which starts at its accept: then 20 more from
	# the same address, past its share of 16
	accepted
	sleep 1.1
	hostile_bg "$BATS_TEST_TMPDIR/h" idle 20 3
	wait_line "$BATS_TEST_TMPDIR/h" "20 open"
	got=$(raw_read_hex 5)
	raw_close
	# A-ASSOCIATE-RJ: rejected-transient (2), service provider
	# (presentation) (3), local-limit-exceeded (2)
	[ "$got" = 03000000000400020302 ] || { echo "got '$got'" >&2; false; }
	hostile_wait
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv hostile: a young burst that fills the budget of connections before their RQ closes its own, not another address's waiting connection" {
	start_dcmrecv -v
	"$CSTORE_TOOLS/hostile" -b 127.0.0.2 "$RECV_PORT" idle 1 6 >"$BATS_TEST_TMPDIR/b" 2>&1 &
	local bpid=$! st=0
	track_pid "$bpid"
	wait_line "$BATS_TEST_TMPDIR/b" "1 open"
	accepted
	# 140 at once from 127.0.0.1, past the budget of 128, none of them
	# old enough (1 s) for their address's share to be enforced
	hostile_bg "$BATS_TEST_TMPDIR/h" idle 140 2
	wait_line "$BATS_TEST_TMPDIR/h" "140 open"
	hostile_wait
	grep -q "^1[2-9] closed by the receiver" "$BATS_TEST_TMPDIR/h" || { cat "$BATS_TEST_TMPDIR/h" >&2; false; }
	wait "$bpid" || st=$?
	[ "$st" -eq 0 ]
	grep -q "^0 closed by the receiver, 1 still open" "$BATS_TEST_TMPDIR/b" || { cat "$BATS_TEST_TMPDIR/b" >&2; false; }
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv hostile: PDU lengths near 4 GiB are refused at once" {
	start_dcmrecv
	baseline
	hostile_bg "$BATS_TEST_TMPDIR/h" huge "$RQ"
	legit
	hostile_wait
	grep -q "^rq closed, unknown closed, p-data closed" "$BATS_TEST_TMPDIR/h" || { cat "$BATS_TEST_TMPDIR/h" >&2; false; }
	back_to_baseline
	stop_dcmrecv
}

@test "dcmrecv hostile: a message of one-byte PDVs is aborted as abusive" {
	start_dcmrecv
	baseline
	hostile_bg "$BATS_TEST_TMPDIR/h" pdv "$RQ" "$CMD" 2000000
	legit
	hostile_wait
	grep -q "then an A-ABORT" "$BATS_TEST_TMPDIR/h" || { cat "$BATS_TEST_TMPDIR/h" >&2; false; }
	grep -q "aborting as abusive" "$RECV_STDERR"
	no_temporaries "$RECV_DIR"
	back_to_baseline
	stop_dcmrecv
}

@test "dcmrecv hostile: 15,000 connect/close cycles cost nothing" {
	start_dcmrecv
	baseline
	hostile_bg "$BATS_TEST_TMPDIR/h" churn 15000
	legit
	hostile_wait
	grep -q "^15000 connections" "$BATS_TEST_TMPDIR/h"
	legit
	back_to_baseline
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv hostile: 1000 connections while it takes none (stopped) wait in its accept queue, none dropped; then it serves" {
	local rc=0
	start_dcmrecv
	baseline
	# a receiver busy or starved of CPU accepts late: the kernel queues
	# what it has not taken, up to its listen backlog.  With 128, the
	# 130th client's SYN was dropped and sent again 1 s later (3 s, 7 s
	# ...): 2000 churned connections took 10 s on a loaded machine
	# instead of 0.5 s, and here, stopped, they never finish
	kill -STOP "$RECV_PID"
	timeout 10 "$CSTORE_TOOLS/hostile" "$RECV_PORT" churn 1000 >"$BATS_TEST_TMPDIR/h" 2>&1 || rc=$?
	kill -CONT "$RECV_PID"
	[ "$rc" -eq 0 ] || { echo "churn 1000 against a stopped receiver: status $rc" >&2; return 1; }
	grep -q "^1000 connections" "$BATS_TEST_TMPDIR/h"
	legit
	back_to_baseline
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv hostile: a never-ending data set does not hold up others and leaves nothing behind" {
	start_dcmrecv
	baseline
	hostile_bg "$BATS_TEST_TMPDIR/h" endless "$RQ" "$CMD" 200
	legit
	hostile_wait
	grep -q "^209715200 bytes" "$BATS_TEST_TMPDIR/h" || { cat "$BATS_TEST_TMPDIR/h" >&2; false; }
	back_to_baseline
	no_temporaries "$RECV_DIR"
	[ "$(ls -A "$RECV_DIR")" = "$INST.dcm" ]
	stop_dcmrecv
}

@test "dcmrecv hostile: out of descriptors (EMFILE), the oldest connections without an RQ go and a legitimate peer is served" {
	start_dcmrecv -v
	baseline
	# a limit that idle connections reach before the pending budget does
	prlimit --pid "$RECV_PID" --nofile=$((BASE[0] + 8)):$((BASE[0] + 8))
	hostile_bg "$BATS_TEST_TMPDIR/h" idle 100 12
	wait_line "$BATS_TEST_TMPDIR/h" "100 open"
	wait_line "$RECV_STDERR" "Too many open files"
	legit
	legit
	hostile_wait
	back_to_baseline
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}
