/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt qemu hook (/etc/libvirt/hooks/qemu.d/iommugrp): whole IOMMU groups for the PCI
 * <hostdev managed='no'> devices of a domain.
 *
 * libvirt runs every file in qemu.d as  HOOK DOMAIN OPERATION SUB-OPERATION EXTRA  with the
 * domain's XML on stdin, and treats the hook's stdout as a replacement XML (empty: keep it),
 * so this program never writes to stdout. On "prepare begin" it hands the group of every such
 * hostdev to vfio-pci with the same plans, checks and journal as `iommugrp vfio-bind`; a
 * refusal or failure exits non-zero with the reason on stderr, which libvirt puts in its
 * error and the domain does not start. On "release end" it gives back the groups that
 * "prepare begin" took (recorded in /run/iommugrp/libvirt/UUID.groups), each to the drivers
 * it had. managed='yes' devices are libvirt's own business and are left to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "iommugrp.h"

/* The exit statuses of iommugrp(8), so that libvirt's log reads the same. */
enum {
	EXIT_OK,
	EXIT_ERROR,
	EXIT_USAGE,
	EXIT_NOT_FOUND,
	EXIT_REFUSED,
	EXIT_ROLLED_BACK,
	EXIT_INCOMPLETE
};

#define PCI_HOSTDEVS "/domain/devices/hostdev[@mode='subsystem' and @type='pci']"
#define MAX_GROUPS 64
#define MAX_XML (16u << 20) /* a domain XML is kilobytes; refuse to buffer without bound */

struct hook {
	const char *sysroot; /* NULL: the running system */
	bool dry_run;
	const char *domain;
	char uuid[64];
	struct iommugrp_ctx *ctx;
	/* Groups of the domain's unmanaged PCI hostdevs, each with the first hostdev naming it. */
	struct iommugrp_group *groups[MAX_GROUPS];
	char hostdev[MAX_GROUPS][16];
	unsigned int ngroups;
};

/*
 * What the hook says goes to stderr, which libvirt puts in the error of a domain that does
 * not start, and to syslog (LOG_DAEMON, ident iommugrp-libvirt: the journal), since
 * libvirt drops the stderr of a hook that succeeds; successes go only to syslog, and
 * with --sysroot (another root, tests) to stderr too. --dry-run logs nothing.
 */
static void vlog(const struct hook *h, int priority, const char *format, va_list args)
{
	char *message = NULL;

	if (vasprintf(&message, format, args) < 0)
		message = NULL;
	if (priority <= LOG_WARNING || h->sysroot)
		fprintf(stderr, "iommugrp: domain '%s': %s\n", h->domain ? h->domain : "?",
			message ? message : format);
	if (!h->dry_run)
		syslog(priority, "domain '%s': %s", h->domain ? h->domain : "?",
		       message ? message : format);
	free(message);
}

static void say(const struct hook *h, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct hook *h, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vlog(h, LOG_ERR, format, args);
	va_end(args);
}

static void note(const struct hook *h, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
static void note(const struct hook *h, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vlog(h, LOG_INFO, format, args);
	va_end(args);
}

static void log_to_stderr(void *data, int priority, const char *file, int line, const char *fn,
			  const char *format, va_list args)
{
	const struct hook *h = data;
	va_list copy;

	(void)file, (void)line, (void)fn;
	va_copy(copy, args);
	fprintf(stderr, "iommugrp: %s: ", priority <= LOG_ERR ? "error" : "warning");
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	if (!h->dry_run)
		vsyslog(priority, format, copy);
	va_end(copy);
}

/* All of stdin: libvirt writes the whole XML and must never block on a hook that stopped reading. */
static char *read_stdin(size_t *ret_len)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size);
	ssize_t n;

	while (buf && (n = read(STDIN_FILENO, buf + len, size - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return NULL;
		}
		len += (size_t)n;
		if (len == size) {
			char *bigger = size < MAX_XML ? realloc(buf, size * 2) : NULL;

			if (!bigger) {
				free(buf);
				errno = E2BIG;
				return NULL;
			}
			buf = bigger;
			size *= 2;
		}
	}
	*ret_len = len;
	return buf;
}

