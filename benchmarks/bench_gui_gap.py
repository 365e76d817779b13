"""The GUI thread's longest stall while a 1,000,000-row fit with missing values runs (issue 16, window).

    python3 benchmarks/bench_gui_gap.py [--rows 1000000] [--max-iter 8] [--repeats 1] [--dump FILE]

Runs offscreen. Writes (once, then reuses) a CSV of ``rows`` x 5 numeric columns with about 3 % missing
cells to /tmp, opens it in the real MainWindow, ticks the five columns and fits a Gaussian mixture (full,
k=4, missing values fitted) through the worker thread, with the engine's passes on 2 threads and, interleaved
in the same run as the reference, on 1 thread. A 20 ms QTimer on the GUI thread records the gaps between its
ticks; the script prints the largest gap and the 99th percentile during the fit (not the load), the fit's
time and the load average.

``--frames ROWS [ROWS ...]``: instead, where one live frame's GUI-thread time goes (thread CPU time, so other
jobs on the machine do not count) from the start of the fit to its end reaching the window, divided by the live
frames drawn meanwhile: a 2-D fit (k=4 full, 60 iterations) of ROWS rows in the window, with the
time in the frame's Python (drawing the state: setData and our code), the snapshots' handling and the paint of
each kind of plot item, per frame; ``--against DIR`` runs the same, interleaved, on the emdesk code in DIR (e.g.
``git archive main | tar -x -C DIR``) as the reference. Small data are fitted with the examples' demonstration
delay (30 ms per iteration), so their fits are drawn frame by frame as a person sees them. ``--hmm``: a 3-state
Gaussian HMM of one series of ROWS steps instead (its view draws the first 5,000; with the delay too).

``--end ROWS``: the fit's end instead: a 2-D-drawn fit of ROWS x 5 rows with about 3 % missing cells (k=4 full,
6 iterations, so it stops at max_iter and the "did not converge" message appears), and from its end reaching
the window until the Results summary is shown and the window has painted: the GUI thread's CPU time, the largest
gap of a 20 ms timer, the CPU of the end-of-fit handler, the plot views' paints and resizes (and their CPU).
With ``--against DIR``, interleaved with the code in DIR, each fit in its own process.

``--dump FILE``: while a fit runs, each timer tick re-arms ``faulthandler.dump_traceback_later(0.25)``, so a
stall of the GUI thread longer than 250 ms writes every thread's Python stack to FILE (faulthandler's C
watchdog needs no GIL): the thread that holds the GIL during a stall is the one not waiting in a lock.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import sys
import tempfile
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402

import emdesk.gui  # noqa: E402,F401  (before Qt use: see emdesk/gui/__init__.py)
from PySide6 import QtCore, QtWidgets  # noqa: E402

TICK_MS = 20
DUMP_S = 0.25  # --dump: stalls longer than this are dumped (--dump-ms)


def write_csv(path: str, rows: int, seed: int = 0) -> None:
    """``rows`` x 5 from four Gaussian clusters, each cell missing with probability 0.03."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4, size=(4, 5))
    tmp = path + ".part"
    with open(tmp, "w") as fh:
        fh.write("a,b,c,d,e\n")
        for start in range(0, rows, 100_000):
            m = min(100_000, rows - start)
            X = centres[rng.integers(0, 4, m)] + rng.normal(size=(m, 5))
            X[rng.random((m, 5)) < 0.03] = np.nan
            fh.write("\n".join(",".join("" if v != v else f"{v:.4f}" for v in r) for r in X.tolist()) + "\n")
    os.replace(tmp, path)


