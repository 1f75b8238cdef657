#!/usr/bin/env python3
"""Differential test of gliad's mod reader against nocmodl.

For every seed mod (tests/data, Debian's demo mods, examples/, tests/diff/mods)
and generated variants of them (mod_variants.py), nocmodl's generated C says
what NEURON will register; gliad's reading (modfile_dump) must agree on the
mechanism's name and kind, its ions and valences, its global hoc variables and
its hoc functions. The text a build compiles once it renamed the mechanism
must make nocmodl register it under the new name. Where nocmodl refuses a
mod, gliad must say so at a line: its parser refuses it, or the build's
diagnostic of nocmodl's words has one.

    modfile_diff.py --dump build/tests/diff/modfile_dump [--cases N | --seconds T]
                    [--seed S] [--keep DIR] [--seeds MODS_DIR]...

Exits 1 on a disagreement, printing each with the variant's text kept in
--keep (default: a temporary dir) to turn into a regression case.
"""
import argparse
import collections
import glob
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import mod_variants  # noqa: E402
import nocmodl_oracle  # noqa: E402

DEMO_DIR = "/usr/share/nrn/demo/release"


def seed_mods(extra=()):
    """The suite's mods, and those under the dirs in `extra` (--seeds)."""
    paths = []
    patterns = [os.path.join(ROOT, "tests", "data", "**", "*.mod"),
                os.path.join(DEMO_DIR, "*.mod"),
                os.path.join(ROOT, "examples", "**", "*.mod"),
                os.path.join(HERE, "mods", "*.mod")]
    for pattern in patterns + [os.path.join(d, "**", "*.mod") for d in extra]:
        paths += sorted(glob.glob(pattern, recursive=True))
    return paths


def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


def encode(text):
    return text.encode("utf-8", "surrogateescape")


def gliad_reading(dump, paths):
    out = subprocess.run([dump] + paths, stdout=subprocess.PIPE, check=False).stdout
    return [json.loads(line) for line in out.decode().splitlines()]


def gliad_diag_line(dump, output, mod_path, workdir):
    out_path = os.path.join(workdir, "nocmodl.out")
    with open(out_path, "w", encoding="latin-1") as f:
        f.write(output)
    out = subprocess.run([dump, "--diag", out_path, mod_path], stdout=subprocess.PIPE,
                         check=True).stdout
    return json.loads(out)["line"]


RENAMED = "glia__diff__renamed__0"


def renamed_problems(dump, mod_path, cwd, oracle):
    """nocmodl on the build's renamed copy, saved as the build saves it."""
    text = subprocess.run([dump, "--rename", RENAMED, mod_path], stdout=subprocess.PIPE,
                          check=True).stdout
    again = nocmodl_oracle.run(text, RENAMED, os.path.dirname(mod_path), cwd)
    if not again["ok"]:
        return ["rename: nocmodl refuses the renamed copy: %s" % again["output"][-200:]]
    if (again["name"], again["kind"]) != (RENAMED, oracle["kind"]):
        return ["rename: the renamed copy registers %s %s" % (again["kind"], again["name"])]
    return []


def _valence(v):
    return None if v is None else float(v.replace(" ", ""))


def compare(oracle, mine):
    """The kinds of disagreement between nocmodl's registration and gliad's reading."""
    if not mine["ok"]:
        return ["refused: nocmodl accepts, gliad says line %d: %s"
                % (mine["line"], mine["message"])]
    problems = []
    if oracle["kind"] != mine["kind"]:
        problems.append("kind: nocmodl %s, gliad %s" % (oracle["kind"], mine["kind"]))
    if oracle["name"] != mine["name"]:
        problems.append("name: nocmodl %s, gliad %s" % (oracle["name"], mine["name"]))
    ions = {}
    for ion, valence in mine["ions"].items():
        ions[ion] = _valence(valence)
    if oracle["ions"] != ions:
        problems.append("ions: nocmodl %s, gliad %s" % (oracle["ions"], ions))
    if oracle["globals"] != set(mine["globals"]):
        problems.append("globals: nocmodl %s, gliad %s"
                        % (sorted(oracle["globals"]), sorted(mine["globals"])))
    if oracle["functions"] != set(mine["functions"]):
        problems.append("functions: nocmodl %s, gliad %s"
                        % (sorted(oracle["functions"]), sorted(mine["functions"])))
    return problems


