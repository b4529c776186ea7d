#!/usr/bin/env bats
# The router of man/dcmsend.1 (ROUTING): DCMTK storescu -> our dcmrecv -0
# -> dcmsend --follow -0 --remove-sent -> DCMTK storescp +B, with 500
# generated files (one of another SOP class in the middle).  What the
# archive holds is compared, file by file (sha256 of the whole file),
# with what a reference storescp +B got from storescu directly: both
# write what they received with the same meta header (the sender's AE
# title is STORESCU for both).  Duplicates show in the archive's log (one
# "Received Store Request" per request) and in dcmsend's result lines.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

N=500
CT=1.2.840.10008.5.1.4.1.1.2
MR=1.2.840.10008.5.1.4.1.1.4

setup_file() {
	[ -x /usr/bin/storescp ] && [ -x /usr/bin/storescu ] || return 0
	[ "${CSTORE_NETNS:-}" = 1 ] || return 0
	export GEN=$BATS_FILE_TMPDIR/gen
	/usr/bin/python3 "$BATS_TEST_DIRNAME/router-gen.py" "$GEN" "$N" 250
}

setup() {
	require_netns
	require_cmd /usr/bin/storescu
	require_cmd /usr/bin/storescp
	[ -f "$GEN/f0499.dcm" ] || skip "python3-pydicom not installed"
	W=$BATS_TEST_TMPDIR
	# a long spool name: 500 paths are more than a pipe's 64 KiB, so a
	# dcmsend that stopped reading would block dcmrecv's output
	SPOOL=$W/spool-$(printf 'x%.0s' $(seq 150))
	ARCH=$W/archive
	mkdir -p "$SPOOL" "$ARCH" "$W/ref"
	# the reference: storescu's bytes as storescp +B writes them
	start_storescp "$W/ref" +B -pm
	TCP_NODELAY=1 /usr/bin/storescu -nh 127.0.0.1 "$SCP_PORT" "$GEN" +sd \
		>"$W/ref-scu.log" 2>&1
	[ "$(ls "$W/ref" | wc -l)" -eq "$N" ]
	kill "$SCP_PID"
	wait "$SCP_PID" 2>/dev/null || true
}

# start_archive PORT LOG: storescp +B -v on PORT (sets ARCH_PID); a
# fresh port when PORT is empty (sets ARCH_PORT).
start_archive() {
	if [ -z "$1" ]; then
		start_on_free_port "$2" env TCP_NODELAY=1 /usr/bin/storescp -v +B -pm \
			-od "$ARCH" "{PORT}" || return 1
		ARCH_PORT=$SERVER_PORT ARCH_PID=$SERVER_PID
		return 0
	fi
	TCP_NODELAY=1 /usr/bin/storescp -v +B -pm -od "$ARCH" "$1" >"$2" 2>&1 &
	ARCH_PID=$!
	track_pid "$ARCH_PID"
	wait_for_port "$1" "$ARCH_PID" 10
}

stop_pid() {
	kill -"${2:-TERM}" "$1" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	wait "$1" 2>/dev/null || true
}

# start_router [RES [dcmsend options...]]: dcmrecv -0 into the spool, its
# paths through a FIFO to dcmsend --follow; sets RECV_PORT, RECV_PID,
# SEND_PID.  Results in RES ($W/res), dcmsend's stderr in RES.err.
start_router() {
	local res=${1:-$W/res} pf=$W/recv.port fifo=$W/paths.$RANDOM
	shift
	mkfifo "$fifo"
	rm -f "$pf"
	"$CSTORE_BIN/dcmsend" --follow -0 --remove-sent -v -a STORESCU \
		--retry-delay 100 --idle 60 "$@" 127.0.0.1 "$ARCH_PORT" - \
		<"$fifo" >"$res" 2>"$res.err" &
	SEND_PID=$!
	track_pid "$SEND_PID"
	"$CSTORE_BIN/dcmrecv" -0 -o "$SPOOL" --port-file "$pf" 127.0.0.1:0 \
		>"$fifo" 2>"$W/recv.err" &
	RECV_PID=$!
	track_pid "$RECV_PID"
	RECV_PORT=$(port_from "$pf")
	[ -n "$RECV_PORT" ]
}

# port_from FILE: the port dcmrecv wrote there (5 s at most).
port_from() {
	for _ in $(seq 100); do
		[ -s "$1" ] && break
		sleep 0.05
	done
	cat "$1"
}

