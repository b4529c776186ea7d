#!/usr/bin/env bats
# Every odd case PS3.5 allows and real writers make (tests/interop/
# ps35-cases.py writes them byte by byte at test time: every VR in Big
# Endian, US/SS-ambiguous elements in nested sequences, defined and
# undefined lengths mixed five and forty sequences deep, empty sequences
# and items, private sequences, 32-bit lengths, group lengths, trailing
# padding, 8-bit Pixel Data as OB and OW, meta header oddities), sent by
# dcmsend as they are to dcmrecv --validate, DCMTK's storescp +B and
# Orthanc (data sets compared), and converted between Big and Little
# Endian for a receiver that takes only the other, compared element by
# element with what DCMTK's dcmconv makes of the same file.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load dcmsend-helpers
load ../bats/dcmrecv-helpers

setup_file() {
	CASES=$BATS_FILE_TMPDIR/cases
	export CASES
	mkdir -p "$CASES"
	/usr/bin/python3 "$CSTORE_ROOT/tests/interop/ps35-cases.py" "$CASES" >"$BATS_FILE_TMPDIR/cases.tsv"
}

setup() {
	require_netns
	require_cmd /usr/bin/dcmconv
	N=$(wc -l <"$BATS_FILE_TMPDIR/cases.tsv")
	[ "$N" -ge 50 ]
	[ "$(ls "$CASES" | wc -l)" -eq "$N" ]
}

# conv_elems FILE: every element as DCMTK reads it, nested ones indented,
# without the meta header, group lengths (the transcoder drops them,
# dcmconv recomputes them), delimiters and how sequences and items are
# delimited (we write undefined lengths)
conv_elems() {
	/usr/bin/dcmdump -q +L "$1" | grep -a '^ *(' |
		grep -av -e '^(0002,' -e '^ *([0-9a-f]\{4\},0000) ' -e '^ *(fffe,e0[0d]d) ' |
		sed -E 's/^( *\([0-9a-f,]+\) (SQ|na) \((Sequence|Item)).*/\1/'
}

# send_all RESULTS ARGS...: one run of dcmsend ARGS (options, host, port,
# inputs), its lines in RESULTS; fails unless it exits 0 (every file
# stored)
send_all() {
	local res=$1
	shift
	run --separate-stderr "$CSTORE_BIN/dcmsend" "$@"
	printf '%s\n' "$output" >"$res"
	[ "$status" -eq 0 ] || {
		echo "dcmsend exit $status" >&2
		grep -v $'^0000\t' "$res" >&2
		printf '%s\n' "$stderr" | tail -5 >&2
		return 1
	}
}

@test "ps35 cases: dcmsend sends each as it is to dcmrecv --validate, which stores every one; data sets byte for byte" {
	start_dcmrecv --validate
	send_all "$BATS_TEST_TMPDIR/res" 127.0.0.1 "$RECV_PORT" "$CASES"
	stop_dcmrecv
	one_line_per_input "$BATS_TEST_TMPDIR/res" "$N"
	# nothing converted or padded: every line a bare success
	refute grep -v -E $'^0000\t[^\t]*\t[^\t]*\t[^\t]*\t$' "$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$RECV_DIR")" -eq "$N" ]
	[ "$(grep -c . "$RECV_STDOUT")" -eq "$N" ]
}

@test "ps35 cases: dcmsend sends each as it is to storescp +B; data sets byte for byte" {
	start_storescp "$BATS_TEST_TMPDIR/scp" +B +xa -pm
	send_all "$BATS_TEST_TMPDIR/res" 127.0.0.1 "$SCP_PORT" "$CASES"
	one_line_per_input "$BATS_TEST_TMPDIR/res" "$N"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/scp")" -eq "$N" ]
}

@test "ps35 cases: dcmsend sends each to Orthanc, which holds every value sent" {
	require_cmd /usr/sbin/Orthanc
	start_orthanc
	send_all "$BATS_TEST_TMPDIR/res" -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "$CASES"
	one_line_per_input "$BATS_TEST_TMPDIR/res" "$N"
	local uid id back=$BATS_TEST_TMPDIR/back
	mkdir -p "$back"
	while IFS=$'\t' read -r _ _ _ uid _; do
		id=$(curl -sf -X POST "http://127.0.0.1:$ORTHANC_HTTP/tools/lookup" -d "$uid" |
			jq -r '.[] | select(.Type == "Instance") | .ID')
		[ -n "$id" ] || { echo "Orthanc lacks $uid" >&2; return 1; }
		curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances/$id/file" -o "$back/$uid.dcm"
	done <"$BATS_TEST_TMPDIR/res"
	# Orthanc writes its own file: elements compared, not bytes.  It
	# writes an Implicit VR private sequence with defined lengths, which
	# no reader can then tell from a value (storescp +B has its bytes)
	local p n=0
	while IFS=$'\t' read -r _ p _ uid _; do
		[[ $p == */private-sq-ivrle.dcm ]] && continue
		diff <(conv_elems "$p") <(conv_elems "$back/$uid.dcm") >"$BATS_TEST_TMPDIR/diff" ||
			{ cut -c1-200 "$BATS_TEST_TMPDIR/diff" >&2; echo "Orthanc's copy differs: $p" >&2; return 1; }
		n=$((n + 1))
	done <"$BATS_TEST_TMPDIR/res"
	[ "$n" -eq $((N - 1)) ]
}

