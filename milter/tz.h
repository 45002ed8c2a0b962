/*
 * tz: time zones read from the system's TZif files (zoneinfo), without
 * touching the process-wide TZ / tzset state, so that several zones can be
 * loaded and a reload can change the zone while other threads convert
 * times.  Handles TZif v1, v2 and v3 (64-bit transitions) and the POSIX TZ
 * rule in the footer for instants past the last transition (slim files).
 */
#ifndef SM_TZ_H
#define SM_TZ_H

#include <stddef.h>
#include <time.h>

struct tz;

/* name: "Europe/Copenhagen" (looked up under TZDIR or /usr/share/zoneinfo),
 * an absolute path, or "UTC".  NULL with a message in err on failure. */
struct tz *tz_load(const char *name, char *err, size_t errsz);
void tz_free(struct tz *tz);
const char *tz_name(const struct tz *tz);

/* Local broken-down time for t; tm_gmtoff/tm_zone are filled too
 * (tm_zone points into tz, valid while tz lives).  0 on success. */
int tz_localtime(const struct tz *tz, time_t t, struct tm *out);

#endif
