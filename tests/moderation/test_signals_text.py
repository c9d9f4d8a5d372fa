from collections.abc import Collection

import pytest

from moderation.signals import Severity, TextSignal, guess_language, screen_message


def fired(text: str, disabled: Collection[str] | None = None) -> set[str]:
    return {s.rule_id for s in screen_message(text, disabled=disabled)}


def signal(text: str, rule_id: str) -> TextSignal:
    return next(s for s in screen_message(text) if s.rule_id == rule_id)


class TestScreenMessage:
    @pytest.mark.parametrize(
        ("text", "rule_id", "language"),
        [
            ("Can you send me your number?", "contact.phone_request", "en"),
            ("donne-moi ton numéro", "contact.phone_request", "fr"),
            ("dammi il tuo numero", "contact.phone_request", "it"),
            ("¿me pasas tu número?", "contact.phone_request", "es"),
            ("dă-mi numărul tău", "contact.phone_request", "ro"),
            ("add me on W.H.A.T.S.A.P.P", "contact.app_handle_request", "en"),
            ("t'as whats app ?", "contact.app_handle_request", "fr"),
            ("where do you live?", "location.home_or_work_request", "en"),
            ("Unde locuiești?", "location.home_or_work_request", "ro"),
            ("Ho un lavoro per te", "offer.job", "it"),
            ("te pago el billete", "offer.travel", "es"),
            ("je peux te trouver des papiers", "offer.documents", "fr"),
            ("easy money, message me", "offer.money", "en"),
        ],
    )
    def test_rule_fires_with_its_language(self, text: str, rule_id: str, language: str) -> None:
        hit = signal(text, rule_id)
        assert hit.language == language

    @pytest.mark.parametrize(
        "text",
        [
            "Îţi plătesc eu biletul",  # cedilla letters
            "Îți plătesc eu biletul",  # comma-below letters
            "iti platesc eu biletul",  # no diacritics
            "ÎȚI PLĂTESC EU BILETUL",  # upper case
        ],
    )
    def test_romanian_spellings_are_one(self, text: str) -> None:
        assert fired(text) == {"offer.travel"}

    def test_evidence_points_into_the_original_text(self) -> None:
        text = "Bonjour ! Écris-moi sur Telegram, c'est plus sûr."
        hit = signal(text, "contact.app_handle_request")
        (evidence,) = hit.evidence
        assert text[evidence.start : evidence.end] == evidence.excerpt == "Écris-moi sur Telegram"
        assert hit.severity is Severity.MEDIUM

    def test_several_rules_fire_on_one_message(self) -> None:
        text = "I have a job for you in Dubai, flights covered, text me on whatsapp +44 7700 900456"
        assert fired(text) == {
            "offer.job",
            "offer.travel",
            "contact.app_handle_request",
            "contact.phone_number",
        }

    def test_disabled_rule_is_silent(self) -> None:
        text = "I have a job for you, call +44 7700 900456"
        assert fired(text, disabled={"offer.job"}) == {"contact.phone_number"}
        assert fired(text, disabled=set()) == {"offer.job", "contact.phone_number"}

    @pytest.mark.parametrize(
        "text",
        [
            "Remember: never give your number to someone you don't know here",
            "Ne donnez jamais votre numéro à quelqu'un",
            "Non date mai il vostro numero",
            "Nunca deis vuestro número",
            "Nu dați niciodată numărul vostru",
        ],
    )
    def test_warnings_are_not_requests(self, text: str) -> None:
        assert fired(text) == set()

    @pytest.mark.parametrize(
        "text",
        [
            "My phone died in the middle of the session",
            "I started a job at the bakery last week",
            "Telegram keeps sending me notifications, how do I leave a group?",
            "Money is tight this month",
            "Le billet de train m'a coûté 45 euros",
            "La asociación paga el transporte para la formación",
            "Am început să lucrez la brutărie",
            "The session is on 12/03/2025 at 18:00, room 2",
        ],
    )
    def test_everyday_talk_is_not_flagged(self, text: str) -> None:
        assert fired(text) == set()

    @pytest.mark.parametrize(
        "text",
        [
            # Seeking work, not offering it.
            "je cherche du travail avec logement, quelqu'un a une idée ?",
            "cerco lavoro stagionale con alloggio, qualcuno sa dove chiedere?",
            "busco trabajo con alojamiento, alguna idea?",
            "caut de lucru cu cazare, știe cineva ceva?",
            # Where someone comes from, favourite places, the way to a stop.
            "Which town are you from originally? I'm from Iasi",
            "in che città sei nata? io a Palermo",
            "din ce oraș ești de fel? eu din Bacău",
            "What's your street like, is it quiet at night?",
            "c'est quoi ton quartier préféré à Paris pour se balader ?",
            "dime tu calle favorita de Madrid para pasear",
            "Which stop do you get off at for the community centre?",
            # Introductions by the people whose job it is.
            "asistenta m-a pus în legătură cu un avocat",
            "ti metto in contatto con l'assistente sociale, lei sa tutto",
            # "no rush" is not a negation of what follows.
            "nu e grabă, spune-mi când poți veni la grup",
        ],
    )
    def test_near_misses_of_the_structural_patterns(self, text: str) -> None:
        assert fired(text) == set()

    @pytest.mark.parametrize(
        ("text", "rule_id"),
        [
            ("what's ur postcode babe", "location.home_or_work_request"),
            ("écris-moi le nom de ton foyer", "location.home_or_work_request"),
            ("qual è il tuo civico? passo io", "location.home_or_work_request"),
            ("I'll connect you with my boss, he's hiring", "offer.job"),
            ("os pongo en contacto con el encargado, pagan en mano", "offer.job"),
            ("chat on the blue app?", "contact.app_handle_request"),
            ("I can cover your bills till you find something", "offer.money"),
            ("je peux régler tes factures, tu verras plus tard", "offer.money"),
            ("te ajut eu cu garanția, nu-i grabă să mi-i dai înapoi", "offer.money"),
        ],
    )
    def test_structural_patterns(self, text: str, rule_id: str) -> None:
        assert rule_id in fired(text)


