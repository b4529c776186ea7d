#!/usr/bin/env bats
# cli: the conventions every tool in $CSTORE_BIN follows (STYLE.md 3.9):
# --help on stdout with exit 0, --version naming cstore, an unknown
# option exits 2 with the hint on stderr and nothing on stdout.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers
bats_require_minimum_version 1.5.0

tools() {
	local t
	for t in "$CSTORE_BIN"/*; do
		[ -f "$t" ] && [ -x "$t" ] && echo "$t"
	done
}

@test "there are tools to check" {
	[ -n "$(tools)" ]
}

@test "--help prints the usage on stdout and exits 0" {
	local t
	for t in $(tools); do
		run -0 --separate-stderr "$t" --help
		[[ ${lines[0],,} == "usage: $(basename "$t")"* ]] || { echo "$t: ${lines[0]}"; return 1; }
		[ -z "$stderr" ] || { echo "$t wrote to stderr: $stderr"; return 1; }
	done
}

# Before: seven lines of dcmsend's wrapped on an 80-column terminal.
@test "--help fits an 80-column terminal: no line longer than 80 characters" {
	local t
	for t in $(tools); do
		run -0 awk 'length($0) > 80 { print FILENAME ": " length($0) ": " $0 }' \
			<("$t" --help)
		[ -z "$output" ] || { echo "$t: $output" >&2; return 1; }
	done
}

@test "--version prints a first line with (cstore) and exits 0" {
	local t
	for t in $(tools); do
		run -0 --separate-stderr "$t" --version
		[[ ${lines[0]} == "$(basename "$t") (cstore) "* ]] || { echo "$t: ${lines[0]}"; return 1; }
	done
}

@test "--help and --version that cannot be written exit 6 with a message, never 0" {
	local t a
	[ -w /dev/full ] || skip "no /dev/full"
	for t in $(tools); do
		for a in --help --version; do
			run --separate-stderr bash -c '"$0" "$1" >/dev/full' "$t" "$a"
			[ "$status" -eq 6 ] || { echo "$t $a: exit $status" >&2; return 1; }
			[[ $stderr == *"cannot write"* ]] || { echo "$t $a: $stderr" >&2; return 1; }
		done
	done
}

@test "output past the file size limit (ulimit -f, SIGXFSZ) exits 6 with a message, not killed by the signal" {
	local t a
	for t in $(tools); do
		for a in --help --version; do
			# standard error through a pipe: the limit is for regular files
			run --separate-stderr bash -c '(ulimit -f 0 && exec "$0" "$1" >"$2") 2>&1 | cat >&2; exit "${PIPESTATUS[0]}"' \
				"$t" "$a" "$BATS_TEST_TMPDIR/out"
			[ "$status" -eq 6 ] || { echo "$t $a: exit $status" >&2; return 1; }
			[[ $stderr == *"cannot write"*"File too large"* ]] || { echo "$t $a: $stderr" >&2; return 1; }
		done
	done
}

# sends_list N: the first N files of the corpus's sop/ copied into
# $BATS_TEST_TMPDIR/in, their paths into $BATS_TEST_TMPDIR/list
sends_list() {
	local corpus
	corpus=$(corpus_dir)
	mkdir -p "$BATS_TEST_TMPDIR/in"
	find "$corpus/sop" -name '*.dcm' | sort | head -"$1" | xargs -d '\n' cp -t "$BATS_TEST_TMPDIR/in"
	find "$BATS_TEST_TMPDIR/in" -name '*.dcm' | sort >"$BATS_TEST_TMPDIR/list"
}

@test "dcmsend -v with standard error closed (2>&-) sends every file: no diagnostic goes into the association's socket" {
	sends_list 20
	start_dcmrecv
	# before: the second association's socket took descriptor 2 (the
	# first one's files closed), its -v line went into it, the peer
	# aborted (unrecognized PDU): exit 5, 15 files not stored
	run --separate-stderr bash -c '"$0" -v --per-assoc 5 127.0.0.1 "$1" "$2" 2>&-' \
		"$CSTORE_BIN/dcmsend" "$RECV_PORT" "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ] || { echo "exit $status: $output" >&2; return 1; }
	[ "$(cut -f1 <<<"$output" | sort | uniq -c | awk '{ print $1, $2 }')" = "20 0000" ]
	[ "$(same_datasets_by_uid "$BATS_TEST_TMPDIR/list" "$BATS_TEST_TMPDIR/out")" = 20 ]
}

@test "dcmsend with standard output closed (>&-) exits 6 'cannot write the results', every file still sent whole" {
	sends_list 20
	start_dcmrecv
	# before: a socket took descriptor 1 and the result lines were
	# written into it (the error said "Operation now in progress")
	run --separate-stderr bash -c '"$0" --per-assoc 5 127.0.0.1 "$1" "$2" >&-' \
		"$CSTORE_BIN/dcmsend" "$RECV_PORT" "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 6 ] || { echo "exit $status: $stderr" >&2; return 1; }
	[[ $stderr == *"dcmsend: cannot write the results: Bad file descriptor"* ]] || { echo "$stderr" >&2; return 1; }
	[[ $stderr == *"dcmsend: 20 stored, 0 with warning, 0 failed"* ]] || { echo "$stderr" >&2; return 1; }
	[ "$(same_datasets_by_uid "$BATS_TEST_TMPDIR/list" "$BATS_TEST_TMPDIR/out")" = 20 ]
}

@test "dcmrecv -v with standard input and error closed (<&- 2>&-) answers at once and stores every file" {
	local pf=$BATS_TEST_TMPDIR/port i
	sends_list 5
	mkdir -p "$BATS_TEST_TMPDIR/out"
	# before: its wake-up pipe took descriptor 2, and each log line
	# waited 30 s for it to become writable: no association answered
	"$CSTORE_BIN/dcmrecv" -v -o "$BATS_TEST_TMPDIR/out" --port-file "$pf" 127.0.0.1:0 \
		>"$BATS_TEST_TMPDIR/recv.out" <&- 2>&- &
	RECV_PID=$!
	track_pid "$RECV_PID"
	for i in $(seq 100); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	run --separate-stderr "$CSTORE_BIN/dcmsend" --acse-timeout 20 --dimse-timeout 20 \
		127.0.0.1 "$(cat "$pf")" - <"$BATS_TEST_TMPDIR/list"
	[ "$status" -eq 0 ] || { echo "exit $status: $stderr" >&2; return 1; }
	[ "$(same_datasets_by_uid "$BATS_TEST_TMPDIR/list" "$BATS_TEST_TMPDIR/out")" = 5 ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/recv.out")" -eq 5 ]
}

@test "dcmrecv with standard error closed (2>&-): --exec commands run, and what they write there is dropped, not an error" {
	local pf=$BATS_TEST_TMPDIR/port i
	sends_list 3
	mkdir -p "$BATS_TEST_TMPDIR/out"
	# the command's standard output is dcmrecv's standard error: it
	# must take the line (set -e: a failed echo stops the command)
	"$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR/out" --port-file "$pf" \
		--exec sh -ec 'echo "stored $1"; echo "$1" >>"$2"' sh {} "$BATS_TEST_TMPDIR/ran" ';' \
		127.0.0.1:0 >"$BATS_TEST_TMPDIR/recv.out" 2>&- &
	RECV_PID=$!
	track_pid "$RECV_PID"
	for i in $(seq 100); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$(cat "$pf")" - <"$BATS_TEST_TMPDIR/list"
	for i in $(seq 100); do
		[ "$(wc -l <"$BATS_TEST_TMPDIR/ran" 2>/dev/null)" = 3 ] && break
		sleep 0.05
	done
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(sort "$BATS_TEST_TMPDIR/ran")" = "$(cut -f1 "$BATS_TEST_TMPDIR/recv.out" | sort)" ]
}

@test "a closed standard input is still read as closed (EBADF), by every tool that reads it" {
	run -2 --separate-stderr bash -c '"$0" <&-' "$CSTORE_BIN/status-explain"
	[ "$stderr" = "status-explain: cannot read standard input: Bad file descriptor" ]
	run -2 --separate-stderr bash -c '"$0" <&-' "$CSTORE_BIN/sopclass-lookup"
	[ "$stderr" = "sopclass-lookup: cannot read standard input: Bad file descriptor" ]
	run -2 --separate-stderr bash -c '"$0" 127.0.0.1 9 - <&-' "$CSTORE_BIN/dcmsend"
	[[ $stderr == *"cannot read the list of files: Bad file descriptor"* ]] || { echo "$stderr" >&2; return 1; }
}

@test "dcmsend: a list on standard input that cannot be read (a directory) is no input at all: exit 2, as for the other tools" {
	# before: exit 1, 'some inputs not stored', though nothing was read
	run -2 --separate-stderr bash -c '"$0" 127.0.0.1 9 - <"$1"' "$CSTORE_BIN/dcmsend" "$BATS_TEST_TMPDIR"
	assert_output ""
	[ "$stderr" = "dcmsend: cannot list the inputs: cannot read the list of files: Is a directory" ]
	run -2 --separate-stderr bash -c '"$0" <"$1"' "$CSTORE_BIN/sopclass-lookup" "$BATS_TEST_TMPDIR"
	[ "$stderr" = "sopclass-lookup: cannot read standard input: Is a directory" ]
}

@test "an unknown long option exits 2, hint on stderr, nothing on stdout" {
	local t
	for t in $(tools); do
		run -2 --separate-stderr "$t" --no-such-option-anywhere
		[ -z "$output" ] || { echo "$t wrote to stdout: $output"; return 1; }
		[[ $stderr == *"Try '$(basename "$t") --help'."* ]] || { echo "$t: $stderr"; return 1; }
	done
}

@test "getopt's own messages name the program as DCMTK and coreutils do, not the path it was run by" {
	local t n
	for t in $(tools); do
		n=$(basename "$t")
		run -2 --separate-stderr "$t" --no-such-option-anywhere
		[[ ${stderr_lines[0]} == "$n: unrecognized option '--no-such-option-anywhere'" ]] || { echo "$t: $stderr"; return 1; }
		run -2 --separate-stderr "$t" -Z
		[[ ${stderr_lines[0]} == "$n: invalid option -- 'Z'" ]] || { echo "$t: $stderr"; return 1; }
	done
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" -a
	[ "${stderr_lines[0]}" = "dcmsend: option requires an argument -- 'a'" ]
}

@test "an unknown short option exits 2 too" {
	local t
	for t in $(tools); do
		run -2 --separate-stderr "$t" -Z
		[ -z "$output" ] || { echo "$t wrote to stdout: $output"; return 1; }
		[[ $stderr == *"--help"* ]] || { echo "$t: $stderr"; return 1; }
	done
}

# DCMTK's -q/-v (echoscu -q -v is verbose, -v -q quiet): the last
# given counts.  Before: both at once, -q silently ignored by -v's
# notes or -v by -q's silence depending on the message.
@test "-q and -v given together: the last one counts, in dcmsend and dcmrecv" {
	require_netns
	local f port
	f=$(corpus_dir)/$(awk -F'\t' 'NR > 1 { print $1; exit }' "$(corpus_dir)/MANIFEST.tsv")
	port=$(free_port)
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" -v -q 127.0.0.1 "$port" "$f"
	[ "$stderr" = "dcmsend: cannot connect to '127.0.0.1' port $port: Connection refused" ]
	run -3 --separate-stderr "$CSTORE_BIN/dcmsend" -q -v 127.0.0.1 "$port" "$f"
	[[ $stderr == *"0 stored, 0 with warning, 1 failed"* ]]
	run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmrecv" -v -q -o "$BATS_TEST_TMPDIR" \
		--idle-timeout 1 127.0.0.1:0
	[ -z "$stderr" ]
	run -0 --separate-stderr timeout 20 "$CSTORE_BIN/dcmrecv" -q -v -o "$BATS_TEST_TMPDIR" \
		--idle-timeout 1 127.0.0.1:0
	[[ $stderr == *"dcmrecv: listening on 127.0.0.1:"* ]]
	[[ $stderr == *"0 stored, 0 refused, 0 associations"* ]]
}

# --port-file FILE was written through FILE.tmp<pid>, a name anyone could
# plant as a symbolic link beforehand (root truncating a file of its
# choice): the temporary file is now new, random and no link followed.
@test "dcmrecv --port-file: a symbolic link planted at a predictable temporary name is not written through" {
	local d=$BATS_TEST_TMPDIR/pf i
	mkdir -p "$d" "$BATS_TEST_TMPDIR/out"
	echo precious >"$BATS_TEST_TMPDIR/target"
	# the link at the old name FILE.tmp<pid>: exec keeps the shell's pid
	bash -c 'ln -s "$1" "$2.tmp$$" && exec "$3" -q -o "$4" --port-file "$2" 127.0.0.1:0' _ \
		"$BATS_TEST_TMPDIR/target" "$d/port" "$CSTORE_BIN/dcmrecv" "$BATS_TEST_TMPDIR/out" &
	RECV_PID=$!
	track_pid "$RECV_PID"
	for i in $(seq 200); do
		[ -s "$d/port" ] && break
		sleep 0.05
	done
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
	[ ! -L "$d/port" ]
	[[ $(cat "$d/port") =~ ^[0-9]+$ ]]
	# the port file and the planted link, nothing else left
	[ "$(ls -A "$d" | wc -l)" -eq 2 ]
}

# An empty file name is a usage error (2), not a failure to write (6).
@test "dcmrecv --port-file '' and -o '' are usage errors: exit 2, nothing listened on" {
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR" --port-file "" 127.0.0.1:0
	assert_output ""
	[[ $stderr == "dcmrecv: --port-file: expected a file name"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" -o "" 127.0.0.1:0
	[[ $stderr == "dcmrecv: -o (--output-dir): expected a directory"* ]]
	# the long option named too: the user may have typed it
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --output-dir= 127.0.0.1:0
	[[ $stderr == "dcmrecv: -o (--output-dir): expected a directory"* ]]
}

# --port-file is written by rename: a device there (root's /dev/null) would
# become a regular file.
@test "dcmrecv --port-file naming a device, a FIFO or a directory: a usage error (exit 2) before anything is bound, the node left as it was" {
	local p
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	mkdir "$BATS_TEST_TMPDIR/dir"
	local nodes="fifo dir"
	if [ "$(id -u)" -eq 0 ] && mknod "$BATS_TEST_TMPDIR/null" c 1 3 2>/dev/null; then
		nodes="null $nodes"
	fi
	for p in $nodes; do
		run -2 --separate-stderr timeout 20 "$CSTORE_BIN/dcmrecv" -o "$BATS_TEST_TMPDIR" \
			--port-file "$BATS_TEST_TMPDIR/$p" 127.0.0.1:0
		assert_output ""
		[[ ${stderr_lines[0]} == "dcmrecv: --port-file: '$BATS_TEST_TMPDIR/$p' is not a regular file (it would be replaced by one)" ]]
		[[ $stderr != *listening* ]]
	done
	[ -p "$BATS_TEST_TMPDIR/fifo" ]
	[ -d "$BATS_TEST_TMPDIR/dir" ]
	[[ $nodes != null* ]] || [ -c "$BATS_TEST_TMPDIR/null" ]
	[ "$(ls "$BATS_TEST_TMPDIR" | grep -c tmp)" -eq 0 ]
}

@test "a size option takes whole bytes: 1.5 or 0.97K is a usage error, never cut; 1.5K is 1536" {
	local f=$CSTORE_ROOT/tests/data/p10-evrle.dcm url=http://127.0.0.1:9/dicom-web v
	for v in 1.5 0.97K 0.5 1.0001KB; do
		run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --stow-bytes "$v" "$url" "$f"
		[ -z "$output" ]
		[ "$(head -1 <<<"$stderr")" = "dcmsend: --stow-bytes '$v': not a whole number of bytes (a fraction needs a unit that makes it whole, as 1.5K = 1536)" ]
	done
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" --max-object-size 2.5 0
	[[ $stderr == *"--max-object-size '2.5': not a whole number of bytes"* ]]
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" --limit-rate 1000.5 127.0.0.1 104 "$f"
	[[ $stderr == *"rate '1000.5': bytes per second"* ]]
	# an exact fraction goes: 1.5K is 1536 bytes, two 788-byte files
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --dry-run --stow-bytes 1.5K "$url" "$f" "$f" "$f"
	[ "$(cut -f5 <<<"$output")" = $'request 1\nrequest 1\nrequest 2' ]
}

# The EXIT STATUS section of man page $1, rendered.
exit_section() {
	awk '/^\.Sh EXIT STATUS/ { on = 1; next } /^\.Sh / { on = 0 } on' "$1"
}

# no-socket.so: socket(2) fails with EMFILE, as out of descriptors.
# Before: exit 3, "cannot connect to ...: Too many open files", the
# peer called unreachable for a shortage of ours.
@test "dcmsend: no descriptor for the connection's socket (EMFILE) is a local failure, exit 6, not an unreachable peer (3)" {
	local f
	f=$(corpus_dir)/$(awk -F'\t' 'NR > 1 { print $1; exit }' "$(corpus_dir)/MANIFEST.tsv")
	run -6 --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/no-socket.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$CSTORE_BIN/dcmsend" --echo 127.0.0.1 9
	[ "$stderr" = "dcmsend: echo to '127.0.0.1' port 9 failed: cannot open a socket to connect to '127.0.0.1' port 9: Too many open files" ]
	run -6 --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/no-socket.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$CSTORE_BIN/dcmsend" 127.0.0.1 9 "$f"
	assert_output --regexp $'^notsent\t.*\tassociation 1 failed: cannot open a socket to connect to \'127.0.0.1\' port 9: Too many open files$'
}

# The same for STOW-RS: libcurl says only "Couldn't connect to server"
# (CURLINFO_OS_ERRNO stays 0), so before: exit 3, the peer called
# unreachable; and --follow gave up at once where DIMSE --follow
# retries a socket we lack.
@test "dcmsend STOW-RS: no descriptor for the connection's socket (EMFILE) is exit 6, not 3; --follow retries it as DIMSE does" {
	local f
	f=$(corpus_dir)/sop/CTImageStorage.dcm
	run -6 --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/no-socket.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$CSTORE_BIN/dcmsend" http://127.0.0.1:9/dicom-web "$f"
	assert_output --regexp $'^notsent\t.*\thttp://127.0.0.1:9/dicom-web: cannot open a socket: Too many open files$'
	run -6 --separate-stderr env LD_PRELOAD="$CSTORE_TOOLS/no-socket.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		timeout 30 "$CSTORE_BIN/dcmsend" --follow --retry-for 1 --retry-delay 100 \
		http://127.0.0.1:9/dicom-web - <<<"$f"
	[ "$(grep -c '^dcmsend: http://127.0.0.1:9/dicom-web: cannot open a socket: Too many open files: retrying (for --retry-for)$' <<<"$stderr")" -eq 1 ]
	assert_output --regexp $'^notsent\t.*: Too many open files$'
}

@test "every exit code of lib/cli/exitcodes.h is listed by some man page; 7 is named in every one" {
	local root=$BATS_TEST_DIRNAME/../.. code page found
	for code in $(sed -n 's/^[[:space:]]*EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' "$root/lib/cli/exitcodes.h"); do
		found=0
		for page in "$root"/man/*.1; do
			exit_section "$page" | grep -qx "\.It $code" && found=1
		done
		[ "$found" -eq 1 ] || { echo "exit code $code is in no man page" >&2; return 1; }
	done
	grep -q 'EXIT_UNCOMMITTED = 7,' "$root/lib/cli/exitcodes.h"
	for page in "$root"/man/*.1; do
		exit_section "$page" | grep -Eq '^\.It 7$|exit codes; 7 \(stored but not all$' ||
			{ echo "$page: exit status 7 not explained" >&2; return 1; }
	done
	"$CSTORE_BIN/dcmsend" --help | grep -q '^7 every input stored but not all committed'
}

@test "the README's table of exit codes (all tools) has a row for every code of lib/cli/exitcodes.h, and no other" {
	local root=$BATS_TEST_DIRNAME/../.. readme lib
	readme=$(awk '/^## Exit codes/ { on = 1; next } /^## / { on = 0 } on' "$root/README.md" |
		sed -n 's/^| \([0-9][0-9]*\) |.*/\1/p' | sort -n | tr '\n' ' ')
	lib=$(sed -n 's/^[[:space:]]*EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' "$root/lib/cli/exitcodes.h" |
		sort -n | tr '\n' ' ')
	[ -n "$lib" ]
	[ "$readme" = "$lib" ] || { echo "README: '$readme', exitcodes.h: '$lib'" >&2; return 1; }
}

