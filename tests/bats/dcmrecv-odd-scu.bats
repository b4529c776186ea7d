#!/usr/bin/env bats
# dcmrecv against Storage SCUs that misbehave (tests/tools/fakescu) and a
# reader of its standard output that stops reading: the status each
# request gets (PS3.4 B.2.3, as DCMTK's storescp answers where it has
# one), the files against the lines, nothing held up.  About 10 s.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

setup() {
	require_netns
	C=$(corpus_dir)
	mapfile -t FILES < <(awk -F'\t' 'NR > 1 && $3 == "1.2.840.10008.1.2.1" { print $1 }' \
		"$C/MANIFEST.tsv" | head -3 | sed "s|^|$C/|")
	DS=()
	for i in 0 1 2; do
		"$CSTORE_TOOLS/dcm-dataset" "${FILES[$i]}" >"$BATS_TEST_TMPDIR/$i.ds"
		DS+=("$BATS_TEST_TMPDIR/$i.ds")
	done
	UID0=$("$CSTORE_TOOLS/dcm-dataset" -u "${FILES[0]}" | cut -f2)
	CLS0=$("$CSTORE_TOOLS/dcm-dataset" -u "${FILES[0]}" | cut -f1)
}

# fake MODES DS...: tests/tools/fakescu to $RECV_PORT; sets output
fake() {
	run timeout 40 /usr/bin/python3 "$CSTORE_ROOT/tests/tools/fakescu" "$RECV_PORT" "$@"
}

# wait_pipe_full FIFO: until the pipe behind FIFO takes no more (polls
# not writable, as dcmrecv's writer sees it: lines fill its pages
# unevenly, so no byte count tells), 30 s at most.
wait_pipe_full() {
	python3 -c '
import os, select, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
p = select.poll()
p.register(fd, select.POLLOUT)
for _ in range(300):
    if not p.poll(0):
        sys.exit(0)
    time.sleep(0.1)
sys.exit("%s: the pipe still takes more after 30 s" % sys.argv[1])
' "$1"
}

# stored_as_sent I: the file dcmrecv printed for FILES[I] holds its data set
stored_as_sent() {
	local u p
	u=$("$CSTORE_TOOLS/dcm-dataset" -u "${FILES[$1]}" | cut -f2)
	p=$(awk -F'\t' -v u="$u" '$3 == u { print $1; exit }' "$RECV_STDOUT")
	[ -n "$p" ] && cmp "${DS[$1]}" <("$CSTORE_TOOLS/dcm-dataset" "$p")
}

@test "dcmrecv vs odd SCU: a class not negotiated on the context is 0122, UIDs unlike the request's A900 (as storescp), nothing stored" {
	start_dcmrecv
	fake ctx=1.2.840.10008.5.1.4.1.1.2 "${DS[0]}"
	[ "${lines[0]}" = $'0122\tSOP class not negotiated on context 1' ]
	fake inst=2.25.999 "${DS[0]}"
	[ "${lines[0]}" = $'A900\tSOP Instance UID differs from the command' ]
	fake class=1.2.840.10008.5.1.4.1.1.2 "${DS[0]}"
	[ "${lines[0]}" = $'A900\tSOP Class UID differs from the command' ]
	fake nods "${DS[0]}"
	[ "${lines[0]}" = $'C000\tC-STORE-RQ without a data set' ]
	# padding with a space instead of a NUL is no difference
	fake "inst=$UID0 " "${DS[0]}"
	[ "${lines[0]}" = $'0000\t' ]
	[ "${lines[1]}" = released ]
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR")" = "$UID0.dcm" ]
	stored_as_sent 0
}

@test "dcmrecv vs odd SCU: a SOP Instance UID the response cannot echo as sent (a control byte, beyond ASCII, 66 characters) is left out of the C000, not answered altered (PS3.7 9.3.1.2 U(=)); a good one is echoed" {
	start_dcmrecv
	fake "inst=1.2.3"$'\x01'"4,rspuids" "${DS[0]}"
	[ "${lines[0]}" = $'C000\tSOP Instance UID refused: holds a control or non-ASCII byte\t'"$CLS0"$'\t-' ] ||
		{ echo "$output" >&2; return 1; }
	fake "inst=1.2.3"$'\xc3\x84'"4,rspuids" "${DS[0]}"
	[ "${lines[0]}" = $'C000\tSOP Instance UID refused: holds a control or non-ASCII byte\t'"$CLS0"$'\t-' ] ||
		{ echo "$output" >&2; return 1; }
	fake "inst=1.2.3.$(printf '4%.0s' {1..60}),rspuids" "${DS[0]}"
	[ "${lines[0]}" = $'C000\tSOP Instance UID refused: longer than 64 characters\t'"$CLS0"$'\t-' ] ||
		{ echo "$output" >&2; return 1; }
	# refused for what it holds, not for how it is made: echoed as sent
	fake "inst=1.2.3.abc,rspuids" "${DS[0]}"
	[ "${lines[0]}" = $'C000\tSOP Instance UID refused: holds \'a\', not digits and dots\t'"$CLS0"$'\t1.2.3.abc' ] ||
		{ echo "$output" >&2; return 1; }
	fake rspuids "${DS[0]}"
	[ "${lines[0]}" = $'0000\t\t'"$CLS0"$'\t'"$UID0" ]
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR")" = "$UID0.dcm" ]
	stored_as_sent 0
}

@test "dcmrecv vs odd SCU: a C000 for a request refused names its element in Offending Element (0000,0901), PS3.7 9.3.1.2: the SOP Instance UID (0000,1000), the Command Data Set Type (0000,0800); with its Error Comment" {
	start_dcmrecv
	fake "inst=1.2.3.abc,offending" "${DS[0]}"
	[ "${lines[0]}" = $'C000\tSOP Instance UID refused: holds \'a\', not digits and dots\t(0000,1000)' ] ||
		{ echo "$output" >&2; return 1; }
	fake "inst=1.2.3"$'\x01'"4,offending" "${DS[0]}"
	[ "${lines[0]}" = $'C000\tSOP Instance UID refused: holds a control or non-ASCII byte\t(0000,1000)' ] ||
		{ echo "$output" >&2; return 1; }
	fake nods,offending "${DS[0]}"
	[ "${lines[0]}" = $'C000\tC-STORE-RQ without a data set\t(0000,0800)' ] ||
		{ echo "$output" >&2; return 1; }
	fake offending "${DS[0]}"
	[ "${lines[0]}" = $'0000\t\t-' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR")" = "$UID0.dcm" ]
	stored_as_sent 0
}

@test "dcmrecv vs odd SCU: a C-STORE sub-operation of a C-MOVE whose Move Originator AE Title is in Latin-1 (as DCMTK sends titles) is stored, not aborted; -d shows the originator; a control character still aborts" {
	start_dcmrecv -d
	# (0000,1030) "ÄRZTE" in Latin-1, padded to 16
	fake moveae=c4525a5445202020202020202020202020 "${DS[0]}"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	grep -q "move-ae='?RZTE' move-msg-id=7" "$RECV_STDERR"
	fake moveae=4d4f5645534355 "${DS[1]}"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	grep -q "move-ae='MOVESCU' move-msg-id=7" "$RECV_STDERR"
	fake moveae=41421b43 "${DS[2]}"
	[ "$output" = aborted ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 2 ]
	stored_as_sent 0
	stored_as_sent 1
}

