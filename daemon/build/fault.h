/*
 * fault: whether a failed tool run is the environment's fault, the rules
 * (fault_rules.h) applied to the run and to the state of its work dir.
 */
#ifndef GLIA_FAULT_H
#define GLIA_FAULT_H

#include "fault_rules.h"

#include <stddef.h>
#include <stdint.h>

/* Why the filesystem of `dir` cannot be trusted with a compile now: dir is
 * gone, read-only, or (nearly) out of space or inodes. malloc'd, or NULL. */
char *fault_probe_dir(const char *dir);

/* All of the above for a tool run that failed (exit, words, then the state
 * of `dir`, its work dir): why it is the environment's fault, malloc'd, or
 * NULL when the failure is the tool's verdict on its input. */
char *fault_of_run(int64_t status, int term_signal, const char *out, const char *err,
                   const char *dir);

#endif
