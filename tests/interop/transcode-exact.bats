#!/usr/bin/env bats
# The transcoder rewrites the pixel data and nothing else: every
# compressed file of the scripts/mkxcorpus corpus (RLE, JPEG lossless SV1
# and process 14, JPEG-LS lossless, JPEG 2000 lossless; 8, 12, 16 and 32
# bits; 1 and 3 samples; signed and unsigned; 1 and 3 frames; 17x13) is
# transcoded by our transcoder (tests/tools/dcm-xcode) to Explicit and
# Implicit VR LE.  Its pixels must equal what an independent decoder makes
# of the file (DCMTK dcmdrle/dcmdjpeg/dcmdjpls, OpenJPEG opj_decompress)
# and the native image the file was made from; every other element must
# equal the original's (dcmdump, transfer syntax and pixel lines aside).
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel,heavy

load transcode-helpers

setup_file() {
	xcorpus_setup
}

setup() {
	require_cmd dcmdrle
	require_cmd dcmdjpeg
	require_cmd dcmdjpls
	require_cmd opj_decompress
	XC=$CSTORE_TOOLS/dcm-xcode
	W=$BATS_TEST_TMPDIR
}

# check_one CODEC CASE PATH TS: transcode, compare pixels and elements
check_one() {
	local codec=$1 name=$2 src=$XCORPUS/$3 ts=$4 out ref orig
	out=$W/$codec-$name-$ts.dcm
	"$XC" "$ts" "$src" "$out" >/dev/null 2>"$W/err" ||
		{ echo "$codec/$name -> $ts: $(cat "$W/err")"; return 1; }
	[ ! -s "$W/err" ] || { echo "$codec/$name: stderr: $(cat "$W/err")"; return 1; }
	native_pixels "$out" >"$W/ours.raw" || { echo "$codec/$name: no pixels"; return 1; }
	# what the source gives is the same for both targets: made once
	ref=$W/src.$codec-$name
	if [ ! -e "$ref.ref.raw" ]; then
		ref_pixels_of "$codec" "$src" >"$ref.tmp" || { echo "$codec/$name: no reference"; return 1; }
		mv "$ref.tmp" "$ref.ref.raw"
		elements "$src" >"$ref.elements"
	fi
	# a pad byte ends an odd-length value: compare the frames
	size=$(stat -c %s "$ref.ref.raw")
	cmp -n "$size" "$W/ours.raw" "$ref.ref.raw" >/dev/null ||
		{ echo "$codec/$name -> $ts: pixels differ from the reference decoder's"; return 1; }
	if [ -f "$XCORPUS/native/$name.dcm" ]; then
		[ -e "$ref.orig.raw" ] || native_pixels "$XCORPUS/native/$name.dcm" >"$ref.orig.raw"
		cmp -n "$size" "$W/ours.raw" "$ref.orig.raw" >/dev/null ||
			{ echo "$codec/$name -> $ts: pixels differ from the original image"; return 1; }
	fi
	diff "$ref.elements" <(elements "$out") >"$W/diff" ||
		{ echo "$codec/$name -> $ts: elements differ:"; cat "$W/diff"; return 1; }
	dcmdump -q -Un +P 0002,0010 "$out" | grep -qF "[$ts]" ||
		{ echo "$codec/$name: not written in $ts"; return 1; }
}

# check_codec CODEC MIN: every file of CODEC to both targets
check_codec() {
	local codec=$1 min=$2 n=0 bad=0 c name path ts
	while IFS=$'\t' read -r c name path ts; do
		[ "$c" = "$codec" ] || continue
		for t in "$EVR" "$IVR"; do
			check_one "$codec" "$name" "$path" "$t" || bad=$((bad + 1))
			n=$((n + 1))
		done
	done <"$XCORPUS/MANIFEST.tsv"
	echo "$codec: $n conversions, $bad wrong"
	[ "$n" -ge "$min" ] && [ "$bad" -eq 0 ]
}

@test "transcode-exact: RLE (8/12/16/32 bits, 1 and 3 samples, signed, multi-frame) to Explicit and Implicit VR LE" {
	check_codec rle 50
}

@test "transcode-exact: JPEG Lossless SV1 to Explicit and Implicit VR LE" {
	check_codec jpeg-sv1 36
}

