// The pages of the app. Each names the staff routes it needs (any one granted shows it in
// the nav) and renders itself into the page element.

import { renderAudit } from "./audit.js";
import { renderPlayers, renderProfile } from "./players.js";
import { renderAlerts, renderAml, renderKyc, renderWithdrawals } from "./queues.js";
import { REPORTS, renderReports } from "./reports.js";

export const PAGES = {
  players: { needs: [["GET", "/api/staff/players"]], render: renderPlayers },
  player: { needs: [["GET", "/api/staff/players/{player_id}"]], render: renderProfile },
  kyc: { needs: [["GET", "/api/staff/kyc/queue"]], render: renderKyc },
  withdrawals: { needs: [["GET", "/api/staff/proposals"]], render: renderWithdrawals },
  alerts: { needs: [["GET", "/api/staff/risk/alerts"]], render: renderAlerts },
  aml: { needs: [["GET", "/api/staff/aml/cases"]], render: renderAml },
  reports: { needs: Object.values(REPORTS).map((r) => ["GET", r.path]), render: renderReports },
  audit: { needs: [["GET", "/api/staff/audit"]], render: renderAudit },
};
