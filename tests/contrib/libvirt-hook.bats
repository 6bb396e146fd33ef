#!/usr/bin/env bats
# contrib/libvirt: the qemu hook called as libvirtd calls it (DOMAIN OPERATION SUB-OPERATION
# EXTRA, the domain XML on stdin), on fixtures: what it would write, what it refuses and why.
# The real handoff is tested in the VM (tests/vm/guest/60-libvirt-hook.sh).

load ../cli/helpers

HOOK=${IOMMUGRP_LIBVIRT_HOOK:-$(dirname "$IOMMUGRP")/libvirt-qemu-hook}
UUID=6f1e0c1a-3b0e-4c1e-9d57-0a4b5c6d7e8f

setup() {
	[[ -x $HOOK ]] || skip "no $HOOK (built only where libxml2 is: make libvirt-hook)"
}

# domain_xml BUS:SLOT:FUNCTION:MANAGED...: a domain with these PCI hostdevs (MANAGED "-": no
# attribute), as libvirt writes it.
domain_xml() {
	local a bus slot fn managed attr
	printf "<domain type='kvm' id='1'>\n  <name>vm1</name>\n  <uuid>%s</uuid>\n  <devices>\n" "$UUID"
	for a in "$@"; do
		IFS=: read -r bus slot fn managed <<<"$a"
		attr=" managed='$managed'"
		[[ $managed == - ]] && attr=
		printf "    <hostdev mode='subsystem' type='pci'%s>\n      <driver name='vfio'/>\n" "$attr"
		printf "      <source>\n        <address domain='0x0000' bus='0x%s' slot='0x%s' function='0x%s'/>\n" \
			"$bus" "$slot" "$fn"
		printf "      </source>\n      <alias name='hostdev0'/>\n    </hostdev>\n"
	done
	printf "  </devices>\n</domain>\n"
}

# hook FIXTURE ARGS... < XML
hook() {
	local fixture=$1
	shift
	$IOMMUGRP_WRAPPER "$HOOK" --sysroot "$IOMMUGRP_FIXTURES/$fixture" "$@"
}

record() { echo "$IOMMUGRP_FIXTURES/$1/run/iommugrp/libvirt/$UUID.groups"; }

@test "libvirt hook: prepare begin plans the whole group of one NIC, prints nothing on stdout" {
	run --separate-stderr hook qemu-q35 --dry-run vm1 prepare begin - < <(domain_xml 01:01:0:no)
	status_is 0
	[[ -z $output ]]
	output=$stderr
	has_line "iommugrp: domain 'vm1': group 3: to hand it to vfio-pci, would write:"
	has_line "  3. write '0000:01:01.0' to /sys/bus/pci/drivers_probe"
	has_line "  6. write '0000:01:02.0' to /sys/bus/pci/drivers_probe"
	[[ $(grep -c "^  [0-9]\. write" <<<"$stderr") -eq 6 ]]
	[[ ! -e $(record qemu-q35) ]]
}

@test "libvirt hook: hostdevs of one group name it once; no managed attribute means managed='no'" {
	run --separate-stderr hook qemu-q35 --dry-run vm1 prepare begin - < <(domain_xml 01:01:0:- 01:02:0:no)
	status_is 0
	[[ $(grep -c "group 3: to hand it" <<<"$stderr") -eq 1 ]]
}

@test "libvirt hook: managed='yes' hostdevs are left to libvirt" {
	run --separate-stderr hook qemu-q35 --dry-run vm1 prepare begin - < <(domain_xml 02:00:0:yes 00:02:0:yes)
	status_is 0
	[[ -z $output && -z $stderr ]]
}

@test "libvirt hook: a group in use by a VMM is refused with iommugrp's reason, status 4" {
	run --separate-stderr hook host-in-use vm1 prepare begin - < <(domain_xml 04:00:1:no)
	status_is 4
	[[ -z $output ]]
	output=$stderr
	has "group 9 (hostdev 0000:04:00.1): refused, nothing was changed: group 9 is in use: process 3141 (qemu-system-x86) holds /dev/vfio/9 open"
	[[ ! -e $(record host-in-use) ]]
}

@test "libvirt hook: one refused group refuses the domain before any group is touched" {
	# Group 3 (the NVMe holding a mounted filesystem) and group 9 (in use): both are named.
	run --separate-stderr hook host-in-use --dry-run vm1 prepare begin - < <(domain_xml 01:00:0:no 04:00:0:no)
	status_is 4
	output=$stderr
	has "group 3 (hostdev 0000:01:00.0): refused, nothing was changed: 0000:01:00.0 is needed by the host"
	has "group 9 (hostdev 0000:04:00.0): refused"
	lacks "would write"
}

@test "libvirt hook: a hostdev that does not exist is status 3" {
	run --separate-stderr hook qemu-q35 vm1 prepare begin - < <(domain_xml 05:00:0:no)
	status_is 3
	output=$stderr
	has "hostdev 0000:05:00.0: no such PCI device"
}

@test "libvirt hook: XML that does not parse is status 1, with libxml2's reason" {
	run --separate-stderr hook qemu-q35 vm1 prepare begin - <<<"<domain><name>vm1</name>"
	status_is 1
	output=$stderr
	has "cannot parse the domain XML on stdin: "
	[[ $(wc -l <<<"$stderr") -eq 1 ]]
}

@test "libvirt hook: a domain without <uuid> is status 1" {
	run --separate-stderr hook qemu-q35 vm1 prepare begin - <<<"<domain><name>vm1</name></domain>"
	status_is 1
	output=$stderr
	has "the domain XML has no valid <uuid>"
}

