# haproxy-helpers.bash - shared by the bats files that run Debian's
# HAProxy (load after helpers): start it on free ports from a config
# template, and read a server's state from its statistics page.

# start_haproxy CFGFILE: HAProxy in the foreground on three free ports
# (FE_PORT, RELAY_PORT, STATS_PORT), PID in HAPROXY_PID (tracked);
# another try with new ports when one was taken meanwhile (10 at most).
start_haproxy() {
	local tmpl=$1 log=$BATS_TEST_TMPDIR/haproxy.log try p
	for try in $(seq 10); do
		FE_PORT=$(free_port) RELAY_PORT=$(free_port) STATS_PORT=$(free_port) || return 1
		[ "$FE_PORT" != "$RELAY_PORT" ] && [ "$FE_PORT" != "$STATS_PORT" ] &&
			[ "$RELAY_PORT" != "$STATS_PORT" ] || continue
		sed -e "s/{FE}/$FE_PORT/g" -e "s/{RELAY}/$RELAY_PORT/g" \
			-e "s/{STATS}/$STATS_PORT/g" "$tmpl" >"$BATS_TEST_TMPDIR/haproxy.cfg"
		haproxy -db -f "$BATS_TEST_TMPDIR/haproxy.cfg" >"$log" 2>&1 &
		HAPROXY_PID=$!
		track_pid "$HAPROXY_PID"
		for p in $FE_PORT $RELAY_PORT $STATS_PORT; do
			wait_for_port "$p" "$HAPROXY_PID" 10 2>/dev/null || break
		done
		listens "$STATS_PORT" "$HAPROXY_PID" && return 0
		if ! kill -0 "$HAPROXY_PID" 2>/dev/null && port_taken "$log"; then
			wait "$HAPROXY_PID" 2>/dev/null || true
			continue
		fi
		cat "$log" >&2
		return 1
	done
	return 1
}

# server_status BACKEND SERVER: "UP", "DOWN"... from HAProxy's statistics.
server_status() {
	curl -sf "http://127.0.0.1:$STATS_PORT/stats;csv" |
		awk -F, -v b="$1" -v s="$2" '$1 == b && $2 == s { print $18 }'
}

# wait_status BACKEND SERVER STATUS: within 10 s.
wait_status() {
	local i st
	for i in $(seq 100); do
		st=$(server_status "$1" "$2")
		[ "$st" = "$3" ] && return 0
		sleep 0.1
	done
	echo "$1/$2 is '$st', not '$3', after 10 s" >&2
	cat "$BATS_TEST_TMPDIR/haproxy.log" >&2
	return 1
}
