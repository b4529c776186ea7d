#!/usr/bin/env bats
# dcmsend to a URL: DICOMweb STOW-RS against Orthanc's DICOMweb plugin
# (Debian orthanc-dicomweb), which asks for a user and password (HTTP
# Basic, RegisteredUsers).  What arrived is fetched back from Orthanc's
# REST API and compared with what was sent, data set by data set.
# Runs beside other files (scripts/run-check): no timing bounds.
# bats file_tags=parallel,heavy

load dcmsend-helpers
load tls-ca

PLUGIN=/usr/share/orthanc/plugins/libOrthancDicomWeb.so

setup_file() {
	corpus_setup
}

setup() {
	HOME=$BATS_TEST_TMPDIR
	export HOME
}

# start_web [EXTRA-JSON]: Orthanc with the plugin and a user, on free
# ports; $WEB is the service's URL, $REST Orthanc's own API.
start_web() {
	require_netns
	require_cmd /usr/sbin/Orthanc
	[ -e "$PLUGIN" ] || skip "no $PLUGIN (orthanc-dicomweb)"
	local try rc
	for try in $(seq 10); do
		rc=0
		start_web_once "${1:-}" || rc=$?
		[ "$rc" -eq 0 ] && break
		[ "$rc" -eq 75 ] || return 1
	done
	[ "$rc" -eq 0 ]
	WEB=http://127.0.0.1:$ORTHANC_HTTP/dicom-web
	REST=http://127.0.0.1:$ORTHANC_HTTP
	printf 'machine 127.0.0.1 login alice password s3cret\n' >"$HOME/.netrc"
	chmod 600 "$HOME/.netrc"
}

start_web_once() {
	local d=$BATS_TEST_TMPDIR/orthanc extra=${1:-} i
	rm -rf "$d"
	mkdir -p "$d/db"
	ORTHANC_DICOM=$(free_port)
	ORTHANC_HTTP=$(free_port)
	while [ "$ORTHANC_HTTP" = "$ORTHANC_DICOM" ]; do ORTHANC_HTTP=$(free_port); done
	cat >"$d/orthanc.json" <<JSON
{ "Name": "TEST", "StorageDirectory": "$d/db", "IndexDirectory": "$d/db",
  "Plugins": ["$PLUGIN"], "HttpPort": $ORTHANC_HTTP, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true, "RegisteredUsers": { "alice": "s3cret" },
  "DicomAet": "ORTHANC", "DicomPort": $ORTHANC_DICOM, "DicomCheckCalledAet": false,
  "DicomModalities": {}, "SaveJobs": false, "WebDavEnabled": false,
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" }${extra:+, $extra} }
JSON
	/usr/sbin/Orthanc "$d/orthanc.json" >"$d/orthanc.log" 2>&1 &
	ORTHANC_PID=$!
	track_pid "$ORTHANC_PID"
	for i in $(seq 400); do
		if listens "$ORTHANC_HTTP" "$ORTHANC_PID" &&
		    curl -sf -u alice:s3cret "http://127.0.0.1:$ORTHANC_HTTP/system" >/dev/null; then
			return 0
		fi
		if ! kill -0 "$ORTHANC_PID" 2>/dev/null; then
			wait "$ORTHANC_PID" 2>/dev/null || true
			port_taken "$d/orthanc.log" && return 75
			cat "$d/orthanc.log" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "Orthanc did not answer within 20 s" >&2
	return 1
}

rest() {
	curl -sf -u alice:s3cret "$REST$1"
}

count() {
	rest /statistics | jq .CountInstances
}

# fetch_all DIR: every instance Orthanc holds, as files in DIR.
fetch_all() {
	local dir=$1 id
	mkdir -p "$dir"
	for id in $(rest /instances | jq -r '.[]'); do
		rest "/instances/$id/file" >"$dir/$id.dcm"
	done
}

@test "stow: the corpus over STOW-RS, every Part 10 file stored and fetched back the same" {
	start_web
	run --separate-stderr "$CSTORE_BIN/dcmsend" --netrc --stow-batch 20 "$WEB/" \
		"$CORPUS/sop" "$CORPUS/ts" "$CORPUS/odd"
	[ "$status" -eq 1 ] # the bare data sets (no meta) are not sent
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	one_line_per_input "$BATS_TEST_TMPDIR/res" "$(find "$CORPUS/sop" "$CORPUS/ts" "$CORPUS/odd" -type f | wc -l)"
	# everything but the bare data sets is stored
	[ "$(grep -vc $'^0000\t' "$BATS_TEST_TMPDIR/res")" -eq "$(grep -c $'^notdicom\t.*no File Meta Information' "$BATS_TEST_TMPDIR/res")" ]
	nok=$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")
	[ "$nok" -ge 200 ]
	grep $'^0000\t' "$BATS_TEST_TMPDIR/res" | cut -f4 | sort -u >"$BATS_TEST_TMPDIR/sent.uids"
	rest '/instances?expand' | jq -r '.[].MainDicomTags.SOPInstanceUID' | sort -u >"$BATS_TEST_TMPDIR/orthanc.uids"
	diff "$BATS_TEST_TMPDIR/sent.uids" "$BATS_TEST_TMPDIR/orthanc.uids"
	# several instances per request: 20 a request at most
	[[ $stderr != *"0 stored"* ]]
	fetch_all "$BATS_TEST_TMPDIR/back"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/back" values)" -eq "$nok" ]
	# the Accept header is one the plugin takes without an error
	run -1 grep -F 'MIME type' "$BATS_TEST_TMPDIR/orthanc/orthanc.log"
}

@test "stow: --json lines name the request; a batch of 5 files is one request" {
	start_web
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --json --netrc --stow-batch 5 "$WEB" "$CORPUS/ts"
	n=$(ls "$CORPUS/ts" | wc -l)
	[ "$(jq -r .status <<<"$output" | grep -c '^0000$')" -eq "$n" ]
	# the association column counts requests: ceil(n / 5)
	[ "$(jq -r .association <<<"$output" | sort -u | wc -l)" -eq $(((n + 4) / 5)) ]
	[ "$(count)" -eq "$n" ]
}

# bats test_tags=serial
@test "stow: -j 4 --stow-batch 3: four connections share the inputs, every one stored once and fetched back" {
	start_web
	# (a failure says why: the summary, the lines not stored, Orthanc's errors)
	all_stored() {
		[ "$status" -eq 0 ] && return 0
		printf 'exit %s\n%s\n' "$status" "$stderr"
		grep -v -e $'^0000\t' -e '"status":"0000"' <<<"$output" | head -20
		grep '^E' "$BATS_TEST_TMPDIR/orthanc/orthanc.log" | tail -5
		return 1
	}
	run --separate-stderr "$CSTORE_BIN/dcmsend" -j 4 --stow-batch 3 --netrc "$WEB" "$CORPUS/sop"
	all_stored
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	n=$(ls "$CORPUS/sop" | wc -l)
	one_line_per_input "$BATS_TEST_TMPDIR/res" "$n"
	[ "$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")" -eq "$n" ]
	[ "$(count)" -eq "$n" ]
	# Orthanc, overwriting instances it holds from four requests at once,
	# once in ~20 runs answered 200 naming only some of a batch (never an
	# error): the second run stores into an empty Orthanc, as the first
	for id in $(rest /instances | jq -r '.[]'); do
		curl -sf -u alice:s3cret -X DELETE "$REST/instances/$id" >/dev/null
	done
	[ "$(count)" -eq 0 ]
	# each lane fills its own requests: between n/3 and n/3 + 4 of them
	run --separate-stderr "$CSTORE_BIN/dcmsend" --json -j 4 --stow-batch 3 --netrc "$WEB" "$CORPUS/sop"
	all_stored
	req=$(jq -r .association <<<"$output" | sort -u | wc -l)
	[ "$req" -ge $(((n + 2) / 3)) ] && [ "$req" -le $(((n + 2) / 3 + 4)) ]
	[ "$(jq -r .association <<<"$output" | sort -n | tail -1)" -eq "$req" ]
	fetch_all "$BATS_TEST_TMPDIR/back"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/back" values)" -eq "$n" ]
}

@test "stow: authentication: none or a wrong password exits 4 and stores nothing; the right one stores" {
	start_web
	f=$CORPUS/ts/explicit-le.dcm
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" "$WEB" "$f"
	assert_output --regexp $'^notsent\t.*HTTP 401'
	printf 'machine 127.0.0.1 login alice password wrong\n' >"$HOME/.netrc"
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" --netrc "$WEB" "$f"
	assert_output --regexp $'^notsent\t.*HTTP 401'
	echo not-a-token-orthanc-knows >"$BATS_TEST_TMPDIR/token"
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" -d --bearer-file "$BATS_TEST_TMPDIR/token" "$WEB" "$f"
	# the token is never in the trace
	[[ $stderr != *not-a-token* ]]
	[[ $stderr == *"request $WEB/studies"* ]]
	[ "$(count)" -eq 0 ]
	printf 'machine 127.0.0.1 login alice password s3cret\n' >"$HOME/.netrc"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --netrc "$WEB" "$f"
	assert_output --regexp $'^0000\t'
	[ "$(count)" -eq 1 ]
	# --echo: the QIDO-RS query
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" --echo "$WEB"
	assert_output --regexp $'^HTTP 401\t'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --netrc "$WEB"
	assert_output "HTTP 200	$WEB"
}

# start_stub [FAIL-UID]: tests/tools/stow-stub on a free port; $STUB is
# its URL, the parts it took are in $BATS_TEST_TMPDIR/got.
start_stub() {
	require_netns
	local d=$BATS_TEST_TMPDIR/${STUB_NAME:-got} pf=$BATS_TEST_TMPDIR/${STUB_NAME:-stub}.port
	mkdir -p "$d"
	rm -f "$pf"
	"$CSTORE_ROOT/tests/tools/stow-stub" "$pf" "$d" "$@" &
	STUB_PID=$!
	track_pid "$STUB_PID"
	local i
	for i in $(seq 200); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	STUB=http://127.0.0.1:$(cat "$pf")/dicom-web
}

@test "stow: a file Orthanc cannot take (a 400 for its request) fails alone, the rest is stored" {
	# a color palette (PS3.6 Annex B): no Study Instance UID, and
	# Orthanc refuses the whole request that holds it, naming it in its
	# Failed SOP Sequence (Failure Reason C000): that is its status
	palette=/usr/lib/python3/dist-packages/pydicom/data/palettes/spring.dcm
	[ -e "$palette" ] || skip "no $palette (python3-pydicom)"
	start_web
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --netrc "$WEB" "$palette" "$CORPUS/sop"
	assert_line --regexp $'^[A-C][0-9A-F]{3}\t.*/spring.dcm\t.*\tHTTP 400$'
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq "$(ls "$CORPUS/sop" | wc -l)" ]
	[ "$(count)" -eq "$(ls "$CORPUS/sop" | wc -l)" ]
}

