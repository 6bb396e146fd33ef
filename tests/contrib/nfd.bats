#!/usr/bin/env bats
# contrib/nfd/iommugrp-nfd: node-feature-discovery feature files, checked against NFD's
# documented "local" source input format and Kubernetes' label syntax.

load ../cli/helpers

NFD=$TOP/contrib/nfd/iommugrp-nfd

nfd() {
	"$NFD" "$@"
}

# A label line as NFD's local source reads it: <namespace>/<name>=<value>, where namespace is
# a DNS subdomain and name and value are Kubernetes label names/values (63 characters at most,
# alphanumeric at both ends, - _ . inside).
LABEL_RE='^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?=[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'

@test "nfd: many-groups gives exactly expected/nfd-many-groups" {
	run --separate-stderr nfd --sysroot "$IOMMUGRP_FIXTURES/many-groups"
	status_is 0
	[[ -z $stderr ]]
	matches_expected nfd-many-groups
}

@test "nfd: qemu-q35 gives exactly expected/nfd-qemu-q35" {
	run --separate-stderr nfd --sysroot "$IOMMUGRP_FIXTURES/qemu-q35"
	status_is 0
	matches_expected nfd-qemu-q35
}

@test "nfd: no IOMMU: iommu.active=false and zero counts" {
	run --separate-stderr nfd --sysroot "$IOMMUGRP_FIXTURES/no-iommu"
	status_is 0
	matches_expected nfd-no-iommu
}

@test "nfd: every line of every fixture is a valid NFD label line" {
	local f
	for f in "$IOMMUGRP_FIXTURES"/*/; do
		[[ $f == */malformed/ ]] && continue
		run nfd --sysroot "$f"
		status_is 0
		while IFS= read -r line; do
			[[ $line =~ $LABEL_RE ]] || { echo "$f: not a label line: '$line'"; false; }
		done <<<"$output"
	done
}

@test "nfd: per-class counts agree with iommugrp --json on many-groups" {
	local expected
	expected=$(ig --sysroot "$IOMMUGRP_FIXTURES/many-groups" --json | jq '[.iommugroups[] |
		select(.viable) | select(any(.children[]; (.classid // "") | startswith("0x03")))] | length')
	run nfd --sysroot "$IOMMUGRP_FIXTURES/many-groups"
	has_line "feature.node.kubernetes.io/iommu.viable-groups.display=$expected"
	expected=$(ig --sysroot "$IOMMUGRP_FIXTURES/many-groups" --json | jq '[.iommugroups[] | select(.viable)] | length')
	has_line "feature.node.kubernetes.io/iommu.viable-groups=$expected"
}

@test "nfd: --namespace puts the labels under another prefix" {
	run nfd --sysroot "$IOMMUGRP_FIXTURES/qemu-q35" --namespace iommugrp.example.com
	status_is 0
	has_line "iommugrp.example.com/iommu.active=true"
	lacks feature.node.kubernetes.io
}

@test "nfd: a namespace that is no DNS subdomain is a usage error" {
	local ns long
	long=$(printf 'a%.0s' {1..64})
	for ns in Bad/x a..b .a a. -a.b a.b- a.-b.c "" "$long.example.com"; do
		run nfd --namespace "$ns"
		echo "namespace '$ns'" >&2
		status_is 2
		has "not a DNS subdomain"
	done
	run nfd --sysroot "$IOMMUGRP_FIXTURES/qemu-q35" --namespace "a-1.b2.${long%a}"
	status_is 0
}

@test "nfd: --output writes the file through a dot file and a rename (NFD ignores dot files)" {
	local dir=$BATS_TEST_TMPDIR/features.d
	mkdir -p "$dir"
	echo old >"$dir/iommugrp"
	exec 7<"$dir/iommugrp" # the old file stays whole for a reader that has it open
	run nfd --sysroot "$IOMMUGRP_FIXTURES/qemu-q35" --output "$dir/iommugrp"
	status_is 0
	[[ -z $output ]]
	[[ $(cat <&7) == old ]]
	exec 7<&-
	run cat "$dir/iommugrp"
	has_line "# Written by iommugrp-nfd: IOMMU groups for node-feature-discovery's local source."
	[[ $(grep -v '^#' "$dir/iommugrp") == "$(nfd --sysroot "$IOMMUGRP_FIXTURES/qemu-q35")" ]]
	[[ -z $(find "$dir" -name '.*') ]]
}

@test "nfd: when iommugrp fails, the file is rewritten without labels (no stale ones), status 1" {
	local dir=$BATS_TEST_TMPDIR/features.d
	mkdir -p "$dir"
	echo 'feature.node.kubernetes.io/iommu.active=true' >"$dir/iommugrp"
	run nfd --sysroot "$BATS_TEST_TMPDIR/no-such-root" --output "$dir/iommugrp"
	status_is 1
	has "iommugrp status failed"
	run cat "$dir/iommugrp"
	has_line "# No labels: iommugrp status failed."
	! grep -qv '^#' "$dir/iommugrp" || { cat "$dir/iommugrp"; false; }
	[[ -z $(find "$dir" -name '.*') ]]
}

@test "nfd: without --output a failure prints no labels, status 1" {
	run --separate-stderr nfd --sysroot "$BATS_TEST_TMPDIR/no-such-root"
	status_is 1
	[[ -z $output ]]
}

@test "nfd: --output never writes through a planted .NAME.tmp symlink" {
	local dir=$BATS_TEST_TMPDIR/features.d victim=$BATS_TEST_TMPDIR/victim
	mkdir -p "$dir"
	echo precious >"$victim"
	ln -s "$victim" "$dir/.iommugrp.tmp"
	run nfd --sysroot "$IOMMUGRP_FIXTURES/qemu-q35" --output "$dir/iommugrp"
	status_is 0
	[[ $(<"$victim") == precious ]]
	grep -qx 'feature.node.kubernetes.io/iommu.active=true' "$dir/iommugrp"
	[[ ! -L $dir/iommugrp ]]
	[[ $(stat -c %a "$dir/iommugrp") == 644 ]]
}