@test "transcode-exact: JPEG Lossless process 14 to Explicit and Implicit VR LE" {
	check_codec jpeg-p14 36
}

@test "transcode-exact: JPEG-LS Lossless to Explicit and Implicit VR LE" {
	check_codec jpegls 36
}

@test "transcode-exact: JPEG 2000 Lossless to Explicit and Implicit VR LE, pixels as opj_decompress makes them" {
	check_codec j2k 24
}

@test "transcode-exact: Explicit VR Big Endian 3-frame 32-bit SC to Implicit VR LE: every element and pixel kept" {
	for f in evrbe-32bit-f3:b32-s1-unsigned-f3 sc-evrbe-32bit-f3:sc-b32-s1-unsigned-f3; do
		src=$XCORPUS/special/${f%%:*}.dcm
		run -0 "$XC" "$IVR" "$src" "$W/out.dcm"
		# DCMTK's conversion is the reference
		dcmconv +ti "$src" "$W/ref.dcm"
		cmp <(native_pixels "$W/out.dcm") <(native_pixels "$W/ref.dcm")
		cmp <(native_pixels "$W/out.dcm") <(native_pixels "$XCORPUS/native/${f#*:}.dcm")
		diff <(elements "$src") <(elements "$W/out.dcm")
		dcmdump -q +P 0028,0008 "$W/out.dcm" | grep -qF '[3]'
	done
}

@test "transcode-exact: the Per-frame Functional Groups Sequence keeps its 3 items and Number of Frames is neither added nor dropped (Big Endian and JPEG-LS to Implicit VR LE)" {
	for f in fgroups-evrbe fgroups-jpegls fgroups-evrle fgroups-noframes-evrbe; do
		src=$XCORPUS/special/$f.dcm
		"$XC" "$IVR" "$src" "$W/$f.dcm" >/dev/null
		diff <(elements "$src") <(elements "$W/$f.dcm")
		[ "$(dcmdump -q "$W/$f.dcm" | grep -c '^  (fffe,e000) na (Item')" -eq 3 ]
		if [ "$f" = fgroups-noframes-evrbe ]; then
			# none there, none added
			[ -z "$(dcmdump -q +P 0028,0008 "$W/$f.dcm")" ]
		else
			dcmdump -q +P 0028,0008 "$W/$f.dcm" | grep -qF '[3]'
		fi
		dcmdump -q +P 0028,0101 "$W/$f.dcm" | grep -q 'US 12'
		cmp <(native_pixels "$W/$f.dcm") <(native_pixels "$XCORPUS/special/fgroups-evrle.dcm")
	done
}

