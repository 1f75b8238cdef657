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
    os.execv(exe, ["glia"] + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
