/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure parsers for sysfs values, addresses, paths and boot settings. */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "../shared/cmdline.h"

char *path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = malloc(dl + nl + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	return p;
}

/* Drops the last component of a path held in buf[0..*len). */
static int pop_component(char *buf, size_t *len)
{
	if (*len == 0)
		return -EINVAL; /* ".." above the root */
	while (*len > 0 && buf[*len - 1] != '/')
		(*len)--;
	if (*len > 0)
		(*len)--;
	buf[*len] = '\0';
	return 0;
}

static int push_component(char *buf, size_t *len, const char *comp, size_t clen)
{
	if (*len > 0)
		buf[(*len)++] = '/';
	memcpy(buf + *len, comp, clen);
	*len += clen;
	buf[*len] = '\0';
	return 0;
}

/*
 * Resolves a symlink target found in link_dir to a normalized path relative
 * to the root ("a/b/../c" -> "a/c"). Absolute targets restart at the root.
 */
int path_resolve_link(const char *link_dir, const char *target, char **ret_path)
{
	size_t cap = strlen(link_dir) + strlen(target) + 2, len = 0;
	char *buf = malloc(cap);
	const char *parts[2] = { target[0] == '/' ? "" : link_dir, target };

	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	for (int i = 0; i < 2; i++) {
		const char *p = parts[i];

		while (*p) {
			size_t clen = strcspn(p, "/");

			if (clen == 2 && p[0] == '.' && p[1] == '.') {
				if (pop_component(buf, &len) < 0) {
					free(buf);
					return -EINVAL;
				}
			} else if (clen > 0 && !(clen == 1 && p[0] == '.')) {
				push_component(buf, &len, p, clen);
			}
			p += clen;
			p += strspn(p, "/");
		}
	}
	*ret_path = buf;
	return 0;
}

/* "0x8086" or "8086", nothing else, at most max. */
int parse_hex_u32(const char *s, uint32_t max, uint32_t *ret_value)
{
	unsigned long long v = 0;
	size_t digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++, digits++) {
		if (!isxdigit((unsigned char)*s) || digits >= 8)
			return -EINVAL;
		v = v * 16 + (uint64_t)(isdigit((unsigned char)*s)
						? *s - '0'
						: (tolower((unsigned char)*s) - 'a' + 10));
	}
	if (digits == 0)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret_value = (uint32_t)v;
	return 0;
}

/* A decimal number without sign, spaces or leading junk. */
int parse_uint(const char *s, unsigned int *ret_value)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*ret_value = (unsigned int)v;
	return 0;
}

static int parse_u64_hex_token(const char *tok, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (len < 3 || tok[0] != '0' || (tok[1] != 'x' && tok[1] != 'X') || len > 18)
		return -EINVAL;
	for (size_t i = 2; i < len; i++) {
		int c = tolower((unsigned char)tok[i]);

		if (!isxdigit(c))
			return -EINVAL;
		v = v * 16 + (uint64_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
	}
	*ret = v;
	return 0;
}

static const char *const region_type_names[] = {
	[IOMMUGRP_REGION_DIRECT] = "direct",
	[IOMMUGRP_REGION_DIRECT_RELAXABLE] = "direct-relaxable",
	[IOMMUGRP_REGION_RESERVED] = "reserved",
	[IOMMUGRP_REGION_MSI] = "msi",
};

EXPORT const char *iommugrp_region_type_to_string(enum iommugrp_region_type type)
{
	if ((unsigned)type >= ARRAY_SIZE(region_type_names))
		return NULL;
	return region_type_names[type];
}

static int region_type_from_token(const char *tok, size_t len, enum iommugrp_region_type *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(region_type_names); i++)
		if (strlen(region_type_names[i]) == len &&
		    memcmp(tok, region_type_names[i], len) == 0) {
			*ret = (enum iommugrp_region_type)i;
			return 0;
		}
	return -EINVAL;
}

/* One line of reserved_regions: "0x%016llx 0x%016llx %s". */
int parse_region_line(const char *line, struct iommugrp_region *ret_region)
{
	const char *tok[3];
	size_t len[3];
	const char *p = line;
	struct iommugrp_region region;

	for (int i = 0; i < 3; i++) {
		p += strspn(p, " \t");
		tok[i] = p;
		len[i] = strcspn(p, " \t");
		if (len[i] == 0)
			return -EINVAL;
		p += len[i];
	}
	if (p[strspn(p, " \t")] != '\0')
		return -EINVAL;
	if (parse_u64_hex_token(tok[0], len[0], &region.start) < 0 ||
	    parse_u64_hex_token(tok[1], len[1], &region.end) < 0 ||
	    region_type_from_token(tok[2], len[2], &region.type) < 0 || region.end < region.start)
		return -EINVAL;
	*ret_region = region;
	return 0;
}

static int append_region(struct iommugrp_region **regions, size_t *count,
			 const struct iommugrp_region *region)
{
	struct iommugrp_region *bigger = realloc(*regions, (*count + 1) * sizeof(**regions));

	if (!bigger) {
		free(*regions);
		*regions = NULL;
		return -ENOMEM;
	}
	bigger[(*count)++] = *region;
	*regions = bigger;
	return 0;
}

