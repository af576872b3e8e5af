"""Rendering of a ``BenchRun``: the aligned text table, the long-format CSV and the PNG plot."""

from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path

CSV_FIELDS = ("kernel", "dtype", "shape", "impl", "ms", "gbps_or_tflops", "pct_of_copy", "status", "first_call_s")


def shape_str(shape) -> str:
    """``(4096, 256)`` -> ``4096x256``."""
    return "x".join(str(d) for d in shape)


def geomean(values) -> float | None:
    """Geometric mean of the positive values, or None when there are none."""
    vals = [v for v in values if v is not None and v > 0]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else None


def _num(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}"


def _cell(row) -> str:
    if row is None:
        return "-"
    if row.ok:
        return _num(row.rate)
    if row.status == "WRONG":
        return "WRONG"
    return "n/a" if row.status.startswith("unavailable") else "FAILED"


def shown_impls(run) -> list:
    """Implementations that ran on at least one shape (never-available ones go to the notes)."""
    return [n for n in run.impls
            if any(r.impl == n and not r.status.startswith("unavailable") for r in run.rows)]


def _summary_rows(run, cols):
    n = len(run.shapes)
    gm, pct, first, starred = [], [], [], False
    for name in cols:
        rows = [r for r in run.rows if r.impl == name]
        ok = [r for r in rows if r.ok]
        g = geomean(r.rate for r in ok)
        mark = "*" if ok and len(ok) < n else ""
        starred |= bool(mark)
        gm.append(_num(g) + mark)
        pct.append(_num(geomean(r.pct_of_copy for r in ok)) + (mark if ok else ""))
        times = [r.first_call_s for r in rows if r.first_call_s is not None]
        first.append(f"{statistics.median(times):.3g}" if times else "-")
    rows = [("geomean", gm)] + ([("% of copy", pct)] if "copy" in run.impls else []) + [("first call s", first)]
    return rows, starred


def _notes(run) -> list:
    notes, seen = [], set()
    for r in run.rows:
        if r.ok:
            continue
        msg = f"{r.impl}: {r.status}" + (f" ({r.detail})" if r.detail else "")
        key = (r.impl, r.status)
        if key in seen:
            continue
        seen.add(key)
        where = [shape_str(x.shape) for x in run.rows if x.impl == r.impl and x.status == r.status]
        notes.append(f"  {msg}  [{len(where)} shape(s), first {where[0]}]")
    return notes


def format_table(run) -> str:
    """The aligned report: header lines, one line per shape, geomean / % of copy / first-call
    lines, and notes naming every unavailable, failed or WRONG implementation."""
    h = run.header
    cols = shown_impls(run)
    lines = [f"kopt bench {run.kernel}  dtype={run.dtype}  shapes={run.tag} ({len(run.shapes)})  unit={run.unit}",
             f"device: {h['device']}  torch {h['torch']}  triton {h['triton']}  python {h['python']}  {h['date']}"]
    grid = [["shape"] + cols]
    for shape in run.shapes:
        grid.append([shape_str(shape)] + [_cell(run.row(shape, c)) for c in cols])
    summary, starred = _summary_rows(run, cols)
    grid += [[label] + vals for label, vals in summary]
    widths = [max(len(r[i]) for r in grid) for i in range(len(grid[0]))]
    text = ["  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]) for r in grid]
    rule = "-" * len(text[0])
    lines += [text[0], rule] + text[1:len(run.shapes) + 1] + [rule] + text[len(run.shapes) + 1:]
    if starred:
        lines.append("  * over the shapes where the implementation ran and was correct")
    lines += ["", "latency, us (the timer's median):"] + _latency_lines(run, cols)
    notes = _notes(run)
    if notes:
        lines += ["notes:"] + notes
    return "\n".join(lines)


def _latency_lines(run, cols) -> list:
    grid = [["shape"] + cols]
    for shape in run.shapes:
        cells = []
        for c in cols:
            r = run.row(shape, c)
            cells.append(_num(1e3 * r.ms) if r is not None and r.ok and r.ms is not None else _cell(r))
        grid.append([shape_str(shape)] + cells)
    widths = [max(len(r[i]) for r in grid) for i in range(len(grid[0]))]
    return ["  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]) for r in grid]


def progress_line(run, shape, index: int) -> str:
    """One line per finished shape: each implementation's rate or status."""
    parts = [f"{r.impl}={_cell(r)}" for r in run.rows if r.shape == tuple(shape)]
    return f"[{index + 1}/{len(run.shapes)}] {run.kernel} {run.dtype} {shape_str(shape)}: " + " ".join(parts)


def write_csv(run, path: Path) -> None:
    """Long format, one line per (shape, implementation): ``CSV_FIELDS``."""
    def f(v):
        return "" if v is None else repr(float(v))

    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_FIELDS)
        for r in run.rows:
            w.writerow([r.kernel, r.dtype, shape_str(r.shape), r.impl, f(r.ms), f(r.rate), f(r.pct_of_copy),
                        r.status if r.status != "WRONG" or not r.detail else f"WRONG: {r.detail}",
                        f(r.first_call_s)])


def plot_rates(run, path: Path) -> bool:
    """Rate against N (last dim; shape labels for matmul), one line per implementation, copy
    dashed. Uses matplotlib's object API (no pyplot backend state). False if matplotlib is absent."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return False
    xs = [s[-1] for s in run.shapes]
    by_n = len(run.shapes[0]) == 2 and len(set(xs)) == len(xs)  # row kernels: against N; matmul, attention: labels
    fig = Figure(figsize=(10, 5.5), dpi=110)
    ax = fig.subplots()
    for name in shown_impls(run):
        pts = [(s[-1] if by_n else i, r.rate) for i, s in enumerate(run.shapes)
               if (r := run.row(s, name)) is not None and r.ok]
        if not pts:
            continue
        pts.sort()
        style = dict(linestyle="--", color="black", linewidth=1.2) if name == "copy" else dict(marker=".")
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=name, **style)
    if by_n:
        ax.set_xlabel("N (row length)" + (f", M = {run.shapes[0][0]}" if len({s[0] for s in run.shapes}) == 1 else ""))
        if max(xs) / max(1, min(xs)) > 32:
            ax.set_xscale("log", base=2)
    else:
        ax.set_xticks(range(len(run.shapes)), [shape_str(s) for s in run.shapes], rotation=30, fontsize=8)
        ax.set_xlabel("shape")
    ax.set_ylabel(run.unit)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"{run.kernel} {run.dtype} — {run.header['device']}, torch {run.header['torch']}, "
                 f"triton {run.header['triton']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    return True


def output_stem(run, out_dir: Path) -> Path:
    """``out_dir/{kernel}_{dtype}_{tag}``, the directory created."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir / f"{run.kernel}_{run.dtype}_{run.tag}"


def write_outputs(run, out_dir: Path, *, plot: bool = True, echo=print) -> dict:
    """Write ``{kernel}_{dtype}_{tag}`` .csv, .txt and .png under ``out_dir``; returns the paths."""
    stem = output_stem(run, out_dir)
    files = {"csv": stem.with_suffix(".csv"), "txt": stem.with_suffix(".txt")}
    write_csv(run, files["csv"])
    files["txt"].write_text(run.table() + "\n")
    if plot:
        png = stem.with_suffix(".png")
        if plot_rates(run, png):
            files["png"] = png
        elif echo is not None:
            echo("note: matplotlib is not installed; no plot written")
    return files
