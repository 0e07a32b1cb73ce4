"""``python -m hybrid_hrm.cli``: the same as the ``hybrid-hrm`` console script."""

from . import main

raise SystemExit(main())
