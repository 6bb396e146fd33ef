#!/usr/bin/env bats
# iommugrp restore on copies of fixture trees with journals written here (in the format of
# lib/journal.c): nothing to restore, a journal equal to the present, one recording other
# drivers or another type, and unusable journals (truncated, corrupt, another boot), which are
# refused (exit 4) with the file named and left in place; status warns about them. Only
# --dry-run, or runs refused before any write (checked: the copy's sys/ and run/ unchanged).

load helpers
bats_require_minimum_version 1.5.0

load changes

# The journal vfio-bind of qemu-q35's group 3 writes before its first step.
q35_group3_journal() {
	write_journal group-3.journal vfio-bind 3 DMA-FQ "$(devline 0000:00:03.0 - -)" \
		"$(devline 0000:01:01.0 e1000 -)" "$(devline 0000:01:02.0 e1000 -)"
}

# refused_untouched FILE [--unnamed]: restore (without --dry-run) refuses with exit 4, names
# FILE (/run/iommugrp/...) unless --unnamed, leaves it as it was and writes nothing. Every
# journal given to it records the present state, so even a wrongly accepted one plans no write.
refused_untouched() {
	local file=$1 before saved
	before=$(tree_sum "$FXC")
	saved=$(cat "$FXC$file"; echo x)
	run --separate-stderr igc restore </dev/null
	exit_is 4 || return 1
	[[ ${2-} == --unnamed ]] || err_has "$file" || return 1
	[[ -f $FXC$file && $(cat "$FXC$file"; echo x) == "$saved" ]] || { echo "$file changed or vanished" >&2; return 1; }
	[[ $(tree_sum "$FXC") == "$before" ]] || { echo "the fixture changed" >&2; return 1; }
}

@test "no journal: nothing to restore, exit 0" {
	fx_copy qemu-q35
	run --separate-stderr igc restore </dev/null
	exit_is 0
	out_is <<<'nothing to restore: no interrupted operation'
	run --separate-stderr igc restore --dry-run --json
	exit_is 0
	jq_eq '.' '{"groups":[]}'
}

@test "an empty /run/iommugrp, or one with only other files, is nothing to restore" {
	fx_copy qemu-q35
	mkdir -p "$FXC/run" && mkdir -m 0700 "$FXC/run/iommugrp"
	run --separate-stderr igc restore --dry-run
	exit_is 0
	out_has 'nothing to restore'
	q35_group3_journal
	mv "$FXC/run/iommugrp/group-3.journal" "$FXC/run/iommugrp/group-3.journal.tmp"
	: >"$FXC/run/iommugrp/group-3.lock"
	cp "$FXC/run/iommugrp/group-3.journal.tmp" "$FXC/run/iommugrp/group-3.vfio"
	run --separate-stderr igc restore --dry-run
	exit_is 0
	out_has 'nothing to restore'
	run --separate-stderr igc status --json
	jq_eq '.interrupted' '[]'
}

@test "a journal equal to the present state: dry run says there is nothing to do" {
	fx_copy qemu-q35
	q35_group3_journal
	run --separate-stderr igc restore --dry-run
	exit_is 0
	out_is <<<'group 3: nothing to do: it is in its journalled state already'
	run --separate-stderr igc restore --dry-run --json
	exit_is 0
	jq_eq '.groups | map([.group, .dry_run, .outcome, .steps])' '[[3,true,"unchanged",[]]]'
	[[ -f $FXC/run/iommugrp/group-3.journal ]]
}

@test "a journal recording other drivers and overrides: dry run plans unbind, override, bind" {
	fx_copy qemu-q35
	write_journal group-3.journal vfio-release 3 DMA-FQ "$(devline 0000:00:03.0 - -)" \
		"$(devline 0000:01:01.0 vfio-pci vfio-pci)" "$(devline 0000:01:02.0 vfio-pci vfio-pci)"
	run --separate-stderr igc restore --dry-run
	exit_is 0
	out_is <<'OUT'
group 3: to return it to its journalled state, iommugrp would write:
  1. write '0000:01:01.0' to /sys/bus/pci/drivers/e1000/unbind   (unbind 0000:01:01.0 from e1000)
  2. write '0000:01:02.0' to /sys/bus/pci/drivers/e1000/unbind   (unbind 0000:01:02.0 from e1000)
  3. write 'vfio-pci' to /sys/devices/pci0000:00/0000:00:03.0/0000:01:01.0/driver_override   (only vfio-pci may bind 0000:01:01.0)
  4. write 'vfio-pci' to /sys/devices/pci0000:00/0000:00:03.0/0000:01:02.0/driver_override   (only vfio-pci may bind 0000:01:02.0)
  5. write '0000:01:01.0' to /sys/bus/pci/drivers/vfio-pci/bind   (bind 0000:01:01.0 to vfio-pci, check its driver link)
  6. write '0000:01:02.0' to /sys/bus/pci/drivers/vfio-pci/bind   (bind 0000:01:02.0 to vfio-pci, check its driver link)
OUT
}