@test "dcmrecv vs odd SCU: the A-ASSOCIATE-AC repeats the RQ's called and calling AE title fields byte for byte (PS3.8 9.3.3): leading spaces, NUL padding, Latin-1; the objects stored" {
	local t
	start_dcmrecv --strict-aet
	# "  DCMRECV" padded with spaces, "FAKE" padded with NULs
	t=202044434d524543562020202020202046414b45000000000000000000000000
	fake "titles=$t" "${DS[0]}"
	[ "${lines[0]}" = "titles $t" ] || { echo "$output" >&2; return 1; }
	[ "${lines[1]}" = $'0000\t' ]
	# "DCMRECV" padded with NULs, "ÄRZTE" in Latin-1 then spaces
	t=44434d52454356000000000000000000c4525a54452020202020202020202020
	fake "titles=$t" "${DS[1]}"
	[ "${lines[0]}" = "titles $t" ] || { echo "$output" >&2; return 1; }
	[ "${lines[1]}" = $'0000\t' ]
	stop_dcmrecv
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 2 ]
	stored_as_sent 0
	stored_as_sent 1
}

@test "dcmrecv vs odd SCU: the A-ASSOCIATE-AC sends back the RQ's reserved bytes 43-74 as they came (PS3.8 Table 9-17), not zeros; the objects stored" {
	local r
	start_dcmrecv
	r=00ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d7f
	fake "reserved=$r" "${DS[0]}"
	[ "${lines[0]}" = "reserved $r" ] || { echo "$output" >&2; return 1; }
	[ "${lines[1]}" = $'0000\t' ]
	stop_dcmrecv
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 1 ]
	stored_as_sent 0
}

@test "dcmrecv vs odd SCU: A900 and B007 name their element in Offending Element (0000,0901), PS3.4 Table B.2-1: the UID that differs, the UID missing; none for 0000" {
	start_dcmrecv
	fake inst=2.25.999,offending "${DS[0]}"
	[ "${lines[0]}" = $'A900\tSOP Instance UID differs from the command\t(0008,0018)' ] ||
		{ echo "$output" >&2; return 1; }
	fake class=1.2.840.10008.5.1.4.1.1.2,offending "${DS[0]}"
	[ "${lines[0]}" = $'A900\tSOP Class UID differs from the command\t(0008,0016)' ] ||
		{ echo "$output" >&2; return 1; }
	# the data set without its SOP Instance UID: stored under the command's
	python3 -c '
import struct, sys
ds, out, off = open(sys.argv[1], "rb").read(), b"", 0
while off < len(ds):
    g, e = struct.unpack("<HH", ds[off:off + 4])
    ln = struct.unpack("<H", ds[off + 6:off + 8])[0]
    if g != 8:
        break
    if e != 0x18:
        out += ds[off:off + 8 + ln]
    off += 8 + ln
sys.stdout.buffer.write(out + ds[off:])
' "${DS[0]}" >"$BATS_TEST_TMPDIR/noinst.ds"
	fake "class=$CLS0,inst=$UID0,offending" "$BATS_TEST_TMPDIR/noinst.ds"
	[ "${lines[0]}" = $'B007\t\t(0008,0018)' ] || { echo "$output" >&2; return 1; }
	fake offending "${DS[1]}"
	[ "${lines[0]}" = $'0000\t\t-' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 2 ]
	stored_as_sent 1
}

@test "dcmrecv vs odd SCU: a C-STORE-RQ for Verification or Storage Commitment on its own context is 0211, nothing stored, not a B007 file of class Verification" {
	start_dcmrecv --commit
	# a data set with a SOP Instance UID and no SOP Class UID: stored
	# under the command's class (B007) were that class a storage one
	printf '\x08\x00\x18\x00UI\x0a\x002.25.4712\x00' >"$BATS_TEST_TMPDIR/noclass.ds"
	fake class=1.2.840.10008.1.1,inst=2.25.4712 "$BATS_TEST_TMPDIR/noclass.ds"
	[ "$output" = $'0211\tC-STORE-RQ for Verification, which has no C-STORE\nreleased' ] ||
		{ echo "$output" >&2; return 1; }
	fake class=1.2.840.10008.1.20.1,inst=2.25.4712 "$BATS_TEST_TMPDIR/noclass.ds"
	[ "$output" = $'0211\tC-STORE-RQ for Storage Commitment, which has no C-STORE\nreleased' ] ||
		{ echo "$output" >&2; return 1; }
	fake plain "${DS[0]}"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ "$(ls "$RECV_DIR")" = "$UID0.dcm" ] || { ls -A "$RECV_DIR" >&2; return 1; }
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 1 ]
}

@test "dcmrecv --validate: native Pixel Data sent under JPEG Baseline, JPEG fragments under Explicit VR LE: A900 saying so, nothing stored; each in its own syntax stored" {
	local ct jpeg
	ct=$BATS_TEST_TMPDIR/ct.ds jpeg=$BATS_TEST_TMPDIR/jpeg.ds
	"$CSTORE_TOOLS/dcm-dataset" "$C/ts/explicit-le.dcm" >"$ct"
	"$CSTORE_TOOLS/dcm-dataset" "$C/ts/jpeg-baseline.dcm" >"$jpeg"
	start_dcmrecv --validate
	fake ts=1.2.840.10008.1.2.4.50 "$ct"
	[ "$output" = $'A900\tnative Pixel Data under an encapsulated transfer syntax\nreleased' ] ||
		{ echo "$output" >&2; return 1; }
	# its Offending Element: Pixel Data (PS3.4 Table B.2-1)
	fake ts=1.2.840.10008.1.2.4.50,offending "$ct"
	[ "${lines[0]}" = $'A900\tnative Pixel Data under an encapsulated transfer syntax\t(7FE0,0010)' ] ||
		{ echo "$output" >&2; return 1; }
	fake plain "$jpeg"
	[ "$output" = $'A900\tencapsulated Pixel Data under a native transfer syntax\nreleased' ] ||
		{ echo "$output" >&2; return 1; }
	fake plain "$ct"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	fake ts=1.2.840.10008.1.2.4.50 "$jpeg"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 2 ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 2 ]
}

@test "dcmrecv --validate: fragments under encapsulated syntaxes nothing here decodes (HTJ2K, MPEG-4, Encapsulated Uncompressed) are stored, not A900" {
	local jpeg=$BATS_TEST_TMPDIR/jpeg.ds ts
	"$CSTORE_TOOLS/dcm-dataset" "$C/ts/jpeg-baseline.dcm" >"$jpeg"
	start_dcmrecv --validate --on-duplicate rename
	for ts in 1.2.840.10008.1.2.4.201 1.2.840.10008.1.2.4.102 1.2.840.10008.1.2.1.98; do
		fake "ts=$ts" "$jpeg"
		[ "$output" = $'0000\t\nreleased' ] || { echo "$ts: $output" >&2; return 1; }
	done
	stop_dcmrecv
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 3 ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 3 ]
}

# frames DS OUT NF NFRAG: the RLE data set DS (one frame: an offset
# table, one fragment) with Number of Frames NF and its fragment NFRAG
# times over, in OUT
frames_ds() {
	python3 - "$@" <<'PY'
import struct, sys
ds, out, nf, nfrag = open(sys.argv[1], "rb").read(), sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
nf += b" " * (len(nf) % 2)
rows = ds.index(b"\x28\x00\x10\x00US")
ds = ds[:rows] + b"\x28\x00\x08\x00IS" + struct.pack("<H", len(nf)) + nf + ds[rows:]
px = ds.index(b"\xe0\x7f\x10\x00OB\0\0\xff\xff\xff\xff") + 12
bot = px + 8 + struct.unpack("<I", ds[px + 4:px + 8])[0]
end = bot + 8 + struct.unpack("<I", ds[bot + 4:bot + 8])[0]
assert ds[end:] == b"\xfe\xff\xdd\xe0\0\0\0\0"
open(out, "wb").write(ds[:bot] + ds[bot:end] * nfrag + ds[end:])
PY
}

