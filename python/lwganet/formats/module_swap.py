"""What the exporter's graph rewrites share: one forward that records how each module of a kind
is called at a compiled shape, replacing modules wherever they are registered, which nodes of an
exported graph are computed from constants alone, and replacing calls of an exported graph."""

from collections import defaultdict
from typing import Any, Callable, Collection, Dict, List, Optional, Sequence, Tuple

import torch
from torch import fx, nn

__all__ = ["calls_at", "replace_modules", "constant_nodes", "replace_calls"]

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


def constant_nodes(graph: fx.Graph, constant_placeholders: Collection[str] = ()) -> Dict[fx.Node, bool]:
    """Whether each node of ``graph`` is computed from constants alone: parameters and buffers
    (``get_attr`` nodes, or in an exported program's lifted graph the placeholders named in
    ``constant_placeholders``) and ops whose inputs all are. Freezing folds such nodes."""
    constant: Dict[fx.Node, bool] = {}
    for node in graph.nodes:  # topological order: a node's inputs come before it
        if node.op == "placeholder":
            constant[node] = node.name in constant_placeholders
        elif node.op == "get_attr":
            constant[node] = True
        elif node.op == "call_function":
            inputs = node.all_input_nodes
            constant[node] = bool(inputs) and all(constant[i] for i in inputs)
        else:
            constant[node] = False
    return constant


def replace_calls(module: fx.GraphModule, target: Any, build: Callable[[fx.Graph, fx.Node], Optional[fx.Node]]) -> int:
    """For every call of ``target`` in ``module``'s graph, ``build(graph, node)`` may insert a
    replacement (it is called inserting before the node) and return it, or return None to leave
    the call. A replacement takes the node's value metadata and users, and the node goes. Returns
    how many calls were replaced; the module is recompiled when any was."""
    graph = module.graph
    replaced = 0
    for node in list(graph.nodes):
        if node.op != "call_function" or node.target is not target:
            continue
        with graph.inserting_before(node):
            call = build(graph, node)
        if call is None:
            continue
        call.meta.update(node.meta)
        node.replace_all_uses_with(call)
        graph.erase_node(node)
        replaced += 1
    if replaced:
        graph.lint()
        module.recompile()
    return replaced
