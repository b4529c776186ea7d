#!/usr/bin/env bats
# dcmrecv with DCMTK senders: storescu, dcmsend, echoscu.  DCMTK re-encodes
# what it sends (sequence lengths, padding), so "what was sent" is taken
# from DCMTK's own bit-preserving receiver, storescp +B, fed the same
# files with the same options: our files must hold exactly its data sets.
# The corpus is scripts/mkcorpus (or $CSTORE_CORPUS when set).
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel,heavy

load ../bats/helpers
load ../bats/dcmrecv-helpers

setup_file() {
	corpus_setup_file
}

setup() {
	corpus_peer_setup /usr/bin/storescu /usr/bin/storescp
}

# storescu's option proposing exactly transfer syntax $1.
xopt_for() {
	case $1 in
	1.2.840.10008.1.2) echo -xi ;;
	1.2.840.10008.1.2.1) echo -xe ;;
	1.2.840.10008.1.2.2) echo -xb ;;
	1.2.840.10008.1.2.1.99) echo -xd ;;
	1.2.840.10008.1.2.4.50) echo -xy ;;
	1.2.840.10008.1.2.4.51) echo -xx ;;
	1.2.840.10008.1.2.4.70) echo -xs ;;
	1.2.840.10008.1.2.4.80) echo -xt ;;
	1.2.840.10008.1.2.4.81) echo -xu ;;
	1.2.840.10008.1.2.4.90) echo -xv ;;
	1.2.840.10008.1.2.4.91) echo -xw ;;
	1.2.840.10008.1.2.5) echo -xr ;;
	*) return 1 ;;
	esac
}

# Sends files "$@" with storescu options $SCU_OPTS to the reference
# storescp +B and to us.
send_both() {
	TCP_NODELAY=1 /usr/bin/storescu -nh $SCU_OPTS 127.0.0.1 "$SCP_PORT" "$@" \
		>>"$BATS_TEST_TMPDIR/scu-ref.log" 2>&1 || true
	TCP_NODELAY=1 /usr/bin/storescu -nh $SCU_OPTS 127.0.0.1 "$RECV_PORT" "$@" \
		>>"$BATS_TEST_TMPDIR/scu-ours.log" 2>&1 || true
}

