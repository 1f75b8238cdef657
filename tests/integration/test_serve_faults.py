"""Faults of the machine gliad runs on, not of the packages it reads: file
descriptors running out, a second gliad on the same state, symlinked folders
that never end, clients that never read. Nothing of the index is lost,
nothing hangs, and what went wrong is said where a person looks.
"""

import os
import re
import resource
import socket
import time

import pytest

import glia_testlib as lib
import watchlib as w

pytestmark = pytest.mark.shared_build_cache


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_limits(pid):
    return resource.prlimit(pid, resource.RLIMIT_NOFILE)


@pytest.fixture
def edited_site(tmp_path):
    """A site dir with one Glia package, Ka (HHk), installed by hand."""
    site = tmp_path / "site"
    site.mkdir()
    w.fake_install(site, "glia_fds", w.mods_of("glia_fds", {"Ka": "HHk"}))
    return site


def edit_param(site, value):
    path = site / "glia_fds/mods/Ka__0.mod"
    w.replace_file(path, w.set_param(path.read_text(encoding="latin-1"), "gkbar", value))


# ---- file descriptors -----------------------------------------------------------------

def test_a_scan_out_of_descriptors_keeps_the_index_and_the_watch(gliad, edited_site):
    """A rescan that cannot open the site dir (EMFILE) keeps the packages it
    had, says why, keeps watching, and reads the change once it can: it
    published an empty index and stopped watching."""
    d = gliad({"default": [edited_site]})
    assert w.resolved(d, "Ka") == w.full("glia_fds", "Ka")
    w.library(d)
    watched = w.env_status(d)["watched_dirs"]
    soft, hard = fd_limits(d.pid)
    # Below what it holds: every open fails until the limit is back.
    resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (open_fds(d.pid) // 2, hard))
    try:
        edit_param(edited_site, 0.5)
        try:
            lib.wait_for(lambda: "cannot be read: Too many open files" in d.stderr(),
                         what="a scan out of fds")
        except AssertionError:
            print(d.stderr()); raise
    finally:
        resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (soft, hard))
    # Tried again by itself (no request asks for a scan): the edit is read.
    try:
        lib.wait_for(lambda: w.asset_param(d, "Ka", "gkbar") == "0.5", what="the edit read again")
    except AssertionError:
        print(d.stderr()); raise
    log = d.stderr()
    assert "its last index is kept" in log, log
    assert "0 packages" not in log, log
    assert w.env_status(d)["watched_dirs"] == watched
    # Still watched: an edit is seen without a sync.
    edit_param(edited_site, 0.25)
    lib.wait_for(lambda: w.asset_param(d, "Ka", "gkbar") == "0.25", what="the watch")


def test_the_soft_descriptor_limit_is_raised_to_the_hard_one(gliad):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(1024, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        d = gliad()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert fd_limits(d.pid) == (hard, hard)


@pytest.mark.parametrize("n", [1000, 1100])
def test_clients_at_a_limit_of_1024_descriptors(gliad, edited_site, n):
    """As many idle clients as `ulimit -n 1024` allows, or more, plus a mod
    edit: the
    clients past what the limit leaves for gliad's own work are told gliad
    is busy, the rescan reads the edit, the index keeps its package and the
    watch its dirs. (Clients took every descriptor: the rescan found the
    site dir "empty", published that and stopped watching.)"""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard >= 1200, "the test needs 1,200 descriptors of its own"
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    d = gliad({"default": [edited_site]})
    resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (1024, 1024))
    watched = w.env_status(d)["watched_dirs"]

    def connect_and_hello(i):
        """The connection when served; the busy notification when refused."""
        c = d.connect()
        try:
            m = c.read(timeout=0.5)
            c.close()
            return m
        except socket.timeout:
            pass
        err, res = c.call("hello")
        return c if err is None else err
    try:
        conns = lib.in_parallel(n, connect_and_hello)
        served = [c for c in conns if isinstance(c, lib.Rpc)]
        refused = [c for c in conns if not isinstance(c, lib.Rpc)]
        assert 800 <= len(served) < n, refused[:3]
        print(f"{n} clients at 1024 fds: {len(served)} served, {len(refused)} told busy")
        assert all(m[:2] == [2, "error"] and m[2][0]["code"] == "busy" for m in refused), \
            refused[:3]
        edit_param(edited_site, 0.5)
        # On a connection it kept: the edit, synced, and the package whole.
        err, res = served[0].call("asset", {"asset": "Ka", "sync": True})
        assert err is None, err
        (cand,) = res["candidates"]
        assert [p["value"] for p in cand["params"] if p["name"] == "gkbar"] == ["0.5"]
        err, st = served[1].call("status")
        (e,) = st["envs"]
        assert e["packages"] == 1 and e["watched_dirs"] == watched, e
        assert "refusing new ones" in d.stderr()
    finally:
        for c in conns:
            if isinstance(c, lib.Rpc):
                c.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    # Once they are gone, newcomers are served again and the watch still works.
    lib.wait_for(lambda: d.ok("status")["clients"] <= 2, what="the clients gone")
    edit_param(edited_site, 0.25)
    lib.wait_for(lambda: w.asset_param(d, "Ka", "gkbar") == "0.25", what="the watch")
    assert "0 packages" not in d.stderr()


