#!/usr/bin/env bats
# iommugrp status: IOMMU on or off, kernel rules, boot policy, vfio-pci.

load helpers
load changes

@test "status: qemu-q35 (6.1): active, single-device rules, boot policy from the config, vfio-pci loadable" {
	run --separate-stderr igf qemu-q35 status
	status_is 0
	has_line 'IOMMU: active, 5 groups, 1 unit (dmar0)'
	has_line 'kernel: 6.1.0-27-amd64'
	has_line 'type-change rules: single-device'
	has_re '^boot policy: DMA-FQ \(CONFIG_IOMMU_DEFAULT_DMA_LAZY=y\)$'
	has_line 'vfio-pci: loadable'
	[[ -z $stderr ]] || { echo "stderr: $stderr"; false; }
}

@test "status -J: qemu-q35 keys and values" {
	run --separate-stderr igf qemu-q35 status -J
	status_is 0
	jq_is '{iommu_active, groups, iommu_units, kernel_release, type_change_rules, kernel_patch, boot_policy, boot_policy_source, vfio_pci}' '{"iommu_active":true,"groups":5,"iommu_units":["dmar0"],"kernel_release":"6.1.0-27-amd64","type_change_rules":"single-device","kernel_patch":false,"boot_policy":"DMA-FQ","boot_policy_source":"CONFIG_IOMMU_DEFAULT_DMA_LAZY=y","vfio_pci":"loadable"}'
}

@test "status -J: every key the man page documents is present with its type" {
	run igf qemu-q35 status -J
	status_is 0
	jq_ok '(.iommu_active|type)=="boolean" and (.groups|type)=="number" and (.iommu_units|type)=="array"'
	jq_ok '(.kernel_release|type)=="string" and (.type_change_rules|type)=="string" and (.kernel_patch|type)=="boolean"'
	jq_ok 'has("boot_policy") and has("boot_policy_source") and has("vfio_pci")'
	jq_is '.interrupted' '[]'
}

@test "status: many-groups (6.12): claim-based, iommu=pt gives identity, vfio-pci loaded" {
	run igf many-groups status
	status_is 0
	has_line 'IOMMU: active, 13 groups, 1 unit (ivhd0)'
	has_line 'type-change rules: claim-based'
	has_line 'boot policy: identity (iommu=pt)'
	has_line 'vfio-pci: loaded'
	run igf many-groups status -J
	status_is 0
	jq_is '[.groups, .iommu_units, .kernel_release, .type_change_rules, .boot_policy, .boot_policy_source, .vfio_pci]' \
		'[13,["ivhd0"],"6.12.38+deb12-amd64","claim-based","identity","iommu=pt","loaded"]'
}

@test "status: no-iommu: not active, says how to enable it, exit 0" {
	run --separate-stderr igf no-iommu status
	status_is 0
	has 'not active'
	has intel_iommu=on
	has amd_iommu=on
	has VT-d
	has_line 'vfio-pci: loadable'
	run igf no-iommu status -J
	status_is 0
	jq_is '[.iommu_active, .groups, .iommu_units, .type_change_rules, .vfio_pci]' '[false,0,[],"single-device","loadable"]'
}

@test "status: no-iommu-sysfs: not active, policy unknown (null), vfio-pci missing" {
	run --separate-stderr igf no-iommu-sysfs status
	status_is 0
	has 'not active'
	has intel_iommu=on
	has_line 'vfio-pci: missing'
	run igf no-iommu-sysfs status -J
	status_is 0
	jq_is '[.iommu_active, .groups, .iommu_units, .kernel_release, .boot_policy, .boot_policy_source, .vfio_pci]' \
		'[false,0,[],"6.1.0-custom",null,null,"missing"]'
}

