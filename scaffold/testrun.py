"""Running a generated TF test file (L5 of the port benchmark) and reading its verdict.

The file runs in a child pytest process against the tree's own transformers, as a contributor
would run it; the verdict comes from pytest's JUnit report, not from its console output, so it
holds whatever pytest prints. A skip counts as a gap of the generated file unless it is one of
the mixin's own marks (:data:`MIXIN_SKIP_REASONS`): a test file that skips its way to green is
not a tested port.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from scaffold.checkout import Checkout
from scaffold.errors import ScaffoldError
from scaffold.testgen import test_file_path

# Skip reasons of the mixin's own marks: everything else skipped is a gap of the generated file.
MIXIN_SKIP_REASONS = (
    "test is slow",
    "test is PT+TF test",
    "This test always passes on CPU.",
    "`tf2onnx` broke with TF 2.13",
    "Model does not output attentions",  # the mixin's own skip when has_attentions is False
    "test requires tf2onnx",
)


def _message(element: ET.Element) -> str:
    """The failure's one-line message, then the end of its traceback (where the error was raised)."""
    message = (element.get("message") or "").strip()
    text = (element.text or "").strip()
    if text and text not in message:
        message = f"{message[:1500]}\n...\n{text[-2500:]}" if message else text[-4000:]
    return message


def _junit_counts(path: Path, root: Path) -> dict[str, Any]:
    out: dict[str, Any] = {
        "passed": 0,
        "failed": 0,
        "errors": 0,
        "skipped": 0,
        "failed_ids": [],
        "error_ids": [],
        "skip_reasons": {},
        "messages": {},
    }
    tree = ET.parse(path)
    for case in tree.iter("testcase"):
        classname = case.get("classname", "")
        parts = classname.split(".")
        # tests.models.bert.test_modeling_tf_bert.TFBertModelTest -> path::Class::name
        test_id = case.get("name", "")
        for cut in range(len(parts), 0, -1):
            candidate = root.joinpath(*parts[:cut]).with_suffix(".py")
            if candidate.is_file():
                test_id = "::".join([candidate.relative_to(root).as_posix(), *parts[cut:], case.get("name", "")])
                break
        failure = case.find("failure")
        error = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            out["failed"] += 1
            out["failed_ids"].append(test_id)
            out["messages"][test_id] = _message(failure)
        elif error is not None:
            out["errors"] += 1
            out["error_ids"].append(test_id)
            out["messages"][test_id] = _message(error)
        elif skipped is not None:
            out["skipped"] += 1
            reason = skipped.get("message") or ""
            out["skip_reasons"][test_id] = re.sub(r"^(?:unittest\.case\.)?SkipTest: ", "", reason)
        else:
            out["passed"] += 1
    return out


def run_test_file(
    tree_root: Path, model: str, *, timeout: float = 1800.0, select: str | None = None
) -> dict[str, Any]:
    """Run ``tests/models/<m>/test_modeling_tf_<m>.py`` of a tree with pytest in a child process.

    The child imports the tree's own transformers (``PYTHONPATH=<tree>/src``, cwd the tree), quiet
    and offline. Returns counts (passed, failed, errors, skipped), the failing and erroring test
    ids with their messages, skip reasons by test id, seconds, and pytest's exit code; a run that
    times out or leaves no report counts as one error. ``select``: a pytest ``-k`` expression.
    """
    tree_root = Path(tree_root).resolve()
    checkout = Checkout(tree_root)
    found = checkout.model(model)
    path = test_file_path(checkout, found)
    if not path.is_file():
        raise ScaffoldError(f"{checkout.rel(path)} does not exist: generate it first")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree_root / "src"), *filter(None, [env.get("PYTHONPATH")])])
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["HF_HUB_OFFLINE"] = "1"
    env.pop("RUN_SLOW", None)
    env.pop("RUN_PT_TF_CROSS_TESTS", None)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tfscaffold-tests-") as work:
        report = Path(work) / "junit.xml"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            checkout.rel(path),
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-q",
            "-rA",
            f"--junitxml={report}",
            *(["-k", select] if select else []),
        ]
        try:
            proc = subprocess.run(cmd, cwd=tree_root, env=env, capture_output=True, text=True, timeout=timeout)
            output, code = proc.stdout + proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:
            output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            code = None
        seconds = round(time.perf_counter() - start, 1)
        if report.is_file():
            result = _junit_counts(report, tree_root)
        else:
            result = _junit_counts_empty()
            result["errors"] = 1
            result["error_ids"].append(checkout.rel(path))
            result["messages"][checkout.rel(path)] = "pytest wrote no report: " + output[-2000:]
    if code is None:
        result["errors"] += 1
        result["error_ids"].append(f"{checkout.rel(path)} (timed out after {timeout:g} s)")
    result["seconds"] = seconds
    result["returncode"] = code
    result["output_tail"] = output[-4000:]
    result["unexpected_skips"] = {
        k: v for k, v in result["skip_reasons"].items() if not any(v.startswith(r) for r in MIXIN_SKIP_REASONS)
    }
    return result


def _junit_counts_empty() -> dict[str, Any]:
    return {
        "passed": 0,
        "failed": 0,
        "errors": 0,
        "skipped": 0,
        "failed_ids": [],
        "error_ids": [],
        "skip_reasons": {},
        "messages": {},
    }
