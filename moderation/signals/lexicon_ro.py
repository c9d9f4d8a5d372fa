"""Romanian patterns (written without diacritics: folding removes them, so ș, ş and s match)."""

from moderation.signals import rules as r
from moderation.signals.lexicon_common import lexicon

_WORDS = {
    "TOYOU": r"(?:iti|ti|va)",
    "LIVE": r"(?:locuiesti|stai|lucrezi|dormi|muncesti|traiesti|esti cazata?|locuiti|lucrati"
    r"|stati|dormiti)",
}

LEXICON = lexicon(
    "ro",
    _WORDS,
    {
        r.PHONE_REQUEST: (
            r"\bce (?:numar|nr) ai\b",
            r"\b(?:lasa mi|da mi|trimite mi|imi lasi|imi dai)(?: si mie)? (?:un |o )?(?:numar"
            r"|numarul|nr|contact|contactul|telefon|telefonul)\b",
            r"\b(?:numarul|numaru|nr\.?|telefonul|mobilul|contactul|numarul de telefon)"
            r" (?:tau|vostru|dumneavoastra|dvs)\b",
            r"\b(?:da mi|dami|dai mi|imi dai|imi lasi|lasa mi|trimite mi|spune mi|zi mi"
            r"|scrie mi)(?: si mie)? (?:\w+ )?(?:numarul|nr|telefonul|mobilul|numaru)\b",
        ),
        r.APP_HANDLE_REQUEST: (
            r"\bin afara (?:aplicatiei|de aici|de aplicatie)\b",
            r"\b<APP>(?: ?ul)? meu (?:e|este|:)",
            (r"\b(?:urmareste ma|adauga ma)\b", r"<APP>"),
            (r"<APP>", r"\b(?:privat|pv|dm|inbox)\b"),
            r"\b(?:hai|vino|treci|mergem|trecem) (?:pe privat )?(?:pe|in) <APP>",
            r"\b(?:adauga ma|adaugati ma|scrie mi|scrieti mi|contacteaza ma|urmareste ma"
            r"|cauta ma|suna ma|da mi (?:un )?mesaj|vorbim|continuam|ne auzim|ne scriem"
            r"|gaseste ma)(?: in privat)? (?:pe|in|prin|la) <APP>",
            r"\b(?:ai|aveti|esti pe|folosesti) <APP>",
            r"\b<APP>(?: ?ul)? (?:tau|vostru)\b",
            r"\b(?:id ul|contul|userul|numele de utilizator) meu (?:e|este|:)",
        ),
        r.LOCATION_REQUEST: (
            r"\b(?:stai|locuiesti|traiesti|esti) singur[a]?\b",
            (
                r"\b(?:la|in|pe) ce (?:bloc|scoala|scara|etaj)\b|\bce (?:scoala|bloc)\b",
                r"\b(?:tu|te|iti|tau|ta|stai|esti|locuiesti)\b",
            ),
            r"\bunde (?:esti|te afli)\b",
            (
                r"\b(?:in|pe) ce (?:zona|cartier|parte|strada|bloc|centru|camin)\b",
                r"\b(?:stai|locuiesti|esti|lucrezi|tu|tau)\b",
            ),
            r"\bunde <LIVE>\b",
            r"\b<LIVE> unde\b",
            r"\badresa (?:ta|dumneavoastra|voastra)\b",
            r"\b(?:pe|in) ce (?:strada|cartier|zona|hotel|centru|bloc|camin|etaj|adapost)"
            r" (?:stai|locuiesti|lucrezi|dormi|esti)\b",
            r"\b(?:trimite mi|da mi|spune mi) (?:locatia|adresa|pozitia)\b",
            # A question or request about the reader's own street, building or area.
            r"\bnumele (?:strazii|cartierului|blocului|hotelului|centrului|caminului|satului"
            r"|scolii) (?:tale|tau|voastre|vostru)\b",
            r"\b(?:spune mi|zi mi|scrie mi|da mi|care e|care este) (?:strada|cartierul|blocul"
            r"|adresa|zona|caminul|centrul) (?:ta|tau|voastra|vostru)\b",
        ),
        r.STREET_ADDRESS: (
            r"\b(?:strada|str\.?|bulevardul|bulevard|b dul|calea|aleea|soseaua|sos\.?|piata"
            r"|intrarea|splaiul) (?:[a-z']+ ){1,3}?(?:nr\.? ?|numarul )?\d{1,4}\b",
        ),
        r.JOB_OFFER: (
            r"\b(?:iti|ti) ofer (?:\w+ ){0,6}?(?:munca|slujba|job|lucru)\b",
            r"\bplate(?:s|st)e (?:foarte )?bine\b",
            r"\b(?:castigi|vei castiga|poti castiga)\b",
            r"\b(?:slujba|munca|lucru|job|post|serviciu|loc de munca) pentru tine\b",
            r"\b<TOYOU> (?:gasesc|pot gasi|dau|ofer|fac rost de|aranjez|pot da|pot oferi)"
            r" (?:eu )?(?:o |un )?(?:\w+ )?(?:slujba|munca|job|post|serviciu|de lucru"
            r"|loc de munca|contract)\b",
            r"\b(?:cauta|cautam|angajeaza|angajam|recruteaza|vrea|are nevoie de) (?:niste "
            r"|cateva |o )?(?:fete|fata|femei|femeie|ospatarite|ospatarita|dansatoare"
            r"|ingrijitoare|bone|bona|modele|menajere|menajera|maseuze)\b",
            r"\b(?:cauti|vrei|ai nevoie de|cautati) (?:de )?(?:lucru|munca|o slujba|un job"
            r"|serviciu|un loc de munca)\b",
            r"\bbine platit\w*",
            (
                r"\bfara (?:acte|experienta|contract|pasaport)\b",
                r"\b(?:lucr|munc|slujb|job|platit|hotel|bar|angaj)",
            ),
            r"\b(?:cazare|cazarea|masa|mancare) (?:asigurat\w*|platit\w*|gratuit\w*|inclus\w*)",
            r"\bcazare si masa\b",
            r"\bangajeaza (?:in|la)\b",
            r"\b(?:munca|lucru) in strainatate\b",
            r"\b\d[\d.,]* ?(?:€|eur|euro|lei)? (?:pe|la) (?:luna|saptamana|zi|noapte|ora)\b",
            # A go-between: introducing the reader to whoever hires.
            r"\b(?:te|va) (?:pun|bag|voi pune|pot pune) in (?:legatura|contact) cu (?:patron\w*"
            r"|sef\w*|angajator\w*|agenti\w*|firma|omul|un om|proprietar\w*|cineva)\b",
            r"\b(?:iti|va) prezint (?:pe )?(?:patron\w*|sef\w*|angajator\w*|proprietar\w*)",
            (
                r"\bcu cazare\b|\bcazare (?:inclusa|asigurata|gratuita|platita)\b",
                # Offered to the reader, not sought by the writer.
                r"\b(?:te|iti|ti|tu|va|patron\w*|sef\w*|angaj\w*)\b",
            ),
            r"\bcastig(?:ul)? (?:bun|mare|frumos|sigur)\b|\bcastigi (?:bine|mult|frumos)\b",
            r"\b(?:caut|cautam|angajez) (?:niste |cateva )?(?:fete|femei|ospatarite|dansatoare"
            r"|modele|maseuze)\b",
        ),
        r.TRAVEL_OFFER: (
            r"\b(?:iti|ti) (?:ofer|dau|gasesc) (?:o |un )?(?:camera|pat|cazare|casa"
            r"|loc de dormit)\b",
            (r"\bvino (?:la|in) [a-z]+", r"\b(?:munca|camera|slujba|lucru|cazare)\b"),
            (
                r"\b(?:bilet|biletul|zbor|zborul|drumul|avion|calatoria)\b",
                r"\b(?:ti l (?:cumpar|platesc|iau)|iti (?:cumpar|platesc|iau)|il platesc eu"
                r"|platesc eu|plateste (?:seful|patronul))\b",
            ),
            r"\b<TOYOU> (?:platesc|cumpar|iau|rezerv|trimit|dau) (?:eu )?(?:biletul|bilet"
            r"|drumul|avionul|zborul|transportul|calatoria)\b",
            r"\b(?:ma ocup|ne ocupam|aranjez) (?:eu )?(?:de|cu) (?:\w+ ){0,3}?(?:drum|drumul"
            r"|bilet|biletul|zbor|transport|calatorie)\b",
            r"\b(?:drumul|biletul|zborul|transportul|cazarea|calatoria) (?:e |este )?"
            r"(?:platit\w*|asigurat\w*|gratuit\w*|inclus\w*)",
            r"\btu vii si (?:rezolvam|ne ocupam|aranjam|facem)\b",
        ),
        r.DOCUMENTS_OFFER: (
            r"\b(?:iti|ti) (?:rezolva|rezolv|face|fac|aranjeaza|aranjez|scoate|scot) (?:eu )?"
            r"(?:actele|acte|viza|pasaportul|permisul|buletinul|hartiile)\b",
            (
                r"\bte ajut (?:cu|la) (?:actele|acte|viza|pasaportul|permisul)\b",
                r"\b(?:plata|platesti|pret|euro|€|\d+|bani)\b",
            ),
            r"\b<TOYOU> (?:pot )?(?:face|fac|da|dau|procura|procur|rezolva|rezolv|aranja|aranjez"
            r"|scoate|scot) (?:eu )?(?:acte|actele|pasaport|pasaportul|viza|buletin|buletinul"
            r"|permis|permisul|hartii)\b",
            r"\b(?:ma ocup|ne ocupam) (?:eu )?de (?:viza|acte|actele|pasaport|hartii|permis)\b",
        ),
        r.MONEY_OFFER: (
            (r"\bdatoriile\b", r"\b(?:platesc|achit|rezolv|acopar)\b"),
            r"\b<TOYOU> (?:dau|platesc|avansez|imprumut) (?:eu )?(?:banii de )?(?:chirie|chiria"
            r"|datoria|garantia)\b",
            r"\b<TOYOU> (?:imprumut|avansez|dau|trimit|platesc|virez) (?:eu )?(?:\d+|bani|banii"
            r"|niste bani|un imprumut)\b",
            r"\b<TOYOU> imprumut\b",
            r"\bbani (?:usori|rapizi)\b",
            r"\b(?:mi i|imi|mi) (?:dai|dati|returnezi|inapoiezi) (?:banii )?(?:inapoi|cand)\b",
            r"\bai nevoie de bani\b",
            r"\bte ajut (?:eu )?cu (?:banii|bani|chiria|datoriile|facturile|garantia)\b",
        ),
    },
    negation=r"\b(?:niciodata|nimeni|nimanui)\b|\bnu\b(?! ezita| i graba| e graba| e nicio graba)",
    stopwords="si este e nu sa pe la cu de in mi am ce unde meu tau o un pentru ai esti "
    "mai sunt iti imi",
)
