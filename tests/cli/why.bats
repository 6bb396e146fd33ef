#!/usr/bin/env bats
# iommugrp why TARGET, the REASON column and show's reason: the replay of the kernel's
# grouping rules on fixtures with 4096-byte config spaces (pcie-acs: one group per rule;
# acs-override: groups the replay cannot explain; qemu-q35: the VM), 64-byte ones (patched-6.1:
# not readable)
# and non-PCI groups.

load helpers

@test "list -o NAME,REASON: every group's and device's rule and cause (pcie-acs)" {
	run --separate-stderr igf pcie-acs list -o NAME,REASON
	status_is 0
	matches_expected list-pcie-acs-reason
	[[ -z $stderr ]] || { echo "stderr: $stderr"; false; }
}

@test "why: a root port without an ACS capability puts everything below it in its group" {
	run --separate-stderr igf pcie-acs why 01:00.1
	status_is 0
	has_line 'group 1: 3 devices (holding 0000:01:00.1)'
	has "replay:  iommugrp's replay of the kernel's rules predicts exactly this group"
	has_line '  0000:01:00.0  no ACS isolation on the path: the root port 0000:00:01.0 has no ACS capability, so every device below it is in one group'
	has_line '  0000:00:01.0  root port; no ACS capability'
	has_line '  0000:01:00.0  legacy PCIe endpoint (multi-function); no ACS capability'
	# the advice names a real port with ACS that is alone in its group
	has 'a card in a slot below a port with ACS (e.g. 0000:00:1b.0, alone in group 3) would be in a group of its own'
	lacks 'Warnings:'
}

@test "why: ACS implemented but not enabled names the missing bits" {
	run igf pcie-acs why 03:00.0
	status_is 0
	has 'the root port 0000:00:1c.0 has ACS but not SV RR CR UF enabled'
	has_line '  0000:00:1c.0  root port; ACS capability: SV TB RR CR UF DT; enabled: none'
}

@test "why: a port with ACS isolates; a switch's downstream port without ACS does not" {
	run igf pcie-acs why 02:00.0
	status_is 0
	has_line 'group 8: 1 device (holding 0000:02:00.0)'
	has_line '  0000:02:00.0  isolated: ACS (or a kernel quirk) separates it from every other device up to the root bus'
	has_line '  0000:00:1b.0  root port; ACS capability: SV TB RR CR UF DT; enabled: SV RR CR UF'
	has_line '  nothing to split: the device is alone in its group'
	run igf pcie-acs why 07:00.0
	status_is 0
	has 'the switch downstream port 0000:05:10.0 has no ACS capability'
	# the whole path to the root bus, with the upstream port and the root port's ACS
	has_line '  0000:04:00.0  switch upstream port; no ACS capability'
	has_line '  0000:00:1d.0  root port; ACS capability: SV TB RR CR UF DT; enabled: SV RR CR UF'
}

@test "why: conventional PCI behind a PCIe-to-PCI bridge is one group: nothing splits it" {
	run igf pcie-acs why 08:01.0
	status_is 0
	has_line '  0000:00:1e.0  PCIe-to-PCI bridge: the devices behind it carry its requester ID, so they share its group'
	has_line '  0000:08:01.0  DMA alias: a conventional PCI device behind the PCIe-to-PCI bridge 0000:00:1e.0, whose requester ID it carries: the IOMMU cannot tell it from the others behind that bridge'
	has_line '  0000:08:01.0  conventional PCI; no ACS capability'
	has 'nothing short of different hardware splits the devices behind the PCIe-to-PCI bridge 0000:00:1e.0'
}

@test "why: functions of a multi-function device without ACS share a group" {
	run igf pcie-acs why 7
	status_is 0
	has_line 'group 7: 4 devices'
	has_line '  0000:00:1f.4  multi-function device without ACS: its functions (here with 0000:00:1f.0) can reach each other without the IOMMU'
	has_line '  0000:00:1f.0  conventional PCI (multi-function); no ACS capability'
	has 'functions of one device without ACS stay together'
}

@test "why --json: rule, cause, replay, ACS bits, interrupt remapping" {
	run --separate-stderr igf pcie-acs why --json 03:00.0
	status_is 0
	jq_is '.why | [.group, .target, .replay, .rule, .cause]' '[4,"0000:03:00.0","match","no-acs","0000:00:1c.0"]'
	jq_is '.why.devices[0] | [.name, .port_type, .multifunction, .config_read, .config_size]' \
		'["0000:00:1c.0","root port",false,4096,4096]'
	jq_is '.why.devices[0].acs' \
		'{"readable":true,"present":true,"capability":"SV TB RR CR UF DT","enabled":"none","quirk":null,"isolates":"no"}'
	jq_is '.why.devices[1] | [.reason, .cause, .upstream]' '["no-acs","0000:00:1c.0","0000:00:1c.0"]'
	jq_is '.why | [.acs_override, .irq_remapping]' '[null,"on"]'
	run igf pcie-acs why --json 08:00.0
	jq_is '.why | [.rule, .cause]' '["dma-alias","0000:00:1e.0"]'
	jq_is '[.why.devices[] | .reason]' '["alias-bridge","dma-alias","dma-alias"]'
	run igf pcie-acs why --json 00:14.0
	# an Intel root complex integrated endpoint: pci_quirk_rciep_acs decides
	jq_is '.why.devices[0].acs | [.present, .quirk, .isolates]' '[false,"pci_quirk_rciep_acs","yes"]'
}

