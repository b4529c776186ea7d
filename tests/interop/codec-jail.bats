#!/usr/bin/env bats
# GDCM's codecs run in a child process per call (lib/dcmfile/gdcm_jail.c):
# an assert or a crash in GDCM, libjpeg or OpenJPEG fails that one
# conversion (transcodefail, "the decoder crashed (SIGABRT)") and dcmsend
# goes on with the next files.  Before, it killed dcmsend: exit by signal,
# no result lines, the files after it never sent.  codec-crash.so
# (LD_PRELOAD) makes OpenJPEG's decode abort and its encode trap; the
# other codecs are untouched.
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

@test "codec-jail: OpenJPEG aborting while dcmsend decodes JPEG 2000 is transcodefail (SIGABRT) for that file; the files after it are converted and stored" {
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -1 --separate-stderr crashing "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"$TS/j2k-lossless.dcm" "$TS/jpeg-lossless-sv1.dcm" "$TS/j2k-lossy.dcm" "$TS/rle.dcm"
	[ "${#lines[@]}" -eq 4 ] || { printf '%s\n' "$output" "$stderr"; false; }
	assert_line --index 0 --regexp $'^transcodefail\t'"$TS/j2k-lossless.dcm"$'\t.*: the decoder crashed \\(SIGABRT\\)$'
	assert_line --index 1 --regexp $'^0000\t'"$TS/jpeg-lossless-sv1.dcm"$'\t.*transcoded to ImplicitVRLittleEndian$'
	assert_line --index 2 --regexp $'^transcodefail\t'"$TS/j2k-lossy.dcm"$'\t.*: the decoder crashed \\(SIGABRT\\)$'
	assert_line --index 3 --regexp $'^0000\t'"$TS/rle.dcm"$'\t.*transcoded to ImplicitVRLittleEndian$'
	[[ $stderr == *"2 stored, 0 with warning, 2 failed"* ]]
	stop_dcmrecv
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 2 ]
	stored_as "$TS/jpeg-lossless-sv1.dcm" jpeg-sv1
	stored_as "$TS/rle.dcm" rle
}

@test "codec-jail: OpenJPEG trapping while dcmsend encodes JPEG 2000 is transcodefail (SIGILL); the next file is sent as it is" {
	start_dcmrecv --accept-ts JPEG2000Lossless
	run -1 --separate-stderr crashing "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"$TS/explicit-le.dcm" "$TS/j2k-lossless.dcm"
	[ "${#lines[@]}" -eq 2 ] || { printf '%s\n' "$output" "$stderr"; false; }
	assert_line --index 0 --regexp $'^transcodefail\t'"$TS/explicit-le.dcm"$'\t.*: the encoder crashed \\(SIGILL\\)$'
	assert_line --index 1 --regexp $'^0000\t'"$TS/j2k-lossless.dcm"$'\t'
	stop_dcmrecv
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 1 ]
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$TS/j2k-lossless.dcm") <("$CSTORE_TOOLS/dcm-dataset" "$RECV_DIR"/*)
}

@test "codec-jail: with -j 2 and decode-ahead, crashes in several lanes at once fail only their files" {
	local i files=()
	for i in 1 2 3 4; do
		files+=("$TS/j2k-lossless.dcm" "$TS/rle.dcm")
	done
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	run -1 --separate-stderr crashing "$CSTORE_BIN/dcmsend" -j 2 127.0.0.1 "$RECV_PORT" "${files[@]}"
	[ "$(grep -c $'^transcodefail\t.*: the decoder crashed (SIGABRT)$' <<<"$output")" -eq 4 ] ||
		{ printf '%s\n' "$output" "$stderr"; false; }
	[ "$(grep -c $'^0000\t'"$TS/rle.dcm"$'\t' <<<"$output")" -eq 4 ]
	[[ $stderr == *"4 stored, 0 with warning, 4 failed"* ]]
	stop_dcmrecv
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