@test "stow: the Failed SOP Sequence's Failure Reason is the file's status; the parts are the files, byte for byte, or converted" {
	uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$CORPUS/ts/implicit-le.dcm" | cut -f2)
	start_stub "$uid"
	printf 'tok-123\n' >"$BATS_TEST_TMPDIR/token"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --bearer-file "$BATS_TEST_TMPDIR/token" --stow-batch 100 "$STUB" "$CORPUS/ts"
	assert_line --regexp $'^A700\t.*/implicit-le.dcm\t.*\t'"$uid"$'\t'
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq $(($(ls "$CORPUS/ts" | wc -l) - 1)) ]
	# one request, to URL/studies, with the token and the multipart type
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq 1 ]
	IFS=$'\t' read -r path ctype auth len <"$BATS_TEST_TMPDIR/got/requests.log"
	[ "$path" = /dicom-web/studies ]
	[[ $ctype == 'multipart/related; type="application/dicom"; boundary='* ]]
	[ "$auth" = "Bearer tok-123" ]
	# every stored line's file arrived as it is, but Explicit VR BE
	# (PS3.18 8.7.3): in Explicit VR LE, the same elements and pixels
	assert_line --regexp $'^0000\t.*/explicit-be.dcm\t.*\ttranscoded to ExplicitVRLittleEndian$'
	[ "$(grep -c 'transcoded' <<<"$output")" -eq 2 ]
	n=0
	for f in "$BATS_TEST_TMPDIR"/got/*.dcm; do
		line=$(grep -F "$(ds_uid "$f")" <<<"$output")
		if [[ $line == *transcoded* ]]; then
			[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f3)" = 1.2.840.10008.1.2.1 ]
		else
			cmp "$(cut -f2 <<<"$line")" "$f"
		fi
		n=$((n + 1))
	done
	[ "$n" -eq $(($(ls "$CORPUS/ts" | wc -l) - 1)) ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	mkdir "$BATS_TEST_TMPDIR/parts"
	cp "$BATS_TEST_TMPDIR"/got/*.dcm "$BATS_TEST_TMPDIR/parts/"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/parts")" -eq "$n" ]
}

@test "stow: a file cut short or written to while it is converted (Big Endian, PS3.18 8.7.3) is its own failure, truncated or unreadable, never 0000 with zeros or mixed bytes; the next file goes" {
	local be=$CORPUS/ts/explicit-be.dcm le=$CORPUS/ts/explicit-le.dcm how n
	# shrink:9000 cuts inside the last page (no SIGBUS): only a look at
	# the file after its conversion sees it (before: 0000, zeros sent)
	start_stub
	for how in shrink:9000 shrink:2000 write:8990; do
		cp "$be" "$BATS_TEST_TMPDIR/in.dcm"
		rm -f "$BATS_TEST_TMPDIR"/got/*.dcm
		run --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/map-cut.so" \
			ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
			MAP_CUT_PATH="$BATS_TEST_TMPDIR/in.dcm" MAP_CUT="$how" \
			timeout 60 "$CSTORE_BIN/dcmsend" "$STUB" "$BATS_TEST_TMPDIR/in.dcm" "$le"
		[ "$status" -eq 1 ] || { echo "$how: exit $status: $output $stderr" >&2; return 1; }
		if [ "$how" = write:8990 ]; then
			assert_line --regexp $'^unreadable\t'"$BATS_TEST_TMPDIR/in.dcm"$'\t.*\tthe file was written to while it was converted$'
		else
			assert_line --regexp $'^truncated\t'"$BATS_TEST_TMPDIR/in.dcm"$'\t.*\tfile ended before its dataset was converted \\(it shrank while read\\)$'
		fi
		assert_line --regexp $'^0000\t'"$le"$'\t'
		[ "${#lines[@]}" -eq 2 ]
		# the other file alone arrived, byte for byte
		n=$(ls "$BATS_TEST_TMPDIR"/got/*.dcm | wc -l)
		[ "$n" -eq 1 ]
		cmp "$le" "$BATS_TEST_TMPDIR"/got/*.dcm
	done
}

@test "stow: a Part 10 file without its preamble goes with one, byte for byte after it; a bare data set is notdicom" {
	start_stub
	tail -c +133 "$CORPUS/ts/explicit-le.dcm" >"$BATS_TEST_TMPDIR/nopre.dcm"
	[ "$(head -c 4 "$BATS_TEST_TMPDIR/nopre.dcm" | od -An -tx1 | tr -d ' ')" = 02000000 ]
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$BATS_TEST_TMPDIR/nopre.dcm" "$CORPUS/odd/bare-explicit-le.dcm"
	assert_line --regexp $'^0000\t'"$BATS_TEST_TMPDIR/nopre.dcm"$'\t'
	assert_line --regexp $'^notdicom\t.*/bare-explicit-le.dcm\t.*\tno File Meta Information: STOW-RS takes Part 10 files$'
	[ "$(ls "$BATS_TEST_TMPDIR"/got/*.dcm | wc -l)" -eq 1 ]
	cmp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR"/got/*.dcm
}

@test "stow: a data set lacking the SOP Class or Instance UID, or both, that only its meta header names: its line says so, as over DIMSE; the file goes as it is" {
	local f=$CORPUS/ts/explicit-le.dcm T=$BATS_TEST_TMPDIR cls inst
	# (0008,0016) and/or (0008,0018) of the data set renamed (0008,0017),
	# a tag in order that no reader takes for either
	python3 - "$f" "$T" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
cls, inst = b"\x08\x00\x16\x00UI", b"\x08\x00\x18\x00UI"
other = b"\x08\x00\x17\x00UI"
assert b.count(cls) == 1 and b.count(inst) == 1
for name, tags in (("nocls", [cls]), ("noinst", [inst]), ("noboth", [cls, inst])):
    out = b
    for t in tags:
        out = out.replace(t, other)
    open(f"{sys.argv[2]}/{name}.dcm", "wb").write(out)
PY
	IFS=$'\t' read -r cls inst _ < <("$CSTORE_TOOLS/dcm-dataset" -u "$f")
	start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$T/nocls.dcm" "$T/noinst.dcm" "$T/noboth.dcm"
	[ "${#lines[@]}" -eq 3 ]
	assert_line --regexp $'^0000\t'"$T/nocls.dcm"$'\t.*\tno \'SOP Class UID\' \\(0008,0016\\) in the data set: sent under the meta header\'s '"$cls"'$'
	assert_line --regexp $'^0000\t'"$T/noinst.dcm"$'\t.*\tno \'SOP Instance UID\' \\(0008,0018\\) in the data set: sent under the meta header\'s '"$inst"'$'
	assert_line --regexp $'^0000\t'"$T/noboth.dcm"$'\t.*\tno \'SOP Class UID\' \\(0008,0016\\) nor \'SOP Instance UID\' \\(0008,0018\\) in the data set: sent under the meta header\'s '"$cls and $inst"'$'
	# each arrived byte for byte
	[ "$(sha256sum "$T"/got/*.dcm | cut -d' ' -f1 | sort)" = "$(sha256sum "$T"/no*.dcm | cut -d' ' -f1 | sort)" ]
}

# bats test_tags=serial
@test "stow: a 503 is tried again --retry times, then its files fail" {
	f=$CORPUS/ts/explicit-le.dcm
	STUB_503=2 start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --retry 2 --retry-delay 10 "$STUB" "$f"
	assert_output --regexp $'^0000\t'
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq 3 ]
	cmp "$f" "$BATS_TEST_TMPDIR/got/1.dcm"
	kill "$STUB_PID"
	wait "$STUB_PID" || true
	rm -rf "$BATS_TEST_TMPDIR/got"
	STUB_503=5 start_stub
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --retry 1 --retry-delay 10 "$STUB" "$f" "$CORPUS/ts/implicit-le.dcm"
	assert_line --regexp $'^failed\t.*/explicit-le.dcm\t.*\tHTTP 503$'
	assert_line --regexp $'^failed\t.*/implicit-le.dcm\t.*\ttranscoded to ExplicitVRLittleEndian; HTTP 503$'
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq 2 ]
}

@test "stow: a 429 (a rate limit) is tried again --retry times as a 503 is, each after its Retry-After when the backoff is shorter; past them its files fail saying so" {
	f=$CORPUS/ts/explicit-le.dcm
	local st t0 t1
	for st in 429 503; do
		STUB_503=2 STUB_BUSY_STATUS=$st STUB_RETRY_AFTER=1 start_stub
		t0=$(date +%s%N)
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --retry 2 --retry-delay 10 "$STUB" "$f"
		t1=$(date +%s%N)
		assert_output --regexp $'^0000\t'
		[ "$(cut -f2 "$BATS_TEST_TMPDIR/got/requests.log" | head -2 | tr '\n' ' ')" = "$st $st " ]
		[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq 3 ]
		cmp "$f" "$BATS_TEST_TMPDIR/got/1.dcm"
		# two waits of Retry-After: 1 s, not of --retry-delay's 10 ms
		[ $(((t1 - t0) / 1000000)) -ge 2000 ]
		kill "$STUB_PID"
		wait "$STUB_PID" || true
		rm -rf "$BATS_TEST_TMPDIR/got"
	done
	STUB_503=5 STUB_BUSY_STATUS=429 start_stub
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --retry 1 --retry-delay 10 "$STUB" "$f"
	assert_output --regexp $'^failed\t.*/explicit-le.dcm\t.*\tHTTP 429: too many requests \\(the service\'s limit\\)$'
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq 2 ]
}

