/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The list's tree and table when stdout is not a terminal, byte for byte what
 * libsmartcols prints there, at a fraction of the cost: libsmartcols copies every
 * cell, then runs mbrtowc() over it character by character several times
 * (measuring, encoding, measuring again).
 *
 * Off a terminal libsmartcols never truncates or shrinks a column (calculate.c
 * stops before any of that when the output is not a tty): a column is as wide as
 * its widest cell, tree art included, or its header if that is wider, or else its
 * absolute width hint if that is wider still. So the layout is known once every
 * cell is: each cell is encoded and measured once as its row is added, and the
 * rows are printed padded at the end. Cells of printable ASCII, nearly all of
 * them, are copied as they are: their width is their length.
 *
 * tests/cli/text-table.bats compares this with libsmartcols' own output
 * (IOMMUGRP_OUTPUT=smartcols) on every fixture.
 */
#include <ctype.h>
#include <errno.h>
#include <langinfo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "cli.h"

#define MAX_COLUMNS (COL_COUNT * 2 + 1)

/* A cell's encoded text in the arena: where, how many bytes, how many screen cells. */
struct text_cell {
	uint32_t offset, bytes, width;
};

/* The branch drawn before a device's NAME: "|-"/"`-", or the UTF-8 box-drawing pair. */
struct tree_art {
	char text[16];
	size_t bytes, width;
};

static const struct tree_art no_art;

struct text_table {
	const struct column_set *set;
	bool tree, noheadings;
	int last_visible;
	bool plain_ascii[128]; /* bytes the locale prints as themselves, one cell wide */
	struct tree_art branch, last_branch;
	char *arena; /* every cell's encoded text, back to back */
	size_t arena_len, arena_cap;
	struct text_cell *cells; /* the header row, then set->count a row */
	size_t cells_cap;
	bool *child; /* a row is a device under the group row above it */
	size_t nrows, rows_cap;
	size_t widths[MAX_COLUMNS], max_bytes[MAX_COLUMNS];
	char *line;
	size_t line_cap;
};

static void put_hex(char **out, unsigned char c)
{
	static const char digits[] = "0123456789abcdef";

	(*out)[0] = '\\';
	(*out)[1] = 'x';
	(*out)[2] = digits[c >> 4];
	(*out)[3] = digits[c & 15];
	*out += 4;
}

/*
 * libsmartcols' "safe" encoding, written to out (4 bytes a byte of s at most):
 * control bytes, a backslash before 'x', and whatever the locale cannot print
 * become \xHH, four cells wide. Returns the width in cells; *ret_bytes the length.
 */
static size_t encode_multibyte(const char *s, char *out, size_t *ret_bytes)
{
	mbstate_t state;
	size_t width = 0;
	char *o = out;

	memset(&state, 0, sizeof(state));
	for (const char *p = s; *p;) {
		unsigned char c = (unsigned char)*p;
		wchar_t wc;
		size_t len;

		if (iscntrl(c) || (c == '\\' && p[1] == 'x')) {
			put_hex(&o, c);
			width += 4;
			p++;
			continue;
		}
		len = mbrtowc(&wc, p, MB_CUR_MAX, &state);
		if (len == 0)
			break;
		if (len == (size_t)-1 || len == (size_t)-2) {
			/* not a character here: printed as is when the byte is printable */
			if (isprint(c)) {
				*o++ = (char)c;
				width += 1;
			} else {
				put_hex(&o, c);
				width += 4;
			}
			p++;
			continue;
		}
		if (!iswprint(wc)) {
			for (size_t i = 0; i < len; i++, width += 4)
				put_hex(&o, (unsigned char)p[i]);
		} else {
			memcpy(o, p, len);
			o += len;
			width += (size_t)wcwidth(wc);
		}
		p += len;
	}
	*ret_bytes = (size_t)(o - out);
	return width;
}

/* Asks the locale itself which ASCII bytes the encoding leaves alone at one cell each. */
static void init_plain_ascii(struct text_table *t)
{
	for (int c = 0x20; c < 0x7f; c++) {
		char s[2] = { (char)c, '\0' }, out[8];
		size_t bytes;

		t->plain_ascii[c] = c != '\\' && encode_multibyte(s, out, &bytes) == 1 &&
				    bytes == 1 && out[0] == s[0];
	}
}

