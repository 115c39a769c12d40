"""The shape, indexing and splitting methods of ``Tensor``, and random values in place:
triangles and diagonals, movement (``reshape``, ``view``, ``permute``, ...), sorting and
selection, stacking, ``x[i]``, ``split``. A mixin of ``TensorOps`` (see ``_tensor_ops``): each
method routes to a ``Function`` of ``engine.ops``; the op modules are bound by ``_bind()``
once everything is loaded, as there.
"""

from __future__ import annotations

import operator

# engine.ops: gather, indexing, movement, reduce, sampling, scan, selection, stacking,
# triangular, tiles
G = I = M = R = RS = S = SE = ST = TG = TI = None
Tensor = tensor = None
_keyword_from = _shape_arg = None  # _tensor_ops' argument helpers


def _bind():
    global G, I, M, R, RS, S, SE, ST, TG, TI, Tensor, tensor, _keyword_from, _shape_arg
    from ._tensor import Tensor, tensor
    from ._tensor_ops import _keyword_from, _shape_arg
    from .ops import gather as G
    from .ops import indexing as I
    from .ops import movement as M
    from .ops import reduce as R
    from .ops import sampling as RS
    from .ops import scan as S
    from .ops import selection as SE
    from .ops import stacking as ST
    from .ops import tiles as TI
    from .ops import triangular as TG


