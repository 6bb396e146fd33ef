# boots-on: on-request
# Timings for the report, under TCG (vmcheck --kernel 6.12 --only boot-bench): the udev hook's
# cost per event for a device no entry names, beside spawning /bin/true; and the per-device
# handoff to vfio-pci by driverctl (set-override, what its driverctl@.service runs at boot)
# beside iommugrp's (vfio-bind of the bridge's group, per device). Each is checked to have
# done its work; the numbers are "# bench:" lines. /proc/uptime gives hundredths: loops.
. /tests/guest-boot/boot-lib.sh
. /tests/guest/ops-lib.sh
have_iommugrp boot-bench || exit 1
uptime_cs() { read -r up _ </proc/uptime; echo $((${up%.*} * 100 + 1${up#*.} - 100)); }
# per_run_ms CS RUNS: hundredths for RUNS runs as milliseconds per run, "12.3".
per_run_ms() { local us=$(($1 * 10000 / $2)); printf '%d.%d' $((us / 1000)) $((us % 1000 / 100)); }

runs=50
ich9=/devices/pci0000:00/0000:00:1f.2
start=$(uptime_cs)
i=0
while [ $i -lt $runs ]; do /bin/true; i=$((i + 1)); done
true_cs=$(($(uptime_cs) - start))
start=$(uptime_cs)
i=0
while [ $i -lt $runs ]; do /usr/bin/iommugrp apply --udev "$ich9"; i=$((i + 1)); done
hook_cs=$(($(uptime_cs) - start))
echo "# bench: per event, a device no entry names: iommugrp apply --udev $(per_run_ms "$hook_cs" $runs) ms, /bin/true $(per_run_ms "$true_cs" $runs) ms ($runs runs each, TCG)"
assert_cmd bench-hook-fast-path-logs-nothing sh -c "! dmesg | grep -q 'iommugrp:.*1f.2'"

group=$(group_of "$BRIDGE_BDF")
cycles=5
# driverctl: one device at a time, as its boot unit does.
drv_cs=0 ok=yes
c=0
while [ $c -lt $cycles ]; do
	for d in "$E1000_A_BDF" "$E1000_B_BDF"; do
		start=$(uptime_cs)
		driverctl --nosave set-override "$d" vfio-pci >/dev/null 2>&1 || ok=no
		drv_cs=$((drv_cs + $(uptime_cs) - start))
		[ "$(driver_of "$d")" = vfio-pci ] || ok=no
	done
	for d in "$E1000_A_BDF" "$E1000_B_BDF"; do
		driverctl --nosave unset-override "$d" >/dev/null 2>&1 || ok=no
	done
	wait_until 50 sh -c "[ \"\$(basename \"\$(readlink '$PCI_DIR/$E1000_B_BDF/driver')\")\" = e1000 ]" || ok=no
	c=$((c + 1))
done
assert_eq bench-driverctl-hands-over yes "$ok" "every set-override ended on vfio-pci, every unset on e1000"
ig_cs=0 ok=yes
c=0
while [ $c -lt $cycles ]; do
	start=$(uptime_cs)
	iommugrp vfio-bind "$group" >/dev/null 2>&1 || ok=no
	ig_cs=$((ig_cs + $(uptime_cs) - start))
	[ "$(driver_of "$E1000_A_BDF")" = vfio-pci ] && [ "$(driver_of "$E1000_B_BDF")" = vfio-pci ] || ok=no
	iommugrp vfio-release "$group" >/dev/null 2>&1 || ok=no
	c=$((c + 1))
done
assert_eq bench-iommugrp-hands-over yes "$ok" "every vfio-bind ended on vfio-pci"
echo "# bench: per device to vfio-pci: driverctl set-override $(per_run_ms "$drv_cs" $((cycles * 2))) ms, iommugrp vfio-bind $(per_run_ms "$ig_cs" $((cycles * 2))) ms (group of 2 NICs + bridge, $cycles cycles, TCG)"
finish
