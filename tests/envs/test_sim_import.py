import subprocess
import sys


def test_import_sim_does_not_import_pybullet():
    code = (
        "import sys, heron.envs.tabletop, heron.envs.tabletop.tasks, heron.envs.tabletop.experts;"
        "import gymnasium as gym;"
        "assert 'heron/Pick-v0' in gym.registry;"
        "print('pybullet' in sys.modules, 'heron.envs.tabletop.env' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"], out.stdout + out.stderr


def test_sim_spaces_agree_with_policies_schema():
    from heron.envs.tabletop import spaces
    from heron.policies import schema

    for name in ("RGB_FRONT", "RGB_WRIST", "PROPRIO", "INSTRUCTION", "PROPRIO_DIM", "ACTION_DIM", "MAX_INSTRUCTION_CHARS", "TIMESTAMP"):
        assert getattr(spaces, name) == getattr(schema, name), name
