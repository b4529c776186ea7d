#!/usr/bin/env bats
# GDCM's codecs run in a child process per call (lib/dcmfile/gdcm_jail.c):
# an assert or a crash in GDCM, libjpeg or OpenJPEG fails that one
# conversion (transcodefail, "the decoder crashed (SIGABRT)") and dcmsend
# goes on with the next files.  Before, it killed dcmsend: exit by signal,
# no result lines, the files after it never sent.  codec-crash.so
# (LD_PRELOAD) makes OpenJPEG's decode abort and its encode trap; the
# other codecs are untouched.  A codec that hangs (codec-hang.so: OpenJPEG's
# decode blocks forever, its encode spins) is killed at its limit
# (DCMSEND_CODEC_TIMEOUT=3 here): transcodefail, "the decoder did not
# finish within 3 s"; before, dcmsend hung forever.
# The workers are a pool shared by the converting threads (one per usable
# core); with no descriptor or process to spare, GDCM converts in-process
# as it did before the jail.  no-fork.so (LD_PRELOAD) makes fork fail.
# Runs beside other files (scripts/run-check).
# bats file_tags=parallel

load transcode-helpers
load ../bats/dcmrecv-helpers

setup_file() {
	xcorpus_setup
}

setup() {
	require_cmd dcmdrle
	require_cmd dcmdjpeg
	W=$BATS_TEST_TMPDIR
	TS=$(corpus_dir)/ts
	CRASH=$CSTORE_TOOLS/codec-crash.so
	[ -f "$CRASH" ]
}

# crashing CMD...: CMD with codec-crash.so preloaded (a sanitizer
# runtime cannot come first then)
crashing() {
	LD_PRELOAD=$CRASH \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 "$@"
}

