#!/usr/bin/env bats
# iommugrp show TARGET: targets, the group's details, VFIO explanations, regions, JSON, errors.

load helpers

@test "show N: a group by number" {
	run --separate-stderr igf qemu-q35 show 2
	status_is 0
	has_line 'group 2'
	has_line '  path:    /sys/kernel/iommu_groups/2'
	has_line '  type:    DMA-FQ'
	has_line '  devices: 1'
	has_line '  viable:  no'
	has_re '^0000:00:02\.0 +8086:10d3 +Ethernet controller +e1000e +kernel-driver$'
	lacks 'one of'
	lacks 'name:'
	[[ -z $stderr ]] || { echo "stderr: $stderr"; false; }
}

@test "show: full and short PCI address, upper-case hex, give the same group" {
	local t
	for t in 0000:01:01.0 01:01.0 0000:00:1F.2; do
		run --separate-stderr igf qemu-q35 show "$t" -J
		status_is 0
	done
	run igf qemu-q35 show 0000:01:01.0 -J
	jq_is '.iommugroup | [.group, .target]' '[3,"0000:01:01.0"]'
	run igf qemu-q35 show 01:01.0 -J
	jq_is '.iommugroup | [.group, .target]' '[3,"0000:01:01.0"]'
	run igf qemu-q35 show 0000:00:1F.2 -J
	jq_is '.iommugroup | [.group, .target]' '[4,"0000:00:1f.2"]'
}

@test "show: a device of a larger group says it is one of N devices" {
	run igf qemu-q35 show 01:01.0
	status_is 0
	has_line 'group 3'
	has_line '  devices: 3'
	has '0000:01:01.0 is one of 3 devices in this group'
	has 'the group is the unit of isolation'
	# a single-device group, or a group number, gets no such note
	run igf qemu-q35 show 00:02.0
	status_is 0
	lacks 'one of'
	run igf qemu-q35 show 3
	status_is 0
	lacks 'one of'
}

@test "show: per-device VFIO explanations: bridge, kernel driver, unbound" {
	run igf qemu-q35 show 3
	status_is 0
	has_line '  viable:  no'
	has_re '^  0000:00:03\.0: bridge .*keeps the group viable'
	has_re '^  0000:01:01\.0: bound to e1000, .*NOT viable until it is unbound'
	has_re '^  0000:01:02\.0: bound to e1000, .*NOT viable'
	has_re '^0000:00:03\.0 +1b36:000e +PCI bridge +bridge$'
	run igf qemu-q35 show 1
	status_is 0
	has_line '  viable:  yes'
	has_re '^  0000:00:01\.0: no driver: keeps the group viable'
	has_re '^0000:00:01\.0 .* unbound$'
}

@test "show: driver_managed_dma (vfio-pci with driver_override) keeps the group viable (many-groups)" {
	run igf many-groups show 07:00.1
	status_is 0
	has_line 'group 11'
	has_line '  viable:  yes'
	has_re '^  0000:07:00\.0: vfio-pci manages DMA itself \(driver_managed_dma\)'
	has_re '^0000:07:00\.1 +10de:228b .* vfio-pci +vfio-pci +driver-managed-dma$'
	has '0000:07:00.1 is one of 2 devices'
}

@test "show: a bridge on pcieport counts as a bridge, not a kernel driver (many-groups 10)" {
	run igf many-groups show 10 -J
	status_is 0
	jq_is '[.iommugroup.devices[] | select(.driver == "pcieport") | .vfio] | unique' '["bridge"]'
	jq_is '[.iommugroup.devices[] | select(.driver == "pcieport") | .viable] | unique' '[true]'
	jq_is '.iommugroup.devices | length' '10'
	jq_is '.iommugroup.viable' 'false'
}

@test "show: a platform device by name (nonpci AMDI0010:00, a non-PCI-only group)" {
	run igf nonpci show AMDI0010:00
	status_is 0
	has_line 'group 2'
	has_line '  devices: 1'
	has_re '^  AMDI0010:00: bound to i2c_designware'
	run igf nonpci show AMDI0010:00 -J
	status_is 0
	jq_is '.iommugroup | [.group, .target, .devices[0].subsystem, .devices[0].id, .devices[0].driver]' \
		'[2,"AMDI0010:00","platform",null,"i2c_designware"]'
}

@test "show: a platform device in a mixed PCI/platform group, and its override (nonpci)" {
	run igf nonpci show AMDI0020:00
	status_is 0
	has_line 'group 1'
	has 'AMDI0020:00 is one of 3 devices'
	run igf nonpci show AMDI0010:01 -J
	status_is 0
	jq_is '.iommugroup.devices[0] | [.name, .driver, .override, .vfio, .viable]' \
		'["AMDI0010:01",null,"vfio-platform","unbound",true]'
}

