#!/usr/bin/env bats
# dcmsend --read-from-dicomdir: the files a DICOMDIR references, from
# DICOMDIRs real writers made (DCMTK dcmmkdir, pydicom's FileSet and the
# test file-sets pydicom ships), checked at the receiver (our dcmrecv,
# DCMTK storescp +B): exactly the referenced files arrive, byte for byte.
# Also what it refuses (records that would leave the file-set, Deflated
# or malformed DICOMDIRs) and the options it meets.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

PYDICOM_SETS=/usr/lib/python3/dist-packages/pydicom/data/test_files/dicomdirtests
EDIT=$CSTORE_ROOT/tests/bats/dicomdir-edit.py

setup() {
	T=$BATS_TEST_TMPDIR
	C=$(corpus_dir)
}

# A medium as DCMTK writes one: 4 images of the corpus under 8-character
# names, the DICOMDIR by dcmmkdir (General Purpose CD-R, +I inventing
# what the corpus files lack; more options as given), then a DICOM file
# the DICOMDIR does not reference.  MEDIUM_FILES: the referenced files.
make_medium() {
	local m=$1
	shift
	require_cmd /usr/bin/dcmmkdir
	mkdir -p "$m/DICOM/SER1" "$m/DICOM/SER2"
	cp "$C/sop/CTImageStorage.dcm" "$m/DICOM/SER1/IM000001"
	cp "$C/sop/MRImageStorage.dcm" "$m/DICOM/SER1/IM000002"
	cp "$C/sop/SecondaryCaptureImageStorage.dcm" "$m/DICOM/SER2/IM000003"
	cp "$C/sop/UltrasoundImageStorage.dcm" "$m/DICOM/SER2/IM000004"
	(cd "$m" && /usr/bin/dcmmkdir -q +I +r "$@" DICOM) || return 1
	cp "$C/sop/XRayAngiographicImageStorage.dcm" "$m/DICOM/SER2/IM000005"
	MEDIUM_FILES=("$m/DICOM/SER1/IM000001" "$m/DICOM/SER1/IM000002"
		"$m/DICOM/SER2/IM000003" "$m/DICOM/SER2/IM000004")
}

# arrived DIR FILE...: each FILE's data set is in DIR (dcmrecv's
# SOPInstanceUID.dcm, or storescp's MODALITY.SOPInstanceUID) unchanged,
# and DIR holds nothing else.  The UID is the one dcmsend's line for FILE
# in $output names (else dcmdump's): a wrong one finds no file.
arrived() {
	local dir=$1 f inst got n=0
	shift
	for f in "$@"; do
		inst=$(awk -F'\t' -v p="$f" '$2 == p && $4 != "" { print $4; exit }' <<<"$output")
		[ -n "$inst" ] || inst=$(meta_value "$f" 0002,0003)
		got=$(find "$dir" -type f \( -name "$inst.dcm" -o -name "*.$inst" \))
		[ -n "$got" ] || { echo "$f ($inst) did not arrive" >&2; return 1; }
		cmp <(dataset_of "$f") <(dataset_of "$got") || { echo "$f: changed" >&2; return 1; }
		n=$((n + 1))
	done
	[ "$(find "$dir" -type f | wc -l)" -eq "$n" ] || {
		echo "expected $n files in $dir:" >&2
		find "$dir" -type f >&2
		return 1
	}
}

@test "dcmsend --read-from-dicomdir: a dcmmkdir medium, exactly its files arrive at dcmrecv byte for byte" {
	make_medium "$T/m"
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir 127.0.0.1 "$RECV_PORT" "$T/m/DICOMDIR"
	# the DICOMDIR's own line first, then its records' files (dcmmkdir
	# lists the last series first)
	[ "${lines[0]%%$'\t'*}" = dicomdir ]
	[ "$(cut -f2 <<<"${lines[0]}")" = "$T/m/DICOMDIR" ]
	[ "${#lines[@]}" -eq 5 ]
	for f in "${MEDIUM_FILES[@]}"; do
		assert_line --regexp $'^0000\t'"$f"$'\t'
	done
	arrived "$RECV_DIR" "${MEDIUM_FILES[@]}"
	[[ $stderr == *"4 stored, 0 with warning, 0 failed, 1 skipped"* ]]
}

