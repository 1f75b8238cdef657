#!/usr/bin/python3
"""Writes a fake site-packages of Glia 4-layout packages for the scan benchmark.

Each package is what pip would leave behind, minus what gliad never reads:

    <pkg>-1.0.dist-info/entry_points.txt   [glia.package] <pkg>=<pkg>:package
    <pkg>/mods/<asset>__<variant>.mod      SUFFIX/POINT_PROCESS glia__<pkg>__<asset>__<variant>

The mods are copies of NEURON's demo mods and the suite's glia_test_mods
(tests/data)
with their mechanism renamed, so the parser sees real-world text (comments,
VERBATIM, units) rather than a synthetic minimum. The last few mods of each
package are a second variant of an earlier asset, so some assets have two
candidates and resolving them takes the variant-0 tie break.

Usage: make_site.py SITE_DIR [--packages 50] [--mods 20]
Prints one asset that resolves, and its expected full name.
"""

import argparse
import glob
import os
import re
import sys

# The suite's own Glia package (tests/data), written for this repository.
TEST_PACKAGE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "glia_test_mods")
SOURCES = sorted(glob.glob("/usr/share/nrn/demo/release/*.mod")) + sorted(
    glob.glob(os.path.join(TEST_PACKAGE, "glia_test_mods", "mods", "*.mod"))
)
# The name follows the keyword on the same line; only the NEURON block has these.
NAME_LINE = re.compile(rb"^(\s*(?:SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)\s+)(\w+)", re.M)
SECOND_VARIANTS = 5  # of the 20 mods per package, how many are variant "1"


def renamed(text, full):
    new, n = NAME_LINE.subn(lambda m: m.group(1) + full.encode(), text, count=1)
    if n != 1:
        raise ValueError("no SUFFIX/POINT_PROCESS/ARTIFICIAL_CELL line")
    return new


def asset_name(src, p, index):
    # A readable stem from the source file; single underscores only, since
    # "__" separates the parts of a Glia name. The package's number keeps
    # assets apart between packages: a shared asset would be ambiguous.
    stem = re.sub(r"[^A-Za-z0-9]+", "_", os.path.basename(src)[:-4]).strip("_")
    return f"{stem}_{p:02d}_{index:02d}"


def package_name(p):
    return f"bench_p{p:02d}"


def write_package(site, p, sources, nmods):
    pkg = package_name(p)
    info = os.path.join(site, f"{pkg}-1.0.dist-info")
    mods = os.path.join(site, pkg, "mods")
    os.makedirs(info)
    os.makedirs(mods)
    with open(os.path.join(info, "entry_points.txt"), "w") as f:
        f.write(f"[glia.package]\n{pkg}={pkg}:package\n")
    with open(os.path.join(info, "METADATA"), "w") as f:  # for importlib.metadata
        f.write(f"Metadata-Version: 2.1\nName: {pkg}\nVersion: 1.0\n")
    open(os.path.join(site, pkg, "__init__.py"), "w").close()
    nassets = nmods - SECOND_VARIANTS
    for k in range(nmods):
        a = k if k < nassets else k - nassets
        variant = "0" if k < nassets else "1"
        src = sources[a % len(sources)]
        asset = asset_name(src, p, a)
        with open(src, "rb") as f:
            text = f.read()
        path = os.path.join(mods, f"{asset}__{variant}.mod")
        with open(path, "wb") as f:
            f.write(renamed(text, f"glia__{pkg}__{asset}__{variant}"))


def write_site(site, packages, mods):
    if len(SOURCES) < 2:
        sys.exit("make_site.py: no source mods found (is the neuron package installed?)")
    if mods <= SECOND_VARIANTS:
        sys.exit(f"make_site.py: --mods must be more than {SECOND_VARIANTS}")
    os.makedirs(site, exist_ok=True)
    for p in range(packages):
        # Rotate the sources so packages differ in what they hold.
        rot = p % len(SOURCES)
        write_package(site, p, SOURCES[rot:] + SOURCES[:rot], mods)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site")
    ap.add_argument("--packages", type=int, default=50)
    ap.add_argument("--mods", type=int, default=20)
    args = ap.parse_args()
    write_site(args.site, args.packages, args.mods)
    # An asset of the middle package with two variants: resolving it runs
    # the tie break, the longer path through the resolver.
    p = args.packages // 2
    asset = asset_name(SOURCES[p % len(SOURCES)], p, 0)
    print(asset, f"glia__{package_name(p)}__{asset}__0")


if __name__ == "__main__":
    main()
