/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the library and the tool, never exported: user=/group= and --user/--group. */
#ifndef IOMMUGRP_SHARED_OWNER_ID_H
#define IOMMUGRP_SHARED_OWNER_ID_H

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/types.h>

/*
 * A decimal uid or gid from 0 to 4294967294: only digits (no sign, no space), no overflow, and
 * never 4294967295, which chown(2) reads as "unchanged". strtoul alone would take "-1", " 5",
 * "+5" and wrap 4294968296 to 1000.
 */
static inline bool owner_id_from_number(const char *s, unsigned int *ret_id)
{
	unsigned long long id = 0;

	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		id = id * 10 + (unsigned long long)(*p - '0');
		if (id >= (unsigned long long)(uid_t)-1)
			return false;
	}
	*ret_id = (unsigned int)id;
	return true;
}

/* Only digits, or a sign first: a number (a user name never starts with '+' or '-'). */
static inline bool owner_id_looks_numeric(const char *s)
{
	if (!s || !*s)
		return false;
	if (*s == '+' || *s == '-')
		return true;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* A user (or, with @group, a group) by name, else by number as above: 0, or -ENOENT for a
 * name the system does not know and -ERANGE for a number out of range. */
static inline int owner_id_resolve(const char *s, bool group, unsigned int *ret_id)
{
	if (!s || !*s)
		return -ENOENT;
	if (!owner_id_looks_numeric(s)) {
		struct passwd *pw = group ? NULL : getpwnam(s);
		struct group *gr = group ? getgrnam(s) : NULL;

		if (!pw && !gr)
			return -ENOENT;
		*ret_id = pw ? (unsigned int)pw->pw_uid : (unsigned int)gr->gr_gid;
		return 0;
	}
	return owner_id_from_number(s, ret_id) ? 0 : -ERANGE;
}

/* What owner_id_resolve's error means, for the message. */
static inline const char *owner_id_error(int error, bool group)
{
	if (error == -ERANGE)
		return group ? "not a valid gid (0 to 4294967294)"
			     : "not a valid uid (0 to 4294967294)";
	return group ? "no such group" : "no such user";
}

#endif
