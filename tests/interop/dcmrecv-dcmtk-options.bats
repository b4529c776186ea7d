#!/usr/bin/env bats
# dcmrecv with DCMTK senders in option combinations dcmrecv-dcmtk.bats
# does not use: deflate at every level over small PDUs, a Big Endian
# context chosen from a combined proposal, dcmsend decompressing for a
# receiver that takes only uncompressed syntaxes, SCP/SCU Role Selection
# and SOP Class Extended Negotiation items (storescu -xf), repeated
# instances under each --on-duplicate policy.  "What was sent" is what
# DCMTK's bit-preserving storescp +B got from the same command.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

setup_file() {
	corpus_setup_file
}

setup() {
	corpus_peer_setup /usr/bin/storescu /usr/bin/storescp
}

# big_object OUT MIB: the corpus's Explicit VR LE image plus a private OB
# element of MIB MiB of random bytes
big_object() {
	local len=$(($2 * 1024 * 1024))
	cp "$CORPUS/ts/explicit-le.dcm" "$1"
	{
		printf '\xe1\x7f\x10\x00LO\x0c\x00CSTORE TEST '
		printf '\xe1\x7f\x00\x10OB\x00\x00'
		printf "\\x$(printf %02x $((len & 255)))\\x$(printf %02x $(((len >> 8) & 255)))\\x$(printf %02x $(((len >> 16) & 255)))\\x$(printf %02x $(((len >> 24) & 255)))"
		head -c "$len" /dev/urandom
	} >>"$1"
}

# send_both CMD [ARGS...]: CMD (a DCMTK sender) with ARGS, then the peer
# address and port: once to storescp +B, once to us; logs in ref.log and
# ours.log, exit statuses in REF_RC and OURS_RC.  "@FILES@" in ARGS is
# where the port goes: everything after it are the files.
send_both() {
	local cmd=$1 a before=() after=() seen=0
	shift
	for a in "$@"; do
		if [ "$a" = @FILES@ ]; then seen=1; continue; fi
		if [ "$seen" -eq 0 ]; then before+=("$a"); else after+=("$a"); fi
	done
	REF_RC=0 OURS_RC=0
	TCP_NODELAY=1 "$cmd" "${before[@]}" 127.0.0.1 "$SCP_PORT" "${after[@]}" \
		>>"$BATS_TEST_TMPDIR/ref.log" 2>&1 || REF_RC=$?
	TCP_NODELAY=1 "$cmd" "${before[@]}" 127.0.0.1 "$RECV_PORT" "${after[@]}" \
		>>"$BATS_TEST_TMPDIR/ours.log" 2>&1 || OURS_RC=$?
}

# same_as_ref REF_DIR AET: every file storescp +B wrote into REF_DIR is
# in $RECV_DIR too: data set, transfer syntax, Media Storage SOP Class
# and Instance, Source AE AET, a line; and $RECV_DIR holds no other file,
# $RECV_STDOUT no other line.  Prints the number.
same_as_ref() {
	local f iuid ours n=0
	for f in "$1"/*; do
		iuid=${f##*/}
		iuid=${iuid#*.}
		ours=$RECV_DIR/$iuid.dcm
		[ -f "$ours" ] || { echo "missing: $iuid" >&2; return 1; }
		same_dataset "$f" "$ours" || return 1
		[ "$(meta_value "$f" 0002,0010)" = "$(meta_value "$ours" 0002,0010)" ] ||
			{ echo "$ours: transfer syntax differs" >&2; return 1; }
		[ "$(meta_value "$f" 0002,0002)" = "$(meta_value "$ours" 0002,0002)" ] || return 1
		[ "$(meta_value "$ours" 0002,0003)" = "$iuid" ] || return 1
		[ "$(meta_value "$ours" 0002,0016)" = "$2" ] || return 1
		grep -qF "$ours	" "$RECV_STDOUT" || { echo "no line for $ours" >&2; return 1; }
		n=$((n + 1))
	done
	[ "$(ls "$RECV_DIR" | wc -l)" -eq "$n" ] || { echo "$(ls "$RECV_DIR" | wc -l) files, $n expected" >&2; return 1; }
	[ "$(wc -l <"$RECV_STDOUT")" -eq "$n" ] || { echo "line count differs" >&2; return 1; }
	no_temporaries "$RECV_DIR"
	echo "$n"
}