# ---- symlinked folders ----------------------------------------------------------------

def package_problems(d, pkg):
    return {pr["file"]: pr["reason"] for pr in d.ok("package", {"name": pkg})["problem_list"]}


def test_links_out_of_the_package_or_in_loops_are_not_followed(gliad, tmp_path):
    """Two links of mods/ to itself indexed 131,071 copies of its mod; a
    third, or a link to /, kept the first scan from ever ending."""
    site = tmp_path / "site"
    w.fake_install(site, "glia_links", w.mods_of("glia_links", {"Ka": "HHk"}))
    mods = site / "glia_links/mods"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "Kb__0.mod").write_text(w.mod("glia_links", "Kb"))
    (mods / "sub").mkdir()
    (mods / "sub/Kc__0.mod").write_text(w.mod("glia_links", "Kc"))
    for name, target in (("a", "."), ("b", "."), ("c", ".."), ("root", "/"),
                         ("out", str(elsewhere)), ("sub2", "sub")):
        (mods / name).symlink_to(target)
    d = gliad({"default": [site]})
    p = d.ok("package", {"name": "glia_links"})
    assert p["mods"] == 2, p  # Ka and Kc, each once
    assert w.resolved(d, "Ka") == w.full("glia_links", "Ka")
    assert w.resolved(d, "Kc") == w.full("glia_links", "Kc")
    assert w.resolved(d, "Kb") == "unknown_asset"
    probs = package_problems(d, "glia_links")
    outside = "a link to a folder outside the package: not followed"
    again = "a link to a folder already read (a loop, or a second way in): not followed"
    assert probs == {str(mods / "a"): again, str(mods / "b"): again,
                     str(mods / "sub2"): again, str(mods / "root"): outside,
                     str(mods / "out"): outside}, probs
    # mods/c leads to the module dir: inside the package, so read, without
    # a problem (its mods/ is the dir the walk began with).
    assert f"{mods / 'root'}: {outside}" in d.stderr()


def test_the_walk_is_bounded_in_depth_and_size(gliad, tmp_path):
    site = tmp_path / "site"
    w.fake_install(site, "glia_deep", w.mods_of("glia_deep", {"Ka": "HHk"}))
    mods = site / "glia_deep/mods"
    deep = mods
    for i in range(18):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "Kd__0.mod").write_text(w.mod("glia_deep", "Kd"))
    many = mods / "many"
    many.mkdir()
    for i in range(20001):
        (many / f"f{i:05}.txt").touch()
    d = gliad({"default": [site]})
    probs = package_problems(d, "glia_deep")
    assert probs.get(str(mods / "d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16")) \
        == "more than 16 folder levels deep: not read", probs
    assert any(r == "more than 20000 entries in the mod folders: the rest is not read"
               for r in probs.values()), probs
    assert w.resolved(d, "Ka") == w.full("glia_deep", "Ka")
    assert "more than 20000 entries" in d.stderr()


# ---- one state_dir, one gliad ---------------------------------------------------------