@test "libvirt hook: a hostdev address out of range is status 1" {
	run --separate-stderr hook qemu-q35 vm1 prepare begin - < <(domain_xml 01:20:0:no)
	status_is 1
	output=$stderr
	has "a PCI <hostdev> has no valid <source><address>"
}

@test "libvirt hook: every other operation does nothing, whatever is on stdin" {
	local op
	for op in "start begin -" "started begin -" "stopped end -" "migrate begin -" \
		"restore begin -" "reconnect begin -" "attach begin -"; do
		# shellcheck disable=SC2086
		run --separate-stderr hook qemu-q35 vm1 $op <<<"not xml at all"
		status_is 0
		[[ -z $output && -z $stderr ]] || { echo "$op printed something"; false; }
	done
}

@test "libvirt hook: release end without a record gives nothing back" {
	run --separate-stderr hook qemu-q35 vm1 release end shutdown < <(domain_xml 01:01:0:no)
	status_is 0
	[[ -z $output && -z $stderr ]]
}

@test "libvirt hook: release end refused while a VMM still holds the group, the record kept" {
	# As the hook makes them: 0700 (iommugrp refuses a state dir others can read).
	(umask 077 && mkdir -p "$(dirname "$(record patched-6.1)")")
	echo 3 >"$(record patched-6.1)"
	run --separate-stderr hook patched-6.1 vm1 release end - < <(domain_xml 01:01:0:no)
	local kept
	kept=$(cat "$(record patched-6.1)")
	rm -rf "$IOMMUGRP_FIXTURES/patched-6.1/run/iommugrp/libvirt"
	status_is 4
	output=$stderr
	has "group 3: not given back: group 3 is in use: process 812 (vfio-holder) holds /dev/vfio/3 open"
	[[ $kept == 3 ]]
}

@test "libvirt hook: wrong argument count is a usage error" {
	run --separate-stderr "$HOOK" vm1 prepare begin </dev/null
	status_is 2
	output=$stderr
	has "Usage: libvirt-qemu-hook"
}

# hook_copy FIXTURE: a private copy as $FXC; hookc ARGS runs the hook on it with the test preload.
hook_copy() {
	FXC=$BATS_TEST_TMPDIR/$1
	rm -rf "$FXC"
	cp -a "$IOMMUGRP_FIXTURES/$1" "$FXC"
}
hookc() { LD_PRELOAD=$(dirname "$IOMMUGRP")/tests/preload/sysfs-fake.so "$HOOK" --sysroot "$FXC" "$@"; }

@test "libvirt hook: a domain without unmanaged hostdevs leaves no record (nothing in /run)" {
	hook_copy qemu-q35
	run --separate-stderr hookc vm1 prepare begin - < <(domain_xml)
	status_is 0
	[[ ! -e $FXC/run/iommugrp/libvirt ]] || { ls -la "$FXC/run/iommugrp/libvirt"; false; }
}

@test "libvirt hook: prepare and release are logged (syslog; with --sysroot on stderr too)" {
	hook_copy host-in-use
	run --separate-stderr hookc vm1 prepare begin - < <(domain_xml 03:00:0:no)
	status_is 0
	has "iommugrp: domain 'vm1': group 7 handed to vfio-pci" "$stderr"
	[[ $(<"$FXC/run/iommugrp/libvirt/$UUID.groups") == 7 ]]
	run --separate-stderr hookc vm1 release end - < <(domain_xml 03:00:0:no)
	status_is 0
	has "iommugrp: domain 'vm1': group 7 given back to its drivers" "$stderr"
	[[ ! -e $FXC/run/iommugrp/libvirt/$UUID.groups ]]
}

@test "libvirt hook: a symlinked /run/iommugrp/libvirt is refused, nothing written through it" {
	hook_copy host-in-use
	local victim=$BATS_TEST_TMPDIR/victim
	mkdir -p "$victim"
	(umask 077 && mkdir -p "$FXC/run/iommugrp")
	ln -s "$victim" "$FXC/run/iommugrp/libvirt"
	run --separate-stderr hookc vm1 prepare begin - < <(domain_xml 03:00:0:no)
	status_is 1
	has "symbolic link" "$stderr"
	[[ -z $(ls -A "$victim") ]]
	echo 7 >"$victim/$UUID.groups"
	run --separate-stderr hookc vm1 release end - < <(domain_xml 03:00:0:no)
	status_is 1
	[[ $(<"$victim/$UUID.groups") == 7 ]]
}

@test "libvirt hook: a DTD with a quadratic-blowup entity is refused at once, in little memory" {
	local xml=$BATS_TEST_TMPDIR/bomb.xml big refs
	big=$(head -c 100000 /dev/zero | tr '\0' a)
	refs=$(printf '&e;%.0s' {1..100000})
	printf '<?xml version="1.0"?>\n<!DOCTYPE domain [<!ENTITY e "%s">]>\n<domain><name>vm1</name><uuid>%s</uuid><description>%s</description></domain>\n' \
		"$big" "$UUID" "$refs" >"$xml"
	run --separate-stderr bash -c 'ulimit -v 262144; exec timeout 20 "$@"' - \
		"$HOOK" --sysroot "$IOMMUGRP_FIXTURES/qemu-q35" vm1 prepare begin - <"$xml"
	status_is 1
	has "document type or entity declaration: refused" "$stderr"
}