def cases(n, seed, extra=()):
    """Every seed as it is, then n variants (endless when n is None):
    (label, seed path, text)."""
    seeds = seed_mods(extra)
    for path in seeds:
        yield "as-is", path, read(path)
    rng = random.Random(seed)
    texts = {p: read(p) for p in seeds}
    for _ in itertools.repeat(None) if n is None else range(n):
        path = rng.choice(seeds)
        labels, text = mod_variants.variant(texts[path], rng)
        yield "+".join(labels), path, text


def check_batch(dump, batch, workdir):
    """Runs both readers on a batch; returns [(case, problems)] with each problem's kind."""
    results = []
    oracles = []
    for i, (label, path, text) in enumerate(batch):
        case_dir = os.path.join(workdir, "case%d" % i)
        os.makedirs(case_dir, exist_ok=True)
        stem = os.path.splitext(os.path.basename(path))[0]
        oracles.append(nocmodl_oracle.run(encode(text), stem, case_dir, os.path.dirname(path)))
    paths = [os.path.join(workdir, "case%d" % i,
                          os.path.splitext(os.path.basename(p))[0] + ".mod")
             for i, (_, p, _) in enumerate(batch)]
    readings = gliad_reading(dump, paths)
    for case, oracle, mine, mod_path in zip(batch, oracles, readings, paths):
        if oracle["ok"]:
            problems = compare(oracle, mine)
            if not problems and mine["kind"] != "nothing":
                problems = renamed_problems(dump, mod_path, os.path.dirname(case[1]), oracle)
        elif not mine["ok"]:
            problems = [] if mine["line"] >= 1 else ["refusal without a line: %s"
                                                     % mine["message"]]
        elif oracle["line"] is None:
            problems = []  # nocmodl crashed or named no line: there is none to show
        else:
            line = gliad_diag_line(dump, oracle["output"], mod_path, os.path.dirname(mod_path))
            problems = [] if line >= 1 else [
                "nocmodl refuses, gliad's build diagnostic has no line: %s"
                % oracle["output"].strip().splitlines()[-1:]]
        results.append((case, oracle, problems))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dump", required=True, help="the modfile_dump program")
    ap.add_argument("--cases", type=int, default=400, help="generated variants (default 400)")
    ap.add_argument("--seconds", type=float,
                    help="generate variants until this time is up (instead of --cases)")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--keep", help="dir to keep disagreeing variants in")
    ap.add_argument("--seeds", action="append", default=[], metavar="DIR",
                    help="more mods to start from: every *.mod under DIR (repeatable)")
    args = ap.parse_args()
    if not nocmodl_oracle.find_nocmodl():
        print("modfile_diff: nocmodl not found (apt-get install neuron)", file=sys.stderr)
        return 77  # meson's "skipped"
    keep = args.keep or tempfile.mkdtemp(prefix="modfile-diff-")
    os.makedirs(keep, exist_ok=True)
    counts = collections.Counter()
    kinds = collections.Counter()
    bad = total = 0
    deadline = time.monotonic() + args.seconds if args.seconds else None
    stream = cases(None if deadline else args.cases, args.seed, args.seeds)
    with tempfile.TemporaryDirectory() as work:
        for start in itertools.count(0, 100):
            batch = list(itertools.islice(stream, 100))
            if not batch or (deadline and time.monotonic() > deadline):
                break
            total += len(batch)
            for i, (case, oracle, problems) in enumerate(
                    check_batch(args.dump, batch, os.path.join(work, str(start)))):
                counts["accepted" if oracle["ok"] else "refused"] += 1
                if not problems:
                    continue
                label, path, text = case
                bad += 1
                saved = os.path.join(keep, "%05d-%s" % (start + i, os.path.basename(path)))
                with open(saved, "wb") as f:
                    f.write(encode(text))
                for p in problems:
                    kinds[p.split(":")[0]] += 1
                    print("%s (%s of %s): %s" % (saved, label, path, p))
    nseeds = len(seed_mods(args.seeds))
    print("modfile_diff: seed %d: %d cases (%d mods as they are, %d variants; nocmodl accepted "
          "%d, refused %d); %d disagree%s" % (
              args.seed, total, nseeds, total - nseeds, counts["accepted"], counts["refused"],
              bad, "".join("; %s: %d" % kv for kv in sorted(kinds.items()))))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
