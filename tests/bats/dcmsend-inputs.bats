#!/usr/bin/env bats
# dcmsend's inputs and what it says of them: files that are not regular
# files (never opened blocking), no input at all, inputs without a DICOM
# file, --probe applied to the inputs' lines, the man page's example of
# picking out what was not stored, and JSON lines that say what the TSV
# lines say.  Every run that could hang is bounded by timeout(1).
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

D=$CSTORE_ROOT/tests/data
UID_EVRLE=2.25.314159265358979323846264338327950

setup() {
	T=$BATS_TEST_TMPDIR
}

# --- files that are not regular files ----------------------------------

# bats test_tags=serial
@test "dcmsend: a FIFO operand gets an unreadable line and is never opened (dry run too)" {
	mkfifo "$T/pipe"
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 \
		"$T/pipe" "$D/p10-evrle.dcm"
	assert_line $'unreadable\t'"$T/pipe"$'\t\t\tnot a regular file but a FIFO: not read'
	assert_line --regexp $'^planned\t'"$D/p10-evrle.dcm"$'\t'
	start_dcmrecv
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"$T/pipe" "$D/p10-evrle.dcm"
	assert_line $'unreadable\t'"$T/pipe"$'\t\t\tnot a regular file but a FIFO: not read'
	assert_line --regexp $'^0000\t'"$D/p10-evrle.dcm"$'\t'
	[ "${#lines[@]}" -eq 2 ]
	[[ $stderr == *"1 stored, 0 with warning, 0 failed, 1 skipped"* ]]
}

# bats test_tags=serial
@test "dcmsend: a FIFO met in a directory walk gets its line (dry run and real send)" {
	mkdir "$T/d"
	cp "$D/p10-evrle.dcm" "$T/d/a.dcm"
	mkfifo "$T/d/b.pipe"
	ln -s b.pipe "$T/d/c.link"
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/d"
	assert_line --regexp $'^planned\t'"$T/d/a.dcm"$'\t'
	assert_line $'unreadable\t'"$T/d/b.pipe"$'\t\t\tnot a regular file but a FIFO: not read'
	assert_line $'unreadable\t'"$T/d/c.link"$'\t\t\tnot a regular file but a FIFO: not read'
	start_dcmrecv
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/d"
	assert_line --regexp $'^0000\t'"$T/d/a.dcm"$'\t'
	assert_line --regexp $'^unreadable\t'"$T/d/b.pipe"$'\t'
	[ "${#lines[@]}" -eq 3 ]
}

# bats test_tags=serial
@test "dcmsend: a FIFO named in the stdin list gets its line, with -0 too" {
	mkfifo "$T/pipe"
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 \
		< <(printf '%s\n' "$T/pipe" "$D/p10-evrle.dcm")
	assert_line $'unreadable\t'"$T/pipe"$'\t\t\tnot a regular file but a FIFO: not read'
	assert_line --regexp $'^planned\t'
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" -0 --dry-run 127.0.0.1 104 - \
		< <(printf '%s\0' "$T/pipe")
	assert_output $'unreadable\t'"$T/pipe"$'\t\t\tnot a regular file but a FIFO: not read'
}

# bats test_tags=serial
@test "dcmsend: a device is not read either (/dev/null, /dev/zero)" {
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 /dev/null /dev/zero
	assert_line $'unreadable\t/dev/null\t\t\tnot a regular file but a character device: not read'
	assert_line $'unreadable\t/dev/zero\t\t\tnot a regular file but a character device: not read'
}

# --- no input at all, and inputs without a DICOM file ------------------

# bats test_tags=serial
@test "dcmsend: an empty standard input is a usage error (exit 2, one line)" {
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" 127.0.0.1 104 </dev/null
	assert_output ""
	[ "$stderr" = "dcmsend: no input: no file in the list on standard input" ]
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 - </dev/null
	[ "$stderr" = "dcmsend: no input: no file in the list on standard input" ]
	# a list of empty records and a directory names no file either
	mkdir "$T/d"
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" 127.0.0.1 104 < <(printf '\n\n%s\n' "$T/d")
	assert_output ""
	[[ $stderr == *"no input: no file in the list on standard input" ]]
}

# bats test_tags=serial
@test "dcmsend: an empty directory is a usage error (exit 2), several too" {
	mkdir -p "$T/empty" "$T/e2/sub"
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" 127.0.0.1 104 "$T/empty"
	assert_output ""
	[ "$stderr" = "dcmsend: no input: no file in '$T/empty'" ]
	run -2 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" 127.0.0.1 104 "$T/empty" "$T/e2"
	[ "$stderr" = "dcmsend: no input: no file in the 2 operands" ]
}

# bats test_tags=serial
@test "dcmsend: inputs with no DICOM file among them exit 1 with a note, and connect to nobody" {
	mkdir "$T/d"
	cp "$D/not-dicom.txt" "$T/d/a.txt"
	mkfifo "$T/d/b.pipe"
	# port 1: a connection attempt would make it exit 3
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" 127.0.0.1 1 "$T/d"
	assert_line --regexp $'^notdicom\t'"$T/d/a.txt"$'\t'
	assert_line --regexp $'^unreadable\t'"$T/d/b.pipe"$'\t'
	[[ $stderr == *"dcmsend: no DICOM file among the 2 inputs: nothing sent"* ]]
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 1 "$D/not-dicom.txt"
	[[ $stderr == *"dcmsend: no DICOM file among the 1 input: nothing to send"* ]]
	run -1 --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" -q 127.0.0.1 1 "$D/not-dicom.txt"
	[ -z "$stderr" ]
}

# bats test_tags=serial
@test "dcmsend: a data set lacking the SOP Instance or Class UID that only its meta header names goes under the meta's, and its line says so" {
	# (0008,0018) or (0008,0016) of the data set renamed (0008,0017),
	# a tag in order that no reader takes for either
	python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(b.replace(bytes.fromhex(sys.argv[3])+b"UI",b"\x08\x00\x17\x00UI"))' \
		"$D/p10-evrle.dcm" "$T/noinst.dcm" 08001800
	python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(b.replace(bytes.fromhex(sys.argv[3])+b"UI",b"\x08\x00\x17\x00UI"))' \
		"$D/p10-evrle.dcm" "$T/nocls.dcm" 08001600
	python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(b.replace(b"\x08\x00\x16\x00UI",b"\x08\x00\x17\x00UI").replace(b"\x08\x00\x18\x00UI",b"\x08\x00\x17\x00UI"))' \
		"$D/p10-evrle.dcm" "$T/noboth.dcm"
	refute cmp -s "$D/p10-evrle.dcm" "$T/noinst.dcm"
	refute cmp -s "$D/p10-evrle.dcm" "$T/nocls.dcm"
	refute cmp -s "$T/nocls.dcm" "$T/noboth.dcm"
	start_dcmrecv
	# whatever the peer answers (a data set short of its UIDs), the line
	# names the UIDs it went under and says where they came from
	run --separate-stderr timeout 10 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/noinst.dcm" "$T/nocls.dcm" "$T/noboth.dcm"
	assert_line --regexp $'^[0-9A-F]{4}\t'"$T/noinst.dcm"$'\t1.2.840.10008.5.1.4.1.1.7\t'"$UID_EVRLE"$'\t.*no \'SOP Instance UID\' \\(0008,0018\\) in the data set: sent under the meta header\'s '"$UID_EVRLE"
	assert_line --regexp $'^[0-9A-F]{4}\t'"$T/nocls.dcm"$'\t1.2.840.10008.5.1.4.1.1.7\t'"$UID_EVRLE"$'\t.*no \'SOP Class UID\' \\(0008,0016\\) in the data set: sent under the meta header\'s 1.2.840.10008.5.1.4.1.1.7'
	assert_line --regexp $'^[0-9A-F]{4}\t'"$T/noboth.dcm"$'\t1.2.840.10008.5.1.4.1.1.7\t'"$UID_EVRLE"$'\t.*no \'SOP Class UID\' \\(0008,0016\\) nor \'SOP Instance UID\' \\(0008,0018\\) in the data set: sent under the meta header\'s 1.2.840.10008.5.1.4.1.1.7 and '"$UID_EVRLE"
	[ "${#lines[@]}" -eq 3 ]
}

