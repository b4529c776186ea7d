#!/bin/sh
# gen_dicomdir_seeds.sh - corpus seeds for fuzz_dicomdir: DICOMDIRs as
# real writers make them (DCMTK dcmmkdir with defined and undefined
# lengths, pydicom's FileSet in Explicit and Implicit VR, Big Endian),
# and the cases the reader refuses (records leaving the file-set, an
# inactive record, Deflated).  Each seed is a few KB.
#
# Usage: tests/fuzz/gen_dicomdir_seeds.sh CORPUS [OUT]  (CORPUS: a
# scripts/mkcorpus directory; OUT default tests/fuzz/corpus/fuzz_dicomdir).
# Files are named by the SHA-256 of their bytes.
set -eu
corpus=$1
out=${2:-tests/fuzz/corpus/fuzz_dicomdir}
edit=$(cd "$(dirname "$0")/../bats" && pwd)/dicomdir-edit.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out" "$tmp/m/DICOM/SER1" "$tmp/m/DICOM/SER2"
cp "$corpus/sop/CTImageStorage.dcm" "$tmp/m/DICOM/SER1/IM000001"
cp "$corpus/sop/MRImageStorage.dcm" "$tmp/m/DICOM/SER2/IM000002"

seed() {
	cp "$1" "$out/$(sha256sum "$1" | cut -c1-64)"
}

(cd "$tmp/m" && dcmmkdir -q +I +r DICOM && mv DICOMDIR ../def)
(cd "$tmp/m" && dcmmkdir -q +I +r -e DICOM && mv DICOMDIR ../undef)
seed "$tmp/def"
seed "$tmp/undef"
for mode in explicit implicit; do
	mkdir "$tmp/$mode"
	/usr/bin/python3 -W ignore "$edit" fileset "$tmp/$mode" "$mode" \
		"$corpus/sop/CTImageStorage.dcm" "$corpus/ts/rle.dcm"
	seed "$tmp/$mode/DICOMDIR"
done
/usr/bin/python3 -W ignore - "$tmp/def" "$tmp/be" <<'PY'
import sys
from pydicom import dcmread
from pydicom.uid import ExplicitVRBigEndian
ds = dcmread(sys.argv[1])
ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
ds.is_little_endian = False
ds.is_implicit_VR = False
ds.save_as(sys.argv[2], write_like_original=False)
PY
seed "$tmp/be"
cp "$tmp/undef" "$tmp/hostile"
/usr/bin/python3 -W ignore "$edit" set-ids "$tmp/hostile" '..\SECRET' '\etc\passwd'
seed "$tmp/hostile"
cp "$tmp/def" "$tmp/odd"
/usr/bin/python3 -W ignore "$edit" set-ids "$tmp/odd" 'A/B' "$(printf 'A\tB')"
seed "$tmp/odd"
/usr/bin/python3 -W ignore - "$tmp/def" "$tmp/inactive" <<'PY'
import sys
from pydicom import dcmread
ds = dcmread(sys.argv[1])
ds.DirectoryRecordSequence[-1].RecordInUseFlag = 0
ds.save_as(sys.argv[2])
PY
seed "$tmp/inactive"
/usr/bin/python3 -W ignore "$edit" deflate "$tmp/def" "$tmp/deflated"
seed "$tmp/deflated"
