"""The Lambda code archive: how many files, how many of them the project's own, and its zipped size.

    PYTHONPATH=. .venv/bin/python bench/bench_lambda_package.py
"""

from __future__ import annotations

import io
import zipfile

from components.lambda_package import lambda_files


def main() -> None:
    files = lambda_files()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for archive_path, path in sorted(files.items()):
            archive.write(path, archive_path)
    own = sorted(p for p in files if p.startswith(("wms_connector/", "functions/")))
    unpacked = sum(path.stat().st_size for path in files.values())
    print(f"files                 : {len(files)} ({len(own)} of the project's own)")
    print(f"unpacked              : {unpacked / 1024:,.0f} KiB")
    print(f"zipped                : {len(buffer.getvalue()) / 1024:,.0f} KiB")
    print("project modules       : " + ", ".join(p.removesuffix(".py") for p in own))


if __name__ == "__main__":
    main()
