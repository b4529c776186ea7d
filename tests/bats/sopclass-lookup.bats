#!/usr/bin/env bats
# sopclass-lookup: every option and exit status, and the reference table
# of ../shared/reference/storage-service-class.rst resolved in full.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
bats_require_minimum_version 1.5.0

SL() { "$CSTORE_BIN/sopclass-lookup" "$@"; }
CT=1.2.840.10008.5.1.4.1.1.2
REF=$CSTORE_ROOT/../shared/reference/storage-service-class.rst

@test "a UID prints its tab-separated entry" {
	run -0 --separate-stderr SL "$CT"
	assert_output "$(printf '%s\tCTImageStorage\tCT Image Storage\tA.3' "$CT")"
	[ -z "$stderr" ]
}

@test "a keyword in any case prints its entry" {
	run -0 --separate-stderr SL ctimagestorage
	assert_output --partial "$(printf '%s\tCTImageStorage\t' "$CT")"
	[ "${#lines[@]}" -eq 1 ]
}

# Conformance statements name each class "CT Image Storage SOP Class".
# Before: 'no match' (exit 1), and -F appended an empty field.
@test "a class's name with 'SOP Class' after it, as conformance statements write it, is that entry (-F too)" {
	run -0 --separate-stderr SL -u 'CT Image Storage SOP Class'
	assert_output "$CT"
	run -0 --separate-stderr SL -k 'enhanced mr image storage sop  class '
	assert_output EnhancedMRImageStorage
	run -0 --separate-stderr SL -u 'Ultrasound Image Storage (Retired) SOP Class'
	assert_output 1.2.840.10008.5.1.4.1.1.6
	run -0 --separate-stderr SL -F 2 <<<$'x\tCT Image Storage SOP Class'
	assert_output $'x\tCT Image Storage SOP Class\tCTImageStorage'
	# a name whose PS3.6 form has the words is found as it is
	run -0 --separate-stderr SL -a -u 'Verification SOP Class'
	assert_output 1.2.840.10008.1.1
	# the words alone, or glued to the name, are no name
	run -1 --separate-stderr SL -u 'CT Image StorageSOP Class'
	run -0 --separate-stderr SL -k 'SOP Class'
	assert_line StoredPrintStorage
}

@test "another project's name resolves as an alias to the standard entry" {
	run -0 --separate-stderr SL -k KeyObjectSelectionStorage
	assert_output "KeyObjectSelectionDocumentStorage"
}

@test "a class's PS3.6 name, in any case, prints that entry alone, as a keyword does (-u in a script gets one UID)" {
	# before: a search, four UIDs (Enhanced, Legacy Converted, DICOS CT too)
	run -0 --separate-stderr SL -u 'CT Image Storage'
	assert_output "$CT"
	run -0 --separate-stderr SL -k 'mr image storage'
	assert_output MRImageStorage
	# a name a retired class shares: the current one, or "(Retired)" as printed
	run -0 --separate-stderr SL -u 'Ultrasound Image Storage'
	assert_output 1.2.840.10008.5.1.4.1.1.6.1
	run -0 --separate-stderr SL -u 'Ultrasound Image Storage (Retired)'
	assert_output 1.2.840.10008.5.1.4.1.1.6
	run -0 --separate-stderr SL -u 'Nuclear Medicine Image Storage'
	assert_output 1.2.840.10008.5.1.4.1.1.20
	# a retired name alone is the retired class
	run -0 --separate-stderr SL -u 'Standalone Overlay Storage'
	assert_output 1.2.840.10008.5.1.4.1.1.8
	# every name of the registry resolves to its own entry, both ways
	local uid kw name retired n=0
	while IFS=$'\t' read -r uid kw name; do
		[ "$(SL -u "$name")" = "$uid" ] || { echo "name '$name' does not give $uid"; return 1; }
		n=$((n + 1))
	done < <(SL -l | cut -f1-3)
	[ "$n" -gt 200 ]
	# --all: the other registry's names too; --field takes names
	run -0 --separate-stderr SL -a -u 'implicit vr little endian'
	assert_output 1.2.840.10008.1.2
	run -0 --separate-stderr SL -F 2 <<<$'x\tCT Image Storage'
	assert_output $'x\tCT Image Storage\tCTImageStorage'
	# part of a name is still a search
	run -0 --separate-stderr SL -k 'ct image'
	[ "${#lines[@]}" -eq 4 ]
}

