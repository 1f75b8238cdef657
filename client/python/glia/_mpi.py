"""Under MPI: one rank per node asks gliad, the node's other ranks are told.

`mpirun -np 512 python model.py` must not open 512 connections to gliad,
nor start a gliad per rank when none runs. Nothing here needs MPI itself
(mpi4py, or NEURON's ParallelContext, need not be initialised when glia is
imported, and initialising MPI is the script's business): the ranks of a
node share a node-local directory (the one of gliad's socket, this user's
alone), and that is enough.

- A process shares when the launcher says it is a rank of a job of more
  than one task (a rank: OMPI_COMM_WORLD_RANK, PMI_RANK, PMIX_RANK or
  SLURM_PROCID; the size: OMPI_COMM_WORLD_SIZE, PMI_SIZE,
  SLURM_STEP_NUM_TASKS or SLURM_NTASKS). `srun --pty bash` is a job of one
  task whose every command has SLURM_PROCID=0: each asks for itself.
- The ranks of one job on one node take an exclusive lock on one file
  named by the job (below). The first to hold it finds no answer yet: it
  asks gliad (starting it if need be) for everything a manifest holds
  (`bundle`: the library, every candidate, the global preferences) and
  writes that, or an error asking again would not change, to the answer
  file (a temporary name, renamed) before it lets go. Every later rank
  waits on the lock (no polling) and reads the answer; it asks gliad
  itself when there is none (the asking one got a passing error, such as
  a gliad shutting down) or the library it names is gone.
- Every rank then resolves over that one manifest by gliad's rules
  (_bundle.py) and loads the one library it names: the same answers on
  every rank, and a lasting failure on the asking rank is raised on every
  rank, with gliad's own words.

The job is named by the launcher's job id when it gives one (PMIX_NAMESPACE,
OMPI_MCA_ess_base_jobid, SLURM_JOB_ID and SLURM_STEP_ID: Open MPI's repeat
across runs), by the process that launched the ranks on this node (its
pid and start time: a pid used again is another job) and by what makes an
answer this process's (sys.prefix, GLIA_ENV, GLIA_SOCKET), hashed. The
files stay for the job's life: a rank may come to ask long after the asking
one is done (8 ranks on 2 cores: the asking one had finished, and removed
them, before the last one imported glia). The asking rank of a later job
removes those older than a day, but not a job's whose lock is held.
"""

import hashlib
import os
import sys
import time

from ._rpc import packb, unpackb  # the answer's format: the wire's

RANK_VARS = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID")
# The job's size, first found wins: Open MPI's and MPICH's own before
# Slurm's, as an mpirun inside `srun --pty bash` inherits the shell's.
SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS")
JOB_VARS = ("PMIX_NAMESPACE", "OMPI_MCA_ess_base_jobid", "SLURM_JOB_ID", "SLURM_STEP_ID")
# What makes one process's answer wrong for another of the same job: its
# environment (another venv registers another one) and its gliad.
ENV_VARS = ("GLIA_ENV", "GLIA_SOCKET")
# The errors asking again would not change, shared as an answer is; after
# any other (shutting_down, not_built, busy, ...) the next rank asks again.
LASTING_ERRORS = ("unknown_env", "env_overlap", "bad_request", "unknown_method")

_daemon = None  # the asking rank's connection, kept for its life (one per node)


def rank():
    """This process's rank in the job, or None when not launched by MPI."""
    for v in RANK_VARS:
        r = os.environ.get(v)
        if r is not None and r.strip().isdigit():
            return int(r)
    return None


def size():
    """The job's number of tasks, or None when the launcher does not say."""
    for v in SIZE_VARS:
        n = os.environ.get(v, "").strip()
        if n.isdigit():
            return int(n)
    return None


def sharing():
    """Whether this process is one of several ranks sharing an answer. A
    job of one task shares with nobody: in `srun --pty bash`, or a batch
    script, SLURM_PROCID is 0 for every command the shell runs, one after
    the other, each of which must ask for itself."""
    if os.environ.get("GLIA_MPI") == "0" or rank() is None:
        return False
    n = size()
    return n is not None and n > 1


