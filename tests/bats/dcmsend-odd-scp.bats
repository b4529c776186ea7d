#!/usr/bin/env bats
# dcmsend against a Storage SCP that misbehaves (tests/tools/fakescp):
# warning, unknown and Pending statuses, responses with a wrong Message
# ID, twice, out of order or before the data set is complete, an
# A-ASSOCIATE-AC accepting what was never proposed, odd maximum PDU
# lengths, PDUs cut into single bytes, a release collision, a release
# never answered, a reset in the middle of a PDU.  In each: the lines
# and exit status say what the peer answered, and every data set the
# fake received is byte for byte the file's.  About 10 s in all.
# Runs beside other files (scripts/run-check).
# bats file_tags=parallel

load helpers

setup() {
	C=$(corpus_dir)
	mapfile -t FILES < <(awk -F'\t' 'NR > 1 && $3 == "1.2.840.10008.1.2.1" { print $1 }' \
		"$C/MANIFEST.tsv" | head -6 | sed "s|^|$C/|")
	[ "${#FILES[@]}" -eq 6 ]
}

# fake_send MODES [dcmsend options]: a fakescp in MODES, dcmsend of
# FILES to it (30 s at most); sets status, output, stderr; the fake's
# data sets in FAKE_OUT, its log in FAKE_LOG.
fake_send() {
	local modes=$1 pf=$BATS_TEST_TMPDIR/fake.port
	shift
	FAKE_OUT=$BATS_TEST_TMPDIR/fake FAKE_LOG=$BATS_TEST_TMPDIR/fake/log
	rm -rf "$pf" "$FAKE_OUT"
	/usr/bin/python3 "$CSTORE_ROOT/tests/tools/fakescp" "$pf" "$FAKE_OUT" "$modes" &
	track_pid $!
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	[ -s "$pf" ]
	run --separate-stderr timeout 30 "$CSTORE_BIN/dcmsend" --acse-timeout 2 --dimse-timeout 3 \
		"$@" 127.0.0.1 "$(cat "$pf")" "${FILES[@]}"
}

# arrived N: the fake holds N data sets, each byte for byte the file
# sent in that place.
arrived() {
	local i n=0
	for i in "${!FILES[@]}"; do
		[ -f "$FAKE_OUT/$((i + 1)).ds" ] || continue
		cmp <("$CSTORE_TOOLS/dcm-dataset" "${FILES[$i]}") "$FAKE_OUT/$((i + 1)).ds"
		n=$((n + 1))
	done
	[ "$n" -eq "$1" ] || { echo "$n data sets arrived, not $1" >&2; return 1; }
}

# statuses: the STATUS column of output, space-separated
statuses() { cut -f1 <<<"$output" | tr '\n' ' '; }

@test "dcmsend vs odd SCP: warnings B000 B006 B007 0107 count stored; A7FF, C123, 5000 failed; exit 1" {
	fake_send status=B000/B006/B007/0107/A7FF/C123
	[ "$status" -eq 1 ]
	[ "$(statuses)" = "B000 B006 B007 0107 A7FF C123 " ]
	[[ $stderr == *"0 stored, 4 with warning, 2 failed"* ]]
	[[ ${lines[4]} == *$'\t'"fake; Failure: Refused: out of resources" ]]
	arrived 6
	fake_send status=5000
	[ "$status" -eq 1 ]
	[ "$(statuses)" = "5000 5000 5000 5000 5000 5000 " ]
}

# 0001 is a Warning with no meaning of its own (status-explain.bats); the line
# says so once (before: "Requested optional attributes are not
# supported", PS3.4's meaning for some N-GET/N-SET).
@test "dcmsend vs odd SCP: 0001 is stored with a warning, its line saying it has no C-STORE meaning of its own" {
	fake_send status=0001
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == 0001$'\t'*$'\t'"fake; Warning: No meaning of its own (PS3.7 Annex C); in DIMSE-N responses of some PS3.4 services (N-GET, N-SET): requested optional Attributes are not supported" ]]
	arrived 6
}

# An Error Comment is LO text of the default repertoire; a peer that
# sends Latin-1 bytes (caf\xe9, then \xff) gets U+FFFD for each in TSV
# and JSON alike (before: raw bytes in TSV, lone surrogates \udce9 in
# JSON, which strict parsers refuse and jq shows otherwise).
@test "dcmsend vs odd SCP: an Error Comment that is not UTF-8 is written with U+FFFD for each stray byte, the same in TSV and JSON" {
	fake_send status=A700,comment=636166e9ff
	[ "$status" -eq 1 ]
	[[ ${lines[0]} == A700$'\t'*$'\t'"caf"$'\xef\xbf\xbd\xef\xbf\xbd'"; Failure: Refused: out of resources" ]]
	fake_send status=A700,comment=636166e9ff --json
	[ "$status" -eq 1 ]
	[[ $output != *'\udc'* ]]
	/usr/bin/python3 -c '
import json, sys
for raw in open(sys.argv[1], "rb"):
    d = json.loads(raw.decode("utf-8", "strict"))
    assert d["error_comment"] == "caf\ufffd\ufffd", d["error_comment"]
' <(printf '%s\n' "$output")
}

