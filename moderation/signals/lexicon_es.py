"""Spanish patterns."""

from moderation.signals import rules as r
from moderation.signals.lexicon_common import lexicon

_WORDS = {
    "YOUR": r"(?:tu|su|vuestro|vuestra)",
    "LIVE": r"(?:vives|trabajas|duermes|estas viviendo|estas trabajando|estas durmiendo"
    r"|te quedas|te alojas|vivis|trabajais|paras|curras)",
}

LEXICON = lexicon(
    "es",
    _WORDS,
    {
        r.PHONE_REQUEST: (
            r"\bque numero tienes\b",
            r"\b(?:pasame|dame|mandame|dejame|enviame) (?:tu|un|el) (?:numero|contacto|cel|movil"
            r"|telefono)\b",
            r"\b<YOUR> (?:numero|num|cel|celular|contacto)\b(?! uno\b| 1\b)",
            r"\b(?:dame|pasame|mandame|me das|me pasas|me mandas|me dejas|dejame|cual es)"
            r"(?: <YOUR>)? (?:numero|num|cel|celular|telefono|movil)\b",
        ),
        r.APP_HANDLE_REQUEST: (
            r"\bfuera de (?:aqui|la app|esta app|la aplicacion)\b",
            r"\bmi <APP> (?:es|:)",
            (r"\b(?:sigueme|agregame|anademe)\b", r"<APP>"),
            (r"<APP>", r"\b(?:privado|priv|dm|md|inbox)\b"),
            r"\b(?:vente|ven|vamos|pasate|pasemos|nos pasamos) (?:al privado de |por |a |al )<APP>",
            r"\b(?:agregame|anademe|escribeme|hablame|contactame|sigueme|buscame|llamame"
            r"|mandame un mensaje|escribenos|seguimos|hablamos|nos escribimos|nos hablamos)"
            r"(?: por privado)? (?:en|por|via|a|al) <APP>",
            r"\b(?:tienes|tenes|tiene|teneis|estas en|usas) <APP>",
            r"\b<YOUR> <APP>",
            r"\bmi (?:usuario|user|nick|perfil|id) (?:es|:|=)",
        ),
        r.LOCATION_REQUEST: (
            r"\b(?:vives|estas|vivis) sol[ao]s?\b",
            (
                r"\b(?:en que|que|cual) (?:portal|colegio|escuela|edificio|planta|piso)\b",
                r"\b(?:tu|te|tus|vives|estas)\b",
            ),
            r"\bdonde (?:estas|te encuentras|andas|paras)\b",
            (
                r"\ben (?:que|cual) (?:parte|zona|barrio|calle|piso|centro|residencia|albergue)\b",
                r"\b(?:tu|te|estas|vives|andas|trabajas)\b",
            ),
            r"\bdonde <LIVE>\b",
            r"\b<LIVE> donde\b",
            r"\b<YOUR> (?:direccion|domicilio|codigo postal)\b",
            r"\bdireccion (?:del|de la|de tu|de su)\b[^.!?]{0,40}\b(?:donde|en (?:el|la) que)"
            r" (?:estas|vives|duermes|trabajas|te quedas)\b",
            r"\ben (?:que|cual) (?:calle|barrio|zona|hotel|piso|centro|edificio|residencia"
            r"|albergue|planta) (?:vives|estas|trabajas|duermes|te quedas|vivis)\b",
            r"\b(?:mandame|pasame|dame|comparte) (?:tu )?ubicacion\b",
            # A question or request about the reader's own street, building or area.
            r"\bnombre de (?:tu|su|vuestra|vuestro) (?:calle|barrio|edificio|residencia"
            r"|albergue|pueblo|colegio|hotel|urbanizacion|bloque)\b",
            r"\b(?:dime|dame|pasame|mandame|escribeme|cual es|como se llama) (?:tu|su) (?:calle"
            r"|barrio|edificio|portal|bloque|residencia|albergue|urbanizacion|codigo postal)\b"
            r"(?! favorit| preferid)",
        ),
        r.STREET_ADDRESS: (
            r"\b(?:calle|c/|avenida|avda|plaza|paseo|camino|carrer|ronda|travesia|glorieta"
            r"|pasaje) (?:(?:de|del|la|los|las) )?(?:[a-z']+ ){0,3}?(?:n[o.] ?)?\d{1,4}\b",
        ),
        r.JOB_OFFER: (
            r"\bte ofrezco (?:\w+ ){0,6}?(?:trabajo|trabajillo|curro|empleo)\b",
            r"\bpagan? (?:muy )?bien\b",
            r"\b(?:ganaras|vas a ganar|puedes ganar)\b",
            r"\b(?:trabajo|trabajito|curro|empleo|puesto|chamba) para (?:ti|vos|usted)\b",
            r"\b(?:te|le|os) (?:consigo|puedo conseguir|doy|ofrezco|busco|encuentro|puedo dar"
            r"|puedo ofrecer) (?:un |una )?(?:\w+ )?(?:trabajo|empleo|curro|puesto|contrato)\b",
            r"\b(?:busca|buscan|contrata|contratan|necesita|necesitan|quiere|quieren) (?:a )?"
            r"(?:unas |algunas |una )?(?:chicas|chica|mujeres|mujer|camareras|camarera|internas"
            r"|interna|bailarinas|modelos|azafatas|masajistas|nineras?|cuidadoras?)\b",
            r"\b(?:buscas|necesitas|quieres|estas buscando) (?:un |una )?(?:trabajo|empleo|curro"
            r"|chamba)\b",
            r"\bbien pagad[oa]s?\b",
            (
                r"\bsin (?:papeles|experiencia|contrato|documentos)\b",
                r"\b(?:trabaj|emple|curro|puesto|pagad|hotel|club|contrat)",
            ),
            r"\b(?:alojamiento|comida|vivienda) (?:incluid[oa]|gratis|pagad[oa])\b",
            r"\bcasa y comida\b",
            r"\bcontratan? (?:en|a)\b",
            r"\b(?:trabajo|trabajar|empleo) (?:en el extranjero|fuera)\b",
            r"\b\d[\d.,]* ?(?:€|eur|euros?)? (?:al|a la|por) (?:mes|semana|dia|noche|hora)\b",
            # A go-between: introducing the reader to whoever hires.
            r"\b(?:te|os) (?:pongo|pondre|presento|meto) (?:en contacto (?:directo )?)?(?:con|a"
            r"|al) (?:el |la |mi |un |una )?(?:dueno|duena|jefe|jefa|patron|patrona|encargad[oa]"
            r"|agencia|empresario|contacto|tio)\b",
            (
                r"\bcon (?:alojamiento|habitacion|vivienda|casa y comida|comida y alojamiento)\b",
                # Offered to the reader, not sought by the writer.
                r"\b(?:te|ti|tu|os|jefe|jefa|dueno|patron|contrat\w*)\b",
            ),
            r"\bse gana (?:muy |mucho |bastante )?(?:bien|mucho|pasta|dinero)\b",
            r"\b(?:busco|buscamos|contrato|contratamos|necesito|necesitamos) (?:a )?(?:unas "
            r"|algunas )?(?:chicas|mujeres|camareras|internas|bailarinas|modelos|azafatas"
            r"|masajistas)\b",
        ),
        r.TRAVEL_OFFER: (
            r"\bte (?:ofrezco|doy|busco|consigo) (?:una |un )?(?:habitacion|cama|cuarto|piso"
            r"|alojamiento|casa)\b",
            (r"\b(?:vente|ven) a [a-z]+", r"\b(?:trabajo|trabajillo|habitacion|curro|cuarto)\b"),
            (
                r"\b(?:billete|vuelo|viaje|pasaje|avion)\b",
                r"\b(?:te lo (?:compro|pago|regalo|saco)|te (?:pago|compro|saco)|lo pago yo"
                r"|pago yo|paga (?:el|la) (?:jefe|jefa|patron))\b",
            ),
            r"\b(?:te|os) (?:pago|compro|reservo|adelanto|regalo|pagare) (?:yo )?(?:el|tu|un"
            r"|los|la) (?:\w+ )?(?:billetes?|pasajes?|viaje|vuelo|bus|tren)\b",
            r"\b(?:me encargo|me ocupo|nos encargamos|nos ocupamos) (?:de tu|del|de los|de la"
            r"|de tus|de todo el)(?: \w+){0,3}? (?:viaje|billete|vuelo|pasaje|transporte)\b",
            r"\b(?:viaje|billete|vuelo|pasaje|alojamiento|transporte) (?:y \w+ )?(?:pagad[oa]s?"
            r"|incluid[oa]s?|gratis|cubiert[oa]s?)\b",
            r"\btu vienes y (?:aqui|alli|yo|nosotros|lo)\b",
        ),
        r.DOCUMENTS_OFFER: (
            r"\bte (?:arregla|arreglo|saca|saco|consigue|consigo|hace|hago|tramita) (?:los |el |la "
            r"|tus |tu )?(?:papeles|documentos|permiso|visado|pasaporte|residencia|nie)\b",
            (
                r"\b(?:ayudarte|te ayudo) (?:con|para) (?:los|tus|el|tu) (?:papeles|documentos"
                r"|visado|pasaporte|permiso)\b",
                r"\b(?:paga|pagar|precio|euros?|€|\d+|dinero)\b",
            ),
            r"\b(?:te |os )?(?:puedo |podemos )?(?:conseguir|consigo|hago|arreglo|saco|tramito)"
            r"(?:te)?(?: yo)? (?:los |unos |el |un |tus |tu )?(?:papeles|pasaporte|visado|visa"
            r"|documentos|permiso|dni|nie)\b",
            r"\b(?:me encargo|me ocupo) (?:de tu|del|de los|de tus|de la)(?: \w+){0,2}?"
            r" ?(?:visado|visa|papeles|pasaporte|permiso|documentos)\b",
        ),
        r.MONEY_OFFER: (
            (r"\btus (?:deudas|facturas)\b", r"\b(?:pago|pagar|saldar|cubrir|cubro)\b"),
            r"\bte (?:adelanto|pago|presto) (?:yo )?(?:el|la|tu) (?:alquiler|fianza|deuda|renta)\b",
            r"\b(?:te lo|te los|te la|os lo|te) (?:presto|prestamos|adelanto)\b",
            r"\b(?:te|os) (?:mando|envio|doy|paso|giro|regalo|transfiero) (?:yo )?(?:\d+"
            r"|dinero|plata|pasta|un prestamo|lana|el dinero)\b",
            r"\b(?:dinero|plata|pasta) (?:facil|rapido)\b",
            r"\b(?:me lo|me los|me la) (?:devuelves|devolveras|devuelvas|pagas|pagaras)\b",
            r"\b(?:necesitas|te hace falta) (?:dinero|plata|pasta)\b",
            r"\b(?:pagar|adelantar|prestar|cubrir|dar)te (?:yo )?(?:el|la|los|las|tu|tus)"
            r" (?:alquiler|fianza|deudas?|facturas?|renta|habitacion)\b",
            r"\b(?:pago|pagar|cubro|cubrir|adelanto) (?:yo )?(?:tu|tus) (?:alquiler|fianza"
            r"|deudas|facturas)\b",
            r"\bte ayudo (?:yo )?con (?:el|la|los|las|tu|tus) (?:alquiler|fianza|deudas?"
            r"|facturas?)\b",
        ),
    },
    negation=r"\b(?:nunca|jamas|nadie)\b|\bno\b(?! dudes| dudeis| te preocupes| hay prisa)",
    stopwords="el los las y es que por no mi tu con una para del te me estoy donde como "
    "al lo se muy pero ya",
)
