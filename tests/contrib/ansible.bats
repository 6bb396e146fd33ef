#!/usr/bin/env bats
# contrib/ansible: the local fact's JSON, and Ansible itself reading it and running the
# documented playbook (contrib/ansible/gpu-passthrough.yml) on fixtures.

load ../cli/helpers

FACT=$TOP/contrib/ansible/iommugrp.fact

fact() {
	IOMMUGRP_SYSROOT=$IOMMUGRP_FIXTURES/$1 "$FACT"
}

# A facts.d directory whose iommugrp.fact reads fixture $1, as Ansible would run it.
fact_dir() {
	local dir=$BATS_TEST_TMPDIR/facts.d
	mkdir -p "$dir"
	printf '#!/bin/sh\nIOMMUGRP_SYSROOT=%q exec %q\n' "$IOMMUGRP_FIXTURES/$1" "$FACT" >"$dir/iommugrp.fact"
	chmod 755 "$dir/iommugrp.fact"
	echo "$dir"
}

# Quiet, local, and gathering only the local facts (the play's gather_facts then takes ~1 s).
ansible_env() {
	env LC_ALL=C.UTF-8 ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 \
		ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_RETRY_FILES_ENABLED=0 \
		ANSIBLE_GATHER_SUBSET='!all,!min,local' \
		ANSIBLE_LOCAL_TEMP=$BATS_TEST_TMPDIR/ansible ANSIBLE_HOME=$BATS_TEST_TMPDIR/ansible "$@"
}

need_ansible() {
	command -v ansible-playbook >/dev/null || skip "ansible-core is not installed (tests/contrib/run installs it on Debian)"
}

@test "ansible fact: one JSON object with exactly list, status and errors" {
	run --separate-stderr fact qemu-q35
	status_is 0
	[[ $(jq -s length <<<"$output") -eq 1 ]] # one JSON value, nothing else
	jq_is 'keys' '["errors","list","status"]'
	jq_is '.errors' '[]'
}

@test "ansible fact: list and status are iommugrp's own --json output" {
	run fact many-groups
	[[ $(jq -S .list <<<"$output") == "$(ig --sysroot "$IOMMUGRP_FIXTURES/many-groups" --json list | jq -S .)" ]]
	[[ $(jq -S .status <<<"$output") == "$(ig --sysroot "$IOMMUGRP_FIXTURES/many-groups" --json status | jq -S .)" ]]
}

@test "ansible fact: no IOMMU: inactive, no groups, no errors" {
	run fact no-iommu
	status_is 0
	jq_is '[.status.iommu_active, (.list.iommugroups | length), .errors]' '[false,0,[]]'
}

@test "ansible fact: malformed sysfs: the facts and iommugrp's errors, still valid JSON" {
	run fact malformed
	status_is 0
	jq_ok '(.list.iommugroups | length) > 0'
	jq_ok '.errors | length == 1 and (.[0] | startswith("list: ") and contains("/sys/kernel/iommu_groups/0/type: empty file"))'
}

@test "ansible fact: an unreadable root gives null parts and the reasons" {
	IOMMUGRP_SYSROOT=$BATS_TEST_TMPDIR/none run "$FACT"
	status_is 0
	jq_is '[.list, .status, (.errors | length)]' '[null,null,2]'
	jq_ok '.errors[0] | contains("cannot open sysroot")'
}

@test "ansible fact: without iommugrp it still prints valid JSON" {
	IOMMUGRP=/nonexistent/iommugrp run "$FACT"
	status_is 0
	jq_is '.' '{"list":null,"status":null,"errors":["iommugrp is not installed"]}'
}

@test "ansible fact: a quote, backslash and tab in an error are escaped" {
	local fake=$BATS_TEST_TMPDIR/fake-iommugrp
	printf '#!/bin/sh\nprintf "bad \\"x\\" \\\\\\\\ \\t y\\nline 2\\n" >&2\nexit 1\n' >"$fake"
	chmod 755 "$fake"
	IOMMUGRP=$fake run "$FACT"
	status_is 0
	jq_is '.errors[0]' '"list: bad \"x\" \\ \t y\nline 2"'
}

@test "ansible fact: control bytes in an error (ESC, BEL, backspace, CR) are escaped: valid JSON" {
	local fake=$BATS_TEST_TMPDIR/fake-iommugrp
	printf '#!/bin/sh\nprintf "a\\033[31mb\\007c\\bd\\re\\001" >&2\nexit 1\n' >"$fake"
	chmod 755 "$fake"
	IOMMUGRP=$fake run "$FACT"
	status_is 0
	jq_is '.errors[0]' '"list: a\u001b[31mb\u0007c\bd\re\u0001"'
	jq_is '.errors[1]' '"status: a\u001b[31mb\u0007c\bd\re\u0001"'
}

@test "ansible: the setup module puts the fact under ansible_local.iommugrp" {
	need_ansible
	local dir
	dir=$(fact_dir many-groups)
	run ansible_env ansible localhost -i localhost, -c local \
		-m ansible.builtin.setup -a "fact_path=$dir filter=ansible_local"
	status_is 0
	output=${output#*=> }
	jq_is '.ansible_facts.ansible_local.iommugrp.status.iommu_active' 'true'
	jq_is '.ansible_facts.ansible_local.iommugrp.list.iommugroups | length' '13'
}

@test "ansible: the playbook puts a host with a viable GPU group into gpu_passthrough" {
	need_ansible
	local dir
	dir=$(fact_dir many-groups)
	run ansible_env ANSIBLE_FACT_PATH="$dir" ansible-playbook -i localhost, -c local \
		"$TOP/contrib/ansible/gpu-passthrough.yml"
	status_is 0
	has '"msg": "viable GPU groups: 11"'
}

@test "ansible: the playbook leaves out a host without IOMMU groups, and one without the fact" {
	need_ansible
	local dir
	dir=$(fact_dir no-iommu)
	run ansible_env ANSIBLE_FACT_PATH="$dir" ansible-playbook -i localhost, -c local \
		"$TOP/contrib/ansible/gpu-passthrough.yml"
	status_is 0
	has "skipping: no hosts matched"
	lacks "viable GPU groups"
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	run ansible_env ANSIBLE_FACT_PATH="$BATS_TEST_TMPDIR/empty" ansible-playbook -i localhost, \
		-c local "$TOP/contrib/ansible/gpu-passthrough.yml"
	status_is 0
	has "skipping: no hosts matched"
}
