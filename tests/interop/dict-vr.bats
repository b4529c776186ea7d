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
#  - Channel Minimum/Maximum Value (5400,0110/0112) of 16-bit waveforms,
#    in the Channel Definition Sequence's items (PS3.3 C.10.9): OW, "the
#    same VR as Waveform Data" (PS3.5 8.3), whose Waveform Bits Allocated
#    comes after that sequence in the Waveform Sequence item (DCMTK,
#    looking only before the element and in its item: OB).
# And to Explicit VR Big Endian (dcm-xcode): the same VRs as dcmconv +tb
# gives, but for the same differences, and each value the original's
# byte-swapped by the VR we wrote, and only by it.
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
54000100[1].003A0200[0].54000110 OB OW
54000100[1].003A0200[0].54000112 OB OW
54000100[1].003A0200[1].54000110 OB OW
54000100[1].003A0200[1].54000112 OB OW'
KNOWN_signed16='00189810 US SS
00409096[0].00409211 US SS
00409096[0].00409216 US SS'
KNOWN_unsigned8='7FE00010 OW OB'

# check_vrs NAME: $W/NAME.got has the VRs of $W/NAME.ref (dcmconv's) but
# for KNOWN_*.
check_vrs() {
	local name=$1 known
	known="$KNOWN_ANY"$'\n'"$(eval echo "\"\$KNOWN_$name\"")"
	awk -v known="$known" '
		BEGIN { n = split(known, k, "\n")
			for (i = 1; i <= n; i++) if (split(k[i], f, " ") == 3) { from[f[1]] = f[2]; to[f[1]] = f[3] } }
		{ if (($1 in from) && $2 == from[$1]) { $2 = to[$1]; used[$1] = 1 }
		  print $1, $2 }
		END { for (p in from) if (!(p in used)) print "known difference unused: " p }
	' "$W/$name.ref" >"$W/$name.want"
	diff "$W/$name.want" <(cut -d' ' -f1,2 "$W/$name.got") ||
		{ echo "$name: VRs differ from dcmconv's (< want, > got)" >&2; return 1; }
}

# check_file ORIG GOT: GOT (received) has ORIG's elements, values byte
# for byte, in Explicit VR with dcmconv +te's VRs but for KNOWN_*.
check_file() {
	local orig=$1 got=$2 name
	name=$(basename "$orig" .dcm)
	dcmconv +te "$orig" "$W/$name.ref.dcm"
	/usr/bin/python3 "$ELEMENTS" "$orig" >"$W/$name.orig"
	/usr/bin/python3 "$ELEMENTS" "$got" >"$W/$name.got"
	/usr/bin/python3 "$ELEMENTS" "$W/$name.ref.dcm" >"$W/$name.ref"
	# values: the same elements at the same places, byte for byte
	diff <(cut -d' ' -f1,3 "$W/$name.orig") <(cut -d' ' -f1,3 "$W/$name.got") ||
		{ echo "$name: elements or values changed" >&2; return 1; }
	# VRs: dcmconv's, but for what we mean to differ in
	check_vrs "$name"
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

# swapped ORIG GOT: each value of GOT (Big Endian) is ORIG's swapped by
# the VR GOT has (2, 4 or 8 bytes a number; AT by 2; others unchanged).
swapped() {
	/usr/bin/python3 - "$1" "$2" <<-'PY'
	import sys
	UNIT = {"US": 2, "SS": 2, "OW": 2, "AT": 2, "UL": 4, "SL": 4, "FL": 4,
	        "OL": 4, "OF": 4, "FD": 8, "OD": 8, "SV": 8, "UV": 8, "OV": 8}
	orig = [l.split(" ") for l in open(sys.argv[1]).read().splitlines()]
	got = [l.split(" ") for l in open(sys.argv[2]).read().splitlines()]
	assert [o[0] for o in orig] == [g[0] for g in got], "elements differ"
	bad = 0
	for o, g in zip(orig, got):
	    if len(o) < 3:
	        continue
	    v, n = bytes.fromhex(o[2]), UNIT.get(g[1], 1)
	    want = b"".join(v[i:i + n][::-1] for i in range(0, len(v), n))
	    if want.hex() != g[2]:
	        print("%s %s: %s, want %s" % (g[0], g[1], g[2], want.hex()))
	        bad = 1
	sys.exit(bad)
	PY
}

@test "dict-vr: to Explicit VR Big Endian (dcm-xcode, without the GDCM module): dcmconv +tb's VRs but for the known differences, each value swapped by its VR only (8-bit waveform channel values unswapped)" {
	local f name n=0
	for f in "$IN"/*.dcm; do
		name=$(basename "$f" .dcm)
		CSTORE_GDCM_MODULE=/nonexistent run -0 --separate-stderr \
			"$CSTORE_TOOLS/dcm-xcode" 1.2.840.10008.1.2.2 "$f" "$W/$name.be.dcm"
		dcmconv +tb "$f" "$W/$name.tb.dcm"
		/usr/bin/python3 "$ELEMENTS" "$f" >"$W/$name.orig"
		/usr/bin/python3 "$ELEMENTS" "$W/$name.be.dcm" >"$W/$name.got"
		/usr/bin/python3 "$ELEMENTS" "$W/$name.tb.dcm" >"$W/$name.ref"
		check_vrs "$name"
		swapped "$W/$name.orig" "$W/$name.got"
		# the 8-bit waveform's channel values: OB, as they were
		grep -qx '54000100\[0\]\.003A0200\[1\]\.54000112 OB 7200' "$W/$name.got"
		n=$((n + 1))
	done
	[ "$n" -eq 2 ]
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
