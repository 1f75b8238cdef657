/*
 * hostid: see hostid.h.
 */
#include "hostid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void read_boot_id(char *out, size_t len)
{
    char buf[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f) {
        if (!fgets(buf, sizeof(buf), f))
            buf[0] = '\0';
        fclose(f);
    }
    size_t n = 0;
    for (const char *c = buf; *c && n + 1 < len; c++)
        if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))
            out[n++] = *c;
    if (n == 0) /* no /proc: hosts still differ by name */
        out[n++] = '0';
    out[n] = '\0';
}

const char *hostid(void)
{
    static char id[300];
    if (id[0])
        return id;
    char host[256] = "";
    if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
        strcpy(host, "localhost");
    for (char *c = host; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '.'))
            *c = '_';
    char boot[13];
    read_boot_id(boot, sizeof(boot));
    snprintf(id, sizeof(id), "%s.%s", host, boot);
    return id;
}

size_t hostid_host_len(const char *id)
{
    const char *dot = strrchr(id, '.');
    return dot ? (size_t)(dot - id) : strlen(id);
}

int hostid_parse(const char *name, size_t *idlen, long *pid)
{
    const char *dash = strrchr(name, '-');
    if (!dash || dash == name || !strchr(name, '.'))
        return -1;
    char *end;
    long p = strtol(dash + 1, &end, 10);
    if (*end || p <= 0 || dash[1] == '\0')
        return -1;
    *idlen = (size_t)(dash - name);
    *pid = p;
    return 0;
}
