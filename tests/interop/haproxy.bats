#!/usr/bin/env bats
# dcmrecv --proxy-protocol behind Debian's HAProxy (TCP mode): the PROXY
# v2 and v1 headers, the client's own address in the output and for
# --allow, and the DICOM health check of contrib/haproxy/dicom-check.cfg.
#
# dcmsend has no option to choose its source address, so the "client
# host" 127.0.0.2 is a relay: HAProxy's own frontend "relay" passes the
# connection on to the balancing frontend from 127.0.0.2 ("source").

load ../bats/helpers
load ../bats/dcmrecv-helpers
load haproxy-helpers

setup() {
	require_netns
	require_cmd haproxy
	SRC=$CSTORE_ROOT/tests/data/p10-evrle.dcm
}

# haproxy_cfg SERVER_LINE...: a config with the frontends {FE} (the
# balancer), {RELAY} (passes on from 127.0.0.2) and {STATS} (CSV
# statistics over HTTP), and the backend "be" with the DICOM check and
# the given server lines; on stdout.
haproxy_cfg() {
	cat <<EOC
global
	log stderr format raw local0
defaults
	mode tcp
	log global
	timeout connect 2s
	timeout client 30s
	timeout server 30s
frontend fe
	bind 127.0.0.1:{FE}
	default_backend be
frontend relay
	bind 127.0.0.1:{RELAY}
	default_backend to_fe
backend to_fe
	server fe 127.0.0.1:{FE} source 127.0.0.2
backend be
	default-server inter 200ms rise 1 fall 1
$(cat "$CSTORE_ROOT/contrib/haproxy/dicom-check.cfg")
EOC
	printf '\t%s\n' "$@"
	printf 'listen stats\n\tmode http\n\tbind 127.0.0.1:{STATS}\n\tstats enable\n\tstats uri /stats\n'
}

# through_haproxy SEND_PROXY [dcmrecv options]: dcmrecv --proxy-protocol
# behind HAProxy, its server line using SEND_PROXY; waits until the DICOM
# check has marked it UP.
through_haproxy() {
	local how=$1
	shift
	start_dcmrecv -v --proxy-protocol --proxy-from 127.0.0.1 "$@"
	haproxy_cfg "server r1 127.0.0.1:$RECV_PORT $how check" >"$BATS_TEST_TMPDIR/tmpl.cfg"
	start_haproxy "$BATS_TEST_TMPDIR/tmpl.cfg"
	wait_status be r1 UP
}

@test "haproxy send-proxy-v2: the file arrives byte-identical and dcmrecv names 127.0.0.2, not the balancer" {
	through_haproxy send-proxy-v2
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RELAY_PORT" "$SRC"
	wait_for_line "$RECV_STDOUT" 'p10-evrle|2\.25\.' 5
	got=$(cut -f1 "$RECV_STDOUT" | head -1)
	same_dataset "$SRC" "$got"
	cmp <(dataset_of "$SRC") <(dataset_of "$got")
	run cut -f5 "$RECV_STDOUT"
	assert_output --regexp '^127\.0\.0\.2:[0-9]+$'
	grep -q "PROXY v2 header from 127.0.0.1:[0-9]*: the client is 127.0.0.2:" "$RECV_STDERR"
	grep -q "from 'DCMSEND' at 127.0.0.2:" "$RECV_STDERR"
	# the health checks came as LOCAL headers: their own address stands
	grep -q "from 'HAPROXY' at 127.0.0.1:" "$RECV_STDERR"
}

@test "haproxy send-proxy (v1): the same, and --json shows the client" {
	through_haproxy send-proxy --json
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RELAY_PORT" "$SRC"
	wait_for_line "$RECV_STDOUT" '"path"' 5
	got=$(jq -r .path "$RECV_STDOUT")
	cmp <(dataset_of "$SRC") <(dataset_of "$got")
	[[ $(jq -r .peer "$RECV_STDOUT") =~ ^127\.0\.0\.2:[0-9]+$ ]]
	grep -q "PROXY v1 header from 127.0.0.1:[0-9]*: the client is 127.0.0.2:" "$RECV_STDERR"
}

