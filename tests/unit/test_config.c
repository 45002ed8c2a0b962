/*
 * test_config: the configuration file (config.c): defaults, every key's
 * good and bad values, repeatable keys, error reporting (all errors, as
 * file:line), the dump round trip, the support-address predicate, and
 * the documentation test: every key of the table must have an entry in
 * man/support-milter.conf.5 showing its default, and a commented default
 * line in etc/support-milter.conf that matches the built-in default.
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "log.h"
#include "tz.h"

#define DATA TEST_DATA_DIR "/config"

/* ------------------------------------------------------------ helpers */

struct capture {
	struct diag d;
	char text[32768];
	size_t len;
	unsigned lines;
};

static void capture_emit(struct diag *d, const char *line)
{
	struct capture *c = d->ctx;
	int n = snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s\n", line);
	if (n > 0 && (size_t)n < sizeof(c->text) - c->len)
		c->len += (size_t)n;
	c->lines++;
}

static void capture_init(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->d.emit = capture_emit;
	c->d.ctx = c;
}

static char tmpdir[256];
static char tmpfile_path[512];

static void tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(tmpfile_path, sizeof(tmpfile_path), "%s/t.conf", tmpdir);
}

static void tmp_teardown(void)
{
	unlink(tmpfile_path);
	ck_assert_int_eq(rmdir(tmpdir), 0);
}

