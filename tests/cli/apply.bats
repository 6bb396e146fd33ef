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

# fake_proc_locks PID FILE: the copy's /proc/locks shows PID holding an flock on FILE, in the
# kernel's format (major and minor of the file's device in hex, then its inode).
fake_proc_locks() {
	local dev ino
	dev=$(stat -c %d "$2")
	ino=$(stat -c %i "$2")
	printf '1: FLOCK  ADVISORY  WRITE %d %02x:%02x:%d 0 EOF\n' "$1" $(((dev >> 8) & 0xfff)) \
		$(((dev & 0xff) | ((dev >> 12) & 0xfff00))) "$ino" >"$FXC/proc/locks"
}

@test "status: a journal whose lock another iommugrp holds is under way, not interrupted" {
	fx_copy host-in-use
	local pid i
	IOMMUGRP_FAULT=stop-after=1 LD_PRELOAD=$IOMMUGRP_PRELOAD "$IOMMUGRP" --sysroot "$FXC" \
		vfio-bind 03:00.0 </dev/null >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 500; i++)); do
		[[ $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) == T ]] && break
		sleep 0.02
	done
	fake_proc_locks "$pid" "$FXC/run/iommugrp/group-7.lock"
	run --separate-stderr igc status
	out_has 'operations under way: group 7'
	out_lacks 'interrupted operations'
	run --separate-stderr igc status --json
	jq_eq '[.running, .interrupted]' '[[7],[]]'
	kill -9 "$pid"
	wait "$pid" || true
	: >"$FXC/proc/locks" # the kernel drops a dead process's locks
	run --separate-stderr igc status
	out_has 'interrupted operations: group 7'
	out_lacks 'under way'
	run --separate-stderr igp restore </dev/null
	exit_is 0
}

# --- an interrupted operation's journal is restore's: no other change replaces it (issue 21) ---

# killed_after FIXTURE K CMD ARGS...: a fresh copy of FIXTURE ($FXC) where CMD was stopped once
# its journal recorded K finished steps, and killed there; $before is sys/ as found.
killed_after() {
	local fixture=$1 k=$2 pid i
	shift 2
	fx_copy "$fixture"
	before=$(sys_sum "$FXC")
	IOMMUGRP_FAULT=stop-after=$k LD_PRELOAD=$IOMMUGRP_PRELOAD "$IOMMUGRP" --sysroot "$FXC" \
		"$@" </dev/null >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 500; i++)); do
		[[ $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) == T ]] && break
		sleep 0.02
	done
	kill -9 "$pid"
	wait "$pid" || true
	[[ -f $FXC/run/iommugrp/group-${JOURNAL_GROUP}.journal ]]
}

# refused_interrupted CMD ARGS...: CMD is refused (exit 4) naming the journal and restore, and
# neither sys/ nor the journal changes.
refused_interrupted() {
	local journal=$FXC/run/iommugrp/group-${JOURNAL_GROUP}.journal sys sum
	sys=$(sys_sum "$FXC")
	sum=$(md5sum <"$journal")
	run --separate-stderr igp "$@" </dev/null
	echo "# $*" >&2
	exit_is 4 || return 1
	err_has "/run/iommugrp/group-${JOURNAL_GROUP}.journal of an interrupted operation" || return 1
	err_has "iommugrp restore" || return 1
	[[ $(sys_sum "$FXC") == "$sys" ]] || { echo "sys/ changed" >&2; return 1; }
	[[ $(md5sum <"$journal") == "$sum" ]] || { echo "the journal changed" >&2; return 1; }
}

@test "set-policy --unbind killed after its first step: a second one is refused, restore puts the group back" {
	JOURNAL_GROUP=2 killed_after qemu-q35 1 set-policy --unbind 2 identity
	[[ ! -e $FXC/sys/bus/pci/devices/0000:00:02.0/driver ]] # its step 1: e1000e unbound
	JOURNAL_GROUP=2 refused_interrupted set-policy --unbind 2 identity
	JOURNAL_GROUP=2 refused_interrupted set-policy --unbind 2 DMA
	JOURNAL_GROUP=2 refused_interrupted vfio-bind --force 2
	run --separate-stderr igp set-policy --unbind --dry-run --json 2 identity
	exit_is 4
	jq_true '.refusal | contains("group-2.journal")'
	run --separate-stderr igp restore </dev/null
	exit_is 0
	[[ $(sys_sum "$FXC") == "$before" ]]
	no_journal
	run --separate-stderr igp set-policy --unbind 2 identity
	exit_is 0
}

