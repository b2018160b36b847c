"""Safe YAML loading that remembers where every key and value came from.

Only YAML's safe subset is constructed (no Python objects). Mappings load as
:class:`LineDict` and sequences as :class:`LineList`, which record the line and column of
each key/item and value so that validation errors can point into the file. Duplicate
keys are errors, not silently overwritten.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from casim.errors import CasimError

#: Largest file read (scenario and parameter files are a few kB).
MAX_BYTES = 2_000_000
#: Most values a document may hold once its aliases are expanded: a scenario holds a few
#: hundred. Checked on the parsed node graph, before any Python object is built, so a
#: "billion laughs" file of nested aliases is refused in microseconds.
MAX_NODES = 100_000
#: Deepest nesting of mappings and lists.
MAX_DEPTH = 50


class LineDict(dict):
    """A dict that knows the position of its keys and values in the source file."""

    start: tuple[int, int] = (0, 0)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.key_pos: dict[Any, tuple[int, int]] = {}
        self.value_pos: dict[Any, tuple[int, int]] = {}


class LineList(list):
    """A list that knows the position of each item in the source file."""

    start: tuple[int, int] = (0, 0)

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.item_pos: list[tuple[int, int]] = []


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Loader(yaml.SafeLoader):
    """SafeLoader building LineDict / LineList and refusing duplicate keys."""

    def __init__(self, stream: str, filename: str):
        super().__init__(stream)
        self.filename = filename


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.start = _pos(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            line, col = _pos(key_node)
            raise CasimError(loader.filename, line, col, "", "a mapping key must be a plain value") from None
        if key in out:
            line, col = _pos(key_node)
            raise CasimError(loader.filename, line, col, str(key), f"the key '{key}' appears twice in this mapping")
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_pos[key] = _pos(key_node)
        out.value_pos[key] = _pos(value_node)
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.start = _pos(node)
    out.item_pos = [_pos(child) for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def loads_yaml(text: str, filename: str = "<string>") -> Any:
    """Parse one YAML document safely, with positions.

    Raises:
        CasimError: for syntax errors, unsafe tags, duplicate keys or several documents.
    """
    if len(text) > MAX_BYTES:
        raise CasimError(filename, 1, 1, "", f"file too large (over {MAX_BYTES:,} characters)")
    loader = None
    try:
        loader = _Loader(text, filename)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, filename)
        doc = loader.construct_document(node)
    except CasimError:
        raise
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        col = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        raise CasimError(filename, line, col, "", f"the character {err.character!r} is not allowed in YAML") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = err.problem or err.context or "invalid YAML"
        if "could not determine a constructor" in str(err):
            problem = "this YAML tag is not allowed (only plain data is loaded)"
        raise CasimError(filename, line, col, "", f"YAML syntax: {problem}") from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError) as err:
        raise CasimError(filename, 1, 1, "", f"cannot read YAML: {err}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return doc


def _check_size(root: yaml.Node, filename: str) -> None:
    """Refuse documents whose expanded size or depth exceeds the limits (aliases counted in full)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            line, col = _pos(node)
            raise CasimError(filename, line, col, "", "the document refers to itself (a recursive YAML alias)")
        if depth > MAX_DEPTH:
            line, col = _pos(node)
            raise CasimError(filename, line, col, "", f"the document is nested more than {MAX_DEPTH} levels deep")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(key)
        sizes[key] = total
        if total > MAX_NODES:
            line, col = _pos(node)
            raise CasimError(
                filename,
                line,
                col,
                "",
                f"the document expands to more than {MAX_NODES:,} values (YAML aliases repeat content); "
                "a scenario holds a few hundred",
            )
        return total

    size(root, 0)


def load_yaml(path: str | Path) -> Any:
    """Read and parse a YAML file (see :func:`loads_yaml`).

    Raises:
        CasimError: if the file cannot be read or parsed.
    """
    path = Path(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise CasimError(str(path), 0, 0, "", "this is a folder; give a YAML file")
        if not stat.S_ISREG(info.st_mode):
            raise CasimError(str(path), 0, 0, "", "not a regular file (a device, pipe or socket); give a YAML file")
        if info.st_size > MAX_BYTES:
            raise CasimError(str(path), 0, 0, "", f"file too large ({info.st_size:,} bytes; at most {MAX_BYTES:,})")
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise CasimError(str(path), 0, 0, "", f"cannot read the file: {err.strerror or err}") from None
    if len(raw) > MAX_BYTES:
        raise CasimError(str(path), 0, 0, "", f"file too large (over {MAX_BYTES:,} bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CasimError(str(path), 0, 0, "", f"the file is not UTF-8 text (byte {err.start})") from None
    return loads_yaml(text, str(path))


def line_of(doc: Any, keys: Iterable[Any]) -> tuple[int, int]:
    """Position of the deepest existing element along ``keys`` (value position if found).

    Keys are mapping keys or list indices; unknown keys stop the walk at the last known
    position. Returns ``(0, 0)`` if nothing is known.
    """
    pos = getattr(doc, "start", (0, 0))
    node = doc
    for key in keys:
        if isinstance(node, LineDict) and key in node:
            pos = node.value_pos.get(key, pos)
            node = node[key]
        elif isinstance(node, LineList) and isinstance(key, int) and 0 <= key < len(node):
            pos = node.item_pos[key]
            node = node[key]
        else:
            break
    return pos


def key_line(doc: Any, keys: list[Any]) -> tuple[int, int]:
    """Position of the *key* ``keys[-1]`` inside the element at ``keys[:-1]``."""
    parent = doc
    for key in keys[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return line_of(doc, keys)
    if isinstance(parent, LineDict) and keys and keys[-1] in parent.key_pos:
        return parent.key_pos[keys[-1]]
    return line_of(doc, keys)
