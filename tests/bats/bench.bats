#!/usr/bin/env bats
# The benchmark's own programs (bench/*.c): its verification must be right,
# or every "verified" in the bench's table means nothing.  No speed here.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers

setup() {
	BT=$(cd "${CSTORE_TOOLS:-$CSTORE_ROOT/build/tests/tools}/../.." && pwd)/bench
	[ -x "$BT/dsum" ] || skip "bench tools not built (make bench-tools)"
	W=$BATS_TEST_TMPDIR
	mkdir -p "$W/c"
	"$BT/gencorpus" "$W/c" 3 16 16 2 7
}

@test "gencorpus writes distinct Part 10 files that dcmdump reads" {
	require_cmd dcmdump
	run -0 dcmdump -q +P 0008,0018 "$W/c/000001.dcm" "$W/c/000003.dcm"
	assert_line --index 0 --partial '2.25.32980073569858662929564070000001'
	assert_line --index 1 --partial '2.25.32980073569858662929564070000003'
	run -0 dcmdump -q +P 0028,0008 "$W/c/000002.dcm"
	assert_output --partial '[2]'
}

@test "dsum of a Part 10 file is the checksum of its data set alone" {
	[ -x "${CSTORE_TOOLS:-}/dcm-dataset" ] || skip "dcm-dataset not built"
	"$CSTORE_TOOLS/dcm-dataset" "$W/c/000001.dcm" >"$W/ds.bin"
	run -0 "$BT/dsum" "$W/c/000001.dcm"
	whole=$output
	run -0 "$BT/dsum" "$W/ds.bin"
	assert_output "$whole"
	assert_output --regexp "^[0-9a-f]{16} $(stat -c %s "$W/ds.bin")\$"
}

@test "dsum ignores the meta header but tells one changed data set byte" {
	run -0 "$BT/dsum" "$W/c/000002.dcm"
	before=$output
	cp "$W/c/000002.dcm" "$W/m.dcm"
	# a different implementation version name (0002,0013), same length
	sed -i 's/CSTORE_BENCH/CSTORE_OTHER/' "$W/m.dcm"
	run -0 "$BT/dsum" "$W/m.dcm"
	assert_output "$before"
	size=$(stat -c %s "$W/m.dcm")
	printf '\377' | dd of="$W/m.dcm" bs=1 seek=$((size - 5)) conv=notrunc status=none
	run -0 "$BT/dsum" "$W/m.dcm"
	refute_output "$before"
}

@test "dsum -c of files is the checksum of their concatenation" {
	cat "$W"/c/*.dcm >"$W/all.bin"
	run -0 "$BT/dsum" -c "$W"/c/*.dcm
	all=$output
	run -0 "$BT/dsum" -c "$W/all.bin"
	assert_output "$all"
	run -0 bash -c "ls '$W'/c/*.dcm | '$BT/dsum' -c -"
	assert_output "$all"
}

@test "dsum fails on a missing file" {
	run -1 --separate-stderr "$BT/dsum" "$W/none.dcm"
	assert_output ''
	[[ "$stderr" == *none.dcm* ]]
}

@test "rawsend and rawrecv carry every file byte for byte, with acks and as one stream" {
	ls "$W"/c/*.dcm >"$W/list"
	mkdir -p "$W/o" "$W/s"
	"$BT/rawrecv" "$W/port" "$W/o" &
	track_pid $!
	"$BT/rawrecv" -s "$W/port2" "$W/s" &
	track_pid $!
	for i in $(seq 50); do [ -s "$W/port" ] && [ -s "$W/port2" ] && break; sleep 0.1; done
	run -0 timeout 20 "$BT/rawsend" "$(cat "$W/port")" "$W/list"
	run -0 timeout 20 "$BT/rawsend" -s "$(cat "$W/port2")" "$W/list"
	run -0 bash -c "'$BT/dsum' '$W'/o/* | sort"
	got=$output
	run -0 bash -c "'$BT/dsum' - <'$W/list' | sort"
	assert_output "$got"
	run -0 "$BT/dsum" -c "$W"/s/*
	got=$output
	run -0 "$BT/dsum" -c - <"$W/list"
	assert_output "$got"
}

@test "rawrecv -z (splice) stores every file byte for byte, from rawsend -c" {
	ls "$W"/c/*.dcm >"$W/list"
	mkdir -p "$W/z"
	"$BT/rawrecv" -z "$W/port" "$W/z" &
	track_pid $!
	for i in $(seq 300); do [ -s "$W/port" ] && break; sleep 0.1; done
	[ -s "$W/port" ] || fail "rawrecv -z did not write its port in 30 s"
	run -0 timeout 20 "$BT/rawsend" -c "$(cat "$W/port")" "$W/list"
	run -0 timeout 20 "$BT/rawsend" -c "$(cat "$W/port")" "$W/list"
	n=0
	for conn in 1 2; do
		i=0
		while read -r f; do
			i=$((i + 1))
			cmp "$f" "$W/z/$conn-$i.raw"
			n=$((n + 1))
		done <"$W/list"
	done
	[ "$n" -eq 6 ]
	[ "$(find "$W/z" -type f | wc -l)" -eq 6 ]
}
