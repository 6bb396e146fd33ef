#!/usr/bin/env bats
# Global behaviour: help, version, usage errors, common options around the command, --sysroot.

load helpers

@test "--help: lists every command of the man page and every exit code, exit 0" {
	run --separate-stderr ig --help
	status_is 0
	has 'Usage: iommugrp'
	local c
	for c in $(man_commands); do
		has_re "^  $c( |$)"
	done
	has 'Exit status:'
	for c in $(man_exit_codes); do
		has_re "(^|[ :,])$c [a-z]"
	done
	has --sysroot
	has --list-columns
}

@test "-? is --help; --usage gives a short usage; COMMAND --help" {
	run ig '-?'
	status_is 0
	has 'Usage: iommugrp'
	run ig --usage
	status_is 0
	has 'Usage: iommugrp'
	has '[--sysroot=DIR]'
	run ig show --help
	status_is 0
	has 'TARGET'
}

@test "--version and -V print the Makefile's version" {
	local v
	v=$(sed -n 's/^VERSION = //p' "$TOP/Makefile")
	[[ -n $v ]]
	run --separate-stderr ig --version
	status_is 0
	[[ $output == "iommugrp $v" ]] || { echo "got: $output"; false; }
	run ig -V
	status_is 0
	[[ $output == "iommugrp $v" ]]
}

@test "unknown command: exit 2, points to --help" {
	run --separate-stderr igf qemu-q35 frobnicate
	status_is 2
	has frobnicate "$stderr"
	has "Try 'iommugrp --help'" "$stderr"
	[[ -z $output ]]
}

@test "unknown option: exit 2" {
	run --separate-stderr igf qemu-q35 --frobnicate
	status_is 2
	has frobnicate "$stderr"
	run --separate-stderr igf qemu-q35 show 2 --frobnicate
	status_is 2
}

@test "common options before and after the command: --json show 2 == show 2 --json" {
	run --separate-stderr igf qemu-q35 --json show 2
	status_is 0
	local before=$output
	jq_is '.iommugroup.group' '2'
	run --separate-stderr igf qemu-q35 show 2 --json
	status_is 0
	[[ $output == "$before" ]]
	run --separate-stderr igf qemu-q35 show -J 2
	status_is 0
	[[ $output == "$before" ]]
}

@test "common options after list and status" {
	run igf qemu-q35 list -n -r -o GROUP,NAME -l
	status_is 0
	has_line '3 0000:01:02.0'
	lacks NAME
	run igf qemu-q35 -J status
	status_is 0
	jq_is '.groups' '5'
	run igf qemu-q35 status --json
	status_is 0
	jq_is '.groups' '5'
}

@test "--sysroot after the command, and --sysroot=DIR" {
	run ig show 2 --sysroot "$IOMMUGRP_FIXTURES/many-groups" -J
	status_is 0
	jq_is '.iommugroup.devices[0].name' '"0000:00:01.1"'
	run ig --sysroot="$IOMMUGRP_FIXTURES/many-groups" status -J
	status_is 0
	jq_is '.groups' '13'
}

@test "--sysroot pointing nowhere: a clear error naming it, exit 1, for every command" {
	local nowhere=$BATS_TEST_TMPDIR/no/such/dir args
	for args in "" "list" "status" "show 2" "-J"; do
		# shellcheck disable=SC2086
		run --separate-stderr ig --sysroot "$nowhere" $args
		status_is 1
		has "$nowhere" "$stderr"
		[[ -z $output ]] || { echo "stdout for '$args': $output"; false; }
	done
}

@test "--sysroot pointing at a file: exit 1" {
	run --separate-stderr ig --sysroot "$MANPAGE" status
	status_is 1
	has "$MANPAGE" "$stderr"
}

@test "IOMMUGRP_LOG=info: library messages go to stderr, stdout unchanged" {
	run --separate-stderr igf no-iommu-sysfs -J
	status_is 0
	local plain_out=$output plain_err=$stderr
	lacks 'info:' "$plain_err"
	IOMMUGRP_LOG=info run --separate-stderr igf no-iommu-sysfs -J
	status_is 0
	[[ $output == "$plain_out" ]]
	has 'info:' "$stderr"
	has iommu_groups "$stderr"
	IOMMUGRP_LOG=6 run --separate-stderr igf no-iommu-sysfs -J
	status_is 0
	has 'info:' "$stderr"
}

@test "a stdout that cannot be written fails every command with one message, exit 1" {
	[[ -w /dev/full ]] || skip "no /dev/full"
	local f=$IOMMUGRP_FIXTURES/qemu-q35 args
	for args in "show 3" "show 3 --json" status "status --json" "why 3" check-config \
		"check-config --json" "vfio-bind --dry-run 3" "vfio-release --dry-run 3" --version \
		--help list; do
		# shellcheck disable=SC2086 # args are words
		run --separate-stderr bash -c '"$@" >/dev/full' - "$IOMMUGRP" --sysroot "$f" $args
		echo "iommugrp $args" >&2
		status_is 1
		[[ $(grep -c 'cannot write the output' <<<"$stderr") -eq 1 ]] || { _show_output >&2; false; }
	done
}

@test "a closed stdout that nothing was written to is no error: show 99 keeps exit 3" {
	run --separate-stderr bash -c '"$1" --sysroot "$2" show 99 >&-' - \
		"$IOMMUGRP" "$IOMMUGRP_FIXTURES/qemu-q35"
	status_is 3
	lacks 'cannot write' "$stderr"
}

@test "messages never echo control bytes from the command line: ESC becomes \\x1b" {
	local esc=$'\e[31m'
	run --separate-stderr igf qemu-q35 show "${esc}RED"
	status_is 2
	has "'\\x1b[31mRED' is not a group number" "$stderr"
	lacks "$esc" "$stderr"
	run --separate-stderr ig "--${esc}"
	status_is 2
	has "'--\\x1b[31m'" "$stderr"
	lacks "$esc" "$stderr"
	run --separate-stderr igf qemu-q35 --color="$esc"
	status_is 2
	lacks "$esc" "$stderr"
	run --separate-stderr igf qemu-q35 "cmd${esc}"
	status_is 2
	has "unknown command 'cmd\\x1b[31m'" "$stderr"
	lacks "$esc" "$stderr"
}
