"""Authoring: `gliactl pkg new/add/check` (and their `glia pkg` spelling) and
the personal collection (`gliactl add`, `collection`, `remove`), against a
real gliad, real pip and venvs, and NEURON in fresh processes."""

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import buildlib
import glia_testlib as lib

DEMO = lib.DEMO_MODS  # Debian's NEURON demo mods

# A point process (Debian's demos have none): a constant current.
CLAMP = """\
TITLE constant current, a point process of the authoring tests
NEURON {
    POINT_PROCESS Clamp
    RANGE amp
    ELECTRODE_CURRENT i
}
UNITS { (nA) = (nanoamp) }
PARAMETER { amp = 0.1 (nA) }
ASSIGNED { i (nA) }
BREAKPOINT { i = amp }
"""

# A leak whose parameters come from an INCLUDEd file.
LEAKINC = """\
NEURON {
    SUFFIX leakinc
    NONSPECIFIC_CURRENT i
    RANGE g, e
}
UNITS { (mA) = (milliamp) (mV) = (millivolt) (S) = (siemens) }
INCLUDE "leak_params.inc"
ASSIGNED { v (mV) i (mA/cm2) }
BREAKPOINT { i = g*(v - e) }
"""
LEAK_PARAMS = "PARAMETER {\n    g = 0.001 (S/cm2)\n    e = -70 (mV)\n}\n"


def glia_mod(name, body="BREAKPOINT { i = g*(v - e) }\n", extra=""):
    """A small density mechanism already under its Glia name."""
    return (f"NEURON {{\n    SUFFIX {name}\n    NONSPECIFIC_CURRENT i\n    RANGE g, e\n}}\n"
            "UNITS { (mA) = (milliamp) (mV) = (millivolt) (S) = (siemens) }\n"
            "PARAMETER { g = 0.001 (S/cm2) e = -70 (mV) }\n"
            f"ASSIGNED {{ v (mV) i (mA/cm2) }}\n{extra}{body}")


def run(*args, cwd=None, d=None, input=None, argv0=None, timeout=buildlib.BUILD_TIMEOUT):
    """gliactl (or `glia` with argv0) with Debian's python3 and NEURON first on PATH."""
    return lib.gliactl(*args, socket=d.socket if d else "/nonexistent/gliad.sock", cwd=cwd,
                       input=input, argv0=argv0, env={"PATH": lib.SYSTEM_PATH},
                       timeout=timeout)


def new_package(parent, name="Demo Mods"):
    r = run("pkg", "new", parent, "--yes", "--name", name)
    assert r.rc == 0, r
    return Path(parent) / name.lower().replace(" ", "_")


def check(proj, d):
    """`pkg check --json`: (exit code, report)."""
    r = run("pkg", "check", "--json", cwd=proj, d=d)
    assert r.out.strip(), r
    return r.rc, json.loads(r.out)


def errors(report):
    return [p for p in report["problems"] if p["severity"] == "error"]


# ---- pkg new -----------------------------------------------------------------

def test_new_takes_every_default_from_an_empty_stdin(tmp_path):
    r = run("pkg", "new", tmp_path, input="")
    assert r.rc == 0, r
    assert "Full name [" in r.out
    proj = tmp_path / "glia_package"
    toml = (proj / "pyproject.toml").read_text()
    assert 'build-backend = "flit_core.buildapi"' in toml
    assert '[project.entry-points."glia.package"]\nglia_package = "glia_package:package"' in toml
    assert 'dynamic = ["version", "description"]' in toml
    assert 'license = {text = "MIT"}' in toml
    init = (proj / "glia_package/__init__.py").read_text()
    assert '__version__ = "0.1.0"' in init
    assert 'package = Package(\n    "glia_package",\n    Path(__file__).resolve().parent,' in init
    assert "from glia import Package, Mod" in init
    assert (proj / "glia_package/mods/.gitkeep").is_file()
    assert "MIT License" in (proj / "LICENSE").read_text()
    assert (proj / "README.md").read_text().startswith("# Glia Package\n")


