"""gliad's configuration: errors stop it at startup naming file, line and key;
a missing file means defaults, with the socket and dirs from the XDG
variables (pointed into the test's tmp dir, never the real home).
"""

import os
import subprocess

import pytest

import glia_testlib as lib

pytestmark = pytest.mark.shared_build_cache


def config_error(gliad, text):
    base = gliad.base()
    cfg = base / "gliad.ini"
    cfg.write_text(text.format(base=base))
    rc, log = gliad.run_to_exit(["--config", cfg], base=base)
    assert not (base / "run/gliad.sock").exists()
    return rc, log, cfg


HEAD = "[daemon]\nsocket = {base}/run/gliad.sock\nstate_dir = {base}/state\n"


@pytest.mark.parametrize("text,line,words", [
    (HEAD + "frobnicate = 1\n", 4, ["[daemon] frobnicate", "unknown key"]),
    (HEAD + "jobs = many\n", 4, ["[daemon] jobs", "'many'"]),
    (HEAD + "jobs = 0\n", 4, ["[daemon] jobs", "'0'"]),
    (HEAD + "debounce_ms = -5\n", 4, ["[daemon] debounce_ms", "'-5'"]),
    (HEAD + "log_level = loud\n", 4, ["[daemon] log_level", "'loud'"]),
    (HEAD + "socket =\n", 4, ["[daemon] socket", "empty"]),
    (HEAD + "\n[frob]\nkey = 1\n", 6, ["[frob] key", "unknown section"]),
    (HEAD + "[env:x]\nsite_packages = /tmp\nsites = /tmp\n", 6, ["[env:x] sites", "unknown key"]),
    (HEAD + "[env:x]\nsite_packages = /a\nsite_packages = /b\n", 6,
     ["[env:x] site_packages", "twice"]),
    (HEAD + "[env:a b]\nsite_packages = /tmp\n", 5, ["[env:a b] site_packages"]),
    ("jobs = 2\n" + HEAD, 1, ["jobs", "section"]),
], ids=["unknown-key", "jobs-many", "jobs-0", "debounce-negative", "log-level", "empty-value",
        "unknown-section", "env-unknown-key", "env-twice", "env-bad-name", "no-section"])
def test_config_error_names_file_line_and_key(gliad, text, line, words):
    rc, log, cfg = config_error(gliad, text)
    assert rc != 0, log
    errors = [l for l in log.splitlines() if f"{cfg}:{line}: " in l]
    assert len(errors) == 1, log
    for w in words:
        assert w in errors[0], log


def test_syntax_error_line(gliad):
    rc, log, cfg = config_error(gliad, HEAD + "this is not ini\n")
    assert rc != 0
    assert f"{cfg}:4: " in log, log


def test_line_and_key_of_an_error_match(gliad):
    """inih reports its first error's line; the words must be that line's."""
    rc, log, cfg = config_error(gliad, HEAD + "this is not ini\nfrobnicate = 1\n")
    assert rc != 0
    for l in log.splitlines():
        if "frobnicate" in l:
            assert f"{cfg}:5: " in l, log
        if f"{cfg}:4: " in l:
            assert "frobnicate" not in l, log


def test_line_longer_than_inih_reads_is_an_error(gliad):
    """Debian's inih holds 200 bytes a line: the rest of a longer one came
    back as a line of its own (an error on the wrong line, or worse, a value
    silently replaced by the line's tail)."""
    long_dir = "/" + "d" * 186 + " my state"
    rc, log, cfg = config_error(gliad, HEAD + f"\n[daemon]\nstate_dir = {long_dir}\n")
    assert rc != 0, log
    errors = [l for l in log.splitlines() if f"{cfg}:6: " in l]
    assert len(errors) == 1 and "longer than 198 characters" in errors[0], log
    assert not os.path.exists("my state")


def test_line_that_just_fits_is_read(gliad, main_site):
    base = gliad.base()
    cfg = base / "gliad.ini"
    head = f"[daemon]\nsocket = {base}/run/gliad.sock\nstate_dir = {base}/state\n"
    line = f"cache_dir = {base}/cache"
    line += "/" * (199 - len(line))
    assert len(line) == 199
    cfg.write_text(f"{head}{line}\n\n[env:default]\nsite_packages = {main_site.site}\n")
    d = gliad.launch(["--config", cfg], base=base, socket_path=base / "run/gliad.sock")
    assert d.ok("status")["cache_dir"].rstrip("/") == f"{base}/cache"


def test_relative_paths_in_a_config_named_without_a_dir(gliad, main_site):
    """--config gliad.ini from the config's own dir: its relative paths are
    made absolute at once, not left relative to gliad's working directory."""
    base = gliad.base()
    sock = base / "run/gliad.sock"
    (base / "gliad.ini").write_text(f"[daemon]\nsocket = {sock}\nstate_dir = state\n\n"
                                    f"[env:default]\nsite_packages = {main_site.site}\n")
    d = gliad.launch(["--config", "gliad.ini"], base=base, socket_path=sock, cwd=base)
    assert d.ok("status")["state_dir"] == f"{base}/state"


def test_config_that_is_a_directory_is_an_error(gliad):
    """fopen() succeeds on a directory and reads fail: not an empty config."""
    base = gliad.base()
    (base / "dir.ini").mkdir()
    d = gliad.launch(["--config", base / "dir.ini"], base=base, socket_path=None, wait=False)
    lib.wait_for(lambda: d.proc.poll() is not None or "listening on" in d.stderr(),
                 what="gliad to refuse or to listen")
    assert d.proc.poll() is not None, f"gliad started on defaults:\n{d.stderr()}"
    assert d.wait() != 0, d.stderr()
    d.reaped = True
    lib.assert_no_sanitizer_reports(d.stderr())
    assert str(base / "dir.ini") in d.stderr()


