#!/usr/bin/env bats
# Failures a demanding user met with real peers (DCMTK), each fixed with
# its test here; the tool-only ones are in tests/bats/realworld.bats.

load ../bats/helpers
load ../bats/dcmrecv-helpers

D=$CSTORE_ROOT/tests/data

setup() {
	require_netns
	require_cmd /usr/bin/storescu
}

@test "realworld: storescu calling with a backslash in its AE titles is served, not aborted" {
	# the request's titles are taken as sent; the A-ASSOCIATE-AC must
	# return them (PS3.8 9.3.3), where it could not be encoded before
	start_dcmrecv
	run -0 env TCP_NODELAY=1 /usr/bin/storescu -aet 'MOD\1' -aec 'PACS\A' 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# one line, the title with its backslash written '\\' (OUTPUT)
	[ "$(grep -c . "$RECV_STDOUT")" -eq 1 ]
	[ "$(cut -f4 "$RECV_STDOUT")" = 'MOD\\1' ]
	cmp <(dataset_of "$D/p10-evrle.dcm") <(dataset_of "$(cut -f1 "$RECV_STDOUT")")
	refute grep -q "cannot accept" "$RECV_STDERR"
}

@test "realworld: storescu calling with a Latin-1 AE title is served, the title shown with '?'" {
	# outside the AE VR, but DCMTK sends and takes it; aborted before,
	# as if the title held a control character
	local aet
	aet=$(printf 'R\326NTGEN')
	start_dcmrecv --json
	run -0 env TCP_NODELAY=1 /usr/bin/storescu -aet "$aet" 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(grep -c . "$RECV_STDOUT")" -eq 1 ]
	grep -q '"calling_ae":"R?NTGEN"' "$RECV_STDOUT"
	refute grep -q "control character" "$RECV_STDERR"
}

# twometa SRC DST: SRC with a second File Meta Information group put
# after its own (an older writer's, kept by one that prepended its meta:
# fo-dicom's GH1376.dcm), which says Explicit VR LE and another instance.
twometa() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info

src, dst = sys.argv[1:3]
raw = open(src, "rb").read()
end = 144 + int.from_bytes(raw[140:144], "little")
m = FileMetaDataset()
m.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
m.MediaStorageSOPInstanceUID = "1.2.3.4.5.6.7.8.9"
m.TransferSyntaxUID = "1.2.840.10008.1.2.1"
m.ImplementationClassUID = "1.2.3.4"
m.SourceApplicationEntityTitle = "OLDWRITER"
b = DicomBytesIO()
b.is_little_endian, b.is_implicit_VR = True, False
write_file_meta_info(b, m, enforce_standard=True)
open(dst, "wb").write(raw[:end] + b.getvalue() + raw[end:])
PY
}

