"""The listening socket: private modes, one gliad per socket, stale sockets
replaced, and an orderly stop on SIGTERM/SIGINT.
"""

import os
import signal
import socket
import stat

import pytest

import glia_testlib as lib

pytestmark = pytest.mark.shared_build_cache


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def is_socket(path):
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def stale_socket(path):
    """A socket file nobody listens on, as a dead daemon leaves it."""
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()
    assert is_socket(path)


def test_socket_is_0600_in_a_0700_dir(gliad):
    base = gliad.base()
    sock = base / "a/b/run/gliad.sock"
    d = gliad(base=base, socket_path=sock)
    assert d.ok("status")["socket"] == str(sock)
    assert is_socket(sock)
    assert mode(sock) == 0o600
    for dir_ in (base / "a", base / "a/b", base / "a/b/run"):
        assert mode(dir_) == 0o700, dir_


def test_socket_is_0600_in_an_existing_dir(gliad):
    base = gliad.base()
    (base / "shared").mkdir(mode=0o755)
    (base / "shared").chmod(0o755)
    d = gliad(base=base, socket_path=base / "shared/gliad.sock")
    assert mode(d.socket) == 0o600
    assert mode(base / "shared") == 0o755  # not gliad's to change


def test_second_gliad_on_a_live_socket_refuses(gliad):
    first = gliad()
    assert first.ok("select", {"asset": "pas", "pkg": "NEURON"})["matches"] == 1
    for state_dir in (None, first.state_dir):  # its own state, then the first one's
        second = gliad(socket_path=first.socket, state_dir=state_dir, wait=False)
        rc = second.wait()
        second.reaped = True
        log = second.stderr()
        lib.assert_no_sanitizer_reports(log)
        assert rc != 0, log
        assert f"another gliad (pid {first.pid})" in log, log
        assert str(first.socket) in log
    # The first one was not disturbed: same socket file, same daemon, same prefs.
    assert is_socket(first.socket)
    assert first.ok("hello")["pid"] == first.pid
    assert first.ok("prefs")["assets"] == {"pas": {"pkg": "NEURON", "variant": None}}


def test_stale_socket_is_replaced(gliad):
    base = gliad.base()
    (base / "run").mkdir(mode=0o700)
    stale_socket(base / "run/gliad.sock")
    d = gliad(base=base)
    assert d.ok("hello")["pid"] == d.pid
    assert mode(d.socket) == 0o600
    assert "replaced a stale socket" in d.stderr()


def test_socket_of_a_killed_gliad_is_replaced(gliad):
    first = gliad()
    first.kill()
    assert is_socket(first.socket)  # SIGKILL leaves it behind
    r = first.ctl("status")
    assert r.rc == 3, r
    second = gliad(socket_path=first.socket, state_dir=first.state_dir)
    assert second.ok("hello")["pid"] == second.pid
    assert second.ctl("resolve", "hh").out == "hh\n"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_signal_stops_cleanly(gliad, main_site, sig):
    d = gliad({"default": [main_site.site]})
    assert d.ok("select", {"asset": "Na", "variant": "t"})["matches"] == 1
    idle = [d.connect() for _ in range(3)]
    partial = d.connect()
    partial.send_raw(b"\x94\x00\x01")  # half a request
    busy = d.connect()
    assert busy.call("resolve", {"asset": "Na"})[1]["full"] == "glia__glia_test_mods__Na__t"
    d.stop(sig)  # asserts exit 0 and no sanitizer report
    assert f"stopping: {sig.name}" in d.stderr()
    assert not os.path.exists(d.socket)
    for c in idle + [partial, busy]:
        assert c.read_until_closed() == []
        c.close()
    # What was stored is there for the next one.
    again = gliad({"default": [main_site.site]}, state_dir=d.state_dir,
                  socket_path=d.socket)
    assert again.ok("prefs")["assets"] == {"Na": {"pkg": None, "variant": "t"}}
    assert again.ok("resolve", {"asset": "Na"})["full"] == "glia__glia_test_mods__Na__t"


