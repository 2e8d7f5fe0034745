"""`make bench`: throughput and latency of the distributed stack on this machine, as one table.

Runs wrk (32 connections, 2 threads) against: a bare FastAPI endpoint (the ceiling), a catalogue route
straight to the service, and the same route through the gateway. wrk is installed from Debian's
packages if missing. Each figure is one run on this machine; compare rows, not machines.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack import ROOT, Stack

from shared.ids import stable_id

DURATION = "10s"
CONNECTIONS = 32
LUA = Path(__file__).resolve().parent / "bench" / "percentiles.lua"


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or "wrk"


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except Exception:
            time.sleep(0.2)
    raise TimeoutError(url)


def wrk(binary: str, url: str, headers: dict[str, str] | None = None) -> dict[str, float]:
    command = [binary, "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "-s", str(LUA), url]
    for name, value in (headers or {}).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    subprocess.run([binary, "-t2", "-c8", "-d2s", url], capture_output=True)  # warm up
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    result = json.loads(line[len("BENCH ") :])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def table(rows: list[tuple[str, dict[str, float]]], ceiling: float) -> str:
    lines = [
        "| what | requests/s | % of ceiling | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in rows:
        lines.append(
            f"| {name} | {result['rps']:,.0f} | {100 * result['rps'] / ceiling:.0f}% | {result['p50_ms']:.2f} | "
            f"{result['p95_ms']:.2f} | {result['p99_ms']:.2f} | {int(result['errors'])} |"
        )
    return "\n".join(lines)


def main() -> None:
    binary = ensure_wrk()
    suffix = uuid.uuid4().hex[:6]
    stack = Stack(
        database_prefix=f"bench_{suffix}",
        namespace=f"bench{suffix}",
        gateway_port=18800,
        ports={"catalog": 18801, "ticket": 18802, "deliberation": 18803, "evaluation": 18804},
        state_directory=ROOT / "var" / "bench",
        extra_environment={
            **{
                f"{name}_LOG_LEVEL": "WARNING"
                for name in ("CATALOG", "TICKET", "DELIBERATION", "EVALUATION", "GATEWAY")
            },
            # wrk is one address sending thousands of requests a second: measure the hop, not the limiter.
            "GATEWAY_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "0",
            "GATEWAY_RATE_LIMIT_PER_TOKEN_PER_MINUTE": "0",
        },
    )
    bare = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "bench" / "bare.py"), "18899"], cwd=ROOT)
    rows: list[tuple[str, dict[str, float]]] = []
    try:
        stack.up()
        wait_for("http://127.0.0.1:18899/ping")
        route = "/api/v1/service-categories"
        rows.append(("bare FastAPI endpoint (ceiling)", wrk(binary, "http://127.0.0.1:18899/ping")))
        rows.append((f"`GET {route}` straight to the catalogue", wrk(binary, stack.url("catalog") + route)))
        rows.append((f"`GET {route}` through the gateway", wrk(binary, stack.url() + route)))
        # Catalogue reads on the district-scale demo data (1,285 stations), through the gateway.
        subprocess.run(
            [sys.executable, "-m", "catalog_service", "seed"], env=stack.environment("catalog"), cwd=ROOT, check=True
        )
        token = json.loads(
            urllib.request.urlopen(
                stack.url() + "/auth/token", data=b"username=district_admin&password=demo-district_admin"
            ).read()
        )["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        station = stable_id("station", "陆家嘴街道", "市新居委会")
        for name, path in (
            (
                "nearest stations (15-minute walk of 陆家嘴)",
                "/api/v1/stations/nearby?latitude=31.235&longitude=121.505",
            ),
            ("a station's service list", f"/api/v1/stations/{station}/service-list"),
            ("resource search (text + category)", "/api/v1/resources?q=%E6%96%87&category=culture"),
        ):
            rows.append((f"{name}, through the gateway", wrk(binary, stack.url() + path, auth)))
    finally:
        bare.terminate()
        stack.down()
        asyncio.run(stack.drop_databases())
    print(f"\nwrk, {CONNECTIONS} connections, 2 threads, {DURATION} per row, on this machine:\n")
    print(table(rows, rows[0][1]["rps"]))


if __name__ == "__main__":
    main()