@test "transcode-exact: third-party messages never reach stderr; -v shows them prefixed" {
	: >"$W/all.err"
	while IFS=$'\t' read -r c name path ts; do
		[ "$c" = native ] && continue
		"$XC" "$IVR" "$XCORPUS/$path" "$W/o.dcm" >/dev/null 2>>"$W/all.err" || true
	done <"$XCORPUS/MANIFEST.tsv"
	# only our own lines (a refusal names the file and why)
	[ "$(grep -vc "^dcm-xcode: '" "$W/all.err")" -eq 0 ] || { cat "$W/all.err"; false; }
	# a 12-bit JPEG: libjpeg is tried at 8 bits first and complains
	run -0 --separate-stderr "$XC" -v "$IVR" "$XCORPUS/jpeg-sv1/b12-s1-unsigned-f1.dcm" "$W/o.dcm"
	[ -z "$stderr" ] || [ "$(grep -vc '^dcm-xcode: gdcm: ' <<<"$stderr")" -eq 0 ]
}

@test "transcode-exact: a lossless encoding is checked; lossy JPEG-LS gets a new SOP Instance UID and the Lossy Image Compression attributes" {
	src=$XCORPUS/native/b16-s1-unsigned-f3.dcm
	old=$(dcmdump -q +P 0008,0018 "$src" | sed -E 's/.*\[(.*)\].*/\1/')
	# lossless JPEG-LS from native: decodes back to the same pixels
	run -0 "$XC" 1.2.840.10008.1.2.4.80 "$src" "$W/ls.dcm"
	dcmdjpls +te "$W/ls.dcm" "$W/ls-ref.dcm"
	cmp <(native_pixels "$W/ls-ref.dcm") <(native_pixels "$src")
	diff <(elements "$src") <(elements "$W/ls.dcm")
	# lossy without -l: refused
	run -1 "$XC" 1.2.840.10008.1.2.4.81 "$src" "$W/nl.dcm"
	# lossy with -l
	run -0 "$XC" -l 1.2.840.10008.1.2.4.81 "$src" "$W/nl.dcm"
	new=$(cut -f2 <<<"$output")
	[[ $new == 2.25.* ]] && [ "$new" != "$old" ]
	[ "$(cut -f4 <<<"$output")" = 1 ]
	dcmdump -q +P 0008,0018 "$W/nl.dcm" | grep -qF "[$new]"
	dcmdump -q +P 0028,2110 "$W/nl.dcm" | grep -qF '[01]'
	dcmdump -q +P 0028,2114 "$W/nl.dcm" | grep -qF '[ISO_14495_1]'
	ratio=$(cut -f5 <<<"$output")
	dcmdump -q +P 0028,2112 "$W/nl.dcm" | grep -qF "[$ratio]"
	# everything else as it was
	diff <(elements "$src" | grep -v -e '^(0008,0018)') \
		<(elements "$W/nl.dcm" | grep -v -e '^(0008,0018)' -e '^(0028,211[024])')
	dcmdjpls +te "$W/nl.dcm" "$W/nl-ref.dcm"
	# the same conversion again (a retry) makes the same instance; another
	# target another one
	run -0 "$XC" -l 1.2.840.10008.1.2.4.81 "$src" "$W/nl2.dcm"
	[ "$(cut -f2 <<<"$output")" = "$new" ]
	run -0 "$XC" -l 1.2.840.10008.1.2.4.91 "$src" "$W/j2k.dcm"
	other=$(cut -f2 <<<"$output")
	[[ $other == 2.25.* ]] && [ "$other" != "$new" ]
}

@test "transcode-exact: lossy JPEG sources decode as dcmdjpeg decodes them; YBR_FULL_422 becomes RGB, nothing else changes" {
	for f in jpeg-ext12-f3 jpeg-base-mono jpeg-base-ybr-f3; do
		src=$XCORPUS/lossy/$f.dcm
		run -0 --separate-stderr "$XC" "$IVR" "$src" "$W/$f.dcm"
		[ -z "$stderr" ]
		dcmdjpeg +te "$src" "$W/$f-ref.dcm"
		cmp <(native_pixels "$W/$f.dcm") <(native_pixels "$W/$f-ref.dcm")
		pi=$(dcmdump -q +P 0028,0004 "$src" | sed -E 's/.*\[(.*)\].*/\1/')
		case $pi in
		YBR_FULL*) want=RGB ;;
		*) want=$pi ;;
		esac
		dcmdump -q +P 0028,0004 "$W/$f.dcm" | grep -qF "[$want]"
		diff <(elements "$src" | grep -v '^(0028,0004)') <(elements "$W/$f.dcm" | grep -v '^(0028,0004)')
	done
}

