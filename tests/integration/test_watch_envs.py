"""Environments added at runtime, watched like the configured ones:
env.register {name, site_packages} adds one (as the Python module does with
its sys.prefix and site dirs), stored in SQLite and watched again after a
restart; env.forget removes it.
"""

import glia_testlib as lib
import watchlib as wl
from watchlib import full


def test_registered_env_is_watched_survives_a_restart_and_is_forgotten(gliad, tmp_path):
    cfg_site = tmp_path / "cfg-site"
    cfg_site.mkdir()
    venv = lib.Venv(tmp_path / "venv", with_pip=False)
    wl.pip_install(venv, wl.package(tmp_path / "src", "glia_reg", {"Reg": "HHk"}))
    name = str(venv.path)  # what the glia module sends: sys.prefix
    d = gliad({"default": [cfg_site]})

    res = d.ok("env.register", {"name": name, "site_packages": [str(venv.site)]})
    assert res == {"name": name, "created": True, "changed": False,
                   "joined": False}
    assert d.ok("hello")["envs"] == ["default", name]
    assert wl.resolved(d, "Reg", env=name) == full("glia_reg", "Reg")
    assert wl.resolved(d, "Reg") == "unknown_asset"  # the default env is another
    assert wl.library(d, env=name)["names"] == [full("glia_reg", "Reg")]
    # The same again changes nothing.
    assert d.ok("env.register", {"name": name, "site_packages": [str(venv.site)]}) == \
        {"name": name, "created": False, "changed": False, "joined": False}

    # Watched: pip in that venv is seen without a rescan.
    wl.pip_install(venv, wl.package(tmp_path / "src2", "glia_reg2", {"Reg2": "HHna"}))
    assert wl.ctl_resolve(d, "Reg2", env=name) == full("glia_reg2", "Reg2")

    d.restart()
    assert d.ok("hello")["envs"] == ["default", name]
    (e,) = [e for e in d.ok("envs") if e["name"] == name]
    assert e["site_packages"] == [str(venv.site)]
    assert wl.ctl_resolve(d, "Reg", env=name) == full("glia_reg", "Reg")
    assert sorted(wl.library(d, env=name)["names"]) == \
        sorted([full("glia_reg", "Reg"), full("glia_reg2", "Reg2")])
    # Watched again after the restart: an uninstall, and a mod added by hand.
    wl.pip_uninstall(venv, "glia_reg2")
    assert wl.ctl_resolve(d, "Reg2", env=name).endswith("(unknown_asset)")
    (venv.site / "glia_reg/mods/Reg__slow.mod").write_text(
        wl.mod("glia_reg", "Reg", variant="slow"))
    r = d.ctl("--env", name, "resolve", "Reg", "--variant", "slow")
    assert (r.rc, r.out) == (0, full("glia_reg", "Reg", "slow") + "\n"), r
    assert sorted(wl.library(d, env=name)["names"]) == \
        sorted([full("glia_reg", "Reg"), full("glia_reg", "Reg", "slow")])

    assert d.ok("env.forget", {"name": name}) == {"name": name}
    assert d.ok("hello")["envs"] == ["default"]
    err, _ = d.call("resolve", {"asset": "Reg", "env": name, "sync": True})
    assert err["code"] == "unknown_env"
    d.restart()
    assert d.ok("hello")["envs"] == ["default"]
    err, _ = d.call("sync", {"env": name})
    assert err["code"] == "unknown_env"
    err, _ = d.call("env.forget", {"name": name})
    assert err["code"] == "unknown_env"