@test "dcmsend --dry-run: a data set lacking its SOP Class or Instance UID says so as the send's line does (DIMSE, --probe, STOW-RS)" {
	python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(b.replace(b"\x08\x00\x16\x00UI",b"\x08\x00\x17\x00UI").replace(b"\x08\x00\x18\x00UI",b"\x08\x00\x17\x00UI"))' \
		"$D/p10-evrle.dcm" "$T/noboth.dcm"
	local gap="no 'SOP Class UID' (0008,0016) nor 'SOP Instance UID' (0008,0018) in the data set: sent under the meta header's 1.2.840.10008.5.1.4.1.1.7 and $UID_EVRLE"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 1 "$T/noboth.dcm" "$D/p10-evrle.dcm"
	assert_line $'planned\t'"$T/noboth.dcm"$'\t1.2.840.10008.5.1.4.1.1.7\t'"$UID_EVRLE"$'\tassociation 1; '"$gap"
	assert_line $'planned\t'"$D/p10-evrle.dcm"$'\t1.2.840.10008.5.1.4.1.1.7\t'"$UID_EVRLE"$'\tassociation 1'
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --probe 127.0.0.1 "$RECV_PORT" "$T/noboth.dcm"
	assert_line --regexp $'^planned\t'"$T/noboth.dcm"$'\t.*\tassociation 1; no \'SOP Class UID\' \\(0008,0016\\) nor \'SOP Instance UID\''
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run http://127.0.0.1:9/dicom-web "$T/noboth.dcm"
	assert_line --regexp $'^planned\t'"$T/noboth.dcm"$'\t.*\t'"no 'SOP Class UID' \\(0008,0016\\) nor 'SOP Instance UID' \\(0008,0018\\) in the data set: sent under the meta header's .*; request 1$"
	[ "$(find "$RECV_DIR" -type f | wc -l)" -eq 0 ]
}

# bats test_tags=serial
@test "dcmsend --remove-sent: a file put under the name of one in flight is kept (it was never sent), with a note; the one sent is removed" {
	mkdir "$T/spool"
	cp "$D/p10-evrle.dcm" "$T/spool/a.dcm"
	cp "$D/p10-ivrle.dcm" "$T/new.dcm"
	# the receiver stores at once and answers 3 s later
	start_dcmrecv --delay 3000
	"$CSTORE_BIN/dcmsend" --remove-sent 127.0.0.1 "$RECV_PORT" "$T/spool/a.dcm" >"$T/send.out" 2>"$T/send.err" &
	pid=$!
	track_pid "$pid"
	for i in $(seq 200); do
		[ -n "$(find "$RECV_DIR" -name '*.dcm')" ] && break
		sleep 0.05
	done
	[ -n "$(find "$RECV_DIR" -name '*.dcm')" ]
	# a spool that gets the instance again, as dcmrecv writes: a rename
	mv "$T/new.dcm" "$T/spool/a.dcm"
	wait "$pid"
	grep -q $'^0000\t'"$T/spool/a.dcm"$'\t' "$T/send.out"
	cmp "$D/p10-ivrle.dcm" "$T/spool/a.dcm"
	grep -qxF "dcmsend: sent, but not removed: '$T/spool/a.dcm' is no longer the file that was sent" "$T/send.err"
	# left alone, the file sent is removed
	stop_dcmrecv
	start_dcmrecv
	run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --remove-sent 127.0.0.1 "$RECV_PORT" "$T/spool/a.dcm"
	[ ! -e "$T/spool/a.dcm" ]
	[[ $stderr != *"not removed"* ]]
}

# remove_sent_edited HOW: dcmsend --remove-sent sends spool/a.dcm to a
# receiver that stores it at once and answers 4 s later (held stopped
# meanwhile, so the edit always comes first), the file is written to in
# place (the same inode) by HOW, and the answer comes
remove_sent_edited() {
	mkdir "$T/spool"
	cp "$D/p10-evrle.dcm" "$T/spool/a.dcm"
	start_dcmrecv --delay 4000
	"$CSTORE_BIN/dcmsend" --remove-sent 127.0.0.1 "$RECV_PORT" "$T/spool/a.dcm" >"$T/send.out" 2>"$T/send.err" &
	pid=$!
	track_pid "$pid"
	for i in $(seq 200); do
		[ -n "$(find "$RECV_DIR" -name '*.dcm')" ] && break
		sleep 0.05
	done
	kill -STOP "$RECV_PID"
	[ -n "$(find "$RECV_DIR" -name '*.dcm')" ]
	ino=$(stat -c %i "$T/spool/a.dcm")
	"$@"
	cp "$T/spool/a.dcm" "$T/edited.dcm"
	kill -CONT "$RECV_PID"
	wait "$pid"
	[ "$(stat -c %i "$T/spool/a.dcm")" = "$ino" ]
	grep -q $'^0000\t'"$T/spool/a.dcm"$'\t' "$T/send.out"
	cmp "$T/edited.dcm" "$T/spool/a.dcm"
	grep -qxF "dcmsend: sent, but not removed: '$T/spool/a.dcm' was written to after it was read to be sent" "$T/send.err"
	# what the peer has is what was read, not the edit
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$D/p10-evrle.dcm") \
		<("$CSTORE_TOOLS/dcm-dataset" "$(find "$RECV_DIR" -name '*.dcm')")
}

# bats test_tags=serial
@test "dcmsend --remove-sent: a file written to in place while its answer is awaited is kept, with a note (its new bytes were never sent)" {
	remove_sent_edited sh -c 'cat "$1" >"$2"' - "$D/p10-ivrle.dcm" "$T/spool/a.dcm"
}

# bats test_tags=serial
@test "dcmsend --remove-sent: a byte changed in place with its size and modification time put back is kept too" {
	remove_sent_edited sh -c 'touch -r "$1" "$1.ref" && printf "\001" |
		dd of="$1" bs=1 seek=200 conv=notrunc status=none && touch -r "$1.ref" "$1" && rm "$1.ref"' - "$T/spool/a.dcm"
}

# a change time that moved with the link count, mode or owner is no write
# (infile_changed): a hard link removed first, chmod meanwhile
# bats test_tags=serial
@test "dcmsend --remove-sent: hard links to one file are all removed; a file chmod'ed while its answer is awaited too" {
	mkdir "$T/spool"
	cp "$D/p10-evrle.dcm" "$T/spool/a.dcm"
	ln "$T/spool/a.dcm" "$T/spool/b.dcm"
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --remove-sent 127.0.0.1 "$RECV_PORT" \
		"$T/spool/a.dcm" "$T/spool/b.dcm"
	assert_line --regexp $'^0000\t'"$T/spool/b.dcm"$'\t'
	[[ $stderr != *"not removed"* ]] || { echo "$stderr" >&2; return 1; }
	[ ! -e "$T/spool/a.dcm" ]
	[ ! -e "$T/spool/b.dcm" ]
	stop_dcmrecv
	cp "$D/p10-evrle.dcm" "$T/spool/c.dcm"
	start_dcmrecv --delay 3000
	"$CSTORE_BIN/dcmsend" --remove-sent 127.0.0.1 "$RECV_PORT" "$T/spool/c.dcm" >"$T/send.out" 2>"$T/send.err" &
	pid=$!
	track_pid "$pid"
	for i in $(seq 200); do
		[ -n "$(find "$RECV_DIR" -name '*.dcm')" ] && break
		sleep 0.05
	done
	kill -STOP "$RECV_PID"
	[ -n "$(find "$RECV_DIR" -name '*.dcm')" ]
	chmod 600 "$T/spool/c.dcm"
	kill -CONT "$RECV_PID"
	wait "$pid"
	grep -q $'^0000\t'"$T/spool/c.dcm"$'\t' "$T/send.out"
	run grep -c "not removed" "$T/send.err"
	assert_output 0
	[ ! -e "$T/spool/c.dcm" ]
}

