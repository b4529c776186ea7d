# dcmrecv-helpers.bash - shared by the dcmrecv bats files (load after
# helpers): start and stop our receiver, and compare what arrived.

# corpus_setup_file: $CORPUS, exported: $CSTORE_CORPUS, or scripts/mkcorpus
# made in $BATS_FILE_TMPDIR (when DCMTK's storescu is there to check it);
# the setup_file of the interop files that send the corpus to dcmrecv.
corpus_setup_file() {
	export CORPUS=${CSTORE_CORPUS:-$BATS_FILE_TMPDIR/corpus}
	if [ ! -f "$CORPUS/MANIFEST.tsv" ] && [ -x /usr/bin/storescu ]; then
		"$CSTORE_ROOT/scripts/mkcorpus" "$CORPUS" >/dev/null
	fi
}

# wait_established N: waits (10 s at most) until N connections to
# $RECV_PORT are established; fails if they are not
wait_established() {
	local i
	for i in $(seq 100); do
		[ "$(ss -Htn state established "dport = :$RECV_PORT" | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	[ "$(ss -Htn state established "dport = :$RECV_PORT" | wc -l)" -ge "$1" ]
}

# corpus_peer_setup [CMD ...]: the setup of the files that send the
# corpus of corpus_setup_file to dcmrecv and a foreign peer
# (dcmrecv-dcmtk.bats and its kin): a network namespace, each CMD, the
# corpus, or the test is skipped
corpus_peer_setup() {
	local c
	require_netns
	for c in "$@"; do
		require_cmd "$c"
	done
	[ -f "$CORPUS/MANIFEST.tsv" ] || skip "no corpus"
}

# start_dcmrecv [options...]: our dcmrecv on 127.0.0.1 port 0 writing
# into $RECV_DIR (default $BATS_TEST_TMPDIR/out); sets RECV_PORT,
# RECV_PID, RECV_STDOUT, RECV_STDERR.  Waits (5 s at most) for the port
# file.
start_dcmrecv() {
	RECV_DIR=${RECV_DIR:-$BATS_TEST_TMPDIR/out}
	RECV_STDOUT=$BATS_TEST_TMPDIR/recv.out
	RECV_STDERR=$BATS_TEST_TMPDIR/recv.err
	local pf=$BATS_TEST_TMPDIR/recv.port i
	mkdir -p "$RECV_DIR"
	rm -f "$pf"
	"$CSTORE_BIN/dcmrecv" -o "$RECV_DIR" --port-file "$pf" "$@" 127.0.0.1:0 \
		>"$RECV_STDOUT" 2>"$RECV_STDERR" &
	RECV_PID=$!
	track_pid "$RECV_PID"
	for i in $(seq 100); do
		[ -s "$pf" ] && break
		kill -0 "$RECV_PID" 2>/dev/null || { cat "$RECV_STDERR" >&2; return 1; }
		sleep 0.05
	done
	RECV_PORT=$(cat "$pf")
	[ -n "$RECV_PORT" ]
}

# stop_dcmrecv [SIGNAL]: signal (TERM) and wait, at most 30 s; sets
# RECV_STATUS to its exit status.
stop_dcmrecv() {
	local sig=${1:-TERM} i
	kill -"$sig" "$RECV_PID" 2>/dev/null || true
	for i in $(seq 300); do
		kill -0 "$RECV_PID" 2>/dev/null || break
		sleep 0.1
	done
	RECV_STATUS=0
	wait "$RECV_PID" || RECV_STATUS=$?
}

# wait_dcmrecv_exit [SECONDS]: wait for the receiver to exit by itself
# (--max-files...), at most SECONDS (10); sets RECV_STATUS.
wait_dcmrecv_exit() {
	local secs=${1:-10} i
	for i in $(seq $((secs * 10))); do
		kill -0 "$RECV_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$RECV_PID" 2>/dev/null && { echo "dcmrecv still running after ${secs}s" >&2; return 1; }
	RECV_STATUS=0
	wait "$RECV_PID" || RECV_STATUS=$?
}

# dataset_of FILE: the data set bytes of a DICOM file on stdout: after
# the preamble and the File Meta Information (whose group length is
# read), or the whole file when it has no preamble.
dataset_of() {
	local f=$1 b
	# bytes 128-143: "DICM", the tag (0002,0000), its VR and length, and
	# the group length (little endian), read by one od
	b=($(od -An -v -tx1 -j128 -N16 "$f"))
	if [ "${b[*]:0:4}" = "44 49 43 4d" ]; then
		[ "${b[*]:4:4}" = "02 00 00 00" ] || { echo "$f: no (0002,0000) group length" >&2; return 1; }
		tail -c +$((144 + 0x${b[15]}${b[14]}${b[13]}${b[12]} + 1)) "$f"
	else
		cat "$f"
	fi
}

# meta_len FILE: bytes before the data set (preamble, DICM, group 0002)
meta_len() {
	echo $((144 + $(od -An -tu4 -j140 -N4 "$1" | tr -d ' \n')))
}

# meta_value FILE TAG: a meta header value as dcmdump shows it, e.g.
# meta_value f 0002,0010 -> 1.2.840.10008.1.2.1
meta_value() {
	/usr/bin/dcmdump -q -Un +P "$2" "$1" 2>/dev/null | sed -n 's/^[^[]*\[\([^]]*\)\].*/\1/p' | head -1
}

# same_dataset SRC GOT: the data sets are byte for byte equal.
same_dataset() {
	cmp -s <(dataset_of "$1") <(dataset_of "$2") || {
		echo "data set of '$2' differs from '$1'" >&2
		return 1
	}
}

# same_datasets_by_uid LIST DIR: every file named in LIST (one path a
# line) is in DIR as its SOP Instance UID (as dcmdump reads it, one per
# file) + ".dcm", with the same data set (as dataset_of cuts it), byte
# for byte.  One dcmdump and one python3 for the lot, where same_dataset
# and meta_value take a dozen processes a file.  Prints the number.
same_datasets_by_uid() {
	xargs -d '\n' /usr/bin/dcmdump -q -Un +F +P 0008,0018 <"$1" 2>/dev/null |
		awk '/^# dcmdump \([0-9]+\/[0-9]+\): / { f = substr($0, index($0, "): ") + 3); next }
			f != "" && match($0, /\[[^]]*\]/) { print f "\t" substr($0, RSTART + 1, RLENGTH - 2) }' |
		python3 -c '
import os, struct, sys
def dataset(p):
    b = open(p, "rb").read()
    if b[128:132] != b"DICM":
        return b
    if b[132:136] != b"\x02\x00\x00\x00":
        sys.exit(p + ": no (0002,0000) group length")
    return b[144 + struct.unpack("<I", b[140:144])[0]:]
uids = {}
for line in sys.stdin:
    f, u = line.rstrip("\n").split("\t")
    uids.setdefault(f, []).append(u)
n = 0
for f in open(sys.argv[1]).read().splitlines():
    u = uids.get(f, [])
    got = os.path.join(sys.argv[2], u[0] + ".dcm") if len(u) == 1 else None
    if got is None or not os.path.isfile(got):
        sys.exit("not received: %s (UIDs %s)" % (f, u))
    if dataset(f) != dataset(got):
        sys.exit("data set of %r differs from %r" % (got, f))
    n += 1
print(n)
' "$1" "$2"
}

