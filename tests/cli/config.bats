#!/usr/bin/env bats
# /etc/iommugrp.conf and /etc/iommugrp.d/*.conf on private copies of the fixtures: every
# malformed line, permissions, each selector (path, address, id, subsystem, slot, serial from
# a config space with a DSN), conflicts, check-config (text and JSON), apply --dry-run, the
# udev entry point's refusals and its fail-closed vfio holds, and --save.

load helpers
bats_require_minimum_version 1.5.0

load changes

setup() {
	fx_copy qemu-q35
	mkdir -p "$FXC/etc" "$FXC/dev"
	: >"$FXC/dev/kmsg"
}

# conf TEXT [FILE]: write a configuration file (default /etc/iommugrp.conf), mode 0644.
conf() {
	local file=${2:-etc/iommugrp.conf}
	mkdir -p "$FXC/${file%/*}"
	printf '%s\n' "$1" >"$FXC/$file"
	chmod 0644 "$FXC/$file"
}

dev() { echo "$FXC/sys/bus/pci/devices/$1"; }

# unbind_in_copy ADDR: the device has no driver (as before its module loads at boot).
unbind_in_copy() {
	rm -f "$(dev "$1")/driver"
}

# --- no configuration ---------------------------------------------------------------------

@test "no configuration: check-config says so, apply has nothing to do, --udev writes nothing" {
	run --separate-stderr igc check-config
	exit_is 0
	out_has 'configuration: none'
	out_has 'digest: none'
	run --separate-stderr igc apply
	exit_is 0
	out_has 'nothing to do'
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:02.0
	exit_is 0
	[[ ! -e $FXC/run/iommugrp/boot ]]
	[[ ! -s $FXC/dev/kmsg ]]
}

# --- malformed lines ------------------------------------------------------------------------

# Each line alone in the file, and the error check-config must give for it (as FILE:1).
malformed_cases() {
	cat <<'EOF'
foo=bar vfio=yes|unknown key 'foo'
vfio|'vfio' is not key=value
id= vfio=yes|id= has no value
id=8086:100e id=8086:100e vfio=yes|id= is given twice
path=0000:00/3.0 vfio=yes|path=0000:00/3.0: expected DDDD:BB/DD.F
path=0000:00 vfio=yes|path=0000:00: expected DDDD:BB/DD.F
path=0000:00/20.0 vfio=yes|path=0000:00/20.0: expected DDDD:BB/DD.F
path=0000:00/03.8 vfio=yes|path=0000:00/03.8: expected
address=01:01.0 vfio=yes|address=01:01.0: expected a PCI address DDDD:BB:DD.F
address=0000:01:01.9 vfio=yes|address=0000:01:01.9: expected
id=8086 vfio=yes|id=8086: expected VVVV:DDDD
id=8086:10g3 vfio=yes|id=8086:10g3: expected VVVV:DDDD
subsystem=1af4-1100 vfio=yes|subsystem=1af4-1100: expected VVVV:DDDD
slot=a/b vfio=yes|slot=a/b: not a slot name
serial=00-11-22 vfio=yes|serial=00-11-22: expected the Device Serial Number
serial=0011223344556677-- vfio=yes|serial=0011223344556677--: expected
serial=00-11-22-33-44-55-66-77 function=8 vfio=yes|function=8: expected a PCI function number 0-7
id=8086:100e vfio=no|vfio=no: the only value is yes
id=8086:100e policy=fast|policy=fast: expected identity, DMA, DMA-FQ or auto
id=8086:100e vfio=yes multiple=maybe|multiple=maybe: expected yes or no
id=8086:100e vfio=yes force=1|force=1: expected yes or no
id=8086:100e vfio=yes fallback=rebind|fallback=rebind: expected unbind or none
id=8086:100e vfio=yes user=a/b|user=a/b: not a user name
id=8086:100e vfio=yes user=4294968296|user=4294968296: not a valid uid (0 to 4294967294)
id=8086:100e vfio=yes user=4294967295|user=4294967295: not a valid uid (0 to 4294967294)
id=8086:100e vfio=yes user=18446744073709551616|user=18446744073709551616: not a valid uid
id=8086:100e vfio=yes user=-1|user=-1: not a valid uid (0 to 4294967294)
id=8086:100e vfio=yes user=+1000|user=+1000: not a valid uid (0 to 4294967294)
id=8086:100e vfio=yes group=4294967295|group=4294967295: not a valid gid (0 to 4294967294)
id=8086:100e vfio=yes group=-5|group=-5: not a valid gid (0 to 4294967294)
vfio=yes|no selector
id=8086:100e|no action
id=8086:100e policy=DMA user=qemu|user= and group= give /dev/vfio/N away: they need vfio=yes
id=8086:100e policy=DMA force=yes|force=yes takes devices the host needs
id=8086:100e function=1 vfio=yes|function= narrows a serial= match
EOF
}

@test "every malformed line is refused with FILE:LINE and a precise reason; nothing is applied" {
	local line want failures=0
	while IFS='|' read -r line want; do
		conf "$line"
		run --separate-stderr igc check-config
		if [[ $status -ne 1 || $output != *"/etc/iommugrp.conf:1: error: $want"* ||
			$output != *"configuration refused"* ]]; then
			echo "line: $line" >&2
			_dump
			failures=$((failures + 1))
		fi
	done < <(malformed_cases)
	((failures == 0))
}

@test "every error of every line is reported, with its own line number; comments and blanks are fine" {
	conf "# a comment

id=8086:100e vfio=yes multiple=yes   # trailing comment
id=zz policy=x
	bogus
path=0000:00/02.0 policy=identity"
	run --separate-stderr igc check-config
	exit_is 1
	out_has '/etc/iommugrp.conf:4: error: id=zz: expected VVVV:DDDD'
	out_has '/etc/iommugrp.conf:4: error: policy=x: expected identity'
	out_has "/etc/iommugrp.conf:5: error: 'bogus' is not key=value"
	out_lacks ':3: error'
	out_lacks ':6: error'
	out_has 'configuration refused: 3 errors, nothing would be applied'
}

