#!/usr/bin/env bats
# rle.bats - our RLE Lossless codec (lib/dcmfile/rle.h) against DCMTK's,
# pixel for pixel, through tests/tools/rle-tool:
#  - decode: a native image made with dump2dcm, compressed by dcmcrle,
#    decoded by us must equal both the original and dcmdrle's output;
#  - encode: the same image encoded by us and decoded by dcmdrle must
#    equal the original.
# Images: 8/16/32 bits, 1 and 3 samples, planar configuration 0 and 1,
# signed and unsigned, 1 to 3 frames, odd sizes; their byte planes hold
# runs of 1, 2, 3, 127-130 and 255-257 bytes (rle-tool gen).
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers

setup() {
	require_cmd dump2dcm
	require_cmd dcmcrle
	require_cmd dcmdrle
	[ -x "$CSTORE_TOOLS/rle-tool" ] || skip "tests/tools/rle-tool not built"
	T="$CSTORE_TOOLS/rle-tool"
	W=$BATS_TEST_TMPDIR
}

# mkdcm NAME ROWS COLS SAMPLES BITS PC FRAMES SIGNED SEED: $W/NAME.dcm,
# native Explicit VR Little Endian, and $W/NAME.raw, its pixel bytes.
mkdcm() {
	local n=$1 r=$2 c=$3 s=$4 b=$5 pc=$6 f=$7 sg=$8 seed=$9 vr=OW photo=MONOCHROME2
	"$T" gen "$r" "$c" "$s" "$b" "$pc" "$f" "$sg" "$seed" "$W/$n.raw"
	[ "$b" = 8 ] && vr=OB
	[ "$s" = 3 ] && photo=RGB
	{
		echo "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]"
		echo "(0008,0018) UI [2.25.$seed$r$c$s$b$f]"
		echo "(0008,0060) CS [OT]"
		echo "(0020,000d) UI [2.25.1]"
		echo "(0020,000e) UI [2.25.2]"
		echo "(0028,0002) US $s"
		echo "(0028,0004) CS [$photo]"
		[ "$s" = 3 ] && echo "(0028,0006) US $pc"
		[ "$f" != 1 ] && echo "(0028,0008) IS [$f]"
		echo "(0028,0010) US $r"
		echo "(0028,0011) US $c"
		echo "(0028,0100) US $b"
		echo "(0028,0101) US $b"
		echo "(0028,0102) US $((b - 1))"
		echo "(0028,0103) US $sg"
		echo "(7fe0,0010) $vr =$W/$n.raw"
	} >"$W/$n.dump"
	dump2dcm -q +te "$W/$n.dump" "$W/$n.dcm"
	# the native file holds what gen made
	"$T" pixels "$W/$n.dcm" "$W/$n.px"
	cmp "$W/$n.raw" "$W/$n.px"
}

# exact ARGS-of-mkdcm: both directions against DCMTK, both planar layouts.
exact() {
	local n=img pc
	mkdcm "$n" "$@"
	run -0 "$T" info "$W/$n.dcm"
	[ "$output" = "$1 $2 $3 $4 $6 $(($3 == 3 ? $5 : 0))" ]
	# decode: dcmcrle -> ours == dcmdrle == original
	dcmcrle -q "$W/$n.dcm" "$W/$n-rle.dcm"
	dcmdrle -q "$W/$n-rle.dcm" "$W/$n-dcmtk.dcm"
	for pc in 0 1; do
		"$T" pixels -p $pc "$W/$n.dcm" "$W/orig.$pc"
		"$T" pixels -p $pc "$W/$n-dcmtk.dcm" "$W/dcmtk.$pc"
		"$T" decode -p $pc "$W/$n-rle.dcm" "$W/ours.$pc"
		cmp "$W/dcmtk.$pc" "$W/orig.$pc"
		cmp "$W/ours.$pc" "$W/dcmtk.$pc"
	done
	# encode: ours -> dcmdrle == original; and our decoder reads it back
	"$T" encode "$W/$n.dcm" "$W/$n-ours.dcm"
	dcmdrle -q "$W/$n-ours.dcm" "$W/$n-back.dcm"
	for pc in 0 1; do
		"$T" pixels -p $pc "$W/$n-back.dcm" "$W/back.$pc"
		cmp "$W/back.$pc" "$W/orig.$pc"
		"$T" decode -p $pc "$W/$n-ours.dcm" "$W/self.$pc"
		cmp "$W/self.$pc" "$W/orig.$pc"
	done
	# a test that can fail: the images are not trivial
	[ "$(od -An -v -tx1 "$W/orig.0" | tr ' ' '\n' | grep -c .)" -eq $(($1 * $2 * $3 * $4 / 8 * $6)) ]
	[ "$(od -An -v -tx1 "$W/orig.0" | tr ' ' '\n' | grep . | sort -u | wc -l)" -gt 2 ] || [ "$1$2" = 11 ]
}

