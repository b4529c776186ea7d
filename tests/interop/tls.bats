#!/usr/bin/env bats
# DICOM over TLS (PS3.15 Annex B): dcmsend and dcmrecv with each other,
# with DCMTK (storescp/storescu/echoscu +tls) and with Orthanc
# (DicomTlsEnabled), the bytes that arrived checked; every failure with
# its exit status and its one line on each side.  The CA and the
# certificates are made with openssl for each file (tls-ca.bash).
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load dcmsend-helpers
load ../bats/dcmrecv-helpers
load tls-ca
load haproxy-helpers

setup_file() {
	tls_setup_file
}

setup() {
	tls_setup
	OUT=$BATS_TEST_TMPDIR/in
}

# Our TLS receiver (client certificates required) with server cert $1
# (default server); more options follow.
start_tls_dcmrecv() {
	local c=${1:-server}
	shift || true
	start_dcmrecv --tls --tls-cert "$PKI/$c.pem" --tls-key "$PKI/$c.key" \
		--tls-ca "$PKI/ca.pem" "$@"
}

# big_file PATH MB: an Explicit VR LE object of about MB megabytes
big_file() {
	python3 - "$1" "$2" <<'PY'
import sys, struct
path, mb = sys.argv[1], int(sys.argv[2])
def el(g, e, vr, v):
    if isinstance(v, str):
        v = v.encode()
        if len(v) % 2: v += b' ' if vr != 'UI' else b'\0'
    if vr in ('OB', 'OW', 'UN', 'SQ', 'UT'):
        return struct.pack('<HH2sHI', g, e, vr.encode(), 0, len(v)) + v
    return struct.pack('<HH2sH', g, e, vr.encode(), len(v)) + v
uid = '2.25.%d' % (123456789 + mb)
meta = el(2, 1, 'OB', b'\0\1') + el(2, 2, 'UI', '1.2.840.10008.5.1.4.1.1.7') + \
    el(2, 3, 'UI', uid) + el(2, 0x10, 'UI', '1.2.840.10008.1.2.1')
meta = el(2, 0, 'UL', struct.pack('<I', len(meta))) + meta
rows = 1024
cols = (mb * 1024 * 1024) // (rows * 2)
pix = bytes((i * 7) & 0xff for i in range(65536)) * ((rows * cols * 2) // 65536 + 1)
ds = el(8, 0x16, 'UI', '1.2.840.10008.5.1.4.1.1.7') + el(8, 0x18, 'UI', uid) + \
    el(0x10, 0x20, 'LO', 'TLS') + el(0x28, 2, 'US', struct.pack('<H', 1)) + \
    el(0x28, 4, 'CS', 'MONOCHROME2') + el(0x28, 0x10, 'US', struct.pack('<H', rows)) + \
    el(0x28, 0x11, 'US', struct.pack('<H', cols)) + el(0x28, 0x100, 'US', struct.pack('<H', 16)) + \
    el(0x28, 0x101, 'US', struct.pack('<H', 16)) + el(0x28, 0x102, 'US', struct.pack('<H', 15)) + \
    el(0x28, 0x103, 'US', struct.pack('<H', 0)) + el(0x7fe0, 0x10, 'OW', pix[:rows * cols * 2])
open(path, 'wb').write(b'\0' * 128 + b'DICM' + meta + ds)
PY
}

@test "tls: ours -> DCMTK storescp +tls (client certificate required): data sets arrive byte for byte, echo too" {
	require_cmd /usr/bin/storescp
	start_storescp "$OUT" +B +xa -pm +tls "$PKI/server.key" "$PKI/server.pem" +cf "$PKI/ca.pem"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" localhost "$SCP_PORT" "$CORPUS/ts"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	n=$(ls "$CORPUS/ts" | wc -l)
	[ "$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")" -eq "$n" ]
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq "$n" ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -d --echo --tls "${CA[@]}" "${ME[@]}" 127.0.0.1 "$SCP_PORT"
	assert_line --regexp $'^0000\tSuccess\t'
	[[ $stderr == *"TLS: TLSv1."*"server certificate 'CN=localhost'"* ]]
}

@test "tls: --user --identity-response to storescp +tls, which answers no identity: exit 4 and the line, nothing sent (echo, store, -j 2); once a crash" {
	require_cmd /usr/bin/storescp
	start_storescp "$OUT" +B +xa -pm +tls "$PKI/server.key" "$PKI/server.pem" +cf "$PKI/ca.pem"
	printf 'secret\n' >"$BATS_TEST_TMPDIR/pw"
	chmod 600 "$BATS_TEST_TMPDIR/pw"
	ID=(--user alice --password-file "$BATS_TEST_TMPDIR/pw" --identity-response)
	why="'ANY-SCP' did not confirm user identity 'alice' (a positive response was requested): nothing sent"
	# the refused association was freed twice: SIGSEGV, exit 139
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" "${ID[@]}" localhost "$SCP_PORT"
	[ "$stderr" = "dcmsend: echo to 'localhost' port $SCP_PORT failed: $why" ]
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" -j 2 --tls "${CA[@]}" "${ME[@]}" "${ID[@]}" localhost "$SCP_PORT" "${SMALL[@]}"
	[ "$(grep -c $'^notsent\t' <<<"$output")" -eq 3 ]
	[[ $stderr == *"dcmsend: $why"* ]]
	[ -z "$(ls "$OUT")" ]
	# without asking for a response the same files go in
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" --user alice --password-file "$BATS_TEST_TMPDIR/pw" localhost "$SCP_PORT" "${SMALL[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq 3 ]
}

@test "tls: ours -> storescp +tls with every profile; a large file (> 8 MB) and -j 2 --retry 1 arrive intact" {
	require_cmd /usr/bin/storescp
	big_file "$BATS_TEST_TMPDIR/big.dcm" 20
	start_storescp "$OUT" +B +xa -pm +tls "$PKI/server.key" "$PKI/server.pem" +cf "$PKI/ca.pem"
	for p in bcp195-nd bcp195 bcp195-extended; do
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls --tls-profile "$p" "${CA[@]}" "${ME[@]}" localhost "$SCP_PORT"
	done
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -j 2 --retry 1 --per-assoc 1 --tls "${CA[@]}" "${ME[@]}" \
		localhost "$SCP_PORT" "$BATS_TEST_TMPDIR/big.dcm" "${SMALL[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq 4 ]
}

@test "tls: DCMTK storescu/echoscu +tls -> ours: what arrives is what storescu sends without TLS; the client's subject in the line" {
	require_cmd /usr/bin/storescu
	# storescu re-encodes: what it sends without TLS is the reference
	RECV_DIR=$BATS_TEST_TMPDIR/plain start_dcmrecv
	run -0 /usr/bin/storescu localhost "$RECV_PORT" "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/implicit-le.dcm"
	stop_dcmrecv
	mv "$RECV_STDOUT" "$BATS_TEST_TMPDIR/plain.out"
	RECV_DIR=$BATS_TEST_TMPDIR/out
	start_tls_dcmrecv server
	run -0 /usr/bin/storescu +tls "$PKI/client.key" "$PKI/client.pem" +cf "$PKI/ca.pem" \
		localhost "$RECV_PORT" "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/implicit-le.dcm"
	run -0 /usr/bin/echoscu +tls "$PKI/client.key" "$PKI/client.pem" +cf "$PKI/ca.pem" localhost "$RECV_PORT"
	stop_dcmrecv
	[ "$(wc -l <"$RECV_STDOUT")" -eq 2 ]
	for f in explicit-le implicit-le; do
		uid=$(ds_uid "$CORPUS/ts/$f.dcm")
		got=$(awk -F'\t' -v u="$uid" '$3 == u { print $1 }' "$RECV_STDOUT")
		ref=$(awk -F'\t' -v u="$uid" '$3 == u { print $1 }' "$BATS_TEST_TMPDIR/plain.out")
		[ -f "$got" ] && [ -f "$ref" ]
		cmp "$got" "$ref"
	done
	[ "$(cut -f6 "$RECV_STDOUT" | sort -u)" = "CN=modality-1,O=cstore tests" ]
}

@test "tls: every profile of ours (receiver) with every BCP 195 profile of DCMTK's echoscu/storescu" {
	require_cmd /usr/bin/echoscu
	for p in bcp195-nd bcp195 bcp195-extended; do
		RECV_DIR=$BATS_TEST_TMPDIR/out-$p start_tls_dcmrecv server --tls-profile "$p"
		for d in +py +px +pz; do
			run -0 /usr/bin/echoscu "$d" +tls "$PKI/client.key" "$PKI/client.pem" +cf "$PKI/ca.pem" localhost "$RECV_PORT"
		done
		run -0 /usr/bin/storescu +pz +tls "$PKI/client.key" "$PKI/client.pem" +cf "$PKI/ca.pem" \
			localhost "$RECV_PORT" "$CORPUS/ts/explicit-le.dcm"
		stop_dcmrecv
		[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
	done
}

@test "tls: ours -> ours: a large file, -j 2, --retry, echo and --dry-run --probe; the subject in TSV and JSON" {
	big_file "$BATS_TEST_TMPDIR/big.dcm" 20
	start_tls_dcmrecv server --json
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -j 2 --retry 2 --tls "${CA[@]}" "${ME[@]}" \
		127.0.0.1 "$RECV_PORT" "$BATS_TEST_TMPDIR/big.dcm" "${SMALL[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")" -eq 4 ]
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$RECV_DIR")" -eq 4 ]
	# --tls-ca DIR: a directory hashed by openssl rehash
	mkdir "$BATS_TEST_TMPDIR/cadir"
	cp "$PKI/ca.pem" "$BATS_TEST_TMPDIR/cadir/"
	openssl rehash "$BATS_TEST_TMPDIR/cadir"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls --tls-ca "$BATS_TEST_TMPDIR/cadir" "${ME[@]}" localhost "$RECV_PORT"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --probe --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT" "${SMALL[@]}"
	[[ $output == *accepted* ]]
	stop_dcmrecv
	[ "$(jq -r .tls_subject "$RECV_STDOUT" | sort -u)" = "CN=modality-1,O=cstore tests" ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 4 ]
}

@test "tls: ours -> ours with PDUs of 16 MiB: a 20 MB object arrives intact (nothing spliced past the TLS buffer)" {
	big_file "$BATS_TEST_TMPDIR/big.dcm" 20
	start_tls_dcmrecv server --max-pdu 16777216
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" \
		127.0.0.1 "$RECV_PORT" "$BATS_TEST_TMPDIR/big.dcm" "${SMALL[0]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$RECV_DIR")" -eq 2 ]
	kill -0 "$RECV_PID" # alive
	stop_dcmrecv
}

@test "tls: later associations of one dcmsend run resume its TLS session (ours, storescp +tls); each line still names the client" {
	start_tls_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -d --per-assoc 1 --tls "${CA[@]}" "${ME[@]}" \
		localhost "$RECV_PORT" "${SMALL[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$RECV_DIR")" -eq 3 ]
	[ "$(grep -c "TLS: TLSv1.3 .*server certificate 'CN=localhost'" <<<"$stderr")" -eq 3 ]
	[ "$(grep -c 'TLSv1.3 [A-Z0-9_]*, session resumed, server certificate' <<<"$stderr")" -eq 2 ]
	stop_dcmrecv
	[ "$(grep -c $'\tCN=modality-1,O=cstore tests$' "$RECV_STDOUT")" -eq 3 ]
	require_cmd /usr/bin/storescp
	start_storescp "$OUT" +B +xa -pm +tls "$PKI/server.key" "$PKI/server.pem" +cf "$PKI/ca.pem"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -d --per-assoc 1 --tls "${CA[@]}" "${ME[@]}" \
		localhost "$SCP_PORT" "${SMALL[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq 3 ]
	[ "$(grep -c 'session resumed' <<<"$stderr")" -eq 2 ]
}

