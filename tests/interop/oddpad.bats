#!/usr/bin/env bats
# Data sets of odd total length: an odd number of values of odd length
# (PS3.5 7.1.1 wants them even; pydicom and others write them so,
# tests/interop/odd-datasets.py makes three).  No PDV can carry one
# (PS3.8 E.1: DCMTK aborts the association, "Odd Fragment Length"), so
# dcmsend pads each odd-length value by one byte, a space for the text
# VRs and a NUL for UI and the others, and says so; a data set of even
# length still goes byte for byte.  The padded data set expected here is
# made by the Python below from the file, not by our code.

load ../bats/helpers
load ../bats/dcmrecv-helpers

setup_file() {
	/usr/bin/python3 "$CSTORE_ROOT/tests/interop/odd-datasets.py" "$BATS_FILE_TMPDIR"
	/usr/bin/python3 "$CSTORE_ROOT/tests/interop/odd-datasets.py" --un-odd "$BATS_FILE_TMPDIR"
}

setup() {
	require_netns
	local e
	ODD=()
	for e in evrle ivrle evrbe; do
		ODD+=("$BATS_FILE_TMPDIR/odd-lengths-$e.dcm")
		# odd in total: the case at hand
		[ $(($(dataset_of "$BATS_FILE_TMPDIR/odd-lengths-$e.dcm" | wc -c) % 2)) -eq 1 ]
	done
	EVEN=$CSTORE_ROOT/tests/data/p10-evrle.dcm
	[ $(($(dataset_of "$EVEN" | wc -c) % 2)) -eq 0 ]
}

# padded FILE: the data set of FILE with every odd-length value padded
# by the rule above (tests/interop/pad-odd.py)
padded() {
	dataset_of "$1" | /usr/bin/python3 "$CSTORE_ROOT/tests/interop/pad-odd.py" "$(meta_value "$1" 0002,0010)"
}

# sent_ok: dcmsend's lines ($output) for ODD then EVEN: every one 0000,
# the odd ones said to be padded (5 values each), the even one not
sent_ok() {
	[ "$(grep -c . <<<"$output")" -eq 4 ]
	[ "$(cut -f1 <<<"$output" | sort -u)" = 0000 ] || { echo "$output" >&2; return 1; }
	[ "$(grep -c 'padded 5 odd-length values to even length (PS3.5 7.1.1)' <<<"$output")" -eq 3 ]
	grep "$EVEN" <<<"$output" | refute grep -q padded
}

# uid_of FILE
uid_of() { "$CSTORE_TOOLS/dcm-dataset" -u "$1" | cut -f2; }

# dump FILE: the data set as DCMTK reads it, values without their
# trailing padding (DCMTK 3.6.7 pads text with a NUL where we put the
# space PS3.5 6.2 asks for), an Implicit VR unknown tag named UN
dump() {
	/usr/bin/dcmdump -q +L "$1" | tr -d '\0' | grep '^(' | grep -v '^(0002,' |
		sed -E 's/ *\] / ]/; s/^(\([0-9a-f,]+\)) \?\? /\1 UN /; s/ +#.*//'
}

# dump_nested FILE: as dump, with the elements inside sequences
dump_nested() {
	/usr/bin/dcmdump -q +L "$1" | tr -d '\0' | grep '^ *(' | grep -v '^(0002,' |
		sed -E 's/ +#.*//; s/ *\]$/]/'
}

@test "oddpad: odd-total data sets to DCMTK storescp +B in one run: all stored, padded as DCMTK's dcmsend pads them" {
	local f got
	start_storescp "$BATS_TEST_TMPDIR/in" +B +xa -pm
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "${ODD[@]}" "$EVEN"
	sent_ok
	refute grep -qi "odd" "$BATS_TEST_TMPDIR/storescp.log"
	for f in "${ODD[@]}"; do
		got=$(ls "$BATS_TEST_TMPDIR/in/"*".$(uid_of "$f")")
		cmp <(padded "$f") <(dataset_of "$got")
	done
	got=$(ls "$BATS_TEST_TMPDIR/in/"*".$(uid_of "$EVEN")")
	cmp <(dataset_of "$EVEN") <(dataset_of "$got")
	# DCMTK's own dcmsend, the same files, to a second storescp
	require_cmd /usr/bin/dcmsend
	mv "$BATS_TEST_TMPDIR/storescp.log" "$BATS_TEST_TMPDIR/storescp-1.log"
	start_storescp "$BATS_TEST_TMPDIR/ref" +B +xa -pm
	/usr/bin/dcmsend -q 127.0.0.1 "$SCP_PORT" "${ODD[@]}" "$EVEN"
	for f in "${ODD[@]}" "$EVEN"; do
		got=$(uid_of "$f")
		diff <(dump "$BATS_TEST_TMPDIR/in/"*".$got") <(dump "$BATS_TEST_TMPDIR/ref/"*".$got")
	done
}

