/*
 * log: one line per event on stderr, which systemd's journal keeps.
 * Under the journal (JOURNAL_STREAM set) each line carries its syslog
 * priority as a "<N>" prefix so `journalctl -p warning` works.
 */
#ifndef GLIA_LOG_H
#define GLIA_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_init(enum log_level level);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);
/* Parses "error", "warn", "info", "debug"; -1 when none of them. */
int log_level_parse(const char *s);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