@test "tls: --follow's later associations resume the first one's TLS session" {
	start_tls_dcmrecv
	W=$BATS_TEST_TMPDIR
	# the second file (another syntax) comes after the first is stored:
	# a new context, so a second association
	{
		echo "${SMALL[0]}"
		wait_for_line "$W/res" $'^0000\t' 20 || true
		echo "${SMALL[1]}"
	} | "$CSTORE_BIN/dcmsend" --follow -d --tls "${CA[@]}" "${ME[@]}" \
		localhost "$RECV_PORT" - >"$W/res" 2>"$W/err" || { cat "$W/err"; false; }
	[ "$(check_arrived "$W/res" "$RECV_DIR")" -eq 2 ]
	[ "$(grep -c 'sent A-ASSOCIATE-RQ' "$W/err")" -eq 2 ]
	[ "$(grep -c "TLS: TLSv1.3 .*server certificate 'CN=localhost'" "$W/err")" -eq 2 ]
	[ "$(grep -c 'TLSv1.3 [A-Z0-9_]*, session resumed, server certificate' "$W/err")" -eq 1 ]
}

@test "tls: plain dcmrecv output keeps its five columns" {
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${SMALL[0]}"
	stop_dcmrecv
	[ "$(awk -F'\t' '{ print NF }' "$RECV_STDOUT")" = 5 ]
}

