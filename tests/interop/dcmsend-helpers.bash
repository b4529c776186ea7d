# dcmsend-helpers.bash - shared by tests/interop/dcmsend-*.bats: the
# mkcorpus corpus (built once per bats run) and checks of what arrived.

load ../bats/helpers

# The corpus: $CSTORE_CORPUS if it holds one, else built once per run.
corpus_setup() {
	[ "${CSTORE_NETNS:-}" = 1 ] || return 0
	CORPUS=${CSTORE_CORPUS:-$BATS_RUN_TMPDIR/corpus}
	export CORPUS
	(
		flock 9
		[ -s "$CORPUS/MANIFEST.tsv" ] ||
			"$CSTORE_ROOT/scripts/mkcorpus" "$CORPUS" >"$BATS_RUN_TMPDIR/mkcorpus.log" 2>&1
	) 9>"$BATS_RUN_TMPDIR/corpus.lock"
}

# ds_sum FILE: SHA-256 of the data set, meta header aside.
ds_sum() {
	"$CSTORE_TOOLS/dcm-dataset" "$1" | sha256sum | cut -c1-64
}

# ds_uid FILE: the SOP Instance UID.
ds_uid() {
	"$CSTORE_TOOLS/dcm-dataset" -u "$1" | cut -f2
}

# norm_dump FILE: dcmdump without meta, pixel data, VRs and lengths.
# Lossy Image Compression (0028,2110/2112/2114) is left out: a lossy
# conversion sets it (PS3.3 C.7.6.1.1.5).  Bits Stored and High Bit are
# compared: the transcoder never changes them.
norm_dump() {
	dcmdump -q +L "$1" |
		grep -v -e '^#' -e '^(0002' -e '^ *(7fe0,0010)' -e '^ *(fffe,' -e '^(0028,211[024])' |
		sed -E 's/^( *\([0-9a-f,]+\)) \S\S (.*)#.*/\1 \2/; s/ *$//' |
		sed -E 's/\(Sequence with (undefined|explicit) length/(Sequence/; s/\(Item with (undefined|explicit) length/(Item/'
}

# pixels FILE: SHA-256 of the pixel data decoded by GDCM.
pixels() {
	local t=$BATS_TEST_TMPDIR/pix.$$
	gdcmconv --raw "$1" "$t.dcm" && gdcmraw -i "$t.dcm" -t 7fe0,0010 -o "$t.raw" &&
		sha256sum <"$t.raw" | cut -c1-64
	rm -f "$t.dcm" "$t.raw"
}

# check_arrived RESULTS DIR: every line of RESULTS (dcmsend TSV) with a
# Success status names a file whose data set arrived in DIR: byte for
# byte when sent as is; same elements and same decoded pixels when
# transcoded (or Deflated).  Prints the number of files checked.
check_arrived() {
	local res=$1 dir=$2 mode=${3:-bytes} f st p cls uid detail u n=0
	local dd=$CSTORE_TOOLS/dcm-dataset
	declare -A got
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		# "CLASS<TAB>INSTANCE<TAB>TS": the instance, without a cut
		u=$("$dd" -u "$f") || u=
		u=${u#*$'\t'} u=${u%%$'\t'*}
		got[$u]=$f
	done
	while IFS=$'\t' read -r st p cls uid detail; do
		[ "$st" = 0000 ] || continue
		f=${got[$uid]:-}
		[ -n "$f" ] || { echo "stored but not received: $p ($uid)" >&2; return 1; }
		# a Deflated data set is inflated and deflated again by a
		# receiver that writes its own file (Orthanc): compare values
		if [ "$mode" = values ] && cmp -s <("$dd" "$p") <("$dd" "$f"); then
			: # written again, but byte for byte the same
		elif [ "$mode" = values ] || [[ $detail == *"transcoded to"* ]] ||
		    [ "$(u=$("$dd" -u "$p") && echo "${u##*$'\t'}")" = 1.2.840.10008.1.2.1.99 ]; then
			diff <(norm_dump "$p") <(norm_dump "$f") >&2 ||
				{ echo "elements differ: $p" >&2; return 1; }
			if dcmdump -q +P 7fe0,0010 "$p" | grep -q .; then
				[ "$(pixels "$p")" = "$(pixels "$f")" ] ||
					{ echo "pixel data differs: $p" >&2; return 1; }
			fi
		else
			# both data sets read whole: cmp, where ds_sum hashes each
			cmp -s <("$dd" "$p") <("$dd" "$f") ||
				{ echo "data set differs: $p" >&2; return 1; }
		fi
		n=$((n + 1))
	done <"$res"
	echo "$n"
}

# one_line_per_input RESULTS N: exactly N lines, each with 5 fields.
one_line_per_input() {
	local res=$1 n=$2
	[ "$(wc -l <"$res")" -eq "$n" ] || { echo "$(wc -l <"$res") lines, want $n" >&2; return 1; }
	awk -F'\t' 'NF != 5 { print "bad line " NR ": " $0; bad = 1 } END { exit bad }' "$res" >&2
}
