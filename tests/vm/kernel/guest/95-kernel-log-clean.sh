# Nothing in the kernel log since boot warns: no WARN, BUG, lockdep report, sleep in
# atomic context, hung task or DMAR fault. On kernels with lockdep (the iommugrp test
# kernel), lockdep must still be active at the end (it turns itself off after a report).
. /tests/guest/lib.sh

splats=$(dmesg | grep -E -e 'WARNING:|BUG:|Oops|general protection|Call Trace' \
	-e 'possible circular locking|possible recursive locking|inconsistent lock state|lock held when returning|suspicious RCU usage' \
	-e 'sleeping function called from invalid context|INFO: task .* blocked' \
	-e 'DMAR: \[DMA (Read|Write)|DMAR:.*[Ff]ault|INTR-REMAP' \
	-e 'iommu driver failed')
assert_eq kernel-log-clean "" "$(echo "$splats" | head -n 20)" "kernel log"
if [ -r /proc/lockdep_stats ]; then
	assert_eq kernel-lockdep-active 1 "$(awk '/debug_locks:/ {print $2}' /proc/lockdep_stats)" "debug_locks"
fi
finish
