"""Bad input on disk: site-packages dirs, packages and mod files gliad cannot
use. Each is reported as a problem (file, line, reason) where `packages`,
`package` and `gliactl show-package` show it, the rest of the package and of
the environment still resolves, and gliad keeps serving (see Survivor in
conftest.py).
"""

import os
import shutil

import pytest

import glia_testlib as lib
import pylib
import watchlib as w
from conftest import Survivor

pytestmark = pytest.mark.shared_build_cache

NA_T = "glia__glia_test_mods__Na__t"

# Mod texts, and where the parser must say they break.
UNCLOSED_NEURON = "TITLE unclosed\nNEURON {\n    SUFFIX unclosed\n    RANGE g\n"
UNCLOSED_PARAMETER = "NEURON {\n    SUFFIX unclosed2\n}\n\nPARAMETER {\n    g = 1 (S/cm2)\n"
STRAY_BRACE = "NEURON {\n  SUFFIX stray\n}\n}\n"
NO_NAME = "NEURON {\n    SUFFIX\n}\n"
# (A file with no NEURON block is a mechanism named after it, as nocmodl
# makes it; this one is refused for its unclosed braces.)
GARBAGE = b"\xff\xfe garbage {{{ \x01\x02 \xe9\n"
BROKEN = {  # file: (text, line, words in the reason)
    "unclosed.mod": (UNCLOSED_NEURON, 4, "NEURON block never closed"),
    "unclosed2.mod": (UNCLOSED_PARAMETER, 6, "PARAMETER block never closed"),
    "stray.mod": (STRAY_BRACE, 4, "'}'"),
    "noname.mod": (NO_NAME, 2, "SUFFIX"),
    "garbage.mod": (GARBAGE, 1, "never closed"),
}


def namespaced(pkg, asset, source="HHk"):
    return lib.rename_mechanism(lib.demo_mods()[source][0], f"glia__{pkg}__{asset}__0")


def line_of(text, needle):
    return next(i for i, l in enumerate(text.splitlines(), 1) if needle in l)


BAD_NAMES = {  # file: (NEURON name, words in the reason)
    "empty_part.mod": ("glia__a____b", "glia__a____b"),
    "three_parts.mod": ("glia__glia_badname__Kx", "glia__glia_badname__Kx"),
    "five_parts.mod": ("glia__glia_badname__K__x__y", "glia__glia_badname__K__x__y"),
    "underscore.mod": ("glia__glia_badname__K___x", "'_"),
}


@pytest.fixture(scope="module")
def problem_site(tmp_path_factory, main_site):
    """A site dir (pip --target) of three packages, each with one good mod
    (U1, B1, N1) and bad ones: unreadable, unparsable, badly named."""
    root = tmp_path_factory.mktemp("problems")
    src, site = root / "src", root / "site"
    projects = [
        lib.write_package(src, "glia_unreadable",
                          {"mods/U1__0.mod": namespaced("glia_unreadable", "U1")}),
        lib.write_package(src, "glia_broken", {
            "mods/B1__0.mod": namespaced("glia_broken", "B1"),
            **{f"mods/{f}": text for f, (text, _l, _w) in BROKEN.items()}}),
        lib.write_package(src, "glia_badname", {
            "mods/N1__0.mod": namespaced("glia_badname", "N1"),
            **{f"mods/{f}": lib.rename_mechanism(lib.demo_mods()["HHna"][0], name)
               for f, (name, _w) in BAD_NAMES.items()},
            "mods/bad__file__stem.mod": lib.demo_mods()["HHna"][0],  # plain: named by stem
        }),
    ]
    main_site.venv.install_target(site, *projects)
    mods = site / "glia_unreadable/mods"
    os.symlink(mods / "nowhere.mod", mods / "dangling.mod")
    (mods / "directory.mod").mkdir()
    os.mkfifo(mods / "fifo.mod")
    with open(mods / "huge.mod", "wb") as f:
        f.truncate(5 << 20)
    if os.geteuid() != 0:  # root reads anything: chmod 000 proves nothing there
        (mods / "noperm.mod").write_text(namespaced("glia_unreadable", "P1"))
        (mods / "noperm.mod").chmod(0)
    return site


@pytest.fixture
def sd(gliad, main_site, problem_site):
    """A Survivor daemon on the session venv plus the problem site."""
    return Survivor(gliad({"default": [main_site.site, problem_site]}))


def problems_of(d, pkg):
    p = d.ok("package", {"name": pkg})
    return {os.path.basename(pr["file"]): pr for pr in p["problem_list"]}, p


def rescan(d):
    res = d.ok("rescan")
    assert res["env"] == "default"
    return res


