"""The report is one table: every step has its entry, and the states are one enum."""

from __future__ import annotations

from handlers.report import scene
from handlers.report.draft import STATES
from handlers.states import REPORT, Step


def test_every_step_has_its_entry() -> None:
    """A step without an entry in STEPS could be entered but never answered."""
    assert set(scene.STEPS) == set(REPORT) == {Step(s) for s in STATES}
    assert set(scene.CANCELS) == set(STATES)


def test_rules_sit_on_the_steps_that_need_them() -> None:
    """跳过 words at the optional steps, 确认 words and the duplicate question at the confirm step."""
    assert {s for s, spec in scene.STEPS.items() if spec.skip_words} == {Step.PHOTO, Step.PHONE}
    assert {s for s, spec in scene.STEPS.items() if spec.submit_words} == {Step.CONFIRM}
    assert {s for s, spec in scene.STEPS.items() if spec.before} == {Step.CATEGORY, Step.CONFIRM}
    assert {s for s, spec in scene.STEPS.items() if spec.continues} == {
        Step.CATEGORY,
        Step.PHOTO,
        Step.LOCATION,
    }