@test "vfio-bind killed after the override write: vfio-bind, vfio-release and apply are refused; after restore both work" {
	local k
	for k in 1 2; do
		JOURNAL_GROUP=7 killed_after host-in-use $k vfio-bind 03:00.0
		JOURNAL_GROUP=7 refused_interrupted vfio-bind 03:00.0 || return 1
		JOURNAL_GROUP=7 refused_interrupted vfio-release 03:00.0 || return 1
		mkdir -p "$FXC/etc"
		printf 'path=0000:00/1c.4/00.0 vfio=yes\n' >"$FXC/etc/iommugrp.conf"
		JOURNAL_GROUP=7 refused_interrupted apply || return 1
		[[ ! -e $FXC/run/iommugrp/group-7.vfio ]]
		run --separate-stderr igp restore </dev/null
		exit_is 0
		[[ $(sys_sum "$FXC") == "$before" ]]
		run --separate-stderr igp vfio-bind 03:00.0
		exit_is 0
		run --separate-stderr igp vfio-release 03:00.0
		exit_is 0
		[[ $(sys_sum "$FXC") == "$before" ]] || { echo "k=$k: the NIC is not back" >&2; return 1; }
		[[ $(readlink "$FXC/sys/bus/pci/devices/0000:03:00.0/driver") == */igc ]]
	done
}

@test "a journal whose operation is still under way refuses as the lock does, not as interrupted" {
	fx_copy host-in-use
	local pid i
	IOMMUGRP_FAULT=stop-after=1 LD_PRELOAD=$IOMMUGRP_PRELOAD "$IOMMUGRP" --sysroot "$FXC" \
		vfio-bind 03:00.0 </dev/null >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 500; i++)); do
		[[ $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) == T ]] && break
		sleep 0.02
	done
	fake_proc_locks "$pid" "$FXC/run/iommugrp/group-7.lock"
	run --separate-stderr igp vfio-bind --dry-run 03:00.0
	kill -9 "$pid"
	wait "$pid" || true
	exit_is 4
	err_has 'another iommugrp process is changing group 7'
	err_lacks 'interrupted'
}

# --- /run/iommugrp is iommugrp's own, or refused (issue 11.3) -------------------------------

# refused_run_dir WHY: set-policy on the copy $FXC (its run/iommugrp prepared by the test) is
# refused (exit 4) saying WHY, and sys/ is unchanged.
refused_run_dir() {
	local before
	before=$(sys_sum "$FXC")
	run --separate-stderr igp set-policy --unbind 2 identity
	exit_is 4 || return 1
	err_has "/run/iommugrp" || return 1
	err_has "$1" || return 1
	[[ $(sys_sum "$FXC") == "$before" ]] || { echo "sys/ changed" >&2; return 1; }
}

@test "/run/iommugrp as a symlink, open to others, or not root's is refused, saying why" {
	fx_copy qemu-q35
	mkdir -p "$FXC/run" "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$FXC/run/iommugrp"
	refused_run_dir "symbolic link"
	[[ -z $(ls -A "$BATS_TEST_TMPDIR/elsewhere") ]]
	rm "$FXC/run/iommugrp"
	mkdir -m 0777 "$FXC/run/iommugrp"
	refused_run_dir "mode 0777"
	chmod 0700 "$FXC/run/iommugrp"
	chown 1000 "$FXC/run/iommugrp"
	refused_run_dir "owned by uid 1000"
	rm -rf "$FXC/run/iommugrp"
	touch "$FXC/run/iommugrp"
	refused_run_dir "not a directory"
}

@test "a journal in a /run/iommugrp open to others is not trusted by restore" {
	fx_copy qemu-q35
	write_journal group-2.journal set-policy 2 identity "$(devline 0000:00:02.0 e1000e -)"
	chmod 0777 "$FXC/run/iommugrp"
	run --separate-stderr igp restore </dev/null
	exit_is 4
	err_has "mode 0777"
	[[ $(<"$FXC/sys/kernel/iommu_groups/2/type") == DMA-FQ ]]
}

