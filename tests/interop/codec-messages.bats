#!/usr/bin/env bats
# What libjpeg and OpenJPEG print themselves: GDCM leaves their default
# message handlers (fprintf/fputs to stderr) in place, so without care a
# conversion's stderr gets their bare lines ("Error with SIZ marker...",
# "Invalid SOS parameters for sequential JPEG"), even from dcmsend -q,
# even for a file that converts fine.  They must go where GDCM's own
# messages go: nowhere by default, prefixed notes with -v.
# Runs beside other files (scripts/run-check).
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

IVR=1.2.840.10008.1.2
PYDICOM_FILES=/usr/lib/python3/dist-packages/pydicom/data/test_files

setup() {
	W=$BATS_TEST_TMPDIR
	XC=$CSTORE_TOOLS/dcm-xcode
}

# bad_j2k OUT: the corpus's JPEG 2000 file with a tile height (YTsiz) of 0
# in its SIZ marker: OpenJPEG refuses it with a message of its own
bad_j2k() {
	local f off
	f=$(corpus_dir)/ts/j2k-lossless.dcm
	off=$(LC_ALL=C grep -obUaP '\xff\x4f\xff\x51' "$f" | head -1 | cut -d: -f1)
	[ -n "$off" ]
	cp "$f" "$1"
	# SOC, SIZ, Lsiz, Rsiz, then Xsiz Ysiz XOsiz YOsiz XTsiz: YTsiz at +28
	printf '\0\0\0\0' | dd of="$1" bs=1 seek=$((off + 28)) conv=notrunc status=none
}

@test "codec-messages: OpenJPEG's error on a broken JPEG 2000 stream reaches stderr only with -v, prefixed" {
	bad_j2k "$W/bad.dcm"
	run -1 --separate-stderr "$XC" "$IVR" "$W/bad.dcm" "$W/o.dcm"
	# our refusal, one line, and nothing of OpenJPEG's
	[ "$(wc -l <<<"$stderr")" -eq 1 ] || { echo "$stderr"; false; }
	[[ $stderr == "dcm-xcode: '$W/bad.dcm': "*decoder\ failed ]]
	run -1 --separate-stderr "$XC" -v "$IVR" "$W/bad.dcm" "$W/o.dcm"
	[ "$(grep -vc "^dcm-xcode: " <<<"$stderr")" -eq 0 ] || { echo "$stderr"; false; }
	grep -q '^dcm-xcode: gdcm: openjpeg: .*SIZ marker' <<<"$stderr"
}

@test "codec-messages: dcmsend converting a broken JPEG 2000 file: transcodefail, OpenJPEG's words only with -v" {
	bad_j2k "$W/bad.dcm"
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$W/bad.dcm"
	[ "$(cut -f1 <<<"$output")" = transcodefail ]
	[ "$(grep -vc '^dcmsend: ' <<<"$stderr")" -eq 0 ] || { echo "$stderr"; false; }
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" -v 127.0.0.1 "$RECV_PORT" "$W/bad.dcm"
	[ "$(grep -vc '^dcmsend: ' <<<"$stderr")" -eq 0 ] || { echo "$stderr"; false; }
	grep -q "^dcmsend: gdcm: '$W/bad.dcm': openjpeg: " <<<"$stderr"
	stop_dcmrecv
	[ -z "$(ls "$RECV_DIR")" ]
}

@test "codec-messages: libjpeg's warning on a valid 12-bit JPEG (pydicom's JPEG-lossy.dcm) reaches stderr only with -v; the file converts" {
	[ -f "$PYDICOM_FILES/JPEG-lossy.dcm" ] || skip "python3-pydicom not installed"
	run -0 --separate-stderr "$XC" "$IVR" "$PYDICOM_FILES/JPEG-lossy.dcm" "$W/o.dcm"
	[ -z "$stderr" ] || { echo "$stderr"; false; }
	# the pixels are dcmdjpeg's
	dcmdjpeg +te "$PYDICOM_FILES/JPEG-lossy.dcm" "$W/ref.dcm"
	cmp <(dataset_pixels "$W/ref.dcm") <(dataset_pixels "$W/o.dcm")
	run -0 --separate-stderr "$XC" -v "$IVR" "$PYDICOM_FILES/JPEG-lossy.dcm" "$W/o.dcm"
	[ "$(grep -vc "^dcm-xcode: gdcm: " <<<"$stderr")" -eq 0 ] || { echo "$stderr"; false; }
	grep -q '^dcm-xcode: gdcm: libjpeg: Invalid SOS parameters' <<<"$stderr"
}

# dataset_pixels FILE: the Pixel Data of a native file (dcmdump +W)
dataset_pixels() {
	local d
	d=$(mktemp -d -p "$W")
	dcmdump -q +W "$d" "$1" >/dev/null
	cat "$d"/*
}
