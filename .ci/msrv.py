#!/usr/bin/env python3
"""Checks the MSRV claim: no package in the locked dependency graph declares a
`rust-version` newer than the workspace's.

Only one toolchain can be installed here, so the claim cannot be checked by building with
the old compiler; this is the part that can be checked: a locked crate that needs a newer
Rust makes the claim false whatever our own code does. (Our own code's use of newer std
APIs is what clippy's `incompatible_msrv` lint catches, as it reads the same
`rust-version`.) Each platform is resolved separately, so a crate that only a `cfg` no
build sets pulls in (loom, behind `cfg(loom)`) does not count.
"""
import json
import subprocess
import sys
import tomllib

TARGETS = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
]


def version(v):
    parts = [int(x) for x in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    with open("Cargo.toml", "rb") as f:
        claim = tomllib.load(f)["workspace"]["package"]["rust-version"]
    too_new = {}
    for target in TARGETS:
        out = subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked",
             "--filter-platform", target],
            check=True, capture_output=True, text=True, timeout=300,
        ).stdout
        meta = json.loads(out)
        used = {n["id"] for n in meta["resolve"]["nodes"]}
        needs = sorted(
            ((p["rust_version"], p["name"], p["version"])
             for p in meta["packages"]
             # Registry crates only: our own crates carry the claim itself.
             if p["id"] in used and p.get("rust_version") and p.get("source")),
            key=lambda t: version(t[0]), reverse=True,
        )
        top = needs[0]
        newer = [n for n in needs if version(n[0]) > version(claim)]
        for n in newer:
            too_new.setdefault(n, []).append(target)
        if not newer:
            print(f"{target}: ok, the newest requirement is {top[1]} {top[2]} (Rust {top[0]})")
    for (rv, name, ver), targets in too_new.items():
        print(f"{name} {ver} needs Rust {rv}, newer than rust-version {claim} "
              f"(on {', '.join(targets)})")
    if too_new:
        print("raise `rust-version` in Cargo.toml, or lock older versions of those crates")
        sys.exit(1)


if __name__ == "__main__":
    main()
