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

# expect_fail RC REGEX CMD...: the command exits RC with one stderr line
# matching REGEX (the summary line aside).
expect_fail() {
	local rc=$1 re=$2
	shift 2
	run "-$rc" --separate-stderr "$@"
	grep -v -e 'stored, 0 with warning' <<<"$stderr" >"$BATS_TEST_TMPDIR/err"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -eq 1 ] || { cat "$BATS_TEST_TMPDIR/err" >&2; return 1; }
	grep -Eq "$re" "$BATS_TEST_TMPDIR/err" || { cat "$BATS_TEST_TMPDIR/err" >&2; return 1; }
}

@test "tls-pki: a certificate, key or CA file in DER, empty, or of the other kind: one line saying which, exit 2 (both tools)" {
	local conv="(DER? convert it: openssl x509 -inform der -in FILE -out FILE.pem)"
	: >"$BATS_TEST_TMPDIR/empty.pem"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls --tls-ca "$PKI/client.der" localhost 104
	[ "$stderr" = "dcmsend: cannot load the trusted certificates '$PKI/client.der': not a PEM file $conv" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" --tls-cert "$PKI/client.der" --tls-key "$PKI/client.key" localhost 104
	[ "$stderr" = "dcmsend: cannot load the certificate '$PKI/client.der': not a PEM file $conv" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" --tls-cert "$PKI/client.pem" --tls-key "$PKI/client.key.der" localhost 104
	[ "$stderr" = "dcmsend: cannot load the private key '$PKI/client.key.der': not a PEM file (DER? convert it: openssl pkey -inform der -in FILE -out FILE.pem)" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls --tls-ca "$BATS_TEST_TMPDIR/empty.pem" localhost 104
	[ "$stderr" = "dcmsend: cannot load the trusted certificates '$BATS_TEST_TMPDIR/empty.pem': the file is empty" ]
	# a key where the certificate belongs, and the reverse
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-cert "$PKI/server.key" --tls-key "$PKI/server.key" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[ "$stderr" = "dcmrecv: cannot load the certificate '$PKI/server.key': no certificate in it" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-cert "$PKI/server.pem" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[ "$stderr" = "dcmrecv: cannot load the private key '$PKI/server.pem': no private key in it" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" \
		--tls-ca "$PKI/ca.key" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[ "$stderr" = "dcmrecv: cannot load the trusted certificates '$PKI/ca.key': no certificate in it" ]
	# another certificate's key
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/client.key" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[ "$stderr" = "dcmrecv: the private key '$PKI/client.key' does not match the certificate '$PKI/server.pem'" ]
	# the certificate and its key in one file, the key first (HAProxy's
	# habit): read as it is
	cat "$PKI/server.key" "$PKI/server.pem" >"$BATS_TEST_TMPDIR/both.pem"
	start_dcmrecv --tls --tls-cert "$BATS_TEST_TMPDIR/both.pem" --tls-ca "$PKI/ca.pem"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT"
	stop_dcmrecv
}

@test "tls-pki: chains through an intermediate CA: each side sends its chain and data sets arrive intact; one not sent is named" {
	start_tls_dcmrecv "$PKI/ileaf-chain.pem" "$PKI/ileaf.key"
	# the client's chain too: the receiver trusts only the root
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" --tls-cert "$PKI/iclient-chain.pem" \
		--tls-key "$PKI/iclient.key" localhost "$RECV_PORT" "${SMALL[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$RECV_DIR")" -eq 3 ]
	# a client that sends only its own certificate: the receiver names
	# the intermediate it lacks
	expect_fail 3 "failed: TLS: the peer's alert 'unknown ca'$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" --tls-cert "$PKI/iclient.pem" --tls-key "$PKI/iclient.key" localhost "$RECV_PORT"
	wait_for_line "$RECV_STDERR" "TLS: the client's certificate was refused: certificate signed by an unknown CA 'CN=cstore test intermediate'$" 10
	# with the intermediate among the trusted ones it goes in
	cat "$PKI/ca.pem" "$PKI/int.pem" >"$BATS_TEST_TMPDIR/both-cas.pem"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls --tls-ca "$BATS_TEST_TMPDIR/both-cas.pem" \
		--tls-cert "$PKI/iclient-chain.pem" --tls-key "$PKI/iclient.key" localhost "$RECV_PORT"
	stop_dcmrecv
	[ "$(cut -f6 "$RECV_STDOUT" | sort -u)" = "CN=modality-2,O=cstore tests" ]
	# a server that sends only its own certificate, one whose
	# intermediate expired
	RECV_DIR=$BATS_TEST_TMPDIR/leafonly start_tls_dcmrecv "$PKI/ileaf.pem" "$PKI/ileaf.key"
	expect_fail 3 "echo to 'localhost' port $RECV_PORT failed: TLS: the server's certificate was refused: certificate signed by an unknown CA 'CN=cstore test intermediate'$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT"
	stop_dcmrecv
	RECV_DIR=$BATS_TEST_TMPDIR/oldint start_tls_dcmrecv "$PKI/ileaf-oldchain.pem" "$PKI/ileaf.key"
	expect_fail 3 "failed: TLS: the server's certificate was refused: certificate has expired \(the CA certificate 'CN=cstore test intermediate'\)$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT"
	stop_dcmrecv
}

@test "tls-pki: chains with DCMTK: storescp +tls presenting leaf and intermediate, storescu +tls sending its own; bytes compared" {
	require_cmd /usr/bin/storescp
	start_storescp "$BATS_TEST_TMPDIR/scp" +B +xa -pm +tls "$PKI/ileaf.key" "$PKI/ileaf-chain.pem" +cf "$PKI/ca.pem"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" --tls-cert "$PKI/iclient-chain.pem" \
		--tls-key "$PKI/iclient.key" localhost "$SCP_PORT" "${SMALL[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/scp")" -eq 3 ]
	# storescu with a chain to ours: what arrives is the file's data set
	start_tls_dcmrecv "$PKI/ileaf-chain.pem" "$PKI/ileaf.key"
	run -0 /usr/bin/storescu +tls "$PKI/iclient.key" "$PKI/iclient-chain.pem" +cf "$PKI/ca.pem" \
		localhost "$RECV_PORT" "${SMALL[0]}"
	stop_dcmrecv
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
	same_dataset "${SMALL[0]}" "$(cut -f1 "$RECV_STDOUT")"
	[ "$(cut -f6 "$RECV_STDOUT")" = "CN=modality-2,O=cstore tests" ]
}

@test "tls-pki: a certificate not yet valid, self-signed, for another address, or not for TLS server/client use: exit 3 and a line naming it, both sides" {
	local c
	for c in future self clionly wrongname; do
		RECV_DIR=$BATS_TEST_TMPDIR/out-$c start_tls_dcmrecv "$PKI/$c.pem" "$PKI/$c.key"
		eval "port_$c=$RECV_PORT pid_$c=$RECV_PID"
	done
	local refused="failed: TLS: the server's certificate was refused"
	expect_fail 3 "$refused: certificate is not yet valid$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$port_future"
	expect_fail 3 "$refused: certificate signed by an unknown CA \(it is self-signed: 'CN=localhost'\)$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$port_self"
	expect_fail 3 "$refused: it is not for a TLS server \(its key usage or extended key usage\)$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$port_clionly"
	# reached by its address: the address is what did not match
	expect_fail 3 "$refused: certificate does not match the name '127.0.0.1'$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" 127.0.0.1 "$port_wrongname"
	# the client's side: the receiver names what was wrong
	RECV_DIR=$BATS_TEST_TMPDIR/out start_tls_dcmrecv "$PKI/server.pem" "$PKI/server.key"
	for c in future:"certificate is not yet valid" self:"certificate signed by an unknown CA \(it is self-signed: 'CN=localhost'\)" \
		srvonly:"it is not for a TLS client \(its key usage or extended key usage\)"; do
		run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" --tls-cert "$PKI/${c%%:*}.pem" \
			--tls-key "$PKI/${c%%:*}.key" localhost "$RECV_PORT" "${SMALL[0]}"
		[[ $output == notsent* ]]
		wait_for_line "$RECV_STDERR" "TLS: the client's certificate was refused: ${c#*:}$" 10
	done
	[ -z "$(ls "$RECV_DIR")" ]
}