def test_unreadable_mods_are_reported_and_skipped(sd, problem_site):
    d = sd.d
    rescan(d)
    probs, p = problems_of(d, "glia_unreadable")
    expected = {"dangling.mod": "cannot read: No such file or directory",
                "directory.mod": "cannot read: Is a directory",
                "fifo.mod": "cannot read",
                "huge.mod": "cannot read: larger than 4 MiB"}
    if os.geteuid() != 0:
        expected["noperm.mod"] = "cannot read: Permission denied"
    assert set(probs) == set(expected)
    mods = problem_site / "glia_unreadable/mods"
    for name, reason in expected.items():
        assert probs[name]["file"] == str(mods / name)
        assert probs[name]["line"] == 0
        assert probs[name]["reason"].startswith(reason), probs[name]
    assert (p["mods"], p["problems"]) == (1, len(expected))
    assert [m["full"] for m in p["mechanisms"]] == ["glia__glia_unreadable__U1__0"]
    assert d.ok("resolve", {"asset": "U1"})["full"] == "glia__glia_unreadable__U1__0"
    r = d.ctl("show-package", "glia_unreadable")
    assert r.rc == 0, r
    assert f"problem: {mods / 'dangling.mod'}: cannot read: No such file or directory" in \
        r.out.splitlines()
    sd.check()


def test_broken_mods_are_reported_with_file_and_line(sd, problem_site):
    d = sd.d
    rescan(d)
    probs, p = problems_of(d, "glia_broken")
    assert set(probs) == set(BROKEN)
    mods = problem_site / "glia_broken/mods"
    for name, (_text, line, words) in BROKEN.items():
        assert probs[name]["file"] == str(mods / name)
        assert probs[name]["line"] == line, probs[name]
        assert words in probs[name]["reason"], probs[name]
    assert (p["mods"], p["problems"]) == (1, len(BROKEN))
    assert d.ok("resolve", {"asset": "B1"})["full"] == "glia__glia_broken__B1__0"
    r = d.ctl("show-package", "glia_broken")
    assert f"problem: {mods / 'unclosed.mod'}:4: {probs['unclosed.mod']['reason']}" in \
        r.out.splitlines(), r
    sd.check()


def test_invalid_names_are_reported(sd, problem_site):
    d = sd.d
    rescan(d)
    probs, p = problems_of(d, "glia_badname")
    assert set(probs) == set(BAD_NAMES) | {"bad__file__stem.mod"}
    mods = problem_site / "glia_badname/mods"
    line = line_of(lib.demo_mods()["HHna"][0], "SUFFIX")
    for name, (_full, words) in BAD_NAMES.items():
        assert probs[name]["file"] == str(mods / name)
        assert probs[name]["line"] == line, probs[name]
        assert words in probs[name]["reason"], probs[name]
    assert "empty" in probs["empty_part.mod"]["reason"]
    stem = probs["bad__file__stem.mod"]
    assert stem["line"] == 0 and "bad__file__stem" in stem["reason"]
    assert (p["mods"], p["problems"]) == (1, len(BAD_NAMES) + 1)
    assert d.ok("resolve", {"asset": "N1"})["full"] == "glia__glia_badname__N1__0"
    # None of the bad names made it into the index under any part of them.
    assets = {a["asset"] for a in d.ok("assets")}
    assert not {"a", "b", "Kx", "K", "bad", "file"} & assets
    sd.check()


def test_problems_are_counted_everywhere(sd):
    d = sd.d
    pkgs = {p["name"]: p for p in d.ok("packages")["packages"]}
    n_unreadable = 4 + (os.geteuid() != 0)
    assert {n: (pkgs[n]["mods"], pkgs[n]["problems"]) for n in
            ("glia_unreadable", "glia_broken", "glia_badname")} == {
        "glia_unreadable": (1, n_unreadable), "glia_broken": (1, len(BROKEN)),
        "glia_badname": (1, len(BAD_NAMES) + 1)}
    total = n_unreadable + len(BROKEN) + len(BAD_NAMES) + 1
    assert d.ok("status")["envs"][0]["problems"] == total
    r = d.ctl("packages")
    rows = {row.split()[0]: row.split() for row in r.out.splitlines()[1:]}
    assert rows["glia_broken"][4] == str(len(BROKEN))
    # every problem was logged once, as a warning naming the file
    log = d.stderr()
    assert log.count("unclosed.mod:4: NEURON block never closed") == 1, log
    sd.check()