@test "dcmsend --read-from-dicomdir: undefined lengths (dcmmkdir -e), a copy in lower case, to DCMTK storescp +B" {
	local f
	make_medium "$T/m" -e
	# the medium copied to a file system that changed every name
	mkdir "$T/low"
	(cd "$T/m" && find . -type d) | while read -r f; do mkdir -p "$T/low/${f,,}"; done
	(cd "$T/m" && find . -type f) | while read -r f; do cp "$T/m/$f" "$T/low/${f,,}"; done
	start_storescp "$T/scp" +B +xa -pm
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir 127.0.0.1 "$SCP_PORT" "$T/low/dicomdir"
	[ "${#lines[@]}" -eq 5 ]
	for f in "${MEDIUM_FILES[@]}"; do
		f=${f#"$T/m/"}
		f=$T/low/${f,,}
		assert_line --regexp $'^0000\t'"$f"$'\t'
	done
	arrived "$T/scp" "$T"/low/dicom/ser?/im00000[1-4]
	[[ $stderr == *"4 stored, 0 with warning, 0 failed, 1 skipped"* ]]
}

@test "dcmsend --read-from-dicomdir: pydicom's FileSet, its DICOMDIR in Explicit and in Implicit VR" {
	local mode
	start_dcmrecv
	for mode in explicit implicit; do
		rm -rf "$RECV_DIR"/*
		mkdir "$T/$mode"
		/usr/bin/python3 -W ignore "$EDIT" fileset "$T/$mode" "$mode" \
			"$C/sop/CTImageStorage.dcm" "$C/sop/MRImageStorage.dcm" \
			"$C/ts/rle.dcm" "$C/ts/jpegls-lossless.dcm"
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir 127.0.0.1 "$RECV_PORT" "$T/$mode/DICOMDIR"
		[ "${#lines[@]}" -eq 5 ]
		[ "$(grep -c $'^0000\t'"$T/$mode/PT000000/ST000000/SE00000[01]/IM00000[01]"$'\t' <<<"$output")" -eq 4 ]
		arrived "$RECV_DIR" "$T/$mode"/PT000000/ST000000/SE*/IM*
	done
}

@test "dcmsend --read-from-dicomdir: pydicom's test file-sets, whatever their encoding and record order" {
	local v want
	want=$("$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run 127.0.0.1 104 "$PYDICOM_SETS/DICOMDIR" |
		awk -F'\t' '$1 == "planned" { print $2 }')
	[ "$(wc -l <<<"$want")" -eq 31 ]
	# Big Endian (dcmodify), Implicit VR (pydicom), records reordered
	for v in DICOMDIR-bigEnd DICOMDIR-implicit DICOMDIR-reordered DICOMDIR-nopatient; do
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run 127.0.0.1 104 "$PYDICOM_SETS/$v"
		[ "$(awk -F'\t' '$1 == "planned" { print $2 }' <<<"$output")" = "$want" ]
	done
	# one of them sent for real: all 31, as they are
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir 127.0.0.1 "$RECV_PORT" "$PYDICOM_SETS/DICOMDIR-implicit"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 31 ]
	arrived "$RECV_DIR" $want
	# a file-set with no record at all: nothing to send (exit 1, as a
	# DICOMDIR alone)
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run 127.0.0.1 104 "$PYDICOM_SETS/DICOMDIR-empty.dcm"
	[ "${#lines[@]}" -eq 1 ]
	[[ $stderr == *"references no file"* ]]
}

@test "dcmsend --read-from-dicomdir: a malformed DICOMDIR (pydicom's DICOMDIR-nooffset) stops before anything is sent" {
	start_dcmrecv
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir 127.0.0.1 "$RECV_PORT" "$PYDICOM_SETS/DICOMDIR-nooffset"
	assert_output ""
	[[ $stderr == *"cannot read the DICOMDIR '$PYDICOM_SETS/DICOMDIR-nooffset': DICOMDIR, offset 10860: (FFFE,E000) runs past the end of (0004,1220)"* ]]
	[ -z "$(ls -A "$RECV_DIR")" ]
}

@test "dcmsend --read-from-dicomdir: records that would leave the file-set are named and not followed, the others sent (exit 1)" {
	mkdir "$T/fs"
	cp "$C/sop/CTImageStorage.dcm" "$T/SECRET"
	/usr/bin/python3 -W ignore "$EDIT" fileset "$T/fs" explicit \
		"$C/sop/MRImageStorage.dcm" "$C/sop/SecondaryCaptureImageStorage.dcm" \
		"$C/sop/UltrasoundImageStorage.dcm" "$C/ts/rle.dcm"
	/usr/bin/python3 -W ignore "$EDIT" set-ids "$T/fs/DICOMDIR" '..\SECRET' '\etc\passwd' '-' 'PT000000\..\..\SECRET'
	start_dcmrecv
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir 127.0.0.1 "$RECV_PORT" "$T/fs/DICOMDIR"
	[ "${#lines[@]}" -eq 2 ]
	assert_line --regexp $'^0000\t'"$T/fs/PT000000/ST000000/SE00000./IM00000."$'\t'
	[[ $stderr == *"DICOMDIR '$T/fs/DICOMDIR': record at offset "*" (IMAGE) not followed: Referenced File ID '..\\SECRET': a '.' or '..' component"* ]]
	[[ $stderr == *"Referenced File ID '\\etc\\passwd': an empty component (a leading or doubled backslash: an absolute path)"* ]]
	[[ $stderr == *"Referenced File ID 'PT000000\\..\\..\\SECRET': a '.' or '..' component"* ]]
	[ "$(find "$RECV_DIR" -type f | wc -l)" -eq 1 ]
	[ ! -e "$RECV_DIR/$(meta_value "$T/SECRET" 0002,0003).dcm" ]
	# the dry run says the same, exit 1 too
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run 127.0.0.1 104 "$T/fs/DICOMDIR"
	[ "$(grep -c '^planned' <<<"$output")" -eq 1 ]
}