def _run_delay() -> float:
    """Seconds the calling thread has waited on a run queue (Linux schedstat; 0 elsewhere)."""
    try:
        with open("/proc/thread-self/schedstat") as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class GapMeter(QtCore.QObject):
    """A ``TICK_MS`` timer on the GUI thread recording the gaps between its ticks (and, with a dump file,
    re-arming faulthandler's watchdog at every tick)."""

    def __init__(self, dump=None):
        super().__init__()
        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.dump = dump
        self.gaps: list[float] = []
        self.ends: list[float] = []  # perf_counter at the end of each gap
        self.cpu: list[float] = []  # the GUI thread's CPU time during each gap (the rest: waiting)
        self.runq: list[float] = []  # ... its time runnable but not running (other processes had the cores)
        self._last = 0.0
        self._last_cpu = 0.0

    def start(self):
        self.gaps = []
        self.ends = []
        self.cpu = []
        self.runq = []
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._last_runq = _run_delay()
        self.timer.start()

    def stop(self):
        self.timer.stop()
        if self.dump is not None:
            faulthandler.cancel_dump_traceback_later()

    def _tick(self):
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self.ends.append(now)
        self._last = now
        cpu = time.thread_time()
        self.cpu.append(cpu - self._last_cpu)
        self._last_cpu = cpu
        runq = _run_delay()
        self.runq.append(runq - self._last_runq)
        self._last_runq = runq
        if self.dump is not None:
            faulthandler.dump_traceback_later(DUMP_S, repeat=False, file=self.dump)


def _until_summary_shown(window, loop) -> None:
    """Runs ``loop`` (the window's event loop, timers ticking) until the Results summary is shown: no summary
    pending and no background job busy."""
    wait = QtCore.QTimer()
    wait.setInterval(5)
    wait.timeout.connect(lambda: None if window.results.summary_pending() or window.jobs.busy() else loop.quit())
    wait.start()
    loop.exec()
    wait.stop()


def _five_column_window(app, MainWindow, csv: str, settings_path: str, max_iter: int):
    """A 1280 x 720 window shown with ``csv`` (:func:`write_csv`'s columns a..e) open, the five columns ticked
    and prepared, and k=4 full covariances, one start, ``max_iter`` steps at tol 0 set."""
    window = MainWindow(settings=QtCore.QSettings(settings_path, QtCore.QSettings.Format.IniFormat))
    window.resize(1280, 720)
    window.show()
    app.processEvents()
    window.open_csv(csv)
    window.select_columns(["a", "b", "c", "d", "e"])
    while window.jobs.busy():
        QtCore.QThread.msleep(5)
        app.processEvents()
    window.set_options(n_components=4, covariance_type="full", n_init=1, max_iter=max_iter, tol=0.0,
                       random_state=0)
    return window


def run(app, csv: str, settings_path: str, threads: int, max_iter: int, dump) -> dict:
    from emdesk.engine import set_num_threads
    from emdesk.gui.main_window import MainWindow

    set_num_threads(threads)
    window = _five_column_window(app, MainWindow, csv, settings_path, max_iter)
    meter = GapMeter(dump)
    loop = QtCore.QEventLoop()
    done: dict = {}
    window.fitFinished.connect(lambda: (done.setdefault("ok", True), done.setdefault("end", time.perf_counter()),
                                        loop.quit()))
    window.fitFailed.connect(lambda m: (done.setdefault("error", m), loop.quit()))
    if dump is not None:
        dump.write(f"\n===== fit on {threads} engine thread(s) =====\n")
        dump.flush()
    meter.start()
    t = time.perf_counter()
    cpu = time.thread_time()
    frames = window.frames_drawn
    window.start_fit()
    loop.exec()
    seconds = time.perf_counter() - t
    t_fit = time.perf_counter()  # the fit phase ends here (as before: the fit's end shown, the loop left)
    gui_cpu = time.thread_time() - cpu
    frames = window.frames_drawn - frames
    # then, the timer still ticking, the window left to its event loop until the Results summary is shown
    _until_summary_shown(window, loop)
    summary_s = time.perf_counter() - t_fit
    meter.stop()
    iters = len(window.history)
    window.close()
    app.processEvents()
    set_num_threads(None)
    if "error" in done:
        raise SystemExit(f"fit failed: {done['error']}")
    gaps = np.asarray(meter.gaps) * 1e3
    ends = np.asarray(meter.ends)
    # where the three largest gaps ended: seconds after the start, and ms before the fit's end reached the window
    t0, t_end = ends[0] - gaps[0] / 1e3, done.get("end", t_fit)
    top = [(gaps[i], ends[i] - t0, (t_end - ends[i]) * 1e3, meter.cpu[i] * 1e3, meter.runq[i] * 1e3) for i in np.argsort(gaps)[::-1][:3]]
    fit = ends <= t_fit
    cpu, runq = np.asarray(meter.cpu) * 1e3, np.asarray(meter.runq) * 1e3
    long = fit & (gaps >= 100)  # the fit's gaps of 100 ms or more: where their time went
    split = (int(long.sum()), gaps[long].sum(), cpu[long].sum(), runq[long].sum())
    after = gaps[~fit] if (~fit).any() else np.zeros(1)
    gaps = gaps[fit]
    return {"max": gaps.max(), "top": top, "p99": np.percentile(gaps, 99), "median": np.median(gaps),
            "ticks": gaps.size, "s": seconds, "iters": iters,
            "gui_cpu": gui_cpu, "frames": frames,
            "split": split, "sum_s": summary_s, "sum_max": after.max(), "sum_p99": np.percentile(after, 99), "sum_ticks": after.size}


