"""French patterns."""

from moderation.signals import rules as r
from moderation.signals.lexicon_common import lexicon

_WORDS = {
    "YOUR": r"(?:ton|ta|tes|votre|vos)",
    "TOYOU": r"(?:te|vous|t')",
    "LIVE": r"(?:habites|habitez|vis|vivez|loges|logez|dors|dormez|travailles|travaillez|bosses"
    r"|bossez|restes|restez|creches|es logee?|etes logee?s?)",
}

LEXICON = lexicon(
    "fr",
    _WORDS,
    {
        r.PHONE_REQUEST: (
            r"\bc'est quoi ton (?:numero|num|tel)\b|\bt'as (?:un )?(?:numero|tel)\b",
            r"\b(?:laisse|laisses|laissez|donne|donnes|donnez|envoie|passe|file)(?: (?:moi|nous))?"
            r" (?:ton|ta|votre|un|le) (?:\w+ )?(?:contact|numero|num|tel|06|07)\b",
            r"\b<YOUR> (?:numero|num|06|07|coordonnees|contact|numero de (?:tel|telephone"
            r"|portable))\b",
            r"\b(?:donne|donnes|donnez|envoie|envoies|envoyez|passe|passes|passez|file|files"
            r"|filez|laisse|laisses|laissez|c'est quoi|c quoi|quel est|je peux avoir)(?: moi)?"
            r" <YOUR> (?:tel|tele|telephone|portable|phone|cell|mobile|numero|num)\b",
        ),
        r.APP_HANDLE_REQUEST: (
            r"\b(?:en dehors|hors) (?:de l'|d'ici|de cette |de l )(?:appli|application|app|site)?",
            r"\bmon <APP> (?:c'est|est|:)",
            (r"\b(?:suis|ajoute) moi\b", r"<APP>"),
            (r"<APP>", r"\b(?:prive|privee|pv|mp|inbox|dm|perso)\b"),
            r"\b(?:viens|venez|passe|passons|allons|on va|va) (?:en pv |en prive |en mp )?"
            r"(?:sur|en) <APP>",
            r"\b(?:ajoute|ajoutez|ecris|ecrivez|parle|parlez|contacte|contactez|envoie|envoyez"
            r"|suis|suivez|retrouve|retrouvez|rejoins|rejoignez|appelle|appelez|cherche)"
            r"(?: (?:moi|nous))?(?: un (?:message|msg|mot|texto))? (?:sur|par|via|en|dans) <APP>",
            r"\b(?:on continue|on passe|on parle|on se parle|continuons|passons|on s'ecrit"
            r"|on discute|on se capte)(?: (?:plutot|en prive))? (?:sur|par|via|en) <APP>",
            r"\b(?:tu as|t'as|t'a|as tu|vous avez|avez vous|t'es sur|tu es sur|t es sur"
            r"|es tu sur|vous etes sur) <APP>",
            r"\b<YOUR> <APP>",
            r"\bmon (?:pseudo|identifiant|id|user|username|compte)\b(?: <APP>)? (?:c'est|est|:|=)",
        ),
        r.LOCATION_REQUEST: (
            r"\b(?:tu vis|tu habites|vous vivez|t'habites|tu es|t'es) (?:toute )?seule?s?\b",
            (
                r"\b(?:quel|quelle) (?:immeuble|batiment|etage|ecole|escalier)\b",
                r"\b(?:tu|t'|te|ton|ta|tes|vous)\b",
            ),
            (
                # Not stops or stations: "vous descendez a quel arret" asks the way.
                r"\b(?:quel|quelle|dans quel|dans quelle) (?:foyer|quartier|coin|zone|rue|hotel"
                r"|centre|arrondissement|residence|cite)\b",
                r"\b(?:tu|t'|te|vous|ton|ta)\b",
            ),
            r"\bou (?:tu es|t'es|es tu|tu te trouves|te trouves tu|vous etes|tu vis|tu creches)\b",
            r"\b(?:tu|vous|t') ?<LIVE> (?:ou|a quel endroit|dans quel (?:quartier|coin|hotel"
            r"|foyer|ville))\b",
            r"\bou (?:est ce que |es ce que |que )?(?:tu|vous) <LIVE>\b",
            r"\bou (?:habites|vis|dors|loges|travailles|bosses|habitez|vivez|dormez|logez"
            r"|travaillez) (?:tu|vous)\b",
            r"\b(?:ton|votre|ta) (?:adresse|domicile|code postal|lieu de travail)\b",
            r"\badresse (?:de|du|d') ?(?:ton|ta|votre|tes|vos) \w+",
            r"\b(?:quel|quelle|dans quel|dans quelle) (?:quartier|rue|hotel|foyer|centre|batiment"
            r"|residence|immeuble|etage) (?:tu|vous|t'|es tu|habites|est ce que)",
            r"\b(?:envoie|donne|partage|file)(?: moi)? ta (?:position|localisation|loc)\b",
            # A question or request about the reader's own street, building or area.
            r"\b(?:nom|numero) de (?:ta|ton|votre) (?:rue|quartier|foyer|immeuble|batiment"
            r"|residence|hotel|ecole|cite|village|bloc)\b",
            r"\b(?:c'est quoi|c quoi|quel est|quelle est|dis moi|donne moi|dites moi|ecris moi)"
            r" (?:ton|ta|votre) (?:rue|quartier|coin|foyer|immeuble|batiment|residence|cite"
            r"|code postal|etage|bloc|hotel)\b(?! prefere| favori)",
            r"\bou (?:ca |est ce que )?(?:tu |t')?(?:creches|pionces|squattes|dors|loges)\b",
        ),
        r.STREET_ADDRESS: (
            r"\b\d{1,4}(?: ?(?:bis|ter))?,? (?:rue|avenue|av|bd|boulevard|place|allee|impasse"
            r"|chemin|quai|route|cours|square|passage|villa|cite) (?:d[eu']|des|de la|la|le|l')?"
            r" ?[a-z]",
        ),
        r.JOB_OFFER: (
            (r"\b(?:les|des) (?:filles|femmes)\b", r"\b(?:bosser|travailler|patron|boulot|paye)\b"),
            r"\bje (?:te|t') ?(?:offre|propose) (?:\w+ ){0,6}?(?:travail|boulot|job|emploi)\b",
            r"\b(?:a besoin de?|ont besoin de?|cherche|cherchent|recrute) (?:\w+ ){0,2}?"
            r"(?:filles|femmes|serveuses|danseuses|hotesses)\b",
            r"\b(?:paie|paye|payent|paient) (?:tres |super )?bien\b",
            r"\b(?:tu gagneras|tu vas gagner|tu peux gagner|vous gagnerez|tu gagnes)\b",
            r"\b(?:travail|boulot|job|emploi|poste|taf|mission|plan) pour (?:toi|vous)\b",
            r"\b<TOYOU> ?(?:trouver|trouve|donner|donne|proposer|propose|offrir|offre|avoir|file"
            r"|filer|procurer|procure|brancher|branche) (?:un|une|du|le) (?:\w+ )?(?:travail"
            r"|boulot|job|emploi|poste|taf|contrat)\b",
            r"\b(?:cherche|cherchent|recrute|recrutent|embauche|embauchent|veut|veulent"
            r"|a besoin d'|ont besoin d') ?(?:des |de |quelques |une |un )?(?:jeunes |jolies "
            r"|belles )?(?:filles|fille|femmes|serveuses?|hotesses?|danseuses?|nounous?"
            r"|masseuses?|modeles|femmes? de menage)\b",
            r"\b(?:tu cherches|vous cherchez|tu veux|vous voulez|t'as besoin d'|tu as besoin d'"
            r"|vous avez besoin d') ?(?:du|un|d'un|de) ?(?:travail|boulot|job|emploi|taf)\b",
            r"\b(?:bien|tres bien|super bien|super|mega) (?:payee?s?|remuneree?s?)\b",
            (
                r"\b(?:pas besoin de|sans) (?:papiers|experience|diplome|contrat|visa)\b",
                r"\b(?:travail|boulot|job|emploi|poste|paye|salon|hotel|bar|club|embauch)",
            ),
            r"\b(?:mon|ma|un|une) (?:\w+ )?(?:embauche|recrute)\b",
            r"\b(?:logee?s? (?:et )?nourrie?s?|nourrie?s? (?:et )?logee?s?)\b",
            r"\b(?:travail|boulot|job|emploi) a l'etranger\b",
            r"\b\d[\d .,]* ?(?:€|eur|euros?|balles)? (?:par|/) (?:mois|semaine|jour|nuit|heure)\b",
            # A go-between: introducing the reader to whoever hires.
            r"\b(?:te|t'|vous) ?(?:mets|mettrai|met|mettre|presente|presenterai|presenter)"
            r" (?:en (?:contact|relation|lien) )?(?:avec|a) (?:le |la |mon |ma |un |une |l')?"
            r"(?:patron|patronne|boss|chef|proprio|proprietaire|gerant|gerante|agence|employeur"
            r"|mec|gars|type|contact)\b",
            (
                r"\b(?:bien logee?s?|avec (?:logement|hebergement|une chambre)|(?:logement"
                r"|hebergement) (?:fourni|inclus|compris|offert|assure|gratuit)|logee?s? (?:sur"
                r" place|gratuitement|gratos))\b",
                # Offered to the reader, not sought by the writer.
                r"\b(?:tu|te|t'|toi|vous|patron|patronne|employeur|recrute|embauche)\b",
            ),
            (
                r"\b(?:pas declaree?|non declaree?|au noir|au black)\b",
                r"\b(?:taf|boulot|travail|job|bosser|travailler|emploi|salon|bar|patron|gagne)",
            ),
            r"\b(?:on |je )(?:cherche|recrute|embauche) (?:des |de )?(?:jeunes |jolies )?"
            r"(?:filles|femmes|serveuses|hotesses|danseuses|masseuses)\b",
        ),
        r.TRAVEL_OFFER: (
            r"\b(?:je t'offre|je te propose|je te donne|j'ai) (?:une |un )?(?:chambre|lit|logement"
            r"|toit)(?: pour toi)?\b",
            r"\b(?:chambre|logement|lit) pour (?:toi|vous)\b",
            (r"\bviens (?:a|en|chez) [a-z]+", r"\b(?:travail|boulot|chambre|logement|job)\b"),
            (
                r"\b(?:billets?|vol|voyage|trajet|avion)\b",
                r"\b(?:je te (?:le |l')?(?:paie|paye|offre|achete|prends)|te l'(?:offre|achete"
                r"|paie|paye)|je (?:le |l')?paie|c'est moi qui paie|je t'offre|il paie|elle paie"
                r"|le patron paie)\b",
            ),
            r"\b(?:je|j'|on|il|elle) ?<TOYOU> ?(?:paie|paye|payerai|paierai|offre|offrirai|achete"
            r"|acheterai|prends|reserve|avance|envoie) (?:le|ton|ta|un|une|les|tes) (?:\w+ )?"
            r"(?:billets?|voyage|vol|avion|trajet|bus|train|transport)\b",
            r"\b(?:je m'occupe|on s'occupe|je me charge|on se charge|je gere|je m'en occupe)"
            r" (?:de ton|du|de ta|des|de tes|de tout le|de)(?: \w+){0,3}? (?:voyage|billet"
            r"|vol|trajet|transport|logement)\b",
            r"\b(?:voyage|billet|vol|trajet|transport|logement|hebergement|avion)s? (?:est |sont )?"
            r"(?:payee?s?|offerte?s?|gratuite?s?|inclus|compris|pris en charge|remboursee?s?)\b",
            r"\btu viens et (?:on|je)\b",
        ),
        r.DOCUMENTS_OFFER: (
            r"\b(?:te|t') ?(?:arrange|regle|fait|obtient|trouve) (?:tes|les|des|ton|ta) (?:papiers"
            r"|documents|visa|passeport|titre)\b",
            (
                r"\b(?:t'aider|vous aider|je t'aide) (?:avec|pour) (?:tes|les|ton|ta"
                r"|vos) (?:papiers"
                r"|documents|visa|passeport|titre de sejour)\b",
                r"\b(?:paie|payer|prix|euros?|€|\d+|frais|cash)\b",
            ),
            r"\b(?:je|j'|on|il|elle) ?(?:peux |peut |vais |va )?<TOYOU> ?(?:trouver|faire|avoir"
            r"|procurer|obtenir|donner|arranger|fournir|filer) (?:des|un|une|les|tes|ton|ta|de"
            r"|de vrais|de faux)(?: \w+){0,2}? ?(?:papiers|passeport|visa|carte de sejour"
            r"|titre de sejour|documents|carte d'identite|permis)\b",
            r"\b(?:faux|vrai|vrais) (?:papiers|passeports?)\b",
            r"\b(?:je m'occupe|on s'occupe|je me charge|on se charge) (?:de ton|de ta|de tes|du"
            r"|des) (?:visa|papiers|passeport|titre de sejour|documents)\b",
        ),
        r.MONEY_OFFER: (
            (
                r"\b(?:des|tes|vos) (?:dettes|factures)\b",
                r"\b(?:regler|payer|rembourser|effacer|pour toi)\b",
            ),
            r"\b<TOYOU> ?(?:avancer|avance|preter|prete|payer|paie|paye) (?:le|ton|la|ta|tes|les)"
            r" (?:loyer|caution|dette|factures?|chambre)\b",
            r"\b<TOYOU> ?(?:preter|prete|preterai|envoyer|envoie|enverrai|donner|donne|donnerai"
            r"|avancer|avance|filer|file|virer|vire|passer|passe) (?:de l'argent|des sous"
            r"|du fric|du cash|\d+|un peu d'argent|la thune|de la thune)\b",
            r"\bt'en (?:preter|prete|donner|donne|avancer|avance|filer)\b",
            r"\b(?:argent|fric|thune"
            r"|cash) facile\b",
            r"\b(?:tu|vous) (?:me )?(?:rembourseras|rembourserez|rendras|rendrez|paieras"
            r"|payeras)\b",
            r"\b(?:t'as|tu as|vous avez) besoin d'argent\b",
            r"\b(?:je|j'|on)(?: (?:peux|vais|pourrais|veux|peut|va))? ?(?:te |t')?(?:payer|paie"
            r"|paye|regler|regle|avancer|avance|couvrir|prendre en charge) (?:ton|ta|tes|votre"
            r"|vos) (?:loyer|factures?|dettes?|caution|chambre)\b",
            r"\b<TOYOU> ?(?:avancer|avance|preter|prete|donner|donne|filer|file) (?:l'argent"
            r"|les sous|le fric|les thunes|ce qu'il (?:te |vous )?faut)\b",
            r"\b(?:t'aider|je t'aide|vous aider|je vous aide) (?:pour|avec) (?:le|ton|ta|tes"
            r"|les|votre) (?:loyer|factures?|dettes?|caution)\b",
        ),
    },
    negation=(
        r"\b(?:jamais|aucun|personne)\b|\bne (?:\w+ ){0,2}?(?:pas|jamais|plus)\b"
        r"|\bn'(?!hesite)\w+ (?:pas|jamais|plus)\b"
    ),
    stopwords="le la les et est tu je vous pour pas de des ma mon ton ce qui que avec une "
    "sur c'est j'ai au aux moi toi nous",
)
