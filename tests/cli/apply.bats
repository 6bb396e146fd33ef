#!/usr/bin/env bats
# Transactions applied for real on copies of fixture trees, through the test preload
# (tests/preload/sysfs-fake.c: sysfs write semantics, IOMMUGRP_FAULT). Every failure of every
# step is rolled back to the sysfs state found, byte for byte; every kill is put back by
# restore. What the kernel decides for real is tested in the VM (tests/vm/guest/).

load helpers
bats_require_minimum_version 1.5.0

load changes

# steps_of ARGS: the number of steps iommugrp plans for ARGS (a command with --dry-run --json).
steps_of() {
	igp "$@" | jq '(.groups[0] // .).steps | length'
}

no_journal() {
	local left
	left=$(find "$FXC/run" -name '*.journal*' 2>/dev/null)
	[[ -z $left ]] || { echo "journal left: $left" >&2; return 1; }
}

# each_fault_rolls_back SETUP CMD ARGS...: for every step N of CMD's plan and every fault mode
# that fails step N (before or after its write), CMD exits 5, says it rolled back, and leaves
# sys/ as it was and no journal. SETUP (a function, or true) prepares each fresh copy.
each_fault_rolls_back() {
	local setup=$1 cmd=$2 fixture=$FIXTURE n k mode before
	shift 2
	fx_copy "$fixture"
	$setup
	n=$(steps_of "$cmd" --dry-run --json "$@")
	[[ $n -gt 0 ]] || { echo "no steps planned for $cmd $*" >&2; return 1; }
	for mode in fail-step busy-write written-wrong; do
		for ((k = 1; k <= n; k++)); do
			fx_copy "$fixture"
			$setup
			before=$(sys_sum "$FXC")
			IOMMUGRP_FAULT=$mode=$k run --separate-stderr igp "$cmd" "$@" </dev/null
			echo "# $cmd $* with $mode=$k" >&2
			exit_is 5 || return 1
			err_has "rolled back" || return 1
			[[ $(sys_sum "$FXC") == "$before" ]] || { echo "$mode=$k: sys/ is not as it was" >&2; _dump; return 1; }
			no_journal || return 1
		done
	done
}

bound_to_vfio() { igp vfio-bind 03:00.0 >/dev/null 2>&1; }

@test "the preload applies set-policy on a fixture: the type and driver as asked, no journal" {
	fx_copy qemu-q35
	run --separate-stderr igp set-policy --unbind 2 identity
	exit_is 0
	[[ $(<"$FXC/sys/kernel/iommu_groups/2/type") == identity ]]
	[[ $(readlink "$FXC/sys/bus/pci/devices/0000:00:02.0/driver") == */e1000e ]]
	no_journal
}

@test "a type write the kernel turns into another type is undone: DMA-FQ as found, exit 5" {
	fx_copy qemu-q35
	before=$(sys_sum "$FXC")
	IOMMUGRP_FAULT=written-wrong=2 run --separate-stderr igp set-policy --unbind 2 identity
	exit_is 5
	err_has "the type now reads 'DMA'"
	err_has "rolled back"
	[[ $(<"$FXC/sys/kernel/iommu_groups/2/type") == DMA-FQ ]]
	[[ $(sys_sum "$FXC") == "$before" ]]
	no_journal
}

@test "set-policy: every step failing, busy or written wrong is rolled back (6.1 single device)" {
	FIXTURE=qemu-q35 each_fault_rolls_back true set-policy --unbind 2 identity
}

@test "vfio-bind: every step failing, busy or written wrong is rolled back" {
	FIXTURE=host-in-use each_fault_rolls_back true vfio-bind 03:00.0
}

@test "vfio-release: every step failing, busy or written wrong is rolled back, the record kept" {
	FIXTURE=host-in-use each_fault_rolls_back bound_to_vfio vfio-release 03:00.0
	[[ -f $FXC/run/iommugrp/group-7.vfio ]]
}

# killed_then_restored SETUP FAULT CMD ARGS...: CMD stopped (or blocked) by FAULT is killed with
# SIGKILL; status names the group; restore puts sys/ back as found and removes the journal.
killed_then_restored() {
	local setup=$1 fault=$2 pid before
	shift 2
	fx_copy "$FIXTURE"
	$setup
	before=$(sys_sum "$FXC")
	IOMMUGRP_FAULT=$fault IOMMUGRP_FAULT_BLOCKED=$BATS_TEST_TMPDIR/blocked \
		LD_PRELOAD=$IOMMUGRP_PRELOAD "$IOMMUGRP" --sysroot "$FXC" "$@" </dev/null >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 500; i++)); do
		[[ $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) == T || -e $BATS_TEST_TMPDIR/blocked ]] && break
		sleep 0.02
	done
	rm -f "$BATS_TEST_TMPDIR/blocked"
	kill -9 "$pid"
	wait "$pid" || true
	run --separate-stderr igp status
	out_has "interrupted operations: group 7" || return 1
	run --separate-stderr igp restore </dev/null
	echo "# $* with $fault" >&2
	exit_is 0 || return 1
	[[ $(sys_sum "$FXC") == "$before" ]] || { echo "$fault: sys/ is not as it was" >&2; _dump; return 1; }
	no_journal
}

@test "vfio-bind killed after each step (stop-after=N): restore puts the group back" {
	for k in 1 2 3; do
		FIXTURE=host-in-use killed_then_restored true stop-after=$k vfio-bind 03:00.0
	done
}

@test "vfio-release killed in a blocked unbind, and after each step: restore puts it back" {
	FIXTURE=host-in-use killed_then_restored bound_to_vfio block-write=1 vfio-release 03:00.0
	for k in 1 2 3; do
		FIXTURE=host-in-use killed_then_restored bound_to_vfio stop-after=$k vfio-release 03:00.0
	done
}
