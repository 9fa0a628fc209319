"""A faithful stand-in for the U-Mail bulk-mail platform, served over real HTTP.

The portal talks to it exactly as it would to the platform and never imports it.
Run it with ``python -m sandbox serve --seed``; see ``sandbox/README.md``.
"""

__version__ = "0.1.0"


def create_app(*args, **kwargs):  # noqa: ANN002, ANN003 - thin lazy re-export
    """See :func:`sandbox.app.create_app` (imported lazily so ``import sandbox`` stays cheap)."""
    from sandbox.app import create_app as _create_app

    return _create_app(*args, **kwargs)
