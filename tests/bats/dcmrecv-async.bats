#!/usr/bin/env bats
# dcmrecv and the asynchronous operations window (PS3.7 D.3.3.3): what
# the A-ASSOCIATE-AC answers, and senders that do not wait for each
# response: requests written back to back in one write, responses read
# afterwards (the raw client of dcmrecv-helpers.bash), and a sender that
# does not read its responses at all (tests/tools/flood).

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
CLS=1.2.840.10008.5.1.4.1.1.7
INST=2.25.314159265358979323846264338327950
ECHO_CLS=1.2.840.10008.1.1

setup() {
	DS=$BATS_TEST_TMPDIR/ds
	ds_file "$FIX" "$DS"
}

# inst N: the fixture's SOP Instance UID with its last digit replaced by N
inst() { echo "${INST%?}$1"; }

# variant N: the fixture's data set holding instance $(inst N), same
# length, into $BATS_TEST_TMPDIR/dsN
variant() {
	od -An -tx1 -v "$DS" | tr -d ' \n' |
		sed "s/$(str_hex "$INST")/$(str_hex "$(inst "$1")")/" |
		xxd -r -p >"$BATS_TEST_TMPDIR/ds$1"
	cmp -s "$DS" "$BATS_TEST_TMPDIR/ds$1" && { echo "variant $1: UID not replaced" >&2; return 1; }
	return 0
}

# store_hex INSTANCE FILE MSGID: one C-STORE-RQ, command and data set
# PDUs, as hex (the data sets here fit one PDV)
store_hex() {
	echo "$(pdata 03 "$(cstore_rq "$CLS" "$1" "$3")")$(pdata 02 "$(od -An -tx1 -v "$2" | tr -d ' \n')")"
}

