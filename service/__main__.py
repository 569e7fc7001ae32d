"""`python -m service` is the same as the `bridgewatch` command."""

from service.cli import main

raise SystemExit(main())
