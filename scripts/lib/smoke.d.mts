/** Types of scripts/lib/smoke.mjs (used by test/unit/config/smoke.test.ts). */
export const API: string;
export function isFinal(status: string | undefined): boolean;

export interface SmokeOrder {
  channel: "sms" | "email";
  delivered: "SMS_Delivered" | "Email_Delivered";
  path: string;
  body: Record<string, unknown>;
}
export function smokeOrders(options: { to: string; email: string; from?: string; sender?: string; now?: Date; id?: () => string }): SmokeOrder[];

export interface SmokeOptions {
  base: string;
  token: string;
  to: string;
  email: string;
  from?: string;
  sender?: string;
  timeoutMs?: number;
  pollMs?: number;
  fetch?: (url: string, init?: RequestInit) => Promise<Response>;
  print?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}
export function runSmoke(options: SmokeOptions): Promise<number>;
