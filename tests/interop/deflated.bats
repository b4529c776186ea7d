#!/usr/bin/env bats
# Deflated Explicit VR Little Endian data sets (PS3.5 A.5) whose deflate
# stream has an odd length: written with the pad byte A.5 asks for, and
# without it (DCMTK 3.6.7's dcmconv writes them so; tests/tools/mkdeflated
# makes both).  dcmsend pads the odd ones on the wire (PS3.8 E.1: PDVs
# of even length), so DCMTK's storescp and Orthanc, which abort on an
# odd fragment, store every object; dcmrecv stores what it receives,
# padded or not.  Data sets are compared inflated.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

setup_file() {
	local c
	c=$(corpus_dir)
	# 12 instances: padded and bare odd streams, and an even one
	/usr/bin/python3 "$CSTORE_ROOT/tests/tools/mkdeflated" "$c/ts/deflated.dcm" \
		"$BATS_FILE_TMPDIR/defl" 12 >"$BATS_FILE_TMPDIR/defl.tsv"
}

setup() {
	require_netns
	require_cmd dcmconv
	FILES=("$BATS_FILE_TMPDIR"/defl/*.dcm)
	[ "${#FILES[@]}" -eq 12 ]
	# both kinds are there
	ls "$BATS_FILE_TMPDIR"/defl | grep -q '^odd-bare-'
	ls "$BATS_FILE_TMPDIR"/defl | grep -q '^odd-padded-'
}

# inflated FILE: the data set of FILE inflated (what follows the deflate
# stream left out: a pad, nothing, or the run of zeros up to the
# inflated length that Orthanc 1.10 writes), by Python's zlib
inflated() {
	"$CSTORE_TOOLS/dcm-dataset" "$1" | /usr/bin/python3 -c '
import sys, zlib
z = zlib.decompressobj(-15)
out = z.decompress(sys.stdin.buffer.read())
if not z.eof or z.unused_data.strip(b"\0"):
    sys.exit("not one whole deflate stream")
sys.stdout.buffer.write(out)'
}

# ds_len FILE: bytes of the data set as stored
ds_len() { "$CSTORE_TOOLS/dcm-dataset" "$1" | wc -c; }

# same_inflated SENT GOT
same_inflated() {
	cmp <(inflated "$1") <(inflated "$2") ||
		{ echo "inflated data sets differ: $1 $2" >&2; return 1; }
}

# all_stored: dcmsend's TSV ($output) says Success for all 12
all_stored() {
	[ "$(grep -c . <<<"$output")" -eq 12 ]
	[ "$(cut -f1 <<<"$output" | sort -u)" = 0000 ] || { echo "$output" >&2; return 1; }
}

@test "deflated: odd-length streams to DCMTK storescp +B: every object stored, padded on the wire, data sets equal" {
	local f uid got n=0
	start_storescp "$BATS_TEST_TMPDIR/in" +B +xa -pm
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "${FILES[@]}"
	all_stored
	for f in "${FILES[@]}"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		got=$(ls "$BATS_TEST_TMPDIR/in/"*".$uid")
		same_inflated "$f" "$got"
		# +B writes what came: the stream and one pad byte when odd
		[ "$(ds_len "$got")" -eq $(( ($(ds_len "$f") + 1) / 2 * 2 )) ]
		n=$((n + 1))
	done
	[ "$n" -eq 12 ]
	refute grep -qi "odd" "$BATS_TEST_TMPDIR/storescp.log"
	# the bare ones were said to be padded, the others not
	[ "$(grep -c "sent with its pad byte" <<<"$output")" -eq "$(ls "$BATS_FILE_TMPDIR"/defl | grep -c '^odd-bare-')" ]
}

@test "deflated: odd-length streams to Orthanc: every object stored, data sets equal once inflated" {
	local f uid id got
	start_orthanc
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "${FILES[@]}"
	all_stored
	[ "$(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/statistics" | jq .CountInstances)" -eq 12 ]
	for f in "${FILES[@]}"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		id=$(curl -sf -X POST -d "$uid" "http://127.0.0.1:$ORTHANC_HTTP/tools/lookup" | jq -r '.[0].ID')
		got=$BATS_TEST_TMPDIR/$uid.dcm
		curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances/$id/file" -o "$got"
		# Orthanc writes its own meta: compare the data sets inflated
		[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$got" | cut -f3)" = 1.2.840.10008.1.2.1.99 ]
		same_inflated "$f" "$got"
	done
}

@test "deflated: odd-length streams to our dcmrecv through dcmsend: stored with the pad, data sets equal" {
	local f uid got
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${FILES[@]}"
	all_stored
	stop_dcmrecv
	[ "$(wc -l <"$RECV_STDOUT")" -eq 12 ]
	for f in "${FILES[@]}"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		got=$RECV_DIR/$uid.dcm
		same_inflated "$f" "$got"
		# what came on the wire: the file's bytes, then the pad if odd
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$f") <("$CSTORE_TOOLS/dcm-dataset" "$got" | head -c "$(ds_len "$f")")
		[ "$(ds_len "$got")" -eq $(( ($(ds_len "$f") + 1) / 2 * 2 )) ]
	done
}

@test "deflated: dcmrecv stores an unpadded odd-length stream as it came, and a padded one with its pad" {
	local f uid ds
	start_dcmrecv
	raw_associate "$RECV_PORT" 1.2.840.10008.5.1.4.1.1.7 1.2.840.10008.1.2.1.99
	for f in "$BATS_FILE_TMPDIR"/defl/odd-bare-2.dcm "$BATS_FILE_TMPDIR"/defl/odd-padded-1.dcm; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		ds=$BATS_TEST_TMPDIR/ds.$uid
		"$CSTORE_TOOLS/dcm-dataset" "$f" >"$ds"
		raw_cstore 1.2.840.10008.5.1.4.1.1.7 "$uid" "$ds"
		[ "$RAW_STATUS" = 0000 ]
	done
	raw_release
	stop_dcmrecv
	for f in "$BATS_FILE_TMPDIR"/defl/odd-bare-2.dcm "$BATS_FILE_TMPDIR"/defl/odd-padded-1.dcm; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$f") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/$uid.dcm")
	done
	[ $(( $(ds_len "$RECV_DIR/$("$CSTORE_TOOLS/dcm-dataset" -u "$BATS_FILE_TMPDIR/defl/odd-bare-2.dcm" | cut -f2).dcm") % 2 )) -eq 1 ]
}

# bomb_ds N OUT: a raw deflate stream of (0008,0001) UN holding N zero
# bytes, then SOP Class and Instance UIDs that are not the command's
bomb_ds() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import struct, sys, zlib
n = int(sys.argv[1])
ui = lambda e, v: struct.pack("<HH2sH", 8, e, b"UI", len(v)) + v
z = zlib.compressobj(9, zlib.DEFLATED, -15)
out = z.compress(struct.pack("<HH2sHI", 8, 1, b"UN", 0, n) + bytes(n))
out += z.compress(ui(0x16, b"1.2.3.4\0") + ui(0x18, b"1.2.3.4.5\0")) + z.flush()
open(sys.argv[2], "wb").write(out + b"\0" * (len(out) % 2))
PY
}

@test "deflated: dcmrecv inflates at most 16 MiB of a head: UIDs past it are not checked, nearer ones are" {
	local cls=1.2.840.10008.5.1.4.1.1.7 uid=2.25.1717
	bomb_ds 1024 "$BATS_TEST_TMPDIR/near"
	bomb_ds $((17 << 20)) "$BATS_TEST_TMPDIR/far"
	# 17 MiB inflated from a few KB on the wire
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/far")" -lt 65536 ]
	start_dcmrecv -v
	raw_associate "$RECV_PORT" "$cls" 1.2.840.10008.1.2.1.99
	raw_cstore "$cls" "$uid.1" "$BATS_TEST_TMPDIR/near"
	[ "$RAW_STATUS" = A900 ]
	raw_cstore "$cls" "$uid.2" "$BATS_TEST_TMPDIR/far" 2
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	stop_dcmrecv
	[ ! -e "$RECV_DIR/$uid.1.dcm" ]
	cmp "$BATS_TEST_TMPDIR/far" <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/$uid.2.dcm")
	grep -q "no UIDs in the first 16 MiB inflated: UIDs not checked" "$RECV_STDERR"
}

# same_for_pydicom ORIG GOT [ORIG GOT ...]: pydicom reads GOT (a Deflated file) to the
# data set of ORIG: the same elements with the same values, the group
# lengths the transcoder drops aside (VRs may differ where ORIG is
# Implicit VR: pydicom guesses them there); Pixel Data is compared as
# bytes unless ORIG is Big Endian
same_for_pydicom() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
import pydicom

def same(a, b, where):
    ta = [e.tag for e in a if e.tag.element != 0]
    tb = [e.tag for e in b if e.tag.element != 0]
    if ta != tb:
        sys.exit("%s: elements differ: %s" % (where, sorted(set(ta) ^ set(tb))))
    for t in ta:
        x, y = a[t], b[t]
        if x.VR == "SQ" or y.VR == "SQ":
            if len(x.value) != len(y.value):
                sys.exit("%s %s: item counts differ" % (where, t))
            for i, (p, q) in enumerate(zip(x.value, y.value)):
                same(p, q, "%s %s[%d]" % (where, t, i))
        elif x.value != y.value:
            sys.exit("%s %s: %r != %r" % (where, t, x.value, y.value))

for i in range(1, len(sys.argv), 2):
    a = pydicom.dcmread(sys.argv[i])
    b = pydicom.dcmread(sys.argv[i + 1])
    assert b.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1.99", b.file_meta.TransferSyntaxUID
    if not a.file_meta.TransferSyntaxUID.is_little_endian:
        del a.PixelData, b.PixelData
    same(a, b, sys.argv[i])
PY
}

# dcmtk_dump FILE: the data set as dcmdump shows it once dcmconv made it
# Explicit VR LE (group lengths left out: the transcoder drops them)
dcmtk_dump() {
	/usr/bin/dcmconv +te "$1" "$BATS_TEST_TMPDIR/conv.dcm" &&
		/usr/bin/dcmdump -q +L +P 0 "$BATS_TEST_TMPDIR/conv.dcm" 2>&1 | grep -v '^(0002,' | grep -v '^([0-9a-f]\{4\},0000)' | grep -v '^#' | grep -v '^$'
}

@test "deflated: data sets our transcoder deflates (dcm-xcode, no GDCM) are read by DCMTK and pydicom as the originals" {
	local c f got n=0
	c=$(corpus_dir)
	local src=("$c"/ts/explicit-le.dcm "$c"/ts/implicit-le.dcm "$c"/ts/explicit-be.dcm
		"$c"/ts/rle.dcm "$c"/odd/odd-length-values.dcm "$c"/odd/private-tags.dcm
		"$c"/odd/private-tags-implicit.dcm "$c"/odd/undefined-length-sequences-explicit.dcm
		"$c"/odd/undefined-length-sequences-implicit.dcm)
	for f in "${src[@]}"; do
		got=$BATS_TEST_TMPDIR/$(basename "$f")
		run -0 --separate-stderr \
			"$CSTORE_TOOLS/dcm-xcode" 1.2.840.10008.1.2.1.99 "$f" "$got"
		[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$got" | cut -f3)" = 1.2.840.10008.1.2.1.99 ]
		# PS3.5 A.5: one deflate stream, padded to even
		[ $(( $(ds_len "$got") % 2 )) -eq 0 ]
		inflated "$got" >/dev/null
		if [ "$f" = "$c/ts/rle.dcm" ]; then
			/usr/bin/dcmdrle "$f" "$BATS_TEST_TMPDIR/rle-native.dcm"
			f=$BATS_TEST_TMPDIR/rle-native.dcm
		fi
		diff <(dcmtk_dump "$f") <(dcmtk_dump "$got")
		same_for_pydicom "$f" "$got"
		n=$((n + 1))
	done
	[ "$n" -eq 9 ]
	# the deflating is ours, and so is the dictionary that gives an
	# Implicit VR source its VRs (data/elements.tsv): without the GDCM
	# module, Explicit and Implicit VR files and an RLE one (our codec)
	# are deflated all the same, and back
	for f in "$c"/ts/explicit-le.dcm "$c"/ts/rle.dcm "$c"/ts/implicit-le.dcm \
		"$c"/odd/private-tags-implicit.dcm \
		"$c"/odd/undefined-length-sequences-implicit.dcm; do
		CSTORE_GDCM_MODULE=/nonexistent run -0 --separate-stderr \
			"$CSTORE_TOOLS/dcm-xcode" 1.2.840.10008.1.2.1.99 "$f" "$BATS_TEST_TMPDIR/nogdcm.dcm"
		cmp "$BATS_TEST_TMPDIR/nogdcm.dcm" "$BATS_TEST_TMPDIR/$(basename "$f")"
	done
	CSTORE_GDCM_MODULE=/nonexistent run -0 --separate-stderr \
		"$CSTORE_TOOLS/dcm-xcode" 1.2.840.10008.1.2.1 "$BATS_TEST_TMPDIR/explicit-le.dcm" "$BATS_TEST_TMPDIR/back.dcm"
	diff <(dcmtk_dump "$c/ts/explicit-le.dcm") <(dcmtk_dump "$BATS_TEST_TMPDIR/back.dcm")
}

# xcode_sources: files of the corpus in the other uncompressed syntaxes,
# sequences and private elements included
xcode_sources() {
	local c
	c=$(corpus_dir)
	XSRC=("$c"/ts/explicit-le.dcm "$c"/ts/implicit-le.dcm "$c"/ts/explicit-be.dcm
		"$c"/odd/private-tags.dcm "$c"/odd/undefined-length-sequences-implicit.dcm)
}

# deflated_as_sent DIR: every file of XSRC arrived in DIR (its name ends
# with the SOP Instance UID, .dcm or not) Deflated, and DCMTK and pydicom
# read it as the original
deflated_as_sent() {
	local f uid got pairs=()
	for f in "${XSRC[@]}"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		got=$(ls "$1"/*"$uid"*)
		[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$got" | cut -f3)" = 1.2.840.10008.1.2.1.99 ] ||
			{ echo "$got: not Deflated" >&2; return 1; }
		[ $(( $(ds_len "$got") % 2 )) -eq 0 ]
		diff <(dcmtk_dump "$f") <(dcmtk_dump "$got")
		pairs+=("$f" "$got")
	done
	same_for_pydicom "${pairs[@]}"
}

@test "deflated: a peer (our dcmrecv) that accepts only Deflated gets the other uncompressed files deflated, data sets equal" {
	xcode_sources
	start_dcmrecv --ts DeflatedExplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${XSRC[@]}"
	[ "$(grep -c . <<<"$output")" -eq 5 ]
	[ "$(cut -f1 <<<"$output" | sort -u)" = 0000 ] || { echo "$output" >&2; return 1; }
	[ "$(grep -c 'transcoded to Deflated' <<<"$output")" -eq 5 ]
	stop_dcmrecv
	deflated_as_sent "$RECV_DIR"
}

@test "deflated: a peer taking Implicit VR LE and Deflated but not Explicit VR LE gets the files with VRs deflated (their VRs kept), the Implicit ones as they are" {
	local f uid got
	xcode_sources
	start_dcmrecv --ts ImplicitVRLittleEndian --ts DeflatedExplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${XSRC[@]}"
	[ "$(grep -c . <<<"$output")" -eq 5 ]
	[ "$(cut -f1 <<<"$output" | sort -u)" = 0000 ] || { echo "$output" >&2; return 1; }
	# before: the Explicit VR files went as Implicit VR (the private
	# elements of private-tags.dcm lost their VRs)
	[ "$(grep -c 'transcoded to Deflated' <<<"$output")" -eq 3 ]
	refute grep -q 'transcoded to ImplicitVR' <<<"$output"
	stop_dcmrecv
	for f in "${XSRC[@]}"; do
		uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		got=$(ls "$RECV_DIR"/*"$uid"*)
		case $("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f3) in
		1.2.840.10008.1.2)
			cmp <("$CSTORE_TOOLS/dcm-dataset" "$f") <("$CSTORE_TOOLS/dcm-dataset" "$got") ;;
		*)
			[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$got" | cut -f3)" = 1.2.840.10008.1.2.1.99 ]
			diff <(dcmtk_dump "$f") <(dcmtk_dump "$got") ;;
		esac
	done
}

@test "deflated: DCMTK storescp taking only Deflated gets the other files deflated; +xa, preferring it, gets them as they are" {
	local f
	xcode_sources
	# a profile (PS3.8 negotiation by storescp's configuration file)
	# with one syntax for the corpus's class: Deflated
	cat >"$BATS_TEST_TMPDIR/defl.cfg" <<'CFG'
[[TransferSyntaxes]]
[DeflatedOnly]
TransferSyntax1 = DeflatedLittleEndianExplicit
[[PresentationContexts]]
[DeflatedSC]
PresentationContext1 = SecondaryCaptureImageStorage\DeflatedOnly
[[Profiles]]
[Deflated]
PresentationContexts = DeflatedSC
CFG
	start_storescp "$BATS_TEST_TMPDIR/in" +B -xf "$BATS_TEST_TMPDIR/defl.cfg" Deflated
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "${XSRC[@]}"
	[ "$(grep -c . <<<"$output")" -eq 5 ]
	[ "$(cut -f1 <<<"$output" | sort -u)" = 0000 ] || { echo "$output" >&2; return 1; }
	[ "$(grep -c 'transcoded to Deflated' <<<"$output")" -eq 5 ]
	# +B: what came on the wire, padded to even by us
	deflated_as_sent "$BATS_TEST_TMPDIR/in"
	kill "$SCP_PID"
	wait "$SCP_PID" 2>/dev/null || true
	# +xa prefers Deflated over the uncompressed syntaxes: proposed
	# alone, it is not taken for files that can go as they are
	start_storescp "$BATS_TEST_TMPDIR/xa" +B +xa -pm
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "${XSRC[@]}"
	[ "$(cut -f1 <<<"$output" | sort -u)" = 0000 ] || { echo "$output" >&2; return 1; }
	refute grep -q 'transcoded' <<<"$output"
	for f in "${XSRC[@]}"; do
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$f") <("$CSTORE_TOOLS/dcm-dataset" \
			"$(ls "$BATS_TEST_TMPDIR"/xa/*"$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)"*)")
	done
}

@test "deflated: a Deflated file cut short is truncated to the planner and the transcoder alike, never sent" {
	local f=${FILES[0]} n cut why
	n=$(stat -c %s "$f")
	# cut after the UIDs (4 bytes short), and the stream in half
	for cut in 4 $(( $(ds_len "$f") / 2 )); do
		head -c $((n - cut)) "$f" >"$BATS_TEST_TMPDIR/cut.dcm"
		why='the Deflated data set ends inside its stream'
		run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$BATS_TEST_TMPDIR/cut.dcm"
		assert_output $'truncated\t'"$BATS_TEST_TMPDIR/cut.dcm"$'\t\t\t'"$why"
		run -1 --separate-stderr "$CSTORE_TOOLS/dcm-xcode" 1.2.840.10008.1.2.1 \
			"$BATS_TEST_TMPDIR/cut.dcm" "$BATS_TEST_TMPDIR/out.dcm"
		[[ $stderr == *": $why" ]]
	done
	# after the stream: what follows its end is not looked at (zeros,
	# or a trailer as pydicom's image_dfl.dcm has)
	cat "$f" <(printf '\0\0xy') >"$BATS_TEST_TMPDIR/more.dcm"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$BATS_TEST_TMPDIR/more.dcm"
	assert_line --regexp $'^planned\t.*/more\.dcm\t'
}
