"""The `glia` command of a pip-installed module: gliactl under the Python
Glia's name (a meson install makes `glia` a link to gliactl instead)."""

import os
import shutil
import sys


def main():
    exe = shutil.which("gliactl")
    if exe is None:
        sys.stderr.write("glia: gliactl is not installed (meson install puts it on PATH)\n")
        return 3
    args = sys.argv[1:]
    if not any(a == "--env" or a.startswith("--env=") for a in args):
        # This Python's environment, as importing glia registered it: the
        # one gliad answered (a configured one serving these site-packages
        # keeps its own name), not gliactl's `default`.
        from . import _manager

        if _manager._env:
            args = ["--env", _manager._env] + args
    os.execv(exe, ["glia"] + args)


if __name__ == "__main__":
    sys.exit(main())
