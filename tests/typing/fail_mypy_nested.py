"""Wrong paths into nested models, as mypy with the plugin rejects them.

Markers: ``# E: mypy[code]`` (see ``fail_bare.py``).
"""

from tests.typing.models import Page, Post


def nested() -> None:
    _ = Page.address.town  # E: mypy[attr-defined]
    _ = Page.address.city > 3  # E: mypy[operator]
    _ = Page.meta.k  # E: mypy[attr-defined]
    _ = Post.views.bogus  # E: mypy[attr-defined]