def test_new_reads_answers_and_options_and_never_overwrites(tmp_path):
    # Asked in Glia 4's order: full name, email, project name, description, version, licence.
    answers = "Ada Lovelace\nada@example.org\nCerebellum Channels!\nGranule cell channels\n\n"
    r = run("pkg", "new", tmp_path, "--license", "BSD-3-Clause", input=answers)
    assert r.rc == 0, r
    proj = tmp_path / "cerebellum_channels"
    toml = (proj / "pyproject.toml").read_text()
    assert 'authors = [{name = "Ada Lovelace", email = "ada@example.org"}]' in toml
    assert 'license = {text = "BSD-3-Clause"}' in toml
    init = (proj / "cerebellum_channels/__init__.py").read_text()
    assert init.startswith('"""Granule cell channels\n')
    assert '__version__ = "0.1.0"' in init  # the empty line: the default
    before = (proj / "pyproject.toml").read_bytes()
    again = run("pkg", "new", tmp_path, "--yes", "--name", "Cerebellum Channels")
    assert again.rc == 1 and "exists" in again.err, again
    assert (proj / "pyproject.toml").read_bytes() == before


# ---- pkg add -----------------------------------------------------------------

def test_add_renames_only_the_mechanism_and_keeps_the_source(tmp_path):
    proj = new_package(tmp_path)
    src = DEMO / "nachan.mod"
    before = src.read_bytes()
    r = run("pkg", "add", src, cwd=proj)
    assert r.rc == 0, r
    copy = proj / "demo_mods/mods/HHna__0.mod"
    assert copy.read_bytes() == before.replace(b"SUFFIX HHna", b"SUFFIX glia__demo_mods__HHna__0")
    assert src.read_bytes() == before
    # The asset from an ASSET__VARIANT file name; options override.
    named = tmp_path / "Kdr__slow.mod"
    shutil.copy(DEMO / "khhchan.mod", named)
    assert run("pkg", "add", named, cwd=proj / "demo_mods").rc == 0  # from a subdir too
    assert "SUFFIX glia__demo_mods__Kdr__slow" in (proj / "demo_mods/mods/Kdr__slow.mod").read_text()
    assert run("pkg", "add", DEMO / "khhchan.mod", "-n", "Kv", "-v", "2", cwd=proj).rc == 0
    assert (proj / "demo_mods/mods/Kv__2.mod").is_file()
    init = (proj / "demo_mods/__init__.py").read_text()
    assert ('    mods=[\n        Mod("mods/HHna__0.mod", "HHna"),\n'
            '        Mod("mods/Kdr__slow.mod", "Kdr", variant="slow"),\n'
            '        Mod("mods/Kv__2.mod", "Kv", variant="2"),\n    ],\n)\n') in init


def test_add_refuses_an_existing_target_unless_overwrite(tmp_path):
    proj = new_package(tmp_path)
    assert run("pkg", "add", DEMO / "nachan.mod", cwd=proj).rc == 0
    target = proj / "demo_mods/mods/HHna__0.mod"
    target.write_text(target.read_text() + "\n: my edit\n")
    edited = target.read_bytes()
    other = tmp_path / "HHna.mod"
    other.write_text(lib.rename_mechanism(lib.demo_mods()["HHk"][0], "HHna"))
    r = run("pkg", "add", other, cwd=proj)
    assert r.rc == 1 and "exists" in r.err and "--overwrite" in r.err, r
    assert target.read_bytes() == edited
    r = run("pkg", "add", other, "--overwrite", cwd=proj)
    assert r.rc == 0, r
    assert "SUFFIX glia__demo_mods__HHna__0" in target.read_text()
    assert "USEION k" in target.read_text()
    init = (proj / "demo_mods/__init__.py").read_text()
    assert init.count('"mods/HHna__0.mod"') == 1


def test_add_brings_included_files(tmp_path):
    proj = new_package(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "leakinc.mod").write_text(LEAKINC)
    (src / "leak_params.inc").write_text(LEAK_PARAMS)
    r = run("pkg", "add", src / "leakinc.mod", "-t", "leaks/", cwd=proj)
    assert r.rc == 0, r
    mods = proj / "demo_mods/mods/leaks"
    assert (mods / "leak_params.inc").read_text() == LEAK_PARAMS
    assert "SUFFIX glia__demo_mods__leakinc__0" in (mods / "leakinc__0.mod").read_text()
    (src / "leak_params.inc").unlink()
    r = run("pkg", "add", src / "leakinc.mod", "-n", "other", cwd=proj)
    assert r.rc == 1 and "leak_params.inc" in r.err, r
    assert not (proj / "demo_mods/mods/other__0.mod").exists()


# ---- new -> add -> check -> pip install -e -> gliad -> NEURON ---------------------

