"""The provider simulator plays through the real API (in process and as a command), with
lost replies, game failures and overtaking rollbacks, and its books match the wallet's;
the operator's admin command manages providers (and where they take free-bet campaigns) without
showing secrets unasked."""

from __future__ import annotations

import os
import subprocess
import sys

from clients.provider_sim import Chaos, ProviderClient, Signer, Simulator, launch, new_uuid
from tests.conftest import ROOT, ServerProcess
from tests.support import db as test_db
from tests.support.provider import FRUITS, SANDBOX, sandbox_secret


async def test_the_simulator_plays_rounds_that_reconcile(casino: ServerProcess) -> None:
    session = await launch(casino.base_url, SANDBOX, FRUITS, deposit=5_000)
    provider = ProviderClient(casino.base_url, SANDBOX, Signer(secret=sandbox_secret(casino)))
    chaos = Chaos(lost_replies=0.3, rollback_rate=0.2, overtake_rate=0.2)
    try:
        tally = await Simulator(provider, chaos).play(session, rounds=25, stake=100)
    finally:
        await provider.aclose()
    assert tally.ok, tally
    assert tally.rounds == 25 and tally.bets > 0 and tally.rollbacks > 0
    assert tally.resent > 0  # lost replies were resent with the same transaction ids


def _env(casino: ServerProcess, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CASINO_NO_BOOTSTRAP": "1",
        "CASINO_DATABASE_URL": test_db.url_of(casino.database_path),
        **extra,
    }


def test_the_simulator_command_runs_against_a_server(casino: ServerProcess) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "clients.provider_sim", "--url", casino.base_url,
         "--rounds", "3", "--lost-replies", "0.5"],
        env=_env(casino, CASINO_PROVIDER_SECRET=sandbox_secret(casino)),
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rounds=3" in result.stdout and result.stdout.strip().endswith("OK")


def test_the_admin_command_adds_lists_and_disables_providers(casino: ServerProcess) -> None:
    def admin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server.provider.admin", *args],
            env=_env(casino), cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    added = admin("add", "studio-x", "--name", "Studio X", "--launch-url", "https://x.invalid/")
    assert added.returncode == 0, added.stderr
    secret = added.stdout.strip().splitlines()[-1]
    assert len(secret) >= 43
    assert admin("secret", "studio-x").stdout.strip() == secret
    game = admin(
        "add-game", "studio-x", "x-slot", "--name", "X Slot", "--rtp", "95.125",
        "--min-stake", "10", "--max-stake", "1000", "--categories", "slots,new",
    )  # fmt: skip
    assert game.returncode == 0, game.stderr
    listed = admin("list").stdout
    assert "studio-x\tactive\thmac-sha256\t1 games" in listed
    assert secret not in listed and sandbox_secret(casino) not in listed
    assert admin("disable", "studio-x").returncode == 0
    assert "studio-x\tdisabled" in admin("list").stdout
    again = admin("add", "studio-x", "--name", "X", "--launch-url", "https://x.invalid/")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert admin("public-key").stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert admin("add-game", "studio-x", "y", "--name", "Y", "--rtp", "95.1234",
                 "--min-stake", "1", "--max-stake", "2").returncode == 2  # fmt: skip


def test_the_admin_command_sets_and_clears_a_providers_campaign_url(
    casino: ServerProcess,
) -> None:
    def admin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server.provider.admin", *args],
            env=_env(casino), cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    name = f"cx{new_uuid()[:6]}"
    added = admin("add", name, "--name", "X", "--launch-url", "https://x.invalid/",
                  "--campaign-url", "https://x.invalid/campaigns")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert (
        f"{name}\tactive\thmac-sha256\t0 games\thttps://x.invalid/\tcampaigns "
        "https://x.invalid/campaigns" in admin("list").stdout
    )
    assert admin("campaign-url", name, "--none").stdout.strip() == f"{name} campaigns: none"
    listed = admin("list").stdout.splitlines()
    assert "campaigns" not in next(line for line in listed if line.startswith(name))
    assert admin("campaign-url", name, "ftp://x.invalid/").returncode == 1
    assert admin("campaign-url", name).returncode == 1


def test_the_server_log_holds_no_secret_or_token(casino: ServerProcess) -> None:
    log = casino.log()
    assert sandbox_secret(casino) not in log
    assert "token=" not in log
