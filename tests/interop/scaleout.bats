#!/usr/bin/env bats
# Scale-out: HAProxy (Debian, TCP mode, send-proxy-v2 and the DICOM
# health check of contrib/haproxy/dicom-check.cfg) in front of three
# dcmrecv on the "hosts" 127.0.0.2, 127.0.0.3 and 127.0.0.4, all writing
# into one shared directory; 8 dcmsend at once push 2,000 files through
# it, and one receiver is killed (SIGKILL) in the middle of the run.
#
# The balancer connects to the receivers from 127.0.0.10; senders 1-4
# come from 127.0.0.1 and senders 5-8 through HAProxy's relay frontend
# from 127.0.0.5 (dcmsend cannot choose its source address), so the
# receivers' lines must name 127.0.0.1 or 127.0.0.5, never 127.0.0.10.

load ../bats/helpers
load ../bats/dcmrecv-helpers
load haproxy-helpers

setup() {
	require_netns
	require_cmd haproxy
	require_cmd curl
	GEN=$(cd "${CSTORE_TOOLS:-$CSTORE_ROOT/build/tests/tools}/../.." && pwd)/bench/gencorpus
	[ -x "$GEN" ] || skip "bench tools not built (make test-tools)"
	W=$BATS_TEST_TMPDIR
	OUT=$W/shared
	mkdir -p "$OUT"
}

# start_recv N HOST PORT: receiver N on HOST:PORT (0: any) into the
# shared $OUT; each start writes its own rN.G.out/.err (generation G);
# sets RPID[N], RPORT[N], RGEN[N].
declare -a RPID RPORT RGEN
start_recv() {
	local n=$1 g=$((${RGEN[$1]:-0} + 1)) pf=$W/r$1.port i
	RGEN[n]=$g
	rm -f "$pf"
	"$CSTORE_BIN/dcmrecv" -v --proxy-protocol --proxy-from 127.0.0.10 -o "$OUT" \
		--port-file "$pf" "$2:$3" >"$W/r$n.$g.out" 2>"$W/r$n.$g.err" &
	RPID[n]=$!
	track_pid "${RPID[n]}"
	for i in $(seq 100); do
		[ -s "$pf" ] && break
		kill -0 "${RPID[n]}" 2>/dev/null || { cat "$W/r$n.$g.err" >&2; return 1; }
		sleep 0.05
	done
	RPORT[n]=$(cat "$pf")
	[ -n "${RPORT[n]}" ]
}


# stored_lines: how many files every receiver has printed so far
stored_lines() { cat "$W"/r*.out 2>/dev/null | wc -l; }

