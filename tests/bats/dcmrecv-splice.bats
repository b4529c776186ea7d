#!/usr/bin/env bats
# dcmrecv moves large data set payload socket -> pipe -> file by
# splice(2) (lib/net/pump_splice.c, lib/storescp/store_splice.c): the
# stored files are byte for byte those of the ordinary path
# (CSTORE_NO_SPLICE=1) and the sent data sets, for objects of several
# sizes, values after the Pixel Data, encapsulated fragments, from our
# dcmsend and DCMTK's storescu, and PDVs and a data set of odd length
# sent raw; a sender killed in the middle of a spliced object leaves no
# file; --max-object-size crossed in spliced payload answers A700.  /proc/PID/io says
# whether the bytes went through write(2) (wchar) or not.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

STALL=$BATS_TEST_DIRNAME/../tools/stall-send
SC=1.2.840.10008.5.1.4.1.1.7

# mkobj FILE BYTES UID KIND: a Part 10 Secondary Capture object whose
# Pixel Data holds BYTES random bytes (even: senders pad odd values);
# KIND native (Explicit VR LE), trail (a value after the Pixel Data),
# odd (that value of odd length: the data set is odd) or encap (RLE
# Lossless, the bytes in fragments of at most 700000).
mkobj() {
	python3 - "$@" <<'PY'
import os, struct, sys
path, n, uid, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def el(g, e, vr, v, undef=False):
    if vr in ("OB", "OW", "UN"):
        return struct.pack("<HH2sHI", g, e, vr.encode(), 0, 0xFFFFFFFF if undef else len(v)) + v
    return struct.pack("<HH2sH", g, e, vr.encode(), len(v)) + v
def ui(s):
    b = s.encode()
    return b + b"\0" if len(b) % 2 else b
ts = "1.2.840.10008.1.2.5" if kind == "encap" else "1.2.840.10008.1.2.1"
cls = "1.2.840.10008.5.1.4.1.1.7"
px = os.urandom(n)
ds = el(8, 0x16, "UI", ui(cls)) + el(8, 0x18, "UI", ui(uid)) + el(0x10, 0x20, "LO", b"SPLICE")
if kind == "encap":
    frags = struct.pack("<HHI", 0xFFFE, 0xE000, 0)
    for i in range(0, n, 700000):
        f = px[i:i + 700000]
        f += b"\0" * (len(f) % 2)
        frags += struct.pack("<HHI", 0xFFFE, 0xE000, len(f)) + f
    ds += el(0x7FE0, 0x10, "OB", b"", True) + frags + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
else:
    ds += el(0x7FE0, 0x10, "OB", px)
if kind in ("trail", "odd"):
    ds += el(0xFFFC, 0xFFFC, "OB", b"\1\2\3\4\5\6\7" + (b"" if kind == "odd" else b"\x08"))
meta = el(2, 1, "OB", b"\0\1") + el(2, 2, "UI", ui(cls)) + el(2, 3, "UI", ui(uid)) \
    + el(2, 0x10, "UI", ui(ts)) + el(2, 0x12, "UI", ui("2.25.1"))
with open(path, "wb") as f:
    f.write(b"\0" * 128 + b"DICM" + el(2, 0, "UL", struct.pack("<I", len(meta))) + meta + ds)
PY
}

setup_file() {
	local d=$BATS_FILE_TMPDIR/in
	mkdir -p "$d"
	# one PDV of 256 KiB or less, several, a value after the Pixel
	# Data, fragments (uids 2.25.7001...)
	mkobj "$d/a.dcm" 300000 2.25.7001 native
	mkobj "$d/b.dcm" 1500000 2.25.7002 native
	mkobj "$d/c.dcm" 4000002 2.25.7003 trail
	mkobj "$d/d.dcm" 6000000 2.25.7004 native
	mkobj "$d/e.dcm" 2500002 2.25.7005 encap
	mkobj "$d/f.dcm" 70000 2.25.7006 native
	ls "$d"/*.dcm >"$BATS_FILE_TMPDIR/list"
	# storescu proposes RLE only with its codecs, and drops Data Set
	# Trailing Padding: the others
	grep -v -e c.dcm -e e.dcm "$BATS_FILE_TMPDIR/list" >"$BATS_FILE_TMPDIR/list-dcmtk"
	mkobj "$BATS_FILE_TMPDIR/odd.dcm" 3000000 2.25.7007 odd
}

# wchar PID: bytes the process wrote through write(2) and its kin
wchar() { sed -n 's/^wchar: //p' "/proc/$1/io"; }

# recv_all LIST MODE SENDER...: our dcmrecv (MODE on, or off:
# CSTORE_NO_SPLICE=1) into $BATS_TEST_TMPDIR/MODE takes every file of
# LIST from SENDER (a command; the port is appended, then the files);
# sets WCHAR to what it wrote by write(2)
recv_all() {
	LIST=$BATS_FILE_TMPDIR/$1
	local mode=$2
	shift 2
	RECV_DIR=$BATS_TEST_TMPDIR/$mode
	if [ "$mode" = off ]; then
		CSTORE_NO_SPLICE=1 start_dcmrecv
	else
		start_dcmrecv
	fi
	run -0 --separate-stderr "$@" "$RECV_PORT" $(cat "$LIST")
	WCHAR=$(wchar "$RECV_PID")
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	unset RECV_DIR
}

# same_files: both modes stored the same files, byte for byte, and
# each data set is the one sent
same_files() {
	local f u got
	for f in $(cat "$LIST"); do
		u=$(/usr/bin/dcmdump -q -Un +P 0008,0018 "$f" | sed -n 's/^[^[]*\[\([^]]*\)\].*/\1/p')
		got=$BATS_TEST_TMPDIR/on/$u.dcm
		cmp "$got" "$BATS_TEST_TMPDIR/off/$u.dcm"
		cmp <(dataset_of "$got") <(dataset_of "$f")
	done
	[ "$(ls "$BATS_TEST_TMPDIR/on" | wc -l)" -eq "$(wc -l <"$LIST")" ]
	no_temporaries "$BATS_TEST_TMPDIR/on"
}

