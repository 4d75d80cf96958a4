"""axe in the browser tests: one way to ask a page for the problems a person would meet.

Pages and Wagtail's admin animate some elements in (a message that fades in
after a form is refused, a panel that slides open). axe measures colours as
they are at that instant, so a message caught half-way through its fade-in
reads as low contrast. ``blocking_violations`` waits for every finite CSS
animation and transition to end first, then runs axe.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

BLOCKING = ("serious", "critical")
_AXE = Axe()

_SETTLE = """() => Promise.all(
    document.getAnimations()
        .filter((animation) => animation.effect && animation.effect.getComputedTiming().endTime !== Infinity)
        .map((animation) => animation.finished.catch(() => null))
)"""


def settle(page) -> None:
    """Wait until the page's finite animations and transitions have ended."""
    page.evaluate(_SETTLE)


def violations(page) -> list[dict]:
    """axe's violations on the page as it is once it has settled."""
    settle(page)
    return _AXE.run(page).response["violations"]


def blocking_violations(page) -> list[dict]:
    """The serious and critical ones: what the tests refuse."""
    return [violation for violation in violations(page) if violation["impact"] in BLOCKING]


def report(found: list[dict]) -> str:
    """axe's violations as lines to read in a failed assertion: rule, help, nodes and their checks."""
    lines = []
    for violation in found:
        lines.append(f"\n[{violation['impact']}] {violation['id']}: {violation['help']}\n  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  - {', '.join(map(str, node['target']))}")
            lines.append(f"    {node['html'][:200]}")
            for check in node.get("any", []) + node.get("all", []) + node.get("none", []):
                lines.append(f"    * {check['message']}")
    return "\n".join(lines)
