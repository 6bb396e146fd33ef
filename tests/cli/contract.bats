#!/usr/bin/env bats
# The library's contract with its callers (issue 12): errors and refusals are return values and
# objects the tool reads, not log lines; predicates that read the system can fail; no fixed
# buffers truncate; the tool owns the wording. Each test failed before its fix.

load helpers
load changes

G=/sys/kernel/iommu_groups

# --- 1. the log is not an error channel -------------------------------------------------------

@test "IOMMUGRP_LOG=2 (crit) does not turn the malformed fixture's exit 1 into 0" {
	IOMMUGRP_LOG=2 run --separate-stderr igf malformed -l -n -r -o GROUP,NAME
	status_is 1
	IOMMUGRP_LOG=crit run --separate-stderr igf malformed show 0
	status_is 1
	IOMMUGRP_LOG=2 run --separate-stderr igf malformed show 2 -J
	status_is 1
	jq_is '.iommugroup.group' '2'
}

@test "with the log silenced, the problems behind exit 1 are still named, once each" {
	IOMMUGRP_LOG=2 run --separate-stderr igf malformed show 0
	status_is 1
	has "$G/0/type: empty file" "$stderr"
	[[ $(grep -c "$G/0/type" <<<"$stderr") -eq 1 ]] || { echo "$stderr"; false; }
	# and with the log on, the log names it (once, too)
	run --separate-stderr igf malformed show 0
	status_is 1
	[[ $(grep -c "$G/0/type" <<<"$stderr") -eq 1 ]] || { echo "$stderr"; false; }
}

@test "IOMMUGRP_LOG=2: a clean fixture still exits 0 and prints nothing on stderr" {
	IOMMUGRP_LOG=2 run --separate-stderr igf qemu-q35 show 3
	status_is 0
	[[ -z $stderr ]] || { echo "stderr: $stderr"; false; }
}

@test "no '(see above)': an inconsistent device names the dangling link in its own message" {
	IOMMUGRP_LOG=2 run --separate-stderr igf malformed show 00:0b.0
	status_is 1
	has 'sysfs is inconsistent about this device: ' "$stderr"
	has /sys/devices/pci0000:00/0000:00:0b.0/iommu_group "$stderr"
	lacks 'see above' "$stderr"
}

@test "no '(see above)': an unusable journal's refusal says what is wrong with it" {
	fx_copy qemu-q35
	mkdir -p "$FXC/run" && mkdir -m 0700 "$FXC/run/iommugrp"
	printf 'iommugrp-journal 1\ngarbage\n' >"$FXC/run/iommugrp/group-3.journal"
	IOMMUGRP_LOG=2 run --separate-stderr igc restore --dry-run --json
	exit_is 4
	jq_true '.groups[0].refusal | test("group-3.journal is truncated or corrupt")'
	jq_true '.groups[0].refusal | test("see above") | not'
}

# --- 2. predicates that read the system can fail -----------------------------------------------

@test "a group whose devices/ cannot be listed is not shown as viable: viability is unknown" {
	fx_copy qemu-q35
	rm -rf "$FXC$G/1/devices"
	echo 'not a directory' >"$FXC$G/1/devices"
	run --separate-stderr igc show 1 -J
	status_is 1
	jq_is '.iommugroup.viable' 'null'
	has "$G/1/devices" "$stderr"
	run --separate-stderr igc show 1
	status_is 1
	has_line '  viable:  unknown (unreadable)'
	run --separate-stderr igc -J
	status_is 1
	jq_is '.iommugroups[1] | [.group, .viable]' '[1,null]'
}

@test "an unreadable sriov_numvfs stops vfio-bind's plan instead of reading as 0 VFs" {
	fx_copy sriov
	echo garbage >"$FXC/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1/sriov_numvfs"
	run --separate-stderr igc vfio-bind --dry-run 3
	status_is 1
	has 0000:01:00.1/sriov_numvfs "$stderr"
	lacks '0000:01:00.1: write' "$output"
}

# --- 8. status on a tree without osrelease ------------------------------------------------------

@test "status without /proc/sys/kernel/osrelease: what can be read, the rest unknown, exit 0, a warning" {
	fx_copy qemu-q35
	rm "$FXC/proc/sys/kernel/osrelease"
	echo 'BOOT_IMAGE=/vmlinuz intel_iommu=on iommu=pt' >"$FXC/proc/cmdline"
	run --separate-stderr igc status
	status_is 0
	has_line 'IOMMU: active, 5 groups, 1 unit (dmar0)'
	has_line 'kernel: unknown'
	has_line 'type-change rules: unknown'
	has_line 'boot policy: identity (iommu=pt)'
	has 'warning: ' "$stderr"
	has 'proc/sys/kernel/osrelease is missing' "$stderr"
	lacks 'error' "$stderr"
	run --separate-stderr igc status -J
	status_is 0
	jq_is '[.iommu_active, .groups, .kernel_release, .type_change_rules, .boot_policy]' \
		'[true,5,null,null,"identity"]'
}

