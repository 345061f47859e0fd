"""Sweeps: many configurations × seeds of one experiment, on a local process pool or a Dask cluster."""
