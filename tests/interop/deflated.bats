#!/usr/bin/env bats
# Deflated Explicit VR Little Endian data sets (PS3.5 A.5) whose deflate
# stream has an odd length: written with the pad byte A.5 asks for, and
# without it (DCMTK 3.6.7's dcmconv writes them so; tests/tools/mkdeflated
# makes both).  dcmsend pads the odd ones on the wire (PS3.8 E.1: PDVs
# of even length), so DCMTK's storescp and Orthanc, which abort on an
# odd fragment, store every object; dcmrecv stores what it receives,
# padded or not.  Data sets are compared inflated.

load ../bats/helpers
load ../bats/dcmrecv-helpers

setup_file() {
	local c
	c=$(corpus_dir)
	# 12 instances: padded and bare odd streams, and an even one
	/usr/bin/python3 "$CSTORE_ROOT/tests/tools/mkdeflated" "$c/ts/deflated.dcm" \
		"$BATS_FILE_TMPDIR/defl" 12 >"$BATS_FILE_TMPDIR/defl.tsv"
}

setup() {
	require_netns
	require_cmd dcmconv
	FILES=("$BATS_FILE_TMPDIR"/defl/*.dcm)
	[ "${#FILES[@]}" -eq 12 ]
	# both kinds are there
	ls "$BATS_FILE_TMPDIR"/defl | grep -q '^odd-bare-'
	ls "$BATS_FILE_TMPDIR"/defl | grep -q '^odd-padded-'
}

# inflated FILE: the data set of FILE inflated (what follows the deflate
# stream left out: a pad, nothing, or the run of zeros up to the
# inflated length that Orthanc 1.10 writes), by Python's zlib
inflated() {
	"$CSTORE_TOOLS/dcm-dataset" "$1" | /usr/bin/python3 -c '
import sys, zlib
z = zlib.decompressobj(-15)
out = z.decompress(sys.stdin.buffer.read())
if not z.eof or z.unused_data.strip(b"\0"):
    sys.exit("not one whole deflate stream")
sys.stdout.buffer.write(out)'
}

# ds_len FILE: bytes of the data set as stored
ds_len() { "$CSTORE_TOOLS/dcm-dataset" "$1" | wc -c; }

# same_inflated SENT GOT
same_inflated() {
	cmp <(inflated "$1") <(inflated "$2") ||
		{ echo "inflated data sets differ: $1 $2" >&2; return 1; }
}

# all_stored: dcmsend's TSV ($output) says Success for all 12
all_stored() {
	[ "$(grep -c . <<<"$output")" -eq 12 ]
	[ "$(cut -f1 <<<"$output" | sort -u)" = 0000 ] || { echo "$output" >&2; return 1; }
}

@test "deflated: odd-length streams to DCMTK storescp +B: every object stored, padded on the wire, data sets equal" {
	local f uid got n=0
	start_storescp "$BATS_TEST_TMPDIR/in" +B +xa -pm
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "${FILES[@]}"
	all_stored
	for f in "${FILES[@]}"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		got=$(ls "$BATS_TEST_TMPDIR/in/"*".$uid")
		same_inflated "$f" "$got"
		# +B writes what came: the stream and one pad byte when odd
		[ "$(ds_len "$got")" -eq $(( ($(ds_len "$f") + 1) / 2 * 2 )) ]
		n=$((n + 1))
	done
	[ "$n" -eq 12 ]
	! grep -qi "odd" "$BATS_TEST_TMPDIR/storescp.log"
	# the bare ones were said to be padded, the others not
	[ "$(grep -c "sent with its pad byte" <<<"$output")" -eq "$(ls "$BATS_FILE_TMPDIR"/defl | grep -c '^odd-bare-')" ]
}

@test "deflated: odd-length streams to Orthanc: every object stored, data sets equal once inflated" {
	local f uid id got
	start_orthanc
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "${FILES[@]}"
	all_stored
	[ "$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/statistics" | jq .CountInstances)" -eq 12 ]
	for f in "${FILES[@]}"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		id=$(curl -sf -X POST -d "$uid" "http://127.0.0.1:$ORTHANC_HTTP/tools/lookup" | jq -r '.[0].ID')
		got=$BATS_TEST_TMPDIR/$uid.dcm
		curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances/$id/file" -o "$got"
		# Orthanc writes its own meta: compare the data sets inflated
		[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$got" | cut -f3)" = 1.2.840.10008.1.2.1.99 ]
		same_inflated "$f" "$got"
	done
}

@test "deflated: odd-length streams to our dcmrecv through dcmsend: stored with the pad, data sets equal" {
	local f uid got
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	all_stored
	stop_dcmrecv
	[ "$(wc -l <"$RECV_STDOUT")" -eq 12 ]
	for f in "${FILES[@]}"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		got=$RECV_DIR/$uid.dcm
		same_inflated "$f" "$got"
		# what came on the wire: the file's bytes, then the pad if odd
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$f") <("$CSTORE_TOOLS/dcm-dataset" "$got" | head -c "$(ds_len "$f")")
		[ "$(ds_len "$got")" -eq $(( ($(ds_len "$f") + 1) / 2 * 2 )) ]
	done
}

@test "deflated: dcmrecv stores an unpadded odd-length stream as it came, and a padded one with its pad" {
	local f uid ds
	start_dcmrecv
	raw_associate "$RECV_PORT" 1.2.840.10008.5.1.4.1.1.7 1.2.840.10008.1.2.1.99
	for f in "$BATS_FILE_TMPDIR"/defl/odd-bare-2.dcm "$BATS_FILE_TMPDIR"/defl/odd-padded-1.dcm; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		ds=$BATS_TEST_TMPDIR/ds.$uid
		"$CSTORE_TOOLS/dcm-dataset" "$f" >"$ds"
		raw_cstore 1.2.840.10008.5.1.4.1.1.7 "$uid" "$ds"
		[ "$RAW_STATUS" = 0000 ]
	done
	raw_release
	stop_dcmrecv
	for f in "$BATS_FILE_TMPDIR"/defl/odd-bare-2.dcm "$BATS_FILE_TMPDIR"/defl/odd-padded-1.dcm; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$f") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/$uid.dcm")
	done
	[ $(( $(ds_len "$RECV_DIR/$("$CSTORE_TOOLS/dcm-dataset" -u "$BATS_FILE_TMPDIR/defl/odd-bare-2.dcm" | cut -f2).dcm") % 2 )) -eq 1 ]
}