def test_bad_command_line(gliad):
    rc, log = gliad.run_to_exit(["--log-level", "loud"])
    assert rc == 2 and "--log-level" in log, log
    rc, log = gliad.run_to_exit(["stray-argument"])
    assert rc == 2 and "stray-argument" in log, log


def test_version_and_help():
    for arg, word in (("--version", "gliad "), ("--help", "usage: gliad")):
        r = subprocess.run([str(lib.gliad_binary()), arg], capture_output=True, text=True,
                           timeout=lib.TIMEOUT)
        assert r.returncode == 0 and word in r.stdout, r
        lib.assert_no_sanitizer_reports(r.stderr)


def debian_site_dirs(env):
    """What gliad's default environment should be: Debian python3's site
    dirs (with the user's) as seen with this environment."""
    r = lib.run_checked(["python3", "-c", "import site\n"
                         "d = site.getsitepackages()\n"
                         "if site.ENABLE_USER_SITE: d.append(site.getusersitepackages())\n"
                         "print(':'.join(d))"], env=env)
    return r.stdout.strip().split(":")


def test_missing_config_file_means_defaults(gliad):
    base = gliad.base()
    home = base / "home"
    missing = base / "no-such.ini"
    # socket, state and cache come from XDG_RUNTIME_DIR, XDG_STATE_HOME, XDG_CACHE_HOME
    sock = home / "runtime/glia/gliad.sock"
    d = gliad.launch(["--config", missing], base=base, socket_path=sock, state_dir=None)
    assert f"no config file at {missing}" in d.stderr()
    st = d.ok("status")
    assert (st["socket"], st["config"]) == (str(sock), None)
    assert st["state_dir"] == str(home / "state/glia")
    assert st["cache_dir"] == str(home / "cache/glia")
    assert (home / "state/glia/gliad.db").is_file()
    # No [env:...]: `default` is the site-packages of the python3 on PATH.
    assert d.ok("resolve", {"asset": "hh"})["full"] == "hh"  # waits for the first scan
    envs = d.ok("status")["envs"]
    assert [e["name"] for e in envs] == ["default"]
    assert envs[0]["site_packages"] == debian_site_dirs(d.env)
    assert envs[0]["ready"] is True
    # gliactl finds the same socket from XDG_RUNTIME_DIR alone.
    r = lib.gliactl("resolve", "pas", env={"XDG_RUNTIME_DIR": str(home / "runtime")})
    assert (r.rc, r.out) == (0, "pas\n"), r
    r = lib.gliactl("status", env={"XDG_RUNTIME_DIR": str(home / "runtime")})
    assert r.rc == 0 and "config:    (none: defaults)" in r.out, r


def test_config_from_xdg_config_home(gliad, main_site):
    """Without --config, gliad reads $XDG_CONFIG_HOME/glia/gliad.ini."""
    base = gliad.base()
    sock = base / "xdg/gliad.sock"
    cfg = base / "home/config/glia/gliad.ini"
    cfg.parent.mkdir(parents=True)
    lib.write_config(cfg, socket_path=sock, state_dir=base / "state",
                     envs={"venv": [main_site.site]})
    d = gliad.launch([], base=base, socket_path=sock)
    st = d.ok("status")
    assert st["config"] == str(cfg)
    assert [e["name"] for e in st["envs"]] == ["venv"]
    assert d.ok("resolve", {"asset": "Na", "env": "venv"})["full"] == \
        "glia__glia_test_mods__Na__0"
    # The environment named `default` is used when a client names none; there is none here.
    err, _ = d.call("resolve", {"asset": "Na"})
    assert err["code"] == "unknown_env" and "venv" in err["message"]


def test_socket_from_glia_socket_and_relative_paths(gliad, main_site):
    """No [daemon] socket: $GLIA_SOCKET. Relative paths in the file are
    relative to the file's directory."""
    base = gliad.base()
    sock = base / "by-env/gliad.sock"
    cfg = base / "conf/gliad.ini"
    cfg.parent.mkdir()
    rel_site = os.path.relpath(main_site.site, cfg.parent)
    cfg.write_text(f"[daemon]\nstate_dir = state\ncache_dir = cache\n\n"
                   f"[env:default]\nsite_packages = {rel_site}\n")
    d = gliad.launch(["--config", cfg], base=base, socket_path=sock, env={"GLIA_SOCKET": sock})
    st = d.ok("status")
    assert st["socket"] == str(sock)
    assert (st["state_dir"], st["cache_dir"]) == (str(base / "conf/state"),
                                                  str(base / "conf/cache"))
    assert st["envs"][0]["site_packages"] == [f"{cfg.parent}/{rel_site}"]
    assert (base / "conf/state/gliad.db").is_file()
    assert d.ok("resolve", {"asset": "Na"})["full"] == "glia__glia_test_mods__Na__0"


def test_socket_option_beats_config(gliad):
    base = gliad.base()
    sock = base / "opt.sock"
    cfg = lib.write_config(base / "gliad.ini", socket_path=base / "cfg.sock",
                           state_dir=base / "state", envs={"default": [base]})
    d = gliad.launch(["--config", cfg, "--socket", sock], base=base, socket_path=sock)
    assert d.ok("status")["socket"] == str(sock)
    assert not (base / "cfg.sock").exists()


def test_log_level_option(gliad):
    d = gliad(args=["--log-level", "debug"])
    with d.connect() as c:
        c.call("hello")
    lib.wait_for(lambda: "debug: client" in d.stderr(), what="a debug line")
    quiet = gliad(log_level="warn")
    quiet.ok("hello")
    assert " info: " not in quiet.stderr()