# expect_fail RC REGEX CMD...: the command exits RC with one stderr line
# matching REGEX (the summary line aside) and stores nothing.
expect_fail() {
	local rc=$1 re=$2
	shift 2
	run "-$rc" --separate-stderr "$@"
	grep -v -e 'stored, 0 with warning' <<<"$stderr" >"$BATS_TEST_TMPDIR/err"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -eq 1 ] || { cat "$BATS_TEST_TMPDIR/err" >&2; return 1; }
	grep -Eq "$re" "$BATS_TEST_TMPDIR/err" || { cat "$BATS_TEST_TMPDIR/err" >&2; return 1; }
}

@test "tls: the server's certificate refused (unknown CA, expired, wrong name): exit 3, one line, both sides; good clients still served" {
	for c in rogue expired wrongname; do
		start_tls_dcmrecv "$c"
		# each receiver keeps writing to its own renamed log
		mv "$RECV_STDERR" "$RECV_STDERR.$c"
		eval "port_$c=$RECV_PORT"
	done
	expect_fail 3 "echo to 'localhost' port $port_rogue failed: TLS: the server's certificate was refused: certificate signed by an unknown CA 'CN=cstore test other-ca'$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$port_rogue"
	expect_fail 3 "failed: TLS: the server's certificate was refused: certificate has expired$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$port_expired"
	expect_fail 3 "failed: TLS: the server's certificate was refused: certificate does not match the name 'localhost'$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$port_wrongname"
	# a store fails the same way, each file with a line, nothing sent
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" localhost "$port_expired" "${SMALL[@]}"
	[ "$(grep -c $'^notsent\t.*certificate has expired' <<<"$output")" -eq 3 ]
	# --tls-server-name names what the certificate must carry
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls --tls-server-name elsewhere.example "${CA[@]}" "${ME[@]}" 127.0.0.1 "$port_wrongname"
	# the receivers say what the client told them (its alert)
	for c in rogue expired wrongname; do
		wait_for_line "$RECV_STDERR.$c" "TLS handshake with the client failed: the peer's alert '(unknown ca|certificate expired|bad certificate)'" 5
	done
	[ -z "$(ls "$BATS_TEST_TMPDIR/out")" ]
	# --tls-insecure connects anyway, and says so
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls --tls-insecure "${ME[@]}" localhost "$port_rogue"
	[[ $stderr == *"WARNING: --tls-insecure: the server's certificate is NOT checked"* ]]
}

