#!/usr/bin/env bats
# dcmrecv leaves no debris and one object cannot fill the disk for the
# others (issue 14): temporary files that vanish with the process
# (O_TMPFILE) or are swept once their owner is gone, made in the final
# directory (a tmpfs mounted below the output directory), ENOSPC freeing
# the space at once, --min-free-space, --max-object-size, kill -9 in the
# middle of a 50 MB object.  Mounts happen in the receiver's own mount
# namespace (unshare -m); its files are read through /proc/PID/root.
# CSTORE_TEST_NO_TMPFILE=1 makes the receiver use named temporaries,
# as on a file system without O_TMPFILE.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
FIXINST=2.25.314159265358979323846264338327950
BIGCLS=1.2.840.10008.5.1.4.1.1.7.3
BIGINST=2.25.1234567890123456789012345678901
STALL=$BATS_TEST_DIRNAME/../tools/stall-send

setup() {
	unset CSTORE_TEST_NO_TMPFILE
}

# big MB: $BIG (a Part 10 file of about MB megabytes) and $BIGDS (its
# data set alone)
big() {
	BIG=$BATS_TEST_TMPDIR/big$1.dcm
	BIGDS=$BATS_TEST_TMPDIR/big$1.ds
	[ -s "$BIGDS" ] && return 0
	python3 "$CSTORE_ROOT/tests/tools/mkbig" "$BIG" "$1"
	ds_file "$BIG" "$BIGDS"
}

# require_mountns: skip when the kernel does not let us mount a tmpfs in
# a mount namespace of our own
require_mountns() {
	unshare -m --propagation private sh -c \
		"mount -t tmpfs -o size=1m tmpfs '$BATS_TEST_TMPDIR'" 2>/dev/null ||
		skip "no private mount namespace with tmpfs (unshare -m refused): not root, or the kernel forbids it"
}

# tmpfs_dcmrecv SIZE MNT: a directory with a dcmrecv wrapper that runs
# the real one in its own mount namespace with a tmpfs of SIZE on MNT
# (exec all the way: its PID is dcmrecv's)
tmpfs_dcmrecv() {
	local w=$BATS_TEST_TMPDIR/wrap
	mkdir -p "$w" "$2"
	cat >"$w/dcmrecv" <<WRAP
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount -t tmpfs -o size=$1 tmpfs "$2" && exec "\$0" "\$@"' "$CSTORE_BIN/dcmrecv" "\$@"
WRAP
	chmod +x "$w/dcmrecv"
	echo "$w"
}

# wait_file F: F exists within 20 s
wait_file() {
	local i
	for i in $(seq 200); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	echo "no $1 after 20 s" >&2
	return 1
}

# free_bytes DIR: bytes available in DIR's file system
free_bytes() { echo $(($(stat -f -c '%a * %S' "$1"))); }

# no_partial_names DIR: every file under a final name is a DICOM file
# dcmdump reads to its end
no_partial_names() {
	local f
	while IFS= read -r -d '' f; do
		/usr/bin/dcmdump -q "$f" >/dev/null || { echo "unreadable: $f" >&2; return 1; }
	done < <(find "$1" -type f ! -name '.cstore-tmp-*' -print0)
}

# no_partial DIR: the same, and no temporary file either
no_partial() {
	no_temporaries "$1"
	no_partial_names "$1"
}

