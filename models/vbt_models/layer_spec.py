"""Parses fairseq's `conv_feature_layers` string without evaluating it.

fairseq stores the conv encoder as a Python expression such as
"[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2" and runs eval() on it.
Here only list/tuple displays, integer literals, `+` of lists and `*` of a list
by an integer are accepted; anything else is an error.
"""

import ast
from typing import Any, List, Tuple

from .errors import SourceError


def parse_conv_layers(text: str) -> List[Tuple[int, int, int]]:
    """[(channels, kernel, stride), ...] from a fairseq conv_feature_layers string."""
    try:
        tree = ast.parse(text, mode="eval")
        value = _evaluate(tree.body)
    except (SyntaxError, ValueError) as error:
        raise SourceError(f"cannot read conv_feature_layers {text!r}: {error}") from None
    if not isinstance(value, list) or not value:
        raise SourceError(f"conv_feature_layers {text!r} is not a non-empty list")
    layers = []
    for item in value:
        if not (isinstance(item, tuple) and len(item) == 3 and all(isinstance(v, int) for v in item)):
            raise SourceError(f"conv_feature_layers {text!r} holds {item!r}, not (channels, kernel, stride)")
        layers.append(item)
    return layers


def _evaluate(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.List):
        return [_evaluate(e) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_evaluate(e) for e in node.elts)
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Add) and isinstance(left, list) and isinstance(right, list):
            return left + right
        if isinstance(node.op, ast.Mult):
            if isinstance(left, list) and isinstance(right, int) and 0 <= right <= 64:
                return left * right
            if isinstance(right, list) and isinstance(left, int) and 0 <= left <= 64:
                return right * left
        raise ValueError("only list + list and list * small integer are allowed")
    raise ValueError(f"unsupported expression element {type(node).__name__}")
