#!/usr/bin/env bats
# A big synthetic host from tests/fixtures/gen-large: correctness of counts, no timing.

load helpers

NGROUPS=400
PER=10

setup_file() {
	[[ -x $TOP/tests/fixtures/gen-large ]] || skip "tests/fixtures/gen-large is missing"
	export LARGE=$BATS_FILE_TMPDIR/large
	"$TOP/tests/fixtures/gen-large" "$LARGE" --groups $NGROUPS --devices-per-group $PER >/dev/null
}

@test "large: list -J has every group and device the generator made" {
	run --separate-stderr ig --sysroot "$LARGE" -J
	status_is 0
	jq_is '.iommugroups | length' "$NGROUPS"
	jq_is '[.iommugroups[].children | length] | add' "$((NGROUPS * PER))"
	jq_is '[.iommugroups[].devices] | add' "$((NGROUPS * PER))"
	jq_is '[.iommugroups[].group] == [range(0; '"$NGROUPS"')]' 'true'
	# vfio (g%10 == 0) and unbound virtio (g%10 == 8) groups are viable: a fifth of them
	jq_is '[.iommugroups[] | select(.viable) | .group % 10] | unique' '[0,8]'
	jq_is '[.iommugroups[] | select(.viable)] | length' "$((NGROUPS / 5))"
	jq_is '[.iommugroups[].type] | group_by(.) | map([.[0], length])' \
		"[[\"DMA\",$((NGROUPS / 3))],[\"DMA-FQ\",$(((NGROUPS + 2) / 3))],[\"identity\",$(((NGROUPS + 1) / 3))]]"
	jq_is '[.iommugroups[].children[] | select(.vfio == "bridge")] | length' "$NGROUPS"
	# domain 0001 starts at group 200
	jq_is '.iommugroups[200].children[0].name' '"0001:00:01.0"'
}

@test "large: status counts the groups; show finds a device in domain 0001 and the RMRR" {
	run --separate-stderr ig --sysroot "$LARGE" status -J
	status_is 0
	jq_is '[.iommu_active, .groups]' "[true,$NGROUPS]"
	run --separate-stderr ig --sysroot "$LARGE" show 0001:01:00.1 -J
	status_is 0
	jq_is '.iommugroup | [.group, (.devices | length), .target]' "[200,$PER,\"0001:01:00.1\"]"
	jq_is '[.iommugroup.reserved_regions[].type]' '["direct","msi"]'
	jq_is '[.iommugroup.devices[] | .driver] | unique' '[null,"vfio-pci"]'
}
