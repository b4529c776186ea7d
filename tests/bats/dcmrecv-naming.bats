#!/usr/bin/env bats
# dcmrecv: naming never merges distinct objects.  A --layout that gives
# several instances one name stores each under a name of its own
# (NAME~N.EXT) with a warning; a re-sent instance follows
# --on-duplicate; UIDs are stored as sent, and those that cannot be
# (empty, over 64 characters, not digits and dots) are refused with a
# failure status, the association going on.  Every test checks which
# instance each file holds (dcmdump) and its bytes.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers
load dcmrecv-helpers

FIX=$BATS_TEST_DIRNAME/../data/p10-evrle.dcm
CLS=1.2.840.10008.5.1.4.1.1.7
N=74

# 74 copies of the fixture, each its own instance 2.25.4711.I (Modality
# OT in all): made once for the file.
setup_file() {
	local i
	mkdir -p "$BATS_FILE_TMPDIR/in"
	for i in $(seq $N); do
		cp "$FIX" "$BATS_FILE_TMPDIR/in/f$i.dcm"
		/usr/bin/dcmodify -q -nb -i "(0008,0018)=2.25.4711.$i" \
			"$BATS_FILE_TMPDIR/in/f$i.dcm"
	done
}

setup() {
	IN=$BATS_FILE_TMPDIR/in
}

# uid_of FILE: the SOP Instance UID of the data set, as dcmdump reads it
uid_of() {
	/usr/bin/dcmdump -q -s +P 0008,0018 "$1" | sed -n 's/^[^[]*\[\([^]]*\)\].*/\1/p'
}

