#!/usr/bin/env bats
# Implicit VR Little Endian files sent to a peer that takes Explicit VR
# Little Endian only: dcmsend converts them, and every element arrives
# with its value byte for byte and the VR of PS3.6 (our dictionary,
# data/elements.tsv), as DCMTK's dcmconv +te gives it, where DCMTK's
# choice is no other: the corpus (tests/interop/dict-corpus.py, written
# by pydicom) has the VRs of later editions (SV, UV, OV, OL, OD, UC, UR,
# UT), "US or SS" inside items and out, descriptors, "OB or OW" of
# overlays, curves and waveforms of 8 and 16 bits, repeating groups
# (50xx, 60xx, (0020,31xx), (0028,04x0), (1000,xxx1)), retired and
# private elements.  Where we differ from dcmconv (3.6.7), on purpose:
#  - (0008,040C) UV and (0008,0202) OB (retired, without keyword): not
#    in DCMTK 3.6.7's dictionary (UN there);
#  - 8-bit Pixel Data, the icon's too: OB (PS3.5 A.2 allows OB or OW;
#    DCMTK keeps the OW Implicit VR had);
#  - Curve Data (50xx,3000), retired: OW, as PS3.5 A.1 reads it in
#    Implicit VR (DCMTK writes OB);
#  - Pixel Representation 1: SS for (0018,9810), which comes before it,
#    and for the Real World Value First/Last Value Mapped of an item
#    without one of its own (DCMTK: US, having looked only before the
#    element and only in its item);
#  - Channel Minimum Value (5400,0110) of 16-bit waveforms: OW, "the
#    same VR as Waveform Data" (PS3.5 8.3), which DCMTK has not read yet
#    when it meets it (OB).
# Runs beside other files (scripts/run-check).
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

setup() {
	require_netns
	require_cmd dcmconv
	/usr/bin/python3 -c 'import pydicom' 2>/dev/null || skip "python3-pydicom not installed"
	W=$BATS_TEST_TMPDIR
	IN=$W/in
	mkdir -p "$IN"
	/usr/bin/python3 "$BATS_TEST_DIRNAME/dict-corpus.py" "$IN"
}

ELEMENTS=$BATS_TEST_DIRNAME/dict-elements.py

# The differences from dcmconv +te we mean (see above): PATH DCMTK OURS.
KNOWN_ANY='00080202 UN OB
0008040C UN UV
00880200[0].7FE00010 OW OB
50003000 OB OW
54000100[1].54000110 OB OW'
KNOWN_signed16='00189810 US SS
00409096[0].00409211 US SS
00409096[0].00409216 US SS'
KNOWN_unsigned8='7FE00010 OW OB'

# check_file ORIG GOT: GOT (received) has ORIG's elements, values byte
# for byte, in Explicit VR with dcmconv +te's VRs but for KNOWN_*.
check_file() {
	local orig=$1 got=$2 name known
	name=$(basename "$orig" .dcm)
	known="$KNOWN_ANY"$'\n'"$(eval echo "\"\$KNOWN_$name\"")"
	dcmconv +te "$orig" "$W/$name.ref.dcm"
	/usr/bin/python3 "$ELEMENTS" "$orig" >"$W/$name.orig"
	/usr/bin/python3 "$ELEMENTS" "$got" >"$W/$name.got"
	/usr/bin/python3 "$ELEMENTS" "$W/$name.ref.dcm" >"$W/$name.ref"
	# values: the same elements at the same places, byte for byte
	diff <(cut -d' ' -f1,3 "$W/$name.orig") <(cut -d' ' -f1,3 "$W/$name.got") ||
		{ echo "$name: elements or values changed" >&2; return 1; }
	# VRs: dcmconv's, but for what we mean to differ in
	awk -v known="$known" '
		BEGIN { n = split(known, k, "\n")
			for (i = 1; i <= n; i++) if (split(k[i], f, " ") == 3) { from[f[1]] = f[2]; to[f[1]] = f[3] } }
		{ if (($1 in from) && $2 == from[$1]) { $2 = to[$1]; used[$1] = 1 }
		  print $1, $2 }
		END { for (p in from) if (!(p in used)) print "known difference unused: " p }
	' "$W/$name.ref" >"$W/$name.want"
	diff "$W/$name.want" <(cut -d' ' -f1,2 "$W/$name.got") ||
		{ echo "$name: VRs differ from dcmconv +te's (< want, > got)" >&2; return 1; }
	# and what no comparison with DCMTK 3.6.7 shows: PS3.6's later VRs
	grep -qx '00720082 SV' <(cut -d' ' -f1,2 "$W/$name.got")
	grep -qx '0008040C UV' <(cut -d' ' -f1,2 "$W/$name.got")
}

# check_results OUTPUT DIR: both files stored, converted, and right.
check_results() {
	local out=$1 dir=$2 f got uid n=0
	for f in "$IN"/*.dcm; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		grep -qP "^0000\t\Q$f\E\t.*\ttranscoded to ExplicitVRLittleEndian$" <<<"$out" ||
			{ echo "no 'transcoded' line for $f" >&2; return 1; }
		got=$(grep -l -F "$uid" "$dir"/* | head -1)
		[ -n "$got" ] || { echo "$f: not received" >&2; return 1; }
		[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$got" | cut -f3)" = 1.2.840.10008.1.2.1 ]
		check_file "$f" "$got"
		n=$((n + 1))
	done
	[ "$n" -eq 2 ]
}

@test "dict-vr: to dcmrecv taking Explicit VR LE only, without the GDCM module: every element keeps its value and gets its PS3.6 VR (SV, UV, OV, repeating groups, US or SS by the item)" {
	RECV_DIR=$W/got
	start_dcmrecv --accept-ts ExplicitVRLittleEndian
	CSTORE_GDCM_MODULE=/nonexistent/cstore-gdcm.so \
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$IN"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	check_results "$output" "$RECV_DIR"
}

@test "dict-vr: to DCMTK storescp +B taking Explicit VR LE only: the stored files have dcmconv +te's elements and the original values" {
	cat >"$W/scp.cfg" <<-'CFG'
	[[TransferSyntaxes]]
	[ExplicitLE]
	TransferSyntax1 = LittleEndianExplicit
	[[PresentationContexts]]
	[SC]
	PresentationContext1 = SecondaryCaptureImageStorage\ExplicitLE
	[[Profiles]]
	[Explicit]
	PresentationContexts = SC
	CFG
	start_storescp "$W/scp" +B -xf "$W/scp.cfg" Explicit
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$IN"
	check_results "$output" "$W/scp"
}