# cecho_rq MSGID: a C-ECHO-RQ command set (PS3.7 9.3.5), no data set
cecho_rq() {
	local rest
	rest=$(ivr_el 0 2 "$(uid_hex "$ECHO_CLS")")$(ivr_el 0 0x100 "$(le16 0x30)")
	rest+=$(ivr_el 0 0x110 "$(le16 "$1")")$(ivr_el 0 0x800 "$(le16 0x101)")
	echo "$(ivr_el 0 0 "$(le32 $((${#rest} / 2)))")$rest"
}

# window PROPOSAL: associate proposing PROPOSAL ("INVOKED PERFORMED", or
# "" for none), release, and print the window answered ("" for none)
window() {
	RAW_ASYNC=$1 raw_associate "$RECV_PORT" "$CLS" || return 1
	async_of "$RAW_REPLY"
	raw_release
}

@test "dcmrecv: the async helpers see the window of an RQ, and none when it has none" {
	[ "$(async_of "$(RAW_ASYNC="4 2" assoc_rq A B "$CLS" 1.2.840.10008.1.2)")" = "4 2" ]
	[ -z "$(async_of "$(assoc_rq A B "$CLS" 1.2.840.10008.1.2)")" ]
}

@test "dcmrecv: a proposed window is answered: invoked min(proposal, 16), performed 1; none unless proposed" {
	start_dcmrecv -v
	[ -z "$(window "")" ]
	[ "$(window "0 0")" = "16 1" ]
	[ "$(window "4 4")" = "4 1" ]
	[ "$(window "100 0")" = "16 1" ]
	[ "$(window "20 3")" = "16 1" ]
	[ "$(window "1 1")" = "1 1" ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# -v says the window of each association that has one
	grep -q "association 1 from .*: accepted 1 of 1 presentation contexts$" "$RECV_STDERR"
	grep -q "association 2 from .*: accepted 1 of 1 presentation contexts, async window 16$" "$RECV_STDERR"
	grep -q "association 3 from .*, async window 4$" "$RECV_STDERR"
	grep -q "association 6 from .*, async window 1$" "$RECV_STDERR"
}

@test "dcmrecv: --async N caps the window; --async 1 answers synchronous (1, 1)" {
	start_dcmrecv --async 8
	[ "$(window "100 1")" = "8 1" ]
	[ "$(window "0 0")" = "8 1" ]
	[ "$(window "5 2")" = "5 1" ]
	[ -z "$(window "")" ]
	stop_dcmrecv
	start_dcmrecv --async 1
	[ "$(window "100 1")" = "1 1" ]
	[ "$(window "0 0")" = "1 1" ]
	[ -z "$(window "")" ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
}

@test "dcmrecv: -d traces the window proposed and the one answered" {
	start_dcmrecv -d
	[ "$(window "0 0")" = "16 1" ]
	stop_dcmrecv
	grep -q "asynchronous operations window: invoked 0, performed 0" "$RECV_STDERR"
	grep -q "asynchronous operations window: invoked 16, performed 1" "$RECV_STDERR"
}

@test "dcmrecv: --async outside 1-65535 is a usage error (exit 2) naming the value" {
	for v in 0 65536 -1 x; do
		run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --async "$v" 127.0.0.1:0
		assert_output ""
		[[ $stderr == *"--async '$v'"* ]]
	done
}

@test "dcmrecv: three C-STOREs sent back to back are answered in order (1, 2, 3), each stored byte for byte" {
	local all="" i
	start_dcmrecv
	RAW_ASYNC="3 1" raw_associate "$RECV_PORT" "$CLS"
	[ "$(async_of "$RAW_REPLY")" = "3 1" ]
	for i in 1 2 3; do
		variant "$i"
		all+=$(store_hex "$(inst "$i")" "$BATS_TEST_TMPDIR/ds$i" "$i")
	done
	raw_send "$all" # one write: the receiver reads the three together
	for i in 1 2 3; do
		RAW_REPLY=$(raw_read_pdu)
		[ "${RAW_REPLY:0:2}" = 04 ]
		[ "$(status_of "$RAW_REPLY")" = 0000 ]
		[ "$(msgid_of "$RAW_REPLY")" = "$i" ]
	done
	raw_release
	[ "${RAW_REPLY:0:2}" = 06 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	for i in 1 2 3; do
		cmp <(dataset_of "$RECV_DIR/$(inst "$i").dcm") "$BATS_TEST_TMPDIR/ds$i"
	done
	[ "$(cut -f3 "$RECV_STDOUT" | tr '\n' ' ')" = "$(inst 1) $(inst 2) $(inst 3) " ]
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 3 ]
	no_temporaries "$RECV_DIR"
}

@test "dcmrecv: of requests read together, each response leaves when ready, not after the last (--delay)" {
	local all="" i t0 t=()
	start_dcmrecv --delay 500 --on-duplicate rename
	RAW_ASYNC="3 1" raw_associate "$RECV_PORT" "$CLS"
	for i in 1 2 3; do
		all+=$(store_hex "$INST" "$DS" "$i")
	done
	t0=$(date +%s%N)
	raw_send "$all"
	for i in 1 2 3; do
		RAW_REPLY=$(raw_read_pdu 5)
		t[i]=$((($(date +%s%N) - t0) / 1000000))
		[ "$(status_of "$RAW_REPLY")" = 0000 ]
		[ "$(msgid_of "$RAW_REPLY")" = "$i" ]
	done
	raw_release
	stop_dcmrecv
	echo "responses after ${t[1]}, ${t[2]}, ${t[3]} ms" >&2
	# 500 ms apart: the first did not wait for the other two.
	[ "${t[1]}" -lt 900 ]
	[ "${t[3]}" -ge 1400 ]
	[ $((t[3] - t[1])) -ge 800 ]
}

@test "dcmrecv: requests read together under --respond-every 2:A700 and --abort-after 3" {
	local all="" i
	start_dcmrecv --respond-every 2:A700 --abort-after 3
	RAW_ASYNC="4 1" raw_associate "$RECV_PORT" "$CLS"
	for i in 1 2 3 4; do
		variant "$i"
		all+=$(store_hex "$(inst "$i")" "$BATS_TEST_TMPDIR/ds$i" "$i")
	done
	raw_send "$all"
	RAW_REPLY=$(raw_read_pdu)
	[ "$(status_of "$RAW_REPLY")" = 0000 ] && [ "$(msgid_of "$RAW_REPLY")" = 1 ]
	RAW_REPLY=$(raw_read_pdu)
	[ "$(status_of "$RAW_REPLY")" = A700 ] && [ "$(msgid_of "$RAW_REPLY")" = 2 ]
	RAW_REPLY=$(raw_read_pdu)
	[ "${RAW_REPLY:0:2}" = 07 ] # the third is answered with an A-ABORT
	raw_close
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR")" = "$(inst 1).dcm" ]
	cmp <(dataset_of "$RECV_DIR/$(inst 1).dcm") "$BATS_TEST_TMPDIR/ds1"
}

@test "dcmrecv: a sender that does not read its responses is waited for, not aborted" {
	local wmem n
	[ -x "$CSTORE_TOOLS/flood" ] || skip "tests/tools/flood not built"
	# Enough C-ECHO responses (90 bytes each) to fill, twice over, the
	# 2 MiB output queue of an association and the largest socket send
	# buffer the kernel may grow to.
	wmem=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_wmem 2>/dev/null) || wmem=4194304
	n=$(((${wmem:-4194304} + 2097152) * 2 / 90))
	start_dcmrecv
	run -0 --separate-stderr "$CSTORE_TOOLS/flood" "$RECV_PORT" \
		"$(assoc_rq ANY-SCP RAWSCU "$ECHO_CLS" 1.2.840.10008.1.2)" \
		"$(pdata 03 "$(cecho_rq 7)")" "$n"
	assert_output "$n responses"
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	# nothing but the listening line: no "cannot send the response"
	[ "$(grep -vc 'listening on' "$RECV_STDERR")" -eq 0 ]
}