static const char *write_conf(const char *text, size_t len)
{
	FILE *fp = fopen(tmpfile_path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	return tmpfile_path;
}

/* Loads text as a file; the diag output goes to c. */
static struct config *load_text(const char *text, struct capture *c)
{
	capture_init(c);
	return config_load(write_conf(text, strlen(text)), &c->d);
}

static char *dump(const struct config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	config_dump(cfg, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	char *buf = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(buf);
	size_t n = fread(buf, 1, (1 << 20) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Is line (a whole line) in text? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* --------------------------------------------------------- defaults */

START_TEST(test_defaults)
{
	struct capture c;
	capture_init(&c);
	struct config *cfg = config_defaults(&c.d);
	ck_assert_msg(cfg != NULL, "%s", c.text);
	ck_assert_uint_eq(c.lines, 0);
	ck_assert_ptr_null(cfg->file);
	ck_assert_str_eq(cfg->socket, "inet:8891@127.0.0.1");
	ck_assert_uint_eq(cfg->n_support_address, 1);
	ck_assert_str_eq(cfg->support_address[0], "support@timemap.dk");
	ck_assert_str_eq(cfg->header_prefix, "X-Support-");
	ck_assert_str_eq(cfg->rules_dir, SYSCONFDIR "/support-milter/rules");
	ck_assert_str_eq(cfg->time_zone, "Europe/Copenhagen");
	ck_assert_str_eq(tz_name(cfg->tz), "Europe/Copenhagen");
	ck_assert_ptr_eq(cfg->hours.tz, cfg->tz);
	ck_assert_uint_eq(cfg->hours.n_open, 1);
	ck_assert_uint_eq(cfg->hours.open[0].days, 0x3e);
	ck_assert_uint_eq(cfg->hours.open[0].start_min, 9 * 60);
	ck_assert_uint_eq(cfg->hours.open[0].end_min, 15 * 60);
	ck_assert_uint_eq(cfg->hours.n_peak, 2);
	ck_assert_uint_eq(cfg->hours.peak[0].end_min, 10 * 60);
	ck_assert_uint_eq(cfg->hours.peak[1].days, 0x06);
	ck_assert_uint_eq(cfg->hours.n_closed, 0);
	ck_assert_int_eq(cfg->screenshot_min_width, 200);
	ck_assert_int_eq(cfg->screenshot_min_height, 100);
	ck_assert_int_eq(cfg->max_header_size, 65536);
	ck_assert_int_eq(cfg->max_headers, 1000);
	ck_assert_int_eq(cfg->max_line_length, 8192);
	ck_assert_int_eq(cfg->max_mime_depth, 20);
	ck_assert_int_eq(cfg->max_mime_parts, 500);
	ck_assert_int_eq(cfg->max_text_size, 262144);
	ck_assert_int_eq(cfg->max_sniff_bytes, 16384);
	ck_assert_int_eq(cfg->regex_match_limit, 100000);
	ck_assert_int_eq(cfg->milter_timeout, 300);
	ck_assert_str_eq(cfg->redis_server, "");
	ck_assert_str_eq(cfg->redis_password, "");
	ck_assert_int_eq(cfg->redis_database, 0);
	ck_assert_int_eq(cfg->redis_timeout, 20);
	ck_assert_str_eq(cfg->redis_key_prefix, "sm:");
	ck_assert_int_eq(cfg->redis_queue_size, 1000);
	ck_assert(!cfg->auto_reply);
	ck_assert_str_eq(cfg->sendmail_command, "/usr/sbin/sendmail -i -f <> -N never --");
	const char *const argv[] = { "/usr/sbin/sendmail", "-i", "-f", "<>", "-N", "never", "--" };
	for (size_t i = 0; i < 7; i++)
		ck_assert_str_eq(cfg->sendmail_argv[i], argv[i]);
	ck_assert_ptr_null(cfg->sendmail_argv[7]);
	ck_assert_int_eq(cfg->sendmail_timeout, 60);
	ck_assert_int_eq(cfg->auto_reply_interval, 86400);
	ck_assert_int_eq(cfg->auto_reply_queue_size, 100);
	ck_assert_int_eq(cfg->auto_reply_senders, 10000);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_INFO);
	ck_assert(cfg->syslog);
	ck_assert_int_eq(cfg->syslog_facility, LOG_MAIL);
	ck_assert_str_eq(cfg->pid_file, "");
	ck_assert_str_eq(cfg->user_id, "");
	config_free(cfg);
	config_free(NULL);
}
END_TEST

/* An empty file, and one of only comments, give the defaults. */
START_TEST(test_empty_file_is_defaults)
{
	struct capture c;
	tmp_setup();
	struct config *def = config_defaults(NULL);
	char *want = dump(def);
	const char *texts[] = { "", "\n\n", "# comment\n   # indented\n\t\n", "#Socket x\r\n" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct config *cfg = load_text(texts[i], &c);
		ck_assert_msg(cfg != NULL, "%zu: %s", i, c.text);
		ck_assert_uint_eq(c.lines, 0);
		ck_assert_str_eq(cfg->file, tmpfile_path);
		char *got = dump(cfg);
		ck_assert_str_eq(got, want);
		free(got);
		config_free(cfg);
	}
	free(want);
	config_free(def);
	tmp_teardown();
}
END_TEST

/* -------------------------------------------------- per-key values */

/* Good values: "Key value" must load and dump as "Key dumped". */
static const struct {
	const char *line, *dumped;
} good[] = {
	{ "Socket unix:/run/sm.sock", "Socket unix:/run/sm.sock" },
	{ "socket local:/run/sm.sock", "Socket local:/run/sm.sock" },
	{ "SOCKET /run/sm.sock", "Socket /run/sm.sock" },
	{ "Socket inet:8891", "Socket inet:8891" },
	{ "Socket inet:8891@localhost", "Socket inet:8891@localhost" },
	{ "Socket inet:8891@[192.0.2.1]", "Socket inet:8891@[192.0.2.1]" },
	{ "Socket inet6:8891@::1", "Socket inet6:8891@::1" },
	{ "Socket inet6:65535@[2001:db8::1]", "Socket inet6:65535@[2001:db8::1]" },
	{ "Socket inet:milter@127.0.0.1", "Socket inet:milter@127.0.0.1" },
	{ "  Socket\t inet:1@127.0.0.1 \t", "Socket inet:1@127.0.0.1" },
	{ "SupportAddress <Help@Example.COM>", "SupportAddress help@example.com" },
	{ "SupportAddress first.last+x@sub.example.dk", "SupportAddress first.last+x@sub.example.dk" },
	{ "HeaderPrefix X-Triage-", "HeaderPrefix X-Triage-" },
	{ "HeaderPrefix X-T", "HeaderPrefix X-T" },
	{ "RulesDir /srv/rules dir", "RulesDir /srv/rules dir" },
	{ "TimeZone UTC", "TimeZone UTC" },
	{ "TimeZone America/New_York", "TimeZone America/New_York" },
	{ "OpeningHours mon-thu 8:00-16:00", "OpeningHours Mon-Thu 08:00-16:00" },
	{ "OpeningHours none", "OpeningHours none" },
	{ "PeakWindow Sat 00:00-24:00", "PeakWindow Sat 00:00-24:00" },
	{ "PeakWindow NONE", "PeakWindow none" },
	{ "ClosedDate 12-24", "ClosedDate 12-24" },
	{ "ClosedDate 2026-05-14", "ClosedDate 2026-05-14" },
	{ "ScreenshotMinWidth 1", "ScreenshotMinWidth 1" },
	{ "ScreenshotMinWidth 65535", "ScreenshotMinWidth 65535" },
	{ "ScreenshotMinHeight 1", "ScreenshotMinHeight 1" },
	{ "MaxHeaderSize 1024", "MaxHeaderSize 1k" },
	{ "MaxHeaderSize 1k", "MaxHeaderSize 1k" },
	{ "MaxHeaderSize 1M", "MaxHeaderSize 1m" },
	{ "MaxHeaderSize 1048576", "MaxHeaderSize 1m" },
	{ "MaxHeaderSize 1500", "MaxHeaderSize 1500" },
	{ "MaxHeaders 10", "MaxHeaders 10" },
	{ "MaxHeaders 100000", "MaxHeaders 100000" },
	{ "MaxLineLength 1k", "MaxLineLength 1k" },
	{ "MaxMimeDepth 1", "MaxMimeDepth 1" },
	{ "MaxMimeDepth 100", "MaxMimeDepth 100" },
	{ "MaxMimeParts 1", "MaxMimeParts 1" },
	{ "MaxTextSize 64m", "MaxTextSize 64m" },
	{ "MaxSniffBytes 512", "MaxSniffBytes 512" },
	{ "RegexMatchLimit 1000", "RegexMatchLimit 1000" },
	{ "MilterTimeout 5m", "MilterTimeout 300" },
	{ "MilterTimeout 1d", "MilterTimeout 86400" },
	{ "MilterTimeout 2h", "MilterTimeout 7200" },
	{ "MilterTimeout 1s", "MilterTimeout 1" },
	{ "RedisServer localhost", "RedisServer localhost" },
	{ "RedisServer 127.0.0.1:6380", "RedisServer 127.0.0.1:6380" },
	{ "RedisServer [::1]:6379", "RedisServer [::1]:6379" },
	{ "RedisServer /run/redis/redis.sock", "RedisServer /run/redis/redis.sock" },
	{ "RedisServer \"\"", "RedisServer \"\"" },
	{ "RedisPassword s3cr3t with blanks", "RedisPassword s3cr3t with blanks" },
	{ "RedisDatabase 1000000", "RedisDatabase 1000000" },
	{ "RedisTimeout 1", "RedisTimeout 1" },
	{ "RedisTimeout 10000", "RedisTimeout 10000" },
	{ "RedisKeyPrefix \"\"", "RedisKeyPrefix \"\"" },
	{ "RedisKeyPrefix support:dk:", "RedisKeyPrefix support:dk:" },
	{ "RedisQueueSize 1", "RedisQueueSize 1" },
	{ "AutoReply yes", "AutoReply yes" },
	{ "AutoReply TRUE", "AutoReply yes" },
	{ "AutoReply on", "AutoReply yes" },
	{ "AutoReply 1", "AutoReply yes" },
	{ "AutoReply No", "AutoReply no" },
	{ "AutoReply off", "AutoReply no" },
	{ "AutoReply false", "AutoReply no" },
	{ "AutoReply 0", "AutoReply no" },
	{ "SendmailCommand /usr/lib/sendmail -t", "SendmailCommand /usr/lib/sendmail -t" },
	{ "SendmailTimeout 1h", "SendmailTimeout 3600" },
	{ "AutoReplyInterval 60", "AutoReplyInterval 60" },
	{ "AutoReplyInterval 7d", "AutoReplyInterval 604800" },
	{ "AutoReplyQueueSize 1", "AutoReplyQueueSize 1" },
	{ "AutoReplySenders 100", "AutoReplySenders 100" },
	{ "AutoReplyFromName Timegrip Support", "AutoReplyFromName Timegrip Support" },
	{ "AutoReplyMaxPer10Min 0", "AutoReplyMaxPer10Min 0" },
	{ "LogLevel DEBUG", "LogLevel debug" },
	{ "LogLevel error", "LogLevel err" },
	{ "LogLevel warn", "LogLevel warning" },
	{ "Syslog no", "Syslog no" },
	{ "SyslogFacility LOCAL3", "SyslogFacility local3" },
	{ "SyslogFacility daemon", "SyslogFacility daemon" },
	{ "PidFile /run/support-milter.pid", "PidFile /run/support-milter.pid" },
	{ "UserID milter", "UserID milter" },
	{ "UserID support-milter:postfix", "UserID support-milter:postfix" },
};

START_TEST(test_good_value)
{
	struct capture c;
	char text[512];
	tmp_setup();
	snprintf(text, sizeof(text), "%s\n", good[_i].line);
	struct config *cfg = load_text(text, &c);
	ck_assert_msg(cfg != NULL, "%s: %s", good[_i].line, c.text);
	ck_assert_msg(c.d.errors == 0, "%s", c.text);
	char *d = dump(cfg);
	ck_assert_msg(has_line(d, good[_i].dumped), "%s: dump lacks \"%s\":\n%s", good[_i].line,
	              good[_i].dumped, d);
	free(d);
	config_free(cfg);
	tmp_teardown();
}
END_TEST

/* Bad values: the whole diag output must be exactly one error on line 2,
 * "FILE:2: " followed by a message containing msg.  Every key must have
 * at least one row (test_every_key_has_bad_value). */
static const struct {
	const char *line, *msg;
} bad[] = {
	{ "Socket inet:127.0.0.1:8891", "Socket: bad socket \"inet:127.0.0.1:8891\": libmilter wants inet:PORT@HOST" },
	{ "Socket tcp:8891", "Socket: bad socket \"tcp:8891\" (expected unix:/path" },
	{ "Socket unix:run/sm.sock", "Socket: bad socket path \"run/sm.sock\"" },
	{ "Socket inet:0@localhost", "Socket: port in socket \"inet:0@localhost\" is out of range (1 to 65535)" },
	{ "Socket inet:65536@localhost", "Socket: port in socket \"inet:65536@localhost\" is out of range" },
	{ "Socket inet:@localhost", "Socket: bad port in socket" },
	{ "Socket inet:8891@", "Socket: bad host in socket" },
	{ "Socket inet:8891@ho$t", "Socket: bad host in socket" },
	{ "Socket inet:8891@::1", "Socket: bad host in socket" },
	{ "Socket \"\"", "Socket: may not be empty" },
	{ "Socket", "Socket: missing value" },
	{ "SupportAddress support", "SupportAddress: bad address \"support\" (expected local@domain)" },
	{ "SupportAddress support@", "SupportAddress: bad address" },
	{ "SupportAddress @timemap.dk", "SupportAddress: bad address" },
	{ "SupportAddress sup port@timemap.dk", "SupportAddress: bad address" },
	{ "SupportAddress \"s\"@timemap.dk", "SupportAddress: bad address" },
	{ "SupportAddress .s@timemap.dk", "SupportAddress: bad address" },
	{ "SupportAddress s.@timemap.dk", "SupportAddress: bad address" },
	{ "SupportAddress s@timemap..dk", "SupportAddress: bad address" },
	{ "SupportAddress s@-timemap.dk", "SupportAddress: bad address" },
	{ "SupportAddress s@[127.0.0.1]", "SupportAddress: bad address" },
	{ "SupportAddress s@timemap-.dk", "SupportAddress: bad address" },
	{ "SupportAddress s@timemap.dk.", "SupportAddress: bad address" },
	{ "SupportAddress s..t@timemap.dk", "SupportAddress: bad address" },
	{ "SupportAddress s@x@timemap.dk", "SupportAddress: bad address" },
	{ "SupportAddress none", "SupportAddress: bad address \"none\"" },
	{ "HeaderPrefix X-Sup:port-", "HeaderPrefix: bad header prefix \"X-Sup:port-\"" },
	{ "HeaderPrefix X Support", "HeaderPrefix: bad header prefix" },
	{ "HeaderPrefix X-\xc3\xa6-", "HeaderPrefix: bad header prefix" },
	{ "HeaderPrefix X-0123456789012345678901234567890123456789012345678901234567890123",
	  "HeaderPrefix: header prefix longer than 64" },
	{ "HeaderPrefix \"\"", "HeaderPrefix: may not be empty" },
	{ "RulesDir \"\"", "RulesDir: may not be empty" },
	{ "TimeZone Mars/Olympus_Mons", "TimeZone: unknown time zone \"Mars/Olympus_Mons\"" },
	{ "TimeZone ../../etc/passwd", "TimeZone: bad time zone name" },
	{ "TimeZone /etc/passwd", "TimeZone: /etc/passwd: not a TZif time zone file" },
	{ "OpeningHours Mon-Fri 15:00-09:00", "OpeningHours: end 09:00 is not after start 15:00" },
	{ "OpeningHours Mon-Fry 09:00-15:00", "OpeningHours: bad day \"Fry\"" },
	{ "OpeningHours Mon-Fri 9-15", "OpeningHours: bad start time \"9\"" },
	{ "OpeningHours Mon-Fri", "OpeningHours: expected DAYS HH:MM-HH:MM" },
	{ "PeakWindow Mon 25:00-26:00", "PeakWindow: bad start time \"25:00\"" },
	{ "PeakWindow Mon 09:00-24:30", "PeakWindow: bad end time \"24:30\"" },
	{ "ClosedDate 2026-02-30", "ClosedDate: no such date \"2026-02-30\"" },
	{ "ClosedDate 24/12", "ClosedDate: bad date \"24/12\"" },
	{ "ClosedDate 1969-12-24", "ClosedDate: no such date \"1969-12-24\" (years before 1970" },
	{ "ScreenshotMinWidth 0", "ScreenshotMinWidth: 0 is out of range (1 to 65535)" },
	{ "ScreenshotMinWidth 65536", "ScreenshotMinWidth: 65536 is out of range (1 to 65535)" },
	{ "ScreenshotMinWidth 200px", "ScreenshotMinWidth: bad number \"200px\"" },
	{ "ScreenshotMinWidth 2k", "ScreenshotMinWidth: bad number \"2k\"" },
	{ "ScreenshotMinHeight wide", "ScreenshotMinHeight: bad number \"wide\"" },
	{ "ScreenshotMinHeight -1", "ScreenshotMinHeight: -1 is out of range (1 to 65535)" },
	{ "MaxHeaderSize 1023", "MaxHeaderSize: 1023 is out of range (1k to 1m)" },
	{ "MaxHeaderSize 1025k", "MaxHeaderSize: 1025k is out of range (1k to 1m)" },
	{ "MaxHeaderSize 2m", "MaxHeaderSize: 2m is out of range (1k to 1m)" },
	{ "MaxHeaderSize 1g", "MaxHeaderSize: bad number \"1g\" (bytes; k and m suffixes allowed)" },
	{ "MaxHeaderSize k", "MaxHeaderSize: bad number \"k\"" },
	{ "MaxHeaderSize 64 k", "MaxHeaderSize: bad number \"64 k\"" },
	{ "MaxHeaderSize 99999999999999999999", "MaxHeaderSize: 99999999999999999999 is out of range" },
	{ "MaxHeaderSize 9999999999999999m", "MaxHeaderSize: 9999999999999999m is out of range" },
	{ "MaxHeaderSize 0x10000", "MaxHeaderSize: bad number \"0x10000\"" },
	{ "MaxHeaders 9", "MaxHeaders: 9 is out of range (10 to 100000)" },
	{ "MaxHeaders 100001", "MaxHeaders: 100001 is out of range (10 to 100000)" },
	{ "MaxLineLength 1023", "MaxLineLength: 1023 is out of range (1k to 1m)" },
	{ "MaxMimeDepth 0", "MaxMimeDepth: 0 is out of range (1 to 100)" },
	{ "MaxMimeDepth 101", "MaxMimeDepth: 101 is out of range (1 to 100)" },
	{ "MaxMimeParts 0", "MaxMimeParts: 0 is out of range (1 to 100000)" },
	{ "MaxTextSize 1023", "MaxTextSize: 1023 is out of range (1k to 64m)" },
	{ "MaxTextSize 65m", "MaxTextSize: 65m is out of range (1k to 64m)" },
	{ "MaxSniffBytes 511", "MaxSniffBytes: 511 is out of range (512 to 1m)" },
	{ "RegexMatchLimit 999", "RegexMatchLimit: 999 is out of range (1000 to 100000000)" },
	{ "MilterTimeout 0", "MilterTimeout: 0 is out of range (1 to 86400)" },
	{ "MilterTimeout 2d", "MilterTimeout: 2d is out of range (1 to 86400)" },
	{ "MilterTimeout 5w", "MilterTimeout: bad number \"5w\" (seconds; s, m, h and d suffixes allowed)" },
	{ "RedisServer ::1", "RedisServer: bad Redis server \"::1\" (put an IPv6 address in brackets" },
	{ "RedisServer localhost:0", "RedisServer: bad Redis port in \"localhost:0\" (1 to 65535)" },
	{ "RedisServer localhost:port", "RedisServer: bad Redis port" },
	{ "RedisServer localhost:", "RedisServer: bad Redis port" },
	{ "RedisServer [::1", "RedisServer: bad Redis server \"[::1\"" },
	{ "RedisServer redis/sock", "RedisServer: bad Redis host in \"redis/sock\"" },
	{ "RedisServer :6379", "RedisServer: bad Redis host" },
	{ "RedisPassword", "RedisPassword: missing value (write \"\" for an empty value)" },
	{ "RedisDatabase -1", "RedisDatabase: -1 is out of range (0 to 1000000)" },
	{ "RedisDatabase 1000001", "RedisDatabase: 1000001 is out of range (0 to 1000000)" },
	{ "RedisTimeout 0", "RedisTimeout: 0 is out of range (1 to 10000)" },
	{ "RedisTimeout 10001", "RedisTimeout: 10001 is out of range (1 to 10000)" },
	{ "RedisTimeout 20ms", "RedisTimeout: bad number \"20ms\"" },
	{ "RedisKeyPrefix sm :", "RedisKeyPrefix: bad Redis key prefix \"sm :\"" },
	{ "RedisQueueSize 0", "RedisQueueSize: 0 is out of range (1 to 1000000)" },
	{ "RedisBacklog 10", "RedisBacklog: 10 is out of range (68 to 100000000)" },
	{ "RedisIOTimeout 0", "RedisIOTimeout: 0 is out of range (1 to 600000)" },
	{ "RedisHourTTL 5", "RedisHourTTL: 5 is out of range (60 to 3153600000)" },
	{ "RedisWeekHourTTL soon", "RedisWeekHourTTL: bad number \"soon\" (seconds; s, m, h and d suffixes allowed)" },
	{ "RedisDayTTL 0", "RedisDayTTL: 0 is out of range (60 to 3153600000)" },
	{ "AutoReply maybe", "AutoReply: bad boolean \"maybe\" (expected yes or no)" },
	{ "AutoReply 2", "AutoReply: bad boolean \"2\"" },
	{ "SendmailCommand sendmail -t", "SendmailCommand: command must start with an absolute path, not \"sendmail\"" },
	{ "SendmailCommand /a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32",
	  "SendmailCommand: more than 32 arguments" },
	{ "SendmailTimeout 0", "SendmailTimeout: 0 is out of range (1 to 3600)" },
	{ "AutoReplyInterval 59", "AutoReplyInterval: 59 is out of range (60 to 31536000)" },
	{ "AutoReplyQueueSize 0", "AutoReplyQueueSize: 0 is out of range (1 to 100000)" },
	{ "AutoReplySenders 99", "AutoReplySenders: 99 is out of range (100 to 10000000)" },
	{ "AutoReplyFromName Timegrip Support og Kundeservice for alle brugere af systemet i Danmark", "AutoReplyFromName: display name longer than 64 bytes" },
	{ "AutoReplyMaxPer10Min -1", "AutoReplyMaxPer10Min: -1 is out of range (0 to 1000000)" },
	{ "LogLevel verbose", "LogLevel: unknown log level \"verbose\" (expected err, warning, info or debug)" },
	{ "Syslog 2", "Syslog: bad boolean \"2\"" },
	{ "SyslogFacility local8", "SyslogFacility: unknown syslog facility \"local8\"" },
	{ "PidFile run/sm.pid", "PidFile: bad path \"run/sm.pid\" (expected an absolute path)" },
	{ "UserID root:wheel:x", "UserID: bad user \"root:wheel:x\" (expected user or user:group)" },
	{ "UserID -root", "UserID: bad user" },
	{ "UserID root:", "UserID: bad user" },
	{ "UserID a012345678901234567890123456789012", "UserID: bad user" },
	{ "Sokcet inet:8891@127.0.0.1", "unknown key \"Sokcet\" (did you mean \"Socket\"?)" },
	{ "OpenHours Mon 09:00-10:00", "unknown key \"OpenHours\" (did you mean \"OpeningHours\"?)" },
	{ "supportadress a@b.dk", "unknown key \"supportadress\" (did you mean \"SupportAddress\"?)" },
	{ "Frobnicate yes", "unknown key \"Frobnicate\"\n" },
	{ "Socket=inet:8891@127.0.0.1", "expected \"Socket value\" (key and value are separated by blanks)" },
	{ "Socket: inet:8891@127.0.0.1", "expected \"Socket value\"" },
	{ "Socket = inet:8891@127.0.0.1", "Socket: expected \"Socket value\" (no '=')" },
};

START_TEST(test_bad_value)
{
	struct capture c;
	char text[600], want[700];
	tmp_setup();
	snprintf(text, sizeof(text), "# line 1\n%s\n\n# line 4\n", bad[_i].line);
	struct config *cfg = load_text(text, &c);
	ck_assert_msg(cfg == NULL, "\"%s\" accepted", bad[_i].line);
	ck_assert_msg(c.lines == 1 && c.d.errors == 1, "\"%s\": %u lines:\n%s", bad[_i].line,
	              c.lines, c.text);
	snprintf(want, sizeof(want), "%s:2: %s", tmpfile_path, bad[_i].msg != NULL ? bad[_i].msg : "");
	ck_assert_msg(strncmp(c.text, want, strlen(tmpfile_path) + 4) == 0 && strstr(c.text, want) != NULL,
	              "\"%s\": got\n%swant\n%s", bad[_i].line, c.text, want);
	tmp_teardown();
}
END_TEST

/* A key added to the table without a bad-value test fails here. */
START_TEST(test_every_key_has_bad_value)
{
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *name = config_key_name(i);
		size_t n = strlen(name);
		bool found = false;
		for (size_t j = 0; j < sizeof(bad) / sizeof(bad[0]) && !found; j++)
			found = strncmp(bad[j].line, name, n) == 0 &&
			        (bad[j].line[n] == ' ' || bad[j].line[n] == '\0') &&
			        bad[j].msg != NULL && strncmp(bad[j].msg, name, n) == 0;
		ck_assert_msg(found, "key %s has no bad-value test", name);
	}
	ck_assert_ptr_null(config_key_name(config_key_count()));
	ck_assert_ptr_null(config_key_default(config_key_count()));
	ck_assert_ptr_null(config_key_description(config_key_count()));
}
END_TEST

/* ---------------------------------------------- whole-file behaviour */

START_TEST(test_good_file)
{
	struct capture c;
	capture_init(&c);
	struct config *cfg = config_load(DATA "/good.conf", &c.d);
	ck_assert_msg(cfg != NULL, "%s", c.text);
	ck_assert_msg(c.lines == 0, "%s", c.text);
	ck_assert_str_eq(cfg->socket, "unix:/run/support-milter/milter.sock");
	ck_assert_uint_eq(cfg->n_support_address, 2);
	ck_assert_str_eq(cfg->support_address[0], "support@timemap.dk");
	ck_assert_str_eq(cfg->support_address[1], "hotline@timemap.dk");
	ck_assert_uint_eq(cfg->hours.n_open, 2);
	ck_assert_uint_eq(cfg->hours.n_peak, 0);
	ck_assert_uint_eq(cfg->hours.n_closed, 3);
	ck_assert_uint_eq(cfg->hours.closed[2].year, 2026);
	ck_assert_str_eq(tz_name(cfg->tz), "UTC");
	ck_assert_ptr_eq(cfg->hours.tz, cfg->tz);
	ck_assert_int_eq(cfg->max_text_size, 1048576);
	ck_assert_int_eq(cfg->milter_timeout, 600);
	ck_assert(cfg->auto_reply);
	ck_assert_str_eq(cfg->redis_server, "127.0.0.1:6379");
	ck_assert_str_eq(cfg->redis_password, "pass word");
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_DEBUG);
	ck_assert_int_eq(cfg->syslog_facility, LOG_LOCAL5);
	ck_assert_str_eq(cfg->user_id, "support-milter:postfix");
	ck_assert_str_eq(cfg->sendmail_argv[0], "/usr/sbin/sendmail");
	ck_assert_str_eq(cfg->sendmail_argv[1], "-t");
	ck_assert_ptr_null(cfg->sendmail_argv[2]);
	config_free(cfg);
}
END_TEST

/* Every error of a file is reported, in order, with its line. */
START_TEST(test_many_errors)
{
	static const char *const want[] = {
		":3: unknown key \"Sokcet\" (did you mean \"Socket\"?)",
		":4: MaxMimeDepth: 0 is out of range (1 to 100)",
		":6: OpeningHours: end 09:00 is not after start 15:00",
		":7: warning: MaxMimeDepth: already set at line 4; this value replaces it",
		":8: SupportAddress: bad address \"nobody\"",
		":10: AutoReply: bad boolean \"perhaps\"",
		":11: RedisTimeout: missing value",
		":12: TimeZone: unknown time zone \"Europe/Atlantis\"",
		":13: ClosedDate: no such date \"02-30\"",
		":14: warning: RulesDir: '#' in the value is not a comment",
		":15: LogLevel: unknown log level \"loud\"",
	};
	struct capture c;
	capture_init(&c);
	ck_assert_ptr_null(config_load(DATA "/errors.conf", &c.d));
	ck_assert_msg(c.lines == sizeof(want) / sizeof(want[0]), "%u lines:\n%s", c.lines, c.text);
	ck_assert_uint_eq(c.d.errors, 9);
	ck_assert_uint_eq(c.d.warnings, 2);
	const char *p = c.text;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char line[512];
		snprintf(line, sizeof(line), "%s%s", DATA "/errors.conf", want[i]);
		ck_assert_msg(strncmp(p, line, strlen(line)) == 0, "line %zu: got\n%.200s\nwant\n%s",
		              i, p, line);
		p = strchr(p, '\n') + 1;
	}
}
END_TEST

