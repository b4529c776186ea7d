#!/usr/bin/env bats
# Sharding a large push (docs/scale-out.md, "Senders past one machine"):
# the list split into shards, the shards sent at once with xargs -P,
# each with its own log, a re-run of every shard with --resume on its
# own log, and the merged log.  Steps 1-4 are the page's commands, the
# archive being our dcmrecv on 127.0.0.1 (and our dcmsend first in PATH:
# DCMTK has a dcmsend too).
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

setup() {
	GEN=$(cd "${CSTORE_TOOLS:-$CSTORE_ROOT/build/tests/tools}/../.." && pwd)/bench/gencorpus
	[ -x "$GEN" ] || skip "bench tools not built (make test-tools)"
	W=$BATS_TEST_TMPDIR
	mkdir -p "$W/data"
	"$GEN" "$W/data" 200 16 16 1 21
	PATH=$CSTORE_BIN:$PATH
}

@test "dcmsend sharding: 8 shards by xargs -P 4, a failed first pass, --resume per shard: every file once, the merged log all stored" {
	# the archive refuses every 7th object the first time (C000: not
	# stored, not retried)
	RECV_DIR=$W/in start_dcmrecv --respond-every 7:C000
	cd "$W"
	port=$RECV_PORT

	# 1.
	find data -name '*.dcm' >all.list
	split -n r/8 -d all.list shard.
	[ "$(printf '%s\n' shard.??)" = "$(printf 'shard.%02d\n' 0 1 2 3 4 5 6 7)" ]
	[ "$(cat shard.?? | sort | cmp - <(sort all.list) && echo same)" = same ]

	# 2. (-c ARCHIVE pacs 104 in the page)
	run -123 bash -c "printf '%s\n' shard.?? |
		xargs -P 4 -I{} sh -c 'dcmsend -j 2 --retry 3 127.0.0.1 $port - <{} >{}.log'"
	[ "$(cat shard.??.log | wc -l)" -eq 200 ]
	refused=$(cut -f1 shard.??.log | grep -c '^C000$')
	[ "$refused" -eq 28 ]
	stop_dcmrecv
	mv "$RECV_STDOUT" "$W/first.out"

	# the archive is well again
	RECV_DIR=$W/in start_dcmrecv
	port=$RECV_PORT

	# 3.
	for s in shard.??; do
		dcmsend -j 2 --retry 3 --resume "$s.log" 127.0.0.1 "$port" - <"$s" >>"$s.log"
	done
	[ "$(grep -c '^resumed' shard.??.log | awk -F: '{ n += $2 } END { print n }')" -eq 172 ]

	# 4.
	cat shard.??.log | awk -F '\t' '$1 != "resumed" { last[$2] = $0 }
		END { for (p in last) print last[p] }' | sort -t "$(printf '\t')" -k2,2 >push.log
	run -1 grep -c -v -P '^(0000|0001|0107|0116|B[0-9A-F]{3})\t' push.log
	assert_output 0
	[ "$(wc -l <push.log)" -eq 200 ]
	[ "$(cut -f2 push.log)" = "$(sort all.list)" ]

	# each file reached the archive once, byte for byte: the refused
	# ones in the second pass, no other sent again
	stop_dcmrecv
	[ "$(wc -l <"$RECV_STDOUT")" -eq "$refused" ]
	[ "$(cat first.out "$RECV_STDOUT" | cut -f1 | sort -u | wc -l)" -eq 200 ]
	[ "$(find "$W/in" -type f | wc -l)" -eq 200 ]
	python3 "$CSTORE_ROOT/tests/bats/same-datasets.py" "$W/in" <push.log
}
