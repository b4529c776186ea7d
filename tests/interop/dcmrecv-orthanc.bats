#!/usr/bin/env bats
# dcmrecv with Orthanc as the sender: files are uploaded to Orthanc over
# its REST API, then sent by C-STORE (POST /modalities/NAME/store) both to
# us and to DCMTK's bit-preserving storescp +B; our files must hold
# exactly the data sets storescp received.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

setup_file() {
	corpus_setup_file
}

setup() {
	corpus_peer_setup /usr/sbin/Orthanc /usr/bin/storescp curl
}

@test "dcmrecv-orthanc: Orthanc C-STOREs uploaded instances to us; data sets as sent" {
	start_storescp "$BATS_TEST_TMPDIR/ref" +B +xa -pm
	start_dcmrecv -a DCMRECV
	start_orthanc "\"DicomModalities\": { \"OURS\": [\"DCMRECV\", \"127.0.0.1\", $RECV_PORT], \"REF\": [\"STORESCP\", \"127.0.0.1\", $SCP_PORT] }"
	local api=http://127.0.0.1:$ORTHANC_HTTP f ids=() id n=0 iuid ours
	for f in "$CORPUS"/ts/*.dcm "$CORPUS"/sop/{CT,MR,EnhancedMR,EnhancedCT,UltrasoundMultiFrame,DigitalXRay}ImageStorage*.dcm "$CORPUS"/odd/*.dcm; do
		[ "$(dd if="$f" bs=1 skip=128 count=4 2>/dev/null)" = DICM ] || continue
		id=$(curl -sf -X POST --data-binary @"$f" "$api/instances" | jq -r .ID) || continue
		[ -n "$id" ] && [ "$id" != null ] && ids+=("$id")
	done
	[ "${#ids[@]}" -ge 15 ]
	local body
	body=$(printf '%s\n' "${ids[@]}" | sort -u | jq -R . | jq -sc '{Resources: ., Synchronous: true}')
	curl -s -X POST -d "$body" "$api/modalities/REF/store" >"$BATS_TEST_TMPDIR/ref.json"
	[ "$(jq -r .FailedInstancesCount "$BATS_TEST_TMPDIR/ref.json")" = 0 ]
	curl -sf -X POST -d "$body" "$api/modalities/OURS/store" >"$BATS_TEST_TMPDIR/store.json"
	[ "$(jq -r .FailedInstancesCount "$BATS_TEST_TMPDIR/store.json")" = 0 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	for f in "$BATS_TEST_TMPDIR"/ref/*; do
		iuid=${f##*/}
		iuid=${iuid#*.}
		ours=$RECV_DIR/$iuid.dcm
		same_dataset "$f" "$ours"
		[ "$(meta_value "$f" 0002,0010)" = "$(meta_value "$ours" 0002,0010)" ]
		[ "$(meta_value "$ours" 0002,0016)" = ORTHANC ]
		/usr/bin/gdcmdump "$ours" >/dev/null
		n=$((n + 1))
	done
	echo "compared $n files" >&3
	[ "$n" -eq "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq "$n" ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq "$n" ]
	[ "$(cut -f4 "$RECV_STDOUT" | sort -u)" = ORTHANC ]
	no_temporaries "$RECV_DIR"
}

@test "dcmrecv-orthanc: a failure status reaches Orthanc as a failed job" {
	start_dcmrecv --respond A700
	start_orthanc "\"DicomModalities\": { \"OURS\": [\"DCMRECV\", \"127.0.0.1\", $RECV_PORT] }"
	local api=http://127.0.0.1:$ORTHANC_HTTP id
	id=$(curl -sf -X POST --data-binary @"$CORPUS/ts/explicit-le.dcm" "$api/instances" | jq -r .ID)
	run curl -s -X POST -d "{\"Resources\": [\"$id\"], \"Synchronous\": true}" "$api/modalities/OURS/store"
	[[ $output != *'"FailedInstancesCount" : 0'* ]]
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	grep -q "answered A700" "$RECV_STDERR"
}
