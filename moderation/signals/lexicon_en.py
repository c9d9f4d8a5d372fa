"""English patterns."""

from moderation.signals import rules as r
from moderation.signals.lexicon_common import lexicon

_WORDS = {
    "YOU": r"(?:you|u|ya|yu)",
    "YOUR": r"(?:your|ur|yr|you're|youre)",
    "ME": r"(?:me|us)",
}

LEXICON = lexicon(
    "en",
    _WORDS,
    {
        r.PHONE_REQUEST: (
            r"\bbest (?:way|number|place) to (?:contact|reach|call|text|find) (?:you|u)\b",
            r"\b(?:drop|leave|slide|send|give|share|pass|text|dm|pm) (?:me|us) (?:<YOUR>"
            r"|a|the|some)"
            r" (?:\w+ )?(?:digits|number|contact|deets|phone|cell|mobile)\b",
            r"\b<YOUR> (?:(?:phone|mobile|cell|private|personal|new|real|whatsapp) )?"
            r"(?:number|numba|nummer|num|nr|digits|contact details|contact|deets)\b"
            r"(?! one\b| 1\b| of\b)",
            r"\b(?:(?:give|send|share|text|pass|drop|leave|tell|dm|pm|write|gimme)(?: <ME>)"
            r"|gimme|lemme (?:get|have))"
            r"(?: <YOUR>| a| the)? (?:phone|mobile|cell|cellphone|tel|number|digits)\b",
            r"\b(?:what'?s|what is|whats) <YOUR> (?:\w+ )?(?:number|phone|mobile|cell|digits)\b",
            r"\b(?:got|have|has|get) (?:a|an|any) (?:phone |mobile |cell )?(?:number|num) "
            r"(?:i|we) (?:can|could) (?:reach|call|text|contact|get)\b",
            r"\bhow (?:can|do|could) (?:i|we) (?:reach|call|text|contact) <YOU>\b(?! here)",
        ),
        r.APP_HANDLE_REQUEST: (
            r"\b(?:outside|off) (?:of )?(?:this|the) (?:app|site|platform|chat|group)\b",
            r"\bmy <APP> (?:is|:|=|name|handle|id)\b",
            (r"\b(?:follow|add) me\b", r"<APP>"),
            (r"<APP>", r"\b(?:private|privately|inbox|dm|pm|priv)\b"),
            r"\b(?:on|in) the gram\b",
            r"\b(?:come|move|go|switch|jump|let'?s go|lets go) (?:over )?(?:on|to|onto|in) <APP>",
            r"\b(?:add|text|message|msg|write|dm|pm|hmu|hit me up|find|follow|talk|chat|contact"
            r"|reach|call|ping|send)(?: <ME>)?(?: (?:a|an|your) (?:message|msg|text|dm|note))?"
            r" (?:on|in|via|at|over|by|thru|through|to) <APP>",
            r"\b(?:continue|move|switch|go|talk|chat|speak|carry on)(?: (?:this|it|the|our)"
            r"(?: (?:chat|convo|conversation|talk))?)?(?: over)? (?:on|to|in|onto) <APP>",
            r"\b(?:do|did|have|are|r) <YOU>(?: (?:have|got|use|on))? <APP>",
            r"\b(?:u|you|ya) (?:got|have|has|on|use) <APP>",
            r"\b<YOUR> <APP>(?! (?:is|keeps|crashed|app|group|notifications))",
            r"\bmy (?:username|user name|handle|user id)\b (?:is|:|=|'s)",
            r"\b<APP> me\b",
        ),
        r.LOCATION_REQUEST: (
            r"\b(?:do|d) (?:you|u) live (?:alone|by yourself|on your own)\b"
            r"|\b(?:are|r) (?:you|u) (?:alone|living alone|on your own)\b",
            (
                r"\b(?:which|what) (?:school|building|floor|flat number|house number)\b",
                r"\b(?:you|u|your|ur)\b",
            ),
            r"\b(?:closest|nearest|near|next) to (?:you|u|your place|ur place|where you live)\b",
            r"\bwhere (?:are|r) (?:you|u) (?:based|located|staying|living)\b",
            (
                # Not stops or stations: "which stop do you get off at" asks the way.
                r"\b(?:which|what) (?:area|part of (?:town|the city)|neighbou?rhood|district"
                r"|zone|borough|suburb|street|hotel|shelter|hostel)\b",
                r"\b(?:you|u|your|ur)\b",
            ),
            r"\bwhere (?:do|did|d'?|are|r) <YOU> (?:live|living|stay|staying|sleep|sleeping|work"
            r"|working|reside|based|at|now|currently|these days|at the moment)\b(?! on\b)",
            r"\bwhere (?:is|'s|s) <YOUR> (?:place|house|home|flat|apartment|room|shelter|hostel"
            r"|hotel|work|job|workplace|office|building"
            r"|school)\b",
            r"\b<YOUR> (?:home |house |exact |new |full |real )?"
            r"(?:address|postcode|post code|zip)\b",
            r"\b(?:what|which) (?:street|road|area|neighbourhood|neighborhood|hood|part of town"
            r"|hotel|shelter|hostel|building|house|estate|flat|floor|room number)"
            r"(?: do| are| r)? <YOU>\b",
            r"\b(?:name|address|location) of (?:the |your |ur )?(?:\w+ )?(?:shelter|hostel|hotel"
            r"|home|house|place|centre|center|refuge|accommodation|flat)\b"
            r"[^.!?]{0,25}\b(?:you|u|you're|youre|ur)\b",
            r"\b(?:send|share|drop|give)(?: me)? <YOUR> (?:live )?location\b",
            r"\bwhere (?:can|could) (?:i|we) (?:find|meet|see|pick up|visit) <YOU>\b",
            # A question or request about the reader's own street, building or area.
            r"\bname of <YOUR> (?:street|road|building|block|estate|neighbou?rhood|area|hood"
            r"|shelter|hostel|hotel|school|village)\b",
            r"\b(?:tell|give|send|text|dm|pm|what'?s|whats|what is|which is) (?:me )?<YOUR>"
            r" (?:street|road|building|block|estate|neighbou?rhood|area|hood|postcode|post code"
            r"|house number|flat number|door number|room number)\b(?! like\b)",
            r"\bwhere (?:do|did|are|r) <YOU> (?:\w+ ){1,2}?(?:live|living|stay|staying|sleep"
            r"|sleeping|crash|crashing|work|working)\b",
            r"\bwhere (?:do|are|r) <YOU> (?:crash|crashing)\b",
        ),
        r.STREET_ADDRESS: (
            # "40 minutes from my place" is not an address: no small words between.
            r"\b\d{1,5}[a-z]? (?:(?!(?:minutes?|mins?|hours?|days?|weeks?|years?|from|to|my|your"
            r"|our|the|a|of|in|at|for|and|or|on)\b)[a-z']+ ){1,3}"
            r"(?:street|st|road|rd|avenue|ave|lane|ln|drive"
            r"|close|way|place|square|terrace|crescent|court|boulevard|blvd|gardens|grove|mews"
            r"|parade)\b",
        ),
        r.JOB_OFFER: (
            r"\b(?:placing|places|sending|sends|bringing|brings|takes|recruit(?:s|ing)?|hires|hiring"
            r"|needs|need|looking for|wants|seeks|seeking)(?: \w+){0,2} (?:girls|women|ladies)\b",
            r"\bpays? (?:really |very )?well\b",
            r"\b(?:you(?:'ll| will| can| could)?|u) (?:start |easily )?(?:earn|make)"
            r" (?:\w+ ){0,3}?(?:money|cash|more|from day one|a lot|\d+)",
            r"\b(?:job|work|position|opening|vacancy|contract|gig|opportunity) (?:for|4) <YOU>\b",
            r"\b(?:find|get|give|offer|arrange|sort out|line up|set up) <YOU> (?:up )?(?:with )?"
            r"(?:a |some )?(?:\w+ )?(?:job|work|position|contract|placement|gig)\b",
            r"\b(?:hiring|recruiting|looking for|needs|need|wants|searching for|seeks|seeking)"
            r"(?: some| a few| young| pretty| beautiful| nice)* (?:girls|women|ladies"
            r"|models"
            r"|dancers|hostesses|waitresses|cleaners|nannies|maids|carers|masseuses|escorts)\b",
            r"\b(?:are|r) <YOU> (?:looking for|searching for|after|in need of)"
            r" (?:a )?(?:job|work)\b",
            r"\b(?:do|d) <YOU> (?:need|want) (?:a |some )?(?:job|work)\b",
            r"\b(?:well|good|great|high|big|easy) (?:paid|pay|salary"
            r"|wages)\b",
            r"\b(?:no|without) (?:experience|papers|documents|contract|visa|english|cv)"
            r"(?: is)? (?:needed|required|necessary)\b",
            r"\b(?:jobs?|work|modelling|modeling|dancing|cleaning|waitressing)"
            r" (?:abroad|overseas)\b",
            r"\b(?:pay|paid|pays) (?:in )?cash\b|\bcash in hand\b",
            r"\b\d[\d.,]* ?(?:€|eur|euros?|£|pounds?|\$|dollars?)? ?(?:a|per|/|each) "
            r"(?:month|week|day|night|hour)\b",
            # A go-between: introducing the reader to whoever hires.
            r"\b(?:introduce|connect|put|hook) <YOU>(?: up)?(?: in touch)? (?:to|with)"
            r" (?:the |my |a |this |his |her |their )?(?:owner|boss|manager|employer|agency"
            r"|agent|recruiter|guy|man|lady|people|contact)\b",
            (
                r"\b(?:lodging|accommodation|housing|board|room and board|a room|bed)"
                r" (?:is |are )?(?:included|provided|free|sorted|on site|on top)\b"
                r"|\b(?:with|plus|including) (?:lodging|accommodation|housing|board|a room)\b",
                # Offered to the reader, not sought by the writer ("any job with a room?").
                r"\b(?:you|u|your|ur|boss|owner|employer|hiring)\b",
            ),
            r"\beasy (?:job|jobs|work|gigs?|shifts?)\b",
            (
                r"\b(?:are |r )?(?:you|u) (?:interested|in|up for it|down)\s*\?",
                r"\b(?:job|jobs|work|gig|gigs|shifts?|modelling|modeling|hiring|paid|pay|cash)\b",
            ),
        ),
        r.TRAVEL_OFFER: (
            r"\b(?:room|bed|place to stay|a place|flat|accommodation|housing) for (?:you|u)\b",
            r"\b(?:offer|give|got|have) (?:you|u) (?:a )?(?:room|bed|place to stay)\b",
            r"\bcome (?:to|over to|live in) (?:my|our) (?:town|city|country|place)\b",
            (
                r"\b(?:tickets?|flights?|plane|airfare|journey|travel|trip)\b",
                r"\b(?:pays|i'll pay|we'll pay|will pay|i pay|we pay|covers|i'll cover|i'll buy"
                r"|i buy|will buy|on me|on us|for free)\b",
            ),
            r"\b(?:i|we|i'll|we'll|he|she|they|my \w+)(?:'ll| will| can| could| would)? (?:pays?"
            r"|covers?|buys?|books?|get|gets|arranges?|sort out|sorts?|organi[sz]es?|sends?"
            r"|handles?|take care of)"
            r"(?: for| you)? (?:<YOUR>|the|a|you a|u a)(?: \w+){0,3}? (?:tickets?|flights?|plane"
            r"|travel|trip|journey|bus|train)\b",
            r"\b(?:flights?|travel|tickets?|journey|trip|transport|flat|room|housing|accommodation"
            r"|lodging|food|meals) (?:and \w+ )?(?:is |are )?(?:covered|paid|included|provided"
            r"|free|on me|on us|taken care of|sorted)\b",
            r"\b(?:you )?just come(?: here| over)? and (?:we|i)\b",
            r"\b(?:you|u) can (?:stay|sleep|crash|live) (?:at (?:mine|my|ours|our)|with (?:me|us)"
            r"|upstairs|in my|in our|at my)\b",
        ),
        r.DOCUMENTS_OFFER: (
            r"\b(?:get|make|fix|arrange|sort) (?:you|u) (?:a |an |the |your |some )?(?:\w+ )?"
            r"(?:passport|visa|papers|documents|id|card|permit)s?\b",
            (
                r"\b(?:help|sort) (?:you )?(?:with|out) (?:the |your )?(?:papers|documents|visa"
                r"|passport|permit)\b",
                r"\b(?:fee|pay|price|cost|cash|euros?|€|pounds?|\d+)\b",
            ),
            r"\b(?:i|we|someone|he|she|they)(?:'ll| will| can| could| would)? (?:get|make|arrange"
            r"|sort out|sort|fix|provide|do|organi[sz]e|handle|take care of)(?: <YOU>)?"
            r"(?: \w+){0,2} (?:passport|visa|papers|documents|id card|residence permit"
            r"|work permit|permit)s?\b",
            r"\b(?:fake|false|forged|bought) (?:passport|papers|documents|id|visa)s?\b",
            r"\b(?:papers|documents|visa|passport|permit)s? (?:for|4) <YOU>\b",
        ),
        r.MONEY_OFFER: (
            r"\b(?:pay|clear|settle|cover) (?:off )?(?:your|ur) (?:debts?|rent|bills?)\b",
            r"\b(?:i(?:'ll| will| can| could)?|we(?:'ll| will| can)?) (?:advance|lend|pay|cover)"
            r" (?:you )?(?:the |your )?(?:rent|deposit|debt|bills?)\b",
            r"\b(?:lend|loan|advance|wire|transfer)(?: <YOU>)? (?:some |the )?(?:money|cash|\d+)\b",
            r"\b(?:lend|loan) <YOU>\b",
            r"\b(?:i|we|i'll|we'll)(?:'ll| will| can| could)? (?:give|send|pay|wire|transfer"
            r"|advance|lend) <YOU> (?:some |the )?(?:money|cash|\d+|a loan|an advance)\b",
            r"\b(?:easy|quick|fast|good) (?:money|cash)\b",
            r"\b(?:pay|give) (?:me|it) back (?:later|when|with|by|once|after)\b",
            r"\b(?:i|we)(?:'ll| will| can| could| would|'d)? (?:take care of|cover|handle"
            r"|sort out|sort|help (?:you |u )?(?:out )?with|chip in for) (?:the|your|ur) (?:rent"
            r"|bills?|debts?|deposit|loan|fines?)\b",
            (
                r"\b(?:i|we)(?:'ll| will| can| could| would|'d)? (?:pay|clear|settle) (?:off )?"
                r"the (?:rent|bills?|debts?|deposit|loan)\b",
                r"\b(?:you|u|your|ur)\b",
            ),
            r"\b(?:spot|float|front|sub) (?:you|u)\b",
            r"\b(?:no rush|no hurry|whenever|when(?:ever)? (?:you|u) can)\b[^.!?]{0,20}"
            r"\bpay(?:ing)? (?:me |it )?back\b",
        ),
    },
    negation=(
        r"\b(?:never|nobody|no one|don'?t|do not|doesn'?t|shouldn'?t|should not|must not"
        r"|mustn'?t|can'?t|cannot|won'?t|not)\b(?! hesitate)"
    ),
    stopwords="the and you is are my your to of in it for me what where i with this "
    "that have can do at on how just we so be was",
)
