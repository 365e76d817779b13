"""The window's pieces with one job each, driving the session (``emdesk.session``): loading files,
fitting (worker thread), drawing the timeline, the degeneracy guard, starting means placed by hand, other
models (restarts, model selection) and export. Each holds a reference to the window for its widgets."""