static char *node_attribute(xmlNode *node, const char *name)
{
	xmlChar *value = node ? xmlGetProp(node, (const xmlChar *)name) : NULL;
	char *copy = value ? strdup((const char *)value) : NULL;

	xmlFree(value);
	return copy;
}

/* <address domain='0x0000' bus='0x01' slot='0x01' function='0x0'/> as "0000:01:01.0". */
static int address_to_bdf(xmlNode *address, char *bdf, size_t size)
{
	const char *names[] = { "domain", "bus", "slot", "function" };
	unsigned long v[4];
	const unsigned long max[] = { 0xffff, 0xff, 0x1f, 0x7 };

	for (int i = 0; i < 4; i++) {
		char *s = node_attribute(address, names[i]), *end;

		/* libvirt allows the domain to be left out (0); the others are required. */
		if (!s && i == 0) {
			v[i] = 0;
			continue;
		}
		errno = 0;
		v[i] = s ? strtoul(s, &end, 0) : 0;
		if (!s || errno || end == s || *end || v[i] > max[i]) {
			free(s);
			return -EINVAL;
		}
		free(s);
	}
	snprintf(bdf, size, "%04lx:%02lx:%02lx.%lx", v[0], v[1], v[2], v[3]);
	return 0;
}

static xmlNode *first_child(xmlNode *node, const char *name)
{
	for (xmlNode *c = node ? node->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlStrcmp(c->name, (const xmlChar *)name) == 0)
			return c;
	return NULL;
}

static int add_group(struct hook *h, const char *bdf)
{
	struct iommugrp_group *group = NULL;
	int r = iommugrp_group_new_from_target(h->ctx, bdf, &group, NULL);

	if (r < 0) {
		say(h, "hostdev %s: %s", bdf,
		    r == -ENOENT   ? "no such PCI device"
		    : r == -ENODEV ? "the device is in no IOMMU group (is the IOMMU on?)"
				   : strerror(-r));
		return r == -ENOENT || r == -ENODEV ? EXIT_NOT_FOUND : EXIT_ERROR;
	}
	for (unsigned int i = 0; i < h->ngroups; i++)
		if (h->groups[i] == group) {
			iommugrp_group_unref(group);
			return EXIT_OK;
		}
	if (h->ngroups == MAX_GROUPS) {
		iommugrp_group_unref(group);
		say(h, "more than %d IOMMU groups in one domain", MAX_GROUPS);
		return EXIT_ERROR;
	}
	snprintf(h->hostdev[h->ngroups], sizeof(h->hostdev[0]), "%s", bdf);
	h->groups[h->ngroups++] = group;
	return EXIT_OK;
}

/*
 * The domain's UUID and, with @want_groups, the groups of its <hostdev mode='subsystem'
 * type='pci' managed='no'> (release needs only the UUID: a device may be gone by then).
 */
