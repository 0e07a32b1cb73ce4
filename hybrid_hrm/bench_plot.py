"""The picture of a benchmark report: time per puzzle and search nodes by method, and the cycle sweep."""

from __future__ import annotations

from pathlib import Path


def plot_report(report: dict, path: str | Path) -> Path:
    """Box plot of time per puzzle and mean search nodes by method (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["methods"])
    sweep = report.get("cycle_sweep")
    fig, axes = plt.subplots(1, 3 if sweep else 2, figsize=(16 if sweep else 11, 4))
    ax1, ax2 = axes[0], axes[1]
    if sweep:
        for mode, rates in sweep["rates"].items():
            axes[2].plot(sweep["cycles"], rates, marker="o", label=mode)
        axes[2].set_xscale("log", base=2)
        axes[2].set_xlabel("cycle budget")
        axes[2].set_ylabel("solved without search")
        axes[2].set_title("the loop alone vs its cycle budget")
        axes[2].legend(fontsize=8)
    ax1.boxplot([report["methods"][n]["ms_per_puzzle"] for n in names], showfliers=False)
    ax1.set_xticks(range(1, len(names) + 1), names, rotation=35, ha="right")
    ax1.set_yscale("log")
    ax1.set_ylabel("ms per puzzle")
    ax1.set_title(f"{report['domain']}: time per puzzle ({report['puzzles']} puzzles)")
    # Only methods that count nodes (the baselines' own solvers do not report them).
    counted = [n for n in names if report["methods"][n]["mean_nodes"] > 0]
    ax2.bar(counted, [report["methods"][n]["mean_nodes"] for n in counted])
    ax2.set_yscale("log")
    ax2.set_ylabel("mean search nodes")
    ax2.set_xticks(range(len(counted)), counted, rotation=35, ha="right")
    ax2.set_title("search nodes per puzzle")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