# --- 4, 5. no fixed buffers; the CLI asks the library for a group's VFIO files --------------------

@test "vfio-bind lists every VFIO file of a group with 40 cdevs (32 slots truncated it)" {
	fx_copy many-groups
	local d k
	d=$(cd "$FXC/sys/bus/pci/devices/0000:07:00.1" && pwd -P)
	for ((k = 2; k < 40; k++)); do
		mkdir -p "$d/vfio-dev/vfio$k"
		echo "511:$k" >"$d/vfio-dev/vfio$k/dev"
	done
	# an entry without dev (no CONFIG_VFIO_DEVICE_CDEV) has no node and is not listed
	mkdir -p "$d/vfio-dev/vfio99"
	run --separate-stderr igc vfio-bind 07:00.0 </dev/null
	exit_is 0
	[[ $(grep -c '^/dev/vfio/devices/vfio' <<<"$output") -eq 40 ]] || { _dump; false; }
	out_has /dev/vfio/devices/vfio39
	out_lacks vfio99
	run --separate-stderr igc vfio-bind --json 07:00.0 </dev/null
	jq_eq '.groups[0].vfio_files | length' '41'
}

@test "vfio-bind refuses a device whose 40th block device is mounted (32 slots missed it)" {
	fx_copy host-in-use
	local d k name
	d=$(cd "$FXC/sys/bus/pci/devices/0000:03:00.0" && pwd -P)
	for ((k = 0; k < 40; k++)); do
		name=$(printf 'blk%02d' "$k")
		mkdir -p "$d/$name"
		ln -s /sys/class/block "$d/$name/subsystem"
		echo "240:$k" >"$d/$name/dev"
		# as the kernel links every block device (block/genhd.c, device_add_disk)
		ln -sr "$d/$name" "$FXC/sys/dev/block/240:$k"
		ln -sr "$d/$name" "$FXC/sys/class/block/$name"
	done
	echo '99 1 240:39 / /srv rw,relatime shared:9 - ext4 /dev/blk39 rw' >>"$FXC/proc/self/mountinfo"
	run --separate-stderr igc vfio-bind --dry-run 03:00.0
	exit_is 4
	err_has 'it holds blk39, which is mounted'
}

# --- 10. capture and replay ---------------------------------------------------------------------

# replay_same FIXTURE: capture the fixture tree (as --sysroot), extract it, and compare what
# iommugrp says about both, command by command.
replay_same() {
	local fx=$IOMMUGRP_FIXTURES/$1 tree=$BATS_TEST_TMPDIR/replay-$1 args g
	mkdir -p "$tree"
	"$TOP/scripts/iommugrp-capture" --sysroot "$fx" -o "$BATS_TEST_TMPDIR/$1.tar.gz" 2>/dev/null
	tar -xzf "$BATS_TEST_TMPDIR/$1.tar.gz" -C "$tree"
	for args in "-J" "" "-l -o +PATH,SUBSYSTEM,CLASSID,VENDOR,OVERRIDE,VFIO" "status -J" "status"; do
		# shellcheck disable=SC2086
		diff -u <(ig --sysroot "$fx" $args 2>&1; echo "exit $?") \
			<(ig --sysroot "$tree" $args 2>&1 | sed "s|$tree|$fx|g"; echo "exit ${PIPESTATUS[0]}") ||
			{ echo "differs: iommugrp $args on $1" >&2; return 1; }
	done
	for g in $(ig --sysroot "$fx" -J | jq '.iommugroups[].group'); do
		diff -u <(ig --sysroot "$fx" show "$g" -J 2>&1) \
			<(ig --sysroot "$tree" show "$g" -J 2>&1 | sed "s|$tree|$fx|g") ||
			{ echo "differs: iommugrp show $g -J on $1" >&2; return 1; }
		diff -u <(ig --sysroot "$fx" vfio-bind --dry-run "$g" 2>&1) \
			<(ig --sysroot "$tree" vfio-bind --dry-run "$g" 2>&1 | sed "s|$tree|$fx|g") ||
			{ echo "differs: iommugrp vfio-bind --dry-run $g on $1" >&2; return 1; }
	done
}