@test "dcmrecv-dcmtk-options: storescu -xd at levels 0, 1 and 9 over 4 KiB PDUs both ways, a 24 MiB object among them: Deflated files as storescp +B got them" {
	local big=$BATS_TEST_TMPDIR/big.dcm f level
	big_object "$big" 24
	for level in 0 1 9; do
		start_storescp "$BATS_TEST_TMPDIR/ref$level" +B +xa -pdu 4096
		RECV_DIR=$BATS_TEST_TMPDIR/out$level
		start_dcmrecv --max-pdu 4096
		send_both /usr/bin/storescu -R -xd +cl "$level" --max-send-pdu 4096 -pdu 4096 @FILES@ \
			"$big" "$CORPUS"/ts/{implicit-le,explicit-be}.dcm
		[ "$OURS_RC" -eq 0 ] && [ "$REF_RC" -eq 0 ]
		stop_dcmrecv
		kill "$SCP_PID"
		[ "$RECV_STATUS" -eq 0 ]
		run -0 same_as_ref "$BATS_TEST_TMPDIR/ref$level" STORESCU
		[ "$output" -eq 3 ]
		for f in "$RECV_DIR"/*; do
			[ "$(meta_value "$f" 0002,0010)" = 1.2.840.10008.1.2.1.99 ]
		done
	done
}

@test "dcmrecv-dcmtk-options: storescu -R +C -xb proposes Big Endian first in one context: stored in Big Endian as storescp +B +xb stored it" {
	start_storescp "$BATS_TEST_TMPDIR/ref" +B +xb
	start_dcmrecv
	send_both /usr/bin/storescu -nh -R +C -xb @FILES@ "$CORPUS"/ts/{explicit-le,implicit-le,explicit-be}.dcm
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	run -0 same_as_ref "$BATS_TEST_TMPDIR/ref" STORESCU
	[ "$output" -eq 3 ]
	for f in "$RECV_DIR"/*; do
		[ "$(meta_value "$f" 0002,0010)" = 1.2.840.10008.1.2.2 ]
	done
}

@test "dcmrecv-dcmtk-options: DCMTK dcmsend +dly, +dls and -dn to dcmrecv --accept-ts for uncompressed syntaxes: what it decompressed stored as storescp +B got it, what it could not send absent" {
	require_cmd /usr/bin/dcmsend
	local opt n
	for opt in +dly +dls -dn; do
		start_storescp "$BATS_TEST_TMPDIR/ref$opt" +B
		RECV_DIR=$BATS_TEST_TMPDIR/out$opt
		start_dcmrecv --accept-ts ExplicitVRLittleEndian,ImplicitVRLittleEndian,ExplicitVRBigEndian
		send_both /usr/bin/dcmsend -nh "$opt" -aet DCMSEND @FILES@ "$CORPUS"/ts/*.dcm
		stop_dcmrecv
		kill "$SCP_PID"
		[ "$RECV_STATUS" -eq 0 ]
		run -0 same_as_ref "$BATS_TEST_TMPDIR/ref$opt" DCMSEND
		n=$output
		echo "$opt: $n files" >&3
		case $opt in
		# every syntax DCMTK decodes (not JPEG 2000, JPEG-LS lossy
		# decodes, RLE...): as many as storescp got
		+dly) [ "$n" -ge 9 ] ;;
		+dls) [ "$n" -ge 5 ] ;;
		# the three uncompressed ones; Deflated counts as compressed
		-dn) [ "$n" -eq 3 ] ;;
		esac
		for f in "$RECV_DIR"/*; do
			case $(meta_value "$f" 0002,0010) in
			1.2.840.10008.1.2 | 1.2.840.10008.1.2.1 | 1.2.840.10008.1.2.2) ;;
			*) echo "$f: $(meta_value "$f" 0002,0010)" >&2; return 1 ;;
			esac
		done
	done
}

@test "dcmrecv-dcmtk-options: storescu -xf with SCP/SCU Role Selection (SCU, BOTH, SCP) and Extended Negotiation items: every object stored as storescp +B got it, default roles" {
	cat >"$BATS_TEST_TMPDIR/roles.cfg" <<'CFG'
[[TransferSyntaxes]]
[Uncompressed]
TransferSyntax1 = LittleEndianExplicit
TransferSyntax2 = LittleEndianImplicit
[[PresentationContexts]]
[Contexts]
PresentationContext1 = CTImageStorage\Uncompressed
PresentationContext2 = MRImageStorage\Uncompressed
PresentationContext3 = SecondaryCaptureImageStorage\Uncompressed
[[SCPSCURoleSelection]]
[Roles]
Role1 = CTImageStorage\SCU
Role2 = MRImageStorage\BOTH
Role3 = SecondaryCaptureImageStorage\SCP
[[ExtendedNegotiation]]
[Extended]
ExtendedNegotiation1 = CTImageStorage\020003000000
ExtendedNegotiation2 = MRImageStorage\01
[[Profiles]]
[Odd]
PresentationContexts = Contexts
SCPSCURoleSelection = Roles
ExtendedNegotiation = Extended
CFG
	start_storescp "$BATS_TEST_TMPDIR/ref" +B
	start_dcmrecv -d
	send_both /usr/bin/storescu -nh -d -xf "$BATS_TEST_TMPDIR/roles.cfg" Odd @FILES@ \
		"$CORPUS"/sop/{CT,MR,SecondaryCapture}ImageStorage.dcm "$CORPUS/ts/explicit-le.dcm"
	[ "$OURS_RC" -eq 0 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	run -0 same_as_ref "$BATS_TEST_TMPDIR/ref" STORESCU
	[ "$output" -eq 4 ]
	# as storescp, no role answered: the defaults (requestor SCU) apply
	[ "$(grep -c 'Accepted SCP/SCU Role: Default' "$BATS_TEST_TMPDIR/ours.log")" -eq 3 ]
	grep -q 'accepted 3 of 3 presentation contexts' "$RECV_STDERR"
}

@test "dcmrecv-dcmtk-options: storescu --repeat 3 sends each instance three times: one file each (overwrite, keep), three (rename) or one and 0111 answers (reject), lines as stored" {
	local pol files=("$CORPUS"/ts/explicit-le.dcm "$CORPUS"/sop/CTImageStorage.dcm) f u
	for pol in overwrite keep rename reject; do
		RECV_DIR=$BATS_TEST_TMPDIR/out-$pol
		start_dcmrecv --on-duplicate "$pol"
		TCP_NODELAY=1 /usr/bin/storescu -nh -v --repeat 3 127.0.0.1 "$RECV_PORT" "${files[@]}" \
			>"$BATS_TEST_TMPDIR/scu-$pol.log" 2>&1 || true
		stop_dcmrecv
		[ "$RECV_STATUS" -eq 0 ]
		no_temporaries "$RECV_DIR"
		for f in "${files[@]}"; do
			u=$(meta_value "$f" 0008,0018)
			same_dataset "$f" "$RECV_DIR/$u.dcm"
			case $pol in
			rename)
				same_dataset "$f" "$RECV_DIR/$u~2.dcm"
				same_dataset "$f" "$RECV_DIR/$u~3.dcm"
				;;
			esac
		done
		case $pol in
		overwrite | keep)
			[ "$(ls "$RECV_DIR" | wc -l)" -eq 2 ]
			[ "$(wc -l <"$RECV_STDOUT")" -eq 6 ]
			[ "$(grep -c 'Received Store Response (Success)' "$BATS_TEST_TMPDIR/scu-$pol.log")" -eq 6 ]
			;;
		rename)
			[ "$(ls "$RECV_DIR" | wc -l)" -eq 6 ]
			[ "$(cut -f1 "$RECV_STDOUT" | sort -u | wc -l)" -eq 6 ]
			[ "$(cut -f1 "$RECV_STDOUT" | sort)" = "$(ls -d "$RECV_DIR"/* | sort)" ]
			;;
		reject)
			[ "$(ls "$RECV_DIR" | wc -l)" -eq 2 ]
			[ "$(wc -l <"$RECV_STDOUT")" -eq 2 ]
			[ "$(grep -c 'Received Store Response (Success)' "$BATS_TEST_TMPDIR/scu-$pol.log")" -eq 2 ]
			[ "$(grep -c 'answered 0111' "$RECV_STDERR")" -eq 4 ]
			;;
		esac
	done
}

@test "dcmrecv-dcmtk-options: storescu --max-send-pdu 4098 and 5000 (PDVs of sizes no power of two) with a 24 MiB object: stored as storescp +B got it" {
	local big=$BATS_TEST_TMPDIR/big.dcm size
	big_object "$big" 24
	# (an odd size stops storescu itself: "odd block length encountered")
	for size in 4098 5000; do
		start_storescp "$BATS_TEST_TMPDIR/ref$size" +B
		RECV_DIR=$BATS_TEST_TMPDIR/out$size
		start_dcmrecv
		send_both /usr/bin/storescu -R --max-send-pdu "$size" @FILES@ "$big" "$CORPUS/sop/CTImageStorage.dcm"
		[ "$OURS_RC" -eq 0 ] && [ "$REF_RC" -eq 0 ]
		stop_dcmrecv
		kill "$SCP_PID"
		[ "$RECV_STATUS" -eq 0 ]
		run -0 same_as_ref "$BATS_TEST_TMPDIR/ref$size" STORESCU
		[ "$output" -eq 2 ]
		same_dataset "$big" "$RECV_DIR/$(meta_value "$big" 0008,0018).dcm"
	done
}

@test "dcmrecv-dcmtk-options: DCMTK dcmsend negotiates a file's meta SOP class and sends its data set's other class on that context: dcmrecv refuses 0122 and says why, where storescp stores it" {
	require_cmd /usr/bin/dcmsend
	local f=$CORPUS/odd/meta-sop-class-mismatch.dcm
	# meta CT Image Storage, data set Secondary Capture
	[ "$(meta_value "$f" 0002,0002)" = 1.2.840.10008.5.1.4.1.1.2 ]
	start_storescp "$BATS_TEST_TMPDIR/ref" +B
	start_dcmrecv
	send_both /usr/bin/dcmsend -v -nh @FILES@ "$f"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# DCMTK stores it (so does Orthanc 1.10); dcmrecv(1) refuses a C-STORE
	# naming a class its context was not negotiated for: the sender is
	# told so, nothing is written
	[ "$(ls "$BATS_TEST_TMPDIR/ref" | wc -l)" -eq 1 ]
	[ -z "$(ls -A "$RECV_DIR")" ]
	[ ! -s "$RECV_STDOUT" ]
	grep -q "Received C-STORE Response (Refused: SOPClassNotSupported)" "$BATS_TEST_TMPDIR/ours.log"
	grep -q "answered 0122 for '$(meta_value "$f" 0008,0018)': SOP class not negotiated on context 1" "$RECV_STDERR"
}
