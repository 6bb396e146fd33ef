/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading /etc/iommugrp.conf and /etc/iommugrp.d/NAME.conf: permissions, then
 * one entry a line. The files are never trusted: every problem is recorded
 * with its file and line, and any error refuses the whole configuration.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../shared/owner-id.h"
#include "config.h"

int config_add_problem(struct iommugrp_config *config, int priority, const char *file,
		       unsigned int line, const char *format, ...)
{
	struct config_problem *bigger, *p;
	va_list args;
	char *message = NULL;

	va_start(args, format);
	if (vasprintf(&message, format, args) < 0)
		message = NULL;
	va_end(args);
	bigger = message ? realloc(config->problems, (config->n_problems + 1) * sizeof(*bigger))
			 : NULL;
	if (!bigger) {
		free(message);
		return -ENOMEM;
	}
	config->problems = bigger;
	p = &config->problems[config->n_problems];
	p->file = file ? strdup(file) : NULL;
	if (file && !p->file) {
		free(message);
		return -ENOMEM;
	}
	p->priority = priority;
	p->line = line;
	p->message = message;
	config->n_problems++;
	if (priority <= LOG_ERR)
		config->n_errors++;
	return 0;
}

void config_entry_clear(struct config_entry *e)
{
	free(e->file);
	free(e->text);
	free(e->path);
	free(e->address);
	free(e->slot);
	free(e->slot_address);
	free(e->user);
	free(e->owner_group);
	for (size_t i = 0; i < e->n_matches; i++)
		iommugrp_device_unref(e->matches[i]);
	free(e->matches);
	free(e->refusal);
	memset(e, 0, sizeof(*e));
}