@test "realworld: a second File Meta Information after the first is not the data set's: the first's syntax is sent, the second left out, a conversion decodes" {
	require_cmd /usr/bin/dcmdjpeg
	require_cmd /usr/bin/gdcmraw
	local src f w=$BATS_TEST_TMPDIR stored
	src=$(corpus_dir)/ts/jpeg-lossless-sv1.dcm
	f=$w/twometa.dcm
	twometa "$src" "$f"
	# DCMTK reads the first group as the meta, the second as elements
	# of the data set (which PS3.5 7.1 leaves to the meta)
	dcmdump -q "$f" 2>&1 | grep -q 'JPEGLossless:Non-hierarchical-1stOrderPrediction'
	start_storescp "$w/scp" +B +xa
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$f"
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	assert_output --partial 'File Meta Information repeated'
	refute_output --partial 'differs'
	stored=$(ls "$w"/scp/*)
	# stored under the syntax the pixel data is in, the data set the
	# source's without the second group
	[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$stored" | cut -f3)" = 1.2.840.10008.1.2.4.70 ]
	cmp <(dataset_of "$src") <(dataset_of "$stored")
	dcmdjpeg "$stored" "$w/dec.dcm"
	# converted for a receiver taking Explicit VR LE only: decoded as
	# dcmdjpeg decodes the source, where "native syntax with encapsulated
	# pixel data" was refused
	start_dcmrecv --ts ExplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f"
	stop_dcmrecv
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	stored=$(cut -f1 "$RECV_STDOUT")
	[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$stored" | cut -f3)" = 1.2.840.10008.1.2.1 ]
	dcmdjpeg "$src" "$w/ref.dcm"
	gdcmraw -i "$w/ref.dcm" -t 7fe0,0010 -o "$w/ref.raw"
	gdcmraw -i "$stored" -t 7fe0,0010 -o "$w/got.raw"
	[ -s "$w/ref.raw" ]
	cmp "$w/ref.raw" "$w/got.raw"
	# the same line from --dry-run
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 "$RECV_PORT" "$f"
	assert_output --partial 'File Meta Information repeated'
}

@test "realworld: one RLE frame cut into several fragments (fo-dicom's D_CLUNIE_CT1_RLE_FRAGS.dcm) converts, pixels as dcmdrle decodes them" {
	require_cmd /usr/bin/dcmdrle
	require_cmd /usr/bin/gdcmraw
	local src f w=$BATS_TEST_TMPDIR stored
	src=$(corpus_dir)/ts/rle.dcm
	f=$w/frags.dcm
	# the one frame in 7 fragments: its second segment starts in one
	# that is neither the first nor the last
	/usr/bin/python3 - "$src" "$f" <<'PY'
import sys
import pydicom
from pydicom.encaps import decode_data_sequence, encapsulate

ds = pydicom.dcmread(sys.argv[1])
frame = decode_data_sequence(ds.PixelData)  # without the offset table
assert len(frame) == 1
ds.PixelData = encapsulate(frame, fragments_per_frame=7, has_bot=True)
ds.save_as(sys.argv[2], write_like_original=True)
PY
	[ "$(dcmdump -q "$f" | grep -c '(fffe,e000) pi')" -eq 8 ]
	dcmdrle "$f" "$w/ref.dcm"
	start_dcmrecv --ts ExplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f"
	stop_dcmrecv
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	assert_output --partial 'transcoded to ExplicitVRLittleEndian'
	stored=$(cut -f1 "$RECV_STDOUT")
	gdcmraw -i "$w/ref.dcm" -t 7fe0,0010 -o "$w/ref.raw"
	gdcmraw -i "$stored" -t 7fe0,0010 -o "$w/got.raw"
	[ "$(stat -c %s "$w/ref.raw")" -eq $((64 * 64 * 2)) ]
	cmp "$w/ref.raw" "$w/got.raw"
}

# blankvr SRC DST [be]: SRC written again by pydicom with Pixel Padding
# Value (0028,0120) 0 under a blank VR, two spaces, and its 16-bit
# length, as a GE writer made it (fo-dicom's GH179A.dcm); in Explicit VR
# Big Endian with "be".
blankvr() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
import pydicom

src, dst = sys.argv[1:3]
be = len(sys.argv) > 3
ds = pydicom.dcmread(src)
ds.PixelPaddingValue = 0
ds[0x00280120].VR = "US"
if be:
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRBigEndian
    ds.is_little_endian, ds.is_implicit_VR = False, False
ds.save_as(dst, write_like_original=False)
raw = open(dst, "rb").read()
us = bytes.fromhex("00280120 55530002" if be else "28002001 55530200")
assert raw.count(us) == 1
open(dst, "wb").write(raw.replace(us, us[:4] + b"  " + us[6:]))
PY
}

@test "realworld: an element with a blank VR (a GE writer's, fo-dicom's GH179A.dcm) is sent unchanged, and converted as DCMTK reads it" {
	local src f w=$BATS_TEST_TMPDIR stored
	src=$(corpus_dir)/ts/explicit-le.dcm
	f=$w/blank.dcm
	blankvr "$src" "$f"
	# DCMTK reads it, with a warning: a 16-bit length
	dcmdump "$f" 2>&1 | grep -q "Non-standard VR '  '"
	[ "$(dcmdump -q +P 0028,0120 "$f" 2>/dev/null | awk '{print $3}')" = 00\\00 ]
	# unchanged to storescp +B: was notdicom, 'unknown VR'
	start_storescp "$w/scp" +B +xa
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$f"
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	refute_output --partial 'transcoded'
	stored=$(ls "$w"/scp/*)
	cmp <(dataset_of "$f") <(dataset_of "$stored")
	# converted for a receiver of Implicit VR only: the value as it was
	start_dcmrecv --ts ImplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f"
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	assert_output --partial 'transcoded to ImplicitVRLittleEndian'
	stored=$(cut -f1 "$RECV_STDOUT")
	[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$stored" | cut -f3)" = 1.2.840.10008.1.2 ]
	[ "$(dcmdump -q +P 0028,0120 "$stored" | awk '{print $3}')" = 0 ]
	stop_dcmrecv
	# from Big Endian its value cannot be swapped: refused, said why
	blankvr "$src" "$w/blank-be.dcm" be
	start_dcmrecv --ts ExplicitVRLittleEndian
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$w/blank-be.dcm"
	stop_dcmrecv
	[ "$(cut -f1 <<<"$output")" = transcodefail ]
	assert_output --partial '(0028,0120) has a blank VR'
	[ ! -s "$RECV_STDOUT" ]
}

# iconify SRC DST: SRC (encapsulated) with an Icon Image Sequence whose
# Pixel Data is SRC's own, encapsulated in SRC's syntax as PS3.5 A.4
# has it (GE's mammograms: fo-dicom's GH133.dcm)
iconify() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

src, dst = sys.argv[1:3]
ds = pydicom.dcmread(src)
icon = Dataset()
for kw in ("SamplesPerPixel", "PhotometricInterpretation",
           "PlanarConfiguration", "Rows", "Columns", "BitsAllocated",
           "BitsStored", "HighBit", "PixelRepresentation"):
    if kw in ds:
        setattr(icon, kw, getattr(ds, kw))
icon.add_new(0x7FE00010, "OB", ds.PixelData)
icon[0x7FE00010].is_undefined_length = True
ds.IconImageSequence = Sequence([icon])
ds.save_as(dst, write_like_original=False)
PY
}

# rgbfile DST: a 64x64 RGB Secondary Capture in Explicit VR LE, for
# dcmcjpeg to make a colour JPEG of
rgbfile() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

m = FileMetaDataset()
m.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
m.MediaStorageSOPInstanceUID = generate_uid()
m.TransferSyntaxUID = ExplicitVRLittleEndian
ds = Dataset()
ds.file_meta = m
ds.is_little_endian, ds.is_implicit_VR = True, False
ds.SOPClassUID, ds.SOPInstanceUID = m.MediaStorageSOPClassUID, m.MediaStorageSOPInstanceUID
ds.Modality = "OT"
ds.SamplesPerPixel, ds.PhotometricInterpretation = 3, "RGB"
ds.PlanarConfiguration = 0
ds.Rows = ds.Columns = 64
ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
ds.PixelRepresentation = 0
ds.PixelData = bytes((x * 4 + c * 80 + y * 3) & 255
                     for y in range(64) for x in range(64) for c in range(3))
ds.save_as(sys.argv[1], write_like_original=False)
PY
}

@test "realworld: a colour JPEG's icon is decoded to RGB with it, as dcmdjpeg decodes both" {
	require_cmd /usr/bin/dcmcjpeg
	local w=$BATS_TEST_TMPDIR
	rgbfile "$w/rgb.dcm"
	dcmcjpeg +eb "$w/rgb.dcm" "$w/ybr.dcm"
	[ "$(dcmdump -q +P 0028,0004 "$w/ybr.dcm" | awk '{print $3}')" = '[YBR_FULL_422]' ]
	iconify "$w/ybr.dcm" "$w/icon.dcm"
	start_dcmrecv --ts ExplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$w/icon.dcm"
	stop_dcmrecv
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	dcmdjpeg "$w/icon.dcm" "$w/ref.dcm"
	/usr/bin/python3 - "$w/ref.dcm" "$(cut -f1 "$RECV_STDOUT")" <<'PY'
import sys
import pydicom

ref, got = (pydicom.dcmread(p) for p in sys.argv[1:3])
a, b = ref.IconImageSequence[0], got.IconImageSequence[0]
assert got.PhotometricInterpretation == "RGB", got.PhotometricInterpretation
assert b.PhotometricInterpretation == a.PhotometricInterpretation == "RGB"
assert len(a.PixelData) == 64 * 64 * 3
assert a.PixelData == b.PixelData, "icon pixels differ from dcmdjpeg's"
assert ref.PixelData == got.PixelData
PY
}

@test "realworld: an encapsulated icon (GH133.dcm) is kept when the syntax stays, decoded as dcmdjpeg decodes it for a native target, and a conversion to another compressed syntax is refused instead of leaving it in the old one" {
	require_cmd /usr/bin/dcmcjpls
	local src f w=$BATS_TEST_TMPDIR stored
	src=$(corpus_dir)/ts/jpeg-lossless-sv1.dcm
	f=$w/icon.dcm
	iconify "$src" "$f"
	[ "$(dcmdump -q "$f" | grep -c '(7fe0,0010) OB (PixelSequence')" -eq 2 ]
	# the same SOP class in JPEG-LS, so that one context of the class
	# proposes it
	dcmdjpeg "$src" "$w/native.dcm"
	dcmcjpls "$w/native.dcm" "$w/jls.dcm"
	dcmodify -nb -gin "$w/jls.dcm"
	# in its own syntax: unchanged, icon and all
	start_storescp "$w/scp" +B +xa
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$f"
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	stored=$(ls "$w"/scp/*)
	cmp <(dataset_of "$f") <(dataset_of "$stored")
	# a receiver of Explicit VR LE only: the icon decoded too (was
	# transcodefail), its pixels as dcmdjpeg makes them
	start_dcmrecv --ts ExplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f"
	stop_dcmrecv
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	assert_output --partial 'transcoded to ExplicitVRLittleEndian'
	dcmdjpeg "$f" "$w/ref.dcm"
	/usr/bin/python3 - "$w/ref.dcm" "$(cut -f1 "$RECV_STDOUT")" <<'PY'
import sys
import pydicom

ref, got = (pydicom.dcmread(p) for p in sys.argv[1:3])
assert got.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
a, b = ref.IconImageSequence[0], got.IconImageSequence[0]
assert len(a.PixelData) == a.Rows * a.Columns * a.BitsAllocated // 8
assert a.PixelData == b.PixelData, "icon pixels differ from dcmdjpeg's"
assert ref.PixelData == got.PixelData
PY
	rm -rf "$RECV_DIR"
	# a receiver of JPEG-LS only: the icon's JPEG Lossless stream would
	# have stayed in a data set labelled JPEG-LS (0000, 'transcoded')
	start_dcmrecv --ts JPEGLSLossless
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f" "$w/jls.dcm"
	stop_dcmrecv
	[ "$(grep -c . <<<"$output")" -eq 2 ]
	[ "$(grep -F "$f" <<<"$output" | cut -f1)" = transcodefail ]
	assert_output --partial '(0088,0200) holds encapsulated pixel data'
	[ "$(grep -F "$w/jls.dcm" <<<"$output" | cut -f1)" = 0000 ]
	[ "$(grep -c . "$RECV_STDOUT")" -eq 1 ]
	cmp <(dataset_of "$w/jls.dcm") <(dataset_of "$(cut -f1 "$RECV_STDOUT")")
}
