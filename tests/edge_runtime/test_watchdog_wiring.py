"""The edge runtime tells systemd it is ready after the first frame and pings from the frame loop."""

import socket

from edge.runtime import EdgeRuntime
from edge.signals import FrameSignals


def test_runtime_notifies_ready_pings_and_stopping(tmp_path, monkeypatch):
    address = str(tmp_path / "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(address)
    server.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", address)
    monkeypatch.setenv("WATCHDOG_USEC", "2000000")  # 2 s: a ping per second of frame time
    frames = [FrameSignals(t=i / 10, frame_index=i, face_found=False) for i in range(31)]
    with EdgeRuntime() as runtime:
        runtime.run(frames)
    received = []
    try:
        while True:
            received.append(server.recv(256).decode())
    except TimeoutError:
        pass
    finally:
        server.close()
    assert received[0].startswith("READY=1")
    pings = [m for m in received if m.startswith("WATCHDOG=1")]
    assert 2 <= len(pings) <= 4  # 3 s of frame time, every 1 s
    assert received[-1].startswith("STOPPING=1")
