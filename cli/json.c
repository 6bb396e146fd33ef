/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small JSON writer for show and status, indented like libsmartcols' output. */
#include <stdio.h>

#include "cli.h"

static void newline_indent(struct json *j)
{
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("   ", j->out);
}

static void write_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* Starts a member: separator, indentation, and the key inside objects. */
static void member(struct json *j, const char *key)
{
	if (j->need_comma)
		fputc(',', j->out);
	if (j->depth > 0)
		newline_indent(j);
	if (key) {
		write_string(j->out, key);
		fputs(": ", j->out);
	}
	j->need_comma = true;
}

static void open_container(struct json *j, const char *key, char bracket)
{
	member(j, key);
	fputc(bracket, j->out);
	j->depth++;
	j->need_comma = false;
}

static void close_container(struct json *j, char bracket)
{
	bool empty = !j->need_comma;

	j->depth--;
	if (!empty)
		newline_indent(j);
	fputc(bracket, j->out);
	j->need_comma = true;
}

void json_begin(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->need_comma = false;
	open_container(j, NULL, '{');
}

void json_end(struct json *j)
{
	close_container(j, '}');
	fputc('\n', j->out);
}

void json_object_begin(struct json *j, const char *key)
{
	open_container(j, key, '{');
}

void json_object_end(struct json *j)
{
	close_container(j, '}');
}

void json_array_begin(struct json *j, const char *key)
{
	open_container(j, key, '[');
}

void json_array_end(struct json *j)
{
	close_container(j, ']');
}

void json_string(struct json *j, const char *key, const char *value)
{
	member(j, key);
	if (value)
		write_string(j->out, value);
	else
		fputs("null", j->out);
}

void json_uint(struct json *j, const char *key, unsigned long long value)
{
	member(j, key);
	fprintf(j->out, "%llu", value);
}

void json_bool(struct json *j, const char *key, bool value)
{
	member(j, key);
	fputs(value ? "true" : "false", j->out);
}