# A data set of zero bytes (a file preallocated, its data not yet written)
# was planned and sent as (0000,0000) elements
@test "dcmsend: a file whose data set begins with zero bytes is truncated, never planned; a few trailing zero bytes after elements still are padding" {
	C=$(corpus_dir)
	/usr/bin/python3 - "$C/ts/explicit-le.dcm" "$T" <<-'EOF'
	import sys
	b = open(sys.argv[1], 'rb').read()
	g = int.from_bytes(b[140:144], 'little')
	open(sys.argv[2] + '/z.dcm', 'wb').write(b[:144 + g] + bytes(64))
	open(sys.argv[2] + '/z8.dcm', 'wb').write(b[:144 + g] + bytes(8) + b[144 + g:])
	open(sys.argv[2] + '/pad.dcm', 'wb').write(b + bytes(64))
	EOF
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/z.dcm" "$T/z8.dcm" "$T/pad.dcm"
	assert_line --regexp $'^truncated\t'"$T/z.dcm"$'\t\t\tthe data set at offset [0-9]+ begins with zero bytes, not an element \\(a file preallocated or still being written\\?\\)$'
	assert_line --regexp $'^truncated\t'"$T/z8.dcm"$'\t\t\tthe data set at offset [0-9]+ begins with zero bytes'
	assert_line --regexp $'^planned\t'"$T/pad.dcm"$'\t'
}

# --- --probe applies what it learned ------------------------------------

# bats test_tags=serial
@test "dcmsend --dry-run --probe: a file whose class the peer rejects gets the real send's nocontext line and exit" {
	C=$(corpus_dir)
	start_dcmrecv --sop-class CTImageStorage
	run -1 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --dry-run --probe 127.0.0.1 "$RECV_PORT" \
		"$C/sop/CTImageStorage.dcm" "$D/p10-evrle.dcm"
	assert_line --regexp $'^context\t1\t[0-9]+\t1.2.840.10008.5.1.4.1.1.7\t.*\trejected \\([0-9]\\)$'
	assert_line --regexp $'^planned\t'"$C/sop/CTImageStorage.dcm"$'\t'
	probe_sc=$(grep $'^nocontext\t'"$D/p10-evrle.dcm"$'\t' <<<"$output")
	[[ $probe_sc == *"the peer does not accept SOP class SecondaryCaptureImageStorage"* ]]
	run -1 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"$C/sop/CTImageStorage.dcm" "$D/p10-evrle.dcm"
	assert_line --regexp $'^0000\t'"$C/sop/CTImageStorage.dcm"$'\t'
	# the same line, except the SOP Instance UID the real send has read
	real_sc=$(grep $'^nocontext\t'"$D/p10-evrle.dcm"$'\t' <<<"$output")
	[ "$(cut -f1-3,5 <<<"$probe_sc")" = "$(cut -f1-3,5 <<<"$real_sc")" ]
}

# -j 2 puts the two classes in two associations; the peer accepts the
# one's and none of the other's.  That is the MR file's failure, exit 1,
# as when -j 1 proposes both in one association: exit 4 (nothing
# acceptable) is for a peer that accepts none on any association.
# bats test_tags=serial
@test "dcmsend -j 2: one association accepting nothing beside one that stores is exit 1, as with -j 1 (dry run too)" {
	C=$(corpus_dir)
	start_dcmrecv --sop-class CTImageStorage
	for j in 1 2; do
		run -1 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" -j "$j" 127.0.0.1 "$RECV_PORT" \
			"$C/sop/CTImageStorage.dcm" "$C/sop/MRImageStorage.dcm"
		assert_line --regexp $'^0000\t'"$C/sop/CTImageStorage.dcm"$'\t'
		assert_line --regexp $'^nocontext\t'"$C/sop/MRImageStorage.dcm"$'\t'
		[ "${#lines[@]}" -eq 2 ]
		[[ $stderr == *"1 stored, 0 with warning, 1 failed, 0 skipped"* ]]
	done
	# the case in point: the MR file had an association of its own
	assert_line --regexp $'^nocontext\t'"$C/sop/MRImageStorage.dcm"$'\t.*\tthe peer accepted none of the 3 presentation contexts proposed$'
	[ "$(wc -l <"$RECV_STDOUT")" -eq 2 ]
	run -1 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --dry-run --probe -j 2 127.0.0.1 "$RECV_PORT" \
		"$C/sop/CTImageStorage.dcm" "$C/sop/MRImageStorage.dcm"
	assert_line --regexp $'^planned\t'"$C/sop/CTImageStorage.dcm"$'\t'
	assert_line --regexp $'^nocontext\t'"$C/sop/MRImageStorage.dcm"$'\t.*accepted none'
}

# bats test_tags=serial
@test "dcmsend --dry-run --probe: a peer accepting none, or rejecting the association, exits 4 as the real send" {
	start_dcmrecv --accept-ts JPEGBaseline8Bit
	run -4 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --dry-run --probe --no-transcode \
		127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	assert_line $'nocontext\t'"$D/p10-evrle.dcm"$'\t1.2.840.10008.5.1.4.1.1.7\t'"$UID_EVRLE"$'\tthe peer accepted none of the 1 presentation contexts proposed'
	run -4 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --no-transcode 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	assert_line --regexp $'^nocontext\t.*\tthe peer accepted none of the 1 presentation contexts proposed$'
	stop_dcmrecv
	start_dcmrecv --reject permanent
	run -4 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --dry-run --probe 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	assert_line --regexp $'^notsent\t'"$D/p10-evrle.dcm"$'\t.*\tassociation 1 failed: .*rejected'
}

# bats test_tags=serial
@test "dcmsend --dry-run --probe: a file that will be converted says so, exit 0" {
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --dry-run --probe 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	assert_line --regexp $'^planned\t'"$D/p10-evrle.dcm"$'\t.*\tassociation 1; to be transcoded to ImplicitVRLittleEndian$'
}

# bats test_tags=serial
@test "dcmsend: planned, notsent and nocontext lines carry the SOP Instance UID planning read, TSV and JSON alike" {
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$D/p10-evrle.dcm"
	assert_line $'planned\t'"$D/p10-evrle.dcm"$'\t1.2.840.10008.5.1.4.1.1.7\t'"$UID_EVRLE"$'\tassociation 1'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --json --dry-run 127.0.0.1 104 "$D/p10-evrle.dcm"
	[ "$(grep '"outcome":"planned"' <<<"$output" | jq -r .sop_instance_uid)" = "$UID_EVRLE" ]
	# nobody listens on port 1 inside the test namespace
	run -3 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 1 "$D/p10-evrle.dcm"
	assert_line --regexp $'^notsent\t'"$D/p10-evrle.dcm"$'\t1.2.840.10008.5.1.4.1.1.7\t'"$UID_EVRLE"$'\tassociation 1 failed: '
	run -3 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --json 127.0.0.1 1 "$D/p10-evrle.dcm"
	[ "$(jq -r 'select(.outcome == "notsent") | .sop_instance_uid' <<<"$output")" = "$UID_EVRLE" ]
	start_dcmrecv --sop-class CTImageStorage
	run -4 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --json --dry-run --probe 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	[ "$(jq -r 'select(.outcome == "nocontext") | .sop_instance_uid' <<<"$output")" = "$UID_EVRLE" ]
}

