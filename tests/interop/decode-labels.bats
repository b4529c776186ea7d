#!/usr/bin/env bats
# What decoding pixels for a peer that takes only uncompressed syntaxes
# must change besides them, because the transfer syntax that said it is
# gone:
#  - a lossy-coded image: Lossy Image Compression (0028,2110) becomes
#    "01" (PS3.3 C.7.6.1.1.5: once lossy, never reset), as DCMTK's
#    dcmdjpeg and dcmdjpls set it.  Writers that leave it out (or say 00)
#    exist; without this the stored file passes for an original.
#    Lossless sources stay as they are.  JPEG 2000 loses with the
#    irreversible wavelet whatever the label, and under .91 with the
#    reversible one too when a rate cut it short, which only the writer
#    knows: .91 is marked unless the file says 00.
#  - JPEG 2000 labelled YBR_RCT or YBR_ICT (PS3.3 C.7.6.3.1.2), or any
#    label over a stream with a component transformation: OpenJPEG
#    undoes it, so the pixels are RGB and the label must say so; YBR_RCT
#    or YBR_ICT that the code stream does not bear out is refused.
# Runs beside other files (scripts/run-check).
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

setup() {
	W=$BATS_TEST_TMPDIR
	XC=$CSTORE_TOOLS/dcm-xcode
	C=$(corpus_dir)/ts
}

# unmark IN OUT [VALUE]: IN without (0028,2110/2112/2114), or with
# (0028,2110) VALUE and a SOP Instance UID of its own
unmark() {
	cp "$1" "$2"
	dcmodify -nb -ie -ea '(0028,2110)' -ea '(0028,2112)' -ea '(0028,2114)' "$2" 2>/dev/null || true
	if [ -n "${3:-}" ]; then
		dcmodify -nb -i "(0028,2110)=$3" -m "(0008,0018)=$(dcm_uid "$1").3$3" "$2"
	fi
	[ "$(lossy_of "$2")" = "${3:-}" ]
}

# dcm_uid FILE: its SOP Instance UID; lossy_of FILE: its (0028,2110)
dcm_uid() {
	dcmdump -q -s +P 0008,0018 "$1" | sed -E 's/.*\[(.*)\].*/\1/'
}
lossy_of() {
	dcmdump -q -s +P 0028,2110 "$1" | sed -E 's/.*\[(.*)\].*/\1/'
}

need_opj_pydicom() {
	require_cmd opj_compress
	require_cmd opj_decompress
	/usr/bin/python3 -c 'import pydicom' 2>/dev/null || skip "python3-pydicom not installed"
}

# rgb_j2k OUT PHOTOMETRIC TS OPJ_OPTION...: a 33x40 8-bit RGB Secondary
# Capture image coded by opj_compress with OPTIONS, labelled PHOTOMETRIC,
# under TS; OUT.ref gets opj_decompress's pixels, interleaved
rgb_j2k() {
	local out=$1 pi=$2 ts=$3
	shift 3
	/usr/bin/python3 -c '
import sys
w, h = 33, 40
sys.stdout.buffer.write(bytes(((x * 7 + y * 3 + c * 85 + (x * y) % 13) & 255)
    for c in range(3) for y in range(h) for x in range(w)))' >"$W/rgb.raw"
	opj_compress -i "$W/rgb.raw" -o "$W/rgb.j2k" -F 33,40,3,8,u "$@" >/dev/null 2>&1
	opj_decompress -i "$W/rgb.j2k" -o "$W/dec.raw" >/dev/null 2>&1
	/usr/bin/python3 - "$W/rgb.j2k" "$W/dec.raw" "$out" "$pi" "$ts" <<-'EOF'
		import sys, pydicom
		from pydicom.dataset import Dataset, FileMetaDataset
		from pydicom.encaps import encapsulate
		j2k, dec, out, pi, ts = sys.argv[1:6]
		ds = Dataset()
		ds.SOPClassUID = '1.2.840.10008.5.1.4.1.1.7'
		ds.SOPInstanceUID = '2.25.1234567' + str(sum(map(ord, out)))
		ds.PatientID = 'J2K'
		ds.SamplesPerPixel = 3
		ds.PhotometricInterpretation = pi
		ds.PlanarConfiguration = 0
		ds.Rows, ds.Columns = 40, 33
		ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
		ds.PixelRepresentation = 0
		ds.PixelData = encapsulate([open(j2k, 'rb').read()])
		ds['PixelData'].VR = 'OB'
		ds['PixelData'].is_undefined_length = True
		ds.file_meta = FileMetaDataset()
		ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
		ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
		ds.file_meta.TransferSyntaxUID = ts
		ds.is_little_endian, ds.is_implicit_VR = True, False
		ds.save_as(out, write_like_original=False)
		d = open(dec, 'rb').read()
		n = len(d) // 3
		open(out + '.ref', 'wb').write(bytes(b for i in range(n) for b in (d[i], d[n + i], d[2 * n + i])))
	EOF
}

