"""Fixtures for gliad's integration tests.

Session-wide, built once: a real venv holding three Glia packages
(glia_test_mods of tests/data, a Glia 0.x package made of NEURON's demo mods, and a
Glia 4 package whose mods carry plain NEURON names), plus a second site dir
with a rival package that clashes with two of their assets. Tests start their
own gliad on these through the `gliad` factory; tests that change what is
installed make their own venv or site dir.
"""

import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

import glia_testlib as lib
import pylib


def pytest_configure(config):
    config.addinivalue_line("markers", "shared_build_cache: the module's gliads share one "
                            "build cache (see _factory in conftest.py)")
    for b in (lib.gliad_binary(), lib.gliactl_binary()):
        if not b.is_file():
            raise pytest.UsageError(f"{b} is missing: build first (ninja -C build), or set "
                                    f"GLIAD / GLIACTL")


# ---- packages ------------------------------------------------------------------

class Site:
    """What the session venv holds, for the tests' expectations."""

    def __init__(self, venv, demo):
        self.venv = venv
        self.site = venv.site
        self.demo = demo  # {asset: (full name, kind)} of glia_demo


def plain_package(root):
    """glia_plain (Glia 4): mods with plain NEURON names, named by file stem.
    mods/Kdr__0.mod and mods/sub/Kdr__fast.mod are NEURON's HHk demo,
    mods/Fire.mod its IntervalFire; mods/arbor/Arb__0.mod is Arbor-only."""
    demo = lib.demo_mods()
    return lib.write_package(root, "glia_plain", {
        "mods/Kdr__0.mod": demo["HHk"][0],
        "mods/sub/Kdr__fast.mod": demo["HHk"][0],
        "mods/Fire.mod": demo["IntervalFire"][0],
        "mods/arbor/Arb__0.mod": lib.rename_mechanism(demo["HHna"][0], "Arb"),
    })


def rival_package(root):
    """glia_rival (Glia 4): an HHna (plain name, like glia_demo's) and a
    namespaced Na__0 (like glia_test_mods')."""
    demo = lib.demo_mods()
    na = (lib.TEST_DATA / "glia_test_mods/glia_test_mods/mods/Na__0.mod").read_text()
    return lib.write_package(root, "glia_rival", {
        "mods/HHna.mod": demo["HHna"][0],
        "mods/Na__0.mod": lib.rename_mechanism(na, "glia__glia_rival__Na__0"),
    })


@pytest.fixture(scope="session")
def main_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("main")
    venv = lib.Venv(root / "venv")
    src = root / "src"
    demo_proj, demo = lib.glia0_demo_package(src, "glia_demo")
    venv.install(lib.copy_test_package(src), demo_proj, plain_package(src))
    return Site(venv, demo)


@pytest.fixture(scope="session")
def rival_site(tmp_path_factory, main_site):
    """A site dir (pip --target) holding only glia_rival."""
    root = tmp_path_factory.mktemp("rival")
    target = root / "site"
    main_site.venv.install_target(target, rival_package(root / "src"))
    return target


@pytest.fixture
def fresh_venv(tmp_path):
    """A venv of this test's own, empty of Glia packages (pip: Debian's)."""
    return lib.Venv(tmp_path / "venv", with_pip=False)


# ---- gliad -----------------------------------------------------------------------

