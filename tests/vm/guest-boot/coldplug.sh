# Boots the guest's devices the way Debian's initramfs does (scripts/init-top/udev): Debian's
# systemd-udevd as a daemon, "udevadm trigger" for subsystems then devices, "udevadm settle".
# The drivers are modules udev loads (80-drivers.rules' kmod builtin); the project's rule is
# 05-iommugrp.rules. Before that: the configuration boot-configs/NAME.conf (or none) and
# boot-configs/NAME.setup, if any, run; and a kernel uevent monitor starts, so tests can show
# which driver bound what, in order (/run/vm-boot/uevents).
# Usage (from guest-init): sh coldplug.sh NAME. Prints "# coldplug: ..." timings, PASS/FAIL.
. /tests/guest/lib.sh
name=$1
conf=/tests/boot-configs/$name
state=/run/vm-boot
mkdir -p "$state"

# put_file SRC DEST: root's, mode 0644 (busybox has no install).
put_file() {
	cp "$1" "$2" && chmod 644 "$2" || fail "$name-config-installed" "cannot copy $1 to $2"
}
if [ -f "$conf.conf" ]; then
	put_file "$conf.conf" /etc/iommugrp.conf
fi
if [ -d "$conf.d" ]; then
	mkdir -p /etc/iommugrp.d
	chmod 755 /etc/iommugrp.d
	for f in "$conf.d"/*; do put_file "$f" "/etc/iommugrp.d/${f##*/}"; done
fi
# NAME.setup may change modes, add test rules, or write $state/udevd-args.
if [ -f "$conf.setup" ]; then
	# shellcheck source=/dev/null
	. "$conf.setup"
fi

# uptime_cs: seconds since boot in hundredths (the resolution of /proc/uptime).
uptime_cs() { read -r up _ </proc/uptime; echo $((${up%.*} * 100 + 1${up#*.} - 100)); }
# cs_to_s CS: hundredths as seconds, "1.23".
cs_to_s() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }

# The monitor prints its "KERNEL - the kernel uevent" line once it listens.
udevadm monitor --kernel --property --subsystem-match=pci >"$state/uevents" 2>&1 &
echo $! >"$state/monitor.pid"
if ! wait_until 100 grep -q '^KERNEL - the kernel uevent' "$state/uevents"; then
	fail "$name-uevent-monitor" "udevadm monitor did not start: $(head -c 300 "$state/uevents")"
fi

start=$(uptime_cs)
# As Debian's init-top/udev, at the log level a non-quiet boot uses.
# shellcheck disable=SC2046 # udevd-args holds several words on purpose
SYSTEMD_LOG_LEVEL=info /lib/systemd/systemd-udevd --daemon --resolve-names=never \
	$(cat "$state/udevd-args" 2>/dev/null) >"$state/udevd.out" 2>&1
rc=$?
started=$(uptime_cs)
udevadm trigger --type=subsystems --action=add
udevadm trigger --type=devices --action=add
triggered=$(uptime_cs)
udevadm settle --timeout=300
settle_rc=$?
settled=$(uptime_cs)
echo "$((settled - triggered))" >"$state/settle-cs"
echo "# coldplug ($name): udevd start $(cs_to_s $((started - start))) s, trigger $(cs_to_s $((triggered - started))) s, settle $(cs_to_s $((settled - triggered))) s"

if [ "$rc" -ne 0 ]; then
	fail "$name-udevd-starts" "systemd-udevd --daemon exited $rc: $(tail -n 5 "$state/udevd.out")"
elif [ "$settle_rc" -ne 0 ]; then
	fail "$name-coldplug-settles" "udevadm settle exited $settle_rc"
else
	pass "$name-coldplug-settles"
fi
