#!/usr/bin/env bats
# dcmrecv facing foreign SCUs in configurations the other dcmrecv-*.bats
# files do not use: Orthanc's C-STORE SCU driven through its REST API
# (jobs, transcoding, small PDUs, a whole study, storage commitment) and
# dcmjs-dimse's asynchronous operations window against dcmrecv's.
# (gdcmscu 3.0.21 -r over a directory sends its first file only, then
# throws "ProtocolStream as nullptr is invalid", to storescp as to us.)
# What arrived is compared on disk with what was sent (data set bytes,
# meta header), and dcmrecv's lines and exit status with what it did.
# Runs beside other files (scripts/run-check), started first (minutes: a whole
# study through Orthanc).  No test bounds a time.
# bats file_tags=parallel,heavy

load ../bats/helpers
load ../bats/dcmrecv-helpers

setup_file() {
	corpus_setup_file
}

setup() {
	corpus_peer_setup
}

# orthanc_upload FILE...: each file into Orthanc; prints the instance IDs
orthanc_upload() {
	local f id
	for f in "$@"; do
		id=$(curl -sf -X POST --data-binary @"$f" "http://127.0.0.1:$ORTHANC_HTTP/instances" | jq -r .ID) ||
			{ echo "Orthanc refused $f" >&2; return 1; }
		echo "$id"
	done
}

# orthanc_job ID: waits (120 s at most) for job ID to end; prints its State
orthanc_job() {
	local i st
	for i in $(seq 1200); do
		st=$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/jobs/$1" | jq -r .State)
		case $st in Success | Failure) echo "$st"; return 0 ;; esac
		sleep 0.1
	done
	echo "job $1 still $st" >&2
	return 1
}

# orthanc_compare REF_DIR AET: every file storescp +B wrote into REF_DIR
# is in $RECV_DIR with the same data set, transfer syntax, SOP instance
# in the meta, Source AE AET, a line naming it.  Prints the number
# compared.
orthanc_compare() {
	local f iuid ours n=0
	for f in "$1"/*; do
		iuid=${f##*/}
		iuid=${iuid#*.}
		ours=$RECV_DIR/$iuid.dcm
		[ -f "$ours" ] || { echo "missing: $iuid" >&2; return 1; }
		same_dataset "$f" "$ours" || return 1
		[ "$(meta_value "$f" 0002,0010)" = "$(meta_value "$ours" 0002,0010)" ] ||
			{ echo "$ours: transfer syntax differs" >&2; return 1; }
		[ "$(meta_value "$ours" 0002,0003)" = "$iuid" ] || return 1
		[ "$(meta_value "$ours" 0002,0002)" = "$(meta_value "$f" 0002,0002)" ] || return 1
		[ "$(meta_value "$ours" 0002,0016)" = "$2" ] ||
			{ echo "$ours: source AE $(meta_value "$ours" 0002,0016), not $2" >&2; return 1; }
		grep -qF "$ours	" "$RECV_STDOUT" || { echo "no line for $ours" >&2; return 1; }
		n=$((n + 1))
	done
	no_temporaries "$RECV_DIR"
	echo "$n"
}

# orthanc_store MODALITY JSON: POST /modalities/MODALITY/store; the answer
# in $BATS_TEST_TMPDIR/MODALITY.json
orthanc_store() {
	curl -s -X POST -d "$2" "http://127.0.0.1:$ORTHANC_HTTP/modalities/$1/store" \
		>"$BATS_TEST_TMPDIR/$1.json"
}