# Every file storescp +B got is in our directory with the same data set,
# a valid meta header in the same transfer syntax, one stdout line each.
# We accept some classes that DCMTK 3.6.7's storescp refuses (Color
# Palette, the Defined Procedure Protocols...): there must be exactly as
# many extra files as storescu could not send to storescp and could
# send to us, each read by dcmdump and with its line.  Prints the number
# compared.
compare_with_ref() {
	local ref=$1 n=0 f iuid ours
	for f in "$ref"/*; do
		iuid=${f##*/}
		iuid=${iuid#*.}
		ours=$RECV_DIR/$iuid.dcm
		[ -f "$ours" ] || { echo "missing: $iuid (from $f)" >&2; return 1; }
		same_dataset "$f" "$ours" || return 1
		[ "$(meta_value "$f" 0002,0010)" = "$(meta_value "$ours" 0002,0010)" ] ||
			{ echo "$ours: transfer syntax differs" >&2; return 1; }
		[ "$(meta_value "$ours" 0002,0003)" = "$iuid" ] || return 1
		[ "$(meta_value "$ours" 0002,0016)" = STORESCU ] || return 1
		/usr/bin/gdcmdump "$ours" >/dev/null 2>&1 ||
			{ echo "gdcmdump cannot read $ours" >&2; return 1; }
		grep -qF "$ours	" "$RECV_STDOUT" || { echo "no line for $ours" >&2; return 1; }
		n=$((n + 1))
	done
	local extra
	extra=$(( $(grep -c "No presentation context" "$BATS_TEST_TMPDIR/scu-ref.log") -
		$(grep -c "No presentation context" "$BATS_TEST_TMPDIR/scu-ours.log") ))
	[ "$(ls "$RECV_DIR" | wc -l)" -eq $((n + extra)) ] ||
		{ echo "$(ls "$RECV_DIR" | wc -l) files in $RECV_DIR, expected $n + $extra" >&2; return 1; }
	/usr/bin/dcmdump -q "$RECV_DIR"/* >/dev/null || return 1
	[ "$(wc -l <"$RECV_STDOUT")" -eq "$(ls "$RECV_DIR" | wc -l)" ] || { echo "line count differs" >&2; return 1; }
	no_temporaries "$RECV_DIR"
	echo "$n"
}

@test "dcmrecv-dcmtk: storescu sends every SOP class of the corpus; data sets as sent" {
	start_storescp "$BATS_TEST_TMPDIR/ref" +B -pm
	start_dcmrecv
	# One context per class (+C: the three uncompressed syntaxes in one).
	SCU_OPTS="-R +C -xe"
	local batch=()
	for f in "$CORPUS"/sop/*.dcm; do
		batch+=("$f")
		if [ "${#batch[@]}" -ge 60 ]; then
			send_both "${batch[@]}"
			batch=()
		fi
	done
	[ "${#batch[@]}" -eq 0 ] || send_both "${batch[@]}"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	run -0 compare_with_ref "$BATS_TEST_TMPDIR/ref"
	echo "compared $output files" >&3
	# storescu skips the classes it does not know; the rest must be here.
	[ "$output" -ge 180 ]
	refute grep -q "Store Failed" "$BATS_TEST_TMPDIR/scu-ours.log"
}

@test "dcmrecv-dcmtk: storescu sends every transfer syntax; each stored in that syntax, bit for bit" {
	start_storescp "$BATS_TEST_TMPDIR/ref" +B +xa
	start_dcmrecv
	local path cls ts n=0
	while IFS=$'\t' read -r path cls ts _; do
		[[ $path == ts/* ]] || continue
		SCU_OPTS="-R $(xopt_for "$ts")"
		send_both "$CORPUS/$path"
		iuid=$(meta_value "$CORPUS/$path" 0008,0018)
		[ "$(meta_value "$RECV_DIR/$iuid.dcm" 0002,0010)" = "$ts" ] ||
			{ echo "$path: not stored in $ts" >&2; cat "$BATS_TEST_TMPDIR/scu-ours.log" >&2; return 1; }
		n=$((n + 1))
	done <"$CORPUS/MANIFEST.tsv"
	[ "$n" -ge 12 ]
	stop_dcmrecv
	run -0 compare_with_ref "$BATS_TEST_TMPDIR/ref"
	[ "$output" -eq "$n" ]
}

@test "dcmrecv-dcmtk: storescu sends the odd files (undefined lengths, private tags, odd lengths)" {
	start_storescp "$BATS_TEST_TMPDIR/ref" +B +xa -pm
	start_dcmrecv
	SCU_OPTS="-R"
	local f files=()
	for f in "$CORPUS"/odd/*.dcm; do
		[ "$(dd if="$f" bs=1 skip=128 count=4 2>/dev/null)" = DICM ] && files+=("$f")
	done
	send_both "${files[@]}"
	stop_dcmrecv
	run -0 compare_with_ref "$BATS_TEST_TMPDIR/ref"
	[ "$output" -ge 4 ]
}

@test "dcmrecv-dcmtk: DCMTK dcmsend sends a study; data sets as sent" {
	require_cmd /usr/bin/dcmsend
	start_storescp "$BATS_TEST_TMPDIR/ref" +B +xa -pm
	start_dcmrecv
	local files=("$CORPUS"/sop/CT*.dcm "$CORPUS"/sop/MR*.dcm "$CORPUS"/ts/*.dcm)
	TCP_NODELAY=1 /usr/bin/dcmsend -nh 127.0.0.1 "$SCP_PORT" "${files[@]}" \
		>"$BATS_TEST_TMPDIR/ref.log" 2>&1
	TCP_NODELAY=1 /usr/bin/dcmsend -nh -aet DCMSEND 127.0.0.1 "$RECV_PORT" "${files[@]}" \
		>"$BATS_TEST_TMPDIR/ours.log" 2>&1
	stop_dcmrecv
	# compare_with_ref checks the source AE; dcmsend's is DCMSEND.
	local n=0 f iuid
	for f in "$BATS_TEST_TMPDIR"/ref/*; do
		iuid=${f##*/}
		iuid=${iuid#*.}
		same_dataset "$f" "$RECV_DIR/$iuid.dcm"
		[ "$(meta_value "$RECV_DIR/$iuid.dcm" 0002,0016)" = DCMSEND ]
		[ "$(meta_value "$f" 0002,0010)" = "$(meta_value "$RECV_DIR/$iuid.dcm" 0002,0010)" ]
		n=$((n + 1))
	done
	[ "$n" -ge 12 ]
	[ "$(ls "$RECV_DIR" | wc -l)" -le $((n + 5)) ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq "$(ls "$RECV_DIR" | wc -l)" ]
}

