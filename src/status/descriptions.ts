// Altinn's `statusDescription`: what a status means and what the caller should do next.
import type { OrderStatus, RecipientStatus } from "./statuses";

const DESCRIPTIONS: Readonly<Record<OrderStatus | RecipientStatus, string>> = Object.freeze({
  Order_Registered: "The order is registered and waiting to be handed to a provider.",
  Order_Processing: "The order is being handed to a provider.",
  Order_Processed: "The provider has accepted the message; its final status is not known yet.",
  Order_Completed: "The recipient has reached a final status; see the recipient's status.",

  SMS_New: "The SMS is registered and waiting to be sent.",
  SMS_Sending: "The SMS is being handed to the SMS provider.",
  SMS_Accepted: "The SMS provider has accepted the SMS; waiting for the delivery report.",
  SMS_Delivered: "The SMS was delivered to the recipient's phone.",
  SMS_Failed: "The SMS could not be sent. Check the phone number and send a new message if still needed.",
  SMS_Failed_InvalidRecipient: "The phone number is invalid or cannot receive SMS. Ask the recipient for a valid mobile number.",
  SMS_Failed_BarredReceiver: "The recipient's number is barred from receiving this SMS (for example opted out or blocked by the operator). Use another channel.",
  SMS_Failed_Deleted: "The SMS was deleted before it was delivered. Send a new message if still needed.",
  SMS_Failed_Expired: "The SMS expired before it could be delivered. Send a new message if still needed.",
  SMS_Failed_Undelivered: "The SMS was not delivered (for example the phone was off or out of coverage). Try again later or use another channel.",
  SMS_Failed_Rejected: "The SMS was rejected by the provider or the operator (for example filtered as spam). Review the content and the sender.",
  SMS_Failed_TTL: "The delivery window (timeToLiveInSeconds) expired before the SMS reached the recipient. Consider generating a new code and sending it again.",

  Email_New: "The email is registered and waiting to be sent.",
  Email_Sending: "The email is being handed to the email provider.",
  Email_Succeeded: "The email provider has accepted the email; waiting for the delivery report.",
  Email_Delivered: "The email was delivered to the recipient's mail server.",
  Email_Failed: "The email could not be sent. Check the address and send a new message if still needed.",
  Email_Failed_InvalidFormat: "The email address is not valid. Ask the recipient for a correct address.",
  Email_Failed_SuppressedRecipient: "The address is on the provider's suppression list (earlier bounces or complaints). Use another channel or address.",
  Email_Failed_Bounced: "The recipient's mail server rejected the email (bounce). Check the address or use another channel.",
  Email_Failed_FilteredSpam: "The email was filtered as spam. Review the content and the sender.",
  Email_Failed_Quarantined: "The email was quarantined by the recipient's mail system. Ask the recipient to check, or use another channel.",
  Email_Failed_TTL: "The email was not delivered within its 48-hour delivery window. Send a new message if still needed.",
});

export function describeStatus(status: OrderStatus | RecipientStatus): string {
  return Object.hasOwn(DESCRIPTIONS, status) ? DESCRIPTIONS[status] : "Unknown status.";
}
