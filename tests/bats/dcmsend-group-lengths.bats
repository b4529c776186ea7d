#!/usr/bin/env bats
# Group lengths (gggg,0000; retired, PS3.5 7.2) do not survive a
# conversion or a padding: the transcoder drops them, since re-encoded
# headers and padded values make them untrue.  The result line says so,
# with their number, and --dry-run says it beforehand; every other
# element arrives as it was.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

setup() {
	require_cmd /usr/bin/dcmconv
	W=$BATS_TEST_TMPDIR
}

# group_lengths FILE: the data set's group lengths, nested ones too
group_lengths() {
	/usr/bin/dcmdump -q +L "$1" | grep -av '^(0002,' | grep -ac '^ *([0-9a-f]\{4\},0000) ' || true
}

# elems FILE: every element as DCMTK reads it, nested ones indented,
# without the meta, group lengths, delimiters and how long sequences and
# items say they are (undefined after a conversion); Pixel Data (OB or
# OW as the syntax has it) is compared apart
elems() {
	/usr/bin/dcmdump -q +L "$1" | grep -a '^ *(' |
		grep -av -e '^(0002,' -e '^ *([0-9a-f]\{4\},0000) ' -e '^ *(fffe,e0[0d]d) ' -e '^(7fe0,0010) ' |
		sed -E 's/\((Sequence|Item) with (explicit|undefined) length #=[0-9]+\)/(\1)/; s/ +#.*//'
}

# pixels FILE: the bytes of its Pixel Data
pixels() {
	local d
	d=$(mktemp -d "$W/px.XXXXXX")
	/usr/bin/dcmdump -q +W "$d" "$1" >/dev/null
	cat "$d"/*
}

@test "dcmsend: converting a file with group lengths (dcmconv +g, Implicit VR, nested in items too) says how many it removed, --dry-run --probe says it beforehand; every other element arrives" {
	local f=$W/gl.dcm n
	/usr/bin/dcmconv +g +ti "$(corpus_dir)/odd/undefined-length-sequences-explicit.dcm" "$f"
	n=$(group_lengths "$f")
	[ "$n" -ge 5 ]
	/usr/bin/dcmdump -q +L "$f" | grep -q '^    (0008,0000) UL ' # inside an item
	start_dcmrecv --accept-ts ExplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --probe 127.0.0.1 "$RECV_PORT" "$f"
	[ "$(grep '^planned' <<<"$output" | cut -f5)" = "association 1; to be transcoded to ExplicitVRLittleEndian; group lengths (gggg,0000) to be removed (retired, PS3.5 7.2)" ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f"
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	[ "$(cut -f5 <<<"$output")" = "transcoded to ExplicitVRLittleEndian; $n group lengths (gggg,0000) removed (retired, PS3.5 7.2)" ]
	stop_dcmrecv
	local got=$RECV_DIR/$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2).dcm
	[ "$(group_lengths "$got")" -eq 0 ]
	diff <(elems "$f") <(elems "$got")
	cmp <(pixels "$f") <(pixels "$got")
	[ "$(pixels "$f" | wc -c)" -gt 0 ]
	[ "$(elems "$got" | grep -c .)" -ge 30 ]
}

@test "dcmsend: padding a data set of odd length drops its group length and says so (--dry-run too); every value arrives, padded by the rule of tests/interop/pad-odd.py" {
	local f=$W/odd-gl.dcm
	/usr/bin/python3 "$CSTORE_ROOT/tests/interop/odd-datasets.py" "$W" >/dev/null
	# (0010,0000) UL 12 before (0010,0010): the original's bytes around it
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"\x10\x00\x10\x00PN")
open(sys.argv[2], "wb").write(d[:i] + b"\x10\x00\x00\x00UL\x04\x00\x0c\x00\x00\x00" + d[i:])' \
		"$W/odd-lengths-evrle.dcm" "$f"
	[ "$(group_lengths "$f")" -eq 1 ]
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 "$RECV_PORT" "$f"
	[[ $(grep "^planned" <<<"$output" | cut -f5) == "association 1; odd data set length "*"; group lengths (gggg,0000) to be removed (retired, PS3.5 7.2)" ]]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f"
	[ "$(cut -f1 <<<"$output")" = 0000 ]
	[ "$(cut -f5 <<<"$output")" = "padded 5 odd-length values to even length (PS3.5 7.1.1); 1 group length (gggg,0000) removed (retired, PS3.5 7.2)" ]
	stop_dcmrecv
	# byte for byte: the original without the group length, padded
	cmp <(dataset_of "$W/odd-lengths-evrle.dcm" |
		/usr/bin/python3 "$CSTORE_ROOT/tests/interop/pad-odd.py" 1.2.840.10008.1.2.1) \
		<(dataset_of "$RECV_DIR/$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2).dcm")
}
