#!/usr/bin/env bats
# iommugrp list (the default command): tree, columns, raw, flat, colour, JSON.

load helpers

@test "list: default tree on qemu-q35 matches expected/list-qemu-q35 (ASCII tree under LC_ALL=C)" {
	run --separate-stderr igf qemu-q35
	status_is 0
	[[ -z $stderr ]] || { echo "unexpected stderr: $stderr"; false; }
	matches_expected_text list-qemu-q35
}

@test "list: 'list' is the same as no command" {
	run igf qemu-q35
	status_is 0
	has_re '^group 4 +DMA-FQ +no'
	local default=$output
	run igf qemu-q35 list
	status_is 0
	[[ $output == "$default" ]]
}

@test "list: groups sort numerically (10 after 9), raw flat listing matches expected/list-many-groups-raw" {
	run --separate-stderr igf many-groups -l -n -r -o GROUP,NAME,TYPE,DRIVER,VFIO
	status_is 0
	matches_expected_text list-many-groups-raw
}

@test "list: group rows in numeric order in the default tree (many-groups)" {
	run igf many-groups
	status_is 0
	local order
	order=$(grep -oE '^group [0-9]+' <<<"$output" | awk '{print $2}' | tr '\n' ' ')
	[[ $order == "0 1 2 3 4 5 6 7 8 9 10 11 12 " ]] || { echo "order: $order"; false; }
}

@test "list: -o picks columns in the order given, case-insensitively" {
	run igf qemu-q35 -o group,NAME,Driver
	status_is 0
	has_re '^GROUP +NAME +DRIVER$'
	lacks TYPE
	lacks MODEL
	has_re '^ +2 +`-0000:00:02\.0 +e1000e$'
}

@test "list: --output=LIST long form" {
	run igf qemu-q35 --output=NAME,ID -l -n
	status_is 0
	has_re '^0000:00:02\.0 +8086:10d3$'
	lacks DMA-FQ
}

@test "list: -o +COL adds to the default columns" {
	run igf qemu-q35 -o +PATH,SUBSYSTEM
	status_is 0
	has_re '^NAME +TYPE +VIABLE +DRIVER +ID +CLASS +MODEL +PATH +SUBSYSTEM$'
	has '/sys/kernel/iommu_groups/3'
	has '/sys/devices/pci0000:00/0000:00:03.0/0000:01:01.0'
}

@test "list: unknown column: exit 2, the message names it" {
	run --separate-stderr igf qemu-q35 -o NAME,BOGUSCOL
	status_is 2
	has BOGUSCOL "$stderr"
	[[ -z $output ]] || { echo "stdout not empty: $output"; false; }
}

@test "list: unknown column after + is an error too" {
	run --separate-stderr igf qemu-q35 -o +NOPE
	status_is 2
	has NOPE "$stderr"
}

@test "list: -o with an empty list is a usage error" {
	run --separate-stderr igf qemu-q35 -o ''
	status_is 2
	[[ -n $stderr ]]
	[[ -z $output ]] || { echo "stdout: $output"; false; }
}

@test "list: --list-columns lists exactly the man page's columns, and exits 0" {
	run --separate-stderr ig --list-columns
	status_is 0
	local listed documented
	listed=$(awk '{print $1}' <<<"$output" | sort)
	documented=$(man_columns | sort)
	[[ -n $documented ]]
	diff <(printf '%s\n' "$documented") <(printf '%s\n' "$listed")
}

@test "list: every documented column works with -o and becomes a lower-case JSON key" {
	local col
	for col in $(man_columns); do
		run --separate-stderr igf qemu-q35 -o "$col" -l -n
		status_is 0
		run --separate-stderr igf qemu-q35 -J -o "$col"
		status_is 0
		jq_ok ".iommugroups[0] | has(\"${col,,}\")"
	done
}

@test "list: -r raw output escapes spaces as \\x20 and draws no tree" {
	run igf qemu-q35 -r
	status_is 0
	has 'group\x203'
	has 'Host\x20bridge'
	lacks '|-'
	lacks '`-'
	# one space between cells; the empty TYPE cell of a device row leaves two
	has_re '^0000:00:02\.0  no e1000e 8086:10d3 Ethernet\\x20controller 82574L\\x20Gigabit'
}

@test "list: -n drops the heading line" {
	run igf qemu-q35 -n
	status_is 0
	lacks NAME
	[[ ${output%%$'\n'*} == "group 0"* ]]
	run igf qemu-q35 --noheadings -r
	status_is 0
	lacks NAME
}

