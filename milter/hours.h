/*
 * hours: opening hours, peak windows and closed dates, evaluated in the
 * support's time zone (tz.c).  Pure functions of (spec, time): the clock
 * is always passed in, so tests and the offline mode choose the time.
 *
 * Window syntax (config keys OpeningHours, PeakWindow):
 *     DAYS HH:MM-HH:MM
 * DAYS is a day (Mon, Tue, ... Sun; English three-letter, case-insensitive),
 * a range "Mon-Fri" (wrapping allowed: "Sat-Sun"), or a comma list of those
 * ("Mon,Wed-Thu").  Start is inclusive, end exclusive; 24:00 is allowed
 * as an end.  Closed dates (ClosedDate) are YYYY-MM-DD, or MM-DD for every
 * year.
 */
#ifndef SM_HOURS_H
#define SM_HOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct tz;

struct hours_window {
	uint8_t days;       /* bit d set = weekday d open (0 = Sunday, as tm_wday) */
	uint16_t start_min; /* minutes after local midnight, inclusive */
	uint16_t end_min;   /* exclusive; 1..1440 */
};

struct hours_date {
	uint16_t year;      /* 0 = every year */
	uint8_t month, day;
};

#define HOURS_MAX_WINDOWS 32
#define HOURS_MAX_DATES 512

struct hours_spec {
	const struct tz *tz;                  /* not owned */
	struct hours_window open[HOURS_MAX_WINDOWS];
	size_t n_open;
	struct hours_window peak[HOURS_MAX_WINDOWS];
	size_t n_peak;
	struct hours_date closed[HOURS_MAX_DATES];
	size_t n_closed;
};

struct hours_result {
	bool open;        /* inside an opening window and not a closed date */
	bool peak;        /* open and inside a peak window */
	bool closed_date; /* the local date is a configured closed date */
	struct tm local;  /* local broken-down time */
	long utc_offset;  /* seconds east of UTC at that instant */
};

/* 0 on success; -1 with a message in err. */
int hours_parse_window(const char *s, struct hours_window *out, char *err, size_t errsz);
int hours_parse_date(const char *s, struct hours_date *out, char *err, size_t errsz);

void hours_eval(const struct hours_spec *spec, time_t t, struct hours_result *out);

/* Formats a window back as text ("Mon-Fri 09:00-15:00"), for replies and logs. */
void hours_format_window(const struct hours_window *w, char *out, size_t outsz);

#endif
