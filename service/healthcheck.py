"""`python -m service.healthcheck`: the container's HEALTHCHECK, since slim images ship no curl.

Asks the daemon in the same container for /healthz on loopback (the port from
BRIDGEWATCH_HTTP_PORT, as the daemon reads it) and exits 0 only on a 200; the reason of a 503 is
printed, so `docker inspect` shows why the container is unhealthy.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('BRIDGEWATCH_HTTP_PORT') or '8477'}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            print(f"healthy: {response.read().decode().strip()}")
            return 0
    except urllib.error.HTTPError as exc:
        print(f"unhealthy ({exc.code}): {exc.read().decode().strip()}")
    except OSError as exc:
        print(f"no answer from {url}: {exc}")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