@test "dcmrecv --validate: encapsulated Pixel Data with fewer fragments than Number of Frames (PS3.5 A.4: each frame in fragments of its own) is A900 saying so, nothing stored; as many or more are stored" {
	local rle=$BATS_TEST_TMPDIR/rle.ds cls inst
	"$CSTORE_TOOLS/dcm-dataset" "$C/ts/rle.dcm" >"$rle"
	cls=$("$CSTORE_TOOLS/dcm-dataset" -u "$C/ts/rle.dcm" | cut -f1)
	inst=$("$CSTORE_TOOLS/dcm-dataset" -u "$C/ts/rle.dcm" | cut -f2)
	frames_ds "$rle" "$BATS_TEST_TMPDIR/3of2.ds" 3 2
	frames_ds "$rle" "$BATS_TEST_TMPDIR/2of1.ds" 2 1
	frames_ds "$rle" "$BATS_TEST_TMPDIR/2of2.ds" 2 2
	frames_ds "$rle" "$BATS_TEST_TMPDIR/1of3.ds" 1 3
	start_dcmrecv --validate --on-duplicate rename
	fake "ts=1.2.840.10008.1.2.5,class=$cls,inst=$inst,offending" "$BATS_TEST_TMPDIR/3of2.ds"
	[ "$output" = $'A900\t2 Pixel Data fragments for 3 frames\t(7FE0,0010)\nreleased' ] ||
		{ echo "$output" >&2; return 1; }
	fake "ts=1.2.840.10008.1.2.5,class=$cls,inst=$inst" "$BATS_TEST_TMPDIR/2of1.ds"
	[ "$output" = $'A900\t1 Pixel Data fragment for 2 frames\nreleased' ] ||
		{ echo "$output" >&2; return 1; }
	for f in 2of2 1of3; do
		fake "ts=1.2.840.10008.1.2.5,class=$cls,inst=$inst" "$BATS_TEST_TMPDIR/$f.ds"
		[ "$output" = $'0000\t\nreleased' ] || { echo "$f: $output" >&2; return 1; }
	done
	stop_dcmrecv
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 2 ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 2 ]
	# stored as sent, in order
	cmp "$BATS_TEST_TMPDIR/2of2.ds" <("$CSTORE_TOOLS/dcm-dataset" "$(sed -n 1p "$RECV_STDOUT" | cut -f1)")
	cmp "$BATS_TEST_TMPDIR/1of3.ds" <("$CSTORE_TOOLS/dcm-dataset" "$(sed -n 2p "$RECV_STDOUT" | cut -f1)")
}

# Before: A900 "1 Pixel Data fragment for 3 frames", where main stored it.
@test "dcmrecv --validate: JPEG 2000 Part 2 multi-component (.4.92, .4.93) with fewer fragments than frames (PS3.5 A.4.4: frames as components of one codestream) is stored byte for byte" {
	local rle=$BATS_TEST_TMPDIR/rle.ds cls inst ts n=0
	"$CSTORE_TOOLS/dcm-dataset" "$C/ts/rle.dcm" >"$rle"
	cls=$("$CSTORE_TOOLS/dcm-dataset" -u "$C/ts/rle.dcm" | cut -f1)
	inst=$("$CSTORE_TOOLS/dcm-dataset" -u "$C/ts/rle.dcm" | cut -f2)
	frames_ds "$rle" "$BATS_TEST_TMPDIR/3of1.ds" 3 1
	start_dcmrecv --validate --on-duplicate rename
	for ts in 1.2.840.10008.1.2.4.92 1.2.840.10008.1.2.4.93; do
		fake "ts=$ts,class=$cls,inst=$inst" "$BATS_TEST_TMPDIR/3of1.ds"
		[ "$output" = $'0000\t\nreleased' ] || { echo "$ts: $output" >&2; return 1; }
	done
	stop_dcmrecv
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 2 ]
	for n in 1 2; do
		cmp "$BATS_TEST_TMPDIR/3of1.ds" <("$CSTORE_TOOLS/dcm-dataset" "$(sed -n ${n}p "$RECV_STDOUT" | cut -f1)")
	done
}

@test "dcmrecv --validate: native Pixel Data under HTJ2K, JPEG XL, HEVC, Deflated Image Frame Compression or Encapsulated Uncompressed is A900 as under JPEG, nothing stored" {
	local ct=$BATS_TEST_TMPDIR/ct.ds ts
	"$CSTORE_TOOLS/dcm-dataset" "$C/ts/explicit-le.dcm" >"$ct"
	start_dcmrecv --validate
	for ts in 1.2.840.10008.1.2.4.201 1.2.840.10008.1.2.4.203 1.2.840.10008.1.2.4.110 \
		1.2.840.10008.1.2.4.108 1.2.840.10008.1.2.8.1 1.2.840.10008.1.2.1.98; do
		fake "ts=$ts" "$ct"
		[ "$output" = $'A900\tnative Pixel Data under an encapsulated transfer syntax\nreleased' ] ||
			{ echo "$ts: $output" >&2; return 1; }
	done
	stop_dcmrecv
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 0 ]
	[ -z "$(ls -A "$RECV_DIR")" ]
}

# ybr422 FILE UID PIXELS [CLASS]: a native Explicit VR LE image of 6 x 4
# pixels in YBR_FULL_422 (Y1 Y2 Cb Cr for each pair of pixels, PS3.3
# C.7.6.3.1.2: 48 bytes when whole), its Pixel Data PIXELS bytes long,
# as dcm4che's YBR_422.dcm is made; an ultrasound image unless CLASS
ybr422() {
	python3 - "$@" <<'PY'
import os, struct, sys
path, uid, n = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
cls = (sys.argv[4] if len(sys.argv) > 4 else "1.2.840.10008.5.1.4.1.1.6.1").encode()
cols, planar = int(os.environ.get("YBR_COLS", "6")), int(os.environ.get("YBR_PLANAR", "0"))
def el(g, e, vr, v):
    v = v + (b"\0" if vr == b"UI" else b" ") * (len(v) % 2) if vr not in (b"US", b"OB") else v
    if vr == b"OB":
        return struct.pack("<HH", g, e) + vr + b"\0\0" + struct.pack("<I", len(v)) + v
    return struct.pack("<HH", g, e) + vr + struct.pack("<H", len(v)) + v
us = lambda e, v: el(0x28, e, b"US", struct.pack("<H", v))
meta = (el(2, 1, b"OB", b"\0\1") + el(2, 2, b"UI", cls) + el(2, 3, b"UI", uid) +
        el(2, 0x10, b"UI", b"1.2.840.10008.1.2.1") + el(2, 0x12, b"UI", b"1.2.826.0.1.3680043.9.7433.422"))
ds = (el(8, 0x16, b"UI", cls) + el(8, 0x18, b"UI", uid) + el(8, 0x60, b"CS", b"US") +
      el(0x10, 0x10, b"PN", b"Ybr^Subsampled") + el(0x10, 0x20, b"LO", b"422") +
      us(2, 3) + el(0x28, 4, b"CS", b"YBR_FULL_422") + us(6, planar) + us(0x10, 4) + us(0x11, cols) +
      us(0x100, 8) + us(0x101, 8) + us(0x102, 7) + us(0x103, 0) +
      el(0x7fe0, 0x10, b"OB", bytes((i * 37) % 256 for i in range(n))))
with open(path, "wb") as f:
    f.write(b"\0" * 128 + b"DICM" + el(2, 0, b"UL", struct.pack("<I", len(meta))) + meta + ds)
PY
}

