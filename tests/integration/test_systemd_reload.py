"""SIGHUP (`systemctl --user reload gliad`) re-reads the config: added,
removed and changed environments take effect without a restart, and a
broken config is reported and changes nothing.
"""

import subprocess

import pytest

import buildlib as bl
import glia_testlib as lib

RIVAL_NA = "glia__glia_rival__Na__0"


def env_names(d):
    return [e["name"] for e in d.ok("envs")]


reload = lib.sighup


@pytest.fixture
def d(gliad):
    return gliad()


def test_sighup_adds_an_environment(d, rival_site):
    before = d.config.read_text()
    assert env_names(d) == ["default"]
    reload(d, before + f"\n[env:new]\nsite_packages = {rival_site}\n")
    assert env_names(d) == ["default", "new"]
    assert "[new] added by the config" in d.stderr()
    assert d.ok("resolve", {"asset": "Na", "env": "new"})["full"] == RIVAL_NA
    new = next(e for e in d.ok("envs") if e["name"] == "new")
    assert new["ready"] and new["packages"] == 1 and new["site_packages"] == [str(rival_site)]
    # The environment that was there is untouched: still empty.
    err, _ = d.call("resolve", {"asset": "Na", "env": "default"})
    assert err["code"] == "unknown_asset", err


def test_sighup_removes_an_environment(d, rival_site):
    before = d.config.read_text()
    reload(d, before + f"\n[env:new]\nsite_packages = {rival_site}\n")
    assert env_names(d) == ["default", "new"]
    with d.connect() as c:  # a client of the environment about to go
        c.call("hello")
        reload(d, before)
        assert env_names(d) == ["default"]
        assert "[new] removed from the config" in d.stderr()
        err, _ = c.call("resolve", {"asset": "Na", "env": "new"})
    assert err["code"] == "unknown_env" and "no environment named 'new'" in err["message"], err
    assert d.ok("hello")["envs"] == ["default"]


def test_sighup_changes_an_environments_site_packages(d, rival_site):
    text = d.config.read_text()
    empty = str(d.base / "empty-site")
    assert f"site_packages = {empty}" in text
    reload(d, text.replace(f"site_packages = {empty}", f"site_packages = {rival_site}"))
    assert env_names(d) == ["default"]
    assert d.ok("resolve", {"asset": "Na"})["full"] == RIVAL_NA


@pytest.mark.parametrize("broken", [
    "[daemon]\nno_such_key = 1\n",
    "[daemon\nsocket = /tmp/elsewhere\n",
    "[env:x]\nsite_packages =\n",
    "[env:x]\n",  # no keys at all: inih never calls the handler for it
], ids=["unknown-key", "unclosed-section", "empty-site-packages",
        "env-section-without-keys"])
def test_sighup_with_a_broken_config_keeps_the_running_one(d, rival_site, broken):
    good = d.config.read_text() + f"\n[env:new]\nsite_packages = {rival_site}\n"
    reload(d, good)
    reload(d, broken)
    log = d.stderr()
    assert "keeping the running configuration" in log, log
    line = next(l for l in log.splitlines() if "keeping the running configuration" in l)
    assert str(d.config) in line, line  # says which file is broken
    assert env_names(d) == ["default", "new"]
    assert d.ok("resolve", {"asset": "Na", "env": "new"})["full"] == RIVAL_NA
    assert d.ok("hello")["pid"] == d.pid
    # Fixed, the next SIGHUP takes it.
    reload(d, good.replace("[env:new]", "[env:newer]"))
    assert env_names(d) == ["default", "newer"]


def test_sighup_removes_an_environment_while_it_builds(gliad, main_site):
    """The environment's build, compilers and waiting clients go with it;
    gliad goes on (and stops cleanly at the end: the fixture checks). The
    build is held in flight by a cc that holds Na__0's compile."""
    base = gliad.base()
    cc = bl.HeldCc(base / "heldcc", "Na__0")
    d = gliad(sections={"neuron": {"cc": cc.path}}, base=base)
    before = d.config.read_text()
    reload(d, before + f"\n[env:new]\nsite_packages = {main_site.site}\n")
    cc.wait_held()
    new = next(e for e in d.ok("envs") if e["name"] == "new")
    assert new["building"], new
    with d.connect() as c:
        msgid = c.request("library", {"env": "new", "wait": True})
        # gliad reads a connection's requests in order: once hello is
        # answered, the library call is parked (else the SIGHUP could be
        # handled first, and the call find no env at all).
        assert c.call("hello")[0] is None
        reload(d, before)
        err, res = c.response(msgid)
    assert err == {"code": "unknown_env", "message": "the environment was removed"}, (err, res)
    assert env_names(d) == ["default"]
    assert d.ok("hello")["pid"] == d.pid


