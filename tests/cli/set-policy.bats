#!/usr/bin/env bats
# iommugrp set-policy on fixture trees: planning by kernel generation (6.1 single-device, 6.4+
# claim-based, 6.1 with iommugrp's patch, older kernels), dry-run output, refusals, argument
# errors and --json. Nothing here applies a change: every run is --dry-run, refused before any
# write (checked on a private copy of the fixture), or a no-op. Real changes: tests/vm.

load helpers
bats_require_minimum_version 1.5.0

load changes

# --- 6.1 (single-device rules) ------------------------------------------------------------

@test "6.1: a single-device group plans unbind, type write, rebind of its driver" {
	run --separate-stderr igf qemu-q35 set-policy --dry-run 2 identity
	exit_is 0
	out_is <<'OUT'
group 2: DMA-FQ -> identity, would write:
  1. write '0000:00:02.0' to /sys/bus/pci/drivers/e1000e/unbind   (unbind 0000:00:02.0 from e1000e)
  2. write 'identity' to /sys/kernel/iommu_groups/2/type   (then read it back)
  3. write '0000:00:02.0' to /sys/bus/pci/drivers/e1000e/bind   (bind 0000:00:02.0 to e1000e, check its driver link)
OUT
	[[ -z $stderr ]] || { _dump; false; }
}

@test "6.1: a single-device group without a driver plans only the type write" {
	run --separate-stderr igf qemu-q35 set-policy --dry-run --json 1 DMA
	exit_is 0
	jq_eq '[.steps[] | [.action, .value]]' '[["write-type","DMA"]]'
}

@test "6.1: a multi-device group is refused (exit 4) with the single-device explanation" {
	run --separate-stderr igf qemu-q35 set-policy --dry-run 3 identity
	exit_is 4
	out_empty
	err_has 'group 3 has 3 devices'
	err_has 'single-device groups'
	err_has '6.4'
	err_has "iommugrp's kernel/ series"
	err_has 'refused, nothing was changed'
}

@test "6.1: naming one device of the multi-device group says the policy is the group's, then refuses" {
	run --separate-stderr igf qemu-q35 set-policy --dry-run 01:02.0 DMA
	exit_is 4
	err_has '0000:01:02.0 is one of 3 devices of group 3'
	err_has 'single-device groups'
}

@test "6.1: the multi-device refusal happens before any write, even with --unbind" {
	fx_copy qemu-q35
	local before
	before=$(tree_sum "$FXC")
	run --separate-stderr igc set-policy --unbind 3 identity </dev/null
	exit_is 4
	err_has 'single-device groups'
	[[ $(tree_sum "$FXC") == "$before" ]] || { echo "the fixture changed" >&2; false; }
}

# --- 6.4+ (claim-based rules): many-groups runs 6.12 ------------------------------------

@test "6.12: a multi-device group plans unbinding only its kernel drivers, not pcieport" {
	run --separate-stderr igf many-groups set-policy --dry-run --json 10 DMA
	exit_is 0
	jq_eq '.outcome' '"planned"'
	jq_eq '[.steps[] | select(.action == "unbind") | [.device, .driver]]' \
		'[["0000:04:00.0","igb"],["0000:05:00.1","xhci_hcd"],["0000:05:00.3","xhci_hcd"],["0000:06:00.0","ahci"]]'
	jq_eq '[.steps[] | .action]' \
		'["unbind","unbind","unbind","unbind","write-type","bind","bind","bind","bind"]'
	jq_eq '[.steps[] | select(.action == "bind") | [.device, .driver, .file]]' \
		'[["0000:04:00.0","igb","/sys/bus/pci/drivers/igb/bind"],["0000:05:00.1","xhci_hcd","/sys/bus/pci/drivers/xhci_hcd/bind"],["0000:05:00.3","xhci_hcd","/sys/bus/pci/drivers/xhci_hcd/bind"],["0000:06:00.0","ahci","/sys/bus/pci/drivers/ahci/bind"]]'
	jq_eq '[.steps[] | select(.driver == "pcieport")] | length' '0'
	jq_eq '.steps[4] | [.file, .value]' '["/sys/kernel/iommu_groups/10/type","DMA"]'
}

