"""nginx as a target: the load generator's ceiling, serving the same bytes as constants.

Kept apart from the Python targets because it is a configuration file, not a command line.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from benchmarks.apps import common
from benchmarks.bench.base import BenchFailure

__all__ = ["nginx_binary", "write_nginx_conf"]


def nginx_binary() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    raise BenchFailure(
        "nginx is not installed (the bench session installs it with apt-get "
        "when run as root: apt-get install nginx)"
    )


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def write_nginx_conf(directory: Path, port: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    directory.parent.chmod(0o755)
    stream = directory / "stream.bin"
    stream.write_bytes(common.STREAM_BODY)
    stream.chmod(0o644)
    e1 = _compact(common.HELLO)
    e2 = _compact({"id": common.ITEM_ID, "q": common.ITEM_Q})
    e3 = _compact(json.loads(common.USER_BODY))
    items = directory / "json-10k.json"  # too long for a config parameter (4 KB)
    items.write_text(_compact(common.make_items()))
    items.chmod(0o644)
    e8 = _compact({"detail": [{"loc": ["path", "id"], "msg": "not an integer"}]})
    for text in (e1, e2, e3, e8):
        assert "'" not in text and "$" not in text and "\\" not in text
    temp = directory / "temp"
    temp.mkdir(exist_ok=True)
    temp.chmod(0o755)
    conf = directory / "nginx.conf"
    conf.write_text(f"""\
worker_processes 1;
daemon off;
master_process on;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nodelay on;
    # nginx closes a keep-alive connection after 1000 requests by default; the other targets
    # never do, so neither may nginx (wrk would measure reconnects).
    keepalive_requests 1000000000;
    keepalive_timeout 65;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        default_type application/json;
        location = / {{ return 200 '{e1}'; }}
        location ~ "^/items/[0-9]+$" {{ return 200 '{e2}'; }}
        location ~ "^/items/" {{ return 422 '{e8}'; }}
        location = /users {{ return 200 '{e3}'; }}
        location = /json-10k {{ alias {items}; }}
        location = /stream {{ default_type application/octet-stream; alias {stream}; }}
    }}
}}
""")
    return conf
