# Shared by set-policy.bats, vfio.bats and restore.bats: assertions on stdout/stderr/JSON,
# private fixture copies, and journals in lib/journal.c's format.
# Every call is `run --separate-stderr`: $output is stdout, $stderr is stderr.
_dump() {
	printf -- '--- status: %s\n--- stdout:\n%s\n--- stderr:\n%s\n' "$status" "$output" "${stderr-}" >&2
}
exit_is() { [[ $status -eq $1 ]] || { echo "expected exit status $1" >&2; _dump; return 1; }; }
out_has() { [[ $output == *"$1"* ]] || { echo "stdout lacks: $1" >&2; _dump; return 1; }; }
out_lacks() { [[ $output != *"$1"* ]] || { echo "stdout has: $1" >&2; _dump; return 1; }; }
err_has() { [[ ${stderr-} == *"$1"* ]] || { echo "stderr lacks: $1" >&2; _dump; return 1; }; }
err_lacks() { [[ ${stderr-} != *"$1"* ]] || { echo "stderr has: $1" >&2; _dump; return 1; }; }
out_empty() { [[ -z $output ]] || { echo "stdout is not empty" >&2; _dump; return 1; }; }
# out_is <<EOF: stdout is exactly the here-document.
out_is() {
	local want
	want=$(cat)
	[[ $output == "$want" ]] && return 0
	diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$output") >&2
	_dump
	return 1
}
# jq_true FILTER / jq_eq FILTER VALUE: on stdout, which must be JSON.
jq_true() { jq -e "$1" >/dev/null 2>&1 <<<"$output" || { echo "jq -e '$1' is not true" >&2; _dump; return 1; }; }
jq_eq() {
	local got
	got=$(jq -c "$1" <<<"$output" 2>&1)
	[[ $got == "$2" ]] || { echo "jq -c '$1': expected $2, got $got" >&2; _dump; return 1; }
}

# fx_copy NAME: a private copy of fixture NAME as $FXC, for runs without --dry-run (each must be
# refused before any write, or be a no-op) and for journals; igc runs iommugrp on it.
fx_copy() {
	FXC=$BATS_TEST_TMPDIR/$1
	rm -rf "$FXC"
	cp -a "$IOMMUGRP_FIXTURES/$1" "$FXC"
}
igc() { ig --sysroot "$FXC" "$@"; }
# tree_sum DIR: one line that changes when anything below DIR/sys or DIR/run changes
# (names, types, modes, link targets, file contents).
tree_sum() {
	(
		cd "$1" || exit 1
		find sys run -printf '%p %y %m %l\n' 2>/dev/null | sort
		find sys run -type f -print0 2>/dev/null | sort -z | xargs -0 -r md5sum
	) | md5sum
}
# vm_stopped FIXTURE PID: the VMM holding a group has exited (its proc entry is gone; with
# iommugrp's 6.1 patch the groups' dma_owner no longer says "user").
vm_stopped() {
	rm -rf "$FXC/proc/$2"
	local f
	for f in "$FXC"/sys/kernel/iommu_groups/*/dma_owner; do
		[[ -e $f && $(<"$f") == user ]] && echo none >"$f"
	done
	return 0
}

# devline NAME DRIVER OVERRIDE: a journal "device" line for NAME in the copy $FXC ("-": none).
devline() {
	local dir bus
	for bus in pci platform; do
		[[ -e $FXC/sys/bus/$bus/devices/$1 ]] || continue
		dir=$(cd "$FXC" && realpath --relative-to=. "sys/bus/$bus/devices/$1")
		echo "device $1 $dir $2 $3"
		return 0
	done
	echo "devline: no device $1" >&2
	return 1
}
# write_journal FILE OPERATION GROUP TYPE DEVICELINE...: $FXC/run/iommugrp/FILE in the format
# of lib/journal.c (journal_format), with the copy's boot id (or $BOOT_ID) and "done $DONE".
write_journal() {
	local file=$1 op=$2 group=$3 type=$4 body
	shift 4
	mkdir -p "$FXC/run"
	[[ -d $FXC/run/iommugrp ]] || mkdir -m 0700 "$FXC/run/iommugrp"
	body=$(
		echo "iommugrp-journal 1"
		echo "boot-id ${BOOT_ID:-$(<"$FXC/proc/sys/kernel/random/boot_id")}"
		echo "operation $op"
		echo "group $group"
		echo "type $type"
		printf '%s\n' "$@"
		echo "done ${DONE:-0}"
	)
	printf '%s\n' "$body" >"$FXC/run/iommugrp/$file"
	reseal_journal "$file"
}
# reseal_journal FILE: (re)writes FILE's checksum line, the POSIX cksum of the lines before it,
# and its end line, after a test edited the record on purpose.
reseal_journal() {
	local f=$FXC/run/iommugrp/$1 body
	body=$(grep -v -e '^checksum ' -e '^end$' "$f")
	printf '%s\nchecksum %s\nend\n' "$body" "$(printf '%s\n' "$body" | cksum | cut -d' ' -f1)" >"$f"
}
# igp ARGS: igc with the test preload (tests/preload/sysfs-fake.c): writes to the copy's sysfs
# files behave as the kernel's, and IOMMUGRP_FAULT injects failures.
igp() { LD_PRELOAD=$IOMMUGRP_PRELOAD igc "$@"; }
# no_journal: no journal (nor a half-written one) is left under the copy's run/.
no_journal() {
	local left
	left=$(find "$FXC/run" -name '*.journal*' 2>/dev/null || true) # no run/ at all: none
	[[ -z $left ]] || { echo "journal left: $left" >&2; return 1; }
}

# sys_sum DIR: tree_sum of DIR/sys alone (run/iommugrp keeps its lock files by design).
sys_sum() {
	(
		cd "$1" || exit 1
		find sys -printf '%p %y %m %l\n' | sort
		find sys -type f -print0 | sort -z | xargs -0 -r md5sum
	) | md5sum
}
