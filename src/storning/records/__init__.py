"""Records management and privacy (DOMAIN §7): retention (gallring) with legal hold, access requests,
redacted release of a case file and who read what."""
