"""Declaring the addon's operators (``torch.ops.lwganet.*``) in Python, backed by their references.

The Node addon registers each schema with a C++ kernel; Python declares the same schema with the
reference implementation and a shape function, so that export, compilation and Python inference
work without compiled code.
"""

from typing import Callable, List

import torch

__all__ = ["define_op"]

NAMESPACE = "lwganet"
_LIBRARIES: List[torch.library.Library] = []  # a Library deregisters its ops when collected


def define_op(schema: str, reference: Callable, fake: Callable) -> None:
    """Declares ``lwganet::<name>`` (the name is the schema's, up to its parenthesis) with
    ``reference`` for every backend and ``fake`` as its shape function, unless it is declared
    already (a second import)."""
    name = schema.split("(", 1)[0]
    try:
        getattr(torch.ops.lwganet, name).default  # noqa: B018 (registered already)
        return
    except (AttributeError, RuntimeError):
        pass
    # A FRAGMENT: the detector's ops own the namespace's DEF (detection/native_ops.py).
    lib = torch.library.Library(NAMESPACE, "FRAGMENT")
    lib.define(schema)
    lib.impl(name, reference, "CompositeExplicitAutograd")
    torch.library.register_fake(f"{NAMESPACE}::{name}", fake, lib=lib)
    _LIBRARIES.append(lib)
