"""Solara's front-end files, served locally so the app works without internet.

Solara's server loads its JavaScript and CSS from a public CDN unless it finds them in its
asset cache folder (`solara.server.settings.assets.proxy_cache_dir`, laid out as
`<folder>/<package>@<version>/<files>`). `ensure_assets()` fills that folder from the npm
registry with `npm pack`, once; after that the app needs no network.

    python -m viz.assets            # fetch (if missing) and print the folder
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# The exact versions solara 1.64.1 requests (see solara/server/starlette.py and
# solara/widgets/vue/gridlayout.vue); pyproject pins solara so that these stay right.
PACKAGES = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
)


# tarfile's "data" filter (Python 3.11.4 and later) also refuses what is checked by hand
# below; Debian 12's Python 3.11.2 does not have it, and the hand checks are enough there
DATA_FILTER = hasattr(tarfile, "data_filter")


def cache_dir() -> Path:
    """The folder solara's server reads cached front-end files from."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing(folder: Path | None = None) -> list[str]:
    """Packages not yet in the cache folder."""
    folder = folder or cache_dir()
    return [spec for spec in PACKAGES if not (folder / spec).is_dir()]


def ensure_assets(folder: Path | None = None) -> Path:
    """Fetch every missing package into the cache folder; return the folder.

    Raises:
        RuntimeError: npm is not installed or the registry refused a package.
    """
    folder = folder or cache_dir()
    todo = missing(folder)
    if not todo:
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed once to fetch Solara's front-end files "
                           f"({', '.join(todo)}); install Node.js and npm")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for spec in todo:
            result = subprocess.run([npm, "pack", spec, "--pack-destination", scratch,
                                     "--silent"], capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                raise RuntimeError(f"npm pack {spec} failed: {result.stderr.strip()}")
            tarball = Path(scratch) / result.stdout.strip().splitlines()[-1]
            target = folder / spec
            staging = Path(tempfile.mkdtemp(dir=folder, prefix=".tmp-"))
            with tarfile.open(tarball) as archive:
                for member in archive.getmembers():
                    # npm tarballs hold everything under "package/": strip that component
                    parts = Path(member.name).parts[1:]
                    if not parts or not (member.isfile() or member.isdir()):
                        continue  # links and devices: no front-end file is one
                    if ".." in parts:
                        raise RuntimeError(f"npm pack {spec}: {member.name!r} points outside "
                                           "the package")
                    member.name = str(Path(*parts))
                    member.mode &= 0o755
                    if DATA_FILTER:
                        archive.extract(member, staging, filter="data")
                    else:
                        archive.extract(member, staging)
            _add_minified_names(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(target)
    return folder


def _add_minified_names(folder: Path) -> None:
    """The CDN minifies on request (`x.min.js` for a package that ships only `x.js`);
    solara asks for such names, so each missing `.min.js` gets a copy of its `.js`."""
    for script in folder.rglob("*.js"):
        if script.name.endswith(".min.js"):
            continue
        minified = script.with_name(script.name[: -len(".js")] + ".min.js")
        if not minified.exists():
            shutil.copyfile(script, minified)


if __name__ == "__main__":
    try:
        print(ensure_assets())
    except RuntimeError as error:
        print(f"viz.assets: error: {error}", file=sys.stderr)
        sys.exit(1)
