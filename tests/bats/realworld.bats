#!/usr/bin/env bats
# Failures a demanding user met with inputs and peers nobody here wrote
# (found by trying the tools, each fixed with its test here): input that
# must be refused before a connection opens, files that change under
# dcmsend between planning and sending.

load helpers
load dcmrecv-helpers

D=$CSTORE_ROOT/tests/data

teardown() {
	stop_tracked
	# a directory outside bats' own (which another user cannot reach)
	if [ -n "${RW_TMP:-}" ]; then
		chmod -R u+rwx "$RW_TMP"
		rm -rf "$RW_TMP"
	fi
}

@test "realworld: an AE title the AE VR cannot hold is a usage error before any connection" {
	local a
	# backslash, all spaces, a control character, non-ASCII (PS3.5 AE)
	for a in 'A\B' '    ' $'A\tB' $'\xc3\x84RZT'; do
		run -2 --separate-stderr "$CSTORE_BIN/dcmsend" -a "$a" --dry-run 127.0.0.1 104 "$D/p10-evrle.dcm"
		assert_output ""
		[[ $stderr == *"AE title '$a': must "* ]]
		[[ $stderr == *"Try 'dcmsend --help'."* ]]
		run -2 --separate-stderr "$CSTORE_BIN/dcmsend" -c "$a" --echo 127.0.0.1 104
		[[ $stderr == *"AE title '$a': must "* ]]
	done
	# what the AE VR allows still goes: inner and surrounding spaces
	run -0 "$CSTORE_BIN/dcmsend" -a ' A B ' -c 'SIXTEEN CHARS AE' --dry-run 127.0.0.1 104 "$D/p10-evrle.dcm"
}

@test "realworld: dcmrecv -a 'PACS ' and --allow ' ME' are those titles (spaces around an AE title are not significant, PS3.5), as dcmsend's are" {
	require_netns
	local a
	# before: -a 'PACS ' with --strict-aet rejected every association,
	# even one calling 'PACS ' (the request's titles are compared without
	# their spaces), --allow 'ME ' admitted nobody, and -a ' PACS' was
	# refused "must be 1-16 printable characters"
	start_dcmrecv -a 'PACS ' --strict-aet --allow 'ME ' --allow ' YOU@127.0.0.1'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -a ME -c PACS 127.0.0.1 "$RECV_PORT"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -a ' YOU' -c 'PACS ' 127.0.0.1 "$RECV_PORT"
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -a OTHER -c PACS 127.0.0.1 "$RECV_PORT"
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -a ME -c PAC 127.0.0.1 "$RECV_PORT"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	grep -q "called AE title 'PAC' not recognised (we are 'PACS')" "$RECV_STDERR"
	# a leading space too
	run -0 --separate-stderr "$CSTORE_BIN/dcmrecv" -a ' PACS' --idle-timeout 1 127.0.0.1:0
	# what the AE VR does not allow, refused saying why (all spaces was
	# "must be 1-16 printable characters", as a backslash is)
	for a in '    ' 'A\B' $'A\tB'; do
		run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" -a "$a" 127.0.0.1:0
		assert_output ""
		case $a in
		' '*) [ "$stderr" = "dcmrecv: AE title '$a': must not be all spaces" ] ;;
		*) [ "$stderr" = "dcmrecv: AE title '$a': must be printable ASCII characters, no backslash" ] ;;
		esac
		run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --allow "$a" 127.0.0.1:0
		[[ $stderr == "dcmrecv: allowed peer '$a': AE title must "* ]]
	done
}

