# cstore.bash - bash completion for dcmsend, dcmrecv, sopclass-lookup and
# status-explain (also installed as cstore-dcmsend, cstore-dcmrecv).
#
# Nothing here lists options or values by hand where a tool can say them:
# the options, and which of them take a value (its placeholder: a FILE,
# a DIR, a CMD or something to type), come from the tool's own --help
# (the table it prints them from), SOP classes and transfer syntaxes
# from sopclass-lookup's registry, statuses from status-explain's table,
# layout placeholders from dcmrecv --help.  A program of the same name that is not ours
# (DCMTK's dcmsend, dcmrecv) gets plain file name completion.

# _cstore_ours CMD: CMD is one of our tools ("NAME (cstore) VERSION").
_cstore_ours() {
	local v
	v=$("$1" --version 2>/dev/null) || return 1
	[[ $v == *"(cstore)"* ]]
}

# _cstore_sibling CMD NAME: the tool NAME installed beside CMD.
_cstore_sibling() {
	local dir p
	p=$(type -P "$1" 2>/dev/null)
	dir=${p%/*}
	if [[ -n $p && -x $dir/$2 ]]; then
		echo "$dir/$2"
	else
		echo "$2"
	fi
}

# _cstore_options CMD: every option of CMD's --help, long and short.
_cstore_options() {
	"$1" --help 2>/dev/null |
		grep -oE '^ +(-[[:alnum:]], )?--?[[:alnum:]][[:alnum:]-]*' |
		tr -d ' ' | tr ',' '\n' | sort -u
}

# _cstore_classes CMD: Storage SOP Class keywords.
_cstore_classes() {
	"$(_cstore_sibling "$1" sopclass-lookup)" -l -k 2>/dev/null
}

# _cstore_syntaxes CMD: transfer syntax keywords.
_cstore_syntaxes() {
	"$(_cstore_sibling "$1" sopclass-lookup)" -l -a 2>/dev/null |
		awk -F'\t' '$NF == "Transfer Syntax" { print $2 }'
}

# _cstore_statuses CMD: the status codes status-explain knows, as XXXX
# (a range by its first code).
_cstore_statuses() {
	"$(_cstore_sibling "$1" status-explain)" -l 2>/dev/null |
		awk -F'\t' '$1 ~ /^0x/ { print substr($1, 3, 4) }' | sort -u
}

# _cstore_arg_options CMD: the options of CMD's --help that take a value,
# "OPTION PLACEHOLDER" a line, the short and the long form alike.  An
# option takes one when one blank and a placeholder follow it: a word in
# capitals or opening with a bracket ("--aet AETITLE", "--commit-listen
# [ADDR:]PORT"), or any word two blanks or the end of the line follow
# ("-f, --file file   look up ...").  A flag's description may begin one
# blank after it ("--no-transcode-ahead convert ..."): no placeholder.
_cstore_arg_options() {
	"$1" --help 2>/dev/null | awk '
	/^ +-/ {
		line = $0
		sub(/^ +/, "", line)
		short = ""
		if (line ~ /^-[[:alnum:]], /) {
			short = substr(line, 1, 2)
			line = substr(line, 5)
		}
		if (!match(line, /^--?[[:alnum:]][[:alnum:]-]*/))
			next
		opt = substr(line, 1, RLENGTH)
		rest = substr(line, RLENGTH + 1)
		if (rest !~ /^ [^ ]/)
			next
		meta = substr(rest, 2)
		sub(/ .*/, "", meta)
		after = substr(rest, 2 + length(meta))
		if (meta ~ /^[A-Z[]/ || after == "" || after ~ /^  /) {
			print opt, meta
			if (short != "")
				print short, meta
		}
	}'
}

# _cstore_spelled CMD OPTION: the long option whose --help entry names
# OPTION, a word of one dash and several letters, as another spelling of
# it (DCMTK's "-aet AETITLE", "-od DIR"), else nothing.
_cstore_spelled() {
	"$1" --help 2>/dev/null | awk -v o="$2" '
	/^[^ ]/ { cur = "" }
	/^ +-/ {
		line = $0
		sub(/^ +/, "", line)
		if (line ~ /^-[[:alnum:]], /)
			line = substr(line, 5)
		cur = match(line, /^--[[:alnum:]][[:alnum:]-]*/) ? substr(line, 1, RLENGTH) : ""
	}
	cur != "" && index(" " $0 " ", " " o " ") { print cur; exit }'
}

