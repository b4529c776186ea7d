# transcode-helpers.bash - shared by tests/interop/transcode-*.bats: the
# scripts/mkxcorpus corpus, pixels as independent decoders make them, and
# the elements of a data set for comparison.

load ../bats/helpers

IVR=1.2.840.10008.1.2
EVR=1.2.840.10008.1.2.1

# xcorpus_setup: the mkxcorpus corpus, built once per bats run
xcorpus_setup() {
	XCORPUS=${CSTORE_XCORPUS:-$BATS_RUN_TMPDIR/xcorpus}
	export XCORPUS
	(
		flock 9
		[ -s "$XCORPUS/MANIFEST.tsv" ] ||
			"$CSTORE_ROOT/scripts/mkxcorpus" "$XCORPUS" >"$BATS_RUN_TMPDIR/mkxcorpus.log" 2>&1
	) 9>"$BATS_RUN_TMPDIR/xcorpus.lock"
}


# native_pixels FILE: the Pixel Data bytes of a native file (dcmdump +W)
native_pixels() {
	local d
	d=$(mktemp -d -p "$W")
	dcmdump -q +W "$d" "$1" >/dev/null || return 1
	[ "$(ls "$d" | wc -l)" -eq 1 ] || { echo "no single pixel file for $1" >&2; return 1; }
	cat "$d"/*
	rm -rf "$d"
}

# ref_pixels CODEC FILE: the pixels an independent decoder makes of FILE
ref_pixels() {
	local codec=$1 f=$2 d i
	d=$(mktemp -d -p "$W")
	case $codec in
	rle) dcmdrle +te "$f" "$d/ref.dcm" ;;
	jpeg-*|lossy) dcmdjpeg +te "$f" "$d/ref.dcm" ;;
	native) dcmconv +te "$f" "$d/ref.dcm" ;;
	jpegls|special) dcmdjpls +te "$f" "$d/ref.dcm" ;;
	j2k)
		# one code stream per fragment (gdcmconv writes one a frame);
		# item 0 is the Basic Offset Table
		dcmdump -q +W "$d" "$f" >/dev/null || return 1
		for i in $(ls "$d" | sed -E 's/.*\.([0-9]+)\.raw$/\1/' | sort -n); do
			[ "$i" -eq 0 ] && continue
			mv "$d"/*."$i".raw "$d/f.j2k"
			opj_decompress -quiet -i "$d/f.j2k" -o "$d/f.rawl" >/dev/null 2>&1 ||
				{ echo "opj_decompress failed on $f" >&2; return 1; }
			cat "$d/f.rawl"
		done
		rm -rf "$d"
		return 0 ;;
	esac || { echo "reference decoder failed on $f" >&2; return 1; }
	native_pixels "$d/ref.dcm"
	rm -rf "$d"
}

# ref_pixels_of CODEC FILE: ref_pixels, made once per run for a file of
# the corpus (which no test changes): several tests compare with the
# same decoder's output of the same file.
ref_pixels_of() {
	local c=$BATS_RUN_TMPDIR/ref-pixels/$1 k
	case $2 in
	"$XCORPUS"/*) ;;
	*) ref_pixels "$1" "$2"; return ;;
	esac
	k=${2#"$XCORPUS"/}
	k=$c/${k//\//_}
	if [ ! -e "$k" ]; then
		mkdir -p "$c"
		ref_pixels "$1" "$2" >"$k.$$" || { rm -f "$k.$$"; return 1; }
		mv "$k.$$" "$k"
	fi
	cat "$k"
}

# elements FILE: dcmdump of the data set without meta, pixel data, VRs,
# lengths, and the way sequence lengths were encoded
elements() {
	dcmdump -q +L -Un "$1" |
		grep -v -e '^#' -e '^$' -e '^(0002,' -e '(7fe0,0010)' -e '(fffe,e000) pi' -e '^(fffe,e0dd)' |
		sed -E 's/^( *\([0-9a-f,]+\)) \S\S (.*)#.*/\1 \2/; s/ *$//' |
		sed -E 's/\((Sequence|Item) with (undefined|explicit) length/(\1/; s/ for re-encod[a-z.]*//'
}

# codec_of_ts TS: the ref_pixels codec name of a transfer syntax
codec_of_ts() {
	case $1 in
	1.2.840.10008.1.2.5) echo rle ;;
	1.2.840.10008.1.2.4.5*|1.2.840.10008.1.2.4.70) echo jpeg-x ;;
	1.2.840.10008.1.2.4.8*) echo jpegls ;;
	1.2.840.10008.1.2.4.9*) echo j2k ;;
	*) echo native ;;
	esac
}
