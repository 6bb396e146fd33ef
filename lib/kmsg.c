/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel log records a failed write produced: the kernel's own reason. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "change.h"

/* Opens /dev/kmsg positioned after the newest record; -errno when unreadable (not root). */
int kmsg_open_at_end(const struct iommugrp_ctx *ctx)
{
	int fd = root_open(ctx, "dev/kmsg", O_RDONLY | O_NONBLOCK, 0);

	if (fd < 0)
		return fd;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Appends a record's message (after "prio,seq,time,flags;") to a "; "-joined list. */
static int append_message(char **text, const char *record, size_t len)
{
	const char *msg = memchr(record, ';', len);
	size_t old = *text ? strlen(*text) : 0, mlen;
	char *bigger;

	if (!msg)
		return 0;
	msg++;
	mlen = strcspn(msg, "\n");
	if (mlen > (size_t)(record + len - msg))
		mlen = (size_t)(record + len - msg);
	bigger = realloc(*text, old + mlen + 3);
	if (!bigger)
		return -ENOMEM;
	if (old)
		memcpy(bigger + old, "; ", 2), old += 2;
	memcpy(bigger + old, msg, mlen);
	bigger[old + mlen] = '\0';
	*text = bigger;
	return 0;
}

/* Every record since kmsg_open_at_end(), joined; NULL when there were none. */
char *kmsg_read_new(int fd)
{
	char record[8192], *text = NULL;

	for (int records = 0; fd >= 0 && records < 16; records++) {
		ssize_t n = read(fd, record, sizeof(record) - 1);

		if (n < 0 && errno == EPIPE)
			continue; /* overwritten records: skip to the next */
		if (n <= 0)
			break;
		if (append_message(&text, record, (size_t)n) < 0)
			break;
	}
	return text;
}