# convert_like_dcmconv SOURCE_SUFFIX TARGET_TS DCMCONV_OPTION [FIRST...]:
# the cases in one encoding (after the files FIRST, not checked) sent to a
# dcmrecv --validate that accepts only TARGET_TS: each converted, stored,
# and element for element what dcmconv makes of it
convert_like_dcmconv() {
	local sfx=$1 ts=$2 opt=$3 f b uid got n=0
	shift 3
	local -a files=("$CASES"/*-"$sfx".dcm) first=("$@")
	local -A uid_of=([ExplicitVRLittleEndian]=1.2.840.10008.1.2.1
		[ImplicitVRLittleEndian]=1.2.840.10008.1.2 [ExplicitVRBigEndian]=1.2.840.10008.1.2.2)
	[ "${#files[@]}" -ge 15 ]
	start_dcmrecv --validate --accept-ts "$ts"
	send_all "$BATS_TEST_TMPDIR/all" 127.0.0.1 "$RECV_PORT" "${first[@]}" "${files[@]}"
	stop_dcmrecv
	grep -F -- "-$sfx.dcm"$'\t' "$BATS_TEST_TMPDIR/all" >"$BATS_TEST_TMPDIR/res"
	one_line_per_input "$BATS_TEST_TMPDIR/res" "${#files[@]}"
	# each line says so; the group lengths dropped are counted
	refute grep -v -E $'\t''transcoded to '"$ts"'(; [0-9]+ group lengths? \(gggg,0000\) removed \(retired, PS3\.5 7\.2\))?$' \
		"$BATS_TEST_TMPDIR/res"
	mkdir -p "$BATS_TEST_TMPDIR/ref"
	for f in "${files[@]}"; do
		b=$(basename "$f")
		uid=$(ds_uid "$f")
		got=$RECV_DIR/$uid.dcm
		[ -f "$got" ] || { echo "$b ($uid) not stored" >&2; return 1; }
		[ "$(meta_value "$got" 0002,0010)" = "${uid_of[$ts]}" ]
		# undefined lengths (-e), as we write them: a private sequence
		# in Implicit VR is read back as one
		/usr/bin/dcmconv -q -e "$opt" "$f" "$BATS_TEST_TMPDIR/ref/$b"
		diff <(conv_elems "$BATS_TEST_TMPDIR/ref/$b") <(conv_elems "$got") >&2 ||
			{ echo "differs from dcmconv $opt: $b" >&2; return 1; }
		[ "$(conv_elems "$got" | grep -c .)" -ge 6 ]
		n=$((n + 1))
	done
	[ "$n" -eq "${#files[@]}" ]
}

@test "ps35 cases: Explicit VR Big Endian converted to Explicit VR Little Endian equals dcmconv +te, element by element" {
	convert_like_dcmconv evrbe ExplicitVRLittleEndian +te
}

@test "ps35 cases: Explicit VR Big Endian converted to Implicit VR Little Endian equals dcmconv +ti, element by element" {
	convert_like_dcmconv evrbe ImplicitVRLittleEndian +ti
}

@test "ps35 cases: Explicit VR Little Endian converted to Explicit VR Big Endian equals dcmconv +tb, element by element" {
	# dcmsend proposes Big Endian (retired) only for a file in it: one
	# comes first, and the receiver takes nothing else
	convert_like_dcmconv evrle ExplicitVRBigEndian +tb "$CASES/every-vr-evrbe.dcm"
}

@test "ps35 cases: a data set nested forty sequences deep in undefined lengths, from another SCU, is stored by dcmrecv --validate as it came" {
	local f=$CASES/nested40u-evrle.dcm
	"$CSTORE_TOOLS/dcm-dataset" "$f" >"$BATS_TEST_TMPDIR/ds"
	start_dcmrecv --validate
	run -0 timeout 40 /usr/bin/python3 "$CSTORE_ROOT/tests/tools/fakescu" "$RECV_PORT" plain "$BATS_TEST_TMPDIR/ds"
	[ "${lines[0]}" = $'0000\t' ]
	stop_dcmrecv
	cmp "$BATS_TEST_TMPDIR/ds" <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/$(ds_uid "$f").dcm")
}
