#!/usr/bin/env bats
# DICOM over TLS as a hospital's PKI makes it: chains with an intermediate
# CA, encrypted keys, certificates for the wrong name, address or use, a
# TLS balancer in front (HAProxy ending TLS, or opening it again), and
# peers that cut the TLS stream short.  Every failure is one line with its
# exit status; what arrived is compared byte for byte.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load dcmsend-helpers
load ../bats/dcmrecv-helpers
load tls-ca
load haproxy-helpers

setup_file() {
	corpus_setup
	export PKI=$BATS_FILE_TMPDIR/pki
	make_test_pki "$PKI"
	make_chain_pki "$PKI"
}

setup() {
	require_netns
	require_cmd openssl
	CA=(--tls-ca "$PKI/ca.pem")
	ME=(--tls-cert "$PKI/client.pem" --tls-key "$PKI/client.key")
	SMALL=("$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/implicit-le.dcm" "$CORPUS/ts/jpeg-baseline.dcm")
}

# start_tls_dcmrecv CERT KEY [options]: our TLS receiver (client
# certificates required, signed by the test CA)
start_tls_dcmrecv() {
	local c=$1 k=$2
	shift 2
	start_dcmrecv --tls --tls-cert "$c" --tls-key "$k" --tls-ca "$PKI/ca.pem" "$@"
}

@test "tls-pki: an encrypted private key is one line saying so, exit 2; no prompt, standard input not read (both tools, SIGHUP)" {
	local k why
	for k in enc.key enc-trad.key; do
		why="cannot load the private key '$PKI/$k': it is encrypted, and no pass phrase is read (decrypt it: openssl pkey -in KEY -out PLAIN)"
		# a list of files on standard input: nothing of it taken as a
		# pass phrase (OpenSSL read it there), no prompt on stderr
		run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" --tls-cert "$PKI/client.pem" \
			--tls-key "$PKI/$k" localhost 104 - <<<"${SMALL[0]}"
		[ "$stderr" = "dcmsend: $why" ]
		assert_output ""
		run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-cert "$PKI/client.pem" \
			--tls-key "$PKI/$k" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0 </dev/null
		[ "$stderr" = "dcmrecv: $why" ]
	done
	# on a terminal OpenSSL asked for the pass phrase there and waited
	require_cmd script
	run timeout 20 script -qec "'$CSTORE_BIN/dcmsend' --echo --tls --tls-ca '$PKI/ca.pem' --tls-cert '$PKI/client.pem' --tls-key '$PKI/enc.key' localhost 104" /dev/null
	[ "$status" -eq 2 ]
	[[ $output != *"pass phrase:"* ]]
	[[ $output == *"dcmsend: cannot load the private key '$PKI/enc.key': it is encrypted"* ]]
	# a receiver given one on SIGHUP keeps its key and serves on
	cp "$PKI/server.key" "$BATS_TEST_TMPDIR/live.key"
	start_tls_dcmrecv "$PKI/server.pem" "$BATS_TEST_TMPDIR/live.key"
	cp "$PKI/enc.key" "$BATS_TEST_TMPDIR/live.key"
	kill -HUP "$RECV_PID"
	wait_for_line "$RECV_STDERR" "reload failed, the old certificate stays: cannot load the private key '.*live.key': it is encrypted" 10
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT" "${SMALL[0]}"
	same_dataset "${SMALL[0]}" "$RECV_DIR/$(cut -f4 <<<"$output").dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	run grep -c 'pass phrase:' "$RECV_STDERR"
	assert_output 0
}
