# cstore.bash - bash completion for dcmsend, dcmrecv, sopclass-lookup and
# status-explain (also installed as cstore-dcmsend, cstore-dcmrecv).
#
# Nothing here lists options or values by hand where a tool can say them:
# the options come from the tool's own --help (the table it prints them
# from), SOP classes and transfer syntaxes from sopclass-lookup's
# registry, statuses from status-explain's table, layout placeholders
# from dcmrecv --help.  A program of the same name that is not ours
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

# _cstore_values CMD TOOL OPTION CUR: COMPREPLY for OPTION's argument;
# returns 1 when OPTION takes none.
_cstore_values() {
	local cmd=$1 tool=$2 opt=$3 cur=$4 words="" pre=""
	case $tool:$opt in
	*:-o | *:--output-dir)
		COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
	*:--port-file | *:--resume | *:-f | *:--file | *:--users | *:--password-file | \
	dcmsend:--commit-state | dcmsend:--commit-wait | dcmsend:--bearer-file)
		COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
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
	*:--respond)
		words=$(_cstore_statuses "$cmd") ;;
	*:--retry-for)
		words="forever" ;;
	*:--layout)
		words=$("$cmd" --help 2>/dev/null | grep -o '{[A-Za-z]*}' | sort -u) ;;
	*:-a | *:--aet | *:-c | *:--aec | *:-t | *:--timeout | *:-j | *:--jobs | \
	*:-F | *:--field | *:--allow | *:--proxy-from | *:--max-* | *:--async | \
	*:--grace | *:--idle-timeout | *:--delay | *:--abort-* | *:--respond-every | \
	*:--per-assoc | *:--retry | *:--retry-delay | *:--*-timeout | *:--exec | \
	*:--idle | *:--limit-rate | *:--user | *:--stow-batch | *:--stow-bytes | \
	dcmsend:--commit-listen)
		COMPREPLY=(); return 0 ;;
	*)
		return 1 ;;
	esac
	COMPREPLY=($(compgen -P "$pre" -W "$words" -- "$cur"))
	return 0
}

_cstore_complete() {
	local cmd=$1 cur prev tool
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=""
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	tool=${cmd##*/}
	tool=${tool#cstore-}
	COMPREPLY=()
	if ! _cstore_ours "$cmd"; then
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
	fi
	_cstore_values "$cmd" "$tool" "$prev" "$cur" && return 0
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
