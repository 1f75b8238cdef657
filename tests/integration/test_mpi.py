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


# One shell's commands, one after the other (`srun --pty bash`, a batch
# script): a driver runs each as a child of its own, so all have the same
# parent, as a shell's have; before each but the first it waits for `go`.
SHELL = '''
import os, subprocess, sys
for i, sock in enumerate(os.environ["RUN_SOCKETS"].split(":")):
    if i:
        wait_go(f"run{i}")
    subprocess.run([sys.executable, "-c", os.environ["RUN_CODE"]], env=dict(os.environ, GLIA_SOCKET=sock))
'''

# What one command reports: its parent and library, or its error.
RUN = pylib.PRELUDE + '''
import os
try:
    import glia
    glia.load_library()
    out(ppid=os.getppid(), library=glia.library_manifest()["library"]["path"])
except Exception as e:
    out(ppid=os.getppid(), error=type(e).__name__, message=str(e))
'''


def shell(tmp_path, sockets, extra):
    env = pylib.script_env(tmp_path / "home", None, glia_env=None,
                           extra=dict(extra, RUN_CODE=RUN, RUN_SOCKETS=":".join(map(str, sockets))))
    return pylib.Script("/usr/bin/python3", SHELL, env, tmp_path)


def library_dir(d):
    """Where gliad d's builds go (its own cache, by the gliad fixture)."""
    return str(Path(d.config).parent / "cache")


@pytest.mark.parametrize("tasks", [{"SLURM_STEP_NUM_TASKS": "1"}, {"SLURM_NTASKS": "2"}],
                         ids=["srun-pty", "batch-of-2"])
def test_a_shells_runs_with_another_gliad_each_get_their_own_answer(gliad, tmp_path, tasks):
    site = bl.make_site(tmp_path / "site")
    run = gliad.base() / "run"  # one socket dir: the node's, where answers are shared
    ds = [gliad({"default": [site]}, socket_path=run / f"{x}.sock") for x in "ab"]
    s = shell(tmp_path, [d.socket for d in ds],
              dict(tasks, SLURM_PROCID="0", SLURM_JOB_ID="77", SLURM_STEP_ID="0"))
    try:
        s.wait_for("run1")
        s.go()
        o = s.finish()
        o.ok()
        runs = o.results
    finally:
        s.close()
    assert len(runs) == 2 and runs[0]["ppid"] == runs[1]["ppid"], runs
    for r, d in zip(runs, ds):
        assert "library" in r and r["library"].startswith(library_dir(d)), (runs, library_dir(d))


def test_a_passing_error_or_a_removed_library_is_not_shared(gliad, tmp_path):
    """A job of 2 tasks whose first rank finds no gliad, the next one gliad
    A, the last one gliad B after A's library was removed: each asks."""
    site = bl.make_site(tmp_path / "site")
    sock = gliad.base() / "run/gliad.sock"
    s = shell(tmp_path, [sock] * 3, dict(OMPI_COMM_WORLD_RANK="0", OMPI_COMM_WORLD_SIZE="2",
                                         GLIA_NO_AUTOSTART="1"))
    try:
        first = s.wait_for("run1")
        assert "not running" in first[0].get("message", ""), first
        a = gliad({"default": [site]}, socket_path=sock)
        s.go()
        second = s.wait_for("run2")[1]
        assert second.get("library", "").startswith(library_dir(a)), second
        a.stop()
        shutil.rmtree(library_dir(a))
        b = gliad({"default": [site]}, socket_path=sock)
        s.go()
        o = s.finish()
        o.ok()
        third = o.results[2]
    finally:
        s.close()
    assert third.get("library", "").startswith(library_dir(b)), third
    assert first[0]["error"] == "GliaError", first  # as without MPI: no gliad's code


def rank_env(tmp_path, **extra):
    """A rank of a job of 2 (Open MPI's variables), asking for itself."""
    return pylib.script_env(tmp_path / "home", None, glia_env=None, extra=dict(
        extra, OMPI_COMM_WORLD_RANK="0", OMPI_COMM_WORLD_SIZE="2"))


def test_a_job_does_not_remove_a_running_jobs_files(gliad, tmp_path):
    """The asking rank removes the files of jobs over a day old, but not
    those of a job whose lock is held: its ranks wait on that very lock."""
    import fcntl
    import time

    d = gliad()
    run = Path(d.socket).parent
    files = {n: run / f"mpi-{n}" for n in ("old.lock", "old.answer", "held.lock", "held.answer")}
    two_days_ago = time.time() - 2 * 86400
    for p in files.values():
        p.write_bytes(b"")
        os.utime(p, (two_days_ago, two_days_ago))
    fd = os.open(files["held.lock"], os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        r = subprocess.run(["/usr/bin/python3", "-c", RUN], env=dict(rank_env(tmp_path),
                           GLIA_SOCKET=d.socket), capture_output=True, text=True,
                           timeout=pylib.SCRIPT_TIMEOUT)
    finally:
        os.close(fd)
    assert "RESULT" in r.stdout, r  # it asked gliad (its answer: no library in an empty env)
    assert {n for n, p in files.items() if p.exists()} == {"held.lock", "held.answer"}, r


def test_an_unusable_node_dir_is_named(tmp_path):
    """XDG_RUNTIME_DIR inherited from another host or session and missing:
    the error names the directory the ranks would share."""
    (tmp_path / "file").write_text("")
    run = tmp_path / "file/run"
    r = subprocess.run(["/usr/bin/python3", "-c", RUN], capture_output=True, text=True,
                       env=rank_env(tmp_path, XDG_RUNTIME_DIR=run, GLIA_SOCKET=None),
                       timeout=pylib.SCRIPT_TIMEOUT)
    said = pylib.Outcome(r.returncode, r.stdout, r.stderr).ok()
    assert said["error"] == "GliaError" and f"cannot make {run}/glia" in said["message"], said