/*
 * The whole file. Bad lines are skipped, not fatal: every good region is
 * returned, and -EBADMSG with the first bad line's 1-based number says some
 * were not.
 */
int parse_regions(const char *text, struct iommugrp_region **ret_regions, size_t *ret_count,
		  unsigned int *ret_bad_line)
{
	struct iommugrp_region *regions = NULL, region;
	unsigned int lineno = 0, first_bad = 0;
	size_t count = 0;
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, "\n");
		bool bad = false;

		lineno++;
		if (len > 0) {
			char *line = strndup(p, len);

			if (!line) {
				free(regions);
				return -ENOMEM;
			}
			bad = parse_region_line(line, &region) < 0;
			free(line);
			if (!bad && append_region(&regions, &count, &region) < 0)
				return -ENOMEM;
		}
		if (bad && !first_bad)
			first_bad = lineno;
		p += len;
		if (*p == '\n')
			p++;
	}
	*ret_regions = regions;
	*ret_count = count;
	*ret_bad_line = first_bad;
	return first_bad ? -EBADMSG : 0;
}

static int hex_field(const char **p, size_t min, size_t max, unsigned long *ret)
{
	size_t n = 0;
	unsigned long v = 0;

	while (isxdigit((unsigned char)(*p)[n]) && n < max + 1) {
		int c = tolower((unsigned char)(*p)[n]);

		v = v * 16 + (unsigned long)(isdigit(c) ? c - '0' : c - 'a' + 10);
		n++;
	}
	if (n < min || n > max)
		return -EINVAL;
	*p += n;
	*ret = v;
	return 0;
}

/* "[domain:]bus:device.function" -> "dddd:bb:dd.f" (domain may be wider). */
int parse_pci_address(const char *s, char ret_canonical[PCI_ADDRESS_MAX])
{
	unsigned long domain = 0, bus, dev, fn;
	const char *p = s;
	int colons = 0;

	for (const char *q = s; *q; q++)
		colons += *q == ':';
	if (colons == 2 && (hex_field(&p, 1, 8, &domain) < 0 || *p++ != ':'))
		return -EINVAL;
	if (colons < 1 || colons > 2 || hex_field(&p, 1, 2, &bus) < 0 || *p++ != ':' ||
	    hex_field(&p, 1, 2, &dev) < 0 || *p++ != '.' || hex_field(&p, 1, 1, &fn) < 0 ||
	    *p != '\0' || dev > 0x1f || fn > 7 || domain > 0xffffffffUL)
		return -EINVAL;
	snprintf(ret_canonical, PCI_ADDRESS_MAX, "%04lx:%02lx:%02lx.%lx", domain, bus, dev, fn);
	return 0;
}

char *strdup_or_null(const char *s, bool *failed)
{
	char *copy = s ? strdup(s) : NULL;

	if (s && !copy && failed)
		*failed = true;
	return copy;
}

bool streq_ptr(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

bool is_restorable_type(const char *type)
{
	return type && (strcmp(type, "identity") == 0 || strcmp(type, "DMA") == 0 ||
			strcmp(type, "DMA-FQ") == 0);
}

bool is_known_group_type(const char *type)
{
	static const char *const types[] = { "blocked", "identity", "unmanaged",
					     "DMA",	"DMA-FQ",   "unknown" };

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

int parse_kernel_version(const char *release, unsigned int *ret_major, unsigned int *ret_minor)
{
	unsigned int major, minor;
	int n = 0;

	if (sscanf(release, "%u.%u%n", &major, &minor, &n) != 2 || n == 0)
		return -EINVAL;
	*ret_major = major;
	*ret_minor = minor;
	return 0;
}

/* Kernel boolean parameter syntax (kstrtobool). */
static int parse_kernel_bool(const char *v)
{
	if (strcmp(v, "1") == 0 || strcasecmp(v, "y") == 0 || strcasecmp(v, "yes") == 0 ||
	    strcasecmp(v, "on") == 0)
		return 1;
	if (strcmp(v, "0") == 0 || strcasecmp(v, "n") == 0 || strcasecmp(v, "no") == 0 ||
	    strcasecmp(v, "off") == 0)
		return 0;
	return -1;
}

static bool list_has(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");

		if (n == wl && strncmp(p, word, wl) == 0)
			return true;
		p += n;
		p += *p == ',';
	}
	return false;
}

static void set_from(int *field, char *source, int value, const char *token)
{
	if (value < 0)
		return;
	*field = value;
	snprintf(source, 64, "%s", token);
}

static void apply_cmdline_token(const char *tok, struct boot_setting *s)
{
	const char *eq = strchr(tok, '=');
	const char *v = eq ? eq + 1 : "";
	size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);

#define KEY_IS(k) (klen == strlen(k) && strncmp(tok, k, klen) == 0)
	if (KEY_IS("iommu.passthrough"))
		set_from(&s->passthrough, s->passthrough_source, parse_kernel_bool(v), tok);
	else if (KEY_IS("iommu.strict"))
		set_from(&s->strict, s->strict_source, parse_kernel_bool(v), tok);
	else if (KEY_IS("iommu") && list_has(v, "pt"))
		set_from(&s->passthrough, s->passthrough_source, 1, tok);
	else if (KEY_IS("iommu") && list_has(v, "nopt"))
		set_from(&s->passthrough, s->passthrough_source, 0, tok);
	else if (KEY_IS("intel_iommu") && list_has(v, "strict"))
		set_from(&s->strict, s->strict_source, 1, tok);
	else if (KEY_IS("amd_iommu") && list_has(v, "fullflush"))
		set_from(&s->strict, s->strict_source, 1, tok);
#undef KEY_IS
}