class _Timers:
    """GUI-thread CPU time (``time.thread_time``) and calls per label, by wrapping methods."""

    def __init__(self):
        self.t: dict = {}
        self.n: dict = {}

    def wrap(self, cls, name, key):
        orig = getattr(cls, name)
        timers = self

        def timed(obj, *args, **kwargs):
            label = key(obj)
            t0 = time.thread_time()
            try:
                return orig(obj, *args, **kwargs)
            finally:
                timers.t[label] = timers.t.get(label, 0.0) + time.thread_time() - t0
                timers.n[label] = timers.n.get(label, 0) + 1

        setattr(cls, name, timed)


def frame_breakdown(app, rows: int, settings_path: str, iters: int = 60, hmm: bool = False) -> dict:
    """One live 2-D fit of ``rows`` rows (4 clusters, k=4 full), or with ``hmm`` a 3-state Gaussian HMM of one
    series of ``rows`` steps: GUI-thread CPU per frame and where it goes."""
    import pyqtgraph as pg

    from emdesk.gui.controllers.fit import FitController
    from emdesk.gui.controllers.timeline import TimelineController
    from emdesk.gui.main_window import MainWindow

    rng = np.random.default_rng(0)
    if hmm:  # one series switching between 3 levels (a 1-D Gaussian HMM; the view draws 5,000 steps)
        stay = rng.random(rows) < 0.97
        z = np.zeros(rows, dtype=np.int64)
        for t in range(1, rows):
            z[t] = z[t - 1] if stay[t] else rng.integers(0, 3)
        X = (np.array([-2.0, 0.0, 2.5])[z] + 0.7 * rng.normal(size=rows))[:, None]
        header = "x"
    else:
        lab = rng.integers(0, 4, rows)
        X = np.array([(0, 0), (3, 3), (-3, 2), (2, -3)], dtype=float)[lab] + rng.normal(size=(rows, 2)) * (
            0.6 + 0.2 * lab)[:, None]
        header = "x,y"
    csv = os.path.join(os.path.dirname(settings_path), f"frames-{rows}.csv")
    np.savetxt(csv, X, delimiter=",", header=header, comments="", fmt="%.5f")
    window = MainWindow(settings=QtCore.QSettings(settings_path, QtCore.QSettings.Format.IniFormat))
    window.resize(1280, 720)
    window.show()
    app.processEvents()
    window.open_csv(csv)
    if hmm:
        window.set_model_kind("hmm", "gaussian")
        window.select_columns(["x"])
    while window.jobs.busy():
        QtCore.QThread.msleep(5)
        app.processEvents()
    window.set_options(n_components=3 if hmm else 4, covariance_type="full", n_init=1, max_iter=iters, tol=0.0,
                       random_state=0)
    views = {id(window.trace.plot): "trace"}
    if hmm:
        views[id(window.views.graphics)] = "HMM view"
    else:
        views[id(window.views.plot_2d.plot)] = "2-D view"

    def where(item):
        scene = item.scene()
        return views.get(id(scene.views()[0]), "other") if scene is not None and scene.views() else "other"

    tm = _Timers()
    tm.wrap(TimelineController, "show_index", lambda o: "draw the state (our Python + setData)")
    tm.wrap(FitController, "_on_snapshots", lambda o: "receive snapshots (+ trace data)")
    for cls in (pg.AxisItem, pg.ScatterPlotItem, pg.PlotCurveItem, pg.InfiniteLine, pg.LegendItem, pg.ImageItem):
        tm.wrap(cls, "paint", lambda o, c=cls.__name__: f"paint {c} ({where(o)})")
    from emdesk.gui.points_item import ColoredPointsItem

    tm.wrap(ColoredPointsItem, "paint", lambda o: f"paint {type(o).__name__} ({where(o)})")
    ended: list = []  # the GUI-thread CPU clock when the fit's end reaches the window (its summary not counted)
    finished = FitController._on_fit_finished

    def on_finished(ctrl, *args):
        ended.append((time.thread_time(), dict(tm.t), dict(tm.n)))
        return finished(ctrl, *args)

    FitController._on_fit_finished = QtCore.Slot(int, object, bool)(on_finished)
    loop = QtCore.QEventLoop()
    window.fitFinished.connect(loop.quit)
    window.fitFailed.connect(loop.quit)
    window.fit.demo_delay = 0.03 if rows < 10_000 or hmm else 0.0
    frames = window.frames_drawn
    cpu = time.thread_time()
    window.start_fit()
    loop.exec()
    cpu = (ended[0][0] if ended else time.thread_time()) - cpu
    times, calls = (ended[0][1], ended[0][2]) if ended else (tm.t, tm.n)
    frames = window.frames_drawn - frames - 1  # the live frames (not the one the fit's end draws)
    window.close()
    app.processEvents()
    return {"rows": rows, "frames": frames, "cpu": cpu, "t": times, "n": calls, "kind": "HMM" if hmm else "2-D"}