@test "haproxy: --allow DCMSEND@127.0.0.2 admits the client behind the balancer" {
	through_haproxy send-proxy-v2 --allow HAPROXY@127.0.0.1 --allow DCMSEND@127.0.0.2
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RELAY_PORT" "$SRC"
	wait_for_line "$RECV_STDOUT" '127\.0\.0\.2' 5
	[ "$(find "$RECV_DIR" -name '*.dcm' | wc -l)" -eq 1 ]
}

@test "haproxy: --allow DCMSEND@127.0.0.3 refuses it (the balancer's address does not count)" {
	through_haproxy send-proxy-v2 --allow HAPROXY@127.0.0.1 --allow DCMSEND@127.0.0.3 \
		--allow DCMSEND@127.0.0.1
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RELAY_PORT" "$SRC"
	[ "$(find "$RECV_DIR" -name '*.dcm' | wc -l)" -eq 0 ]
	grep -q "from 'DCMSEND' at 127.0.0.2:.*calling AE title" "$RECV_STDERR"
}

@test "haproxy DICOM health check: UP against dcmrecv, DOWN against a TCP listener that is not DICOM" {
	start_dcmrecv -v
	# the statistics frontend is such a listener: HTTP, not DICOM; a
	# plain TCP check ("tcp") finds it UP, the DICOM check DOWN
	haproxy_cfg "server r1 127.0.0.1:$RECV_PORT check" "server web 127.0.0.1:{STATS} check" \
		>"$BATS_TEST_TMPDIR/tmpl.cfg"
	printf 'backend tcp\n\tdefault-server inter 200ms rise 1 fall 1\n\tserver web 127.0.0.1:{STATS} check\n' \
		>>"$BATS_TEST_TMPDIR/tmpl.cfg"
	start_haproxy "$BATS_TEST_TMPDIR/tmpl.cfg"
	wait_status be r1 UP
	wait_status be web DOWN
	wait_status tcp web UP
	# dcmrecv saw whole associations, each released
	wait_for_line "$RECV_STDERR" "from 'HAPROXY' at 127\.0\.0\.1:[0-9]+ to 'DCMRECV': accepted 1 of 1" 5
	wait_for_line "$RECV_STDERR" "released" 5
	[ "$(grep -c abort "$RECV_STDERR")" -eq 0 ]
	# and the check follows the receiver: stopped, it goes DOWN
	stop_dcmrecv
	wait_status be r1 DOWN
}

@test "haproxy TCP check of a send-proxy-v2 server (connect, then reset): no error line about --proxy-from, the receiver serves on" {
	start_dcmrecv --proxy-protocol --proxy-from 127.0.0.1
	haproxy_cfg "server r1 127.0.0.1:$RECV_PORT send-proxy-v2" >"$BATS_TEST_TMPDIR/tmpl.cfg"
	printf 'backend tcp\n\tdefault-server inter 100ms rise 1 fall 1\n\tserver r1 127.0.0.1:%s send-proxy-v2 check\n' \
		"$RECV_PORT" >>"$BATS_TEST_TMPDIR/tmpl.cfg"
	start_haproxy "$BATS_TEST_TMPDIR/tmpl.cfg"
	wait_status tcp r1 UP
	# stopped, dcmrecv leaves the checks in its backlog: each one is
	# reset by HAProxy before dcmrecv can ask whom it came from
	kill -STOP "$RECV_PID"
	sleep 0.5
	kill -CONT "$RECV_PID"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RELAY_PORT" "$SRC"
	wait_for_line "$RECV_STDOUT" '127\.0\.0\.2' 5
	cmp <(dataset_of "$SRC") <(dataset_of "$(cut -f1 "$RECV_STDOUT")")
	# once it was "connection from ?:0 closed: not a --proxy-from address"
	run grep -v '^dcmrecv: listening on' "$RECV_STDERR"
	assert_output ''
}

