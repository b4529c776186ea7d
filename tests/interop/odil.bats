#!/usr/bin/env bats
# Odil (Debian python3-odil 0.12): a DICOM network stack and file
# reader/writer of its own (C++, Python bindings), nobody here wrote
# it, as the peer of dcmsend and dcmrecv and as a writer of files;
# tests/interop/odil-peer.py drives it (as /usr/bin/python3).
# Odil re-encodes what it reads before it sends it (sequences and items
# of explicit length...): "what Odil sent" is its writer's encoding of
# the data set in the accepted transfer syntax, which odil-peer.py
# writes beside; "what Odil received" is the data set it decoded,
# written back the same way, compared with the file dcmsend sent.
# Quirks of Odil 0.12.2 met here, not ours:
# - its StoreSCU picks the presentation context by SOP class alone: with
#   two contexts of one class it sent a native image on the RLE one.
#   odil-peer.py sends one transfer syntax per class and association.
# - it cannot read Deflated data sets ("Unknown VR: E"): as an SCP it
#   accepts a Deflated context, then drops the connection without an
#   A-ABORT when the data set comes; so no Deflated file is sent to it.
# - it listens only while it waits for an association, on every
#   interface, never on port 0; it proposes max PDU 16384 and a role
#   selection item (SCU 1 SCP 0 for SCU), and no asynchronous window.
# Runs beside other files (scripts/run-check).
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

ODIL_PEER=$BATS_TEST_DIRNAME/odil-peer.py

setup() {
	/usr/bin/python3 -c 'import odil' 2>/dev/null || skip "python3-odil not installed"
	W=$BATS_TEST_TMPDIR
	C=$(corpus_dir)
}

# uid_of FILE: its SOP Instance UID
uid_of() { "$CSTORE_TOOLS/dcm-dataset" -u "$1" | cut -f2; }

# ts_of FILE: its transfer syntax
ts_of() { "$CSTORE_TOOLS/dcm-dataset" -u "$1" | cut -f3; }

# elements FILE: the data set's elements and values as DCMTK reads them,
# without group lengths, item encodings and lengths
elements() {
	/usr/bin/dcmdump -q +L "$1" | grep '^ *(' | grep -v '^ *(0002,' |
		grep -Ev '^ *\([0-9a-f]{4},0000\)|^ *\(fffe,e0' | sed -E 's/ +#.*//; s/ \(Sequence with .*//'
}

# big_file: a 1 MB Secondary Capture image written by Odil ($W/big.dcm)
big_file() {
	/usr/bin/python3 "$ODIL_PEER" big "$W/big.dcm" 1000000
}

# same_as_sent REFDIR: every data set Odil sent (REFDIR/UID) is the one
# dcmrecv stored in $RECV_DIR/UID.dcm, byte for byte; prints the count
same_as_sent() {
	local r n=0
	for r in "$1"/*; do
		cmp "$r" <(dataset_of "$RECV_DIR/${r##*/}.dcm") >&2 ||
			{ echo "stored data set differs from what Odil sent: ${r##*/}" >&2; return 1; }
		n=$((n + 1))
	done
	echo "$n"
}

# start_odil COUNT [FAILUID]: Odil's SCP (odil-peer.py listen) on a free
# port for COUNT associations, writing into $W/odil; sets ODIL_PORT,
# ODIL_PID
start_odil() {
	require_netns
	mkdir -p "$W/odil"
	start_on_free_port "$W/odil.log" /usr/bin/python3 "$ODIL_PEER" listen "{PORT}" "$W/odil" "$@" || return 1
	ODIL_PORT=$SERVER_PORT ODIL_PID=$SERVER_PID
}

# wait_odil N: Odil listens again, for its association N
wait_odil() {
	wait_for_line "$W/odil.log" "^waiting $1\$" && wait_for_port "$ODIL_PORT" "$ODIL_PID"
}

# odil_exit: Odil's SCP ends by itself after its last association
# (5 s at most); sets ODIL_STATUS
odil_exit() {
	local i
	for i in $(seq 100); do
		kill -0 "$ODIL_PID" 2>/dev/null || break
		sleep 0.05
	done
	ODIL_STATUS=0
	wait "$ODIL_PID" || ODIL_STATUS=$?
}