# pixels_of FILE: the Pixel Data of a native file (dcmdump +W)
pixels_of() {
	local d
	d=$(mktemp -d -p "$W")
	dcmdump -q +W "$d" "$1" >/dev/null
	cat "$d"/*
}

# us_of TAG: a US value of the corpus's native image
us_of() {
	dcmdump -q -s +P "$1" "$C/explicit-le.dcm" | awk '{print $3}'
}

# others FILE: the elements but meta, pixels and (0028,2110)
others() {
	dcmdump -q "$1" |
		grep -v -e '^#' -e '^(0002' -e '^ *(7fe0,0010)' -e '^ *(fffe,' -e '^(0028,2110)' |
		sed -E 's/^( *\([0-9a-f,]+\)) \S\S (.*)#.*/\1 \2/; s/ *$//; s/\((Sequence|Item) with (undefined|explicit) length/(\1/'
}

@test "decode-labels: JPEG baseline, extended and JPEG-LS near-lossless without (0028,2110), or with 00, arrive at an Implicit-only dcmrecv with 01, as DCMTK decodes them" {
	unmark "$C/jpeg-baseline.dcm" "$W/base.dcm"
	unmark "$C/jpeg-extended.dcm" "$W/ext.dcm"
	unmark "$C/jpegls-near.dcm" "$W/near.dcm"
	unmark "$C/jpeg-baseline.dcm" "$W/base00.dcm" 00
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"$W/base.dcm" "$W/ext.dcm" "$W/near.dcm" "$W/base00.dcm"
	[ "$(grep -c $'^0000\t.*transcoded to ImplicitVRLittleEndian; Lossy Image Compression (0028,2110) set to 01' <<<"$output")" -eq 4 ] ||
		{ echo "$output"; false; }
	stop_dcmrecv
	for f in base ext near base00; do
		got=$RECV_DIR/$(dcm_uid "$W/$f.dcm").dcm
		[ "$(lossy_of "$got")" = 01 ] || { echo "$f: $(lossy_of "$got")"; false; }
		# DCMTK's decoders say the same
		case $f in near) dcmdjpls "$W/$f.dcm" "$W/$f.ref" ;; *) dcmdjpeg "$W/$f.dcm" "$W/$f.ref" ;; esac
		[ "$(lossy_of "$W/$f.ref")" = 01 ]
		# and nothing else changed
		diff <(others "$W/$f.dcm") <(others "$got")
	done
}

@test "decode-labels: a file that already says 01 is left as it is; lossless sources (JPEG SV1, JPEG-LS, JPEG 2000 reversible under 1.2.840.10008.1.2.4.91 whose file says 00) get no 01" {
	sed 's/1\.2\.840\.10008\.1\.2\.4\.90/1.2.840.10008.1.2.4.91/' "$C/j2k-lossless.dcm" >"$W/rev91.dcm"
	dcmdump -q -s -Un +P 0002,0010 "$W/rev91.dcm" | grep -qF '[1.2.840.10008.1.2.4.91]'
	for f in "$C/jpeg-lossless-sv1.dcm" "$C/jpegls-lossless.dcm"; do
		[ -z "$(lossy_of "$f")" ]
		run -0 --separate-stderr "$XC" 1.2.840.10008.1.2 "$f" "$W/o.dcm"
		[ -z "$(lossy_of "$W/o.dcm")" ] || { echo "$f: $(lossy_of "$W/o.dcm")"; false; }
	done
	# the reversible wavelet under .91 is lossless only when nothing cut
	# its layers short, which the stream cannot show: the writer's 00 can
	unmark "$W/rev91.dcm" "$W/rev91-00.dcm" 00
	run -0 --separate-stderr "$XC" 1.2.840.10008.1.2 "$W/rev91-00.dcm" "$W/o.dcm"
	[ "$(lossy_of "$W/o.dcm")" = 00 ]
	run -0 --separate-stderr "$XC" 1.2.840.10008.1.2 "$W/rev91.dcm" "$W/o.dcm"
	[ "$(lossy_of "$W/o.dcm")" = 01 ]
	run -0 --separate-stderr "$XC" 1.2.840.10008.1.2 "$C/jpeg-baseline.dcm" "$W/o.dcm"
	[ "$(lossy_of "$W/o.dcm")" = 01 ]
	diff <(others "$C/jpeg-baseline.dcm") <(others "$W/o.dcm")
}