def test_missing_site_packages_dir(gliad, main_site, tmp_path):
    missing = tmp_path / "not-yet"
    d = gliad({"default": [main_site.site, missing], "only": [missing]})
    sd = Survivor(d)
    why = f"site-packages dir {missing} does not exist (yet)"
    res = d.ok("packages")
    assert res["problems"] == [{"file": str(missing), "line": 0, "reason": why}]
    assert sorted(p["name"] for p in res["packages"]) == ["glia_demo", "glia_plain",
                                                          "glia_test_mods"]
    assert f"warning: {why}" in d.ctl("packages").out.splitlines()
    only = d.ok("packages", {"env": "only"})
    assert (only["packages"], only["problems"]) == (
        [], [{"file": str(missing), "line": 0, "reason": why}])
    for name in ("pas", "hh", "NetStim"):
        res = d.ok("resolve", {"asset": name, "env": "only"})
        assert (res["full"], res["pkg"]) == (name, "NEURON")
    envs = {e["name"]: e for e in d.ok("status")["envs"]}
    assert (envs["only"]["packages"], envs["only"]["problems"]) == (0, 1)
    # Once it appears, a rescan finds what was installed there.
    main_site.venv.install_target(missing, lib.write_package(
        tmp_path / "src", "glia_late", {"mods/Late__0.mod": namespaced("glia_late", "Late")}))
    assert d.ok("rescan", {"env": "only"})["packages"] == 1
    assert d.ok("resolve", {"asset": "Late", "env": "only"})["full"] == "glia__glia_late__Late__0"
    assert d.ok("packages", {"env": "only"})["problems"] == []
    sd.check()


def test_package_whose_module_dir_is_missing(gliad, main_site, tmp_path):
    site = tmp_path / "site"
    main_site.venv.install_target(site, *(
        lib.write_package(tmp_path / "src", name, {f"mods/{a}__0.mod": namespaced(name, a)})
        for name, a in (("glia_gone", "G1"), ("glia_stays", "S1"))))
    d = gliad({"default": [main_site.site, site]})
    sd = Survivor(d)
    assert d.ok("resolve", {"asset": "G1"})["full"] == "glia__glia_gone__G1__0"
    shutil.rmtree(site / "glia_gone")  # the dist-info still says it is installed
    rescan(d)
    probs, p = problems_of(d, "glia_gone")
    dist_info = site / "glia_gone-1.0.dist-info"
    assert list(probs.values()) == [{
        "file": str(dist_info), "line": 0,
        "reason": f"module 'glia_gone' of entry point 'glia_gone' not found in {site}"}]
    assert (p["mods"], p["problems"], p["mechanisms"]) == (0, 1, [])
    summary = {q["name"]: q for q in d.ok("packages")["packages"]}["glia_gone"]
    assert (summary["mods"], summary["problems"]) == (0, 1)
    err, _ = d.call("resolve", {"asset": "G1"})
    assert err["code"] == "unknown_asset"
    assert d.ok("resolve", {"asset": "S1"})["full"] == "glia__glia_stays__S1__0"
    r = d.ctl("show-package", "glia_gone")
    assert r.rc == 0 and "module 'glia_gone' of entry point 'glia_gone' not found" in r.out, r
    sd.check()


def test_unreadable_entry_points(gliad, main_site, tmp_path):
    """A dist-info whose entry_points.txt cannot be read, or holds a bad
    [glia.package] entry, is a problem of the site dir; the others still count."""
    site = tmp_path / "site"
    (site / "dirlike-1.0.dist-info/entry_points.txt").mkdir(parents=True)
    (site / "badentry-1.0.dist-info").mkdir()
    (site / "badentry-1.0.dist-info/entry_points.txt").write_text(
        "[console_scripts]\nx = y:z\n\n[glia.package]\nbadentry = not a module!\n")
    (site / "other-1.0.dist-info").mkdir()  # no entry_points.txt at all: not Glia's
    d = gliad({"default": [main_site.site, site]})
    sd = Survivor(d)
    res = d.ok("packages")
    probs = {os.path.basename(os.path.dirname(p["file"])): p for p in res["problems"]}
    assert set(probs) == {"dirlike-1.0.dist-info", "badentry-1.0.dist-info"}
    assert probs["dirlike-1.0.dist-info"]["reason"] == "cannot read: Is a directory"
    assert "badentry" in probs["badentry-1.0.dist-info"]["reason"]
    assert len(res["packages"]) == 3
    sd.check()


def test_entry_point_warnings_name_the_file_and_long_lines_are_errors(gliad, tmp_path):
    """gliad's log said what was wrong with an entry_points.txt but not which
    one; a [glia.package] line past inih's 199 bytes was cut into a module
    path and a phantom package made of its rest."""
    site = tmp_path / "site"
    bad = site / "badentry-1.0.dist-info/entry_points.txt"
    bad.parent.mkdir(parents=True)
    bad.write_text("[glia.package]\nbadentry = not a module!\n")
    long = site / "longline-1.0.dist-info/entry_points.txt"
    long.parent.mkdir()
    long.write_text("[glia.package]\nlongline = " + "a" * 240 + ".x = phantom\n")
    d = gliad({"default": [site]})
    log = d.stderr()
    assert f"[default] {bad}: entry 'badentry': 'not a module!' is not a module path" in log, log
    why = ("line 2 is 263 bytes long; entry_points.txt lines in [glia.package] may be at "
           "most 199")
    assert f"[default] {long}: {why}" in log, log
    res = d.ok("packages")
    assert res["packages"] == [], res["packages"]
    assert {p["file"]: p["reason"] for p in res["problems"]}[str(long)] == why


