"""What each notification says, in the five languages, rendered when it is read.

A stored item keeps only a template key and parameters, so a member who changes her
language reads her old items in the new one. Texts are neutral: they never say what the
community is about, never carry a ballot, a reporter, a sealed field or anyone's presence.
Parameters ending in ``_at`` are ISO times shown in her time zone; parameters named in
``WORDS`` are translated too (a list of them is joined).
"""

from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LANGUAGES = ("en", "fr", "it", "es", "ro")


class Kind(StrEnum):
    """What she can switch on or off (a kind may use several templates)."""

    APPLICATION_NEEDS_INTERVIEWERS = "application.needs_interviewers"
    INTERVIEWER_ASSIGNED = "application.interviewer_assigned"
    VOTE_OPENED = "vote.opened"
    VOTE_REMINDER = "vote.reminder"
    VOTE_OUTCOME = "vote.outcome"
    MENTOR_ASSIGNED = "mentoring.assigned"
    MENTOR_CHANGED = "mentoring.changed"
    MENTORING_ENDED = "mentoring.ended"
    CARD_ISSUED = "card.issued"
    CARD_EXPIRING = "card.expiring"
    CARD_REVOKED = "card.revoked"
    ROOM_MENTION = "room.mention"
    SESSION_TOMORROW = "session.tomorrow"
    PEERWORK_INVITATION = "peerwork.invitation"
    ROSTER_PUBLISHED = "peerwork.roster_published"
    SHIFT_CHANGED = "peerwork.shift_changed"
    SHIFT_SWAP = "peerwork.swap"
    HOURS_REVIEWED = "peerwork.hours_reviewed"
    DEBRIEF_DUE = "peerwork.debrief_due"
    TALK_REQUESTED = "peerwork.talk_requested"
    TEAM_NOTICE = "peerwork.team_notice"
    REPORT_STATUS = "safety.report_status"
    RESTRICTION_APPLIED = "safety.restriction_applied"
    RESTRICTION_LIFTED = "safety.restriction_lifted"


# Cannot be switched off: what changes her safety or her standing. They still respect
# quiet hours and pause for anything outside the app.
SAFETY_KINDS = frozenset({Kind.RESTRICTION_APPLIED, Kind.RESTRICTION_LIFTED, Kind.CARD_REVOKED})

T = dict[str, str]

