-- The reality-check interval is kept in seconds (`reality_check_seconds`), no longer in
-- minutes: one unit for the player's choice (60 s and up) and for the tests' short intervals
-- (CASINO_REALITY_CHECK_MIN_SECONDS). It is never pending (any change applies at once).
UPDATE rg_limits SET kind = 'reality_check_seconds', value = value * 60
    WHERE kind = 'reality_check_minutes';