# mkdicomdir FILE: a small DICOMDIR (PS3.10 7.2, PS3.3 F.2): its class
# in the meta header only, a file-set ID and no records
mkdicomdir() {
	python3 - "$1" <<'PY'
import struct, sys
def el(g, e, vr, v):
    if len(v) % 2:
        v += b"\0" if vr == b"UI" else b" "
    if vr in (b"OB", b"SQ", b"UN"):
        return struct.pack("<HH", g, e) + vr + b"\0\0" + struct.pack("<I", len(v)) + v
    return struct.pack("<HH", g, e) + vr + struct.pack("<H", len(v)) + v
meta = (el(2, 1, b"OB", b"\0\1") + el(2, 2, b"UI", b"1.2.840.10008.1.3.10") +
        el(2, 3, b"UI", b"2.25.4242") + el(2, 0x10, b"UI", b"1.2.840.10008.1.2.1") +
        el(2, 0x12, b"UI", b"1.2.3.4"))
meta = el(2, 0, b"UL", struct.pack("<I", len(meta))) + meta
ds = (el(4, 0x1130, b"CS", b"TESTSET") + el(4, 0x1200, b"UL", struct.pack("<I", 0)) +
      el(4, 0x1202, b"UL", struct.pack("<I", 0)) + el(4, 0x1212, b"US", struct.pack("<H", 0)) +
      struct.pack("<HH", 4, 0x1220) + b"SQ\0\0" + struct.pack("<I", 0))
open(sys.argv[1], "wb").write(b"\0" * 128 + b"DICM" + meta + ds)
PY
}

@test "dcmsend: a walk of dcmrecv's output directory leaves out its temporary files and commitment index, with a note; exit 0" {
	local tmp
	# as a receiver without O_TMPFILE (NFS) leaves it: its index, and the
	# named temporary file of an object still arriving or cut short
	# where no parser can tell (here: a whole other object)
	mkdir -p "$T/in"
	cp "$D/p10-evrle.dcm" "$T/in/$UID_EVRLE.dcm"
	printf '1.2.840.10008.5.1.4.1.1.7\t%s\t1\t%s.dcm\n' "$UID_EVRLE" "$UID_EVRLE" >"$T/in/.cstore-index"
	tmp=$T/in/.cstore-tmp-00000000.4026531836.4242.4242.abcdefghijkl
	cp "$D/img16-evrle.dcm" "$tmp"
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/in"
	assert_output --regexp $'^0000\t'"$T/in/$UID_EVRLE.dcm"$'\t[^\n]*$'
	[[ $stderr == *"dcmsend: skipping '$T/in/.cstore-index': a receiver's commitment index"* ]]
	[[ $stderr == *"dcmsend: skipping '$tmp': a receiver's temporary file, not a whole object"* ]]
	[ "$(ls "$RECV_DIR")" = "$UID_EVRLE.dcm" ]
	# named as an operand, such a file is sent as given
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -q 127.0.0.1 "$RECV_PORT" "$tmp"
	assert_output --regexp $'^0000\t'"$tmp"$'\t'
}

@test "dcmsend: a DICOMDIR in a directory walk gets a dicomdir line, is counted as skipped, never proposed; the files beside it go, exit 0" {
	mkdir -p "$T/cd/IMAGES"
	mkdicomdir "$T/cd/DICOMDIR"
	cp "$D/p10-evrle.dcm" "$T/cd/IMAGES/IM1"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/cd"
	assert_line $'dicomdir\t'"$T/cd/DICOMDIR"$'\t1.2.840.10008.1.3.10\t2.25.4242\ta DICOMDIR (Media Storage Directory) indexes the files of a file-set and is not sent: send the files it references'
	assert_line --regexp $'^planned\t'"$T/cd/IMAGES/IM1"$'\t'
	# no context proposes its class
	[ -z "$(grep $'^context\t.*\t1.2.840.10008.1.3.10\t' <<<"$output")" ]
	# nor posted to a STOW-RS server (a dry run asks no server)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run http://127.0.0.1:1/dicom-web "$T/cd"
	assert_line --regexp $'^dicomdir\t'"$T/cd/DICOMDIR"$'\t1.2.840.10008.1.3.10\t2.25.4242\ta DICOMDIR '
	assert_line --regexp $'^planned\t'"$T/cd/IMAGES/IM1"$'\t'
	start_dcmrecv --commit
	# a walk of a DICOM medium: every object stored, exit 0
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/cd"
	# and committed: the DICOMDIR, never sent, is not waited for
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --commit 127.0.0.1 "$RECV_PORT" "$T/cd"
	assert_line --regexp $'^0000\t'"$T/cd/IMAGES/IM1"$'\t'
	assert_line --regexp $'^dicomdir\t'"$T/cd/DICOMDIR"$'\t'
	assert_line --regexp $'^0000\t'"$T/cd/IMAGES/IM1"$'\t'
	[[ $stderr == *"1 stored, 0 with warning, 0 failed, 1 skipped"* ]]
	# a DICOMDIR alone: nothing sent, exit 1
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --json 127.0.0.1 "$RECV_PORT" "$T/cd/DICOMDIR"
	[ "$(jq -r .outcome <<<"$output")" = dicomdir ]
	[[ $stderr == *"dcmsend: no DICOM object to store (a DICOMDIR only indexes files) among the 1 input: nothing sent"* ]]
	# with a file that fails beside it: exit 1
	cp "$D/not-dicom.txt" "$T/cd/README.TXT"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/cd"
	assert_line --regexp $'^0000\t'"$T/cd/IMAGES/IM1"$'\t'
	# status-explain -F passes the word through as a local outcome
	"$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/cd/DICOMDIR" 2>/dev/null |
		"$CSTORE_BIN/status-explain" -F 1 | grep -q $'^dicomdir\t.*\tLocal\tnot sent: a DICOMDIR'
}

