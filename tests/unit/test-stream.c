/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * list's streaming writer (cli/stream.c) against libsmartcols itself: the same
 * rows, in JSON (tree and flat) and raw, must come out byte for byte the same,
 * for every byte value a sysfs file or hwdb name could carry.
 */
#include <locale.h>
#include <stdlib.h>

#include "../../cli/stream.c"
#include "../../cli/json.c"
#include "unit.h"

/* The rows under test: row r's text in column c; a group is row 0 of its block. */
#define ROWS 12
static const char *cells[ROWS][4];
static char all_bytes[256];

static int json_boolean_type = SCOLS_JSON_BOOLEAN;
static const enum column_id test_ids[] = { COL_NAME, COL_GROUP, COL_VIABLE, COL_DRIVER };

static size_t row_of(const void *p)
{
	return (size_t)((const char *)p - (const char *)cells);
}

/* The writer's column registry, answered from the table above. */
const char *column_text(enum column_id id, struct iommugrp_group *group,
			struct iommugrp_device *device, char scratch[COLUMN_SCRATCH], char **owned)
{
	size_t r = row_of(device ? (void *)device : (void *)group);

	(void)scratch, (void)owned;
	for (size_t c = 0; c < 4; c++)
		if (test_ids[c] == id)
			return cells[r][c];
	return NULL;
}

int column_json_type(enum column_id id)
{
	return id == COL_GROUP	  ? SCOLS_JSON_NUMBER
	       : id == COL_VIABLE ? json_boolean_type
				  : SCOLS_JSON_STRING;
}

const char *column_name(enum column_id id)
{
	return id == COL_NAME	  ? "NAME"
	       : id == COL_GROUP  ? "GROUP"
	       : id == COL_VIABLE ? "VIABLE"
				  : "DRIVER";
}

static void *row_ptr(size_t r)
{
	return (char *)cells + r;
}

/* Rows 0, 4 and 8 are groups; the others their devices. */
static bool is_group(size_t r)
{
	return r % 4 == 0;
}

static char *with_libsmartcols(bool json, bool tree, bool noheadings, int hidden)
{
	struct libscols_table *tb = scols_new_table();
	struct libscols_line *parent = NULL;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	scols_table_enable_json(tb, json);
	scols_table_set_name(tb, "iommugroups");
	scols_table_enable_raw(tb, !json);
	scols_table_enable_noheadings(tb, noheadings);
	scols_table_set_stream(tb, out);
	for (size_t c = 0; c < 4; c++) {
		int flags = (c == 0 && tree ? SCOLS_FL_TREE : 0) |
			    ((int)c == hidden ? SCOLS_FL_HIDDEN : 0);
		struct libscols_column *cl =
			scols_table_new_column(tb, column_name(test_ids[c]), 5, flags);
		char key[16];

		scols_column_set_json_type(cl, column_json_type(test_ids[c]));
		for (size_t k = 0; k <= strlen(column_name(test_ids[c])); k++)
			key[k] = (char)tolower((unsigned char)column_name(test_ids[c])[k]);
		if (json) /* as columns_new_table does */
			scols_cell_set_data(scols_column_get_header(cl), key);
	}
	for (size_t r = 0; r < ROWS; r++) {
		struct libscols_line *ln =
			scols_table_new_line(tb, tree && !is_group(r) ? parent : NULL);

		if (is_group(r))
			parent = ln;
		for (size_t c = 0; c < 4; c++)
			if (cells[r][c])
				scols_line_set_data(ln, c, cells[r][c]);
	}
	scols_print_table(tb);
	scols_unref_table(tb);
	fclose(out);
	return text;
}

/* The loop cmd-list.c runs, over the test rows. */
static char *with_stream(bool json, bool tree, bool noheadings, int hidden)
{
	static struct stream s;
	struct column_set set = { .count = 4, .hidden = hidden };
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	for (size_t c = 0; c < 4; c++)
		set.ids[c] = test_ids[c];
	stream_begin(&s, out, &set, json, noheadings, "iommugroups");
	for (size_t g = 0; g < ROWS; g += 4) {
		stream_row(&s, row_ptr(g), NULL, g == 0);
		for (size_t d = g + 1; d < g + 4; d++) {
			if (!tree) {
				stream_row_end(&s);
				stream_row(&s, row_ptr(g), row_ptr(d), false);
				continue;
			}
			if (d == g + 1)
				stream_children_begin(&s);
			stream_row(&s, row_ptr(g), row_ptr(d), d == g + 1);
			stream_row_end(&s);
		}
		if (tree)
			stream_children_end(&s);
		stream_row_end(&s);
	}
	CHECK_INT(stream_end(&s), 0);
	fclose(out);
	return text;
}

static void compare(bool json, bool tree, bool noheadings, int hidden)
{
	char *expected = with_libsmartcols(json, tree, noheadings, hidden);
	char *actual = with_stream(json, tree, noheadings, hidden);

	CHECK_STR(actual, expected);
	free(expected);
	free(actual);
}

static void fill_rows(void)
{
	static char single[256][2];

	for (int b = 1; b < 256; b++) {
		all_bytes[b - 1] = (char)b;
		single[b][0] = (char)b;
	}
	for (size_t r = 0; r < ROWS; r++) {
		cells[r][0] = is_group(r) ? "group 7" : "0000:00:1f.3";
		cells[r][1] = r == 5 ? NULL : "7";
		cells[r][2] = r % 3 == 0 ? "yes" : r == 7 ? NULL : "no";
		cells[r][3] = r == 2 ? all_bytes : r == 3 ? "" : r % 2 ? NULL : "e1000e";
	}
	cells[6][0] = "a \"quoted\" \\ name\twith\ncontrols\x01\x1f and UTF-8 \xc3\xa9";
	cells[9][3] = single[0x7f];
	cells[10][3] = single[0x80];
}

static void test_json_tree(void)
{
	compare(true, true, false, -1);
}

static void test_json_tree_hidden_name(void)
{
	compare(true, true, false, 0);
}

/* VIABLE's type: null when unknown. */
static void test_json_optional_boolean(void)
{
	json_boolean_type = SCOLS_JSON_BOOLEAN_OPTIONAL;
	cells[11][2] = "-";
	compare(true, true, false, -1);
	compare(true, false, false, -1);
	cells[11][2] = "no";
	json_boolean_type = SCOLS_JSON_BOOLEAN;
}

static void test_json_flat(void)
{
	compare(true, false, false, -1);
}

static void test_raw(void)
{
	compare(false, false, false, -1);
	compare(false, false, true, -1);
}

static void test_raw_utf8_locale(void)
{
	if (!setlocale(LC_ALL, "C.UTF-8"))
		return;
	compare(false, false, false, -1);
	compare(true, true, false, -1);
	setlocale(LC_ALL, "C");
}

int main(void)
{
	fill_rows();
	RUN(test_json_tree);
	RUN(test_json_tree_hidden_name);
	RUN(test_json_flat);
	RUN(test_json_optional_boolean);
	RUN(test_raw);
	RUN(test_raw_utf8_locale);
	return unit_summary();
}