# scale_out: the whole run (both tests below)
scale_out() {
	mkdir "$W/src"
	"$GEN" "$W/src" 2000 32 32 1 11
	# 8 shards of 250 files, one per sender
	find "$W/src" -name '*.dcm' | sort | split -n r/8 -d -a 1 - "$W/shard."

	start_recv 1 127.0.0.2 0
	start_recv 2 127.0.0.3 0
	start_recv 3 127.0.0.4 0
	{
		cat <<-EOC
			global
			    log stderr format raw local0
			defaults
			    mode tcp
			    log global
			    timeout connect 2s
			    timeout client 60s
			    timeout server 60s
			    retries 3
			    option redispatch 1
			frontend fe
			    bind 127.0.0.1:{FE}
			    default_backend be
			frontend relay
			    bind 127.0.0.1:{RELAY}
			    default_backend to_fe
			backend to_fe
			    server fe 127.0.0.1:{FE} source 127.0.0.5
			backend be
			    source 127.0.0.10
			    default-server inter 200ms rise 1 fall 2
		EOC
		cat "$CSTORE_ROOT/contrib/haproxy/dicom-check.cfg"
		for n in 1 2 3; do
			printf '\tserver r%d 127.0.0.%d:%d send-proxy-v2 check\n' "$n" $((n + 1)) "${RPORT[n]}"
		done
		printf 'listen stats\n\tmode http\n\tbind 127.0.0.1:{STATS}\n\tstats enable\n\tstats uri /stats\n'
	} >"$W/tmpl.cfg"
	start_haproxy "$W/tmpl.cfg"
	wait_status be r1 UP
	wait_status be r2 UP
	wait_status be r3 UP

	# 8 senders at once; a new association every 25 files, so that the
	# balancer spreads each sender's files over the receivers; each at
	# 150 kB/s at most (250 files of 2.7 kB: 4.5 s at least), so that the
	# run is still going when receiver 2 is killed and when it is back,
	# however slow this machine is today
	local -a spid
	for s in 0 1 2 3 4 5 6 7; do
		port=$FE_PORT
		[ "$s" -lt 4 ] || port=$RELAY_PORT
		timeout 300 "$CSTORE_BIN/dcmsend" -v --no-progress --per-assoc 25 --limit-rate 150k --retry 6 --retry-delay 100 \
			-a "SEND$s" 127.0.0.1 "$port" - <"$W/shard.$s" \
			>"$W/send.$s.out" 2>"$W/send.$s.err" &
		spid[s]=$!
		track_pid "${spid[s]}"
	done

	# kill receiver 2 once it has stored 20 files, then check that the
	# run was still going: otherwise this test would test nothing
	for i in $(seq 600); do
		[ "$(wc -l <"$W/r2.1.out")" -lt 20 ] || break
		sleep 0.05
	done
	[ "$(wc -l <"$W/r2.1.out")" -ge 20 ]
	kill -KILL "${RPID[2]}"
	wait "${RPID[2]}" || true
	at_kill=$(stored_lines)
	echo "receiver 2 killed after $at_kill stored lines" >&3
	[ "$at_kill" -lt 1600 ]

	# the DICOM check marks it DOWN, and UP again once it is back on its
	# address and port
	wait_status be r2 DOWN
	start_recv 2 127.0.0.3 "${RPORT[2]}"
	wait_status be r2 UP
	grep -q 'Server be/r2 is DOWN, reason: .*tcp-check' "$W/haproxy.log"
	grep -q 'Server be/r2 is UP, reason: Layer7 check passed' "$W/haproxy.log"

	# every sender: exit 0 (every input stored), 250 lines of Success
	for s in 0 1 2 3 4 5 6 7; do
		rc=0
		wait "${spid[s]}" || rc=$?
		[ "$rc" -eq 0 ] || { echo "sender $s exited $rc" >&2; cat "$W/send.$s.err" >&2; false; }
		[ "$(wc -l <"$W/send.$s.out")" -eq 250 ]
		[ "$(cut -f1 "$W/send.$s.out" | sort -u)" = 0000 ] || { grep -v '^0000' "$W/send.$s.out" >&2; false; }
	done

	# the kill cut associations short: some sender had to try again
	cat "$W"/send.*.err >"$W/send.err"
	grep -E 'association [0-9]+: (attempt [0-9]+ of 7|again for the [0-9]+ files left) after' "$W/send.err"
	echo "retries: $(grep -cE 'attempt|again for' "$W/send.err")" >&3

	# every file a sender reported stored is in the shared directory,
	# byte for byte (its data set: the meta header is the receiver's);
	# exactly one file per object, nothing partial
	no_temporaries "$OUT"
	[ "$(find "$OUT" -type f | wc -l)" -eq 2000 ]
	cat "$W"/send.*.out | python3 "$CSTORE_ROOT/tests/bats/same-datasets.py" "$OUT"

	# spread over all three receivers (receiver 2 before its death)
	for n in 1 2 3; do
		c=$(cat "$W"/r$n.*.out | wc -l)
		echo "receiver $n stored $c" >&3
		[ "$c" -gt 0 ]
	done
	# and receiver 2, back in the rotation, took files again
	[ -s "$W/r2.2.out" ]

	# a file stored twice is one receiver 2 stored before its answer
	# could leave: any other duplicate would be a resend of a stored file
	cut -f1 "$W"/r*.out | sort | uniq -d >"$W/dups"
	echo "stored twice: $(wc -l <"$W/dups")" >&3
	if [ -s "$W/dups" ]; then
		cut -f1 "$W/r2.1.out" | sort >"$W/r2paths"
		[ -z "$(comm -23 "$W/dups" "$W/r2paths")" ]
	fi
	[ "$(cut -f1 "$W"/r*.out | sort -u | wc -l)" -eq 2000 ]

	# the lines name the senders' own addresses, never the balancer:
	# shards 0-3 came from 127.0.0.1, shards 4-7 through the relay
	cut -f5 "$W"/r*.out | sed 's/:[0-9]*$//' | sort -u >"$W/peers"
	[ "$(cat "$W/peers")" = "$(printf '127.0.0.1\n127.0.0.5')" ]
	for s in 0 7; do
		want=127.0.0.1
		[ "$s" -lt 4 ] || want=127.0.0.5
		uid=$(head -1 "$W/send.$s.out" | cut -f4)
		run grep -h "/$uid\.dcm" "$W"/r*.out
		assert_output --regexp "	$want:[0-9]+\$"
	done
}

@test "scale-out: 8 senders, 2,000 files, 3 receivers behind HAProxy, one killed mid-run: each object lands once, byte-exact" {
	scale_out
}

# As on NFS: named temporary files instead of O_TMPFILE.  The killed
# receiver leaves its named temporaries behind; started again, it removes
# them (their owner is gone), so nothing partial stays.
@test "scale-out with named temporary files (no O_TMPFILE, as on NFS): the same, nothing partial left" {
	export CSTORE_TEST_NO_TMPFILE=1
	scale_out
}
