# Stress: for a bounded number of rounds, three loops run at once on the multi-device group:
#   writer  type writes (identity, DMA, DMA-FQ, auto)
#   remover removes one member (echo 1 > remove) and rescans the bus (the device comes back
#           and its driver probes again: a hot-add while types change), then unbinds it
#   binder  binds and unbinds e1000 on the other member
# Every result must be what the kernel's rules predict, nothing may hang (a round has a
# deadline), and after each round the group must be consistent: all three members back in
# it, the re-added member bound (a probe during a change waits, it is never failed), a type
# that reads back as written. Splats (KASAN, lockdep, WARN, BUG) fail the run in 95-* and on
# the host. The prerequisite backports (kernel/0001-0003) are what make the removal safe.
. /tests/guest/lib.sh
. /tests/guest/kernel-lib.sh
start_clean

# The file must end within the guest's per-file timeout (600 s): a round takes 5-25 s under
# TCG on a loaded host (KASAN and lockdep kernels at the slow end).
ROUNDS=${STRESS_ROUNDS:-5}
ROUND_DEADLINE=60 # seconds
# What each loop may see, by the kernel's rules:
#   claim-based   writes OK or EPERM (EPERM while a member is bound: the loops race), binds
#                 and unbinds always OK (a bind during a change waits for it)
#   single-device writes to a multi-device group always EINVAL
#   patched 6.1   also EBUSY (a member mid-probe, mid-bind or mid-unbind: kernel/0005
#                 tries every member's device lock)
if [ "$RULES" = claim-based ]; then writes_ok='OK EPERM'; else writes_ok='EINVAL'; fi
[ "$PATCHED" = 1 ] && writes_ok="$writes_ok EBUSY"

# only_results NAME FILE ALLOWED...: fails NAME if FILE holds a result not in ALLOWED.
only_results() {
	local name=$1 file=$2 bad
	shift 2
	bad=$(sort "$file" | uniq -c | while read -r n r; do
		case " $* " in *" $r "*) ;; *) echo "$n x $r" ;; esac
	done)
	[ -z "$bad" ] && return
	fail "$name" "unexpected results in $(basename "$file"): $(echo $bad)"
	return 1
}

writer() {
	local i=0 t
	while [ $i -lt 2 ]; do
		for t in identity DMA DMA-FQ auto; do
			sysfs_write "$GROUPS_DIR/$MULTI/type" "$t"
		done
		i=$((i + 1))
	done >>/tmp/stress-writes
}

remover() {
	{
		sysfs_write "$PCI_DIR/$E1000_B_BDF/remove" 1
		sysfs_write "$SYS/bus/pci/rescan" 1
	} >>/tmp/stress-hotplug
	# The rescan probed the re-added device synchronously: it must be bound again.
	echo "$(driver_of "$E1000_B_BDF")" >>/tmp/stress-readded
	if [ -n "$(driver_of "$E1000_B_BDF")" ]; then
		sysfs_write "$SYS/bus/pci/drivers/e1000/unbind" "$E1000_B_BDF" >>/tmp/stress-hotplug
	fi
}

binder() {
	local i=0
	while [ $i -lt 2 ]; do
		sysfs_write "$SYS/bus/pci/drivers/e1000/bind" "$E1000_A_BDF"
		sysfs_write "$SYS/bus/pci/drivers/e1000/unbind" "$E1000_A_BDF"
		# Unbound for a while, so that type writes get through and really change the
		# domain while the other member comes and goes.
		usleep 300000
		i=$((i + 1))
	done >>/tmp/stress-binds
}

