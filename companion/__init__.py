"""The posture companion: reads a BLE motion sensor on the upper back, notices
sustained slouching, nudges, coaches stretches and keeps a local history."""


def __getattr__(name: str) -> str:
    # Looked up on first use: importlib.metadata costs tens of milliseconds, too much
    # for `posture status` in a prompt or status bar.
    if name != "__version__":
        raise AttributeError(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("posture-companion")
    except PackageNotFoundError:  # running from a source tree without installing
        value = "0.0.0+source"
    globals()["__version__"] = value
    return value
