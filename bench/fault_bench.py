#!/usr/bin/python3
"""Fault benchmark: gliad killed and starved during builds.

    bench/fault_bench.py kills [--kills 100] [--mods 30]
    bench/fault_bench.py diskfull [--mods 30] [--size-mb 48] [--free-kb 64] [--full-for 5]

kills     SIGKILLs gliad at a random moment (0 to 1.5 s) of a build, --kills
          times; before each restart some mods are edited so there is work to
          cut short. After each kill: SQLite's integrity check, the newest
          generation's library against its seal, and the files compilers left
          in gliad's TMPDIR. At the end: the library is whole.
diskfull  (as root: a private mount namespace with a tmpfs of --size-mb for
          gliad's cache and state) fills the tmpfs but --free-kb, starts gliad, frees the
          space after --full-for seconds, and measures how long until the
          library is whole, with no request from here but `library`.

Prints one line per figure; exits 1 if any check failed.
"""

import argparse
import hashlib
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_site  # noqa: E402
from benchlib import Rpc, start_gliad  # noqa: E402


def mods_of(site):
    return sorted(os.path.join(r, f) for r, _, fs in os.walk(site) for f in fs
                  if f.endswith(".mod"))


def edit(paths, n, stamp):
    """A comment line appended to n of the mods: new content, new objects."""
    for p in random.sample(paths, n):
        with open(p, "a") as f:
            f.write(f": edited {stamp}\n")