@test "realworld: a file cut short between planning and sending is reported truncated, never sent" {
	require_netns
	local t=$BATS_TEST_TMPDIR pid st=0
	cp "$D/p10-evrle.dcm" "$t/a.dcm"
	cp "$D/img16-evrle.dcm" "$t/b.dcm"
	# a.dcm's answer waits 1 s; b.dcm goes on the next association
	start_dcmrecv --delay 1000
	"$CSTORE_BIN/dcmsend" --per-assoc 1 127.0.0.1 "$RECV_PORT" "$t/a.dcm" "$t/b.dcm" \
		>"$t/send.out" 2>"$t/send.err" &
	pid=$!
	track_pid "$pid"
	# a.dcm is stored (its line comes before the delayed answer): b.dcm
	# was planned whole and is not taken yet; cut its Pixel Data short
	wait_for_line "$RECV_STDOUT" . 10
	truncate -s 1000 "$t/b.dcm"
	wait "$pid" || st=$?
	cat "$t/send.out" "$t/send.err" >&3
	[ "$st" -eq 1 ]
	grep -q $'^0000\t'"$t/a.dcm"$'\t' "$t/send.out"
	grep -q $'^truncated\t'"$t/b.dcm"$'\t.*\ttruncated value of (7FE0,0010)' "$t/send.out"
	stop_dcmrecv
	# nothing of b.dcm reached the receiver: one request, one file
	[ "$(grep -c . "$RECV_STDOUT")" -eq 1 ]
	refute grep -q "answered" "$RECV_STDERR"
}

@test "realworld: a directory the walk cannot read is unreadable for its own reason, not for being a directory" {
	require_cmd setpriv
	local t u
	u=$(id -u nobody) || skip "no user nobody"
	RW_TMP=$(mktemp -d /tmp/cstore-realworld.XXXXXX)
	t=$RW_TMP/walk
	mkdir -p "$t/locked" "$t/ok"
	cp "$D/p10-evrle.dcm" "$t/ok/a.dcm"
	cp "$D/img16-evrle.dcm" "$t/locked/b.dcm"
	chmod 755 "$RW_TMP" "$t" "$t/ok"
	chmod 644 "$t/ok/a.dcm"
	chmod 000 "$t/locked"
	setpriv --reuid="$u" --regid="$u" --clear-groups test -r "$t/ok/a.dcm" ||
		skip "user nobody cannot reach $RW_TMP"
	run -1 setpriv --reuid="$u" --regid="$u" --clear-groups \
		"$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$t"
	[[ $output == *$'unreadable\t'"$t/locked"$'\t\t\ta directory that cannot be read: Permission denied'* ]]
	[[ $output == *$'planned\t'"$t/ok/a.dcm"$'\t'* ]]
}

# implicit_meta SRC DST: SRC (meta in Explicit VR LE, as PS3.10 wants)
# rewritten with its meta group in Implicit VR LE, as old writers made it.
implicit_meta() {
	python3 - "$1" "$2" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
i, out = 132, []
while struct.unpack_from("<H", b, i)[0] == 2:
    e, vr = struct.unpack_from("<H", b, i + 2)[0], b[i + 4:i + 6]
    if vr in (b"OB", b"OW", b"UN", b"UT", b"SQ"):
        n, h = struct.unpack_from("<I", b, i + 8)[0], 12
    else:
        n, h = struct.unpack_from("<H", b, i + 6)[0], 8
    if e != 0:
        out.append(struct.pack("<HHI", 2, e, n) + b[i + h:i + h + n])
    i += h + n
meta = b"".join(out)
meta = struct.pack("<HHII", 2, 0, 4, len(meta)) + meta
open(sys.argv[2], "wb").write(b[:132] + meta + b[i:])
PY
}

@test "realworld: a file whose meta group is in Implicit VR (old writers; DCMTK reads it) is sent, its data set as it is" {
	require_netns
	require_cmd python3
	local f=$BATS_TEST_TMPDIR/implicit-meta.dcm
	implicit_meta "$D/p10-evrle.dcm" "$f"
	# really Implicit: no VR after (0002,0000)
	[ "$(dd if="$f" bs=1 skip=136 count=2 2>/dev/null)" != UL ]
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f"
	stop_dcmrecv
	[[ $output == $'0000\t'"$f"$'\t1.2.840.10008.5.1.4.1.1.7\t'* ]]
	cmp <(dataset_of "$D/p10-evrle.dcm") <(dataset_of "$(cut -f1 "$RECV_STDOUT")")
}

