"""Data: the airfoil self-noise set (find, load, fetch), generated 2-D sets, splits, scaling.

Where the airfoil file is looked for, in order: an explicit path; ``$GLASSNET_DATA`` (a
file, or a folder holding ``airfoil_self_noise.dat``/``.csv``); the user cache
(``$XDG_CACHE_HOME/glassnet`` or ``~/.cache/glassnet``, filled by ``glassnet data fetch
airfoil``); ``../shared/data/`` beside the repository root (source checkouts: tests, CI).
"""

from glassnet.data._airfoil import (
    AIRFOIL_FILENAMES,
    AIRFOIL_MEANS,
    AIRFOIL_ROWS,
    COLUMN_NAMES,
    DATA_ENV_VAR,
    FEATURE_NAMES,
    FEATURE_UNITS,
    MEANS_RTOL,
    TARGET_NAME,
    TARGET_UNIT,
    Dataset,
    cache_dir,
    compare_with_published,
    find_airfoil,
    load_airfoil,
    read_feature_rows,
    source_checkout_data_dir,
)
from glassnet.data._download import AIRFOIL_PAGE, AIRFOIL_URL, fetch_airfoil
from glassnet.data._errors import DataFormatError, DataWarning, DownloadError, OutOfDomainError
from glassnet.data._fourier import FourierFeatures
from glassnet.data._preprocess import AIRFOIL_LOG_COLUMNS, Preprocessor, StandardScaler
from glassnet.data._split import Split, kfold_indices, train_val_test_split
from glassnet.data._synthetic import make_circles, make_moons, make_xor

__all__ = [
    "AIRFOIL_FILENAMES",
    "AIRFOIL_LOG_COLUMNS",
    "AIRFOIL_MEANS",
    "AIRFOIL_PAGE",
    "AIRFOIL_ROWS",
    "AIRFOIL_URL",
    "COLUMN_NAMES",
    "DATA_ENV_VAR",
    "FEATURE_NAMES",
    "FEATURE_UNITS",
    "MEANS_RTOL",
    "TARGET_NAME",
    "TARGET_UNIT",
    "DataFormatError",
    "DataWarning",
    "Dataset",
    "DownloadError",
    "FourierFeatures",
    "OutOfDomainError",
    "Preprocessor",
    "Split",
    "StandardScaler",
    "cache_dir",
    "compare_with_published",
    "fetch_airfoil",
    "find_airfoil",
    "kfold_indices",
    "load_airfoil",
    "make_circles",
    "make_moons",
    "make_xor",
    "read_feature_rows",
    "source_checkout_data_dir",
    "train_val_test_split",
]
