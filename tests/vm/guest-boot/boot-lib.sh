# Helpers for guest-boot/boot-*.sh (the boots with Debian's udevd; coldplug.sh ran first).
. /tests/guest/lib.sh
BOOT_STATE=/run/vm-boot

# pci_uevents: the kernel's PCI uevents since before coldplug, one "ACTION BDF DRIVER" line
# each, in order (DRIVER empty where the event has none), from udevadm monitor's records.
pci_uevents() {
	awk 'BEGIN { RS = "" }
		/(^|\n)ACTION=/ {
			action = dev = drv = ""
			n = split($0, lines, "\n")
			for (i = 1; i <= n; i++) {
				if (lines[i] ~ /^ACTION=/) action = substr(lines[i], 8)
				else if (lines[i] ~ /^DEVPATH=/) { dev = lines[i]; sub(/.*\//, "", dev) }
				else if (lines[i] ~ /^DRIVER=/) drv = substr(lines[i], 8)
			}
			print action, dev, drv
		}' "$BOOT_STATE/uevents"
}
# bind_uevents: "BDF DRIVER" of every bind uevent, in order.
bind_uevents() { pci_uevents | awk '$1 == "bind" { print $2, $3 }'; }
# driver_history BDF: the device's bind/unbind uevents in order, "bind:e1000 unbind bind:vfio-pci".
driver_history() {
	pci_uevents | awk -v bdf="$1" '$2 == bdf && $1 == "bind" { printf "%sbind:%s", sep, $3; sep = " " }
		$2 == bdf && $1 == "unbind" { printf "%sunbind", sep; sep = " " } END { print "" }'
}
# settle_seconds: how long coldplug's "udevadm settle" took.
settle_seconds() { local cs; cs=$(cat "$BOOT_STATE/settle-cs"); printf '%d.%02d' $((cs / 100)) $((cs % 100)); }
# iommugrp_log: the lines iommugrp wrote to the kernel log (prefix "iommugrp:").
iommugrp_log() { dmesg | grep 'iommugrp:'; }
