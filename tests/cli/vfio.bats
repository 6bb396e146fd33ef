#!/usr/bin/env bats
# iommugrp vfio-bind and vfio-release on fixture trees: plans, pre-flight refusals (disks,
# NICs, boot VGA, SR-IOV, non-PCI members, bridges only, groups in use), --force, arguments,
# --json, and release with and without vfio-bind's record. Nothing here applies a change: every
# run is --dry-run, refused before any write (checked on a private copy), or a no-op.

load helpers
bats_require_minimum_version 1.5.0

load changes

# --- vfio-bind: plans -----------------------------------------------------------------------

@test "bind: a single endpoint plans override, unbind, probe" {
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run 2
	exit_is 0
	out_is <<'OUT'
group 2: to hand it to vfio-pci, iommugrp would write:
  1. write 'vfio-pci' to /sys/devices/pci0000:00/0000:00:02.0/driver_override   (only vfio-pci may bind 0000:00:02.0)
  2. write '0000:00:02.0' to /sys/bus/pci/drivers/e1000e/unbind   (unbind 0000:00:02.0 from e1000e)
  3. write '0000:00:02.0' to /sys/bus/pci/drivers_probe   (probe 0000:00:02.0, check it is bound to vfio-pci)
OUT
	[[ -z $stderr ]] || { _dump; false; }
}

@test "bind: naming one device of a bigger group prints the whole-group note and plans every endpoint" {
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run 01:01.0
	exit_is 0
	err_has '0000:01:01.0 is one of 3 devices of group 3: the whole group is the unit of work'
	out_has "write '0000:01:01.0' to /sys/bus/pci/drivers/e1000/unbind"
	out_has "write '0000:01:02.0' to /sys/bus/pci/drivers/e1000/unbind"
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run 3
	exit_is 0
	err_lacks 'unit of work'
}

@test "bind: the bridge of a group is skipped (no step names it)" {
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run --json 3
	exit_is 0
	jq_eq '[.groups[0].steps[] | [.action, .device]]' \
		'[["write-override","0000:01:01.0"],["unbind","0000:01:01.0"],["probe","0000:01:01.0"],["write-override","0000:01:02.0"],["unbind","0000:01:02.0"],["probe","0000:01:02.0"]]'
}

@test "bind: many-groups group 10: five pcieport bridges stay, an unbound endpoint gets no unbind" {
	run --separate-stderr igf many-groups vfio-bind --dry-run --json 10
	exit_is 0
	jq_eq '[.groups[0].steps[] | .device] | unique' '["0000:04:00.0","0000:05:00.0","0000:05:00.1","0000:05:00.3","0000:06:00.0"]'
	jq_eq '[.groups[0].steps[] | select(.device == "0000:05:00.0") | .action]' '["write-override","probe"]'
	jq_eq '[.groups[0].steps[] | select(.action == "unbind") | .driver]' '["igb","xhci_hcd","xhci_hcd","ahci"]'
	jq_eq '[.groups[0].steps[] | select(.action == "write-override") | .value] | unique' '["vfio-pci"]'
	jq_eq '[.groups[0].steps[] | select(.action == "probe") | [.file, .driver]] | unique' '[["/sys/bus/pci/drivers_probe","vfio-pci"]]'
}

@test "bind: the idle NIC (no route, no address) is planned" {
	run --separate-stderr igf host-in-use vfio-bind --dry-run --json 03:00.0
	exit_is 0
	jq_eq '[.groups[0].group, .groups[0].outcome]' '[7,"planned"]'
	jq_eq '[.groups[0].steps[] | [.action, .device, .driver]]' \
		'[["write-override","0000:03:00.0",null],["unbind","0000:03:00.0","igc"],["probe","0000:03:00.0","vfio-pci"]]'
}

@test "bind: an SR-IOV PF with VFs disabled is planned" {
	run --separate-stderr igf sriov vfio-bind --dry-run 01:00.1
	exit_is 0
	out_has 'unbind 0000:01:00.1 from i40e'
}

@test "bind: platform members go to vfio-platform through their driver_override" {
	run --separate-stderr igf nonpci vfio-bind --dry-run --json 2
	exit_is 0
	jq_eq '[.groups[0].steps[] | [.action, .device, .driver, .value]]' \
		'[["write-override","AMDI0010:00",null,"vfio-platform"],["unbind","AMDI0010:00","i2c_designware","AMDI0010:00"],["probe","AMDI0010:00","vfio-platform","AMDI0010:00"]]'
	jq_eq '.groups[0].steps[2].file' '"/sys/bus/platform/drivers_probe"'
}