def test_dist_info_names_pip_would_not_make(gliad, main_site, tmp_path):
    """A dist-info named without a version ("x.dist-info", "y-.dist-info")
    is a package like any other, with no version. (Once "x.dist-info" made
    gliad read before the name and abort.)"""
    site = tmp_path / "site"
    for dist_info, module in (("odd_x.dist-info", "odd_x"), ("odd_y-.dist-info", "odd_y")):
        (site / dist_info).mkdir(parents=True)
        (site / dist_info / "entry_points.txt").write_text(
            f"[glia.package]\n{module} = {module}\n")
        (site / module / "mods").mkdir(parents=True)
        (site / module / "mods/K__0.mod").write_text(namespaced(module, "K"))
    d = gliad({"default": [main_site.site, site]})
    sd = Survivor(d)
    found = {p["name"]: p for p in d.ok("packages")["packages"]}
    for module in ("odd_x", "odd_y"):
        assert found[module]["version"] is None, found[module]
        err, res = d.call("resolve", {"asset": "K", "pkg": module})
        assert err is None and res["full"] == f"glia__{module}__K__0", err
    sd.check()


def test_status_says_which_command_shows_the_problems(gliad, main_site, tmp_path):
    """`N problems` is only useful with where to read them: status names the
    command, and that command does show them."""
    missing = tmp_path / "not-yet"
    d = gliad({"default": [main_site.site], "only": [missing]})
    out = d.ctl("status").out
    envs = {b.split(":")[0]: b for b in out.split("\n\n")[1:]}
    assert ", 1 problems\n  problems: see gliactl --env only packages, and " \
        "gliactl --env only show-package NAME for a package's own\n" in envs["env only"], out
    assert "problems:" not in envs["env default"], out
    shown = d.ctl("--env", "only", "packages").out
    assert f"warning: site-packages dir {missing} does not exist (yet)" in shown, shown


def test_a_mod_the_parser_rejects_is_known_by_its_file_name(gliad, main_site, tmp_path):
    """A mod gliad's own parser rejects was simply gone: resolve said "no
    asset named", log "no build problems", the module UnknownAssetError.
    Now it is a candidate that fails like a mod that does not compile."""
    site = tmp_path / "site"
    good = namespaced("glia_rejects", "Leak")
    w.fake_install(site, "glia_rejects", {"mods/Leak__0.mod": good,
                                          "mods/Leak__fast.mod": UNCLOSED_NEURON,
                                          "mods/Broken.mod": STRAY_BRACE})
    mods = site / "glia_rejects/mods"
    d = gliad({"default": [site]})
    err, _ = d.call("resolve", {"asset": "Broken"})
    assert err["code"] == "build_failed", err
    assert err["full"] == "glia__glia_rejects__Broken__0"
    assert f"{mods / 'Broken.mod'}:4: " in err["message"], err
    err, _ = d.call("resolve", {"asset": "Leak", "variant": "fast"})
    assert err["code"] == "build_failed", err
    assert f"{mods / 'Leak__fast.mod'}:4: NEURON block never closed" in err["message"], err
    assert d.ok("resolve", {"asset": "Leak"})["full"] == "glia__glia_rejects__Leak__0"
    r = d.ctl("resolve", "Broken")
    assert r.rc == 1 and f"{mods / 'Broken.mod'}:4:" in r.err, r
    r = d.ctl("log")
    assert r.rc == 0 and f"{mods / 'Leak__fast.mod'}:4: NEURON block never closed" in r.out, r
    assert f"{mods / 'Broken.mod'}:4:" in r.out, r
    assert [f["full"] for f in d.ok("log", {"name": "Broken"})["failures"]] == [
        "glia__glia_rejects__Broken__0"]
    py = pylib.Py(main_site.venv.python, d.socket, tmp_path)
    try:
        out = py.run("""
            import glia as g
            from neuron import h
            s = h.Section(name="s")
            try:
                g.insert(s, "Broken")
                out(got="inserted")
            except g.CompileError as e:
                out(got="CompileError: " + str(e))
        """).ok()
    finally:
        py.close()
    assert out["got"].startswith("CompileError: ") and "Broken.mod:4:" in out["got"], out
