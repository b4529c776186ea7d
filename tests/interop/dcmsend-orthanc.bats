#!/usr/bin/env bats
# dcmsend against Orthanc: every SOP Instance UID shows in its REST API
# and the files fetched back hold the data sets that were sent (element
# by element and decoded pixels: Orthanc writes the data set again, with
# explicit-length sequences and its own deflate).
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load dcmsend-helpers

setup_file() {
	corpus_setup
}

setup() {
	require_netns
	require_cmd /usr/sbin/Orthanc
}

# fetch_all DIR: every instance Orthanc holds, as files in DIR.
fetch_all() {
	local dir=$1 id
	mkdir -p "$dir"
	for id in $(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances" | jq -r '.[]'); do
		curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances/$id/file" -o "$dir/$id.dcm"
	done
}

@test "dcmsend: the corpus to Orthanc, every instance arrives with its data set" {
	start_orthanc
	run --separate-stderr "$CSTORE_BIN/dcmsend" -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" \
		"$CORPUS/sop" "$CORPUS/ts" "$CORPUS/odd"
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	one_line_per_input "$BATS_TEST_TMPDIR/res" "$(find "$CORPUS/sop" "$CORPUS/ts" "$CORPUS/odd" -type f | wc -l)"
	nok=$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")
	[ "$nok" -ge 200 ]
	# each stored line's SOP Instance UID is known to Orthanc, and nothing else
	curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances?expand" |
		jq -r '.[].MainDicomTags.SOPInstanceUID' | sort -u >"$BATS_TEST_TMPDIR/orthanc.uids"
	grep $'^0000\t' "$BATS_TEST_TMPDIR/res" | cut -f4 | sort -u >"$BATS_TEST_TMPDIR/sent.uids"
	diff "$BATS_TEST_TMPDIR/sent.uids" "$BATS_TEST_TMPDIR/orthanc.uids"
	[ "$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/statistics" | jq .CountInstances)" -eq "$(wc -l <"$BATS_TEST_TMPDIR/sent.uids")" ]
	# and what it stored is what was sent
	fetch_all "$BATS_TEST_TMPDIR/back"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/back" values)" -eq "$nok" ]
	# anything not stored says why
	[ "$(grep -vc -e $'^0000\t' -e $'^nocontext\t.*accept' "$BATS_TEST_TMPDIR/res")" -eq 0 ]
}

@test "dcmsend -j 4 --per-assoc 5 --json to Orthanc: every transfer syntax arrives" {
	start_orthanc
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -j 4 --per-assoc 5 --json -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "$CORPUS/ts"
	n=$(ls "$CORPUS/ts" | wc -l)
	[ "$(jq -r .status <<<"$output" | grep -c '^0000$')" -eq "$n" ]
	[ "$(jq -r .association <<<"$output" | sort -u | wc -l)" -ge 4 ]
	jq -r '[.status, .path, .sop_class_uid, .sop_instance_uid, (if .transcoded then "transcoded to" else "" end)] | @tsv' \
		<<<"$output" >"$BATS_TEST_TMPDIR/res"
	fetch_all "$BATS_TEST_TMPDIR/back"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/back" values)" -eq "$n" ]
}

@test "dcmsend: Orthanc rejecting the called AE title: exit 4, nothing sent" {
	start_orthanc '"DicomCheckCalledAet": true'
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" -c WRONG 127.0.0.1 "$ORTHANC_DICOM" "$CORPUS/ts/explicit-le.dcm"
	assert_output --regexp $'^notsent\t.*rejected by .WRONG.'
	[ "$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/statistics" | jq .CountInstances)" -eq 0 ]
}

# Orthanc answers A700 (Refused: Out of Resources) to a data set without
# its Series Instance UID, every time: --follow tried it again for
# --retry-for, forever by default, and held the stream.  Now 8 attempts.
@test "dcmsend --follow to Orthanc: a data set it answers A700 for good is given up after 8 attempts; the others arrive as sent, exit 1" {
	start_orthanc
	local w=$BATS_TEST_TMPDIR
	cp "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/implicit-le.dcm" "$w/"
	cp "$CORPUS/ts/explicit-le.dcm" "$w/noseries.dcm"
	# (dcmodify changes the meta header's instance UID with it)
	dcmodify -nb -ea "(0020,000e)" -m "(0008,0018)=1.2.826.0.1.3680043.10.99.77" "$w/noseries.dcm"
	run -1 --separate-stderr timeout 60 "$CSTORE_BIN/dcmsend" --follow --retry-delay 10 \
		-c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" - \
		< <(printf '%s\n' "$w/explicit-le.dcm" "$w/noseries.dcm" "$w/implicit-le.dcm")
	[ "${#lines[@]}" -eq 3 ]
	assert_line --regexp $'^A700\t.*/noseries\\.dcm\t.*\t1\\.2\\.826\\.0\\.1\\.3680043\\.10\\.99\\.77\t.*answered A700 on attempt 8; not sent again: 8 attempts at most$'
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	printf '%s\n' "$output" >"$w/res"
	[ "$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/statistics" | jq .CountInstances)" -eq 2 ]
	fetch_all "$w/back"
	[ "$(check_arrived "$w/res" "$w/back" values)" -eq 2 ]
}

# bats test_tags=serial
@test "dcmsend --follow to Orthanc closing idle associations (DicomScpTimeout 1): files that come after each abort go on a new association, every one stored once, exit 0" {
	start_orthanc '"DicomScpTimeout": 1'
	local w=$BATS_TEST_TMPDIR i
	for i in 1 2 3 4; do
		cp "$CORPUS/ts/explicit-le.dcm" "$w/f$i.dcm"
		# (dcmodify changes the meta header's instance UID with it)
		dcmodify -nb -m "(0008,0018)=1.2.826.0.1.3680043.10.99.8$i" "$w/f$i.dcm"
	done
	# Orthanc aborts an association quiet for a second: it is quiet for
	# four after the first file and after the third
	run -0 --separate-stderr timeout 60 "$CSTORE_BIN/dcmsend" -v --follow --idle 30 \
		-c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" - \
		< <(echo "$w/f1.dcm"; sleep 4; printf '%s\n' "$w/f2.dcm" "$w/f3.dcm"; sleep 4; echo "$w/f4.dcm")
	[ "${#lines[@]}" -eq 4 ]
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 4 ]
	grep -q 'association 1 ended: association aborted by the peer' <<<"$stderr"
	grep -q 'association 3: ' <<<"$stderr"
	printf '%s\n' "$output" >"$w/res"
	[ "$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/statistics" | jq .CountInstances)" -eq 4 ]
	fetch_all "$w/back"
	[ "$(check_arrived "$w/res" "$w/back" values)" -eq 4 ]
}
