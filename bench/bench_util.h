/*
 * bench_util: what both benchmark programs need — a monotonic clock,
 * percentiles of latency samples, and fatal errors.
 *
 * A benchmark that carries on after an error measures the error path, so
 * every failure here ends the program.
 */
#ifndef GLIA_BENCH_UTIL_H
#define GLIA_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t bench_now_ns(void);

/* Prints "bench: <message>" to stderr and exits with status 1. */
_Noreturn void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* SIGINT and SIGTERM no longer kill the program outright: they interrupt
 * the blocking call in progress (no SA_RESTART), whose EINTR loop then asks
 * bench_interrupted() and dies, so atexit clean-ups still run. */
void bench_catch_signals(void);
int bench_interrupted(void);

/* Sorts v[0..n) in place. */
void bench_sort_u64(uint64_t *v, size_t n);
void bench_sort_double(double *v, size_t n);

/* The p-th percentile (0..100, nearest rank) of sorted, non-empty v. */
uint64_t bench_percentile_u64(const uint64_t *sorted, size_t n, double p);

/* Median of sorted, non-empty v. */
double bench_median(const double *sorted, size_t n);

/* Parses a positive whole number for option `opt`, or dies. */
long bench_parse_count(const char *opt, const char *arg);

#endif
