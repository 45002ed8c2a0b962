/*
 * heatmap: the renderings of support-milter-stats (heatmap.h).
 *
 * Input: a filled struct heatmap.  Output: text to a FILE, JSON or SVG
 * into a struct buf (whose maximum bounds the output; the SVG of 168 cells
 * is about 60 KB).  Strings from Redis or the config (addresses, ids) are
 * escaped for JSON by json.c and for XML here, invalid UTF-8 and control
 * characters replaced, so both documents always parse.
 *
 * Shades: a cell with count c in a map whose largest cell is max gets
 * level ceil(4 c / max), 1..4; 0 only for no mail at all, so a single
 * message is never invisible.  The SVG colours interpolate a sequential
 * blue scale over c / max.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heatmap.h"
#include "json.h"

const char *const heatmap_day_names[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* ------------------------------------------------------------ data */

int heatmap_list_add(struct heatmap_list *l, const char *name, long long count)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->item[i].name, name) == 0) {
			l->item[i].count += count;
			return 0;
		}
	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? l->cap * 2 : 16;
		struct heatmap_item *it = realloc(l->item, cap * sizeof(*it));
		if (it == NULL)
			return -1;
		l->item = it;
		l->cap = cap;
	}
	char *dup = strdup(name);
	if (dup == NULL)
		return -1;
	l->item[l->n++] = (struct heatmap_item){ .name = dup, .count = count };
	return 0;
}

static int item_cmp(const void *a, const void *b)
{
	const struct heatmap_item *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

void heatmap_list_sort(struct heatmap_list *l)
{
	if (l->n > 1)
		qsort(l->item, l->n, sizeof(l->item[0]), item_cmp);
}

static void list_free(struct heatmap_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->item[i].name);
	free(l->item);
	memset(l, 0, sizeof(*l));
}

void heatmap_release(struct heatmap *h)
{
	free(h->daily);
	h->daily = NULL;
	list_free(&h->prio);
	list_free(&h->cat);
	list_free(&h->miss);
}

long long heatmap_cells_total(const struct heatmap *h)
{
	long long t = 0;
	for (int d = 0; d < 7; d++)
		for (int hr = 0; hr < 24; hr++)
			t += h->cell[d][hr];
	return t;
}

long long heatmap_cells_max(const struct heatmap *h)
{
	long long m = 0;
	for (int d = 0; d < 7; d++)
		for (int hr = 0; hr < 24; hr++)
			if (h->cell[d][hr] > m)
				m = h->cell[d][hr];
	return m;
}

size_t heatmap_busiest(const struct heatmap *h, int day[], int hour[])
{
	size_t n = 0;
	/* Selection by repeated scans: 5 x 168 comparisons. */
	bool taken[7][24] = { { false } };
	while (n < HEATMAP_BUSIEST) {
		int bd = -1, bh = -1;
		for (int d = 0; d < 7; d++)
			for (int hr = 0; hr < 24; hr++)
				if (!taken[d][hr] && h->cell[d][hr] > 0 &&
				    (bd < 0 || h->cell[d][hr] > h->cell[bd][bh])) {
					bd = d;
					bh = hr;
				}
		if (bd < 0)
			break;
		taken[bd][bh] = true;
		day[n] = bd;
		hour[n] = bh;
		n++;
	}
	return n;
}

static int level(long long c, long long max)
{
	if (c <= 0 || max <= 0)
		return 0;
	return (int)((c * 4 + max - 1) / max);
}

/* ------------------------------------------------------------ text */

static void print_list(FILE *fp, const char *title, const struct heatmap_list *l, long long total)
{
	fprintf(fp, "%s:\n", title);
	if (l->n == 0)
		fprintf(fp, "  (none)\n");
	for (size_t i = 0; i < l->n; i++) {
		fprintf(fp, "  %-24s %8lld", l->item[i].name, l->item[i].count);
		if (total > 0)
			fprintf(fp, "  %5.1f%%", 100.0 * (double)l->item[i].count / (double)total);
		fputc('\n', fp);
	}
}

