// Property names are matched as ASP.NET's web JSON defaults match them (case-insensitively), against
// the names the request schemas know; the pure part, table by table.
import { describe, expect, it } from "vitest";
import { canonicalNames, propertyNamesOf } from "../../../src/api/property-names";
import { DeprecatedSmsOrderSchema, EmailOrderSchema, SmsOrderSchema } from "../../../src/orders/schemas";

const SMS = propertyNamesOf(SmsOrderSchema);

describe("propertyNamesOf", () => {
  it("knows every name of the SMS request, nested ones under their parent", () => {
    expect([...SMS!.values()].map((n) => n.name)).toEqual(["idempotencyId", "sendersReference", "recipientSms"]);
    const recipient = SMS!.get("recipientsms")!.nested!;
    expect([...recipient.values()].map((n) => n.name)).toEqual(["phoneNumber", "timeToLiveInSeconds", "smsSettings"]);
    expect([...recipient.get("smssettings")!.nested!.values()].map((n) => n.name)).toEqual(["sender", "body"]);
    expect(recipient.get("phonenumber")!.nested).toBeUndefined();
  });

  it("reaches through the deprecated endpoint's extra level and the email request's settings", () => {
    expect(propertyNamesOf(DeprecatedSmsOrderSchema)!.get("recipient")!.nested!.get("recipientsms")!.nested!.has("timetoliveinseconds")).toBe(true);
    const settings = propertyNamesOf(EmailOrderSchema)!.get("recipientemail")!.nested!.get("emailsettings")!.nested!;
    expect([...settings.values()].map((n) => n.name)).toEqual(["subject", "body", "senderEmailAddress", "contentType"]);
  });
});

describe("canonicalNames", () => {
  it.each([
    ["camelCase stays as it is", { idempotencyId: "k", recipientSms: { phoneNumber: "+47" } }, { idempotencyId: "k", recipientSms: { phoneNumber: "+47" } }, false],
    ["PascalCase becomes camelCase", { IdempotencyId: "k", RecipientSms: { PhoneNumber: "+47" } }, { idempotencyId: "k", recipientSms: { phoneNumber: "+47" } }, true],
    ["a name deep down is respelt too", { idempotencyId: "k", recipientSms: { smsSettings: { Body: "b" } } }, { idempotencyId: "k", recipientSms: { smsSettings: { body: "b" } } }, true],
    ["any mix of cases", { IDEMPOTENCYID: "k", recipientsms: { SmsSettings: { bOdY: "b" } } }, { idempotencyId: "k", recipientSms: { smsSettings: { body: "b" } } }, true],
    ["unknown names stay as sent", { Extra: 1, idempotencyid: "k" }, { Extra: 1, idempotencyId: "k" }, true],
    ["a value that is not an object is left for the schema", { RecipientSms: "x" }, { recipientSms: "x" }, true],
    ["an array is left for the schema", { recipientSms: [{ PhoneNumber: "+47" }] }, { recipientSms: [{ PhoneNumber: "+47" }] }, false],
    ["values are never touched", { sendersReference: "IdempotencyId" }, { sendersReference: "IdempotencyId" }, false],
    ["only ASCII letters fold (the dotless ı is not i)", { ıdempotencyId: "k" }, { ıdempotencyId: "k" }, false],
  ])("%s", (_label, input, expected, renamed) => {
    expect(canonicalNames(input, SMS)).toEqual({ ok: true, value: expected, renamed });
  });

  it("keeps a __proto__ name as data, never as the object's prototype", () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "IdempotencyId": "k"}') as unknown;
    const result = canonicalNames(input, SMS);
    expect(result.ok).toBe(true);
    const value = (result as { value: Record<string, unknown> }).value;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as { polluted?: boolean }).polluted).toBeUndefined();
    expect(value.idempotencyId).toBe("k");
  });

  it.each([
    ["at the top level", { idempotencyId: "a", IdempotencyId: "b" }, ["idempotencyId"]],
    ["nested, at the camelCase path", { recipientSms: { smsSettings: { body: "a", BODY: "b" } } }, ["recipientSms.smsSettings.body"]],
    ["one issue per field, wherever they are", { SendersReference: "a", sendersreference: "b", recipientSms: { PhoneNumber: "1", phonenumber: "2" } }, ["sendersReference", "recipientSms.phoneNumber"]],
  ])("refuses two names that differ only by case %s", (_label, input, paths) => {
    const result = canonicalNames(input, SMS);
    expect(result.ok).toBe(false);
    expect((result as { issues: { path: string[] }[] }).issues.map((issue) => issue.path.join("."))).toEqual(paths);
  });

  it("does not count unknown names that differ only by case", () => {
    expect(canonicalNames({ extra: 1, Extra: 2 }, SMS)).toEqual({ ok: true, value: { extra: 1, Extra: 2 }, renamed: false });
  });
});