/* Exactly @digits hex digits. */
static int hex_exact(const char *s, size_t digits, unsigned long *ret_value)
{
	char *end;

	if (strlen(s) < digits)
		return -EINVAL;
	for (size_t i = 0; i < digits; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
	*ret_value = strtoul(s, &end, 16);
	return 0;
}

/* "VVVV:DDDD", four hex digits each. */
static int parse_id_pair(const char *s, uint16_t *ret_a, uint16_t *ret_b)
{
	unsigned long a, b;

	if (strlen(s) != 9 || s[4] != ':' || hex_exact(s, 4, &a) < 0 || hex_exact(s + 5, 4, &b) < 0)
		return -EINVAL;
	*ret_a = (uint16_t)a;
	*ret_b = (uint16_t)b;
	return 0;
}

/* "DD.F": device 00-1f, function 0-7. */
static int parse_devfn(const char *s, size_t len, unsigned int *ret_dev, unsigned int *ret_fn)
{
	unsigned long dev, fn;

	if (len != 4 || s[2] != '.' || hex_exact(s, 2, &dev) < 0 || !isdigit((unsigned char)s[3]))
		return -EINVAL;
	fn = (unsigned long)(s[3] - '0');
	if (dev > 0x1f || fn > 7)
		return -EINVAL;
	*ret_dev = (unsigned int)dev;
	*ret_fn = (unsigned int)fn;
	return 0;
}

/*
 * "DDDD:BB/DD.F[/DD.F...]" to lower case, checked: the device.function chain
 * from the host bridge. Built in a buffer: every event of a boot parses every entry.
 */
static int parse_path(const char *s, char **ret_path)
{
	char out[CONFIG_PATH_MAX];
	unsigned long domain, bus;
	const char *p = s + 7;
	size_t used;
	int components = 0;

	if (strlen(s) < 12 || s[4] != ':' || s[7] != '/' || hex_exact(s, 4, &domain) < 0 ||
	    hex_exact(s + 5, 2, &bus) < 0)
		return -EINVAL;
	used = (size_t)snprintf(out, sizeof(out), "%04lx:%02lx", domain, bus);
	while (*p == '/') {
		size_t len = strcspn(p + 1, "/");
		unsigned int dev, fn;

		if (parse_devfn(p + 1, len, &dev, &fn) < 0 || ++components > 32 ||
		    used + 6 > sizeof(out))
			return -EINVAL;
		used += (size_t)snprintf(out + used, sizeof(out) - used, "/%02x.%u", dev, fn);
		p += 1 + len;
	}
	if (*p != '\0' || components == 0)
		return -EINVAL;
	*ret_path = strdup(out);
	return *ret_path ? 0 : -ENOMEM;
}

/* "00-11-22-33-44-55-66-77" (as lspci prints a DSN) or 16 hex digits. */
static int parse_serial(const char *s, uint64_t *ret_serial)
{
	uint64_t v = 0;
	size_t digits = 0;

	for (const char *p = s; *p; p++) {
		if (isxdigit((unsigned char)*p)) {
			v = v << 4 |
			    (uint64_t)(isdigit((unsigned char)*p) ? *p - '0'
								  : (tolower(*p) - 'a' + 10));
			digits++;
		} else if (*p != '-' || (p - s) % 3 != 2 || strlen(s) != 23) {
			return -EINVAL;
		}
	}
	if (digits != 16)
		return -EINVAL;
	*ret_serial = v;
	return 0;
}

/* A name for slot=, user= or group=: printable, no '/' (slot names are directory names). */
static bool is_plain_name(const char *s)
{
	if (!*s || strlen(s) > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const char *p = s; *p; p++)
		if (!isgraph((unsigned char)*p) || *p == '/')
			return false;
	return true;
}

static int parse_bool_yes(const char *value, bool *ret)
{
	if (strcmp(value, "yes") == 0)
		*ret = true;
	else if (strcmp(value, "no") == 0)
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

struct line_ctx {
	struct iommugrp_config *config;
	const char *file;
	unsigned int line;
	unsigned int errors;
	unsigned int seen; /* bit per key, for duplicates */
};

static int line_error(struct line_ctx *lc, const char *format, ...) PRINTF(2, 3);
static int line_error(struct line_ctx *lc, const char *format, ...)
{
	char *message = NULL;
	va_list args;
	int r;

	va_start(args, format);
	if (vasprintf(&message, format, args) < 0)
		message = NULL;
	va_end(args);
	if (!message)
		return -ENOMEM;
	r = config_add_problem(lc->config, LOG_ERR, lc->file, lc->line, "%s", message);
	free(message);
	lc->errors++;
	return r;
}

enum key_id {
	KEY_PATH,
	KEY_ADDRESS,
	KEY_ID,
	KEY_SUBSYSTEM,
	KEY_SLOT,
	KEY_SERIAL,
	KEY_FUNCTION,
	KEY_VFIO,
	KEY_POLICY,
	KEY_USER,
	KEY_GROUP,
	KEY_MULTIPLE,
	KEY_FALLBACK,
	KEY_FORCE,
	KEY_COUNT
};

static const char *const key_names[KEY_COUNT] = {
	"path", "address", "id",   "subsystem", "slot",	    "serial",	"function",
	"vfio", "policy",  "user", "group",	"multiple", "fallback", "force",
};

static int dup_value(char **slot, const char *value)
{
	*slot = strdup(value);
	return *slot ? 0 : -ENOMEM;
}

/* One key=value token into the entry; a bad value is a line error, not a failure. */
static int parse_token(struct line_ctx *lc, struct config_entry *e, enum key_id key,
		       const char *value)
{
	char canonical[PCI_ADDRESS_MAX];
	enum iommugrp_policy policy;
	unsigned int n;

	switch (key) {
	case KEY_PATH:
		if (parse_path(value, &e->path) < 0)
			return line_error(lc,
					  "path=%s: expected DDDD:BB/DD.F[/DD.F...], the "
					  "device.function chain from the host bridge, like "
					  "0000:00/03.0/01.0",
					  value);
		return 0;
	case KEY_ADDRESS:
		if (parse_pci_address(value, canonical) < 0 ||
		    strchr(value, ':') == strrchr(value, ':'))
			return line_error(lc,
					  "address=%s: expected a PCI address DDDD:BB:DD.F, "
					  "like 0000:01:00.0",
					  value);
		return dup_value(&e->address, canonical);
	case KEY_ID:
		if (parse_id_pair(value, &e->vendor, &e->device) < 0)
			return line_error(lc,
					  "id=%s: expected VVVV:DDDD (vendor:device, 4 hex "
					  "digits each), like 8086:100e",
					  value);
		e->has_id = true;
		return 0;
	case KEY_SUBSYSTEM:
		if (parse_id_pair(value, &e->sub_vendor, &e->sub_device) < 0)
			return line_error(lc,
					  "subsystem=%s: expected VVVV:DDDD (subsystem vendor:"
					  "device, 4 hex digits each)",
					  value);
		e->has_subsystem = true;
		return 0;
	case KEY_SLOT:
		if (!is_plain_name(value))
			return line_error(lc,
					  "slot=%s: not a slot name (a name in /sys/bus/pci/slots)",
					  value);
		return dup_value(&e->slot, value);
	case KEY_SERIAL:
		if (parse_serial(value, &e->serial) < 0)
			return line_error(lc,
					  "serial=%s: expected the Device Serial Number as lspci "
					  "prints it, XX-XX-XX-XX-XX-XX-XX-XX, or 16 hex digits",
					  value);
		e->has_serial = true;
		return 0;
	case KEY_FUNCTION:
		if (strlen(value) != 1 || parse_uint(value, &n) < 0 || n > 7)
			return line_error(lc, "function=%s: expected a PCI function number 0-7",
					  value);
		e->function = n;
		e->has_function = true;
		return 0;
	case KEY_VFIO:
		if (strcmp(value, "yes") != 0)
			return line_error(lc,
					  "vfio=%s: the only value is yes (leave the key out "
					  "otherwise)",
					  value);
		e->vfio = true;
		return 0;
	case KEY_POLICY:
		if (iommugrp_policy_from_string(value, &policy) < 0)
			return line_error(lc,
					  "policy=%s: expected identity, DMA, DMA-FQ or auto "
					  "(or passthrough, strict, lazy, default)",
					  value);
		e->policy = (int)policy;
		return 0;
	case KEY_USER:
	case KEY_GROUP:
		if (!is_plain_name(value))
			return line_error(lc, "%s=%s: not a %s name or number", key_names[key],
					  value, key_names[key]);
		/* Numbers are checked here, names where they are used (the sysroot's passwd is
		 * not the host's): the same parser as --user and --group. */
		if (owner_id_looks_numeric(value) && !owner_id_from_number(value, &n))
			return line_error(lc, "%s=%s: not a valid %s (0 to 4294967294)",
					  key_names[key], value, key == KEY_USER ? "uid" : "gid");
		return dup_value(key == KEY_USER ? &e->user : &e->owner_group, value);
	case KEY_MULTIPLE:
	case KEY_FORCE:
		if (parse_bool_yes(value, key == KEY_MULTIPLE ? &e->multiple : &e->force) < 0)
			return line_error(lc, "%s=%s: expected yes or no", key_names[key], value);
		return 0;
	case KEY_FALLBACK:
		if (strcmp(value, "unbind") == 0)
			e->fallback = FALLBACK_UNBIND;
		else if (strcmp(value, "none") == 0)
			e->fallback = FALLBACK_NONE;
		else
			return line_error(lc, "fallback=%s: expected unbind or none", value);
		return 0;
	case KEY_COUNT:
		break;
	}
	return -EINVAL;
}

static int find_key(const char *name, size_t len)
{
	for (int k = 0; k < KEY_COUNT; k++)
		if (strlen(key_names[k]) == len && strncmp(key_names[k], name, len) == 0)
			return k;
	return -1;
}

static bool has_selector(const struct config_entry *e)
{
	return e->path || e->address || e->has_id || e->has_subsystem || e->slot || e->has_serial;
}

/* What one entry says must hang together: a selector, an action, options that apply. */
static int check_entry(struct line_ctx *lc, const struct config_entry *e)
{
	int r = 0;

	if (!has_selector(e))
		r = line_error(lc, "no selector: an entry needs path=, address=, id=, subsystem=, "
				   "slot= or serial= to say which devices it means");
	if (r == 0 && !e->vfio && e->policy < 0)
		r = line_error(lc, "no action: an entry needs vfio=yes or policy=");
	if (r == 0 && (e->user || e->owner_group) && !e->vfio)
		r = line_error(lc, "user= and group= give /dev/vfio/N away: they need vfio=yes");
	if (r == 0 && e->force && !e->vfio)
		r = line_error(lc, "force=yes takes devices the host needs for vfio-pci: it needs "
				   "vfio=yes");
	if (r == 0 && e->has_function && !e->has_serial)
		r = line_error(lc, "function= narrows a serial= match to one function: it needs "
				   "serial=");
	return r;
}

/* "key=value" tokens separated by blanks; the line's comment is already cut off. */
static int parse_tokens(struct line_ctx *lc, struct config_entry *e, char *text)
{
	char *save = NULL;
	int r = 0;

	for (char *tok = strtok_r(text, " \t\r\v\f", &save); tok && r == 0;
	     tok = strtok_r(NULL, " \t\r\v\f", &save)) {
		char *eq = strchr(tok, '=');
		int key = eq ? find_key(tok, (size_t)(eq - tok)) : -2;

		if (key == -2)
			r = line_error(lc, "'%s' is not key=value", tok);
		else if (key < 0)
			r = line_error(lc,
				       "unknown key '%.*s' (keys: path address id subsystem slot "
				       "serial function vfio policy user group multiple "
				       "fallback force)",
				       (int)(eq - tok), tok);
		else if (eq[1] == '\0')
			r = line_error(lc, "%s= has no value", key_names[key]);
		else if (lc->seen & (1u << key))
			r = line_error(lc, "%s= is given twice", key_names[key]);
		else {
			lc->seen |= 1u << key;
			r = parse_token(lc, e, (enum key_id)key, eq + 1);
		}
	}
	return r;
}

static int add_entry(struct iommugrp_config *config, struct config_entry *e)
{
	struct config_entry *bigger =
		realloc(config->entries, (config->n_entries + 1) * sizeof(*bigger));

	if (!bigger)
		return -ENOMEM;
	config->entries = bigger;
	config->entries[config->n_entries++] = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

/* Collapses blanks so messages and the status line quote the entry readably. */
static char *normalized_text(const char *line)
{
	char *out = malloc(strlen(line) + 1), *o = out;

	if (!out)
		return NULL;
	for (const char *p = line; *p;) {
		size_t blank = strspn(p, " \t\r\v\f");

		if (blank) {
			if (o != out && p[blank])
				*o++ = ' ';
			p += blank;
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

static int parse_line(struct iommugrp_config *config, const char *file, unsigned int lineno,
		      char *line)
{
	struct line_ctx lc = { config, file, lineno, 0, 0 };
	struct config_entry e = { .policy = -1 };
	char *hash = strchr(line, '#'), *copy;
	int r;

	if (hash)
		*hash = '\0';
	if (line[strspn(line, " \t\r\v\f")] == '\0')
		return 0;
	e.text = normalized_text(line);
	e.file = strdup(file);
	e.line = lineno;
	copy = strdup(line);
	if (!e.text || !e.file || !copy) {
		free(copy);
		config_entry_clear(&e);
		return -ENOMEM;
	}
	r = parse_tokens(&lc, &e, copy);
	free(copy);
	if (r == 0 && lc.errors == 0)
		r = check_entry(&lc, &e);
	if (r == 0 && lc.errors == 0 && e.address)
		r = config_add_problem(config, LOG_WARNING, file, lineno,
				       "address=%s is not stable: bus numbers change when devices "
				       "or firmware settings change; prefer path= (check-config "
				       "shows it)",
				       e.address);
	if (r == 0 && lc.errors == 0)
		return add_entry(config, &e);
	config_entry_clear(&e);
	return r;
}

/* Every line of one file; @len may hold NUL bytes, which are an error, not an end. */
int config_parse_text(struct iommugrp_config *config, const char *file, const char *text, size_t len)
{
	unsigned int lineno = 0;
	size_t pos = 0;
	int r = 0;

	while (pos < len && r == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t linelen = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *line;

		lineno++;
		if (memchr(text + pos, '\0', linelen))
			r = config_add_problem(config, LOG_ERR, file, lineno,
					       "the line holds a NUL byte: this is not a text "
					       "file");
		else if (linelen >= CONFIG_LINE_MAX)
			r = config_add_problem(config, LOG_ERR, file, lineno,
					       "the line is longer than %d bytes",
					       CONFIG_LINE_MAX - 1);
		else if (!(line = strndup(text + pos, linelen)))
			r = -ENOMEM;
		else {
			r = parse_line(config, file, lineno, line);
			free(line);
		}
		pos += linelen + 1;
	}
	return r;
}

/* FNV-1a, 64 bits: tells configurations apart (the initramfs's copy from /etc), not a MAC. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Root-owned, not writable by group or others, as cron(8) wants of /etc/cron.d. */
static int check_owner_and_mode(struct iommugrp_config *config, const char *display,
				const struct stat *st)
{
	int r = 0;

	if (st->st_uid != 0)
		r = config_add_problem(config, LOG_ERR, display, 0,
				       "owned by uid %u, not root: only root may configure what "
				       "binds at boot",
				       (unsigned int)st->st_uid);
	if (r == 0 && (st->st_mode & (S_IWGRP | S_IWOTH)))
		r = config_add_problem(config, LOG_ERR, display, 0,
				       "mode %04o is writable by %s: chmod go-w it",
				       (unsigned int)(st->st_mode & 07777),
				       (st->st_mode & S_IWGRP) && (st->st_mode & S_IWOTH) ? "group "
											    "and "
											    "others"
				       : (st->st_mode & S_IWGRP) ? "its group"
								 : "others");
	return r;
}

static int add_file_name(struct iommugrp_config *config, const char *display)
{
	char **bigger = realloc(config->files, (config->n_files + 1) * sizeof(*bigger));

	if (!bigger)
		return -ENOMEM;
	config->files = bigger;
	config->files[config->n_files] = strdup(display);
	if (!config->files[config->n_files])
		return -ENOMEM;
	config->n_files++;
	return 0;
}

static void add_to_digest(struct iommugrp_config *config, const char *display, const char *text,
			  size_t len)
{
	config->digest = fnv1a(config->digest, display, strlen(display) + 1);
	config->digest = fnv1a(config->digest, text, len);
	config->digest = fnv1a(config->digest, "", 1);
}

static int read_one_file(struct iommugrp_config *config, const char *path)
{
	char *display = strdup_printf("/%s", path), *text = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	if (!display)
		return -ENOMEM;
	r = sysfs_read_raw(config->ctx, path, CONFIG_FILE_MAX, &text, &len, &st);
	/* ENOENT: none, or gone since the directory was listed; a dangling link is an error. */
	if (r == -ENOENT && root_stat(config->ctx, path, false, &st) == 0 && S_ISLNK(st.st_mode))
		r = -ENOLINK;
	if (r == -ENOENT || r == -ENOMEM) {
		free(display);
		return r == -ENOENT ? 0 : r;
	}
	r = add_file_name(config, display) < 0 ? -ENOMEM : r;
	if (r == -ENOLINK)
		r = config_add_problem(config, LOG_ERR, display, 0,
				       "cannot read it: a symbolic link to nothing");
	else if (r == -EISDIR)
		r = config_add_problem(config, LOG_ERR, display, 0, "not a regular file");
	else if (r == -EFBIG)
		r = config_add_problem(config, LOG_ERR, display, 0,
				       "larger than 1 MiB: not a configuration file");
	else if (r < 0 && r != -ENOMEM)
		r = config_add_problem(config, LOG_ERR, display, 0, "cannot read it: %s",
				       strerror(-r));
	else if (r == 0) {
		add_to_digest(config, display, text, len);
		r = check_owner_and_mode(config, display, &st);
		if (r == 0)
			r = config_parse_text(config, display, text, len);
	}
	free(text);
	free(display);
	return r;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_conf_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".conf") == 0;
}

/* The directory itself must be root's too: otherwise anyone could add a file later. */
static int read_directory(struct iommugrp_config *config)
{
	char **names = NULL;
	size_t count = 0;
	struct stat st;
	int r = sysfs_stat(config->ctx, CONFIG_DIR, &st);

	if (r == -ENOENT)
		return 0;
	if (r == 0 && !S_ISDIR(st.st_mode))
		return config_add_problem(config, LOG_ERR, "/" CONFIG_DIR, 0, "not a directory");
	if (r == 0)
		r = check_owner_and_mode(config, "/" CONFIG_DIR, &st);
	if (r == 0)
		r = sysfs_list_dir(config->ctx, CONFIG_DIR, &names, &count);
	if (r < 0 && r != -ENOMEM)
		return config_add_problem(config, LOG_ERR, "/" CONFIG_DIR, 0, "cannot read it: %s",
					  strerror(-r));
	if (r < 0)
		return r;
	qsort(names, count, sizeof(*names), compare_names);
	for (size_t i = 0; i < count && r == 0; i++) {
		char *path;

		if (!is_conf_name(names[i]))
			continue;
		path = path_join(CONFIG_DIR, names[i]);
		r = path ? read_one_file(config, path) : -ENOMEM;
		free(path);
	}
	strv_free(names, count);
	return r;
}

static void config_free(struct iommugrp_config *config)
{
	for (size_t i = 0; i < config->n_entries; i++)
		config_entry_clear(&config->entries[i]);
	free(config->entries);
	for (size_t i = 0; i < config->n_problems; i++) {
		free(config->problems[i].file);
		free(config->problems[i].message);
	}
	free(config->problems);
	strv_free(config->files, config->n_files);
	for (size_t i = 0; i < config->n_groups; i++) {
		iommugrp_group_unref(config->groups[i].group);
		free(config->groups[i].entries);
		free(config->groups[i].entries_text);
		free(config->groups[i].user);
		free(config->groups[i].owner_group);
		free(config->groups[i].refusal);
	}
	free(config->groups);
	iommugrp_unref(config->ctx);
	free(config);
}

EXPORT int iommugrp_config_read(struct iommugrp_ctx *ctx, struct iommugrp_config **ret_config)
{
	struct iommugrp_config *config = calloc(1, sizeof(*config));
	int r;

	if (!config)
		return -ENOMEM;
	config->refcount = 1;
	config->ctx = iommugrp_ref(ctx);
	config->digest = 0xcbf29ce484222325ULL;
	r = read_one_file(config, CONFIG_FILE);
	if (r == 0)
		r = read_directory(config);
	if (r < 0) {
		config_free(config);
		return r;
	}
	if (config->n_files == 0)
		snprintf(config->digest_text, sizeof(config->digest_text), "none");
	else
		snprintf(config->digest_text, sizeof(config->digest_text), "fnv1a64:%016llx",
			 (unsigned long long)config->digest);
	log_dbg(ctx, "configuration: %zu files, %zu entries, %u errors", config->n_files,
		config->n_entries, config->n_errors);
	*ret_config = config;
	return 0;
}

EXPORT struct iommugrp_config *iommugrp_config_ref(struct iommugrp_config *config)
{
	if (config)
		config->refcount++;
	return config;
}

EXPORT struct iommugrp_config *iommugrp_config_unref(struct iommugrp_config *config)
{
	if (config && --config->refcount == 0)
		config_free(config);
	return NULL;
}

EXPORT unsigned int iommugrp_config_get_file_count(const struct iommugrp_config *config)
{
	return (unsigned int)config->n_files;
}

EXPORT const char *iommugrp_config_get_file(const struct iommugrp_config *config, unsigned int index)
{
	return index < config->n_files ? config->files[index] : NULL;
}

EXPORT unsigned int iommugrp_config_get_error_count(const struct iommugrp_config *config)
{
	return config->n_errors;
}

EXPORT unsigned int iommugrp_config_get_problem_count(const struct iommugrp_config *config)
{
	return (unsigned int)config->n_problems;
}

EXPORT int iommugrp_config_get_problem(const struct iommugrp_config *config, unsigned int index,
				       int *ret_priority, const char **ret_file,
				       unsigned int *ret_line, const char **ret_message)
{
	const struct config_problem *p;

	if (index >= config->n_problems)
		return -ERANGE;
	p = &config->problems[index];
	if (ret_priority)
		*ret_priority = p->priority;
	if (ret_file)
		*ret_file = p->file;
	if (ret_line)
		*ret_line = p->line;
	if (ret_message)
		*ret_message = p->message;
	return 0;
}

EXPORT const char *iommugrp_config_get_digest(const struct iommugrp_config *config)
{
	return config->digest_text;
}

EXPORT unsigned int iommugrp_config_get_entry_count(const struct iommugrp_config *config)
{
	return (unsigned int)config->n_entries;
}

EXPORT int iommugrp_config_get_entry(const struct iommugrp_config *config, unsigned int index,
				     const char **ret_file, unsigned int *ret_line,
				     const char **ret_text)
{
	if (index >= config->n_entries)
		return -ERANGE;
	if (ret_file)
		*ret_file = config->entries[index].file;
	if (ret_line)
		*ret_line = config->entries[index].line;
	if (ret_text)
		*ret_text = config->entries[index].text;
	return 0;
}
