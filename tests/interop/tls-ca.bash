# tls-ca.bash - a throw-away PKI for the TLS tests, made with openssl at
# test time: make_test_pki DIR writes into DIR
#   ca.pem ca.key          the test CA
#   other-ca.pem           a CA nobody trusts
#   server.pem server.key  localhost + 127.0.0.1, signed by the CA
#   client.pem client.key  CN=modality-1, signed by the CA
#   expired.pem expired.key   localhost, signed by the CA, expired
#   wrongname.pem wrongname.key   CN/SAN elsewhere.example, by the CA
#   rogue.pem rogue.key    localhost + 127.0.0.1, signed by other-ca
# (EC P-256 keys: fast to make.)

# _leaf DIR NAME CA SUBJ SAN [DAYS_START DAYS_END]
_tls_leaf() {
	local d=$1 n=$2 ca=$3 subj=$4 san=$5 start=${6:-} end=${7:-}
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$n.key" -subj "$subj" -out "$d/$n.csr" 2>/dev/null || return 1
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >"$d/$n.ext"
	if [ -n "$start" ]; then
		# x509 -days cannot go back in time: the CA command can
		openssl ca -batch -notext -config "$d/ca.cnf" -cert "$d/$ca.pem" \
			-keyfile "$d/$ca.key" -startdate "$start" -enddate "$end" \
			-extfile "$d/$n.ext" -in "$d/$n.csr" -out "$d/$n.pem" 2>/dev/null || return 1
	else
		openssl x509 -req -in "$d/$n.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" \
			-CAcreateserial -days 2 -extfile "$d/$n.ext" -out "$d/$n.pem" 2>/dev/null || return 1
	fi
}

make_test_pki() {
	local d=$1 c
	mkdir -p "$d/db"
	: >"$d/db/index.txt"
	cat >"$d/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
dir = $d/db
database = $d/db/index.txt
new_certs_dir = $d/db
serial = $d/db/serial
default_md = sha256
policy = any
[ any ]
commonName = supplied
CNF
	echo 01 >"$d/db/serial"
	for c in ca other-ca; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/$c.key" -subj "/CN=cstore test $c" -days 2 \
			-out "$d/$c.pem" 2>/dev/null || return 1
	done
	_tls_leaf "$d" server ca "/CN=localhost" "DNS:localhost,IP:127.0.0.1" || return 1
	_tls_leaf "$d" client ca "/O=cstore tests/CN=modality-1" "DNS:modality-1" || return 1
	_tls_leaf "$d" expired ca "/CN=localhost" "DNS:localhost,IP:127.0.0.1" \
		20200101000000Z 20200201000000Z || return 1
	_tls_leaf "$d" wrongname ca "/CN=elsewhere.example" "DNS:elsewhere.example" || return 1
	_tls_leaf "$d" rogue other-ca "/CN=localhost" "DNS:localhost,IP:127.0.0.1" || return 1
}

# make_chain_pki DIR (after make_test_pki DIR): a hospital's two-level PKI
# and its odd keys, into DIR
#   int.pem int.key        an intermediate CA signed by the test CA
#   ileaf.pem ileaf.key    localhost + 127.0.0.1, signed by the intermediate
#   ileaf-chain.pem        ileaf.pem then int.pem (what a server presents)
#   iclient.pem iclient.key, iclient-chain.pem   CN=modality-2, the same way
#   enc.key enc-trad.key   client.key encrypted (PKCS#8; traditional PEM),
#                          pass phrase "secret"
#   oldint.pem             the intermediate's certificate, expired
#   ileaf-oldchain.pem     ileaf.pem then oldint.pem
#   future.pem future.key  localhost + 127.0.0.1, by the CA, valid from 2099
#   self.pem self.key      localhost + 127.0.0.1, self-signed
#   srvonly.* clionly.*    localhost + 127.0.0.1, by the CA, extended key
#                          usage TLS server only; TLS client only
#   client.der client.key.der   client.pem and client.key as DER
make_chain_pki() {
	local d=$1 n
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/int.key" -subj "/CN=cstore test intermediate" -out "$d/int.csr" 2>/dev/null || return 1
	printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$d/int.ext"
	openssl x509 -req -in "$d/int.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/int.ext" -out "$d/int.pem" 2>/dev/null || return 1
	_tls_leaf "$d" ileaf int "/CN=localhost" "DNS:localhost,IP:127.0.0.1" || return 1
	_tls_leaf "$d" iclient int "/O=cstore tests/CN=modality-2" "DNS:modality-2" || return 1
	for n in ileaf iclient; do
		cat "$d/$n.pem" "$d/int.pem" >"$d/$n-chain.pem"
	done
	openssl pkcs8 -topk8 -in "$d/client.key" -passout pass:secret -out "$d/enc.key" 2>/dev/null || return 1
	openssl ec -in "$d/client.key" -aes256 -passout pass:secret -out "$d/enc-trad.key" 2>/dev/null || return 1
	# the CA command keeps one certificate per subject unless told
	echo 'unique_subject = no' >"$d/db/index.txt.attr"
	openssl ca -batch -notext -config "$d/ca.cnf" -cert "$d/ca.pem" -keyfile "$d/ca.key" \
		-startdate 20200101000000Z -enddate 20200201000000Z -extfile "$d/int.ext" \
		-in "$d/int.csr" -out "$d/oldint.pem" 2>/dev/null || return 1
	cat "$d/ileaf.pem" "$d/oldint.pem" >"$d/ileaf-oldchain.pem"
	_tls_leaf "$d" future ca "/CN=localhost" "DNS:localhost,IP:127.0.0.1" \
		20990101000000Z 21000101000000Z || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/self.key" \
		-subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -days 2 \
		-out "$d/self.pem" 2>/dev/null || return 1
	for n in srvonly:serverAuth clionly:clientAuth; do
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/${n%:*}.key" -subj "/CN=localhost" -out "$d/${n%:*}.csr" 2>/dev/null || return 1
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=%s\n' "${n#*:}" >"$d/${n%:*}.ext"
		openssl x509 -req -in "$d/${n%:*}.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
			-days 2 -extfile "$d/${n%:*}.ext" -out "$d/${n%:*}.pem" 2>/dev/null || return 1
	done
	openssl x509 -in "$d/client.pem" -outform der -out "$d/client.der" 2>/dev/null || return 1
	openssl pkey -in "$d/client.key" -outform der -out "$d/client.key.der" 2>/dev/null || return 1
}

# tls_setup_file: the files' shared setup_file (tls.bats, tls-pki.bats):
# the corpus, and the test PKI in $PKI (exported)
tls_setup_file() {
	corpus_setup
	export PKI=$BATS_FILE_TMPDIR/pki
	make_test_pki "$PKI"
}

# tls_setup: their shared setup: CA and ME (the options naming the test
# CA, and the client certificate and key), SMALL (three small files)
tls_setup() {
	require_netns
	require_cmd openssl
	CA=(--tls-ca "$PKI/ca.pem")
	ME=(--tls-cert "$PKI/client.pem" --tls-key "$PKI/client.key")
	SMALL=("$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/implicit-le.dcm" "$CORPUS/ts/jpeg-baseline.dcm")
}