# round_consistent R: after round R (all loops done, both e1000 unbound), the group holds
# the bridge and both e1000, nothing is bound, and a write of the boot type does what the
# rules say and reads back.
round_consistent() {
	local members want got
	members=$(echo $(group_members "$MULTI"))
	want=$(echo $(printf '%s\n' "$BRIDGE_BDF" "$E1000_A_BDF" "$E1000_B_BDF" | sort))
	[ "$members" = "$want" ] || { echo "members '$members', expected '$want'"; return 1; }
	[ "$(group_of "$E1000_B_BDF")" = "$MULTI" ] || { echo "re-added member in group $(group_of "$E1000_B_BDF")"; return 1; }
	[ -z "$(driver_of "$E1000_A_BDF")$(driver_of "$E1000_B_BDF")" ] ||
		{ echo "drivers still bound: '$(driver_of "$E1000_A_BDF")' '$(driver_of "$E1000_B_BDF")'"; return 1; }
	case $(group_type "$MULTI") in identity | DMA | DMA-FQ) ;; *) echo "type reads '$(group_type "$MULTI")'"; return 1 ;; esac
	if [ "$RULES" = claim-based ]; then want=OK; else want=EINVAL; fi
	got=$(sysfs_write "$GROUPS_DIR/$MULTI/type" "$BOOT_TYPE")
	[ "$got" = "$want" ] || { echo "writing $BOOT_TYPE with nothing bound: $got, expected $want"; return 1; }
	[ "$want" = EINVAL ] || [ "$(group_type "$MULTI")" = "$BOOT_TYPE" ] ||
		{ echo "type reads '$(group_type "$MULTI")' after writing $BOOT_TYPE"; return 1; }
	if [ "$HAS_DMA_OWNER" = 1 ] && [ "$(cat "$GROUPS_DIR/$MULTI/dma_owner")" != none ]; then
		echo "dma_owner reads '$(cat "$GROUPS_DIR/$MULTI/dma_owner")' with nothing bound"
		return 1
	fi
}

unbind_multi
rm -f /tmp/stress-*
: >/tmp/stress-writes
: >/tmp/stress-hotplug
: >/tmp/stress-readded
: >/tmp/stress-binds
r=0 hung=0 inconsistent=
start=$(date +%s)
while [ $r -lt "$ROUNDS" ]; do
	writer &
	w=$!
	remover &
	m=$!
	binder &
	b=$!
	deadline=$(($(date +%s) + ROUND_DEADLINE))
	while kill -0 $w 2>/dev/null || kill -0 $m 2>/dev/null || kill -0 $b 2>/dev/null; do
		[ "$(date +%s)" -lt $deadline ] || break
		usleep 100000
	done
	if kill -0 $w 2>/dev/null || kill -0 $m 2>/dev/null || kill -0 $b 2>/dev/null; then
		hung=1
		fail claim-stress-no-hang "round $r still running after $ROUND_DEADLINE s: $(ps | grep -e 'sh -' | head -n 5 | tr '\n' ' ')"
		break
	fi
	wait
	# A re-added member that was not bound when the remover looked may bind later (never,
	# if its probe failed): unbind whatever is bound before the consistency check.
	unbind_multi
	why=$(round_consistent) || { inconsistent="round $r: $why"; break; }
	r=$((r + 1))
done
echo "# $r rounds in $(($(date +%s) - start)) s; type writes: $(sort /tmp/stress-writes | uniq -c | tr '\n' ' ')"
echo "# hot-plug: $(sort /tmp/stress-hotplug | uniq -c | tr '\n' ' '); binds/unbinds: $(sort /tmp/stress-binds | uniq -c | tr '\n' ' ')"
echo "# driver of the re-added member after each rescan: $(sort /tmp/stress-readded | uniq -c | tr '\n' ' ')"

[ "$hung" = 1 ] || pass claim-stress-no-hang
if [ -n "$inconsistent" ]; then fail claim-stress-group-consistent "$inconsistent"; else pass claim-stress-group-consistent; fi
assert_eq claim-stress-rounds "$ROUNDS" "$r" "rounds completed"
# shellcheck disable=SC2086
only_results claim-stress-type-writes /tmp/stress-writes $writes_ok && pass claim-stress-type-writes
only_results claim-stress-binds /tmp/stress-binds OK && pass claim-stress-binds
only_results claim-stress-hotplug /tmp/stress-hotplug OK && pass claim-stress-hotplug
only_results claim-stress-readded-bound /tmp/stress-readded e1000 && pass claim-stress-readded-bound

restore_all
assert_eq claim-stress-restored "$BOOT_TYPE e1000 e1000" \
	"$(group_type "$MULTI") $(driver_of "$E1000_A_BDF") $(driver_of "$E1000_B_BDF")" "type drivers"
finish
