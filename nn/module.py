"""Module, Parameter and the containers Sequential, ModuleList and ModuleDict.

A ``Module`` registers the ``Parameter``s, buffers and sub-modules assigned to its attributes,
in definition order, and walks them for ``parameters()``, ``state_dict()``, ``train()`` and the
rest. Calling a module runs its ``forward`` inside ``autograd_lite.call_in_scope(qualified name,
class name, ...)``, so that graph drawings know which module made each op (they group by it);
the scope is recorded once per call, never per op.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor
from autograd_lite.conversion import to_arguments


class Parameter(Tensor):
    """A tensor that a ``Module`` registers as learnable: it requires grad by default.

    ``Parameter(data)`` takes numbers, nested lists, an array or a Tensor (its data is shared,
    not copied). Only float data can require grad (TypeError otherwise).
    """

    __slots__ = ()
    is_parameter = True  # drawings show it as a parameter, with or without draw_graph(params=)

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class _CallStack(threading.local):
    # A tuple, rebound on every push, so that each thread sees only its own frames.
    frames: tuple[tuple[Module, str], ...] = ()


_CALLS = _CallStack()


def _qualified_name(module: Module) -> str:
    """Dotted path of ``module`` from the outermost module being called ("" for that one).

    A module called by another one that does not own it directly (a helper held in a plain
    list, say) is looked up among all the outermost module's descendants, and named by its
    class when it is not found at all.
    """
    if not _CALLS.frames:
        return ""
    parent, parent_name = _CALLS.frames[-1]
    for name, child in parent._modules.items():
        if child is module:
            return f"{parent_name}.{name}" if parent_name else name
    for name, descendant in _CALLS.frames[0][0].named_modules():
        if descendant is module:
            return name
    return f"{parent_name}.{type(module).__name__}" if parent_name else type(module).__name__


class Module:
    """Base class of every layer and model: subclass it, assign parts in ``__init__``, define
    ``forward``.

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(2, 16)
                self.out = nn.Linear(16, 1)

            def forward(self, x):
                return self.out(self.hidden(x).relu())

    Assigning a ``Parameter`` or a ``Module`` to an attribute registers it (in definition
    order); ``register_buffer`` registers state that is saved but not learned (BatchNorm's
    running statistics). Call ``super().__init__()`` before assigning anything.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # --- registration ------------------------------------------------------------------------

    def _registry(self, kind: str) -> dict:
        try:
            return self.__dict__[kind]
        except KeyError:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() at the start of "
                               f"__init__, before assigning parameters or sub-modules") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self.add_module(name, value)
        elif name in self.__dict__.get("_parameters", {}):
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} "
                                f"to parameter {name!r}; wrap it in nn.Parameter(...) or assign "
                                f"to {name}.data")
            self._parameters[name] = None
        elif name in self.__dict__.get("_buffers", {}):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: buffer {name!r} must be a Tensor or "
                                f"None, got {type(value).__name__}")
            self._buffers[name] = value
        elif name in self.__dict__.get("_modules", {}):
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} "
                                f"to sub-module {name!r}; assign a Module or None")
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Remove ``name`` from every registry and the plain attributes before re-assigning."""
        for kind in ("_parameters", "_buffers", "_modules"):
            self.__dict__[kind].pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails, i.e. for registered parts.
        for kind in ("_parameters", "_buffers", "_modules"):
            registry = self.__dict__.get(kind)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for kind in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(kind, {}):
                del self.__dict__[kind][name]
                return
        object.__delattr__(self, name)

    def _register(self, kind: str, name: str, value: Any, expected: type, where: str) -> None:
        if value is not None and not isinstance(value, expected):
            raise TypeError(f"{where}: {name!r} must be {expected.__name__} or None, got "
                            f"{type(value).__name__}")
        registry = self._registry(kind)
        self._forget(name)
        registry[name] = value

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """Register ``tensor`` as state that ``state_dict()`` saves but optimizers never see."""
        self._register("_buffers", name, tensor, Tensor, "register_buffer")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name`` (None reserves the name, e.g. ``bias=False``)."""
        self._register("_parameters", name, param, Parameter, "register_parameter")

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child under ``name`` (used by the containers)."""
        self._register("_modules", name, module, Module, "add_module")

    # --- running -----------------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define "
                                  f"forward(self, ...) in the subclass")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` inside the name scope (qualified name, class name) of this module."""
        name = _qualified_name(self)
        previous = _CALLS.frames
        _CALLS.frames = previous + ((self, name),)
        try:
            return ag.call_in_scope(name, type(self).__name__, self.forward, *args, **kwargs)
        finally:
            _CALLS.frames = previous

    # --- walking the tree --------------------------------------------------------------------

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, Module]]:
        """Yield ``(dotted name, module)`` for this module ("" or ``prefix``) and every
        descendant, depth first in definition order; a shared module is yielded once unless
        ``remove_duplicate=False``."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """Yield this module and every descendant."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for the direct sub-modules."""
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        """Yield the direct sub-modules."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, kind: str, prefix: str, recurse: bool
                       ) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        walk = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in walk:
            for name, member in module.__dict__[kind].items():
                if member is None or id(member) in seen:
                    continue
                seen.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted name, parameter)`` pairs like ``("layers.0.weight", W)``; a shared
        parameter is yielded once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield every parameter (each shared one once): ``SGD(model.parameters(), lr)``."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True
                      ) -> Iterator[tuple[str, Tensor]]:
        """Yield ``(dotted name, buffer)`` pairs like ``("bn.running_mean", tensor)``."""
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yield every buffer."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Count the scalar parameters (only those that require grad if ``trainable_only``)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # --- modes and gradients -----------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Put this module and every descendant in training mode (or eval mode); return self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Put this module and every descendant in evaluation mode (``train(False)``)."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (``.grad = None``)."""
        for param in self.parameters():
            param.grad = None

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Turn gradients of every parameter on or off (freeze a module); return self."""
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn(module)`` on every descendant and then on self (custom init); return self."""
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Convert every float parameter and buffer, and their gradients, to a float dtype in
        place (e.g. float64 for gradient checks); return self.

        Takes PyTorch's arguments: ``to(dtype)``, ``to("cpu")``, ``to("cpu", dtype)``,
        ``to(tensor)``, keywords ``dtype=`` and ``device=``. RuntimeError for any device but
        the CPU; TypeError for a non-float dtype.
        """
        dtype, _ = to_arguments(args, kwargs, "Module.to")
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"Module.to: expected a float dtype, got {dtype}")
        for tensor in [*self.parameters(), *self.buffers()]:
            if tensor.dtype.kind == "f":
                tensor.data = tensor.data.astype(dtype)
                if tensor.grad is not None:
                    with ag.no_grad():
                        tensor.grad = tensor.grad.astype(dtype)
        return self

    # --- state -------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Tensor]:
        """Return ``{dotted name: copy of each parameter and buffer}`` in definition order.

        The values are detached copies (``ag.tensor`` copies), so later training does not
        change a saved state.
        """
        return {name: ag.tensor(tensor.data)
                for name, tensor in self._state_targets().items()}

    def _state_targets(self) -> dict[str, Tensor]:
        """Every parameter and buffer by dotted name, shared ones under each of their names."""
        targets = {}
        for module_name, module in self.named_modules(remove_duplicate=False):
            for kind in ("_parameters", "_buffers"):
                for name, tensor in module.__dict__[kind].items():
                    if tensor is not None:
                        targets[f"{module_name}.{name}" if module_name else name] = tensor
        return targets

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> _IncompatibleKeys:
        """Copy the values of ``state`` (Tensors or arrays by dotted name) into the parameters
        and buffers.

        With ``strict=True`` a missing or unexpected name is an error; a shape mismatch always
        is. All problems are reported together in one RuntimeError, and nothing is modified
        unless every entry fits. Values are cast to each parameter's dtype. Returns the
        ``(missing_keys, unexpected_keys)`` named tuple.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of names to tensors, got "
                            f"{type(state).__name__}")
        targets = self._state_targets()
        missing = [name for name in targets if name not in state]
        unexpected = [name for name in state if name not in targets]
        problems = []
        if strict:
            problems += [f"missing key {name!r} (shape {targets[name].shape})" for name in missing]
            problems += [f"unexpected key {name!r}" for name in unexpected]
        values = {}
        for name, target in targets.items():
            if name not in state:
                continue
            value = state[name]
            value = value.data if isinstance(value, Tensor) else np.asarray(value)
            if value.dtype.kind not in "biuf":
                problems.append(f"{name!r} has non-numeric dtype {value.dtype}")
            elif value.shape != target.shape:
                problems.append(f"{name!r} has shape {value.shape} in the state dict but "
                                f"{target.shape} in the module")
            else:
                values[name] = value
        if problems:
            raise RuntimeError(f"load_state_dict: cannot load into {type(self).__name__}: "
                               + "; ".join(problems) + ". Nothing was changed. Check that the "
                               "state dict was saved from the same architecture (or pass "
                               "strict=False to skip missing and unexpected keys)")
        for name, value in values.items():
            targets[name].data[...] = value
            ag.mark_changed_in_place(targets[name], "load_state_dict")
        return _IncompatibleKeys(missing, unexpected)

    # --- printing ----------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (e.g. ``in_features=2``)."""
        return ""

    def __repr__(self) -> str:
        children = [f"({name}): " + repr(module).replace("\n", "\n  ")
                    for name, module in self.named_children()]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = ([self.extra_repr()] if self.extra_repr() else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: ``len``, iteration, indexing and ``append``."""

    def _sliced(self, modules: list[Module]) -> Module:
        raise NotImplementedError

    def append(self, module: Module) -> _ModuleSequence:
        """Add ``module`` at the end; return self."""
        self.add_module(str(len(self)), _checked(module, f"{type(self).__name__}.append"))
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Module:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return self._sliced(modules[index])
        return modules[_checked_index(index, len(modules), type(self).__name__)]


class Sequential(_ModuleSequence):
    """Modules applied one after another: ``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))``.

    Children are named "0", "1", ... (or by the keys of a single dict argument). Supports
    ``len``, iteration, ``seq[i]`` (negative too), ``seq[a:b]`` (a new Sequential sharing the
    modules) and ``append``.
    """

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, module in modules[0].items():
                self.add_module(str(name), _checked(module, "Sequential"))
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), _checked(module, "Sequential"))

    def forward(self, x: Any) -> Any:
        """Feed ``x`` through every module in order."""
        for module in self._modules.values():
            x = module(x)
        return x

    def _sliced(self, modules: list[Module]) -> Sequential:
        return Sequential(*modules)


class ModuleList(_ModuleSequence):
    """A list of modules that registers each one (a plain list would hide their parameters).

    Supports ``len``, iteration, indexing, assignment by index, ``append`` and ``extend``.
    It has no ``forward``: iterate over it inside your own.
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def _sliced(self, modules: list[Module]) -> ModuleList:
        return ModuleList(modules)

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append every module of ``modules``; return self."""
        for module in modules:
            self.append(module)
        return self

    def __setitem__(self, index: int, module: Module) -> None:
        index = _checked_index(index, len(self), "ModuleList")
        self._modules[str(index)] = _checked(module, "ModuleList")


class ModuleDict(Module):
    """A dict of modules that registers each one, in insertion order.

    Supports ``d[key]``, ``d[key] = module``, ``in``, ``len``, iteration over keys, ``keys()``,
    ``values()`` and ``items()``. It has no ``forward``.
    """

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        for name, module in (modules or {}).items():
            self[name] = module

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module named {key!r}; have {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {type(key).__name__}")
        self.add_module(key, _checked(module, "ModuleDict"))

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> Iterable[str]:
        """The names, in insertion order."""
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        """``(name, module)`` pairs, in insertion order."""
        return self._modules.items()


def _checked(module: Any, where: str) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{where}: expected an nn.Module, got {type(module).__name__}")
    return module


def _checked_index(index: int, length: int, where: str) -> int:
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise TypeError(f"{where}: indices must be ints or slices, got {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"{where}: index {index} is out of range for {length} modules")
    return int(index) % length
