/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the library and the tool, never exported: the one reader of the kernel command
 * line (/proc/cmdline). Parameters are words separated by blanks (space, tab, newline); a
 * parameter is KEY or KEY=VALUE. Quotes are not interpreted.
 */
#ifndef IOMMUGRP_SHARED_CMDLINE_H
#define IOMMUGRP_SHARED_CMDLINE_H

#include <stdbool.h>
#include <string.h>

#define CMDLINE_BLANKS " \t\n"

struct cmdline_param {
	const char *word; /* the whole KEY[=VALUE], not NUL-terminated */
	size_t len;
	size_t key_len;
	const char *value; /* after '=', or NULL for a bare KEY */
	size_t value_len;
};

/* The parameter at *@pos, advancing *@pos past it; false at the end of the line. */
static inline bool cmdline_next(const char **pos, struct cmdline_param *ret)
{
	const char *p = *pos + strspn(*pos, CMDLINE_BLANKS);
	size_t len = strcspn(p, CMDLINE_BLANKS);
	const char *eq;

	if (len == 0)
		return false;
	eq = memchr(p, '=', len);
	ret->word = p;
	ret->len = len;
	ret->key_len = eq ? (size_t)(eq - p) : len;
	ret->value = eq ? eq + 1 : NULL;
	ret->value_len = eq ? len - ret->key_len - 1 : 0;
	*pos = p + len;
	return true;
}

static inline bool cmdline_key_is(const struct cmdline_param *param, const char *key)
{
	return param->key_len == strlen(key) && strncmp(param->word, key, param->key_len) == 0;
}

/*
 * The last KEY=VALUE of @key on @cmdline (the kernel applies its parameters in order, so the
 * last one is what it obeys): true with it in @ret, false when no word sets @key.
 */
static inline bool cmdline_find(const char *cmdline, const char *key, struct cmdline_param *ret)
{
	struct cmdline_param param;
	bool found = false;

	for (const char *pos = cmdline; pos && cmdline_next(&pos, &param);)
		if (param.value && cmdline_key_is(&param, key)) {
			*ret = param;
			found = true;
		}
	return found;
}

/* The value @key last has on @cmdline is @value. */
static inline bool cmdline_has(const char *cmdline, const char *key, const char *value)
{
	struct cmdline_param param;

	return cmdline_find(cmdline, key, &param) && param.value_len == strlen(value) &&
	       strncmp(param.value, value, param.value_len) == 0;
}

#endif
