"""The robust suite (one perturbation axis at a time) and done-driven chains."""

from __future__ import annotations

import pytest

from heron.configs import CONFIG_DIR
from heron.evaluation.evaluate import evaluate
from heron.evaluation.report import markdown_table
from heron.evaluation.suites import load_suite
from heron.runtime.interfaces import StepOutput
from heron.runtime.simple import ExpertPolicy


def test_unknown_axis_in_a_suite_yaml_names_the_known_ones(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("name: r\ntype: robust\naxes: [{name: camera_shfit, severity: 0.1}]\n")
    with pytest.raises(ValueError, match=r"unknown robust axis 'camera_shfit'.*Did you mean 'camera_shift'"):
        load_suite(f)


def test_axis_severity_out_of_range_names_the_key(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("name: r\ntype: robust\naxes: [{name: camera_rotation, severity: 40}]\n")
    with pytest.raises(ValueError, match=r"camera_rotation.*randomize\.camera_rotation=40\.0 out of range: allowed 0\.\.15"):
        load_suite(f)


def test_user_axes_run_at_their_severity_and_report_per_axis_and_family(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("name: mine\ntype: robust\ntasks: [touch, pick]\n"
                 "axes: [{name: distractors, severity: 5}, heldout_phrasing]\n")
    res = evaluate("oracle", f, episodes=2, workers=1, json_path=tmp_path / "out" / "r.json")
    axes = res["aggregates"]["axes"]
    assert list(axes) == ["distractors=5", "heldout_phrasing"]
    assert all(a["overall"]["n"] == 2 and set(a["families"]) == {"touch", "pick"} for a in axes.values())
    recs = res["episodes"]
    assert [r["split"] for r in recs] == ["train", "train", "heldout", "heldout"]
    assert [r["seed"] for r in recs[:2]] == [r["seed"] for r in recs[2:]]  # the same scenes on every axis
    table = markdown_table(res)
    assert "| distractors=5 | 2 |" in table and (tmp_path / "out" / "r.png").stat().st_size > 1000


def test_builtin_robust_suite_has_every_axis_with_an_unseen_one():
    suite = load_suite("robust")
    names = [a.name for a in suite.axes]
    assert names[:2] == ["camera_shift", "camera_rotation"] and "heldout_phrasing" in names and len(names) == 9
    import yaml

    training = yaml.safe_load(open(CONFIG_DIR / "collect/randomize.yaml"))["randomize"]
    assert training["camera_rotation"] == 0  # the camera-rotation axis is entirely unseen in training
    for a in suite.axes:
        key = {"lighting": "light"}.get(a.name, a.name)
        if key in training and key != "arm_start":
            assert a.severity >= training[key], a.name  # at the edge of the training range or beyond


class AlwaysDone:
    """The expert's actions, but it claims to be done at every step."""

    def __init__(self, backend):
        self.inner = ExpertPolicy(backend)

    def reset(self):
        pass

    def set_instruction(self, text):
        pass

    def act(self, obs):
        out = self.inner.act(obs)
        return StepOutput(action=out.action, done=1.0)


def test_done_driven_chains_measure_early_and_late_firing():
    res = evaluate("oracle", "chains-done", episodes=2, workers=1)
    done = res["aggregates"]["chains"]["done"]
    assert res["aggregates"]["chains"]["avg_len"] == 5.0
    assert done["early"]["rate"] == 0.0 and done["late"]["rate"] == 0.0 and done["late"]["n"] == 10


def test_a_policy_that_says_done_at_once_ends_every_chain_early():
    from heron.evaluation.evaluate import known_tasks
    from heron.evaluation.runner import EpisodeRunner, WorkerConfig
    from heron.evaluation.suites import plan_episodes

    runner = EpisodeRunner(WorkerConfig(policy="oracle"))
    try:
        runner.policy_for = lambda spec, backend: AlwaysDone(backend)  # noqa: E731
        specs = plan_episodes(load_suite("chains-done"), 2, 1_000_000, known_tasks())
        recs = [runner.run(s) for s in specs]
    finally:
        runner.close()
    assert all(r["completed"] == 0 and r["done_early"] == [True] for r in recs)


def test_success_mode_chains_record_early_done():
    res = evaluate("oracle", "chains", episodes=1, workers=1)
    rec = res["episodes"][0]
    assert rec["done_early"] == [False] * 5 and "late" not in res["aggregates"]["chains"]["done"]
