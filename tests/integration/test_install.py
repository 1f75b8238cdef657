"""`meson install` into a temporary DESTDIR puts in place everything a
packaged install needs: gliad, gliactl, glia, gliad-child, the Python module, the user units,
the annotated example config and the man pages.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import glia_testlib as lib
import systemdlib as sd

PYTHON = "/usr/bin/python3"  # Debian's: the one its NEURON is built for
PYMOD_SRC = lib.REPO / "client/python/glia"
PREFIX = sd.build_options(sd.build_dir())["prefix"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    return sd.meson_install(tmp_path_factory.mktemp("destdir"))


def project_version():
    r = lib.run_checked(["meson", "introspect", "--projectinfo", sd.build_dir()])
    return json.loads(r.stdout)["version"]


def python_module_dir(installed):
    """The dir the glia package was installed into (its real path)."""
    inits = [p for p in installed.destdir.rglob("glia/__init__.py")]
    assert len(inits) == 1, f"expected one glia/__init__.py, got {inits}"
    return Path("/") / inits[0].parent.parent.relative_to(installed.destdir)


def test_installs_everything_under_the_prefix(installed):
    p, b = installed.prefix, installed.bindir
    want = {
        b / "gliad", b / "gliactl", b / "glia",
        installed.libexecdir / "glia/gliad-child",
        installed.unitdir / "gliad.service", installed.unitdir / "gliad.socket",
        installed.datadir / "doc/glia/gliad.ini.example",
        installed.mandir / "man1/gliad.1", installed.mandir / "man1/gliactl.1",
    }
    files = {Path(f) for f in installed.files()}
    assert not {str(f) for f in want - files}, f"missing; installed: {sorted(files)}"
    outside = [f for f in files if p not in f.parents and installed.unitdir not in f.parents]
    assert not outside, f"installed outside {p}: {outside}"
    for f in files:
        assert not re.match(r"(test|bench)", f.name), f"a test or benchmark is installed: {f}"


def test_programs_run_from_the_install(installed):
    gliad = installed.at(installed.bindir / "gliad")
    gliactl = installed.at(installed.bindir / "gliactl")
    for exe in (gliad, gliactl, installed.at(installed.libexecdir / "glia/gliad-child")):
        assert exe.is_file() and os.access(exe, os.X_OK), exe
    r = lib.run_checked([gliad, "--version"])
    assert r.stdout.startswith(f"gliad {project_version()} "), r.stdout
    r = lib.run_checked([gliactl, "--help"])
    assert r.stdout.startswith("usage: gliactl"), r.stdout


def test_glia_is_the_python_glia_command_of_debians_python(installed):
    """`glia` runs the module's CLI on the python3 the module was installed
    for, so it answers for that python's environment; alone it prints help."""
    glia = installed.at(installed.bindir / "glia")
    assert glia.is_file() and not glia.is_symlink() and os.access(glia, os.X_OK)
    assert glia.read_text().splitlines()[0] == "#!/usr/bin/python3"
    env = dict(os.environ, PYTHONPATH=str(installed.at(python_module_dir(installed))))
    for args in ([], ["--help"]):
        r = subprocess.run([glia, *args], capture_output=True, text=True, env=env,
                           timeout=lib.TIMEOUT)
        assert r.returncode == 0 and r.stdout.startswith("usage: glia"), r
        assert "compile" in r.stdout and "show-pkg" in r.stdout, r


def test_gliad_looks_for_gliad_child_where_it_is_installed(installed):
    """gliad looks next to itself, then in the LIBEXECDIR compiled into it:
    that must be where meson installs gliad-child."""
    child = installed.libexecdir / "glia/gliad-child"
    assert installed.at(child).is_file()
    binary = installed.at(installed.bindir / "gliad").read_bytes()
    assert str(child.parent).encode() + b"\0" in binary


def test_installs_the_whole_python_module(installed):
    pydir = python_module_dir(installed)
    where = installed.at(pydir / "glia")
    got = {p.name: p.read_bytes() for p in where.glob("*.py")}
    want = {p.name: p.read_bytes() for p in PYMOD_SRC.glob("*.py")}
    assert sorted(got) == sorted(want)
    assert got == want
    assert pydir.name in ("dist-packages", "site-packages"), pydir
    # Byte-compiled at install: a user's python cannot write __pycache__ there.
    compiled = {p.name.split(".")[0] for p in (where / "__pycache__").glob("*.pyc")}
    assert compiled == {n[:-3] for n in want}, compiled
    # And the C speedups of glia.insert in the package, where the build made them
    # (not in a sanitizer build), and nothing beside it.
    got_so = list(where.glob("_speedups.*.so"))
    assert [p.name for p in got_so] == [p.name for p in lib.SPEEDUPS], (got_so, lib.SPEEDUPS)
    assert not list(pydir.glob("*.so")), list(pydir.glob("*.so"))