# stored_as SRC CODEC: the file dcmrecv stored of SRC (by SOP Instance
# UID) has the pixels CODEC's reference decoder makes of SRC and SRC's
# other elements
stored_as() {
	local uid f
	uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$1" | cut -f2)
	f=$(grep -l -F "$uid" "$RECV_DIR"/*)
	[ "$(wc -l <<<"$f")" -eq 1 ]
	cmp <(ref_pixels "$2" "$1") <(native_pixels "$f")
	diff <(elements "$1" | grep -v '^(0028,0004)') <(elements "$f" | grep -v '^(0028,0004)')
}

# decode_fails WRAPPER DETAIL: dcmsend under WRAPPER (crashing, hanging)
# to a native-only dcmrecv: both JPEG 2000 files are transcodefail with
# DETAIL (an ERE), the JPEG and RLE files after each converted and stored
decode_fails() {
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -1 --separate-stderr "$1" "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"$TS/j2k-lossless.dcm" "$TS/jpeg-lossless-sv1.dcm" "$TS/j2k-lossy.dcm" "$TS/rle.dcm"
	[ "${#lines[@]}" -eq 4 ] || { printf '%s\n' "$output" "$stderr"; false; }
	assert_line --index 0 --regexp $'^transcodefail\t'"$TS/j2k-lossless.dcm"$'\t.*: '"$2"'$'
	assert_line --index 1 --regexp $'^0000\t'"$TS/jpeg-lossless-sv1.dcm"$'\t.*transcoded to ImplicitVRLittleEndian$'
	assert_line --index 2 --regexp $'^transcodefail\t'"$TS/j2k-lossy.dcm"$'\t.*: '"$2"'$'
	assert_line --index 3 --regexp $'^0000\t'"$TS/rle.dcm"$'\t.*transcoded to ImplicitVRLittleEndian$'
	[[ $stderr == *"2 stored, 0 with warning, 2 failed"* ]]
	stop_dcmrecv
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 2 ]
	stored_as "$TS/jpeg-lossless-sv1.dcm" jpeg-sv1
	stored_as "$TS/rle.dcm" rle
}

# encode_fails WRAPPER DETAIL: dcmsend under WRAPPER to a JPEG 2000-only
# dcmrecv: the native file is transcodefail with DETAIL (an ERE), the
# JPEG 2000 one after it sent as it is
encode_fails() {
	start_dcmrecv --accept-ts JPEG2000Lossless
	run -1 --separate-stderr "$1" "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"$TS/explicit-le.dcm" "$TS/j2k-lossless.dcm"
	[ "${#lines[@]}" -eq 2 ] || { printf '%s\n' "$output" "$stderr"; false; }
	assert_line --index 0 --regexp $'^transcodefail\t'"$TS/explicit-le.dcm"$'\t.*: '"$2"'$'
	assert_line --index 1 --regexp $'^0000\t'"$TS/j2k-lossless.dcm"$'\t'
	stop_dcmrecv
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 1 ]
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$TS/j2k-lossless.dcm") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR"/*)
}

# lanes_fail WRAPPER DETAIL N: dcmsend -j 2 under WRAPPER, N JPEG 2000
# files and N RLE files in turn to a native-only dcmrecv: the N JPEG 2000
# ones transcodefail with DETAIL (an ERE), the N others stored
lanes_fail() {
	local i files=()
	for ((i = 0; i < $3; i++)); do
		files+=("$TS/j2k-lossless.dcm" "$TS/rle.dcm")
	done
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -1 --separate-stderr "$1" "$CSTORE_BIN/dcmsend" -j 2 127.0.0.1 "$RECV_PORT" "${files[@]}"
	[ "$(grep -cE $'^transcodefail\t.*: '"$2"'$' <<<"$output")" -eq "$3" ] ||
		{ printf '%s\n' "$output" "$stderr"; false; }
	[ "$(grep -c $'^0000\t'"$TS/rle.dcm"$'\t' <<<"$output")" -eq "$3" ]
	[[ $stderr == *"$3 stored, 0 with warning, $3 failed"* ]]
	stop_dcmrecv
	stored_as "$TS/rle.dcm" rle
}

@test "codec-jail: OpenJPEG aborting while dcmsend decodes JPEG 2000 is transcodefail (SIGABRT) for that file; the files after it are converted and stored" {
	decode_fails crashing 'the decoder crashed \(SIGABRT\)'
}

@test "codec-jail: OpenJPEG trapping while dcmsend encodes JPEG 2000 is transcodefail (SIGILL); the next file is sent as it is" {
	encode_fails crashing 'the encoder crashed \(SIGILL\)'
}

@test "codec-jail: with -j 2 and decode-ahead, crashes in several lanes at once fail only their files" {
	lanes_fail crashing 'the decoder crashed \(SIGABRT\)' 4
}

@test "codec-jail: a GDCM worker serves every frame, holds none of dcmsend's descriptors, and is reaped before dcmsend exits" {
	require_cmd strace
	local files pids p
	# LeakSanitizer cannot work under ptrace (it aborts at exit)
	[ -z "${CSTORE_SANITIZE:-}" ] ||
		local -x ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	files=$(ls "$XCORPUS"/j2k/*-f3.dcm | head -n 3)
	[ "$(wc -l <<<"$files")" -eq 3 ]
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	# one lane converting at its turn: one converting thread, 9 frames
	run -0 --separate-stderr strace -f -qq -e trace=close_range,wait4 -o "$W/st" \
		"$CSTORE_BIN/dcmsend" --no-transcode-ahead 127.0.0.1 "$RECV_PORT" $files
	[ "$(grep -c $'^0000\t.*transcoded to ImplicitVRLittleEndian$' <<<"$output")" -eq 3 ]
	stop_dcmrecv
	# the processes started: each child of the jail closes what it
	# inherited (a lane's socket among them) first thing (strace pads a
	# short PID with spaces)
	pids=$(awk '/close_range\(/ { print $1 }' "$W/st" | sort -u)
	[ "$(wc -w <<<"$pids")" -eq 1 ] || { cat "$W/st"; false; }
	for p in $pids; do
		# ... and dcmsend waited for it
		grep -qE "wait4\($p," "$W/st" || { cat "$W/st"; false; }
	done
	# the frames' pixels are the reference decoder's
	for p in $files; do
		stored_as "$p" j2k
	done
}

@test "codec-jail: with few descriptors (ulimit -n 40, -j 4) every compressed file is still converted and stored" {
	local files n
	files=$(ls "$XCORPUS"/j2k/*.dcm "$XCORPUS"/jpeg-sv1/*.dcm "$XCORPUS"/jpegls/*.dcm)
	n=$(wc -l <<<"$files")
	[ "$n" -ge 30 ]
	start_dcmrecv --accept-ts ImplicitVRLittleEndian --max-associations 8
	# before: a worker (two pipes) per converting thread, and a file
	# whose worker could not start was transcodefail (EMFILE)
	run -0 --separate-stderr bash -c 'ulimit -n 40 && exec "$@"' _ \
		"$CSTORE_BIN/dcmsend" -j 4 127.0.0.1 "$RECV_PORT" $files
	[ "$(grep -c $'^0000\t.*transcoded to ImplicitVRLittleEndian$' <<<"$output")" -eq "$n" ] ||
		{ printf '%s\n' "$output" "$stderr"; false; }
	stop_dcmrecv
	[ "$(ls "$RECV_DIR" | wc -l)" -eq "$n" ]
	stored_as "$(sed -n 1p <<<"$files")" j2k
}

@test "codec-jail: the GDCM workers are shared by the converting threads, one per usable core (-j 8 on one core: one), and dump no core" {
	require_cmd strace
	require_cmd taskset
	local files pids p
	[ -z "${CSTORE_SANITIZE:-}" ] ||
		local -x ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	files=$(ls "$XCORPUS"/j2k/*.dcm "$XCORPUS"/jpeg-sv1/*.dcm)
	start_dcmrecv --accept-ts ImplicitVRLittleEndian --max-associations 8
	run -0 --separate-stderr taskset -c 0 strace -f -qq -e trace=close_range,prlimit64,setrlimit -o "$W/st" \
		"$CSTORE_BIN/dcmsend" -j 8 127.0.0.1 "$RECV_PORT" $files
	[ "$(grep -c $'^0000\t.*transcoded to ImplicitVRLittleEndian$' <<<"$output")" -eq "$(wc -l <<<"$files")" ]
	stop_dcmrecv
	# the workers: the processes that closed what they inherited
	pids=$(awk '/close_range\(/ { print $1 }' "$W/st" | sort -u)
	[ "$(wc -w <<<"$pids")" -eq 1 ] || { cat "$W/st"; false; }
	for p in $pids; do
		grep -qE "^$p +(prlimit64\(0, RLIMIT_CORE, \{rlim_cur=0, rlim_max=0\}|setrlimit\(RLIMIT_CORE, \{rlim_cur=0, rlim_max=0\})" "$W/st" ||
			{ cat "$W/st"; false; }
	done
}

@test "codec-jail: when no GDCM process can be started (fork: EAGAIN), files are converted in dcmsend as before the jail, and -v says so once" {
	local files p
	files=$(ls "$XCORPUS"/j2k/*-f3.dcm | head -n 2)
	[ "$(wc -l <<<"$files")" -eq 2 ]
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	# before: transcodefail, "cannot start the GDCM process"
	run -0 --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/no-fork.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$CSTORE_BIN/dcmsend" -v 127.0.0.1 "$RECV_PORT" $files
	[ "$(grep -c $'^0000\t.*transcoded to ImplicitVRLittleEndian$' <<<"$output")" -eq 2 ] ||
		{ printf '%s\n' "$output" "$stderr"; false; }
	[ "$(grep -c 'converting in this process, not contained (cannot start the GDCM process: Resource temporarily unavailable)' <<<"$stderr")" -eq 1 ] ||
		{ printf '%s\n' "$stderr"; false; }
	stop_dcmrecv
	for p in $files; do
		stored_as "$p" j2k
	done
}

# hanging CMD...: CMD with codec-hang.so preloaded, each GDCM call given
# at least 3 s, and the PIDs of the processes that hung noted in $W/hung
hanging() {
	mkdir -p "$W/hung"
	CODEC_HANG_PIDS=$W/hung DCMSEND_CODEC_TIMEOUT=3 LD_PRELOAD=$CSTORE_TOOLS/codec-hang.so \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 timeout 300 "$@"
}

# none_hung_left: every process that hung in a codec is gone
none_hung_left() {
	local p
	[ "$(ls "$W/hung" | wc -l)" -ge 1 ]
	for p in $(ls "$W/hung"); do
		run kill -0 "$p"
		assert_failure
	done
}

@test "codec-jail: OpenJPEG hanging while dcmsend decodes JPEG 2000 is transcodefail (did not finish within 3 s) for that file; the worker is killed and the files after it are converted and stored" {
	# before: dcmsend waited forever (here: killed by timeout, exit 124)
	decode_fails hanging 'the decoder did not finish within 3 s'
	# two workers hung, each killed (and reaped: dcmsend has ended)
	[ "$(ls "$W/hung" | wc -l)" -eq 2 ]
	none_hung_left
}

@test "codec-jail: a file planning kept whole whose codec hangs is converted once (one worker hung, one limit waited), first or next, with --async 1 and the window" {
	local d=$W/in mode order f
	mkdir -p "$d"
	cp "$TS/j2k-lossy.dcm" "$TS/rle.dcm" "$d/"
	# not changed just before planning: its bytes are kept (under 4 KiB)
	age_files "$d"/*
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	for mode in 1 4; do
		# first: taken at its turn; second: made ready while the
		# first one's answer is awaited.  Before, a failed conversion
		# of a file taken as planned was done again (two workers hung,
		# twice the limit)
		for order in "j2k-lossy rle" "rle j2k-lossy"; do
			rm -rf "$W/hung"
			# shellcheck disable=SC2086 # the two names
			run -1 --separate-stderr hanging "$CSTORE_BIN/dcmsend" --async "$mode" \
				127.0.0.1 "$RECV_PORT" $(printf "$d/%s.dcm " $order)
			[ "${#lines[@]}" -eq 2 ] || { printf '%s\n' "$output" "$stderr"; false; }
			assert_line --regexp $'^transcodefail\t'"$d/j2k-lossy.dcm"$'\t.*: the decoder did not finish within 3 s$'
			assert_line --regexp $'^0000\t'"$d/rle.dcm"$'\t.*transcoded to ImplicitVRLittleEndian$'
			[ "$(ls "$W/hung" | wc -l)" -eq 1 ] || { ls "$W/hung"; echo "$mode $order"; false; }
			none_hung_left
		done
	done
	stop_dcmrecv
	f=$(ls "$RECV_DIR"/*)
	[ "$(wc -l <<<"$f")" -eq 1 ]
	stored_as "$d/rle.dcm" rle
}

@test "codec-jail: OpenJPEG spinning while dcmsend encodes JPEG 2000 is transcodefail (did not finish); the next file is sent as it is" {
	encode_fails hanging 'the encoder did not finish within 3 s'
	none_hung_left
}

@test "codec-jail: with -j 2 and decode-ahead, codecs hanging in several lanes at once fail only their files, each within its limit" {
	lanes_fail hanging 'the decoder did not finish within 3 s' 3
	none_hung_left
}

@test "codec-jail: DCMSEND_CODEC_TIMEOUT must be a number of seconds (1-86400)" {
	run -2 --separate-stderr env DCMSEND_CODEC_TIMEOUT=0 "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$TS/rle.dcm"
	[[ $stderr == *DCMSEND_CODEC_TIMEOUT* ]]
	run -2 --separate-stderr env DCMSEND_CODEC_TIMEOUT=soon "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$TS/rle.dcm"
	[[ $stderr == *DCMSEND_CODEC_TIMEOUT* ]]
}

@test "codec-jail: DCMSEND_CODEC_TIMEOUT and DCMSEND_COMMIT_DELAY_MS set empty mean unset" {
	# before: an empty variable was a usage error (exit 2) on every run
	run -0 --separate-stderr env DCMSEND_CODEC_TIMEOUT= "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$TS/rle.dcm"
	[[ $stderr != *DCMSEND_CODEC_TIMEOUT* ]]
	run -0 --separate-stderr env DCMSEND_COMMIT_DELAY_MS= "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 104 "$TS/rle.dcm"
	[[ $stderr != *DCMSEND_COMMIT_DELAY_MS* ]]
}

@test "codec-jail: GDCM's whole-file rewrite runs in its child on the open file: its JPEG 2000 has the source's pixels and elements" {
	# before: the child closed the descriptor /proc/self/fd named and
	# read /dev/null in its place ("empty file")
	run -0 --separate-stderr "$CSTORE_TOOLS/dcm-xcode" -g 1.2.840.10008.1.2.4.90 "$TS/explicit-le.dcm" "$W/out.dcm"
	dcmdump -q +P 0002,0010 "$W/out.dcm" | grep -qF '=JPEG2000LosslessOnly'
	cmp <(native_pixels "$TS/explicit-le.dcm") <(ref_pixels j2k "$W/out.dcm")
	diff <(elements "$TS/explicit-le.dcm") <(elements "$W/out.dcm")
}

@test "codec-jail: a codec hanging in GDCM's whole-file rewrite is killed at its limit, an error naming it" {
	run -1 --separate-stderr hanging "$CSTORE_TOOLS/dcm-xcode" -g -t 3 1.2.840.10008.1.2.4.90 "$TS/explicit-le.dcm" "$W/out.dcm"
	[[ $stderr == *": the GDCM conversion did not finish within 3 s" ]] || { printf '%s\n' "$stderr"; false; }
	[ ! -e "$W/out.dcm" ]
	none_hung_left
}

# late CMD...: CMD with codec-late.so preloaded (a GDCM worker fails at its
# next read once it coded a frame)
late() {
	DCMSEND_CODEC_TIMEOUT=3 LD_PRELOAD=$CSTORE_TOOLS/codec-late.so \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 timeout 300 "$@"
}

@test "codec-jail: a worker that dies between two calls, after it answered one, costs the next frame nothing: a new worker decodes it" {
	local files p
	files=$(ls "$XCORPUS"/j2k/*-f3.dcm | head -n 2)
	[ "$(wc -l <<<"$files")" -eq 2 ]
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	# before: each frame a used worker got was transcodefail, "the
	# decoder crashed (SIGABRT)", though it never ran
	run -0 --separate-stderr late "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" $files
	[ "$(grep -c $'^0000\t.*transcoded to ImplicitVRLittleEndian$' <<<"$output")" -eq 2 ] ||
		{ printf '%s\n' "$output" "$stderr"; false; }
	stop_dcmrecv
	for p in $files; do
		stored_as "$p" j2k
	done
}

@test "codec-jail: a worker that stops reading between two calls is replaced at its limit, even with a request larger than its pipe; the frame is coded by a new one" {
	local p f n
	# native frames of 512 KiB (a request a pipe does not hold), and a
	# JPEG 2000 file of their class for a context to convert them to
	python3 "$CSTORE_ROOT/tests/tools/mkbig" "$W/a.dcm" 1
	for n in 2 3; do
		python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(d.replace(b"2.25.1234567890123456789012345678901", b"2.25.123456789012345678901234567890" + sys.argv[3].encode()))' \
			"$W/a.dcm" "$W/u$n.dcm" "$n"
	done
	"$CSTORE_TOOLS/dcm-xcode" 1.2.840.10008.1.2.4.90 "$W/u3.dcm" "$W/j2k.dcm" >/dev/null
	start_dcmrecv --accept-ts JPEG2000Lossless
	# one conversion at a time: each call after a worker's first goes to
	# a worker that stopped reading (before: dcmsend waited forever)
	local -x CODEC_LATE=hang
	run -0 --separate-stderr late "$CSTORE_BIN/dcmsend" --no-transcode-ahead 127.0.0.1 "$RECV_PORT" \
		"$W/a.dcm" "$W/u2.dcm" "$W/j2k.dcm"
	[ "$(grep -c $'^0000\t.*transcoded to JPEG2000Lossless$' <<<"$output")" -eq 2 ] ||
		{ printf '%s\n' "$output" "$stderr"; false; }
	stop_dcmrecv
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 3 ]
	for p in "$W/a.dcm" "$W/u2.dcm"; do
		f=$(grep -l -F "$("$CSTORE_TOOLS/dcm-dataset" -u "$p" | cut -f2)" "$RECV_DIR"/*)
		cmp <(native_pixels "$p") <(ref_pixels j2k "$f")
	done
}

@test "codec-jail: a codec that closes the answer pipe and hangs is killed at its limit; the file after it is stored" {
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	# before: dcmsend saw the pipe's end and waited for the process forever
	local -x CODEC_HANG=close
	run -1 --separate-stderr hanging "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$TS/j2k-lossless.dcm" "$TS/rle.dcm"
	[ "${#lines[@]}" -eq 2 ] || { printf '%s\n' "$output" "$stderr"; false; }
	assert_line --index 0 --regexp $'^transcodefail\t'"$TS/j2k-lossless.dcm"$'\t.*: the decoder did not finish within 3 s$'
	assert_line --index 1 --regexp $'^0000\t'"$TS/rle.dcm"$'\t.*transcoded to ImplicitVRLittleEndian$'
	stop_dcmrecv
	stored_as "$TS/rle.dcm" rle
	none_hung_left
}

# gone PID: PID has ended (no process, or a zombie no one reaps yet)
gone() {
	[ ! -r "/proc/$1/stat" ] || [[ $(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) == Z* ]]
}

@test "codec-jail: dcmsend killed by a signal while a codec hangs leaves no GDCM worker running" {
	local pid p i left
	mkdir -p "$W/hung"
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	CODEC_HANG_PIDS=$W/hung DCMSEND_CODEC_TIMEOUT=600 LD_PRELOAD=$CSTORE_TOOLS/codec-hang.so \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$CSTORE_BIN/dcmsend" -j 2 127.0.0.1 "$RECV_PORT" "$TS/j2k-lossless.dcm" "$TS/j2k-lossy.dcm" \
		>"$W/send.out" 2>"$W/send.err" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		[ "$(ls "$W/hung" | wc -l)" -ge 1 ] && break
		sleep 0.1
	done
	[ "$(ls "$W/hung" | wc -l)" -ge 1 ] || { kill -9 "$pid"; cat "$W/send.err"; false; }
	kill -9 "$pid"
	wait "$pid" || true
	stop_dcmrecv
	# before: each hung worker ran on, its parent gone, until killed by hand
	for ((i = 0; i < 100; i++)); do
		left=
		for p in $(ls "$W/hung"); do
			gone "$p" || left+=" $p"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	for p in $left; do
		kill -9 "$p" 2>/dev/null || true
	done
	[ -z "$left" ] || { echo "workers left:$left"; false; }
}