@test "odil: Odil's StoreSCU to dcmrecv, every transfer syntax it reads (one association each): stored as Odil sent them, and Odil's re-encoding aside, as the files" {
	local f n=0 list=()
	for f in "$C"/ts/*.dcm; do
		[[ $f == */deflated.dcm ]] && continue # Odil cannot read it
		[ "${#list[@]}" -gt 0 ] && list+=(+)
		list+=("$f")
		n=$((n + 1))
	done
	mkdir "$W/ref"
	start_dcmrecv
	run -0 --separate-stderr /usr/bin/python3 "$ODIL_PEER" send 127.0.0.1 "$RECV_PORT" "$W/ref" "${list[@]}"
	[ "$(grep -c '^stored ' <<<"$output")" -eq "$n" ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(grep -c . "$RECV_STDOUT")" -eq "$n" ]
	# several files share a SOP Instance UID: the last one is on disk
	[ "$(same_as_sent "$W/ref")" -eq "$(ls "$RECV_DIR" | wc -l)" ]
	# each transfer syntax arrived under its own label
	for f in "$RECV_DIR"/*; do
		grep -q "$(ts_of "$f")" <<<"$output"
	done
	# Odil kept every file but one as it was: j2k-lossy's sequences of
	# undefined length went out with explicit lengths
	cmp <(dataset_of "$C/ts/explicit-be.dcm") <(dataset_of "$RECV_DIR/$(uid_of "$C/ts/explicit-be.dcm").dcm")
	cmp <(dataset_of "$C/ts/implicit-le.dcm") <(dataset_of "$RECV_DIR/$(uid_of "$C/ts/implicit-le.dcm").dcm")
}

@test "odil: several SOP classes on one association, a 1 MB image in PDUs of dcmrecv's 16 KB, then Odil's A-ABORT: every object stored as sent, the abort counted" {
	local s=$C/sop
	big_file
	mkdir "$W/ref"
	start_dcmrecv -v --max-pdu 16384
	run -0 --separate-stderr /usr/bin/python3 "$ODIL_PEER" send 127.0.0.1 "$RECV_PORT" "$W/ref" --abort \
		"$s/CTImageStorage.dcm" "$s/MRImageStorage.dcm" "$s/BasicTextSRStorage.dcm" \
		"$s/EncapsulatedPDFStorage.dcm" "$W/big.dcm"
	[ "$(grep -c '^stored ' <<<"$output")" -eq 5 ]
	# Odil sends at most what dcmrecv announced
	grep -q '^calling ODIL called ANY-SCP max-length 16384$' <<<"$output"
	stop_dcmrecv
	[ "$(same_as_sent "$W/ref")" -eq 5 ]
	cmp <(dataset_of "$W/big.dcm") <(dataset_of "$RECV_DIR/$(uid_of "$W/big.dcm").dcm")
	grep -q 'association 1: aborted by the peer' "$RECV_STDERR"
	grep -q ' 5 stored, 0 refused, 1 associations, 0 rejected, 1 aborted$' "$RECV_STDERR"
}

@test "odil: Odil proposing three syntaxes a context gets the first, what it converted to is stored as sent; its user identity: accepted, a wrong passcode or none rejected under --require-identity" {
	local ebe=1.2.840.10008.1.2.2
	mkdir "$W/ref"
	printf 'alice:%s\n' "$(printf 'pw\npw\n' | "$CSTORE_BIN/dcmrecv" --hash-password 2>/dev/null)" >"$W/users"
	start_dcmrecv --users "$W/users" --require-identity
	run -0 --separate-stderr /usr/bin/python3 "$ODIL_PEER" echo 127.0.0.1 "$RECV_PORT" alice pw
	[ "$output" = "echo ok" ]
	run -1 --separate-stderr /usr/bin/python3 "$ODIL_PEER" echo 127.0.0.1 "$RECV_PORT" alice wrong
	[ "$stderr" = "odil-peer: Association rejected" ]
	run -1 --separate-stderr /usr/bin/python3 "$ODIL_PEER" echo 127.0.0.1 "$RECV_PORT"
	stop_dcmrecv
	grep -q "rejected: user 'alice': wrong passcode" "$RECV_STDERR"
	grep -q 'rejected: no user identity (one is required)' "$RECV_STDERR"
	start_dcmrecv
	run -0 --separate-stderr /usr/bin/python3 "$ODIL_PEER" send 127.0.0.1 "$RECV_PORT" "$W/ref" \
		--propose "$ebe,1.2.840.10008.1.2,1.2.840.10008.1.2.1" \
		"$C/ts/implicit-le.dcm" + "$C/sop/BasicTextSRStorage.dcm" "$C/odd/undefined-length-sequences-implicit.dcm"
	[ "$(grep -c "^pc [0-9]* [0-9.]* $ebe Result.Acceptance " <<<"$output")" -eq 3 ]
	stop_dcmrecv
	[ "$(same_as_sent "$W/ref")" -eq 3 ]
	for f in "$RECV_DIR"/*; do
		[ "$(ts_of "$f")" = "$ebe" ]
	done
}

@test "odil: C-ECHO both ways; each side reads the other's A-ASSOCIATE (max PDU, implementation class UID and version, role selection)" {
	start_dcmrecv -d
	run -0 --separate-stderr /usr/bin/python3 "$ODIL_PEER" echo 127.0.0.1 "$RECV_PORT"
	[ "$output" = "echo ok" ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	grep -q 'max PDU length: 16384$' "$RECV_STDERR"
	grep -q 'implementation class UID: 1.2.826.0.1.3680043.9.55600.0$' "$RECV_STDERR"
	grep -q "implementation version name: Odil 0$" "$RECV_STDERR"
	grep -q 'role selection: 1.2.840.10008.1.1 (Verification) SCU 1 SCP 0$' "$RECV_STDERR"
	# Odil proposes no asynchronous operations window: none in our answer
	[ "$(grep -c 'asynchronous operations window' "$RECV_STDERR")" -eq 0 ]
	grep -q 'association 1: released$' "$RECV_STDERR"
	start_odil 1
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -v 127.0.0.1 "$ODIL_PORT"
	[[ $output == "0000	Success	127.0.0.1:$ODIL_PORT	"* ]]
	grep -q "peer implementation class UID 1.2.826.0.1.3680043.9.55600.0, version name 'Odil 0'" <<<"$stderr"
	odil_exit
	[ "$ODIL_STATUS" -eq 0 ]
	grep -q '^calling DCMSEND called ANY-SCP max-length ' "$W/odil/assoc-1.txt"
	grep -q '^pc 1 1.2.840.10008.1.1 .* Result.Acceptance ' "$W/odil/assoc-1.txt"
}

@test "odil: dcmsend to Odil's StoreSCP: transfer syntaxes and SOP classes on one association, a 1 MB image, one A700: what Odil decoded is each file, the A700 that file's alone" {
	local s=$C/sop f ts uid fail files=()
	big_file
	for f in explicit-le implicit-le explicit-be rle jpeg-baseline j2k-lossless jpegls-lossless; do
		files+=("$C/ts/$f.dcm")
	done
	files+=("$s/CTImageStorage.dcm" "$s/MRImageStorage.dcm" "$s/BasicTextSRStorage.dcm"
		"$s/EncapsulatedPDFStorage.dcm" "$C/odd/undefined-length-sequences-implicit.dcm"
		"$C/odd/private-tags.dcm" "$W/big.dcm")
	fail=$(uid_of "$s/MRImageStorage.dcm")
	start_odil 1 "$fail"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" -v 127.0.0.1 "$ODIL_PORT" "${files[@]}"

	odil_exit
	[ "$ODIL_STATUS" -eq 0 ]
	# one association (Odil would not be listening for a second)
	[ "$(grep -c 'association [0-9]*: 127.0.0.1 port' <<<"$stderr")" -eq 1 ]
	[ "$(grep -c . <<<"$output")" -eq "${#files[@]}" ]
	[ "$(grep -c '^0000	' <<<"$output")" -eq $((${#files[@]} - 1)) ]
	grep -q "^A700	$s/MRImageStorage.dcm	" <<<"$output"
	mkdir "$W/own"
	/usr/bin/python3 "$ODIL_PEER" encode "$W/own" "${files[@]}"
	for f in "${files[@]}"; do
		ls "$W/own/$(uid_of "$f")"[@.]* >/dev/null
	done
	for f in "$W/own"/*; do
		cmp "$W/odil/${f##*/}" "$f" >&2 ||
			{ echo "Odil decoded another data set than it reads from the file: ${f##*/}" >&2; return 1; }
	done
	# Odil's re-encoding aside, the files themselves
	for f in "$C/ts/explicit-be.dcm" "$C/ts/rle.dcm" "$s/BasicTextSRStorage.dcm"; do
		cmp "$W/odil/$(uid_of "$f")@$(ts_of "$f")" <(dataset_of "$f")
	done
}

