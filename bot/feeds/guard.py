"""The guarded transport: every fetch resolves its host once, checks it, connects there.

A request hook that checks a name and then lets httpx resolve it again can be fooled by DNS
that answers differently the second time (DNS rebinding). Here the check sits where the
connection is made: httpcore asks the network backend for a connection to (host, port), and
the backend resolves the host, refuses if any of its addresses is not allowed, and connects
to one of the addresses it checked. TLS still verifies and sends SNI for the host name, and
the Host header is untouched, because httpcore takes both from the URL, not the socket.
Redirects are new requests, so every hop passes the same check.

Exceptions, both httpx.TransportError so callers that handle network failures handle these:

    BlockedAddress  (httpx.TransportError)  the host resolves to an address not allowed
    UnresolvableHost (httpx.ConnectError)   the host name has no address
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from bot.net.addresses import AddressPolicy

Resolver = Callable[[str, int], Awaitable[list[str]]]


class BlockedAddress(httpx.TransportError):
    """The host resolves to an address the policy does not allow; nothing was sent to it."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} → {address}")
        self.host = host
        self.address = address


class UnresolvableHost(httpx.ConnectError):
    """The host name could not be resolved to any address."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host


# Top-level names reserved never to exist (RFC 2606, RFC 6761): not worth asking DNS about.
RESERVED_NAMES = ("example", "invalid", "test")


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (an address itself, without asking DNS)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass  # a name
    if host.rstrip(".").rsplit(".", 1)[-1].lower() in RESERVED_NAMES:
        raise OSError("a reserved name that never resolves (RFC 6761), DNS not asked")
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend that connects only to checked, allowed addresses."""

    def __init__(self, policy: AddressPolicy, resolve: Resolver = resolve_host) -> None:
        self._policy = policy
        self._resolve = resolve
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A connection to the first allowed address of host that answers."""
        addresses = await self._allowed_addresses(host, port, timeout)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error  # one address may be unreachable (no IPv6 route): try the next
        assert failure is not None  # _allowed_addresses never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refused: fetches go to network addresses only."""
        raise BlockedAddress(path, "unix socket")

    async def sleep(self, seconds: float) -> None:
        """Wait (httpcore's retry delay)."""
        await self._backend.sleep(seconds)

    async def _allowed_addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        """host's addresses, once resolved; BlockedAddress if any of them is not allowed."""
        try:
            async with asyncio.timeout(timeout):
                found = await self._resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except (OSError, UnicodeError) as error:
            raise UnresolvableHost(host, str(error)) from None
        addresses = list(dict.fromkeys(found))
        if not addresses:
            raise UnresolvableHost(host, "no address")
        # Any address that is not allowed refuses the host: a name that mixes public and
        # private answers is a name someone may point wherever they like.
        for address in addresses:
            if not self._policy.allows(address):
                raise BlockedAddress(host, address)
        return addresses


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connections made by a GuardedBackend."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        limits: httpx.Limits,
        resolve: Resolver = resolve_host,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        ssl_context = ssl_context or httpx.create_ssl_context()
        super().__init__(verify=ssl_context, limits=limits)
        # httpx has no public way to hand its pool a network backend; the pool is all that
        # changes, so requests, responses and errors are still mapped by httpx itself.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy, resolve),
        )