def test_register_changes_dirs_and_meets_config_envs(gliad, tmp_path):
    a, b, c = (tmp_path / x for x in "abc")
    for s in (a, b, c):
        s.mkdir()
    wl.fake_install(b, "glia_in_b", wl.mods_of("glia_in_b", {"Bee": "HHk"}))
    wl.fake_install(c, "glia_in_c", wl.mods_of("glia_in_c", {"Cee": "HHk"}))
    d = gliad({"default": [a], "conf": [b]})

    # The dirs of a config env: that env's name comes back, nothing is added.
    res = d.ok("env.register", {"name": "/some/venv", "site_packages": [str(b)]})
    assert res == {"name": "conf", "created": False, "changed": False, "joined": True}
    assert d.ok("hello")["envs"] == ["default", "conf"]
    # A config env's name with other dirs, or forgetting a config env: refused.
    err, _ = d.call("env.register", {"name": "conf", "site_packages": [str(c)]})
    assert err["code"] == "bad_request"
    err, _ = d.call("env.forget", {"name": "conf"})
    assert err["code"] == "bad_request"
    for bad in ({"name": "x", "site_packages": []}, {"name": "x", "site_packages": ["rel/dir"]},
                {"name": "", "site_packages": [str(c)]}, {"site_packages": [str(c)]},
                # the store keeps dirs one per line: this came back as two
                {"name": "x", "site_packages": [f"{c}/we\nird"]}):
        err, _ = d.call("env.register", bad)
        assert err["code"] == "bad_request", bad

    # A registered env moved to other dirs: the new dirs are scanned and watched.
    assert d.ok("env.register", {"name": "mine", "site_packages": [str(b)]})["name"] == "conf"
    assert d.ok("env.register", {"name": "mine", "site_packages": [str(c)]})["created"] is True
    assert wl.resolved(d, "Cee", env="mine") == full("glia_in_c", "Cee")
    res = d.ok("env.register", {"name": "mine", "site_packages": [str(c), str(a)]})
    assert res == {"name": "mine", "created": False, "changed": True, "joined": False}
    wl.fake_install(a, "glia_in_a", wl.mods_of("glia_in_a", {"Ay": "HHna"}))
    assert wl.resolved(d, "Ay", env="mine") == full("glia_in_a", "Ay")
    assert wl.resolved(d, "Ay") == full("glia_in_a", "Ay")  # default watches a too
    assert wl.resolved(d, "Cee", env="mine") == full("glia_in_c", "Cee")
    d.restart()
    (e,) = [e for e in d.ok("envs") if e["name"] == "mine"]
    assert e["site_packages"] == [str(c), str(a)]
    assert sorted(wl.library(d, env="mine")["names"]) == \
        sorted([full("glia_in_a", "Ay"), full("glia_in_c", "Cee")])


def test_forget_while_calls_wait_on_the_env(gliad, tmp_path):
    """env.forget sent with sync: true on the env it forgets waits, with the
    calls behind it, for that env's scan; it runs when the scan is published
    and the calls after it are told the env is gone. (Once it freed the env
    while gliad was still going through those calls.)"""
    site = tmp_path / "site"
    for i in range(3000):  # a scan that takes a while: dist-infos of other tools
        di = site / f"other{i}-1.0.dist-info"
        di.mkdir(parents=True)
        (di / "entry_points.txt").write_text("[console_scripts]\nx = y:z\n")
    wl.fake_install(site, "glia_gone", {"mods/Gone__0.mod": wl.mod("glia_gone", "Gone")})
    d = gliad()
    name = str(tmp_path / "venv")
    d.ok("env.register", {"name": name, "site_packages": [str(site)]})
    assert wl.resolved(d, "Gone", env=name) == full("glia_gone", "Gone")
    with d.connect() as c:
        ids = [c.request("rescan", {"env": name}),
               c.request("env.forget", {"name": name, "env": name, "sync": True}),
               c.request("sync", {"env": name}),
               c.request("resolve", {"asset": "Gone", "env": name, "sync": True})]
        replies = [c.response(i) for i in ids]
    assert replies[0][0] is None and replies[0][1]["env"] == name, replies[0]
    assert replies[1] == (None, {"name": name}), replies[1]
    for err, res in replies[2:]:
        assert res is None and err["code"] == "unknown_env", (err, res)
    assert d.ok("hello")["envs"] == ["default"]
    # Registered again, it is a new env that scans and builds as before.
    d.ok("env.register", {"name": name, "site_packages": [str(site)]})
    assert wl.library(d, env=name)["names"] == [full("glia_gone", "Gone")]
