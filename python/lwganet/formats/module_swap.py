"""What the exporter's graph rewrites share: one forward that records how each module of a kind
is called at a compiled shape, and replacing modules wherever they are registered."""

from collections import defaultdict
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

__all__ = ["calls_at", "replace_modules"]

Record = Callable[[nn.Module, Tuple[torch.Tensor, ...], torch.Tensor], object]


def calls_at(model: nn.Module, example: Sequence[torch.Tensor], wanted: Callable[[nn.Module], bool],
             record: Record) -> Dict[nn.Module, List[object]]:
    """Runs ``model`` once on ``example`` and returns, for each module ``wanted`` accepts that
    the forward calls, ``record(module, inputs, output)`` of every call, in call order."""
    calls: Dict[nn.Module, List[object]] = defaultdict(list)
    hooks = [m.register_forward_hook(lambda m, inputs, output: calls[m].append(record(m, inputs, output)))
             for m in model.modules() if wanted(m)]
    try:
        with torch.no_grad():
            model(*example)
    finally:
        for hook in hooks:
            hook.remove()
    return calls


def replace_modules(model: nn.Module, replacement: Callable[[nn.Module], Optional[nn.Module]]) -> int:
    """Puts ``replacement(child)`` in place of every child module it returns a module for (in
    place; a module registered under several parents gets one replacement, shared) and returns
    how many modules were replaced."""
    made: Dict[nn.Module, nn.Module] = {}
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if child not in made:
                new = replacement(child)
                if new is None:
                    continue
                made[child] = new
            setattr(parent, name, made[child])
    return len(made)
