#!/usr/bin/env bats
# dcmsend converting the next files of an association on a second thread
# while one is sent (the default) says and sends exactly what converting
# each at its turn does (--no-transcode-ahead): the same lines in the same
# order, the same data sets on the peer; also when the association dies
# with files converted ahead and --retry sends them again.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load transcode-helpers
load ../bats/dcmrecv-helpers

setup_file() {
	xcorpus_setup
}

setup() {
	require_cmd dcmconv
	require_cmd python3
	W=$BATS_TEST_TMPDIR
	# an RLE file whose first fragment's header claims 15 segments (a
	# 16-bit grey image has 2): it cannot be converted
	cp "$XCORPUS/rle/b16-s1-unsigned-f3.dcm" "$W/bad-rle.dcm"
	python3 - "$W/bad-rle.dcm" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
i = b.rindex(b'\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff') + 12
assert b[i:i + 4] == b'\xfe\xff\x00\xe0'
i += 8 + struct.unpack_from('<I', b, i + 4)[0]  # past the offset table
assert b[i:i + 4] == b'\xfe\xff\x00\xe0'
struct.pack_into('<I', b, i + 8, 15)
open(p, 'wb').write(b)
PY
	dcmconv +ti "$XCORPUS/native/b12-s1-signed-f1.dcm" "$W/ivr.dcm"
	# converted (RLE, JPEG-LS, JPEG 2000, Explicit VR), failing, native:
	# one case each, so that every SOP Instance UID differs
	FILES=("$XCORPUS/rle/b8-s1-unsigned-f1.dcm" "$XCORPUS/jpegls/b16-s1-signed-f1.dcm"
		"$W/bad-rle.dcm" "$XCORPUS/native/b8-s3-unsigned-f1.dcm" "$W/ivr.dcm"
		"$XCORPUS/j2k/b16-s1-signed-f3.dcm" "$XCORPUS/rle/b32-s1-signed-f3.dcm"
		"$XCORPUS/jpegls/b8-s1-signed-f3.dcm" "$XCORPUS/j2k/b12-s1-unsigned-f1.dcm")
	RECV_FAULTS=
	SEND_WRAP=()
}

# send_list NAME [dcmsend options...]: FILES to a fresh dcmrecv taking
# Implicit VR LE only, into $W/NAME; lines in $W/NAME.out, -v notes in
# $W/NAME.err, exit status in $W/NAME.rc.
send_list() {
	local name=$1 rc=0
	shift
	RECV_DIR=$W/$name
	start_dcmrecv --accept-ts ImplicitVRLittleEndian $RECV_FAULTS
	${SEND_WRAP[@]+"${SEND_WRAP[@]}"} "$CSTORE_BIN/dcmsend" -v "$@" 127.0.0.1 "$RECV_PORT" "${FILES[@]}" \
		>"$W/$name.out" 2>"$W/$name.err" || rc=$?
	echo "$rc" >"$W/$name.rc"
	stop_dcmrecv
	unset RECV_DIR
}

# same_on_peer A B: the peer got the same files with the same data sets
same_on_peer() {
	local f
	[ "$(ls "$W/$1")" = "$(ls "$W/$2")" ]
	for f in "$W/$1"/*; do
		cmp <(dataset_of "$f") <(dataset_of "$W/$2/${f##*/}") ||
			{ echo "data set differs: ${f##*/}" >&2; return 1; }
	done
}

@test "dcmsend: a mixed list (converted, one that cannot be, native) gives the same lines in the same order and data sets with and without --no-transcode-ahead" {
	for a in 16 1; do
		send_list ahead-$a --async "$a"
		send_list serial-$a --async "$a" --no-transcode-ahead
		# the workers ran in one, not in the other
		grep -q 'converting the next files on [0-9]* more threads\?' "$W/ahead-$a.err"
		refute grep -q 'more thread' "$W/serial-$a.err"
		diff "$W/serial-$a.out" "$W/ahead-$a.out"
		[ "$(cat "$W/ahead-$a.rc")" = 1 ] && [ "$(cat "$W/serial-$a.rc")" = 1 ]
		# one line per input, in input order
		[ "$(cut -f2 "$W/ahead-$a.out")" = "$(printf '%s\n' "${FILES[@]}")" ]
		[ "$(cut -f1 "$W/ahead-$a.out" | tr '\n' ' ')" = \
			"0000 0000 transcodefail 0000 0000 0000 0000 0000 0000 " ]
		grep -q $'^transcodefail\t'"$W/bad-rle.dcm"$'\t.*cannot convert RLELossless to ImplicitVRLittleEndian' "$W/ahead-$a.out"
		grep -c $'\ttranscoded to ImplicitVRLittleEndian$' "$W/ahead-$a.out" | grep -qx 7
		[ "$(ls "$W/ahead-$a" | wc -l)" -eq 8 ]
		same_on_peer ahead-$a serial-$a
	done
}

