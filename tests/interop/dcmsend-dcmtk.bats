#!/usr/bin/env bats
# dcmsend against DCMTK storescp: the whole mkcorpus set (every SOP class,
# every transfer syntax), checking the bytes that arrived, and the
# failure paths with their exit codes and per-file lines.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel,heavy

load dcmsend-helpers

setup_file() {
	corpus_setup
}

setup() {
	require_netns
	require_cmd /usr/bin/storescp
	IN=("$CORPUS/sop" "$CORPUS/ts" "$CORPUS/odd")
	NIN=$(find "${IN[@]}" -type f | wc -l)
	OUT=$BATS_TEST_TMPDIR/in
}

@test "dcmsend: the whole corpus to storescp +B, data sets arrive byte for byte; classes it lacks fail, exit 1" {
	start_storescp "$OUT" +B +xa -pm
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" -v 127.0.0.1 "$SCP_PORT" "${IN[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	one_line_per_input "$BATS_TEST_TMPDIR/res" "$NIN"
	# every line is either stored or a class storescp does not know
	[ "$(grep -vc -e $'^0000\t' -e $'^nocontext\t.*does not accept SOP class' "$BATS_TEST_TMPDIR/res")" -eq 0 ]
	nok=$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")
	[ "$nok" -ge 200 ]
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq "$nok" ]
	[ "$(ls "$OUT" | wc -l)" -eq "$nok" ]
	# more than 128 contexts: several associations, in turn
	[[ $stderr == *"association 2: 127.0.0.1 port $SCP_PORT accepted"* ]]
	[[ $stderr == *"$nok stored, 0 with warning,"* ]]
	# a meta header naming another SOP class: the data set's is used, and said
	assert_line --regexp $'^0000\t.*/meta-sop-class-mismatch\.dcm\t.*meta header SOP class .* differs: sent as the data set.s'
}

@test "dcmsend: a peer accepting only Implicit VR LE gets every file converted, pixels intact, exit 0" {
	start_storescp "$OUT" +B +xi
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$CORPUS/ts"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	one_line_per_input "$BATS_TEST_TMPDIR/res" "$(ls "$CORPUS/ts" | wc -l)"
	[ "$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")" -eq "$(ls "$CORPUS/ts" | wc -l)" ]
	assert_line --regexp $'^0000\t.*/jpeg-baseline\\.dcm\t.*transcoded to ImplicitVRLittleEndian$'
	assert_line --regexp $'^0000\t.*/j2k-lossless\\.dcm\t.*transcoded to ImplicitVRLittleEndian$'
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq "$(ls "$CORPUS/ts" | wc -l)" ]
	for f in "$OUT"/*; do
		[ "$("$CSTORE_TOOLS/dcm-dataset" -u "$f" | cut -f3)" = 1.2.840.10008.1.2 ]
	done
}

@test "dcmsend --no-transcode: a peer accepting only Implicit VR LE refuses compressed files, exit 1" {
	start_storescp "$OUT" +B +xi
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --no-transcode --json 127.0.0.1 "$SCP_PORT" "$CORPUS/ts"
	[ "$(jq -r 'select(.path | endswith("/jpeg-baseline.dcm")) | .status' <<<"$output")" = nocontext ]
	[ "$(jq -r 'select(.path | endswith("/implicit-le.dcm")) | .status' <<<"$output")" = 0000 ]
	[ "$(jq -r 'select(.transcoded) | .path' <<<"$output")" = "" ]
	[[ $(jq -r 'select(.status == "nocontext") | .detail' <<<"$output" | head -1) == *"--no-transcode"* ]]
}

@test "dcmsend: only classes the peer lacks: nothing acceptable, exit 4" {
	start_storescp "$OUT" +B
	run -4 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$CORPUS/sop/ColorPaletteStorage.dcm"
	# the uncompressed context and Deflated alone
	assert_output --regexp $'^nocontext\t.*ColorPaletteStorage\\.dcm\t.*accepted none of the 3 presentation contexts'
	[[ $stderr == *"accepted none"* ]]
}

@test "dcmsend -j 4 --json: four associations at once, whole lines, everything arrives" {
	start_storescp "$OUT" +B +xa
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -j 4 --json 127.0.0.1 "$SCP_PORT" "$CORPUS/ts" "$CORPUS/odd"
	n=$(find "$CORPUS/ts" "$CORPUS/odd" -type f | wc -l)
	[ "$(jq -c . <<<"$output" | wc -l)" -eq "$n" ]
	[ "$(jq -r .association <<<"$output" | sort -u | wc -l)" -ge 4 ]
	jq -r '[.status, .path, .sop_class_uid, .sop_instance_uid, (if .transcoded then "transcoded to" else "" end)] | @tsv' \
		<<<"$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq "$n" ]
}

@test "dcmsend -0: paths from find -print0 on stdin" {
	start_storescp "$OUT" +B +xa
	run -0 --separate-stderr bash -c "find '$CORPUS/ts' -type f -print0 | '$CSTORE_BIN/dcmsend' -0 127.0.0.1 $SCP_PORT"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq "$(ls "$CORPUS/ts" | wc -l)" ]
}

@test "dcmsend: storescp killed mid-transfer: the lines say what was stored, exit 5; --resume sends the rest" {
	start_storescp "$OUT" +B +xa -pm --sleep-after 1
	"$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$CORPUS/ts" >"$BATS_TEST_TMPDIR/res" 2>"$BATS_TEST_TMPDIR/err" &
	send=$!
	for i in $(seq 100); do
		[ "$(ls "$OUT" | wc -l)" -ge 2 ] && break
		sleep 0.05
	done
	kill -KILL "$SCP_PID"
	rc=0
	wait "$send" || rc=$?
	[ "$rc" -eq 5 ]
	n=$(ls "$CORPUS/ts" | wc -l)
	one_line_per_input "$BATS_TEST_TMPDIR/res" "$n"
	stored=$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")
	[ "$stored" -ge 1 ]
	[ "$(grep -c $'^aborted\t' "$BATS_TEST_TMPDIR/res")" -eq 1 ]
	[ "$(grep -c $'^notsent\t' "$BATS_TEST_TMPDIR/res")" -eq $((n - stored - 1)) ]
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq "$stored" ]
	# the re-run sends only what is missing
	start_storescp "$BATS_TEST_TMPDIR/in2" +B +xa -pm
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --resume "$BATS_TEST_TMPDIR/res" 127.0.0.1 "$SCP_PORT" "$CORPUS/ts"
	[ "$(grep -c $'^resumed\t' <<<"$output")" -eq "$stored" ]
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq $((n - stored)) ]
	[ "$(ls "$BATS_TEST_TMPDIR/in2" | wc -l)" -eq $((n - stored)) ]
}

@test "dcmsend: storescp aborting at the first C-STORE: aborted, the rest not sent, exit 5" {
	start_storescp "$OUT" +xa --abort-after
	run -5 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$CORPUS/ts/explicit-le.dcm" "$CORPUS/ts/rle.dcm"
	assert_line --regexp $'^aborted\t.*explicit-le\\.dcm\t.*aborted'
	assert_line --regexp $'^notsent\t.*rle\\.dcm\t'
}

@test "dcmsend --dry-run --probe: which contexts a +xi storescp accepts, over several associations" {
	start_storescp "$OUT" +xi
	# exit 1 as the real send: the classes storescp lacks are nocontext
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --probe 127.0.0.1 "$SCP_PORT" "${IN[@]}"
	[ "$(grep -c $'^association\t' <<<"$output")" -ge 2 ]
	[ "$(grep -c $'^nocontext\t' <<<"$output")" -ge 1 ]
	[ "$(grep $'^nocontext\t' <<<"$output" | grep -vc $'\tthe peer does not accept SOP class [A-Za-z0-9]*$')" -eq 0 ]
	[ "$(grep -c $'^\\(planned\\|nocontext\\)\t' <<<"$output")" -eq "$NIN" ]
	assert_line --regexp $'^context\t[0-9]+\t[0-9]+\t1\\.2\\.840\\.10008\\.5\\.1\\.4\\.1\\.1\\.7\t.*\taccepted 1\\.2\\.840\\.10008\\.1\\.2$'
	assert_line --regexp $'^context\t.*\t1\\.2\\.840\\.10008\\.1\\.2\\.4\\.50\trejected \\(4\\)$'
	[ "$(ls "$OUT" | wc -l)" -eq 0 ]
}

@test "dcmsend: a 100 MB object streams through in flat memory, byte for byte" {
	python3 "$CSTORE_ROOT/tests/tools/mkbig" "$BATS_TEST_TMPDIR/big.dcm" 100
	start_storescp "$OUT" +B +xa
	run -0 --separate-stderr /usr/bin/time -f 'maxrss %M' "$CSTORE_BIN/dcmsend" 127.0.0.1 "$SCP_PORT" "$BATS_TEST_TMPDIR/big.dcm"
	assert_output --regexp $'^0000\t'
	[ "$(ds_sum "$BATS_TEST_TMPDIR/big.dcm")" = "$(ds_sum "$OUT"/*)" ]
	rss=$(sed -n 's/^maxrss //p' <<<"$stderr")
	echo "max RSS $rss KB"
	if [ -z "${CSTORE_SANITIZE:-}" ]; then
		[ "$rss" -lt 20480 ]
	fi
}

@test "dcmsend: valgrind finds no error or leak sending with -j 2 and transcoding" {
	require_cmd valgrind
	[ -z "${CSTORE_SANITIZE:-}" ] || skip "valgrind cannot run a sanitizer build"
	start_storescp "$OUT" +xi
	run -0 --separate-stderr valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		"$CSTORE_BIN/dcmsend" -j 2 127.0.0.1 "$SCP_PORT" "$CORPUS/ts/explicit-le.dcm" \
		"$CORPUS/ts/rle.dcm" "$CORPUS/ts/jpeg-lossless-sv1.dcm" "$CORPUS/ts/implicit-le.dcm"
	[ "$(grep -c $'^0000\t' <<<"$output")" -eq 4 ]
}

@test "dcmsend: every transfer syntax to DCMTK dcmrecv +B arrives byte for byte" {
	require_cmd /usr/bin/dcmrecv
	mkdir -p "$OUT"
	start_on_free_port "$BATS_TEST_TMPDIR/dcmrecv.log" env TCP_NODELAY=1 \
		/usr/bin/dcmrecv -xf /etc/dcmtk/storescp.cfg Default +B -od "$OUT" "{PORT}"
	port=$SERVER_PORT
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$port" "$CORPUS/ts" "$CORPUS/odd"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	n=$(find "$CORPUS/ts" "$CORPUS/odd" -type f | wc -l)
	one_line_per_input "$BATS_TEST_TMPDIR/res" "$n"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq "$n" ]
}

@test "dcmsend: a peer with a 4096-byte max PDU gets many fragments, bytes intact" {
	start_storescp "$OUT" +B +xa -pdu 4096
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --max-pdu 4096 127.0.0.1 "$SCP_PORT" "$CORPUS/ts"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq "$(ls "$CORPUS/ts" | wc -l)" ]
}

# storescp without --fork serves one association at a time: the other
# lanes' requests wait in its backlog unanswered.  They failed after
# --acse-timeout (notsent, exit 3); now a lane whose request fails while
# another association of the run is open tries again once one ends.
@test "dcmsend -j 3: storescp serving one association at a time gets every file, byte for byte, exit 0" {
	start_storescp "$OUT" +B --sleep-after 1
	local files
	files=$(ls "$CORPUS"/sop/*.dcm | head -12)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -v -j 3 --acse-timeout 2 127.0.0.1 "$SCP_PORT" $files
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/res"
	[ "$(grep -c $'^0000\t' "$BATS_TEST_TMPDIR/res")" -eq 12 ]
	[ "$(check_arrived "$BATS_TEST_TMPDIR/res" "$OUT")" -eq 12 ]
	[ "$(ls "$OUT" | wc -l)" -eq 12 ]
}

# storescp +xi refuses an Explicit VR CT context for its transfer syntax
# (PS3.8 result 4), not its class: the line said "does not accept SOP
# class CTImageStorage", sending the reader to the wrong setting.
@test "dcmsend --no-transcode: a class whose contexts storescp refuses for their syntax is said so, not as a class it lacks" {
	start_storescp "$OUT" +B +xi
	run -1 --separate-stderr "$CSTORE_BIN/dcmsend" --no-transcode 127.0.0.1 "$SCP_PORT" \
		"$CORPUS/ts/implicit-le.dcm" "$CORPUS/sop/CTImageStorage.dcm"
	assert_line --regexp $'^0000\t.*/implicit-le\\.dcm\t'
	assert_line --regexp $'^nocontext\t.*/CTImageStorage\\.dcm\t.*\tthe peer does not accept the transfer syntaxes proposed for SOP class CTImageStorage \\(ExplicitVRLittleEndian, --no-transcode\\)$'
	[ "$(ls "$OUT" | wc -l)" -eq 1 ]
	cmp <("$CSTORE_TOOLS/dcm-dataset" "$CORPUS/ts/implicit-le.dcm") <("$CSTORE_TOOLS/dcm-dataset" "$OUT"/*)
}
