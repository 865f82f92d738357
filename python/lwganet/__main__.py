"""``python -m lwganet`` entry point."""

from .cli import main

raise SystemExit(main())
