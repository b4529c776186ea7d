#!/usr/bin/env bats
# dcmrecv confines itself once listening (no_new_privs, Landlock, a
# seccomp allow-list), gives up root with --user, and runs --exec
# commands from a helper forked before the confinement, at most
# --exec-jobs at once, every failure reported, also after --grace.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
CLS=1.2.840.10008.5.1.4.1.1.7
INST=2.25.314159265358979323846264338327950

setup() {
	DS=$BATS_TEST_TMPDIR/ds
	ds_file "$FIX" "$DS"
	USER_DIR=
}

teardown() {
	stop_tracked
	[ -z "$USER_DIR" ] || rm -rf "$USER_DIR"
}

# The value of field $2 in /proc/$1/status.
proc_status() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | head -n1; }

# One C-STORE on a new association; the object arrived intact.
store_one() {
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
}

@test "dcmrecv: a running receiver shows Seccomp: 2 and NoNewPrivs: 1, and still stores bit for bit" {
	start_dcmrecv -v
	wait_for_line "$RECV_STDERR" "confined: no_new_privs, Landlock ABI [0-9]+, seccomp allow-list"
	[ "$(proc_status "$RECV_PID" Seccomp)" = 2 ]
	[ "$(proc_status "$RECV_PID" NoNewPrivs)" = 1 ]
	store_one
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -q 127.0.0.1 "$RECV_PORT" "$FIX"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 2 ]
	no_temporaries "$RECV_DIR"
}

@test "dcmrecv --no-sandbox: no filter, no no_new_privs" {
	start_dcmrecv -v --no-sandbox
	raw_associate "$RECV_PORT" "$CLS"
	raw_release
	[ "$(proc_status "$RECV_PID" Seccomp)" = 0 ]
	[ "$(proc_status "$RECV_PID" NoNewPrivs)" = 0 ]
	stop_dcmrecv
	refute grep -q "confined:" "$RECV_STDERR"
}

@test "dcmrecv on a kernel without Landlock or seccomp filters: says so once each, goes on confined as far as it can" {
	local wrap=$CSTORE_TOOLS/no-sandbox-kernel
	[ -x "$wrap" ] || skip "no $wrap (make test-tools)"
	mkdir -p "$BATS_TEST_TMPDIR/out"
	"$wrap" -l -s "$CSTORE_BIN/dcmrecv" -v -o "$BATS_TEST_TMPDIR/out" \
		--sandbox-probe "$BATS_TEST_TMPDIR/outside" \
		--port-file "$BATS_TEST_TMPDIR/recv.port" 127.0.0.1:0 \
		>"$BATS_TEST_TMPDIR/recv.out" 2>"$BATS_TEST_TMPDIR/recv.err" &
	RECV_PID=$!
	track_pid "$RECV_PID"
	RECV_DIR=$BATS_TEST_TMPDIR/out RECV_STDOUT=$BATS_TEST_TMPDIR/recv.out
	RECV_STDERR=$BATS_TEST_TMPDIR/recv.err
	wait_for_line "$RECV_STDERR" "confined: no_new_privs, Landlock off, seccomp off"
	RECV_PORT=$(cat "$BATS_TEST_TMPDIR/recv.port")
	# the wrapper's ENOSYS comes from a seccomp filter, which dcmrecv
	# cannot tell from a kernel without Landlock, and says so
	[ "$(grep -c "sandbox: no Landlock in this kernel, or refused by an outer filter (systemd SystemCallFilter=?): going on without it" "$RECV_STDERR")" -eq 1 ]
	[ "$(grep -c "sandbox: this kernel has no seccomp filters: going on without it" "$RECV_STDERR")" -eq 1 ]
	# unconfined there: the probe's file is made (and removed)
	grep -q "sandbox probe: created" "$RECV_STDERR"
	[ "$(proc_status "$RECV_PID" NoNewPrivs)" = 1 ]
	store_one
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# only Landlock missing: seccomp still refuses
	"$wrap" -l "$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR/out" \
		--sandbox-probe "$BATS_TEST_TMPDIR/outside" 127.0.0.1:0 \
		>/dev/null 2>"$BATS_TEST_TMPDIR/recv2.err" &
	RECV_PID=$!
	track_pid "$RECV_PID"
	wait_for_line "$BATS_TEST_TMPDIR/recv2.err" "sandbox probe: created .*; getpriority refused"
	grep -q "no Landlock in this kernel, or refused by an outer filter (systemd SystemCallFilter=?): going on without it" "$BATS_TEST_TMPDIR/recv2.err"
	stop_dcmrecv
}

