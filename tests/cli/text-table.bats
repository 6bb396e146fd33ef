#!/usr/bin/env bats
# list's own writers against libsmartcols: off a terminal the tree and table come from
# cli/text-table.c, -J and -r from cli/stream.c; IOMMUGRP_OUTPUT=smartcols (a test hook)
# has libsmartcols print them. Both must give the same bytes, stderr and exit status, on
# every fixture, for many column sets, in the C locale (ASCII tree) and in C.UTF-8.

load helpers

# Column sets: defaults, each alignment first and last, no tree, two tree columns,
# every column, columns that are empty on some fixtures (their header or hint decides).
COLUMN_SETS=(
	""
	"-n"
	"-l"
	"-l -n -o NAME,GROUP"
	"-o GROUP,NAME,DRIVER"
	"-o NAME,DEVICES"
	"-o DEVICES,GROUP"
	"-o NAME,NAME,TYPE"
	"-o TYPE,VIABLE"
	"-o DRIVER,OVERRIDE -n"
	"-o +OVERRIDE,PATH,SUBSYSTEM"
	"-o +REASON"
	"-o NAME,GROUP,TYPE,DEVICES,VIABLE,VFIO,SUBSYSTEM,CLASS,CLASSID,ID,VENDOR,MODEL,DRIVER,OVERRIDE,PATH,REASON"
)
# Under valgrind (make check-valgrind) a few sets check the memory use; the bytes are held
# to libsmartcols' for every set by the plain and the ASan/UBSan runs.
if [[ -n ${IOMMUGRP_WRAPPER:-} ]]; then
	COLUMN_SETS=("" "-l -n -o NAME,GROUP" "-o +REASON" "${COLUMN_SETS[-1]}")
fi

setup_file() {
	export SMALL=$BATS_FILE_TMPDIR/small
	"$TOP/tests/fixtures/gen-large" "$SMALL" --groups 30 --devices-per-group 3 >/dev/null
}

# same_as_smartcols ROOT ARGS...: iommugrp --sysroot ROOT ARGS prints what libsmartcols does.
same_as_smartcols() {
	local root=$1 ours=$BATS_TEST_TMPDIR/ours theirs=$BATS_TEST_TMPDIR/theirs
	local our_status=0 their_status=0
	shift
	ig --sysroot "$root" "$@" >"$ours" 2>"$ours.err" || our_status=$?
	# the reference, libsmartcols, is not what is tested: no wrapper (valgrind) for it
	IOMMUGRP_OUTPUT=smartcols "$IOMMUGRP" --sysroot "$root" "$@" >"$theirs" 2>"$theirs.err" ||
		their_status=$?
	if cmp -s "$ours" "$theirs" && cmp -s "$ours.err" "$theirs.err" &&
		[[ $our_status == "$their_status" ]]; then
		return 0
	fi
	echo "differs from libsmartcols: LC_ALL=$LC_ALL ${root##*/} $* (status $our_status, libsmartcols $their_status)" >&2
	diff -u "$theirs" "$ours" | cat -A | head -n 40 >&2
	diff -u "$theirs.err" "$ours.err" | head -n 10 >&2
	return 1
}

# every_fixture ARGS...: same_as_smartcols on each fixture tree and the small generated host.
every_fixture() {
	local root
	for root in "$IOMMUGRP_FIXTURES"/*/ "$SMALL"; do
		same_as_smartcols "${root%/}" "$@" || return 1
	done
}

# every_column_set: every_fixture with each of COLUMN_SETS.
every_column_set() {
	local set
	for set in "${COLUMN_SETS[@]}"; do
		# shellcheck disable=SC2086 # a set is several words
		every_fixture $set || return 1
	done
}

utf8_locale() {
	locale -a 2>/dev/null | grep -qixE 'c\.utf-?8' || skip "no C.UTF-8 locale"
}

@test "text-table: the odd-names fixture has what it is for (control, wide, zero-width, invalid bytes)" {
	run --separate-stderr igf odd-names -o NAME,DRIVER,OVERRIDE
	status_is 0
	has 'plat\x09uart'
	has '\xe2\x80\x8b'
	has '\x5cx41'
	has '\x1b[31mred\x7f'
	has 'c:\dir'
}

@test "text-table: tree and table equal libsmartcols' on every fixture and column set (LC_ALL=C)" {
	every_column_set
}

@test "text-table: tree and table equal libsmartcols' on every fixture and column set (C.UTF-8)" {
	utf8_locale
	LC_ALL=C.UTF-8 every_column_set
}

@test "text-table: the UTF-8 tree is drawn with box-drawing characters, as libsmartcols draws it" {
	utf8_locale
	LC_ALL=C.UTF-8 run igf qemu-q35 -o NAME
	status_is 0
	has_line $'\xe2\x94\x9c\xe2\x94\x800000:00:1f.0' # U+251C U+2500
	has_line $'\xe2\x94\x94\xe2\x94\x800000:00:1f.3' # U+2514 U+2500
}

@test "text-table: -J and -r (cli/stream.c) equal libsmartcols' on every fixture" {
	every_fixture -J
	every_fixture -r
	every_fixture -r -n -o NAME,OVERRIDE,DEVICES
	utf8_locale
	LC_ALL=C.UTF-8 every_fixture -J -o NAME,DRIVER,OVERRIDE
	LC_ALL=C.UTF-8 every_fixture -r -o NAME,DRIVER,OVERRIDE
}

@test "text-table: a host without groups prints nothing on stdout, as libsmartcols" {
	same_as_smartcols "$IOMMUGRP_FIXTURES/no-iommu"
	same_as_smartcols "$IOMMUGRP_FIXTURES/no-iommu" -l -o GROUP
	run --separate-stderr igf no-iommu
	[[ -z $output ]]
}

@test "text-table: a write error is reported and fails the listing" {
	[[ -w /dev/full ]] || skip "no /dev/full"
	# shellcheck disable=SC2016 # the inner shell expands them
	run --separate-stderr bash -c '"$IOMMUGRP" --sysroot "$IOMMUGRP_FIXTURES/qemu-q35" >/dev/full'
	status_is 1
	has 'cannot write the output' "$stderr"
}
