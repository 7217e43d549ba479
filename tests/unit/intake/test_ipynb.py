"""grader/intake/ipynb.py: notebook cells become the module a submission would have been."""

from __future__ import annotations

import numpy as np

from grader.intake.ipynb import cells_to_module


def test_conversion_handles_magics_scratch_cells_and_redefinitions():
    cells = [
        "%matplotlib inline\n!pip install nothing\nimport numpy as np\nimport tensorflow as tf",
        "def relu(x):\n    raise NotImplementedError('relu')",
        "y = tf.nn.relu(np.arange(3.0))  # scratch: uses TF\nprint(y)",
        "%%time\nSLOPE = 0.2\ndef helper(v):\n    return np.where(v >= 0, v, SLOPE * v)",
        "%%bash\necho this is not python",
        "np.exp?",
        "def relu(x):\n    y = np.maximum(x, 0)  # a local y, not the scratch one\n    return y",
        "def leaky_relu(x, alpha=0.2):\n    return helper(x) if alpha == SLOPE else np.where(x >= 0, x, alpha * x)",
        "def broken(:\n    pass",
        "leaky_relu = leaky_relu  # harmless rebinding",
    ]
    conv = cells_to_module(cells, ["relu", "leaky_relu", "sigmoid"])
    assert "tensorflow" not in conv.module, conv.module
    assert "NotImplementedError" not in conv.module  # the later definition of relu won
    assert "echo" not in conv.module
    ns: dict = {}
    exec(compile(conv.module, "<converted>", "exec"), ns)
    assert ns["relu"](np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]
    assert ns["leaky_relu"](np.array([-1.0])).tolist() == [-0.2]
    assert conv.defined == ["relu", "leaky_relu"]
    assert any("cell 9" in n for n in conv.notes)
