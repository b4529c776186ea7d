#!/usr/bin/env bats
# Every deflated transfer syntax (PS3.5 A.5 Deflated Explicit VR Little
# Endian, A.7 JPIP Referenced Deflate 1.2.840.10008.1.2.4.95 and JPIP
# HTJ2K Referenced Deflate .4.205, A.12, whose data sets are deflated as A.5
# says) read through the same inflate as the first: planning, sending as
# they are, dcmrecv's look, and how streams as writers make them (zlib
# wrapped, bytes after the stream, cut short) fare on each path.  Files
# are written at test time by tests/tools/mkdeflsyntax (pydicom).
# Runs beside other files (scripts/run-check).
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

DF=1.2.840.10008.1.2.1.99
JD=1.2.840.10008.1.2.4.95
HD=1.2.840.10008.1.2.4.205

setup_file() {
	local c ts m n=0
	c=$(corpus_dir)/ts/explicit-le.dcm
	mkdir -p "$BATS_FILE_TMPDIR/f"
	for ts in $DF $JD $HD; do
		for m in raw zlib trail trunc badrows oddbare; do
			n=$((n + 1))
			/usr/bin/python3 "$CSTORE_ROOT/tests/tools/mkdeflsyntax" "$c" \
				"$BATS_FILE_TMPDIR/f/$ts-$m.dcm" "$ts" "$m" "2.25.7741$n" >/dev/null
		done
	done
}

setup() {
	F=$BATS_FILE_TMPDIR/f
}

# uid_of FILE: its SOP Instance UID
uid_of() { "$CSTORE_TOOLS/dcm-dataset" -u "$1" | cut -f2; }

@test "deflated syntaxes: JPIP Referenced Deflate and JPIP HTJ2K Referenced Deflate are planned as Deflated Explicit VR LE is" {
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 1 "$F/$DF-raw.dcm" "$F/$JD-raw.dcm" "$F/$HD-raw.dcm"
	[ "$(grep -c '^planned' <<<"$output")" -eq 3 ]
	grep -q "^context.*	$JD\$" <<<"$output"
	grep -q "^context.*	$HD\$" <<<"$output"
	refute grep -q truncated <<<"$output"
}

@test "deflated syntaxes: each is sent as it is to dcmrecv, the data sets stored byte for byte" {
	local f
	require_netns
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$F/$DF-raw.dcm" "$F/$JD-raw.dcm" "$F/$HD-raw.dcm"
	[ "$(cut -f1 <<<"$output" | sort | uniq -c | tr -s ' ')" = " 3 0000" ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	for f in "$F/$DF-raw.dcm" "$F/$JD-raw.dcm" "$F/$HD-raw.dcm"; do
		cmp <(dataset_of "$f") <(dataset_of "$RECV_DIR/$(uid_of "$f").dcm")
		cmp <(meta_value "$f" 0002,0010) <(meta_value "$RECV_DIR/$(uid_of "$f").dcm" 0002,0010)
	done
}

@test "deflated syntaxes: dcmrecv --validate measures the Pixel Data of a Deflated data set as of a native one" {
	local bad=$F/$DF-badrows.dcm good=$F/$DF-raw.dcm
	require_netns
	mkdir "$BATS_TEST_TMPDIR/q"
	start_dcmrecv --validate --quarantine "$BATS_TEST_TMPDIR/q"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$good" "$bad"
	stop_dcmrecv
	assert_line --index 0 --regexp "^0000	$good	"
	assert_line --index 1 --regexp "^A900	$bad	.*Pixel Data is [0-9]+ bytes, the image needs [0-9]+"
	cmp <(dataset_of "$good") <(dataset_of "$RECV_DIR/$(uid_of "$good").dcm")
	[ ! -e "$RECV_DIR/$(uid_of "$bad").dcm" ]
	# kept in the quarantine as it came
	cmp <(dataset_of "$bad") <(dataset_of "$(find "$BATS_TEST_TMPDIR/q" -type f | head -1)")
}

# inflated FILE: FILE's data set inflated by Python's zlib, what follows
# the stream left out
inflated() {
	dataset_of "$1" | /usr/bin/python3 -c '
import sys, zlib
z = zlib.decompressobj(-15)
out = z.decompress(sys.stdin.buffer.read())
sys.exit("no whole stream") if not z.eof else sys.stdout.buffer.write(out)'
}

@test "deflated syntaxes: bytes after the stream are no part of the data set to the transcoder either: converted, said, data set equal" {
	local f=$F/$DF-trail.dcm
	require_netns
	# DCMTK and pydicom read such a file; the planner does
	run -0 /usr/bin/dcmdump -q "$f"
	start_dcmrecv --ts ExplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f"
	stop_dcmrecv
	assert_output --regexp "^0000	$f	.*transcoded to ExplicitVRLittleEndian.*104 bytes after the end of the deflate stream left out"
	cmp <(inflated "$f") <(dataset_of "$RECV_DIR/$(uid_of "$f").dcm")
}

@test "deflated syntaxes: a zlib-wrapped stream (RFC 1950), which DCMTK and pydicom refuse, is named so by the planner and by dcmrecv" {
	local ts f
	# DCMTK refuses it (pydicom too: Error -3, invalid stored block lengths)
	run /usr/bin/dcmdump -q "$F/$DF-zlib.dcm"
	assert_failure
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 1 "$F/$DF-zlib.dcm" "$F/$JD-zlib.dcm" "$F/$HD-zlib.dcm"
	for ts in $DF $JD $HD; do
		assert_line "notdicom	$F/$ts-zlib.dcm			corrupt Deflated dataset: a zlib-wrapped stream (RFC 1950), not raw deflate (PS3.5 A.5)"
	done
	# sent under a Deflated context by a sender that did not look
	require_netns
	start_dcmrecv -v
	f=$F/$DF-zlib.dcm
	dataset_of "$f" >"$BATS_TEST_TMPDIR/ds"
	raw_associate "$RECV_PORT" 1.2.840.10008.5.1.4.1.1.7 $DF
	raw_cstore 1.2.840.10008.5.1.4.1.1.7 "$(uid_of "$F/$DF-raw.dcm" | sed 's/1$/2/')" "$BATS_TEST_TMPDIR/ds"
	raw_release
	stop_dcmrecv
	[ "$RAW_STATUS" = C000 ]
	grep -q "answered C000 for '.*': cannot parse the data set: zlib-wrapped, not raw deflate (A.5)\$" "$RECV_STDERR"
	[ -z "$(ls "$RECV_DIR")" ]
}

@test "deflated syntaxes: an odd-length stream without its pad byte, in each, goes with the pad on the wire and is stored so" {
	local f
	require_netns
	for f in "$F/$DF-oddbare.dcm" "$F/$JD-oddbare.dcm" "$F/$HD-oddbare.dcm"; do
		[ $(( $(dataset_of "$f" | wc -c) % 2 )) -eq 1 ]
	done
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$F/$DF-oddbare.dcm" "$F/$JD-oddbare.dcm" "$F/$HD-oddbare.dcm"
	stop_dcmrecv
	[ "$(grep -c '^0000	.*deflated data set of odd length sent with its pad byte' <<<"$output")" -eq 3 ]
	for f in "$F/$DF-oddbare.dcm" "$F/$JD-oddbare.dcm" "$F/$HD-oddbare.dcm"; do
		cmp <(dataset_of "$f"; printf '\0') <(dataset_of "$RECV_DIR/$(uid_of "$f").dcm")
	done
}
