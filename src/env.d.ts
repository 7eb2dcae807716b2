// Bindings and secrets that only the production environment has (set with `wrangler secret put`);
// `wrangler types` cannot see secrets, so they are declared here, optional.
declare namespace Cloudflare {
  interface Env {
    /** 32 random bytes, base64: seals message bodies in the order objects (see content-cipher.ts). */
    CONTENT_KEY?: string;
    /** The content keys CONTENT_KEY replaced, comma-separated: they only open what they sealed (docs/operations.md#rotating-keys). */
    CONTENT_KEYS_PREVIOUS?: string;
    /** At least 32 random bytes, base64: keys the HMAC that names a recipient's limit counters (src/limits/). */
    LIMITS_KEY?: string;
    /** At least 32 random characters: the bearer token of the operator routes (src/api/routes/operator.ts); unset, they do not exist. */
    OPERATOR_TOKEN?: string;
    TWILIO_ACCOUNT_SID?: string;
    TWILIO_API_KEY_SID?: string;
    TWILIO_API_KEY_SECRET?: string;
    TWILIO_AUTH_TOKEN?: string;
    /** The auth token TWILIO_AUTH_TOKEN replaced: its signatures are accepted too while it is set (a rotation's window). */
    TWILIO_AUTH_TOKEN_PREVIOUS?: string;
    TWILIO_MESSAGING_SERVICE_SID?: string;
    TWILIO_API_BASE?: string;
    /** LINK Mobility (SMS): the account's API origin, e.g. https://n-eu.linkmobility.io. */
    LINK_BASE_URL?: string;
    LINK_USERNAME?: string;
    LINK_PASSWORD?: string;
    LINK_PLATFORM_ID?: string;
    LINK_PLATFORM_PARTNER_ID?: string;
    /** The gate whose delivery-report URL is <PUBLIC_BASE_URL>/webhooks/linkmobility/dr. */
    LINK_GATE_ID?: string;
    /** The password LINK sends (HTTP Basic, user "linkmobility") with every delivery report. */
    LINK_DR_SECRET?: string;
    /** The password LINK_DR_SECRET replaced: accepted too while it is set (a rotation's window). */
    LINK_DR_SECRET_PREVIOUS?: string;
    /** Azure Communication Services (email): `endpoint=https://<resource>.communication.azure.com/;accesskey=<base64>`. */
    ACS_CONNECTION_STRING?: string;
    /** The secret Event Grid sends as ?accesskey= with every delivery report. */
    ACS_EVENTS_SECRET?: string;
    /** The secret ACS_EVENTS_SECRET replaced: accepted too while it is set (a rotation's window). */
    ACS_EVENTS_SECRET_PREVIOUS?: string;
    /** Upper bound of one provider call in ms (default 10000); the remaining lifetime bounds it too. */
    PROVIDER_TIMEOUT_MS?: string;
    /** How long a status-callback receiver has to answer, in ms (default 10000; tests shorten it). */
    CALLBACK_TIMEOUT_MS?: string;
    /** How long a PUT that newly asks for every status waits before answering, in ms (default 6000; tests set 0). */
    SUBSCRIPTION_SETTLE_MS?: string;
  }
}