@test "a NUL byte and an over-long line are errors, not truncations" {
	printf 'id=8086:100e vfio=yes\nid=8086:10d3\0 policy=DMA\n' >"$FXC/etc/iommugrp.conf"
	{ printf 'id=8086:100e vfio=yes'; head -c 5000 /dev/zero | tr '\0' ' '; printf '\n'; } \
		>>"$FXC/etc/iommugrp.conf"
	run --separate-stderr igc check-config
	exit_is 1
	out_has '/etc/iommugrp.conf:2: error: the line holds a NUL byte'
	out_has '/etc/iommugrp.conf:3: error: the line is longer than 4095 bytes'
}

@test "a refused configuration changes nothing: apply exits 1, the tree is as it was" {
	conf "id=8086:10d3 policy=identity
unknown=1"
	local before
	before=$(tree_sum "$FXC")
	run --separate-stderr igc apply --unbind
	exit_is 1
	err_has '/etc/iommugrp.conf:2: error: unknown key'
	err_has 'the configuration is refused (1 error): nothing was changed'
	[[ $(tree_sum "$FXC") == "$before" ]]
}

# --- permissions --------------------------------------------------------------------------

@test "permissions: a group- or other-writable file, a non-root owner, a writable directory refuse all" {
	conf 'id=8086:10d3 policy=identity'
	conf 'id=8086:100e vfio=yes multiple=yes' etc/iommugrp.d/10-nics.conf
	chmod 0664 "$FXC/etc/iommugrp.d/10-nics.conf"
	run --separate-stderr igc check-config
	exit_is 1
	out_has '/etc/iommugrp.d/10-nics.conf: error: mode 0664 is writable by its group: chmod go-w it'
	chmod 0646 "$FXC/etc/iommugrp.d/10-nics.conf"
	run --separate-stderr igc check-config
	out_has 'mode 0646 is writable by others'
	chmod 0644 "$FXC/etc/iommugrp.d/10-nics.conf"
	chown 65534 "$FXC/etc/iommugrp.conf"
	run --separate-stderr igc check-config
	exit_is 1
	out_has '/etc/iommugrp.conf: error: owned by uid 65534, not root'
	chown 0 "$FXC/etc/iommugrp.conf"
	chmod 0777 "$FXC/etc/iommugrp.d"
	run --separate-stderr igc check-config
	exit_is 1
	out_has '/etc/iommugrp.d: error: mode 0777 is writable by group and others'
	chmod 0755 "$FXC/etc/iommugrp.d"
	run --separate-stderr igc check-config
	exit_is 0
}

@test "drop-ins: only *.conf, not dot files, in lexical order after /etc/iommugrp.conf" {
	conf 'id=8086:10d3 policy=identity'
	conf 'path=0000:00/03.0/01.0 vfio=yes' etc/iommugrp.d/20-b.conf
	conf 'path=0000:00/03.0/02.0 vfio=yes' etc/iommugrp.d/10-a.conf
	conf 'bogus' etc/iommugrp.d/30-c.conf.disabled
	conf 'bogus' etc/iommugrp.d/.40-d.conf
	run --separate-stderr igc check-config
	exit_is 0
	out_has 'configuration: /etc/iommugrp.conf, /etc/iommugrp.d/10-a.conf, /etc/iommugrp.d/20-b.conf'
	out_has 'group 3: vfio (/etc/iommugrp.d/10-a.conf:1, /etc/iommugrp.d/20-b.conf:1)'
}

# --- selectors ------------------------------------------------------------------------------

@test "path=: the device.function chain from the host bridge; the group is the unit" {
	conf 'path=0000:00/03.0/02.0 vfio=yes'
	run --separate-stderr igc check-config
	exit_is 0
	out_has 'matches 0000:01:02.0 (group 3)'
	out_has 'group 3: vfio (/etc/iommugrp.conf:1)'
	out_has "vfio: would hand it to vfio-pci, unbinding e1000 (0000:01:01.0), e1000 (0000:01:02.0) first"
	conf 'path=0000:00/04.0/02.0 vfio=yes'
	run --separate-stderr igc check-config
	exit_is 0
	out_has 'matches nothing now'
}

@test "address=: accepted with a warning that it is not stable" {
	conf 'address=0000:01:01.0 vfio=yes'
	run --separate-stderr igc check-config
	exit_is 0
	out_has '/etc/iommugrp.conf:1: warning: address=0000:01:01.0 is not stable'
	out_has 'matches 0000:01:01.0 (group 3): stable as path=0000:00/03.0/01.0'
	run --separate-stderr igc check-config --json
	jq_eq '.entries[0].matches[0].path' '"0000:00/03.0/01.0"'
}

@test "id=: a second match refuses the entry without multiple=yes; subsystem= narrows" {
	conf 'id=8086:100e vfio=yes'
	run --separate-stderr igc check-config
	exit_is 4
	out_has 'refused: /etc/iommugrp.conf:1 matches 2 devices (0000:01:01.0, 0000:01:02.0) and has no multiple=yes'
	out_lacks 'group 3:'
	conf 'id=8086:100e vfio=yes multiple=yes'
	run --separate-stderr igc check-config
	exit_is 0
	out_has 'group 3: vfio'
	conf 'id=8086:10d3 subsystem=8086:0000 policy=DMA'
	run --separate-stderr igc check-config
	out_has 'matches 0000:00:02.0 (group 2)'
	conf 'id=8086:10d3 subsystem=1af4:1100 policy=DMA'
	run --separate-stderr igc check-config
	out_has 'matches nothing now'
}

@test "slot=: /sys/bus/pci/slots/NAME/address names the device, every function of it" {
	mkdir -p "$FXC/sys/bus/pci/slots/2"
	echo 0000:01:01 >"$FXC/sys/bus/pci/slots/2/address"
	conf 'slot=2 id=8086:100e vfio=yes'
	run --separate-stderr igc check-config
	exit_is 0
	out_has 'matches 0000:01:01.0 (group 3)'
	out_lacks 'matches 0000:01:02.0'
	conf 'slot=7 vfio=yes'
	run --separate-stderr igc check-config
	out_has 'matches nothing now'
}