@test "dcmrecv --validate: native YBR_FULL_422 holds two samples a pixel (dcm4che's YBR_422.dcm): stored byte for byte, also Deflated; a wrong length A900 naming the right one" {
	local d=$BATS_TEST_TMPDIR/in
	mkdir -p "$d/ok" "$d/bad"
	ybr422 "$d/ok/sub.dcm" 2.25.4220001 48
	# three samples a pixel under that label, as writers that decoded
	# a JPEG and kept the label made it: passed before, passes still
	ybr422 "$d/ok/full.dcm" 2.25.4220002 72
	ybr422 "$d/bad/short.dcm" 2.25.4220003 60
	start_dcmrecv --validate
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$d/ok"
	[ "$(cut -f1 <<<"$output" | sort | uniq -c | tr -s ' ')" = " 2 0000" ] || { echo "$output" >&2; return 1; }
	same_dataset "$d/ok/sub.dcm" "$RECV_DIR/2.25.4220001.dcm"
	same_dataset "$d/ok/full.dcm" "$RECV_DIR/2.25.4220002.dcm"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$d/bad"
	[[ $output == A900$'\t'*'Pixel Data is 60 bytes, not 48 (2 samples a pixel) or 72 (3)'* ]] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ ! -e "$RECV_DIR/2.25.4220003.dcm" ]
	# the walk of an inflated data set is checked the same way
	RECV_DIR=$BATS_TEST_TMPDIR/deflated
	start_dcmrecv --validate --accept-ts DeflatedExplicitVRLittleEndian
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$d/ok/sub.dcm"
	[[ $output == 0000$'\t'*'transcoded to DeflatedExplicitVRLittleEndian'* ]] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ -s "$RECV_DIR/2.25.4220001.dcm" ]
}

@test "dcmrecv --validate: YBR_FULL_422 of odd Columns, 2 samples a pixel counted as pydicom does (Rows x Columns x 2) or with the last pixel as a pair, stored; Planar Configuration 1 holds 3 a pixel: 2/3 of it A900, nothing stored" {
	local d=$BATS_TEST_TMPDIR/in
	mkdir -p "$d/ok" "$d/bad" "$d/planar"
	YBR_COLS=3 ybr422 "$d/ok/pydicom.dcm" 2.25.4220011 24
	YBR_COLS=3 ybr422 "$d/ok/pairs.dcm" 2.25.4220012 32
	YBR_PLANAR=1 ybr422 "$d/ok/planar.dcm" 2.25.4220013 72
	YBR_COLS=3 ybr422 "$d/bad/odd.dcm" 2.25.4220014 30
	YBR_PLANAR=1 ybr422 "$d/planar/cut.dcm" 2.25.4220015 48
	start_dcmrecv --validate
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$d/ok"
	[ "$(cut -f1 <<<"$output" | sort | uniq -c | tr -s ' ')" = " 3 0000" ] || { echo "$output" >&2; return 1; }
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$d/bad"
	[[ $output == A900$'\t'*'Pixel Data is 30 bytes, not 32/24 (2 samples a pixel) or 36 (3)'* ]] || { echo "$output" >&2; return 1; }
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$d/planar"
	[[ $output == A900$'\t'*'Pixel Data is 48 bytes, the image needs 72'* ]] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	same_dataset "$d/ok/pydicom.dcm" "$RECV_DIR/2.25.4220011.dcm"
	same_dataset "$d/ok/pairs.dcm" "$RECV_DIR/2.25.4220012.dcm"
	same_dataset "$d/ok/planar.dcm" "$RECV_DIR/2.25.4220013.dcm"
	[ ! -e "$RECV_DIR/2.25.4220014.dcm" ]
	[ ! -e "$RECV_DIR/2.25.4220015.dcm" ]
}

# nested_ds FILE KIND UID: a bare Explicit VR LE data set (SOP Class and
# Instance UIDs, then a Referenced Series Sequence of defined length, one
# item of defined length, then a sequence and item of undefined length,
# well formed): KIND ok, noitem (an element where its item
# is), overrun (an element running 6 bytes past the end of the item),
# open (an undefined-length sequence last in the item, no delimiter
# before the item's end: dcmdump "Sequence Delimitation Item missing")
nested_ds() {
	python3 - "$@" <<'PY'
import struct, sys
def el(g, e, vr, v, n=None):
    n = len(v) if n is None else n
    if vr in (b"SQ", b"OB", b"UN"):
        return struct.pack("<HH", g, e) + vr + b"\0\0" + struct.pack("<I", n) + v
    return struct.pack("<HH", g, e) + vr + struct.pack("<H", n) + v
def it(body, n=None):
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body) if n is None else n) + body
kind = sys.argv[2]
inner = el(0x20, 0x0E, b"UI", b"2.25.77001\0")
if kind == "noitem":
    seq = inner
elif kind == "overrun":
    seq = it(inner, len(inner) - 6)
elif kind == "open":
    seq = it(inner + el(0x08, 0x1140, b"SQ", b"", 0xFFFFFFFF))
elif kind == "sdl":  # a sequence delimiter counted in the sequence's length
    seq = it(inner) + b"\xfe\xff\xdd\xe0" + bytes(4)
elif kind == "mixed":  # 100 defined-length levels around 40 undefined-length
    seq = inner
    for _ in range(40):
        seq = el(0x40, 0xA730, b"SQ", it(seq, 0xFFFFFFFF) + b"\xfe\xff\x0d\xe0" + bytes(4) + b"\xfe\xff\xdd\xe0" + bytes(4), 0xFFFFFFFF)
    for _ in range(99):
        seq = el(0x40, 0xA730, b"SQ", it(seq))
    seq = it(seq)
else:
    seq = it(inner)
ds = (el(8, 0x16, b"UI", b"1.2.840.10008.5.1.4.1.1.7\0") + el(8, 0x18, b"UI", sys.argv[3].encode()) +
      el(8, 0x1115, b"SQ", seq) +
      el(8, 0x1140, b"SQ", it(inner + b"\xfe\xff\x0d\xe0" + bytes(4), 0xFFFFFFFF) + b"\xfe\xff\xdd\xe0" + bytes(4), 0xFFFFFFFF) +
      el(0x10, 0x10, b"PN", b"Nested^Test "))
open(sys.argv[1], "wb").write(ds)
PY
}

@test "dcmrecv --validate: sequences and items of defined length are parsed too: an element where an item is, one overrunning its item, an undefined-length sequence left open in one are C000 saying so (also Deflated), nothing stored; a sound one stored byte for byte" {
	local k n=0
	for k in ok noitem overrun open; do
		nested_ds "$BATS_TEST_TMPDIR/$k.ds" "$k" 2.25.7700$((++n))
	done
	start_dcmrecv --validate
	fake plain "$BATS_TEST_TMPDIR/ok.ds"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	fake plain "$BATS_TEST_TMPDIR/noitem.ds"
	[[ ${lines[0]} == C000$'\t''expected an item in a sequence, found (0020,000E)'* ]] || { echo "$output" >&2; return 1; }
	fake plain "$BATS_TEST_TMPDIR/overrun.ds"
	[[ ${lines[0]} == C000$'\t''(0020,000E) runs past the end of (FFFE,E000)'* ]] || { echo "$output" >&2; return 1; }
	fake plain "$BATS_TEST_TMPDIR/open.ds"
	[[ ${lines[0]} == C000$'\t''an element header runs past the end of (FFFE,E000)'* ]] || { echo "$output" >&2; return 1; }
	# the same walk over a Deflated one (PS3.5 A.5: raw deflate)
	python3 -c 'import sys, zlib
c = zlib.compressobj(9, zlib.DEFLATED, -15)
z = c.compress(open(sys.argv[1], "rb").read()) + c.flush()
open(sys.argv[2], "wb").write(z + b"\0" * (len(z) % 2))' "$BATS_TEST_TMPDIR/noitem.ds" "$BATS_TEST_TMPDIR/noitem.dfl"
	fake ts=1.2.840.10008.1.2.1.99,class=1.2.840.10008.5.1.4.1.1.7,inst=2.25.77002 "$BATS_TEST_TMPDIR/noitem.dfl"
	[[ ${lines[0]} == C000$'\t''expected an item in a sequence, found (0020,000E)'* ]] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 1 ]
	[ "$(ls "$RECV_DIR")" = 2.25.77001.dcm ] || { ls -A "$RECV_DIR" >&2; return 1; }
	cmp "$BATS_TEST_TMPDIR/ok.ds" <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/2.25.77001.dcm")
}