@test "decode-labels: JPEG 2000 with the irreversible wavelet (opj_compress -I) under 1.2.840.10008.1.2.4.91 and no (0028,2110): 01 once decoded" {
	need_opj_pydicom
	# the native 64x64 16-bit image of the corpus, coded 9-7 at 10:1
	dcmdump -q +W "$W" "$C/explicit-le.dcm" >/dev/null
	rows=$(us_of 0028,0010)
	cols=$(us_of 0028,0011)
	bits=$(us_of 0028,0100)
	[ "$(us_of 0028,0002)" = 1 ] && [ "$(us_of 0028,0103)" = 0 ]
	mv "$W"/explicit-le.dcm.0.raw "$W/f.raw"
	opj_compress -i "$W/f.raw" -o "$W/f.j2k" -F "$cols,$rows,1,$bits,u" -I -r 10 >/dev/null 2>&1
	/usr/bin/python3 - "$C/explicit-le.dcm" "$W/f.j2k" "$W/irr.dcm" <<-'EOF'
		import sys, pydicom
		from pydicom.encaps import encapsulate
		ds = pydicom.dcmread(sys.argv[1])
		ds.PixelData = encapsulate([open(sys.argv[2], 'rb').read()])
		ds['PixelData'].VR = 'OB'
		ds['PixelData'].is_undefined_length = True
		for t in (0x00282110, 0x00282112, 0x00282114):
		    if t in ds:
		        del ds[t]
		ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.4.91'
		ds.save_as(sys.argv[3])
	EOF
	[ -z "$(lossy_of "$W/irr.dcm")" ]
	run -0 --separate-stderr "$XC" 1.2.840.10008.1.2 "$W/irr.dcm" "$W/o.dcm"
	[ "$(lossy_of "$W/o.dcm")" = 01 ]
	diff <(others "$W/irr.dcm") <(others "$W/o.dcm")
}

@test "decode-labels: JPEG 2000 that loses without saying so: 5-3 rate-limited under .91 (no (0028,2110)) and 9-7 labelled Lossless Only (.90, file says 00) arrive at an Implicit-only dcmrecv with 01" {
	need_opj_pydicom
	rgb_j2k "$W/r53.dcm" RGB 1.2.840.10008.1.2.4.91 -r 10
	refute cmp -s "$W/rgb.raw" "$W/dec.raw" # it does lose
	rgb_j2k "$W/i90.dcm" RGB 1.2.840.10008.1.2.4.90 -I -r 10
	refute cmp -s "$W/rgb.raw" "$W/dec.raw"
	unmark "$W/i90.dcm" "$W/i90-00.dcm" 00
	cp "$W/i90.dcm.ref" "$W/i90-00.dcm.ref"
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$W/r53.dcm" "$W/i90-00.dcm"
	[ "$(grep -c $'^0000\t.*transcoded to ImplicitVRLittleEndian; Lossy Image Compression (0028,2110) set to 01' <<<"$output")" -eq 2 ] ||
		{ echo "$output"; false; }
	stop_dcmrecv
	for f in r53 i90-00; do
		got=$RECV_DIR/$(dcm_uid "$W/$f.dcm").dcm
		[ "$(lossy_of "$got")" = 01 ] || { echo "$f: $(lossy_of "$got")"; false; }
		cmp <(pixels_of "$got") "$W/$f.dcm.ref"
		diff <(others "$W/$f.dcm") <(others "$got")
	done
}

@test "decode-labels: JPEG 2000 YBR_RCT (reversible transform in the stream) arrives at an Implicit-only dcmrecv as RGB, pixels as opj_decompress makes them" {
	need_opj_pydicom
	rgb_j2k "$W/rct.dcm" YBR_RCT 1.2.840.10008.1.2.4.90 -mct 1
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$W/rct.dcm"
	[[ $output == 0000$'\t'*transcoded\ to\ ImplicitVRLittleEndian ]] || { echo "$output"; false; }
	stop_dcmrecv
	got=$RECV_DIR/$(dcm_uid "$W/rct.dcm").dcm
	dcmdump -q -s +P 0028,0004 "$got" | grep -qF '[RGB]'
	cmp <(pixels_of "$got") "$W/rct.dcm.ref"
	diff <(others "$W/rct.dcm" | grep -v '^(0028,0004)') <(others "$got" | grep -v '^(0028,0004)')
}

