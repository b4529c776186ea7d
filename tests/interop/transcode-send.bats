#!/usr/bin/env bats
# dcmsend converting what a peer does not accept, end to end: to our
# dcmrecv accepting only Implicit VR LE and to DCMTK storescp +xi, every
# compressed file of the scripts/mkxcorpus corpus arrives, with the
# pixels an independent decoder makes of the original and every other
# element as it was; --lossy makes a new instance and says so.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel,heavy

load transcode-helpers
load ../bats/dcmrecv-helpers

setup_file() {
	xcorpus_setup
}

setup() {
	require_cmd dcmdrle
	require_cmd dcmdjpls
	require_cmd opj_decompress
	W=$BATS_TEST_TMPDIR
}

# check_received RESULTS DIR: each result line is stored (0000), says it
# was transcoded to Implicit VR LE, and its file in DIR (found by UID) has
# the reference pixels and the original's elements.  Prints the count.
check_received() {
	local res=$1 dir=$2 st p cls uid detail f n=0 ts
	declare -A got
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		got[$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)]=$f
	done
	while IFS=$'\t' read -r st p cls uid detail; do
		[ "$st" = 0000 ] || { echo "not stored: $p: $st $detail" >&2; return 1; }
		[[ $detail == "transcoded to ImplicitVRLittleEndian" ]] ||
			{ echo "$p: $detail" >&2; return 1; }
		f=${got[$uid]:-}
		[ -n "$f" ] || { echo "stored but not received: $p" >&2; return 1; }
		[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f3)" = 1.2.840.10008.1.2 ] ||
			{ echo "$f: not Implicit VR LE" >&2; return 1; }
		ts=$("$CSTORE_TOOLS/dcm-dataset" -u "$p" | cut -f3)
		# a decoder that failed or made nothing would compare as equal
		ref_pixels_of "$(codec_of_ts "$ts")" "$p" >"$W/ref.raw" ||
			{ echo "no reference pixels: $p" >&2; return 1; }
		[ -s "$W/ref.raw" ] || { echo "empty reference pixels: $p" >&2; return 1; }
		native_pixels "$f" >"$W/got.raw" ||
			{ echo "no pixels received: $f" >&2; return 1; }
		cmp -n "$(stat -c %s "$W/ref.raw")" "$W/ref.raw" "$W/got.raw" >/dev/null ||
			{ echo "pixels differ: $p" >&2; return 1; }
		diff <(elements "$p" | grep -v '^(0028,0004)') \
			<(elements "$f" | grep -v '^(0028,0004)') >&2 ||
			{ echo "elements differ: $p" >&2; return 1; }
		n=$((n + 1))
	done <"$res"
	echo "$n"
}

# the corpus directories whose files need a conversion
DIRS="rle jpeg-sv1 jpeg-p14 jpegls j2k"

@test "dcmsend: to dcmrecv --accept-ts ImplicitVRLittleEndian, every compressed file arrives with the reference decoder's pixels and its other elements" {
	for d in $DIRS special; do
		RECV_DIR=$W/in-$d
		start_dcmrecv --accept-ts ImplicitVRLittleEndian
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$XCORPUS/$d"
		printf '%s\n' "$output" >"$W/res-$d"
		stop_dcmrecv
		n=$(check_received "$W/res-$d" "$RECV_DIR")
		[ "$n" -eq "$(ls "$XCORPUS/$d" | wc -l)" ]
		unset RECV_DIR
	done
}

@test "dcmsend: to DCMTK storescp +xi, every compressed file arrives with the reference decoder's pixels and its other elements" {
	for d in $DIRS; do
		start_storescp "$W/scp-$d" +B +xi
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$XCORPUS/$d"
		printf '%s\n' "$output" >"$W/res-$d"
		n=$(check_received "$W/res-$d" "$W/scp-$d")
		[ "$n" -eq "$(ls "$XCORPUS/$d" | wc -l)" ]
		stop_tracked
	done
}

@test "dcmsend: the retired progressive and spectral selection JPEG syntaxes (4.55, 4.53: old archives hold them) are decoded for a peer taking only Implicit VR LE, pixels as dcmdjpeg makes them" {
	local c k=0 d=$W/prog
	mkdir -p "$d"
	for c in b8-s1-unsigned-f1 b8-s3-unsigned-f3 b12-s1-unsigned-f1; do
		[ -f "$XCORPUS/native/$c.dcm" ] || { echo "no $c in the corpus" >&2; return 1; }
		dcmcjpeg +ep "$XCORPUS/native/$c.dcm" "$d/$c-ep.dcm"
		dcmcjpeg +es "$XCORPUS/native/$c.dcm" "$d/$c-es.dcm"
		for f in "$d/$c-ep.dcm" "$d/$c-es.dcm"; do
			k=$((k + 1))
			dcmodify -nb -m "(0008,0018)=2.25.4250$k" "$f"
		done
	done
	[ "$(meta_value "$d/b8-s1-unsigned-f1-ep.dcm" 0002,0010)" = 1.2.840.10008.1.2.4.55 ]
	[ "$(meta_value "$d/b8-s1-unsigned-f1-es.dcm" 0002,0010)" = 1.2.840.10008.1.2.4.53 ]
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$d"
	printf '%s\n' "$output" >"$W/res-prog"
	stop_dcmrecv
	n=$(check_received "$W/res-prog" "$RECV_DIR")
	[ "$n" -eq 6 ]
}