# write_dsn ADDR SERIAL_HEX16: a 4 KiB config space whose extended capability list holds
# AER (id 1) at 0x100, then the Device Serial Number (id 3) at 0x140, as lspci shows it.
write_dsn() {
	local f
	f=$(dev "$1")/config
	perl -e '
		my ($f, $hex) = @ARGV;
		open(my $in, "<", $f) or die; binmode $in; local $/; my $c = <$in>; close $in;
		$c .= "\0" x (4096 - length $c);
		my $hi = hex(substr($hex, 0, 8)); my $lo = hex(substr($hex, 8, 8));
		substr($c, 0x100, 4) = pack("V", 0x0001 | (1 << 16) | (0x140 << 20));
		substr($c, 0x140, 12) = pack("VVV", 0x0003 | (1 << 16), $lo, $hi);
		open(my $out, ">", $f) or die; binmode $out; print $out $c; close $out;
	' "$f" "$2"
}

@test "serial=: the DSN from extended capability 3 of the config space" {
	write_dsn 0000:00:02.0 0011223344556677
	conf 'serial=00-11-22-33-44-55-66-77 policy=DMA'
	run --separate-stderr igc check-config
	exit_is 0
	out_has 'matches 0000:00:02.0 (group 2)'
	conf 'serial=0011223344556677 function=0 policy=DMA'
	run --separate-stderr igc check-config
	out_has 'matches 0000:00:02.0 (group 2)'
	conf 'serial=00-11-22-33-44-55-66-78 policy=DMA'
	run --separate-stderr igc check-config
	out_has 'matches nothing now'
	conf 'serial=0011223344556677 function=1 policy=DMA'
	run --separate-stderr igc check-config
	out_has 'matches nothing now'
}

@test "serial=: a looping or truncated capability list matches nothing and does not hang" {
	local f
	f=$(dev 0000:00:02.0)/config
	write_dsn 0000:00:02.0 0011223344556677
	# The AER header's next pointer points at itself.
	perl -e 'open(my $h, "+<", $ARGV[0]) or die; binmode $h; seek($h, 0x100, 0);
		print $h pack("V", 0x0001 | (1 << 16) | (0x100 << 20)); close $h' "$f"
	conf 'serial=00-11-22-33-44-55-66-77 policy=DMA'
	run --separate-stderr timeout 10 "$IOMMUGRP" --sysroot "$FXC" check-config
	exit_is 0
	out_has 'matches nothing now'
	truncate -s 260 "$f"
	run --separate-stderr igc check-config
	exit_is 0
	out_has 'matches nothing now'
}

# --- groups: conflicts, kernel refusals ---------------------------------------------------

@test "two entries giving one group different policies refuse that group, naming both" {
	conf 'path=0000:00/03.0/01.0 policy=identity
path=0000:00/03.0/02.0 policy=DMA
id=8086:10d3 policy=DMA'
	run --separate-stderr igc check-config
	exit_is 4
	out_has '/etc/iommugrp.conf:1 says policy=identity but /etc/iommugrp.conf:2 says policy=DMA: group 3 is refused'
	out_has 'group 2: policy=DMA (/etc/iommugrp.conf:3)'
}

@test "what this kernel refuses: a multi-device policy on stock 6.1" {
	conf 'path=0000:00/03.0 policy=identity'
	run --separate-stderr igc check-config
	exit_is 4
	out_has 'policy: refused: group 3 has 3 devices, and kernel 6.1.0-27-amd64 changes the policy only of single-device groups'
}

@test "check-config --json: files, digest, problems, entries with matches, groups with plans" {
	conf 'path=0000:00/03.0/01.0 vfio=yes user=0 fallback=none
address=0000:00:02.0 policy=passthrough'
	run --separate-stderr igc check-config --json
	exit_is 4
	jq_eq '.files' '["/etc/iommugrp.conf"]'
	jq_eq '.valid' 'true'
	jq_eq '[.problems[] | [.line, .severity]]' '[[2,"warning"]]'
	jq_eq '[.entries[] | [.line, [.matches[].device]]]' '[[1,["0000:01:01.0"]],[2,["0000:00:02.0"]]]'
	jq_eq '[.groups[] | [.group, .vfio, .policy, .fallback, .user]]' \
		'[[2,false,"identity","unbind",null],[3,true,null,"none","0"]]'
	jq_true '.groups[1].vfio_plan | startswith("refused: e1000 (0000:01:01.0), e1000 (0000:01:02.0) is bound and fallback=none")'
	jq_true '.digest | test("^fnv1a64:[0-9a-f]{16}$")'
	jq_eq '.boot.this_boot' 'false'
}

@test "check-config --digest follows the contents" {
	conf 'id=8086:10d3 policy=identity'
	run --separate-stderr igc check-config --digest
	exit_is 0
	local first=$output
	[[ $first == fnv1a64:* ]]
	conf 'id=8086:10d3 policy=DMA'
	run --separate-stderr igc check-config --digest
	[[ $output != "$first" && $output == fnv1a64:* ]]
}

@test "check-config --digest --json prints a JSON object with the digest" {
	conf 'id=8086:10d3 policy=identity'
	run --separate-stderr igc check-config --digest
	local digest=$output
	run --separate-stderr igc check-config --digest --json
	exit_is 0
	jq_eq '.' "{\"digest\":\"$digest\"}"
}

@test "a dangling symlink as /etc/iommugrp.conf or in /etc/iommugrp.d is an error, not 'none'" {
	ln -s /nowhere "$FXC/etc/iommugrp.conf"
	run --separate-stderr igc check-config
	exit_is 1
	out_has '/etc/iommugrp.conf: error: cannot read it: a symbolic link to nothing'
	out_lacks 'configuration: none'
	run --separate-stderr igc apply --dry-run
	exit_is 1
	rm "$FXC/etc/iommugrp.conf"
	mkdir -p "$FXC/etc/iommugrp.d"
	ln -s ../gone.conf "$FXC/etc/iommugrp.d/10-x.conf"
	run --separate-stderr igc check-config --json
	exit_is 1
	jq_eq '[.valid, .problems[0].file]' '[false,"/etc/iommugrp.d/10-x.conf"]'
}

