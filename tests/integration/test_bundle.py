"""gliactl bundle: a model's mechanisms frozen into a directory that runs
with no gliad anywhere, compared with the environment of now, and rebuilt
from its own sources."""

import hashlib
import shutil
import subprocess

import pytest

import buildlib
import bundlelib as bl
import glia_testlib as lib
import pylib


@pytest.fixture
def bundled(gliad, tmp_path):
    """(gliad, site, bundle dir): a bundle made with the global preference
    K -> glia_bund, which the bundle keeps."""
    site = bl.make_site(tmp_path / "site")
    d = gliad({"default": [site]})
    assert d.ok("select", {"asset": "K", "pkg": bl.BUND})["matches"] == 2
    out = tmp_path / "bundle"
    r = lib.gliactl("bundle", out, socket=d.socket)
    assert r.rc == 0, r
    return d, site, out


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_records_library_mods_sources_and_prefs(bundled):
    d, site, out = bundled
    m = bl.manifest(out)
    assert m["format"] == 1 and m["env"] == "default" and m["gliad"]
    assert m["toolchain"]["id"] and "nocmodl" in m["toolchain"]["describe"]
    nrniv = subprocess.run(["nrniv", "--version"], capture_output=True, text=True,
                           env=lib.daemon_env(d.base / "home")).stdout
    assert m["toolchain"]["neuron"] and f"VERSION {m['toolchain']['neuron']} " in nrniv
    assert m["library"]["file"] == "libglia.so"
    assert m["library"]["sha256"] == sha(out / "libglia.so")
    assert {(p["name"], p["version"], p["layout"]) for p in m["packages"]} == {
        (bl.BUND, "1.0", "glia4"), (bl.OTHER, "2.0", "glia4"), ("NEURON", None, "builtin")}
    mods = {x["full"]: x for x in m["mods"]}
    k0 = mods[bl.K0]
    assert (k0["asset"], k0["variant"], k0["package"], k0["kind"]) == ("K", "0", bl.BUND, "density")
    assert k0["built"] and {p["name"] for p in k0["parameters"]} == {"ek", "gkbar"}
    assert k0["sha256"] == sha(out / k0["source"]) == sha(site / bl.BUND / "mods/K__0.mod")
    [inc] = k0["includes"]
    assert inc["name"] == "k.inc" and inc["sha256"] == sha(site / bl.BUND / "mods/k.inc")
    assert (out / inc["source"]).read_text() == (site / bl.BUND / "mods/k.inc").read_text()
    assert mods["hh"]["package"] == "NEURON" and "source" not in mods["hh"]
    bad = mods[bl.BAD]
    assert not bad["built"] and "Bad__0.mod" in bad["failure"] and bad["sha256"]
    assert m["prefs"] == {"K": {"pkg": bl.BUND, "variant": None}}
    # The library names nothing in the cache: it loads from wherever the bundle goes.
    dyn = subprocess.run(["readelf", "-d", out / "libglia.so"], capture_output=True,
                         text=True).stdout
    assert str(d.base) not in dyn


def test_moved_bundle_runs_with_no_gliad(bundled, tmp_path):
    d, site, out = bundled
    d.stop()
    moved = tmp_path / "elsewhere/moved"
    shutil.move(out, moved)
    nowhere = tmp_path / "no-gliad/gliad.sock"
    py = pylib.Py("/usr/bin/python3", nowhere, tmp_path / "py",
                  extra={"GLIA_BUNDLE": moved, "GLIA_ENV": None})
    r = py.ok(bl.SCRIPT)
    assert r["k"] == bl.K0  # the frozen global preference
    assert r["fast"] == bl.KFAST and r["other"] == bl.OTHER_K0
    assert r["errors"] == ["UnknownAssetError", "NoMatchesError", "CompileError"]
    assert bl.K0 in r["density"] and r["spikes"] > 0
    assert r["env"] == "default" and r["library"] == "libglia.so"
    assert not nowhere.parent.exists(), "the module went looking for gliad"


def test_use_bundle_in_the_script(bundled, tmp_path):
    """From gliad, library_manifest() is gliad's answer for the script's
    environment; glia.use_bundle() switches a script that has loaded
    nothing yet to the bundle, whose manifest it then reports."""
    d, site, out = bundled
    py = pylib.Py("/usr/bin/python3", d.socket, tmp_path / "py", extra={"GLIA_ENV": None})
    r = py.ok(f'''
import glia
from_gliad, env = glia.library_manifest(), glia.env
m = glia.use_bundle({str(out)!r})
with glia.context(pkg="glia_other"):
    other = glia.resolve("K")
out(gliad_lib=from_gliad["library"]["path"], gliad_env=from_gliad["env"], env=env, bundle_env=glia.env, k=glia.resolve("K"), other=other,
    lib=glia.library_manifest()["library"]["file"], n=len(m["mods"]))
''')
    assert r["gliad_env"] == r["env"] and r["bundle_env"] == "default"
    assert r["gliad_lib"] == d.ok("library", {"env": r["env"], "wait": True})["path"]
    assert r["k"] == bl.K0 and r["other"] == bl.OTHER_K0 and r["lib"] == "libglia.so"
    assert r["n"] == len(bl.manifest(out)["mods"])


