# bash completion for iommugrp(8)                              -*- shell-script -*-
#
# Installed as $BASHCOMPDIR/iommugrp (bash-completion loads it on demand). Uses
# bash-completion's _init_completion when it is there and works without it.
#
# To add a command: put it in _iommugrp_commands, give its options in
# _iommugrp_command_opts and its positional arguments in _iommugrp_command_args.
# Options that take a separate argument go in _iommugrp_opts_with_arg.

_iommugrp_commands='list show status set-policy vfio-bind vfio-release restore check-config apply why'

# Options every command accepts, before or after the command.
_iommugrp_common_opts='--sysroot --json -J --output -o --list-columns --raw -r
	--noheadings -n --list -l --color --help -? --usage --version -V'

# Options (long and short) whose argument may be the next word.
_iommugrp_opts_with_arg='--sysroot --output -o --user --group --udev'
# A bundle of short flags ending in -o, whose LIST is the next word (-Jo LIST).
_iommugrp_short_o='^-[JrnlV?]*o$'

_iommugrp_policies='identity DMA DMA-FQ auto passthrough strict lazy default'

# Columns when `iommugrp --list-columns` cannot be run.
_iommugrp_fallback_columns='NAME GROUP TYPE DEVICES VIABLE VFIO SUBSYSTEM CLASS
	CLASSID ID VENDOR MODEL DRIVER OVERRIDE PATH REASON'

# _iommugrp_command_opts CMD: the options CMD adds to the common ones.
_iommugrp_command_opts()
{
	case $1 in
		set-policy) echo '--dry-run --unbind --save --force' ;;
		vfio-bind) echo '--dry-run --force --user --group --save' ;;
		vfio-release) echo '--dry-run --save' ;;
		restore) echo '--dry-run' ;;
		check-config) echo '--digest' ;;
		apply) echo '--dry-run --unbind --udev' ;;
	esac
}

# _iommugrp_command_args CMD N: what the Nth (from 1) positional argument of CMD
# is: target, policy, or nothing.
_iommugrp_command_args()
{
	case $1:$2 in
		show:1) echo target ;;
		why:1) echo target ;;
		set-policy:1) echo target ;;
		set-policy:2) echo policy ;;
		vfio-bind:* | vfio-release:*) echo target ;;
	esac
}

# _iommugrp_add CUR WORD...: add to COMPREPLY each WORD that starts with CUR.
# (Not compgen -W: that would expand the words, and "-?" is a glob.)
_iommugrp_add()
{
	local cur=$1 w
	shift
	for w in "$@"; do
		[[ $w == "$cur"* ]] && COMPREPLY+=("$w")
	done
}