# orthanc_transcodes RECV_OPTS STORESCP_OPTS [ORTHANC_JSON]: the corpus's
# transfer syntaxes uploaded to Orthanc and pushed (one synchronous,
# permissive job each) to storescp +B STORESCP_OPTS and to dcmrecv
# RECV_OPTS, which take only some syntaxes: what Orthanc converted for
# one it converted alike for the other.  Sets N to the number of files.
# (Not under `run`: the servers it starts must stay the test's own.)
orthanc_transcodes() {
	start_storescp "$BATS_TEST_TMPDIR/ref" +B $2
	start_dcmrecv $1
	start_orthanc "\"DicomModalities\": { \"OURS\": [\"DCMRECV\", \"127.0.0.1\", $RECV_PORT], \"REF\": [\"STORESCP\", \"127.0.0.1\", $SCP_PORT] }${3:+, $3}"
	local ids body n
	mapfile -t ids < <(orthanc_upload "$CORPUS"/ts/*.dcm)
	[ "${#ids[@]}" -ge 12 ] || return 1
	body=$(printf '%s\n' "${ids[@]}" | jq -R . | jq -sc '{Resources: ., Synchronous: true, Permissive: true}')
	orthanc_store REF "$body"
	orthanc_store OURS "$body"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ] || return 1
	n=$(orthanc_compare "$BATS_TEST_TMPDIR/ref" ORTHANC) || return 1
	[ "$(ls "$RECV_DIR" | wc -l)" -eq "$n" ] || return 1
	[ "$(wc -l <"$RECV_STDOUT")" -eq "$n" ] || return 1
	N=$n
}

@test "dcmrecv-foreign: Orthanc converts what dcmrecv --accept-ts does not take to Explicit VR LE: each file as storescp got it, in a syntax dcmrecv takes" {
	require_cmd /usr/sbin/Orthanc
	orthanc_transcodes --accept-ts=ExplicitVRLittleEndian,ImplicitVRLittleEndian,ExplicitVRBigEndian ""
	echo "compared $N files" >&3
	# Orthanc 1.10 without its GDCM plugin decodes neither JPEG 2000 nor
	# JPEG-LS: those go to neither peer (and its job counts no failure)
	[ "$N" -ge 8 ]
	local f ts explicit=0
	for f in "$RECV_DIR"/*; do
		ts=$(meta_value "$f" 0002,0010)
		case $ts in
		1.2.840.10008.1.2 | 1.2.840.10008.1.2.2) ;;
		1.2.840.10008.1.2.1) explicit=$((explicit + 1)) ;;
		*) echo "$f: $ts" >&2; return 1 ;;
		esac
	done
	# the JPEG, RLE and Deflated files were converted, not left out
	[ "$explicit" -ge 6 ]
}

@test "dcmrecv-foreign: Orthanc with DicomScuPreferredTransferSyntax Implicit VR LE, to dcmrecv taking only that: each file as storescp +xi got it" {
	require_cmd /usr/sbin/Orthanc
	orthanc_transcodes --accept-ts=ImplicitVRLittleEndian +xi '"DicomScuPreferredTransferSyntax": "1.2.840.10008.1.2"'
	echo "compared $N files" >&3
	[ "$N" -ge 8 ]
	local f
	for f in "$RECV_DIR"/*; do
		[ "$(meta_value "$f" 0002,0010)" = 1.2.840.10008.1.2 ]
	done
}

@test "dcmrecv-foreign: Orthanc pushes a whole study as an asynchronous job with LocalAet and Move Originator: every instance byte for byte, lines name its AE" {
	require_cmd /usr/sbin/Orthanc
	start_storescp "$BATS_TEST_TMPDIR/ref" +B +xa -pm
	start_dcmrecv -v
	start_orthanc "\"DicomModalities\": { \"OURS\": [\"DCMRECV\", \"127.0.0.1\", $RECV_PORT], \"REF\": [\"STORESCP\", \"127.0.0.1\", $SCP_PORT] }"
	local ids study job n
	# the corpus's files share one study
	mapfile -t ids < <(orthanc_upload "$CORPUS"/sop/*.dcm "$CORPUS"/ts/explicit-le.dcm)
	study=$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/studies" | jq -r '.[0]')
	[ "$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/studies" | jq length)" -eq 1 ]
	orthanc_store REF "{\"Resources\": [\"$study\"], \"Synchronous\": true, \"Permissive\": true}"
	orthanc_store OURS "{\"Resources\": [\"$study\"], \"Asynchronous\": true, \"Permissive\": true, \"LocalAet\": \"PUSHER\", \"MoveOriginatorAet\": \"VIEWER\", \"MoveOriginatorID\": 4242, \"Priority\": 3}"
	job=$(jq -r .ID "$BATS_TEST_TMPDIR/OURS.json")
	run -0 orthanc_job "$job"
	[ "$output" = Success ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# DCMTK 3.6.7's storescp refuses 8 of the corpus's classes (Hanging
	# Protocol, Color Palette, the Defined Procedure Protocols, Implant
	# Templates...) and Orthanc counts none failed: every file of the
	# corpus is compared with the one Orthanc sent us too
	ls "$CORPUS"/sop/*.dcm "$CORPUS/ts/explicit-le.dcm" >"$BATS_TEST_TMPDIR/sent"
	run -0 same_datasets_by_uid "$BATS_TEST_TMPDIR/sent" "$RECV_DIR"
	n=$(wc -l <"$BATS_TEST_TMPDIR/sent")
	[ "$output" -eq "$n" ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq "$n" ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq "$n" ]
	run -0 orthanc_compare "$BATS_TEST_TMPDIR/ref" PUSHER
	[ "$output" -ge $((n - 8)) ]
	[ "$(cut -f4 "$RECV_STDOUT" | sort -u)" = PUSHER ]
	grep -q "association 1 from 'PUSHER'" "$RECV_STDERR"
}

@test "dcmrecv-foreign: Orthanc with 4 KiB PDUs sends a 40 MiB object to dcmrecv --max-pdu 4096: stored byte for byte" {
	require_cmd /usr/sbin/Orthanc
	local big=$BATS_TEST_TMPDIR/big.dcm len=$((40 * 1024 * 1024)) id
	cp "$CORPUS/ts/explicit-le.dcm" "$big"
	{
		printf '\xe1\x7f\x10\x00LO\x0c\x00CSTORE TEST '
		printf '\xe1\x7f\x00\x10OB\x00\x00'
		printf "\\x$(printf %02x $((len & 255)))\\x$(printf %02x $(((len >> 8) & 255)))\\x$(printf %02x $(((len >> 16) & 255)))\\x$(printf %02x $(((len >> 24) & 255)))"
		head -c "$len" /dev/urandom
	} >>"$big"
	start_dcmrecv --max-pdu 4096
	start_orthanc "\"MaximumPduLength\": 4096, \"DicomModalities\": { \"OURS\": [\"DCMRECV\", \"127.0.0.1\", $RECV_PORT] }"
	id=$(orthanc_upload "$big")
	orthanc_store OURS "{\"Resources\": [\"$id\"], \"Synchronous\": true}"
	[ "$(jq -r .FailedInstancesCount "$BATS_TEST_TMPDIR/OURS.json")" = 0 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	local iuid
	iuid=$(meta_value "$big" 0008,0018)
	# Orthanc keeps the file as uploaded and sends its data set
	same_dataset "$big" "$RECV_DIR/$iuid.dcm"
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
}

@test "dcmrecv-foreign: Orthanc pushes with StorageCommitment to dcmrecv --commit: every instance stored byte for byte, the report reaches Orthanc: all committed" {
	require_cmd /usr/sbin/Orthanc
	start_orthanc
	start_dcmrecv --commit -v --commit-peer "ORTHANC=127.0.0.1:$ORTHANC_DICOM"
	curl -sf -X PUT -d "{\"AET\": \"DCMRECV\", \"Host\": \"127.0.0.1\", \"Port\": $RECV_PORT}" \
		"http://127.0.0.1:$ORTHANC_HTTP/modalities/OURS" >/dev/null
	local ids body job tx st i f
	printf '%s\n' "$CORPUS"/ts/{explicit-le,implicit-le,explicit-be,jpeg-baseline}.dcm \
		"$CORPUS"/sop/CTImageStorage.dcm >"$BATS_TEST_TMPDIR/sent"
	mapfile -t ids < <(orthanc_upload $(cat "$BATS_TEST_TMPDIR/sent"))
	body=$(printf '%s\n' "${ids[@]}" | jq -R . | jq -sc '{Resources: ., Asynchronous: true, StorageCommitment: true}')
	orthanc_store OURS "$body"
	job=$(jq -r .ID "$BATS_TEST_TMPDIR/OURS.json")
	run -0 orthanc_job "$job"
	[ "$output" = Success ]
	tx=$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/jobs/$job" | jq -r .Content.StorageCommitmentTransactionUID)
	[ -n "$tx" ] && [ "$tx" != null ]
	# Orthanc releases its N-ACTION association at once: the report sent
	# there goes again to --commit-peer (dcmrecv(1)); either way it lands
	for i in $(seq 200); do
		st=$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/storage-commitment/$tx")
		[ "$(jq -r .Status <<<"$st")" != Pending ] && break
		sleep 0.1
	done
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(jq -r .Status <<<"$st")" = Success ]
	[ "$(jq -r '.Success | length' <<<"$st")" -eq 5 ]
	[ "$(jq -r '.Failures | length' <<<"$st")" -eq 0 ]
	run -0 same_datasets_by_uid "$BATS_TEST_TMPDIR/sent" "$RECV_DIR"
	[ "$output" -eq 5 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 5 ]
	grep -q "storage commitment request '$tx': 5 instances" "$RECV_STDERR"
	grep -q "'$tx'.*5 committed, 0 failed; answered 0000" "$RECV_STDERR"
}

@test "dcmrecv-foreign: dcmjs-dimse proposes a window of 16 to dcmrecv --async 1 and --async 3: the window granted is dcmrecv's, every object answered 0000 and on disk once, values as sent" {
	local js=$BATS_TEST_DIRNAME/../js n f u files
	require_cmd node
	[ -d "$js/node_modules/dcmjs-dimse" ] ||
		skip "tests/js/node_modules missing: run scripts/install-deps (npm ci in tests/js)"
	# one transfer syntax per SOP class (dcmjs-dimse drops the others,
	# dcmjs.bats); files without private elements, whose values
	# its re-encoding keeps (it sends them in Implicit VR LE)
	mapfile -t files < <(ls "$CORPUS"/sop/*.dcm | head -24)
	for n in 1 3; do
		RECV_DIR=$BATS_TEST_TMPDIR/out$n
		start_dcmrecv -v --async "$n"
		run -0 node "$js/dimse-scu.js" 127.0.0.1 "$RECV_PORT" --async 16 "${files[@]}"
		printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/scu$n.out"
		stop_dcmrecv
		[ "$RECV_STATUS" -eq 0 ]
		grep -q "accepted 25 of 25 presentation contexts, async window $n\$" "$RECV_STDERR"
		grep -qx released "$BATS_TEST_TMPDIR/scu$n.out"
		[ "$(grep -c $'^rsp\t.*\t0000$' "$BATS_TEST_TMPDIR/scu$n.out")" -eq 24 ]
		[ "$(ls "$RECV_DIR" | wc -l)" -eq 24 ]
		[ "$(wc -l <"$RECV_STDOUT")" -eq 24 ]
		for f in "${files[@]}"; do
			u=$(meta_value "$f" 0008,0018)
			diff <(/usr/bin/dcmdump -q "$f" | grep -v -e '^#' -e '^(0002' -e '^(0008,0005)') \
				<(/usr/bin/dcmdump -q "$RECV_DIR/$u.dcm" | grep -v -e '^#' -e '^(0002' -e '^(0008,0005)') >&2
			[ "$(meta_value "$RECV_DIR/$u.dcm" 0002,0016)" = DIMSE-SCU ]
		done
	done
}