@test "list: -l gives a flat list: device rows follow their group without tree characters" {
	run igf qemu-q35 -l
	status_is 0
	has_re '^0000:01:01\.0 +no +e1000 '
	lacks '|-'
	lacks '`-'
	run igf qemu-q35 --list
	status_is 0
	has_re '^0000:00:1f\.3 '
}

@test "list: --color=always colours, --color=never does not" {
	run igf qemu-q35 --color=always
	status_is 0
	has $'\e['
	run igf qemu-q35 --color=never
	status_is 0
	lacks $'\e'
}

@test "list: --color=auto colours on a terminal, not in a pipe" {
	run igf_tty qemu-q35 --color=auto
	status_is 0
	has $'\e['
	run igf qemu-q35
	status_is 0
	lacks $'\e'
}

@test "list: NO_COLOR turns colour off on a terminal" {
	NO_COLOR=1 run igf_tty qemu-q35
	status_is 0
	has 'group 0'
	lacks $'\e'
}

@test "list: -J never colours, even with --color=always" {
	run igf qemu-q35 -J --color=always
	status_is 0
	lacks $'\e'
	jq_ok '.iommugroups | length == 5'
}

@test "list: --color=bogus is a usage error" {
	run --separate-stderr igf qemu-q35 --color=bogus
	status_is 2
	has bogus "$stderr"
}

@test "list -J: root key iommugroups, typed values, children arrays, nulls for empty cells" {
	run --separate-stderr igf qemu-q35 -J
	status_is 0
	jq_is 'keys' '["iommugroups"]'
	jq_is '[.iommugroups[].group]' '[0,1,2,3,4]'
	jq_ok 'all(.iommugroups[]; (.group|type)=="number" and (.devices|type)=="number" and (.viable|type)=="boolean" and (.children|type)=="array")'
	jq_ok 'all(.iommugroups[].children[]; (.viable|type)=="boolean" and (.group|type)=="number" and .type==null and .devices==null)'
	jq_is '[.iommugroups[] | .devices == (.children|length)] | all' 'true'
	jq_is '[.iommugroups[] | select(.viable == false) | .group]' '[2,3,4]'
	# empty cells are null, not ""
	jq_ok '[.. | strings | select(. == "")] | length == 0'
	jq_is '.iommugroups[0].driver' 'null'
	jq_is '.iommugroups[0].children[0].driver' 'null'
	jq_is '.iommugroups[0].children[0].override' 'null'
	jq_is '.iommugroups[2] | {name, type, viable}' '{"name":"group 2","type":"DMA-FQ","viable":false}'
	jq_is '.iommugroups[2].children[0] | {name,vfio,subsystem,id,classid,driver,path}' \
		'{"name":"0000:00:02.0","vfio":"kernel-driver","subsystem":"pci","id":"8086:10d3","classid":"0x020000","driver":"e1000e","path":"/sys/devices/pci0000:00/0000:00:02.0"}'
	jq_is '[.iommugroups[3].children[].name]' '["0000:00:03.0","0000:01:01.0","0000:01:02.0"]'
}

@test "list -J: with no -o, every documented column is a key of group and device rows" {
	run igf qemu-q35 -J
	status_is 0
	local col
	# REASON reads every function's config space: only when asked (man: COLUMNS)
	for col in $(man_columns | grep -vx REASON); do
		jq_ok "all(.iommugroups[]; has(\"${col,,}\")) and all(.iommugroups[].children[]; has(\"${col,,}\"))"
	done
}

@test "list -J -o: only the chosen columns (plus children)" {
	run igf qemu-q35 -J -o NAME,GROUP
	status_is 0
	jq_is '.iommugroups[0] | keys' '["children","group","name"]'
	jq_is '.iommugroups[0].children[0] | keys' '["group","name"]'
}

@test "list -J -o without NAME: device rows still nest in children (man: JSON OUTPUT)" {
	run igf qemu-q35 -J -o GROUP,TYPE
	status_is 0
	jq_is '.iommugroups | length' '5'
	jq_ok 'all(.iommugroups[]; (.children|type) == "array")'
	jq_is '[.iommugroups[].children | length]' '[1,1,1,3,3]'
}

