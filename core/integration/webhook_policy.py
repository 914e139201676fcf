"""Where webhooks may go and how their secrets are kept: no loopback, link-local or private address unless
[webhooks] allow_private_networks, and signing secrets encrypted at rest with Fernet under [webhooks] secret_key.

Without a key a secret is stored as "plain:<secret>" (what tests and a first demo run do; jxc warns); with one as
"fernet:<token>". `jxc webhook seal` encrypts the plain ones once a key is set.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

from core.errors import InvalidWebhook

PLAIN, SEALED = "plain:", "fernet:"
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class SecretUnreadable(Exception):
    """A stored webhook secret that this process cannot decrypt (no key, or another key)."""


@dataclass(frozen=True)
class WebhookPolicy:
    """[webhooks] secret_key (a Fernet key; empty: secrets stored plain) and allow_private_networks."""

    secret_key: str = ""
    allow_private_networks: bool = False

    def __post_init__(self) -> None:
        if self.secret_key:
            Fernet(self.secret_key.encode())  # ValueError for a key that is not 32 url-safe base64 bytes

    @property
    def encrypts(self) -> bool:
        return bool(self.secret_key)

    def seal(self, secret: str) -> str:
        """The secret as stored: encrypted when a key is configured."""
        if not self.secret_key:
            return PLAIN + secret
        return SEALED + Fernet(self.secret_key.encode()).encrypt(secret.encode()).decode("ascii")

    def unseal(self, stored: str) -> str:
        """The secret a delivery is signed with; SecretUnreadable when it is encrypted under no key we have."""
        if stored.startswith(SEALED):
            if not self.secret_key:
                raise SecretUnreadable("the webhook secret is encrypted: set [webhooks] secret_key")
            try:
                return Fernet(self.secret_key.encode()).decrypt(stored[len(SEALED):].encode()).decode()
            except InvalidToken as error:
                raise SecretUnreadable("the webhook secret was encrypted with another [webhooks] secret_key") \
                    from error
        return stored.removeprefix(PLAIN)

    def check_host(self, host: str) -> None:
        """Refuse (InvalidWebhook, reason private_address) a host that is a local name or a non-public address."""
        if self.allow_private_networks:
            return
        name = host.strip("[]").rstrip(".").lower()
        if name in LOCAL_NAMES or name.endswith(".localhost") or (is_address(name) and not public(name)):
            raise InvalidWebhook(reason="private_address", host=host[:100])

    def refused_addresses(self, addresses: Iterable[str]) -> list[str]:
        """Of the addresses a host resolved to, those a delivery may not go to."""
        return [] if self.allow_private_networks else [a for a in addresses if not public(a)]


DEFAULT_POLICY = WebhookPolicy()  # frozen: no key, no private networks


def is_address(text: str) -> bool:
    """True for an IPv4 or IPv6 address written out."""
    try:
        ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return False
    return True


def public(address: str) -> bool:
    """True for a globally routable unicast address (not loopback, link-local 169.254/16, private, reserved,
    multicast or unspecified), IPv4 inside IPv6 judged as IPv4."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