@test "odil: files Odil wrote (three syntaxes, group lengths in every group and item, items of undefined length) sent by dcmsend to dcmrecv, storescp +B and Orthanc: each data set as written" {
	local f id got files=()
	/usr/bin/python3 "$ODIL_PEER" write "$C/odd/undefined-length-sequences-explicit.dcm" "$W/sq-ivr.dcm" 1.2.840.10008.1.2 --undefined --group-length
	/usr/bin/python3 "$ODIL_PEER" write "$C/odd/private-tags.dcm" "$W/pt-ebe.dcm" 1.2.840.10008.1.2.2 --group-length
	/usr/bin/python3 "$ODIL_PEER" write "$C/ts/explicit-le.dcm" "$W/el-evr.dcm" 1.2.840.10008.1.2.1 --undefined --group-length
	/usr/bin/python3 "$ODIL_PEER" write "$C/odd/undefined-length-sequences-implicit.dcm" "$W/sq-evr.dcm" 1.2.840.10008.1.2.1
	files=("$W/sq-ivr.dcm" "$W/pt-ebe.dcm" "$W/el-evr.dcm" "$W/sq-evr.dcm")
	# Odil's own writing: group lengths inside items, its meta header
	/usr/bin/dcmdump -q "$W/sq-ivr.dcm" | grep -q '^    (0008,0000) UL '
	[ "$(meta_value "$W/sq-ivr.dcm" 0002,0013)" = "Odil 0" ]
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "${files[@]}"
	[ "$(grep -c '^0000	' <<<"$output")" -eq 4 ]
	stop_dcmrecv
	for f in "${files[@]}"; do
		cmp <(dataset_of "$f") <(dataset_of "$RECV_DIR/$(uid_of "$f").dcm")
	done
	start_storescp "$W/scp" +B +xa -pm
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "${files[@]}"
	[ "$(grep -c '^0000	' <<<"$output")" -eq 4 ]
	for f in "${files[@]}"; do
		cmp <(dataset_of "$f") <(dataset_of "$W/scp/"*".$(uid_of "$f")")
	done
	# Orthanc (DCMTK) writes items of explicit length and group lengths
	# of its own: the elements and their values are compared
	start_orthanc
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -c ORTHANC 127.0.0.1 "$ORTHANC_DICOM" "${files[@]}"
	[ "$(grep -c '^0000	' <<<"$output")" -eq 4 ]
	for f in "${files[@]}"; do
		id=$(curl -sf -X POST -d "$(uid_of "$f")" "http://127.0.0.1:$ORTHANC_HTTP/tools/lookup" | jq -r '.[0].ID')
		got=$W/$id.dcm
		curl -sf "http://127.0.0.1:$ORTHANC_HTTP/instances/$id/file" -o "$got"
		diff <(elements "$f") <(elements "$got")
	done
}