# --- apply ----------------------------------------------------------------------------------

@test "apply --dry-run prints each group's writes; without --unbind a bound driver refuses" {
	conf 'id=8086:10d3 policy=identity
path=0000:00/03.0/01.0 vfio=yes'
	run --separate-stderr igc apply --dry-run
	exit_is 0
	out_has "group 2: to set its policy, iommugrp would write:"
	out_has "write 'identity' to /sys/kernel/iommu_groups/2/type"
	out_has "group 3: to hand it to vfio-pci, iommugrp would write:"
	out_has "write 'vfio-pci' to /sys/devices/pci0000:00/0000:00:03.0/0000:01:02.0/driver_override"
	local before
	before=$(tree_sum "$FXC")
	run --separate-stderr igc apply
	exit_is 4
	err_has 'group 2: refused, nothing was changed: this needs e1000e (0000:00:02.0) unbound; pass --unbind'
	[[ $(tree_sum "$FXC") == "$before" ]]
	run --separate-stderr igc apply --dry-run --json
	exit_is 0
	jq_eq '[.groups[] | [.group, [.changes[].action]]]' '[[2,["policy"]],[3,["vfio"]]]'
}

@test "apply --dry-run: fallback=none refuses a bound group, a refused entry is named" {
	conf 'path=0000:00/02.0 policy=identity fallback=none
id=8086:100e vfio=yes'
	run --separate-stderr igc apply --unbind
	exit_is 4
	err_has 'group 2: refused, nothing was changed: e1000e (0000:00:02.0) bound, and the configuration says fallback=none'
	err_has '/etc/iommugrp.conf:2 matches 2 devices'
}

# --- the udev entry point -------------------------------------------------------------------

@test "apply --udev: a bad configuration changes nothing, logs every reason to /dev/kmsg, exits 0" {
	conf 'id=8086:100e vfio=yes'
	conf 'id=8086:10d3 policy=identity
bogus=1' etc/iommugrp.d/50-x.conf
	chmod 0666 "$FXC/etc/iommugrp.d/50-x.conf"
	local before
	before=$(tree_sum "$FXC")
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:02.0
	exit_is 0
	out_empty
	run cat "$FXC/dev/kmsg"
	has '<11>iommugrp: config: /etc/iommugrp.d/50-x.conf: error: mode 0666 is writable by group and others'
	has "<11>iommugrp: config: /etc/iommugrp.d/50-x.conf:2: error: unknown key 'bogus'"
	has '<11>iommugrp: config: /etc/iommugrp.conf:1 matches 2 devices (0000:01:01.0, 0000:01:02.0) and has no multiple=yes'
	has '<11>iommugrp: config refused: 2 errors, nothing changed'
	grep -q '^config=refused$' "$FXC/run/iommugrp/boot/pass"
	# The next event of this boot takes the fast path: no new lines.
	: >"$FXC/dev/kmsg"
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:01.0
	exit_is 0
	[[ ! -s $FXC/dev/kmsg ]]
	# Only the pass and its lock are new; sysfs is untouched.
	rm -rf "$FXC/run/iommugrp/boot"
	rmdir "$FXC/run/iommugrp" "$FXC/run" 2>/dev/null || true
	: >"$FXC/dev/kmsg"
	[[ $(tree_sum "$FXC") == "$before" ]]
}

@test "one error is '1 error', in check-config, apply and the udev log" {
	conf 'bogus=1'
	run --separate-stderr igc check-config
	exit_is 1
	has 'configuration refused: 1 error, nothing would be applied'
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:02.0
	exit_is 0
	run cat "$FXC/dev/kmsg"
	has '<11>iommugrp: config refused: 1 error, nothing changed'
	lacks '1 errors'
}

@test "apply --udev: an ambiguous id= is logged and its devices are not held" {
	unbind_in_copy 0000:01:01.0
	unbind_in_copy 0000:01:02.0
	conf 'id=8086:100e vfio=yes'
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:01.0
	exit_is 0
	has '<11>iommugrp: config: /etc/iommugrp.conf:1 matches 2 devices (0000:01:01.0, 0000:01:02.0) and has no multiple=yes' "$(cat "$FXC/dev/kmsg")"
	[[ $(<"$(dev 0000:01:01.0)/driver_override") == '(null)' ]]
}

@test "apply --udev: a vfio group is held before anything else and stays held when vfio-pci cannot load (fails closed)" {
	unbind_in_copy 0000:01:01.0
	unbind_in_copy 0000:01:02.0
	conf 'path=0000:00/03.0/01.0 vfio=yes'
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:01.0
	exit_is 0
	local log
	log=$(cat "$FXC/dev/kmsg")
	has '<14>iommugrp: group 3: held: 0000:01:01.0 0000:01:02.0 (driver_override vfio-pci)' "$log"
	has '<11>iommugrp: group 3: refused (entry /etc/iommugrp.conf:1): vfio' "$log"
	has 'vfio-pci cannot be loaded' "$log"
	has '<14>iommugrp: boot pass: 1 group configured' "$log"
	[[ $(<"$(dev 0000:01:01.0)/driver_override") == vfio-pci ]]
	[[ $(<"$(dev 0000:01:02.0)/driver_override") == vfio-pci ]]
	run cat "$FXC/run/iommugrp/boot/group-3"
	has_line 'outcome=refused'
	has_line 'entry=/etc/iommugrp.conf:1'
	has_line 'devices=0000:00:03.0 0000:01:01.0 0000:01:02.0'
	run cat "$FXC/run/iommugrp/boot/pass"
	has_line 'state=done'
	has_line 'config=valid'
	has_line 'where=root'
	[[ ! -e $FXC/run/iommugrp/group-3.journal ]]
	# status and show say which entry governs the group and what the pass did.
	run --separate-stderr igc status
	out_has 'boot: pass done in the root, configuration valid'
	out_has '  group 3: vfio refused (entry /etc/iommugrp.conf:1): vfio-pci cannot be loaded'
	run --separate-stderr igc status --json
	jq_eq '[.boot.this_boot, .boot.state, [.boot.groups[] | [.group, .outcome, .entry]]]' \
		'[true,"done",[[3,"refused","/etc/iommugrp.conf:1"]]]'
	run --separate-stderr igc show 01:02.0
	out_has '  config:  /etc/iommugrp.conf:1'
	out_has '  boot:    vfio refused (entry /etc/iommugrp.conf:1)'
	run --separate-stderr igc show -J 2
	jq_eq '[.iommugroup.config_entries, .iommugroup.boot]' '[null,null]'
}

