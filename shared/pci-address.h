/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the library and the tool, never exported: how a PCI address looks. */
#ifndef IOMMUGRP_SHARED_PCI_ADDRESS_H
#define IOMMUGRP_SHARED_PCI_ADDRESS_H

#include <stdbool.h>
#include <string.h>

/* Only hex digits, ':' and '.', with a ':': the user meant a PCI address. */
static inline bool looks_like_pci_address(const char *s)
{
	return strchr(s, ':') && s[strspn(s, "0123456789abcdefABCDEF:.")] == '\0';
}

#endif