@test "a word searches keywords and names" {
	run -0 --separate-stderr SL -k ct
	assert_line CTImageStorage
	assert_line EnhancedCTImageStorage
	refute_line KeyObjectSelectionDocumentStorage
}

@test "a modality abbreviation finds the classes whose names spell it out: us, pet, pt, nm, xa, cr, dx, mg" {
	# before: "us" found Enhanced US Volume alone, "pet" not Positron
	# Emission Tomography Image Storage, "xa" not X-Ray Angiographic
	run -0 --separate-stderr SL -k us
	assert_line UltrasoundImageStorage
	assert_line UltrasoundMultiFrameImageStorage
	assert_line EnhancedUSVolumeStorage
	refute_line MRImageStorage
	run -0 --separate-stderr SL -k pet
	assert_line PositronEmissionTomographyImageStorage
	assert_line EnhancedPETImageStorage
	run -0 --separate-stderr SL -k pt
	assert_line PositronEmissionTomographyImageStorage
	assert_line EnhancedPETImageStorage
	run -0 --separate-stderr SL -k nm
	assert_output $'NuclearMedicineImageStorageRetired\nNuclearMedicineImageStorage'
	run -0 --separate-stderr SL -k xa
	assert_line XRayAngiographicImageStorage
	assert_line EnhancedXAImageStorage
	run -0 --separate-stderr SL -k cr
	assert_line ComputedRadiographyImageStorage
	run -0 --separate-stderr SL -k 'dx presentation'
	assert_line DigitalXRayImageStorageForPresentation
	run -0 --separate-stderr SL -k mg
	assert_line DigitalMammographyXRayImageStorageForProcessing
	# with other words, each must still match
	run -0 --separate-stderr SL -k 'us multi'
	assert_output $'UltrasoundMultiFrameImageStorageRetired\nUltrasoundMultiFrameImageStorage'
	# an abbreviation is a whole word: "u" or "usx" expand to nothing
	run -1 --separate-stderr SL -k usx
}

@test "several words must all start words of the name" {
	run -0 --separate-stderr SL -k 'enhanced mr'
	assert_output "$(printf 'EnhancedMRImageStorage\nEnhancedMRColorImageStorage\nLegacyConvertedEnhancedMRImageStorage')"
}

@test "retired classes say so in the name and in JSON" {
	run -0 --separate-stderr SL 1.2.840.10008.5.1.4.1.1.6
	assert_output --partial "Ultrasound Image Storage (Retired)"
	run -0 --separate-stderr SL -j 1.2.840.10008.5.1.4.1.1.6
	assert_output --partial '"retired":true'
}

@test "-u and -k print only the UID or the keyword" {
	run -0 --separate-stderr SL -u CTImageStorage
	assert_output "$CT"
	run -0 --separate-stderr SL --uid CTImageStorage
	assert_output "$CT"
	run -0 --separate-stderr SL --keyword "$CT"
	assert_output CTImageStorage
}

@test "--json writes one JSON object per line" {
	run -0 --separate-stderr SL --json "$CT" MRImageStorage
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 '{"uid":"1.2.840.10008.5.1.4.1.1.2","keyword":"CTImageStorage","name":"CT Image Storage","annex":"A.3","type":"Storage SOP Class","retired":false}'
}