def sealed(lib):
    """The library matches the SHA-256 and size gliad recorded beside it."""
    try:
        with open(lib + ".sha256") as f:
            want, size = f.read().split()
        with open(lib, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return hashlib.sha256(data).hexdigest() == want and len(data) == int(size)


def db_check(state):
    db = sqlite3.connect(f"file:{state}/gliad.db?mode=ro", uri=True)
    try:
        ok = db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        row = db.execute("SELECT path FROM generations ORDER BY gen DESC LIMIT 1").fetchone()
        return ok, row[0] if row else None
    finally:
        db.close()


def library(sock, wait=True, timeout=600):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Rpc(sock).call("library", {"wait": wait, "names": True})
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def listener_holders(sock):
    """Processes holding the listening socket at path sock (a dead gliad's
    socket still accepts while any process holds it)."""
    inodes = {line.split()[6] for line in open("/proc/net/unix")
              if line.rstrip().endswith(" " + sock)}
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in {f"socket:[{i}]" for i in inodes}:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        found.append(f.read().replace(b"\0", b" ").decode()[:100])
        except OSError:
            pass
    return found


def socket_released(sock, grace=10.0):
    """Waits until nothing accepts on sock; False (and who holds it) if it
    still does after grace seconds."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sock)
        except OSError:
            return True, []
        finally:
            s.close()
        time.sleep(0.05)
    return False, listener_holders(sock)


def kills(args, tmp):
    site, tmpdir = os.path.join(tmp, "site"), os.path.join(tmp, "tmpdir")
    os.makedirs(tmpdir)
    make_site.write_site(site, 1, args.mods)
    paths = mods_of(site)
    env = dict(os.environ, TMPDIR=tmpdir)
    p, sock = start_gliad(tmp, site, env=env, jobs=2)
    first = library(sock)
    print(f"first build: {first['mechanisms']} mechanisms")
    bad_db = bad_lib = 0
    max_tmp = 0

    t0 = time.monotonic()
    for k in range(args.kills):
        edit(paths, 3, k)
        time.sleep(random.uniform(0, 1.5))
        p.send_signal(signal.SIGKILL)
        p.wait()
        ok, lib = db_check(os.path.join(tmp, "state"))
        bad_db += not ok
        bad_lib += lib is not None and not sealed(lib)
        max_tmp = max(max_tmp, len(os.listdir(tmpdir)))
        released, holders = socket_released(sock)
        if not released:
            print(f"kill {k + 1}: the dead gliad's socket still accepts; held by {holders}")
            return 1
        p, sock = start_gliad(tmp, site, env=env, jobs=2)
        served = library(sock, wait=False)
        bad_lib += served["path"] is not None and not sealed(served["path"])
    res = library(sock)
    p.send_signal(signal.SIGTERM)
    p.wait()
    left = os.listdir(tmpdir)
    # tmp/<host>-<pid> (tmp/<pid> before), the live gliad's excepted.
    work = [d for d in os.listdir(os.path.join(tmp, "cache", "tmp"))
            if d.rsplit("-", 1)[-1] != str(p.pid)]
    print(f"{args.kills} SIGKILLs in {time.monotonic() - t0:.0f} s")
    print(f"restarts with a damaged database: {bad_db}")
    print(f"restarts serving a library that fails its seal: {bad_lib}")
    print(f"files in gliad's TMPDIR: at most {max_tmp} after a kill, {len(left)} at the end")
    print(f"work dirs of dead gliads left after the last restart: {len(work)}")
    print(f"final library: {res['mechanisms']} of {len(paths)} mechanisms, "
          f"last build ok: {res['last_build']['ok']}")
    return 0 if not (bad_db or bad_lib or left or work) and \
        res["mechanisms"] == len(paths) else 1


def diskfull(args, tmp):
    fs = os.path.join(tmp, "fs")
    os.makedirs(fs)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.size_mb}m", "tmpfs", fs],
                   check=True)
    try:
        site = os.path.join(tmp, "site")
        os.makedirs(site)
        # gliad running (its database made), then the disk fills, then a
        # package is installed: its build runs out of space.
        p, sock = start_gliad(tmp, site, jobs=2, log_level="info",
                              cache_dir=os.path.join(fs, "cache"),
                              state_dir=os.path.join(fs, "state"))
        library(sock)
        filler = os.path.join(fs, "filler")
        with open(filler, "wb") as f:  # every byte but --free-kb
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
                    f.flush()
            except OSError:
                pass
        os.truncate(filler, max(0, os.path.getsize(filler) - (args.free_kb << 10)))
        make_site.write_site(site, 1, args.mods)
        time.sleep(args.full_for)
        during = library(sock, wait=False)
        os.unlink(filler)
        t0 = time.monotonic()
        res = during
        while res["mechanisms"] < args.mods and time.monotonic() - t0 < 300:
            time.sleep(0.1)
            res = library(sock, wait=False)
        took = time.monotonic() - t0
        p.send_signal(signal.SIGTERM)
        p.wait()
        with open(os.path.join(tmp, "gliad.log")) as f:
            log = f.read()
        print(f"while full ({args.full_for} s): status {during['status']}, "
              f"{during['mechanisms']} mechanisms, last build: "
              f"{(during['last_build'] or {}).get('error')}")
        print(f"retries while full: {log.count('trying the build that failed')}")
        print(f"after freeing the space: {res['mechanisms']} of {args.mods} mechanisms in "
              f"{took:.1f} s, no request but `library`")
        return 0 if res["mechanisms"] == args.mods else 1
    finally:
        subprocess.run(["umount", "-l", fs])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["kills", "diskfull"])
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--mods", type=int, default=30)
    ap.add_argument("--size-mb", type=int, default=48)
    ap.add_argument("--full-for", type=float, default=5)
    ap.add_argument("--free-kb", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.what == "diskfull" and os.environ.get("GLIA_FAULT_NS") != "1":
        # Into a mount namespace of our own: the tmpfs is nobody else's.
        os.environ["GLIA_FAULT_NS"] = "1"
        os.execvp("unshare", ["unshare", "-m", "--propagation", "private", sys.executable,
                              *sys.argv])
    random.seed(args.seed)
    tmp = tempfile.mkdtemp(prefix="glia-faults-")
    try:
        sys.exit(kills(args, tmp) if args.what == "kills" else diskfull(args, tmp))
    except Exception:
        with open(os.path.join(tmp, "gliad.log"), errors="replace") as f:
            sys.stderr.write("gliad's log ends:\n" + "".join(f.readlines()[-15:]))
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