@test "list -J -l: device rows follow their group row in one flat array" {
	run igf qemu-q35 -J -l
	status_is 0
	jq_is '.iommugroups | length' '14'
	jq_is '[.iommugroups[].name] | .[6:10]' '["group 3","0000:00:03.0","0000:01:01.0","0000:01:02.0"]'
	jq_ok 'all(.iommugroups[]; has("children") | not)'
	jq_is '[.iommugroups[] | select(.name | startswith("group")) | .devices]' '[1,1,1,3,3]'
}

@test "list -J: group numbers above 9 are numbers in numeric order (many-groups)" {
	run igf many-groups -J
	status_is 0
	jq_is '[.iommugroups[].group]' '[0,1,2,3,4,5,6,7,8,9,10,11,12]'
	jq_is '.iommugroups[10].devices' '10'
	jq_is '[.iommugroups[10].children[].name] | [first, last]' '["0000:00:01.2","0000:06:00.0"]'
	jq_is '[.iommugroups[] | select(.type != "identity") | [.group, .type]]' '[[3,"DMA-FQ"],[7,"DMA"]]'
	jq_is '.iommugroups[11] | [.viable, (.children[] | .driver, .override, .vfio)]' \
		'[true,"vfio-pci","vfio-pci","driver-managed-dma","vfio-pci","vfio-pci","driver-managed-dma"]'
}

@test "list: non-PCI members are listed (nonpci: platform devices in groups 1-3)" {
	run igf nonpci
	status_is 0
	has_re '^[|`]-AMDI0020:00 +no +dw-apb-uart'
	has_re '^`-AMDI0010:00 +no +i2c_designware'
	has_re '^`-AMDI0010:01 +yes'
	lacks serial8250
	run igf nonpci -J -o NAME,SUBSYSTEM,DRIVER,OVERRIDE,VIABLE,VFIO
	status_is 0
	jq_is '[.iommugroups[1].children[].name]' '["0000:00:14.0","0000:00:14.3","AMDI0020:00"]'
	jq_is '.iommugroups[2].children' '[{"name":"AMDI0010:00","subsystem":"platform","driver":"i2c_designware","override":null,"viable":false,"vfio":"kernel-driver"}]'
	jq_is '.iommugroups[3].children' '[{"name":"AMDI0010:01","subsystem":"platform","driver":null,"override":"vfio-platform","viable":true,"vfio":"unbound"}]'
	jq_is '[.iommugroups[].viable]' '[true,false,false,true,false]'
}

@test "list: SR-IOV PF and its VFs each in their own group (sriov)" {
	run igf sriov -J -o NAME,GROUP,ID,DRIVER,VIABLE
	status_is 0
	jq_is '[.iommugroups[].children[] | select(.id == "8086:1572") | [.group, .name, .driver]]' \
		'[[2,"0000:01:00.0","i40e"],[3,"0000:01:00.1","i40e"]]'
	jq_is '[.iommugroups[].children[] | select(.id == "8086:154c") | [.group, .name, .driver, .viable]]' \
		'[[4,"0000:01:02.0","iavf",false],[5,"0000:01:02.1",null,true]]'
	run igf sriov -J -o NAME,TYPE
	status_is 0
	jq_is '[.iommugroups[].type] | unique' '["DMA"]'
}

@test "list: old kernel without a type file: type is null, devices still listed (old-kernel-4.19)" {
	run --separate-stderr igf old-kernel-4.19 -J -o NAME,TYPE,DEVICES
	status_is 0
	jq_is '[.iommugroups[] | [.name, .type, .devices]]' '[["group 0",null,1],["group 1",null,1],["group 2",null,3]]'
}

@test "list: no-iommu: nothing listed, message on stderr, exit 0" {
	run --separate-stderr igf no-iommu
	status_is 0
	[[ -z $output ]] || { echo "stdout: $output"; false; }
	has 'no IOMMU groups' "$stderr"
	has 'iommugrp status' "$stderr"
}

@test "list -J: no-iommu and no-iommu-sysfs give an empty iommugroups array, exit 0" {
	local f
	for f in no-iommu no-iommu-sysfs; do
		run --separate-stderr igf "$f" -J
		status_is 0
		jq_is '.' '{"iommugroups":[]}'
		has 'no IOMMU groups' "$stderr"
	done
}

@test "list: no-iommu-sysfs (no iommu_groups directory at all): message, exit 0" {
	run --separate-stderr igf no-iommu-sysfs
	status_is 0
	[[ -z $output ]] || { echo "stdout: $output"; false; }
	has 'no IOMMU groups' "$stderr"
}