def print_breakdown(label: str, r: dict) -> None:
    f = max(r["frames"], 1)
    print(f"{label}: {r['kind']} fit of {r['rows']:,} rows, {r['frames']} frames, GUI-thread CPU {r['cpu'] * 1e3 / f:.1f} ms per frame "
          f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    for k in sorted(r["t"], key=lambda k: -r["t"][k]):
        if r["t"][k] * 1e3 / f >= 0.1:
            print(f"    {k:52s} {r['t'][k] * 1e3 / f:6.1f} ms per frame ({r['n'][k]} calls)", flush=True)


def end_of_fit(app, rows: int, settings_path: str) -> dict:
    """One fit of ``rows`` x 5 (3 % missing cells, k=4 full, 6 iterations: it stops at max_iter): the GUI
    thread from the fit's end reaching the window until its Results summary is shown and painted."""
    import pyqtgraph as pg

    from emdesk.gui.controllers.fit import FitController
    from emdesk.gui.main_window import MainWindow

    csv = os.path.join(os.path.dirname(settings_path), f"end-{rows}.csv")
    write_csv(csv, rows, seed=1)
    views: list = []
    counts = {"paints": 0, "paint_cpu": 0.0, "resizes": 0}
    mark: dict = {}
    paint, resize = pg.GraphicsView.paintEvent, pg.GraphicsView.resizeEvent

    def painted(view, ev):
        t0 = time.thread_time()
        try:
            return paint(view, ev)
        finally:
            if mark and any(view is v for v in views):
                counts["paints"] += 1
                counts["paint_cpu"] += time.thread_time() - t0

    def resized(view, ev):
        if mark and any(view is v for v in views):
            counts["resizes"] += 1
        return resize(view, ev)

    pg.GraphicsView.paintEvent, pg.GraphicsView.resizeEvent = painted, resized
    # (patched before the window exists: PySide6 looks up a Python override when the view is made)
    window = _five_column_window(app, MainWindow, csv, settings_path, 6)
    views[:] = [window.views.plot_2d.plot, window.trace.plot]
    finished = FitController._on_fit_finished

    def on_finished(ctrl, *args):
        meter.start()
        mark.update(cpu=time.thread_time())
        try:
            return finished(ctrl, *args)
        finally:
            mark["handler"] = time.thread_time() - mark["cpu"]

    FitController._on_fit_finished = QtCore.Slot(int, object, bool)(on_finished)
    meter = GapMeter()
    loop = QtCore.QEventLoop()
    window.fitFinished.connect(loop.quit)
    window.fitFailed.connect(loop.quit)
    window.start_fit()
    loop.exec()
    _until_summary_shown(window, loop)
    settle = time.perf_counter() + 0.5  # the paints the summary queued
    while time.perf_counter() < settle:
        app.processEvents()
        QtCore.QThread.msleep(2)
    cpu = time.thread_time() - mark["cpu"]
    meter.stop()
    gaps = sorted(meter.gaps, reverse=True)
    window.close()
    app.processEvents()
    pg.GraphicsView.paintEvent, pg.GraphicsView.resizeEvent = paint, resize
    FitController._on_fit_finished = finished
    return {"rows": rows, "cpu": cpu, "handler": mark["handler"], "max_gap": gaps[0] if gaps else 0.0,
            "second_gap": gaps[1] if len(gaps) > 1 else 0.0, **counts}


def print_end(label: str, r: dict) -> None:
    print(f"{label}: fit's end, {r['rows']:,} x 5 rows: GUI-thread CPU {r['cpu'] * 1e3:.0f} ms until the summary "
          f"is shown and painted (the end-of-fit handler {r['handler'] * 1e3:.0f} ms); largest gap "
          f"{r['max_gap'] * 1e3:.0f} ms, next {r['second_gap'] * 1e3:.0f} ms; plot views: {r['resizes']} resizes, "
          f"{r['paints']} paints ({r['paint_cpu'] * 1e3:.0f} ms CPU); load average {os.getloadavg()[0]:.1f}",
          flush=True)


def frames_main(args) -> int:
    import json
    import subprocess

    if args.one_json:  # one fit, in a child process on one code tree
        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["bench_gui_gap"])
        with tempfile.TemporaryDirectory(prefix="emdesk-bench-") as tmp:
            if args.end:
                print(json.dumps(end_of_fit(app, args.end, os.path.join(tmp, "s.ini"))))
            else:
                print(json.dumps(frame_breakdown(app, args.frames[0], os.path.join(tmp, "s.ini"), hmm=args.hmm)))
        return 0
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    trees = ([("reference", os.path.abspath(args.against))] if args.against else []) + [("this code", here)]
    for rep in range(args.repeats):
        for rows in ([args.end] if args.end else args.frames):
            for label, tree in trees:  # each fit in a fresh process, the trees interleaved
                env = dict(os.environ, PYTHONPATH=tree)
                what = ["--end", str(rows)] if args.end else ["--frames", str(rows)]
                out = subprocess.run([sys.executable, os.path.abspath(__file__), *what, "--one-json"]
                                     + (["--hmm"] if args.hmm else []),
                                     env=env, capture_output=True, text=True, check=True).stdout
                show = print_end if args.end else print_breakdown
                show(f"run {rep + 1}, {label} ({tree})", json.loads(out.strip().splitlines()[-1]))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--max-iter", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--threads", type=int, nargs="+", default=[2, 1],
                    help="engine thread counts, run interleaved in this order (default: 2 then 1)")
    ap.add_argument("--nice", type=int, default=0,
                    help="an experiment: the engine's pool threads lower their OS priority by this much")
    ap.add_argument("--dump", help="write every thread's stack to this file at each GUI stall > 250 ms")
    ap.add_argument("--dump-ms", type=float, default=250, help="with --dump: the stall length dumped")
    ap.add_argument("--frames", type=int, nargs="+", help="per-frame breakdown of live 2-D fits of these rows")
    ap.add_argument("--end", type=int, help="the GUI thread at the end of a fit of this many rows x 5")
    ap.add_argument("--against", help="with --frames or --end: the reference emdesk code tree, run interleaved")
    ap.add_argument("--hmm", action="store_true", help="with --frames: a 3-state Gaussian HMM of one series")
    ap.add_argument("--one-json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.frames or args.end:
        return frames_main(args)

    csv = os.path.join(tempfile.gettempdir(), f"emdesk-gap-{args.rows}x5-3pct.csv")
    if not os.path.exists(csv):
        t = time.perf_counter()
        write_csv(csv, args.rows)
        print(f"wrote {csv} ({os.path.getsize(csv) / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s", flush=True)
    if args.nice:
        from emdesk.engine import _threads

        init = _threads._pool_thread_init

        def nicer():
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), args.nice)
            init()

        _threads._pool_thread_init = nicer
        # and the fit's worker thread and the background jobs' threads (the summary)
        from emdesk.gui import background, worker

        def niced(fn):
            def wrapper(self, *a, **kw):
                try:
                    if os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < args.nice:
                        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), args.nice)
                except OSError:
                    pass
                return fn(self, *a, **kw)
            return wrapper

        worker.FitWorker._run = niced(worker.FitWorker._run)
        background.Job.run = niced(background.Job.run)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["bench_gui_gap"])
    global DUMP_S
    DUMP_S = args.dump_ms / 1e3
    dump = open(args.dump, "w") if args.dump else None
    results: dict = {n: [] for n in args.threads}
    with tempfile.TemporaryDirectory(prefix="emdesk-bench-") as tmp:
        for rep in range(args.repeats):
            for n in args.threads:
                r = run(app, csv, os.path.join(tmp, "s.ini"), n, args.max_iter, dump)
                results[n].append(r)
                print(f"run {rep + 1}, engine on {n} thread(s): {r['iters']} iterations in {r['s']:.1f} s; GUI gaps "
                      f"(20 ms timer, {r['ticks']} ticks): largest {r['max']:.0f} ms, 99th percentile "
                      f"{r['p99']:.0f} ms, median {r['median']:.0f} ms; GUI thread CPU {r['gui_cpu']:.1f} s for "
                      f"{r['frames']} frames; load average {os.getloadavg()[0]:.1f}",
                      flush=True)
                n_long, g, c, q = r["split"]
                print(f"    the fit's {n_long} gaps of 100 ms or more, {g:.0f} ms in all: the GUI thread running {c:.0f} ms, "
                      f"runnable (waiting for a core) {q:.0f} ms, blocked (the interpreter lock or other) "
                      f"{g - c - q:.0f} ms", flush=True)
                print(f"    then until the Results summary is shown ({r['sum_s']:.1f} s, {r['sum_ticks']} ticks): largest "
                      f"gap {r['sum_max']:.0f} ms, 99th percentile {r['sum_p99']:.0f} ms", flush=True)
                print("    largest gaps: " + "; ".join(f"{g:.0f} ms (GUI thread: running {c:.0f} ms, runnable {q:.0f} ms, "
                                                       f"blocked {g - c - q:.0f} ms) ending {a:.2f} s after "
                                                       f"the start, {b:.0f} ms before the fit's end was shown"
                                                       for g, a, b, c, q in r["top"]),
                      flush=True)
    if dump is not None:
        dump.close()
    for n, rs in results.items():
        mx = sorted(r["max"] for r in rs)
        p99 = sorted(r["p99"] for r in rs)
        print(f"engine on {n} thread(s), {len(rs)} run(s): largest gap best {mx[0]:.0f} / median "
              f"{np.median(mx):.0f} ms; 99th percentile best {p99[0]:.0f} / median {np.median(p99):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
