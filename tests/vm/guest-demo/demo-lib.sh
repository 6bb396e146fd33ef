# Shared by the demo scripts (guest-demo/demo.sh, guest-demo/boot.sh): each step prints the
# command as "$ ..." and then its real output.

# step COMMAND...: shows and runs a command; a failing iommugrp command fails the demo.
STEP_FAILED=0
step() {
	echo "\$ $*"
	"$@" 2>&1
	rc=$?
	[ $rc -eq 0 ] || echo "(exit status $rc)"
	echo
	return $rc
}
# shell_step "COMMAND LINE": the same for a line with redirections (shown as typed).
shell_step() {
	echo "\$ $1"
	sh -c "$1" 2>&1
	rc=$?
	[ $rc -eq 0 ] || echo "(exit status $rc)"
	echo
	return $rc
}
say() { printf '# %s\n' "$@"; }
must() { "$@" || STEP_FAILED=$((STEP_FAILED + 1)); }
# show_frames_move: DMA works: frames between the e1000e and the e1000 on QEMU's hub.
show_frames_move() {
	if why=$(frames_move "$E1000E_BDF" "$E1000_A_BDF"); then
		echo "frames moved"
	else
		echo "frames did not move: $why"
		STEP_FAILED=$((STEP_FAILED + 1))
	fi
	echo
}