# _iommugrp_run WORDS CWORD ARG...: run the iommugrp being completed (the command
# word, or iommugrp from PATH), with the --sysroot already on the line, if any.
_iommugrp_run()
{
	local -n _w=$1
	local cword=$2 i sysroot= prog=${_w[0]}
	shift 2
	for ((i = 1; i < cword; i++)); do
		case ${_w[i]} in
			--) break ;;
			--sysroot) ((i + 1 < cword)) && sysroot=${_w[i + 1]} ;;
			--sysroot=*) sysroot=${_w[i]#--sysroot=} ;;
		esac
	done
	# A word on the line can carry a ~ or quotes; undo the common forms.
	sysroot=${sysroot#[\"\']} sysroot=${sysroot%[\"\']}
	[[ $sysroot == \~* ]] && sysroot=$HOME${sysroot#\~}
	[[ $prog == \~* ]] && prog=$HOME${prog#\~}
	type -P -- "$prog" >/dev/null 2>&1 || prog=iommugrp
	LC_ALL=C "$prog" ${sysroot:+--sysroot "$sysroot"} "$@" 2>/dev/null </dev/null
}

# TARGET: group numbers and device names from the live (or --sysroot) system;
# a path when the word starts like one.
_iommugrp_targets()
{
	local cur=$1 group name
	local -A seen=()
	shift
	if [[ $cur == /* || $cur == .* || $cur == \~* ]]; then
		COMPREPLY+=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return
	fi
	# Group rows are "N group\x20N", device rows "N NAME".
	while read -r group name; do
		[[ -n $group && -n $name ]] || continue
		[[ $name == 'group\x20'* ]] && name=$group
		[[ -z ${seen[$name]-} ]] || continue
		seen[$name]=1
		# A vfio-bind/release line lists targets once.
		[[ " ${*:3} " == *" $name "* ]] && continue
		[[ $name == "$cur"* ]] && COMPREPLY+=("$name")
	done < <(_iommugrp_run "$1" "$2" -r -n -o GROUP,NAME -l)
}

# -o LIST: comma-separated columns; a leading + appends to the defaults.
_iommugrp_columns()
{
	local cur=$1 head= last col
	local -a cols
	shift
	cols=($(_iommugrp_run "$1" "$2" --list-columns | while read -r col _; do echo "$col"; done))
	((${#cols[@]})) || cols=($_iommugrp_fallback_columns)
	if [[ $cur == *,* ]]; then
		head=${cur%,*}, last=${cur##*,}
	elif [[ $cur == +* ]]; then
		head=+ last=${cur#+}
	else
		last=$cur
	fi
	local -A used=()
	for col in ${head//[+,]/ }; do used[${col^^}]=1; done
	for col in "${cols[@]}"; do
		[[ -z ${used[$col]-} && $col == "${last^^}"* ]] && COMPREPLY+=("$head$col")
	done
	# More columns may follow.
	compopt -o nospace 2>/dev/null
}

_iommugrp()
{
	local cur prev words cword split=false
	if declare -F _init_completion >/dev/null; then
		_init_completion -s -n : || return
	else
		# No bash-completion: take the words from the line up to the cursor.
		local line=${COMP_LINE:0:COMP_POINT}
		read -ra words <<<"$line"
		[[ -z $line || $line == *[[:space:]] ]] && words+=('')
		cword=$((${#words[@]} - 1))
		cur=${words[cword]} prev=
		((cword > 0)) && prev=${words[cword - 1]}
		if [[ $cur == --?*=* ]]; then
			prev=${cur%%=*} cur=${cur#*=} split=true
		fi
	fi
	COMPREPLY=()

	# Find the command (the first word that is neither an option nor an
	# option's argument), how many positional arguments follow it, and which.
	local i w cmd= nargs=0 dashdash=false
	local -a args=()
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if ! $dashdash && [[ $w == -* && $w != - ]]; then
			if [[ $w == -- ]]; then
				dashdash=true
			elif [[ " $_iommugrp_opts_with_arg " == *" $w "* ]]; then
				((i++)) # its argument
			elif [[ $w =~ $_iommugrp_short_o ]]; then
				((i++)) # bundled short options ending in -o: -Jo LIST
			fi
		elif [[ -z $cmd ]]; then
			cmd=$w
		else
			args+=("$w")
		fi
	done
	nargs=${#args[@]}

	# The argument of an option.
	local opt=$prev
	! $split && [[ $prev =~ $_iommugrp_short_o ]] && opt=-o
	if $split || [[ " $_iommugrp_opts_with_arg " == *" $opt "* ]]; then
		# (a split "--opt=" always lands here)
		case $opt in
			--sysroot)
				if declare -F _filedir >/dev/null; then
					_filedir -d
				else
					COMPREPLY=($(compgen -d -- "$cur"))
					compopt -o filenames 2>/dev/null
				fi
				;;
			--output | -o) _iommugrp_columns "$cur" words "$cword" ;;
			--color) _iommugrp_add "$cur" auto always never ;;
			--user) COMPREPLY=($(compgen -u -- "$cur")) ;;
			--group) COMPREPLY=($(compgen -g -- "$cur")) ;;
			--udev) COMPREPLY=($(compgen -W '/devices/' -- "$cur")) ;;
		esac
		[[ $cur == *:* ]] && _iommugrp_ltrim_colon "$cur"
		return
	fi
	if [[ $cur =~ ^(-[JrnlV?]*o)(.+)$ ]]; then # -oLIST, -JoLIST
		local o=${BASH_REMATCH[1]}
		_iommugrp_columns "${BASH_REMATCH[2]}" words "$cword"
		COMPREPLY=("${COMPREPLY[@]/#/$o}")
		return
	fi

	if ! $dashdash && [[ $cur == -* ]]; then
		# shellcheck disable=SC2086
		_iommugrp_add "$cur" $_iommugrp_common_opts $(_iommugrp_command_opts "$cmd")
		return
	fi

	if [[ -z $cmd ]]; then
		# shellcheck disable=SC2086
		_iommugrp_add "$cur" $_iommugrp_commands
		return
	fi

	case $(_iommugrp_command_args "$cmd" $((nargs + 1))) in
		target) _iommugrp_targets "$cur" words "$cword" "${args[@]}" ;;
		policy) _iommugrp_add "$cur" $_iommugrp_policies ;;
	esac
	[[ $cur == *:* ]] && _iommugrp_ltrim_colon "$cur"
	return 0
}

# Readline treats ':' as a word break: strip what precedes the last ':' of the
# word from every reply (as bash-completion's __ltrim_colon_completions does).
_iommugrp_ltrim_colon()
{
	[[ $COMP_WORDBREAKS == *:* ]] || return 0
	local prefix=${1%"${1##*:}"} i
	for i in "${!COMPREPLY[@]}"; do
		COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}
	done
}

complete -F _iommugrp iommugrp

# ex: filetype=sh
