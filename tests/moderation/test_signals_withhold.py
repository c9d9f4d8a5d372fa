import pytest

from moderation.signals import release_withheld, withhold_phone_numbers
from moderation.signals.withhold import PLACEHOLDER


class TestWithholdPhoneNumbers:
    def test_numbers_are_masked_for_newcomers(self) -> None:
        text = "Call me on +44 7700 900456 or 07700 900789."
        held = withhold_phone_numbers(text, room_has_newcomers=True)
        assert held.text == f"Call me on {PLACEHOLDER} or {PLACEHOLDER}."
        assert [part.original for part in held.withheld] == ["+44 7700 900456", "07700 900789"]
        for part in held.withheld:
            assert held.text[part.start : part.end] == PLACEHOLDER
        assert held.is_withheld

    def test_nothing_held_without_newcomers(self) -> None:
        text = "Call me on +44 7700 900456"
        held = withhold_phone_numbers(text, room_has_newcomers=False)
        assert held.text == text
        assert not held.is_withheld

    def test_admin_can_switch_withholding_off(self) -> None:
        text = "Call me on +44 7700 900456"
        held = withhold_phone_numbers(
            text, room_has_newcomers=True, disabled={"withhold.phone_number_to_newcomers"}
        )
        assert held.text == text

    def test_other_rules_do_not_affect_withholding(self) -> None:
        held = withhold_phone_numbers(
            "+44 7700 900456", room_has_newcomers=True, disabled={"contact.phone_number"}
        )
        assert held.is_withheld

    def test_number_inside_a_link_is_held(self) -> None:
        held = withhold_phone_numbers("wa.me/447700900123", room_has_newcomers=True)
        assert held.text == f"wa.me/{PLACEHOLDER}"

    def test_text_without_numbers_passes(self) -> None:
        held = withhold_phone_numbers("See you on Thursday", room_has_newcomers=True)
        assert held.text == "See you on Thursday"
        assert held.withheld == ()


class TestReleaseWithheld:
    def test_release_restores_the_message(self) -> None:
        text = "Numéro : 06 12 34 56 78, ou le 07 81 22 45 90 le soir"
        held = withhold_phone_numbers(text, room_has_newcomers=True)
        assert release_withheld(held.text, held.withheld) == text

    def test_custom_placeholder(self) -> None:
        text = "0722 123 456"
        held = withhold_phone_numbers(text, room_has_newcomers=True, placeholder="[…]")
        assert held.text == "[…]"
        assert release_withheld(held.text, held.withheld, placeholder="[…]") == text

    def test_release_refuses_an_edited_message(self) -> None:
        held = withhold_phone_numbers("call 0722 123 456 now", room_has_newcomers=True)
        with pytest.raises(ValueError, match="changed"):
            release_withheld("call me later", held.withheld)