static int parse_domain(struct hook *h, const char *xml, size_t len, bool want_groups)
{
	xmlDoc *doc;
	xmlXPathContext *xpath;
	xmlXPathObject *found = NULL;
	int status = EXIT_OK, nhostdevs;

	/*
	 * libvirt writes no DTD: a document type or an entity declaration is refused before
	 * libxml2 sees it, so no entity is ever expanded (a quadratic-blowup entity in a few
	 * hundred KiB would grow to gigabytes). Entities are not substituted either (no
	 * XML_PARSE_NOENT), nor anything fetched (XML_PARSE_NONET).
	 */
	if (memmem(xml, len, "<!DOCTYPE", 9) || memmem(xml, len, "<!ENTITY", 8)) {
		say(h, "the domain XML has a document type or entity declaration: refused "
		       "(libvirt writes none)");
		return EXIT_ERROR;
	}
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc && (doc->intSubset || doc->extSubset)) {
		say(h, "the domain XML has a document type: refused (libvirt writes none)");
		xmlFreeDoc(doc);
		return EXIT_ERROR;
	}
	xpath = doc ? xmlXPathNewContext(doc) : NULL;
	if (!xpath) {
		const xmlError *e = xmlGetLastError();
		const char *message = e && e->message ? e->message : "not XML";

		/* libxml2's messages end in a newline. */
		say(h, "cannot parse the domain XML on stdin: %.*s", (int)strcspn(message, "\n"),
		    message);
		xmlFreeDoc(doc);
		return EXIT_ERROR;
	}
	found = xmlXPathEvalExpression((const xmlChar *)"/domain/uuid", xpath);
	if (found && found->nodesetval && found->nodesetval->nodeNr == 1) {
		xmlChar *uuid = xmlNodeGetContent(found->nodesetval->nodeTab[0]);

		snprintf(h->uuid, sizeof(h->uuid), "%s", uuid ? (const char *)uuid : "");
		xmlFree(uuid);
	}
	xmlXPathFreeObject(found);
	/* The UUID names a file: only what libvirt's UUIDs are made of. */
	if (!h->uuid[0] || strspn(h->uuid, "0123456789abcdefABCDEF-") != strlen(h->uuid)) {
		say(h, "the domain XML has no valid <uuid>");
		status = EXIT_ERROR;
	}
	found = xmlXPathEvalExpression((const xmlChar *)PCI_HOSTDEVS, xpath);
	nhostdevs = want_groups && found && found->nodesetval ? found->nodesetval->nodeNr : 0;
	for (int i = 0; status == EXIT_OK && i < nhostdevs; i++) {
		xmlNode *hostdev = found->nodesetval->nodeTab[i];
		xmlNode *address = first_child(first_child(hostdev, "source"), "address");
		char *managed = node_attribute(hostdev, "managed");
		char bdf[16];

		if (address_to_bdf(address, bdf, sizeof(bdf)) < 0) {
			say(h, "a PCI <hostdev> has no valid <source><address>");
			status = EXIT_ERROR;
		} else if (managed && strcmp(managed, "yes") == 0) {
			/* libvirt detaches and reattaches these itself: two owners would fight. */
			continue;
		} else {
			status = add_group(h, bdf);
		}
		free(managed);
	}
	xmlXPathFreeObject(found);
	xmlXPathFreeContext(xpath);
	xmlFreeDoc(doc);
	return status;
}

/* --- the record of what prepare took, for release ------------------------------------------ */

/*
 * run/iommugrp/libvirt below the sysroot, opened one directory at a time without following
 * a symlink, and trusted as iommugrp trusts its journal directory: a real directory, the
 * caller's (root's), closed to others; root writes there, so a directory someone else
 * controls could redirect those writes or plant a record. Returns the fd, -ENOENT when it
 * is not there (and @create is false), or -errno with *ret_reason saying why.
 */
