#!/usr/bin/env bats
# dcmrecv with our own peers: dcmsend --echo and a raw DICOM client in
# bash (dcmrecv-helpers.bash) that can send exactly what a test needs,
# including half an object, wrong UIDs and garbage.  Every test checks
# what is in the output directory, not only exit codes.  Real senders
# (DCMTK, GDCM, Orthanc) are in tests/interop/dcmrecv-*.bats.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
CLS=1.2.840.10008.5.1.4.1.1.7
INST=2.25.314159265358979323846264338327950

setup() {
	DS=$BATS_TEST_TMPDIR/ds
	ds_file "$FIX" "$DS"
}

# --- usage and exit codes ----------------------------------------------------

@test "dcmrecv: a missing port is a usage error (exit 2)" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv"
	assert_output ""
	[[ $stderr == *"missing port"* ]]
	[[ $stderr == *"Try 'dcmrecv --help'."* ]]
}

@test "dcmrecv: a port out of range is a usage error (exit 2)" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" 127.0.0.1:70000
	[[ $stderr == *"port '70000': out of range (0-65535)"* ]]
}

@test "dcmrecv: bad option values are usage errors (exit 2) naming the value" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --layout '{Nope}.dcm' 0
	[[ $stderr == *"{Nope}"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --sop-class NoSuchStorage 0
	[[ $stderr == *"unknown SOP class 'NoSuchStorage'"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --ts NoSuchSyntax 0
	[[ $stderr == *"unknown transfer syntax 'NoSuchSyntax'"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --respond XYZ 0
	[[ $stderr == *"status 'XYZ'"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --respond-every 0:A700 0
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --reject sometimes 0
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --on-duplicate maybe 0
	[[ $stderr == *"'maybe'"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --exec echo '{}' 0
	[[ $stderr == *"missing ';'"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" -a ABCDEFGHIJKLMNOPQ 0
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --json -0 0
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" 0 extra
	[[ $stderr == *"unexpected argument 'extra'"* ]]
}

@test "dcmrecv: --sop-class and --reject-sop-class take a class's PS3.6 name, as sopclass-lookup resolves it" {
	local c
	c=$(corpus_dir)
	# before: "unknown SOP class 'CT Image Storage'", exit 2
	start_dcmrecv --sop-class 'CT Image Storage' --sop-class 'mr image storage' \
		--reject-sop-class 'MR Image Storage'
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"$c/sop/CTImageStorage.dcm" "$c/sop/MRImageStorage.dcm" "$c/sop/EnhancedCTImageStorage.dcm"
	stop_dcmrecv
	[ "$(cut -f1,3 <<<"$output")" = $'0000\t1.2.840.10008.5.1.4.1.1.2\nnocontext\t1.2.840.10008.5.1.4.1.1.4\nnocontext\t1.2.840.10008.5.1.4.1.1.2.1' ]
	[ "$(cut -f2 "$RECV_STDOUT")" = 1.2.840.10008.5.1.4.1.1.2 ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --sop-class 'CT Image' 0
	[[ $stderr == *"unknown SOP class 'CT Image'"* ]]
}

@test "dcmrecv: --sop-class and --reject-sop-class by a name a current and a retired class share mean both; 'NAME (Retired)' the retired one" {
	# before: 'Ultrasound Image Storage' was 1.2.840.10008.5.1.4.1.1.6.1
	# alone, so the retired 1.2.840.10008.5.1.4.1.1.6 was still accepted
	start_dcmrecv --reject-sop-class 'Ultrasound Image Storage' \
		--reject-sop-class 'nuclear medicine image storage (retired)'
	local uid want
	for uid in 1.2.840.10008.5.1.4.1.1.6 1.2.840.10008.5.1.4.1.1.6.1 \
		1.2.840.10008.5.1.4.1.1.5 1.2.840.10008.5.1.4.1.1.20 \
		1.2.840.10008.5.1.4.1.1.3 1.2.840.10008.5.1.4.1.1.3.1; do
		case $uid in *.1.1.6 | *.1.1.6.1 | *.1.1.5) want=03 ;; *) want=00 ;; esac
		raw_associate "$RECV_PORT" "$uid"
		[ "$(pc_result "$RAW_REPLY")" = "$want" ] || fail "$uid: $(pc_result "$RAW_REPLY"), not $want"
		raw_release
	done
	stop_dcmrecv
	start_dcmrecv --sop-class 'Ultrasound Multi-frame Image Storage' \
		--sop-class 'Ultrasound Image Storage (Retired)'
	for uid in 1.2.840.10008.5.1.4.1.1.3 1.2.840.10008.5.1.4.1.1.3.1 \
		1.2.840.10008.5.1.4.1.1.6 1.2.840.10008.5.1.4.1.1.6.1; do
		case $uid in *.1.1.6.1) want=03 ;; *) want=00 ;; esac
		raw_associate "$RECV_PORT" "$uid"
		[ "$(pc_result "$RAW_REPLY")" = "$want" ] || fail "$uid: $(pc_result "$RAW_REPLY"), not $want"
		raw_release
	done
	stop_dcmrecv
}

@test "dcmrecv: a missing output directory exits 6 before listening" {
	run -6 --separate-stderr "$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR/nope" 127.0.0.1:0
	assert_output ""
	[[ $stderr == *"nope"* ]]
	[[ $stderr != *"listening"* ]]
}

@test "dcmrecv: an output 'directory' that is a file exits 6" {
	touch "$BATS_TEST_TMPDIR/file"
	run -6 --separate-stderr "$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR/file" 127.0.0.1:0
}

@test "dcmrecv: a port already in use exits 6" {
	start_dcmrecv
	run -6 --separate-stderr "$CSTORE_BIN/dcmrecv" -o "$RECV_DIR" "127.0.0.1:$RECV_PORT"
	[[ $stderr == *"cannot listen"* ]]
}

@test "dcmrecv: an unwritable port file exits 6" {
	run -6 --separate-stderr "$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR" \
		--port-file "$BATS_TEST_TMPDIR/no/such/dir/port" 127.0.0.1:0
	[[ $stderr == *"cannot write the port file"* ]]
}

# --- port 0, the listening line, signals ------------------------------------

@test "dcmrecv: port 0 picks a port, printed on stderr and written to --port-file" {
	start_dcmrecv
	wait_for_line "$RECV_STDERR" "listening on 127.0.0.1:$RECV_PORT\$"
	[ "$RECV_PORT" -gt 0 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ ! -s "$RECV_STDOUT" ]
}

@test "dcmrecv: SIGINT also stops it cleanly (exit 0)" {
	start_dcmrecv
	stop_dcmrecv INT
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv: our dcmsend --echo gets Success; -v logs the C-ECHO" {
	start_dcmrecv -v
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT"
	[[ $output == 0000*Success* ]]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	grep -q "association 1: C-ECHO" "$RECV_STDERR"
	grep -q "from 'DCMSEND'" "$RECV_STDERR"
}

# --- storing -------------------------------------------------------------------

@test "dcmrecv: a C-STORE is answered 0000 after the file is in place, bytes intact" {
	start_dcmrecv
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	[ "$RAW_STATUS" = 0000 ]
	# Success came after the rename: the file and its line are there now.
	[ -f "$RECV_DIR/$INST.dcm" ]
	wait_for_line "$RECV_STDOUT" "$INST"
	raw_release
	[ "${RAW_REPLY:0:2}" = 06 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
	# The meta header: ours, from the command and the negotiation.
	[ "$(meta_value "$RECV_DIR/$INST.dcm" 0002,0002)" = "$CLS" ]
	[ "$(meta_value "$RECV_DIR/$INST.dcm" 0002,0003)" = "$INST" ]
	[ "$(meta_value "$RECV_DIR/$INST.dcm" 0002,0010)" = 1.2.840.10008.1.2.1 ]
	[ "$(meta_value "$RECV_DIR/$INST.dcm" 0002,0012)" = 2.25.205427171798299283169116181249333028782 ]
	[ "$(meta_value "$RECV_DIR/$INST.dcm" 0002,0013)" = "$(sed -n 's/^#define CS_IMPL_VERSION "\(.*\)"/\1/p' "$CSTORE_ROOT/include/cstore/cstore.h")" ]
	[ "$(meta_value "$RECV_DIR/$INST.dcm" 0002,0016)" = RAWSCU ]
	/usr/bin/dcmdump -q "$RECV_DIR/$INST.dcm" >/dev/null
	# The stdout line: PATH, class, instance, calling AE, peer.
	run cat "$RECV_STDOUT"
	[ "${#lines[@]}" -eq 1 ]
	IFS=$'\t' read -r path c i ae peer <<<"${lines[0]}"
	[ "$path" = "$RECV_DIR/$INST.dcm" ]
	[ "$c" = "$CLS" ] && [ "$i" = "$INST" ] && [ "$ae" = RAWSCU ]
	[[ $peer == 127.0.0.1:* ]]
	no_temporaries "$RECV_DIR"
}

@test "dcmrecv: --json adds transfer syntax, bytes and status; -0 prints NUL-terminated paths" {
	start_dcmrecv --json
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	raw_release
	stop_dcmrecv
	run jq -r '[.path, .sop_class, .sop_instance, .calling_ae, .transfer_syntax, (.bytes|tostring), .status] | join(" ")' "$RECV_STDOUT"
	[ "$output" = "$RECV_DIR/$INST.dcm $CLS $INST RAWSCU 1.2.840.10008.1.2.1 $(stat -c %s "$RECV_DIR/$INST.dcm") 0000" ]

	RECV_DIR=$BATS_TEST_TMPDIR/out0
	start_dcmrecv -0
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	raw_release
	stop_dcmrecv
	[ "$(od -An -c "$RECV_STDOUT" | tr -d ' \n')" = "$(printf '%s' "$RECV_DIR/$INST.dcm" | od -An -c | tr -d ' \n')\\0" ]
}

@test "dcmrecv: a data set whose SOP Instance UID differs from the command gets A900, no file" {
	start_dcmrecv
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" 1.2.3.4 "$DS"
	[ "$RAW_STATUS" = A900 ]
	[[ $(echo "$RAW_REPLY" | xxd -r -p | tr -c '[:print:]' ' ') == *"SOP Instance UID differs"* ]]
	raw_release
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	[ ! -s "$RECV_STDOUT" ]
}

@test "dcmrecv: a data set of another SOP class than the command gets A900, no file" {
	start_dcmrecv
	raw_associate "$RECV_PORT" 1.2.840.10008.5.1.4.1.1.2
	raw_cstore 1.2.840.10008.5.1.4.1.1.2 "$INST" "$DS"
	[ "$RAW_STATUS" = A900 ]
	raw_release
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
}

@test "dcmrecv: a truncated data set gets C000 (cannot understand), no file" {
	start_dcmrecv
	head -c 300 "$DS" >"$BATS_TEST_TMPDIR/short"
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$BATS_TEST_TMPDIR/short"
	[ "$RAW_STATUS" = C000 ]
	raw_release
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
}

# bats test_tags=serial
@test "dcmrecv: a sender vanishing mid-object leaves nothing; others are still served" {
	start_dcmrecv
	raw_associate "$RECV_PORT" "$CLS"
	raw_send "$(pdata 03 "$(cstore_rq "$CLS" "$INST" 1)")"
	raw_send "$(pdata 00 "$(head -c 400 "$DS" | od -An -tx1 -v | tr -d ' \n')")"
	# A temporary exists while the object streams in (once the
	# receiver has read the first bytes: 10 s at most) ...
	for i in $(seq 100); do
		[ "$(open_temp_size "$RECV_PID" "$RECV_DIR")" -ge 0 ] && break
		sleep 0.1
	done
	[ "$(open_temp_size "$RECV_PID" "$RECV_DIR")" -ge 0 ]
	raw_close
	# ... and is gone once the peer has vanished.
	for i in $(seq 50); do
		[ -z "$(ls -A "$RECV_DIR")" ] && break
		sleep 0.1
	done
	[ -z "$(ls -A "$RECV_DIR")" ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ ! -s "$RECV_STDOUT" ]
}

@test "dcmrecv: an invalid UID in the command gets C000 and writes nothing" {
	start_dcmrecv
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "../../etc/evil" "$DS"
	[ "$RAW_STATUS" = C000 ]
	raw_release
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	[ ! -e "$BATS_TEST_TMPDIR/etc" ]
}

@test "dcmrecv: hostile Patient ID and UIDs in the layout stay inside the output directory" {
	local f=$BATS_TEST_TMPDIR/hostile.dcm long
	long=$(printf 'A%.0s' $(seq 10240))
	cp "$FIX" "$f"
	/usr/bin/dcmodify -nb -i "(0010,0020)=../../../escaped" -i "(0020,000D)=/etc/passwd" \
		-i "(0008,0060)=$long" "$f"
	ds_file "$f" "$BATS_TEST_TMPDIR/hds"
	start_dcmrecv --layout '{PatientID}/{StudyInstanceUID}/{Modality}/{SOPInstanceUID}.dcm'
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$BATS_TEST_TMPDIR/hds"
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	stop_dcmrecv
	# Exactly one file, inside the output directory, nothing outside it.
	run find "$BATS_TEST_TMPDIR" -name "$INST.dcm"
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == "$RECV_DIR/"* ]]
	[[ ${lines[0]} != *..* ]]
	[ ! -e "$BATS_TEST_TMPDIR/escaped" ]
	same_dataset "$f" "${lines[0]}"
	cut -f1 "$RECV_STDOUT" | grep -qx "${lines[0]}"
}

# umask_store MASK: one object stored by a dcmrecv started under MASK;
# prints the modes of its file and of its layout directory
umask_store() {
	local f
	rm -rf "$RECV_DIR"
	umask "$1"
	start_dcmrecv --layout '{StudyInstanceUID}/{SOPInstanceUID}.dcm'
	umask 022
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	stop_dcmrecv
	f=$(cut -f1 "$RECV_STDOUT")
	echo "$(stat -c %a "$f") $(stat -c %a "${f%/*}")"
}

@test "dcmrecv: files and layout directories take their mode from the umask (002: a group may write; 077: only the user reads; 000: still not others)" {
	RECV_DIR=$BATS_TEST_TMPDIR/out
	run -0 umask_store 002
	[ "$output" = "664 775" ]
	run -0 umask_store 077
	[ "$output" = "600 700" ]
	run -0 umask_store 000
	[ "$output" = "664 775" ]
}

@test "dcmrecv: --on-duplicate keep, rename and reject; overwrite by default" {
	start_dcmrecv --on-duplicate reject
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS" 1
	[ "$RAW_STATUS" = 0000 ]
	raw_cstore "$CLS" "$INST" "$DS" 2
	[ "$RAW_STATUS" = 0111 ]
	raw_release
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 1 ]

	RECV_DIR=$BATS_TEST_TMPDIR/ren
	start_dcmrecv --on-duplicate rename
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS" 1
	raw_cstore "$CLS" "$INST" "$DS" 2
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	stop_dcmrecv
	[ -f "$RECV_DIR/$INST.dcm" ]
	[ -f "$RECV_DIR/$INST~2.dcm" ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 2 ]

	RECV_DIR=$BATS_TEST_TMPDIR/keep
	start_dcmrecv --on-duplicate keep
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS" 1
	touch -d '2001-01-01' "$RECV_DIR/$INST.dcm"
	raw_cstore "$CLS" "$INST" "$DS" 2
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	stop_dcmrecv
	[ "$(stat -c %Y "$RECV_DIR/$INST.dcm")" -lt 1000000000 ]
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 1 ]

	RECV_DIR=$BATS_TEST_TMPDIR/over
	start_dcmrecv
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS" 1
	touch -d '2001-01-01' "$RECV_DIR/$INST.dcm"
	raw_cstore "$CLS" "$INST" "$DS" 2
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	stop_dcmrecv
	[ "$(stat -c %Y "$RECV_DIR/$INST.dcm")" -gt 1000000000 ]
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
}

# keep and reject answer for the file already there instead of storing:
# one cut short (a crash, another program's copy) was taken for the
# object because only its meta header was read, so keep answered 0000
# for a file that holds a part of it (a --remove-sent sender then
# removed the only whole copy) and reject refused it for good
@test "dcmrecv --on-duplicate keep and reject: a copy of the instance cut short is no duplicate: the object is stored beside it, Success" {
	for pol in keep reject; do
		RECV_DIR=$BATS_TEST_TMPDIR/$pol
		mkdir -p "$RECV_DIR"
		head -c 400 "$FIX" >"$RECV_DIR/$INST.dcm"
		start_dcmrecv --on-duplicate "$pol"
		run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
		assert_output --regexp $'^0000\t'
		stop_dcmrecv
		cmp "$RECV_DIR/$INST.dcm" <(head -c 400 "$FIX")
		cmp <("$CSTORE_TOOLS/dcm-dataset" "$FIX") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR/$INST~2.dcm")
		[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 2 ]
		# a whole copy is a duplicate as before: kept, or refused 0111
		start_dcmrecv --on-duplicate "$pol"
		run --separate-stderr timeout 20 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
		stop_dcmrecv
		if [ "$pol" = keep ]; then
			assert_success
			assert_output --regexp $'^0000\t'
		else
			assert_failure 1
			assert_output --regexp $'^0111\t'
		fi
		[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 2 ]
	done
}

@test "dcmrecv: --exec runs a command with the path after each file, not through a shell" {
	mkdir "$BATS_TEST_TMPDIR/copies"
	start_dcmrecv --exec cp '{}' "$BATS_TEST_TMPDIR/copies/" ';'
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	raw_release
	for i in $(seq 50); do
		[ -f "$BATS_TEST_TMPDIR/copies/$INST.dcm" ] && break
		sleep 0.1
	done
	cmp "$RECV_DIR/$INST.dcm" "$BATS_TEST_TMPDIR/copies/$INST.dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv: a failing --exec is logged, not fatal" {
	start_dcmrecv --exec false '{}' ';'
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	wait_for_line "$RECV_STDERR" "exec for .* exited with status 1"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ -f "$RECV_DIR/$INST.dcm" ]
}

# --- AE titles, SOP classes, transfer syntaxes -------------------------------

@test "dcmrecv: --strict-aet rejects another called AE title (1, 1, 7), accepts ours" {
	start_dcmrecv --strict-aet -a ARCHIVE
	raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2.1 OTHER || true
	[ "$RAW_REPLY" = 03000000000400010107 ]
	raw_close
	raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2.1 ARCHIVE
	raw_release
	stop_dcmrecv
	grep -q "called AE title 'OTHER' not recognised" "$RECV_STDERR"
}

@test "dcmrecv: an A-ASSOCIATE-RQ whose maximum PDU length no fragment fits (1, 7) is rejected (1, 2, 1) before anything is sent; 8 is accepted" {
	local max
	start_dcmrecv
	for max in 1 7; do
		RAW_MAXPDU=$max raw_associate "$RECV_PORT" "$CLS" || true
		[ "$RAW_REPLY" = 03000000000400010201 ]
		raw_close
	done
	# the smallest that leaves room (2-byte fragments) is accepted
	RAW_MAXPDU=8 raw_associate "$RECV_PORT" "$CLS"
	raw_close
	stop_dcmrecv
	grep -q "the peer's maximum pdu length 1 leaves no room for data" "$RECV_STDERR"
	grep -q "the peer's maximum pdu length 7 leaves no room for data" "$RECV_STDERR"
	[ ! -s "$RECV_STDOUT" ]
}

@test "dcmrecv: --allow admits only the listed calling AE titles and hosts (1, 1, 3)" {
	start_dcmrecv --allow GOOD --allow LOCAL@127.0.0.1 --allow FAR@192.0.2.1
	raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2.1 ANY-SCP BAD || true
	[ "$RAW_REPLY" = 03000000000400010103 ]
	raw_close
	raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2.1 ANY-SCP FAR || true
	[ "$RAW_REPLY" = 03000000000400010103 ]
	raw_close
	raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2.1 ANY-SCP GOOD
	raw_release
	raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2.1 ANY-SCP LOCAL
	raw_release
	stop_dcmrecv
}

# The result of the first presentation context of an A-ASSOCIATE-AC.
pc_result() {
	local h=${1#*2100} # PC item type 21, reserved 00
	echo "${h:8:2}"
}

@test "dcmrecv: --ts and --accept-ts take the names users type (JPEGBaseline, LittleEndianImplicit...), any case; an unknown one lists them" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --ts JPEGBase 0
	[[ $stderr == "dcmrecv: unknown transfer syntax 'JPEGBase': a UID, a PS3.6 transfer syntax keyword, or one of these names (any letter case; aliases in parentheses): ImplicitVRLittleEndian (LittleEndianImplicit), "* ]]
	[[ $stderr == *" JPEGBaseline8Bit (JPEGBaseline,JPEGProcess1), "* ]]
	[[ $stderr == *" JPEG2000Lossless (JPEG2000LosslessOnly), "* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --accept-ts rlelossless,nope https://127.0.0.1:1/ "$CSTORE_ROOT/tests/data/p10-evrle.dcm"
	[[ $stderr == "dcmsend: unknown transfer syntax 'nope': a UID, a PS3.6 transfer syntax keyword, or one of these names"* ]]
	# the aliases reach the negotiation: the preferred one is accepted
	start_dcmrecv --accept-ts littleendianimplicit,JPEGBaseline --ts RLELOSSLESS
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --probe 127.0.0.1 "$RECV_PORT" "$CSTORE_ROOT/tests/data/p10-evrle.dcm"
	assert_line --regexp $'^context\t1\t[0-9]+\t1.2.840.10008.5.1.4.1.1.7\t.*\taccepted 1.2.840.10008.1.2$'
}

@test "dcmrecv: --sop-class, --reject-sop-class and --accept-ts decide the contexts" {
	start_dcmrecv --sop-class CTImageStorage --sop-class "$CLS" --reject-sop-class "$CLS"
	raw_associate "$RECV_PORT" "$CLS"
	[ "$(pc_result "$RAW_REPLY")" = 03 ]
	raw_release
	raw_associate "$RECV_PORT" 1.2.840.10008.5.1.4.1.1.4
	[ "$(pc_result "$RAW_REPLY")" = 03 ]
	raw_release
	raw_associate "$RECV_PORT" 1.2.840.10008.5.1.4.1.1.2
	[ "$(pc_result "$RAW_REPLY")" = 00 ]
	raw_release
	stop_dcmrecv

	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2.1
	[ "$(pc_result "$RAW_REPLY")" = 04 ]
	raw_release
	raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2
	[ "$(pc_result "$RAW_REPLY")" = 00 ]
	raw_release
	stop_dcmrecv
}

@test "dcmrecv: a private SOP class is refused unless listed" {
	start_dcmrecv
	raw_associate "$RECV_PORT" 1.2.3.999.1
	[ "$(pc_result "$RAW_REPLY")" = 03 ]
	raw_release
	stop_dcmrecv
	start_dcmrecv --sop-class 1.2.3.999.1
	raw_associate "$RECV_PORT" 1.2.3.999.1
	[ "$(pc_result "$RAW_REPLY")" = 00 ]
	raw_release
	stop_dcmrecv
}

# --- limits and timeouts ---------------------------------------------------------

# bats test_tags=serial
@test "dcmrecv: beyond --max-associations a transient rejection, local limit exceeded (2, 3, 2)" {
	start_dcmrecv --max-associations 1
	raw_associate "$RECV_PORT" "$CLS"
	exec 8<&7 7<&-
	raw_connect "$RECV_PORT"
	raw_send "$(assoc_rq ANY-SCP SECOND "$CLS" 1.2.840.10008.1.2.1)"
	RAW_REPLY=$(raw_read_pdu)
	[ "$RAW_REPLY" = 03000000000400020302 ]
	raw_close
	exec 7<&8 8<&-
	raw_cstore "$CLS" "$INST" "$DS"
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	# The slot is free again once the first association's thread is done.
	for i in $(seq 50); do
		raw_associate "$RECV_PORT" "$CLS" && break
		raw_close
		sleep 0.1
	done
	[ "${RAW_REPLY:0:2}" = 02 ]
	raw_release
	stop_dcmrecv
	grep -q "local limit exceeded" "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmrecv: a peer that connects and says nothing is dropped after --timeout (ARTIM)" {
	start_dcmrecv -t 1
	raw_connect "$RECV_PORT"
	SECONDS=0
	run raw_read_hex 5
	[ "$SECONDS" -lt 4 ]
	[ -z "$output" ]
	raw_close
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT"
	stop_dcmrecv
}

# bats test_tags=serial
@test "dcmrecv: a peer silent mid-object is aborted after --timeout, temporary removed" {
	local cmd part
	# made before the association: building them in bash took longer
	# than the 1 s of -t on a loaded machine (an idle association's
	# abort, not the one mid-object)
	cmd=$(pdata 03 "$(cstore_rq "$CLS" "$INST" 1)")
	part=$(pdata 00 "$(head -c 400 "$DS" | od -An -tx1 -v | tr -d ' \n')")
	start_dcmrecv -t 1
	raw_associate "$RECV_PORT" "$CLS"
	raw_send "$cmd$part"
	RAW_REPLY=$(raw_read_pdu 5)
	[ "${RAW_REPLY:0:2}" = 07 ]
	raw_close
	for i in $(seq 30); do
		[ -z "$(ls -A "$RECV_DIR")" ] && break
		sleep 0.1
	done
	[ -z "$(ls -A "$RECV_DIR")" ]
	stop_dcmrecv
	# mid-message, the progress deadline: -t, then 4096 bytes/s
	grep -qE "too slow: [0-9]+ bytes in [0-9]+ s, .* after 1 s: aborting" "$RECV_STDERR"
}

# bats test_tags=serial
@test "dcmrecv: garbage instead of a PDU gets an A-ABORT; the receiver goes on" {
	start_dcmrecv
	raw_connect "$RECV_PORT"
	raw_send "$(str_hex 'GET / HTTP/1.1')" || true
	RAW_REPLY=$(raw_read_pdu 3)
	# An A-ABORT (reason 1, unrecognised PDU), unless the reset of the
	# closing connection overtook it.
	[ "${RAW_REPLY:0:2}" = 07 ] || [ -z "$RAW_REPLY" ]
	raw_close
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv: a well-formed A-ASSOCIATE-RQ it cannot accept (control character in the calling AE title, no presentation context) gets an A-ASSOCIATE-RJ saying why, not an A-ABORT (PS3.8 9.2 AE-6)" {
	local rq
	start_dcmrecv
	# before: an A-ABORT (07), which tells the peer nothing
	raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2.1 ANY-SCP $'RAW\x01SCU' || true
	# permanent, source 1 (service user), reason 3 (calling AE title)
	[ "$RAW_REPLY" = 03000000000400010103 ]
	raw_close
	# the presentation context item left out: reason 1
	rq=$(assoc_rq ANY-SCP RAWSCU "$CLS" 1.2.840.10008.1.2.1)
	rq=${rq//$(item 20 "01000000$(item 30 "$(str_hex "$CLS")")$(item 40 "$(str_hex 1.2.840.10008.1.2.1)")")/}
	rq="0100$(be32 $(((${#rq} - 12) / 2)))${rq:12}"
	raw_connect "$RECV_PORT"
	raw_send "$rq"
	RAW_REPLY=$(raw_read_pdu)
	[ "$RAW_REPLY" = 03000000000400010101 ]
	raw_close
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	grep -q "association rejected: calling ae title has a control character" "$RECV_STDERR" || { cat "$RECV_STDERR" >&2; false; }
	grep -q "association rejected: a-associate-rq has no presentation context item" "$RECV_STDERR"
}

@test "dcmrecv: an HTTP client on the port is logged as one, its request line shown, and closed; the receiver goes on" {
	start_dcmrecv
	raw_connect "$RECV_PORT"
	raw_send "$(str_hex $'GET /dicom-web/studies HTTP/1.1\r\nHost: pacs\r\n\r\n')" || true
	RAW_REPLY=$(raw_read_pdu 3) || true
	[ -z "$RAW_REPLY" ]
	raw_close
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# before: "unrecognized pdu type 0x47"
	grep -Eq '^dcmrecv: association 1 from 127\.0\.0\.1:[0-9]+: an HTTP client on the DICOM port \("GET /dicom-web/studies HTTP/1\.1"\)$' "$RECV_STDERR" || { cat "$RECV_STDERR" >&2; false; }
}

@test "dcmrecv: --max-files N exits 0 after N stored files" {
	start_dcmrecv --max-files 1
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	raw_release
	wait_dcmrecv_exit 10
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
}

@test "dcmrecv: --max-assocs N exits 0 after N associations" {
	start_dcmrecv --max-assocs 2
	"$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT"
	kill -0 "$RECV_PID"
	"$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$RECV_PORT"
	wait_dcmrecv_exit 10
	[ "$RECV_STATUS" -eq 0 ]
}

# bats test_tags=serial
@test "dcmrecv: --idle-timeout S exits 0 after S seconds without an association" {
	SECONDS=0
	start_dcmrecv --idle-timeout 1
	wait_dcmrecv_exit 10
	[ "$RECV_STATUS" -eq 0 ]
	[ "$SECONDS" -lt 5 ]
}

# bats test_tags=serial
@test "dcmrecv: SIGTERM during a transfer: stops accepting, grace over, aborted, nothing left, exit 0" {
	start_dcmrecv --grace 1
	raw_associate "$RECV_PORT" "$CLS"
	raw_send "$(pdata 03 "$(cstore_rq "$CLS" "$INST" 1)")"
	raw_send "$(pdata 00 "$(head -c 400 "$DS" | od -An -tx1 -v | tr -d ' \n')")"
	sleep 0.2
	kill -TERM "$RECV_PID"
	sleep 0.3
	# No new associations once stopping.
	run ! "$CSTORE_BIN/dcmsend" --echo --connect-timeout 2 127.0.0.1 "$RECV_PORT"
	SECONDS=0
	stop_dcmrecv
	[ "$SECONDS" -lt 8 ]
	[ "$RECV_STATUS" -eq 0 ]
	[ -z "$(ls -A "$RECV_DIR")" ]
	raw_close
}

# bats test_tags=serial
@test "dcmrecv: SIGTERM lets an association in flight finish within --grace" {
	start_dcmrecv --grace 10
	raw_associate "$RECV_PORT" "$CLS"
	kill -TERM "$RECV_PID"
	sleep 0.3
	raw_cstore "$CLS" "$INST" "$DS"
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
}

# --- the debugging receiver ---------------------------------------------------------

@test "dcmrecv: --respond A700 answers A700 and stores nothing; --respond B000 stores" {
	start_dcmrecv --respond A700
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	[ "$RAW_STATUS" = A700 ]
	raw_release
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]

	RECV_DIR=$BATS_TEST_TMPDIR/warn
	start_dcmrecv --respond B000 --json
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	[ "$RAW_STATUS" = B000 ]
	raw_release
	stop_dcmrecv
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
	[ "$(jq -r .status "$RECV_STDOUT")" = B000 ]
}

@test "dcmrecv: --respond-every 2:A700 fails every second C-STORE" {
	start_dcmrecv --respond-every 2:A700 --on-duplicate rename
	raw_associate "$RECV_PORT" "$CLS"
	got=""
	for id in 1 2 3 4; do
		raw_cstore "$CLS" "$INST" "$DS" "$id"
		got+="$RAW_STATUS "
	done
	raw_release
	stop_dcmrecv
	[ "$got" = "0000 A700 0000 A700 " ]
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 2 ]
}

@test "dcmrecv: --abort-after 2 aborts at the second C-STORE, which leaves no file" {
	start_dcmrecv --abort-after 2 --on-duplicate rename
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS" 1
	[ "$RAW_STATUS" = 0000 ]
	raw_cstore "$CLS" "$INST" "$DS" 2
	[ "${RAW_REPLY:0:2}" = 07 ]
	raw_close
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR")" = "$INST.dcm" ]
}

@test "dcmrecv: --reject transient and permanent:limit answer with those fields" {
	start_dcmrecv --reject transient
	raw_associate "$RECV_PORT" "$CLS" || true
	[ "$RAW_REPLY" = 03000000000400020101 ]
	raw_close
	stop_dcmrecv
	start_dcmrecv --reject permanent:limit
	raw_associate "$RECV_PORT" "$CLS" || true
	[ "$RAW_REPLY" = 03000000000400010302 ]
	raw_close
	stop_dcmrecv
	start_dcmrecv --reject permanent:7
	raw_associate "$RECV_PORT" "$CLS" || true
	[ "$RAW_REPLY" = 03000000000400010107 ]
	raw_close
	stop_dcmrecv
}

# bats test_tags=serial
@test "dcmrecv: --delay MS waits before each response" {
	start_dcmrecv --delay 700
	raw_associate "$RECV_PORT" "$CLS"
	local t0 t1
	t0=$(date +%s%N)
	raw_cstore "$CLS" "$INST" "$DS"
	t1=$(date +%s%N)
	[ "$RAW_STATUS" = 0000 ]
	[ $(((t1 - t0) / 1000000)) -ge 650 ]
	raw_release
	stop_dcmrecv
}

@test "dcmrecv: a Deflated context is stored as received (UIDs from the command)" {
	start_dcmrecv
	raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2.1.99
	[ "$(pc_result "$RAW_REPLY")" = 00 ]
	ds_file "$BATS_TEST_DIRNAME/../data/p10-deflated.dcm" "$BATS_TEST_TMPDIR/defl"
	inst=$(meta_value "$BATS_TEST_DIRNAME/../data/p10-deflated.dcm" 0002,0003)
	raw_cstore "$CLS" "$inst" "$BATS_TEST_TMPDIR/defl"
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	stop_dcmrecv
	same_dataset "$BATS_TEST_DIRNAME/../data/p10-deflated.dcm" "$RECV_DIR/$inst.dcm"
	/usr/bin/dcmdump -q "$RECV_DIR/$inst.dcm" >/dev/null
}

@test "dcmrecv: a Deflated data set cut short after its UIDs (its stream, or inside a whole stream) gets C000, no file; the whole one then 0000" {
	start_dcmrecv
	raw_associate "$RECV_PORT" "$CLS" 1.2.840.10008.1.2.1.99
	ds_file "$BATS_TEST_DIRNAME/../data/p10-deflated.dcm" "$BATS_TEST_TMPDIR/defl"
	inst=$(meta_value "$BATS_TEST_DIRNAME/../data/p10-deflated.dcm" 0002,0003)
	# the UIDs inflate from the first bytes; the stream's last 8 are gone
	head -c -8 "$BATS_TEST_TMPDIR/defl" >"$BATS_TEST_TMPDIR/cut"
	raw_cstore "$CLS" "$inst" "$BATS_TEST_TMPDIR/cut"
	[ "$RAW_STATUS" = C000 ]
	[ ! -e "$RECV_DIR/$inst.dcm" ]
	# a whole stream of a data set cut inside its last element
	python3 -c 'import sys, zlib; d = open(sys.argv[1], "rb").read(); c = zlib.compressobj(9, zlib.DEFLATED, -15); sys.stdout.buffer.write(c.compress(zlib.decompress(d, -15)[:-3]) + c.flush())' \
		"$BATS_TEST_TMPDIR/defl" >"$BATS_TEST_TMPDIR/short"
	raw_cstore "$CLS" "$inst" "$BATS_TEST_TMPDIR/short"
	[ "$RAW_STATUS" = C000 ]
	[ ! -e "$RECV_DIR/$inst.dcm" ]
	raw_cstore "$CLS" "$inst" "$BATS_TEST_TMPDIR/defl"
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	stop_dcmrecv
	grep -q "answered C000 for '$inst': cannot parse the data set: ends inside its deflate stream" "$RECV_STDERR"
	grep -q "answered C000 for '$inst': cannot parse the data set: .*(truncated data set, offset [0-9]*)$" "$RECV_STDERR"
	same_dataset "$BATS_TEST_DIRNAME/../data/p10-deflated.dcm" "$RECV_DIR/$inst.dcm"
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
}

# bats test_tags=serial
@test "dcmrecv: disk full answers A700 with an Error Comment, leaves no partial file, then goes on" {
	[ "$(id -u)" = 0 ] || skip "needs root for a private tmpfs"
	command -v nsenter >/dev/null || skip "nsenter not installed"
	local big=$BATS_TEST_TMPDIR/big.ds len=$((600 * 1024)) dir=$BATS_TEST_TMPDIR/small
	mkdir "$dir"
	cp "$DS" "$big"
	{
		printf '\xe1\x7f\x10\x00LO\x0c\x00CSTORE TEST '
		printf '\xe1\x7f\x00\x10OB\x00\x00'
		printf "\\x$(printf %02x $((len & 255)))\\x$(printf %02x $(((len >> 8) & 255)))\\x$(printf %02x $(((len >> 16) & 255)))\\x00"
		head -c "$len" /dev/zero
	} >>"$big"
	# dcmrecv alone sees a 256 KiB tmpfs on $dir (its own mount namespace).
	RECV_STDOUT=$BATS_TEST_TMPDIR/recv.out RECV_STDERR=$BATS_TEST_TMPDIR/recv.err
	unshare -m --propagation private sh -c 'mount -t tmpfs -o size=256k tmpfs "$1" && shift && exec "$@"' sh \
		"$dir" "$CSTORE_BIN/dcmrecv" -o "$dir" --port-file "$BATS_TEST_TMPDIR/port" 127.0.0.1:0 \
		>"$RECV_STDOUT" 2>"$RECV_STDERR" &
	RECV_PID=$!
	track_pid "$RECV_PID"
	for i in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/port" ] && break
		kill -0 "$RECV_PID" 2>/dev/null || skip "cannot mount a tmpfs here: $(cat "$RECV_STDERR")"
		sleep 0.05
	done
	RECV_PORT=$(cat "$BATS_TEST_TMPDIR/port")
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$big"
	[ "$RAW_STATUS" = A700 ]
	[[ $(echo "$RAW_REPLY" | xxd -r -p | tr -c '[:print:]' ' ') == *"no space left on device"* ]]
	[ -z "$(nsenter -t "$RECV_PID" -m ls -A "$dir")" ]
	# The space is back: a small object fits.
	raw_cstore "$CLS" "$INST" "$DS" 2
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	[ "$(nsenter -t "$RECV_PID" -m ls -A "$dir")" = "$INST.dcm" ]
	nsenter -t "$RECV_PID" -m cat "$dir/$INST.dcm" >"$BATS_TEST_TMPDIR/got.dcm"
	same_dataset "$FIX" "$BATS_TEST_TMPDIR/got.dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
	grep -q "answered A700" "$RECV_STDERR"
}

@test "dcmrecv: --fsync stores the same bytes" {
	start_dcmrecv --fsync
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	stop_dcmrecv
	same_dataset "$FIX" "$RECV_DIR/$INST.dcm"
}

# bats test_tags=serial
@test "dcmrecv: --max-pdu is advertised and enforced (a longer P-DATA is aborted)" {
	start_dcmrecv --max-pdu 4096
	raw_associate "$RECV_PORT" "$CLS"
	# The AC's Maximum Length sub-item (51 00 0004) holds 4096.
	[[ $RAW_REPLY == *510000040000100* ]]
	raw_send "$(pdata 03 "$(cstore_rq "$CLS" "$INST" 1)")"
	raw_send "$(pdata 02 "$(head -c 5000 /dev/zero | od -An -tx1 -v | tr -d ' \n')")"
	RAW_REPLY=$(raw_read_pdu 5)
	[ "${RAW_REPLY:0:2}" = 07 ]
	raw_close
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
}

@test "dcmrecv: -d traces every PDU and DIMSE command on stderr, stdout unchanged" {
	start_dcmrecv -d
	raw_associate "$RECV_PORT" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	raw_release
	stop_dcmrecv
	grep -q "A-ASSOCIATE-RQ" "$RECV_STDERR"
	grep -q "A-ASSOCIATE-AC" "$RECV_STDERR"
	grep -q "C-STORE-RQ" "$RECV_STDERR"
	grep -q "C-STORE-RSP" "$RECV_STDERR"
	grep -q "A-RELEASE-RP" "$RECV_STDERR"
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
}

@test "dcmrecv: our dcmsend sends the whole mkcorpus set (-j 4); every data set arrives byte for byte" {
	local corpus=${CSTORE_CORPUS:-$BATS_FILE_TMPDIR/corpus} n
	if [ ! -f "$corpus/MANIFEST.tsv" ]; then
		command -v dcmdump >/dev/null || skip "mkcorpus needs DCMTK"
		"$CSTORE_ROOT/scripts/mkcorpus" "$corpus" >/dev/null || skip "mkcorpus failed"
	fi
	start_dcmrecv --max-associations 8
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -q -j 4 --no-transcode 127.0.0.1 "$RECV_PORT" "$corpus"/sop "$corpus"/ts "$corpus"/odd
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	find "$corpus" -name '*.dcm' | sort >"$BATS_TEST_TMPDIR/sent"
	n=$(same_datasets_by_uid "$BATS_TEST_TMPDIR/sent" "$RECV_DIR")
	[ "$n" -eq "$(wc -l <"$BATS_TEST_TMPDIR/sent")" ]
	echo "compared $n files" >&3
	[ "$(ls "$RECV_DIR" | wc -l)" -eq "$n" ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq "$n" ]
	no_temporaries "$RECV_DIR"
}

@test "dcmrecv: dcmsend -j 4 to a receiver with few descriptors (ulimit -n 48: a pending share of one per address) loses no association before its RQ; every data set arrives byte for byte" {
	local corpus=${CSTORE_CORPUS:-$BATS_FILE_TMPDIR/corpus} n i
	[ -f "$corpus/MANIFEST.tsv" ] || skip "no corpus (CSTORE_CORPUS)"
	awk -F'\t' 'NR > 1 { print c "/" $1 }' c="$corpus" "$corpus/MANIFEST.tsv" |
		head -24 >"$BATS_TEST_TMPDIR/sent"
	ulimit -Sn 48
	start_dcmrecv -v
	# the four connections of each run come in one burst, before any RQ
	for i in 1 2 3; do
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -q -j 4 --no-transcode \
			127.0.0.1 "$RECV_PORT" $(cat "$BATS_TEST_TMPDIR/sent")
	done
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	run grep -c 'association [0-9]*: released' "$RECV_STDERR"
	assert_output 12
	run grep "without an A-ASSOCIATE-RQ" "$RECV_STDERR"
	assert_failure
	n=$(same_datasets_by_uid "$BATS_TEST_TMPDIR/sent" "$RECV_DIR")
	[ "$n" -eq 24 ]
	no_temporaries "$RECV_DIR"
}

# ulimit -n 48: a pending budget of 12, one per address.  Connection A
# waits without its RQ until dcmrecv has accepted it (the listener's
# accept queue, /proc/net/tcp, is empty) and 2 s more (past the young
# second, counted from the accept), then B comes from the same address:
# A is closed for B, after the transient A-ASSOCIATE-RJ.  (Before, B
# came 3 s after A's connect: a dcmrecv starved of CPU accepted both in
# one pass, A young, so nothing was closed and the recv timed out.)
# The -v line names both (before: "too many connections without an
# A-ASSOCIATE-RQ (from 127.0.0.1 or in all): the oldest closed", though
# the one closed may be another address's and is never the newest).
@test "dcmrecv -v: a waiting connection closed to make room for another is named in the log, with the one it made room for" {
	ulimit -Sn 48
	start_dcmrecv -v
	run -0 /usr/bin/python3 -c '
import socket, sys, time
port = int(sys.argv[1])
def queued():
    # the listener (state 0A) holds rx_queue connections not accepted yet
    for line in open("/proc/net/tcp").readlines()[1:]:
        f = line.split()
        if f[1] == "0100007F:%04X" % port and f[3] == "0A":
            return int(f[4].split(":")[1], 16)
    sys.exit("no listener on port %d in /proc/net/tcp" % port)
a = socket.create_connection(("127.0.0.1", port))
for _ in range(600):
    if queued() == 0:
        break
    time.sleep(0.05)
else:
    sys.exit("dcmrecv did not accept the first connection in 30 s")
time.sleep(2)
b = socket.create_connection(("127.0.0.1", port))
a.settimeout(30)
got = b""
while True:
    part = a.recv(64)
    if not part:
        break
    got += part
print(a.getsockname()[1], b.getsockname()[1], got.hex())
' "$RECV_PORT"
	read -r pa pb rj <<<"$output"
	[ "$rj" = 03000000000400020302 ]
	for i in $(seq 50); do grep -q "closed before its A-ASSOCIATE-RQ" "$RECV_STDERR" && break; sleep 0.1; done
	stop_dcmrecv
	run grep "closed before its A-ASSOCIATE-RQ" "$RECV_STDERR"
	assert_output "dcmrecv: connection from 127.0.0.1:$pa closed before its A-ASSOCIATE-RQ, to make room for 127.0.0.1:$pb (at most 1 waiting per address, 12 in all)"
}

@test "dcmsend -j 3 under ulimit -n 7: lowered to what the descriptor limit carries, said once; every file stored, none called unreadable or unreachable" {
	local corpus=${CSTORE_CORPUS:-$BATS_FILE_TMPDIR/corpus} n
	[ -f "$corpus/MANIFEST.tsv" ] || skip "no corpus (CSTORE_CORPUS)"
	awk -F'\t' 'NR > 1 { print c "/" $1 }' c="$corpus" "$corpus/MANIFEST.tsv" |
		head -30 >"$BATS_TEST_TMPDIR/sent"
	start_dcmrecv
	# bats's own descriptors (3 and up) closed: the limit is dcmsend's
	run --separate-stderr bash -c 'exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
		ulimit -n 7 && exec "$0" -j 3 --no-transcode 127.0.0.1 "$@"' \
		"$CSTORE_BIN/dcmsend" "$RECV_PORT" $(cat "$BATS_TEST_TMPDIR/sent")
	stop_dcmrecv
	[ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; false; }
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 30 ]
	[[ $stderr == *"dcmsend: -j 3: the descriptor limit (ulimit -n 7) carries -j 1: using it"* ]] || { echo "stderr: $stderr" >&2; false; }
	n=$(same_datasets_by_uid "$BATS_TEST_TMPDIR/sent" "$RECV_DIR")
	[ "$n" -eq 30 ]
}

@test "dcmsend under ulimit -n 4 (no descriptor for both a file and the socket): each file notsent saying too many open files, never unreadable; exit 6" {
	local corpus=${CSTORE_CORPUS:-$BATS_FILE_TMPDIR/corpus}
	[ -f "$corpus/MANIFEST.tsv" ] || skip "no corpus (CSTORE_CORPUS)"
	start_dcmrecv
	# before: 12 files of 13 'unreadable ... cannot open' (the planner
	# kept the first open), as if they were damaged
	run -6 --separate-stderr bash -c 'exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
		ulimit -n 4 && exec "$0" 127.0.0.1 "$@"' \
		"$CSTORE_BIN/dcmsend" "$RECV_PORT" "$corpus/ts" "$CSTORE_ROOT/tests/data/p10-evrle.dcm"
	stop_dcmrecv
	[ "${#lines[@]}" -eq 13 ]
	[ "$(grep -c $'^notsent\t' <<<"$output")" -eq 13 ]
	[ "$(grep -c 'cannot open: too many open files (this process may open 4: ulimit -n)$' <<<"$output")" -eq 12 ]
	[[ $stderr == *"Too many open files"* ]]
	[ -z "$(ls -A "$RECV_DIR")" ]
}

@test "dcmsend -j 50 under ulimit -n 64, 200 JPEG 2000 files to convert for a peer taking native only: lowered to what planning's kept descriptors and the files converted ahead leave; every file stored, none unreadable or transcodefail" {
	local corpus=${CSTORE_CORPUS:-$BATS_FILE_TMPDIR/corpus} src in=$BATS_TEST_TMPDIR/in u0 f u
	src=$corpus/ts/j2k-lossless.dcm
	[ -f "$src" ] || skip "no corpus (CSTORE_CORPUS)"
	u0=$("$CSTORE_TOOLS/dcm-dataset" -u "$src" | cut -f2)
	[ ${#u0} -gt 12 ]
	# 200 copies, each with its own SOP Instance UID (3 digits inside
	# the long component changed: same length, so only those bytes)
	mkdir "$in"
	python3 - "$src" "$in" "$u0" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
u = sys.argv[3].encode()
for i in range(200):
    v = u[:8] + b"%03d" % i + u[11:]
    open("%s/f%03d.dcm" % (sys.argv[2], i), "wb").write(b.replace(u, v))
PY
	start_dcmrecv --accept-ts ExplicitVRLittleEndian
	run --separate-stderr bash -c 'exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
		ulimit -n 64 && exec "$0" -j 50 127.0.0.1 "$@"' \
		"$CSTORE_BIN/dcmsend" "$RECV_PORT" "$in"
	stop_dcmrecv
	[ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; grep -v $'^0000\t' <<<"$output" | cut -f1,5- | sort | uniq -c >&2; false; }
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 200 ]
	[[ $stderr == *"dcmsend: -j 50: the descriptor limit (ulimit -n 64) carries -j 1: using it"* ]] || { echo "stderr: $stderr" >&2; false; }
	# every data set arrived converted, each the first one's but for its UID
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 200 ]
	dataset_of "$RECV_DIR/${u0:0:8}000${u0:11}.dcm" >"$BATS_TEST_TMPDIR/first"
	[ "$(meta_value "$RECV_DIR/${u0:0:8}000${u0:11}.dcm" 0002,0010)" = 1.2.840.10008.1.2.1 ]
	for f in "$RECV_DIR"/*.dcm; do
		u=$(basename "$f" .dcm)
		cmp "$BATS_TEST_TMPDIR/first" <(dataset_of "$f" | python3 -c 'import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().replace(sys.argv[1].encode(), sys.argv[2].encode()))' "$u" "${u0:0:8}000${u0:11}")
	done
}

# bats test_tags=serial
@test "dcmrecv: a slow --exec blocks neither the association nor the shutdown beyond --grace" {
	local t0 go=$BATS_TEST_TMPDIR/go
	# the command runs until the test lets it end (20 s at most): an
	# association or a stop that waited for it would take 20 s.  It
	# starts after the response, so the release is timed too; the PDUs
	# are made before the clock starts (seconds of bash when loaded).
	start_dcmrecv --grace 1 --exec sh -c \
		'i=0; while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done' \
		sh "$go" ';'
	raw_cstore_pdus "$CLS" "$INST" "$DS"
	raw_associate "$RECV_PORT" "$CLS"
	t0=$(now_ms)
	raw_cstore_send
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	[ "${RAW_REPLY:0:2}" = 06 ]
	[ $(($(now_ms) - t0)) -lt 10000 ]
	t0=$(now_ms)
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ $(($(now_ms) - t0)) -lt 4000 ]
	touch "$go"
}

@test "dcmrecv: an output directory moved away while it runs (renamed, another made in its place) is refused A700, never a line naming a file that is not there; moved back, objects are stored again" {
	local out=$BATS_TEST_TMPDIR/out
	RECV_DIR=$out
	start_dcmrecv
	run -0 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	mv "$out" "$out.old"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	assert_output --regexp $'^A700\t'
	mkdir "$out"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	assert_output --regexp $'^A700\t'
	rmdir "$out"
	mv "$out.old" "$out"
	run -0 "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	cat "$RECV_STDOUT" "$RECV_STDERR"
	# one line for each object stored, each naming a file that is there
	[ "$(wc -l <"$RECV_STDOUT")" -eq 2 ]
	while IFS=$'\t' read -r path _; do
		[ -f "$path" ] || { echo "no file '$path'" >&2; return 1; }
	done <"$RECV_STDOUT"
	[ "$(grep -c "is no longer the directory opened (moved or replaced)" "$RECV_STDERR")" -eq 2 ]
}

@test "dcmrecv: -o a symbolic link re-pointed to another directory (a daily rotation) is refused A700 'output directory unavailable', as is a removed directory, never 'input/output error'" {
	local day1=$BATS_TEST_TMPDIR/day1 day2=$BATS_TEST_TMPDIR/day2 link=$BATS_TEST_TMPDIR/today
	mkdir "$day1" "$day2"
	ln -s "$day1" "$link"
	RECV_DIR=$link
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	ln -sfn "$day2" "$link"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	assert_output --regexp $'^A700\t.*cannot write: output directory unavailable;'
	refute_output --partial "input/output"
	[ -z "$(ls -A "$day2")" ]
	# the link put back: stored again
	ln -sfn "$day1" "$link"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	# removed: refused when the file is opened, the same words
	rm -rf "$day1"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$FIX"
	assert_output --regexp $'^A700\t.*cannot write: output directory unavailable;'
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 2 ]
	grep -q "is no longer the directory opened (moved or replaced)" "$RECV_STDERR"
	grep -q "has been removed" "$RECV_STDERR"
}

@test "dcmrecv: standard output failing (/dev/full) answers A700, stops it with exit 6" {
	mkdir -p "$BATS_TEST_TMPDIR/out"
	"$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR/out" --port-file "$BATS_TEST_TMPDIR/p" \
		127.0.0.1:0 >/dev/full 2>"$BATS_TEST_TMPDIR/err" &
	RECV_PID=$!
	track_pid "$RECV_PID"
	for i in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/p" ] && break
		sleep 0.05
	done
	raw_associate "$(cat "$BATS_TEST_TMPDIR/p")" "$CLS"
	raw_cstore "$CLS" "$INST" "$DS"
	# no line, so no Success: the peer keeps its copy; the file stays
	[ "$RAW_STATUS" = A700 ]
	[[ $(echo "$RAW_REPLY" | xxd -r -p | tr -c '[:print:]' ' ') == *"cannot report it"* ]]
	[ -f "$BATS_TEST_TMPDIR/out/$INST.dcm" ]
	raw_release
	wait_dcmrecv_exit 15
	[ "$RECV_STATUS" -eq 6 ]
	grep -q "cannot write to standard output" "$BATS_TEST_TMPDIR/err"
}
