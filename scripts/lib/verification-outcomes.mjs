// The soak's judgement of each verification (issue 28): is its final state (GET) what the checks it
// was sent explain (src/verifications/decide/check.ts decides each check)? Pure, so test/unit/bench/verification-outcomes.test.ts runs it as it is.
//
// A check is `{ right, http, status?, attemptsLeft? }`: whether it sent the right code, the HTTP status
// (0: its answer was lost, in the crash soak; it may or may not have counted), and the answer's
// `status` (200: approved or denied; 410: how the verification had ended) and `attemptsLeft`.

export const FINAL_STATUSES = ["approved", "expired", "max_attempts"];

/**
 * What is wrong with a verification's final `view` (its GET body) given the `checks` sent, in order, and
 * the `maxAttempts` it was started with: an empty list when its state is explained. `approved` only
 * where a right code was checked and answered `approved` (or such a check's answer was lost), exactly
 * one `approved` answer; `max_attempts` only where `maxAttempts` wrong codes were checked; `expired`
 * where neither. Every answer must fit: a right code never denied, a wrong one never approved, each
 * denial one attempt less, each 410 naming the final status, `attempts` the checks judged.
 */
export function verificationProblems(view, checks, maxAttempts) {
  const problems = [];
  if (!view || !FINAL_STATUSES.includes(view.status)) return [`not final (${view?.status ?? "no view"})`];
  if (view.maxAttempts !== maxAttempts) problems.push(`maxAttempts ${view.maxAttempts}, started with ${maxAttempts}`);
  let denied = 0;
  let approved = 0;
  let lostRight = 0;
  let lostWrong = 0;
  for (const [i, check] of checks.entries()) {
    const which = `check ${i + 1} (${check.right ? "right" : "wrong"} code)`;
    if (check.http === 0) {
      if (check.right) lostRight++;
      else lostWrong++;
    } else if (check.http === 200 && check.status === "approved") {
      approved++;
      if (!check.right) problems.push(`${which} approved`);
      if (denied >= maxAttempts) problems.push(`${which} approved after ${denied} wrong codes`);
    } else if (check.http === 200 && check.status === "denied") {
      denied++;
      if (check.right) problems.push(`${which} denied`);
      // Each denial is one attempt less, unless an answer was lost before it (that check may have counted).
      if (lostRight + lostWrong === 0 && check.attemptsLeft !== maxAttempts - denied) {
        problems.push(`${which} denied with attemptsLeft ${check.attemptsLeft}, expected ${maxAttempts - denied}`);
      }
    } else if (check.http === 410) {
      if (check.status !== view.status) problems.push(`${which} answered 410 ${check.status}, the verification is ${view.status}`);
    } else {
      problems.push(`${which} answered ${check.http} ${check.status ?? ""}`.trim());
    }
  }
  // `attempts` counts the checks judged (approved or denied), not those answered 410; a lost one may have been.
  const judged = approved + denied;
  if (view.attempts < judged || view.attempts > judged + lostRight + lostWrong) {
    problems.push(`attempts ${view.attempts}, ${judged} checks judged${lostRight + lostWrong > 0 ? ` and ${lostRight + lostWrong} answers lost` : ""}`);
  }
  if (approved > 1) problems.push(`${approved} approved answers`);
  if (denied > maxAttempts) problems.push(`${denied} wrong codes denied, more than the ${maxAttempts} attempts`);
  switch (view.status) {
    case "approved":
      if (approved === 0 && lostRight === 0) problems.push("approved, but no right code was approved");
      break;
    case "max_attempts":
      if (approved > 0) problems.push("max_attempts, but a right code was approved");
      if (denied + lostWrong < maxAttempts) problems.push(`max_attempts after ${denied} wrong codes of ${maxAttempts}`);
      break;
    case "expired":
      if (approved > 0) problems.push("expired, but a right code was approved");
      if (denied >= maxAttempts) problems.push(`expired, but ${denied} wrong codes of ${maxAttempts} were checked`);
      break;
  }
  return problems;
}