static int state_dir_open(const struct hook *h, bool create, const char **ret_reason)
{
	static const struct {
		const char *name;
		mode_t mode;
		bool trusted;
	} dirs[] = { { "run", 0755, false }, { "iommugrp", 0700, true }, { "libvirt", 0700, true } };
	int fd = open(h->sysroot ? h->sysroot : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int err = fd < 0 ? errno : 0;

	*ret_reason = NULL;
	for (size_t i = 0; fd >= 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct stat st;
		int next = -1;

		if (create && mkdirat(fd, dirs[i].name, dirs[i].mode) < 0 && errno != EEXIST)
			err = errno;
		else if ((next = openat(fd, dirs[i].name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			err = errno;
		if (next < 0 && (err == ELOOP || err == ENOTDIR)) {
			*ret_reason = "it is a symbolic link or not a directory";
			err = EPERM;
		} else if (next >= 0 && dirs[i].trusted && fstat(next, &st) == 0 &&
			   ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 0077))) {
			*ret_reason = st.st_mode & 0077 ? "others may write or read it (it must be "
							  "0700)"
							: "it is not owned by root";
			close(next);
			next = -1;
			err = EPERM;
		}
		close(fd);
		fd = next;
	}
	return fd < 0 ? -err : fd;
}

static void state_name(const struct hook *h, char *name, size_t size, const char *suffix)
{
	snprintf(name, size, "%s.groups%s", h->uuid, suffix);
}

/* Says why run/iommugrp/libvirt/UUID.groups could not be WHAT (read, written, removed). */
static void say_state_error(const struct hook *h, const char *what, int r, const char *reason)
{
	say(h, "cannot %s /run/iommugrp/libvirt/%s.groups: %s", what, h->uuid,
	    reason ? reason : strerror(-r));
}

/* Written aside and renamed: a release never reads half a record. */
static int write_state(const struct hook *h, const unsigned int *numbers, unsigned int n)
{
	char name[128], tmp[128];
	const char *reason;
	int dirfd = state_dir_open(h, true, &reason), fd, r = 0;
	FILE *f;

	if (dirfd < 0) {
		say_state_error(h, "write", dirfd, reason);
		return dirfd;
	}
	state_name(h, name, sizeof(name), "");
	state_name(h, tmp, sizeof(tmp), ".tmp");
	/* A leftover of a crash (or anything planted) is removed, never written through. */
	if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
		r = -errno;
	fd = r < 0 ? r
		   : openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		r = r < 0 ? r : -errno;
		if (fd >= 0)
			close(fd);
	} else {
		for (unsigned int i = 0; i < n; i++)
			fprintf(f, "%u\n", numbers[i]);
		if (fflush(f) != 0 || fsync(fd) != 0)
			r = -errno;
		if (fclose(f) != 0 && r == 0)
			r = -errno;
		if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
			r = -errno;
		if (r < 0)
			unlinkat(dirfd, tmp, 0);
	}
	close(dirfd);
	if (r < 0)
		say_state_error(h, "write", r, NULL);
	return r;
}

/* The groups prepare took; 0 groups when there is no record. */
static int read_state(const struct hook *h, unsigned int *numbers, unsigned int *ret_n)
{
	char name[128];
	unsigned int n = 0, number;
	const char *reason;
	int dirfd = state_dir_open(h, false, &reason), fd;
	struct stat st;
	FILE *f;

	*ret_n = 0;
	if (dirfd == -ENOENT)
		return 0;
	if (dirfd < 0) {
		say_state_error(h, "read", dirfd, reason);
		return dirfd;
	}
	state_name(h, name, sizeof(name), "");
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dirfd);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		say_state_error(h, "read", -EINVAL, "it is not a regular file");
		return -EINVAL;
	}
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		int r = -errno;

		if (fd >= 0)
			close(fd);
		say_state_error(h, "read", r, NULL);
		return r;
	}
	while (n < MAX_GROUPS && fscanf(f, "%u", &number) == 1)
		numbers[n++] = number;
	fclose(f);
	*ret_n = n;
	return 0;
}

/* Removes the record (release gave everything back). */
static int remove_state(const struct hook *h)
{
	char name[128];
	const char *reason;
	int dirfd = state_dir_open(h, false, &reason), r = 0;

	if (dirfd == -ENOENT)
		return 0;
	if (dirfd < 0) {
		say_state_error(h, "remove", dirfd, reason);
		return dirfd;
	}
	state_name(h, name, sizeof(name), "");
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) {
		r = -errno;
		say_state_error(h, "remove", r, NULL);
	}
	close(dirfd);
	return r;
}

/* --- prepare begin / release end ------------------------------------------------------------- */

static void say_reason(const struct hook *h, unsigned int number, const char *hostdev,
		       const char *what, const char *reason)
{
	char via[40] = "";

	if (hostdev)
		snprintf(via, sizeof(via), " (hostdev %s)", hostdev);
	if (reason && strchr(reason, '\n')) {
		say(h, "group %u%s: %s:", number, via, what);
		for (const char *line = reason; *line;) {
			int len = (int)strcspn(line, "\n");

			fprintf(stderr, "  %.*s\n", len, line);
			line += len + (line[len] == '\n');
		}
	} else {
		say(h, "group %u%s: %s: %s", number, via, what, reason ? reason : "unknown reason");
	}
}