@test "a journal recording an unbound device and a cleared override (vfio-bind interrupted)" {
	fx_copy patched-6.1
	vm_stopped patched-6.1 812
	write_journal group-3.journal vfio-bind 3 DMA-FQ "$(devline 0000:00:03.0 - -)" \
		"$(devline 0000:01:01.0 e1000 -)" "$(devline 0000:01:02.0 e1000 -)"
	run --separate-stderr igc restore --dry-run --json
	exit_is 0
	jq_eq '[.groups[0].steps[] | [.action, .device, .driver // .value]]' \
		'[["unbind","0000:01:01.0","vfio-pci"],["unbind","0000:01:02.0","vfio-pci"],["write-override","0000:01:01.0","\n"],["write-override","0000:01:02.0","\n"],["bind","0000:01:01.0","e1000"],["bind","0000:01:02.0","e1000"]]'
}

@test "a journal recording another type (6.1, single device): unbind, type write, rebind" {
	fx_copy qemu-q35
	write_journal group-2.journal set-policy 2 identity "$(devline 0000:00:02.0 e1000e -)"
	run --separate-stderr igc restore --dry-run --json
	exit_is 0
	jq_eq '.groups[0] | [.group, .outcome, .old_type]' '[2,"planned","DMA-FQ"]'
	jq_eq '[.groups[0].steps[] | [.action, .driver // .value]]' \
		'[["unbind","e1000e"],["write-type","identity"],["bind","e1000e"]]'
}

@test "a journal recording another type (6.12, claim-based): pcieport stays bound" {
	fx_copy host-in-use
	write_journal group-7.journal set-policy 7 identity "$(devline 0000:00:1c.4 pcieport -)" \
		"$(devline 0000:03:00.0 igc -)"
	run --separate-stderr igc restore --dry-run --json
	exit_is 0
	jq_eq '[.groups[0].steps[] | [.action, .device, .driver // .value]]' \
		'[["unbind","0000:03:00.0","igc"],["write-type",null,"identity"],["bind","0000:03:00.0","igc"]]'
}

@test "restore refuses a group in use, naming the process" {
	fx_copy patched-6.1
	write_journal group-3.journal vfio-bind 3 DMA-FQ "$(devline 0000:00:03.0 - -)" \
		"$(devline 0000:01:01.0 e1000 -)" "$(devline 0000:01:02.0 e1000 -)"
	refused_untouched /run/iommugrp/group-3.journal --unnamed
	err_has 'process 812 (vfio-holder)'
}

@test "a journal truncated at any point is refused (exit 4), named, left in place; nothing done" {
	fx_copy qemu-q35
	q35_group3_journal
	local f=$FXC/run/iommugrp/group-3.journal full size cut
	full=$(cat "$f")
	size=$(wc -c <"$f")
	for cut in 0 1 10 19 30 60 70 80 90 120 200 250 $((size - 12)) $((size - 6)) $((size - 3)) $((size - 2)); do
		((cut < size)) || continue
		printf '%s\n' "$full" | head -c "$cut" >"$f"
		refused_untouched /run/iommugrp/group-3.journal || { echo "cut at byte $cut of $size" >&2; false; }
		err_has 'truncated or corrupt'
		run --separate-stderr igc restore --dry-run
		exit_is 4
	done
}

@test "corrupt journals are refused (exit 4), named, left in place; nothing done" {
	fx_copy qemu-q35
	q35_group3_journal
	local f=$FXC/run/iommugrp/group-3.journal good edit
	good=$(cat "$f")
	for edit in '1s/.*/iommugrp-journal 2/' '1s/.*/garbage/' '3a\
garbage line' 's/^done 0/done x/' 's/^group 3/group three/' 's/^\(device 0000:01:01.0 [^ ]*\) .*/\1/' \
		'/^end/d' '$a\
device 0000:01:01.0 sys/devices/pci0000:00/0000:00:03.0/0000:01:01.0 e1000 -' \
		'2a\
boot-id 5d3f0c8e-7b6a-4e21-9c4f-1a2b3c4d5e6f' '/^device/d' '/^boot-id/d' '/^operation/d' \
		's/^device /devices /'; do
		printf '%s\n' "$good" | sed "$edit" >"$f"
		refused_untouched /run/iommugrp/group-3.journal || { echo "edit: sed '$edit'" >&2; cat "$f" >&2; false; }
	done
	: >"$f"
	refused_untouched /run/iommugrp/group-3.journal
	printf 'iommugrp-journal 1\0boot-id x\n' >"$f"
	refused_untouched /run/iommugrp/group-3.journal
}