@test "stow: --follow: a 429 (a rate limit) keeps its files and tries again after its Retry-After, as a gateway's 503; none fails" {
	mkdir "$BATS_TEST_TMPDIR/in"
	cp "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/in/"
	STUB_503=2 STUB_BUSY_STATUS=429 STUB_RETRY_AFTER=1 start_stub
	local t0 t1
	t0=$(date +%s%N)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --follow --remove-sent --retry-delay 10 "$STUB" - \
		< <(ls "$BATS_TEST_TMPDIR"/in/*.dcm)
	t1=$(date +%s%N)
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	refute_output --partial $'failed\t'
	[[ $stderr == *"HTTP 429: too many requests (the service's limit): retrying (for ever)"* ]]
	[[ $stderr == *"the service answers again"* ]]
	[ "$(ls "$BATS_TEST_TMPDIR/in" | wc -l)" -eq 0 ]
	[ "$(ls "$BATS_TEST_TMPDIR/got" | grep -c '\.dcm$')" -eq 2 ]
	cmp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/got/1.dcm"
	[ $(((t1 - t0) / 1000000)) -ge 2000 ]
}

@test "stow: --retry sends a request again after its connection was cut before the answer (a balancer's reset) or refused, as over DIMSE: every file stored, byte for byte; without --retry its files are aborted (exit 5)" {
	mkdir "$BATS_TEST_TMPDIR/in"
	cp "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/in/"
	"$CSTORE_ROOT/tests/tools/mkbig" "$BATS_TEST_TMPDIR/in/big.dcm" 2
	STUB_CUT=2 start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --retry 2 --retry-delay 10 "$STUB" "$BATS_TEST_TMPDIR/in"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 3 ]
	[ "$(cut -f2 "$BATS_TEST_TMPDIR/got/requests.log" | head -2 | tr '\n' ' ')" = "cut cut " ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq 3 ]
	[ "$(cd "$BATS_TEST_TMPDIR/in" && sha256sum -- * | cut -d' ' -f1 | sort)" = \
		"$(cd "$BATS_TEST_TMPDIR/got" && sha256sum -- *.dcm | cut -d' ' -f1 | sort)" ]
	kill "$STUB_PID"
	wait "$STUB_PID" || true
	rm -rf "$BATS_TEST_TMPDIR/got"
	STUB_CUT=1 start_stub
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$BATS_TEST_TMPDIR/in"
	[ "$(grep -c $'^aborted\t' <<<"$output")" -eq 3 ]
	[ ! -e "$BATS_TEST_TMPDIR/got/1.dcm" ]
	kill "$STUB_PID"
	wait "$STUB_PID" || true
	rm -rf "$BATS_TEST_TMPDIR/got"
	# refused: the service starts once the second request was tried
	local port pid i st=0
	port=$(free_port)
	"$CSTORE_BIN/dcmsend" -d --retry 8 --retry-delay 100 "http://127.0.0.1:$port/dicom-web" \
		"$BATS_TEST_TMPDIR/in/rle.dcm" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	track_pid "$pid"
	for i in $(seq 600); do
		[ "$(grep -c '^dcmsend: request ' "$BATS_TEST_TMPDIR/err")" -ge 2 ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	STUB_PORT=$port start_stub
	wait "$pid" || st=$?
	cat "$BATS_TEST_TMPDIR/err"
	[ "$st" -eq 0 ]
	grep -q $'^0000\t' "$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/in/rle.dcm" "$BATS_TEST_TMPDIR/got/1.dcm"
}

@test "stow: a 200 that is not a STOW-RS answer (a web page) stores nothing: the files fail and --remove-sent keeps them; an XML answer naming them counts" {
	mkdir "$BATS_TEST_TMPDIR/in"
	cp "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/in/"
	STUB_ANSWER_TYPE='text/html; charset=utf-8' STUB_ANSWER='<html><body>Welcome</body></html>' start_stub
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --remove-sent "$STUB" "$BATS_TEST_TMPDIR"/in/*.dcm
	assert_line --regexp $'^failed\t.*/explicit-le.dcm\t.*\tHTTP 200, but the response \\(text/html; charset=utf-8, 33 bytes\\) is not a STOW-RS answer naming it: not counted as stored$'
	assert_line --regexp $'^failed\t.*/rle.dcm\t.*not a STOW-RS answer naming it'
	[ "$(ls "$BATS_TEST_TMPDIR/in" | wc -l)" -eq 2 ]
	kill "$STUB_PID"
	wait "$STUB_PID" || true
	rm -rf "$BATS_TEST_TMPDIR/got"
	STUB_ANSWER_TYPE=application/dicom+xml STUB_ANSWER='<?xml version="1.0"?><NativeDicomModel><DicomAttribute tag="00081199" vr="SQ"><Item number="1"><DicomAttribute tag="00081155" vr="UI">{uid}</DicomAttribute></Item></DicomAttribute></NativeDicomModel>' start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --remove-sent "$STUB" "$BATS_TEST_TMPDIR"/in/*.dcm
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	[ "$(ls "$BATS_TEST_TMPDIR/in" | wc -l)" -eq 0 ]
	cmp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/got/1.dcm"
}

# a change time moved with the link count (the other name removed first)
# is no write: the second hard link was kept as "written to"
@test "stow: --remove-sent removes every hard link of a file stored" {
	mkdir "$BATS_TEST_TMPDIR/in"
	cp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/in/a.dcm"
	ln "$BATS_TEST_TMPDIR/in/a.dcm" "$BATS_TEST_TMPDIR/in/b.dcm"
	start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --remove-sent "$STUB" "$BATS_TEST_TMPDIR/in/a.dcm" "$BATS_TEST_TMPDIR/in/b.dcm"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	[[ $stderr != *"not removed"* ]] || { echo "$stderr" >&2; return 1; }
	[ "$(ls "$BATS_TEST_TMPDIR/in" | wc -l)" -eq 0 ]
}

@test "stow: an XML answer's Failed SOP Sequence fails its file with the Failure Reason as its status, as a JSON one's does; a Warning Reason is the status of one referenced" {
	mkdir "$BATS_TEST_TMPDIR/in"
	cp "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm" "$CORPUS/ts/implicit-le.dcm" "$BATS_TEST_TMPDIR/in/"
	u1=$("$CSTORE_TOOLS/dcm-dataset" -u "$CORPUS/ts/explicit-le.dcm" | cut -f2)
	u2=$("$CSTORE_TOOLS/dcm-dataset" -u "$CORPUS/ts/rle.dcm" | cut -f2)
	u3=$("$CSTORE_TOOLS/dcm-dataset" -u "$CORPUS/ts/implicit-le.dcm" | cut -f2)
	# PS3.19 A.1: the failed one also named in the Referenced SOP
	# Sequence (a careless service) still fails
	STUB_ANSWER_TYPE='application/dicom+xml; charset=utf-8' STUB_ANSWER='<?xml version="1.0" encoding="UTF-8"?>
<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">
 <DicomAttribute tag="00081198" vr="SQ" keyword="FailedSOPSequence">
  <Item number="1">
   <DicomAttribute tag="00081150" vr="UI" keyword="ReferencedSOPClassUID"><Value number="1">1.2.840.10008.5.1.4.1.1.7</Value></DicomAttribute>
   <DicomAttribute tag="00081155" vr="UI" keyword="ReferencedSOPInstanceUID"><Value number="1">'"$u1"'</Value></DicomAttribute>
   <DicomAttribute tag="00081197" vr="US" keyword="FailureReason"><Value number="1">42752</Value></DicomAttribute>
  </Item>
 </DicomAttribute>
 <DicomAttribute tag="00081199" vr="SQ" keyword="ReferencedSOPSequence">
  <Item number="1">
   <DicomAttribute tag="00081155" vr="UI" keyword="ReferencedSOPInstanceUID"><Value number="1">'"$u1"'</Value></DicomAttribute>
  </Item>
  <Item number="2">
   <DicomAttribute tag="00081155" vr="UI" keyword="ReferencedSOPInstanceUID"><Value number="1">'"$u2"'</Value></DicomAttribute>
   <DicomAttribute tag="00081196" vr="US" keyword="WarningReason"><Value number="1">45056</Value></DicomAttribute>
  </Item>
  <Item number="3">
   <DicomAttribute tag="00081155" vr="UI" keyword="ReferencedSOPInstanceUID"><Value number="1">'"$u3"'</Value></DicomAttribute>
  </Item>
 </DicomAttribute>
</NativeDicomModel>' start_stub
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --remove-sent --stow-batch 10 "$STUB" "$BATS_TEST_TMPDIR"/in/*.dcm
	assert_line --regexp $'^A700\t.*/explicit-le.dcm\t.*\t'"$u1"$'\t'
	assert_line --regexp $'^B000\t.*/rle.dcm\t.*\t'"$u2"$'\t'
	assert_line --regexp $'^0000\t.*/implicit-le.dcm\t.*\t'"$u3"$'\t'
	[ "${#lines[@]}" -eq 3 ]
	[ "$(ls "$BATS_TEST_TMPDIR/in")" = explicit-le.dcm ]
}

# named_then_again STATUS UID: explicit-le.dcm, implicit-le.dcm (UID)
# and rle.dcm in one request, answered STATUS naming implicit-le.dcm in
# its Failed SOP Sequence (A700): it fails, the two others go again in a
# second request and are stored as they are, byte for byte
named_then_again() {
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --stow-batch 10 "$STUB" \
		"$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/implicit-le.dcm" "$CORPUS/ts/rle.dcm"
	assert_line --regexp $'^A700\t.*/implicit-le.dcm\t.*\t'"$2"$'\t.*HTTP '"$1"
	assert_line --regexp $'^0000\t.*/explicit-le.dcm\t'
	assert_line --regexp $'^0000\t.*/rle.dcm\t'
	[ "${#lines[@]}" -eq 3 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq 2 ]
	cmp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/got/1.dcm"
	cmp "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/got/2.dcm"
	[ ! -e "$BATS_TEST_TMPDIR/got/3.dcm" ]
}

@test "stow: a 400 whose answer names the failed file (Failed SOP Sequence, JSON or XML): that file fails with its Failure Reason, the others go again without it and are stored, byte for byte" {
	uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$CORPUS/ts/implicit-le.dcm" | cut -f2)
	xml='<?xml version="1.0"?><NativeDicomModel><DicomAttribute tag="00081198" vr="SQ"><Item number="1"><DicomAttribute tag="00081155" vr="UI">{failed}</DicomAttribute><DicomAttribute tag="00081197" vr="US"><Value number="1">42752</Value></DicomAttribute></Item></DicomAttribute><DicomAttribute tag="00081199" vr="SQ"><Item number="1"><DicomAttribute tag="00081155" vr="UI">{uid}</DicomAttribute></Item></DicomAttribute></NativeDicomModel>'
	for type in json xml; do
		rm -rf "$BATS_TEST_TMPDIR/got"
		if [ "$type" = xml ]; then
			STUB_FAILED_STATUS=400 STUB_ANSWER_TYPE=application/dicom+xml STUB_ANSWER=$xml start_stub "$uid"
		else
			STUB_FAILED_STATUS=400 start_stub "$uid"
		fi
		# the batch of three (400), then the two again: stored as they are
		named_then_again 400 "$uid"
		kill "$STUB_PID"
		wait "$STUB_PID" || true
	done
}

@test "stow: a 409 (PS3.18 10.5.3: nothing stored) is never read as storing the files its Referenced SOP Sequence lists: the failed one fails, the others go again and are stored, byte for byte" {
	uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$CORPUS/ts/implicit-le.dcm" | cut -f2)
	# the first request is answered 409 naming implicit-le.dcm failed
	# (A700) and the others stored, keeping none (before: 0000 for them)
	STUB_409=1 start_stub "$uid"
	named_then_again 409 "$uid"
}

@test "stow: a 409 naming no file failed but listing them stored: each goes alone, each fails, none removed by --remove-sent" {
	mkdir "$BATS_TEST_TMPDIR/in"
	cp "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/in/"
	STUB_409=99 start_stub
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --remove-sent --stow-batch 10 "$STUB" "$BATS_TEST_TMPDIR"/in/*.dcm
	assert_line --regexp $'^failed\t.*/explicit-le.dcm\t.*\tHTTP 409 \\(the service stored none of the request\\), though its answer lists the file as stored$'
	assert_line --regexp $'^failed\t.*/rle.dcm\t.*\tHTTP 409 \\(the service stored none of the request\\), though its answer lists the file as stored$'
	[ "${#lines[@]}" -eq 2 ]
	# the pair, then each alone
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq 3 ]
	[ "$(ls "$BATS_TEST_TMPDIR/in" | wc -l)" -eq 2 ]
	[ ! -e "$BATS_TEST_TMPDIR/got/1.dcm" ]
}

@test "stow: --stow-bytes after a 400 fails a file converted meanwhile (C122, then A700): the next files still share a request (the batch's bytes counted anew, never wrapped)" {
	uid=$("$CSTORE_TOOLS/dcm-dataset" -u "$CORPUS/ts/rle.dcm" | cut -f2)
	# rle.dcm (7200 bytes) fills a request alone; refused in RLE (C122)
	# it goes again converted (9000 bytes) and fails (A700); the two
	# small files after it (3 KB together) go in one request
	STUB_REFUSE_HOW=c122 STUB_REFUSE_TS=1.2.840.10008.1.2.5 STUB_FAILED_STATUS=400 start_stub "$uid"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --stow-bytes 7000 "$STUB" \
		"$CORPUS/ts/rle.dcm" "$CSTORE_ROOT/tests/data/p10-evrle.dcm" "$CORPUS/ts/jpeg-baseline.dcm"
	assert_line --regexp $'^A700\t.*/rle.dcm\t.*\t'"$uid"$'\t.*HTTP 400'
	assert_line --regexp $'^0000\t.*/p10-evrle.dcm\t'
	assert_line --regexp $'^0000\t.*/jpeg-baseline.dcm\t'
	[ "${#lines[@]}" -eq 3 ]
	cat "$BATS_TEST_TMPDIR/got/requests.log"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq 3 ]
	cmp "$CSTORE_ROOT/tests/data/p10-evrle.dcm" "$BATS_TEST_TMPDIR/got/1.dcm"
	cmp "$CORPUS/ts/jpeg-baseline.dcm" "$BATS_TEST_TMPDIR/got/2.dcm"
}

@test "stow: a redirect is not followed; each file's line names where it points, the file stays" {
	cp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/a.dcm"
	STUB_REDIRECT=https://archive.example/dicomweb/studies start_stub
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --remove-sent "$STUB" "$BATS_TEST_TMPDIR/a.dcm"
	assert_line --regexp $'^failed\t.*/a.dcm\t.*\tHTTP 307: redirected to https://archive.example/dicomweb/studies \\(not followed: give dcmsend that URL\'s base\\)$'
	[ -e "$BATS_TEST_TMPDIR/a.dcm" ]
	[ ! -e "$BATS_TEST_TMPDIR/got/1.dcm" ]
}

@test "stow: a 202 answer in XML names its files as a JSON one does: the one in its Failed SOP Sequence fails with the Failure Reason, the referenced one is stored" {
	mkdir "$BATS_TEST_TMPDIR/in"
	cp "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/in/"
	u1=$("$CSTORE_TOOLS/dcm-dataset" -u "$CORPUS/ts/explicit-le.dcm" | cut -f2)
	u2=$("$CSTORE_TOOLS/dcm-dataset" -u "$CORPUS/ts/rle.dcm" | cut -f2)
	STUB_ANSWER_TYPE=application/dicom+xml STUB_ANSWER='<?xml version="1.0"?><NativeDicomModel><DicomAttribute tag="00081198" vr="SQ"><Item number="1"><DicomAttribute tag="00081155" vr="UI">{failed}</DicomAttribute><DicomAttribute tag="00081197" vr="US"><Value number="1">42752</Value></DicomAttribute></Item></DicomAttribute><DicomAttribute tag="00081199" vr="SQ"><Item number="1"><DicomAttribute tag="00081155" vr="UI">{uid}</DicomAttribute></Item></DicomAttribute></NativeDicomModel>' \
		start_stub "$u1"
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --remove-sent "$STUB" "$BATS_TEST_TMPDIR"/in/*.dcm
	assert_line --regexp $'^A700\t.*/explicit-le.dcm\t.*\t'"$u1"$'\tHTTP 202$'
	assert_line --regexp $'^0000\t.*/rle.dcm\t.*\t'"$u2"$'\t$'
	[ "${#lines[@]}" -eq 2 ]
	[ "$(ls "$BATS_TEST_TMPDIR/in")" = explicit-le.dcm ]
	cmp "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/got/2.dcm"
}

@test "stow: a service that answers only in XML (406 to a request accepting JSON alone) is asked again for XML: the files stored, byte for byte" {
	STUB_XML_ONLY=1 STUB_ANSWER_TYPE=application/dicom+xml STUB_ANSWER='<?xml version="1.0"?><NativeDicomModel><DicomAttribute tag="00081199" vr="SQ"><Item number="1"><DicomAttribute tag="00081155" vr="UI">{uid}</DicomAttribute></Item></DicomAttribute></NativeDicomModel>' \
		start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	cmp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/got/1.dcm"
	cmp "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/got/2.dcm"
}

@test "stow: a request asks for JSON alone (Orthanc logs an error for each naming XML too); after a 406 it goes again once asking for XML, and so do the run's next ones" {
	start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$CORPUS/ts/explicit-le.dcm"
	[ "$(cat "$BATS_TEST_TMPDIR/got/accept.log")" = application/dicom+json ]
	kill "$STUB_PID"
	wait "$STUB_PID" || true
	rm -rf "$BATS_TEST_TMPDIR/got"
	STUB_XML_ONLY=1 STUB_ANSWER_TYPE=application/dicom+xml STUB_ANSWER='<?xml version="1.0"?><NativeDicomModel><DicomAttribute tag="00081199" vr="SQ"><Item number="1"><DicomAttribute tag="00081155" vr="UI">{uid}</DicomAttribute></Item></DicomAttribute></NativeDicomModel>' \
		start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --stow-batch 1 "$STUB" "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	[ "$(tr '\n' ' ' <"$BATS_TEST_TMPDIR/got/accept.log")" = "application/dicom+json application/dicom+xml application/dicom+xml " ]
	cmp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/got/1.dcm"
	cmp "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/got/2.dcm"
}

