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

@test "byte-order: a peer taking Explicit VR Big Endian only gets Little Endian files converted losslessly (as dcmconv +tb makes them), with no Big Endian file in the run; a peer taking Little Endian gets them as they are" {
	# before: nocontext for every file (exit 4), the Big Endian syntax
	# proposed only when a Big Endian file of the class was in the run,
	# where storescu proposes it for every uncompressed file
	local c=$CSTORE_CORPUS f uid
	local files=("$c/ts/explicit-le.dcm" "$c/ts/implicit-le.dcm" "$c/sop/CTImageStorage.dcm" "$c/sop/MRImageStorage.dcm")
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "${files[0]}"
	assert_line $'context\t1\t1\t1.2.840.10008.5.1.4.1.1.7\t1.2.840.10008.1.2.1,1.2.840.10008.1.2'
	assert_line $'context\t1\t3\t1.2.840.10008.5.1.4.1.1.7\t1.2.840.10008.1.2.2'
	start_dcmrecv --accept-ts ExplicitVRBigEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${files[@]}"
	stop_dcmrecv
	[ "$(grep -c $'^0000\t.*\ttranscoded to ExplicitVRBigEndian$' <<<"$output")" -eq 4 ] || { echo "$output" >&2; return 1; }
	for f in "${files[@]}"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$RECV_DIR/$uid.dcm" | cut -f3)" = 1.2.840.10008.1.2.2 ]
		/usr/bin/dcmconv -q +tb "$f" "$W/ref.dcm"
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$W/ref.dcm") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/$uid.dcm")
	done
	RECV_DIR=$W/le start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${files[0]}" "${files[2]}"
	stop_dcmrecv
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	refute_output --partial transcoded
	for f in "${files[0]}" "${files[2]}"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$f") <("$CSTORE_TOOLS/dcm-dataset" "$W/le/$uid.dcm")
	done
}

@test "byte-order: a peer accepting Explicit VR Little Endian but preferring Big Endian (storescp +xb) gets Little Endian files as they are, byte for byte: Big Endian has a context of its own" {
	# before: Big Endian sat in the Little Endian context, storescp +xb
	# chose it there and every file was transcoded to ExplicitVRBigEndian
	local c=$CSTORE_CORPUS f uid
	start_storescp "$W/xb" +B +xb
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$c/ts/explicit-le.dcm" "$c/ts/implicit-le.dcm"
	kill "$SCP_PID"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	refute_output --partial transcoded
	for f in "$c/ts/explicit-le.dcm" "$c/ts/implicit-le.dcm"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$f") <("$CSTORE_TOOLS/dcm-dataset" "$W"/xb/*"$uid"*)
	done
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

# le_elems FILE: FILE's data set as DCMTK reads it once converted by
# dcmconv +te (so that ours and DCMTK's conversions compare), without
# group lengths, delimiters, sequence and item lengths, Data Set
# Trailing Padding (FFFC,FFFC) (which dcmconv drops and we keep, PS3.5
# 7.5.3 lets a reader ignore it) and Pixel Data (8-bit: OB ours, OW
# DCMTK's, PS3.5 A.2 allows both), then the Pixel Data bytes in hex
le_elems() {
	/usr/bin/dcmconv -q +te "$1" "$1.te"
	/usr/bin/dcmdump -q +L "$1.te" | grep -a '^ *(' |
		grep -av -e '^(0002,' -e '^ *([0-9a-f]\{4\},0000) ' -e '(fffe,e0[0d]d)' \
			-e '^(7fe0,0010) ' -e '^(fffc,fffc) ' |
		sed -E 's/\((Sequence|Item) with (explicit|undefined) length #=[0-9]+\)/(\1)/; s/ +#.*//'
	/usr/bin/python3 -c 'import sys, pydicom; print(pydicom.dcmread(sys.argv[1]).PixelData.hex())' "$1.te"
}

# pydicom's 32-bit dose grids in Big Endian hold Pixel Data as OW: its
# words are swapped as 16-bit values (PS3.5 7.3, the VR's unit), as
# dcmconv does; pydicom itself reads that file's pixels as 32-bit Big
# Endian values (numpy '>u4'), so its pixel_array of the original and of
# the converted file differ in the order of each value's two words.  We
# follow the VR, with DCMTK (dcmsend.1 says so).
@test "byte-order: pydicom's Big Endian sample files (16-bit MR, 32-bit dose grids, a 1-bit segmentation frame) converted for peers taking only Explicit or only Implicit VR LE: every value as dcmconv +te/+ti gives it" {
	local d=/usr/lib/python3/dist-packages/pydicom/data/test_files f ts opt n
	local files=(MR_small_bigendian.dcm MR_small_expb.dcm rtdose_expb.dcm rtdose_expb_1frame.dcm liver_expb_1frame.dcm)
	[ -f "$d/rtdose_expb.dcm" ] || skip "pydicom's test files not installed"
	for ts in ExplicitVRLittleEndian:+te ImplicitVRLittleEndian:+ti; do
		opt=${ts#*:} ts=${ts%:*}
		RECV_DIR=$W/out-$ts
		# two pairs of them share a SOP Instance UID: one file an AE
		start_dcmrecv --accept-ts "$ts" --layout '{CallingAET}.dcm'
		for n in "${!files[@]}"; do
			run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -aet "F$n" 127.0.0.1 "$RECV_PORT" "$d/${files[n]}"
			[[ $output == 0000$'\t'*"transcoded to $ts" ]] || { echo "$output" >&2; return 1; }
		done
		stop_dcmrecv
		for n in "${!files[@]}"; do
			f=${files[n]}
			/usr/bin/dcmconv -q "$opt" "$d/$f" "$W/$f.$ts.ref"
			diff <(le_elems "$W/$f.$ts.ref") <(le_elems "$RECV_DIR/F$n.dcm") ||
				{ echo "$f to $ts differs from dcmconv $opt (< DCMTK, > ours)" >&2; return 1; }
		done
	done
}