@test "show: a platform device in no group: exit 3 (nonpci serial8250)" {
	run --separate-stderr igf nonpci show serial8250
	status_is 3
	has serial8250 "$stderr"
}

@test "show: sysfs paths /sys/bus/pci/devices/... and /sys/devices/... (with or without a slash)" {
	local t
	for t in /sys/bus/pci/devices/0000:01:02.0 \
		/sys/devices/pci0000:00/0000:00:03.0/0000:01:02.0 \
		/sys/devices/pci0000:00/0000:00:03.0/0000:01:02.0/; do
		run --separate-stderr igf qemu-q35 show "$t" -J
		status_is 0
		jq_is '.iommugroup | [.group, .target]' '[3,"0000:01:02.0"]'
	done
	run igf nonpci show /sys/bus/platform/devices/AMDI0010:00
	status_is 0
	has_line 'group 2'
}

@test "show: a sysfs path that does not exist: exit 3, named on stderr" {
	run --separate-stderr igf qemu-q35 show /sys/devices/nothing/here
	status_is 3
	has /sys/devices/nothing/here "$stderr"
}

@test "show: reserved regions of every type, direct called out (regions group 6)" {
	run igf regions show 6
	status_is 0
	has_re '^  0x0000000000000000-0x0000000000000fff direct\b'
	has_re '^  0x0000000000000000-0x0000000000000fff direct .*RMRR'
	has_line '  0x000000007a9a0000-0x000000007a9bffff direct-relaxable'
	has_line '  0x00000000fee00000-0x00000000feefffff msi'
	has_line '  0x000000fd00000000-0x000000ffffffffff reserved'
}

@test "show: direct-relaxable alone is not called out like direct (regions group 1)" {
	run igf regions show 1
	status_is 0
	has_line '  0x000000007b800000-0x000000007f7fffff direct-relaxable'
	lacks RMRR
	run igf regions show 5
	status_is 0
	has_re '^  0x000000007bd00000-0x000000007bd0ffff direct .*RMRR'
}

@test "show: an empty reserved_regions file (regions group 7)" {
	run --separate-stderr igf regions show 7
	status_is 0
	has 'Reserved regions: none'
	run igf regions show 7 -J
	status_is 0
	jq_is '.iommugroup.reserved_regions' '[]'
}

@test "show: name shown when present, type unknown (regions group 8, vfio-noiommu)" {
	run igf regions show 8
	status_is 0
	has_line '  name:    vfio-noiommu'
	has_line '  type:    unknown'
	run igf regions show 8 -J
	status_is 0
	jq_is '.iommugroup | [.name, .type]' '["vfio-noiommu","unknown"]'
	run igf regions show 6 -J
	status_is 0
	jq_is '.iommugroup.name' 'null'
}

@test "show -J: the documented schema (group, devices with their keys, reserved_regions)" {
	run --separate-stderr igf regions show 03:00.0 -J
	status_is 0
	jq_is 'keys' '["iommugroup"]'
	local k
	for k in group path type name target dma_owner viable users devices reserved_regions; do
		jq_ok ".iommugroup | has(\"$k\")"
	done
	jq_is '.iommugroup | [.group, .path, .type, .target, .viable]' \
		'[6,"/sys/kernel/iommu_groups/6","DMA-FQ","0000:03:00.0",false]'
	jq_ok '(.iommugroup.users | type) == "array"'
	for k in name subsystem id classid class vendor model driver override vfio path viable; do
		jq_ok "all(.iommugroup.devices[]; has(\"$k\"))"
	done
	jq_is '[.iommugroup.devices[] | [.name, .driver, .vfio, .viable]]' \
		'[["0000:00:1c.4","pcieport","bridge",true],["0000:03:00.0","igb","kernel-driver",false]]'
	jq_is '.iommugroup.devices[1] | [.id, .classid, .path]' \
		'["8086:1533","0x020000","/sys/devices/pci0000:00/0000:00:1c.4/0000:03:00.0"]'
	jq_is '.iommugroup.reserved_regions' \
		'[{"start":"0x0000000000000000","end":"0x0000000000000fff","type":"direct"},{"start":"0x000000007a9a0000","end":"0x000000007a9bffff","type":"direct-relaxable"},{"start":"0x00000000fee00000","end":"0x00000000feefffff","type":"msi"},{"start":"0x000000fd00000000","end":"0x000000ffffffffff","type":"reserved"}]'
	jq_ok 'all(.iommugroup.reserved_regions[]; (.start|test("^0x[0-9a-f]{16}$")) and (.end|test("^0x[0-9a-f]{16}$")))'
}

