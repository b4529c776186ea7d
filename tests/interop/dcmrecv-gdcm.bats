#!/usr/bin/env bats
# dcmrecv with GDCM's gdcmscu as the sender.  Debian's gdcmscu throws at
# association release (after everything was sent), so its exit status
# means nothing: what arrived is compared with what DCMTK's bit-preserving
# storescp +B receives from the same gdcmscu command.  gdcmscu stops at
# the first Deflated file, so none is sent.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load ../bats/helpers
load ../bats/dcmrecv-helpers

setup_file() {
	corpus_setup_file
}

setup() {
	corpus_peer_setup /usr/bin/gdcmscu /usr/bin/storescp
}

# gdcm_send PORT FILE (through sh, which keeps bash's "Aborted" note quiet)
gdcm_send() {
	sh -c '"$@" >>"$0" 2>&1; exit 0' "$BATS_TEST_TMPDIR/gdcmscu.log" \
		timeout 60 /usr/bin/gdcmscu --store --aetitle GDCMSCU --call DCMRECV \
		-i "$2" 127.0.0.1 "$1" 2>/dev/null
}

@test "dcmrecv-gdcm: gdcmscu --store, every transfer syntax and a SOP class sample; data sets as sent" {
	start_storescp "$BATS_TEST_TMPDIR/ref" +B +xa -pm
	start_dcmrecv
	local files=() f n=0 i=0 iuid ours
	for f in "$CORPUS"/ts/*.dcm; do
		[[ $f == */deflated.dcm ]] || files+=("$f")
	done
	for f in "$CORPUS"/sop/*.dcm; do
		i=$((i + 1))
		[ $((i % 8)) -eq 0 ] && files+=("$f")
	done
	for f in "${files[@]}"; do
		gdcm_send "$SCP_PORT" "$f"
		gdcm_send "$RECV_PORT" "$f"
	done
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	for f in "$BATS_TEST_TMPDIR"/ref/*; do
		iuid=${f##*/}
		iuid=${iuid#*.}
		ours=$RECV_DIR/$iuid.dcm
		same_dataset "$f" "$ours"
		[ "$(meta_value "$f" 0002,0010)" = "$(meta_value "$ours" 0002,0010)" ]
		[ "$(meta_value "$ours" 0002,0016)" = GDCMSCU ]
		/usr/bin/gdcmdump "$ours" >/dev/null
		/usr/bin/dcmdump -q "$ours" >/dev/null
		n=$((n + 1))
	done
	echo "compared $n files" >&3
	[ "$n" -ge 15 ]
	[ "$(ls "$RECV_DIR" | wc -l)" -eq "$n" ]
	[ "$(wc -l <"$RECV_STDOUT")" -eq "$n" ]
	no_temporaries "$RECV_DIR"
}

@test "dcmrecv-gdcm: gdcmscu stores every transfer syntax unchanged: data set equals the source file's" {
	start_dcmrecv
	local f iuid n=0
	for f in "$CORPUS"/ts/*.dcm; do
		[[ $f == */deflated.dcm ]] && continue
		gdcm_send "$RECV_PORT" "$f"
		iuid=$(meta_value "$f" 0008,0018)
		same_dataset "$f" "$RECV_DIR/$iuid.dcm"
		[ "$(meta_value "$f" 0002,0010)" = "$(meta_value "$RECV_DIR/$iuid.dcm" 0002,0010)" ]
		n=$((n + 1))
	done
	stop_dcmrecv
	[ "$n" -ge 11 ]
}
