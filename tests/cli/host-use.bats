#!/usr/bin/env bats
# What the host needs, on fixture trees shaped like real hosts (issue 21): Proxmox VE (vmbr0
# over bond0 over two NICs, a ZFS mirror root), an Ubuntu server (LUKS + LVM root, a netplan
# bond with VLANs), a RHEL-like KVM host (md RAID1 + LVM root, a libvirt bridge), a diskless
# NFS-root node, an iSCSI root with a two-controller btrfs, a multi-device btrfs root.
#
# Every device the host needs is refused on every changing path (vfio-bind, set-policy
# --unbind, apply, the boot pass, check-config's prediction, the libvirt hook) with exit 4,
# nothing changed, and the chain that makes it needed named in order; --force still plans it.
# Every idle device (a bridge port without address, a blank NVMe, a NIC that is down) can be
# handed over. show and show -J carry the chain (host_use). A source that cannot be read makes
# the devices it would have cleared count as needed, saying what could not be read.
#
# The chains are matched by regex on the names, not the whole sentence: the wording is
# lib/hostuse*.c's. The fixtures' layouts and the kernel sources they follow are in
# tests/fixtures/README.md.

load helpers
bats_require_minimum_version 1.5.0

load changes

HOOK=${IOMMUGRP_LIBVIRT_HOOK:-$(dirname "$IOMMUGRP")/libvirt-qemu-hook}

# conf TEXT: the copy's /etc/iommugrp.conf, root's, mode 0644.
conf() {
	mkdir -p "$FXC/etc"
	printf '%s\n' "$1" >"$FXC/etc/iommugrp.conf"
	chmod 0644 "$FXC/etc/iommugrp.conf"
}

# fresh FIXTURE: a new private copy as $FXC, with an empty /dev/kmsg for the boot pass.
fresh() {
	fx_copy "$1"
	mkdir -p "$FXC/dev"
	: >"$FXC/dev/kmsg"
}

# group_of ADDR / devpath_of ADDR: in the copy $FXC.
group_of() { basename "$(readlink "$FXC/sys/bus/pci/devices/$1/iommu_group")"; }
devpath_of() { echo "/$(cd "$FXC/sys" && realpath --relative-to=. "bus/pci/devices/$1")"; }

# chain_in TEXT ADDR CHAIN: TEXT has a line saying ADDR is needed by the host, matching the
# extended regex CHAIN after that.
chain_in() {
	grep -qE -- "$2 is needed by the host.*$3" <<<"$1" && return 0
	echo "expected a line: '$2 is needed by the host' then /$3/" >&2
	_dump
	return 1
}

# unchanged BEFORE: the copy's sys/ is as it was, and no journal is left.
unchanged() {
	[[ $(sys_sum "$FXC") == "$1" ]] || { echo "sys/ changed" >&2; _dump; return 1; }
	no_journal
}