static int digits(long long v)
{
	int n = 1;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

void heatmap_text(const struct heatmap *h, FILE *fp, bool unicode, bool numbers)
{
	static const char *const shade_u[5] = { "\xc2\xb7", "\xe2\x96\x91", "\xe2\x96\x92",
	                                        "\xe2\x96\x93", "\xe2\x96\x88" };
	static const char *const shade_a[5] = { ".", ":", "+", "#", "@" };
	const char *const *shade = unicode ? shade_u : shade_a;
	long long max = heatmap_cells_max(h), cells = heatmap_cells_total(h);

	fprintf(fp, "Support load: %d week%s, %s to %s (%s to %s)%s%s\n", h->weeks,
	        h->weeks == 1 ? "" : "s", h->first_week, h->last_week, h->from, h->to,
	        h->time_zone != NULL ? ", time zone " : "", h->time_zone != NULL ? h->time_zone : "");
	fprintf(fp, "Address%s:", h->n_addresses == 1 ? "" : "es");
	for (size_t i = 0; i < h->n_addresses; i++)
		fprintf(fp, " %s", h->addresses[i]);
	fprintf(fp, "\n\nMessages per weekday and local hour, summed over the period (%lld):\n\n", cells);

	int w = numbers ? (digits(max) + 1 > 3 ? digits(max) + 1 : 3) : 3;
	fprintf(fp, "   ");
	for (int hr = 0; hr < 24; hr++)
		fprintf(fp, "%*s%02d", w - 2, "", hr);
	fprintf(fp, "  %6s\n", "total");
	for (int d = 0; d < 7; d++) {
		long long row = 0;
		fprintf(fp, "%s", heatmap_day_names[d]);
		for (int hr = 0; hr < 24; hr++) {
			long long c = h->cell[d][hr];
			row += c;
			if (numbers) {
				if (c == 0)
					fprintf(fp, "%*s", w, shade[0]);
				else
					fprintf(fp, "%*lld", w, c);
			} else if (c == 0) {
				fprintf(fp, "  %s", shade[0]);
			} else {
				const char *s = shade[level(c, max)];
				fprintf(fp, " %s%s", s, s);
			}
		}
		fprintf(fp, "  %6lld\n", row);
	}
	if (!numbers) {
		fprintf(fp, "\nScale:  %s none", shade[0]);
		for (int k = 1; k <= 4; k++) {
			long long lo = (k - 1) * max / 4 + 1, hi = k * max / 4;
			if (lo > hi)
				continue;
			if (lo == hi)
				fprintf(fp, "   %s%s %lld", shade[k], shade[k], lo);
			else
				fprintf(fp, "   %s%s %lld-%lld", shade[k], shade[k], lo, hi);
		}
		fputc('\n', fp);
	}

	int bd[HEATMAP_BUSIEST], bh[HEATMAP_BUSIEST];
	size_t nb = heatmap_busiest(h, bd, bh);
	fprintf(fp, "\nBusiest hours:\n");
	if (nb == 0)
		fprintf(fp, "  (no messages)\n");
	for (size_t i = 0; i < nb; i++) {
		long long c = h->cell[bd[i]][bh[i]];
		fprintf(fp, "  %s %02d:00-%02d:00  %8lld messages, %.1f a week\n", heatmap_day_names[bd[i]],
		        bh[i], bh[i] + 1, c, (double)c / (h->weeks > 0 ? h->weeks : 1));
	}

	fprintf(fp, "\nMessages (daily counters): %lld\n", h->total);
	print_list(fp, "By priority", &h->prio, h->total);
	print_list(fp, "By category", &h->cat, h->total);
	print_list(fp, "Missing items", &h->miss, h->total);
}

/* ------------------------------------------------------------ JSON */

static void json_list(struct buf *out, bool *first, const char *key, const struct heatmap_list *l)
{
	json_key(out, first, key);
	buf_putc(out, '{');
	bool f = true;
	for (size_t i = 0; i < l->n; i++) {
		json_key(out, &f, l->item[i].name);
		buf_printf(out, "%lld", l->item[i].count);
	}
	buf_putc(out, '}');
}

void heatmap_json(const struct heatmap *h, struct buf *out)
{
	bool first = true;
	buf_putc(out, '{');
	json_key(out, &first, "weeks");
	buf_printf(out, "%d", h->weeks);
	json_key(out, &first, "first_week");
	json_cstring(out, h->first_week);
	json_key(out, &first, "last_week");
	json_cstring(out, h->last_week);
	json_key(out, &first, "from");
	json_cstring(out, h->from);
	json_key(out, &first, "to");
	json_cstring(out, h->to);
	json_key(out, &first, "time_zone");
	if (h->time_zone != NULL)
		json_cstring(out, h->time_zone);
	else
		buf_printf(out, "null");
	json_key(out, &first, "addresses");
	buf_putc(out, '[');
	for (size_t i = 0; i < h->n_addresses; i++) {
		if (i > 0)
			buf_putc(out, ',');
		json_cstring(out, h->addresses[i]);
	}
	buf_putc(out, ']');
	json_key(out, &first, "days");
	buf_printf(out, "[\"Mon\",\"Tue\",\"Wed\",\"Thu\",\"Fri\",\"Sat\",\"Sun\"]");
	json_key(out, &first, "heatmap");
	buf_putc(out, '[');
	for (int d = 0; d < 7; d++) {
		buf_printf(out, "%s[", d > 0 ? "," : "");
		for (int hr = 0; hr < 24; hr++)
			buf_printf(out, "%s%lld", hr > 0 ? "," : "", h->cell[d][hr]);
		buf_putc(out, ']');
	}
	buf_putc(out, ']');
	json_key(out, &first, "heatmap_total");
	buf_printf(out, "%lld", heatmap_cells_total(h));
	json_key(out, &first, "max");
	buf_printf(out, "%lld", heatmap_cells_max(h));
	int bd[HEATMAP_BUSIEST], bh[HEATMAP_BUSIEST];
	size_t nb = heatmap_busiest(h, bd, bh);
	json_key(out, &first, "busiest");
	buf_putc(out, '[');
	for (size_t i = 0; i < nb; i++) {
		long long c = h->cell[bd[i]][bh[i]];
		buf_printf(out, "%s{\"day\":\"%s\",\"hour\":%d,\"count\":%lld,\"per_week\":%.2f}",
		           i > 0 ? "," : "", heatmap_day_names[bd[i]], bh[i], c,
		           (double)c / (h->weeks > 0 ? h->weeks : 1));
	}
	buf_putc(out, ']');
	json_key(out, &first, "total");
	buf_printf(out, "%lld", h->total);
	json_key(out, &first, "daily");
	buf_putc(out, '[');
	for (int i = 0; h->daily != NULL && i < 7 * h->weeks; i++)
		buf_printf(out, "%s%lld", i > 0 ? "," : "", h->daily[i]);
	buf_putc(out, ']');
	json_list(out, &first, "priorities", &h->prio);
	json_list(out, &first, "categories", &h->cat);
	json_list(out, &first, "missing", &h->miss);
	buf_printf(out, "}\n");
}

/* ------------------------------------------------------------ SVG */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Text for XML content or a quoted attribute. */
static void xml_text(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n > 0) {
		size_t len = utf8_len(p, n);
		if (len == 0) {
			buf_append(out, "\xef\xbf\xbd", 3);
			len = 1;
		} else if (len > 1) {
			buf_append(out, p, len);
		} else if (*p == '&') {
			buf_append(out, "&amp;", 5);
		} else if (*p == '<') {
			buf_append(out, "&lt;", 4);
		} else if (*p == '>') {
			buf_append(out, "&gt;", 4);
		} else if (*p == '"') {
			buf_append(out, "&quot;", 6);
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_putc(out, '?');
		} else {
			buf_putc(out, (char)*p);
		}
		p += len;
		n -= len;
	}
}

