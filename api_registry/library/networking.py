"""IP addressing, subnets, URLs, MAC addresses, HTTP status codes, well-known ports and transfer times."""

from __future__ import annotations

import ipaddress
import re
from http import HTTPStatus
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from api_registry.python_functions import api

CAT = "networking"

_PORTS = {20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "dns", 67: "dhcp-server", 68: "dhcp-client",
          69: "tftp", 80: "http", 110: "pop3", 123: "ntp", 143: "imap", 161: "snmp", 389: "ldap", 443: "https", 445: "smb",
          465: "smtps", 514: "syslog", 587: "smtp-submission", 636: "ldaps", 993: "imaps", 995: "pop3s", 1433: "mssql",
          1521: "oracle", 2049: "nfs", 3306: "mysql", 3389: "rdp", 5432: "postgresql", 5672: "amqp", 6379: "redis",
          8080: "http-alt", 9200: "elasticsearch", 11211: "memcached", 27017: "mongodb"}


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError as exc:
        raise ValueError(f"invalid IP address {address!r}") from exc


@api(category=CAT, examples=[({"address": "192.168.1.10"}, {"version": 4, "is_private": True, "is_loopback": False, "is_multicast": False, "is_global": False, "compressed": "192.168.1.10"}),
                             ({"address": "2001:4860:4860:0000:0000:0000:0000:8888"}, {"version": 6, "is_private": False, "is_loopback": False, "is_multicast": False, "is_global": True, "compressed": "2001:4860:4860::8888"}),
                             ({"address": "127.0.0.1"}, {"version": 4, "is_private": True, "is_loopback": True, "is_multicast": False, "is_global": False, "compressed": "127.0.0.1"})],
     raises=[{"address": "999.1.1.1"}, {"address": "hello"}])
def ip_address_info(address: str) -> dict[str, int | bool | str]:
    """Classify an IPv4 or IPv6 address: version, private, loopback, multicast or globally routable, and its compressed form.

    Args:
        address: The IP address, e.g. 192.168.1.10 or 2001:db8::1.
    """
    ip = _ip(address)
    return {"version": ip.version, "is_private": ip.is_private, "is_loopback": ip.is_loopback, "is_multicast": ip.is_multicast,
            "is_global": ip.is_global, "compressed": ip.compressed}


@api(category=CAT, examples=[({"cidr": "192.168.1.0/24"}, {"network": "192.168.1.0", "broadcast": "192.168.1.255", "netmask": "255.255.255.0",
                                                          "first_host": "192.168.1.1", "last_host": "192.168.1.254", "usable_hosts": 254, "prefix_length": 24}),
                             ({"cidr": "10.20.30.77/27", "strict": False}, {"network": "10.20.30.64", "broadcast": "10.20.30.95", "netmask": "255.255.255.224",
                                                                           "first_host": "10.20.30.65", "last_host": "10.20.30.94", "usable_hosts": 30, "prefix_length": 27})],
     raises=[{"cidr": "10.0.0.0/33"}, {"cidr": "10.20.30.77/27"}])
def ipv4_subnet_info(cidr: str, strict: bool = True) -> dict[str, str | int]:
    """Describe an IPv4 subnet in CIDR notation: network and broadcast addresses, netmask, usable host range and count.

    Args:
        cidr: The subnet, e.g. 192.168.1.0/24.
        strict: If true, reject CIDRs whose address has host bits set (e.g. 10.0.0.5/24); otherwise use the containing network.
    """
    try:
        net = ipaddress.IPv4Network(cidr.strip(), strict=strict)
    except ValueError as exc:
        raise ValueError(f"invalid IPv4 CIDR {cidr!r}: {exc}") from exc
    if net.prefixlen >= 31:
        first, last, usable = net.network_address, net.broadcast_address, net.num_addresses
    else:
        first, last, usable = net.network_address + 1, net.broadcast_address - 1, net.num_addresses - 2
    return {"network": str(net.network_address), "broadcast": str(net.broadcast_address), "netmask": str(net.netmask),
            "first_host": str(first), "last_host": str(last), "usable_hosts": usable, "prefix_length": net.prefixlen}