@test "tls: the client's certificate refused (none, unknown CA, expired): exit 3 and one line each side; the receiver goes on serving" {
	start_tls_dcmrecv server
	# TLS 1.3's alert comes after the handshake: the hint TLS 1.2's bare
	# 'handshake failure' gets is given here too (before: the alert alone)
	expect_fail 3 "failed: TLS: the peer's alert 'certificate required' \(it asked for our certificate, and none was given: --tls-cert\)$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" localhost "$RECV_PORT"
	wait_for_line "$RECV_STDERR" "association [0-9]+ from 127.0.0.1:[0-9]+: TLS: the client sent no certificate \(one is required\)$" 5
	expect_fail 3 "failed: TLS: the peer's alert 'unknown ca'$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" --tls-cert "$PKI/rogue.pem" --tls-key "$PKI/rogue.key" localhost "$RECV_PORT"
	wait_for_line "$RECV_STDERR" "TLS: the client's certificate was refused: certificate signed by an unknown CA 'CN=cstore test other-ca'$" 5
	expect_fail 3 "failed: TLS: the peer's alert 'certificate expired'$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" --tls-cert "$PKI/expired.pem" --tls-key "$PKI/expired.key" localhost "$RECV_PORT"
	wait_for_line "$RECV_STDERR" "TLS: the client's certificate was refused: certificate has expired$" 5
	# a store without a certificate: every file notsent, nothing written
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" localhost "$RECV_PORT" "${SMALL[@]}"
	[ "$(grep -c $'^notsent\t' <<<"$output")" -eq 3 ]
	[ -z "$(ls "$RECV_DIR")" ]
	# still serving good clients
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT" "${SMALL[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$RECV_DIR")" -eq 3 ]
	kill -0 "$RECV_PID"
}

@test "tls: --tls-optional-client-cert lets a client without a certificate in; --allow subject= admits by certificate" {
	start_tls_dcmrecv server --tls-optional-client-cert --allow 'subject=CN=modality-1,O=cstore tests'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT"
	# no certificate: in at the TLS level, refused by --allow
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" localhost "$RECV_PORT"
	[[ $stderr == *"association rejected"* ]]
	wait_for_line "$RECV_STDERR" "calling AE title 'DCMSEND' from 127.0.0.1 not recognised" 5
	stop_dcmrecv
	start_tls_dcmrecv server --tls-optional-client-cert
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" localhost "$RECV_PORT"
}

# first_line_is LINE: $stderr (of run) is LINE, then at most the --help
# hint: one line of its own
first_line_is() {
	[ "${stderr%%$'\n'*}" = "$1" ] || { echo "stderr: $stderr" >&2; return 1; }
	[ "$(grep -vc "^Try 'dcmrecv --help'.$" <<<"$stderr")" -eq 1 ]
}

@test "tls: the receiver checks client certificates against --tls-ca only, never the system's store (a client certified by a CA there is refused)" {
	# this test's system store: OpenSSL's default file and directory
	# hold other-ca, which signed rogue (clientAuth, as any public CA
	# sells)
	local sys=$BATS_TEST_TMPDIR/sys
	mkdir "$sys" && cp "$PKI/other-ca.pem" "$sys/" && openssl rehash "$sys"
	export SSL_CERT_FILE=$PKI/other-ca.pem SSL_CERT_DIR=$sys
	# the store is in effect: dcmsend, whose default it stays, trusts
	# a server certified by other-ca without --tls-ca
	start_dcmrecv --tls --tls-cert "$PKI/rogue.pem" --tls-key "$PKI/rogue.key" "${CA[@]}"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls "${ME[@]}" localhost "$RECV_PORT"
	stop_dcmrecv
	# a client certificate required (the default) and no --tls-ca: exit
	# 2 at the start, one line naming both ways out; nothing listens
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmrecv" --tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" \
		-o "$BATS_TEST_TMPDIR" --port-file "$BATS_TEST_TMPDIR/pf" 127.0.0.1:0
	first_line_is "dcmrecv: --tls requires client certificates and no CA to check them is named: give --tls-ca FILE|DIR, or --tls-optional-client-cert"
	assert_output ""
	[ ! -e "$BATS_TEST_TMPDIR/pf" ]
	# with --tls-ca, the store's CA is not one of them
	start_tls_dcmrecv server
	expect_fail 3 "failed: TLS: the peer's alert 'unknown ca'$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" --tls-cert "$PKI/rogue.pem" --tls-key "$PKI/rogue.key" localhost "$RECV_PORT"
	wait_for_line "$RECV_STDERR" "TLS: the client's certificate was refused: certificate signed by an unknown CA 'CN=cstore test other-ca'$" 5
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" --tls-cert "$PKI/rogue.pem" --tls-key "$PKI/rogue.key" \
		localhost "$RECV_PORT" "${SMALL[0]}"
	[ -z "$(ls "$RECV_DIR")" ]
	stop_dcmrecv
	# --tls-ca a directory: the same
	mkdir "$BATS_TEST_TMPDIR/cadir" && cp "$PKI/ca.pem" "$BATS_TEST_TMPDIR/cadir/"
	openssl rehash "$BATS_TEST_TMPDIR/cadir"
	RECV_DIR=$BATS_TEST_TMPDIR/in-dir start_dcmrecv --tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" \
		--tls-ca "$BATS_TEST_TMPDIR/cadir"
	expect_fail 3 "failed: TLS: the peer's alert 'unknown ca'$" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" --tls-cert "$PKI/rogue.pem" --tls-key "$PKI/rogue.key" localhost "$RECV_PORT"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT" "${SMALL[0]}"
	same_dataset "${SMALL[0]}" "$BATS_TEST_TMPDIR/in-dir/$(cut -f4 <<<"$output").dcm"
	stop_dcmrecv
	[ "$(ls "$BATS_TEST_TMPDIR/in-dir" | wc -l)" -eq 1 ]
}

@test "tls: --tls-optional-client-cert without --tls-ca asks no client for a certificate: plain clients in, a certificate from the system's store is no identity; --allow subject= with it is a usage error" {
	local sys=$BATS_TEST_TMPDIR/sys
	mkdir "$sys" && cp "$PKI/other-ca.pem" "$sys/" && openssl rehash "$sys"
	export SSL_CERT_FILE=$PKI/other-ca.pem SSL_CERT_DIR=$sys
	# a subject could never match: exit 2 at the start, one line
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmrecv" --tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" \
		--tls-optional-client-cert --allow 'subject=CN=localhost' -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	first_line_is "dcmrecv: --allow 'subject=CN=localhost': no client certificate is asked for without --tls-ca"
	start_dcmrecv -v --tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" --tls-optional-client-cert
	# a client without a certificate, and one with a certificate the
	# store's CA signed: both in, neither reported with a subject
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" localhost "$RECV_PORT" "${SMALL[0]}"
	same_dataset "${SMALL[0]}" "$RECV_DIR/$(cut -f4 <<<"$output").dcm"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" --tls-cert "$PKI/rogue.pem" --tls-key "$PKI/rogue.key" \
		localhost "$RECV_PORT" "${SMALL[1]}"
	same_dataset "${SMALL[1]}" "$RECV_DIR/$(cut -f4 <<<"$output").dcm"
	# reloaded on SIGHUP: still none asked for
	kill -HUP "$RECV_PID"
	wait_for_line "$RECV_STDERR" "TLS: certificate '.*server.pem' loaded again" 10
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" --tls-cert "$PKI/rogue.pem" --tls-key "$PKI/rogue.key" \
		localhost "$RECV_PORT" "${SMALL[2]}"
	same_dataset "${SMALL[2]}" "$RECV_DIR/$(cut -f4 <<<"$output").dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 3 ]
	# six columns, the sixth empty
	[ -z "$(cut -f6 "$RECV_STDOUT" | tr -d '\n')" ]
	[ "$(awk -F'\t' '{print NF}' "$RECV_STDOUT" | sort -u)" = 6 ]
}

# bats test_tags=serial
@test "tls: plain client to a TLS port and TLS client to a plain port fail at once, one line on each side" {
	start_tls_dcmrecv server
	tls_port=$RECV_PORT tls_err=$RECV_STDERR.tls
	mv "$RECV_STDERR" "$tls_err"
	t0=$SECONDS
	expect_fail 5 "the peer closed the connection without answering the association request; a TLS port \(--tls\), a balancer with no server up, or a peer refusing this address\?$" \
		"$CSTORE_BIN/dcmsend" --echo --acse-timeout 10 localhost "$tls_port"
	wait_for_line "$tls_err" "TLS handshake with the client failed: .* \(a client without TLS\?\)$" 5
	start_dcmrecv
	expect_fail 3 "TLS handshake failed: the server closed the connection \(does it speak TLS\?\)$" \
		"$CSTORE_BIN/dcmsend" --echo --acse-timeout 10 --tls "${CA[@]}" localhost "$RECV_PORT"
	wait_for_line "$RECV_STDERR" "a TLS client on a port without TLS$" 5
	# the address as such, not quoted as if it were an AE title
	grep -Eq "association [0-9]+ from 127\.0\.0\.1:[0-9]+: a TLS client on a port without TLS$" "$RECV_STDERR"
	[ $((SECONDS - t0)) -lt 8 ]
}

# bats test_tags=serial
@test "tls: a connection that never starts its handshake while the receiver stops is logged closed (no rejection can go before a handshake), not rejected" {
	local hex
	# -t 1: its window ends long before the default grace (10 s)
	start_tls_dcmrecv server -t 1
	kill -STOP "$RECV_PID"
	exec {fd}<>"/dev/tcp/127.0.0.1/$RECV_PORT"
	wait_established 1
	kill -TERM "$RECV_PID"
	kill -CONT "$RECV_PID"
	# closed, nothing written (a plain A-ASSOCIATE-RJ would be noise to
	# a TLS client); at most 10 s
	hex=$(timeout 10 cat <&"$fd" | od -An -tx1 -v | tr -d ' \n' || true)
	exec {fd}<&-
	[ -z "$hex" ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# before: "rejected: no whole A-ASSOCIATE-RQ within 1 s"
	grep -Eq "connection from 127\.0\.0\.1:[0-9]+ closed: no TLS handshake within 1 s, the receiver is stopping$" "$RECV_STDERR" || { cat "$RECV_STDERR" >&2; false; }
	refute grep -q "rejected" "$RECV_STDERR"
}

# bats test_tags=serial
@test "tls: protocol and cipher mismatches (openssl s_server): exit 3 naming the problem, the alert" {
	# TLS 1.1 only: below every profile
	start_on_free_port "$BATS_TEST_TMPDIR/s11.log" openssl s_server -quiet -naccept 1 \
		-cert "$PKI/server.pem" -key "$PKI/server.key" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -accept '{PORT}'
	expect_fail 3 "TLS handshake with the server failed: .*(protocol|version)" \
		"$CSTORE_BIN/dcmsend" --echo --acse-timeout 5 --tls "${CA[@]}" localhost "$SERVER_PORT"
	# TLS 1.2 with a CBC suite only: not in the non-downgrading profile
	start_on_free_port "$BATS_TEST_TMPDIR/s12.log" openssl s_server -quiet -naccept 1 \
		-cert "$PKI/server.pem" -key "$PKI/server.key" -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA -accept '{PORT}'
	expect_fail 3 "TLS handshake with the server failed: the peer's alert 'handshake failure'$" \
		"$CSTORE_BIN/dcmsend" --echo --acse-timeout 5 --tls "${CA[@]}" localhost "$SERVER_PORT"
}

@test "tls: a client that renegotiates (openssl s_client, TLS 1.2) is cut off with one line saying TLS failed; the receiver serves on" {
	start_tls_dcmrecv server
	# the RQ, then s_client's renegotiation command in a read of its own:
	# written once the AC (it echoes 'RENEG') is out on s_client's
	# standard output, so the RQ was read long before; stdin stays open
	# until s_client says it renegotiates (both waits bounded)
	local sc=$BATS_TEST_TMPDIR/sc i
	{
		assoc_rq DCMRECV RENEG 1.2.840.10008.1.1 1.2.840.10008.1.2 | xxd -r -p
		for i in $(seq 200); do grep -aq RENEG "$sc.out" 2>/dev/null && break; sleep 0.05; done
		printf 'R\n'
		for i in $(seq 200); do grep -q RENEGOTIATING "$sc.err" 2>/dev/null && break; sleep 0.05; done
	} | timeout 20 openssl s_client -tls1_2 -connect "127.0.0.1:$RECV_PORT" \
		-cert "$PKI/client.pem" -key "$PKI/client.key" -CAfile "$PKI/ca.pem" \
		>"$BATS_TEST_TMPDIR/sc.out" 2>"$BATS_TEST_TMPDIR/sc.err" || true
	grep -q RENEGOTIATING "$BATS_TEST_TMPDIR/sc.err"
	# once nothing at all without -v (the engine's abort, "reason not
	# specified", with -v)
	wait_for_line "$RECV_STDERR" "^dcmrecv: association [0-9]+ from 'RENEG': TLS: the peer's alert 'handshake failure'$" 5
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT" "${SMALL[0]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$RECV_DIR")" -eq 1 ]
}

@test "tls: dcmsend ends each released association with a close_notify (a Python ssl acceptor checks it), echo and store" {
	for what in --echo "${SMALL[0]}"; do
		rm -f "$BATS_TEST_TMPDIR/port"
		python3 "$BATS_TEST_DIRNAME/tls-scp.py" "$BATS_TEST_TMPDIR/port" "$PKI/server.pem" "$PKI/server.key" \
			>"$BATS_TEST_TMPDIR/scp.out" 2>"$BATS_TEST_TMPDIR/scp.err" &
		spid=$!
		track_pid "$spid"
		for i in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.05; done
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" localhost "$(cat "$BATS_TEST_TMPDIR/port")" "$what"
		[[ $output == 0000* ]]
		wait "$spid" || { cat "$BATS_TEST_TMPDIR/scp.err" >&2; return 1; }
		# once: "no close_notify: ... EOF occurred in violation of protocol"
		[ "$(cat "$BATS_TEST_TMPDIR/scp.out")" = close_notify ]
	done
}

@test "tls: --tls-insecure still sends the host name (SNI): HAProxy routing TLS by SNI passes it on to dcmrecv" {
	require_cmd haproxy
	start_tls_dcmrecv server
	cat >"$BATS_TEST_TMPDIR/tmpl.cfg" <<EOC
defaults
	mode tcp
	timeout connect 2s
	timeout client 30s
	timeout server 30s
frontend sni
	bind 127.0.0.1:{FE}
	tcp-request inspect-delay 2s
	tcp-request content accept if { req_ssl_hello_type 1 }
	use_backend pacs if { req_ssl_sni -i localhost }
frontend plain
	bind 127.0.0.1:{RELAY}
	default_backend pacs
backend pacs
	server r1 127.0.0.1:$RECV_PORT
listen stats
	mode http
	bind 127.0.0.1:{STATS}
	stats enable
	stats uri /stats
EOC
	start_haproxy "$BATS_TEST_TMPDIR/tmpl.cfg"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" localhost "$FE_PORT" "${SMALL[0]}"
	# once "TLS handshake failed: the server closed the connection": no
	# SNI, so no backend
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls --tls-insecure "${ME[@]}" localhost "$FE_PORT" "${SMALL[1]}"
	cat "$RECV_STDOUT" >"$BATS_TEST_TMPDIR/res"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/res")" -eq 2 ]
	for f in "${SMALL[0]}" "${SMALL[1]}"; do
		got=$(grep -F "$(meta_value "$f" 0002,0003)" "$BATS_TEST_TMPDIR/res" | cut -f1)
		cmp <(dataset_of "$f") <(dataset_of "$got")
	done
}

# bats test_tags=serial
@test "tls: SIGHUP reloads the receiver's certificate without dropping the association in progress" {
	cp "$PKI/server.pem" "$BATS_TEST_TMPDIR/live.pem"
	cp "$PKI/server.key" "$BATS_TEST_TMPDIR/live.key"
	_tls_leaf "$PKI" reloaded ca "/CN=reloaded" "DNS:localhost,IP:127.0.0.1"
	start_dcmrecv -v --delay 300 --tls --tls-cert "$BATS_TEST_TMPDIR/live.pem" \
		--tls-key "$BATS_TEST_TMPDIR/live.key" --tls-ca "$PKI/ca.pem"
	"$CSTORE_BIN/dcmsend" --async 1 --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT" \
		"$CORPUS/ts" >"$BATS_TEST_TMPDIR/res" 2>"$BATS_TEST_TMPDIR/send.err" &
	spid=$!
	track_pid "$spid"
	wait_for_line "$RECV_STDOUT" . 10
	# a broken file: the old certificate stays
	echo garbage >"$BATS_TEST_TMPDIR/live.pem"
	kill -HUP "$RECV_PID"
	wait_for_line "$RECV_STDERR" "TLS: reload failed, the old certificate stays: cannot load the certificate" 5
	cp "$PKI/reloaded.pem" "$BATS_TEST_TMPDIR/live.pem"
	cp "$PKI/reloaded.key" "$BATS_TEST_TMPDIR/live.key"
	kill -HUP "$RECV_PID"
	wait_for_line "$RECV_STDERR" "TLS: certificate '.*live.pem' loaded again" 5
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -d --echo --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT"
	[[ $stderr == *"server certificate 'CN=reloaded'"* ]]
	wait "$spid"
	n=$(ls "$CORPUS/ts" | wc -l)
	[ "$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")" -eq "$n" ]
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$RECV_DIR")" -eq "$n" ]
	# one association: it was never dropped
	[ "$(grep -c 'accepted .* presentation contexts' "$RECV_STDERR")" -eq 2 ]
	[ "$(grep -c 'aborted' "$RECV_STDERR")" -eq 0 ]
}

