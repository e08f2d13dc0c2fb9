"""Atomic writes and bounded reads: a reader sees an old or a new complete file, never a torn one, and never blocks."""

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import autodiff.files
import nn
from autodiff import Value, draw
from autodiff.files import atomic_write, read_limited
from autodiff.pictures.render import RenderError

ROOT = Path(__file__).resolve().parents[1]

SAVER = """
import sys
import nn
path, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
model = nn.MLP(3, [16, 16, 1], rng=seed)
for _ in range(count):
    nn.save(model, path)
"""

LOADER = """
import os, sys
import nn
path, done = sys.argv[1], sys.argv[2]
expected = [nn.MLP(3, [16, 16, 1], rng=seed).state_dict() for seed in (1, 2)]
loads = 0
while True:
    finished = os.path.exists(done)  # read before loading: one more load after the savers stop
    state = nn.load(path).state_dict()  # raises, and the process fails, on a torn file
    assert state in expected, "a load matched neither saved network"
    loads += 1
    if finished:
        break
print(loads)
"""


def python(code, *arguments):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code, *map(str, arguments)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_processes_saving_to_one_path_while_a_third_loads_in_a_loop(tmp_path):
    path, done = tmp_path / "model.json", tmp_path / "done"
    nn.save(nn.MLP(3, [16, 16, 1], rng=1), path)
    loader = python(LOADER, path, done)
    savers = [python(SAVER, path, seed, 150) for seed in (1, 2)]
    try:
        for saver in savers:
            _, errors = saver.communicate(timeout=300)
            assert saver.returncode == 0, errors
        done.touch()
        printed, errors = loader.communicate(timeout=300)
    finally:
        for process in (loader, *savers):
            process.kill()
            process.wait()
    assert loader.returncode == 0, errors
    assert int(printed) >= 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done", "model.json"]  # no temporary file left


def test_a_symlink_planted_where_a_temporary_file_could_go_is_never_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    target = tmp_path / "model.json"
    (tmp_path / "model.json.partial").symlink_to(victim)  # the old fixed temporary name
    nn.save(nn.MLP(2, [1], rng=0), target)
    draw(Value(1.0) * 2).save(tmp_path / "g.dot")
    assert victim.read_text() == "untouched"
    assert nn.load(target).nin == 2


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    target = tmp_path / "model.json"
    target.symlink_to(victim)
    nn.save(nn.MLP(2, [1], rng=0), target)
    assert victim.read_text() == "untouched"
    assert not target.is_symlink() and nn.load(target).nin == 2


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError])
def test_an_interrupted_save_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, failure):
    target = tmp_path / "model.json"
    nn.save(nn.MLP(2, [1], rng=0), target)
    old = target.read_bytes()

    def interrupted_fsync(descriptor):
        raise failure()

    monkeypatch.setattr(autodiff.files.os, "fsync", interrupted_fsync)
    with pytest.raises(failure):
        nn.save(nn.MLP(2, [1], rng=1), target)
    assert target.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_a_failed_render_leaves_the_old_picture(tmp_path, monkeypatch):
    picture = tmp_path / "g.svg"
    picture.write_text("<svg>old</svg>")

    def failing_render(*arguments, **keywords):
        raise RenderError("Graphviz failed")

    monkeypatch.setattr("autodiff.pictures.drawing.render", failing_render)
    with pytest.raises(RenderError):
        draw(Value(1.0) * 2).save(picture)
    assert picture.read_text() == "<svg>old</svg>"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]


def test_a_replaced_file_keeps_its_permissions_and_a_new_one_gets_the_usual(tmp_path):
    private = tmp_path / "private.json"
    private.write_text("{}")
    private.chmod(0o600)
    atomic_write(private, "new")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and private.read_text() == "new"
    fresh = atomic_write(tmp_path / "fresh.txt", b"bytes")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    assert fresh.read_bytes() == b"bytes"


def test_loading_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(pytest.raises(ValueError, nn.load, fifo)))
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():  # unblock the reader before failing
        with open(fifo, "wb"):
            pass
        reader.join()
        pytest.fail("nn.load blocked on a FIFO")
    assert "is not a regular file" in str(outcome[0].value)


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null"])
def test_loading_a_device_is_refused_unread(path):
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist on this system")
    with pytest.raises(ValueError, match="is not a saved network: it is not a regular file"):
        nn.load(path)


def test_loading_a_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="it is not a regular file"):
        nn.load(tmp_path)


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path):
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as file:
        file.truncate(nn.saving.MAX_FILE_BYTES + 1)  # sparse: no disk, and reading it would take seconds
    with pytest.raises(ValueError, match=f"holds {nn.saving.MAX_FILE_BYTES + 1} bytes, more than the limit"):
        nn.load(huge)


def test_read_limited_reads_a_file_up_to_the_limit(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"12345")
    assert read_limited(path, 5) == b"12345"
    with pytest.raises(ValueError, match="holds 5 bytes, more than the limit of 4"):
        read_limited(path, 4)
    with pytest.raises(FileNotFoundError):
        read_limited(tmp_path / "missing", 4)
