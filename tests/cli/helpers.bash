# Shared by the CLI tests: how to call iommugrp and where the fixtures are.
export LC_ALL=C
unset NO_COLOR

# iommugrp, under $IOMMUGRP_WRAPPER when set (valgrind in make check-valgrind).
ig() {
	# shellcheck disable=SC2086
	$IOMMUGRP_WRAPPER "$IOMMUGRP" "$@"
}

# iommugrp reading fixture $1.
igf() {
	local fixture=$1
	shift
	ig --sysroot "$IOMMUGRP_FIXTURES/$fixture" "$@"
}

# Compares $output with the expected file tests/cli/expected/$1.
matches_expected() {
	local expected="$BATS_TEST_DIRNAME/expected/$1"
	if ! diff -u "$expected" <(printf '%s\n' "$output"); then
		echo "output differs from $expected" >&2
		return 1
	fi
}

# --- assertions (each prints what it saw when it fails) --------------------------------
bats_require_minimum_version 1.5.0

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
MANPAGE=$TOP/man/iommugrp.8.scd

_show_output() {
	echo "--- status: $status"
	echo "--- output:"
	printf '%s\n' "$output"
	if [[ -n ${stderr+x} ]]; then
		echo "--- stderr:"
		printf '%s\n' "$stderr"
	fi
}

# status_is N: $status is N.
status_is() {
	[[ $status -eq $1 ]] && return 0
	echo "expected exit status $1" >&2
	_show_output >&2
	return 1
}

# has STRING [TEXT]: STRING occurs in TEXT (default $output).
has() {
	local text=${2-$output}
	[[ $text == *"$1"* ]] && return 0
	echo "expected to find: $1" >&2
	_show_output >&2
	return 1
}

# lacks STRING [TEXT]: STRING does not occur in TEXT (default $output).
lacks() {
	local text=${2-$output}
	[[ $text != *"$1"* ]] && return 0
	echo "expected NOT to find: $1" >&2
	_show_output >&2
	return 1
}

# has_line LINE [TEXT]: TEXT (default $output) has LINE as a whole line (trailing blanks ignored).
has_line() {
	local text=${2-$output}
	sed 's/[[:space:]]*$//' <<<"$text" | grep -qxF -- "$1" && return 0
	echo "expected the line: $1" >&2
	_show_output >&2
	return 1
}

# has_re ERE [TEXT]: some line of TEXT (default $output) matches the extended regex.
has_re() {
	local text=${2-$output}
	grep -qE -- "$1" <<<"$text" && return 0
	echo "expected a line matching: $1" >&2
	_show_output >&2
	return 1
}

# jq_ok FILTER: FILTER gives exactly one `true` on $output (which must be valid JSON).
jq_ok() {
	local r
	r=$(jq -e "$1" <<<"$output" 2>&1) && [[ $r == true ]] && return 0
	echo "jq -e '$1' failed: $r" >&2
	_show_output >&2
	return 1
}

# jq_is FILTER VALUE: jq -c FILTER on $output prints exactly VALUE (compact JSON).
jq_is() {
	local r
	r=$(jq -c "$1" <<<"$output" 2>&1)
	[[ $r == "$2" ]] && return 0
	echo "jq -c '$1': expected $2, got $r" >&2
	_show_output >&2
	return 1
}

# matches_expected_text NAME: like matches_expected, ignoring trailing blanks on each line
# (libsmartcols pads empty cells; the expected files stay free of trailing whitespace).
matches_expected_text() {
	local expected="$BATS_TEST_DIRNAME/expected/$1"
	if ! diff -u "$expected" <(printf '%s\n' "$output" | sed 's/[[:space:]]*$//'); then
		echo "output differs from $expected" >&2
		return 1
	fi
}

# The columns the man page documents, one per line (from its COLUMNS section).
man_columns() {
	sed -n '/^# COLUMNS/,/^# JSON OUTPUT/p' "$MANPAGE" | grep -E '^\*[A-Z]+\*' |
		grep -oE '\*[A-Z]+\*' | tr -d '*'
}

# The commands of the man page's SYNOPSIS, one per line.
man_commands() {
	sed -n '/^# SYNOPSIS/,/^# DESCRIPTION/p' "$MANPAGE" |
		sed -n 's/^\*iommugrp\* \[_OPTIONS_\] \[\{0,1\}\*\([a-z-]*\)\*.*/\1/p'
}

# The exit codes of the man page's EXIT STATUS section, one per line.
man_exit_codes() {
	sed -n '/^# EXIT STATUS/,/^# ENVIRONMENT/p' "$MANPAGE" | sed -n 's/^\*\([0-9]\)\*$/\1/p'
}

# iommugrp in a pseudo-terminal (for --color=auto); stdout and stderr both in the output.
igf_tty() {
	local fixture=$1 cmd
	shift
	printf -v cmd '%q ' $IOMMUGRP_WRAPPER "$IOMMUGRP" --sysroot "$IOMMUGRP_FIXTURES/$fixture" "$@"
	script -qec "$cmd" /dev/null
}
