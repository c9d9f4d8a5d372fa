"""Italian patterns."""

from moderation.signals import rules as r
from moderation.signals.lexicon_common import lexicon

_WORDS = {
    "YOUR": r"(?:il |la |i )?(?:tuo|tua|vostro|vostra)",
    "LIVE": r"(?:abiti|vivi|stai|lavori|dormi|alloggi|abitate|vivete|state|lavorate|dormite"
    r"|alloggiate)",
}

LEXICON = lexicon(
    "it",
    _WORDS,
    {
        r.PHONE_REQUEST: (
            r"\b(?:che|quale) numero hai\b",
            r"\b(?:lasciami|dammi|mandami|passami|scrivimi)(?: \w+){0,2}? (?:il tuo |un |col tuo "
            r"|il )?(?:numero|contatto|cell)\b",
            r"\b<YOUR> (?:numero|num|cell|cellulare|recapito|contatto|telefonino)\b(?! uno\b| 1\b)",
            r"\b(?:dammi|dai|mandami|passami|lasciami|mi dai|mi lasci|mi mandi|mi passi|qual e)"
            r"(?: <YOUR>)? (?:numero|telefono|cell|cellulare)\b",
        ),
        r.APP_HANDLE_REQUEST: (
            r"\bfuori (?:da qui|dall'app|da questa app|dalla chat)\b",
            r"\bil mio <APP> (?:e|:)",
            (r"\b(?:seguimi|aggiungimi)\b", r"<APP>"),
            (r"<APP>", r"\b(?:privato|privata|pv|dm|direct)\b"),
            r"\b(?:passiamo|vieni|andiamo|spostiamoci|passa|sentiamoci) (?:in privato )?(?:su|in)"
            r" <APP>",
            r"\b(?:aggiungimi|scrivimi|contattami|seguimi|cercami|chiamami|mandami un messaggio"
            r"|scrivici|sentiamoci|parliamo|continuiamo|ci sentiamo|ci scriviamo|trovami)"
            r"(?: in privato)? (?:su|in|via|per|tramite|con) <APP>",
            r"\b(?:hai|ce l'hai|ce lhai|sei su|usi|avete|siete su) <APP>",
            r"\b<YOUR> <APP>",
            r"\bil mio (?:nome utente|username|nick|id|profilo) (?:e|:|=)",
        ),
        r.LOCATION_REQUEST: (
            r"\b(?:vivi|abiti|stai|sei) (?:da )?sola?\b",
            (
                r"\b(?:in che|in quale|che|quale) (?:palazzo|scuola|piano|scala|condominio)\b",
                r"\b(?:tu|ti|tuo|tua|tuoi|stai|abiti|sei|vivi)\b",
            ),
            r"\bdove (?:ti trovi|sei adesso|sei ora|alloggi)\b",
            (
                # Not stops: "a che fermata scendete" asks the way.
                r"\b(?:in|a) (?:che|quale) (?:zona|quartiere|parte della citta|via"
                r"|struttura|comunita|casa)\b",
                r"\b(?:tu|ti|tuo|tua|stai|abiti|sei|vivi)\b",
            ),
            r"\bdove <LIVE>\b",
            r"\b<LIVE> dove\b",
            r"\b<YOUR> (?:indirizzo|domicilio|cap)\b",
            r"\bindirizzo (?:della|del|di) (?:tua|tuo|vostra|vostro) \w+",
            r"\b(?:in|a) (?:che|quale|quali) (?:via|zona|quartiere|struttura|albergo|hotel"
            r"|comunita|casa|piano|palazzo|centro) (?:abiti|stai|vivi|lavori|sei|dormi|alloggi)\b",
            r"\b(?:mandami|dammi|condividi) (?:la )?(?:tua )?posizione\b",
            # A question or request about the reader's own street, building or area.
            r"\bnome (?:della|del|dello) (?:tua|tuo|vostra|vostro) (?:via|strada|quartiere"
            r"|palazzo|paese|struttura|comunita|albergo|scuola|condominio)\b",
            r"\b(?:dimmi|dammi|mandami|scrivimi|qual e|quale e|com'e) (?:la tua|il tuo|la vostra"
            r"|il vostro) (?:via|strada|quartiere|zona|palazzo|civico|struttura|comunita|cap"
            r"|condominio)\b(?! preferit)",
        ),
        r.STREET_ADDRESS: (
            r"\b(?:via|viale|piazza|piazzale|corso|vicolo|largo|strada|contrada|borgo)"
            r" (?:[a-z']+ ){1,3}?(?:n\.? ?)?\d{1,4}[a-z]?\b",
        ),
        r.JOB_OFFER: (
            r"\bti offro (?:\w+ ){0,6}?(?:lavoro|lavoretto|posto)\b",
            r"\bpagan[oa]? (?:molto )?bene\b",
            r"\b(?:guadagnerai|puoi guadagnare|guadagni subito)\b",
            r"\b(?:lavoro|lavoretto|posto|impiego|occupazione|contratto) per (?:te|voi)\b",
            r"\b(?:ti|vi) (?:trovo|posso trovare|do|offro|propongo|procuro|faccio avere)"
            r" (?:io )?(?:un |una )?(?:\w+ )?(?:lavoro|lavoretto|posto|impiego|contratto)\b",
            r"\b(?:cerca|cercano|assume|assumono|recluta|vuole|vogliono) (?:delle |alcune "
            r"|qualche |una |un )?(?:giovani |belle )?(?:ragazze|ragazza|donne|donna|cameriere"
            r"|cameriera|badanti|badante|ballerine|hostess|modelle|colf|baby ?sitter"
            r"|massaggiatrici)\b",
            r"\b(?:cerchi|cercate|vuoi|volete|hai bisogno di|ti serve) (?:un |del )?(?:lavoro"
            r"|lavoretto|impiego)\b",
            r"\b(?:ben|molto ben|benissimo) pagat[oaie]\b",
            (
                r"\bsenza (?:documenti|permesso|esperienza|contratto|visto|carte)\b",
                r"\b(?:lavor|posto|pagat|assum|stipendio|albergo|hotel|locale)",
            ),
            r"\bvitto e alloggio\b",
            r"\b(?:lavoro|lavorare) all'estero\b",
            r"\bassum(?:e|ono) (?:in|a|all')",
            r"\b\d[\d.,]* ?(?:€|eur|euro)? (?:al|a|per) (?:mese|settimana|giorno|notte|ora)\b",
            # A go-between: introducing the reader to whoever hires.
            r"\b(?:ti|vi) (?:metto|mettero|faccio conoscere|presento|faccio parlare)"
            r" (?:in contatto (?:diretto )?)?(?:con|col|coi|a|al|alla) (?:il |la |un |una |mio "
            r"|mia |l')?(?:padrone|padrona|capo|titolare|datore|proprietari[oa]|agenzia|gestore"
            r"|tizio|contatto)\b",
            (
                r"\b(?:vitto|alloggio)(?: e (?:vitto|alloggio))? (?:compreso|inclus[oa]|pagat[oa]"
                r"|gratis|offert[oa]|garantit[oa])\b|\bcon (?:vitto|alloggio)\b",
                # Offered to the reader, not sought by the writer.
                r"\b(?:ti|te|tu|tuo|vi|padron\w*|titolare|assum\w*)\b",
            ),
            r"\b(?:paga|stipendio|guadagno) (?:ottim[oa]|altissim[oa]|alt[oa]|buon[oa])\b"
            r"|\b(?:ottima|buona|alta) paga\b",
            r"\b(?:lavoro|lavoretto|lavori|lavoretti) facil[ei]\b",
            r"\b(?:cerco|cerchiamo|assumo|assumiamo) (?:delle |alcune |qualche )?(?:giovani "
            r"|belle )?(?:ragazze|donne|cameriere|ballerine|hostess|modelle|massaggiatrici)\b",
        ),
        r.TRAVEL_OFFER: (
            r"\bti (?:offro|do|trovo) (?:un |una )?(?:posto letto|stanza|camera|letto"
            r"|alloggio|casa)\b",
            (
                r"\bvieni (?:su |giu )?(?:a|in) [a-z]+",
                r"\b(?:lavoro|lavoretto|posto|stanza|letto)\b",
            ),
            (
                r"\b(?:biglietto|volo|viaggio|aereo)\b",
                r"\b(?:te lo (?:compro|pago|offro|prendo|regalo)|ti (?:pago|offro|compro)"
                r"|lo pago io|pago io|offro io|paga (?:lui|lei|il capo))\b",
            ),
            r"\b(?:ti|vi) (?:pago|offro|compro|prenoto|anticipo|paghero|regalo) (?:io )?"
            r"(?:il |un |i |tuo )?(?:\w+ )?(?:biglietto|biglietti|viaggio|volo|aereo|treno"
            r"|pullman)\b",
            r"\b(?:ti faccio|ti procuro|ci penso io a|mi occupo (?:io )?(?:del|di|dei))"
            r"(?: \w+){0,4}? (?:viaggio|biglietto|volo)\b",
            r"\b(?:viaggio|biglietto|volo|alloggio|casa) (?:e \w+ )?(?:pagat[oiae]|incluso"
            r"|inclusi|offert[oa]|gratis|garantit[oa])\b",
            r"\bvieni e (?:al resto|a tutto|ci penso|pensiamo)\b",
        ),
        r.DOCUMENTS_OFFER: (
            r"\bti (?:sistema|sistemo|fa|faccio|procura|procuro|risolve|risolvo) (?:il |i |la )?"
            r"(?:permesso|documenti|visto|passaporto|carta)\b",
            (
                r"\b(?:aiutarti|ti aiuto) (?:con|per) (?:i|il|tuoi|tuo) (?:documenti|visto"
                r"|passaporto|permesso)\b",
                r"\b(?:paga|pagare|prezzo|euro|€|\d+|soldi)\b",
            ),
            r"\b(?:posso |possiamo )?(?:procurarti|farti|darti|trovarti|ti procuro|ti faccio"
            r"|ti do|ti trovo|ti sistemo)(?: io)? (?:i |il |un |dei |una |la )?(?:documenti"
            r"|passaporto|visto|permesso|carta d'identita|carte)\b",
            r"\bpermesso di soggiorno in (?:\w+ )?(?:giorni|settimane|settimana|mesi)\b",
        ),
        r.MONEY_OFFER: (
            (r"\b(?:i tuoi|tuoi) (?:debiti|conti)\b", r"\b(?:pago|saldo|pagare|sistemo|copro)\b"),
            r"\bti (?:anticipo|pago|presto) (?:io )?(?:l'|il |la )?(?:affitto|caparra|debito"
            r"|bollette)\b",
            r"\b(?:te li|te lo|te ne|ti|vi|ve li) (?:presto|prestero|anticipo)\b",
            r"\b(?:ti|vi|te li|te lo) (?:mando|do|invio|regalo|passo|giro|presto|anticipo)"
            r" (?:io )?(?:\d+|soldi|dei soldi|denaro|qualche soldo|un prestito|i soldi)\b",
            r"\b(?:soldi|denaro|guadagni?) facil[ei]\b",
            r"\b(?:me li|me lo|mi) (?:restituisci|ridai|ridarai|rendi|restituirai|ripaghi)\b",
            r"\bti (?:servono|serve) (?:dei )?soldi\b",
            r"\b(?:pagar|anticipar|prestar|coprir|saldar)ti (?:io )?(?:l'|il |la |le |i |tuo "
            r"|tua |tuoi )?(?:affitto|bollette?|debiti?|caparra|spese|stanza|conti?)\b",
            r"\b(?:pago|pagare|copro|coprire|saldo|saldare|anticipo) (?:io )?(?:il tuo|la tua"
            r"|i tuoi|le tue) (?:affitto|bollette|debiti|caparra)\b",
            r"\bti aiuto (?:io )?(?:con|per) (?:l'|il |la |le |i )?(?:affitto|bollette|debiti"
            r"|caparra)\b",
        ),
    },
    negation=r"\b(?:mai|nessuno)\b|\bnon\b(?! esitare| esiti| c'e fretta| ce fretta)",
    stopwords="il lo gli e di che per non sono mi ti ho una della con mio tuo dove come "
    "sei hai ci si anche questo",
)
