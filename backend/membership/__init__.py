"""The membership path: referrals, agreements, status, applications, Roots votes, cards."""