TEMPLATES: dict[str, T] = {
    "application.needs_interviewers": {
        "en": "{applicant} asked to become active and needs interviewers.",
        "fr": "{applicant} demande à devenir active et cherche des personnes pour l'entretien.",
        "it": "{applicant} chiede di diventare attiva e cerca chi la incontri per il colloquio.",
        "es": "{applicant} pidió ser activa y necesita personas para la entrevista.",
        "ro": "{applicant} a cerut să devină activă și are nevoie de persoane pentru interviu.",
    },
    "application.interviewer_assigned": {
        "en": "You were asked to meet {applicant} for her interview.",
        "fr": "On vous a demandé de rencontrer {applicant} pour son entretien.",
        "it": "Ti è stato chiesto di incontrare {applicant} per il suo colloquio.",
        "es": "Te pidieron reunirte con {applicant} para su entrevista.",
        "ro": "Ți s-a cerut să te întâlnești cu {applicant} pentru interviul ei.",
    },
    "vote.opened": {
        "en": "A Roots vote on {applicant} is open until {deadline_at}.",
        "fr": "Un vote des Roots sur {applicant} est ouvert jusqu'au {deadline_at}.",
        "it": "Una votazione dei Roots su {applicant} è aperta fino al {deadline_at}.",
        "es": "Una votación de Roots sobre {applicant} está abierta hasta el {deadline_at}.",
        "ro": "Un vot Roots despre {applicant} este deschis până la {deadline_at}.",
    },
    "vote.reminder": {
        "en": "The vote on {applicant} closes on {deadline_at}; you have not voted yet.",
        "fr": "Le vote sur {applicant} se termine le {deadline_at} ; vous n'avez pas encore voté.",
        "it": "La votazione su {applicant} si chiude il {deadline_at}; non hai ancora votato.",
        "es": "La votación sobre {applicant} cierra el {deadline_at}; aún no has votado.",
        "ro": "Votul despre {applicant} se închide pe {deadline_at}; încă nu ai votat.",
    },
    "vote.outcome.applicant.approved": {
        "en": "Your application was approved. Welcome to the active members.",
        "fr": "Votre demande a été acceptée. Bienvenue parmi les membres actifs.",
        "it": "La tua domanda è stata accolta. Benvenuta tra i membri attivi.",
        "es": "Tu solicitud fue aprobada. Bienvenida a los miembros activos.",
        "ro": "Cererea ta a fost aprobată. Bine ai venit printre membrii activi.",
    },
    "vote.outcome.applicant.rejected": {
        "en": "The vote on your application has closed; it was not approved this time.",
        "fr": "Le vote sur votre demande est clos ; elle n'a pas été acceptée cette fois.",
        "it": "La votazione sulla tua domanda è chiusa; questa volta non è stata accolta.",
        "es": "La votación sobre tu solicitud ha cerrado; esta vez no fue aprobada.",
        "ro": "Votul asupra cererii tale s-a încheiat; de data aceasta nu a fost aprobată.",
    },
    "vote.outcome.applicant.no_quorum": {
        "en": "The vote on your application did not reach its quorum.",
        "fr": "Le vote sur votre demande n'a pas atteint le quorum.",
        "it": "La votazione sulla tua domanda non ha raggiunto il quorum.",
        "es": "La votación sobre tu solicitud no alcanzó el quórum.",
        "ro": "Votul asupra cererii tale nu a întrunit cvorumul.",
    },
    "vote.outcome.roots": {
        "en": "The vote on {applicant} has closed: {outcome}.",
        "fr": "Le vote sur {applicant} est clos : {outcome}.",
        "it": "La votazione su {applicant} è chiusa: {outcome}.",
        "es": "La votación sobre {applicant} ha cerrado: {outcome}.",
        "ro": "Votul despre {applicant} s-a încheiat: {outcome}.",
    },
    "vote.outcome.roots.tally": {
        "en": "The vote on {applicant} has closed: {outcome} ({yes} yes, {no} no, "
        "{abstain} abstaining).",
        "fr": "Le vote sur {applicant} est clos : {outcome} ({yes} pour, {no} contre, "
        "{abstain} abstentions).",
        "it": "La votazione su {applicant} è chiusa: {outcome} ({yes} sì, {no} no, "
        "{abstain} astenuti).",
        "es": "La votación sobre {applicant} ha cerrado: {outcome} ({yes} sí, {no} no, "
        "{abstain} abstenciones).",
        "ro": "Votul despre {applicant} s-a încheiat: {outcome} ({yes} pentru, {no} împotrivă, "
        "{abstain} abțineri).",
    },
    "mentoring.assigned.mentee": {
        "en": "{mentor} is now your mentor; your private room is open.",
        "fr": "{mentor} vous accompagne désormais comme mentor ; votre salon privé est ouvert.",
        "it": "{mentor} ora ti accompagna come mentor; la vostra stanza privata è aperta.",
        "es": "{mentor} te acompaña ahora como mentora; vuestra sala privada está abierta.",
        "ro": "{mentor} te însoțește acum ca mentor; camera voastră privată este deschisă.",
    },
    "mentoring.assigned.mentor": {
        "en": "You now mentor {mentee}; your private room is open.",
        "fr": "Vous accompagnez désormais {mentee} comme mentor ; votre salon privé est ouvert.",
        "it": "Ora accompagni {mentee} come mentor; la vostra stanza privata è aperta.",
        "es": "Ahora acompañas a {mentee} como mentora; vuestra sala privada está abierta.",
        "ro": "O însoțești acum pe {mentee} ca mentor; camera voastră privată este deschisă.",
    },
    "mentoring.changed": {
        "en": "You have a new mentor: {mentor}.",
        "fr": "Vous avez un nouveau mentor : {mentor}.",
        "it": "Hai un nuovo mentor: {mentor}.",
        "es": "Tienes una nueva mentora: {mentor}.",
        "ro": "Ai un nou mentor: {mentor}.",
    },
    "mentoring.ended": {
        "en": "Your mentoring with {other} has ended.",
        "fr": "Votre mentorat avec {other} est terminé.",
        "it": "Il tuo percorso di mentoring con {other} è terminato.",
        "es": "Tu mentoría con {other} ha terminado.",
        "ro": "Mentoratul tău cu {other} s-a încheiat.",
    },
    "card.issued": {
        "en": "Your active-member card is ready.",
        "fr": "Votre carte de membre active est prête.",
        "it": "La tua tessera di membro attivo è pronta.",
        "es": "Tu tarjeta de miembro activa está lista.",
        "ro": "Cardul tău de membru activ este gata.",
    },
    "card.expiring": {
        "en": "Your card expires on {expires_at}.",
        "fr": "Votre carte expire le {expires_at}.",
        "it": "La tua tessera scade il {expires_at}.",
        "es": "Tu tarjeta caduca el {expires_at}.",
        "ro": "Cardul tău expiră pe {expires_at}.",
    },
    "card.revoked": {
        "en": "Your card is no longer valid. A safeguarding officer can tell you more.",
        "fr": "Votre carte n'est plus valide. L'équipe de protection peut vous en dire plus.",
        "it": "La tua tessera non è più valida. Il team di tutela può spiegarti di più.",
        "es": "Tu tarjeta ya no es válida. El equipo de protección puede explicarte más.",
        "ro": "Cardul tău nu mai este valabil. Echipa de protecție îți poate spune mai multe.",
    },
    "room.mention": {
        "en": "{author} mentioned you in {room}.",
        "fr": "{author} vous a mentionnée dans {room}.",
        "it": "{author} ti ha menzionata in {room}.",
        "es": "{author} te mencionó en {room}.",
        "ro": "{author} te-a menționat în {room}.",
    },
    "session.tomorrow": {
        "en": "Group session in {room} on {starts_at}.",
        "fr": "Séance de groupe dans {room} le {starts_at}.",
        "it": "Incontro di gruppo in {room} il {starts_at}.",
        "es": "Sesión de grupo en {room} el {starts_at}.",
        "ro": "Întâlnire de grup în {room} pe {starts_at}.",
    },
    "peerwork.invitation": {
        "en": "You have an invitation to join a team.",
        "fr": "Vous avez une invitation à rejoindre une équipe.",
        "it": "Hai un invito a unirti a una squadra.",
        "es": "Tienes una invitación para unirte a un equipo.",
        "ro": "Ai o invitație să te alături unei echipe.",
    },
    "peerwork.roster_published": {
        "en": "Your schedule is ready.",
        "fr": "Votre planning est prêt.",
        "it": "Il tuo calendario è pronto.",
        "es": "Tu horario está listo.",
        "ro": "Programul tău este gata.",
    },
    "peerwork.shift_changed": {
        "en": "Your schedule changed.",
        "fr": "Votre planning a changé.",
        "it": "Il tuo calendario è cambiato.",
        "es": "Tu horario cambió.",
        "ro": "Programul tău s-a schimbat.",
    },
    "peerwork.swap_asked": {
        "en": "Someone asked you about a schedule change.",
        "fr": "On vous a proposé un échange de créneau.",
        "it": "Qualcuno ti ha proposto uno scambio di turno.",
        "es": "Alguien te propuso un cambio de turno.",
        "ro": "Cineva ți-a propus un schimb de tură.",
    },
    "peerwork.swap_answered": {
        "en": "A schedule change you are part of was answered.",
        "fr": "Un échange de créneau qui vous concerne a reçu une réponse.",
        "it": "Uno scambio di turno che ti riguarda ha avuto risposta.",
        "es": "Un cambio de turno que te concierne tiene respuesta.",
        "ro": "Un schimb de tură care te privește a primit un răspuns.",
    },
    "peerwork.swap_to_approve": {
        "en": "A schedule change waits for your approval.",
        "fr": "Un échange de créneau attend votre accord.",
        "it": "Uno scambio di turno attende la tua approvazione.",
        "es": "Un cambio de turno espera tu aprobación.",
        "ro": "Un schimb de tură așteaptă aprobarea ta.",
    },
    "peerwork.hours_reviewed": {
        "en": "Your hours were reviewed.",
        "fr": "Vos heures ont été examinées.",
        "it": "Le tue ore sono state verificate.",
        "es": "Tus horas fueron revisadas.",
        "ro": "Orele tale au fost verificate.",
    },
    "peerwork.talk_requested": {
        "en": "Someone would like to talk with you.",
        "fr": "Quelqu'un aimerait parler avec vous.",
        "it": "Qualcuno vorrebbe parlare con te.",
        "es": "Alguien quiere hablar contigo.",
        "ro": "Cineva ar vrea să vorbească cu tine.",
    },
    "peerwork.no_supervisor": {
        "en": "A team member has no supervisor set.",
        "fr": "Une personne de l'équipe n'a pas de superviseur.",
        "it": "Una persona della squadra non ha un supervisore.",
        "es": "Una persona del equipo no tiene supervisora.",
        "ro": "O persoană din echipă nu are supervizor.",
    },
    "peerwork.debrief_due": {
        "en": "How did your shift on {starts_at} go? A short debrief is waiting.",
        "fr": "Comment s'est passé votre créneau du {starts_at} ? Un court débriefing vous attend.",
        "it": "Com'è andato il turno del {starts_at}? Ti aspetta un breve debriefing.",
        "es": "¿Cómo fue tu turno del {starts_at}? Te espera un breve informe.",
        "ro": "Cum a fost tura ta din {starts_at}? Te așteaptă o scurtă discuție de final.",
    },
    "safety.report_status": {
        "en": "There is an update on a report you made: {status}.",
        "fr": "Il y a du nouveau sur un signalement que vous avez fait : {status}.",
        "it": "C'è un aggiornamento su una segnalazione che hai fatto: {status}.",
        "es": "Hay novedades sobre un reporte que hiciste: {status}.",
        "ro": "Există o noutate despre o sesizare făcută de tine: {status}.",
    },
    "safety.restriction_applied": {
        "en": "For now, {restriction}. You can ask a safeguarding officer what this means.",
        "fr": "Pour l'instant, {restriction}. L'équipe de protection peut vous expliquer.",
        "it": "Per ora, {restriction}. Il team di tutela può spiegarti cosa significa.",
        "es": "Por ahora, {restriction}. El equipo de protección puede explicarte qué significa.",
        "ro": "Deocamdată, {restriction}. Echipa de protecție îți poate explica ce înseamnă.",
    },
    "safety.restriction_lifted": {
        "en": "A restriction on your account was lifted: {restriction} no longer applies.",
        "fr": "Une restriction sur votre compte a été levée : {restriction}, ce n'est plus le cas.",
        "it": "Una restrizione sul tuo account è stata tolta: {restriction}, non più.",
        "es": "Se levantó una restricción de tu cuenta: {restriction}, ya no.",
        "ro": "O restricție asupra contului tău a fost ridicată: {restriction}, nu mai este așa.",
    },
}