@api(category=CAT, examples=[({"address": "10.1.2.3", "cidr": "10.0.0.0/8"}, True), ({"address": "172.32.0.1", "cidr": "172.16.0.0/12"}, False),
                             ({"address": "2001:db8::1", "cidr": "2001:db8::/32"}, True)],
     raises=[{"address": "10.1.2.300", "cidr": "10.0.0.0/8"}, {"address": "10.1.2.3", "cidr": "10.0.0.0/40"}])
def ip_in_network(address: str, cidr: str) -> bool:
    """Check whether an IP address belongs to a network given in CIDR notation (IPv4 or IPv6).

    Args:
        address: The IP address to test.
        cidr: The network, e.g. 10.0.0.0/8; host bits may be set.
    """
    ip = _ip(address)
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError as exc:
        raise ValueError(f"invalid network {cidr!r}") from exc
    return ip.version == net.version and ip in net


@api(category=CAT, examples=[
    ({"url": "https://user@example.com:8443/path/to/page?q=test&lang=en&q=more#section-2"},
     {"scheme": "https", "host": "example.com", "port": 8443, "path": "/path/to/page", "query": {"q": ["test", "more"], "lang": ["en"]},
      "fragment": "section-2", "username": "user"}),
    ({"url": "http://localhost/index.html"}, {"scheme": "http", "host": "localhost", "port": 80, "path": "/index.html", "query": {}, "fragment": "", "username": ""})],
    raises=[{"url": "example.com/no-scheme"}, {"url": "https://example.com:99999/"}])
def parse_url(url: str) -> dict[str, str | int | dict[str, list[str]]]:
    """Split an absolute URL into scheme, host, port (defaulted from the scheme), path, decoded query parameters, fragment and user name.

    Args:
        url: The absolute URL to parse, e.g. https://example.com:8443/a?b=c#d.
    """
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError("url must be absolute, with a scheme and host")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid port in {url!r}") from exc
    if port is None:
        port = {"http": 80, "https": 443, "ftp": 21, "ssh": 22, "ws": 80, "wss": 443}.get(parts.scheme.lower(), 0)
    return {"scheme": parts.scheme.lower(), "host": (parts.hostname or ""), "port": port, "path": parts.path or "/",
            "query": parse_qs(parts.query, keep_blank_values=True), "fragment": parts.fragment, "username": parts.username or ""}


@api(category=CAT, examples=[({"mac": "00-1A-2b-3C-4d-5E"}, "00:1a:2b:3c:4d:5e"), ({"mac": "001a.2b3c.4d5e", "style": "hyphen", "uppercase": True}, "00-1A-2B-3C-4D-5E"),
                             ({"mac": "00:1a:2b:3c:4d:5e", "style": "dot"}, "001a.2b3c.4d5e")],
     raises=[{"mac": "00:1a:2b:3c:4d"}, {"mac": "zz:1a:2b:3c:4d:5e"}])
def normalize_mac_address(mac: str, style: Literal["colon", "hyphen", "dot", "bare"] = "colon", uppercase: bool = False) -> str:
    """Validate a 48-bit MAC address in any common notation and rewrite it in a chosen style.

    Args:
        mac: The MAC address, e.g. 00-1A-2B-3C-4D-5E, 001a.2b3c.4d5e or 001A2B3C4D5E.
        style: Output style: colon-separated, hyphen-separated, Cisco dotted or bare hex.
        uppercase: If true, use uppercase hex digits.
    """
    hexdigits = re.sub(r"[:.\-\s]", "", mac)
    if not re.fullmatch(r"[0-9A-Fa-f]{12}", hexdigits):
        raise ValueError(f"invalid MAC address {mac!r}")
    h = hexdigits.upper() if uppercase else hexdigits.lower()
    pairs = [h[i:i + 2] for i in range(0, 12, 2)]
    if style == "colon":
        return ":".join(pairs)
    if style == "hyphen":
        return "-".join(pairs)
    if style == "dot":
        return ".".join(h[i:i + 4] for i in range(0, 12, 4))
    return h