@test "haproxy DICOM health check with an identity (dicom-check-identity.cfg): UP against dcmrecv --require-identity, whose users file admits 'haproxy:'" {
	printf 'haproxy:\n' >"$BATS_TEST_TMPDIR/users"
	start_dcmrecv -v --proxy-protocol --proxy-from 127.0.0.1 --users "$BATS_TEST_TMPDIR/users" --require-identity
	# backend be: the plain check, beid: the one with an identity
	haproxy_cfg "server r1 127.0.0.1:$RECV_PORT send-proxy-v2 check" >"$BATS_TEST_TMPDIR/tmpl.cfg"
	printf 'backend beid\n\tdefault-server inter 200ms rise 1 fall 1\n%s\n\tserver r1 127.0.0.1:%s send-proxy-v2 check\n' \
		"$(cat "$CSTORE_ROOT/contrib/haproxy/dicom-check-identity.cfg")" "$RECV_PORT" >>"$BATS_TEST_TMPDIR/tmpl.cfg"
	start_haproxy "$BATS_TEST_TMPDIR/tmpl.cfg"
	wait_status beid r1 UP
	wait_status be r1 DOWN
	# waited for, not looked at once: HAProxy marks the server on the
	# answer, dcmrecv's log line may follow it
	wait_for_line "$RECV_STDERR" "from 'HAPROXY' at 127\.0\.0\.1:[0-9]+ to 'DCMRECV' as user 'haproxy': accepted 1 of 1" 5 ||
		{ cat "$RECV_STDERR" >&2; false; }
	wait_for_line "$RECV_STDERR" "from 'HAPROXY' at 127\.0\.0\.1:[0-9]+ to 'DCMRECV' rejected: no user identity \(one is required\)" 5 ||
		{ cat "$RECV_STDERR" >&2; false; }
}

# bats test_tags=serial
@test "haproxy send-proxy-v2 --max-per-host 1: two modalities at once through the balancer, each its own share; a second association of one is rejected" {
	local gen uid
	gen=$(cd "${CSTORE_TOOLS:-$CSTORE_ROOT/build/tests/tools}/../.." && pwd)/bench/gencorpus
	[ -x "$gen" ] || skip "bench tools not built (make test-tools)"
	mkdir -p "$BATS_TEST_TMPDIR/big"
	"$gen" "$BATS_TEST_TMPDIR/big" 2 512 512 2 5
	# the balancer connects from 127.0.0.10: its health checks (LOCAL
	# headers) count for that address, not for either client
	start_dcmrecv -v -t 60 --proxy-protocol --proxy-from 127.0.0.10 --max-per-host 1
	haproxy_cfg "server r1 127.0.0.1:$RECV_PORT send-proxy-v2 check source 127.0.0.10" >"$BATS_TEST_TMPDIR/tmpl.cfg"
	start_haproxy "$BATS_TEST_TMPDIR/tmpl.cfg"
	wait_status be r1 UP
	# 127.0.0.1's association, held open (its A-ASSOCIATE-AC read)
	# until both other runs are over
	raw_connect "$FE_PORT"
	raw_send "$(assoc_rq ANY-SCP RAWSCU 1.2.840.10008.5.1.4.1.1.7 1.2.840.10008.1.2.1)"
	RAW_REPLY=$(raw_read_pdu)
	[ "${RAW_REPLY:0:2}" = 02 ] || { cat "$RECV_STDERR" >&2; false; }
	# 127.0.0.2 (through the relay) meanwhile: its own first association
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RELAY_PORT" "$BATS_TEST_TMPDIR/big/000001.dcm"
	# 127.0.0.1 again meanwhile: over its share
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$FE_PORT" "$BATS_TEST_TMPDIR/big/000002.dcm"
	# the held one was in flight all along: released now
	raw_release
	[ "$RAW_REPLY" = 06000000000400000000 ]
	grep -q "at 127\.0\.0\.1:[0-9]* to 'ANY-SCP' rejected: local limit exceeded (1 associations from 127\.0\.0\.1 at once, --max-per-host)" "$RECV_STDERR"
	[ "$(grep -c 'rejected' "$RECV_STDERR")" -eq 1 ]
	uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$BATS_TEST_TMPDIR/big/000001.dcm" | cut -f2)
	cmp <(dataset_of "$BATS_TEST_TMPDIR/big/000001.dcm") <(dataset_of "$RECV_DIR/$uid.dcm")
	[ "$(ls "$RECV_DIR")" = "$uid.dcm" ]
}