@test "decode-labels: JPEG 2000 YBR_ICT (irreversible, 1.2.840.10008.1.2.4.91) decodes to RGB and Lossy Image Compression 01; a YBR_RCT label without a transform in the stream is transcodefail" {
	need_opj_pydicom
	rgb_j2k "$W/ict.dcm" YBR_ICT 1.2.840.10008.1.2.4.91 -mct 1 -I -r 8
	run -0 --separate-stderr "$XC" 1.2.840.10008.1.2 "$W/ict.dcm" "$W/o.dcm"
	dcmdump -q -s +P 0028,0004 "$W/o.dcm" | grep -qF '[RGB]'
	[ "$(lossy_of "$W/o.dcm")" = 01 ]
	cmp <(pixels_of "$W/o.dcm") "$W/ict.dcm.ref"
	rgb_j2k "$W/lie.dcm" YBR_RCT 1.2.840.10008.1.2.4.90 -mct 0
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$W/lie.dcm"
	[[ $output == transcodefail$'\t'*"YBR_RCT, but the JPEG 2000 code stream names no component transformation"* ]] ||
		{ echo "$output"; false; }
	stop_dcmrecv
	[ -z "$(ls "$RECV_DIR")" ]
}

@test "decode-labels: pydicom's GDCMJ2K_TextGBR.dcm (YBR_RCT, the code stream in a JP2 wrapper, MCT on) converts to RGB as opj_decompress decodes it" {
	need_opj_pydicom
	f=/usr/lib/python3/dist-packages/pydicom/data/test_files/GDCMJ2K_TextGBR.dcm
	[ -f "$f" ] || skip "python3-pydicom's test files not installed"
	run -0 --separate-stderr "$XC" 1.2.840.10008.1.2 "$f" "$W/o.dcm"
	dcmdump -q -s +P 0028,0004 "$W/o.dcm" | grep -qF '[RGB]'
	dcmdump -q +W "$W" "$f" >/dev/null
	opj_decompress -i "$W/GDCMJ2K_TextGBR.dcm.1.raw" -o "$W/d.raw" >/dev/null 2>&1 ||
		{ cp "$W/GDCMJ2K_TextGBR.dcm.1.raw" "$W/f.jp2"; opj_decompress -i "$W/f.jp2" -o "$W/d.raw" >/dev/null 2>&1; }
	/usr/bin/python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
n = len(d) // 3
sys.stdout.buffer.write(bytes(b for i in range(n) for b in (d[i], d[n + i], d[2 * n + i])))' "$W/d.raw" >"$W/ref"
	cmp <(pixels_of "$W/o.dcm") "$W/ref"
	diff <(others "$f" | grep -v '^(0028,0004)') <(others "$W/o.dcm" | grep -v '^(0028,0004)')
}

@test "decode-labels: JPEG 2000 with a component transformation labelled YBR_FULL or YBR_FULL_422 decodes to RGB (as OpenJPEG leaves it); YBR_FULL_422 without one, decoded at full resolution, becomes YBR_FULL" {
	need_opj_pydicom
	for pi in YBR_FULL YBR_FULL_422 YBR_FULL_422/0; do
		case $pi in */0) mct=0 want=YBR_FULL ;; *) mct=1 want=RGB ;; esac
		rgb_j2k "$W/in.dcm" "${pi%/0}" 1.2.840.10008.1.2.4.90 -mct "$mct"
		run -0 --separate-stderr "$XC" 1.2.840.10008.1.2 "$W/in.dcm" "$W/o.dcm"
		dcmdump -q -s +P 0028,0004 "$W/o.dcm" | grep -qF "[$want]" ||
			{ echo "$pi: $(dcmdump -q -s +P 0028,0004 "$W/o.dcm")"; false; }
		# rows x columns x 3, as opj_decompress makes them
		[ "$(pixels_of "$W/o.dcm" | wc -c)" -eq $((33 * 40 * 3)) ]
		cmp <(pixels_of "$W/o.dcm") "$W/in.dcm.ref"
		diff <(others "$W/in.dcm" | grep -v '^(0028,0004)') <(others "$W/o.dcm" | grep -v '^(0028,0004)')
	done
}