@test "tls: ours -> Orthanc with DicomTlsEnabled and client certificates required: echo and store, data sets intact" {
	start_orthanc "\"DicomTlsEnabled\": true, \"DicomTlsCertificate\": \"$PKI/server.pem\",
  \"DicomTlsPrivateKey\": \"$PKI/server.key\", \"DicomTlsTrustedCertificates\": \"$PKI/ca.pem\",
  \"DicomTlsRemoteCertificateRequired\": true"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" "${ME[@]}" localhost "$ORTHANC_DICOM"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" localhost "$ORTHANC_DICOM" "${SMALL[@]}"
	for f in "${SMALL[@]}"; do
		uid=$(ds_uid "$f")
		id=$(curl -sf -X POST "http://127.0.0.1:$ORTHANC_HTTP/tools/lookup" -d "$uid" | jq -r '.[0].ID')
		curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances/$id/file" -o "$BATS_TEST_TMPDIR/got.dcm"
		[ "$(ds_sum "$BATS_TEST_TMPDIR/got.dcm")" = "$(ds_sum "$f")" ]
	done
	# without our certificate Orthanc refuses: exit 3, one line
	expect_fail 3 "failed: TLS: (the peer's alert|the server closed the connection right after the handshake \(did it refuse our certificate: none was given\?\))" \
		"$CSTORE_BIN/dcmsend" --echo --tls "${CA[@]}" localhost "$ORTHANC_DICOM"
}