class ShapeOps:
    __slots__ = ()

    # -- triangles and diagonals -----------------------------------------------------------
    def tril(self, diagonal=0):
        return TG.triangle(self, diagonal, TG.Tril, "tril")

    def triu(self, diagonal=0):
        return TG.triangle(self, diagonal, TG.Triu, "triu")

    def diag(self, diagonal=0):
        return TG.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return TG.diagonal(self, offset, dim1, dim2)

    def trace(self):
        return TG.trace(self)

    def rot90(self, k=1, dims=(0, 1)):
        return TG.rot90(self, k, dims)

    # -- movement ------------------------------------------------------------------------
    def reshape(self, *shape):
        return M.reshape(self, _shape_arg(shape))

    def view(self, *shape):
        return M.StrictView.apply(self, M.sizes(_shape_arg(shape), self._data.size))

    def view_as(self, other):
        return self.view(tuple(other.shape))

    def reshape_as(self, other):
        return self.reshape(tuple(other.shape))

    def flatten(self, start_dim=0, end_dim=-1):
        start, end = M.wrap_dim(start_dim, self.ndim), M.wrap_dim(end_dim, self.ndim)
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if self.ndim == 0:
            return self.reshape(1)
        if start == end:  # nothing to merge: PyTorch returns the tensor itself
            return self
        shape = self.shape
        merged = 1
        for n in shape[start:end + 1]:
            merged *= n
        return self.reshape(shape[:start] + (merged,) + shape[end + 1:])

    def squeeze(self, dim=None):
        if dim is None:
            return M.Squeeze.apply(self)
        dims = R.normalize_dims(dim, self.ndim)  # () for a 0-d tensor
        if isinstance(dim, (tuple, list)):  # () and [] squeeze nothing, unlike dim=None
            return M.SqueezeDims.apply(self, dims)
        return M.SqueezeDim.apply(self, dims[0] if dims else 0)

    def unsqueeze(self, dim):
        d = dim if dim >= 0 else dim + self.ndim + 1
        if not 0 <= d <= self.ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-self.ndim - 1}, "
                f"{self.ndim}], but got {dim})"
            )
        return M.Unsqueeze.apply(self, d)

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(
                f"expand(engine.{self.dtype._legacy}{{[{', '.join(map(str, self.shape))}]}}, "
                f"size=[{', '.join(map(str, sizes))}]): the number of sizes provided "
                f"({len(sizes)}) must be greater or equal to the number of dimensions in the "
                f"tensor ({self.ndim})"
            )
        shape = tuple(
            self.shape[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(sizes)
        )
        # PyTorch checks from the last dim on, so that is the dim its error names
        for i in reversed(range(self.ndim)):
            n = self.shape[i]
            if (n != 1 or shape[i + lead] < 0) and n != shape[i + lead]:
                raise RuntimeError(
                    f"The expanded size of the tensor ({shape[i + lead]}) must match the "
                    f"existing size ({n}) at non-singleton dimension {i + lead}.  Target sizes: "
                    f"[{', '.join(map(str, sizes))}].  Tensor sizes: "
                    f"[{', '.join(map(str, self.shape))}]"
                )
        for i in reversed(range(lead)):
            if sizes[i] < 0:  # -1 means "keep the size", and a new dimension has none
                raise RuntimeError(
                    f"The expanded size of the tensor ({sizes[i]}) isn't allowed in a leading, "
                    f"non-existing dimension {i}"
                )
        return M.Expand.apply(self, shape)

    def expand_as(self, other):
        return self.expand(tuple(other.shape))

    def broadcast_to(self, *size):
        return self.expand(*size)

    def tile(self, *dims):
        return ST.tile(self, dims)

    def narrow(self, dim, start, length):
        return ST.narrow(self, dim, start, length)

    def unflatten(self, dim, sizes):
        return ST.unflatten(self, dim, sizes)

    def ravel(self):
        return ST.ravel(self)

    def t(self):
        return M.T.apply(self)

    @property
    def T(self):  # noqa: N802 - PyTorch's name
        return M.Permute.apply(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):  # noqa: N802
        if self.ndim < 2:
            raise RuntimeError(
                "tensor.mT is only supported on matrices or batches of matrices. Got "
                f"{self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    def transpose(self, dim0, dim1):
        d0, d1 = M.wrap_dim(dim0, self.ndim), M.wrap_dim(dim1, self.ndim)
        return M.Transpose.apply(self, d0, d1)

    swapaxes = swapdims = transpose

    def permute(self, *dims, **kwargs):
        if "dims" in kwargs:  # x.permute(dims=(1, 0)), PyTorch's keyword
            dims = (kwargs.pop("dims"),)
        if kwargs or not dims:
            raise TypeError(
                f"permute() got an unexpected keyword argument '{next(iter(kwargs))}'" if kwargs
                else 'permute() missing 1 required positional arguments: "dims"'
            )
        dims = _shape_arg(dims)
        if len(dims) != self.ndim:  # PyTorch's text, "sparse_coo" included
            raise RuntimeError(
                "permute(sparse_coo): number of dimensions in the tensor input does not match "
                "the length of the desired ordering of dimensions i.e. input.dim() = "
                f"{self.ndim} is not equal to len(dims) = {len(dims)}"
            )
        dims = tuple(M.wrap_dim(d, self.ndim) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return M.Permute.apply(self, dims)

    def movedim(self, source, destination):
        """PyTorch's ``movedim``: a permute view whose order puts each ``source`` dim at its
        ``destination`` and the other dims, in their order, in the places left."""
        several = isinstance(source, (tuple, list))
        if several != isinstance(destination, (tuple, list)):
            raise TypeError(
                f"movedim() received an invalid combination of arguments - got "
                f"({type(source).__name__}, {type(destination).__name__}), but expected one "
                "of:\n * (int source, int destination)\n * (tuple of ints source, tuple of ints "
                "destination)\n")
        src = tuple(source) if several else (operator.index(source),)
        dst = tuple(destination) if several else (operator.index(destination),)
        if len(src) != len(dst):
            raise RuntimeError(
                f"movedim: Invalid source or destination dims: source ({M._dims_text(src)} "
                f"dims) should contain the same number of dims as destination "
                f"({M._dims_text(dst)} dims)")
        ndim = self.ndim
        wrapped_src = [M.wrap_dim(d, ndim) for d in src]
        wrapped_dst = [M.wrap_dim(d, ndim) for d in dst]
        if len(set(wrapped_src)) != len(src):
            raise RuntimeError(f"movedim: repeated dim in `source` ({M._dims_text(src)})")
        if len(set(wrapped_dst)) != len(dst):
            raise RuntimeError(f"movedim: repeated dim in `destination` ({M._dims_text(dst)})")
        if ndim == 0:  # nothing to move: PyTorch returns an alias
            return M.Alias.apply(self)
        order = [None] * ndim
        for s, d in zip(wrapped_src, wrapped_dst):
            order[d] = s
        rest = iter(d for d in range(ndim) if d not in wrapped_src)
        return M.Permute.apply(self, tuple(d if d is not None else next(rest) for d in order))

    moveaxis = movedim

    def roll(self, shifts, dims=None):
        shifts, dims = TI.roll_args(shifts, dims, self.shape)
        return TI.Roll.apply(self, shifts, dims)

    def repeat(self, *repeats):
        return TI.Repeat.apply(self, TI.repeat_args(repeats, self.shape))

    def gather(self, dim, index, *, sparse_grad=False):
        if sparse_grad:
            raise NotImplementedError("gather(sparse_grad=True): the engine has no sparse "
                                      "tensors")
        return G.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None):
        """``scatter(dim, index, src)``, ``src`` a tensor, or ``scatter(dim, index, value)``,
        ``value`` a number: out of place."""
        if (src is None) == (value is None):
            raise TypeError("scatter() expects one of src (a Tensor) and value (a Number)")
        return G.scatter(self, dim, index, value if src is None else src)

    def scatter_(self, dim, index, src=None, *, value=None):
        if (src is None) == (value is None):
            raise TypeError("scatter_() expects one of src (a Tensor) and value (a Number)")
        return self._inplace(lambda s, i, v: G.scatter(s, dim, i, v), index,
                             value if src is None else src)

    def scatter_add(self, dim, index, src):
        return G.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return self._inplace(lambda s, i, v: G.scatter_add(s, dim, i, v), index, src)

    def index_add(self, dim, index, source, *, alpha=1):
        return G.index_add(self, dim, index, source, alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace(lambda s, i, v: G.index_add(s, dim, i, v, alpha), index, source)

    def index_select(self, dim, index):
        return SE.index_select(self, dim, index)

    def take(self, index):
        return SE.take(self, index)

    def take_along_dim(self, indices, dim=None):
        return SE.take_along_dim(self, indices, dim)

    def masked_select(self, mask):
        return SE.masked_select(self, mask)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return S.diff(self, n, dim, prepend, append)

    def flip(self, *dims):
        if not dims:
            raise TypeError('flip() missing 1 required positional arguments: "dims"')
        return M.Flip.apply(self, R.normalize_dims(_shape_arg(dims), self.ndim))

    def cumsum(self, dim, *, dtype=None):
        if dtype is not None:
            S.check_grad_dtype(self, dtype)
        return S.Cumsum.apply(self, M.wrap_dim(dim, self.ndim), None if dtype is None else dtype.np)

    def cumprod(self, dim=None, *, dtype=None):
        """Running products along ``dim`` (required, as in PyTorch: None is its error)."""
        dim, np_dtype = S.cumprod_args(self, dim, dtype)
        return S.Cumprod.apply(self, dim, np_dtype)

    # -- random values, in place (PyTorch's names and defaults; ``from`` is a Python keyword,
    # so it is taken from **kwargs: x.uniform_(**{"from": 2, "to": 3}) works, as in torch) --
    def uniform_(self, from_=0, to=1, *, generator=None, **kwargs):
        from_ = _keyword_from("uniform_", from_, kwargs)
        return RS.uniform_(self, from_, to, generator)

    def normal_(self, mean=0, std=1, *, generator=None):
        return RS.normal_(self, mean, std, generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        return RS.bernoulli_(self, p, generator)

    def exponential_(self, lambd=1, *, generator=None):
        return RS.exponential_(self, lambd, generator)

    def random_(self, from_=None, to=None, *, generator=None, **kwargs):
        """``random_()``: integers from 0 to the most the dtype holds exactly; ``random_(to)``:
        in [0, to); ``random_(from, to)``: in [from, to)."""
        keyword = "from" in kwargs
        from_ = _keyword_from("random_", from_, kwargs)
        if to is None and from_ is not None:  # random_(to)
            if keyword:
                raise TypeError("random_(): 'from' given without 'to'")
            from_, to = None, from_
        return RS.random_(self, from_, to, generator)

    def __getitem__(self, key):
        return I.getitem(self, key)

    def split(self, split_size, dim=0):
        if self.ndim == 0:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        d = M.wrap_dim(dim, self.ndim)
        size = self.shape[d]
        if isinstance(split_size, int):
            if split_size < 0:
                raise RuntimeError(
                    f"split expects split_size be non-negative, but got split_size={split_size}"
                )
            if split_size == 0 and size != 0:
                raise RuntimeError(
                    "split_size can only be 0 if dimension size is 0, but got dimension size "
                    f"of {size}"
                )
            # at least one piece: an empty dimension splits into one empty tensor
            count = max(-(-size // split_size) if split_size else 1, 1)
            sizes = [min(split_size, size - i * split_size) for i in range(count)]
        else:
            sizes = list(split_size)
            if any(n < 0 for n in sizes):
                raise RuntimeError(
                    "split_with_sizes expects split_sizes have only non-negative entries, but "
                    f"got split_sizes=[{', '.join(map(str, sizes))}]"
                )
            if sum(sizes) != size:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                    f"tensor's size at dimension {d}), but got split_sizes="
                    f"[{', '.join(map(str, sizes))}]"
                )
        # One node for every piece, as PyTorch records it (SplitBackward0 for a size)
        op = M.Split if isinstance(split_size, int) else M.SplitWithSizes
        return op.apply(self, d, tuple(sizes))

    def chunk(self, chunks, dim=0):
        if self.ndim == 0:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        size = self.shape[M.wrap_dim(dim, self.ndim)]
        if size == 0:  # PyTorch: `chunks` empty pieces
            return self.split([0] * chunks, dim)
        return self.split(-(-size // chunks), dim)

    def unbind(self, dim=0):
        if self.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        return M.Unbind.apply(self, M.wrap_dim(dim, self.ndim))

    def tensor_split(self, indices_or_sections, dim=0):
        return ST.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, sections):
        return ST.split_by(self, sections, "hsplit", 0 if self.ndim == 1 else 1, 1)

    def vsplit(self, sections):
        return ST.split_by(self, sections, "vsplit", 0, 2)

    def dsplit(self, sections):
        return ST.split_by(self, sections, "dsplit", 2, 3)
