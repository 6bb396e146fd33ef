// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-holder: hold an IOMMU group the way a VMM does, for VM tests.
 *
 * Opens /dev/vfio/vfio and /dev/vfio/<group>, checks the group is viable,
 * and attaches the group to the container (VFIO_GROUP_SET_CONTAINER), which
 * claims the group's DMA ownership in the kernel (owner_cnt != 0): from then
 * on no kernel driver can bind to a member and, on 6.4+ or a patched 6.1,
 * writing the group's "type" fails with EPERM. Opening the group alone does
 * not claim it.
 *
 * Usage: vfio-holder <group-number|/dev/vfio/N> [seconds]
 *   Prints "held <N>" on stdout (flushed) once the claim is in place, then
 *   holds it until SIGTERM/SIGINT, until stdin reaches EOF when it is a pipe,
 *   or for <seconds> if given. Exit 0 after a clean release, 1 on error
 *   (message on stderr, with the errno name).
 *
 * Built statically by tests/vm/kernel/build: the guest has only busybox.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vfio.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int fail(const char *what)
{
	int e = errno;

	fprintf(stderr, "vfio-holder: %s: %s (errno %d)\n", what, strerror(e), e);
	return 1;
}

int main(int argc, char **argv)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct sigaction sa = { .sa_handler = on_signal };
	char path[64];
	const char *arg;
	long seconds = -1;
	int container, group;
	struct stat st;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s <group-number|/dev/vfio/N> [seconds]\n", argv[0]);
		return 2;
	}
	arg = argv[1];
	if (strncmp(arg, "/dev/vfio/", 10) == 0)
		arg += 10;
	snprintf(path, sizeof(path), "/dev/vfio/%s", arg);
	if (argc == 3)
		seconds = strtol(argv[2], NULL, 10);

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		return fail("open /dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		fprintf(stderr, "vfio-holder: unknown VFIO API version\n");
		return 1;
	}
	group = open(path, O_RDWR | O_CLOEXEC);
	if (group < 0)
		return fail(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status))
		return fail("VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fprintf(stderr,
			"vfio-holder: group %s is not viable (a member is bound to a kernel "
			"driver)\n",
			arg);
		return 1;
	}
	/* This is the call that claims DMA ownership of the group. */
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		return fail("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail("VFIO_SET_IOMMU");

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	printf("held %s\n", arg);
	fflush(stdout);

	if (seconds >= 0)
		alarm(seconds > 0 ? (unsigned int)seconds : 1);
	if (fstat(0, &st) == 0 && S_ISFIFO(st.st_mode) && seconds < 0) {
		char c;

		/* Hold until the parent closes our stdin (or signals us). */
		while (!stop) {
			ssize_t n = read(0, &c, 1);

			if (n == 0 || (n < 0 && errno != EINTR))
				break;
		}
	} else {
		while (!stop)
			pause();
	}

	if (ioctl(group, VFIO_GROUP_UNSET_CONTAINER))
		return fail("VFIO_GROUP_UNSET_CONTAINER");
	close(group);
	close(container);
	return 0;
}