# Parameter values that are words of ours, translated too.
WORDS: dict[str, dict[str, T]] = {
    "outcome": {
        "approved": {
            "en": "approved",
            "fr": "acceptée",
            "it": "accolta",
            "es": "aprobada",
            "ro": "aprobată",
        },
        "rejected": {
            "en": "not approved",
            "fr": "non acceptée",
            "it": "non accolta",
            "es": "no aprobada",
            "ro": "neaprobată",
        },
        "no_quorum": {
            "en": "no quorum",
            "fr": "quorum non atteint",
            "it": "quorum non raggiunto",
            "es": "sin quórum",
            "ro": "fără cvorum",
        },
    },
    "status": {
        "received": {
            "en": "received",
            "fr": "reçu",
            "it": "ricevuta",
            "es": "recibido",
            "ro": "primită",
        },
        "in_review": {
            "en": "being looked at",
            "fr": "en cours d'examen",
            "it": "in esame",
            "es": "en revisión",
            "ro": "în analiză",
        },
        "closed": {
            "en": "closed",
            "fr": "clos",
            "it": "chiusa",
            "es": "cerrado",
            "ro": "închisă",
        },
    },
    "restriction": {
        "read_only": {
            "en": "you can read but not write",
            "fr": "vous pouvez lire mais pas écrire",
            "it": "puoi leggere ma non scrivere",
            "es": "puedes leer pero no escribir",
            "ro": "poți citi, dar nu poți scrie",
        },
        "hidden": {
            "en": "others do not see you in rooms or the directory",
            "fr": "les autres ne vous voient pas dans les salons ni l'annuaire",
            "it": "gli altri non ti vedono nelle stanze né nell'elenco",
            "es": "los demás no te ven en las salas ni en el directorio",
            "ro": "ceilalți nu te văd în camere sau în listă",
        },
        "direct_messages_frozen": {
            "en": "direct conversations are paused",
            "fr": "les conversations privées sont suspendues",
            "it": "le conversazioni dirette sono sospese",
            "es": "las conversaciones directas están en pausa",
            "ro": "conversațiile directe sunt oprite",
        },
        "removed_from_rooms": {
            "en": "rooms are closed to you",
            "fr": "les salons vous sont fermés",
            "it": "le stanze ti sono chiuse",
            "es": "las salas están cerradas para ti",
            "ro": "camerele îți sunt închise",
        },
    },
}

JOINERS: T = {"en": "; ", "fr": " ; ", "it": "; ", "es": "; ", "ro": "; "}
TIME_FORMAT = "%d/%m/%Y %H:%M"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _word(name: str, value: Any, language: str) -> str:
    texts = WORDS[name].get(str(value))
    return texts.get(language, texts["en"]) if texts else str(value)


def _param(name: str, value: Any, language: str, zone: ZoneInfo) -> str:
    if name.endswith("_at") and isinstance(value, str):
        try:
            return datetime.fromisoformat(value).astimezone(zone).strftime(TIME_FORMAT)
        except ValueError:
            return value
    if name in WORDS:
        if isinstance(value, list):
            return JOINERS.get(language, "; ").join(_word(name, v, language) for v in value)
        return _word(name, value, language)
    return str(value)


def render(template: str, params: dict[str, Any], language: str, time_zone: str) -> str:
    """Her text for one item: her language (English when unknown), times in her zone."""
    texts = TEMPLATES[template]
    text = texts.get(language) or texts["en"]
    zone = _zone(time_zone)
    values = {name: _param(name, value, language, zone) for name, value in params.items()}
    return text.format_map(values)
