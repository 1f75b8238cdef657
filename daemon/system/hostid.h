/*
 * hostid: which host (and which boot of it) this gliad runs on, for the
 * names of what it keeps in a cache dir other hosts may share (NFS homes):
 * work dirs, staging dirs, leases. A pid alone names a process on one host
 * only: two hosts (or two containers, each its own pid 1) have the same
 * pids, and a gliad must never take another host's live work for a dead
 * process of its own. The boot id tells a rebooted host's leftovers (its
 * processes are all gone) from its live work.
 */
#ifndef GLIA_HOSTID_H
#define GLIA_HOSTID_H

#include <stddef.h>

/* "<hostname>.<boot id, 12 hex digits>", with only [A-Za-z0-9.-] in the
 * hostname (others as '_'); the same for the life of the process. Static
 * storage. */
const char *hostid(void);

/* The hostname part of an id, as a length into id (up to the last '.'). */
size_t hostid_host_len(const char *id);

/* A name made by hostid_name ("<host id>-<pid>"): its host id's length
 * and pid, or -1 when name is not one. */
int hostid_parse(const char *name, size_t *idlen, long *pid);

#endif