@test "oddpad: --dry-run says which files sending would pad, and only those" {
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "${ODD[@]}" "$EVEN"
	local f
	for f in "${ODD[@]}"; do
		assert_line --regexp $'^planned\t'"$f"$'\t.*\tassociation 1; odd data set length '"$(dataset_of "$f" | wc -c)"': to be padded, odd-length values to even length \(PS3\.5 7\.1\.1\)$'
	done
	assert_line --regexp $'^planned\t'"$EVEN"$'\t.*\tassociation 1$'
}

@test "oddpad: odd-length values inside UN sequences (Implicit VR LE inside, PS3.5 6.2.2) are padded too: storescp +B stores them intact" {
	local f got
	start_storescp "$BATS_TEST_TMPDIR/in" +B +xa -pm
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" \
		"$BATS_FILE_TMPDIR"/un-sequence-odd-{evrle,evrbe}.dcm
	[ "$(grep -c $'^0000\t.*\tpadded 3 odd-length values to even length (PS3.5 7.1.1)$' <<<"$output")" -eq 2 ]
	refute grep -qi "odd" "$BATS_TEST_TMPDIR/storescp.log"
	for f in "$BATS_FILE_TMPDIR"/un-sequence-odd-{evrle,evrbe}.dcm; do
		# the odd total came from inside the UN value alone
		[ $(($(dataset_of "$f" | wc -c) % 2)) -eq 1 ]
		got=$(ls "$BATS_TEST_TMPDIR/in/"*".$(uid_of "$f")")
		[ $(($(dataset_of "$got" | wc -c) % 2)) -eq 0 ]
		# every value even, the same values as the file's
		/usr/bin/dcmdump -q +L "$got" | refute grep -E '# +[0-9]*[13579],'
		diff <(dump_nested "$f") <(dump_nested "$got")
		[ "$(dump_nested "$got" | grep -c 'LO \[\(NESTED1\|ID1\|ISSUER1\)\]$')" -eq 3 ]
	done
}

@test "oddpad: odd-total data sets to Orthanc: all stored, the padded data sets" {
	local f id got
	start_orthanc
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "${ODD[@]}" "$EVEN"
	sent_ok
	[ "$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/statistics" | jq .CountInstances)" -eq 4 ]
	for f in "${ODD[@]}"; do
		id=$(curl -sf -X POST -d "$(uid_of "$f")" "http://127.0.0.1:$ORTHANC_HTTP/tools/lookup" | jq -r '.[0].ID')
		got=$BATS_TEST_TMPDIR/$id.dcm
		curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances/$id/file" -o "$got"
		cmp <(padded "$f") <(dataset_of "$got")
	done
}

@test "oddpad: odd-total data sets to our dcmrecv, --no-transcode too: the padded data sets stored, the even one as it is" {
	local f
	start_dcmrecv
	# padding keeps the syntax: --no-transcode pads all the same
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --no-transcode 127.0.0.1 "$RECV_PORT" "${ODD[@]}" "$EVEN"
	sent_ok
	stop_dcmrecv
	for f in "${ODD[@]}"; do
		cmp <(padded "$f") <(dataset_of "$RECV_DIR/$(uid_of "$f").dcm")
	done
	cmp <(dataset_of "$EVEN") <(dataset_of "$RECV_DIR/$(uid_of "$EVEN").dcm")
}

