"""The PyTorch -> TensorFlow converter: reuse first, then a pipeline of small libcst rules.

Data flow: :mod:`pt_module` reads ``modeling_<m>.py`` into units (classes, functions,
constants) and facts (class prefix, config class, base model); :mod:`reuse` finds, per class,
an existing TF twin to copy with a ``# Copied from`` marker; every other unit goes through the
rules of :mod:`rules` in order; :mod:`assemble` writes the module (imports, order, formatting)
and the report lists each construct no rule handled, with its TODO marker's line.
"""
