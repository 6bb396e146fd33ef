# boots-on: debian-6.1 debian-6.12
# No configuration: udev loads the native drivers, which bind every NIC; the rule never runs
# iommugrp. The coldplug's settle time is the baseline for the boots with a configuration.
. /tests/guest-boot/boot-lib.sh

assert_eq none-e1000e-bound-by-udev e1000e "$(driver_of "$E1000E_BDF")" "driver of $E1000E_BDF"
assert_eq none-e1000-a-bound-by-udev e1000 "$(driver_of "$E1000_A_BDF")" "driver of $E1000_A_BDF"
assert_eq none-e1000-b-bound-by-udev e1000 "$(driver_of "$E1000_B_BDF")" "driver of $E1000_B_BDF"
# udev, not guest-init, loaded them: the image has no /etc/vm-modules in boot mode.
assert_cmd none-modules-loaded-by-udev sh -c '! [ -e /etc/vm-modules ] && [ -d /sys/module/e1000 ] && [ -d /sys/module/e1000e ]'
assert_eq none-e1000-bind-uevents "$E1000_A_BDF e1000
$E1000_B_BDF e1000" "$(bind_uevents | grep ' e1000$')" "kernel bind uevents for e1000"
assert_cmd none-rule-skips-iommugrp sh -c '! dmesg | grep -q "iommugrp:"'
finish
