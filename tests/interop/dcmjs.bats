#!/usr/bin/env bats
# Files written by dcmjs and peers built on dcmjs-dimse (npm packages
# pinned in tests/js/package-lock.json, installed by scripts/install-deps
# with `npm ci`): another writer and another network stack than DCMTK's.
# dcmjs 0.52 declares Node >= 22.13, yet this file passes on Node 20
# (CI's) and on Debian 12's Node 18; dcmjs-dimse brings its own dcmjs 0.50.
# What dcmjs 0.52 writes that others do not:
#  - a meta group with only (0002,0000), (0002,0002), (0002,0003) and
#    (0002,0010): no File Meta Information Version and no Implementation
#    Class UID, though PS3.10 7.1 makes both Type 1;
#  - every sequence and item of undefined length;
#  - a value too long for a 16-bit length (an LT over 64 KiB) written in
#    Explicit VR as UN with a 32-bit length;
#  - odd values padded (UI with NUL, text with a space, OB/UN with NUL);
#  - Big Endian for real (values swapped), and RLE fragments padded to
#    even with a Basic Offset Table filled in;
#  - "Deflated Explicit VR Little Endian" in the meta over a data set it
#    never deflated: a file that no reader can read (dcmsend refuses it).
# dcmjs-dimse 0.3 (on its own dcmjs 0.50) as a peer:
#  - as SCP it grants whatever asynchronous window is proposed, and after
#    its own A-ABORT still reads, stores (and answers) the C-STOREs
#    already on their way;
#  - its Dataset cannot read a Deflated data set (it parses the stream
#    as Explicit VR LE and warns "Invalid vr type");
#  - as SCU it re-encodes every data set through dcmjs: ISO_IR 100 text
#    becomes ISO_IR 192, private elements read in Implicit VR are
#    dropped, so is an empty item of a sequence, and a Deflated file is
#    sent as a plain data set under the Deflated transfer syntax (which
#    dcmrecv stored and answered 0000 for, until it inflated the head of
#    Deflated data sets: now C000);
#  - when files of one SOP class come in several transfer syntaxes it
#    may send a file on a context of another syntax, then fails to
#    transcode ("Transcoding is not initialized") and drops the request
#    silently: no response, no error, and the association is released.
# Runs beside other files (scripts/run-check).
# bats file_tags=parallel

load dcmsend-helpers
load ../bats/dcmrecv-helpers

JS=$BATS_TEST_DIRNAME/../js
PYDICOM_DATA=/usr/lib/python3/dist-packages/pydicom/data
SC=1.2.840.10008.5.1.4.1.1.7

