from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.snarc"))
LIBRARY = sorted((ROOT / "stdlib").glob("*.snarc"))
SHIPPED = EXAMPLES + LIBRARY


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="module")
def ndigits_cache(tmp_path_factory):
    """A private N-Digits cache (``SNARC_CACHE``) shared by the tests of one module; child
    processes inherit it."""
    d = tmp_path_factory.mktemp("ndigits-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SNARC_CACHE", str(d))
        yield d