@test "transcode-exact: native images encoded in RLE, JPEG-LS, JPEG Lossless SV1 and JPEG 2000 decode with DCMTK/OpenJPEG to the original pixels; refusals say why" {
	n=0 bad=0
	while IFS=$'\t' read -r c name path ts; do
		[ "$c" = native ] || continue
		for pair in rle:1.2.840.10008.1.2.5 jpegls:1.2.840.10008.1.2.4.80 \
			jpeg-sv1:1.2.840.10008.1.2.4.70 j2k:1.2.840.10008.1.2.4.90; do
			codec=${pair%%:*} t=${pair#*:}
			case $name/$codec in b32*/jpegls|b32*/jpeg-sv1|b32*/j2k) continue ;; esac
			out=$W/$codec-$name.dcm
			if ! "$XC" "$t" "$XCORPUS/$path" "$out" >/dev/null 2>"$W/err"; then
				# a refusal is allowed when it says why; never a wrong file
				grep -q "^dcm-xcode: '.*': ." "$W/err" || { echo "$name -> $codec: $(cat "$W/err")"; bad=$((bad + 1)); }
				[ ! -e "$out" ] || [ ! -s "$out" ] || { echo "$name -> $codec: refused but wrote"; bad=$((bad + 1)); }
				continue
			fi
			ref_pixels "$codec" "$out" >"$W/ref.raw" 2>"$W/err" || { echo "$name -> $codec: undecodable"; bad=$((bad + 1)); continue; }
			native_pixels "$XCORPUS/$path" >"$W/orig.raw"
			# opj_decompress writes no pad byte: at most one byte shorter
			size=$(stat -c %s "$W/ref.raw")
			[ "$size" -ge $(($(stat -c %s "$W/orig.raw") - 1)) ] &&
				cmp -n "$size" "$W/ref.raw" "$W/orig.raw" >/dev/null 2>&1 ||
				{ echo "$name -> $codec: the reference decoder gets other pixels"; bad=$((bad + 1)); continue; }
			diff <(elements "$XCORPUS/$path") <(elements "$out") >/dev/null ||
				{ echo "$name -> $codec: elements differ"; bad=$((bad + 1)); continue; }
			n=$((n + 1))
		done
	done <"$XCORPUS/MANIFEST.tsv"
	echo "$n encoded and checked, $bad wrong"
	[ "$bad" -eq 0 ] && [ "$n" -ge 40 ]
}

@test "transcode-exact: JPEG-LS is decoded by CharLS directly (the GDCM module never loaded), exact in every interleave mode" {
	require_cmd strace
	local f il
	for f in b8-s3-unsigned-f3 b16-s3-unsigned-f1 b12-s1-signed-f1; do
		for il in +in +il +is; do
			dcmcjpls "$il" "$XCORPUS/native/$f.dcm" "$W/in.dcm"
			# LeakSanitizer does not run under ptrace (a sanitizer build)
			ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
				strace -f -e trace=openat -o "$W/trace" "$XC" "$IVR" "$W/in.dcm" "$W/out.dcm" >/dev/null
			grep -q 'libcharls\.so' "$W/trace"
			run grep -c 'cstore-gdcm\.so' "$W/trace"
			[ "$output" = 0 ]
			# the original (dcmdjpls refuses 16-bit colour without interleaving)
			cmp <(native_pixels "$W/out.dcm") <(native_pixels "$XCORPUS/native/$f.dcm")
		done
	done
}

@test "transcode-exact: a JPEG-LS frame CharLS refuses, or CharLS missing: the GDCM module decodes it, pixels as dcmdjpls makes them" {
	require_cmd strace
	local f mode to
	# charls-redirect.so puts charls-refuse.so (refuses every stream) or
	# nothing in place of libcharls.so.2 for the transcoder's dlopen
	# only; the GDCM module still links the real CharLS.  The sanitizers'
	# runtime cannot come first with a preload, nor find leaks under ptrace.
	for f in b8-s3-unsigned-f3 b12-s1-signed-f3 b16-s1-unsigned-f1; do
		for mode in refuse missing; do
			to=
			[ "$mode" = missing ] || to=$CSTORE_TOOLS/charls-refuse.so
			CSTORE_TEST_CHARLS=$to LD_PRELOAD=$CSTORE_TOOLS/charls-redirect.so \
				ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:verify_asan_link_order=0 \
				strace -f -e trace=openat -o "$W/trace" "$XC" "$IVR" "$XCORPUS/jpegls/$f.dcm" "$W/out.dcm" >/dev/null 2>"$W/err"
			[ ! -s "$W/err" ]
			grep -q 'cstore-gdcm\.so.* = [0-9]' "$W/trace"
			run grep -c 'charls-refuse\.so.* = [0-9]' "$W/trace"
			[ "$output" = "$([ "$mode" = missing ] && echo 0 || echo 1)" ]
			cmp <(native_pixels "$W/out.dcm") <(ref_pixels_of jpegls "$XCORPUS/jpegls/$f.dcm")
			cmp <(native_pixels "$W/out.dcm") <(native_pixels "$XCORPUS/native/$f.dcm")
			diff <(elements "$XCORPUS/jpegls/$f.dcm") <(elements "$W/out.dcm")
		done
	done
}
