#!/usr/bin/env bats
# Orthanc as Storage Commitment requester (SCU) to our dcmrecv --commit:
# POST /modalities/OURS/storage-commitment names instances we stored and
# one we never received; Orthanc closes its association after the
# N-ACTION, so our report comes on a new association to its DICOM port
# (--commit-peer), and Orthanc's GET /storage-commitment/TXUID must say
# which instances succeeded and which failed, and why.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
CLS=1.2.840.10008.5.1.4.1.1.7
U=1.2.826.0.1.3680043.10.2

setup() {
	require_netns
	require_cmd /usr/sbin/Orthanc
	require_cmd /usr/bin/dcmodify
	require_cmd curl
	require_cmd jq
	IN=$BATS_TEST_TMPDIR/in
	mkdir -p "$IN"
	for i in 1 2; do
		cp "$FIX" "$IN/$i.dcm"
		/usr/bin/dcmodify -nb -q -i "(0008,0018)=$U.$i" "$IN/$i.dcm"
	done
}

# commit_via_orthanc INSTANCE...: Orthanc asks us to commit the
# instances (of class CLS, or CLASS:INSTANCE); prints its final report
# (JSON), within 20 s.
commit_via_orthanc() {
	local api=http://127.0.0.1:$ORTHANC_HTTP body="" i c tx st
	for i in "$@"; do
		case $i in
		*:*) c=${i%%:*} i=${i#*:} ;;
		*) c=$CLS ;;
		esac
		body="$body${body:+,}{\"SOPClassUID\": \"$c\", \"SOPInstanceUID\": \"$i\"}"
	done
	tx=$(curl -sf -X POST -d "{\"DicomInstances\": [$body]}" \
		"$api/modalities/OURS/storage-commitment" | jq -r .ID)
	[ -n "$tx" ] && [ "$tx" != null ] || { echo "no transaction" >&2; return 1; }
	for i in $(seq 200); do
		st=$(curl -sf "$api/storage-commitment/$tx")
		[ "$(jq -r .Status <<<"$st")" != Pending ] && break
		sleep 0.1
	done
	echo "$st"
}

start_pair() {
	start_orthanc
	start_dcmrecv --commit -v --commit-peer "ORTHANC=127.0.0.1:$ORTHANC_DICOM" "$@"
	curl -sf -X PUT -d "{\"AET\": \"DCMRECV\", \"Host\": \"127.0.0.1\", \"Port\": $RECV_PORT}" \
		"http://127.0.0.1:$ORTHANC_HTTP/modalities/OURS" >/dev/null
	"$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$IN"/*.dcm >/dev/null
}

@test "dcmrecv-orthanc-commit: Orthanc's job reports success for what we hold and failure (0112) for one we never received" {
	start_pair
	run -0 commit_via_orthanc $U.1 $U.2 $U.9
	stop_dcmrecv
	echo "$output" >&2; cat "$RECV_STDERR" >&2 # shown on failure
	[ "$(jq -r .Status <<<"$output")" = Failure ]
	[ "$(jq -r '[.Success[].SOPInstanceUID] | sort | join(" ")' <<<"$output")" = "$U.1 $U.2" ]
	[ "$(jq -r '.Failures | length' <<<"$output")" = 1 ]
	[ "$(jq -r '.Failures[0].SOPInstanceUID' <<<"$output")" = $U.9 ]
	[ "$(jq -r '.Failures[0].FailureReason' <<<"$output")" = 274 ] # 0x0112
	grep -q "sent to 'ORTHANC' at 127.0.0.1 port $ORTHANC_DICOM: 2 committed, 1 failed; answered 0000" "$RECV_STDERR"
}

@test "dcmrecv-orthanc-commit: every instance held: Orthanc's job says Success" {
	start_pair --commit-delay 200
	run -0 commit_via_orthanc $U.1 $U.2
	stop_dcmrecv
	echo "$output" >&2; cat "$RECV_STDERR" >&2 # shown on failure
	[ "$(jq -r .Status <<<"$output")" = Success ]
	[ "$(jq -r '.Success | length' <<<"$output")" = 2 ]
	[ "$(jq -r '.Failures | length' <<<"$output")" = 0 ]
}

@test "dcmrecv-orthanc-commit: Orthanc's job shows 0119 for a held instance asked under another class, 0122 for a class we do not store" {
	start_pair
	run -0 commit_via_orthanc $U.1 1.2.840.10008.5.1.4.1.1.2:$U.2 1.2.3.4.5:$U.8
	stop_dcmrecv
	echo "$output" >&2; cat "$RECV_STDERR" >&2 # shown on failure
	[ "$(jq -r .Status <<<"$output")" = Failure ]
	[ "$(jq -r '[.Success[].SOPInstanceUID] | join(" ")' <<<"$output")" = $U.1 ]
	[ "$(jq -r '.Failures[] | select(.SOPInstanceUID == "'$U.2'") | .FailureReason' <<<"$output")" = 281 ] # 0x0119
	[ "$(jq -r '.Failures[] | select(.SOPInstanceUID == "'$U.8'") | .FailureReason' <<<"$output")" = 290 ] # 0x0122
}
