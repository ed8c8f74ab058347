"""A grounded plain-language command interpreter: text + scene -> a plan, a question or a refusal.

No PyBullet, no torch at import: the scene is a plain dataclass (``scene.py``) and the MiniLM
fallback loads on first use. Pieces: ``lexicon`` (words), ``clauses`` (tokens, ordering words),
``mentions`` (noun phrases, references, quantifiers, relations), ``rules`` (clause -> steps),
``embedding`` (MiniLM fallback), ``interpreter`` (the whole), ``results`` (Plan / Question / Refusal).
"""

from heron.language.interpreter import Interpreter, InterpreterConfig, make_interpreter
from heron.language.results import SKILLS, Plan, Question, Refusal, Reply, Step
from heron.language.scene import SceneDescription, scene_from_env, scene_from_json, vocabulary_scene

__all__ = ["Interpreter", "InterpreterConfig", "make_interpreter", "Plan", "Question", "Refusal", "Reply", "Step",
           "SKILLS", "SceneDescription", "scene_from_env", "scene_from_json", "vocabulary_scene"]