@test "bind: a group already wholly on vfio-pci is a no-op, exit 0" {
	fx_copy patched-6.1
	vm_stopped patched-6.1 812
	run --separate-stderr igc vfio-bind --dry-run 3
	exit_is 0
	out_is <<<'group 3: nothing to do: it is on vfio-pci already'
	run --separate-stderr igc vfio-bind --dry-run --json 3
	exit_is 0
	jq_eq '.groups[0] | [.outcome, .steps]' '["unchanged",[]]'
}

@test "bind: a no-op without --dry-run writes nothing and prints the VFIO files (cdevs on 6.12)" {
	fx_copy many-groups
	local before
	before=$(tree_sum "$FXC")
	run --separate-stderr igc vfio-bind 07:00.0 </dev/null
	exit_is 0
	out_is <<'OUT'
group 11: nothing to do: it is on vfio-pci already
/dev/vfio/11
/dev/vfio/devices/vfio0
/dev/vfio/devices/vfio1
OUT
	[[ $(tree_sum "$FXC") == "$before" ]] || { echo "the fixture changed" >&2; false; }
}

# --- vfio-bind: pre-flight refusals (exit 4, the device and the reason) -----------------------

@test "refused: the NVMe holding a mounted filesystem" {
	run --separate-stderr igf host-in-use vfio-bind --dry-run 01:00.0
	exit_is 4
	out_empty
	err_has '0000:01:00.0 is needed by the host'
	err_has 'which is mounted'
	err_has 'nvme0n1p'
	err_has '--force'
}

@test "refused: the SATA controller whose disk is swap" {
	run --separate-stderr igf host-in-use vfio-bind --dry-run 4
	exit_is 4
	err_has '0000:00:17.0 is needed by the host'
	err_has 'sda1, which is in use as swap'
}

@test "refused: the NVMe under dm-crypt whose mapping is mounted (/home on dm-0 over nvme1n1p1)" {
	run --separate-stderr igf host-in-use vfio-bind --dry-run 05:00.0
	exit_is 4
	err_has '0000:05:00.0 is needed by the host'
}

@test "refused: the NIC carrying the default route (and the whole PCH group with it)" {
	run --separate-stderr igf host-in-use vfio-bind --dry-run 00:1f.6
	exit_is 4
	err_has '0000:00:1f.6 is one of 5 devices of group 5'
	err_has '0000:00:1f.6 is needed by the host'
	err_has 'eno1 carries the default route'
}

@test "refused: the NIC with only a global IPv6 address" {
	run --separate-stderr igf host-in-use vfio-bind --dry-run 6
	exit_is 4
	err_has '0000:02:00.0 is needed by the host'
	err_has 'enp2s0 has a global IPv6 address'
}

@test "refused: the boot VGA with a framebuffer console" {
	run --separate-stderr igf host-in-use vfio-bind --dry-run 00:02.0
	exit_is 4
	err_has '0000:00:02.0 is needed by the host'
	err_has 'boot VGA'
	err_has 'i915drmfb'
}

@test "refused: an SR-IOV PF with VFs enabled, even with --force" {
	run --separate-stderr igf sriov vfio-bind --dry-run 01:00.0
	exit_is 4
	err_has '0000:01:00.0 is an SR-IOV PF with 2 VFs enabled'
	err_has 'sriov_numvfs'
	run --separate-stderr igf sriov vfio-bind --dry-run --force 2
	exit_is 4
	err_has 'SR-IOV PF'
}

@test "refused: a non-PCI member without driver_override, even with --force" {
	run --separate-stderr igf tegra vfio-bind --dry-run host1x-ctx.0
	exit_is 4
	err_has 'host1x-ctx.0 is a host1x-context device without driver_override'
	run --separate-stderr igf tegra vfio-bind --dry-run --force 2
	exit_is 4
	err_has 'host1x-ctx.1'
	err_has 'driver_override'
}

@test "refused: a group of bridges only" {
	run --separate-stderr igf many-groups vfio-bind --dry-run 2
	exit_is 4
	err_has 'group 2 holds only bridges'
	run --separate-stderr igf host-in-use vfio-bind --dry-run --force 00:01.0
	exit_is 4
	err_has 'group 8 holds only bridges'
}

