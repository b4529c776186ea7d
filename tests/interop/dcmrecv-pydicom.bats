#!/usr/bin/env bats
# dcmrecv and dcmsend with files nobody here wrote: every DICOM file that
# pydicom ships as test data (Debian python3-pydicom: test files, the
# character set files, the colour palettes, a DICOMDIR tree), and small
# data sets made byte by byte with what PS3.5 allows and real writers do
# (tests/interop/odd-datasets.py).  A receiver that keeps objects bit
# for bit needs only the top-level SOP Class and Instance UIDs: nothing
# else in a data set may make it refuse one.
# DCMTK's storescu re-encodes what it sends, so "what was sent" is taken
# from DCMTK's bit-preserving storescp +B fed the same file; our dcmsend
# sends the file's own bytes, so they are compared with the file.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel,heavy

load ../bats/helpers
load ../bats/dcmrecv-helpers

PYDICOM_DATA=/usr/lib/python3/dist-packages/pydicom/data

setup() {
	require_netns
	[ -d "$PYDICOM_DATA/test_files" ] || skip "python3-pydicom not installed"
}

# Every file of pydicom's data directory that may be DICOM.
pydicom_files() {
	find "$PYDICOM_DATA" -type f ! -name '*.py' ! -name '*.pyc' \
		! -name '*.json' ! -name '*.txt' ! -name '*.dump' ! -name '*.gz' \
		! -name '*.md' ! -name README | sort
}

# dataset_offset FILE: where the data set of a Part 10 file starts, found
# by walking group 0002 (Explicit VR LE) element by element: the group
# length may be absent, or wrong (GDCM 3.0.21's gdcmconv writes one 2
# bytes short after padding an odd-length UID of the meta).
dataset_offset() {
	local f=$1 off=132 len
	while [ "$(od -An -tx1 -j"$off" -N2 "$f" | tr -d ' \n')" = 0200 ]; do
		case $(dd if="$f" bs=1 skip=$((off + 4)) count=2 2>/dev/null) in
		OB | OD | OF | OL | OV | OW | SQ | SV | UC | UN | UR | UT | UV)
			len=$(od -An -tu4 -j$((off + 8)) -N4 "$f" | tr -d ' \n')
			off=$((off + 12 + len)) ;;
		*)
			len=$(od -An -tu2 -j$((off + 6)) -N2 "$f" | tr -d ' \n')
			off=$((off + 8 + len)) ;;
		esac
	done
	echo "$off"
}

# source_dataset FILE: the data set bytes of a file as it is on disk: a
# Part 10 file's after its meta group, a bare data set whole.
source_dataset() {
	if [ "$(dd if="$1" bs=1 skip=128 count=4 2>/dev/null)" = DICM ]; then
		tail -c +$(($(dataset_offset "$1") + 1)) "$1"
	else
		cat "$1"
	fi
}

# source_dataset_sent FILE: the data set as dcmsend sends it: the file's
# bytes when their length is even; of odd length (no PDV can carry it,
# PS3.8 E.1), a Deflated one with the one zero byte that pads it (PS3.5
# A.5), any other with each odd-length value padded by one byte (PS3.5
# 7.1.1; tests/interop/pad-odd.py, apart from dcmsend's code, says how):
# so the odd-lengths-* files of odd-datasets.py arrive padded, not bit
# for bit (tests/interop/oddpad.bats sends them to DCMTK and Orthanc)
source_dataset_sent() {
	local ts
	# ours, not dcmdump: DCMTK cannot read the pre-CP-246 UN sequence
	ts=$("$CSTORE_TOOLS/dcm-dataset" -u "$1" | cut -f3)
	if [ $(($(source_dataset "$1" | wc -c) % 2)) -eq 0 ]; then
		source_dataset "$1"
	elif [ "$ts" = 1.2.840.10008.1.2.1.99 ]; then
		source_dataset "$1"
		printf '\0'
	else
		source_dataset "$1" | /usr/bin/python3 "$BATS_TEST_DIRNAME/pad-odd.py" "$ts"
	fi
}

# storescu's option proposing exactly the file's transfer syntax.
xopt_of() {
	case $(meta_value "$1" 0002,0010) in
	1.2.840.10008.1.2) echo -xi ;;
	1.2.840.10008.1.2.1) echo -xe ;;
	1.2.840.10008.1.2.2) echo -xb ;;
	1.2.840.10008.1.2.1.99) echo -xd ;;
	1.2.840.10008.1.2.4.50) echo -xy ;;
	1.2.840.10008.1.2.4.51) echo -xx ;;
	1.2.840.10008.1.2.4.57 | 1.2.840.10008.1.2.4.70) echo -xs ;;
	1.2.840.10008.1.2.4.80) echo -xt ;;
	1.2.840.10008.1.2.4.81) echo -xu ;;
	1.2.840.10008.1.2.4.90) echo -xv ;;
	1.2.840.10008.1.2.4.91) echo -xw ;;
	1.2.840.10008.1.2.5) echo -xr ;;
	esac
}

