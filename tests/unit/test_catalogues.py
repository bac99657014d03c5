"""The Spanish catalogue is complete, current and compiled: every marked message has a
translation with the same placeholders, none is fuzzy, none is missing or left over."""

from __future__ import annotations

from casedesk import catalogues
from casedesk.i18n import catalogue_path


def test_catalogue_is_complete_and_current() -> None:
    found = list(catalogues.problems("es"))
    assert not found, "\n".join(found[:40]) + (f"\n… and {len(found) - 40} more"
                                               if len(found) > 40 else "")


def test_the_compiled_catalogue_says_what_the_po_says() -> None:
    from gettext import GNUTranslations
    from io import BytesIO

    from casedesk.i18n import compile_catalogue

    with catalogue_path("es").open("rb") as handle:
        installed = GNUTranslations(handle)
    fresh = GNUTranslations(BytesIO(compile_catalogue(catalogue_path("es", ".po"))))
    assert installed._catalog == fresh._catalog  # noqa: SLF001


def test_placeholders_are_found() -> None:
    assert catalogues.placeholders("case {number} of {{literal}} at %s") == {"{number}", "%s"}


def test_a_message_without_translation_is_refused(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """The check itself can fail: a marked message missing from the catalogue is named."""
    module = tmp_path / "casedesk_probe.py"
    module.write_text('from casedesk.i18n import _\nX = _("a message nobody translated")\n')
    monkeypatch.setattr(catalogues, "PACKAGE", tmp_path)
    assert any("a message nobody translated" in line for line in catalogues.problems("es"))