# The files dcmjs writes: built from its own data sets (BUILT) and read
# and written again from the corpus and pydicom's test files (REWRITTEN,
# one file per SOP Instance UID), made once per file.
setup_file() {
	[ -d "$JS/node_modules/dcmjs" ] && command -v node >/dev/null || return 0
	local c u f
	c=$(corpus_dir)
	BUILT=$BATS_FILE_TMPDIR/built REWRITTEN=$BATS_FILE_TMPDIR/rewritten
	export BUILT REWRITTEN
	node "$JS/dcmjs-write.js" build "$BUILT" >"$BATS_FILE_TMPDIR/built.tsv"
	node "$JS/dcmjs-write.js" rewrite "$BATS_FILE_TMPDIR/all" \
		$(find "$c/ts" "$c/odd" -name '*.dcm' | sort) $(ls "$c"/sop/*.dcm | head -20) \
		$(find "$PYDICOM_DATA/test_files" -name '*.dcm' 2>/dev/null | sort) \
		>"$BATS_FILE_TMPDIR/rewritten.tsv" 2>/dev/null
	mkdir -p "$REWRITTEN"
	declare -A seen
	while IFS=$'\t' read -r st f; do
		[ "$st" = ok ] || continue
		u=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" 2>/dev/null | cut -f2) || u=
		[ -n "$u" ] && [ -z "${seen[$u]:-}" ] || continue
		seen[$u]=1
		mv "$f" "$REWRITTEN/"
	done <"$BATS_FILE_TMPDIR/rewritten.tsv"
}

setup() {
	require_cmd node
	[ -d "$JS/node_modules/dcmjs-dimse" ] ||
		skip "tests/js/node_modules missing: run scripts/install-deps (npm ci in tests/js)"
	[ "$(ls "$BUILT" | wc -l)" -eq 7 ]
	[ "$(ls "$REWRITTEN" | wc -l)" -ge 60 ]
}

# start_dimse_scp [options]: dcmjs-dimse's Server (tests/js/dimse-scp.js)
# writing each data set to $BATS_TEST_TMPDIR/scp/N.ds; it binds every
# interface.  Sets DIMSE_PORT and DIMSE_OUT, its event lines (with
# dcmjs's warnings, whole lines, between them).
start_dimse_scp() {
	require_netns
	mkdir -p "$BATS_TEST_TMPDIR/scp"
	DIMSE_OUT=$BATS_TEST_TMPDIR/scp.out
	start_on_free_port "$DIMSE_OUT" node "$JS/dimse-scp.js" "{PORT}" \
		"$BATS_TEST_TMPDIR/scp" "$@" || return 1
	DIMSE_PORT=$SERVER_PORT
}

# same_as_sent: every "store" line of $DIMSE_OUT names a data set that
# is byte for byte the one of the file sent with that SOP Instance UID
# (files FILE...); prints how many.
same_as_sent() {
	local f u n=0 ev i cls uid ts parsed
	declare -A src
	for f in "$@"; do
		u=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		src[$u]=$f
	done
	while IFS=$'\t' read -r ev i cls uid ts parsed; do
		[ "$ev" = store ] || continue
		f=${src[$uid]:-}
		[ -n "$f" ] || { echo "unknown instance arrived: $uid" >&2; return 1; }
		cmp -s <("$CSTORE_TOOLS/dcm-dataset" "$f") "$BATS_TEST_TMPDIR/scp/$i.ds" ||
			{ echo "data set differs: $f" >&2; return 1; }
		n=$((n + 1))
	done <"$DIMSE_OUT"
	echo "$n"
}

@test "dcmjs: what it writes is odd in the documented ways, and dcmsend plans each file or says why not" {
	local f=$BUILT/odd-explicit.dcm
	# meta: no (0002,0001) nor (0002,0012)
	run -0 dcmdump -q -M +P 0002,0001 +P 0002,0012 "$f"
	[ -z "$output" ]
	run -0 dcmdump -q "$f"
	[ "$(grep -c 'Sequence with undefined length' <<<"$output")" -eq 5 ]
	run -0 dcmdump -q +P 0009,1020 "$BUILT/big16len.dcm"
	[[ $output == '(0009,1020) UN '* ]]
	# a Deflated label over a plain data set
	mkdir "$BATS_TEST_TMPDIR/defl"
	node "$JS/dcmjs-write.js" rewrite "$BATS_TEST_TMPDIR/defl" "$(corpus_dir)/ts/deflated.dcm" >/dev/null
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 1 "$BUILT" "$BATS_TEST_TMPDIR/defl"
	[ "$(grep -c $'^planned\t' <<<"$output")" -eq 7 ]
	grep -q $'^notdicom\t.*/1-deflated.dcm\t\t\tcorrupt Deflated dataset: ' <<<"$output"
}

@test "dcmjs: every file it wrote arrives at our dcmrecv with its data set byte for byte" {
	start_dcmrecv
	run --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$BUILT" "$REWRITTEN"
	# files that hold no SOP UIDs in the data set are answered B007
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	nok=$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")
	[ "$nok" -ge 60 ]
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$RECV_DIR")" -eq "$nok" ]
	# the rest: a warning for a data set without its UIDs, a DICOMDIR
	# (a file-set, no storage class), dcmjs's unreadable deflated files
	run -0 awk -F'\t' '$1 != "0000" && $1 != "B007" && $1 != "dicomdir" && $1 != "notdicom"' "$BATS_TEST_TMPDIR/res"
	[ -z "$output" ]
}

@test "dcmjs: its files arrive at DCMTK storescp +B byte for byte" {
	start_storescp "$BATS_TEST_TMPDIR/scp" +B +xa -pm
	run --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$BUILT" "$REWRITTEN"
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	nok=$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")
	[ "$nok" -ge 60 ]
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/scp")" -eq "$nok" ]
}