@test "an unknown UID exits 1, names it and suggests near misses" {
	run -1 --separate-stderr SL 1.2.840.10008.5.1.4.1.1.2.9
	[ -z "$output" ]
	[[ $stderr == *"'1.2.840.10008.5.1.4.1.1.2.9': not a known Storage SOP Class UID"* ]]
	[[ $stderr == *"did you mean 1.2.840.10008.5.1.4.1.1.2.1 (EnhancedCTImageStorage)?"* ]]
}

@test "a near-miss keyword is suggested" {
	run -1 --separate-stderr SL CTImageStorg
	[[ $stderr == *"did you mean CTImageStorage"* ]]
}

@test "one query not found among found ones exits 1 and prints the others" {
	run -1 --separate-stderr SL "$CT" nosuchclassatall MRImageStorage
	[ "${#lines[@]}" -eq 2 ]
	[[ $stderr == *"'nosuchclassatall': no match"* ]]
}

@test "an invalid UID is called invalid" {
	run -1 --separate-stderr SL 1.2..3
	[[ $stderr == *"not a valid UID"* ]]
}

@test "--all widens lookups to transfer syntaxes and shows the type" {
	run -1 --separate-stderr SL 1.2.840.10008.1.2.1
	[ -z "$output" ]
	[[ $stderr == *"not a Storage SOP Class but the Transfer Syntax ExplicitVRLittleEndian (see --all)"* ]]
	run -0 --separate-stderr SL --all 1.2.840.10008.1.2.1
	assert_output "$(printf '1.2.840.10008.1.2.1\tExplicitVRLittleEndian\tExplicit VR Little Endian\t\tTransfer Syntax')"
	run -0 --separate-stderr SL -a -u Verification
	assert_output 1.2.840.10008.1.1
	run -0 --separate-stderr SL -a "$CT"
	assert_output --partial "$(printf '\tA.3\tStorage SOP Class')"
}

@test "a transfer syntax or other keyword (HTJ2KLossless, JPEGXL, Verification), any case, says what it is and --all, as its UID does" {
	run -1 --separate-stderr SL HTJ2KLossless
	[ -z "$output" ]
	[ "$stderr" = "sopclass-lookup: 'HTJ2KLossless': not a Storage SOP Class but the Transfer Syntax HTJ2KLossless (see --all)" ]
	run -1 --separate-stderr SL jpegxl verification
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "sopclass-lookup: 'jpegxl': not a Storage SOP Class but the Transfer Syntax JPEGXL (see --all)" ]
	[ "${stderr_lines[1]}" = "sopclass-lookup: 'verification': not a Storage SOP Class but the SOP Class Verification (see --all)" ]
	run -0 --separate-stderr SL --all -u HTJ2KLossless DeflatedImageFrameCompression
	assert_output "$(printf '%s\n' 1.2.840.10008.1.2.4.201 1.2.840.10008.1.2.8.1)"
}

@test "the classes and the transfer syntax missing until PS3.6 2025 resolve (DCMTK, dicom-rs, pydicom agree)" {
	run -0 --separate-stderr SL -k 1.2.840.10008.5.1.4.1.1.9.100.1 \
		1.2.840.10008.5.1.4.1.1.9.100.2 1.2.840.10008.5.1.4.1.1.601.5
	assert_output "$(printf '%s\n' WaveformPresentationStateStorage \
		WaveformAcquisitionPresentationStateStorage UltrasoundWaveformStorage)"
	run -0 --separate-stderr SL waveformacquisitionpresentationstatestorage
	assert_output "$(printf '1.2.840.10008.5.1.4.1.1.9.100.2\tWaveformAcquisitionPresentationStateStorage\tWaveform Acquisition Presentation State Storage\t')"
	# the last retired transfer syntax of PS3.6 Table A-1 that was missing
	run -0 --separate-stderr SL --all 1.2.840.10008.1.20
	assert_output "$(printf '1.2.840.10008.1.20\tPapyrus3ImplicitVRLittleEndian\tPapyrus 3 Implicit VR Little Endian (Retired)\t\tTransfer Syntax')"
}