@test "a journal from another boot is refused (exit 4), named, left in place" {
	fx_copy qemu-q35
	BOOT_ID=0b0e0b0e-0000-4000-8000-000000000000 q35_group3_journal
	refused_untouched /run/iommugrp/group-3.journal
	err_has 'another boot'
	run --separate-stderr igc restore --dry-run --json
	exit_is 4
	jq_eq '.groups[0] | [.group, .outcome, .steps]' '[3,"refused",[]]'
	jq_true '.groups[0].refusal | test("/run/iommugrp/group-3.journal")'
}

@test "one unusable journal does not hide another group's plan; the exit status is the worst" {
	fx_copy qemu-q35
	write_journal group-2.journal set-policy 2 identity "$(devline 0000:00:02.0 e1000e -)"
	BOOT_ID=0b0e0b0e-0000-4000-8000-000000000000 q35_group3_journal
	run --separate-stderr igc restore --dry-run
	exit_is 4
	out_has 'group 2: to return it to its journalled state'
	err_has '/run/iommugrp/group-3.journal'
	err_lacks 'group-2.journal'
}

@test "the journal's group must be the file's: group-3.journal recording group 4 is corrupt" {
	fx_copy qemu-q35
	write_journal group-3.journal vfio-bind 4 DMA-FQ "$(devline 0000:00:1f.0 lpc_ich -)" \
		"$(devline 0000:00:1f.2 ahci -)" "$(devline 0000:00:1f.3 i801_smbus -)"
	refused_untouched /run/iommugrp/group-3.journal
}

@test "a journal for a group that does not exist is an unusable journal (exit 4), named" {
	fx_copy qemu-q35
	q35_group3_journal
	mv "$FXC/run/iommugrp/group-3.journal" "$FXC/run/iommugrp/group-99.journal"
	refused_untouched /run/iommugrp/group-99.journal
}

@test "a device line with extra fields is corrupt" {
	fx_copy qemu-q35
	q35_group3_journal
	sed -i 's/^\(device 0000:01:01.0 .*\)$/\1 junk/' "$FXC/run/iommugrp/group-3.journal"
	refused_untouched /run/iommugrp/group-3.journal
}

@test "a type that is no policy word is corrupt" {
	fx_copy qemu-q35
	q35_group3_journal
	sed -i 's/^type .*/type banana/' "$FXC/run/iommugrp/group-3.journal"
	refused_untouched /run/iommugrp/group-3.journal
}

# --- journals are validated, not trusted (issue 11.5, 11.6, 12.3) ----------------------------

@test "an empty boot_id in the sysroot does not crash restore (no double free)" {
	fx_copy qemu-q35
	: >"$FXC/proc/sys/kernel/random/boot_id"
	BOOT_ID=unknown q35_group3_journal
	run --separate-stderr igc restore --dry-run
	exit_is 0
	out_has 'nothing to do'
}

@test "a driver name that is a path is corrupt: restore writes nowhere" {
	fx_copy qemu-q35
	mkdir -p "$FXC/sys/bus/tmp/x"
	: >"$FXC/sys/bus/tmp/x/bind"
	q35_group3_journal
	sed -i 's|^\(device 0000:01:01.0 [^ ]*\) e1000 |\1 ../../tmp/x |' "$FXC/run/iommugrp/group-3.journal"
	reseal_journal group-3.journal
	grep -q 'tmp/x' "$FXC/run/iommugrp/group-3.journal"
	refused_untouched /run/iommugrp/group-3.journal
}

@test "a device path outside sys/devices is corrupt" {
	fx_copy qemu-q35
	q35_group3_journal
	sed -i 's|^device 0000:01:01.0 [^ ]* |device 0000:01:01.0 sys/../../etc |' "$FXC/run/iommugrp/group-3.journal"
	reseal_journal group-3.journal
	refused_untouched /run/iommugrp/group-3.journal
}

@test "a journal without its type line, or without its group line, is corrupt" {
	fx_copy qemu-q35
	q35_group3_journal
	sed -i '/^type /d' "$FXC/run/iommugrp/group-3.journal"
	reseal_journal group-3.journal
	refused_untouched /run/iommugrp/group-3.journal
	write_journal group-0.journal set-policy 0 DMA-FQ "$(devline 0000:00:00.0 - -)"
	sed -i '/^group /d' "$FXC/run/iommugrp/group-0.journal"
	reseal_journal group-0.journal
	refused_untouched /run/iommugrp/group-0.journal
}

