"""gliad as systemd runs it: started by socket activation on the first
connection (systemd-socket-activate stands in for the socket unit), telling
the manager READY=1, STATUS= and WATCHDOG=1 on $NOTIFY_SOCKET (a socket the
test listens on), and never daemonizing itself.
"""

import os
import signal
import subprocess

import pytest

import glia_testlib as lib
import systemdlib as sd

needs_activator = pytest.mark.skipif(sd.ACTIVATOR is None, reason="no systemd-socket-activate")


@pytest.fixture
def notify(gliad):
    """The NOTIFY_SOCKET a test's gliad reports to, as systemd would listen."""
    n = sd.NotifySocket(gliad.base() / "notify")
    yield n
    n.close()


@pytest.fixture(params=["path", "abstract"])
def any_notify(gliad, request):
    """A NOTIFY_SOCKET of either kind: a file, or an abstract name ('@...')."""
    base = gliad.base()
    n = sd.NotifySocket(base / "notify" if request.param == "path" else f"@{base}/notify")
    yield n
    n.close()


def all_ready(d):
    st = d.ok("status")
    return all(e["ready"] for e in st["envs"]), st


@needs_activator
def test_socket_activation_starts_gliad_on_the_passed_socket(gliad, notify):
    d = sd.activated_gliad(gliad, extra_env={"NOTIFY_SOCKET": notify.name})
    inode = os.stat(d.socket).st_ino
    # Listening, but nothing started yet: the activator waits for a client.
    assert d.exe().name == "systemd-socket-activate"
    assert notify.drain(0.3) == []

    with d.connect() as c:
        err, hello = c.call("hello")
    assert err is None and hello["server"] == "gliad"
    assert hello["pid"] == d.pid  # the activator exec'd gliad: systemd's MainPID
    assert d.exe() == lib.gliad_binary().resolve()

    notify.wait_line("READY=1")
    ready, st = all_ready(d)
    assert ready, f"READY=1 before every environment had an index: {st}"
    assert "STATUS=serving" in notify.lines()

    # gliad listened on the activator's socket: it bound none of its own.
    assert os.stat(d.socket).st_ino == inode
    log = d.stderr()
    assert "replaced a stale socket" not in log
    assert "already serving" not in log
    assert d.ok("hello")["pid"] == d.pid  # and it keeps accepting on it

    d.stop()
    notify.wait_line("STOPPING=1")
    # The socket is the socket unit's: systemd keeps it to start gliad again.
    assert os.path.exists(d.socket) and os.stat(d.socket).st_ino == inode


@needs_activator
def test_activated_gliad_sends_status_during_a_build(gliad, notify, rival_site):
    """STATUS= lines say what gliad is building, then how the build ended."""
    d = sd.activated_gliad(gliad, {"default": [rival_site]}, {"NOTIFY_SOCKET": notify.name})
    assert d.ok("hello")["pid"] == d.pid
    notify.wait_line("READY=1")
    notify.wait_for(lambda l: l.startswith("STATUS=default: generation "),
                    timeout=max(60, lib.TIMEOUT), what="the build's final STATUS")
    status = [l for l in notify.lines() if l.startswith("STATUS=")]
    assert any(l.startswith("STATUS=default: building ") and l.endswith(" mods")
               for l in status), status
    assert "STATUS=default: generation 1, 0 mods failed" in status, status
    assert [e["generation"] for e in d.ok("envs")] == [1]


@needs_activator
def test_activated_gliad_pings_the_watchdog(gliad, notify):
    """WatchdogSec=: systemd sets WATCHDOG_USEC; gliad pings at half of it."""
    d = sd.activated_gliad(gliad, extra_env={"NOTIFY_SOCKET": notify.name,
                                             "WATCHDOG_USEC": 200000})
    d.wait_ready()
    pings = [m for m in notify.drain(1.0) if m == "WATCHDOG=1"]
    assert len(pings) >= 4, notify.messages  # every 100 ms


def test_watchdog_meant_for_another_process_is_not_pinged(gliad, notify):
    """WATCHDOG_PID names systemd's main process; a gliad that inherited the
    variables from it (started by that process) must not ping for it."""
    base = gliad.base()
    config, sock = sd.write_config(base)
    gliad.launch(["--config", config], base=base, socket_path=sock,
                 env={"NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": 200000, "WATCHDOG_PID": 1})
    notify.wait_line("READY=1")
    assert "WATCHDOG=1" not in notify.drain(0.6)


def test_ready_without_activation_once_every_environment_is_indexed(gliad, any_notify,
                                                                    main_site, rival_site):
    """Started by hand (or by the Python module), gliad binds its own socket
    and still says READY=1 when NOTIFY_SOCKET is set, and not before every
    environment has an index."""
    notify = any_notify
    base = gliad.base()
    config, sock = sd.write_config(base, {"main": [main_site.site], "rival": [rival_site]})
    d = gliad.launch(["--config", config], base=base, socket_path=sock,
                     env={"NOTIFY_SOCKET": notify.name}, wait=False)
    notify.wait_line("READY=1")
    ready, st = all_ready(d)
    assert ready, f"READY=1 before every environment had an index: {st}"
    assert st["pid"] == d.pid and [e["name"] for e in st["envs"]] == ["main", "rival"]
    assert st["envs"][0]["packages"] == 3 and st["envs"][1]["packages"] == 1
    assert f"listening on {d.socket}" in d.stderr()


def test_ready_even_when_a_site_dir_is_missing(gliad, notify):
    """An environment whose site-packages does not exist (yet) is indexed
    empty; under Type=notify a missing READY=1 would get gliad killed."""
    base = gliad.base()
    config, sock = sd.write_config(base, {"default": [base / "not-there"]})
    d = gliad.launch(["--config", config], base=base, socket_path=sock,
                     env={"NOTIFY_SOCKET": notify.name}, wait=False)
    notify.wait_line("READY=1")
    assert all_ready(d)[0]


def test_gliad_stays_in_the_foreground_and_logs_to_stderr(gliad):
    """gliad never daemonizes: the process started is the one serving, in
    the starter's session, logging to stderr (which the journal keeps) and
    writing nothing to stdout."""
    base = gliad.base()
    config, sock = sd.write_config(base)
    out, err = base / "stdout", base / "stderr"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen([str(lib.gliad_binary()), "--config", str(config)],
                                env=lib.daemon_env(base / "home"), stdin=subprocess.DEVNULL,
                                stdout=o, stderr=e)
    try:
        hello = lib.wait_for(lambda: sd.hello(sock) or proc.poll() is not None,
                             what="gliad to answer")
        assert proc.poll() is None, f"gliad exited ({proc.returncode}):\n{err.read_text()}"
        assert hello["pid"] == proc.pid
        assert os.getsid(proc.pid) == os.getsid(0)  # no setsid()
        with open(f"/proc/{proc.pid}/stat") as f:
            assert int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid()  # its parent
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(lib.TIMEOUT)
    assert rc == 0
    log = err.read_text()
    lib.assert_no_sanitizer_reports(log)
    assert f"listening on {sock} (pid {proc.pid})" in log
    assert "stopped" in log.splitlines()[-1]
    assert out.read_bytes() == b""
