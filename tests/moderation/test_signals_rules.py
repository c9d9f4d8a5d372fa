import pytest

from moderation import signals
from moderation.signals import rules


class TestRuleTable:
    def test_ids_are_stable(self) -> None:
        # Stored flags and admins' settings refer to these ids: renaming one is a migration.
        assert [rule.id for rule in signals.RULES] == [
            "contact.phone_request",
            "contact.app_handle_request",
            "contact.app_link",
            "contact.phone_number",
            "contact.email_address",
            "contact.handle_shared",
            "location.street_address",
            "location.home_or_work_request",
            "offer.job",
            "offer.travel",
            "offer.documents",
            "offer.money",
            "activity.newcomer_fanout",
            "activity.new_account_contact_sweep",
            "withhold.phone_number_to_newcomers",
        ]

    def test_every_rule_is_described(self) -> None:
        for rule in signals.RULES:
            assert rule.description.endswith((".", ")"))
            assert signals.RULES_BY_ID[rule.id] is rule

    def test_only_handles_are_off_by_default(self) -> None:
        assert signals.default_disabled_rule_ids() == {"contact.handle_shared"}


class TestDisabledRuleIds:
    def test_admin_switches_a_rule_off_and_another_on(self) -> None:
        disabled = signals.disabled_rule_ids({"offer.money": False, "contact.handle_shared": True})
        assert disabled == {"offer.money"}

    def test_unknown_rule_is_refused(self) -> None:
        with pytest.raises(signals.UnknownRuleError, match=r"offer\.moneyy"):
            signals.disabled_rule_ids({"offer.moneyy": False})

    def test_screening_refuses_an_unknown_disabled_id(self) -> None:
        with pytest.raises(signals.UnknownRuleError):
            signals.screen_message("hello", disabled={"nope"})

    def test_every_text_rule_has_patterns_in_every_language(self) -> None:
        from moderation.signals.text import LEXICONS

        worded = {
            rules.PHONE_REQUEST,
            rules.APP_HANDLE_REQUEST,
            rules.STREET_ADDRESS,
            rules.LOCATION_REQUEST,
            rules.JOB_OFFER,
            rules.TRAVEL_OFFER,
            rules.DOCUMENTS_OFFER,
            rules.MONEY_OFFER,
        }
        for lexicon in LEXICONS:
            assert set(lexicon.patterns) == worded, lexicon.language