@test "dcmrecv-debris: --max-object-size and --min-free-space take sizes; bad ones are usage errors" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --max-object-size 12Q 0
	[[ $stderr == *"--max-object-size '12Q': expected a size in bytes"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --min-free-space '' 0
	[[ $stderr == *"--min-free-space '': expected a size"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --min-free-space 99999999999T 0
	[[ $stderr == *"expected a size"* ]]
	run -0 --separate-stderr "$CSTORE_BIN/dcmrecv" --help
	[[ $output == *"--max-object-size SIZE"* ]]
	[[ $output == *"--min-free-space SIZE"* ]]
}

@test "dcmrecv-debris: an object over --max-object-size gets A700 saying why, nothing written; the next is stored" {
	big 3
	start_dcmrecv --max-object-size 1M
	run -0 --separate-stderr python3 "$STALL" "$RECV_PORT" "$BIGCLS" "$BIGINST" "$BIGDS" 999999999 "$BATS_TEST_TMPDIR/m"
	[ "$output" = "A700	object larger than the limit of 1048576 bytes" ]
	[ -z "$(ls -A "$RECV_DIR")" ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	same_dataset "$FIX" "$RECV_DIR/$FIXINST.dcm"
	[ "$(ls -A "$RECV_DIR")" = "$FIXINST.dcm" ]
	grep -q "is larger than 1048576 bytes: the rest is discarded" "$RECV_STDERR"
}

@test "dcmrecv-debris: sizes read K as 1024 and KB as 1000, a fraction allowed" {
	big 3
	start_dcmrecv --max-object-size 1MB
	run -0 --separate-stderr python3 "$STALL" "$RECV_PORT" "$BIGCLS" "$BIGINST" "$BIGDS" 999999999 "$BATS_TEST_TMPDIR/m"
	[ "$output" = "A700	object larger than the limit of 1000000 bytes" ]
	stop_dcmrecv
	start_dcmrecv --max-object-size 1.5M
	run -0 --separate-stderr python3 "$STALL" "$RECV_PORT" "$BIGCLS" "$BIGINST" "$BIGDS" 999999999 "$BATS_TEST_TMPDIR/m"
	[ "$output" = "A700	object larger than the limit of 1572864 bytes" ]
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
}

@test "dcmrecv-debris: past the hard cap (limit + 64 MiB) the association is aborted; others are served" {
	big 70
	start_dcmrecv --max-object-size 1K
	run -1 --separate-stderr python3 "$STALL" "$RECV_PORT" "$BIGCLS" "$BIGINST" "$BIGDS" 999999999 "$BATS_TEST_TMPDIR/m"
	[[ $output == aborted || $output == closed ]]
	[ -z "$(ls -A "$RECV_DIR")" ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	stop_dcmrecv
	same_dataset "$FIX" "$RECV_DIR/$FIXINST.dcm"
	grep -q "passed 67109888 bytes: aborting" "$RECV_STDERR"
}

@test "dcmrecv-debris: below --min-free-space a new object gets A700 before a byte is written" {
	ds_file "$FIX" "$BATS_TEST_TMPDIR/fix.ds"
	start_dcmrecv --min-free-space 1000000T
	run -0 --separate-stderr python3 "$STALL" "$RECV_PORT" 1.2.840.10008.5.1.4.1.1.7 "$FIXINST" \
		"$BATS_TEST_TMPDIR/fix.ds" 999999999 "$BATS_TEST_TMPDIR/m"
	[ "$output" = "A700	out of resources: less free space than the minimum" ]
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	grep -q "only [0-9]* bytes free in" "$RECV_STDERR"
	# the same with room to spare: stored
	start_dcmrecv --min-free-space 1K
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	stop_dcmrecv
	same_dataset "$FIX" "$RECV_DIR/$FIXINST.dcm"
}

# -q silences notes and refusals, but an object refused for want of
# resources (A7xx: a full disk) is the operator's to mend: still said.
@test "dcmrecv-debris: under -q an object answered A700 for want of space is still one line on standard error, the notes are not" {
	start_dcmrecv -q --min-free-space 1000000T
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	[[ $output == A700$'\t'* ]] || { echo "$output" >&2; return 1; }
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	[ "$(grep -c "answered A700 for '$FIXINST': out of resources: less free space than the minimum" "$RECV_STDERR")" -eq 1 ] ||
		{ cat "$RECV_STDERR" >&2; return 1; }
	run grep -c "only [0-9]* bytes free in" "$RECV_STDERR"
	[ "$output" = 0 ]
}

# Objects through a layout whose directory is a tmpfs mounted below the
# output directory: each lands in the tmpfs, complete.
across_mount() {
	require_mountns
	big 3
	local out=$BATS_TEST_TMPDIR/out mnt w root
	mnt=$out/nas
	w=$(tmpfs_dcmrecv 64m "$mnt")
	CSTORE_BIN=$w start_dcmrecv --layout "$1"
	root=/proc/$RECV_PID/root
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX" "$BIG"
	# in the receiver's tmpfs, not in the directory the host sees
	[ -z "$(ls -A "$mnt")" ]
	[ "$(find "$root$mnt" -type f | wc -l)" -eq 2 ]
	same_dataset "$FIX" "$(find "$root$mnt" -type f -name "$FIXINST.dcm")"
	same_dataset "$BIG" "$(find "$root$mnt" -type f -name "$BIGINST.dcm")"
	no_partial "$root$out"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	refute grep -q "cannot" "$RECV_STDERR"
}

@test "dcmrecv-debris: a layout crossing a tmpfs mounted below the output directory stores every object" {
	across_mount 'nas/{SOPInstanceUID}.dcm'
}

@test "dcmrecv-debris: the same with a layout naming data set values ({PatientID})" {
	across_mount 'nas/{PatientID}/{SOPInstanceUID}.dcm'
}

@test "dcmrecv-debris: the same with named temporary files (no O_TMPFILE)" {
	export CSTORE_TEST_NO_TMPFILE=1
	across_mount 'nas/{PatientID}/{Modality}/{SOPInstanceUID}.dcm'
}

# bats test_tags=serial
@test "dcmrecv-debris: a 2 MB tmpfs: A700 for a bigger object, its space freed at once, other senders served, nothing partial" {
	require_mountns
	big 5
	local d=$BATS_TEST_TMPDIR/small w root full m=$BATS_TEST_TMPDIR/stall i
	w=$(tmpfs_dcmrecv 2m "$d")
	RECV_DIR=$d CSTORE_BIN=$w start_dcmrecv
	root=/proc/$RECV_PID/root
	full=$(free_bytes "$root$d")
	python3 "$STALL" "$RECV_PORT" "$BIGCLS" "$BIGINST" "$BIGDS" 3000000 "$m" >"$BATS_TEST_TMPDIR/stall.out" &
	local spid=$!
	track_pid "$spid"
	wait_file "$m"
	# 3 MB sent, the object is still open: the disk filled, and the
	# space is back already
	for i in $(seq 100); do
		grep -q "No space left on device" "$RECV_STDERR" && break
		sleep 0.1
	done
	grep -q "No space left on device: the rest is discarded" "$RECV_STDERR"
	[ "$(free_bytes "$root$d")" -eq "$full" ]
	[ "$(open_temp_size "$RECV_PID" "$root$d")" -eq -1 ]
	# another sender meanwhile: served
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	same_dataset "$FIX" "$root$d/$FIXINST.dcm"
	touch "$m.go"
	wait "$spid"
	[ "$(cut -f1 "$BATS_TEST_TMPDIR/stall.out")" = A700 ]
	[[ "$(cat "$BATS_TEST_TMPDIR/stall.out")" == *"cannot write"* ]]
	# the big one again, whole: A700 once more, space free again
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$BIG"
	[[ $output == *A700* ]]
	[ "$(ls -A "$root$d")" = "$FIXINST.dcm" ]
	no_partial "$root$d"
	stop_dcmrecv
}

# A file system out of inodes says ENOSPC with blocks to spare: df -h
# shows room, so the log says which (it said "No space left on device"
# alone); the peer's Error Comment stays the system's words.
@test "dcmrecv-debris: out of inodes (a tmpfs of 6): A700, the log says no free inodes for a file and for a directory, nothing partial" {
	require_mountns
	local d=$BATS_TEST_TMPDIR/few w root c
	local -a files
	c=$(corpus_dir)
	mapfile -t files < <(awk -F'\t' -v c="$c" 'NR > 1 && $1 ~ /^sop\// && n++ < 6 { print c "/" $1 }' "$c/MANIFEST.tsv")
	[ "${#files[@]}" -eq 6 ]
	w=$(tmpfs_dcmrecv 1m,nr_inodes=6 "$d")
	RECV_DIR=$d CSTORE_BIN=$w start_dcmrecv --layout '{SOPInstanceUID}/f.dcm'
	root=/proc/$RECV_PID/root
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${files[@]}"
	# the root, two directories and their files, a third directory
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	[ "$(grep -c $'^A700\t.*no space left on device' <<<"$output")" -eq 4 ]
	grep -q "cannot create a file in '$d/[0-9.]*': No space left on device (no free inodes: see df -i)" "$RECV_STDERR"
	grep -q "cannot create directory '$d/[0-9.]*': No space left on device (no free inodes: see df -i)" "$RECV_STDERR"
	[ "$(find "$root$d" -type f | wc -l)" -eq 2 ]
	no_partial "$root$d"
	stop_dcmrecv
}

@test "dcmrecv-debris: an object past the file size limit (ulimit -f) is A700 'File too large', not a death by SIGXFSZ; nothing partial, the next one stored" {
	big 2
	local w=$BATS_TEST_TMPDIR/fsize d=$BATS_TEST_TMPDIR/out
	mkdir -p "$w"
	# 1 MiB for the receiver alone (its PID is dcmrecv's)
	printf '#!/bin/sh\nulimit -f 1024 && exec "%s" "$@"\n' "$CSTORE_BIN/dcmrecv" >"$w/dcmrecv"
	chmod +x "$w/dcmrecv"
	RECV_DIR=$d CSTORE_BIN=$w start_dcmrecv
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$BIG"
	assert_output --regexp $'^A700\t.*cannot write: File too large'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	same_dataset "$FIX" "$d/$FIXINST.dcm"
	[ "$(ls -A "$d")" = "$FIXINST.dcm" ]
	no_partial "$d"
	kill -0 "$RECV_PID"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

# kill9_rounds: three times, a 50 MB object is cut by kill -9 of the
# receiver halfway, and the receiver restarted on the same directory;
# a small object is stored in each round.  Then the big one whole.
kill9_rounds() {
	big 50
	local r m i left
	for r in 1 2 3; do
		start_dcmrecv -v
		# what the last one left is gone before the first object
		no_temporaries "$RECV_DIR"
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
		m=$BATS_TEST_TMPDIR/stall$r
		python3 "$STALL" "$RECV_PORT" "$BIGCLS" "$BIGINST" "$BIGDS" 25000000 "$m" >/dev/null &
		track_pid $!
		wait_file "$m"
		for i in $(seq 100); do
			[ "$(open_temp_size "$RECV_PID" "$RECV_DIR")" -gt 10000000 ] && break
			sleep 0.1
		done
		[ "$(open_temp_size "$RECV_PID" "$RECV_DIR")" -gt 10000000 ]
		kill -KILL "$RECV_PID"
		wait "$RECV_PID" || true
		left=$(find "$RECV_DIR" -name '.cstore-tmp-*' | wc -l)
		if [ -n "${CSTORE_TEST_NO_TMPFILE:-}" ]; then
			[ "$left" -eq 1 ] # what the sweep is for
		else
			[ "$left" -eq 0 ]
		fi
		touch "$m.go"
		no_partial_names "$RECV_DIR"
	done
	start_dcmrecv -v
	no_temporaries "$RECV_DIR"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$BIG"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	same_dataset "$BIG" "$RECV_DIR/$BIGINST.dcm"
	same_dataset "$FIX" "$RECV_DIR/$FIXINST.dcm"
	no_partial "$RECV_DIR"
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 2 ]
}

@test "dcmrecv-debris: kill -9 in the middle of a 50 MB object, three times: no debris, every file complete" {
	kill9_rounds
}

@test "dcmrecv-debris: the same with named temporaries: the restart sweeps the dead receiver's" {
	export CSTORE_TEST_NO_TMPFILE=1
	kill9_rounds
	grep -q "removed 1 temporary file of receivers that are gone" "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmrecv-debris: a second receiver started on the directory during a transfer costs the first nothing" {
	export CSTORE_TEST_NO_TMPFILE=1
	big 5
	local m=$BATS_TEST_TMPDIR/stall pf=$BATS_TEST_TMPDIR/second.port p2 i
	start_dcmrecv
	python3 "$STALL" "$RECV_PORT" "$BIGCLS" "$BIGINST" "$BIGDS" 2000000 "$m" >"$BATS_TEST_TMPDIR/stall.out" &
	local spid=$!
	track_pid "$spid"
	wait_file "$m"
	for i in $(seq 100); do
		[ "$(find "$RECV_DIR" -name '.cstore-tmp-*' -size +1000k | wc -l)" -eq 1 ] && break
		sleep 0.1
	done
	[ "$(find "$RECV_DIR" -name '.cstore-tmp-*' -size +1000k | wc -l)" -eq 1 ]
	"$CSTORE_BIN/dcmrecv" -v -o "$RECV_DIR" --port-file "$pf" 127.0.0.1:0 \
		>"$BATS_TEST_TMPDIR/second.out" 2>"$BATS_TEST_TMPDIR/second.err" &
	p2=$!
	track_pid "$p2"
	for i in $(seq 100); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	[ -s "$pf" ]
	# the first one's temporary survived the second one's startup
	[ "$(find "$RECV_DIR" -name '.cstore-tmp-*' | wc -l)" -eq 1 ]
	refute grep -q removed "$BATS_TEST_TMPDIR/second.err"
	touch "$m.go"
	wait "$spid"
	[ "$(cat "$BATS_TEST_TMPDIR/stall.out")" = 0000 ]
	same_dataset "$BIG" "$RECV_DIR/$BIGINST.dcm"
	# and the second one works on the same directory
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$(cat "$pf")" "$FIX"
	kill -TERM "$p2"
	wait "$p2"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	same_dataset "$FIX" "$RECV_DIR/$FIXINST.dcm"
	no_partial "$RECV_DIR"
}

# bad_pixels OUT PIXBYTES: a data set (Explicit VR LE) of a 16 x 16
# 16-bit image whose Pixel Data holds PIXBYTES bytes (512 is right)
bad_pixels() {
	python3 - "$1" "$2" "$BIGCLS" <<'PY'
import struct, sys
out, n, cls = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def el(g, e, vr, v):
    if vr in ("OB", "OW"):
        return struct.pack("<HH2sHI", g, e, vr.encode(), 0, len(v)) + v
    return struct.pack("<HH2sH", g, e, vr.encode(), len(v)) + v
def ui(s):
    b = s.encode()
    return b + b"\0" if len(b) % 2 else b
us = lambda v: struct.pack("<H", v)
ds = (el(8, 0x16, "UI", ui(cls)) + el(8, 0x18, "UI", ui("2.25.777")) + el(0x28, 2, "US", us(1))
      + el(0x28, 4, "CS", b"MONOCHROME2 ") + el(0x28, 8, "IS", b"1 ") + el(0x28, 0x10, "US", us(16))
      + el(0x28, 0x11, "US", us(16)) + el(0x28, 0x100, "US", us(16)) + el(0x28, 0x101, "US", us(16))
      + el(0x28, 0x102, "US", us(15)) + el(0x28, 0x103, "US", us(0))
      + el(0x7FE0, 0x10, "OW", bytes(range(256)) * (n // 256) + bytes(n % 256)))
open(out, "wb").write(ds)
PY
}

@test "dcmrecv-debris: --quarantine without --validate is a usage error" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --quarantine /tmp 0
	[[ $stderr == *"--quarantine needs --validate"* ]]
}

@test "dcmrecv-debris: an output directory removed while running: A700 and one line saying so, never a file elsewhere; the receiver goes on" {
	local name
	for layout in '{SOPInstanceUID}.dcm' '{Modality}/{SOPInstanceUID}.dcm'; do
		RECV_DIR=$BATS_TEST_TMPDIR/gone
		start_dcmrecv --layout "$layout"
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
		rm -rf "$RECV_DIR"
		run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
		[[ $output == A700$'\t'* ]]
		grep -q "cannot store '$FIXINST': the output directory '$RECV_DIR' has been removed" "$RECV_STDERR"
		kill -0 "$RECV_PID"
		stop_dcmrecv
		[ "$RECV_STATUS" -eq 0 ]
		[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
		[ ! -e "$RECV_DIR" ]
	done
}

@test "dcmrecv-debris: a --quarantine directory that cannot be used is named as such (exit 6)" {
	: >"$BATS_TEST_TMPDIR/file"
	run -6 --separate-stderr "$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR" --validate --quarantine "$BATS_TEST_TMPDIR/file" 127.0.0.1:0
	[[ $stderr == *"cannot open quarantine directory '$BATS_TEST_TMPDIR/file': Not a directory"* ]]
	run -6 --separate-stderr "$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR" --validate --quarantine "$BATS_TEST_TMPDIR/none" 127.0.0.1:0
	[[ $stderr == *"cannot open quarantine directory '$BATS_TEST_TMPDIR/none'"* ]]
}

@test "dcmrecv-debris: --validate stores good objects bit for bit (the corpus, a 3 MB image, a right-sized one)" {
	big 3
	bad_pixels "$BATS_TEST_TMPDIR/ok.ds" 512
	mkdir -p "$BATS_TEST_TMPDIR/q"
	start_dcmrecv --validate --quarantine "$BATS_TEST_TMPDIR/q"
	run -0 --separate-stderr python3 "$STALL" "$RECV_PORT" "$BIGCLS" 2.25.777 "$BATS_TEST_TMPDIR/ok.ds" 999999999 "$BATS_TEST_TMPDIR/m"
	[ "$output" = 0000 ]
	cmp <(dataset_of "$RECV_DIR/2.25.777.dcm") "$BATS_TEST_TMPDIR/ok.ds"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$BIG" "$FIX"
	same_dataset "$BIG" "$RECV_DIR/$BIGINST.dcm"
	same_dataset "$FIX" "$RECV_DIR/$FIXINST.dcm"
	local corpus
	corpus=$(corpus_dir)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$corpus/ts"
	[ "$(grep -c '^0000' <<<"$output")" -eq "$(ls "$corpus/ts" | wc -l)" ]
	stop_dcmrecv
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/q")" ]
}

@test "dcmrecv-debris: --validate: Pixel Data of the wrong length gets A900 saying why and goes to --quarantine with a line" {
	bad_pixels "$BATS_TEST_TMPDIR/short.ds" 100
	local q=$BATS_TEST_TMPDIR/q
	mkdir -p "$q"
	start_dcmrecv --validate --quarantine "$q"
	run -0 --separate-stderr python3 "$STALL" "$RECV_PORT" "$BIGCLS" 2.25.777 "$BATS_TEST_TMPDIR/short.ds" 999999999 "$BATS_TEST_TMPDIR/m"
	[ "$output" = "A900	Pixel Data is 100 bytes, the image needs 512" ]
	# the same again: a second copy beside the first
	run -0 --separate-stderr python3 "$STALL" "$RECV_PORT" "$BIGCLS" 2.25.777 "$BATS_TEST_TMPDIR/short.ds" 999999999 "$BATS_TEST_TMPDIR/m"
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	[ ! -s "$RECV_STDOUT" ]
	cmp <(dataset_of "$q/2.25.777.dcm") "$BATS_TEST_TMPDIR/short.ds"
	cmp <(dataset_of "$q/2.25.777~2.dcm") "$BATS_TEST_TMPDIR/short.ds"
	[ "$(meta_value "$q/2.25.777.dcm" 0002,0003)" = 2.25.777 ]
	[ "$(sed -n 1p "$q/quarantine.log")" = "2.25.777.dcm	A900	Pixel Data is 100 bytes, the image needs 512	STALLSCU	127.0.0.1:$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$q/quarantine.log" | head -1)" ]
	[ "$(cut -f1,2 "$q/quarantine.log" | sed -n 2p)" = "2.25.777~2.dcm	A900" ]
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "dcmrecv-debris: --validate: a data set cut in an element gets C000 and is quarantined; without --validate nothing is kept" {
	bad_pixels "$BATS_TEST_TMPDIR/full.ds" 512
	head -c 300 "$BATS_TEST_TMPDIR/full.ds" >"$BATS_TEST_TMPDIR/cut.ds"
	local q=$BATS_TEST_TMPDIR/q
	mkdir -p "$q"
	start_dcmrecv --validate --quarantine "$q"
	run -0 --separate-stderr python3 "$STALL" "$RECV_PORT" "$BIGCLS" 2.25.777 "$BATS_TEST_TMPDIR/cut.ds" 999999999 "$BATS_TEST_TMPDIR/m"
	[[ $output == "C000	ends inside the value of (7FE0,0010)"* ]]
	stop_dcmrecv
	cmp <(dataset_of "$q/2.25.777.dcm") "$BATS_TEST_TMPDIR/cut.ds"
	[[ "$(cut -f2,3 "$q/quarantine.log")" == "C000	cannot parse the data set"* ]]
	[ -z "$(ls -A "$RECV_DIR")" ]
}
