#!/usr/bin/env bats
# GDCM's codecs run in a child process per call (lib/dcmfile/gdcm_jail.c):
# an assert or a crash in GDCM, libjpeg or OpenJPEG fails that one
# conversion (transcodefail, "the decoder crashed (SIGABRT)") and dcmsend
# goes on with the next files.  Before, it killed dcmsend: exit by signal,
# no result lines, the files after it never sent.  codec-crash.so
# (LD_PRELOAD) makes OpenJPEG's decode abort and its encode trap; the
# other codecs are untouched.
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

@test "codec-jail: one GDCM worker per converting thread serves every frame, holds none of dcmsend's descriptors, and is reaped before dcmsend exits" {
	require_cmd strace
	local files pids p
	# LeakSanitizer cannot work under ptrace (it aborts at exit)
	[ -z "${CSTORE_SANITIZE:-}" ] ||
		local -x ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	files=$(ls "$XCORPUS"/j2k/*-f3.dcm | head -n 3)
	[ "$(wc -l <<<"$files")" -eq 3 ]
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	# one lane converting at its turn: one converting thread, 9 frames
	run -0 --separate-stderr strace -f -qq -e trace=prctl,close_range,wait4 -o "$W/st" \
		"$CSTORE_BIN/dcmsend" --no-transcode-ahead 127.0.0.1 "$RECV_PORT" $files
	[ "$(grep -c $'^0000\t.*transcoded to ImplicitVRLittleEndian$' <<<"$output")" -eq 3 ]
	stop_dcmrecv
	# the processes started: each child of the jail asks to die with
	# its parent first thing (strace pads a short PID with spaces)
	pids=$(awk '/prctl\(PR_SET_PDEATHSIG, SIGKILL/ { print $1 }' "$W/st")
	[ "$(wc -w <<<"$pids")" -eq 1 ] || { cat "$W/st"; false; }
	for p in $pids; do
		# it closed what it inherited (a lane's socket among them) ...
		grep -qE "^$p +close_range\\(" "$W/st" || { cat "$W/st"; false; }
		# ... and dcmsend waited for it
		grep -qE "wait4\($p," "$W/st" || { cat "$W/st"; false; }
	done
	# the frames' pixels are the reference decoder's
	for p in $files; do
		stored_as "$p" j2k
	done
}