def test_directory_at_the_socket_path_is_refused(gliad):
    base = gliad.base()
    (base / "run/gliad.sock").mkdir(parents=True)
    d = gliad(base=base, wait=False)
    rc = d.wait()
    d.reaped = True
    log = d.stderr()
    lib.assert_no_sanitizer_reports(log)
    assert rc != 0 and str(base / "run/gliad.sock") in log, log
    assert (base / "run/gliad.sock").is_dir()


def test_regular_file_at_the_socket_path_is_not_deleted(gliad):
    """Only a socket is replaced as stale: a `socket =` pointing at a user's
    file must not delete it."""
    base = gliad.base()
    path = base / "run/gliad.sock"
    path.parent.mkdir()
    path.write_text("precious")
    d = gliad(base=base, wait=False)
    lib.wait_for(lambda: d.proc.poll() is not None or is_socket(path),
                 what="gliad to refuse or to listen")
    assert path.is_file() and path.read_text() == "precious"
    assert d.wait() != 0
    d.reaped = True


def test_socket_path_too_long_is_refused(gliad):
    """sun_path holds 108 bytes: a longer path is refused, not truncated into
    a socket somewhere else."""
    base = gliad.base()
    longdir = base / ("d" * 120)
    sock = longdir / "gliad.sock"
    d = gliad(base=base, socket_path=sock, wait=False)
    lib.wait_for(lambda: d.proc.poll() is not None or "listening on" in d.stderr(),
                 what="gliad to refuse or to listen")
    stray = [p.name for p in base.iterdir() if is_socket(p)]
    assert not stray, f"gliad created sockets {stray} in {base}"
    assert d.proc.poll() is not None, f"gliad started:\n{d.stderr()}"
    assert d.wait() != 0
    d.reaped = True
    assert "too long" in d.stderr()


def test_stop_while_a_scan_is_running(gliad):
    """A scan that finishes after SIGTERM must not start watching again
    (inotify watches nobody closes kept the loop, and gliad, alive). The
    scan is held at its save by SQLite's write lock until gliad has taken
    the SIGTERM."""
    d = gliad()
    with d.connect() as c:
        with lib.scans_held_at_save(d):
            msgid = c.request("rescan")
            lib.wait_for(lambda: d.ok("status")["envs"][0]["scanning"],
                         what="the rescan to start")
            d.send_signal(signal.SIGTERM)
            lib.wait_for(lambda: "stopping: SIGTERM" in d.stderr(),
                         what="gliad to take the SIGTERM")
            assert d.proc.poll() is None  # the scan in flight holds the stop
        d.wait(max(3.0, lib.TIMEOUT / 2))  # a stop takes well under a second
        d.stop()  # exit 0, no sanitizer report, no child left
        assert c.read_until_closed() in ([], [[1, msgid, {
            "code": "shutting_down", "message": "gliad is shutting down"}, None]])


def test_a_client_waits_out_a_full_listen_queue(tmp_path):
    """A burst of clients fills a socket's listen queue; a client with a
    timeout is then refused with EAGAIN at once by connect(2). The module's
    client waits for room as a blocking connect does (here: the server
    accepts one waiting client 0.3 s later), and says so when the queue
    stays full past its timeout."""
    import threading

    path = str(tmp_path / "busy.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(0)
    fillers = []
    try:
        while True:  # fill the queue: then a non-blocking connect says EAGAIN
            f = socket.socket(socket.AF_UNIX)
            f.setblocking(False)
            fillers.append(f)
            try:
                f.connect(path)
            except BlockingIOError:
                break
        with pytest.raises(TimeoutError, match="queue stayed full"):
            lib.Rpc(path, timeout=0.2)
        threading.Timer(0.3, lambda: server.accept()[0].close()).start()
        c = lib.Rpc(path, timeout=5)
        c.close()
    finally:
        for f in fillers:
            f.close()
        server.close()