@test "6.12: a multi-device group in the text plan: every write in order" {
	# --force: 00:1f.6 carries the default route (refused without it, see below)
	run --separate-stderr igf host-in-use set-policy --dry-run --force 5 passthrough
	exit_is 0
	out_is <<'OUT'
group 5: DMA-FQ -> identity, would write:
  1. write '0000:00:1f.3' to /sys/bus/pci/drivers/snd_hda_intel/unbind   (unbind 0000:00:1f.3 from snd_hda_intel)
  2. write '0000:00:1f.4' to /sys/bus/pci/drivers/i801_smbus/unbind   (unbind 0000:00:1f.4 from i801_smbus)
  3. write '0000:00:1f.5' to /sys/bus/pci/drivers/intel-spi/unbind   (unbind 0000:00:1f.5 from intel-spi)
  4. write '0000:00:1f.6' to /sys/bus/pci/drivers/e1000e/unbind   (unbind 0000:00:1f.6 from e1000e)
  5. write 'identity' to /sys/kernel/iommu_groups/5/type   (then read it back)
  6. write '0000:00:1f.3' to /sys/bus/pci/drivers/snd_hda_intel/bind   (bind 0000:00:1f.3 to snd_hda_intel, check its driver link)
  7. write '0000:00:1f.4' to /sys/bus/pci/drivers/i801_smbus/bind   (bind 0000:00:1f.4 to i801_smbus, check its driver link)
  8. write '0000:00:1f.5' to /sys/bus/pci/drivers/intel-spi/bind   (bind 0000:00:1f.5 to intel-spi, check its driver link)
  9. write '0000:00:1f.6' to /sys/bus/pci/drivers/e1000e/bind   (bind 0000:00:1f.6 to e1000e, check its driver link)
OUT
}

@test "6.12: vfio-pci (driver-managed DMA) is not unbound: a stopped VM's group plans only the type write" {
	fx_copy host-in-use
	vm_stopped host-in-use 3141
	run --separate-stderr igc set-policy --dry-run --json 9 identity
	exit_is 0
	jq_eq '.outcome' '"planned"'
	jq_eq '[.steps[] | [.action, .value]]' '[["write-type","identity"]]'
}

@test "6.12: a group with only bridges on pcieport plans only the type write" {
	run --separate-stderr igf many-groups set-policy --dry-run --json 2 DMA
	exit_is 0
	jq_eq '[.steps[] | .action]' '["write-type"]'
}

# --- 6.1 with iommugrp's series: recognised only by the running kernel's answer -----------
# The rules of a 6.1 kernel with kernel/'s series come from its answer to a no-op type write
# (lib/kernel.c), which a sysroot cannot give; dma_owner (the optional out-of-tree patch,
# kernel/optional/) is not taken into account. So the patched-6.1 fixture plans like
# stock 6.1, and the same with and without dma_owner.

