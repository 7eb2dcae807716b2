// The contract's status names (docs/api.md, "Status lifecycle").

export const ORDER_STATUSES = ["Order_Registered", "Order_Processing", "Order_Processed", "Order_Completed"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const SMS_PROGRESS = ["SMS_New", "SMS_Sending", "SMS_Accepted"] as const;
export const SMS_FINAL = [
  "SMS_Delivered",
  "SMS_Failed",
  "SMS_Failed_InvalidRecipient",
  "SMS_Failed_BarredReceiver",
  "SMS_Failed_Deleted",
  "SMS_Failed_Expired",
  "SMS_Failed_Undelivered",
  "SMS_Failed_Rejected",
  "SMS_Failed_TTL",
] as const;
export type SmsStatus = (typeof SMS_PROGRESS)[number] | (typeof SMS_FINAL)[number];

export const EMAIL_PROGRESS = ["Email_New", "Email_Sending", "Email_Succeeded"] as const;
export const EMAIL_FINAL = [
  "Email_Delivered",
  "Email_Failed",
  "Email_Failed_InvalidFormat",
  "Email_Failed_SuppressedRecipient",
  "Email_Failed_Bounced",
  "Email_Failed_FilteredSpam",
  "Email_Failed_Quarantined",
  "Email_Failed_TTL",
] as const;
export type EmailStatus = (typeof EMAIL_PROGRESS)[number] | (typeof EMAIL_FINAL)[number];

export type RecipientStatus = SmsStatus | EmailStatus;
export type Channel = "sms" | "email";
