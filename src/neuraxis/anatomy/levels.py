"""The one table of spinal names: vertebrae, cord segments and dermatomes.

Every module that names a vertebra, a cord segment or a dermatome takes it from here
(rostral to caudal), so a level is spelled and ordered the same everywhere:

* :data:`VERTEBRAE`: C1-C7, T1-T12, L1-L5, S1-S5 (the sacrum's fused segments);
* :data:`CORD_SEGMENTS`: C1-C8, T1-T12, L1-L5, S1-S5, Co1 (31 pairs of spinal nerves);
* :data:`DERMATOMES`: C2-S5 (C1 has no dermatome);
* :data:`MODELLED_LEVELS`: the vertebral levels the spine anatomy model covers (T8-T12).

Which cord segments lie under which vertebra is data with sources
(``data/fibers.yaml``, ``vertebral_segments``), not a list here.

Examples
--------
>>> from neuraxis.anatomy.levels import CORD_SEGMENTS, caudal_of
>>> caudal_of("L4", CORD_SEGMENTS)
('L4', 'L5', 'S1', 'S2', 'S3', 'S4', 'S5', 'Co1')
"""

from __future__ import annotations

from neuraxis._validate import check_option


def _names(prefix: str, first: int, last: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(first, last + 1))


#: Vertebrae, rostral to caudal (the sacrum counted as its five fused segments).
VERTEBRAE: tuple[str, ...] = (_names("C", 1, 7) + _names("T", 1, 12) + _names("L", 1, 5)
                              + _names("S", 1, 5))
#: Spinal cord segments, rostral to caudal (one per pair of spinal nerves).
CORD_SEGMENTS: tuple[str, ...] = (_names("C", 1, 8) + _names("T", 1, 12) + _names("L", 1, 5)
                                  + _names("S", 1, 5) + ("Co1",))
#: Dermatomes, rostral to caudal (C1 has none).
DERMATOMES: tuple[str, ...] = CORD_SEGMENTS[1:-1]
#: Vertebral levels covered by the spine anatomy model (``data/anatomy_levels.yaml``).
MODELLED_LEVELS: tuple[str, ...] = ("T8", "T9", "T10", "T11", "T12")


def caudal_of(name: str, table: tuple[str, ...]) -> tuple[str, ...]:
    """The names of ``table`` from ``name`` down to its caudal end, rostral first.

    Parameters
    ----------
    name : str
        A name in ``table`` (e.g. ``'T10'``).
    table : tuple of str
        One of :data:`VERTEBRAE`, :data:`CORD_SEGMENTS`, :data:`DERMATOMES`.

    Raises
    ------
    NeuraxisInputError
        If ``name`` is not in ``table`` (with the closest names).
    """
    name = check_option("level", name, table)
    return table[table.index(name):]
