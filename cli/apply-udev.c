/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iommugrp apply --udev DEVPATH: run by the udev rule for every PCI "add"
 * event, before 80-drivers.rules loads the native module. The first event of
 * a boot runs the boot pass under /run/iommugrp/boot/lock: it holds every
 * configured device (driver_override), then converges each group; later
 * events only look at their own device (the fast path) or converge its group
 * (hotplug). It always exits 0, logs to /dev/kmsg, waits on locks only with
 * a bound, never waits for udev, and stops at a hard deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "../shared/cmdline.h"

#define DEFAULT_DEADLINE_S 30.0
#define DEFAULT_LOCK_TIMEOUT_S 10.0

#define KMSG_FLAGS (O_WRONLY | O_APPEND | O_NONBLOCK)
static int kmsg_fd = -1;	      /* for the deadline's one record; others open their own */
static struct iommugrp_ctx *kmsg_ctx; /* /dev/kmsg below the sysroot */
static char deadline_message[200];

/*
 * One kernel log record per line: "<PRI>iommugrp: ..." (user facility). The
 * kernel rate-limits each open file of /dev/kmsg to 10 records per 5 s, so
 * each record opens its own.
 */
static void klog_line(int priority, const char *line, size_t len)
{
	char record[1024];
	int n = snprintf(record, sizeof(record), "<%d>iommugrp: %.*s\n", LOG_USER | priority,
			 (int)(len > 900 ? 900 : len), line);
	const char *text = strchr(record, '>') + 1;
	int fd;

	if (n <= 0)
		return;
	/* Its own open per record: the kernel rate-limits each open /dev/kmsg apart. */
	fd = kmsg_fd < 0 ? -1 : iommugrp_open_file(kmsg_ctx, "/dev/kmsg", KMSG_FLAGS);
	if (fd >= 0 && write(fd, record, (size_t)n) == n) {
		close(fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	/* Without /dev/kmsg udev keeps our stderr in its debug log. */
	if (write(STDERR_FILENO, text, (size_t)(record + n - text)) < 0)
		return;
}

static void vklog(int priority, const char *format, va_list args)
{
	char text[4096];

	vsnprintf(text, sizeof(text), format, args);
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");

		klog_line(priority, line, len);
		line += len + (line[len] == '\n');
	}
}

static void klog(int priority, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void klog(int priority, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vklog(priority, format, args);
	va_end(args);
}

static void log_to_kmsg(void *data, int priority, const char *file, int line, const char *fn,
			const char *format, va_list args)
{
	(void)data, (void)file, (void)line, (void)fn;
	vklog(priority, format, args);
}

static void on_deadline(int sig)
{
	(void)sig;
	if (kmsg_fd < 0 || write(kmsg_fd, deadline_message, strlen(deadline_message)) < 0)
		if (write(STDERR_FILENO, deadline_message, strlen(deadline_message)) < 0)
			_exit(0);
	_exit(0);
}

static double env_seconds(const char *name, double fallback)
{
	const char *value = getenv(name);
	char *end;
	double s;

	if (!value)
		return fallback;
	s = strtod(value, &end);
	return *end == '\0' && end != value && s > 0 && s < 3600 ? s : fallback;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void open_kmsg(struct iommugrp_ctx *ctx)
{
	kmsg_ctx = ctx;
	kmsg_fd = iommugrp_open_file(ctx, "/dev/kmsg", KMSG_FLAGS);
}

static bool disabled_on_cmdline(struct iommugrp_ctx *ctx)
{
	char cmdline[4096] = "";
	int fd = iommugrp_open_file(ctx, "/proc/cmdline", O_RDONLY);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	bool disabled = false;

	if (fd >= 0 && !f)
		close(fd);
	if (f && fgets(cmdline, sizeof(cmdline), f)) {
		cmdline[strcspn(cmdline, "\n")] = '\0';
		disabled = cmdline_has(cmdline, "iommugrp.disable", "1");
	}
	if (f)
		fclose(f);
	return disabled;
}

static const char *where_we_run(struct iommugrp_ctx *ctx)
{
	static const char *const marks[] = { "/conf/initramfs.conf", "/etc/initrd-release" };

	for (size_t i = 0; i < ARRAY_SIZE(marks); i++) {
		int fd = iommugrp_open_file(ctx, marks[i], O_PATH);

		if (fd >= 0) {
			close(fd);
			return "initramfs";
		}
	}
	return "root";
}

/* --- the outcome of one group ----------------------------------------------------------- */

enum rank { R_UNCHANGED, R_APPLIED, R_FELL_BACK, R_REFUSED, R_ROLLED_BACK, R_INCOMPLETE };
static const char *const rank_words[] = {
	"unchanged", "applied", "fell-back", "refused", "rolled-back", "incomplete",
};

struct outcome {
	enum rank rank;
	char *reason; /* one line */
	char *details;
};

static void append(char **text, const char *sep, const char *add)
{
	char *joined = NULL;

	if (!add || !*add)
		return;
	if (asprintf(&joined, "%s%s%s", *text ? *text : "", *text ? sep : "", add) < 0)
		return;
	for (char *p = joined; *p; p++)
		if (*p == '\n')
			*p = ';';
	free(*text);
	*text = joined;
}

static void note(struct outcome *o, enum rank rank, const char *reason)
{
	if (rank > o->rank)
		o->rank = rank;
	append(&o->reason, "; ", reason);
}

/* What applying a change did, as the group's outcome. */
static void note_change(struct outcome *o, struct iommugrp_change *change, const char *what,
			bool unbinds)
{
	const char *reason = NULL;
	char *text = NULL;

	switch (iommugrp_change_get_outcome(change)) {
	case IOMMUGRP_OUTCOME_DONE:
		note(o, unbinds ? R_FELL_BACK : R_APPLIED, NULL);
		if (asprintf(&text, "%s%s", what,
			     unbinds ? " (a driver was bound: unbound first)" : "") >= 0)
			append(&o->details, ", ", text);
		break;
	case IOMMUGRP_OUTCOME_UNCHANGED:
	case IOMMUGRP_OUTCOME_PLANNED:
		note(o, R_UNCHANGED, NULL);
		break;
	case IOMMUGRP_OUTCOME_REFUSED:
		iommugrp_change_get_refusal(change, &reason);
		if (asprintf(&text, "%s refused: %s", what, reason ? reason : "?") >= 0)
			note(o, R_REFUSED, text);
		break;
	case IOMMUGRP_OUTCOME_ROLLED_BACK:
		if (asprintf(&text, "%s failed and was rolled back: %s", what,
			     iommugrp_change_get_error(change) ?: "?") >= 0)
			note(o, R_ROLLED_BACK, text);
		break;
	case IOMMUGRP_OUTCOME_INCOMPLETE:
		if (asprintf(&text,
			     "%s failed, rollback incomplete: %s; left: %s (run 'iommugrp "
			     "restore')",
			     what, iommugrp_change_get_error(change) ?: "?",
			     iommugrp_change_get_leftover(change) ?: "?") >= 0)
			note(o, R_INCOMPLETE, text);
		break;
	}
	free(text);
}

/* A planned change: refused by the plan, or by fallback=none when a driver is bound. */
static bool refused_before_apply(struct outcome *o, struct iommugrp_change *change,
				 const char *what, unsigned int flags)
{
	const char *reason = NULL;
	char *text = NULL, *drivers;

	if (iommugrp_change_get_refusal(change, &reason) < 0) {
		if (asprintf(&text, "%s refused: %s", what, reason ? reason : "?") >= 0)
			note(o, R_REFUSED, text);
		free(text);
		return true;
	}
	if (!(flags & IOMMUGRP_CONFIG_FALLBACK_NONE) || !plan_needs_unbind(change))
		return false;
	drivers = plan_unbound_drivers(change);
	if (asprintf(&text, "%s refused: %s already bound and fallback=none", what,
		     drivers ? drivers : "a driver") >= 0)
		note(o, R_REFUSED, text);
	free(text);
	free(drivers);
	return true;
}

/* The library's last word on what it could not read: why a plan could not be made. */
static const char *last_problem(struct iommugrp_ctx *ctx)
{
	unsigned int n = iommugrp_get_problem_count(ctx);
	const char *message = NULL;

	if (n > 0)
		iommugrp_get_problem(ctx, n - 1, NULL, NULL, &message);
	return message ? message : "sysfs could not be read";
}

/* --- the pass --------------------------------------------------------------------------- */

struct pass {
	struct cli *cli;
	struct iommugrp_ctx *ctx;
	struct iommugrp_config *config;
	char *boot_id;
	const char *digest;
	long long start_ms, deadline_ms;
	unsigned int *journals; /* groups with an interrupted operation's journal, read once */
	int n_journals;
	bool journals_read;
};

static void converge_policy(struct pass *p, unsigned int index, struct outcome *o)
{
	struct iommugrp_group *group = iommugrp_config_get_group(p->config, index);
	unsigned int flags = iommugrp_config_group_get_flags(p->config, index);
	struct iommugrp_change *change = NULL;
	enum iommugrp_policy policy;
	char what[64];
	bool unbinds;

	if (iommugrp_config_group_get_policy(p->config, index, &policy) < 0)
		return;
	snprintf(what, sizeof(what), "policy %s", iommugrp_policy_to_string(policy));
	if (iommugrp_change_new_policy_from_hold(group, policy, BOOT_HOLD, &change) < 0) {
		char *text = NULL;

		if (asprintf(&text, "cannot plan the policy: %s", last_problem(p->ctx)) >= 0)
			note(o, R_REFUSED, text);
		free(text);
		return;
	}
	unbinds = plan_needs_unbind(change);
	if (!refused_before_apply(o, change, what, flags)) {
		iommugrp_change_apply(change);
		note_change(o, change, what, unbinds);
	}
	iommugrp_change_unref(change);
}

/* The holds of @override go and the native drivers may bind; @ret_released (may be NULL): the
 * devices whose hold was released, space-separated. */
static void release_holds_of(struct iommugrp_group *group, const char *override, struct outcome *o,
			     char **ret_released)
{
	struct iommugrp_change *change = NULL;

	if (iommugrp_change_new_unhold(group, override, &change) == 0) {
		iommugrp_change_apply(change);
		if (iommugrp_change_get_outcome(change) != IOMMUGRP_OUTCOME_DONE &&
		    iommugrp_change_get_outcome(change) != IOMMUGRP_OUTCOME_UNCHANGED && o)
			note(o, R_INCOMPLETE,
			     iommugrp_change_get_error(change) ?: "the holds could not be released");
		for (unsigned int i = 0;
		     ret_released && iommugrp_change_get_outcome(change) == IOMMUGRP_OUTCOME_DONE &&
		     i < iommugrp_change_get_step_count(change);
		     i++) {
			enum iommugrp_step_kind kind;
			const char *device, *driver, *path, *value;

			iommugrp_change_get_step(change, i, &kind, &device, &driver, &path, &value);
			append(ret_released, " ", device);
		}
	}
	iommugrp_change_unref(change);
	iommugrp_group_probe_unbound(group);
}

/* Policy groups fail open: whatever happened, the holds go and the native drivers may bind. */
static void release_holds(struct pass *p, struct iommugrp_group *group, struct outcome *o)
{
	release_holds_of(group, BOOT_HOLD, o, NULL);
	(void)p;
}

/*
 * A vfio group the planner refuses (a device the host needs, an SR-IOV PF with VFs, a member
 * without driver_override, fallback=none with a driver bound) is refused by the pass whatever
 * it holds: a hold would only keep the native driver away for good. A vfio-pci that is missing
 * or cannot load is no such reason: the hold then fails closed, as documented.
 */
static bool vfio_refused_by_planner(struct iommugrp_change *change, unsigned int flags)
{
	if (iommugrp_change_get_refusal(change, NULL) < 0)
		return iommugrp_change_get_refusal_code(change, NULL) !=
		       IOMMUGRP_REFUSAL_VFIO_PCI_MISSING;
	return (flags & IOMMUGRP_CONFIG_FALLBACK_NONE) && plan_needs_unbind(change);
}

static struct iommugrp_change *plan_vfio(struct pass *p, unsigned int index, struct outcome *o)
{
	struct iommugrp_group *group = iommugrp_config_get_group(p->config, index);
	unsigned int flags = iommugrp_config_group_get_flags(p->config, index);
	struct iommugrp_change *change = NULL;
	char *text = NULL;

	if (iommugrp_change_new_vfio_bind(group, flags & IOMMUGRP_CONFIG_FORCE ? IOMMUGRP_FORCE : 0,
					  &change) == 0)
		return change;
	if (asprintf(&text, "cannot plan the handoff to vfio-pci: %s", last_problem(p->ctx)) >= 0)
		note(o, R_REFUSED, text);
	free(text);
	return NULL;
}

/*
 * Loading vfio-pci binds every held device at once (driver_attach): the plan
 * is made after the load, and a group that the load alone put on vfio-pci was
 * applied by this pass, not found so.
 */
static void converge_vfio(struct pass *p, unsigned int index, bool held, struct outcome *o)
{
	struct iommugrp_group *group = iommugrp_config_get_group(p->config, index);
	unsigned int flags = iommugrp_config_group_get_flags(p->config, index);
	unsigned int number = iommugrp_group_get_number(group);
	struct iommugrp_change *change = plan_vfio(p, index, o);
	bool unbinds;
	int r;

	if (!change)
		return;
	if (iommugrp_change_get_refusal(change, NULL) == 0 && !iommugrp_change_is_noop(change)) {
		r = iommugrp_vfio_pci_load(p->ctx);
		if (r < 0) {
			char *text = NULL;
			const char *why = strerror(-r);

			if (r == -ELIBACC || r == -ELIBBAD)
				why = "libkmod.so.2 is missing or unusable";
			if (asprintf(&text, "vfio-pci cannot be loaded: %s", why) >= 0)
				note(o, R_REFUSED, text);
			free(text);
			iommugrp_change_unref(change);
			return;
		}
		iommugrp_change_unref(change);
		iommugrp_group_reread(group);
		change = plan_vfio(p, index, o);
		if (!change)
			return;
		if (held && iommugrp_change_is_noop(change)) {
			note(o, R_APPLIED, NULL);
			append(&o->details, ", ", "vfio-pci (bound the held devices as it loaded)");
		}
	}
	unbinds = plan_needs_unbind(change);
	if (!refused_before_apply(o, change, "vfio", flags)) {
		iommugrp_change_apply(change);
		note_change(o, change, "vfio-pci", unbinds);
	} else if (held && vfio_refused_by_planner(change, flags)) {
		char *released = NULL;

		/* Checked before holding too; refused only now (the group changed meanwhile). */
		release_holds_of(group, "vfio-pci", o, &released);
		if (released) {
			append(&o->details, ", ", "holds released: ");
			append(&o->details, "", released);
		}
		free(released);
	}
	if (iommugrp_change_get_outcome(change) == IOMMUGRP_OUTCOME_DONE ||
	    iommugrp_change_get_outcome(change) == IOMMUGRP_OUTCOME_UNCHANGED) {
		char *why = hand_over_group_file(
			p->ctx, number, iommugrp_config_group_get_user(p->config, index),
			iommugrp_config_group_get_owner_group(p->config, index));

		/* The hold was iommugrp's: vfio-release gives the devices to their own drivers. */
		iommugrp_vfio_record_forget_override(group, "vfio-pci");
		if (why)
			note(o, R_REFUSED, why);
		free(why);
	}
	iommugrp_change_unref(change);
}

static char *member_names(struct iommugrp_group *group)
{
	struct iommugrp_device *d = NULL;
	char *names = NULL;

	while ((d = iommugrp_group_device_next(group, d)))
		append(&names, " ", iommugrp_device_get_name(d));
	return names;
}

static void write_group_state(struct pass *p, unsigned int index, const struct outcome *o)
{
	struct iommugrp_group *group = iommugrp_config_get_group(p->config, index);
	char name[32], *actions = config_group_actions(p->config, index);
	char *devices = member_names(group), *text = NULL;
	int r;

	snprintf(name, sizeof(name), "group-%u", iommugrp_group_get_number(group));
	if (asprintf(&text,
		     "boot_id=%s\nentry=%s\naction=%s\noutcome=%s\nfallback=%s\n%s%s%s"
		     "devices=%s\n",
		     p->boot_id, iommugrp_config_group_get_entries(p->config, index),
		     actions ? actions : "?", rank_words[o->rank],
		     o->rank == R_FELL_BACK ? "unbind" : "no", o->reason ? "reason=" : "",
		     o->reason ? o->reason : "", o->reason ? "\n" : "", devices ? devices : "") < 0)
		text = NULL;
	r = text ? iommugrp_boot_state_write(p->ctx, name, text) : -ENOMEM;
	if (r < 0)
		klog(LOG_ERR, "cannot write /run/iommugrp/boot/%s: %s", name, strerror(-r));
	free(text);
	free(devices);
	free(actions);
}

/*
 * A journal of this group: an interrupted operation is restore's to mend, not
 * the pass's. Read once per run: the pass's own changes leave none behind
 * unless they fail half-way, and then the group is done with.
 */
static bool has_journal(struct pass *p, unsigned int number)
{
	if (!p->journals_read) {
		p->n_journals = iommugrp_get_interrupted(p->ctx, &p->journals);
		p->journals_read = true;
	}
	for (int i = 0; i < p->n_journals; i++)
		if (p->journals[i] == number)
			return true;
	return false;
}

/* A change that could not roll back keeps its journal: the group is restore's from now on. */
static void note_journal(struct pass *p, unsigned int number)
{
	unsigned int *bigger;

	has_journal(p, number);
	bigger = realloc(p->journals,
			 (size_t)(p->n_journals > 0 ? p->n_journals + 1 : 1) * sizeof(*bigger));
	if (!bigger)
		return;
	p->journals = bigger;
	p->n_journals = p->n_journals > 0 ? p->n_journals + 1 : 1;
	p->journals[p->n_journals - 1] = number;
}

static void converge_group(struct pass *p, unsigned int index, bool held)
{
	struct iommugrp_group *group = iommugrp_config_get_group(p->config, index);
	const char *refusal = iommugrp_config_group_get_refusal(p->config, index);
	bool vfio = iommugrp_config_group_wants_vfio(p->config, index);
	struct outcome o = { R_UNCHANGED, NULL, NULL };
	char *actions = config_group_actions(p->config, index);
	bool journal = false;

	/* Loading modules (vfio-pci for an earlier group) may have bound devices of this one. */
	iommugrp_group_reread(group);
	if (refusal)
		note(&o, R_REFUSED, refusal);
	else if ((journal = has_journal(p, iommugrp_group_get_number(group))))
		note(&o, R_REFUSED,
		     "an interrupted operation left its journal: run 'iommugrp "
		     "restore' first");
	else if (now_ms() > p->deadline_ms)
		note(&o, R_REFUSED, "the deadline was reached before this group");
	else {
		converge_policy(p, index, &o);
		if (vfio)
			converge_vfio(p, index, held, &o);
	}
	if (!vfio && !journal)
		release_holds(p, group, &o);
	klog(o.rank >= R_REFUSED     ? LOG_ERR
	     : o.rank == R_FELL_BACK ? LOG_WARNING
				     : LOG_INFO,
	     "group %u: %s (entry %s): %s%s%s", iommugrp_group_get_number(group),
	     rank_words[o.rank], iommugrp_config_group_get_entries(p->config, index),
	     actions ? actions : "?", o.details ? ": " : "", o.details ? o.details : "");
	if (o.reason)
		klog(o.rank >= R_REFUSED ? LOG_ERR : LOG_WARNING, "group %u: %s",
		     iommugrp_group_get_number(group), o.reason);
	write_group_state(p, index, &o);
	free(o.reason);
	free(o.details);
	free(actions);
}

/* The pass will refuse this vfio group (converge_vfio makes the same plan): never held. */
static bool vfio_refused_before_hold(struct pass *p, unsigned int index)
{
	struct iommugrp_group *group = iommugrp_config_get_group(p->config, index);
	unsigned int flags = iommugrp_config_group_get_flags(p->config, index);
	struct iommugrp_change *change = NULL;
	bool refused;

	/* A plan that cannot be made is converge's to report; the hold fails closed meanwhile. */
	if (iommugrp_change_new_vfio_bind(group, flags & IOMMUGRP_CONFIG_FORCE ? IOMMUGRP_FORCE : 0,
					  &change) < 0)
		return false;
	refused = vfio_refused_by_planner(change, flags);
	iommugrp_change_unref(change);
	return refused;
}

/*
 * vfio groups are held for vfio-pci, policy groups by an override that matches
 * no driver. True when this call held devices.
 */
static bool hold_group(struct pass *p, unsigned int index)
{
	struct iommugrp_group *group = iommugrp_config_get_group(p->config, index);
	const char *override = iommugrp_config_group_wants_vfio(p->config, index) ? "vfio-pci"
										  : BOOT_HOLD;
	struct iommugrp_change *change = NULL;
	char *held = NULL;
	bool done = false;
	int r;

	if (iommugrp_config_group_get_refusal(p->config, index) ||
	    has_journal(p, iommugrp_group_get_number(group)))
		return false;
	/* Check first, hold after: the planner's pre-flight, the same as vfio-bind's. */
	if (iommugrp_config_group_wants_vfio(p->config, index) && vfio_refused_before_hold(p, index))
		return false;
	r = iommugrp_change_new_hold(group, override, &change);
	if (r < 0) {
		klog(LOG_ERR, "group %u: cannot plan the holds: %s",
		     iommugrp_group_get_number(group), strerror(-r));
		return false;
	}
	if (!iommugrp_change_is_noop(change)) {
		iommugrp_change_apply(change);
		for (unsigned int i = 0; i < iommugrp_change_get_step_count(change); i++) {
			enum iommugrp_step_kind kind;
			const char *device, *driver, *path, *value;

			iommugrp_change_get_step(change, i, &kind, &device, &driver, &path, &value);
			append(&held, " ", device);
		}
		done = iommugrp_change_get_outcome(change) == IOMMUGRP_OUTCOME_DONE;
		if (iommugrp_change_get_outcome(change) == IOMMUGRP_OUTCOME_INCOMPLETE)
			note_journal(p, iommugrp_group_get_number(group));
		if (done)
			klog(LOG_INFO, "group %u: held: %s (driver_override %s)",
			     iommugrp_group_get_number(group), held ? held : "", override);
		else {
			const char *reason = iommugrp_change_get_error(change);

			if (!reason)
				iommugrp_change_get_refusal(change, &reason);
			klog(LOG_ERR, "group %u: holding %s failed: %s",
			     iommugrp_group_get_number(group), held ? held : "",
			     reason ? reason : "?");
		}
	}
	free(held);
	iommugrp_change_unref(change);
	return done;
}

static void write_stamp(struct pass *p, const char *state, const char *initramfs_digest)
{
	char *text = NULL;
	int r;

	if (asprintf(&text,
		     "boot_id=%s\ndigest=%s\nconfig=%s\nwhere=%s\nstate=%s\n%s%s%stime_ms=%lld\n",
		     p->boot_id, p->digest,
		     iommugrp_config_get_error_count(p->config) ? "refused" : "valid",
		     where_we_run(p->ctx), state, initramfs_digest ? "initramfs_digest=" : "",
		     initramfs_digest ? initramfs_digest : "", initramfs_digest ? "\n" : "",
		     now_ms() - p->start_ms) < 0)
		text = NULL;
	r = text ? iommugrp_boot_state_write(p->ctx, "pass", text) : -ENOMEM;
	if (r < 0)
		klog(LOG_ERR, "cannot write /run/iommugrp/boot/pass: %s", strerror(-r));
	free(text);
}

/* A pass of this boot with another digest: the initramfs applied its own, older copy. */
static char *initramfs_digest_of(struct pass *p, const char *old_stamp)
{
	char *where, *digest, *kept;

	if (!old_stamp)
		return NULL;
	kept = state_value(old_stamp, "initramfs_digest");
	if (kept)
		return kept;
	where = state_value(old_stamp, "where");
	digest = where && strcmp(where, "initramfs") == 0 ? state_value(old_stamp, "digest") : NULL;
	free(where);
	if (digest && strcmp(digest, p->digest) != 0)
		klog(LOG_WARNING, "initramfs config differs from /etc (run update-initramfs -u): "
				  "converging with /etc");
	return digest;
}

static void report_config_refused(struct pass *p)
{
	unsigned int n = iommugrp_config_get_problem_count(p->config);

	for (unsigned int i = 0; i < n; i++) {
		char *text = config_problem_text(p->config, i);
		int priority;

		iommugrp_config_get_problem(p->config, i, &priority, NULL, NULL, NULL);
		klog(priority, "config: %s", text ? text : "?");
		free(text);
	}
}

static void report_entry_refusals(struct pass *p)
{
	for (unsigned int i = 0; i < iommugrp_config_get_entry_count(p->config); i++)
		if (iommugrp_config_entry_get_refusal(p->config, i))
			klog(LOG_ERR, "config: %s", iommugrp_config_entry_get_refusal(p->config, i));
}

static void boot_pass(struct pass *p, const char *old_stamp)
{
	char *initramfs_digest = initramfs_digest_of(p, old_stamp);
	unsigned int groups;
	bool *held;
	int r;

	report_config_refused(p);
	r = iommugrp_config_resolve(p->config);
	if (r < 0)
		klog(LOG_ERR, "cannot match the configuration against the system: %s", strerror(-r));
	/* Every reason is logged, a refused configuration's ambiguous entries too. */
	report_entry_refusals(p);
	if (iommugrp_config_get_error_count(p->config) > 0) {
		klog(LOG_ERR, "config refused: %u error%s, nothing changed",
		     iommugrp_config_get_error_count(p->config),
		     iommugrp_config_get_error_count(p->config) == 1 ? "" : "s");
		write_stamp(p, "done", initramfs_digest);
		free(initramfs_digest);
		return;
	}
	write_stamp(p, "running", initramfs_digest);
	groups = r < 0 ? 0 : iommugrp_config_get_group_count(p->config);
	held = calloc(groups ? groups : 1, sizeof(*held));
	/* Every hold first: a module loaded for one device must find all the others held. */
	for (unsigned int i = 0; held && i < groups; i++)
		held[i] = hold_group(p, i);
	for (unsigned int i = 0; held && i < groups; i++)
		converge_group(p, i, held[i]);
	if (!held)
		klog(LOG_ERR, "out of memory: no group converged");
	free(held);
	write_stamp(p, "done", initramfs_digest);
	klog(LOG_INFO, "boot pass: %u group%s configured, took %lld ms", groups,
	     groups == 1 ? "" : "s", now_ms() - p->start_ms);
	free(initramfs_digest);
}

/* A pass that died under the lock is not tried again this boot; its policy holds go. */
static void recover_interrupted(struct pass *p, const char *old_stamp)
{
	char *initramfs_digest = state_value(old_stamp, "initramfs_digest");
	unsigned int groups;

	klog(LOG_ERR, "the boot pass of this boot was interrupted: not retried; journals are kept "
		      "for 'iommugrp restore', policy holds are released");
	if (iommugrp_config_resolve(p->config) == 0) {
		groups = iommugrp_config_get_group_count(p->config);
		for (unsigned int i = 0; i < groups; i++) {
			struct iommugrp_group *group = iommugrp_config_get_group(p->config, i);

			/* The killed change's journal is restore's: that group is left alone. */
			if (!iommugrp_config_group_wants_vfio(p->config, i) &&
			    !has_journal(p, iommugrp_group_get_number(group)))
				release_holds(p, group, NULL);
		}
	}
	write_stamp(p, "interrupted", initramfs_digest);
	free(initramfs_digest);
}

/* --- one event -------------------------------------------------------------------------- */

static bool stamp_is_current(const struct pass *p, const char *stamp, bool *ret_running)
{
	char *boot_id = stamp ? state_value(stamp, "boot_id") : NULL;
	char *digest = stamp ? state_value(stamp, "digest") : NULL;
	char *state = stamp ? state_value(stamp, "state") : NULL;
	bool current = boot_id && digest && strcmp(boot_id, p->boot_id) == 0 &&
		       strcmp(digest, p->digest) == 0;

	*ret_running = current && state && strcmp(state, "running") == 0;
	free(boot_id);
	free(digest);
	free(state);
	return current;
}

/* "/devices/..." (udev's $devpath) or "/sys/devices/...": the device, or NULL when not ours. */
static struct iommugrp_device *event_device(struct pass *p, const char *devpath)
{
	struct iommugrp_group *group = NULL;
	struct iommugrp_device *device = NULL;
	char target[4200];

	snprintf(target, sizeof(target), "%s%s", strncmp(devpath, "/sys/", 5) ? "/sys" : "",
		 devpath);
	if (iommugrp_group_new_from_target(p->ctx, target, &group, &device) < 0)
		return NULL;
	iommugrp_group_unref(group);
	if (device && !iommugrp_device_is_pci(device))
		device = iommugrp_device_unref(device);
	return device;
}

static bool any_entry_matches(struct pass *p, struct iommugrp_device *device)
{
	for (unsigned int i = 0; i < iommugrp_config_get_entry_count(p->config); i++)
		if (iommugrp_config_entry_matches(p->config, i, device))
			return true;
	return false;
}

static bool is_one_of(const char *word, const char *const *words)
{
	for (; word && *words; words++)
		if (strcmp(word, *words) == 0)
			return true;
	return false;
}

/*
 * Nothing to do (the fast path): its group has no record and no entry names
 * the device; or the pass recorded it and it is as its group should be (a vfio group's endpoint on
 * vfio-pci, a policy group's without a hold left). A device re-added under a
 * recorded name (remove + rescan) is judged by its state, not its name. A
 * group the pass could not converge is not retried event by event.
 */
static bool device_settled(struct pass *p, struct iommugrp_device *device)
{
	static const char *const succeeded[] = { "applied", "unchanged", "fell-back", NULL };
	unsigned int number = iommugrp_group_get_number(iommugrp_device_get_group(device));
	const char *driver, *override;
	char *state, *devices, *outcome, *action;
	bool settled = true;

	/* The group's record says whether it is configured; a member need not be named itself. */
	state = boot_group_state(p->ctx, number);
	if (!state)
		return !any_entry_matches(p, device);
	devices = state_value(state, "devices");
	outcome = state_value(state, "outcome");
	action = state_value(state, "action");
	driver = iommugrp_device_get_driver(device);
	override = iommugrp_device_get_driver_override(device);
	if (!devices || !word_in_list(devices, iommugrp_device_get_name(device)))
		settled = false;
	else if (!is_one_of(outcome, succeeded))
		settled = true;
	else if (action && strstr(action, "vfio"))
		settled = iommugrp_device_is_bridge(device) ||
			  (driver && strcmp(driver, "vfio-pci") == 0);
	else
		settled = !override || strcmp(override, BOOT_HOLD) != 0;
	free(devices);
	free(outcome);
	free(action);
	free(state);
	return settled;
}

/* Hot-plug, rescan, a new VF: converge only the device's own group. */
static void converge_hotplug(struct pass *p, struct iommugrp_device *device)
{
	unsigned int number = iommugrp_group_get_number(iommugrp_device_get_group(device));
	int index, r = iommugrp_config_resolve(p->config);

	if (r < 0) {
		klog(LOG_ERR, "%s: cannot match the configuration: %s",
		     iommugrp_device_get_name(device), strerror(-r));
		return;
	}
	index = iommugrp_config_find_group(p->config, number);
	if (index < 0)
		return; /* its entry was refused at the pass and logged there */
	klog(LOG_INFO, "%s: new in group %u: converging the group",
	     iommugrp_device_get_name(device), number);
	converge_group(p, (unsigned int)index, hold_group(p, (unsigned int)index));
}

static const char *lock_error(int r)
{
	return r == -ETIMEDOUT ? "another iommugrp holds it" : strerror(-r);
}

static void handle_event(struct pass *p, const char *devpath, double lock_timeout_s)
{
	struct iommugrp_device *device = NULL;
	char *stamp = NULL;
	bool running;
	int lock;

	if (iommugrp_boot_state_read(p->ctx, "pass", &stamp) < 0)
		stamp = NULL;
	if (!stamp_is_current(p, stamp, &running) || running) {
		free(stamp);
		stamp = NULL;
		lock = iommugrp_boot_lock(p->ctx, (unsigned int)(lock_timeout_s * 1000));
		if (lock < 0) {
			klog(LOG_ERR,
			     "%s: cannot take /run/iommugrp/boot/lock within %.1f s: %s; the "
			     "device is left to its drivers",
			     devpath, lock_timeout_s, lock_error(lock));
			return;
		}
		if (iommugrp_boot_state_read(p->ctx, "pass", &stamp) < 0)
			stamp = NULL;
		if (!stamp_is_current(p, stamp, &running))
			boot_pass(p, stamp);
		else if (running)
			recover_interrupted(p, stamp);
		close(lock);
		free(stamp);
		return;
	}
	/*
	 * The pass of this boot is done; a refused configuration was logged there.
	 * After an interrupted pass nothing converges this boot: its journal is
	 * restore's, and converging groups one event at a time would retry it.
	 */
	if (strstr(stamp, "\nconfig=refused\n") || strstr(stamp, "\nstate=interrupted\n")) {
		free(stamp);
		return;
	}
	free(stamp);
	device = event_device(p, devpath);
	if (device && !device_settled(p, device)) {
		lock = iommugrp_boot_lock(p->ctx, (unsigned int)(lock_timeout_s * 1000));
		if (lock >= 0) {
			converge_hotplug(p, device);
			close(lock);
		} else {
			klog(LOG_ERR,
			     "%s: cannot take /run/iommugrp/boot/lock within %.1f s: %s; "
			     "its group is not converged",
			     devpath, lock_timeout_s, lock_error(lock));
		}
	}
	iommugrp_device_unref(device);
}

int apply_udev(struct cli *cli, const struct apply_options *o)
{
	double deadline_s = env_seconds("IOMMUGRP_DEADLINE", DEFAULT_DEADLINE_S);
	double lock_timeout_s = env_seconds("IOMMUGRP_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT_S);
	struct pass p = { .cli = cli, .start_ms = now_ms() };
	struct sigaction sa = { .sa_handler = on_deadline };

	p.deadline_ms = p.start_ms + (long long)(deadline_s * 1000);
	if (cli_open_context(cli) != EXIT_OK)
		return EXIT_OK;
	p.ctx = cli->ctx;
	open_kmsg(p.ctx);
	iommugrp_set_log_fn(p.ctx, log_to_kmsg, NULL);
	/* Past the soft deadline no group starts; 2 s later the process ends, whatever it does. */
	snprintf(deadline_message, sizeof(deadline_message),
		 "<%d>iommugrp: deadline of %.0f s reached: stopping, journal kept for 'iommugrp "
		 "restore'\n",
		 LOG_USER | LOG_ERR, deadline_s + 2);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned int)deadline_s + 2);
	if (o->dry_run || disabled_on_cmdline(p.ctx))
		goto out;
	if (iommugrp_config_read(p.ctx, &p.config) < 0) {
		klog(LOG_ERR, "cannot read the configuration: out of memory");
		goto out;
	}
	if (iommugrp_config_get_file_count(p.config) == 0)
		goto out;
	if (iommugrp_boot_id(p.ctx, &p.boot_id) < 0)
		p.boot_id = strdup("unknown");
	p.digest = iommugrp_config_get_digest(p.config);
	if (p.boot_id)
		handle_event(&p, o->udev, lock_timeout_s);
out:
	alarm(0);
	free(p.journals);
	free(p.boot_id);
	iommugrp_config_unref(p.config);
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	return EXIT_OK;
}