@test "stow: a kept connection the service closes as the next request goes (an idle timeout's race) is no failure: the request goes again on a new one, every file stored once, byte for byte" {
	STUB_DROP_REUSED=1 start_stub
	a=$CORPUS/ts/explicit-le.dcm b=$CORPUS/ts/rle.dcm c=$CORPUS/sop/CTImageStorage.dcm
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --stow-batch 1 "$STUB" "$a" "$b" "$c"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 3 ]
	# requests 2 and 3 each went first on the kept connection, dropped
	[ "$(grep -c $'\tdropped$' "$BATS_TEST_TMPDIR/got/requests.log")" -eq 2 ]
	[ "$(ls "$BATS_TEST_TMPDIR/got" | grep -c '\.dcm$')" -eq 3 ]
	cmp "$a" "$BATS_TEST_TMPDIR/got/1.dcm"
	cmp "$b" "$BATS_TEST_TMPDIR/got/2.dcm"
	cmp "$c" "$BATS_TEST_TMPDIR/got/3.dcm"
}

@test "stow: a proxy in the environment (http_proxy, all_proxy, ALL_PROXY) carries the requests to another host, as curl's; a service on this machine (127.0.0.1, localhost) never goes through it" {
	f=$CORPUS/ts/explicit-le.dcm
	STUB_NAME=proxy start_stub
	proxy=${STUB%/dicom-web}
	start_stub
	local v n=0
	for v in http_proxy all_proxy ALL_PROXY; do
		run -0 --separate-stderr env "$v=$proxy" "$CSTORE_BIN/dcmsend" "$STUB" "$f"
		assert_output --regexp $'^0000\t'
		run -0 --separate-stderr env "$v=$proxy" "$CSTORE_BIN/dcmsend" "${STUB/127.0.0.1/localhost}" "$f"
		assert_output --regexp $'^0000\t'
		n=$((n + 2))
	done
	# the service got each, the proxy nothing
	[ ! -e "$BATS_TEST_TMPDIR/proxy/requests.log" ]
	[ "$(ls "$BATS_TEST_TMPDIR/got" | grep -c '\.dcm$')" -eq "$n" ]
	cmp "$f" "$BATS_TEST_TMPDIR/got/$n.dcm"
	# another host: through the proxy (which answers for it here)
	run -0 --separate-stderr env http_proxy="$proxy" "$CSTORE_BIN/dcmsend" http://archive.example:8042/dicom-web "$f"
	assert_output --regexp $'^0000\t'
	[ "$(cut -f1 "$BATS_TEST_TMPDIR/proxy/requests.log")" = http://archive.example:8042/dicom-web/studies ]
	cmp "$f" "$BATS_TEST_TMPDIR/proxy/1.dcm"
}

@test "stow: a name /etc/hosts gives only loopback addresses (this machine's own, as Debian writes it) never goes through a proxy of the environment; a name with another address, or none there, does" {
	unshare -m --propagation private true 2>/dev/null || skip "no private mount namespace (unshare -m refused)"
	f=$CORPUS/ts/explicit-le.dcm
	STUB_NAME=proxy start_stub
	proxy=${STUB%/dicom-web}
	start_stub
	port=${STUB#http://127.0.0.1:}
	port=${port%/dicom-web}
	cat >"$BATS_TEST_TMPDIR/hosts" <<'HOSTS'
127.0.0.1	localhost
# 10.99.0.9 pacs-here (a comment names nothing)
127.0.0.1	pacs-here pacs-alias	# the service on this machine
::1	pacs-here
10.99.0.1	pacs-far
127.0.0.1	pacs-mixed
10.99.0.2	pacs-mixed
HOSTS
	local h n=0
	for h in pacs-here PACS-Alias; do
		run -0 --separate-stderr unshare -m --propagation private sh -c \
			'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$BATS_TEST_TMPDIR/hosts" \
			env http_proxy="$proxy" "$CSTORE_BIN/dcmsend" "http://$h:$port/dicom-web" "$f"
		assert_output --regexp $'^0000\t'
		n=$((n + 1))
	done
	[ ! -e "$BATS_TEST_TMPDIR/proxy/requests.log" ]
	[ "$(ls "$BATS_TEST_TMPDIR/got" | grep -c '\.dcm$')" -eq "$n" ]
	cmp "$f" "$BATS_TEST_TMPDIR/got/$n.dcm"
	# another address beside the loopback one, or one elsewhere: the
	# user's proxy (which answers for them here)
	for h in pacs-mixed pacs-far; do
		run -0 --separate-stderr unshare -m --propagation private sh -c \
			'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$BATS_TEST_TMPDIR/hosts" \
			env http_proxy="$proxy" "$CSTORE_BIN/dcmsend" "http://$h:$port/dicom-web" "$f"
		assert_output --regexp $'^0000\t'
	done
	[ "$(cut -f1 "$BATS_TEST_TMPDIR/proxy/requests.log" | tr '\n' ' ')" = "http://pacs-mixed:$port/dicom-web/studies http://pacs-far:$port/dicom-web/studies " ]
}

@test "stow: a --stow-batch the descriptor limit does not carry is lowered to what it does, said once: every file stored, none unreadable for want of a descriptor" {
	mkdir "$BATS_TEST_TMPDIR/in"
	local i
	for i in $(seq 120); do cp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/in/$i.dcm"; done
	start_stub
	# soft and hard: nothing to raise
	run -0 --separate-stderr bash -c 'ulimit -n 64 && exec "$0" "$@"' "$CSTORE_BIN/dcmsend" \
		--stow-batch 500 "$STUB" "$BATS_TEST_TMPDIR/in"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 120 ]
	[ "${#lines[@]}" -eq 120 ]
	[[ ${stderr_lines[0]} =~ ^'dcmsend: --stow-batch 500: the descriptor limit (ulimit -n 64) carries --stow-batch '[0-9]+': using it'$ ]]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "$(ls "$BATS_TEST_TMPDIR/got" | grep -c '\.dcm$')" -eq 120 ]
	cmp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/got/120.dcm"
}

@test "stow: a 413 (a proxy's body limit) sends the request's files again one by one; one too large alone fails saying so" {
	mkdir "$BATS_TEST_TMPDIR/in"
	cp "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/in/"
	"$CSTORE_ROOT/tests/tools/mkbig" "$BATS_TEST_TMPDIR/in/big.dcm" 1
	STUB_MAX_BODY=100000 start_stub
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$BATS_TEST_TMPDIR/in/explicit-le.dcm" \
		"$BATS_TEST_TMPDIR/in/big.dcm" "$BATS_TEST_TMPDIR/in/rle.dcm"
	assert_line --regexp $'^0000\t.*/explicit-le.dcm\t'
	assert_line --regexp $'^0000\t.*/rle.dcm\t'
	assert_line --regexp $'^failed\t.*/big.dcm\t.*\tHTTP 413: the file alone is larger than the service takes$'
	[ "$(ls "$BATS_TEST_TMPDIR/got" | grep -c '\.dcm$')" -eq 2 ]
	cmp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/got/1.dcm"
}

