"""Progress bars (tqdm when installed, else nothing) and optional imports."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType, TracebackType
from typing import Any


def optional_import(name: str) -> tuple[ModuleType | None, str | None]:
    """`(module, None)`, or `(None, reason)` when the package is missing or broken."""
    try:
        return importlib.import_module(name), None
    except Exception as exc:  # ImportError, or a broken install raising anything else
        return None, f"{type(exc).__name__}: {exc}"


class Progress:
    """A progress bar over `total` steps; silent when disabled or when tqdm is missing."""

    def __init__(self, total: int, desc: str, *, enabled: bool = True, unit: str = "it") -> None:
        self._bar: Any = None
        if enabled:
            tqdm, _ = optional_import("tqdm")
            if tqdm is not None:
                self._bar = tqdm.tqdm(
                    total=total,
                    desc=desc,
                    unit=unit,
                    file=sys.stderr,
                    mininterval=0.5,
                    dynamic_ncols=True,
                    leave=False,
                )

    def update(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def set_postfix(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