@test "a journal missing one of the group's devices, or naming another, is corrupt" {
	fx_copy qemu-q35
	write_journal group-3.journal vfio-bind 3 DMA-FQ "$(devline 0000:00:03.0 - -)" \
		"$(devline 0000:01:01.0 e1000 -)"
	refused_untouched /run/iommugrp/group-3.journal
	q35_group3_journal
	echo "$(devline 0000:00:02.0 e1000e -)" >>"$FXC/run/iommugrp/group-3.journal"
	reseal_journal group-3.journal
	refused_untouched /run/iommugrp/group-3.journal
}

@test "a record damaged after it was written (checksum), or without a checksum, is corrupt" {
	fx_copy qemu-q35
	q35_group3_journal
	sed -i 's/^done 0$/done 1/' "$FXC/run/iommugrp/group-3.journal"
	refused_untouched /run/iommugrp/group-3.journal
	err_has checksum
	q35_group3_journal
	sed -i '/^checksum /d' "$FXC/run/iommugrp/group-3.journal"
	refused_untouched /run/iommugrp/group-3.journal
}

@test "a line twice is corrupt" {
	fx_copy qemu-q35
	q35_group3_journal
	sed -i 's/^\(type .*\)$/\1\n\1/' "$FXC/run/iommugrp/group-3.journal"
	reseal_journal group-3.journal
	refused_untouched /run/iommugrp/group-3.journal
}

# An unbound endpoint with override $1: vfio-bind then vfio-release (through the preload) brings
# the override back byte for byte: the record's writer and reader agree.
override_round_trip() {
	local dev=$FXC/sys/bus/pci/devices/0000:03:00.0
	rm -f "$dev/driver" "$FXC/sys/bus/pci/drivers/igc/0000:03:00.0"
	printf '%s\n' "$1" >"$dev/driver_override"
	run --separate-stderr igp vfio-bind 03:00.0
	exit_is 0 || return 1
	[[ $(<"$dev/driver_override") == vfio-pci ]] || return 1
	run --separate-stderr igp vfio-release 03:00.0
	exit_is 0 || return 1
	[[ $(<"$dev/driver_override") == "$1" ]] || { echo "override now: $(<"$dev/driver_override")" >&2; return 1; }
	[[ ! -e $FXC/run/iommugrp/group-7.vfio ]]
}

@test "overrides with a space, literally '-', or 200 bytes long survive vfio-bind and vfio-release" {
	fx_copy host-in-use
	override_round_trip 'my driver'
	override_round_trip '-'
	override_round_trip "$(printf 'd%.0s' {1..200})"
	override_round_trip 'back\slash'
}

# --- status sees interrupted operations ----------------------------------------------------

@test "status warns about an interrupted operation on stderr and lists it in JSON" {
	fx_copy qemu-q35
	run --separate-stderr igc status
	exit_is 0
	err_lacks 'interrupted'
	q35_group3_journal
	write_journal group-2.journal set-policy 2 identity "$(devline 0000:00:02.0 e1000e -)"
	run --separate-stderr igc status
	exit_is 0
	err_has '2 interrupted operations'
	err_has "iommugrp restore"
	out_has 'interrupted operations:'
	out_has 'group 2'
	out_has 'group 3'
	run --separate-stderr igc status --json
	exit_is 0
	jq_eq '.interrupted | sort' '[2,3]'
}

@test "status lists interrupted operations in numeric order, like every other list" {
	fx_copy qemu-q35
	write_journal group-2.journal set-policy 2 identity "$(devline 0000:00:02.0 e1000e -)"
	q35_group3_journal
	write_journal group-10.journal set-policy 10 identity "$(devline 0000:00:02.0 e1000e -)"
	run --separate-stderr igc status --json
	jq_eq '.interrupted' '[2,3,10]'
}

@test "status lists a journal it cannot use too (restore then refuses it)" {
	fx_copy qemu-q35
	BOOT_ID=0b0e0b0e-0000-4000-8000-000000000000 q35_group3_journal
	run --separate-stderr igc status --json
	exit_is 0
	jq_eq '.interrupted' '[3]'
	run --separate-stderr igc status
	exit_is 0
	err_has '1 interrupted operation'
}

@test "restore: arguments" {
	fx_copy qemu-q35
	run --separate-stderr igc restore 3
	exit_is 2
	run --separate-stderr igc restore --bogus
	exit_is 2
	run --separate-stderr igc restore --dry-run --force
	exit_is 2
}
