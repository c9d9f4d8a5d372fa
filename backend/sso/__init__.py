"""Staff sign-in through a partner organisation's own OpenID Connect provider."""