def test_check_unchanged_then_every_difference(bundled):
    d, site, out = bundled
    r = lib.gliactl("bundle", "--check", out, socket=d.socket)
    assert (r.rc, r.out) == (0, ""), r
    with open(site / bl.BUND / "mods/K__fast.mod", "a") as f:
        f.write(": edited\n")
    (site / bl.BUND / "mods/k.inc").write_text(": edited include\n")
    shutil.rmtree(site / bl.OTHER)
    shutil.rmtree(site / f"{bl.OTHER}-2.0.dist-info")
    assert d.ok("unselect", {"asset": "K"})["removed"]
    r = lib.gliactl("bundle", "--check", out, socket=d.socket)
    assert r.rc == 1, r
    lines = set(r.out.splitlines())
    assert f"mod {bl.KFAST}: changed (site/{bl.BUND}/mods/K__fast.mod)" in lines
    assert f"mod {bl.K0}: changed (site/{bl.BUND}/mods/K__0.mod)" in lines
    assert f"mod {bl.OTHER_K0}: removed" in lines
    assert f"package {bl.OTHER}: removed" in lines
    assert "preference K: pkg glia_bund variant (none), now removed" in lines
    assert len(lines) == 5, r.out


def test_rebuild_from_the_bundles_own_sources(bundled, tmp_path):
    d, site, out = bundled
    shutil.rmtree(site)  # nothing left but the bundle's copies
    before = bl.manifest(out)
    (out / "libglia.so").unlink()
    r = lib.gliactl("bundle", "--rebuild", out, socket=d.socket)
    assert r.rc == 0, r
    after = bl.manifest(out)
    assert after["library"]["sha256"] == sha(out / "libglia.so")
    assert after["prefs"] == before["prefs"] and after["env"] == "default"
    assert {m["full"]: m["sha256"] for m in after["mods"] if "sha256" in m} == \
        {m["full"]: m["sha256"] for m in before["mods"] if "sha256" in m}
    assert [m["full"] for m in after["mods"] if not m["built"]] == [bl.BAD]
    d.stop()
    py = pylib.Py("/usr/bin/python3", tmp_path / "none/gliad.sock", tmp_path / "py",
                  extra={"GLIA_BUNDLE": out, "GLIA_ENV": None})
    r = py.ok(bl.SCRIPT)
    assert r["k"] == bl.K0 and r["spikes"] > 0


def test_bundling_again_replaces_the_sources(bundled, tmp_path):
    """A bundle made again in its own dir holds what is installed now, not
    also what was: --rebuild would build every package left under site/.
    A dir holding anything but a bundle is not written into."""
    d, site, out = bundled
    shutil.rmtree(site / bl.OTHER)
    shutil.rmtree(site / f"{bl.OTHER}-2.0.dist-info")
    r = lib.gliactl("bundle", out, socket=d.socket)
    assert r.rc == 0, r
    assert not (out / "site" / bl.OTHER).exists()
    assert not (out / "site" / f"{bl.OTHER}-2.0.dist-info").exists()
    assert (out / "site" / bl.BUND / "mods/K__0.mod").is_file()
    assert bl.OTHER_K0 not in {m["full"] for m in bl.manifest(out)["mods"]}

    other = tmp_path / "not-a-bundle"
    other.mkdir()
    (other / "results.dat").write_text("1 2 3\n")
    r = lib.gliactl("bundle", other, socket=d.socket)
    assert r.rc == 1 and "holds files but no bundle" in r.err, r
    assert sorted(p.name for p in other.iterdir()) == ["results.dat"]


def test_check_names_another_toolchain(bundled, gliad):
    """The same mods built with other compiler flags: --check says the
    toolchain differs (and nothing else does)."""
    d, site, out = bundled
    d.stop()
    base = gliad.base()
    text = buildlib.config_text(base, {"default": [site]},
                                sections={"neuron": {"cflags": "-O1 -fPIC -DHAVE_CONFIG_H"}})
    other = gliad(config_text=text, base=base)
    assert other.ok("select", {"asset": "K", "pkg": bl.BUND})["matches"] == 2
    r = lib.gliactl("bundle", "--check", out, socket=other.socket)
    assert r.rc == 1, r
    assert [l.split(":")[0] for l in r.out.splitlines()] == ["toolchain"], r.out