@api(category=CAT, examples=[({"size": 1, "size_unit": "GB", "bandwidth_mbps": 100}, {"seconds": 80.0, "formatted": "0h 1m 20s"}),
                             ({"size": 50, "size_unit": "GiB", "bandwidth_mbps": 20, "efficiency_percent": 80}, {"seconds": 26843.55, "formatted": "7h 27m 24s"})],
     raises=[{"size": 1, "size_unit": "GB", "bandwidth_mbps": 0}])
def file_transfer_time(size: float, size_unit: Literal["KB", "MB", "GB", "TB", "MiB", "GiB"], bandwidth_mbps: float,
                       efficiency_percent: float = 100.0) -> dict[str, float | str]:
    """Estimate how long a file transfer takes over a link of a given bandwidth in megabits per second.

    Args:
        size: The amount of data to transfer; must be non-negative.
        size_unit: The unit of size (decimal KB/MB/GB/TB or binary MiB/GiB).
        bandwidth_mbps: The link bandwidth in megabits per second; must be positive.
        efficiency_percent: The share of bandwidth actually achieved, between 1 and 100.
    """
    if bandwidth_mbps <= 0 or size < 0 or not 0 < efficiency_percent <= 100:
        raise ValueError("bandwidth must be positive, size non-negative and efficiency in (0, 100]")
    bytes_ = size * {"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "MiB": 2 ** 20, "GiB": 2 ** 30}[size_unit]
    seconds = bytes_ * 8 / (bandwidth_mbps * 1e6 * efficiency_percent / 100)
    whole = int(round(seconds))
    return {"seconds": round(seconds, 2), "formatted": f"{whole // 3600}h {whole % 3600 // 60}m {whole % 60}s"}


@api(category=CAT, examples=[({"code": 404}, {"code": 404, "phrase": "Not Found", "class": "client error", "description": "Nothing matches the given URI"}),
                             ({"code": 503}, {"code": 503, "phrase": "Service Unavailable", "class": "server error",
                                              "description": "The server cannot process the request due to a high load"})],
     raises=[{"code": 799}])
def http_status_info(code: int) -> dict[str, int | str]:
    """Explain an HTTP status code: its reason phrase, class (informational, success, redirection, client or server error) and meaning.

    Args:
        code: The HTTP status code, e.g. 404.
    """
    try:
        status = HTTPStatus(code)
    except ValueError as exc:
        raise KeyError(f"unknown HTTP status code {code}") from exc
    cls = {1: "informational", 2: "success", 3: "redirection", 4: "client error", 5: "server error"}[code // 100]
    return {"code": code, "phrase": status.phrase, "class": cls, "description": status.description}


@api(category=CAT, examples=[({"port": 443}, {"port": 443, "service": "https", "range": "well-known"}),
                             ({"port": 5432}, {"port": 5432, "service": "postgresql", "range": "registered"})],
     raises=[{"port": 70000}, {"port": 4999}])
def well_known_port_service(port: int) -> dict[str, int | str]:
    """Name the standard service usually listening on a TCP/UDP port and the IANA range the port belongs to.

    Args:
        port: The port number, 0 to 65535.
    """
    if not 0 <= port <= 65535:
        raise ValueError("port must be between 0 and 65535")
    if port not in _PORTS:
        raise KeyError(f"no well-known service for port {port}")
    rng = "well-known" if port < 1024 else "registered" if port < 49152 else "dynamic"
    return {"port": port, "service": _PORTS[port], "range": rng}