# no_dma_owner: removes every group's dma_owner from the fixture copy.
no_dma_owner() { rm -f "$FXC"/sys/kernel/iommu_groups/*/dma_owner; }

@test "patched 6.1 (sysroot): a multi-device group is refused like stock 6.1, with or without dma_owner" {
	fx_copy patched-6.1
	run --separate-stderr igc set-policy --dry-run --json 4 identity
	exit_is 4
	jq_eq '.outcome' '"refused"'
	[[ $output == *"changes the policy only of single-device groups"* ]]
	with=$output
	no_dma_owner
	run --separate-stderr igc set-policy --dry-run --json 4 identity
	exit_is 4
	[[ $output == "$with" ]]
}

@test "patched 6.1 (sysroot): status and the plan of a single-device group do not depend on dma_owner" {
	fx_copy patched-6.1
	run --separate-stderr igc status --json
	exit_is 0
	jq_eq '.type_change_rules' '"single-device"'
	status_with=$(jq -c 'del(.kernel_patch)' <<<"$output")
	run --separate-stderr igc set-policy --dry-run --json 2 identity
	plan_with=$output
	rc_with=$status
	no_dma_owner
	run --separate-stderr igc status --json
	exit_is 0
	[[ $(jq -c 'del(.kernel_patch)' <<<"$output") == "$status_with" ]]
	run --separate-stderr igc set-policy --dry-run --json 2 identity
	[[ $status == "$rc_with" && $output == "$plan_with" ]]
}

# --- DMA -> DMA-FQ, no-ops, auto ------------------------------------------------------------

@test "DMA -> DMA-FQ is one type write with the driver left bound (6.1, sriov)" {
	run --separate-stderr igf sriov set-policy --dry-run --json 2 DMA-FQ
	exit_is 0
	jq_eq '.old_type' '"DMA"'
	jq_eq '[.steps[] | [.action, .file, .value]]' '[["write-type","/sys/kernel/iommu_groups/2/type","DMA-FQ"]]'
}

@test "DMA -> DMA-FQ is one type write (6.12, many-groups group 7)" {
	run --separate-stderr igf many-groups set-policy --dry-run 7 lazy
	exit_is 0
	out_is <<'OUT'
group 7: DMA -> DMA-FQ, would write:
  1. write 'DMA-FQ' to /sys/kernel/iommu_groups/7/type   (then read it back)
OUT
}

@test "DMA -> identity on the same group does need the unbind (the live path is only to DMA-FQ)" {
	run --separate-stderr igf sriov set-policy --dry-run --json 2 identity
	exit_is 0
	jq_eq '[.steps[] | .action]' '["unbind","write-type","bind"]'
	jq_eq '.steps[0].driver' '"i40e"'
}

@test "asking for the current policy is a no-op: exit 0, says so, no steps" {
	run --separate-stderr igf qemu-q35 set-policy --dry-run 2 DMA-FQ
	exit_is 0
	out_is <<<'group 2 already has policy DMA-FQ: nothing to do'
	run --separate-stderr igf qemu-q35 set-policy --dry-run --json 2 lazy
	exit_is 0
	jq_eq '[.outcome, .old_type, .steps]' '["unchanged","DMA-FQ",[]]'
}

@test "a no-op without --dry-run changes nothing, even when the group has drivers" {
	fx_copy many-groups
	local before
	before=$(tree_sum "$FXC")
	run --separate-stderr igc set-policy 3 DMA-FQ </dev/null
	exit_is 0
	out_has 'already has policy DMA-FQ'
	[[ $(tree_sum "$FXC") == "$before" ]] || { echo "the fixture changed" >&2; false; }
}

@test "auto is the boot default: identity with iommu=pt (many-groups), DMA-FQ from a lazy config (qemu-q35)" {
	run --separate-stderr igf many-groups set-policy --dry-run --json 0 auto
	exit_is 0
	jq_eq '[.requested, .outcome]' '["auto","unchanged"]'
	run --separate-stderr igf many-groups set-policy --dry-run --json 3 default
	exit_is 0
	jq_eq '[.requested, .outcome, .old_type]' '["auto","planned","DMA-FQ"]'
	jq_eq '[.steps[] | .action]' '["unbind","write-type","bind"]'
	run --separate-stderr igf qemu-q35 set-policy --dry-run --json 2 auto
	exit_is 0
	jq_eq '.outcome' '"unchanged"'
}

# --- refusals -------------------------------------------------------------------------------

@test "in use: patched-6.1 group 3 held by vfio-holder is refused, naming pid and command" {
	run --separate-stderr igf patched-6.1 set-policy --dry-run 3 identity
	exit_is 4
	out_empty
	err_has 'group 3 is in use'
	err_has 'process 812 (vfio-holder)'
	err_has '/dev/vfio/3'
}

@test "in use: many-groups group 11 held by qemu through iommufd cdevs is refused" {
	run --separate-stderr igf many-groups set-policy --dry-run --json 07:00.1 DMA
	exit_is 4
	jq_eq '.outcome' '"refused"'
	jq_eq '.steps' '[]'
	jq_true '.refusal | test("process 4242 \\(qemu-system-x86\\)")'
	jq_true '.refusal | test("/dev/vfio/devices/vfio[01]")'
}

@test "old kernel 5.10: type is read-only, refused with what would work" {
	run --separate-stderr igf old-kernel set-policy --dry-run 1 identity
	exit_is 4
	err_has 'kernel 5.10.0-30-amd64 cannot change'
	err_has '5.11'
	run --separate-stderr igf old-kernel set-policy --dry-run --json 1 identity
	exit_is 4
	jq_eq '[.outcome, .old_type, .steps]' '["refused","DMA",[]]'
}

@test "old kernel 4.19: no type file, refused" {
	run --separate-stderr igf old-kernel-4.19 set-policy --dry-run 1 DMA
	exit_is 4
	err_has '/sys/kernel/iommu_groups/1/type does not exist'
}

@test "without --unbind a script is refused (exit 4), naming the drivers, and nothing is written" {
	fx_copy many-groups
	local before
	before=$(tree_sum "$FXC")
	run --separate-stderr igc set-policy 10 DMA </dev/null
	exit_is 4
	out_empty
	err_has '--unbind'
	err_has 'unbind 0000:04:00.0 from igb'
	err_has 'unbind 0000:05:00.1 from xhci_hcd'
	err_has 'unbind 0000:06:00.0 from ahci'
	err_lacks 'pcieport'
	[[ $(tree_sum "$FXC") == "$before" ]] || { echo "the fixture changed" >&2; false; }
}

@test "without --unbind on 6.1 single-device: refused, naming e1000e" {
	fx_copy qemu-q35
	local before
	before=$(tree_sum "$FXC")
	run --separate-stderr igc set-policy 2 strict </dev/null
	exit_is 4
	err_has 'e1000e'
	err_has '--unbind'
	[[ $(tree_sum "$FXC") == "$before" ]] || { echo "the fixture changed" >&2; false; }
}

@test "without --unbind, --json: outcome refused with every documented key (steps included)" {
	fx_copy qemu-q35
	run --separate-stderr igc set-policy --json 2 identity </dev/null
	exit_is 4
	jq_eq '[.group, .requested, .dry_run, .outcome, .old_type]' '[2,"identity",false,"refused","DMA-FQ"]'
	jq_true '.refusal | test("--unbind")'
	# man page: the object has new_type, error, leftover (null when not applicable) and steps
	jq_eq '[has("new_type"), has("error"), has("leftover"), has("steps")]' '[true,true,true,true]'
	jq_eq '[.steps[]? | select(.action == "unbind") | .driver]' '["e1000e"]'
}

# --- arguments --------------------------------------------------------------------------------

@test "policy aliases and case: passthrough, strict, lazy, default, dma-fq, IDENTITY, Dma" {
	local p want
	for p in passthrough:identity strict:DMA lazy:DMA-FQ default:auto dma-fq:DMA-FQ \
		IDENTITY:identity Dma:DMA PassThrough:identity LAZY:DMA-FQ Auto:auto; do
		want=${p#*:}
		run --separate-stderr igf sriov set-policy --dry-run --json 3 "${p%%:*}"
		exit_is 0
		jq_eq '.requested' "\"$want\""
	done
	run --separate-stderr igf sriov set-policy --dry-run --json 3 Lazy
	jq_eq '.steps[0].value' '"DMA-FQ"'
}

@test "an unknown policy is a usage error (exit 2) naming the accepted ones" {
	local p
	for p in bogus DMA_FQ '' 'identity ' pt; do
		run --separate-stderr igf qemu-q35 set-policy --dry-run 2 "$p"
		exit_is 2
		out_empty
		err_has "unknown policy '$p'"
		err_has 'passthrough'
	done
}

@test "an unknown target is exit 3: group number, PCI address, device name" {
	local t
	for t in 99 0000:09:00.0 09:00.0 nosuchdev; do
		run --separate-stderr igf qemu-q35 set-policy --dry-run "$t" DMA
		exit_is 3
		err_has "$t: no such IOMMU group or device"
	done
}

@test "a device in no group is exit 3 (many-groups: the IOMMU itself, 00:00.2)" {
	run --separate-stderr igf many-groups set-policy --dry-run 00:00.2 DMA
	exit_is 3
	err_has 'in no IOMMU group'
}

@test "a malformed PCI address or target is a usage error (exit 2)" {
	local t
	for t in 01:00.8 0000:01:00.0.1 1:2:3:4 3x 'a b' 0x3; do
		run --separate-stderr igf qemu-q35 set-policy --dry-run "$t" DMA
		exit_is 2
		out_empty
		err_has "'$t' is not a"
	done
}

@test "missing or extra arguments and unknown options are usage errors (exit 2)" {
	run --separate-stderr igf qemu-q35 set-policy --dry-run 2
	exit_is 2
	run --separate-stderr igf qemu-q35 set-policy --dry-run
	exit_is 2
	run --separate-stderr igf qemu-q35 set-policy --dry-run 2 DMA extra
	exit_is 2
	run --separate-stderr igf qemu-q35 set-policy --dry-run --bogus 2 DMA
	exit_is 2
	out_empty
}

@test "--json: the documented shape with types (planned dry run)" {
	run --separate-stderr igf qemu-q35 set-policy --dry-run -J 0000:00:02.0 strict
	exit_is 0
	jq_eq 'keys_unsorted' '["group","requested","dry_run","outcome","old_type","expected_type","new_type","refusal","error","leftover","steps"]'
	jq_eq '[.group, .requested, .dry_run, .outcome, .old_type, .new_type, .refusal, .error, .leftover]' \
		'[2,"DMA",true,"planned","DMA-FQ",null,null,null,null]'
	jq_eq '[.steps[] | keys_unsorted]' \
		'[["action","device","driver","file","value"],["action","device","driver","file","value"],["action","device","driver","file","value"]]'
	jq_eq '.steps' '[{"action":"unbind","device":"0000:00:02.0","driver":"e1000e","file":"/sys/bus/pci/drivers/e1000e/unbind","value":"0000:00:02.0"},{"action":"write-type","device":null,"driver":null,"file":"/sys/kernel/iommu_groups/2/type","value":"DMA"},{"action":"bind","device":"0000:00:02.0","driver":"e1000e","file":"/sys/bus/pci/drivers/e1000e/bind","value":"0000:00:02.0"}]'
}

@test "--json: a refusal by the kernel's rules has outcome refused, the reason and no steps" {
	run --separate-stderr igf qemu-q35 set-policy --dry-run --json 3 identity
	exit_is 4
	jq_eq '[.group, .requested, .dry_run, .outcome, .old_type]' '[3,"identity",true,"refused","DMA-FQ"]'
	jq_true '.refusal | test("single-device groups")'
	jq_eq '.steps' '[]'
}

@test "set-policy --unbind refuses to unbind a device the host needs, as vfio-bind does; --force overrides" {
	run --separate-stderr igf host-in-use set-policy --dry-run --unbind 01:00.0 identity
	exit_is 4
	err_has '0000:01:00.0 is needed by the host'
	err_has 'which is mounted'
	err_has '--force'
	run --separate-stderr igf host-in-use set-policy --dry-run --unbind --force 01:00.0 identity
	exit_is 0
	out_has 'unbind 0000:01:00.0'
}