PROBE = ("import site, sys\ndirs = site.getsitepackages()\n"
         "if site.ENABLE_USER_SITE: dirs.append(site.getusersitepackages())\n"
         "print(':'.join(dirs))\n")


def test_sighup_to_a_config_without_environments_asks_python(d):
    """With its [env:...] sections gone, the config means what it means at
    startup: `default` is python3 on PATH's site-packages. (Once the env was
    left with no dirs at all.)"""
    text = d.config.read_text()
    assert "\n[env:default]" in text
    reload(d, text.split("\n[env:default]")[0] + "\n")
    want = subprocess.run(["python3", "-c", PROBE], env=lib.daemon_env(d.base / "home"),
                          capture_output=True, text=True, check=True).stdout.strip().split(":")

    def site_packages():
        return next(e for e in d.ok("envs") if e["name"] == "default")["site_packages"]
    lib.wait_for(lambda: site_packages() == want,
                 what=f"default's site-packages to become {want} (they are {site_packages()})")
    assert "[default] no longer in the config; asking python3 on PATH" in d.stderr()
    d.wait_ready()
    assert env_names(d) == ["default"]


def test_sighup_keeps_the_command_lines_socket_and_log_level(gliad):
    """--socket and --log-level override the config at startup and after
    every SIGHUP. (Once a SIGHUP warned that the socket had changed, as it
    compared --socket with the config's, and went back to the config's
    log level.)"""
    base = gliad.base()
    (base / "empty-site").mkdir()
    config = base / "gliad.ini"
    lib.write_config(config, socket_path=base / "run/config.sock", state_dir=base / "state",
                     cache_dir=base / "cache", envs={"default": [base / "empty-site"]},
                     daemon_extra={"log_level": "info"})
    sock = base / "run/cli.sock"
    d = gliad.launch(["--config", config, "--socket", sock, "--log-level", "debug"],
                     base=base, socket_path=sock, state_dir=base / "state")
    d.config = config
    reload(d, config.read_text())
    d.ok("hello")
    log = d.stderr()
    after = log.split("SIGHUP: reloading")[1]
    assert " gliad debug: " in after, log  # hello's connection, at least
    assert "changed; it takes a restart" not in log, log
    assert d.ok("status")["socket"] == str(sock)


def test_sighup_config_environment_replaces_a_registered_one(d, rival_site):
    """An [env:NAME] added to the config under the name of an environment a
    client registered takes its place, as it would at the next start. (Once
    a SIGHUP kept the registered one and dropped the config's.)"""
    reg = d.base / "registered-site"
    reg.mkdir()
    assert d.ok("env.register", {"name": "foo", "site_packages": [str(reg)]})["created"]
    reload(d, d.config.read_text() + f"\n[env:foo]\nsite_packages = {rival_site}\n")
    wins = "registered environment foo is also in the config; the config wins"

    def check(times):
        foo = next(e for e in d.ok("envs") if e["name"] == "foo")
        assert foo["site_packages"] == [str(rival_site)], foo
        assert d.ok("resolve", {"asset": "Na", "env": "foo"})["full"] == RIVAL_NA
        assert d.stderr().count(wins) == times, d.stderr()
        assert env_names(d) == ["default", "foo"]
    check(1)
    d.restart()
    check(2)
    # Dropped from the config, the registered one is back, as after a restart.
    reload(d, d.config.read_text().replace(f"\n[env:foo]\nsite_packages = {rival_site}\n", ""))
    foo = next(e for e in d.ok("envs") if e["name"] == "foo")
    assert foo["site_packages"] == [str(reg)], foo
    assert env_names(d) == ["default", "foo"]
    assert d.call("resolve", {"asset": "Na", "env": "foo"})[0]["code"] == "unknown_asset"