@test "dcmrecv --sandbox-probe: the kernel refuses a file outside the output directory and a call off the list; the receiver goes on" {
	local outside=$BATS_TEST_TMPDIR/outside
	start_dcmrecv --sandbox-probe "$outside"
	wait_for_line "$RECV_STDERR" "sandbox probe: refused to create '$outside': Permission denied; getpriority refused"
	[ ! -e "$outside" ]
	store_one
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# the same probe without the sandbox: the file is made (and removed)
	start_dcmrecv --no-sandbox --sandbox-probe "$outside"
	wait_for_line "$RECV_STDERR" "sandbox probe: created '$outside': writes outside the output directory are NOT refused; getpriority NOT refused"
	stop_dcmrecv
}

@test "dcmrecv: confined, an --exec command still writes outside the output directory (the helper is not confined)" {
	mkdir "$BATS_TEST_TMPDIR/copies"
	start_dcmrecv -v --exec sh -c 'cp "$1" "$2" && echo ran as $(id -u)' sh '{}' "$BATS_TEST_TMPDIR/copies/" ';'
	wait_for_line "$RECV_STDERR" "confined:"
	store_one
	wait_for_line "$RECV_STDERR" "^ran as "
	cmp "$RECV_DIR/$INST.dcm" "$BATS_TEST_TMPDIR/copies/$INST.dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

# bats test_tags=serial
@test "dcmrecv --exec-jobs 2: never more than 2 commands at once, the rest queued, every one run and its end reported (-v)" {
	local d=$BATS_TEST_TMPDIR/jobs i
	mkdir -p "$d/running"
	# each command says it started, holds a file while it runs, and runs
	# until the test lets it end (30 s at most): held so, two run and
	# the other four wait, however slowly the objects come (a 1.5 s
	# sleep each was over before the next object on a loaded machine)
	start_dcmrecv -v --exec-jobs 2 --exec sh -c \
		'echo x >>"$1/started"; touch "$1/running/$$"; i=0; while [ ! -e "$1/go" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done; rm "$1/running/$$"; echo x >>"$1/done"' \
		sh "$d" ';'
	raw_associate "$RECV_PORT" "$CLS"
	for i in 1 2 3 4 5 6; do
		raw_cstore "$CLS" "$INST" "$DS" "$i"
		[ "$RAW_STATUS" = 0000 ]
	done
	raw_release
	for i in $(seq 200); do
		[ "$(ls "$d/running" | wc -l)" -ge 2 ] && break
		sleep 0.05
	done
	# two at once, never three: a third would have started by now
	sleep 0.5
	[ "$(ls "$d/running" | wc -l)" -eq 2 ]
	[ "$(wc -l <"$d/started")" -eq 2 ]
	touch "$d/go"
	for i in $(seq 150); do
		[ "$(wc -l <"$d/done" 2>/dev/null || echo 0)" -ge 6 ] && break
		sleep 0.1
	done
	[ "$(wc -l <"$d/done")" -eq 6 ]
	for i in $(seq 50); do
		[ "$(grep -c "exec for '.*' exited with status 0" "$RECV_STDERR")" -ge 6 ] && break
		sleep 0.1
	done
	[ "$(grep -c "exec for '.*$INST.dcm' exited with status 0" "$RECV_STDERR")" -eq 6 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

# bats test_tags=serial
@test "dcmrecv --grace: a command that fails after the grace time is still reported" {
	local t0 go=$BATS_TEST_TMPDIR/go
	# the command runs until the test lets it end (20 s at most), so it
	# is still running when dcmrecv stops however slow the machine: a
	# stop that waited for it would take 20 s, one that does not about
	# the grace (1 s)
	start_dcmrecv --grace 1 --exec sh -c \
		'i=0; while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done; exit 4' \
		sh "$go" ';'
	store_one
	t0=$(now_ms)
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ $(($(now_ms) - t0)) -lt 3000 ]
	grep -q "1 --exec commands running or queued" "$RECV_STDERR"
	# the helper reports it when it ends, after dcmrecv has gone
	touch "$go"
	wait_for_line "$RECV_STDERR" "exec for '.*$INST.dcm' exited with status 4" 10
}

@test "dcmrecv --user NAME that does not exist: a usage error before the port is bound (no 'listening on', no port file)" {
	# before: "listening on ..." and the port file, then exit 2
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --user no-such-user-here -o "$BATS_TEST_TMPDIR" \
		--port-file "$BATS_TEST_TMPDIR/p" 127.0.0.1:0
	assert_output ""
	[ "${stderr_lines[0]}" = "dcmrecv: --user 'no-such-user-here': no such user" ]
	[[ $stderr != *"listening on"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/p" ]
}

@test "dcmrecv --user: root given up after the bind; the output directory must be writable by that user" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	# a directory the user can reach (the test's own is root's alone)
	RECV_DIR=$(mktemp -d /tmp/dcmrecv-user.XXXXXX)
	USER_DIR=$RECV_DIR
	chmod 755 "$RECV_DIR"
	run -6 --separate-stderr "$CSTORE_BIN/dcmrecv" --user nobody -o "$RECV_DIR" \
		--port-file "$BATS_TEST_TMPDIR/p" 127.0.0.1:0
	[[ $stderr == *"--user 'nobody': cannot write the output directory"* ]]
	# not serving: no port file left to mislead a script
	[ ! -e "$BATS_TEST_TMPDIR/p" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --user no-such-user-here -o "$RECV_DIR" 127.0.0.1:0
	[[ $stderr == *"no such user"* ]]
	chown nobody "$RECV_DIR"
	start_dcmrecv --user nobody --exec sh -c 'echo hook uid $(id -u)' ';'
	raw_associate "$RECV_PORT" "$CLS"
	raw_release
	[ "$(proc_status "$RECV_PID" Uid | awk '{print $1, $2, $3, $4}')" = "65534 65534 65534 65534" ]
	[ "$(proc_status "$RECV_PID" Groups)" != 0 ]
	store_one
	[ "$(stat -c %u "$RECV_DIR/$INST.dcm")" -eq 65534 ]
	wait_for_line "$RECV_STDERR" "^hook uid 65534$"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv: a time zone file outside the sandbox's paths (TZ=/path) still dates {Date} in --layout, not UTC" {
	local z tz day got a b
	mkdir -p "$BATS_TEST_TMPDIR/tz"
	# UTC+14 and UTC-12: at any hour one of them is on another day than UTC
	for z in Pacific/Kiritimati Etc/GMT+12; do
		[ -f "/usr/share/zoneinfo/$z" ] || skip "no /usr/share/zoneinfo/$z"
		tz=$BATS_TEST_TMPDIR/tz/${z//\//-}
		cp "/usr/share/zoneinfo/$z" "$tz"
		RECV_DIR=$BATS_TEST_TMPDIR/out-${z//\//-}
		a=$(TZ=$tz date +%Y%m%d)
		TZ=$tz start_dcmrecv --layout '{Date}/{SOPInstanceUID}.dcm'
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
		b=$(TZ=$tz date +%Y%m%d)
		stop_dcmrecv
		# before: read after the confinement, the file was refused and
		# the day was UTC's
		got=$(ls "$RECV_DIR")
		[ "$got" = "$a" ] || [ "$got" = "$b" ] || { echo "$z: {Date} $got, the zone says $a" >&2; return 1; }
		[ -f "$RECV_DIR/$got/$INST.dcm" ]
	done
}