@test "dcmrecv --validate: a sequence delimiter ending a defined-length sequence (counted in its length, also Deflated) and 100 defined-length sequences around 40 undefined-length ones are stored byte for byte, as without --validate (main stored them)" {
	nested_ds "$BATS_TEST_TMPDIR/sdl.ds" sdl 2.25.77011
	nested_ds "$BATS_TEST_TMPDIR/mixed.ds" mixed 2.25.77012
	nested_ds "$BATS_TEST_TMPDIR/sdl2.ds" sdl 2.25.77013
	python3 -c 'import sys, zlib
c = zlib.compressobj(9, zlib.DEFLATED, -15)
z = c.compress(open(sys.argv[1], "rb").read()) + c.flush()
open(sys.argv[2], "wb").write(z + b"\0" * (len(z) % 2))' "$BATS_TEST_TMPDIR/sdl2.ds" "$BATS_TEST_TMPDIR/sdl2.dfl"
	start_dcmrecv --validate
	fake plain "$BATS_TEST_TMPDIR/sdl.ds"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	fake plain "$BATS_TEST_TMPDIR/mixed.ds"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	fake ts=1.2.840.10008.1.2.1.99,class=1.2.840.10008.5.1.4.1.1.7,inst=2.25.77013 "$BATS_TEST_TMPDIR/sdl2.dfl"
	[ "${lines[0]}" = $'0000\t' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	cmp "$BATS_TEST_TMPDIR/sdl.ds" <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/2.25.77011.dcm")
	cmp "$BATS_TEST_TMPDIR/mixed.ds" <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/2.25.77012.dcm")
	[ -s "$RECV_DIR/2.25.77013.dcm" ]
}

@test "dcmsend: native YBR_FULL_422 of odd Columns holding Rows x Columns x 2 bytes (pydicom's count) for a peer taking only RLE is transcodefail saying why, not 'pixel data holds 24 bytes'" {
	local d=$BATS_TEST_TMPDIR/in
	mkdir -p "$d"
	YBR_COLS=3 ybr422 "$d/sub.dcm" 2.25.4220016 24 1.2.840.10008.5.1.4.1.1.7
	cp "$C/ts/rle.dcm" "$d/"
	start_dcmrecv --accept-ts RLELossless
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$d/rle.dcm" "$d/sub.dcm"
	[[ ${lines[0]} == 0000$'\t'"$d/rle.dcm"$'\t'* ]] || { echo "$output" >&2; return 1; }
	[[ ${lines[1]} == transcodefail$'\t'"$d/sub.dcm"$'\t'*$'\t'"cannot convert ExplicitVRLittleEndian to RLELossless: native YBR_FULL_422 pixels (two samples a pixel, PS3.3 C.7.6.3.1.2) are not converted here" ]] ||
		{ echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ ! -e "$RECV_DIR/2.25.4220016.dcm" ]
}

@test "dcmsend: native YBR_FULL_422 for a peer taking only RLE is transcodefail saying why, not 'pixel data holds 48 bytes, not 1 frames of 72'; the RLE file of its class is sent" {
	local d=$BATS_TEST_TMPDIR/in
	mkdir -p "$d"
	ybr422 "$d/sub.dcm" 2.25.4220004 48 1.2.840.10008.5.1.4.1.1.7
	cp "$C/ts/rle.dcm" "$d/"
	start_dcmrecv --accept-ts RLELossless
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$d/rle.dcm" "$d/sub.dcm"
	[[ ${lines[0]} == 0000$'\t'"$d/rle.dcm"$'\t'* ]] || { echo "$output" >&2; return 1; }
	[[ ${lines[1]} == transcodefail$'\t'"$d/sub.dcm"$'\t'*$'\t'"cannot convert ExplicitVRLittleEndian to RLELossless: native YBR_FULL_422 pixels (two samples a pixel, PS3.3 C.7.6.3.1.2) are not converted here" ]] ||
		{ echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ ! -e "$RECV_DIR/2.25.4220004.dcm" ]
}

# ooo_deflated FILE UID: a bare Deflated Explicit VR LE data set whose
# Patient's Name comes first, before the SOP Class and Instance UIDs (out
# of ascending order, as some writers leave them)
ooo_deflated() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
def el(g, e, vr, v):
    v = v + (b"\0" if vr == b"UI" else b" ") * (len(v) % 2)
    return struct.pack("<HH", g, e) + vr + struct.pack("<H", len(v)) + v
ds = (el(0x10, 0x10, b"PN", b"Late^First") + el(8, 0x16, b"UI", b"1.2.840.10008.5.1.4.1.1.7") +
      el(8, 0x18, b"UI", sys.argv[2].encode()) + el(8, 0x60, b"CS", b"OT") + el(0x10, 0x20, b"LO", b"OOO"))
c = zlib.compressobj(9, zlib.DEFLATED, -15)
z = c.compress(ds) + c.flush()
open(sys.argv[1], "wb").write(z + b"\0" * (len(z) % 2))
PY
}

@test "dcmrecv: a Deflated data set whose UIDs come after a later tag is checked as a native one: 0000, not B007 'no SOP Class UID'; UIDs unlike the request's A900, nothing stored" {
	local ds=$BATS_TEST_TMPDIR/ooo.ds
	ooo_deflated "$ds" 2.25.4230001
	start_dcmrecv
	fake ts=1.2.840.10008.1.2.1.99,class=1.2.840.10008.5.1.4.1.1.7,inst=2.25.4230001 "$ds"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	fake ts=1.2.840.10008.1.2.1.99,class=1.2.840.10008.5.1.4.1.1.7,inst=2.25.4230002 "$ds"
	[ "$output" = $'A900\tSOP Instance UID differs from the command\nreleased' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	cmp "$ds" <(dataset_of "$RECV_DIR/2.25.4230001.dcm")
	[ ! -e "$RECV_DIR/2.25.4230002.dcm" ]
	run -1 grep -c 'no SOP' "$RECV_STDERR"
}

# big_deflated FILE UID [late]: a bare Deflated Explicit VR LE data set
# of ~71 KB inflating to 70 MiB (past the 64 MiB walked): Patient's Name
# first, then the UIDs, then 70 MiB of zeros in (0042,0011); late: the
# UIDs after the zeros, where nothing inflated looks
big_deflated() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
def el(g, e, vr, v):
    v = v + (b"\0" if vr == b"UI" else b" ") * (len(v) % 2)
    return struct.pack("<HH", g, e) + vr + struct.pack("<H", len(v)) + v
uids = el(8, 0x16, b"UI", b"1.2.840.10008.5.1.4.1.1.7") + el(8, 0x18, b"UI", sys.argv[2].encode())
big = struct.pack("<HH", 0x42, 0x11) + b"OB\0\0" + struct.pack("<I", 70 << 20)
c = zlib.compressobj(9, zlib.DEFLATED, -15)
late = len(sys.argv) > 3
z = c.compress(el(0x10, 0x10, b"PN", b"Big^First") + (b"" if late else uids) + big)
zeros = b"\0" * (1 << 20)
for _ in range(70):
    z += c.compress(zeros)
z += c.compress(uids if late else b"") + c.flush()
open(sys.argv[1], "wb").write(z + b"\0" * (len(z) % 2))
PY
}

