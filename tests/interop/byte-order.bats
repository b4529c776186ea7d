#!/usr/bin/env bats
# Byte order and padding together: a value of odd length whose VR is
# byte-swapped between Little and Big Endian (OW, written so by sloppy
# writers; tests/interop/odd-words.py makes them: a 1-bit image of 35
# pixels and an 8-bit one of 9 in 5 and 9 bytes of OW, an overlay of 5
# bytes, one in each data set, which is then odd in total).  dcmsend pads an odd value by a NUL (PS3.5 7.1.1) when it
# converts; the pad belongs to the value before its words are swapped,
# so the last word keeps its byte where it was.  What arrived is read by
# DCMTK (dcmconv +te), not by our code.
# Runs beside other files (scripts/run-check).
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

setup() {
	require_netns
	require_cmd /usr/bin/dcmconv
	/usr/bin/python3 -c 'import pydicom' 2>/dev/null || skip "python3-pydicom not installed"
	W=$BATS_TEST_TMPDIR
	/usr/bin/python3 "$BATS_TEST_DIRNAME/odd-words.py" "$W"
}

# arrived_padded ORIG...: each ORIG's instance, stored by dcmrecv, holds
# its odd values padded at their end, as DCMTK reads the stored file
arrived_padded() {
	local f uid
	for f in "$@"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		/usr/bin/dcmconv -q +te "$RECV_DIR/$uid.dcm" "$W/$uid.le.dcm"
		/usr/bin/python3 "$BATS_TEST_DIRNAME/odd-words.py" --check "$f" "$W/$uid.le.dcm"
	done
}

@test "byte-order: odd-length OW values converted to Explicit VR Big Endian are padded before their words are swapped (DCMTK reads the original bytes back), odd native Pixel Data too" {
	start_dcmrecv --accept-ts ExplicitVRBigEndian
	# the Big Endian file gives the SOP class a context in that syntax
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"$W/anchor-evrbe.dcm" "$W"/*-evrle.dcm "$W"/*-ivrle.dcm
	stop_dcmrecv
	[ "$(cut -f1 <<<"$output" | sort -u)" = 0000 ] || { echo "$output" >&2; return 1; }
	[ "$(grep -c 'padded 1 odd-length value to even length (PS3.5 7.1.1); transcoded to ExplicitVRBigEndian' <<<"$output")" -eq 6 ]
	arrived_padded "$W"/*-evrle.dcm "$W"/*-ivrle.dcm
}

@test "byte-order: odd native Pixel Data converted between Implicit and Explicit VR Little Endian is padded like any other value, not refused as 'odd bytes outside values'" {
	start_dcmrecv --accept-ts ExplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$W"/*-ivrle.dcm
	stop_dcmrecv
	[ "$(grep -c $'^0000\t.*padded 1 odd-length value to even length (PS3.5 7.1.1); transcoded to ExplicitVRLittleEndian' <<<"$output")" -eq 3 ] ||
		{ echo "$output" >&2; return 1; }
	arrived_padded "$W"/*-ivrle.dcm
	RECV_DIR=$W/out-ivr
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$W"/*-evrle.dcm
	stop_dcmrecv
	[ "$(grep -c $'^0000\t.*padded 1 odd-length value to even length (PS3.5 7.1.1); transcoded to ImplicitVRLittleEndian' <<<"$output")" -eq 3 ] ||
		{ echo "$output" >&2; return 1; }
	arrived_padded "$W"/*-evrle.dcm
}
