#!/usr/bin/env bats
# dcmsend on a file whose meta header names one transfer syntax while
# its data set is encoded in another (PART10_F_TS_MISMATCH): sent as
# what the bytes really are when a transfer syntax describes them,
# refused with a line of its own when none does (an Implicit VR data set
# under a syntax that must be Explicit VR, PS3.5 A.4; native Pixel Data
# under an encapsulated syntax, or fragments under a native one) --
# never sent under a syntax the peer would misread.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

D=$CSTORE_ROOT/tests/data
TOOLS=${CSTORE_TOOLS:-$CSTORE_ROOT/build/tests/tools}
PYDICOM_DATA=/usr/lib/python3/dist-packages/pydicom/data

# splice META_FILE DATASET_FILE OUT: META_FILE's preamble and meta
# header, then DATASET_FILE's data set.
splice() {
	local meta_len
	meta_len=$(( $(stat -c %s "$1") - $("$TOOLS/dcm-dataset" "$1" | wc -c) ))
	{ head -c "$meta_len" "$1"; "$TOOLS/dcm-dataset" "$2"; } >"$3"
}

# under_ts TS SRC OUT: SRC's data set under a meta header naming TS (its
# SOP Class and Instance UIDs kept), whatever TS says of the bytes.
under_ts() {
	local uids
	uids=$("$TOOLS/dcm-dataset" -u "$2") || return 1
	"$TOOLS/dcm-dataset" "$2" | python3 -c '
import struct, sys
ts, cls, inst = (a.encode() for a in sys.argv[1:4])
def el(tag, vr, v):
    v += b"\0" * (len(v) % 2)
    if vr == b"OB":
        return struct.pack("<HH2sHI", 2, tag, vr, 0, len(v)) + v
    return struct.pack("<HH2sH", 2, tag, vr, len(v)) + v
body = (el(1, b"OB", b"\0\1") + el(2, b"UI", cls) + el(3, b"UI", inst) +
    el(0x10, b"UI", ts) + el(0x12, b"UI", b"1.2.3.4"))
sys.stdout.buffer.write(b"\0" * 128 + b"DICM" +
    struct.pack("<HH2sHI", 2, 0, b"UL", 4, len(body)) + body +
    sys.stdin.buffer.read())' "$1" "$(cut -f1 <<<"$uids")" "$(cut -f2 <<<"$uids")" >"$3"
}

setup() {
	require_netns
	[ -x "$TOOLS/dcm-dataset" ] || skip "test tools not built"
}

@test "dcmsend: meta says Implicit VR LE, data set is Explicit VR LE: sent and stored as Explicit VR LE, said in the line" {
	local f=$BATS_TEST_TMPDIR/mismatch.dcm stored
	splice "$D/p10-ivrle.dcm" "$D/p10-evrle.dcm" "$f"
	start_dcmrecv -q
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f"
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	[[ $output == *"meta header transfer syntax 1.2.840.10008.1.2 differs: sent as the data set's"* ]]
	stop_dcmrecv
	stored=$(find "$RECV_DIR" -type f)
	[ "$(wc -l <<<"$stored")" -eq 1 ]
	# the receiver's meta now says what the bytes are, and they are the same bytes
	[ "$("$TOOLS/dcm-dataset" -u "$stored" | cut -f3)" = 1.2.840.10008.1.2.1 ]
	cmp <("$TOOLS/dcm-dataset" "$stored") <("$TOOLS/dcm-dataset" "$D/p10-evrle.dcm")
	run -0 --separate-stderr dcmdump -q "$stored"
	[ -z "$stderr" ]
}