# --- check first, hold after: a group the pass refuses is never held (issue 21) --------------

# host_in_use_pass CONF DEVICE...: the copy $FXC of host-in-use with DEVICEs unbound (as before
# their drivers load) and CONF; the boot pass runs for the first DEVICE; $log is the kmsg.
host_in_use_pass() {
	local conf=$1 d
	shift
	fx_copy host-in-use
	mkdir -p "$FXC/etc" "$FXC/dev"
	: >"$FXC/dev/kmsg"
	for d in "$@"; do unbind_in_copy "$d"; done
	conf "$conf"
	run --separate-stderr igp apply --udev "/devices/pci0000:00/$1"
	exit_is 0
	log=$(cat "$FXC/dev/kmsg")
}

@test "apply --udev: the console's boot VGA, unbound at boot, is refused and never held; apply, check-config and vfio-bind say the same" {
	local log why='0000:00:02.0 is needed by the host: it is the boot VGA device and a framebuffer console uses it'
	host_in_use_pass 'path=0000:00/02.0 vfio=yes' 0000:00:02.0
	has "group 1: vfio refused: $why" "$log"
	lacks 'group 1: held' "$log"
	[[ $(<"$(dev 0000:00:02.0)/driver_override") == '(null)' ]]
	run cat "$FXC/run/iommugrp/boot/group-1"
	has_line 'outcome=refused'
	run --separate-stderr igp apply
	exit_is 4
	err_has "$why"
	run --separate-stderr igp check-config --json
	jq_true ".groups[0].vfio_plan | startswith(\"refused: $why\")"
	run --separate-stderr igp vfio-bind --dry-run 00:02.0
	exit_is 4
	err_has "$why"
	[[ $(<"$(dev 0000:00:02.0)/driver_override") == '(null)' ]]
}

@test "apply --udev: the unbound siblings of a boot NIC the host needs are not held" {
	local log
	host_in_use_pass 'path=0000:00/1f.3 vfio=yes' 0000:00:1f.3
	has 'group 5: vfio refused: 0000:00:1f.6 is needed by the host' "$log"
	lacks 'group 5: held' "$log"
	[[ $(<"$(dev 0000:00:1f.0)/driver_override") == '(null)' ]]
	[[ $(<"$(dev 0000:00:1f.3)/driver_override") == '(null)' ]]
	[[ $(readlink "$(dev 0000:00:1f.6)/driver") == */e1000e ]]
	run --separate-stderr igp check-config --json
	jq_true '.groups[0].vfio_plan | startswith("refused: 0000:00:1f.6 is needed by the host")'
	run --separate-stderr igp apply --unbind
	exit_is 4
	err_has '0000:00:1f.6 is needed by the host'
}

@test "apply --udev: fallback=none with a driver bound refuses the group before any hold" {
	unbind_in_copy 0000:01:01.0
	conf 'path=0000:00/03.0/01.0 vfio=yes fallback=none'
	run --separate-stderr igp apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:01.0
	exit_is 0
	local log
	log=$(cat "$FXC/dev/kmsg")
	has 'group 3: refused (entry /etc/iommugrp.conf:1): vfio' "$log"
	lacks 'group 3: held' "$log"
	[[ $(<"$(dev 0000:01:01.0)/driver_override") == '(null)' ]]
}

# --- boot state in an untrusted /run/iommugrp is never obeyed (issue 21) ----------------------

# forged_state DIR: in DIR, a stamp of this boot and configuration saying the pass is done, and
# a group-3 record saying group 3 was handed over: obeyed, the event would do nothing.
forged_state() {
	mkdir -p "$1"
	printf 'boot_id=%s\ndigest=%s\nconfig=valid\nwhere=root\nstate=done\n' \
		"$(<"$FXC/proc/sys/kernel/random/boot_id")" "$(igc check-config --digest)" >"$1/pass"
	printf 'boot_id=%s\nentry=/etc/iommugrp.conf:1\naction=vfio\noutcome=applied\nfallback=no\ndevices=%s\n' \
		"$(<"$FXC/proc/sys/kernel/random/boot_id")" "0000:00:03.0 0000:01:01.0 0000:01:02.0" >"$1/group-3"
}

# untrusted_pass WHY...: the event runs the boot pass as if no state existed: every WHY is in
# a kmsg line, group 3 is held (vfio-pci cannot load in this fixture: it stays held), and the
# new state is in a trusted directory.
untrusted_pass() {
	local why log
	run --separate-stderr igp apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:01.0
	exit_is 0 || return 1
	log=$(cat "$FXC/dev/kmsg")
	for why in "$@"; do
		has "<11>iommugrp: $why" "$log" || return 1
	done
	has 'group 3: held: 0000:01:01.0 0000:01:02.0 (driver_override vfio-pci)' "$log" || return 1
	[[ $(<"$(dev 0000:01:01.0)/driver_override") == vfio-pci ]] || return 1
	[[ $(stat -c %u:%a "$FXC/run/iommugrp" "$FXC/run/iommugrp/boot") == $'0:700\n0:700' ]] || return 1
	run cat "$FXC/run/iommugrp/boot/group-3"
	has_line 'outcome=refused'
}

