import subprocess
import sys


def test_import_sim_does_not_import_pybullet():
    code = (
        "import sys, sim, sim.tasks, sim.experts;"
        "import gymnasium as gym;"
        "assert 'heron/Pick-v0' in gym.registry;"
        "print('pybullet' in sys.modules, 'sim.env' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"], out.stdout + out.stderr


def test_sim_spaces_agree_with_policies_schema():
    from policies import schema
    from sim import spaces

    for name in ("RGB_FRONT", "RGB_WRIST", "PROPRIO", "INSTRUCTION", "PROPRIO_DIM", "ACTION_DIM", "MAX_INSTRUCTION_CHARS", "TIMESTAMP"):
        assert getattr(spaces, name) == getattr(schema, name), name