@test "rle: 1x1 8-bit grayscale, both directions exact against DCMTK" {
	exact 1 1 1 8 0 1 0 11
}

@test "rle: 3x5 8-bit grayscale (odd length), both directions exact" {
	exact 3 5 1 8 0 1 0 12
}

@test "rle: 17x13 16-bit signed grayscale, both directions exact" {
	exact 17 13 1 16 0 1 1 13
}

@test "rle: 1x300 16-bit grayscale, 3 frames, both directions exact" {
	exact 1 300 1 16 0 3 0 14
}

@test "rle: 17x13 32-bit grayscale, 2 frames, both directions exact" {
	exact 17 13 1 32 0 2 0 15
}

@test "rle: 13x17 32-bit signed grayscale, both directions exact" {
	exact 13 17 1 32 0 1 1 16
}

@test "rle: 17x13 8-bit RGB, planar configuration 0 and 1, both directions exact" {
	exact 17 13 3 8 0 1 0 17
	exact 17 13 3 8 1 1 0 18
}

@test "rle: two-frame 8-bit RGB (GDCM cannot transcode it), both directions exact" {
	exact 64 48 3 8 0 2 0 19
}

@test "rle: 100x100 16-bit RGB (GDCM gets 18,000 of 30,000 samples wrong), both directions exact" {
	exact 100 100 3 16 0 1 0 20
	exact 100 100 3 16 1 1 1 21
}

@test "rle: 9x7 32-bit RGB, 2 and 3 frames, signed, planar 0 and 1, both directions exact" {
	exact 9 7 3 32 0 3 0 22
	exact 9 7 3 32 1 2 1 23
}

@test "rle: a frame cut short or with a wrong segment count is refused with a reason" {
	"$T" gen 17 13 3 16 0 1 0 5 "$W/f.raw"
	"$T" encode-raw 17 13 3 16 0 "$W/f.raw" "$W/f.rle"
	"$T" decode-raw 17 13 3 16 0 "$W/f.rle" "$W/f.back"
	cmp "$W/f.raw" "$W/f.back"
	head -c $(($(stat -c %s "$W/f.rle") - 9)) "$W/f.rle" >"$W/short.rle"
	run -1 --separate-stderr "$T" decode-raw 17 13 3 16 0 "$W/short.rle" "$W/x"
	[[ "$stderr" =~ ^"rle-tool: rle: segment 6".*"(CS_E_TRUNCATED)"$ ]]
	run -1 --separate-stderr "$T" decode-raw 17 13 1 16 0 "$W/f.rle" "$W/x"
	[ "$stderr" = "rle-tool: rle: frame has 6 segments, the image needs 2 (1 samples of 16 bits) (CS_E_PROTO)" ]
	run -1 --separate-stderr "$T" decode-raw 17 13 3 12 0 "$W/f.rle" "$W/x"
	[ "$stderr" = "rle-tool: rle: bits allocated 12 not supported (8, 16 or 32)" ]
}
