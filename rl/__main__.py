"""``python3 -m rl``: see `rl.cli`."""

from rl.cli import main

raise SystemExit(main())
