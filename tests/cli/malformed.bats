#!/usr/bin/env bats
# The malformed fixture: one defect per group (see tests/fixtures/malformed.sh). Each defect is
# named on stderr with its file, the exit status is 1, and what could be read is still printed.

load helpers

G=/sys/kernel/iommu_groups

@test "malformed list: exit 1, every group still listed, in numeric order" {
	run --separate-stderr igf malformed -l -n -r -o GROUP,NAME
	status_is 1
	has_line '0 0000:00:00.0'
	has_line '6 0000:00:06.0'
	has_line '7 0000:00:07.0'
	has_line '8 group\x208'
	has_line '10 0000:00:0a.0'
	local order
	order=$(grep -F 'group\x20' <<<"$output" | awk '{print $1}' | tr '\n' ' ')
	[[ $order == "0 1 2 3 4 5 6 7 8 9 10 " ]] || { echo "groups: $order"; false; }
	lacks not-a-number
	lacks 0000:00:07.1
}

@test "malformed list: each defect the list reads is named on stderr with its file" {
	run --separate-stderr igf malformed
	status_is 1
	has "$G/0/type" "$stderr"
	has empty "$stderr"
	has "$G/1/type" "$stderr"
	has DMA-SUPERFAST "$stderr"
	has /sys/devices/pci0000:00/0000:00:06.0/vendor "$stderr"
	has "$G/7/devices/0000:00:07.1" "$stderr"
	# a directory that is not a group is named and skipped
	has "$G/not-a-number" "$stderr"
	# the tolerable group 9 (no trailing newlines) is not reported
	lacks "$G/9/" "$stderr"
	# stderr lines are messages from iommugrp, nothing else (no sanitizer or valgrind report)
	local line
	while IFS= read -r line; do
		[[ $line == "iommugrp: "* ]] || { echo "unexpected stderr line: $line"; false; }
	done <<<"$stderr"
}

@test "malformed list -J: valid JSON, exit 1, bad types are null, all 11 groups" {
	run --separate-stderr igf malformed -J
	status_is 1
	jq_is '[.iommugroups[].group]' '[0,1,2,3,4,5,6,7,8,9,10]'
	jq_is '[.iommugroups[] | .type]' '[null,null,"DMA-FQ","DMA-FQ","DMA-FQ","DMA-FQ","DMA-FQ","DMA-FQ","DMA-FQ","DMA-FQ","DMA-FQ"]'
	jq_is '.iommugroups[8].devices' '0'
	jq_is '.iommugroups[6].children[0] | [.name, .id]' '["0000:00:06.0",null]'
	jq_is '[.iommugroups[7].children[].name]' '["0000:00:07.0"]'
	has "$G/0/type" "$stderr"
}

@test "malformed list -J: a group without devices has devices 0 and no children key" {
	# man page, JSON OUTPUT: children is "absent for a group without devices", as in lsblk
	run --separate-stderr igf malformed -J
	status_is 1
	jq_is '.iommugroups[8] | [.group, .devices, has("children")]' '[8,0,false]'
}

@test "malformed show 0: empty type: exit 1, named, the group still shown" {
	run --separate-stderr igf malformed show 0
	status_is 1
	has "$G/0/type" "$stderr"
	has_line 'group 0'
	has_re '^0000:00:00\.0 +8086:10d3'
	has_line '  0x00000000fee00000-0x00000000feefffff msi'
	run --separate-stderr igf malformed show 0 -J
	status_is 1
	jq_is '.iommugroup | [.group, .type, (.devices | length)]' '[0,null,1]'
}

@test "malformed show 1: unknown type word: exit 1, the word and the file named" {
	run --separate-stderr igf malformed show 1
	status_is 1
	has "$G/1/type" "$stderr"
	has DMA-SUPERFAST "$stderr"
	has_line 'group 1'
	has_re '^0000:00:01\.0 '
}

@test "malformed show 2..5, 10: garbage in reserved_regions: exit 1, the file named, group shown" {
	local g
	for g in 2 3 4 5 10; do
		run --separate-stderr igf malformed show "$g"
		status_is 1
		has "$G/$g/reserved_regions" "$stderr"
		has_line "group $g"
		has_line '  type:    DMA-FQ'
		run --separate-stderr igf malformed show "$g" -J
		status_is 1
		jq_is '.iommugroup | [.group, .type, (.devices | length)]' "[$g,\"DMA-FQ\",1]"
	done
	run --separate-stderr igf malformed show 2
	has 0xzzzz0000 "$stderr"
	run --separate-stderr igf malformed show 5
	has bogus "$stderr"
}

@test "malformed show 2: the valid msi line after the garbage line is still printed" {
	# man page, EXIT STATUS 1: "What could be read is still printed"
	run --separate-stderr igf malformed show 2
	status_is 1
	has_line '  0x00000000fee00000-0x00000000feefffff msi'
	run --separate-stderr igf malformed show 2 -J
	jq_is '.iommugroup.reserved_regions' '[{"start":"0x00000000fee00000","end":"0x00000000feefffff","type":"msi"}]'
}

