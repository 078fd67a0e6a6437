"""The README's and the guides' examples run as written.

Python: every ```python block of README.md and docs/*.md is a complete program and runs, with
the installed netgear_rs, to exit status 0 and no traceback. A block that sends with
NetGear_Async runs as a pair with the next block that receives (``receive_mode=True``) in the
same file, or the one before it: the receiver first, then the sender, on a port of their own
(``port_below_ephemeral``, the default the programs leave out). A block that is not a whole
program must say so in its info string, ```python fragment: it is not run, and an unmarked one
that does not run fails here.

Around each program, and nothing in it changed: its working directory holds a short test
clip as ``foo.mp4`` (vidgear's examples read that name), and ``cv2.imshow``, ``cv2.waitKey``
and ``cv2.destroyAllWindows`` do nothing where OpenCV has no window (a headless build), as
python/examples/fallback.py does.

Shell: every ``netgear SUBCOMMAND --flag`` written in the README and the guides (in ```sh
blocks and in code spans) names a subcommand and flags that ``netgear SUBCOMMAND --help`` of
the built command lists."""

import glob
import os
import re
import subprocess
import sys

import pytest

from conftest import GUARD, ROOT, port_below_ephemeral

PAGES = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))

# Runs a block as __main__, with the port the test chose as NetGear_Async's default and
# OpenCV's window calls harmless where there is no window.
RUNNER = r"""
import os, runpy, sys
import netgear_rs

_Base = netgear_rs.NetGear_Async
_port = os.environ["NETGEAR_DOCS_PORT"]

class NetGear_Async(_Base):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("port", _port)
        super().__init__(*args, **kwargs)

netgear_rs.NetGear_Async = NetGear_Async

try:
    import cv2
except ImportError:
    cv2 = None
if cv2 is not None:
    def _quiet(call, default=None):
        def wrapped(*args, **kwargs):
            try:
                return call(*args, **kwargs)
            except cv2.error:  # no display, or OpenCV without a GUI
                return default
        return wrapped
    cv2.imshow = _quiet(cv2.imshow)
    cv2.waitKey = _quiet(cv2.waitKey, -1)
    cv2.destroyAllWindows = _quiet(cv2.destroyAllWindows)

sys.argv = [sys.argv[1]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def blocks(path):
    """The fenced blocks of a markdown file: (info string, first line number, text)."""
    found, info, start, lines = [], None, 0, []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.lstrip().startswith("```"):
                if info is None:
                    info, start, lines = line.strip()[3:].strip(), n + 1, []
                else:
                    found.append((info, start, "".join(lines)))
                    info = None
            elif info is not None:
                lines.append(line)
    return found


def python_programs():
    """Every ```python block that is not marked a fragment, grouped into what runs together:
    a sender with its receiver, or a program alone."""
    runs = []
    for page in PAGES:
        programs = []
        for info, line, text in blocks(page):
            words = info.replace(",", " ").split()
            if not words or words[0] != "python" or "fragment" in words[1:]:
                continue
            name = "{}:{}".format(os.path.relpath(page, ROOT), line)
            if "NetGear_Async(" not in text:
                role = "alone"
            elif re.search(r"receive_mode\s*=\s*True", text):
                role = "receiver"
            else:
                role = "sender"
            programs.append((name, role, text))
        pending = {"sender": [], "receiver": []}
        for name, role, text in programs:
            if role == "alone":
                runs.append(pytest.param([(name, role, text)], id=name))
                continue
            other = "receiver" if role == "sender" else "sender"
            if pending[other]:
                partner = pending[other].pop(0)
                pair = sorted([partner, (name, role, text)], key=lambda p: p[1] != "receiver")
                runs.append(pytest.param(pair, id="{}+{}".format(pair[1][0], pair[0][0])))
            else:
                pending[role].append((name, role, text))
        for name, role, _ in pending["sender"] + pending["receiver"]:
            runs.append(pytest.param([(name, "unpaired " + role, "")], id=name))
    return runs


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("docs-clip") / "foo.mp4")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=640x480:rate=30", "-t", "2", "-pix_fmt", "yuv420p", path],
                   check=True)
    return path


def test_the_guides_have_python_programs():
    names = [p.id for p in python_programs()]
    assert any("README.md" in n for n in names), names
    assert any("docs/python.md" in n for n in names), names


@pytest.mark.parametrize("programs", python_programs())
def test_python_block_runs(programs, tmp_path, clip):
    for name, role, _ in programs:
        assert not role.startswith("unpaired"), (
            "{}: a NetGear_Async {} with no {} in the same file to run with: add one, or "
            "mark the block ```python fragment".format(
                name, role.split()[1], "receiver" if role.endswith("sender") else "sender"))
    os.symlink(clip, str(tmp_path / "foo.mp4"))
    env = dict(os.environ, NETGEAR_DOCS_PORT=str(port_below_ephemeral()))
    procs = []
    try:
        for n, (name, role, text) in enumerate(programs):
            path = tmp_path / "block{}.py".format(n)
            path.write_text(text)
            procs.append((name, subprocess.Popen(
                [sys.executable, "-c", RUNNER, str(path)], cwd=str(tmp_path), env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        for name, proc in reversed(procs):  # the sender ends first, then its receiver
            try:
                out, err = proc.communicate(timeout=GUARD)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                raise AssertionError("hang guard: {} did not end\n{}".format(name, err[-3000:]))
            assert proc.returncode == 0 and "Traceback" not in err, (
                "{} (exit {}): a block that is not a whole program must be marked ```python "
                "fragment\n{}\n{}".format(name, proc.returncode, out[-2000:], err[-3000:]))
    finally:
        for _, proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def commands():
    """Every `netgear SUB ...` in the README and the guides, in sh blocks and code spans:
    (where, subcommand, [flags])."""
    found = []
    pattern = re.compile(r"(?:^|[\s;&|(])netgear\s+([a-z][a-z-]*)((?:\\\n|[^\n`;&|#])*)")
    for page in PAGES:
        rel = os.path.relpath(page, ROOT)
        with open(page) as f:
            text = f.read()
        texts = [(line, body) for info, line, body in blocks(page) if info in ("sh", "bash")]
        fenced = False
        for n, line in enumerate(text.split("\n"), 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if not fenced:
                texts += [(n, span) for span in line.split("`")[1::2]]
        for line, body in texts:
            for m in pattern.finditer(body):
                flags = re.findall(r"(?:^|[\s\[])(--[a-z][a-z0-9-]*)", m.group(2))
                found.append(("{}:{}".format(rel, line), m.group(1), flags))
    return found


def test_every_netgear_command_in_the_docs_exists(netgear_bin):
    def help_of(*sub):
        out = subprocess.run([netgear_bin] + list(sub) + ["--help"], capture_output=True,
                             text=True, timeout=GUARD)
        assert out.returncode == 0, (sub, out.stderr)
        return out.stdout

    top = help_of()
    subcommands = set(re.findall(r"^\s{2}([a-z][a-z-]*)\s", top.split("Commands:")[1]
                                 .split("Options:")[0], re.M))
    found = commands()
    assert len(found) > 20, found
    wrong = []
    flags_of = {}
    for where, sub, flags in found:
        if sub not in subcommands:
            wrong.append("{}: netgear {}: no such subcommand ({})".format(
                where, sub, ", ".join(sorted(subcommands))))
            continue
        if sub not in flags_of:
            flags_of[sub] = set(re.findall(r"(--[a-z][a-z0-9-]*)", help_of(sub)))
        for flag in flags:
            if flag not in flags_of[sub]:
                wrong.append("{}: netgear {} {}: no such flag".format(where, sub, flag))
    assert not wrong, "\n".join(wrong)
