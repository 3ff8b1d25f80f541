"""`python -m tests.golden`: regenerate every golden SQL file (see tests/golden_tool.py)."""

from tests.golden_tool import main

raise SystemExit(main())