@test "stow: --follow: a gateway's 503 (the archive down) is tried again until it answers; past --retry-for the files fail, stay, and the run goes on" {
	mkdir "$BATS_TEST_TMPDIR/in"
	cp "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/in/"
	STUB_503=3 start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --follow --remove-sent --retry-delay 10 "$STUB" - \
		< <(ls "$BATS_TEST_TMPDIR"/in/*.dcm)
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	[[ $stderr == *"HTTP 503: the service is unavailable: retrying (for ever)"* ]]
	[[ $stderr == *"the service answers again"* ]]
	[ "$(ls "$BATS_TEST_TMPDIR/in" | wc -l)" -eq 0 ]
	# three 503s, then one request of both files or (the queue handing
	# the first path over alone) one each: every file stored once
	[ "$(head -n 3 "$BATS_TEST_TMPDIR/got/requests.log" | cut -f2 | tr '\n' ' ')" = "503 503 503 " ]
	[ "$(grep -c $'\t503$' "$BATS_TEST_TMPDIR/got/requests.log")" -eq 3 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -ge 4 ]
	[ "$(ls "$BATS_TEST_TMPDIR/got" | grep -c '\.dcm$')" -eq 2 ]
	cmp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/got/1.dcm"
	kill "$STUB_PID"
	wait "$STUB_PID" || true
	rm -rf "$BATS_TEST_TMPDIR/got"
	cp "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/in/"
	STUB_503=100000 start_stub
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --follow --remove-sent --retry-delay 10 --retry-for 1 "$STUB" - \
		< <(ls "$BATS_TEST_TMPDIR"/in/*.dcm)
	assert_output --regexp $'^failed\t.*/explicit-le.dcm\t.*\thttp://.*: HTTP 503: the service is unavailable$'
	[ -e "$BATS_TEST_TMPDIR/in/explicit-le.dcm" ]
}

@test "stow: --follow: a 503 while a 413's files go one by one keeps that file and the rest for the retry; none fails as notsent" {
	mkdir "$BATS_TEST_TMPDIR/in"
	cp "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/in/"
	ls "$BATS_TEST_TMPDIR"/in/*.dcm >"$BATS_TEST_TMPDIR/list"
	# the two together exceed the limit, each alone fits; the first
	# request the limit lets through is answered 503 (when the queue
	# hands the files over one at a time, that is the first file's)
	STUB_MAX_BODY=12000 STUB_503=1 start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --follow --remove-sent --retry-delay 10 "$STUB" - <"$BATS_TEST_TMPDIR/list"
	refute_output --partial 'notsent'
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	[[ $stderr == *"HTTP 503: the service is unavailable: retrying (for ever)"* ]]
	[[ $stderr == *"the service answers again"* ]]
	[ "$(ls "$BATS_TEST_TMPDIR/in" | wc -l)" -eq 0 ]
	[ "$(grep -c $'\t503$' "$BATS_TEST_TMPDIR/got/requests.log")" -eq 1 ]
	[ "$(ls "$BATS_TEST_TMPDIR/got" | grep -c '\.dcm$')" -eq 2 ]
	[ "$(sha256sum "$BATS_TEST_TMPDIR"/got/*.dcm | cut -d' ' -f1 | sort)" = \
	  "$(sha256sum "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm" | cut -d' ' -f1 | sort)" ]
}

# bats test_tags=serial
@test "stow: a 100 MB object streams from the file with flat sender memory, and arrives byte for byte" {
	start_stub
	"$CSTORE_ROOT/tests/tools/mkbig" "$BATS_TEST_TMPDIR/big.dcm" 100
	size=$(stat -c %s "$BATS_TEST_TMPDIR/big.dcm")
	[ "$size" -gt 99000000 ]
	run -0 --separate-stderr /usr/bin/time -v -o "$BATS_TEST_TMPDIR/time" \
		"$CSTORE_BIN/dcmsend" "$STUB" "$BATS_TEST_TMPDIR/big.dcm"
	assert_output --regexp $'^0000\t'
	rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$BATS_TEST_TMPDIR/time")
	echo "size $size, sender max RSS ${rss_kb} kB" >&2
	[ "$rss_kb" -lt 30000 ]
	cmp "$BATS_TEST_TMPDIR/big.dcm" "$BATS_TEST_TMPDIR/got/1.dcm"
}

# bats test_tags=serial
@test "stow: a file written to (or shrinking; or rewritten the same size, its mtime set back by touch -r) while it is sent cuts its request short: that file alone is unreadable (truncated), named, exit 1, nothing of it stored, never 0000 for mixed bytes; the others of its request go again in a new one" {
	local big=$BATS_TEST_TMPDIR/big.dcm i got how word msg
	local a=$CORPUS/ts/explicit-le.dcm b=$CORPUS/sop/CTImageStorage.dcm
	for how in write touchr shrink; do
		start_stub
		"$CSTORE_ROOT/tests/tools/mkbig" "$big" 4 >/dev/null
		touch -r "$big" "$BATS_TEST_TMPDIR/stamp"
		# one request for the three (the default batch), big between
		"$CSTORE_BIN/dcmsend" --limit-rate 1M "$STUB" "$a" "$big" "$b" \
			>"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
		local spid=$!
		track_pid "$spid"
		# 4 MB at 1 MB/s: changed once dcmsend has read 1 MB of it
		got=0
		for i in $(seq 400); do
			got=$(awk '/^rchar:/ { print $2 }' "/proc/$spid/io" 2>/dev/null) || got=0
			[ "${got:-0}" -ge 1048576 ] && break
			kill -0 "$spid" 2>/dev/null || break
			sleep 0.05
		done
		[ "${got:-0}" -ge 1048576 ] || {
			cat "$BATS_TEST_TMPDIR/send.out" "$BATS_TEST_TMPDIR/send.err"
			false
		}
		if [ "$how" != shrink ]; then
			printf 'XXXXXXXX' | dd of="$big" bs=1 seek=3000000 conv=notrunc status=none
			# the same size, its mtime set back: its change time moved
			[ "$how" = write ] || touch -r "$BATS_TEST_TMPDIR/stamp" "$big"
			word=unreadable msg='was written to'
		else
			truncate -s 2000000 "$big"
			word=truncated msg=shrank
		fi
		local rc=0
		wait "$spid" || rc=$?
		kill "$STUB_PID" 2>/dev/null || true
		wait "$STUB_PID" 2>/dev/null || true
		cat "$BATS_TEST_TMPDIR/send.out" "$BATS_TEST_TMPDIR/send.err"
		[ "$rc" -eq 1 ]
		run cat "$BATS_TEST_TMPDIR/send.out"
		[ "${#lines[@]}" -eq 3 ]
		assert_line --regexp "^$word"$'\t'"$big"$'\t.*\tnot sent in full: the file '"$msg"$' while it was sent; the request was cut short, so the service stores none of it$'
		assert_line --regexp $'^0000\t'"$a"$'\t'
		assert_line --regexp $'^0000\t'"$b"$'\t'
		# two requests: the cut one, then the other two, stored whole
		[ "$(find "$BATS_TEST_TMPDIR/got" -name '*.dcm' | wc -l)" -eq 2 ]
		for i in "$BATS_TEST_TMPDIR"/got/*.dcm; do
			cmp -s "$i" "$a" || cmp -s "$i" "$b"
		done
		rm -rf "$BATS_TEST_TMPDIR/got"
	done
}

# bats test_tags=serial
@test "stow: --follow to a URL bridges DIMSE to DICOMweb: storescu -> dcmrecv -0 -> dcmsend --follow --remove-sent, the service down at first" {
	require_cmd /usr/bin/storescu
	require_netns
	W=$BATS_TEST_TMPDIR
	mkdir -p "$W/spool" "$W/got"
	port=$(free_port)
	fifo=$W/paths
	mkfifo "$fifo"
	"$CSTORE_BIN/dcmsend" --follow -0 --remove-sent --retry-delay 100 \
		"http://127.0.0.1:$port/dicom-web" - <"$fifo" >"$W/res" 2>"$W/res.err" &
	send=$!
	track_pid "$send"
	"$CSTORE_BIN/dcmrecv" -0 -o "$W/spool" --port-file "$W/recv.port" 127.0.0.1:0 \
		>"$fifo" 2>"$W/recv.err" &
	recv=$!
	track_pid "$recv"
	for _ in $(seq 100); do [ -s "$W/recv.port" ] && break; sleep 0.05; done
	# the service is down while storescu sends: nothing may be lost
	TCP_NODELAY=1 timeout 60 /usr/bin/storescu -nh 127.0.0.1 "$(cat "$W/recv.port")" \
		"$CORPUS/sop" +sd >"$W/scu.log" 2>&1 || true
	# and one in Implicit VR LE, which goes on in Explicit VR LE (PS3.18 8.7.3)
	ivr=$CORPUS/ts/implicit-le.dcm
	TCP_NODELAY=1 timeout 60 /usr/bin/storescu -xi 127.0.0.1 "$(cat "$W/recv.port")" \
		"$ivr" >>"$W/scu.log" 2>&1
	n=$(find "$W/spool" -type f | wc -l)
	[ "$n" -ge 10 ]
	STUB_PORT=$port "$CSTORE_ROOT/tests/tools/stow-stub" "$W/stub.port" "$W/got" &
	track_pid $!
	for _ in $(seq 300); do
		[ "$(find "$W/spool" -type f | wc -l)" -eq 0 ] && break
		sleep 0.1
	done
	kill "$recv"
	wait "$recv" || true
	for _ in $(seq 100); do kill -0 "$send" 2>/dev/null || break; sleep 0.1; done
	wait "$send"
	# every file stored once, the spool empty, the service told of it
	[ "$(grep -c $'^0000\t' "$W/res")" -eq "$n" ]
	[ "$(wc -l <"$W/res")" -eq "$n" ]
	[ "$(find "$W/spool" -type f | wc -l)" -eq 0 ]
	[ "$(ls "$W/got"/*.dcm | wc -l)" -eq "$n" ]
	grep -q 'retrying' "$W/res.err"
	grep -q 'answers again' "$W/res.err"
	# what arrived is the data set storescu sent; the Implicit VR LE one
	# converted: the same elements and pixels
	declare -A want
	for f in "$CORPUS"/sop/*; do want[$(ds_uid "$f")]=$(ds_sum "$f"); done
	for f in "$W"/got/*.dcm; do
		if [ "$(ds_uid "$f")" = "$(ds_uid "$ivr")" ]; then
			g=$f
			continue
		fi
		[ "${want[$(ds_uid "$f")]}" = "$(ds_sum "$f")" ]
	done
	[ "$(grep -c 'transcoded' "$W/res")" -eq 1 ]
	grep -q $'\t'"$(ds_uid "$ivr")"$'\ttranscoded to ExplicitVRLittleEndian$' "$W/res"
	[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$g" | cut -f3)" = 1.2.840.10008.1.2.1 ]
	diff <(norm_dump "$ivr") <(norm_dump "$g")
	[ "$(pixels "$ivr")" = "$(pixels "$g")" ]
}

@test "stow: https: the server's certificate is checked as curl does (--tls-ca; a rogue or misnamed one exits 3)" {
	require_cmd openssl
	make_test_pki "$BATS_TEST_TMPDIR/pki"
	P=$BATS_TEST_TMPDIR/pki
	f=$CORPUS/ts/explicit-le.dcm
	STUB_CERT=$P/server.pem STUB_KEY=$P/server.key start_stub
	url=${STUB/http:/https:}
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-ca "$P/ca.pem" "$url" "$f"
	assert_output --regexp $'^0000\t'
	cmp "$f" "$BATS_TEST_TMPDIR/got/1.dcm"
	# not trusted by the system's store
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" "$url" "$f"
	assert_output --regexp $'^notsent\t'
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --echo "$url"
	kill "$STUB_PID"
	wait "$STUB_PID" || true
	for bad in rogue wrongname expired; do
		STUB_CERT=$P/$bad.pem STUB_KEY=$P/$bad.key start_stub
		run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-ca "$P/ca.pem" "${STUB/http:/https:}" "$f"
		assert_output --regexp $'^notsent\t'
		kill "$STUB_PID"
		wait "$STUB_PID" || true
	done
	[ "$(ls "$BATS_TEST_TMPDIR/got"/*.dcm | wc -l)" -eq 1 ]
	# a directory of hashed certificates (CURLOPT_CAPATH), trusted alone
	rm -rf "$BATS_TEST_TMPDIR/got"
	mkdir "$P/cadir" "$P/empty"
	cp "$P/ca.pem" "$P/cadir/"
	openssl rehash "$P/cadir" 2>/dev/null || c_rehash "$P/cadir" >/dev/null
	STUB_CERT=$P/server.pem STUB_KEY=$P/server.key start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-ca "$P/cadir" "${STUB/http:/https:}" "$f"
	assert_output --regexp $'^0000\t'
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-ca "$P/empty" "${STUB/http:/https:}" "$f"
	assert_output --regexp $'^notsent\t'
	[ "$(ls "$BATS_TEST_TMPDIR/got"/*.dcm | wc -l)" -eq 1 ]
	cmp "$f" "$BATS_TEST_TMPDIR/got/1.dcm"
}

@test "stow: https to a service requiring a client certificate (mutual TLS): --tls-cert/--tls-key offer ours (a chain too) and the files are stored; without one, or one the service does not trust, nothing is stored and the run fails; an encrypted key or a key alone is a usage error" {
	require_cmd openssl
	make_test_pki "$BATS_TEST_TMPDIR/pki"
	make_chain_pki "$BATS_TEST_TMPDIR/pki"
	P=$BATS_TEST_TMPDIR/pki
	f=$CORPUS/ts/explicit-le.dcm
	STUB_CERT=$P/server.pem STUB_KEY=$P/server.key STUB_CLIENT_CA=$P/ca.pem start_stub
	url=${STUB/http:/https:}
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-ca "$P/ca.pem" --tls-cert "$P/client.pem" \
		--tls-key "$P/client.key" "$url" "$f"
	assert_output --regexp $'^0000\t'
	cmp "$f" "$BATS_TEST_TMPDIR/got/1.dcm"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-ca "$P/ca.pem" --tls-cert "$P/iclient-chain.pem" \
		--tls-key "$P/iclient.key" "$url" "$CORPUS/ts/rle.dcm"
	assert_output --regexp $'^0000\t'
	cmp "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/got/2.dcm"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --tls-ca "$P/ca.pem" --tls-cert "$P/client.pem" \
		--tls-key "$P/client.key" "$url"
	assert_output $'HTTP 200\t'"$url"
	[ "$(cat "$BATS_TEST_TMPDIR/got/clients.log")" = $'modality-1\nmodality-2' ]
	# refused by the service's TLS (its alert read, or, without a
	# certificate to give, the connection reset first by a server that
	# asked for one: the same, never a broken request tried again):
	# notsent, exit 3, nothing stored.  With a rogue certificate the
	# reset may come before the alert (TLS 1.3 sends it after the
	# handshake): a cut is then a network's, tried again, and the run
	# ends aborted (exit 5) if the alert never shows; nothing stored
	local hint i
	for i in 1 2 3; do
		run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --retry 1 --retry-delay 10 \
			--tls-ca "$P/ca.pem" "$url" "$f"
		hint='does it require a client certificate \(--tls-cert, --tls-key\)\?'
		assert_output --regexp $'^notsent\t.*\t'"${url//./\\.}"': the server refused the TLS connection \((tlsv1[3]? alert (certificate required|unknown ca)|cut after asking for a client certificate)\): '"$hint"'$'
		run --separate-stderr "$CSTORE_BIN/dcmsend" --retry 1 --retry-delay 10 \
			--tls-ca "$P/ca.pem" --tls-cert "$P/rogue.pem" --tls-key "$P/rogue.key" "$url" "$f"
		hint='was our certificate \(--tls-cert\) refused\?'
		case $status in
		3) assert_output --regexp $'^notsent\t.*\t'"${url//./\\.}"': the server refused the TLS connection \(tlsv1[3]? alert (certificate required|unknown ca)\): '"$hint"'$' ;;
		5) assert_output --regexp $'^aborted\t' ;;
		*) fail "dcmsend with a rogue certificate exited $status: $output" ;;
		esac
	done
	[ "$(ls "$BATS_TEST_TMPDIR/got"/*.dcm | wc -l)" -eq 2 ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-ca "$P/ca.pem" --tls-cert "$P/client.pem" \
		--tls-key "$P/enc.key" "$url" "$f" </dev/null
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"enc.key"*"encrypted"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-key "$P/client.key" "$url" "$f"
	[[ $stderr == *"--tls-key needs --tls-cert"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-cert "$P/client.pem" "${url/https:/http:}" "$f"
	[[ $stderr == *"need an https:// URL"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-insecure "$url" "$f"
	[ "$(ls "$BATS_TEST_TMPDIR/got"/*.dcm | wc -l)" -eq 2 ]
}

@test "stow: https with mutual TLS: a connection cut after the handshake, before any answer (a balancer, a restart), is the network's and tried again under --retry, not read as our certificate refused" {
	require_cmd openssl
	make_test_pki "$BATS_TEST_TMPDIR/pki"
	P=$BATS_TEST_TMPDIR/pki
	f=$CORPUS/ts/explicit-le.dcm
	"$CSTORE_ROOT/tests/tools/mkbig" "$BATS_TEST_TMPDIR/big.dcm" 2
	# a reset at once (no end of stream, no alert): read while the
	# small file's request waits for its answer, sent under the big one
	local f
	for f in "$CORPUS/ts/explicit-le.dcm" "$BATS_TEST_TMPDIR/big.dcm"; do
		rm -rf "$BATS_TEST_TMPDIR/got"
		STUB_CUT_RST=1 STUB_CUT=1 STUB_CERT=$P/server.pem STUB_KEY=$P/server.key \
			STUB_CLIENT_CA=$P/ca.pem start_stub
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --retry 1 --retry-delay 10 --tls-ca "$P/ca.pem" \
			--tls-cert "$P/client.pem" --tls-key "$P/client.key" "${STUB/http:/https:}" "$f"
		assert_output --regexp $'^0000\t'
		[ "$(cut -f2 "$BATS_TEST_TMPDIR/got/requests.log" | head -1)" = cut ]
		cmp "$f" "$BATS_TEST_TMPDIR/got/1.dcm"
		kill "$STUB_PID"
		wait "$STUB_PID" || true
	done
}

@test "stow: a TLS 1.2 server's 'alert handshake failure' says no version or cipher in common when it asked for no certificate, a client certificate when it did (notsent, exit 3)" {
	require_cmd openssl
	require_netns
	make_test_pki "$BATS_TEST_TMPDIR/pki"
	P=$BATS_TEST_TMPDIR/pki
	f=$CORPUS/ts/explicit-le.dcm
	local -a how=(-cipher 'NULL-SHA256:@SECLEVEL=0')
	local hint='no TLS version or cipher in common with it\?' i
	for i in 1 2; do
		start_on_free_port "$BATS_TEST_TMPDIR/s_server.log" openssl s_server -quiet -accept '127.0.0.1:{PORT}' \
			-cert "$P/server.pem" -key "$P/server.key" -tls1_2 "${how[@]}"
		run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --retry 1 --retry-delay 10 --tls-ca "$P/ca.pem" \
			"https://127.0.0.1:$SERVER_PORT/dicom-web" "$f"
		assert_output --regexp $'^notsent\t.*: the server refused the TLS connection \\(sslv3 alert handshake failure\\): '"$hint"'$'
		kill "$SERVER_PID"
		wait "$SERVER_PID" || true
		how=(-Verify 1 -CAfile "$P/ca.pem")
		hint='does it require a client certificate \(--tls-cert, --tls-key\)\?'
	done
}

@test "stow: nothing listening exits 3, every input notsent" {
	require_netns
	port=$(free_port)
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" "http://127.0.0.1:$port/dicom-web" \
		"$CSTORE_ROOT/tests/data/p10-evrle.dcm" "$CSTORE_ROOT/tests/data/p10-ivrle.dcm"
	[ "$(grep -c $'^notsent\t' <<<"$output")" -eq 2 ]
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" --echo "http://127.0.0.1:$port/dicom-web"
}

# bats test_tags=serial
@test "stow: a service that never answers: --dimse-timeout fails the request (aborted, exit 5)" {
	require_netns
	port=$(free_port)
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(60)' "$port" &
	track_pid $!
	for _ in $(seq 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.05; done
	SECONDS=0
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" --dimse-timeout 1 "http://127.0.0.1:$port/dicom-web" \
		"$CSTORE_ROOT/tests/data/p10-evrle.dcm"
	assert_output --regexp $'^aborted\t'
	[ "$SECONDS" -le 10 ]
	# said as what it did: no answer, not an answer sent too slowly
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" --dimse-timeout 2 "http://127.0.0.1:$port/dicom-web" \
		"$CSTORE_ROOT/tests/data/p10-evrle.dcm"
	assert_output --regexp $'^aborted\t.*: the service did not answer the request \\(nothing came for more than 2 s\\)$'
	refute_output --partial 'too slowly'
}

# bats test_tags=serial
@test "stow: --dimse-timeout bounds the answer from its first line: a TLS handshake answered 4 s late and a service reading the request slowly (8 MB at 64 KiB/0.05 s) with --dimse-timeout 2/3 are stored (0000)" {
	require_cmd openssl
	make_test_pki "$BATS_TEST_TMPDIR/pki"
	P=$BATS_TEST_TMPDIR/pki
	f=$CORPUS/ts/explicit-le.dcm
	STUB_HANDSHAKE_DELAY=4 STUB_CERT=$P/server.pem STUB_KEY=$P/server.key start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-ca "$P/ca.pem" --dimse-timeout 2 "${STUB/http:/https:}" "$f"
	assert_output --regexp $'^0000\t'
	cmp "$f" "$BATS_TEST_TMPDIR/got/1.dcm"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --tls-ca "$P/ca.pem" --dimse-timeout 2 --echo "${STUB/http:/https:}"
	kill "$STUB_PID"
	wait "$STUB_PID" || true
	"$CSTORE_ROOT/tests/tools/mkbig" "$BATS_TEST_TMPDIR/big.dcm" 8 >/dev/null
	STUB_NAME=slow STUB_SLOW_READ=0.05 start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dimse-timeout 3 "$STUB" "$BATS_TEST_TMPDIR/big.dcm"
	assert_output --regexp $'^0000\t'
	cmp "$BATS_TEST_TMPDIR/big.dcm" "$BATS_TEST_TMPDIR/slow/1.dcm"
}

# bats test_tags=serial
@test "stow: a service that trickles its answer (a byte every 0.1 s, never ending) fails the request within --dimse-timeout of it (aborted, exit 5)" {
	STUB_TRICKLE=0.1 start_stub
	SECONDS=0
	run -5 --separate-stderr timeout 60 "$CSTORE_BIN/dcmsend" --dimse-timeout 2 "$STUB" "$CORPUS/ts/explicit-le.dcm"
	assert_output --regexp $'^aborted\t.*the answer did not come whole within 2 s'
	[ "$SECONDS" -le 20 ]
}

# bats test_tags=serial
@test "stow: an answer cut short (trickled past --dimse-timeout) leaks nothing of what came (valgrind), with or without --follow" {
	require_cmd valgrind
	[ -z "${CSTORE_SANITIZE:-}" ] || skip "valgrind cannot run a sanitizer build"
	STUB_TRICKLE=0.05 start_stub
	run -5 --separate-stderr timeout 120 valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		"$CSTORE_BIN/dcmsend" --dimse-timeout 1 "$STUB" "$CORPUS/ts/explicit-le.dcm"
	assert_output --regexp $'^aborted\t.*the answer did not come whole within 1 s'
	run -5 --separate-stderr timeout 120 valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		"$CSTORE_BIN/dcmsend" --follow --dimse-timeout 1 --retry-delay 10 --retry-for 2 "$STUB" - \
		<<<"$CORPUS/ts/explicit-le.dcm"
	assert_output --regexp $'^notsent\t.*the answer did not come whole within 1 s'
}

@test "stow: --follow: a 429 or a 5xx is never tried again past --retry-for, whatever its Retry-After and --retry" {
	f=$CORPUS/ts/explicit-le.dcm
	local st t0 t1
	for st in 429 500; do
		STUB_503=5 STUB_BUSY_STATUS=$st STUB_RETRY_AFTER=5 start_stub
		t0=$(date +%s%N)
		run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --follow --retry 3 --retry-delay 10 --retry-for 1 \
			"$STUB" - <<<"$f"
		t1=$(date +%s%N)
		assert_output --regexp $'^failed\t.*/explicit-le.dcm\t.*(\t|: )HTTP '"$st"
		# the first try, and one at the end of --retry-for: not a
		# 5 s Retry-After each of --retry's 3
		[ "$(cut -f2 "$BATS_TEST_TMPDIR/got/requests.log" | tr '\n' ' ')" = "$st $st " ]
		[ $(((t1 - t0) / 1000000)) -ge 1000 ]
		[ $(((t1 - t0) / 1000000)) -lt 4500 ]
		kill "$STUB_PID"
		wait "$STUB_PID" || true
		rm -rf "$BATS_TEST_TMPDIR/got"
	done
}

@test "stow: a credential (--bearer-file, --netrc) over http:// to another host is warned of once: it and the files go unencrypted; none for https://, this machine, or no credential" {
	printf 'tok3n\n' >"$BATS_TEST_TMPDIR/token"
	printf 'machine archive.example login alice password s3cret\n' >"$HOME/.netrc"
	chmod 600 "$HOME/.netrc"
	f=$CORPUS/ts/explicit-le.dcm
	local warn="WARNING: --bearer-file over http:// to another host: the credentials and the files go unencrypted; use https://"
	# --dry-run: nothing sent, the options checked as for a send
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --bearer-file "$BATS_TEST_TMPDIR/token" \
		http://archive.example:8042/dicom-web "$f"
	[ "$(grep -c WARNING <<<"$stderr")" -eq 1 ]
	[[ $stderr == *"dcmsend: $warn"* ]]
	[[ $stderr != *tok3n* ]]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --netrc http://archive.example:8042/dicom-web "$f"
	[[ $stderr == *"dcmsend: WARNING: --netrc over http:// to another host"* ]]
	[[ $stderr != *s3cret* ]]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --bearer-file "$BATS_TEST_TMPDIR/token" \
		https://archive.example/dicom-web "$f"
	[[ $stderr != *WARNING* ]]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run http://archive.example/dicom-web "$f"
	[[ $stderr != *WARNING* ]]
	start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --bearer-file "$BATS_TEST_TMPDIR/token" "$STUB" "$f"
	[[ $stderr != *WARNING* ]]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --bearer-file "$BATS_TEST_TMPDIR/token" "${STUB/127.0.0.1/localhost}" "$f"
	[[ $stderr != *WARNING* ]]
	[ "$(cut -f3 "$BATS_TEST_TMPDIR/got/requests.log" | sort -u)" = "Bearer tok3n" ]
}

@test "stow: --bearer-file takes the token as pasted: the spaces around it, a CRLF, and the header's words before it (Bearer, Authorization: Bearer) are not sent; a space or control byte inside it is a usage error naming no secret" {
	start_stub
	f=$CORPUS/ts/explicit-le.dcm
	local line n=0
	for line in $'tok3n.abc_-~+/=\r' '  tok3n.abc_-~+/=  ' 'Bearer tok3n.abc_-~+/=' $'authorization: bearer\ttok3n.abc_-~+/=\r'; do
		printf '%s\nsecond line\n' "$line" >"$BATS_TEST_TMPDIR/token"
		run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --bearer-file "$BATS_TEST_TMPDIR/token" "$STUB" "$f"
		assert_output --regexp $'^0000\t'
		n=$((n + 1))
	done
	[ "$(cut -f3 "$BATS_TEST_TMPDIR/got/requests.log" | sort | uniq -c | awk '{print $1, $2, $3}')" = "$n Bearer tok3n.abc_-~+/=" ]
	for line in 'tok3n secret' $'tok3n\rX-Injected: 1' 'Bearer  ' $'tok3n\x7f'; do
		printf '%s\n' "$line" >"$BATS_TEST_TMPDIR/token"
		run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --bearer-file "$BATS_TEST_TMPDIR/token" "$STUB" "$f"
		[ "${#stderr_lines[@]}" -eq 2 ]
		[[ ${stderr_lines[0]} == "dcmsend: --bearer-file: "* ]]
		[[ $stderr != *tok3n* ]]
		[[ $stderr != *secret* ]]
	done
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq "$n" ]
}

