// The sandbox recipients (docs/providers.md): fixed outcomes so callers can test every path locally;
// and the senders the simulators carry, as every SMS provider client declares its own.
import type { RecipientStatus } from "../../status/statuses";
import type { SmsSenderRule } from "../sender-rule";

/**
 * The alphanumeric senders the simulators carry: the printable ASCII characters of the GSM-7 basic
 * table (3GPP TS 23.038), that is all but `[ \ ] ^ { | } ~` (GSM-7's extension table) and the
 * backtick (not in GSM-7).
 */
export const SIMULATOR_SENDERS: SmsSenderRule = {
  characters: /^[ !"#$%&'()*+,\-./0-9:;<=>?@A-Z_a-z]$/,
  described: "the printable ASCII characters of the GSM-7 basic table (not `[ \\ ] ^ { | } ~` or the backtick)",
};

export interface SandboxBehaviour {
  /** Transient failures before the hand-over succeeds; Infinity for "every time". */
  transientFailures: number;
  /** A final status given at hand-over (rejected), or null when the provider accepts. */
  rejectWith: RecipientStatus | null;
  /** The delivery report sent after acceptance, or null for "never reported". */
  report: RecipientStatus | null;
}

const deliveredSms: SandboxBehaviour = { transientFailures: 0, rejectWith: null, report: "SMS_Delivered" };
const deliveredEmail: SandboxBehaviour = { transientFailures: 0, rejectWith: null, report: "Email_Delivered" };

const SANDBOX: Readonly<Record<string, SandboxBehaviour>> = {
  "+4740000001": { transientFailures: 0, rejectWith: "SMS_Failed_InvalidRecipient", report: null },
  "+4740000002": { transientFailures: 0, rejectWith: null, report: "SMS_Failed_Undelivered" },
  "+4740000003": { transientFailures: 0, rejectWith: null, report: null },
  "+4740000004": { transientFailures: 2, rejectWith: null, report: "SMS_Delivered" },
  "+4740000005": { transientFailures: Infinity, rejectWith: null, report: null },
  "+4740000006": { transientFailures: 0, rejectWith: null, report: "SMS_Failed_BarredReceiver" },
  "bounce@sandbox.example": { transientFailures: 0, rejectWith: null, report: "Email_Failed_Bounced" },
  "spam@sandbox.example": { transientFailures: 0, rejectWith: null, report: "Email_Failed_FilteredSpam" },
  "quarantine@sandbox.example": { transientFailures: 0, rejectWith: null, report: "Email_Failed_Quarantined" },
  "suppressed@sandbox.example": { transientFailures: 0, rejectWith: null, report: "Email_Failed_SuppressedRecipient" },
  "invalid@sandbox.example": { transientFailures: 0, rejectWith: "Email_Failed_InvalidFormat", report: null },
  "transient@sandbox.example": { transientFailures: 2, rejectWith: null, report: "Email_Delivered" },
};

const sandboxKey = (channel: "sms" | "email", recipient: string) => (channel === "email" ? recipient.toLowerCase() : recipient);

export function sandboxBehaviour(channel: "sms" | "email", recipient: string): SandboxBehaviour {
  const key = sandboxKey(channel, recipient);
  return Object.hasOwn(SANDBOX, key) ? SANDBOX[key]! : channel === "sms" ? deliveredSms : deliveredEmail;
}

/** One of the table's recipients (exempt from the recipient limits while the simulator is the provider). */
export function isSandboxRecipient(channel: "sms" | "email", recipient: string): boolean {
  return Object.hasOwn(SANDBOX, sandboxKey(channel, recipient));
}
