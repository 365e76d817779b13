"""Data files read with Dask for fits beyond one machine (``emdesk-fit --dask``, the ``dask`` extra):
Parquet or CSV files (paths or glob patterns) as a dask DataFrame, the scheduler to run on, and a fit of
such files. The fit itself (per-chunk statistics reduced by Dask) is :mod:`emdesk.engine._dask`. Dask is
imported only when these functions run."""

from __future__ import annotations

def open_scheduler(scheduler):
    """A context manager running Dask computations on ``scheduler``:

    * ``"threads"`` / ``"synchronous"`` / ``"processes"``: Dask's local schedulers;
    * ``"local"`` or ``"local:N"``: a ``distributed.LocalCluster`` of N worker processes (default 2),
      closed afterwards;
    * ``"tcp://host:port"`` (any address a ``distributed.Client`` accepts, or a path to a
      scheduler file ending in ``.json``): an existing cluster.
    """
    import contextlib

    import dask

    if not isinstance(scheduler, str) or not scheduler:
        raise ValueError(f"scheduler must be a name or an address; got {scheduler!r}.")
    if scheduler in ("threads", "synchronous", "processes", "sync", "single-threaded"):
        return dask.config.set(scheduler=scheduler)

    @contextlib.contextmanager
    def distributed_client():
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ValueError(
                f"scheduler {scheduler!r} needs dask.distributed: pip install 'emdesk[dask]'.") from None
        if scheduler == "local" or scheduler.startswith("local:"):
            n = 2
            if scheduler.startswith("local:"):
                try:
                    n = int(scheduler.split(":", 1)[1])
                except ValueError:
                    n = 0
                if n < 1:
                    raise ValueError(f"'local:N' needs a number of workers N >= 1; got {scheduler!r}.")
            with LocalCluster(n_workers=n, threads_per_worker=1, dashboard_address=":0") as cluster, \
                    Client(cluster) as client:
                yield client
        else:
            kw = {"scheduler_file": scheduler} if scheduler.endswith(".json") else {"address": scheduler}
            try:
                client = Client(**kw, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise ValueError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
            with client:
                yield client

    return distributed_client()


def read_files(paths, columns=None):
    """A dask DataFrame of Parquet files or CSV files (paths or glob patterns; one format)."""
    import dask.dataframe as dd

    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        paths = [paths]
    paths = [str(p) for p in paths]
    if not paths:
        raise ValueError("No data files given.")
    exts = {p.lower().rsplit(".", 1)[-1] if "." in p else "" for p in paths}
    # The columns are selected afterwards (Dask pushes the selection down into the reader).
    if exts <= {"parquet", "pq"}:
        df = dd.read_parquet(paths)
    elif exts <= {"csv", "txt", "tsv"}:
        df = dd.read_csv(paths, sep="\t" if exts == {"tsv"} else ",", assume_missing=True)
    else:
        raise ValueError(
            f"Dask fits read Parquet (.parquet) or CSV (.csv) files, all of one kind; got {', '.join(paths)}.")
    if columns:
        have = {str(c): c for c in df.columns}
        unknown = [c for c in columns if str(c) not in have]
        if unknown:
            raise ValueError(f"The data files have no column {unknown[0]!r}; their columns are "
                             f"{', '.join(map(str, df.columns))}.")
        df = df[[have[str(c)] for c in columns]]
    return df


def fit_dask_files(paths, columns=None, scheduler="threads", *, sample_rows=None, **gm_params):
    """Fit a ``GaussianMixture(**gm_params)`` to ``columns`` (default: every numeric column) of
    Parquet or CSV files (paths or glob patterns) with Dask on ``scheduler`` (see
    :func:`open_scheduler`); returns the fitted model (``feature_names_in_`` = the columns).

    Raises ValueError for unreadable files, unknown columns, an unreachable scheduler, or any of
    the fit's own errors.
    """
    from ..engine import GaussianMixture
    from ..engine._dask import fit_iter

    est = GaussianMixture(**gm_params)
    with open_scheduler(scheduler):
        try:
            df = read_files(paths, columns)
        except (FileNotFoundError, OSError) as exc:
            raise ValueError(f"cannot read the data files: {exc}") from None
        for _ in fit_iter(est, df, sample_rows=sample_rows):
            pass
    return est