@test "tls: Orthanc with DicomTlsEnabled and its client certificate -> our dcmrecv --tls: data sets intact, its subject in column 6" {
	start_tls_dcmrecv server -a DCMRECV
	# Orthanc's one certificate serves as its client certificate too
	start_orthanc "\"DicomTlsEnabled\": true, \"DicomTlsCertificate\": \"$PKI/client.pem\",
  \"DicomTlsPrivateKey\": \"$PKI/client.key\", \"DicomTlsTrustedCertificates\": \"$PKI/ca.pem\",
  \"DicomModalities\": { \"OURS\": { \"AET\": \"DCMRECV\", \"Host\": \"127.0.0.1\",
    \"Port\": $RECV_PORT, \"UseDicomTls\": true } }"
	local api=http://127.0.0.1:$ORTHANC_HTTP f ids=() id body
	for f in "${SMALL[@]}"; do
		id=$(curl -sf -X POST --data-binary @"$f" "$api/instances" | jq -r .ID)
		ids+=("$id")
	done
	body=$(printf '%s\n' "${ids[@]}" | jq -R . | jq -sc '{Resources: ., Synchronous: true}')
	curl -sf -X POST -d "$body" "$api/modalities/OURS/store" >"$BATS_TEST_TMPDIR/store.json"
	[ "$(jq -r .FailedInstancesCount "$BATS_TEST_TMPDIR/store.json")" = 0 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq "${#SMALL[@]}" ]
	for f in "${SMALL[@]}"; do
		got=$RECV_DIR/$(ds_uid "$f").dcm
		[ "$(ds_sum "$got")" = "$(ds_sum "$f")" ]
	done
	[ "$(cut -f4 "$RECV_STDOUT" | sort -u)" = ORTHANC ]
	[[ "$(cut -f6 "$RECV_STDOUT" | sort -u)" == *CN=modality-1* ]]
}

