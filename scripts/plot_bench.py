#!/usr/bin/env python3
"""Draws the BENCHMARKS.md plot as SVG with the standard library only (no matplotlib, no network).

Left panel: roofline fraction (achieved weight bytes/s over the read bandwidth measured in the
same run) per GEMV kernel shape and thread count, read from
`nvfp4_gemv_bench --benchmark_format=json` (counter `bw_frac`).
Right panel: decode tokens/s against threads, read from `dsc bench --json` outputs.

usage: plot_bench.py --gemv GEMV.json --bench T1.json [T2.json ...] -o plot.svg
"""
import argparse
import json
import re
import sys
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 980, 420
# bench/nvfp4_gemv_bench.cc kShapes (N x K), indexed by the first benchmark argument.
SHAPES = ["2048x7168", "7168x2048", "1536x7168", "24576x1536"]
PANEL_TOP, PANEL_BOTTOM = 60, 330


def gemv_bars(path):
    """(label, fraction) per GEMV benchmark run that reports bw_frac, in file order."""
    with open(path) as f:
        data = json.load(f)
    bars = []
    for b in data.get("benchmarks", []):
        if "bw_frac" not in b or b.get("run_type") == "aggregate":
            continue
        name = b["name"]
        if not re.match(r"BM_(Nvfp4|Fp8)Gemv/", name):
            continue
        args = name.split("/min_time")[0].split("/")[1:]
        kind = "nvfp4" if name.startswith("BM_Nvfp4") else "fp8"
        shape = SHAPES[int(args[0])] if args and args[0].isdigit() and int(args[0]) < len(SHAPES) else args[0]
        m = args[2] if kind == "nvfp4" and len(args) > 2 else "1"
        if m != "1":
            continue  # decode GEMVs only (m > 1 rows are the small-batch variants)
        label = b.get("label") or f"{kind} {shape} t={args[1] if len(args) > 1 else '?'}"
        bars.append((label, float(b["bw_frac"])))
    return bars


def bench_points(paths):
    """(threads, decode tok/s, roofline fraction) per dsc bench JSON, sorted by threads."""
    points = []
    for p in paths:
        with open(p) as f:
            d = json.load(f)
        points.append((int(d["threads"]), float(d["decode_tok_s"]), float(d["decode_roofline_fraction"])))
    return sorted(points)


def text(x, y, s, size=11, anchor="middle", rotate=None, weight="normal"):
    t = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-family="sans-serif" font-weight="{weight}"{t}>{escape(s)}</text>')


def axis(x0, x1, ymax, ticks, fmt):
    out = [f'<line x1="{x0}" y1="{PANEL_BOTTOM}" x2="{x1}" y2="{PANEL_BOTTOM}" stroke="black"/>',
           f'<line x1="{x0}" y1="{PANEL_TOP}" x2="{x0}" y2="{PANEL_BOTTOM}" stroke="black"/>']
    for v in ticks:
        y = PANEL_BOTTOM - (PANEL_BOTTOM - PANEL_TOP) * v / ymax
        out.append(f'<line x1="{x0 - 4}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(text(x0 - 6, y + 4, fmt(v), 10, "end"))
    return out


def left_panel(bars):
    x0, x1 = 70, 520
    out = [text((x0 + x1) / 2, 30, "NVFP4/FP8 GEMV: fraction of measured read bandwidth", 13, weight="bold")]
    ymax = max([1.0] + [b for _, b in bars]) * 1.05
    out += axis(x0, x1, ymax, [0, 0.25, 0.5, 0.75, 1.0], lambda v: f"{v:.2f}")
    y1 = PANEL_BOTTOM - (PANEL_BOTTOM - PANEL_TOP) * 0.85 / ymax
    out.append(f'<line x1="{x0}" y1="{y1:.1f}" x2="{x1}" y2="{y1:.1f}" stroke="#c00" stroke-dasharray="4 3"/>')
    out.append(text(x1 - 2, y1 - 4, "0.85 target", 10, "end"))
    if bars:
        step = (x1 - x0) / len(bars)
        for i, (label, frac) in enumerate(bars):
            h = (PANEL_BOTTOM - PANEL_TOP) * frac / ymax
            x = x0 + i * step + step * 0.15
            out.append(f'<rect x="{x:.1f}" y="{PANEL_BOTTOM - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                       f'fill="#4a7ab7"><title>{escape(label)}: {frac:.3f}</title></rect>')
            out.append(text(x + step * 0.35, PANEL_BOTTOM - h - 3, f"{frac:.2f}", 9))
            out.append(text(x + step * 0.35, PANEL_BOTTOM + 8, label, 8, "end", rotate=-40))
    else:
        out.append(text((x0 + x1) / 2, (PANEL_TOP + PANEL_BOTTOM) / 2, "no GEMV data", 12))
    out.append(text(22, (PANEL_TOP + PANEL_BOTTOM) / 2, "bytes/s / bandwidth", 11, rotate=-90))
    return out


def right_panel(points):
    x0, x1 = 640, 940
    out = [text((x0 + x1) / 2, 30, "dsc bench decode tokens/s vs threads", 13, weight="bold")]
    ymax = max([1.0] + [p[1] for p in points]) * 1.2
    ticks = [ymax * i / 4 for i in range(5)]
    out += axis(x0, x1, ymax, ticks, lambda v: f"{v:.1f}")
    if points:
        tmax = max(p[0] for p in points)
        xs = lambda t: x0 + (x1 - x0) * (t / (tmax + 0.5))
        ys = lambda v: PANEL_BOTTOM - (PANEL_BOTTOM - PANEL_TOP) * v / ymax
        path = " ".join(f"{'M' if i == 0 else 'L'}{xs(t):.1f},{ys(v):.1f}" for i, (t, v, _) in enumerate(points))
        out.append(f'<path d="{path}" fill="none" stroke="#2a9d5c" stroke-width="2"/>')
        for t, v, frac in points:
            out.append(f'<circle cx="{xs(t):.1f}" cy="{ys(v):.1f}" r="4" fill="#2a9d5c"/>')
            out.append(text(xs(t), ys(v) - 10, f"{v:.2f} tok/s ({frac:.2f} of roofline)", 10))
            out.append(text(xs(t), PANEL_BOTTOM + 16, str(t), 11))
        out.append(text((x0 + x1) / 2, PANEL_BOTTOM + 34, "threads (-t)", 11))
    else:
        out.append(text((x0 + x1) / 2, (PANEL_TOP + PANEL_BOTTOM) / 2, "no dsc bench data", 12))
    out.append(text(600, (PANEL_TOP + PANEL_BOTTOM) / 2, "decode tokens/s", 11, rotate=-90))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gemv", help="nvfp4_gemv_bench --benchmark_format=json output")
    ap.add_argument("--bench", nargs="*", default=[], help="dsc bench --json outputs (one per thread count)")
    ap.add_argument("-o", "--output", required=True, help="SVG file to write")
    args = ap.parse_args()
    bars = gemv_bars(args.gemv) if args.gemv else []
    points = bench_points(args.bench)
    body = left_panel(bars) + right_panel(points)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}">\n<rect width="100%" height="100%" fill="white"/>\n'
           + "\n".join(body) + "\n</svg>\n")
    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        f.write(svg)
    import os
    os.replace(tmp, args.output)
    print(f"wrote {args.output}: {len(bars)} GEMV bars, {len(points)} thread points", file=sys.stderr)


if __name__ == "__main__":
    main()