@test "status: old-kernel (5.10): rules none, policy unknown" {
	run igf old-kernel status
	status_is 0
	has_line 'type-change rules: none'
	has 'before 5.11'
	run igf old-kernel status -J
	status_is 0
	jq_is '[.kernel_release, .type_change_rules, .kernel_patch, .vfio_pci]' '["5.10.0-30-amd64","none",false,"loadable"]'
	run igf old-kernel-4.19 status -J
	status_is 0
	jq_is '[.kernel_release, .type_change_rules, .groups]' '["4.19.0-27-amd64","none",3]'
}

@test "status: an unknown boot policy does not claim a present /boot/config is missing (old-kernel)" {
	# old-kernel has /boot/config-5.10.0-30-amd64 (without the DEFAULT_DMA lines of 5.15+)
	[[ -f $IOMMUGRP_FIXTURES/old-kernel/boot/config-5.10.0-30-amd64 ]]
	run igf old-kernel status
	status_is 0
	has_re '^boot policy: '
	lacks 'no /boot/config-5.10.0-30-amd64'
}

@test "status: sriov (6.1.112, strict config): boot policy DMA, vfio-pci built in" {
	run igf sriov status -J
	status_is 0
	jq_is '[.type_change_rules, .boot_policy, .boot_policy_source, .vfio_pci]' \
		'["single-device","DMA","CONFIG_IOMMU_DEFAULT_DMA_STRICT=y","built-in"]'
	run igf sriov status
	has_line 'vfio-pci: built-in'
}

@test "status: nonpci (6.6): claim-based, AMD unit" {
	run igf nonpci status -J
	status_is 0
	jq_is '[.groups, .iommu_units, .type_change_rules, .vfio_pci]' '[5,["ivhd0"],"claim-based","loadable"]'
}

@test "status: extra argument: exit 2" {
	run --separate-stderr igf qemu-q35 status extra
	status_is 2
	has extra "$stderr"
}

# libkmod.so.2 is dlopened on the first module question (lib/kernel.c): a copy of iommugrp in
# another root that lacks it still starts, and says what is missing when a module is asked about.
# Found first in the library path, a file that is no ELF object makes dlopen (and ld.so) fail.
unusable_libkmod() {
	mkdir -p "$BATS_TEST_TMPDIR/nokmod"
	echo 'not an ELF object' >"$BATS_TEST_TMPDIR/nokmod/libkmod.so.2"
	export LD_LIBRARY_PATH="$BATS_TEST_TMPDIR/nokmod:$LD_LIBRARY_PATH"
}

@test "libkmod.so.2 is not loaded at startup: --version and list run without a usable one" {
	unusable_libkmod
	run --separate-stderr ig --version
	status_is 0
	run --separate-stderr igf qemu-q35 list
	status_is 0
	lacks libkmod "$stderr"
}

@test "status without a usable libkmod.so.2: vfio-pci unknown, the error names it and the loader's reason" {
	unusable_libkmod
	run --separate-stderr igf qemu-q35 status
	status_is 0
	has_line 'IOMMU: active, 5 groups, 1 unit (dmar0)'
	has_line 'vfio-pci: unknown'
	has 'error: cannot load libkmod.so.2' "$stderr"
	has "$BATS_TEST_TMPDIR/nokmod/libkmod.so.2: " "$stderr"
	run --separate-stderr igf qemu-q35 status -J
	jq_is '.vfio_pci' 'null'
}

@test "vfio-bind without a usable libkmod.so.2: the tool says vfio-pci cannot be loaded, the loader's reason once" {
	unusable_libkmod
	fx_copy qemu-q35
	local before
	before=$(tree_sum "$FXC")
	run --separate-stderr igc vfio-bind 2 </dev/null
	exit_is 1
	err_has 'error: cannot load vfio-pci: libkmod.so.2 is missing or unusable'
	[[ $(grep -c 'cannot load libkmod.so.2' <<<"$stderr") == 1 ]] || { echo "stderr: $stderr" >&2; false; }
	[[ $(tree_sum "$FXC") == "$before" ]] || { echo "the fixture changed" >&2; false; }
}