# storescu_each FILE...: each file alone with storescu to storescp +B and
# to us; the data set we stored must be the reference's, bit for bit.
# Files that storescu cannot read are sent to neither; files storescp
# refuses (DCMTK 3.6.7 does not know Color Palette Storage) must reach
# us readable.  Prints "compared N, ours only M".
storescu_each() {
	local f ref ours n=0 extra=0
	for f in "$@"; do
		rm -f "$BATS_TEST_TMPDIR"/ref/* "$RECV_DIR"/*
		TCP_NODELAY=1 /usr/bin/storescu -nh -R $(xopt_of "$f") 127.0.0.1 \
			"$SCP_PORT" "$f" >"$BATS_TEST_TMPDIR/scu.log" 2>&1 || true
		TCP_NODELAY=1 /usr/bin/storescu -nh -R $(xopt_of "$f") 127.0.0.1 \
			"$RECV_PORT" "$f" >"$BATS_TEST_TMPDIR/scu.log" 2>&1 || true
		ref=$(find "$BATS_TEST_TMPDIR/ref" -type f | head -1)
		ours=$(find "$RECV_DIR" -type f | head -1)
		if [ -n "$ref" ]; then
			[ -n "$ours" ] || { echo "not stored by us: $f" >&2; cat "$BATS_TEST_TMPDIR/scu.log" >&2; return 1; }
			same_dataset "$ref" "$ours" || { echo "($f)" >&2; return 1; }
			n=$((n + 1))
		elif [ -n "$ours" ]; then
			/usr/bin/dcmdump -q "$ours" >/dev/null || return 1
			extra=$((extra + 1))
		fi
	done
	echo "compared $n, ours only $extra"
}

# dcmsend_each FILE...: each file alone with our dcmsend to us; prints
# "BASENAME WORD" per file (the status or outcome word of its line) and
# checks that every stored one holds the file's own data set.
dcmsend_each() {
	local f word got
	for f in "$@"; do
		rm -f "$RECV_DIR"/*
		word=$("$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f" 2>/dev/null | cut -f1)
		got=$(find "$RECV_DIR" -type f | head -1)
		case $word in
		0000 | B007)
			[ -n "$got" ] || { echo "$f: $word but no file" >&2; return 1; }
			cmp -s <(source_dataset_sent "$f") <(dataset_of "$got") ||
				{ echo "$f: stored data set differs" >&2; return 1; }
			;;
		*)
			[ -z "$got" ] || { echo "$f: $word and a file" >&2; return 1; }
			;;
		esac
		echo "${f#"$PYDICOM_DATA"/} $word"
	done
}

@test "dcmrecv-pydicom: storescu sends every pydicom file it can read; data sets as storescp +B got them" {
	require_cmd /usr/bin/storescu
	start_storescp "$BATS_TEST_TMPDIR/ref" +B +xa -pm
	start_dcmrecv
	local files
	mapfile -t files < <(pydicom_files)
	run -0 storescu_each "${files[@]}"
	echo "$output" >&3
	local n=${output#compared }
	n=${n%%,*}
	[ "$n" -ge 140 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	refute grep -E "answered [AC][0-9A-F]{3}" "$RECV_STDERR"
}

@test "dcmrecv-pydicom: dcmsend sends every pydicom file; each stored bit for bit, or refused for a reason of the file's own" {
	start_dcmrecv
	local files
	mapfile -t files < <(pydicom_files)
	run -0 dcmsend_each "${files[@]}"
	local out=$output
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# Data sets without their SOP Class and Instance UIDs (pydicom's
	# fragments: the UIDs are only in the meta) are kept with B007.
	for f in charset_files/chrSQEncoding.dcm charset_files/chrSQEncoding1.dcm \
	    test_files/UN_sequence.dcm test_files/no_meta_group_length.dcm \
	    test_files/priv_SQ.dcm; do
		grep -qxF "$f B007" <<<"$out" || { echo "$f: $(grep -F "$f " <<<"$out")" >&2; return 1; }
	done
	# Not sendable: cut short; no SOP Class UID anywhere; no DICOM.
	for f in test_files/MR_truncated.dcm test_files/rtplan_truncated.dcm; do
		grep -qxF "$f truncated" <<<"$out"
	done
	for f in test_files/empty_charset_LEI.dcm test_files/nested_priv_SQ.dcm \
	    test_files/meta_missing_tsyntax.dcm test_files/no_meta.dcm; do
		grep -qxF "$f notdicom" <<<"$out"
	done
	# DICOMDIRs are Media Storage Directories, not storage objects.
	[ "$(grep -c '/DICOMDIR[^ ]* dicomdir$' <<<"$out")" -eq 8 ]
	# The meta says JPEG Baseline, the data set is Implicit VR: never
	# stored under a syntax it is not in.
	refute grep -qxE 'test_files/SC_rgb_jpeg.dcm (0000|B[0-9A-F]{3})' <<<"$out"
	# Everything else is stored as it is, with Success.
	local others
	others=$(grep -vE ' (B007|truncated|notdicom|nocontext|dicomdir)$' <<<"$out" |
		grep -vE '^test_files/(SC_rgb_jpeg.dcm|dicomdirtests/TINY_ALPHA/README) ' |
		grep -v ' 0000$' || true)
	[ -z "$others" ] || { echo "$others" >&2; return 1; }
	[ "$(grep -c ' 0000$' <<<"$out")" -ge 160 ]
}

@test "dcmrecv-pydicom: sequences under ISO 2022 IR 13/87, a colour palette, a UN sequence, no meta group length are stored (issue 12, item 4)" {
	start_dcmrecv
	run -0 dcmsend_each "$PYDICOM_DATA/charset_files/chrSQEncoding.dcm" \
		"$PYDICOM_DATA/palettes/winter.dcm" \
		"$PYDICOM_DATA/test_files/UN_sequence.dcm" \
		"$PYDICOM_DATA/test_files/no_meta_group_length.dcm"
	stop_dcmrecv
	assert_output "charset_files/chrSQEncoding.dcm B007
palettes/winter.dcm 0000
test_files/UN_sequence.dcm B007
test_files/no_meta_group_length.dcm B007"
	# winter.dcm repeats (0008,0018) with the same value: no refusal
	refute grep -E "answered [AC][0-9A-F]{3}" "$RECV_STDERR"
	grep -q "no SOP Class UID in the data set of '2.16.840.1.113786.1.329.501.670121457.163': stored under the command's, answered B007" "$RECV_STDERR"
}

@test "dcmrecv-pydicom: hand-made odd data sets (later VR, UN sequences, odd lengths, GB18030, empty sequences) arrive bit for bit" {
	# bit for bit but the three of odd total length, which arrive with
	# their odd-length values padded (source_dataset_sent)
	# DCMTK 3.6.7 reads the items of every UN sequence as Implicit VR:
	# it cannot read the pre-CP-246 one, and storescu sends nothing
	require_cmd python3
	local d=$BATS_TEST_TMPDIR/odd files
	mkdir -p "$d"
	python3 "$BATS_TEST_DIRNAME/odd-datasets.py" "$d"
	mapfile -t files < <(find "$d" -name '*.dcm' | sort)
	[ "${#files[@]}" -eq 11 ]
	start_dcmrecv
	run -0 dcmsend_each "${files[@]}"
	echo "$output" >&3
	[ "$(grep -c ' 0000$' <<<"$output")" -eq 11 ]
	# and the same files re-encoded by DCMTK
	start_storescp "$BATS_TEST_TMPDIR/ref" +B +xa -pm
	run -0 storescu_each "${files[@]}"
	echo "$output" >&3
	[ "$output" = "compared 10, ours only 0" ]
	stop_dcmrecv
	refute grep -q "answered" "$RECV_STDERR"
}

@test "dcmrecv-pydicom: pydicom's and our odd files rewritten by GDCM (gdcmconv, Implicit and Explicit VR LE) arrive bit for bit" {
	require_cmd /usr/bin/gdcmconv
	require_cmd python3
	local d=$BATS_TEST_TMPDIR/gdcm f b n=0 files=()
	mkdir -p "$d/odd"
	python3 "$BATS_TEST_DIRNAME/odd-datasets.py" "$d/odd"
	for f in "$PYDICOM_DATA"/charset_files/*.dcm "$PYDICOM_DATA"/palettes/*.dcm \
	    "$PYDICOM_DATA"/test_files/{rtplan,rtstruct,reportsi,test-SR,waveform_ecg,CT_small}.dcm \
	    "$d"/odd/*.dcm; do
		b=${f##*/}
		# GDCM 3.0.21 cannot rewrite some (Big Endian, UIDs only in the meta)
		/usr/bin/gdcmconv -M "$f" "$d/${b%.dcm}-implicit.dcm" 2>/dev/null &&
			[ -s "$d/${b%.dcm}-implicit.dcm" ] && files+=("$d/${b%.dcm}-implicit.dcm")
		/usr/bin/gdcmconv -X "$f" "$d/${b%.dcm}-explicit.dcm" 2>/dev/null &&
			[ -s "$d/${b%.dcm}-explicit.dcm" ] && files+=("$d/${b%.dcm}-explicit.dcm")
	done
	[ "${#files[@]}" -ge 40 ]
	start_dcmrecv
	run -0 dcmsend_each "${files[@]}"
	stop_dcmrecv
	[ "$(grep -c ' 0000$' <<<"$output")" -eq "${#files[@]}" ]
	refute grep -q "answered" "$RECV_STDERR"
}