static void print_plan(const struct hook *h, const struct iommugrp_change *change,
		       unsigned int number, const char *aim)
{
	unsigned int n = iommugrp_change_get_step_count(change);

	say(h, "group %u: to %s, would write:", number, aim);
	for (unsigned int i = 0; i < n; i++) {
		enum iommugrp_step_kind kind;
		const char *device, *driver, *path, *value;

		iommugrp_change_get_step(change, i, &kind, &device, &driver, &path, &value);
		fprintf(stderr, "  %u. write '%s' to /%s\n", i + 1,
			strcmp(value, "\n") ? value : "\\n", path);
	}
}

static int outcome_status(const struct iommugrp_change *change)
{
	switch (iommugrp_change_get_outcome(change)) {
	case IOMMUGRP_OUTCOME_DONE:
	case IOMMUGRP_OUTCOME_UNCHANGED:
	case IOMMUGRP_OUTCOME_PLANNED:
		return EXIT_OK;
	case IOMMUGRP_OUTCOME_REFUSED:
		return EXIT_REFUSED;
	case IOMMUGRP_OUTCOME_ROLLED_BACK:
		return EXIT_ROLLED_BACK;
	case IOMMUGRP_OUTCOME_INCOMPLETE:
		return EXIT_INCOMPLETE;
	}
	return EXIT_ERROR;
}

/* Applies a planned change and says what went wrong; returns an exit status. */
static int apply_change(const struct hook *h, struct iommugrp_change *change, unsigned int number,
			const char *hostdev, const char *failed_what)
{
	const char *reason = NULL;
	int status;

	iommugrp_change_apply(change);
	status = outcome_status(change);
	iommugrp_change_get_refusal(change, &reason);
	if (status == EXIT_ROLLED_BACK)
		say_reason(h, number, hostdev, failed_what, iommugrp_change_get_error(change));
	else if (status == EXIT_INCOMPLETE)
		say_reason(h, number, hostdev, "failed and the rollback did not finish; left",
			   iommugrp_change_get_leftover(change));
	else if (status != EXIT_OK)
		say_reason(h, number, hostdev, "refused, nothing was changed", reason);
	return status;
}

static int release_groups(const struct hook *h, const unsigned int *numbers, unsigned int n,
			  unsigned int *left, unsigned int *nleft);

/*
 * Plans every group first, so one refusal starts nothing; then hands them over in order.
 * A failure gives back the groups already taken: the host is left as it was.
 */
