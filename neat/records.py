"""Typed records: dataclasses that write themselves to JSON and check what they read back.

A stage's result is recorded in the run's ``state.json`` and read back on
resume, so what is read back is untrusted: :meth:`Record.from_json` rebuilds
the dataclass field by field from its type annotation and refuses anything
else with a :class:`RecordError` naming the field path
(``baseline.w_scales['features.0']: must be > 0, got -1.0``).

Annotations understood: ``float``, ``int``, ``str``, ``bool``, ``X | None``,
``list[X]``, ``dict[str, X]``, ``tuple[X, ...]`` and nested :class:`Record`
subclasses.  A field's ``metadata={"check": f}`` adds a value check
``f(name, value)`` (a :mod:`neat.checks` predicate).  Floats are finite in a
record; a quantity that may be undefined (a cut-off where there is no linear
range) is ``float | None``.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing

__all__ = ["Record", "RecordError", "checked"]


class RecordError(ValueError):
    """A JSON value that does not fit the record it should rebuild (the message names the field)."""


def checked(check, **kw):
    """``dataclasses.field`` whose values must pass ``check(name, value)`` (also when read back)."""
    return dataclasses.field(metadata={"check": check}, **kw)


def _fail(path, msg):
    raise RecordError(f"{path}: {msg}")


def _build(tp, value, path):
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _build(inner, value, path)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _fail(path, f"must be a number, got {type(value).__name__}")
        if not math.isfinite(value):
            _fail(path, f"must be finite, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(path, f"must be an integer, got {type(value).__name__}")
        return value
    if tp is str:
        if not isinstance(value, str):
            _fail(path, f"must be a string, got {type(value).__name__}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            _fail(path, f"must be true or false, got {type(value).__name__}")
        return value
    if tp is typing.Any:
        return value
    if origin in (list, tuple):
        args = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            _fail(path, f"must be a list, got {type(value).__name__}")
        items = [_build(args[0], v, f"{path}[{i}]") for i, v in enumerate(value)]
        return items if origin is list else tuple(items)
    if origin is dict:
        kt, vt = typing.get_args(tp)
        if not isinstance(value, dict):
            _fail(path, f"must be a mapping, got {type(value).__name__}")
        return {_build(kt, k, f"{path} key"): _build(vt, v, f"{path}[{k!r}]") for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, Record):
        return tp._from_json(value, path)
    raise TypeError(f"{path}: unsupported annotation {tp!r}")  # a programming error, not bad data


def _check_values(check, value, path):
    """Apply a field's check to the value, or to every value of a list/dict field."""
    if value is None:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _check_values(check, v, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_values(check, v, f"{path}[{i}]")
    else:
        try:
            check(path, value)
        except (TypeError, ValueError) as e:
            raise RecordError(str(e)) from None


@dataclasses.dataclass
class Record:
    """Base of the typed records (see the module docstring)."""

    def to_json(self) -> dict:
        """Plain JSON types (nested records become dicts)."""
        return {f.name: _to_json(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data, name: str | None = None):
        """Rebuild from :meth:`to_json` output, checking every field (:class:`RecordError` otherwise)."""
        return cls._from_json(data, name or cls.__name__)

    @classmethod
    def _from_json(cls, data, path):
        if not isinstance(data, dict):
            _fail(path, f"must be a mapping, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        names = {f.name for f in fields}
        extra = sorted(set(data) - names)
        if extra:
            _fail(path, f"unexpected entries {extra}")
        kw = {}
        for f in fields:
            if f.name not in data:
                if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
                    continue
                _fail(path, f"lacks the entry {f.name!r}")
            value = _build(hints[f.name], data[f.name], f"{path}.{f.name}")
            if "check" in f.metadata:
                _check_values(f.metadata["check"], value, f"{path}.{f.name}")
            kw[f.name] = value
        return cls(**kw)

    def __post_init__(self):
        for f in dataclasses.fields(self):
            if "check" in f.metadata:
                _check_values(f.metadata["check"], getattr(self, f.name), f"{type(self).__name__}.{f.name}")


def _to_json(value):
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