@test "stow: options against a URL" {
	url=http://127.0.0.1:9/dicom-web
	f=$CSTORE_ROOT/tests/data/p10-evrle.dcm
	for opts in "--per-assoc 2" "--follow -j 2" --commit "--follow --commit" "--dry-run --probe" "--user bob" --tls \
	    "--tls-ca $f" "--stow-batch 0" "--stow-bytes 0" "--bearer-file $f --netrc" "--accept-ts rle" \
	    "--accept-ts ExplicitVRLittleEndian,"; do
		# shellcheck disable=SC2086
		run -2 "$CSTORE_BIN/dcmsend" $opts "$url" "$f"
	done
	run -2 "$CSTORE_BIN/dcmsend" --commit "$url" "$f"
	assert_output --partial "storage commitment is a DIMSE service"
	run -2 "$CSTORE_BIN/dcmsend" "http://alice:s3cret@127.0.0.1:9/dicom-web" "$f"
	assert_output --partial "use --netrc or --bearer-file"
	[[ $output != *s3cret* ]]
	run -2 "$CSTORE_BIN/dcmsend" --bearer-file "$BATS_TEST_TMPDIR/none" "$url" "$f"
	run -2 "$CSTORE_BIN/dcmsend" --echo "$url" "$f"
	run -0 "$CSTORE_BIN/dcmsend" --help
	assert_output --partial "--stow-batch N"
	assert_output --partial "url [file | dir | - ...]"
}