static int prepare(struct hook *h)
{
	struct iommugrp_change *changes[MAX_GROUPS] = { 0 };
	unsigned int taken[MAX_GROUPS], ntaken = 0;
	int status = EXIT_OK;
	bool any_work = false;

	for (unsigned int i = 0; i < h->ngroups; i++) {
		unsigned int number = iommugrp_group_get_number(h->groups[i]);
		const char *reason = NULL;
		int r = iommugrp_change_new_vfio_bind(h->groups[i], 0, &changes[i]);

		if (r < 0) {
			say(h, "group %u (hostdev %s): cannot plan the handoff: %s", number,
			    h->hostdev[i], strerror(-r));
			status = EXIT_ERROR;
		} else if (iommugrp_change_get_refusal(changes[i], &reason) < 0) {
			say_reason(h, number, h->hostdev[i], "refused, nothing was changed", reason);
			status = status == EXIT_OK ? EXIT_REFUSED : status;
		} else if (!iommugrp_change_is_noop(changes[i])) {
			any_work = true;
		}
	}
	if (status != EXIT_OK)
		goto out;
	if (h->dry_run) {
		for (unsigned int i = 0; i < h->ngroups; i++)
			if (!iommugrp_change_is_noop(changes[i]))
				print_plan(h, changes[i], iommugrp_group_get_number(h->groups[i]),
					   "hand it to vfio-pci");
		goto out;
	}
	if (any_work) {
		int r = iommugrp_vfio_pci_load(h->ctx);

		if (r < 0) {
			say(h, "cannot load vfio-pci: %s",
			    r == -ENOENT  ? "it is neither loaded, built in nor installed as a "
					    "module"
			    : r == -EPERM ? "it is blacklisted (modprobe.d)"
					  : strerror(-r));
			status = EXIT_ERROR;
			goto out;
		}
	}
	for (unsigned int i = 0; i < h->ngroups && status == EXIT_OK; i++) {
		unsigned int number = iommugrp_group_get_number(h->groups[i]);

		/* Already on vfio-pci before the domain: not ours to give back at release. */
		if (iommugrp_change_is_noop(changes[i]))
			continue;
		status = apply_change(h, changes[i], number, h->hostdev[i],
				      "failed and was rolled back");
		if (status == EXIT_OK)
			taken[ntaken++] = number;
	}
	if (status == EXIT_OK) {
		unsigned int before[MAX_GROUPS], nbefore = 0, ngiven = ntaken;
		int r = read_state(h, before, &nbefore);

		/* A second prepare without release (libvirtd restarted): keep what the first took. */
		for (unsigned int i = 0; r == 0 && i < nbefore; i++) {
			bool known = false;

			for (unsigned int k = 0; k < ntaken; k++)
				known |= taken[k] == before[i];
			if (!known && ntaken < MAX_GROUPS)
				taken[ntaken++] = before[i];
		}
		/* Nothing taken, nothing recorded before: no record (most domains have no hostdev). */
		if (r == 0 && (ngiven > 0 || nbefore > 0))
			r = write_state(h, taken, ntaken);
		if (r < 0)
			status = EXIT_ERROR;
		for (unsigned int i = 0; status == EXIT_OK && i < ngiven; i++)
			note(h, "group %u handed to vfio-pci", taken[i]);
	}
	if (status != EXIT_OK && ntaken > 0) {
		unsigned int left[MAX_GROUPS], nleft = 0;

		say(h, "giving back the %u group(s) already handed to vfio-pci", ntaken);
		if (release_groups(h, taken, ntaken, left, &nleft) != EXIT_OK)
			status = EXIT_INCOMPLETE;
	}
out:
	for (unsigned int i = 0; i < h->ngroups; i++)
		iommugrp_change_unref(changes[i]);
	return status;
}

/* Gives back each group; the ones that could not be are listed in @left. */
static int release_groups(const struct hook *h, const unsigned int *numbers, unsigned int n,
			  unsigned int *left, unsigned int *nleft)
{
	int status = EXIT_OK;

	*nleft = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct iommugrp_group *group = NULL;
		struct iommugrp_change *change = NULL;
		char target[16];
		const char *reason = NULL;
		int r, s;

		snprintf(target, sizeof(target), "%u", numbers[i]);
		r = iommugrp_group_new_from_target(h->ctx, target, &group, NULL);
		if (r == -ENOENT)
			continue; /* the group is gone (device removed): nothing to give back */
		if (r >= 0)
			r = iommugrp_change_new_vfio_release(group, &change);
		if (r < 0) {
			say(h, "group %u: cannot plan the release: %s", numbers[i], strerror(-r));
			s = EXIT_ERROR;
		} else if (iommugrp_change_get_refusal(change, &reason) < 0) {
			say_reason(h, numbers[i], NULL, "not given back", reason);
			s = EXIT_REFUSED;
		} else if (h->dry_run) {
			if (!iommugrp_change_is_noop(change))
				print_plan(h, change, numbers[i], "give it back to its drivers");
			s = EXIT_OK;
		} else {
			s = apply_change(h, change, numbers[i], NULL,
					 "giving it back failed and was rolled back");
		}
		if (s != EXIT_OK) {
			left[(*nleft)++] = numbers[i];
			status = status > s ? status : s;
		}
		iommugrp_change_unref(change);
		iommugrp_group_unref(group);
	}
	return status;
}