# domain_xml ADDR: a libvirt domain with the PCI hostdev ADDR (0000:BB:SS.F), managed='no'.
domain_xml() {
	local a=${1#0000:}
	printf "<domain type='kvm' id='1'>\n  <name>vm1</name>\n"
	printf "  <uuid>6f1e0c1a-3b0e-4c1e-9d57-0a4b5c6d7e8f</uuid>\n  <devices>\n"
	printf "    <hostdev mode='subsystem' type='pci' managed='no'>\n      <driver name='vfio'/>\n"
	printf "      <source>\n        <address domain='0x0000' bus='0x%s' slot='0x%s' function='0x%s'/>\n" \
		"${a:0:2}" "${a:3:2}" "${a:6:1}"
	printf "      </source>\n    </hostdev>\n  </devices>\n</domain>\n"
}

# refused_everywhere FIXTURE ADDR CHAIN: the device ADDR of FIXTURE is needed by the host,
# for the reason CHAIN (an extended regex over the names of the chain, in order). Each
# changing path refuses it with exit 4 and the chain, and changes nothing; --force plans it.
refused_everywhere() {
	local fixture=$1 addr=$2 chain=$3 before group path
	fresh "$fixture"
	group=$(group_of "$addr")
	path=$(devpath_of "$addr")
	before=$(sys_sum "$FXC")

	echo "# $fixture $addr: vfio-bind" >&2
	run --separate-stderr igp vfio-bind "$addr" </dev/null
	exit_is 4 || return 1
	chain_in "$stderr" "$addr" "$chain" || return 1
	unchanged "$before" || return 1

	echo "# $fixture $addr: set-policy --unbind" >&2
	run --separate-stderr igp set-policy --unbind "$addr" identity </dev/null
	exit_is 4 || return 1
	chain_in "$stderr" "$addr" "$chain" || return 1
	unchanged "$before" || return 1

	echo "# $fixture $addr: apply (vfio=yes), apply --unbind (policy=identity)" >&2
	conf "address=$addr vfio=yes"
	run --separate-stderr igp apply </dev/null
	exit_is 4 || return 1
	chain_in "$stderr" "$addr" "$chain" || return 1
	unchanged "$before" || return 1
	conf "address=$addr policy=identity"
	run --separate-stderr igp apply --unbind </dev/null
	exit_is 4 || return 1
	chain_in "$stderr" "$addr" "$chain" || return 1
	unchanged "$before" || return 1

	echo "# $fixture $addr: check-config predicts the refusal" >&2
	conf "address=$addr vfio=yes"
	run --separate-stderr igc check-config
	exit_is 4 || return 1
	out_has "group $group: vfio" || return 1
	chain_in "$output" "$addr" "$chain" || return 1

	echo "# $fixture $addr: the boot pass (apply --udev $path)" >&2
	run --separate-stderr igp apply --udev "$path" </dev/null
	exit_is 0 || return 1
	chain_in "$(cat "$FXC/dev/kmsg")" "$addr" "$chain" || return 1
	grep -qx 'outcome=refused' "$FXC/run/iommugrp/boot/group-$group" ||
		{ echo "boot/group-$group: not refused" >&2; cat "$FXC/run/iommugrp/boot/group-$group" >&2; return 1; }
	unchanged "$before" || return 1
	rm -f "$FXC/etc/iommugrp.conf"

	# make all builds the hook where libxml2 is (as tests/contrib/libvirt-hook.bats needs it)
	if [[ -x $HOOK ]]; then
		echo "# $fixture $addr: the libvirt hook" >&2
		run --separate-stderr "$HOOK" --sysroot "$FXC" vm1 prepare begin - < <(domain_xml "$addr")
		exit_is 4 || return 1
		chain_in "$stderr" "$addr" "$chain" || return 1
		unchanged "$before" || return 1
		[[ -z $(ls -A "$FXC/run/iommugrp/libvirt" 2>/dev/null) ]] ||
			{ echo "the hook left a record" >&2; return 1; }
	else
		echo "# no $HOOK (built where libxml2 is): the hook's path is not tested" >&3
	fi

	echo "# $fixture $addr: --force plans it" >&2
	run --separate-stderr igc vfio-bind --dry-run --force "$addr"
	exit_is 0 || return 1
	out_has 'would write:' || return 1
	run --separate-stderr igc set-policy --dry-run --force --unbind "$addr" identity
	exit_is 0 || return 1
	out_has "unbind $addr" || return 1
}

# handed_over FIXTURE ADDR...: each idle device goes to vfio-pci (the preload applies it),
# exit 0, and show -J says the host does not need it (host_use null).
handed_over() {
	local fixture=$1 addr
	shift
	for addr in "$@"; do
		echo "# $fixture $addr: idle" >&2
		fresh "$fixture"
		run --separate-stderr igp vfio-bind "$addr" </dev/null
		exit_is 0 || return 1
		[[ $(readlink "$FXC/sys/bus/pci/devices/$addr/driver") == */vfio-pci ]] ||
			{ echo "$addr is not on vfio-pci" >&2; _dump; return 1; }
		run --separate-stderr igf "$fixture" show -J "$addr"
		exit_is 0 || return 1
		jq_eq ".iommugroup.devices[] | select(.name == \"$addr\") | .host_use" null || return 1
	done
}

# shown FIXTURE ADDR CHAIN: show and show -J name the chain for ADDR (host_use, whatever its
# JSON shape: matched on its text).
shown() {
	local fixture=$1 addr=$2 chain=$3 text
	run --separate-stderr igf "$fixture" show "$addr"
	exit_is 0 || return 1
	grep -qE -- "$chain" <<<"$output" || { echo "show lacks /$chain/" >&2; _dump; return 1; }
	run --separate-stderr igf "$fixture" show -J "$addr"
	exit_is 0 || return 1
	text=$(jq -r ".iommugroup.devices[] | select(.name == \"$addr\") | .host_use |
		if . == null then \"null\" elif type == \"string\" then . else tojson end" <<<"$output")
	[[ $text != null ]] || { echo "show -J: host_use of $addr is null" >&2; _dump; return 1; }
	grep -qE -- "$chain" <<<"$text" || { echo "show -J: host_use '$text' lacks /$chain/" >&2; return 1; }
}

# --- proxmox: vmbr0 over bond0 over eno1 + eno2, ZFS mirror root on two NVMe --------------

@test "proxmox: eno1, a slave of bond0, the port of vmbr0 with the default route, is refused everywhere" {
	refused_everywhere proxmox 0000:01:00.0 'eno1.*bond0.*vmbr0.*default route'
}

@test "proxmox: eno2, the other slave of bond0, is refused everywhere" {
	refused_everywhere proxmox 0000:02:00.0 'eno2.*bond0.*vmbr0.*default route'
}

@test "proxmox: enp4s0, the port of vmbr2 whose VLAN vmbr2.50 has only a global IPv6 address, is refused everywhere" {
	refused_everywhere proxmox 0000:04:00.0 'enp4s0.*vmbr2.*vmbr2\.50.*IPv6'
}

@test "proxmox: nvme0, holding nvme0n1p3 of the ZFS pool rpool mounted on /, is refused everywhere" {
	refused_everywhere proxmox 0000:06:00.0 'nvme0n1p3.*rpool.*mounted on /'
}

@test "proxmox: nvme1, the other side of the rpool mirror, is refused everywhere" {
	refused_everywhere proxmox 0000:07:00.0 'nvme1n1p3.*rpool.*mounted on /'
}

@test "proxmox: the boot VGA with the console is refused everywhere" {
	refused_everywhere proxmox 0000:03:00.0 'boot VGA.*astdrmfb'
}

@test "proxmox: idle: enp5s0 (the port of vmbr1, which has no address), nvme2 (blank)" {
	handed_over proxmox 0000:05:00.0 0000:08:00.0
}

@test "proxmox: show and show -J carry the chains" {
	shown proxmox 0000:01:00.0 'eno1.*bond0.*vmbr0.*default route'
	shown proxmox 0000:06:00.0 'nvme0n1p3.*rpool.*mounted on /'
	shown proxmox 0000:04:00.0 'enp4s0.*vmbr2.*vmbr2\.50.*IPv6'
}

# --- ubuntu-server: LUKS + LVM root on NVMe, bond0 with VLANs bond0.10 and bond0.20 -------

@test "ubuntu-server: eno1 and eno2, slaves of bond0 whose VLAN bond0.10 has the default route, are refused everywhere" {
	refused_everywhere ubuntu-server 0000:02:00.0 'eno1.*bond0.*bond0\.10.*default route'
	refused_everywhere ubuntu-server 0000:03:00.0 'eno2.*bond0.*bond0\.10.*default route'
}

@test "ubuntu-server: the NVMe under LUKS and LVM is refused everywhere (found today through holders/: kept)" {
	refused_everywhere ubuntu-server 0000:01:00.0 \
		'(nvme0n1p3.*(dm_crypt-0|dm-0).*(ubuntu--vg-ubuntu--lv|dm-1).*mounted on /|nvme0n1p1.*mounted on /boot/efi|nvme0n1p2.*mounted on /boot)'
}

@test "ubuntu-server: idle: enp4s0 (down, no address)" {
	handed_over ubuntu-server 0000:04:00.0
}

@test "ubuntu-server: show -J names the bond and the VLAN" {
	shown ubuntu-server 0000:02:00.0 'eno1.*bond0.*bond0\.10.*default route'
}

# --- rhel-like: md RAID1 + LVM root on AHCI, br0 over eno1, virbr0 ------------------------

@test "rhel-like: eno1, the port of br0 with the default route, is refused everywhere" {
	refused_everywhere rhel-like 0000:00:1f.6 'eno1.*br0.*default route'
}

@test "rhel-like: the AHCI controller under md126 and LVM (root, swap) is refused everywhere" {
	refused_everywhere rhel-like 0000:00:17.0 \
		'(sd[ab]2.*md126.*(rhel-root|dm-0).*mounted on /|sd[ab]2.*md126.*(rhel-swap|dm-1).*swap|sda1.*mounted on /boot/efi)'
}

@test "rhel-like: idle: enp1s0 (down); virbr0 and its tap have no PCI device to refuse" {
	handed_over rhel-like 0000:01:00.0
}

@test "rhel-like: show names br0" {
	shown rhel-like 0000:00:1f.6 'eno1.*br0.*default route'
}

# --- nfs-root: / on NFSv4 from 10.0.0.1 through eno1 --------------------------------------

@test "nfs-root: eno1, which reaches the NFS server of /, is refused everywhere" {
	refused_everywhere nfs-root 0000:00:1f.6 'eno1.*(NFS|nfs|10\.0\.0\.1)'
}

@test "nfs-root: idle: enp1s0, the blank NVMe (a diskless node uses no local disk)" {
	handed_over nfs-root 0000:01:00.0 0000:02:00.0
}

# --- iscsi-root: / on an iSCSI LUN through enp1s0; /srv on btrfs over two controllers --------

@test "iscsi-root: enp1s0, which reaches the iSCSI target 192.168.10.5:3260 of /, is refused everywhere" {
	refused_everywhere iscsi-root 0000:01:00.0 'enp1s0.*(iSCSI|iscsi|192\.168\.10\.5)'
}

@test "iscsi-root: eno1 with the default route is refused (as today)" {
	refused_everywhere iscsi-root 0000:00:1f.6 'eno1.*default route'
}

@test "iscsi-root: both controllers of the btrfs on /srv are refused, the one mountinfo does not name too" {
	refused_everywhere iscsi-root 0000:00:17.0 'sdb.*/srv'
	refused_everywhere iscsi-root 0000:02:00.0 'sdc.*btrfs.*/srv'
}

@test "iscsi-root: idle: enp3s0" {
	handed_over iscsi-root 0000:03:00.0
}

# --- btrfs-root: / on a btrfs raid1 over nvme0n1p2 + nvme1n1p2; mountinfo names nvme0n1p2 ----

@test "btrfs-root: both NVMe of the root btrfs are refused, the member mountinfo does not name too" {
	refused_everywhere btrfs-root 0000:01:00.0 'nvme0n1p[12].*mounted on /'
	refused_everywhere btrfs-root 0000:02:00.0 'nvme1n1p2.*btrfs.*mounted on /'
}

@test "btrfs-root: idle: nvme2" {
	handed_over btrfs-root 0000:03:00.0
}

# --- nvme-multipath: native multipath puts each disk below nvme-subsystem/nvme-subsysN --------

@test "nvme-multipath: a subsystem disk's partitions (/ on nvme0n1p1, swap on nvme1n1p2) refuse their controllers" {
	refused_everywhere nvme-multipath 0000:01:00.0 'nvme0n1p1.*mounted on /'
	refused_everywhere nvme-multipath 0000:02:00.0 'nvme1n1p2.*swap'
}

@test "nvme-multipath: idle: nvme2" {
	handed_over nvme-multipath 0000:03:00.0
}

# --- fail closed: a source that cannot be read --------------------------------------------

@test "fail closed: an unreadable mountinfo makes every device with a block device needed, saying so" {
	local before
	fresh nfs-root
	rm "$FXC/proc/self/mountinfo"
	mkdir "$FXC/proc/self/mountinfo" # read(2) gives EISDIR
	before=$(sys_sum "$FXC")
	run --separate-stderr igp vfio-bind 0000:02:00.0 </dev/null
	exit_is 4
	chain_in "$stderr" 0000:02:00.0 'mountinfo'
	unchanged "$before"
	run --separate-stderr igc vfio-bind --dry-run --force 0000:02:00.0
	exit_is 0
}

@test "fail closed: without proc/net/route every device with a network interface is needed, saying so" {
	local before
	fresh proxmox
	rm "$FXC/proc/net/route"
	before=$(sys_sum "$FXC")
	run --separate-stderr igp vfio-bind 0000:05:00.0 </dev/null
	exit_is 4
	chain_in "$stderr" 0000:05:00.0 'route'
	unchanged "$before"
	run --separate-stderr igp set-policy --unbind 0000:05:00.0 identity </dev/null
	exit_is 4
	chain_in "$stderr" 0000:05:00.0 'route'
	unchanged "$before"
}

@test "fail closed: an unreadable ipv6_route or if_inet6 counts as needed too" {
	local f
	for f in ipv6_route if_inet6; do
		fresh proxmox
		rm "$FXC/proc/net/$f"
		mkdir "$FXC/proc/net/$f"
		run --separate-stderr igp vfio-bind 0000:05:00.0 </dev/null
		exit_is 4
		chain_in "$stderr" 0000:05:00.0 "$f"
	done
}

# --- the boot pass: checked before holding, refused after, the holds released --------------

# stopped PID: waits (bounded) until the process is stopped (the preload's stop-write).
stopped() {
	local i state
	for ((i = 0; i < 500; i++)); do
		state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
		[[ $state == T ]] && return 0
		sleep 0.01 # polling a state no event reports; bounded at 5 s
	done
	return 1
}

@test "boot pass: a group held, then refused (its PF's VFs enabled meanwhile), has its holds released and says so" {
	local addr=0000:05:00.0 group dev pid kmsg
	fresh proxmox
	group=$(group_of "$addr")
	dev=$FXC/sys/bus/pci/devices/$addr
	conf "address=$addr vfio=yes"
	rm "$dev/driver" # early boot: igb has not bound it yet
	# The first write is the hold (driver_override); the pass stops just after it.
	# Not through ig (a function): $! must be iommugrp's own PID to see it stop.
	# shellcheck disable=SC2086
	IOMMUGRP_FAULT=stop-write=1 LD_PRELOAD=$IOMMUGRP_PRELOAD \
		$IOMMUGRP_WRAPPER "$IOMMUGRP" --sysroot "$FXC" apply --udev "$(devpath_of "$addr")" </dev/null 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	stopped "$pid" || { kill -9 "$pid"; echo "the pass never stopped after its hold" >&2; return 1; }
	[[ $(cat "$dev/driver_override") == vfio-pci ]] ||
		{ kill -9 "$pid"; echo "not held: '$(cat "$dev/driver_override")'" >&2; return 1; }
	echo 2 >"$dev/sriov_numvfs" # what vfio-pci refuses; the planner must see it now
	kill -CONT "$pid"
	wait "$pid"
	kmsg=$(cat "$FXC/dev/kmsg")
	grep -q "SR-IOV PF with 2 VFs" <<<"$kmsg" || { echo "$kmsg" >&2; return 1; }
	grep -q "holds released: $addr" <<<"$kmsg" || { echo "$kmsg" >&2; return 1; }
	grep -qx 'outcome=refused' "$FXC/run/iommugrp/boot/group-$group" ||
		{ cat "$FXC/run/iommugrp/boot/group-$group" >&2; return 1; }
	[[ $(cat "$dev/driver_override") == "(null)" ]] || { echo "hold left: $(cat "$dev/driver_override")" >&2; return 1; }
	[[ $(readlink "$dev/driver" || true) != */vfio-pci ]] || { echo "left on vfio-pci" >&2; return 1; }
}
