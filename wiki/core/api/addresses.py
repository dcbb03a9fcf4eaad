"""Which network addresses a webhook may be sent to (SSRF protection).

A webhook URL is resolved once; every address it resolves to is classified here, and the
request then connects to the address that was checked (never resolving again, so a DNS
answer that changes between check and use cannot redirect it).
"""
import ipaddress
from urllib.parse import urlsplit

from wiki.core.errors import InvalidInput

# The kinds of address that are refused unless the admin setting allows private targets.
REFUSED_KINDS = ("loopback", "private", "link-local", "multicast", "reserved", "unspecified")


def classify(address: str) -> str:
    """'public', or the kind of non-public address ``address`` is (one of REFUSED_KINDS)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback, whatever its spelling
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:  # 10/8, 172.16/12, 192.168/16, fc00::/7 ... (IANA special-purpose registry)
        return "private"
    if ip.is_reserved or not ip.is_global:  # e.g. 100.64/10 (carrier-grade NAT), 192.0.2/24 (docs)
        return "reserved"
    return "public"


def check_target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of a webhook URL; InvalidInput if it is not one."""
    if len(url) > 2000:
        raise InvalidInput("The URL is longer than 2000 characters.", field="url")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidInput("That is not a valid URL.", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("The URL must start with http:// or https:// and name a host.", field="url")
    if parts.username or parts.password:
        raise InvalidInput("The URL must not contain a user name or password; use the secret instead.", field="url")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def refusal(address: str, allow_private: bool) -> str | None:
    """Why ``address`` may not be a webhook target, or None when it may."""
    kind = classify(address)
    if kind == "public" or allow_private:
        return None
    return (f"{address} is a {kind} address; webhooks to it are refused unless an administrator "
            "sets WEBHOOKS_ALLOW_PRIVATE.")