/* libsmartcols draws the tree in UTF-8 when the locale's charset is UTF-8. */
static void init_tree_art(struct tree_art *art, const char *utf8, const char *ascii)
{
	const char *text = strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ? utf8 : ascii;

	art->width = encode_multibyte(text, art->text, &art->bytes);
}

static int reserve(void **array, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 256;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*array, n * size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = n;
	return 0;
}

/* Encodes text into the arena; NULL is an empty cell. */
static int add_cell(struct text_table *t, struct text_cell *cell, const char *text)
{
	const char *s = text ? text : "";
	size_t plain = 0, len, bytes, width;

	while ((unsigned char)s[plain] < 0x80 && t->plain_ascii[(unsigned char)s[plain]])
		plain++;
	len = plain + strlen(s + plain);
	if (t->arena_len + 4 * len + 1 > UINT32_MAX)
		return -EOVERFLOW;
	if (reserve((void **)&t->arena, &t->arena_cap, t->arena_len + 4 * len + 1, 1) < 0)
		return -ENOMEM;
	if (plain == len) { /* printable ASCII only: the common case */
		memcpy(t->arena + t->arena_len, s, len);
		bytes = width = len;
	} else
		width = encode_multibyte(s, t->arena + t->arena_len, &bytes);
	cell->offset = (uint32_t)t->arena_len;
	cell->bytes = (uint32_t)bytes;
	cell->width = (uint32_t)width;
	t->arena_len += bytes;
	return 0;
}

struct text_table *text_table_new(const struct column_set *set, bool tree, bool noheadings)
{
	struct text_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->set = set;
	t->tree = tree;
	t->noheadings = noheadings;
	t->last_visible = -1;
	for (size_t i = 0; i < set->count; i++)
		if ((int)i != set->hidden)
			t->last_visible = (int)i;
	init_plain_ascii(t);
	init_tree_art(&t->branch, "\u251c\u2500", "|-");
	init_tree_art(&t->last_branch, "\u2514\u2500", "`-");
	/* the header row, measured like any other (printed unless -n) */
	if (reserve((void **)&t->cells, &t->cells_cap, set->count, sizeof(*t->cells)) < 0)
		goto fail;
	for (size_t i = 0; i < set->count; i++)
		if (add_cell(t, &t->cells[i], column_name(set->ids[i])) < 0)
			goto fail;
	return t;
fail:
	text_table_free(t);
	return NULL;
}

/* A group row (device NULL), or a device row: a child of the group above it in a tree. */
int text_table_add_row(struct text_table *t, struct iommugrp_group *group,
		       struct iommugrp_device *device, bool child)
{
	size_t count = t->set->count;
	struct text_cell *row;

	if (reserve((void **)&t->cells, &t->cells_cap, (t->nrows + 2) * count, sizeof(*t->cells)) <
		    0 ||
	    reserve((void **)&t->child, &t->rows_cap, t->nrows + 1, sizeof(*t->child)) < 0)
		return -ENOMEM;
	row = t->cells + (t->nrows + 1) * count;
	for (size_t i = 0; i < count; i++) {
		char scratch[COLUMN_SCRATCH], *owned = NULL;
		const char *text = (int)i == t->set->hidden ? NULL
							    : column_text(t->set->ids[i], group,
									  device, scratch, &owned);
		int r = add_cell(t, &row[i], text);

		free(owned);
		if (r < 0)
			return r;
	}
	t->child[t->nrows++] = child;
	return 0;
}

static const struct text_cell *row_cells(const struct text_table *t, size_t row)
{
	return t->cells + (row + 1) * t->set->count;
}

/* The art before row's tree cells: none for a top-level row, a branch, or the last branch. */
static const struct tree_art *row_art(const struct text_table *t, size_t row)
{
	if (!t->tree || !t->child[row])
		return &no_art;
	return row + 1 == t->nrows || !t->child[row + 1] ? &t->last_branch : &t->branch;
}

