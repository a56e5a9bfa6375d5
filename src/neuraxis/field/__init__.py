"""Volume conductor: FEM field basis per contact (gmsh + scikit-fem + pyamg).

The meshing and solving modules import gmsh, scikit-fem and pyamg lazily (the
``[fem]`` extra); loading and probing a cached basis needs only NumPy and SciPy.
"""

from neuraxis.field.basis import FieldBasis, basis_key, build_field_basis, cache_dir

__all__ = ["FieldBasis", "basis_key", "build_field_basis", "cache_dir"]