@test "scripts/iommugrp-capture of a fixture tree replays with identical output (qemu-q35, host-in-use)" {
	replay_same qemu-q35
	replay_same host-in-use
}

@test "scripts/iommugrp-capture replays the host-use graph identically: proxmox, ubuntu-server, rhel-like, nfs-root, iscsi-root, btrfs-root, nvme-multipath" {
	local fx
	for fx in proxmox ubuntu-server rhel-like nfs-root iscsi-root btrfs-root nvme-multipath; do
		replay_same "$fx"
	done
}

@test "scripts/iommugrp-capture replays identically: many-groups, sriov, patched-6.1, tegra" {
	replay_same many-groups
	replay_same sriov
	replay_same patched-6.1
	replay_same tegra
}

@test "scripts/iommugrp-capture writes nothing below the source and refuses bad arguments" {
	local before
	before=$(cd "$IOMMUGRP_FIXTURES/qemu-q35" && find . -printf '%p %y %m %s %T@\n' | sort | md5sum)
	"$TOP/scripts/iommugrp-capture" --sysroot "$IOMMUGRP_FIXTURES/qemu-q35" -o "$BATS_TEST_TMPDIR/c.tar.gz" 2>/dev/null
	[[ $(cd "$IOMMUGRP_FIXTURES/qemu-q35" && find . -printf '%p %y %m %s %T@\n' | sort | md5sum) == "$before" ]]
	run "$TOP/scripts/iommugrp-capture" --bogus
	status_is 2
	run "$TOP/scripts/iommugrp-capture" --sysroot /nonexistent
	status_is 2
}

# --- 7. one copy of each helper, no dead code ----------------------------------------------------

@test "source: each small helper defined once, no <err.h>-shadowing macros, no dead change_has_kind" {
	cd "$TOP"
	# the copies issue 12 found: same() twice, strdup-or-NULL in four places, read_override
	run grep -nE '^static [a-z *]+\b(same|dup_or_null|strdup_or_null|xstrdup_or_null|read_override)\(' lib/*.c
	[[ -z $output ]] || { echo "$output"; false; }
	run grep -nE '^#define (err|warn|info|dbg)\(' lib/*.h
	[[ -z $output ]] || { echo "$output"; false; }
	run grep -rn 'change_has_kind\|sizeof(\([a-z_]*\)) / sizeof(\1\[0\])' lib cli
	[[ -z $output ]] || { echo "$output"; false; }
	# the CLI's copy of looks_like_pci_address and of --dry-run
	run grep -n '0123456789abcdefABCDEF:.' cli/*.c lib/*.c
	[[ -z $output ]] || { echo "$output"; false; }
	[[ $(grep -c '"dry-run"' cli/*.c cli/*.h | awk -F: '{ n += $2 } END { print n }') -eq 1 ]]
	# one list of restorable types, one place that makes /run/iommugrp
	[[ $(grep -c 'strcmp([a-z_>-]*, "identity") == 0 || strcmp([a-z_>-]*, "DMA") == 0' lib/*.c |
		awk -F: '{ n += $2 } END { print n }') -eq 1 ]]
	[[ $(grep -c 'mkdirat(ctx->rootfd, "run", ' lib/*.c | awk -F: '{ n += $2 } END { print n }') -eq 1 ]]
	# two files named change.c (one prefix) no more
	[[ ! -e cli/change.c ]]
}

@test "--help's command list is the dispatcher's table: a command's synopsis and summary" {
	run --separate-stderr ig --help
	status_is 0
	has_line '  set-policy TARGET POLICY'
	has_line '  show TARGET          Show everything about one group'
	# the table's summaries (never read before) are what --help prints
	local summary
	while IFS= read -r summary; do
		has "${summary:0:40}" || return 1
	done < <(sed -n 's/^.*cmd_[a-z_]*,$//; s/^[[:space:]]*{ "[a-z-]*", "[A-Z. ]*", cmd_[a-z_]*, "\(.*\)" },$/\1/p; s/^[[:space:]]*"\(.*\)" },$/\1/p' "$TOP/cli/main.c")
}

@test "a vfio-pci that cannot be loaded is said by the tool, not only in the library's log" {
	fx_copy qemu-q35
	local before
	before=$(tree_sum "$FXC")
	IOMMUGRP_LOG=2 run --separate-stderr igc vfio-bind 2 </dev/null
	exit_is 1
	err_has 'cannot load modules into the kernel of another root'
	[[ $(tree_sum "$FXC") == "$before" ]] || { echo "the fixture changed" >&2; false; }
}