START_TEST(test_missing_file)
{
	struct capture c;
	capture_init(&c);
	ck_assert_ptr_null(config_load(DATA "/no-such.conf", &c.d));
	ck_assert_str_eq(c.text, DATA "/no-such.conf: cannot read: No such file or directory\n");
	capture_init(&c);
	ck_assert_ptr_null(config_load(DATA, &c.d));
	ck_assert_str_eq(c.text, DATA ": cannot read: Is a directory\n");
	/* No diag at all: still NULL, no crash. */
	ck_assert_ptr_null(config_load(DATA "/no-such.conf", NULL));
}
END_TEST

START_TEST(test_repeatable)
{
	struct capture c;
	tmp_setup();
	/* The first line replaces the default list, later lines add. */
	struct config *cfg = load_text("SupportAddress a@x.dk\nPeakWindow Mon 09:00-10:00\n"
	                               "SupportAddress B@X.DK\nPeakWindow Tue 09:00-10:00\n"
	                               "SupportAddress a@x.dk\n", &c);
	ck_assert_msg(cfg != NULL, "%s", c.text);
	ck_assert_uint_eq(cfg->n_support_address, 2);
	ck_assert_str_eq(cfg->support_address[0], "a@x.dk");
	ck_assert_str_eq(cfg->support_address[1], "b@x.dk");
	ck_assert_uint_eq(cfg->hours.n_peak, 2);
	ck_assert_uint_eq(cfg->hours.n_open, 1);  /* untouched default */
	ck_assert_uint_eq(c.d.warnings, 1);
	ck_assert_msg(strstr(c.text, ":5: warning: SupportAddress: a@x.dk is already listed") != NULL,
	              "%s", c.text);
	config_free(cfg);
	/* "none" empties the list wherever it is. */
	cfg = load_text("PeakWindow Mon 09:00-10:00\nPeakWindow none\nClosedDate 12-24\n"
	                "ClosedDate none\nClosedDate 12-31\n", &c);
	ck_assert_msg(cfg != NULL, "%s", c.text);
	ck_assert_uint_eq(cfg->hours.n_peak, 0);
	ck_assert_uint_eq(cfg->hours.n_closed, 1);
	ck_assert_uint_eq(cfg->hours.closed[0].month, 12);
	ck_assert_uint_eq(cfg->hours.closed[0].day, 31);
	config_free(cfg);
	/* The limits of the lists. */
	char text[40000];
	size_t len = 0;
	for (int i = 0; i <= HOURS_MAX_WINDOWS; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "OpeningHours Mon %02d:00-%02d:30\n",
		                        i % 24, i % 24);
	cfg = load_text(text, &c);
	ck_assert_ptr_null(cfg);
	ck_assert_uint_eq(c.lines, 1);
	ck_assert_msg(strstr(c.text, ":33: OpeningHours: more than 32 values") != NULL, "%s", c.text);
	len = 0;
	for (int i = 0; i <= 100; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "SupportAddress s%d@x.dk\n", i);
	cfg = load_text(text, &c);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(c.text, ":101: SupportAddress: more than 100 values") != NULL, "%s", c.text);
	tmp_teardown();
}
END_TEST

