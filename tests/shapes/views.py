"""Input layouts for the shape tests: contiguous, transposed, sliced, offset and expanded (stride 0) views."""

from __future__ import annotations

import torch

LAYOUTS_2D = ("contiguous", "transposed", "column_step", "row_step", "offset", "expand_rows", "expand_cols",
              "expand_all")
LAYOUTS_1D = ("contiguous", "step", "offset", "expand")


def view_2d(n: int, m: int, layout: str, gen: torch.Generator | None = None) -> torch.Tensor:
    """An (n, m) float32 tensor laid out as `layout` names (values from `gen`)."""
    r = lambda *s: torch.randn(*s, generator=gen)  # noqa: E731
    if layout == "contiguous":
        return r(n, m)
    if layout == "transposed":
        return r(m, n).t()
    if layout == "column_step":
        return r(n, 2 * m + 1)[:, 1::2]
    if layout == "row_step":
        return r(2 * n + 3, m)[3::2]
    if layout == "offset":
        return r(n + 5, m + 7)[5:, 7:]
    if layout == "expand_rows":
        return r(n, 1).expand(n, m)
    if layout == "expand_cols":
        return r(1, m).expand(n, m)
    if layout == "expand_all":
        return r(1, 1).expand(n, m)
    raise ValueError(layout)


def view_1d(n: int, layout: str, gen: torch.Generator | None = None) -> torch.Tensor:
    r = lambda *s: torch.randn(*s, generator=gen)  # noqa: E731
    if layout == "contiguous":
        return r(n)
    if layout == "step":
        return r(3 * n)[::3]
    if layout == "offset":
        return r(n + 11)[11:]
    if layout == "expand":
        return r(1).expand(n)
    raise ValueError(layout)


def check_views(x: torch.Tensor, layout: str) -> None:
    """The view really has the layout it claims (so a test cannot pass on a silent copy)."""
    if layout.startswith("expand") and x.numel() > 1:
        assert 0 in x.stride(), (layout, x.stride())
    if layout == "transposed" and x.dim() == 2 and min(x.shape) > 1:
        assert x.stride(0) == 1, x.stride()