@test "dcmrecv-dcmtk: echoscu gets Success; a wrong called AE title with --strict-aet is rejected" {
	require_cmd /usr/bin/echoscu
	start_dcmrecv -v --strict-aet -a ARCHIVE
	run -0 /usr/bin/echoscu -aec ARCHIVE 127.0.0.1 "$RECV_PORT"
	run ! /usr/bin/echoscu -aec SOMEONE 127.0.0.1 "$RECV_PORT"
	[[ $output == *"Called AE Title Not Recognized"* || $output == *"Rejected"* ]]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	grep -q "association 1: C-ECHO" "$RECV_STDERR"
	grep -q "called AE title 'SOMEONE' not recognised" "$RECV_STDERR"
}

@test "dcmrecv-dcmtk: echoscu -pts 24 proposes JPEG-LS Lossless 24th in its context; dcmrecv --accept-ts JPEGLSLossless accepts it (more than 16 syntaxes)" {
	require_cmd /usr/bin/echoscu
	start_dcmrecv -v --accept-ts JPEGLSLossless
	run -0 /usr/bin/echoscu -pts 24 127.0.0.1 "$RECV_PORT"
	# 16 stop before it: nothing acceptable, as before
	run ! /usr/bin/echoscu -pts 16 127.0.0.1 "$RECV_PORT"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(grep -c 'C-ECHO$' "$RECV_STDERR")" -eq 1 ]
	grep -q 'association 1 from .ECHOSCU.* accepted 1 of 1 presentation contexts' "$RECV_STDERR"
}

@test "dcmrecv-dcmtk: --accept-ts ImplicitVRLittleEndian makes storescu transcode; file is Implicit VR" {
	start_dcmrecv --accept-ts ImplicitVRLittleEndian
	f=$CORPUS/ts/explicit-le.dcm
	TCP_NODELAY=1 /usr/bin/storescu 127.0.0.1 "$RECV_PORT" "$f"
	stop_dcmrecv
	iuid=$(meta_value "$f" 0008,0018)
	[ "$(meta_value "$RECV_DIR/$iuid.dcm" 0002,0010)" = 1.2.840.10008.1.2 ]
	diff <(/usr/bin/dcmdump -q -Un "$f" | grep -v '^(0002' | sed 's/ *#.*//') \
		<(/usr/bin/dcmdump -q -Un "$RECV_DIR/$iuid.dcm" | grep -v '^(0002' | sed 's/ *#.*//')
}

@test "dcmrecv-dcmtk: storescu killed mid-object leaves nothing; the receiver serves the next sender" {
	# A 200 MB object: a corpus image plus a private OB element.
	local big=$BATS_TEST_TMPDIR/big.dcm len=$((200 * 1024 * 1024))
	cp "$CORPUS/ts/explicit-le.dcm" "$big"
	{
		printf '\xe1\x7f\x10\x00LO\x0c\x00CSTORE TEST '
		printf '\xe1\x7f\x00\x10OB\x00\x00'
		printf "\\x$(printf %02x $((len & 255)))\\x$(printf %02x $(((len >> 8) & 255)))\\x$(printf %02x $(((len >> 16) & 255)))\\x$(printf %02x $(((len >> 24) & 255)))"
		head -c "$len" /dev/zero
	} >>"$big"
	/usr/bin/dcmdump -q "$big" >/dev/null
	start_dcmrecv
	/usr/bin/storescu 127.0.0.1 "$RECV_PORT" "$big" >/dev/null 2>&1 &
	local scu=$! i
	track_pid "$scu"
	for i in $(seq 1000); do
		[ "$(open_temp_size "$RECV_PID" "$RECV_DIR")" -gt 1024 ] && break
		sleep 0.01
	done
	kill -KILL "$scu"
	wait "$scu" || true
	for i in $(seq 50); do
		[ -z "$(ls -A "$RECV_DIR")" ] && break
		sleep 0.1
	done
	[ -z "$(ls -A "$RECV_DIR")" ]
	TCP_NODELAY=1 /usr/bin/storescu 127.0.0.1 "$RECV_PORT" "$CORPUS/ts/explicit-le.dcm"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq 1 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 1 ]
	grep -q "nothing stored" "$RECV_STDERR"
}

