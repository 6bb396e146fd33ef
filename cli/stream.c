/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The list's JSON and raw output written as the groups are walked, byte for byte
 * what libsmartcols prints for the same table (its JSON writer's layout and
 * escapes, its raw mode's \xHH encoding), without a cell allocated per value or
 * a character at a time through stdio. tests/unit/test-stream.c holds it to
 * libsmartcols' own output for every byte value.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void stream_flush(struct stream *s)
{
	if (s->len && fwrite(s->buf, 1, s->len, s->out) != s->len)
		s->failed = true;
	s->len = 0;
}

static void put(struct stream *s, const char *data, size_t len)
{
	if (s->len + len > sizeof(s->buf)) {
		stream_flush(s);
		if (len > sizeof(s->buf)) {
			if (fwrite(data, 1, len, s->out) != len)
				s->failed = true;
			return;
		}
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
}

static void put_str(struct stream *s, const char *str)
{
	put(s, str, strlen(str));
}

static void put_indent(struct stream *s, int depth)
{
	static const char spaces[] = "                                                ";

	for (; depth > 0; depth -= 16)
		put(s, spaces, 3 * (size_t)(depth < 16 ? depth : 16));
}

static void put_any(void *s, const char *data, size_t len)
{
	put(s, data, len);
}

/* A quoted JSON string, escaped by the tool's one escaper (json.c). */
static void put_json_string(struct stream *s, const char *str)
{
	json_put_string(str, put_any, s);
}

/* raw mode: blanks, backslashes and what the locale cannot print become \xHH. */
static void put_raw_cell(struct stream *s, const char *str)
{
	for (const unsigned char *p = (const unsigned char *)str; p && *p;) {
		const unsigned char *run = p;
		char esc[8];

		while (*p && !isblank(*p) && *p != '\\' && isprint(*p) && !iscntrl(*p))
			p++;
		put(s, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		snprintf(esc, sizeof(esc), "\\x%02x", *p);
		put_str(s, esc);
		p++;
	}
}

void stream_begin(struct stream *s, FILE *out, const struct column_set *set, bool json,
		  bool noheadings, const char *json_name)
{
	s->out = out;
	s->len = 0;
	s->failed = false;
	s->set = set;
	s->json = json;
	s->noheadings = noheadings;
	s->lines = 0;
	s->depth = 1; /* inside the top-level array */
	s->last_visible = -1;
	for (size_t i = 0; i < set->count; i++)
		if ((int)i != set->hidden)
			s->last_visible = (int)i;
	if (json) {
		put_str(s, "{\n   ");
		put_json_string(s, json_name);
		put_str(s, ": [\n");
	}
}

static void json_key(struct stream *s, const char *name)
{
	put_indent(s, s->depth + 1);
	put(s, "\"", 1);
	for (const char *p = name; *p; p++) {
		char c = (char)tolower((unsigned char)*p);

		put(s, &c, 1);
	}
	put(s, "\": ", 3);
}

static void json_value(struct stream *s, enum column_id id, const char *text)
{
	switch (column_json_type(id)) {
	case SCOLS_JSON_NUMBER:
		if (text && *text)
			put_str(s, text);
		else
			put(s, "null", 4);
		break;
	case SCOLS_JSON_BOOLEAN_OPTIONAL:
		if (!text || !*text || strcmp(text, "-") == 0) {
			put(s, "null", 4);
			break;
		}
		/* fall through */
	case SCOLS_JSON_BOOLEAN:
		put_str(s, !text || !*text || *text == '0' || *text == 'N' || *text == 'n' ? "false"
											   : "tru"
											     "e");
		break;
	default:
		if (text && *text)
			put_json_string(s, text);
		else
			put(s, "null", 4);
	}
}

static void raw_header(struct stream *s)
{
	for (size_t i = 0; i < s->set->count; i++) {
		put_raw_cell(s, column_name(s->set->ids[i]));
		put(s, (int)i == s->last_visible ? "\n" : " ", 1);
	}
}

/*
 * One row: a group (device NULL) or a device. In JSON a tree's device rows nest in their
 * group's "children"; stream_row leaves the object open for them and stream_row_end closes it.
 */
void stream_row(struct stream *s, struct iommugrp_group *group, struct iommugrp_device *device,
		bool first_sibling)
{
	char scratch[COLUMN_SCRATCH];
	bool first = true;

	if (!s->json) {
		if (s->lines++ == 0 && !s->noheadings)
			raw_header(s);
		for (size_t i = 0; i < s->set->count; i++) {
			char *owned = NULL;

			put_raw_cell(s, column_text(s->set->ids[i], group, device, scratch, &owned));
			free(owned);
			put(s, (int)i == s->last_visible ? "\n" : " ", 1);
		}
		return;
	}
	s->lines++;
	s->depth += 1;
	if (first_sibling)
		put_indent(s, s->depth);
	else
		put(s, ",", 1);
	put(s, "{\n", 2);
	for (size_t i = 0; i < s->set->count; i++) {
		if ((int)i == s->set->hidden)
			continue;
		if (!first)
			put(s, ",\n", 2);
		first = false;
		json_key(s, column_name(s->set->ids[i]));
		char *owned = NULL;

		json_value(s, s->set->ids[i],
			   column_text(s->set->ids[i], group, device, scratch, &owned));
		free(owned);
	}
}

void stream_children_begin(struct stream *s)
{
	put(s, ",\n", 2);
	put_indent(s, s->depth + 1);
	put_str(s, "\"children\": [\n");
	s->depth += 1;
}

void stream_children_end(struct stream *s)
{
	s->depth -= 1;
	put(s, "\n", 1);
	put_indent(s, s->depth + 1);
	put(s, "]", 1);
}

void stream_row_end(struct stream *s)
{
	if (!s->json)
		return;
	put(s, "\n", 1);
	put_indent(s, s->depth);
	put(s, "}", 1);
	s->depth -= 1;
}

/* Returns 0, or -1 when stdout could not take the output. */
int stream_end(struct stream *s)
{
	if (s->json)
		put_str(s, "\n   ]\n}\n");
	stream_flush(s);
	return s->failed ? -1 : 0;
}
