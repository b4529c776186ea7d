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
	tls_setup_file
	make_chain_pki "$PKI"
}

setup() {
	tls_setup
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
		run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-ca "$PKI/ca.pem" --tls-cert "$PKI/client.pem" \
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
	local i conv="(DER? convert it: openssl x509 -inform der -in FILE -out FILE.pem)"
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
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-ca "$PKI/ca.pem" --tls-cert "$PKI/server.key" --tls-key "$PKI/server.key" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[ "$stderr" = "dcmrecv: cannot load the certificate '$PKI/server.key': no certificate in it" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-ca "$PKI/ca.pem" --tls-cert "$PKI/server.pem" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[ "$stderr" = "dcmrecv: cannot load the private key '$PKI/server.pem': no private key in it" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" \
		--tls-ca "$PKI/ca.key" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[ "$stderr" = "dcmrecv: cannot load the trusted certificates '$PKI/ca.key': no certificate in it" ]
	# another certificate's key
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-ca "$PKI/ca.pem" --tls-cert "$PKI/server.pem" --tls-key "$PKI/client.key" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[ "$stderr" = "dcmrecv: the private key '$PKI/client.key' does not match the certificate '$PKI/server.pem'" ]
	# a bundle whose (corrupt) key lies past its first 16 KiB: OpenSSL's
	# reason, not "no private key in it"
	for i in $(seq 40); do cat "$PKI/ca.pem"; done >"$BATS_TEST_TMPDIR/bundle.pem"
	printf -- '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n' >>"$BATS_TEST_TMPDIR/bundle.pem"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/bundle.pem")" -gt 16384 ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-ca "$PKI/ca.pem" --tls-cert "$PKI/server.pem" --tls-key "$BATS_TEST_TMPDIR/bundle.pem" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[[ $stderr == "dcmrecv: cannot load the private key '$BATS_TEST_TMPDIR/bundle.pem': "* ]]
	[[ $stderr != *"no private key in it"* ]]
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

@test "tls-pki: behind HAProxy ending TLS (client certificates checked there), or opening it again to dcmrecv --tls: data sets intact" {
	require_cmd haproxy
	cat "$PKI/server.pem" "$PKI/server.key" >"$BATS_TEST_TMPDIR/fe.pem"
	cat "$PKI/client.pem" "$PKI/client.key" >"$BATS_TEST_TMPDIR/be.pem"
	RECV_DIR=$BATS_TEST_TMPDIR/plain start_dcmrecv
	local plain_port=$RECV_PORT plain_pid=$RECV_PID
	mv "$RECV_STDOUT" "$BATS_TEST_TMPDIR/plain.out"
	RECV_DIR=$BATS_TEST_TMPDIR/tls start_tls_dcmrecv "$PKI/server.pem" "$PKI/server.key"
	cat >"$BATS_TEST_TMPDIR/tmpl.cfg" <<EOC
defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend ends_tls
	bind 127.0.0.1:{FE} ssl crt $BATS_TEST_TMPDIR/fe.pem ca-file $PKI/ca.pem verify required
	default_backend plain
frontend tls_again
	bind 127.0.0.1:{RELAY} ssl crt $BATS_TEST_TMPDIR/fe.pem ca-file $PKI/ca.pem verify required
	default_backend tls
backend plain
	server r1 127.0.0.1:$plain_port
backend tls
	server r2 127.0.0.1:$RECV_PORT ssl verify required ca-file $PKI/ca.pem crt $BATS_TEST_TMPDIR/be.pem sni str(localhost)
listen stats
	mode http
	bind 127.0.0.1:{STATS}
	stats enable
	stats uri /stats
EOC
	start_haproxy "$BATS_TEST_TMPDIR/tmpl.cfg"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$FE_PORT"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" localhost "$FE_PORT" "${SMALL[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/plain")" -eq 3 ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -j 2 --per-assoc 1 --tls "${CA[@]}" "${ME[@]}" localhost "$RELAY_PORT" "${SMALL[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/tls")" -eq 3 ]
	# HAProxy refuses a client without a certificate: exit 3, nothing
	# sent, one line per file
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" localhost "$FE_PORT" "${SMALL[@]}"
	[ "$(grep -c $'^notsent\t.*certificate required' <<<"$output")" -eq 3 ]
	[ "$(ls "$BATS_TEST_TMPDIR/plain" | wc -l)" -eq 3 ]
	stop_dcmrecv
	# dcmrecv saw HAProxy's certificate
	[ "$(cut -f6 "$RECV_STDOUT" | sort -u)" = "CN=modality-1,O=cstore tests" ]
}

@test "tls-pki: a TLS stream cut short (no close_notify, a record cut in two, a close_notify mid-PDU) never leaves a stored file" {
	local f=${SMALL[0]} cls rq uid m
	ds_file "$f" "$BATS_TEST_TMPDIR/ds"
	cls=$(meta_value "$f" 0002,0002)
	uid=$(ds_uid "$f")
	rq=$(assoc_rq ANY-SCP CUT "$cls" 1.2.840.10008.1.2.1)
	raw_cstore_pdus "$cls" "$uid" "$BATS_TEST_TMPDIR/ds"
	start_tls_dcmrecv "$PKI/server.pem" "$PKI/server.key"
	printf '%s\n%s\n' "$rq" "$RAW_PDUS" >"$BATS_TEST_TMPDIR/pdus"
	local n=0 i
	for m in plain-1 plain-2000 record-1 record-20 notify-1 notify-300; do
		timeout 30 /usr/bin/python3 "$BATS_TEST_DIRNAME/tls-cut.py" "$RECV_PORT" "$PKI/ca.pem" \
			"$PKI/client.pem" "$PKI/client.key" "$m" <"$BATS_TEST_TMPDIR/pdus" >"$BATS_TEST_TMPDIR/cut.out"
		# no C-STORE-RSP came back (a P-DATA-TF)
		[[ $(cat "$BATS_TEST_TMPDIR/cut.out") != 04* ]]
		# the receiver's line for this association (bounded: 10 s)
		n=$((n + 1))
		for i in $(seq 200); do
			[ "$(grep -c "aborted during the C-STORE of '$uid': nothing stored" "$RECV_STDERR")" -ge "$n" ] && break
			sleep 0.05
		done
		[ "$(grep -c "aborted during the C-STORE of '$uid': nothing stored" "$RECV_STDERR")" -eq "$n" ]
		[ -z "$(ls "$RECV_DIR")" ]
	done
	# the whole C-STORE and no release: stored and answered, as without TLS
	timeout 30 /usr/bin/python3 "$BATS_TEST_DIRNAME/tls-cut.py" "$RECV_PORT" "$PKI/ca.pem" \
		"$PKI/client.pem" "$PKI/client.key" plain-0 <"$BATS_TEST_TMPDIR/pdus" >"$BATS_TEST_TMPDIR/cut.out"
	[[ $(cat "$BATS_TEST_TMPDIR/cut.out") == 04* ]]
	stop_dcmrecv
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
	same_dataset "$f" "$RECV_DIR/$uid.dcm"
	no_temporaries "$RECV_DIR"
}

@test "tls-pki: Orthanc (DicomTlsEnabled) as the archive of dcmsend --tls --commit: its report comes over TLS to --commit-listen, every file committed" {
	LPORT=$(free_port)
	start_orthanc "\"DicomTlsEnabled\": true, \"DicomTlsCertificate\": \"$PKI/server.pem\",
  \"DicomTlsPrivateKey\": \"$PKI/server.key\", \"DicomTlsTrustedCertificates\": \"$PKI/ca.pem\",
  \"DicomTlsRemoteCertificateRequired\": true,
  \"DicomModalities\": { \"snd\": { \"AET\": \"DCMSEND\", \"Host\": \"127.0.0.1\", \"Port\": $LPORT, \"UseDicomTls\": true } }"
	# our listener's certificate names 127.0.0.1 (server.pem does)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -d --tls "${CA[@]}" --tls-cert "$PKI/server.pem" \
		--tls-key "$PKI/server.key" --commit --commit-listen "127.0.0.1:$LPORT" --commit-timeout 30 \
		--json -c ORTHANC localhost "$ORTHANC_DICOM" "${SMALL[@]}"
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 3 ]
	[[ $stderr == *"TLS: TLSv1."*"the archive's certificate 'CN=localhost'"*"N-EVENT-REPORT-RQ"* ]]
	for f in "${SMALL[@]}"; do
		uid=$(ds_uid "$f")
		id=$(curl -sf -X POST "http://127.0.0.1:$ORTHANC_HTTP/tools/lookup" -d "$uid" | jq -r '.[0].ID')
		curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances/$id/file" -o "$BATS_TEST_TMPDIR/got.dcm"
		[ "$(ds_sum "$BATS_TEST_TMPDIR/got.dcm")" = "$(ds_sum "$f")" ]
	done
}

@test "tls-pki: an archive that cuts its C-STORE response short (half a PDU and no close_notify, or a close_notify instead): aborted, exit 5, never 0000" {
	local how i spid
	for how in half notify; do
		rm -f "$BATS_TEST_TMPDIR/port"
		/usr/bin/python3 "$BATS_TEST_DIRNAME/tls-scp.py" "$BATS_TEST_TMPDIR/port" "$PKI/server.pem" \
			"$PKI/server.key" "$how" >"$BATS_TEST_TMPDIR/scp.out" 2>"$BATS_TEST_TMPDIR/scp.err" &
		spid=$!
		track_pid "$spid"
		for i in $(seq 200); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.05; done
		run -5 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" localhost \
			"$(cat "$BATS_TEST_TMPDIR/port")" "${SMALL[0]}" "${SMALL[1]}"
		assert_line --index 0 --regexp $'^aborted\t'"${SMALL[0]}"$'\t.*\tno response: the peer closed the connection$'
		assert_line --index 1 --regexp $'^notsent\t'"${SMALL[1]}"$'\t'
		refute_output --regexp $'^0000\t'
		wait "$spid" || { cat "$BATS_TEST_TMPDIR/scp.err" >&2; return 1; }
		[ "$(cat "$BATS_TEST_TMPDIR/scp.out")" = cut ]
	done
}

# bats test_tags=serial
@test "tls-pki: a TLS 1.2 server that wants our certificate when none is given: the line says so, not only 'handshake failure'" {
	start_on_free_port "$BATS_TEST_TMPDIR/s12.log" openssl s_server -quiet -naccept 2 \
		-cert "$PKI/server.pem" -key "$PKI/server.key" -CAfile "$PKI/ca.pem" -Verify 1 -tls1_2 -accept '{PORT}'
	expect_fail 3 "echo to 'localhost' port $SERVER_PORT failed: TLS handshake with the server failed: the peer's alert 'handshake failure' \(it asked for our certificate, and none was given: --tls-cert\)$" \
		"$CSTORE_BIN/dcmsend" --echo --acse-timeout 10 --tls "${CA[@]}" localhost "$SERVER_PORT"
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --acse-timeout 10 --tls "${CA[@]}" localhost "$SERVER_PORT" "${SMALL[0]}"
	assert_output --regexp $'^notsent\t.*none was given: --tls-cert\\)$'
}

# bats test_tags=serial
@test "tls-pki: a server wanting our certificate: --tls-insecure says so (not 'refused' for a check not made); one of ours it cannot take is not 'none was given'" {
	# self-signed, and --tls-insecure: its certificate was not checked
	start_on_free_port "$BATS_TEST_TMPDIR/self.log" openssl s_server -quiet \
		-cert "$PKI/self.pem" -key "$PKI/self.key" -CAfile "$PKI/ca.pem" -Verify 1 -tls1_2 -accept '{PORT}'
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --acse-timeout 10 --tls --tls-insecure localhost "$SERVER_PORT"
	[[ $stderr == *"dcmsend: echo to 'localhost' port $SERVER_PORT failed: TLS handshake with the server failed: the peer's alert 'handshake failure' (it asked for our certificate, and none was given: --tls-cert)" ]]
	[[ $stderr != *"refused"* ]]
	kill "$SERVER_PID"
	wait "$SERVER_PID" || true
	# our certificate (EC) sent to a server that takes only RSA signatures
	start_on_free_port "$BATS_TEST_TMPDIR/rsa.log" openssl s_server -quiet \
		-cert "$PKI/server.pem" -key "$PKI/server.key" -CAfile "$PKI/ca.pem" -Verify 1 -tls1_2 \
		-client_sigalgs RSA+SHA256 -accept '{PORT}'
	expect_fail 3 "echo to 'localhost' port $SERVER_PORT failed: TLS handshake with the server failed: the peer's alert 'handshake failure' \(it asked for our certificate, and ours does not suit it: no signature algorithm or key type in common\?\)$" \
		"$CSTORE_BIN/dcmsend" --echo --acse-timeout 10 --tls "${CA[@]}" "${ME[@]}" localhost "$SERVER_PORT"
	kill "$SERVER_PID"
	wait "$SERVER_PID" || true
}