@test "tls: usage errors: --tls-* without --tls, a receiver without a certificate, a bad profile" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-ca "$PKI/ca.pem" --echo localhost 104
	[[ $stderr == *"the --tls-* options need --tls"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls --tls-profile tls1 --echo localhost 104
	[[ $stderr == *"TLS profile 'tls1': not bcp195-nd, bcp195 or bcp195-extended"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls 0
	[[ $stderr == *"--tls needs --tls-cert"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-ca "$PKI/ca.pem" --tls-cert "$BATS_TEST_TMPDIR/none.pem" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[[ $stderr == *"cannot load the certificate"* ]]
	run -0 "$CSTORE_BIN/dcmsend" --help
	[[ $output == *"--tls-profile P"* ]]
	run -0 "$CSTORE_BIN/dcmrecv" --help
	[[ $output == *"--tls-optional-client-cert"* ]]
}

@test "tls: a certificate, key or CA that is a FIFO or a device is refused at once (both tools), also on SIGHUP" {
	local f=$BATS_TEST_TMPDIR/fifo
	mkfifo "$f"
	run -2 --separate-stderr timeout 5 "$CSTORE_BIN/dcmrecv" --tls --tls-ca "$PKI/ca.pem" --tls-cert "$f" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[[ $stderr == *"cannot load the certificate '$f': not a regular file"* ]]
	run -2 --separate-stderr timeout 5 "$CSTORE_BIN/dcmrecv" --tls --tls-ca "$PKI/ca.pem" --tls-cert "$PKI/server.pem" --tls-key /dev/zero -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[[ $stderr == *"cannot load the private key '/dev/zero': not a regular file"* ]]
	run -2 --separate-stderr timeout 5 "$CSTORE_BIN/dcmrecv" --tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" --tls-ca "$f" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[[ $stderr == *"cannot load the trusted certificates '$f': not a regular file"* ]]
	# the sender's files are its command line's fault too: 2, as the
	# receiver's, not 3 (a peer not reached; none was tried)
	run -2 --separate-stderr timeout 5 "$CSTORE_BIN/dcmsend" --tls --tls-ca "$f" --echo 127.0.0.1 104
	[[ $stderr == *"cannot load the trusted certificates '$f': not a regular file"* ]]
	run -2 --separate-stderr timeout 5 "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" --tls-cert "$f" --echo 127.0.0.1 104
	[[ $stderr == *"cannot load the certificate '$f': not a regular file"* ]]
	# a reload finds a FIFO: the old certificate stays, the receiver serves
	cp "$PKI/server.pem" "$BATS_TEST_TMPDIR/live.pem"
	start_dcmrecv --tls --tls-cert "$BATS_TEST_TMPDIR/live.pem" --tls-key "$PKI/server.key" --tls-ca "$PKI/ca.pem"
	rm "$BATS_TEST_TMPDIR/live.pem" && mkfifo "$BATS_TEST_TMPDIR/live.pem"
	kill -HUP "$RECV_PID"
	wait_for_line "$RECV_STDERR" "reload failed, the old certificate stays: cannot load the certificate .*not a regular file" 5
	run -0 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT" "${SMALL[0]}"
	same_dataset "${SMALL[0]}" "$RECV_DIR/$(cut -f4 <<<"$output").dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

# bats test_tags=serial
@test "tls: dcmrecv --tls --commit sends a report on a new association over TLS to dcmsend --tls --commit-listen, both certificates checked" {
	LPORT=$(free_port)
	start_tls_dcmrecv server -v --commit --commit-peer "DCMSEND=127.0.0.1:$LPORT" --commit-delay 300
	# the listener is a TLS server to the archive: its certificate must
	# name 127.0.0.1, the --commit-peer host
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" \
		--tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" \
		--commit --commit-listen "127.0.0.1:$LPORT" --commit-timeout 20 -d --json \
		127.0.0.1 "$RECV_PORT" "${SMALL[@]}"
	[ "$(jq -r .commit <<<"$output" | grep -c '^committed$')" -eq 3 ]
	# ours released first; dcmrecv's association came over TLS with its
	# own certificate, the report on it
	[[ $stderr == *"received A-RELEASE-RP"*"the archive's certificate 'CN=localhost'"*"received A-ASSOCIATE-RQ"*"N-EVENT-REPORT-RQ"* ]]
	stop_dcmrecv
	grep -q "storage commitment report '.*' sent to 'DCMSEND' at 127.0.0.1 port $LPORT over TLS: 3 committed, 0 failed" "$RECV_STDERR"
}

# bats test_tags=serial
@test "tls: the report on a new association never goes in the clear: a plain listener gets a TLS ClientHello; a listener whose certificate does not name the peer is refused" {
	# a plain TCP listener where the report goes: what arrives first
	python3 - "$BATS_TEST_TMPDIR/cap.port" "$BATS_TEST_TMPDIR/cap.hex" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(1)
s.settimeout(20)
open(sys.argv[1] + '.tmp', 'w').write('%d\n' % s.getsockname()[1])
__import__('os').rename(sys.argv[1] + '.tmp', sys.argv[1])
c, _ = s.accept()
c.settimeout(10)
b = c.recv(3)
open(sys.argv[2], 'w').write(b.hex())
c.close()
PY
	track_pid $!
	for i in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/cap.port" ] && break; sleep 0.05; done
	CPORT=$(cat "$BATS_TEST_TMPDIR/cap.port")
	start_tls_dcmrecv server -v --commit --commit-peer "DCMSEND=127.0.0.1:$CPORT" --commit-delay 300
	LPORT=$(free_port)
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" \
		--tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" \
		--commit --commit-listen "127.0.0.1:$LPORT" --commit-timeout 2 \
		127.0.0.1 "$RECV_PORT" "${SMALL[0]}"
	[[ $output == *"uncommitted"* ]]
	wait_for_line "$RECV_STDERR" "storage commitment report .*DCMSEND" 10
	# a TLS handshake record (0x16, version 3.x), not an A-ASSOCIATE-RQ (01 00)
	[[ $(cat "$BATS_TEST_TMPDIR/cap.hex") == 1603* ]]
	stop_dcmrecv
	# the receiver checks the listener as any TLS client checks its
	# server: a certificate (good for the store as a client's) that does
	# not name 127.0.0.1 gets no report
	LPORT=$(free_port)
	start_tls_dcmrecv server --commit --commit-peer "DCMSEND=127.0.0.1:$LPORT" --commit-delay 300
	run -7 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" \
		--tls-cert "$PKI/wrongname.pem" --tls-key "$PKI/wrongname.key" \
		--commit --commit-listen "127.0.0.1:$LPORT" --commit-timeout 2 -d \
		127.0.0.1 "$RECV_PORT" "${SMALL[0]}"
	[[ $output == *"uncommitted"* ]]
	[[ $stderr != *"N-EVENT-REPORT-RQ"* ]]
	stop_dcmrecv
	grep -q "report '.*' for 'DCMSEND' not delivered: TLS: the server's certificate was refused: certificate does not match the name" "$RECV_STDERR"
}

@test "tls: dcmsend --commit-listen with --tls needs --tls-cert" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls --commit --commit-listen 0 127.0.0.1 104 "${SMALL[0]}"
	[[ $stderr == *"--commit-listen with --tls needs --tls-cert (the listener's certificate)"* ]]
}

@test "tls: dcmsend --commit-listen and --commit-wait with --tls need --tls-ca: one line, exit 2, the system's store never trusted for the archive's certificate" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" \
		--commit --commit-listen 127.0.0.1:0 127.0.0.1 104 "${SMALL[0]}"
	[[ $stderr == *"--commit-listen with --tls needs --tls-ca (the CAs that sign the archive's certificate: the system's store is not trusted for it)"* ]]
	[ -z "$output" ]
	printf '%s\n' "${SMALL[0]}" >"$BATS_TEST_TMPDIR/state"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" \
		--commit-wait "$BATS_TEST_TMPDIR/state" --commit-listen 127.0.0.1:0
	[[ $stderr == *"--commit-listen with --tls needs --tls-ca"* ]]
}

@test "tls: a certificate, key or CA file that is not there: one line naming it and why, exit 2 from both tools, before any file is read or peer tried" {
	local none=$BATS_TEST_TMPDIR/none.pem
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-ca "$PKI/ca.pem" --tls-cert "$none" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[ "$stderr" = "dcmrecv: cannot load the certificate '$none': No such file or directory" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --tls --tls-ca "$PKI/ca.pem" --tls-cert "$PKI/server.pem" --tls-key "$none" -o "$BATS_TEST_TMPDIR" 127.0.0.1:0
	[ "$stderr" = "dcmrecv: cannot load the private key '$none': No such file or directory" ]
	start_dcmrecv --tls --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" --tls-ca "$PKI/ca.pem"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls --tls-ca "$none" localhost "$RECV_PORT" "${SMALL[0]}"
	[ "$stderr" = "dcmsend: cannot load the trusted certificates '$none': No such file or directory" ]
	assert_output ""
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" --tls-cert "$none" --echo localhost "$RECV_PORT"
	[ "$stderr" = "dcmsend: cannot load the certificate '$none': No such file or directory" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" --tls-cert "$PKI/client.pem" --tls-key "$none" localhost "$RECV_PORT" "${SMALL[0]}"
	[ "$stderr" = "dcmsend: cannot load the private key '$none': No such file or directory" ]
	# nothing reached the receiver; the same files that are there do
	[ -z "$(ls "$RECV_DIR")" ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls "${CA[@]}" "${ME[@]}" localhost "$RECV_PORT" "${SMALL[0]}"
	same_dataset "${SMALL[0]}" "$RECV_DIR/$(cut -f4 <<<"$output").dcm"
	stop_dcmrecv
}