def test_mods_named_for_another_package(gliad, tmp_path):
    """A package is named after its first namespaced mod; a mod named for
    another package is still copied under the package that holds it (it
    used to crash gliactl), and the bundle checks identical."""
    hhk = lib.demo_mods()["HHk"][0]
    foo, bar = "glia__foo__A__0", "glia__bar__B__0"
    site = tmp_path / "site"
    bl.write_site_package(site, "glia_mixed", {f"mods/{foo}.mod": lib.rename_mechanism(hhk, foo),
                                               f"mods/{bar}.mod": lib.rename_mechanism(hhk, bar)})
    d = gliad({"default": [site]})
    out = tmp_path / "bundle"
    r = lib.gliactl("bundle", out, socket=d.socket)
    assert r.rc == 0, r
    mods = {m["full"]: m for m in bl.manifest(out)["mods"]}
    for full in (foo, bar):
        assert mods[full]["source"] == f"site/glia_mixed/mods/{full}.mod", mods[full]
        assert mods[full]["sha256"] == sha(out / mods[full]["source"])
        assert "package_index" not in mods[full]
    r = lib.gliactl("bundle", "--check", out, socket=d.socket)
    assert (r.rc, r.out) == (0, ""), r


def test_a_failed_bundle_leaves_the_old_one_whole(bundled, tmp_path):
    """gliad is asked before anything is touched, and the new bundle is
    swapped in only once whole: an unreachable gliad or an unreadable
    INCLUDE leaves the earlier bundle as it was."""
    d, site, out = bundled
    files = {p.relative_to(out): sha(p) for p in out.rglob("*") if p.is_file()}
    r = lib.gliactl("bundle", out, socket=tmp_path / "nowhere.sock")
    assert r.rc == 3, r
    (site / bl.BUND / "mods/k.inc").unlink()
    (site / bl.BUND / "mods/k.inc").mkdir()  # unreadable as a file, even by root
    r = lib.gliactl("bundle", out, socket=d.socket)
    assert r.rc == 1 and "k.inc" in r.err, r
    assert {p.relative_to(out): sha(p) for p in out.rglob("*") if p.is_file()} == files
    assert sorted(p.name for p in out.iterdir()) == ["libglia.so", "manifest.json", "site"]
    (site / bl.BUND / "mods/k.inc").rmdir()
    (site / bl.BUND / "mods/k.inc").write_text(": included by K__0.mod\n")
    r = lib.gliactl("bundle", "--check", out, socket=d.socket)
    assert (r.rc, r.out) == (0, ""), r


def test_packages_of_one_name_in_two_sites(gliad, tmp_path):
    """One project in two site dirs (the user site and the venv), each
    with its own module: each mod is copied under the module holding it."""
    hhk = lib.demo_mods()["HHk"][0]
    sites = []
    for module, asset in (("dup_user", "A"), ("dup_venv", "B")):
        site = tmp_path / module
        full = f"glia__glia_dup__{asset}__0"
        bl.write_site_package(site, module, {f"mods/{asset}__0.mod":
                                             lib.rename_mechanism(hhk, full)})
        (site / f"{module}-1.0.dist-info/entry_points.txt").write_text(
            f"[glia.package]\nglia_dup = {module}:package\n")
        sites.append(site)
    d = gliad({"default": sites})
    out = tmp_path / "bundle"
    r = lib.gliactl("bundle", out, socket=d.socket)
    assert r.rc == 0, r
    m = bl.manifest(out)
    assert [p["name"] for p in m["packages"] if p["name"] == "glia_dup"] == ["glia_dup"] * 2, m
    mods = {x["full"]: x["source"] for x in m["mods"] if "source" in x}
    assert mods == {"glia__glia_dup__A__0": "site/dup_user/mods/A__0.mod",
                    "glia__glia_dup__B__0": "site/dup_venv/mods/B__0.mod"}, mods

MOD_PATHS = '''
import glia
out(paths={m.mod_name: str(m.path) for m in glia.package("glia_bund").mods})
'''


def test_mod_paths_served_from_a_manifest(bundled, tmp_path):
    """Mod.path from a bundle is its copy of the source, wherever the bundle
    went; from the node's shared answer under MPI, the source gliad scanned."""
    d, site, out = bundled
    moved = tmp_path / "elsewhere/moved"
    shutil.move(out, moved)
    py = pylib.Py("/usr/bin/python3", tmp_path / "none/gliad.sock", tmp_path / "py",
                  extra={"GLIA_BUNDLE": moved, "GLIA_ENV": None})
    paths = py.ok(MOD_PATHS)["paths"]
    assert paths[bl.K0] == str(moved / f"site/{bl.BUND}/mods/K__0.mod"), paths
    rank = pylib.Py("/usr/bin/python3", d.socket, tmp_path / "rank",
                    extra={"OMPI_COMM_WORLD_RANK": 0, "OMPI_COMM_WORLD_SIZE": 2})
    paths = rank.ok(MOD_PATHS)["paths"]
    assert paths[bl.K0] == str(site / f"{bl.BUND}/mods/K__0.mod"), paths
    assert paths[bl.KFAST] == str(site / f"{bl.BUND}/mods/K__fast.mod"), paths