@test "dcmrecv splice: objects from dcmsend, several sizes, odd lengths, fragments: the same bytes with splice on and off" {
	local total
	total=$(cat $(cat "$BATS_FILE_TMPDIR/list") | wc -c)
	recv_all list on "$CSTORE_BIN/dcmsend" 127.0.0.1
	local won=$WCHAR
	recv_all list off "$CSTORE_BIN/dcmsend" 127.0.0.1
	same_files
	# the ordinary path writes every byte; splice most of them not
	# (the first MiB of each object is read as usual)
	[ "$WCHAR" -ge "$total" ]
	[ "$won" -lt $((total / 2)) ]
}

@test "dcmrecv splice: objects from DCMTK storescu, as it fragments them (128 and 16 KiB PDUs)" {
	recv_all list-dcmtk on /usr/bin/storescu -aec ANY-SCP --max-send-pdu 131072 127.0.0.1
	local won=$WCHAR
	recv_all list-dcmtk off /usr/bin/storescu -aec ANY-SCP --max-send-pdu 131072 127.0.0.1
	same_files
	[ "$won" -lt $((WCHAR / 2)) ]
	rm -rf "$BATS_TEST_TMPDIR/on" "$BATS_TEST_TMPDIR/off"
	# PDVs under the threshold: nothing spliced, the same bytes
	recv_all list-dcmtk on /usr/bin/storescu -aec ANY-SCP --max-send-pdu 16384 127.0.0.1
	won=$WCHAR
	recv_all list-dcmtk off /usr/bin/storescu -aec ANY-SCP --max-send-pdu 16384 127.0.0.1
	same_files
	# (give or take the log lines, whose port numbers differ)
	[ "$won" -ge $((WCHAR - 1000)) ]
}

@test "dcmrecv splice: PDVs and a data set of odd length, sent raw: the bytes as sent, splice on and off" {
	local ds=$BATS_TEST_TMPDIR/odd.ds mode
	dataset_of "$BATS_FILE_TMPDIR/odd.dcm" >"$ds"
	[ $(($(wc -c <"$ds") % 2)) -eq 1 ]
	for mode in on off; do
		RECV_DIR=$BATS_TEST_TMPDIR/$mode
		if [ $mode = off ]; then
			CSTORE_NO_SPLICE=1 start_dcmrecv
		else
			start_dcmrecv
		fi
		run -0 --separate-stderr env STALL_PDV=200001 python3 "$STALL" "$RECV_PORT" "$SC" 2.25.7007 "$ds" 999999999 "$BATS_TEST_TMPDIR/m"
		[ "$output" = 0000 ]
		[ $mode = off ] || [ "$(wchar "$RECV_PID")" -lt 1500000 ]
		stop_dcmrecv
		cmp <(dataset_of "$RECV_DIR/2.25.7007.dcm") "$ds"
	done
	cmp "$BATS_TEST_TMPDIR/on/2.25.7007.dcm" "$BATS_TEST_TMPDIR/off/2.25.7007.dcm"
}

