"""A grounded plain-language command interpreter: text + scene -> a plan, a question, a refusal, a stop or an answer.

No PyBullet, no torch at import: the scene is a plain dataclass (``scene.py``) and the MiniLM
fallback loads on first use. Pieces: ``lexicon`` (words), ``clauses`` (tokens, ordering words),
``mentions`` (noun phrases, references, quantifiers, relations), ``rules`` (clause -> steps),
``intents`` (stop, help), ``corrections`` ("no wait, ..."), ``negation`` ("don't ..."), ``scope`` (what is no
skill), ``embedding`` (MiniLM suggestions), ``interpreter`` (the whole), ``results`` (the replies).
"""

from heron.language.interpreter import Interpreter, InterpreterConfig, make_interpreter
from heron.language.results import KINDS, SKILLS, Answer, Plan, Question, Refusal, Reply, Step, Stop
from heron.language.scene import SceneDescription, scene_from_env, scene_from_json, vocabulary_scene

__all__ = ["Interpreter", "InterpreterConfig", "make_interpreter", "Plan", "Question", "Refusal", "Stop", "Answer",
           "Reply", "Step", "KINDS", "SKILLS", "SceneDescription", "scene_from_env", "scene_from_json", "vocabulary_scene"]