# The same for the Error Comment of an N-ACTION response refusing the
# commitment request, which goes into every line's detail (before: raw
# bytes in TSV, lone surrogates \udce9 in JSON).
@test "dcmsend --commit vs odd SCP: an N-ACTION Error Comment that is not UTF-8 is written with U+FFFD for each stray byte, the same in TSV and JSON" {
	fake_send naction=0110,comment=636166e9ff --commit
	[ "$status" -eq 7 ]
	[ "${#lines[@]}" -eq 6 ]
	[ "$(grep -c $'\t''commitfailed; .*the archive refused the commitment request: N-ACTION status 0110 (Failure): caf'$'\xef\xbf\xbd\xef\xbf\xbd''$' <<<"$output")" -eq 6 ]
	fake_send naction=0110,comment=636166e9ff --commit --json
	[ "$status" -eq 7 ]
	[[ $output != *'\udc'* ]]
	/usr/bin/python3 -c '
import json, sys
n = 0
for raw in open(sys.argv[1], "rb"):
    d = json.loads(raw.decode("utf-8", "strict"))
    assert d["detail"].endswith(": caf\ufffd\ufffd"), d["detail"]
    n += 1
assert n == 6, n
' <(printf '%s\n' "$output")
}

@test "dcmsend vs odd SCP: a Pending (FF00) response is the answer (a failure); a second response after it aborts, the line says why; exit 5" {
	fake_send pending --async 1
	[ "$status" -eq 5 ]
	[[ ${lines[0]} == FF00$'\t'*$'\t'"Pending: matches or sub-operations are continuing" ]]
	[[ ${lines[1]} == aborted$'\t'*"the peer sent a C-STORE-RSP for Message ID 1, which no outstanding request has" ]]
	[[ $stderr == *"0 stored, 0 with warning, 6 failed"* ]]
	fake_send status=FF01 --async 1
	[ "$status" -eq 1 ]
	[ "$(statuses)" = "FF01 FF01 FF01 FF01 FF01 FF01 " ]
	arrived 6
}

@test "dcmsend vs odd SCP: a response with a wrong Message ID, one sent twice, one with a data set: aborted, exit 5, the line says why" {
	fake_send msgid
	[ "$status" -eq 5 ]
	[[ ${lines[0]} == aborted$'\t'*"the peer sent a C-STORE-RSP for Message ID 1001, which no outstanding request has" ]]
	[[ $stderr == *"Message ID 1001"* ]]
	fake_send dup --async 1
	[ "$status" -eq 5 ]
	[[ ${lines[0]} == 0000$'\t'* ]]
	[[ ${lines[1]} == aborted$'\t'*"for Message ID 1, which no outstanding request has" ]]
	fake_send rspds --async 1
	[ "$status" -eq 5 ]
	[[ ${lines[1]} == notsent$'\t'*"the peer sent a data set after a C-STORE-RSP, which has none" ]]
}

@test "dcmsend vs odd SCP: responses out of order, before the data set is whole, no Affected SOP Instance UID, single-byte PDUs, max PDU 0 and 4 GiB: all stored byte for byte" {
	local m
	for m in reverse=3 early noinst split maxpdu=0 maxpdu=4294967295 collide; do
		fake_send "$m"
		[ "$status" -eq 0 ] || { echo "$m: exit $status: $output $stderr" >&2; return 1; }
		[ "$(statuses)" = "0000 0000 0000 0000 0000 0000 " ]
		arrived 6
	done
	grep -q "release-rq sent" "$FAKE_LOG"
	# held and answered newest first: each status still goes to its file
	fake_send reverse=3,status=B000/A700/0000/C000/B007/0000
	[ "$status" -eq 1 ]
	[ "$(statuses)" = "B000 A700 0000 C000 B007 0000 " ]
	fake_send maxpdu=none
	[ "$status" -eq 0 ]
	arrived 6
}