@test "apply --udev: a /run/iommugrp owned by another user is refused loudly and moved aside; the pass holds as if no state existed" {
	unbind_in_copy 0000:01:01.0
	unbind_in_copy 0000:01:02.0
	conf 'path=0000:00/03.0/01.0 vfio=yes'
	mkdir -m 0700 -p "$FXC/run/iommugrp"
	forged_state "$FXC/run/iommugrp/boot"
	chown -R 1000 "$FXC/run/iommugrp"
	untrusted_pass 'cannot use /run/iommugrp: it is owned by uid 1000, not by root' \
		'/run/iommugrp is not trusted: moved aside to /run/iommugrp.untrusted-'
	[[ $(stat -c %u "$FXC"/run/iommugrp.untrusted-*/boot/pass) == 1000 ]]
}

@test "apply --udev: a symlinked or world-writable boot/, and forged files not root's, are refused loudly; the pass holds" {
	unbind_in_copy 0000:01:01.0
	unbind_in_copy 0000:01:02.0
	conf 'path=0000:00/03.0/01.0 vfio=yes'
	mkdir -m 0700 -p "$FXC/run/iommugrp"
	forged_state "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$FXC/run/iommugrp/boot"
	untrusted_pass 'cannot use /run/iommugrp/boot: it is a symbolic link' \
		'/run/iommugrp/boot is not trusted: moved aside to /run/iommugrp/boot.untrusted-'
	[[ $(ls "$BATS_TEST_TMPDIR/elsewhere") == $'group-3\npass' ]] # nothing written through it
	# a world-writable boot/
	for dev in 0000:01:01.0 0000:01:02.0; do echo >"$(dev $dev)/driver_override"; done
	rm -rf "$FXC/run/iommugrp" && mkdir -m 0700 "$FXC/run/iommugrp"
	: >"$FXC/dev/kmsg"
	forged_state "$FXC/run/iommugrp/boot"
	chmod 0777 "$FXC/run/iommugrp/boot"
	untrusted_pass 'cannot use /run/iommugrp/boot: it has mode 0777'
	# forged files owned by another user, or writable by others, in trusted directories
	for dev in 0000:01:01.0 0000:01:02.0; do echo >"$(dev $dev)/driver_override"; done
	rm -rf "$FXC/run/iommugrp" && mkdir -m 0700 "$FXC/run/iommugrp"
	: >"$FXC/dev/kmsg"
	forged_state "$FXC/run/iommugrp/boot"
	chmod 0700 "$FXC/run/iommugrp/boot"
	chown 1000 "$FXC/run/iommugrp/boot/pass"
	untrusted_pass 'cannot use /run/iommugrp/boot/pass: it is owned by uid 1000, not by root'
	[[ $(stat -c %u "$FXC/run/iommugrp/boot/pass") == 0 ]] # replaced, not written through
}

@test "apply --udev: a forged group record (others may write it) is not obeyed by a later event" {
	unbind_in_copy 0000:01:01.0
	unbind_in_copy 0000:01:02.0
	conf 'path=0000:00/03.0/01.0 vfio=yes'
	mkdir -m 0700 -p "$FXC/run/iommugrp"
	forged_state "$FXC/run/iommugrp/boot"
	chmod 0700 "$FXC/run/iommugrp/boot"
	chmod 0666 "$FXC/run/iommugrp/boot/group-3"
	run --separate-stderr igp apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:01.0
	exit_is 0
	local log
	log=$(cat "$FXC/dev/kmsg")
	has '<11>iommugrp: cannot use /run/iommugrp/boot/group-3: it has mode 0666: others may write it' "$log"
	has 'new in group 3: converging the group' "$log"
	has 'group 3: held: 0000:01:01.0 0000:01:02.0 (driver_override vfio-pci)' "$log"
}

@test "apply --udev: bad arguments and a device that is not PCI still exit 0" {
	conf 'id=8086:10d3 policy=identity'
	run --separate-stderr igc apply --udev
	exit_is 0
	run --separate-stderr igc apply --udev /devices/platform/nothing --bogus
	exit_is 0
	run --separate-stderr igc apply --udev /devices/virtual/net/lo
	exit_is 0
}

@test "apply --udev: iommugrp.disable=1 on the kernel command line skips everything" {
	conf 'bogus'
	echo "console=ttyS0 iommugrp.disable=1" >"$FXC/proc/cmdline"
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:02.0
	exit_is 0
	[[ ! -s $FXC/dev/kmsg ]]
	[[ ! -e $FXC/run/iommugrp/boot/pass ]]
}

@test "apply --udev: iommugrp.disable is read as the kernel reads it (any blank between, the last wins)" {
	conf 'bogus'
	printf 'console=ttyS0\tiommugrp.disable=1\n' >"$FXC/proc/cmdline"
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:02.0
	exit_is 0
	[[ ! -e $FXC/run/iommugrp/boot/pass ]]
	echo "iommugrp.disable=1 quiet iommugrp.disable=0" >"$FXC/proc/cmdline"
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:02.0
	exit_is 0
	[[ -e $FXC/run/iommugrp/boot/pass ]]
}

@test "apply --udev: a pass that died under the lock is not retried; status reports it" {
	conf 'id=8086:10d3 policy=identity'
	local digest
	digest=$(igc check-config --digest)
	boot_dir
	printf 'boot_id=%s\ndigest=%s\nconfig=valid\nwhere=root\nstate=running\n' \
		"$(<"$FXC/proc/sys/kernel/random/boot_id")" "$digest" >"$FXC/run/iommugrp/boot/pass"
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:02.0
	exit_is 0
	has 'the boot pass of this boot was interrupted: not retried' "$(cat "$FXC/dev/kmsg")"
	grep -q '^state=interrupted$' "$FXC/run/iommugrp/boot/pass"
}

# --- --save ---------------------------------------------------------------------------------