# no_temporaries DIR: no .cstore-tmp-* file anywhere under DIR.
no_temporaries() {
	local t
	t=$(find "$1" -name '.cstore-tmp-*' | head -5)
	[ -z "$t" ] || { echo "temporary files left: $t" >&2; return 1; }
}

# open_temp_size PID DIR: the size of the largest temporary file PID
# has open below DIR (an O_TMPFILE file "DIR/#INODE (deleted)" or a
# named .cstore-tmp-*), -1 when none.
open_temp_size() {
	local dir max
	dir=$(realpath "$2")
	# few processes: callers poll this while an object streams in
	max=$(find /proc/"$1"/fd \( -lname "$dir/*(deleted)" -o -lname "$dir/*.cstore-tmp-*" \) \
		-print0 2>/dev/null | xargs -0r stat -L -c %s 2>/dev/null | sort -n | tail -n 1)
	echo "${max:--1}"
}

# --- a raw DICOM client in bash, for hostile and half-finished peers ------
# Builds PDUs as hex strings; raw_send writes them to fd 7, opened by
# raw_connect.  Enough of PS3.8 9.3 and PS3.7 for one C-STORE.

be16() { printf '%04x' "$1"; }
be32() { printf '%08x' "$1"; }
le16() { local h; h=$(printf '%04x' "$1"); echo "${h:2:2}${h:0:2}"; }
le32() { local h; h=$(printf '%08x' "$1"); echo "${h:6:2}${h:4:2}${h:2:2}${h:0:2}"; }
str_hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
# item TYPE HEXBODY: an item with a 16-bit length (PS3.8 9.3.2)
item() { echo "${1}00$(be16 $((${#2} / 2)))$2"; }

