"""Where a webhook may point (SSRF guard): the pure rules, and the DNS step that feeds them.

A target is refused when its host is, or resolves to, an address that is not on the public Internet:
loopback, link-local, private, shared (CGNAT), multicast, reserved, unspecified — IPv4 and IPv6, an
IPv4 address mapped into IPv6 judged as the IPv4 one. Checked when a subscription is made or changed and
again before every delivery, as DNS may have changed since.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2000


class TargetRefused(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def refused_address(address: IPAddress) -> str | None:
    """Why this address is no place to send a webhook to; None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return refused_address(mapped)
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return kind
    if not address.is_global:
        return "not_global"  # shared address space (100.64/10), documentation ranges and the like
    return None


def split_url(url: str) -> tuple[str, int]:
    """The host and port of an acceptable URL: http or https, a host, no credentials, no fragment."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused("url_too_long", f"At most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused("url_malformed", "The URL cannot be read.") from error
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("url_scheme", "Webhooks go to http:// or https:// URLs.")
    if not parts.hostname:
        raise TargetRefused("url_malformed", "The URL names no host.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("url_credentials", "Put no credentials in the URL: verify our signature instead.")
    if parts.fragment:
        raise TargetRefused("url_malformed", "A URL with a fragment (#...) is not a target.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def check_addresses(host: str, addresses: list[IPAddress]) -> None:
    """Refuses when any address the host stands for is not public (one bad answer is enough to rebind)."""
    if not addresses:
        raise TargetRefused("url_unresolvable", f"{host} resolves to no address.")
    for address in addresses:
        reason = refused_address(address)
        if reason is not None:
            raise TargetRefused("url_not_public", f"{host} is or resolves to a {reason.replace('_', '-')} address.")


async def resolve(host: str, port: int, *, timeout_seconds: float = 5.0) -> list[IPAddress]:
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=timeout_seconds)
    except (OSError, TimeoutError, UnicodeError, ValueError) as error:  # IDNA refuses some names: not found
        raise TargetRefused("url_unresolvable", f"{host} cannot be resolved.") from error
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = literal_address(str(sockaddr[0]))
        if address is not None and address not in found:
            found.append(address)
    return found


async def check_target(url: str, *, allow_private: bool, timeout_seconds: float = 5.0) -> None:
    """The whole guard: the URL's form, then (unless private targets are allowed) every address of its host."""
    host, port = split_url(url)
    if allow_private:
        return
    check_addresses(host, await resolve(host, port, timeout_seconds=timeout_seconds))