# _cstore_values CMD TOOL OPTION CUR ATTACHED: COMPREPLY for OPTION's
# value (ATTACHED 1: written --option=value); returns 1 when OPTION takes
# none.
_cstore_values() {
	local cmd=$1 tool=$2 opt=$3 cur=$4 attached=$5 words="" pre="" meta
	if [[ $attached == 1 && $tool:$opt == dcmrecv:--hash-password ]]; then
		COMPREPLY=($(compgen -W "yescrypt sha512" -- "$cur"))
		return 0
	fi
	if [[ $attached == 0 && $opt =~ ^-[[:alpha:]]{2,}$ ]]; then
		local long
		long=$(_cstore_spelled "$cmd" "$opt")
		[ -z "$long" ] || opt=$long
	fi
	meta=$(_cstore_arg_options "$cmd" | awk -v o="$opt" '$1 == o { print $2; exit }')
	[ -n "$meta" ] || return 1
	case $tool:$opt in
	*:--sop-class | *:--reject-sop-class)
		words=$(_cstore_classes "$cmd") ;;
	*:--ts)
		words=$(_cstore_syntaxes "$cmd") ;;
	*:--accept-ts)
		# a comma-separated list: complete its last element
		[[ $cur == *,* ]] && pre=${cur%,*},
		cur=${cur##*,}
		words=$(_cstore_syntaxes "$cmd") ;;
	*:--on-duplicate)
		words="overwrite keep rename reject" ;;
	*:--reject)
		words="transient permanent transient:congestion transient:limit" ;;
	*:--respond | *:--commit-respond)
		words=$(_cstore_statuses "$cmd") ;;
	*:--retry-for)
		words="forever" ;;
	*:--tls-profile)
		words="bcp195-nd bcp195 bcp195-extended" ;;
	*:--layout)
		words=$("$cmd" --help 2>/dev/null | grep -o '{[A-Za-z]*}' | sort -u) ;;
	dcmrecv:--user)
		COMPREPLY=($(compgen -u -- "$cur")); return 0 ;;
	*)
		# by what the placeholder names: a path, a command, or a
		# value to type (nothing offered)
		case $meta in
		DIR) COMPREPLY=($(compgen -d -- "$cur")) ;;
		FILE | FILE\|DIR | file | LOG) COMPREPLY=($(compgen -f -- "$cur")) ;;
		CMD) COMPREPLY=($(compgen -c -- "$cur")) ;;
		*) COMPREPLY=() ;;
		esac
		return 0 ;;
	esac
	COMPREPLY=($(compgen -P "$pre" -W "$words" -- "$cur"))
	return 0
}

# _cstore_complete CMD CUR PREV, as bash calls it: CUR is the text
# completed, which after "--option=" is what follows the "=" (bash makes
# the "=" a word of its own in COMP_WORDS, COMP_WORDBREAKS).
_cstore_complete() {
	local cmd=$1 cur=$2 opt="" tool attached=0 w=${COMP_WORDS[COMP_CWORD]}
	tool=${cmd##*/}
	tool=${tool#cstore-}
	COMPREPLY=()
	if ! _cstore_ours "$cmd"; then
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
	fi
	if [[ $w == = && $COMP_CWORD -ge 1 ]]; then
		opt=${COMP_WORDS[COMP_CWORD - 1]} attached=1 cur=""
	elif [[ $COMP_CWORD -ge 2 && ${COMP_WORDS[COMP_CWORD - 1]} == = ]]; then
		opt=${COMP_WORDS[COMP_CWORD - 2]} attached=1
	elif [[ $cur == --*=* ]]; then
		# "=" not a word break: the reply keeps "--option="
		opt=${cur%%=*} attached=1 cur=${cur#*=}
		_cstore_values "$cmd" "$tool" "$opt" "$cur" 1 &&
			COMPREPLY=("${COMPREPLY[@]/#/$opt=}")
		return 0
	elif [ "$COMP_CWORD" -gt 0 ]; then
		opt=${COMP_WORDS[COMP_CWORD - 1]}
	fi
	if [ $attached = 1 ]; then
		# a flag written --flag= gets nothing
		[[ $opt == --* ]] && _cstore_values "$cmd" "$tool" "$opt" "$cur" 1 ||
			COMPREPLY=()
		return 0
	fi
	_cstore_values "$cmd" "$tool" "$opt" "$cur" 0 && return 0
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_cstore_options "$cmd")" -- "$cur"))
		return 0
	fi
	case $tool in
	sopclass-lookup)
		COMPREPLY=($(compgen -W "$(_cstore_classes "$cmd")" -- "$cur")) ;;
	status-explain)
		COMPREPLY=($(compgen -W "$(_cstore_statuses "$cmd")" -- "$cur")) ;;
	*)
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
	return 0
}

complete -F _cstore_complete dcmsend dcmrecv cstore-dcmsend cstore-dcmrecv \
	sopclass-lookup status-explain
