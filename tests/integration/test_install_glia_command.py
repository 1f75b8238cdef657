"""`glia`, gliactl installed under the Python Glia's command name, accepts
that CLI's spelling of the common commands: `glia select Kv1 --pkg=x
--variant=y`, `glia list`, `glia show Kv1`, `glia compile`.

argv[0] decides, so the build's gliactl is run through a symlink named glia.
"""

import os
import subprocess

import pytest

import glia_testlib as lib

NA_T = "glia__glia_test_mods__Na__t"


@pytest.fixture(scope="module")
def glia_exe(tmp_path_factory):
    link = tmp_path_factory.mktemp("bin") / "glia"
    link.symlink_to(lib.gliactl_binary().resolve())
    return link


def run(exe, d, *args, timeout=lib.TIMEOUT, env=None, socket=None):
    env = {**{k: v for k, v in os.environ.items()
              if not k.startswith(("GLIA_", "XDG_RUNTIME"))}, **(env or {})}
    env["GLIA_SOCKET"] = str(socket or d.socket)
    r = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True,
                       timeout=timeout)
    lib.assert_no_sanitizer_reports(r.stderr, exe.name)
    return lib.CtlResult(r.returncode, r.stdout, r.stderr)


@pytest.fixture(scope="module")
def d(module_gliad, main_site):
    return module_gliad({"default": [main_site.site]})


@pytest.fixture
def no_prefs(d):
    yield
    for asset in d.ok("prefs")["assets"]:
        d.ok("unselect", {"asset": asset})


@pytest.mark.parametrize("spelling", [
    ["--pkg=glia_test_mods", "--variant=t"],
    ["--pkg", "glia_test_mods", "--variant", "t"],
    ["--variant=t", "--pkg=glia_test_mods"],
])
def test_glia_select(glia_exe, d, no_prefs, spelling):
    r = run(glia_exe, d, "select", "Na", *spelling)
    assert r.rc == 0 and r.err == "", r
    assert r.out == "Na: package glia_test_mods, variant t (global preference)\n", r
    assert d.ok("prefs") == {"assets": {"Na": {"pkg": "glia_test_mods", "variant": "t"}}}
    assert d.ok("resolve", {"asset": "Na"})["full"] == NA_T


def test_glia_select_variant_only(glia_exe, d, no_prefs):
    r = run(glia_exe, d, "select", "Na", "--variant=t")
    assert r.rc == 0, r
    assert d.ok("prefs") == {"assets": {"Na": {"pkg": None, "variant": "t"}}}


def test_glia_list(glia_exe, d, main_site):
    r = run(glia_exe, d, "list")
    assert r.rc == 0 and r.err == "", r
    rows = [l.split() for l in r.out.splitlines()]
    assert rows[0] == ["ASSET", "KIND", "PACKAGE", "VARIANTS"]
    assert ["Na", "density", "glia_test_mods"] == rows[[x[0] for x in rows].index("Na")][:3]
    listed = {x[0] for x in rows[1:]}
    assert set(main_site.demo) <= listed, set(main_site.demo) - listed
    assert r.out == lib.gliactl("list", socket=d.socket).out  # the same command


def test_glia_show(glia_exe, d, no_prefs):
    run(glia_exe, d, "select", "Na", "--pkg=glia_test_mods", "--variant=t")
    r = run(glia_exe, d, "show", "Na")
    assert r.rc == 0 and r.err == "", r
    first = r.out.splitlines()[:2]
    assert first[0].startswith("Na: ") and first[0].endswith(" candidates"), r.out
    assert first[1].startswith(f"resolves to {NA_T}: "), r.out
    assert f"\n{NA_T}  [density]  package glia_test_mods, variant t\n" in r.out


def test_glia_show_unknown_asset_fails(glia_exe, d):
    r = run(glia_exe, d, "show", "NoSuchAsset")
    assert r.rc == 1 and r.out == "" and "NoSuchAsset" in r.err, r


def test_glia_compile_builds_and_waits(glia_exe, gliad, rival_site):
    """The Python Glia's `glia compile`: gliactl build --wait."""
    d = gliad({"default": [rival_site]})
    settled = d.call("library", {"env": "default", "wait": True}, timeout=120)[1]
    r = run(glia_exe, d, "compile", timeout=max(120, lib.TIMEOUT))
    assert r.rc == 0, r
    assert r.out.startswith("2 mechanisms: "), r
    lib_ = d.ok("library", {"env": "default"})
    assert lib_["generation"] >= settled["generation"] >= 1
    assert lib_["mechanisms"] == 2 and lib_["failed"] == 0


def test_glia_compile_while_the_automatic_build_runs(glia_exe, gliad, rival_site):
    """What a user does right after a pip install: `glia compile` while
    gliad already builds. The build may restart; no mod may fail for it
    (a new build once joined the old one's compile as it was being killed,
    and took its 'cc: killed by signal 9' for the mod's own failure)."""
    d = gliad({"default": [rival_site]})

    def compiling():
        st = d.ok("status")
        return st["compiler_processes"] > 0 or st["envs"][0]["generation"] > 0 or None
    lib.wait_for(compiling, what="the automatic build to run cc")
    if d.ok("status")["compiler_processes"] == 0:
        pytest.skip("the automatic build was over before glia compile could overlap it")
    r = run(glia_exe, d, "compile", timeout=max(120, lib.TIMEOUT))
    failures = d.ok("log", {"env": "default"})["failures"]
    assert failures == [], failures
    assert r.rc == 0, r


def test_glia_compile_leaks_nothing(glia_exe, tmp_path):
    r = run(glia_exe, None, "compile", socket=tmp_path / "nobody-listens.sock")
    assert r.rc == 3 and "gliad is not running" in r.err, r


def test_python_spelling_is_glias_only(d):
    """Under its own name gliactl keeps one spelling: compile is glia's."""
    r = lib.gliactl("compile", socket=d.socket)
    assert r.rc == 2 and "unknown command 'compile'" in r.err, r