@test "odil: Odil's reader on every file dcmrecv stored from dcmsend (the corpus but Deflated and bare data sets): the data set it reads from the source, the meta header's UIDs" {
	find "$C" -name '*.dcm' ! -name deflated.dcm ! -name 'bare-*' | sort >"$W/list"
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" - <"$W/list"
	stop_dcmrecv
	[ "$(grep -c '^0000	' <<<"$output")" -eq "$(grep -c . "$W/list")" ]
	run -0 --separate-stderr /usr/bin/python3 "$ODIL_PEER" reread "$RECV_DIR" <<<"$output"
	[ "$output" = "$(grep -c . "$W/list") read, 0 different" ]
}

@test "odil: Odil's SCP aborts when the 5th of 12 files comes: dcmsend's lines are what Odil kept, no more and no fewer" {
	local f uid ab st p rest
	ls "$C"/sop/*.dcm | head -12 >"$W/list"
	ab=$(uid_of "$(sed -n 5p "$W/list")")
	start_odil 1 none "$ab"
	# (exit 5 today; what comes after an abort is not this test's)
	run --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$ODIL_PORT" - <"$W/list"
	[ "$status" -ne 0 ]
	odil_exit
	[ "$ODIL_STATUS" -eq 3 ]
	[ "$(grep -c . <<<"$output")" -eq 12 ]
	grep -q "^aborted	.*	$ab	" <<<"$output"
	[ ! -e "$W/odil/$ab.json" ]
	# every file reported stored is at Odil, and every one there was so reported
	while IFS=$'\t' read -r st p _ uid rest; do
		if [ "$st" = 0000 ]; then
			[ -e "$W/odil/$uid.json" ] || { echo "reported stored, not at Odil: $p" >&2; return 1; }
		fi
	done <<<"$output"
	for f in "$W"/odil/*.json; do
		uid=${f##*/}
		grep -q "^0000	.*	${uid%.json}	" <<<"$output" || { echo "at Odil, not reported stored: $uid" >&2; return 1; }
	done
	# no asynchronous window with Odil: the four before it
	[ "$(ls "$W"/odil/*.json | wc -l)" -eq 4 ]
}
