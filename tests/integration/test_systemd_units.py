"""The installed systemd user units pass `systemd-analyze verify`.

verify needs no running manager, but --user needs XDG_RUNTIME_DIR (%t);
the two control units below show it really checks here, so a pass means
something.
"""

import re

import pytest

import systemdlib as sd

pytestmark = pytest.mark.skipif(sd.ANALYZE is None, reason="no systemd-analyze")

PROBLEM = re.compile(r"unknown|failed|is not|bad|invalid|error|warning|ignoring", re.I)

GOOD_UNIT = "[Unit]\nDescription=control\n\n[Service]\nType=simple\nExecStart=/bin/true\n"
BAD_UNIT = ("[Unit]\nDescription=control\n\n[Service]\nTyp=simple\n"
            "ExecStart=/nonexistent/true\n")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    return sd.meson_install(tmp_path_factory.mktemp("destdir"))


@pytest.fixture
def runtime_dir(tmp_path):
    d = tmp_path / "runtime"
    d.mkdir(mode=0o700)
    return d


@pytest.fixture
def verify_works(tmp_path, runtime_dir):
    """Skips when verify cannot run at all here (it fails on a known-good
    unit); fails when it would pass a broken one."""
    (tmp_path / "control-good.service").write_text(GOOD_UNIT)
    rc, out = sd.analyze_verify([tmp_path / "control-good.service"], runtime_dir)
    if rc != 0:
        pytest.skip(f"systemd-analyze verify --user fails on a known-good unit here:\n{out}")
    (tmp_path / "control-bad.service").write_text(BAD_UNIT)
    rc, out = sd.analyze_verify([tmp_path / "control-bad.service"], runtime_dir)
    assert rc != 0 and "Unknown key" in out and "is not executable" in out, \
        f"systemd-analyze verify does not report problems here ({rc}):\n{out}"


def units_for_verify(installed, dest):
    """The installed units, copied with ExecStart pointing at the DESTDIR's
    gliad (verify checks that the program exists)."""
    dest.mkdir()
    unitdir = installed.at(installed.unitdir)
    service = (unitdir / "gliad.service").read_text()
    real = f"ExecStart={installed.bindir / 'gliad'}"
    assert real in service.splitlines(), service
    (dest / "gliad.service").write_text(
        service.replace(real, f"ExecStart={installed.at(installed.bindir / 'gliad')}"))
    (dest / "gliad.socket").write_text((unitdir / "gliad.socket").read_text())
    return [dest / "gliad.service", dest / "gliad.socket"]


def assert_verified(rc, out):
    problems = [l for l in out.splitlines() if PROBLEM.search(l)]
    assert rc == 0 and not problems, f"systemd-analyze verify: exit {rc}\n{out}"


def test_units_verify(installed, tmp_path, runtime_dir, verify_works):
    units = units_for_verify(installed, tmp_path / "units")
    assert_verified(*sd.analyze_verify(units, runtime_dir))


def test_units_documentation_names_the_installed_man_pages(installed, tmp_path, runtime_dir,
                                                             verify_works):
    """Documentation=man:gliad(1) man:gliactl(1): verify --man=yes runs
    `man` on each, here on the DESTDIR's man pages only."""
    units = units_for_verify(installed, tmp_path / "units")
    assert_verified(*sd.analyze_verify(units, runtime_dir,
                                       man_path=installed.at(installed.mandir)))


def test_service_is_notify_with_reload_and_watchdog(installed):
    """What gliad implements, the service asks for: READY=1 (Type=notify),
    SIGHUP (ExecReload), WATCHDOG=1 (WatchdogSec), the socket from the
    socket unit."""
    service = (installed.at(installed.unitdir) / "gliad.service").read_text()
    keys = dict(l.split("=", 1) for l in service.splitlines() if re.match(r"^\w+=", l))
    assert keys["Type"] == "notify"
    assert "-HUP" in keys["ExecReload"].split() and "$MAINPID" in keys["ExecReload"]
    assert keys["WatchdogSec"] and keys["Requires"] == "gliad.socket"
    socket_unit = (installed.at(installed.unitdir) / "gliad.socket").read_text()
    # gliad's own default, so `gliactl` finds a socket-activated gliad unconfigured.
    assert "ListenStream=%t/glia/gliad.sock" in socket_unit.splitlines()
    assert "SocketMode=0600" in socket_unit.splitlines()