def test_a_second_gliad_on_the_same_state_dir_refuses(gliad, edited_site):
    """It deleted and made anew <state>/cookies under the first one's
    watch: every sync in the first then hung."""
    first = gliad({"default": [edited_site]})
    base = gliad.base()
    config = lib.write_config(base / "gliad.ini", socket_path=base / "other.sock",
                              state_dir=first.state_dir, cache_dir=base / "cache",
                              envs={"default": [edited_site]})
    rc, log = gliad.run_to_exit(["--config", config], base=base)
    assert rc == 1, log
    assert (f"state_dir {first.state_dir} is in use by another gliad (pid {first.pid}) "
            f"serving {first.socket}; stop it, or give this one its own [daemon] state_dir") \
        in log, log
    assert (first.state_dir / "cookies").is_dir()
    edit_param(edited_site, 0.5)
    with first.connect(timeout=lib.TIMEOUT) as c:
        err, res = c.call("sync", {})
    assert err is None, err
    assert w.asset_param(first, "Ka", "gkbar") == "0.5"


def test_the_state_dir_lock_goes_with_its_gliad(gliad):
    first = gliad()
    state = first.state_dir
    first.kill()  # no cleanup: the kernel releases the lock
    second = gliad(state_dir=state)
    assert second.ok("hello")["pid"] == second.pid


# ---- clients that never read -----------------------------------------------------------

def test_a_client_that_never_reads_is_stopped_then_dropped(gliad, edited_site):
    """A client sending requests and never reading its replies pinned up to
    64 MiB and was dropped only then; now gliad stops reading it past
    8 MiB queued and drops it after 5 s without progress, saying so."""
    d = gliad({"default": [edited_site]})
    hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hog.connect(d.socket)
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.setblocking(False)
    import msgpack
    req = msgpack.packb([0, 1, "list", [{"all": True}]], use_bin_type=True)
    sent, last = 0, time.monotonic()
    deadline = last + 3 * lib.TIMEOUT
    while time.monotonic() - last < 1.0:  # until gliad has read nothing for 1 s
        assert time.monotonic() < deadline, "gliad kept reading a client that never reads"
        try:
            sent += hog.send(req * 64)
            last = time.monotonic()
        except BlockingIOError:
            time.sleep(0.01)
    assert d.ok("hello")["pid"] == d.pid  # everybody else is served meanwhile
    try:
        lib.wait_for(lambda: "unread for 5 s; dropping it" in d.stderr(),
                     timeout=lib.TIMEOUT + 5, what="the client dropped")
    except AssertionError:
        print(d.stderr(), sent, d.ok("status")); raise
    assert d.ok("status")["clients"] == 1
    (queued,) = re.findall(r"(\d+) bytes of replies unread for 5 s", d.stderr())
    assert 8 << 20 < int(queued) < 16 << 20, queued  # past the bound by one batch at most
    hog.close()


# ---- stopping ----------------------------------------------------------------------

def test_sigterm_ends_a_long_scan(gliad, tmp_path):
    """A scan that would take many seconds (200 packages sharing a mods
    folder of 20,000 entries) ends when gliad is told to stop: SIGTERM
    waited for the whole scan (for ever, on a link to /)."""
    site = tmp_path / "site"
    shared = tmp_path / "shared"
    shared.mkdir()
    for i in range(20000):
        (shared / f"e{i:05}").symlink_to("nowhere")
    for i in range(200):
        pkg = f"glia_slow{i}"
        (site / pkg).mkdir(parents=True)
        w.fake_install(site, pkg, {})
        (site / pkg / "mods").symlink_to(shared)
    d = gliad({"default": [site]}, wait=False)
    lib.wait_for(lambda: os.path.exists(d.socket), what="the socket")

    def scanning():
        try:
            (e,) = d.ok("status")["envs"]
            return e["scanning"] or e["scans"]
        except (OSError, lib.Closed):
            return False
    lib.wait_for(scanning, what="the first scan")
    assert w.env_status(d)["scans"] == 0, "the scan ended before the test could stop it"
    t0 = time.monotonic()
    d.stop()
    assert time.monotonic() - t0 < 3, d.stderr()