@test "refused: a group in use by a VMM, naming pid and command, even with --force" {
	run --separate-stderr igf host-in-use vfio-bind --dry-run --force 04:00.1
	exit_is 4
	err_has 'group 9 is in use'
	err_has 'process 3141 (qemu-system-x86)'
	err_has '/dev/vfio/9'
}

@test "--force turns each host-needs refusal into a plan" {
	local t
	for t in 01:00.0 4 00:1f.6 6 00:02.0; do
		run --separate-stderr igf host-in-use vfio-bind --dry-run --force "$t"
		exit_is 0
		out_has 'would write:'
		err_lacks 'refused'
	done
	run --separate-stderr igf host-in-use vfio-bind --dry-run --force --json 3
	jq_eq '[.groups[0].steps[] | [.action, .driver]]' '[["write-override",null],["unbind","nvme"],["probe","vfio-pci"]]'
}

@test "a refused bind without --dry-run writes nothing: no sysfs write, no record, no journal" {
	fx_copy host-in-use
	local before
	before=$(tree_sum "$FXC")
	run --separate-stderr igc vfio-bind 3 </dev/null
	exit_is 4
	err_has 'which is mounted'
	[[ $(tree_sum "$FXC") == "$before" ]] || { echo "the fixture changed" >&2; false; }
	[[ ! -e $FXC/run/iommugrp/group-3.vfio && ! -e $FXC/run/iommugrp/group-3.journal ]]
}

@test "several targets: each group once, the worst exit status, refusals do not stop the others" {
	run --separate-stderr igf host-in-use vfio-bind --dry-run 6 7 03:00.0
	exit_is 4
	err_has 'enp2s0 has a global IPv6 address'
	out_has 'group 7: to hand it to vfio-pci'
	[[ $(grep -c '^group 7:' <<<"$output") -eq 1 ]] || { _dump; false; }
	run --separate-stderr igf host-in-use vfio-bind --dry-run --json 7 6
	exit_is 4
	jq_eq '[.groups[] | [.group, .outcome]]' '[[7,"planned"],[6,"refused"]]'
}

# --- vfio-bind: arguments and JSON ------------------------------------------------------------

@test "--user nosuchuser and --group nosuchgroup are usage errors (exit 2)" {
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run --user nosuchuser 2
	exit_is 2
	out_empty
	err_has "no such user 'nosuchuser'"
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run --group nosuchgroup 2
	exit_is 2
	err_has "no such group 'nosuchgroup'"
}

@test "--user/--group: out of range, -1, 4294967295, signs and spaces are usage errors (exit 2)" {
	local id
	for id in 4294968296 4294967295 18446744073709551615 -1 +1000 ' 1000' '1000 ' 12x ''; do
		run --separate-stderr igf qemu-q35 vfio-bind --dry-run --user "$id" 2
		exit_is 2 || return 1
		out_empty || return 1
		[[ $stderr == *"--user: "*"'$id'"* ]] || { echo "--user '$id'" >&2; _dump; return 1; }
		run --separate-stderr igf qemu-q35 vfio-bind --dry-run --group "$id" 2
		exit_is 2 || return 1
	done
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run --user 4294968296 2
	err_has "not a valid uid (0 to 4294967294) '4294968296'"
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run --user 4294967294 --group 0 2
	exit_is 0
}

@test "an existing --user and --group are accepted with --dry-run" {
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run --user root --group root 2
	exit_is 0
	out_has 'would write:'
}

@test "bind: no target, unknown target, malformed address" {
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run
	exit_is 2
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run 42
	exit_is 3
	err_has '42: no such IOMMU group or device'
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run 00:02.9
	exit_is 2
	err_has "'00:02.9' is not a PCI address"
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run 2 42
	exit_is 3
	out_empty
}

@test "bind --json: the documented shape" {
	run --separate-stderr igf qemu-q35 vfio-bind --dry-run --json 2
	exit_is 0
	jq_eq 'keys' '["groups"]'
	jq_eq '.groups[0] | keys_unsorted' '["group","dry_run","outcome","old_type","expected_type","new_type","refusal","error","leftover","steps","vfio_files"]'
	jq_eq '.groups[0] | [.group, .dry_run, .outcome, .refusal, .vfio_files]' '[2,true,"planned",null,[]]'
	jq_eq '.groups[0].steps' '[{"action":"write-override","device":"0000:00:02.0","driver":null,"file":"/sys/devices/pci0000:00/0000:00:02.0/driver_override","value":"vfio-pci"},{"action":"unbind","device":"0000:00:02.0","driver":"e1000e","file":"/sys/bus/pci/drivers/e1000e/unbind","value":"0000:00:02.0"},{"action":"probe","device":"0000:00:02.0","driver":"vfio-pci","file":"/sys/bus/pci/drivers_probe","value":"0000:00:02.0"}]'
}

