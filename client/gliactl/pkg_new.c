/*
 * pkg_new: the files of a new Glia package, in Glia 4's layout:
 *
 *   <slug>/pyproject.toml          flit_core; entry point <slug> = "<slug>:package"
 *   <slug>/<slug>/__init__.py      docstring, __version__, package = Package(...)
 *   <slug>/<slug>/mods/.gitkeep
 *   <slug>/README.md, <slug>/LICENSE
 *
 * flit reads the version and description from the module without importing
 * it (__version__ and the docstring's first line), so the project installs
 * with nothing but flit_core, and gliad finds the mods without running it.
 */
#include "pkg.h"
#include "os.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* s for a "..." string of TOML or Python: backslashes and quotes escaped,
 * control characters (a pasted newline) as spaces. malloc'd. */
static char *quoted(const char *s)
{
    char *out = xmalloc(2 * strlen(s) + 1), *o = out;
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            *o++ = '\\';
        *o++ = (unsigned char)*s < 0x20 ? ' ' : *s;
    }
    *o = '\0';
    return out;
}

static char *pyproject(const struct pkg_meta *m)
{
    char *author = quoted(m->author), *email = quoted(m->email), *lic = quoted(m->license);
    char *who = *m->email ? xprintf("{name = \"%s\", email = \"%s\"}", author, email)
                          : xprintf("{name = \"%s\"}", author);
    char *text =
        xprintf("[build-system]\n"
                "requires = [\"flit_core >=3.2,<4\"]\n"
                "build-backend = \"flit_core.buildapi\"\n"
                "\n"
                "[project]\n"
                "name = \"%s\"\n"
                "authors = [%s]\n"
                "readme = \"README.md\"\n"
                "license = {text = \"%s\"}\n"
                "classifiers = [\"Framework :: NEURON\", \"Topic :: Scientific/Engineering\"]\n"
                "# From %s/__init__.py: its __version__ and its docstring's first line.\n"
                "dynamic = [\"version\", \"description\"]\n"
                "\n"
                "# What makes this a Glia package: gliad (and Glia) look for this group.\n"
                "[project.entry-points.\"glia.package\"]\n"
                "%s = \"%s:package\"\n",
                m->slug, who, lic, m->slug, m->slug, m->slug);
    free(who);
    free(author);
    free(email);
    free(lic);
    return text;
}

static char *init_py(const struct pkg_meta *m)
{
    char *desc = quoted(m->description), *proj = quoted(m->project), *ver = quoted(m->version);
    char *text = xprintf("\"\"\"%s\n"
                         "\n"
                         "%s: a Glia package. Its NEURON mechanisms are the mods/ folder's; add "
                         "one with\n"
                         "`glia pkg add FILE.mod` and check them all with `glia pkg check`.\n"
                         "\"\"\"\n"
                         "from pathlib import Path\n"
                         "\n"
                         "from glia import Package, Mod\n"
                         "\n"
                         "__version__ = \"%s\"\n"
                         "\n"
                         "package = Package(\n"
                         "    \"%s\",\n"
                         "    Path(__file__).resolve().parent,\n"
                         "    mods=[],\n"
                         ")\n",
                         desc, proj, ver, m->slug);
    free(desc);
    free(proj);
    free(ver);
    return text;
}

static char *readme(const struct pkg_meta *m)
{
    return xprintf("# %s\n"
                   "\n"
                   "%s\n"
                   "\n"
                   "A [Glia](https://github.com/dbbs-lab/glia) package of NEURON mechanisms. "
                   "Install it with\n"
                   "`pip install .` (or `pip install -e .` while working on it); gliad then "
                   "compiles its\n"
                   "mods and `glia.insert(section, \"ASSET\")` finds them.\n"
                   "\n"
                   "```sh\n"
                   "glia pkg add path/to/some.mod    # copies it into %s/mods/ under its Glia "
                   "name\n"
                   "glia pkg check                   # parses, compiles and runs every mod\n"
                   "```\n",
                   m->project, m->description, m->slug);
}

static const char MIT[] =
    "MIT License\n\n"
    "Copyright (c) %s\n\n"
    "Permission is hereby granted, free of charge, to any person obtaining a copy\n"
    "of this software and associated documentation files (the \"Software\"), to deal\n"
    "in the Software without restriction, including without limitation the rights\n"
    "to use, copy, modify, merge, publish, distribute, sublicense, and/or sell\n"
    "copies of the Software, and to permit persons to whom the Software is\n"
    "furnished to do so, subject to the following conditions:\n\n"
    "The above copyright notice and this permission notice shall be included in all\n"
    "copies or substantial portions of the Software.\n\n"
    "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\n"
    "IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\n"
    "FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\n"
    "AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\n"
    "LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,\n"
    "OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE\n"
    "SOFTWARE.\n";

/* MIT's text in full (it names the holder); any other licence by its SPDX
 * name, whose text the author pastes in. */
static char *license(const struct pkg_meta *m)
{
    if (strcasecmp(m->license, "MIT") == 0)
        return xprintf(MIT, m->author);
    return xprintf("Copyright (c) %s\n\n"
                   "Licensed under %s. Its full text: https://spdx.org/licenses/%s.html\n"
                   "(replace this file with it before publishing).\n",
                   m->author, m->license, m->license);
}

static int write_text(const char *dir, const char *rel, char *text)
{
    char *path = xprintf("%s/%s", dir, rel);
    int rc = pkg_write_file(path, text, strlen(text));
    if (rc < 0)
        fprintf(stderr, "gliactl: cannot write %s: %s\n", path, strerror(errno));
    free(path);
    free(text);
    return rc;
}

int pkg_create(const char *dir, const struct pkg_meta *m, int into_existing)
{
    struct stat st;
    char *toml = xprintf("%s/pyproject.toml", dir);
    int taken = into_existing ? lstat(toml, &st) == 0 : lstat(dir, &st) == 0;
    free(toml);
    if (taken) {
        fprintf(stderr,
                "gliactl: %s exists; nothing was written (choose another name or "
                "directory)\n",
                dir);
        return -1;
    }
    char *mods = xprintf("%s/%s/mods", dir, m->slug);
    int rc = mkdir_p(mods, 0755);
    if (rc < 0)
        fprintf(stderr, "gliactl: cannot make %s: %s\n", mods, strerror(errno));
    free(mods);
    char *init = xprintf("%s/__init__.py", m->slug), *keep = xprintf("%s/mods/.gitkeep", m->slug);
    rc = rc < 0 || write_text(dir, "pyproject.toml", pyproject(m)) < 0 ||
                 write_text(dir, init, init_py(m)) < 0 || write_text(dir, keep, xstrdup("")) < 0 ||
                 write_text(dir, "README.md", readme(m)) < 0 ||
                 write_text(dir, "LICENSE", license(m)) < 0
             ? -1
             : 0;
    free(init);
    free(keep);
    return rc;
}
