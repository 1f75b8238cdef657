"""Under MPI: one rank per node asks gliad, the node's other ranks are told.

`mpirun -np 512 python model.py` must not open 512 connections to gliad,
nor start a gliad per rank when none runs. Nothing here needs MPI itself
(mpi4py, or NEURON's ParallelContext, need not be initialised when glia is
imported, and initialising MPI is the script's business): the ranks of a
node share a node-local directory (the one of gliad's socket, this user's
alone), and that is enough.

- A process is an MPI rank when the launcher says so in its environment
  (OMPI_COMM_WORLD_RANK, PMI_RANK, PMIX_RANK, SLURM_PROCID).
- The ranks of one job on one node take an exclusive lock on one file
  named by the job (below). The first to hold it finds no answer yet: it
  asks gliad (starting it if need be) for everything a manifest holds
  (`bundle`: the library, every candidate, the global preferences) and
  writes that, or the error it got, to the answer file (a temporary name,
  renamed) before it lets go. Every later rank waits on the lock (no
  polling) and reads the answer.
- Every rank then resolves over that one manifest by gliad's rules
  (_bundle.py) and loads the one library it names: the same answers on
  every rank, and a failure on the asking rank is raised on every rank,
  with gliad's own words.

The job is named by the launcher's job id when it gives one (PMIX_NAMESPACE,
OMPI_MCA_ess_base_jobid, SLURM_JOB_ID and SLURM_STEP_ID: Open MPI's repeat
across runs) and by the process that launched the ranks on this node (its
pid and start time: a pid used again is another job). The files stay for
the job's life: a rank may come to ask long after the asking one is done
(8 ranks on 2 cores: the asking one had finished, and removed them, before
the last one imported glia). The asking rank of a later job removes those
older than a day.
"""

import os
import time

from ._rpc import packb, unpackb  # the answer's format: the wire's

RANK_VARS = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID")
JOB_VARS = ("PMIX_NAMESPACE", "OMPI_MCA_ess_base_jobid", "SLURM_JOB_ID", "SLURM_STEP_ID")

_daemon = None  # the asking rank's connection, kept for its life (one per node)


def rank():
    """This process's rank in the job, or None when not launched by MPI."""
    for v in RANK_VARS:
        r = os.environ.get(v)
        if r is not None and r.strip().isdigit():
            return int(r)
    return None


def _start_time(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return "?"


def job_key():
    """What names this job's files on this node (see the module's doc)."""
    ppid = os.getppid()
    ids = [f"{v}={os.environ[v]}" for v in JOB_VARS if os.environ.get(v)]
    ids.append(f"ppid={ppid}@{_start_time(ppid)}")
    # A file name: the ids' letters, digits and dots, the rest as "-".
    return "".join(c if c.isascii() and (c.isalnum() or c == ".") else "-"
                   for c in "_".join(ids))[:120]


def _node_dir():
    """gliad's socket dir: node-local, this user's, checked as the socket's is."""
    from . import _rpc

    d = os.path.dirname(os.path.abspath(_rpc.default_socket()))
    os.makedirs(d, mode=0o700, exist_ok=True)
    _rpc._check_socket_dir(os.path.join(d, "gliad.sock"))
    return d


def _ask_gliad():
    """What the node's ranks are told: {"manifest", "library"} or {"error"}."""
    global _daemon
    from . import _rpc
    from ._glia import register_env
    from .exceptions import GliaError

    try:
        conn = _rpc.connect_daemon()
        name = register_env(conn)
        r = conn.call("bundle", {"env": name, "sync": True})
    except _rpc.DaemonError as e:
        return {"error": e.data}
    except GliaError as e:
        return {"error": {"code": "unreachable", "message": str(e)}}
    _daemon = (conn, name)
    return {"manifest": r, "library": r["library"]["path"]}


def _write(path, answer):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(packb(answer))
    os.rename(tmp, path)


def _read(path):
    """The answer at path, or None when there is none yet."""
    try:
        with open(path, "rb") as f:
            return unpackb(f.read())
    except FileNotFoundError:
        return None


def _tell_loaded(params):
    """The asking rank's load keeps the library from gliad's GC."""
    conn, name = _daemon
    return conn.call("loaded", dict(params, env=name))


def _sweep(d, days=1):
    """Removes the answers and locks of jobs over `days` old."""
    old = time.time() - days * 86400
    for name in os.listdir(d):
        if name.startswith("mpi-"):
            p = os.path.join(d, name)
            try:
                if os.stat(p).st_mtime < old:
                    os.unlink(p)
            except OSError:
                pass


def join_node():
    """On an MPI rank: take this node's shared answer (asking gliad if this
    rank is the first) and serve from it; elsewhere nothing."""
    import fcntl

    from . import _bundle, _rpc

    if rank() is None or os.environ.get("GLIA_MPI") == "0":
        return
    d = _node_dir()
    key = job_key()
    lock_path, answer_path = os.path.join(d, f"mpi-{key}.lock"), os.path.join(d, f"mpi-{key}.answer")
    answer = _read(answer_path)
    if answer is None:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if not os.path.exists(answer_path):
                _write(answer_path, _ask_gliad())
                _sweep(d)
        finally:
            os.close(fd)
        # Read with the lock let go: the ranks waiting for it read at once,
        # not one after the other (the answer is renamed into place whole).
        answer = _read(answer_path)
    if "error" in answer:
        raise _rpc.DaemonError(answer["error"])
    m = _bundle.Manifest(answer["manifest"], answer["library"])
    _bundle.use_manifest(m, _tell_loaded if _daemon is not None else None)