@test "dcmrecv: a Deflated data set inflating past the 64 MiB walked, UIDs after a later tag: UIDs unlike the request's A900, nothing stored; alike 0000; UIDs past 64 MiB 'UIDs not checked', not B007 'no SOP Class UID'" {
	local ds=$BATS_TEST_TMPDIR/big.ds late=$BATS_TEST_TMPDIR/late.ds
	big_deflated "$ds" 2.25.4240001
	big_deflated "$late" 2.25.4240003 late
	[ "$(stat -c %s "$ds")" -lt 200000 ]
	start_dcmrecv -v
	fake ts=1.2.840.10008.1.2.1.99,class=1.2.840.10008.5.1.4.1.1.7,inst=2.25.4240002 "$ds"
	[ "$output" = $'A900\tSOP Instance UID differs from the command\nreleased' ] || { echo "$output" >&2; return 1; }
	fake ts=1.2.840.10008.1.2.1.99,class=1.2.840.10008.5.1.4.1.1.7,inst=2.25.4240001 "$ds"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	fake ts=1.2.840.10008.1.2.1.99,class=1.2.840.10008.5.1.4.1.1.7,inst=2.25.4240003 "$late"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ ! -e "$RECV_DIR/2.25.4240002.dcm" ]
	cmp "$ds" <(dataset_of "$RECV_DIR/2.25.4240001.dcm")
	cmp "$late" <(dataset_of "$RECV_DIR/2.25.4240003.dcm")
	run -1 grep -c 'no SOP .* in the data set' "$RECV_STDERR"
	grep -q 'UIDs not checked (no SOP Class UID in the first 64 MiB inflated)' "$RECV_STDERR"
}

@test "dcmrecv vs odd SCU: a C-STORE-RQ whose data set is empty (one PDV of no bytes) is C000, nothing stored, not a B007 file of a meta header alone" {
	start_dcmrecv
	: >"$BATS_TEST_TMPDIR/empty.ds"
	fake "class=$CLS0,inst=2.25.4711" "$BATS_TEST_TMPDIR/empty.ds"
	[ "$output" = $'C000\tempty data set: nothing to store\nreleased' ] || { echo "$output" >&2; return 1; }
	fake plain "${DS[0]}"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR")" = "$UID0.dcm" ]
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 1 ]
	grep -q "answered C000 for '2.25.4711': empty data set" "$RECV_STDERR"
}

@test "dcmrecv vs odd SCU: single-byte PDUs, 7-byte PDVs, an empty last PDV, max PDU 0 and 8, requests sent before any response is read: all stored byte for byte" {
	start_dcmrecv
	local m
	for m in split pdv=7 emptylast maxpdu=0 maxpdu=8 shutwr; do
		fake "$m" "${DS[@]}"
		[ "${lines[0]}" = $'0000\t' ] && [ "${lines[1]}" = $'0000\t' ] && [ "${lines[2]}" = $'0000\t' ] ||
			{ echo "$m: $output" >&2; return 1; }
	done
	stop_dcmrecv
	for i in 0 1 2; do stored_as_sent $i; done
	no_temporaries "$RECV_DIR"
}