@test "dcmsend: multi-frame RLE, JPEG-LS and JPEG Lossless as DCMTK cuts them (+fs 1: frames in 1 KiB fragments, Basic Offset Table filled or empty: dcmcrle's non-standard RLE too) arrive at an Implicit-only dcmrecv with the reference decoder's pixels" {
	local d=$W/cut k=0 o f n
	require_cmd dump2dcm
	require_cmd dcmcrle
	mkdir -p "$d"
	# 3 frames of 70 x 60 noisy 12-bit samples: each frame many KiB in
	# every one of the three codings
	python3 -c 'import random, struct, sys
r = random.Random(7)
sys.stdout.buffer.write(b"".join(struct.pack("<H", r.getrandbits(12)) for _ in range(3 * 60 * 70)))' >"$W/px.raw"
	{
		echo "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7.3]"
		echo "(0008,0018) UI [2.25.42600]"
		echo "(0008,0060) CS [OT]"
		echo "(0020,000d) UI [2.25.1]"
		echo "(0020,000e) UI [2.25.2]"
		echo "(0028,0002) US 1"
		echo "(0028,0004) CS [MONOCHROME2]"
		echo "(0028,0008) IS [3]"
		echo "(0028,0010) US 60"
		echo "(0028,0011) US 70"
		echo "(0028,0100) US 16"
		echo "(0028,0101) US 12"
		echo "(0028,0102) US 11"
		echo "(0028,0103) US 0"
		echo "(7fe0,0010) OW =$W/px.raw"
	} >"$W/img.dump"
	dump2dcm -q +te "$W/img.dump" "$W/img.dcm"
	for o in +ot -ot; do
		dcmcrle -q +fs 1 "$o" "$W/img.dcm" "$d/rle$o.dcm"
		dcmcjpls -q +fs 1 "$o" "$W/img.dcm" "$d/jls$o.dcm"
		dcmcjpeg -q +fs 1 "$o" "$W/img.dcm" "$d/jpeg$o.dcm"
	done
	for f in "$d"/*.dcm; do
		k=$((k + 1))
		dcmodify -nb -m "(0008,0018)=2.25.4260$k" "$f"
		# frames really cut: more fragments than the 3 frames (and the table)
		[ "$(dcmdump -q "$f" | grep -c '(fffe,e000) pi')" -gt 8 ] || { echo "$f: not cut" >&2; return 1; }
	done
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$d"
	printf '%s\n' "$output" >"$W/res-cut"
	stop_dcmrecv
	n=$(check_received "$W/res-cut" "$RECV_DIR")
	[ "$n" -eq 6 ]
}

@test "dcmsend: a JPEG 2000 code stream wider than the data set's Columns is refused with a reason, not a crash, and the next file is sent" {
	local src f
	src=$(ls "$XCORPUS"/j2k/*.dcm | head -n 1)
	f=$W/wide.dcm
	# SIZ (after SOC, FF4F FF51): Xsiz at offset 8, made 49408 pixels wider
	/usr/bin/python3 - "$src" "$f" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"\xff\x4f\xff\x51")
assert i > 0
x = struct.unpack(">I", d[i + 8:i + 12])[0]
d[i + 8:i + 12] = struct.pack(">I", x + 49408)
open(sys.argv[2], "wb").write(d)
PY
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f" "$src"
	assert_line --index 0 --regexp $'^transcodefail\t'"$f"$'\t.*the JPEG 2000 code stream holds an image of [0-9]+ x [0-9]+ pixels'
	assert_line --index 1 --regexp $'^0000\t'"$src"$'\t.*transcoded to ImplicitVRLittleEndian$'
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 1 ]
}

@test "dcmsend: a damaged JPEG stream is transcodefail with libjpeg's reason, never a crash (header) nor zero-filled pixels sent as 0000 (data); the next file is sent" {
	local src
	src=$(corpus_dir)/ts/jpeg-baseline.dcm
	# a Huffman table overwritten (GDCM's decoder asserted: exit 134), and
	# an EOI a third into the scan (libjpeg filled the rest with zeros and
	# GDCM took the one warning: the frame arrived changed, 0000)
	/usr/bin/python3 - "$src" "$W/dht.dcm" "$W/eoi.dcm" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
b = bytearray(d)
i = b.find(b"\xff\xc4")
assert i > 0
b[i:i + 5] = b"\xff" * 5
open(sys.argv[2], "wb").write(b)
b = bytearray(d)
j, k = d.find(b"\xff\xda"), d.rfind(b"\xff\xd9")
assert 0 < j < k
m = j + (k - j) // 3
b[m:m + 2] = b"\xff\xd9"
b[m + 2:k + 2] = bytes(k - m)
open(sys.argv[3], "wb").write(b)
PY
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$W/dht.dcm" "$W/eoi.dcm" "$src"
	assert_line --index 0 --regexp $'^transcodefail\t'"$W/dht.dcm"$'\t.*stream is damaged \(libjpeg: Corrupt JPEG data'
	assert_line --index 1 --regexp $'^transcodefail\t'"$W/eoi.dcm"$'\t.*stream is damaged \(libjpeg: Corrupt JPEG data: premature end of data segment\)'
	assert_line --index 2 --regexp $'^0000\t'"$src"$'\t.*transcoded to ImplicitVRLittleEndian'
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 1 ]
}

@test "dcmsend -v: messages of GDCM and its libraries appear only with -v, prefixed" {
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$XCORPUS/lossy" "$XCORPUS/jpeg-sv1"
	[ "$(grep -vc '^dcmsend: [0-9]* stored' <<<"$stderr")" -eq 0 ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -v 127.0.0.1 "$RECV_PORT" "$XCORPUS/lossy" "$XCORPUS/jpeg-sv1"
	[ "$(grep -vc '^dcmsend: ' <<<"$stderr")" -eq 0 ]
}

@test "dcmsend --lossy: the new SOP Instance UID is in the line and the C-STORE; the stored file has it and the Lossy Image Compression attributes" {
	src=$XCORPUS/native/b16-s1-signed-f1.dcm
	old=$("$CSTORE_TOOLS/dcm-dataset" -u "$src" | cut -f2)
	# a syntax is proposed when some input is in it: one such file too
	dcmcjpls +en "$XCORPUS/native/b8-s1-unsigned-f1.dcm" "$W/nl.dcm"
	start_dcmrecv --accept-ts JPEGLSNearLossless
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$W/nl.dcm" "$src"
	assert_line --regexp $'^nocontext\t'"$src"$'\t.*--lossy allows it'
	rm -f "$RECV_DIR"/*
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --lossy 127.0.0.1 "$RECV_PORT" "$src" "$W/nl.dcm"
	IFS=$'\t' read -r st p cls uid detail <<<"$(head -1 <<<"$output")"
	[ "$st" = 0000 ]
	[[ $uid == 2.25.* ]] && [ "$uid" != "$old" ]
	[[ $detail == *"(lossy): new SOP Instance UID, was $old; ratio "* ]]
	f=$(grep -l -F "$uid" "$RECV_DIR"/*)
	[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)" = "$uid" ]
	dcmdump -q +P 0002,0003 "$f" | grep -qF "[$uid]"
	dcmdump -q +P 0028,2110 "$f" | grep -qF '[01]'
	dcmdump -q +P 0028,2114 "$f" | grep -qF '[ISO_14495_1]'
	dcmdump -q +P 0028,2112 "$f" | grep -q '\[[0-9.]*\]'
	diff <(elements "$src" | grep -v '^(0008,0018)') \
		<(elements "$f" | grep -v -e '^(0008,0018)' -e '^(0028,211[024])')
}

# bats test_tags=serial
@test "dcmsend and dcmrecv under valgrind: JPEG 2000, JPEG-LS and RLE to Implicit VR LE only, no memory error, no definite leak" {
	require_cmd valgrind
	[ -z "${CSTORE_SANITIZE:-}" ] || skip "valgrind cannot run a sanitizer build"
	local vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
	local pf=$W/recv.port i
	RECV_DIR=$W/in
	mkdir -p "$RECV_DIR"
	# --no-sandbox: valgrind runs its own calls, which a seccomp filter
	# would refuse; -t 120: everything is slower under valgrind
	"${vg[@]}" --log-file="$W/recv.vg" "$CSTORE_BIN/dcmrecv" --no-sandbox -t 120 \
		--accept-ts ImplicitVRLittleEndian -o "$RECV_DIR" --port-file "$pf" 127.0.0.1:0 \
		>"$W/recv.out" 2>"$W/recv.err" &
	RECV_PID=$!
	track_pid "$RECV_PID"
	for i in $(seq 600); do
		[ -s "$pf" ] && break
		kill -0 "$RECV_PID"
		sleep 0.1
	done
	# the GDCM module (JPEG 2000) before CharLS (JPEG-LS): glibc lost
	# 72 bytes when CharLS came in as the module's dependency first
	run -0 --separate-stderr "${vg[@]}" "$CSTORE_BIN/dcmsend" 127.0.0.1 "$(cat "$pf")" \
		"$XCORPUS/j2k/b8-s1-unsigned-f1.dcm" "$XCORPUS/jpegls/b8-s3-unsigned-f3.dcm" \
		"$XCORPUS/rle/b16-s1-signed-f1.dcm"
	printf '%s\n' "$output" >"$W/res"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ ! -s "$W/recv.vg" ]
	[ "$(check_received "$W/res" "$RECV_DIR")" -eq 3 ]
}