@test "stow: a proxy asking for its credentials (HTTP 407, or 407 to an https tunnel's CONNECT) stops the run as a 401 does: the rest notsent, nothing more uploaded, exit 4" {
	f=$CORPUS/ts/explicit-le.dcm
	STUB_NAME=proxy STUB_STATUS=407 start_stub
	proxy=${STUB%/dicom-web}
	run -4 --separate-stderr env http_proxy="$proxy" "$CSTORE_BIN/dcmsend" --stow-batch 1 \
		http://archive.example:8042/dicom-web "$f" "$CORPUS/ts/rle.dcm" "$CORPUS/sop/CTImageStorage.dcm"
	assert_line --index 0 --regexp $'^notsent\t.*/explicit-le.dcm\t.*\tHTTP 407: the proxy \\(http_proxy, https_proxy, ALL_PROXY\\) requires authentication$'
	[ "$(grep -c $'^notsent\t' <<<"$output")" -eq 3 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/proxy/requests.log")" -eq 1 ]
	run -4 --separate-stderr env http_proxy="$proxy" "$CSTORE_BIN/dcmsend" --echo http://archive.example:8042/dicom-web
	# https: the tunnel refused (CONNECT answered 407), nothing sent
	run -4 --separate-stderr env https_proxy="$proxy" "$CSTORE_BIN/dcmsend" \
		https://archive.example:8443/dicom-web "$f" "$CORPUS/ts/rle.dcm"
	assert_line --index 0 --regexp $'^notsent\t.*/explicit-le.dcm\t.*\thttps://archive.example:8443/dicom-web: the proxy \\(https_proxy, ALL_PROXY\\) refused the tunnel: CONNECT answered HTTP 407 \\(it requires authentication\\)$'
	[ "$(grep -c $'^notsent\t' <<<"$output")" -eq 2 ]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/proxy/requests.log")" = $'CONNECT archive.example:8443\t407\t-' ]
	run -4 --separate-stderr env https_proxy="$proxy" "$CSTORE_BIN/dcmsend" --echo https://archive.example:8443/dicom-web
	# the bearer token is the service's: never in the CONNECT to the proxy
	printf 'tok3n\n' >"$BATS_TEST_TMPDIR/token"
	run -4 --separate-stderr env https_proxy="$proxy" "$CSTORE_BIN/dcmsend" --bearer-file "$BATS_TEST_TMPDIR/token" \
		https://archive.example:8443/dicom-web "$f"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/proxy/requests.log")" = $'CONNECT archive.example:8443\t407\t-' ]
	run ! grep -q tok3n "$BATS_TEST_TMPDIR/proxy/requests.log"
}

@test "stow: --netrc without a ~/.netrc entry for the URL's host is a usage error (exit 2) saying so, never a run without the credentials; 'default' or 'machine HOST' are sent" {
	start_stub
	f=$CORPUS/ts/explicit-le.dcm
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --netrc "$STUB" "$f"
	[ "${stderr_lines[0]}" = "dcmsend: --netrc: cannot read $HOME/.netrc: No such file or directory" ]
	# a macdef's lines are no entries
	printf 'machine pacs.example login alice password s3cret\nmacdef init\nmachine 127.0.0.1\n\n#default login bob\n' >"$HOME/.netrc"
	chmod 600 "$HOME/.netrc"
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --netrc "$STUB" "$f"
	[ "${stderr_lines[0]}" = "dcmsend: --netrc: $HOME/.netrc has no entry for 127.0.0.1 ('machine 127.0.0.1' or 'default'): no credentials to send" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo --netrc "$STUB"
	[ ! -e "$BATS_TEST_TMPDIR/got/requests.log" ]
	printf 'default login bob password s3cret\n' >>"$HOME/.netrc"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --netrc "$STUB" "$f"
	[ "$(cut -f3 "$BATS_TEST_TMPDIR/got/requests.log")" = "Basic $(printf bob:s3cret | base64)" ]
	printf '# a comment\nmachine 127.0.0.1 login alice password "#s3 cret"\n' >"$HOME/.netrc"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --netrc "$STUB" "$f"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/got/requests.log" | cut -f3)" = "Basic $(printf 'alice:#s3 cret' | base64)" ]
}

@test "stow: --netrc finds an entry as libcurl 7.88.1 does: keywords in any case, an empty quoted value, a # token ending its line, a macdef" {
	f=$CSTORE_ROOT/tests/data/p10-evrle.dcm
	url=http://127.0.0.1:9/dicom-web
	local c want
	# whether curl 7.88.1 --netrc found an entry for such a URL in
	# each (checked with it): an entry (0), or none (2)
	while IFS=$'\t' read -r want c; do
		printf "$c" >"$HOME/.netrc"
		chmod 600 "$HOME/.netrc"
		run --separate-stderr "$CSTORE_BIN/dcmsend" --netrc --dry-run "$url" "$f"
		[ "$status" -eq "$want" ] || { echo "$c: exit $status, not $want"; false; }
	done <<'END'
0	machine pacs login a password ""\nmachine 127.0.0.1 login c password d\n
0	machine pacs login "" password b\ndefault login c password d\n
0	MACHINE 127.0.0.1 LOGIN c PASSWORD d\n
0	machine pacs login a password b\nDEFAULT login c password d\n
0	machine pacs login a #c\nmachine 127.0.0.1 login c password d\n
0	machine pacs login a password "#x" machine 127.0.0.1 login c password d\n
0	macdef foo\nmachine pacs\n\nmachine 127.0.0.1 login c password d\n
0	machine pacs login default password b\n
2	machine pacs #x machine 127.0.0.1 login c password d\n
2	machine pacs login a password b #machine 127.0.0.1\n
2	  # comment machine 127.0.0.1\n
2	MacDef foo\nmachine 127.0.0.1 login c password d\n\nmachine pacs\n
END
}

@test "stow: a URL libcurl cannot read, without a host, with a user, query or fragment, or ending in /studies is a usage error (exit 2), never a crash" {
	f=$CSTORE_ROOT/tests/data/p10-evrle.dcm
	local u
	for u in http:// https:// http:///dicom-web http://:8042/dicom-web 'http://pacs host/dicom-web' \
	    'http://pacs/dicom web' 'http://[::1/dicom-web' http://pacs:99999/dicom-web http://bob@pacs/dicom-web \
	    http://:pw@pacs/dicom-web 'http://pacs/dicom-web?x=1' 'http://pacs/dicom-web?' 'http://pacs/dicom-web#x'; do
		run -2 --separate-stderr "$CSTORE_BIN/dcmsend" "$u" "$f"
		[ "${#stderr_lines[@]}" -eq 2 ]
		[[ ${stderr_lines[0]} == "dcmsend: URL"* ]]
		run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --echo "$u"
		run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run "$u" "$f"
	done
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" http:// "$f"
	[ "${stderr_lines[0]}" = "dcmsend: URL 'http://': No host part in the URL" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" 'http://pacs host/dicom-web' "$f"
	[ "${stderr_lines[0]}" = "dcmsend: URL 'http://pacs host/dicom-web': Bad hostname" ]
	# a user and password in a URL libcurl cannot read are never said
	for u in 'http://bob:s3cret@pacs host/x' 'http://bob:s3/cret@pacs/x' 'http://bob:s3cret@/x' \
	    'http://bob:s3cret@pacs:99999/x' 'http://bob:s3cret@[::1/x' 'http:///bob:s3cret@pacs/x' \
	    'http://bob:s3cret@pacs/x'; do
		for o in --dry-run --echo; do
			run -2 --separate-stderr "$CSTORE_BIN/dcmsend" $o "$u" $([ $o = --echo ] || echo "$f")
			[[ $stderr != *s3* ]] || { echo "$u $o: $stderr"; false; }
		done
	done
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 'http://bob:s3cret@pacs host/x' "$f"
	[ "${stderr_lines[0]}" = "dcmsend: URL 'http://***@pacs host/x': Bad hostname" ]
	# the STOW-RS resource where its base was meant (Orthanc answers
	# .../studies/studies 409, Failure Reason 0110: not in study "studies")
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run http://pacs/dicom-web/studies/ "$f"
	[ "${stderr_lines[0]}" = "dcmsend: URL 'http://pacs/dicom-web/studies/': the service's base URL, without /studies (each request goes to URL/studies)" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run http://pacs/studies "$f"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run http://pacs/dicom-web/ "$f"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run http://pacs/studies-web/x "$f"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 'HTTP://pacs:8042/a%20b;x/p@q' "$f"
}

@test "stow: a study's URL (.../studies/{UID}, PS3.18 10.5) is posted to as it is, not to .../studies/{UID}/studies; --echo asks its base" {
	start_stub
	f=$CORPUS/ts/explicit-le.dcm
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB/studies/1.2.840.99.1/" "$f" "$CORPUS/ts/rle.dcm"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	[ "$(cut -f1 "$BATS_TEST_TMPDIR/got/requests.log")" = /dicom-web/studies/1.2.840.99.1 ]
	cmp "$f" "$BATS_TEST_TMPDIR/got/1.dcm"
	cmp "$CORPUS/ts/rle.dcm" "$BATS_TEST_TMPDIR/got/2.dcm"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -d --echo "$STUB/studies/1.2.840.99.1"
	[[ $stderr == *"request http://127.0.0.1:"*"/dicom-web/studies?limit=1"* ]]
	# not a UID after /studies/: a base URL, as before
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB/studies/01.2" "$f"
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/got/requests.log" | cut -f1)" = /dicom-web/studies/01.2/studies ]
}

@test "stow: Orthanc takes a file posted to its study's URL; one of another study fails with Orthanc's answer, nothing stored" {
	start_web
	f=$CORPUS/ts/explicit-le.dcm
	study=$(dcmdump +P StudyInstanceUID "$f" | sed 's/.*\[\(.*\)\].*/\1/')
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --netrc "$WEB/studies/1.2.840.99.1" "$f"
	[[ $output == $'0110\t'* ]]
	[ "$(count)" -eq 0 ]
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --netrc "$WEB/studies/$study" "$f"
	[[ $output == $'0000\t'* ]]
	[ "$(count)" -eq 1 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	fetch_all "$BATS_TEST_TMPDIR/back"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/back" values)" -eq 1 ]
}

@test "stow: Orthanc's 409 for a request with a file of another study: that one fails (0110), the study's file goes again and is stored, byte for byte" {
	start_web
	f=$CORPUS/ts/explicit-le.dcm other=$CSTORE_ROOT/tests/data/p10-evrle.dcm
	study=$(dcmdump +P StudyInstanceUID "$f" | sed 's/.*\[\(.*\)\].*/\1/')
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --netrc --stow-batch 10 "$WEB/studies/$study" "$other" "$f"
	assert_line --regexp $'^0110\t.*/p10-evrle.dcm\t.*\tHTTP 409$'
	assert_line --regexp $'^0000\t.*/explicit-le.dcm\t'
	[ "${#lines[@]}" -eq 2 ]
	[ "$(count)" -eq 1 ]
	fetch_all "$BATS_TEST_TMPDIR/back"
	cmp "$f" "$BATS_TEST_TMPDIR"/back/*.dcm
}

@test "stow: --dry-run plans the requests and their conversions, sends nothing" {
	# nothing listens on port 9: a send would be notsent, exit 3
	url=http://127.0.0.1:9/dicom-web
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --stow-batch 2 \
		--accept-ts ExplicitVRLittleEndian,1.2.840.10008.1.2 "$url" \
		"$CSTORE_ROOT/tests/data/p10-evrle.dcm" "$CSTORE_ROOT/tests/data/p10-ivrle.dcm" \
		"$CSTORE_ROOT/tests/data/p10-evrbe.dcm"
	[ "$(grep -c $'^planned\t' <<<"$output")" -eq 3 ]
	assert_line --regexp $'^planned\t.*/p10-evrle.dcm\t.*\trequest 1$'
	assert_line --regexp $'^planned\t.*/p10-ivrle.dcm\t.*\trequest 1$'
	assert_line --regexp $'^planned\t.*/p10-evrbe.dcm\t.*\tto be transcoded to ExplicitVRLittleEndian; request 2$'
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --no-transcode \
		--accept-ts ExplicitVRLittleEndian "$url" "$CSTORE_ROOT/tests/data/p10-evrbe.dcm"
	assert_output --regexp $'^nocontext\t.*--no-transcode'
}

@test "stow: PS3.18 8.7.3: an Implicit VR LE file goes in Explicit VR LE; --no-transcode refuses it; an --accept-ts naming it sends it as it is" {
	f=$CORPUS/ts/implicit-le.dcm
	start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$f"
	assert_output --regexp $'^0000\t.*/implicit-le.dcm\t.*\ttranscoded to ExplicitVRLittleEndian$'
	[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$BATS_TEST_TMPDIR/got/1.dcm" | cut -f3)" = 1.2.840.10008.1.2.1 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	mkdir "$BATS_TEST_TMPDIR/parts"
	cp "$BATS_TEST_TMPDIR/got/1.dcm" "$BATS_TEST_TMPDIR/parts/"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/parts")" -eq 1 ]
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --no-transcode "$STUB" "$f"
	assert_output --regexp $'^nocontext\t.*\tPS3.18 8.7.3 keeps ImplicitVRLittleEndian off web services \\(--no-transcode\\)$'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --accept-ts ExplicitVRLittleEndian,ImplicitVRLittleEndian "$STUB" "$f"
	assert_output --regexp $'^0000\t.*/implicit-le.dcm\t.*\t$'
	[ "$(ls "$BATS_TEST_TMPDIR"/got/*.dcm | wc -l)" -eq 2 ]
	cmp "$f" "$BATS_TEST_TMPDIR/got/2.dcm"
}

@test "stow: a syntax the service refuses (HTTP 415, Failure Reason C122) is learned: its files go again in Explicit VR LE" {
	RLE=1.2.840.10008.1.2.5 JLS=1.2.840.10008.1.2.4.80
	STUB_REFUSE_TS=$RLE,$JLS start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --stow-batch 100 "$STUB" "$CORPUS/ts"
	n=$(ls "$CORPUS/ts" | wc -l)
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq "$n" ]
	assert_line --regexp $'^0000\t.*/rle.dcm\t.*\ttranscoded to ExplicitVRLittleEndian$'
	assert_line --regexp $'^0000\t.*/jpegls-lossless.dcm\t.*\ttranscoded to ExplicitVRLittleEndian$'
	# and the two PS3.18 8.7.3 keeps off the web, whatever the service says
	assert_line --regexp $'^0000\t.*/implicit-le.dcm\t.*\ttranscoded to ExplicitVRLittleEndian$'
	assert_line --regexp $'^0000\t.*/explicit-be.dcm\t.*\ttranscoded to ExplicitVRLittleEndian$'
	[ "$(grep -c 'transcoded' <<<"$output")" -eq 4 ]
	# the rest arrived as it was; the four converted: same elements and pixels
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	mkdir "$BATS_TEST_TMPDIR/parts"
	cp "$BATS_TEST_TMPDIR"/got/*.dcm "$BATS_TEST_TMPDIR/parts/"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/parts")" -eq "$n" ]
	for f in "$BATS_TEST_TMPDIR"/parts/*.dcm; do
		[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f3)" != "$RLE" ]
	done
	# learned once a run: the second RLE file goes converted at once (a
	# request of all three, 415; each alone: RLE 415, RLE converted,
	# Explicit VR LE, the other RLE converted)
	rm "$BATS_TEST_TMPDIR/got/requests.log"
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$CORPUS/ts/rle.dcm" \
		"$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm"
	[ "$(grep -c $'\ttranscoded to ExplicitVRLittleEndian$' <<<"$output")" -eq 2 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq 5 ]
	# --no-transcode: refused, not converted
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --no-transcode "$STUB" "$CORPUS/ts/rle.dcm"
	assert_output --regexp $'^nocontext\t.*RLELossless.*--no-transcode'
	kill "$STUB_PID"
	wait "$STUB_PID" || true
	rm -rf "$BATS_TEST_TMPDIR/got"
	# the instance refused alone, in the Failed SOP Sequence (C122)
	STUB_REFUSE_HOW=c122 STUB_REFUSE_TS=$RLE start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$CORPUS/ts/rle.dcm" "$CORPUS/ts/explicit-le.dcm"
	assert_line --regexp $'^0000\t.*/rle.dcm\t.*\ttranscoded to ExplicitVRLittleEndian$'
	assert_line --regexp $'^0000\t.*/explicit-le.dcm\t.*\t$'
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got/requests.log")" -eq 2 ]
	# --lossy: a lossy syntax only when allowed, under a new instance UID
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --accept-ts JPEGLSNearLossless "$STUB" "$CORPUS/ts/explicit-le.dcm"
	assert_output --regexp $'^nocontext\t.*only lossily \\(--lossy allows it\\)'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --lossy --accept-ts JPEGLSNearLossless "$STUB" "$CORPUS/ts/explicit-le.dcm"
	assert_output --regexp $'^0000\t.*\ttranscoded to JPEGLSNearLossless \\(lossy\\): new SOP Instance UID, was '
	uid=$(cut -f4 <<<"$output")
	[ "$uid" != "$(ds_uid "$CORPUS/ts/explicit-le.dcm")" ]
	[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$BATS_TEST_TMPDIR/got/4.dcm" | cut -f2,3)" = "$uid"$'\t'1.2.840.10008.1.2.4.81 ]
}