# check_all_stored DIR COUNT: DIR holds exactly COUNT files, each sent
# instance 1..COUNT exactly once (data set and meta header agree), with
# the data set that was sent.  Leaves WHERE[uid]=file.
check_all_stored() {
	local dir=$1 count=$2 f u m i
	declare -gA WHERE=()
	[ "$(find "$dir" -type f | wc -l)" -eq "$count" ] || {
		echo "files: $(find "$dir" -type f | wc -l), want $count" >&2
		return 1
	}
	# one dcmdump for all: "# dcmdump (i/n): FILE", (0002,0003), (0008,0018)
	while read -r f m u; do
		[ -n "$u" ] && [ "$m" = "$u" ] || { echo "$f: meta '$m', data set '$u'" >&2; return 1; }
		[ -z "${WHERE[$u]:-}" ] || { echo "$u in $f and ${WHERE[$u]}" >&2; return 1; }
		WHERE[$u]=$f
	done < <(/usr/bin/dcmdump -q -s +F +P 0002,0003 +P 0008,0018 "$dir"/* |
		awk '/^# dcmdump/ { if (f) print f, m, u; f = $4; m = u = "" }
		    /^\(0002,0003\)/ { m = $3 } /^\(0008,0018\)/ { u = $3 }
		    END { if (f) print f, m, u }' | tr -d '[]')
	[ "${#WHERE[@]}" -eq "$count" ] || { echo "${#WHERE[@]} instances" >&2; return 1; }
	for i in $(seq "$count"); do
		f=${WHERE[2.25.4711.$i]:-}
		[ -n "$f" ] || { echo "2.25.4711.$i missing" >&2; return 1; }
		same_dataset "$IN/f$i.dcm" "$f"
	done
}

# comment_of HEX: the Error Comment (0000,0902) of a response, as text
comment_of() {
	local h=${1#*00000209} len
	[ "$h" != "$1" ] || return 1
	len=$((16#${h:2:2}${h:0:2}))
	echo "${h:8:len*2}" | xxd -r -p | sed 's/ *$//'
}

@test "dcmrecv: 74 instances on one --layout name are 74 files, each instance once, with warnings" {
	start_dcmrecv --layout '{Modality}.dcm'
	run -0 --separate-stderr "$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$IN"
	[ "$(grep -c '^0000' <<<"$output")" -eq $N ]
	stop_dcmrecv
	[ "$RECV_STATUS" -eq 0 ]
	check_all_stored "$RECV_DIR" $N
	[ -f "$RECV_DIR/OT.dcm" ] && [ -f "$RECV_DIR/OT~2.dcm" ] && [ -f "$RECV_DIR/OT~$N.dcm" ]
	# one warning for each instance that found the name taken
	[ "$(grep -c "warning: name 'OT.dcm' holds another object" "$RECV_STDERR")" -eq $((N - 1)) ]
	# every result line names the file that holds its instance
	while IFS=$'\t' read -r path cls inst rest; do
		[ "${WHERE[$inst]}" = "$path" ]
	done <"$RECV_STDOUT"
	[ "$(cut -f1 "$RECV_STDOUT" | sort -u | wc -l)" -eq $N ]
	no_temporaries "$RECV_DIR"
}

@test "dcmrecv: a re-sent instance under a colliding layout follows each --on-duplicate policy" {
	local pol dir
	DS1=$BATS_TEST_TMPDIR/ds1 DS2=$BATS_TEST_TMPDIR/ds2
	ds_file "$IN/f1.dcm" "$DS1"
	ds_file "$IN/f2.dcm" "$DS2"
	for pol in overwrite keep reject rename; do
		RECV_DIR=$BATS_TEST_TMPDIR/$pol
		start_dcmrecv --layout '{Modality}.dcm' --on-duplicate "$pol"
		raw_associate "$RECV_PORT" "$CLS"
		raw_cstore "$CLS" 2.25.4711.1 "$DS1" 1
		[ "$RAW_STATUS" = 0000 ]
		raw_cstore "$CLS" 2.25.4711.2 "$DS2" 2
		[ "$RAW_STATUS" = 0000 ]
		[ "$(uid_of "$RECV_DIR/OT~2.dcm")" = 2.25.4711.2 ]
		touch -d 2001-01-01 "$RECV_DIR/OT.dcm" "$RECV_DIR/OT~2.dcm"
		raw_cstore "$CLS" 2.25.4711.2 "$DS2" 3
		case $pol in
		reject) [ "$RAW_STATUS" = 0111 ] ;;
		*) [ "$RAW_STATUS" = 0000 ] ;;
		esac
		raw_release
		stop_dcmrecv
		# the other instance is never touched
		[ "$(uid_of "$RECV_DIR/OT.dcm")" = 2.25.4711.1 ]
		[ "$(stat -c %Y "$RECV_DIR/OT.dcm")" -lt 1000000000 ]
		same_dataset "$IN/f1.dcm" "$RECV_DIR/OT.dcm"
		same_dataset "$IN/f2.dcm" "$RECV_DIR/OT~2.dcm"
		case $pol in
		overwrite)
			[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 2 ]
			[ "$(stat -c %Y "$RECV_DIR/OT~2.dcm")" -gt 1000000000 ] ;;
		keep | reject)
			[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 2 ]
			[ "$(stat -c %Y "$RECV_DIR/OT~2.dcm")" -lt 1000000000 ] ;;
		rename)
			[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 3 ]
			[ "$(uid_of "$RECV_DIR/OT~3.dcm")" = 2.25.4711.2 ]
			same_dataset "$IN/f2.dcm" "$RECV_DIR/OT~3.dcm" ;;
		esac
		[ "$pol" != reject ] || grep -q "duplicate refused" "$RECV_STDERR"
	done
}

@test "dcmrecv: --on-duplicate rename never takes the name of another UID (1.2.3 and 1.2.3.1)" {
	local d1=$BATS_TEST_TMPDIR/a d2=$BATS_TEST_TMPDIR/b u
	for u in 1.2.3 1.2.3.1; do
		cp "$FIX" "$BATS_TEST_TMPDIR/$u.dcm"
		/usr/bin/dcmodify -q -nb -i "(0008,0018)=$u" "$BATS_TEST_TMPDIR/$u.dcm"
		ds_file "$BATS_TEST_TMPDIR/$u.dcm" "$BATS_TEST_TMPDIR/$u.ds"
	done
	# 1.2.3.1 exists when 1.2.3 arrives twice
	RECV_DIR=$d1
	start_dcmrecv --on-duplicate rename
	raw_associate "$RECV_PORT" "$CLS"
	for u in 1.2.3.1 1.2.3 1.2.3; do
		raw_cstore "$CLS" "$u" "$BATS_TEST_TMPDIR/$u.ds"
		[ "$RAW_STATUS" = 0000 ]
	done
	raw_release
	stop_dcmrecv
	[ "$(ls -A "$d1" | sort | tr '\n' ' ')" = "1.2.3.1.dcm 1.2.3.dcm 1.2.3~2.dcm " ]
	[ "$(uid_of "$d1/1.2.3.1.dcm")" = 1.2.3.1 ]
	[ "$(uid_of "$d1/1.2.3.dcm")" = 1.2.3 ]
	[ "$(uid_of "$d1/1.2.3~2.dcm")" = 1.2.3 ]
	# 1.2.3.1 arrives after the copy of 1.2.3: its own name is free
	RECV_DIR=$d2
	start_dcmrecv --on-duplicate rename
	raw_associate "$RECV_PORT" "$CLS"
	for u in 1.2.3 1.2.3 1.2.3.1; do
		raw_cstore "$CLS" "$u" "$BATS_TEST_TMPDIR/$u.ds"
		[ "$RAW_STATUS" = 0000 ]
	done
	raw_release
	stop_dcmrecv
	[ "$(ls -A "$d2" | sort | tr '\n' ' ')" = "1.2.3.1.dcm 1.2.3.dcm 1.2.3~2.dcm " ]
	[ "$(uid_of "$d2/1.2.3.1.dcm")" = 1.2.3.1 ]
	same_dataset "$BATS_TEST_TMPDIR/1.2.3.1.dcm" "$d2/1.2.3.1.dcm"
	grep -qx "$d2/1.2.3.1.dcm	$CLS	1.2.3.1	.*" "$RECV_STDOUT"
}

@test "dcmrecv: a UID with a leading zero in a component is stored as sent" {
	local u name i=1
	# UID and the name it gets (the layout's mapping for the last two)
	local -A names=([1.2.03.4]=1.2.03.4.dcm [.7]=_7.dcm [1.2..5]=1.2._5.dcm)
	start_dcmrecv
	raw_associate "$RECV_PORT" "$CLS"
	for u in "${!names[@]}"; do
		cp "$FIX" "$BATS_TEST_TMPDIR/$i.dcm"
		/usr/bin/dcmodify -q -nb -i "(0008,0018)=$u" "$BATS_TEST_TMPDIR/$i.dcm"
		ds_file "$BATS_TEST_TMPDIR/$i.dcm" "$BATS_TEST_TMPDIR/$i.ds"
		raw_cstore "$CLS" "$u" "$BATS_TEST_TMPDIR/$i.ds" "$i"
		[ "$RAW_STATUS" = 0000 ] || { echo "$u: $RAW_STATUS" >&2; return 1; }
		i=$((i + 1))
	done
	raw_release
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR" | wc -l)" -eq 3 ]
	i=1
	for u in "${!names[@]}"; do
		name=$RECV_DIR/${names[$u]}
		[ "$(uid_of "$name")" = "$u" ]
		[ "$(meta_value "$name" 0002,0003)" = "$u" ]
		same_dataset "$BATS_TEST_TMPDIR/$i.dcm" "$name"
		i=$((i + 1))
	done
}

@test "dcmrecv: path-unsafe UIDs are refused with C000 and a reason; the association goes on" {
	local ds=$BATS_TEST_TMPDIR/ds long i
	ds_file "$FIX" "$ds"
	long=$(printf '1.%.0s' $(seq 40))1
	# UIDs and the Error Comments they earn, pairwise
	local -a uids=("1.2/../../3" "../../etc" "1.2.3 4" $'1.2.\x1b3' \
		$'1.2.\xc3\xa93' "$long" "" ".." ".")
	local -a why=(
		"SOP Instance UID refused: holds '/', not digits and dots"
		"SOP Instance UID refused: holds '/', not digits and dots"
		"SOP Instance UID refused: holds ' ', not digits and dots"
		"SOP Instance UID refused: holds a control or non-ASCII byte"
		"SOP Instance UID refused: holds a control or non-ASCII byte"
		"SOP Instance UID refused: longer than 64 characters"
		"SOP Instance UID refused: empty"
		"SOP Instance UID refused: dots only"
		"SOP Instance UID refused: dots only"
	)
	start_dcmrecv
	raw_associate "$RECV_PORT" "$CLS"
	for i in "${!uids[@]}"; do
		raw_cstore "$CLS" "${uids[i]}" "$ds" "$((i + 1))"
		[ "$RAW_STATUS" = C000 ] || { echo "'${uids[i]}': $RAW_STATUS" >&2; return 1; }
		[ "$(comment_of "$RAW_REPLY")" = "${why[i]}" ] ||
			{ echo "'${uids[i]}': '$(comment_of "$RAW_REPLY")'" >&2; return 1; }
	done
	i=$((${#uids[@]} + 1))
	# not aborted: a good object on the same association is stored
	raw_cstore "$CLS" 2.25.314159265358979323846264338327950 "$ds" "$i"
	[ "$RAW_STATUS" = 0000 ]
	raw_release
	[ "${RAW_REPLY:0:2}" = 06 ]
	stop_dcmrecv
	[ "$(ls -A "$RECV_DIR")" = 2.25.314159265358979323846264338327950.dcm ]
	[ ! -e "$BATS_TEST_TMPDIR/etc" ]
	[ "$(grep -c 'answered C000' "$RECV_STDERR")" -eq ${#uids[@]} ]
	no_temporaries "$BATS_TEST_TMPDIR"
}

@test "dcmrecv: two receivers writing one colliding layout into one directory lose nothing" {
	local out=$BATS_TEST_TMPDIR/shared pf2=$BATS_TEST_TMPDIR/recv2.port p2 pid2 i s1 s2
	mkdir -p "$out" "$BATS_TEST_TMPDIR/h1" "$BATS_TEST_TMPDIR/h2"
	for i in $(seq $N); do
		ln -s "$IN/f$i.dcm" "$BATS_TEST_TMPDIR/h$((i % 2 + 1))/f$i.dcm"
	done
	RECV_DIR=$out
	start_dcmrecv --layout '{Modality}.dcm'
	"$CSTORE_BIN/dcmrecv" -o "$out" --port-file "$pf2" --layout '{Modality}.dcm' \
		127.0.0.1:0 >"$BATS_TEST_TMPDIR/recv2.out" 2>"$BATS_TEST_TMPDIR/recv2.err" &
	pid2=$!
	track_pid "$pid2"
	for i in $(seq 100); do
		[ -s "$pf2" ] && break
		sleep 0.05
	done
	p2=$(cat "$pf2")
	# both senders at once, each one object at a time to its receiver
	"$CSTORE_BIN/dcmsend" 127.0.0.1 "$RECV_PORT" "$BATS_TEST_TMPDIR/h1" >"$BATS_TEST_TMPDIR/s1" 2>&1 &
	s1=$!
	"$CSTORE_BIN/dcmsend" 127.0.0.1 "$p2" "$BATS_TEST_TMPDIR/h2" >"$BATS_TEST_TMPDIR/s2" 2>&1 &
	s2=$!
	wait "$s1"
	wait "$s2"
	stop_dcmrecv
	kill -TERM "$pid2"
	wait "$pid2"
	[ "$(cat "$BATS_TEST_TMPDIR/s1" "$BATS_TEST_TMPDIR/s2" | grep -c '^0000')" -eq $N ]
	check_all_stored "$out" $N
	[ "$(cat "$RECV_STDOUT" "$BATS_TEST_TMPDIR/recv2.out" | cut -f1 | sort -u | wc -l)" -eq $N ]
	no_temporaries "$out"
}