START_TEST(test_duplicate_key_last_wins)
{
	struct capture c;
	tmp_setup();
	struct config *cfg = load_text("Socket inet:1@localhost\n\nsocket inet:2@localhost\n", &c);
	ck_assert_msg(cfg != NULL, "%s", c.text);
	ck_assert_str_eq(cfg->socket, "inet:2@localhost");
	ck_assert_uint_eq(c.d.errors, 0);
	ck_assert_uint_eq(c.d.warnings, 1);
	ck_assert_msg(strstr(c.text, ":3: warning: Socket: already set at line 1; this value "
	                     "replaces it") != NULL, "%s", c.text);
	config_free(cfg);
	/* A second TimeZone replaces the first zone (no leak, no stale tz). */
	cfg = load_text("TimeZone America/New_York\nTimeZone UTC\n", &c);
	ck_assert_msg(cfg != NULL, "%s", c.text);
	ck_assert_str_eq(tz_name(cfg->tz), "UTC");
	ck_assert_ptr_eq(cfg->hours.tz, cfg->tz);
	config_free(cfg);
	tmp_teardown();
}
END_TEST

START_TEST(test_warnings_do_not_fail)
{
	struct capture c;
	tmp_setup();
	struct config *cfg = load_text("HeaderPrefix X-\nMaxMimeDepth 20 # nesting\n", &c);
	ck_assert_ptr_null(cfg);   /* "20 # nesting" is not a number */
	ck_assert_msg(strstr(c.text, ":2: warning: MaxMimeDepth: '#' in the value") != NULL, "%s",
	              c.text);
	ck_assert_msg(strstr(c.text, ":1: warning: HeaderPrefix: header prefix \"X-\" is short") != NULL,
	              "%s", c.text);
	cfg = load_text("HeaderPrefix X-\nRedisPassword a #b\n", &c);
	ck_assert_msg(cfg != NULL, "%s", c.text);
	ck_assert_uint_eq(c.lines, 1);    /* no '#' warning for a password */
	ck_assert_str_eq(cfg->redis_password, "a #b");
	config_free(cfg);
	tmp_teardown();
}
END_TEST