def test_new_add_check_install_and_simulate(tmp_path, gliad, fresh_venv):
    d = gliad({"default": [fresh_venv.site]})
    proj = new_package(tmp_path)
    (tmp_path / "Clamp.mod").write_text(CLAMP)
    for src in (DEMO / "nachan.mod", tmp_path / "Clamp.mod", DEMO / "invlfire.mod"):
        r = run("pkg", "add", src, cwd=proj, argv0="glia")
        assert r.rc == 0, r
    # The env a killed check could not forget (its pid is gone) goes too.
    dead = subprocess.Popen(["true"])
    dead.wait()
    d.ok("env.register", {"name": f"pkg-check:{proj}:{dead.pid}",
                          "site_packages": [str(fresh_venv.site.parent)]})
    rc, report = check(proj, d)
    assert rc == 0 and report["ok"], report
    assert (report["mods"], report["compiled"], report["ran"]) == (3, 3, 3), report
    assert report["problems"] == []
    # The check's temporary environment is gone again.
    assert [e["name"] for e in d.ok("envs")] == ["default"]

    fresh_venv.install(proj, editable=True)
    # What `pkg new` and `pkg add` wrote imports with our glia.Package and
    # glia.Mod, as Glia 4 packages are imported by their users and tools.
    described = subprocess.run(
        [fresh_venv.python, "-c", "import json, demo_mods as m; print(json.dumps("
         "[m.package.name] + sorted([x.asset_name, x.variant, x.is_point_process] "
         "for x in m.package.mods)))"],
        env=dict(os.environ, PYTHONPATH=str(lib.REPO / "client/python"),
                 GLIA_NO_AUTOSTART="1"),
        capture_output=True, text=True)
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout) == [
        "demo_mods", ["Clamp", "0", True], ["HHna", "0", False], ["IntervalFire", "0", False]]
    full = {"HHna": "glia__demo_mods__HHna__0", "Clamp": "glia__demo_mods__Clamp__0",
            "IntervalFire": "glia__demo_mods__IntervalFire__0"}
    for asset, name in full.items():
        r = d.ctl("resolve", asset, "--pkg", "demo_mods")
        assert (r.rc, r.out.strip()) == (0, name), r
    path = buildlib.library(d)["path"]
    used = buildlib.neuron("""
        load(ARGS["lib"])
        soma = h.Section(name="soma")
        soma.insert(ARGS["hhna"])
        clamp = getattr(h, ARGS["clamp"])(soma(0.5))
        clamp.amp = 0.5
        cell = getattr(h, ARGS["fire"])()
        h.finitialize(-65)
        v0 = soma(0.5).v
        while h.t < 5:
            h.fadvance()
        result({"gnabar": getattr(soma(0.5), "gnabar_" + ARGS["hhna"]), "v0": v0,
                "v": soma(0.5).v})
    """, lib=path, hhna=full["HHna"], clamp=full["Clamp"], fire=full["IntervalFire"])
    assert used["gnabar"] == pytest.approx(0.12)
    assert used["v"] > used["v0"] + 5  # the clamp's current depolarized the soma


# ---- pkg check failures ----------------------------------------------------------

BOOM = """VERBATIM
extern void hoc_execerror(const char*, const char*);
ENDVERBATIM
INITIAL {
VERBATIM
    hoc_execerror("Boom: this mechanism refuses to initialize", 0);
ENDVERBATIM
}
"""