/* Later parameters override earlier ones, as the kernel applies them in order. */
void parse_boot_cmdline(const char *cmdline, struct boot_setting *setting)
{
	struct cmdline_param param;

	for (const char *p = cmdline; cmdline_next(&p, &param);) {
		char tok[256];

		if (param.len < sizeof(tok)) {
			memcpy(tok, param.word, param.len);
			tok[param.len] = '\0';
			apply_cmdline_token(tok, setting);
		}
	}
}

/* CONFIG_IOMMU_DEFAULT_{PASSTHROUGH,DMA_STRICT,DMA_LAZY}: fills what the cmdline left open. */
void parse_kernel_config(const char *config, struct boot_setting *setting)
{
	static const struct {
		const char *option;
		int passthrough, strict;
	} defaults[] = {
		{ "CONFIG_IOMMU_DEFAULT_PASSTHROUGH=y", 1, -1 },
		{ "CONFIG_IOMMU_DEFAULT_DMA_STRICT=y", 0, 1 },
		{ "CONFIG_IOMMU_DEFAULT_DMA_LAZY=y", 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
		const char *hit = strstr(config, defaults[i].option);

		if (!hit || (hit != config && hit[-1] != '\n'))
			continue;
		if (setting->passthrough < 0)
			set_from(&setting->passthrough, setting->passthrough_source,
				 defaults[i].passthrough, defaults[i].option);
		if (setting->strict < 0)
			set_from(&setting->strict, setting->strict_source, defaults[i].strict,
				 defaults[i].option);
	}
}

/* Start of the 1-based line n, for quoting a bad line in a message. */
const char *nth_line(const char *text, unsigned int n)
{
	while (n > 1 && *text) {
		if (*text++ == '\n')
			n--;
	}
	return text;
}

static const struct {
	const char *name;
	const char *alias;
} policy_names[] = {
	[IOMMUGRP_POLICY_IDENTITY] = { "identity", "passthrough" },
	[IOMMUGRP_POLICY_DMA] = { "DMA", "strict" },
	[IOMMUGRP_POLICY_DMA_FQ] = { "DMA-FQ", "lazy" },
	[IOMMUGRP_POLICY_AUTO] = { "auto", "default" },
};

EXPORT int iommugrp_policy_from_string(const char *name, enum iommugrp_policy *ret_policy)
{
	for (size_t i = 0; i < ARRAY_SIZE(policy_names); i++)
		if (strcasecmp(name, policy_names[i].name) == 0 ||
		    strcasecmp(name, policy_names[i].alias) == 0) {
			*ret_policy = (enum iommugrp_policy)i;
			return 0;
		}
	return -EINVAL;
}

EXPORT const char *iommugrp_policy_to_string(enum iommugrp_policy policy)
{
	if ((unsigned)policy >= ARRAY_SIZE(policy_names))
		return NULL;
	return policy_names[policy].name;
}

char *strdup_printf(const char *format, ...)
{
	va_list args;
	char *s;

	va_start(args, format);
	if (vasprintf(&s, format, args) < 0)
		s = NULL;
	va_end(args);
	return s;
}

/* One /proc/locks line names a held flock on the file (not a waiter: "->"). Its format:
 * "ID: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE START END", MAJ and MIN in hex. */
static bool locks_line_holds(const char *line, size_t len, unsigned int maj, unsigned int min,
			     unsigned long inode)
{
	char one[256];
	unsigned int m1, m2;
	unsigned long ino;
	char *p;

	if (len >= sizeof(one))
		return false;
	memcpy(one, line, len);
	one[len] = '\0';
	if (!strstr(one, " FLOCK ") || strstr(one, "->"))
		return false;
	for (p = strchr(one, ':'); p && (p = strchr(p + 1, ':'));) {
		char *start = p;

		while (start > one && start[-1] != ' ')
			start--;
		if (sscanf(start, "%x:%x:%lu", &m1, &m2, &ino) == 3)
			return m1 == maj && m2 == min && ino == inode;
	}
	return false;
}

bool proc_locks_has_flock(const char *locks, unsigned int maj, unsigned int min, unsigned long inode)
{
	while (locks && *locks) {
		size_t len = strcspn(locks, "\n");

		if (locks_line_holds(locks, len, maj, min, inode))
			return true;
		locks += len + (locks[len] == '\n');
	}
	return false;
}