@test "show -J: a group number gives target null; no colour with --color=always" {
	run igf qemu-q35 show 2 -J --color=always
	status_is 0
	lacks $'\e'
	jq_is '.iommugroup | [.group, .target, .viable, (.devices | length)]' '[2,null,false,1]'
}

@test "show -o: chooses the device table's columns" {
	run igf qemu-q35 show 3 -o NAME,VFIO,PATH
	status_is 0
	has_re '^NAME +VFIO +PATH$'
	has_re '^0000:01:01\.0 +kernel-driver +/sys/devices/pci0000:00/0000:00:03\.0/0000:01:01\.0$'
	lacks '8086:100e'
}

@test "show -n -r: the device table without heading, raw" {
	run igf qemu-q35 show 3 -n -r
	status_is 0
	has_line '0000:01:01.0 8086:100e Ethernet\x20controller e1000  kernel-driver'
	run igf qemu-q35 show 3 -n
	status_is 0
	lacks 'NAME '
}

@test "show -o BOGUS: exit 2, the column named" {
	run --separate-stderr igf qemu-q35 show 3 -o NAME,BOGUS
	status_is 2
	has BOGUS "$stderr"
}

@test "show SR-IOV: a VF and its PF are in different groups (sriov)" {
	run igf sriov show 01:02.1 -J
	status_is 0
	jq_is '.iommugroup | [.group, .viable, .devices[0].vfio, .devices[0].id]' '[5,true,"unbound","8086:154c"]'
	run igf sriov show 01:00.0 -J
	status_is 0
	jq_is '.iommugroup | [.group, .viable, (.devices | length), .devices[0].driver]' '[2,false,1,"i40e"]'
}

@test "show: missing TARGET: exit 2" {
	run --separate-stderr igf qemu-q35 show
	status_is 2
	has TARGET "$stderr"
}

@test "show: malformed PCI addresses: exit 2, the message gives the expected format" {
	local t
	for t in 00:00.8 1:2:3 00:20.0 0000:001:00.0; do
		run --separate-stderr igf qemu-q35 show "$t"
		status_is 2
		has "$t" "$stderr"
		has '01:00.0' "$stderr"
	done
}

@test "show: unknown group 99 and an absent address: exit 3, named on stderr" {
	run --separate-stderr igf qemu-q35 show 99
	status_is 3
	has 99 "$stderr"
	[[ -z $output ]]
	run --separate-stderr igf qemu-q35 show 05:00.0
	status_is 3
	has 05:00.0 "$stderr"
	run --separate-stderr igf qemu-q35 show NOSUCH:00
	status_is 3
}

@test "show: an extra argument: exit 2" {
	run --separate-stderr igf qemu-q35 show 2 3
	status_is 2
	has "'3'" "$stderr"
}

@test "show: no-iommu: a present device in no group: exit 3, says so" {
	run --separate-stderr igf no-iommu show 00:02.0
	status_is 3
	has 'no IOMMU group' "$stderr"
}

@test "show: old kernel without type file (old-kernel-4.19): shown, type null in JSON" {
	run --separate-stderr igf old-kernel-4.19 show 2 -J
	status_is 0
	jq_is '.iommugroup | [.type, (.devices|length), [.reserved_regions[].type]]' '[null,3,["direct-relaxable","msi"]]'
}

@test "show -J and list -J: one JSON escaper (a tab is \\t, ESC \\u001b in both), both read by jq" {
	local list show0 show1
	list=$(igf odd-names list -J -o NAME,OVERRIDE)
	show0=$(igf odd-names show 0 -J)
	show1=$(igf odd-names show 1 -J)
	has '"plat\tuart"' "$list"
	has '"plat\tuart"' "$show0"
	lacks '\u0009' "$show0"
	has '"\u001b[31mred' "$list"
	has '"\u001b[31mred' "$show1"
	# jq decodes the same names from both.
	output=$list
	jq_is '[.iommugroups[] | select(.name == "group 0") | .children[].name] | sort' \
		'["café:00","plat\tuart"]'
	output=$show0
	jq_is '[.iommugroup.devices[].name] | sort' '["café:00","plat\tuart"]'
	output=$show1
	jq_ok '[.iommugroup.devices[].override] | index("\u001b[31mred\u007f") != null'
}