@test "dcmsend: a file in Papyrus 3 Implicit VR LE (1.2.840.10008.1.20, retired; DCMTK reads it) is sent and stored as Implicit VR LE, the same bytes, said in the line" {
	# before: notdicom, "the data set is Implicit VR, which its meta
	# header's transfer syntax cannot be (PS3.5 A.4)", false of a
	# syntax that is Implicit VR LE byte for byte
	local f=$BATS_TEST_TMPDIR/papyrus.dcm stored
	under_ts 1.2.840.10008.1.20 "$D/p10-ivrle.dcm" "$f"
	run -0 dcmdump -q "$f"
	start_dcmrecv -q
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f"
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	[[ $output == *"meta header transfer syntax 1.2.840.10008.1.20 differs: sent as the data set's"* ]]
	stop_dcmrecv
	stored=$(find "$RECV_DIR" -type f)
	[ "$(wc -l <<<"$stored")" -eq 1 ]
	[ "$("$TOOLS/dcm-dataset" -u "$stored" | cut -f3)" = 1.2.840.10008.1.2 ]
	cmp <("$TOOLS/dcm-dataset" "$stored") <("$TOOLS/dcm-dataset" "$D/p10-ivrle.dcm")
}

@test "dcmsend: an Implicit VR data set under an encapsulated syntax's meta is refused on a line of its own; the others go on" {
	local f=$BATS_TEST_TMPDIR/ivr-under-jpeg.dcm
	splice "$D/img8-jpeg-baseline.dcm" "$D/p10-ivrle.dcm" "$f"
	local files=("$f")
	[ -f "$PYDICOM_DATA/test_files/SC_rgb_jpeg.dcm" ] &&
		files+=("$PYDICOM_DATA/test_files/SC_rgb_jpeg.dcm")
	start_dcmrecv -q
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"${files[@]}" "$D/p10-evrle.dcm"
	[ "${#lines[@]}" -eq $(( ${#files[@]} + 1 )) ]
	local l
	for l in "${lines[@]:0:${#files[@]}}"; do
		[ "$(cut -f1 <<<"$l")" = notdicom ]
		[[ $l == *"the data set is Implicit VR, which its meta header's transfer syntax cannot be (PS3.5 A.4)"* ]]
	done
	[ "$(cut -f1 <<<"${lines[-1]}")" = 0000 ]
	stop_dcmrecv
	# only the good file arrived
	[ "$(find "$RECV_DIR" -type f | wc -l)" -eq 1 ]
	[ "$(cut -f1 "$RECV_STDOUT" | wc -l)" -eq 1 ]
}

@test "dcmsend: native Pixel Data under a JPEG meta, JPEG fragments under an Explicit VR LE one: each refused on a line of its own saying which; the others go on" {
	local a=$BATS_TEST_TMPDIR/native-under-jpeg.dcm b=$BATS_TEST_TMPDIR/jpeg-under-evrle.dcm
	splice "$D/img8-jpeg-baseline.dcm" "$D/img16-evrle.dcm" "$a"
	splice "$D/p10-evrle.dcm" "$D/img8-jpeg-baseline.dcm" "$b"
	start_dcmrecv -q --on-duplicate rename # the files share a UID
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"$a" "$b" "$D/img8-jpeg-baseline.dcm" "$D/img16-evrle.dcm"
	[ "${#lines[@]}" -eq 4 ]
	[ "$(cut -f1,2,5 <<<"${lines[0]}")" = "notdicom	$a	native Pixel Data under an encapsulated transfer syntax (PS3.5 A.4): a peer would misread it" ]
	[ "$(cut -f1,2,5 <<<"${lines[1]}")" = "notdicom	$b	encapsulated Pixel Data under a native transfer syntax (PS3.5 A.4): a peer would misread it" ]
	[ "$(cut -f1 <<<"${lines[2]}")" = 0000 ]
	[ "$(cut -f1 <<<"${lines[3]}")" = 0000 ]
	stop_dcmrecv
	# only the good files arrived, each in its own syntax
	[ "$(find "$RECV_DIR" -type f | wc -l)" -eq 2 ]
	[ "$(cut -f1 "$RECV_STDOUT" | wc -l)" -eq 2 ]
	[ "$(find "$RECV_DIR" -type f -exec "$TOOLS/dcm-dataset" -u {} \; | cut -f3 | sort | tr '\n' ' ')" = \
		"1.2.840.10008.1.2.1 1.2.840.10008.1.2.4.50 " ]
}

@test "dcmsend: native Pixel Data under HTJ2K, JPEG XL, MPEG-4, HEVC, Deflated Image Frame Compression or Encapsulated Uncompressed (PS3.5 A.4, nothing here decodes them) is refused as under JPEG; their fragments are sent as they are" {
	local ts i=0 f files=() frags=()
	for ts in 1.2.840.10008.1.2.4.201 1.2.840.10008.1.2.4.203 \
		1.2.840.10008.1.2.4.110 1.2.840.10008.1.2.4.112 \
		1.2.840.10008.1.2.4.102 1.2.840.10008.1.2.4.107 \
		1.2.840.10008.1.2.8.1 1.2.840.10008.1.2.1.98; do
		i=$((i + 1))
		under_ts "$ts" "$D/img16-evrle.dcm" "$BATS_TEST_TMPDIR/native-$i.dcm"
		files+=("$BATS_TEST_TMPDIR/native-$i.dcm")
	done
	# fragments under HTJ2K and Deflated Image Frame Compression: not
	# decoded, so JPEG's do as well as any
	under_ts 1.2.840.10008.1.2.4.201 "$D/img8-jpeg-baseline.dcm" "$BATS_TEST_TMPDIR/frags-htj2k.dcm"
	under_ts 1.2.840.10008.1.2.8.1 "$D/img8-jpeg-baseline.dcm" "$BATS_TEST_TMPDIR/frags-dfc.dcm"
	frags=("$BATS_TEST_TMPDIR/frags-htj2k.dcm" "$BATS_TEST_TMPDIR/frags-dfc.dcm")
	start_dcmrecv -q --on-duplicate rename # the files share UIDs
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${files[@]}" "${frags[@]}"
	[ "${#lines[@]}" -eq 10 ]
	for i in 0 1 2 3 4 5 6 7; do
		[ "$(cut -f1,2,5 <<<"${lines[i]}")" = "notdicom	${files[i]}	native Pixel Data under an encapsulated transfer syntax (PS3.5 A.4): a peer would misread it" ] ||
			{ echo "${lines[i]}" >&2; return 1; }
	done
	[ "$(cut -f1,2 <<<"${lines[8]}")" = "0000	${frags[0]}" ]
	[ "$(cut -f1,2 <<<"${lines[9]}")" = "0000	${frags[1]}" ]
	stop_dcmrecv
	# only the fragments arrived, each in its syntax, byte for byte
	[ "$(find "$RECV_DIR" -type f | wc -l)" -eq 2 ]
	[ "$(find "$RECV_DIR" -type f -exec "$TOOLS/dcm-dataset" -u {} \; | cut -f3 | sort | tr '\n' ' ')" = \
		"1.2.840.10008.1.2.4.201 1.2.840.10008.1.2.8.1 " ]
	local stored
	for stored in "$RECV_DIR"/*; do
		cmp <("$TOOLS/dcm-dataset" "$stored") <("$TOOLS/dcm-dataset" "$D/img8-jpeg-baseline.dcm")
	done
}

@test "dcmsend over STOW-RS: an Implicit VR data set or native Pixel Data under a JPEG meta is refused on a line of its own, as over DIMSE (--dry-run: the same checks, no request)" {
	local a=$BATS_TEST_TMPDIR/native-under-jpeg.dcm b=$BATS_TEST_TMPDIR/ivr-under-jpeg.dcm
	splice "$D/img8-jpeg-baseline.dcm" "$D/img16-evrle.dcm" "$a"
	splice "$D/img8-jpeg-baseline.dcm" "$D/p10-ivrle.dcm" "$b"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run http://127.0.0.1:1/dicom-web \
		"$a" "$b" "$D/img16-evrle.dcm"
	[ "${#lines[@]}" -eq 3 ]
	[ "$(cut -f1,2 <<<"${lines[0]}")" = "notdicom	$a" ]
	[[ ${lines[0]} == *$'\t'"native Pixel Data under an encapsulated transfer syntax (PS3.5 A.4): a peer would misread it" ]]
	[ "$(cut -f1,2 <<<"${lines[1]}")" = "notdicom	$b" ]
	[[ ${lines[1]} == *"the data set is Implicit VR, which its meta header's transfer syntax cannot be (PS3.5 A.4)"* ]]
	[ "$(cut -f1,2 <<<"${lines[2]}")" = "planned	$D/img16-evrle.dcm" ]
}

@test "dcmsend: an empty Pixel Data under a JPEG meta holds nothing to misread: planned and sent as it is over DIMSE, planned over STOW-RS (--dry-run)" {
	local e=$BATS_TEST_TMPDIR/empty-pixels-jpeg.dcm
	# the file up to its top-level Pixel Data, then that element empty
	/usr/bin/python3 -c 'import sys
b = open(sys.argv[1], "rb").read()
i = b.rindex(b"\xe0\x7f\x10\x00OB\0\0\xff\xff\xff\xff")
open(sys.argv[2], "wb").write(b[:i] + b"\xe0\x7f\x10\x00OB\0\0" + bytes(4))' "$D/img8-jpeg-baseline.dcm" "$e"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run http://127.0.0.1:1/dicom-web "$e"
	[ "$(cut -f1,2 <<<"$output")" = "planned	$e" ]
	start_dcmrecv -q
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$e"
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	stop_dcmrecv
	cmp <("$TOOLS/dcm-dataset" "$e") <("$TOOLS/dcm-dataset" "$(find "$RECV_DIR" -type f)")
}

@test "dcmsend --dry-run: a meta header that contradicts its data set, and an odd deflated stream's pad byte, get the notes the send's lines give (to be sent)" {
	local f=$BATS_TEST_TMPDIR/ts.dcm i=$BATS_TEST_TMPDIR/inst.dcm d=$BATS_TEST_TMPDIR/defl
	local c files n dry real
	c=$(corpus_dir)
	splice "$D/p10-ivrle.dcm" "$D/p10-evrle.dcm" "$f"
	python3 - "$D/p10-evrle.dcm" "$i" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
old = b"2.25.314159265358979323846264338327950"
i = b.index(old)
open(sys.argv[2], "wb").write(b[:i] + b"2.25.999999999999999999999999999999999" + b[i + len(old):])
PY
	/usr/bin/python3 "$CSTORE_ROOT/tests/tools/mkdeflated" "$c/ts/deflated.dcm" "$d" 2 >/dev/null
	files=("$f" "$c/odd/meta-sop-class-mismatch.dcm" "$d"/odd-bare-*.dcm)
	# before: the dry run's lines said nothing of them
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "${files[@]}" "$i"
	dry=$(grep '^planned' <<<"$output" | cut -f5 | sed 's/^association 1; //; s/to be sent/sent/g')
	[ "$(wc -l <<<"$dry")" -eq 4 ]
	[[ $dry == *"meta header transfer syntax 1.2.840.10008.1.2 differs: sent as the data set's"* ]]
	[[ $dry == *"meta header SOP class 1.2.840.10008.5.1.4.1.1.2 differs: sent as the data set's"* ]]
	[[ $dry == *"deflated data set of odd length sent with its pad byte"* ]]
	[[ $dry == *"meta header SOP instance differs: sent as the data set's"* ]]
	# the send's lines say the same of the first three
	start_dcmrecv -q
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${files[@]}"
	stop_dcmrecv
	real=$(cut -f5 <<<"$output")
	[ "$real" = "$(head -n 3 <<<"$dry")" ] || { diff <(echo "$real") <(echo "$dry"); false; }
}