# feed FILE...: storescu sends them to dcmrecv (one association, 60 s
# at most: a dcmrecv blocked on its output would hold it forever).
feed() {
	TCP_NODELAY=1 timeout 60 /usr/bin/storescu -nh 127.0.0.1 "$RECV_PORT" "$@" >>"$W/scu.log" 2>&1
}

# wait_count DIR N SECONDS: until DIR holds N files.
wait_count() {
	for _ in $(seq $(($3 * 10))); do
		[ "$(find "$1" -type f | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "$1 holds $(find "$1" -type f | wc -l) files, want $2" >&2
	return 1
}

# same_as_ref: the archive holds exactly the reference's N files, byte
# for byte.
same_as_ref() {
	(cd "$W/ref" && sha256sum * | sort) >"$W/ref.sums"
	(cd "$ARCH" && sha256sum * | sort) >"$W/arch.sums"
	diff "$W/ref.sums" "$W/arch.sums" >&2
	[ "$(wc -l <"$W/arch.sums")" -eq "$N" ]
}

# requests LOG...: C-STORE requests the archive received.
requests() {
	cat "$@" | grep -c 'Received Store Request' || true
}

# stored_uids RES: the SOP Instance UIDs dcmsend reported stored.
stored_uids() {
	awk -F'\t' '$1 == "0000" { print $4 }' "$@" | sort
}

@test "router: 500 files through dcmrecv and dcmsend --follow arrive byte for byte, the spool ends empty, a new SOP class mid-stream gets through" {
	start_archive "" "$W/arch.log"
	start_router "$W/res"
	feed "$GEN"/f0*.dcm
	wait_count "$ARCH" "$N" 60
	# the last results are written as the archive answers: wait for them
	for _ in $(seq 100); do
		[ "$(wc -l <"$W/res")" -ge "$N" ] && break
		sleep 0.1
	done
	[ "$(grep -c $'^0000\t' "$W/res")" -eq "$N" ]
	[ "$(wc -l <"$W/res")" -eq "$N" ]
	same_as_ref
	[ "$(find "$SPOOL" -type f | wc -l)" -eq 0 ]
	[ "$(requests "$W/arch.log")" -eq "$N" ]
	# the MR image made dcmsend open an association proposing both
	grep -q "a new SOP class or transfer syntax came" "$W/res.err"
	[ "$(grep -c $'^0000\t.*\t'"$MR"$'\t' "$W/res")" -eq 1 ]
	# one association per class set: CT, then CT + MR
	[ "$(grep -c '^dcmsend: association [0-9]*: 127.0.0.1' "$W/res.err")" -eq 2 ]
	stop_pid "$RECV_PID"
	stop_pid "$SEND_PID"
}

# bats test_tags=serial
@test "router: the archive down for 10 s mid-stream: dcmrecv's input keeps flowing, nothing lost, nothing acknowledged sent twice" {
	start_archive "" "$W/arch.log"
	# 500 kB/s (about 180 of these files a second): slow enough that the
	# archive dies while dcmsend is sending
	start_router "$W/res" --limit-rate 500k
	feed "$GEN"/f0[0-1]*.dcm &
	feed_pid=$!
	# the archive dies while dcmsend works through the first 200
	wait_count "$ARCH" 60 30
	stop_pid "$ARCH_PID"
	t0=$(date +%s%N)
	wait "$feed_pid"
	# the other 300 go into the spool at full speed while the archive is
	# down: their paths alone are more than the pipe holds (a dcmsend
	# that read only what it can send would block dcmrecv after ~290)
	feed "$GEN"/f0[2-4]*.dcm
	t1=$(date +%s%N)
	[ "$(find "$SPOOL" -type f | wc -l)" -ge 300 ]
	echo "$(find "$SPOOL" -type f | wc -l) files in the spool; the last 300 into dcmrecv in $(((t1 - t0) / 1000000)) ms with the archive down" >&3
	[ $(((t1 - t0) / 1000000)) -lt 15000 ]
	# 10 s down in all, then back on the same port
	while [ $((($(date +%s%N) - t0) / 1000000)) -lt 10000 ]; do sleep 0.2; done
	start_archive "$ARCH_PORT" "$W/arch2.log"
	wait_count "$ARCH" "$N" 90
	for _ in $(seq 300); do
		[ "$(find "$SPOOL" -type f | wc -l)" -eq 0 ] && break
		sleep 0.1
	done
	same_as_ref
	[ "$(find "$SPOOL" -type f | wc -l)" -eq 0 ]
	# one success line per instance: none sent again after its answer
	[ "$(stored_uids "$W/res" | wc -l)" -eq "$N" ]
	[ "$(stored_uids "$W/res" | uniq | wc -l)" -eq "$N" ]
	# it died under dcmsend's feet, not between files
	grep -q '^dcmsend: association [0-9]* ended: ' "$W/res.err"
	# requests beyond N: only the one in flight when the archive died
	# (storescp grants no asynchronous window: one at a time)
	extra=$(($(requests "$W/arch.log" "$W/arch2.log") - N))
	echo "requests sent again after the archive died: $extra" >&3
	[ "$extra" -ge 0 ] && [ "$extra" -le 1 ]
	# said once per change on stderr
	[ "$(grep -c 'unreachable (.*): retrying$' "$W/res.err")" -eq 1 ]
	[ "$(grep -c 'reachable again after' "$W/res.err")" -eq 1 ]
	stop_pid "$RECV_PID"
	stop_pid "$SEND_PID"
}

# bats test_tags=serial
@test "router: dcmsend killed with SIGKILL and restarted over the spool: nothing lost, nothing acknowledged sent twice" {
	start_archive "" "$W/arch.log"
	# at 500 kB/s, so that most files are still in the spool at the kill
	start_router "$W/res1" --limit-rate 500k
	feed "$GEN"/f0*.dcm &
	feed_pid=$!
	wait_count "$ARCH" 150 60
	kill -KILL "$SEND_PID"
	wait "$SEND_PID" 2>/dev/null || true
	# dcmrecv cannot write its next path: it stops, as a unit would
	stop_pid "$RECV_PID"
	wait "$feed_pid" || true
	# what storescu could not deliver it sends again later: the files in
	# neither the spool nor the archive
	for f in "$GEN"/f0*.dcm; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		[ -e "$SPOOL/$uid.dcm" ] || [ -e "$ARCH/CT.$uid" ] || [ -e "$ARCH/MR.$uid" ] ||
			echo "$f"
	done >"$W/unsent"
	# the restart: the spool first, then what dcmrecv receives
	left=$(find "$SPOOL" -type f | wc -l)
	echo "$left files in the spool, $(wc -l <"$W/unsent") never received, at the restart" >&3
	[ "$left" -gt 0 ]
	pf=$W/recv2.port
	{
		find "$SPOOL" -type f ! -name '.*' -print0
		exec "$CSTORE_BIN/dcmrecv" -0 -o "$SPOOL" --port-file "$pf" 127.0.0.1:0 2>"$W/recv2.err"
	} | "$CSTORE_BIN/dcmsend" --follow -0 --remove-sent -a STORESCU --idle 2 \
		127.0.0.1 "$ARCH_PORT" - >"$W/res2" 2>"$W/res2.err" &
	pipe_pid=$!
	track_pid "$pipe_pid"
	RECV_PORT=$(port_from "$pf")
	RECV_PID=$(ss -Hltnp "sport = :$RECV_PORT" | sed -n 's/.*pid=\([0-9]*\),.*/\1/p' | head -1)
	track_pid "$RECV_PID"
	if [ -s "$W/unsent" ]; then
		mapfile -t unsent <"$W/unsent"
		feed "${unsent[@]}"
	fi
	wait_count "$ARCH" "$N" 60
	for _ in $(seq 300); do
		[ "$(find "$SPOOL" -type f | wc -l)" -eq 0 ] && break
		sleep 0.1
	done
	same_as_ref
	[ "$(find "$SPOOL" -type f | wc -l)" -eq 0 ]
	# nothing answered Success before the kill was sent again after it
	[ -z "$(comm -12 <(stored_uids "$W/res1") <(stored_uids "$W/res2"))" ]
	[ "$(stored_uids "$W/res1" | wc -l)" -ge 100 ]
	# beyond N: the one in flight at the kill, or answered but not yet
	# removed (one at a time: storescp grants no asynchronous window)
	extra=$(($(requests "$W/arch.log") - N))
	echo "requests beyond $N: $extra" >&3
	[ "$extra" -ge 0 ] && [ "$extra" -le 1 ]
	# dcmrecv stopped, the input ends: dcmsend releases and exits 0
	stop_pid "$RECV_PID"
	for _ in $(seq 100); do
		kill -0 "$pipe_pid" 2>/dev/null || break
		sleep 0.1
	done
	st=0
	wait "$pipe_pid" || st=$?
	[ "$st" -eq 0 ]
}
