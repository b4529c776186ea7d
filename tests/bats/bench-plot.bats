#!/usr/bin/env bats
# scripts/bench-plot: the pictures of docs/performance.md, drawn from a
# fixed JSON of scripts/bench (tests/data/bench-plot.json: a size sweep
# with a pair that did not run, a failed point and a name with XML and
# gnuplot quoting in it; scaling series with a point and a series
# missing).  Nothing is measured.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers

setup() {
	require_cmd gnuplot
	require_cmd jq
	require_cmd python3
	FIX=$CSTORE_ROOT/tests/data/bench-plot.json
	OUT=$BATS_TEST_TMPDIR/out
}

# series FILE: fails unless FILE is well-formed XML; prints one line per
# series drawn, "NAME<TAB>points" (its <use> marks, less the key's), and
# the "not in this run: ..." lines, as the text reads once unescaped
series() {
	if command -v xmllint >/dev/null 2>&1; then
		xmllint --noout "$1" || return 1
	fi
	python3 - "$1" <<-'PY'
	import sys, xml.etree.ElementTree as ET
	ns = "{http://www.w3.org/2000/svg}"
	root = ET.parse(sys.argv[1]).getroot()
	for g in root.iter(ns + "g"):
	    if g.get("id", "").startswith("gnuplot_plot_"):
	        names = ["".join(t.itertext()) for t in g.iter(ns + "text")]
	        uses = len(list(g.iter(ns + "use")))
	        print("%s\t%d" % (names[0] if names else "(no name)", uses - 1))
	for t in root.iter(ns + "text"):
	    s = "".join(t.itertext())
	    if s.startswith("not in this run: "):
	        print(s)
	PY
}

@test "bench-plot: each SVG is well-formed XML and draws and names every series of the JSON" {
	run -0 "$CSTORE_ROOT/scripts/bench-plot" --json "$FIX" --out "$OUT"
	assert_line "bench-plot: $OUT/bench-size.svg"
	assert_line "bench-plot: $OUT/bench-rss.svg"
	assert_line "bench-plot: $OUT/bench-scaling.svg"
	raw="limit: \"raw\" & it's <read/write>"
	dcmtk="DCMTK storescu → storescp, best"
	for f in bench-size bench-rss; do
		run -0 series "$OUT/$f.svg"
		assert_output "$(printf '%s\t3\n%s\t3\n%s\t2\n%s\n%s' "ours → ours" \
			"limit: sendfile, file + ack" "$raw" \
			"not in this run: $dcmtk (n/a: needs a private network namespace (root))" \
			"not in this run: $raw, 1 MB (FAILED: run 1: 19 of 20 files)")"
	done
	run -0 series "$OUT/bench-scaling.svg"
	assert_output "$(printf '%s\t3\n%s\t3\n%s\n%s' "one dcmsend -j N" \
		"N dcmsend at once → one dcmrecv" \
		"not in this run: N dcmsend at once → one dcmrecv, N = 4 (not run)" \
		"not in this run: N dcmsend at once → 2 dcmrecv --reuse-port (n/a: skipped (time budget))")"
	# every series the JSON names is drawn or said to be missing
	for f in bench-size:'.extra.size_sweep.pairs[]' bench-scaling:'.extra.scaling.series[].name'; do
		series "$OUT/${f%%:*}.svg" >"$BATS_TEST_TMPDIR/s"
		jq -r "${f#*:}" "$FIX" | while read -r name; do
			awk -F'\t' -v n="$name" '($1 == n && NF == 2) || index($0, "not in this run: " n " (") == 1 { f = 1 }
				END { exit !f }' "$BATS_TEST_TMPDIR/s" ||
				{ echo "series '$name' neither drawn nor named in ${f%%:*}.svg"; return 1; }
		done
	done
	# the object sizes: mean bytes per file of each corpus of the sweep
	run -0 grep -cF '<text>object size; files per point: 200 × 4.4 KB, 20 × 1 MB, 2 × 104.9 MB</text>' "$OUT/bench-size.svg"
}

@test "bench-plot: a series whose results are gone is named under the plot, not drawn" {
	jq '.results |= map(select(.pair != "ours → ours" or .corpus == "small"))' "$FIX" >"$BATS_TEST_TMPDIR/j.json"
	run -0 "$CSTORE_ROOT/scripts/bench-plot" --json "$BATS_TEST_TMPDIR/j.json" --out "$OUT"
	run -0 series "$OUT/bench-size.svg"
	refute_line --partial "ours → ours	"
	assert_line "not in this run: ours → ours (not run)"
	assert_line --partial "limit: sendfile, file + ack	3"
}

@test "bench-plot: a JSON from an older bench (no sweep, no scaling) draws nothing and says so" {
	jq 'del(.extra.size_sweep, .extra.scaling)' "$FIX" >"$BATS_TEST_TMPDIR/old.json"
	run -1 --separate-stderr "$CSTORE_ROOT/scripts/bench-plot" --json "$BATS_TEST_TMPDIR/old.json" --out "$OUT"
	[[ "$stderr" == *"no size sweep in"* ]]
	[[ "$stderr" == *"nothing drawn"* ]]
	[ ! -e "$OUT/bench-size.svg" ] && [ ! -e "$OUT/bench-scaling.svg" ]
	run -2 "$CSTORE_ROOT/scripts/bench-plot" --bogus
	run -1 "$CSTORE_ROOT/scripts/bench-plot" --json "$CSTORE_ROOT/README.md" --out "$OUT"
}