class GliadFactory:
    """Starts gliads on private sockets and state dirs; at the end stops each
    one still running and checks it exited 0 without sanitizer reports."""

    def __init__(self):
        self.daemons = []
        self.dirs = []
        self.cache_dir = None  # None: each daemon a fresh one (see shared_build_cache)

    def base(self):
        d = lib.short_tmpdir()
        self.dirs.append(d)
        return d

    def __call__(self, envs=None, *, state_dir=None, socket_path=None, daemon_extra=None,
                 sections=None, config_text=None, args=(), log_level="info", wait=True,
                 base=None, indexed=True, env=None):
        """Starts gliad with a fresh config: envs {name: [site dirs]} (default:
        one empty site dir, so nothing outside the test is scanned); a fresh
        state dir unless state_dir is given (a restart on the same state);
        sections: more config sections (lib.write_config).
        wait: until hello answers and, when indexed, every env is indexed.
        env: variables for gliad, as for launch()."""
        base = Path(base) if base else self.base()
        if envs is None:
            (base / "empty-site").mkdir(exist_ok=True)
            envs = {"default": [base / "empty-site"]}
        socket_path = socket_path or base / "run/gliad.sock"
        state_dir = state_dir or base / "state"
        config = base / "gliad.ini"
        extra = {"jobs": 2, "debounce_ms": 50, "log_level": log_level, **(daemon_extra or {})}
        lib.write_config(config, socket_path=socket_path, state_dir=state_dir,
                         cache_dir=extra.pop("cache_dir", self.cache_dir or base / "cache"),
                         envs=envs, daemon_extra=extra, sections=sections, raw=config_text)
        d = self.launch(["--config", config, *args], base=base, socket_path=socket_path,
                        state_dir=state_dir, env=env, wait=wait, indexed=indexed)
        d.config = config
        return d

    def launch(self, args, *, base=None, socket_path, state_dir=None, env=None, wait=True,
               indexed=True, cwd=None, wrapper=()):
        """Starts gliad with exactly these arguments; env entries are added
        to (or, when None, removed from) the test environment of base;
        wrapper: a command that execs gliad (its pid stays gliad's)."""
        base = Path(base) if base else self.base()
        e = lib.daemon_env(base / "home")
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = str(v)
        d = lib.Gliad(args, e, socket_path, base / f"gliad-{len(self.daemons)}.log",
                      state_dir=state_dir, cwd=cwd, wrapper=wrapper)
        d.base = base
        self.daemons.append(d)
        d.spawn()
        if wait:
            d.wait_ready(indexed=indexed)
        return d

    def run_to_exit(self, args, *, base=None, env=None, timeout=lib.TIMEOUT):
        """Runs a gliad expected to stop by itself (a startup error):
        (exit code, stderr), stderr checked for sanitizer reports."""
        d = self.launch(args, base=base, socket_path=None, env=env, wait=False)
        d.reaped = True
        rc = d.wait(timeout)
        log = d.stderr()
        lib.assert_no_sanitizer_reports(log)
        return rc, log

    def close(self):
        errors = []
        for d in self.daemons:
            try:
                d.stop(signal.SIGTERM)
            except AssertionError as e:
                errors.append(str(e))
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        assert not errors, "\n\n".join(errors)


def _factory(request):
    """A factory; in a module marked shared_build_cache, its daemons share
    one build cache for the session, so that what one compiled the next
    reuses instead of compiling again (and stopping one does not wait for
    compilers). For modules that are not about builds."""
    f = GliadFactory()
    if request.node.get_closest_marker("shared_build_cache"):
        f.cache_dir = request.getfixturevalue("build_cache")
    return f


@pytest.fixture(scope="session")
def build_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("build-cache")


@pytest.fixture
def gliad(request):
    f = _factory(request)
    yield f
    f.close()


@pytest.fixture(scope="module")
def module_gliad(request):
    f = _factory(request)
    yield f
    f.close()


# ---- a daemon under abuse ----------------------------------------------------------

NA_T = "glia__glia_test_mods__Na__t"


class Survivor:
    """Wraps a gliad about to be fed bad input. Before: a global preference
    (Na -> variant t) and a bystander connection that said hello. check()
    after: gliad is alive, answers hello on a new connection and on the
    bystander's, still has the preference (in memory and in an intact SQLite
    database) and still applies it."""

    PREFS = {"assets": {"Na": {"pkg": None, "variant": "t"}}}

    def __init__(self, d):
        self.d = d
        assert d.ok("select", {"asset": "Na", "variant": "t"})["matches"] == 1
        self.bystander = d.connect()
        err, res = self.bystander.call("hello")
        assert err is None and res["pid"] == d.pid

    def check(self):
        d = self.d
        assert d.proc.poll() is None, f"gliad died:\n{d.stderr()}"
        assert d.ok("hello")["pid"] == d.pid
        err, res = self.bystander.call("hello", timeout=lib.TIMEOUT)
        assert err is None and res["pid"] == d.pid
        assert not self.bystander.pending, f"unexpected messages {self.bystander.pending!r}"
        assert d.ok("prefs") == self.PREFS
        assert d.ok("resolve", {"asset": "Na"})["full"] == NA_T
        db = sqlite3.connect(f"file:{d.state_dir}/gliad.db?mode=ro", uri=True)
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            db.close()


@pytest.fixture
def survivor(gliad, main_site):
    return Survivor(gliad({"default": [main_site.site]}))


@pytest.fixture
def py(d, main_site, tmp_path):
    """Runs glia scripts in the session venv against the requesting module's
    daemon `d`."""
    p = pylib.Py(main_site.venv.python, d.socket, tmp_path)
    yield p
    p.close()