@test "planted symlinks as the lock or the journal's temp file are not followed" {
	fx_copy qemu-q35
	mkdir -m 0700 -p "$FXC/run/iommugrp"
	echo precious >"$BATS_TEST_TMPDIR/victim"
	ln -s "$BATS_TEST_TMPDIR/victim" "$FXC/run/iommugrp/group-2.lock"
	run --separate-stderr igp set-policy --unbind 2 identity
	exit_is 4
	err_has "group-2.lock"
	[[ $(<"$BATS_TEST_TMPDIR/victim") == precious ]]
	rm "$FXC/run/iommugrp/group-2.lock"
	ln -s "$BATS_TEST_TMPDIR/victim" "$FXC/run/iommugrp/group-2.journal.tmp"
	run --separate-stderr igp set-policy --unbind 2 identity
	exit_is 0
	[[ $(<"$BATS_TEST_TMPDIR/victim") == precious ]]
	[[ ! -e $FXC/run/iommugrp/group-2.journal.tmp && ! -L $FXC/run/iommugrp/group-2.journal.tmp ]]
}

@test "a .tmp left by a kill during the first journal write is cleaned by the next operation" {
	fx_copy qemu-q35
	mkdir -m 0700 -p "$FXC/run/iommugrp"
	echo 'iommugrp-journal 1' >"$FXC/run/iommugrp/group-2.journal.tmp"
	echo 'iommugrp-journal 1' >"$FXC/run/iommugrp/group-2.vfio.tmp"
	run --separate-stderr igp set-policy --unbind 2 identity
	exit_is 0
	[[ -z $(find "$FXC/run/iommugrp" -name '*.tmp') ]]
}

@test "a FIFO where a journal or a sysfs file should be is refused, not waited on" {
	fx_copy qemu-q35
	mkdir -m 0700 -p "$FXC/run/iommugrp"
	mkfifo "$FXC/run/iommugrp/group-2.journal"
	run --separate-stderr timeout 20 "$IOMMUGRP" --sysroot "$FXC" restore --dry-run
	exit_is 4
	err_has "group-2.journal"
	rm "$FXC/run/iommugrp/group-2.journal"
	rm "$FXC/sys/kernel/iommu_groups/2/type"
	mkfifo "$FXC/sys/kernel/iommu_groups/2/type"
	run --separate-stderr timeout 20 "$IOMMUGRP" --sysroot "$FXC" show 2
	[[ $status -ne 124 ]] || { echo "show hung on a FIFO" >&2; return 1; }
	err_has "type"
}

# --- records are removed only under the lock; status tells what it could not see (11.7, 11.9)

@test "a no-op restore while another iommugrp holds the group's lock keeps the journal" {
	fx_copy qemu-q35
	write_journal group-2.journal set-policy 2 DMA-FQ "$(devline 0000:00:02.0 e1000e -)"
	flock "$FXC/run/iommugrp/group-2.lock" sleep 30 &
	local holder=$!
	for ((i = 0; i < 200; i++)); do
		flock -n "$FXC/run/iommugrp/group-2.lock" true || break
		sleep 0.05
	done
	run --separate-stderr igp restore </dev/null
	kill $(pgrep -P "$holder") "$holder"
	wait "$holder" || true
	exit_is 4
	err_has "another iommugrp process"
	[[ -f $FXC/run/iommugrp/group-2.journal ]]
	run --separate-stderr igp restore </dev/null
	exit_is 0
	[[ ! -e $FXC/run/iommugrp/group-2.journal ]]
}

@test "status as a user who cannot read /run/iommugrp says it could not look" {
	local top
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$IOMMUGRP" ||
		skip "user 65534 cannot run $IOMMUGRP (a directory above it is not searchable)"
	top=$(mktemp -d /tmp/iommugrp-nonroot.XXXXXX)
	chmod 755 "$top"
	cp -a "$IOMMUGRP_FIXTURES/qemu-q35" "$top/"
	mkdir -m 0700 -p "$top/qemu-q35/run/iommugrp"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		env LD_LIBRARY_PATH="$LD_LIBRARY_PATH" "$IOMMUGRP" --sysroot "$top/qemu-q35" status --json
	local saved_status=$status saved_output=$output saved_stderr=$stderr
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		env LD_LIBRARY_PATH="$LD_LIBRARY_PATH" "$IOMMUGRP" --sysroot "$top/qemu-q35" status
	rm -rf "$top"
	out_has "interrupted operations: unknown"
	err_has "could not look"
	status=$saved_status output=$saved_output stderr=$saved_stderr
	exit_is 0
	jq_eq '.interrupted' 'null'
}