def _start_time(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return "?"


def job_key():
    """What names this job's files on this node (see the module's doc): a
    hash, as ids and paths together may be longer than a file name."""
    ppid = os.getppid()
    ids = [f"{v}={os.environ[v]}" for v in JOB_VARS if os.environ.get(v)]
    ids.append(f"ppid={ppid}@{_start_time(ppid)}")
    ids.append(f"prefix={sys.prefix}")
    ids += [f"{v}={os.environ.get(v, '')}" for v in ENV_VARS]
    return hashlib.sha256("\0".join(ids).encode("utf-8", "surrogateescape")).hexdigest()


def _node_dir():
    """gliad's socket dir: node-local, this user's, checked as the socket's is."""
    from . import _rpc
    from .exceptions import GliaError

    d = os.path.dirname(os.path.abspath(_rpc.default_socket()))
    try:
        os.makedirs(d, mode=0o700, exist_ok=True)
    except OSError as e:
        raise GliaError(
            f"cannot make {d}, where the MPI ranks of a node share gliad's answer "
            f"(beside gliad's socket): {e.strerror or e}. Set GLIA_SOCKET to a path in a "
            "directory of this node that is yours, or XDG_RUNTIME_DIR to an existing one"
        ) from None
    _rpc._check_socket_dir(os.path.join(d, "gliad.sock"))
    return d


def _ask_gliad():
    """What the node's ranks are told: {"manifest", "library"}, or {"error"}
    when gliad refused. A gliad that cannot be reached raises its GliaError
    here, as it does without MPI (nothing to share: the next rank tries)."""
    global _daemon
    from . import _rpc
    from ._connection import register_env

    conn = _rpc.connect_daemon()
    try:
        name = register_env(conn)
        r = conn.call("bundle", {"env": name, "sync": True})
    except _rpc.DaemonError as e:
        conn.close()
        return {"error": e.data}
    except BaseException:
        conn.close()
        raise
    _daemon = (conn, name)
    return {"manifest": r, "library": r["library"]["path"]}


def _lasting(answer):
    """Whether an answer holds for the job's later ranks: a manifest whose
    library is still there (gliad's GC may remove one a long job's late
    rank would load), or an error that asking again would not change."""
    if answer is None:
        return False
    if "error" in answer:
        return (answer["error"] or {}).get("code") in LASTING_ERRORS
    return bool(answer.get("library")) and os.path.exists(answer["library"])


def _write(path, answer):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(packb(answer))
    os.rename(tmp, path)


def _read(path):
    """The answer at path, or None when there is none (or none readable)."""
    try:
        with open(path, "rb") as f:
            return unpackb(f.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # a torn or foreign file: asked again, and replaced


def _tell_loaded(params):
    """The asking rank's load keeps the library from gliad's GC."""
    conn, name = _daemon
    return conn.call("loaded", dict(params, env=name))


def _held(path):
    """Whether some process holds the lock at path (a job still deciding)."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def _sweep(d, days=1):
    """Removes the answers and locks of jobs over `days` old, but not those
    of a job whose lock is held: its ranks are waiting on that very file."""
    old = time.time() - days * 86400
    for name in os.listdir(d):
        if not name.startswith("mpi-"):
            continue
        p = os.path.join(d, name)
        lock = os.path.splitext(p)[0] + ".lock"
        try:
            if os.stat(p).st_mtime < old and not _held(lock):
                os.unlink(p)
        except OSError:
            pass


class _JobLock:
    """The exclusive lock of one job's files. The lock file may be swept
    (and made again by another rank) between our open and our flock:
    locked, it must still be the file at the path, else we lock again."""

    def __init__(self, path):
        self.path = path
        self.fd = None

    def __enter__(self):
        import fcntl

        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as e:
                raise _unshared(self.path, e) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    self.fd = fd
                    return self
            except FileNotFoundError:
                pass
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)

    def __exit__(self, *exc):
        os.close(self.fd)  # releases the lock
        return False


def _unshared(path, e):
    from .exceptions import GliaError

    return GliaError(
        f"cannot share gliad's answer among this node's MPI ranks in {path}: "
        f"{e.strerror or e}; GLIA_MPI=0 makes every rank ask gliad itself"
    )


def _shared_answer(d):
    """This job's answer on this node: the one a rank before wrote, else
    gliad's (kept for the ranks after when it lasts)."""
    key = job_key()
    lock_path, answer_path = (os.path.join(d, f"mpi-{key}.{x}") for x in ("lock", "answer"))
    answer = _read(answer_path)
    if _lasting(answer):
        return answer
    with _JobLock(lock_path):
        answer = _read(answer_path)
        if not _lasting(answer):
            answer = _ask_gliad()
            if _lasting(answer):
                try:
                    _write(answer_path, answer)
                except OSError as e:
                    raise _unshared(answer_path, e) from None
            _sweep(d)
    return answer


def join_node():
    """On a rank of a job of several: take this node's shared answer (asking
    gliad if this rank is the first) and serve from it; elsewhere nothing."""
    from . import _bundle, _rpc

    if not sharing():
        return
    answer = _shared_answer(_node_dir())
    if "error" in answer:
        raise _rpc.DaemonError(answer["error"])
    m = _bundle.Manifest(answer["manifest"], answer["library"])
    _bundle.use_manifest(m, _tell_loaded if _daemon is not None else None)
