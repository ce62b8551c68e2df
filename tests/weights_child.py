"""The frameworks' side of tests/test_weights.py, run as a script with a tree's ``src`` first on ``PYTHONPATH``.

``make SPEC``: write small random PyTorch checkpoints with transformers' own ``save_pretrained``
(safetensors or ``.bin``, sharded or not), every weight nudged off its initial value as ``verify``
does, so a zero bias or an identity norm cannot hide a bad conversion.

``check SPEC``: load each PyTorch checkpoint and the weights ``tfscaffold weights`` wrote, the TF
ones without ``from_pt`` and ``use_safetensors=False`` (so only ``tf_model.h5`` can be read), run
both on the inputs ``verify`` makes and report the largest difference per checkpoint as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def make(spec: dict[str, Any]) -> dict[str, Any]:
    import torch
    import transformers

    from scaffold.verify.runner import _perturb

    for item in spec["items"]:
        config_cls = getattr(transformers, item["config_class"])
        config = config_cls(**item["config"])
        config.architectures = [item["pt_class"]]
        torch.manual_seed(0)
        model = getattr(transformers, item["pt_class"])(config).eval()
        _perturb(model, 0.02, 1)
        kwargs = {"safe_serialization": item["safe"]}
        if item.get("max_shard_size"):
            kwargs["max_shard_size"] = item["max_shard_size"]
        model.save_pretrained(item["folder"], **kwargs)
    return {"made": [item["folder"] for item in spec["items"]]}


def _flat(out: Any) -> dict[str, Any]:
    from scaffold.verify.runner import _to_numpy, flatten_outputs

    return {k: _to_numpy(v) for k, v in flatten_outputs(out)}


def check(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import tensorflow as tf
    import torch
    import transformers

    from scaffold.weights.runner import make_all_inputs, run_pt, run_tf

    results = {}
    for item in spec["items"]:
        pt_cls = getattr(transformers, item["pt_class"])
        tf_cls = getattr(transformers, item["tf_class"])
        pt_model = pt_cls.from_pretrained(item["pt_folder"]).eval()
        tf_model = tf_cls.from_pretrained(item["tf_folder"], use_safetensors=False)
        inputs = make_all_inputs(pt_cls, tf_model, pt_model.config)
        pt_out = dict(run_pt(pt_model, inputs))
        tf_out = dict(run_tf(tf_model, inputs))
        # The main output is enough here: the command compares every output itself.
        first = next(iter(pt_out))
        diff = float(np.max(np.abs(pt_out[first] - np.asarray(tf_out[first]))))
        results[item["name"]] = {"output": first, "diff": diff, "tf_weights": len(tf_model.weights)}
        del pt_model, tf_model
        tf.keras.backend.clear_session()
        torch.set_grad_enabled(False)
    return results


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    mode, spec_path = sys.argv[1], Path(sys.argv[2])
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    result = make(spec) if mode == "make" else check(spec)
    spec_path.with_suffix(".out.json").write_text(json.dumps(result), encoding="utf-8")