@test "--list prints the registry, with --all every known UID" {
	run -0 --separate-stderr SL --list
	n=${#lines[@]}
	[ "$n" -ge 200 ]
	assert_line --partial "$(printf '%s\tCTImageStorage' "$CT")"
	refute_line --partial ExplicitVRLittleEndian
	run -0 --separate-stderr SL -l -a
	[ "${#lines[@]}" -gt "$n" ]
	assert_line --partial ExplicitVRLittleEndian
	run -2 --separate-stderr SL -l "$CT"
}

@test "blanks around an operand are ignored as on stdin lines: ' CTImageStorage' is that class alone, not a search" {
	run -0 --separate-stderr SL -k " CTImageStorage " "$CT "
	assert_output "$(printf 'CTImageStorage\nCTImageStorage')"
}

@test "with no query each stdin line is one query" {
	run -0 --separate-stderr bash -c "printf '%s\n\n  MRImageStorage  \n' '$CT' | '$CSTORE_BIN/sopclass-lookup' -k"
	assert_output "$(printf 'CTImageStorage\nMRImageStorage')"
}

@test "a stdin line with a NUL byte in it is named and not found, never looked up as the part before the NUL" {
	run -1 --separate-stderr bash -c "printf '%s\\0junk\n' '$CT' | '$CSTORE_BIN/sopclass-lookup' -k"
	[ -z "$output" ]
	[ "$stderr" = "sopclass-lookup: line 1: a NUL byte at column 26: not a text line" ]
}

@test "empty stdin with no query is a usage error" {
	run -2 --separate-stderr SL </dev/null
	[ -z "$output" ]
	[[ $stderr == *"no query given and none on standard input"* ]]
	[[ $stderr == *"Try 'sopclass-lookup --help'."* ]]
}

@test "--field appends the keyword of field N to each line" {
	run -0 --separate-stderr bash -c "printf 'a.dcm\t%s\tok\nb.dcm\tMRImageStorage\tok\n' '$CT' | '$CSTORE_BIN/sopclass-lookup' --field 2"
	assert_line --index 0 "$(printf 'a.dcm\t%s\tok\tCTImageStorage' "$CT")"
	assert_line --index 1 "$(printf 'b.dcm\tMRImageStorage\tok\tMRImageStorage')"
}

@test "--field with -u appends the UID" {
	run -0 --separate-stderr bash -c "printf 'x\tMRImageStorage\n' | '$CSTORE_BIN/sopclass-lookup' -F 2 -u"
	assert_output "$(printf 'x\tMRImageStorage\t1.2.840.10008.5.1.4.1.1.4')"
}

@test "--field: a line with fewer fields keeps its place and exits 1" {
	run -1 --separate-stderr bash -c "printf 'a\t%s\nonly-one\n' '$CT' | '$CSTORE_BIN/sopclass-lookup' -F 2"
	assert_line --index 0 "$(printf 'a\t%s\tCTImageStorage' "$CT")"
	assert_line --index 1 "$(printf 'only-one\t')"
	[[ $stderr == *"line 2: no field 2 (1 fields)"* ]]
}

@test "--field: an unknown value gets an empty field and exits 1" {
	run -1 --separate-stderr bash -c "printf 'a\t1.2.3.4\n' | '$CSTORE_BIN/sopclass-lookup' -F 2"
	assert_output "$(printf 'a\t1.2.3.4\t')"
	[[ $stderr == *"line 1: '1.2.3.4': not found"* ]]
}

@test "stdin: a line holding a NUL byte is not found (exit 1); the text before the NUL is not looked up" {
	run -1 --separate-stderr bash -c "printf 'MRImageStorage\n%s\000zz\n' '$CT' | '$CSTORE_BIN/sopclass-lookup' -k"
	assert_output MRImageStorage
	[[ $stderr == *"line 2: a NUL byte at column "*": not a text line"* ]]
}

@test "--field writes each line back byte for byte, NUL bytes included; a NUL in field N is not found" {
	local o=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr bash -c "printf 'a\tb\000c\t%s\td\n' '$CT' | '$CSTORE_BIN/sopclass-lookup' -F 3 >'$o'"
	printf 'a\tb\000c\t%s\td\tCTImageStorage\n' "$CT" | cmp - "$o"
	run -1 --separate-stderr bash -c "printf 'x\t%s\000z\ty\n' '$CT' | '$CSTORE_BIN/sopclass-lookup' -F 2 >'$o'"
	printf 'x\t%s\000z\ty\t\n' "$CT" | cmp - "$o"
	[[ $stderr == *"line 1: field 2 holds a NUL byte"* ]]
}

@test "standard input that cannot be read (a directory) exits 2 with the reason, never 0, with --field too" {
	run -2 --separate-stderr SL -F 1 <"$BATS_TEST_TMPDIR"
	[ -z "$output" ]
	[[ $stderr == *"cannot read standard input: Is a directory"* ]]
	run -2 --separate-stderr SL <"$BATS_TEST_TMPDIR"
	[[ $stderr == *"cannot read standard input: Is a directory"* ]]
}

@test "a UTF-8 byte order mark opening standard input (a Windows editor's) is not part of the first query" {
	run -0 --separate-stderr bash -c "printf '\xef\xbb\xbfMRImageStorage\n' | '$CSTORE_BIN/sopclass-lookup' -k"
	assert_output "$(printf 'MRImageStorage')"
	local o=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr bash -c "printf '\xef\xbb\xbfMRImageStorage\tx\n' | '$CSTORE_BIN/sopclass-lookup' -F 1 >'$o'"
	printf '\xef\xbb\xbfMRImageStorage\tx\tMRImageStorage\n' | cmp - "$o"
}

@test "--field: empty input is an empty output" {
	run -0 --separate-stderr SL -F 1 </dev/null
	[ -z "$output" ]
}

@test "--field rejects a bad N and conflicting options" {
	run -2 --separate-stderr SL --field 0
	[[ $stderr == *"field '0': out of range (1-64)"* ]]
	run -2 --separate-stderr SL --field x
	run -2 --separate-stderr SL -F 1 "$CT"
	run -2 --separate-stderr SL -F 1 --json
	run -2 --separate-stderr SL -j -k "$CT"
	[ -z "$output" ]
}

@test "--file reads the SOP Class UID of a Part 10 file and of a bare dataset" {
	for f in p10-evrle.dcm p10-ivrle.dcm bare-ivrle.dcm; do
		[ -e "$CSTORE_ROOT/tests/data/$f" ] || skip "fixture $f missing"
		run -0 --separate-stderr SL -k --file "$CSTORE_ROOT/tests/data/$f"
		assert_output SecondaryCaptureImageStorage
	done
	run -0 --separate-stderr SL -k -f "$CSTORE_ROOT/tests/data/p10-evrle.dcm" "$CT"
	assert_output "$(printf 'SecondaryCaptureImageStorage\nCTImageStorage')"
}

@test "--file: a class not found names the file it came from" {
	require_cmd dump2dcm
	local f=$BATS_TEST_TMPDIR/unknown-class.dcm
	printf '(0008,0016) UI [1.2.3.4.5]\n(0008,0018) UI [1.2.3.4.6]\n' >"$BATS_TEST_TMPDIR/d"
	dump2dcm -q +te "$BATS_TEST_TMPDIR/d" "$f"
	run -1 --separate-stderr SL -f "$CSTORE_ROOT/tests/data/p10-evrle.dcm" -f "$f"
	assert_output --partial SecondaryCaptureImageStorage
	[[ $stderr == *"'$f': SOP Class UID 1.2.3.4.5"* ]]
}

@test "--file: a missing file exits 1 with one line naming it" {
	run -1 --separate-stderr SL --file "$BATS_TEST_TMPDIR/nope.dcm"
	[ -z "$output" ]
	[[ $stderr == *nope.dcm* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}

@test "--file: a FIFO or a device is not read (no hang), exit 1 with one line" {
	mkfifo "$BATS_TEST_TMPDIR/pipe"
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/sopclass-lookup" -f "$BATS_TEST_TMPDIR/pipe"
	[ -z "$output" ]
	[ "$stderr" = "sopclass-lookup: '$BATS_TEST_TMPDIR/pipe': not a regular file but a FIFO: not read" ]
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/sopclass-lookup" -f /dev/zero
	[ "$stderr" = "sopclass-lookup: '/dev/zero': not a regular file but a character device: not read" ]
}

@test "--file: a file that is not DICOM exits 1" {
	printf 'hello, not DICOM at all\n' >"$BATS_TEST_TMPDIR/x.txt"
	run -1 --separate-stderr SL -f "$BATS_TEST_TMPDIR/x.txt"
	[ -z "$output" ]
	[[ $stderr == *"x.txt"* ]]
	: >"$BATS_TEST_TMPDIR/empty.dcm"
	run -1 --separate-stderr SL -f "$BATS_TEST_TMPDIR/empty.dcm"
	[ -z "$output" ]
}

@test "an unknown option exits 2 with the hint and no output" {
	run -2 --separate-stderr SL --bogus
	[ -z "$output" ]
	[[ $stderr == *"Try 'sopclass-lookup --help'."* ]]
}

@test "writing to a full device exits 6" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -6 --separate-stderr bash -c "'$CSTORE_BIN/sopclass-lookup' --list >/dev/full"
	[[ $stderr == *"cannot write the output"* ]]
}

# The reference table: rows "| UID | name | annex |" of the .rst.
ref_rows() {
	awk -F'|' '/^\| 1\.2\./ { gsub(/ /, "", $2); gsub(/ /, "", $3); print $2 "\t" $3 }' "$REF"
}

@test "every class of the reference resolves by its name, correct UID and standard keyword" {
	[ -r "$REF" ] || skip "no $REF"
	local uid name out kw good wrong=0 rows=0
	while IFS=$'\t' read -r uid name; do
		rows=$((rows + 1))
		# by the reference's own name (an alias or the keyword itself)
		out=$(SL "$name") || { echo "name $name not found"; return 1; }
		[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || { echo "name $name is ambiguous"; return 1; }
		good=$(printf '%s' "$out" | cut -f1)
		kw=$(printf '%s' "$out" | cut -f2)
		# by the correct UID and by the standard keyword, both ways
		[ "$(SL -k "$good")" = "$kw" ] || { echo "UID $good does not give $kw"; return 1; }
		[ "$(SL -u "$kw")" = "$good" ] || { echo "keyword $kw does not give $good"; return 1; }
		if [ "$uid" != "$good" ]; then
			# the reference's wrong UID must not resolve
			if SL "$uid" >/dev/null 2>&1; then
				echo "wrong UID $uid of $name resolves"; return 1
			fi
			wrong=$((wrong + 1))
		fi
	done < <(ref_rows)
	echo "rows=$rows wrong=$wrong"
	[ "$rows" -ge 130 ]
	# data/README.md lists the two wrong UIDs of the reference
	[ "$wrong" -eq 2 ]
}

@test "the reference's two wrong UIDs are not found" {
	run -1 --separate-stderr SL 1.2.840.10008.5.1.4.1.1.1.1.1.1
	[[ $stderr == *"did you mean 1.2.840.10008.5.1.4.1.1.1.1.1 (DigitalXRayImageStorageForProcessing)?"* ]]
	run -1 --separate-stderr SL 1.2.840.10008.5.1.1.4.1.1.3.1
	[[ $stderr == *"1.2.840.10008.5.1.4.1.1.1.3.1 (DigitalIntraOralXRayImageStorageForProcessing)"* ]]
}