@test "bind --json: a refusal carries the reason and no steps" {
	run --separate-stderr igf host-in-use vfio-bind --dry-run --json 5
	exit_is 4
	jq_eq '.groups[0] | [.group, .outcome, .steps]' '[5,"refused",[]]'
	jq_true '.groups[0].refusal | test("eno1 carries the default route")'
}

# --- vfio-release ---------------------------------------------------------------------------

@test "release without a record: clear overrides, unbind vfio-pci, let the kernel choose; says so" {
	fx_copy patched-6.1
	vm_stopped patched-6.1 812
	run --separate-stderr igc vfio-release --dry-run 3
	exit_is 0
	err_has 'no record'
	out_is <<'OUT'
group 3: to give it back to its drivers, iommugrp would write:
  1. write '\n' to /sys/devices/pci0000:00/0000:00:03.0/0000:01:01.0/driver_override   (clear the override of 0000:01:01.0)
  2. write '0000:01:01.0' to /sys/bus/pci/drivers/vfio-pci/unbind   (unbind 0000:01:01.0 from vfio-pci)
  3. write '0000:01:01.0' to /sys/bus/pci/drivers_probe   (probe 0000:01:01.0, let the kernel choose its driver)
  4. write '\n' to /sys/devices/pci0000:00/0000:00:03.0/0000:01:02.0/driver_override   (clear the override of 0000:01:02.0)
  5. write '0000:01:02.0' to /sys/bus/pci/drivers/vfio-pci/unbind   (unbind 0000:01:02.0 from vfio-pci)
  6. write '0000:01:02.0' to /sys/bus/pci/drivers_probe   (probe 0000:01:02.0, let the kernel choose its driver)
OUT
	run --separate-stderr igc vfio-release --dry-run --json 3
	exit_is 0
	jq_eq '.groups[0] | [.recorded, .outcome]' '[false,"planned"]'
	jq_eq '[.groups[0].steps[] | select(.action == "probe") | .driver]' '[null,null]'
	jq_eq '[.groups[0].steps[] | select(.action == "write-override") | .value]' '["\n","\n"]'
}

@test "release with vfio-bind's record: binds each device to the recorded driver" {
	fx_copy patched-6.1
	vm_stopped patched-6.1 812
	write_journal group-3.vfio vfio-bind 3 DMA-FQ "$(devline 0000:00:03.0 - -)" \
		"$(devline 0000:01:01.0 e1000 -)" "$(devline 0000:01:02.0 e1000 -)"
	run --separate-stderr igc vfio-release --dry-run 3
	exit_is 0
	err_lacks 'no record'
	out_has "write '0000:01:01.0' to /sys/bus/pci/drivers/e1000/bind"
	out_has "write '0000:01:02.0' to /sys/bus/pci/drivers/e1000/bind"
	run --separate-stderr igc vfio-release --dry-run --json 3
	exit_is 0
	jq_eq '.groups[0] | [.group, .dry_run, .recorded, .outcome]' '[3,true,true,"planned"]'
	jq_eq '[.groups[0].steps[] | [.action, .device, .driver // .value]]' \
		'[["unbind","0000:01:01.0","vfio-pci"],["unbind","0000:01:02.0","vfio-pci"],["write-override","0000:01:01.0","\n"],["write-override","0000:01:02.0","\n"],["bind","0000:01:01.0","e1000"],["bind","0000:01:02.0","e1000"]]'
	[[ -f $FXC/run/iommugrp/group-3.vfio ]]
}

@test "release with a record: a recorded override comes back too" {
	fx_copy patched-6.1
	vm_stopped patched-6.1 812
	write_journal group-3.vfio vfio-bind 3 DMA-FQ "$(devline 0000:00:03.0 - -)" \
		"$(devline 0000:01:01.0 e1000 -)" "$(devline 0000:01:02.0 - pci-stub)"
	run --separate-stderr igc vfio-release --dry-run --json 3
	exit_is 0
	jq_eq '[.groups[0].steps[] | select(.device == "0000:01:02.0") | [.action, .driver // .value]]' \
		'[["unbind","vfio-pci"],["write-override","pci-stub"]]'
}

