"""A build cancelled for another reason than a newer change says why: gliad
stopping, or its environment removed (by SIGHUP or env.forget). Once all
three logged "overtaken by a newer change".

The build is held in flight by a cc that holds the mod named Slow.
"""

import re
import signal

import pytest

import buildlib as bl
import glia_testlib as lib


class Slow:
    """A gliad (log level debug) whose environment `slow` (when in the
    config) or any registered on self.site, never finishes its build."""

    def __init__(self, gliad, tmp_path, *, in_config=True):
        src = tmp_path / "src"
        self.site = tmp_path / "slow"
        lib.Venv(tmp_path / "venv", with_pip=False).install_target(
            self.site, lib.write_package(src, "glia_slow", {
                "mods/Slow__0.mod": bl.tiny_mod("glia__glia_slow__Slow__0")}))
        self.base = gliad.base()
        (self.base / "empty-site").mkdir()
        self.cc = bl.HeldCc(self.base / "heldcc", "Slow")
        self.sections = {"neuron": {"cc": self.cc.path}}
        envs = {"default": [self.base / "empty-site"]}
        if in_config:
            envs["slow"] = [self.site]
        self.d = gliad(config_text=self.config(envs), base=self.base)

    def config(self, envs):
        return bl.config_text(self.base, envs, daemon={"log_level": "debug"},
                              sections=self.sections)

    def wait_compiling(self):
        self.cc.wait_held()


def cancel_lines(log):
    """gliad's lines about the end of slow's unfinished build."""
    return [line for line in log.splitlines()
            if re.search(r"\[slow\] build \d+ (cancelled|overtaken)", line)]


def test_sigterm_cancels_the_build_saying_gliad_shuts_down(gliad, tmp_path):
    s = Slow(gliad, tmp_path)
    s.wait_compiling()
    s.d.stop(signal.SIGTERM)  # checked: exit 0, no compiler left behind
    (line,) = cancel_lines(s.d.stderr())
    assert line.endswith(" cancelled: gliad is shutting down"), line


@pytest.mark.parametrize("how", ["sighup", "forget"])
def test_removing_an_environment_cancels_its_build_saying_so(gliad, tmp_path, how):
    s = Slow(gliad, tmp_path, in_config=how == "sighup")
    d = s.d
    if how == "sighup":
        s.wait_compiling()
        d.config.write_text(s.config({"default": [s.base / "empty-site"]}))
        d.send_signal(signal.SIGHUP)
    else:
        d.ok("env.register", {"name": "slow", "site_packages": [str(s.site)]})
        s.wait_compiling()
        d.ok("env.forget", {"name": "slow"})
    lib.wait_for(lambda: cancel_lines(d.stderr()), what="gliad to log the cancel")
    (line,) = cancel_lines(d.stderr())
    assert line.endswith(" cancelled: the environment was removed"), line
    assert [e["name"] for e in d.ok("envs")] == ["default"]
