# helpers.bash - shared by every bats file of cstore.
# Our tools are always called by explicit path ("$CSTORE_BIN/dcmsend"),
# DCMTK's as /usr/bin/..., since both install dcmsend and dcmrecv.
# Servers started here are recorded by PID and stopped in teardown; every
# wait has a deadline.
# scripts/run-check runs the files tagged "# bats file_tags=parallel"
# several at a time, then every other test alone.  Tag a file so only if
# its tests use their own temporary directories, port 0 or free_port, and
# measure nothing of the whole machine; put "# bats test_tags=serial"
# above a test that bounds a time (SECONDS, date, -t, --delay, short
# timeouts), races a fixed sleep, loads the CPU, or reads /proc of the
# machine: it then runs with nothing beside it.  A file that takes
# minutes says "file_tags=parallel,heavy": it starts first.

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
# A line "! cmd" in a test asserts nothing (errexit ignores a negated
# command unless it is the test's last): write "refute cmd" (bats-assert's;
# a pipeline "a | refute b") instead.  scripts/check-bats-negation checks.

CSTORE_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CSTORE_BIN=${CSTORE_BIN:-$CSTORE_ROOT/bin}
export CSTORE_ROOT CSTORE_BIN
CS_PIDS=()

# Tests that start a peer which binds every interface need the private
# network namespace that scripts/run-check provides.
require_netns() {
	[ "${CSTORE_NETNS:-}" = 1 ] || skip "needs the private network namespace of scripts/run-check"
}

require_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 not installed"
}

# Remember a background PID so that teardown stops it.
track_pid() {
	CS_PIDS+=("$1")
}

# Stops every tracked server by PID: TERM, then KILL after 3 s.
stop_tracked() {
	local pid i
	for pid in "${CS_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || continue
		for i in $(seq 30); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	CS_PIDS=()
}

teardown() {
	stop_tracked
}

# Ports free_port handed out in this run, shared by the bats files that
# scripts/run-check runs at the same time ($CSTORE_PORTS, else per run).
CS_PORTS=${CSTORE_PORTS:-$BATS_RUN_TMPDIR/cs-ports}