@test "dcmjs: its own data sets arrive at Orthanc, every element and pixel as sent" {
	start_orthanc
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "$BUILT"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")" -eq 7 ]
	mkdir "$BATS_TEST_TMPDIR/back"
	for id in $(curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances" | jq -r '.[]'); do
		curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances/$id/file" -o "$BATS_TEST_TMPDIR/back/$id.dcm"
	done
	# Orthanc writes a private sequence it read in Implicit VR as UN:
	# that one file is compared without its private group
	grep -v /odd-implicit.dcm "$BATS_TEST_TMPDIR/res" >"$BATS_TEST_TMPDIR/res6"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res6" "$BATS_TEST_TMPDIR/back" values)" -eq 6 ]
	f=$(grep -l 1.2.826.0.1.3680043.8.498.77.10.2 "$BATS_TEST_TMPDIR"/back/*)
	diff <(norm_dump "$BUILT/odd-implicit.dcm" | grep -v '^ *(0009,') <(norm_dump "$f" | grep -v '^ *(0009,')
}

@test "dcmjs-dimse SCP: C-ECHO, then every transfer syntax and a 2 MiB object over 16 KiB PDUs from dcmsend, byte for byte" {
	start_dimse_scp --max-pdu 16384
	local c
	c=$(corpus_dir)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo 127.0.0.1 "$DIMSE_PORT"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -v 127.0.0.1 "$DIMSE_PORT" "$BUILT" "$c/ts"
	n=$(( $(ls "$BUILT" "$c/ts" | grep -c '\.dcm$') ))
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq "$n" ]
	# it announced 16384 and we kept to it
	grep -q 'max PDU 16384' <<<"$stderr"
	[ "$(grep -c '^echo$' "$DIMSE_OUT")" -eq 1 ]
	[ "$(grep -c '^release$' "$DIMSE_OUT")" -eq 2 ]
	# our proposals: Verification with both little endian syntaxes, a
	# window of 16 asked for, each file's own syntax proposed
	grep -q $'^context\t1\t1.2.840.10008.1.1\t1.2.840.10008.1.2.1,1.2.840.10008.1.2$' "$DIMSE_OUT"
	grep -q $'^assoc\tDCMSEND\tANY-SCP\t262144\t16/1$' "$DIMSE_OUT"
	[ "$(same_as_sent "$BUILT"/* "$c"/ts/*)" -eq "$n" ]
	# dcmjs-dimse reads the data sets itself: all but the Deflated one
	[ "$(awk -F'\t' '$1 == "store" && $6 == $4' "$DIMSE_OUT" | wc -l)" -eq $((n - 1)) ]
	grep -q $'^store\t.*\t1.2.840.10008.1.2.1.99\tunparsed' "$DIMSE_OUT"
}

@test "dcmjs-dimse SCP: it aborts after the second C-STORE: dcmsend says stored for the first only, aborted for those in flight, notsent for the rest, exit 5" {
	start_dimse_scp --abort-after 2
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$DIMSE_PORT" "$BUILT"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 1 ]
	# the second was in flight; how many more were when the abort came
	# depends on the socket (its unsent bytes are bounded): those are
	# aborted, the ones never begun notsent, in file order, none lost
	[ "$(sed -n 2p <<<"$output" | cut -f1)" = aborted ]
	[ "$(cut -f1 <<<"$output" | sed 1d | uniq | tr '\n' ' ')" = "aborted notsent " ] ||
		[ "$(cut -f1 <<<"$output" | sed 1d | uniq | tr '\n' ' ')" = "aborted " ]
	[ "${#lines[@]}" -eq 7 ]
	[ "$(sed -n 1p <<<"$output" | cut -f4)" = "$(awk -F'\t' '$1 == "store" && $2 == 1 { print $4 }' "$DIMSE_OUT")" ]
	# it closes the connection right after its A-ABORT, our next PDUs
	# unread: its kernel then resets the connection, and the reset can
	# make ours drop the A-ABORT before dcmsend reads it (always so on
	# Node 18, never seen on Node 20): either reason, the same lines
	grep -q -e 'aborted by the peer' -e 'the peer closed the connection' <<<"$stderr"
	grep -qx abort-sent "$DIMSE_OUT"
}

@test "dcmjs-dimse SCP: warning and failure statuses with their Error Comments reach dcmsend's lines, in file order; exit 1" {
	start_dimse_scp --status B000/B006/B007/0107/A700/C123/0000
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$DIMSE_PORT" "$BUILT"
	[ "$(cut -f1 <<<"$output" | tr '\n' ' ')" = "B000 B006 B007 0107 A700 C123 0000 " ]
	[[ ${lines[0]} == *$'\t'"dcmjs-dimse says B000; Warning: Coercion of data elements" ]]
	[[ ${lines[4]} == *$'\t'"dcmjs-dimse says A700; Failure: Refused: out of resources" ]]
	[[ $stderr == *"1 stored, 4 with warning, 2 failed"* ]]
	# the statuses went to the files dcmjs-dimse stored in that order
	local i
	for i in 1 2 3 4 5 6 7; do
		[ "$(sed -n "${i}p" <<<"$output" | cut -f4)" = \
			"$(awk -F'\t' -v i=$i '$1 == "store" && $2 == i { print $4 }' "$DIMSE_OUT")" ]
	done
	[ "$(same_as_sent "$BUILT"/*)" -eq 7 ]
}

@test "dcmjs-dimse SCP: granting our window, it answers each four requests newest first: every status reaches its own file's line, the data sets byte for byte; exit 1" {
	local c codes=0000/B000/A700/0000/C123/0000/0107/0000/0000/A700/B007/0000 i n want
	c=$(corpus_dir)
	start_dimse_scp --hold 4 --status "$codes"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" -v 127.0.0.1 "$DIMSE_PORT" "$BUILT" "$c/ts"
	n=$(( $(ls "$BUILT" "$c/ts" | grep -c '\.dcm$') ))
	[ "${#lines[@]}" -eq "$n" ]
	grep -q 'window 16$' <<<"$stderr"
	# it held the first four and answered 4, 3, 2, 1
	[ "$(grep $'^rsp\t' "$DIMSE_OUT" | head -4 | cut -f2 | tr '\n' ' ')" = "4 3 2 1 " ]
	# the Nth request sent (the Nth line) got the Nth code (the last one
	# from the 12th on), whatever order the responses came in
	for i in $(seq "$n"); do
		want=$(cut -d/ -f"$((i < 12 ? i : 12))" <<<"$codes")
		[ "$(sed -n "${i}p" <<<"$output" | cut -f1)" = "$want" ]
		[ "$(sed -n "${i}p" <<<"$output" | cut -f4)" = \
			"$(awk -F'\t' -v i="$i" '$1 == "store" && $2 == i { print $4 }' "$DIMSE_OUT")" ]
		[ "$(awk -F'\t' -v i="$i" '$1 == "rsp" && $2 == i { print $3 }' "$DIMSE_OUT")" = "$want" ]
	done
	[[ ${lines[2]} == *$'\t'"dcmjs-dimse says A700; Failure: Refused: out of resources" ]]
	[ "$(same_as_sent "$BUILT"/* "$c"/ts/*)" -eq "$n" ]
}

@test "dcmjs-dimse SCU: a window of 4 and 16 KiB PDUs to our dcmrecv: every answered object stored once, values as dcmjs-dimse re-encoded them" {
	# dcmrecv aborts on a PDU over its --max-pdu: the 2 MiB CT must come
	# in PDUs of 16 KiB
	start_dcmrecv -v --max-pdu 16384
	local c
	c=$(corpus_dir)
	# one transfer syntax per SOP class: dcmjs-dimse drops the others
	# (see the top of this file)
	run -0 node "$JS/dimse-scu.js" 127.0.0.1 "$RECV_PORT" --async 4 \
		"$BUILT/odd-implicit.dcm" "$BUILT/large-ct.dcm" \
		$(ls "$c"/sop/*.dcm | head -12)
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/scu.out"
	sed -n 1p "$BATS_TEST_TMPDIR/scu.out" | grep -qx $'accepted\t16384'
	grep -qx $'echo\t0000' "$BATS_TEST_TMPDIR/scu.out"
	grep -qx released "$BATS_TEST_TMPDIR/scu.out"
	stop_dcmrecv
	grep -q "async window 4" "$RECV_STDERR"
	n=$(grep -c $'^rsp\t.*\t0000$' "$BATS_TEST_TMPDIR/scu.out")
	[ "$n" -eq 14 ]
	[ "$(grep -c $'^rsp\t' "$BATS_TEST_TMPDIR/scu.out")" -eq "$n" ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq "$n" ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq "$n" ]
	# what arrived is what each source holds, less dcmjs-dimse's changes
	# (character set, private elements, the empty item of odd-implicit's
	# Source Image Sequence, as listed at the top)
	local f u
	while IFS=$'\t' read -r ev f st; do
		[ "$ev" = rsp ] || continue
		u=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		diff <(norm_dump "$f" | grep -v -e '^(0008,0005)' -e '^(0008,2112)' -e '^ *(0009,') \
			<(norm_dump "$RECV_DIR/$u.dcm" | grep -v -e '^(0008,0005)' -e '^(0008,2112)' -e '^ *(0009,') >&2 ||
			{ echo "elements differ: $f" >&2; return 1; }
	done <"$BATS_TEST_TMPDIR/scu.out"
}

@test "dcmjs-dimse SCU: dcmrecv's failure statuses reach it; the objects it was told are stored are exactly those on disk" {
	start_dcmrecv --respond-every 2:A700
	local c f st u
	c=$(corpus_dir)
	run -0 node "$JS/dimse-scu.js" 127.0.0.1 "$RECV_PORT" $(ls "$c"/sop/*.dcm | head -6)
	[ "$(grep $'^rsp\t' <<<"$output" | cut -f3 | tr '\n' ' ')" = "0000 A700 0000 A700 0000 A700 " ]
	stop_dcmrecv
	while IFS=$'\t' read -r ev f st; do
		[ "$ev" = rsp ] || continue
		u=$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f2)
		if [ "$st" = 0000 ]; then [ -f "$RECV_DIR/$u.dcm" ]; else [ ! -e "$RECV_DIR/$u.dcm" ]; fi
	done <<<"$output"
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 3 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 3 ]
}

@test "dcmjs-dimse SCU: it aborts after two responses: dcmrecv keeps whole objects only, its lines match its directory" {
	start_dcmrecv -v
	local c
	c=$(corpus_dir)
	run -0 node "$JS/dimse-scu.js" 127.0.0.1 "$RECV_PORT" --abort-after 2 $(ls "$c"/sop/*.dcm | head -20)
	grep -qx abort-sent <<<"$output"
	[ "$(grep -c $'^rsp\t' <<<"$output")" -ge 2 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	grep -q 'aborted' "$RECV_STDERR"
	# every line is a whole file, and nothing else is in the directory
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq "$(wc -l <"$RECV_STDOUT")" ]
	while IFS=$'\t' read -r p cls uid _; do
		[ "$(ds_uid "$p")" = "$uid" ]
	done <"$RECV_STDOUT"
}

@test "dcmjs-dimse SCU: a Deflated file sent as a plain data set under the Deflated syntax: dcmrecv answers C000, stores nothing" {
	start_dcmrecv -v
	local c
	c=$(corpus_dir)
	# one file per SOP class (see the top)
	run -0 node "$JS/dimse-scu.js" 127.0.0.1 "$RECV_PORT" "$c/ts/deflated.dcm" "$BUILT/large-ct.dcm"
	grep -qx $'rsp\t'"$c/ts/deflated.dcm"$'\tC000' <<<"$output"
	grep -qx $'rsp\t'"$BUILT/large-ct.dcm"$'\t0000' <<<"$output"
	stop_dcmrecv
	grep -q "answered C000 for '$(ds_uid "$c/ts/deflated.dcm")': cannot parse the data set: no deflate stream" "$RECV_STDERR"
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
	[ "$(ls "$RECV_DIR")" = "$(ds_uid "$BUILT/large-ct.dcm").dcm" ]
	# a real Deflated data set is stored as it came
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$c/ts/deflated.dcm"
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$c/ts/deflated.dcm") <(dataset_of "$RECV_DIR/$(ds_uid "$c/ts/deflated.dcm").dcm")
}