@test "vfio-bind --user/--group take numeric ids too, and hand /dev/vfio/N over by them" {
	fx_copy host-in-use
	run --separate-stderr igp vfio-bind --user 4242 --group 4343 03:00.0
	exit_is 0
	[[ $(stat -c %u:%g "$FXC/dev/vfio/7") == 4242:4343 ]]
	run --separate-stderr igp vfio-bind --dry-run --user 12x 03:00.0
	exit_is 2
}

@test "several targets, one group changed and one refused: exit 7 (partial), not 4 (nothing changed)" {
	fx_copy host-in-use
	run --separate-stderr igp vfio-bind 7 6
	exit_is 7
	err_has 'enp2s0 has a global IPv6 address'
	[[ $(readlink "$FXC/sys/bus/pci/devices/0000:03:00.0/driver") == */vfio-pci ]]
	# a dry run changes nothing: the worst status, 4, stays
	run --separate-stderr igp vfio-release --dry-run 7 6
	[[ $status -ne 7 ]] || { _dump; false; }
	grep -q '^\*7\*$' "$MANPAGE"
}

# --- a --sysroot tree cannot lead writes out of it (issue 11.4) --------------------------------

# host_file NAME [TEXT]: a file outside the tree, root's, mode 0640, holding TEXT (default: what
# a driver_override without an override reads, so that a plan writing through it goes ahead).
host_file() {
	echo "${2:-(null)}" >"$BATS_TEST_TMPDIR/$1"
	chmod 0640 "$BATS_TEST_TMPDIR/$1"
	echo "$BATS_TEST_TMPDIR/$1"
}
# host_file_untouched FILE [TEXT]: FILE still holds TEXT, with its mode and owner.
host_file_untouched() {
	[[ $(<"$1") == "${2:-(null)}" && $(stat -c %a:%u:%g "$1") == 640:0:0 ]] ||
		{ echo "$1 was changed: $(stat -c %a:%u:%g "$1") $(<"$1")" >&2; return 1; }
}

@test "--sysroot: a /dev/vfio/N planted as a link to a host file is not chowned through" {
	fx_copy host-in-use
	local host
	host=$(host_file passwd)
	mkdir -p "$FXC/dev/vfio"
	ln -s "$host" "$FXC/dev/vfio/7"
	run --separate-stderr igp vfio-bind --user 4242 --group 4343 03:00.0
	exit_is 1
	err_has "cannot give /dev/vfio/7 to 4242:4343: it is not a character device"
	host_file_untouched "$host"
}

@test "--sysroot: a driver_override linked to a host file, absolute or by '..', is never written" {
	local host how dev
	for how in absolute relative; do
		fx_copy host-in-use
		host=$(host_file "override-$how")
		dev=$(cd "$FXC" && realpath "sys/bus/pci/devices/0000:03:00.0")
		rm -f "$dev/driver_override"
		if [[ $how == absolute ]]; then
			ln -s "$host" "$dev/driver_override"
		else
			ln -s "$(realpath --relative-to="$dev" "$host")" "$dev/driver_override"
		fi
		run --separate-stderr igp vfio-bind 03:00.0
		[[ $status -ne 0 ]] || { _dump; false; }
		host_file_untouched "$host"
	done
}

@test "--sysroot: a bridge directory linked out of the tree gets no write below it" {
	fx_copy host-in-use
	local bridge=$FXC/sys/devices/pci0000:00/0000:00:1c.4
	cp -a "$bridge" "$BATS_TEST_TMPDIR/hostbridge"
	host_file hostbridge/0000:03:00.0/driver_override >/dev/null
	rm -rf "$bridge"
	ln -s "$BATS_TEST_TMPDIR/hostbridge" "$bridge"
	run --separate-stderr igp vfio-bind 03:00.0
	host_file_untouched "$BATS_TEST_TMPDIR/hostbridge/0000:03:00.0/driver_override"
}
