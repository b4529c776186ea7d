#!/usr/bin/env bats
# dcmsend on files nobody here wrote: the test files that Debian's
# python3-pydicom ships (pydicom's, GDCM's, DCMTK's and vendors' writers,
# every encoding, odd cases, many character sets), sent to DCMTK storescp
# +B (bit-preserving) and to Orthanc.  What DCMTK's own reader takes must
# arrive unchanged; nothing may stop the files behind it.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load dcmsend-helpers

PYDICOM_DATA=/usr/lib/python3/dist-packages/pydicom/data
# Media Storage Directory (DICOMDIR) is a file-set, not a storage class.
DICOMDIR_CLASS=1.2.840.10008.1.3.10

# dcmtk_ok: the files DCMTK reads to their end without an error and in
# which it finds both SOP UIDs (data set or meta header), once per file.
setup_file() {
	LIST=$BATS_FILE_TMPDIR/dcmtk-ok
	export LIST
	: >"$LIST"
	[ -d "$PYDICOM_DATA/test_files" ] || return 0
	local f err=$BATS_FILE_TMPDIR/err
	while IFS= read -r f; do
		dcmdump -q "$f" >/dev/null 2>"$err" || continue
		[ -s "$err" ] && continue
		dcmdump -q -s -Un +P 0008,0016 +P 0008,0018 "$f" |
			grep -c '\[[0-9.]*\]' | grep -qx 2 || continue
		printf '%s\n' "$f" >>"$LIST"
	done < <(find "$PYDICOM_DATA/test_files" "$PYDICOM_DATA/charset_files" -type f | sort)
}

# values FILE: norm_dump less group lengths, which a receiver that
# writes the data set again (Orthanc) computes afresh.
values() {
	norm_dump "$1" | grep -av -E '^ *\([0-9a-f]{4},0000\) '
}

setup() {
	require_netns
	require_cmd /usr/bin/storescp
	[ -d "$PYDICOM_DATA/test_files" ] || skip "python3-pydicom not installed"
	[ "$(wc -l <"$LIST")" -ge 60 ]
}

@test "dcmsend: every pydicom test file DCMTK reads arrives at storescp +B byte for byte, one association each" {
	start_storescp "$BATS_TEST_TMPDIR/scp" +B +xa -pm
	local f n=0 out res st
	while IFS= read -r f; do
		out=$BATS_TEST_TMPDIR/one
		rm -rf "$out"
		mkdir -p "$out"
		# storescp writes into its own -od; move what arrived aside
		res=$("$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$f" 2>"$BATS_TEST_TMPDIR/stderr") || true
		st=$(cut -f1 <<<"$res")
		if [ "$(cut -f3 <<<"$res")" = "$DICOMDIR_CLASS" ]; then
			[ "$st" = dicomdir ] || { echo "$f: $res" >&2; return 1; }
			continue
		fi
		[ "$st" = 0000 ] || { echo "not stored: $res" >&2; cat "$BATS_TEST_TMPDIR/stderr" >&2; return 1; }
		mv "$BATS_TEST_TMPDIR/scp"/* "$out"/ 2>/dev/null
		[ "$(ls "$out" | wc -l)" -eq 1 ] || { echo "$f: $(ls "$out" | wc -l) files arrived" >&2; return 1; }
		if [ "$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f3)" = 1.2.840.10008.1.2.1.99 ]; then
			# storescp +B keeps the deflated stream; compare values
			diff <(norm_dump "$f") <(norm_dump "$out"/*) >&2 ||
				{ echo "elements differ: $f" >&2; return 1; }
		else
			[ "$(ds_sum "$f")" = "$(ds_sum "$out"/*)" ] ||
				{ echo "data set differs: $f" >&2; return 1; }
		fi
		n=$((n + 1))
	done <"$LIST"
	[ "$n" -ge 60 ]
}

@test "dcmsend: all pydicom test files in one run to storescp: no file stops the others, every line says why" {
	start_storescp "$BATS_TEST_TMPDIR/scp" +B +xa -pm
	run --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" \
		"$PYDICOM_DATA/test_files" "$PYDICOM_DATA/charset_files"
	# some inputs are not DICOM, DICOMDIRs have no storage class: exit 1
	[ "$status" -eq 1 ] || { echo "exit $status" >&2; printf '%s\n' "$stderr" | tail -5 >&2; return 1; }
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	# nothing left unsent or cut off by an abort
	refute grep -E $'^(notsent|aborted)\t' "$BATS_TEST_TMPDIR/res"
	# each file DCMTK reads is stored (DICOMDIRs aside)
	local f
	while IFS= read -r f; do
		grep -qF $'\t'"$f"$'\t' "$BATS_TEST_TMPDIR/res" || { echo "no line for $f" >&2; return 1; }
		grep -F $'\t'"$f"$'\t' "$BATS_TEST_TMPDIR/res" |
			grep -qE $'^0000\t|^dicomdir\t.*\t'"$DICOMDIR_CLASS"$'\t' ||
			{ grep -F $'\t'"$f"$'\t' "$BATS_TEST_TMPDIR/res" >&2; return 1; }
	done <"$LIST"
	# every line that is not a success has a detail
	awk -F'\t' '$1 != "0000" && $5 == "" { print; bad = 1 } END { exit bad }' "$BATS_TEST_TMPDIR/res"
}

@test "dcmsend: the pydicom test files DCMTK reads to Orthanc, each instance holds what was sent" {
	require_cmd /usr/sbin/Orthanc
	start_orthanc
	grep -v -e /dicomdirtests/ "$LIST" >"$BATS_TEST_TMPDIR/list"
	# one run over the list on stdin
	run --separate-stderr "$CSTORE_BIN/dcmsend" -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" - <"$BATS_TEST_TMPDIR/list"
	[ "$status" -eq 0 ] || { echo "exit $status" >&2; printf '%s\n' "$output" | grep -v $'^0000\t' >&2; return 1; }
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")" -eq "$(wc -l <"$BATS_TEST_TMPDIR/list")" ]
	# several test files share a SOP Instance UID: Orthanc keeps the
	# first of each; compare each UID's first file with Orthanc's copy
	local uid id f n=0
	declare -A first
	while IFS=$'\t' read -r _ f _ uid _; do
		[ -n "${first[$uid]:-}" ] || first[$uid]=$f
	done <"$BATS_TEST_TMPDIR/res"
	for uid in "${!first[@]}"; do
		id=$(curl -sf -X POST "http://127.0.0.1:$ORTHANC_HTTP/tools/lookup" -d "$uid" |
			jq -r '.[] | select(.Type == "Instance") | .ID')
		[ -n "$id" ] || { echo "Orthanc lacks $uid (${first[$uid]})" >&2; return 1; }
		curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances/$id/file" -o "$BATS_TEST_TMPDIR/back.dcm"
		diff <(values "${first[$uid]}") <(values "$BATS_TEST_TMPDIR/back.dcm") >&2 ||
			{ echo "elements differ: ${first[$uid]}" >&2; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 30 ]
}