class TestContactDetails:
    @pytest.mark.parametrize(
        ("text", "number"),
        [
            ("call me on +44 7700 900456 tonight", "+44 7700 900456"),
            ("mon portable : 06.12.34.56.78", "06.12.34.56.78"),
            ("llámame al 612-345-678", "612-345-678"),
            ("sună-mă la 0722 123 456!", "0722 123 456"),
            ("il mio cell (347) 555 1234", "(347) 555 1234"),
            ("0044 7911 123 456", "0044 7911 123 456"),
        ],
    )
    def test_phone_numbers(self, text: str, number: str) -> None:
        (evidence,) = signal(text, "contact.phone_number").evidence
        assert evidence.excerpt == number

    @pytest.mark.parametrize(
        "text", ["on 12.03.2025", "call 112", "I paid 1500 euros", "born 1999-04-03", "room 214"]
    )
    def test_not_phone_numbers(self, text: str) -> None:
        assert "contact.phone_number" not in fired(text)

    @pytest.mark.parametrize(
        "text",
        [
            "https://wa.me/447700900123",
            "join t.me/somechannel",
            "chat.whatsapp.com/AbC123",
            "signal.me/#p/+447911123456",
            "https://www.instagram.com/someone",
            "t . me/obfuscated",
        ],
    )
    def test_messaging_links(self, text: str) -> None:
        assert "contact.app_link" in fired(text)
        assert signal(text, "contact.app_link").severity is Severity.HIGH

    def test_ordinary_links_are_not_messaging_links(self) -> None:
        assert fired("the form is on https://example.org/t.html and at.me.com") == set()

    def test_email_address(self) -> None:
        (evidence,) = signal("write to maria.k@example.org", "contact.email_address").evidence
        assert evidence.excerpt == "maria.k@example.org"

    def test_handles_only_when_switched_on(self) -> None:
        assert fired("thanks @rosa_22 for today") == set()
        assert fired("thanks @rosa_22 for today", disabled=set()) == {"contact.handle_shared"}

    @pytest.mark.parametrize(
        "text",
        [
            "Come to 14 Baker Street tomorrow",
            "Viens au 12 rue des Lilas",
            "Vieni in via Garibaldi 25",
            "Ven a la calle Mayor 15",
            "Vino pe strada Lipscani nr. 25",
        ],
    )
    def test_street_addresses(self, text: str) -> None:
        assert "location.street_address" in fired(text)

    def test_distances_are_not_addresses(self) -> None:
        assert fired("The bus takes 40 minutes from my place") == set()


class TestGuessLanguage:
    @pytest.mark.parametrize(
        ("text", "language"),
        [
            ("Thank you for the group today, I felt heard", "en"),
            ("Merci pour le groupe aujourd'hui, je me suis sentie écoutée", "fr"),
            ("Grazie per il gruppo di oggi, mi sono sentita ascoltata", "it"),
            ("Gracias por el grupo de hoy, me sentí escuchada", "es"),
            ("Mulțumesc pentru grupul de azi, m-am simțit ascultată", "ro"),
        ],
    )
    def test_guess(self, text: str, language: str) -> None:
        assert guess_language(text) == language

    def test_no_words_no_guess(self) -> None:
        assert guess_language("+44 7700 900456") is None