@pytest.mark.shared_build_cache
def test_check_reports_each_failure_at_its_line(tmp_path, gliad):
    d = gliad()
    proj = new_package(tmp_path, "Broken")
    mods = proj / "broken/mods"
    (mods / "Good__0.mod").write_text(glia_mod("glia__broken__Good__0"))
    # nocmodl's syntax error: the unclosed parenthesis of BREAKPOINT, line 9.
    (mods / "Syntax__0.mod").write_text(glia_mod("glia__broken__Syntax__0",
                                                 "BREAKPOINT { i = g*(v - e }\n"))
    (mods / "Boom__0.mod").write_text(glia_mod("glia__broken__Boom__0", extra=BOOM))
    (mods / "Twin__0.mod").write_text(glia_mod("glia__broken__Twin__0"))
    (mods / "sub").mkdir()
    (mods / "sub/Twin__0.mod").write_text(glia_mod("glia__broken__Twin__0"))
    (mods / "Misnamed__0.mod").write_text(glia_mod("glia__broken__Other__0"))
    (mods / "Fast__fast.mod").write_text(glia_mod("glia__broken__Fast__fast"))
    (mods / "Unclosed__0.mod").write_text("NEURON {\n    SUFFIX glia__broken__Unclosed__0\n")
    rc, report = check(proj, d)
    assert rc == 1 and not report["ok"], report
    by_file = {(Path(p["file"]).relative_to(mods).as_posix(), p["stage"]): p
               for p in report["problems"]}
    syntax = by_file[("Syntax__0.mod", "compile")]
    assert syntax["line"] == 9 and "nocmodl" in syntax["message"], syntax
    boom = by_file[("Boom__0.mod", "neuron")]
    assert boom["line"] == 2 and "finitialize" in boom["message"], boom
    assert "Boom: this mechanism refuses to initialize" in boom["message"], boom
    twin = by_file[("sub/Twin__0.mod", "duplicate")]
    assert twin["line"] == 2 and "Twin__0.mod:2" in twin["message"], twin
    misnamed = by_file[("Misnamed__0.mod", "name")]
    assert misnamed["line"] == 2 and "expected Other__0.mod" in misnamed["message"], misnamed
    fast = by_file[("Fast__fast.mod", "variant")]
    assert fast["severity"] == "warning" and "no variant 0" in fast["message"], fast
    unclosed = by_file[("Unclosed__0.mod", "parse")]
    assert unclosed["line"] >= 1 and "NEURON" in unclosed["message"], unclosed
    assert len(errors(report)) == 5, json.dumps(errors(report), indent=1)
    assert ("Good__0.mod", "neuron") not in by_file and report["ran"] >= 1
    # The human form says the same at file:line.
    r = run("pkg", "check", proj, d=d)
    assert r.rc == 1
    assert "error: broken/broken/mods/Syntax__0.mod:9: nocmodl" in r.out, r
    assert "error: broken/broken/mods/Boom__0.mod:2: NEURON at finitialize" in r.out, r


def test_check_of_a_plain_name_and_of_no_mods(tmp_path, gliad):
    d = gliad()
    proj = new_package(tmp_path, "Plain")
    r = run("pkg", "check", cwd=proj, d=d)
    assert r.rc == 1 and "no mods" in r.out, r
    shutil.copy(DEMO / "nachan.mod", proj / "plain/mods/HHna__0.mod")
    r = run("pkg", "check", cwd=proj)  # no gliad: said, and exit 3
    assert r.rc == 3 and "gliad did not answer" in r.out, r
    rc, report = check(proj, d)
    assert rc == 1 and [p["stage"] for p in errors(report)] == ["name"], report
    assert "not a Glia name" in errors(report)[0]["message"]
    toml = proj / "pyproject.toml"
    toml.write_text(toml.read_text().replace('plain = "plain:package"', 'plain = "nope:package"'))
    r = run("pkg", "check", proj, d=d)
    assert r.rc == 1 and "names module 'nope'" in r.err, r


# ---- the personal collection -----------------------------------------------------