static int release(struct hook *h)
{
	unsigned int numbers[MAX_GROUPS], n = 0, left[MAX_GROUPS], nleft = 0;
	int status, r = read_state(h, numbers, &n);

	if (r < 0)
		return EXIT_ERROR;
	if (n == 0)
		return EXIT_OK; /* prepare took nothing (no unmanaged hostdev, refused or failed) */
	status = release_groups(h, numbers, n, left, &nleft);
	if (h->dry_run)
		return status;
	for (unsigned int i = 0; i < n; i++) {
		bool kept = false;

		for (unsigned int k = 0; k < nleft; k++)
			kept |= left[k] == numbers[i];
		if (!kept)
			note(h, "group %u given back to its drivers", numbers[i]);
	}
	/* Keep only what is still on vfio-pci, for the next try (or the admin). */
	if (nleft == 0)
		remove_state(h);
	else
		write_state(h, left, nleft);
	return status;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: libvirt-qemu-hook [--sysroot DIR] [--dry-run] DOMAIN OPERATION "
		     "SUB-OPERATION EXTRA\n"
		     "libvirt's qemu hook (in /etc/libvirt/hooks/qemu.d/), domain XML on stdin.\n"
		     "'prepare begin' hands the IOMMU group of every PCI <hostdev managed='no'> "
		     "to\n"
		     "vfio-pci; 'release end' gives those groups back to the drivers they had.\n"
		     "Other operations do nothing. Nothing is written to stdout (libvirt would "
		     "take it\n"
		     "for a new domain XML). Exit status as iommugrp(8): 0 done, 1 error, 2 "
		     "usage,\n"
		     "3 no such device, 4 refused, 5 rolled back, 6 rollback incomplete.\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = { { "sysroot", required_argument, NULL, 's' },
						 { "dry-run", no_argument, NULL, 'n' },
						 { "help", no_argument, NULL, 'h' },
						 { "version", no_argument, NULL, 'V' },
						 { 0 } };
	struct hook h = { 0 };
	bool is_prepare, is_release;
	char *xml;
	size_t len = 0;
	int c, status, r;

	while ((c = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (c) {
		case 's':
			h.sysroot = optarg;
			break;
		case 'n':
			h.dry_run = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("libvirt-qemu-hook (iommugrp) %s\n", VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 4) {
		usage(stderr);
		return EXIT_USAGE;
	}
	h.domain = argv[optind];
	is_prepare = strcmp(argv[optind + 1], "prepare") == 0 && strcmp(argv[optind + 2], "begi"
											  "n") == 0;
	is_release = strcmp(argv[optind + 1], "release") == 0 &&
		     strcmp(argv[optind + 2], "end") == 0;
	xml = read_stdin(&len);
	if (!xml) {
		say(&h, "cannot read the domain XML on stdin: %s", strerror(errno));
		return EXIT_ERROR;
	}
	if (!is_prepare && !is_release) {
		free(xml);
		return EXIT_OK;
	}
	openlog("iommugrp-libvirt", LOG_PID, LOG_DAEMON);
	r = iommugrp_new(h.sysroot, &h.ctx);
	if (r < 0) {
		say(&h, "cannot open sysroot '%s': %s", h.sysroot ? h.sysroot : "/", strerror(-r));
		free(xml);
		return EXIT_ERROR;
	}
	iommugrp_set_log_fn(h.ctx, log_to_stderr, &h);
	if (!getenv("IOMMUGRP_LOG"))
		iommugrp_set_log_priority(h.ctx, LOG_WARNING);
	status = parse_domain(&h, xml, len, is_prepare);
	free(xml);
	if (status == EXIT_OK)
		status = is_prepare ? prepare(&h) : release(&h);
	for (unsigned int i = 0; i < h.ngroups; i++)
		iommugrp_group_unref(h.groups[i]);
	iommugrp_unref(h.ctx);
	xmlCleanupParser();
	closelog();
	return status;
}
