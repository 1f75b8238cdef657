"""glia under MPI (Debian's Open MPI, 8 ranks oversubscribed on the
machine's cores): a bundle with no gliad anywhere; one gliad started for a
whole node's ranks, one connection to it, one answer for all; and the
asking rank's failure raised on every rank."""

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

import bundlelib as bl
import glia_testlib as lib
import pylib

RANKS = 8
MPIRUN = shutil.which("mpirun")
pytestmark = pytest.mark.skipif(MPIRUN is None, reason="needs openmpi-bin (tools/deps --test)")


def mpirun(code, env, cwd, n=RANKS):
    """Runs a glia script on n ranks: the RESULT dicts, one per rank (each
    rank's output in a file of its own: lines of several ranks interleave)."""
    outdir = Path(cwd) / f"mpi-out-{len(list(Path(cwd).glob('mpi-out-*')))}"
    argv = [MPIRUN, "--allow-run-as-root", "--oversubscribe", "-np", str(n),
            "--output-filename", str(outdir), "/usr/bin/python3", "-c", pylib.PRELUDE + code]
    r = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                       timeout=pylib.SCRIPT_TIMEOUT * 2)
    outs = sorted(outdir.rglob("stdout"))
    text = "\n".join(f.read_text() for f in outs)
    errs = "\n".join(f.read_text() for f in outdir.rglob("stderr"))
    assert r.returncode == 0, f"mpirun exit {r.returncode}\n{r.stderr}\n{text}\n{errs}"
    results = [json.loads(l[len("RESULT "):]) for l in text.splitlines()
               if l.startswith("RESULT ")]
    assert len(results) == n, text + errs
    return results


def gliads_on(socket):
    """The pids of the gliads serving socket (by their environment)."""
    pids = []
    for p in Path("/proc").iterdir():
        try:
            if (p / "comm").read_text().strip() != "gliad":
                continue
            env = (p / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"GLIA_SOCKET={socket}".encode() in env:
            pids.append(int(p.name))
    return pids


RANK_SCRIPT = '''
import os
import glia
from neuron import h
glia.select("K", pkg="glia_bund")
s = h.Section(name="soma")
glia.insert(s, "K")
m = glia.library_manifest()
out(rank=int(os.environ["OMPI_COMM_WORLD_RANK"]), k=glia.resolve("K"), density=density(s),
    library=m["library"].get("path") or m["library"].get("file"))
'''


def test_bundle_on_8_ranks_with_no_gliad(gliad, tmp_path):
    site = bl.make_site(tmp_path / "site")
    d = gliad({"default": [site]})
    assert d.ok("select", {"asset": "K", "pkg": bl.BUND})["matches"] == 2
    out = tmp_path / "bundle"
    assert lib.gliactl("bundle", out, socket=d.socket).rc == 0
    d.stop()
    moved = tmp_path / "moved"
    shutil.move(out, moved)
    nowhere = tmp_path / "none/gliad.sock"
    env = pylib.script_env(tmp_path / "home", nowhere, glia_env=None,
                           extra={"GLIA_BUNDLE": moved})
    for n in (1, RANKS):
        results = mpirun(bl.SCRIPT, env, tmp_path, n)
        assert all(r["k"] == bl.K0 and r["spikes"] > 0 for r in results), results
    assert not nowhere.parent.exists()


def autostart_home(tmp_path, site):
    """A home whose default gliad config (read by the gliad the module
    starts) serves site, logging every connection."""
    home = tmp_path / "home"
    env = pylib.script_env(home, tmp_path / "run/gliad.sock", autostart=True,
                           extra={"GLIAD": lib.gliad_binary()})
    conf = Path(env["XDG_CONFIG_HOME"]) / "glia/gliad.ini"
    conf.parent.mkdir(parents=True)
    lib.write_config(conf, state_dir=tmp_path / "state", cache_dir=tmp_path / "cache",
                     envs={"default": [site]}, daemon_extra={"log_level": "debug", "jobs": 2})
    return env, Path(env["XDG_STATE_HOME"]) / "glia/gliad.log"


def test_8_ranks_start_one_gliad_and_share_its_answer(tmp_path):
    site = bl.make_site(tmp_path / "site")
    env, log = autostart_home(tmp_path, site)
    sock = tmp_path / "run/gliad.sock"
    try:
        results = mpirun(RANK_SCRIPT, env, tmp_path)
        pids = gliads_on(sock)
        assert len(pids) == 1, pids
        text = log.read_text()
        assert text.count(" listening on ") == 1, text
        assert text.count(" connected (pid ") == 1, text  # one rank asked, for all
        assert sorted(r["rank"] for r in results) == list(range(RANKS))
        assert {r["library"] for r in results} == {results[0]["library"]}
        assert results[0]["library"].startswith(str(tmp_path / "cache"))
        assert all(r["k"] == bl.K0 and bl.K0 in r["density"] for r in results), results
        # The asking rank told gliad of the load (keeping the library from GC).
        db = sqlite3.connect(f"file:{tmp_path / 'state/gliad.db'}?mode=ro", uri=True)
        try:
            assert len(db.execute("SELECT pid FROM loaded").fetchall()) == 1
        finally:
            db.close()

        # The asking rank's failure, on every rank, in gliad's words.
        bad = dict(env, GLIA_ENV="nope")
        results = mpirun('''
import os
import glia
try:
    glia.resolve("K")
except Exception as e:
    out(error=type(e).__name__, code=getattr(e, "code", None), message=str(e))
''', bad, tmp_path)
        assert {(r["error"], r["code"]) for r in results} == {("DaemonError", "unknown_env")}
        assert all("nope" in r["message"] for r in results)
    finally:
        for pid in gliads_on(sock):
            pylib.stop_pid(pid)
