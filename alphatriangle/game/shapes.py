"""The shape catalogue: 23 distinct shapes and the 31-entry list new shapes are drawn from.

Shape ids are positions in `SHAPES`, in the order of `distinct_shapes` in the
conformance file, so ids agree across the engine, features, logs and recorded games.
"""

Triangle = tuple[int, int, bool]
"""An offset `(dr, dc, is_up)` from the shape's origin triangle."""

SHAPES: tuple[tuple[Triangle, ...], ...] = (
    ((0, 0, True),),
    ((0, 0, True), (1, 0, False)),
    ((0, 0, False),),
    ((0, 0, True), (0, 1, False)),
    ((0, 0, False), (0, 1, True)),
    ((0, 0, True), (0, 1, False), (0, 2, True)),
    ((0, 0, False), (0, 1, True), (0, 2, False)),
    ((0, 0, True), (0, 1, False), (0, 2, True), (1, 0, False)),
    ((0, 0, True), (0, 1, False), (0, 2, True), (1, 2, False)),
    ((0, 0, False), (0, 1, True), (1, 0, True), (1, 1, False)),
    ((0, 0, True), (0, 2, True), (1, 0, False), (1, 1, True), (1, 2, False)),
    ((0, 0, True), (1, -2, False), (1, -1, True), (1, 0, False)),
    ((0, 0, True), (0, 1, False), (1, 0, False), (1, 1, True)),
    ((0, 0, True), (0, 1, False), (1, 0, False), (1, 1, True), (1, 2, False)),
    ((0, 0, True), (0, 1, False), (0, 2, True), (1, 0, False), (1, 1, True)),
    ((0, 0, True), (0, 1, False), (0, 2, True), (1, 0, False), (1, 2, False)),
    ((0, 0, True), (0, 1, False), (0, 2, True), (1, 1, True), (1, 2, False)),
    ((0, 0, False), (0, 1, True), (1, 1, False)),
    ((0, 0, True), (1, -1, True), (1, 0, False)),
    ((0, 0, True), (1, 0, False), (1, 1, True)),
    ((0, 0, True), (1, -1, True), (1, 0, False), (1, 1, True)),
    ((0, 0, False), (0, 1, True), (0, 2, False), (1, 1, False)),
    ((0, 0, True), (0, 1, False), (1, 0, False)),
)

NUM_SHAPES = len(SHAPES)

DRAW_TEMPLATE_IDS: tuple[int, ...] = (
    0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 6, 7, 8, 9, 10, 11,
    12, 13, 14, 15, 16, 10, 13, 17, 18, 19, 20, 18, 21, 17, 22,
)  # fmt: skip
"""A refill draws uniformly from this list; ids listed twice are twice as likely."""

MAX_SHAPE_SIZE = max(len(shape) for shape in SHAPES)
