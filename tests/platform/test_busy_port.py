"""A newcomer's `make up` while `make run` still serves :8000 (or a second `make run`): refused at once, with
the port named and how to free it, instead of "success" from a readiness check the other system answered."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from shared.server import PortBusy

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def occupied_port() -> Iterator[int]:
    """A port some other process is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def _stack_module():
    spec = importlib.util.spec_from_file_location("doorstep_stack_ports", ROOT / "deploy" / "stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _says_port_busy(output: str, port: int) -> None:
    assert f"port {port} on 127.0.0.1 is already in use" in output, output
    assert "make down" in output and f"ss -ltnp 'sport = :{port}'" in output, output


def test_make_run_refuses_a_busy_port_at_once(tmp_path: Path) -> None:
    with occupied_port() as port:
        finished = subprocess.run(
            [sys.executable, "-m", "gateway.embedded", "--port", str(port), "--var", str(tmp_path / "var")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert finished.returncode != 0
    _says_port_busy(finished.stderr, port)
    assert not (tmp_path / "var").exists()  # refused before building or seeding anything


def test_make_up_refuses_a_busy_gateway_port_before_starting_anything(tmp_path: Path) -> None:
    with occupied_port() as port:
        finished = subprocess.run(
            [
                sys.executable,
                "deploy/stack.py",
                "up",
                "--gateway-port",
                str(port),
                "--state-directory",
                str(tmp_path / "stack"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert finished.returncode != 0
    _says_port_busy(finished.stderr, port)
    assert '"gateway"' not in finished.stdout  # no addresses printed as if it had started
    assert not list((tmp_path / "stack").glob("*.log"))  # no process was started


def test_the_stack_checks_every_port_it_needs() -> None:
    stack_module = _stack_module()
    with occupied_port() as busy, socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        free_port = free.getsockname()[1]
        free.close()
        stack = stack_module.Stack(gateway_port=free_port, ports={"catalog": busy})
        with pytest.raises(PortBusy) as refused:
            stack.check_ports_free()
    assert refused.value.port == busy


def test_a_readiness_answer_from_another_system_is_not_taken_for_ours(tmp_path: Path) -> None:
    class Impostor(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # another system's gateway, ready
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "ready"}')

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Impostor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        stack_module = _stack_module()
        stack = stack_module.Stack(gateway_port=server.server_port, state_directory=tmp_path)
        stack.environment("gateway")  # the nonce the gateway it starts would be given
        with pytest.raises(stack_module.NotOurs, match="another process answers"):
            stack.wait_ready("gateway", timeout=10)
    finally:
        server.shutdown()