@test "malformed show 6: garbage vendor: exit 1, the file named, device still shown" {
	run --separate-stderr igf malformed show 6
	status_is 1
	has /sys/devices/pci0000:00/0000:00:06.0/vendor "$stderr"
	has garbage "$stderr"
	has_re '^0000:00:06\.0 '
	run --separate-stderr igf malformed show 00:06.0 -J
	status_is 1
	jq_is '.iommugroup.devices[0] | [.name, .id, .subsystem]' '["0000:00:06.0",null,"pci"]'
}

@test "malformed show 6: the empty device file is named too" {
	run --separate-stderr igf malformed show 6
	status_is 1
	has /sys/devices/pci0000:00/0000:00:06.0/device "$stderr"
}

@test "malformed show 7: dangling device link: exit 1, link named, the real member shown" {
	run --separate-stderr igf malformed show 7
	status_is 1
	has "$G/7/devices/0000:00:07.1" "$stderr"
	has_line '  devices: 1'
	has_re '^0000:00:07\.0 '
	run --separate-stderr igf malformed show 00:07.1
	status_is 3
	has 00:07.1 "$stderr"
}

@test "malformed show 8: a group with an empty devices directory does not crash" {
	run --separate-stderr igf malformed show 8
	[[ $status -eq 0 || $status -eq 1 ]] || { echo "status $status"; false; }
	has_line 'group 8'
	has_line '  devices: 0'
	run --separate-stderr igf malformed show 8 -J
	jq_is '.iommugroup | [.group, .devices]' '[8,[]]'
}

@test "malformed show 9: type and regions without trailing newline are tolerated (exit 0)" {
	run --separate-stderr igf malformed show 9
	status_is 0
	has_line '  type:    DMA-FQ'
	has_line '  0x00000000fee00000-0x00000000feefffff msi'
	lacks "$G/9/" "$stderr"
	lacks 'error:' "$stderr"
}

@test "malformed show 00:0b.0: iommu_group link to a missing group: exit 1, the link named" {
	# man page, EXIT STATUS 1: "a dangling link"; the device exists, its group does not
	run --separate-stderr igf malformed show 00:0b.0
	status_is 1
	has /sys/devices/pci0000:00/0000:00:0b.0/iommu_group "$stderr"
}

@test "malformed status: still works (11 groups, vfio-pci missing from the index)" {
	run --separate-stderr igf malformed status -J
	status_is 0
	jq_is '[.groups, .vfio_pci]' '[11,"missing"]'
}

# --- FIFOs planted in a tree: refused at once, never waited on ------------------------------

# fifo_copy FIXTURE: a private copy of FIXTURE as $FXC.
fifo_copy() {
	FXC=$BATS_TEST_TMPDIR/$1
	rm -rf "$FXC"
	cp -a "$IOMMUGRP_FIXTURES/$1" "$FXC"
}
# plant_fifo FILE: FILE (below $FXC) becomes a FIFO nobody writes to.
plant_fifo() {
	rm -f "$FXC/$1"
	mkfifo "$FXC/$1"
}

@test "a FIFO as a device's config space: list, why and show do not hang" {
	fifo_copy qemu-q35
	plant_fifo sys/devices/pci0000:00/0000:00:02.0/config
	local args
	for args in list "list -J" "why 2" "why --json 2" "show 2"; do
		# shellcheck disable=SC2086 # args are words
		run --separate-stderr timeout 20 "$IOMMUGRP" --sysroot "$FXC" $args
		[[ $status -ne 124 ]] || { echo "$args hung on a FIFO config" >&2; return 1; }
	done
	run --separate-stderr timeout 20 "$IOMMUGRP" --sysroot "$FXC" why 2
	has 'could not be read'
}

@test "a FIFO as an attribute (vendor, driver_override): an error naming it, no hang" {
	fifo_copy qemu-q35
	plant_fifo sys/devices/pci0000:00/0000:00:02.0/vendor
	plant_fifo sys/devices/pci0000:00/0000:00:02.0/driver_override
	run --separate-stderr timeout 20 "$IOMMUGRP" --sysroot "$FXC" show 2
	[[ $status -ne 124 ]] || { echo "show hung on a FIFO attribute" >&2; return 1; }
	status_is 1
	has 0000:00:02.0/vendor "$stderr"
}

@test "a FIFO as a driver's unbind: vfio-bind fails the step and rolls back, no hang" {
	fifo_copy host-in-use
	plant_fifo sys/bus/pci/drivers/igc/unbind
	run --separate-stderr timeout 20 env LD_PRELOAD="$IOMMUGRP_PRELOAD" "$IOMMUGRP" \
		--sysroot "$FXC" vfio-bind 03:00.0
	[[ $status -ne 124 ]] || { echo "vfio-bind hung on a FIFO unbind" >&2; return 1; }
	status_is 5
	has 'igc/unbind' "$stderr"
	has 'rolled back' "$stderr"
}
