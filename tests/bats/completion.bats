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
