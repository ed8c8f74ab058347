"""Policy runtimes behind one interface (reset / set_instruction / act): PyTorch eager and ONNX Runtime.

``load_policy(name_or_dir, runtime=...)`` is the one entry point. The ONNX path imports neither
torch nor transformers once its export exists.
"""

from heron.runtime.factory import RUNTIMES, load_policy

__all__ = ["RUNTIMES", "load_policy"]
