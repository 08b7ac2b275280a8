"""The JavaScript the offline site ships in site/vendor/, and its record of hashes.

site/vendor/ holds files from the npm registry, as published: the widgets' standalone
renderer (@jupyter-widgets/html-manager, its ``embed.js`` bundle and Font Awesome fonts)
and MathJax 3 (``tex-svg-full.js``: SVG output needs no font files). MANIFEST.json records
each file's package, version, licence, npm integrity and SHA-256; a build refuses files
whose hash differs (`verify_vendor`). `refresh_vendor` fetches them again with
``npm pack`` and rewrites the manifest (``./kit site --refresh-vendor``).
"""
import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from tools.site.archives import extract

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "site" / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"

# What site/vendor/ holds: npm package -> version, folder, {file in package: file in folder}.
NPM_ASSETS = {
    "@jupyter-widgets/html-manager": {
        "version": "1.0.15",
        "dir": "html-manager",
        "license": "BSD-3-Clause",
        "files": {
            "dist/embed.js": "embed.js",
            "dist/embed.js.LICENSE.txt": "embed.js.LICENSE.txt",
            # Font Awesome (icons of buttons and the like), fetched next to embed.js.
            "dist/1551f4f60c37af51121f.woff2": "1551f4f60c37af51121f.woff2",
            "dist/7a3337626410ca2f4071.woff2": "7a3337626410ca2f4071.woff2",
            "dist/d878b0a6a1144760244f.woff2": "d878b0a6a1144760244f.woff2",
        },
    },
    "mathjax": {
        "version": "3.2.2",
        "dir": "mathjax",
        "license": "Apache-2.0",
        "files": {"es5/tex-svg-full.js": "tex-svg-full.js", "LICENSE": "LICENSE"},
    },
    # Only for its licence: the Font Awesome fonts above come from this release (OFL-1.1 fonts).
    "@fortawesome/fontawesome-free": {
        "version": "5.15.4",
        "dir": "fontawesome",
        "license": "OFL-1.1 AND MIT AND CC-BY-4.0",
        "files": {"LICENSE.txt": "LICENSE"},
    },
}
# The html-manager package ships no licence file; its licence is ipywidgets' (same repository).
HTML_MANAGER_LICENSE_FROM = "ipywidgets"


def sha256(path):
    """The SHA-256 of a file, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(manifest=MANIFEST):
    """site/vendor/MANIFEST.json as a dict: {"packages": [...], "files": [...]}."""
    return json.loads(Path(manifest).read_text())


def verify_vendor(vendor=VENDOR):
    """Problems with the vendored files (missing, or hash differs from MANIFEST.json); [] if fine."""
    vendor = Path(vendor)
    problems = []
    try:
        manifest = read_manifest(vendor / "MANIFEST.json")
    except (OSError, ValueError) as e:
        return [f"cannot read {vendor / 'MANIFEST.json'}: {e}"]
    for entry in manifest["files"]:
        path = vendor / entry["path"]
        if not path.is_file():
            problems.append(f"missing {path}")
        elif sha256(path) != entry["sha256"]:
            problems.append(f"{path}: SHA-256 differs from MANIFEST.json")
    return problems


def copy_vendor(target, vendor=VENDOR):
    """Copy the vendored files listed in the manifest, and the manifest, into `target`."""
    target = Path(target)
    for entry in read_manifest(vendor / "MANIFEST.json")["files"]:
        dest = target / entry["path"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(vendor / entry["path"], dest)
    shutil.copyfile(vendor / "MANIFEST.json", target / "MANIFEST.json")


def refresh_vendor(vendor=VENDOR, log=print):
    """Fetch NPM_ASSETS with `npm pack` and rewrite site/vendor/ and its MANIFEST.json."""
    from importlib import metadata
    vendor = Path(vendor)
    files, packages = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, spec in NPM_ASSETS.items():
            ref = f"{name}@{spec['version']}"
            log(f"npm pack {ref}")
            out = subprocess.run(["npm", "pack", ref, "--json"], cwd=tmp, check=True,
                                 capture_output=True, text=True).stdout
            info = json.loads(out)[0]
            extract(tmp / info["filename"], tmp / spec["dir"])
            src, dst = tmp / spec["dir"] / "package", vendor / spec["dir"]
            if dst.exists():
                shutil.rmtree(dst)
            dst.mkdir(parents=True)
            for inner, target in spec["files"].items():
                shutil.copyfile(src / inner, dst / target)
                files.append({"path": f"{spec['dir']}/{target}", "package": name,
                              "version": spec["version"], "from": f"npm:{ref}/{inner}"})
            license_file = f"{spec['dir']}/LICENSE"
            if not (dst / "LICENSE").exists():  # html-manager: take ipywidgets' licence
                dist = metadata.distribution(HTML_MANAGER_LICENSE_FROM)
                lic = next(f for f in dist.files if f.name.upper().startswith("LICENSE"))
                shutil.copyfile(dist.locate_file(lic), dst / "LICENSE")
                files.append({"path": license_file, "package": name, "version": spec["version"],
                              "from": f"pypi:{HTML_MANAGER_LICENSE_FROM}=={dist.version}/{lic}"})
            packages.append({"package": name, "version": spec["version"],
                             "license": spec["license"], "license_file": license_file,
                             "tarball": info["filename"], "integrity": info["integrity"]})
    for entry in files:
        entry["sha256"] = sha256(vendor / entry["path"])
    manifest = {"about": "Files vendored for the offline site (tools/site/build.py). "
                         "Refresh with: ./kit site --refresh-vendor",
                "packages": packages, "files": files}
    (vendor / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"wrote {vendor / 'MANIFEST.json'} ({len(files)} files)")
    return manifest