def test_installed_python_module_imports_and_talks_to_gliad(installed, gliad, main_site):
    d = gliad({"default": [main_site.site]})
    pydir = installed.at(python_module_dir(installed))
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import glia; "
            "print(glia.__file__); print(glia.__version__); print(glia.resolve('Na'))")
    env = {"PATH": lib.SYSTEM_PATH, "HOME": str(d.base / "home"), "GLIA_SOCKET": d.socket,
           "GLIA_ENV": "default", "GLIA_NO_AUTOSTART": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    r = subprocess.run([PYTHON, "-c", code, pydir], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r
    file, version, na = r.stdout.split()
    assert Path(file) == pydir / "glia/__init__.py"
    assert version == project_version()
    assert na == d.ok("resolve", {"asset": "Na"})["full"]


@pytest.mark.skipif(PREFIX not in ("/usr", "/usr/local"),
                    reason=f"prefix {PREFIX}: no python3 looks there without PYTHONPATH")
def test_python_module_is_where_debians_python3_imports_from(installed):
    """After the README's `meson setup --prefix=/usr/local && meson install`,
    `import glia` works: meson's get_install_dir() gives Debian's deb_system
    PREFIX/lib/python3/dist-packages, which python3 reads only for /usr."""
    pydir = python_module_dir(installed)
    r = lib.run_checked([PYTHON, "-c", "import json, sys; print(json.dumps(sys.path))"],
                        env={"PATH": lib.SYSTEM_PATH}, cwd="/")
    assert str(pydir) in json.loads(r.stdout), \
        f"{PYTHON} does not import from {pydir}: {r.stdout}"


def test_installs_the_user_units(installed):
    unitdir = installed.at(installed.unitdir)
    service = (unitdir / "gliad.service").read_text()
    assert f"ExecStart={installed.bindir / 'gliad'}" in service.splitlines()
    assert not re.search(r"@[A-Z_]+@", service), "an unsubstituted @VAR@ in the service"
    assert (unitdir / "gliad.socket").read_text() == \
        (lib.REPO / "systemd/gliad.socket").read_text()


def test_installs_the_annotated_example_config(installed):
    example = installed.at(installed.datadir / "doc/glia/gliad.ini.example")
    assert example.read_text() == (lib.REPO / "docs/gliad.ini.example").read_text()
    comments = [l for l in example.read_text().splitlines() if l.startswith(";")]
    assert len(comments) > 20  # annotated: it explains, not just lists


def uncommented(example, base):
    """The example with every setting it shows turned on, paths moved into
    base so that the gliad trying it touches nothing else."""
    out = []
    for line in example.splitlines():
        m = re.match(r";(\[[a-z:\-]+\]|[a-z_]+ = .*)$", line)
        out.append(m.group(1) if m else line)
    text = "\n".join(out) + "\n"
    for key, path in (("socket", base / "run/gliad.sock"), ("state_dir", base / "state"),
                      ("cache_dir", base / "cache")):
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {path}", text)
        assert n == 1, key
    sites = iter(range(100))
    text = re.sub(r"(?m)^site_packages = .*$",
                  lambda m: f"site_packages = {base}/site{next(sites)}", text)
    return text


def test_every_setting_of_the_example_config_is_accepted(installed, gliad):
    """Uncommented, the example is a config gliad starts with: no key in it
    is misspelled or unknown to gliad."""
    base = gliad.base()
    text = uncommented(installed.at(installed.datadir / "doc/glia/gliad.ini.example")
                       .read_text(), base)
    for i in range(2):
        (base / f"site{i}").mkdir()
    d = gliad(base=base, config_text=text, socket_path=base / "run/gliad.sock",
              state_dir=base / "state")
    st = d.ok("status")
    assert [e["name"] for e in st["envs"]] == ["default", "pip-neuron"]
    assert [e["backend"] for e in st["envs"]] == ["direct", "nrnivmodl"]
    assert st["state_dir"] == str(base / "state") and st["cache_dir"] == str(base / "cache")
    assert "unknown" not in d.stderr()


def man_text(page):
    r = lib.run_checked(["groff", "-man", "-Tascii", "-P-cbou", "-ww", page])
    assert not r.stderr, f"groff warns about {page}:\n{r.stderr}"
    return r.stdout


@pytest.mark.parametrize("name", ["gliad", "gliactl"])
def test_installs_the_man_pages(installed, name):
    page = installed.at(installed.mandir / f"man1/{name}.1")
    assert page.read_text().startswith(f".TH {name.upper()} 1 ")
    if shutil.which("groff", path=lib.SYSTEM_PATH):
        assert re.search(rf"^NAME\n\s+{name}\b", man_text(page), re.M)


@pytest.mark.skipif(shutil.which("groff", path=lib.SYSTEM_PATH) is None, reason="no groff")
def test_man_pages_document_every_command_and_option(installed):
    gliactl = man_text(installed.at(installed.mandir / "man1/gliactl.1"))
    help_ = lib.run_checked([lib.gliactl_binary(), "--help"]).stdout
    commands = re.findall(r"(?m)^  (\S+)\s", help_.split("Commands:")[1].split("Options")[0])
    assert commands
    missing = [c for c in commands if not re.search(rf"(?<![\w-]){c}(?![\w-])", gliactl)]
    assert not missing, f"gliactl.1 does not document {missing}"
    assert re.search(r"gliactl,\s+glia\b", gliactl)  # the glia name too

    gliad = man_text(installed.at(installed.mandir / "man1/gliad.1"))
    help_ = lib.run_checked([lib.gliad_binary(), "--help"]).stdout
    options = re.findall(r"--[a-z-]+", help_)
    missing = [o for o in options if o not in gliad]
    assert options and not missing, f"gliad.1 does not document {missing}"