# assoc_rq CALLED CALLING SOPCLASS TS: an A-ASSOCIATE-RQ with one context
# (id 1); with RAW_ASYNC="INVOKED PERFORMED" it also proposes an
# asynchronous operations window (PS3.7 D.3.3.3).
assoc_rq() {
	local body pc ui
	body="00010000$(str_hex "$(printf '%-16s' "$1")")$(str_hex "$(printf '%-16s' "$2")")$(printf '%064d' 0)"
	body+=$(item 10 "$(str_hex 1.2.840.10008.3.1.1.1)")
	pc=$(item 30 "$(str_hex "$3")")$(item 40 "$(str_hex "$4")")
	body+=$(item 20 "01000000$pc")
	ui=$(item 51 "$(be32 "${RAW_MAXPDU:-16384}")")$(item 52 "$(str_hex 1.2.826.0.1.3680043.2.1143.107)")
	[ -z "${RAW_ASYNC:-}" ] || ui+=$(item 53 "$(be16 "${RAW_ASYNC% *}")$(be16 "${RAW_ASYNC#* }")")
	[ -z "${RAW_IDENTITY:-}" ] || ui+=$(item 58 "$RAW_IDENTITY")
	body+=$(item 50 "$ui")
	echo "0100$(be32 $((${#body} / 2)))$body"
}

# identity_hex TYPE RESPONSE PRIMARY [SECONDARY]: the body of a user
# identity sub-item (PS3.7 D.3.3.7.1), for RAW_IDENTITY
identity_hex() {
	local p s
	p=$(str_hex "$3") s=$(str_hex "${4:-}")
	echo "$(printf '%02x%02x' "$1" "$2")$(be16 $((${#p} / 2)))$p$(be16 $((${#s} / 2)))$s"
}

# ivr_el GROUP ELEM HEXVALUE: an Implicit VR LE element
ivr_el() { echo "$(le16 "$1")$(le16 "$2")$(le32 $((${#3} / 2)))$3"; }
# uid_hex UID: the value padded with NUL to even length
uid_hex() { local h; h=$(str_hex "$1"); [ $((${#1} % 2)) -eq 0 ] || h+=00; echo "$h"; }

# cstore_rq CLASS INSTANCE MSGID: a C-STORE-RQ command set (PS3.7 9.3.1.1)
cstore_rq() {
	local rest
	rest=$(ivr_el 0 2 "$(uid_hex "$1")")$(ivr_el 0 0x100 "$(le16 1)")
	rest+=$(ivr_el 0 0x110 "$(le16 "$3")")$(ivr_el 0 0x700 "$(le16 0)")
	rest+=$(ivr_el 0 0x800 "$(le16 0)")$(ivr_el 0 0x1000 "$(uid_hex "$2")")
	echo "$(ivr_el 0 0 "$(le32 $((${#rest} / 2)))")$rest"
}

# cecho_rq MSGID: a C-ECHO-RQ command set (PS3.7 9.3.5), no data set;
# ECHO_CLS is the Verification SOP class UID
cecho_rq() {
	local rest
	rest=$(ivr_el 0 2 "$(uid_hex "$ECHO_CLS")")$(ivr_el 0 0x100 "$(le16 0x30)")
	rest+=$(ivr_el 0 0x110 "$(le16 "$1")")$(ivr_el 0 0x800 "$(le16 0x101)")
	echo "$(ivr_el 0 0 "$(le32 $((${#rest} / 2)))")$rest"
}

# pdata CONTROL HEXDATA: a P-DATA-TF with one PDV on context 1
# (CONTROL 03 command+last, 00 data set, 02 data set last)
pdata() {
	local pdv="$(be32 $((${#2} / 2 + 2)))01$1$2"
	echo "04$(printf '00')$(be32 $((${#pdv} / 2)))$pdv"
}

# raw_connect PORT: opens fd 7 to 127.0.0.1:PORT
raw_connect() { exec 7<>"/dev/tcp/127.0.0.1/$1"; }
raw_send() { printf '%s' "$1" | xxd -r -p >&7; }
# raw_read_hex [SECONDS]: what the peer sent within SECONDS (1), as hex
raw_read_hex() { timeout "${1:-1}" cat <&7 | od -An -tx1 -v | tr -d ' \n' || true; }
raw_close() { exec 7<&- 7>&-; }
# status_of HEX: the Status (0000,0900) of the first response in HEX
status_of() {
	local h=${1#*0000000902000000} # tag (0000,0900), length 2
	[ "$h" != "$1" ] || return 1
	echo "${h:2:2}${h:0:2}" | tr a-f A-F
}

# msgid_of HEX: the Message ID Being Responded To (0000,0120) of a response
msgid_of() {
	local h=${1#*0000200102000000}
	[ "$h" != "$1" ] || return 1
	echo $((16#${h:2:2}${h:0:2}))
}

# async_of HEX: "INVOKED PERFORMED" from the asynchronous operations
# window sub-item of an A-ASSOCIATE-RQ/AC, nothing when it has none.
# Walks the items after the fixed 74 bytes, then the user information.
async_of() {
	local h=$1 off=148 type len o end
	while [ $((off + 8)) -le ${#h} ]; do
		type=${h:off:2} len=$((16#${h:off+4:4}))
		if [ "$type" = 50 ]; then
			o=$((off + 8)) end=$((off + 8 + len * 2))
			while [ $((o + 8)) -le "$end" ]; do
				if [ "${h:o:2}" = 53 ]; then
					echo "$((16#${h:o+8:4})) $((16#${h:o+12:4}))"
					return 0
				fi
				o=$((o + 8 + 16#${h:o+4:4} * 2))
			done
		fi
		off=$((off + 8 + len * 2))
	done
}

# raw_read_pdu [SECONDS]: one whole PDU from fd 7 as hex ("" on timeout/EOF)
raw_read_pdu() {
	local head len
	head=$(timeout "${1:-5}" head -c 6 <&7 | od -An -tx1 -v | tr -d ' \n')
	[ ${#head} -eq 12 ] || return 0
	len=$((16#${head:4:8}))
	echo "$head$(timeout "${1:-5}" head -c "$len" <&7 | od -An -tx1 -v | tr -d ' \n')"
}

# raw_send_timed N [SECONDS]: sends the hex on standard input on fd 7,
# then reads N PDUs (SECONDS, 10, for all), one line each: "MS HEX", MS
# the milliseconds from the write to the PDU's last byte.  One python
# process, started before the clock: the reads of raw_read_pdu cost a
# dozen processes each, hundreds of ms apiece on a loaded machine.
raw_send_timed() {
	python3 -c '
import os, select, sys, time
data = bytes.fromhex(sys.stdin.read().strip())
n, secs = int(sys.argv[1]), float(sys.argv[2])
t0 = time.monotonic()
end = t0 + secs
view = memoryview(data)
while view:
    view = view[os.write(7, view):]
buf = b""
for _ in range(n):
    while True:
        if len(buf) >= 6:
            need = 6 + int.from_bytes(buf[2:6], "big")
            if len(buf) >= need:
                break
        left = end - time.monotonic()
        if left <= 0 or not select.select([7], [], [], left)[0]:
            sys.exit("raw_send_timed: no PDU within %g s" % secs)
        chunk = os.read(7, 65536)
        if not chunk:
            sys.exit("raw_send_timed: the peer closed")
        buf += chunk
    pdu, buf = buf[:need], buf[need:]
    print(int((time.monotonic() - t0) * 1000), pdu.hex(), flush=True)
' "$1" "${2:-10}"
}

# raw_associate PORT CLASS [TS] [CALLED] [CALLING]: connect, send the RQ,
# read the answer into RAW_REPLY; returns 0 if it is an A-ASSOCIATE-AC.
raw_associate() {
	local rq
	# made before connecting: it takes a loaded machine up to a second,
	# which must not count against the receiver's ARTIM (-t)
	rq=$(assoc_rq "${4:-ANY-SCP}" "${5:-RAWSCU}" "$2" "${3:-1.2.840.10008.1.2.1}")
	raw_connect "$1"
	raw_send "$rq"
	RAW_REPLY=$(raw_read_pdu)
	[ "${RAW_REPLY:0:2}" = 02 ]
}

# raw_cstore_pdus CLASS INSTANCE DATASETFILE [MSGID]: the PDUs of one
# C-STORE (command, then the data set in PDVs of at most 16000 bytes:
# below every max PDU length), as one hex string in RAW_PDUS.
raw_cstore_pdus() {
	local size off=0 n ctl
	RAW_PDUS=$(pdata 03 "$(cstore_rq "$1" "$2" "${4:-1}")")
	size=$(stat -c %s "$3")
	while :; do
		n=$((size - off))
		[ "$n" -le 16000 ] || n=16000
		ctl=00
		[ $((off + n)) -lt "$size" ] || ctl=02
		RAW_PDUS+=$(pdata $ctl "$(tail -c +$((off + 1)) "$3" | head -c "$n" | od -An -tx1 -v | tr -d ' \n')")
		off=$((off + n))
		[ "$off" -lt "$size" ] || break
	done
}

# raw_cstore_send: sends RAW_PDUS on the open association (one xxd);
# RAW_STATUS gets the status of the response.
raw_cstore_send() {
	raw_send "$RAW_PDUS"
	RAW_REPLY=$(raw_read_pdu)
	RAW_STATUS=$(status_of "$RAW_REPLY") || RAW_STATUS=none
}

# raw_cstore CLASS INSTANCE DATASETFILE [MSGID]: one C-STORE on the open
# association; RAW_STATUS gets the status.  The PDUs are all made before
# the first byte goes out: made in bash on a loaded machine they took
# seconds, which a receiver with a short -t saw as a silent peer (a
# test with a short -t makes them before associating: raw_cstore_pdus).
raw_cstore() {
	raw_cstore_pdus "$@"
	raw_cstore_send
}

# raw_release: A-RELEASE-RQ, wait for the RP, close.
raw_release() {
	raw_send 05000000000400000000
	RAW_REPLY=$(raw_read_pdu)
	raw_close
}

# ds_file SRC OUT: the data set of SRC alone, into OUT
ds_file() { dataset_of "$1" >"$2"; }