@test "show: the group's reason line, and reason in its JSON" {
	run igf pcie-acs show 01:00.0
	status_is 0
	has_line '  reason:  no-acs 0000:00:01.0 (iommugrp why 1 explains)'
	run igf pcie-acs show --json 8
	status_is 0
	jq_is '.iommugroup | [.replay, .reason, .devices[0].reason]' '["match","isolated","isolated"]'
}

@test "the replay reads ACS control: disabling it on a port predicts a merged group, a mismatch" {
	local root=$BATS_TEST_TMPDIR/pcie-acs cfg
	cp -a "$IOMMUGRP_FIXTURES/pcie-acs" "$root"
	cfg=$root/sys/devices/pci0000:00/0000:00:1b.0/config
	# ACS control word of 00:1b.0 (ACS capability at 0x148, control at 0x14e): all off
	printf '\0\0' | dd of="$cfg" bs=1 seek=$((0x14e)) conv=notrunc status=none
	run ig --sysroot "$root" why 02:00.0
	status_is 0
	has 'MISMATCH'
	has_line '  predicted: one group of 0000:00:1b.0 0000:02:00.0'
	has 'unknown quirk'
	has_line '  0000:02:00.0  unknown: iommugrp'"'"'s replay of the kernel'"'"'s rules does not explain this group'
	run ig --sysroot "$root" list -o NAME,REASON
	has_re '^group 8 +unknown \(replay mismatch\)$'
}

@test "why: pcie_acs_override on the command line, groups the replay cannot explain, IR off" {
	run --separate-stderr igf acs-override why 01:00.1
	status_is 0
	has 'MISMATCH'
	has_line '  predicted: one group of 0000:00:01.0 0000:01:00.0 0000:01:00.1'
	has 'pcie_acs_override=downstream,multifunction on the kernel command line makes the kernel claim ACS isolation'
	has_line 'Warnings:'
	has 'pcie_acs_override=downstream,multifunction is on the kernel command line'
	has 'interrupt remapping is off (/proc/interrupts: PCI-MSI/IO-APIC interrupts without IR- (not remapped)): vfio_iommu_type1 refuses the group unless allow_unsafe_interrupts=1'
	has_line '  not known: the replay does not explain this group'
	run igf acs-override why --json 1
	jq_is '.why | [.replay, .rule, .acs_override, .irq_remapping]' '["mismatch","unknown","downstream,multifunction","off"]'
	run igf acs-override why 0
	has "predicts exactly this group"
}

@test "why: 64-byte config spaces (patched-6.1): says what could not be read, explains nothing" {
	run --separate-stderr igf patched-6.1 why 01:01.0
	status_is 0
	has 'replay:  not possible: config space that decides it could not be read (run as root)'
	has_line '  0000:00:03.0  unknown; ACS not readable: the config file has only 64 bytes'
	lacks 'dma-alias'
	has 'interrupt remapping: unknown (the IOMMU can remap (Intel ecap IR bit), but /proc/interrupts does not show whether the kernel does)'
	run igf patched-6.1 list -l -o GROUP,REASON
	has_re '^ +3 unknown \(config unreadable\)$'
	run igf patched-6.1 why --json 3
	jq_is '.why | [.replay, .devices[0].acs.readable]' '["unreadable",false]'
}

@test "why: a group holding platform devices is the IOMMU driver's, not PCI's" {
	run igf nonpci why AMDI0020:00
	status_is 0
	has 'the group holds non-PCI devices'
	has 'AMDI0020:00  not a PCI device (platform bus)'
	has 'nothing in the PCI topology'
	run igf nonpci why --json AMDI0020:00
	jq_is '.why | [.replay, .rule]' '["not-pci","not-pci"]'
}

@test "why: the QEMU VM's groups (qemu-q35): alias bridge, multi-function ICH9, integrated e1000e" {
	run --separate-stderr igf qemu-q35 why --json 01:02.0
	status_is 0
	jq_is '.why | [.replay, .rule, .cause]' '["match","dma-alias","0000:00:03.0"]'
	jq_is '.why.devices[0] | [.name, .port_type, .config_size]' '["0000:00:03.0","PCIe-to-PCI bridge",4096]'
	run igf qemu-q35 why --json 4
	jq_is '.why | [.replay, .rule, .cause]' '["match","multifunction","0000:00:1f.0"]'
	run igf qemu-q35 why --json 2
	jq_is '.why | [.replay, .rule, .devices[0].port_type]' '["match","isolated","root complex integrated endpoint"]'
}

@test "why: usage and lookup errors" {
	run --separate-stderr igf pcie-acs why
	status_is 2
	run --separate-stderr igf pcie-acs why 999
	status_is 3
	has 'no such IOMMU group or device' "$stderr"
	run --separate-stderr igf pcie-acs why 1 2
	status_is 2
}
