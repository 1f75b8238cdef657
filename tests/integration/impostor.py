"""An impostor gliad: what another user can serve on a socket a client is
pointed at. It answers msgpack-RPC requests with canned results and reports,
one JSON line each on stdout, every connection it accepts and every read, so a
test can tell whether a client sent it anything at all.

The test binds the socket itself (where it wants it) and hands it over as a
file descriptor; the impostor listens on it as whichever user runs it (the
listener's uid is what SO_PEERCRED shows a client). Run with the source of this
file as `python3 -c`: a user other than the test's may be unable to read the
clone.
"""

import json
import socket
import subprocess
import sys
import threading

_out = threading.Lock()


def _report(event):
    """One JSON line per event. print() writes the text and its newline
    apart, so two connections' threads could run their lines together."""
    with _out:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()


def _answer(conn, answers):
    import msgpack

    _report({"connected": True})
    unpacker = msgpack.Unpacker(raw=False)
    while True:
        data = conn.recv(65536)
        if not data:
            return
        _report({"received": len(data)})
        unpacker.feed(data)
        for msg in unpacker:
            if msg[0] != 0:
                continue
            res = answers.get(msg[2])
            err = None if res is not None else {"code": "unknown_method", "message": msg[2]}
            conn.sendall(msgpack.packb([1, msg[1], err, res]))


def _serve(fd, answers):
    srv = socket.socket(fileno=fd)
    srv.listen()
    _report({"ready": True})
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=_answer, args=(conn, answers), daemon=True).start()


class Impostor:
    """Serves `answers` ({method: result}) on socket_path; `prefix` runs it
    as another user (setpriv ...)."""

    def __init__(self, socket_path, answers, prefix=()):
        self.path = str(socket_path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(self.path)
            fd = listener.fileno()
            code = open(__file__).read()
            self.proc = subprocess.Popen(
                [*prefix, "/usr/bin/python3", "-c", code, str(fd), json.dumps(answers)],
                pass_fds=(fd,), stdout=subprocess.PIPE, text=True, cwd="/")
        finally:
            listener.close()
        first = self.proc.stdout.readline()
        assert json.loads(first or "{}").get("ready"), f"the impostor did not start: {first!r}"

    def stop(self):
        """Every event it reported: [{"connected": True} | {"received": n}]."""
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        return [json.loads(l) for l in out.splitlines()]


if __name__ == "__main__":
    _serve(int(sys.argv[1]), json.loads(sys.argv[2]))
