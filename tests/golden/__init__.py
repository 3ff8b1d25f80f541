"""Golden SQL files (data); `python -m tests.golden` regenerates them (tests/golden_tool.py)."""
