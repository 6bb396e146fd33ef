/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small JSON writer for show and status, indented like libsmartcols' output. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void newline_indent(struct json *j)
{
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("   ", j->out);
}

/*
 * The one JSON string writer (RFC 8259), for every JSON the tool prints: list's stream, show,
 * status, why and the commands that change state. Escaped as libsmartcols escapes (list -J
 * through a table prints the same bytes): '"' and '\\' after a backslash, \b \t \n \f \r by
 * name, the other control bytes as \u00XX, everything else as it is. @emit gets the quotes, the
 * runs of plain bytes in one piece each, and the escapes.
 */
void json_put_string(const char *str, json_put_fn *emit, void *out)
{
	const unsigned char *p = (const unsigned char *)str;

	emit(out, "\"", 1);
	while (*p) {
		const unsigned char *run = p;
		char esc[8] = "\\";

		while (*p >= 0x20 && *p != '"' && *p != '\\')
			p++;
		emit(out, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '\b':
			esc[1] = 'b';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		default:
			if (*p < 0x20)
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
			else
				esc[1] = (char)*p; /* '"' or '\\' */
		}
		emit(out, esc, strlen(esc));
		p++;
	}
	emit(out, "\"", 1);
}

static void put_file(void *out, const char *data, size_t len)
{
	fwrite(data, 1, len, out);
}

static void write_string(FILE *out, const char *s)
{
	json_put_string(s, put_file, out);
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