@test "stow: --accept-ts: Orthanc gets the transfer syntax corpus in Explicit VR LE, the same elements and pixels fetched back" {
	start_web
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --netrc --accept-ts ExplicitVRLittleEndian "$WEB" "$CORPUS/ts"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	n=$(ls "$CORPUS/ts" | wc -l)
	[ "$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")" -eq "$n" ]
	[ "$(grep -c $'\ttranscoded to ExplicitVRLittleEndian$' "$BATS_TEST_TMPDIR/res")" -eq $((n - 1)) ]
	[ "$(count)" -eq "$n" ]
	for id in $(rest /instances | jq -r '.[]'); do
		[ "$(rest "/instances/$id/metadata/TransferSyntax")" = 1.2.840.10008.1.2.1 ]
	done
	fetch_all "$BATS_TEST_TMPDIR/back"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$BATS_TEST_TMPDIR/back" values)" -eq "$n" ]
}

# bats test_tags=serial
@test "stow: --limit-rate holds over -j 2 connections together" {
	start_stub
	for k in 1 2; do "$CSTORE_ROOT/tests/tools/mkbig" "$BATS_TEST_TMPDIR/big$k.dcm" 6 >/dev/null; done
	size=$(($(stat -c %s "$BATS_TEST_TMPDIR/big1.dcm") * 2))
	SECONDS=0
	start=$(date +%s%N)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -j 2 --stow-batch 1 --limit-rate 4MB "$STUB" \
		"$BATS_TEST_TMPDIR/big1.dcm" "$BATS_TEST_TMPDIR/big2.dcm"
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "$size bytes in $ms ms" >&2
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 2 ]
	# 4,000,000 bytes/s for both together: never faster (10% for the burst)
	[ "$ms" -ge $((size / 4000 * 9 / 10)) ]
	cmp "$BATS_TEST_TMPDIR/big1.dcm" "$BATS_TEST_TMPDIR/got/1.dcm" ||
		cmp "$BATS_TEST_TMPDIR/big1.dcm" "$BATS_TEST_TMPDIR/got/2.dcm"
}

@test "stow: --echo to a URL whose result line cannot be written (/dev/full) exits 6, not 0" {
	[ -w /dev/full ] || skip "no /dev/full"
	start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo "$STUB"
	assert_output "HTTP 200	$STUB"
	run -6 --separate-stderr bash -c '"$0" --echo "$1" >/dev/full' "$CSTORE_BIN/dcmsend" "$STUB"
	[ "$stderr" = "dcmsend: cannot write the result: No space left on device" ]
}

@test "stow: a file whose meta says Implicit VR over an Explicit VR data set goes under a new meta saying Explicit, as DIMSE sends it; the data set byte for byte" {
	local f=$BATS_TEST_TMPDIR/liar.dcm got
	start_stub
	# the corpus file's data set under a meta header naming Implicit VR LE
	/usr/bin/python3 - "$CORPUS/ts/explicit-le.dcm" "$f" <<'PY'
import sys
from pydicom import dcmread
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info
src = open(sys.argv[1], "rb").read()
ds = dcmread(sys.argv[1])
glen = int.from_bytes(src[140:144], "little")
fm = ds.file_meta
fm.TransferSyntaxUID = "1.2.840.10008.1.2"
b = DicomBytesIO(); b.is_little_endian = True; b.is_implicit_VR = False
write_file_meta_info(b, fm, enforce_standard=True)
open(sys.argv[2], "wb").write(src[:132] + b.getvalue() + src[144 + glen:])
PY
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$f"
	assert_line --regexp $'^0000\t'"$f"$'\t.*meta header transfer syntax 1.2.840.10008.1.2 differs: sent as the data set\'s'
	got=$(ls "$BATS_TEST_TMPDIR"/got/*.dcm)
	# the meta header's Transfer Syntax UID itself (dcm-dataset -u
	# says what the bytes are in)
	run -0 /usr/bin/dcmdump -q -Un +P 0002,0010 "$got"
	assert_output --partial "[1.2.840.10008.1.2.1]"
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$f") <("$CSTORE_TOOLS/dcm-dataset" "$got")
	# and over DIMSE the same data set under the same syntax
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 1 "$f"
	assert_line --regexp $'^context\t.*\t1.2.840.10008.1.2.1'
}

# mkmeta SRC DST [DROP-ELEM] [ELEM=UID]...: SRC's data set under its own
# File Meta Information with element 0002,DROP-ELEM left out and each
# 0002,ELEM set to UID, group length recomputed (bytes, Explicit VR LE).
mkmeta() {
	/usr/bin/python3 - "$@" <<'PY'
import struct, sys
src, dst, drop = open(sys.argv[1], "rb").read(), sys.argv[2], sys.argv[3]
sets = dict(a.split("=", 1) for a in sys.argv[4:])
assert src[128:132] == b"DICM"
pos, elems = 132, []
while src[pos:pos + 2] == b"\x02\x00":
    elem, vr = struct.unpack_from("<H", src, pos + 2)[0], src[pos + 4:pos + 6]
    if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT", b"UC", b"UR"):
        n, hl = struct.unpack_from("<I", src, pos + 8)[0], 12
    else:
        n, hl = struct.unpack_from("<H", src, pos + 6)[0], 8
    elems.append((elem, vr, src[pos + hl:pos + hl + n]))
    pos += hl + n
out = b""
for elem, vr, val in elems:
    if elem == 0 or "%04x" % elem == drop:
        continue
    if "%04x" % elem in sets:
        val = sets["%04x" % elem].encode()
        val += b"\0" * (len(val) % 2)
    hdr = struct.pack("<HH", 2, elem) + vr
    hdr += struct.pack("<HI", 0, len(val)) if vr == b"OB" else struct.pack("<H", len(val))
    out += hdr + val
gl = struct.pack("<HH", 2, 0) + b"UL" + struct.pack("<HI", 4, len(out))
open(dst, "wb").write(src[:132] + gl + out + src[pos:])
PY
}

@test "stow: a file whose meta header names another SOP Instance UID than its data set goes under a new meta naming the data set's, with the note DIMSE gives; the data set byte for byte" {
	local f=$BATS_TEST_TMPDIR/otheruid.dcm src=$CORPUS/ts/explicit-le.dcm got inst
	IFS=$'\t' read -r _ inst _ < <("$CSTORE_TOOLS/dcm-dataset" -u "$src")
	mkmeta "$src" "$f" none 0003=1.2.3.4.5.6.7.8.9
	run -0 /usr/bin/dcmdump -q +P 0002,0003 "$f"
	assert_output --partial "[1.2.3.4.5.6.7.8.9]"
	start_stub
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$f"
	assert_line --regexp $'^0000\t'"$f"$'\t.*\t'"$inst"$'\t.*meta header SOP instance 1\\.2\\.3\\.4\\.5\\.6\\.7\\.8\\.9 differs: sent as the data set\'s'
	got=$(ls "$BATS_TEST_TMPDIR"/got/*.dcm)
	run -0 /usr/bin/dcmdump -q +P 0002,0003 "$got"
	assert_output --partial "[$inst]"
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$f") <("$CSTORE_TOOLS/dcm-dataset" "$got")
}

@test "stow: a file whose meta header has no Transfer Syntax UID goes under a new meta naming the syntax its data set is in, as DIMSE sends it; the data set byte for byte" {
	local T=$BATS_TEST_TMPDIR src got name ts
	start_stub
	for name in explicit-le implicit-le; do
		src=$CORPUS/ts/$name.dcm
		mkmeta "$src" "$T/nots-$name.dcm" 0010
		run -0 /usr/bin/dcmdump -q +P 0002,0010 "$T/nots-$name.dcm"
		assert_output ""
	done
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" "$STUB" "$T/nots-explicit-le.dcm" "$T/nots-implicit-le.dcm"
	assert_line --regexp $'^0000\t'"$T/nots-explicit-le.dcm"$'\t.*\t$'
	# Implicit VR is kept off the web (PS3.18 8.7.3): converted
	assert_line --regexp $'^0000\t'"$T/nots-implicit-le.dcm"$'\t.*\ttranscoded to ExplicitVRLittleEndian$'
	for got in "$T"/got/*.dcm; do
		run -0 /usr/bin/dcmdump -q -Un +P 0002,0010 "$got"
		assert_output --partial "[1.2.840.10008.1.2.1]"
	done
	got=$(grep -l "$(ds_uid "$CORPUS/ts/explicit-le.dcm")" "$T"/got/*.dcm)
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$T/nots-explicit-le.dcm") <("$CSTORE_TOOLS/dcm-dataset" "$got")
	# over DIMSE: the same syntax, detected
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run 127.0.0.1 1 "$T/nots-explicit-le.dcm"
	assert_line --regexp $'^context\t.*\t1.2.840.10008.1.2.1'
}