# man(1) on Debian renders with groff, not mandoc, and mandoc -Tlint does
# not see a roff escape inside a literal display.  Before: dcmrecv.1's
# identity hook example printed printf '%s0 "$sub"' (an unescaped \n),
# and dcmsend.1's SYNOPSIS had a --user group groff could not break.
@test "every man page renders under groff, as man(1) shows it, without a warning" {
	command -v groff >/dev/null || skip "no groff"
	local root=$BATS_TEST_DIRNAME/../.. page out
	for page in "$root"/man/*.1; do
		out=$(groff -mandoc -Tutf8 -ww -z "$page" 2>&1)
		[ -z "$out" ] || { echo "$out" >&2; return 1; }
	done
	groff -mandoc -Tutf8 "$root/man/dcmrecv.1" 2>/dev/null | grep -qF "printf '%s\\n' \"\$sub\""
}

# The "Exit status:" paragraph of --help is the short form of the man
# page's EXIT STATUS: the same codes, no more, no fewer.  Before: dcmsend's
# left out 70, sopclass-lookup's and status-explain's 6.
@test "each tool's --help 'Exit status:' names exactly the codes of its man page's EXIT STATUS" {
	local root=$BATS_TEST_DIRNAME/../.. page tool help man
	for page in "$root"/man/*.1; do
		tool=$(basename "$page" .1)
		man=$(exit_section "$page" | sed -n 's/^\.It \([0-9][0-9]*\)$/\1/p' | sort -n | tr '\n' ' ')
		help=$("$CSTORE_BIN/$tool" --help | awk '/^Exit status:/ { on = 1 } on && /^$/ { exit } on' |
			grep -oE '(^|[ ,(])[0-9]+' | tr -dc '0-9\n' | sort -nu | tr '\n' ' ')
		[ -n "$man" ] || { echo "$page: no EXIT STATUS codes" >&2; return 1; }
		[ "$help" = "$man" ] || { echo "$tool: --help '$help', man page '$man'" >&2; return 1; }
	done
}

@test "DCMTK's spellings: dcmsend -aet/-aec and dcmrecv -aet/-od take the next word, as in DCMTK (not -a 'et'); --exec keeps its own words" {
	local od=$BATS_TEST_TMPDIR/od
	sends_list 2
	mkdir -p "$od"
	# before: -aet MYAE was -a 'et' and MYAE an operand (host), and
	# dcmrecv -aet PACS was -a 'et' with PACS taken for the port
	start_dcmrecv -aet PACS -od "$od" --strict-aet \
		--exec sh -c 'echo "$1" >>"$2"' sh -aet "$BATS_TEST_TMPDIR/exec.out" ';'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -aet MYAE -aec PACS 127.0.0.1 "$RECV_PORT" \
		"$(sed -n 1p "$BATS_TEST_TMPDIR/list")"
	# after the operands too (getopt moves options first)
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" \
		"$(sed -n 2p "$BATS_TEST_TMPDIR/list")" -aec PACS -aet OTHER
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" --echo -aec PACS 127.0.0.1 "$RECV_PORT"
	# -a et, two words, is still the title 'et'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" -a et -c PACS 127.0.0.1 "$RECV_PORT" \
		"$(sed -n 1p "$BATS_TEST_TMPDIR/list")"
	for i in $(seq 100); do
		[ "$(wc -l <"$BATS_TEST_TMPDIR/exec.out" 2>/dev/null)" = 3 ] && break
		sleep 0.05
	done
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	[ "$(cut -f4 "$RECV_STDOUT")" = $'MYAE\nOTHER\net' ]
	[ "$(cut -f1 "$RECV_STDOUT" | xargs -n1 dirname | sort -u)" = "$od" ]
	[ "$(ls "$od" | wc -l)" -eq 2 ]
	[ "$(ls "$BATS_TEST_TMPDIR/out" | wc -l)" -eq 0 ]
	[ "$(sort -u "$BATS_TEST_TMPDIR/exec.out")" = -aet ]
	# the value missing: a usage error naming the option
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 104 x.dcm -aec
	[ "${stderr_lines[0]}" = "dcmsend: option '-aec' (--aec) requires an argument" ]
	run -2 --separate-stderr "$CSTORE_BIN/dcmrecv" -od
	[ "${stderr_lines[0]}" = "dcmrecv: option '-od' (--output-dir) requires an argument" ]
	# the tools without those options: getopt's own error, as before
	run -2 --separate-stderr "$CSTORE_BIN/dcmsend" -od x 127.0.0.1 104 x.dcm
	[ "${stderr_lines[0]}" = "dcmsend: invalid option -- 'o'" ]
}