@test "oddpad: an odd-length last fragment (a JPEG 2000 code stream without its pad byte) gets a NUL: storescp +B stores the data set with it" {
	local src=$CSTORE_ROOT/tests/data/img16-j2k.dcm odd=$BATS_TEST_TMPDIR/j2k-odd.dcm
	# the same file, its last fragment without its trailing NUL
	/usr/bin/python3 - "$src" "$odd" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
i = b.index(b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff") + 12
last = None
while b[i:i + 4] == b"\xfe\xff\x00\xe0":
    last = i
    i += 8 + struct.unpack("<I", b[i + 4:i + 8])[0]
assert b[i:i + 4] == b"\xfe\xff\xdd\xe0" and b[i - 1] == 0
n = struct.unpack("<I", b[last + 4:last + 8])[0]
open(sys.argv[2], "wb").write(b[:last + 4] + struct.pack("<I", n - 1) + b[last + 8:i - 1] + b[i:])
PY
	[ $(($(dataset_of "$odd" | wc -c) % 2)) -eq 1 ]
	start_storescp "$BATS_TEST_TMPDIR/in" +B +xa
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$odd"
	assert_output --regexp $'^0000\t'"$odd"$'\t.*\tpadded 1 odd-length value to even length'
	[ "$(ls "$BATS_TEST_TMPDIR/in" | wc -l)" -eq 1 ]
	cmp <(dataset_of "$src") <(dataset_of "$BATS_TEST_TMPDIR"/in/*)
}

@test "oddpad: a value that cannot be padded (65535 bytes in a 16-bit length): transcodefail, the next file still sent" {
	local bad=$BATS_TEST_TMPDIR/long-lo.dcm
	# odd-lengths-evrle.dcm with (0008,1030) LO of 65535 bytes instead
	/usr/bin/python3 - "${ODD[0]}" "$bad" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
i = b.index(b"\x08\x00\x30\x10LO\x03\x00odd")
open(sys.argv[2], "wb").write(b[:i] + b"\x08\x00\x30\x10LO\xff\xff" + b"x" * 0xffff + b[i + 11:])
PY
	start_storescp "$BATS_TEST_TMPDIR/in" +B +xa -pm
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$bad" "$EVEN"
	[ "$(grep -c . <<<"$output")" -eq 2 ]
	grep "$bad" <<<"$output" | grep -q "^transcodefail.*odd data set length .*16-bit length"
	grep -q "^0000	$EVEN" <<<"$output"
	[ "$(ls "$BATS_TEST_TMPDIR/in" | wc -l)" -eq 1 ]
}

@test "oddpad: a Deflated data set of even length that inflates to an odd one, converted for a peer that takes Explicit VR LE only: padded" {
	local defl=$BATS_TEST_TMPDIR/defl-even.dcm got
	# odd-lengths-evrle.dcm deflated (PS3.5 A.5) at the first level
	# whose stream has an even length
	/usr/bin/python3 - "${ODD[0]}" "$defl" <<'PY'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
gl = struct.unpack("<I", b[140:144])[0]
meta, ds = b[144:144 + gl], b[144 + gl:]
for level in range(10):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    z = c.compress(ds) + c.flush()
    if len(z) % 2 == 0:
        break
assert len(z) % 2 == 0
meta = meta.replace(b"\x10\x00UI\x14\x001.2.840.10008.1.2.1\0", b"\x10\x00UI\x16\x001.2.840.10008.1.2.1.99")
meta = struct.pack("<HH2sHI", 2, 0, b"UL", 4, len(meta)) + meta
open(sys.argv[2], "wb").write(b[:132] + meta + z)
PY
	[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$defl" | cut -f3)" = 1.2.840.10008.1.2.1.99 ]
	start_storescp "$BATS_TEST_TMPDIR/in" +B +xe
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$defl"
	grep -q "^0000	.*padded 5 odd-length values to even length (PS3.5 7.1.1); transcoded to ExplicitVRLittleEndian" <<<"$output"
	got=$(ls "$BATS_TEST_TMPDIR/in/"*".$(uid_of "$defl")")
	cmp <(padded "${ODD[0]}") <(dataset_of "$got")
}

@test "oddpad: an odd fragment that ends in FFD9 inside a JPEG APP1 segment is not padded: transcodefail, nothing stored; GDCM's odd last fragment is still padded and sent" {
	local app1=$BATS_TEST_TMPDIR/jpg-app1.dcm gdcm=/usr/share/doc/libgdcm3.0/examples/00191113.dcm
	# one JPEG frame in two fragments, the first (25 bytes, odd) ending
	# right after an FFD9 inside an APP1 segment, the data set odd in total
	/usr/bin/python3 - "$app1" <<'PY'
import struct, sys, pydicom
from pydicom.encaps import generate_pixel_data_frame
ds = pydicom.dcmread("/usr/lib/python3/dist-packages/pydicom/data/test_files/SC_rgb_jpeg_dcmtk.dcm")
jpg = next(generate_pixel_data_frame(ds.PixelData)).rstrip(b"\0")
body = b"Exif\0\0" + b"A" * 11 + b"\xff\xd9" + b"B" * 21
jpg = jpg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpg[2:]
item = lambda b: struct.pack("<HHI", 0xFFFE, 0xE000, len(b)) + b
del ds.PixelData
ds.save_as(sys.argv[1])
# the pixel data last, by hand: pydicom would pad its odd length
with open(sys.argv[1], "ab") as f:
    f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
    f.write(item(b"") + item(jpg[:25]) + item(jpg[25:]) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
PY
	[ $(($(dataset_of "$app1" | wc -c) % 2)) -eq 1 ]
	start_storescp "$BATS_TEST_TMPDIR/in" +B +xa
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$app1" "$gdcm"
	[ "$(grep -c . <<<"$output")" -eq 2 ]
	grep "$app1" <<<"$output" | grep -q "^transcodefail.*odd-length fragment (25 bytes) that neither the Basic Offset Table nor Number of Frames shows to end a frame"
	grep -q $'^0000\t'"$gdcm"$'\t.*padded 1 odd-length value to even length' <<<"$output"
	[ "$(ls "$BATS_TEST_TMPDIR/in" | wc -l)" -eq 1 ]
}