START_TEST(test_line_syntax)
{
	struct capture c;
	tmp_setup();
	/* CRLF, blanks around, tabs. */
	struct config *cfg = load_text("\tSocket\tinet:9@localhost\r\n  MaxMimeDepth   7  \r\n", &c);
	ck_assert_msg(cfg != NULL, "%s", c.text);
	ck_assert_str_eq(cfg->socket, "inet:9@localhost");
	ck_assert_int_eq(cfg->max_mime_depth, 7);
	config_free(cfg);
	/* No final newline. */
	cfg = load_text("MaxMimeDepth 8", &c);
	ck_assert_msg(cfg != NULL, "%s", c.text);
	ck_assert_int_eq(cfg->max_mime_depth, 8);
	config_free(cfg);
	/* A NUL byte, a control character, an over-long line: each an error,
	 * and the lines after them are still checked. */
	capture_init(&c);
	static const char nul[] = "MaxMimeDepth 8\0\nLogLevel \x01\nMaxMimeDepth 0\n";
	ck_assert_ptr_null(config_load(write_conf(nul, sizeof(nul) - 1), &c.d));
	ck_assert_uint_eq(c.d.errors, 3);
	ck_assert_msg(strstr(c.text, ":1: control character or NUL in line") != NULL, "%s", c.text);
	ck_assert_msg(strstr(c.text, ":2: control character or NUL in line") != NULL, "%s", c.text);
	ck_assert_msg(strstr(c.text, ":3: MaxMimeDepth: 0 is out of range") != NULL, "%s", c.text);
	char *longline = malloc(5000);
	memcpy(longline, "RulesDir /", 10);
	memset(longline + 10, 'a', 4989);
	longline[4999] = '\0';
	cfg = load_text(longline, &c);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(c.text, ":1: line longer than 4096 bytes") != NULL, "%s", c.text);
	free(longline);
	tmp_teardown();
}
END_TEST

