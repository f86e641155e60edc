#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Validate JSON documents against a JSON Schema (draft 2020-12).

usage: validate_schema.py SCHEMA DOCUMENT...

Exit status: 0 every document is valid, 1 at least one is not (each error is
printed with its JSON path), 2 usage or unreadable file, 77 python3-jsonschema is
not installed (meson then marks the test as skipped).
"""
import json
import os
import sys

SKIP = 77


def try_validator(schema_path):
    """A Draft202012Validator for the schema, or None without python3-jsonschema."""
    try:
        from jsonschema import Draft202012Validator
    except ImportError:
        return None
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, **sibling_refs(schema_path))


def sibling_refs(schema_path):
    """Keyword arguments that resolve "$ref": "other.schema.json#..." to the schemas
    beside schema_path (by their $id), never over the network."""
    folder = os.path.dirname(os.path.abspath(schema_path))
    docs = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".schema.json"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                doc = json.load(f)
            docs[doc.get("$id", name)] = doc
    try:
        from referencing import Registry, Resource
    except ImportError:  # jsonschema < 4.18
        from jsonschema import RefResolver
        return {"resolver": RefResolver("", {}, store=docs)}
    return {"registry": Registry().with_resources(
        (uri, Resource.from_contents(doc)) for uri, doc in docs.items())}


def load_validator(schema_path):
    """As try_validator, but exit 77 (skipped) without python3-jsonschema."""
    v = try_validator(schema_path)
    if v is None:
        print("validate_schema.py: python3-jsonschema (with draft 2020-12) is not "
              "installed; skipping", file=sys.stderr)
        sys.exit(SKIP)
    return v


def errors_of(validator, doc):
    """Sorted, printable validation errors of doc."""
    out = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/" + "/".join(str(p) for p in e.absolute_path)
        out.append(f"{where}: {e.message}")
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    validator = load_validator(argv[1])
    bad = 0
    for path in argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{path}: cannot read: {e}", file=sys.stderr)
            return 2
        errs = errors_of(validator, doc)
        for msg in errs:
            print(f"{path}: {msg}", file=sys.stderr)
        bad += bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