def test_collection_in_two_environments_and_across_a_restart(tmp_path, gliad, fresh_venv):
    other = tmp_path / "other-site"
    other.mkdir()
    coll = tmp_path / "collection"
    base = gliad.base()
    state = base / "state"
    envs = {"default": [fresh_venv.site], "other": [other]}
    d = gliad(envs, base=base, daemon_extra={"collection": coll})
    r = run("collection", d=d)
    assert r.rc == 1 and "empty" in r.err, r
    r = run("add", DEMO / "nachan.mod", d=d)
    assert r.rc == 0 and "created your mod collection" in r.out, r
    (tmp_path / "Clamp.mod").write_text(CLAMP)
    r = run("pkg", "add", "--local", tmp_path / "Clamp.mod", "-v", "strong", d=d)
    assert r.rc == 0, r
    assert (coll / "local/mods/HHna__0.mod").is_file()
    for env in ("default", "other"):
        for asset, args, name in (("HHna", (), "glia__local__HHna__0"),
                                  ("Clamp", ("--variant", "strong"), "glia__local__Clamp__strong")):
            r = d.ctl("--env", env, "resolve", asset, "--pkg", "local", *args)
            assert (r.rc, r.out.strip()) == (0, name), r
    lib_path = buildlib.library(d, "other")["path"]
    used = buildlib.use_all(lib_path)["used"]
    assert used == {"glia__local__HHna__0": "ok", "glia__local__Clamp__strong": "ok"}, used
    # The collection checks as any package (gliad serves it once, not twice).
    r = run("pkg", "check", coll, d=d)
    assert r.rc == 0 and "2 mods, 2 compiled, 2 ran in NEURON; 0 errors" in r.out, r
    listing = run("collection", "--json", d=d)
    assert {(m["asset"], m["variant"]) for m in json.loads(listing.out)} == \
        {("HHna", "0"), ("Clamp", "strong")}, listing

    d.stop()
    d = gliad(envs, base=base, state_dir=state, daemon_extra={"collection": coll})
    for env in ("default", "other"):
        r = d.ctl("--env", env, "resolve", "HHna", "--pkg", "local")
        assert (r.rc, r.out.strip()) == (0, "glia__local__HHna__0"), r
    r = run("remove", "HHna", d=d)
    assert r.rc == 0, r
    assert not (coll / "local/mods/HHna__0.mod").exists()
    assert '"mods/HHna__0.mod"' not in (coll / "local/__init__.py").read_text()
    r = d.ctl("--env", "other", "resolve", "HHna", "--pkg", "local")
    assert r.rc == 1, r
    r = run("remove", "HHna", d=d)
    assert r.rc == 1 and "not in your collection" in r.err, r


def test_a_mod_that_names_no_mechanism_is_named_by_its_file(tmp_path, gliad):
    """nocmodl names such a mod after its file: pkg add copies it as it is,
    under ASSET__VARIANT.mod, and gliad and pkg check name it after that."""
    d = gliad()
    proj = new_package(tmp_path, "Unnamed")
    src = tmp_path / "leaky.mod"
    text = glia_mod("x").replace("    SUFFIX x\n", "")
    src.write_text(text)
    r = run("pkg", "add", src, cwd=proj)
    assert r.rc == 0 and "glia__unnamed__leaky__0" in r.out, r
    assert (proj / "unnamed/mods/leaky__0.mod").read_text() == text
    rc, report = check(proj, d)
    assert rc == 0 and (report["compiled"], report["ran"]) == (1, 1), report


def test_an_editable_install_seen_when_pip_writes_its_source_dir_last(tmp_path, gliad):
    """pip writes direct_url.json (the source dir of a `pip install -e`)
    after the rest of the dist-info: gliad, having found no module yet,
    watches the dist-info until it does."""
    site = tmp_path / "site"
    site.mkdir()
    d = gliad({"default": [site]})
    proj = new_package(tmp_path, "Late")
    assert run("pkg", "add", DEMO / "nachan.mod", cwd=proj).rc == 0
    di = site / "late-0.1.0.dist-info"
    di.mkdir()
    (di / "entry_points.txt").write_text("[glia.package]\nlate = late:package\n")
    r = d.ctl("show-package", "late")
    assert r.rc == 0 and "not found" in r.out, r
    (di / "direct_url.json").write_text(json.dumps(
        {"url": proj.as_uri(), "dir_info": {"editable": True}}))
    r = d.ctl("resolve", "HHna")
    assert (r.rc, r.out.strip()) == (0, "glia__late__HHna__0"), r


def test_check_reports_gliads_error_when_no_library_comes(tmp_path, gliad):
    """The check's environment removed while its build is held: gliad's
    answer to `library {wait}` is an error, which the report counts."""
    base = gliad.base()
    cc = buildlib.HeldCc(base / "heldcc", "glia__held__Slow")
    d = gliad(sections={"neuron": {"cc": cc.path}}, base=base)
    proj = new_package(tmp_path, "Held")
    (proj / "held/mods/Slow__0.mod").write_text(glia_mod("glia__held__Slow__0"))
    with ThreadPoolExecutor(1) as pool:
        checking = pool.submit(run, "pkg", "check", "--json", cwd=proj, d=d)
        try:
            cc.wait_held()
            [env] = [e["name"] for e in d.ok("envs") if e["name"].startswith("pkg-check:")]
            d.ok("env.forget", {"name": env})
        finally:
            cc.release()
        r = checking.result()
    report = json.loads(r.out)
    assert r.rc == 1 and not report["ok"], r
    [err] = errors(report)
    assert err["stage"] == "library" and "the environment was removed" in err["message"], err