START_TEST(test_default_zone_missing)
{
	/* The default zone is loaded only when no TimeZone is given, and a
	 * file naming UTC works without any zoneinfo. */
	struct capture c;
	tmp_setup();
	setenv("TZDIR", "/nonexistent", 1);
	struct config *cfg = load_text("TimeZone UTC\n", &c);
	ck_assert_msg(cfg != NULL, "%s", c.text);
	config_free(cfg);
	cfg = load_text("MaxMimeDepth 3\n", &c);
	unsetenv("TZDIR");
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(c.text, ": TimeZone Europe/Copenhagen (the default): unknown time zone") != NULL,
	              "%s", c.text);
	tmp_teardown();
}
END_TEST

/* --------------------------------------------------------- the dump */

static void round_trip(struct config *cfg)
{
	struct capture c;
	char *first = dump(cfg);
	struct config *again = load_text(first, &c);
	ck_assert_msg(again != NULL, "%s\n%s", first, c.text);
	ck_assert_msg(c.lines == 0, "%s", c.text);
	char *second = dump(again);
	ck_assert_str_eq(second, first);
	/* Every key appears, and only keys. */
	for (size_t i = 0; i < config_key_count(); i++) {
		char prefix[64];
		snprintf(prefix, sizeof(prefix), "\n%s ", config_key_name(i));
		ck_assert_msg(strncmp(first, prefix + 1, strlen(prefix) - 1) == 0 ||
		              strstr(first, prefix) != NULL, "dump lacks %s", config_key_name(i));
	}
	free(first);
	free(second);
	config_free(again);
}