@test "dcmrecv vs odd SCU: the commands and data sets of three C-STOREs in one P-DATA-TF, also in PDVs of 100 bytes written a byte at a time: every one answered, stored byte for byte" {
	start_dcmrecv
	fake pack "${DS[@]}"
	[ "$output" = $'0000\t\n0000\t\n0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	fake pack,split,pdv=100 "${DS[@]}"
	[ "$output" = $'0000\t\n0000\t\n0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	for i in 0 1 2; do stored_as_sent $i; done
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 6 ]
}

@test "dcmrecv vs odd SCU: a C-CANCEL-RQ gets no response, a C-FIND-RQ 0211 with its identifier read, and the C-STOREs after them are stored byte for byte" {
	start_dcmrecv -v
	fake cancel "${DS[@]}"
	[ "$output" = $'0000\t\n0000\t\n0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	fake find "${DS[0]}"
	[ "$output" = $'0211\tC-FIND-RQ not supported\n0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	for i in 0 1 2; do stored_as_sent $i; done
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 4 ]
	grep -q 'C-FIND-RQ not supported' "$RECV_STDERR"
	grep -q ', 2 associations, 0 rejected, 0 aborted$' "$RECV_STDERR"
}

@test "dcmrecv vs odd SCU: a C-ECHO-RQ on a storage context is not Success: 0211 for that class, 0122 for another, 0212 for Verification (PS3.7 9.1.5.1.4); the C-STOREs after them stored byte for byte" {
	start_dcmrecv
	fake echo "${DS[0]}"
	[ "$output" = $'0211\tC-ECHO-RQ for a SOP class other than Verification\n0000\t\nreleased' ] ||
		{ echo "$output" >&2; return 1; }
	fake echo=1.2.3.4 "${DS[1]}"
	[ "$output" = $'0122\tSOP class not negotiated on context 1\n0000\t\nreleased' ] ||
		{ echo "$output" >&2; return 1; }
	fake echo=1.2.840.10008.1.1 "${DS[2]}"
	[ "$output" = $'0212\tVerification not negotiated on context 1\n0000\t\nreleased' ] ||
		{ echo "$output" >&2; return 1; }
	stop_dcmrecv
	for i in 0 1 2; do stored_as_sent $i; done
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 3 ]
	grep -q 'Verification not negotiated on context 1' "$RECV_STDERR"
}

@test "dcmrecv vs odd SCU: an A-RELEASE-RQ before the last data set fragment is answered A-RELEASE-RP; the objects before it stored, that one not, no temporary left" {
	start_dcmrecv -v
	fake relmid,pdv=64 "${DS[0]}" "${DS[1]}"
	[ "$output" = $'0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	stored_as_sent 0
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 1 ]
	[ "$(ls -A "$RECV_DIR")" = "$UID0.dcm" ]
	no_temporaries "$RECV_DIR"
	grep -q 'release requested in the middle of a message: nothing stored' "$RECV_STDERR"
}

@test "dcmrecv vs odd SCU: a context listing 20 unknown transfer syntaxes before Explicit VR LE (more than the 16 an RQ keeps) is accepted with it; the objects stored byte for byte" {
	start_dcmrecv -v
	fake junkts=20 "${DS[@]}"
	[ "$output" = $'0000\t\n0000\t\n0000\t\nreleased' ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	for i in 0 1 2; do stored_as_sent $i; done
	grep -Eq 'accepted ([0-9]+) of \1 presentation contexts' "$RECV_STDERR"
}

# with_meta SRC DST [undef]: DST is the data set SRC with File Meta
# Information elements (group 0002, Explicit VR LE) before it, as a
# pydicom Dataset holding its meta elements is sent; undef: the last
# of them an SQ of undefined length
with_meta() {
	python3 - "$@" <<'PY'
import struct, sys
def el(e, vr, v):
    if vr in (b"OB", b"SQ"):
        return struct.pack("<HH", 2, e) + vr + b"\0\0" + struct.pack("<I", len(v)) + v
    return struct.pack("<HH", 2, e) + vr + struct.pack("<H", len(v)) + v
m = el(1, b"OB", b"\0\1") + el(0x10, b"UI", b"1.2.840.10008.1.2\0") + el(0x13, b"SH", b"JUNK")
m = el(0, b"UL", struct.pack("<I", len(m))) + m
if len(sys.argv) > 3:
    m += struct.pack("<HH", 2, 0x100) + b"SQ\0\0" + struct.pack("<I", 0xFFFFFFFF)
    m += struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
open(sys.argv[2], "wb").write(m + open(sys.argv[1], "rb").read())
PY
}

@test "dcmrecv vs odd SCU: group 0002 elements at the head of a data set are dropped (PS3.5 7.1), in PDVs of any size, answered B006 (elements discarded); one of undefined length C000, a data set of them alone C000" {
	local m p f=$BATS_TEST_TMPDIR/meta.ds u=$BATS_TEST_TMPDIR/undef.ds
	with_meta "${DS[0]}" "$f"
	with_meta "${DS[1]}" "$u" undef
	start_dcmrecv
	for m in plain pdv=1 pdv=3 pdv=13 split; do
		fake "$m" "$f" "${DS[2]}"
		[ "$output" = $'B006\t\n0000\t\nreleased' ] || { echo "$m: $output" >&2; return 1; }
		stored_as_sent 0
		stored_as_sent 2
	done
	fake "class=$CLS0,inst=2.25.77" "$u"
	[ "$output" = $'C000\t(0002,0100) of undefined length\nreleased' ] ||
		{ echo "$output" >&2; return 1; }
	# nothing but group 0002: nothing left to store
	with_meta /dev/null "$BATS_TEST_TMPDIR/alone.ds"
	fake "class=$CLS0,inst=2.25.78" "$BATS_TEST_TMPDIR/alone.ds"
	[ "$output" = $'C000\tFile Meta Information (group 0002) alone: nothing to store\nreleased' ] ||
		{ echo "$output" >&2; return 1; }
	[ ! -e "$RECV_DIR/2.25.78.dcm" ]
	# in Implicit VR LE and Explicit VR BE data sets alike
	local ts t k cls
	for t in odd/bare-implicit-le:1.2.840.10008.1.2:ivr ts/explicit-be:1.2.840.10008.1.2.2:be; do
		IFS=: read -r f ts k <<<"$t"
		"$CSTORE_TOOLS/dcm-dataset" "$C/$f.dcm" >"$BATS_TEST_TMPDIR/$k.ds"
		python3 - "$BATS_TEST_TMPDIR/$k.ds" "$BATS_TEST_TMPDIR/$k-meta.ds" "$k" <<'PY'
import struct, sys
be = sys.argv[3] == "be"
def el(e, vr, v):
    if not be:
        return struct.pack("<HHI", 2, e, len(v)) + v
    return struct.pack(">HH", 2, e) + vr + struct.pack(">H", len(v)) + v
m = el(0x10, b"UI", b"1.2.840.10008.1.2.1\0") + el(0x13, b"SH", b"JUNK")
open(sys.argv[2], "wb").write(m + open(sys.argv[1], "rb").read())
PY
		IFS=$'\t' read -r cls u _ < <("$CSTORE_TOOLS/dcm-dataset" -u "$C/$f.dcm")
		fake "ts=$ts,class=$cls,inst=$u,pdv=63" "$BATS_TEST_TMPDIR/$k-meta.ds"
		[ "$output" = $'B006\t\nreleased' ] || { echo "$k: $output" >&2; return 1; }
		cmp "$BATS_TEST_TMPDIR/$k.ds" <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/$u.dcm")
	done
	stop_dcmrecv
	# one meta group in the file: the receiver's, with its transfer syntax
	p=$(awk -F'\t' -v u="$UID0" '$3 == u { print $1; exit }' "$RECV_STDOUT")
	[ "$(python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); print(b.count(b"\x02\x00\x10\x00UI"))' "$p")" = 1 ]
	grep -q "4 File Meta Information elements (group 0002) at the head of the data set of '$UID0' dropped: answered B006" "$RECV_STDERR"
	[ "$(grep -c '^' "$RECV_STDOUT")" -eq 12 ]
	no_temporaries "$RECV_DIR"
}

@test "dcmrecv vs odd SCU: a C-STORE-RQ whose data set comes on another accepted context is aborted with the reason; nothing stored, no temporary" {
	"$CSTORE_TOOLS/dcm-dataset" "$C/sop/CTImageStorage.dcm" >"$BATS_TEST_TMPDIR/ct.ds"
	"$CSTORE_TOOLS/dcm-dataset" "$C/sop/MRImageStorage.dcm" >"$BATS_TEST_TMPDIR/mr.ds"
	start_dcmrecv -v
	# two classes, two contexts (1 and 3): the CT's data set on 3
	fake dspcid=3 "$BATS_TEST_TMPDIR/ct.ds" "$BATS_TEST_TMPDIR/mr.ds"
	[ "$output" = aborted ]
	stop_dcmrecv
	[ ! -s "$RECV_STDOUT" ]
	[ -z "$(ls -A "$RECV_DIR")" ]
	grep -q 'accepted 2 of 2 presentation contexts' "$RECV_STDERR"
	grep -q 'fragment on presentation context 3 while the data set of the C-STORE-RQ on context 1 is expected: aborting' "$RECV_STDERR"
	grep -q ' 0 stored, 0 refused, 1 associations, 0 rejected, 1 aborted$' "$RECV_STDERR"
}

@test "dcmrecv vs odd SCU: a P-DATA-TF without PDVs, a reset in the middle of a PDU, no room for the response: each aborted (that one rejected) and counted" {
	start_dcmrecv -v
	fake zeropdv "${DS[0]}"
	[ "$output" = aborted ]
	/usr/bin/python3 "$CSTORE_ROOT/tests/tools/mkbig" "$BATS_TEST_TMPDIR/big.dcm" 4
	"$CSTORE_TOOLS/dcm-dataset" "$BATS_TEST_TMPDIR/big.dcm" >"$BATS_TEST_TMPDIR/big.ds"
	fake rst "$BATS_TEST_TMPDIR/big.ds"
	[ "$output" = reset ]
	# a maximum PDU length that leaves no room for the response: rejected
	fake maxpdu=1 "${DS[0]}"
	[ "$output" = "not accepted: pdu 3" ]
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	grep -q 'association 1: aborted' "$RECV_STDERR"
	grep -q 'association 2: aborted during the C-STORE' "$RECV_STDERR"
	grep -q "association 3 from .* rejected: .*maximum pdu length 1 leaves no room" "$RECV_STDERR"
	# each abort and the rejection counted
	grep -q ': 0 stored, 0 refused, 2 associations, 1 rejected, 2 aborted$' "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmrecv vs odd SCU: an association never released is aborted after -t; a peer reading no responses holds up nobody" {
	start_dcmrecv -t 2
	SECONDS=0
	fake norelease "${DS[0]}"
	[ "${lines[0]}" = $'0000\t' ]
	[[ ${lines[1]} == "pdu 7 after "* ]]
	[ "$SECONDS" -lt 6 ]
	/usr/bin/python3 "$CSTORE_ROOT/tests/tools/fakescu" "$RECV_PORT" noread,repeat=3000 "${DS[1]}" \
		>/dev/null 2>&1 &
	track_pid $!
	sleep 1
	run -0 timeout 10 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${FILES[2]}"
	stop_dcmrecv
	stored_as_sent 2
}

# bats test_tags=serial
@test "dcmrecv: a reader of standard output that stops reading holds the answers, loses nothing, and SIGTERM still ends dcmrecv at once" {
	local fifo=$BATS_TEST_TMPDIR/fifo pf=$BATS_TEST_TMPDIR/port rp rd fk i st
	mkfifo "$fifo"
	# opens the FIFO and reads nothing until told (a router waiting)
	sh -c 'while [ ! -e "$1" ]; do sleep 0.1; done; exec cat' sh "$BATS_TEST_TMPDIR/go" \
		<"$fifo" >"$BATS_TEST_TMPDIR/lines" &
	rd=$!
	track_pid $rd
	mkdir "$BATS_TEST_TMPDIR/out"
	"$CSTORE_BIN/dcmrecv" -t 2 -o "$BATS_TEST_TMPDIR/out" --port-file "$pf" 127.0.0.1:0 \
		>"$fifo" 2>"$BATS_TEST_TMPDIR/err" &
	rp=$!
	track_pid $rp
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	RECV_PORT=$(cat "$pf")
	# 64 KiB of lines fill the pipe after some 500 objects: then no
	# answer goes out until the reader reads (longer than -t: no refusal)
	timeout 60 /usr/bin/python3 "$CSTORE_ROOT/tests/tools/fakescu" "$RECV_PORT" repeat=1500 "${DS[0]}" \
		>"$BATS_TEST_TMPDIR/fake.out" &
	fk=$!
	track_pid $fk
	# the pipe full, then held so for longer than -t: said once in the log
	wait_pipe_full "$fifo"
	sleep 3
	wait_for_line "$BATS_TEST_TMPDIR/err" \
		'^dcmrecv: standard output has taken nothing for [0-9]+ s: waiting for its reader \(SIGTERM stops\)$' 10
	touch "$BATS_TEST_TMPDIR/go"
	wait "$fk"
	[ "$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/fake.out")" -eq 1500 ]
	# the reader stops again (stopped, the pipe still open) and fills;
	# SIGTERM ends dcmrecv all the same
	kill -STOP "$rd"
	timeout 60 /usr/bin/python3 "$CSTORE_ROOT/tests/tools/fakescu" "$RECV_PORT" repeat=1500 "${DS[0]}" \
		>"$BATS_TEST_TMPDIR/fake2.out" &
	fk=$!
	track_pid $fk
	wait_pipe_full "$fifo"
	kill -TERM "$rp"
	for i in $(seq 50); do kill -0 "$rp" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$rp" 2>/dev/null; then
		echo "dcmrecv still running 5 s after SIGTERM" >&2
		return 1
	fi
	st=0
	wait "$rp" || st=$?
	[ "$st" -eq 6 ]
	grep -q "cannot write to standard output: nothing read from it: stopping" "$BATS_TEST_TMPDIR/err"
	wait "$fk" || true
	kill -CONT "$rd"
	wait "$rd" || true
	# every object answered 0000 has its line: the first 1500 and those
	# of the second round written before the pipe filled
	[ "$(wc -l <"$BATS_TEST_TMPDIR/lines")" -eq $((1500 + $(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/fake2.out"))) ]
	[ "$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/fake2.out")" -lt 1500 ]
}

# bats test_tags=serial
@test "dcmrecv -v: a reader of standard error that takes nothing costs log lines, not the service: every object answered, SIGTERM ends it" {
	local fifo=$BATS_TEST_TMPDIR/fifo pf=$BATS_TEST_TMPDIR/port i
	mkfifo "$fifo"
	sleep 60 3<"$fifo" &
	track_pid $!
	RECV_DIR=$BATS_TEST_TMPDIR/out RECV_STDOUT=$BATS_TEST_TMPDIR/recv.out
	mkdir "$RECV_DIR"
	"$CSTORE_BIN/dcmrecv" -v -t 2 -o "$RECV_DIR" --port-file "$pf" 127.0.0.1:0 \
		>"$RECV_STDOUT" 2>"$fifo" &
	RECV_PID=$!
	track_pid $RECV_PID
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	RECV_PORT=$(cat "$pf")
	SECONDS=0
	# some 700 objects' -v lines fill the pipe
	fake repeat=1500 "${DS[0]}"
	[ "$SECONDS" -lt 15 ]
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 1500 ]
	[ "${lines[1500]}" = released ]
	SECONDS=0
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$SECONDS" -lt 5 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1500 ]
	stored_as_sent 0
}

@test "dcmrecv: an output directory made read-only while running: A700 whose Error Comment names the cause, not an I/O error" {
	local out=$BATS_TEST_TMPDIR/out pf=$BATS_TEST_TMPDIR/port i
	unshare -m --propagation private true 2>/dev/null || skip "no private mount namespace"
	mkdir "$out"
	# its own mount namespace, the directory a bind mount of itself
	unshare -m --propagation private sh -c 'mount --bind "$1" "$1" && shift && exec "$@"' sh \
		"$out" "$CSTORE_BIN/dcmrecv" -o "$out" --port-file "$pf" 127.0.0.1:0 \
		>"$BATS_TEST_TMPDIR/recv.out" 2>"$BATS_TEST_TMPDIR/recv.err" &
	RECV_PID=$!
	track_pid $RECV_PID
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	RECV_PORT=$(cat "$pf")
	nsenter -t "$RECV_PID" -m mount -o remount,ro,bind "$out"
	run -1 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${FILES[0]}"
	[[ $output == A700$'\t'*$'\t'"cannot write: Read-only file system; Failure: Refused: out of resources" ]]
	grep -q "Read-only file system" "$BATS_TEST_TMPDIR/recv.err"
	nsenter -t "$RECV_PID" -m mount -o remount,rw,bind "$out"
	run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${FILES[0]}"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(ls -A "$out")" = "$UID0.dcm" ]
}

@test "dcmrecv: a --layout directory that is a file: A700 whose Error Comment says why without our paths; the log names them" {
	RECV_DIR=$BATS_TEST_TMPDIR/secret-root
	mkdir -p "$RECV_DIR"
	echo keep >"$RECV_DIR/$UID0"
	start_dcmrecv --layout '{SOPInstanceUID}/x.dcm'
	run -1 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${FILES[0]}"
	[[ $output == A700$'\t'*$'\t'"cannot write: Not a directory; Failure: Refused: out of resources" ]] ||
		{ echo "$output"; false; }
	[[ $output != *secret-root* ]]
	stop_dcmrecv
	grep -q "secret-root.*Not a directory" "$RECV_STDERR"
	[ "$(cat "$RECV_DIR/$UID0")" = keep ]
	[ "$(ls -A "$RECV_DIR")" = "$UID0" ]
}

@test "dcmrecv: a C000 for a data set that cannot be parsed names in Offending Element (0000,0901) the top-level element the fault is in (PS3.7 9.3.1.2): the element itself, or the sequence around a nested one" {
	# a UT of undefined length after the data set's elements
	{ cat "${DS[0]}"; printf '\xe1\x7f\x10\x10UT\0\0\xff\xff\xff\xff'; } >"$BATS_TEST_TMPDIR/ut.ds"
	# a sequence, an item, and in it an SH of 10 bytes of which 4 come
	{ cat "${DS[1]}"; printf '\xe3\x7f\x10\x00SQ\0\0\xff\xff\xff\xff\xfe\xff\x00\xe0\xff\xff\xff\xff'
		printf '\x08\x00\x00\x01SH\x0a\x00ABCD'; } >"$BATS_TEST_TMPDIR/nested.ds"
	# the data set cut inside an element header: no element to name
	{ cat "${DS[2]}"; printf '\xe1\x7f\x10'; } >"$BATS_TEST_TMPDIR/hdr.ds"
	start_dcmrecv
	fake offending "$BATS_TEST_TMPDIR/ut.ds"
	[[ ${lines[0]} == C000$'\t'*"(7FE1,1010)"*$'\t(7FE1,1010)' ]] || { echo "$output" >&2; return 1; }
	fake offending "$BATS_TEST_TMPDIR/nested.ds"
	[[ ${lines[0]} == C000$'\t'*"(0008,0100)"*$'\t(7FE3,0010)' ]] || { echo "$output" >&2; return 1; }
	fake offending "$BATS_TEST_TMPDIR/hdr.ds"
	[[ ${lines[0]} == C000$'\t'*"header"*$'\t-' ]] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
}

@test "dcmrecv: a C000's Error Comment is why the data set cannot be parsed, first; longer than LO's 64 characters it is cut to 61 and '...'; the log and quarantine.log have it whole" {
	local q=$BATS_TEST_TMPDIR/q why off
	mkdir -p "$q"
	# a UT of undefined length after the data set's elements
	off=$(stat -c %s "${DS[0]}")
	{ cat "${DS[0]}"; printf '\xe1\x7f\x10\x10UT\0\0\xff\xff\xff\xff'; } >"$BATS_TEST_TMPDIR/long.ds"
	why="undefined length not allowed for VR 'UT' in (7FE1,1010) (malformed data set, offset $off)"
	start_dcmrecv --validate --quarantine "$q"
	fake plain "$BATS_TEST_TMPDIR/long.ds"
	# before: "cannot parse the data set: malformed dataset at offset 492: u",
	# the reason lost to LO's 64 characters, with no sign of the cut,
	# in the log too
	[ "${lines[0]}" = "C000	${why:0:61}..." ] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	grep -qF "answered C000 for '$UID0': cannot parse the data set: $why" "$RECV_STDERR"
	[ "$(cut -f2,3 "$q/quarantine.log")" = "C000	cannot parse the data set: $why" ]
}
