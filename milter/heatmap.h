/*
 * heatmap: renders the load counters that support-milter-stats read
 * (struct heatmap) as a terminal heat map with the busiest hours and the
 * totals, as JSON, or as an SVG picture.  Pure functions of the data: no
 * Redis, no clock, so that the output is testable.
 */
#ifndef SM_HEATMAP_H
#define SM_HEATMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

#define HEATMAP_BUSIEST 5

struct heatmap_item {
	char *name;              /* a category, missing item or priority id */
	long long count;
};

struct heatmap_list {
	struct heatmap_item *item;   /* sorted by count, descending, then name */
	size_t n, cap;
};

struct heatmap {
	int weeks;                   /* the period: this many ISO weeks */
	char first_week[16];         /* "2024-W02" */
	char last_week[16];
	char from[12];               /* Monday of the first week, "YYYY-MM-DD" */
	char to[12];                 /* Sunday of the last week */
	const char *time_zone;       /* not owned; NULL = not shown */
	const char *const *addresses;/* not owned */
	size_t n_addresses;
	long long cell[7][24];       /* [0] = Monday; messages in the period */
	long long *daily;            /* per date from..to (7 * weeks); owned */
	long long total;             /* sum of daily */
	struct heatmap_list prio, cat, miss;
};

extern const char *const heatmap_day_names[7];   /* "Mon" .. "Sun" */

/* Adds count to name's entry (created if new). 0 or -1 (OOM). */
int heatmap_list_add(struct heatmap_list *l, const char *name, long long count);
void heatmap_list_sort(struct heatmap_list *l);
/* Frees daily and the lists (not the struct). */
void heatmap_release(struct heatmap *h);

/* Sum of the 168 cells, and the largest cell. */
long long heatmap_cells_total(const struct heatmap *h);
long long heatmap_cells_max(const struct heatmap *h);

/* The up to HEATMAP_BUSIEST busiest cells with a count above 0, busiest
 * first (ties: earlier in the week first); returns how many. */
size_t heatmap_busiest(const struct heatmap *h, int day[], int hour[]);

/* Terminal report. unicode: shade blocks (else ASCII); numbers: counts
 * instead of shades. */
void heatmap_text(const struct heatmap *h, FILE *fp, bool unicode, bool numbers);
/* One JSON object and a newline. */
void heatmap_json(const struct heatmap *h, struct buf *out);
/* A standalone SVG document: 168 <rect class="cell"> each with
 * data-day, data-hour, data-count and a <title>; labelled axes; a legend. */
void heatmap_svg(const struct heatmap *h, struct buf *out);

#endif
