"""Ray, started by a sweep or for the tests, listens on loopback only: anyone who reaches a Ray port can run code.

Each test lists the listening TCP sockets of the Ray processes while they run (psutil) and requires every one
to be bound to a loopback address; a wildcard (``0.0.0.0``, ``::``) or the machine's network address fails.
"""

import contextlib
import ipaddress
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from rl.sweeps.runner import LOOPBACK_SETTING, connect
from tests.conftest import import_or_skip

ray = import_or_skip("ray", "sweep")
psutil = import_or_skip("psutil", "dev")
ROOT = Path(__file__).resolve().parent.parent


def listening_sockets(pid: int) -> set[tuple[str, str, int]]:
    """(process name, address, port) of each listening TCP socket of process `pid` and every process under it."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:  # it has just ended
        return set()
    sockets = set()
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.ZombieProcess):
            name = process.name()
            sockets |= {(name, connection.laddr.ip, connection.laddr.port)
                        for connection in process.net_connections(kind="tcp")
                        if connection.status == psutil.CONN_LISTEN}
    return sockets


def beyond_loopback(sockets: set[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The sockets bound to an address other than loopback (an IPv4-mapped IPv6 address counts as its IPv4 one)."""
    def loopback(text: str) -> bool:
        address = ipaddress.ip_address(text)
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        return (mapped or address).is_loopback

    return sorted(socket for socket in sockets if not loopback(socket[1]))


def test_the_test_cluster_and_a_driver_joining_it_listen_on_loopback_only(two_node_ray_cluster):
    started = connect(ray, two_node_ray_cluster.address, None)
    try:
        # a task, so that a worker process (with a server of its own) is up; a lambda, as Ray's workers
        # cannot import this test module by its name
        ray.get(ray.remote(num_cpus=1)(lambda: os.getpid()).remote())
        sockets = listening_sockets(os.getpid())  # this process is the driver; the nodes are its children
    finally:
        if started:
            ray.shutdown()
    names = {name for name, _, _ in sockets}
    assert {"gcs_server", "raylet", "ray::IDLE"} <= names, f"Ray's servers not found among {sorted(sockets)}"
    assert beyond_loopback(sockets) == [], f"listening beyond loopback: {beyond_loopback(sockets)}"


def test_ray_started_by_python_m_rl_sweep_listens_on_loopback_only(tmp_path):
    # the switch the test session sets for itself (tests/conftest.py) is taken away: the command must set it
    environment = {name: value for name, value in os.environ.items() if name not in {LOOPBACK_SETTING, "RAY_ADDRESS"}}
    command = [sys.executable, "-m", "rl", "sweep", "--grid", "loss=sum,mean", "--seeds", "1", "--workers", "1",
               "--final-episodes", "3", "--no-progress", "--out", str(tmp_path / "sweep"),
               "--set=total_steps=20000", "--set=learning_starts=100"]
    driver = subprocess.Popen(command, cwd=ROOT, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True)
    sockets: set[tuple[str, str, int]] = set()
    try:
        deadline = time.monotonic() + 180
        # until a worker runs a sweep's run: Ray's servers, the driver's and a worker's are all listening then
        while not any(name == "ray::run_one" for name, _, _ in sockets):
            assert driver.poll() is None, driver.stdout.read().decode()
            assert time.monotonic() < deadline, f"no run started in 180 s; listening: {sorted(sockets)}"
            sockets |= listening_sockets(driver.pid)
            time.sleep(0.2)
        driver.send_signal(signal.SIGTERM)  # stops the sweep as Ctrl-C does; Ray is shut down
        driver.wait(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):  # none left if the driver shut Ray down
            os.killpg(driver.pid, signal.SIGKILL)
        driver.stdout.close()
    names = {name for name, _, _ in sockets}
    assert {"gcs_server", "raylet"} <= names, f"Ray's servers not found among {sorted(sockets)}"
    assert beyond_loopback(sockets) == [], f"listening beyond loopback: {beyond_loopback(sockets)}"


def test_connect_refuses_to_start_ray_on_the_network_when_ray_was_imported_without_the_switch():
    class RayImportedWithClustersOn:
        """What connect uses of ray, as ray imported without the switch answers on a machine with a network."""

        started = False
        util = SimpleNamespace(get_node_ip_address=lambda: "192.0.2.7")

        def is_initialized(self) -> bool:
            return False

        def init(self, **settings: object) -> None:
            self.started = True

    imported = RayImportedWithClustersOn()
    with pytest.raises(RuntimeError, match=r"would listen on the network \(192\.0\.2\.7\).*RAY_ENABLE_WINDOWS_OR"):
        connect(imported, None, 1)
    assert not imported.started
