"""A local NATS cluster for tests, load runs and benchmarks: N `nats-server` processes on loopback ports,
each with JetStream (its own store directory) and an MQTT listener, routed to each other.

Each node's config file is written into `workdir`; `kill(i)` is a kill -9, `start(i)` brings the node
back with the same name and store (as a restarted host would).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from dms.errors import UserError

NATS_SERVER = "nats-server"


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (bound once by the OS, released at once)."""
    socks, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


@dataclass
class Node:
    name: str
    client_port: int
    cluster_port: int
    mqtt_port: int
    monitor_port: int
    config: Path
    log: Path
    proc: subprocess.Popen | None = None

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"

    @property
    def mqtt_url(self) -> str:
        return f"mqtt://127.0.0.1:{self.mqtt_port}"

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class NatsCluster:
    workdir: Path
    size: int = 3
    name: str = "dms"
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        if shutil.which(NATS_SERVER) is None:
            raise UserError(f"{NATS_SERVER} is not installed (Debian: apt install nats-server)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        ports = free_ports(4 * self.size)
        for i in range(self.size):
            client, cluster, mqtt, monitor = ports[4 * i : 4 * i + 4]
            self.nodes.append(
                Node(
                    f"n{i + 1}",
                    client,
                    cluster,
                    mqtt,
                    monitor,
                    self.workdir / f"n{i + 1}.conf",
                    self.workdir / f"n{i + 1}.log",
                )
            )
        routes = ", ".join(f"nats-route://127.0.0.1:{n.cluster_port}" for n in self.nodes)
        for node in self.nodes:
            store = self.workdir / f"{node.name}-store"
            # server_name: JetStream in a cluster and the MQTT listener both need a stable one.
            node.config.write_text(
                f'server_name: "{node.name}"\n'
                f"listen: 127.0.0.1:{node.client_port}\n"
                f"http: 127.0.0.1:{node.monitor_port}\n"
                f'jetstream {{ store_dir: "{store}", max_memory_store: 256MB, max_file_store: 8GB }}\n'
                f"mqtt {{ listen: 127.0.0.1:{node.mqtt_port} }}\n"
                + (
                    f'cluster {{ name: "{self.name}", listen: 127.0.0.1:{node.cluster_port}, routes: [{routes}] }}\n'
                    if self.size > 1
                    else ""
                )
            )  # one node: a plain JetStream server

    @property
    def nats_urls(self) -> str:
        """The gateway's `--bus` value: every node, comma-separated."""
        return ",".join(n.nats_url for n in self.nodes)

    def start(self, index: int | None = None) -> NatsCluster:
        for node in self.nodes if index is None else [self.nodes[index]]:
            log = open(node.log, "ab")
            node.proc = subprocess.Popen(
                [NATS_SERVER, "-c", str(node.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            log.close()
        for node in self.nodes if index is None else [self.nodes[index]]:
            self._wait_ready(node)
        return self

    def _wait_ready(self, node: Node, timeout: float = 30.0) -> None:
        """Until the node answers on its client and MQTT ports and JetStream is up (/healthz ok)."""
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not node.running():
                raise UserError(f"nats-server {node.name} exited: {node.log.read_text()[-500:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{node.monitor_port}/healthz", timeout=1) as r:
                    if r.status == 200 and _port_open(node.mqtt_port):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise UserError(
            f"nats-server {node.name} not ready after {timeout:.0f} s: {node.log.read_text()[-500:]}"
        )

    def ensure_mqtt_store(self) -> None:
        """nats-server makes its MQTT streams (the QoS 1 store the gateways consume) when the first MQTT
        client connects: connect one."""
        from tools.load.loadgen import connect

        client = connect(self.nodes[0].mqtt_url, "dms-warm-up", v5=False)
        time.sleep(0.5)
        client.disconnect()
        client.loop_stop()

    def kill(self, index: int) -> None:
        """kill -9: no goodbye to the cluster, nothing flushed."""
        node = self.nodes[index]
        if node.running():
            node.proc.send_signal(signal.SIGKILL)
            node.proc.wait(10)

    def stop(self) -> None:
        for node in self.nodes:
            if node.running():
                node.proc.terminate()
        for node in self.nodes:
            if node.proc is not None:
                try:
                    node.proc.wait(10)
                except subprocess.TimeoutExpired:
                    node.proc.kill()
                    node.proc.wait(5)

    def __enter__(self) -> NatsCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


STREAM = "$MQTT_msgs"  # what the gateways consume (gateway/jetstream.py)


def jetstream_state(nats_urls: str, stream: str, consumer: str) -> dict:
    """Leaders and backlog of the stream and its consumer: {"stream_leader", "consumer_leader",
    "messages" (in the stream), "pending" (not yet handed out), "ack_pending" (handed out, not acknowledged)}."""
    import asyncio

    import nats

    async def ask() -> dict:
        async def quiet(exc: Exception) -> None:  # a node down is what the caller is looking at
            pass

        nc = await nats.connect(
            nats_urls.split(","), connect_timeout=5, max_reconnect_attempts=3, error_cb=quiet
        )
        try:
            js = nc.jetstream(timeout=5)
            s, c = await js.stream_info(stream), await js.consumer_info(stream, consumer)
            return {
                "stream_leader": s.cluster.leader,
                "consumer_leader": c.cluster.leader,
                "messages": s.state.messages,
                "pending": c.num_pending,
                "ack_pending": c.num_ack_pending,
            }
        finally:
            await nc.close()

    return asyncio.run(ask())


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