@test "dcmrecv splice: a sender killed in the middle of a spliced object: no file, the line says aborted; the next sender is served" {
	local ds=$BATS_TEST_TMPDIR/d.ds m=$BATS_TEST_TMPDIR/m spid
	dataset_of "$BATS_FILE_TMPDIR/in/d.dcm" >"$ds"
	start_dcmrecv -v
	STALL_PDV=262000 python3 "$STALL" "$RECV_PORT" "$SC" 2.25.7004 "$ds" 3000000 "$m" &
	spid=$!
	track_pid "$spid"
	for _ in $(seq 200); do [ -e "$m" ] && break; sleep 0.1; done
	[ -e "$m" ]
	# 3 MB in: spliced, not written
	[ "$(wchar "$RECV_PID")" -lt 1500000 ]
	kill -9 "$spid"
	wait "$spid" || true
	wait_for_line "$RECV_STDERR" "aborted during the C-STORE of '2.25.7004': nothing stored"
	[ -z "$(ls -A "$RECV_DIR")" ]
	[ "$(open_temp_size "$RECV_PID" "$RECV_DIR")" -eq -1 ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$BATS_FILE_TMPDIR/in/d.dcm"
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR")" = 2.25.7004.dcm ]
	cmp <(dataset_of "$RECV_DIR/2.25.7004.dcm") "$ds"
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
}

@test "dcmrecv splice: --max-object-size crossed inside the spliced payload: A700 and nothing written, as without splice" {
	local ds=$BATS_TEST_TMPDIR/d.ds mode
	dataset_of "$BATS_FILE_TMPDIR/in/d.dcm" >"$ds"
	for mode in on off; do
		if [ $mode = off ]; then
			CSTORE_NO_SPLICE=1 start_dcmrecv --max-object-size 2500000
		else
			start_dcmrecv --max-object-size 2500000
		fi
		run -0 --separate-stderr env STALL_PDV=262000 python3 "$STALL" "$RECV_PORT" "$SC" 2.25.7004 "$ds" 999999999 "$BATS_TEST_TMPDIR/m"
		[ "$output" = "A700	object larger than the limit of 2500000 bytes" ]
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$BATS_FILE_TMPDIR/in/b.dcm"
		stop_dcmrecv
		[ "$(ls -A "$RECV_DIR")" = 2.25.7002.dcm ]
		rm -rf "$RECV_DIR"
	done
}

@test "dcmrecv splice: a Deflated data set, inflated to its end (not spliced): the bytes as sent, splice on and off" {
	local z=$BATS_TEST_TMPDIR/z.dcm mode
	/usr/bin/dcmconv +td "$BATS_FILE_TMPDIR/in/d.dcm" "$z"
	[ "$(meta_value "$z" 0002,0010)" = 1.2.840.10008.1.2.1.99 ]
	local odd=$(dataset_of "$z" | wc -c)
	for mode in on off; do
		RECV_DIR=$BATS_TEST_TMPDIR/$mode
		if [ $mode = off ]; then
			CSTORE_NO_SPLICE=1 start_dcmrecv
		else
			start_dcmrecv
		fi
		# the tail is inflated to see the stream end (store_inflate.h):
		# a splice would hide it, and the data set be refused as cut
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$z"
		stop_dcmrecv
		# a deflate stream of odd length goes with its pad byte
		# (PS3.5 A.5; dcmsend says so)
		cmp <(dataset_of "$RECV_DIR/2.25.7004.dcm") <(dataset_of "$z"
			[ $((odd % 2)) -eq 0 ] || printf '\0')
	done
	cmp "$BATS_TEST_TMPDIR/on/2.25.7004.dcm" "$BATS_TEST_TMPDIR/off/2.25.7004.dcm"
}

@test "dcmrecv splice: a disk that fills inside spliced payload names the file, as the ordinary path does; nothing partial" {
	unshare -m --propagation private sh -c "mount -t tmpfs -o size=1m tmpfs '$BATS_TEST_TMPDIR'" 2>/dev/null ||
		skip "no private mount namespace with tmpfs (unshare -m refused)"
	local mode d w
	for mode in on off; do
		d=$BATS_TEST_TMPDIR/$mode
		w=$BATS_TEST_TMPDIR/wrap-$mode
		mkdir -p "$d" "$w"
		# dcmrecv alone sees a 3 MiB tmpfs on $d (the first MiB of an object is read as usual, the rest spliced) (exec all the way: its PID is dcmrecv's)
		cat >"$w/dcmrecv" <<WRAP
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount -t tmpfs -o size=3m tmpfs "$d" && exec "\$0" "\$@"' "$CSTORE_BIN/dcmrecv" "\$@"
WRAP
		chmod +x "$w/dcmrecv"
		RECV_DIR=$d
		if [ "$mode" = off ]; then
			CSTORE_NO_SPLICE=1 CSTORE_BIN=$w start_dcmrecv
		else
			CSTORE_BIN=$w start_dcmrecv
		fi
		run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$BATS_FILE_TMPDIR/in/d.dcm"
		assert_output --regexp $'^A700\t'
		[ -z "$(ls -A "/proc/$RECV_PID/root$d")" ]
		stop_dcmrecv
		# one shape of line for both paths: the file, then the reason
		grep -E "cannot store '2\.25\.7004': cannot write '$d/[^']+': No space left on device: the rest is discarded" "$RECV_STDERR"
	done
}