START_TEST(test_dump_round_trip)
{
	tmp_setup();
	struct config *cfg = config_defaults(NULL);
	ck_assert_ptr_nonnull(cfg);
	char *d = dump(cfg);
	ck_assert(has_line(d, "Socket inet:8891@127.0.0.1"));
	ck_assert(has_line(d, "PeakWindow Mon-Fri 09:00-10:00"));
	ck_assert(has_line(d, "PeakWindow Mon-Tue 09:00-15:00"));
	ck_assert(has_line(d, "ClosedDate none"));
	ck_assert(has_line(d, "PidFile \"\""));
	ck_assert(has_line(d, "MaxHeaderSize 64k"));
	ck_assert(has_line(d, "LogLevel info"));
	ck_assert(has_line(d, "SyslogFacility mail"));
	free(d);
	round_trip(cfg);
	config_free(cfg);
	cfg = config_load(DATA "/good.conf", NULL);
	ck_assert_ptr_nonnull(cfg);
	round_trip(cfg);
	config_free(cfg);
	config_dump(NULL, stdout);
	tmp_teardown();
}
END_TEST

/* ------------------------------------------------ support addresses */

static const struct {
	const char *addr;
	bool want;
} addrs[] = {
	{ "support@timemap.dk", true },
	{ "Support@TimeMap.DK", true },
	{ "support+urgent@timemap.dk", true },
	{ "SUPPORT+@timemap.dk", true },
	{ "support+a+b@timemap.dk", true },
	{ "hotline@timemap.dk", true },
	{ "hotline+x@timemap.dk", true },
	{ "help+dk@timemap.dk", true },
	{ "help+dk+more@timemap.dk", true },
	{ "help@timemap.dk", false },
	{ "help+se@timemap.dk", false },
	{ "supportx@timemap.dk", false },
	{ "suppor@timemap.dk", false },
	{ "support@timemap.dk.evil", false },
	{ "support@sub.timemap.dk", false },
	{ "support@timemap.d", false },
	{ "support", false },
	{ "", false },
	{ "@timemap.dk", false },
	{ "x+support@timemap.dk", false },
	{ "support@evil@timemap.dk", false },
};

START_TEST(test_support_address)
{
	struct capture c;
	tmp_setup();
	struct config *cfg = load_text("SupportAddress support@timemap.dk\n"
	                               "SupportAddress Hotline@timemap.dk\n"
	                               "SupportAddress help+dk@timemap.dk\n", &c);
	ck_assert_msg(cfg != NULL, "%s", c.text);
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		ck_assert_msg(config_is_support_address(cfg, addrs[i].addr) == addrs[i].want,
		              "%s: want %d", addrs[i].addr, addrs[i].want);
	ck_assert(!config_is_support_address(cfg, NULL));
	ck_assert(!config_is_support_address(NULL, "support@timemap.dk"));
	/* Which one (as configured, lower-cased): the counters key on it. */
	ck_assert_str_eq(config_support_address(cfg, "SUPPORT+x@TimeMap.dk"), "support@timemap.dk");
	ck_assert_str_eq(config_support_address(cfg, "HotLine@timemap.dk"), "hotline@timemap.dk");
	ck_assert_str_eq(config_support_address(cfg, "help+dk+more@timemap.dk"), "help+dk@timemap.dk");
	ck_assert_ptr_null(config_support_address(cfg, "help@timemap.dk"));
	config_free(cfg);
	tmp_teardown();
}
END_TEST

static const struct {
	const char *in, *host;
	int port;
} redis_good[] = {
	{ "localhost", "localhost", 6379 },
	{ "redis.example.com:6380", "redis.example.com", 6380 },
	{ "127.0.0.1:1", "127.0.0.1", 1 },
	{ "[::1]", "::1", 6379 },
	{ "[2001:db8::2]:65535", "2001:db8::2", 65535 },
	{ "/run/redis.sock", "/run/redis.sock", 0 },
};