@test "dcmsend --json: a path that is not UTF-8 is written as valid UTF-8, each stray byte as \\udcXX, and decodes back to its bytes" {
	local name
	name=$(printf 'caf\xe9-\xff.dcm')
	mkdir "$T/in"
	cp "$D/p10-evrle.dcm" "$T/in/$name"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --json --dry-run 127.0.0.1 104 "$T/in"
	printf '%s\n' "$output" >"$T/out.json"
	# valid UTF-8, valid JSON
	iconv -f UTF-8 -t UTF-8 "$T/out.json" >/dev/null
	jq -e . "$T/out.json" >/dev/null
	grep -qF 'caf\udce9-\udcff.dcm' "$T/out.json"
	# reversible (PEP 383 surrogateescape): the same bytes as the name
	python3 -c 'import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(l)
    if d.get("outcome") == "planned":
        sys.stdout.buffer.write(d["path"].encode("utf-8", "surrogateescape"))' "$T/out.json" >"$T/got"
	cmp "$T/got" <(printf '%s' "$T/in/$name")
	# TSV keeps the bytes as they are
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/in"
	assert_line --regexp $'^planned\t'"$T/in/$name"$'\t'
	# --resume reads the escapes back: the stored file is not sent again
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --json 127.0.0.1 "$RECV_PORT" "$T/in"
	printf '%s\n' "$output" >"$T/log.json"
	[ "$(jq -r .status "$T/log.json")" = 0000 ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --resume "$T/log.json" 127.0.0.1 "$RECV_PORT" "$T/in"
	assert_line --regexp $'^resumed\t'"$T/in/$name"$'\t'
}

# --- the man page's example and JSON against TSV ------------------------

@test "dcmsend(1): the example that lists what was not stored prints the A700 and local lines, not the stored ones" {
	# the command as the man page has it, rendered
	cmd=$(mandoc -Tascii "$CSTORE_ROOT/man/dcmsend.1" | col -b | grep -m1 -o "grep -v -P '[^']*' send.log")
	[ -n "$cmd" ]
	start_dcmrecv --respond-every 2:A700
	cd "$T"
	cp "$D/p10-evrle.dcm" "$D/p10-ivrle.dcm" "$D/img16-evrle.dcm" "$D/not-dicom.txt" .
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		p10-evrle.dcm p10-ivrle.dcm img16-evrle.dcm not-dicom.txt
	printf '%s\n' "$output" >send.log
	[ "$(grep -c $'^A700\t' send.log)" -ge 1 ]
	[ "$(grep -c $'^0000\t' send.log)" -ge 1 ]
	run -0 bash -c "$cmd"
	[ "$output" = "$(grep -v $'^0000\t' send.log)" ]
	[ "${#lines[@]}" -eq $(($(grep -c $'^A700\t' send.log) + 1)) ]
}

# tojson_as_tsv: dcmsend's JSON lines written as its TSV lines, one field
# list for both formats (results, associations, contexts).
tojson_as_tsv() {
	jq -r '
	  if has("contexts") then
	    (["association", (.association|tostring),
	      "lane \(.lane), \(.files) files, \(.bytes) bytes, \(.contexts|length) contexts" +
	      (if (.probe_error // "") != "" then ": " + .probe_error else "" end)] | @tsv),
	    (.association as $a | .contexts[] |
	      ["context", ($a|tostring), (.pcid|tostring), .abstract_syntax,
	       (.transfer_syntaxes|join(","))] +
	      (if has("accepted") then
	         [if .accepted then "accepted " + .accepted_transfer_syntax
	          else "rejected (\(.result))" end]
	       else [] end) | @tsv)
	  else
	    [.status, .path, .sop_class_uid, .sop_instance_uid,
	     ([.error_comment, .detail] | map(select(. != "")) | join("; "))] | @tsv
	  end'
}

@test "dcmsend --json: every field of results, associations and contexts says what the TSV line says (lane from 1)" {
	start_dcmrecv --respond-every 2:A700 --accept-ts ImplicitVRLittleEndian --accept-ts ExplicitVRLittleEndian
	set -- "$D/p10-evrle.dcm" "$D/p10-ivrle.dcm" "$D/img16-evrle.dcm" "$D/img16-rle.dcm" \
		"$D/not-dicom.txt" "$T/missing.dcm"
	for opts in "--dry-run -j 2" "--dry-run --probe -j 2" ""; do
		# shellcheck disable=SC2086
		run --separate-stderr "$CSTORE_BIN/dcmsend" $opts --async 1 127.0.0.1 "$RECV_PORT" "$@"
		tsv=$output
		# shellcheck disable=SC2086
		run --separate-stderr "$CSTORE_BIN/dcmsend" --json $opts --async 1 127.0.0.1 "$RECV_PORT" "$@"
		json=$output
		[ "$(wc -l <<<"$tsv")" -ge 6 ]
		diff <(printf '%s\n' "$tsv") <(printf '%s\n' "$json" | tojson_as_tsv) ||
			{ echo "options: $opts"; return 1; }
	done
	# lanes 1 and 2, so that a 0-based lane would show
	run --separate-stderr "$CSTORE_BIN/dcmsend" --json --dry-run -j 2 127.0.0.1 "$RECV_PORT" "$@"
	[ "$(jq -s '[.[] | select(has("lane")) | .lane] | sort' <<<"$output" | tr -d ' \n')" = "[1,2]" ]
	# --echo: the fields both formats have (the times differ run to run)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT"
	tsv=$(cut -f1-3 <<<"$output")
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --json 127.0.0.1 "$RECV_PORT"
	[ "$tsv" = "$(jq -r '[.status, .category, "\(.host):\(.port)"] | @tsv' <<<"$output")" ]
}

@test "dcmsend: a status whose meaning names its category says it once (Pending, Cancel); others get the category before" {
	start_dcmrecv --respond FF00
	run -1 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	assert_output --regexp $'^FF00\t.*\tPending: matches or sub-operations are continuing$'
	stop_dcmrecv
	start_dcmrecv --respond B000
	run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$D/p10-evrle.dcm"
	assert_output --regexp $'^B000\t.*\tWarning: Coercion of data elements$'
}

# An input --resume's log has stored is the same line over STOW-RS as
# over DIMSE (and as a --follow run's give-up lines: one wording,
# storescu_result_resumed).  Before: STOW-RS wrote an empty detail.
@test "dcmsend --resume: a file the log has stored gets the same resumed line over STOW-RS as over DIMSE" {
	local f dimse
	f=$(corpus_dir)/sop/CTImageStorage.dcm
	printf '0000\t%s\t%s\t\n' "$f" "$("$CSTORE_TOOLS/dcm-dataset" -u "$f")" >"$BATS_TEST_TMPDIR/log.tsv"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --resume "$BATS_TEST_TMPDIR/log.tsv" 127.0.0.1 9 "$f"
	assert_output "resumed"$'\t'"$f"$'\t\t\t'"stored according to the resume log"
	dimse=$output
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --resume "$BATS_TEST_TMPDIR/log.tsv" http://127.0.0.1:9/dicom-web "$f"
	assert_output "$dimse"
}

# A path the log has stored that now holds another instance (an export
# directory filled again, IM0001 reused; a log of another run) was
# skipped as resumed, counted stored, exit 0: never sent.  Now the
# file's SOP Instance UID is read again and compared with the log's.
# bats test_tags=serial
@test "dcmsend --resume: a stored path that holds another instance now is sent, with a note; the same instance is still resumed (TSV and JSON logs, DIMSE and STOW-RS)" {
	local C
	C=$(corpus_dir)
	mkdir "$T/export"
	cp "$C/sop/CTImageStorage.dcm" "$T/export/IM0001"
	cp "$C/sop/MRImageStorage.dcm" "$T/export/IM0002"
	start_dcmrecv
	run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/export/IM0001" "$T/export/IM0002"
	printf '%s\n' "$output" >"$T/log.tsv"
	run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --json 127.0.0.1 "$RECV_PORT" "$T/export/IM0001" "$T/export/IM0002"
	printf '%s\n' "$output" >"$T/log.json"
	# the modality exports a new study under the same names
	cp "$C/sop/SecondaryCaptureImageStorage.dcm" "$T/export/IM0001"
	new=$("$CSTORE_TOOLS/dcm-dataset" -u "$T/export/IM0001" | cut -f2)
	for log in log.tsv log.json; do
		rm -f "$RECV_DIR"/*
		run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --resume "$T/$log" 127.0.0.1 "$RECV_PORT" \
			"$T/export/IM0001" "$T/export/IM0002"
		assert_line --regexp $'^0000\t'"$T/export/IM0001"$'\t[0-9.]+\t'"$new"$'\t'
		assert_line $'resumed\t'"$T/export/IM0002"$'\t\t\tstored according to the resume log'
		[[ $stderr == *"dcmsend: '$T/export/IM0001' is not what the resume log has stored under its name (SOP Instance UID $new, not the log's): sent"* ]]
		[ "$(find "$RECV_DIR" -type f -name '*.dcm')" = "$RECV_DIR/$new.dcm" ]
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$T/export/IM0001") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/$new.dcm")
	done
	# STOW-RS asks the same: IM0001 is tried (nobody at port 9), IM0002 skipped
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" -q --resume "$T/log.tsv" http://127.0.0.1:9/dicom-web \
		"$T/export/IM0001" "$T/export/IM0002"
	assert_line --regexp $'^notsent\t'"$T/export/IM0001"$'\t'
	assert_line $'resumed\t'"$T/export/IM0002"$'\t\t\tstored according to the resume log'
	[[ $stderr != *"not what the resume log"* ]]
}

# nested FILE N [def]: a Part 10 file (Explicit VR LE) whose Content
# Sequence nests N sequences of undefined length (def: of defined
# length) in each other's items
nested() {
	/usr/bin/python3 - "$1" "$2" "${3:-}" <<'PY'
import struct, sys
out, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def el(g, e, vr, v):
    if len(v) % 2:
        v += b"\0" if vr == b"UI" else b" "
    if vr in (b"OB", b"SQ", b"UN"):
        return struct.pack("<HH", g, e) + vr + b"\0\0" + struct.pack("<I", len(v)) + v
    return struct.pack("<HH", g, e) + vr + struct.pack("<H", len(v)) + v
cls, inst = b"1.2.840.10008.5.1.4.1.1.7", b"2.25.%d" % (7000 + n)
meta = (el(2, 1, b"OB", b"\0\1") + el(2, 2, b"UI", cls) + el(2, 3, b"UI", inst) +
        el(2, 0x10, b"UI", b"1.2.840.10008.1.2.1"))
meta = el(2, 0, b"UL", struct.pack("<I", len(meta))) + meta
ds = el(8, 0x16, b"UI", cls) + el(8, 0x18, b"UI", inst) + el(0x10, 0x20, b"LO", b"N")
sq = struct.pack("<HH", 0x40, 0xA730) + b"SQ\0\0" + struct.pack("<I", 0xFFFFFFFF)
item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
ends = struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
body = (sq + item) * n + el(8, 0x100, b"SH", b"X") + ends * n
if mode == "def":
    body = el(8, 0x100, b"SH", b"X")
    for _ in range(n):
        body = el(0x40, 0xA730, b"SQ", struct.pack("<HHI", 0xFFFE, 0xE000, len(body)) + body)
open(out, "wb").write(b"\0" * 128 + b"DICM" + meta + ds + body)
PY
}

@test "dcmsend: sequences nested 128 deep are sent; 129 is refused naming the limit in sequences, the one every reader has" {
	# before: "(0040,A730) nests deeper than 256 levels", half of which
	# are items, beside a man page counting 128 sequences
	nested "$T/n128.dcm" 128
	nested "$T/n129.dcm" 129
	run -0 dcmdump -q "$T/n129.dcm"
	start_dcmrecv
	run -1 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/n128.dcm" "$T/n129.dcm"
	assert_line --regexp $'^0000\t'"$T/n128.dcm"$'\t'
	assert_line $'unreadable\t'"$T/n129.dcm"$'\t\t\t(0040,A730) nests more than 128 sequences in each other at offset 2860'
	stop_dcmrecv
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$T/n128.dcm") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR"/*)
}

@test "dcmsend: sequences of defined length nested 200 deep are passed by their length, sent and stored as they are; only a conversion walks into them and fails naming the limit (dcmsend(1))" {
	nested "$T/d200.dcm" 200 def
	run -0 dcmdump -q "$T/d200.dcm"
	start_dcmrecv --validate
	run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/d200.dcm"
	assert_line --regexp $'^0000\t'"$T/d200.dcm"$'\t'
	stop_dcmrecv
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$T/d200.dcm") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR"/*)
	RECV_DIR=$BATS_TEST_TMPDIR/implicit start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -1 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/d200.dcm"
	assert_line --regexp $'^transcodefail\t'"$T/d200.dcm"$'\t.*nests more than 128 sequences in each other'
	stop_dcmrecv
	[ "$(find "$BATS_TEST_TMPDIR/implicit" -type f | wc -l)" -eq 0 ]
}

@test "dcmsend: bytes after the last element too few for a header are named so, not a truncated element header" {
	# before: "truncated element header at offset N" for 1 or 3 stray
	# bytes after a whole data set
	nested "$T/a.dcm" 1
	cp "$T/a.dcm" "$T/b.dcm"
	printf 'x' >>"$T/a.dcm"
	printf '\0\0x' >>"$T/b.dcm"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/a.dcm" "$T/b.dcm"
	assert_line --index 0 $'truncated\t'"$T/a.dcm"$'\t\t\t1 byte at offset 346 after the last element, too few for an element header (trailing garbage, or the file is cut short)'
	assert_line --index 1 $'truncated\t'"$T/b.dcm"$'\t\t\t3 bytes at offset 346 after the last element, too few for an element header (trailing garbage, or the file is cut short)'
	# inside a sequence, the file is cut short: that stays as it was
	head -c 270 "$T/a.dcm" >"$T/c.dcm"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/c.dcm"
	assert_line --index 0 --regexp $'^truncated\t'"$T/c.dcm"$'\t\t\t'
}

# padded FILE SRC TAIL: SRC with the bytes printf(1) makes of TAIL after it
padded() {
	cp "$2" "$1"
	printf "$3" >>"$1"
}

@test "dcmsend: zero bytes or one stray Item Delimitation Item after the last element are padding, as GDCM, pydicom and DCMTK read them: the data set before them is sent byte for byte, as is and converted; anything else there stays refused" {
	# before: 3 zero bytes were truncated, 8 or more notdicom ("unknown
	# VR 0x0000 in (0000,0000)"), a trailing (FFFE,E00D) notdicom ("out
	# of place"): files every other reader takes were not sent
	local le=$CSTORE_CORPUS/ts/explicit-le.dcm be=$CSTORE_CORPUS/ts/explicit-be.dcm
	local im=$CSTORE_CORPUS/ts/implicit-le.dcm f n ts
	padded "$T/z3.dcm" "$le" '\0\0\0'
	padded "$T/z8.dcm" "$im" '\0\0\0\0\0\0\0\0'
	padded "$T/z9000.dcm" "$le" ''
	head -c 9000 /dev/zero >>"$T/z9000.dcm"
	padded "$T/e00d.dcm" "$le" '\376\377\015\340\0\0\0\0'
	padded "$T/e00d-be.dcm" "$be" '\377\376\340\015\0\0\0\0\0\0'
	for f in z3 z8 z9000 e00d e00d-be; do
		run /usr/bin/python3 -c 'import pydicom, sys; pydicom.dcmread(sys.argv[1])' "$T/$f.dcm"
		assert_success
	done
	for f in z3:$le z8:$im z9000:$le e00d:$le e00d-be:$be; do
		n=${f%%:*} ts=ImplicitVRLittleEndian
		[[ $n != z8 ]] || ts=ExplicitVRLittleEndian
		RECV_DIR=$T/out-$n start_dcmrecv
		run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/$n.dcm"
		assert_line --regexp $'^0000\t'"$T/$n.dcm"$'\t'
		stop_dcmrecv
		cmp <("$CSTORE_TOOLS/dcm-dataset" "${f#*:}") <("$CSTORE_TOOLS/dcm-dataset" "$T/out-$n"/*)
		# converted (a peer taking neither Explicit VR LE nor the
		# file's own): the same as the file without its padding
		RECV_DIR=$T/x-$n start_dcmrecv --accept-ts "$ts"
		run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/$n.dcm"
		assert_line --regexp $'^0000\t'"$T/$n.dcm"$'\t.*transcoded'
		stop_dcmrecv
		RECV_DIR=$T/y-$n start_dcmrecv --accept-ts "$ts"
		run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${f#*:}"
		stop_dcmrecv
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$T/y-$n"/*) <("$CSTORE_TOOLS/dcm-dataset" "$T/x-$n"/*)
	done
	# not padding: a byte other than zero, two delimiters
	padded "$T/nz.dcm" "$T/z9000.dcm" 'x\0\0\0\0\0\0\0'
	padded "$T/e2.dcm" "$T/e00d.dcm" '\376\377\015\340\0\0\0\0'
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/nz.dcm" "$T/e2.dcm"
	assert_line --index 0 --regexp $'^notdicom\t'"$T/nz.dcm"$'\t\t\tinvalid VR at offset [0-9]+: unknown VR 0x0000 in \\(0000,0000\\)$'
	assert_line --index 1 --regexp $'^notdicom\t'"$T/e2.dcm"$'\t\t\tmalformed data set at offset [0-9]+: \\(FFFE,E00D\\) out of place$'
}

# bats test_tags=serial
@test "dcmsend: SIGTERM gives every input without a line its own (notsent, interrupted, not known to be stored), also the queued ones, then ends by the signal; --resume sends those again" {
	# before: the process died with one line for the file answered
	# first and none for the other four
	local c=$CSTORE_CORPUS st=0 f
	local files=("$c/sop/CTImageStorage.dcm" "$c/sop/MRImageStorage.dcm" "$c/ts/explicit-le.dcm" "$c/ts/implicit-le.dcm" "$c/ts/rle.dcm")
	start_dcmrecv --delay 3000
	"$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${files[@]}" >"$T/sent.tsv" 2>"$T/sent.err" &
	local pid=$!
	track_pid "$pid"
	wait_for_line "$T/sent.tsv" $'^0000\t' 30
	kill -TERM "$pid"
	wait "$pid" || st=$?
	[ "$st" -eq 143 ]
	run cat "$T/sent.tsv"
	[ "${#lines[@]}" -eq 5 ]
	for f in "${files[@]}"; do
		[ "$(cut -f2 "$T/sent.tsv" | grep -cxF "$f")" -eq 1 ]
	done
	assert_line --index 0 --regexp $'^0000\t'"${files[0]}"$'\t'
	assert_line --index 1 $'notsent\t'"${files[1]}"$'\t\t\tdcmsend interrupted (SIGTERM) before its response: not known to be stored'
	assert_line --index 4 $'notsent\t'"${files[4]}"$'\t\t\tdcmsend interrupted (SIGTERM) before its response: not known to be stored'
	grep -qx 'dcmsend: interrupted (SIGTERM): 4 inputs without a response' "$T/sent.err"
	stop_dcmrecv
	RECV_DIR=$T/again start_dcmrecv
	run -0 --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --resume "$T/sent.tsv" 127.0.0.1 "$RECV_PORT" "${files[@]}"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 4 ]
	stop_dcmrecv
}

# bats test_tags=serial
@test "dcmsend: SIGINT inherited as ignored (a non-interactive shell's background job) stays ignored: the run goes on, every file stored" {
	# before: the watcher's sigwait took it anyway and dcmsend died (130)
	local c=$CSTORE_CORPUS pid st
	local files=("$c/sop/CTImageStorage.dcm" "$c/sop/MRImageStorage.dcm")
	start_dcmrecv --delay 1500
	bash -c '"$0" 127.0.0.1 "$1" "$2" "$3" >"$4" 2>"$5" & echo $! >"$6"; wait $!; echo $? >"$7"' \
		"$CSTORE_BIN/dcmsend" "$RECV_PORT" "${files[@]}" "$T/sent.tsv" "$T/sent.err" "$T/pid" "$T/st" &
	track_pid "$!"
	wait_for_line "$T/sent.tsv" $'^0000\t' 30
	pid=$(cat "$T/pid")
	kill -INT "$pid"
	wait_for_line "$T/st" '^[0-9]+$' 30
	st=$(cat "$T/st")
	[ "$st" -eq 0 ]
	[ "$(grep -c $'^0000\t' "$T/sent.tsv")" -eq 2 ]
	stop_dcmrecv
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 2 ]
}

# bats test_tags=serial
@test "dcmsend: SIGTERM while the list of inputs is read from stdin ends the process at once, by the signal" {
	# before: blocked and not yet watched, it was lost; the run went on
	# reading and ended 2 when stdin closed
	local st=0 pid i
	mkfifo "$T/list"
	exec 7<>"$T/list"
	"$CSTORE_BIN/dcmsend" 127.0.0.1 1 <"$T/list" >"$T/sent.tsv" 2>"$T/sent.err" 7>&- &
	pid=$!
	track_pid "$pid"
	sleep 0.5
	kill -TERM "$pid"
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	exec 7>&-
	wait "$pid" || st=$?
	[ "$st" -eq 143 ]
	[ ! -s "$T/sent.tsv" ]
}

# bats test_tags=serial
@test "dcmsend: SIGTERM still ends a run whose standard output takes nothing, within seconds (the lines it cannot write are left out)" {
	start_dcmrecv -q
	run -0 --separate-stderr timeout 60 /usr/bin/python3 - "$CSTORE_BIN/dcmsend" "$RECV_PORT" "$CSTORE_CORPUS"/sop/*.dcm <<'PY'
import fcntl, os, signal, subprocess, sys, termios, time, array
r, w = os.pipe()
fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ: full after a few lines
p = subprocess.Popen([sys.argv[1], "127.0.0.1", sys.argv[2]] + sys.argv[3:], stdout=w)
os.close(w)
n = array.array("i", [0])
for _ in range(400):  # until the pipe is full, 20 s at most
    fcntl.ioctl(r, termios.FIONREAD, n)
    if n[0] >= 4096 - 256 or p.poll() is not None:
        break
    time.sleep(0.05)
p.send_signal(signal.SIGTERM)
t0 = time.monotonic()
p.wait(30)
print(p.returncode, time.monotonic() - t0 < 20)
PY
	# SIGTERM, also when its own lines could not be written (before:
	# SIGALRM then)
	assert_output --regexp '^-15 True$'
	stop_dcmrecv
}

@test "dcmsend: a file cut and zero-filled back to its size (8 zero bytes or more before Pixel Data) is truncated, not sent without what followed the cut; 8 zero bytes after Pixel Data stay padding" {
	# before: 0000, the data set stored without Pixel Data and all after
	# the cut
	local le=$CSTORE_CORPUS/ts/explicit-le.dcm im=$CSTORE_CORPUS/ts/implicit-le.dcm
	head -c 600 "$le" >"$T/cut.dcm"
	truncate -s "$(stat -c %s "$le")" "$T/cut.dcm"
	head -c 700 "$im" >"$T/cut-im.dcm"
	truncate -s "$(stat -c %s "$im")" "$T/cut-im.dcm"
	padded "$T/z8.dcm" "$le" '\0\0\0\0\0\0\0\0'
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/cut.dcm" "$T/cut-im.dcm" "$T/z8.dcm"
	assert_line --index 0 --regexp $'^truncated\t'"$T/cut.dcm"$'\t\t\t[0-9]+ zero bytes at offset [0-9]+ after \\([0-9A-F]{4},[0-9A-F]{4}\\) where the data set should go on: a file cut and zero-filled\\?$'
	assert_line --index 1 --regexp $'^truncated\t'"$T/cut-im.dcm"$'\t\t\t[0-9]+ zero bytes at offset [0-9]+ after \\([0-9A-F]{4},[0-9A-F]{4}\\) where the data set'
	assert_line --regexp $'^planned\t'"$T/z8.dcm"$'\t'
}

@test "dcmsend: megabytes of zero bytes read as (0000,0000) elements in Implicit VR, then an element, are read once, not once per element (was quadratic: minutes)" {
	local im=$CSTORE_CORPUS/ts/implicit-le.dcm
	cp "$im" "$T/zz.dcm"
	head -c 4194304 /dev/zero >>"$T/zz.dcm"
	printf '\341\177\020\000\004\000\000\000ABCD' >>"$T/zz.dcm"
	run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$T/zz.dcm"
	assert_line --regexp $'^planned\t'"$T/zz.dcm"$'\t'
}

# --- inputs that change while they are converted ------------------------

@test "dcmsend: a file cut short or written to (also the same size, its mtime set back) while it is converted (Big Endian for a peer taking Little Endian only) is its own failure, truncated or unreadable, never a crash (SIGBUS) or 0000; the next file goes" {
	local be=$CSTORE_CORPUS/ts/explicit-be.dcm le=$CSTORE_CORPUS/ts/explicit-le.dcm how a
	local uid
	uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$le" | cut -f2)
	start_dcmrecv --ts ExplicitVRLittleEndian
	# touchr: written the same size, its mtime set back (touch -r)
	for how in shrink:2000 write:8000 touchr:8000; do
		for a in 16 1; do
			cp "$be" "$T/in.dcm"
			rm -rf "$RECV_DIR"/*
			# (a sanitizer build: its runtime is not the first library)
			run --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/map-cut.so" \
				ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
				MAP_CUT_PATH="$T/in.dcm" MAP_CUT="$how" \
				timeout 60 "$CSTORE_BIN/dcmsend" --async "$a" 127.0.0.1 "$RECV_PORT" "$T/in.dcm" "$le"
			[ "$status" -eq 1 ] || { echo "$how --async $a: exit $status: $output $stderr" >&2; return 1; }
			if [ "$how" = shrink:2000 ]; then
				assert_line --regexp $'^truncated\t'"$T/in.dcm"$'\t.*\tfile ended before its dataset was converted \\(it shrank while read\\)$'
			else
				assert_line --regexp $'^unreadable\t'"$T/in.dcm"$'\t.*\tthe file was written to while it was converted$'
			fi
			assert_line --regexp $'^0000\t'"$le"$'\t'
			[ "${#lines[@]}" -eq 2 ]
			# the file of the second alone arrived, byte for byte
			[ "$(ls "$RECV_DIR" | wc -l)" -eq 1 ]
			cmp <("$CSTORE_TOOLS/dcm-dataset" "$le") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/$uid.dcm")
		done
	done
	# alone: its own failure, not "no DICOM file among the inputs"
	cp "$be" "$T/in.dcm"
	run -1 --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/map-cut.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		MAP_CUT_PATH="$T/in.dcm" MAP_CUT=shrink:2000 \
		timeout 60 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/in.dcm"
	assert_output --regexp $'^truncated\t'
	[[ $stderr == *"0 failed, 1 skipped"* ]]
	[[ $stderr != *"no DICOM file"* ]]
	# unchanged, the same file converts and goes
	cp "$be" "$T/in.dcm"
	run --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/map-cut.so" MAP_CUT_PATH="$T/other" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		MAP_CUT=shrink:2000 timeout 60 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$T/in.dcm"
	assert_success
	assert_line --regexp $'^0000\t'"$T/in.dcm"$'\t.*transcoded to ExplicitVRLittleEndian'
}

@test "dcmsend: a file cut short while a transcode-ahead worker or a -j lane converts it is truncated, never a crash (SIGBUS while blocked there); every other file goes" {
	local be=$CSTORE_CORPUS/ts/explicit-be.dcm le=$CSTORE_CORPUS/ts/explicit-le.dcm a
	start_dcmrecv --ts ExplicitVRLittleEndian
	# before: exit 135 with no line, the workers and lanes blocking
	# every signal, SIGBUS too
	for a in 1 16; do
		cp "$be" "$T/in.dcm"
		# the second conversion (in.dcm, the first being be's) is the
		# worker's, ahead of the lane
		run --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/map-cut.so" \
			ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
			MAP_CUT_PATH="$T/in.dcm" MAP_CUT=shrink:2000 \
			timeout 60 "$CSTORE_BIN/dcmsend" --async "$a" 127.0.0.1 "$RECV_PORT" "$be" "$le" "$le" "$T/in.dcm"
		[ "$status" -eq 1 ] || { echo "--async $a: exit $status: $output $stderr" >&2; return 1; }
		assert_line --regexp $'^truncated\t'"$T/in.dcm"$'\t.*\tfile ended before its dataset was converted \\(it shrank while read\\)$'
		assert_line --regexp $'^0000\t'"$be"$'\t.*transcoded to ExplicitVRLittleEndian'
		[ "$(grep -c $'^0000\t'"$le"$'\t' <<<"$output")" -eq 2 ]
		[ "${#lines[@]}" -eq 4 ]
	done
	cp "$be" "$T/in.dcm"
	run --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/map-cut.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		MAP_CUT_PATH="$T/in.dcm" MAP_CUT=shrink:2000 \
		timeout 60 "$CSTORE_BIN/dcmsend" -j 2 127.0.0.1 "$RECV_PORT" "$T/in.dcm"
	[ "$status" -eq 1 ] || { echo "-j 2: exit $status: $output $stderr" >&2; return 1; }
	assert_output --regexp $'^truncated\t'"$T/in.dcm"$'\t'
	cp "$be" "$T/in.dcm"
	run --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/map-cut.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		MAP_CUT_PATH="$T/in.dcm" MAP_CUT=shrink:2000 \
		timeout 60 "$CSTORE_BIN/dcmsend" -j 2 127.0.0.1 "$RECV_PORT" "$be" "$T/in.dcm" "$le"
	[ "$status" -eq 1 ] || { echo "-j 2, 3 files: exit $status: $output $stderr" >&2; return 1; }
	assert_line --regexp $'^truncated\t'"$T/in.dcm"$'\t'
	assert_line --regexp $'^0000\t'"$be"$'\t'
	assert_line --regexp $'^0000\t'"$le"$'\t'
	[ "${#lines[@]}" -eq 3 ]
}

@test "dcmsend: a SIGBUS sent by kill (not a fault of a guarded mapping) kills it as the default action would, guard or not" {
	# before: the guard put the old action back and returned, dcmsend
	# ran on (and waited out its ACSE timeout), unguarded from then on
	local le=$CSTORE_CORPUS/ts/explicit-le.dcm i st=0
	start_stub silent
	"$CSTORE_BIN/dcmsend" --acse-timeout 30 127.0.0.1 "$STUB_PORT" "$le" >"$T/out" 2>"$T/err" &
	local pid=$!
	track_pid "$pid"
	# the handler is in place before the kill: SigCgt has SIGBUS (7),
	# bit 6 (0x40; signal N is bit N - 1)
	local bus=$((1 << ($(kill -l BUS) - 1))) cgt=0
	for i in $(seq 200); do
		cgt=$(printf '%d' "0x$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status")")
		((cgt & bus)) && break
		sleep 0.05
	done
	((cgt & bus)) || { echo "no SIGBUS handler in place (SigCgt $cgt)" >&2; false; }
	sleep 0.2
	kill -BUS "$pid"
	wait "$pid" || st=$?
	if grep -q 'AddressSanitizer' "$T/err"; then
		# a sanitizer's handler was there first: it takes the signal
		grep -q 'BUS' "$T/err"
	else
		[ "$st" -eq 135 ] || { echo "exit $st: $(cat "$T/out" "$T/err")" >&2; return 1; }
	fi
}
