/*
 * artifact: see artifact.h.
 */
#include "artifact.h"
#include "os.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OBJECT_MAX_BYTES (256u << 20)

static int failed(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int failed(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The file's SHA-256 in hex and its size. 0, or -1 with errno set. */
static int digest_file(const char *path, char hex[2 * SHA256_DIGEST_SIZE + 1], int64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    unsigned char buf[1 << 16];
    ssize_t n;
    *size = 0;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        sha256_update(&ctx, (size_t)n, buf);
        *size += n;
    }
    int saved = errno;
    close(fd);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof(d), d);
    for (size_t i = 0; i < sizeof(d); i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return 0;
}

/* Writes text to path whole, durably. 0, or -1 with errno of the call
 * that failed. */
static int write_synced(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    if (fputs(text, f) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        int err = errno;
        fclose(f);
        errno = err;
        return -1;
    }
    return fclose(f);
}

int artifact_seal(const char *path)
{
    char hex[2 * SHA256_DIGEST_SIZE + 1];
    int64_t size;
    if (digest_file(path, hex, &size) < 0)
        return -1;
    /* Written aside then renamed: a reader (another gliad checking the
     * library, unsealed until now) never sees half a seal. */
    char *seal = xprintf("%s%s", path, ARTIFACT_SEAL_SUFFIX);
    char *tmp = xprintf("%s.tmp-%ld", seal, (long)getpid());
    char *text = xprintf("%s %" PRId64 "\n", hex, size);
    int rc = write_synced(tmp, text) == 0 && rename(tmp, seal) == 0 ? 0 : -1;
    int err = errno;
    if (rc < 0)
        unlink(tmp);
    free(text);
    free(tmp);
    free(seal);
    errno = err;
    return rc;
}

int artifact_check(const char *path, char *why, size_t whylen)
{
    char *seal = xprintf("%s%s", path, ARTIFACT_SEAL_SUFFIX);
    char *text = file_read(seal, 4096, NULL);
    int err = errno;
    free(seal);
    char want[2 * SHA256_DIGEST_SIZE + 1];
    int64_t want_size;
    /* Libraries published before seals existed have none: not damaged. */
    if (!text && err == ENOENT && access(path, R_OK) == 0)
        return ARTIFACT_UNSEALED;
    if (!text)
        return failed(why, whylen, "its checksum file %s%s cannot be read: %s", path,
                      ARTIFACT_SEAL_SUFFIX, strerror(err));
    int fields = sscanf(text, "%64[0-9a-f] %" SCNd64, want, &want_size);
    free(text);
    if (fields != 2 || strlen(want) != 2 * SHA256_DIGEST_SIZE)
        return failed(why, whylen, "its checksum file is not one gliad wrote");
    char hex[2 * SHA256_DIGEST_SIZE + 1];
    int64_t size;
    if (digest_file(path, hex, &size) < 0)
        return failed(why, whylen, "cannot read it: %s", strerror(errno));
    if (size != want_size)
        return failed(why, whylen, "%" PRId64 " bytes where %" PRId64 " were published", size,
                      want_size);
    if (strcmp(hex, want) != 0)
        return failed(why, whylen, "its SHA-256 is not the one published");
    return 0;
}

int artifact_check_object(const char *path, const char *symbol, char *why, size_t whylen)
{
    size_t len;
    unsigned char *buf = (unsigned char *)file_read(path, OBJECT_MAX_BYTES, &len);
    if (!buf)
        return failed(why, whylen, "cannot read it: %s", strerror(errno));
    int rc = artifact_elf_check(buf, len, symbol, why, whylen);
    free(buf);
    return rc;
}

/* symbol as a whole NUL-terminated string in the table [off, off + size). */
static int names(const unsigned char *buf, uint64_t off, uint64_t size, const char *symbol)
{
    size_t n = strlen(symbol) + 1;
    const unsigned char *p = buf + off, *end = buf + off + size;
    while (p + n <= end) {
        const unsigned char *hit = memmem(p, (size_t)(end - p), symbol, n);
        if (!hit)
            return 0;
        if (hit == buf + off || hit[-1] == '\0')
            return 1;
        p = hit + 1;
    }
    return 0;
}

int artifact_elf_check(const unsigned char *buf, size_t len, const char *symbol, char *why,
                       size_t whylen)
{
    Elf64_Ehdr eh;
    if (len < sizeof(eh) || memcmp(buf, ELFMAG, SELFMAG) != 0)
        return failed(why, whylen, "not an ELF file (%zu bytes)", len);
    memcpy(&eh, buf, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_REL)
        return failed(why, whylen, "not a 64-bit ELF relocatable object");
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > len ||
        (len - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum)
        return failed(why, whylen, "cut short: its section headers end past its %zu bytes", len);
    int found = 0;
    for (size_t i = 0; i < eh.e_shnum; i++) {
        Elf64_Shdr sh;
        memcpy(&sh, buf + eh.e_shoff + i * sizeof(sh), sizeof(sh));
        if (sh.sh_type != SHT_NOBITS && (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset))
            return failed(why, whylen, "cut short: section %zu ends past its %zu bytes", i, len);
        if (sh.sh_type == SHT_STRTAB && names(buf, sh.sh_offset, sh.sh_size, symbol))
            found = 1;
    }
    if (!found)
        return failed(why, whylen, "it does not define %s", symbol);
    return 0;
}