@test "--save: set-policy writes path= + id= in 90-saved.conf, replaces its own line, root 0644" {
	run --separate-stderr igc set-policy 2 DMA-FQ --save
	exit_is 0
	out_has "group 2: saved 'policy=DMA-FQ' in /etc/iommugrp.d/90-saved.conf"
	run --separate-stderr igc set-policy 2 lazy --save
	exit_is 0
	run grep -c '^path=' "$FXC/etc/iommugrp.d/90-saved.conf"
	[[ $output == 1 ]]
	grep -qx 'path=0000:00/02.0 id=8086:10d3 policy=DMA-FQ' "$FXC/etc/iommugrp.d/90-saved.conf"
	[[ $(stat -c '%u %a' "$FXC/etc/iommugrp.d/90-saved.conf") == '0 644' ]]
	ls -a "$FXC/etc/iommugrp.d" | grep -vq tmp
	run --separate-stderr igc check-config
	exit_is 0
	out_has 'group 2: policy=DMA-FQ (/etc/iommugrp.d/90-saved.conf:3)'
}

@test "--save: vfio-bind of a group on vfio-pci saves vfio=yes with its owner; vfio-release --save removes it" {
	fx_copy many-groups
	local group
	group=$(igc -r -n -o GROUP,DRIVER -l | awk '$2 == "vfio-pci" { print $1; exit }')
	[[ -n $group ]]
	mkdir -p "$FXC/dev/vfio/devices"
	# character devices, as the kernel makes them (a regular file there is refused)
	local f
	for f in "$group" devices/vfio0 devices/vfio1; do rm -f "$FXC/dev/vfio/$f"; mknod "$FXC/dev/vfio/$f" c 1 3; done
	run --separate-stderr igc vfio-bind --save --user root "$group"
	exit_is 0
	out_has "saved 'vfio=yes user=root' in /etc/iommugrp.d/90-saved.conf"
	run --separate-stderr igc check-config
	exit_is 0
	out_has "group $group: vfio (/etc/iommugrp.d/90-saved.conf:3)"
	vm_stopped many-groups 4242
	run --separate-stderr igc vfio-release --dry-run --save "$group"
	out_has "would remove 'vfio' from /etc/iommugrp.d/90-saved.conf"
	grep -q 'vfio=yes' "$FXC/etc/iommugrp.d/90-saved.conf"
}

@test "--save --dry-run writes nothing; a failed or refused change saves nothing" {
	run --separate-stderr igc set-policy --dry-run --save 2 identity
	exit_is 0
	out_has "would save 'policy=identity'"
	[[ ! -e $FXC/etc/iommugrp.d/90-saved.conf ]]
	run --separate-stderr igc set-policy --save 3 identity
	exit_is 4
	[[ ! -e $FXC/etc/iommugrp.d/90-saved.conf ]]
}

@test "apply --udev: a configured device the pass did not see (hotplug) converges its group only" {
	unbind_in_copy 0000:01:01.0
	unbind_in_copy 0000:01:02.0
	conf 'path=0000:00/03.0/01.0 vfio=yes
id=8086:10d3 policy=DMA-FQ'
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:01.0
	exit_is 0
	# As if 01:01.0 had been removed before the pass and rescanned after it.
	sed -i 's/^devices=.*/devices=0000:00:03.0 0000:01:02.0/' "$FXC/run/iommugrp/boot/group-3"
	: >"$FXC/dev/kmsg"
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:01.0
	exit_is 0
	run cat "$FXC/dev/kmsg"
	has '<14>iommugrp: 0000:01:01.0: new in group 3: converging the group'
	lacks 'group 2'
	lacks 'boot pass'
	grep -qx 'devices=0000:00:03.0 0000:01:01.0 0000:01:02.0' "$FXC/run/iommugrp/boot/group-3"
	# Recorded now: the next event for it is the fast path.
	: >"$FXC/dev/kmsg"
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:01.0
	[[ ! -s $FXC/dev/kmsg ]]
}

@test "apply --udev: the boot lock is waited for with a bound, then the event gives up and exits 0" {
	conf 'id=8086:10d3 policy=identity'
	boot_dir
	: >"$FXC/run/iommugrp/boot/lock"
	# Another pass holds the lock (flock(1) keeps it for 30 s unless killed).
	flock "$FXC/run/iommugrp/boot/lock" sleep 30 &
	local holder=$!
	local tries=0
	while flock -n "$FXC/run/iommugrp/boot/lock" true && ((tries++ < 500)); do
		sleep 0.01 # until the holder has it
	done
	local start=$EPOCHREALTIME
	IOMMUGRP_LOCK_TIMEOUT=0.5 run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:02.0
	local took
	took=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { print (e - s) < 5 }')
	kill "$holder"
	exit_is 0
	[[ $took == 1 ]]
	has 'cannot take /run/iommugrp/boot/lock within 0.5 s: another iommugrp holds it; the device is left to its drivers' \
		"$(cat "$FXC/dev/kmsg")"
	[[ ! -e $FXC/run/iommugrp/boot/pass ]]
}

@test "apply --udev: past the deadline no group starts; policy holds are released, the pass still ends" {
	unbind_in_copy 0000:01:01.0
	unbind_in_copy 0000:01:02.0
	conf 'path=0000:00/03.0/01.0 policy=DMA'
	IOMMUGRP_DEADLINE=0.001 run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:02.0
	exit_is 0
	run cat "$FXC/dev/kmsg"
	has '<14>iommugrp: group 3: held: 0000:01:01.0 0000:01:02.0 (driver_override iommugrp-hold)'
	has 'group 3: the deadline was reached before this group'
	grep -qx 'state=done' "$FXC/run/iommugrp/boot/pass"
	# refused, or incomplete when releasing the hold trips over the fixture's override file
	# (a regular file: writing "\n" over "iommugrp-hold" does not truncate it as sysfs would).
	grep -qE '^outcome=(refused|incomplete)$' "$FXC/run/iommugrp/boot/group-3"
	grep -q '^reason=the deadline was reached before this group' "$FXC/run/iommugrp/boot/group-3"
	# The type was not touched.
	[[ $(<"$FXC/sys/kernel/iommu_groups/3/type") == DMA-FQ ]]
}

