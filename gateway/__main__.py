"""`python -m gateway`: the gateway on its own, in front of services reached over HTTP."""

from __future__ import annotations

import argparse

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.logging import configure_logging
from shared.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args()
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, json_output=settings.log_json)

    serve(create_app(settings), settings, arguments.host, arguments.port)


main()