@test "dcmsend vs odd SCP: responses to several requests in one P-DATA-TF, a response command set in two PDVs: each status goes to its file, all stored byte for byte" {
	local m
	for m in pack=3 pack=2,fragcmd fragcmd; do
		fake_send "$m"
		[ "$status" -eq 0 ] || { echo "$m: exit $status: $output $stderr" >&2; return 1; }
		[ "$(statuses)" = "0000 0000 0000 0000 0000 0000 " ]
		arrived 6
		[[ $m != pack=* ]] || grep -q "answered ${m:5:1} packed" "$FAKE_LOG"
	done
	fake_send pack=3,fragcmd,status=B000/A700/0000/C000/B007/0000
	[ "$status" -eq 1 ]
	[ "$(statuses)" = "B000 A700 0000 C000 B007 0000 " ]
	arrived 6
}

@test "dcmsend vs odd SCP: a request of the SCP's own (a C-ECHO-RQ) on the association: aborted, exit 5, the line names it" {
	fake_send echorq --async 1
	[ "$status" -eq 5 ]
	[[ ${lines[0]} == aborted$'\t'*"the peer sent a C-ECHO-RQ (Message ID 77), a request this association does not take" ]]
	[[ $stderr == *"the peer sent a C-ECHO-RQ (Message ID 77)"* ]]
}

@test "dcmsend vs odd SCP: an AC accepting a syntax or a context ID never proposed: nothing sent, exit 5" {
	fake_send ts=1.2.840.10008.1.2.4.50
	[ "$status" -eq 5 ]
	[[ ${lines[0]} == notsent$'\t'*"transfer syntax '1.2.840.10008.1.2.4.50', which was not proposed" ]]
	arrived 0
	fake_send pcid=99
	[ "$status" -eq 5 ]
	[[ ${lines[0]} == notsent$'\t'*"presentation context 99, which was not proposed" ]]
	arrived 0
}

@test "dcmsend vs odd SCP: a zero-PDV P-DATA-TF, a reset mid-PDU, a half-closed connection: exit 5, answered files stored" {
	fake_send zeropdv --async 1
	[ "$status" -eq 5 ]
	[[ ${lines[0]} == aborted$'\t'*"p-data-tf without pdv items"* ]]
	fake_send rst=2 --async 1
	[ "$status" -eq 5 ]
	[ "$(statuses)" = "0000 0000 aborted notsent notsent notsent " ]
	arrived 2
	fake_send halfclose --async 1
	[ "$status" -eq 5 ]
	[[ $(statuses) == "0000 aborted "* ]]
}

@test "dcmsend vs odd SCP: an A-RELEASE-RP never sent: every file stored, exit 0 within the timeouts" {
	SECONDS=0
	fake_send norp
	[ "$status" -eq 0 ]
	[ "$(statuses)" = "0000 0000 0000 0000 0000 0000 " ]
	[ "$SECONDS" -lt 10 ]
	arrived 6
}

@test "dcmsend vs odd SCP: the SCP asks for the release itself: answered, the files answered before stored, the one in flight aborted, exit 5" {
	fake_send relrq=2 --async 1
	[ "$status" -eq 5 ]
	[ "$(statuses)" = "0000 0000 aborted notsent notsent notsent " ]
	grep -q "release-rp received" "$FAKE_LOG"
	[[ ${lines[2]} == *"no response: the peer asked to release the association (A-RELEASE-RQ) before the end" ]]
	fake_send relrq=6
	[ "$status" -eq 0 ]
	[ "$(statuses)" = "0000 0000 0000 0000 0000 0000 " ]
	arrived 6
}

@test "dcmsend vs odd SCP: a 0000 that comes before the data set went out whole, then the connection ends, is not stored: aborted, --remove-sent keeps the file, exit 5" {
	local big=$BATS_TEST_TMPDIR/big.dcm small=$BATS_TEST_TMPDIR/small.dcm m a
	# 20 MB: far more than the socket buffers hold once the fake stops reading
	/usr/bin/python3 "$CSTORE_ROOT/tests/tools/mkbig" "$BATS_TEST_TMPDIR/big.orig" 20
	for m in early,rst=1 early,abort; do
		for a in 16 1; do
			cp "$BATS_TEST_TMPDIR/big.orig" "$big"
			cp "${FILES[0]}" "$small"
			FILES=("$big" "$small")
			fake_send "$m" --async "$a" --remove-sent
			[ "$status" -eq 5 ] || { echo "$m --async $a: exit $status: $output $stderr" >&2; return 1; }
			[[ ${lines[0]} == aborted$'\t'"$big"$'\t'*"answered 0000 before its data set was sent in full"* ]]
			[[ ${lines[1]} == notsent$'\t'"$small"$'\t'* ]]
			[ -f "$big" ] && [ -f "$small" ]
			arrived 0
		done
	done
}