@test "dcmsend --read-from-dicomdir: a missing file gets an unreadable line (exit 1), the others go" {
	make_medium "$T/m"
	rm "$T/m/DICOM/SER1/IM000002"
	start_dcmrecv
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir 127.0.0.1 "$RECV_PORT" "$T/m/DICOMDIR"
	assert_line $'unreadable\t'"$T/m/DICOM/SER1/IM000002"$'\t\t\tcannot open: No such file or directory'
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 3 ]
	[[ $stderr == *"DICOMDIR '$T/m/DICOMDIR': '$T/m/DICOM/SER1/IM000002' (record at offset "*") does not exist"* ]]
	arrived "$RECV_DIR" "$T/m/DICOM/SER1/IM000001" "$T/m/DICOM/SER2/IM000003" "$T/m/DICOM/SER2/IM000004"
}

@test "dcmsend --read-from-dicomdir: each file once, with itself, twice, in another case, and beside a walk and a file" {
	local f
	make_medium "$T/m"
	# dcmmkdir's records: SER2/IM000004, SER2/IM000003, SER1/IM000002,
	# SER1/IM000001; now: itself, SER1/IM000001, SER2/IM000003 in lower
	# case, SER1/IM000001 again
	/usr/bin/python3 -W ignore "$EDIT" set-ids "$T/m/DICOMDIR" 'DICOMDIR' \
		'DICOM\SER1\IM000001' 'dicom\ser2\im000003'
	start_dcmrecv
	# relative paths; SER2 walked (IM000003 to IM000005); a file beside
	cd "$T"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir 127.0.0.1 "$RECV_PORT" \
		m/DICOMDIR m/DICOM/SER2 "$C/sop/NuclearMedicineImageStorage.dcm"
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[0]%%$'\t'*}" = dicomdir ]
	assert_line --index 1 --regexp $'^0000\tm/DICOM/SER1/IM000001\t'
	for f in DICOM/SER2/IM000003 DICOM/SER2/IM000004 DICOM/SER2/IM000005; do
		[ "$(grep -c $'^0000\tm/'"$f"$'\t' <<<"$output")" -eq 1 ]
	done
	assert_line --index 5 --regexp $'^0000\t'"$C/sop/NuclearMedicineImageStorage.dcm"$'\t'
	arrived "$RECV_DIR" m/DICOM/SER1/IM000001 m/DICOM/SER2/IM00000[345] \
		"$C/sop/NuclearMedicineImageStorage.dcm"
}

@test "dcmsend --read-from-dicomdir: --dry-run plans the files, --resume skips those stored" {
	make_medium "$T/m"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run 127.0.0.1 104 "$T/m/DICOMDIR"
	[ "$(grep -c $'^planned\t' <<<"$output")" -eq 4 ]
	# the same to a DICOMweb service (STOW-RS): one request planned
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run http://127.0.0.1:9/dicom-web "$T/m/DICOMDIR"
	[ "$(grep -c $'^planned\t.*\trequest 1$' <<<"$output")" -eq 4 ]
	start_dcmrecv
	"$CSTORE_BIN/dcmsend" --read-from-dicomdir 127.0.0.1 "$RECV_PORT" "$T/m/DICOM/SER1/IM000001" \
		"$T/m/DICOM/SER2/IM000004" >"$T/log"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --resume "$T/log" 127.0.0.1 "$RECV_PORT" "$T/m/DICOMDIR"
	[ "$(grep -c $'^resumed\t' <<<"$output")" -eq 2 ]
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	arrived "$RECV_DIR" "${MEDIUM_FILES[@]}"
}