@test "release refuses while a VFIO user holds the group, naming pid and command" {
	run --separate-stderr igf patched-6.1 vfio-release --dry-run 01:01.0
	exit_is 4
	err_has 'process 812 (vfio-holder)'
	run --separate-stderr igf many-groups vfio-release --dry-run 11
	exit_is 4
	err_has 'process 4242 (qemu-system-x86)'
	run --separate-stderr igf host-in-use vfio-release --dry-run --json 9
	exit_is 4
	jq_eq '.groups[0] | [.outcome, .steps]' '["refused",[]]'
	jq_true '.groups[0].refusal | test("process 3141 \\(qemu-system-x86\\)")'
}

@test "release refused while in use writes nothing, and keeps the record" {
	fx_copy patched-6.1
	write_journal group-3.vfio vfio-bind 3 DMA-FQ "$(devline 0000:00:03.0 - -)" \
		"$(devline 0000:01:01.0 e1000 -)" "$(devline 0000:01:02.0 e1000 -)"
	local before
	before=$(tree_sum "$FXC")
	run --separate-stderr igc vfio-release 3 </dev/null
	exit_is 4
	err_has 'process 812 (vfio-holder)'
	[[ $(tree_sum "$FXC") == "$before" ]] || { echo "the fixture changed" >&2; false; }
}

@test "release of a group not on vfio-pci is a no-op" {
	run --separate-stderr igf qemu-q35 vfio-release --dry-run 2
	exit_is 0
	out_is <<<'group 2: nothing to do: it is not on vfio-pci'
	err_lacks 'no record'
}

@test "release: a truncated record or one from another boot is refused (exit 4), naming it" {
	fx_copy patched-6.1
	vm_stopped patched-6.1 812
	write_journal group-3.vfio vfio-bind 3 DMA-FQ "$(devline 0000:00:03.0 - -)" \
		"$(devline 0000:01:01.0 e1000 -)" "$(devline 0000:01:02.0 e1000 -)"
	local f=$FXC/run/iommugrp/group-3.vfio
	head -c 150 "$f" >"$f.cut" && mv "$f.cut" "$f"
	run --separate-stderr igc vfio-release --dry-run 3
	exit_is 4
	err_has '/run/iommugrp/group-3.vfio'
	err_has 'truncated or corrupt'
	BOOT_ID=0b0e0b0e-0000-4000-8000-000000000000 write_journal group-3.vfio vfio-bind 3 DMA-FQ \
		"$(devline 0000:01:01.0 e1000 -)" "$(devline 0000:01:02.0 e1000 -)"
	run --separate-stderr igc vfio-release --dry-run 3
	exit_is 4
	err_has '/run/iommugrp/group-3.vfio'
	err_has 'another boot'
}

@test "release: arguments" {
	run --separate-stderr igf qemu-q35 vfio-release --dry-run
	exit_is 2
	run --separate-stderr igf qemu-q35 vfio-release --dry-run 77
	exit_is 3
	run --separate-stderr igf qemu-q35 vfio-release --dry-run 0000:00:02.8
	exit_is 2
	run --separate-stderr igf qemu-q35 vfio-release --dry-run --force 2
	exit_is 2
}

@test "users: /proc is read only for a group whose VFIO files exist; a removed node holds nothing" {
	fx_copy host-in-use
	# A /proc that cannot be read shows where it is read: group 9 has /dev/vfio/9.
	rm -rf "$FXC/proc"
	: >"$FXC/proc"
	run --separate-stderr igc show 9
	out_has 'users:   unknown (cannot read /proc)'
	# Group 3 (nvme) has no VFIO file: nobody can hold it, and /proc is not read.
	run --separate-stderr igc show 3
	exit_is 0
	out_has 'users:   none'
	run --separate-stderr igc vfio-bind --dry-run --force 3
	exit_is 0
	err_lacks '/proc'
	# With /proc back but /dev/vfio/9 gone, the fd reads "/dev/vfio/9 (deleted)" on a real
	# host and names no group; a fixture's plain link is not taken for a user either.
	fx_copy host-in-use
	rm "$FXC/dev/vfio/9"
	run --separate-stderr igc show 9
	out_has 'users:   none'
}