@test "dcmsend --retry 1: files converted ahead when the peer aborts are sent again on the next association, with the same lines as without" {
	local uid
	uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$XCORPUS/native/b8-s3-unsigned-f1.dcm" | cut -f2)
	RECV_FAULTS="--abort-on $uid"
	send_list ahead --async 1 --retry 1
	send_list serial --async 1 --retry 1 --no-transcode-ahead
	diff "$W/serial.out" "$W/ahead.out"
	[ "$(cut -f1 "$W/ahead.out" | tr '\n' ' ')" = \
		"0000 0000 transcodefail aborted 0000 0000 0000 0000 0000 " ]
	[ "$(grep -c 'converting the next files on [0-9]* more threads\?' "$W/ahead.err")" -ge 2 ]
	[ "$(ls "$W/ahead" | wc -l)" -eq 7 ]
	same_on_peer ahead serial
}

@test "dcmsend: the converting threads are the cores it may run on, shared out among the lanes (taskset -c 0: one; -j 2 on 2 cores: one each)" {
	require_cmd taskset
	local all
	all=$(taskset -pc "$BASHPID" | sed 's/.*: //')
	# this shell and what it starts (dcmsend, dcmrecv) on one core
	taskset -pc 0 "$BASHPID" >/dev/null
	send_list one-core
	taskset -pc "$all" "$BASHPID" >/dev/null
	grep -q 'converting the next files on 1 more thread while sending' "$W/one-core.err"
	[ "$(cut -f1 "$W/one-core.out" | tr '\n' ' ')" = \
		"0000 0000 transcodefail 0000 0000 0000 0000 0000 0000 " ]
	[ "$(taskset -pc "$BASHPID" | sed 's/.*: //')" = "$all" ]
	[ "$(nproc)" -eq 2 ] || skip "the -j 2 part wants 2 cores, not $(nproc)"
	send_list two-lanes -j 2
	grep 'converting the next files on' "$W/two-lanes.err" >&2
	refute grep -q 'converting the next files on [02-9]' "$W/two-lanes.err"
}

# threads_started NAME: how many threads dcmsend started (strace of
# send_list), its GDCM workers' included; the workers themselves are
# processes (a clone without CLONE_THREAD), not counted, nor is the
# thread that forks them (it names itself gdcm-spawner and converts
# nothing: gdcm_jail.c), nor the one waiting for SIGTERM (send-stop,
# lib/cli/send_stop.c)
threads_started() {
	local t s
	t=$(grep 'clone' "$W/$1.st" | grep -c 'CLONE_THREAD' || true)
	s=$(grep -c 'PR_SET_NAME, "\(gdcm-spawner\|send-stop\)"' "$W/$1.st" || true)
	echo $((t - s))
}

@test "dcmsend: no more converting threads than cores, OpenJPEG's own included (strace: on one core --no-transcode-ahead starts none, the default one; -j 2 on 2 cores only the lanes)" {
	require_cmd strace
	require_cmd taskset
	local all
	# LeakSanitizer cannot work under ptrace (it aborts at exit) and
	# would start a thread of its own there: a sanitizer build's leaks
	# are the other tests' to find
	[ -z "${CSTORE_SANITIZE:-}" ] ||
		local -x ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	all=$(taskset -pc "$BASHPID" | sed 's/.*: //')
	# GDCM would give OpenJPEG a pool of one thread per processor of the
	# machine for each of the 4 JPEG 2000 frames, whatever the affinity
	taskset -pc 0 "$BASHPID" >/dev/null
	SEND_WRAP=(strace -f -qq -e trace=clone,clone3,prctl -o "$W/serial.st")
	send_list serial --no-transcode-ahead
	SEND_WRAP=(strace -f -qq -e trace=clone,clone3,prctl -o "$W/one-core.st")
	send_list one-core
	taskset -pc "$all" "$BASHPID" >/dev/null
	[ "$(threads_started serial)" -eq 0 ]
	grep -q 'converting the next files on 1 more thread while sending' "$W/one-core.err"
	[ "$(threads_started one-core)" -eq 1 ]
	diff "$W/serial.out" "$W/one-core.out"
	grep -c $'\ttranscoded to ImplicitVRLittleEndian$' "$W/one-core.out" | grep -qx 7
	same_on_peer one-core serial
	[ "$(nproc)" -eq 2 ] || skip "the -j 2 part wants 2 cores, not $(nproc)"
	# two lanes on two cores: one decoding thread each, nothing inside
	SEND_WRAP=(strace -f -qq -e trace=clone,clone3,prctl -o "$W/two-lanes.st")
	send_list two-lanes -j 2 --no-transcode-ahead
	[ "$(threads_started two-lanes)" -le 2 ]
	diff "$W/serial.out" "$W/two-lanes.out"
	same_on_peer two-lanes serial
}