/* A sequential blue scale (light to dark) at t in [0, 1]. */
static void colour(double t, char out[8])
{
	static const unsigned char stop[5][3] = {
		{ 0xde, 0xeb, 0xf7 }, { 0x9e, 0xca, 0xe1 }, { 0x42, 0x92, 0xc6 },
		{ 0x21, 0x66, 0xac }, { 0x08, 0x30, 0x6b },
	};
	if (t < 0)
		t = 0;
	if (t > 1)
		t = 1;
	double x = t * 4;
	int i = (int)x;
	if (i > 3)
		i = 3;
	double f = x - i;
	int rgb[3];
	for (int k = 0; k < 3; k++)
		rgb[k] = (int)(stop[i][k] + (stop[i + 1][k] - stop[i][k]) * f + 0.5);
	snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

#define CELL_W 34
#define CELL_H 28
#define LEFT 56
#define TOP 96
#define ZERO_FILL "#f2f2f2"

void heatmap_svg(const struct heatmap *h, struct buf *out)
{
	long long max = heatmap_cells_max(h);
	int grid_w = 24 * CELL_W, grid_h = 7 * CELL_H;
	int width = LEFT + grid_w + 70, height = TOP + grid_h + 96;
	char fill[8];

	buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	           "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\">\n",
	           width, height, width, height);
	buf_printf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
	buf_printf(out, "<text class=\"title\" x=\"%d\" y=\"26\" font-size=\"18\" font-weight=\"bold\">"
	           "Support load per weekday and hour</text>\n", LEFT);
	buf_printf(out, "<text class=\"subtitle\" x=\"%d\" y=\"46\" font-size=\"12\" fill=\"#444444\">",
	           LEFT);
	buf_printf(out, "%d week%s, %s to %s (%s to %s)", h->weeks, h->weeks == 1 ? "" : "s",
	           h->first_week, h->last_week, h->from, h->to);
	if (h->time_zone != NULL) {
		buf_printf(out, ", ");
		xml_text(out, h->time_zone);
	}
	buf_printf(out, "; %lld messages; ", heatmap_cells_total(h));
	for (size_t i = 0; i < h->n_addresses; i++) {
		if (i > 0)
			buf_printf(out, ", ");
		xml_text(out, h->addresses[i]);
	}
	buf_printf(out, "</text>\n");

	/* Axes: hours along the top, weekdays down the left. */
	buf_printf(out, "<g class=\"hours\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222222\">\n");
	for (int hr = 0; hr < 24; hr++)
		buf_printf(out, "<text class=\"hour\" x=\"%d\" y=\"%d\">%02d</text>\n",
		           LEFT + hr * CELL_W + CELL_W / 2, TOP - 8, hr);
	buf_printf(out, "</g>\n<g class=\"days\" font-size=\"12\" text-anchor=\"end\" fill=\"#222222\">\n");
	for (int d = 0; d < 7; d++)
		buf_printf(out, "<text class=\"day\" x=\"%d\" y=\"%d\">%s</text>\n", LEFT - 8,
		           TOP + d * CELL_H + CELL_H / 2 + 4, heatmap_day_names[d]);
	buf_printf(out, "</g>\n");

	buf_printf(out, "<g class=\"cells\" stroke=\"#ffffff\" stroke-width=\"1\">\n");
	for (int d = 0; d < 7; d++)
		for (int hr = 0; hr < 24; hr++) {
			long long c = h->cell[d][hr];
			if (c > 0)
				colour((double)c / (double)max, fill);
			else
				snprintf(fill, sizeof(fill), "%s", ZERO_FILL);
			int x = LEFT + hr * CELL_W, y = TOP + d * CELL_H;
			buf_printf(out, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
			           "fill=\"%s\" data-day=\"%s\" data-hour=\"%d\" data-count=\"%lld\">"
			           "<title>%s %02d:00-%02d:00: %lld</title></rect>\n",
			           x, y, CELL_W, CELL_H, fill, heatmap_day_names[d], hr, c,
			           heatmap_day_names[d], hr, hr + 1, c);
			if (c > 0)
				buf_printf(out, "<text class=\"count\" x=\"%d\" y=\"%d\" font-size=\"10\" "
				           "text-anchor=\"middle\" stroke=\"none\" fill=\"%s\">%lld</text>\n",
				           x + CELL_W / 2, y + CELL_H / 2 + 4,
				           (double)c / (double)max > 0.45 ? "#ffffff" : "#111111", c);
		}
	buf_printf(out, "</g>\n");

	/* Axis titles. */
	buf_printf(out, "<text class=\"axis\" x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#444444\">"
	           "hour of day (local time)</text>\n", LEFT, TOP - 30);

	/* Legend: "no mail", then the scale from 1 to max in 10 steps. */
	int ly = TOP + grid_h + 34;
	buf_printf(out, "<g class=\"legend\" font-size=\"11\" fill=\"#222222\">\n");
	buf_printf(out, "<text x=\"%d\" y=\"%d\">messages</text>\n", LEFT, ly - 8);
	buf_printf(out, "<rect class=\"legend-swatch\" x=\"%d\" y=\"%d\" width=\"24\" height=\"16\" "
	           "fill=\"%s\" stroke=\"#cccccc\"/>\n", LEFT, ly, ZERO_FILL);
	buf_printf(out, "<text x=\"%d\" y=\"%d\">0</text>\n", LEFT + 30, ly + 12);
	int sx = LEFT + 70;
	for (int k = 0; k < 10; k++) {
		colour((k + 0.5) / 10.0, fill);
		buf_printf(out, "<rect class=\"legend-swatch\" x=\"%d\" y=\"%d\" width=\"30\" height=\"16\" "
		           "fill=\"%s\"/>\n", sx + k * 30, ly, fill);
	}
	buf_printf(out, "<text class=\"legend-min\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d</text>\n",
	           sx, ly + 30, max > 0 ? 1 : 0);
	buf_printf(out, "<text class=\"legend-mid\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%lld</text>\n",
	           sx + 150, ly + 30, (max + 1) / 2);
	buf_printf(out, "<text class=\"legend-max\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%lld</text>\n",
	           sx + 300, ly + 30, max);
	buf_printf(out, "</g>\n</svg>\n");
}
