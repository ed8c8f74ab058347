"""What an environment declares about itself: its cameras (names and sizes), its state and its actions.

The dataset records these, ``heron train`` builds the model for them, the checkpoint and the ONNX spec carry
them, and the runtime checks observations against them. Nothing outside an environment hard-codes them.
LeRobot's ``features`` and Gymnasium's spaces say the same; this is the small part heron needs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

PROPRIO = "proprio"  # the state's observation key, whatever the robot


@dataclass(frozen=True)
class Features:
    cameras: dict[str, tuple[int, int]]  # observation key (rgb_<camera>) -> (height, width)
    state: tuple[str, ...]  # names of the proprio values, in order
    actions: tuple[str, ...]  # names of the action values, in order; each in [-1, 1]

    def __post_init__(self):
        bad = [c for c in self.cameras if not c.startswith("rgb_")]
        if bad or not self.cameras:
            raise ValueError(f"cameras {sorted(self.cameras)}: at least one, each named rgb_<camera>")
        if not self.state or not self.actions:
            raise ValueError("an environment declares at least one state and one action value")

    @property
    def state_dim(self) -> int:
        return len(self.state)

    @property
    def action_dim(self) -> int:
        return len(self.actions)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["cameras"] = {k: list(v) for k, v in self.cameras.items()}
        d["state"], d["actions"] = list(self.state), list(self.actions)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Features":
        return cls(cameras={k: tuple(v) for k, v in d["cameras"].items()}, state=tuple(d["state"]), actions=tuple(d["actions"]))

    def policy_config(self) -> dict:
        """The policy-config values these features decide (see ``heron.policies.config.adopt_features``)."""
        sizes = {tuple(s) for s in self.cameras.values()}
        out = {"cameras": list(self.cameras), "proprio_dim": self.state_dim, "action_dim": self.action_dim}
        if len(sizes) == 1 and (s := next(iter(sizes)))[0] == s[1]:
            out["image_size"] = int(s[0])
        return out

    def mismatch(self, policy: dict) -> str | None:
        """A message naming both sides where a policy's ``{cameras, image_size, proprio_dim, action_dim}``
        disagrees with these features, else None."""
        mine = self.policy_config()
        diffs = [f"{k}: policy {policy.get(k)!r}, environment {mine[k]!r}" for k in mine if k in policy and policy[k] != mine[k]]
        return "; ".join(diffs) or None