# A TCP port nobody listens on now and no other test of this run was
# given (for peers that cannot bind port 0).
# Chosen below the kernel's ephemeral range when there is room there,
# so that no outgoing connection's own port can take it meanwhile (a
# port handed to a peer before anything listens on it: --commit-peer).
free_port() {
	local p i lo=32768 base=20000 span=40000
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	if [ "${lo:-0}" -ge 12000 ]; then
		base=10000 span=$((lo - 10000))
	fi
	mkdir -p "$CS_PORTS" || return 1
	for i in $(seq 50); do
		p=$((base + RANDOM % span))
		# claimed once per run (mkdir is atomic): a file running at
		# the same time never gets the same port
		mkdir "$CS_PORTS/$p" 2>/dev/null || continue
		if ! ss -Hltn "sport = :$p" | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# listens PORT PID: process PID itself listens on PORT (not another
# process that took the port first).
listens() {
	ss -Hltnp "sport = :$1" 2>/dev/null | grep -q "pid=$2,"
}

# port_taken LOG: the server's log says its port was in use (DCMTK:
# "Address already in use"; Orthanc: "privileged or already in use").
port_taken() {
	grep -qi 'already in use' "$1" 2>/dev/null
}

# wait_for_port PORT [PID] [SECONDS]: until something listens on PORT;
# with PID, until that process itself does.
wait_for_port() {
	local port=$1 pid=${2:-} secs=${3:-5} i
	for i in $(seq $((secs * 20))); do
		if [ -n "$pid" ]; then
			listens "$port" "$pid" && return 0
		elif ss -Hltn "sport = :$port" | grep -q .; then
			return 0
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			echo "server (pid $pid) exited before listening on $port" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "nothing listens on port $port after ${secs}s" >&2
	return 1
}

# now_ms: the wall clock in milliseconds.  Bound a duration with it, not
# with bash's SECONDS: SECONDS counts whole-second boundaries passed, so
# an operation of 1.1 s reads 2 one time in ten.
now_ms() {
	local t
	t=$(date +%s%N)
	echo $((t / 1000000))
}

# wait_for_line FILE REGEX [SECONDS]: until a line of FILE matches.
wait_for_line() {
	local file=$1 re=$2 secs=${3:-5} i
	for i in $(seq $((secs * 20))); do
		if grep -qE "$re" "$file" 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	echo "no line matching '$re' in $file after ${secs}s" >&2
	return 1
}

# start_on_free_port LOG CMD [ARG...]: a server that cannot bind port 0
# (DCMTK's) on a port free_port chose: every "{PORT}" in the arguments
# becomes that port.  Runs it in the background (tracked), output in
# LOG, and waits until that process itself listens there.  Another
# process can take the port between free_port and the bind: when the
# server exits saying its port is in use, it starts again on a new port,
# 10 times at most.  Sets SERVER_PORT and SERVER_PID.
start_on_free_port() {
	local log=$1 try port pid a
	local -a argv
	shift
	for try in $(seq 10); do
		port=$(free_port) || { echo "free_port found no port" >&2; return 1; }
		argv=()
		for a in "$@"; do argv+=("${a//\{PORT\}/$port}"); done
		"${argv[@]}" >"$log" 2>&1 &
		pid=$!
		track_pid "$pid"
		if wait_for_port "$port" "$pid" 10 2>/dev/null; then
			SERVER_PORT=$port SERVER_PID=$pid
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null && port_taken "$log"; then
			wait "$pid" 2>/dev/null || true
			echo "port $port was taken (attempt $try): trying another" >&2
			continue
		fi
		echo "$1 did not listen on port $port:" >&2
		cat "$log" >&2
		return 1
	done
	echo "$1: every port tried was taken" >&2
	return 1
}

# start_storescp DIR [storescp options...]: DCMTK's storescp on a free
# port, writing into DIR; sets SCP_PORT and SCP_PID.
start_storescp() {
	require_netns
	require_cmd /usr/bin/storescp
	local dir=$1
	shift
	mkdir -p "$dir"
	start_on_free_port "$BATS_TEST_TMPDIR/storescp.log" \
		env TCP_NODELAY=1 /usr/bin/storescp -od "$dir" "$@" "{PORT}" || return 1
	SCP_PORT=$SERVER_PORT SCP_PID=$SERVER_PID
}

# start_orthanc [extra json members]: Orthanc on free ports; sets
# ORTHANC_DICOM, ORTHANC_HTTP, ORTHANC_PID.  When one of its ports was
# taken meanwhile (Orthanc exits: "... already in use"), it starts again
# on new ones, 10 times at most.
start_orthanc() {
	require_netns
	require_cmd /usr/sbin/Orthanc
	local try rc
	for try in $(seq 10); do
		rc=0
		start_orthanc_once "${1:-}" || rc=$?
		[ "$rc" -eq 0 ] && return 0
		[ "$rc" -eq 75 ] || return 1
		echo "Orthanc: port $ORTHANC_DICOM or $ORTHANC_HTTP was taken (attempt $try): trying others" >&2
	done
	echo "Orthanc: every port tried was taken" >&2
	return 1
}

# One attempt of start_orthanc: 0 listening, 75 a port was taken, else 1.
start_orthanc_once() {
	local d=$BATS_TEST_TMPDIR/orthanc extra=${1:-}
	rm -rf "$d"
	mkdir -p "$d/db"
	ORTHANC_DICOM=$(free_port)
	ORTHANC_HTTP=$(free_port)
	while [ "$ORTHANC_HTTP" = "$ORTHANC_DICOM" ]; do ORTHANC_HTTP=$(free_port); done
	cat >"$d/orthanc.json" <<JSON
{ "Name": "TEST", "StorageDirectory": "$d/db", "IndexDirectory": "$d/db",
  "Plugins": [], "HttpPort": $ORTHANC_HTTP, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "DicomAet": "ORTHANC",
  "DicomPort": $ORTHANC_DICOM, "DicomCheckCalledAet": false,
  "DicomModalities": {}, "SaveJobs": false, "WebDavEnabled": false${extra:+, $extra} }
JSON
	TCP_NODELAY=1 /usr/sbin/Orthanc "$d/orthanc.json" >"$d/orthanc.log" 2>&1 &
	ORTHANC_PID=$!
	track_pid "$ORTHANC_PID"
	local i
	for i in $(seq 400); do
		# the HTTP server may answer before the DICOM one listens; both
		# must be Orthanc's own, not a process that took a port first
		if listens "$ORTHANC_HTTP" "$ORTHANC_PID" &&
		    listens "$ORTHANC_DICOM" "$ORTHANC_PID" &&
		    curl -sf "http://127.0.0.1:$ORTHANC_HTTP/system" >/dev/null; then
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

CSTORE_TOOLS=${CSTORE_TOOLS:-$CSTORE_ROOT/build/tests/tools}
export CSTORE_TOOLS

# start_stub MODE [FILE]: tests/tools/tcp-stub on a loopback port; sets
# STUB_PORT and STUB_PID.  MODE close | silent | send FILE.
start_stub() {
	local pf=$BATS_TEST_TMPDIR/stub.port
	rm -f "$pf"
	"$CSTORE_TOOLS/tcp-stub" "$@" "$pf" &
	STUB_PID=$!
	track_pid "$STUB_PID"
	local i
	for i in $(seq 100); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	STUB_PORT=$(cat "$pf")
	[ -n "$STUB_PORT" ]
}

# corpus_dir: prints the directory of the scripts/mkcorpus set, made once
# and shared by every test of a run ($CSTORE_CORPUS, default build/corpus).
corpus_dir() {
	local d=${CSTORE_CORPUS:-$CSTORE_ROOT/build/corpus}
	mkdir -p "$(dirname "$d")"
	(
		flock 9
		if [ ! -s "$d/MANIFEST.tsv" ]; then
			rm -rf "$d.tmp"
			"$CSTORE_ROOT/scripts/mkcorpus" "$d.tmp" >/dev/null 2>&1 && mv "$d.tmp" "$d"
		fi
	) 9>"$d.lock"
	[ -s "$d/MANIFEST.tsv" ] || { echo "scripts/mkcorpus failed" >&2; return 1; }
	echo "$d"
}

# age_files FILE...: the files' times a minute old and their change time
# (which touch sets to now) more than 2 s old, so that dcmsend's planning
# trusts them (lib/storescu/source.h: a file modified or changed less
# than 2 s before planning is read again when sent, its bytes not kept)
age_files() {
	touch -d '1 minute ago' "$@"
	sleep 2.2
}

# syscall_names NAME...: the system calls NAME... stand for, one a line,
# @groups expanded as systemd expands them (systemd-analyze syscall-filter).
syscall_names() {
	local n m
	for n in "$@"; do
		if [[ $n != @* ]]; then
			echo "$n"
			continue
		fi
		while read -r m; do
			[ -n "$m" ] && [[ $m != \#* ]] && syscall_names "$m"
		done < <(systemd-analyze syscall-filter "$n" 2>/dev/null | sed -n 's/^    //p')
	done
}

# unit_syscall_filter UNIT: SYSCALL_FILTER, the command prefix that runs
# a program under UNIT's SystemCallFilter= allow list as systemd would
# (tests/tools/syscall-filter: SIGSYS for a call outside it); skips
# where systemd-analyze cannot name the calls.
unit_syscall_filter() {
	local d=$BATS_TEST_TMPDIR/syscalls-$(basename "$1") list
	require_cmd systemd-analyze
	list=$(sed -n 's/^SystemCallFilter=//p' "$1" | tr '\n' ' ')
	# each a test of its own, returning (also under run, without set -e):
	# in a && list a false first one would not stop the test (set -e),
	# and the test would skip below
	[ -n "$list" ] || { fail "no SystemCallFilter= in $1"; return 1; }
	[[ $list != *"~"* ]] ||
		{ fail "SystemCallFilter=~ in $1: a deny list, not an allow list"; return 1; }
	mkdir -p "$d"
	# shellcheck disable=SC2086 # the unit's list, word by word
	syscall_names $list | sort -u >"$d/allowed"
	syscall_names @known | sort -u >"$d/known"
	grep -qx execve "$d/allowed" && grep -qx seccomp "$d/known" ||
		skip "systemd-analyze cannot expand the unit's SystemCallFilter="
	SYSCALL_FILTER=("$CSTORE_TOOLS/syscall-filter" "$d/allowed" "$d/known")
}