static bool is_tree_column(const struct text_table *t, size_t col)
{
	return t->tree && (column_flags(t->set->ids[col]) & SCOLS_FL_TREE);
}

/* libsmartcols' column width off a terminal (count_column_width in its calculate.c). */
static size_t column_width(size_t widest_cell, size_t header, double hint)
{
	size_t least = header ? header : 1;

	if (widest_cell < least)
		return least; /* the hint does not apply then: libsmartcols' else-if */
	if (hint >= 1 && widest_cell < (size_t)hint && least < (size_t)hint)
		return (size_t)hint;
	return widest_cell;
}

static void measure_columns(struct text_table *t)
{
	size_t count = t->set->count;

	for (size_t i = 0; i < count; i++)
		t->widths[i] = t->max_bytes[i] = 0;
	for (size_t r = 0; r < t->nrows; r++) {
		const struct text_cell *cells = row_cells(t, r);
		const struct tree_art *art = row_art(t, r);

		for (size_t i = 0; i < count; i++) {
			bool tree = is_tree_column(t, i);
			size_t width = cells[i].width + (tree ? art->width : 0);
			size_t bytes = cells[i].bytes + (tree ? art->bytes : 0);

			if (width > t->widths[i])
				t->widths[i] = width;
			if (bytes > t->max_bytes[i])
				t->max_bytes[i] = bytes;
		}
	}
	t->line_cap = 1;
	for (size_t i = 0; i < count; i++) {
		t->widths[i] = column_width(t->widths[i], t->cells[i].width,
					    column_width_hint(t->set->ids[i]));
		/* padding never exceeds the width, nor the text its bytes; one for the separator */
		t->line_cap += t->widths[i] + t->max_bytes[i] + t->cells[i].bytes + 1;
	}
}

static char *put_spaces(char *o, size_t n)
{
	memset(o, ' ', n);
	return o + n;
}

/*
 * One cell as libsmartcols' print_data() lays it out: right-aligned columns padded
 * before the text, the others after it, the last column not padded unless it is
 * right-aligned, a space between columns.
 */
static char *put_cell(const struct text_table *t, char *o, size_t col, const struct tree_art *art,
		      const struct text_cell *cell)
{
	bool last = (int)col == t->last_visible;
	bool right = column_flags(t->set->ids[col]) & SCOLS_FL_RIGHT;
	size_t len = art->width + cell->width, width = t->widths[col];

	/* libsmartcols prints nothing of a cell whose encoding is no cell wide */
	if (len > 0) {
		if (right) {
			o = put_spaces(o, width - len);
			len = width;
		}
		memcpy(o, art->text, art->bytes);
		o += art->bytes;
		memcpy(o, t->arena + cell->offset, cell->bytes);
		o += cell->bytes;
	}
	if (last)
		return o;
	o = put_spaces(o, width - len);
	*o++ = ' ';
	return o;
}

static int put_row(struct text_table *t, FILE *out, const struct text_cell *cells,
		   const struct tree_art *art)
{
	char *o = t->line;

	for (size_t i = 0; i < t->set->count; i++)
		if ((int)i != t->set->hidden)
			o = put_cell(t, o, i, is_tree_column(t, i) ? art : &no_art, &cells[i]);
	*o++ = '\n';
	return fwrite(t->line, 1, (size_t)(o - t->line), out) == (size_t)(o - t->line) ? 0 : -1;
}

/* Returns 0, or -1 when out could not take it. No rows: nothing at all, as libsmartcols. */
int text_table_print(struct text_table *t, FILE *out)
{
	int r = 0;

	if (t->nrows == 0)
		return 0;
	measure_columns(t);
	t->line = malloc(t->line_cap);
	if (!t->line)
		return -1;
	if (!t->noheadings)
		r = put_row(t, out, t->cells, &no_art);
	for (size_t row = 0; row < t->nrows && r == 0; row++)
		r = put_row(t, out, row_cells(t, row), row_art(t, row));
	if (fflush(out) != 0 || ferror(out))
		r = -1;
	return r;
}

void text_table_free(struct text_table *t)
{
	if (!t)
		return;
	free(t->arena);
	free(t->cells);
	free(t->child);
	free(t->line);
	free(t);
}