@test "dcmsend --read-from-dicomdir: a Deflated or huge DICOMDIR is refused whole; without the option a DICOMDIR is only a dicomdir line" {
	make_medium "$T/m"
	/usr/bin/python3 -W ignore "$EDIT" deflate "$T/m/DICOMDIR" "$T/m/DEFLATED"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run 127.0.0.1 104 "$T/m/DEFLATED"
	assert_output ""
	[ "$stderr" = "dcmsend: cannot read the DICOMDIR '$T/m/DEFLATED': a DICOMDIR is never Deflated (PS3.10 8.6: Explicit VR Little Endian): refused" ]
	# JPIP Referenced Deflate (its data set deflated alike): the same line
	/usr/bin/python3 - "$T/m/DEFLATED" "$T/m/JPIPDEFL" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
assert b.count(b"1.2.840.10008.1.2.1.99") == 1
open(sys.argv[2], "wb").write(b.replace(b"1.2.840.10008.1.2.1.99", b"1.2.840.10008.1.2.4.95"))
PY
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run 127.0.0.1 104 "$T/m/JPIPDEFL"
	assert_output ""
	[ "$stderr" = "dcmsend: cannot read the DICOMDIR '$T/m/JPIPDEFL': a DICOMDIR is never Deflated (PS3.10 8.6: Explicit VR Little Endian): refused" ]
	# over 256 MiB (a sparse file): refused before it is read
	cp "$T/m/DICOMDIR" "$T/m/HUGE"
	truncate -s 257M "$T/m/HUGE"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run 127.0.0.1 104 "$T/m/HUGE"
	assert_output ""
	[ "$stderr" = "dcmsend: cannot read the DICOMDIR '$T/m/HUGE': 269484032 bytes: more than 256 MiB" ]
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/m/DICOMDIR"
	[ "${#lines[@]}" -eq 1 ]
	[ "${lines[0]%%$'\t'*}" = dicomdir ]
}

@test "dcmsend --read-from-dicomdir: the DICOMDIR's own line says what became of its records, not 'send the files it references'" {
	local pre=$'dicomdir\t'"$T/m/DICOMDIR"$'\t1.2.840.10008.1.3.10\t'
	make_medium "$T/m"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run 127.0.0.1 104 "$T/m/DICOMDIR"
	assert_line --index 0 --regexp "^$pre"'[0-9.]+'$'\ta DICOMDIR \\(Media Storage Directory\\) is not sent; the 4 files its records reference follow$'
	# the same over STOW-RS, and in JSON
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run http://127.0.0.1:9/dicom-web "$T/m/DICOMDIR"
	assert_line --index 0 --regexp $'is not sent; the 4 files its records reference follow$'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --json --read-from-dicomdir --dry-run 127.0.0.1 104 "$T/m/DICOMDIR"
	assert_line --index 0 --partial '"detail":"a DICOMDIR (Media Storage Directory) is not sent; the 4 files its records reference follow"'
	# one missing, one record that would leave the file-set, one naming a file given too
	rm "$T/m/DICOM/SER2/IM000003"
	/usr/bin/python3 -W ignore "$EDIT" set-ids "$T/m/DICOMDIR" 'DICOM\SER2\IM000003' '..\x' 'DICOM\SER1\IM000002'
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run 127.0.0.1 104 "$T/m/DICOMDIR" "$T/m/DICOM/SER1/IM000002"
	assert_line --index 0 --regexp $'is not sent; the 2 files its records reference follow; 1 of them missing; 1 reference to a file already among the inputs; 1 record not followed$'
	# a DICOMDIR met in a walk under another name is not read as one
	mkdir "$T/w"
	cp "$T/m/DICOMDIR" "$T/w/index.dcm"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --dry-run 127.0.0.1 104 "$T/w"
	assert_output --regexp $'^dicomdir\t'"$T/w/index.dcm"$'\t.*\ta DICOMDIR \\(Media Storage Directory\\) is not sent; not read as an index: only a file operand or a file named DICOMDIR is \\(--read-from-dicomdir\\)$'
	# without the option: the library's words
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/m/DICOMDIR"
	assert_output --regexp $'and is not sent: send the files it references$'
}

@test "dcmsend --read-from-dicomdir: not with --follow, --echo or --commit-wait (usage, exit 2)" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --follow 127.0.0.1 104 - </dev/null
	assert_output ""
	[[ $stderr == "dcmsend: --read-from-dicomdir and --follow exclude each other"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --echo 127.0.0.1 104
	[[ $stderr == "dcmsend: --read-from-dicomdir sends files: not with --echo"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --read-from-dicomdir --commit-wait x --commit-listen 0 127.0.0.1 104
	[[ $stderr == "dcmsend: --read-from-dicomdir sends files: not with --commit-wait"* ]]
}