@test "realworld: a meta header naming another SOP instance than the data set is said on the line, the data set's is sent" {
	# pydicom's rtdose.dcm and rtplan.dcm are such files (anonymisers
	# that forget the meta make them too)
	require_netns
	require_cmd python3
	local f=$BATS_TEST_TMPDIR/meta-other-instance.dcm
	python3 - "$D/p10-evrle.dcm" "$f" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
old = b"2.25.314159265358979323846264338327950"
assert b.count(old) == 2      # (0002,0003) first, then (0008,0018)
i = b.index(old)
open(sys.argv[2], "wb").write(b[:i] + b"2.25.999999999999999999999999999999999" + b[i + len(old):])
PY
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$f"
	stop_dcmrecv
	[ "$output" = $'0000\t'"$f"$'\t1.2.840.10008.5.1.4.1.1.7\t2.25.314159265358979323846264338327950\tmeta header SOP instance 2.25.999999999999999999999999999999999 differs: sent as the data set\'s' ]
	[ "$(cut -f3 "$RECV_STDOUT")" = 2.25.314159265358979323846264338327950 ]
}

@test "realworld: an IPv6 host in brackets, as dcmrecv writes it, is a host; the echo line brackets it too" {
	require_netns
	local pf=$BATS_TEST_TMPDIR/v6.port pid i
	mkdir -p "$BATS_TEST_TMPDIR/v6"
	"$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR/v6" --port-file "$pf" '[::1]:0' \
		>"$BATS_TEST_TMPDIR/v6.out" 2>"$BATS_TEST_TMPDIR/v6.err" &
	pid=$!
	track_pid "$pid"
	for i in $(seq 100); do
		[ -s "$pf" ] && break
		kill -0 "$pid" 2>/dev/null || skip "no IPv6 loopback: $(cat "$BATS_TEST_TMPDIR/v6.err")"
		sleep 0.05
	done
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo '[::1]' "$(cat "$pf")"
	[[ $output == $'0000\tSuccess\t[::1]:'"$(cat "$pf")"$'\t'* ]]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" '[::1]' "$(cat "$pf")" "$D/p10-evrle.dcm"
	[[ $output == $'0000\t'"$D/p10-evrle.dcm"$'\t'* ]]
	wait_for_line "$BATS_TEST_TMPDIR/v6.out" $'\t\\[::1\\]:[0-9]+$'
}

@test "realworld: an image too small for GDCM's JPEG 2000 encoder is refused with the reason, not a crash; a larger one converts" {
	local c=${CSTORE_CORPUS:-} x=$CSTORE_TOOLS/dcm-xcode t=$BATS_TEST_TMPDIR
	[ -f "$c/MANIFEST.tsv" ] || skip "needs the corpus (CSTORE_CORPUS)"
	# 4x4 pixels: GDCM 3.0 overran its codestream buffer (SIGSEGV);
	# dcmsend reaches this encoder for a STOW server taking only JPEG 2000
	run --separate-stderr "$x" 1.2.840.10008.1.2.4.90 "$c/odd/private-tags.dcm" "$t/small.dcm"
	[ "$status" -eq 1 ]
	[[ $stderr == *"4x4 is too small for GDCM's JPEG 2000 encoder"* ]]
	[ ! -s "$t/small.dcm" ]
	run -0 "$x" 1.2.840.10008.1.2.4.90 "$c/ts/explicit-le.dcm" "$t/big.dcm"
	dcmdump "$t/big.dcm" | grep -q "JPEG2000LosslessOnly"
}

@test "realworld: pydicom's deflated image_dfl.dcm (a gzip trailer after its stream) converts to Explicit VR LE, every element equal" {
	local f=/usr/lib/python3/dist-packages/pydicom/data/test_files/image_dfl.dcm t=$BATS_TEST_TMPDIR
	[ -f "$f" ] || skip "needs python3-pydicom's test files"
	run -0 "$CSTORE_TOOLS/dcm-xcode" 1.2.840.10008.1.2.1 "$f" "$t/out.dcm"
	run -0 /usr/bin/python3 -c '
import sys, pydicom
a = pydicom.dcmread(sys.argv[1]); b = pydicom.dcmread(sys.argv[2])
assert b.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
assert len(a) == len(b) and all(x == y for x, y in zip(a, b))
print("equal", len(a))' "$f" "$t/out.dcm"
	[ "$output" = "equal 29" ]
}
