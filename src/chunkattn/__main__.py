"""``python -m chunkattn``: the ``chunkattn`` command."""

from chunkattn._internal.commands.cli import main

raise SystemExit(main())
