"""The listed semantic mutations of the money code that `run.py mutate` applies one at a time.

Each mutation is a bug someone could plausibly write (a wrong sign, a doubled or dropped
payout, a missing idempotency check, an off-by-one on a limit, a skipped release, a stake
taken twice, a missing back-pressure check, a wrong spending order, a misread status), given
as exact text: `old` must occur exactly once in `file`, or the runner (and
`tests/test_mutate.py`) fails loudly, so the list stays true while the code moves. `tests`
names the test files (or pytest node ids) that must fail once it is applied; the runner
stops at their first failure. `pending` names test files still being written elsewhere that
are expected to catch it: the runner adds each one that exists. Pure data and reasons, no
I/O: the runner is `server/tools/mutate.py`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Edit:
    """One exact replacement in one file (paths relative to the checkout)."""

    file: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Mutation:
    id: str
    file: str
    old: str
    new: str
    why: str  # what goes wrong for money if this bug ships
    tests: tuple[str, ...]  # test files or node ids that should catch it, cheapest first
    also: tuple[Edit, ...] = ()  # further edits of the same bug elsewhere (a payout and its reply)
    # Test files another change is adding that will catch it: run once they exist, not
    # required before (issue 25's independent payouts and failing reconciliations).
    pending: tuple[str, ...] = ()

    @property
    def edits(self) -> tuple[Edit, ...]:
        return (Edit(self.file, self.old, self.new), *self.also)


BALANCES = "server/money/balances.py"
SPEND = "server/money/lua/_spend.lua"
BACKPRESSURE = "server/money/lua/_backpressure.lua"
SCRIPTS = "server/money/scripts.py"
HOT = "server/money/hot.py"
LUA = "server/money/lua/"
PLAY = "server/rounds/play.py"
PAYMENTS = "server/payments/service.py"

MUTATIONS: tuple[Mutation, ...] = (
    # -- the two bugs planted in issue 25 ---------------------------------------------------
    Mutation(
        id="play-doubled-payout",
        file=PLAY,
        old="round_.stake,\n                settle.payout, _json(settle.outcome)",
        new="round_.stake,\n                settle.payout * 2, _json(settle.outcome)",
        also=(
            Edit(
                PLAY,
                "finished=True, payout=settle.payout, balance=result.cash,",
                "finished=True, payout=settle.payout * 2, balance=result.cash,",
            ),
        ),
        why="Issue 25's first planted bug: a one-step round pays twice what the game decided, "
        "and the reply agrees, so only a payout recomputed from the proof and the paytable "
        "catches it (reconciliation compares figures from the same settle).",
        tests=("tests/test_server_play.py",),
        pending=("tests/test_payouts_fixed_seeds.py",),
    ),
    Mutation(
        id="withdrawal-key-other-amount",
        file=PAYMENTS,
        old="if (payment.amount, payment.currency, payment.method_id)"
        " != (amount, currency, method_id):",
        new='if kind == "deposit" and (payment.amount, payment.currency) != (amount, currency):',
        why="Issue 25's second planted bug: a withdrawal key reused with another amount answers "
        "the first payment as if it were this one instead of IDEMPOTENCY_CONFLICT, so a client "
        "believes a payout of the wrong amount was made.",
        tests=("tests/test_payments_withdrawals.py",),
    ),
    # -- the sub-balance rule (Python and its Lua twin) -------------------------------------
    Mutation(
        id="balances-bonus-spent-first",
        file=BALANCES,
        old="from_cash = min(stake, max(cash, 0))\n    return Parts(from_cash, stake - from_cash)",
        new="from_bonus = min(stake, max(bonus, 0))\n"
        "    return Parts(stake - from_bonus, from_bonus)",
        why="Wrong spending order: bonus is spent before cash, so a player's withdrawable cash "
        "survives while the bonus (and its wagering) burns, the opposite of the stated rule.",
        tests=("tests/test_balances.py",),
    ),
    Mutation(
        id="balances-stake-above-spendable",
        file=BALANCES,
        old="if stake > spendable(cash, bonus):",
        new="if stake > spendable(cash, bonus) + 1:",
        why="Off-by-one on the funds limit: a stake one minor unit above cash + bonus is split "
        "into parts that overdraw the wallet.",
        tests=("tests/test_balances.py",),
    ),
    Mutation(
        id="balances-payout-remainder-to-bonus",
        file=BALANCES,
        old="to_bonus = payout * stake.bonus // stake.total",
        new="to_bonus = -(-payout * stake.bonus // stake.total)",
        why="Rounding towards bonus: the remainder of a proportional split turns a player's cash "
        "into non-withdrawable bonus, a cent at a time.",
        tests=("tests/test_balances.py",),
    ),
    Mutation(
        id="balances-free-bet-pays-bonus",
        file=BALANCES,
        old="    if stake.total == 0:\n        return Parts(payout, 0)",
        new="    if stake.total == 0:\n        return Parts(0, payout)",
        why="A provider's free bet (zero stake) wins into bonus instead of cash: the player "
        "cannot withdraw a win they own.",
        tests=("tests/test_balances.py",),
    ),
    Mutation(
        id="spend-lua-keeps-a-cent-of-cash",
        file=SPEND,
        old="local from_cash = math.min(stake, math.max(cash, 0))",
        new="local from_cash = math.min(stake, math.max(cash - 1, 0))",
        why="Wrong spending order inside the scripts: bonus is spent while cash still covers the "
        "stake, and the Lua rule drifts from balances.py.",
        tests=("tests/test_balances_lua.py",),
    ),
    Mutation(
        id="spend-lua-payout-split-swapped",
        file=SPEND,
        old="  return payout - to_bonus, to_bonus\nend",
        new="  return to_bonus, payout - to_bonus\nend",
        why="A wrong split: a win on a mixed stake credits the bonus part to cash and the cash "
        "part to bonus.",
        tests=("tests/test_balances_lua.py",),
    ),
    Mutation(
        id="spend-lua-split-drops-remainder",
        file=SPEND,
        old="local to_bonus = q * from_bonus + mul_div_floor(r, from_bonus, stake)",
        new="local to_bonus = q * from_bonus",
        why="A wrong split: the bonus share of the payout's remainder is dropped, so a win on a "
        "part-bonus stake pays the bonus part as cash.",
        tests=("tests/test_balances_lua.py",),
    ),
    # -- script replies read in Python -------------------------------------------------------
    Mutation(
        id="scripts-already-counts-as-moved",
        file=SCRIPTS,
        old="        return self.status is ScriptStatus.OK\n",
        new="        return self.status in (ScriptStatus.OK, ScriptStatus.ALREADY)\n",
        why="A status misread: a retry answered ALREADY is taken for a fresh move, so callers "
        "count, push or report a second movement that never happened.",
        tests=("tests/test_wallet_hot.py", "tests/test_money_scripts.py"),
    ),
    Mutation(
        id="scripts-long-reply-accepted",
        file=SCRIPTS,
        old="if len(rest) > len(names):",
        new="if len(rest) > len(names) + 1:",
        why="A status misread: a reply longer than its declared shape is accepted, so a script "
        "that changed its reply is read by position instead of failing loudly.",
        tests=("tests/test_money_scripts.py",),
    ),
    Mutation(
        id="hot-release-already-read-as-resolved",
        file=HOT,
        old='reply.status is ScriptStatus.ALREADY and "stream_id" in reply.names',
        new="reply.status is ScriptStatus.ALREADY",
        why="A status misread: release's ALREADY (which carries only the state it found) is read "
        "as a settle result, so a caller sees a malformed reply instead of ReservationError.",
        tests=("tests/test_wallet_hot.py",),
    ),
    Mutation(
        id="hot-reserve-settled-retry-holds-again",
        file=HOT,
        old='reply.status is ScriptStatus.ALREADY and reply.text("state") == "pending"',
        new="reply.status is ScriptStatus.ALREADY",
        why="A retry of a reservation that was already settled or voided is treated as a live "
        "hold: the round would be dealt and settled a second time.",
        tests=("tests/test_mutation_hot.py", "tests/test_wallet_hot.py"),
    ),
    Mutation(
        id="hot-reserve-zero-amount",
        file=HOT,
        old="if amount <= 0:",
        new="if amount < 0:",
        why="Off-by-one on a limit: a zero reservation is taken, opening a round that stakes "
        "nothing and can still win.",
        tests=("tests/test_mutation_hot.py", "tests/test_wallet_hot.py"),
    ),
    # -- the one-step spin script -------------------------------------------------------------
    Mutation(
        id="spin-stake-not-taken",
        file=LUA + "spin.lua",
        old="move_sub_balances(KEYS[1], to_cash - from_cash, to_bonus - from_bonus)",
        new="move_sub_balances(KEYS[1], to_cash, to_bonus - from_bonus)",
        why="A dropped stake: the spin pays the win but never takes the cash part of the stake.",
        tests=("tests/test_wallet_hot.py", "tests/test_server_play.py"),
    ),
    Mutation(
        id="spin-retry-pays-again",
        file=LUA + "spin.lua",
        old="local done = redis.call('GET', KEYS[2])\nif done then",
        new="local done = redis.call('GET', KEYS[2])\nif false then",
        why="A missing idempotency check: a spin retried after a lost reply is played again "
        "instead of answering the first result.",
        tests=("tests/test_mutation_hot.py", "tests/test_wallet_hot.py"),
    ),
    Mutation(
        id="spin-funds-off-by-one",
        file=LUA + "spin.lua",
        old="if cash + bonus < stake and not free then",
        new="if cash + bonus + 1 < stake and not free then",
        why="Off-by-one on the funds check: a stake one unit above the balance is taken and the "
        "wallet goes negative.",
        tests=("tests/test_mutation_hot.py", "tests/test_wallet_hot.py"),
    ),
    Mutation(
        id="spin-no-back-pressure",
        file=LUA + "spin.lua",
        old="if flusher_behind(KEYS[5], ARGV[13], ARGV[14]) then",
        new="if false then",
        why="A missing back-pressure check: spins keep being taken while the ledger falls "
        "behind without bound.",
        tests=("tests/test_back_pressure.py",),
    ),
    Mutation(
        id="spin-stale-nonce-accepted",
        file=LUA + "spin.lua",
        old="if seed[1] ~= ARGV[10] or seed[2] ~= ARGV[11] or seed[3] ~= ARGV[12] then",
        new="if seed[1] ~= ARGV[10] or seed[2] ~= ARGV[11] then",
        why="An outcome drawn with a stale nonce is paid: two rounds may share a nonce and the "
        "provably fair proof of one of them no longer matches.",
        tests=("tests/test_mutation_hot.py", "tests/test_wallet_hot.py"),
    ),
    # -- reserve, step, settle, release ------------------------------------------------------
    Mutation(
        id="reserve-stake-taken-twice",
        file=LUA + "reserve.lua",
        old="local after = move_sub_balances(KEYS[1], -from_cash, -from_bonus)",
        new="local after = move_sub_balances(KEYS[1], -2 * from_cash, -from_bonus)",
        why="A stake taken twice: the hold debits cash twice while `held` records it once.",
        tests=("tests/test_wallet_hot.py",),
    ),
    Mutation(
        id="reserve-no-back-pressure",
        file=LUA + "reserve.lua",
        old="if flusher_behind(KEYS[5], ARGV[8], ARGV[9]) then",
        new="if false then",
        why="A missing back-pressure check on multi-step rounds.",
        tests=("tests/test_back_pressure.py",),
    ),
    Mutation(
        id="reserve-second-open-round",
        file=LUA + "reserve.lua",
        old="local open = redis.call('HGET', KEYS[4], ARGV[4])\nif open then",
        new="local open = redis.call('HGET', KEYS[4], ARGV[4])\nif false then",
        why="Two unfinished rounds of one game: the open-rounds index keeps only the last, so "
        "the first can never be resumed or completed and its stake stays held.",
        tests=("tests/test_wallet_hot.py", "tests/test_server_games.py"),
    ),
    Mutation(
        id="backpressure-backlog-off-by-one",
        file=BACKPRESSURE,
        old="if backlog > tonumber(max_backlog) then",
        new="if backlog > tonumber(max_backlog) + 1 then",
        why="Off-by-one on the back-pressure limit: one more unflushed round than configured.",
        tests=("tests/test_back_pressure.py",),
    ),
    Mutation(
        id="step-extra-not-checked",
        file=LUA + "step.lua",
        old="  if cash + bonus < extra then",
        new="  if cash + bonus + extra < extra then",
        why="A blackjack double, split or insurance is held without the funds to cover it: the "
        "wallet goes negative.",
        tests=("tests/test_wallet_hot.py", "tests/test_server_games.py"),
    ),
    Mutation(
        id="step-version-not-checked",
        file=LUA + "step.lua",
        old="if tonumber(r[2]) ~= tonumber(ARGV[1]) then",
        new="if false then",
        why="Two sessions acting on one round at once both succeed: an action is applied to a "
        "state it was not decided on (a lost update).",
        tests=("tests/test_wallet_hot.py", "tests/test_server_games.py"),
    ),
    Mutation(
        id="settle-held-not-released",
        file=LUA + "settle.lua",
        old="redis.call('HINCRBY', KEYS[1], 'held', -amount)\nlocal cash",
        new="local cash",
        why="A skipped reservation release: the settled stake stays in `held` forever.",
        tests=("tests/test_wallet_hot.py",),
    ),
    Mutation(
        id="settle-payout-dropped",
        file=LUA + "settle.lua",
        old="local cash = move_sub_balances(KEYS[1], to_cash, to_bonus)",
        new="local cash = move_sub_balances(KEYS[1], 0, 0)",
        why="A dropped payout: a won multi-step round records the win but never credits it.",
        tests=("tests/test_wallet_hot.py", "tests/test_server_games.py"),
    ),
    Mutation(
        id="settle-twice-not-idempotent",
        file=LUA + "settle.lua",
        old="if state == 'settled' then",
        new="if false then",
        why="A missing idempotency check: a settle retried after a lost reply is refused as "
        "not pending instead of answering the first result, so the round errors after paying.",
        tests=("tests/test_wallet_hot.py",),
    ),
    Mutation(
        id="release-stake-not-returned",
        file=LUA + "release.lua",
        old="local cash = move_sub_balances(KEYS[1], amount - stake_bonus, stake_bonus)",
        new="local cash = move_sub_balances(KEYS[1], 0, stake_bonus)",
        why="A skipped release: a voided or expired round takes the cash part of the stake away.",
        tests=("tests/test_wallet_hot.py",),
    ),
    Mutation(
        id="release-before-due",
        file=LUA + "release.lua",
        old="if ARGV[2] == '1' and now < tonumber(r[9]) then",
        new="if false then",
        why="The sweeper expires rounds the player is still playing: a live blackjack hand is "
        "voided under them.",
        tests=("tests/test_wallet_hot.py", "tests/test_round_state_machine.py"),
    ),
    # -- deposits and the ledger -------------------------------------------------------------
    Mutation(
        id="credit-applied-twice",
        file=LUA + "credit.lua",
        old="if redis.call('EXISTS', KEYS[2]) == 1 or tonumber(ARGV[3]) <= mark then",
        new="if tonumber(ARGV[3]) <= mark then",
        why="A missing idempotency check: a deposit applied again (a retry, recovery) credits "
        "Redis twice for one ledger transfer.",
        tests=("tests/test_wallet_hot.py", "tests/test_payments_deposits.py"),
    ),
    Mutation(
        id="credit-mark-off-by-one",
        file=LUA + "credit.lua",
        old="tonumber(ARGV[3]) <= mark then",
        new="tonumber(ARGV[3]) < mark then",
        why="Off-by-one on the ledger mark: a wallet hydrated from the ledger counts its last "
        "transfer, and applying that deposit again counts it twice.",
        tests=("tests/test_wallet_hot.py", "tests/test_crash.py"),
    ),
    Mutation(
        id="deposit-key-other-amount",
        file="server/money/wallet.py",
        old="if (row[1], row[2]) != (amount, currency):",
        new="if False:",
        why="A missing idempotency check: a deposit key reused with another amount answers the "
        "first deposit as if it were this one.",
        tests=("tests/test_payments_deposits.py", "tests/test_server_money.py"),
    ),
    Mutation(
        id="deposit-skips-debt-repayment",
        file="server/money/wallet.py",
        old="repaid = min(owed, amount)",
        new="repaid = 0",
        why="A deposit after a lost chargeback goes all to the cash: the debt stays owed and "
        "the player stays restricted, however much they deposit.",
        tests=("tests/test_payments_disputes.py",),
    ),
    Mutation(
        id="deposit-daily-limit-off-by-one",
        file="server/money/wallet.py",
        old="if total > daily_limit:",
        new="if total > daily_limit + 1:",
        why="Off-by-one on the sandbox daily limit: one minor unit of play money more than "
        "allowed is minted.",
        tests=("tests/test_modes_sandbox_limit.py", "tests/test_server_money.py"),
    ),
    Mutation(
        id="ledger-conflicting-key-accepted",
        file="server/money/ledger.py",
        old="elif seen != terms:",
        new="elif False:",
        why="A missing idempotency check: a transfer key posted again with other terms is "
        "silently skipped, hiding a second, different movement.",
        tests=("tests/test_ledger.py",),
    ),
    Mutation(
        id="ledger-overdraft-allowed",
        file="server/money/ledger.py",
        old="if not t.debit.allow_negative:",
        new="if False:",
        why="A player's ledger account may go negative: money the wallet never had is posted.",
        tests=("tests/test_ledger.py",),
    ),
    Mutation(
        id="flusher-stake-wrong-sign",
        file="server/money/journal/flusher.py",
        old='(f"{ref}:stake", cash, house, r.stake - r.stake_bonus, "stake")',
        new='(f"{ref}:stake", house, cash, r.stake - r.stake_bonus, "stake")',
        why="A wrong sign: the ledger credits the player their stake instead of debiting it.",
        tests=("tests/test_ledger.py", "tests/test_server_play.py"),
    ),
    Mutation(
        id="flusher-bonus-payout-to-cash",
        file="server/money/journal/flusher.py",
        old='(f"{ref}:payout_bonus", house, bonus, r.payout_bonus, "payout")',
        new='(f"{ref}:payout_bonus", house, cash, r.payout_bonus, "payout")',
        why="A wrong split in the ledger: a bonus win is posted to withdrawable cash while Redis "
        "holds it as bonus.",
        tests=("tests/test_ledger.py",),
    ),
    # -- withdrawals -------------------------------------------------------------------------
    Mutation(
        id="withdraw-lock-funds-off-by-one",
        file=LUA + "withdraw_lock.lua",
        old="if cash < amount then",
        new="if cash + 1 < amount then",
        why="Off-by-one on the funds check: a withdrawal one unit above the cash is locked and "
        "the cash goes negative.",
        tests=("tests/test_payments_withdrawals.py",),
    ),
    Mutation(
        id="withdraw-lock-twice",
        file=LUA + "withdraw_lock.lua",
        old="local state = redis.call('HGET', KEYS[2], 'state')\nif state then",
        new="local state = redis.call('HGET', KEYS[2], 'state')\nif false then",
        why="A missing idempotency check: a retried lock of one payment locks its amount twice.",
        tests=("tests/test_mutation_withdrawals.py", "tests/test_payments_withdrawals.py"),
    ),
    Mutation(
        id="withdraw-return-wrong-sign",
        file=LUA + "withdraw_resolve.lua",
        old="after = redis.call('HINCRBY', KEYS[1], 'cash', amount)",
        new="after = redis.call('HINCRBY', KEYS[1], 'cash', -amount)",
        why="A wrong sign: a declined withdrawal takes its amount out of cash a second time "
        "instead of giving it back.",
        tests=("tests/test_payments_withdrawals.py",),
    ),
    Mutation(
        id="withdrawal-decline-paid-out",
        file=PAYMENTS,
        old='outcome = "paid" if result.approved else "returned"',
        new='outcome = "paid"',
        why="A declined payout is booked as paid: the player loses money the gateway never sent.",
        tests=("tests/test_payments_withdrawals.py",),
    ),
    # -- provider wallet ---------------------------------------------------------------------
    Mutation(
        id="provider-bet-duplicate-amount-accepted",
        file=LUA + "provider_bet.lua",
        old="if tx[1] ~= 'bet' or tx[2] ~= ARGV[6] or tx[3] ~= ARGV[5]",
        new="if tx[1] ~= 'bet' or tx[3] ~= ARGV[5]",
        why="A missing idempotency check: a transaction id reused with another amount is "
        "answered as the first bet instead of DUPLICATE.",
        tests=("tests/test_provider_wallet.py",),
    ),
    Mutation(
        id="provider-win-after-rollback",
        file=LUA + "provider_win.lua",
        old="if bet[1] == 'tombstone' or (bet[1] == 'bet' and bet[2] == 'rolled_back') then",
        new="if bet[1] == 'tombstone' then",
        why="A win is paid on a bet that was rolled back: the stake came back and the win is "
        "paid on top.",
        tests=("tests/test_provider_wallet.py",),
    ),
    Mutation(
        id="provider-bet-no-back-pressure",
        file=LUA + "provider_bet.lua",
        old="if flusher_behind(KEYS[4], ARGV[12], ARGV[13]) then",
        new="if false then",
        why="A missing back-pressure check on providers' bets.",
        tests=("tests/test_back_pressure.py",),
    ),
    # -- the stake rules seam and reconciliation ----------------------------------------------
    Mutation(
        id="stake-rules-let-restricted-stake",
        file="server/money/stake_rules.py",
        old='if attempt.player_status == "active":',
        new='if attempt.player_status != "closed":',
        why="A restricted (disabled, suspended) account may still stake.",
        tests=("tests/test_stake_rules.py",),
    ),
    Mutation(
        id="reconcile-ignores-held",
        file="server/money/reconcile.py",
        old='("held", self.redis_held == 0),',
        new='("held", True),',
        why="Reconciliation blind to held stakes: a stake held with no reservation (stranded "
        "money) is reported as reconciled.",
        tests=("tests/test_reconcile_sub_balances.py",),
        pending=("tests/test_reconcile_fails.py",),
    ),
    Mutation(
        id="reconcile-ignores-cash",
        file="server/money/reconcile.py",
        old='("cash", self.redis_cash == self.ledger),',
        new='("cash", True),',
        why="Reconciliation blind to wallet drift: Redis cash that differs from the ledger is "
        "reported as reconciled.",
        tests=("tests/test_reconcile_sub_balances.py",),
        pending=("tests/test_reconcile_fails.py",),
    ),
    Mutation(
        id="reconcile-ignores-currency-sum",
        file="server/money/reconcile.py",
        old="and all(total == 0 for total in self.currency_sums.values())",
        new="and True",
        why="Reconciliation blind to a ledger that does not sum to zero: money created or "
        "destroyed in the ledger goes unnoticed.",
        tests=("tests/test_reconcile_sub_balances.py",),
        pending=("tests/test_reconcile_fails.py",),
    ),
)