@test "dcmrecv-dcmtk: --respond A700 and --abort-after are seen by storescu" {
	start_dcmrecv --respond A700
	run /usr/bin/storescu -v 127.0.0.1 "$RECV_PORT" "$CORPUS/ts/explicit-le.dcm"
	[[ $output == *"Received Store Response (Refused: OutOfResources)"* ]]
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
	RECV_DIR=$BATS_TEST_TMPDIR/out2
	start_dcmrecv --abort-after 1
	run /usr/bin/storescu 127.0.0.1 "$RECV_PORT" "$CORPUS/ts/explicit-le.dcm"
	[ "$status" -ne 0 ]
	stop_dcmrecv
	[ -z "$(ls -A "$RECV_DIR")" ]
}

@test "dcmrecv-dcmtk: 16 storescu at once x 200 objects: 3200 files, none missing, duplicated or extra" {
	start_dcmrecv
	local i pids=() f=$CORPUS/ts/explicit-le.dcm
	for i in $(seq 16); do
		TCP_NODELAY=1 /usr/bin/storescu -aet "SCU$i" +II --repeat 200 127.0.0.1 "$RECV_PORT" "$f" \
			>"$BATS_TEST_TMPDIR/scu$i.log" 2>&1 &
		pids+=($!)
		track_pid $!
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq 3200 ]
	[ "$(cut -f3 "$RECV_STDOUT" | sort -u | wc -l)" -eq 3200 ]
	[ "$(cut -f1 "$RECV_STDOUT" | sort -u | wc -l)" -eq 3200 ]
	[ "$(find "$RECV_DIR" -type f | wc -l)" -eq 3200 ]
	for i in $(seq 16); do
		[ "$(grep -c "	SCU$i	" "$RECV_STDOUT")" -eq 200 ]
	done
	no_temporaries "$RECV_DIR"
	# Every file is whole: DCMTK reads each one (exit 0), and its
	# (0008,0018) is its name.
	run -0 /usr/bin/dcmdump -q -Un +P 0008,0018 "$RECV_DIR"/*.dcm
	[ "${#lines[@]}" -eq 3200 ]
	[ "$(printf '%s\n' "${lines[@]}" | sed 's/^[^[]*\[\([^]]*\)\].*/\1.dcm/' | sort)" = "$(ls "$RECV_DIR" | sort)" ]
}

# bats test_tags=serial
@test "dcmrecv-dcmtk: no Nagle stall, even with a Nagle-on sender: 300 objects in under 8 s" {
	start_dcmrecv
	local t0 t1
	t0=$(date +%s%N)
	# storescu as Debian ships it: Nagle on.  It writes each command and
	# data set separately; we ACK at once (TCP_QUICKACK), so its second
	# write is not held back, and answer in one write (TCP_NODELAY).
	/usr/bin/storescu +II --repeat 300 127.0.0.1 "$RECV_PORT" "$CORPUS/ts/explicit-le.dcm"
	t1=$(date +%s%N)
	stop_dcmrecv
	[ "$(wc -l <"$RECV_STDOUT")" -eq 300 ]
	echo "300 objects in $(((t1 - t0) / 1000000)) ms" >&3
	# With a 40 ms stall per object this would take 12 s or more (DCMTK's
	# storescp: about 45 ms per object from this sender).  Quiet, it
	# takes under 1 s; 4.7 s was seen with the two cores loaded 15-fold,
	# so the bound sits between that and a stall.
	[ $(((t1 - t0) / 1000000)) -lt 8000 ]
}
