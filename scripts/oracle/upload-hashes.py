"""Golden upload hashes from azure-ai-ml itself.

For every case in test/fixtures/upload-hash/cases.json, asks azure-ai-ml 1.4.0 (Debian's python3-azure)
what it computes when it uploads the folder or file as a Code or Model asset:

- objectHash: get_object_hash(path, get_ignore_file(path)) - the <hash> of LocalUpload/<hash>/<name>,
  what _upload_to_datastore uses for code, models and environments' build contexts;
- contentHash: get_content_hash(path, ignore file) - the sha256 a Code asset carries as hash_sha256
  (hash_version get_content_hash_version());
- ignoreFile: the ignore file get_ignore_file picks (.amlignore over .gitignore, root folder only);
- uploads: what upload_directory would send, in its order (os.walk + traverse_directory, sorted):
  [local path relative to the case folder, blob path]; the first blob is the indicator file;
- excluded: every file under the folder that the ignore file keeps out (IgnoreFile.is_file_excluded).

Run from the repository root; writes test/fixtures/upload-hash/golden.json:

    PYTHONPATH=scripts/oracle /usr/bin/python3 scripts/oracle/upload-hashes.py
"""
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import azure.ai.ml
from azure.ai.ml._utils._asset_utils import (
    get_content_hash,
    get_content_hash_version,
    get_ignore_file,
    get_object_hash,
    traverse_directory,
)

HERE = Path("test/fixtures/upload-hash")


def prepare(case, scratch):
    copy = Path(scratch) / case["name"] / case["folder"]
    shutil.copytree(HERE / case["folder"], copy, symlinks=True)
    for d in case.get("emptyDirs", []):
        (copy / d).mkdir(parents=True, exist_ok=True)
    for link, target in case.get("symlinks", {}).items():
        os.symlink(str((copy / target).resolve()), str(copy / link))
    return copy, copy / case["target"] if "target" in case else copy


def uploads(path, ignore_file, asset_hash):
    """upload_directory's enumeration, without a storage client."""
    if not path.is_dir():
        return [[path.name, "LocalUpload/%s/%s" % (asset_hash, path.name)]]
    source = path.resolve()
    prefix = "LocalUpload/%s/%s/" % (asset_hash, os.path.basename(source))
    found = []
    for root, _, files in os.walk(source, followlinks=True):
        found += list(traverse_directory(root, files, source, prefix, ignore_file=ignore_file))
    return [[os.path.relpath(local, source), blob] for local, blob in sorted(found)]


def excluded(path, ignore_file):
    if not path.is_dir():
        return []
    out = []
    for root, _, files in os.walk(path, followlinks=True):
        for name in files:
            full = os.path.join(root, name)
            if ignore_file.is_file_excluded(full):
                out.append(os.path.relpath(full, path))
    return sorted(out)


def main():
    cases = json.loads((HERE / "cases.json").read_text("utf-8"))["cases"]
    golden = {
        "about": "Written by scripts/oracle/upload-hashes.py from azure-ai-ml %s; do not edit." % azure.ai.ml.__version__,
        "azureAiMl": azure.ai.ml.__version__,
        "contentHashVersion": get_content_hash_version(),
        "cases": {},
    }
    with tempfile.TemporaryDirectory() as scratch:
        for case in cases:
            copy, target = prepare(case, scratch)
            # traverse_directory and the symlink handling read the current directory.
            os.chdir(copy)
            ignore_file = get_ignore_file(target if target.is_dir() else target.parent)
            object_hash = get_object_hash(target, ignore_file)
            golden["cases"][case["name"]] = {
                "objectHash": object_hash,
                "contentHash": get_content_hash(str(target), ignore_file),
                "ignoreFile": os.path.basename(str(ignore_file.path)) if ignore_file.exists() else None,
                "uploads": uploads(target, ignore_file, object_hash),
                "excluded": excluded(target, ignore_file),
            }
            os.chdir(ROOT)
    out = HERE / "golden.json"
    out.write_text(json.dumps(golden, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print("wrote %s (%d cases)" % (out, len(golden["cases"])))


ROOT = os.getcwd()
if __name__ == "__main__":
    if not (HERE / "cases.json").exists():
        sys.exit("run from the repository root")
    main()