START_TEST(test_redis_server_parse)
{
	char host[256], err[256];
	int port = -1;
	for (size_t i = 0; i < sizeof(redis_good) / sizeof(redis_good[0]); i++) {
		ck_assert_msg(config_parse_redis_server(redis_good[i].in, host, sizeof(host), &port,
		                                        err, sizeof(err)) == 0, "%s: %s",
		              redis_good[i].in, err);
		ck_assert_str_eq(host, redis_good[i].host);
		ck_assert_int_eq(port, redis_good[i].port);
	}
	ck_assert_int_eq(config_parse_redis_server("", host, sizeof(host), &port, err, sizeof(err)), -1);
	ck_assert_int_eq(config_parse_redis_server("localhost:99999", host, sizeof(host), &port, err,
	                                           sizeof(err)), -1);
	ck_assert_int_eq(config_parse_redis_server("[::1]x", host, sizeof(host), &port, err,
	                                           sizeof(err)), -1);
	ck_assert_int_eq(config_parse_redis_server("localhost", host, 5, &port, err, sizeof(err)), -1);
}
END_TEST

/* ---------------------------------------------------- documentation */

/* The roff entry of a key: from ".TP\n.B Key\n" to the next .TP/.SH/.SS,
 * with the escapes a default may contain undone. */
static char *man_entry(const char *man, const char *key)
{
	char head[128];
	snprintf(head, sizeof(head), ".TP\n.B %s\n", key);
	const char *p = strstr(man, head);
	if (p == NULL)
		return NULL;
	p += strlen(head);
	const char *end = p;
	while (*end != '\0' && !(end[0] == '.' && (strncmp(end, ".TP\n", 4) == 0 ||
	                                           strncmp(end, ".SH ", 4) == 0 ||
	                                           strncmp(end, ".SS ", 4) == 0) &&
	                         end[-1] == '\n'))
		end++;
	char *out = malloc((size_t)(end - p) + 1), *o = out;
	for (const char *q = p; q < end; q++) {
		if (q[0] == '\\' && q[1] == '-') {
			*o++ = '-';
			q++;
		} else if (q[0] == '\\' && q[1] == 'f' && q + 2 < end) {
			q += 2;
		} else if (q[0] == '\\' && q[1] == '&') {
			q++;
		} else if (strncmp(q, "\\(dq", 4) == 0) {
			*o++ = '"';
			q += 3;
		} else {
			*o++ = *q;
		}
	}
	*o = '\0';
	return out;
}

START_TEST(test_documented_in_man_page)
{
	char *man = slurp(TOP_SRCDIR "/man/support-milter.conf.5");
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *key = config_key_name(i);
		char *entry = man_entry(man, key);
		ck_assert_msg(entry != NULL, "key %s is not documented in man/support-milter.conf.5 "
		              "(expected \".TP\" then \".B %s\")", key, key);
		/* Each default value appears in the entry (the sysconfdir part of
		 * a path is build-dependent and spelled out in words). */
		const char *def = config_key_default(i);
		if (strncmp(def, SYSCONFDIR "/", strlen(SYSCONFDIR) + 1) == 0)
			def += strlen(SYSCONFDIR);
		for (const char *p = def;;) {
			size_t n = strcspn(p, "\n");
			char val[256];
			snprintf(val, sizeof(val), "%.*s", (int)n, n > 0 ? p : "\"\"");
			ck_assert_msg(strstr(entry, val) != NULL, "man page entry of %s does not show "
			              "its default \"%s\"", key, val);
			if (p[n] == '\0')
				break;
			p += n + 1;
		}
		ck_assert_ptr_nonnull(config_key_description(i));
		free(entry);
	}
	free(man);
}
END_TEST

START_TEST(test_documented_in_shipped_file)
{
	char *conf = slurp(TOP_SRCDIR "/etc/support-milter.conf");
	for (size_t i = 0; i < config_key_count(); i++) {
		char want[128];
		snprintf(want, sizeof(want), "\n# %s ", config_key_name(i));
		ck_assert_msg(strstr(conf, want) != NULL, "key %s has no \"# %s default\" line in "
		              "etc/support-milter.conf", config_key_name(i), config_key_name(i));
	}
	/* As shipped it loads cleanly (everything commented out). */
	struct capture c;
	capture_init(&c);
	struct config *cfg = config_load(TOP_SRCDIR "/etc/support-milter.conf", &c.d);
	ck_assert_msg(cfg != NULL && c.lines == 0, "%s", c.text);
	config_free(cfg);
	/* With every "# Key value" line uncommented it gives the built-in
	 * defaults (RulesDir is shown as installed by packages). */
	for (char *p = conf; (p = strstr(p, "\n# ")) != NULL; p++) {
		size_t n = strcspn(p + 3, " \n");
		for (size_t i = 0; i < config_key_count(); i++)
			if (strlen(config_key_name(i)) == n && strncmp(p + 3, config_key_name(i), n) == 0)
				p[1] = p[2] = ' ';
	}
	tmp_setup();
	cfg = load_text(conf, &c);
	ck_assert_msg(cfg != NULL && c.lines == 0, "%s", c.text);
	ck_assert_str_eq(cfg->rules_dir, "/etc/support-milter/rules");
	struct config *def = config_defaults(NULL);
	free(cfg->rules_dir);
	cfg->rules_dir = strdup(def->rules_dir);
	char *got = dump(cfg), *want = dump(def);
	/* Name the first line that differs, not two whole dumps. */
	const char *g = got, *w = want;
	while (*g != '\0' && strcspn(g, "\n") == strcspn(w, "\n") &&
	       strncmp(g, w, strcspn(g, "\n") + 1) == 0) {
		g += strcspn(g, "\n") + 1;
		w += strcspn(w, "\n") + 1;
	}
	ck_assert_msg(*g == '\0' && *w == '\0', "etc/support-milter.conf does not show the "
	              "built-in default: uncommented it gives \"%.*s\", the default is \"%.*s\"",
	              (int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
	free(got);
	free(want);
	config_free(def);
	config_free(cfg);
	tmp_teardown();
	free(conf);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("values");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_empty_file_is_defaults);
	tcase_add_loop_test(tc, test_good_value, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad_value, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_every_key_has_bad_value);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_test(tc, test_good_file);
	tcase_add_test(tc, test_many_errors);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_repeatable);
	tcase_add_test(tc, test_duplicate_key_last_wins);
	tcase_add_test(tc, test_warnings_do_not_fail);
	tcase_add_test(tc, test_line_syntax);
	tcase_add_test(tc, test_default_zone_missing);
	tcase_add_test(tc, test_dump_round_trip);
	tcase_add_test(tc, test_support_address);
	tcase_add_test(tc, test_redis_server_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("docs");
	tcase_add_test(tc, test_documented_in_man_page);
	tcase_add_test(tc, test_documented_in_shipped_file);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
