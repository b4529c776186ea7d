#!/usr/bin/env bats
# bash completion (contrib/completion/cstore.bash): the completion
# function called as bash would, with a partial word; and its install.
# Runs beside other files (scripts/run-check); a test with a time bound is tagged serial.
# bats file_tags=parallel

load helpers

setup() {
	# shellcheck disable=SC1091
	source "$CSTORE_ROOT/contrib/completion/cstore.bash"
}

# complete_line WORD...: COMPREPLY for the last WORD, as after a TAB;
# the words, one per line, in REPLY_LINES (sorted).
complete_line() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_cstore_complete "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	REPLY_LINES=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
}

@test "completion: dcmrecv options come from its --help, each once" {
	complete_line "$CSTORE_BIN/dcmrecv" --prox
	[ "$REPLY_LINES" = $'--proxy-from\n--proxy-protocol' ]
	complete_line "$CSTORE_BIN/dcmrecv" -
	[ "$(printf '%s\n' "${COMPREPLY[@]}" | sort | uniq -d)" = "" ]
	# every long option of --help is offered
	for o in $("$CSTORE_BIN/dcmrecv" --help | grep -oE '^ +(-[a-z0-9], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
		grep -qx -- "$o" <<<"$REPLY_LINES" || { echo "not offered: $o" >&2; false; }
	done
}

@test "completion: dcmsend --re offers --read-from-dicomdir, --remove-sent, --resume, --retry, --retry-delay, --retry-for" {
	complete_line "$CSTORE_BIN/dcmsend" --re
	[ "$REPLY_LINES" = $'--read-from-dicomdir\n--remove-sent\n--resume\n--retry\n--retry-delay\n--retry-for' ]
	complete_line "$CSTORE_BIN/dcmsend" --retry-for f
	[ "$REPLY_LINES" = forever ]
}

@test "completion: transfer syntaxes, a comma list, and SOP classes from the registry" {
	complete_line "$CSTORE_BIN/dcmrecv" --ts ExplicitVRL
	[ "$REPLY_LINES" = ExplicitVRLittleEndian ]
	complete_line "$CSTORE_BIN/dcmrecv" --accept-ts ImplicitVRLittleEndian,JPEGLS
	[ "$REPLY_LINES" = $'ImplicitVRLittleEndian,JPEGLSLossless\nImplicitVRLittleEndian,JPEGLSNearLossless' ]
	complete_line "$CSTORE_BIN/dcmrecv" --sop-class CTIm
	[ "$REPLY_LINES" = CTImageStorage ]
	complete_line "$CSTORE_BIN/dcmrecv" --reject-sop-class EnhancedMRI
	grep -qx EnhancedMRImageStorage <<<"$REPLY_LINES"
}

@test "completion: policies, statuses and layout placeholders" {
	complete_line "$CSTORE_BIN/dcmrecv" --on-duplicate re
	[ "$REPLY_LINES" = $'reject\nrename' ]
	complete_line "$CSTORE_BIN/dcmrecv" --respond A7
	[ "$REPLY_LINES" = A700 ]
	complete_line "$CSTORE_BIN/dcmrecv" --layout '{Stu'
	[ "$REPLY_LINES" = $'{StudyDate}\n{StudyInstanceUID}' ]
	complete_line "$CSTORE_BIN/dcmrecv" --reject trans
	grep -qx transient:congestion <<<"$REPLY_LINES"
}

@test "completion: sopclass-lookup queries and status-explain codes" {
	complete_line "$CSTORE_BIN/sopclass-lookup" MRIm
	[ "$REPLY_LINES" = MRImageStorage ]
	complete_line "$CSTORE_BIN/status-explain" 011
	[ "$REPLY_LINES" = $'0110\n0111\n0112\n0113\n0114\n0115\n0116\n0117\n0118\n0119' ]
}

@test "completion: files and directories where a path is due" {
	mkdir -p "$BATS_TEST_TMPDIR/d/sub"
	touch "$BATS_TEST_TMPDIR/d/a.dcm"
	cd "$BATS_TEST_TMPDIR/d"
	complete_line "$CSTORE_BIN/dcmrecv" -o s
	[ "$REPLY_LINES" = sub ]
	complete_line "$CSTORE_BIN/dcmsend" 127.0.0.1 104 a.
	[ "$REPLY_LINES" = a.dcm ]
}

@test "completion: DCMTK's spellings -aet, -aec (dcmsend) and -aet, -od (dcmrecv) take a value as --aet, --aec and --output-dir do" {
	mkdir -p "$BATS_TEST_TMPDIR/d/sub"
	touch "$BATS_TEST_TMPDIR/d/some-file"
	cd "$BATS_TEST_TMPDIR/d"
	# before: -od was taken for a flag, so file names came, not directories
	complete_line "$CSTORE_BIN/dcmrecv" -od s
	[ "$REPLY_LINES" = sub ]
	complete_line "$CSTORE_BIN/dcmrecv" -v -od s
	[ "$REPLY_LINES" = sub ]
	# an AE title is typed: nothing offered (it was file names)
	complete_line "$CSTORE_BIN/dcmrecv" -aet s
	[ "$REPLY_LINES" = "" ]
	complete_line "$CSTORE_BIN/dcmsend" -aet s
	[ "$REPLY_LINES" = "" ]
	complete_line "$CSTORE_BIN/dcmsend" -aec s
	[ "$REPLY_LINES" = "" ]
	# dcmsend has no -od: what follows it is an operand (a file)
	complete_line "$CSTORE_BIN/dcmsend" -od s
	[ "$REPLY_LINES" = $'some-file\nsub' ]
	# after the value, operands again
	complete_line "$CSTORE_BIN/dcmsend" -aec PACS s
	[ "$REPLY_LINES" = $'some-file\nsub' ]
}

@test "completion: a dcmsend that is not ours (DCMTK's) gets file names only" {
	mkdir -p "$BATS_TEST_TMPDIR/other"
	printf '#!/bin/sh\necho "$(basename "$0"): other program 1.0"\n' >"$BATS_TEST_TMPDIR/other/dcmsend"
	chmod +x "$BATS_TEST_TMPDIR/other/dcmsend"
	touch "$BATS_TEST_TMPDIR/--retry-file"
	cd "$BATS_TEST_TMPDIR"
	complete_line "$BATS_TEST_TMPDIR/other/dcmsend" --re
	[ "$REPLY_LINES" = --retry-file ]
}

@test "completion: make install puts it under each tool's installed name, uninstall removes it" {
	d=$BATS_TEST_TMPDIR/dest
	make -s -C "$CSTORE_ROOT" BUILD="${BUILD:-build}" BIN="$CSTORE_BIN" PREFIX=/usr \
		DESTDIR="$d" CLASH_PREFIX=cstore- install-completion
	run ls "$d/usr/share/bash-completion/completions"
	assert_output $'cstore-dcmrecv\ncstore-dcmsend\nsopclass-lookup\nstatus-explain'
	cmp "$d/usr/share/bash-completion/completions/cstore-dcmrecv" "$CSTORE_ROOT/contrib/completion/cstore.bash"
	make -s -C "$CSTORE_ROOT" BUILD="${BUILD:-build}" BIN="$CSTORE_BIN" PREFIX=/usr \
		DESTDIR="$d" CLASH_PREFIX=cstore- uninstall-completion
	[ -z "$(ls "$d/usr/share/bash-completion/completions")" ]
}

@test "completion: a flag takes no value: after sopclass-lookup -a/-j/-k and status-explain -c/-j the queries and codes are still offered" {
	local f
	for f in -a --all -j --json -k; do
		complete_line "$CSTORE_BIN/sopclass-lookup" "$f" MRIm
		[ "$REPLY_LINES" = MRImageStorage ] || { echo "after $f: '$REPLY_LINES'"; return 1; }
	done
	for f in -c --category -j --json; do
		complete_line "$CSTORE_BIN/status-explain" "$f" A7
		[ "$REPLY_LINES" = A700 ] || { echo "after $f: '$REPLY_LINES'"; return 1; }
	done
	# and an option that takes one still gets its value, not a query
	mkdir -p "$BATS_TEST_TMPDIR/q" && touch "$BATS_TEST_TMPDIR/q/MRIm.dcm"
	cd "$BATS_TEST_TMPDIR/q"
	complete_line "$CSTORE_BIN/sopclass-lookup" -f MRIm
	[ "$REPLY_LINES" = MRIm.dcm ]
	complete_line "$CSTORE_BIN/status-explain" -F 1
	[ "$REPLY_LINES" = "" ]
}

@test "completion: which options take a value, and what it is, comes from --help's placeholders (--tls-profile, --commit-respond, DIR, CMD; a number gets no file names)" {
	mkdir -p "$BATS_TEST_TMPDIR/p/sub" && touch "$BATS_TEST_TMPDIR/p/some-file"
	cd "$BATS_TEST_TMPDIR/p"
	local t p
	for t in dcmsend dcmrecv; do
		complete_line "$CSTORE_BIN/$t" --tls-profile bcp
		[ "$REPLY_LINES" = $'bcp195\nbcp195-extended\nbcp195-nd' ] || { echo "$t: '$REPLY_LINES'"; return 1; }
		# each profile offered is one --help names
		for p in $REPLY_LINES; do
			"$CSTORE_BIN/$t" --help | grep -q -- "$p" || { echo "$t --help lacks $p"; return 1; }
		done
	done
	complete_line "$CSTORE_BIN/dcmrecv" --commit-respond 011
	[ "$REPLY_LINES" = $'0110\n0111\n0112\n0113\n0114\n0115\n0116\n0117\n0118\n0119' ]
	complete_line "$CSTORE_BIN/dcmrecv" --quarantine s
	[ "$REPLY_LINES" = sub ]
	complete_line "$CSTORE_BIN/dcmrecv" --exec bash
	grep -qx bash <<<"$REPLY_LINES"
	for o in --exec-jobs --min-free-space --commit-delay --commit-fail --commit-peer; do
		complete_line "$CSTORE_BIN/dcmrecv" "$o" s
		[ "$REPLY_LINES" = "" ] || { echo "$o: '$REPLY_LINES'"; return 1; }
	done
	for o in --tls-server-name -j --dimse-timeout; do
		complete_line "$CSTORE_BIN/dcmsend" "$o" s
		[ "$REPLY_LINES" = "" ] || { echo "$o: '$REPLY_LINES'"; return 1; }
	done
	# a flag whose description is one blank away takes no value
	complete_line "$CSTORE_BIN/dcmsend" --no-transcode-ahead s
	[ "$REPLY_LINES" = $'some-file\nsub' ]
}

@test "completion: --option=value, whether bash makes '=' a word of its own (COMP_WORDBREAKS) or not" {
	# bash passes the text after '=' as the word completed
	COMP_WORDS=("$CSTORE_BIN/dcmrecv" --layout = '{Stu')
	COMP_CWORD=3
	_cstore_complete "$CSTORE_BIN/dcmrecv" '{Stu' =
	[ "$(printf '%s\n' "${COMPREPLY[@]}" | sort)" = $'{StudyDate}\n{StudyInstanceUID}' ]
	COMP_WORDS=("$CSTORE_BIN/dcmsend" --tls-profile =)
	COMP_CWORD=2
	_cstore_complete "$CSTORE_BIN/dcmsend" '' --tls-profile
	[ "$(printf '%s\n' "${COMPREPLY[@]}" | sort)" = $'bcp195\nbcp195-extended\nbcp195-nd' ]
	COMP_WORDS=("$CSTORE_BIN/dcmrecv" --hash-password =)
	COMP_CWORD=2
	_cstore_complete "$CSTORE_BIN/dcmrecv" '' --hash-password
	[ "$(printf '%s\n' "${COMPREPLY[@]}" | sort)" = $'sha512\nyescrypt' ]
	# a flag written with '=' gets nothing
	COMP_WORDS=("$CSTORE_BIN/dcmrecv" --validate =)
	COMP_CWORD=2
	_cstore_complete "$CSTORE_BIN/dcmrecv" '' --validate
	[ "${#COMPREPLY[@]}" = 0 ]
	complete_line "$CSTORE_BIN/dcmsend" --on-duplicate=ke
	[ "$REPLY_LINES" = "" ]
	complete_line "$CSTORE_BIN/dcmrecv" --on-duplicate=ke
	[ "$REPLY_LINES" = --on-duplicate=keep ]
}