# boot_dir: run/iommugrp/boot as the pass makes it (root's, 0700 each): trusted.
boot_dir() {
	mkdir -p "$FXC/run"
	mkdir -m 0700 -p "$FXC/run/iommugrp"
	mkdir -m 0700 -p "$FXC/run/iommugrp/boot"
}

# state_file GROUP OUTCOME ACTION DEVICES: what a pass of this boot recorded for GROUP.
state_file() {
	boot_dir
	printf 'boot_id=%s\nentry=/etc/iommugrp.conf:1\naction=%s\noutcome=%s\nfallback=no\ndevices=%s\n' \
		"$(<"$FXC/proc/sys/kernel/random/boot_id")" "$3" "$2" "$4" >"$FXC/run/iommugrp/boot/group-$1"
}

# stamp STATE: a pass of this boot with the copy's configuration.
stamp() {
	boot_dir
	printf 'boot_id=%s\ndigest=%s\nconfig=valid\nwhere=root\nstate=%s\n' \
		"$(<"$FXC/proc/sys/kernel/random/boot_id")" "$(igc check-config --digest)" "$1" \
		>"$FXC/run/iommugrp/boot/pass"
}

@test "apply --udev: a recorded name is not enough: a vfio group's device re-added on its native driver converges" {
	conf 'path=0000:00/03.0/01.0 vfio=yes'
	stamp done
	state_file 3 applied vfio "0000:00:03.0 0000:01:01.0 0000:01:02.0"
	# 01:02.0 came back (remove + rescan) and e1000, loaded by now, bound it at once.
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:02.0
	exit_is 0
	has '<14>iommugrp: 0000:01:02.0: new in group 3: converging the group' "$(cat "$FXC/dev/kmsg")"
	# A group the pass could not converge is not retried event by event.
	state_file 3 refused vfio "0000:00:03.0 0000:01:01.0 0000:01:02.0"
	: >"$FXC/dev/kmsg"
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:02.0
	[[ ! -s $FXC/dev/kmsg ]]
	# A policy group's device is settled unless a hold is left on it.
	conf 'path=0000:00/02.0 policy=identity'
	stamp done
	state_file 2 applied policy=identity "0000:00:02.0"
	: >"$FXC/dev/kmsg"
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:02.0
	[[ ! -s $FXC/dev/kmsg ]]
}

@test "apply --udev: after an interrupted pass no later event converges anything this boot" {
	conf 'path=0000:00/03.0/01.0 vfio=yes'
	stamp interrupted
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:01.0
	exit_is 0
	[[ ! -s $FXC/dev/kmsg ]]
	[[ ! -e $FXC/run/iommugrp/boot/group-3 ]]
}

@test "apply --udev: a group with an interrupted operation's journal is left to restore, its journal kept" {
	unbind_in_copy 0000:01:01.0
	unbind_in_copy 0000:01:02.0
	conf 'path=0000:00/03.0/01.0 policy=identity'
	write_journal group-3.journal hold 3 DMA-FQ "$(devline 0000:00:03.0 - -)" \
		"$(devline 0000:01:01.0 - -)" "$(devline 0000:01:02.0 - -)"
	local journal
	journal=$(md5sum <"$FXC/run/iommugrp/group-3.journal")
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:03.0/0000:01:01.0
	exit_is 0
	run cat "$FXC/dev/kmsg"
	has "group 3: an interrupted operation left its journal: run 'iommugrp restore' first"
	lacks 'group 3: held'
	[[ $(md5sum <"$FXC/run/iommugrp/group-3.journal") == "$journal" ]]
	[[ $(<"$(dev 0000:01:01.0)/driver_override") == '(null)' ]]
	run --separate-stderr igc status
	out_has 'interrupted operations: group 3'
}

# boot_pass_killed_then_restored K: the boot pass for group 2 (identity), stopped once its
# journals record K finished steps and killed there (as udevd's timeout would), leaves a
# journal restore can read: restore puts sys/ back as found and removes it.
boot_pass_killed_then_restored() {
	local pid before i
	fx_copy qemu-q35
	mkdir -p "$FXC/etc" "$FXC/dev"
	: >"$FXC/dev/kmsg"
	unbind_in_copy 0000:00:02.0
	conf 'path=0000:00/02.0 policy=identity'
	before=$(sys_sum "$FXC")
	IOMMUGRP_FAULT=stop-after=$1 LD_PRELOAD=$IOMMUGRP_PRELOAD "$IOMMUGRP" --sysroot "$FXC" \
		apply --udev /devices/pci0000:00/0000:00:02.0 </dev/null >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 500; i++)); do
		[[ $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) == T ]] && break
		sleep 0.02
	done
	kill -9 "$pid"
	wait "$pid" || true
	run --separate-stderr igc status
	out_has 'interrupted operations: group 2' || return 1
	run --separate-stderr igp restore </dev/null
	exit_is 0 || return 1
	[[ $(sys_sum "$FXC") == "$before" ]] || { echo "stop-after=$1: sys/ is not as it was" >&2; _dump; return 1; }
	no_journal
}

@test "apply --udev killed after each step of the boot pass: restore reads its journal and puts the group back" {
	for k in 1 2 3 4; do
		boot_pass_killed_then_restored "$k"
	done
}

@test "apply --udev: a dev/kmsg linked out of the --sysroot tree gets no log line" {
	local host=$BATS_TEST_TMPDIR/host-log
	: >"$host"
	rm -f "$FXC/dev/kmsg"
	ln -s "$host" "$FXC/dev/kmsg"
	conf 'bogus'
	run --separate-stderr igc apply --udev /devices/pci0000:00/0000:00:02.0
	exit_is 0
	[[ ! -s $host ]] || { echo "the host file got: $(<"$host")" >&2; false; }
	# udev keeps stderr in its debug log when /dev/kmsg cannot be opened
	err_has 'config refused'
}
